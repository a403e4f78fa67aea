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
use arrow_array::{
    make_array, Array, ArrayRef, BooleanArray, NullArray, Scalar, StructArray, UInt32Array,
};
use arrow_buffer::NullBuffer;
use arrow_schema::DataType;
use weir_formats::arrow_mapping::META_RAW_JSON;
use weir_formats::batch::Column;
use weir_formats::decimal_column::alike;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::Value;
use weir_formats::value_array::{value_at, values_to_array};

use crate::kernel::field_path::{FieldSyntaxVersion, SingleFieldPath};
use crate::kafka::insert_field::{arrow_failure, assemble, per_row, side_column, RowOutcome};
use crate::record::{records_of, ConnectRecord};
use crate::transform::{OutputPart, SegmentInput, SegmentOutput, Transform};
use crate::kernel::util::{require_map_error, require_struct_error, SchemaCache};
use crate::{ConfigProblem, Side, TransformConfig};

const PURPOSE: &str = "field extraction";

/// `ExtractField$Key`.
pub fn build_key(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(ExtractField::new(config, Side::Key)?))
}

/// `ExtractField$Value`.
pub fn build_value(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(ExtractField::new(config, Side::Value)?))
}

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

// ---------------------------------------------------------------------------------------------
// Shared by ExtractField, Flatten, HoistField and SetSchemaMetadata.

/// `array` with its rows also null where `nulls` says (the union of both). Cost: one bitmap AND,
/// no row data touched.
pub(crate) fn with_nulls(
    array: &ArrayRef,
    nulls: Option<&NullBuffer>,
) -> Result<ArrayRef, ConnectError> {
    if nulls.is_none_or(|n| n.null_count() == 0) || array.data_type() == &DataType::Null {
        return Ok(array.clone());
    }
    let combined = NullBuffer::union(array.nulls(), nulls);
    let data = array
        .to_data()
        .into_builder()
        .nulls(combined)
        .build()
        .map_err(arrow_failure)?;
    Ok(make_array(data))
}

/// `child` with `schema`'s default where it is null (`Struct.get`). A STRUCT default is built
/// with its own schema (a default cannot hold the schema that holds it; the Arrow type is the
/// same). Cost: nothing without a default or without nulls; otherwise one `zip`.
pub(crate) fn fill_default(schema: &Schema, child: &ArrayRef) -> Result<ArrayRef, ConnectError> {
    let (Some(default), Some(nulls)) = (&schema.default, child.logical_nulls()) else {
        return Ok(child.clone());
    };
    if nulls.null_count() == 0 {
        return Ok(child.clone());
    }
    let own = match default {
        Value::Struct(s) => s.schema.clone(),
        _ => Arc::new(Schema {
            default: None,
            ..schema.clone()
        }),
    };
    let one = values_to_array(Some(&own), std::slice::from_ref(default))?;
    let (child, one) = alike(child, &one);
    let valid = BooleanArray::new(nulls.inner().clone(), None);
    arrow_select::zip::zip(&valid, &child, &Scalar::new(one)).map_err(arrow_failure)
}

/// A segment's output where every row kept, its `side` replaced by `schema` and `data`.
pub(crate) fn replace_side(
    input: &SegmentInput<'_>,
    side: Side,
    schema: Option<SchemaRef>,
    data: ArrayRef,
) -> SegmentOutput {
    let changed = Column { schema, data };
    let n = input.rows.len();
    match side {
        Side::Key => SegmentOutput::all(n, changed, input.value.clone()),
        Side::Value => SegmentOutput::all(n, input.key.clone(), changed),
    }
}

/// The output part of rows `indices` (ascending) whose `side` is `changed` (one entry per
/// index), the other side taken from the input. Cost: one `take` of the other side, none when
/// every row is kept.
pub(crate) fn part_with(
    input: &SegmentInput<'_>,
    side: Side,
    indices: Vec<u32>,
    changed: Column,
) -> Result<OutputPart, ConnectError> {
    let other = match side {
        Side::Key => input.value,
        Side::Value => input.key,
    };
    let kept = if indices.len() == input.rows.len() {
        other.clone()
    } else {
        let take = UInt32Array::from(indices.clone());
        Column {
            schema: other.schema.clone(),
            data: arrow_select::take::take(other.data.as_ref(), &take, None)
                .map_err(arrow_failure)?,
        }
    };
    let (key, value) = match side {
        Side::Key => (changed, kept),
        Side::Value => (kept, changed),
    };
    Ok(OutputPart {
        indices,
        key,
        value,
    })
}

/// Every non-null row fails with `error(value)`; null rows (by logical nulls, so an all-null
/// `NullArray` counts) pass unchanged. Cost: one `take` of each side for the null rows and a
/// value tree per failing row (error paths only).
pub(crate) fn fail_non_null_rows(
    input: &SegmentInput<'_>,
    side: Side,
    error: impl Fn(&Value) -> ConnectError,
) -> SegmentOutput {
    let column = side_column(input, side);
    let nulls = column.data.logical_nulls();
    let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
    let mut output = SegmentOutput::default();
    let mut kept = Vec::new();
    for i in 0..input.rows.len() {
        if is_null(i) {
            kept.push(i as u32);
        } else {
            let value = value_at(column.schema.as_ref(), column.data.as_ref(), i);
            output.errors.push((i as u32, error(&value)));
        }
    }
    if kept.is_empty() {
        return output;
    }
    let take = UInt32Array::from(kept.clone());
    let part = arrow_select::take::take(column.data.as_ref(), &take, None)
        .map_err(arrow_failure)
        .and_then(|data| {
            let changed = Column {
                schema: column.schema.clone(),
                data,
            };
            part_with(input, side, kept.clone(), changed)
        });
    match part {
        Ok(part) => output.parts.push(part),
        Err(e) => output
            .errors
            .extend(kept.into_iter().map(|i| (i, e.clone()))),
    }
    output.errors.sort_by_key(|(i, _)| *i);
    output
}

/// The per-row fallback for schemaless results whose shape differs per row: every row through
/// the reference, grouped by the shape of its `side` (top-level class, and key set for maps),
/// one output part per shape. Used only where the data does not fit a transform's columnar path
/// (raw-JSON children it must look inside, non-map values). Cost: a value tree per row and one
/// column build per shape.
pub(crate) fn per_row_by_shape(
    input: &SegmentInput<'_>,
    side: Side,
    transform: &dyn Transform,
) -> SegmentOutput {
    let n = input.rows.len();
    let mut groups: Vec<(Option<SchemaRef>, Option<String>, Vec<Value>)> = Vec::new();
    let mut outcomes = Vec::with_capacity(n);
    let mut dropped = Vec::new();
    for (i, record) in records_of(input).into_iter().enumerate() {
        match transform.apply_record(record) {
            Ok(Some(record)) => {
                let (schema, value) = record.side(side);
                let k = group_of(&mut groups, schema, value, n);
                groups[k].2[i] = value.clone();
                outcomes.push(RowOutcome::Part(k));
            }
            Ok(None) => {
                dropped.push(i as u32);
                outcomes.push(RowOutcome::Part(usize::MAX));
            }
            Err(e) => outcomes.push(RowOutcome::Failed(e)),
        }
    }
    let mut candidates = Vec::with_capacity(groups.len());
    for (k, (schema, _, values)) in groups.into_iter().enumerate() {
        match values_to_array(schema.as_ref(), &values) {
            Ok(data) => candidates.push(Column { schema, data }),
            Err(e) => {
                for outcome in outcomes.iter_mut() {
                    if matches!(outcome, RowOutcome::Part(g) if *g == k) {
                        *outcome = RowOutcome::Failed(e.clone());
                    }
                }
                candidates.push(side_column(input, side).clone());
            }
        }
    }
    let mut output = assemble(input, side, candidates, outcomes);
    // Dropped rows were marked with a group that does not exist; `assemble` reports them.
    output
        .errors
        .retain(|(i, _)| dropped.binary_search(i).is_err());
    output.dropped = dropped;
    output
}

/// The group (index) for a row's result; a null value joins any group of its schema.
fn group_of(
    groups: &mut Vec<(Option<SchemaRef>, Option<String>, Vec<Value>)>,
    schema: Option<&SchemaRef>,
    value: &Value,
    n: usize,
) -> usize {
    let shape = if schema.is_some() {
        Some(String::new())
    } else {
        shape_key(value)
    };
    let found = groups.iter().position(|(s, k, _)| {
        s.as_ref() == schema && (shape.is_none() || k.is_none() || *k == shape)
    });
    match found {
        Some(k) => {
            if groups[k].1.is_none() {
                groups[k].1 = shape;
            }
            k
        }
        None => {
            groups.push((schema.cloned(), shape, vec![Value::Null; n]));
            groups.len() - 1
        }
    }
}

/// What schemaless values must share to make one column: the top-level class, the key set of
/// string-keyed maps (any order), the scale of decimals; `None` for null, which fits any.
fn shape_key(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => return None,
        Value::Map(entries) => {
            let mut keys = Vec::with_capacity(entries.len());
            for (k, _) in entries {
                match k {
                    Value::String(s) if !keys.contains(&s.as_str()) => keys.push(s.as_str()),
                    _ => return Some("map".to_string()),
                }
            }
            keys.sort_unstable();
            format!("{{{}}}", keys.join("\u{0}"))
        }
        Value::Decimal(d) => format!("decimal{}", d.scale),
        other => other.java_class().to_string(),
    })
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Generators of nested records, shared by the path-walking transforms' tests.

    use super::*;
    use crate::kafka::insert_field::test_support::*;
    use proptest::prelude::*;
    use weir_formats::value::Struct;

    /// `schema` without its MAP fields.
    pub fn strip_maps(schema: &SchemaRef) -> SchemaRef {
        let fields = schema
            .fields()
            .iter()
            .filter(|f| !matches!(f.schema.kind, SchemaKind::Map(..)))
            .cloned()
            .collect();
        Arc::new(Schema {
            kind: SchemaKind::Struct(fields),
            ..(**schema).clone()
        })
    }

    pub fn map(entries: &[(&str, Value)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| (Value::String(k.to_string()), v.clone()))
                .collect(),
        )
    }

    /// A struct schema with a nested optional struct `n` (some fields with defaults; MAP fields
    /// only with `keep_maps`), and rows
    /// of it (tombstones where it is optional). No STRUCT defaults: a default cannot hold the
    /// schema that holds it, so Kafka cannot build one.
    pub fn nested_rows(keep_maps: bool) -> impl Strategy<Value = (SchemaRef, Vec<Value>)> {
        (struct_schema(), struct_schema()).prop_flat_map(move |(outer, inner)| {
            let (outer, inner) = if keep_maps {
                (outer, inner)
            } else {
                (strip_maps(&outer), strip_maps(&inner))
            };
            let inner_schema = (*inner).clone().optional();
            let inner_ref = inner_schema.into_ref();
            let mut fields = outer.fields().to_vec();
            fields.push(Field {
                name: "n".to_string(),
                schema: inner_ref.clone(),
            });
            let schema: SchemaRef = Arc::new(Schema {
                kind: SchemaKind::Struct(fields),
                ..(*outer).clone()
            });
            let nested = prop_oneof![1 => Just(Value::Null), 3 => struct_value(&inner)];
            let row = (struct_value(&outer), nested, any::<bool>());
            let rows = prop::collection::vec(row, 0..6);
            let optional = schema.optional;
            (Just(schema.clone()), rows).prop_map(move |(schema, rows)| {
                let values = rows
                    .into_iter()
                    .map(|(outer_value, nested, tombstone)| {
                        let Value::Struct(mut outer_value) = outer_value else {
                            return Value::Null;
                        };
                        if tombstone && optional {
                            return Value::Null;
                        }
                        let nested = match nested {
                            Value::Struct(n) => Value::Struct(Struct {
                                schema: inner_ref.clone(),
                                values: n.values,
                            }),
                            other => other,
                        };
                        outer_value.values.push(nested);
                        Value::Struct(Struct {
                            schema: schema.clone(),
                            values: outer_value.values,
                        })
                    })
                    .collect();
                (schema, values)
            })
        })
    }

    /// Schemaless rows with a nested map `n` that is sometimes a map of a different key set,
    /// sometimes a number (a raw-JSON child), sometimes null.
    pub fn nested_schemaless() -> impl Strategy<Value = Vec<Value>> {
        let inner = prop_oneof![
            4 => (-5i64..5).prop_map(|v| map(&[("a", Value::Int64(v)), ("b", Value::Null)])),
            1 => (-5i64..5).prop_map(|v| map(&[("a", Value::String(v.to_string()))])),
            1 => (-5i64..5).prop_map(Value::Int64),
            1 => Just(Value::Null),
        ];
        (prop::collection::vec(inner, 0..6), any::<bool>()).prop_map(|(inner, uniform)| {
            inner
                .into_iter()
                .enumerate()
                .map(|(i, n)| {
                    let n = if uniform {
                        map(&[("a", Value::Int64(i as i64)), ("b", Value::Null)])
                    } else {
                        n
                    };
                    map(&[("id", Value::Int64(i as i64)), ("n", n)])
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use crate::kafka::insert_field::test_support::*;
    use proptest::prelude::*;

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
        let record = |value| ConnectRecord {
            topic: "t".into(),
            partition: 0,
            offset: 0,
            timestamp: None,
            key_schema: None,
            key: Value::Null,
            value_schema: Some(schema.clone()),
            value,
            headers: vec![],
        };
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
        let record = ConnectRecord {
            topic: "t".into(),
            partition: 0,
            offset: 0,
            timestamp: None,
            key_schema: None,
            key: Value::Null,
            value_schema: Some(schema),
            value: Value::Null,
            headers: vec![],
        };
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
