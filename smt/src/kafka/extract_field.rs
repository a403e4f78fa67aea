//! `ExtractField$Key` / `ExtractField$Value`: replaces the key or value with one of its fields,
//! reached by a KIP-821 path (Kafka's `ExtractField.java`). Null keys and values pass as null.
//!
//! Schema'd: the path is resolved once per input schema (the output schema is the field's
//! schema); per segment the field's child array is taken as it is, with its ancestors' nulls
//! and, under `replace.null.with.default`, its schema default where it is null (intermediate
//! steps always apply defaults, as Kafka's `Struct.get` does). Schemaless: the same walk over
//! the map's struct columns by name; a missing name gives null.
//!
//! This file also holds what ExtractField, HoistField, Flatten and SetSchemaMetadata share: the
//! null-mask union and default filling over Arrow children, assembling output parts, and the
//! shape-grouping per-row fallback for schemaless data that does not fit a column (raw-JSON
//! children they must look inside).

use std::convert::Infallible;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, NullArray, StructArray};
use arrow_buffer::NullBuffer;
use arrow_schema::DataType;
use weir_formats::arrow_mapping::META_RAW_JSON;
use weir_formats::batch::Column;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, SchemaKind, SchemaRef};
use weir_formats::value::Value;

use crate::kernel::arrow_build::with_nulls;
use crate::kernel::defaults::fill_default;
use crate::kernel::field_path::{FieldSyntaxVersion, SingleFieldPath};
use crate::kernel::per_row::{per_row, per_row_by_shape};
use crate::kernel::requirements::{require_map_error, require_struct_error};
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::segment_output::{replace_side, side_column};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

const PURPOSE: &str = "field extraction";

/// What a schema'd input resolves the path to: the child index and field at every step, or
/// Kafka's error (an unknown field, a step into a non-struct).
type Resolution = Result<Vec<(usize, Field)>, ConnectError>;

/// ExtractField, configured.
#[derive(Debug)]
pub struct ExtractField {
    side: Side,
    original: String,
    path: SingleFieldPath,
    with_default: bool,
    plans: SchemaCache<Resolution>,
}

impl ExtractField {
    /// Reads `field` (required), `replace.null.with.default` (true) and `field.syntax.version`
    /// (V1), in Kafka's definition order, then parses the path.
    pub fn new(config: &TransformConfig, side: Side) -> Result<ExtractField, ConfigProblem> {
        let original = config.required_string("field")?;
        let with_default = config.boolean_or("replace.null.with.default", true)?;
        let version = FieldSyntaxVersion::from_config(config)?;
        let path = SingleFieldPath::parse(&original, version, "field")?;
        Ok(ExtractField {
            side,
            original,
            path,
            with_default,
            plans: SchemaCache::default(),
        })
    }

    fn unknown_field(&self) -> ConnectError {
        // Kafka throws IllegalArgumentException here; weir has one class for row errors.
        ConnectError::data(format!("Unknown field: {}", self.original))
    }

    /// The path in `schema`, with the field index at every step. Cost: one lookup per step.
    fn resolve(&self, schema: &SchemaRef) -> Resolution {
        // `fieldFrom` first, for Kafka's errors; then the indices along the same steps.
        self.path
            .field_from(schema)?
            .ok_or_else(|| self.unknown_field())?;
        let mut current = schema.as_ref();
        let mut steps = Vec::with_capacity(self.path.steps().len());
        for step in self.path.steps() {
            let Some((index, field)) = current.field(step) else {
                return Err(self.unknown_field());
            };
            steps.push((index, field.clone()));
            current = &field.schema;
        }
        Ok(steps)
    }

    fn apply_schema(
        &self,
        input: &SegmentInput<'_>,
        schema: &SchemaRef,
        column: &Column,
    ) -> SegmentOutput {
        let n = input.rows.len();
        let Some(top) = column
            .data
            .as_struct_opt()
            .filter(|_| matches!(schema.kind, SchemaKind::Struct(_)))
        else {
            // Not a STRUCT: Kafka's requireStruct / non-struct lookup errors, row by row.
            return per_row(input, self.side, self);
        };
        let plan = match self
            .plans
            .get_or_try::<Infallible>(schema, || Ok(self.resolve(schema)))
        {
            Ok(plan) => plan,
            Err(never) => match never {},
        };
        let steps = match plan.as_ref() {
            Ok(steps) => steps,
            Err(e) => return SegmentOutput::all_failed(n, e),
        };
        match self.walk_struct(top, steps) {
            Ok((field, data)) => replace_side(input, self.side, Some(field.schema.clone()), data),
            Err(e) => SegmentOutput::all_failed(n, &e),
        }
    }

    /// The field at `steps` below `top`: null where an ancestor is, defaults as Kafka applies
    /// them. Cost: per step one child lookup, a null-mask union, a zip where a default fills.
    fn walk_struct<'p>(
        &self,
        top: &StructArray,
        steps: &'p [(usize, Field)],
    ) -> Result<(&'p Field, ArrayRef), ConnectError> {
        let Some(((last_index, last), init)) = steps.split_last() else {
            return Err(self.unknown_field());
        };
        let mut current = top.clone();
        let mut nulls = top.nulls().cloned();
        for (index, field) in init {
            let child = column_at(&current, *index)?;
            let child = fill_default(&field.schema, &child)?;
            nulls = NullBuffer::union(nulls.as_ref(), child.logical_nulls().as_ref());
            current = child
                .as_struct_opt()
                .cloned()
                .ok_or_else(|| ConnectError::data("a STRUCT field without a struct column"))?;
        }
        let child = column_at(&current, *last_index)?;
        let child = if self.with_default {
            fill_default(&last.schema, &child)?
        } else {
            child
        };
        Ok((last, with_nulls(&child, nulls.as_ref())?))
    }

    /// Schemaless: the columnar walk where every step is a struct column by name, else the
    /// per-row fallback (raw-JSON or non-map data).
    fn apply_schemaless(&self, input: &SegmentInput<'_>, column: &Column) -> SegmentOutput {
        match self.walk_schemaless(&column.data) {
            Some(Ok(data)) => replace_side(input, self.side, None, data),
            Some(Err(e)) => SegmentOutput::all_failed(input.rows.len(), &e),
            // Raw JSON, Arrow maps, non-map values: the result's type can differ per row.
            None => per_row_by_shape(input, self.side, self),
        }
    }

    /// The extracted schemaless column, or `None` when the data needs the per-row fallback.
    fn walk_schemaless(&self, data: &ArrayRef) -> Option<Result<ArrayRef, ConnectError>> {
        if data.data_type() == &DataType::Null {
            return Some(Ok(data.clone()));
        }
        let steps = self.path.steps();
        let (last, init) = steps.split_last()?;
        let mut current = data.as_struct_opt()?.clone();
        let mut nulls = current.nulls().cloned();
        for step in init {
            let child = match schemaless_child(&current, step)? {
                Some(child) => child,
                None => return Some(Ok(all_null(data.len()))),
            };
            if child.data_type() == &DataType::Null {
                return Some(Ok(all_null(data.len())));
            }
            nulls = NullBuffer::union(nulls.as_ref(), child.nulls());
            current = child.as_struct_opt()?.clone();
        }
        Some(match schemaless_child(&current, last)? {
            Some(child) => with_nulls(&child, nulls.as_ref()),
            None => Ok(all_null(data.len())),
        })
    }

    fn record_schemaless(&self, value: &Value) -> Result<(Option<SchemaRef>, Value), ConnectError> {
        match value {
            Value::Null => Ok((None, Value::Null)),
            Value::Map(entries) => Ok((None, self.path.value_from_map(entries)?)),
            other => Err(require_map_error(PURPOSE, other)),
        }
    }

    fn record_with_schema(
        &self,
        schema: &SchemaRef,
        value: &Value,
    ) -> Result<(Option<SchemaRef>, Value), ConnectError> {
        let value = match value {
            Value::Null => None,
            Value::Struct(s) => Some(s),
            other => return Err(require_struct_error(PURPOSE, other)),
        };
        let field = self
            .path
            .field_from(schema)?
            .ok_or_else(|| self.unknown_field())?;
        let extracted = match value {
            Some(s) => self.path.value_from_struct(s, self.with_default)?,
            None => Value::Null,
        };
        Ok((Some(field.schema.clone()), extracted))
    }
}

impl Transform for ExtractField {
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
            Some(schema) => self.apply_schema(&input, schema, &column),
            None => self.apply_schemaless(&input, &column),
        }
    }

    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let (schema, value) = record.side(self.side);
        let (schema, value) = match schema {
            None => self.record_schemaless(value)?,
            Some(schema) => self.record_with_schema(&schema.clone(), value)?,
        };
        Ok(Some(record.with_side(self.side, schema, value)))
    }
}

/// Child `index` of a struct column.
fn column_at(array: &StructArray, index: usize) -> Result<ArrayRef, ConnectError> {
    array
        .columns()
        .get(index)
        .cloned()
        .ok_or_else(|| ConnectError::data("a struct column without the schema's field"))
}

/// The schemaless child called `name`: `Some(None)` when absent, `None` when it holds raw JSON
/// (its type differs per row).
fn schemaless_child(array: &StructArray, name: &str) -> Option<Option<ArrayRef>> {
    let DataType::Struct(fields) = array.data_type() else {
        return None;
    };
    match fields.iter().position(|f| f.name() == name) {
        None => Some(None),
        Some(i) if fields[i].metadata().contains_key(META_RAW_JSON) => None,
        Some(i) => Some(Some(array.column(i).clone())),
    }
}

fn all_null(len: usize) -> ArrayRef {
    Arc::new(NullArray::new(len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::*;
    use proptest::prelude::*;
    use weir_formats::schema::Schema;

    fn extract(pairs: &[(&str, &str)], side: Side) -> ExtractField {
        ExtractField::new(&config(pairs), side).expect("valid config")
    }

    fn s(kind: SchemaKind) -> Schema {
        Schema::new(kind)
    }

    const PATHS: [&str; 6] = ["a", "n", "n.a", "n.b", "n.zz", "zz.a"];

    proptest! {
        #[test]
        fn kernel_agrees_with_reference_schemad(
            schema in nested_rows(true),
            path in prop::sample::select(PATHS.to_vec()),
            v2 in any::<bool>(),
            with_default in any::<bool>(),
            on_key in any::<bool>(),
        ) {
            let (schema, values) = schema;
            let version = if v2 { "V2" } else { "V1" };
            let default = if with_default { "true" } else { "false" };
            let pairs = [("field", path), ("field.syntax.version", version), ("replace.null.with.default", default)];
            let other = (None, vec![Value::Null; values.len()]);
            if on_key {
                check(&extract(&pairs, Side::Key), (Some(schema), values), other, false)?;
            } else {
                check(&extract(&pairs, Side::Value), other, (Some(schema), values), false)?;
            }
        }

        #[test]
        fn kernel_agrees_with_reference_schemaless(
            rows in prop_oneof![nested_schemaless(), schemaless_rows()],
            tombstones in prop::collection::vec(any::<bool>(), 6),
            path in prop::sample::select(PATHS.to_vec()),
            v2 in any::<bool>(),
        ) {
            let rows: Vec<Value> = rows.into_iter().zip(tombstones).map(|(r, t)| if t { Value::Null } else { r }).collect();
            let version = if v2 { "V2" } else { "V1" };
            let pairs = [("field", path), ("field.syntax.version", version)];
            let other = (None, vec![Value::Null; rows.len()]);
            check(&extract(&pairs, Side::Value), other, (None, rows), false)?;
        }
    }

    #[test]
    fn raw_json_children_give_one_part_per_shape() {
        let rows = vec![
            map(&[("v", Value::Int64(1))]),
            map(&[("v", Value::String("x".into()))]),
            map(&[("v", Value::Int64(2))]),
            map(&[("v", Value::Null)]),
            map(&[("v", map(&[("a", Value::Int64(1))]))]),
        ];
        let column = crate::record::column_of(None, &rows).unwrap();
        let key = crate::record::column_of(None, &vec![Value::Null; 5]).unwrap();
        let rows_idx: Vec<u32> = (0..5).collect();
        let mut meta = meta(5, false);
        let input = SegmentInput {
            rows: &rows_idx,
            key: &key,
            value: &column,
            meta: &mut meta,
        };
        let output = extract(&[("field", "v")], Side::Value).apply(input);
        let parts: Vec<Vec<u32>> = output.parts.iter().map(|p| p.indices.clone()).collect();
        assert_eq!(parts, vec![vec![0, 2, 3], vec![1], vec![4]]);
        assert!(output.errors.is_empty());
    }

    #[test]
    fn non_struct_schemas_fail_like_kafka() {
        let schema = s(SchemaKind::Int32).optional().into_ref();
        let extract = extract(&[("field", "a")], Side::Value);
        let record = |value| value_record(Some(schema.clone()), value);
        assert_eq!(
            extract
                .apply_record(record(Value::Int32(1)))
                .unwrap_err()
                .message,
            "Only Struct objects supported for [field extraction], found: java.lang.Integer"
        );
        assert_eq!(
            extract
                .apply_record(record(Value::Null))
                .unwrap_err()
                .message,
            "Cannot look up fields on non-struct type"
        );
        check(
            &extract,
            (None, vec![Value::Null; 2]),
            (Some(schema.clone()), vec![Value::Int32(1), Value::Null]),
            false,
        )
        .unwrap();
    }

    #[test]
    fn unknown_fields_fail_every_row_with_the_configured_path() {
        let schema = Schema::structure([("a".to_string(), s(SchemaKind::Int32).into_ref())])
            .optional()
            .into_ref();
        let extract = extract(&[("field", "a.b")], Side::Value);
        let record = value_record(Some(schema), Value::Null);
        assert_eq!(
            extract.apply_record(record).unwrap_err().message,
            "Unknown field: a.b"
        );
    }

    #[test]
    fn schemaless_intermediate_non_maps_fail_nested_access() {
        let extract = extract(
            &[("field", "a.b"), ("field.syntax.version", "v2")],
            Side::Value,
        );
        let rows = vec![
            map(&[("a", Value::Int64(1))]),
            map(&[("a", Value::Null)]),
            Value::Null,
        ];
        check(&extract, (None, vec![Value::Null; 3]), (None, rows), false).unwrap();
        let error = extract
            .record_schemaless(&map(&[("a", Value::Int64(1))]))
            .unwrap_err();
        assert_eq!(
            error.message,
            "Only Map objects supported in absence of schema for [nested field access], found: java.lang.Long"
        );
    }

    #[test]
    fn config_errors_match_kafka() {
        let error =
            |pairs: &[(&str, &str)]| ExtractField::new(&config(pairs), Side::Value).unwrap_err();
        assert_eq!(error(&[]), ConfigProblem::missing("field"));
        let bad_bool = error(&[("field", "a"), ("replace.null.with.default", "perhaps")]);
        assert_eq!(bad_bool.key, "replace.null.with.default");
        let bad_version = error(&[("field", "a"), ("field.syntax.version", "V3")]);
        assert_eq!(
            bad_version.message,
            "Invalid value V3 for configuration field.syntax.version: String must be one of (case insensitive): V1, V2"
        );
        let backtick = error(&[("field", "`a"), ("field.syntax.version", "V2")]);
        assert_eq!(backtick.key, "field");
        assert!(backtick
            .message
            .starts_with("Incomplete backtick pair in path: [`a]"));
        // V1 takes any text as one name.
        assert!(ExtractField::new(&config(&[("field", "`a")]), Side::Value).is_ok());
    }
}
