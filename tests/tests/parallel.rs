//! Batches processed in parallel (`Pipeline::process_partitions` on a multi-thread pool) give the
//! same records, dead letters and errors, batch for batch, as one thread processing them in turn.

use weir_engine::{Pipeline, RawBatch, RawBatchBuilder, RawRecord};

const CONFIG: &str = "\
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=false
errors.tolerance=all
transforms=mask,route
transforms.mask.type=org.apache.kafka.connect.transforms.MaskField$Value
transforms.mask.fields=secret
transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter
transforms.route.regex=orders-(.*)
transforms.route.replacement=out-$1
";

/// Partition `p` of a few mixed records: objects of two shapes, a bad one, a tombstone.
fn partition(p: i32) -> RawBatch {
    let mut batch = RawBatchBuilder::new();
    for offset in 0..500i64 {
        let value = match offset % 5 {
            0 => format!(r#"{{"id":{offset},"secret":"s{p}","n":{}.5}}"#, offset * 3),
            1 => format!(r#"{{"id":{offset},"tags":["a","b{p}"]}}"#),
            2 => "{not json".to_string(),
            3 => format!(r#"{{"id":{offset},"secret":{offset}}}"#),
            _ => String::new(),
        };
        let key = format!("k{offset}");
        batch.push_parts(
            &format!("orders-{}", p % 3),
            p,
            offset,
            Some(1_700_000_000_000 + offset),
            Some(key.as_bytes()),
            (offset % 5 != 4).then_some(value.as_bytes()),
            [("h", Some(&b"v"[..]))],
        );
    }
    batch.finish()
}

fn records(batch: &RawBatch) -> Vec<RawRecord<'_>> {
    batch.records().collect()
}

#[test]
fn threads_give_the_same_bytes_as_one_thread() {
    let pipeline = Pipeline::from_properties(CONFIG).expect("valid config");
    let batches: Vec<RawBatch> = (0..8).map(partition).collect();
    let sequential: Vec<_> = batches.iter().map(|b| pipeline.process(b)).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .expect("a thread pool");
    let parallel = pool.install(|| pipeline.process_partitions(&batches));
    assert_eq!(parallel.len(), sequential.len());
    for (p, (one, many)) in sequential.iter().zip(&parallel).enumerate() {
        let (one, many) = (
            one.as_ref().expect("tolerated"),
            many.as_ref().expect("tolerated"),
        );
        assert!(!one.records.is_empty() && !one.dead_letters.is_empty());
        assert_eq!(
            records(&one.records),
            records(&many.records),
            "partition {p}"
        );
        assert_eq!(
            records(&one.dead_letters),
            records(&many.dead_letters),
            "partition {p}"
        );
        assert_eq!(one.errors, many.errors, "partition {p}");
        assert_eq!(one.dropped, many.dropped, "partition {p}");
    }
}

#[test]
fn reused_outputs_give_the_same_bytes_as_fresh_ones() {
    let pipeline = Pipeline::from_properties(CONFIG).expect("valid config");
    let batches: Vec<RawBatch> = (0..4).map(partition).collect();
    let fresh = pipeline.process_partitions(&batches);
    let mut outputs = Vec::new();
    for _ in 0..2 {
        let results = pipeline.process_partitions_into(&batches, &mut outputs);
        assert!(results.iter().all(Result::is_ok));
        for (one, reused) in fresh.iter().zip(&outputs) {
            let one = one.as_ref().expect("tolerated");
            assert_eq!(records(&one.records), records(&reused.records));
            assert_eq!(records(&one.dead_letters), records(&reused.dead_letters));
            assert_eq!(one.errors, reused.errors);
            assert_eq!(one.dropped, reused.dropped);
        }
    }
}
