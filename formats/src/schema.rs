//! The Kafka Connect schema type system: the eleven Connect types, optional, default, name, version,
//! doc, parameters, and the logical types Decimal, Date, Time and Timestamp (recognised by name).
//!
//! A [`Schema`] is immutable and shared as a [`SchemaRef`]; operators cache their work per schema,
//! so two equal schemas should be the same `Arc` where the producer can arrange it (the JSON
//! converter does: one `Arc` per distinct schema text).

use std::fmt;
use std::sync::Arc;

use crate::value::Value;

/// A shared, immutable Connect schema.
pub type SchemaRef = Arc<Schema>;

/// Logical type name of `org.apache.kafka.connect.data.Decimal` (BYTES, parameter `scale`).
pub const DECIMAL_LOGICAL_NAME: &str = "org.apache.kafka.connect.data.Decimal";
/// Logical type name of `org.apache.kafka.connect.data.Date` (INT32 days since the epoch).
pub const DATE_LOGICAL_NAME: &str = "org.apache.kafka.connect.data.Date";
/// Logical type name of `org.apache.kafka.connect.data.Time` (INT32 milliseconds since midnight).
pub const TIME_LOGICAL_NAME: &str = "org.apache.kafka.connect.data.Time";
/// Logical type name of `org.apache.kafka.connect.data.Timestamp` (INT64 ms since the epoch).
pub const TIMESTAMP_LOGICAL_NAME: &str = "org.apache.kafka.connect.data.Timestamp";
/// The Decimal schema parameter that holds the scale.
pub const DECIMAL_SCALE_PARAMETER: &str = "scale";

/// The physical Connect type of a schema, with its children for ARRAY, MAP and STRUCT.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaKind {
    /// `int8`
    Int8,
    /// `int16`
    Int16,
    /// `int32`
    Int32,
    /// `int64`
    Int64,
    /// `float` (FLOAT32)
    Float32,
    /// `double` (FLOAT64)
    Float64,
    /// `boolean`
    Boolean,
    /// `string`
    String,
    /// `bytes`
    Bytes,
    /// `array` of one element schema.
    Array(SchemaRef),
    /// `map` from a key schema to a value schema.
    Map(SchemaRef, SchemaRef),
    /// `struct` with named fields in order.
    Struct(Vec<Field>),
}

/// One field of a STRUCT schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field name (any string, even empty).
    pub name: String,
    /// The field's schema.
    pub schema: SchemaRef,
}

/// A logical type recognised from a schema's name and physical type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicalType {
    /// Decimal with its scale (from the `scale` parameter).
    Decimal {
        /// Digits after the decimal point.
        scale: i32,
    },
    /// Days since the Unix epoch.
    Date,
    /// Milliseconds since midnight.
    Time,
    /// Milliseconds since the Unix epoch.
    Timestamp,
}

/// A Kafka Connect schema. Build one with [`Schema::new`] and the `with_*` methods.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The physical type and its children.
    pub kind: SchemaKind,
    /// Whether null is a valid value.
    pub optional: bool,
    /// The default value, used where a value is null (see `replace.null.with.default`).
    pub default: Option<Value>,
    /// The schema name (also how logical types are recognised).
    pub name: Option<String>,
    /// The schema version.
    pub version: Option<i32>,
    /// Documentation text.
    pub doc: Option<String>,
    /// String parameters in insertion order (`None` when the schema has none at all).
    pub parameters: Option<Vec<(String, String)>>,
}

impl Schema {
    /// A required schema of `kind` with no name, version, doc, parameters or default.
    pub fn new(kind: SchemaKind) -> Schema {
        Schema {
            kind,
            optional: false,
            default: None,
            name: None,
            version: None,
            doc: None,
            parameters: None,
        }
    }

    /// This schema, made optional.
    pub fn optional(mut self) -> Schema {
        self.optional = true;
        self
    }

    /// This schema with `name`.
    pub fn with_name(mut self, name: impl Into<String>) -> Schema {
        self.name = Some(name.into());
        self
    }

    /// This schema with `version`.
    pub fn with_version(mut self, version: i32) -> Schema {
        self.version = Some(version);
        self
    }

    /// This schema with the parameter `key` set to `value` (replacing an earlier one).
    pub fn with_parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Schema {
        let (key, value) = (key.into(), value.into());
        let params = self.parameters.get_or_insert_with(Vec::new);
        match params.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => params.push((key, value)),
        }
        self
    }

    /// This schema with a default value.
    pub fn with_default(mut self, default: Value) -> Schema {
        self.default = Some(default);
        self
    }

    /// Shares this schema.
    pub fn into_ref(self) -> SchemaRef {
        Arc::new(self)
    }

    /// A STRUCT schema from `(name, schema)` pairs.
    pub fn structure(fields: impl IntoIterator<Item = (String, SchemaRef)>) -> Schema {
        Schema::new(SchemaKind::Struct(
            fields
                .into_iter()
                .map(|(name, schema)| Field { name, schema })
                .collect(),
        ))
    }

    /// `Decimal.schema(scale)`: BYTES named `org.apache.kafka.connect.data.Decimal`, version 1.
    pub fn decimal(scale: i32) -> Schema {
        Schema::new(SchemaKind::Bytes)
            .with_name(DECIMAL_LOGICAL_NAME)
            .with_version(1)
            .with_parameter(DECIMAL_SCALE_PARAMETER, scale.to_string())
    }

    /// `Date.SCHEMA`: INT32 named `org.apache.kafka.connect.data.Date`, version 1.
    pub fn date() -> Schema {
        Schema::new(SchemaKind::Int32)
            .with_name(DATE_LOGICAL_NAME)
            .with_version(1)
    }

    /// `Time.SCHEMA`: INT32 named `org.apache.kafka.connect.data.Time`, version 1.
    pub fn time() -> Schema {
        Schema::new(SchemaKind::Int32)
            .with_name(TIME_LOGICAL_NAME)
            .with_version(1)
    }

    /// `Timestamp.SCHEMA`: INT64 named `org.apache.kafka.connect.data.Timestamp`, version 1.
    pub fn timestamp() -> Schema {
        Schema::new(SchemaKind::Int64)
            .with_name(TIMESTAMP_LOGICAL_NAME)
            .with_version(1)
    }

    /// The value of parameter `key`, if set.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .as_ref()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The logical type this schema denotes, if any. A Decimal whose `scale` is missing or not a
    /// number is not recognised (Kafka would fail on use; the converters report that).
    pub fn logical_type(&self) -> Option<LogicalType> {
        let name = self.name.as_deref()?;
        match (name, &self.kind) {
            (DECIMAL_LOGICAL_NAME, SchemaKind::Bytes) => {
                let scale = self.parameter(DECIMAL_SCALE_PARAMETER)?.parse().ok()?;
                Some(LogicalType::Decimal { scale })
            }
            (DATE_LOGICAL_NAME, SchemaKind::Int32) => Some(LogicalType::Date),
            (TIME_LOGICAL_NAME, SchemaKind::Int32) => Some(LogicalType::Time),
            (TIMESTAMP_LOGICAL_NAME, SchemaKind::Int64) => Some(LogicalType::Timestamp),
            _ => None,
        }
    }

    /// The fields of a STRUCT schema; empty for every other type.
    pub fn fields(&self) -> &[Field] {
        match &self.kind {
            SchemaKind::Struct(fields) => fields,
            _ => &[],
        }
    }

    /// The field called `name` of a STRUCT schema, with its index.
    pub fn field(&self, name: &str) -> Option<(usize, &Field)> {
        self.fields()
            .iter()
            .enumerate()
            .find(|(_, f)| f.name == name)
    }

    /// Kafka's upper-case type name (`INT32`, `STRUCT`, …), as used in its error messages.
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }
}

impl SchemaKind {
    /// Kafka's upper-case type name (`INT32`, `STRUCT`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            SchemaKind::Int8 => "INT8",
            SchemaKind::Int16 => "INT16",
            SchemaKind::Int32 => "INT32",
            SchemaKind::Int64 => "INT64",
            SchemaKind::Float32 => "FLOAT32",
            SchemaKind::Float64 => "FLOAT64",
            SchemaKind::Boolean => "BOOLEAN",
            SchemaKind::String => "STRING",
            SchemaKind::Bytes => "BYTES",
            SchemaKind::Array(_) => "ARRAY",
            SchemaKind::Map(_, _) => "MAP",
            SchemaKind::Struct(_) => "STRUCT",
        }
    }
}

/// Formats like Kafka's `ConnectSchema.toString()`: `Schema{name:TYPE}` or `Schema{TYPE}`.
impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "Schema{{{}:{}}}", name, self.type_name()),
            None => write!(f, "Schema{{{}}}", self.type_name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_types_are_recognised_by_name_and_physical_type() {
        assert_eq!(
            Schema::decimal(3).logical_type(),
            Some(LogicalType::Decimal { scale: 3 })
        );
        assert_eq!(Schema::date().logical_type(), Some(LogicalType::Date));
        assert_eq!(Schema::time().logical_type(), Some(LogicalType::Time));
        assert_eq!(
            Schema::timestamp().logical_type(),
            Some(LogicalType::Timestamp)
        );
        let wrong_physical = Schema::new(SchemaKind::Int64).with_name(DATE_LOGICAL_NAME);
        assert_eq!(wrong_physical.logical_type(), None);
    }

    #[test]
    fn parameters_keep_insertion_order_and_replace_in_place() {
        let s = Schema::new(SchemaKind::String)
            .with_parameter("b", "1")
            .with_parameter("a", "2")
            .with_parameter("b", "3");
        assert_eq!(
            s.parameters.unwrap(),
            vec![("b".into(), "3".into()), ("a".into(), "2".into())]
        );
    }

    #[test]
    fn display_matches_kafka() {
        assert_eq!(
            Schema::date().to_string(),
            "Schema{org.apache.kafka.connect.data.Date:INT32}"
        );
        assert_eq!(Schema::new(SchemaKind::Int8).to_string(), "Schema{INT8}");
    }
}
