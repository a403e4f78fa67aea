//! The Avro baseline: Confluent frames read with `apache_avro::from_avro_datum` into
//! `apache_avro::types::Value` and written back with `to_avro_datum` (the crate everyone reaches
//! for), with each writer schema parsed once per id.

use std::sync::Arc;

use apache_avro::{from_avro_datum, to_avro_datum, types::Value, Schema};

use super::{Codec, PerSchemaId};

/// apache_avro over the bench registry's schemas.
pub struct ApacheAvro {
    schemas: PerSchemaId<Arc<Schema>>,
}

impl Default for ApacheAvro {
    fn default() -> Self {
        ApacheAvro {
            schemas: PerSchemaId::new(|_, text| Schema::parse_str(&text.schema).ok().map(Arc::new)),
        }
    }
}

impl Codec for ApacheAvro {
    /// The value with its writer schema, to write it back with.
    type Value = (Arc<Schema>, Value);

    fn read(&mut self, bytes: &[u8]) -> Option<Self::Value> {
        let (schema, body) = self.schemas.frame(bytes)?;
        let value = from_avro_datum(schema, &mut &body[..], None).ok()?;
        Some((Arc::clone(schema), value))
    }

    fn write(&mut self, (schema, value): Self::Value) -> Option<usize> {
        to_avro_datum(&schema, value).ok().map(|out| out.len())
    }
}
