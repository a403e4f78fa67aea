//! `io.confluent.connect.json.JsonSchemaConverter`: Confluent-framed JSON (magic byte 0, schema
//! id, UTF-8 JSON) ⇄ Connect data as Arrow columns, through a Schema Registry.
//!
//! Decoding resolves each distinct schema id of a batch once (registry look-ups of the schema,
//! its references and its version, the Connect mapping, the validator — cached by id and
//! subject), then reads the rows: each payload is parsed with Jackson's rules, validated when
//! `json.fail.invalid.schema=true`, mapped to Connect values and built into one Arrow column per
//! schema. Encoding derives the JSON Schema of each Connect schema once, registers or looks it up
//! once per subject (cached), then writes each row from Arrow as Jackson prints it.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value as Json;

use super::config::JsonSchemaConverterConfig;
use super::defaults::fill_defaults;
use super::document::Document;
use super::from_connect::{from_connect_schema, normalized};
use super::non_numeric::replace_non_numeric;
use super::read::{to_connect, Input};
use super::to_connect::to_connect_schema;
use super::validate::PayloadValidator;
use super::write::{from_connect_data, write_pretty};
use crate::arrow_mapping::{arrow_type, with_nullable_fields};
use crate::batch::Column;
use crate::converter::{Converter, ConverterContext, Decoded, DecodedPart, Encoded, Side};
use crate::error::ConnectError;
use crate::json::reference::read_tree;
use crate::registry::converter_cache::{ConverterCache, WriterCache};
use crate::registry::converter_rows::{encode_schemaless, finish_decoded};
use crate::registry::framing::{read_frame, schema_id_header, write_schema_id};
use crate::registry::{SchemaId, SchemaReference, SchemaRegistry, SchemaString, SchemaType};
use crate::schema::{Schema, SchemaRef};
use crate::value::Value;
use crate::value_array::{value_at, values_to_array_as};

/// The class name configs use.
pub const JSON_SCHEMA_CONVERTER_CLASS: &str = "io.confluent.connect.json.JsonSchemaConverter";

const DESERIALIZE_ERROR: &str =
    "Converting byte[] to Kafka Connect data failed due to serialization error of topic ";
const SERIALIZE_ERROR: &str =
    "Converting Kafka Connect data to byte[] failed due to serialization error of topic ";

fn deserialize_error(topic: &str, cause: &str) -> ConnectError {
    ConnectError::data(format!("{DESERIALIZE_ERROR}{topic}: {cause}"))
}

fn serialize_error(topic: &str, cause: &str) -> ConnectError {
    ConnectError::data(format!("{SERIALIZE_ERROR}{topic}: {cause}"))
}

/// A schema id ready to read: its Connect schema, the Arrow types its rows are built into, its
/// canonical text and its validator.
#[derive(Debug)]
struct Reader {
    schema: SchemaRef,
    /// The loaded schema (for the defaults validation fills in).
    doc: Document,
    /// The schema's own Arrow type, which the transforms' kernels build their outputs from.
    data_type: arrow_schema::DataType,
    /// The same with struct fields nullable, for the rare rows where an absent required property
    /// is null (as in Confluent's Struct, which validates only when written).
    relaxed_type: arrow_schema::DataType,
    text: String,
    validator: Option<PayloadValidator>,
}

/// What writing one Connect schema for one subject needs: the id to frame with and the
/// validator (when validating).
#[derive(Debug)]
struct Writer {
    id: i32,
    validator: Option<PayloadValidator>,
}

type Cached<T> = Result<Arc<T>, ConnectError>;

/// Confluent's JsonSchemaConverter.
#[derive(Debug)]
pub struct JsonSchemaConverter {
    config: JsonSchemaConverterConfig,
    registry: Arc<dyn SchemaRegistry>,
    readers: ConverterCache<(i32, String), Cached<Reader>>,
    writers: WriterCache<Cached<Writer>>,
}

/// The referenced documents of `schema`, recursively, by the name its `$ref`s use.
fn load_references(
    registry: &dyn SchemaRegistry,
    references: &[SchemaReference],
    out: &mut Vec<(String, Json)>,
) -> Result<(), String> {
    for reference in references {
        if out.iter().any(|(name, _)| *name == reference.name) {
            continue;
        }
        let found = registry
            .version(&reference.subject, reference.version)
            .map_err(|e| e.java_text())?;
        let json: Json = serde_json::from_str(&found.schema.schema)
            .map_err(|e| format!("Invalid schema {}: {e}", found.schema.schema))?;
        out.push((reference.name.clone(), json));
        load_references(registry, &found.schema.references, out)?;
    }
    Ok(())
}

/// Whether `latest` can stand for `derived` under `latest.compatibility.strict`: the same
/// schema once `$schema` and the `connect.*` annotations are set aside (weir's approximation of
/// Confluent's JSON Schema compatibility check, which rejects almost every schema not written by
/// JsonSchemaData).
fn same_schema(latest: &Json, derived: &Json) -> bool {
    fn strip(json: &Json) -> Json {
        match json {
            Json::Object(map) => Json::Object(
                map.iter()
                    .filter(|(k, _)| *k != "$schema" && !k.starts_with("connect."))
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Json::Array(items) => Json::Array(items.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    normalized(&strip(latest)) == normalized(&strip(derived))
}

impl JsonSchemaConverter {
    /// The converter from its settings (the keys under `value.converter.` / `key.converter.`).
    pub fn from_settings(
        settings: impl Fn(&str) -> Option<String>,
    ) -> Result<JsonSchemaConverter, ConnectError> {
        let config = JsonSchemaConverterConfig::from_settings(&settings)?;
        let registry = crate::registry::connect(&config.serde.registry_url, &settings)
            .map_err(|e| ConnectError::config(e.to_string()))?;
        Ok(JsonSchemaConverter::new(config, registry))
    }

    /// The converter with `config` over `registry`.
    pub fn new(
        config: JsonSchemaConverterConfig,
        registry: Arc<dyn SchemaRegistry>,
    ) -> JsonSchemaConverter {
        JsonSchemaConverter {
            config,
            registry,
            readers: ConverterCache::unbounded(),
            writers: WriterCache::unbounded(),
        }
    }

    fn reader(&self, id: i32, topic: &str, side: Side) -> Result<Reader, ConnectError> {
        let fail = |cause: String| deserialize_error(topic, &cause);
        let stored = self.registry.schema_by_id(id).map_err(|e| {
            fail(format!(
                "Error retrieving JSON schema for id {id} <- {}",
                e.java_text()
            ))
        })?;
        let root: Json = serde_json::from_str(&stored.schema)
            .map_err(|e| fail(format!("Invalid schema {}: {e}", stored.schema)))?;
        let mut references = Vec::new();
        load_references(self.registry.as_ref(), &stored.references, &mut references)
            .map_err(|e| fail(format!("Error retrieving JSON schema references <- {e}")))?;
        let doc = Document::load(&root, &references)
            .map_err(|e| fail(format!("Invalid JSON schema for id {id}: {e}")))?;
        let title = root.get("title").and_then(Json::as_str);
        let version = self
            .config
            .serde
            .strategy(side)
            .subject(topic, side == Side::Key, title)
            .ok()
            .and_then(|subject| self.registry.lookup(&subject, &stored).ok())
            .map(|found| found.version);
        let schema = to_connect_schema(&doc, &self.config.data, version)?;
        let validator = if self.config.fail_invalid_schema {
            Some(
                PayloadValidator::compile(&root, &references)
                    .map_err(|e| fail(format!("Invalid JSON schema for id {id}: {e}")))?,
            )
        } else {
            None
        };
        let data_type = arrow_type(&schema);
        Ok(Reader {
            doc,
            relaxed_type: with_nullable_fields(&data_type),
            data_type,
            schema,
            text: stored.schema.clone(),
            validator,
        })
    }

    fn cached_reader(&self, id: i32, topic: &str, side: Side) -> Cached<Reader> {
        self.readers.get_or_make((id, topic.to_string()), || {
            self.reader(id, topic, side).map(Arc::new)
        })
    }

    fn writer(&self, schema: &Schema, topic: &str, side: Side) -> Result<Writer, ConnectError> {
        let fail = |cause: String| serialize_error(topic, &cause);
        let mut derived =
            from_connect_schema(schema, &self.config.data).map_err(|e| fail(e.message))?;
        if self.config.normalize_schemas {
            derived = normalized(&derived);
        }
        let text = serde_json::to_string(&derived).map_err(|e| fail(e.to_string()))?;
        let schema_string = SchemaString::new(SchemaType::Json, text.clone());
        let subject = self
            .config
            .serde
            .strategy(side)
            .subject(topic, side == Side::Key, schema.name.as_deref())
            .map_err(|e| fail(e.to_string()))?;
        let rest = |what: &str, e: crate::registry::RegistryError| {
            fail(format!("{what} <- {}", e.java_text()))
        };
        let validator_for = |json: &Json, references: &[SchemaReference]| {
            if !self.config.fail_invalid_schema {
                return Ok(None);
            }
            let mut docs = Vec::new();
            load_references(self.registry.as_ref(), references, &mut docs).map_err(&fail)?;
            PayloadValidator::compile(json, &docs)
                .map(Some)
                .map_err(&fail)
        };
        if let Some(id) = self.config.serde.use_schema_id {
            let stored = self
                .registry
                .schema_by_id(id)
                .map_err(|e| rest("Error retrieving schema ID", e))?;
            let json: Json =
                serde_json::from_str(&stored.schema).map_err(|e| fail(e.to_string()))?;
            return Ok(Writer {
                id,
                validator: validator_for(&json, &stored.references)?,
            });
        }
        if self.config.serde.auto_register {
            let id = self
                .registry
                .register(&subject, &schema_string)
                .map_err(|e| rest(&format!("Error registering JSON schema: {text}"), e))?;
            return Ok(Writer {
                id,
                validator: validator_for(&derived, &[])?,
            });
        }
        if self.config.serde.use_latest_version {
            let latest = self
                .registry
                .latest(&subject)
                .map_err(|e| rest("Error retrieving latest version of JSON schema", e))?;
            let json: Json =
                serde_json::from_str(&latest.schema.schema).map_err(|e| fail(e.to_string()))?;
            if self.config.serde.latest_compatibility_strict && !same_schema(&json, &derived) {
                return Err(fail(format!(
                    "Error serializing JSON message <- IOException: Incompatible schema '{}' with refs {:?} of type JSON",
                    latest.schema.schema,
                    latest.schema.references.iter().map(|r| &r.name).collect::<Vec<_>>()
                )));
            }
            return Ok(Writer {
                id: latest.id,
                validator: validator_for(&json, &latest.schema.references)?,
            });
        }
        let found = self
            .registry
            .lookup(&subject, &schema_string)
            .map_err(|e| rest(&format!("Error retrieving JSON schema: {text}"), e))?;
        Ok(Writer {
            id: found.id,
            validator: validator_for(&derived, &[])?,
        })
    }

    fn cached_writer(&self, schema: &SchemaRef, topic: &str, side: Side) -> Cached<Writer> {
        self.writers.get_or_make(schema, topic, || {
            self.writer(schema, topic, side).map(Arc::new)
        })
    }

    /// One row's Connect value: the frame read, the payload parsed, validated and mapped.
    fn read_row(
        &self,
        payload: &[u8],
        row: usize,
        context: &ConverterContext<'_>,
    ) -> Result<(Arc<Reader>, Value), ConnectError> {
        let side = context.side();
        let topic = context.topic(row);
        let header = context.raw_header(row, schema_id_header(side == Side::Key));
        let frame =
            read_frame(payload, header).map_err(|e| deserialize_error(topic, e.java_text()))?;
        let SchemaId::Id(id) = frame.id else {
            return Err(deserialize_error(
                topic,
                "SerializationException: Unknown magic byte!",
            ));
        };
        let reader = self.cached_reader(id, topic, side)?;
        let mut tree = read_tree(&replace_non_numeric(frame.body)).map_err(|e| {
            deserialize_error(
                topic,
                &format!(
                    "Error deserializing JSON message for id {id} <- {}",
                    e.message
                ),
            )
        })?;
        if let (Some(validator), Some(json)) = (&reader.validator, &tree) {
            validator.validate(json).map_err(|cause| {
                deserialize_error(
                    topic,
                    &format!(
                        "Error deserializing JSON message for id {id} <- ValidationException: JSON {json} does not match schema {}: {cause}",
                        reader.text
                    ),
                )
            })?;
        }
        if let (Some(_), Some(json)) = (&reader.validator, &mut tree) {
            fill_defaults(&reader.doc, reader.doc.root, json);
        }
        let input = tree.as_ref().map_or(Input::Missing, Input::Node);
        let value = to_connect(&reader.schema, input)?;
        Ok((reader, value))
    }
}

/// Rows of one decode call that share a schema.
struct Group {
    reader: Arc<Reader>,
    rows: Vec<u32>,
    values: Vec<Value>,
}

impl Converter for JsonSchemaConverter {
    fn decode(&self, inputs: &[Option<&[u8]>], context: &ConverterContext<'_>) -> Decoded {
        let mut errors = Vec::new();
        let mut null_rows = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        for (row, input) in inputs.iter().enumerate() {
            let Some(payload) = input else {
                null_rows.push(row as u32);
                continue;
            };
            match self.read_row(payload, row, context) {
                Err(e) => errors.push((row as u32, e)),
                Ok((reader, value)) => {
                    let i = match groups.iter().position(|g| Arc::ptr_eq(&g.reader, &reader)) {
                        Some(i) => i,
                        None => {
                            groups.push(Group {
                                reader,
                                rows: Vec::new(),
                                values: Vec::new(),
                            });
                            groups.len() - 1
                        }
                    };
                    groups[i].rows.push(row as u32);
                    groups[i].values.push(value);
                }
            }
        }
        let mut parts = Vec::new();
        for group in groups {
            let schema = Some(&group.reader.schema);
            // The schema's own type first; only a group with a null required property (which
            // fails that build) is built again with nullable struct fields.
            let build = |values: &[Value]| {
                let reader = &group.reader;
                values_to_array_as(&reader.schema, &reader.data_type, values)
                    .or_else(|_| values_to_array_as(&reader.schema, &reader.relaxed_type, values))
            };
            match build(&group.values) {
                Ok(data) => parts.push(DecodedPart {
                    rows: group.rows,
                    column: Column {
                        schema: schema.cloned(),
                        data,
                    },
                }),
                Err(_) => {
                    // Some row does not fit its schema (a required field left null): find which,
                    // one row at a time, and build the rest.
                    let mut rows = Vec::new();
                    let mut values = Vec::new();
                    for (row, value) in group.rows.into_iter().zip(group.values) {
                        match build(std::slice::from_ref(&value)) {
                            Ok(_) => {
                                rows.push(row);
                                values.push(value);
                            }
                            Err(e) => errors.push((row, e)),
                        }
                    }
                    match build(&values) {
                        Ok(data) if !rows.is_empty() => parts.push(DecodedPart {
                            rows,
                            column: Column {
                                schema: schema.cloned(),
                                data,
                            },
                        }),
                        Ok(_) => {}
                        Err(e) => errors.extend(rows.into_iter().map(|r| (r, e.clone()))),
                    }
                }
            }
        }
        finish_decoded(parts, null_rows, errors)
    }

    fn encode(&self, column: &Column, context: &ConverterContext<'_>, out: &mut Encoded) {
        let side = context.side();
        let Some(schema) = &column.schema else {
            encode_schemaless(column, context, out, |topic| {
                serialize_error(
                        topic,
                        "NullPointerException: a value without a Connect schema cannot be written as JSON Schema",
                    )
            });
            return;
        };
        let mut writers: HashMap<u32, Cached<Writer>> = HashMap::new();
        for row in 0..column.data.len() {
            let topic = context.topic(row);
            let value = value_at(Some(schema), column.data.as_ref(), row);
            let node = match from_connect_data(schema, &value, &self.config.data) {
                Ok(Some(node)) => node,
                Ok(None) => {
                    out.push_null();
                    continue;
                }
                Err(e) => {
                    out.begin_row();
                    out.fail_row(e);
                    continue;
                }
            };
            let writer = writers
                .entry(context.topic_id(row))
                .or_insert_with(|| self.cached_writer(schema, topic, side));
            let writer = match writer {
                Ok(w) => w.clone(),
                Err(e) => {
                    out.begin_row();
                    out.fail_row(e.clone());
                    continue;
                }
            };
            if let Some(validator) = &writer.validator {
                if let Err(cause) = validator.validate(&node.to_serde()) {
                    out.begin_row();
                    out.fail_row(serialize_error(
                        topic,
                        &format!("Error serializing JSON message <- ValidationException: Validation error in JSON {}, Error report: {cause}", node.to_serde()),
                    ));
                    continue;
                }
            }
            let buf = out.begin_row();
            write_schema_id(SchemaId::Id(writer.id), buf);
            if self.config.indent_output {
                write_pretty(&node, buf, 0);
            } else {
                node.write(buf);
            }
            out.end_row();
        }
    }
}
