//! Kafka's `SchemaUtil.copySchemaBasics`: a new schema with another's name, version, doc and
//! parameters.

use weir_formats::schema::{Schema, SchemaKind};

/// `SchemaUtil.copySchemaBasics(source, builder)`: a schema of `kind` with `source`'s name,
/// version, doc and parameters (and its optionality, as `SchemaBuilder` copies are made
/// optional where the source is).
pub fn copy_schema_basics(source: &Schema, kind: SchemaKind) -> Schema {
    Schema {
        kind,
        optional: source.optional,
        default: None,
        name: source.name.clone(),
        version: source.version,
        doc: source.doc.clone(),
        parameters: source.parameters.clone(),
    }
}
