//! The data-driven conformance test: runs every case folder (a folder with `pipeline.properties`)
//! under the conformance root and compares weir's answer with the one recorded from Kafka Connect,
//! as `shared/conformance/kafka-connect/README.md` describes.
//!
//! Cases are grouped by their first-level folder. No case may fail. A case whose config names a
//! transform or predicate weir does not implement yet is skipped, except in [`REQUIRED_GROUPS`],
//! where every case must pass.

mod support;

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use support::{
    conformance_root, corpus_dir, deliberate_offsets, parse_expected, record_difference, Expected,
};
use weir_engine::interchange::read_batch;
use weir_engine::{ConfigError, Output, Pipeline, RawBatch, RowError};

/// The corpora run, each a folder under the conformance root.
const CORPORA: &[&str] = &["kafka-connect", "debezium"];

/// Groups whose every case must pass (none may be skipped).
const REQUIRED_GROUPS: &[&str] = &["kafka-connect/converters", "debezium/mongodb_event_router"];

/// A case folder and the group it belongs to.
struct Case {
    group: String,
    name: String,
    dir: PathBuf,
}

/// How one case went.
enum Outcome {
    /// weir agreed; for a config-error case, with weir's message.
    Passed(Option<String>),
    /// weir disagreed: the first difference.
    Failed(String),
    /// The config uses something weir does not support yet.
    Skipped(String),
}

#[test]
fn conformance() {
    let root = conformance_root();
    let deliberate = deliberate_offsets();
    let mut cases = Vec::new();
    for corpus in CORPORA {
        let dir = corpus_dir(corpus);
        assert!(
            dir.is_dir(),
            "no {corpus} corpus at {}: the repository's copy is tests/conformance, \
             or set WEIR_CONFORMANCE_DIR to a folder of the same layout",
            dir.display()
        );
        let found = discover(corpus, &dir);
        assert!(
            !found.is_empty(),
            "no case folder (with pipeline.properties) under {}",
            dir.display()
        );
        cases.extend(found);
    }
    let results: Vec<(Case, Outcome)> = cases
        .into_iter()
        .map(|case| {
            let swapped = case
                .dir
                .file_name()
                .and_then(|name| deliberate.get(name.to_string_lossy().as_ref()));
            let outcome = run_case_catching_panics(&case.dir, swapped);
            (case, outcome)
        })
        .collect();
    print_report(&root, &results);
    let blocking: Vec<String> = results
        .iter()
        .filter_map(|(case, outcome)| match outcome {
            Outcome::Failed(why) => Some(format!("{} failed: {why}", case.name)),
            Outcome::Skipped(why) if REQUIRED_GROUPS.contains(&case.group.as_str()) => {
                Some(format!("{} skipped: {why}", case.name))
            }
            Outcome::Skipped(_) | Outcome::Passed(_) => None,
        })
        .collect();
    assert!(
        blocking.is_empty(),
        "no case may fail, and required groups {REQUIRED_GROUPS:?} may skip none:\n{}",
        blocking.join("\n")
    );
}

/// Every case folder of `corpus` under `root`, sorted by path, grouped as `corpus/first-folder`;
/// a case folder's subfolders are not searched.
fn discover(corpus: &str, root: &Path) -> Vec<Case> {
    let mut dirs = Vec::new();
    collect_case_dirs(root, &mut dirs);
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let relative = dir.strip_prefix(root).unwrap_or(&dir);
            let name = relative.display().to_string();
            let group = relative
                .components()
                .next()
                .map(|c| format!("{corpus}/{}", c.as_os_str().to_string_lossy()))
                .unwrap_or_else(|| name.clone());
            Case { group, name, dir }
        })
        .collect()
}

fn collect_case_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.join("pipeline.properties").is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if path.is_dir() && !hidden {
            collect_case_dirs(&path, out);
        }
    }
}

/// Runs one case folder; a panic (which no input may cause) fails the case, not the whole run.
fn run_case_catching_panics(dir: &Path, deliberate: Option<&HashSet<i64>>) -> Outcome {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_case(dir, deliberate)))
        .unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            Outcome::Failed(format!("panicked: {message}"))
        })
}

/// Runs one case folder; the `deliberate` offsets must fail where Kafka wrote a record.
fn run_case(dir: &Path, deliberate: Option<&HashSet<i64>>) -> Outcome {
    let properties = match read(dir, "pipeline.properties") {
        Ok(text) => text,
        Err(why) => return Outcome::Failed(why),
    };
    let built = Pipeline::from_properties(&properties);
    if dir.join("config_error.txt").exists() {
        return match read(dir, "config_error.txt") {
            Ok(kafka) => config_error_outcome(built, kafka.trim()),
            Err(why) => Outcome::Failed(why),
        };
    }
    match built {
        Ok(pipeline) => {
            match run_records(dir, &pipeline, tolerates_errors(&properties), deliberate) {
                Ok(()) => Outcome::Passed(None),
                Err(why) => Outcome::Failed(why),
            }
        }
        Err(error) if error.is_unsupported() => Outcome::Skipped(error.to_string()),
        Err(error) => Outcome::Failed(format!("config rejected: {error}")),
    }
}

/// A config-error case passes when construction fails. When weir rejects it only because it
/// does not know a class yet, the case is skipped — unless Kafka rejected the same key for naming
/// a class it could not find either.
fn config_error_outcome(built: Result<Pipeline, ConfigError>, kafka: &str) -> Outcome {
    match built {
        Ok(_) => Outcome::Failed(format!("expected `{kafka}`, but the pipeline was built")),
        Err(error) if error.is_unsupported() && !same_unknown_class(&error, kafka) => {
            Outcome::Skipped(error.to_string())
        }
        Err(error) => Outcome::Passed(Some(format!("weir: {error} | kafka: {kafka}"))),
    }
}

/// Whether Kafka's message says the class weir does not know could not be found, for the same
/// key.
fn same_unknown_class(error: &ConfigError, kafka: &str) -> bool {
    let names_key = error
        .key
        .as_deref()
        .is_some_and(|key| kafka.contains(&format!("configuration {key}:")));
    names_key && kafka.contains("could not be found")
}

/// Whether the config says `errors.tolerance=all` (Kafka's default is `none`).
fn tolerates_errors(properties: &str) -> bool {
    weir_engine::properties::parse_properties(properties)
        .ok()
        .and_then(|props| props.get("errors.tolerance").map(str::to_owned))
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("all"))
}

fn read(dir: &Path, file: &str) -> Result<String, String> {
    fs::read_to_string(dir.join(file)).map_err(|e| format!("cannot read {file}: {e}"))
}

/// Processes `input.jsonl` in one batch and compares the result with `expected.jsonl`.
fn run_records(
    dir: &Path,
    pipeline: &Pipeline,
    tolerate: bool,
    deliberate: Option<&HashSet<i64>>,
) -> Result<(), String> {
    let input = read_batch(&read(dir, "input.jsonl")?).map_err(|e| format!("input.jsonl {e}"))?;
    let mut expected = parse_expected(&read(dir, "expected.jsonl")?)?;
    for line in &mut expected {
        let offset = line.offset();
        if deliberate.is_some_and(|offsets| offsets.contains(&offset)) {
            *line = Expected::Error {
                offset,
                message: "deliberate difference (deliberate.txt)".to_string(),
            };
        }
    }
    let stop = expected
        .iter()
        .position(|line| matches!(line, Expected::Error { .. }));
    match (pipeline.process(&input), stop) {
        (Ok(output), _) if tolerate => compare_output(&input, &expected, &output),
        (Ok(output), None) => compare_output(&input, &expected, &output),
        (Ok(_), Some(at)) => Err(format!(
            "expected the run to stop at {} (errors.tolerance=none), but it completed",
            expected[at]
        )),
        (Err(error), _) if tolerate => {
            Err(format!("process failed with errors.tolerance=all: {error}"))
        }
        (Err(error), None) => Err(format!("unexpected failure: {error}")),
        (Err(error), Some(at)) => compare_stop(pipeline, &input, &expected[..=at], &error),
    }
}

/// With `errors.tolerance=none` the run must fail at the first expected error, and the records
/// before it must come out as expected (checked by processing just those).
fn compare_stop(
    pipeline: &Pipeline,
    input: &RawBatch,
    expected: &[Expected],
    error: &RowError,
) -> Result<(), String> {
    let (failing, before) = expected.split_last().ok_or("no expected lines")?;
    if failing.offset() != error.offset {
        return Err(format!(
            "expected the run to stop at {failing}, but it failed at offset {}: {error}",
            error.offset
        ));
    }
    if input.len() < before.len() {
        return Err("expected.jsonl has more lines than input.jsonl".to_string());
    }
    let prefix: RawBatch = (0..before.len()).map(|row| input.record(row)).collect();
    let output = pipeline
        .process(&prefix)
        .map_err(|e| format!("the records before offset {} failed: {e}", error.offset))?;
    compare_output(&prefix, before, &output)
}

/// Compares a completed run with the expected lines, walking the output records and the dead
/// letters in input order.
fn compare_output(input: &RawBatch, expected: &[Expected], output: &Output) -> Result<(), String> {
    if input.len() != expected.len() {
        return Err(format!(
            "{} input records but {} expected lines",
            input.len(),
            expected.len()
        ));
    }
    if output.errors.len() != output.dead_letters.len() {
        return Err(format!(
            "{} dead letters but {} errors",
            output.dead_letters.len(),
            output.errors.len()
        ));
    }
    let mut cursor = Cursor {
        output,
        record: 0,
        dead_letter: 0,
    };
    for (row, line) in expected.iter().enumerate() {
        cursor.check(input, row, line)?;
    }
    cursor.check_finished()?;
    let dropped = expected
        .iter()
        .filter(|line| matches!(line, Expected::Dropped { .. }))
        .count();
    if output.dropped != dropped {
        return Err(format!(
            "expected {dropped} dropped records, Output.dropped is {}",
            output.dropped
        ));
    }
    Ok(())
}

/// The next unmatched output record and dead letter.
struct Cursor<'a> {
    output: &'a Output,
    record: usize,
    dead_letter: usize,
}

impl Cursor<'_> {
    fn next_record_is(&self, offset: i64) -> bool {
        self.record < self.output.records.len() && self.output.records.offset(self.record) == offset
    }

    fn next_dead_letter_is(&self, offset: i64) -> bool {
        self.dead_letter < self.output.dead_letters.len()
            && self.output.dead_letters.offset(self.dead_letter) == offset
    }

    /// What happened to the record at `offset` instead of the expected outcome.
    fn instead(&self, offset: i64) -> String {
        if self.next_record_is(offset) {
            "it was output".to_string()
        } else if self.next_dead_letter_is(offset) {
            format!("it failed: {}", self.output.errors[self.dead_letter])
        } else {
            "it is in neither the output nor the dead letters (or out of order)".to_string()
        }
    }

    /// Matches expected line `line` (about input row `row`) and moves past what it matched.
    fn check(&mut self, input: &RawBatch, row: usize, line: &Expected) -> Result<(), String> {
        let offset = line.offset();
        match line {
            Expected::Record(record) => {
                if !self.next_record_is(offset) {
                    return Err(format!("{line} expected, but {}", self.instead(offset)));
                }
                let actual = self.output.records.record(self.record);
                if let Some(difference) = record_difference(&record.as_raw(), &actual) {
                    return Err(format!("offset {offset}: {difference}"));
                }
                self.record += 1;
            }
            Expected::Dropped { .. } => {
                if self.next_record_is(offset) || self.next_dead_letter_is(offset) {
                    return Err(format!("{line} expected, but {}", self.instead(offset)));
                }
            }
            Expected::Error { .. } => {
                if !self.next_dead_letter_is(offset) {
                    return Err(format!("{line} expected, but {}", self.instead(offset)));
                }
                self.check_dead_letter(input, row)?;
                self.dead_letter += 1;
            }
        }
        Ok(())
    }

    /// The next dead letter must carry input row `row`'s original key and value and Kafka's
    /// `__connect.errors.*` headers.
    fn check_dead_letter(&self, input: &RawBatch, row: usize) -> Result<(), String> {
        let letter = self.output.dead_letters.record(self.dead_letter);
        let offset = letter.offset;
        if letter.key != input.key(row) || letter.value != input.value(row) {
            return Err(format!(
                "offset {offset}: the dead letter does not keep the original key and value"
            ));
        }
        if !letter
            .headers
            .iter()
            .any(|(name, _)| name.starts_with("__connect.errors."))
        {
            return Err(format!(
                "offset {offset}: the dead letter has no __connect.errors.* headers"
            ));
        }
        Ok(())
    }

    /// Nothing may be left over.
    fn check_finished(&self) -> Result<(), String> {
        if self.record < self.output.records.len() {
            return Err(format!(
                "unexpected output record at offset {}",
                self.output.records.offset(self.record)
            ));
        }
        if self.dead_letter < self.output.dead_letters.len() {
            return Err(format!(
                "unexpected dead letter at offset {}: {}",
                self.output.dead_letters.offset(self.dead_letter),
                self.output.errors[self.dead_letter]
            ));
        }
        Ok(())
    }
}

/// Passed, failed and skipped counts of one group.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
}

/// Prints the table per group, then the failing and skipped cases and weir's config-error
/// messages next to Kafka's.
fn print_report(root: &Path, results: &[(Case, Outcome)]) {
    let mut groups: BTreeMap<&str, Tally> = BTreeMap::new();
    for (case, outcome) in results {
        let tally = groups.entry(&case.group).or_default();
        match outcome {
            Outcome::Passed(_) => tally.passed += 1,
            Outcome::Failed(_) => tally.failed += 1,
            Outcome::Skipped(_) => tally.skipped += 1,
        }
    }
    println!("\nconformance cases under {}", root.display());
    println!(
        "{:<44} {:>6} {:>6} {:>7}",
        "group", "passed", "failed", "skipped"
    );
    for (group, tally) in &groups {
        let required = if REQUIRED_GROUPS.contains(group) {
            "  (required)"
        } else {
            ""
        };
        println!(
            "{group:<44} {:>6} {:>6} {:>7}{required}",
            tally.passed, tally.failed, tally.skipped
        );
    }
    let total = |f: fn(&Tally) -> usize| groups.values().map(f).sum::<usize>();
    println!(
        "{:<44} {:>6} {:>6} {:>7}",
        "total",
        total(|t| t.passed),
        total(|t| t.failed),
        total(|t| t.skipped)
    );
    print_cases("failed", results, |outcome| match outcome {
        Outcome::Failed(why) => Some(why),
        _ => None,
    });
    print_cases(
        "skipped (not supported yet)",
        results,
        |outcome| match outcome {
            Outcome::Skipped(why) => Some(why),
            _ => None,
        },
    );
    print_cases(
        "config errors (weir's message and Kafka's)",
        results,
        |outcome| match outcome {
            Outcome::Passed(Some(messages)) => Some(messages),
            _ => None,
        },
    );
}

fn print_cases(title: &str, results: &[(Case, Outcome)], detail: fn(&Outcome) -> Option<&String>) {
    let lines: Vec<String> = results
        .iter()
        .filter_map(|(case, outcome)| detail(outcome).map(|why| format!("  {}: {why}", case.name)))
        .collect();
    if !lines.is_empty() {
        println!("\n{title}:\n{}", lines.join("\n"));
    }
}
