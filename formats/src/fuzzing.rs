//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the property tests that run the
//! same checks in CI: hostile bytes in, no panic, every row accounted for (JsonConverter,
//! AvroConverter, JsonSchemaConverter and ProtobufConverter). The checked decode / encode /
//! re-decode steps and the framing are shared helpers, public for the other crates' fuzz bodies.

use std::sync::{Arc, OnceLock};

use arrow_array::Array;

use crate::avro::anything::ANYTHING_SCHEMA;
use crate::avro::{AvroConverter, AvroConverterConfig};
use crate::batch::Column;
use crate::converter::{Converter, ConverterContext, Decoded, Encoded, Side};
use crate::json::canonical::CanonicalCheck;
use crate::json::reference::JsonConfig;
use crate::json::JsonConverter;
use crate::jsonschema::{JsonSchemaConverter, JsonSchemaConverterConfig};
use crate::protobuf::{ProtobufConverter, ProtobufConverterConfig};
use crate::registry::{MemoryRegistry, SchemaRegistry, SchemaString, SchemaType};

/// The byte fuzz inputs are split into records at: never valid in UTF-8 (so JSON on either side
/// stays interesting) and never the last byte of a varint.
pub const RECORD_SEPARATOR: u8 = 0xFF;

/// `data` split into records at [`RECORD_SEPARATOR`] bytes (`n` separators: `n + 1` records).
pub fn split_records(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == RECORD_SEPARATOR)
}

/// The value-side context of topic `t` the fuzz bodies decode and encode with.
fn fuzz_context() -> ConverterContext<'static> {
    ConverterContext::single_topic(Side::Value, "t")
}

/// Decodes `inputs` with `converter` (value side, topic `t`). Panics if a row is lost: decoded
/// rows plus failed rows must be all rows. Cost: one decode.
pub fn decode_checked(converter: &dyn Converter, inputs: &[Option<&[u8]>]) -> Decoded {
    let decoded = converter.decode(inputs, &fuzz_context());
    let decoded_rows: usize = decoded.parts.iter().map(|p| p.rows.len()).sum();
    assert_eq!(
        decoded_rows + decoded.errors.len(),
        inputs.len(),
        "rows lost in decode"
    );
    decoded
}

/// Encodes `column` with `converter` (value side, topic `t`). Panics if a row is lost: every row
/// must encode to bytes, null or an error. Cost: one encode.
pub fn encode_checked(converter: &dyn Converter, column: &Column) -> Encoded {
    let mut out = Encoded::default();
    converter.encode(column, &fuzz_context(), &mut out);
    assert_eq!(out.len(), column.data.len(), "rows lost in encode");
    out
}

/// Decodes what `converter` wrote (`written`, from [`encode_checked`]) again: panics if a row is
/// lost or fails to decode. Cost: one decode.
pub fn redecode_checked(converter: &dyn Converter, written: &Encoded) -> Decoded {
    let again: Vec<Option<&[u8]>> = (0..written.len()).map(|i| written.row(i)).collect();
    let redecoded = decode_checked(converter, &again);
    assert!(
        redecoded.errors.is_empty(),
        "written data failed to decode: {:?}",
        redecoded.errors
    );
    redecoded
}

/// Decodes `inputs` and writes every decoded part back, both checked: no panic, no row lost.
fn decode_encode_checked(converter: &dyn Converter, inputs: &[Option<&[u8]>]) {
    for part in &decode_checked(converter, inputs).parts {
        encode_checked(converter, &part.column);
    }
}

/// Splits `data` into records at [`RECORD_SEPARATOR`] bytes, decodes them with the JsonConverter
/// schemaless and with envelopes, and writes back every part. Panics only if a row is lost:
/// decoded rows plus failed rows must be all rows, and every decoded row must encode to a row
/// (bytes, null or an error).
///
/// Also the promise of the pass-through ([`crate::json::canonical`],
/// [`crate::json::canonical_envelope`]): a record the check calls canonical decodes and encodes
/// (schemaless) to its own bytes, and a batch decoded keeping canonical records (or envelopes'
/// payloads) as their text writes back what decoding every record writes.
pub fn json_round_trip(data: &[u8]) {
    let inputs: Vec<Option<&[u8]>> = split_records(data).map(Some).collect();
    for schemas_enable in [false, true] {
        let converter = JsonConverter::new(JsonConfig {
            schemas_enable,
            ..JsonConfig::default()
        });
        decode_encode_checked(&converter, &inputs);
    }
    let schemaless = JsonConverter::new(JsonConfig {
        schemas_enable: false,
        ..JsonConfig::default()
    });
    let mut check = CanonicalCheck::default();
    for bytes in inputs.iter().flatten() {
        if check.is_canonical(bytes) {
            let written = written_rows(&schemaless, &[Some(bytes)], &fuzz_context());
            assert_eq!(written, [Some(bytes.to_vec())], "canonical bytes rewritten");
        }
    }
    for schemas_enable in [false, true] {
        let converter = JsonConverter::new(JsonConfig {
            schemas_enable,
            ..JsonConfig::default()
        });
        let kept = written_rows(&converter, &inputs, &fuzz_context().with_verbatim(true));
        assert_eq!(
            kept,
            written_rows(&converter, &inputs, &fuzz_context()),
            "kept bytes differ from decoded ones (schemas.enable={schemas_enable})"
        );
    }
}

/// Each input row's written bytes after a decode and encode through `converter` (`None`: null,
/// or failed in either).
fn written_rows(
    converter: &JsonConverter,
    inputs: &[Option<&[u8]>],
    context: &ConverterContext<'_>,
) -> Vec<Option<Vec<u8>>> {
    let mut rows = vec![None; inputs.len()];
    for part in converter.decode(inputs, context).parts {
        let mut out = Encoded::default();
        converter.encode(&part.column, &fuzz_context(), &mut out);
        for (i, row) in part.rows.iter().enumerate() {
            rows[*row as usize] = out.row(i).map(<[u8]>::to_vec);
        }
    }
    rows
}

/// A private in-memory registry holding `schema` as subject `t-value`, and its id.
fn fuzz_registry(schema_type: SchemaType, schema: &str) -> (Arc<MemoryRegistry>, i32) {
    let registry = Arc::new(MemoryRegistry::new());
    let id = registry
        .register("t-value", &SchemaString::new(schema_type, schema))
        .unwrap_or(1);
    (registry, id)
}

/// A fuzz converter's setting `key`: the mock registry URL, `extra`'s entries, nothing else.
fn fuzz_setting(key: &str, extra: &[(&str, &str)]) -> Option<String> {
    if key == "schema.registry.url" {
        return Some("mock://fuzz".to_string());
    }
    extra
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

/// Panics with the config error of a fuzz converter (a mistake in this file, not in the input).
fn fuzz_config<T, E: std::fmt::Display>(config: Result<T, E>) -> T {
    config.unwrap_or_else(|e| panic!("fuzz config: {e}"))
}

/// `data` split into payloads at [`RECORD_SEPARATOR`] bytes, each framed with schema id `id`
/// (magic byte, id, then what `write_payload` writes of it), plus `data` itself unframed.
fn fuzz_frames(data: &[u8], id: i32, write_payload: fn(&[u8], &mut Vec<u8>)) -> Vec<Vec<u8>> {
    let mut frames: Vec<Vec<u8>> = split_records(data)
        .map(|payload| {
            let mut frame = vec![0];
            frame.extend_from_slice(&id.to_be_bytes());
            write_payload(payload, &mut frame);
            frame
        })
        .collect();
    frames.push(data.to_vec());
    frames
}

/// Decodes `frames`; panics if a row is lost.
fn decode_frames(converter: &dyn Converter, frames: &[Vec<u8>]) -> Decoded {
    let inputs: Vec<Option<&[u8]>> = frames.iter().map(|f| Some(f.as_slice())).collect();
    decode_checked(converter, &inputs)
}

/// The writer schema the Avro fuzz targets decode with: every Avro type AvroData maps, nested.
pub const AVRO_FUZZ_SCHEMA: &str = r#"{"type":"record","name":"F","namespace":"fuzz","fields":[
 {"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"l","type":"long"},
 {"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"s","type":"string"},
 {"name":"y","type":"bytes"},{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B","C"]}},
 {"name":"x","type":{"type":"fixed","name":"X","size":2}},
 {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
 {"name":"date","type":{"type":"int","logicalType":"date"}},
 {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"o","type":["null","string"],"default":null},
 {"name":"u","type":["null","int","string",{"type":"record","name":"R","fields":[{"name":"v","type":"int"}]}]},
 {"name":"a","type":{"type":"array","items":["null","long"]}},
 {"name":"m","type":{"type":"map","values":{"type":"array","items":"R"}}},
 {"name":"n","type":{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"string"}]}}}]}"#;

/// A writer schema whose payloads an AvroConverter may keep as their bytes when a side goes
/// untouched (`avro::kept`): every kind that check reads, nested, and none it refuses (maps,
/// decimals, multi-branch unions).
pub const AVRO_KEPT_FUZZ_SCHEMA: &str = r#"{"type":"record","name":"K","namespace":"fuzz","fields":[
 {"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"l","type":"long"},
 {"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"s","type":"string"},
 {"name":"y","type":"bytes"},{"name":"x","type":{"type":"fixed","name":"X","size":2}},
 {"name":"date","type":{"type":"int","logicalType":"date"}},
 {"name":"o","type":["null","string"]},
 {"name":"a","type":{"type":"array","items":["null","long"]}},
 {"name":"or","type":["null",{"type":"record","name":"R","fields":[{"name":"v","type":"int"},{"name":"t","type":"string"}]}]},
 {"name":"rs","type":{"type":"array","items":"R"}}]}"#;

/// What `converter` writes back for each frame (value side, topic `t`) when it decodes with
/// `verbatim` (an untouched side, whose payloads may be kept as their bytes): per frame the
/// bytes, or the error's message (empty for a null); and how many frames were kept. Cost: one
/// decode and one encode.
pub fn written_back(
    converter: &AvroConverter,
    frames: &[Vec<u8>],
    verbatim: bool,
) -> (Vec<Result<Vec<u8>, String>>, usize) {
    let inputs: Vec<Option<&[u8]>> = frames.iter().map(|f| Some(f.as_slice())).collect();
    let context = fuzz_context().with_verbatim(verbatim);
    let decoded = converter.decode(&inputs, &context);
    let mut rows = vec![Err(String::from("lost")); frames.len()];
    let mut kept = 0;
    for (row, e) in &decoded.errors {
        rows[*row as usize] = Err(e.message.clone());
    }
    for part in &decoded.parts {
        if part.column.data.data_type() == &arrow_schema::DataType::LargeBinary {
            kept += part.rows.len();
        }
        let mut out = Encoded::default();
        converter.encode(&part.column, &context, &mut out);
        for (i, row) in part.rows.iter().enumerate() {
            rows[*row as usize] = out.row(i).map(<[u8]>::to_vec).ok_or_else(|| {
                out.errors()
                    .iter()
                    .find(|(r, _)| *r == i)
                    .map_or_else(String::new, |(_, e)| e.message.clone())
            });
        }
    }
    (rows, kept)
}

/// An AvroConverter over a private in-memory registry holding the Avro `schema`, with its id.
fn avro_fuzz_converter(schema: &str) -> (AvroConverter, i32) {
    let (registry, id) = fuzz_registry(SchemaType::Avro, schema);
    let config = fuzz_config(AvroConverterConfig::from_settings(&|k: &str| {
        fuzz_setting(k, &[])
    }));
    (AvroConverter::new(config, registry), id)
}

/// `data` as AvroConverter frames: split at [`RECORD_SEPARATOR`] bytes and framed with `id`,
/// plus the bytes unframed.
fn avro_fuzz_frames(data: &[u8], id: i32) -> Vec<Vec<u8>> {
    fuzz_frames(data, id, |payload, frame| frame.extend_from_slice(payload))
}

/// Decodes `data` as AvroConverter payloads of [`AVRO_FUZZ_SCHEMA`], then of AvroData's
/// recursive Anything record (schemaless values), each split at `0xFF` bytes and framed, plus
/// the bytes unframed: no panic, every row decoded or failed.
///
/// The two converters are made once per process: decoding only reads their registries and
/// caches results that depend on nothing else (compiled decoders), so each input decodes as it
/// would with new ones, without the schemas parsed and compiled again for it (nearly all of a
/// fresh converter's time on a fuzz input, perf). The round trips make new ones per input:
/// writing registers schemas, which would carry one input's effects into the next.
pub fn avro_decode(data: &[u8]) {
    static CONVERTERS: OnceLock<[(AvroConverter, i32); 2]> = OnceLock::new();
    let converters = CONVERTERS.get_or_init(|| {
        [
            avro_fuzz_converter(AVRO_FUZZ_SCHEMA),
            avro_fuzz_converter(ANYTHING_SCHEMA),
        ]
    });
    for (converter, id) in converters {
        decode_frames(converter, &avro_fuzz_frames(data, *id));
    }
}

/// Decodes `data` as [`avro_decode`] does (the fuzz schema's records, then Anything records),
/// writes every decoded part back (registering the derived schema, or the Anything record for
/// schemaless values) and decodes what was written: no step may panic, no row may be lost, and
/// the second decode must give the first one's data. Then reads `data` as payloads of
/// [`AVRO_KEPT_FUZZ_SCHEMA`] both ways an untouched side may: kept as their bytes where they are
/// the encoder's own form, and decoded; both must write the same bytes and fail the same rows.
/// Panics otherwise.
pub fn avro_round_trip(data: &[u8]) {
    for schema in [AVRO_FUZZ_SCHEMA, ANYTHING_SCHEMA] {
        let (converter, id) = avro_fuzz_converter(schema);
        let decoded = decode_frames(&converter, &avro_fuzz_frames(data, id));
        for part in &decoded.parts {
            assert_written_back(&converter, &part.column);
        }
    }
    // Keeping payloads as their bytes never changes what is written, nor which rows fail (each
    // way over its own registry: writing registers schemas the other's frames may name).
    let written = |verbatim| {
        let (converter, id) = avro_fuzz_converter(AVRO_KEPT_FUZZ_SCHEMA);
        written_back(&converter, &avro_fuzz_frames(data, id), verbatim).0
    };
    assert_eq!(
        written(true),
        written(false),
        "a payload kept as its bytes came back other than decode -> encode writes it"
    );
}

/// `column` written by `converter` and read back gives the same data. Panics otherwise.
fn assert_written_back(converter: &AvroConverter, column: &Column) {
    let out = encode_checked(converter, column);
    assert!(
        out.errors().is_empty(),
        "decoded data failed to encode: {:?}",
        out.errors()
    );
    let redecoded = redecode_checked(converter, &out);
    assert_eq!(redecoded.parts.len(), 1, "one schema in, one schema out");
    // Compared as schemaless JSON: the data, not the schema's metadata (the derived schema
    // legitimately carries what AvroData adds, such as field-default flags).
    let json = JsonConverter::new(JsonConfig {
        schemas_enable: false,
        ..JsonConfig::default()
    });
    let first = encode_checked(&json, column);
    let second = encode_checked(&json, &redecoded.parts[0].column);
    for row in 0..first.len() {
        let (first, second) = (first.row(row), second.row(row));
        if first != second {
            assert_eq!(
                first.map(entries_in_any_order),
                second.map(entries_in_any_order),
                "decode -> encode -> decode changed row {row}"
            );
        }
    }
}

/// `json` (a row the JsonConverter wrote) with every object's members and every map's pairs
/// sorted: AvroData writes a map in Java `HashMap` order (`crate::java_hash_order`), so a map
/// read back may list its entries in another order. A map with non-string keys is written as
/// an array of `[key, value]` pairs, so such arrays are sorted too.
fn entries_in_any_order(json: &[u8]) -> serde_json::Value {
    fn sorted(value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::Object(members) => {
                let mut members: Vec<(String, Value)> =
                    members.into_iter().map(|(k, v)| (k, sorted(v))).collect();
                members.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(members.into_iter().collect())
            }
            Value::Array(items) => {
                let mut items: Vec<Value> = items.into_iter().map(sorted).collect();
                if items
                    .iter()
                    .all(|i| i.as_array().is_some_and(|p| p.len() == 2))
                {
                    items.sort_by_key(|i| i.to_string());
                }
                Value::Array(items)
            }
            other => other,
        }
    }
    sorted(serde_json::from_slice(json).expect("the JsonConverter writes JSON"))
}

/// The JSON Schema the JsonSchemaConverter fuzz target reads payloads with: every type
/// JsonSchemaData maps (integers, numbers, strings, booleans, bytes, enums, nullable unions,
/// `oneOf`, arrays, maps, nested objects, a Decimal, a `$ref`) and keywords for the validator.
pub const JSON_SCHEMA_FUZZ_SCHEMA: &str = r##"{"$schema":"http://json-schema.org/draft-07/schema#","title":"F","type":"object",
"definitions":{"P":{"type":"object","properties":{"x":{"type":"number"}},"required":["x"]}},
"properties":{"i":{"type":"integer","maximum":100},"n":{"type":"number"},"s":{"type":"string","maxLength":8},
"b":{"type":"boolean"},"y":{"type":"string","connect.type":"bytes"},"i8":{"type":"integer","connect.type":"int8"},
"f":{"type":"number","connect.type":"float32"},"e":{"type":"string","enum":["A","B"]},"o":{"oneOf":[{"type":"null"},{"type":"string"}]},
"u":{"oneOf":[{"type":"integer"},{"type":"string"},{"$ref":"#/definitions/P"}]},"a":{"type":"array","items":{"type":"integer"}},
"m":{"type":"object","connect.type":"map","additionalProperties":{"type":"integer"}},"p":{"$ref":"#/definitions/P"},
"d":{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.type":"bytes","connect.parameters":{"scale":"2"}}},
"required":["i"]}"##;

/// Decodes `data` as JsonSchemaConverter payloads of [`JSON_SCHEMA_FUZZ_SCHEMA`] (split at
/// `0xFF` bytes and framed, plus the bytes unframed), once without and once with validation
/// (`json.fail.invalid.schema=true`), and writes every decoded part back: no panic, no row lost.
pub fn json_schema_decode(data: &[u8]) {
    for validate in ["false", "true"] {
        let (registry, id) = fuzz_registry(SchemaType::Json, JSON_SCHEMA_FUZZ_SCHEMA);
        let config = fuzz_config(JsonSchemaConverterConfig::from_settings(&|k: &str| {
            fuzz_setting(k, &[("json.fail.invalid.schema", validate)])
        }));
        let converter = JsonSchemaConverter::new(config, registry);
        let frames = avro_fuzz_frames(data, id);
        let inputs: Vec<Option<&[u8]>> = frames.iter().map(|f| Some(f.as_slice())).collect();
        decode_encode_checked(&converter, &inputs);
    }
}

/// A .proto covering every ProtobufData mapping: scalars of each wire type, an enum, packed and
/// unpacked repeated fields, maps, a oneof, proto3 `optional`, nested messages, wrappers and the
/// Timestamp / Date / TimeOfDay / Decimal types.
pub const PROTOBUF_FUZZ_SCHEMA: &str = r#"syntax = "proto3";
package fuzz;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
import "google/type/date.proto";
import "google/type/timeofday.proto";
import "confluent/type/decimal.proto";
message All {
  int32 i32 = 1;
  sint32 s32 = 2;
  sfixed32 sf32 = 3;
  uint32 u32 = 4;
  fixed32 f32 = 5;
  int64 i64 = 6;
  sint64 s64 = 7;
  sfixed64 sf64 = 8;
  uint64 u64 = 9;
  fixed64 f64 = 10;
  float fl = 11;
  double db = 12;
  bool b = 13;
  string s = 14;
  bytes by = 15;
  Color color = 16;
  repeated int32 packed = 17;
  repeated int64 unpacked = 18 [packed = false];
  repeated string names = 19;
  map<string, Inner> by_name = 20;
  map<int64, Color> by_id = 21;
  oneof choice {
    string text = 22;
    Inner inner = 23;
    double score = 24;
  }
  optional int32 maybe = 25;
  Inner nested = 26;
  repeated Inner items = 27;
  google.protobuf.Timestamp ts = 28;
  google.type.Date date = 29;
  google.type.TimeOfDay tod = 30;
  confluent.type.Decimal amount = 31;
  google.protobuf.StringValue ws = 32;
  google.protobuf.UInt64Value wu = 33;
  message Inner {
    string name = 1;
    repeated sint64 values = 2;
    Leaf leaf = 3;
  }
}
message Leaf {
  double x = 1;
}
enum Color {
  NONE = 0;
  RED = 1;
  BLUE = -2;
}
"#;

/// A ProtobufConverter over a private in-memory registry holding [`PROTOBUF_FUZZ_SCHEMA`], with
/// its id.
fn protobuf_fuzz_converter() -> (ProtobufConverter, i32) {
    let (registry, id) = fuzz_registry(SchemaType::Protobuf, PROTOBUF_FUZZ_SCHEMA);
    let config = fuzz_config(ProtobufConverterConfig::from_settings(&|k: &str| {
        fuzz_setting(k, &[])
    }));
    (ProtobufConverter::new(config, registry), id)
}

/// `data` split into payloads at [`RECORD_SEPARATOR`] bytes (a byte no varint ends with), the
/// first byte of each choosing the message index (`00`: All, `02 02`: Leaf, anything else as
/// is), framed with schema id `id`; plus `data` itself unframed.
fn protobuf_fuzz_frames(data: &[u8], id: i32) -> Vec<Vec<u8>> {
    fuzz_frames(data, id, |payload, frame| match payload.split_first() {
        Some((0, rest)) => {
            frame.push(0);
            frame.extend_from_slice(rest);
        }
        Some((1, rest)) => {
            frame.extend_from_slice(&[2, 2]);
            frame.extend_from_slice(rest);
        }
        _ => frame.extend_from_slice(payload),
    })
}

/// Decodes `data` as ProtobufConverter frames of [`PROTOBUF_FUZZ_SCHEMA`] (split at `0xFF`
/// bytes and framed, plus the bytes unframed): no panic, every row decoded or failed.
///
/// The converter is made once per process, as [`avro_decode`]'s are.
pub fn protobuf_decode(data: &[u8]) {
    static CONVERTER: OnceLock<(ProtobufConverter, i32)> = OnceLock::new();
    let (converter, id) = CONVERTER.get_or_init(protobuf_fuzz_converter);
    decode_frames(converter, &protobuf_fuzz_frames(data, *id));
}

/// Decodes `data` as [`protobuf_decode`] does, writes every decoded part back (registering the
/// derived schema) and decodes what was written: no step may panic or lose a row, and what was
/// written must decode again. Panics otherwise.
pub fn protobuf_round_trip(data: &[u8]) {
    let (converter, id) = protobuf_fuzz_converter();
    let decoded = decode_frames(&converter, &protobuf_fuzz_frames(data, id));
    for part in &decoded.parts {
        redecode_checked(&converter, &encode_checked(&converter, &part.column));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The json_converter seed corpus (the conformance cases' keys and values, written by
    /// `scripts/fuzz-seeds`) keeps the invariants, the pass-through's among them.
    #[test]
    fn json_converter_seeds_keep_the_invariants() {
        for seed in seed_corpus("json_converter") {
            json_round_trip(&seed);
        }
    }

    /// The files of seed corpus `fuzz/seeds/<name>` (at least one).
    fn seed_corpus(name: &str) -> Vec<Vec<u8>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/seeds")
            .join(name);
        let seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .expect("the seed corpus")
            .flatten()
            .map(|entry| std::fs::read(entry.path()).expect("a seed"))
            .collect();
        assert!(!seeds.is_empty(), "empty seed corpus {}", dir.display());
        seeds
    }

    /// Anything records of nested schemaless values decode, and come back through the round
    /// trip the fuzz target checks.
    #[test]
    fn anything_records_decode_and_round_trip() {
        use crate::avro::anything::write_anything;
        use crate::value::Value;
        let text = |s: &str| Value::String(s.to_string());
        let values = [
            Value::Map(vec![
                (text("a"), Value::Array(vec![Value::Int64(1), text("x")])),
                (text("b"), Value::Boolean(true)),
            ]),
            Value::Array(vec![Value::Null, Value::Float64(1.5)]),
            Value::Int32(-7),
            Value::Bytes(vec![1, 2, 3]),
        ];
        let mut data = Vec::new();
        for value in &values {
            let mut payload = Vec::new();
            write_anything(value, &mut payload).expect("writable");
            assert!(!payload.contains(&RECORD_SEPARATOR));
            if !data.is_empty() {
                data.push(RECORD_SEPARATOR);
            }
            data.extend(payload);
        }
        let (converter, id) = avro_fuzz_converter(ANYTHING_SCHEMA);
        let mut frames = avro_fuzz_frames(&data, id);
        frames.pop(); // the unframed bytes, which are not a frame
        let decoded = decode_frames(&converter, &frames);
        assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
        assert_eq!(decoded.parts.len(), values.len(), "one part per shape");
        avro_round_trip(&data);
    }

    /// A record of [`AVRO_KEPT_FUZZ_SCHEMA`] in the encoder's form is kept as its bytes, and
    /// the round trip (which compares kept and decoded output) holds on it and on its variants.
    #[test]
    fn kept_records_round_trip() {
        let mut payload = vec![1, 4, 6];
        payload.extend_from_slice(&1.0f32.to_le_bytes());
        payload.extend_from_slice(&0.5f64.to_le_bytes());
        payload.extend_from_slice(&[4, b'h', b'i', 2, 7, 1, 2, 2]);
        payload.extend_from_slice(&[2, 2, b'a', 2, 2, 10, 0]);
        payload.extend_from_slice(&[2, 6, 2, b'z', 2, 2, 0, 0]);
        assert!(!payload.contains(&RECORD_SEPARATOR));
        let (converter, id) = avro_fuzz_converter(AVRO_KEPT_FUZZ_SCHEMA);
        let frames = avro_fuzz_frames(&payload, id);
        let (rows, kept) = written_back(&converter, &frames[..1], true);
        assert_eq!(kept, 1);
        assert_eq!(rows[0].as_ref().map(|r| &r[5..]), Ok(&payload[..]));
        // The record, a padded varint in it, a signalling NaN (left to the decoder), a null
        // optional record, the record cut short.
        let mut padded = payload.clone();
        padded.splice(1..2, [0x84, 0x00]);
        let mut nan = payload.clone();
        nan[3..7].copy_from_slice(&0x7F80_0001u32.to_le_bytes());
        let mut null_record = payload[..payload.len() - 8].to_vec();
        null_record.extend_from_slice(&[0, 2, 2, 0, 0]);
        let cut = payload[..20].to_vec();
        for variant in [&payload, &padded, &nan, &null_record, &cut] {
            avro_round_trip(variant);
        }
        let two = [&payload[..], &[RECORD_SEPARATOR], &null_record[..]].concat();
        avro_round_trip(&two);
    }

    /// The Avro seeds (written by `scripts/fuzz-seeds`) are records of [`AVRO_FUZZ_SCHEMA`]
    /// that decode without an error, so the fuzzer starts from real payloads, and they keep the
    /// round trip's invariants.
    #[test]
    fn avro_seeds_are_records_of_the_fuzz_schema() {
        let (converter, id) = avro_fuzz_converter(AVRO_FUZZ_SCHEMA);
        for seed in seed_corpus("avro") {
            let mut frames = avro_fuzz_frames(&seed, id);
            frames.pop(); // the unframed bytes, which are not a frame
            let decoded = decode_frames(&converter, &frames);
            assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
            avro_round_trip(&seed);
        }
    }

    /// Found by the fuzzer from the seeds: the unframed input reads as a frame of schema id 2,
    /// which the registry does not have yet, and writing the first frame's record back registers
    /// the derived schema as id 2. Reading what was written must find it: a failed lookup is not
    /// kept (Confluent's clients cache only what they found).
    #[test]
    fn an_id_registered_after_a_failed_lookup_is_found() {
        let mut data = vec![0u8; 31];
        data[4] = 2;
        data[12] = 11;
        avro_round_trip(&data);
    }

    /// The JSON Schema seeds are payloads the converter reads without validation (some fail
    /// validation on purpose), and they keep the target's invariants.
    #[test]
    fn json_schema_seeds_are_payloads_of_the_fuzz_schema() {
        let (registry, id) = fuzz_registry(SchemaType::Json, JSON_SCHEMA_FUZZ_SCHEMA);
        let config = fuzz_config(JsonSchemaConverterConfig::from_settings(&|k: &str| {
            fuzz_setting(k, &[])
        }));
        let converter = JsonSchemaConverter::new(config, registry);
        for seed in seed_corpus("json_schema") {
            let mut frames = avro_fuzz_frames(&seed, id);
            frames.pop();
            let decoded = decode_frames(&converter, &frames);
            assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
            json_schema_decode(&seed);
        }
    }

    const SEEDS: &[&str] = &[
        r#"{"a":1,"b":[1,2,{"c":"x"}],"d":null}"#,
        r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":false},"payload":{"a":1}}"#,
        r#"{"schema":{"type":"array","items":{"type":"bytes","optional":true}},"payload":["AAE=",null]}"#,
        r#"[1,"a",2.5e300,-0,true]"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            json_round_trip(&data);
        }

        #[test]
        fn mutated_json_never_panics(seed in 0..SEEDS.len(), cut in 0usize..200, byte in any::<u8>(), at in 0usize..200) {
            let mut data = SEEDS[seed].as_bytes().to_vec();
            let at = at % data.len();
            data[at] = byte;
            data.truncate(cut.max(1).min(data.len()));
            json_round_trip(&data);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn json_schema_frames_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            json_schema_decode(&data);
        }

        #[test]
        fn avro_bytes_never_panic_and_round_trip(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            avro_decode(&data);
            avro_round_trip(&data);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn protobuf_bytes_never_panic_and_round_trip(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            protobuf_decode(&data);
            protobuf_round_trip(&data);
        }
    }

    #[test]
    fn protobuf_valid_records_round_trip() {
        // All{i32=1, s="hi", color=RED, packed=[1,2], by_name={"k": {name:"n"}}, text="t",
        // ts={seconds:1}, amount={value:0x3039}}, then Leaf{x=1.5}.
        let mut data = vec![0, 0x08, 1, 0x72, 2, b'h', b'i', 0x80, 1, 1];
        data.extend_from_slice(&[
            0x8a, 1, 2, 1, 2, 0xa2, 1, 8, 0x0a, 1, b'k', 0x12, 3, 0x0a, 1, b'n',
        ]);
        data.extend_from_slice(&[
            0xb2, 1, 1, b't', 0xe2, 1, 2, 0x08, 1, 0xfa, 1, 4, 0x0a, 2, 0x30, 0x39,
        ]);
        data.push(0xFF);
        data.extend_from_slice(&[1, 0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
        protobuf_round_trip(&data);
        let (converter, id) = protobuf_fuzz_converter();
        let decoded = decode_frames(&converter, &protobuf_fuzz_frames(&data, id));
        // The two frames decode; the unframed whole does not.
        assert_eq!(decoded.errors.len(), 1, "{:?}", decoded.errors);
    }

    #[test]
    fn avro_valid_record_round_trips() {
        // b=1, i=-1, l=2, f=0, d=0, s="hi", y=[], e=C, x=ab, dec=[01 00], date=1, ts=-1,
        // o=null, u=R{v:3}, a=[null, 5], m={"k":[R{v:1}]}, n=[{1:"z"}]
        let mut payload = vec![1, 1, 4];
        payload.extend_from_slice(&[0; 12]);
        payload.extend_from_slice(&[4, b'h', b'i', 0, 4, b'a', b'b', 4, 1, 0, 2, 1, 0, 6, 6]);
        payload.extend_from_slice(&[4, 0, 2, 10, 0, 2, 2, b'k', 2, 2, 0, 0, 2, 2, 2, b'z', 0]);
        let mut data = payload.clone();
        data.push(0xFF);
        data.extend_from_slice(&payload[..payload.len() - 3]);
        avro_round_trip(&data);
    }

    #[test]
    fn ten_thousand_deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        json_round_trip(deep.as_bytes());
        let deep_objects = r#"{"a":"#.repeat(10_000) + "1" + &"}".repeat(10_000);
        json_round_trip(deep_objects.as_bytes());
    }
}
