//! Confluent's `io.confluent.connect.avro.AvroConverter`: Avro binary framed with a Schema
//! Registry id ⇄ Connect data as Arrow columns.
//!
//! - [`schema`]: Avro schemas as Java's Avro library holds and prints them.
//! - [`data`]: AvroData's mapping between Avro and Connect schemas.
//! - [`cursor`]: bounds-checked reads of Avro binary.
//! - [`decoder`]: a decoder compiled once per writer schema, Avro binary → Arrow builders.
//! - [`encoder`]: an encoder compiled once per (Connect schema, Avro schema), Arrow → Avro binary.
//! - [`bound`]: an encoder bound to one column, its arrays downcast once.
//! - [`kept`]: payloads an equal converter would write back byte for byte, kept as their bytes.
//! - [`anything`]: AvroData's `Anything` record, schemaless values ⇄ Avro.
//! - [`compatibility`]: whether one Avro schema can read another's data.
//! - [`converter`]: the AvroConverter over a Schema Registry.

pub mod anything;
pub mod bound;
pub mod compatibility;
pub mod converter;
pub mod cursor;
pub mod data;
pub mod decoder;
pub mod encoder;
pub mod kept;
pub mod schema;

pub use converter::{AvroConverter, AvroConverterConfig, AVRO_CONVERTER_CLASS};
