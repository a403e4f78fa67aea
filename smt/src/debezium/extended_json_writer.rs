//! A writer of MongoDB Extended JSON as `BsonDocument.toJson(settings)` prints a document with
//! `JsonWriterSettings { outputMode: EXTENDED, indent: true, newLineCharacters: "\n" }` (what
//! `MongoEventRouter` does with a document payload).
//!
//! Canonical Extended JSON: `{"$numberInt": "1"}`, `{"$numberLong": "1"}`,
//! `{"$numberDouble": "1.0"}` (Java's `Double.toString`), `{"$numberDecimal": …}`,
//! `{"$oid": …}`, `{"$date": {"$numberLong": …}}`, `{"$timestamp": {"t": …, "i": …}}`,
//! `{"$binary": {"base64": …, "subType": "00"}}`, `{"$regularExpression": {…}}`, `{"$code": …}`
//! (with `$scope`), `{"$symbol": …}`, `{"$minKey": 1}`, `{"$maxKey": 1}`, `{"$undefined": true}`.
//! Layout as `StrictCharacterStreamJsonWriter` lays it out: each member and array element on its
//! own line indented two spaces per level, `": "` after a name, `{}` / `[]` when empty. Strings
//! escape `"`, `\`, `\b`, `\f`, `\n`, `\r`, `\t`, and `\uXXXX` every UTF-16 unit whose Java
//! character type is not a letter, number, separator-space, punctuation or symbol (see
//! [`java_escapes`]). Cost: one walk of the document, one output string.

use base64::Engine;
use weir_formats::java_number::format_f64;

use super::extended_json::Bson;

/// The JSON text of `document`, as Debezium's `MongoEventRouter` writes a document payload.
pub fn write_document(document: &[(String, Bson)]) -> String {
    let mut out = String::new();
    write_node(&mut out, &document_node(document), "");
    out
}

/// The JSON shape of a BSON value: what the strict writer is asked to write.
enum Node {
    /// A number or literal written as is.
    Raw(String),
    /// A string, escaped.
    Str(String),
    /// An object, members in order.
    Object(Vec<(String, Node)>),
    /// An array.
    Array(Vec<Node>),
}

fn document_node(document: &[(String, Bson)]) -> Node {
    Node::Object(document.iter().map(|(k, v)| (k.clone(), node(v))).collect())
}

/// `{name: value}`, the shape of most canonical forms.
fn wrapped(name: &str, value: Node) -> Node {
    Node::Object(vec![(name.to_string(), value)])
}

/// The canonical Extended JSON shape of `value` (the `ExtendedJson*Converter`s).
fn node(value: &Bson) -> Node {
    let text = |s: &str| Node::Str(s.to_string());
    match value {
        Bson::Null => Node::Raw("null".into()),
        Bson::Undefined => wrapped("$undefined", Node::Raw("true".into())),
        Bson::MinKey => wrapped("$minKey", Node::Raw("1".into())),
        Bson::MaxKey => wrapped("$maxKey", Node::Raw("1".into())),
        Bson::String(s) => text(s),
        Bson::Symbol(s) => wrapped("$symbol", text(s)),
        Bson::JavaScript(code) => wrapped("$code", text(code)),
        Bson::JavaScriptWithScope(code, scope) => Node::Object(vec![
            ("$code".into(), text(code)),
            ("$scope".into(), document_node(scope)),
        ]),
        Bson::Int32(v) => wrapped("$numberInt", Node::Str(v.to_string())),
        Bson::Int64(v) => wrapped("$numberLong", Node::Str(v.to_string())),
        Bson::Double(v) => wrapped("$numberDouble", Node::Str(format_f64(*v))),
        Bson::Decimal128(v) => wrapped("$numberDecimal", text(v)),
        Bson::Boolean(b) => Node::Raw(b.to_string()),
        Bson::ObjectId(hex) => wrapped("$oid", text(hex)),
        Bson::DateTime(ms) => wrapped("$date", wrapped("$numberLong", Node::Str(ms.to_string()))),
        Bson::Timestamp(t, i) => wrapped(
            "$timestamp",
            Node::Object(vec![
                ("t".into(), Node::Raw(t.to_string())),
                ("i".into(), Node::Raw(i.to_string())),
            ]),
        ),
        Bson::Binary(data, subtype) => wrapped(
            "$binary",
            Node::Object(vec![
                (
                    "base64".into(),
                    Node::Str(base64::engine::general_purpose::STANDARD.encode(data)),
                ),
                ("subType".into(), Node::Str(format!("{subtype:02X}"))),
            ]),
        ),
        Bson::Regex(pattern, options) => wrapped(
            "$regularExpression",
            Node::Object(vec![
                ("pattern".into(), text(pattern)),
                ("options".into(), text(options)),
            ]),
        ),
        Bson::Document(entries) => document_node(entries),
        Bson::Array(items) => Node::Array(items.iter().map(node).collect()),
    }
}

/// Writes `node` whose container is indented by `indent`.
fn write_node(out: &mut String, node: &Node, indent: &str) {
    match node {
        Node::Raw(raw) => out.push_str(raw),
        Node::Str(s) => write_string(out, s),
        Node::Object(members) => {
            let inner = format!("{indent}  ");
            out.push('{');
            for (i, (name, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('\n');
                out.push_str(&inner);
                write_string(out, name);
                out.push_str(": ");
                write_node(out, value, &inner);
            }
            if !members.is_empty() {
                out.push('\n');
                out.push_str(indent);
            }
            out.push('}');
        }
        Node::Array(items) => {
            let inner = format!("{indent}  ");
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('\n');
                out.push_str(&inner);
                write_node(out, item, &inner);
            }
            if !items.is_empty() {
                out.push('\n');
                out.push_str(indent);
            }
            out.push(']');
        }
    }
}

/// `writeStringHelper`: the quoted, escaped string, one UTF-16 unit at a time.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => {
                let mut units = [0u16; 2];
                let units = c.encode_utf16(&mut units);
                if units.len() == 1 && !java_escapes(units[0]) {
                    out.push(c);
                } else {
                    for unit in units.iter() {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
            }
        }
    }
    out.push('"');
}

/// Whether Java's `Character.getType(unit)` is a type the writer escapes: control, format,
/// private use, surrogate, unassigned, line / paragraph separator, modifier letter, and the marks.
/// A table of the BMP ranges of those types that text commonly holds (Latin, Greek, Cyrillic,
/// Hebrew, Arabic, CJK and kana marks, variation selectors, the format characters); the combining
/// vowel signs of the Indic and South-East Asian scripts are not in it (see the README).
pub fn java_escapes(unit: u16) -> bool {
    const RANGES: &[(u16, u16)] = &[
        // Cc
        (0x0000, 0x001F),
        (0x007F, 0x009F),
        // Cf
        (0x00AD, 0x00AD),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        // Zl, Zp
        (0x2028, 0x2029),
        // Lm
        (0x02B0, 0x02C1),
        (0x02C6, 0x02D1),
        (0x02E0, 0x02E4),
        (0x02EC, 0x02EC),
        (0x02EE, 0x02EE),
        (0x0374, 0x0374),
        (0x037A, 0x037A),
        (0x0559, 0x0559),
        (0x0640, 0x0640),
        (0x06E5, 0x06E6),
        (0x3005, 0x3005),
        (0x3031, 0x3035),
        (0x303B, 0x303B),
        (0x309D, 0x309E),
        (0x30FC, 0x30FE),
        (0xA015, 0xA015),
        (0xFF70, 0xFF70),
        (0xFF9E, 0xFF9F),
        // Mn, Me
        (0x0300, 0x036F),
        (0x0483, 0x0489),
        (0x0591, 0x05BD),
        (0x05BF, 0x05BF),
        (0x05C1, 0x05C2),
        (0x05C4, 0x05C5),
        (0x05C7, 0x05C7),
        (0x0610, 0x061A),
        (0x064B, 0x065F),
        (0x0670, 0x0670),
        (0x06D6, 0x06DC),
        (0x06DF, 0x06E4),
        (0x06E7, 0x06E8),
        (0x06EA, 0x06ED),
        (0x1AB0, 0x1AFF),
        (0x1DC0, 0x1DFF),
        (0x20D0, 0x20F0),
        (0x302A, 0x302F),
        (0x3099, 0x309A),
        (0xFE00, 0xFE0F),
        (0xFE20, 0xFE2F),
        // Cs, Co
        (0xD800, 0xF8FF),
        // Cn
        (0xFFFE, 0xFFFF),
    ];
    RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&unit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debezium::extended_json::parse_document;

    #[test]
    fn writes_canonical_forms_indented() {
        let doc = parse_document(r#"{"id": 1001, "lines": [{"item": "book", "qty": 2}]}"#).unwrap();
        assert_eq!(
            write_document(&doc),
            "{\n  \"id\": {\n    \"$numberInt\": \"1001\"\n  },\n  \"lines\": [\n    {\n      \"item\": \"book\",\n      \"qty\": {\n        \"$numberInt\": \"2\"\n      }\n    }\n  ]\n}"
        );
        let doc = parse_document(
            r#"{"e": {}, "a": [], "d": {"$date": 5}, "f": 1.5, "l": 3000000000, "n": null, "b": true,
                "bin": {"$binary": {"base64": "AQI=", "subType": "04"}}, "t": {"$timestamp": {"t": 1, "i": 2}}}"#,
        )
        .unwrap();
        let text = write_document(&doc);
        assert!(text.contains("\"e\": {},\n  \"a\": [],"), "{text}");
        assert!(text.contains("\"$date\": {\n      \"$numberLong\": \"5\"\n    }"));
        assert!(text.contains("\"$numberDouble\": \"1.5\""));
        assert!(text.contains("\"$numberLong\": \"3000000000\""));
        assert!(text.contains("\"n\": null,\n  \"b\": true"));
        assert!(text.contains("\"subType\": \"04\""));
        assert!(text.contains("\"t\": 1,\n      \"i\": 2"));
    }

    #[test]
    fn escapes_as_java_does() {
        let mut out = String::new();
        write_string(&mut out, "Zoë \"q\" \\ \n\u{1} é\u{301} 😀 日本ー");
        assert_eq!(
            out,
            "\"Zoë \\\"q\\\" \\\\ \\n\\u0001 é\\u0301 \\ud83d\\ude00 日本\\u30fc\""
        );
    }
}
