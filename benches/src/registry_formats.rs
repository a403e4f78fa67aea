//! The built-in records in a Schema Registry format: the schema-mode generator's records
//! re-encoded by Confluent's converters (Avro, Protobuf, JSON Schema) through a `mock://` registry,
//! as Kafka Connect would have written them from the same Connect data.

use weir_engine::{Pipeline, RawBatch};

use crate::cli::CliError;

/// The `schema.registry.url` the re-encoded records' schemas are registered in. A benchmark
/// config reads them back by naming the same URL (`mock://` scopes are process-wide).
pub const BENCH_REGISTRY_URL: &str = "mock://smtbench";

/// A format of Confluent's Schema Registry converters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryFormat {
    /// `io.confluent.connect.avro.AvroConverter`.
    Avro,
    /// `io.confluent.connect.protobuf.ProtobufConverter`.
    Protobuf,
    /// `io.confluent.connect.json.JsonSchemaConverter`.
    JsonSchema,
}

impl RegistryFormat {
    /// The Kafka Connect class of the format's converter.
    pub fn converter_class(self) -> &'static str {
        match self {
            RegistryFormat::Avro => "io.confluent.connect.avro.AvroConverter",
            RegistryFormat::Protobuf => "io.confluent.connect.protobuf.ProtobufConverter",
            RegistryFormat::JsonSchema => "io.confluent.connect.json.JsonSchemaConverter",
        }
    }

    /// The config that reads schema-mode JSON envelopes (key and value) and writes them in this
    /// format, registering the schemas the converter derives under [`BENCH_REGISTRY_URL`].
    fn reencoding_config(self) -> String {
        let class = self.converter_class();
        let mut text = String::new();
        for side in ["key", "value"] {
            text += &format!(
                "{side}.converter=org.apache.kafka.connect.json.JsonConverter\n\
                 {side}.converter.schemas.enable=true\n\
                 output.{side}.converter={class}\n\
                 output.{side}.converter.schema.registry.url={BENCH_REGISTRY_URL}\n"
            );
        }
        text
    }
}

/// `batches` of schema-mode records (JsonConverter envelopes) with keys and values re-encoded in
/// `format`; topics, partitions, offsets, timestamps and headers kept. Registers each distinct
/// derived schema once. Costs a full pipeline pass over the batches; fails on the first record
/// the converter cannot write (the generated data has none).
pub fn reencode(batches: &[RawBatch], format: RegistryFormat) -> Result<Vec<RawBatch>, CliError> {
    let config_error = |message: String| CliError::Config {
        path: format!("(re-encoding the built-in records as {format:?})").into(),
        message,
    };
    let pipeline = Pipeline::from_properties(&format.reencoding_config())
        .map_err(|e| config_error(e.to_string()))?;
    batches
        .iter()
        .map(|batch| {
            let output = pipeline
                .process(batch)
                .map_err(|e| CliError::Record(Box::new(e)))?;
            match output.errors.first() {
                Some(error) => Err(CliError::Record(Box::new(error.clone()))),
                None => Ok(output.records),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{generate, GeneratorConfig, Mode};
    use weir_engine::RawBatchBuilder;

    fn schema_batch(records: usize) -> RawBatch {
        let config = GeneratorConfig {
            mode: Mode::Schema,
            records,
            ..GeneratorConfig::default()
        };
        let mut builder = RawBatchBuilder::new();
        generate(&config).for_each(|r| r.push_to(&mut builder));
        builder.finish()
    }

    /// Re-encoded records read back by the format's converter and written as envelopes again
    /// give the generator's own envelopes' data: nothing is lost on the way.
    #[test]
    fn every_format_reads_back_as_the_generated_records() {
        let original = schema_batch(50);
        for format in [
            RegistryFormat::Avro,
            RegistryFormat::Protobuf,
            RegistryFormat::JsonSchema,
        ] {
            let encoded = reencode(std::slice::from_ref(&original), format).unwrap();
            assert_eq!(encoded[0].len(), original.len(), "{format:?}");
            assert_eq!(
                encoded[0].value(0).map(|v| v[0]),
                Some(0),
                "{format:?}: magic byte"
            );
            let class = format.converter_class();
            let back = Pipeline::from_properties(&format!(
                "value.converter={class}\nvalue.converter.schema.registry.url={BENCH_REGISTRY_URL}\n\
                 key.converter={class}\nkey.converter.schema.registry.url={BENCH_REGISTRY_URL}\n\
                 output.value.converter=org.apache.kafka.connect.json.JsonConverter\n\
                 output.value.converter.schemas.enable=false\n\
                 output.key.converter=org.apache.kafka.connect.json.JsonConverter\n\
                 output.key.converter.schemas.enable=false\n"
            ))
            .unwrap()
            .process(&encoded[0])
            .unwrap();
            assert!(
                back.errors.is_empty(),
                "{format:?}: {:?}",
                back.errors.first()
            );
            for row in 0..original.len() {
                let envelope: serde_json::Value =
                    serde_json::from_slice(original.value(row).unwrap()).unwrap();
                let read: serde_json::Value =
                    serde_json::from_slice(back.records.value(row).unwrap()).unwrap();
                assert_eq!(read, envelope["payload"], "{format:?} row {row}");
                assert_eq!(back.records.topic(row), original.topic(row));
            }
        }
    }
}
