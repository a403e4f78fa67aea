//! `mock://scope` registries and their file format.
//!
//! Every `schema.registry.url=mock://NAME` in the process shares one [`MemoryRegistry`] per
//! scope name, as Confluent's `MockSchemaRegistry.getClientForScope` does, so a converter that
//! writes and one that reads see the same schemas. `mock://` with no name is the scope
//! [`DEFAULT_SCOPE`]. A scope follows the mock's id rules ([`IdRules::Mock`]).
//!
//! The seed/dump format is a JSON list of
//! `{"subject","version","id","schemaType","schema","references":[{"name","subject","version"}]}`
//! (the conformance cases' `registry.json`): [`seed`] registers each entry under exactly its
//! subject, version and id, in file order; [`dump`] writes every registration in the order made.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Map, Value};

use super::{
    IdRules, MemoryRegistry, RegistryError, SchemaReference, SchemaString, SchemaType,
    SubjectSchema,
};

/// The prefix of a `schema.registry.url` naming an in-process registry.
pub const MOCK_PREFIX: &str = "mock://";
/// The scope `mock://` with no name refers to.
pub const DEFAULT_SCOPE: &str = "default";

fn scopes() -> &'static Mutex<HashMap<String, Arc<MemoryRegistry>>> {
    static SCOPES: OnceLock<Mutex<HashMap<String, Arc<MemoryRegistry>>>> = OnceLock::new();
    SCOPES.get_or_init(Mutex::default)
}

/// The process-global registry of scope `name` (created empty on first use). Costs a mutex and
/// a hash look-up.
pub fn scope(name: &str) -> Arc<MemoryRegistry> {
    let name = if name.is_empty() { DEFAULT_SCOPE } else { name };
    // The map is only ever inserted into, so a poisoned lock still holds a consistent map.
    let mut scopes = scopes().lock().unwrap_or_else(|p| p.into_inner());
    let registry = scopes
        .entry(name.to_string())
        .or_insert_with(|| Arc::new(MemoryRegistry::with_id_rules(IdRules::Mock)));
    Arc::clone(registry)
}

/// The scope a `schema.registry.url` value names, if it is a `mock://` URL (the first of a
/// comma-separated list decides, as for any registry URL list).
pub fn scope_of_url(url_setting: &str) -> Option<&str> {
    let first = url_setting.split(',').next()?.trim();
    first
        .strip_prefix(MOCK_PREFIX)
        .map(|s| if s.is_empty() { DEFAULT_SCOPE } else { s })
}

/// Registers every entry of the seed `text` (the format in the module docs) into `registry`,
/// in order, under exactly its subject, version and id; the id counter then stands past the
/// largest id. Returns how many entries there were. An entry that is malformed, or whose
/// version or id is taken by another schema, fails with its position in the list.
pub fn seed(registry: &MemoryRegistry, text: &str) -> Result<usize, RegistryError> {
    let entries: Vec<Value> = serde_json::from_str(text)
        .map_err(|e| RegistryError::File(format!("not a JSON list of registry entries: {e}")))?;
    for (i, entry) in entries.iter().enumerate() {
        let at = |why: String| RegistryError::File(format!("entry {i}: {why}"));
        let parsed = parse_entry(entry).map_err(at)?;
        registry
            .register_with_id(
                &parsed.subject,
                &parsed.schema,
                Some(parsed.version),
                parsed.id,
            )
            .map_err(|e| at(e.to_string()))?;
    }
    Ok(entries.len())
}

/// [`seed`] from the file at `path`; errors name the file.
pub fn seed_file(registry: &MemoryRegistry, path: &Path) -> Result<usize, RegistryError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| RegistryError::File(format!("{}: {e}", path.display())))?;
    seed(registry, &text).map_err(|e| RegistryError::File(format!("{}: {e}", path.display())))
}

/// Every registration in `registry`, in the order made, as the seed format: a JSON list with
/// one entry per line. Costs one pass over the registry.
pub fn dump(registry: &MemoryRegistry) -> String {
    let entries = registry.entries();
    let mut out = String::from("[\n");
    for (i, entry) in entries.iter().enumerate() {
        out.push_str("  ");
        out.push_str(&entry_json(entry).to_string());
        out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
    }
    out.push_str("]\n");
    out
}

/// [`dump`] to the file at `path`; errors name the file.
pub fn dump_file(registry: &MemoryRegistry, path: &Path) -> Result<(), RegistryError> {
    std::fs::write(path, dump(registry))
        .map_err(|e| RegistryError::File(format!("{}: {e}", path.display())))
}

/// One entry of the file format.
fn entry_json(entry: &SubjectSchema) -> Value {
    json!({
        "subject": entry.subject,
        "version": entry.version,
        "id": entry.id,
        "schemaType": entry.schema.schema_type.as_str(),
        "schema": entry.schema.schema,
        "references": references_json(&entry.schema.references),
    })
}

/// References as the registry's JSON writes them: `[{"name","subject","version"}]`.
pub fn references_json(references: &[SchemaReference]) -> Value {
    Value::Array(
        references
            .iter()
            .map(|r| json!({"name": r.name, "subject": r.subject, "version": r.version}))
            .collect(),
    )
}

/// References from the registry's JSON (`null` or absent: none).
pub fn parse_references(value: Option<&Value>) -> Result<Vec<SchemaReference>, String> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let list = value
        .as_array()
        .ok_or_else(|| format!("\"references\" is not a list: {value}"))?;
    list.iter()
        .map(|r| {
            let r = r
                .as_object()
                .ok_or_else(|| format!("a reference is not an object: {r}"))?;
            Ok(SchemaReference {
                name: string_field(r, "name")?,
                subject: string_field(r, "subject")?,
                version: int_field(r, "version")?,
            })
        })
        .collect()
}

/// An entry of the seed format.
struct SeedEntry {
    subject: String,
    version: i32,
    id: i32,
    schema: SchemaString,
}

fn parse_entry(entry: &Value) -> Result<SeedEntry, String> {
    let e = entry
        .as_object()
        .ok_or_else(|| format!("not an object: {entry}"))?;
    let schema_type = SchemaType::parse(e.get("schemaType").and_then(Value::as_str))
        .map_err(|err| err.to_string())?;
    Ok(SeedEntry {
        subject: string_field(e, "subject")?,
        version: int_field(e, "version")?,
        id: int_field(e, "id")?,
        schema: SchemaString {
            schema_type,
            schema: string_field(e, "schema")?,
            references: parse_references(e.get("references"))?,
        },
    })
}

/// The string field `key` of `object`.
pub fn string_field(object: &Map<String, Value>, key: &str) -> Result<String, String> {
    match object.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("\"{key}\" is not a string: {other}")),
        None => Err(format!("\"{key}\" is missing")),
    }
}

/// The 32-bit integer field `key` of `object`.
pub fn int_field(object: &Map<String, Value>, key: &str) -> Result<i32, String> {
    let value = object
        .get(key)
        .ok_or_else(|| format!("\"{key}\" is missing"))?;
    value
        .as_i64()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| format!("\"{key}\" is not a 32-bit integer: {value}"))
}

#[cfg(test)]
mod tests {
    use super::super::SchemaRegistry;
    use super::*;

    const SEED: &str = r#"[
  {"subject": "filler-value", "version": 1, "id": 1, "schemaType": "AVRO", "schema": "{\"type\":\"record\",\"name\":\"F\",\"fields\":[]}", "references": []},
  {"subject": "dep.proto", "version": 1, "id": 4, "schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";\n", "references": []},
  {"subject": "t-value", "version": 2, "id": 7, "schemaType": "PROTOBUF", "schema": "import \"dep.proto\";\n", "references": [{"name": "dep.proto", "subject": "dep.proto", "version": 1}]}
]"#;

    #[test]
    fn seeding_keeps_subjects_versions_and_ids_and_moves_the_counter() {
        let r = MemoryRegistry::new();
        assert_eq!(seed(&r, SEED), Ok(3));
        assert_eq!(r.version("t-value", 2).map(|s| s.id), Ok(7));
        assert_eq!(r.schema_by_id(7).map(|s| s.references.len()), Ok(1));
        let next = r
            .register("t-value", &SchemaString::new(SchemaType::Avro, "\"int\""))
            .expect("register");
        assert_eq!(next, 8);
        assert_eq!(r.latest("t-value").map(|s| s.version), Ok(3));
    }

    #[test]
    fn a_dump_reads_back_as_the_same_registry() {
        let r = MemoryRegistry::new();
        seed(&r, SEED).expect("seed");
        r.register(
            "u-value",
            &SchemaString::new(SchemaType::Json, "{ \"type\": \"string\" }"),
        )
        .expect("register");
        let text = dump(&r);
        let entries: Vec<Value> = serde_json::from_str(&text).expect("a JSON list");
        assert_eq!(entries.len(), 4);
        assert_eq!(
            entries[3],
            json!({"subject": "u-value", "version": 1, "id": 8, "schemaType": "JSON",
                   "schema": "{\"type\":\"string\"}", "references": []})
        );
        assert_eq!(entries[2]["references"][0]["subject"], "dep.proto");
        let again = MemoryRegistry::new();
        seed(&again, &text).expect("reseed");
        assert_eq!(dump(&again), text);
    }

    #[test]
    fn bad_seed_entries_name_their_position() {
        let r = MemoryRegistry::new();
        let err = seed(
            &r,
            r#"[{"subject":"s","version":1,"id":"x","schema":"\"int\""}]"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "entry 0: \"id\" is not a 32-bit integer: \"x\""
        );
        let err = seed(&r, "{}").unwrap_err();
        assert!(err.to_string().starts_with("not a JSON list"), "{err}");
        let twice = r#"[{"subject":"s","version":1,"id":1,"schema":"\"int\""},
                        {"subject":"s","version":1,"id":2,"schema":"\"long\""}]"#;
        let err = seed(&r, twice).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("entry 1: Subject s already has a version 1"),
            "{err}"
        );
    }

    #[test]
    fn scopes_are_shared_by_name() {
        let a = scope("mock-test-shared");
        a.register("s", &SchemaString::new(SchemaType::Avro, "\"int\""))
            .expect("register");
        assert_eq!(scope("mock-test-shared").entries().len(), 1);
        assert!(scope("mock-test-other").entries().is_empty());
        assert_eq!(scope_of_url("mock://x, http://y"), Some("x"));
        assert_eq!(scope_of_url("mock://"), Some(DEFAULT_SCOPE));
        assert_eq!(scope_of_url("http://localhost:8081"), None);
    }
}
