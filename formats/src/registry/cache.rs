//! [`CachedRegistry`]: a bounded client-side cache in front of any [`SchemaRegistry`], as
//! Confluent's `CachedSchemaRegistryClient` and serde caches are: schemas by id, ids by
//! (subject, schema), versions by (subject, version), and a subject's latest version for
//! `latest.cache.ttl.sec`. Errors are not cached.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{RegistryError, SchemaRegistry, SchemaString, SubjectSchema};

/// How many entries each cache keeps unless `max.schemas.per.subject` says otherwise
/// (Confluent's default).
pub const DEFAULT_CAPACITY: usize = 1000;

/// A map holding at most `capacity` entries; when full, the oldest insertion leaves first.
/// Every call takes one mutex.
#[derive(Debug)]
pub struct BoundedMap<K, V> {
    capacity: usize,
    inner: Mutex<(HashMap<K, V>, VecDeque<K>)>,
}

impl<K: Hash + Eq + Clone, V: Clone> BoundedMap<K, V> {
    /// An empty map that keeps at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> BoundedMap<K, V> {
        BoundedMap {
            capacity: capacity.max(1),
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    /// The value for `key`, cloned.
    pub fn get(&self, key: &K) -> Option<V> {
        // Inserts complete before the lock is released, so a poisoned map is consistent.
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.0.get(key).cloned()
    }

    /// Stores `value` for `key`, evicting the oldest entry when full.
    pub fn insert(&self, key: K, value: V) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order) = &mut *inner;
        if map.insert(key.clone(), value).is_none() {
            order.push_back(key);
            while map.len() > self.capacity {
                match order.pop_front() {
                    Some(oldest) => {
                        map.remove(&oldest);
                    }
                    None => break,
                }
            }
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A registry behind bounded caches (see the module docs). Ids and versions never change once
/// given, so those caches never go stale; the latest version is re-asked after the TTL.
#[derive(Debug)]
pub struct CachedRegistry {
    inner: Arc<dyn SchemaRegistry>,
    by_id: BoundedMap<i32, Arc<SchemaString>>,
    by_guid: BoundedMap<[u8; 16], i32>,
    registered: BoundedMap<(String, SchemaString), i32>,
    looked_up: BoundedMap<(String, SchemaString), SubjectSchema>,
    versions: BoundedMap<(String, i32), SubjectSchema>,
    latest: BoundedMap<String, (SubjectSchema, Instant)>,
    latest_ttl: Option<Duration>,
}

impl CachedRegistry {
    /// `inner` behind caches of `capacity` entries each; the latest version of a subject is
    /// kept for `latest_ttl` (`None`: until evicted, Confluent's default `-1`).
    pub fn new(
        inner: Arc<dyn SchemaRegistry>,
        capacity: usize,
        latest_ttl: Option<Duration>,
    ) -> CachedRegistry {
        CachedRegistry {
            inner,
            by_id: BoundedMap::new(capacity),
            by_guid: BoundedMap::new(capacity),
            registered: BoundedMap::new(capacity),
            looked_up: BoundedMap::new(capacity),
            versions: BoundedMap::new(capacity),
            latest: BoundedMap::new(capacity),
            latest_ttl,
        }
    }

    /// `inner` behind caches sized by the converter's settings: `max.schemas.per.subject`
    /// (default 1000) entries each, and `latest.cache.ttl.sec` (default -1: no expiry) for the
    /// latest version. A value that is not a number is a config error naming the key.
    pub fn from_settings(
        inner: Arc<dyn SchemaRegistry>,
        settings: &dyn Fn(&str) -> Option<String>,
    ) -> Result<CachedRegistry, RegistryError> {
        let number = |key: &str, default: i64| -> Result<i64, RegistryError> {
            match settings(key) {
                None => Ok(default),
                Some(text) => text.trim().parse().map_err(|_| {
                    RegistryError::Config(format!(
                        "Invalid value {text} for configuration {key}: Not a number of type INT"
                    ))
                }),
            }
        };
        let capacity = number("max.schemas.per.subject", DEFAULT_CAPACITY as i64)?;
        let ttl = number("latest.cache.ttl.sec", -1)?;
        let capacity = usize::try_from(capacity).unwrap_or(1);
        let ttl = u64::try_from(ttl).ok().map(Duration::from_secs);
        Ok(CachedRegistry::new(inner, capacity, ttl))
    }

    /// The registry behind the caches.
    pub fn inner(&self) -> &Arc<dyn SchemaRegistry> {
        &self.inner
    }
}

impl SchemaRegistry for CachedRegistry {
    fn id_by_guid(&self, guid: &[u8; 16]) -> Result<i32, RegistryError> {
        if let Some(id) = self.by_guid.get(guid) {
            return Ok(id);
        }
        let id = self.inner.id_by_guid(guid)?;
        self.by_guid.insert(*guid, id);
        Ok(id)
    }

    fn schema_by_id(&self, id: i32) -> Result<Arc<SchemaString>, RegistryError> {
        if let Some(schema) = self.by_id.get(&id) {
            return Ok(schema);
        }
        let schema = self.inner.schema_by_id(id)?;
        self.by_id.insert(id, Arc::clone(&schema));
        Ok(schema)
    }

    fn register(&self, subject: &str, schema: &SchemaString) -> Result<i32, RegistryError> {
        let key = (subject.to_string(), schema.clone());
        if let Some(id) = self.registered.get(&key) {
            return Ok(id);
        }
        let id = self.inner.register(subject, schema)?;
        self.registered.insert(key, id);
        Ok(id)
    }

    fn lookup(&self, subject: &str, schema: &SchemaString) -> Result<SubjectSchema, RegistryError> {
        let key = (subject.to_string(), schema.clone());
        if let Some(found) = self.looked_up.get(&key) {
            return Ok(found);
        }
        let found = self.inner.lookup(subject, schema)?;
        self.looked_up.insert(key, found.clone());
        Ok(found)
    }

    fn latest(&self, subject: &str) -> Result<SubjectSchema, RegistryError> {
        let key = subject.to_string();
        if let Some((latest, at)) = self.latest.get(&key) {
            if self.latest_ttl.is_none_or(|ttl| at.elapsed() < ttl) {
                return Ok(latest);
            }
        }
        let latest = self.inner.latest(subject)?;
        self.latest.insert(key, (latest.clone(), Instant::now()));
        Ok(latest)
    }

    fn version(&self, subject: &str, version: i32) -> Result<SubjectSchema, RegistryError> {
        let key = (subject.to_string(), version);
        if let Some(found) = self.versions.get(&key) {
            return Ok(found);
        }
        let found = self.inner.version(subject, version)?;
        self.versions.insert(key, found.clone());
        Ok(found)
    }

    fn subjects(&self) -> Result<Vec<String>, RegistryError> {
        self.inner.subjects()
    }

    fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        self.inner.versions(subject)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::super::{MemoryRegistry, SchemaType};
    use super::*;

    /// A registry that counts the calls reaching it.
    #[derive(Debug, Default)]
    struct Counting {
        inner: MemoryRegistry,
        calls: AtomicUsize,
    }

    impl Counting {
        fn hit(&self) {
            self.calls.fetch_add(1, Ordering::Relaxed);
        }
    }

    impl SchemaRegistry for Counting {
        fn id_by_guid(&self, guid: &[u8; 16]) -> Result<i32, RegistryError> {
            self.hit();
            self.inner.id_by_guid(guid)
        }
        fn schema_by_id(&self, id: i32) -> Result<Arc<SchemaString>, RegistryError> {
            self.hit();
            self.inner.schema_by_id(id)
        }
        fn register(&self, subject: &str, schema: &SchemaString) -> Result<i32, RegistryError> {
            self.hit();
            self.inner.register(subject, schema)
        }
        fn lookup(&self, s: &str, schema: &SchemaString) -> Result<SubjectSchema, RegistryError> {
            self.hit();
            self.inner.lookup(s, schema)
        }
        fn latest(&self, subject: &str) -> Result<SubjectSchema, RegistryError> {
            self.hit();
            self.inner.latest(subject)
        }
        fn version(&self, subject: &str, version: i32) -> Result<SubjectSchema, RegistryError> {
            self.hit();
            self.inner.version(subject, version)
        }
        fn subjects(&self) -> Result<Vec<String>, RegistryError> {
            self.hit();
            self.inner.subjects()
        }
        fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
            self.hit();
            self.inner.versions(subject)
        }
    }

    #[test]
    fn repeated_questions_reach_the_registry_once() {
        let counting = Arc::new(Counting::default());
        let cached = CachedRegistry::new(counting.clone(), 10, None);
        let schema = SchemaString::new(SchemaType::Avro, "\"int\"");
        for _ in 0..3 {
            assert_eq!(cached.register("s", &schema), Ok(1));
            assert!(cached.schema_by_id(1).is_ok());
            assert!(cached.lookup("s", &schema).is_ok());
            assert!(cached.latest("s").is_ok());
            assert!(cached.version("s", 1).is_ok());
        }
        assert_eq!(counting.calls.load(Ordering::Relaxed), 5);
        // Errors are not cached.
        assert!(cached.schema_by_id(9).is_err());
        assert!(cached.schema_by_id(9).is_err());
        assert_eq!(counting.calls.load(Ordering::Relaxed), 7);
    }

    #[test]
    fn the_latest_version_expires_after_its_ttl() {
        let counting = Arc::new(Counting::default());
        let cached = CachedRegistry::new(counting.clone(), 10, Some(Duration::ZERO));
        cached
            .register("s", &SchemaString::new(SchemaType::Avro, "\"int\""))
            .expect("register");
        assert!(cached.latest("s").is_ok());
        assert!(cached.latest("s").is_ok());
        assert_eq!(counting.calls.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn bounded_maps_evict_the_oldest() {
        let map = BoundedMap::new(2);
        map.insert(1, "a");
        map.insert(2, "b");
        map.insert(1, "a2");
        map.insert(3, "c");
        assert_eq!(map.len(), 2);
        assert_eq!(map.get(&1), None);
        assert_eq!(map.get(&2), Some("b"));
        assert_eq!(map.get(&3), Some("c"));
    }

    #[test]
    fn settings_size_the_caches() {
        let inner: Arc<dyn SchemaRegistry> = Arc::new(MemoryRegistry::new());
        let settings = |k: &str| (k == "latest.cache.ttl.sec").then(|| "x".to_string());
        let err = CachedRegistry::from_settings(inner.clone(), &settings).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value x for configuration latest.cache.ttl.sec: Not a number of type INT"
        );
        let settings = |k: &str| (k == "latest.cache.ttl.sec").then(|| "5".to_string());
        let cached = CachedRegistry::from_settings(inner, &settings).expect("valid");
        assert_eq!(cached.latest_ttl, Some(Duration::from_secs(5)));
    }
}
