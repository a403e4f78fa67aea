//! `smtbench run` end to end on the example configs and their built-in data: every record comes
//! out (no dead letters), and each baseline reads every key and value of the data it is for.

use std::path::Path;
use std::process::Command;

/// Each example config with the baseline it is compared with.
const RUNS: &[(&str, &str)] = &[
    ("passthrough_schemaless", "serde"),
    ("passthrough_schema", "serde"),
    ("chain1_schemaless", "reference"),
    ("chain2_schema", "reference"),
    ("passthrough_avro", "apache-avro"),
    ("chain2_avro", "reference"),
    ("chain2_schema_to_avro", "reference"),
    ("chain2_avro_to_json", "reference"),
    ("passthrough_protobuf", "dynamic-message"),
    ("chain2_protobuf_to_avro", "reference"),
    ("passthrough_json_schema", "json-schema"),
    ("passthrough_json_schema_validated", "json-schema"),
    ("chain2_json_schema_to_json", "reference"),
];

fn smtbench_run(config: &str, baseline: &str) -> String {
    smtbench_run_with(config, &["--baseline", baseline])
}

/// `smtbench run` of example `config` on 300 generated records with `options`; its report.
fn smtbench_run_with(config: &str, options: &[&str]) -> String {
    let config = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(format!("{config}.properties"));
    let result = Command::new(env!("CARGO_BIN_EXE_smtbench"))
        .args(["run", "--records", "300", "--batch-size", "100"])
        .args(["--iterations", "1"])
        .args(options)
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run smtbench");
    let stdout = String::from_utf8_lossy(&result.stdout).into_owned();
    assert!(
        result.status.success(),
        "{}: {stdout}{}",
        config.display(),
        String::from_utf8_lossy(&result.stderr)
    );
    stdout
}

#[test]
fn every_example_runs_on_its_built_in_data() {
    for (config, baseline) in RUNS {
        let report = smtbench_run(config, baseline);
        assert_every_record_came_out(config, &report);
        assert!(
            !report.contains("could not read"),
            "{config}: the {baseline} baseline missed records: {report}"
        );
        assert!(report.contains("throughput:"), "{config}: {report}");
    }
}

/// Asserts that `report` (of a 300-record run) has every record out or dropped by a Filter, none
/// failed.
fn assert_every_record_came_out(config: &str, report: &str) {
    let output = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("output: "))
        .unwrap_or_else(|| panic!("{config}: no output line: {report}"));
    // records, dead letters, dropped.
    let counts: Vec<usize> = output
        .split(", ")
        .filter_map(|part| part.split(' ').next()?.parse().ok())
        .collect();
    assert!(
        counts.len() == 3 && counts[0] + counts[2] == 300 && counts[1] == 0,
        "{config}: {report}"
    );
}

/// The bytes of keys, values and headers per record of the report's weir run (its MB/s over
/// its records/s).
fn bytes_per_record(report: &str) -> f64 {
    let line = report
        .lines()
        .find(|line| line.starts_with("weir ("))
        .unwrap_or_else(|| panic!("no weir line in {report}"));
    let rate = |unit: &str| -> f64 {
        line.split(", ")
            .find_map(|part| part.strip_suffix(unit)?.parse().ok())
            .unwrap_or_else(|| panic!("no {unit} in {line}"))
    };
    rate(" MB/s") * 1e6 / rate(" records/s")
}

#[test]
fn small_records_run_in_every_format_at_their_jvm_figures_size() {
    // (config, bytes per record the JVM figures name: 37-byte Protobuf, 96-byte JSON Schema).
    for (config, bytes) in [
        ("passthrough_protobuf", 37.0),
        ("passthrough_json_schema", 96.0),
        ("passthrough_avro", 32.0),
        ("passthrough_schema", 450.0),
        ("passthrough_schemaless", 90.0),
    ] {
        let report = smtbench_run_with(config, &["--small"]);
        assert!(report.contains("(generated small, "), "{config}: {report}");
        assert_every_record_came_out(config, &report);
        let per_record = bytes_per_record(&report);
        assert!(
            (per_record - bytes).abs() < bytes * 0.15,
            "{config}: {per_record} bytes per record, not about {bytes}: {report}"
        );
    }
}

#[test]
fn small_records_have_no_cdc_shape() {
    let config =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/cdc_unwrap_route.properties");
    let result = Command::new(env!("CARGO_BIN_EXE_smtbench"))
        .args(["run", "--small", "--mode", "cdc", "--config"])
        .arg(&config)
        .output()
        .expect("run smtbench");
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("--small has no CDC shape"), "{stderr}");
}
