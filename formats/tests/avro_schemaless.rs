//! Schemaless values through Confluent's AvroConverter: AvroData writes a value without a Connect
//! schema as its `io.confluent.connect.avro.Anything` record and reads that record back as
//! schemaless data. JSON read by JsonConverter with `schemas.enable=false` goes to Avro and back
//! to the same JSON; the Anything schema is registered under the subject strategy's name; a
//! registry schema that cannot hold it, and a value AvroData cannot write, fail their rows.

use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use weir_formats::avro::anything::ANYTHING_SCHEMA;
use weir_formats::avro::converter::AvroConverter;
use weir_formats::batch::Column;
use weir_formats::converter::{Converter, ConverterContext, Decoded, Encoded, Side};
use weir_formats::json::converter::JsonConverter;
use weir_formats::registry::{mock, SchemaRegistry, SchemaString, SchemaType};
use weir_formats::value::Value;
use weir_formats::value_array::values_to_array;

/// A mock registry scope no other test uses.
fn fresh_scope() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("avro-schemaless-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn avro(scope: &str, extra: &[(&str, &str)]) -> AvroConverter {
    let url = format!("mock://{scope}");
    AvroConverter::from_settings(|key| {
        if key == "schema.registry.url" {
            return Some(url.clone());
        }
        extra
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
    })
    .expect("an AvroConverter")
}

fn schemaless_json() -> JsonConverter {
    JsonConverter::from_settings(|key| (key == "schemas.enable").then(|| "false".to_string()))
        .expect("a JsonConverter")
}

fn context() -> ConverterContext<'static> {
    ConverterContext::single_topic(Side::Value, "t")
}

fn decode(converter: &dyn Converter, inputs: &[Option<Vec<u8>>]) -> Decoded {
    let inputs: Vec<Option<&[u8]>> = inputs.iter().map(Option::as_deref).collect();
    converter.decode(&inputs, &context())
}

/// Every decoded part written by `converter`, back in row order: bytes, or the row's error.
fn encode(
    converter: &dyn Converter,
    decoded: &Decoded,
    rows: usize,
) -> Vec<Result<Option<Vec<u8>>, String>> {
    let mut out: Vec<Result<Option<Vec<u8>>, String>> = vec![Err("no row".into()); rows];
    for (row, error) in &decoded.errors {
        out[*row as usize] = Err(error.message.clone());
    }
    for part in &decoded.parts {
        let mut encoded = Encoded::default();
        converter.encode(&part.column, &context(), &mut encoded);
        for (i, &row) in part.rows.iter().enumerate() {
            out[row as usize] = Ok(encoded.row(i).map(<[u8]>::to_vec));
        }
        for (i, error) in encoded.errors() {
            out[part.rows[*i] as usize] = Err(error.message.clone());
        }
    }
    out
}

/// JSON values JsonConverter reads schemaless: objects, arrays, strings, integers, floats with
/// an exact short form, booleans and nulls, nested.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        (-1000i32..1000).prop_map(|n| serde_json::json!(f64::from(n) + 0.5)),
        "[a-z ]{0,6}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map("[a-e]{1,2}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// JSON → Connect (schemaless) → Avro → Connect → JSON gives the JSON back, whatever mix of
    /// shapes one batch holds; a null value stays a null record.
    #[test]
    fn schemaless_json_round_trips_through_the_anything_record(
        values in proptest::collection::vec(json_value(), 1..8)
    ) {
        let scope = fresh_scope();
        let (json, avro) = (schemaless_json(), avro(&scope, &[]));
        let inputs: Vec<Option<Vec<u8>>> =
            values.iter().map(|v| Some(v.to_string().into_bytes())).collect();
        let frames = encode(&avro, &decode(&json, &inputs), values.len());
        let frames: Vec<Option<Vec<u8>>> =
            frames.into_iter().map(|f| f.expect("every value is written")).collect();
        for (frame, value) in frames.iter().zip(&values) {
            prop_assert_eq!(frame.is_none(), value.is_null());
        }
        let back = encode(&json, &decode(&avro, &frames), values.len());
        for (text, value) in back.into_iter().zip(&values) {
            let text = text.expect("every record is read back");
            let read: serde_json::Value = match text {
                Some(bytes) => serde_json::from_slice(&bytes).expect("JSON"),
                None => serde_json::Value::Null,
            };
            prop_assert_eq!(&read, value);
        }
    }
}

#[test]
fn the_anything_record_is_registered_under_the_record_name_strategy() {
    let scope = fresh_scope();
    let avro = avro(
        &scope,
        &[(
            "value.subject.name.strategy",
            "io.confluent.kafka.serializers.subject.RecordNameStrategy",
        )],
    );
    let decoded = decode(&schemaless_json(), &[Some(b"[1,\"x\"]".to_vec())]);
    let frames = encode(&avro, &decoded, 1);
    assert!(frames[0].as_ref().is_ok_and(Option::is_some), "{frames:?}");
    let registry = mock::scope(&scope);
    let latest = registry
        .latest("io.confluent.connect.avro.Anything")
        .expect("registered under the record's full name");
    assert_eq!(latest.schema.schema, ANYTHING_SCHEMA);
}

#[test]
fn a_latest_schema_other_than_the_anything_record_fails_each_row() {
    let scope = fresh_scope();
    mock::scope(&scope)
        .register(
            "t-value",
            &SchemaString::new(
                SchemaType::Avro,
                r#"{"type":"record","name":"R","fields":[{"name":"n","type":"long"}]}"#,
            ),
        )
        .expect("registered");
    let latest = [
        ("auto.register.schemas", "false"),
        ("use.latest.version", "true"),
    ];
    let decoded = decode(&schemaless_json(), &[Some(b"{\"n\":1}".to_vec()), None]);
    // `latest.compatibility.strict` (the default) refuses it as Confluent's serializer does.
    let frames = encode(&avro(&scope, &latest), &decoded, 2);
    let error = frames[0].as_ref().expect_err("the row fails");
    assert!(error.contains("Incompatible schema"), "{error}");
    let lenient = [
        latest[0],
        latest[1],
        ("latest.compatibility.strict", "false"),
    ];
    let frames = encode(&avro(&scope, &lenient), &decoded, 2);
    let error = frames[0].as_ref().expect_err("the row fails");
    assert!(
        error.starts_with("Failed to serialize Avro data from topic t : ")
            && error.contains("is not AvroData's Anything record"),
        "{error}"
    );
    assert_eq!(frames[1], Ok(None), "a null value is still a null record");
}

#[test]
fn a_value_without_a_schemaless_form_fails_its_row_only() {
    let scope = fresh_scope();
    let column = Column {
        schema: None,
        data: values_to_array(None, &[Value::Date(0)]).expect("a timestamp column"),
    };
    let mut encoded = Encoded::default();
    avro(&scope, &[]).encode(&column, &context(), &mut encoded);
    assert_eq!(
        encoded.errors()[0].1.message,
        "Unknown Java type for schemaless data: class java.util.Date"
    );
    let fine = decode(&schemaless_json(), &[Some(b"true".to_vec())]);
    assert!(encode(&avro(&scope, &[]), &fine, 1)[0].is_ok());
}

#[test]
fn a_bad_anything_payload_fails_its_row_naming_the_schema_id() {
    let scope = fresh_scope();
    let avro = avro(&scope, &[]);
    let good = encode(
        &avro,
        &decode(&schemaless_json(), &[Some(b"{\"a\":[1]}".to_vec())]),
        1,
    );
    let good = good[0].clone().expect("written").expect("a frame");
    let mut truncated = good.clone();
    truncated.truncate(good.len() - 3);
    let decoded = decode(&avro, &[Some(truncated), Some(good)]);
    assert_eq!(decoded.errors.len(), 1);
    let (row, error) = &decoded.errors[0];
    assert_eq!(*row, 0);
    assert!(
        error.message.starts_with(
            "Failed to deserialize data for topic t to Avro: Error deserializing Avro message for id 1 <- "
        ),
        "{}",
        error.message
    );
    assert_eq!(decoded.parts.len(), 1);
    assert_eq!(decoded.parts[0].rows, vec![1]);
}
