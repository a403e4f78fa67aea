//! The JSON text Jackson writes, byte for byte where it matters: string escaping (`"`, `\`, control
//! characters as `\n`-style or `\u00XX` escapes, characters outside the BMP as escaped surrogate
//! pairs, everything else raw UTF-8) and Java's number layout.
//!
//! Hand-written because it is the hot path of every encode: the escaper copies runs of plain bytes
//! with one `extend_from_slice` each and looks at a byte only to find the next one to escape.
//! `json::reference::write_json_string` is the oracle it is tested against.

use crate::java_number::{push_f32, push_f64};

/// Whether byte `b` starts something the escaper must rewrite.
#[inline]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || b >= 0xF0
}

/// The bytes of `x` that need the escaper (< 0x20, `"`, `\`, or a 4-byte UTF-8 lead >= 0xF0), as
/// each byte's high bit (SWAR). The lowest set bit is exact: a false positive (a borrow) only ever
/// lies above a true one.
#[inline]
fn escape_mask(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let control = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    let quote = zero_byte(x ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(x ^ (ONES * u64::from(b'\\')));
    let four_byte_lead = zero_byte((x & (ONES * 0xF0)) ^ (ONES * 0xF0));
    control | quote | backslash | four_byte_lead
}

/// The length of the longest prefix of `bytes` with nothing to escape: 8 bytes at a time (the
/// first byte to escape found from the chunk's mask), then byte by byte for the last few.
#[inline]
pub fn plain_prefix(bytes: &[u8]) -> usize {
    let mut plain = 0;
    for chunk in bytes.chunks_exact(8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let mask = escape_mask(word);
        if mask != 0 {
            return plain + (mask.trailing_zeros() / 8) as usize;
        }
        plain += 8;
    }
    plain
        + bytes[plain..]
            .iter()
            .take_while(|&&b| !needs_escape(b))
            .count()
}

/// Appends `s` as a JSON string literal, quotes included. A string with nothing to escape (the
/// common case) is checked 8 bytes at a time and copied whole; otherwise plain runs are copied
/// with one `extend_from_slice` each.
#[inline]
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let plain = plain_prefix(bytes);
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if plain == bytes.len() {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut plain_from = 0;
    let mut i = plain;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            if escape_mask(word) == 0 {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        if !needs_escape(b) {
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[plain_from..i]);
        if b >= 0xF0 {
            // A 4-byte UTF-8 sequence: Jackson writes the UTF-16 surrogate pair escaped.
            let c = s[i..].chars().next().map_or(0xFFFD, u32::from);
            let v = c - 0x10000;
            push_unicode_escape(out, 0xD800 + (v >> 10));
            push_unicode_escape(out, 0xDC00 + (v & 0x3FF));
            i += 4;
        } else {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0C => out.extend_from_slice(b"\\f"),
                _ => push_unicode_escape(out, u32::from(b)),
            }
            i += 1;
        }
        plain_from = i;
    }
    out.extend_from_slice(&bytes[plain_from..]);
    out.push(b'"');
}

fn push_unicode_escape(out: &mut Vec<u8>, unit: u32) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((unit >> shift) & 0xF) as usize]);
    }
}

/// Appends an integer.
#[inline]
pub fn write_i64(out: &mut Vec<u8>, v: i64) {
    let mut buffer = itoa::Buffer::new();
    out.extend_from_slice(buffer.format(v).as_bytes());
}

/// Appends a double as Jackson writes a DoubleNode: `Double.toString`, and the non-finite values
/// as the quoted strings `"NaN"`, `"Infinity"`, `"-Infinity"` (QUOTE_NON_NUMERIC_NUMBERS).
#[inline]
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    let quote = !v.is_finite();
    if quote {
        out.push(b'"');
    }
    push_f64(out, v);
    if quote {
        out.push(b'"');
    }
}

/// Appends a float as Jackson writes a FloatNode: `Float.toString`, non-finite values quoted.
#[inline]
pub fn write_f32(out: &mut Vec<u8>, v: f32) {
    let quote = !v.is_finite();
    if quote {
        out.push(b'"');
    }
    push_f32(out, v);
    if quote {
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn escaped(s: &str) -> String {
        let mut out = Vec::new();
        write_string(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_like_jackson() {
        assert_eq!(
            escaped("quote \" backslash \\ newline \n tab \t"),
            r#""quote \" backslash \\ newline \n tab \t""#
        );
        assert_eq!(escaped("\u{0}\u{1f}"), r#""\u0000\u001F""#);
        assert_eq!(escaped("é中😀"), "\"é中\\uD83D\\uDE00\"");
    }

    proptest! {
        #[test]
        fn escaped_text_reads_back_as_the_same_string(s in any::<String>()) {
            let text = escaped(&s);
            let back: String = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(back, s);
        }

        /// The chunk mask finds the first byte to escape exactly (false positives lie above it).
        #[test]
        fn plain_prefix_stops_at_the_first_byte_to_escape(
            bytes in prop::collection::vec(prop_oneof![Just(b'a'), Just(b'"'), Just(b'\\'), Just(0x1F), Just(0x20), Just(0x21), Just(0xEF), Just(0xF0), Just(0xFF), any::<u8>()], 0..40),
        ) {
            let expected = bytes.iter().take_while(|&&b| !needs_escape(b)).count();
            prop_assert_eq!(plain_prefix(&bytes), expected);
        }

        #[test]
        fn matches_the_reference_escaper(s in any::<String>()) {
            let mut reference = Vec::new();
            crate::json::reference::write_json_string(&mut reference, &s);
            prop_assert_eq!(escaped(&s).into_bytes(), reference);
        }
    }
}
