//! `ConnectRecord`: one record as Kafka Connect's `SinkRecord` holds it, for the row-wise
//! references (never the hot path), and the bridge from a segment's columns to records and back.

use weir_formats::batch::{Column, Header};
use weir_formats::error::ConnectError;
use weir_formats::schema::SchemaRef;
use weir_formats::value::Value;
use weir_formats::value_array::values_to_array;

/// A record with its Connect key, value and headers.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRecord {
    /// The topic.
    pub topic: String,
    /// The partition (the transform module's `NO_PARTITION` when a transform set none).
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The timestamp in ms, if any.
    pub timestamp: Option<i64>,
    /// The key schema (`None`: schemaless).
    pub key_schema: Option<SchemaRef>,
    /// The key.
    pub key: Value,
    /// The value schema (`None`: schemaless).
    pub value_schema: Option<SchemaRef>,
    /// The value.
    pub value: Value,
    /// The headers in order.
    pub headers: Vec<Header>,
}

impl ConnectRecord {
    /// The schema and value of one side.
    pub fn side(&self, side: crate::Side) -> (Option<&SchemaRef>, &Value) {
        match side {
            crate::Side::Key => (self.key_schema.as_ref(), &self.key),
            crate::Side::Value => (self.value_schema.as_ref(), &self.value),
        }
    }

    /// What a `$Key` / `$Value` transform's `apply` makes of one side: `schemaless` of its value
    /// where the side has no schema (`applySchemaless`), else `with_schema` of its schema and
    /// value (`applyWithSchema`). Cost: the one called.
    pub fn applied_side(
        &self,
        side: crate::Side,
        schemaless: impl FnOnce(&Value) -> Result<Value, ConnectError>,
        with_schema: impl FnOnce(&SchemaRef, &Value) -> Result<(SchemaRef, Value), ConnectError>,
    ) -> Result<(Option<SchemaRef>, Value), ConnectError> {
        Ok(match self.side(side) {
            (None, value) => (None, schemaless(value)?),
            (Some(schema), value) => {
                let (schema, value) = with_schema(schema, value)?;
                (Some(schema), value)
            }
        })
    }

    /// This record with one side replaced (`newRecord` of a `$Key` / `$Value` transform).
    pub fn with_side(
        mut self,
        side: crate::Side,
        schema: Option<SchemaRef>,
        value: Value,
    ) -> ConnectRecord {
        match side {
            crate::Side::Key => {
                self.key_schema = schema;
                self.key = value;
            }
            crate::Side::Value => {
                self.value_schema = schema;
                self.value = value;
            }
        }
        self
    }
}

/// A column of `schema` holding `values` (one per row).
pub fn column_of(schema: Option<&SchemaRef>, values: &[Value]) -> Result<Column, ConnectError> {
    Ok(Column {
        schema: schema.cloned(),
        data: values_to_array(schema, values)?,
    })
}
