//! What the conformance tests share: where the cases are, the lines of `expected.jsonl`, and the
//! comparison of an output record with an expected one as the cases' README describes it
//! (`shared/conformance/kafka-connect/README.md`, "Comparing").

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;

use serde_json::{Number, Value};
use weir_engine::interchange::{self, OwnedRecord};
use weir_engine::RawRecord;

/// The conformance corpus root, laid out as `shared/conformance` is (`kafka-connect/`,
/// `debezium/`, `confluent-connect/`, `confluent/`, `deliberate.txt`): `$WEIR_CONFORMANCE_DIR`
/// when set, else the repository's own copy in `tests/conformance`.
pub fn conformance_root() -> PathBuf {
    match std::env::var_os("WEIR_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance"),
    }
}

/// The folder of one corpus (`kafka-connect`, `debezium`, …) under [`conformance_root`].
pub fn corpus_dir(corpus: &str) -> PathBuf {
    conformance_root().join(corpus)
}

/// The records where weir deliberately fails instead of reproducing Kafka silently altering data
/// (`deliberate.txt` at the root: case folder name, then comma-separated offsets, `#` comments):
/// case folder name → offsets that must go to the dead letters.
pub fn deliberate_offsets() -> HashMap<String, HashSet<i64>> {
    let text =
        std::fs::read_to_string(conformance_root().join("deliberate.txt")).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut words = line.split('#').next()?.split_whitespace();
            let case = words.next()?;
            let offsets = words.next()?.split(',').filter_map(|o| o.parse().ok());
            Some((case.to_string(), offsets.collect()))
        })
        .collect()
}

/// One line of `expected.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// The output record.
    Record(OwnedRecord),
    /// `{"offset":N,"dropped":true}`: a transform dropped the record.
    Dropped {
        /// The input offset.
        offset: i64,
    },
    /// `{"offset":N,"error":"..."}`: converting or transforming the record failed.
    Error {
        /// The input offset.
        offset: i64,
        /// Kafka's `Class: message`.
        message: String,
    },
}

impl Expected {
    /// The input offset the line is about.
    pub fn offset(&self) -> i64 {
        match self {
            Expected::Record(record) => record.offset,
            Expected::Dropped { offset } | Expected::Error { offset, .. } => *offset,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Record(record) => write!(f, "offset {}: a record", record.offset),
            Expected::Dropped { offset } => write!(f, "offset {offset}: dropped"),
            Expected::Error { offset, message } => write!(f, "offset {offset}: error `{message}`"),
        }
    }
}

/// Parses every non-blank line of an `expected.jsonl`; an error names the line.
pub fn parse_expected(text: &str) -> Result<Vec<Expected>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            parse_expected_line(line).map_err(|e| format!("expected.jsonl line {}: {e}", index + 1))
        })
        .collect()
}

fn parse_expected_line(line: &str) -> Result<Expected, String> {
    let json: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let offset = || {
        json.get("offset")
            .and_then(Value::as_i64)
            .ok_or("no integer \"offset\"")
    };
    if json.get("dropped") == Some(&Value::Bool(true)) {
        return Ok(Expected::Dropped { offset: offset()? });
    }
    if let Some(message) = json.get("error") {
        let message = message
            .as_str()
            .ok_or("\"error\" is not a string")?
            .to_string();
        return Ok(Expected::Error {
            offset: offset()?,
            message,
        });
    }
    interchange::parse_line(line)
        .map(Expected::Record)
        .map_err(|e| e.to_string())
}

/// The first difference between an expected and an actual output record, or `None` when they
/// agree: topic, partition, offset, timestamp, key, value and headers in order.
pub fn record_difference(expected: &RawRecord<'_>, actual: &RawRecord<'_>) -> Option<String> {
    if expected.topic != actual.topic {
        return Some(format!(
            "topic: expected {:?}, got {:?}",
            expected.topic, actual.topic
        ));
    }
    if expected.partition != actual.partition {
        return Some(format!(
            "partition: expected {}, got {}",
            expected.partition, actual.partition
        ));
    }
    if expected.offset != actual.offset {
        return Some(format!(
            "offset: expected {}, got {}",
            expected.offset, actual.offset
        ));
    }
    if expected.timestamp != actual.timestamp {
        let show = |t: Option<i64>| t.map_or("null".to_string(), |t| t.to_string());
        return Some(format!(
            "timestamp: expected {}, got {}",
            show(expected.timestamp),
            show(actual.timestamp)
        ));
    }
    bytes_difference("key", expected.key, actual.key)
        .or_else(|| bytes_difference("value", expected.value, actual.value))
        .or_else(|| headers_difference(&expected.headers, &actual.headers))
}

fn headers_difference(
    expected: &[(&str, Option<&[u8]>)],
    actual: &[(&str, Option<&[u8]>)],
) -> Option<String> {
    let names = |headers: &[(&str, Option<&[u8]>)]| {
        headers
            .iter()
            .map(|(name, _)| name.to_string())
            .collect::<Vec<_>>()
    };
    if names(expected) != names(actual) {
        return Some(format!(
            "header names: expected {:?}, got {:?}",
            names(expected),
            names(actual)
        ));
    }
    expected
        .iter()
        .zip(actual)
        .enumerate()
        .find_map(|(index, ((name, e), (_, a)))| {
            bytes_difference(&format!("header {index} ({name})"), *e, *a)
        })
}

/// Compares two byte fields: as parsed JSON when both sides are JSON, else as bytes.
fn bytes_difference(field: &str, expected: Option<&[u8]>, actual: Option<&[u8]>) -> Option<String> {
    match (expected, actual) {
        (None, None) => None,
        (Some(e), Some(a)) if e == a => None,
        (Some(e), Some(a)) => match (
            serde_json::from_slice::<Value>(e),
            serde_json::from_slice::<Value>(a),
        ) {
            (Ok(e), Ok(a)) => json_difference(field, &e, &a),
            _ => Some(format!(
                "{field}: expected {}, got {}",
                show(Some(e)),
                show(Some(a))
            )),
        },
        (e, a) => Some(format!("{field}: expected {}, got {}", show(e), show(a))),
    }
}

/// The bytes for a message: text (shortened) when UTF-8, else their length.
fn show(bytes: Option<&[u8]>) -> String {
    match bytes.map(std::str::from_utf8) {
        None => "null".to_string(),
        Some(Ok(text)) => shorten(&format!("{text:?}")),
        Some(Err(_)) => format!("{} bytes of binary", bytes.map_or(0, <[u8]>::len)),
    }
}

fn shorten(text: &str) -> String {
    const LIMIT: usize = 160;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The first difference between two JSON values at `path`: object key order is not significant,
/// an absent member differs from a null one, numbers compare by exact decimal value.
fn json_difference(path: &str, expected: &Value, actual: &Value) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let member = |key: &str| format!("{path}.{key}");
            e.iter()
                .find_map(|(key, e_value)| match a.get(key) {
                    None => Some(format!(
                        "{}: missing (expected {})",
                        member(key),
                        shorten(&e_value.to_string())
                    )),
                    Some(a_value) => json_difference(&member(key), e_value, a_value),
                })
                .or_else(|| {
                    a.iter()
                        .find(|(key, _)| !e.contains_key(*key))
                        .map(|(key, a_value)| {
                            format!(
                                "{}: unexpected member {}",
                                member(key),
                                shorten(&a_value.to_string())
                            )
                        })
                })
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(index, (e, a))| json_difference(&format!("{path}[{index}]"), e, a)),
        (Value::Number(e), Value::Number(a)) if same_number(e, a) => None,
        (e, a) if e == a && !e.is_number() => None,
        (e, a) => Some(format!(
            "{path}: expected {}, got {}",
            shorten(&e.to_string()),
            shorten(&a.to_string())
        )),
    }
}

/// Whether two JSON numbers have the same value: the same exact decimal, or — when they are not
/// both integers and neither has more significant digits than a double's shortest text (17) —
/// the same double, so Java's `4.9E-324` equals `5e-324`.
fn same_number(expected: &Number, actual: &Number) -> bool {
    let (e, a) = (expected.to_string(), actual.to_string());
    let (Some(e_decimal), Some(a_decimal)) = (decimal(&e), decimal(&a)) else {
        return e == a;
    };
    if e_decimal == a_decimal {
        return true;
    }
    let integer = |text: &str| !text.contains(['.', 'e', 'E']);
    let both_integers = integer(&e) && integer(&a);
    let double_sized = e_decimal.1.len() <= 17 && a_decimal.1.len() <= 17;
    !both_integers
        && double_sized
        && matches!((e.parse::<f64>(), a.parse::<f64>()), (Ok(x), Ok(y)) if x == y && x.is_finite())
}

/// A JSON number's text as (negative, significant digits, exponent) with value
/// `±digits × 10^exponent`, normalised so that equal values give equal triples (zero is
/// `(false, "", 0)`). `None` when the text is not a plain decimal number or the exponent overflows.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], rest[at + 1..].parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac}");
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Some((false, String::new(), 0));
    }
    let trimmed = significant.trim_end_matches('0');
    let exponent = exponent
        .checked_sub(i64::try_from(frac.len()).ok()?)?
        .checked_add(i64::try_from(significant.len() - trimmed.len()).ok()?)?;
    Some((negative, trimmed.to_string(), exponent))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn numbers_compare_by_value() {
        assert_eq!(decimal("1.250e1"), decimal("12.5"));
        assert_eq!(decimal("-0.0"), decimal("0"));
        assert_ne!(
            decimal("12345678901234567890"),
            decimal("12345678901234567891")
        );
        assert!(json_difference(
            "v",
            &json("[1, 2.0, 1E2, 4.9E-324]"),
            &json("[1.0, 2, 100, 5e-324]")
        )
        .is_none());
        assert!(json_difference("v", &json("0.1"), &json("0.10000000000000001")).is_none());
        assert!(json_difference(
            "v",
            &json("12345678901234567890"),
            &json("12345678901234567891")
        )
        .is_some());
        assert!(json_difference("v", &json("1"), &json("2")).is_some());
    }

    #[test]
    fn objects_ignore_key_order_but_not_absent_members() {
        assert!(json_difference(
            "v",
            &json(r#"{"a":1,"b":{"c":null}}"#),
            &json(r#"{"b":{"c":null},"a":1}"#)
        )
        .is_none());
        assert_eq!(
            json_difference(
                "v",
                &json(r#"{"a":1,"b":{"c":null}}"#),
                &json(r#"{"a":1,"b":{}}"#)
            )
            .as_deref(),
            Some("v.b.c: missing (expected null)")
        );
        assert_eq!(
            json_difference("v", &json(r#"{"a":[1]}"#), &json(r#"{"a":[1],"z":0}"#)).as_deref(),
            Some("v.z: unexpected member 0")
        );
        assert_eq!(
            json_difference("v", &json(r#"{"a":[1,"x"]}"#), &json(r#"{"a":[1,"y"]}"#)).as_deref(),
            Some(r#"v.a[1]: expected "x", got "y""#)
        );
    }

    #[test]
    fn bytes_that_are_not_json_compare_as_bytes() {
        assert!(bytes_difference("key", Some(b"k0"), Some(b"k0")).is_none());
        assert_eq!(
            bytes_difference("key", Some(b"k0"), Some(b"k1")).as_deref(),
            Some(r#"key: expected "k0", got "k1""#)
        );
        assert_eq!(
            bytes_difference("key", Some(b"k0"), None).as_deref(),
            Some(r#"key: expected "k0", got null"#)
        );
        assert!(bytes_difference(
            "value",
            Some(br#"{"a":1,"b":2}"#),
            Some(br#"{"b":2,"a":1.0}"#)
        )
        .is_none());
    }
}
