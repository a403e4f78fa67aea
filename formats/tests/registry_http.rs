//! weir's HTTP registry client against weir's registry server over real sockets: the happy
//! path, and each failure a user meets (unreachable, slow, 404 with the registry's code, 401,
//! 409), fail-over to a second URL, and the retries of an answer worth asking again.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use weir_formats::registry::http_client::HttpRegistry;
use weir_formats::registry::server::{RegistryServer, ServeOptions};
use weir_formats::registry::{
    connect, MemoryRegistry, RegistryError, SchemaRegistry, SchemaString, SchemaType,
};

const ORDER: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"#;

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn start(auth: Option<&str>) -> RegistryServer {
    start_with(&ServeOptions {
        basic_auth: auth.map(str::to_string),
        ..ServeOptions::default()
    })
}

/// A server that waits `delay` before each answer.
fn start_slow(delay: Duration) -> RegistryServer {
    start_with(&ServeOptions {
        answer_delay: delay,
        ..ServeOptions::default()
    })
}

fn start_with(options: &ServeOptions) -> RegistryServer {
    RegistryServer::start(loopback(), Arc::new(MemoryRegistry::new()), options).expect("server")
}

/// A client for `urls` that gives up fast, with the `extra` settings before those defaults.
fn client(urls: &str, extra: &[(&str, &str)]) -> HttpRegistry {
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let settings = move |key: &str| {
        let given = extra.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        given.or(match key {
            "http.connect.timeout.ms" | "http.read.timeout.ms" => Some("2000".to_string()),
            "retries.wait.ms" => Some("10".to_string()),
            _ => None,
        })
    };
    HttpRegistry::from_settings(urls, &settings).expect("client settings")
}

/// What `call` returns, run on a thread of its own; fails the test if it has not returned
/// within 30 s (a client that hangs on a registry that stopped answering is the defect).
fn returns<T: Send + 'static>(call: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(call()));
    receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("the client hung")
}

/// A loopback port with nothing listening on it.
fn dead_url() -> String {
    let listener = TcpListener::bind(loopback()).expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

#[test]
fn register_and_read_back_over_http() {
    let server = start(None);
    let registry = client(&server.url(), &[]);
    let avro = SchemaString::new(SchemaType::Avro, ORDER);
    let id = registry.register("orders-value", &avro).expect("register");
    assert_eq!(id, 1);
    assert_eq!(registry.register("orders-value", &avro), Ok(1));
    let by_id = registry.schema_by_id(id).expect("by id");
    assert_eq!(by_id.schema_type, SchemaType::Avro);
    assert_eq!(by_id.schema, ORDER);
    let found = registry.lookup("orders-value", &avro).expect("lookup");
    assert_eq!((found.id, found.version), (1, 1));
    let json = SchemaString::new(SchemaType::Json, r#"{"type":"object"}"#);
    let json_id = registry
        .register("conf/orders.json", &json)
        .expect("register");
    assert_eq!(
        registry.latest("conf/orders.json").map(|s| s.id),
        Ok(json_id)
    );
    assert_eq!(
        registry
            .version("conf/orders.json", 1)
            .map(|s| s.schema.schema_type),
        Ok(SchemaType::Json)
    );
    assert_eq!(
        registry.subjects(),
        Ok(vec![
            "conf/orders.json".to_string(),
            "orders-value".to_string()
        ])
    );
    assert_eq!(registry.versions("orders-value"), Ok(vec![1]));
}

#[test]
fn a_stopped_registry_is_unreachable_and_the_error_names_it() {
    let server = start(None);
    let url = server.url();
    server.stop();
    let err = client(&url, &[]).schema_by_id(1).unwrap_err();
    match &err {
        RegistryError::Unreachable { urls, .. } => assert_eq!(urls, &url),
        other => panic!("expected unreachable, got {other:?}"),
    }
    assert!(err.to_string().contains(&url), "{err}");
}

#[test]
fn not_found_carries_the_registrys_error_code_and_url() {
    let server = start(None);
    let err = client(&server.url(), &[]).latest("nope-value").unwrap_err();
    assert_eq!(err.error_code(), Some(40401));
    assert!(err.is_not_found());
    let text = err.to_string();
    assert!(
        text.starts_with("Subject 'nope-value' not found.; error code: 40401"),
        "{text}"
    );
    assert!(text.contains(&server.url()), "{text}");
    let err = client(&server.url(), &[]).schema_by_id(99).unwrap_err();
    assert_eq!(err.error_code(), Some(40403));
}

#[test]
fn basic_auth_is_required_when_the_server_asks() {
    let server = start(Some("alice:secret"));
    let err = client(&server.url(), &[]).subjects().unwrap_err();
    assert!(
        matches!(err, RegistryError::Rest { status: 401, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("Unauthorized"), "{err}");
    let wrong = client(
        &server.url(),
        &[
            ("basic.auth.credentials.source", "USER_INFO"),
            ("basic.auth.user.info", "alice:wrong"),
        ],
    );
    assert_eq!(wrong.subjects().unwrap_err().error_code(), Some(401));
    let right = client(
        &server.url(),
        &[
            ("basic.auth.credentials.source", "USER_INFO"),
            ("basic.auth.user.info", "alice:secret"),
        ],
    );
    assert_eq!(right.subjects(), Ok(Vec::new()));
    // Credentials in the URL (the default source, URL) work too.
    let in_url = server.url().replace("http://", "http://alice:secret@");
    assert_eq!(client(&in_url, &[]).subjects(), Ok(Vec::new()));
}

#[test]
fn an_incompatible_schema_is_a_409() {
    let server = start(None);
    let registry = client(&server.url(), &[]);
    registry
        .register("t-value", &SchemaString::new(SchemaType::Avro, ORDER))
        .expect("register");
    let err = registry
        .register("t-value", &SchemaString::new(SchemaType::Json, "{}"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::Rest {
                status: 409,
                error_code: 409,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("incompatible"), "{err}");
}

#[test]
fn requests_fail_over_to_the_next_url() {
    let server = start(None);
    let urls = format!("{}, {}", dead_url(), server.url());
    let registry = client(&urls, &[]);
    let avro = SchemaString::new(SchemaType::Avro, ORDER);
    assert_eq!(registry.register("t-value", &avro), Ok(1));
    assert_eq!(
        registry.schema_by_id(1).map(|s| s.schema.clone()),
        Ok(ORDER.to_string())
    );
    // Every URL down: unreachable, naming both.
    let err = client(&format!("{}, {}", dead_url(), dead_url()), &[])
        .subjects()
        .unwrap_err();
    assert!(matches!(err, RegistryError::Unreachable { .. }), "{err:?}");
}

#[test]
fn connect_gives_a_cached_http_client_for_http_urls() {
    let server = start(None);
    let registry = connect(&server.url(), &|_| None).expect("connect");
    let avro = SchemaString::new(SchemaType::Avro, ORDER);
    let id = registry.register("t-value", &avro).expect("register");
    assert!(registry.schema_by_id(id).is_ok());
    server.stop();
    // Served from the cache with the server gone.
    assert_eq!(
        registry.schema_by_id(id).map(|s| s.schema.clone()),
        Ok(ORDER.to_string())
    );
    assert!(connect("ftp://nowhere", &|_| None).is_err());
}

#[test]
fn the_server_listens_on_loopback_only() {
    let err = RegistryServer::start(
        SocketAddr::from(([0, 0, 0, 0], 0)),
        Arc::new(MemoryRegistry::new()),
        &ServeOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("loopback"), "{err}");
}

#[test]
fn a_schema_guid_finds_its_id_over_http() {
    use weir_formats::registry::guid::{guid_text, schema_guid};
    let server = start(None);
    let registry = client(&server.url(), &[]);
    let avro = SchemaString::new(SchemaType::Avro, ORDER);
    let id = registry.register("orders-value", &avro).expect("register");
    let stored = registry.schema_by_id(id).expect("by id");
    let guid = schema_guid(&stored);
    assert_eq!(registry.id_by_guid(&guid), Ok(id));
    // GET /schemas/guids/{guid} answers the schema itself.
    let url = format!("{}/schemas/guids/{}", server.url(), guid_text(&guid));
    let text = ureq::get(&url)
        .call()
        .expect("answered")
        .into_string()
        .expect("text");
    let body: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(body["schema"], ORDER);
    let unknown = registry.id_by_guid(&[7; 16]).expect_err("no schema has it");
    assert_eq!(unknown.error_code(), Some(40403));
}

#[test]
fn a_registry_slower_than_the_read_timeout_is_unreachable_and_the_error_says_so() {
    let server = start_slow(Duration::from_millis(1500));
    let registry = client(&server.url(), &[("http.read.timeout.ms", "100")]);
    let err = returns(move || registry.subjects()).unwrap_err();
    let RegistryError::Unreachable { urls, reason } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(urls, &server.url());
    assert!(reason.contains(&server.url()), "{reason}");
    assert!(reason.contains("timed out"), "{reason}");
}

#[test]
fn a_slow_registry_within_the_read_timeout_answers() {
    let server = start_slow(Duration::from_millis(100));
    let registry = client(&server.url(), &[("http.read.timeout.ms", "5000")]);
    let avro = SchemaString::new(SchemaType::Avro, ORDER);
    assert_eq!(registry.register("t-value", &avro), Ok(1));
    assert_eq!(registry.subjects(), Ok(vec!["t-value".to_string()]));
}

#[test]
fn a_request_that_times_out_fails_over_to_the_next_url_which_is_then_asked_first() {
    let slow = start_slow(Duration::from_millis(1500));
    let fast = start(None);
    let urls = format!("{}, {}", slow.url(), fast.url());
    let registry = client(&urls, &[("http.read.timeout.ms", "100")]);
    let avro = SchemaString::new(SchemaType::Avro, ORDER);
    assert_eq!(registry.register("t-value", &avro), Ok(1));
    // The fast server answered, so it is asked first now: with it gone the slow one is
    // tried after it, and times out.
    fast.stop();
    let err = returns(move || registry.subjects()).unwrap_err();
    let RegistryError::Unreachable { reason, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(reason.contains(&slow.url()), "{reason}");
    assert!(reason.contains("timed out"), "{reason}");
}

/// A registry that answers `503 Service Unavailable` to its first `failures` requests and the
/// schema of id 1 after that (what a real registry does while its leader is being elected),
/// counting the requests it read. Real sockets; one request per connection.
struct Unavailable {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl Unavailable {
    fn start(failures: usize) -> Unavailable {
        let listener = TcpListener::bind(loopback()).expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                // The request line and headers; a GET has no body.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let seen = counted.fetch_add(1, Ordering::SeqCst);
                let (status, body) = if seen < failures {
                    (
                        "503 Service Unavailable",
                        r#"{"error_code":50302,"message":"leader not known"}"#.to_string(),
                    )
                } else {
                    ("200 OK", serde_json::json!({ "schema": ORDER }).to_string())
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Unavailable { url, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

#[test]
fn an_unavailable_registry_is_asked_again_up_to_max_retries() {
    let registry = Unavailable::start(2);
    let answered = client(&registry.url, &[("max.retries", "3")]).schema_by_id(1);
    assert_eq!(answered.map(|s| s.schema.clone()), Ok(ORDER.to_string()));
    assert_eq!(registry.requests(), 3);

    let registry = Unavailable::start(2);
    let err = client(&registry.url, &[("max.retries", "1")])
        .schema_by_id(1)
        .unwrap_err();
    assert!(
        matches!(
            &err,
            RegistryError::Rest {
                status: 503,
                error_code: 50302,
                url: Some(url),
                ..
            } if url.starts_with(&registry.url)
        ),
        "{err:?}"
    );
    assert_eq!(registry.requests(), 2);
}
