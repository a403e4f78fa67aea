//! Wide records: decode + transform + encode of one record of 1,000, 16,000 and 100,000 fields,
//! schemaless and as a schema'd STRUCT envelope, alone and through each transform that takes a
//! field list. Throughput is in fields, so a flat line (elements/s equal across widths) means
//! linear cost; a quadratic step shows as a rate falling with width.
//!
//! `cargo bench -p weir-benches --bench wide_records`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use weir_benches::wide::{field_name, wide_value};
use weir_engine::{Pipeline, RawBatch, RawBatchBuilder};

const WIDTHS: &[usize] = &[1_000, 16_000, 100_000];

/// (name, the transform lines with alias `t`, given the record width): each lists half the
/// record's fields, so the list grows with the record.
fn transforms(width: usize) -> Vec<(&'static str, String)> {
    let half: Vec<String> = (0..width).step_by(2).map(field_name).collect();
    let list = half.join(",");
    let renames: Vec<String> = half.iter().map(|f| format!("{f}:r_{f}")).collect();
    let casts: Vec<String> = half.iter().map(|f| format!("{f}:string")).collect();
    let headers: Vec<String> = half.iter().map(|f| format!("h_{f}")).collect();
    let t = "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.";
    vec![
        ("decode_encode", format!("{t}InsertField$Value\ntransforms.t.static.field=x\ntransforms.t.static.value=y\n")),
        ("replace_field_exclude", format!("{t}ReplaceField$Value\ntransforms.t.exclude={list}\n")),
        ("replace_field_renames", format!("{t}ReplaceField$Value\ntransforms.t.renames={}\n", renames.join(","))),
        ("mask_field", format!("{t}MaskField$Value\ntransforms.t.fields={list}\n")),
        ("value_to_key", format!("{t}ValueToKey\ntransforms.t.fields={list}\n")),
        ("header_from", format!("{t}HeaderFrom$Value\ntransforms.t.fields={list}\ntransforms.t.headers={}\ntransforms.t.operation=copy\n", headers.join(","))),
        ("cast", format!("{t}Cast$Value\ntransforms.t.spec={}\n", casts.join(","))),
        ("flatten", format!("{t}Flatten$Value\n")),
    ]
}

fn converters(schema: bool) -> String {
    format!(
        "key.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.schemas.enable={schema}\n"
    )
}

fn batch(width: usize, schema: bool) -> RawBatch {
    let value = wide_value(width, schema);
    let mut builder = RawBatchBuilder::new();
    builder.push_parts("wide", 0, 0, Some(1), None, Some(value.as_bytes()), []);
    builder.finish()
}

fn wide_records(c: &mut Criterion) {
    for schema in [false, true] {
        let kind = if schema { "struct" } else { "schemaless" };
        for (name, _) in transforms(1) {
            let mut group = c.benchmark_group(format!("wide_{kind}_{name}"));
            group.sample_size(10);
            for &width in WIDTHS {
                let lines = transforms(width)
                    .into_iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, l)| l)
                    .unwrap_or_default();
                let pipeline = Pipeline::from_properties(&format!("{}{lines}", converters(schema)))
                    .expect("bench config is valid");
                let raw = batch(width, schema);
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
    let config = converters(true);
    for &width in WIDTHS {
        let raw = batch(width, true);
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
