//! JsonSchemaConverter's registry compatibility checks, as Confluent 7.8's serializer makes them
//! with its JSON Schema `SchemaDiff`: under `use.latest.version=true` (with
//! `latest.compatibility.strict`, the default) a latest schema that differs from the
//! Connect-derived one but reads its data is written with (its id in every frame), one that
//! does not fails the record; under `use.schema.id` the same with `id.compatibility.strict`.

use std::sync::Arc;

use weir_formats::batch::Column;
use weir_formats::converter::{Converter, ConverterContext, Encoded, Side};
use weir_formats::jsonschema::converter::JsonSchemaConverter;
use weir_formats::registry::{mock, SchemaRegistry, SchemaString, SchemaType};
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};
use weir_formats::value_array::values_to_array;

/// `Simple {id: int64, name: optional string}`, which JsonSchemaData derives as an object with
/// an integer `id` and a `oneOf [null, string]` `name`.
fn simple() -> SchemaRef {
    let fields = vec![
        Field {
            name: "id".into(),
            schema: Arc::new(Schema::new(SchemaKind::Int64)),
        },
        Field {
            name: "name".into(),
            schema: Arc::new(Schema::new(SchemaKind::String).optional()),
        },
    ];
    Arc::new(Schema::new(SchemaKind::Struct(fields)).with_name("Simple"))
}

/// A latest schema Confluent's diff finds backward compatible with the derived one: `id` a
/// number (type extended), `name` an `anyOf` (combined type extended), a description added.
const COMPATIBLE: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"Simple","description":"people","type":"object","properties":{"id":{"type":"number"},"name":{"anyOf":[{"type":"null"},{"type":"string"}]}}}"#;

/// A latest schema it does not: `id` a string (type changed).
const INCOMPATIBLE: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"Simple","type":"object","properties":{"id":{"type":"string"},"name":{"anyOf":[{"type":"null"},{"type":"string"}]}}}"#;

/// Registers `latest` under `t-value` in a fresh mock registry and makes a converter over it
/// with `settings` (besides the registry URL and `auto.register.schemas=false`).
fn converter_with(
    scope: &str,
    latest: &str,
    settings: &[(&str, String)],
) -> (JsonSchemaConverter, i32) {
    let registry = mock::scope(scope);
    let id = registry
        .register("t-value", &SchemaString::new(SchemaType::Json, latest))
        .expect("registered");
    let url = format!("mock://{scope}");
    let converter = JsonSchemaConverter::from_settings(|key| match key {
        "schema.registry.url" => Some(url.clone()),
        "auto.register.schemas" => Some("false".into()),
        _ => settings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.replace("{id}", &id.to_string())),
    })
    .expect("converter");
    (converter, id)
}

fn encode(converter: &JsonSchemaConverter) -> Encoded {
    let schema = simple();
    let rows = [
        Value::Struct(Struct {
            schema: schema.clone(),
            values: vec![Value::Int64(7), Value::String("ann".into())],
        }),
        Value::Struct(Struct {
            schema: schema.clone(),
            values: vec![Value::Int64(8), Value::Null],
        }),
    ];
    let column = Column {
        data: values_to_array(Some(&schema), &rows).expect("column"),
        schema: Some(schema),
    };
    let mut out = Encoded::default();
    converter.encode(
        &column,
        &ConverterContext::single_topic(Side::Value, "t"),
        &mut out,
    );
    out
}

fn frame_id(frame: &[u8]) -> i32 {
    i32::from_be_bytes([frame[1], frame[2], frame[3], frame[4]])
}

fn latest_settings() -> Vec<(&'static str, String)> {
    vec![("use.latest.version", "true".into())]
}

#[test]
fn a_compatible_latest_schema_is_written_with() {
    let (converter, id) = converter_with("json-compat-latest-ok", COMPATIBLE, &latest_settings());
    let out = encode(&converter);
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    for row in 0..2 {
        let frame = out.row(row).expect("a frame");
        assert_eq!(frame[0], 0);
        assert_eq!(frame_id(frame), id);
    }
    assert_eq!(
        &out.row(0).expect("a frame")[5..],
        br#"{"id":7,"name":"ann"}"#
    );
}

#[test]
fn an_incompatible_latest_schema_fails_each_record_with_confluents_text() {
    let (converter, _) = converter_with("json-compat-latest-bad", INCOMPATIBLE, &latest_settings());
    let out = encode(&converter);
    assert_eq!(out.errors().len(), 2);
    let message = &out.errors()[0].1.message;
    let expected = format!(
        "Converting Kafka Connect data to byte[] failed due to serialization error of topic t: \
         Error serializing JSON message <- IOException: Incompatible schema '{INCOMPATIBLE}' with \
         refs '[]' of type 'JSON' for schema '"
    );
    assert!(message.starts_with(&expected), "{message}");
    assert!(
        message.ends_with(
            "'. Set latest.compatibility.strict=false to disable this check. See log file for more details."
        ),
        "{message}"
    );
}

#[test]
fn without_strictness_an_incompatible_latest_schema_is_written_with() {
    let mut settings = latest_settings();
    settings.push(("latest.compatibility.strict", "false".into()));
    let (converter, id) = converter_with("json-compat-latest-lax", INCOMPATIBLE, &settings);
    let out = encode(&converter);
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(frame_id(out.row(0).expect("a frame")), id);
}

#[test]
fn use_schema_id_checks_the_schema_it_names_unless_told_not_to() {
    let by_id = vec![("use.schema.id", "{id}".to_string())];
    let (converter, id) = converter_with("json-compat-id-ok", COMPATIBLE, &by_id);
    let out = encode(&converter);
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(frame_id(out.row(1).expect("a frame")), id);

    let (converter, _) = converter_with("json-compat-id-bad", INCOMPATIBLE, &by_id);
    let out = encode(&converter);
    assert_eq!(out.errors().len(), 2);
    let message = &out.errors()[0].1.message;
    assert!(message.contains("Incompatible schema '"), "{message}");
    assert!(
        message.ends_with("'. Set id.compatibility.strict=false to disable this check"),
        "{message}"
    );

    let mut lax = by_id.clone();
    lax.push(("id.compatibility.strict", "false".into()));
    let (converter, id) = converter_with("json-compat-id-lax", INCOMPATIBLE, &lax);
    let out = encode(&converter);
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(frame_id(out.row(0).expect("a frame")), id);
}
