//! `smtbench apply` end to end on two conformance cases: the output file must hold the expected
//! records and the dead-letter file the records expected to fail.

// The conformance comparison the weir-tests crate uses; this file uses only part of it.
#[allow(dead_code)]
#[path = "../../tests/tests/support/mod.rs"]
mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

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
