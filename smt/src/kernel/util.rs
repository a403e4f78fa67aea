//! What Kafka's transforms share (`transforms/util/*.java`): the messages of `Requirements`,
//! `SchemaUtil.copySchemaBasics`, and the per-schema cache every schema-changing transform keeps.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

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

/// A per-schema cache: work computed once per distinct input schema and shared by every segment
/// with that schema. A schema is found by `Arc` identity first (the converters keep one `Arc` per
/// schema text), then by value, so the same schema arriving in a new `Arc` (after a converter's
/// own cache dropped it) is still a hit. Concurrent: pipelines are shared between threads, and
/// hits take only a read lock. Bounded: at `capacity` entries the oldest is evicted, one at a
/// time (Kafka's transforms keep a 16-entry LRU).
#[derive(Debug)]
pub struct SchemaCache<V> {
    entries: RwLock<Vec<(SchemaRef, Arc<V>)>>,
    capacity: usize,
}

impl<V> Default for SchemaCache<V> {
    fn default() -> Self {
        SchemaCache {
            entries: RwLock::new(Vec::new()),
            capacity: 64,
        }
    }
}

impl<V> SchemaCache<V> {
    /// The cached value for `schema`, computing it with `make` on a miss. Cost per call (per
    /// segment, not per row): a read lock and a scan of at most `capacity` pointers; when the
    /// `Arc` is new, schema comparisons until one matches; on a miss, `make` and a write lock.
    pub fn get_or_try<E>(
        &self,
        schema: &SchemaRef,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<Arc<V>, E> {
        if let Some(hit) = self.find(schema) {
            return Ok(hit);
        }
        let value = Arc::new(make()?);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.remove(0);
        }
        entries.push((schema.clone(), value.clone()));
        Ok(value)
    }

    fn find(&self, schema: &SchemaRef) -> Option<Arc<V>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let by_identity = entries.iter().find(|(s, _)| Arc::ptr_eq(s, schema));
        by_identity
            .or_else(|| entries.iter().find(|(s, _)| **s == **schema))
            .map(|(_, value)| value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_computes_once_per_schema_value() {
        let cache: SchemaCache<usize> = SchemaCache::default();
        let a = Schema::new(SchemaKind::Int32).into_ref();
        let same_in_new_arc = Schema::new(SchemaKind::Int32).into_ref();
        let other = Schema::new(SchemaKind::Int64).into_ref();
        let mut calls = 0;
        for schema in [&a, &a, &same_in_new_arc, &other] {
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
    fn a_full_cache_evicts_its_oldest_entry_only() {
        let cache: SchemaCache<usize> = SchemaCache {
            entries: RwLock::new(Vec::new()),
            capacity: 2,
        };
        let schemas: Vec<SchemaRef> = [SchemaKind::Int8, SchemaKind::Int16, SchemaKind::Int32]
            .into_iter()
            .map(|kind| Schema::new(kind).into_ref())
            .collect();
        let mut calls = 0;
        let mut get = |schema: &SchemaRef| {
            cache
                .get_or_try::<()>(schema, || {
                    calls += 1;
                    Ok(0)
                })
                .unwrap();
        };
        for schema in [
            &schemas[0],
            &schemas[1],
            &schemas[2],
            &schemas[1],
            &schemas[0],
        ] {
            get(schema);
        }
        // Int8 was evicted by Int32 and computed again; Int16 stayed.
        assert_eq!(calls, 4);
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
