//! What `smtbench run --baseline` and the criterion benches compare weir with: per record, the
//! plain way to read (and write back) the same bytes with a well-known crate.
//!
//! - [`serde_json`]: a `serde_json::Value` round trip (JSON records).
//! - [`apache_avro`]: `apache_avro::from_avro_datum` / `to_avro_datum` (AvroConverter frames).
//! - [`dynamic_message`]: a prost-reflect `DynamicMessage` decode / encode (ProtobufConverter
//!   frames).
//! - [`json_schema`]: serde_json with `jsonschema` validation (JsonSchemaConverter frames).

pub mod apache_avro;
pub mod dynamic_message;
pub mod json_schema;
pub mod serde_json;

use std::collections::HashMap;
use std::sync::Arc;

use weir_engine::RawBatch;
use weir_formats::registry::framing::{read_schema_id, SchemaId};
use weir_formats::registry::{mock, SchemaRegistry, SchemaString};

use crate::registry_formats::{RegistryFormat, BENCH_REGISTRY_URL};

/// One baseline's per-record work. `decode` reads the bytes into the crate's own value (what
/// weir's decode to Arrow is compared with); `round_trip` also writes that value back and
/// returns the bytes written. Both return 0 for a null or unreadable record, so a baseline never
/// stops a run; the caller checks the counts it needs.
pub trait RecordBaseline {
    /// Reads `bytes` into the crate's value and drops it; the number of bytes read.
    fn decode(&mut self, bytes: Option<&[u8]>) -> usize;
    /// Reads `bytes` and writes the value back; the number of bytes written.
    fn round_trip(&mut self, bytes: Option<&[u8]>) -> usize;
}

/// A crate's reader and writer for one kind of record; every `Codec` is a [`RecordBaseline`].
pub trait Codec {
    /// The crate's value for a record.
    type Value;
    /// The value of `bytes`, `None` when the crate cannot read them.
    fn read(&mut self, bytes: &[u8]) -> Option<Self::Value>;
    /// The length of `value` written back, `None` when the crate cannot write it.
    fn write(&mut self, value: Self::Value) -> Option<usize>;
}

impl<C: Codec> RecordBaseline for C {
    fn decode(&mut self, bytes: Option<&[u8]>) -> usize {
        bytes
            .filter(|b| self.read(b).is_some())
            .map_or(0, <[u8]>::len)
    }

    fn round_trip(&mut self, bytes: Option<&[u8]>) -> usize {
        bytes
            .and_then(|b| self.read(b))
            .and_then(|value| self.write(value))
            .unwrap_or(0)
    }
}

/// The baseline for records in `format`, and its name: apache_avro, prost-reflect's
/// `DynamicMessage`, or serde_json with jsonschema.
pub fn for_format(format: RegistryFormat) -> (&'static str, Box<dyn RecordBaseline>) {
    match format {
        RegistryFormat::Avro => ("apache_avro", Box::<apache_avro::ApacheAvro>::default()),
        RegistryFormat::Protobuf => (
            "prost-reflect DynamicMessage",
            Box::<dynamic_message::DynamicMessages>::default(),
        ),
        RegistryFormat::JsonSchema => (
            "serde_json + jsonschema",
            Box::<json_schema::JsonSchemaValidation>::default(),
        ),
    }
}

/// What a baseline did over a batch: bytes read or written, and how many keys or values it read
/// as nothing (null or unreadable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BaselineCounts {
    /// Bytes read (decode) or written (round trip).
    pub bytes: usize,
    /// Keys or values that were null or that the baseline could not read.
    pub empty: usize,
}

/// Runs `baseline` over the value (and, when `with_key`, the key) of every record of `batch`:
/// `decode` only, or the whole round trip when `round_trip`. Costs the baseline's work per record.
pub fn over_batch(
    baseline: &mut dyn RecordBaseline,
    batch: &RawBatch,
    with_key: bool,
    round_trip: bool,
) -> BaselineCounts {
    let mut counts = BaselineCounts::default();
    for row in 0..batch.len() {
        let key = with_key.then(|| batch.key(row));
        for bytes in std::iter::once(batch.value(row)).chain(key) {
            match if round_trip {
                baseline.round_trip(bytes)
            } else {
                baseline.decode(bytes)
            } {
                0 => counts.empty += 1,
                n => counts.bytes += n,
            }
        }
    }
    counts
}

/// What a registry-format baseline compiles from a schema (an Avro schema, a descriptor pool, a
/// validator), once per schema id of the bench registry (see [`crate::registry_formats`]).
pub struct PerSchemaId<T> {
    registry: Arc<dyn SchemaRegistry>,
    compiled: HashMap<i32, Option<T>>,
    compile: fn(&dyn SchemaRegistry, &SchemaString) -> Option<T>,
}

impl<T> PerSchemaId<T> {
    /// Compiles each schema with `compile` the first time a frame names its id.
    pub fn new(compile: fn(&dyn SchemaRegistry, &SchemaString) -> Option<T>) -> Self {
        let scope = BENCH_REGISTRY_URL
            .strip_prefix(mock::MOCK_PREFIX)
            .unwrap_or_default();
        PerSchemaId {
            registry: mock::scope(scope),
            compiled: HashMap::new(),
            compile,
        }
    }

    /// The compiled schema of a Confluent frame `00 id(4) body` and its body; `None` when the
    /// bytes are not such a frame, or the id is unknown or did not compile. Costs a hash look-up
    /// (a registry look-up and a compile the first time).
    pub fn frame<'a>(&mut self, bytes: &'a [u8]) -> Option<(&T, &'a [u8])> {
        let (SchemaId::Id(id), body) = read_schema_id(bytes).ok()? else {
            return None;
        };
        let (registry, compile) = (self.registry.as_ref(), self.compile);
        let compiled = self.compiled.entry(id).or_insert_with(|| {
            let text = registry.schema_by_id(id).ok()?;
            compile(registry, &text)
        });
        Some((compiled.as_ref()?, body))
    }
}
