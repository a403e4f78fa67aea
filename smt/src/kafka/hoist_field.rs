//! `HoistField$Key` / `HoistField$Value`: wraps the key or value in a one-field struct (schema'd)
//! or map (schemaless) under `field` (Kafka's `HoistField.java`).
//!
//! The kernel never touches row data: the input array becomes the only child of a new
//! StructArray. The wrapping schema and its Arrow fields are computed once per input schema. A
//! null input becomes a struct holding null, which fails where the input schema is required, as
//! Kafka's `Struct.put` does.

use std::convert::Infallible;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray};
use arrow_buffer::BooleanBuffer;
use arrow_schema::{Field as ArrowField, Fields};
use weir_formats::arrow_mapping::arrow_field;
use weir_formats::batch::Column;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Schema, SchemaRef};
use weir_formats::value::{Struct, Value};

use crate::kernel::arrow_build::{arrow_failure, struct_array};
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::segment_output::side_column;
use crate::kernel::segment_output::{part_with, replace_side};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

/// HoistField, configured.
#[derive(Debug)]
pub struct HoistField {
    side: Side,
    field: String,
    schemas: SchemaCache<Result<Wrapping, ConnectError>>,
}

/// What wraps values of one input schema: the Connect schema and its Arrow fields. Kept per
/// input schema, not made per segment: converting the schema into Arrow fields was 11,000
/// instructions a segment on the Avro benchmark chain, more than the rest of the segment's
/// hoisting, and dropping them cost more again (callgrind, 500-record batches).
#[derive(Debug)]
struct Wrapping {
    schema: SchemaRef,
    fields: Fields,
}

impl HoistField {
    /// Reads `field` (required).
    pub fn new(config: &TransformConfig, side: Side) -> Result<HoistField, ConfigProblem> {
        Ok(HoistField {
            side,
            field: config.required_string("field")?,
            schemas: SchemaCache::default(),
        })
    }

    /// `SchemaBuilder.struct().field(field, schema).build()`.
    fn wrapping_schema(&self, schema: &SchemaRef) -> Result<SchemaRef, ConnectError> {
        if self.field.is_empty() {
            return Err(ConnectError::data("fieldName cannot be null."));
        }
        Ok(Schema::structure([(self.field.clone(), schema.clone())]).into_ref())
    }

    /// `Struct.put(field, null)`'s error for a required schema.
    fn required_null(&self, schema: &Schema) -> ConnectError {
        ConnectError::data(format!(
            "Invalid value: null used for required field: \"{}\", schema type: {}",
            self.field,
            schema.type_name()
        ))
    }

    /// The wrapping of `schema`, made once per distinct input schema.
    fn wrapping(&self, schema: &SchemaRef) -> Arc<Result<Wrapping, ConnectError>> {
        let made = self.schemas.get_or_try::<Infallible>(schema, || {
            Ok(self.wrapping_schema(schema).map(|wrapped| Wrapping {
                schema: wrapped,
                fields: Fields::from(vec![arrow_field(&self.field, schema)]),
            }))
        });
        match made {
            Ok(wrapping) => wrapping,
            Err(never) => match never {},
        }
    }

    fn apply_schema(&self, input: &SegmentInput<'_>, schema: &SchemaRef) -> SegmentOutput {
        let n = input.rows.len();
        let wrapping = self.wrapping(schema);
        let (wrapped, fields) = match wrapping.as_ref() {
            Ok(w) => (w.schema.clone(), &w.fields),
            Err(e) => return SegmentOutput::all_failed(n, e),
        };
        let data = &side_column(input, self.side).data;
        if schema.optional || data.null_count() == 0 {
            return match wrap(fields, data) {
                Ok(array) => replace_side(input, self.side, Some(wrapped), array),
                Err(e) => SegmentOutput::all_failed(n, &e),
            };
        }
        // Null rows of a required schema fail; the others are wrapped.
        let valid = BooleanArray::new(
            data.nulls()
                .map_or_else(|| BooleanBuffer::new_set(n), |v| v.inner().clone()),
            None,
        );
        let mut output = SegmentOutput::default();
        let indices: Vec<u32> = (0..n as u32).filter(|&i| valid.value(i as usize)).collect();
        output.errors = (0..n as u32)
            .filter(|&i| !valid.value(i as usize))
            .map(|i| (i, self.required_null(schema)))
            .collect();
        let part = arrow_select::filter::filter(data.as_ref(), &valid)
            .map_err(arrow_failure)
            .and_then(|kept| wrap(fields, &kept))
            .and_then(|array| {
                let column = Column {
                    schema: Some(wrapped),
                    data: array,
                };
                part_with(input, self.side, indices.clone(), column)
            });
        match part {
            Ok(part) if !indices.is_empty() => output.parts.push(part),
            Ok(_) => {}
            Err(e) => output.errors = (0..n as u32).map(|i| (i, e.clone())).collect(),
        }
        output
    }

    fn apply_schemaless(&self, input: &SegmentInput<'_>) -> SegmentOutput {
        let data = &side_column(input, self.side).data;
        let field = ArrowField::new(self.field.clone(), data.data_type().clone(), true);
        match wrap(&Fields::from(vec![field]), data) {
            Ok(array) => replace_side(input, self.side, None, array),
            Err(e) => SegmentOutput::all_failed(input.rows.len(), &e),
        }
    }
}

/// A StructArray of `fields` (one) with `data` as its only child, no row null. Cost: no row data
/// copied.
fn wrap(fields: &Fields, data: &ArrayRef) -> Result<ArrayRef, ConnectError> {
    let array = struct_array(fields.clone(), vec![data.clone()], None, data.len())
        .map_err(arrow_failure)?;
    Ok(Arc::new(array))
}

impl Transform for HoistField {
    /// Only its own side.
    fn touches(&self, side: Side) -> bool {
        side == self.side
    }

    /// No header: it reads and writes the record's fields and metadata only.
    fn header_use(&self) -> crate::HeaderUse {
        crate::HeaderUse::NONE
    }

    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        match side_column(&input, self.side).schema.clone() {
            Some(schema) => self.apply_schema(&input, &schema),
            None => self.apply_schemaless(&input),
        }
    }

    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let (schema, value) = record.side(self.side);
        let value = value.clone();
        let Some(schema) = schema.cloned() else {
            let map = Value::Map(vec![(Value::String(self.field.clone()), value)]);
            return Ok(Some(record.with_side(self.side, None, map)));
        };
        let wrapped = self.wrapping_schema(&schema)?;
        if value.is_null() && !schema.optional {
            return Err(self.required_null(&schema));
        }
        let hoisted = Value::Struct(Struct {
            schema: wrapped.clone(),
            values: vec![value],
        });
        Ok(Some(record.with_side(self.side, Some(wrapped), hoisted)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::*;
    use proptest::prelude::*;
    use weir_formats::schema::SchemaKind;

    fn hoist(field: &str, side: Side) -> HoistField {
        HoistField::new(&config(&[("field", field)]), side).expect("valid config")
    }

    fn rows_of(schema: &SchemaRef) -> BoxedStrategy<Vec<Value>> {
        let row = if schema.optional {
            prop_oneof![1 => Just(Value::Null), 3 => struct_value(schema)].boxed()
        } else {
            prop_oneof![1 => Just(Value::Null), 5 => struct_value(schema)].boxed()
        };
        prop::collection::vec(row, 0..6).boxed()
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference_schemad(
            (schema, values) in struct_schema().prop_flat_map(|s| (Just(s.clone()), rows_of(&s))),
            on_key in any::<bool>(),
        ) {
            let other = (None, vec![Value::Null; values.len()]);
            if on_key {
                check(&hoist("w", Side::Key), (Some(schema), values), other, false)?;
            } else {
                check(&hoist("w", Side::Value), other, (Some(schema), values), false)?;
            }
        }

        #[test]
        fn kernel_agrees_with_reference_schemaless(rows in schemaless_rows(), on_key in any::<bool>()) {
            let other = (None, vec![Value::Null; rows.len()]);
            if on_key {
                check(&hoist("w", Side::Key), (None, rows), other, false)?;
            } else {
                check(&hoist("w", Side::Value), other, (None, rows), false)?;
            }
        }
    }

    #[test]
    fn required_primitive_nulls_fail_and_optional_nulls_are_wrapped() {
        let required = Schema::new(SchemaKind::String).into_ref();
        let values = vec![Value::String("k".into()), Value::Null];
        let hoist = hoist("k", Side::Key);
        check(
            &hoist,
            (Some(required.clone()), values.clone()),
            (None, vec![Value::Null; 2]),
            false,
        )
        .unwrap();
        let optional = Schema::new(SchemaKind::String).optional().into_ref();
        check(
            &hoist,
            (Some(optional), values),
            (None, vec![Value::Null; 2]),
            false,
        )
        .unwrap();
        let record = ConnectRecord {
            key_schema: Some(required),
            ..value_record(None, Value::Null)
        };
        assert_eq!(
            hoist.apply_record(record).unwrap_err().message,
            "Invalid value: null used for required field: \"k\", schema type: STRING"
        );
    }

    #[test]
    fn an_empty_field_name_fails_schemad_records_only() {
        let hoist = hoist("", Side::Value);
        let schema = Schema::new(SchemaKind::Int32).into_ref();
        check(
            &hoist,
            (None, vec![Value::Null]),
            (Some(schema), vec![Value::Int32(1)]),
            false,
        )
        .unwrap();
        check(
            &hoist,
            (None, vec![Value::Null]),
            (None, vec![Value::Int64(1)]),
            false,
        )
        .unwrap();
    }

    #[test]
    fn config_errors_match_kafka() {
        assert_eq!(
            HoistField::new(&config(&[]), Side::Value).unwrap_err(),
            ConfigProblem::missing("field")
        );
    }
}
