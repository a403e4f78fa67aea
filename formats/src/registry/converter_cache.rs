//! The caches the Schema Registry converters keep of what they compile: [`ConverterCache`]
//! (readers by schema id and topic, parsed schema files by id) and [`WriterCache`] (writers by
//! Connect schema and topic). Each entry holds its outcome, an error included, so a schema that
//! cannot be read or written is asked of the registry once, as Confluent's serde caches do.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock};

use crate::schema::SchemaRef;

/// Compiled values by key, shared by the threads of a pipeline. Once it holds `limit` entries the
/// next insertion empties it first (Confluent's caches are bounded by `schema.cache.size`; a cheap
/// reset stands in for their LRU). A lookup takes a read lock and clones the value; a miss
/// compiles outside any lock and then takes the write lock once.
#[derive(Debug)]
pub struct ConverterCache<K, V> {
    limit: usize,
    entries: RwLock<HashMap<K, V>>,
}

impl<K: Hash + Eq, V: Clone> ConverterCache<K, V> {
    /// An empty cache that keeps at most `limit` entries.
    pub fn bounded(limit: usize) -> ConverterCache<K, V> {
        ConverterCache {
            limit,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// An empty cache that is never emptied.
    pub fn unbounded() -> ConverterCache<K, V> {
        ConverterCache::bounded(usize::MAX)
    }

    /// The value for `key`, made by `make` and kept when absent. A poisoned lock only skips the
    /// cache: the value is made and returned all the same. Cost: a hash lookup and a clone on a
    /// hit; `make` and an insertion on a miss.
    pub fn get_or_make(&self, key: K, make: impl FnOnce() -> V) -> V {
        if let Some(v) = self.entries.read().ok().and_then(|m| m.get(&key).cloned()) {
            return v;
        }
        let v = make();
        if let Ok(mut m) = self.entries.write() {
            if m.len() >= self.limit {
                m.clear();
            }
            m.insert(key, v.clone());
        }
        v
    }
}

/// Writers by (Connect schema, topic). A schema is known by its address, so a lookup neither
/// hashes nor compares the schema; each entry keeps its schema alive, so the address is not
/// reused by another schema while the entry stands.
#[derive(Debug)]
pub struct WriterCache<V> {
    by_schema: ConverterCache<(usize, String), (SchemaRef, V)>,
}

impl<V: Clone> WriterCache<V> {
    /// An empty cache that keeps at most `limit` writers.
    pub fn bounded(limit: usize) -> WriterCache<V> {
        WriterCache {
            by_schema: ConverterCache::bounded(limit),
        }
    }

    /// An empty cache that is never emptied.
    pub fn unbounded() -> WriterCache<V> {
        WriterCache {
            by_schema: ConverterCache::unbounded(),
        }
    }

    /// The writer of `schema` for `topic`, made by `make` and kept when absent. Cost: as
    /// [`ConverterCache::get_or_make`], plus a copy of the topic name for the key.
    pub fn get_or_make(&self, schema: &SchemaRef, topic: &str, make: impl FnOnce() -> V) -> V {
        let key = (Arc::as_ptr(schema) as usize, topic.to_string());
        self.by_schema
            .get_or_make(key, || (schema.clone(), make()))
            .1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Schema, SchemaKind};

    #[test]
    fn a_value_is_made_once_per_key() {
        let cache = ConverterCache::bounded(10);
        let mut made = 0;
        for _ in 0..3 {
            let v = cache.get_or_make(7, || {
                made += 1;
                "seven"
            });
            assert_eq!(v, "seven");
        }
        assert_eq!(made, 1);
    }

    #[test]
    fn a_full_cache_is_emptied_before_the_next_insertion() {
        let cache = ConverterCache::bounded(2);
        cache.get_or_make(1, || 1);
        cache.get_or_make(2, || 2);
        cache.get_or_make(3, || 3);
        // 1 was dropped with the reset, so it is made again.
        assert_eq!(cache.get_or_make(1, || 10), 10);
        // 3 survived the reset.
        assert_eq!(cache.get_or_make(3, || 30), 3);
    }

    #[test]
    fn writers_are_kept_by_schema_identity_and_topic() {
        let cache = WriterCache::unbounded();
        let a = Schema::new(SchemaKind::Int32).into_ref();
        let b = Schema::new(SchemaKind::Int32).into_ref();
        assert_eq!(cache.get_or_make(&a, "t", || 1), 1);
        assert_eq!(cache.get_or_make(&a, "t", || 2), 1);
        // An equal schema at another address, or another topic, is another writer.
        assert_eq!(cache.get_or_make(&b, "t", || 3), 3);
        assert_eq!(cache.get_or_make(&a, "u", || 4), 4);
    }
}
