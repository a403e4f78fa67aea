//! `org.apache.kafka.connect.storage.StringConverter`: bytes ⇄ an optional STRING, in the
//! charset of `converter.encoding` (Java's `new String(bytes, charset)` and `String.getBytes`).

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

use arrow_array::cast::AsArray;
use arrow_array::StringViewArray;

use super::{
    decoded_all, encode_accessor, encode_values, header_bytes, input_views, optional_schema,
};
use crate::batch::Column;
use crate::converter::{Converter, ConverterContext, Decoded, Encoded, HeaderConverter};
use crate::error::ConnectError;
use crate::schema::{SchemaKind, SchemaRef};
use crate::value::Value;

/// `Schema.OPTIONAL_STRING_SCHEMA`, shared by every decoded string.
static OPTIONAL_STRING: LazyLock<SchemaRef> = LazyLock::new(|| optional_schema(SchemaKind::String));

/// Java's replacement for malformed input.
const REPLACEMENT: char = '\u{FFFD}';

/// A Java charset StringConverter supports, with Java's decoding (malformed input becomes
/// U+FFFD) and encoding (unmappable characters become `?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringEncoding {
    /// `UTF-8`, the default.
    Utf8,
    /// `ISO-8859-1` (Latin-1): one byte per character up to U+00FF.
    Iso8859_1,
    /// `US-ASCII`: one byte per character up to U+007F.
    UsAscii,
    /// `UTF-16`: decoding honours a byte-order mark (big-endian without one), encoding writes
    /// the big-endian mark first.
    Utf16,
    /// `UTF-16BE`, no byte-order mark.
    Utf16Be,
    /// `UTF-16LE`, no byte-order mark.
    Utf16Le,
}

/// Java's canonical names and aliases of the supported charsets (matched ignoring ASCII case).
const ENCODING_NAMES: &[(StringEncoding, &[&str])] = &[
    (
        StringEncoding::Utf8,
        &["UTF-8", "UTF8", "unicode-1-1-utf-8"],
    ),
    (
        StringEncoding::Iso8859_1,
        &[
            "ISO-8859-1",
            "ISO8859-1",
            "ISO8859_1",
            "ISO_8859_1",
            "ISO_8859-1",
            "ISO_8859-1:1987",
            "8859_1",
            "iso-ir-100",
            "latin1",
            "l1",
            "IBM819",
            "IBM-819",
            "cp819",
            "819",
            "csISOLatin1",
        ],
    ),
    (
        StringEncoding::UsAscii,
        &[
            "US-ASCII",
            "ASCII",
            "us",
            "ISO646-US",
            "iso-ir-6",
            "ANSI_X3.4-1968",
            "ANSI_X3.4-1986",
            "ISO_646.irv:1991",
            "iso_646.irv:1983",
            "IBM367",
            "cp367",
            "646",
            "csASCII",
            "default",
            "ascii7",
        ],
    ),
    (
        StringEncoding::Utf16,
        &["UTF-16", "UTF_16", "utf16", "unicode", "UnicodeBig"],
    ),
    (
        StringEncoding::Utf16Be,
        &[
            "UTF-16BE",
            "UTF_16BE",
            "X-UTF-16BE",
            "ISO-10646-UCS-2",
            "UnicodeBigUnmarked",
        ],
    ),
    (
        StringEncoding::Utf16Le,
        &[
            "UTF-16LE",
            "UTF_16LE",
            "X-UTF-16LE",
            "UnicodeLittleUnmarked",
        ],
    ),
];

impl StringEncoding {
    /// The charset Java's `Charset.forName(name)` finds for `name` (a canonical name or alias,
    /// any ASCII case), if weir supports it.
    pub fn for_name(name: &str) -> Option<StringEncoding> {
        ENCODING_NAMES
            .iter()
            .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .map(|(encoding, _)| *encoding)
    }

    /// `new String(bytes, charset)`. Cost: borrows UTF-8 (and ASCII-only Latin-1 / US-ASCII) input
    /// that is valid; otherwise one string the size of the text.
    pub fn decode(self, bytes: &[u8]) -> Cow<'_, str> {
        match self {
            StringEncoding::Utf8 => decode_utf8(bytes),
            StringEncoding::Iso8859_1 => decode_single_byte(bytes, char::from),
            StringEncoding::UsAscii => decode_single_byte(bytes, |_| REPLACEMENT),
            StringEncoding::Utf16 => match bytes {
                [0xFE, 0xFF, rest @ ..] => Cow::Owned(decode_utf16(rest, u16::from_be_bytes)),
                [0xFF, 0xFE, rest @ ..] => Cow::Owned(decode_utf16(rest, u16::from_le_bytes)),
                _ => Cow::Owned(decode_utf16(bytes, u16::from_be_bytes)),
            },
            StringEncoding::Utf16Be => Cow::Owned(decode_utf16(bytes, u16::from_be_bytes)),
            StringEncoding::Utf16Le => Cow::Owned(decode_utf16(bytes, u16::from_le_bytes)),
        }
    }

    /// Appends `text.getBytes(charset)` to `out`. Cost: a copy of the text (transcoded).
    pub fn encode(self, text: &str, out: &mut Vec<u8>) {
        match self {
            StringEncoding::Utf8 => out.extend_from_slice(text.as_bytes()),
            StringEncoding::Iso8859_1 => encode_single_byte(text, 0xFF, out),
            StringEncoding::UsAscii => encode_single_byte(text, 0x7F, out),
            StringEncoding::Utf16 => {
                if !text.is_empty() {
                    out.extend_from_slice(&[0xFE, 0xFF]);
                }
                encode_utf16(text, u16::to_be_bytes, out);
            }
            StringEncoding::Utf16Be => encode_utf16(text, u16::to_be_bytes, out),
            StringEncoding::Utf16Le => encode_utf16(text, u16::to_le_bytes, out),
        }
    }
}

/// Java's lenient UTF-8 decoding: each maximal malformed subsequence becomes one U+FFFD, as in
/// Rust's lossy decoding, except that Java also takes an encoded surrogate (`ED A0..BF ..`) as
/// one malformed unit where Rust sees three.
fn decode_utf8(bytes: &[u8]) -> Cow<'_, str> {
    let first = match std::str::from_utf8(bytes) {
        Ok(text) => return Cow::Borrowed(text),
        Err(error) => error,
    };
    let mut out = String::with_capacity(bytes.len() + 2);
    let mut rest = bytes;
    let mut error = first;
    loop {
        let (valid, bad) = rest.split_at(error.valid_up_to());
        out.push_str(std::str::from_utf8(valid).unwrap_or_default());
        out.push(REPLACEMENT);
        let Some(len) = error.error_len() else {
            return Cow::Owned(out);
        };
        rest = &bad[java_malformed_len(bad, len).min(bad.len())..];
        match std::str::from_utf8(rest) {
            Ok(tail) => {
                out.push_str(tail);
                return Cow::Owned(out);
            }
            Err(next) => error = next,
        }
    }
}

/// How many bytes Java replaces at the start of `bad`, where Rust would replace `rust_len`.
fn java_malformed_len(bad: &[u8], rust_len: usize) -> usize {
    let continuation = |b: &u8| (0x80..=0xBF).contains(b);
    match bad {
        [0xED, 0xA0..=0xBF, third, ..] if continuation(third) => 3,
        [0xED, 0xA0..=0xBF, ..] => 2,
        _ => rust_len,
    }
}

/// Decodes a single-byte charset whose bytes below 0x80 are ASCII; `high` maps the others.
fn decode_single_byte(bytes: &[u8], high: impl Fn(u8) -> char) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) if bytes.is_ascii() => Cow::Borrowed(text),
        _ => Cow::Owned(
            bytes
                .iter()
                .map(|&b| if b.is_ascii() { char::from(b) } else { high(b) })
                .collect(),
        ),
    }
}

/// Java's UTF-16 decoding of code units read by `unit`: an unpaired low surrogate or a reversed
/// byte-order mark is one U+FFFD, a high surrogate with no low one after it takes the next unit
/// with it into one U+FFFD, and bytes left at the end (an odd byte, a lone high surrogate) are
/// one U+FFFD.
fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let mut units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut out = String::with_capacity(bytes.len() / 2);
    while let Some(u) = units.next() {
        let c = match u {
            0xD800..=0xDBFF => match units.next() {
                Some(low @ 0xDC00..=0xDFFF) => {
                    let code =
                        0x10000 + ((u32::from(u) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    char::from_u32(code).unwrap_or(REPLACEMENT)
                }
                Some(_) => REPLACEMENT,
                None => {
                    out.push(REPLACEMENT);
                    return out;
                }
            },
            0xFFFE => REPLACEMENT,
            u => char::from_u32(u32::from(u)).unwrap_or(REPLACEMENT),
        };
        out.push(c);
    }
    if bytes.len() % 2 == 1 {
        out.push(REPLACEMENT);
    }
    out
}

/// Encodes into a single-byte charset holding characters up to `max`; others become `?`.
fn encode_single_byte(text: &str, max: u32, out: &mut Vec<u8>) {
    out.extend(
        text.chars()
            .map(|c| if u32::from(c) <= max { c as u8 } else { b'?' }),
    );
}

fn encode_utf16(text: &str, bytes: fn(u16) -> [u8; 2], out: &mut Vec<u8>) {
    for unit in text.encode_utf16() {
        out.extend_from_slice(&bytes(unit));
    }
}

/// Kafka's StringConverter (also a HeaderConverter): decodes every input into an optional STRING
/// in a StringViewArray; encodes a value's `toString()` (strings straight from the column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StringConverter {
    encoding: StringEncoding,
}

impl StringConverter {
    /// Kafka's class name.
    pub const CLASS_NAME: &'static str = "org.apache.kafka.connect.storage.StringConverter";
    /// The setting naming the charset (`StringConverterConfig.ENCODING_CONFIG`).
    pub const ENCODING_CONFIG: &'static str = "converter.encoding";

    /// A converter for `encoding`.
    pub fn new(encoding: StringEncoding) -> StringConverter {
        StringConverter { encoding }
    }

    /// Reads `converter.encoding` (default UTF-8; trimmed, as Kafka's config parsing does) from
    /// the converter's settings. A charset weir does not support is a ConfigException with the
    /// message of Kafka's `SerializationException`, `Unsupported encoding <name>`.
    pub fn from_settings(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<StringConverter, ConnectError> {
        let Some(name) = get(Self::ENCODING_CONFIG) else {
            return Ok(StringConverter::new(StringEncoding::Utf8));
        };
        let name = name.trim();
        StringEncoding::for_name(name)
            .map(StringConverter::new)
            .ok_or_else(|| ConnectError::config(format!("Unsupported encoding {name}")))
    }

    /// The charset.
    pub fn encoding(&self) -> StringEncoding {
        self.encoding
    }

    /// Appends `value.toString()` in the charset; `false` for null (nothing written).
    fn write(&self, value: &Value, out: &mut Vec<u8>) -> bool {
        match value {
            Value::Null => false,
            Value::String(text) => {
                self.encoding.encode(text, out);
                true
            }
            other => {
                self.encoding.encode(&other.to_string(), out);
                true
            }
        }
    }
}

impl Converter for StringConverter {
    /// Every row decodes (null stays null). Cost: in UTF-8 (the default), a UTF-8 check per
    /// value and no copy when decoding a batch — the strings are views of its buffer; other
    /// charsets, invalid UTF-8 (Java's replacement characters) and loose inputs are transcoded
    /// or copied.
    fn decode(&self, inputs: &[Option<&[u8]>], context: &ConverterContext<'_>) -> Decoded {
        let as_is = self.encoding == StringEncoding::Utf8;
        let strings: StringViewArray = input_views(inputs, context, as_is, |bytes, builder| {
            builder.append_value(self.encoding.decode(bytes))
        });
        decoded_all(&OPTIONAL_STRING, inputs.len(), Arc::new(strings))
    }

    /// Strings (Utf8View, Utf8) are written straight from the column; any other column goes
    /// through its values' `toString()`. Never fails.
    fn encode(&self, column: &Column, _context: &ConverterContext<'_>, out: &mut Encoded) {
        let data = column.data.as_ref();
        let write = |text: &str, buf: &mut Vec<u8>| self.encoding.encode(text, buf);
        if let Some(strings) = data.as_string_view_opt() {
            encode_accessor(strings, out, write);
        } else if let Some(strings) = data.as_string_opt::<i32>() {
            encode_accessor(strings, out, write);
        } else {
            encode_values(column, out, |value, buf| Ok(self.write(value, buf)));
        }
    }
}

impl HeaderConverter for StringConverter {
    /// The header's text as an optional STRING (null stays null).
    fn to_connect(
        &self,
        _name: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConnectError> {
        let value = bytes.map_or(Value::Null, |b| {
            Value::String(self.encoding.decode(b).into_owned())
        });
        Ok((Some(OPTIONAL_STRING.clone()), value))
    }

    /// The value's `toString()` in the charset (null stays null).
    fn to_bytes(
        &self,
        _name: &str,
        _schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        header_bytes(|buf| Ok(self.write(value, buf)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converter::Side;
    use crate::converters::test_support::{decode_rows, encode_array, encode_values};
    use crate::schema::Schema;
    use crate::value::Struct;
    use arrow_array::{ArrayRef, Int32Array, StringArray};

    fn utf8() -> StringConverter {
        StringConverter::new(StringEncoding::Utf8)
    }

    fn text(s: &str) -> Value {
        Value::String(s.to_string())
    }

    #[test]
    fn settings_choose_the_charset_like_java() {
        let settings = |value: Option<&str>| {
            let value = value.map(str::to_string);
            move |key: &str| {
                (key == "converter.encoding")
                    .then(|| value.clone())
                    .flatten()
            }
        };
        assert_eq!(
            StringConverter::from_settings(settings(None))
                .unwrap()
                .encoding(),
            StringEncoding::Utf8
        );
        assert_eq!(
            StringConverter::from_settings(settings(Some(" latin1 ")))
                .unwrap()
                .encoding(),
            StringEncoding::Iso8859_1
        );
        assert_eq!(
            StringConverter::from_settings(settings(Some("utf-16le")))
                .unwrap()
                .encoding(),
            StringEncoding::Utf16Le
        );
        let error = StringConverter::from_settings(settings(Some("EBCDIC-NOPE"))).unwrap_err();
        assert_eq!(
            error.kafka_text(),
            "ConfigException: Unsupported encoding EBCDIC-NOPE"
        );
        assert_eq!(
            StringConverter::CLASS_NAME,
            "org.apache.kafka.connect.storage.StringConverter"
        );
    }

    #[test]
    fn decode_gives_optional_strings_and_keeps_nulls() {
        let decoded = utf8().decode(
            &[
                Some(b"7"),
                None,
                Some("a string over twelve bytes".as_bytes()),
            ],
            &ConverterContext::single_topic(Side::Value, "t"),
        );
        assert!(decoded.errors.is_empty());
        let part = &decoded.parts[0];
        assert_eq!(part.rows, [0, 1, 2]);
        let schema = part.column.schema.as_ref().unwrap();
        assert_eq!(**schema, Schema::new(SchemaKind::String).optional());
        assert!(Arc::ptr_eq(schema, &OPTIONAL_STRING));
        assert_eq!(
            decode_rows(&utf8(), &[Some(b"7"), None]),
            [Ok(text("7")), Ok(Value::Null)]
        );
        assert!(utf8()
            .decode(&[], &ConverterContext::single_topic(Side::Value, "t"))
            .parts
            .is_empty());
    }

    #[test]
    fn malformed_utf8_is_replaced_like_java() {
        let decode = |bytes: &[u8]| StringEncoding::Utf8.decode(bytes).into_owned();
        assert_eq!(decode(b"a\xFFb"), "a\u{FFFD}b");
        assert_eq!(decode(b"\xE2\x82"), "\u{FFFD}");
        assert_eq!(decode(b"\xE2\x82A"), "\u{FFFD}A");
        assert_eq!(decode(b"\xF0\x9F\x98"), "\u{FFFD}");
        // Java takes an encoded surrogate as one malformed unit.
        assert_eq!(decode(b"x\xED\xA0\x80y"), "x\u{FFFD}y");
        assert_eq!(decode(b"\xED\xA0"), "\u{FFFD}");
        assert_eq!(decode(b"\xED\xA0A"), "\u{FFFD}A");
        assert_eq!(decode(b"\xC0\xAF"), "\u{FFFD}\u{FFFD}");
        assert!(matches!(
            StringEncoding::Utf8.decode(b"ok"),
            Cow::Borrowed("ok")
        ));
    }

    #[test]
    fn other_charsets_decode_and_encode_like_java() {
        let latin1 = StringEncoding::Iso8859_1;
        assert_eq!(latin1.decode(b"caf\xE9"), "café");
        let ascii = StringEncoding::UsAscii;
        assert_eq!(ascii.decode(b"caf\xE9"), "caf\u{FFFD}");
        let mut out = Vec::new();
        latin1.encode("café €😀", &mut out);
        assert_eq!(out, b"caf\xE9 ??");
        out.clear();
        ascii.encode("café", &mut out);
        assert_eq!(out, b"caf?");

        let utf16 = StringEncoding::Utf16;
        out.clear();
        utf16.encode("a😀", &mut out);
        assert_eq!(out, [0xFE, 0xFF, 0, b'a', 0xD8, 0x3D, 0xDE, 0x00]);
        assert_eq!(utf16.decode(&out), "a😀");
        assert_eq!(utf16.decode(&[0xFF, 0xFE, b'a', 0]), "a");
        assert_eq!(utf16.decode(&[0, b'a']), "a");
        out.clear();
        utf16.encode("", &mut out);
        assert!(out.is_empty());
        let be = StringEncoding::Utf16Be;
        assert_eq!(be.decode(&[0xFE, 0xFF, 0, b'a']), "\u{FEFF}a");
        assert_eq!(be.decode(&[0xD8, 0x3D, 0, b'a', 0, b'b']), "\u{FFFD}b");
        assert_eq!(be.decode(&[0xDE, 0x00, 0, b'a']), "\u{FFFD}a");
        assert_eq!(be.decode(&[0, b'a', 0xD8, 0x3D, 0]), "a\u{FFFD}");
        assert_eq!(be.decode(&[0, b'a', 0]), "a\u{FFFD}");
        assert_eq!(be.decode(&[0xFF, 0xFE]), "\u{FFFD}");
        out.clear();
        StringEncoding::Utf16Le.encode("a", &mut out);
        assert_eq!(out, [b'a', 0]);
    }

    #[test]
    fn encode_writes_strings_directly_and_other_values_as_to_string() {
        let strings: ArrayRef = Arc::new(StringViewArray::from(vec![Some("x"), None]));
        assert_eq!(
            encode_array(&utf8(), Some(OPTIONAL_STRING.clone()), strings),
            [Ok(Some(b"x".to_vec())), Ok(None)]
        );
        let utf8_array: ArrayRef = Arc::new(StringArray::from(vec!["é"]));
        let latin1 = StringConverter::new(StringEncoding::Iso8859_1);
        assert_eq!(
            encode_array(&latin1, None, utf8_array),
            [Ok(Some(vec![0xE9]))]
        );
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![Some(42), None]));
        assert_eq!(
            encode_array(&utf8(), None, ints),
            [Ok(Some(b"42".to_vec())), Ok(None)]
        );

        let schema = Schema::structure([
            ("a".to_string(), Schema::new(SchemaKind::Int32).into_ref()),
            (
                "b".to_string(),
                Schema::new(SchemaKind::Float64).optional().into_ref(),
            ),
        ])
        .into_ref();
        let row = Value::Struct(Struct {
            schema: schema.clone(),
            values: vec![Value::Int32(1), Value::Float64(2.0)],
        });
        assert_eq!(
            encode_values(&utf8(), Some(schema), &[row]),
            [Ok(Some(b"Struct{a=1,b=2.0}".to_vec()))]
        );
    }

    #[test]
    fn headers_round_trip_through_text() {
        let converter = utf8();
        let (schema, value) = converter.to_connect("h", Some(b"v")).unwrap();
        assert_eq!(schema.as_ref(), Some(&*OPTIONAL_STRING));
        assert_eq!(value, text("v"));
        assert_eq!(converter.to_connect("h", None).unwrap().1, Value::Null);
        assert_eq!(
            converter.to_bytes("h", None, &Value::Int64(7)).unwrap(),
            Some(b"7".to_vec())
        );
        assert_eq!(converter.to_bytes("h", None, &Value::Null).unwrap(), None);
    }

    /// converters_other/string_to_long, the StringConverter side: every value reads as a string.
    #[test]
    fn conformance_string_to_long_decodes_strings() {
        assert_eq!(
            decode_rows(&utf8(), &[Some(b"7"), Some(b"x")]),
            [Ok(text("7")), Ok(text("x"))]
        );
    }
}
