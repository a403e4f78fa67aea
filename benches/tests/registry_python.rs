//! Fidelity of `smtbench registry serve` with Confluent's own Python client: confluent-kafka's
//! `SchemaRegistryClient` registers an Avro schema, fetches it by id and as the latest version,
//! and then weir's HTTP client reads what it wrote.
//!
//! The test builds a venv under the target directory and installs `confluent-kafka` into it
//! (once; later runs reuse it). Where that cannot be done it fails, saying what to install.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use weir_formats::registry::http_client::HttpRegistry;
use weir_formats::registry::{SchemaRegistry, SchemaType};

/// The Python script: register, fetch by id, fetch latest, look up; prints one JSON line.
const SCRIPT: &str = r#"
import json, sys
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

client = SchemaRegistryClient({"url": sys.argv[1]})
text = json.dumps({"type": "record", "name": "Order", "namespace": "com.example",
                   "fields": [{"name": "id", "type": "long"},
                              {"name": "note", "type": ["null", "string"], "default": None}]})
schema = Schema(text, "AVRO")
schema_id = client.register_schema("orders-value", schema)
by_id = client.get_schema(schema_id)
latest = client.get_latest_version("orders-value")
found = client.lookup_schema("orders-value", schema)
print(json.dumps({"id": schema_id, "schema": by_id.schema_str, "type": by_id.schema_type,
                  "latest_id": latest.schema_id, "latest_version": latest.version,
                  "lookup_id": found.schema_id, "subjects": client.get_subjects()}))
"#;

/// The venv's python, with confluent-kafka installed; an error says what to install.
fn python_with_confluent_kafka() -> Result<PathBuf, String> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("registry-python-venv");
    let python = venv.join("bin").join("python");
    let has_client = |python: &Path| {
        Command::new(python)
            .args(["-c", "import confluent_kafka.schema_registry"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if python.exists() && has_client(&python) {
        return Ok(python);
    }
    let venv_made = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(&venv)
        .output()
        .map_err(|e| format!("python3 could not run ({e}): install Python 3 with its venv module (Debian: apt-get install python3 python3-venv)"))?;
    if !venv_made.status.success() {
        return Err(format!(
            "`python3 -m venv {}` failed: install Python's venv module (Debian: apt-get install python3-venv): {}",
            venv.display(),
            String::from_utf8_lossy(&venv_made.stderr)
        ));
    }
    let pip = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "confluent-kafka[schemaregistry]",
        ])
        .output()
        .map_err(|e| format!("the venv's python could not run: {e}"))?;
    if !pip.status.success() || !has_client(&python) {
        return Err(format!(
            "`pip install confluent-kafka[schemaregistry]` into {} failed: install confluent-kafka with its registry extra (pip install 'confluent-kafka[schemaregistry]', needs PyPI) or pip itself (Debian: apt-get install python3-pip): {}",
            venv.display(),
            String::from_utf8_lossy(&pip.stderr)
        ));
    }
    Ok(python)
}

/// `smtbench registry serve` on a free loopback port, stopped when dropped.
struct Served {
    child: Child,
    url: String,
}

impl Served {
    fn start() -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_smtbench"))
            .args(["registry", "serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start smtbench registry serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the serving line");
        let url = line
            .trim()
            .strip_prefix("serving ")
            .unwrap_or_else(|| panic!("unexpected first line from the server: {line:?}"))
            .to_string();
        Served { child, url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn confluents_python_client_and_weirs_client_agree_through_the_server() {
    let python = python_with_confluent_kafka().unwrap_or_else(|why| panic!("{why}"));
    let server = Served::start();
    let ran = Command::new(&python)
        .args(["-c", SCRIPT, &server.url])
        .output()
        .expect("run the Python client");
    assert!(
        ran.status.success(),
        "the Python client failed: {}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let answer: serde_json::Value =
        serde_json::from_slice(&ran.stdout).expect("the script prints one JSON line");
    let id = answer["id"].as_i64().expect("an id") as i32;
    assert_eq!(answer["type"], "AVRO");
    assert_eq!(answer["latest_id"], id);
    assert_eq!(answer["latest_version"], 1);
    assert_eq!(answer["lookup_id"], id);
    assert_eq!(answer["subjects"], serde_json::json!(["orders-value"]));

    // weir's client reads what Python wrote.
    let weir = HttpRegistry::from_settings(&server.url, &|_| None).expect("weir client");
    let by_id = weir.schema_by_id(id).expect("schema by id");
    assert_eq!(by_id.schema_type, SchemaType::Avro);
    let python_text: serde_json::Value =
        serde_json::from_str(answer["schema"].as_str().expect("schema text")).expect("json");
    let weir_text: serde_json::Value = serde_json::from_str(&by_id.schema).expect("json");
    assert_eq!(weir_text, python_text);
    let latest = weir.latest("orders-value").expect("latest");
    assert_eq!((latest.id, latest.version), (id, 1));
    assert_eq!(weir.lookup("orders-value", &by_id).map(|s| s.id), Ok(id));
}
