//! A small Schema Registry REST server over a [`MemoryRegistry`], for tests, demos and local
//! development (`smtbench registry serve`). It listens on a loopback address only, holds
//! everything in memory, and speaks the part of the REST API that clients use:
//!
//! | request | answer |
//! |---|---|
//! | `POST /subjects/{s}/versions` | register (`{"id"}` …); an explicit `"id"` (and `"version"`) only in `IMPORT` mode |
//! | `POST /subjects/{s}` | look up a schema under a subject |
//! | `GET /schemas/ids/{id}` (`/schema`, `/versions`, `/subjects`) | a schema by id |
//! | `GET /schemas/guids/{guid}` (`/ids`) | a schema by GUID, its ids (`[{"context","id"}]`) |
//! | `GET /subjects`, `GET /subjects/{s}/versions` | subjects, versions |
//! | `GET /subjects/{s}/versions/{v\|latest}` (`/schema`) | one version |
//! | `DELETE /subjects/{s}` | delete a subject (its ids stay taken) |
//! | `POST /compatibility/subjects/{s}/versions/{v\|latest}` | `{"is_compatible"}` |
//! | `GET`/`PUT /config`, `/config/{s}`; `GET`/`PUT /mode` | compatibility level, mode |
//!
//! Compatibility is a basic check, not Avro's schema-evolution rules: with level `NONE` anything
//! goes, otherwise a schema must be of the same type (AVRO, JSON, PROTOBUF) as the versions it is
//! checked against; a failing registration is `409`. Errors are
//! `{"error_code":40401,"message":"…"}` with the real server's codes; bodies are
//! `application/vnd.schemaregistry.v1+json`. With basic auth configured every request needs it
//! (`401` otherwise). An answer delay ([`ServeOptions::answer_delay`]) makes it a slow registry, to
//! try a client's timeouts, fail-over and caches against. Connections stay open as long as the
//! client asks (tiny_http decides, not the answer's headers); after [`RegistryServer::stop`] a
//! request on a connection kept from before gets no answer, and only the client's read timeout
//! ends it (weir's client keeps no connections).

use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Map, Value};

use super::guid::parse_guid;
use super::http_client::CONTENT_TYPE;
use super::mock::{parse_references, references_json};
use super::store::IMPORT_MODE;
use super::{
    MemoryRegistry, RegistryError, SchemaRegistry, SchemaString, SchemaType, SubjectSchema,
};

/// The largest request body read (a schema of 16 MiB is far beyond any real one).
const MAX_BODY: u64 = 16 << 20;
/// How many threads answer requests.
const WORKERS: usize = 4;

/// How a [`RegistryServer`] answers, beyond what its registry holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeOptions {
    /// `user:password` that every request must carry as HTTP basic auth (`401` otherwise).
    pub basic_auth: Option<String>,
    /// How long each answer waits before it is sent (zero: none). The worker thread that
    /// answers sleeps for it, so a delayed server works on at most four requests at once.
    pub answer_delay: Duration,
}

/// A running server; dropping it (or [`RegistryServer::stop`]) stops it.
pub struct RegistryServer {
    addr: SocketAddr,
    server: Arc<tiny_http::Server>,
    workers: Vec<JoinHandle<()>>,
    /// Set before the workers are unblocked, so they know to finish.
    stopping: Arc<AtomicBool>,
}

impl std::fmt::Debug for RegistryServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryServer")
            .field("addr", &self.addr)
            .finish()
    }
}

impl RegistryServer {
    /// Starts serving `registry` on `listen` (a loopback address; port 0 picks a free port),
    /// answering as `options` say. Returns once the socket listens. Cost: four threads.
    pub fn start(
        listen: SocketAddr,
        registry: Arc<MemoryRegistry>,
        options: &ServeOptions,
    ) -> Result<RegistryServer, RegistryError> {
        if !listen.ip().is_loopback() {
            return Err(RegistryError::Config(format!(
                "the registry server listens on loopback addresses only (127.0.0.1, ::1), not {listen}"
            )));
        }
        let server = tiny_http::Server::http(listen)
            .map_err(|e| RegistryError::Config(format!("cannot listen on {listen}: {e}")))?;
        let addr = server.server_addr().to_ip().ok_or_else(|| {
            RegistryError::Config(format!("{listen} is not an IP address to listen on"))
        })?;
        let server = Arc::new(server);
        let expected_auth = options.basic_auth.as_ref().map(|user_info| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(user_info)
            )
        });
        let stopping = Arc::new(AtomicBool::new(false));
        let delay = options.answer_delay;
        let workers = (0..WORKERS)
            .map(|_| {
                let server = Arc::clone(&server);
                let registry = Arc::clone(&registry);
                let expected_auth = expected_auth.clone();
                let stopping = Arc::clone(&stopping);
                std::thread::spawn(move || {
                    // `recv` fails when the server is unblocked to stop it, and for a failed
                    // connection, after which the next request is still served.
                    loop {
                        match server.recv() {
                            Ok(request) => {
                                serve(&registry, expected_auth.as_deref(), delay, request)
                            }
                            Err(_) if stopping.load(Ordering::SeqCst) => break,
                            Err(_) => {}
                        }
                    }
                })
            })
            .collect();
        Ok(RegistryServer {
            addr,
            server,
            workers,
            stopping,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests and waits for the workers to finish.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Serves until the process ends.
    pub fn wait(mut self) {
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }

    fn shutdown(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        for _ in 0..self.workers.len() {
            self.server.unblock();
        }
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

impl Drop for RegistryServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Answers one request, after `delay`.
fn serve(
    registry: &MemoryRegistry,
    expected_auth: Option<&str>,
    delay: Duration,
    mut request: tiny_http::Request,
) {
    let authorized = expected_auth.is_none_or(|expected| {
        request
            .headers()
            .iter()
            .any(|h| h.field.equiv("Authorization") && h.value.as_str() == expected)
    });
    let answer = if authorized {
        let mut body = String::new();
        let read = request.as_reader().take(MAX_BODY).read_to_string(&mut body);
        match read {
            Ok(_) => handle(registry, request.method().as_str(), request.url(), &body),
            Err(e) => Answer::error(400, 400, format!("Unreadable request body: {e}")),
        }
    } else {
        Answer::error(401, 401, "Unauthorized".to_string())
    };
    let mut response =
        tiny_http::Response::from_string(answer.body).with_status_code(answer.status);
    if let Ok(header) = tiny_http::Header::from_bytes("Content-Type", answer.content_type) {
        response.add_header(header);
    }
    if !authorized {
        if let Ok(header) =
            tiny_http::Header::from_bytes("WWW-Authenticate", "Basic realm=\"SchemaRegistry\"")
        {
            response.add_header(header);
        }
    }
    if !delay.is_zero() {
        std::thread::sleep(delay);
    }
    // The client may have gone away; there is no one left to tell.
    let _ = request.respond(response);
}

/// A status, a content type and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The content type.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl Answer {
    fn json(value: Value) -> Answer {
        Answer {
            status: 200,
            content_type: CONTENT_TYPE,
            body: value.to_string(),
        }
    }

    fn raw(text: String) -> Answer {
        Answer {
            status: 200,
            content_type: CONTENT_TYPE,
            body: text,
        }
    }

    fn error(status: u16, error_code: i32, message: String) -> Answer {
        Answer {
            status,
            content_type: CONTENT_TYPE,
            body: json!({"error_code": error_code, "message": message}).to_string(),
        }
    }

    fn from_error(error: RegistryError) -> Answer {
        match error {
            RegistryError::Rest {
                status,
                error_code,
                message,
                ..
            } => Answer::error(status, error_code, message),
            other => Answer::error(500, 50001, other.to_string()),
        }
    }
}

/// `text` with `%XX` escapes decoded (an invalid escape is kept as written).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The answer to `method url` with `body` (the routing in the module docs). Pure apart from
/// the registry, so it is tested without sockets.
pub fn handle(registry: &MemoryRegistry, method: &str, url: &str, body: &str) -> Answer {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let query: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    let flag = |key: &str| query.iter().any(|(k, v)| k == key && v == "true");
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let result = match (method, segments.as_slice()) {
        ("GET", []) => Ok(Answer::json(json!({}))),
        ("GET", ["schemas", "types"]) => Ok(Answer::json(json!(["JSON", "PROTOBUF", "AVRO"]))),
        ("GET", ["schemas", "ids", id]) => {
            schema_by_id(registry, id).map(|s| Answer::json(schema_json(&s, None)))
        }
        ("GET", ["schemas", "guids", guid]) => id_by_guid(registry, guid)
            .and_then(|id| registry.schema_by_id(id))
            .map(|s| Answer::json(schema_json(&s, None))),
        ("GET", ["schemas", "guids", guid, "ids"]) => {
            id_by_guid(registry, guid).map(|id| Answer::json(json!([{"context": ".", "id": id}])))
        }
        ("GET", ["schemas", "ids", id, "schema"]) => {
            schema_by_id(registry, id).map(|s| Answer::raw(s.schema.clone()))
        }
        ("GET", ["schemas", "ids", id, "versions"]) => parse_id(id).map(|id| {
            let versions = registry.versions_of_id(id);
            Answer::json(Value::Array(
                versions
                    .into_iter()
                    .map(|(subject, version)| json!({"subject": subject, "version": version}))
                    .collect(),
            ))
        }),
        ("GET", ["schemas", "ids", id, "subjects"]) => parse_id(id).map(|id| {
            let mut subjects: Vec<String> = registry
                .versions_of_id(id)
                .into_iter()
                .map(|(s, _)| s)
                .collect();
            subjects.dedup();
            Answer::json(json!(subjects))
        }),
        ("GET", ["subjects"]) => registry.subjects().map(|s| Answer::json(json!(s))),
        ("GET", ["subjects", subject, "versions"]) => registry
            .versions(subject)
            .map_err(|_| subject_not_found(subject))
            .map(|v| Answer::json(json!(v))),
        ("POST", ["subjects", subject, "versions"]) => register(registry, subject, body),
        ("POST", ["subjects", subject]) => lookup(registry, subject, body),
        ("GET", ["subjects", subject, "versions", version]) => {
            subject_version(registry, subject, version).map(|s| Answer::json(subject_json(&s)))
        }
        ("GET", ["subjects", subject, "versions", version, "schema"]) => {
            subject_version(registry, subject, version)
                .map(|s| Answer::raw(s.schema.schema.clone()))
        }
        ("DELETE", ["subjects", subject]) => registry
            .delete_subject(subject)
            .map_err(|_| subject_not_found(subject))
            .map(|v| Answer::json(json!(v))),
        ("POST", ["compatibility", "subjects", subject, "versions", version]) => {
            compatibility(registry, subject, Some(version), body)
        }
        ("POST", ["compatibility", "subjects", subject, "versions"]) => {
            compatibility(registry, subject, None, body)
        }
        ("GET", ["config"]) => Ok(Answer::json(
            json!({"compatibilityLevel": registry.compatibility(None)}),
        )),
        ("GET", ["config", subject]) => {
            if registry.has_own_compatibility(subject) || flag("defaultToGlobal") {
                Ok(Answer::json(
                    json!({"compatibilityLevel": registry.compatibility(Some(subject))}),
                ))
            } else {
                Err(RegistryError::rest(
                    404,
                    40408,
                    format!(
                        "Subject '{subject}' does not have subject-level compatibility configured"
                    ),
                ))
            }
        }
        ("PUT", ["config"]) => set_compatibility(registry, None, body),
        ("PUT", ["config", subject]) => set_compatibility(registry, Some(subject), body),
        ("GET", ["mode"]) => Ok(Answer::json(json!({"mode": registry.mode()}))),
        ("PUT", ["mode"]) => set_mode(registry, body),
        (_, ["schemas" | "subjects" | "compatibility" | "config" | "mode", ..]) => {
            Err(RegistryError::rest(405, 405, "HTTP 405 Method Not Allowed"))
        }
        _ => Err(RegistryError::rest(404, 404, "HTTP 404 Not Found")),
    };
    result.unwrap_or_else(Answer::from_error)
}

fn subject_not_found(subject: &str) -> RegistryError {
    RegistryError::rest(404, 40401, format!("Subject '{subject}' not found."))
}

fn parse_id(id: &str) -> Result<i32, RegistryError> {
    id.parse()
        .map_err(|_| RegistryError::rest(404, 40403, format!("Schema {id} not found")))
}

/// The id of the schema with GUID text `guid`; 40403 when the text is no GUID or none has it.
fn id_by_guid(registry: &MemoryRegistry, guid: &str) -> Result<i32, RegistryError> {
    parse_guid(guid)
        .ok_or_else(|| RegistryError::rest(404, 40403, format!("Schema {guid} not found")))
        .and_then(|guid| registry.id_by_guid(&guid))
}

fn schema_by_id(registry: &MemoryRegistry, id: &str) -> Result<Arc<SchemaString>, RegistryError> {
    let id = parse_id(id)?;
    registry
        .schema_by_id(id)
        .map_err(|_| RegistryError::rest(404, 40403, format!("Schema {id} not found")))
}

/// `{"schemaType"?,"schema","references"?}` (AVRO and no references are left out, as the real
/// server does), plus `extra` fields first.
fn schema_json(schema: &SchemaString, extra: Option<Map<String, Value>>) -> Value {
    let mut out = extra.unwrap_or_default();
    if schema.schema_type != SchemaType::Avro {
        out.insert("schemaType".into(), json!(schema.schema_type.as_str()));
    }
    if !schema.references.is_empty() {
        out.insert("references".into(), references_json(&schema.references));
    }
    out.insert("schema".into(), json!(schema.schema));
    Value::Object(out)
}

/// `{"subject","version","id","schemaType"?,"references"?,"schema"}`.
fn subject_json(s: &SubjectSchema) -> Value {
    let mut head = Map::new();
    head.insert("subject".into(), json!(s.subject));
    head.insert("version".into(), json!(s.version));
    head.insert("id".into(), json!(s.id));
    schema_json(&s.schema, Some(head))
}

/// A register / look-up / compatibility request body: the schema, and any explicit id/version.
struct SchemaRequest {
    schema: SchemaString,
    id: Option<i32>,
    version: Option<i32>,
}

fn parse_schema_request(body: &str) -> Result<SchemaRequest, RegistryError> {
    let bad = |why: String| RegistryError::rest(422, 42201, format!("Invalid schema: {why}"));
    let value: Value = serde_json::from_str(body)
        .map_err(|e| RegistryError::rest(400, 400, format!("Unrecognized request body: {e}")))?;
    let o = value
        .as_object()
        .ok_or_else(|| bad("the body is not an object".into()))?;
    let schema_type = SchemaType::parse(o.get("schemaType").and_then(Value::as_str))?;
    let text = o
        .get("schema")
        .and_then(Value::as_str)
        .ok_or_else(|| RegistryError::rest(422, 42201, "Empty schema"))?;
    let number = |key: &str| -> Result<Option<i32>, RegistryError> {
        match o.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| bad(format!("\"{key}\" is not an integer: {v}"))),
        }
    };
    Ok(SchemaRequest {
        schema: SchemaString {
            schema_type,
            schema: text.to_string(),
            references: parse_references(o.get("references")).map_err(bad)?,
        },
        id: number("id")?.filter(|&id| id >= 0),
        version: number("version")?.filter(|&v| v > 0),
    })
}

fn register(registry: &MemoryRegistry, subject: &str, body: &str) -> Result<Answer, RegistryError> {
    let request = parse_schema_request(body)?;
    let canonical = super::canonical::canonical_schema(&request.schema)?;
    let registered = match request.id {
        Some(id) => {
            if registry.mode() != IMPORT_MODE {
                return Err(RegistryError::rest(
                    422,
                    42205,
                    format!("Subject {subject} is not in import mode"),
                ));
            }
            registry.register_with_id(subject, &canonical, request.version, id)?
        }
        None => {
            if let Ok(existing) = registry.lookup(subject, &canonical) {
                existing
            } else {
                if !registry.is_compatible(subject, &canonical, None) {
                    return Err(RegistryError::rest(
                        409,
                        409,
                        format!(
                            "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{{errorType:'TYPE_MISMATCH', description:'The new schema is of type {} and the latest is not', additionalInfo:'{}'}}]",
                            canonical.schema_type,
                            registry.compatibility(Some(subject))
                        ),
                    ));
                }
                registry.register(subject, &canonical)?;
                registry.lookup(subject, &canonical)?
            }
        }
    };
    Ok(Answer::json(subject_json(&registered)))
}

fn lookup(registry: &MemoryRegistry, subject: &str, body: &str) -> Result<Answer, RegistryError> {
    let request = parse_schema_request(body)?;
    match registry.lookup(subject, &request.schema) {
        Ok(found) => Ok(Answer::json(subject_json(&found))),
        Err(e) if e.error_code() == Some(40401) => Err(subject_not_found(subject)),
        Err(e) if e.error_code() == Some(40403) => {
            Err(RegistryError::rest(404, 40403, "Schema not found"))
        }
        Err(e) => Err(e),
    }
}

/// `latest`/`-1` or a version number; Confluent's 42202 for anything else.
fn parse_version(version: &str) -> Result<Option<i32>, RegistryError> {
    match version {
        "latest" | "-1" => Ok(None),
        v => v.parse::<i32>().ok().filter(|&v| v > 0).map(Some).ok_or_else(|| {
            RegistryError::rest(
                422,
                42202,
                format!("The specified version '{v}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""),
            )
        }),
    }
}

fn subject_version(
    registry: &MemoryRegistry,
    subject: &str,
    version: &str,
) -> Result<SubjectSchema, RegistryError> {
    let version = parse_version(version)?;
    if registry.latest(subject).is_err() {
        return Err(subject_not_found(subject));
    }
    match version {
        None => registry.latest(subject),
        Some(v) => registry
            .version(subject, v)
            .map_err(|_| RegistryError::rest(404, 40402, format!("Version {v} not found."))),
    }
}

fn compatibility(
    registry: &MemoryRegistry,
    subject: &str,
    version: Option<&str>,
    body: &str,
) -> Result<Answer, RegistryError> {
    let request = parse_schema_request(body)?;
    let version = match version {
        Some(v) => match parse_version(v)? {
            Some(v) => Some(subject_version(registry, subject, &v.to_string())?.version),
            None => registry.latest(subject).ok().map(|s| s.version),
        },
        None => None,
    };
    let compatible = registry.is_compatible(subject, &request.schema, version);
    Ok(Answer::json(json!({"is_compatible": compatible})))
}

const LEVELS: [&str; 7] = [
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
];

fn set_compatibility(
    registry: &MemoryRegistry,
    subject: Option<&str>,
    body: &str,
) -> Result<Answer, RegistryError> {
    let value: Value = serde_json::from_str(body)
        .map_err(|e| RegistryError::rest(400, 400, format!("Unrecognized request body: {e}")))?;
    let level = value
        .get("compatibility")
        .or_else(|| value.get("compatibilityLevel"))
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
        .filter(|l| LEVELS.contains(&l.as_str()))
        .ok_or_else(|| {
            RegistryError::rest(
                422,
                42203,
                format!("Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive: {value}"),
            )
        })?;
    registry.set_compatibility(subject, &level);
    Ok(Answer::json(json!({"compatibility": level})))
}

fn set_mode(registry: &MemoryRegistry, body: &str) -> Result<Answer, RegistryError> {
    let value: Value = serde_json::from_str(body)
        .map_err(|e| RegistryError::rest(400, 400, format!("Unrecognized request body: {e}")))?;
    let mode = value
        .get("mode")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
        .filter(|m| matches!(m.as_str(), "READWRITE" | "READONLY" | "IMPORT"))
        .ok_or_else(|| {
            RegistryError::rest(
                422,
                42204,
                format!("Invalid mode. Valid values are READWRITE, READONLY, IMPORT: {value}"),
            )
        })?;
    registry.set_mode(&mode);
    Ok(Answer::json(json!({"mode": mode})))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(answer: &Answer) -> Value {
        serde_json::from_str(&answer.body).expect("a JSON body")
    }

    #[test]
    fn register_look_up_and_fetch() {
        let r = MemoryRegistry::new();
        let a = handle(
            &r,
            "POST",
            "/subjects/t-value/versions",
            r#"{"schema":"\"int\""}"#,
        );
        assert_eq!((a.status, parsed(&a)["id"].clone()), (200, json!(1)));
        let a = handle(
            &r,
            "POST",
            "/subjects/t-value?normalize=false",
            r#"{"schema":" \"int\""}"#,
        );
        assert_eq!(
            parsed(&a),
            json!({"subject":"t-value","version":1,"id":1,"schema":"\"int\""})
        );
        let a = handle(&r, "GET", "/schemas/ids/1", "");
        assert_eq!(parsed(&a), json!({"schema":"\"int\""}));
        let a = handle(&r, "GET", "/schemas/ids/1/versions", "");
        assert_eq!(parsed(&a), json!([{"subject":"t-value","version":1}]));
        let a = handle(&r, "GET", "/subjects/t-value/versions/latest", "");
        assert_eq!(parsed(&a)["version"], json!(1));
        let a = handle(&r, "GET", "/subjects/t-value/versions/1/schema", "");
        assert_eq!(a.body, "\"int\"");
        assert_eq!(
            parsed(&handle(&r, "GET", "/subjects", "")),
            json!(["t-value"])
        );
    }

    #[test]
    fn subjects_with_slashes_arrive_encoded() {
        let r = MemoryRegistry::new();
        let body = r#"{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";"}"#;
        let a = handle(&r, "POST", "/subjects/conf%2Fcommon.proto/versions", body);
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(
            parsed(&handle(&r, "GET", "/subjects", "")),
            json!(["conf/common.proto"])
        );
        let a = handle(&r, "GET", "/schemas/ids/1", "");
        assert_eq!(parsed(&a)["schemaType"], json!("PROTOBUF"));
    }

    #[test]
    fn errors_carry_the_real_servers_codes() {
        let r = MemoryRegistry::new();
        let a = handle(&r, "GET", "/subjects/nope/versions/latest", "");
        assert_eq!(a.status, 404);
        assert_eq!(
            parsed(&a),
            json!({"error_code":40401,"message":"Subject 'nope' not found."})
        );
        assert_eq!(
            parsed(&handle(&r, "GET", "/schemas/ids/5", ""))["error_code"],
            json!(40403)
        );
        handle(
            &r,
            "POST",
            "/subjects/s/versions",
            r#"{"schema":"\"int\""}"#,
        );
        assert_eq!(
            parsed(&handle(&r, "GET", "/subjects/s/versions/9", ""))["error_code"],
            json!(40402)
        );
        assert_eq!(
            parsed(&handle(&r, "GET", "/subjects/s/versions/x", ""))["error_code"],
            json!(42202)
        );
        let a = handle(&r, "POST", "/subjects/s", r#"{"schema":"\"long\""}"#);
        assert_eq!(parsed(&a)["error_code"], json!(40403));
        let a = handle(&r, "POST", "/subjects/s/versions", r#"{"schema":"{nope"}"#);
        assert_eq!(
            (a.status, parsed(&a)["error_code"].clone()),
            (422, json!(42201))
        );
        let a = handle(
            &r,
            "POST",
            "/subjects/s/versions",
            r#"{"schemaType":"JSON","schema":"{}"}"#,
        );
        assert_eq!(
            (a.status, parsed(&a)["error_code"].clone()),
            (409, json!(409))
        );
        assert_eq!(handle(&r, "GET", "/elsewhere", "").status, 404);
        assert_eq!(handle(&r, "PATCH", "/subjects", "").status, 405);
    }

    #[test]
    fn compatibility_and_config() {
        let r = MemoryRegistry::new();
        handle(
            &r,
            "POST",
            "/subjects/s/versions",
            r#"{"schema":"\"int\""}"#,
        );
        let json_schema = r#"{"schemaType":"JSON","schema":"{}"}"#;
        let a = handle(
            &r,
            "POST",
            "/compatibility/subjects/s/versions/latest",
            json_schema,
        );
        assert_eq!(parsed(&a), json!({"is_compatible": false}));
        let a = handle(
            &r,
            "POST",
            "/compatibility/subjects/s/versions/1",
            r#"{"schema":"\"long\""}"#,
        );
        assert_eq!(parsed(&a), json!({"is_compatible": true}));
        assert_eq!(
            parsed(&handle(&r, "GET", "/config", "")),
            json!({"compatibilityLevel":"BACKWARD"})
        );
        assert_eq!(
            parsed(&handle(&r, "GET", "/config/s", ""))["error_code"],
            json!(40408)
        );
        let a = handle(&r, "PUT", "/config/s", r#"{"compatibility":"none"}"#);
        assert_eq!(parsed(&a), json!({"compatibility":"NONE"}));
        let a = handle(&r, "POST", "/subjects/s/versions", json_schema);
        assert_eq!(parsed(&a)["id"], json!(2));
        assert_eq!(
            handle(&r, "PUT", "/config", r#"{"compatibility":"SIDEWAYS"}"#).status,
            422
        );
        assert_eq!(
            parsed(&handle(&r, "DELETE", "/subjects/s", "")),
            json!([1, 2])
        );
    }

    #[test]
    fn explicit_ids_need_import_mode() {
        let r = MemoryRegistry::new();
        let body = r#"{"schema":"\"int\"","id":42,"version":3}"#;
        let a = handle(&r, "POST", "/subjects/s/versions", body);
        assert_eq!(parsed(&a)["error_code"], json!(42205));
        let a = handle(&r, "PUT", "/mode", r#"{"mode":"IMPORT"}"#);
        assert_eq!(parsed(&a), json!({"mode":"IMPORT"}));
        let a = handle(&r, "POST", "/subjects/s/versions", body);
        assert_eq!(parsed(&a)["id"], json!(42));
        assert_eq!(
            parsed(&handle(&r, "GET", "/subjects/s/versions", "")),
            json!([3])
        );
    }
}
