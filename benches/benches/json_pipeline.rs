//! JSON → Pipeline → JSON on the generated benchmark data, against a per-record
//! `serde_json::Value` round trip over the same batches, in both modes. Figures are only
//! meaningful as ratios between the two in the same run.
//!
//! `cargo bench -p weir-benches --bench json_pipeline`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use weir_benches::generator::{generate, GeneratorConfig, Mode};
use weir_engine::{Pipeline, RawBatch, RawBatchBuilder};

const RECORDS: usize = 10_000;

fn batch(mode: Mode) -> RawBatch {
    let config = GeneratorConfig {
        mode,
        records: RECORDS,
        ..GeneratorConfig::default()
    };
    let mut builder = RawBatchBuilder::new();
    for record in generate(&config) {
        record.push_to(&mut builder);
    }
    builder.finish()
}

/// The baseline: what a row-at-a-time converter does, with serde_json as the JSON library.
fn serde_round_trip(batch: &RawBatch) -> usize {
    let mut bytes = 0;
    for row in 0..batch.len() {
        for side in [batch.key(row), batch.value(row)].into_iter().flatten() {
            let value: serde_json::Value = serde_json::from_slice(side).unwrap_or_default();
            bytes += serde_json::to_vec(&value)
                .map(|v| v.len())
                .unwrap_or_default();
        }
    }
    bytes
}

fn passthrough(c: &mut Criterion) {
    for (mode, name, config) in [
        (
            Mode::Schemaless,
            "schemaless",
            include_str!("../../examples/passthrough_schemaless.properties"),
        ),
        (
            Mode::Schema,
            "schema",
            include_str!("../../examples/passthrough_schema.properties"),
        ),
    ] {
        let batch = batch(mode);
        let pipeline = Pipeline::from_properties(config).expect("example config is valid");
        let mut group = c.benchmark_group(format!("passthrough_{name}"));
        group.throughput(Throughput::Elements(RECORDS as u64));
        group.sample_size(20);
        group.bench_function("weir", |b| {
            b.iter(|| black_box(pipeline.process(&batch).map(|o| o.records.len())))
        });
        group.bench_function("serde_json_value", |b| {
            b.iter(|| black_box(serde_round_trip(&batch)))
        });
        group.finish();
    }
}

criterion_group!(benches, passthrough);
criterion_main!(benches);
