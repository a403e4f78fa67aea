//! Schema Registry formats on the generated benchmark data (the schema-mode records re-encoded by
//! AvroConverter, ProtobufConverter and JsonSchemaConverter), against the crate a row-at-a-time
//! converter would use, over the same batch in the same run:
//! - `decode_<format>`: weir's decode to Arrow (`Pipeline::decode`, keys and values, for a
//!   pipeline writing JSON: a pass-through would keep Avro payloads as their bytes) against
//!   apache_avro `from_avro_datum` / prost-reflect `DynamicMessage::decode` / serde_json +
//!   jsonschema validation into the crate's value;
//! - `passthrough_<format>`: the whole pipeline (decode, encode, registry look-ups) against the
//!   crate's read + write back.
//!
//! Figures are only meaningful as ratios between the two in the same run.
//! `cargo bench -p weir-benches --bench registry_formats`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use weir_benches::baselines::{for_format, over_batch};
use weir_benches::generator::{generate, GeneratorConfig, Mode};
use weir_benches::registry_formats::{reencode, RegistryFormat, BENCH_REGISTRY_URL};
use weir_engine::{Pipeline, RawBatch, RawBatchBuilder};

const RECORDS: usize = 10_000;

/// The generated schema-mode records, re-encoded in `format`.
fn batch(format: RegistryFormat) -> RawBatch {
    let config = GeneratorConfig {
        mode: Mode::Schema,
        records: RECORDS,
        ..GeneratorConfig::default()
    };
    let mut builder = RawBatchBuilder::new();
    generate(&config).for_each(|record| record.push_to(&mut builder));
    let mut encoded = reencode(&[builder.finish()], format).expect("generated data re-encodes");
    encoded.pop().expect("one batch in, one out")
}

/// Key and value read by `format`'s converter and written as JSON, so that decoding builds the
/// Arrow columns (a side going from AvroConverter to AvroConverter untouched is kept as bytes).
fn decode_config(format: RegistryFormat) -> String {
    let json = "org.apache.kafka.connect.json.JsonConverter";
    format!(
        "{}output.key.converter={json}\noutput.value.converter={json}\n",
        passthrough_config(format)
    )
}

/// Key and value through `format`'s converter, in and out.
fn passthrough_config(format: RegistryFormat) -> String {
    let class = format.converter_class();
    format!(
        "key.converter={class}\nkey.converter.schema.registry.url={BENCH_REGISTRY_URL}\n\
         value.converter={class}\nvalue.converter.schema.registry.url={BENCH_REGISTRY_URL}\n"
    )
}

fn registry_formats(c: &mut Criterion) {
    for format in [
        RegistryFormat::Avro,
        RegistryFormat::Protobuf,
        RegistryFormat::JsonSchema,
    ] {
        let batch = batch(format);
        let pipeline =
            Pipeline::from_properties(&passthrough_config(format)).expect("the config is valid");
        let decoding =
            Pipeline::from_properties(&decode_config(format)).expect("the config is valid");
        let (baseline_name, mut baseline) = for_format(format);
        let baseline_name = baseline_name.replace([' ', '+'], "_");
        assert_eq!(
            over_batch(baseline.as_mut(), &batch, true, true).empty,
            0,
            "{format:?}: the baseline reads every key and value"
        );
        let name = format!("{format:?}").to_lowercase();
        for (stage, round_trip) in [("decode", false), ("passthrough", true)] {
            let mut group = c.benchmark_group(format!("{stage}_{name}"));
            group.throughput(Throughput::Elements(RECORDS as u64));
            group.sample_size(20);
            group.bench_function("weir", |b| {
                if round_trip {
                    b.iter(|| black_box(pipeline.process(&batch).map(|o| o.records.len())))
                } else {
                    b.iter(|| black_box(decoding.decode(&batch).batch.len()))
                }
            });
            group.bench_function(&baseline_name, |b| {
                b.iter(|| black_box(over_batch(baseline.as_mut(), &batch, true, round_trip)))
            });
            group.finish();
        }
    }
}

criterion_group!(benches, registry_formats);
criterion_main!(benches);
