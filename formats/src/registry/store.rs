//! [`MemoryRegistry`]: a schema registry in memory with the semantics of Confluent's
//! `MockSchemaRegistryClient` — ids count up from 1 per registry ([`IdRules`] for where a new
//! id lands after ids were given explicitly, and which schemas share one), the same schema gets the same
//! id under every subject, versions count up per subject, registering a schema a subject already
//! has is a no-op returning its id, and look-up errors carry the mock's messages
//! ("Subject Not Found; error code: 40401"). It backs `mock://` scopes and the test server.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::canonical::{avro_equality_form, canonical_schema};
use super::guid::{guid_text, schema_guid};
use super::{RegistryError, SchemaRegistry, SchemaString, SchemaType, SubjectSchema};

/// The compatibility level a registry starts with (Confluent's default).
pub const DEFAULT_COMPATIBILITY: &str = "BACKWARD";
/// The mode a registry starts with.
pub const DEFAULT_MODE: &str = "READWRITE";
/// The mode in which registrations may carry their own ids (`PUT /mode` with `IMPORT`).
pub const IMPORT_MODE: &str = "IMPORT";

/// Whose id rules a [`MemoryRegistry`] follows: they differ only in ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IdRules {
    /// Confluent's Kafka-backed registry (and the 7.8 conformance harness, which moves its
    /// mock's counter past the seeded ids): a new schema gets one above the largest id in use;
    /// schemas share an id only when their canonical texts are equal.
    #[default]
    Server,
    /// Confluent's `MockSchemaRegistryClient`: it counts its own ids from 1 and explicit ids do
    /// not move that counter, so a new schema gets the lowest id not in use (which equals
    /// [`IdRules::Server`]'s whenever the ids in use are 1..=n); and it finds a schema's id by
    /// Avro's `Schema.equals`, which ignores docs, aliases and enum defaults, so a schema
    /// differing from a registered one only in those becomes a new version under the old id.
    Mock,
}

/// One registered version; removed versions stay in the log, marked, so that ids stay put.
#[derive(Debug, Clone)]
struct Entry {
    subject: String,
    version: i32,
    id: i32,
    schema: Arc<SchemaString>,
    deleted: bool,
}

impl Entry {
    fn to_subject_schema(&self) -> SubjectSchema {
        SubjectSchema {
            subject: self.subject.clone(),
            version: self.version,
            id: self.id,
            schema: Arc::clone(&self.schema),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    /// Every registration, in order.
    entries: Vec<Entry>,
    /// Each live subject's entries (indexes into `entries`), by ascending version.
    subjects: HashMap<String, Vec<usize>>,
    /// Schemas by id (kept after a subject is deleted, as the mock keeps them).
    by_id: HashMap<i32, Arc<SchemaString>>,
    /// The first id given to each schema GUID ([`schema_guid`]).
    by_guid: HashMap<[u8; 16], i32>,
    /// Ids by the schema's [`id_identity`]: the same schema under another subject gets the same id.
    ids: HashMap<SchemaString, i32>,
    /// How ids are chosen and shared.
    id_rules: IdRules,
    /// The largest id given so far.
    last_id: i32,
    /// No id below this one is free (ids are never freed, so it only moves up).
    lowest_free: i32,
    /// The registry-wide compatibility level and per-subject overrides.
    compatibility: Option<String>,
    subject_compatibility: HashMap<String, String>,
    /// The registry-wide mode (`READWRITE`, `IMPORT`, …).
    mode: Option<String>,
}

impl State {
    fn live(&self, subject: &str) -> impl Iterator<Item = &Entry> {
        self.subjects
            .get(subject)
            .into_iter()
            .flatten()
            .map(|&i| &self.entries[i])
    }

    fn find(&self, subject: &str, schema: &SchemaString) -> Option<&Entry> {
        self.live(subject).find(|e| *e.schema == *schema)
    }

    fn latest(&self, subject: &str) -> Option<&Entry> {
        self.live(subject).last()
    }

    /// The id a new schema gets under [`IdRules`]; `None` when ids are used up. Amortised O(1):
    /// the lowest-free cursor only moves up.
    fn new_id(&mut self) -> Option<i32> {
        match self.id_rules {
            IdRules::Server => self.last_id.checked_add(1),
            IdRules::Mock => {
                self.lowest_free = self.lowest_free.max(1);
                while self.by_id.contains_key(&self.lowest_free) {
                    self.lowest_free = self.lowest_free.checked_add(1)?;
                }
                Some(self.lowest_free)
            }
        }
    }

    /// Records `schema` as `subject`'s version `version` with `id`, keeping the subject's
    /// versions in order.
    fn push(&mut self, subject: &str, version: i32, id: i32, schema: Arc<SchemaString>) {
        // The first schema given an id stays its schema (under the mock's rules a later,
        // Avro-equal one may share the id).
        self.by_id.entry(id).or_insert_with(|| Arc::clone(&schema));
        self.by_guid.entry(schema_guid(&schema)).or_insert(id);
        let identity = id_identity(self.id_rules, &schema);
        self.ids.entry(identity).or_insert(id);
        self.last_id = self.last_id.max(id);
        let index = self.entries.len();
        self.entries.push(Entry {
            subject: subject.to_string(),
            version,
            id,
            schema,
            deleted: false,
        });
        let versions = self.subjects.entry(subject.to_string()).or_default();
        let at = versions.partition_point(|&i| self.entries[i].version < version);
        versions.insert(at, index);
    }
}

/// The form of `schema` under which equal schemas share an id: the canonical schema itself,
/// or under the mock's rules an AVRO schema's [`avro_equality_form`]. Costs a clone (and for the
/// mock's AVRO schemas a parse and write); registering is rare.
fn id_identity(id_rules: IdRules, schema: &SchemaString) -> SchemaString {
    match (id_rules, schema.schema_type) {
        (IdRules::Mock, SchemaType::Avro) => SchemaString {
            schema: avro_equality_form(&schema.schema),
            ..schema.clone()
        },
        _ => schema.clone(),
    }
}

/// An in-memory schema registry (see the module docs). Every method takes a lock once; reads
/// share it. Look-ups by subject scan that subject's versions, look-ups by id are a hash probe.
#[derive(Debug, Default)]
pub struct MemoryRegistry {
    state: RwLock<State>,
}

impl MemoryRegistry {
    /// An empty registry with the server's id rules: ids start at 1.
    pub fn new() -> MemoryRegistry {
        MemoryRegistry::default()
    }

    /// An empty registry following `id_rules`.
    pub fn with_id_rules(id_rules: IdRules) -> MemoryRegistry {
        let registry = MemoryRegistry::default();
        registry.write().id_rules = id_rules;
        registry
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-written (every write
        // completes before it returns), so a poisoned lock's data is still consistent.
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers `schema` under `subject` with a given `id` and, when given, `version` (seeding,
    /// or `IMPORT` mode): afterwards new schemas get ids as [`IdRules`] say. The same schema
    /// already under the subject with that id is a no-op; a version or id already taken by
    /// another schema is an error.
    pub fn register_with_id(
        &self,
        subject: &str,
        schema: &SchemaString,
        version: Option<i32>,
        id: i32,
    ) -> Result<SubjectSchema, RegistryError> {
        let schema = Arc::new(canonical_schema(schema)?);
        let mut state = self.write();
        if let Some(existing) = state.find(subject, &schema) {
            if existing.id == id && version.is_none_or(|v| v == existing.version) {
                return Ok(existing.to_subject_schema());
            }
        }
        if let Some(other) = state.by_id.get(&id) {
            if **other != *schema {
                return Err(RegistryError::rest(
                    422,
                    42205,
                    format!("Overwrite new schema with id {id} is not permitted."),
                ));
            }
        }
        let next_version = state.latest(subject).map_or(1, |e| e.version + 1);
        let version = version.unwrap_or(next_version);
        if version < 1 {
            return Err(RegistryError::rest(
                422,
                42202,
                format!("The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""),
            ));
        }
        if state.live(subject).any(|e| e.version == version) {
            return Err(RegistryError::rest(
                422,
                42205,
                format!("Subject {subject} already has a version {version}"),
            ));
        }
        state.push(subject, version, id, Arc::clone(&schema));
        Ok(SubjectSchema {
            subject: subject.to_string(),
            version,
            id,
            schema,
        })
    }

    /// Every live registration, in the order they were made (the dump's order).
    pub fn entries(&self) -> Vec<SubjectSchema> {
        self.read()
            .entries
            .iter()
            .filter(|e| !e.deleted)
            .map(Entry::to_subject_schema)
            .collect()
    }

    /// The (subject, version) pairs holding schema `id` (`GET /schemas/ids/{id}/versions`).
    pub fn versions_of_id(&self, id: i32) -> Vec<(String, i32)> {
        self.read()
            .entries
            .iter()
            .filter(|e| !e.deleted && e.id == id)
            .map(|e| (e.subject.clone(), e.version))
            .collect()
    }

    /// Removes `subject` and returns its versions; 40401 when it has none. Ids stay taken:
    /// registering the same schema again gets the same id (as Confluent's mock does).
    pub fn delete_subject(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        let mut state = self.write();
        let indexes = state
            .subjects
            .remove(subject)
            .ok_or_else(RegistryError::subject_not_found)?;
        let mut versions = Vec::with_capacity(indexes.len());
        for i in indexes {
            state.entries[i].deleted = true;
            versions.push(state.entries[i].version);
        }
        state.subject_compatibility.remove(subject);
        Ok(versions)
    }

    /// The compatibility level of `subject` (its own, else the registry's), or the registry's
    /// when `subject` is `None`.
    pub fn compatibility(&self, subject: Option<&str>) -> String {
        let state = self.read();
        subject
            .and_then(|s| state.subject_compatibility.get(s))
            .or(state.compatibility.as_ref())
            .cloned()
            .unwrap_or_else(|| DEFAULT_COMPATIBILITY.to_string())
    }

    /// Whether `subject` has a compatibility level of its own.
    pub fn has_own_compatibility(&self, subject: &str) -> bool {
        self.read().subject_compatibility.contains_key(subject)
    }

    /// Sets the compatibility level of `subject`, or the registry's when `None`.
    pub fn set_compatibility(&self, subject: Option<&str>, level: &str) {
        let mut state = self.write();
        match subject {
            Some(s) => {
                state
                    .subject_compatibility
                    .insert(s.to_string(), level.to_string());
            }
            None => state.compatibility = Some(level.to_string()),
        }
    }

    /// The registry's mode (`READWRITE` unless set).
    pub fn mode(&self) -> String {
        self.read()
            .mode
            .clone()
            .unwrap_or_else(|| DEFAULT_MODE.to_string())
    }

    /// Sets the registry's mode.
    pub fn set_mode(&self, mode: &str) {
        self.write().mode = Some(mode.to_string());
    }

    /// The basic compatibility check weir's server applies (see `server`): with level `NONE`
    /// anything is compatible; otherwise a schema must be of the same type as the versions it is
    /// checked against (`version`, or every version for the `*_TRANSITIVE` levels, else the
    /// latest). A subject with no versions accepts anything. The schemas' contents are not
    /// compared.
    pub fn is_compatible(
        &self,
        subject: &str,
        schema: &SchemaString,
        version: Option<i32>,
    ) -> bool {
        let level = self.compatibility(Some(subject));
        if level == "NONE" {
            return true;
        }
        let state = self.read();
        let same_type = |e: &Entry| e.schema.schema_type == schema.schema_type;
        match version {
            Some(v) => state
                .live(subject)
                .filter(|e| e.version == v)
                .all(same_type),
            None if level.ends_with("_TRANSITIVE") => state.live(subject).all(same_type),
            None => state.latest(subject).is_none_or(same_type),
        }
    }
}

impl SchemaRegistry for MemoryRegistry {
    fn id_by_guid(&self, guid: &[u8; 16]) -> Result<i32, RegistryError> {
        self.read().by_guid.get(guid).copied().ok_or_else(|| {
            RegistryError::rest(404, 40403, format!("Schema {} not found", guid_text(guid)))
        })
    }

    fn schema_by_id(&self, id: i32) -> Result<Arc<SchemaString>, RegistryError> {
        self.read()
            .by_id
            .get(&id)
            .cloned()
            .ok_or_else(RegistryError::subject_not_found)
    }

    fn register(&self, subject: &str, schema: &SchemaString) -> Result<i32, RegistryError> {
        let schema = Arc::new(canonical_schema(schema)?);
        let mut state = self.write();
        if let Some(existing) = state.find(subject, &schema) {
            return Ok(existing.id);
        }
        let id = match state.ids.get(&id_identity(state.id_rules, &schema)) {
            Some(&id) => id,
            None => state.new_id().ok_or_else(|| {
                RegistryError::rest(500, 50001, "Error while registering schema: no ids left")
            })?,
        };
        let version = state.latest(subject).map_or(1, |e| e.version + 1);
        state.push(subject, version, id, schema);
        Ok(id)
    }

    fn lookup(&self, subject: &str, schema: &SchemaString) -> Result<SubjectSchema, RegistryError> {
        let schema = canonical_schema(schema)?;
        let state = self.read();
        if state.latest(subject).is_none() {
            return Err(RegistryError::subject_not_found());
        }
        state
            .find(subject, &schema)
            .map(Entry::to_subject_schema)
            .ok_or_else(RegistryError::schema_not_found)
    }

    fn latest(&self, subject: &str) -> Result<SubjectSchema, RegistryError> {
        self.read()
            .latest(subject)
            .map(Entry::to_subject_schema)
            .ok_or_else(RegistryError::subject_not_found)
    }

    fn version(&self, subject: &str, version: i32) -> Result<SubjectSchema, RegistryError> {
        self.read()
            .live(subject)
            .find(|e| e.version == version)
            .map(Entry::to_subject_schema)
            .ok_or_else(RegistryError::subject_not_found)
    }

    fn subjects(&self) -> Result<Vec<String>, RegistryError> {
        let mut subjects: Vec<String> = self.read().subjects.keys().cloned().collect();
        subjects.sort();
        Ok(subjects)
    }

    fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        let versions: Vec<i32> = self.read().live(subject).map(|e| e.version).collect();
        if versions.is_empty() {
            return Err(RegistryError::subject_not_found());
        }
        Ok(versions)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{SchemaReference, SchemaType};
    use super::*;

    fn avro(text: &str) -> SchemaString {
        SchemaString::new(SchemaType::Avro, text)
    }

    #[test]
    fn ids_count_up_and_are_shared_across_subjects() {
        let r = MemoryRegistry::new();
        assert_eq!(r.register("a-value", &avro("\"int\"")), Ok(1));
        assert_eq!(r.register("a-value", &avro("\"long\"")), Ok(2));
        // The same schema again: same id, no new version.
        assert_eq!(r.register("a-value", &avro(" \"int\" ")), Ok(1));
        assert_eq!(r.versions("a-value"), Ok(vec![1, 2]));
        // The same schema under another subject keeps its id and starts that subject at 1.
        assert_eq!(r.register("b-value", &avro("\"long\"")), Ok(2));
        assert_eq!(r.version("b-value", 1).map(|s| s.id), Ok(2));
        assert_eq!(r.register("b-value", &avro("\"string\"")), Ok(3));
        assert_eq!(r.subjects(), Ok(vec!["a-value".into(), "b-value".into()]));
    }

    #[test]
    fn lookups_fail_with_the_mocks_messages() {
        let r = MemoryRegistry::new();
        let err = r.lookup("t-value", &avro("\"int\"")).unwrap_err();
        assert_eq!(err.to_string(), "Subject Not Found; error code: 40401");
        r.register("t-value", &avro("\"int\"")).expect("register");
        let err = r.lookup("t-value", &avro("\"long\"")).unwrap_err();
        assert_eq!(err.to_string(), "Schema Not Found; error code: 40403");
        let found = r.lookup("t-value", &avro("\"int\"")).expect("found");
        assert_eq!((found.id, found.version), (1, 1));
        assert_eq!(r.schema_by_id(7).unwrap_err().error_code(), Some(40401));
        assert_eq!(r.latest("other").unwrap_err().error_code(), Some(40401));
        assert_eq!(
            r.version("t-value", 2).unwrap_err().error_code(),
            Some(40401)
        );
        assert_eq!(r.versions("other").unwrap_err().error_code(), Some(40401));
    }

    #[test]
    fn references_are_part_of_the_schema() {
        let r = MemoryRegistry::new();
        let mut with_ref = SchemaString::new(SchemaType::Protobuf, "import \"a.proto\";");
        with_ref.references.push(SchemaReference {
            name: "a.proto".into(),
            subject: "a.proto".into(),
            version: 1,
        });
        let plain = SchemaString::new(SchemaType::Protobuf, "import \"a.proto\";");
        assert_eq!(r.register("s", &with_ref), Ok(1));
        assert_eq!(r.register("s", &plain), Ok(2));
        assert_eq!(r.schema_by_id(1).map(|s| s.references.len()), Ok(1));
    }

    #[test]
    fn explicit_ids_move_the_counter_past_them() {
        let r = MemoryRegistry::new();
        r.register_with_id("s", &avro("\"int\""), Some(3), 10)
            .expect("seed");
        assert_eq!(r.versions("s"), Ok(vec![3]));
        assert_eq!(r.register("s", &avro("\"long\"")), Ok(11));
        assert_eq!(r.latest("s").map(|s| s.version), Ok(4));
        // The same registration again is a no-op; a taken id or version is refused.
        assert!(r
            .register_with_id("s", &avro("\"int\""), Some(3), 10)
            .is_ok());
        let err = r
            .register_with_id("t", &avro("\"string\""), None, 10)
            .unwrap_err();
        assert_eq!(err.error_code(), Some(42205));
        let err = r
            .register_with_id("s", &avro("\"string\""), Some(4), 12)
            .unwrap_err();
        assert_eq!(err.error_code(), Some(42205));
    }

    #[test]
    fn the_mocks_ids_fill_the_gaps_below_explicit_ids() {
        let r = MemoryRegistry::with_id_rules(IdRules::Mock);
        r.register_with_id("s", &avro("\"int\""), None, 2)
            .expect("seed");
        assert_eq!(r.register("s", &avro("\"long\"")), Ok(1));
        assert_eq!(r.register("t", &avro("\"float\"")), Ok(3));
        // The same schema under another subject keeps its id.
        assert_eq!(r.register("u", &avro("\"long\"")), Ok(1));
        assert_eq!(r.latest("s").map(|s| s.version), Ok(2));
    }

    #[test]
    fn deleting_a_subject_keeps_its_ids() {
        let r = MemoryRegistry::new();
        r.register("s", &avro("\"int\"")).expect("register");
        r.register("s", &avro("\"long\"")).expect("register");
        assert_eq!(r.delete_subject("s"), Ok(vec![1, 2]));
        assert!(r.entries().is_empty());
        assert_eq!(r.delete_subject("s").unwrap_err().error_code(), Some(40401));
        assert!(r.schema_by_id(2).is_ok());
        assert_eq!(r.register("s", &avro("\"long\"")), Ok(2));
        assert_eq!(r.latest("s").map(|s| s.version), Ok(1));
    }

    #[test]
    fn the_basic_compatibility_check_compares_types() {
        let r = MemoryRegistry::new();
        r.register("s", &avro("\"int\"")).expect("register");
        let json = SchemaString::new(SchemaType::Json, "{}");
        assert!(r.is_compatible("s", &avro("\"long\""), None));
        assert!(!r.is_compatible("s", &json, None));
        assert!(r.is_compatible("new", &json, None));
        r.set_compatibility(Some("s"), "NONE");
        assert!(r.is_compatible("s", &json, None));
        assert_eq!(r.compatibility(None), DEFAULT_COMPATIBILITY);
    }
}
