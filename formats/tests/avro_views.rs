//! AvroConverter's strings are views of the payload bytes: of the batch's own buffer when the
//! payload lies in it (nothing copied), of a copy when a caller passes loose bytes; both read the
//! same values, side by side in one call.

use arrow_array::cast::AsArray;
use arrow_array::{Array, StructArray};
use weir_formats::avro::converter::AvroConverter;
use weir_formats::converter::{Converter, ConverterContext, Side};
use weir_formats::raw::RawBatchBuilder;
use weir_formats::registry::{mock, SchemaRegistry, SchemaString, SchemaType};

const NAMED: &str = r#"{"type":"record","name":"Named","fields":[{"name":"s","type":"string"}]}"#;

fn frame(id: i32, text: &str) -> Vec<u8> {
    let mut frame = vec![0];
    frame.extend_from_slice(&id.to_be_bytes());
    frame.push(2 * text.len() as u8); // the zigzag varint of a short length
    frame.extend_from_slice(text.as_bytes());
    frame
}

#[test]
fn strings_view_the_input_buffer_and_loose_payloads_are_copied() {
    let scope = "avro-views";
    let registry = mock::scope(scope);
    let id = registry
        .register("t-value", &SchemaString::new(SchemaType::Avro, NAMED))
        .expect("registered");
    let url = format!("mock://{scope}");
    let avro =
        AvroConverter::from_settings(|key| (key == "schema.registry.url").then(|| url.clone()))
            .expect("an AvroConverter");
    let in_batch = frame(id, "a string longer than twelve bytes");
    let mut batch = RawBatchBuilder::new();
    for offset in 0..3 {
        batch.push_parts("t", 0, offset, None, None, Some(&in_batch), []);
    }
    let raw = batch.finish();
    let loose = frame(id, "a loose payload, not in the batch");
    // Row 1's payload is passed as loose bytes instead of the batch's own.
    let values = [raw.value(0), Some(&loose[..]), raw.value(2)];
    let decoded = avro.decode(&values, &ConverterContext::decoding(Side::Value, &raw));

    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    assert_eq!(decoded.parts.len(), 1);
    assert_eq!(decoded.parts[0].rows, vec![0, 1, 2]);
    let record: &StructArray = decoded.parts[0].column.data.as_struct();
    let strings = record.column(0).as_string_view();
    let texts: Vec<&str> = (0..strings.len()).map(|i| strings.value(i)).collect();
    assert_eq!(
        texts,
        [
            "a string longer than twelve bytes",
            "a loose payload, not in the batch",
            "a string longer than twelve bytes",
        ]
    );
    for row in [0, 2] {
        let payload = raw.value(row);
        let payload = payload.expect("a value").as_ptr_range();
        assert!(
            payload.contains(&texts[row].as_ptr()),
            "row {row} is a view of the batch"
        );
    }
    assert!(!loose.as_ptr_range().contains(&texts[1].as_ptr()));
}
