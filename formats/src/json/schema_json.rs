//! Connect schema ⇄ the JsonConverter envelope's `"schema"` JSON, as Kafka 3.9's
//! `JsonConverter.asConnectSchema` and `asJsonSchema` do it.
//!
//! Reading is lenient where Kafka is (`optional` only when the JSON boolean `true`, `version` only
//! when integral, `name`/`doc` only when strings) and fails with Kafka's DataException messages
//! elsewhere. A `default` is converted with the schema being built, exactly as Kafka's
//! `convertToConnect(builder, …)` does, and checked as `SchemaBuilder.defaultValue` checks it.
//! Writing emits Kafka's key order: `type`, then `items` | `keys`,`values` | `fields`, then
//! `optional`, `name`, `version`, `doc`, `parameters`, `default`; a struct field's schema gets
//! `field` last.

use std::sync::Arc;

use serde_json::Value as Json;

use crate::error::{ConnectError, Result};
use crate::json::reference::{self, JsonConfig, Node};
use crate::schema::{Field, Schema, SchemaKind, SchemaRef};

/// Parses an envelope schema with the default [`JsonConfig`]; JSON null is `Ok(None)`
/// (schemaless). See [`parse_schema_with`]. Cost: one walk of the schema JSON.
pub fn parse_schema(json: &Json) -> Result<Option<SchemaRef>> {
    parse_schema_with(json, &JsonConfig::default())
}

/// `asConnectSchema`: parses an envelope schema, converting defaults under `config` (whose
/// `replace.null.with.default` applies to nulls nested inside a default). JSON null is
/// `Ok(None)`. Nesting deeper than [`reference::MAX_DEPTH`] schemas is rejected.
/// Cost: one walk of the schema JSON, one `Arc` per schema node.
pub fn parse_schema_with(json: &Json, config: &JsonConfig) -> Result<Option<SchemaRef>> {
    parse_at(json, config, 0)
}

/// One schema node at nesting `depth`.
fn parse_at(json: &Json, config: &JsonConfig, depth: usize) -> Result<Option<SchemaRef>> {
    if json.is_null() {
        return Ok(None);
    }
    let depth = reference::enter(depth)?;
    let type_name = json
        .get("type")
        .and_then(Json::as_str)
        .ok_or_else(|| ConnectError::data("Schema must contain 'type' field"))?;
    let mut schema = Schema::new(parse_kind(type_name, json, config, depth)?);
    schema.optional = json.get("optional") == Some(&Json::Bool(true));
    schema.name = json.get("name").and_then(Json::as_str).map(str::to_string);
    schema.version = json.get("version").and_then(reference::integral_int);
    schema.doc = json.get("doc").and_then(Json::as_str).map(str::to_string);
    schema.parameters = parse_parameters(json)?;
    crate::arrow_mapping::check_decimal_scale(&schema)?;
    if let Some(default) = json.get("default") {
        schema.default = parse_default(&schema, default, config)?;
    }
    Ok(Some(Arc::new(schema)))
}

/// The physical type named `type_name`, with its children.
fn parse_kind(
    type_name: &str,
    json: &Json,
    config: &JsonConfig,
    depth: usize,
) -> Result<SchemaKind> {
    Ok(match type_name {
        "boolean" => SchemaKind::Boolean,
        "int8" => SchemaKind::Int8,
        "int16" => SchemaKind::Int16,
        "int32" => SchemaKind::Int32,
        "int64" => SchemaKind::Int64,
        "float" => SchemaKind::Float32,
        "double" => SchemaKind::Float64,
        "bytes" => SchemaKind::Bytes,
        "string" => SchemaKind::String,
        "array" => {
            let items = json
                .get("items")
                .filter(|items| !items.is_null())
                .ok_or_else(|| {
                    ConnectError::data("Array schema did not specify the element type")
                })?;
            SchemaKind::Array(child(parse_at(items, config, depth)?, "valueSchema")?)
        }
        "map" => parse_map(json, config, depth)?,
        "struct" => SchemaKind::Struct(parse_fields(json, config, depth)?),
        other => return Err(ConnectError::data(format!("Unknown schema type: {other}"))),
    })
}

/// A child schema `SchemaBuilder` requires to be non-null (`keySchema cannot be null.`).
fn child(schema: Option<SchemaRef>, what: &str) -> Result<SchemaRef> {
    schema.ok_or_else(|| ConnectError::data(format!("{what} cannot be null.")))
}

/// MAP: `keys` and `values` must be present (a JSON null there fails in `SchemaBuilder.map`).
fn parse_map(json: &Json, config: &JsonConfig, depth: usize) -> Result<SchemaKind> {
    let keys = json
        .get("keys")
        .ok_or_else(|| ConnectError::data("Map schema did not specify the key type"))?;
    let values = json
        .get("values")
        .ok_or_else(|| ConnectError::data("Map schema did not specify the value type"))?;
    let key_schema = parse_at(keys, config, depth)?;
    let value_schema = parse_at(values, config, depth)?;
    Ok(SchemaKind::Map(
        child(key_schema, "keySchema")?,
        child(value_schema, "valueSchema")?,
    ))
}

/// STRUCT: `fields` is an array of field schemas each naming itself in `field`; names must be
/// non-empty and distinct (`SchemaBuilder.field`).
fn parse_fields(json: &Json, config: &JsonConfig, depth: usize) -> Result<Vec<Field>> {
    let items = json.get("fields").and_then(Json::as_array).ok_or_else(|| {
        ConnectError::data("Struct schema's \"fields\" argument is not an array.")
    })?;
    let mut fields: Vec<Field> = Vec::with_capacity(items.len());
    let mut names = std::collections::HashSet::with_capacity(items.len());
    for item in items {
        let name = item.get("field").and_then(Json::as_str).ok_or_else(|| {
            ConnectError::data("Struct schema's field name not specified properly")
        })?;
        let schema = child(
            parse_at(item, config, depth)?,
            &format!("fieldSchema for field {name}"),
        )?;
        if name.is_empty() {
            return Err(ConnectError::data("fieldName cannot be null."));
        }
        if !names.insert(name) {
            return Err(ConnectError::data(format!(
                "Cannot create field because of field name duplication {name}"
            )));
        }
        fields.push(Field {
            name: name.to_string(),
            schema,
        });
    }
    Ok(fields)
}

/// `parameters`: ignored unless an object; every value must be a string; an empty object leaves
/// the schema without parameters (Kafka's builder creates its map on the first one).
fn parse_parameters(json: &Json) -> Result<Option<Vec<(String, String)>>> {
    let Some(map) = json.get("parameters").and_then(Json::as_object) else {
        return Ok(None);
    };
    let mut parameters = Vec::with_capacity(map.len());
    for (key, value) in map {
        let value = value
            .as_str()
            .ok_or_else(|| ConnectError::data("Schema parameters must have string values."))?;
        parameters.push((key.clone(), value.to_string()));
    }
    Ok((!parameters.is_empty()).then_some(parameters))
}

/// `builder.defaultValue(convertToConnect(builder, default))`: converted under the schema built so
/// far (no default yet), then validated; a null result means no default.
fn parse_default(
    schema: &Schema,
    default: &Json,
    config: &JsonConfig,
) -> Result<Option<crate::value::Value>> {
    let building = Arc::new(schema.clone());
    let value = reference::convert_to_connect(Some(&building), default, config)?;
    reference::validate_default(&building, &value)?;
    Ok((!value.is_null()).then_some(value))
}

/// `asJsonSchema`: the schema's envelope JSON as a `serde_json::Value`, key order as Kafka writes
/// it (serde_json prints float defaults in its own exponent style; [`try_write_schema_text`] has
/// Kafka's exact text). Fails as Kafka does when a default cannot be converted (for example a
/// Decimal default whose scale differs from the schema's) or past [`reference::MAX_DEPTH`].
/// Cost: one walk of the schema.
pub fn try_write_schema(schema: &Schema, config: &JsonConfig) -> Result<Json> {
    Ok(schema_node(schema, config)?.to_serde())
}

/// [`try_write_schema`] as compact text, byte for byte what Kafka writes (Jackson escaping and
/// Java number text). Cost: one walk of the schema and one string.
pub fn try_write_schema_text(schema: &Schema, config: &JsonConfig) -> Result<String> {
    let mut out = Vec::new();
    schema_node(schema, config)?.write(&mut out);
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// [`try_write_schema`] that cannot fail: where Kafka would fail (a default that cannot be
/// converted, nesting past [`reference::MAX_DEPTH`]) the default is left out and the too-deep
/// schema written as `null`. Use the `try_` form wherever that failure must be reported.
pub fn write_schema(schema: &Schema, config: &JsonConfig) -> Json {
    lenient_schema_node(schema, config).to_serde()
}

/// [`write_schema`] as compact Kafka text; see [`try_write_schema_text`] for the fallible form.
/// Cost: one walk of the schema and one string.
pub fn write_schema_text(schema: &Schema, config: &JsonConfig) -> String {
    let mut out = Vec::new();
    lenient_schema_node(schema, config).write(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// `asJsonSchema` into the writer's node tree, failing where Kafka fails.
pub(crate) fn schema_node(schema: &Schema, config: &JsonConfig) -> Result<Node> {
    node_at(schema, config, 0, true)
}

/// `asJsonSchema` into the writer's node tree, leaving out what Kafka could not write.
fn lenient_schema_node(schema: &Schema, config: &JsonConfig) -> Node {
    node_at(schema, config, 0, false).unwrap_or(Node::Null)
}

/// One schema node at nesting `depth`; unless `strict`, a failing default is left out and a
/// too-deep schema is `null` (so the result is always `Ok`).
fn node_at(schema: &Schema, config: &JsonConfig, depth: usize, strict: bool) -> Result<Node> {
    let depth = match reference::enter(depth) {
        Ok(depth) => depth,
        Err(_) if !strict => return Ok(Node::Null),
        Err(e) => return Err(e),
    };
    let mut entries = vec![("type".to_string(), text(type_name(&schema.kind)))];
    match &schema.kind {
        SchemaKind::Array(items) => {
            entries.push(("items".to_string(), node_at(items, config, depth, strict)?))
        }
        SchemaKind::Map(keys, values) => {
            entries.push(("keys".to_string(), node_at(keys, config, depth, strict)?));
            entries.push((
                "values".to_string(),
                node_at(values, config, depth, strict)?,
            ));
        }
        SchemaKind::Struct(fields) => {
            let fields = fields
                .iter()
                .map(|f| field_node(f, config, depth, strict))
                .collect::<Result<Vec<_>>>()?;
            entries.push(("fields".to_string(), Node::Array(fields)));
        }
        _ => {}
    }
    entries.push(("optional".to_string(), Node::Bool(schema.optional)));
    push_metadata(&mut entries, schema);
    if let Some(default) = schema.default.as_ref().filter(|d| !d.is_null()) {
        match reference::value_node(Some(schema), default, config, depth) {
            Ok(node) => entries.push(("default".to_string(), node)),
            Err(e) if strict => return Err(e),
            Err(_) => {}
        }
    }
    Ok(Node::Object(entries))
}

/// A struct field: its schema's JSON with `"field": name` added last.
fn field_node(field: &Field, config: &JsonConfig, depth: usize, strict: bool) -> Result<Node> {
    let mut node = node_at(&field.schema, config, depth, strict)?;
    if let Node::Object(entries) = &mut node {
        Node::set(entries, "field".to_string(), text(&field.name));
    }
    Ok(node)
}

/// `name`, `version`, `doc` and `parameters`, each only when set.
fn push_metadata(entries: &mut Vec<(String, Node)>, schema: &Schema) {
    if let Some(name) = &schema.name {
        entries.push(("name".to_string(), text(name)));
    }
    if let Some(version) = schema.version {
        entries.push(("version".to_string(), Node::Int(i64::from(version))));
    }
    if let Some(doc) = &schema.doc {
        entries.push(("doc".to_string(), text(doc)));
    }
    if let Some(parameters) = &schema.parameters {
        let mut object = Vec::with_capacity(parameters.len());
        for (key, value) in parameters {
            Node::set(&mut object, key.clone(), text(value));
        }
        entries.push(("parameters".to_string(), Node::Object(object)));
    }
}

/// A text node.
fn text(s: &str) -> Node {
    Node::Text(s.to_string())
}

/// The envelope's type name of a physical type.
fn type_name(kind: &SchemaKind) -> &'static str {
    match kind {
        SchemaKind::Boolean => "boolean",
        SchemaKind::Int8 => "int8",
        SchemaKind::Int16 => "int16",
        SchemaKind::Int32 => "int32",
        SchemaKind::Int64 => "int64",
        SchemaKind::Float32 => "float",
        SchemaKind::Float64 => "double",
        SchemaKind::Bytes => "bytes",
        SchemaKind::String => "string",
        SchemaKind::Array(_) => "array",
        SchemaKind::Map(_, _) => "map",
        SchemaKind::Struct(_) => "struct",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Decimal, Value};

    fn parse(text: &str) -> Result<Option<SchemaRef>> {
        let json: Json = serde_json::from_str(text).expect("test JSON");
        parse_schema(&json)
    }

    fn parsed(text: &str) -> SchemaRef {
        parse(text).expect("parses").expect("not null")
    }

    fn error(text: &str) -> String {
        parse(text).expect_err("should fail").message
    }

    fn text_of(schema: &Schema) -> String {
        let text = try_write_schema_text(schema, &JsonConfig::default()).expect("writes");
        assert_eq!(write_schema_text(schema, &JsonConfig::default()), text);
        text
    }

    #[test]
    fn null_is_schemaless() {
        assert_eq!(parse("null").unwrap(), None);
    }

    #[test]
    fn every_type_round_trips_in_kafka_key_order() {
        for text in [
            r#"{"type":"boolean","optional":false}"#,
            r#"{"type":"int8","optional":true}"#,
            r#"{"type":"int16","optional":false}"#,
            r#"{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1}"#,
            r#"{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1}"#,
            r#"{"type":"float","optional":false}"#,
            r#"{"type":"double","optional":false,"default":1.0E21}"#,
            r#"{"type":"string","optional":false,"doc":"d\u0001😀"}"#,
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"default":"BNI="}"#,
            r#"{"type":"array","items":{"type":"string","optional":true},"optional":false,"default":["a",null]}"#,
            r#"{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":true}"#,
            r#"{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":false,"default":[[1,"x"]]}"#,
            r#"{"type":"struct","fields":[{"type":"int32","optional":true,"default":7,"field":"a"},{"type":"struct","fields":[],"optional":true,"field":"b"}],"optional":false,"name":"n.R","version":3,"doc":"x","parameters":{"z":"1","a":"2"}}"#,
        ] {
            let expected = text.replace('😀', r"\uD83D\uDE00");
            assert_eq!(text_of(&parsed(text)), expected, "{text}");
        }
    }

    #[test]
    fn metadata_is_read_leniently() {
        let s = parsed(
            r#"{"type":"int32","optional":"true","name":5,"version":1.5,"doc":null,"parameters":[1]}"#,
        );
        assert!(!s.optional);
        assert_eq!(
            (
                s.name.clone(),
                s.version,
                s.doc.clone(),
                s.parameters.clone()
            ),
            (None, None, None, None)
        );
        assert_eq!(
            parsed(r#"{"type":"int32","version":4294967298}"#).version,
            Some(2)
        );
        assert_eq!(
            parsed(r#"{"type":"int32","parameters":{}}"#).parameters,
            None
        );
        let s = parsed(r#"{"type":"int32","optional":true,"default":null}"#);
        assert_eq!(s.default, None);
        let s = parsed(
            r#"{"type":"int32","name":"org.apache.kafka.connect.data.Date","default":19675}"#,
        );
        assert_eq!(s.default, Some(Value::Date(19675 * 86_400_000)));
        let s = parsed(
            r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"1"},"default":"Dw=="}"#,
        );
        assert_eq!(
            s.default,
            Some(Value::Decimal(Decimal {
                unscaled: 15,
                scale: 1
            }))
        );
        assert_eq!(
            parsed(r#"{"type":"int32","default":"x"}"#).default,
            Some(Value::Int32(0))
        );
    }

    #[test]
    fn parse_errors_use_kafka_messages() {
        assert_eq!(
            error(r#"{"optional":true}"#),
            "Schema must contain 'type' field"
        );
        assert_eq!(error(r#"{"type":5}"#), "Schema must contain 'type' field");
        assert_eq!(error("5"), "Schema must contain 'type' field");
        assert_eq!(error(r#"{"type":"x"}"#), "Unknown schema type: x");
        assert_eq!(
            error(r#"{"type":"array"}"#),
            "Array schema did not specify the element type"
        );
        assert_eq!(
            error(r#"{"type":"array","items":null}"#),
            "Array schema did not specify the element type"
        );
        assert_eq!(
            error(r#"{"type":"map","values":{"type":"int8"}}"#),
            "Map schema did not specify the key type"
        );
        assert_eq!(
            error(r#"{"type":"map","keys":{"type":"int8"}}"#),
            "Map schema did not specify the value type"
        );
        assert_eq!(
            error(r#"{"type":"map","keys":null,"values":{"type":"int8"}}"#),
            "keySchema cannot be null."
        );
        assert_eq!(
            error(r#"{"type":"struct"}"#),
            "Struct schema's \"fields\" argument is not an array."
        );
        assert_eq!(
            error(r#"{"type":"struct","fields":{}}"#),
            "Struct schema's \"fields\" argument is not an array."
        );
        assert_eq!(
            error(r#"{"type":"struct","fields":[{"type":"int8"}]}"#),
            "Struct schema's field name not specified properly"
        );
        assert_eq!(
            error(r#"{"type":"struct","fields":[{"type":"int8","field":""}]}"#),
            "fieldName cannot be null."
        );
        assert_eq!(
            error(
                r#"{"type":"struct","fields":[{"type":"int8","field":"a"},{"type":"int8","field":"a"}]}"#
            ),
            "Cannot create field because of field name duplication a"
        );
        assert_eq!(
            error(r#"{"type":"int8","parameters":{"a":1}}"#),
            "Schema parameters must have string values."
        );
        assert_eq!(
            error(r#"{"type":"int8","default":null}"#),
            "Invalid null value for required INT8 field"
        );
        assert_eq!(
            error(r#"{"type":"string","default":5}"#),
            "Invalid default value"
        );
        assert_eq!(
            error(r#"{"type":"struct","fields":[],"default":{}}"#),
            "Invalid default value"
        );
        assert_eq!(
            error(r#"{"type":"struct","fields":[],"default":1}"#),
            "Structs should be encoded as JSON objects, but found NUMBER"
        );
    }

    #[test]
    fn write_fails_where_kafka_fails() {
        let config = JsonConfig::default();
        let bad_default = Schema::decimal(2).with_default(Value::Decimal(Decimal {
            unscaled: 1,
            scale: 1,
        }));
        assert_eq!(
            try_write_schema(&bad_default, &config).unwrap_err().message,
            "Decimal value has mismatching scale for given Decimal schema. Schema has scale 2, value has scale 1."
        );
        assert_eq!(
            write_schema_text(&bad_default, &config),
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}"#
        );
        let mut deep = Schema::new(SchemaKind::Int8);
        for _ in 0..reference::MAX_DEPTH {
            deep = Schema::new(SchemaKind::Array(Arc::new(deep)));
        }
        assert_eq!(
            try_write_schema(&deep, &config).unwrap_err().message,
            "JSON nesting deeper than 128 levels"
        );
        assert!(write_schema_text(&deep, &config)
            .contains(r#"{"type":"array","items":null,"optional":false}"#));
    }

    #[test]
    fn write_schema_value_keeps_key_order() {
        let schema = Schema::structure([(
            "a".to_string(),
            Arc::new(Schema::new(SchemaKind::Float64).with_default(Value::Float64(0.5))),
        )])
        .with_name("n");
        let json = write_schema(&schema, &JsonConfig::default());
        assert_eq!(
            try_write_schema(&schema, &JsonConfig::default()).unwrap(),
            json
        );
        assert_eq!(
            json.to_string(),
            r#"{"type":"struct","fields":[{"type":"double","optional":false,"default":0.5,"field":"a"}],"optional":false,"name":"n"}"#
        );
        assert_eq!(parse_schema(&json).unwrap().as_deref(), Some(&schema));
    }

    #[test]
    fn deep_schema_json_is_rejected() {
        let mut json = serde_json::json!({"type": "int8"});
        for _ in 0..reference::MAX_DEPTH {
            json = serde_json::json!({"type": "array", "items": json});
        }
        assert_eq!(
            parse_schema(&json).unwrap_err().message,
            "JSON nesting deeper than 128 levels"
        );
    }
}
