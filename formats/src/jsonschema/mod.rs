//! Confluent's `io.confluent.connect.json.JsonSchemaConverter`: JSON framed with a Schema
//! Registry id (magic byte 0, 4-byte id, UTF-8 JSON) ⇄ Connect data as Arrow columns, through a
//! Schema Registry, mapping schemas as Confluent's `JsonSchemaData` (7.8.0) does.
//!
//! - [`config`]: the converter's and JsonSchemaData's settings.
//! - [`document`]: a JSON Schema loaded as everit-json-schema models it (`$ref`s resolved).
//! - [`to_connect`]: JSON Schema → Connect schema (`toConnectSchema`).
//! - [`non_numeric`]: Jackson's `NaN`/`Infinity` number tokens, which Confluent's reader accepts.
//! - [`read`]: a JSON payload → Connect value under that schema (`toConnectData`).
//! - [`tape_read`]: the same straight from the batch's simd-json tape into Arrow, where the tape
//!   tells the value exactly (the row-wise reader takes the rest).
//! - [`from_connect`]: Connect schema → JSON Schema (`fromConnectSchema`).
//! - [`write`]: Connect value → JSON payload (`fromConnectData`), printed as Jackson prints it.
//! - [`defaults`]: the defaults everit fills into absent properties while validating.
//! - [`validate`]: payload validation (`json.fail.invalid.schema`) with the `jsonschema` crate.
//! - [`tape_check`]: the same on the batch tape, for the keywords the tape answers exactly.
//! - [`compatibility`]: Confluent's JSON Schema diff, for `latest.compatibility.strict` and
//!   `id.compatibility.strict`.
//! - [`converter`]: the converter over a Schema Registry.

pub mod compatibility;
pub mod config;
pub mod converter;
pub mod defaults;
pub mod document;
pub mod from_connect;
pub mod non_numeric;
pub mod read;
pub mod tape_check;
pub mod tape_read;
pub mod to_connect;
pub mod validate;
pub mod write;

pub use config::{JsonSchemaConverterConfig, JsonSchemaDataConfig};
pub use converter::{JsonSchemaConverter, JSON_SCHEMA_CONVERTER_CLASS};

/// The schema name of a struct that holds a `oneOf`/`anyOf` (`JsonSchemaData.JSON_TYPE_ONE_OF`).
pub const ONE_OF_NAME: &str = "io.confluent.connect.json.OneOf";
/// The parameter naming a `connect_union_<n>` struct (`ConnectUnion.LOGICAL_PARAMETER`).
pub const UNION_PARAMETER: &str = "org.apache.kafka.connect.data.Union";
/// The enum parameter without generalized sum types (`JsonSchemaData.JSON_TYPE_ENUM`).
pub const ENUM_PARAMETER: &str = "io.confluent.connect.json.Enum";
/// The enum parameter with generalized sum types (`ConnectEnum.LOGICAL_PARAMETER`).
pub const GENERALIZED_ENUM_PARAMETER: &str = "org.apache.kafka.connect.data.Enum";
/// The parameter marking a schema reached again through `$ref` (`JsonSchemaData.JSON_ID_PROP`).
pub const ID_PARAMETER: &str = "io.confluent.connect.json.Id";
/// The parameters JsonSchemaData keeps to itself (not written as `connect.parameters`).
pub const NAMESPACE: &str = "io.confluent.connect.json";

use crate::schema::Schema;

/// Whether `schema` is a struct standing for a union (`JsonSchemaData.isUnionSchema`).
pub fn is_union(schema: &Schema) -> bool {
    schema.name.as_deref() == Some(ONE_OF_NAME) || schema.parameter(UNION_PARAMETER).is_some()
}
