//! The Protobuf baseline: Confluent frames (id, message indexes, body) read into a prost-reflect
//! `DynamicMessage` and encoded back, with each schema compiled once per id (by weir's own
//! protox-based compiler, which is not timed).

use prost::Message;
use prost_reflect::DynamicMessage;
use weir_formats::protobuf::schema_file::SchemaFile;
use weir_formats::registry::message_index::read_message_indexes;

use super::{Codec, PerSchemaId};

/// prost-reflect over the bench registry's schemas.
pub struct DynamicMessages {
    files: PerSchemaId<SchemaFile>,
}

impl Default for DynamicMessages {
    fn default() -> Self {
        DynamicMessages {
            files: PerSchemaId::new(|registry, text| SchemaFile::compile(registry, text).ok()),
        }
    }
}

impl Codec for DynamicMessages {
    type Value = DynamicMessage;

    fn read(&mut self, bytes: &[u8]) -> Option<DynamicMessage> {
        let (file, framed) = self.files.frame(bytes)?;
        let (indexes, body) = read_message_indexes(framed).ok()?;
        DynamicMessage::decode(file.message(&indexes)?, body).ok()
    }

    fn write(&mut self, message: DynamicMessage) -> Option<usize> {
        Some(message.encode_to_vec().len())
    }
}
