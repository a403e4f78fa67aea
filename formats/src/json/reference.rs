//! The row-wise `org.apache.kafka.connect.json.JsonConverter` of Kafka 3.9 (with its Jackson 2.16
//! `ObjectMapper`), written from Kafka's source for readability: it is the oracle the columnar
//! converter is tested against, so it follows Kafka step by step rather than aiming for speed.
//!
//! - Reading ([`to_connect`], [`convert_to_connect`]) mirrors `toConnectData` / `convertToConnect`
//!   over a `serde_json::Value`, with Jackson's lenient `JsonNode` accessors (`intValue()` of a
//!   string is 0, `textValue()` of a number is null, …) and `Struct.put`'s validation.
//! - Writing ([`from_connect`], [`convert_to_json`]) mirrors `fromConnectData` / `convertToJson`
//!   into a small tree shaped like Jackson's nodes, printed as Jackson prints it
//!   ([`write_json_string`], [`write_f32`], [`write_f64`], [`write_decimal`]).
//!
//! Known differences from Kafka, all on input Kafka itself barely accepts: JSON nested deeper than
//! [`MAX_DEPTH`] is rejected (Jackson allows 1000); strings holding unpaired UTF-16 surrogate
//! escapes are rejected (Rust strings cannot hold them); UTF-16/UTF-32 input is not auto-detected;
//! decimals whose unscaled value needs more than 128 bits are rejected (weir's `Decimal` limit).

use std::borrow::Cow;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{Number, Value as Json};

use crate::error::{ConnectError, Result};
use crate::java_hash_order::java_hash_map;
use crate::java_number::{format_f32, format_f64};
use crate::json::schema_json;
pub use crate::json::write::{write_f32, write_f64};
use crate::schema::{
    Schema, SchemaKind, SchemaRef, DATE_LOGICAL_NAME, DECIMAL_LOGICAL_NAME,
    DECIMAL_SCALE_PARAMETER, TIMESTAMP_LOGICAL_NAME, TIME_LOGICAL_NAME,
};
use crate::value::{Decimal, Struct, Value};

/// The deepest nesting of arrays, objects and schemas this module converts. serde_json's parser
/// stops at its own limit of 128 levels (so parsed input never exceeds this); trees built in code
/// are checked against this bound so recursion stays shallow. Deeper input fails with the
/// DataException "JSON nesting deeper than 128 levels".
pub const MAX_DEPTH: usize = 128;

const MILLIS_PER_DAY: i64 = 86_400_000;
/// Jackson's `StreamReadConstraints` default maximum number length.
const MAX_NUMBER_LENGTH: usize = 1000;
const SERIALIZATION_ERROR: &str =
    "Converting byte[] to Kafka Connect data failed due to serialization error: ";
const ENVELOPE_ERROR: &str = "JsonConverter with schemas.enable requires \"schema\" and \
\"payload\" fields and may not contain additional fields. If you are trying to deserialize plain \
JSON data, set schemas.enable=false in your converter configuration.";

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// How Decimal values are written (`decimal.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalFormat {
    /// Base64 of the unscaled value's two's-complement bytes (Kafka's default).
    #[default]
    Base64,
    /// A JSON number, as `BigDecimal.toString()` prints it.
    Numeric,
}

/// `JsonConverterConfig`: the JsonConverter's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonConfig {
    /// `schemas.enable` (default true): read and write the `{"schema","payload"}` envelope.
    pub schemas_enable: bool,
    /// `decimal.format` (default BASE64).
    pub decimal_format: DecimalFormat,
    /// `replace.null.with.default` (default true): a null with a schema default becomes the default.
    pub replace_null_with_default: bool,
    /// `schemas.cache.size` (default 1000). Kafka's caches never change a result, so this converter
    /// keeps the value for callers that cache schemas and uses none itself.
    pub schemas_cache_size: usize,
}

impl Default for JsonConfig {
    fn default() -> JsonConfig {
        JsonConfig {
            schemas_enable: true,
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: true,
            schemas_cache_size: 1000,
        }
    }
}

impl JsonConfig {
    /// Parses the converter's settings (keys without their `value.converter.` prefix) as Kafka's
    /// `ConfigDef` does, in definition order, failing with its ConfigException text. A negative
    /// `schemas.cache.size` is accepted as Kafka does and stored as 0. Cost: four look-ups.
    pub fn from_settings(get: impl Fn(&str) -> Option<String>) -> Result<JsonConfig> {
        Ok(JsonConfig {
            schemas_enable: bool_setting(&get, "schemas.enable")?,
            schemas_cache_size: cache_size_setting(&get)?,
            decimal_format: decimal_format_setting(&get)?,
            replace_null_with_default: bool_setting(&get, "replace.null.with.default")?,
        })
    }
}

/// `ConfigException(name, value, message)`'s text.
fn invalid_setting(key: &str, value: &str, message: &str) -> ConnectError {
    ConnectError::config(format!(
        "Invalid value {value} for configuration {key}: {message}"
    ))
}

/// Java's `String.trim()`: strips every char up to U+0020 from both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// A BOOLEAN setting whose default is true (both of JsonConverter's are).
fn bool_setting(get: &impl Fn(&str) -> Option<String>, key: &str) -> Result<bool> {
    let Some(raw) = get(key) else {
        return Ok(true);
    };
    let trimmed = java_trim(&raw);
    if trimmed.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if trimmed.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(invalid_setting(
            key,
            &raw,
            "Expected value to be either true or false",
        ))
    }
}

/// `schemas.cache.size`, an INT setting.
fn cache_size_setting(get: &impl Fn(&str) -> Option<String>) -> Result<usize> {
    const KEY: &str = "schemas.cache.size";
    let Some(raw) = get(KEY) else {
        return Ok(JsonConfig::default().schemas_cache_size);
    };
    match java_trim(&raw).parse::<i32>() {
        Ok(size) => Ok(usize::try_from(size).unwrap_or(0)),
        Err(_) => Err(invalid_setting(KEY, &raw, "Not a number of type INT")),
    }
}

/// `decimal.format`, a STRING setting checked by `CaseInsensitiveValidString` (whose message
/// lists the names in Java `HashSet` order).
fn decimal_format_setting(get: &impl Fn(&str) -> Option<String>) -> Result<DecimalFormat> {
    const KEY: &str = "decimal.format";
    let Some(raw) = get(KEY) else {
        return Ok(DecimalFormat::Base64);
    };
    let trimmed = java_trim(&raw);
    match trimmed.to_uppercase().as_str() {
        "BASE64" => Ok(DecimalFormat::Base64),
        "NUMERIC" => Ok(DecimalFormat::Numeric),
        _ => Err(invalid_setting(
            KEY,
            trimmed,
            "String must be one of (case insensitive): NUMERIC, BASE64",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Errors shared with schema_json
// ---------------------------------------------------------------------------------------------

/// The DataException for nesting deeper than [`MAX_DEPTH`].
pub(crate) fn too_deep() -> ConnectError {
    ConnectError::data(format!("JSON nesting deeper than {MAX_DEPTH} levels"))
}

/// One level deeper than `depth`, or the [`too_deep`] error past [`MAX_DEPTH`].
pub(crate) fn enter(depth: usize) -> Result<usize> {
    if depth >= MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(depth + 1)
}

fn serialization_error() -> ConnectError {
    ConnectError::data(SERIALIZATION_ERROR)
}

// ---------------------------------------------------------------------------------------------
// Reading bytes: Jackson's readTree
// ---------------------------------------------------------------------------------------------

/// Kafka's `toConnectData`: None is a tombstone `(None, Null)`; otherwise the bytes are read as
/// Jackson's `readTree` does (first JSON value only, trailing content ignored; empty input is a
/// MissingNode), the envelope is checked when `schemas.enable`, the schema parsed and the payload
/// converted. Cost: one parse and one walk of the tree.
pub fn to_connect(bytes: Option<&[u8]>, config: &JsonConfig) -> Result<(Option<SchemaRef>, Value)> {
    let Some(bytes) = bytes else {
        return Ok((None, Value::Null));
    };
    let tree = read_tree(bytes)?;
    if !config.schemas_enable {
        return Ok((None, convert_node(None, tree.as_ref(), config, 0)?));
    }
    let envelope = tree
        .as_ref()
        .and_then(Json::as_object)
        .filter(|o| o.len() == 2 && o.contains_key("schema") && o.contains_key("payload"))
        .ok_or_else(|| ConnectError::data(ENVELOPE_ERROR))?;
    let schema_json = envelope.get("schema").unwrap_or(&Json::Null);
    let schema = schema_json::parse_schema_with(schema_json, config)?;
    let value = convert_node(schema.as_ref(), envelope.get("payload"), config, 0)?;
    Ok((schema, value))
}

/// Jackson's `ObjectMapper.readTree(byte[])` as JsonDeserializer configures it (leading zeros
/// allowed): `Ok(None)` is the MissingNode of empty or blank input. A UTF-8 byte order mark is
/// skipped. Cost: one pre-scan for numbers and one serde_json parse.
pub(crate) fn read_tree(bytes: &[u8]) -> Result<Option<Json>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Some(start) = bytes.iter().position(|b| !is_json_space(*b)) else {
        return Ok(None);
    };
    let text = prepare_numbers(&bytes[start..])?;
    let value = match text.first() {
        Some(b'{' | b'[' | b'"') => parse_first_value(&text)?,
        _ => parse_root_scalar(&text)?,
    };
    Ok(Some(value))
}

/// The four whitespace bytes Jackson skips between tokens.
fn is_json_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The first value of a document starting with `{`, `[` or `"`; what follows it is ignored.
fn parse_first_value(text: &[u8]) -> Result<Json> {
    match serde_json::Deserializer::from_slice(text)
        .into_iter::<Json>()
        .next()
    {
        Some(Ok(value)) => Ok(value),
        _ => Err(serialization_error()),
    }
}

/// A root-level number or literal. Jackson requires whitespace (or the end) after a root number,
/// and after `true`/`false`/`null` anything but a Java identifier character.
fn parse_root_scalar(text: &[u8]) -> Result<Json> {
    let literals = [
        (&b"true"[..], Json::Bool(true)),
        (&b"false"[..], Json::Bool(false)),
        (&b"null"[..], Json::Null),
    ];
    for (literal, value) in literals {
        if let Some(rest) = text.strip_prefix(literal) {
            return if literal_may_end_before(rest) {
                Ok(value)
            } else {
                Err(serialization_error())
            };
        }
    }
    let end = number_token_end(text).ok_or_else(serialization_error)?;
    if text.get(end).is_some_and(|b| !is_json_space(*b)) {
        return Err(serialization_error());
    }
    serde_json::from_slice(&text[..end]).map_err(|_| serialization_error())
}

/// Jackson's `_matchToken2` end check: a literal may be followed by the end, by any byte below
/// `'0'`, by `]` or `}`, or by a character that is not a Java identifier part.
fn literal_may_end_before(rest: &[u8]) -> bool {
    let Some(&b) = rest.first() else {
        return true;
    };
    if b < b'0' || b == b']' || b == b'}' {
        return true;
    }
    if b.is_ascii() {
        return !(b.is_ascii_alphanumeric() || b == b'_' || b == 0x7F);
    }
    let len = rest.len().min(4);
    let decoded = (1..=len).find_map(|n| std::str::from_utf8(&rest[..n]).ok());
    decoded
        .and_then(|s| s.chars().next())
        .is_some_and(|c| !c.is_alphanumeric())
}

/// The end of a JSON number starting at `text[0]` (leading zeros allowed), or None if malformed.
fn number_token_end(text: &[u8]) -> Option<usize> {
    let digits = |from: usize| {
        text[from.min(text.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut i = usize::from(text.first() == Some(&b'-'));
    let int_len = digits(i);
    if int_len == 0 {
        return None;
    }
    i += int_len;
    if text.get(i) == Some(&b'.') {
        let frac_len = digits(i + 1);
        if frac_len == 0 {
            return None;
        }
        i += 1 + frac_len;
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_len = digits(i);
        if exp_len == 0 {
            return None;
        }
        i += exp_len;
    }
    Some(i)
}

/// One number token outside strings, as the pre-scan sees it.
struct NumberToken {
    /// Index of the first integer digit.
    digits_start: usize,
    /// Redundant leading zeros (Jackson's ALLOW_LEADING_ZEROS_FOR_NUMBERS skips them).
    zeros: usize,
    /// Integer digits, fraction digits and exponent digits.
    int_len: usize,
    frac_len: usize,
    exp_len: usize,
    /// The decimal exponent, None when it overflows a Java long.
    exp: Option<i64>,
    /// Whether it has a fraction or exponent (a Jackson float token).
    is_float: bool,
    /// Index after the token.
    end: usize,
}

impl NumberToken {
    /// Scans the number starting at `text[start]` (a `-` or a digit); malformed tails are left for
    /// serde_json to reject.
    fn scan(text: &[u8], start: usize) -> NumberToken {
        let run = |from: usize| {
            text[from.min(text.len())..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let digits_start = start + usize::from(text[start] == b'-');
        let int_len = run(digits_start);
        let leading = text[digits_start..digits_start + int_len]
            .iter()
            .take_while(|b| **b == b'0')
            .count();
        let zeros = if leading == int_len {
            int_len.saturating_sub(1)
        } else {
            leading
        };
        let mut end = digits_start + int_len;
        let mut token = NumberToken {
            digits_start,
            zeros,
            int_len,
            frac_len: 0,
            exp_len: 0,
            exp: Some(0),
            is_float: false,
            end,
        };
        if text.get(end) == Some(&b'.') {
            token.is_float = true;
            token.frac_len = run(end + 1);
            end += 1 + token.frac_len;
        }
        if matches!(text.get(end), Some(b'e' | b'E')) {
            token.is_float = true;
            end += 1;
            let negative = text.get(end) == Some(&b'-');
            end += usize::from(matches!(text.get(end), Some(b'+' | b'-')));
            token.exp_len = run(end);
            token.exp = parse_exponent(&text[end..end + token.exp_len], negative);
            end += token.exp_len;
        }
        token.end = end;
        token
    }

    /// Jackson's limits: at most 1000 digits, and a float's BigDecimal scale must fit an int.
    fn check(&self) -> Result<()> {
        let int_len = self.int_len - self.zeros;
        let length = if self.is_float {
            int_len + self.frac_len + self.exp_len
        } else {
            int_len
        };
        if length > MAX_NUMBER_LENGTH {
            return Err(serialization_error());
        }
        if !self.is_float {
            return Ok(());
        }
        let scale = self
            .exp
            .and_then(|exp| (self.frac_len as i64).checked_sub(exp));
        match scale {
            Some(scale) if i32::try_from(scale).is_ok() => Ok(()),
            _ => Err(serialization_error()),
        }
    }
}

/// An exponent's digits as a Java long, None on overflow.
fn parse_exponent(digits: &[u8], negative: bool) -> Option<i64> {
    let mut value: i64 = 0;
    for d in digits {
        value = value.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
    }
    Some(if negative { -value } else { value })
}

/// Walks the first JSON value (Jackson never reads past it) outside strings, checks every number
/// against Jackson's limits and drops redundant leading zeros (which serde_json would reject).
/// Cost: one pass; a copy only when a number had leading zeros.
fn prepare_numbers(text: &[u8]) -> Result<Cow<'_, [u8]>> {
    let mut out = Vec::new();
    let mut copied = 0;
    let mut in_string = false;
    let mut depth = 0usize;
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        let value_ended = if in_string {
            in_string = b != b'"';
            i += if b == b'\\' { 2 } else { 1 };
            !in_string && depth == 0
        } else if b == b'-' || b.is_ascii_digit() {
            let token = NumberToken::scan(text, i);
            token.check()?;
            if token.zeros > 0 {
                out.extend_from_slice(&text[copied..token.digits_start]);
                copied = token.digits_start + token.zeros;
            }
            i = token.end.max(i + 1);
            depth == 0
        } else {
            in_string = b == b'"';
            match b {
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
            depth == 0 && matches!(b, b'}' | b']')
        };
        if value_ended {
            break;
        }
    }
    if copied == 0 {
        return Ok(Cow::Borrowed(text));
    }
    out.extend_from_slice(&text[copied..]);
    Ok(Cow::Owned(out))
}

// ---------------------------------------------------------------------------------------------
// Jackson's JsonNode accessors over serde_json values
// ---------------------------------------------------------------------------------------------

/// The Jackson node a number token becomes: IntNode, LongNode, BigIntegerNode, or (floats, with
/// USE_BIG_DECIMAL_FOR_FLOATS and an exact node factory) DecimalNode.
pub(crate) enum NumberNode<'a> {
    Int(i32),
    Long(i64),
    BigInteger(&'a str),
    Decimal(&'a str),
}

impl NumberNode<'_> {
    /// Classifies a serde_json number by its text.
    pub(crate) fn of(n: &Number) -> NumberNode<'_> {
        let text = n.as_str();
        if text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
            return NumberNode::Decimal(text);
        }
        match text.parse::<i64>() {
            Ok(v) => i32::try_from(v).map_or(NumberNode::Long(v), NumberNode::Int),
            Err(_) => NumberNode::BigInteger(text),
        }
    }

    /// `longValue()`: the low 64 bits of the value truncated toward zero (so `intValue()` is the
    /// low 32 bits of this).
    pub(crate) fn long_value(&self) -> i64 {
        match *self {
            NumberNode::Int(v) => i64::from(v),
            NumberNode::Long(v) => v,
            NumberNode::BigInteger(text) | NumberNode::Decimal(text) => truncated_low_bits(text),
        }
    }

    /// `floatValue()`: the nearest f32 (Java's conversions all round to nearest; a BigDecimal
    /// zero has no sign, see [`unsigned_zero`]).
    pub(crate) fn float_value(&self) -> f32 {
        match *self {
            NumberNode::Int(v) => v as f32,
            NumberNode::Long(v) => v as f32,
            NumberNode::BigInteger(text) | NumberNode::Decimal(text) => {
                unsigned_zero(text.parse().unwrap_or(0.0))
            }
        }
    }

    /// `doubleValue()`: the nearest f64 (a BigDecimal zero has no sign, see [`unsigned_zero`]).
    pub(crate) fn double_value(&self) -> f64 {
        match *self {
            NumberNode::Int(v) => f64::from(v),
            NumberNode::Long(v) => v as f64,
            NumberNode::BigInteger(text) | NumberNode::Decimal(text) => {
                unsigned_zero(text.parse().unwrap_or(0.0))
            }
        }
    }

    /// `decimalValue()`: the exact BigDecimal (a float keeps its written scale: `1.50` has 2).
    pub(crate) fn decimal_value(&self) -> Result<Decimal> {
        match *self {
            NumberNode::Int(v) => Ok(Decimal {
                unscaled: i128::from(v),
                scale: 0,
            }),
            NumberNode::Long(v) => Ok(Decimal {
                unscaled: i128::from(v),
                scale: 0,
            }),
            NumberNode::BigInteger(text) | NumberNode::Decimal(text) => parse_big_decimal(text),
        }
    }
}

/// A number's text split into sign, integer digits, fraction digits and exponent (saturated).
fn split_number(text: &str) -> (bool, &str, &str, i64) {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], saturating_exponent(&rest[i + 1..])),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    (negative, int, frac, exp)
}

/// An exponent's text (`+12`, `-3`, `7`) as i64, saturating on overflow.
fn saturating_exponent(text: &str) -> i64 {
    let negative = text.starts_with('-');
    let digits = text.trim_start_matches(['+', '-']).as_bytes();
    parse_exponent(digits, negative).unwrap_or(if negative { i64::MIN } else { i64::MAX })
}

/// `BigDecimal.longValue()` / `BigInteger.longValue()`: truncate toward zero, keep the low 64 bits
/// of the two's complement. Arithmetic is modulo 2^64, so huge values need no big integers
/// (and 10^64 ≡ 0, which bounds the work for huge exponents).
fn truncated_low_bits(text: &str) -> i64 {
    let (negative, int, frac, exp) = split_number(text);
    let digits = int.bytes().chain(frac.bytes());
    let shift = exp.saturating_sub(frac.len() as i64);
    let kept = if shift >= 0 {
        int.len() + frac.len()
    } else {
        (int.len() + frac.len())
            .saturating_sub(usize::try_from(shift.unsigned_abs()).unwrap_or(usize::MAX))
    };
    let mut acc = digits.take(kept).fold(0u64, |acc, d| {
        acc.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
    });
    for _ in 0..shift.clamp(0, 64) {
        acc = acc.wrapping_mul(10);
    }
    (if negative { acc.wrapping_neg() } else { acc }) as i64
}

/// `new BigDecimal(text)`, within weir's 128-bit unscaled values.
pub(crate) fn parse_big_decimal(text: &str) -> Result<Decimal> {
    let (negative, int, frac, exp) = split_number(text);
    let too_big = || {
        ConnectError::data(format!(
            "Decimal value {text} does not fit in weir's 128-bit decimals"
        ))
    };
    let digits = format!("{}{int}{frac}", if negative { "-" } else { "" });
    let unscaled = digits.parse::<i128>().map_err(|_| too_big())?;
    let scale = (frac.len() as i64)
        .checked_sub(exp)
        .and_then(|s| i32::try_from(s).ok())
        .ok_or_else(too_big)?;
    Ok(Decimal { unscaled, scale })
}

/// `getNodeType()`'s name, as Kafka's messages print it.
pub(crate) fn node_type(node: &Json) -> &'static str {
    match node {
        Json::Null => "NULL",
        Json::Bool(_) => "BOOLEAN",
        Json::Number(_) => "NUMBER",
        Json::String(_) => "STRING",
        Json::Array(_) => "ARRAY",
        Json::Object(_) => "OBJECT",
    }
}

/// `longValue()` of any node: numbers as above, everything else 0.
pub(crate) fn long_value(node: &Json) -> i64 {
    match node {
        Json::Number(n) => NumberNode::of(n).long_value(),
        _ => 0,
    }
}

/// `intValue()` of any node: the low 32 bits of `longValue()`.
pub(crate) fn int_value(node: &Json) -> i32 {
    long_value(node) as i32
}

/// The value of an IntNode (`isInt()`), else None.
pub(crate) fn int_node(node: &Json) -> Option<i32> {
    match node {
        Json::Number(n) => match NumberNode::of(n) {
            NumberNode::Int(v) => Some(v),
            _ => None,
        },
        _ => None,
    }
}

/// `longValue()` of an integral number node (`isIntegralNumber()`), else None.
pub(crate) fn integral_long(node: &Json) -> Option<i64> {
    match node {
        Json::Number(n) => match NumberNode::of(n) {
            NumberNode::Decimal(_) => None,
            integral => Some(integral.long_value()),
        },
        _ => None,
    }
}

/// `intValue()` of an integral number node, else None (the schema `version` rule).
pub(crate) fn integral_int(node: &Json) -> Option<i32> {
    integral_long(node).map(|v| v as i32)
}

/// One base64 character's 6 bits.
fn base64_bits(c: u8) -> Option<u32> {
    let bits = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(bits))
}

/// Jackson's `TextNode.getBinaryValue` with its default MIME-NO-LINEFEEDS variant: the text is
/// trimmed, blanks (≤ U+0020) may sit between 4-character units, padding is required, a padded
/// unit may be followed by more units, unused low bits are ignored. None when broken. Cost: linear.
pub(crate) fn jackson_base64_decode(text: &str) -> Option<Vec<u8>> {
    let s = java_trim(text).as_bytes();
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 3);
    let mut i = 0;
    loop {
        while s.get(i).is_some_and(|b| *b <= b' ') {
            i += 1;
        }
        if i >= s.len() {
            return Some(out);
        }
        let first = (base64_bits(s[i])? << 6) | base64_bits(*s.get(i + 1)?)?;
        let third = *s.get(i + 2)?;
        let fourth = *s.get(i + 3)?;
        i += 4;
        if third == b'=' {
            if fourth != b'=' {
                return None;
            }
            out.push((first >> 4) as u8);
            continue;
        }
        let three = (first << 6) | base64_bits(third)?;
        if fourth == b'=' {
            out.extend_from_slice(&((three >> 2) as u16).to_be_bytes());
            continue;
        }
        let all = (three << 6) | base64_bits(fourth)?;
        out.extend_from_slice(&all.to_be_bytes()[1..]);
    }
}

// ---------------------------------------------------------------------------------------------
// JSON → Connect
// ---------------------------------------------------------------------------------------------

/// The four logical types, recognised (as Kafka's converter does) by schema name alone.
#[derive(Clone, Copy)]
enum Logical {
    Decimal,
    Date,
    Time,
    Timestamp,
}

/// The logical converter Kafka would pick for `schema` (by name only, whatever the type).
fn logical(schema: &Schema) -> Option<Logical> {
    match schema.name.as_deref()? {
        DECIMAL_LOGICAL_NAME => Some(Logical::Decimal),
        DATE_LOGICAL_NAME => Some(Logical::Date),
        TIME_LOGICAL_NAME => Some(Logical::Time),
        TIMESTAMP_LOGICAL_NAME => Some(Logical::Timestamp),
        _ => None,
    }
}

/// The schema's default, unless absent or null.
fn default_of(schema: &Schema) -> Option<&Value> {
    schema.default.as_ref().filter(|v| !v.is_null())
}

/// Kafka's `convertToConnect(schema, jsonValue)`: with a schema, null takes the default (when
/// `replace.null.with.default`) or is null if optional; without one, the type is inferred
/// (integral → INT64, other numbers → FLOAT64, objects → MAP). Errors carry the field path.
/// Cost: one walk of `json`, copying its strings.
pub fn convert_to_connect(
    schema: Option<&SchemaRef>,
    json: &Json,
    config: &JsonConfig,
) -> Result<Value> {
    convert_node(schema, Some(json), config, 0)
}

/// `convertToConnect` on a node that may be missing (`None`, like a Java null).
fn convert_node(
    schema: Option<&SchemaRef>,
    node: Option<&Json>,
    config: &JsonConfig,
    depth: usize,
) -> Result<Value> {
    let node = node.filter(|n| !n.is_null());
    let Some(schema) = schema else {
        return infer(node, config, depth);
    };
    let Some(node) = node else {
        return null_to_connect(schema, config);
    };
    match logical(schema) {
        Some(kind) => logical_to_connect(kind, schema, node),
        None => typed_to_connect(schema, node, config, depth),
    }
}

/// A null or missing node under `schema`.
fn null_to_connect(schema: &Schema, config: &JsonConfig) -> Result<Value> {
    if let Some(default) = default_of(schema).filter(|_| config.replace_null_with_default) {
        return Ok(default.clone());
    }
    if schema.optional {
        return Ok(Value::Null);
    }
    Err(ConnectError::data(format!(
        "Invalid null value for required {} field",
        schema.type_name()
    )))
}

/// Schemaless conversion: the type follows the node.
fn infer(node: Option<&Json>, config: &JsonConfig, depth: usize) -> Result<Value> {
    let Some(node) = node else {
        return Ok(Value::Null);
    };
    Ok(match node {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => {
            let number = NumberNode::of(n);
            match number {
                NumberNode::Decimal(_) => Value::Float64(number.double_value()),
                _ => Value::Int64(number.long_value()),
            }
        }
        Json::String(s) => Value::String(s.clone()),
        Json::Array(_) => array_to_connect(None, node, config, depth)?,
        Json::Object(_) => object_map_to_connect(None, node, config, depth)?,
    })
}

/// `TO_CONNECT_CONVERTERS` for a non-null node under a schema without a logical name.
fn typed_to_connect(
    schema: &SchemaRef,
    node: &Json,
    config: &JsonConfig,
    depth: usize,
) -> Result<Value> {
    Ok(match &schema.kind {
        SchemaKind::Boolean => Value::Boolean(node.as_bool().unwrap_or(false)),
        SchemaKind::Int8 => Value::Int8(int_value(node) as i8),
        SchemaKind::Int16 => Value::Int16(int_value(node) as i16),
        SchemaKind::Int32 => Value::Int32(int_value(node)),
        SchemaKind::Int64 => Value::Int64(long_value(node)),
        SchemaKind::Float32 => Value::Float32(number_of(node).map_or(0.0, |n| n.float_value())),
        SchemaKind::Float64 => Value::Float64(number_of(node).map_or(0.0, |n| n.double_value())),
        // `binaryValue()`: base64 text decoded, no bytes (null) for other nodes.
        SchemaKind::Bytes => match node {
            Json::String(text) => Value::Bytes(
                jackson_base64_decode(text)
                    .ok_or_else(|| ConnectError::data("Invalid bytes field"))?,
            ),
            _ => Value::Null,
        },
        SchemaKind::String => node
            .as_str()
            .map_or(Value::Null, |s| Value::String(s.to_string())),
        SchemaKind::Array(elem) => array_to_connect(Some(elem), node, config, depth)?,
        SchemaKind::Map(key, value) if key.kind == SchemaKind::String => {
            object_map_to_connect(Some(value), node, config, depth)?
        }
        SchemaKind::Map(key, value) => pair_map_to_connect(key, value, node, config, depth)?,
        SchemaKind::Struct(_) => struct_to_connect(schema, node, config, depth)?,
    })
}

/// The number behind a number node.
fn number_of(node: &Json) -> Option<NumberNode<'_>> {
    match node {
        Json::Number(n) => Some(NumberNode::of(n)),
        _ => None,
    }
}

/// ARRAY: Jackson iterates an array's elements, an object's values, and nothing for scalars.
fn array_to_connect(
    elem: Option<&SchemaRef>,
    node: &Json,
    config: &JsonConfig,
    depth: usize,
) -> Result<Value> {
    let depth = enter(depth)?;
    let items: Vec<&Json> = match node {
        Json::Array(items) => items.iter().collect(),
        Json::Object(map) => map.values().collect(),
        _ => Vec::new(),
    };
    let values = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            convert_node(elem, Some(item), config, depth).map_err(|e| e.at(&format!("[{i}]")))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::Array(values))
}

/// MAP with string keys (or no schema): a JSON object; keys stay strings.
fn object_map_to_connect(
    value_schema: Option<&SchemaRef>,
    node: &Json,
    config: &JsonConfig,
    depth: usize,
) -> Result<Value> {
    let Json::Object(map) = node else {
        return Err(ConnectError::data(format!(
            "Maps with string fields should be encoded as JSON objects, but found {}",
            node_type(node)
        )));
    };
    let depth = enter(depth)?;
    let mut entries = Vec::with_capacity(map.len());
    for (key, item) in map {
        let value = convert_node(value_schema, Some(item), config, depth).map_err(|e| e.at(key))?;
        entries.push((Value::String(key.clone()), value));
    }
    Ok(Value::Map(entries))
}

/// MAP with non-string keys: a JSON array of `[key, value]` pairs, put into a Java `HashMap`:
/// one entry per key (after conversion: int8 keys 1 and 257 are both `(byte) 1`) with the last
/// value, in the order that `HashMap` iterates, which is the order Kafka writes the map in.
fn pair_map_to_connect(
    key_schema: &SchemaRef,
    value_schema: &SchemaRef,
    node: &Json,
    config: &JsonConfig,
    depth: usize,
) -> Result<Value> {
    let Json::Array(pairs) = node else {
        return Err(ConnectError::data(format!(
            "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
            node_type(node)
        )));
    };
    let depth = enter(enter(depth)?)?;
    let entries = pairs
        .iter()
        .enumerate()
        .map(|(i, pair)| {
            pair_to_connect(key_schema, value_schema, pair, config, depth)
                .map_err(|e| e.at(&format!("[{i}]")))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::Map(java_hash_map(entries, java_equals)))
}

/// One `[key, value]` tuple of an array-encoded map.
fn pair_to_connect(
    key_schema: &SchemaRef,
    value_schema: &SchemaRef,
    pair: &Json,
    config: &JsonConfig,
    depth: usize,
) -> Result<(Value, Value)> {
    let Json::Array(tuple) = pair else {
        return Err(ConnectError::data(format!(
            "Found invalid map entry instead of array tuple: {}",
            node_type(pair)
        )));
    };
    if tuple.len() != 2 {
        return Err(ConnectError::data(format!(
            "Found invalid map entry, expected length 2 but found :{}",
            tuple.len()
        )));
    }
    let key = convert_node(Some(key_schema), tuple.first(), config, depth)?;
    let value = convert_node(Some(value_schema), tuple.get(1), config, depth)?;
    Ok((key, value))
}

/// STRUCT: a JSON object; each field converted (missing is null) and checked as `Struct.put` does.
fn struct_to_connect(
    schema: &SchemaRef,
    node: &Json,
    config: &JsonConfig,
    depth: usize,
) -> Result<Value> {
    let Json::Object(map) = node else {
        return Err(ConnectError::data(format!(
            "Structs should be encoded as JSON objects, but found {}",
            node_type(node)
        )));
    };
    let depth = enter(depth)?;
    let mut values = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let value = convert_node(Some(&field.schema), map.get(&field.name), config, depth)
            .and_then(|v| {
                validate_value(&field.schema, &v, &field_location(&field.name)).map(|()| v)
            })
            .map_err(|e| e.at(&field.name))?;
        values.push(value);
    }
    Ok(Value::Struct(Struct {
        schema: schema.clone(),
        values,
    }))
}

/// `LOGICAL_CONVERTERS.toConnect` for a non-null node.
fn logical_to_connect(kind: Logical, schema: &Schema, node: &Json) -> Result<Value> {
    match kind {
        Logical::Decimal => decimal_to_connect(schema, node).map(Value::Decimal),
        Logical::Date => {
            let days = int_node(node).ok_or_else(|| logical_type_error("Date", "integer", node))?;
            Ok(Value::Date(i64::from(days) * MILLIS_PER_DAY))
        }
        Logical::Time => {
            let millis =
                int_node(node).ok_or_else(|| logical_type_error("Time", "integer", node))?;
            if millis < 0 || i64::from(millis) > MILLIS_PER_DAY {
                return Err(ConnectError::data(
                    "Time values must use number of milliseconds greater than 0 and less than 86400000",
                ));
            }
            Ok(Value::Date(i64::from(millis)))
        }
        Logical::Timestamp => {
            let millis = integral_long(node)
                .ok_or_else(|| logical_type_error("Timestamp", "integral", node))?;
            Ok(Value::Date(millis))
        }
    }
}

/// "Invalid type for Date, underlying representation should be integer but was STRING".
fn logical_type_error(name: &str, expected: &str, node: &Json) -> ConnectError {
    ConnectError::data(format!(
        "Invalid type for {name}, underlying representation should be {expected} but was {}",
        node_type(node)
    ))
}

/// Decimal from a number (its exact value and written scale) or from base64 text (the unscaled
/// two's-complement bytes with the schema's scale).
fn decimal_to_connect(schema: &Schema, node: &Json) -> Result<Decimal> {
    match node {
        Json::Number(n) => NumberNode::of(n).decimal_value(),
        Json::String(text) => decimal_from_base64(schema, text),
        _ => Err(ConnectError::data(format!(
            "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
            node_type(node)
        ))),
    }
}

/// `Decimal.toLogical(schema, binaryValue())`: every failure is "Invalid bytes for Decimal field"
/// except an unscaled value beyond 128 bits, which only weir rejects.
fn decimal_from_base64(schema: &Schema, text: &str) -> Result<Decimal> {
    let invalid = || ConnectError::data("Invalid bytes for Decimal field");
    let bytes = jackson_base64_decode(text)
        .filter(|b| !b.is_empty())
        .ok_or_else(invalid)?;
    let scale = decimal_scale(schema).map_err(|_| invalid())?;
    let unscaled = i128_from_be_bytes(&bytes).ok_or_else(|| {
        ConnectError::data(format!(
            "Decimal value of {} bytes does not fit in weir's 128-bit decimals",
            bytes.len()
        ))
    })?;
    Ok(Decimal { unscaled, scale })
}

/// `Decimal.scale(schema)`: the `scale` parameter as a Java int.
fn decimal_scale(schema: &Schema) -> Result<i32> {
    let text = schema
        .parameter(DECIMAL_SCALE_PARAMETER)
        .ok_or_else(|| ConnectError::data("Invalid Decimal schema: scale parameter not found."))?;
    text.parse()
        .map_err(|_| ConnectError::data("Invalid scale parameter found in Decimal schema: "))
}

/// `new BigInteger(bytes)` (big-endian two's complement, non-empty) when it fits an i128.
pub(crate) fn i128_from_be_bytes(bytes: &[u8]) -> Option<i128> {
    let negative = bytes.first()? & 0x80 != 0;
    let sign = if negative { 0xFF } else { 0x00 };
    let redundant = bytes
        .windows(2)
        .take_while(|w| w[0] == sign && (w[1] & 0x80 != 0) == negative)
        .count();
    let significant = &bytes[redundant..];
    if significant.len() > 16 {
        return None;
    }
    let start: i128 = if negative { -1 } else { 0 };
    Some(
        significant
            .iter()
            .fold(start, |acc, b| (acc << 8) | i128::from(*b)),
    )
}

/// `BigInteger.toByteArray()` of an unscaled value: the shortest big-endian two's complement.
fn i128_to_be_bytes(v: i128) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let sign = if v < 0 { 0xFF } else { 0x00 };
    let redundant = bytes
        .windows(2)
        .take_while(|w| w[0] == sign && (w[1] & 0x80 != 0) == (v < 0))
        .count();
    bytes[redundant..].to_vec()
}

/// The location text of `ConnectSchema.validateValue` for a struct field.
fn field_location(name: &str) -> String {
    format!("field: \"{name}\"")
}

/// `ConnectSchema.validateValue` for values this converter builds (whose Java classes always
/// match their schemas): null where the schema is required, and struct schema identity, through
/// arrays, maps and structs.
fn validate_value(schema: &Schema, value: &Value, location: &str) -> Result<()> {
    if value.is_null() {
        if schema.optional {
            return Ok(());
        }
        return Err(ConnectError::data(format!(
            "Invalid value: null used for required {location}, schema type: {}",
            schema.type_name()
        )));
    }
    match (&schema.kind, value) {
        (SchemaKind::Struct(_), Value::Struct(s)) => validate_struct(schema, s),
        (SchemaKind::Array(elem), Value::Array(items)) => {
            let location = format!("element of array {location}");
            items
                .iter()
                .try_for_each(|item| validate_value(elem, item, &location))
        }
        (SchemaKind::Map(key, val), Value::Map(entries)) => {
            let key_location = format!("key of map {location}");
            let value_location = format!("value of map {location}");
            entries.iter().try_for_each(|(k, v)| {
                validate_value(key, k, &key_location)?;
                validate_value(val, v, &value_location)
            })
        }
        _ => Ok(()),
    }
}

/// The STRUCT case of `validateValue`: same schema, then `Struct.validate()`.
fn validate_struct(schema: &Schema, value: &Struct) -> Result<()> {
    if !same_schema(&value.schema, schema) {
        return Err(ConnectError::data("Struct schemas do not match."));
    }
    for (field, v) in value.schema.fields().iter().zip(&value.values) {
        if v.is_null() && (field.schema.optional || default_of(&field.schema).is_some()) {
            continue;
        }
        validate_value(&field.schema, v, &field_location(&field.name))?;
    }
    Ok(())
}

/// `ConnectSchema.equals`, with a cheap identity check first.
fn same_schema(a: &Schema, b: &Schema) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// `SchemaBuilder.defaultValue(value)`'s check of a default converted with the schema being built
/// (`schema`, which has no default yet). A struct default always fails: Kafka compares the
/// struct's built schema with the SchemaBuilder itself, which are never equal.
pub(crate) fn validate_default(schema: &Schema, value: &Value) -> Result<()> {
    let invalid = || ConnectError::data("Invalid default value");
    if matches!(value, Value::Struct(_)) {
        return Err(invalid());
    }
    validate_value(schema, value, "value").map_err(|_| invalid())
}

/// Java `equals` between map keys: boxed numbers compare by type and value (floats by bits, NaN
/// equal to itself), `byte[]` by identity (so never), lists and maps element-wise, structs with
/// `Arrays.deepEquals` (bytes by content).
fn java_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float32(x), Value::Float32(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Value::Float64(x), Value::Float64(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Value::Bytes(_), Value::Bytes(_)) => false,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| java_equals(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .any(|(k2, v2)| java_equals(k, k2) && java_equals(v, v2))
                })
        }
        (Value::Struct(x), Value::Struct(y)) => {
            same_schema(&x.schema, &y.schema)
                && x.values.len() == y.values.len()
                && x.values
                    .iter()
                    .zip(&y.values)
                    .all(|(p, q)| deep_equals(p, q))
        }
        _ => a == b,
    }
}

/// `Arrays.deepEquals` on one element: arrays (bytes) by content, everything else by `equals`.
fn deep_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        _ => java_equals(a, b),
    }
}

// ---------------------------------------------------------------------------------------------
// Connect → JSON
// ---------------------------------------------------------------------------------------------

/// A JSON tree shaped like the Jackson nodes JsonConverter builds, so numbers keep their Java type
/// and print as Jackson prints them. Objects keep insertion order and replace a repeated key in
/// place (`ObjectNode.set`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    /// IntNode / LongNode (and the short and byte nodes).
    Int(i64),
    /// FloatNode.
    Float(f32),
    /// DoubleNode.
    Double(f64),
    /// DecimalNode (exact).
    Decimal(Decimal),
    /// TextNode.
    Text(String),
    /// BinaryNode: written as base64 text.
    Binary(Vec<u8>),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    /// `ObjectNode.set(key, value)` on an object's entries.
    pub(crate) fn set(entries: &mut Vec<(String, Node)>, key: String, value: Node) {
        match entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => entries.push((key, value)),
        }
    }

    /// `JsonNode.asText()`: a scalar's text, `""` for containers.
    fn as_text(&self) -> String {
        match self {
            Node::Null => "null".to_string(),
            Node::Bool(b) => b.to_string(),
            Node::Int(v) => v.to_string(),
            Node::Float(v) => format_f32(*v),
            Node::Double(v) => format_f64(*v),
            Node::Decimal(d) => big_decimal_string(d),
            Node::Text(s) => s.clone(),
            Node::Binary(b) => BASE64.encode(b),
            Node::Array(_) | Node::Object(_) => String::new(),
        }
    }

    /// Writes this tree as Jackson's compact generator does. Cost: linear in the output.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        match self {
            Node::Null => out.extend_from_slice(b"null"),
            Node::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Node::Int(v) => out.extend_from_slice(itoa::Buffer::new().format(*v).as_bytes()),
            Node::Float(v) => write_f32(out, *v),
            Node::Double(v) => write_f64(out, *v),
            Node::Decimal(d) => write_decimal(out, d),
            Node::Text(s) => write_json_string(out, s),
            Node::Binary(b) => write_json_string(out, &BASE64.encode(b)),
            Node::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Node::Object(entries) => {
                out.push(b'{');
                for (i, (key, item)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_json_string(out, key);
                    out.push(b':');
                    item.write(out);
                }
                out.push(b'}');
            }
        }
    }

    /// The same tree as a `serde_json::Value` (non-finite floats become the strings Jackson
    /// writes for them; serde_json normalises exponent notation, `1.0E21` → `1.0e+21`).
    pub(crate) fn to_serde(&self) -> Json {
        match self {
            Node::Null => Json::Null,
            Node::Bool(b) => Json::Bool(*b),
            Node::Int(v) => Json::from(*v),
            Node::Float(_) | Node::Double(_) | Node::Decimal(_) => {
                let text = self.as_text();
                Number::from_str(&text).map_or(Json::String(text), Json::Number)
            }
            Node::Text(_) | Node::Binary(_) => Json::String(self.as_text()),
            Node::Array(items) => Json::Array(items.iter().map(Node::to_serde).collect()),
            Node::Object(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_serde()))
                    .collect(),
            ),
        }
    }
}

/// Kafka's `fromConnectData`: no schema and a null value is a tombstone (None); otherwise the
/// value (and, with `schemas.enable`, its schema in an envelope) as Jackson writes it.
/// Cost: one walk of the value and of the schema, one output buffer.
pub fn from_connect(
    schema: Option<&SchemaRef>,
    value: &Value,
    config: &JsonConfig,
) -> Result<Option<Vec<u8>>> {
    if schema.is_none() && value.is_null() {
        return Ok(None);
    }
    let schema = schema.map(|s| &**s);
    let node = if config.schemas_enable {
        let schema_node = match schema {
            Some(s) => schema_json::schema_node(s, config)?,
            None => Node::Null,
        };
        let payload = value_node(schema, value, config, 0)?;
        Node::Object(vec![
            ("schema".to_string(), schema_node),
            ("payload".to_string(), payload),
        ])
    } else {
        value_node(schema, value, config, 0)?
    };
    let mut out = Vec::new();
    node.write(&mut out);
    Ok(Some(out))
}

/// Kafka's `convertToJson(schema, value)`, appended to `out` as compact JSON: defaults replace
/// nulls (with `replace.null.with.default`), logical types by schema name, decimals per
/// `decimal.format`, bytes as base64, schemaless values typed by their Java class. A null without
/// a schema is written as `null`. Errors carry the field path. Cost: one walk of the value.
pub fn convert_to_json(
    schema: Option<&SchemaRef>,
    value: &Value,
    config: &JsonConfig,
    out: &mut Vec<u8>,
) -> Result<()> {
    value_node(schema.map(|s| &**s), value, config, 0)?.write(out);
    Ok(())
}

/// `convertToJson` into a [`Node`].
pub(crate) fn value_node(
    schema: Option<&Schema>,
    value: &Value,
    config: &JsonConfig,
    depth: usize,
) -> Result<Node> {
    if value.is_null() {
        return null_node(schema, config, depth);
    }
    match schema {
        None => schemaless_node(value, config, depth),
        Some(s) => match logical(s) {
            Some(kind) => logical_node(kind, s, value, config),
            None => typed_node(s, value, config, depth),
        },
    }
}

/// A null value: the default, a JSON null, or an error when required.
fn null_node(schema: Option<&Schema>, config: &JsonConfig, depth: usize) -> Result<Node> {
    let Some(schema) = schema else {
        return Ok(Node::Null);
    };
    if let Some(default) = default_of(schema).filter(|_| config.replace_null_with_default) {
        return value_node(Some(schema), default, config, depth);
    }
    if schema.optional {
        return Ok(Node::Null);
    }
    Err(ConnectError::data(
        "Conversion error: null value for field that is required and has no default value",
    ))
}

/// A scalar value as its Jackson node, or None for containers and logical values.
fn scalar_node(value: &Value) -> Option<Node> {
    Some(match value {
        Value::Int8(v) => Node::Int(i64::from(*v)),
        Value::Int16(v) => Node::Int(i64::from(*v)),
        Value::Int32(v) => Node::Int(i64::from(*v)),
        Value::Int64(v) => Node::Int(*v),
        Value::Float32(v) => Node::Float(*v),
        Value::Float64(v) => Node::Double(*v),
        Value::Boolean(v) => Node::Bool(*v),
        Value::String(v) => Node::Text(v.clone()),
        Value::Bytes(v) => Node::Binary(v.clone()),
        _ => return None,
    })
}

/// Without a schema the Java class decides (`ConnectSchema.schemaType`).
fn schemaless_node(value: &Value, config: &JsonConfig, depth: usize) -> Result<Node> {
    if let Some(node) = scalar_node(value) {
        return Ok(node);
    }
    match value {
        Value::Array(items) => array_node(None, items, config, depth),
        Value::Map(entries) => {
            let object_mode = entries.iter().all(|(k, _)| matches!(k, Value::String(_)));
            map_node(None, None, object_mode, entries, config, depth)
        }
        Value::Struct(_) => Err(ConnectError::data("Mismatching schema.")),
        _ => Err(ConnectError::data(format!(
            "Java class class {} does not have corresponding schema type.",
            value.java_class()
        ))),
    }
}

/// A non-null value under a schema without a logical name; a value of the wrong Java class fails
/// as Kafka's ClassCastException handler words it.
fn typed_node(schema: &Schema, value: &Value, config: &JsonConfig, depth: usize) -> Result<Node> {
    let matches = matches!(
        (&schema.kind, value),
        (SchemaKind::Int8, Value::Int8(_))
            | (SchemaKind::Int16, Value::Int16(_))
            | (SchemaKind::Int32, Value::Int32(_))
            | (SchemaKind::Int64, Value::Int64(_))
            | (SchemaKind::Float32, Value::Float32(_))
            | (SchemaKind::Float64, Value::Float64(_))
            | (SchemaKind::Boolean, Value::Boolean(_))
            | (SchemaKind::String, Value::String(_))
            | (SchemaKind::Bytes, Value::Bytes(_))
    );
    if matches {
        return Ok(scalar_node(value).unwrap_or(Node::Null));
    }
    match (&schema.kind, value) {
        (SchemaKind::Bytes, _) => Err(ConnectError::data(format!(
            "Invalid type for bytes type: class {}",
            value.java_class()
        ))),
        (SchemaKind::Array(elem), Value::Array(items)) => {
            array_node(Some(elem), items, config, depth)
        }
        (SchemaKind::Map(key, val), Value::Map(entries)) => map_node(
            Some(key),
            Some(val),
            key.kind == SchemaKind::String,
            entries,
            config,
            depth,
        ),
        (SchemaKind::Struct(_), Value::Struct(s)) => struct_node(schema, s, config, depth),
        _ => Err(ConnectError::data(format!(
            "Invalid type for {}: class {}",
            schema.type_name(),
            value.java_class()
        ))),
    }
}

/// ARRAY: each element under the element schema.
fn array_node(
    elem: Option<&Schema>,
    items: &[Value],
    config: &JsonConfig,
    depth: usize,
) -> Result<Node> {
    let depth = enter(depth)?;
    let nodes = items
        .iter()
        .enumerate()
        .map(|(i, item)| value_node(elem, item, config, depth).map_err(|e| e.at(&format!("[{i}]"))))
        .collect::<Result<Vec<_>>>()?;
    Ok(Node::Array(nodes))
}

/// MAP: a JSON object keyed by each key's `asText()` in object mode, else `[key, value]` pairs.
fn map_node(
    key_schema: Option<&Schema>,
    value_schema: Option<&Schema>,
    object_mode: bool,
    entries: &[(Value, Value)],
    config: &JsonConfig,
    depth: usize,
) -> Result<Node> {
    let depth = enter(depth)?;
    let mut object = Vec::new();
    let mut pairs = Vec::new();
    for (i, (key, value)) in entries.iter().enumerate() {
        let key_node =
            value_node(key_schema, key, config, depth).map_err(|e| e.at(&format!("[{i}]")))?;
        let key_text = key_node.as_text();
        let value_node =
            value_node(value_schema, value, config, depth).map_err(|e| e.at(&key_text))?;
        if object_mode {
            Node::set(&mut object, key_text, value_node);
        } else {
            pairs.push(Node::Array(vec![key_node, value_node]));
        }
    }
    Ok(if object_mode {
        Node::Object(object)
    } else {
        Node::Array(pairs)
    })
}

/// STRUCT: the struct must carry exactly this schema; fields in schema order, without defaults
/// applied by the struct (`getWithoutDefault`).
fn struct_node(schema: &Schema, value: &Struct, config: &JsonConfig, depth: usize) -> Result<Node> {
    if !same_schema(&value.schema, schema) {
        return Err(ConnectError::data("Mismatching schema."));
    }
    let depth = enter(depth)?;
    let mut object = Vec::with_capacity(schema.fields().len());
    for (i, field) in schema.fields().iter().enumerate() {
        let item = value.values.get(i).unwrap_or(&Value::Null);
        let node =
            value_node(Some(&field.schema), item, config, depth).map_err(|e| e.at(&field.name))?;
        Node::set(&mut object, field.name.clone(), node);
    }
    Ok(Node::Object(object))
}

/// `LOGICAL_CONVERTERS.toJson` for a non-null value.
fn logical_node(
    kind: Logical,
    schema: &Schema,
    value: &Value,
    config: &JsonConfig,
) -> Result<Node> {
    let millis = match (kind, value) {
        (Logical::Decimal, Value::Decimal(d)) => return decimal_node(schema, d, config),
        (Logical::Decimal, _) => {
            return Err(ConnectError::data(format!(
                "Invalid type for Decimal, expected BigDecimal but was class {}",
                value.java_class()
            )))
        }
        (_, Value::Date(ms)) => *ms,
        (_, _) => {
            let name = match kind {
                Logical::Date => "Date",
                Logical::Time => "Time",
                _ => "Timestamp",
            };
            return Err(ConnectError::data(format!(
                "Invalid type for {name}, expected Date but was class {}",
                value.java_class()
            )));
        }
    };
    match kind {
        Logical::Date if millis.rem_euclid(MILLIS_PER_DAY) != 0 => Err(ConnectError::data(
            "Kafka Connect Date type should not have any time fields set to non-zero values.",
        )),
        Logical::Date => Ok(Node::Int(i64::from((millis / MILLIS_PER_DAY) as i32))),
        Logical::Time if !(0..=MILLIS_PER_DAY).contains(&millis) => Err(ConnectError::data(
            "Kafka Connect Time type should not have any date fields set to non-zero values.",
        )),
        _ => Ok(Node::Int(millis)),
    }
}

/// Decimal: a JSON number (NUMERIC) or base64 of the unscaled bytes, whose scale must be the
/// schema's (BASE64).
fn decimal_node(schema: &Schema, value: &Decimal, config: &JsonConfig) -> Result<Node> {
    if config.decimal_format == DecimalFormat::Numeric {
        return Ok(Node::Decimal(*value));
    }
    crate::decimal_column::check_schema_scale(*value, decimal_scale(schema)?)?;
    Ok(Node::Binary(i128_to_be_bytes(value.unscaled)))
}

// ---------------------------------------------------------------------------------------------
// Jackson's text output
// ---------------------------------------------------------------------------------------------

/// Appends `s` as a JSON string the way Jackson's UTF-8 generator writes it: `"` and `\` escaped,
/// control characters as `\b \t \n \f \r` or `\u00XX` (upper-case hex), other characters as raw
/// UTF-8 except those outside the BMP, which become an escaped surrogate pair (`\uD83D\uDE00`).
/// Cost: linear in `s`.
pub fn write_json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            c if (c as u32) < 0x20 => write_unicode_escape(out, c as u16),
            c if (c as u32) > 0xFFFF => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write_unicode_escape(out, *unit);
                }
            }
            c => out.extend_from_slice(c.encode_utf8(&mut [0u8; 4]).as_bytes()),
        }
    }
    out.push(b'"');
}

/// `\uXXXX` with upper-case hex digits.
fn write_unicode_escape(out: &mut Vec<u8>, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xF)]);
    }
}

/// Appends a decimal as Jackson writes a DecimalNode: `BigDecimal.toString()`.
/// Cost: one small string.
pub fn write_decimal(out: &mut Vec<u8>, d: &Decimal) {
    out.extend_from_slice(big_decimal_string(d).as_bytes());
}

/// `BigDecimal.toString()`: plain digits when the scale is 0, or positive with the adjusted
/// exponent ≥ -6; otherwise scientific notation (`1E+3`, `1.5E-7`, `0E+2`). Cost: one small string.
pub fn big_decimal_string(d: &Decimal) -> String {
    let coefficient = d.unscaled.unsigned_abs().to_string();
    let sign = if d.unscaled < 0 { "-" } else { "" };
    let scale = i64::from(d.scale);
    let len = coefficient.len() as i64;
    let adjusted = len - 1 - scale;
    if scale == 0 {
        return format!("{sign}{coefficient}");
    }
    if scale > 0 && adjusted >= -6 {
        if len > scale {
            let (int, frac) = coefficient.split_at((len - scale) as usize);
            return format!("{sign}{int}.{frac}");
        }
        return format!(
            "{sign}0.{}{coefficient}",
            "0".repeat((scale - len) as usize)
        );
    }
    let (first, rest) = coefficient.split_at(1);
    let point = if rest.is_empty() { "" } else { "." };
    let plus = if adjusted > 0 { "+" } else { "" };
    format!("{sign}{first}{point}{rest}E{plus}{adjusted}")
}

/// `parsed` (a JSON number's text read as a float) with a zero's sign dropped: Kafka's Jackson
/// reads fractional numbers as `BigDecimal`s, which have no negative zero, so `-0.0` reads as
/// `0.0`. (A negative number too small for the float is `-0.0` in Kafka; weir's tape cannot tell
/// it from `-0.0`, and the reference agrees with the tape: see the README.)
fn unsigned_zero<F: Default + PartialEq>(parsed: F) -> F {
    if parsed == F::default() {
        F::default()
    } else {
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn schemaless() -> JsonConfig {
        JsonConfig {
            schemas_enable: false,
            ..JsonConfig::default()
        }
    }

    fn numeric() -> JsonConfig {
        JsonConfig {
            decimal_format: DecimalFormat::Numeric,
            ..JsonConfig::default()
        }
    }

    fn read(text: &str, config: &JsonConfig) -> Result<(Option<SchemaRef>, Value)> {
        to_connect(Some(text.as_bytes()), config)
    }

    fn write(schema: Option<&SchemaRef>, value: &Value, config: &JsonConfig) -> String {
        let bytes = from_connect(schema, value, config)
            .expect("converts")
            .expect("not a tombstone");
        String::from_utf8(bytes).expect("utf-8")
    }

    fn error(result: Result<impl std::fmt::Debug>) -> String {
        result.expect_err("should fail").message
    }

    fn payload(schema: &str, payload: &str) -> String {
        format!("{{\"schema\":{schema},\"payload\":{payload}}}")
    }

    fn round_trip(text: &str, config: &JsonConfig) -> String {
        let (schema, value) = read(text, config).expect("reads");
        write(schema.as_ref(), &value, config)
    }

    fn json_of(value: &Value, schema: Option<&SchemaRef>, config: &JsonConfig) -> String {
        let mut out = Vec::new();
        convert_to_json(schema, value, config, &mut out).expect("converts");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn envelopes_of_every_type_round_trip_exactly() {
        let cases = [
            (r#"{"type":"int8","optional":false}"#, "-128"),
            (r#"{"type":"int16","optional":false}"#, "32767"),
            (r#"{"type":"int32","optional":false}"#, "-5"),
            (r#"{"type":"int64","optional":false}"#, "9007199254740993"),
            (r#"{"type":"float","optional":false}"#, "3.4028235E38"),
            (
                r#"{"type":"double","optional":false}"#,
                "2.2250738585072014E-308",
            ),
            (r#"{"type":"boolean","optional":false}"#, "true"),
            (r#"{"type":"string","optional":true}"#, r#""h\u00E9""#),
            (r#"{"type":"bytes","optional":false}"#, r#""AP8ACg==""#),
            (
                r#"{"type":"array","items":{"type":"int32","optional":true},"optional":false}"#,
                "[1,null,3]",
            ),
            (
                r#"{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int64","optional":false},"optional":false}"#,
                r#"{"a":1}"#,
            ),
            (
                r#"{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":false}"#,
                r#"[[1,"x"],[2,"y"]]"#,
            ),
            (
                r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"},{"type":"string","optional":true,"field":"b"}],"optional":false,"name":"n.R","version":2,"doc":"d","parameters":{"p":"v"}}"#,
                r#"{"a":1,"b":null}"#,
            ),
            (
                r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}"#,
                r#""BOI=""#,
            ),
            (
                r#"{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1}"#,
                "19675",
            ),
            (
                r#"{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1}"#,
                "45296789",
            ),
            (
                r#"{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1}"#,
                "-1",
            ),
        ];
        for (schema, value) in cases {
            let text = payload(schema, value);
            let expected = text.replace(r#""h\u00E9""#, "\"h\u{e9}\"");
            assert_eq!(
                round_trip(&text, &JsonConfig::default()),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn schemaless_values_round_trip() {
        let config = schemaless();
        for text in [
            r#"{"a":[1,2.5,"x",true,null],"b":{"c":0.0}}"#,
            "[]",
            r#""s""#,
            "1.0E21",
            "-7",
            "true",
        ] {
            assert_eq!(round_trip(text, &config), text);
        }
        let (schema, value) = read(r#"{"n":12,"f":1.5}"#, &config).unwrap();
        assert!(schema.is_none());
        assert_eq!(
            value,
            Value::Map(vec![
                (Value::String("n".into()), Value::Int64(12)),
                (Value::String("f".into()), Value::Float64(1.5)),
            ])
        );
    }

    #[test]
    fn logical_values_read_as_java_objects() {
        let date = payload(
            r#"{"type":"int32","name":"org.apache.kafka.connect.data.Date"}"#,
            "19675",
        );
        assert_eq!(
            read(&date, &JsonConfig::default()).unwrap().1,
            Value::Date(19675 * MILLIS_PER_DAY)
        );
        let decimal = payload(
            r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"4"}}"#,
            r#""+KQy6w==""#,
        );
        assert_eq!(
            read(&decimal, &JsonConfig::default()).unwrap().1,
            Value::Decimal(Decimal {
                unscaled: -123_456_789,
                scale: 4
            })
        );
        let numeric_in = payload(
            r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"3"}}"#,
            "1.50",
        );
        let (schema, value) = read(&numeric_in, &numeric()).unwrap();
        assert_eq!(
            value,
            Value::Decimal(Decimal {
                unscaled: 150,
                scale: 2
            })
        );
        assert!(write(schema.as_ref(), &value, &numeric()).ends_with(r#""payload":1.50}"#));
        assert_eq!(
            error(from_connect(schema.as_ref(), &value, &JsonConfig::default())),
            "Decimal value has mismatching scale for given Decimal schema. Schema has scale 3, value has scale 2."
        );
    }

    #[test]
    fn big_decimals_print_like_java() {
        let d = |unscaled, scale| big_decimal_string(&Decimal { unscaled, scale });
        assert_eq!(d(1, -3), "1E+3");
        assert_eq!(d(0, -2), "0E+2");
        assert_eq!(d(15, 8), "1.5E-7");
        assert_eq!(d(-1, 6), "-0.000001");
        assert_eq!(d(12345, 3), "12.345");
        assert_eq!(d(100, 0), "100");
        let (_, value) = read("[1e3, 1.0E-10]", &schemaless()).unwrap();
        assert_eq!(
            value,
            Value::Array(vec![Value::Float64(1000.0), Value::Float64(1e-10)])
        );
    }

    #[test]
    fn decimal_bytes_are_minimal_twos_complement() {
        for v in [0i128, 1, -1, 127, 128, -128, -129, i128::MAX, i128::MIN] {
            let bytes = i128_to_be_bytes(v);
            assert_eq!(i128_from_be_bytes(&bytes), Some(v));
        }
        assert_eq!(i128_to_be_bytes(128), vec![0x00, 0x80]);
        assert_eq!(i128_from_be_bytes(&[0xFF, 0xFF, 0x80]), Some(-128));
        assert_eq!(i128_from_be_bytes(&[1; 17]), None);
    }

    #[test]
    fn jackson_lenient_accessors() {
        let config = JsonConfig::default();
        let value = |schema: &str, payload_text: &str| {
            read(&payload(schema, payload_text), &config).map(|(_, v)| v)
        };
        assert_eq!(
            value(r#"{"type":"int32"}"#, r#""x""#).unwrap(),
            Value::Int32(0)
        );
        assert_eq!(value(r#"{"type":"int8"}"#, "300").unwrap(), Value::Int8(44));
        assert_eq!(
            value(r#"{"type":"int32"}"#, "1.9").unwrap(),
            Value::Int32(1)
        );
        assert_eq!(
            value(r#"{"type":"int32"}"#, "1e10").unwrap(),
            Value::Int32(1_410_065_408)
        );
        assert_eq!(
            value(r#"{"type":"int64"}"#, "18446744073709551617").unwrap(),
            Value::Int64(1)
        );
        assert_eq!(
            value(r#"{"type":"int64"}"#, "-1e400").unwrap(),
            Value::Int64(0)
        );
        assert_eq!(
            value(r#"{"type":"boolean"}"#, "1").unwrap(),
            Value::Boolean(false)
        );
        assert_eq!(value(r#"{"type":"string"}"#, "5").unwrap(), Value::Null);
        assert_eq!(value(r#"{"type":"bytes"}"#, "5").unwrap(), Value::Null);
        assert_eq!(
            value(r#"{"type":"float"}"#, "true").unwrap(),
            Value::Float32(0.0)
        );
        assert_eq!(
            value(
                r#"{"type":"array","items":{"type":"int32"}}"#,
                r#"{"a":1,"b":2}"#
            )
            .unwrap(),
            Value::Array(vec![Value::Int32(1), Value::Int32(2)])
        );
        assert_eq!(
            value(r#"{"type":"array","items":{"type":"int32"}}"#, "7").unwrap(),
            Value::Array(vec![])
        );
    }

    #[test]
    fn huge_integers_wrap_like_big_integer_long_value() {
        let (_, value) = read(
            "[9223372036854775808, -9223372036854775809, 123456789012345678901234567890]",
            &schemaless(),
        )
        .unwrap();
        assert_eq!(
            value,
            Value::Array(vec![
                Value::Int64(i64::MIN),
                Value::Int64(i64::MAX),
                Value::Int64(123_456_789_012_345_678_901_234_567_890_i128 as i64),
            ])
        );
        let big = format!("[1{}]", "0".repeat(1000));
        assert_eq!(error(read(&big, &schemaless())), SERIALIZATION_ERROR);
    }

    #[test]
    fn reading_follows_jackson_read_tree() {
        let config = schemaless();
        assert_eq!(
            read("{\"a\":1} trailing", &config).unwrap().1,
            read("{\"a\":1}", &config).unwrap().1
        );
        assert_eq!(read(" \n ", &config).unwrap(), (None, Value::Null));
        assert_eq!(read("", &config).unwrap(), (None, Value::Null));
        assert_eq!(
            to_connect(None, &JsonConfig::default()).unwrap(),
            (None, Value::Null)
        );
        assert_eq!(
            read("[007, -00.5, 0]", &config).unwrap().1,
            Value::Array(vec![Value::Int64(7), Value::Float64(-0.5), Value::Int64(0)])
        );
        assert_eq!(read("12 x", &config).unwrap().1, Value::Int64(12));
        assert_eq!(read("true,", &config).unwrap().1, Value::Boolean(true));
        assert_eq!(
            read("{\"a\":1,\"a\":2}", &config).unwrap().1,
            Value::Map(vec![(Value::String("a".into()), Value::Int64(2))])
        );
        assert_eq!(read("\u{feff}1", &config).unwrap().1, Value::Int64(1));
        let huge_trailing = format!("{{\"a\":01}} 1e99999999999999999999 {}", "9".repeat(2000));
        assert_eq!(
            read(&huge_trailing, &config).unwrap().1,
            read("{\"a\":1}", &config).unwrap().1
        );
        assert_eq!(
            read("\"x\" 1e99999999999999999999", &config).unwrap().1,
            Value::String("x".into())
        );
        assert_eq!(
            error(read("[1e99999999999999999999]", &config)),
            SERIALIZATION_ERROR
        );
        assert_eq!(error(read("[1e-2147483648]", &config)), SERIALIZATION_ERROR);
        for bad in ["{\"a\":", "nope", "12x", "truex", "1.", "\"\\ud800\""] {
            assert_eq!(error(read(bad, &config)), SERIALIZATION_ERROR, "{bad}");
        }
        assert_eq!(error(read("", &JsonConfig::default())), ENVELOPE_ERROR);
    }

    #[test]
    fn envelope_must_have_exactly_schema_and_payload() {
        let config = JsonConfig::default();
        for bad in [
            r#"{"schema":null}"#,
            r#"{"a":1}"#,
            r#"{"schema":null,"payload":1,"x":2}"#,
            "[1]",
        ] {
            assert_eq!(error(read(bad, &config)), ENVELOPE_ERROR, "{bad}");
        }
        assert_eq!(
            read(r#"{"schema":null,"payload":{"a":1}}"#, &config)
                .unwrap()
                .0,
            None
        );
    }

    #[test]
    fn to_connect_error_messages() {
        let config = JsonConfig::default();
        let err =
            |schema: &str, payload_text: &str| error(read(&payload(schema, payload_text), &config));
        assert_eq!(
            err(r#"{"type":"int32","optional":false}"#, "null"),
            "Invalid null value for required INT32 field"
        );
        assert_eq!(
            err(r#"{"type":"bytes"}"#, r#""!!!not base64""#),
            "Invalid bytes field"
        );
        assert_eq!(
            err(r#"{"type":"struct","fields":[]}"#, "[]"),
            "Structs should be encoded as JSON objects, but found ARRAY"
        );
        assert_eq!(
            err(
                r#"{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}}"#,
                "[]"
            ),
            "Maps with string fields should be encoded as JSON objects, but found ARRAY"
        );
        let int_map = r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}}"#;
        assert_eq!(err(int_map, "{}"), "Maps with non-string fields should be encoded as JSON array of tuples, but found OBJECT");
        assert_eq!(
            err(int_map, "[1]"),
            "Found invalid map entry instead of array tuple: NUMBER"
        );
        assert_eq!(
            err(int_map, "[[1]]"),
            "Found invalid map entry, expected length 2 but found :1"
        );
        let decimal = r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}"#;
        assert_eq!(err(decimal, "true"), "Invalid type for Decimal, underlying representation should be numeric or bytes but was BOOLEAN");
        assert_eq!(err(decimal, r#""""#), "Invalid bytes for Decimal field");
        assert_eq!(
            err(
                r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal"}"#,
                r#""AQ==""#
            ),
            "Invalid bytes for Decimal field"
        );
        assert_eq!(
            err(
                r#"{"type":"int32","name":"org.apache.kafka.connect.data.Date"}"#,
                "3000000000"
            ),
            "Invalid type for Date, underlying representation should be integer but was NUMBER"
        );
        assert_eq!(
            err(
                r#"{"type":"int32","name":"org.apache.kafka.connect.data.Time"}"#,
                "86400001"
            ),
            "Time values must use number of milliseconds greater than 0 and less than 86400000"
        );
        assert_eq!(
            err(
                r#"{"type":"int32","name":"org.apache.kafka.connect.data.Time"}"#,
                r#""1""#
            ),
            "Invalid type for Time, underlying representation should be integer but was STRING"
        );
        assert_eq!(err(r#"{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"}"#, "1.0"), "Invalid type for Timestamp, underlying representation should be integral but was NUMBER");
    }

    #[test]
    fn struct_fields_are_validated_like_struct_put_with_paths() {
        let config = JsonConfig::default();
        let schema = r#"{"type":"struct","fields":[{"type":"struct","field":"inner","fields":[{"type":"string","field":"s"}]},{"type":"array","field":"tags","items":{"type":"string"}}]}"#;
        let e = read(&payload(schema, r#"{"inner":{"s":5},"tags":[]}"#), &config).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid value: null used for required field: \"s\", schema type: STRING"
        );
        assert_eq!(e.path.as_deref(), Some("inner.s"));
        let e = read(
            &payload(schema, r#"{"inner":{"s":"x"},"tags":["a",1]}"#),
            &config,
        )
        .unwrap_err();
        assert_eq!(e.message, "Invalid value: null used for required element of array field: \"tags\", schema type: STRING");
        let e = read(
            &payload(schema, r#"{"inner":{"s":"x"},"tags":["a",null]}"#),
            &config,
        )
        .unwrap_err();
        assert_eq!(e.message, "Invalid null value for required STRING field");
        assert_eq!(e.path.as_deref(), Some("tags[1]"));
        // A top-level string of the wrong node type is simply null, as in Kafka.
        assert_eq!(
            read(&payload(r#"{"type":"string"}"#, "5"), &config)
                .unwrap()
                .1,
            Value::Null
        );
    }

    #[test]
    fn defaults_replace_nulls_unless_disabled() {
        let schema = r#"{"type":"struct","fields":[{"type":"int32","optional":true,"field":"a","default":7}]}"#;
        let text = payload(schema, r#"{"a":null}"#);
        assert!(round_trip(&text, &JsonConfig::default()).ends_with(r#""payload":{"a":7}}"#));
        let keep = JsonConfig {
            replace_null_with_default: false,
            ..JsonConfig::default()
        };
        assert!(round_trip(&text, &keep).ends_with(r#""payload":{"a":null}}"#));
        let required = Arc::new(Schema::new(SchemaKind::Int32));
        assert_eq!(
            error(from_connect(
                Some(&required),
                &Value::Null,
                &JsonConfig::default()
            )),
            "Conversion error: null value for field that is required and has no default value"
        );
    }

    #[test]
    fn pair_maps_keep_java_hash_map_put_semantics() {
        let schema = r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"string"}}"#;
        let (_, value) = read(
            &payload(schema, r#"[[1,"a"],[2,"b"],[1,"c"]]"#),
            &JsonConfig::default(),
        )
        .unwrap();
        assert_eq!(
            value,
            Value::Map(vec![
                (Value::Int32(1), Value::String("c".into())),
                (Value::Int32(2), Value::String("b".into()))
            ])
        );
        assert!(java_equals(
            &Value::Float64(f64::NAN),
            &Value::Float64(f64::NAN)
        ));
        assert!(!java_equals(&Value::Float64(0.0), &Value::Float64(-0.0)));
        assert!(!java_equals(&Value::Bytes(vec![1]), &Value::Bytes(vec![1])));
        assert!(!java_equals(&Value::Int32(1), &Value::Int64(1)));
    }

    #[test]
    fn from_connect_error_messages() {
        let config = JsonConfig::default();
        let int8 = Arc::new(Schema::new(SchemaKind::Int8));
        assert_eq!(
            error(from_connect(Some(&int8), &Value::Int32(1), &config)),
            "Invalid type for INT8: class java.lang.Integer"
        );
        let bytes = Arc::new(Schema::new(SchemaKind::Bytes));
        assert_eq!(
            error(from_connect(
                Some(&bytes),
                &Value::String("x".into()),
                &config
            )),
            "Invalid type for bytes type: class java.lang.String"
        );
        assert_eq!(
            error(from_connect(
                None,
                &Value::Decimal(Decimal {
                    unscaled: 1,
                    scale: 0
                }),
                &config
            )),
            "Java class class java.math.BigDecimal does not have corresponding schema type."
        );
        let decimal = Arc::new(Schema::decimal(2));
        assert_eq!(
            error(from_connect(Some(&decimal), &Value::Int32(1), &config)),
            "Invalid type for Decimal, expected BigDecimal but was class java.lang.Integer"
        );
        let date = Arc::new(Schema::date());
        assert_eq!(
            error(from_connect(Some(&date), &Value::Date(1), &config)),
            "Kafka Connect Date type should not have any time fields set to non-zero values."
        );
        assert_eq!(
            error(from_connect(Some(&date), &Value::Int32(1), &config)),
            "Invalid type for Date, expected Date but was class java.lang.Integer"
        );
        let time = Arc::new(Schema::time());
        assert_eq!(
            error(from_connect(Some(&time), &Value::Date(-1), &config)),
            "Kafka Connect Time type should not have any date fields set to non-zero values."
        );
        let other = Arc::new(Schema::structure([("a".to_string(), int8.clone())]));
        let value = Value::Struct(Struct {
            schema: Arc::new(Schema::structure([])),
            values: vec![],
        });
        assert_eq!(
            error(from_connect(Some(&other), &value, &config)),
            "Mismatching schema."
        );
        assert_eq!(
            error(from_connect(None, &value, &config)),
            "Mismatching schema."
        );
        let no_scale = Arc::new(Schema::new(SchemaKind::Bytes).with_name(DECIMAL_LOGICAL_NAME));
        let d = Value::Decimal(Decimal {
            unscaled: 1,
            scale: 0,
        });
        assert_eq!(
            error(from_connect(Some(&no_scale), &d, &config)),
            "Invalid Decimal schema: scale parameter not found."
        );
        let bad_scale = Arc::new(
            Schema::new(SchemaKind::Bytes)
                .with_name(DECIMAL_LOGICAL_NAME)
                .with_parameter("scale", "x"),
        );
        assert_eq!(
            error(from_connect(Some(&bad_scale), &d, &config)),
            "Invalid scale parameter found in Decimal schema: "
        );
    }

    #[test]
    fn from_connect_writes_kafka_shapes() {
        assert_eq!(
            from_connect(None, &Value::Null, &JsonConfig::default()).unwrap(),
            None
        );
        let optional = Arc::new(Schema::new(SchemaKind::String).optional());
        assert_eq!(write(Some(&optional), &Value::Null, &schemaless()), "null");
        assert_eq!(
            write(None, &Value::Int32(5), &JsonConfig::default()),
            r#"{"schema":null,"payload":5}"#
        );
        let floats = Value::Array(vec![
            Value::Float32(0.1),
            Value::Float64(f64::NAN),
            Value::Float64(f64::NEG_INFINITY),
        ]);
        assert_eq!(
            write(None, &floats, &schemaless()),
            r#"[0.1,"NaN","-Infinity"]"#
        );
        let mixed_keys = Value::Map(vec![
            (Value::Int32(1), Value::Null),
            (Value::String("a".into()), Value::Boolean(true)),
        ]);
        assert_eq!(
            write(None, &mixed_keys, &schemaless()),
            r#"[[1,null],["a",true]]"#
        );
        let decimal = Arc::new(Schema::decimal(2));
        let d = Value::Decimal(Decimal {
            unscaled: 1234,
            scale: 2,
        });
        assert_eq!(json_of(&d, Some(&decimal), &schemaless()), r#""BNI=""#);
        assert_eq!(json_of(&d, Some(&decimal), &numeric()), "12.34");
        let ts = Arc::new(Schema::timestamp());
        assert_eq!(json_of(&Value::Date(-5), Some(&ts), &schemaless()), "-5");
    }

    #[test]
    fn strings_are_escaped_like_jackson() {
        let mut out = Vec::new();
        write_json_string(&mut out, "q\"b\\n\nt\t\u{8}\u{c}\r\u{0}\u{1f}\u{7f}é中😀/");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"q\\\"b\\\\n\\nt\\t\\b\\f\\r\\u0000\\u001F\u{7f}é中\\uD83D\\uDE00/\""
        );
        let (_, value) = read(r#"{"s":"é中😀"}"#, &schemaless()).unwrap();
        assert_eq!(
            write(None, &value, &schemaless()),
            "{\"s\":\"é中\\uD83D\\uDE00\"}"
        );
    }

    #[test]
    fn base64_reading_follows_jackson() {
        assert_eq!(jackson_base64_decode(" QQ== "), Some(b"A".to_vec()));
        assert_eq!(jackson_base64_decode("QQ==QUI="), Some(b"AAB".to_vec()));
        assert_eq!(jackson_base64_decode("QUJD QUJD"), Some(b"ABCABC".to_vec()));
        assert_eq!(jackson_base64_decode("QR=="), Some(b"A".to_vec()));
        assert_eq!(jackson_base64_decode(""), Some(vec![]));
        for bad in ["QQ", "QQ=", "Q===", "QU JD", "!!!!", "QQ=A"] {
            assert_eq!(jackson_base64_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(read(&deep(127), &schemaless()).is_ok());
        assert_eq!(error(read(&deep(128), &schemaless())), SERIALIZATION_ERROR);
        let mut value = Value::Null;
        for _ in 0..=MAX_DEPTH {
            value = Value::Array(vec![value]);
        }
        assert_eq!(
            error(from_connect(None, &value, &schemaless())),
            "JSON nesting deeper than 128 levels"
        );
        let mut json = Json::Null;
        for _ in 0..=MAX_DEPTH {
            json = Json::Array(vec![json]);
        }
        assert_eq!(
            error(convert_to_connect(None, &json, &schemaless())),
            "JSON nesting deeper than 128 levels"
        );
    }

    #[test]
    fn settings_parse_like_config_def() {
        let settings = |pairs: &'static [(&'static str, &'static str)]| {
            JsonConfig::from_settings(move |k| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| v.to_string())
            })
        };
        assert_eq!(settings(&[]).unwrap(), JsonConfig::default());
        let config = settings(&[
            ("schemas.enable", " FALSE "),
            ("decimal.format", "numeric"),
            ("replace.null.with.default", "false"),
            ("schemas.cache.size", "-3"),
        ])
        .unwrap();
        assert_eq!(
            config,
            JsonConfig {
                schemas_enable: false,
                decimal_format: DecimalFormat::Numeric,
                replace_null_with_default: false,
                schemas_cache_size: 0
            }
        );
        assert_eq!(
            settings(&[("schemas.enable", "maybe")]).unwrap_err().kafka_text(),
            "ConfigException: Invalid value maybe for configuration schemas.enable: Expected value to be either true or false"
        );
        assert_eq!(
            settings(&[("decimal.format", "HEX")]).unwrap_err().kafka_text(),
            "ConfigException: Invalid value HEX for configuration decimal.format: String must be one of (case insensitive): NUMERIC, BASE64"
        );
        assert_eq!(
            settings(&[("schemas.cache.size", "many")])
                .unwrap_err()
                .message,
            "Invalid value many for configuration schemas.cache.size: Not a number of type INT"
        );
    }

    // ---- conformance --------------------------------------------------------------------------

    const STRING_CONVERTER: &str = "org.apache.kafka.connect.storage.StringConverter";
    const JSON_CONVERTER: &str = "org.apache.kafka.connect.json.JsonConverter";

    /// `key=value` lines of a simple properties file (no continuation lines or escapes needed).
    fn properties(text: &str) -> Vec<(String, String)> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
            .filter_map(|l| {
                l.split_once('=')
                    .map(|(k, v)| (k.trim().to_string(), v.trim_start().to_string()))
            })
            .collect()
    }

    /// The converter class and JsonConfig under `prefix` (`value.converter`).
    fn converter(props: &[(String, String)], prefix: &str) -> Option<(String, Result<JsonConfig>)> {
        let class = props.iter().find(|(k, _)| k == prefix)?.1.clone();
        let config = JsonConfig::from_settings(|key| {
            let full = format!("{prefix}.{key}");
            props
                .iter()
                .find(|(k, _)| *k == full)
                .map(|(_, v)| v.clone())
        });
        Some((class, config))
    }

    /// One side (key or value) of a record through its input and output converters.
    fn convert_side(
        input: &(String, Result<JsonConfig>),
        output: &(String, Result<JsonConfig>),
        bytes: Option<&[u8]>,
    ) -> Result<Option<Vec<u8>>> {
        let (schema, value) = if input.0 == STRING_CONVERTER {
            let text = bytes
                .map(|b| Value::String(String::from_utf8_lossy(b).into_owned()))
                .unwrap_or(Value::Null);
            (
                Some(Arc::new(Schema::new(SchemaKind::String).optional())),
                text,
            )
        } else {
            to_connect(bytes, input.1.as_ref().expect("valid input config"))?
        };
        if output.0 == STRING_CONVERTER {
            return Ok((!value.is_null()).then(|| value.to_string().into_bytes()));
        }
        from_connect(
            schema.as_ref(),
            &value,
            output.1.as_ref().expect("valid output config"),
        )
    }

    fn side_bytes(record: &Json, side: &str) -> Option<Vec<u8>> {
        if let Some(text) = record.get(side).and_then(Json::as_str) {
            return Some(text.as_bytes().to_vec());
        }
        let b64 = record.get(format!("{side}_b64").as_str())?.as_str()?;
        BASE64.decode(b64).ok()
    }

    /// Compares our output text with the expected one as parsed JSON (plain text when not JSON).
    fn same_json(ours: Option<&[u8]>, expected: Option<&str>) -> bool {
        match (ours, expected) {
            (None, None) => true,
            (Some(ours), Some(expected)) => {
                let parsed: std::result::Result<Json, _> = serde_json::from_slice(ours);
                match (parsed, serde_json::from_str::<Json>(expected)) {
                    (Ok(a), Ok(b)) => json_equal(&a, &b),
                    _ => ours == expected.as_bytes(),
                }
            }
            _ => false,
        }
    }

    /// JSON equality with objects unordered and numbers compared by value.
    fn json_equal(a: &Json, b: &Json) -> bool {
        match (a, b) {
            (Json::Number(x), Json::Number(y)) => {
                x.as_str() == y.as_str()
                    || x.as_str().parse::<f64>().ok() == y.as_str().parse::<f64>().ok()
            }
            (Json::Array(x), Json::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
            }
            (Json::Object(x), Json::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
            }
            _ => a == b,
        }
    }

    /// Runs one case folder; returns the number of records checked.
    fn run_case(dir: &std::path::Path) -> usize {
        let props = properties(
            &std::fs::read_to_string(dir.join("pipeline.properties")).expect("properties"),
        );
        if props.iter().any(|(k, _)| k == "transforms") {
            return 0;
        }
        let side = |name: &str| {
            let input = converter(&props, &format!("{name}.converter"))?;
            let output = converter(&props, &format!("output.{name}.converter"))
                .unwrap_or_else(|| input.clone());
            let known = |c: &str| c == JSON_CONVERTER || c == STRING_CONVERTER;
            (known(&input.0)
                && known(&output.0)
                && (input.0 == JSON_CONVERTER || output.0 == JSON_CONVERTER))
                .then_some((input, output))
        };
        let sides: Vec<_> = ["key", "value"]
            .into_iter()
            .filter_map(|name| side(name).map(|s| (name, s)))
            .collect();
        if sides.is_empty() {
            return 0;
        }
        let inputs = std::fs::read_to_string(dir.join("input.jsonl")).expect("input");
        let expected = std::fs::read_to_string(dir.join("expected.jsonl")).expect("expected");
        let mut checked = 0;
        for (input, expected) in inputs.lines().zip(expected.lines()) {
            let record: Json = serde_json::from_str(input).expect("input record");
            let expected: Json = serde_json::from_str(expected).expect("expected record");
            let results: Vec<_> = sides
                .iter()
                .map(|(name, (i, o))| {
                    (
                        name,
                        convert_side(i, o, side_bytes(&record, name).as_deref()),
                    )
                })
                .collect();
            let first_error = results.iter().find_map(|(_, r)| r.as_ref().err());
            match (expected.get("error").and_then(Json::as_str), first_error) {
                (Some(message), Some(e)) => assert_eq!(e.kafka_text(), message, "{dir:?} {input}"),
                (Some(message), None) => panic!("{dir:?}: expected {message} for {input}"),
                (None, Some(e)) => panic!("{dir:?}: unexpected {e} for {input}"),
                (None, None) => {
                    for (name, result) in &results {
                        let ours = result.as_ref().ok().and_then(|o| o.as_deref());
                        let theirs = expected.get(**name).and_then(Json::as_str);
                        assert!(
                            same_json(ours, theirs),
                            "{dir:?} {name}: {:?} vs {theirs:?}",
                            ours.map(String::from_utf8_lossy)
                        );
                    }
                }
            }
            checked += 1;
        }
        checked
    }

    #[test]
    fn conformance_cases_reproduce_kafka() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/conformance/kafka-connect");
        let folders = [root.join("converters/converters_json"), root.join("errors")];
        if !folders[0].is_dir() {
            eprintln!(
                "note: {} is absent; skipping the conformance check",
                folders[0].display()
            );
            return;
        }
        let mut checked = 0;
        for folder in folders.iter().filter(|f| f.is_dir()) {
            let mut cases: Vec<_> = std::fs::read_dir(folder)
                .expect("folder")
                .flatten()
                .map(|e| e.path())
                .collect();
            cases.sort();
            for case in cases.iter().filter(|c| c.join("expected.jsonl").is_file()) {
                checked += run_case(case);
            }
        }
        assert!(checked >= 50, "only {checked} conformance records checked");
    }
}
