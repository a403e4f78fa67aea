//! What Debezium's routing transforms read from a change event: whether a value schema is a
//! change-event envelope (`SmtManager.isValidEnvelope`), and Connect's `Struct` getters with the
//! defaults they apply and the exceptions they throw, for the row-wise references; and the
//! kernels' view of the envelope's `after` and `before` columns ([`States`]).

use arrow_array::{Array, ArrayRef, StructArray};
use weir_formats::error::ConnectError;
use weir_formats::schema::{Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};

use crate::kernel::defaults::fill_default;

use crate::kernel::arrow_build::with_nulls;

/// The suffix of every change-event envelope schema name (`Envelope.SCHEMA_NAME_SUFFIX`).
pub const ENVELOPE_SUFFIX: &str = ".Envelope";

/// The `after` and `before` STRUCT fields of an envelope schema: child positions and schemas.
#[derive(Debug)]
pub struct States {
    /// The `after` child.
    pub after: usize,
    /// The `before` child.
    pub before: usize,
    /// `after`'s schema.
    pub after_schema: SchemaRef,
    /// `before`'s schema.
    pub before_schema: SchemaRef,
}

impl States {
    /// Both state fields of `schema`, `None` unless both exist and are STRUCTs.
    pub fn of(schema: &Schema) -> Option<States> {
        let struct_field = |name: &str| {
            let (i, f) = schema.field(name)?;
            matches!(f.schema.kind, SchemaKind::Struct(_)).then(|| (i, f.schema.clone()))
        };
        let (after, after_schema) = struct_field("after")?;
        let (before, before_schema) = struct_field("before")?;
        Some(States {
            after,
            before,
            after_schema,
            before_schema,
        })
    }

    /// The `after` and `before` columns of `envelope`, null where the envelope row is and with
    /// the fields' defaults filled in, as `Struct.get` reads them. Cost: at most a null-mask
    /// union and a default fill per column.
    pub fn columns(&self, envelope: &StructArray) -> Result<(ArrayRef, ArrayRef), ConnectError> {
        let nulls = envelope.nulls();
        let after = fill_default(
            &self.after_schema,
            &with_nulls(envelope.column(self.after), nulls)?,
        )?;
        let before = fill_default(
            &self.before_schema,
            &with_nulls(envelope.column(self.before), nulls)?,
        )?;
        Ok((after, before))
    }
}

/// `SmtManager.isValidEnvelope`: the value schema is named and the name ends with `.Envelope`.
/// Cost: one suffix compare.
pub fn is_envelope(schema: Option<&SchemaRef>) -> bool {
    schema
        .and_then(|s| s.name.as_deref())
        .is_some_and(|name| name.ends_with(ENVELOPE_SUFFIX))
}

/// Java's `String.split(regex)` for a one-character separator: trailing empty strings removed.
pub fn java_split(text: &str, separator: char) -> Vec<&str> {
    let mut parts: Vec<&str> = text.split(separator).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// Java's `String.trim()`: strips every char up to U+0020 from both ends (not Unicode spaces).
pub fn java_trim(text: &str) -> &str {
    text.trim_matches(|c: char| c <= ' ')
}

/// `Struct.get(name)`: the field's value, or its schema default where the value is null;
/// Connect's DataException when the schema has no such field. Cost: a field lookup.
pub fn get(value: &Struct, name: &str) -> Result<Value, ConnectError> {
    let (index, field) = value
        .schema
        .field(name)
        .ok_or_else(|| ConnectError::data(format!("{name} is not a valid field name")))?;
    Ok(match value.values.get(index) {
        Some(Value::Null) | None => field.schema.default.clone().unwrap_or(Value::Null),
        Some(v) => v.clone(),
    })
}

/// `Struct.getWithoutDefault(name)`: the field's value as stored.
pub fn get_without_default(value: &Struct, name: &str) -> Result<Value, ConnectError> {
    let (index, _) = value
        .schema
        .field(name)
        .ok_or_else(|| ConnectError::data(format!("{name} is not a valid field name")))?;
    Ok(value.values.get(index).cloned().unwrap_or(Value::Null))
}

/// `Struct.getString` / `getInt32` / `getInt64` / `getStruct`: [`get`] after checking the
/// field's schema type (`Field 'x' is not of type STRING`).
pub fn get_typed(value: &Struct, name: &str, kind: TypedGet) -> Result<Value, ConnectError> {
    if let Some((_, field)) = value.schema.field(name) {
        let matches = matches!(
            (&field.schema.kind, kind),
            (SchemaKind::String, TypedGet::String)
                | (SchemaKind::Int32, TypedGet::Int32)
                | (SchemaKind::Int64, TypedGet::Int64)
                | (SchemaKind::Struct(_), TypedGet::Struct)
        );
        if !matches {
            return Err(ConnectError::data(format!(
                "Field '{name}' is not of type {}",
                kind.java_type()
            )));
        }
    }
    get(value, name)
}

/// The type a typed `Struct` getter requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedGet {
    /// `getString`.
    String,
    /// `getInt32`.
    Int32,
    /// `getInt64`.
    Int64,
    /// `getStruct`.
    Struct,
}

impl TypedGet {
    fn java_type(self) -> &'static str {
        match self {
            TypedGet::String => "STRING",
            TypedGet::Int32 => "INT32",
            TypedGet::Int64 => "INT64",
            TypedGet::Struct => "STRUCT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_formats::schema::Schema;

    #[test]
    fn getters_apply_defaults_and_report_missing_fields() {
        let schema = Schema::structure([(
            "a".to_string(),
            Schema::new(SchemaKind::String)
                .optional()
                .with_default(Value::String("d".into()))
                .into_ref(),
        )])
        .into_ref();
        let s = Struct {
            schema,
            values: vec![Value::Null],
        };
        assert_eq!(get(&s, "a").unwrap(), Value::String("d".into()));
        assert_eq!(get_without_default(&s, "a").unwrap(), Value::Null);
        assert_eq!(
            get(&s, "b").unwrap_err().message,
            "b is not a valid field name"
        );
        assert_eq!(
            get_typed(&s, "a", TypedGet::Int32).unwrap_err().message,
            "Field 'a' is not of type INT32"
        );
        assert_eq!(java_trim(" \t x \u{3000}"), "x \u{3000}");
        assert_eq!(java_split("a:b::", ':'), vec!["a", "b"]);
    }
}
