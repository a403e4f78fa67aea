//! The JSON baseline: parse into a `serde_json::Value` and serialize it again, with the
//! workspace's serde_json features (`preserve_order`, `arbitrary_precision`).

use super::Codec;

/// A `serde_json::Value` per record. Stateless.
#[derive(Debug, Default)]
pub struct SerdeJson;

impl Codec for SerdeJson {
    type Value = serde_json::Value;

    fn read(&mut self, bytes: &[u8]) -> Option<serde_json::Value> {
        serde_json::from_slice(bytes).ok()
    }

    fn write(&mut self, value: serde_json::Value) -> Option<usize> {
        serde_json::to_vec(&value).ok().map(|out| out.len())
    }
}
