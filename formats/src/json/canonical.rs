//! Recognising schemaless JSON that a JsonConverter (`schemas.enable=false`) would write back
//! byte for byte, so a pipeline that neither reads nor changes a value can copy its bytes instead
//! of decoding and encoding them (design §1, "untouched bytes pass through").
//!
//! Canonical here means what weir's own decode + encode give back, which is Jackson's output:
//! no whitespace; strings with exactly Jackson's escapes (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`,
//! `\f`, other control characters as `\u00XX`, characters outside the BMP as an escaped surrogate
//! pair, upper-case hex) and raw UTF-8 otherwise; integers within `i64` without a sign on zero;
//! fractional numbers spelled as Java's `Double.toString` spells them; no repeated key in an
//! object; a top level that is not `null` (a null value is a tombstone). Anything else, and
//! anything this check is not sure of (objects of more than [`MAX_KEYS`] keys, nesting deeper
//! than [`MAX_NESTING`]), is "not canonical": such records take the decoding path, which is always
//! right, only slower.
//!
//! Cost: one pass over the bytes (strings 8 bytes at a time) plus a UTF-8 validation; per key,
//! a compare against the earlier keys of its object; per fractional number, Java's formatting.

use crate::java_number::push_f64;
use crate::json::write::plain_prefix;

/// Objects with more keys than this are not checked for repeated keys (the check is a linear
/// scan per key) and count as not canonical.
pub const MAX_KEYS: usize = 64;

/// Values nested deeper than this count as not canonical (the decoder's own limit is higher).
pub const MAX_NESTING: usize = 64;

/// Reusable working memory for [`is_canonical`]: keeps its allocations between calls.
#[derive(Debug, Default)]
pub struct CanonicalCheck {
    /// Open containers, innermost last: for an object, where its keys start in `keys`.
    open: Vec<Open>,
    /// The keys of every open object: where each starts (escaped form, quotes excluded), its
    /// length and its first bytes (compared before the bytes themselves).
    keys: Vec<Key>,
    /// Scratch for writing a number in Java's form.
    number: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
struct Key {
    start: usize,
    len: usize,
    head: u64,
}

#[derive(Debug, Clone, Copy)]
enum Open {
    Array,
    Object { first_key: usize },
}

impl CanonicalCheck {
    /// Whether `bytes` are a schemaless JSON value exactly as JsonConverter writes it (see the
    /// module doc): `true` promises that decoding and encoding them gives the same bytes.
    pub fn is_canonical(&mut self, bytes: &[u8]) -> bool {
        self.canonical_text(bytes).is_some()
    }

    /// `bytes` as text when they are canonical ([`CanonicalCheck::is_canonical`]).
    pub fn canonical_text<'b>(&mut self, bytes: &'b [u8]) -> Option<&'b str> {
        let text = simdutf8::basic::from_utf8(bytes).ok()?;
        if bytes == b"null" {
            return None;
        }
        self.open.clear();
        self.keys.clear();
        self.check(bytes).map(|()| text)
    }

    /// Walks the value; `None` at the first thing that is not canonical.
    fn check(&mut self, bytes: &[u8]) -> Option<()> {
        let mut at = 0;
        loop {
            // A value starts at `at`.
            at = match *bytes.get(at)? {
                b'{' | b'[' if self.open.len() >= MAX_NESTING => return None,
                b'{' => {
                    self.open.push(Open::Object {
                        first_key: self.keys.len(),
                    });
                    match bytes.get(at + 1)? {
                        b'}' => {
                            self.open.pop();
                            at + 2
                        }
                        _ => {
                            at = self.key(bytes, at + 1)?;
                            continue;
                        }
                    }
                }
                b'[' => {
                    self.open.push(Open::Array);
                    match bytes.get(at + 1)? {
                        b']' => {
                            self.open.pop();
                            at + 2
                        }
                        _ => {
                            at += 1;
                            continue;
                        }
                    }
                }
                b'"' => string_end(bytes, at)?,
                b't' if bytes[at..].starts_with(b"true") => at + 4,
                b'f' if bytes[at..].starts_with(b"false") => at + 5,
                b'n' if bytes[at..].starts_with(b"null") => at + 4,
                b'-' | b'0'..=b'9' => self.number(bytes, at)?,
                _ => return None,
            };
            // After a value: close containers, or go on to the next element or member.
            loop {
                match (self.open.last().copied(), bytes.get(at)) {
                    (None, None) => return Some(()),
                    (None, Some(_)) => return None,
                    (Some(_), None) => return None,
                    (Some(Open::Array), Some(b',')) => {
                        at += 1;
                        break;
                    }
                    (Some(Open::Object { .. }), Some(b',')) => {
                        at = self.key(bytes, at + 1)?;
                        break;
                    }
                    (Some(Open::Array), Some(b']')) => {
                        self.open.pop();
                        at += 1;
                    }
                    (Some(Open::Object { first_key }), Some(b'}')) => {
                        self.keys.truncate(first_key);
                        self.open.pop();
                        at += 1;
                    }
                    _ => return None,
                }
            }
        }
    }

    /// A key at `at` of the innermost (object) container, not seen before in it, and its colon;
    /// the position of its value.
    fn key(&mut self, bytes: &[u8], at: usize) -> Option<usize> {
        let Some(Open::Object { first_key }) = self.open.last().copied() else {
            return None;
        };
        if bytes.get(at) != Some(&b'"') || self.keys.len() - first_key >= MAX_KEYS {
            return None;
        }
        let end = string_end(bytes, at)?;
        let key = Key {
            start: at + 1,
            len: end - 1 - (at + 1),
            head: head(&bytes[at + 1..end - 1]),
        };
        let repeated = self.keys[first_key..].iter().any(|seen| {
            seen.head == key.head
                && seen.len == key.len
                && bytes[seen.start..seen.start + seen.len] == bytes[key.start..key.start + key.len]
        });
        if repeated || bytes.get(end) != Some(&b':') {
            return None;
        }
        self.keys.push(key);
        Some(end + 1)
    }

    /// A number at `at` as Kafka writes it back: an integer within `i64` (no `-0`), or a
    /// fractional number in Java's `Double.toString` spelling. The position after it.
    fn number(&mut self, bytes: &[u8], at: usize) -> Option<usize> {
        let token = number_token(bytes, at);
        let canonical = plain_integer(token).is_some() || is_java_double(token, &mut self.number);
        canonical.then_some(at + token.len())
    }
}

/// The number token starting at `at` (its characters, not checked for form).
pub(crate) fn number_token(bytes: &[u8], at: usize) -> &[u8] {
    let len = bytes[at..]
        .iter()
        .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
        .unwrap_or(bytes.len() - at);
    &bytes[at..at + len]
}

/// The value of `token` when it is an integer as Java prints one: an optional `-`, digits
/// without leading zeros, not `-0`, within `i64`. Cost: one pass over the digits.
pub(crate) fn plain_integer(token: &[u8]) -> Option<i64> {
    let digits = token.strip_prefix(b"-").unwrap_or(token);
    let leading_zero = digits.first() == Some(&b'0') && (digits.len() > 1 || token == b"-0");
    if digits.is_empty() || leading_zero {
        return None;
    }
    // Accumulated as a negative number, which reaches `i64::MIN`.
    let negative = digits.iter().try_fold(0i64, |n, &d| {
        let digit = d.wrapping_sub(b'0');
        (digit <= 9).then_some(())?;
        n.checked_mul(10)?.checked_sub(i64::from(digit))
    })?;
    match digits.len() < token.len() {
        true => Some(negative),
        false => negative.checked_neg(),
    }
}

/// Whether `token` is a finite double exactly as Java's `Double.toString` spells it (and so as
/// Jackson writes the double it reads), negative zero excepted: Kafka reads `-0.0` as `0.0`.
/// `scratch` holds the formatted text. Cost: one parse and one format.
pub(crate) fn is_java_double(token: &[u8], scratch: &mut Vec<u8>) -> bool {
    // Java's form has digits on both sides of the point and no leading zeros, so only a token
    // that parses is compared; the compare decides.
    let Some(value) = std::str::from_utf8(token)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
    else {
        return false;
    };
    scratch.clear();
    push_f64(scratch, value + 0.0);
    *scratch == token && value.is_finite()
}

/// Up to the first 8 bytes of `key`, as a number (equal keys have equal heads).
fn head(key: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = key.len().min(8);
    word[..n].copy_from_slice(&key[..n]);
    u64::from_le_bytes(word)
}

/// The position after the string starting at `at` (its opening quote), when every escape in it
/// is the one Jackson writes and no character needs one that it lacks.
pub(crate) fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    loop {
        i += plain_prefix(&bytes[i..]);
        match *bytes.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += escape_len(&bytes[i..])?,
            // A control character or a character outside the BMP, written as it is.
            _ => return None,
        }
    }
}

/// The length of the escape at the start of `bytes` when it is Jackson's spelling of the
/// character it stands for.
fn escape_len(bytes: &[u8]) -> Option<usize> {
    match *bytes.get(1)? {
        b'"' | b'\\' | b'n' | b'r' | b't' | b'b' | b'f' => Some(2),
        b'u' => {
            let unit = hex_unit(bytes.get(2..6)?)?;
            match unit {
                // Control characters without a short escape.
                0x00..=0x1F => (!matches!(unit, 0x08 | 0x09 | 0x0A | 0x0C | 0x0D)).then_some(6),
                // A surrogate pair: a character outside the BMP.
                0xD800..=0xDBFF => {
                    let low = bytes.get(6..12)?;
                    (low.starts_with(b"\\u")
                        && matches!(hex_unit(&low[2..]), Some(0xDC00..=0xDFFF)))
                    .then_some(12)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Four upper-case hex digits (Jackson's spelling) as a UTF-16 unit.
fn hex_unit(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |unit, &d| {
        let value = match d {
            b'0'..=b'9' => d - b'0',
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        Some(unit << 4 | u32::from(value))
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::converter::{Converter, ConverterContext, Encoded, Side};
    use crate::json::converter::JsonConverter;
    use crate::json::reference::JsonConfig;

    /// What weir's JsonConverter (schemaless) writes for `bytes`, or `None` when it fails or
    /// writes a null.
    fn round_trip(bytes: &[u8]) -> Option<Vec<u8>> {
        round_trip_with(false, bytes)
    }

    /// What weir's JsonConverter with `schemas.enable=schemas_enable` writes for `bytes` when it
    /// decodes them, or `None` when it fails or writes a null.
    pub(crate) fn round_trip_with(schemas_enable: bool, bytes: &[u8]) -> Option<Vec<u8>> {
        let converter = JsonConverter::new(JsonConfig {
            schemas_enable,
            ..JsonConfig::default()
        });
        let context = ConverterContext::single_topic(Side::Value, "t");
        let decoded = converter.decode(&[Some(bytes)], &context);
        let part = decoded.parts.first()?;
        let mut out = Encoded::default();
        converter.encode(&part.column, &context, &mut out);
        out.row(0).map(<[u8]>::to_vec)
    }

    fn canonical(text: &str) -> bool {
        CanonicalCheck::default().is_canonical(text.as_bytes())
    }

    #[test]
    fn jacksons_own_output_is_canonical() {
        for text in [
            r#"{"a":1,"b":[true,false,null],"c":{"d":"x\"y\\z\n\u0001"},"e":-1.5E-7}"#,
            r#"{}"#,
            r#"[]"#,
            r#""\uD83D\uDE00""#,
            "0",
            "-9223372036854775808",
            "1.0E10",
            r#"{"a":{},"b":[[],{}]}"#,
            "\"é€\"",
        ] {
            assert!(canonical(text), "{text}");
            assert_eq!(
                round_trip(text.as_bytes()).as_deref(),
                Some(text.as_bytes())
            );
        }
    }

    #[test]
    fn plain_integers_read_as_rust_parses_them() {
        for text in [
            "0",
            "-1",
            "7",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "999999999999999999",
            "10000000000000000000",
        ] {
            assert_eq!(
                plain_integer(text.as_bytes()),
                text.parse::<i64>().ok(),
                "{text}"
            );
        }
        for text in ["", "-", "-0", "01", "-01", "+1", "1.0", "1e2", "1-"] {
            assert_eq!(plain_integer(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn what_kafka_would_rewrite_is_not_canonical() {
        for text in [
            "null",
            "",
            " 1",
            "1 ",
            r#"{"a": 1}"#,
            r#"{"a":1,"a":2}"#,
            "-0",
            "01",
            "1e2",
            "1.50",
            "-0.0",
            "9223372036854775808",
            r#""\/""#,
            r#""\u0041""#,
            r#""\u000a""#,
            r#""\u001f""#,
            "\"\u{1F600}\"",
            r#""\uD83D""#,
            "[1,]",
            "{\"a\":1}x",
            "\u{FEFF}{}",
            "1E400",
        ] {
            assert!(!canonical(text), "{text:?}");
        }
        let wide: String = format!(
            "{{{}}}",
            (0..=MAX_KEYS)
                .map(|i| format!("\"k{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(!canonical(&wide));
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        assert!(!canonical(&deep));
    }

    /// JSON text with the spellings that matter: escapes of every kind, numbers in several
    /// forms, repeated keys, optional whitespace.
    fn json_text() -> impl Strategy<Value = String> {
        let string = prop::collection::vec(
            prop_oneof![
                Just("a".to_string()),
                Just("é".to_string()),
                Just("\u{1F600}".to_string()),
                Just("\\\"".to_string()),
                Just("\\n".to_string()),
                Just("\\u0001".to_string()),
                Just("\\u000A".to_string()),
                Just("\\u0041".to_string()),
                Just("\\uD83D\\uDE00".to_string()),
                Just("\\/".to_string()),
            ],
            0..4,
        )
        .prop_map(|parts| format!("\"{}\"", parts.concat()));
        let number = prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| {
                let mut out = Vec::new();
                push_f64(&mut out, f);
                String::from_utf8(out).unwrap()
            }),
            Just("-0".to_string()),
            Just("1e2".to_string()),
            Just("1.50".to_string()),
            Just("18446744073709551615".to_string()),
        ];
        let leaf = prop_oneof![
            string.clone(),
            number,
            Just("true".to_string()),
            Just("null".to_string()),
        ];
        leaf.prop_recursive(3, 24, 4, move |inner| {
            let key = prop_oneof![
                Just("\"a\"".to_string()),
                Just("\"b\"".to_string()),
                string.clone()
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                (prop::collection::vec((key, inner), 0..4), any::<bool>()).prop_map(
                    |(members, spaced)| {
                        let sep = if spaced { ": " } else { ":" };
                        let members: Vec<String> = members
                            .iter()
                            .map(|(k, v)| format!("{k}{sep}{v}"))
                            .collect();
                        format!("{{{}}}", members.join(","))
                    }
                ),
            ]
        })
    }

    proptest! {
        /// The promise: canonical bytes come back unchanged through decode and encode.
        #[test]
        fn canonical_bytes_come_back_unchanged(text in json_text()) {
            if canonical(&text) {
                prop_assert_eq!(round_trip(text.as_bytes()), Some(text.clone().into_bytes()), "{}", text);
            }
        }

        /// And the check is not vacuous: what comes back from the converter is canonical (and
        /// comes back unchanged again).
        #[test]
        fn the_converters_output_is_canonical(text in json_text()) {
            if let Some(out) = round_trip(text.as_bytes()) {
                prop_assert!(CanonicalCheck::default().is_canonical(&out), "{}", String::from_utf8_lossy(&out));
                prop_assert_eq!(round_trip(&out), Some(out.clone()));
            }
        }
    }
}
