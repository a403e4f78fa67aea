//! Headers a chain removes before any step could read them are left out at decode
//! (`weir_engine::pre_dropped_headers`). The records that come out must be those of the same
//! chain with every header kept: checked on generated chains and records against the chain run
//! behind a step that may read any header (which turns the analysis off), and on the cases
//! where leaving a header out would be wrong.

use std::sync::Arc;

use proptest::prelude::*;
use weir_engine::registry::Registry;
use weir_engine::verify::verify;
use weir_engine::{Output, Pipeline, RawBatch, RawBatchBuilder, Stage};
use weir_formats::error::ConnectError;
use weir_smt::{ConnectRecord, SegmentInput, SegmentOutput, Transform};

/// Passes every record on as it is, and says (by the trait's default) that it may read any
/// header: put first in a chain, no header is left out at decode.
#[derive(Debug)]
struct Opaque;

impl Transform for Opaque {
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        SegmentOutput::all(input.rows.len(), input.key.clone(), input.value.clone())
    }

    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        Ok(Some(record))
    }
}

const CONVERTERS: &str = "key.converter=org.apache.kafka.connect.storage.StringConverter\n\
     value.converter=org.apache.kafka.connect.json.JsonConverter\n\
     value.converter.schemas.enable=false\n\
     header.converter=org.apache.kafka.connect.json.JsonConverter\n\
     header.converter.schemas.enable=false\n\
     header.converter.converter.type=header\n\
     predicates=hasA,hasB,tombstone\n\
     predicates.hasA.type=org.apache.kafka.connect.transforms.predicates.HasHeaderKey\n\
     predicates.hasA.name=a\n\
     predicates.hasB.type=org.apache.kafka.connect.transforms.predicates.HasHeaderKey\n\
     predicates.hasB.name=b\n\
     predicates.tombstone.type=org.apache.kafka.connect.transforms.predicates.RecordIsTombstone\n";

/// The pipeline of `steps` (each a `transforms.<alias>.` fragment without the alias, which is
/// `s<i>`), optionally behind the opaque step.
fn pipeline(steps: &[String], opaque_first: bool, extra: &str) -> Pipeline {
    let mut registry = Registry::builtin();
    registry.register_transform("test.Opaque", |_| Ok(Arc::new(Opaque)));
    let mut aliases: Vec<String> = (0..steps.len()).map(|i| format!("s{i}")).collect();
    let mut config = format!("{CONVERTERS}{extra}");
    if opaque_first {
        aliases.insert(0, "opaque".to_string());
        config.push_str("transforms.opaque.type=test.Opaque\n");
    }
    config.push_str(&format!("transforms={}\n", aliases.join(",")));
    for (i, step) in steps.iter().enumerate() {
        for line in step.split('\n') {
            config.push_str(&format!("transforms.s{i}.{line}\n"));
        }
    }
    Pipeline::from_properties_with(&config, &registry).expect("a valid config")
}

fn drop_headers(names: &str) -> String {
    format!("type=org.apache.kafka.connect.transforms.DropHeaders\nheaders={names}")
}

fn insert_header(name: &str) -> String {
    format!("type=org.apache.kafka.connect.transforms.InsertHeader\nheader={name}\nvalue.literal=7")
}

/// One record per entry: offset = index, value `{"f":"<offset>"}`, the given headers.
fn batch(records: &[Vec<(&str, Option<&str>)>]) -> RawBatch {
    let mut builder = RawBatchBuilder::new();
    for (offset, headers) in records.iter().enumerate() {
        let value = format!("{{\"f\":\"{offset}\"}}");
        builder.push_parts(
            "orders",
            0,
            offset as i64,
            Some(1000),
            Some(b"k".as_slice()),
            Some(value.as_bytes()),
            headers.iter().map(|(n, v)| (*n, v.map(str::as_bytes))),
        );
    }
    builder.finish()
}

/// Each output record's offset and header names.
fn header_names(out: &Output) -> Vec<(i64, Vec<String>)> {
    (0..out.records.len())
        .map(|row| {
            let names = out.records.headers(row).map(|(n, _)| n.to_string());
            (out.records.offset(row), names.collect())
        })
        .collect()
}

fn left_out(pipeline: &Pipeline) -> Vec<String> {
    let mut names: Vec<String> = pipeline
        .plan()
        .pre_dropped_headers()
        .map(|set| set.iter().map(str::to_string).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_drop_after_header_blind_steps_leaves_its_names_out() {
    let steps = [
        insert_header("a"),
        "type=org.apache.kafka.connect.transforms.HeaderFrom$Value\nfields=f\nheaders=b\noperation=copy"
            .to_string(),
        drop_headers("a,b"),
    ];
    let pipeline = pipeline(&steps, false, "");
    assert_eq!(left_out(&pipeline), ["a", "b"]);
    let input = batch(&[vec![("a", Some("1")), ("c", Some("2")), ("b", None)]]);
    let out = pipeline.process(&input).expect("no failure");
    // The inserted `a` and the copied `b` are removed by the drop, which still runs.
    assert_eq!(header_names(&out), [(0, vec!["c".to_string()])]);
}

#[test]
fn a_name_a_predicate_reads_first_is_kept_until_its_drop() {
    let steps = [
        format!("{}\npredicate=hasA", insert_header("seen")),
        drop_headers("a,b"),
    ];
    let pipeline = pipeline(&steps, false, "");
    assert_eq!(left_out(&pipeline), ["b"]);
    let input = batch(&[vec![("a", Some("1"))], vec![("b", Some("1"))]]);
    let out = pipeline.process(&input).expect("no failure");
    assert_eq!(
        header_names(&out),
        [(0, vec!["seen".to_string()]), (1, Vec::new())]
    );
}

#[test]
fn an_unreadable_header_left_out_still_fails_its_record() {
    let steps = [drop_headers("a")];
    let input = batch(&[
        vec![("a", Some("1"))],
        vec![("a", Some("{"))],
        vec![("b", Some("2"))],
    ]);
    let error = pipeline(&steps, false, "")
        .process(&input)
        .expect_err("the header converter fails on offset 1");
    assert_eq!((error.offset, error.stage), (1, Stage::HeaderConverter));

    let pipeline = pipeline(&steps, false, "errors.tolerance=all\n");
    assert_eq!(left_out(&pipeline), ["a"]);
    let out = pipeline.process(&input).expect("tolerated");
    assert_eq!(
        header_names(&out),
        [(0, Vec::new()), (2, vec!["b".to_string()])]
    );
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].stage, Stage::HeaderConverter);
    // The dead letter carries the record's own headers, the unreadable one first.
    let first = out.dead_letters.headers(0).next();
    assert_eq!(first, Some(("a", Some(b"{".as_slice()))));
}

/// One generated chain step.
fn arb_step() -> impl Strategy<Value = String> {
    let name = prop_oneof![Just("a"), Just("b"), Just("c")];
    let names = prop_oneof![
        Just("a"),
        Just("b"),
        Just("a,b"),
        Just("b,c"),
        Just("a,b,c")
    ];
    let predicate = prop_oneof![
        4 => Just(String::new()),
        1 => Just("\npredicate=hasA".to_string()),
        1 => Just("\npredicate=hasB\nnegate=true".to_string()),
        1 => Just("\npredicate=tombstone".to_string()),
    ];
    let transform = prop_oneof![
        3 => names.prop_map(drop_headers),
        1 => name.clone().prop_map(insert_header),
        1 => name.prop_map(|n| format!(
            "type=org.apache.kafka.connect.transforms.HeaderFrom$Value\nfields=f\nheaders={n}\noperation=copy"
        )),
        1 => Just("type=org.apache.kafka.connect.transforms.Filter".to_string()),
        1 => Just("type=org.apache.kafka.connect.transforms.RegexRouter\nregex=(.*)\nreplacement=$1-x".to_string()),
    ];
    (transform, predicate).prop_map(|(t, p)| format!("{t}{p}"))
}

/// One generated record's headers: names from a, b, c, d; values a number, text, JSON null,
/// no value, or bytes the header converter cannot read.
fn arb_headers() -> impl Strategy<Value = Vec<(&'static str, Option<&'static str>)>> {
    let name = prop_oneof![Just("a"), Just("b"), Just("c"), Just("d")];
    let value = prop_oneof![
        4 => Just(Some("1")),
        4 => Just(Some("\"text\"")),
        1 => Just(Some("null")),
        1 => Just(None),
        1 => Just(Some("{")),
    ];
    prop::collection::vec((name, value), 0..5)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The same records, dead letters and errors as the chain with every header kept, and the
    /// kernels agree with the row-wise references.
    #[test]
    fn leaving_headers_out_changes_no_output(
        steps in prop::collection::vec(arb_step(), 1..5),
        records in prop::collection::vec(arb_headers(), 1..12),
    ) {
        let input = batch(&records);
        let tolerant = "errors.tolerance=all\n";
        let (pruned, whole) = (pipeline(&steps, false, tolerant), pipeline(&steps, true, tolerant));
        prop_assert!(whole.plan().pre_dropped_headers().is_none());
        let (pruned_out, whole_out) = (pruned.process(&input).unwrap(), whole.process(&input).unwrap());
        let all = |batch: &RawBatch| batch.records().map(|r| format!("{r:?}")).collect::<Vec<_>>();
        prop_assert_eq!(all(&pruned_out.records), all(&whole_out.records));
        prop_assert_eq!(all(&pruned_out.dead_letters), all(&whole_out.dead_letters));
        prop_assert_eq!(pruned_out.dropped, whole_out.dropped);
        prop_assert_eq!(format!("{:?}", pruned_out.errors), format!("{:?}", whole_out.errors));
        prop_assert!(verify(&pruned, &input).is_empty());
    }
}
