//! The exact mapping from Connect schemas to Arrow types (design §2).
//!
//! INT8..INT64 → Int8..Int64, FLOAT32/64 → Float32/64, BOOLEAN → Boolean, STRING → Utf8View,
//! BYTES → BinaryView, ARRAY → List, MAP → Map, STRUCT → Struct; Decimal → Decimal128(38, scale),
//! Date → Date32, Time → Time32(ms), Timestamp → Timestamp(ms). The Connect name, version, doc,
//! parameters and default ride along in the Arrow field's metadata under `connect.*` keys, so an
//! Arrow consumer sees the whole Connect schema. Computing a mapping walks the schema once; callers
//! cache it per schema.
//!
//! This is the planned type. A Decimal column whose values do not all have the schema's scale (a
//! BigDecimal keeps its own) is built as an own-scale column instead, and its parents take that
//! child type: see [`crate::decimal_column`].

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, TimeUnit};

use crate::error::ConnectError;
use crate::schema::{LogicalType, Schema, SchemaKind};

/// Precision of the Decimal128 type every Connect Decimal maps to (the most it holds).
pub const DECIMAL_PRECISION: u8 = 38;
/// Field-metadata key holding the Connect schema name.
pub const META_NAME: &str = "connect.name";
/// Field-metadata key holding the Connect schema version.
pub const META_VERSION: &str = "connect.version";
/// Field-metadata key holding the Connect schema doc.
pub const META_DOC: &str = "connect.doc";
/// Field-metadata key prefix for Connect schema parameters (`connect.parameters.scale`).
pub const META_PARAMETER_PREFIX: &str = "connect.parameters.";
/// Field-metadata key holding the Connect default value as Connect's JSON text.
pub const META_DEFAULT: &str = "connect.default";
/// Field-metadata key marking a schemaless column whose values are canonical JSON text, used where
/// records disagree on a value's type (design §2: such values keep their exact source value).
pub const META_RAW_JSON: &str = "weir.raw_json";

/// Rejects a Decimal schema whose scale Arrow's decimal types cannot hold (outside -128..127;
/// Kafka's BigDecimal allows any int), so no value is written with an altered scale. Sources of
/// schemas (converters) call it once per schema; [`arrow_type`] assumes it held. Cost: O(1).
pub fn check_decimal_scale(schema: &Schema) -> Result<(), ConnectError> {
    match schema.logical_type() {
        Some(LogicalType::Decimal { scale }) if i8::try_from(scale).is_err() => {
            Err(ConnectError::data(format!(
                "Decimal scale {scale} is outside -128..127, the scales weir's Decimal128 columns \
                 can hold; the record is not converted rather than altered"
            )))
        }
        _ => Ok(()),
    }
}

/// The Arrow type a Connect schema maps to (a Decimal's scale must have passed
/// [`check_decimal_scale`]).
pub fn arrow_type(schema: &Schema) -> DataType {
    match schema.logical_type() {
        Some(LogicalType::Decimal { scale }) => {
            return DataType::Decimal128(DECIMAL_PRECISION, scale.clamp(-128, 127) as i8)
        }
        Some(LogicalType::Date) => return DataType::Date32,
        Some(LogicalType::Time) => return DataType::Time32(TimeUnit::Millisecond),
        Some(LogicalType::Timestamp) => return DataType::Timestamp(TimeUnit::Millisecond, None),
        None => {}
    }
    match &schema.kind {
        SchemaKind::Int8 => DataType::Int8,
        SchemaKind::Int16 => DataType::Int16,
        SchemaKind::Int32 => DataType::Int32,
        SchemaKind::Int64 => DataType::Int64,
        SchemaKind::Float32 => DataType::Float32,
        SchemaKind::Float64 => DataType::Float64,
        SchemaKind::Boolean => DataType::Boolean,
        SchemaKind::String => DataType::Utf8View,
        SchemaKind::Bytes => DataType::BinaryView,
        SchemaKind::Array(items) => DataType::List(Arc::new(arrow_field("item", items))),
        SchemaKind::Map(key, value) => DataType::Map(
            Arc::new(Field::new(
                "entries",
                DataType::Struct(Fields::from(vec![
                    arrow_field("key", key).with_nullable(false),
                    arrow_field("value", value),
                ])),
                false,
            )),
            false,
        ),
        SchemaKind::Struct(fields) => DataType::Struct(struct_fields(fields)),
    }
}

/// `data_type` with every struct field, at any depth, nullable: the column type for data whose
/// required struct fields may still be null (a struct read by Confluent's JsonSchemaData before
/// validation). Cost: one walk of the type.
pub fn with_nullable_fields(data_type: &DataType) -> DataType {
    let relax = |f: &Field| {
        f.clone()
            .with_data_type(with_nullable_fields(f.data_type()))
    };
    match data_type {
        DataType::Struct(fields) => DataType::Struct(
            fields
                .iter()
                .map(|f| relax(f).with_nullable(true))
                .collect::<Vec<_>>()
                .into(),
        ),
        DataType::List(item) => DataType::List(Arc::new(relax(item))),
        DataType::Map(entries, sorted) => {
            // The entries keep their own nullability (map keys are never null); only structs
            // inside the keys and values are relaxed.
            let inner = match entries.data_type() {
                DataType::Struct(kv) => {
                    DataType::Struct(kv.iter().map(|f| relax(f)).collect::<Vec<_>>().into())
                }
                other => other.clone(),
            };
            DataType::Map(
                Arc::new(entries.as_ref().clone().with_data_type(inner)),
                *sorted,
            )
        }
        other => other.clone(),
    }
}

/// The Arrow fields of a Connect STRUCT's fields.
pub fn struct_fields(fields: &[crate::schema::Field]) -> Fields {
    fields
        .iter()
        .map(|f| arrow_field(&f.name, &f.schema))
        .collect::<Vec<_>>()
        .into()
}

/// The Arrow field for a Connect schema: its type, nullability (= optional) and metadata.
pub fn arrow_field(name: &str, schema: &Schema) -> Field {
    Field::new(name, arrow_type(schema), schema.optional).with_metadata(metadata(schema))
}

fn metadata(schema: &Schema) -> HashMap<String, String> {
    let mut meta = HashMap::new();
    if let Some(name) = &schema.name {
        meta.insert(META_NAME.to_string(), name.clone());
    }
    if let Some(version) = schema.version {
        meta.insert(META_VERSION.to_string(), version.to_string());
    }
    if let Some(doc) = &schema.doc {
        meta.insert(META_DOC.to_string(), doc.clone());
    }
    for (key, value) in schema.parameters.iter().flatten() {
        meta.insert(format!("{META_PARAMETER_PREFIX}{key}"), value.clone());
    }
    if let Some(default) = &schema.default {
        let mut text = Vec::new();
        let config = crate::json::reference::JsonConfig {
            schemas_enable: false,
            ..Default::default()
        };
        let plain = Schema {
            default: None,
            ..schema.clone()
        };
        if crate::json::reference::convert_to_json(
            Some(&Arc::new(plain)),
            default,
            &config,
            &mut text,
        )
        .is_ok()
        {
            meta.insert(
                META_DEFAULT.to_string(),
                String::from_utf8_lossy(&text).into_owned(),
            );
        }
    }
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_scales_arrow_cannot_hold_are_rejected() {
        assert!(check_decimal_scale(&Schema::decimal(127)).is_ok());
        assert!(check_decimal_scale(&Schema::decimal(-128)).is_ok());
        assert!(check_decimal_scale(&Schema::decimal(128)).is_err());
        assert!(check_decimal_scale(&Schema::decimal(-129)).is_err());
    }

    #[test]
    fn logical_types_map_to_arrow_temporal_and_decimal_types() {
        assert_eq!(arrow_type(&Schema::decimal(2)), DataType::Decimal128(38, 2));
        assert_eq!(arrow_type(&Schema::date()), DataType::Date32);
        assert_eq!(
            arrow_type(&Schema::time()),
            DataType::Time32(TimeUnit::Millisecond)
        );
        assert_eq!(
            arrow_type(&Schema::timestamp()),
            DataType::Timestamp(TimeUnit::Millisecond, None)
        );
    }

    #[test]
    fn struct_fields_carry_optionality_and_metadata() {
        let schema = Schema::structure([
            ("id".to_string(), Schema::new(SchemaKind::Int64).into_ref()),
            (
                "price".to_string(),
                Schema::decimal(2).optional().into_ref(),
            ),
        ])
        .with_name("x.Row");
        let field = arrow_field("value", &schema);
        assert_eq!(field.metadata()[META_NAME], "x.Row");
        let DataType::Struct(children) = field.data_type() else {
            panic!("not a struct: {:?}", field.data_type())
        };
        assert!(!children[0].is_nullable());
        assert!(children[1].is_nullable());
        assert_eq!(children[1].metadata()["connect.parameters.scale"], "2");
    }
}
