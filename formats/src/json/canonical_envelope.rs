//! Recognising JsonConverter envelopes (`schemas.enable=true`) that weir would write back byte
//! for byte, so a pipeline that neither reads nor changes a value copies its payload's bytes
//! instead of decoding and encoding them (design §1, "untouched bytes pass through"; the
//! schemaless check is [`super::canonical`]).
//!
//! An envelope is kept when it is `{"schema":S,"payload":P}` with no whitespace and:
//! - `S` parses (once per distinct schema text) to a schema with a payload form this module
//!   knows: integers, doubles, booleans, strings, arrays and structs, none of Kafka's logical
//!   types. Bytes, floats, maps and logical types need a rewrite this check does not model, so
//!   envelopes of such schemas are always decoded. `S` itself need not be in Kafka's spelling:
//!   the encoder writes the schema from the parsed schema, as it would after decoding;
//! - `P` is not a top-level `null` and is what Kafka writes for the value it reads: every struct
//!   field present, in schema order, under its exact key; integers within the type's range
//!   without a sign on zero; doubles spelled as Java's `Double.toString` spells them; strings
//!   with exactly Jackson's escapes; `null` only where the schema is optional and has no default
//!   (a default would replace it).
//!
//! Anything else takes the decoding path, which is always right, only slower.
//!
//! Cost: per row, one compare of the schema text against the previous row's, then one pass over
//! the payload's bytes guided by the schema (per key one compare, per double Java's formatting).

use crate::json::canonical::{is_java_double, number_token, plain_integer, string_end};
use crate::json::write::write_string;
use crate::schema::{Schema, SchemaKind, SchemaRef};

/// What precedes an envelope's schema text (as Kafka writes envelopes, and on the fast paths).
pub const SCHEMA_KEY: &[u8] = b"{\"schema\":";
/// What lies between an envelope's schema text and its payload.
pub const PAYLOAD_KEY: &[u8] = b",\"payload\":";

/// The names under which Kafka's logical types (Decimal, Date, Time, Timestamp) live; values of
/// such schemas are rewritten (or refused) on the way through.
const LOGICAL_NAMESPACE: &str = "org.apache.kafka.connect.data.";

/// Reusable working memory for [`EnvelopeCheck::kept_payload`]: the last schema text seen and
/// what it allows, plus number scratch.
#[derive(Debug, Default)]
pub struct EnvelopeCheck {
    last: Option<KnownSchema>,
    number: Vec<u8>,
}

/// A schema text and, when its envelopes can be kept, its schema and payload form.
#[derive(Debug)]
struct KnownSchema {
    text: Vec<u8>,
    keepable: Option<(SchemaRef, PayloadForm)>,
}

/// The form a payload of one schema takes when decoding and encoding it gives it back byte for
/// byte (the module doc's rules for `P`), for payloads outside envelopes too: JsonSchemaConverter
/// writes its payloads as JsonConverter does for the schemas this models.
#[derive(Debug)]
pub struct PayloadForm(Slot);

impl PayloadForm {
    /// The form of `schema`'s payloads; `None` when the schema holds something the check does
    /// not model (bytes, floats, maps, Kafka's logical types). Cost: one walk of the schema.
    pub fn of(schema: &Schema) -> Option<PayloadForm> {
        Slot::of(schema).map(PayloadForm)
    }

    /// `payload` as text when it is in this form and not a top-level `null`; `number` is
    /// scratch for formatting doubles. Cost: one pass over the payload's bytes.
    pub fn admits<'b>(&self, payload: &'b [u8], number: &mut Vec<u8>) -> Option<&'b str> {
        if payload == b"null" {
            return None;
        }
        let end = check(&self.0, payload, 0, number)?;
        let text = simdutf8::basic::from_utf8(payload).ok()?;
        (end == payload.len()).then_some(text)
    }
}

/// What a payload value may be at one place of the schema.
#[derive(Debug)]
struct Slot {
    /// Whether a `null` comes back as `null` (optional, no default).
    nullable: bool,
    form: Form,
}

#[derive(Debug)]
enum Form {
    /// An integer type and its range.
    Integer {
        min: i64,
        max: i64,
    },
    Double,
    Boolean,
    Text,
    Array(Box<Slot>),
    /// Each field's `"name":` prefix and slot, in schema order.
    Struct(Vec<(Vec<u8>, Slot)>),
}

impl EnvelopeCheck {
    /// The schema and payload text of `bytes` when they are an envelope whose payload decoding
    /// and encoding would give back unchanged (see the module doc; the schema is written from
    /// the schema, as decoding and encoding would); `schema_of` parses a schema text the check
    /// has not just seen (`None`: it does not parse, or is null).
    pub fn kept_payload<'b>(
        &mut self,
        bytes: &'b [u8],
        schema_of: impl FnOnce(&[u8]) -> Option<SchemaRef>,
    ) -> Option<(SchemaRef, &'b str)> {
        let rest = bytes.strip_prefix(SCHEMA_KEY)?;
        let known = match &self.last {
            Some(known) if rest.starts_with(&known.text) => known,
            _ => {
                let text = &rest[..crate::json::tape::value_end(rest, 0)?];
                self.last = Some(KnownSchema::new(text, schema_of));
                self.last.as_ref()?
            }
        };
        let (schema, form) = known.keepable.as_ref()?;
        let payload = rest[known.text.len()..]
            .strip_prefix(PAYLOAD_KEY)?
            .strip_suffix(b"}")?;
        let text = form.admits(payload, &mut self.number)?;
        Some((schema.clone(), text))
    }
}

impl KnownSchema {
    /// Parses `text` and decides whether envelopes with it can be kept: its schema must have a
    /// payload form [`PayloadForm::of`] knows.
    fn new(text: &[u8], schema_of: impl FnOnce(&[u8]) -> Option<SchemaRef>) -> KnownSchema {
        let keepable =
            schema_of(text).and_then(|schema| PayloadForm::of(&schema).map(|form| (schema, form)));
        KnownSchema {
            text: text.to_vec(),
            keepable,
        }
    }
}

impl Slot {
    /// The payload form of `schema`; `None` where the check does not model the rewrite.
    fn of(schema: &Schema) -> Option<Slot> {
        if schema
            .name
            .as_deref()
            .is_some_and(|name| name.starts_with(LOGICAL_NAMESPACE))
        {
            return None;
        }
        let integer = |min: i64, max: i64| Form::Integer { min, max };
        let form = match &schema.kind {
            SchemaKind::Int8 => integer(i8::MIN.into(), i8::MAX.into()),
            SchemaKind::Int16 => integer(i16::MIN.into(), i16::MAX.into()),
            SchemaKind::Int32 => integer(i32::MIN.into(), i32::MAX.into()),
            SchemaKind::Int64 => integer(i64::MIN, i64::MAX),
            SchemaKind::Float64 => Form::Double,
            SchemaKind::Boolean => Form::Boolean,
            SchemaKind::String => Form::Text,
            SchemaKind::Array(items) => Form::Array(Box::new(Slot::of(items)?)),
            SchemaKind::Struct(fields) => Form::Struct(
                fields
                    .iter()
                    .map(|field| {
                        let mut prefix = Vec::with_capacity(field.name.len() + 3);
                        write_string(&mut prefix, &field.name);
                        prefix.push(b':');
                        Some((prefix, Slot::of(&field.schema)?))
                    })
                    .collect::<Option<_>>()?,
            ),
            SchemaKind::Float32 | SchemaKind::Bytes | SchemaKind::Map(..) => return None,
        };
        Some(Slot {
            nullable: schema.optional && schema.default.is_none(),
            form,
        })
    }
}

/// Checks the value of `slot` at `at` of `bytes`; the position after it, or `None` at the first
/// thing decoding and encoding would change. Recursion is as deep as the schema.
fn check(slot: &Slot, bytes: &[u8], at: usize, number: &mut Vec<u8>) -> Option<usize> {
    if bytes[at..].starts_with(b"null") {
        return slot.nullable.then_some(at + 4);
    }
    match &slot.form {
        Form::Integer { min, max } => {
            let token = number_token(bytes, at);
            let fits = plain_integer(token).is_some_and(|n| (*min..=*max).contains(&n));
            fits.then_some(at + token.len())
        }
        Form::Double => {
            let token = number_token(bytes, at);
            (!token.is_empty() && is_java_double(token, number)).then_some(at + token.len())
        }
        Form::Boolean if bytes[at..].starts_with(b"true") => Some(at + 4),
        Form::Boolean if bytes[at..].starts_with(b"false") => Some(at + 5),
        Form::Boolean => None,
        Form::Text => match bytes.get(at) {
            Some(b'"') => string_end(bytes, at),
            _ => None,
        },
        Form::Array(items) => {
            let mut at = at;
            if bytes.get(at) != Some(&b'[') {
                return None;
            }
            if bytes.get(at + 1) == Some(&b']') {
                return Some(at + 2);
            }
            loop {
                at = check(items, bytes, at + 1, number)?;
                match bytes.get(at)? {
                    b',' => {}
                    b']' => return Some(at + 1),
                    _ => return None,
                }
            }
        }
        Form::Struct(fields) => {
            if bytes.get(at) != Some(&b'{') {
                return None;
            }
            let mut at = at + 1;
            for (n, (prefix, field)) in fields.iter().enumerate() {
                if n > 0 {
                    at = (bytes.get(at) == Some(&b',')).then_some(at + 1)?;
                }
                at = bytes[at..]
                    .starts_with(prefix)
                    .then_some(at + prefix.len())?;
                at = check(field, bytes, at, number)?;
            }
            (bytes.get(at) == Some(&b'}')).then_some(at + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::converter::{Converter, ConverterContext, Side};
    use crate::json::canonical::tests::round_trip_with;
    use crate::json::converter::JsonConverter;
    use crate::json::reference::JsonConfig;
    use crate::value_array::value_at;

    /// What weir's JsonConverter (schemas on) writes for `bytes` when it decodes them, or `None`
    /// when it fails or writes a null.
    fn round_trip(bytes: &[u8]) -> Option<Vec<u8>> {
        round_trip_with(true, bytes)
    }

    /// The payload text `kept_payload` keeps of `envelope`, if any.
    fn kept(envelope: &str) -> Option<String> {
        let mut check = EnvelopeCheck::default();
        let schema_of = |text: &[u8]| {
            let json = serde_json::from_slice(text).ok()?;
            crate::json::schema_json::parse_schema(&json).ok()?
        };
        check
            .kept_payload(envelope.as_bytes(), schema_of)
            .map(|(_, text)| text.to_string())
    }

    const ORDER: &str = r#"{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":true,"field":"email"},{"type":"double","optional":true,"field":"score"},{"type":"boolean","optional":false,"field":"active"},{"type":"int8","optional":false,"field":"small"},{"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"tags"},{"type":"struct","fields":[{"type":"double","optional":false,"field":"lat"}],"optional":false,"field":"geo"}],"optional":false,"name":"com.example.Order"}"#;

    fn envelope(schema: &str, payload: &str) -> String {
        format!(r#"{{"schema":{schema},"payload":{payload}}}"#)
    }

    #[test]
    fn kafkas_own_envelopes_keep_their_payload() {
        for payload in [
            r#"{"id":1,"email":"a@b.c","score":0.4328,"active":true,"small":-128,"tags":["x","\"y\""],"geo":{"lat":34.6468}}"#,
            r#"{"id":-9223372036854775808,"email":null,"score":null,"active":false,"small":127,"tags":[],"geo":{"lat":1.0E10}}"#,
        ] {
            let text = envelope(ORDER, payload);
            assert_eq!(kept(&text).as_deref(), Some(payload), "{text}");
            assert_eq!(round_trip(text.as_bytes()), Some(text.clone().into_bytes()));
        }
        // The schema text need not be Kafka's spelling: only the payload is kept.
        let reordered = r#"{"type":"string","optional":false,"doc":"x"}"#;
        assert_eq!(
            kept(&envelope(reordered, r#""v""#)).as_deref(),
            Some(r#""v""#)
        );
    }

    /// A kept payload reads (for a reference, a dead letter) as the value decoding gives.
    #[test]
    fn kept_payloads_read_as_their_decoded_values() {
        let converter = JsonConverter::new(JsonConfig::default());
        let text = envelope(
            ORDER,
            r#"{"id":1,"email":null,"score":0.5,"active":true,"small":-3,"tags":["x"],"geo":{"lat":2.5}}"#,
        );
        let inputs = [Some(text.as_bytes())];
        let context = || ConverterContext::single_topic(Side::Value, "t");
        let kept = converter.decode(&inputs, &context().with_verbatim(true));
        let decoded = converter.decode(&inputs, &context());
        let (kept, decoded) = (&kept.parts[0].column, &decoded.parts[0].column);
        assert_eq!(kept.data.data_type(), &arrow_schema::DataType::LargeUtf8);
        let value = |c: &crate::batch::Column| value_at(c.schema.as_ref(), c.data.as_ref(), 0);
        assert_eq!(value(kept), value(decoded));
        assert!(!value(kept).is_null());
    }

    #[test]
    fn what_kafka_would_rewrite_is_not_kept() {
        let payload = |id: &str, rest: &str| {
            format!(
                r#"{{"id":{id},"email":"e","score":1.5,"active":true,"small":1,"tags":["t"],"geo":{{"lat":0.5}}{rest}}}"#
            )
        };
        for text in [
            envelope(ORDER, &payload("01", "")),
            envelope(ORDER, &payload("-0", "")),
            envelope(ORDER, &payload("1.0", "")),
            envelope(ORDER, &payload("null", "")),
            envelope(ORDER, &payload("9223372036854775808", "")),
            envelope(ORDER, &payload("1", r#","extra":1"#)),
            envelope(
                ORDER,
                &payload("1", "").replace(r#""small":1"#, r#""small":128"#),
            ),
            envelope(ORDER, &payload("1", "").replace("1.5", "5")),
            envelope(ORDER, &payload("1", "").replace("1.5", "-0.0")),
            envelope(ORDER, &payload("1", "").replace("1.5", "1.50")),
            envelope(ORDER, &payload("1", "").replace(r#""e""#, r#""\u0065""#)),
            envelope(ORDER, &payload("1", "").replace(r#""e","#, "")),
            envelope(
                ORDER,
                &payload("1", "").replace(r#""id":1,"email":"e""#, r#""email":"e","id":1"#),
            ),
            envelope(ORDER, &payload("1", "").replace(":true", ": true")),
            envelope(ORDER, &payload("1", "")).replace(r#","payload""#, r#", "payload""#),
            format!("{} ", envelope(ORDER, &payload("1", ""))),
            format!("\u{FEFF}{}", envelope(ORDER, &payload("1", ""))),
            envelope("null", "1"),
            envelope(r#"{"type":"string","optional":true}"#, "null"),
            envelope(
                r#"{"type":"int32","optional":true,"default":5,"field":"x"}"#,
                "null",
            ),
            envelope(r#"{"type":"bytes","optional":false}"#, r#""AQI=""#),
            envelope(r#"{"type":"float","optional":false}"#, "1.5"),
            envelope(
                r#"{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false}"#,
                r#"{"a":1}"#,
            ),
            envelope(
                r#"{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1}"#,
                "5",
            ),
            envelope(
                r#"{"type":"struct","fields":[{"type":"int32","optional":true,"default":7,"field":"n"}],"optional":false}"#,
                r#"{"n":null}"#,
            ),
        ] {
            assert_eq!(kept(&text), None, "{text}");
        }
    }

    /// An envelope whose parts are right or subtly wrong: a schema of integers, doubles,
    /// booleans, strings, bytes, arrays and structs (optional or not, some with defaults), and
    /// a payload for it whose every value may be spelled as Kafka writes it or not.
    fn envelope_text() -> impl Strategy<Value = String> {
        let optional = prop_oneof![
            Just(r#""optional":false"#),
            Just(r#""optional":true"#),
            Just(r#""optional":true,"default":1"#),
        ];
        let leaf = (
            prop_oneof![
                Just((
                    "int8",
                    vec!["0", "-128", "127", "128", "-0", "01", "1.0", "null"]
                )),
                Just((
                    "int64",
                    vec![
                        "5",
                        "-9223372036854775808",
                        "9223372036854775808",
                        "5e0",
                        "null"
                    ]
                )),
                Just((
                    "double",
                    vec!["0.5", "5", "-0.0", "0.0", "1.0E10", "1e10", "0.1", "3.0", "null"]
                )),
                Just(("boolean", vec!["true", "false", "1", "null"])),
                Just((
                    "string",
                    vec![
                        r#""a""#,
                        r#""\u0041""#,
                        r#""é""#,
                        r#""\n""#,
                        r#""\u0001""#,
                        "5",
                        "null"
                    ]
                )),
                Just(("bytes", vec![r#""AQI=""#, "null"])),
            ],
            optional,
            any::<prop::sample::Index>(),
        )
            .prop_map(|((kind, tokens), optional, pick)| {
                let default = if optional.contains("default") {
                    match kind {
                        "boolean" => r#""optional":true,"default":true"#,
                        "string" => r#""optional":true,"default":"d""#,
                        "bytes" => r#""optional":true,"default":"AQI=""#,
                        _ => optional,
                    }
                } else {
                    optional
                };
                (
                    format!(r#"{{"type":"{kind}",{default}}}"#),
                    pick.get(&tokens).to_string(),
                )
            });
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                (prop::collection::vec(inner.clone(), 0..3), any::<bool>()).prop_map(
                    |(items, spaced)| {
                        let schema = items
                            .first()
                            .map_or(r#"{"type":"int32","optional":false}"#.to_string(), |i| {
                                i.0.clone()
                            });
                        let sep = if spaced { ", " } else { "," };
                        let payload = items
                            .iter()
                            .map(|i| i.1.as_str())
                            .collect::<Vec<_>>()
                            .join(sep);
                        (
                            format!(r#"{{"type":"array","items":{schema},"optional":false}}"#),
                            format!("[{payload}]"),
                        )
                    }
                ),
                (prop::collection::vec(inner, 0..4), 0..4usize).prop_map(|(fields, mutation)| {
                    let names = ["a", "b", "c", "d"];
                    let schema_fields: Vec<String> = fields
                        .iter()
                        .zip(names)
                        .map(|((schema, _), name)| {
                            format!(r#"{},"field":"{name}"}}"#, &schema[..schema.len() - 1])
                        })
                        .collect();
                    let mut members: Vec<String> = fields
                        .iter()
                        .zip(names)
                        .map(|((_, payload), name)| format!(r#""{name}":{payload}"#))
                        .collect();
                    match mutation {
                        1 if members.len() > 1 => members.swap(0, 1),
                        2 => {
                            members.pop();
                        }
                        3 => members.push(r#""z":1"#.to_string()),
                        _ => {}
                    }
                    (
                        format!(
                            r#"{{"type":"struct","fields":[{}],"optional":false}}"#,
                            schema_fields.join(",")
                        ),
                        format!("{{{}}}", members.join(",")),
                    )
                }),
            ]
        })
        .prop_map(|(schema, payload)| envelope(&schema, &payload))
    }

    proptest! {
        /// The promise: a kept envelope comes back unchanged, apart from the schema's text,
        /// through decode and encode.
        #[test]
        fn kept_payloads_come_back_unchanged(text in envelope_text()) {
            if let Some(payload) = kept(&text) {
                let out = round_trip(text.as_bytes());
                let out = out.as_deref().map(String::from_utf8_lossy);
                prop_assert!(out.as_deref().is_some_and(|out| out.ends_with(&format!(r#","payload":{payload}}}"#))), "{} -> {:?}", text, out);
            }
        }

        /// And the check is not vacuous: what the converter writes is kept, whenever its schema
        /// has a payload form the check knows and it is not a top-level null.
        #[test]
        fn the_converters_output_is_kept(text in envelope_text()) {
            if let Some(out) = round_trip(text.as_bytes()) {
                let out = String::from_utf8(out).unwrap();
                let schema = &out[SCHEMA_KEY.len()..crate::json::tape::value_end(out.as_bytes(), SCHEMA_KEY.len()).unwrap()];
                let modelled = !schema.contains("bytes") && !out.ends_with(r#""payload":null}"#);
                let payload = &out[SCHEMA_KEY.len() + schema.len() + PAYLOAD_KEY.len()..out.len() - 1];
                let null_with_default = schema.contains("default");
                if modelled && !null_with_default {
                    let kept = kept(&out);
                    prop_assert_eq!(kept.as_deref(), Some(payload), "{}", out);
                }
            }
        }
    }
}
