//! weir's record model over Arrow and its Kafka Connect converters.
//!
//! - [`schema`] and [`value`]: the Connect type system and the row-wise value tree (references, tests).
//! - [`error`]: Kafka's exception classes and messages, with the field path.
//! - [`json`]: the JsonConverter.
//! - [`header_values`]: Kafka's `Values` text parsing and printing behind SimpleHeaderConverter.
//! - [`registry`]: the Confluent Schema Registry layer (framing, clients, `mock://`, a server).
//! - [`jsonschema`]: Confluent's JsonSchemaConverter.
//! - [`java_number`], [`java_date`]: Java's number and date text, which Kafka's output carries.
//! - [`variant`]: schemaless fields whose records differ (absent keys, numbers of both kinds), kept columnar.
//! - [`payload_buffers`]: where Avro's and Protobuf's decoded views point (the input buffer, not a copy).
//! - [`java_hash_order`]: the order Java's HashMap iterates string keys in (Confluent's field and map order).

pub mod array_cell;
pub mod arrow_mapping;
pub mod avro;
pub mod batch;
pub mod column_builder;
pub mod converter;
pub mod converter_context;
pub mod converters;
pub mod decimal_column;
pub mod error;
pub mod fuzzing;
pub mod header_converter;
pub mod header_values;
pub mod java_date;
pub mod java_hash_order;
pub mod java_number;
pub mod json;
pub mod jsonschema;
pub mod payload_buffers;
pub mod protobuf;
pub mod raw;
pub mod registry;
pub mod schema;
pub mod utf8;
pub mod value;
pub mod value_array;
pub mod variant;
pub mod zigzag_int;
