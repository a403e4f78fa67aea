//! Numbers printed the way Java's `Double.toString` / `Float.toString` lay them out (which is what
//! Jackson, and so the JsonConverter, writes): the shortest digits that read back to the same value,
//! plain notation for magnitudes in [10^-3, 10^7) with at least one fractional digit (`100.0`),
//! computerized scientific notation otherwise (`1.0E21`, `4.9E-4`).
//!
//! Digits come from `zmij` (shortest round-trip, the digits `ryu` gives at about half its cost;
//! `ryu` is the oracle in the tests); Java 17 occasionally prints one digit more than the
//! shortest, which reads back to the same value, so output compares equal as a number.

/// Java's `Double.toString(v)`. Cost: one zmij call and a small string.
pub fn format_f64(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    push_f64(&mut out, v);
    // Only ASCII digits, signs, `.`, `E` and the words NaN/Infinity are ever written.
    String::from_utf8(out).unwrap_or_default()
}

/// Java's `Float.toString(v)`: the shortest digits that read back to the same `f32`.
pub fn format_f32(v: f32) -> String {
    let mut out = Vec::with_capacity(16);
    push_f32(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends Java's `Double.toString(v)` to `out`, allocating nothing (the hot path of every JSON
/// encode that carries doubles). Cost: one zmij call; a copy of its text in Java's plain range.
pub fn push_f64(out: &mut Vec<u8>, v: f64) {
    push_java(out, v);
}

/// Appends Java's `Float.toString(v)` to `out`, allocating nothing.
pub fn push_f32(out: &mut Vec<u8>, v: f32) {
    push_java(out, v);
}

/// What [`push_java`] needs of `f32` and `f64`.
trait JavaFloat: zmij::Float + std::fmt::LowerExp + std::str::FromStr + PartialEq {
    /// The value as an `f64` (exact for both types).
    fn wide(self) -> f64;
    fn is_subnormal(self) -> bool;
}

impl JavaFloat for f64 {
    fn wide(self) -> f64 {
        self
    }
    fn is_subnormal(self) -> bool {
        f64::is_subnormal(self)
    }
}

impl JavaFloat for f32 {
    fn wide(self) -> f64 {
        f64::from(self)
    }
    fn is_subnormal(self) -> bool {
        f32::is_subnormal(self)
    }
}

/// Java's `Double.toString` / `Float.toString` layout of `v`'s shortest digits.
fn push_java<F: JavaFloat>(out: &mut Vec<u8>, v: F) {
    let wide = v.wide();
    if !wide.is_finite() {
        return push_non_finite(out, wide.is_nan(), wide > 0.0);
    }
    let mut buffer = zmij::Buffer::new();
    let shortest = buffer.format_finite(v);
    if (1e-3..1e7).contains(&wide.abs()) {
        // zmij writes this range as Java does: plain notation with at least one fractional
        // digit (`100.0`, `0.00123`, `-1234567.5`), so its text is copied as it is.
        out.extend_from_slice(shortest.as_bytes());
        return;
    }
    let two = if v.is_subnormal() {
        two_digits(
            shortest,
            || format!("{v:.1e}"),
            |t| t.parse::<F>().ok() == Some(v),
        )
    } else {
        None
    };
    layout(out, two.as_deref().unwrap_or(shortest), wide == 0.0);
}

/// Java (JDK 19+) never prints fewer than two significant digits: where the shortest decimal
/// has one digit, it prints the two-digit decimal closest to the value (`Float.MIN_VALUE` is
/// `1.4E-45`, not `1E-45`). That differs from `d.0` only where the value's spacing is coarse,
/// i.e. for subnormals, the only values [`push_java`] asks about (so normal numbers never
/// allocate). `two` formats the candidate; `reads_back` checks it still denotes the value.
/// `None`: the shortest text stands.
fn two_digits(
    shortest: &str,
    two: impl FnOnce() -> String,
    reads_back: impl Fn(&str) -> bool,
) -> Option<String> {
    let mantissa = shortest.split('e').next().unwrap_or(shortest);
    // The number of significant digits up to the last non-zero one.
    let (mut count, mut last_nonzero) = (0, 0);
    for b in mantissa.bytes().filter(u8::is_ascii_digit) {
        if b != b'0' || count > 0 {
            count += 1;
            if b != b'0' {
                last_nonzero = count;
            }
        }
    }
    if last_nonzero != 1 {
        return None;
    }
    let candidate = two();
    reads_back(&candidate).then_some(candidate)
}

fn push_non_finite(out: &mut Vec<u8>, nan: bool, positive: bool) {
    out.extend_from_slice(match (nan, positive) {
        (true, _) => b"NaN",
        (false, true) => b"Infinity",
        (false, false) => b"-Infinity",
    });
}

/// Re-lays zmij's text (`-1.25e-7`, `0.0001`, `1e+21`) in Java's computerized scientific
/// notation (`-1.25E-7`, `1.0E-4`, `1.0E21`), or zero as `0.0`, onto `out`.
fn layout(out: &mut Vec<u8>, shortest: &str, is_zero: bool) {
    let text = shortest.as_bytes();
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if negative {
        out.push(b'-');
    }
    if is_zero {
        out.extend_from_slice(b"0.0");
        return;
    }
    // Significant digits (at most 17) and the position of the decimal point relative to them.
    let (mantissa, exp) = match text.iter().position(|&b| b == b'e') {
        Some(i) => (&text[..i], parse_exponent(&text[i + 1..])),
        None => (text, 0),
    };
    let mut digits = [0u8; 24];
    let mut len = 0;
    let mut point = exp;
    let mut seen_point = false;
    for &b in mantissa {
        match b {
            b'.' => seen_point = true,
            b'0' if len == 0 => {
                if seen_point {
                    point -= 1;
                }
            }
            _ => {
                if len < digits.len() {
                    digits[len] = b;
                    len += 1;
                }
                if !seen_point {
                    point += 1;
                }
            }
        }
    }
    while len > 1 && digits[len - 1] == b'0' {
        len -= 1;
    }
    let digits = &digits[..len.max(1)];
    out.push(digits[0]);
    out.push(b'.');
    out.extend_from_slice(if digits.len() > 1 { &digits[1..] } else { b"0" });
    out.push(b'E');
    let mut buffer = itoa::Buffer::new();
    out.extend_from_slice(buffer.format(point - 1).as_bytes());
}

fn parse_exponent(text: &[u8]) -> i32 {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(format_f64(0.1), "0.1");
        assert_eq!(format_f64(100.0), "100.0");
        assert_eq!(format_f64(-0.0), "-0.0");
        assert_eq!(format_f64(1e21), "1.0E21");
        assert_eq!(format_f64(123456789.12345679), "1.2345678912345679E8");
        assert_eq!(format_f64(0.001), "0.001");
        assert_eq!(format_f64(0.00012), "1.2E-4");
        assert_eq!(format_f64(9999999.0), "9999999.0");
        assert_eq!(format_f64(1e7), "1.0E7");
        assert_eq!(format_f64(-1.25), "-1.25");
        assert_eq!(format_f64(f64::NAN), "NaN");
    }

    #[test]
    fn one_digit_subnormals_get_javas_second_digit() {
        assert_eq!(format_f32(f32::from_bits(1)), "1.4E-45");
        assert_eq!(format_f32(-f32::from_bits(2)), "-2.8E-45");
        assert_eq!(format_f64(f64::from_bits(1)), "4.9E-324");
        assert_eq!(format_f32(1e-40), "1.0E-40");
        assert_eq!(format_f64(2.0), "2.0");
    }

    #[test]
    fn floats_print_shortest_f32_digits() {
        assert_eq!(format_f32(0.1), "0.1");
        assert_eq!(format_f32(f32::MAX), "3.4028235E38");
        assert_eq!(format_f32(1.5), "1.5");
    }

    #[test]
    fn digit_layouts_with_leading_zeros_and_exponents() {
        assert_eq!(format_f64(1.5e-300), "1.5E-300");
        assert_eq!(format_f64(123456.0), "123456.0");
        assert_eq!(format_f64(0.5), "0.5");
        assert_eq!(format_f64(f64::INFINITY), "Infinity");
        assert_eq!(format_f32(-1.0e-10), "-1.0E-10");
    }

    proptest::proptest! {
        #[test]
        fn doubles_read_back_and_match_rusts_value(bits in proptest::prelude::any::<u64>()) {
            let v = f64::from_bits(bits);
            proptest::prop_assume!(v.is_finite());
            let text = format_f64(v);
            proptest::prop_assert_eq!(text.parse::<f64>().unwrap(), v, "{}", text);
        }

        #[test]
        fn the_plain_range_prints_rusts_shortest_digits_with_a_fraction(
            magnitude in 1e-3f64..1e7,
            negative in proptest::prelude::any::<bool>(),
        ) {
            // Rust's `Display` prints the shortest digits in plain notation, without Java's ".0".
            let v = if negative { -magnitude } else { magnitude };
            let rust = v.to_string();
            let expected = if rust.contains('.') { rust } else { format!("{rust}.0") };
            proptest::prop_assert_eq!(format_f64(v), expected);
            // f32 digits may tie (zmij and Rust pick different neighbours): check the layout.
            let narrow = v as f32;
            if (1e-3..1e7).contains(&narrow.abs()) {
                let text = format_f32(narrow);
                let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
                proptest::prop_assert!(!fraction.is_empty() && !text.contains('E'), "{}", text);
                proptest::prop_assert!(whole.trim_start_matches('-').len() < 8, "{}", text);
                proptest::prop_assert_eq!(text.parse::<f32>().unwrap(), narrow);
            }
        }

        #[test]
        fn zmij_gives_ryus_shortest_digits(bits in proptest::prelude::any::<u64>()) {
            let v = f64::from_bits(bits);
            proptest::prop_assume!(v.is_finite());
            let narrow = v as f32;
            let (mut fast, mut oracle) = (zmij::Buffer::new(), ryu::Buffer::new());
            // zmij writes positive exponents with a sign (`1e+21`), ryu without.
            let digits = |text: &str| text.replace("e+", "e");
            proptest::prop_assert_eq!(digits(fast.format_finite(v)), oracle.format_finite(v));
            if narrow.is_finite() {
                proptest::prop_assert_eq!(
                    digits(fast.format_finite(narrow)),
                    oracle.format_finite(narrow)
                );
            }
        }

        #[test]
        fn floats_read_back(bits in proptest::prelude::any::<u32>()) {
            let v = f32::from_bits(bits);
            proptest::prop_assume!(v.is_finite());
            let text = format_f32(v);
            proptest::prop_assert_eq!(text.parse::<f32>().unwrap(), v, "{}", text);
        }
    }

    #[test]
    fn every_double_reads_back_exactly() {
        for bits in [
            1u64,
            0x3ff0_0000_0000_0001,
            0x7fef_ffff_ffff_ffff,
            0x0010_0000_0000_0000,
        ] {
            let v = f64::from_bits(bits);
            assert_eq!(format_f64(v).parse::<f64>().unwrap(), v);
        }
    }
}
