//! The per-schema cache every schema-changing transform keeps (Kafka's transforms keep a
//! 16-entry LRU): work computed once per distinct input schema.

use std::sync::{Arc, RwLock};

use weir_formats::schema::SchemaRef;

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
    use weir_formats::schema::{Schema, SchemaKind};

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
}
