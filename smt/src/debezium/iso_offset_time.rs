//! Java's `DateTimeFormatter.ISO_OFFSET_DATE_TIME` and `ISO_OFFSET_TIME`, parsing and printing,
//! over plain numbers: the text of Debezium's `ZonedTimestamp` (`2025-01-01T08:00:00.5+01:00`)
//! and `ZonedTime` (`08:00:00Z`) logical types.
//!
//! Parsing follows the formatters: case-insensitive `T` and `Z`, seconds and a 0–9 digit
//! fraction optional, a strictly valid date (ISO resolver: no February 30), and a lenient offset
//! (`Z`, `±HH`, `±HH:MM`, `±HHMM`, `±HH:MM:SS`, `±HHMMSS`, within ±18:00). Printing always has
//! the seconds, the fraction without trailing zeros (none when zero), and `Z` for a zero offset.

use std::fmt::Write;

use weir_formats::java_date::{civil_from_days, days_from_civil, days_in_month};

const SECONDS_PER_DAY: i64 = 86_400;

/// A local date-time with its UTC offset (`java.time.OffsetDateTime`), as seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetDateTime {
    /// The local date-time as seconds since 1970-01-01T00:00 (local, not an instant).
    pub local_seconds: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
    /// The offset from UTC in seconds.
    pub offset: i32,
}

/// A local time of day with its UTC offset (`java.time.OffsetTime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetTime {
    /// Seconds since midnight.
    pub seconds_of_day: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
    /// The offset from UTC in seconds.
    pub offset: i32,
}

impl OffsetDateTime {
    /// `withOffsetSameInstant(offset)`: the same instant seen at `offset`.
    pub fn with_offset_same_instant(self, offset: i32) -> OffsetDateTime {
        OffsetDateTime {
            local_seconds: self.local_seconds - i64::from(self.offset) + i64::from(offset),
            nanos: self.nanos,
            offset,
        }
    }
}

impl OffsetTime {
    /// `withOffsetSameInstant(offset)`: the same time of day seen at `offset` (wrapping).
    pub fn with_offset_same_instant(self, offset: i32) -> OffsetTime {
        let shifted = self.seconds_of_day - i64::from(self.offset) + i64::from(offset);
        OffsetTime {
            seconds_of_day: shifted.rem_euclid(SECONDS_PER_DAY),
            nanos: self.nanos,
            offset,
        }
    }
}

/// Java's `DateTimeParseException` message for `text`.
fn unparseable(text: &str) -> String {
    format!("Text '{text}' could not be parsed")
}

/// A cursor over the text being parsed.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek().is_some_and(|b| b.eq_ignore_ascii_case(&byte));
        self.at += usize::from(hit);
        hit
    }

    /// Exactly `n` ASCII digits.
    fn digits(&mut self, n: usize) -> Option<i64> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        if !slice.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at = end;
        Some(slice.iter().fold(0, |v, b| v * 10 + i64::from(b - b'0')))
    }

    /// As many ASCII digits as there are, up to `max`.
    fn run(&self, max: usize) -> usize {
        self.bytes[self.at..]
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count()
    }
}

/// `ISO_OFFSET_DATE_TIME.parse(text)`.
pub fn parse_offset_date_time(text: &str) -> Result<OffsetDateTime, String> {
    let mut c = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    let days = date(&mut c).ok_or_else(|| unparseable(text))?;
    if !c.eat(b'T') {
        return Err(unparseable(text));
    }
    let (seconds, nanos) = time(&mut c).ok_or_else(|| unparseable(text))?;
    let offset = offset(&mut c).ok_or_else(|| unparseable(text))?;
    if c.at != c.bytes.len() {
        return Err(unparseable(text));
    }
    Ok(OffsetDateTime {
        local_seconds: days * SECONDS_PER_DAY + seconds,
        nanos,
        offset,
    })
}

/// `ISO_OFFSET_TIME.parse(text)`.
pub fn parse_offset_time(text: &str) -> Result<OffsetTime, String> {
    let mut c = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    let (seconds_of_day, nanos) = time(&mut c).ok_or_else(|| unparseable(text))?;
    let offset = offset(&mut c).ok_or_else(|| unparseable(text))?;
    if c.at != c.bytes.len() {
        return Err(unparseable(text));
    }
    Ok(OffsetTime {
        seconds_of_day,
        nanos,
        offset,
    })
}

/// `yyyy-MM-dd` (a year beyond four digits signed), as days since the epoch.
fn date(c: &mut Cursor<'_>) -> Option<i64> {
    let sign = match c.peek() {
        Some(b'+') => Some(1),
        Some(b'-') => Some(-1),
        _ => None,
    };
    c.at += usize::from(sign.is_some());
    let width = c.run(10);
    let positive_sign_ok = sign != Some(1) || width > 4;
    if !(4..=10).contains(&width) || (width > 4 && sign.is_none()) || !positive_sign_ok {
        return None;
    }
    let year = c.digits(width)? * sign.unwrap_or(1);
    if year.abs() > 999_999_999 || !c.eat(b'-') {
        return None;
    }
    let month = u32::try_from(c.digits(2)?).ok()?;
    if !c.eat(b'-') {
        return None;
    }
    let day = u32::try_from(c.digits(2)?).ok()?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// `HH:mm[:ss[.fffffffff]]`, as seconds of the day and nanoseconds.
fn time(c: &mut Cursor<'_>) -> Option<(i64, u32)> {
    let hour = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    let minute = c.digits(2)?;
    let (mut second, mut nanos) = (0, 0u32);
    if c.peek() == Some(b':') {
        c.at += 1;
        second = c.digits(2)?;
        if c.peek() == Some(b'.') {
            c.at += 1;
            let width = c.run(10);
            if width > 9 {
                return None;
            }
            let fraction = if width == 0 { 0 } else { c.digits(width)? };
            nanos = (fraction * 10i64.pow(9 - width as u32)) as u32;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some((hour * 3600 + minute * 60 + second, nanos))
}

/// A lenient `+HH:MM:ss` offset or `Z`.
fn offset(c: &mut Cursor<'_>) -> Option<i32> {
    if c.eat(b'Z') {
        return Some(0);
    }
    let sign = match c.peek()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    c.at += 1;
    let hours = c.digits(2)?;
    let mut parts = [hours, 0, 0];
    for part in parts.iter_mut().skip(1) {
        let colon = c.peek() == Some(b':');
        let next = c.bytes.get(c.at + usize::from(colon)).copied();
        if !next.is_some_and(|b| b.is_ascii_digit()) {
            break;
        }
        c.at += usize::from(colon);
        *part = c.digits(2)?;
    }
    let [h, m, s] = parts;
    let total = h * 3600 + m * 60 + s;
    if m > 59 || s > 59 || total > 18 * 3600 {
        return None;
    }
    Some((sign * total) as i32)
}

/// `ISO_OFFSET_DATE_TIME.format(value)`.
pub fn format_offset_date_time(value: &OffsetDateTime) -> String {
    let days = value.local_seconds.div_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let mut out = String::with_capacity(32);
    if year > 9999 {
        let _ = write!(out, "+{year}");
    } else if year < 0 {
        let _ = write!(out, "-{:04}", -year);
    } else {
        let _ = write!(out, "{year:04}");
    }
    let _ = write!(out, "-{month:02}-{day:02}T");
    write_time(
        &mut out,
        value.local_seconds.rem_euclid(SECONDS_PER_DAY),
        value.nanos,
    );
    write_offset(&mut out, value.offset);
    out
}

/// `ISO_OFFSET_TIME.format(value)`.
pub fn format_offset_time(value: &OffsetTime) -> String {
    let mut out = String::with_capacity(24);
    write_time(&mut out, value.seconds_of_day, value.nanos);
    write_offset(&mut out, value.offset);
    out
}

fn write_time(out: &mut String, seconds: i64, nanos: u32) {
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if nanos > 0 {
        let digits = format!("{nanos:09}");
        let _ = write!(out, ".{}", digits.trim_end_matches('0'));
    }
}

fn write_offset(out: &mut String, offset: i32) {
    if offset == 0 {
        out.push('Z');
        return;
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    let _ = write!(out, "{sign}{:02}:{:02}", abs / 3600, abs / 60 % 60);
    if abs % 60 != 0 {
        let _ = write!(out, ":{:02}", abs % 60);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints_like_java() {
        let t = parse_offset_date_time("2025-01-01T11:00:02.5+01:00").expect("valid");
        assert_eq!(t.offset, 3600);
        let moved = t.with_offset_same_instant(-5 * 3600);
        assert_eq!(
            format_offset_date_time(&moved),
            "2025-01-01T05:00:02.5-05:00"
        );
        let z = parse_offset_date_time("2025-01-01t08:00z").expect("valid");
        assert_eq!(format_offset_date_time(&z), "2025-01-01T08:00:00Z");
        let odd = parse_offset_date_time("2025-06-30T23:59:59.000000001+0530").expect("valid");
        assert_eq!(
            format_offset_date_time(&odd.with_offset_same_instant(19_800 + 15)),
            "2025-07-01T00:00:14.000000001+05:30:15"
        );
        for bad in [
            "2025-02-30T00:00:00Z",
            "2025-01-01T24:00:00Z",
            "2025-01-01T00:00:00",
            "2025-01-01 00:00:00Z",
            "2025-01-01T00:00:00+19:00",
            "12025-01-01T00:00:00Z",
            "2025-01-01T00:00:00.1234567891Z",
        ] {
            assert!(parse_offset_date_time(bad).is_err(), "{bad}");
        }
        let big = parse_offset_date_time("+12025-01-01T00:00:00Z").expect("valid");
        assert_eq!(format_offset_date_time(&big), "+12025-01-01T00:00:00Z");
        let time = parse_offset_time("23:30:00-02:00").expect("valid");
        assert_eq!(
            format_offset_time(&time.with_offset_same_instant(3600)),
            "02:30:00+01:00"
        );
        assert!(parse_offset_time("23:30").is_err());
    }

    proptest! {
        #[test]
        fn civil_round_trips(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn printed_text_parses_back(seconds in -100_000_000_000i64..100_000_000_000, nanos in 0u32..1_000_000_000, offset in -64_800i32..=64_800) {
            let value = OffsetDateTime { local_seconds: seconds, nanos, offset };
            prop_assert_eq!(parse_offset_date_time(&format_offset_date_time(&value)), Ok(value));
        }
    }
}
