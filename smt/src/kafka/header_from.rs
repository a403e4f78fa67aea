//! `org.apache.kafka.connect.transforms.HeaderFrom$Key` / `$Value`: copies (`operation=copy`) or
//! moves (`operation=move`: also removes them) the top-level fields `fields` of the key or value
//! into headers named by `headers`, pairwise.
//!
//! With a schema the header carries the field's schema and, under `replace.null.with.default`
//! (default true), a null field's default; a moved-from struct is rebuilt without the fields (a
//! required struct with the input's name, version, doc and parameters), its remaining null
//! fields replaced by their defaults likewise. Schemaless, the header has no schema and `move`
//! removes the keys. A null key/value fails (`requireStruct` / `requireMap`), and so does a field
//! missing from the schema: Kafka throws a `NullPointerException` there, reported here as a
//! DataException with the JVM's message.
//!
//! The kernel moves struct children as `ArrayRef`s (schemas planned once per schema) and reads
//! only the header fields row by row, into the header values; schemaless columns that are not
//! Arrow structs (maps with other keys, strings, all-null columns) go through the reference row by
//! row.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray, Scalar, StructArray};
use arrow_schema::Fields;
use arrow_select::zip::zip;
use weir_formats::arrow_mapping::META_RAW_JSON;
use weir_formats::batch::{Column, Header, HeaderColumn};
use weir_formats::decimal_column::alike;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};
use weir_formats::value_array::{value_at, values_to_array};

use crate::config::{valid_string, ConfigProblem, TransformConfig};
use crate::kernel::fields::positions_by_name;
use crate::kernel::requirements::{require_map_error, require_struct_error};
use crate::kernel::routing::kept_except;
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::schema_copy::copy_schema_basics;
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::Side;

/// The JVM's message where Kafka dereferences the schema field of a field the schema lacks.
const MISSING_FIELD_NPE: &str = "Cannot invoke \"org.apache.kafka.connect.data.Field.schema()\" \
     because the return value of \"org.apache.kafka.connect.data.Schema.field(String)\" is null";

/// Whether the fields stay in the key/value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Move,
    Copy,
}

/// The configured transform for one side.
#[derive(Debug)]
pub struct HeaderFrom {
    side: Side,
    fields: Vec<String>,
    /// The same fields, for membership tests.
    listed: HashSet<String>,
    headers: Vec<Arc<str>>,
    operation: Operation,
    replace_null_with_default: bool,
    plans: SchemaCache<StructPlan>,
}

/// What a schema'd STRUCT input needs, computed once per schema.
#[derive(Debug)]
struct StructPlan {
    /// Each (field, header) pair's field index and schema, or the error every record fails with.
    sources: Result<Vec<(usize, SchemaRef)>, ConnectError>,
    /// `move`: the output schema and the kept fields' indices.
    moved: Option<(SchemaRef, Vec<usize>)>,
    /// `move` with defaults: for each kept field with a default, its default as a 1-row array.
    defaults: Vec<Option<ArrayRef>>,
}

/// One side's new column, the new headers, and the rows that failed.
struct Applied {
    column: Column,
    headers: NewHeaders,
    errors: Vec<(u32, ConnectError)>,
}

/// The headers each row that did not fail gets, one per configured header.
enum NewHeaders {
    /// In row order, back to back: one list for the segment instead of one per row.
    Typed(Vec<Header>),
    /// Row `i`'s are row `i` of each column (the fields themselves, nulls replaced by the
    /// defaults where they apply): no value is read out of the fields.
    Columns(Vec<HeaderColumn>),
}

fn non_empty_list(config: &TransformConfig, key: &str) -> Result<Vec<String>, ConfigProblem> {
    let list = config
        .list(key)
        .ok_or_else(|| ConfigProblem::missing(key))?;
    if list.is_empty() {
        return Err(ConfigProblem::invalid(key, "[]", "Empty list"));
    }
    Ok(list)
}

impl HeaderFrom {
    /// Parses the settings in Kafka's order: `fields`, `headers`, `operation`,
    /// `replace.null.with.default`, then the lengths of the two lists.
    pub fn from_config(config: &TransformConfig, side: Side) -> Result<HeaderFrom, ConfigProblem> {
        let fields = non_empty_list(config, "fields")?;
        let headers = non_empty_list(config, "headers")?;
        let operation = valid_string(
            "operation",
            &config.required_string("operation")?,
            &[("move", Operation::Move), ("copy", Operation::Copy)],
        )?;
        let replace_null_with_default = config.boolean_or("replace.null.with.default", true)?;
        if headers.len() != fields.len() {
            return Err(ConfigProblem::new(
                "fields",
                "'fields' config must have the same number of elements as 'headers' config.",
            ));
        }
        Ok(HeaderFrom {
            side,
            listed: fields.iter().cloned().collect(),
            fields,
            headers: headers.iter().map(|h| Arc::from(h.as_str())).collect(),
            operation,
            replace_null_with_default,
            plans: SchemaCache::default(),
        })
    }

    /// Kafka's `Requirements` purpose: `header move` / `header copy`.
    fn purpose(&self) -> &'static str {
        match self.operation {
            Operation::Move => "header move",
            Operation::Copy => "header copy",
        }
    }

    /// `moveSchema`: `schema` without the listed fields, with its name, version, doc and
    /// parameters; required and without default, as Kafka's `SchemaBuilder.struct()` builds it.
    fn moved_schema(&self, schema: &Schema) -> (SchemaRef, Vec<usize>) {
        let kept: Vec<usize> = (0..schema.fields().len())
            .filter(|&i| !self.listed.contains(&schema.fields()[i].name))
            .collect();
        let fields = kept.iter().map(|&i| schema.fields()[i].clone()).collect();
        let mut moved = copy_schema_basics(schema, SchemaKind::Struct(fields));
        moved.optional = false;
        moved.default = None;
        (moved.into_ref(), kept)
    }

    /// `getFieldValue`: a null field's default under `replace.null.with.default`.
    fn field_value(&self, schema: &Schema, value: Value) -> Value {
        match (&value, &schema.default) {
            (Value::Null, Some(default)) if self.replace_null_with_default => default.clone(),
            _ => value,
        }
    }

    /// The reference: the side's new schema and value and the headers to add (Kafka's
    /// `applyWithSchema` / `applySchemaless`).
    fn transform_side(
        &self,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<(Option<SchemaRef>, Value, Vec<Header>), ConnectError> {
        match schema {
            None => self.schemaless(value),
            Some(schema) => self.with_schema(schema, value),
        }
    }

    fn schemaless(
        &self,
        value: &Value,
    ) -> Result<(Option<SchemaRef>, Value, Vec<Header>), ConnectError> {
        let Value::Map(entries) = value else {
            return Err(require_map_error(self.purpose(), value));
        };
        let mut updated = entries.clone();
        let mut headers = Vec::with_capacity(self.fields.len());
        for (field, name) in self.fields.iter().zip(&self.headers) {
            let is_field = |k: &Value| matches!(k, Value::String(s) if s == field);
            let found = entries.iter().find(|(k, _)| is_field(k));
            if self.operation == Operation::Move {
                updated.retain(|(k, _)| !is_field(k));
            }
            headers.push(Header {
                name: name.clone(),
                schema: None,
                value: found.map_or(Value::Null, |(_, v)| v.clone()),
            });
        }
        Ok((None, Value::Map(updated), headers))
    }

    fn with_schema(
        &self,
        schema: &SchemaRef,
        value: &Value,
    ) -> Result<(Option<SchemaRef>, Value, Vec<Header>), ConnectError> {
        let Value::Struct(s) = value else {
            return Err(require_struct_error(self.purpose(), value));
        };
        let (updated_schema, updated) = match self.operation {
            Operation::Move => {
                let (moved, kept) = self.moved_schema(schema);
                let values = kept
                    .iter()
                    .map(|&i| {
                        let f = &schema.fields()[i];
                        self.field_value(&f.schema, s.values.get(i).cloned().unwrap_or(Value::Null))
                    })
                    .collect();
                let updated = Value::Struct(Struct {
                    schema: moved.clone(),
                    values,
                });
                (moved, updated)
            }
            Operation::Copy => (schema.clone(), value.clone()),
        };
        let mut headers = Vec::with_capacity(self.fields.len());
        for (field, name) in self.fields.iter().zip(&self.headers) {
            let found = s.schema.field(field).map(|(i, f)| {
                self.field_value(&f.schema, s.values.get(i).cloned().unwrap_or(Value::Null))
            });
            let field_schema = schema
                .field(field)
                .map(|(_, f)| f.schema.clone())
                .ok_or_else(|| ConnectError::data(MISSING_FIELD_NPE))?;
            headers.push(Header {
                name: name.clone(),
                schema: Some(field_schema),
                value: found.unwrap_or(Value::Null),
            });
        }
        Ok((Some(updated_schema), updated, headers))
    }

    /// The per-schema plan of a STRUCT schema.
    fn plan(&self, schema: &Schema) -> Result<StructPlan, ConnectError> {
        let positions = positions_by_name(schema.fields().iter().map(|f| f.name.as_str()));
        let sources = self
            .fields
            .iter()
            .map(|f| {
                positions
                    .get(f.as_str())
                    .map(|&i| (i, schema.fields()[i].schema.clone()))
                    .ok_or_else(|| ConnectError::data(MISSING_FIELD_NPE))
            })
            .collect();
        let moved = (self.operation == Operation::Move).then(|| self.moved_schema(schema));
        let defaults = match &moved {
            Some((_, kept)) if self.replace_null_with_default => kept
                .iter()
                .map(|&i| default_array(&schema.fields()[i].schema))
                .collect::<Result<_, _>>()?,
            _ => Vec::new(),
        };
        Ok(StructPlan {
            sources,
            moved,
            defaults,
        })
    }

    /// The kernel for a schema'd STRUCT column: the headers are the field columns themselves.
    fn apply_struct(
        &self,
        column: &Column,
        schema: &SchemaRef,
        array: &StructArray,
    ) -> Result<Applied, ConnectError> {
        let plan = self.plans.get_or_try(schema, || self.plan(schema))?;
        let errors = (0..array.len())
            .filter_map(|i| {
                let error = match &plan.sources {
                    _ if array.is_null(i) => require_struct_error(self.purpose(), &Value::Null),
                    Err(e) => e.clone(),
                    Ok(_) => return None,
                };
                Some((i as u32, error))
            })
            .collect();
        let headers = match &plan.sources {
            Err(_) => Vec::new(),
            Ok(sources) => sources
                .iter()
                .zip(&self.headers)
                .map(|((index, field_schema), name)| {
                    let data = array.column(*index);
                    let defaulted = self.replace_null_with_default
                        && field_schema.default.is_some()
                        && data.logical_null_count() > 0;
                    let data = match defaulted.then(|| default_array(field_schema)) {
                        Some(Ok(Some(default))) => fill_nulls(data, &default)?,
                        Some(Err(e)) => return Err(e),
                        _ => data.clone(),
                    };
                    Ok(HeaderColumn::new(
                        name.clone(),
                        Some(field_schema.clone()),
                        data,
                    ))
                })
                .collect::<Result<_, ConnectError>>()?,
        };
        let column = match &plan.moved {
            None => column.clone(),
            Some((moved, kept)) => Column {
                schema: Some(moved.clone()),
                data: keep_children(array, kept, &plan.defaults)?,
            },
        };
        Ok(Applied {
            column,
            headers: NewHeaders::Columns(headers),
            errors,
        })
    }

    /// The kernel for a schemaless column held as an Arrow struct (a map with string keys).
    fn apply_schemaless_struct(&self, array: &StructArray) -> Result<Applied, ConnectError> {
        let positions = positions_by_name(array.fields().iter().map(|c| c.name().as_str()));
        let children: Vec<Option<(usize, bool)>> = self
            .fields
            .iter()
            .map(|f| {
                positions.get(f.as_str()).map(|&i| {
                    let raw = array.fields()[i].metadata().contains_key(META_RAW_JSON);
                    (i, raw)
                })
            })
            .collect();
        let mut errors = Vec::new();
        let mut headers = Vec::with_capacity(array.len() * self.headers.len());
        for i in 0..array.len() {
            if array.is_null(i) {
                errors.push((i as u32, require_map_error(self.purpose(), &Value::Null)));
                continue;
            }
            let row_headers = children.iter().zip(&self.fields).zip(&self.headers).map(
                |((child, field), name)| Header {
                    name: name.clone(),
                    schema: None,
                    value: schemaless_child(array, *child, field, i),
                },
            );
            headers.extend(row_headers);
        }
        let data = match self.operation {
            Operation::Copy => Arc::new(array.clone()) as ArrayRef,
            Operation::Move => {
                let kept: Vec<usize> = (0..array.num_columns())
                    .filter(|&i| !self.listed.contains(array.fields()[i].name()))
                    .collect();
                keep_children(array, &kept, &[])?
            }
        };
        Ok(Applied {
            column: Column { schema: None, data },
            headers: NewHeaders::Typed(headers),
            errors,
        })
    }

    /// The per-row fallback through the reference, for columns the kernels do not cover
    /// (schemaless Arrow maps and non-map values, non-struct schemas).
    fn apply_rows(&self, column: &Column) -> Result<Applied, ConnectError> {
        let schema = column.schema.as_ref();
        let mut errors = Vec::new();
        let mut headers = Vec::new();
        let mut values = Vec::new();
        let mut out_schema = column.schema.clone();
        for i in 0..column.data.len() {
            match self.transform_side(schema, &value_at(schema, column.data.as_ref(), i)) {
                Ok((s, v, h)) => {
                    out_schema = s;
                    values.push(v);
                    headers.extend(h);
                }
                Err(e) => {
                    errors.push((i as u32, e));
                    values.push(Value::Null);
                }
            }
        }
        let column = match errors.len() == values.len() {
            true => column.clone(),
            false => Column {
                data: values_to_array(out_schema.as_ref(), &values)?,
                schema: out_schema,
            },
        };
        Ok(Applied {
            column,
            headers: NewHeaders::Typed(headers),
            errors,
        })
    }

    fn apply_side(&self, column: &Column) -> Result<Applied, ConnectError> {
        match (&column.schema, column.data.as_struct_opt()) {
            (Some(schema), Some(array)) if matches!(schema.kind, SchemaKind::Struct(_)) => {
                self.apply_struct(column, schema, array)
            }
            (None, Some(array)) => self.apply_schemaless_struct(array),
            _ => self.apply_rows(column),
        }
    }
}

/// A schemaless struct row's child `field` (at `child`, with whether it holds raw JSON) as a
/// value; a raw-JSON child is read through its parent, which knows how to parse it back.
fn schemaless_child(
    array: &StructArray,
    child: Option<(usize, bool)>,
    field: &str,
    row: usize,
) -> Value {
    match child {
        None => Value::Null,
        Some((index, false)) => value_at(None, array.column(index).as_ref(), row),
        Some((_, true)) => match value_at(None, array, row) {
            Value::Map(entries) => entries
                .into_iter()
                .find(|(k, _)| matches!(k, Value::String(s) if s == field))
                .map_or(Value::Null, |(_, v)| v),
            _ => Value::Null,
        },
    }
}

/// A field's default as a one-row array of its type, if it has one.
fn default_array(schema: &SchemaRef) -> Result<Option<ArrayRef>, ConnectError> {
    match &schema.default {
        None => Ok(None),
        Some(default) => values_to_array(Some(schema), std::slice::from_ref(default)).map(Some),
    }
}

/// `array` with only the children `kept` (same rows and validity), each child's nulls replaced
/// by its entry of `defaults` where it has one. Cost: no row data is copied except to fill
/// defaults.
fn keep_children(
    array: &StructArray,
    kept: &[usize],
    defaults: &[Option<ArrayRef>],
) -> Result<ArrayRef, ConnectError> {
    let fields: Fields = kept.iter().map(|&i| array.fields()[i].clone()).collect();
    let children = kept
        .iter()
        .enumerate()
        .map(|(k, &i)| match defaults.get(k) {
            Some(Some(default)) => fill_nulls(array.column(i), default),
            _ => Ok(array.column(i).clone()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rebuilt =
        StructArray::try_new_with_length(fields, children, array.nulls().cloned(), array.len())
            .map_err(|e| ConnectError::data(format!("Could not rebuild the struct: {e}")))?;
    Ok(Arc::new(rebuilt))
}

/// `child` with its nulls replaced by the one-row `default`. Cost: nothing without nulls.
fn fill_nulls(child: &ArrayRef, default: &ArrayRef) -> Result<ArrayRef, ConnectError> {
    let Some(nulls) = child.logical_nulls().filter(|n| n.null_count() > 0) else {
        return Ok(child.clone());
    };
    let mask = BooleanArray::new(nulls.into_inner(), None);
    let (child, default) = alike(child, default);
    zip(&mask, &child, &Scalar::new(default))
        .map_err(|e| ConnectError::data(format!("Could not apply the default: {e}")))
}

impl Transform for HeaderFrom {
    /// Only its own side.
    fn touches(&self, side: Side) -> bool {
        side == self.side
    }

    /// Adds the `headers` it is configured with; reads none.
    fn header_use(&self) -> crate::HeaderUse {
        crate::HeaderUse {
            writes: crate::HeaderNames::Only(self.headers.iter().map(|h| h.to_string()).collect()),
            ..crate::HeaderUse::NONE
        }
    }

    /// Reads the header fields of each row into its new headers and, for `move`, rebuilds the
    /// struct without them. Cost: per schema, one plan; per row, one value per header field;
    /// the other fields are moved as arrays.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let rows = input.rows.len();
        let column = match self.side {
            Side::Key => input.key,
            Side::Value => input.value,
        };
        let applied = match self.apply_side(column) {
            Ok(applied) => applied,
            Err(e) => return SegmentOutput::all_failed(rows, &e),
        };
        let mut failed = vec![false; rows];
        for (i, _) in &applied.errors {
            if let Some(slot) = failed.get_mut(*i as usize) {
                *slot = true;
            }
        }
        let cells: Vec<u32> = (0..rows as u32).filter(|&i| !failed[i as usize]).collect();
        let kept: Vec<u32> = cells.iter().map(|&i| input.rows[i as usize]).collect();
        match applied.headers {
            NewHeaders::Columns(columns) => {
                input.meta.headers.append_cells(&kept, &cells, columns);
            }
            NewHeaders::Typed(headers) => {
                let per_row = self.headers.len();
                let mut new_headers = headers.into_iter();
                input.meta.headers.append_typed(&kept, |_, added| {
                    added.extend(new_headers.by_ref().take(per_row))
                });
            }
        }
        let (key, value) = match self.side {
            Side::Key => (&applied.column, input.value),
            Side::Value => (input.key, &applied.column),
        };
        kept_except(rows, key, value, applied.errors)
    }

    fn apply_record(
        &self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let (schema, value) = record.side(self.side);
        let (schema, value, headers) = self.transform_side(schema, value)?;
        record.headers.extend(headers);
        Ok(Some(record.with_side(self.side, schema, value)))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::kernel::routing::testkit::{
        arb_segment, assert_agree, kernel, reference, struct_schema,
    };
    use crate::kernel::test_kit::value_record;
    use crate::record::column_of;

    fn config(pairs: &[(&str, &str)]) -> TransformConfig {
        TransformConfig::new(
            "hf",
            "org.apache.kafka.connect.transforms.HeaderFrom$Value",
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    fn header_from(side: Side, fields: &str, headers: &str, op: &str, replace: bool) -> HeaderFrom {
        let replace = replace.to_string();
        HeaderFrom::from_config(
            &config(&[
                ("fields", fields),
                ("headers", headers),
                ("operation", op),
                ("replace.null.with.default", &replace),
            ]),
            side,
        )
        .unwrap()
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(
            records in arb_segment(),
            side in prop_oneof![Just(Side::Key), Just(Side::Value)],
            (fields, headers) in prop_oneof![
                Just(("id", "h")),
                Just(("name,addr", "a,b")),
                Just(("id,name,addr", "h,h,a")),
                Just(("nosuch", "x")),
            ],
            op in prop_oneof![Just("copy"), Just("move")],
            replace in any::<bool>(),
        ) {
            let t = header_from(side, fields, headers, op, replace);
            assert_agree(&kernel(&t, &records), &reference(&t, &records));
        }
    }

    #[test]
    fn move_replaces_remaining_nulls_with_defaults_and_copy_does_not() {
        let schema = struct_schema();
        let value = Value::Struct(Struct {
            schema: schema.clone(),
            values: vec![Value::Int64(7), Value::Null, Value::Null],
        });
        let moved = header_from(Side::Value, "id", "h", "move", true)
            .apply_record(value_record(Some(schema.clone()), value.clone()))
            .unwrap()
            .unwrap();
        let Value::Struct(s) = &moved.value else {
            panic!("not a struct")
        };
        assert_eq!(s.values, vec![Value::String("anon".into()), Value::Null]);
        assert!(!moved.value_schema.as_ref().unwrap().optional);
        assert_eq!(moved.headers[0].value, Value::Int64(7));
        let copied = header_from(Side::Value, "name", "h", "copy", false)
            .apply_record(value_record(Some(schema), value.clone()))
            .unwrap()
            .unwrap();
        assert_eq!(copied.value, value);
        assert_eq!(copied.headers[0].value, Value::Null);
    }

    #[test]
    fn kernel_fills_defaults_when_moving() {
        let schema = struct_schema();
        let values = [Value::Null, Value::String("b".into())].map(|name| {
            Value::Struct(Struct {
                schema: schema.clone(),
                values: vec![Value::Int64(1), name, Value::Null],
            })
        });
        let records: Vec<ConnectRecord> = values
            .iter()
            .map(|v| value_record(Some(schema.clone()), v.clone()))
            .collect();
        let t = header_from(Side::Value, "id", "h", "move", true);
        assert_agree(&kernel(&t, &records), &reference(&t, &records));
    }

    #[test]
    fn raw_json_children_are_read_as_values() {
        let maps = [Value::Int64(1), Value::String("x".into())]
            .map(|v| Value::Map(vec![(Value::String("a".into()), v)]));
        let column = column_of(None, &maps).unwrap();
        let array = column.data.as_struct();
        assert!(array.fields()[0].metadata().contains_key(META_RAW_JSON));
        let t = header_from(Side::Value, "a", "h", "copy", true);
        let NewHeaders::Typed(headers) = t.apply_schemaless_struct(array).unwrap().headers else {
            panic!("schemaless headers are typed");
        };
        assert_eq!(headers[0].value, Value::Int64(1));
        assert_eq!(headers[1].value, Value::String("x".into()));
    }

    #[test]
    fn nulls_and_missing_fields_fail_like_kafka() {
        let t = header_from(Side::Value, "id", "h", "move", true);
        assert_eq!(
            t.apply_record(value_record(None, Value::Null))
                .unwrap_err()
                .message,
            "Only Map objects supported in absence of schema for [header move], found: null"
        );
        assert_eq!(
            t.apply_record(value_record(Some(struct_schema()), Value::Null))
                .unwrap_err()
                .message,
            "Only Struct objects supported for [header move], found: null"
        );
        let t = header_from(Side::Value, "nosuch", "h", "copy", true);
        let value = Value::Struct(Struct {
            schema: struct_schema(),
            values: vec![Value::Int64(1), Value::Null, Value::Null],
        });
        assert_eq!(
            t.apply_record(value_record(Some(struct_schema()), value))
                .unwrap_err()
                .message,
            MISSING_FIELD_NPE
        );
    }

    #[test]
    fn config_errors_use_kafkas_messages() {
        let err = |pairs: &[(&str, &str)]| {
            HeaderFrom::from_config(&config(pairs), Side::Value).unwrap_err()
        };
        assert_eq!(
            err(&[("headers", "h"), ("operation", "copy")]).message,
            "Missing required configuration \"fields\" which has no default value."
        );
        assert_eq!(
            err(&[("fields", ""), ("headers", "h"), ("operation", "copy")]).message,
            "Invalid value [] for configuration fields: Empty list"
        );
        assert_eq!(
            err(&[("fields", "a"), ("operation", "copy")]).message,
            "Missing required configuration \"headers\" which has no default value."
        );
        assert_eq!(
            err(&[("fields", "a"), ("headers", "h")]).message,
            "Missing required configuration \"operation\" which has no default value."
        );
        assert_eq!(
            err(&[("fields", "a"), ("headers", "h"), ("operation", "cut")]).message,
            "Invalid value cut for configuration operation: String must be one of: move, copy"
        );
        assert_eq!(
            err(&[
                ("fields", "a"),
                ("headers", "h"),
                ("operation", "copy"),
                ("replace.null.with.default", "x")
            ])
            .key,
            "replace.null.with.default"
        );
        assert_eq!(
            err(&[("fields", "a,b"), ("headers", "h"), ("operation", "copy")]).message,
            "'fields' config must have the same number of elements as 'headers' config."
        );
    }
}
