//! `Flatten$Key` / `Flatten$Value`: flattens nested structs (schema'd) or maps (schemaless) into
//! one level, joining the names with `delimiter` (Kafka's `Flatten.java`). Arrays and their
//! contents are kept as they are. A null key or value passes unchanged, schema and all.
//!
//! Schema'd: the flattened schema (a leaf is optional where any ancestor is; it takes its own
//! default or its ancestors' default struct's value) and the path of every leaf are computed
//! once per input schema; per segment every leaf's child array is taken as it is, with its
//! ancestors' nulls and its own default where it is null (Kafka's `Struct.get`). MAP fields are
//! Kafka's error. Schemaless: a null nested map becomes one null entry under its own name, so
//! rows are grouped by which nested maps are null, one output part per group; the leaves are
//! the input's child arrays. Raw-JSON children that may hold objects go through the per-row
//! fallback.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray, NullArray, StructArray, UInt32Array};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field as ArrowField, FieldRef, Fields};
use weir_formats::arrow_mapping::{struct_fields, META_RAW_JSON};
use weir_formats::batch::Column;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};

use crate::kernel::segment_output::{fail_non_null_rows, part_with, replace_side};

use crate::kernel::defaults::fill_default;

use crate::kernel::per_row::per_row_by_shape;

use crate::kernel::arrow_build::with_nulls;
use crate::kernel::arrow_build::{arrow_failure, struct_array};
use crate::kernel::defaults::field_value;
use crate::kernel::fields::{map_put, push_unique_named};
use crate::kernel::requirements::{require_map_error, require_struct_error};
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::segment_output::side_column;
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::{Side, TransformConfig};

const PURPOSE: &str = "flattening";

/// One leaf of a flattened schema: the child indices from the top struct down to it, and its
/// original field (whose default `Struct.get` applies).
#[derive(Debug)]
struct Leaf {
    path: Vec<usize>,
    source: Field,
}

/// The flattened schema of one input schema and its leaves, in output field order.
#[derive(Debug)]
struct Plan {
    schema: SchemaRef,
    fields: Fields,
    leaves: Vec<Leaf>,
}

/// Flatten, configured.
#[derive(Debug)]
pub struct Flatten {
    side: Side,
    delimiter: String,
    plans: SchemaCache<Result<Plan, ConnectError>>,
}

impl Flatten {
    /// Reads `delimiter` (default `.`).
    pub fn new(config: &TransformConfig, side: Side) -> Flatten {
        Flatten {
            side,
            delimiter: config.string_or("delimiter", "."),
            plans: SchemaCache::default(),
        }
    }

    fn field_name(&self, prefix: &str, name: &str) -> String {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}{}{name}", self.delimiter)
        }
    }

    // -----------------------------------------------------------------------------------------
    // Schema'd

    /// `buildUpdatedSchema` from the top: a required STRUCT with the input's name, version, doc
    /// and parameters. Cost: one walk of the schema.
    fn plan(&self, schema: &Schema) -> Result<Plan, ConnectError> {
        let mut fields = FieldsSoFar::default();
        let mut leaves = Vec::new();
        let parent_default = match &schema.default {
            Some(Value::Struct(s)) => Some(s),
            _ => None,
        };
        let mut path = Vec::new();
        let top = Level {
            prefix: "",
            optional: schema.optional,
            default: parent_default,
        };
        self.plan_fields(schema, top, &mut path, &mut fields, &mut leaves)?;
        let flattened = Schema {
            kind: SchemaKind::Struct(fields.0),
            optional: false,
            default: None,
            name: schema.name.clone(),
            version: schema.version,
            doc: schema.doc.clone(),
            parameters: schema.parameters.clone(),
        };
        Ok(Plan {
            fields: struct_fields(flattened.fields()),
            schema: flattened.into_ref(),
            leaves,
        })
    }

    fn plan_fields(
        &self,
        schema: &Schema,
        level: Level<'_>,
        path: &mut Vec<usize>,
        fields: &mut FieldsSoFar,
        leaves: &mut Vec<Leaf>,
    ) -> Result<(), ConnectError> {
        for (index, field) in schema.fields().iter().enumerate() {
            let name = self.field_name(level.prefix, &field.name);
            let optional = level.optional || field.schema.optional;
            let default = match (&field.schema.default, level.default) {
                (Some(own), _) => Some(own.clone()),
                (None, Some(parent)) => parent.values.get(index).cloned().filter(|v| !v.is_null()),
                (None, None) => None,
            };
            path.push(index);
            match &field.schema.kind {
                SchemaKind::Struct(_) => {
                    let default = match &default {
                        Some(Value::Struct(s)) => Some(s),
                        _ => None,
                    };
                    let inner = Level {
                        prefix: &name,
                        optional,
                        default,
                    };
                    self.plan_fields(&field.schema, inner, path, fields, leaves)?;
                }
                SchemaKind::Map(_, _) => {
                    return Err(ConnectError::data(format!(
                        "Flatten transformation does not support MAP for record with schemas \
                         (for field {name})."
                    )))
                }
                _ => {
                    let leaf = leaf_schema(&field.schema, optional, default);
                    add_field(fields, name, leaf)?;
                    leaves.push(Leaf {
                        path: path.clone(),
                        source: field.clone(),
                    });
                }
            }
            path.pop();
        }
        Ok(())
    }

    fn apply_schema(&self, input: &SegmentInput<'_>, schema: &SchemaRef) -> SegmentOutput {
        let column = side_column(input, self.side);
        let top = match column.data.as_struct_opt() {
            Some(top) if matches!(schema.kind, SchemaKind::Struct(_)) => top,
            _ => return fail_non_null_rows(input, self.side, |v| require_struct_error(PURPOSE, v)),
        };
        let plan = match self
            .plans
            .get_or_try::<Infallible>(schema, || Ok(self.plan(schema)))
        {
            Ok(plan) => plan,
            Err(never) => match never {},
        };
        let plan = match plan.as_ref() {
            Ok(plan) => plan,
            Err(e) => return fail_non_null_rows(input, self.side, |_| e.clone()),
        };
        match self.flatten_struct(plan, top) {
            Ok(data) => keep_null_rows(input, self.side, Some(plan.schema.clone()), data),
            Err(e) => SegmentOutput::all_failed(input.rows.len(), &e),
        }
    }

    /// The flattened column (null where the input row is). Cost: per leaf, one child lookup
    /// per level, a null-mask union and a zip where its default fills.
    fn flatten_struct(&self, plan: &Plan, top: &StructArray) -> Result<ArrayRef, ConnectError> {
        let children = plan
            .leaves
            .iter()
            .map(|leaf| leaf_column(top, leaf))
            .collect::<Result<Vec<_>, _>>()?;
        let array = struct_array(
            plan.fields.clone(),
            children,
            top.nulls().cloned(),
            top.len(),
        )
        .map_err(arrow_failure)?;
        Ok(Arc::new(array))
    }

    fn record_with_schema(
        &self,
        schema: &Schema,
        value: &Value,
    ) -> Result<(SchemaRef, Value), ConnectError> {
        let Value::Struct(value) = value else {
            return Err(require_struct_error(PURPOSE, value));
        };
        if !matches!(schema.kind, SchemaKind::Struct(_)) {
            return Err(require_struct_error(PURPOSE, &Value::Struct(value.clone())));
        }
        let plan = self.plan(schema)?;
        let mut values = vec![Value::Null; plan.schema.fields().len()];
        self.build_with_schema(Some(value), "", &plan.schema, &mut values);
        let flattened = Value::Struct(Struct {
            schema: plan.schema.clone(),
            values,
        });
        Ok((plan.schema, flattened))
    }

    /// `buildWithSchema`: every leaf's `Struct.get` into the flattened struct, by name; a null
    /// nested struct leaves its leaves null.
    fn build_with_schema(
        &self,
        value: Option<&Struct>,
        prefix: &str,
        flat: &Schema,
        out: &mut [Value],
    ) {
        let Some(value) = value else { return };
        for (field, v) in value.schema.fields().iter().zip(&value.values) {
            let name = self.field_name(prefix, &field.name);
            match v {
                Value::Struct(inner) => self.build_with_schema(Some(inner), &name, flat, out),
                Value::Null if matches!(field.schema.kind, SchemaKind::Struct(_)) => {}
                v => {
                    if let Some((index, _)) = flat.field(&name) {
                        out[index] = field_value(field, v, true);
                    }
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Schemaless

    fn apply_schemaless(&self, input: &SegmentInput<'_>) -> SegmentOutput {
        let column = side_column(input, self.side);
        if column.data.data_type() == &DataType::Null {
            return replace_side(input, self.side, None, column.data.clone());
        }
        let Some(top) = column.data.as_struct_opt() else {
            return match column.data.data_type() {
                // Maps with keys that are not distinct strings, row by row.
                DataType::Map(..) => per_row_by_shape(input, self.side, self),
                _ => fail_non_null_rows(input, self.side, |v| require_map_error(PURPOSE, v)),
            };
        };
        if !columnar_fits(top) {
            // Raw-JSON children that may hold objects, or values Kafka rejects: row by row.
            return per_row_by_shape(input, self.side, self);
        }
        match self.flatten_schemaless(input, top) {
            Ok(output) => output,
            Err(e) => SegmentOutput::all_failed(input.rows.len(), &e),
        }
    }

    /// Groups the non-null rows by which nested maps are null and flattens each group; null
    /// rows pass unchanged. Cost: one pass over the nested validity bitmaps per row when some
    /// nested map is null, one `take` per group then; otherwise no row data touched.
    fn flatten_schemaless(
        &self,
        input: &SegmentInput<'_>,
        top: &StructArray,
    ) -> Result<SegmentOutput, ConnectError> {
        let mut nodes = Vec::new();
        nullable_nodes(top, None, &mut nodes);
        let n = top.len();
        if nodes.is_empty() && top.null_count() == 0 {
            // One shape for every row: no row data touched.
            return Ok(replace_side(
                input,
                self.side,
                None,
                self.flatten_group(top)?,
            ));
        }
        let mut output = SegmentOutput::default();
        let mut null_rows = Vec::new();
        let mut groups: Vec<(Vec<bool>, Vec<u32>)> = Vec::new();
        let mut group_of: HashMap<Vec<bool>, usize> = HashMap::new();
        for row in 0..n {
            if top.is_null(row) {
                null_rows.push(row as u32);
                continue;
            }
            let key: Vec<bool> = nodes.iter().map(|node| node.is_valid(row)).collect();
            let k = *group_of.entry(key.clone()).or_insert_with(|| {
                groups.push((key, Vec::new()));
                groups.len() - 1
            });
            groups[k].1.push(row as u32);
        }
        for (_, rows) in groups {
            let part = if rows.len() == n {
                self.flatten_group(top)
            } else {
                let take = UInt32Array::from(rows.clone());
                let taken = arrow_select::take::take(top, &take, None).map_err(arrow_failure)?;
                self.flatten_group(taken.as_struct())
            };
            let changed = Column {
                schema: None,
                data: part?,
            };
            output
                .parts
                .push(part_with(input, self.side, rows, changed)?);
        }
        if !null_rows.is_empty() {
            let column = side_column(input, self.side);
            let take = UInt32Array::from(null_rows.clone());
            let data = arrow_select::take::take(column.data.as_ref(), &take, None)
                .map_err(arrow_failure)?;
            let changed = Column { schema: None, data };
            output
                .parts
                .push(part_with(input, self.side, null_rows, changed)?);
        }
        Ok(output)
    }

    /// The flattened struct of rows whose nested maps are each null in all rows or in none.
    fn flatten_group(&self, top: &StructArray) -> Result<ArrayRef, ConnectError> {
        let mut out = FlatColumns::default();
        self.flatten_level(top, "", &mut out);
        let (fields, columns): (Vec<FieldRef>, Vec<ArrayRef>) = out.columns.into_iter().unzip();
        let array =
            StructArray::try_new_with_length(Fields::from(fields), columns, None, top.len())
                .map_err(arrow_failure)?;
        Ok(Arc::new(array))
    }

    fn flatten_level(&self, array: &StructArray, prefix: &str, out: &mut FlatColumns) {
        let DataType::Struct(fields) = array.data_type() else {
            return;
        };
        for (field, child) in fields.iter().zip(array.columns()) {
            let name = self.field_name(prefix, field.name());
            match child.as_struct_opt() {
                Some(nested) if nested.len() > 0 && nested.null_count() == nested.len() => {
                    let null: ArrayRef = Arc::new(NullArray::new(array.len()));
                    out.put(ArrowField::new(name, DataType::Null, true), null);
                }
                Some(nested) => self.flatten_level(nested, &name, out),
                None => {
                    let renamed = field.as_ref().clone().with_name(name).with_nullable(true);
                    out.put(renamed, child.clone());
                }
            }
        }
    }

    /// `applySchemaless` over one map.
    fn flatten_map(
        &self,
        entries: &[(Value, Value)],
        prefix: &str,
        out: &mut Vec<(Value, Value)>,
    ) -> Result<(), ConnectError> {
        for (key, value) in entries {
            let Value::String(key) = key else {
                return Err(ConnectError::data(format!(
                    "class {} cannot be cast to class java.lang.String",
                    key.java_class()
                )));
            };
            let name = self.field_name(prefix, key);
            match value {
                Value::Map(inner) => self.flatten_map(inner, &name, out)?,
                Value::Struct(_) => {
                    return Err(ConnectError::data(format!(
                        "Flatten transformation does not support class {} for record without \
                         schemas (for field {name}).",
                        value.java_class()
                    )))
                }
                Value::Decimal(_) | Value::Date(_) => {
                    return Err(ConnectError::data(format!(
                        "Flatten transformation was passed a value of type class {} which is not \
                         supported by Connect's data API",
                        value.java_class()
                    )))
                }
                other => map_put(out, &name, other.clone()),
            }
        }
        Ok(())
    }
}

impl Transform for Flatten {
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
        if record.side(self.side).1.is_null() {
            return Ok(Some(record));
        }
        let schemaless = |value: &Value| {
            let Value::Map(entries) = value else {
                return Err(require_map_error(PURPOSE, value));
            };
            let mut out = Vec::new();
            self.flatten_map(entries, "", &mut out)?;
            Ok(Value::Map(out))
        };
        let (schema, value) = record.applied_side(self.side, schemaless, |schema, value| {
            self.record_with_schema(schema, value)
        })?;
        Ok(Some(record.with_side(self.side, schema, value)))
    }
}

/// Where a level of the schema walk is: the joined name so far, whether an ancestor is
/// optional, and the ancestors' default struct at this level.
#[derive(Debug, Clone, Copy)]
struct Level<'a> {
    prefix: &'a str,
    optional: bool,
    default: Option<&'a Struct>,
}

/// `convertFieldSchema`: the leaf's type, name, version, doc and parameters, optional where it
/// or an ancestor is, with its (or its ancestors') default.
fn leaf_schema(source: &Schema, optional: bool, default: Option<Value>) -> SchemaRef {
    Arc::new(Schema {
        kind: source.kind.clone(),
        optional,
        default,
        name: source.name.clone(),
        version: source.version,
        doc: source.doc.clone(),
        parameters: source.parameters.clone(),
    })
}

/// The flattened schema's fields so far, with their names (for the duplicate check).
type FieldsSoFar = (Vec<Field>, HashSet<String>);

/// `SchemaBuilder.field`: an empty name and a duplicate are Kafka's errors.
fn add_field(
    fields: &mut FieldsSoFar,
    name: String,
    schema: SchemaRef,
) -> Result<(), ConnectError> {
    if name.is_empty() {
        return Err(ConnectError::data("fieldName cannot be null."));
    }
    push_unique_named(&mut fields.0, &mut fields.1, Field { name, schema })
}

/// One leaf's column: the input child with its own default where null, null where an ancestor
/// is.
fn leaf_column(top: &StructArray, leaf: &Leaf) -> Result<ArrayRef, ConnectError> {
    let missing = || ConnectError::data("a struct column without the schema's field");
    let Some((last, init)) = leaf.path.split_last() else {
        return Err(missing());
    };
    let mut current = top;
    let mut nulls: Option<NullBuffer> = None;
    for &index in init {
        let child = current.columns().get(index).ok_or_else(missing)?;
        current = child.as_struct_opt().ok_or_else(missing)?;
        nulls = NullBuffer::union(nulls.as_ref(), current.nulls());
    }
    let child = current.columns().get(*last).ok_or_else(missing)?;
    let child = fill_default(&leaf.source.schema, child)?;
    with_nulls(&child, nulls.as_ref())
}

/// `LinkedHashMap.put` over columns: a name already present keeps its place, takes the value.
/// The flattened columns in first-appearance order, with an index by name.
#[derive(Default)]
struct FlatColumns {
    columns: Vec<(FieldRef, ArrayRef)>,
    index: HashMap<String, usize>,
}

impl FlatColumns {
    /// `newRecord.put(name, value)`: a name seen before (`a.b` flattened from two paths) is
    /// replaced in place. Cost: one hash of the name.
    fn put(&mut self, field: ArrowField, column: ArrayRef) {
        let field = Arc::new(field);
        match self.index.get(field.name()) {
            Some(&slot) => self.columns[slot] = (field, column),
            None => {
                self.index.insert(field.name().clone(), self.columns.len());
                self.columns.push((field, column));
            }
        }
    }
}

/// The rows' output with null rows unchanged (Kafka returns the record as it is) and the others
/// from `data` (full segment length, null where the input is).
fn keep_null_rows(
    input: &SegmentInput<'_>,
    side: Side,
    schema: Option<SchemaRef>,
    data: ArrayRef,
) -> SegmentOutput {
    let column = side_column(input, side);
    let n = input.rows.len();
    let Some(nulls) = column.data.logical_nulls().filter(|v| v.null_count() > 0) else {
        return replace_side(input, side, schema, data);
    };
    let split = |valid: bool| -> Result<Option<crate::transform::OutputPart>, ConnectError> {
        let indices: Vec<u32> = (0..n as u32)
            .filter(|&i| nulls.is_valid(i as usize) == valid)
            .collect();
        if indices.is_empty() {
            return Ok(None);
        }
        let mask = BooleanArray::from(
            (0..n)
                .map(|i| nulls.is_valid(i) == valid)
                .collect::<Vec<_>>(),
        );
        let (source, schema) = if valid {
            (&data, schema.clone())
        } else {
            (&column.data, column.schema.clone())
        };
        let picked = arrow_select::filter::filter(source.as_ref(), &mask).map_err(arrow_failure)?;
        part_with(
            input,
            side,
            indices,
            Column {
                schema,
                data: picked,
            },
        )
        .map(Some)
    };
    let mut output = SegmentOutput::default();
    for valid in [true, false] {
        match split(valid) {
            Ok(Some(part)) => output.parts.push(part),
            Ok(None) => {}
            Err(e) => return SegmentOutput::all_failed(n, &e),
        }
    }
    output
}

/// The effective validity (own and every ancestor's) of each nested struct below `array` that
/// has null rows, depth first. Rows with the same validities flatten to the same shape.
fn nullable_nodes(array: &StructArray, parent: Option<&NullBuffer>, out: &mut Vec<NullBuffer>) {
    for child in array.columns() {
        let Some(nested) = child.as_struct_opt() else {
            continue;
        };
        let effective = NullBuffer::union(parent, nested.nulls());
        if nested.null_count() > 0 {
            if let Some(effective) = &effective {
                out.push(effective.clone());
            }
        }
        nullable_nodes(nested, effective.as_ref(), out);
    }
}

/// Whether a schemaless struct flattens column by column: no Arrow maps, no raw-JSON child
/// that holds an object in some row, and only leaf types Kafka's schemaless Flatten accepts.
fn columnar_fits(array: &StructArray) -> bool {
    let DataType::Struct(fields) = array.data_type() else {
        return false;
    };
    fields.iter().zip(array.columns()).all(|(field, child)| {
        if field.metadata().contains_key(META_RAW_JSON) {
            return !holds_object(child);
        }
        match child.data_type() {
            DataType::Struct(_) => child.as_struct_opt().is_some_and(columnar_fits),
            DataType::Null
            | DataType::Boolean
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::Float32
            | DataType::Float64
            | DataType::Utf8
            | DataType::Utf8View
            | DataType::Binary
            | DataType::BinaryView
            | DataType::List(_) => true,
            _ => false,
        }
    })
}

/// Whether a raw-JSON text column holds a JSON object in some row.
fn holds_object(array: &ArrayRef) -> bool {
    match array.as_string_view_opt() {
        Some(texts) => texts
            .iter()
            .flatten()
            .any(|t| t.trim_start().starts_with('{')),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::*;
    use proptest::prelude::*;

    fn flatten(pairs: &[(&str, &str)], side: Side) -> Flatten {
        Flatten::new(&config(pairs), side)
    }

    fn optional(kind: SchemaKind) -> SchemaRef {
        Schema::new(kind).optional().into_ref()
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference_schemad(
            (schema, values) in any::<bool>().prop_flat_map(nested_rows),
            delimiter in prop::sample::select(vec![".", "_", ""]),
            on_key in any::<bool>(),
        ) {
            let t = |side| flatten(&[("delimiter", delimiter)], side);
            let other = (None, vec![Value::Null; values.len()]);
            if on_key {
                check(&t(Side::Key), (Some(schema), values), other, false)?;
            } else {
                check(&t(Side::Value), other, (Some(schema), values), false)?;
            }
        }

        #[test]
        fn kernel_agrees_with_reference_schemaless(
            rows in prop_oneof![nested_schemaless(), schemaless_rows()],
            tombstones in prop::collection::vec(any::<bool>(), 6),
            on_key in any::<bool>(),
        ) {
            let rows: Vec<Value> = rows
                .into_iter()
                .zip(tombstones)
                .map(|(r, t)| if t { Value::Null } else { r })
                .collect();
            let other = (None, vec![Value::Null; rows.len()]);
            if on_key {
                check(&flatten(&[], Side::Key), (None, rows), other, false)?;
            } else {
                check(&flatten(&[], Side::Value), other, (None, rows), false)?;
            }
        }
    }

    #[test]
    fn null_nested_maps_become_one_null_entry_per_shape() {
        let rows = vec![
            map(&[
                ("a", map(&[("b", map(&[("c", Value::Int64(1))]))])),
                ("g", map(&[])),
            ]),
            map(&[("a", map(&[("b", Value::Null)])), ("g", Value::Null)]),
            map(&[("a", Value::Null), ("g", map(&[]))]),
            map(&[
                ("a", map(&[("b", map(&[("c", Value::Int64(2))]))])),
                ("g", map(&[])),
            ]),
        ];
        let t = flatten(&[], Side::Value);
        check(
            &t,
            (None, vec![Value::Null; 4]),
            (None, rows.clone()),
            false,
        )
        .unwrap();
        let value = crate::record::column_of(None, &rows).unwrap();
        let key = crate::record::column_of(None, &vec![Value::Null; 4]).unwrap();
        let indices: Vec<u32> = (0..4).collect();
        let mut meta = meta(4, false);
        let input = SegmentInput {
            rows: &indices,
            key: &key,
            value: &value,
            meta: &mut meta,
        };
        let parts: Vec<Vec<u32>> = t
            .apply(input)
            .parts
            .into_iter()
            .map(|p| p.indices)
            .collect();
        assert_eq!(parts, vec![vec![0, 3], vec![1], vec![2]]);
    }

    #[test]
    fn ancestors_make_leaves_optional_and_lend_their_defaults() {
        let inner = Schema::structure([
            ("x".to_string(), Schema::new(SchemaKind::Int32).into_ref()),
            ("y".to_string(), optional(SchemaKind::String)),
        ]);
        let inner_ref = inner.clone().into_ref();
        let default = Value::Struct(Struct {
            schema: inner_ref.clone(),
            values: vec![Value::Int32(5), Value::Null],
        });
        let schema = Schema::structure([(
            "n".to_string(),
            inner.optional().with_default(default).into_ref(),
        )])
        .with_name("x.Rec")
        .optional();
        let plan = flatten(&[("delimiter", "_")], Side::Value)
            .plan(&schema)
            .unwrap();
        let fields = plan.schema.fields();
        assert_eq!(fields[0].name, "n_x");
        assert!(fields[0].schema.optional);
        assert_eq!(fields[0].schema.default, Some(Value::Int32(5)));
        assert_eq!(fields[1].schema.default, None);
        assert!(!plan.schema.optional);
        assert_eq!(plan.schema.name.as_deref(), Some("x.Rec"));
    }

    #[test]
    fn schemad_errors_match_kafka() {
        let t = flatten(&[], Side::Value);
        let with_map = Schema::structure([(
            "m".to_string(),
            optional(SchemaKind::Map(
                Schema::new(SchemaKind::String).into_ref(),
                optional(SchemaKind::Int32),
            )),
        )]);
        assert_eq!(
            t.plan(&with_map).unwrap_err().message,
            "Flatten transformation does not support MAP for record with schemas (for field m)."
        );
        let clash = Schema::structure([
            ("a.b".to_string(), optional(SchemaKind::Int32)),
            (
                "a".to_string(),
                Schema::structure([("b".to_string(), optional(SchemaKind::Int32))])
                    .optional()
                    .into_ref(),
            ),
        ]);
        assert_eq!(
            t.plan(&clash).unwrap_err().message,
            "Cannot create field because of field name duplication a.b"
        );
        let int = optional(SchemaKind::Int32);
        check(
            &t,
            (None, vec![Value::Null; 2]),
            (Some(int), vec![Value::Int32(1), Value::Null]),
            false,
        )
        .unwrap();
    }

    #[test]
    fn schemaless_errors_match_kafka() {
        let t = flatten(&[], Side::Value);
        let mut out = Vec::new();
        let date = [(Value::String("d".into()), Value::Date(0))];
        assert_eq!(
            t.flatten_map(&date, "", &mut out).unwrap_err().message,
            "Flatten transformation was passed a value of type class java.util.Date which is not \
             supported by Connect's data API"
        );
        let rows = vec![Value::Int64(1), Value::Null];
        check(&t, (None, vec![Value::Null; 2]), (None, rows), false).unwrap();
        let dates = vec![map(&[("d", Value::Date(0))]), Value::Null];
        check(&t, (None, vec![Value::Null; 2]), (None, dates), false).unwrap();
    }

    #[test]
    fn the_delimiter_defaults_to_a_dot() {
        assert_eq!(flatten(&[], Side::Key).delimiter, ".");
        assert_eq!(
            flatten(&[("delimiter", "::")], Side::Key).field_name("a", "b"),
            "a::b"
        );
    }
}
