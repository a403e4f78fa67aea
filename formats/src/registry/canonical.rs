//! The schema text a registry stores for a schema it is given (Confluent's
//! `ParsedSchema.canonicalString()`): two registrations of the same schema written with different
//! spacing are one schema, and a dump shows the stored form.
//!
//! - JSON Schema: the JSON document written compactly, keys in their order (Jackson's
//!   `JsonNode.toString()`, which Confluent's `JsonSchema` stores).
//! - Avro: Avro's own `Schema.toString()` of the parsed schema (`{"type":"int"}` is stored as
//!   `"int"`, dotted names split into name and namespace, Java's key order), from the Avro
//!   converter's schema model.
//! - Protobuf: the text as given (Confluent re-prints the parsed `.proto`; weir does not parse
//!   `.proto` files here), so only identical texts are the same schema.

use super::{RegistryError, SchemaString, SchemaType};
use crate::avro::schema::AvroSchema;

/// The canonical text of `text` as a schema of `schema_type`; an AVRO or JSON schema that is not
/// JSON is Confluent's "Invalid schema" (422, error code 42201). Costs one parse and write of the
/// schema text (none for Protobuf).
pub fn canonical_text(schema_type: SchemaType, text: &str) -> Result<String, RegistryError> {
    let invalid = |why: String| {
        RegistryError::rest(
            422,
            42201,
            format!("Invalid schema {text} with refs [] of type {schema_type}, details: {why}"),
        )
    };
    match schema_type {
        SchemaType::Protobuf => Ok(text.to_string()),
        SchemaType::Avro => AvroSchema::parse(text)
            .map(|schema| schema.to_json_string())
            .map_err(|e| invalid(e.to_string())),
        SchemaType::Json => compact_json(text).map_err(invalid),
    }
}

/// `schema` with its text replaced by the canonical text ([`canonical_text`]).
pub fn canonical_schema(schema: &SchemaString) -> Result<SchemaString, RegistryError> {
    Ok(SchemaString {
        schema_type: schema.schema_type,
        schema: canonical_text(schema.schema_type, &schema.schema)?,
        references: schema.references.clone(),
    })
}

/// `text` parsed as JSON and written back without spaces, keys and number spellings kept.
fn compact_json(text: &str) -> Result<String, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    serde_json::to_string(&value).map_err(|e| e.to_string())
}

/// An AVRO schema text with what Avro's `Schema.equals` ignores taken out — `doc` and `aliases`
/// of named types and fields, and enums' `default` — so two texts are equal here exactly when
/// Avro would call the schemas equal (Confluent's mock registry shares ids that way). Field
/// defaults, orders and custom properties stay: `equals` compares them. Text that is not JSON
/// is returned as given. Costs a parse and a write.
pub fn avro_equality_form(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(mut value) => {
            strip_ignored_by_equals(&mut value);
            value.to_string()
        }
        Err(_) => text.to_string(),
    }
}

/// Removes, throughout an Avro schema, what Avro's `Schema.equals` does not compare.
fn strip_ignored_by_equals(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_ignored_by_equals),
        serde_json::Value::Object(object) => {
            let kind = object.get("type").and_then(|t| t.as_str());
            let is_enum = kind == Some("enum");
            if object.contains_key("name") {
                // A named type (record, error, enum, fixed) or a record's field.
                object.shift_remove("doc");
                object.shift_remove("aliases");
            }
            if is_enum {
                object.shift_remove("default");
            }
            for key in ["type", "items", "values", "fields"] {
                if let Some(child) = object.get_mut(key) {
                    strip_ignored_by_equals(child);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_schemas_lose_their_spacing_but_keep_key_order_and_numbers() {
        let text =
            "{ \"type\": \"object\",\n \"properties\": {\"b\": {\"maximum\": 1.50}, \"a\": {}} }";
        assert_eq!(
            canonical_text(SchemaType::Json, text).expect("json"),
            r#"{"type":"object","properties":{"b":{"maximum":1.50},"a":{}}}"#
        );
    }

    #[test]
    fn avro_equality_ignores_docs_aliases_and_enum_defaults_but_not_field_defaults() {
        let with = r#"{"type":"record","name":"E","doc":"d","fields":[{"name":"s","doc":"x","default":"A","type":{"type":"enum","name":"S","aliases":["T"],"symbols":["A"],"default":"A"}}]}"#;
        let without = r#"{"type":"record","name":"E","fields":[{"name":"s","default":"A","type":{"type":"enum","name":"S","symbols":["A"]}}]}"#;
        assert_eq!(avro_equality_form(with), avro_equality_form(without));
        let other_default = without.replace(r#""default":"A","type""#, r#""default":"B","type""#);
        assert_ne!(
            avro_equality_form(without),
            avro_equality_form(&other_default)
        );
    }

    #[test]
    fn protobuf_text_is_kept_as_given() {
        let text = "syntax = \"proto3\";\nmessage M {}\n";
        assert_eq!(
            canonical_text(SchemaType::Protobuf, text).expect("proto"),
            text
        );
    }

    #[test]
    fn text_that_is_not_json_is_an_invalid_schema() {
        let err = canonical_text(SchemaType::Json, "{nope").unwrap_err();
        assert_eq!(err.error_code(), Some(42201));
        assert!(err.to_string().starts_with("Invalid schema {nope"), "{err}");
    }
}

#[cfg(test)]
mod avro_tests {
    use super::*;

    #[test]
    fn avro_schemas_are_stored_as_avro_prints_them() {
        assert_eq!(
            canonical_text(SchemaType::Avro, r#"{ "type" : "int" }"#).expect("avro"),
            r#""int""#
        );
        assert!(canonical_text(SchemaType::Avro, r#"{"type":"nope"}"#).is_err());
    }
}
