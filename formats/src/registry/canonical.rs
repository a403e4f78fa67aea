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
