//! JSON → Pipeline → JSON on the generated benchmark data, against a per-record
//! `serde_json::Value` round trip over the same batches, in both modes. Figures are only
//! meaningful as ratios between the two in the same run.
//!
//! `cargo bench -p weir-benches --bench json_pipeline`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use weir_benches::baselines::over_batch;
use weir_benches::baselines::serde_json::SerdeJson;
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
            b.iter(|| black_box(over_batch(&mut SerdeJson, &batch, true, true)))
        });
        group.finish();
    }
}

criterion_group!(benches, passthrough);
criterion_main!(benches);
