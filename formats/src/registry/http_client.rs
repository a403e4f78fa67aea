//! [`HttpRegistry`]: a blocking client for a real Schema Registry over its REST API, configured
//! with Confluent's client keys.
//!
//! - `schema.registry.url`: a comma-separated list; a URL that cannot be reached (refused,
//!   unresolvable, timed out) passes the request to the next one, and the one that answered is
//!   tried first afterwards (Confluent's `RestService` fail-over).
//! - `basic.auth.credentials.source`: `URL` (default: `user:password@` in the URL) or `USER_INFO`
//!   with `basic.auth.user.info=user:password`; `bearer.auth.credentials.source=STATIC_TOKEN` with
//!   `bearer.auth.token`. Each key may also carry the `schema.registry.` prefix.
//! - `http.connect.timeout.ms`, `http.read.timeout.ms` (default 60000 each). Each request opens
//!   a connection of its own (no keep-alive), so both bound every request.
//! - `max.retries` (default 3), `retries.wait.ms` (1000), `retries.max.wait.ms` (20000): answers
//!   408, 429, 500, 502, 503 and 504 are retried with doubling waits; connection failures are not
//!   retried beyond trying every URL once.
//!
//! Errors name the URL: [`RegistryError::Unreachable`] lists the URLs tried, and an error answer
//! is [`RegistryError::Rest`] with the registry's status, error code and message.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Map, Value};

use super::guid::guid_text;
use super::mock::{int_field, parse_references, references_json, string_field};
use super::{RegistryError, SchemaRegistry, SchemaString, SchemaType, SubjectSchema};

/// The content type of the Schema Registry API.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
/// What the client accepts (Confluent's `RestService.ACCEPT_HEADER`).
const ACCEPT: &str = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";
/// HTTP statuses worth asking again (Confluent's retriable codes).
const RETRIABLE: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// How the client retries and waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first try.
    pub max_retries: u32,
    /// The wait before the first retry; it doubles each time.
    pub wait: Duration,
    /// The longest wait.
    pub max_wait: Duration,
}

/// A Schema Registry reached over HTTP (see the module docs). Shared between threads; each call
/// is one or more blocking HTTP requests (cache it with a [`super::CachedRegistry`]).
#[derive(Debug)]
pub struct HttpRegistry {
    urls: Vec<String>,
    /// The URL to try first: the last one that answered.
    preferred: AtomicUsize,
    authorization: Option<String>,
    agent: ureq::Agent,
    retry: RetryPolicy,
}

/// The converter's `key`, or the same key with Confluent's `schema.registry.` prefix.
fn client_setting(settings: &dyn Fn(&str) -> Option<String>, key: &str) -> Option<String> {
    settings(key).or_else(|| settings(&format!("schema.registry.{key}")))
}

/// A non-negative integer setting, `default` when absent.
fn millis(
    settings: &dyn Fn(&str) -> Option<String>,
    key: &str,
    default: u64,
) -> Result<u64, RegistryError> {
    match client_setting(settings, key) {
        None => Ok(default),
        Some(text) => text.trim().parse().map_err(|_| {
            RegistryError::Config(format!(
                "Invalid value {text} for configuration {key}: Not a non-negative number"
            ))
        }),
    }
}

/// `text` with every byte outside RFC 3986's unreserved set percent-encoded, so a subject such
/// as `conf/common.proto` stays one path segment.
pub fn encode_path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `user:password@` taken out of `url`, if present: the URL without it and the user info.
fn split_user_info(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((user_info, host)) => (
            format!("{scheme}://{host}{}", &rest[authority_end..]),
            Some(user_info.to_string()),
        ),
        None => (url.to_string(), None),
    }
}

impl HttpRegistry {
    /// A client for the comma-separated `url_setting`, configured from the converter's
    /// `settings` (the keys in the module docs). Fails with a config error naming the key for a
    /// missing URL, an unsupported credentials source or a bad number. Makes no request.
    pub fn from_settings(
        url_setting: &str,
        settings: &dyn Fn(&str) -> Option<String>,
    ) -> Result<HttpRegistry, RegistryError> {
        let mut urls = Vec::new();
        let mut url_user_info = None;
        for url in url_setting
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(RegistryError::Config(format!(
                    "Invalid value {url_setting} for configuration schema.registry.url: {url} is not an http:// or https:// URL"
                )));
            }
            let (url, user_info) = split_user_info(url.trim_end_matches('/'));
            url_user_info = url_user_info.or(user_info);
            urls.push(url);
        }
        if urls.is_empty() {
            return Err(RegistryError::Config(
                "Missing required configuration \"schema.registry.url\" which has no default value."
                    .into(),
            ));
        }
        let basic = |user_info: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(user_info)
            )
        };
        let source = client_setting(settings, "basic.auth.credentials.source");
        let mut authorization = match source.as_deref().map(str::trim) {
            None | Some("URL") => url_user_info.as_deref().map(basic),
            Some("USER_INFO") => {
                let user_info = client_setting(settings, "basic.auth.user.info").ok_or_else(|| {
                    RegistryError::Config(
                        "basic.auth.credentials.source=USER_INFO needs basic.auth.user.info (user:password)".into(),
                    )
                })?;
                Some(basic(&user_info))
            }
            Some(other) => {
                return Err(RegistryError::Config(format!(
                    "Invalid value {other} for configuration basic.auth.credentials.source: weir supports URL and USER_INFO"
                )))
            }
        };
        match client_setting(settings, "bearer.auth.credentials.source").as_deref() {
            None => {}
            Some("STATIC_TOKEN") => {
                let token = client_setting(settings, "bearer.auth.token").ok_or_else(|| {
                    RegistryError::Config(
                        "bearer.auth.credentials.source=STATIC_TOKEN needs bearer.auth.token".into(),
                    )
                })?;
                authorization = Some(format!("Bearer {token}"));
            }
            Some(other) => {
                return Err(RegistryError::Config(format!(
                    "Invalid value {other} for configuration bearer.auth.credentials.source: weir supports STATIC_TOKEN"
                )))
            }
        }
        let connect = millis(settings, "http.connect.timeout.ms", 60_000)?;
        let read = millis(settings, "http.read.timeout.ms", 60_000)?;
        let retry = RetryPolicy {
            max_retries: u32::try_from(millis(settings, "max.retries", 3)?).unwrap_or(u32::MAX),
            wait: Duration::from_millis(millis(settings, "retries.wait.ms", 1000)?),
            max_wait: Duration::from_millis(millis(settings, "retries.max.wait.ms", 20_000)?),
        };
        // No idle connections kept: ureq 2.12 reads the answer on a reused connection with no
        // read timeout at all (it clears a connection's timeouts when pooling it and sets them
        // again only for the body), so a registry that stopped answering on a kept-alive
        // connection would hang the caller for good. A registry is asked once per schema (the
        // answers are cached), so a new connection per request costs little.
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_millis(connect))
            .timeout_read(Duration::from_millis(read))
            .timeout_write(Duration::from_millis(read))
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .build();
        Ok(HttpRegistry {
            urls,
            preferred: AtomicUsize::new(0),
            authorization,
            agent,
            retry,
        })
    }

    /// The registry URLs, in the order configured.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// Sends `method path` (with a JSON `body`) to the registry, failing over between URLs and
    /// retrying retriable answers; the answer's JSON.
    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, RegistryError> {
        let mut wait = self.retry.wait;
        let mut attempt = 0;
        loop {
            match self.request_once(method, path, body) {
                Err(RegistryError::Rest { status, .. })
                    if RETRIABLE.contains(&status) && attempt < self.retry.max_retries =>
                {
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(self.retry.max_wait);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// One try: each URL in turn, from the preferred one, until one answers.
    fn request_once(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, RegistryError> {
        let first = self.preferred.load(Ordering::Relaxed);
        let mut last_reason = String::new();
        for i in 0..self.urls.len() {
            let index = (first + i) % self.urls.len();
            let url = format!("{}{path}", self.urls[index]);
            let mut request = self.agent.request(method, &url).set("Accept", ACCEPT);
            if let Some(auth) = &self.authorization {
                request = request.set("Authorization", auth);
            }
            let result = match body {
                Some(body) => request
                    .set("Content-Type", CONTENT_TYPE)
                    .send_string(&body.to_string()),
                None => request.call(),
            };
            let (status, response) = match result {
                Ok(response) => (response.status(), response),
                Err(ureq::Error::Status(status, response)) => (status, response),
                Err(ureq::Error::Transport(transport)) => {
                    last_reason = format!("{}: {transport}", self.urls[index]);
                    continue;
                }
            };
            self.preferred.store(index, Ordering::Relaxed);
            let text = response
                .into_string()
                .map_err(|e| RegistryError::BadResponse {
                    url: url.clone(),
                    reason: e.to_string(),
                })?;
            return if (200..300).contains(&status) {
                serde_json::from_str(&text).map_err(|e| RegistryError::BadResponse {
                    url,
                    reason: format!("not JSON ({e}): {}", excerpt(&text)),
                })
            } else {
                Err(error_answer(status, &text, url))
            };
        }
        Err(RegistryError::Unreachable {
            urls: self.urls.join(", "),
            reason: last_reason,
        })
    }

    /// The body of a register or look-up request for `schema`.
    fn schema_body(schema: &SchemaString) -> Value {
        let mut body = Map::new();
        if schema.schema_type != SchemaType::Avro {
            body.insert("schemaType".into(), json!(schema.schema_type.as_str()));
        }
        if !schema.references.is_empty() {
            body.insert("references".into(), references_json(&schema.references));
        }
        body.insert("schema".into(), json!(schema.schema));
        Value::Object(body)
    }

    /// `path` under `/subjects/{subject}`.
    fn subject_path(subject: &str, rest: &str) -> String {
        format!("/subjects/{}{rest}", encode_path_segment(subject))
    }

    fn bad(&self, path: &str, reason: String) -> RegistryError {
        RegistryError::BadResponse {
            url: format!(
                "{}{path}",
                self.urls[self.preferred.load(Ordering::Relaxed)]
            ),
            reason,
        }
    }

    /// A `{"subject","version","id","schema",…}` answer.
    fn subject_schema(&self, path: &str, answer: Value) -> Result<SubjectSchema, RegistryError> {
        let parsed = answer
            .as_object()
            .ok_or_else(|| format!("not an object: {}", excerpt(&answer.to_string())))
            .and_then(|o| {
                Ok(SubjectSchema {
                    subject: string_field(o, "subject")?,
                    version: int_field(o, "version")?,
                    id: int_field(o, "id")?,
                    schema: Arc::new(schema_string(o)?),
                })
            });
        parsed.map_err(|reason| self.bad(path, reason))
    }
}

/// `{"schema","schemaType","references"}` from an answer.
fn schema_string(o: &Map<String, Value>) -> Result<SchemaString, String> {
    let schema_type = SchemaType::parse(o.get("schemaType").and_then(Value::as_str))
        .map_err(|e| e.to_string())?;
    Ok(SchemaString {
        schema_type,
        schema: string_field(o, "schema")?,
        references: parse_references(o.get("references"))?,
    })
}

/// At most 200 characters of `text`, for error messages.
fn excerpt(text: &str) -> String {
    let mut end = text.len().min(200);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// The error an answer with `status` and `text` stands for: the registry's
/// `{"error_code","message"}` when it sent one, else the status and the body.
fn error_answer(status: u16, text: &str, url: String) -> RegistryError {
    let parsed: Option<(i32, String)> = serde_json::from_str::<Value>(text).ok().and_then(|v| {
        let code = v
            .get("error_code")?
            .as_i64()
            .and_then(|c| i32::try_from(c).ok())?;
        let message = v.get("message")?.as_str()?.to_string();
        Some((code, message))
    });
    let (error_code, message) = parsed.unwrap_or_else(|| {
        let reason = match status {
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            _ => "HTTP error",
        };
        let body = excerpt(text.trim());
        let message = if body.is_empty() {
            reason.to_string()
        } else {
            format!("{reason}: {body}")
        };
        (i32::from(status), message)
    });
    RegistryError::Rest {
        status,
        error_code,
        message,
        url: Some(url),
    }
}

impl SchemaRegistry for HttpRegistry {
    fn id_by_guid(&self, guid: &[u8; 16]) -> Result<i32, RegistryError> {
        let path = format!("/schemas/guids/{}/ids", guid_text(guid));
        let answer = self.request("GET", &path, None)?;
        // `[{"context":…,"id":…}, …]` (Confluent 8's `ContextId`s); the first one.
        let first = answer.as_array().and_then(|ids| ids.first());
        let id = match first {
            Some(Value::Object(o)) => int_field(o, "id"),
            Some(other) => other
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| format!("not an id: {other}")),
            None => Err("no ids".to_string()),
        };
        id.map_err(|reason| self.bad(&path, reason))
    }

    fn schema_by_id(&self, id: i32) -> Result<Arc<SchemaString>, RegistryError> {
        let path = format!("/schemas/ids/{id}");
        let answer = self.request("GET", &path, None)?;
        let parsed = answer
            .as_object()
            .ok_or_else(|| "not an object".to_string())
            .and_then(schema_string);
        parsed
            .map(Arc::new)
            .map_err(|reason| self.bad(&path, reason))
    }

    fn register(&self, subject: &str, schema: &SchemaString) -> Result<i32, RegistryError> {
        let path = HttpRegistry::subject_path(subject, "/versions");
        let answer = self.request("POST", &path, Some(&HttpRegistry::schema_body(schema)))?;
        answer
            .as_object()
            .ok_or_else(|| "not an object".to_string())
            .and_then(|o| int_field(o, "id"))
            .map_err(|reason| self.bad(&path, reason))
    }

    fn lookup(&self, subject: &str, schema: &SchemaString) -> Result<SubjectSchema, RegistryError> {
        let path = HttpRegistry::subject_path(subject, "");
        let answer = self.request("POST", &path, Some(&HttpRegistry::schema_body(schema)))?;
        self.subject_schema(&path, answer)
    }

    fn latest(&self, subject: &str) -> Result<SubjectSchema, RegistryError> {
        let path = HttpRegistry::subject_path(subject, "/versions/latest");
        let answer = self.request("GET", &path, None)?;
        self.subject_schema(&path, answer)
    }

    fn version(&self, subject: &str, version: i32) -> Result<SubjectSchema, RegistryError> {
        let path = HttpRegistry::subject_path(subject, &format!("/versions/{version}"));
        let answer = self.request("GET", &path, None)?;
        self.subject_schema(&path, answer)
    }

    fn subjects(&self) -> Result<Vec<String>, RegistryError> {
        let answer = self.request("GET", "/subjects", None)?;
        let list = answer.as_array().map(|a| {
            a.iter()
                .map(|s| s.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        });
        list.flatten()
            .ok_or_else(|| self.bad("/subjects", "not a list of subjects".into()))
    }

    fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        let path = HttpRegistry::subject_path(subject, "/versions");
        let answer = self.request("GET", &path, None)?;
        let list = answer.as_array().map(|a| {
            a.iter()
                .map(|v| v.as_i64().and_then(|v| i32::try_from(v).ok()))
                .collect::<Option<Vec<_>>>()
        });
        list.flatten()
            .ok_or_else(|| self.bad(&path, "not a list of versions".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_one_path_segment() {
        assert_eq!(
            encode_path_segment("conf/common.proto"),
            "conf%2Fcommon.proto"
        );
        assert_eq!(encode_path_segment("t-value"), "t-value");
        assert_eq!(encode_path_segment("a b:ü"), "a%20b%3A%C3%BC");
    }

    #[test]
    fn user_info_in_the_url_becomes_basic_auth() {
        assert_eq!(
            split_user_info("http://u:p@host:8081/x"),
            ("http://host:8081/x".to_string(), Some("u:p".to_string()))
        );
        assert_eq!(
            split_user_info("http://host"),
            ("http://host".to_string(), None)
        );
        let r = HttpRegistry::from_settings("http://u:p@h:1/, http://h2:2", &|_| None).expect("ok");
        assert_eq!(r.urls(), ["http://h:1", "http://h2:2"]);
        assert_eq!(r.authorization.as_deref(), Some("Basic dTpw"));
    }

    #[test]
    fn settings_are_checked_and_name_their_key() {
        let none = |_: &str| None;
        let err = HttpRegistry::from_settings(" ", &none).unwrap_err();
        assert!(err.to_string().contains("schema.registry.url"), "{err}");
        let err = HttpRegistry::from_settings("ftp://x", &none).unwrap_err();
        assert!(
            err.to_string().contains("not an http:// or https:// URL"),
            "{err}"
        );
        let source = |k: &str| (k == "basic.auth.credentials.source").then(|| "USER_INFO".into());
        let err = HttpRegistry::from_settings("http://h", &source).unwrap_err();
        assert!(err.to_string().contains("basic.auth.user.info"), "{err}");
        let sasl =
            |k: &str| (k == "basic.auth.credentials.source").then(|| "SASL_INHERIT".to_string());
        assert!(HttpRegistry::from_settings("http://h", &sasl).is_err());
        let prefixed = |k: &str| match k {
            "basic.auth.credentials.source" => Some("USER_INFO".to_string()),
            "schema.registry.basic.auth.user.info" => Some("a:b".to_string()),
            "max.retries" => Some("x".to_string()),
            _ => None,
        };
        let err = HttpRegistry::from_settings("http://h", &prefixed).unwrap_err();
        assert!(err.to_string().contains("max.retries"), "{err}");
    }

    #[test]
    fn error_answers_keep_the_registrys_code_and_message() {
        let err = error_answer(
            404,
            r#"{"error_code":40401,"message":"Subject 'x' not found."}"#,
            "http://h/subjects/x/versions/latest".into(),
        );
        assert_eq!(err.error_code(), Some(40401));
        assert_eq!(
            err.to_string(),
            "Subject 'x' not found.; error code: 40401 (schema registry http://h/subjects/x/versions/latest)"
        );
        let err = error_answer(401, "<html>no</html>", "http://h/".into());
        assert_eq!(err.error_code(), Some(401));
        assert!(err.to_string().starts_with("Unauthorized: <html>"), "{err}");
    }
}
