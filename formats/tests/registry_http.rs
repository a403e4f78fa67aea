//! weir's HTTP registry client against weir's registry server over real sockets: the happy
//! path, and each failure a user meets (unreachable, 404 with the registry's code, 401, 409),
//! and fail-over to a second URL.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use weir_formats::registry::http_client::HttpRegistry;
use weir_formats::registry::server::RegistryServer;
use weir_formats::registry::{
    connect, MemoryRegistry, RegistryError, SchemaRegistry, SchemaString, SchemaType,
};

const ORDER: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"#;

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn start(auth: Option<&str>) -> RegistryServer {
    RegistryServer::start(loopback(), Arc::new(MemoryRegistry::new()), auth).expect("server")
}

/// A client for `urls` that gives up fast.
fn client(urls: &str, extra: &[(&str, &str)]) -> HttpRegistry {
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let settings = move |key: &str| match key {
        "http.connect.timeout.ms" | "http.read.timeout.ms" => Some("2000".to_string()),
        "retries.wait.ms" => Some("10".to_string()),
        _ => extra.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()),
    };
    HttpRegistry::from_settings(urls, &settings).expect("client settings")
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
        None,
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
