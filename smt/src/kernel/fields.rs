//! Adding fields: `SchemaBuilder.field`'s duplicate check, `HashMap.put` on a schemaless map,
//! and a name list's positions for linear-time lookups.

use std::collections::{HashMap, HashSet};

use weir_formats::error::ConnectError;
use weir_formats::schema::Field;
use weir_formats::value::Value;

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
