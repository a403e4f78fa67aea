//! Wide records: decode + transform + encode of one record of 1,000, 16,000 and 100,000 fields,
//! schemaless and as a schema'd STRUCT envelope, alone and through each transform that takes a
//! field list. Throughput is in fields, so a flat line (elements/s equal across widths) means
//! linear cost; a quadratic step shows as a rate falling with width.
//!
//! `cargo bench -p weir-benches --bench wide_records`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use weir_benches::wide::{field_list_transforms, wide_batch, wide_config};
use weir_engine::Pipeline;

const WIDTHS: &[usize] = &[1_000, 16_000, 100_000];

fn wide_records(c: &mut Criterion) {
    for schema in [false, true] {
        let kind = if schema { "struct" } else { "schemaless" };
        for (name, _) in field_list_transforms(1) {
            let mut group = c.benchmark_group(format!("wide_{kind}_{name}"));
            group.sample_size(10);
            for &width in WIDTHS {
                let lines = field_list_transforms(width)
                    .into_iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, l)| l)
                    .unwrap_or_default();
                let pipeline = Pipeline::from_properties(&wide_config(schema, &lines))
                    .expect("bench config is valid");
                let raw = wide_batch(width, schema);
                group.throughput(Throughput::Elements(width as u64));
                group.bench_with_input(BenchmarkId::from_parameter(width), &raw, |b, raw| {
                    b.iter(|| black_box(pipeline.process(raw)))
                });
            }
            group.finish();
        }
    }
    // A schema'd envelope's schema is parsed once per distinct text and cached: this group
    // parses it every time (a new pipeline per iteration), as the first record of a wide schema
    // costs.
    let mut group = c.benchmark_group("wide_struct_schema_parse");
    group.sample_size(10);
    let config = wide_config(true, "");
    for &width in WIDTHS {
        let raw = wide_batch(width, true);
        group.throughput(Throughput::Elements(width as u64));
        group.bench_with_input(BenchmarkId::from_parameter(width), &raw, |b, raw| {
            b.iter(|| {
                let pipeline = Pipeline::from_properties(&config).expect("bench config is valid");
                black_box(pipeline.process(raw))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, wide_records);
criterion_main!(benches);
