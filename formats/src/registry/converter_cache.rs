//! The caches the Schema Registry converters keep of what they compile: [`ConverterCache`]
//! (readers by schema id and topic, parsed schema files by id), [`WriterCache`] (writers by
//! Connect schema and topic) and [`SharedValues`] (one reader for the topics whose readers of
//! a schema id are equal). The converters keep only what they could make
//! ([`ConverterCache::get_or_make`]): a failure — an id not registered yet, a registry that
//! did not answer — is asked again by the next batch, as Confluent's clients cache only what they
//! found (their missing-id caches are off by default). Within one batch each converter asks once
//! per schema id and topic.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, RwLock};

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

    /// The value for `key`, made by `make` when absent and kept when `keep` says so.
    fn get_or_make_if(&self, key: K, make: impl FnOnce() -> V, keep: impl Fn(&V) -> bool) -> V {
        if let Some(v) = self.entries.read().ok().and_then(|m| m.get(&key).cloned()) {
            return v;
        }
        let v = make();
        if !keep(&v) {
            return v;
        }
        if let Ok(mut m) = self.entries.write() {
            if m.len() >= self.limit {
                m.clear();
            }
            m.insert(key, v.clone());
        }
        v
    }
}

impl<K: Hash + Eq, T: Clone, E: Clone> ConverterCache<K, Result<T, E>> {
    /// The value for `key`, made by `make` when absent and kept when it is a success: a failure
    /// is made again by the next call that asks. A poisoned lock only skips the cache: the value
    /// is made and returned all the same. Cost: a hash lookup and a clone on a hit; `make` and
    /// an insertion on a miss.
    pub fn get_or_make(&self, key: K, make: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        self.get_or_make_if(key, make, Result::is_ok)
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
}

impl<T: Clone, E: Clone> WriterCache<Result<T, E>> {
    /// The writer of `schema` for `topic`, made by `make` when absent and kept when it is a
    /// success (as [`ConverterCache::get_or_make`]). Cost: as that, plus a copy of the topic
    /// name for the key.
    pub fn get_or_make(
        &self,
        schema: &SchemaRef,
        topic: &str,
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let key = (Arc::as_ptr(schema) as usize, topic.to_string());
        self.by_schema
            .get_or_make_if(key, || (schema.clone(), make()), |(_, v)| v.is_ok())
            .1
    }
}

/// Compiled values shared between keys that would make equal ones: per group (a schema id),
/// the values made so far, one of which stands for every later equal value. A decoder made
/// for each (schema id, topic) is then one decoder for the topics whose Connect schemas agree,
/// so their rows decode into one column and run through the chain as one segment (three
/// topics were three segments a batch, each transform run three times). Once it holds `limit`
/// values the next one empties it first, as [`ConverterCache`]. Cost: a lock and a comparison
/// with each value of the group, once per value made.
#[derive(Debug)]
pub struct SharedValues<G, T> {
    limit: usize,
    groups: Mutex<Groups<G, T>>,
}

/// The values of [`SharedValues`] by group, and how many there are in all.
#[derive(Debug)]
struct Groups<G, T> {
    count: usize,
    values: HashMap<G, Vec<Arc<T>>>,
}

impl<G: Hash + Eq, T> SharedValues<G, T> {
    /// An empty store that keeps at most `limit` values.
    pub fn bounded(limit: usize) -> SharedValues<G, T> {
        SharedValues {
            limit,
            groups: Mutex::new(Groups {
                count: 0,
                values: HashMap::new(),
            }),
        }
    }

    /// The value of `group` that `same` finds equal to `made`, or `made`, kept for those made
    /// after it. A poisoned lock only skips the sharing.
    pub fn share(&self, group: G, made: Arc<T>, same: impl Fn(&T, &T) -> bool) -> Arc<T> {
        let Ok(mut groups) = self.groups.lock() else {
            return made;
        };
        if let Some(found) = groups
            .values
            .get(&group)
            .and_then(|values| values.iter().find(|v| same(v, &made)))
        {
            return found.clone();
        }
        if groups.count >= self.limit {
            groups.values.clear();
            groups.count = 0;
        }
        groups.values.entry(group).or_default().push(made.clone());
        groups.count += 1;
        made
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
            let v: Result<&str, ()> = cache.get_or_make(7, || {
                made += 1;
                Ok("seven")
            });
            assert_eq!(v, Ok("seven"));
        }
        assert_eq!(made, 1);
    }

    /// A failure (say, an id the registry does not have yet) is asked again next time.
    #[test]
    fn a_failure_is_not_kept() {
        let cache = ConverterCache::bounded(10);
        assert_eq!(cache.get_or_make(7, || Err("not yet")), Err("not yet"));
        assert_eq!(cache.get_or_make(7, || Ok(7)), Ok(7));
        assert_eq!(cache.get_or_make(7, || Err("kept the success")), Ok(7));
        let writers = WriterCache::unbounded();
        let schema = Schema::new(SchemaKind::Int32).into_ref();
        assert_eq!(writers.get_or_make(&schema, "t", || Err(())), Err(()));
        assert_eq!(writers.get_or_make(&schema, "t", || Ok(1)), Ok(1));
    }

    #[test]
    fn a_full_cache_is_emptied_before_the_next_insertion() {
        let cache: ConverterCache<i32, Result<i32, ()>> = ConverterCache::bounded(2);
        let _ = cache.get_or_make(1, || Ok(1));
        let _ = cache.get_or_make(2, || Ok(2));
        let _ = cache.get_or_make(3, || Ok(3));
        // 1 was dropped with the reset, so it is made again.
        assert_eq!(cache.get_or_make(1, || Ok(10)), Ok(10));
        // 3 survived the reset.
        assert_eq!(cache.get_or_make(3, || Ok(30)), Ok(3));
    }

    #[test]
    fn writers_are_kept_by_schema_identity_and_topic() {
        let cache: WriterCache<Result<i32, ()>> = WriterCache::unbounded();
        let a = Schema::new(SchemaKind::Int32).into_ref();
        let b = Schema::new(SchemaKind::Int32).into_ref();
        assert_eq!(cache.get_or_make(&a, "t", || Ok(1)), Ok(1));
        assert_eq!(cache.get_or_make(&a, "t", || Ok(2)), Ok(1));
        // An equal schema at another address, or another topic, is another writer.
        assert_eq!(cache.get_or_make(&b, "t", || Ok(3)), Ok(3));
        assert_eq!(cache.get_or_make(&a, "u", || Ok(4)), Ok(4));
    }

    #[test]
    fn an_equal_value_of_the_same_group_is_shared() {
        let shared = SharedValues::bounded(10);
        let same = |a: &String, b: &String| a == b;
        let first = shared.share(1, Arc::new("a".to_string()), same);
        let equal = shared.share(1, Arc::new("a".to_string()), same);
        assert!(Arc::ptr_eq(&first, &equal));
        // Another value, or the same in another group, is its own.
        let other = shared.share(1, Arc::new("b".to_string()), same);
        assert_eq!(*other, "b");
        let elsewhere = shared.share(2, Arc::new("a".to_string()), same);
        assert!(!Arc::ptr_eq(&first, &elsewhere));
        // Full: emptied before the next one is kept.
        let small = SharedValues::bounded(1);
        let kept = small.share(1, Arc::new(1), |a: &i32, b: &i32| a == b);
        let after_reset = small.share(1, Arc::new(2), |a: &i32, b: &i32| a == b);
        let again = small.share(1, Arc::new(1), |a: &i32, b: &i32| a == b);
        assert_eq!((*kept, *after_reset), (1, 2));
        assert!(!Arc::ptr_eq(&kept, &again));
    }
}
