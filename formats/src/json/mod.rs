//! `org.apache.kafka.connect.json.JsonConverter`.
//!
//! - [`schema_json`]: Connect schema ⇄ the envelope's `"schema"` JSON.
//! - [`reference`]: the row-wise converter over `serde_json::Value`, the oracle for the columnar one.

pub mod reference;
pub mod schema_json;
