//! `InsertField$Key` / `InsertField$Value`: adds the record's topic, partition, offset and
//! timestamp, and a static string, as fields of the key or value (Kafka's `InsertField.java`).
//!
//! Schema'd: the output STRUCT schema (input fields, then the inserted ones, `!` = required,
//! `?` or nothing = optional) is computed once per input schema; per segment the input's child
//! arrays are reused as they are and only the inserted columns are built. Schemaless: the map's
//! columns are reused and the inserted ones appended (or replacing a column of the same name, as
//! `HashMap.put` does). A null key/value passes unchanged.
//!
//! This file also holds what the field transforms (InsertField, ReplaceField, MaskField,
//! ValueToKey) share: assembling a [`SegmentOutput`] from per-row outcomes, the per-row fallback
//! through the reference, and `replace.null.with.default` over Arrow children.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::builder::StringViewBuilder;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Int32Array, Int64Array, Scalar, StructArray,
    TimestampMillisecondArray, UInt32Array,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{Field as ArrowField, FieldRef, Fields};
use weir_formats::batch::Column;
use weir_formats::decimal_column::{alike, fields_for_columns};
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};
use weir_formats::value_array::{value_at, values_to_array};

use crate::record::{records_of, ConnectRecord};
use crate::transform::{OutputPart, SegmentInput, SegmentOutput, Transform, NO_PARTITION};
use crate::kernel::util::{copy_schema_basics, require_map_error, require_struct_error, SchemaCache};
use crate::{ConfigProblem, Side, TransformConfig};

const PURPOSE: &str = "field insertion";

/// `InsertField$Key`. Cost: parses and validates the config, once per pipeline.
pub fn build_key(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(InsertField::new(config, Side::Key)?))
}

/// `InsertField$Value`. Cost: parses and validates the config, once per pipeline.
pub fn build_value(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(InsertField::new(config, Side::Value)?))
}

/// A field to insert: its name and whether it is optional (`InsertionSpec`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spec {
    name: String,
    optional: bool,
}

impl Spec {
    /// `InsertionSpec.parse`: a trailing `?` is optional, `!` required, neither optional.
    fn parse(spec: Option<&str>) -> Option<Spec> {
        let spec = spec?;
        let (name, optional) = if let Some(name) = spec.strip_suffix('?') {
            (name, true)
        } else if let Some(name) = spec.strip_suffix('!') {
            (name, false)
        } else {
            (spec, true)
        };
        Some(Spec {
            name: name.to_string(),
            optional,
        })
    }
}

/// What a record's metadata contributes, in Kafka's insertion order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Topic,
    Partition,
    Offset,
    Timestamp,
    Static,
}

/// InsertField's typed config.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InsertConfig {
    /// The configured insertions in Kafka's order (topic, partition, offset, timestamp, static).
    inserts: Vec<(Source, Spec)>,
    static_value: String,
    replace_null_with_default: bool,
}

impl InsertConfig {
    fn parse(config: &TransformConfig) -> Result<InsertConfig, ConfigProblem> {
        let spec = |key| Spec::parse(config.get(key).map(str::trim));
        let keys = [
            (Source::Topic, "topic.field"),
            (Source::Partition, "partition.field"),
            (Source::Offset, "offset.field"),
            (Source::Timestamp, "timestamp.field"),
            (Source::Static, "static.field"),
        ];
        let inserts: Vec<(Source, Spec)> = keys
            .iter()
            .filter_map(|&(source, key)| spec(key).map(|s| (source, s)))
            .collect();
        let replace_null_with_default = config.boolean_or("replace.null.with.default", true)?;
        if inserts.is_empty() {
            return Err(ConfigProblem::new(
                "topic.field",
                "No field insertion configured",
            ));
        }
        let static_value = config.get("static.value").map(|v| v.trim().to_string());
        let static_spec = inserts.iter().find(|(s, _)| *s == Source::Static);
        if let (Some((_, spec)), None) = (static_spec, &static_value) {
            return Err(ConfigProblem::invalid(
                "static.value",
                "null",
                &format!("No value specified for static field: {}", spec.name),
            ));
        }
        Ok(InsertConfig {
            inserts,
            static_value: static_value.unwrap_or_default(),
            replace_null_with_default,
        })
    }

    /// The Connect schema of an inserted field.
    fn schema_of(source: Source, optional: bool) -> SchemaRef {
        let schema = match source {
            Source::Topic | Source::Static => Schema::new(SchemaKind::String),
            Source::Partition => Schema::new(SchemaKind::Int32),
            Source::Offset => Schema::new(SchemaKind::Int64),
            Source::Timestamp => Schema::timestamp(),
        };
        if optional { schema.optional() } else { schema }.into_ref()
    }
}

/// `InsertField$Key` / `$Value`, configured.
#[derive(Debug)]
pub struct InsertField {
    side: Side,
    config: InsertConfig,
    plans: SchemaCache<SchemaPlan>,
}

/// What InsertField does to one input schema, computed once.
#[derive(Debug)]
enum SchemaPlan {
    /// Not a STRUCT: every non-null row fails `requireStruct`.
    NotStruct,
    /// The output schema cannot be built (a duplicate field name).
    Fails(ConnectError),
    /// The output schema and its Arrow fields.
    Insert { schema: SchemaRef, fields: Fields },
}

impl InsertField {
    /// Parses and validates the config. Cost: once per pipeline.
    pub fn new(config: &TransformConfig, side: Side) -> Result<InsertField, ConfigProblem> {
        Ok(InsertField {
            side,
            config: InsertConfig::parse(config)?,
            plans: SchemaCache::default(),
        })
    }

    /// `makeUpdatedSchema`: the input fields, then the inserted ones.
    fn updated_schema(&self, schema: &Schema) -> Result<Schema, ConnectError> {
        let mut fields = schema.fields().to_vec();
        let mut names = fields.iter().map(|f| f.name.clone()).collect();
        for (source, spec) in &self.config.inserts {
            let field = Field {
                name: spec.name.clone(),
                schema: InsertConfig::schema_of(*source, spec.optional),
            };
            push_unique_named(&mut fields, &mut names, field)?;
        }
        Ok(copy_schema_basics(schema, SchemaKind::Struct(fields)))
    }

    fn plan(&self, schema: &SchemaRef) -> Arc<SchemaPlan> {
        let made = self.plans.get_or_try::<()>(schema, || {
            if !matches!(schema.kind, SchemaKind::Struct(_)) {
                return Ok(SchemaPlan::NotStruct);
            }
            Ok(match self.updated_schema(schema) {
                Ok(updated) => SchemaPlan::Insert {
                    fields: weir_formats::arrow_mapping::struct_fields(updated.fields()),
                    schema: updated.into_ref(),
                },
                Err(e) => SchemaPlan::Fails(e),
            })
        });
        made.unwrap_or_else(|()| Arc::new(SchemaPlan::NotStruct))
    }

    /// The inserted column of `source` for the segment's rows, with the rows whose value cannot
    /// be held (a required timestamp the record lacks) marked in `missing`.
    fn inserted_column(
        &self,
        input: &SegmentInput<'_>,
        source: Source,
        schemaless: bool,
        missing: &mut [bool],
    ) -> ArrayRef {
        let meta = &*input.meta;
        let rows = input.rows.iter().map(|&r| r as usize);
        match source {
            Source::Topic => {
                let mut builder = StringViewBuilder::with_capacity(input.rows.len());
                for &row in input.rows {
                    builder.append_value(meta.topic(row));
                }
                Arc::new(builder.finish())
            }
            Source::Static => {
                let value = self.config.static_value.as_str();
                let mut builder = StringViewBuilder::with_capacity(input.rows.len());
                for _ in input.rows {
                    builder.append_value(value);
                }
                Arc::new(builder.finish())
            }
            Source::Partition => {
                Arc::new(Int32Array::from_iter(rows.map(|r| {
                    Some(meta.partitions[r]).filter(|&p| p != NO_PARTITION)
                })))
            }
            Source::Offset => Arc::new(Int64Array::from_iter_values(rows.map(|r| meta.offsets[r]))),
            Source::Timestamp => {
                let stamps: Vec<Option<i64>> = rows.map(|r| meta.timestamps[r]).collect();
                let required = !self.timestamp_optional();
                if schemaless {
                    return Arc::new(Int64Array::from(stamps));
                }
                for (flag, stamp) in missing.iter_mut().zip(&stamps) {
                    *flag |= required && stamp.is_none();
                }
                if required {
                    let filled = stamps.iter().map(|s| s.unwrap_or(0));
                    return Arc::new(TimestampMillisecondArray::from_iter_values(filled));
                }
                Arc::new(TimestampMillisecondArray::from(stamps))
            }
        }
    }

    fn timestamp_optional(&self) -> bool {
        self.config
            .inserts
            .iter()
            .any(|(s, spec)| *s == Source::Timestamp && spec.optional)
    }

    /// The schema'd path over a STRUCT column.
    fn apply_schema(
        &self,
        input: &SegmentInput<'_>,
        column: &Column,
        source: &SchemaRef,
    ) -> SegmentOutput {
        let (schema, fields) = match &*self.plan(source) {
            SchemaPlan::NotStruct => {
                return fail_non_null(input, self.side, column, |v| {
                    require_struct_error(PURPOSE, v)
                })
            }
            SchemaPlan::Fails(e) => return fail_non_null(input, self.side, column, |_| e.clone()),
            SchemaPlan::Insert { schema, fields } => (schema.clone(), fields.clone()),
        };
        let Some(array) = column.data.as_any().downcast_ref::<StructArray>() else {
            return per_row(input, self.side, self);
        };
        let children = match children_with_defaults(
            source.fields(),
            array,
            self.config.replace_null_with_default,
        ) {
            Ok(children) => children,
            Err(e) => return SegmentOutput::all_failed(input.rows.len(), &e),
        };
        let mut missing = vec![false; input.rows.len()];
        let mut columns = children;
        for (source, _) in &self.config.inserts {
            columns.push(self.inserted_column(input, *source, false, &mut missing));
        }
        let built = struct_array(fields, columns, array.nulls().cloned(), array.len());
        let new = match built {
            Ok(a) => Column {
                schema: Some(schema),
                data: Arc::new(a),
            },
            Err(e) => return SegmentOutput::all_failed(input.rows.len(), &arrow_failure(e)),
        };
        let outcomes = (0..input.rows.len())
            .map(|i| {
                if array.is_null(i) {
                    RowOutcome::Part(1)
                } else if missing[i] {
                    RowOutcome::Failed(required_timestamp_error())
                } else {
                    RowOutcome::Part(0)
                }
            })
            .collect();
        assemble(input, self.side, vec![new, column.clone()], outcomes)
    }

    /// The schemaless path over a map held as a Struct column.
    fn apply_schemaless(&self, input: &SegmentInput<'_>, array: &StructArray) -> SegmentOutput {
        let stamps = || {
            input
                .rows
                .iter()
                .map(|&r| input.meta.timestamps[r as usize])
        };
        let with = self.schemaless_struct(input, array, true);
        let has_timestamp = self
            .config
            .inserts
            .iter()
            .any(|(s, _)| *s == Source::Timestamp);
        if !has_timestamp || stamps().all(|s| s.is_some()) {
            return match with {
                Ok(column) => {
                    let outcomes = vec![RowOutcome::Part(0); input.rows.len()];
                    assemble(input, self.side, vec![column], outcomes)
                }
                Err(e) => SegmentOutput::all_failed(input.rows.len(), &e),
            };
        }
        // Records without a timestamp get no timestamp entry: a second shape.
        let without = self.schemaless_struct(input, array, false);
        let (with, without) = match (with, without) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return SegmentOutput::all_failed(input.rows.len(), &e),
        };
        let outcomes = stamps()
            .map(|s| RowOutcome::Part(usize::from(s.is_none())))
            .collect();
        assemble(input, self.side, vec![with, without], outcomes)
    }

    /// The map's columns with the insertions put (replacing a column of the same name).
    fn schemaless_struct(
        &self,
        input: &SegmentInput<'_>,
        array: &StructArray,
        with_timestamp: bool,
    ) -> Result<Column, ConnectError> {
        let mut fields: Vec<FieldRef> = array.fields().iter().cloned().collect();
        let mut columns: Vec<ArrayRef> = array.columns().to_vec();
        let mut missing = vec![false; input.rows.len()];
        for (source, spec) in &self.config.inserts {
            if *source == Source::Timestamp && !with_timestamp {
                continue;
            }
            let column = self.inserted_column(input, *source, true, &mut missing);
            let field = Arc::new(ArrowField::new(
                &spec.name,
                column.data_type().clone(),
                true,
            ));
            match fields.iter().position(|f| f.name() == &spec.name) {
                Some(i) => {
                    fields[i] = field;
                    columns[i] = column;
                }
                None => {
                    fields.push(field);
                    columns.push(column);
                }
            }
        }
        let built = struct_array(fields.into(), columns, array.nulls().cloned(), array.len())
            .map_err(arrow_failure)?;
        Ok(Column {
            schema: None,
            data: Arc::new(built),
        })
    }

    /// The reference's schemaless path (`applySchemaless`).
    fn record_schemaless(
        &self,
        record: &ConnectRecord,
        value: &Value,
    ) -> Result<Value, ConnectError> {
        let Value::Map(entries) = value else {
            return Err(require_map_error(PURPOSE, value));
        };
        let mut updated = entries.clone();
        for (source, spec) in &self.config.inserts {
            let inserted = match source {
                Source::Topic => Value::String(record.topic.clone()),
                Source::Partition => partition_value(record.partition),
                Source::Offset => Value::Int64(record.offset),
                Source::Timestamp => match record.timestamp {
                    Some(ts) => Value::Int64(ts),
                    None => continue,
                },
                Source::Static => Value::String(self.config.static_value.clone()),
            };
            map_put(&mut updated, &spec.name, inserted);
        }
        Ok(Value::Map(updated))
    }

    /// The reference's schema'd path (`applyWithSchema`).
    fn record_with_schema(
        &self,
        record: &ConnectRecord,
        value: &Value,
    ) -> Result<(SchemaRef, Value), ConnectError> {
        let Value::Struct(value) = value else {
            return Err(require_struct_error(PURPOSE, value));
        };
        let schema = self.updated_schema(&value.schema)?.into_ref();
        let mut values: Vec<Value> = value
            .schema
            .fields()
            .iter()
            .zip(&value.values)
            .map(|(f, v)| field_value(f, v, self.config.replace_null_with_default))
            .collect();
        for (source, spec) in &self.config.inserts {
            values.push(match source {
                Source::Topic => Value::String(record.topic.clone()),
                Source::Partition => partition_value(record.partition),
                Source::Offset => Value::Int64(record.offset),
                Source::Timestamp => match record.timestamp {
                    Some(ts) => Value::Date(ts),
                    // Kafka's Struct holds null and its converter fails the record; weir fails it
                    // here, as an Arrow column cannot hold the null.
                    None if !spec.optional => return Err(required_timestamp_error()),
                    None => Value::Null,
                },
                Source::Static => Value::String(self.config.static_value.clone()),
            });
        }
        Ok((schema.clone(), Value::Struct(Struct { schema, values })))
    }
}

impl Transform for InsertField {
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let column = side_column(&input, self.side).clone();
        match &column.schema {
            Some(schema) => self.apply_schema(&input, &column, schema),
            None => match column.data.as_any().downcast_ref::<StructArray>() {
                Some(array) => self.apply_schemaless(&input, array),
                None if column.data.null_count() == column.data.len() => {
                    SegmentOutput::all(input.rows.len(), input.key.clone(), input.value.clone())
                }
                // Not a map: the reference reports each row (`requireMap`).
                None => per_row(&input, self.side, self),
            },
        }
    }

    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let (schema, value) = record.side(self.side);
        if value.is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = match schema {
            None => (None, self.record_schemaless(&record, value)?),
            Some(_) => {
                let (schema, value) = self.record_with_schema(&record, value)?;
                (Some(schema), value)
            }
        };
        Ok(Some(record.with_side(self.side, schema, value)))
    }
}

/// The message weir gives for a required timestamp field of a record without a timestamp.
fn required_timestamp_error() -> ConnectError {
    ConnectError::data(
        "Conversion error: null value for field that is required and has no default value",
    )
}

/// The partition as InsertField puts it: `Integer` or null (after a transform set none).
fn partition_value(partition: i32) -> Value {
    if partition == NO_PARTITION {
        Value::Null
    } else {
        Value::Int32(partition)
    }
}

/// `HashMap.put` on a map with string keys: replaces the entry in place or appends.
pub(crate) fn map_put(entries: &mut Vec<(Value, Value)>, name: &str, value: Value) {
    match entries
        .iter_mut()
        .find(|(k, _)| matches!(k, Value::String(s) if s == name))
    {
        Some(entry) => entry.1 = value,
        None => entries.push((Value::String(name.to_string()), value)),
    }
}

/// `SchemaBuilder.field`: appends `field`, failing on a name already present. A scan of
/// `fields`: for adding a few fields; a loop over many uses [`push_unique_named`].
pub(crate) fn push_unique(fields: &mut Vec<Field>, field: Field) -> Result<(), ConnectError> {
    if fields.iter().any(|f| f.name == field.name) {
        return Err(duplicate_field(&field.name));
    }
    fields.push(field);
    Ok(())
}

/// [`push_unique`] where `names` holds the names of `fields` (the caller starts it with theirs),
/// so the check is one hash, not a scan: a wide schema is built in linear time.
pub(crate) fn push_unique_named(
    fields: &mut Vec<Field>,
    names: &mut HashSet<String>,
    field: Field,
) -> Result<(), ConnectError> {
    if !names.insert(field.name.clone()) {
        return Err(duplicate_field(&field.name));
    }
    fields.push(field);
    Ok(())
}

/// `SchemaBuilder`'s error for a field name added twice.
fn duplicate_field(name: &str) -> ConnectError {
    ConnectError::data(format!(
        "Cannot create field because of field name duplication {name}"
    ))
}

/// `Struct.get(field)` (the schema default where the value is null) when `with_default`, else
/// `getWithoutDefault`.
pub(crate) fn field_value(field: &Field, value: &Value, with_default: bool) -> Value {
    match (&field.schema.default, value) {
        (Some(default), Value::Null) if with_default => default.clone(),
        _ => value.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared by the field transforms.

/// The column a `side` transform works on.
pub(crate) fn side_column<'a>(input: &'a SegmentInput<'_>, side: Side) -> &'a Column {
    match side {
        Side::Key => input.key,
        Side::Value => input.value,
    }
}

/// The column a `side` transform leaves alone.
fn other(input: &SegmentInput<'_>, side: Side) -> Column {
    match side {
        Side::Key => input.value.clone(),
        Side::Value => input.key.clone(),
    }
}

/// What became of one row of a segment.
#[derive(Debug, Clone)]
pub(crate) enum RowOutcome {
    /// Kept, with its `side` taken from candidate column `k`.
    Part(usize),
    /// Failed with Kafka's error.
    Failed(ConnectError),
}

/// The output of a segment whose rows each take their `side` from one of `candidates` (full
/// segment-length columns) or failed. Cost: one filter per candidate that is used by only some
/// rows (and of the other side), none when every row uses the same candidate.
pub(crate) fn assemble(
    input: &SegmentInput<'_>,
    side: Side,
    candidates: Vec<Column>,
    outcomes: Vec<RowOutcome>,
) -> SegmentOutput {
    let n = input.rows.len();
    let mut output = SegmentOutput::default();
    let mut groups: Vec<Vec<u32>> = vec![Vec::new(); candidates.len()];
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            RowOutcome::Part(k) if k < groups.len() => groups[k].push(i as u32),
            RowOutcome::Part(_) => output.errors.push((
                i as u32,
                ConnectError::data("no output column for this row"),
            )),
            RowOutcome::Failed(e) => output.errors.push((i as u32, e)),
        }
    }
    for (column, indices) in candidates.into_iter().zip(groups) {
        if indices.is_empty() {
            continue;
        }
        match part_of(input, side, column, indices.clone(), n) {
            Ok(part) => output.parts.push(part),
            Err(e) => output
                .errors
                .extend(indices.into_iter().map(|i| (i, e.clone()))),
        }
    }
    output.errors.sort_by_key(|(i, _)| *i);
    output
}

/// The part of rows `indices` with `side` from `column` (segment-length) and the other side
/// from the input.
fn part_of(
    input: &SegmentInput<'_>,
    side: Side,
    column: Column,
    indices: Vec<u32>,
    n: usize,
) -> Result<OutputPart, ConnectError> {
    let pick = |c: Column| -> Result<Column, ConnectError> {
        if indices.len() == n {
            return Ok(c);
        }
        let take = UInt32Array::from(indices.clone());
        let data = arrow_select::take::take(c.data.as_ref(), &take, None).map_err(arrow_failure)?;
        Ok(Column {
            schema: c.schema,
            data,
        })
    };
    let changed = pick(column)?;
    let kept = pick(other(input, side))?;
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

/// Every row fails with `error(value)`, except null rows, which pass unchanged. Cost: a value
/// tree per failing row (error paths only).
pub(crate) fn fail_non_null(
    input: &SegmentInput<'_>,
    side: Side,
    column: &Column,
    error: impl Fn(&Value) -> ConnectError,
) -> SegmentOutput {
    let outcomes = (0..input.rows.len())
        .map(|i| {
            if column.data.is_null(i) {
                RowOutcome::Part(0)
            } else {
                let value = value_at(column.schema.as_ref(), column.data.as_ref(), i);
                RowOutcome::Failed(error(&value))
            }
        })
        .collect();
    assemble(input, side, vec![column.clone()], outcomes)
}

/// The per-row fallback: every row through the reference, the changed side rebuilt with
/// `values_to_array` per run of equal output schemas, the other side taken from the input. Used
/// only where the data does not fit a transform's columnar path (raw-JSON children it must look
/// inside, non-map schemaless data, error rows). Cost: a value tree per row.
pub(crate) fn per_row(
    input: &SegmentInput<'_>,
    side: Side,
    transform: &dyn Transform,
) -> SegmentOutput {
    let mut output = SegmentOutput::default();
    let mut kept: Vec<(u32, Option<SchemaRef>, Value)> = Vec::new();
    for (i, record) in records_of(input).into_iter().enumerate() {
        match transform.apply_record(record) {
            Ok(Some(record)) => {
                let (schema, value) = record.side(side);
                kept.push((i as u32, schema.cloned(), value.clone()));
            }
            Ok(None) => output.dropped.push(i as u32),
            Err(e) => output.errors.push((i as u32, e)),
        }
    }
    let n = input.rows.len();
    let mut start = 0;
    while start < kept.len() {
        let schema = kept[start].1.clone();
        let end = start
            + kept[start..]
                .iter()
                .take_while(|(_, s, _)| *s == schema)
                .count();
        push_rows(input, side, &kept[start..end], n, &mut output);
        start = end;
    }
    output.errors.sort_by_key(|(i, _)| *i);
    output
}

/// Builds the part(s) of `rows` (one output schema); where the values do not make one column,
/// row by row, and a row that makes no column fails with the reason.
fn push_rows(
    input: &SegmentInput<'_>,
    side: Side,
    rows: &[(u32, Option<SchemaRef>, Value)],
    n: usize,
    output: &mut SegmentOutput,
) {
    let schema = rows.first().and_then(|r| r.1.clone());
    let values: Vec<Value> = rows.iter().map(|r| r.2.clone()).collect();
    let indices: Vec<u32> = rows.iter().map(|r| r.0).collect();
    let part = values_to_array(schema.as_ref(), &values).and_then(|data| {
        let column = spread(
            Column {
                schema: schema.clone(),
                data,
            },
            &indices,
            n,
        )?;
        part_of(input, side, column, indices.clone(), n)
    });
    match part {
        Ok(part) => output.parts.push(part),
        Err(e) if rows.len() == 1 => output.errors.push((rows[0].0, e)),
        Err(_) => rows
            .iter()
            .for_each(|r| push_rows(input, side, std::slice::from_ref(r), n, output)),
    }
}

/// `column` (one entry per `indices`) laid out over all `n` segment rows, so [`part_of`] can
/// pick the rows back. Cost: one take.
fn spread(column: Column, indices: &[u32], n: usize) -> Result<Column, ConnectError> {
    if indices.len() == n {
        return Ok(column);
    }
    let mut positions: Vec<Option<u32>> = vec![None; n];
    for (k, &i) in indices.iter().enumerate() {
        positions[i as usize] = Some(k as u32);
    }
    let take = UInt32Array::from(positions);
    let data =
        arrow_select::take::take(column.data.as_ref(), &take, None).map_err(arrow_failure)?;
    Ok(Column {
        schema: column.schema,
        data,
    })
}

/// `StructArray::try_new_with_length`: also right for a struct with no fields. `fields` planned
/// from a Connect schema take their columns' own-scale Decimal types where a column has one
/// ([`fields_for_columns`]). Cost: O(fields).
pub(crate) fn struct_array(
    fields: Fields,
    columns: Vec<ArrayRef>,
    nulls: Option<NullBuffer>,
    len: usize,
) -> Result<StructArray, arrow_schema::ArrowError> {
    let fields = fields_for_columns(&fields, &columns);
    StructArray::try_new_with_length(fields, columns, nulls, len)
}

/// An Arrow error (a column that does not fit its type) as a row error.
pub(crate) fn arrow_failure(error: arrow_schema::ArrowError) -> ConnectError {
    ConnectError::data(format!("cannot build the output column: {error}"))
}

/// The children of a schema'd STRUCT column, with `Struct.get`'s default put where a child is
/// null when `with_default` (`replace.null.with.default`). Cost: nothing for children without a
/// default or without nulls; otherwise one `zip` per such child.
pub(crate) fn children_with_defaults(
    fields: &[Field],
    array: &StructArray,
    with_default: bool,
) -> Result<Vec<ArrayRef>, ConnectError> {
    array
        .columns()
        .iter()
        .enumerate()
        .map(|(i, child)| match fields.get(i) {
            Some(field) if with_default => with_field_default(field, child),
            _ => Ok(child.clone()),
        })
        .collect()
}

/// `child` with `field`'s default where it is null.
pub(crate) fn with_field_default(
    field: &Field,
    child: &ArrayRef,
) -> Result<ArrayRef, ConnectError> {
    let (Some(default), Some(nulls)) = (&field.schema.default, child.logical_nulls()) else {
        return Ok(child.clone());
    };
    if nulls.null_count() == 0 {
        return Ok(child.clone());
    }
    let one = values_to_array(Some(&field.schema), std::slice::from_ref(default))?;
    let (child, one) = alike(child, &one);
    let valid = BooleanArray::new(nulls.inner().clone(), None);
    arrow_select::zip::zip(&valid, &child, &Scalar::new(one)).map_err(arrow_failure)
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Generators and the kernel-versus-reference check the field transforms' tests share.

    use super::*;
    use proptest::prelude::*;
    use weir_formats::batch::Headers;
    use weir_formats::value::Decimal;

    use crate::transform::RecordMeta;

    /// Field names the generators draw from (few, so configs hit them).
    pub const NAMES: [&str; 5] = ["a", "b", "c", "id", "name"];

    fn leaf() -> impl Strategy<Value = Schema> {
        prop_oneof![
            Just(Schema::new(SchemaKind::Int8)),
            Just(Schema::new(SchemaKind::Int16)),
            Just(Schema::new(SchemaKind::Int32)),
            Just(Schema::new(SchemaKind::Int64)),
            Just(Schema::new(SchemaKind::Float32)),
            Just(Schema::new(SchemaKind::Float64)),
            Just(Schema::new(SchemaKind::Boolean)),
            Just(Schema::new(SchemaKind::String)),
            Just(Schema::new(SchemaKind::Bytes)),
            Just(Schema::decimal(2)),
            Just(Schema::date()),
            Just(Schema::timestamp()),
            Just(Schema::new(SchemaKind::Array(
                Schema::new(SchemaKind::String).optional().into_ref()
            ))),
            Just(Schema::new(SchemaKind::Map(
                Schema::new(SchemaKind::String).into_ref(),
                Schema::new(SchemaKind::Int32).optional().into_ref()
            ))),
            Just(
                Schema::structure([(
                    "x".to_string(),
                    Schema::new(SchemaKind::Int32).optional().into_ref()
                )])
                .optional()
            ),
        ]
    }

    /// A present value of `schema`.
    pub fn present(schema: &Schema) -> BoxedStrategy<Value> {
        if schema.name.as_deref() == Some(weir_formats::schema::DECIMAL_LOGICAL_NAME) {
            // Mostly at the schema's scale 2; sometimes at another (a BigDecimal keeps its
            // own scale), which makes an own-scale column for the kernels to meet.
            return (-10_000i128..10_000, prop_oneof![4 => Just(2), 1 => 0i32..5])
                .prop_map(|(unscaled, scale)| Value::Decimal(Decimal { unscaled, scale }))
                .boxed();
        }
        if schema.logical_type().is_some() {
            return (-1000i64..1000)
                .prop_map(|d| Value::Date(d * 86_400_000))
                .boxed();
        }
        match &schema.kind {
            SchemaKind::Int8 => any::<i8>().prop_map(Value::Int8).boxed(),
            SchemaKind::Int16 => any::<i16>().prop_map(Value::Int16).boxed(),
            SchemaKind::Int32 => any::<i32>().prop_map(Value::Int32).boxed(),
            SchemaKind::Int64 => any::<i64>().prop_map(Value::Int64).boxed(),
            SchemaKind::Float32 => (-1e3f32..1e3).prop_map(Value::Float32).boxed(),
            SchemaKind::Float64 => (-1e6f64..1e6).prop_map(Value::Float64).boxed(),
            SchemaKind::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
            SchemaKind::String => "[a-z]{0,5}".prop_map(Value::String).boxed(),
            SchemaKind::Bytes => prop::collection::vec(any::<u8>(), 0..4)
                .prop_map(Value::Bytes)
                .boxed(),
            SchemaKind::Array(_) => {
                prop::collection::vec("[a-z]{0,3}".prop_map(Value::String), 0..3)
                    .prop_map(Value::Array)
                    .boxed()
            }
            SchemaKind::Map(_, _) => prop::collection::btree_map("[a-c]", any::<i32>(), 0..3)
                .prop_map(|m| {
                    Value::Map(
                        m.into_iter()
                            .map(|(k, v)| (Value::String(k), Value::Int32(v)))
                            .collect(),
                    )
                })
                .boxed(),
            SchemaKind::Struct(_) => {
                let schema = Arc::new(schema.clone());
                any::<Option<i32>>()
                    .prop_map(move |x| {
                        Value::Struct(Struct {
                            schema: schema.clone(),
                            values: vec![x.map_or(Value::Null, Value::Int32)],
                        })
                    })
                    .boxed()
            }
        }
    }

    /// A value of `schema`: null where it is optional, sometimes.
    fn maybe(schema: &Schema) -> BoxedStrategy<Value> {
        if schema.optional {
            prop_oneof![1 => Just(Value::Null), 3 => present(schema)].boxed()
        } else {
            present(schema)
        }
    }

    /// A STRUCT schema over a subset of [`NAMES`], fields optional or required, some with
    /// defaults.
    pub fn struct_schema() -> impl Strategy<Value = SchemaRef> {
        let field = (leaf(), any::<bool>(), any::<bool>()).prop_flat_map(|(s, optional, def)| {
            let s = if optional { s.optional() } else { s };
            let is_struct = matches!(s.kind, SchemaKind::Struct(_));
            let default = if def && !is_struct {
                present(&s).prop_map(Some).boxed()
            } else {
                Just(None).boxed()
            };
            default.prop_map(move |d| match d {
                Some(d) => s.clone().with_default(d).into_ref(),
                None => s.clone().into_ref(),
            })
        });
        (
            prop::collection::vec(field, NAMES.len()),
            prop::sample::subsequence(NAMES.to_vec(), 0..=NAMES.len()),
            any::<bool>(),
        )
            .prop_map(|(schemas, names, optional)| {
                let fields = names.iter().zip(schemas).map(|(n, s)| (n.to_string(), s));
                let schema = Schema::structure(fields).with_name("x.Rec").with_version(2);
                if optional { schema.optional() } else { schema }.into_ref()
            })
    }

    /// A STRUCT value of `schema` (its fields null where optional, sometimes).
    pub fn struct_value(schema: &SchemaRef) -> BoxedStrategy<Value> {
        let schema = schema.clone();
        let fields: Vec<_> = schema.fields().iter().map(|f| maybe(&f.schema)).collect();
        fields
            .prop_map(move |values| {
                Value::Struct(Struct {
                    schema: schema.clone(),
                    values,
                })
            })
            .boxed()
    }

    /// A JSON-like schemaless value.
    pub fn json_leaf() -> BoxedStrategy<Value> {
        prop_oneof![
            Just(Value::Null),
            (-5i64..5).prop_map(Value::Int64),
            (-5f64..5.0).prop_map(Value::Float64),
            any::<bool>().prop_map(Value::Boolean),
            "[a-z]{0,3}".prop_map(Value::String),
            prop::collection::vec((-5i64..5).prop_map(Value::Int64), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[x-z]", (-5i64..5).prop_map(Value::Int64), 0..2).prop_map(
                |m| Value::Map(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect())
            ),
        ]
        .boxed()
    }

    /// Schemaless rows: maps over a subset of [`NAMES`] (the same keys in most rows, so the
    /// columnar path runs), nulls (tombstones), and now and then a non-map.
    pub fn schemaless_rows() -> impl Strategy<Value = Vec<Value>> {
        (
            prop::sample::subsequence(NAMES.to_vec(), 0..=NAMES.len()),
            prop::collection::vec(any::<bool>(), NAMES.len()),
        )
            .prop_flat_map(|(names, same_type)| {
                let columns: Vec<BoxedStrategy<Value>> = names
                    .iter()
                    .zip(same_type)
                    .map(|(_, same)| {
                        if same {
                            prop_oneof![Just(Value::Null), (-5i64..5).prop_map(Value::Int64)]
                                .boxed()
                        } else {
                            json_leaf()
                        }
                    })
                    .collect();
                let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
                let row = columns.prop_map(move |values| {
                    Value::Map(
                        names
                            .iter()
                            .zip(values)
                            .map(|(n, v)| (Value::String(n.clone()), v))
                            .collect(),
                    )
                });
                let maps =
                    prop::collection::vec(prop_oneof![8 => row, 1 => Just(Value::Null)], 0..6);
                let others = prop::collection::vec(
                    prop_oneof![Just(Value::Null), (-5i64..5).prop_map(Value::Int64)],
                    0..4,
                );
                prop_oneof![9 => maps, 1 => others]
            })
    }

    /// Batch metadata for `n` rows: two topics, some rows without a timestamp when `gaps`.
    pub fn meta(n: usize, gaps: bool) -> RecordMeta {
        let mut headers = Headers::default();
        for _ in 0..n {
            headers.push_row([]);
        }
        RecordMeta {
            topic_ids: (0..n).map(|i| (i % 2) as u32).collect(),
            topics: vec!["orders".to_string(), "t1".to_string()],
            partitions: (0..n).map(|i| i as i32 % 3).collect(),
            offsets: (0..n).map(|i| 100 + i as i64).collect(),
            timestamps: (0..n)
                .map(|i| {
                    if gaps && i % 3 == 1 {
                        None
                    } else {
                        Some(1_700_000_000_000 + i as i64)
                    }
                })
                .collect(),
            headers,
        }
    }

    /// Maps sorted by key, recursively (schemaless key order is not significant).
    pub fn canonical(value: Value) -> Value {
        match value {
            Value::Map(entries) => {
                let mut entries: Vec<_> = entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical(v)))
                    .collect();
                entries.sort_by_key(|(k, _)| k.to_string());
                Value::Map(entries)
            }
            Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
            other => other,
        }
    }

    /// One row's outcome: the record's key and value sides, or the error.
    type Outcome =
        Result<Option<(Option<SchemaRef>, Value, Option<SchemaRef>, Value)>, ConnectError>;

    /// Runs `transform`'s kernel and its reference over the same rows and checks they agree on
    /// every row (records, schemas, drops, errors). A reference record its column cannot hold
    /// counts as an error.
    pub fn check(
        transform: &dyn Transform,
        key: (Option<SchemaRef>, Vec<Value>),
        value: (Option<SchemaRef>, Vec<Value>),
        gaps: bool,
    ) -> Result<(), TestCaseError> {
        let n = value.1.len();
        let key_column = crate::record::column_of(key.0.as_ref(), &key.1).expect("key column");
        let value_column =
            crate::record::column_of(value.0.as_ref(), &value.1).expect("value column");
        let rows: Vec<u32> = (0..n as u32).collect();
        let mut meta = meta(n, gaps);
        let input = SegmentInput {
            rows: &rows,
            key: &key_column,
            value: &value_column,
            meta: &mut meta,
        };
        let expected: Vec<Outcome> = records_of(&input)
            .into_iter()
            .map(|r| reference_outcome(transform.apply_record(r)))
            .collect();
        let output = transform.apply(input);
        let actual = kernel_outcomes(&output, n);
        for (row, (a, e)) in actual.iter().zip(&expected).enumerate() {
            prop_assert_eq!(a, e, "row {}", row);
        }
        Ok(())
    }

    fn reference_outcome(result: Result<Option<ConnectRecord>, ConnectError>) -> Outcome {
        let Some(record) = result? else {
            return Ok(None);
        };
        // The record must fit a column of its schema, as the kernel's output does.
        values_to_array(
            record.key_schema.as_ref(),
            std::slice::from_ref(&record.key),
        )?;
        values_to_array(
            record.value_schema.as_ref(),
            std::slice::from_ref(&record.value),
        )?;
        Ok(Some((
            record.key_schema,
            canonical(record.key),
            record.value_schema,
            canonical(record.value),
        )))
    }

    fn kernel_outcomes(output: &SegmentOutput, n: usize) -> Vec<Outcome> {
        let mut outcomes: Vec<Option<Outcome>> = vec![None; n];
        for part in &output.parts {
            for (k, &i) in part.indices.iter().enumerate() {
                let key = value_at(part.key.schema.as_ref(), part.key.data.as_ref(), k);
                let value = value_at(part.value.schema.as_ref(), part.value.data.as_ref(), k);
                let record = (
                    part.key.schema.clone(),
                    canonical(key),
                    part.value.schema.clone(),
                    canonical(value),
                );
                set_once(&mut outcomes, i, Ok(Some(record)));
            }
        }
        for &i in &output.dropped {
            set_once(&mut outcomes, i, Ok(None));
        }
        for (i, e) in &output.errors {
            set_once(&mut outcomes, *i, Err(e.clone()));
        }
        outcomes
            .into_iter()
            .enumerate()
            .map(|(i, o)| o.unwrap_or_else(|| panic!("row {i} is in no output")))
            .collect()
    }

    fn set_once(outcomes: &mut [Option<Outcome>], i: u32, outcome: Outcome) {
        let slot = &mut outcomes[i as usize];
        assert!(slot.is_none(), "row {i} is in two outputs");
        *slot = Some(outcome);
    }

    /// A config of `class` with `pairs`.
    pub fn config(pairs: &[(&str, &str)]) -> TransformConfig {
        TransformConfig::new(
            "t",
            "x.Y",
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use proptest::prelude::*;

    fn insert(pairs: &[(&str, &str)], side: Side) -> InsertField {
        InsertField::new(&config(pairs), side).expect("valid config")
    }

    fn full() -> Vec<(&'static str, &'static str)> {
        vec![
            ("topic.field", "t"),
            ("partition.field", "p!"),
            ("offset.field", "o?"),
            ("timestamp.field", "ts"),
            ("static.field", "s"),
            ("static.value", "v"),
        ]
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference_schemad(
            (schema, values) in struct_schema().prop_flat_map(|s| {
                let row = prop_oneof![1 => Just(Value::Null), 5 => struct_value(&s)];
                (Just(s), prop::collection::vec(row, 0..6))
            }),
            replace in any::<bool>(),
            required_ts in any::<bool>(),
            gaps in any::<bool>(),
        ) {
            let mut pairs = full();
            pairs.push(("replace.null.with.default", if replace { "true" } else { "false" }));
            if required_ts {
                pairs[3] = ("timestamp.field", "ts!");
            }
            let t = insert(&pairs, Side::Value);
            let keys = vec![Value::Null; values.len()];
            check(&t, (None, keys), (Some(schema), values), gaps)?;
        }

        #[test]
        fn kernel_agrees_with_reference_schemaless(rows in schemaless_rows(), gaps in any::<bool>(), on_key in any::<bool>()) {
            let side = if on_key { Side::Key } else { Side::Value };
            let t = insert(&[("topic.field", "a"), ("offset.field", "o"), ("timestamp.field", "ts")], side);
            let others = vec![Value::String("k".into()); rows.len()];
            let (key, value) = if on_key { (rows, others) } else { (others, rows) };
            check(&t, (None, key), (None, value), gaps)?;
        }
    }

    #[test]
    fn specs_parse_kafkas_suffixes() {
        assert_eq!(
            Spec::parse(Some("a!")),
            Some(Spec {
                name: "a".into(),
                optional: false
            })
        );
        assert_eq!(
            Spec::parse(Some("a?")),
            Some(Spec {
                name: "a".into(),
                optional: true
            })
        );
        assert_eq!(
            Spec::parse(Some("a")),
            Some(Spec {
                name: "a".into(),
                optional: true
            })
        );
        assert_eq!(Spec::parse(None), None);
    }

    #[test]
    fn duplicate_names_fail_non_null_rows_and_pass_nulls() {
        let schema = Schema::structure([(
            "name".to_string(),
            Schema::new(SchemaKind::String).into_ref(),
        )])
        .optional()
        .into_ref();
        let row = Value::Struct(Struct {
            schema: schema.clone(),
            values: vec![Value::String("x".into())],
        });
        let values = crate::record::column_of(Some(&schema), &[row, Value::Null]).unwrap();
        let keys = crate::record::column_of(None, &[Value::Null, Value::Null]).unwrap();
        let mut m = meta(2, false);
        let t = insert(
            &[("static.field", "name"), ("static.value", "v")],
            Side::Value,
        );
        let out = t.apply(SegmentInput {
            rows: &[0, 1],
            key: &keys,
            value: &values,
            meta: &mut m,
        });
        assert_eq!(out.errors.len(), 1);
        assert_eq!(
            out.errors[0].1.message,
            "Cannot create field because of field name duplication name"
        );
        assert_eq!(out.parts.len(), 1);
        assert_eq!(out.parts[0].indices, vec![1]);
        assert!(Arc::ptr_eq(
            out.parts[0].value.schema.as_ref().unwrap(),
            &schema
        ));
    }

    #[test]
    fn schemaless_existing_name_is_overwritten_and_missing_timestamp_omits_the_entry() {
        let row = Value::Map(vec![(Value::String("name".into()), Value::Int64(1))]);
        let t = insert(
            &[
                ("static.field", "name"),
                ("static.value", "v"),
                ("timestamp.field", "ts"),
            ],
            Side::Value,
        );
        let mut record = ConnectRecord {
            topic: "t".into(),
            partition: 0,
            offset: 1,
            timestamp: None,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value: row,
            headers: vec![],
        };
        let out = t.apply_record(record.clone()).unwrap().unwrap();
        assert_eq!(
            out.value,
            Value::Map(vec![(
                Value::String("name".into()),
                Value::String("v".into())
            )])
        );
        record.timestamp = Some(5);
        let out = t.apply_record(record).unwrap().unwrap();
        assert_eq!(
            out.value,
            Value::Map(vec![
                (Value::String("name".into()), Value::String("v".into())),
                (Value::String("ts".into()), Value::Int64(5)),
            ])
        );
    }

    #[test]
    fn non_map_schemaless_values_fail_require_map() {
        let t = insert(&[("topic.field", "t")], Side::Value);
        let record = ConnectRecord {
            topic: "t".into(),
            partition: 0,
            offset: 1,
            timestamp: None,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value: Value::Int64(3),
            headers: vec![],
        };
        assert_eq!(
            t.apply_record(record).unwrap_err().message,
            "Only Map objects supported in absence of schema for [field insertion], found: java.lang.Long"
        );
    }

    #[test]
    fn config_errors_match_kafka() {
        let e = InsertField::new(&config(&[]), Side::Value).unwrap_err();
        assert_eq!(e.message, "No field insertion configured");
        let e = InsertField::new(&config(&[("static.field", "s")]), Side::Value).unwrap_err();
        assert_eq!(e.key, "static.value");
        assert_eq!(
            e.message,
            "Invalid value null for configuration static.value: No value specified for static field: s"
        );
        let e = InsertField::new(
            &config(&[("topic.field", "t"), ("replace.null.with.default", "maybe")]),
            Side::Value,
        )
        .unwrap_err();
        assert_eq!(e.key, "replace.null.with.default");
    }
}
