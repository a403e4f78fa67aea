//! Test fixtures shared by the Debezium routers' tests: a relational row schema and its
//! change-event envelope.

use weir_formats::schema::{Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};

/// The optional row struct `{id: INT64, name: optional STRING}`, named `name` when given.
pub fn row_schema(name: Option<&str>) -> SchemaRef {
    let mut schema = Schema::structure([
        ("id".to_string(), Schema::new(SchemaKind::Int64).into_ref()),
        (
            "name".to_string(),
            Schema::new(SchemaKind::String).optional().into_ref(),
        ),
    ])
    .optional();
    schema.name = name.map(str::to_string);
    schema.into_ref()
}

/// The envelope `{before: row, after: row, op: STRING}` named `name`.
pub fn envelope_schema(row: SchemaRef, name: &str) -> SchemaRef {
    Schema::structure([
        ("before".to_string(), row.clone()),
        ("after".to_string(), row),
        ("op".to_string(), Schema::new(SchemaKind::String).into_ref()),
    ])
    .with_name(name)
    .into_ref()
}

/// A row of `schema` (a [`row_schema`]).
pub fn row(schema: SchemaRef, id: i64, name: Option<String>) -> Value {
    Value::Struct(Struct {
        schema,
        values: vec![Value::Int64(id), name.map_or(Value::Null, Value::String)],
    })
}

/// An event of `schema` (an [`envelope_schema`]), or a tombstone (null).
pub fn event(schema: SchemaRef, before: Value, after: Value, op: &str, tombstone: bool) -> Value {
    if tombstone {
        return Value::Null;
    }
    Value::Struct(Struct {
        schema,
        values: vec![before, after, Value::String(op.to_string())],
    })
}
