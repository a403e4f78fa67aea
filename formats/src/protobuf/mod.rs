//! Confluent's `io.confluent.connect.protobuf.ProtobufConverter`: Protobuf framed with a Schema
//! Registry id and a message-index array ⇄ Connect data as Arrow columns.
//!
//! - [`well_known`]: the imports a registry schema may use without registering them.
//! - [`schema_file`]: a registry schema (+ references) compiled by protox into descriptors.
//! - [`wire`]: bounds-checked wire reads with protobuf-java's error texts.
//! - [`data`]: ProtobufData's Connect schema for a message, per setting.
//! - [`java_calendar`]: `google.type.Date` / `TimeOfDay` as Java's Calendar converts them.
//! - [`decoder`]: a decoder compiled once per (schema id, message index).
//! - [`reference`]: the row-wise reference through a prost-reflect `DynamicMessage`.
//! - [`proto_text`]: the .proto ProtobufData derives from a Connect schema, as stored.
//! - [`encoder`]: Connect values → wire bytes in protobuf-java's canonical order.
//! - [`compatibility`]: whether a derived schema may be written under the latest one.
//! - [`converter`]: the ProtobufConverter over a Schema Registry.

pub mod compatibility;
pub mod converter;
pub mod data;
pub mod decoder;
pub mod encoder;
pub mod java_calendar;
pub mod proto_text;
pub mod reference;
pub mod schema_file;
pub mod well_known;
pub mod wire;

pub use converter::{ProtobufConverter, ProtobufConverterConfig, PROTOBUF_CONVERTER_CLASS};
