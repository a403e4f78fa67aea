//! `SetSchemaMetadata$Key` / `SetSchemaMetadata$Value`: sets the name and/or version of the key
//! or value schema (Kafka's `SetSchemaMetadata.java`).
//!
//! The renamed schema is computed once per input schema; the data is kept as it is, except that
//! a STRUCT's top-level null fields take their defaults under `replace.null.with.default` (Kafka
//! re-wraps the `Struct` with `Struct.get`). A schemaless record with a value fails; a
//! schemaless null passes.

use std::convert::Infallible;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use weir_formats::arrow_mapping::arrow_type;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};

use crate::kernel::segment_output::{fail_non_null_rows, replace_side};

use crate::kernel::arrow_build::{arrow_failure, struct_array};
use crate::kernel::defaults::field_value;
use crate::kernel::defaults::fill_default;
use crate::kernel::per_row::per_row;
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::segment_output::side_column;
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

const PURPOSE: &str = "updating schema metadata";

/// The renamed schema for one input schema, and whether its Arrow type stays the same (a
/// renaming can make or unmake a logical type, after which the data no longer fits).
#[derive(Debug)]
struct Renamed {
    schema: SchemaRef,
    same_arrow_type: bool,
}

/// SetSchemaMetadata, configured.
#[derive(Debug)]
pub struct SetSchemaMetadata {
    side: Side,
    name: Option<String>,
    version: Option<i32>,
    with_default: bool,
    schemas: SchemaCache<Renamed>,
}

impl SetSchemaMetadata {
    /// Reads `schema.name` (STRING, none), `schema.version` (INT, none) and
    /// `replace.null.with.default` (true); one of the first two is required.
    pub fn new(config: &TransformConfig, side: Side) -> Result<SetSchemaMetadata, ConfigProblem> {
        let name = config.get("schema.name").map(|v| v.trim().to_string());
        let version = match config.get("schema.version") {
            Some(_) => Some(config.int_or("schema.version", 0)?),
            None => None,
        };
        let with_default = config.boolean_or("replace.null.with.default", true)?;
        if name.is_none() && version.is_none() {
            return Err(ConfigProblem::new(
                "schema.name",
                "Neither schema name nor version configured",
            ));
        }
        Ok(SetSchemaMetadata {
            side,
            name,
            version,
            with_default,
            schemas: SchemaCache::default(),
        })
    }

    /// The `ConnectSchema` Kafka builds: everything kept but the name and version set.
    fn renamed(&self, schema: &Schema) -> Schema {
        Schema {
            name: self.name.clone().or_else(|| schema.name.clone()),
            version: self.version.or(schema.version),
            ..schema.clone()
        }
    }

    fn apply_schema(&self, input: &SegmentInput<'_>, schema: &SchemaRef) -> SegmentOutput {
        let renamed = match self.schemas.get_or_try::<Infallible>(schema, || {
            let renamed = self.renamed(schema);
            Ok(Renamed {
                same_arrow_type: arrow_type(&renamed) == arrow_type(schema),
                schema: renamed.into_ref(),
            })
        }) {
            Ok(renamed) => renamed,
            Err(never) => match never {},
        };
        if !renamed.same_arrow_type {
            // The data no longer fits its schema: row by row, each failing as Kafka's converter
            // would on the mismatched object.
            return per_row(input, self.side, self);
        }
        let data = &side_column(input, self.side).data;
        match self.with_defaults(&renamed.schema, data) {
            Ok(data) => replace_side(input, self.side, Some(renamed.schema.clone()), data),
            Err(e) => SegmentOutput::all_failed(input.rows.len(), &e),
        }
    }

    /// A STRUCT column with its top-level null fields defaulted (when configured). Cost: a zip
    /// per child that has a default and nulls; nothing otherwise.
    fn with_defaults(&self, schema: &Schema, data: &ArrayRef) -> Result<ArrayRef, ConnectError> {
        let (SchemaKind::Struct(fields), Some(array)) = (&schema.kind, data.as_struct_opt()) else {
            return Ok(data.clone());
        };
        if !self.with_default || fields.iter().all(|f| f.schema.default.is_none()) {
            return Ok(data.clone());
        }
        let children = fields
            .iter()
            .zip(array.columns())
            .map(|(field, child)| fill_default(&field.schema, child))
            .collect::<Result<Vec<_>, _>>()?;
        let array = struct_array(
            array.fields().clone(),
            children,
            array.nulls().cloned(),
            array.len(),
        )
        .map_err(arrow_failure)?;
        Ok(Arc::new(array))
    }
}

impl Transform for SetSchemaMetadata {
    /// Only its own side.
    fn touches(&self, side: Side) -> bool {
        side == self.side
    }

    /// No header: it reads and writes the record's fields and metadata only.
    fn header_use(&self) -> crate::HeaderUse {
        crate::HeaderUse::NONE
    }

    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let column = side_column(&input, self.side).clone();
        match &column.schema {
            Some(schema) => self.apply_schema(&input, schema),
            None => fail_non_null_rows(&input, self.side, |_| schema_required()),
        }
    }

    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let (schema, value) = record.side(self.side);
        let Some(schema) = schema else {
            return match value {
                Value::Null => Ok(Some(record)),
                _ => Err(schema_required()),
            };
        };
        let renamed = self.renamed(schema).into_ref();
        let value = match value {
            Value::Struct(s) => Value::Struct(Struct {
                schema: renamed.clone(),
                values: renamed
                    .fields()
                    .iter()
                    .zip(&s.values)
                    .map(|(field, v)| field_value(field, v, self.with_default))
                    .collect(),
            }),
            other => other.clone(),
        };
        Ok(Some(record.with_side(self.side, Some(renamed), value)))
    }
}

/// `Requirements.requireSchema`'s error.
fn schema_required() -> ConnectError {
    ConnectError::data(format!("Schema required for [{PURPOSE}]"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::*;
    use proptest::prelude::*;

    fn set(pairs: &[(&str, &str)], side: Side) -> SetSchemaMetadata {
        SetSchemaMetadata::new(&config(pairs), side).expect("valid config")
    }

    fn rows_of(schema: &SchemaRef) -> BoxedStrategy<Vec<Value>> {
        let row = if schema.optional {
            prop_oneof![1 => Just(Value::Null), 3 => struct_value(schema)].boxed()
        } else {
            struct_value(schema)
        };
        prop::collection::vec(row, 0..6).boxed()
    }

    fn configs() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
        prop_oneof![
            Just(vec![("schema.name", "com.example.Renamed")]),
            Just(vec![("schema.version", "42")]),
            Just(vec![
                ("schema.name", "y.Z"),
                ("schema.version", "7"),
                ("replace.null.with.default", "false")
            ]),
            Just(vec![(
                "schema.name",
                weir_formats::schema::DECIMAL_LOGICAL_NAME
            )]),
        ]
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference_schemad(
            (schema, values) in struct_schema().prop_flat_map(|s| (Just(s.clone()), rows_of(&s))),
            pairs in configs(),
            on_key in any::<bool>(),
        ) {
            let other = (None, vec![Value::Null; values.len()]);
            if on_key {
                check(&set(&pairs, Side::Key), (Some(schema), values), other, false)?;
            } else {
                check(&set(&pairs, Side::Value), other, (Some(schema), values), false)?;
            }
        }

        #[test]
        fn kernel_agrees_with_reference_schemaless(rows in schemaless_rows(), pairs in configs()) {
            let other = (None, vec![Value::Null; rows.len()]);
            check(&set(&pairs, Side::Value), other, (None, rows), false)?;
        }
    }

    #[test]
    fn primitive_schemas_are_renamed_and_logical_types_can_be_broken() {
        let set = set(
            &[("schema.name", "x.Y"), ("schema.version", "3")],
            Side::Key,
        );
        let int = Schema::new(SchemaKind::Int32).optional().into_ref();
        let values = vec![Value::Int32(1), Value::Null];
        check(
            &set,
            (Some(int), values),
            (None, vec![Value::Null; 2]),
            false,
        )
        .unwrap();
        // A Decimal renamed is plain BYTES holding a BigDecimal: every row fails to encode.
        let decimal = Schema::decimal(2).into_ref();
        let d = Value::Decimal(weir_formats::value::Decimal {
            unscaled: 1,
            scale: 2,
        });
        check(
            &set,
            (Some(decimal), vec![d]),
            (None, vec![Value::Null]),
            false,
        )
        .unwrap();
    }

    #[test]
    fn config_errors_match_kafka() {
        let error = |pairs: &[(&str, &str)]| {
            SetSchemaMetadata::new(&config(pairs), Side::Value).unwrap_err()
        };
        assert_eq!(
            error(&[]).message,
            "Neither schema name nor version configured"
        );
        assert_eq!(
            error(&[("schema.version", "x")]).message,
            "Invalid value x for configuration schema.version: Not a number of type INT"
        );
        assert_eq!(
            error(&[
                ("schema.name", "a"),
                ("replace.null.with.default", "perhaps")
            ])
            .key,
            "replace.null.with.default"
        );
        assert!(SetSchemaMetadata::new(&config(&[("schema.version", " 5 ")]), Side::Key).is_ok());
    }
}
