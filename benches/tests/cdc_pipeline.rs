//! The generated CDC data set through `examples/cdc_unwrap_route.properties`: every record passes
//! (`errors.tolerance=none`), tombstones are dropped, deletes are rewritten with
//! `__deleted=true`, every row lands on the logical topic with its table in the key, and the
//! kernels agree with the row-wise references.

use std::collections::HashMap;

use serde_json::Value;
use weir_benches::cdc::{generate_cdc, CdcConfig};
use weir_engine::verify::verify;
use weir_engine::{Pipeline, RawBatchBuilder};

const CONFIG: &str = include_str!("../../examples/cdc_unwrap_route.properties");
const LOGICAL_TOPIC: &str = "dbserver1.inventory.all_tables";

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("JSON")
}

#[test]
fn cdc_events_unwrap_and_route_with_the_expected_drops_and_rewrites() {
    let pipeline = Pipeline::from_properties(CONFIG).expect("the example config is valid");
    let generated: Vec<_> = generate_cdc(&CdcConfig {
        records: 200,
        seed: 11,
    })
    .collect();
    let mut builder = RawBatchBuilder::new();
    generated.iter().for_each(|r| r.push_to(&mut builder));
    let batch = builder.finish();
    let output = pipeline.process(&batch).expect("no record fails");

    // What the input holds, per op; the kept records in order with their table.
    let mut input_ops: HashMap<String, usize> = HashMap::new();
    let mut kept = Vec::new();
    for record in &generated {
        let Some(value) = &record.value else { continue };
        let payload = &json(value.as_bytes())["payload"];
        let op = payload["op"].as_str().expect("op").to_owned();
        *input_ops.entry(op.clone()).or_default() += 1;
        let table = payload["source"]["table"]
            .as_str()
            .expect("table")
            .to_owned();
        let id = json(record.key.as_bytes())["payload"]["id"].clone();
        kept.push((op, table, id));
    }
    let tombstones = generated.len() - kept.len();
    assert!(tombstones > 0 && input_ops.len() == 4, "{input_ops:?}");
    assert_eq!(input_ops["d"], tombstones);

    assert_eq!(output.dead_letters.len(), 0);
    assert!(output.errors.is_empty());
    assert_eq!(output.dropped, tombstones);
    assert_eq!(output.records.len(), kept.len());
    let mut output_ops: HashMap<String, usize> = HashMap::new();
    for (row, (op, table, id)) in kept.iter().enumerate() {
        assert_eq!(output.records.topic(row), LOGICAL_TOPIC);
        let key = json(output.records.key(row).expect("a key"));
        assert_eq!(key["schema"]["name"], format!("{LOGICAL_TOPIC}.Key"));
        assert_eq!(key["payload"]["id"], *id);
        assert_eq!(key["payload"]["__dbz__physicalTableIdentifier"], *table);
        let value = json(output.records.value(row).expect("no tombstone is kept"));
        let row_value = &value["payload"];
        assert_eq!(
            value["schema"]["name"],
            format!("dbserver1.inventory.{table}.Value")
        );
        assert_eq!(row_value["id"], *id);
        assert_eq!(row_value["__op"], op.as_str());
        assert_eq!(row_value["__table"], table.as_str());
        assert!(row_value["__source_ts_ms"].is_i64());
        let deleted = if op == "d" { "true" } else { "false" };
        assert_eq!(row_value["__deleted"], deleted, "row {row}");
        *output_ops.entry(op.clone()).or_default() += 1;
    }
    assert_eq!(output_ops, input_ops);
    assert!(verify(&pipeline, &batch).is_empty(), "kernels = references");
}
