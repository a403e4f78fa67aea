//! One schema id read for several topics: AvroConverter puts the version the schema has under
//! each topic's subject on the Connect schema, so topics where the versions agree read into one
//! column (one decoder, one segment through the chain) and a topic where it differs into its own.

use weir_formats::avro::converter::AvroConverter;
use weir_formats::converter::{Converter, ConverterContext, Side};
use weir_formats::raw::RawBatchBuilder;
use weir_formats::registry::{mock, SchemaRegistry, SchemaString, SchemaType};

const ORDER: &str = r#"{"type":"record","name":"Order","fields":[{"name":"n","type":"long"}]}"#;
const OTHER: &str = r#"{"type":"record","name":"Other","fields":[{"name":"s","type":"string"}]}"#;

fn register(registry: &dyn SchemaRegistry, subject: &str, schema: &str) -> i32 {
    registry
        .register(subject, &SchemaString::new(SchemaType::Avro, schema))
        .expect("registered")
}

#[test]
fn topics_whose_versions_agree_share_a_column() {
    let scope = "avro-topics-versions";
    let registry = mock::scope(scope);
    let id = register(registry.as_ref(), "a-value", ORDER);
    assert_eq!(register(registry.as_ref(), "b-value", ORDER), id);
    // Under c-value the same schema (the same id) is version 2.
    register(registry.as_ref(), "c-value", OTHER);
    assert_eq!(register(registry.as_ref(), "c-value", ORDER), id);

    let url = format!("mock://{scope}");
    let avro =
        AvroConverter::from_settings(|key| (key == "schema.registry.url").then(|| url.clone()))
            .expect("an AvroConverter");
    let mut frame = vec![0];
    frame.extend_from_slice(&id.to_be_bytes());
    frame.push(2 * 21); // the zigzag varint of 21
    let mut batch = RawBatchBuilder::new();
    for (offset, topic) in ["a", "c", "b", "a", "c"].into_iter().enumerate() {
        batch.push_parts(topic, 0, offset as i64, None, None, Some(&frame), []);
    }
    let raw = batch.finish();
    let values: Vec<Option<&[u8]>> = (0..raw.len()).map(|r| raw.value(r)).collect();
    let decoded = avro.decode(&values, &ConverterContext::decoding(Side::Value, &raw));

    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    let mut parts: Vec<(Vec<u32>, Option<i32>)> = decoded
        .parts
        .iter()
        .map(|p| {
            (
                p.rows.clone(),
                p.column.schema.as_ref().and_then(|s| s.version),
            )
        })
        .collect();
    parts.sort();
    assert_eq!(parts, vec![(vec![0, 2, 3], Some(1)), (vec![1, 4], Some(2))]);
}
