//! The dates and times ProtobufData builds with a non-lenient `java.util.Calendar` (UTC):
//! `google.type.Date` → days since the epoch on the Julian calendar before the Gregorian
//! cut-over (1582-10-15) and the Gregorian one after, and `google.type.TimeOfDay` →
//! milliseconds since midnight. Out-of-range fields fail as the Calendar does (naming the field).

use crate::java_date::{civil_from_days, days_from_civil};

/// Days from 0001-01-01 (Julian) to the epoch, as Java's GregorianCalendar counts.
fn julian_days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Julian day number of the Julian calendar date, minus the JDN of 1970-01-01 (2440588).
    let a = (14 - i64::from(month)) / 12;
    let y = year + 4800 - a;
    let m = i64::from(month) + 12 * a - 3;
    let jdn = i64::from(day) + (153 * m + 2) / 5 + 365 * y + y / 4 - 32083;
    jdn - 2_440_588
}

fn is_leap(year: i64, julian: bool) -> bool {
    if julian {
        year % 4 == 0
    } else {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }
}

/// Days since 1970-01-01 of `year-month-day`, or the Calendar field that is out of range.
pub fn date_to_days(year: i32, month: i32, day: i32) -> Result<i64, String> {
    if year <= 0 {
        return Err("IllegalArgumentException: YEAR".into());
    }
    if !(1..=12).contains(&month) {
        return Err("IllegalArgumentException: MONTH".into());
    }
    let (y, m) = (i64::from(year), month as u32);
    let julian = (y, m, day) < (1582, 10, 15);
    let days_in_month = match m {
        2 if is_leap(y, julian) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day < 1 || day > days_in_month || (y, m) == (1582, 10) && (5..15).contains(&day) {
        return Err("IllegalArgumentException: DAY_OF_MONTH".into());
    }
    Ok(if julian {
        julian_days_from_civil(y, m, day as u32)
    } else {
        days_from_civil(y, m, day as u32)
    })
}

/// Milliseconds since midnight of a time of day, or the Calendar field that is out of range.
pub fn time_of_day_to_millis(
    hours: i32,
    minutes: i32,
    seconds: i32,
    nanos: i32,
) -> Result<i64, String> {
    if !(0..=23).contains(&hours) {
        return Err("IllegalArgumentException: HOUR_OF_DAY".into());
    }
    if !(0..=59).contains(&minutes) {
        return Err("IllegalArgumentException: MINUTE".into());
    }
    if !(0..=59).contains(&seconds) {
        return Err("IllegalArgumentException: SECOND".into());
    }
    if !(0..=999_999_999).contains(&nanos) {
        return Err("IllegalArgumentException: MILLISECOND".into());
    }
    Ok(
        ((i64::from(hours) * 60 + i64::from(minutes)) * 60 + i64::from(seconds)) * 1000
            + i64::from(nanos / 1_000_000),
    )
}

/// The (year, month, day) Java's Calendar shows for `days` since the epoch (Julian before the
/// Gregorian cut-over): the inverse of [`date_to_days`].
pub fn days_to_date(days: i64) -> (i64, u32, u32) {
    if days >= -141_427 {
        return civil_from_days(days);
    }
    let c = days + 2_440_588 + 32_082;
    let d = (4 * c + 3).div_euclid(1461);
    let e = c - (1461 * d).div_euclid(4);
    let m = (5 * e + 2).div_euclid(153);
    let day = e - (153 * m + 2).div_euclid(5) + 1;
    let month = m + 3 - 12 * (m / 10);
    let year = d - 4800 + m / 10;
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_javas_gregorian_calendar() {
        assert_eq!(date_to_days(1970, 1, 1), Ok(0));
        assert_eq!(date_to_days(2024, 2, 29), Ok(19782));
        // 0001-01-01 is on the Julian calendar: two days before the proleptic Gregorian one.
        assert_eq!(date_to_days(1, 1, 1), Ok(-719164));
        assert_eq!(date_to_days(1582, 10, 15), Ok(-141427));
        assert_eq!(date_to_days(1582, 10, 4), Ok(-141428));
        assert!(date_to_days(0, 1, 1).unwrap_err().contains("YEAR"));
        assert!(date_to_days(2023, 2, 29).is_err());
        for (y, m, d) in [
            (1, 1, 1),
            (1582, 10, 4),
            (1582, 10, 15),
            (2024, 2, 29),
            (1000, 2, 29),
        ] {
            let days = date_to_days(y, m, d).expect("valid");
            assert_eq!(days_to_date(days), (i64::from(y), m as u32, d as u32));
        }
    }

    #[test]
    fn times_of_day_are_milliseconds() {
        assert_eq!(
            time_of_day_to_millis(13, 14, 15, 16_000_000),
            Ok(47_655_016)
        );
        assert!(time_of_day_to_millis(24, 0, 0, 0).is_err());
    }
}
