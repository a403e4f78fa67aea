//! Java's `java.text.SimpleDateFormat` in UTC, as Kafka Connect uses it (TimestampConverter's
//! `format`, TimestampRouter's `timestamp.format`): the pattern letters, `'` quoting, the
//! English (`en_US`) names, the lenient `GregorianCalendar` (Julian before 1582-10-15, fields out
//! of range roll over), and `DateFormat.parse(String)`'s leniency (leading blanks before a field
//! are skipped, trailing text is ignored, a two-digit year lands within 80 years before now).
//! Week fields use `en_US`'s week rules (weeks start on Sunday, week 1 holds January 1st).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::kernel::millis::MS_PER_DAY;

/// 1582-10-15, the first Gregorian day, in days since 1970-01-01.
const CUTOVER_DAY: i64 = -141_427;
const CUTOVER_YEAR: i64 = 1582;
/// `Calendar.SUNDAY`: `en_US`'s first day of the week.
const FIRST_DAY_OF_WEEK: i64 = 1;
/// `en_US`'s minimal days in the first week.
const MIN_DAYS_IN_FIRST_WEEK: i64 = 1;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// A compiled `SimpleDateFormat` pattern, fixed to UTC. Immutable and `Send + Sync`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleDateFormat {
    items: Vec<Item>,
    /// Whether a letter reads the week fields (they cost three more calendar computations).
    weeks: bool,
    /// The pattern as a fixed-width template, where it is one.
    fixed: Option<FixedWidth>,
}

/// A pattern of ASCII literals and numeric fields each as wide as its widest value
/// (`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`, `yyyyMMdd`): every instant of the years 1 to 9999 formats
/// to the same length, so the text is the template with each field's digits written in place.
/// The fields of the day are written once per day ([`LastDay`] holds that text), those within
/// it per instant. Cost: a copy and a multiplication per two digits of the fields within the
/// day, where the general path's per-field dispatch and padding took about a thousand
/// instructions per timestamp, and writing every field about five hundred (callgrind, the
/// benchmark chain).
#[derive(Debug, Clone, PartialEq, Eq)]
struct FixedWidth {
    /// The text with zeros where the fields go.
    template: Vec<u8>,
    /// The fields of the day (years, months, days): where their digits start, their letter and
    /// width.
    day_fields: Vec<(usize, Letter, usize)>,
    /// The fields within the day (hours to milliseconds), likewise.
    time_fields: Vec<(usize, Letter, usize)>,
}

/// "00", "01", … "99": the two digits of each number below 100.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

impl FixedWidth {
    /// The longest template kept: a longer pattern (literal text, mostly) takes the general path.
    const MAX_LEN: usize = 64;

    /// The template of `items`, if each is an ASCII literal or a field of
    /// [`FixedWidth::holds`].
    fn of(items: &[Item]) -> Option<FixedWidth> {
        let mut template = Vec::new();
        let (mut day_fields, mut time_fields) = (Vec::new(), Vec::new());
        for item in items {
            match *item {
                Item::Literal(c) if c.is_ascii() => template.push(c as u8),
                Item::Field(letter, count) if FixedWidth::holds(letter, count) => {
                    let field = (template.len(), letter, count);
                    match letter {
                        Letter::Year | Letter::Month | Letter::DayOfMonth | Letter::DayOfYear => {
                            day_fields.push(field)
                        }
                        _ => time_fields.push(field),
                    }
                    template.extend(std::iter::repeat_n(b'0', count));
                }
                _ => return None,
            }
        }
        (template.len() <= FixedWidth::MAX_LEN).then_some(FixedWidth {
            template,
            day_fields,
            time_fields,
        })
    }

    /// Whether `count` digits hold every value of `letter` (years: of 1 to 9999).
    fn holds(letter: Letter, count: usize) -> bool {
        let widest = match letter {
            Letter::Year if count == 2 || count == 4 => count,
            Letter::Month if count == 2 => 2,
            Letter::DayOfMonth
            | Letter::HourOfDay0
            | Letter::HourOfDay1
            | Letter::Hour0
            | Letter::Hour1
            | Letter::Minute
            | Letter::Second => 2,
            Letter::Millisecond | Letter::DayOfYear => 3,
            _ => return false,
        };
        (widest..=18).contains(&count)
    }

    /// Appends `epoch_ms` formatted to `out`, after the instant `last` holds the day of (whose
    /// text it holds with this template's day fields written); `false` (nothing appended) for a
    /// year outside 1 to 9999. On the day `last` holds the text of (set only for years in
    /// range), the calendar is not consulted at all.
    fn write_after(&self, epoch_ms: i64, last: &mut LastDay, out: &mut String) -> bool {
        let text_of = Some((
            self as *const FixedWidth as usize,
            epoch_ms.div_euclid(MS_PER_DAY),
        ));
        if last.text_of != text_of {
            let f = last.breakdown(epoch_ms, false);
            if !(1..=9999).contains(&f.year) {
                return false;
            }
            last.text.clear();
            last.text.extend_from_slice(&self.template);
            for &(at, letter, count) in &self.day_fields {
                let value = match letter {
                    Letter::Year if count == 2 => f.year % 100,
                    Letter::Year => f.year,
                    Letter::Month => f.month,
                    numeric => f.number(numeric),
                };
                put_digits(value as u32, &mut last.text[at..at + count]);
            }
            last.text_of = text_of;
        }
        let time = TimeOfDay::of(epoch_ms.rem_euclid(MS_PER_DAY));
        for &(at, letter, count) in &self.time_fields {
            put_digits(time.number(letter), &mut last.text[at..at + count]);
        }
        // ASCII throughout (checked a word at a time, not byte by byte as `str::from_utf8`).
        match weir_formats::utf8::as_str(&last.text) {
            Some(text) => out.push_str(text),
            None => return false,
        }
        true
    }
}

/// Writes `value` as `digits.len()` decimal digits, zero-padded (it has no more digits than
/// that: see [`FixedWidth::holds`]). Right to left, two digits at a time: values below 10,000
/// (years 1 to 9999, days of a year, milliseconds) divide by multiplying.
fn put_digits(mut value: u32, digits: &mut [u8]) {
    let mut end = digits.len();
    while end >= 2 {
        let pair = (value % 100) as usize * 2;
        digits[end - 2..end].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
        value /= 100;
        end -= 2;
    }
    if end == 1 {
        digits[0] = b'0' + (value % 10) as u8;
    }
}

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Literal(char),
    Field(Letter, usize),
}

/// The pattern letters of `DateFormatSymbols.patternChars` (`GyMdkHmsSEDFwWahKzZYuXL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Letter {
    Era,
    Year,
    Month,
    DayOfMonth,
    HourOfDay1,
    HourOfDay0,
    Minute,
    Second,
    Millisecond,
    DayOfWeek,
    DayOfYear,
    DayOfWeekInMonth,
    WeekOfYear,
    WeekOfMonth,
    AmPm,
    Hour1,
    Hour0,
    ZoneName,
    ZoneValue,
    WeekYear,
    IsoDayOfWeek,
    IsoZone,
    MonthStandalone,
}

impl Letter {
    fn of(c: char) -> Option<Letter> {
        Some(match c {
            'G' => Letter::Era,
            'y' => Letter::Year,
            'M' => Letter::Month,
            'd' => Letter::DayOfMonth,
            'k' => Letter::HourOfDay1,
            'H' => Letter::HourOfDay0,
            'm' => Letter::Minute,
            's' => Letter::Second,
            'S' => Letter::Millisecond,
            'E' => Letter::DayOfWeek,
            'D' => Letter::DayOfYear,
            'F' => Letter::DayOfWeekInMonth,
            'w' => Letter::WeekOfYear,
            'W' => Letter::WeekOfMonth,
            'a' => Letter::AmPm,
            'h' => Letter::Hour1,
            'K' => Letter::Hour0,
            'z' => Letter::ZoneName,
            'Z' => Letter::ZoneValue,
            'Y' => Letter::WeekYear,
            'u' => Letter::IsoDayOfWeek,
            'X' => Letter::IsoZone,
            'L' => Letter::MonthStandalone,
            _ => return None,
        })
    }

    /// `shouldObeyCount`: whether a field directly before this one parses exactly its count of
    /// digits.
    fn abuts_numerically(self, count: usize) -> bool {
        match self {
            Letter::Month | Letter::MonthStandalone => count <= 2,
            Letter::Era
            | Letter::DayOfWeek
            | Letter::AmPm
            | Letter::ZoneName
            | Letter::ZoneValue
            | Letter::IsoZone => false,
            _ => true,
        }
    }
}

impl SimpleDateFormat {
    /// Compiles `pattern` as `new SimpleDateFormat(pattern)` does; the error is Java's
    /// `IllegalArgumentException` message (`Illegal pattern character 'q'`, `Unterminated
    /// quote`, `invalid ISO 8601 format: length=4`). Cost: one pass over the pattern.
    pub fn new(pattern: &str) -> Result<SimpleDateFormat, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut items = Vec::new();
        let mut run: Option<(Letter, usize)> = None;
        let mut in_quote = false;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            i += 1;
            if c == '\'' {
                flush(&mut run, &mut items)?;
                if chars.get(i) == Some(&'\'') {
                    i += 1;
                    items.push(Item::Literal('\''));
                } else {
                    in_quote = !in_quote;
                }
            } else if in_quote || !c.is_ascii_alphabetic() {
                flush(&mut run, &mut items)?;
                items.push(Item::Literal(c));
            } else {
                let letter =
                    Letter::of(c).ok_or_else(|| format!("Illegal pattern character '{c}'"))?;
                match &mut run {
                    Some((l, n)) if *l == letter => *n += 1,
                    _ => {
                        flush(&mut run, &mut items)?;
                        run = Some((letter, 1));
                    }
                }
            }
        }
        if in_quote {
            return Err("Unterminated quote".to_string());
        }
        flush(&mut run, &mut items)?;
        let weeks = items.iter().any(|item| {
            matches!(
                item,
                Item::Field(
                    Letter::WeekOfYear | Letter::WeekOfMonth | Letter::WeekYear,
                    _
                )
            )
        });
        let fixed = FixedWidth::of(&items);
        Ok(SimpleDateFormat {
            items,
            weeks,
            fixed,
        })
    }

    /// `format(new Date(epoch_ms))` in UTC. Cost: a calendar breakdown and one small string.
    pub fn format(&self, epoch_ms: i64) -> String {
        // Room for the usual output at once (names and long years may still grow it).
        let room = self.items.iter().fold(0, |room, item| match *item {
            Item::Literal(c) => room + c.len_utf8(),
            Item::Field(_, count) => room + count.max(4),
        });
        let mut out = String::with_capacity(room);
        self.format_into(epoch_ms, &mut out);
        out
    }

    /// [`Self::format`] appended to `out`. Cost: a calendar breakdown; no allocation once `out`
    /// has room.
    pub fn format_into(&self, epoch_ms: i64, out: &mut String) {
        self.format_into_after(epoch_ms, &mut LastDay::default(), out);
    }

    /// [`Self::format_into`] for one of many instants formatted in a row: the calendar fields
    /// come from `last` when the instant falls on the day formatted before it (records mostly
    /// arrive in time order, so most of a batch's instants share a day), and `last` then holds
    /// this instant's day. Cost: as [`Self::format_into`] less the calendar breakdown of a
    /// repeated day.
    pub fn format_into_after(&self, epoch_ms: i64, last: &mut LastDay, out: &mut String) {
        if let Some(fixed) = &self.fixed {
            if fixed.write_after(epoch_ms, last, out) {
                return;
            }
        }
        let f = last.breakdown(epoch_ms, self.weeks);
        for item in &self.items {
            match *item {
                Item::Literal(c) => out.push(c),
                Item::Field(letter, count) => f.write(letter, count, out),
            }
        }
    }

    /// The length in ms of the intervals `[k·span, (k+1)·span)` within which every instant
    /// formats to the same text: a day for patterns of dates only, down to 1 for milliseconds.
    /// In UTC hours, half-days and days start at multiples of their length since the epoch.
    /// Cost: one pass over the pattern.
    pub fn constant_span_ms(&self) -> i64 {
        self.items
            .iter()
            .map(|item| match item {
                Item::Field(Letter::Millisecond, _) => 1,
                Item::Field(Letter::Second, _) => 1_000,
                Item::Field(Letter::Minute, _) => 60_000,
                Item::Field(
                    Letter::HourOfDay0 | Letter::HourOfDay1 | Letter::Hour0 | Letter::Hour1,
                    _,
                ) => 3_600_000,
                Item::Field(Letter::AmPm, _) => MS_PER_DAY / 2,
                _ => MS_PER_DAY,
            })
            .min()
            .unwrap_or(MS_PER_DAY)
    }

    /// `parse(text).getTime()` in UTC, `None` where Java throws `ParseException`. Lenient as
    /// Java's default: blanks before a field are skipped, trailing text is ignored, values out of
    /// range roll over. Cost: one pass over `text` and a calendar computation.
    pub fn parse(&self, text: &str) -> Option<i64> {
        let text: Vec<char> = text.chars().collect();
        let mut b = Builder::default();
        let mut ambiguous_year = false;
        let mut pos = 0;
        for (i, item) in self.items.iter().enumerate() {
            match *item {
                Item::Literal(c) => {
                    if text.get(pos) != Some(&c) {
                        return None;
                    }
                    pos += 1;
                }
                Item::Field(letter, count) => {
                    let obey = match self.items.get(i + 1) {
                        Some(Item::Field(next, n)) => next.abuts_numerically(*n),
                        _ => false,
                    };
                    let field = FieldParse {
                        text: &text,
                        letter,
                        count,
                        obey,
                    };
                    pos = field.parse(pos, &mut b, &mut ambiguous_year)?;
                }
            }
        }
        if pos == 0 {
            return None;
        }
        let parsed = b.establish()?;
        if ambiguous_year && parsed < default_century_start() {
            b.add_years(100);
            return b.establish();
        }
        Some(parsed)
    }
}

fn flush(run: &mut Option<(Letter, usize)>, items: &mut Vec<Item>) -> Result<(), String> {
    if let Some((letter, count)) = run.take() {
        if letter == Letter::IsoZone && count >= 4 {
            return Err(format!("invalid ISO 8601 format: length={count}"));
        }
        items.push(Item::Field(letter, count));
    }
    Ok(())
}

/// `SimpleDateFormat.defaultCenturyStart`: 80 years before now (two-digit years land after it).
fn default_century_start() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let day = now.div_euclid(MS_PER_DAY);
    let (y, m, d) = date_of(day);
    let shifted = fixed_of(y - 80, m, d.min(month_length(y - 80, m)));
    shifted * MS_PER_DAY + now.rem_euclid(MS_PER_DAY)
}

// ---- calendar arithmetic (days since 1970-01-01, normalized years: 0 = 1 BC) ----

fn gregorian_days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn gregorian_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn julian_days(y: i64, m: i64, d: i64) -> i64 {
    let a = (14 - m) / 12;
    let y = y + 4800 - a;
    let m = m + 12 * a - 3;
    d + (153 * m + 2) / 5 + 365 * y + y.div_euclid(4) - 32_083 - 2_440_588
}

fn julian_date(days: i64) -> (i64, i64, i64) {
    let c = days + 2_440_588 + 32_082;
    let d = (4 * c + 3).div_euclid(1461);
    let e = c - (1461 * d).div_euclid(4);
    let m = (5 * e + 2) / 153;
    let day = e - (153 * m + 2) / 5 + 1;
    let month = m + 3 - 12 * (m / 10);
    (d - 4800 + m / 10, month, day)
}

/// The calendar date of a day: Julian before the cutover, Gregorian from it.
fn date_of(days: i64) -> (i64, i64, i64) {
    if days >= CUTOVER_DAY {
        gregorian_date(days)
    } else {
        julian_date(days)
    }
}

/// The day of a calendar date in the calendar in force for it.
fn fixed_of(y: i64, m: i64, d: i64) -> i64 {
    let g = gregorian_days(y, m, d);
    if g >= CUTOVER_DAY {
        g
    } else {
        julian_days(y, m, d)
    }
}

fn is_leap(y: i64) -> bool {
    if y > CUTOVER_YEAR {
        y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
    } else {
        y.rem_euclid(4) == 0
    }
}

fn month_length(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// January 1st of `y` (Julian in the cutover year).
fn jan1(y: i64) -> i64 {
    if y > CUTOVER_YEAR {
        gregorian_days(y, 1, 1)
    } else {
        julian_days(y, 1, 1)
    }
}

/// `Calendar.DAY_OF_WEEK`: 1 = Sunday … 7 = Saturday.
fn day_of_week(days: i64) -> i64 {
    (days + 4).rem_euclid(7) + 1
}

/// `getDayOfWeekDateOnOrBefore`.
fn on_or_before(days: i64, dow: i64) -> i64 {
    days - (day_of_week(days) - dow).rem_euclid(7)
}

/// The first day of week 1 of the period starting at `day1` (`getWeekNumber`'s base).
fn first_week_start(day1: i64) -> i64 {
    let start = on_or_before(day1 + 6, FIRST_DAY_OF_WEEK);
    if start - day1 >= MIN_DAYS_IN_FIRST_WEEK {
        start - 7
    } else {
        start
    }
}

fn week_number(day1: i64, day: i64) -> i64 {
    (day - first_week_start(day1)).div_euclid(7) + 1
}

/// The calendar fields of the UTC day [`SimpleDateFormat::format_into_after`] formatted last
/// and, for a fixed-width pattern, its text with that day's fields written. For one pattern's
/// instants: the text is known by the pattern's address. Cost to make: nothing.
#[derive(Debug, Default)]
pub struct LastDay {
    /// The day held: its number, whether its week fields were computed, its fields.
    held: Option<(i64, bool, Breakdown)>,
    /// Which fixed-width template (by address) `text` is, with which day's fields written.
    text_of: Option<(usize, i64)>,
    /// That template's text with the day's fields written ([`FixedWidth::write_after`]).
    text: Vec<u8>,
}

impl LastDay {
    /// The calendar fields of `epoch_ms` (the week fields when `weeks`), its day's reused when
    /// it is the day held, else computed and held.
    fn breakdown(&mut self, epoch_ms: i64, weeks: bool) -> Breakdown {
        let days = epoch_ms.div_euclid(MS_PER_DAY);
        let mut f = match self.held {
            Some((held, held_weeks, f)) if held == days && held_weeks == weeks => f,
            _ => {
                let f = Breakdown::of_day(days, weeks);
                self.held = Some((days, weeks, f));
                f
            }
        };
        f.ms_of_day = epoch_ms.rem_euclid(MS_PER_DAY);
        f
    }
}

/// `GregorianCalendar.computeFields` for a UTC instant.
#[derive(Debug, Clone, Copy)]
struct Breakdown {
    year: i64,
    month: i64,
    day: i64,
    dow: i64,
    doy: i64,
    week_of_year: i64,
    week_of_month: i64,
    week_year: i64,
    ms_of_day: i64,
}

impl Breakdown {
    /// The calendar fields of day `days` (its first instant); the week fields only when `weeks`
    /// (else 0: the pattern has no letter that reads them, and they cost three more calendar
    /// computations).
    fn of_day(days: i64, weeks: bool) -> Breakdown {
        let (year, month, day) = date_of(days);
        let year_start = jan1(year);
        let mut f = Breakdown {
            year,
            month,
            day,
            dow: day_of_week(days),
            doy: days - year_start + 1,
            week_of_year: 0,
            week_of_month: 0,
            week_year: 0,
            ms_of_day: 0,
        };
        if weeks {
            f.set_weeks(days, year_start);
        }
        f
    }

    /// Sets the week of the year and of the month and the week year of day `days`.
    fn set_weeks(&mut self, days: i64, year_start: i64) {
        let (year, month, day) = (self.year, self.month, self.day);
        let month_start = if days >= CUTOVER_DAY && year == CUTOVER_YEAR && month == 10 {
            julian_days(year, month, 1)
        } else {
            days - day + 1
        };
        let mut week_of_year = week_number(year_start, days);
        if week_of_year == 0 {
            week_of_year = week_number(jan1(year - 1), year_start - 1);
        } else if week_of_year >= 52 && days >= first_week_start(jan1(year + 1)) {
            week_of_year = 1;
        }
        self.week_year = match (month, week_of_year) {
            (1, w) if w >= 52 => year - 1,
            (m, 1) if m != 1 => year + 1,
            _ => year,
        };
        self.week_of_year = week_of_year;
        self.week_of_month = week_number(month_start, days);
    }

    fn hour(&self) -> i64 {
        self.ms_of_day / 3_600_000
    }

    fn write(&self, letter: Letter, count: usize, out: &mut String) {
        let era_year = if self.year > 0 {
            self.year
        } else {
            1 - self.year
        };
        let hour = self.hour();
        match letter {
            Letter::Era => out.push_str(if self.year > 0 { "AD" } else { "BC" }),
            Letter::Year => year_number(era_year, count, out),
            Letter::WeekYear => year_number(self.week_year, count, out),
            Letter::Month | Letter::MonthStandalone => {
                let name = MONTHS[(self.month - 1) as usize];
                match count {
                    1 | 2 => padded(self.month, count, out),
                    3 => out.push_str(&name[..3]),
                    _ => out.push_str(name),
                }
            }
            Letter::DayOfWeek => {
                let name = WEEKDAYS[(self.dow - 1) as usize];
                out.push_str(if count >= 4 { name } else { &name[..3] });
            }
            Letter::AmPm => out.push_str(if hour < 12 { "AM" } else { "PM" }),
            Letter::ZoneName => out.push_str(if count >= 4 {
                "Coordinated Universal Time"
            } else {
                "UTC"
            }),
            Letter::ZoneValue => out.push_str("+0000"),
            Letter::IsoZone => out.push('Z'),
            numeric => padded(self.number(numeric), count, out),
        }
    }

    fn number(&self, letter: Letter) -> i64 {
        match letter {
            Letter::DayOfMonth => self.day,
            Letter::HourOfDay1
            | Letter::HourOfDay0
            | Letter::Hour1
            | Letter::Hour0
            | Letter::Minute
            | Letter::Second
            | Letter::Millisecond => i64::from(TimeOfDay::of(self.ms_of_day).number(letter)),
            Letter::DayOfYear => self.doy,
            Letter::DayOfWeekInMonth => (self.day - 1) / 7 + 1,
            Letter::WeekOfYear => self.week_of_year,
            Letter::WeekOfMonth => self.week_of_month,
            Letter::IsoDayOfWeek if self.dow == 1 => 7,
            Letter::IsoDayOfWeek => self.dow - 1,
            _ => 0,
        }
    }
}

/// The fields within a UTC day, split from its milliseconds once for all of a pattern's
/// letters (by constants: multiplications, not divisions).
#[derive(Debug, Clone, Copy)]
struct TimeOfDay {
    hour: u32,
    minute: u32,
    second: u32,
    milli: u32,
}

impl TimeOfDay {
    /// The fields of `ms_of_day`, in `0..MS_PER_DAY`.
    fn of(ms_of_day: i64) -> TimeOfDay {
        let ms = ms_of_day as u32;
        let (seconds, minutes) = (ms / 1000, ms / 60_000);
        TimeOfDay {
            hour: ms / 3_600_000,
            minute: minutes % 60,
            second: seconds % 60,
            milli: ms % 1000,
        }
    }

    /// The value of a letter within the day (`H`, `k`, `K`, `h`, `m`, `s`, `S`); 0 for others.
    #[inline]
    fn number(self, letter: Letter) -> u32 {
        let hour = self.hour;
        match letter {
            Letter::HourOfDay1 if hour == 0 => 24,
            Letter::Hour1 if hour % 12 == 0 => 12,
            Letter::HourOfDay1 | Letter::HourOfDay0 => hour,
            Letter::Hour1 | Letter::Hour0 => hour % 12,
            Letter::Minute => self.minute,
            Letter::Second => self.second,
            Letter::Millisecond => self.milli,
            _ => 0,
        }
    }
}

/// A year: two digits (the last two) for a count of 2, else padded to the count.
fn year_number(year: i64, count: usize, out: &mut String) {
    if count == 2 {
        padded(year.rem_euclid(100), 2, out);
    } else {
        padded(year, count, out);
    }
}

/// `zeroPaddingNumber`: at least `count` digits (DecimalFormat caps the minimum at 309).
/// Cost: the digits written in place, no allocation.
fn padded(value: i64, count: usize, out: &mut String) {
    if value < 0 {
        out.push('-');
    }
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(value.unsigned_abs());
    let zeros = count.min(309).saturating_sub(digits.len());
    out.extend(std::iter::repeat_n('0', zeros));
    out.push_str(digits);
}

// ---- parsing ----

/// `Calendar` field indices the parser sets.
#[derive(Debug, Clone, Copy)]
enum F {
    Era,
    Year,
    Month,
    WeekOfYear,
    WeekOfMonth,
    DayOfMonth,
    DayOfYear,
    DayOfWeek,
    DayOfWeekInMonth,
    AmPm,
    Hour,
    HourOfDay,
    Minute,
    Second,
    Millisecond,
    ZoneOffset,
    DstOffset,
    WeekYear,
}

const FIELD_COUNT: usize = 18;

/// `CalendarBuilder`: each field's value and the order it was set in (0 = unset).
#[derive(Debug, Default)]
struct Builder {
    stamp: [u32; FIELD_COUNT],
    value: [i64; FIELD_COUNT],
    next: u32,
}

impl Builder {
    fn set(&mut self, field: F, value: i64) {
        self.next += 1;
        self.stamp[field as usize] = self.next;
        self.value[field as usize] = value;
    }

    fn stamp(&self, field: F) -> u32 {
        self.stamp[field as usize]
    }

    fn is_set(&self, field: F) -> bool {
        self.stamp(field) != 0
    }

    fn get(&self, field: F) -> i64 {
        self.value[field as usize]
    }

    fn add_years(&mut self, years: i64) {
        self.value[F::Year as usize] += years;
        self.value[F::WeekYear as usize] += years;
    }

    /// `establish(calendar).getTime()`: the instant, `None` where Java throws.
    fn establish(&self) -> Option<i64> {
        let mut b = Builder {
            stamp: self.stamp,
            value: self.value,
            next: self.next,
        };
        if b.is_set(F::WeekYear) && b.stamp(F::WeekYear) > b.stamp(F::Year) {
            b.set_week_date();
        }
        b.compute_time()
    }

    /// `setWeekDate(weekYear, weekOfYear, dayOfWeek)` with lenient normalization.
    fn set_week_date(&mut self) {
        let mut week = if self.is_set(F::WeekOfYear) {
            self.get(F::WeekOfYear)
        } else {
            1
        };
        let mut dow = if self.is_set(F::DayOfWeek) {
            self.get(F::DayOfWeek)
        } else {
            FIRST_DAY_OF_WEEK
        };
        if !(1..=7).contains(&dow) {
            if dow >= 8 {
                dow -= 1;
                week += dow / 7;
                dow = dow % 7 + 1;
            } else {
                // Java adds a week at a time until positive.
                let weeks = -dow / 7 + 1;
                dow += 7 * weeks;
                week -= weeks;
            }
            dow = if dow == 7 { 1 } else { dow + 1 };
        }
        let days = (dow - FIRST_DAY_OF_WEEK).rem_euclid(7) + 7 * (week - 1);
        let day = first_week_start(jan1(self.get(F::WeekYear))) + days;
        let (y, m, d) = date_of(day);
        self.set(F::Era, 1);
        self.set(F::Year, y);
        self.set(F::Month, m - 1);
        self.set(F::DayOfMonth, d);
    }

    fn aggregate(&self, a: F, b: F) -> u32 {
        if self.is_set(a) && self.is_set(b) {
            self.stamp(a).max(self.stamp(b))
        } else {
            0
        }
    }

    /// `selectFields`'s choice of the fields naming the day within the year.
    fn date_group(&self) -> DateGroup {
        let dom = self.stamp(F::DayOfMonth);
        let wom = self.aggregate(F::WeekOfMonth, F::DayOfWeek);
        let dowim = self.aggregate(F::DayOfWeekInMonth, F::DayOfWeek);
        let doy = self.stamp(F::DayOfYear);
        let woy = self.aggregate(F::WeekOfYear, F::DayOfWeek);
        let mut best = dom.max(wom).max(dowim).max(doy).max(woy);
        let (mut dom, mut wom, mut dowim) = (dom, wom, dowim);
        if best == 0 {
            wom = self.stamp(F::WeekOfMonth);
            dowim = self
                .stamp(F::DayOfWeekInMonth)
                .max(self.stamp(F::DayOfWeek));
            best = wom.max(dowim).max(self.stamp(F::WeekOfYear));
            if best == 0 {
                dom = self.stamp(F::Month);
                best = dom;
            }
        }
        let woy_stamp = self.stamp(F::WeekOfYear);
        if best == dom
            || (best == wom && self.stamp(F::WeekOfMonth) >= woy_stamp)
            || (best == dowim && self.stamp(F::DayOfWeekInMonth) >= woy_stamp)
        {
            if best == dom {
                DateGroup::DayOfMonth
            } else if wom == dowim {
                if self.stamp(F::WeekOfMonth) >= self.stamp(F::DayOfWeekInMonth) {
                    DateGroup::WeekOfMonth
                } else {
                    DateGroup::DayOfWeekInMonth
                }
            } else if best == wom {
                DateGroup::WeekOfMonth
            } else {
                DateGroup::DayOfWeekInMonth
            }
        } else if best == doy {
            DateGroup::DayOfYear
        } else {
            DateGroup::WeekOfYear
        }
    }

    /// Whether the time of day comes from `HOUR_OF_DAY` (else `HOUR` + `AM_PM`).
    fn uses_hour_of_day(&self) -> bool {
        let hod = self.stamp(F::HourOfDay);
        let mut best = self.aggregate(F::Hour, F::AmPm).max(hod);
        if best == 0 {
            best = self.stamp(F::Hour).max(self.stamp(F::AmPm));
        }
        best == 0 || best == hod
    }

    /// `GregorianCalendar.computeTime`, lenient, in UTC.
    fn compute_time(&self) -> Option<i64> {
        let mut year = if self.is_set(F::Year) {
            self.get(F::Year)
        } else {
            1970
        };
        if self.is_set(F::Era) && self.get(F::Era) == 0 {
            year = 1 - year;
        }
        let mut time = if self.uses_hour_of_day() {
            self.get(F::HourOfDay)
        } else {
            self.get(F::Hour) + 12 * self.get(F::AmPm)
        };
        time = time.checked_mul(60)?.checked_add(self.get(F::Minute))?;
        time = time.checked_mul(60)?.checked_add(self.get(F::Second))?;
        time = time
            .checked_mul(1000)?
            .checked_add(self.get(F::Millisecond))?;
        let day_offset = time.div_euclid(MS_PER_DAY);
        let time_of_day = time.rem_euclid(MS_PER_DAY);
        let group = self.date_group();
        let gregorian = self.fixed_date(group, year, Calendar::Gregorian)?;
        let julian = self.fixed_date(group, year, Calendar::Julian)?;
        let by_year_start = matches!(group, DateGroup::DayOfYear | DateGroup::WeekOfYear);
        let date = if year < CUTOVER_YEAR || (year == CUTOVER_YEAR && by_year_start) {
            julian
        } else if gregorian + day_offset >= CUTOVER_DAY {
            gregorian
        } else {
            julian
        };
        let zone = self.zone_part(F::ZoneOffset) + self.zone_part(F::DstOffset);
        date.checked_add(day_offset)?
            .checked_mul(MS_PER_DAY)?
            .checked_add(time_of_day)?
            .checked_sub(zone)
    }

    fn zone_part(&self, field: F) -> i64 {
        if self.is_set(field) {
            self.get(field)
        } else {
            0
        }
    }

    /// `getFixedDate(cal, year, fieldMask)`: the day the date fields name in one calendar.
    fn fixed_date(&self, group: DateGroup, year: i64, cal: Calendar) -> Option<i64> {
        let by_month = matches!(
            group,
            DateGroup::DayOfMonth | DateGroup::WeekOfMonth | DateGroup::DayOfWeekInMonth
        );
        let (mut year, mut month) = (year, 0);
        if by_month {
            let m = self.get(F::Month);
            year = year.checked_add(m.div_euclid(12))?;
            month = m.rem_euclid(12);
        }
        if year.abs() > 300_000_000 {
            return None;
        }
        let first = cal.days(year, month + 1, 1);
        let dow = if self.is_set(F::DayOfWeek) {
            self.get(F::DayOfWeek)
        } else {
            FIRST_DAY_OF_WEEK
        };
        Some(match group {
            DateGroup::DayOfMonth if self.is_set(F::DayOfMonth) => {
                first.checked_add(self.get(F::DayOfMonth) - 1)?
            }
            DateGroup::DayOfMonth => first,
            DateGroup::WeekOfMonth => {
                let mut start = first_week_start(first);
                if self.is_set(F::DayOfWeek) {
                    start = on_or_before(start + 6, dow);
                }
                start.checked_add(7 * (self.get(F::WeekOfMonth) - 1))?
            }
            DateGroup::DayOfWeekInMonth => {
                let dowim = if self.is_set(F::DayOfWeekInMonth) {
                    self.get(F::DayOfWeekInMonth)
                } else {
                    1
                };
                if dowim >= 0 {
                    on_or_before(first.checked_add(7 * dowim - 1)?, dow)
                } else {
                    let last = month_length(year, month + 1) + 7 * (dowim + 1);
                    on_or_before(first.checked_add(last - 1)?, dow)
                }
            }
            DateGroup::DayOfYear => first.checked_add(self.get(F::DayOfYear) - 1)?,
            DateGroup::WeekOfYear => {
                let mut start = first_week_start(first);
                if self.is_set(F::DayOfWeek) && dow != FIRST_DAY_OF_WEEK {
                    start = on_or_before(start + 6, dow);
                }
                start.checked_add(7 * (self.get(F::WeekOfYear) - 1))?
            }
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum DateGroup {
    DayOfMonth,
    WeekOfMonth,
    DayOfWeekInMonth,
    DayOfYear,
    WeekOfYear,
}

#[derive(Debug, Clone, Copy)]
enum Calendar {
    Gregorian,
    Julian,
}

impl Calendar {
    fn days(self, y: i64, m: i64, d: i64) -> i64 {
        match self {
            Calendar::Gregorian => gregorian_days(y, m, d),
            Calendar::Julian => julian_days(y, m, d),
        }
    }
}

/// One field of the pattern being parsed (`subParse`).
struct FieldParse<'a> {
    text: &'a [char],
    letter: Letter,
    count: usize,
    obey: bool,
}

impl FieldParse<'_> {
    /// Parses the field at `start`; the position after it, `None` on failure.
    fn parse(&self, start: usize, b: &mut Builder, ambiguous_year: &mut bool) -> Option<usize> {
        let text = self.text;
        let mut pos = start;
        while matches!(text.get(pos), Some(' ' | '\t')) {
            pos += 1;
        }
        if pos >= text.len() {
            return None;
        }
        let count = self.count;
        match self.letter {
            Letter::Era => match_names(text, start, &["BC", "AD"]).map(|(i, end)| {
                b.set(F::Era, i as i64);
                end
            }),
            Letter::Year | Letter::WeekYear => {
                let (value, end) = self.number(pos)?;
                let two_digits = count <= 2
                    && end - pos == 2
                    && text[pos].is_ascii_digit()
                    && text[pos + 1].is_ascii_digit();
                let value = if two_digits {
                    let century_start = date_of(default_century_start().div_euclid(MS_PER_DAY)).0;
                    let ambiguous = century_start % 100;
                    *ambiguous_year = value == ambiguous;
                    value + century_start / 100 * 100 + if value < ambiguous { 100 } else { 0 }
                } else {
                    value
                };
                let field = if self.letter == Letter::Year {
                    F::Year
                } else {
                    F::WeekYear
                };
                b.set(field, value);
                Some(end)
            }
            Letter::Month | Letter::MonthStandalone if count <= 2 => {
                let (value, end) = self.number(pos)?;
                b.set(F::Month, value - 1);
                Some(end)
            }
            Letter::Month | Letter::MonthStandalone => {
                let short: Vec<&str> = MONTHS.iter().map(|m| &m[..3]).collect();
                let (i, end) = match_names(text, start, &MONTHS)
                    .or_else(|| match_names(text, start, &short))?;
                b.set(F::Month, i as i64);
                Some(end)
            }
            Letter::DayOfWeek => {
                let short: Vec<&str> = WEEKDAYS.iter().map(|d| &d[..3]).collect();
                let (i, end) = match_names(text, start, &WEEKDAYS)
                    .or_else(|| match_names(text, start, &short))?;
                b.set(F::DayOfWeek, i as i64 + 1);
                Some(end)
            }
            Letter::AmPm => match_names(text, start, &["AM", "PM"]).map(|(i, end)| {
                b.set(F::AmPm, i as i64);
                end
            }),
            Letter::HourOfDay1 => {
                let (value, end) = self.number(pos)?;
                b.set(F::HourOfDay, if value == 24 { 0 } else { value });
                Some(end)
            }
            Letter::Hour1 => {
                let (value, end) = self.number(pos)?;
                b.set(F::Hour, if value == 12 { 0 } else { value });
                Some(end)
            }
            Letter::ZoneName | Letter::ZoneValue => parse_zone(text, start, pos, b),
            Letter::IsoZone => parse_iso_zone(text, pos, count, b),
            Letter::IsoDayOfWeek => {
                let (value, end) = self.number(pos)?;
                let dow = match value {
                    7 => 1,
                    1..=6 => value + 1,
                    other => other,
                };
                b.set(F::DayOfWeek, dow);
                Some(end)
            }
            numeric => {
                let (value, end) = self.number(pos)?;
                b.set(numeric_field(numeric), value);
                Some(end)
            }
        }
    }

    /// The number at `pos` (`DecimalFormat.parse(...).intValue()`), limited to the field's
    /// count when the next field abuts it.
    fn number(&self, pos: usize) -> Option<(i64, usize)> {
        let limit = if self.obey {
            let end = pos.checked_add(self.count)?;
            if end > self.text.len() {
                return None;
            }
            end
        } else {
            self.text.len()
        };
        parse_decimal(&self.text[..limit], pos)
    }
}

fn numeric_field(letter: Letter) -> F {
    match letter {
        Letter::DayOfMonth => F::DayOfMonth,
        Letter::HourOfDay0 => F::HourOfDay,
        Letter::Minute => F::Minute,
        Letter::Second => F::Second,
        Letter::Millisecond => F::Millisecond,
        Letter::DayOfYear => F::DayOfYear,
        Letter::DayOfWeekInMonth => F::DayOfWeekInMonth,
        Letter::WeekOfYear => F::WeekOfYear,
        Letter::WeekOfMonth => F::WeekOfMonth,
        _ => F::Hour,
    }
}

/// `matchString`: the longest of `names` at `start`, case-insensitively, with its index.
fn match_names(text: &[char], start: usize, names: &[&str]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, name) in names.iter().enumerate() {
        let len = name.chars().count();
        if len > best.map_or(0, |(_, l)| l) && region_matches(text, start, name) {
            best = Some((i, len));
        }
    }
    best.map(|(i, len)| (i, start + len))
}

fn region_matches(text: &[char], start: usize, name: &str) -> bool {
    let mut pos = start;
    for c in name.chars() {
        match text.get(pos) {
            Some(t) if t.eq_ignore_ascii_case(&c) => pos += 1,
            _ => return false,
        }
    }
    true
}

/// `DecimalFormat.parse` with `parseIntegerOnly` and no grouping (en_US symbols), then
/// `Number.intValue()`: the value and the position after it.
fn parse_decimal(text: &[char], start: usize) -> Option<(i64, usize)> {
    if region_matches_exact(text, start, "NaN") {
        return Some((0, start + 3));
    }
    let negative = text.get(start) == Some(&'-');
    let mut pos = start + usize::from(negative);
    let mut digits = String::new();
    let mut saw_digit = false;
    while let Some(d) = text.get(pos).and_then(|c| c.to_digit(10)) {
        saw_digit = true;
        if !(digits.is_empty() && d == 0) {
            digits.push(char::from(b'0' + d as u8));
        }
        pos += 1;
    }
    if !saw_digit {
        return None;
    }
    let mut exponent = 0i64;
    if text.get(pos) == Some(&'E') {
        let exp_negative = text.get(pos + 1) == Some(&'-');
        let mut p = pos + 1 + usize::from(exp_negative);
        let mut exp = String::new();
        while let Some(c) = text.get(p).filter(|c| c.is_ascii_digit()) {
            exp.push(*c);
            p += 1;
        }
        if !exp.is_empty() {
            let e: i64 = exp.parse().unwrap_or(i64::from(i32::MAX));
            exponent = if exp_negative { -e } else { e };
            pos = p;
        }
    }
    Some((int_value(&digits, exponent, negative), pos))
}

fn region_matches_exact(text: &[char], start: usize, s: &str) -> bool {
    s.chars()
        .enumerate()
        .all(|(i, c)| text.get(start + i) == Some(&c))
}

/// `Number.intValue()` of ±`digits`×10^`exponent`: a `Long`'s low 32 bits when the number is a
/// long integer, else a `Double` saturated to int.
fn int_value(digits: &str, exponent: i64, negative: bool) -> i64 {
    let significant = digits.trim_end_matches('0');
    if significant.is_empty() {
        return 0;
    }
    let decimal_at = digits.len() as i64 + exponent;
    if decimal_at >= significant.len() as i64 && decimal_at <= 19 {
        let mut text = significant.to_string();
        text.extend(std::iter::repeat_n(
            '0',
            (decimal_at - significant.len() as i64) as usize,
        ));
        let parsed = if negative {
            format!("-{text}").parse::<i64>()
        } else {
            text.parse::<i64>()
        };
        if let Ok(long) = parsed {
            return i64::from(long as i32);
        }
    }
    let mantissa: f64 = format!("0.{significant}").parse().unwrap_or(0.0);
    let value = mantissa * 10f64.powi(decimal_at.clamp(-400, 400) as i32);
    let value = if negative { -value } else { value };
    i64::from(value as i32)
}

/// The `z` / `Z` zone: `+hhmm` / `-hhmm`, `GMT[+-h[h][:mm]]`, or a zone name.
fn parse_zone(text: &[char], start: usize, pos: usize, b: &mut Builder) -> Option<usize> {
    let c = *text.get(pos)?;
    if c == '+' || c == '-' {
        let sign = if c == '+' { 1 } else { -1 };
        return numeric_zone(text, pos + 1, sign, 0, false, b);
    }
    if (c == 'G' || c == 'g') && text.len() - start >= 3 && region_matches(text, start, "GMT") {
        let after = start + 3;
        return match text.get(after) {
            Some('+') => numeric_zone(text, after + 1, 1, 0, true, b),
            Some('-') => numeric_zone(text, after + 1, -1, 0, true, b),
            _ => {
                b.set(F::ZoneOffset, 0);
                b.set(F::DstOffset, 0);
                Some(after)
            }
        };
    }
    zone_name(text, pos, b)
}

/// English zone names Java knows, with their raw and daylight offsets in hours (a short list:
/// UTC and the common North American and Central European abbreviations).
const ZONE_NAMES: [(&str, i64, i64); 16] = [
    ("Coordinated Universal Time", 0, 0),
    ("UTC", 0, 0),
    ("Eastern Standard Time", -5, 0),
    ("Eastern Daylight Time", -5, 1),
    ("EST", -5, 0),
    ("EDT", -5, 1),
    ("CST", -6, 0),
    ("CDT", -6, 1),
    ("MST", -7, 0),
    ("MDT", -7, 1),
    ("Pacific Standard Time", -8, 0),
    ("Pacific Daylight Time", -8, 1),
    ("PST", -8, 0),
    ("PDT", -8, 1),
    ("CET", 1, 0),
    ("CEST", 1, 1),
];

fn zone_name(text: &[char], pos: usize, b: &mut Builder) -> Option<usize> {
    let (name, raw, dst) = ZONE_NAMES
        .iter()
        .find(|(name, _, _)| region_matches(text, pos, name))?;
    b.set(F::ZoneOffset, raw * 3_600_000);
    b.set(F::DstOffset, dst * 3_600_000);
    Some(pos + name.chars().count())
}

/// The `X` zone: `Z`, or `+hh`, `+hhmm`, `+hh:mm` by count.
fn parse_iso_zone(text: &[char], pos: usize, count: usize, b: &mut Builder) -> Option<usize> {
    match text.get(pos)? {
        'Z' => {
            b.set(F::ZoneOffset, 0);
            b.set(F::DstOffset, 0);
            Some(pos + 1)
        }
        '+' => numeric_zone(text, pos + 1, 1, count, count == 3, b),
        '-' => numeric_zone(text, pos + 1, -1, count, count == 3, b),
        _ => None,
    }
}

/// `subParseNumericZone`: `hh[[:]mm]` after a sign.
fn numeric_zone(
    text: &[char],
    start: usize,
    sign: i64,
    count: usize,
    colon: bool,
    b: &mut Builder,
) -> Option<usize> {
    let digit = |i: usize| text.get(i).and_then(|c| c.to_digit(10)).map(i64::from);
    let mut pos = start;
    let mut hours = digit(pos)?;
    pos += 1;
    match digit(pos) {
        Some(d) => {
            hours = hours * 10 + d;
            pos += 1;
        }
        None if count > 0 || !colon => return None,
        None => {}
    }
    if hours > 23 {
        return None;
    }
    let mut minutes = 0;
    if count != 1 {
        if colon {
            if text.get(pos) != Some(&':') {
                return None;
            }
            pos += 1;
        }
        minutes = digit(pos)? * 10 + digit(pos + 1)?;
        pos += 2;
        if minutes > 59 {
            return None;
        }
    }
    b.set(F::ZoneOffset, sign * (hours * 60 + minutes) * 60_000);
    b.set(F::DstOffset, 0);
    Some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fmt(pattern: &str) -> SimpleDateFormat {
        SimpleDateFormat::new(pattern).unwrap()
    }

    #[test]
    fn numeric_patterns_are_fixed_width_and_named_ones_are_not() {
        for fixed in [
            "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
            "yyyyMMdd",
            "'at' HH 'o''clock'",
        ] {
            assert!(fmt(fixed).fixed.is_some(), "{fixed}");
        }
        for general in [
            "MMM yyyy", "yyy-M-d", "yyyyy", "H:m:s", "EEE", "w", "'é' HH",
        ] {
            assert!(fmt(general).fixed.is_none(), "{general}");
        }
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").format(1_700_000_000_123),
            "2023-11-14T22:13:20.123Z"
        );
    }

    #[test]
    fn pattern_errors_are_javas() {
        assert_eq!(
            SimpleDateFormat::new("yyyy-qq").unwrap_err(),
            "Illegal pattern character 'q'"
        );
        assert_eq!(
            SimpleDateFormat::new("yyyy'T").unwrap_err(),
            "Unterminated quote"
        );
        assert_eq!(
            SimpleDateFormat::new("XXXX").unwrap_err(),
            "invalid ISO 8601 format: length=4"
        );
        assert!(SimpleDateFormat::new("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").is_ok());
    }

    #[test]
    fn constant_spans_follow_the_finest_field() {
        let span = |pattern: &str| fmt(pattern).constant_span_ms();
        assert_eq!(span("yyyyMMdd"), MS_PER_DAY);
        assert_eq!(span("'literal only'"), MS_PER_DAY);
        assert_eq!(span("yyyy a"), MS_PER_DAY / 2);
        assert_eq!(span("yyyy-MM-dd-HH"), 3_600_000);
        assert_eq!(span("mm"), 60_000);
        assert_eq!(span("HH:mm:ss"), 1_000);
        assert_eq!(span("ss.SSS"), 1);
    }

    #[test]
    fn formats_like_java() {
        // 2024-02-29T13:05:09.007Z, a Thursday.
        let t = 1_709_211_909_007;
        assert_eq!(
            fmt("yyyy-MM-dd HH:mm:ss.SSS").format(t),
            "2024-02-29 13:05:09.007"
        );
        assert_eq!(
            fmt("EEE, d MMM yyyy HH:mm:ss Z").format(t),
            "Thu, 29 Feb 2024 13:05:09 +0000"
        );
        assert_eq!(fmt("EEEE MMMM yy G").format(t), "Thursday February 24 AD");
        assert_eq!(
            fmt("h:mm a k K z zzzz X").format(t),
            "1:05 PM 13 1 UTC Coordinated Universal Time Z"
        );
        assert_eq!(fmt("D w W F u").format(t), "60 9 5 5 4");
        assert_eq!(fmt("'it''s' ''yyyy''").format(t), "it's '2024'");
        assert_eq!(fmt("y").format(0), "1970");
        assert_eq!(fmt("k").format(0), "24");
        assert_eq!(fmt("h a").format(0), "12 AM");
        assert_eq!(fmt("SSSSS").format(7), "00007");
    }

    #[test]
    fn formats_julian_and_bc_dates() {
        // 1582-10-15 Gregorian follows 1582-10-04 Julian.
        let cutover = CUTOVER_DAY * MS_PER_DAY;
        assert_eq!(fmt("yyyy-MM-dd").format(cutover), "1582-10-15");
        assert_eq!(fmt("yyyy-MM-dd").format(cutover - MS_PER_DAY), "1582-10-04");
        assert_eq!(
            fmt("yyyy-MM-dd G").format(-62_135_769_600_000),
            "0001-01-01 AD"
        );
        assert_eq!(
            fmt("yyyy-MM-dd G").format(-62_135_769_600_001),
            "0001-12-31 BC"
        );
    }

    #[test]
    fn week_year_wraps_at_year_end() {
        // 2024-12-31 is a Tuesday in the week holding 2025-01-01.
        let t = gregorian_days(2024, 12, 31) * MS_PER_DAY;
        assert_eq!(fmt("YYYY w").format(t), "2025 1");
        assert_eq!(
            fmt("YYYY-ww-u").parse("2025-01-2"),
            Some(gregorian_days(2024, 12, 31) * MS_PER_DAY)
        );
    }

    #[test]
    fn parses_like_java() {
        let p = fmt("yyyy-MM-dd HH:mm:ss");
        assert_eq!(p.parse("2024-02-29 13:05:09"), Some(1_709_211_909_000));
        // Leading blanks before a field, trailing text, and out-of-range values roll over.
        assert_eq!(
            p.parse("2024-02-29  13:05:09 trailing"),
            Some(1_709_211_909_000)
        );
        assert_eq!(
            p.parse("2024-02-30 00:00:00"),
            p.parse("2024-03-01 00:00:00")
        );
        assert_eq!(
            p.parse("2024-13-01 00:00:00"),
            p.parse("2025-01-01 00:00:00")
        );
        assert_eq!(p.parse("2024-02-29"), None);
        assert_eq!(p.parse("2024/02/29 13:05:09"), None);
        assert_eq!(
            fmt("yyyyMMdd").parse("20240229"),
            Some(gregorian_days(2024, 2, 29) * MS_PER_DAY)
        );
        assert_eq!(
            fmt("yyyy").parse("-1"),
            Some(julian_days(-1, 1, 1) * MS_PER_DAY)
        );
        assert_eq!(fmt("").parse("anything"), None);
    }

    #[test]
    fn parses_names_and_zones() {
        let rfc = fmt("EEE, d MMM yyyy HH:mm:ss Z");
        assert_eq!(
            rfc.parse("Thu, 29 Feb 2024 13:05:09 +0000"),
            Some(1_709_211_909_000)
        );
        assert_eq!(
            rfc.parse("mon, 29 feb 2024 15:05:09 +0200"),
            Some(1_709_211_909_000)
        );
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mmXXX").parse("2024-02-29T14:05+01:00"),
            Some(1_709_211_900_000)
        );
        assert_eq!(
            fmt("HH:mm z").parse("13:05 GMT-01:30"),
            Some((14 * 60 + 35) * 60_000)
        );
        assert_eq!(
            fmt("HH:mm z").parse("13:05 PST"),
            Some(21 * 3_600_000 + 5 * 60_000)
        );
        assert_eq!(
            fmt("hh:mm a").parse("12:30 PM"),
            Some(12 * 3_600_000 + 30 * 60_000)
        );
        assert_eq!(
            fmt("MMMM d yyyy G").parse("MARCH 1 44 BC"),
            Some(julian_days(-43, 3, 1) * MS_PER_DAY)
        );
    }

    #[test]
    fn two_digit_years_land_in_the_default_century() {
        let p = fmt("yy-MM-dd");
        let start = date_of(default_century_start().div_euclid(MS_PER_DAY)).0;
        let before = (start - 1).rem_euclid(100);
        let parsed = p.parse(&format!("{before:02}-06-01")).unwrap();
        assert_eq!(date_of(parsed.div_euclid(MS_PER_DAY)).0, start - 1 + 100);
        // Three digits are literal.
        assert_eq!(
            p.parse("024-01-01"),
            Some(julian_days(24, 1, 1) * MS_PER_DAY)
        );
    }

    #[test]
    fn numbers_follow_decimal_format() {
        assert_eq!(parse_decimal(&['1', '2', 'x'], 0), Some((12, 2)));
        assert_eq!(parse_decimal(&['-', '0', '7'], 0), Some((-7, 3)));
        assert_eq!(parse_decimal(&['1', 'E', '3'], 0), Some((1000, 3)));
        assert_eq!(parse_decimal(&['1', 'E', 'x'], 0), Some((1, 1)));
        assert_eq!(parse_decimal(&['x'], 0), None);
        let big: Vec<char> = "4294967297".chars().collect();
        assert_eq!(parse_decimal(&big, 0), Some((1, 10)));
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(ms in -20_000_000_000_000i64..20_000_000_000_000i64) {
            let p = fmt("G yyyy-MM-dd HH:mm:ss.SSS Z");
            prop_assert_eq!(p.parse(&p.format(ms)), Some(ms));
        }

        #[test]
        fn padded_numbers_have_at_least_count_digits(value in -20_000i64..20_000, count in 1usize..7) {
            let mut out = String::from("x");
            padded(value, count, &mut out);
            let sign = if value < 0 { "-" } else { "" };
            prop_assert_eq!(out, format!("x{sign}{:0>count$}", value.unsigned_abs()));
        }

        #[test]
        fn fixed_width_templates_format_as_the_fields_do(
            ms in prop_oneof![
                -20_000_000_000_000i64..20_000_000_000_000i64,
                -400_000_000_000_000i64..400_000_000_000_000i64,
            ],
            pattern in prop::sample::select(vec![
                "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "yyyyMMdd", "yy-MM-dd kk:mm", "hh:mm KK",
                "DDD SSSS yyyy", "yyyyMMddHH", "MMM yyyy", "yyy-M-d", "yyyyy", "H:m:s",
                "dd/MM/yyyy HH.mm.ss", "'at' HH 'o''clock'",
            ]),
        ) {
            let p = fmt(pattern);
            let general = SimpleDateFormat { fixed: None, ..p.clone() };
            let (mut fast, mut slow) = (String::from("x"), String::from("x"));
            p.format_into(ms, &mut fast);
            general.format_into(ms, &mut slow);
            prop_assert_eq!(fast, slow);
        }

        /// Instants formatted in a row after one another (the day of the one before held) read
        /// as each formatted alone: runs within a day, across midnight, and far apart, with and
        /// without week fields.
        #[test]
        fn a_held_day_formats_as_a_fresh_one(
            start in -20_000_000_000_000i64..20_000_000_000_000i64,
            steps in prop::collection::vec(prop_oneof![
                0i64..4_000_000,
                -4_000_000i64..0,
                -90_000_000_000i64..90_000_000_000,
            ], 1..12),
            pattern in prop::sample::select(vec![
                "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "yyyy-MM-dd EEE D F w W Y u", "HH:mm:ss",
                "yyyyMMdd", "yy-MM-dd kk:mm", "hh:mm KK", "DDD SSSS yyyy", "HHH:mmmm",
            ]),
        ) {
            let p = fmt(pattern);
            let mut last = LastDay::default();
            let mut ms = start;
            for step in steps {
                ms += step;
                let mut after = String::new();
                p.format_into_after(ms, &mut last, &mut after);
                prop_assert_eq!(after, p.format(ms));
            }
        }

        #[test]
        fn calendars_invert(days in -200_000_000i64..200_000_000i64) {
            let (y, m, d) = gregorian_date(days);
            prop_assert_eq!(gregorian_days(y, m, d), days);
            let (y, m, d) = julian_date(days);
            prop_assert_eq!(julian_days(y, m, d), days);
        }

        #[test]
        fn every_instant_of_a_constant_span_formats_alike(
            ms in -20_000_000_000_000i64..20_000_000_000_000i64,
            pattern in prop::sample::select(vec![
                "yyyyMMdd", "yyyy-MM-dd EEE D F w W Y u", "yyyyMMddHH", "hh a", "K a z",
                "yyyy-MM-dd'T'HH:mm", "mm:ss", "HH:mm:ss.SSS", "'at' G",
            ]),
        ) {
            let p = fmt(pattern);
            let span = p.constant_span_ms();
            let start = ms.div_euclid(span) * span;
            prop_assert_eq!(p.format(ms), p.format(start));
            prop_assert_eq!(p.format(ms), p.format(start + span - 1));
            let mut appended = String::from("x");
            p.format_into(ms, &mut appended);
            prop_assert_eq!(appended, format!("x{}", p.format(ms)));
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,24}", ms in any::<i64>()) {
            for pattern in ["yyyy-MM-dd HH:mm:ss", "EEE MMM d yy z", "yyyyMMddHHmmssSSS", "Y w u X", "D F W k K h a"] {
                let p = fmt(pattern);
                let _ = p.parse(&text);
                let _ = p.format(ms);
            }
        }
    }
}
