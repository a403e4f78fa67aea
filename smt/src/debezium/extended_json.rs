//! A reader of MongoDB Extended JSON (`BsonDocument.parse`), as the MongoDB connector writes a
//! document into `after`, `before`, `updateDescription.updatedFields` and the key's `id`.
//!
//! Both the relaxed and the canonical forms are read: plain JSON numbers (INT32 when they fit,
//! else INT64; DOUBLE with a fraction or exponent), `$oid`, `$numberInt`, `$numberLong`,
//! `$numberDouble`, `$numberDecimal`, `$date` (number, ISO-8601 text or `$numberLong`),
//! `$timestamp`, `$binary` (both forms), `$regularExpression` and `$regex`/`$options`, `$code`
//! (with `$scope`), `$symbol`, `$minKey`, `$maxKey`, `$undefined`. An object whose keys are not
//! exactly one of those forms is an ordinary document. Keys keep their order; a repeated key
//! keeps its first position and its last value. The mongo shell's syntax (`ObjectId("…")`,
//! unquoted keys) is not read.

use base64::Engine;
use serde_json::Value as Json;

use super::iso_offset_time::parse_offset_date_time;

/// A BSON value (`org.bson.BsonValue`) with the types the connector's documents can hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Bson {
    /// `null`.
    Null,
    /// `{"$undefined": true}`.
    Undefined,
    /// `{"$minKey": 1}`.
    MinKey,
    /// `{"$maxKey": 1}`.
    MaxKey,
    /// A string.
    String(String),
    /// `{"$symbol": …}`.
    Symbol(String),
    /// `{"$code": …}`.
    JavaScript(String),
    /// `{"$code": …, "$scope": {…}}`.
    JavaScriptWithScope(String, Vec<(String, Bson)>),
    /// A 32-bit integer.
    Int32(i32),
    /// A 64-bit integer.
    Int64(i64),
    /// A double.
    Double(f64),
    /// `{"$numberDecimal": …}`, as its text.
    Decimal128(String),
    /// `true` / `false`.
    Boolean(bool),
    /// `{"$oid": …}`, as lower-case hex.
    ObjectId(String),
    /// `{"$date": …}`, milliseconds since the epoch.
    DateTime(i64),
    /// `{"$timestamp": {"t": …, "i": …}}`: seconds and increment.
    Timestamp(u32, u32),
    /// `{"$binary": …}`: the bytes and the subtype.
    Binary(Vec<u8>, u8),
    /// A regular expression: pattern and options (sorted, as `BsonRegularExpression` keeps them).
    Regex(String, String),
    /// A document, keys in order.
    Document(Vec<(String, Bson)>),
    /// An array.
    Array(Vec<Bson>),
}

/// `BsonDocument.parse(text)`: a top-level document, or the reader's complaint.
pub fn parse_document(text: &str) -> Result<Vec<(String, Bson)>, String> {
    let json: Json = serde_json::from_str(text)
        .map_err(|e| format!("JSON reader was expecting a value but found '{text}': {e}"))?;
    match bson(json)? {
        Bson::Document(entries) => Ok(entries),
        _ => Err(format!("Invalid JSON input: '{text}' is not a document")),
    }
}

fn bson(json: Json) -> Result<Bson, String> {
    Ok(match json {
        Json::Null => Bson::Null,
        Json::Bool(b) => Bson::Boolean(b),
        Json::String(s) => Bson::String(s),
        Json::Number(n) => number(&n.to_string())?,
        Json::Array(items) => Bson::Array(items.into_iter().map(bson).collect::<Result<_, _>>()?),
        Json::Object(map) => {
            let entries: Vec<(String, Json)> = map.into_iter().collect();
            match special(&entries)? {
                Some(value) => value,
                None => document(entries)?,
            }
        }
    })
}

fn document(entries: Vec<(String, Json)>) -> Result<Bson, String> {
    let mut out: Vec<(String, Bson)> = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let value = bson(value)?;
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => out.push((key, value)),
        }
    }
    Ok(Bson::Document(out))
}

/// A plain JSON number: INT32 when it fits, else INT64; DOUBLE with a fraction or exponent.
fn number(text: &str) -> Result<Bson, String> {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(v) = text.parse::<i64>() {
            return Ok(i32::try_from(v).map_or(Bson::Int64(v), Bson::Int32));
        }
    }
    text.parse::<f64>()
        .map(Bson::Double)
        .map_err(|_| format!("Invalid JSON number: {text}"))
}

/// The Extended JSON form an object spells, if its keys are exactly one of them.
fn special(entries: &[(String, Json)]) -> Result<Option<Bson>, String> {
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    let get = |k: &str| entries.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    let text = |k: &str| get(k).and_then(Json::as_str).map(str::to_string);
    let bad = |form: &str| format!("Invalid JSON input for {form}");
    Ok(Some(match keys.as_slice() {
        ["$oid"] => {
            let hex =
                text("$oid").filter(|h| h.len() == 24 && h.bytes().all(|b| b.is_ascii_hexdigit()));
            Bson::ObjectId(hex.ok_or_else(|| bad("$oid"))?.to_ascii_lowercase())
        }
        ["$numberInt"] => Bson::Int32(
            text("$numberInt")
                .and_then(|t| t.parse().ok())
                .ok_or_else(|| bad("$numberInt"))?,
        ),
        ["$numberLong"] => Bson::Int64(long(get("$numberLong")).ok_or_else(|| bad("$numberLong"))?),
        ["$numberDouble"] => {
            let t = text("$numberDouble").ok_or_else(|| bad("$numberDouble"))?;
            Bson::Double(match t.as_str() {
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                "NaN" => f64::NAN,
                other => other.parse().map_err(|_| bad("$numberDouble"))?,
            })
        }
        ["$numberDecimal"] => {
            Bson::Decimal128(text("$numberDecimal").ok_or_else(|| bad("$numberDecimal"))?)
        }
        ["$date"] => Bson::DateTime(date(get("$date")).ok_or_else(|| bad("$date"))?),
        ["$timestamp"] => {
            let fields = get("$timestamp")
                .and_then(Json::as_object)
                .ok_or_else(|| bad("$timestamp"))?;
            let part = |k: &str| {
                fields
                    .get(k)
                    .and_then(Json::as_u64)
                    .and_then(|v| u32::try_from(v).ok())
            };
            Bson::Timestamp(
                part("t").ok_or_else(|| bad("$timestamp"))?,
                part("i").ok_or_else(|| bad("$timestamp"))?,
            )
        }
        ["$binary"] => {
            let fields = get("$binary")
                .and_then(Json::as_object)
                .ok_or_else(|| bad("$binary"))?;
            let data = fields
                .get("base64")
                .and_then(Json::as_str)
                .ok_or_else(|| bad("$binary"))?;
            let subtype = fields
                .get("subType")
                .and_then(Json::as_str)
                .and_then(subtype)
                .ok_or_else(|| bad("$binary"))?;
            Bson::Binary(decode(data).ok_or_else(|| bad("$binary"))?, subtype)
        }
        ["$binary", "$type"] | ["$type", "$binary"] => {
            let data = text("$binary").ok_or_else(|| bad("$binary"))?;
            let subtype = text("$type")
                .as_deref()
                .and_then(subtype)
                .ok_or_else(|| bad("$binary"))?;
            Bson::Binary(decode(&data).ok_or_else(|| bad("$binary"))?, subtype)
        }
        ["$regularExpression"] => {
            let fields = get("$regularExpression")
                .and_then(Json::as_object)
                .ok_or_else(|| bad("$regularExpression"))?;
            let part = |k: &str| fields.get(k).and_then(Json::as_str).map(str::to_string);
            Bson::Regex(
                part("pattern").ok_or_else(|| bad("$regularExpression"))?,
                sorted(part("options").ok_or_else(|| bad("$regularExpression"))?),
            )
        }
        ["$regex", "$options"] | ["$options", "$regex"] => Bson::Regex(
            text("$regex").ok_or_else(|| bad("$regex"))?,
            sorted(text("$options").ok_or_else(|| bad("$regex"))?),
        ),
        ["$code"] => Bson::JavaScript(text("$code").ok_or_else(|| bad("$code"))?),
        ["$code", "$scope"] | ["$scope", "$code"] => {
            let code = text("$code").ok_or_else(|| bad("$code"))?;
            let scope = get("$scope").cloned().ok_or_else(|| bad("$scope"))?;
            match bson(scope)? {
                Bson::Document(scope) => Bson::JavaScriptWithScope(code, scope),
                _ => return Err(bad("$scope")),
            }
        }
        ["$symbol"] => Bson::Symbol(text("$symbol").ok_or_else(|| bad("$symbol"))?),
        ["$minKey"] => Bson::MinKey,
        ["$maxKey"] => Bson::MaxKey,
        ["$undefined"] => Bson::Undefined,
        _ => return Ok(None),
    }))
}

/// A binary subtype: one or two hex digits.
fn subtype(text: &str) -> Option<u8> {
    (1..=2)
        .contains(&text.len())
        .then(|| u8::from_str_radix(text, 16).ok())
        .flatten()
}

/// Regular-expression options in character order (`sortOptionCharacters`).
fn sorted(options: String) -> String {
    let mut chars: Vec<char> = options.chars().collect();
    chars.sort_unstable();
    chars.into_iter().collect()
}

/// A `$numberLong` string.
fn long(json: Option<&Json>) -> Option<i64> {
    json?.as_str()?.parse().ok()
}

/// A `$date`: a JSON integer, `{"$numberLong": …}`, or ISO-8601 offset date-time text.
fn date(json: Option<&Json>) -> Option<i64> {
    match json? {
        Json::Number(n) => n.to_string().parse().ok(),
        Json::String(s) => {
            let t = parse_offset_date_time(s).ok()?;
            let seconds = t.local_seconds - i64::from(t.offset);
            seconds
                .checked_mul(1_000)?
                .checked_add(i64::from(t.nanos / 1_000_000))
        }
        Json::Object(map) if map.len() == 1 => long(map.get("$numberLong")),
        _ => None,
    }
}

fn decode(data: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(data).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_relaxed_and_canonical_forms() {
        let doc = parse_document(
            r#"{"_id": {"$oid": "596E275826F08B2730779E1F"}, "n": 1, "big": 3000000000, "d": 9.5,
                "l": {"$numberLong": "12"}, "i": {"$numberInt": "7"}, "since": {"$date": 1735725600000},
                "iso": {"$date": "2025-01-01T10:00:00.5+01:00"}, "ts": {"$timestamp": {"t": 5, "i": 1}},
                "bin": {"$binary": {"base64": "AQI=", "subType": "00"}}, "re": {"$regex": "^a", "$options": "i"},
                "dec": {"$numberDecimal": "1.50"}, "nested": {"a": [1, null]}, "n": 2}"#,
        )
        .expect("valid");
        let get = |k: &str| doc.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        assert_eq!(doc[0].0, "_id");
        assert_eq!(
            get("_id"),
            Some(Bson::ObjectId("596e275826f08b2730779e1f".into()))
        );
        assert_eq!(doc[1], ("n".to_string(), Bson::Int32(2)));
        assert_eq!(get("big"), Some(Bson::Int64(3_000_000_000)));
        assert_eq!(get("d"), Some(Bson::Double(9.5)));
        assert_eq!(get("l"), Some(Bson::Int64(12)));
        assert_eq!(get("i"), Some(Bson::Int32(7)));
        assert_eq!(get("since"), Some(Bson::DateTime(1_735_725_600_000)));
        assert_eq!(get("iso"), Some(Bson::DateTime(1_735_722_000_500)));
        assert_eq!(get("ts"), Some(Bson::Timestamp(5, 1)));
        assert_eq!(get("bin"), Some(Bson::Binary(vec![1, 2], 0)));
        assert_eq!(get("re"), Some(Bson::Regex("^a".into(), "i".into())));
        assert_eq!(get("dec"), Some(Bson::Decimal128("1.50".into())));
        assert_eq!(
            get("nested"),
            Some(Bson::Document(vec![(
                "a".into(),
                Bson::Array(vec![Bson::Int32(1), Bson::Null])
            )]))
        );
        assert!(parse_document("[1]").is_err());
        assert!(parse_document("{\"a\": {\"$oid\": \"xyz\"}}").is_err());
        assert!(parse_document("{not json").is_err());
    }
}
