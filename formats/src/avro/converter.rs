//! `io.confluent.connect.avro.AvroConverter`: Confluent-framed Avro (magic byte, schema id,
//! binary payload) ⇄ Connect data as Arrow columns, through a Schema Registry.
//!
//! Decoding resolves each distinct schema id of a batch once (registry look-up, AvroData mapping,
//! decoder compile — all cached by id and subject), then runs the compiled decoders over the rows:
//! the hot loop never touches the registry. Encoding derives the Avro schema of each Connect
//! schema once, registers or looks it up once per subject (cached), compiles an encoder once,
//! then writes rows straight from Arrow.

use std::sync::Arc;

use arrow_array::builder::LargeBinaryBuilder;
use arrow_array::cast::AsArray;

use super::anything::{anything_schema, is_anything, read_anything, write_anything};
use super::compatibility::can_read;
use super::data::{AvroData, AvroDataConfig};
use super::decoder::{DecodeError, Decoder, Sink};
use super::encoder::Encoder;
use super::kept::KeptForm;
use super::schema::AvroSchema;
use crate::batch::Column;
use crate::converter::{Converter, ConverterContext, Decoded, DecodedPart, Encoded, Side};
use crate::error::ConnectError;
use crate::payload_buffers::PayloadBuffers;
use crate::registry::converter_cache::{ConverterCache, SharedValues, WriterCache};
use crate::registry::converter_rows::{
    encode_per_topic, finish_groups, group_of, schemaless_parts, DecoderGroup, ReaderLookup,
};
use crate::registry::framing::{read_frame, schema_id_header, write_schema_id};
use crate::registry::guid::registry_id;
use crate::registry::serde_config::{bool_setting, SerdeConfig};
use crate::registry::{SchemaId, SchemaRegistry, SchemaString, SchemaType};
use crate::schema::{Schema, SchemaRef};
use crate::value::Value;
use crate::value_array::value_at;

/// The class name configs use.
pub const AVRO_CONVERTER_CLASS: &str = "io.confluent.connect.avro.AvroConverter";

/// The converter's settings (Confluent's `AvroConverterConfig` and serializer configs).
#[derive(Debug, Clone)]
pub struct AvroConverterConfig {
    /// The settings every registry converter shares.
    pub serde: SerdeConfig,
    /// AvroData's settings.
    pub data: AvroDataConfig,
}

impl AvroConverterConfig {
    /// Reads and validates the settings; a missing `schema.registry.url` or a bad value is
    /// Kafka's ConfigException text.
    pub fn from_settings(
        settings: &dyn Fn(&str) -> Option<String>,
    ) -> Result<AvroConverterConfig, ConnectError> {
        Ok(AvroConverterConfig {
            serde: SerdeConfig::from_settings(settings)?,
            data: AvroDataConfig {
                enhanced_schema_support: bool_setting(
                    settings,
                    "enhanced.avro.schema.support",
                    false,
                )?,
                connect_meta_data: bool_setting(settings, "connect.meta.data", true)?,
                scrub_invalid_names: bool_setting(settings, "scrub.invalid.names", false)?,
                generalized_sum_type_support: bool_setting(
                    settings,
                    "generalized.sum.type.support",
                    false,
                )?,
                ignore_default_for_nullables: bool_setting(
                    settings,
                    "ignore.default.for.nullables",
                    false,
                )?,
                allow_optional_map_keys: bool_setting(settings, "allow.optional.map.keys", false)?,
                flatten_singleton_unions: bool_setting(settings, "flatten.singleton.unions", true)?,
            },
        })
    }
}

/// A writer schema ready to decode (or why it cannot be read).
type Reader = Result<Read, ConnectError>;

/// How one writer schema's payloads become Connect data.
#[derive(Debug, Clone)]
enum Read {
    /// Through its compiled decoder.
    Compiled(Arc<ReadPlan>),
    /// AvroData's Anything record: schemaless values, one value tree per record
    /// ([`super::anything`]).
    Anything,
}

/// Where a decode call puts the rows of one (schema id, topic).
#[derive(Debug, Clone, Copy)]
enum Route {
    /// Into the decoder group at this index.
    Group(usize),
    /// Among the schemaless values.
    Anything,
}

/// How one writer schema's payloads are read by a compiled decoder: the decoder and, where the
/// payloads can go back unchanged, their check.
#[derive(Debug)]
struct ReadPlan {
    decoder: Decoder,
    /// Which payloads an equal converter writes back byte for byte (see [`KeptForm`]); `None`
    /// when the writer schema is not the one this converter writes its values with.
    kept: Option<KeptForm>,
}

/// What encoding one Connect schema for one subject needs: the id to frame with and the encoder.
type Writer = Result<(i32, Arc<Encoder>), ConnectError>;

/// Confluent's AvroConverter.
#[derive(Debug)]
pub struct AvroConverter {
    config: AvroConverterConfig,
    data: AvroData,
    registry: Arc<dyn SchemaRegistry>,
    /// Decoders by (schema id, subject): the subject gives the version on the Connect schema.
    readers: ConverterCache<(i32, String), Reader>,
    /// The decoders of each schema id, shared by the subjects whose Connect schemas agree.
    plans: SharedValues<i32, ReadPlan>,
    /// Encoders by (Connect schema, subject).
    writers: WriterCache<Writer>,
    /// The id schemaless values are framed with (the Anything record's), by topic.
    anything_ids: ConverterCache<String, Result<i32, ConnectError>>,
}

impl AvroConverter {
    /// The converter from its settings (the keys under `value.converter.` / `key.converter.`).
    pub fn from_settings(
        settings: impl Fn(&str) -> Option<String>,
    ) -> Result<AvroConverter, ConnectError> {
        let config = AvroConverterConfig::from_settings(&settings)?;
        let registry = crate::registry::connect(&config.serde.registry_url, &settings)
            .map_err(|e| ConnectError::config(e.to_string()))?;
        Ok(AvroConverter::new(config, registry))
    }

    /// The converter with `config` over `registry`.
    pub fn new(config: AvroConverterConfig, registry: Arc<dyn SchemaRegistry>) -> AvroConverter {
        AvroConverter {
            data: AvroData::new(config.data.clone()),
            readers: ConverterCache::bounded(config.serde.cache_size),
            plans: SharedValues::bounded(config.serde.cache_size),
            writers: WriterCache::bounded(config.serde.cache_size),
            anything_ids: ConverterCache::bounded(config.serde.cache_size),
            config,
            registry,
        }
    }

    /// The Avro schema AvroData derives for `schema`, in the form registered (for tests and
    /// tools).
    pub fn derived_schema(&self, schema: &Schema) -> Result<AvroSchema, ConnectError> {
        self.data.from_connect_schema(schema)
    }

    fn reader(&self, id: i32, topic: &str, side: Side) -> Reader {
        let deser = |cause: String| deserialize_failure(topic, cause);
        let text = self.registry.schema_by_id(id).map_err(|e| {
            deser(format!(
                "Error retrieving Avro {} schema for id {id} <- {}",
                side.as_str(),
                e.java_text()
            ))
        })?;
        let avro = AvroSchema::parse(&text.schema).map_err(|e| {
            deser(format!(
                "Error deserializing Avro message for id {id} <- SchemaParseException: {e}"
            ))
        })?;
        let subject = self
            .config
            .serde
            .strategy(side)
            .subject(topic, side == Side::Key, avro.root_name().as_deref())
            .map_err(|e| deser(e.to_string()))?;
        let version = self
            .registry
            .lookup(&subject, &text)
            .map_err(|e| {
                deser(format!(
                    "Error retrieving Avro {} schema version for id {id} <- {}",
                    side.as_str(),
                    e.java_text()
                ))
            })?
            .version;
        if is_anything(&avro) {
            return Ok(Read::Anything);
        }
        let schema = self
            .data
            .to_connect_schema(&avro, Some(version))
            .map_err(|e| ConnectError {
                message: deserialize_failure(topic, e.message.clone()).message,
                ..e
            })?;
        let decoder = Decoder::compile(&self.data, &avro, schema)?;
        let kept = self.kept_form(&decoder);
        let plan = Arc::new(ReadPlan { decoder, kept });
        // One schema id read with equal Connect schemas is one plan, whatever the topic.
        let same = |a: &ReadPlan, b: &ReadPlan| a.decoder.schema == b.decoder.schema;
        Ok(Read::Compiled(self.plans.share(id, plan, same)))
    }

    /// The check of payloads this converter, writing the values `decoder` reads, would write back
    /// as they are: only when its writer schema is the one AvroData derives (not
    /// `use.latest.version` or `use.schema.id`). Cost: one derivation and one encoder compile per
    /// writer schema.
    fn kept_form(&self, decoder: &Decoder) -> Option<KeptForm> {
        let serde = &self.config.serde;
        if serde.use_latest_version || serde.use_schema_id.is_some() {
            return None;
        }
        let derived = self.data.from_connect_schema(&decoder.schema).ok()?;
        let use_defaults = !self.config.data.ignore_default_for_nullables;
        let encoder = Encoder::compile(&decoder.schema, &derived, use_defaults).ok()?;
        KeptForm::of(decoder, &encoder)
    }

    fn cached_reader(&self, id: i32, topic: &str, side: Side) -> Reader {
        self.readers
            .get_or_make((id, topic.to_string()), || self.reader(id, topic, side))
    }

    fn writer(&self, schema: &Schema, topic: &str, side: Side) -> Writer {
        let derived = self
            .data
            .from_connect_schema(schema)
            .map_err(|e| serialize_error(topic, e.message))?;
        let target = self.target(derived, topic, side)?;
        let use_defaults = !self.config.data.ignore_default_for_nullables;
        let encoder = Encoder::compile(schema, &target.schema, use_defaults)
            .map_err(|e| serialize_error(topic, format!("{}{}", target.context, e.message)))?;
        Ok((target.id, Arc::new(encoder)))
    }

    /// Where records of the `derived` Avro schema go for `topic`: registered or looked up under
    /// its subject, or the registry's schema under `use.schema.id` / `use.latest.version` (checked
    /// for compatibility where the settings ask). Cost: one or two registry calls.
    fn target(&self, derived: AvroSchema, topic: &str, side: Side) -> Result<Target, ConnectError> {
        let ser = |cause: String| serialize_error(topic, cause);
        let text = derived.to_json_string();
        let schema_string = SchemaString::new(SchemaType::Avro, text.clone());
        let subject = self
            .config
            .serde
            .strategy(side)
            .subject(topic, side == Side::Key, derived.root_name().as_deref())
            .map_err(|e| ser(e.to_string()))?;
        let rest = |what: &str, e: crate::registry::RegistryError| {
            ser(format!("{what}{text} <- {}", e.java_text()))
        };
        if self.config.serde.auto_register {
            let id = self
                .registry
                .register(&subject, &schema_string)
                .map_err(|e| rest("Error registering Avro schema", e))?;
            return Ok(Target::derived(id, derived));
        }
        if let Some(id) = self.config.serde.use_schema_id {
            let stored = self
                .registry
                .schema_by_id(id)
                .map_err(|e| rest("Error retrieving schema ID", e))?;
            let target = AvroSchema::parse(&stored.schema).map_err(|e| ser(e.to_string()))?;
            if self.config.serde.id_compatibility_strict && !can_read(&target, &derived) {
                return Err(ser(format!("Error retrieving schema ID <- IOException: Incompatible schema {text} with refs [] of type AVRO with schema id {id}")));
            }
            return Ok(Target {
                id,
                schema: target,
                context: "Error serializing Avro message <- ClassCastException: ",
            });
        }
        if self.config.serde.use_latest_version {
            let latest = self
                .registry
                .latest(&subject)
                .map_err(|e| rest("Error retrieving latest version of Avro schema", e))?;
            let target =
                AvroSchema::parse(&latest.schema.schema).map_err(|e| ser(e.to_string()))?;
            if self.config.serde.latest_compatibility_strict && !can_read(&target, &derived) {
                return Err(ConnectError::data(format!(
                    "I/O error while serializing Avro data for topic {topic}: Incompatible schema '{text}' with refs [] of type AVRO"
                )));
            }
            return Ok(Target {
                id: latest.id,
                schema: target,
                context: "Error serializing Avro message <- ",
            });
        }
        let found = self
            .registry
            .lookup(&subject, &schema_string)
            .map_err(|e| rest("Error retrieving Avro schema", e))?;
        Ok(Target::derived(found.id, derived))
    }

    /// The id schemaless values of `topic` are framed with: the Anything record's, as
    /// [`Self::target`] finds it; a registry schema other than the Anything record (under
    /// `use.schema.id` / `use.latest.version`) cannot hold them.
    fn anything_id(&self, topic: &str, side: Side) -> Result<i32, ConnectError> {
        let target = self.target(anything_schema().clone(), topic, side)?;
        if !is_anything(&target.schema) {
            return Err(serialize_error(
                topic,
                format!(
                    "{}the registry's schema {} with id {} is not AvroData's Anything record, which schemaless values are written as",
                    target.context,
                    target.schema.to_json_string(),
                    target.id
                ),
            ));
        }
        Ok(target.id)
    }

    fn cached_writer(&self, schema: &SchemaRef, topic: &str, side: Side) -> Writer {
        self.writers
            .get_or_make(schema, topic, || self.writer(schema, topic, side))
    }

    fn cached_anything_id(&self, topic: &str, side: Side) -> Result<i32, ConnectError> {
        self.anything_ids
            .get_or_make(topic.to_string(), || self.anything_id(topic, side))
    }
}

/// The schema records are written with, the id they are framed with, and what an error in
/// compiling for that schema is prefixed with.
struct Target {
    id: i32,
    schema: AvroSchema,
    context: &'static str,
}

impl Target {
    /// The schema AvroData derived, under `id`.
    fn derived(id: i32, schema: AvroSchema) -> Target {
        Target {
            id,
            schema,
            context: "",
        }
    }
}

/// A write failure of `topic`, as AvroConverter wraps a SerializationException.
fn serialize_error(topic: &str, cause: String) -> ConnectError {
    ConnectError::data(format!(
        "Failed to serialize Avro data from topic {topic} : {cause}"
    ))
}

/// A read failure of a payload of schema `id` in `topic`, as AvroConverter wraps it.
fn deserialize_error(topic: &str, id: i32, error: DecodeError) -> ConnectError {
    deserialize_failure(
        topic,
        match error {
            DecodeError::Read(r) => format!(
                "Error deserializing Avro message for id {id} <- {}",
                r.java_text()
            ),
            DecodeError::Data(d) => d.message,
        },
    )
}

/// A read failure of `topic` for `cause`, as AvroConverter wraps a SerializationException.
fn deserialize_failure(topic: &str, cause: String) -> ConnectError {
    ConnectError::data(format!(
        "Failed to deserialize data for topic {topic} to Avro: {cause}"
    ))
}

/// Rows of one decode call that share a decoder.
type Group = DecoderGroup<ReadPlan>;

/// Rows of one decode call kept as their payload bytes ([`KeptForm`]), by the group they belong
/// to.
#[derive(Default)]
struct KeptRows {
    rows: Vec<u32>,
    bodies: LargeBinaryBuilder,
}

impl Converter for AvroConverter {
    fn decode(&self, inputs: &[Option<&[u8]>], context: &ConverterContext<'_>) -> Decoded {
        let side = context.side();
        let header = schema_id_header(side == Side::Key);
        // Strings and bytes become views of the payloads, in the input buffer where they are.
        let mut buffers = PayloadBuffers::for_context(context);
        let mut errors = Vec::new();
        let mut null_rows = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut kept: Vec<KeptRows> = Vec::new();
        let mut schemaless: Vec<(u32, Value)> = Vec::new();
        let mut by_reader: ReaderLookup<(i32, u32), Result<Route, ConnectError>> =
            ReaderLookup::default();
        for (row, input) in inputs.iter().enumerate() {
            let Some(payload) = input else {
                null_rows.push(row as u32);
                continue;
            };
            // Only failures and a reader's first compile name the topic: not looked up per row.
            let topic = || context.topic(row);
            let frame = match read_frame(payload, context.raw_header(row, header)) {
                Ok(frame) => frame,
                Err(e) => {
                    errors.push((
                        row as u32,
                        deserialize_failure(topic(), e.java_text().to_string()),
                    ));
                    continue;
                }
            };
            let id = match registry_id(self.registry.as_ref(), frame.id) {
                Ok(id) => id,
                Err(e) => {
                    let cause = format!(
                        "Error retrieving Avro schema for GUID {} <- {}",
                        frame.id,
                        e.java_text()
                    );
                    errors.push((row as u32, deserialize_failure(topic(), cause)));
                    continue;
                }
            };
            let route = by_reader.get_or_insert_with((id, context.topic_id(row)), || {
                match self.cached_reader(id, topic(), side)? {
                    Read::Compiled(plan) => Ok(Route::Group(group_of(
                        &mut groups,
                        plan,
                        |plan| &plan.decoder.data_type,
                        inputs.len(),
                    ))),
                    Read::Anything => Ok(Route::Anything),
                }
            });
            let (at, group) = match route {
                Ok(Route::Group(g)) => (g, &mut groups[g]),
                Ok(Route::Anything) => {
                    match read_anything(frame.body) {
                        Ok(Value::Null) => null_rows.push(row as u32),
                        Ok(value) => schemaless.push((row as u32, value)),
                        Err(e) => errors.push((row as u32, deserialize_error(topic(), id, e))),
                    }
                    continue;
                }
                Err(e) => {
                    errors.push((row as u32, e));
                    continue;
                }
            };
            let form = group.decoder.kept.as_ref();
            if context.keeps_verbatim() && form.is_some_and(|form| form.admits(frame.body)) {
                if kept.len() <= at {
                    kept.resize_with(at + 1, KeptRows::default);
                }
                kept[at].rows.push(row as u32);
                kept[at].bodies.append_value(frame.body);
                continue;
            }
            let (buffer, base) = buffers.place(frame.body);
            let before = group.builder.len();
            let mut sink = Sink {
                buffer,
                base,
                scratch: &mut buffers.scratch,
            };
            match group
                .decoder
                .decoder
                .decode(frame.body, &mut group.builder, &mut sink)
            {
                Ok(()) => group.rows.push(row as u32),
                Err(e) => {
                    group.builder.truncate(before);
                    errors.push((row as u32, deserialize_error(topic(), id, e)));
                }
            }
        }
        let buffers = buffers.finish();
        let kept_parts: Vec<DecodedPart> = kept
            .into_iter()
            .zip(&groups)
            .filter(|(k, _)| !k.rows.is_empty())
            .map(|(mut k, group)| DecodedPart {
                column: Column {
                    schema: Some(group.decoder.decoder.schema.clone()),
                    data: Arc::new(k.bodies.finish()),
                },
                rows: k.rows,
            })
            .collect();
        let (schemaless_parts, unbuilt) = schemaless_parts(schemaless);
        errors.extend(unbuilt.into_iter().map(|(row, e)| {
            (
                row,
                deserialize_failure(context.topic(row as usize), e.message),
            )
        }));
        let mut decoded = finish_groups(
            groups,
            |plan| plan.decoder.schema.clone(),
            &buffers,
            null_rows,
            errors,
        );
        decoded.parts.extend(kept_parts);
        decoded.parts.extend(schemaless_parts);
        decoded
    }

    fn encode(&self, column: &Column, context: &ConverterContext<'_>, out: &mut Encoded) {
        let side = context.side();
        let Some(schema) = &column.schema else {
            // AvroData writes schemaless values as its Anything record, one value tree a row.
            encode_per_topic(
                column,
                context,
                out,
                |topic| self.cached_anything_id(topic, side),
                |id, row, buf| {
                    write_schema_id(SchemaId::Id(*id), buf);
                    write_anything(&value_at(None, column.data.as_ref(), row), buf)
                },
            );
            return;
        };
        // Payloads the decoder kept as their bytes (LargeBinary: no other decode gives it).
        let kept = column.data.as_binary_opt::<i64>();
        encode_per_topic(
            column,
            context,
            out,
            |topic| {
                let (id, encoder) = self.cached_writer(schema, topic, side)?;
                Ok((id, encoder.bind(column.data.as_ref())))
            },
            |(id, encoder), row, buf| {
                write_schema_id(SchemaId::Id(*id), buf);
                if let Some(bodies) = kept {
                    buf.extend_from_slice(bodies.value(row));
                    return Ok(());
                }
                encoder.write(row, buf).map_err(|e| {
                    let cause = format!("Error serializing Avro message <- {e}");
                    serialize_error(context.topic(row), cause)
                })
            },
        );
    }
}
