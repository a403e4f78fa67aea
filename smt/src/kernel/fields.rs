//! Adding fields: `SchemaBuilder.field`'s duplicate check, `HashMap.get` / `HashMap.put` on a
//! schemaless map (as values and as a map's Arrow columns), and a name list's positions for
//! linear-time lookups.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_schema::{Field as ArrowField, FieldRef};
use weir_formats::error::ConnectError;
use weir_formats::schema::Field;
use weir_formats::value::Value;

/// `Map.get(name)` on a schemaless map: the value of the string key `name`, or null. Cost: a
/// scan of the entries.
pub(crate) fn map_get<'v>(entries: &'v [(Value, Value)], name: &str) -> &'v Value {
    static NULL: Value = Value::Null;
    entries
        .iter()
        .find(|(k, _)| matches!(k, Value::String(s) if s == name))
        .map_or(&NULL, |(_, v)| v)
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

/// `HashMap.put` on a schemaless map held as Arrow columns: `data` becomes the nullable column
/// `name`, at `position` (the key's column, where the map has it) or appended. Cost: one field.
pub(crate) fn put_map_column(
    fields: &mut Vec<FieldRef>,
    columns: &mut Vec<ArrayRef>,
    position: Option<usize>,
    name: &str,
    data: ArrayRef,
) {
    let field = Arc::new(ArrowField::new(name, data.data_type().clone(), true));
    match position {
        Some(i) => {
            fields[i] = field;
            columns[i] = data;
        }
        None => {
            fields.push(field);
            columns.push(data);
        }
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

/// The position of each name in `names` (the first, where a name repeats). Built once, it turns
/// the per-field search of a field list into one hash lookup, so a transform's cost stays linear
/// in the width of the record and the length of its list. Cost: O(names).
pub fn positions_by_name<'a>(names: impl IntoIterator<Item = &'a str>) -> HashMap<&'a str, usize> {
    let mut positions = HashMap::new();
    for (i, name) in names.into_iter().enumerate() {
        positions.entry(name).or_insert(i);
    }
    positions
}
