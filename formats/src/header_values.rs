//! Kafka's `org.apache.kafka.connect.data.Values` text rules as `SimpleHeaderConverter` (Kafka 3.9)
//! applies them: [`parse_header`] infers a Connect schema and value from a header's text, and
//! [`format_header`] prints a value back.
//!
//! The port follows the Java algorithm step by step, quirks included:
//! - the tokenizer splits at unescaped `: , { } [ ] "`; tokens are compared trimmed (Java's `trim`:
//!   everything up to U+0020), so `" 12 "` is INT8 12, and whitespace-only tokens are skipped for
//!   good whenever the parser looks ahead, so a quoted `" "` inside an array loses its space;
//! - a top-level value is read from its first token: `1,2` is INT8 1, `[1]x` is the array `[1]`;
//! - `true`, `false` and `null` are case-sensitive (`FALSE` stays a string);
//! - numbers take the narrowest of INT8..INT64; otherwise FLOAT32 whenever the float is finite and
//!   the text's scale is not zero (even when digits are lost: `1.23456789` is `1.2345679`), else
//!   FLOAT64, else a Decimal with the text's scale (`9223372036854775808` is Decimal scale 0);
//! - dates, times and timestamps go through `SimpleDateFormat`'s lenient parse in UTC (month 13
//!   rolls into the next year, text after the pattern is ignored, days before 1582-10-15 are Julian);
//! - array and map elements widen to a common numeric schema and are converted to it; an array or
//!   map with no common element schema (mixed, empty, all null) has no schema here, because
//!   [`SchemaKind`] cannot hold Kafka's null element schema;
//! - where Kafka's converter catches a `Throwable` (here: nesting deeper than 128 arrays and maps,
//!   where the JVM overflows its stack at some depth, or a number whose power of ten overflows
//!   `BigInteger`), the original bytes come back as BYTES.
//!
//! Not matched: Java also reads non-ASCII decimal digits (`Character.isDigit`) in numbers and
//! dates, where this port reads ASCII digits only; a Decimal whose unscaled value needs more than
//! 128 bits is taken as not a number (the text stays a STRING); and where the JVM's stack or heap
//! gives out depends on its settings, while this port fixes the limits above.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use base64::Engine;

use crate::java_date::{civil_from_days, days_from_civil};
use crate::java_number::{format_f32, format_f64};
use crate::schema::{
    Schema, SchemaKind, SchemaRef, DATE_LOGICAL_NAME, DECIMAL_LOGICAL_NAME, TIMESTAMP_LOGICAL_NAME,
    TIME_LOGICAL_NAME,
};
use crate::value::{Decimal, Struct, Value};

/// The deepest nesting of arrays and maps parsed; deeper text falls back to BYTES.
const MAX_DEPTH: usize = 128;
const MILLIS_PER_DAY: i64 = 86_400_000;
/// The smallest power of ten `BigInteger.pow` refuses (`ArithmeticException`), which
/// `BigDecimal.setScale` needs for a scale of that magnitude.
const BIG_INTEGER_POWER_LIMIT: u64 = 536_870_920;
/// 1582-10-15, `GregorianCalendar`'s first Gregorian day, in days since 1970-01-01.
const GREGORIAN_CUTOVER_DAY: i64 = -141_427;
/// Makes [`days_from_julian`] count from 1970-01-01 (Gregorian), which is Julian 1969-12-19.
const JULIAN_EPOCH_SHIFT: i64 = 719_470;
/// `yyyy-MM-dd`, `HH:mm:ss.SSS'Z'` and `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` with one letter per numeric
/// field (`SimpleDateFormat`'s letters); every other character is a literal.
const DATE_PATTERN: &str = "y-M-d";
const TIME_PATTERN: &str = "H:m:s.SZ";
const TIMESTAMP_PATTERN: &str = "y-M-dTH:m:s.SZ";

/// `SimpleHeaderConverter.toConnectHeader`: a header's bytes to a schema and value.
///
/// No bytes give no schema and [`Value::Null`]. Otherwise the bytes are decoded as UTF-8 (each
/// invalid sequence becomes U+FFFD, as `new String(bytes, UTF_8)` does) and parsed as
/// [`parse_string`] does; where Kafka's converter catches an error, the original bytes come back
/// with the BYTES schema.
///
/// Cost: linear in the header's length (constant look-ahead per token), one allocation per parsed
/// element, and one hash of each map key.
pub fn parse_header(bytes: Option<&[u8]>) -> (Option<SchemaRef>, Value) {
    let Some(bytes) = bytes else {
        return (None, Value::Null);
    };
    if let Some(text) = verbatim_text(bytes) {
        return (
            Some(schemas().string.clone()),
            Value::String(text.to_string()),
        );
    }
    try_parse(&decode_utf8_like_java(bytes)).unwrap_or_else(|| bytes_fallback(bytes))
}

/// `bytes` as text, with the schema [`parse_header`] gives it, when [`parse_header`] certainly
/// reads them as the STRING of their own text; `None` when it may read them otherwise. Cost:
/// one pass over the bytes ([`verbatim_text`]).
pub fn verbatim_string(bytes: &[u8]) -> Option<(&str, &'static SchemaRef)> {
    verbatim_text(bytes).map(|text| (text, &schemas().string))
}

/// `bytes` as text when [`parse_header`] certainly reads them as the STRING of that text: one
/// token (no delimiter or escape), not a `null`/`true`/`false` literal, and not starting like a
/// number or temporal — or starting with a digit or sign but holding a letter no number has, at
/// a length no temporal pattern takes. Such headers (names, ids, UUIDs) skip the tokenizer: the
/// common case of every header-carrying record; `None` when [`parse_header`] may read them
/// otherwise.
///
/// Cost: one branch-free pass OR-ing each byte's class from a table (a delimiter, a letter, a
/// non-ASCII byte), plus a UTF-8 validation only when a byte is not ASCII. Hand-written because
/// the check was a UTF-8 pass followed by a scan branching on each byte's class, which
/// mispredicts on the random letters and digits of a UUID: 11% of an Avro passthrough's
/// instructions (callgrind) and more of its time.
fn verbatim_text(bytes: &[u8]) -> Option<&str> {
    let &first = bytes.first()?;
    let classes = bytes
        .iter()
        .fold(0u8, |classes, &b| classes | BYTE_CLASS[usize::from(b)]);
    if first <= b' ' || classes & DELIMITER != 0 {
        return None;
    }
    let text = if classes & NON_ASCII == 0 {
        // SAFETY: ASCII bytes are UTF-8.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    } else {
        std::str::from_utf8(bytes).ok()?
    };
    if matches!(text, "null" | "true" | "false") {
        return None;
    }
    if first.is_ascii_digit() || first == b'+' || first == b'-' {
        let temporal_length = matches!(bytes.len(), 10 | 13 | 24);
        let reads_as_text =
            classes & NON_ASCII == 0 && !temporal_length && classes & NON_NUMERIC_LETTER != 0;
        return reads_as_text.then_some(text);
    }
    Some(text)
}

/// The class bits of [`BYTE_CLASS`].
const DELIMITER: u8 = 1;
const NON_NUMERIC_LETTER: u8 = 2;
const NON_ASCII: u8 = 4;

/// What each byte means to [`verbatim_text`]: one of the tokenizer's delimiters or `\`, an ASCII
/// letter other than the exponent's `e`/`E`, a byte outside ASCII, or nothing (0).
static BYTE_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let delimiters = b":,{}[]\"\\";
    let mut i = 0;
    while i < delimiters.len() {
        table[delimiters[i] as usize] = DELIMITER;
        i += 1;
    }
    let mut c = 0u8;
    while c < 26 {
        if c != 4 {
            table[(b'a' + c) as usize] = NON_NUMERIC_LETTER;
            table[(b'A' + c) as usize] = NON_NUMERIC_LETTER;
        }
        c += 1;
    }
    let mut b = 0x80;
    while b < 256 {
        table[b] = NON_ASCII;
        b += 1;
    }
    table
};

/// `Values.parseString`: the schema and value Kafka infers from `text` (rules in the module docs).
///
/// Empty text is an empty STRING; `null` gives no schema and [`Value::Null`]; an array or map
/// without a common element schema gives no schema. Where Kafka would throw out of `parseString`
/// (nesting deeper than 128, a `BigInteger` overflow), the text's UTF-8 bytes come back as BYTES,
/// as [`parse_header`] returns them.
///
/// Cost: as [`parse_header`].
pub fn parse_string(text: &str) -> (Option<SchemaRef>, Value) {
    try_parse(text).unwrap_or_else(|| bytes_fallback(text.as_bytes()))
}

/// `SimpleHeaderConverter.fromConnectHeader`: no bytes for [`Value::Null`], otherwise the UTF-8
/// bytes of [`convert_to_string`].
///
/// Cost: as [`convert_to_string`].
pub fn format_header(schema: Option<&SchemaRef>, value: &Value) -> Option<Vec<u8>> {
    (!value.is_null()).then(|| convert_to_string(schema, value).into_bytes())
}

/// `Values.convertToString`: Kafka's text for a value. Like Kafka, it reads the value only, never
/// `schema`.
///
/// Strings print raw at the top level and quoted (`\` and `"` escaped) inside arrays, maps and
/// structs; bytes as base64; arrays as `[a,b]`; maps as `{k:v}`; structs as `{"field":value}` with
/// field defaults for nulls; floats as Java prints them; decimals as `BigDecimal.toString` (unscaled
/// 5 with scale -2 is `5E+2`); `java.util.Date` values in UTC as `HH:mm:ss.SSS'Z'` before
/// 1970-01-02 (so every instant before the epoch too), as `yyyy-MM-dd` at midnight, else as
/// `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`. [`Value::Null`] prints `null` (Kafka returns no string at all).
///
/// Cost: linear in the size of the value tree, recursing as deep as the tree.
pub fn convert_to_string(_schema: Option<&SchemaRef>, value: &Value) -> String {
    let mut out = String::new();
    append(&mut out, value, false);
    out
}

/// Parses non-empty or empty `text`; `None` where Kafka's converter would catch a `Throwable`.
fn try_parse(text: &str) -> Option<(Option<SchemaRef>, Value)> {
    if text.is_empty() {
        return Some((Some(schemas().string.clone()), Value::String(String::new())));
    }
    let parsed = ValueParser::new(text).parse(false, 0).ok()?;
    Some(match parsed {
        Some(typed) => (typed.shape.into_schema(), typed.value),
        None => (None, Value::Null),
    })
}

/// `new String(bytes, UTF_8)`: valid UTF-8 as is, each malformed sequence replaced by one U+FFFD.
/// Java delimits malformed sequences as Rust's `from_utf8_lossy` does, except that an encoded
/// surrogate (`ED A0..BF ..`) is a single sequence.
fn decode_utf8_like_java(bytes: &[u8]) -> Cow<'_, str> {
    let mut rest = match std::str::from_utf8(bytes) {
        Ok(text) => return Cow::Borrowed(text),
        Err(_) => bytes,
    };
    let mut out = String::with_capacity(bytes.len() + 2);
    loop {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                out.push_str(text);
                return Cow::Owned(out);
            }
            Err(error) => {
                let (valid, invalid) = rest.split_at(error.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push('\u{FFFD}');
                rest = invalid
                    .get(java_malformed_length(invalid)..)
                    .unwrap_or_default();
            }
        }
    }
}

/// How many bytes JDK's UTF-8 decoder replaces by one U+FFFD at the start of `bytes`, which
/// begins a malformed sequence (`String.decodeUTF8_UTF16`).
fn java_malformed_length(bytes: &[u8]) -> usize {
    let continuation = |i: usize| bytes.get(i).is_some_and(|b| b & 0xc0 == 0x80);
    let (Some(&lead), second) = (bytes.first(), bytes.get(1).copied()) else {
        return 1;
    };
    match lead {
        0xe0..=0xef => {
            let overlong = lead == 0xe0 && second.is_some_and(|b| b & 0xe0 == 0x80);
            if overlong || !continuation(1) {
                1
            } else if bytes.len() == 2 || !continuation(2) {
                2
            } else {
                3
            }
        }
        0xf0..=0xf7 => {
            let bad_second = lead > 0xf4
                || second.is_some_and(|b| {
                    (lead == 0xf0 && !(0x90..=0xbf).contains(&b))
                        || (lead == 0xf4 && b & 0xf0 != 0x80)
                        || b & 0xc0 != 0x80
                });
            if bad_second {
                1
            } else if bytes.len() >= 4 {
                if continuation(2) {
                    3
                } else {
                    2
                }
            } else if bytes.get(2).is_some_and(|b| b & 0xc0 != 0x80) {
                2
            } else {
                bytes.len()
            }
        }
        _ => 1,
    }
}

/// SimpleHeaderConverter's catch: the original bytes with the BYTES schema.
fn bytes_fallback(bytes: &[u8]) -> (Option<SchemaRef>, Value) {
    (Some(schemas().bytes.clone()), Value::Bytes(bytes.to_vec()))
}

/// The constant schemas parsing produces (`Schema.INT8_SCHEMA`, `Date.SCHEMA`, …), built once and
/// shared so that equal schemas are the same `Arc`.
struct Schemas {
    int8: SchemaRef,
    int16: SchemaRef,
    int32: SchemaRef,
    int64: SchemaRef,
    float32: SchemaRef,
    float64: SchemaRef,
    boolean: SchemaRef,
    string: SchemaRef,
    bytes: SchemaRef,
    date: SchemaRef,
    time: SchemaRef,
    timestamp: SchemaRef,
}

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let of = |kind| Schema::new(kind).into_ref();
        Schemas {
            int8: of(SchemaKind::Int8),
            int16: of(SchemaKind::Int16),
            int32: of(SchemaKind::Int32),
            int64: of(SchemaKind::Int64),
            float32: of(SchemaKind::Float32),
            float64: of(SchemaKind::Float64),
            boolean: of(SchemaKind::Boolean),
            string: of(SchemaKind::String),
            bytes: of(SchemaKind::Bytes),
            date: Schema::date().into_ref(),
            time: Schema::time().into_ref(),
            timestamp: Schema::timestamp().into_ref(),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Tokenizer: `Values.Parser`
// ---------------------------------------------------------------------------------------------

/// Kafka's `Values.Parser`: tokens are runs of text between unescaped `: , { } [ ] "`, and each
/// such delimiter alone. Positions are byte offsets (Java's are UTF-16 units; every delimiter is
/// ASCII, so the tokens are the same).
struct Tokenizer<'a> {
    text: &'a str,
    /// The iterator's position: the end of the last token read.
    index: usize,
    /// A token read ahead by [`Tokenizer::can_consume`] and not consumed (Java's `nextToken`).
    peeked: Option<&'a str>,
}

impl<'a> Tokenizer<'a> {
    fn new(text: &'a str) -> Self {
        Tokenizer {
            text,
            index: 0,
            peeked: None,
        }
    }

    /// `mark()`: the start of the peeked token, else the current position.
    fn mark(&self) -> usize {
        self.index.saturating_sub(self.peeked.map_or(0, str::len))
    }

    fn rewind_to(&mut self, position: usize) {
        self.index = position;
        self.peeked = None;
    }

    fn has_next(&self) -> bool {
        self.peeked.is_some() || self.index < self.text.len()
    }

    fn next(&mut self) -> &'a str {
        match self.peeked.take() {
            Some(token) => token,
            None => self.consume_token(),
        }
    }

    /// `next(n)`: the text of the next `n` tokens, or `None` (and no move) when fewer remain.
    fn next_n(&mut self, n: usize) -> Option<&'a str> {
        let start = self.mark();
        for _ in 0..n {
            if !self.has_next() {
                self.rewind_to(start);
                return None;
            }
            self.next();
        }
        self.text.get(start..self.index)
    }

    /// `canConsume(expected)`: whether the next token, after skipping whitespace-only tokens (for
    /// good) and trimmed, is `expected`; consumes it if so, else keeps it peeked.
    fn can_consume(&mut self, expected: &str) -> bool {
        let mut token = match self.peeked {
            Some(token) => token,
            None if self.index < self.text.len() => self.consume_token(),
            None => return false,
        };
        while is_blank(token) && self.index < self.text.len() {
            token = self.consume_token();
        }
        let matched = java_trim(token) == expected;
        self.peeked = (!matched).then_some(token);
        matched
    }

    /// `consumeNextToken`: text up to the next unescaped delimiter, or that delimiter alone.
    fn consume_token(&mut self) -> &'a str {
        let bytes = self.text.as_bytes();
        let start = self.index;
        let mut escaped = false;
        while let Some(&byte) = bytes.get(self.index) {
            match byte {
                b'\\' => escaped = !escaped,
                b':' | b',' | b'{' | b'}' | b'[' | b']' | b'"' if !escaped => {
                    if start == self.index {
                        self.index += 1;
                    }
                    return self.text.get(start..self.index).unwrap_or("");
                }
                _ => escaped = false,
            }
            self.index += 1;
        }
        self.text.get(start..self.index).unwrap_or("")
    }
}

/// Java's `String.trim()`: strips every character up to U+0020 from both ends.
fn java_trim(text: &str) -> &str {
    text.trim_matches(|c: char| c <= ' ')
}

/// Kafka's `Utils.isBlank` for a non-null string.
fn is_blank(text: &str) -> bool {
    java_trim(text).is_empty()
}

// ---------------------------------------------------------------------------------------------
// Parser: `Values.ValueParser`
// ---------------------------------------------------------------------------------------------

/// Why a parse step stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// A `DataException` or `NumberFormatException`, which an enclosing step recovers from.
    Invalid,
    /// An error nothing in `Values` catches (stack overflow, `ArithmeticException`): the converter
    /// falls back to BYTES.
    Fatal,
}

/// A parsed value's schema as Kafka builds it, where arrays and maps may lack element schemas.
enum Shape {
    /// A primitive or logical schema.
    Leaf(SchemaRef),
    /// `SchemaBuilder.array(element)`, or `arrayOfNull()` without one.
    Array(Option<Box<Shape>>),
    /// `SchemaBuilder.map(key, value)`, `mapWithNullValues(key)` or `mapOfNull()`.
    Map(Option<Box<Shape>>, Option<Box<Shape>>),
}

impl Shape {
    fn type_name(&self) -> &'static str {
        match self {
            Shape::Leaf(schema) => schema.type_name(),
            Shape::Array(_) => "ARRAY",
            Shape::Map(..) => "MAP",
        }
    }

    /// The place of a numeric type in Kafka's widening order INT8 < … < FLOAT64.
    fn numeric_rank(&self) -> Option<u8> {
        let Shape::Leaf(schema) = self else {
            return None;
        };
        match schema.kind {
            SchemaKind::Int8 => Some(0),
            SchemaKind::Int16 => Some(1),
            SchemaKind::Int32 => Some(2),
            SchemaKind::Int64 => Some(3),
            SchemaKind::Float32 => Some(4),
            SchemaKind::Float64 => Some(5),
            _ => None,
        }
    }

    /// The Connect schema, or `None` when some array or map in it lacks an element schema.
    fn into_schema(self) -> Option<SchemaRef> {
        let kind = match self {
            Shape::Leaf(schema) => return Some(schema),
            Shape::Array(element) => SchemaKind::Array(element?.into_schema()?),
            Shape::Map(key, value) => SchemaKind::Map(key?.into_schema()?, value?.into_schema()?),
        };
        Some(Schema::new(kind).into_ref())
    }
}

/// Kafka's `SchemaAndValue` inside the parser.
struct Typed {
    shape: Shape,
    value: Value,
}

impl Typed {
    fn leaf(schema: &SchemaRef, value: Value) -> Typed {
        Typed {
            shape: Shape::Leaf(schema.clone()),
            value,
        }
    }

    fn string(text: &str) -> Typed {
        Typed::leaf(&schemas().string, Value::String(text.to_string()))
    }

    /// The narrowest of INT8, INT16, INT32 and INT64 that holds `value`.
    fn integer(value: i64) -> Typed {
        let s = schemas();
        if let Ok(v) = i8::try_from(value) {
            Typed::leaf(&s.int8, Value::Int8(v))
        } else if let Ok(v) = i16::try_from(value) {
            Typed::leaf(&s.int16, Value::Int16(v))
        } else if let Ok(v) = i32::try_from(value) {
            Typed::leaf(&s.int32, Value::Int32(v))
        } else {
            Typed::leaf(&s.int64, Value::Int64(value))
        }
    }
}

/// A parsed element's schema (none for `null`) and value.
fn split(parsed: Option<Typed>) -> (Option<Shape>, Value) {
    match parsed {
        Some(typed) => (Some(typed.shape), typed.value),
        None => (None, Value::Null),
    }
}

/// Kafka's `Values.ValueParser` over one text.
struct ValueParser<'a> {
    tokens: Tokenizer<'a>,
}

impl<'a> ValueParser<'a> {
    fn new(text: &'a str) -> Self {
        ValueParser {
            tokens: Tokenizer::new(text),
        }
    }

    /// `parse(embedded)`: the next value, `None` for `null` (or nothing left); `depth` counts the
    /// arrays and maps around it.
    fn parse(&mut self, embedded: bool, depth: usize) -> Result<Option<Typed>, Failure> {
        if !self.tokens.has_next() {
            return Ok(None);
        }
        if embedded && self.tokens.can_consume("\"") {
            return Ok(Some(self.parse_quoted_string()));
        }
        if self.can_parse_single_token_literal(embedded, "null") {
            return Ok(None);
        }
        for (literal, value) in [("true", true), ("false", false)] {
            if self.can_parse_single_token_literal(embedded, literal) {
                return Ok(Some(Typed::leaf(&schemas().boolean, Value::Boolean(value))));
            }
        }
        if let Some(container) = self.try_container(depth)? {
            return Ok(Some(container));
        }
        let token = self.tokens.next();
        if is_blank(token) {
            return Ok(Some(Typed::string(token)));
        }
        self.parse_next_token(embedded, java_trim(token))
    }

    /// Whether the next token is `literal` and, at the top level, the last one.
    fn can_parse_single_token_literal(&mut self, embedded: bool, literal: &str) -> bool {
        let start = self.tokens.mark();
        if self.tokens.can_consume(literal) && (embedded || !self.tokens.has_next()) {
            return true;
        }
        self.tokens.rewind_to(start);
        false
    }

    /// An array or map if one starts here and parses; `None` (rewound) otherwise.
    fn try_container(&mut self, depth: usize) -> Result<Option<Typed>, Failure> {
        let start = self.tokens.mark();
        let parsed = if self.tokens.can_consume("[") {
            self.parse_array(depth + 1)
        } else if self.tokens.can_consume("{") {
            self.parse_map(depth + 1)
        } else {
            return Ok(None);
        };
        match parsed {
            Ok(typed) => Ok(Some(typed)),
            Err(Failure::Invalid) => {
                self.tokens.rewind_to(start);
                Ok(None)
            }
            Err(Failure::Fatal) => Err(Failure::Fatal),
        }
    }

    /// `parseNextToken`: a temporal, a number, or (at the top level only) the whole text as STRING.
    fn parse_next_token(&mut self, embedded: bool, token: &str) -> Result<Option<Typed>, Failure> {
        let first = token.chars().next();
        let digit = first.is_some_and(|c| c.is_ascii_digit());
        if digit {
            if let Some(temporal) = self.parse_multiple_tokens_as_temporal(token) {
                return Ok(Some(temporal));
            }
        }
        if digit || matches!(first, Some('+' | '-')) {
            match parse_as_number(token) {
                Err(Failure::Invalid) => {}
                number => return number.map(Some),
            }
        }
        if embedded {
            return Err(Failure::Invalid);
        }
        Ok(Some(Typed::string(self.tokens.text)))
    }

    /// A time or timestamp split at its colons (this token and the next four), else `token` alone.
    fn parse_multiple_tokens_as_temporal(&mut self, token: &str) -> Option<Typed> {
        let position = self.tokens.mark();
        if let Some(remainder) = self.tokens.next_n(4) {
            if let Some(temporal) = parse_as_temporal(&format!("{token}{remainder}")) {
                return Some(temporal);
            }
        }
        self.tokens.rewind_to(position);
        parse_as_temporal(token)
    }

    /// The tokens up to the closing quote, verbatim (escapes kept), as a temporal or a STRING.
    fn parse_quoted_string(&mut self) -> Typed {
        let mut content = String::new();
        while self.tokens.has_next() {
            if self.tokens.can_consume("\"") {
                break;
            }
            content.push_str(self.tokens.next());
        }
        match parse_as_temporal(&content) {
            Some(temporal) => temporal,
            None => Typed::leaf(&schemas().string, Value::String(content)),
        }
    }

    /// `parseArray`, after its `[`.
    fn parse_array(&mut self, depth: usize) -> Result<Typed, Failure> {
        if depth > MAX_DEPTH {
            return Err(Failure::Fatal);
        }
        let mut values = Vec::new();
        let mut elements = SchemaMerger::default();
        while self.tokens.has_next() {
            if self.tokens.can_consume("]") {
                return finish_array(elements, values);
            }
            if self.tokens.can_consume(",") {
                return Err(Failure::Invalid);
            }
            let (shape, value) = split(self.parse(true, depth)?);
            elements.merge(shape);
            values.push(value);
            let position = self.tokens.mark();
            if self.tokens.can_consume("]") {
                self.tokens.rewind_to(position);
            } else if !self.tokens.can_consume(",") {
                return Err(Failure::Invalid);
            }
        }
        Err(Failure::Invalid)
    }

    /// `parseMap`, after its `{`. Commas between entries are optional, as in Kafka.
    fn parse_map(&mut self, depth: usize) -> Result<Typed, Failure> {
        if depth > MAX_DEPTH {
            return Err(Failure::Fatal);
        }
        let mut entries = JavaMap::default();
        let (mut keys, mut values) = (SchemaMerger::default(), SchemaMerger::default());
        while self.tokens.has_next() {
            if self.tokens.can_consume("}") {
                return finish_map(keys, values, entries);
            }
            if self.tokens.can_consume(",") {
                return Err(Failure::Invalid);
            }
            let Some(key) = self.parse(true, depth)? else {
                return Err(Failure::Invalid);
            };
            if !self.tokens.can_consume(":") {
                return Err(Failure::Invalid);
            }
            let (value_shape, value) = split(self.parse(true, depth)?);
            entries.put(key.value, value);
            self.tokens.can_consume(",");
            keys.merge(Some(key.shape));
            values.merge(value_shape);
        }
        Err(Failure::Invalid)
    }
}

/// The array with its merged element schema, its elements converted to it.
fn finish_array(elements: SchemaMerger, values: Vec<Value>) -> Result<Typed, Failure> {
    let Some(element) = elements.common else {
        return Ok(Typed {
            shape: Shape::Array(None),
            value: Value::Array(values),
        });
    };
    let values = values
        .into_iter()
        .map(|value| convert_to(&element, value))
        .collect::<Result<_, _>>()?;
    Ok(Typed {
        shape: Shape::Array(Some(Box::new(element))),
        value: Value::Array(values),
    })
}

/// The map with its merged schemas: keys and values converted when both have one, keys only when
/// only they do, nothing (and no schemas at all) when the keys have none.
fn finish_map(
    keys: SchemaMerger,
    values: SchemaMerger,
    entries: JavaMap,
) -> Result<Typed, Failure> {
    let Some(key_shape) = keys.common else {
        return Ok(Typed {
            shape: Shape::Map(None, None),
            value: Value::Map(entries.entries),
        });
    };
    let value_shape = values.common;
    let mut aligned = JavaMap::default();
    for (key, value) in entries.entries {
        let key = convert_to(&key_shape, key)?;
        let value = match &value_shape {
            Some(shape) => convert_to(shape, value)?,
            None => value,
        };
        aligned.put(key, value);
    }
    Ok(Typed {
        shape: Shape::Map(Some(Box::new(key_shape)), value_shape.map(Box::new)),
        value: Value::Map(aligned.entries),
    })
}

/// Kafka's `SchemaMerger`: the common schema of the elements seen, `null`s ignored.
#[derive(Default)]
struct SchemaMerger {
    common: Option<Shape>,
    incompatible: bool,
}

impl SchemaMerger {
    fn merge(&mut self, latest: Option<Shape>) {
        let Some(latest) = latest else {
            return;
        };
        if self.incompatible {
            return;
        }
        self.common = match self.common.take() {
            None => Some(latest),
            Some(previous) => {
                let merged = merge_shapes(previous, latest);
                self.incompatible = merged.is_none();
                merged
            }
        };
    }
}

/// `Values.mergeSchemas` for the required schemas parsing builds: the same type keeps the latest
/// schema (children and logical names unchecked, as in Kafka); numbers widen; anything else has no
/// common schema.
fn merge_shapes(previous: Shape, latest: Shape) -> Option<Shape> {
    if previous.type_name() == latest.type_name() {
        return Some(latest);
    }
    let wider = latest.numeric_rank()? > previous.numeric_rank()?;
    Some(if wider { latest } else { previous })
}

/// `Values.convertTo(target, null, value)`, which aligns an element with its merged schema.
fn convert_to(target: &Shape, value: Value) -> Result<Value, Failure> {
    match (target, value) {
        (_, Value::Null) => Err(Failure::Invalid),
        (Shape::Array(_), value @ Value::Array(_)) | (Shape::Map(..), value @ Value::Map(_)) => {
            Ok(value)
        }
        (Shape::Leaf(schema), value) => convert_leaf(schema, value),
        _ => Err(Failure::Invalid),
    }
}

/// `convertTo` for a primitive or logical target schema. Decimals only ever merge with decimals.
fn convert_leaf(schema: &Schema, value: Value) -> Result<Value, Failure> {
    Ok(match (&schema.kind, schema.name.as_deref(), value) {
        (SchemaKind::Int32, Some(DATE_LOGICAL_NAME), value) => to_date(value)?,
        (SchemaKind::Int32, Some(TIME_LOGICAL_NAME), value) => to_time(value)?,
        (SchemaKind::Int64, Some(TIMESTAMP_LOGICAL_NAME), value) => to_timestamp(value)?,
        (SchemaKind::Bytes, Some(DECIMAL_LOGICAL_NAME), value @ Value::Decimal(_)) => value,
        (SchemaKind::String, _, value @ Value::String(_)) => value,
        (SchemaKind::String, _, value) => Value::String(convert_to_string(None, &value)),
        (SchemaKind::Boolean, _, value @ Value::Boolean(_)) => value,
        (SchemaKind::Boolean, _, value) => Value::Boolean(as_long(&value)? != 0),
        (SchemaKind::Int8, _, value @ Value::Int8(_)) => value,
        (SchemaKind::Int8, _, value) => Value::Int8(as_long(&value)? as i8),
        (SchemaKind::Int16, _, value @ Value::Int16(_)) => value,
        (SchemaKind::Int16, _, value) => Value::Int16(as_long(&value)? as i16),
        (SchemaKind::Int32, _, value @ Value::Int32(_)) => value,
        (SchemaKind::Int32, _, value) => Value::Int32(as_long(&value)? as i32),
        (SchemaKind::Int64, _, value @ Value::Int64(_)) => value,
        (SchemaKind::Int64, _, value) => Value::Int64(as_long(&value)?),
        (SchemaKind::Float32, _, value @ Value::Float32(_)) => value,
        (SchemaKind::Float32, _, value) => Value::Float32(as_double(&value)? as f32),
        (SchemaKind::Float64, _, value @ Value::Float64(_)) => value,
        (SchemaKind::Float64, _, value) => Value::Float64(as_double(&value)?),
        _ => return Err(Failure::Invalid),
    })
}

/// `Number.longValue()` of a primitive number; other values fail (`asLong` without a schema).
fn as_long(value: &Value) -> Result<i64, Failure> {
    match *value {
        Value::Int8(v) => Ok(v.into()),
        Value::Int16(v) => Ok(v.into()),
        Value::Int32(v) => Ok(v.into()),
        Value::Int64(v) => Ok(v),
        Value::Float32(v) => Ok(v as i64),
        Value::Float64(v) => Ok(v as i64),
        _ => Err(Failure::Invalid),
    }
}

/// `Number.doubleValue()` of a primitive number; other values fail.
fn as_double(value: &Value) -> Result<f64, Failure> {
    match *value {
        Value::Float32(v) => Ok(v.into()),
        Value::Float64(v) => Ok(v),
        Value::Int64(v) => Ok(v as f64),
        _ => as_long(value).map(|v| v as f64),
    }
}

/// `convertToDate`: a date stays; a number counts days.
fn to_date(value: Value) -> Result<Value, Failure> {
    match value {
        Value::Date(_) => Ok(value),
        other => Ok(Value::Date(
            i64::from(as_long(&other)? as i32) * MILLIS_PER_DAY,
        )),
    }
}

/// `convertToTime`: a date stays; a number counts milliseconds, within one day.
fn to_time(value: Value) -> Result<Value, Failure> {
    match value {
        Value::Date(_) => Ok(value),
        other => {
            let millis = i64::from(as_long(&other)? as i32);
            if !(0..=MILLIS_PER_DAY).contains(&millis) {
                return Err(Failure::Invalid);
            }
            Ok(Value::Date(millis))
        }
    }
}

/// `convertToTimestamp`: a date stays; a number counts milliseconds.
fn to_timestamp(value: Value) -> Result<Value, Failure> {
    match value {
        Value::Date(_) => Ok(value),
        other => Ok(Value::Date(as_long(&other)?)),
    }
}

/// A `LinkedHashMap` of parsed values: insertion order, keys compared by Java's `equals`.
#[derive(Default)]
struct JavaMap {
    entries: Vec<(Value, Value)>,
    positions: HashMap<Vec<u8>, usize>,
}

impl JavaMap {
    /// `put`: a new key appends; an equal key keeps its place and its first key, and takes `value`.
    fn put(&mut self, key: Value, value: Value) {
        let identity = java_identity(&key);
        if let Some(entry) = self
            .positions
            .get(&identity)
            .and_then(|&i| self.entries.get_mut(i))
        {
            entry.1 = value;
            return;
        }
        self.positions.insert(identity, self.entries.len());
        self.entries.push((key, value));
    }
}

/// Bytes that are equal for two parsed values exactly when Java's `equals` holds between them:
/// the class counts (`Byte` 1 is not `Short` 1), floats compare by canonical bits, maps ignore order.
fn java_identity(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_identity(value, &mut out);
    out
}

fn write_identity(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(0),
        Value::Int8(v) => tagged(out, 1, &v.to_le_bytes()),
        Value::Int16(v) => tagged(out, 2, &v.to_le_bytes()),
        Value::Int32(v) => tagged(out, 3, &v.to_le_bytes()),
        Value::Int64(v) => tagged(out, 4, &v.to_le_bytes()),
        Value::Float32(v) => {
            let bits = if v.is_nan() { f32::NAN } else { *v }.to_bits();
            tagged(out, 5, &bits.to_le_bytes());
        }
        Value::Float64(v) => {
            let bits = if v.is_nan() { f64::NAN } else { *v }.to_bits();
            tagged(out, 6, &bits.to_le_bytes());
        }
        Value::Boolean(v) => tagged(out, 7, &[u8::from(*v)]),
        Value::String(s) => length_prefixed(out, 8, s.as_bytes()),
        Value::Decimal(d) => {
            tagged(out, 9, &d.unscaled.to_le_bytes());
            out.extend_from_slice(&d.scale.to_le_bytes());
        }
        Value::Date(ms) => tagged(out, 10, &ms.to_le_bytes()),
        Value::Array(items) => {
            tagged(out, 11, &(items.len() as u64).to_le_bytes());
            items.iter().for_each(|item| write_identity(item, out));
        }
        Value::Map(entries) => {
            let mut encoded: Vec<Vec<u8>> = entries
                .iter()
                .map(|(k, v)| {
                    let mut entry = java_identity(k);
                    write_identity(v, &mut entry);
                    entry
                })
                .collect();
            encoded.sort_unstable();
            tagged(out, 12, &(encoded.len() as u64).to_le_bytes());
            encoded
                .iter()
                .for_each(|entry| out.extend_from_slice(entry));
        }
        // Never parsed; compared by their full contents.
        Value::Bytes(_) | Value::Struct(_) => {
            length_prefixed(out, 13, format!("{value:?}").as_bytes())
        }
    }
}

fn tagged(out: &mut Vec<u8>, tag: u8, payload: &[u8]) {
    out.push(tag);
    out.extend_from_slice(payload);
}

fn length_prefixed(out: &mut Vec<u8>, tag: u8, payload: &[u8]) {
    tagged(out, tag, &(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
}

// ---------------------------------------------------------------------------------------------
// Numbers: `new BigDecimal(token)` and `parseAsNumber`
// ---------------------------------------------------------------------------------------------

/// `parseAsNumber`: the narrowest integer, else FLOAT32, FLOAT64 or Decimal (module docs).
fn parse_as_number(token: &str) -> Result<Typed, Failure> {
    let decimal = BigDecimalText::parse(token).ok_or(Failure::Invalid)?;
    if !decimal.digits.is_empty() && decimal.scale.unsigned_abs() >= BIG_INTEGER_POWER_LIMIT {
        return Err(Failure::Fatal);
    }
    if let Some(integral) = decimal.exact_long() {
        return Ok(Typed::integer(integral));
    }
    let sign = if decimal.negative { "-" } else { "" };
    if decimal.scale != 0 {
        let text = format!("{sign}{}e{}", decimal.digits, -decimal.scale);
        if let Some(f) = text.parse::<f32>().ok().filter(|f| f.is_finite()) {
            return Ok(Typed::leaf(&schemas().float32, Value::Float32(f)));
        }
        if let Some(d) = text.parse::<f64>().ok().filter(|d| d.is_finite()) {
            return Ok(Typed::leaf(&schemas().float64, Value::Float64(d)));
        }
    }
    let unscaled = format!("{sign}{}", decimal.digits)
        .parse::<i128>()
        .map_err(|_| Failure::Invalid)?;
    let scale = i32::try_from(decimal.scale).map_err(|_| Failure::Invalid)?;
    Ok(Typed {
        shape: Shape::Leaf(Schema::decimal(scale).into_ref()),
        value: Value::Decimal(Decimal { unscaled, scale }),
    })
}

/// `new BigDecimal(text)` taken apart.
struct BigDecimalText {
    negative: bool,
    /// The unscaled digits without leading zeros (empty for zero).
    digits: String,
    /// Within `i32`, as `BigDecimal` requires.
    scale: i64,
}

impl BigDecimalText {
    /// `BigDecimal`'s grammar (sign, digits with one optional point, optional exponent), ASCII
    /// digits only; `None` where Java throws `NumberFormatException`.
    fn parse(text: &str) -> Option<BigDecimalText> {
        let (negative, unsigned) = strip_sign(text);
        let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => (mantissa, parse_exponent(exponent)?),
            None => (unsigned, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
            return None;
        }
        let scale = i64::try_from(fraction.len()).ok()? - exponent;
        i32::try_from(scale).ok()?;
        let digits = format!("{whole}{fraction}")
            .trim_start_matches('0')
            .to_string();
        Some(BigDecimalText {
            negative,
            digits,
            scale,
        })
    }

    /// The value as a `long` when it is integral and fits (`parseAsExactDecimal`).
    fn exact_long(&self) -> Option<i64> {
        if self.digits.is_empty() {
            return Some(0);
        }
        let whole = if self.scale <= 0 {
            let zeros = usize::try_from(-self.scale).ok()?;
            if self.digits.len().saturating_add(zeros) > 19 {
                return None;
            }
            format!("{}{}", self.digits, "0".repeat(zeros))
        } else {
            let cut = self
                .digits
                .len()
                .checked_sub(usize::try_from(self.scale).ok()?)?;
            let (whole, fraction) = self.digits.split_at_checked(cut)?;
            if whole.len() > 19 || fraction.bytes().any(|b| b != b'0') {
                return None;
            }
            whole.to_string()
        };
        let magnitude = whole.parse::<i128>().ok()?;
        i64::try_from(if self.negative { -magnitude } else { magnitude }).ok()
    }
}

/// A leading `-` or `+` taken off: (negative, rest).
fn strip_sign(text: &str) -> (bool, &str) {
    match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    }
}

/// `BigDecimal`'s exponent: a sign, then digits whose value fits in an `int`.
fn parse_exponent(text: &str) -> Option<i64> {
    let (negative, digits) = strip_sign(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 10 {
        return None;
    }
    let magnitude = if significant.is_empty() {
        0
    } else {
        significant.parse::<i64>().ok()?
    };
    let exponent = if negative { -magnitude } else { magnitude };
    i32::try_from(exponent).ok().map(i64::from)
}

/// `BigDecimal.toString()`: plain for a scale of 0, or a positive scale with an adjusted exponent
/// of at least -6; otherwise scientific (`1.5E+3`, `1E-7`).
fn big_decimal_to_string(decimal: &Decimal) -> String {
    let coefficient = decimal.unscaled.unsigned_abs().to_string();
    let sign = if decimal.unscaled < 0 { "-" } else { "" };
    let scale = i64::from(decimal.scale);
    let length = coefficient.len() as i64;
    let adjusted = length - 1 - scale;
    if scale == 0 {
        return format!("{sign}{coefficient}");
    }
    if scale > 0 && adjusted >= -6 {
        let whole = usize::try_from(length - scale).unwrap_or(0);
        return match coefficient.split_at_checked(whole) {
            Some((int, frac)) if whole > 0 => format!("{sign}{int}.{frac}"),
            _ => format!(
                "{sign}0.{}{coefficient}",
                "0".repeat((scale - length) as usize)
            ),
        };
    }
    let (first, rest) = coefficient
        .split_at_checked(1)
        .unwrap_or((&coefficient, ""));
    let point = if rest.is_empty() { "" } else { "." };
    let exponent = match adjusted {
        0 => String::new(),
        a if a > 0 => format!("E+{a}"),
        a => format!("E{a}"),
    };
    format!("{sign}{first}{point}{rest}{exponent}")
}

// ---------------------------------------------------------------------------------------------
// Temporals: `SimpleDateFormat` (lenient, UTC) both ways
// ---------------------------------------------------------------------------------------------

/// `parseAsTemporal`: `\:` unescaped, then the pattern its length (in UTF-16 units) selects.
fn parse_as_temporal(token: &str) -> Option<Typed> {
    let token = token.replace("\\:", ":");
    let s = schemas();
    let (pattern, schema) = match token.encode_utf16().count() {
        13 => (TIME_PATTERN, &s.time),
        24 => (TIMESTAMP_PATTERN, &s.timestamp),
        10 => (DATE_PATTERN, &s.date),
        _ => return None,
    };
    parse_lenient(&token, pattern).map(|millis| Typed::leaf(schema, Value::Date(millis)))
}

/// `SimpleDateFormat.parse(text, position)` from the start: the instant, when the whole pattern
/// matches a prefix of `text`.
fn parse_lenient(text: &str, pattern: &str) -> Option<i64> {
    let mut fields = CalendarFields::default();
    let mut position = 0;
    for letter in pattern.bytes() {
        position = match fields.slot(letter) {
            Some(slot) => {
                let (value, end) = parse_field_number(text, position)?;
                *slot = value;
                end
            }
            None if text.as_bytes().get(position) == Some(&letter) => position + 1,
            None => return None,
        };
    }
    Some(fields.epoch_millis())
}

/// The calendar fields a parse sets, with a cleared calendar's defaults (1970-01-01T00:00).
struct CalendarFields {
    year: i32,
    /// One-based, as written.
    month: i32,
    day: i32,
    hour: i32,
    minute: i32,
    second: i32,
    millisecond: i32,
}

impl Default for CalendarFields {
    fn default() -> Self {
        CalendarFields {
            year: 1970,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            millisecond: 0,
        }
    }
}

impl CalendarFields {
    /// The field a pattern letter sets; `None` for a literal.
    fn slot(&mut self, letter: u8) -> Option<&mut i32> {
        match letter {
            b'y' => Some(&mut self.year),
            b'M' => Some(&mut self.month),
            b'd' => Some(&mut self.day),
            b'H' => Some(&mut self.hour),
            b'm' => Some(&mut self.minute),
            b's' => Some(&mut self.second),
            b'S' => Some(&mut self.millisecond),
            _ => None,
        }
    }

    /// `GregorianCalendar.computeTime`, lenient and in UTC: fields out of range roll over, and a
    /// date before the 1582-10-15 cutover counts in the Julian calendar.
    fn epoch_millis(&self) -> i64 {
        let time = ((i64::from(self.hour) * 60 + i64::from(self.minute)) * 60
            + i64::from(self.second))
            * 1000
            + i64::from(self.millisecond);
        let month0 = self.month.wrapping_sub(1);
        let year = i64::from(self.year.wrapping_add(month0.div_euclid(12)));
        let month = month0.rem_euclid(12).unsigned_abs() + 1;
        let offset = i64::from(self.day) - 1 + time.div_euclid(MILLIS_PER_DAY);
        let gregorian = days_from_civil(year, month, 1) + offset;
        let days = if self.year >= 1582 && gregorian >= GREGORIAN_CUTOVER_DAY {
            gregorian
        } else {
            days_from_julian(year, month) + offset
        };
        days.wrapping_mul(MILLIS_PER_DAY)
            .wrapping_add(time.rem_euclid(MILLIS_PER_DAY))
    }
}

/// Days from 1970-01-01 (Gregorian) to the first of `month` in `year` of the proleptic Julian
/// calendar (astronomical year numbering).
fn days_from_julian(year: i64, month: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let m = i64::from(month);
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5;
    y.div_euclid(4) * 1461 + y.rem_euclid(4) * 365 + day_of_year - JULIAN_EPOCH_SHIFT
}

/// One numeric field of `SimpleDateFormat.subParse`: spaces and tabs skipped, then the integer
/// `NumberFormat` reads there, as an `int`; with the position after it.
fn parse_field_number(text: &str, start: usize) -> Option<(i32, usize)> {
    let skipped = text
        .get(start..)?
        .bytes()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    parse_java_integer(text, start + skipped)
}

/// `DecimalFormat.parse(text, position).intValue()` for the integer-only, ungrouped format of the
/// root locale: `NaN`, an optional `-`, then `∞` or ASCII digits with an optional `E` exponent.
fn parse_java_integer(text: &str, start: usize) -> Option<(i32, usize)> {
    let rest = text.get(start..)?;
    if rest.starts_with("NaN") {
        return Some((0, start + 3));
    }
    let (negative, body) = match rest.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, rest),
    };
    let start = start + usize::from(negative);
    if body.starts_with('∞') {
        let value = if negative { i32::MIN } else { i32::MAX };
        return Some((value, start + '∞'.len_utf8()));
    }
    let (digits, consumed) = scan_digits(body)?;
    let exponent = body
        .get(consumed..)
        .and_then(|after| after.strip_prefix('E'))
        .and_then(parse_exponent_digits);
    let (exponent, used) = exponent.map_or((0, 0), |(e, n)| (e, n + 1));
    Some((
        java_int_value(digits, exponent, negative),
        start + consumed + used,
    ))
}

/// ASCII digits at the start of `text`, without their leading zeros, and how many bytes they take.
fn scan_digits(text: &str) -> Option<(&str, usize)> {
    let consumed = text.bytes().take_while(u8::is_ascii_digit).count();
    if consumed == 0 {
        return None;
    }
    Some((text.get(..consumed)?.trim_start_matches('0'), consumed))
}

/// `DecimalFormat`'s exponent after `E`: an optional `-` and digits that fit a `long`, cast to
/// `int`; with the bytes it takes.
fn parse_exponent_digits(text: &str) -> Option<(i32, usize)> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, text),
    };
    let (digits, consumed) = scan_digits(body)?;
    if digits.len() > 19 {
        return None;
    }
    let magnitude = if digits.is_empty() {
        0
    } else {
        digits.parse::<i128>().ok()?
    };
    let value = i64::try_from(if negative { -magnitude } else { magnitude }).ok()?;
    Some((value as i32, usize::from(negative) + consumed))
}

/// The `int` of `DigitList` digits scaled by `exponent`: a `Long` cast when integral and within
/// `long`, else a `Double` cast (saturating).
fn java_int_value(digits: &str, exponent: i32, negative: bool) -> i32 {
    let decimal_at = i32::try_from(digits.len())
        .unwrap_or(i32::MAX)
        .wrapping_add(exponent);
    let significant = digits.trim_end_matches('0');
    if significant.is_empty() {
        return 0;
    }
    let whole = usize::try_from(decimal_at)
        .ok()
        .filter(|&len| len >= significant.len() && len <= 19);
    if let Some(len) = whole {
        let text = format!("{significant}{}", "0".repeat(len - significant.len()));
        let long = text
            .parse::<i128>()
            .ok()
            .and_then(|m| i64::try_from(if negative { -m } else { m }).ok());
        if let Some(long) = long {
            return long as i32;
        }
    }
    let sign = if negative { "-" } else { "" };
    format!("{sign}0.{significant}e{decimal_at}")
        .parse::<f64>()
        .map_or(0, |d| d as i32)
}

/// `Values.dateFormatFor(date).format(date)` in UTC.
fn format_temporal(millis: i64) -> String {
    if millis < MILLIS_PER_DAY {
        format_time_of_day(millis)
    } else if millis % MILLIS_PER_DAY == 0 {
        format_day(millis)
    } else {
        format!("{}T{}", format_day(millis), format_time_of_day(millis))
    }
}

/// `yyyy-MM-dd` (only reached from 1970-01-02 on, where Julian days no longer matter).
fn format_day(millis: i64) -> String {
    let (year, month, day) = civil_from_days(millis.div_euclid(MILLIS_PER_DAY));
    format!("{year:04}-{month:02}-{day:02}")
}

/// `HH:mm:ss.SSS'Z'`.
fn format_time_of_day(millis: i64) -> String {
    let t = millis.rem_euclid(MILLIS_PER_DAY);
    format!(
        "{:02}:{:02}:{:02}.{:03}Z",
        t / 3_600_000,
        t / 60_000 % 60,
        t / 1000 % 60,
        t % 1000
    )
}

// ---------------------------------------------------------------------------------------------
// Printing: `Values.append`
// ---------------------------------------------------------------------------------------------

/// `Values.append(sb, value, embedded)`.
fn append(out: &mut String, value: &Value, embedded: bool) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Int8(v) => out.push_str(&v.to_string()),
        Value::Int16(v) => out.push_str(&v.to_string()),
        Value::Int32(v) => out.push_str(&v.to_string()),
        Value::Int64(v) => out.push_str(&v.to_string()),
        Value::Float32(v) => out.push_str(&format_f32(*v)),
        Value::Float64(v) => out.push_str(&format_f64(*v)),
        Value::Decimal(d) => out.push_str(&big_decimal_to_string(d)),
        Value::Boolean(v) => out.push_str(if *v { "true" } else { "false" }),
        Value::String(s) if embedded => append_quoted(out, s),
        Value::String(s) => out.push_str(s),
        Value::Bytes(bytes) => {
            let text = base64::engine::general_purpose::STANDARD.encode(bytes);
            if embedded {
                append_quoted(out, &text);
            } else {
                out.push_str(&text);
            }
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, item, true);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, key, true);
                out.push(':');
                append(out, value, true);
            }
            out.push('}');
        }
        Value::Struct(s) => append_struct(out, s),
        Value::Date(millis) => out.push_str(&format_temporal(*millis)),
    }
}

/// A struct as `{"name":value,…}`; a null field prints its schema's default when it has one.
fn append_struct(out: &mut String, s: &Struct) {
    out.push('{');
    for (i, field) in s.schema.fields().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        append_quoted(out, &field.name);
        out.push(':');
        let value = s.values.get(i).filter(|v| !v.is_null());
        let value = value
            .or(field.schema.default.as_ref())
            .unwrap_or(&Value::Null);
        append(out, value, true);
    }
    out.push('}');
}

/// `"` + `Values.escape(text)` + `"`: backslashes and quotes get a backslash.
fn append_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        if matches!(c, '\\' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{LogicalType, DECIMAL_SCALE_PARAMETER};

    const DAY: i64 = MILLIS_PER_DAY;

    fn parsed(text: &str) -> (SchemaRef, Value) {
        let (schema, value) = parse_string(text);
        (
            schema.unwrap_or_else(|| panic!("no schema for {text:?}")),
            value,
        )
    }

    fn kind(text: &str) -> SchemaKind {
        parsed(text).0.kind.clone()
    }

    fn round_trip(text: &str) -> Option<String> {
        let (schema, value) = parse_header(Some(text.as_bytes()));
        format_header(schema.as_ref(), &value).map(|bytes| String::from_utf8(bytes).unwrap())
    }

    fn assert_string(text: &str) {
        let (schema, value) = parsed(text);
        assert_eq!(schema.kind, SchemaKind::String, "{text:?}");
        assert_eq!(value, Value::String(text.to_string()), "{text:?}");
    }

    fn tokens(text: &str) -> Vec<&str> {
        let mut tokenizer = Tokenizer::new(text);
        let mut out = Vec::new();
        while tokenizer.has_next() {
            out.push(tokenizer.next());
        }
        out
    }

    #[test]
    fn tokenizer_splits_at_unescaped_delimiters() {
        assert_eq!(
            tokens("\"simple\" string"),
            ["\"", "simple", "\"", " string"]
        );
        assert_eq!(tokens("a { b c } d"), ["a ", "{", " b c ", "}", " d"]);
        assert_eq!(tokens("si\\:mple"), ["si\\:mple"]);
        assert_eq!(tokens("si\\\\:mple"), ["si\\\\", ":", "mple"]);
        let mut t = Tokenizer::new("a:b:c:d:e:f:g:h");
        assert_eq!(t.next_n(5), Some("a:b:c"));
        assert_eq!(t.next(), ":");
        assert_eq!(t.next(), "d");
        assert_eq!(t.next(), ":");
        assert_eq!(t.next_n(8), None);
        assert_eq!(t.next(), "e");
    }

    #[test]
    fn empty_text_is_an_empty_string() {
        assert_eq!(
            parsed(""),
            (schemas().string.clone(), Value::String(String::new()))
        );
        assert_eq!(round_trip(""), Some(String::new()));
        assert_string("  ");
    }

    #[test]
    fn integers_take_the_narrowest_type() {
        assert_eq!(parsed("42"), (schemas().int8.clone(), Value::Int8(42)));
        assert_eq!(parsed("-128").1, Value::Int8(-128));
        assert_eq!(parsed("300"), (schemas().int16.clone(), Value::Int16(300)));
        assert_eq!(
            parsed("70000"),
            (schemas().int32.clone(), Value::Int32(70_000))
        );
        assert_eq!(
            parsed("5000000000"),
            (schemas().int64.clone(), Value::Int64(5_000_000_000))
        );
        assert_eq!(parsed("-9223372036854775808").1, Value::Int64(i64::MIN));
        // Integral decimals and exponents are integers; whitespace around a number is dropped.
        assert_eq!(parsed("1.0").1, Value::Int8(1));
        assert_eq!(parsed("1E+3").1, Value::Int16(1000));
        assert_eq!(parsed("-0.00").1, Value::Int8(0));
        assert_eq!(parsed("+5").1, Value::Int8(5));
        assert_eq!(parsed(" 12 ").1, Value::Int8(12));
        assert_eq!(round_trip(" 12 ").as_deref(), Some("12"));
    }

    #[test]
    fn integers_beyond_long_are_decimals_with_scale_zero() {
        let (schema, value) = parsed("9223372036854775808");
        assert_eq!(schema.kind, SchemaKind::Bytes);
        assert_eq!(schema.name.as_deref(), Some(DECIMAL_LOGICAL_NAME));
        assert_eq!(schema.parameter(DECIMAL_SCALE_PARAMETER), Some("0"));
        assert_eq!(
            schema.logical_type(),
            Some(LogicalType::Decimal { scale: 0 })
        );
        let unscaled = i128::from(i64::MAX) + 1;
        assert_eq!(value, Value::Decimal(Decimal { unscaled, scale: 0 }));
        assert_eq!(
            parsed("-9223372036854775809").1,
            Value::Decimal(Decimal {
                unscaled: -unscaled - 1,
                scale: 0
            })
        );
        assert_eq!(
            round_trip("9223372036854775808").as_deref(),
            Some("9223372036854775808")
        );
    }

    #[test]
    fn fractions_are_float32_whenever_finite() {
        assert_eq!(
            parsed("1.1"),
            (schemas().float32.clone(), Value::Float32(1.1))
        );
        // Kafka keeps FLOAT32 even when it loses digits.
        assert_eq!(round_trip("1.23456789").as_deref(), Some("1.2345679"));
        assert_eq!(kind("3.4028235E38"), SchemaKind::Float32);
        assert_eq!(kind("1e30"), SchemaKind::Float32);
        assert_eq!(parsed("-1e-50").1, Value::Float32(-0.0));
    }

    #[test]
    fn fractions_beyond_float_are_float64_then_decimal() {
        assert_eq!(
            parsed("1e39"),
            (schemas().float64.clone(), Value::Float64(1e39))
        );
        assert_eq!(kind("1.7976931348623157E308"), SchemaKind::Float64);
        let (schema, value) = parsed("1e400");
        assert_eq!(
            schema.logical_type(),
            Some(LogicalType::Decimal { scale: -400 })
        );
        assert_eq!(
            value,
            Value::Decimal(Decimal {
                unscaled: 1,
                scale: -400
            })
        );
        assert_eq!(round_trip("1e400").as_deref(), Some("1E+400"));
    }

    #[test]
    fn exponents_that_overflow_big_integer_fall_back_to_bytes() {
        for text in ["1e-999999999", "1e999999999", "[1e600000000]"] {
            let (schema, value) = parse_string(text);
            assert_eq!(
                schema.map(|s| s.kind.clone()),
                Some(SchemaKind::Bytes),
                "{text}"
            );
            assert_eq!(value, Value::Bytes(text.as_bytes().to_vec()));
        }
        assert_eq!(parsed("0e-999999999").1, Value::Int8(0));
        assert_eq!(parsed("1e-536870919").1, Value::Float32(0.0));
    }

    #[test]
    fn booleans_are_case_sensitive_single_tokens() {
        assert_eq!(
            parsed("true"),
            (schemas().boolean.clone(), Value::Boolean(true))
        );
        assert_eq!(parsed("\n \t false \t\n").1, Value::Boolean(false));
        assert_string("FALSE");
        assert_string("True");
        assert_string("true}");
        assert_string("false]");
    }

    #[test]
    fn null_has_no_schema_and_no_header() {
        assert_eq!(parse_string("null"), (None, Value::Null));
        assert_eq!(parse_string(" null "), (None, Value::Null));
        assert_eq!(round_trip("null"), None);
        assert_eq!(parse_header(None), (None, Value::Null));
        assert_eq!(format_header(None, &Value::Null), None);
        assert_string("null=");
    }

    #[test]
    fn other_text_is_a_string_kept_whole() {
        assert_string("hello");
        assert_string("simple \n\t\u{8}string");
        assert_string("\"quoted\"");
        assert_string("a:b");
        assert_string("12 apples");
        assert_string(".5");
        assert_string("\u{FFFF}");
    }

    #[test]
    fn only_the_first_top_level_token_counts() {
        assert_eq!(parsed("1,2").1, Value::Int8(1));
        assert_eq!(round_trip("1,2").as_deref(), Some("1"));
        assert_eq!(round_trip("[1]x").as_deref(), Some("[1]"));
        // A failed array rewinds to the blank token before it, which is all that is returned.
        assert_eq!(parsed("  [").1, Value::String("  ".into()));
    }

    #[test]
    fn arrays_convert_elements_to_their_common_schema() {
        let (schema, value) = parsed("[1,2,3]");
        assert_eq!(schema.kind, SchemaKind::Array(schemas().int8.clone()));
        assert_eq!(
            value,
            Value::Array(vec![Value::Int8(1), Value::Int8(2), Value::Int8(3)])
        );
        let (schema, value) = parsed("[1, 2, 300]");
        assert_eq!(schema.kind, SchemaKind::Array(schemas().int16.clone()));
        assert_eq!(
            value,
            Value::Array(vec![Value::Int16(1), Value::Int16(2), Value::Int16(300)])
        );
        let (schema, value) = parsed("[1, 2.5]");
        assert_eq!(schema.kind, SchemaKind::Array(schemas().float32.clone()));
        assert_eq!(
            value,
            Value::Array(vec![Value::Float32(1.0), Value::Float32(2.5)])
        );
        assert_eq!(round_trip("[1, 2.5]").as_deref(), Some("[1.0,2.5]"));
        assert_eq!(round_trip("[ 1 , 2 , ]").as_deref(), Some("[1,2]"));
        let nested =
            SchemaKind::Array(Schema::new(SchemaKind::Array(schemas().boolean.clone())).into_ref());
        assert_eq!(kind("[[true], [false]]"), nested);
    }

    #[test]
    fn arrays_without_a_common_schema_have_none() {
        let (schema, value) = parse_string("[1,\"a\"]");
        assert_eq!(schema, None);
        assert_eq!(
            value,
            Value::Array(vec![Value::Int8(1), Value::String("a".into())])
        );
        assert_eq!(parse_string("[]"), (None, Value::Array(vec![])));
        assert_eq!(
            parse_string("[null]"),
            (None, Value::Array(vec![Value::Null]))
        );
        let (schema, _) = parse_string("[[1, \"a\"]]");
        assert_eq!(schema, None);
    }

    #[test]
    fn maps_merge_keys_and_values() {
        let (schema, value) = parsed("{\"a\":1,\"b\":2}");
        assert_eq!(
            schema.kind,
            SchemaKind::Map(schemas().string.clone(), schemas().int8.clone())
        );
        let entry = |k: &str, v| (Value::String(k.into()), v);
        assert_eq!(
            value,
            Value::Map(vec![entry("a", Value::Int8(1)), entry("b", Value::Int8(2))])
        );
        // An equal key keeps its place and takes the last value, converted to the merged type.
        let (schema, value) = parsed(" { \"a\" : 1 , \"b\" : 2, \"a\" : 300 }  ");
        assert_eq!(
            schema.kind,
            SchemaKind::Map(schemas().string.clone(), schemas().int16.clone())
        );
        assert_eq!(
            value,
            Value::Map(vec![
                entry("a", Value::Int16(300)),
                entry("b", Value::Int16(2))
            ])
        );
        // Keys that become equal once widened merge too; `1` and `1.0` are the same key.
        assert_eq!(
            parsed("{1:\"x\", 1.0:\"y\"}").1,
            Value::Map(vec![(Value::Int8(1), Value::String("y".into()))])
        );
        assert_eq!(
            parsed("{true: false, false: true}").0.kind,
            SchemaKind::Map(schemas().boolean.clone(), schemas().boolean.clone())
        );
        assert_eq!(
            kind("{\"a\":1 \"b\":2}"),
            SchemaKind::Map(schemas().string.clone(), schemas().int8.clone())
        );
    }

    #[test]
    fn maps_without_common_schemas_have_none() {
        let (schema, value) = parse_string("{1:1, 2:1, 300:300, \"four\":1}");
        assert_eq!(schema, None);
        let Value::Map(entries) = value else {
            panic!("not a map")
        };
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[2], (Value::Int16(300), Value::Int16(300)));
        assert_eq!(
            parse_string("{3: null}"),
            (None, Value::Map(vec![(Value::Int8(3), Value::Null)]))
        );
        assert_eq!(parse_string("{}"), (None, Value::Map(vec![])));
    }

    #[test]
    fn dates_times_and_timestamps_are_logical_types() {
        let (schema, value) = parsed("2023-01-01");
        assert_eq!(
            (schema.kind.clone(), schema.name.as_deref()),
            (SchemaKind::Int32, Some(DATE_LOGICAL_NAME))
        );
        assert_eq!(value, Value::Date(1_672_531_200_000));
        let (schema, value) = parsed("10:20:30.123Z");
        assert_eq!(
            (schema.kind.clone(), schema.name.as_deref()),
            (SchemaKind::Int32, Some(TIME_LOGICAL_NAME))
        );
        assert_eq!(value, Value::Date(37_230_123));
        let (schema, value) = parsed("2023-01-01T10:20:30.123Z");
        assert_eq!(
            (schema.kind.clone(), schema.name.as_deref()),
            (SchemaKind::Int64, Some(TIMESTAMP_LOGICAL_NAME))
        );
        assert_eq!(value, Value::Date(1_672_568_430_123));
        assert_eq!(
            parsed("14\\:34\\:54.346Z").0.logical_type(),
            Some(LogicalType::Time)
        );
        let (schema, value) = parsed("{\"k\":\"10:20:30.123Z\"}");
        assert_eq!(
            schema.kind,
            SchemaKind::Map(schemas().string.clone(), schemas().time.clone())
        );
        assert_eq!(
            value,
            Value::Map(vec![(Value::String("k".into()), Value::Date(37_230_123))])
        );
        assert_eq!(
            kind("[2019-08-23T14:34:54.346Z, 2019-01-23T15:12:34.567Z]"),
            SchemaKind::Array(schemas().timestamp.clone())
        );
    }

    #[test]
    fn temporal_parsing_is_lenient_like_simple_date_format() {
        let day = |y, m, d| days_from_civil(y, m, d) * DAY;
        assert_eq!(parsed("2023-13-01").1, Value::Date(day(2024, 1, 1)));
        assert_eq!(parsed("2023-02-30").1, Value::Date(day(2023, 3, 2)));
        assert_eq!(parsed("2023-1-1xy").1, Value::Date(day(2023, 1, 1)));
        assert_eq!(parsed("2023- 1- 1").1, Value::Date(day(2023, 1, 1)));
        assert_eq!(parsed("25:00:00.000Z").1, Value::Date(DAY + 3_600_000));
        assert_eq!(parsed("\"-1:00:00.000Z\"").0.kind, SchemaKind::String);
        assert_eq!(
            parsed("[\"-1:00:00.000Z\"]").1,
            Value::Array(vec![Value::Date(-3_600_000)])
        );
        // Before the 1582 cutover the calendar is Julian: Julian 1500-03-01 is Gregorian 03-11.
        assert_eq!(parsed("1500-03-01").1, Value::Date(day(1500, 3, 11)));
        assert_eq!(parsed("1582-10-04").1, Value::Date(day(1582, 10, 14)));
        assert_eq!(
            parsed("1582-10-15").1,
            Value::Date(GREGORIAN_CUTOVER_DAY * DAY)
        );
        assert_eq!(parsed("2023-01-0x").1, Value::Date(day(2022, 12, 31)));
        assert_string("2023/01/01");
    }

    #[test]
    fn numbers_merge_with_logical_types_as_kafka_converts_them() {
        // INT32 Date and INT8 merge to Date; Kafka then reads 1 as one day.
        let (schema, value) = parsed("[2023-01-01, 1]");
        assert_eq!(schema.kind, SchemaKind::Array(schemas().date.clone()));
        assert_eq!(
            value,
            Value::Array(vec![Value::Date(1_672_531_200_000), Value::Date(DAY)])
        );
        assert_eq!(
            round_trip("[2023-01-01, 1]").as_deref(),
            Some("[2023-01-01,1970-01-02]")
        );
        // A Date cannot become a plain INT32, so the array fails and the text stays a string.
        assert_string("[2023-01-01, 100000]");
    }

    #[test]
    fn quoted_strings_keep_escapes_and_lose_blank_tokens() {
        let strings = |text: &str| match parsed(text).1 {
            Value::Array(items) => items,
            other => panic!("{other:?}"),
        };
        assert_eq!(strings("[\"a\\\"b\"]"), [Value::String("a\\\"b".into())]);
        assert_eq!(strings("[\" \"]"), [Value::String(String::new())]);
        assert_eq!(strings("[\"x, ,y\"]"), [Value::String("x,,y".into())]);
        assert_eq!(
            strings("[\"2023-01-01\"]"),
            [Value::Date(1_672_531_200_000)]
        );
    }

    #[test]
    fn malformed_literals_fall_back_to_the_text() {
        for text in [
            "[1, 2, 3,,,]",
            "[1, null]",
            "[null, 1]",
            "{null: 3}",
            "{foo: 3}",
            "{3: foo}",
            "[foo]",
            "{6:9 4:20}",
            "[0 1 2]",
            "[1",
            "[\"a",
            "{\"a\":",
            "{\"a\" 1}",
            "{,}",
            "[[1], [x]]",
            "[1:2]",
        ] {
            assert_string(text);
            assert_eq!(round_trip(text).as_deref(), Some(text));
        }
    }

    #[test]
    fn deep_nesting_falls_back_to_bytes() {
        let mut deep = "[".repeat(10_000).into_bytes();
        deep.push(0xff);
        let (schema, value) = parse_header(Some(&deep));
        assert_eq!(schema, Some(schemas().bytes.clone()));
        assert_eq!(value, Value::Bytes(deep.clone()));
        assert_eq!(
            format_header(schema.as_ref(), &value).map(|b| b.len()),
            Some(13_336)
        );
        let nested = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let (schema, _) = parse_string(&nested(MAX_DEPTH));
        let mut depth = 0;
        let mut schema = schema.expect("nested arrays of INT8");
        while let SchemaKind::Array(element) = &schema.kind {
            (depth, schema) = (depth + 1, element.clone());
        }
        assert_eq!((depth, schema.kind.clone()), (MAX_DEPTH, SchemaKind::Int8));
        assert_eq!(round_trip(&nested(MAX_DEPTH)), Some(nested(MAX_DEPTH)));
        assert_eq!(
            parse_string(&nested(MAX_DEPTH + 1)).0,
            Some(schemas().bytes.clone())
        );
        let maps = format!(
            "{}{}",
            "{\"k\":".repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(parse_string(&maps).0, Some(schemas().bytes.clone()));
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters_as_java_delimits_them() {
        let (schema, value) = parse_header(Some(&[b'a', 0xff, 0xed, 0xa0, 0x80]));
        assert_eq!(schema, Some(schemas().string.clone()));
        assert_eq!(value, Value::String("a\u{FFFD}\u{FFFD}".into()));
        assert_eq!(
            parse_header(Some(&[b'4', 0xc3])).1,
            Value::String("4\u{FFFD}".into())
        );
        let decoded = |bytes: &[u8]| decode_utf8_like_java(bytes).into_owned();
        assert_eq!(decoded(&[0xed, 0xa0]), "\u{FFFD}");
        assert_eq!(decoded(&[0xed, 0xa0, b'A']), "\u{FFFD}A");
        assert_eq!(decoded(&[0xe0, 0x80, 0x80]), "\u{FFFD}\u{FFFD}\u{FFFD}");
        assert_eq!(decoded(&[0xe2, 0x82, b'A']), "\u{FFFD}A");
        assert_eq!(decoded(&[0xe2, 0x82]), "\u{FFFD}");
        assert_eq!(decoded(&[0xf0, 0x9f, 0x98]), "\u{FFFD}");
        assert_eq!(decoded(&[0xf0, 0x9f, b'A', b'B']), "\u{FFFD}AB");
        assert_eq!(decoded(&[0xf0, 0x9f, 0x98, b'A']), "\u{FFFD}A");
        assert_eq!(
            decoded(&[0xf4, 0x90, 0x80, 0x80]),
            "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"
        );
        assert_eq!(decoded(&[0xc0, 0x80, 0xf8]), "\u{FFFD}\u{FFFD}\u{FFFD}");
        assert_eq!(decoded("h\u{e9}\u{1F600}".as_bytes()), "h\u{e9}\u{1F600}");
    }

    #[test]
    fn decimals_print_like_big_decimal_to_string() {
        let text = |unscaled, scale| big_decimal_to_string(&Decimal { unscaled, scale });
        assert_eq!(text(123, 0), "123");
        assert_eq!(text(12345, 3), "12.345");
        assert_eq!(text(-1, 3), "-0.001");
        assert_eq!(text(1, 6), "0.000001");
        assert_eq!(text(1, 7), "1E-7");
        assert_eq!(text(-123, 10), "-1.23E-8");
        assert_eq!(text(5, -2), "5E+2");
        assert_eq!(text(15, -2), "1.5E+3");
        assert_eq!(text(0, -3), "0E+3");
        assert_eq!(text(0, 2), "0.00");
        assert_eq!(text(i128::MIN, 0), i128::MIN.to_string());
    }

    #[test]
    fn dates_print_by_their_instant() {
        let text = |ms| convert_to_string(None, &Value::Date(ms));
        assert_eq!(text(0), "00:00:00.000Z");
        assert_eq!(text(-1), "23:59:59.999Z");
        assert_eq!(text(-DAY * 400), "00:00:00.000Z");
        assert_eq!(text(DAY), "1970-01-02");
        assert_eq!(text(DAY + 1), "1970-01-02T00:00:00.001Z");
        assert_eq!(text(i64::MAX), "292278994-08-17T07:12:55.807Z");
    }

    #[test]
    fn values_print_in_kafka_literal_syntax() {
        let text = |v: &Value| convert_to_string(None, v);
        assert_eq!(text(&Value::String("a\"b\\c".into())), "a\"b\\c");
        assert_eq!(
            text(&Value::Array(vec![Value::String("a\"b\\c".into())])),
            "[\"a\\\"b\\\\c\"]"
        );
        assert_eq!(text(&Value::Bytes(vec![1, 2, 3])), "AQID");
        assert_eq!(
            text(&Value::Map(vec![(Value::Bytes(vec![1]), Value::Null)])),
            "{\"AQ==\":null}"
        );
        assert_eq!(text(&Value::Float64(1e21)), "1.0E21");
        assert_eq!(text(&Value::Float32(f32::NAN)), "NaN");
        let schema = Schema::structure([
            ("a".to_string(), Schema::new(SchemaKind::Int32).into_ref()),
            (
                "b".to_string(),
                Schema::new(SchemaKind::String)
                    .optional()
                    .with_default(Value::String("d".into()))
                    .into_ref(),
            ),
            (
                "c\"".to_string(),
                Schema::new(SchemaKind::String).optional().into_ref(),
            ),
        ])
        .into_ref();
        let s = Value::Struct(Struct {
            schema,
            values: vec![Value::Int32(1), Value::Null, Value::Null],
        });
        assert_eq!(text(&s), "{\"a\":1,\"b\":\"d\",\"c\\\"\":null}");
        assert_eq!(text(&Value::Null), "null");
    }

    #[test]
    fn calendar_arithmetic_matches_the_cutover() {
        assert_eq!(days_from_civil(1582, 10, 15), GREGORIAN_CUTOVER_DAY);
        assert_eq!(days_from_julian(1582, 10) + 3, GREGORIAN_CUTOVER_DAY - 1);
        assert_eq!(days_from_julian(1970, 1), 13);
        assert_eq!(parse_java_integer("1E2x", 0), Some((100, 3)));
        assert_eq!(parse_java_integer("15E-1", 0), Some((1, 5)));
        assert_eq!(parse_java_integer("-0", 0), Some((0, 2)));
        assert_eq!(parse_java_integer("4294967297", 0), Some((1, 10)));
        assert_eq!(
            parse_java_integer("99999999999999999999", 0),
            Some((i32::MAX, 20))
        );
        assert_eq!(parse_java_integer("NaN", 0), Some((0, 3)));
        assert_eq!(parse_java_integer("-∞", 0), Some((i32::MIN, 4)));
        assert_eq!(parse_java_integer("-x", 0), None);
        assert_eq!(parse_java_integer("7E", 0), Some((7, 1)));
    }

    /// Every header of the conformance case, read by the real Kafka, comes back as Kafka wrote it.
    #[test]
    fn conformance_simple_header_typing_round_trips() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/conformance/kafka-connect/converters/converters_other/simple_header_typing"
        );
        let read = |name: &str| std::fs::read_to_string(format!("{dir}/{name}"));
        let (Ok(input), Ok(expected)) = (read("input.jsonl"), read("expected.jsonl")) else {
            eprintln!("note: conformance case absent under {dir}; skipping");
            return;
        };
        let headers = |line: &str| -> Vec<serde_json::Value> {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            record["headers"].as_array().unwrap().clone()
        };
        let mut checked = 0;
        for (input_line, expected_line) in input.lines().zip(expected.lines()) {
            for (given, wanted) in headers(input_line)
                .iter()
                .zip(headers(expected_line).iter())
            {
                let name = given[0].as_str().unwrap();
                assert_eq!(wanted[0].as_str(), Some(name));
                let (schema, value) = parse_header(given[1].as_str().map(str::as_bytes));
                let text =
                    format_header(schema.as_ref(), &value).map(|b| String::from_utf8(b).unwrap());
                assert_eq!(text.as_deref(), wanted[1].as_str(), "header {name}");
                checked += 1;
            }
        }
        assert_eq!(checked, 17);
    }

    proptest::proptest! {
        /// The fast path agrees with the full parser wherever it applies.
        #[test]
        fn verbatim_strings_parse_as_themselves(text in "[-+0-9a-zA-Z._ é:,\\[\\]{}\"]{0,40}") {
            if verbatim_text(text.as_bytes()).is_some() {
                let parsed = try_parse(&text);
                proptest::prop_assert_eq!(
                    parsed,
                    Some((Some(schemas().string.clone()), Value::String(text.clone())))
                );
            }
        }

        /// Any bytes the fast path takes are UTF-8, come back whole, and parse as themselves.
        #[test]
        fn verbatim_bytes_are_their_own_text(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    4 => proptest::sample::select(b"0123456789-+.eEaZ:\\\" ".to_vec()),
                    1 => proptest::num::u8::ANY,
                ],
                0..30,
            ),
        ) {
            if let Some(text) = verbatim_text(&bytes) {
                proptest::prop_assert_eq!(text.as_bytes(), bytes.as_slice());
                proptest::prop_assert_eq!(
                    try_parse(text),
                    Some((Some(schemas().string.clone()), Value::String(text.to_string())))
                );
            }
        }
    }

    #[test]
    fn uuids_and_names_take_the_fast_path_and_numbers_do_not() {
        let verbatim = |text: &str| verbatim_text(text.as_bytes()).is_some();
        assert!(verbatim("3f2a9c1e-4b5d-4e6f-8a9b-0c1d2e3f4a5b"));
        assert!(verbatim("checkout"));
        assert!(verbatim("café"));
        assert!(verbatim("7a"));
        for typed in [
            "12",
            "-7",
            "1e5",
            "true",
            "2023-01-01",
            " 12 ",
            "[1]",
            "a:b",
            // Text that starts like a number and is not ASCII (Java reads digits of other
            // scripts) is left to the parser.
            "7é",
            "7\u{663}a",
            "",
            "null",
        ] {
            assert!(!verbatim(typed), "{typed}");
        }
    }
}
