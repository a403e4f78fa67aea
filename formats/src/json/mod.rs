//! `org.apache.kafka.connect.json.JsonConverter`.
//!
//! - [`converter`]: the columnar converter (simd-json tape → Arrow → JSON text).
//! - [`tape`]: a batch of documents parsed into one tape over one buffer.
//! - [`canonical`], [`canonical_envelope`]: values (schemaless) and envelopes the converter
//!   would write back byte for byte, which pass through as their bytes.
//! - [`schemaless`]: shape inference for `schemas.enable=false`.
//! - [`key_order`]: the key order objects of one schemaless part share.
//! - [`schema_decode`]: schema-driven payload decoding for envelopes.
//! - [`encode`]: Arrow columns to JSON text.
//! - [`write`]: Jackson's string escaping and number text.
//! - [`schema_json`]: Connect schema ⇄ the envelope's `"schema"` JSON.
//! - [`reference`]: the row-wise converter over `serde_json::Value`, the oracle for the columnar one.

pub mod canonical;
pub mod canonical_envelope;
pub mod converter;
pub mod encode;
pub mod key_order;
pub mod reference;
pub mod schema_decode;
pub mod schema_json;
pub mod schemaless;
pub mod tape;
pub mod write;

pub use converter::{JsonConverter, JSON_CONVERTER_CLASS};
