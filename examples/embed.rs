//! Embedding weir: build a pipeline from a connector config, process a batch, read the output.
//!
//! `cargo run -p weir-examples --example embed`

use weir_engine::{Pipeline, RawBatchBuilder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pipeline = Pipeline::from_properties(include_str!("json_envelopes_to_plain.properties"))?;
    let mut batch = RawBatchBuilder::new();
    let envelope = br#"{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}],"optional":false},"payload":{"id":42}}"#;
    batch.push_parts(
        "orders",
        0,
        7,
        Some(1_700_000_000_000),
        None,
        Some(envelope),
        [],
    );
    batch.push_parts("orders", 0, 8, None, None, Some(b"not json"), []);
    let output = pipeline.process(&batch.finish())?;
    for record in output.records.records() {
        println!(
            "{} @{}: {}",
            record.topic,
            record.offset,
            String::from_utf8_lossy(record.value.unwrap_or_default())
        );
    }
    for error in &output.errors {
        println!("dead letter: {error}");
    }
    Ok(())
}
