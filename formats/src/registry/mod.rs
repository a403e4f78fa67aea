//! The Confluent Schema Registry layer the Avro, Protobuf and JSON Schema converters share.
//!
//! - [`SchemaRegistry`]: what a converter asks a registry (schema by id, register, look up,
//!   latest, versions), used as `Arc<dyn SchemaRegistry>`; [`RegistryError`] carries Confluent's
//!   messages and error codes.
//! - [`framing`]: the wire prefix (magic byte 0 + 4-byte id, or magic byte 1 + 16-byte GUID) and
//!   the `__key_schema_id` / `__value_schema_id` headers.
//! - [`store`]: the in-memory registry with Confluent's mock semantics, behind both `mock://` and
//!   the test server.
//! - [`mock`]: `mock://scope` registries, process-global per scope, and their seed/dump file format.
//! - [`canonical`]: the schema text a registry stores for a schema it is given.
//! - [`converter_cache`]: the converters' caches of compiled readers and writers.
//! - [`converter_rows`]: the null, error and schemaless-row bookkeeping the converters share.
//! - [`subject`]: subject name strategies (`key.subject.name.strategy`, `value.subject.name.strategy`).
//! - [`cache`]: a bounded client-side cache in front of any registry.
//! - [`http_client`]: a blocking client for real registries (fail-over, basic auth, retries).
//! - [`server`]: a small Schema Registry REST server over a [`store::MemoryRegistry`].
//! - [`connect`]: picks `mock://` or HTTP from a `schema.registry.url` setting.

pub mod cache;
pub mod canonical;
pub mod converter_cache;
pub mod converter_rows;
pub mod framing;
pub mod guid;
pub mod http_client;
pub mod message_index;
pub mod mock;
pub mod serde_config;
pub mod server;
pub mod store;
pub mod subject;

use std::fmt;
use std::sync::Arc;

pub use cache::CachedRegistry;
pub use framing::{Frame, FramingError, SchemaId};
pub use store::{IdRules, MemoryRegistry};
pub use subject::SubjectNameStrategy;

/// The kind of a schema, as the registry's `schemaType` names it (absent means AVRO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchemaType {
    /// Apache Avro (`AVRO`, the default).
    Avro,
    /// Protocol Buffers (`PROTOBUF`).
    Protobuf,
    /// JSON Schema (`JSON`).
    Json,
}

impl SchemaType {
    /// The registry's name for it: `AVRO`, `PROTOBUF` or `JSON`.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Json => "JSON",
        }
    }

    /// The type a registry's `schemaType` names; `None` (the field absent) is AVRO. An unknown
    /// name is an "Invalid schema type" error (422, error code 42201).
    pub fn parse(name: Option<&str>) -> Result<SchemaType, RegistryError> {
        match name {
            None | Some("AVRO") => Ok(SchemaType::Avro),
            Some("PROTOBUF") => Ok(SchemaType::Protobuf),
            Some("JSON") => Ok(SchemaType::Json),
            Some(other) => Err(RegistryError::rest(
                422,
                42201,
                format!("Invalid schema type {other}"),
            )),
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reference from one schema to another registered one (an Avro named type, a `.proto`
/// import, a JSON Schema `$ref`): `name` as the referring schema spells it, and the subject and
/// version it resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchemaReference {
    /// The name the referring schema uses (`conf/common.proto`, `com.example.Money`).
    pub name: String,
    /// The subject the referenced schema is registered under.
    pub subject: String,
    /// Its version under that subject.
    pub version: i32,
}

/// A schema as the registry holds it, without subject or id: Confluent's `SchemaString`
/// (`GET /schemas/ids/{id}`). Two are the same schema when type, text and references are equal;
/// the text is the registry's canonical text (see [`canonical`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaString {
    /// AVRO, PROTOBUF or JSON.
    pub schema_type: SchemaType,
    /// The schema text.
    pub schema: String,
    /// The schemas it refers to.
    pub references: Vec<SchemaReference>,
}

impl SchemaString {
    /// A schema of `schema_type` with `text` and no references.
    pub fn new(schema_type: SchemaType, text: impl Into<String>) -> SchemaString {
        SchemaString {
            schema_type,
            schema: text.into(),
            references: Vec::new(),
        }
    }
}

/// One registered version of a subject: Confluent's `Schema` entity
/// (`GET /subjects/{s}/versions/{v}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectSchema {
    /// The subject.
    pub subject: String,
    /// Its version under the subject (1, 2, …).
    pub version: i32,
    /// The registry-wide schema id.
    pub id: i32,
    /// The schema.
    pub schema: Arc<SchemaString>,
}

/// What a registry answered or why it could not be asked. [`RegistryError::Rest`] is Confluent's
/// `RestClientException`: its text is Confluent's (`Subject Not Found; error code: 40401`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered with an error: HTTP status, Confluent error code and message, and
    /// the URL asked when it came over HTTP.
    #[error("{message}; error code: {error_code}{}", at_url(url))]
    Rest {
        /// The HTTP status (404, 409, 401, …).
        status: u16,
        /// Confluent's error code (40401, 40403, 409, …).
        error_code: i32,
        /// The message.
        message: String,
        /// The registry URL that answered, for an HTTP registry.
        url: Option<String>,
    },
    /// No registry URL could be reached.
    #[error("schema registry unreachable: {reason} (tried {urls})")]
    Unreachable {
        /// Every URL tried, comma-separated.
        urls: String,
        /// The last connection error.
        reason: String,
    },
    /// The registry answered something that is not the Schema Registry API.
    #[error("schema registry {url} sent an unreadable answer: {reason}")]
    BadResponse {
        /// The URL asked.
        url: String,
        /// What was wrong with the answer.
        reason: String,
    },
    /// A registry setting is missing or invalid (`schema.registry.url`, auth, timeouts).
    #[error("{0}")]
    Config(String),
    /// A seed or dump file could not be read or written, or holds a bad entry.
    #[error("{0}")]
    File(String),
    /// Confluent's `SerializationException` raised before the registry is asked (a subject that
    /// cannot be named for a schema).
    #[error("{0}")]
    Serialization(String),
}

fn at_url(url: &Option<String>) -> String {
    match url {
        Some(url) => format!(" (schema registry {url})"),
        None => String::new(),
    }
}

impl RegistryError {
    /// A registry error answer with `status`, `error_code` and `message`.
    pub fn rest(status: u16, error_code: i32, message: impl Into<String>) -> RegistryError {
        RegistryError::Rest {
            status,
            error_code,
            message: message.into(),
            url: None,
        }
    }

    /// Confluent's mock registry's "Subject Not Found" (404, 40401): an unknown subject, version
    /// or (as the mock says it) schema id.
    pub fn subject_not_found() -> RegistryError {
        RegistryError::rest(404, 40401, "Subject Not Found")
    }

    /// Confluent's mock registry's "Schema Not Found" (404, 40403): a schema not registered under
    /// a subject that exists.
    pub fn schema_not_found() -> RegistryError {
        RegistryError::rest(404, 40403, "Schema Not Found")
    }

    /// Confluent's error code when the registry answered with one.
    pub fn error_code(&self) -> Option<i32> {
        match self {
            RegistryError::Rest { error_code, .. } => Some(*error_code),
            _ => None,
        }
    }

    /// Whether the registry said the subject, version or schema does not exist (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, RegistryError::Rest { status: 404, .. })
    }

    /// The Java exception this corresponds to and its message, as Confluent's converters print
    /// it in a cause chain: `RestClientException: Subject Not Found; error code: 40401`.
    pub fn java_text(&self) -> String {
        match self {
            RegistryError::Rest { .. } => format!("RestClientException: {self}"),
            RegistryError::Serialization(_) => format!("SerializationException: {self}"),
            RegistryError::Config(_) => format!("ConfigException: {self}"),
            _ => format!("IOException: {self}"),
        }
    }
}

/// What a converter asks of a schema registry. Implementations are shared between threads
/// (`Arc<dyn SchemaRegistry>`); each call may be a network round trip (HTTP) or a map look-up
/// under a lock (`mock://`) — put a [`CachedRegistry`] in front for the hot path.
pub trait SchemaRegistry: Send + Sync + fmt::Debug {
    /// The schema with registry-wide id `id` (Confluent `getSchemaById`).
    fn schema_by_id(&self, id: i32) -> Result<Arc<SchemaString>, RegistryError>;

    /// Registers `schema` under `subject` and returns its id; registering a schema the subject
    /// already has returns its id and adds no version (Confluent `register`).
    fn register(&self, subject: &str, schema: &SchemaString) -> Result<i32, RegistryError>;

    /// The version of `subject` holding `schema`, with its id (Confluent `getId`/`getVersion`,
    /// `POST /subjects/{s}`); 40401 for an unknown subject, 40403 for a schema it does not hold.
    fn lookup(&self, subject: &str, schema: &SchemaString) -> Result<SubjectSchema, RegistryError>;

    /// The latest version of `subject` (Confluent `getLatestSchemaMetadata`).
    fn latest(&self, subject: &str) -> Result<SubjectSchema, RegistryError>;

    /// Version `version` of `subject` (Confluent `getSchemaMetadata(subject, version)`).
    fn version(&self, subject: &str, version: i32) -> Result<SubjectSchema, RegistryError>;

    /// Every subject, sorted (Confluent `getAllSubjects`).
    fn subjects(&self) -> Result<Vec<String>, RegistryError>;

    /// The versions of `subject`, ascending; 40401 when it has none (Confluent `getAllVersions`).
    fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError>;

    /// The id of the schema whose GUID ([`guid::schema_guid`]) is `guid`, for magic-byte-1
    /// frames (`GET /schemas/guids/{guid}/ids`, the first id); 40403 when none has it.
    fn id_by_guid(&self, guid: &[u8; 16]) -> Result<i32, RegistryError>;
}

/// The registry a `schema.registry.url` setting names: `mock://scope` is the process-global
/// in-memory registry of that scope ([`mock::scope`]); anything else is a comma-separated list of
/// HTTP(S) URLs for an [`http_client::HttpRegistry`] configured from `settings` (the converter's
/// own keys: `basic.auth.*`, `http.*.timeout.ms`, `max.retries`, …). Either way the registry is
/// wrapped in a [`CachedRegistry`] sized by `settings`. Costs: a mutex look-up for `mock://`; no
/// network traffic for HTTP until the first call.
pub fn connect(
    url_setting: &str,
    settings: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn SchemaRegistry>, RegistryError> {
    let url_setting = url_setting.trim();
    let inner: Arc<dyn SchemaRegistry> = match url_setting.strip_prefix(mock::MOCK_PREFIX) {
        Some(scope) => mock::scope(scope),
        None => Arc::new(http_client::HttpRegistry::from_settings(
            url_setting,
            settings,
        )?),
    };
    Ok(Arc::new(CachedRegistry::from_settings(inner, settings)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_as_confluents() {
        assert_eq!(
            RegistryError::subject_not_found().to_string(),
            "Subject Not Found; error code: 40401"
        );
        assert_eq!(
            RegistryError::schema_not_found().java_text(),
            "RestClientException: Schema Not Found; error code: 40403"
        );
        let remote = RegistryError::Rest {
            status: 401,
            error_code: 401,
            message: "Unauthorized".into(),
            url: Some("http://127.0.0.1:1".into()),
        };
        assert_eq!(
            remote.to_string(),
            "Unauthorized; error code: 401 (schema registry http://127.0.0.1:1)"
        );
    }

    #[test]
    fn schema_types_parse_with_avro_the_default() {
        assert_eq!(SchemaType::parse(None), Ok(SchemaType::Avro));
        assert_eq!(SchemaType::parse(Some("JSON")), Ok(SchemaType::Json));
        assert_eq!(
            SchemaType::parse(Some("PROTOBUF")).map(SchemaType::as_str),
            Ok("PROTOBUF")
        );
        let err = SchemaType::parse(Some("XML")).unwrap_err();
        assert_eq!(err.error_code(), Some(42201));
    }

    #[test]
    fn connect_picks_the_mock_for_mock_urls() {
        let registry = connect("mock://connect-test", &|_| None).expect("mock registry");
        let id = registry
            .register("t-value", &SchemaString::new(SchemaType::Avro, "\"int\""))
            .expect("register");
        let again = connect("mock://connect-test", &|_| None).expect("same scope");
        assert_eq!(
            again.schema_by_id(id).map(|s| s.schema.clone()),
            Ok("\"int\"".into())
        );
    }
}
