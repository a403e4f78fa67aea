//! AvroConverter's and ProtobufConverter's strings are views of the payload bytes: of the
//! batch's own buffer when the payload lies in it (nothing copied), of a copy when a caller
//! passes loose bytes; both read the same values, side by side in one call.

use arrow_array::cast::AsArray;
use arrow_array::{Array, StructArray};
use weir_formats::avro::converter::AvroConverter;
use weir_formats::converter::{Converter, ConverterContext, Side};
use weir_formats::protobuf::converter::ProtobufConverter;
use weir_formats::raw::RawBatchBuilder;
use weir_formats::registry::{mock, SchemaRegistry, SchemaString, SchemaType};

const IN_BATCH: &str = "a string longer than twelve bytes";
const LOOSE: &str = "a loose payload, not in the batch";

/// Registers `schema` under `t-value` in mock registry `scope`; the schema id.
fn register(scope: &str, schema_type: SchemaType, schema: &str) -> i32 {
    mock::scope(scope)
        .register("t-value", &SchemaString::new(schema_type, schema))
        .expect("registered")
}

fn settings(scope: &str) -> impl Fn(&str) -> Option<String> {
    let url = format!("mock://{scope}");
    move |key| (key == "schema.registry.url").then(|| url.clone())
}

/// Decodes three rows of topic `t` — rows 0 and 2 the batch's own payload `in_batch`, row 1
/// the loose payload `loose` — and checks the first field's strings and where they lie.
fn check_views(converter: &dyn Converter, in_batch: &[u8], loose: &[u8]) {
    let mut batch = RawBatchBuilder::new();
    for offset in 0..3 {
        batch.push_parts("t", 0, offset, None, None, Some(in_batch), []);
    }
    let raw = batch.finish();
    let values = [raw.value(0), Some(loose), raw.value(2)];
    let decoded = converter.decode(&values, &ConverterContext::decoding(Side::Value, &raw));

    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    assert_eq!(decoded.parts.len(), 1);
    assert_eq!(decoded.parts[0].rows, vec![0, 1, 2]);
    let record: &StructArray = decoded.parts[0].column.data.as_struct();
    let strings = record.column(0).as_string_view();
    let texts: Vec<&str> = (0..strings.len()).map(|i| strings.value(i)).collect();
    assert_eq!(texts, [IN_BATCH, LOOSE, IN_BATCH]);
    for row in [0, 2] {
        let payload = raw.value(row).expect("a value").as_ptr_range();
        assert!(
            payload.contains(&texts[row].as_ptr()),
            "row {row} is a view of the batch"
        );
    }
    assert!(!loose.as_ptr_range().contains(&texts[1].as_ptr()));
}

/// Confluent's framing: magic byte, schema id, then `body`.
fn framed(id: i32, body: &[u8]) -> Vec<u8> {
    let mut frame = vec![0];
    frame.extend_from_slice(&id.to_be_bytes());
    frame.extend_from_slice(body);
    frame
}

#[test]
fn avro_strings_view_the_input_buffer_and_loose_payloads_are_copied() {
    let scope = "payload-views-avro";
    let schema = r#"{"type":"record","name":"Named","fields":[{"name":"s","type":"string"}]}"#;
    let id = register(scope, SchemaType::Avro, schema);
    let avro = AvroConverter::from_settings(settings(scope)).expect("an AvroConverter");
    // A string: its zigzag varint length (one byte below 64), then its bytes.
    let body = |text: &str| [&[2 * text.len() as u8][..], text.as_bytes()].concat();
    check_views(
        &avro,
        &framed(id, &body(IN_BATCH)),
        &framed(id, &body(LOOSE)),
    );
}

#[test]
fn protobuf_strings_view_the_input_buffer_and_loose_payloads_are_copied() {
    let scope = "payload-views-protobuf";
    let schema = "syntax = \"proto3\";\nmessage Named {\n  string s = 1;\n}\n";
    let id = register(scope, SchemaType::Protobuf, schema);
    let protobuf = ProtobufConverter::from_settings(settings(scope)).expect("a ProtobufConverter");
    // Message index [0] (one byte 0), then field 1 as length-delimited (tag 0x0a).
    let body = |text: &str| [&[0, 0x0a, text.len() as u8][..], text.as_bytes()].concat();
    check_views(
        &protobuf,
        &framed(id, &body(IN_BATCH)),
        &framed(id, &body(LOOSE)),
    );
}
