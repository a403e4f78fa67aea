//! Each transform alone, and the six-transform chain, on the generated schemaless data: the
//! vectorized kernels against the row-wise references over the same decoded batch. Only the
//! ratio between the two in one run means anything.
//!
//! `cargo bench -p weir-benches --bench transforms`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use weir_benches::generator::{generate, GeneratorConfig};
use weir_engine::pipeline::DecodedBatch;
use weir_engine::verify::reference_chain;
use weir_engine::{Pipeline, RawBatch, RawBatchBuilder};

const RECORDS: usize = 5_000;

const CONVERTERS: &str = "key.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=false
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=false
";

/// (name, the transform's lines with alias `t`).
const TRANSFORMS: &[(&str, &str)] = &[
    ("insert_field", "transforms.t.type=org.apache.kafka.connect.transforms.InsertField$Value\ntransforms.t.static.field=pipeline\ntransforms.t.static.value=weir\n"),
    ("replace_field", "transforms.t.type=org.apache.kafka.connect.transforms.ReplaceField$Value\ntransforms.t.renames=name:full_name\n"),
    ("mask_field", "transforms.t.type=org.apache.kafka.connect.transforms.MaskField$Value\ntransforms.t.fields=email\ntransforms.t.replacement=****\n"),
    ("cast", "transforms.t.type=org.apache.kafka.connect.transforms.Cast$Value\ntransforms.t.spec=quantity:int32,amount:float64\n"),
    ("timestamp_converter", "transforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\ntransforms.t.field=created_at\ntransforms.t.target.type=string\ntransforms.t.format=yyyy-MM-dd\n"),
    ("regex_router", "transforms.t.type=org.apache.kafka.connect.transforms.RegexRouter\ntransforms.t.regex=shop\\\\.(.*)\ntransforms.t.replacement=prod-$1\n"),
    ("flatten", "transforms.t.type=org.apache.kafka.connect.transforms.Flatten$Value\n"),
    ("hoist_field", "transforms.t.type=org.apache.kafka.connect.transforms.HoistField$Value\ntransforms.t.field=order\n"),
];

fn batch() -> RawBatch {
    let config = GeneratorConfig {
        records: RECORDS,
        ..GeneratorConfig::default()
    };
    let mut builder = RawBatchBuilder::new();
    for record in generate(&config) {
        record.push_to(&mut builder);
    }
    builder.finish()
}

fn bench_chain(c: &mut Criterion, name: &str, chain: &str, raw: &RawBatch) {
    let pipeline =
        Pipeline::from_properties(&format!("{CONVERTERS}{chain}")).expect("bench config is valid");
    let decoded: DecodedBatch = pipeline.decode(raw);
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.sample_size(10);
    group.bench_function("kernels", |b| {
        b.iter(|| {
            let mut d = decoded.clone();
            pipeline.plan().run(&mut d.batch, &mut d.failures);
            black_box(d)
        })
    });
    group.bench_function("references", |b| {
        b.iter(|| black_box(reference_chain(&pipeline, &decoded)))
    });
    group.finish();
}

fn transforms(c: &mut Criterion) {
    let raw = batch();
    for (name, lines) in TRANSFORMS {
        bench_chain(c, name, &format!("transforms=t\n{lines}"), &raw);
    }
    bench_chain(
        c,
        "chain6",
        include_str!("../../examples/chain6_schemaless.properties"),
        &raw,
    );
}

criterion_group!(benches, transforms);
criterion_main!(benches);
