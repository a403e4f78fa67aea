//! `io.confluent.connect.protobuf.ProtobufConverter`: Confluent-framed Protobuf (magic byte,
//! schema id, message-index array, payload) ⇄ Connect data as Arrow columns, through a Schema
//! Registry.
//!
//! Decoding resolves each distinct (schema id, message index) of a batch once (registry look-up,
//! protox compile, ProtobufData mapping, decoder compile — cached), then runs the compiled
//! decoders over the rows. Encoding derives the .proto of each Connect schema once, registers or
//! looks it up once per subject (cached), compiles an encoder once, then writes rows.

use std::sync::Arc;

use super::compatibility::latest_reads_derived;
use super::data::{ProtobufData, ProtobufDataConfig};
use super::decoder::{Batch, DecodeError, Decoder};
use super::encoder::Encoder;
use super::proto_text::derive_proto;
use super::schema_file::SchemaFile;
use crate::batch::Column;
use crate::converter::{Converter, ConverterContext, Decoded, Encoded, Side};
use crate::error::ConnectError;
use crate::registry::converter_cache::{ConverterCache, WriterCache};
use crate::registry::converter_rows::{
    encode_per_topic, encode_schemaless, finish_groups, group_of, DecoderGroup, ReaderLookup,
};
use crate::registry::framing::{read_frame, schema_id_header, write_schema_id};
use crate::registry::guid::registry_id;
use crate::registry::message_index::{
    read_message_indexes, split_message_indexes, write_message_indexes,
};
use crate::registry::serde_config::{bool_setting, SerdeConfig};
use crate::registry::{SchemaId, SchemaReference, SchemaRegistry, SchemaString, SchemaType};
use crate::schema::SchemaRef;

/// The class name configs use.
pub const PROTOBUF_CONVERTER_CLASS: &str = "io.confluent.connect.protobuf.ProtobufConverter";

/// The converter's settings (Confluent's `ProtobufConverterConfig` and serializer configs).
#[derive(Debug, Clone)]
pub struct ProtobufConverterConfig {
    /// The settings every registry converter shares.
    pub serde: SerdeConfig,
    /// ProtobufData's settings.
    pub data: ProtobufDataConfig,
}

impl ProtobufConverterConfig {
    /// Reads and validates the settings; a missing `schema.registry.url` or a bad value is
    /// Kafka's ConfigException text.
    pub fn from_settings(
        settings: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ProtobufConverterConfig, ConnectError> {
        let flag = |key: &str, default: bool| bool_setting(settings, key, default);
        let serde = SerdeConfig::from_settings(settings)?;
        if serde.use_schema_id.is_some() {
            // Refused rather than ignored: frames under another id than Confluent's would pass
            // unnoticed.
            return Err(ConnectError::config(
                "use.schema.id is not supported by weir's ProtobufConverter yet (see the README)",
            ));
        }
        Ok(ProtobufConverterConfig {
            serde,
            data: ProtobufDataConfig {
                int_for_enums: flag("int.for.enums", false)?,
                enhanced_schema_support: flag("enhanced.protobuf.schema.support", false)?,
                generalized_sum_type_support: flag("generalized.sum.type.support", false)?,
                generate_index_for_unions: flag("generate.index.for.unions", true)?,
                flatten_unions: flag("flatten.unions", false)?,
                generate_struct_for_nulls: flag("generate.struct.for.nulls", false)?,
                optional_for_proto2: flag("optional.for.proto2", true)?,
                optional_for_nullables: flag("optional.for.nullables", false)?,
                wrapper_for_nullables: flag("wrapper.for.nullables", false)?,
                wrapper_for_raw_primitives: flag("wrapper.for.raw.primitives", true)?,
                scrub_invalid_names: flag("scrub.invalid.names", false)?,
            },
        })
    }
}

/// A compiled schema file by id (or why it cannot be read).
type Parsed = Result<Arc<SchemaFile>, String>;
/// A decoder by (id, message indexes, topic) (or why the record cannot be read).
type Reader = Result<Arc<Decoder>, String>;
/// What encoding one Connect schema for one subject needs: the id, the message indexes to frame
/// with, and the encoder.
type Writer = Result<(i32, Vec<i32>, Arc<Encoder>), ConnectError>;
/// The key of a decoder: schema id, message indexes, topic.
type ReaderKey = (i32, Vec<i32>, String);

/// Confluent's ProtobufConverter.
#[derive(Debug)]
pub struct ProtobufConverter {
    config: ProtobufConverterConfig,
    data: ProtobufData,
    registry: Arc<dyn SchemaRegistry>,
    files: ConverterCache<i32, Parsed>,
    readers: ConverterCache<ReaderKey, Reader>,
    /// Encoders by (Connect schema, subject).
    writers: WriterCache<Writer>,
}

impl ProtobufConverter {
    /// The converter from its settings (the keys under `value.converter.` / `key.converter.`).
    pub fn from_settings(
        settings: impl Fn(&str) -> Option<String>,
    ) -> Result<ProtobufConverter, ConnectError> {
        let config = ProtobufConverterConfig::from_settings(&settings)?;
        let registry = crate::registry::connect(&config.serde.registry_url, &settings)
            .map_err(|e| ConnectError::config(e.to_string()))?;
        Ok(ProtobufConverter::new(config, registry))
    }

    /// The converter with `config` over `registry`.
    pub fn new(
        config: ProtobufConverterConfig,
        registry: Arc<dyn SchemaRegistry>,
    ) -> ProtobufConverter {
        ProtobufConverter {
            data: ProtobufData::new(config.data.clone()),
            files: ConverterCache::bounded(config.serde.cache_size),
            readers: ConverterCache::bounded(config.serde.cache_size),
            writers: WriterCache::bounded(config.serde.cache_size),
            config,
            registry,
        }
    }

    fn file(&self, id: i32) -> Parsed {
        self.files.get_or_make(id, || {
            let text = self.registry.schema_by_id(id).map_err(|e| {
                format!(
                    "Error retrieving Protobuf schema for id {id} <- {}",
                    e.java_text()
                )
            })?;
            SchemaFile::compile(self.registry.as_ref(), &text)
                .map(Arc::new)
                .map_err(|e| format!("Error deserializing Protobuf message for id {id} <- {e}"))
        })
    }

    /// The registry version of schema `id` under the subject the strategy names, else under any
    /// subject holding it (a schema registered by another client under another subject).
    fn version_of(&self, id: i32, subject: &str) -> Option<i32> {
        let text = self.registry.schema_by_id(id).ok()?;
        if let Ok(found) = self.registry.lookup(subject, &text) {
            return Some(found.version);
        }
        for s in self.registry.subjects().ok()? {
            for v in self.registry.versions(&s).ok()? {
                if let Ok(found) = self.registry.version(&s, v) {
                    if found.id == id {
                        return Some(found.version);
                    }
                }
            }
        }
        None
    }

    fn reader(&self, id: i32, indexes: &[i32], topic: &str, side: Side) -> Reader {
        let file = self.file(id)?;
        let message = file.message(indexes).ok_or_else(|| {
            format!(
                "Error deserializing Protobuf message for id {id} <- IllegalArgumentException: Invalid message indexes: {indexes:?}"
            )
        })?;
        let subject = self
            .config
            .serde
            .strategy(side)
            .subject(topic, side == Side::Key, Some(message.full_name()))
            .map_err(|e| e.to_string())?;
        let version = self.version_of(id, &subject);
        let schema = self
            .data
            .to_connect_schema(&message, version)
            .map_err(|e| e.message)?;
        Decoder::compile(&self.data, &message, schema)
            .map(Arc::new)
            .map_err(|e| e.message)
    }

    fn cached_reader(&self, id: i32, indexes: &[i32], topic: &str, side: Side) -> Reader {
        self.readers
            .get_or_make((id, indexes.to_vec(), topic.to_string()), || {
                self.reader(id, indexes, topic, side)
            })
    }

    fn writer(&self, schema: &SchemaRef, topic: &str, side: Side) -> Writer {
        let ser = |cause: String| {
            ConnectError::data(format!(
                "Failed to serialize Protobuf data from topic {topic} :{cause}"
            ))
        };
        let derived = derive_proto(&self.data, schema).map_err(|e| ser(e.message))?;
        let subject = self
            .config
            .serde
            .strategy(side)
            .subject(topic, side == Side::Key, Some(&derived.full_name))
            .map_err(|e| ser(e.to_string()))?;
        let mut schema_string = SchemaString::new(SchemaType::Protobuf, derived.text.clone());
        schema_string.references = derived
            .imports
            .iter()
            .filter(|i| !super::well_known::is_well_known(i))
            .map(|name| SchemaReference {
                name: name.clone(),
                subject: name.clone(),
                version: 1,
            })
            .collect();
        let rest = |what: &str, e: crate::registry::RegistryError| {
            ser(format!("{what}{} <- {}", derived.text, e.java_text()))
        };
        let compile_against =
            |text: &SchemaString| -> Result<(Vec<i32>, Arc<Encoder>), ConnectError> {
                let file = SchemaFile::compile(self.registry.as_ref(), text).map_err(ser)?;
                let message = file
                    .file
                    .parent_pool()
                    .get_message_by_name(&derived.full_name)
                    .or_else(|| file.message(&[0]))
                    .ok_or_else(|| ser(" the registered schema has no message".into()))?;
                let indexes = SchemaFile::indexes_of(&message);
                let encoder =
                    Encoder::compile(&self.data, schema, &message).map_err(|e| ser(e.message))?;
                Ok((indexes, Arc::new(encoder)))
            };
        if self.config.serde.use_latest_version {
            let latest = self.registry.latest(&subject).map_err(|e| {
                ser(format!(
                    "SerializationException: Error retrieving latest version: {} <- {}",
                    derived.text,
                    e.java_text()
                ))
            })?;
            let latest_file = SchemaFile::compile(self.registry.as_ref(), &latest.schema).ok();
            let compatible = || {
                let derived_file = SchemaFile::compile(self.registry.as_ref(), &schema_string);
                match (&latest_file, derived_file) {
                    (Some(latest), Ok(derived)) => {
                        latest_reads_derived(&latest.file, &derived.file)
                    }
                    _ => false,
                }
            };
            if self.config.serde.latest_compatibility_strict && !compatible() {
                return Err(ser(format!(
                    "SerializationException: Error serializing Protobuf message <- IOException: Incompatible schema '{}' with refs [] of type PROTOBUF",
                    latest.schema.schema
                )));
            }
            // Confluent writes the payload of the Connect-derived message under the latest id,
            // indexed as the top-level message of that name in the latest schema, else [0].
            let (_, encoder) = compile_against(&schema_string)?;
            let simple = derived
                .full_name
                .rsplit('.')
                .next()
                .unwrap_or(&derived.full_name);
            let indexes = latest_file
                .and_then(|f| f.file.messages().position(|m| m.name() == simple))
                .map_or(vec![0], |i| vec![i as i32]);
            return Ok((latest.id, indexes, encoder));
        }
        let id = if self.config.serde.auto_register {
            self.registry
                .register(&subject, &schema_string)
                .map_err(|e| {
                    rest(
                        "SerializationException: Error registering Protobuf schema: ",
                        e,
                    )
                })?
        } else {
            self.registry
                .lookup(&subject, &schema_string)
                .map_err(|e| {
                    rest(
                        "SerializationException: Error retrieving Protobuf schema: ",
                        e,
                    )
                })?
                .id
        };
        let (indexes, encoder) = compile_against(&schema_string)?;
        Ok((id, indexes, encoder))
    }

    fn cached_writer(&self, schema: &SchemaRef, topic: &str, side: Side) -> Writer {
        self.writers
            .get_or_make(schema, topic, || self.writer(schema, topic, side))
    }
}

/// Rows of one decode call that share a decoder.
type Group = DecoderGroup<Decoder>;
/// What picks a record's decoder within one decode call: schema id, topic id, the bytes of its
/// message-index array.
type FrameReader<'a> = (i32, u32, &'a [u8]);
/// A record's group within one decode call, or why it has none.
type GroupAt = Result<usize, String>;

impl Converter for ProtobufConverter {
    fn decode(&self, inputs: &[Option<&[u8]>], context: &ConverterContext<'_>) -> Decoded {
        let side = context.side();
        let header = schema_id_header(side == Side::Key);
        let mut batch = Batch::for_context(context);
        let mut errors = Vec::new();
        let mut null_rows = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        // Readers by (schema id, topic, message-index array bytes).
        let mut by_reader: ReaderLookup<FrameReader<'_>, GroupAt> = ReaderLookup::default();
        for (row, input) in inputs.iter().enumerate() {
            let Some(payload) = input else {
                null_rows.push(row as u32);
                continue;
            };
            let topic = context.topic(row);
            let fail = |cause: String| {
                ConnectError::data(format!(
                    "Failed to deserialize data for topic {topic} to Protobuf: {cause}"
                ))
            };
            let frame = match read_frame(payload, context.raw_header(row, header)) {
                Ok(frame) => frame,
                Err(e) => {
                    errors.push((
                        row as u32,
                        fail(format!(
                            "Error deserializing Protobuf message for id -1 <- {}",
                            e.java_text()
                        )),
                    ));
                    continue;
                }
            };
            let id = match registry_id(self.registry.as_ref(), frame.id) {
                Ok(id) => id,
                Err(e) => {
                    errors.push((
                        row as u32,
                        fail(format!(
                            "Error retrieving Protobuf schema for GUID {} <- {}",
                            frame.id,
                            e.java_text()
                        )),
                    ));
                    continue;
                }
            };
            let index_bytes = if frame.from_header {
                frame.header_rest
            } else {
                frame.body
            };
            let (index_array, rest) = match split_message_indexes(index_bytes) {
                Ok(read) => read,
                Err(e) => {
                    errors.push((
                        row as u32,
                        fail(format!(
                            "Error deserializing Protobuf message for id {id} <- {e}"
                        )),
                    ));
                    continue;
                }
            };
            let body = if frame.from_header { frame.body } else { rest };
            // Each (id, topic, message index) is resolved once per call: the hot loop does a
            // local look-up, no lock and no allocation.
            let key = (id, context.topic_id(row), index_array);
            let group = by_reader.get_or_insert_with(key, || {
                read_message_indexes(index_array)
                    .map_err(|e| e.to_string())
                    .and_then(|(indexes, _)| self.cached_reader(id, &indexes, topic, side))
                    .map(|decoder| {
                        group_of(
                            &mut groups,
                            decoder,
                            |decoder| &decoder.data_type,
                            inputs.len(),
                        )
                    })
            });
            let at = match group {
                Ok(at) => at,
                Err(cause) => {
                    errors.push((row as u32, fail(cause)));
                    continue;
                }
            };
            let group = &mut groups[at];
            match group.decoder.decode(body, &mut group.builder, &mut batch) {
                Ok(()) => group.rows.push(row as u32),
                Err(e) => {
                    let cause = match e {
                        DecodeError::Wire(w) => format!(
                            "Error deserializing Protobuf message for id {id} <- {}",
                            w.java_text()
                        ),
                        DecodeError::Data(d) => d,
                    };
                    errors.push((row as u32, fail(cause)));
                }
            }
        }
        let buffers = batch.finish();
        finish_groups(
            groups,
            |decoder| decoder.schema.clone(),
            &buffers,
            null_rows,
            errors,
        )
    }

    fn encode(&self, column: &Column, context: &ConverterContext<'_>, out: &mut Encoded) {
        let side = context.side();
        let Some(schema) = &column.schema else {
            encode_schemaless(column, context, out, |topic| {
                ConnectError::data(format!(
                        "Failed to serialize Protobuf data from topic {} :NullPointerException: a schemaless value has no Protobuf schema",
                        topic
                    ))
            });
            return;
        };
        encode_per_topic(
            column,
            context,
            out,
            |topic| self.cached_writer(schema, topic, side),
            |(id, indexes, encoder), row, buf| {
                write_schema_id(SchemaId::Id(*id), buf);
                write_message_indexes(indexes, buf);
                encoder.write(column.data.as_ref(), row, buf).map_err(|e| {
                    ConnectError::data(format!(
                        "Failed to serialize Protobuf data from topic {} :{}",
                        context.topic(row),
                        e.message
                    ))
                })
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::MemoryRegistry;
    use crate::value::Value;
    use crate::value_array::value_at;

    const SCHEMA: &str = "syntax = \"proto3\";\npackage p;\n\nmessage A {\n  string s = 1;\n}\nmessage B {\n  int32 x = 1;\n  repeated string tags = 2;\n}\n";

    fn converter(settings: &[(&str, &str)]) -> (ProtobufConverter, Arc<MemoryRegistry>, i32) {
        let registry = Arc::new(MemoryRegistry::new());
        let id = registry
            .register("t-value", &SchemaString::new(SchemaType::Protobuf, SCHEMA))
            .expect("register");
        let settings: Vec<(String, String)> = settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain([("schema.registry.url".into(), "mock://unused".into())])
            .collect();
        let config = ProtobufConverterConfig::from_settings(&|k: &str| {
            settings
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        })
        .expect("config");
        (
            ProtobufConverter::new(config, registry.clone()),
            registry,
            id,
        )
    }

    fn frame(id: i32, indexes: &[i32], body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_schema_id(SchemaId::Id(id), &mut out);
        write_message_indexes(indexes, &mut out);
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn message_indexes_pick_the_message_and_bad_rows_fail_alone() {
        let (c, _, id) = converter(&[]);
        let b = frame(id, &[1], &[0x08, 0x07, 0x12, 0x01, b'x']);
        let a = frame(id, &[0], &[0x0a, 0x02, b'h', b'i']);
        let bad_index = frame(id, &[5], &[]);
        let truncated = frame(id, &[0], &[0x0a, 0x05, b'h']);
        let inputs = [
            Some(&b[..]),
            Some(&a[..]),
            None,
            Some(&bad_index[..]),
            Some(&truncated[..]),
        ];
        let decoded = c.decode(&inputs, &ConverterContext::single_topic(Side::Value, "t"));
        assert_eq!(decoded.parts.len(), 3, "B, A and the null row");
        let failed: Vec<u32> = decoded.errors.iter().map(|(r, _)| *r).collect();
        assert_eq!(failed, vec![3, 4]);
        assert!(decoded.errors[0]
            .1
            .message
            .contains("Invalid message indexes"));
        assert!(decoded.errors[1]
            .1
            .message
            .contains("input ended unexpectedly"));
        let b_part = &decoded.parts[0];
        assert_eq!(b_part.rows, vec![0]);
        let value = value_at(
            b_part.column.schema.as_ref(),
            b_part.column.data.as_ref(),
            0,
        );
        let Value::Struct(s) = value else {
            panic!("a struct");
        };
        assert_eq!(s.get("x"), Some(&Value::Int32(7)));
        assert_eq!(s.schema.name.as_deref(), Some("B"));
        assert_eq!(s.schema.version, Some(1));
    }

    #[test]
    fn written_records_register_the_derived_schema_and_read_back() {
        let (c, registry, id) = converter(&[]);
        let b = frame(id, &[1], &[0x08, 0x07, 0x12, 0x01, b'x']);
        let context = ConverterContext::single_topic(Side::Value, "t");
        let decoded = c.decode(&[Some(&b[..])], &context);
        let mut out = Encoded::default();
        c.encode(&decoded.parts[0].column, &context, &mut out);
        assert!(out.errors().is_empty(), "{:?}", out.errors());
        let latest = registry.latest("t-value").expect("registered");
        assert_eq!(
            latest.schema.schema,
            "syntax = \"proto3\";\n\nmessage B {\n  int32 x = 1;\n  repeated string tags = 2;\n}\n"
        );
        let mut want = Vec::new();
        write_schema_id(SchemaId::Id(latest.id), &mut want);
        want.extend_from_slice(&[0, 0x08, 0x07, 0x12, 0x01, b'x']);
        assert_eq!(out.row(0), Some(&want[..]));
    }

    #[test]
    fn a_missing_registry_url_is_a_config_error() {
        let err = ProtobufConverterConfig::from_settings(&|_| None).unwrap_err();
        assert!(err.message.contains("schema.registry.url"), "{err:?}");
    }

    #[test]
    fn use_schema_id_is_refused_not_ignored() {
        let settings = |key: &str| match key {
            "schema.registry.url" => Some("mock://x".to_string()),
            "use.schema.id" => Some("3".to_string()),
            _ => None,
        };
        let err = ProtobufConverterConfig::from_settings(&settings).unwrap_err();
        assert!(
            err.message.contains("use.schema.id is not supported"),
            "{err:?}"
        );
    }
}
