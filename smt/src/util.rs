//! What Kafka's transforms share (`transforms/util/*.java`): the messages of `Requirements`,
//! `SchemaUtil.copySchemaBasics`, and the per-schema cache every schema-changing transform keeps.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use weir_formats::error::ConnectError;
use weir_formats::schema::{Schema, SchemaKind, SchemaRef};
use weir_formats::value::Value;

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

/// `Requirements.requireMap`'s error: `Only Map objects supported in absence of schema for
/// [<purpose>], found: <class>`.
pub fn require_map_error(purpose: &str, found: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Only Map objects supported in absence of schema for [{purpose}], found: {}",
        class_or_null(found)
    ))
}

/// `Requirements.requireStruct`'s error: `Only Struct objects supported for [<purpose>], found:
/// <class>`.
pub fn require_struct_error(purpose: &str, found: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Only Struct objects supported for [{purpose}], found: {}",
        class_or_null(found)
    ))
}

fn class_or_null(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        other => other.java_class(),
    }
}

/// `SchemaUtil.copySchemaBasics(source, builder)`: a schema of `kind` with `source`'s name,
/// version, doc and parameters (and its optionality, as `SchemaBuilder` copies are made
/// optional where the source is).
pub fn copy_schema_basics(source: &Schema, kind: SchemaKind) -> Schema {
    Schema {
        kind,
        optional: source.optional,
        default: None,
        name: source.name.clone(),
        version: source.version,
        doc: source.doc.clone(),
        parameters: source.parameters.clone(),
    }
}

/// A per-schema cache: work computed once per distinct input schema (by `Arc` identity, which
/// the converters keep stable per schema text) and shared by every segment with that schema.
/// Concurrent: pipelines are shared between threads. Bounded: cleared when it holds `capacity`
/// entries (Kafka's transforms keep a 16-entry LRU).
#[derive(Debug)]
pub struct SchemaCache<V> {
    entries: Mutex<HashMap<usize, (SchemaRef, Arc<V>)>>,
    capacity: usize,
}

impl<V> Default for SchemaCache<V> {
    fn default() -> Self {
        SchemaCache {
            entries: Mutex::new(HashMap::new()),
            capacity: 64,
        }
    }
}

impl<V> SchemaCache<V> {
    /// The cached value for `schema`, computing it with `make` on a miss. Cost: one lock and one
    /// hash lookup per call (per segment, not per row).
    pub fn get_or_try<E>(
        &self,
        schema: &SchemaRef,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<Arc<V>, E> {
        let key = Arc::as_ptr(schema) as usize;
        if let Some((_, hit)) = self.lock().get(&key) {
            return Ok(hit.clone());
        }
        let value = Arc::new(make()?);
        let mut entries = self.lock();
        if entries.len() >= self.capacity {
            entries.clear();
        }
        // The schema is kept alive with its entry, so its address cannot be reused meanwhile.
        entries.insert(key, (schema.clone(), value.clone()));
        Ok(value)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<usize, (SchemaRef, Arc<V>)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_computes_once_per_schema_identity() {
        let cache: SchemaCache<usize> = SchemaCache::default();
        let a = Schema::new(SchemaKind::Int32).into_ref();
        let b = Schema::new(SchemaKind::Int32).into_ref();
        let mut calls = 0;
        for schema in [&a, &a, &b] {
            cache
                .get_or_try::<()>(schema, || {
                    calls += 1;
                    Ok(calls)
                })
                .unwrap();
        }
        assert_eq!(calls, 2);
    }

    #[test]
    fn requirement_messages_match_kafka() {
        assert_eq!(
            require_map_error("field insertion", &Value::Int32(1)).message,
            "Only Map objects supported in absence of schema for [field insertion], found: java.lang.Integer"
        );
        assert_eq!(
            require_struct_error("field insertion", &Value::Null).message,
            "Only Struct objects supported for [field insertion], found: null"
        );
    }
}
