//! Numbers printed the way Java's `Double.toString` / `Float.toString` lay them out (which is what
//! Jackson, and so the JsonConverter, writes): the shortest digits that read back to the same value,
//! plain notation for magnitudes in [10^-3, 10^7) with at least one fractional digit (`100.0`),
//! computerized scientific notation otherwise (`1.0E21`, `4.9E-4`).
//!
//! Digits come from `ryu` (shortest round-trip); Java 17 occasionally prints one digit more than
//! the shortest, which reads back to the same value, so output compares equal as a number.

/// Java's `Double.toString(v)`. Cost: one ryu call and a small string.
pub fn format_f64(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let mut buffer = ryu::Buffer::new();
    layout(
        buffer.format_finite(v),
        v == 0.0,
        v.abs() >= 1e-3 && v.abs() < 1e7,
    )
}

/// Java's `Float.toString(v)`: the shortest digits that read back to the same `f32`.
pub fn format_f32(v: f32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let mut buffer = ryu::Buffer::new();
    layout(
        buffer.format_finite(v),
        v == 0.0,
        v.abs() >= 1e-3 && v.abs() < 1e7,
    )
}

/// Re-lays ryu's text (`-1.25e-7`, `123.5`, `1e21`) as Java does.
fn layout(ryu_text: &str, is_zero: bool, plain: bool) -> String {
    let (negative, text) = match ryu_text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, ryu_text),
    };
    let sign = if negative { "-" } else { "" };
    if is_zero {
        return format!("{sign}0.0");
    }
    // Split into significant digits and the decimal exponent of the first digit.
    let (mantissa, exp) = match text.find('e') {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    let mut digits: String = format!("{int_part}{frac_part}");
    let mut point = int_part.len() as i32 + exp; // digits before the decimal point
    let leading_zeros = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading_zeros);
    point -= leading_zeros as i32;
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if plain {
        let out = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        return format!("{sign}{out}");
    }
    let rest = if digits.len() > 1 { &digits[1..] } else { "0" };
    format!("{sign}{}.{}E{}", &digits[..1], rest, point - 1)
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
    fn floats_print_shortest_f32_digits() {
        assert_eq!(format_f32(0.1), "0.1");
        assert_eq!(format_f32(f32::MAX), "3.4028235E38");
        assert_eq!(format_f32(1.5), "1.5");
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
