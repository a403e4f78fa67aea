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
    let config = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(format!("{config}.properties"));
    let result = Command::new(env!("CARGO_BIN_EXE_smtbench"))
        .args(["run", "--records", "300", "--batch-size", "100"])
        .args(["--iterations", "1", "--baseline", baseline, "--config"])
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
        let output = report
            .lines()
            .find_map(|line| line.trim().strip_prefix("output: "))
            .unwrap_or_else(|| panic!("{config}: no output line: {report}"));
        let counts: Vec<usize> = output
            .split(", ")
            .filter_map(|part| part.split(' ').next()?.parse().ok())
            .collect();
        // records, dead letters, dropped: every record out or dropped by a Filter, none failed.
        assert!(
            counts.len() == 3 && counts[0] + counts[2] == 300 && counts[1] == 0,
            "{config}: {report}"
        );
        assert!(
            !report.contains("could not read"),
            "{config}: the {baseline} baseline missed records: {report}"
        );
        assert!(report.contains("throughput:"), "{config}: {report}");
    }
}
