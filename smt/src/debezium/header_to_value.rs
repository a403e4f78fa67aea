//! `io.debezium.transforms.HeaderToValue`: copies or moves the listed headers into fields of
//! the value (`headers`, `fields`, `operation`), Debezium's `HeaderToValue.java` with
//! `ConnectRecordUtil.makeNewSchema` / `makeUpdatedValue`.
//!
//! Debezium's behaviours kept here: the value must be a Struct (tombstones pass, anything else
//! fails); the header's own schema becomes the field's; a dotted field name (`source.id`) goes
//! into the struct of that name, which is created (optional) when the value has none; the
//! updated schema is a required copy of the value's, computed from the first record with
//! matching headers and then cached per value schema, so a later record whose headers do not
//! fit it fails as Debezium's `Struct.put` fails; the value's nulls become the columns'
//! defaults (`Struct.get`); a field that already exists keeps its schema and takes the header's
//! value; `move` removes every header of a listed name.
//!
//! Kernel: per segment, the rows' matching headers are read once (they are row data); the
//! output column is assembled from the value's child arrays (defaults filled where null) and
//! one array per added field built from the header values. Field names nested deeper than one
//! struct, or struct columns whose own children are nested targets, go through the per-row
//! fallback over the reference.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, StructArray};
use arrow_buffer::NullBuffer;
use weir_formats::arrow_mapping::arrow_type;
use weir_formats::batch::{Column, Header};
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};
use weir_formats::value_array::{value_at, values_to_array};

use super::whole_record;
use crate::debezium::change_event::java_split;
use crate::debezium::extract_new_record_state::struct_copy;
use crate::kernel::arrow_build::{arrow_failure, struct_array};
use crate::kernel::defaults::{field_value, fill_default};
use crate::kernel::fields::push_unique;
use crate::kernel::requirements::require_struct_error;
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::segment_output::{assemble, RowOutcome};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

const PURPOSE: &str = "Header field insertion";
const ROOT: &str = "payload";

/// `HeaderToValue`. Cost: parses and validates the config, once per pipeline.
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(HeaderToValue::new(config)?))
}

/// `HeaderToValue`, configured.
#[derive(Debug)]
pub struct HeaderToValue {
    headers: Vec<String>,
    fields: Vec<String>,
    move_headers: bool,
    /// The updated schema per value schema, as Debezium's `schemaUpdateCache` holds it.
    schemas: SchemaCache<SchemaRef>,
}

/// One header to put into the value: the target field name and the header's schema and value.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    schema: Option<SchemaRef>,
    value: Value,
}

/// `SmtManager.validate`'s `ConfigException` for `key`.
fn invalid(key: &str, value: Option<&str>, problem: &str) -> ConfigProblem {
    ConfigProblem::invalid(
        key,
        value.unwrap_or("null"),
        &format!("The '{key}' value is invalid: {problem}"),
    )
}

/// A required LIST key with Debezium's `notContainSpaceInAnyElement`,
/// `notContainEmptyElements` and `isRequired` validators.
fn validated_list(config: &TransformConfig, key: &str) -> Result<Vec<String>, ConfigProblem> {
    let raw = config.get(key);
    // Java's `split` keeps a lone empty string ("" gives [""]) but drops trailing empties.
    let items: Vec<String> = match raw {
        None => Vec::new(),
        Some("") => vec![String::new()],
        Some(v) => java_split(v, ',')
            .iter()
            .map(|s| s.trim().to_string())
            .collect(),
    };
    if items.iter().any(|i| i.contains(' ')) {
        return Err(invalid(
            key,
            raw,
            "Element(s) containing space not permitted",
        ));
    }
    if items.iter().any(String::is_empty) {
        return Err(invalid(key, raw, "Empty string element(s) not permitted"));
    }
    match raw.is_some_and(|v| !v.trim().is_empty()) {
        true => Ok(items),
        false => Err(invalid(key, raw, "A value is required")),
    }
}

impl HeaderToValue {
    /// Parses and validates `headers`, `fields` and `operation` in Debezium's order and with
    /// its messages.
    pub fn new(config: &TransformConfig) -> Result<HeaderToValue, ConfigProblem> {
        let headers = validated_list(config, "headers")?;
        let fields = validated_list(config, "fields")?;
        let operation = config.get("operation");
        let move_headers = match operation.map(|o| o.trim().to_ascii_lowercase()).as_deref() {
            Some("move") => true,
            Some("copy") => false,
            Some(_) => {
                return Err(invalid(
                    "operation",
                    operation,
                    "Value must be one of move, copy",
                ))
            }
            None => return Err(invalid("operation", None, "A value is required")),
        };
        if headers.len() != fields.len() {
            return Err(ConfigProblem::new(
                "fields",
                "'fields' config must have the same number of elements as 'headers' config.",
            ));
        }
        Ok(HeaderToValue {
            headers,
            fields,
            move_headers,
            schemas: SchemaCache::default(),
        })
    }

    /// The entries of a record's headers, in header order.
    fn entries(&self, headers: &[Header]) -> Vec<Entry> {
        headers
            .iter()
            .filter_map(|h| {
                let i = self.headers.iter().position(|n| **n == *h.name)?;
                Some(Entry {
                    name: self.fields[i].clone(),
                    schema: h.schema.clone(),
                    value: h.value.clone(),
                })
            })
            .collect()
    }

    /// The updated schema for `schema`: the cached one, or the one `entries` make.
    fn updated_schema(
        &self,
        schema: &SchemaRef,
        entries: &[Entry],
    ) -> Result<Arc<SchemaRef>, ConnectError> {
        self.schemas.get_or_try(schema, || {
            make_new_schema(schema, entries).map(Schema::into_ref)
        })
    }

    /// The record's headers after the operation.
    fn moved(&self, headers: &mut Vec<Header>) {
        if self.move_headers {
            headers.retain(|h| !self.headers.iter().any(|n| **n == *h.name));
        }
    }

    // -----------------------------------------------------------------------------------------
    // The kernel.

    /// The columnar path over a STRUCT value column of `schema`; `None` where the rows need
    /// the per-row fallback.
    fn apply_struct(
        &self,
        input: &mut SegmentInput<'_>,
        schema: &SchemaRef,
        values: &StructArray,
    ) -> Option<SegmentOutput> {
        let n = input.rows.len();
        let entries: Vec<Vec<Entry>> = (0..n)
            .map(|i| match values.is_null(i) {
                true => Vec::new(),
                false => self.entries(input.meta.headers.row(input.rows[i] as usize)),
            })
            .collect();
        if entries
            .iter()
            .flatten()
            .any(|e| java_split(&e.name, '.').len() > 2)
        {
            return None;
        }
        let Some(first) = entries.iter().find(|e| !e.is_empty()) else {
            return Some(SegmentOutput::all(
                n,
                input.key.clone(),
                input.value.clone(),
            ));
        };
        // A schema Debezium fails to make fails each record differently: the reference.
        let updated = self.updated_schema(schema, first).ok()?;
        let nested: Vec<&str> = nested_names(entries.iter().flatten());
        let contained: Vec<&Field> = schema
            .fields()
            .iter()
            .filter(|f| is_contained(&f.name, &nested))
            .collect();
        // Two levels of nesting, or a field both rebuilt and replaced: the reference.
        let deep = contained.iter().any(|f| {
            f.schema
                .fields()
                .iter()
                .any(|g| is_contained(&g.name, &nested))
                || entries.iter().flatten().any(|e| e.name == f.name)
        });
        if deep {
            return None;
        }
        let outcomes: Vec<RowOutcome> = entries
            .iter()
            .enumerate()
            .map(|(i, row)| match row.is_empty() {
                true => RowOutcome::Part(0),
                false => match check_row(schema, values, i, &updated, row) {
                    Ok(()) => RowOutcome::Part(1),
                    Err(e) => RowOutcome::Failed(e),
                },
            })
            .collect();
        let valid: Vec<bool> = outcomes
            .iter()
            .map(|o| matches!(o, RowOutcome::Part(1)))
            .collect();
        let column = match build_level(schema, values, &updated, &entries, &valid) {
            Ok(data) => Column {
                schema: Some((*updated).clone()),
                data,
            },
            Err(e) => return Some(fail_rows(input, &entries, &e)),
        };
        if self.move_headers {
            let moved: Vec<u32> = (0..n)
                .filter(|&i| valid[i])
                .map(|i| input.rows[i])
                .collect();
            input.meta.headers.edit_rows(&moved, |_, h| self.moved(h));
        }
        Some(assemble(
            input,
            Side::Value,
            vec![input.value.clone(), column],
            outcomes,
        ))
    }
}

/// Every row with entries fails with `error`; the others pass unchanged.
fn fail_rows(
    input: &SegmentInput<'_>,
    entries: &[Vec<Entry>],
    error: &ConnectError,
) -> SegmentOutput {
    let outcomes = entries
        .iter()
        .map(|e| match e.is_empty() {
            true => RowOutcome::Part(0),
            false => RowOutcome::Failed(error.clone()),
        })
        .collect();
    assemble(input, Side::Value, vec![input.value.clone()], outcomes)
}

// ---------------------------------------------------------------------------------------------
// `ConnectRecordUtil.makeNewSchema` / `makeUpdatedValue`, shared by the reference and kernel.

/// The entry names with a dot (`nestedFields`).
fn nested_names<'a>(entries: impl Iterator<Item = &'a Entry>) -> Vec<&'a str> {
    entries
        .filter(|e| e.name.contains('.'))
        .map(|e| e.name.as_str())
        .collect()
}

/// `isContainedIn`: some nested name contains `<name>.` (anywhere, as Debezium tests it).
fn is_contained(name: &str, nested: &[&str]) -> bool {
    let prefix = format!("{name}.");
    nested.iter().any(|n| n.contains(&prefix))
}

fn is_primitive(kind: &SchemaKind) -> bool {
    !matches!(
        kind,
        SchemaKind::Array(_) | SchemaKind::Map(..) | SchemaKind::Struct(_)
    )
}

/// `Struct.lookupField`'s error.
fn not_a_field(name: &str) -> ConnectError {
    ConnectError::data(format!("{name} is not a valid field name"))
}

/// `getFieldName`: the name entry `dest` takes at `level` under `current`.
fn field_name<'a>(dest: &'a str, current: &str, level: usize) -> Option<&'a str> {
    let parts = java_split(dest, '.');
    if parts.len() == 1 && current == ROOT {
        return parts.first().copied();
    }
    let parent = level.saturating_sub(1);
    (parts.len() == level + 1 && parts.get(parent) == Some(&current)).then(|| parts[level])
}

/// `getNewParentFieldsAtLevel`: the structs to create under `current` for nested names whose
/// parent `old` lacks.
fn new_parents(current: &str, old: &Schema, nested: &[&str], level: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in nested {
        let parts = java_split(name, '.');
        let process = (level == 0 && current == ROOT)
            || (level > 0 && level < parts.len() && parts[level - 1] == current);
        if process && level + 1 < parts.len() {
            let field = parts[level];
            if old.field(field).is_none() && !out.iter().any(|o| o == field) {
                out.push(field.to_string());
            }
        }
    }
    out
}

/// `getNestedFieldNameForParent`: the name entry `dest` takes inside new struct `parent`.
fn nested_field_for_parent<'a>(
    dest: &'a str,
    parent: &str,
    current: &str,
    level: usize,
) -> Option<&'a str> {
    let parts = java_split(dest, '.');
    if level == 0 && current == ROOT {
        return (parts.len() > 1 && parts[0] == parent).then(|| parts[1]);
    }
    let path = parts[..(level + 1).min(parts.len())].join(".");
    (level > 0 && path == parent && level + 1 < parts.len()).then(|| parts[level + 1])
}

/// `SchemaBuilder.field` with an entry's schema (a null header has none).
fn entry_field(name: &str, entry: &Entry) -> Result<Field, ConnectError> {
    let schema = entry.schema.clone().ok_or_else(|| {
        ConnectError::data(format!("fieldSchema for field {name} cannot be null."))
    })?;
    Ok(Field {
        name: name.to_string(),
        schema,
    })
}

/// `makeNewSchema`: `old` with the entries' fields, as a required copy.
fn make_new_schema(old: &Schema, entries: &[Entry]) -> Result<Schema, ConnectError> {
    let nested = nested_names(entries.iter());
    for name in &nested {
        let parts = java_split(name, '.');
        let mut current = old;
        for part in &parts[..parts.len().saturating_sub(1)] {
            if !matches!(current.kind, SchemaKind::Struct(_)) {
                return Err(ConnectError::data(
                    "Cannot look up fields on non-struct type",
                ));
            }
            let Some((_, field)) = current.field(part) else {
                break;
            };
            if is_primitive(&field.schema.kind) {
                return Err(ConnectError::data(format!(
                    "Field '{part}' is a primitive type, not a struct. Cannot add nested field '{name}'."
                )));
            }
            current = &field.schema;
        }
    }
    build_new_schema(ROOT, old, entries, &nested, 0)
}

/// `buildNewSchema` at `level` under `current`.
fn build_new_schema(
    current: &str,
    old: &Schema,
    entries: &[Entry],
    nested: &[&str],
    level: usize,
) -> Result<Schema, ConnectError> {
    if is_primitive(&old.kind) {
        return Ok(old.clone());
    }
    if !matches!(old.kind, SchemaKind::Struct(_)) {
        return Err(ConnectError::data("Cannot list fields on non-struct type"));
    }
    let mut fields = Vec::new();
    for field in old.fields() {
        let schema = match is_contained(&field.name, nested) {
            true => {
                build_new_schema(&field.name, &field.schema, entries, nested, level + 1)?.into_ref()
            }
            false => field.schema.clone(),
        };
        fields.push(Field {
            name: field.name.clone(),
            schema,
        });
    }
    for entry in entries {
        if let Some(name) = field_name(&entry.name, current, level) {
            if !fields.iter().any(|f| f.name == name) {
                fields.push(entry_field(name, entry)?);
            }
        }
    }
    for parent in new_parents(current, old, nested, level) {
        let mut children = Vec::new();
        for entry in entries {
            if let Some(name) = nested_field_for_parent(&entry.name, &parent, current, level) {
                push_unique(&mut children, entry_field(name, entry)?)?;
            }
        }
        let schema = Schema::structure(children.into_iter().map(|f| (f.name, f.schema)))
            .optional()
            .into_ref();
        push_unique(
            &mut fields,
            Field {
                name: parent,
                schema,
            },
        )?;
    }
    Ok(struct_copy(old, fields))
}

/// Whether `value` is what `Struct.put` accepts for `schema` (not null).
fn fits(schema: &SchemaRef, value: &Value) -> bool {
    if let (SchemaKind::Struct(_), Value::Struct(s)) = (&schema.kind, value) {
        return s.schema == *schema;
    }
    if schema.logical_type().is_none() && is_primitive(&schema.kind) {
        return matches!(
            (&schema.kind, value),
            (SchemaKind::Int8, Value::Int8(_))
                | (SchemaKind::Int16, Value::Int16(_))
                | (SchemaKind::Int32, Value::Int32(_))
                | (SchemaKind::Int64, Value::Int64(_))
                | (SchemaKind::Float32, Value::Float32(_))
                | (SchemaKind::Float64, Value::Float64(_))
                | (SchemaKind::Boolean, Value::Boolean(_))
                | (SchemaKind::String, Value::String(_))
                | (SchemaKind::Bytes, Value::Bytes(_))
        );
    }
    values_to_array(Some(schema), std::slice::from_ref(value)).is_ok()
}

/// `Struct.put`'s validation of `value` into `field`.
fn check_put(field: &Field, value: &Value) -> Result<(), ConnectError> {
    match value {
        Value::Null if field.schema.optional => Ok(()),
        Value::Null => Err(required_null(field)),
        _ if fits(&field.schema, value) => Ok(()),
        _ => Err(ConnectError::data(format!(
            "Invalid Java object for schema with type {}: class {} for field: \"{}\"",
            field.schema.type_name(),
            value.java_class(),
            field.name
        ))),
    }
}

/// A required field left null, as building (and encoding) the record reports it.
fn required_null(field: &Field) -> ConnectError {
    ConnectError::data(format!(
        "Invalid value: null used for required field: \"{}\", schema type: {}",
        field.name,
        field.schema.type_name()
    ))
}

/// `Struct.put(name, value)` on `values` of `schema`.
fn put(
    values: &mut [Value],
    schema: &Schema,
    name: &str,
    value: Value,
) -> Result<(), ConnectError> {
    let (i, field) = schema.field(name).ok_or_else(|| not_a_field(name))?;
    check_put(field, &value)?;
    values[i] = value;
    Ok(())
}

/// `buildUpdatedValue` at `level` under `current`.
fn build_updated_value(
    current: &str,
    original: &Struct,
    entries: &[Entry],
    updated: &SchemaRef,
    nested: &[&str],
    level: usize,
) -> Result<Struct, ConnectError> {
    let mut values = vec![Value::Null; updated.fields().len()];
    for (i, field) in original.schema.fields().iter().enumerate() {
        let value = field_value(field, original.values.get(i).unwrap_or(&Value::Null), true);
        if value.is_null() {
            continue;
        }
        if is_contained(&field.name, nested) {
            let Value::Struct(inner) = &value else {
                return Err(require_struct_error("Nested field", &value));
            };
            let (_, target) = updated
                .field(&field.name)
                .ok_or_else(|| not_a_field(&field.name))?;
            let built = build_updated_value(
                &field.name,
                inner,
                entries,
                &target.schema,
                nested,
                level + 1,
            )?;
            put(&mut values, updated, &field.name, Value::Struct(built))?;
        } else {
            put(&mut values, updated, &field.name, value)?;
        }
    }
    for entry in entries {
        if let Some(name) = field_name(&entry.name, current, level) {
            put(&mut values, updated, name, entry.value.clone())?;
        }
    }
    for parent in new_parents(current, &original.schema, nested, level) {
        let Some((_, field)) = updated.field(&parent) else {
            continue;
        };
        let mut children = vec![Value::Null; field.schema.fields().len()];
        for entry in entries {
            if let Some(name) = nested_field_for_parent(&entry.name, &parent, current, level) {
                put(&mut children, &field.schema, name, entry.value.clone())?;
            }
        }
        let parent_value = Value::Struct(Struct {
            schema: field.schema.clone(),
            values: children,
        });
        put(&mut values, updated, &parent, parent_value)?;
    }
    Ok(Struct {
        schema: updated.clone(),
        values,
    })
}

// ---------------------------------------------------------------------------------------------
// The kernel's column assembly.

/// Where one root field of the updated schema comes from, for one row.
fn root_target<'a>(row: &'a [Entry], name: &str) -> Option<&'a Value> {
    row.iter()
        .rev()
        .find(|e| field_name(&e.name, ROOT, 0) == Some(name))
        .map(|e| &e.value)
}

/// The value of entry `parent.child` in `row` (the last one of that name).
fn nested_target<'a>(row: &'a [Entry], parent: &str, child: &str) -> Option<&'a Value> {
    row.iter().rev().find_map(|e| {
        let parts = java_split(&e.name, '.');
        (parts.len() == 2 && parts[0] == parent && parts[1] == child).then_some(&e.value)
    })
}

/// Whether `row` has an entry inside `parent`.
fn has_nested(row: &[Entry], parent: &str) -> bool {
    row.iter().any(|e| {
        let parts = java_split(&e.name, '.');
        parts.len() == 2 && parts[0] == parent
    })
}

/// What `build_updated_value` would fail with for row `i` (value `values`, schema `schema`),
/// plus the required fields it would leave null; `Ok` when the row's column cells are valid.
fn check_row(
    schema: &Schema,
    values: &StructArray,
    i: usize,
    updated: &Schema,
    row: &[Entry],
) -> Result<(), ConnectError> {
    for entry in row {
        let parts = java_split(&entry.name, '.');
        if parts.len() == 1 {
            let (_, field) = updated
                .field(parts[0])
                .ok_or_else(|| not_a_field(parts[0]))?;
            check_put(field, &entry.value)?;
            continue;
        }
        let (parent, child) = (parts[0], parts[1]);
        if let Some((p, original)) = schema.field(parent) {
            let cell = field_value(
                original,
                &value_at(Some(&original.schema), values.column(p).as_ref(), i),
                true,
            );
            if cell.is_null() {
                continue;
            }
        }
        if let Some((_, target)) = updated.field(parent) {
            let (_, field) = target
                .schema
                .field(child)
                .ok_or_else(|| not_a_field(child))?;
            check_put(field, &entry.value)?;
        }
    }
    for field in updated.fields() {
        let original = schema.field(&field.name);
        let present = root_target(row, &field.name).is_some()
            || original.is_some()
            || has_nested(row, &field.name);
        if !present && !field.schema.optional {
            return Err(required_null(field));
        }
        let non_null_parent = match original {
            Some((p, o)) => !field_value(
                o,
                &value_at(Some(&o.schema), values.column(p).as_ref(), i),
                true,
            )
            .is_null(),
            None => has_nested(row, &field.name),
        };
        if !non_null_parent || !matches!(field.schema.kind, SchemaKind::Struct(_)) {
            continue;
        }
        let inner = original.map(|(_, o)| &o.schema);
        for child in field.schema.fields() {
            let has = nested_target(row, &field.name, &child.name).is_some()
                || inner.is_some_and(|s| s.field(&child.name).is_some());
            if !has && !child.schema.optional {
                return Err(required_null(child));
            }
        }
    }
    Ok(())
}

/// The updated value column: root fields from the entries or the value's children (defaults
/// filled), struct fields that hold nested targets rebuilt one level down, new structs from the
/// entries. Rows not in `valid` are null (they are not taken from this column).
fn build_level(
    schema: &Schema,
    values: &StructArray,
    updated: &Schema,
    entries: &[Vec<Entry>],
    valid: &[bool],
) -> Result<ArrayRef, ConnectError> {
    let n = valid.len();
    let nulls = Some(NullBuffer::from(valid.to_vec()));
    let mut children = Vec::with_capacity(updated.fields().len());
    for field in updated.fields() {
        let original = schema.field(&field.name);
        let targeted = entries
            .iter()
            .any(|row| root_target(row, &field.name).is_some());
        let child = match original {
            _ if targeted => {
                let cells: Vec<Value> = (0..n)
                    .map(
                        |i| match (valid[i], root_target(&entries[i], &field.name), original) {
                            (false, _, _) => Value::Null,
                            (true, Some(v), _) => v.clone(),
                            (true, None, Some((p, o))) => field_value(
                                o,
                                &value_at(Some(&o.schema), values.column(p).as_ref(), i),
                                true,
                            ),
                            (true, None, None) => Value::Null,
                        },
                    )
                    .collect();
                values_to_array(Some(&field.schema), &cells)?
            }
            Some((p, o))
                if matches!(field.schema.kind, SchemaKind::Struct(_))
                    && entries.iter().any(|row| has_nested(row, &field.name)) =>
            {
                let inner = fill_default(&o.schema, values.column(p))?;
                let inner = inner
                    .as_struct_opt()
                    .ok_or_else(|| ConnectError::data("a nested target is not a struct column"))?;
                let rows: Vec<bool> = (0..n).map(|i| valid[i] && inner.is_valid(i)).collect();
                nested_column(field, Some((&o.schema, inner)), entries, &rows)?
            }
            Some((p, o)) => fill_default(&o.schema, values.column(p))?,
            None if matches!(field.schema.kind, SchemaKind::Struct(_)) => {
                let rows: Vec<bool> = (0..n)
                    .map(|i| valid[i] && has_nested(&entries[i], &field.name))
                    .collect();
                nested_column(field, None, entries, &rows)?
            }
            None => values_to_array(Some(&field.schema), &vec![Value::Null; n])?,
        };
        children.push(child);
    }
    let fields = match arrow_type(updated) {
        arrow_schema::DataType::Struct(fields) => fields,
        _ => return Err(ConnectError::data("the updated schema is not a struct")),
    };
    let array = struct_array(fields, children, nulls, n).map_err(arrow_failure)?;
    Ok(Arc::new(array))
}

/// A struct column of `field` one level down: each child from the rows' `field.child` entries,
/// else from `original`'s child (defaults filled), else null; valid where `rows` says.
fn nested_column(
    field: &Field,
    original: Option<(&SchemaRef, &StructArray)>,
    entries: &[Vec<Entry>],
    rows: &[bool],
) -> Result<ArrayRef, ConnectError> {
    let n = rows.len();
    let mut children = Vec::new();
    for child in field.schema.fields() {
        let source =
            original.and_then(|(s, a)| s.field(&child.name).map(|(c, f)| (f, a.column(c))));
        let targeted = entries
            .iter()
            .any(|row| nested_target(row, &field.name, &child.name).is_some());
        let column = match source {
            Some((f, array)) if !targeted => fill_default(&f.schema, array)?,
            _ => {
                let cells: Vec<Value> = (0..n)
                    .map(|i| {
                        match (
                            rows[i],
                            nested_target(&entries[i], &field.name, &child.name),
                            &source,
                        ) {
                            (false, _, _) => Value::Null,
                            (true, Some(v), _) => v.clone(),
                            (true, None, Some((f, array))) => {
                                field_value(f, &value_at(Some(&f.schema), array.as_ref(), i), true)
                            }
                            (true, None, None) => Value::Null,
                        }
                    })
                    .collect();
                values_to_array(Some(&child.schema), &cells)?
            }
        };
        children.push(column);
    }
    let fields = match arrow_type(&field.schema) {
        arrow_schema::DataType::Struct(fields) => fields,
        _ => return Err(ConnectError::data("the nested schema is not a struct")),
    };
    let nulls = Some(NullBuffer::from(rows.to_vec()));
    let array = struct_array(fields, children, nulls, n).map_err(arrow_failure)?;
    Ok(Arc::new(array))
}

impl Transform for HeaderToValue {
    /// STRUCT value segments: the columnar path; the rest (and the rare shapes named in the
    /// module doc) through the reference per row.
    fn apply(&self, mut input: SegmentInput<'_>) -> SegmentOutput {
        let schema = input.value.schema.clone();
        let values = input.value.data.as_struct_opt().cloned();
        let done = match (schema, values) {
            (Some(schema), Some(values)) if matches!(schema.kind, SchemaKind::Struct(_)) => {
                self.apply_struct(&mut input, &schema, &values)
            }
            _ => None,
        };
        match done {
            Some(output) => output,
            None => whole_record::apply_rows_with_headers(input, self),
        }
    }

    /// Debezium's `apply`.
    fn apply_record(
        &self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.value.is_null() {
            return Ok(Some(record));
        }
        let (Some(schema), Value::Struct(value)) = (record.value_schema.clone(), &record.value)
        else {
            return Err(require_struct_error(PURPOSE, &record.value));
        };
        let entries = self.entries(&record.headers);
        if entries.is_empty() {
            return Ok(Some(record));
        }
        let updated = self.updated_schema(&schema, &entries)?;
        let nested = nested_names(entries.iter());
        let built = build_updated_value(ROOT, value, &entries, &updated, &nested, 0)?;
        self.moved(&mut record.headers);
        record.value_schema = Some((*updated).clone());
        record.value = Value::Struct(built);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::{config, meta, value_record};
    use crate::record::column_of;
    use proptest::prelude::*;

    fn h2v(pairs: &[(&str, &str)]) -> HeaderToValue {
        HeaderToValue::new(&config(pairs)).expect("valid config")
    }

    fn value_schema() -> SchemaRef {
        let source =
            Schema::structure([("db".to_string(), Schema::new(SchemaKind::String).into_ref())])
                .with_name("Source");
        Schema::structure(
            [
                ("id", Schema::new(SchemaKind::Int32)),
                (
                    "status",
                    Schema::new(SchemaKind::String)
                        .optional()
                        .with_default(Value::String("active".into())),
                ),
                ("source", source),
            ]
            .map(|(n, s)| (n.to_string(), s.into_ref())),
        )
        .with_name("t.Value")
        .optional()
        .into_ref()
    }

    fn value(id: i32, status: Option<&str>) -> Value {
        let schema = value_schema();
        let source = schema.field("source").expect("source").1.schema.clone();
        Value::Struct(Struct {
            schema,
            values: vec![
                Value::Int32(id),
                status.map_or(Value::Null, |s| Value::String(s.into())),
                Value::Struct(Struct {
                    schema: source,
                    values: vec![Value::String("inv".into())],
                }),
            ],
        })
    }

    fn header(name: &str, value: Value) -> Header {
        let kind = match &value {
            Value::Int64(_) => SchemaKind::Int64,
            _ => SchemaKind::String,
        };
        Header {
            name: name.into(),
            schema: Some(Schema::new(kind).into_ref()),
            value,
        }
    }

    fn record(value: Value, headers: Vec<Header>) -> ConnectRecord {
        ConnectRecord {
            headers,
            ..value_record(Some(value_schema()), value)
        }
    }

    #[test]
    fn config_is_validated_as_debezium_validates_it() {
        let error = |pairs: &[(&str, &str)]| HeaderToValue::new(&config(pairs)).expect_err("bad");
        assert_eq!(
            error(&[("headers", "a"), ("fields", "a"), ("operation", "rename")]).message,
            "Invalid value rename for configuration operation: The 'operation' value is invalid: Value must be one of move, copy"
        );
        assert_eq!(
            error(&[("headers", "a,b"), ("fields", "a"), ("operation", "copy")]).message,
            "'fields' config must have the same number of elements as 'headers' config."
        );
        assert_eq!(
            error(&[("fields", "a"), ("operation", "copy")]).key,
            "headers"
        );
        assert_eq!(
            error(&[("headers", "a b"), ("fields", "a"), ("operation", "copy")]).key,
            "headers"
        );
        assert_eq!(
            error(&[("headers", ",a"), ("fields", "a,b"), ("operation", "copy")]).key,
            "headers"
        );
        assert_eq!(error(&[("headers", "a"), ("fields", "a")]).key, "operation");
        assert!(HeaderToValue::new(&config(&[
            ("headers", "a, b,"),
            ("fields", "x,y"),
            ("operation", " MOVE ")
        ]))
        .is_ok());
    }

    #[test]
    fn copies_and_moves_headers_into_top_level_and_nested_fields() {
        let t = h2v(&[
            ("headers", "trace,ts,key"),
            ("fields", "trace,timestamp,source.id"),
            ("operation", "move"),
        ]);
        let headers = vec![
            header("trace", Value::String("abc".into())),
            header("other", Value::String("x".into())),
            header("ts", Value::Int64(5)),
            header("key", Value::String("k".into())),
        ];
        let out = t
            .apply_record(record(value(1, None), headers))
            .expect("ok")
            .expect("kept");
        let schema = out.value_schema.expect("schema");
        assert!(!schema.optional);
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["id", "status", "source", "trace", "timestamp"]);
        let Value::Struct(s) = &out.value else {
            panic!("not a struct")
        };
        // `Struct.get` puts the default in for the null status.
        assert_eq!(s.values[1], Value::String("active".into()));
        let Value::Struct(source) = &s.values[2] else {
            panic!("not a struct")
        };
        assert_eq!(
            source.values,
            vec![Value::String("inv".into()), Value::String("k".into())]
        );
        assert_eq!(out.headers.len(), 1);
        assert_eq!(&*out.headers[0].name, "other");
        let tombstone = t.apply_record(record(Value::Null, vec![])).expect("ok");
        assert_eq!(tombstone.map(|r| r.value), Some(Value::Null));
    }

    #[test]
    fn new_parent_structs_and_cached_schemas() {
        let t = h2v(&[
            ("headers", "a,b"),
            ("fields", "meta.a,b"),
            ("operation", "copy"),
        ]);
        let both = vec![
            header("a", Value::String("1".into())),
            header("b", Value::String("2".into())),
        ];
        let out = t
            .apply_record(record(value(1, Some("s")), both))
            .expect("ok")
            .expect("kept");
        let schema = out.value_schema.expect("schema");
        let (_, meta_field) = schema.field("meta").expect("meta");
        assert!(meta_field.schema.optional);
        // Records of an equal value schema share the cached schema (Debezium keys its cache by
        // schema equality), so on a fresh transform the first record decides it: one with only
        // `a` leaves no `b`, and a later record with `b` fails on put.
        let t = h2v(&[
            ("headers", "a,b"),
            ("fields", "meta.a,b"),
            ("operation", "copy"),
        ]);
        let shared = record(value(2, Some("s")), vec![]);
        let with = |headers: Vec<Header>| ConnectRecord {
            headers,
            ..shared.clone()
        };
        let only_a = vec![header("a", Value::String("1".into()))];
        let first = t
            .apply_record(with(only_a.clone()))
            .expect("built")
            .expect("kept");
        let both = vec![only_a[0].clone(), header("b", Value::String("2".into()))];
        assert!(
            t.apply_record(with(both)).is_err(),
            "b is not in the cached schema"
        );
        assert!(first.value_schema.is_some_and(|s| s.field("b").is_none()));
    }

    #[test]
    fn schemaless_values_fail() {
        let t = h2v(&[("headers", "a"), ("fields", "a"), ("operation", "copy")]);
        let r = ConnectRecord {
            value_schema: None,
            value: Value::Map(vec![]),
            ..record(Value::Null, vec![])
        };
        assert_eq!(
            t.apply_record(r).expect_err("not a struct").message,
            "Only Struct objects supported for [Header field insertion], found: java.util.HashMap"
        );
    }

    fn arb_headers() -> impl Strategy<Value = Vec<Header>> {
        let one = prop_oneof![
            Just(header("trace", Value::String("abc".into()))),
            Just(header("trace", Value::Int64(1))),
            Just(header("ts", Value::Int64(7))),
            Just(header("key", Value::String("k".into()))),
            Just(header("nope", Value::String("n".into()))),
            Just(header("id", Value::Int64(9))),
        ];
        prop::collection::vec(one, 0..4)
    }

    fn arb_config() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
        prop_oneof![
            Just(vec![("headers", "trace,ts"), ("fields", "trace,ts")]),
            Just(vec![
                ("headers", "trace,key"),
                ("fields", "trace,source.key")
            ]),
            Just(vec![("headers", "key,ts"), ("fields", "meta.key,meta.ts")]),
            Just(vec![("headers", "id,trace"), ("fields", "id,status")]),
            Just(vec![("headers", "ts"), ("fields", "a.b.c")]),
        ]
        .prop_flat_map(|c| {
            prop_oneof![Just("copy"), Just("move")].prop_map(move |op| {
                let mut c = c.clone();
                c.push(("operation", op));
                c
            })
        })
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(
            pairs in arb_config(),
            rows in prop::collection::vec((0..3i32, prop::option::of(Just("s")), arb_headers(), any::<bool>()), 0..8),
        ) {
            let n = rows.len();
            let values: Vec<Value> = rows
                .iter()
                .map(|(id, status, _, tombstone)| match tombstone {
                    true => Value::Null,
                    false => value(*id, *status),
                })
                .collect();
            // Separate instances: each caches the schema of the first record with headers.
            let (kernel, reference) = (h2v(&pairs), h2v(&pairs));
            let column = column_of(Some(&value_schema()), &values).expect("column");
            let key = column_of(None, &vec![Value::Null; n]).expect("key");
            let segment_rows: Vec<u32> = (0..n as u32).collect();
            let mut m = meta(n, false);
            m.headers = Default::default();
            for (_, _, headers, _) in &rows {
                m.headers.push_row(headers.clone());
            }
            let mut expected_meta = m.clone();
            let expected: Vec<_> = SegmentInput {
                rows: &segment_rows,
                key: &key,
                value: &column,
                meta: &mut expected_meta,
            }
            .records()
            .into_iter()
            .map(|r| {
                reference.apply_record(r).map(|r| {
                    r.and_then(|r| {
                        values_to_array(r.value_schema.as_ref(), std::slice::from_ref(&r.value))
                            .ok()
                            .map(|_| (r.value_schema, r.value, r.headers))
                    })
                })
            })
            .collect();
            let output = kernel.apply(SegmentInput {
                rows: &segment_rows,
                key: &key,
                value: &column,
                meta: &mut m,
            });
            let mut actual = vec![None; n];
            for part in &output.parts {
                for (k, &i) in part.indices.iter().enumerate() {
                    let v = value_at(part.value.schema.as_ref(), part.value.data.as_ref(), k);
                    actual[i as usize] = Some((part.value.schema.clone(), v, m.headers.row(i as usize).to_vec()));
                }
            }
            let failed: Vec<u32> = output.errors.iter().map(|(i, _)| *i).collect();
            for (i, e) in expected.iter().enumerate() {
                match e {
                    // A reference record that cannot be written is a failed row in the kernel.
                    Ok(Some(record)) => prop_assert_eq!(actual[i].as_ref(), Some(record), "row {}", i),
                    Ok(None) | Err(_) => prop_assert!(failed.contains(&(i as u32)), "row {} should fail: {:?}", i, e),
                }
            }
        }
    }
}
