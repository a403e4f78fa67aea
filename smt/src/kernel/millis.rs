//! Connect's time units in milliseconds (its Date, Time and Timestamp are all milliseconds).

/// Milliseconds in a day: a Connect Date is a whole number of them since the epoch; a Time is
/// fewer than one.
pub const MS_PER_DAY: i64 = 86_400_000;
