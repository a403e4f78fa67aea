//! The JSON Schema baseline: the JSON after a Confluent frame's id parsed into a
//! `serde_json::Value`, validated with the `jsonschema` crate against the id's schema (compiled
//! once per id), and serialized back.

use jsonschema::Validator;

use super::{Codec, PerSchemaId};

/// serde_json + jsonschema over the bench registry's schemas.
pub struct JsonSchemaValidation {
    validators: PerSchemaId<Validator>,
}

impl Default for JsonSchemaValidation {
    fn default() -> Self {
        JsonSchemaValidation {
            validators: PerSchemaId::new(|_, text| {
                let schema = serde_json::from_str(&text.schema).ok()?;
                jsonschema::validator_for(&schema).ok()
            }),
        }
    }
}

impl Codec for JsonSchemaValidation {
    type Value = serde_json::Value;

    /// The record's JSON, parsed and found valid.
    fn read(&mut self, bytes: &[u8]) -> Option<serde_json::Value> {
        let (validator, body) = self.validators.frame(bytes)?;
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        validator.is_valid(&value).then_some(value)
    }

    fn write(&mut self, value: serde_json::Value) -> Option<usize> {
        serde_json::to_vec(&value).ok().map(|out| out.len())
    }
}
