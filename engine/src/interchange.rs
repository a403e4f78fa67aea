//! The interchange format of `smtbench` and the conformance cases (design §6): one JSON object a
//! line,
//!
//! ```text
//! {"topic":"t","partition":0,"offset":7,"timestamp":1700000000000,"key":"k","value":"{\"a\":1}",
//!  "headers":[["name","value"],["other",null]]}
//! ```
//!
//! `key` and `value` are the record's bytes as UTF-8 text, or `null` (absent means `null`); bytes
//! that are not UTF-8 come as `key_b64` / `value_b64` (standard base64) instead. `timestamp` is a
//! number, `null` or absent. Header values are text or `null`.

use std::fmt::{self, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};
use weir_formats::raw::{RawBatch, RawBatchBuilder, RawRecord};

/// A line that is not a valid interchange record: the line number (1-based, when known) and the
/// problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterchangeError {
    /// The 1-based line number, when the line came from a multi-line text.
    pub line: Option<usize>,
    /// What is wrong with the line.
    pub problem: String,
}

impl InterchangeError {
    fn new(problem: impl Into<String>) -> InterchangeError {
        InterchangeError {
            line: None,
            problem: problem.into(),
        }
    }

    /// This error, located at 1-based line `line`.
    pub fn at_line(mut self, line: usize) -> InterchangeError {
        self.line = Some(line);
        self
    }
}

impl fmt::Display for InterchangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.problem),
            None => f.write_str(&self.problem),
        }
    }
}

impl std::error::Error for InterchangeError {}

/// One owned header: its name and its value bytes (or null).
pub type OwnedHeader = (String, Option<Vec<u8>>);

/// One record read from an interchange line, owning its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnedRecord {
    /// The topic name.
    pub topic: String,
    /// The partition (`None`: written as `null`, none chosen).
    pub partition: Option<i32>,
    /// The offset within the partition.
    pub offset: i64,
    /// The timestamp in ms, if any.
    pub timestamp: Option<i64>,
    /// The key bytes, or null.
    pub key: Option<Vec<u8>>,
    /// The value bytes, or null.
    pub value: Option<Vec<u8>>,
    /// Headers in order: name and value bytes (or null).
    pub headers: Vec<OwnedHeader>,
}

impl OwnedRecord {
    /// The record borrowed as a [`RawRecord`] (allocates the header list).
    pub fn as_raw(&self) -> RawRecord<'_> {
        RawRecord {
            topic: &self.topic,
            partition: self.partition,
            offset: self.offset,
            timestamp: self.timestamp,
            key: self.key.as_deref(),
            value: self.value.as_deref(),
            headers: self
                .headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_deref()))
                .collect(),
        }
    }
}

/// The fields a record line may have.
const FIELDS: &[&str] = &[
    "topic",
    "partition",
    "offset",
    "timestamp",
    "key",
    "key_b64",
    "value",
    "value_b64",
    "headers",
];

/// Parses one interchange line into a record. Unknown fields, a field of the wrong type, both
/// `key` and `key_b64` (or `value` and `value_b64`), and bad base64 are errors.
pub fn parse_line(line: &str) -> Result<OwnedRecord, InterchangeError> {
    let json: Value = serde_json::from_str(line).map_err(not_json)?;
    let Value::Object(object) = json else {
        return Err(InterchangeError::new("not a JSON object"));
    };
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(InterchangeError::new(format!(
            "unknown field \"{unknown}\""
        )));
    }
    Ok(OwnedRecord {
        topic: required_string(&object, "topic")?,
        partition: nullable_i32(&object, "partition")?,
        offset: required_i64(&object, "offset")?,
        timestamp: optional_i64(&object, "timestamp")?,
        key: bytes_field(&object, "key", "key_b64")?,
        value: bytes_field(&object, "value", "value_b64")?,
        headers: headers_field(&object)?,
    })
}

/// Reads every non-blank line of `text` into one batch; an error names the 1-based line.
pub fn read_batch(text: &str) -> Result<RawBatch, InterchangeError> {
    let mut builder = RawBatchBuilder::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record = parse_line(line).map_err(|e| e.at_line(index + 1))?;
        builder.push(&record.as_raw());
    }
    Ok(builder.finish())
}

/// Appends `record` to `out` as one compact line (without the newline), keys in the order topic,
/// partition, offset, timestamp, key, value, headers. Keys and values that are valid UTF-8 are
/// written as text, others as `key_b64` / `value_b64`; header values that are not UTF-8 are
/// written lossily (invalid sequences become U+FFFD), as the format only carries header text.
pub fn write_record(record: &RawRecord<'_>, out: &mut String) {
    write_record_as(record, BinarySides::default(), out);
}

/// Which sides [`write_record_as`] always writes as base64 (`key_b64` / `value_b64`), UTF-8 or
/// not: the sides whose converter writes binary frames (the Protobuf corpus expects them so).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BinarySides {
    /// The key is always `key_b64`.
    pub key: bool,
    /// The value is always `value_b64`.
    pub value: bool,
}

/// [`write_record`], with the sides in `binary` always written as base64.
pub fn write_record_as(record: &RawRecord<'_>, binary: BinarySides, out: &mut String) {
    out.push_str("{\"topic\":");
    push_json_str(out, record.topic);
    // Writing to a String cannot fail.
    out.push_str(",\"partition\":");
    match record.partition {
        Some(partition) => {
            let _ = write!(out, "{partition}");
        }
        None => out.push_str("null"),
    }
    let _ = write!(out, ",\"offset\":{},\"timestamp\":", record.offset);
    match record.timestamp {
        Some(timestamp) => {
            let _ = write!(out, "{timestamp}");
        }
        None => out.push_str("null"),
    }
    push_bytes_field(out, "key", record.key, binary.key);
    push_bytes_field(out, "value", record.value, binary.value);
    out.push_str(",\"headers\":[");
    for (index, (name, value)) in record.headers.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push('[');
        push_json_str(out, name);
        out.push(',');
        match value {
            Some(bytes) => push_json_str(out, &String::from_utf8_lossy(bytes)),
            None => out.push_str("null"),
        }
        out.push(']');
    }
    out.push_str("]}");
}

/// Every record of `batch`, one line each, each line ending in `\n`.
pub fn write_batch(batch: &RawBatch) -> String {
    let mut out = String::with_capacity(batch.bytes().len() + batch.len() * 96);
    for record in batch.records() {
        write_record(&record, &mut out);
        out.push('\n');
    }
    out
}

fn required<'a>(object: &'a Map<String, Value>, name: &str) -> Result<&'a Value, InterchangeError> {
    object
        .get(name)
        .ok_or_else(|| InterchangeError::new(format!("missing field \"{name}\"")))
}

fn required_string(object: &Map<String, Value>, name: &str) -> Result<String, InterchangeError> {
    match required(object, name)? {
        Value::String(text) => Ok(text.clone()),
        other => Err(wrong_type(name, "a string", other)),
    }
}

fn required_i64(object: &Map<String, Value>, name: &str) -> Result<i64, InterchangeError> {
    let value = required(object, name)?;
    value
        .as_i64()
        .ok_or_else(|| wrong_type(name, "a 64-bit integer", value))
}

/// A field that must be present and holds a 32-bit integer or `null`.
fn nullable_i32(object: &Map<String, Value>, name: &str) -> Result<Option<i32>, InterchangeError> {
    match required(object, name)? {
        Value::Null => Ok(None),
        value => value
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| wrong_type(name, "a 32-bit integer or null", value)),
    }
}

fn optional_i64(object: &Map<String, Value>, name: &str) -> Result<Option<i64>, InterchangeError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_i64()
            .map(Some)
            .ok_or_else(|| wrong_type(name, "a 64-bit integer or null", value)),
    }
}

/// The bytes of the `text` field (UTF-8) or the `b64` field (base64); null when both are absent.
fn bytes_field(
    object: &Map<String, Value>,
    text: &str,
    b64: &str,
) -> Result<Option<Vec<u8>>, InterchangeError> {
    match (object.get(text), object.get(b64)) {
        (Some(_), Some(_)) => Err(InterchangeError::new(format!(
            "both \"{text}\" and \"{b64}\" are present"
        ))),
        (None, None) | (Some(Value::Null), None) | (None, Some(Value::Null)) => Ok(None),
        (Some(Value::String(s)), None) => Ok(Some(s.as_bytes().to_vec())),
        (None, Some(Value::String(s))) => STANDARD
            .decode(s)
            .map(Some)
            .map_err(|e| InterchangeError::new(format!("field \"{b64}\" is not base64: {e}"))),
        (Some(other), None) => Err(wrong_type(text, "a string or null", other)),
        (None, Some(other)) => Err(wrong_type(b64, "a string or null", other)),
    }
}

/// The `headers` field: an array of `[name, value-or-null]` pairs; absent means no headers.
fn headers_field(object: &Map<String, Value>) -> Result<Vec<OwnedHeader>, InterchangeError> {
    match object.get("headers") {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| header(index, item))
            .collect(),
        Some(other) => Err(wrong_type("headers", "an array", other)),
    }
}

fn header(index: usize, item: &Value) -> Result<OwnedHeader, InterchangeError> {
    let bad = || InterchangeError::new(format!("header {index} is not [name, value-or-null]"));
    let Value::Array(pair) = item else {
        return Err(bad());
    };
    match pair.as_slice() {
        [Value::String(name), Value::String(value)] => {
            Ok((name.clone(), Some(value.as_bytes().to_vec())))
        }
        [Value::String(name), Value::Null] => Ok((name.clone(), None)),
        _ => Err(bad()),
    }
}

/// A JSON syntax error, located by column (serde's own text says "line 1" of the one line).
fn not_json(error: serde_json::Error) -> InterchangeError {
    let text = error.to_string();
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    InterchangeError::new(format!(
        "not valid JSON at column {}: {message}",
        error.column()
    ))
}

fn wrong_type(name: &str, expected: &str, found: &Value) -> InterchangeError {
    InterchangeError::new(format!(
        "field \"{name}\" must be {expected}, found {found}"
    ))
}

/// Writes the bytes as `,"name":"text"` when they are UTF-8, `,"name_b64":"..."` otherwise, or
/// `,"name":null`.
fn push_bytes_field(out: &mut String, name: &str, bytes: Option<&[u8]>, binary: bool) {
    out.push_str(",\"");
    out.push_str(name);
    let Some(bytes) = bytes else {
        out.push_str("\":null");
        return;
    };
    match std::str::from_utf8(bytes).ok().filter(|_| !binary) {
        Some(text) => {
            out.push_str("\":");
            push_json_str(out, text);
        }
        None => {
            out.push_str("_b64\":\"");
            STANDARD.encode_string(bytes, out);
            out.push('"');
        }
    }
}

/// Appends `text` as a JSON string: `"` and `\` escaped, control characters as `\n`, `\t`, … or
/// `\u00XX`; everything else verbatim.
fn push_json_str(out: &mut String, text: &str) {
    out.push('"');
    let mut plain_from = 0;
    for (index, c) in text.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            c if c < ' ' => "",
            _ => continue,
        };
        out.push_str(&text[plain_from..index]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(escape);
        }
        plain_from = index + c.len_utf8();
    }
    out.push_str(&text[plain_from..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(record: &OwnedRecord) -> OwnedRecord {
        let mut line = String::new();
        write_record(&record.as_raw(), &mut line);
        parse_line(&line).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    fn sample() -> OwnedRecord {
        OwnedRecord {
            topic: "orders".into(),
            partition: Some(3),
            offset: 42,
            timestamp: Some(1_700_000_000_000),
            key: Some(b"k0".to_vec()),
            value: Some(b"{\"a\":\"x\\\"y\",\"b\":\"\xc3\xa9\"}".to_vec()),
            headers: vec![("source".into(), Some(b"web".to_vec()))],
        }
    }

    #[test]
    fn text_record_round_trips_with_the_documented_key_order() {
        let record = sample();
        let mut line = String::new();
        write_record(&record.as_raw(), &mut line);
        assert_eq!(
            line,
            r#"{"topic":"orders","partition":3,"offset":42,"timestamp":1700000000000,"key":"k0","value":"{\"a\":\"x\\\"y\",\"b\":\"é\"}","headers":[["source","web"]]}"#
        );
        assert_eq!(round_trip(&record), record);
    }

    #[test]
    fn binary_key_and_value_use_base64() {
        let record = OwnedRecord {
            key: Some(vec![0xff, 0x00]),
            value: Some(vec![0x00, 0x01, 0xff]),
            ..sample()
        };
        let mut line = String::new();
        write_record(&record.as_raw(), &mut line);
        assert!(
            line.contains(r#""key_b64":"/wA=","value_b64":"AAH/""#),
            "{line}"
        );
        assert_eq!(round_trip(&record), record);
    }

    #[test]
    fn nulls_round_trip() {
        let record = OwnedRecord {
            timestamp: None,
            key: None,
            value: None,
            headers: vec![("n".into(), None), ("e".into(), Some(Vec::new()))],
            ..sample()
        };
        let mut line = String::new();
        write_record(&record.as_raw(), &mut line);
        assert!(
            line.contains(
                r#""timestamp":null,"key":null,"value":null,"headers":[["n",null],["e",""]]"#
            ),
            "{line}"
        );
        assert_eq!(round_trip(&record), record);
    }

    #[test]
    fn control_characters_are_escaped() {
        let record = OwnedRecord {
            value: Some(b"\x00\x00\x00*\n\x1f".to_vec()),
            ..sample()
        };
        let mut line = String::new();
        write_record(&record.as_raw(), &mut line);
        assert!(
            line.contains(r#""value":"\u0000\u0000\u0000*\n\u001f""#),
            "{line}"
        );
        assert_eq!(round_trip(&record), record);
    }

    #[test]
    fn a_null_partition_reads_and_writes_as_null() {
        let line = r#"{"topic":"t","partition":null,"offset":1,"timestamp":null,"headers":[]}"#;
        let record = parse_line(line).unwrap();
        assert_eq!(record.partition, None);
        assert_eq!(round_trip(&record), record);
    }

    #[test]
    fn absent_fields_are_null_and_empty() {
        let record = parse_line(r#"{"topic":"t","partition":0,"offset":1}"#).unwrap();
        assert_eq!(
            record,
            OwnedRecord {
                topic: "t".into(),
                partition: Some(0),
                offset: 1,
                ..OwnedRecord::default()
            }
        );
    }

    #[test]
    fn batch_round_trips_and_skips_blank_lines() {
        let records = [
            sample(),
            OwnedRecord {
                offset: 43,
                key: None,
                value: Some(vec![0xc3]),
                ..sample()
            },
        ];
        let batch: RawBatch = records.iter().map(OwnedRecord::as_raw).collect();
        let text = write_batch(&batch);
        assert_eq!(text.lines().count(), 2);
        let again = read_batch(&format!("\n{text}\n  \n")).unwrap();
        assert_eq!(
            again.records().collect::<Vec<_>>(),
            batch.records().collect::<Vec<_>>()
        );
    }

    #[test]
    fn conformance_input_shape_parses() {
        let line = r#"{"topic": "orders", "partition": 0, "offset": 2, "timestamp": 1700000000000, "key": "k", "headers": [], "value_b64": "AAE="}"#;
        let record = parse_line(line).unwrap();
        assert_eq!(record.value, Some(vec![0, 1]));
        assert_eq!(record.key, Some(b"k".to_vec()));
    }

    fn problem(text: &str) -> String {
        read_batch(text).unwrap_err().to_string()
    }

    #[test]
    fn bad_lines_name_the_line_and_the_problem() {
        let good = r#"{"topic":"t","partition":0,"offset":1}"#;
        assert_eq!(
            problem(&format!("{good}\n{{nope")),
            "line 2: not valid JSON at column 2: key must be a string"
        );
        assert_eq!(problem("[1]"), "line 1: not a JSON object");
        assert_eq!(
            problem(r#"{"partition":0,"offset":1}"#),
            "line 1: missing field \"topic\""
        );
        assert_eq!(
            problem(r#"{"topic":"t","partition":"0","offset":1}"#),
            "line 1: field \"partition\" must be a 32-bit integer or null, found \"0\""
        );
        assert_eq!(
            problem(r#"{"topic":"t","partition":4294967296,"offset":1}"#),
            "line 1: field \"partition\" must be a 32-bit integer or null, found 4294967296"
        );
        assert_eq!(
            problem(r#"{"topic":"t","partition":0,"offset":1.5}"#),
            "line 1: field \"offset\" must be a 64-bit integer, found 1.5"
        );
        assert_eq!(
            problem(r#"{"topic":"t","partition":0,"offset":1,"key":"a","key_b64":"YQ=="}"#),
            "line 1: both \"key\" and \"key_b64\" are present"
        );
        assert!(
            problem(r#"{"topic":"t","partition":0,"offset":1,"value_b64":"!!"}"#)
                .starts_with("line 1: field \"value_b64\" is not base64")
        );
        assert_eq!(
            problem(r#"{"topic":"t","partition":0,"offset":1,"value":3}"#),
            "line 1: field \"value\" must be a string or null, found 3"
        );
        assert_eq!(
            problem(r#"{"topic":"t","partition":0,"offset":1,"headers":[["a"]]}"#),
            "line 1: header 0 is not [name, value-or-null]"
        );
        assert_eq!(
            problem(r#"{"topic":"t","partition":0,"offset":1,"dropped":true}"#),
            "line 1: unknown field \"dropped\""
        );
    }
}
