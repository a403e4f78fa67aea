//! `smtbench apply` end to end on two conformance cases: the output file must hold the expected
//! records and the dead-letter file the records expected to fail; and its answers to configs naming
//! classes weir does not have.

// The conformance comparison the weir-tests crate uses; this file uses only part of it.
#[allow(dead_code)]
#[path = "../../tests/tests/support/mod.rs"]
mod support;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::{corpus_dir, parse_expected, record_difference, Expected};
use weir_engine::interchange::read_batch;

/// The cases to run, relative to the conformance root.
const CASES: &[&str] = &[
    "converters/converters_json/schemaless_passthrough",
    "converters/converters_other/integer",
];

#[test]
fn smtbench_apply_writes_the_expected_records_and_dead_letters() {
    let root = corpus_dir("kafka-connect");
    let scratch = std::env::temp_dir().join(format!("weir-smtbench-apply-{}", std::process::id()));
    fs::create_dir_all(&scratch).expect("create a scratch folder");
    for case in CASES {
        let dir = root.join(case);
        assert!(dir.is_dir(), "no case at {}", dir.display());
        let failure = check_case(&dir, &scratch.join(case.replace('/', "_")));
        assert!(failure.is_none(), "{case}: {}", failure.unwrap_or_default());
    }
    let _ = fs::remove_dir_all(&scratch);
}

/// Runs `smtbench apply` on the case in `dir`, writing `<out>.jsonl` and `<out>.dlq.jsonl`; the
/// first problem found, if any.
fn check_case(dir: &Path, out: &Path) -> Option<String> {
    let output = out.with_extension("jsonl");
    let dlq = out.with_extension("dlq.jsonl");
    if let Err(why) = run_smtbench(dir, &output, &dlq) {
        return Some(why);
    }
    let expected = fs::read_to_string(dir.join("expected.jsonl"))
        .map_err(|e| format!("expected.jsonl: {e}"))
        .and_then(|text| parse_expected(&text));
    match expected {
        Ok(expected) => compare_files(&expected, &output, &dlq).err(),
        Err(why) => Some(why),
    }
}

/// The `smtbench` binary cargo built for this test, run as `smtbench apply ...`.
fn run_smtbench(dir: &Path, output: &Path, dlq: &Path) -> Result<(), String> {
    let result = Command::new(env!("CARGO_BIN_EXE_smtbench"))
        .arg("apply")
        .arg("--config")
        .arg(dir.join("pipeline.properties"))
        .arg("--input")
        .arg(dir.join("input.jsonl"))
        .arg("--output")
        .arg(output)
        .arg("--dlq")
        .arg(dlq)
        .output()
        .map_err(|e| format!("cannot run smtbench: {e}"))?;
    if result.status.success() {
        Ok(())
    } else {
        Err(format!(
            "smtbench apply exited with {}: {}",
            result.status,
            String::from_utf8_lossy(&result.stderr)
        ))
    }
}

/// The output file must hold exactly the expected records, in order; the dead-letter file the
/// records expected to fail, in order.
fn compare_files(expected: &[Expected], output: &Path, dlq: &Path) -> Result<(), String> {
    let read = |path: &Path| {
        fs::read_to_string(path)
            .map_err(|e| format!("{}: {e}", path.display()))
            .and_then(|text| read_batch(&text).map_err(|e| format!("{}: {e}", path.display())))
    };
    let (records, dead_letters) = (read(output)?, read(dlq)?);
    let wanted: Vec<_> = expected
        .iter()
        .filter_map(|line| match line {
            Expected::Record(record) => Some(record),
            _ => None,
        })
        .collect();
    if wanted.len() != records.len() {
        return Err(format!(
            "{} output records, expected {}",
            records.len(),
            wanted.len()
        ));
    }
    for (expected, actual) in wanted.iter().zip(records.records()) {
        if let Some(difference) = record_difference(&expected.as_raw(), &actual) {
            return Err(format!("offset {}: {difference}", expected.offset));
        }
    }
    let failing: Vec<&Expected> = expected
        .iter()
        .filter(|line| matches!(line, Expected::Error { .. }))
        .collect();
    let failing_offsets: Vec<i64> = failing.iter().map(|line| line.offset()).collect();
    let lettered: Vec<i64> = dead_letters.records().map(|letter| letter.offset).collect();
    if lettered != failing_offsets {
        let failing: Vec<String> = failing.iter().map(ToString::to_string).collect();
        return Err(format!(
            "dead letters at offsets {lettered:?}, expected [{}]",
            failing.join("; ")
        ));
    }
    Ok(())
}

/// `smtbench apply` on `config` with an empty input: its exit code and stderr. Each call gets its
/// own scratch folder (tests run in parallel and reuse names).
fn apply_config(name: &str, config: &str) -> (Option<i32>, String) {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let scratch = std::env::temp_dir().join(format!(
        "weir-smtbench-class-{}-{call}-{name}",
        std::process::id()
    ));
    fs::create_dir_all(&scratch).expect("create a scratch folder");
    let properties = scratch.join("pipeline.properties");
    let input = scratch.join("input.jsonl");
    fs::write(&properties, config).expect("write the config");
    fs::write(&input, "").expect("write the input");
    let result = Command::new(env!("CARGO_BIN_EXE_smtbench"))
        .arg("apply")
        .arg("--config")
        .arg(&properties)
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(scratch.join("out.jsonl"))
        .output()
        .expect("run smtbench");
    let _ = fs::remove_dir_all(&scratch);
    (
        result.status.code(),
        String::from_utf8_lossy(&result.stderr).into_owned(),
    )
}

const KNOWN: &str = "is a known Kafka Connect class that weir does not support yet; see the README's list of supported classes";

/// A class that ships with Kafka, Confluent or Debezium but not with weir is named as such, for
/// converters, header converters, transforms and predicates alike.
#[test]
fn a_known_class_weir_lacks_is_reported_as_not_supported_yet() {
    let json = "org.apache.kafka.connect.json.JsonConverter";
    let configs = [
        ("apicurio", format!("key.converter={json}\nvalue.converter=io.apicurio.registry.utils.converter.AvroConverter\n")),
        ("protobuf", format!("key.converter=io.apicurio.registry.utils.converter.ProtobufConverter\nvalue.converter={json}\n")),
        ("header", format!("key.converter={json}\nvalue.converter={json}\nheader.converter=io.confluent.connect.json.JsonSchemaConverter\n")),
        ("transform", format!("key.converter={json}\nvalue.converter={json}\ntransforms=r\ntransforms.r.type=io.debezium.connector.postgresql.transforms.DecodeLogicalDecodingMessageContent\n")),
        ("third-party", format!("key.converter={json}\nvalue.converter={json}\ntransforms=c\ntransforms.c.type=com.github.jcustenborder.kafka.connect.transform.common.ChangeCase$Value\n")),
    ];
    for (name, config) in configs {
        let (code, stderr) = apply_config(name, &config);
        assert_eq!(code, Some(1), "{name}: {stderr}");
        assert!(stderr.contains(KNOWN), "{name}: {stderr}");
    }
}

/// A name no known plugin has keeps Kafka's "could not be found", whatever package it claims.
#[test]
fn an_unknown_class_could_not_be_found() {
    let json = "org.apache.kafka.connect.json.JsonConverter";
    let configs = [
        ("transform", "transforms.n.type", format!("key.converter={json}\nvalue.converter={json}\ntransforms=n\ntransforms.n.type=org.apache.kafka.connect.transforms.Nope\n")),
        ("predicate", "predicates.p.type", format!("key.converter={json}\nvalue.converter={json}\npredicates=p\npredicates.p.type=org.apache.kafka.connect.transforms.predicates.Nope\n")),
        ("converter", "value.converter", format!("key.converter={json}\nvalue.converter=com.example.Misspelt\n")),
    ];
    for (name, key, config) in configs {
        let (code, stderr) = apply_config(name, &config);
        assert_eq!(code, Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("for configuration {key}: Class ")),
            "{name}: {stderr}"
        );
        assert!(stderr.contains("could not be found."), "{name}: {stderr}");
        assert!(!stderr.contains(KNOWN), "{name}: {stderr}");
    }
}

/// Deliberate difference (README): a config file is read as UTF-8 (Java's
/// `Properties.load(InputStream)` reads ISO-8859-1), so raw UTF-8 and the `\uXXXX` escape spell
/// the same value.
#[test]
fn a_config_file_is_read_as_utf8_with_unicode_escapes_too() {
    let scratch = std::env::temp_dir().join(format!("weir-smtbench-utf8-{}", std::process::id()));
    fs::create_dir_all(&scratch).expect("create a scratch folder");
    let config = "key.converter=org.apache.kafka.connect.storage.StringConverter\n\
        value.converter=org.apache.kafka.connect.json.JsonConverter\n\
        value.converter.schemas.enable=false\n\
        transforms=escaped,raw\n\
        transforms.escaped.type=org.apache.kafka.connect.transforms.InsertField$Value\n\
        transforms.escaped.static.field=escaped\n\
        transforms.escaped.static.value=caf\\u00e9\n\
        transforms.raw.type=org.apache.kafka.connect.transforms.InsertField$Value\n\
        transforms.raw.static.field=raw\n\
        transforms.raw.static.value=café\n";
    let (properties, input, output) = (
        scratch.join("pipeline.properties"),
        scratch.join("input.jsonl"),
        scratch.join("out.jsonl"),
    );
    fs::write(&properties, config).expect("write the config");
    fs::write(
        &input,
        r#"{"topic":"t","partition":0,"offset":0,"timestamp":1,"key":"k","value":"{}","headers":[]}"#,
    )
    .expect("write the input");
    let result = Command::new(env!("CARGO_BIN_EXE_smtbench"))
        .args(["apply", "--config"])
        .arg(&properties)
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .output()
        .expect("run smtbench");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let text = fs::read_to_string(&output).expect("read the output");
    let records = read_batch(&text).expect("parse the output");
    let value = records
        .records()
        .next()
        .and_then(|r| r.value.map(<[u8]>::to_vec));
    let value: serde_json::Value =
        serde_json::from_slice(&value.expect("a value")).expect("JSON value");
    assert_eq!(value, serde_json::json!({"escaped": "café", "raw": "café"}));
    let _ = fs::remove_dir_all(&scratch);
}
