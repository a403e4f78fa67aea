//! `io.confluent.connect.json.JsonSchemaConverter`: Confluent-framed JSON (magic byte 0, schema
//! id, UTF-8 JSON) ⇄ Connect data as Arrow columns, through a Schema Registry.
//!
//! Decoding resolves each distinct schema id of a batch once (registry look-ups of the schema,
//! its references and its version, the Connect mapping, the validator — cached by id and
//! subject, looked up once per decode call for each schema id and topic), then reads the rows
//! into one Arrow column per schema: without validation from one simd-json tape of the batch,
//! appended straight into Arrow ([`super::tape_read`]); with `json.fail.invalid.schema=true`,
//! and for the rows the tape reader declines, each payload is parsed with Jackson's rules into
//! a serde_json tree, validated, and mapped to Connect values ([`super::read`]), the oracle.
//! Encoding derives the JSON Schema of each Connect schema once, registers or looks it up once
//! per subject (cached), then writes each row from Arrow as Jackson prints it: through
//! JsonConverter's Arrow writer where it writes the same JSON, else (validation, indented output,
//! defaults, unions, maps of pairs, a required null) from `fromConnectData`'s node tree.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value as Json;

use super::compatibility::{incompatibilities, SchemaText};
use super::config::JsonSchemaConverterConfig;
use super::defaults::fill_defaults;
use super::document::Document;
use super::from_connect::{from_connect_schema, normalized};
use super::is_union;
use super::non_numeric::replace_non_numeric;
use super::read::{to_connect, Input};
use super::tape_check::Verdict;
use super::tape_read::TapeReader;
use super::to_connect::to_connect_schema;
use super::validate::{PayloadValidator, TextTape};
use super::write::{from_connect_data, write_pretty};
use crate::arrow_mapping::{arrow_type, with_nullable_fields, META_RAW_JSON};
use crate::batch::Column;
use crate::column_builder::ColumnBuilder;
use crate::converter::{Converter, ConverterContext, Decoded, DecodedPart, Encoded, Side};
use crate::error::ConnectError;
use crate::json::canonical_envelope::PayloadForm;
use crate::json::converter::{check_tape_room, copy_inputs, verbatim_column};
use crate::json::encode::Slot;
use crate::json::reference::{read_tree, JsonConfig};
use crate::json::schema_decode::PayloadDecoder;
use crate::json::tape::{BatchTape, Span, TapeParser};
use crate::registry::converter_cache::{ConverterCache, WriterCache};
use crate::registry::converter_rows::{encode_schemaless, finish_decoded};
use crate::registry::framing::{read_frame, schema_id_header, write_schema_id};
use crate::registry::guid::registry_id;
use crate::registry::{SchemaId, SchemaReference, SchemaRegistry, SchemaString, SchemaType};
use crate::schema::{Schema, SchemaKind, SchemaRef};
use crate::value::Value;
use crate::value_array::{value_at, values_to_array_as};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type};
use arrow_array::Array;
use arrow_buffer::Buffer;
use arrow_schema::DataType;

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
    /// The schema id, for messages.
    id: i32,
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
    /// Whether rows are read from the batch tape: without validation, or with a validator that
    /// checks tapes and no defaults to fill in (which needs the tree).
    reads_tape: bool,
    /// The form in which a payload comes back byte for byte through an equal converter, when
    /// payloads of this schema may be kept as their bytes ([`ConverterContext::keeps_verbatim`]):
    /// a struct schema written as JsonConverter writes it ([`written_as_json_converter_writes`]),
    /// no validation, no indented output.
    kept_form: Option<PayloadForm>,
}

/// What writing one Connect schema for one subject needs: the id to frame with and the
/// validator (when validating).
#[derive(Debug)]
struct Writer {
    id: i32,
    validator: Option<PayloadValidator>,
    /// The validator passes every row the Arrow writer writes for the schema, when the column
    /// has only finite floats and no raw JSON ([`PayloadValidator::admits_every_written`]).
    admits_every_row: bool,
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

/// Java's `List<SchemaReference>.toString()`: `[{name='a.json', subject='a', version=1}]`.
fn java_references_text(references: &[SchemaReference]) -> String {
    let items: Vec<String> = references
        .iter()
        .map(|r| {
            format!(
                "{{name='{}', subject='{}', version={}}}",
                r.name, r.subject, r.version
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
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
        let doc = Document::load(&root, &references, self.config.data.ignore_modern_dialects)
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
        let reads_tape = validator.as_ref().is_none_or(|v| {
            v.checks_tapes() && doc.nodes.iter().all(|node| node.default.is_none())
        });
        let kept_form = (validator.is_none()
            && !self.config.indent_output
            && matches!(schema.kind, SchemaKind::Struct(_))
            && written_as_json_converter_writes(&schema))
        .then(|| PayloadForm::of(&schema))
        .flatten();
        Ok(Reader {
            reads_tape,
            kept_form,
            id,
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
        let writer = |id: i32, validator: Option<PayloadValidator>| Writer {
            id,
            admits_every_row: validator
                .as_ref()
                .is_some_and(|v| v.admits_every_written(schema, self.config.data.decimal_format)),
            validator,
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
            if self.config.serde.id_compatibility_strict
                && !self.reads_derived(&derived, &json, &stored.references, &fail)?
            {
                let canonical = serde_json::to_string(&json).map_err(|e| fail(e.to_string()))?;
                return Err(fail(format!(
                    "Error serializing JSON message <- IOException: Incompatible schema '{canonical}' with refs '{}' of type 'JSON' for schema '{text}'. Set id.compatibility.strict=false to disable this check",
                    java_references_text(&stored.references)
                )));
            }
            return Ok(writer(id, validator_for(&json, &stored.references)?));
        }
        if self.config.serde.auto_register {
            let id = self
                .registry
                .register(&subject, &schema_string)
                .map_err(|e| rest(&format!("Error registering JSON schema: {text}"), e))?;
            return Ok(writer(id, validator_for(&derived, &[])?));
        }
        if self.config.serde.use_latest_version {
            let latest = self
                .registry
                .latest(&subject)
                .map_err(|e| rest("Error retrieving latest version of JSON schema", e))?;
            let json: Json =
                serde_json::from_str(&latest.schema.schema).map_err(|e| fail(e.to_string()))?;
            if self.config.serde.latest_compatibility_strict
                && !self.reads_derived(&derived, &json, &latest.schema.references, &fail)?
            {
                return Err(fail(format!(
                    "Error serializing JSON message <- IOException: Incompatible schema '{}' with refs '{}' of type 'JSON' for schema '{text}'. Set latest.compatibility.strict=false to disable this check. See log file for more details.",
                    latest.schema.schema,
                    java_references_text(&latest.schema.references)
                )));
            }
            return Ok(writer(
                latest.id,
                validator_for(&json, &latest.schema.references)?,
            ));
        }
        let found = self
            .registry
            .lookup(&subject, &schema_string)
            .map_err(|e| rest(&format!("Error retrieving JSON schema: {text}"), e))?;
        Ok(writer(found.id, validator_for(&derived, &[])?))
    }

    /// Whether `target` (a registered schema with `references`) is backward compatible with the
    /// Connect-derived schema, as Confluent's `target.isBackwardCompatible(derived)` decides
    /// ([`incompatibilities`]); a schema that does not load or a diff that throws fails with
    /// `fail`. Cost: loading the references and both schemas, one diff.
    fn reads_derived(
        &self,
        derived: &Json,
        target: &Json,
        references: &[SchemaReference],
        fail: &dyn Fn(String) -> ConnectError,
    ) -> Result<bool, ConnectError> {
        let mut docs = Vec::new();
        load_references(self.registry.as_ref(), references, &mut docs).map_err(fail)?;
        let original = SchemaText {
            root: derived,
            references: &[],
        };
        let update = SchemaText {
            root: target,
            references: &docs,
        };
        incompatibilities(original, update)
            .map(|found| found.is_empty())
            .map_err(|e| {
                fail(format!(
                    "Error serializing JSON message <- {}",
                    e.java_text()
                ))
            })
    }

    fn cached_writer(&self, schema: &SchemaRef, topic: &str, side: Side) -> Cached<Writer> {
        self.writers.get_or_make(schema, topic, || {
            self.writer(schema, topic, side).map(Arc::new)
        })
    }

    /// One row's frame read and its reader found: first in `readers`, the readers this decode
    /// call has used by (schema id, topic id), then in the shared cache.
    fn frame_reader<'p>(
        &self,
        payload: &'p [u8],
        row: usize,
        context: &ConverterContext<'_>,
        readers: &mut Vec<(i32, u32, Cached<Reader>)>,
    ) -> Result<(Arc<Reader>, &'p [u8]), ConnectError> {
        let side = context.side();
        let topic = context.topic(row);
        let header = context.raw_header(row, schema_id_header(side == Side::Key));
        let frame =
            read_frame(payload, header).map_err(|e| deserialize_error(topic, e.java_text()))?;
        let id = registry_id(self.registry.as_ref(), frame.id).map_err(|e| {
            deserialize_error(
                topic,
                &format!(
                    "Error retrieving JSON schema for GUID {} <- {}",
                    frame.id,
                    e.java_text()
                ),
            )
        })?;
        let topic_id = context.topic_id(row);
        let reader = match readers.iter().find(|(i, t, _)| *i == id && *t == topic_id) {
            Some((_, _, reader)) => reader.clone(),
            None => {
                let reader = self.cached_reader(id, topic, side);
                readers.push((id, topic_id, reader.clone()));
                reader
            }
        }?;
        // The body is always the payload's tail (after the prefix, or all of it when the id came
        // from a header): taken from `payload` itself, it lives as long as the input.
        let body = &payload[payload.len() - frame.body.len()..];
        Ok((reader, body))
    }

    /// One row's Connect value, row-wise: the payload parsed, validated and mapped.
    fn row_value(&self, reader: &Reader, body: &[u8], topic: &str) -> Result<Value, ConnectError> {
        let id = reader.id;
        let mut tree = read_tree(&replace_non_numeric(body)).map_err(|e| {
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
        to_connect(&reader.schema, input)
    }

    /// The rows of one group read row-wise into Connect values and built into one column: the
    /// schema's own type first; only a group with a null required property (which fails that
    /// build) is built again with nullable struct fields.
    fn build_row_wise(
        &self,
        group: Group<'_>,
        context: &ConverterContext<'_>,
        parts: &mut Vec<DecodedPart>,
        errors: &mut Vec<(u32, ConnectError)>,
    ) {
        let reader = &group.reader;
        let mut rows = Vec::with_capacity(group.rows.len());
        let mut values = Vec::with_capacity(group.rows.len());
        for (row, body) in group.rows.iter().zip(&group.bodies) {
            match self.row_value(reader, body, context.topic(*row as usize)) {
                Ok(value) => {
                    rows.push(*row);
                    values.push(value);
                }
                Err(e) => errors.push((*row, e)),
            }
        }
        if rows.is_empty() {
            return;
        }
        let schema = Some(&reader.schema);
        let build = |values: &[Value]| {
            values_to_array_as(&reader.schema, &reader.data_type, values)
                .or_else(|_| values_to_array_as(&reader.schema, &reader.relaxed_type, values))
        };
        match build(&values) {
            Ok(data) => parts.push(DecodedPart {
                rows,
                column: Column {
                    schema: schema.cloned(),
                    data,
                },
            }),
            Err(_) => {
                // Some row does not fit its schema (a required field left null): find which,
                // one row at a time, and build the rest.
                let mut kept = Vec::new();
                let mut kept_values = Vec::new();
                for (row, value) in rows.into_iter().zip(values) {
                    match build(std::slice::from_ref(&value)) {
                        Ok(_) => {
                            kept.push(row);
                            kept_values.push(value);
                        }
                        Err(e) => errors.push((row, e)),
                    }
                }
                match build(&kept_values) {
                    Ok(data) if !kept.is_empty() => parts.push(DecodedPart {
                        rows: kept,
                        column: Column {
                            schema: schema.cloned(),
                            data,
                        },
                    }),
                    Ok(_) => {}
                    Err(e) => errors.extend(kept.into_iter().map(|r| (r, e.clone()))),
                }
            }
        }
    }

    /// The rows of one group appended from the batch tape into a column of the schema's own
    /// type; a row the tape check does not find valid or the tape reader declines is read
    /// row-wise and appended as a value. `Err` gives the group back when such a row holds a null
    /// in a required place (it needs the relaxed type): then the whole group is read row-wise. Errors of rows are pushed to
    /// `errors`; the builder is finished by the caller, once the batch buffers are whole.
    fn build_from_tape<'g>(
        &self,
        group: Group<'g>,
        roots: &[Option<usize>],
        decoder: PayloadDecoder<'_>,
        context: &ConverterContext<'_>,
        errors: &mut Vec<(u32, ConnectError)>,
    ) -> Result<TapePart, Group<'g>> {
        let reader = &group.reader;
        let mut builder = ColumnBuilder::with_capacity(&reader.data_type, group.rows.len());
        let mut tape_reader = TapeReader { decoder };
        let mut kept = Vec::with_capacity(group.rows.len());
        let mut row_errors = Vec::new();
        for (row, body) in group.rows.iter().zip(&group.bodies) {
            let len = builder.len();
            let appended = roots[*row as usize]
                .filter(|&root| {
                    reader.validator.as_ref().is_none_or(|v| {
                        v.check_tape(tape_reader.decoder.tape, root) == Verdict::Valid
                    })
                })
                .ok_or(super::tape_read::RowWise)
                .and_then(|root| tape_reader.append(&reader.schema, Some(root), &mut builder));
            if appended.is_ok() {
                kept.push(*row);
                continue;
            }
            builder.truncate(len);
            match self.row_value(reader, body, context.topic(*row as usize)) {
                Err(e) => row_errors.push((*row, e)),
                Ok(value) => {
                    // Whether the row-wise build takes this value into the schema's own type
                    // (it fails a required null, or a Time beyond one day).
                    let fits = values_to_array_as(
                        &reader.schema,
                        &reader.data_type,
                        std::slice::from_ref(&value),
                    )
                    .is_ok()
                        && tape_reader
                            .decoder
                            .append_value(&reader.schema, &value, &mut builder)
                            .is_ok();
                    if !fits {
                        return Err(group);
                    }
                    kept.push(*row);
                }
            }
        }
        errors.append(&mut row_errors);
        Ok(TapePart {
            schema: reader.schema.clone(),
            rows: kept,
            builder,
        })
    }
}

impl JsonSchemaConverter {
    /// The rows of a decode call sorted out: null inputs, frames that fail (unknown magic byte,
    /// schema id not found), and the rest grouped by reader, in row order.
    fn group_rows<'a>(
        &self,
        inputs: &[Option<&'a [u8]>],
        context: &ConverterContext<'_>,
    ) -> Rows<'a> {
        let mut rows = Rows {
            groups: Vec::new(),
            null_rows: Vec::new(),
            errors: Vec::new(),
        };
        let mut readers = Vec::new();
        for (row, input) in inputs.iter().enumerate() {
            let Some(payload) = *input else {
                rows.null_rows.push(row as u32);
                continue;
            };
            let (reader, body) = match self.frame_reader(payload, row, context, &mut readers) {
                Ok(found) => found,
                Err(e) => {
                    rows.errors.push((row as u32, e));
                    continue;
                }
            };
            let groups = &mut rows.groups;
            let i = match groups.iter().position(|g| Arc::ptr_eq(&g.reader, &reader)) {
                Some(i) => i,
                None => {
                    groups.push(Group {
                        reader,
                        rows: Vec::new(),
                        bodies: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            groups[i].rows.push(row as u32);
            groups[i].bodies.push(body);
        }
        rows
    }
}

/// Whether JsonConverter's payload writer ([`Slot`]) writes what `fromConnectData` and Jackson
/// write for `schema`'s values: no defaults, no unions, maps only with required string keys
/// (JsonSchemaData writes the others as `[{key, value}]`). Cost: one walk of the schema.
fn written_as_json_converter_writes(schema: &Schema) -> bool {
    schema.default.is_none()
        && !is_union(schema)
        && match &schema.kind {
            SchemaKind::Array(items) => written_as_json_converter_writes(items),
            SchemaKind::Map(key, value) => {
                key.kind == SchemaKind::String
                    && !key.optional
                    && written_as_json_converter_writes(key)
                    && written_as_json_converter_writes(value)
            }
            SchemaKind::Struct(fields) => fields
                .iter()
                .all(|f| written_as_json_converter_writes(&f.schema)),
            _ => true,
        }
}

/// Takes out of `groups` the rows whose payload an equal converter would write back byte for
/// byte (their reader's [`Reader::kept_form`]), as parts of LargeUtf8 payload texts under the
/// reader's schema ([`verbatim_column`]); only [`JsonSchemaConverter::encode`] reads those as
/// they are, [`value_at`] parses them. Cost: one pass over each such payload and one copy of
/// the kept ones.
fn keep_canonical_payloads(groups: &mut Vec<Group<'_>>) -> Vec<DecodedPart> {
    let mut number = Vec::new();
    let mut parts = Vec::new();
    for group in groups.iter_mut() {
        let Some(form) = &group.reader.kept_form else {
            continue;
        };
        let (mut rows, mut texts) = (Vec::new(), Vec::new());
        let (mut other_rows, mut other_bodies) = (Vec::new(), Vec::new());
        for (&row, &body) in group.rows.iter().zip(&group.bodies) {
            match form.admits(body, &mut number) {
                Some(text) => {
                    rows.push(row);
                    texts.push(text);
                }
                None => {
                    other_rows.push(row);
                    other_bodies.push(body);
                }
            }
        }
        if !rows.is_empty() {
            parts.push(DecodedPart {
                column: verbatim_column(Some(group.reader.schema.clone()), &texts),
                rows,
            });
        }
        group.rows = other_rows;
        group.bodies = other_bodies;
    }
    groups.retain(|group| !group.rows.is_empty());
    parts
}

/// The rows of a decode call by what happens to them.
struct Rows<'a> {
    groups: Vec<Group<'a>>,
    null_rows: Vec<u32>,
    errors: Vec<(u32, ConnectError)>,
}

/// Rows of one decode call that share a reader, with their payload bodies.
struct Group<'a> {
    reader: Arc<Reader>,
    rows: Vec<u32>,
    bodies: Vec<&'a [u8]>,
}

/// A column appended from the batch tape, finished once the batch's buffers are whole.
struct TapePart {
    schema: SchemaRef,
    rows: Vec<u32>,
    builder: ColumnBuilder,
}

/// Whether `body` is read from the tape at all: a document that starts (after Jackson's
/// whitespace) with an object, an array or a string, whose first value is all Jackson reads of
/// it (as of the tape); numbers and literals at the root and empty bodies follow Jackson's root
/// rules in the row-wise reader.
fn tape_document(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .is_some_and(|b| matches!(b, b'{' | b'[' | b'"'))
}

/// The tape bodies copied back to back into one batch tape and parsed: each row's root node,
/// `None` for a row without a tape body or whose body simd-json refuses (it is read row-wise,
/// which gives Jackson's answer). Cost: one copy of the bodies, one simd-json parse per body.
fn parse_bodies(bodies: &[Option<&[u8]>]) -> (BatchTape, Vec<Option<usize>>) {
    let (mut tape, spans) = copy_inputs(bodies);
    let mut parser = TapeParser::default();
    let roots = spans
        .iter()
        .map(|span| span.and_then(|span: Span| parser.parse(&mut tape, span).ok()))
        .collect();
    (tape, roots)
}

impl Converter for JsonSchemaConverter {
    /// Reads the frames and groups the rows by reader, copies the bodies of the groups that read
    /// the tape into one batch tape (one copy, one simd-json parse per row), checks them there
    /// when validating ([`PayloadValidator::check_tape`]) and appends them to Arrow from it
    /// ([`TapeReader`]); groups whose schema the tape check cannot answer or that fill in
    /// defaults, rows the check or the tape reader is unsure of and batches too large for the
    /// tape's 32-bit offsets are read row-wise (a serde_json tree per row, validated by the
    /// `jsonschema` crate).
    ///
    /// When the context keeps values verbatim, payloads already in the form the converter
    /// writes back are kept as their bytes instead ([`keep_canonical_payloads`]).
    fn decode(&self, inputs: &[Option<&[u8]>], context: &ConverterContext<'_>) -> Decoded {
        let Rows {
            mut groups,
            null_rows,
            mut errors,
        } = self.group_rows(inputs, context);
        let mut parts = Vec::new();
        if context.keeps_verbatim() {
            parts = keep_canonical_payloads(&mut groups);
        }
        let mut bodies: Vec<Option<&[u8]>> = vec![None; inputs.len()];
        for group in groups.iter().filter(|g| g.reader.reads_tape) {
            for (row, body) in group.rows.iter().zip(&group.bodies) {
                if tape_document(body) {
                    bodies[*row as usize] = Some(body);
                }
            }
        }
        let (tape, roots) = match check_tape_room(&bodies, u32::MAX as usize) {
            Ok(()) => parse_bodies(&bodies),
            Err(_) => (BatchTape::default(), vec![None; inputs.len()]),
        };
        let mut extra = Vec::new();
        let config = JsonConfig::default();
        let mut tape_parts = Vec::new();
        for group in groups {
            if !group.reader.reads_tape {
                self.build_row_wise(group, context, &mut parts, &mut errors);
                continue;
            }
            let decoder = PayloadDecoder {
                tape: &tape,
                extra: &mut extra,
                config: &config,
                needs_row_wise: false,
                slots: Vec::new(),
            };
            match self.build_from_tape(group, &roots, decoder, context, &mut errors) {
                Ok(part) => tape_parts.push(part),
                Err(group) => self.build_row_wise(group, context, &mut parts, &mut errors),
            }
        }
        let buffers: Arc<[Buffer]> =
            Arc::from(vec![Buffer::from_vec(tape.buffer), Buffer::from_vec(extra)]);
        for mut part in tape_parts {
            if !part.rows.is_empty() {
                parts.push(DecodedPart {
                    rows: part.rows,
                    column: Column {
                        schema: Some(part.schema),
                        data: part.builder.finish(&buffers),
                    },
                });
            }
        }
        // In the order of the groups' first rows, as the groups were formed.
        parts.sort_by_key(|p| p.rows.first().copied());
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
        if let Some(texts) = column.data.as_string_opt::<i64>() {
            return self.encode_kept(schema, column, texts, context, &mut writers, out);
        }
        let slot = self.arrow_slot(schema, column);
        // A row is written here first: the writer (which may register the schema) is looked up
        // only for a row that is written, as row-wise.
        let mut json = Vec::new();
        let mut text_tape = TextTape::default();
        let mut written_plainly = None;
        for row in 0..column.data.len() {
            if let Some(slot) = &slot {
                json.clear();
                if slot.write(row, &mut json).is_ok() {
                    let writer = writers
                        .entry(context.topic_id(row))
                        .or_insert_with(|| self.cached_writer(schema, context.topic(row), side));
                    // Valid for every row of the column, or on the written text's tape where
                    // it tells; else validated row-wise.
                    let written = writer.as_ref().ok().filter(|writer| {
                        writer.validator.as_ref().is_none_or(|v| {
                            (writer.admits_every_row
                                && *written_plainly.get_or_insert_with(|| {
                                    only_finite_floats_and_no_raw_json(column.data.as_ref())
                                }))
                                || v.check_text(&json, &mut text_tape) == Verdict::Valid
                        })
                    });
                    if let Some(writer) = written {
                        let buf = out.begin_row();
                        write_schema_id(SchemaId::Id(writer.id), buf);
                        buf.extend_from_slice(&json);
                        out.end_row();
                        continue;
                    }
                }
            }
            // Written row-wise, which decides the rest: a required null is left out of its
            // object or is a tombstone; errors.
            self.encode_row_wise(schema, column, row, context, &mut writers, out);
        }
    }
}

impl JsonSchemaConverter {
    /// The column bound to JsonConverter's Arrow writer ([`Slot`]), when that writes exactly
    /// what `fromConnectData` and Jackson write for every row it does not refuse: no indented
    /// output, and a schema without what the two converters write differently (defaults,
    /// unions, maps other than with required string keys, which JsonSchemaData writes as
    /// `[{key, value}]`). A row the slot refuses (a required null) is
    /// written row-wise. Cost: one walk of the schema and one bind per call.
    fn arrow_slot<'a>(&self, schema: &Schema, column: &'a Column) -> Option<Slot<'a>> {
        if self.config.indent_output || !written_as_json_converter_writes(schema) {
            return None;
        }
        let config = JsonConfig {
            schemas_enable: false,
            decimal_format: self.config.data.decimal_format,
            ..JsonConfig::default()
        };
        Slot::bind(Some(schema), column.data.as_ref(), &config).ok()
    }

    /// Writes the payloads the decoder kept as their bytes ([`keep_canonical_payloads`]: a
    /// LargeUtf8 column under a struct schema, which nothing else produces) framed with the id
    /// the writer for `schema` gives, as the Arrow writer would have written them; under a
    /// validating writer, row-wise. Cost: one copy of each payload.
    fn encode_kept(
        &self,
        schema: &SchemaRef,
        column: &Column,
        texts: &arrow_array::LargeStringArray,
        context: &ConverterContext<'_>,
        writers: &mut HashMap<u32, Cached<Writer>>,
        out: &mut Encoded,
    ) {
        for row in 0..texts.len() {
            let writer = writers
                .entry(context.topic_id(row))
                .or_insert_with(|| self.cached_writer(schema, context.topic(row), context.side()));
            match writer {
                Ok(writer) if writer.validator.is_none() => {
                    let buf = out.begin_row();
                    write_schema_id(SchemaId::Id(writer.id), buf);
                    buf.extend_from_slice(texts.value(row).as_bytes());
                    out.end_row();
                }
                _ => self.encode_row_wise(schema, column, row, context, writers, out),
            }
        }
    }

    /// Row `row` written from its Connect value (`fromConnectData`'s node tree), validated when
    /// the writer validates.
    fn encode_row_wise(
        &self,
        schema: &SchemaRef,
        column: &Column,
        row: usize,
        context: &ConverterContext<'_>,
        writers: &mut HashMap<u32, Cached<Writer>>,
        out: &mut Encoded,
    ) {
        let topic = context.topic(row);
        let value = value_at(Some(schema), column.data.as_ref(), row);
        let node = match from_connect_data(schema, &value, &self.config.data) {
            Ok(Some(node)) => node,
            Ok(None) => {
                out.push_null();
                return;
            }
            Err(e) => {
                out.begin_row();
                out.fail_row(e);
                return;
            }
        };
        let writer = writers
            .entry(context.topic_id(row))
            .or_insert_with(|| self.cached_writer(schema, topic, context.side()));
        let writer = match writer {
            Ok(w) => w.clone(),
            Err(e) => {
                out.begin_row();
                out.fail_row(e.clone());
                return;
            }
        };
        if let Some(validator) = &writer.validator {
            if let Err(cause) = validator.validate(&node.to_serde()) {
                out.begin_row();
                out.fail_row(serialize_error(
                    topic,
                    &format!("Error serializing JSON message <- ValidationException: Validation error in JSON {}, Error report: {cause}", node.to_serde()),
                ));
                return;
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

/// Whether the Arrow writer writes every value of `array` as its Connect schema's JSON type:
/// no non-finite float (written as a string) and no raw JSON text. Cost: one pass over the
/// column's float values.
fn only_finite_floats_and_no_raw_json(array: &dyn Array) -> bool {
    match array.data_type() {
        DataType::Float32 => array
            .as_primitive::<Float32Type>()
            .values()
            .iter()
            .all(|v| v.is_finite()),
        DataType::Float64 => array
            .as_primitive::<Float64Type>()
            .values()
            .iter()
            .all(|v| v.is_finite()),
        DataType::Struct(fields) => {
            fields
                .iter()
                .all(|f| !f.metadata().contains_key(META_RAW_JSON))
                && array
                    .as_struct()
                    .columns()
                    .iter()
                    .all(|c| only_finite_floats_and_no_raw_json(c))
        }
        DataType::List(item) => {
            !item.metadata().contains_key(META_RAW_JSON)
                && only_finite_floats_and_no_raw_json(array.as_list::<i32>().values())
        }
        // The entries are a struct of key and value: their fields are checked as a struct's.
        DataType::Map(..) => only_finite_floats_and_no_raw_json(array.as_map().entries()),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converter_context::ConverterContext;
    use crate::schema::SchemaKind;
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A converter over its own mock registry scope, with `schema` registered: its frames' id.
    fn converter_for(schema: &Schema, validate: bool) -> (JsonSchemaConverter, i32) {
        static CASES: AtomicUsize = AtomicUsize::new(0);
        let scope = format!("tape-read-{}", CASES.fetch_add(1, Ordering::Relaxed));
        let converter = JsonSchemaConverter::from_settings(|key| match key {
            "schema.registry.url" => Some(format!("mock://{scope}")),
            "json.fail.invalid.schema" => Some(validate.to_string()),
            _ => None,
        })
        .expect("settings");
        let json = from_connect_schema(schema, &converter.config.data).expect("a JSON Schema");
        let text = SchemaString::new(SchemaType::Json, json.to_string());
        let id = converter
            .registry
            .register("t-value", &text)
            .expect("registered");
        (converter, id)
    }

    fn frame(id: i32, body: &[u8]) -> Vec<u8> {
        let mut out = vec![0];
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    /// The tape decode and the row-wise one (every group read by `read::to_connect`) give the
    /// same parts, columns and errors.
    fn assert_agree(
        converter: &JsonSchemaConverter,
        inputs: &[Option<Vec<u8>>],
    ) -> Result<Decoded, TestCaseError> {
        let inputs: Vec<Option<&[u8]>> = inputs.iter().map(Option::as_deref).collect();
        let context = ConverterContext::single_topic(Side::Value, "t");
        let fast = converter.decode(&inputs, &context);
        let Rows {
            groups,
            null_rows,
            mut errors,
        } = converter.group_rows(&inputs, &context);
        let mut parts = Vec::new();
        for group in groups {
            converter.build_row_wise(group, &context, &mut parts, &mut errors);
        }
        let slow = finish_decoded(parts, null_rows, errors);
        let errors = |d: &Decoded| -> Vec<(u32, String)> {
            d.errors
                .iter()
                .map(|(r, e)| (*r, e.message.clone()))
                .collect()
        };
        prop_assert_eq!(errors(&fast), errors(&slow));
        prop_assert_eq!(fast.parts.len(), slow.parts.len());
        for (a, b) in fast.parts.iter().zip(&slow.parts) {
            prop_assert_eq!(&a.rows, &b.rows);
            prop_assert_eq!(&a.column.schema, &b.column.schema);
            prop_assert_eq!(a.column.data.data_type(), b.column.data.data_type());
            prop_assert!(
                a.column.data.as_ref() == b.column.data.as_ref(),
                "tape {:?}\nrow-wise {:?}",
                a.column.data,
                b.column.data
            );
        }
        Ok(fast)
    }

    /// Encoding `column` through the Arrow writer and row-wise (`fromConnectData`'s tree) gives
    /// the same frames and errors.
    fn assert_encodes_agree(
        converter: &JsonSchemaConverter,
        column: &Column,
    ) -> Result<(), TestCaseError> {
        let context = ConverterContext::single_topic(Side::Value, "t");
        let mut fast = Encoded::default();
        converter.encode(column, &context, &mut fast);
        let mut slow = Encoded::default();
        let mut writers = HashMap::new();
        let schema = column.schema.as_ref().expect("a schema");
        for row in 0..column.data.len() {
            converter.encode_row_wise(schema, column, row, &context, &mut writers, &mut slow);
        }
        prop_assert_eq!(fast.len(), slow.len());
        for row in 0..fast.len() {
            prop_assert_eq!(fast.row(row), slow.row(row), "row {}", row);
        }
        let errors = |e: &Encoded| -> Vec<(usize, String)> {
            e.errors()
                .iter()
                .map(|(r, e)| (*r, e.message.clone()))
                .collect()
        };
        prop_assert_eq!(errors(&fast), errors(&slow));
        Ok(())
    }

    /// A number with exactly this text (serde_json keeps it verbatim).
    fn number(text: &str) -> Json {
        serde_json::from_str(text).expect("a number")
    }

    /// Values of the wrong type and numbers a double cannot tell apart.
    fn junk() -> BoxedStrategy<Json> {
        prop_oneof![
            Just(Json::Null),
            Just(json!("x")),
            Just(json!(true)),
            Just(json!([1, "a"])),
            Just(json!({"a": 1})),
            Just(number("5")),
            Just(number("1.5")),
            Just(number("-0.0")),
            Just(number("-1e-400")),
            Just(number("1.9999999999999999999")),
            Just(number("123456789012345678901234")),
            Just(number("18446744073709551615")),
            Just(number("0.1")),
            Just(number("3.4e39")),
        ]
        .boxed()
    }

    /// A payload for `schema`: mostly of its type, sometimes [`junk`], properties sometimes absent.
    fn payload(schema: &Schema) -> BoxedStrategy<Json> {
        let fitting = match &schema.kind {
            _ if schema.name.as_deref() == Some(crate::schema::DECIMAL_LOGICAL_NAME) => {
                prop_oneof![Just(json!("AN4=")), Just(json!(12)), Just(number("1.25"))].boxed()
            }
            SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32 => {
                any::<i32>().prop_map(Json::from).boxed()
            }
            SchemaKind::Int64 => any::<i64>().prop_map(Json::from).boxed(),
            SchemaKind::Float32 => any::<f32>()
                .prop_filter("finite", |v| v.is_finite())
                .prop_map(|v| json!(v))
                .boxed(),
            SchemaKind::Float64 => any::<f64>()
                .prop_filter("finite", |v| v.is_finite())
                .prop_map(|v| json!(v))
                .boxed(),
            SchemaKind::Boolean => any::<bool>().prop_map(Json::from).boxed(),
            SchemaKind::String => "[a-c\"\\\\\n é😀]{0,6}".prop_map(Json::from).boxed(),
            SchemaKind::Bytes => prop_oneof![Just(json!("AAE=")), Just(json!("%%"))].boxed(),
            SchemaKind::Array(items) => proptest::collection::vec(payload(items), 0..3)
                .prop_map(Json::from)
                .boxed(),
            SchemaKind::Map(_, value) => {
                proptest::collection::vec(("[a-e]{1,2}", payload(value)), 0..4)
                    .prop_map(|entries| Json::Object(entries.into_iter().collect()))
                    .boxed()
            }
            SchemaKind::Struct(fields) => {
                let values: Vec<BoxedStrategy<Option<(String, Json)>>> = fields
                    .iter()
                    .map(|f| {
                        let name = f.name.clone();
                        proptest::option::weighted(0.9, payload(&f.schema))
                            .prop_map(move |v| v.map(|v| (name.clone(), v)))
                            .boxed()
                    })
                    .collect();
                values
                    .prop_map(|entries| Json::Object(entries.into_iter().flatten().collect()))
                    .boxed()
            }
        };
        prop_oneof![10 => fitting, 1 => junk()].boxed()
    }

    /// Connect schemas of every kind JsonSchemaData maps without a union.
    fn connect_schema() -> impl Strategy<Value = Schema> {
        let leaf = prop_oneof![
            Just(Schema::new(SchemaKind::Int8)),
            Just(Schema::new(SchemaKind::Int16)),
            Just(Schema::new(SchemaKind::Int32)),
            Just(Schema::new(SchemaKind::Int64)),
            Just(Schema::new(SchemaKind::Float32)),
            Just(Schema::new(SchemaKind::Float64)),
            Just(Schema::new(SchemaKind::Boolean)),
            Just(Schema::new(SchemaKind::String)),
            Just(Schema::new(SchemaKind::Bytes)),
            Just(Schema::decimal(2)),
            Just(Schema::date()),
            Just(Schema::time()),
            Just(Schema::timestamp()),
            Just(Schema::new(SchemaKind::Int32).with_default(Value::Int32(9))),
        ];
        let leaf = (leaf, proptest::bool::weighted(0.6)).prop_map(|(mut schema, optional)| {
            schema.optional |= optional;
            schema
        });
        leaf.prop_recursive(2, 12, 4, |inner| {
            let field = (inner, proptest::bool::weighted(0.6)).prop_map(|(mut s, optional)| {
                s.optional |= optional;
                s
            });
            prop_oneof![
                field
                    .clone()
                    .prop_map(|items| Schema::new(SchemaKind::Array(items.into_ref()))),
                field.clone().prop_map(|value| Schema::new(SchemaKind::Map(
                    Schema::new(SchemaKind::String).into_ref(),
                    value.into_ref()
                ))),
                proptest::collection::vec(field, 1..4).prop_map(|fields| {
                    Schema::structure(
                        fields
                            .into_iter()
                            .enumerate()
                            .map(|(i, s)| (format!("f{i}"), s.into_ref())),
                    )
                }),
            ]
        })
    }

    fn record() -> impl Strategy<Value = (Schema, Vec<Json>)> {
        proptest::collection::vec(connect_schema(), 1..5)
            .prop_map(|fields| {
                Schema::structure(
                    fields
                        .into_iter()
                        .enumerate()
                        .map(|(i, s)| (format!("p{i}"), s.into_ref())),
                )
            })
            .prop_flat_map(|schema| {
                let payloads = proptest::collection::vec(payload(&schema), 1..6);
                (Just(schema), payloads)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Also with validation, which the tape check answers where it can.
        #[test]
        fn tape_decode_agrees_with_the_row_wise_reader(
            (schema, payloads) in record(),
            validate in any::<bool>(),
        ) {
            let (converter, id) = converter_for(&schema, validate);
            let inputs: Vec<Option<Vec<u8>>> = payloads
                .iter()
                .map(|p| Some(frame(id, p.to_string().as_bytes())))
                .chain([None])
                .collect();
            let decoded = assert_agree(&converter, &inputs)?;
            for part in decoded.parts.iter().filter(|p| p.column.schema.is_some()) {
                assert_encodes_agree(&converter, &part.column)?;
            }
        }
    }

    /// A row written back: its frame or its error's message (`None`: a null).
    type WrittenBack = Option<Result<Vec<u8>, String>>;

    /// What `converter` writes back for each of `inputs` (decoding them with or without keeping
    /// payloads as their bytes, then encoding each part): the frame, or the error's message;
    /// and how many rows were kept as their bytes.
    fn written_back(
        converter: &JsonSchemaConverter,
        inputs: &[Option<Vec<u8>>],
        verbatim: bool,
    ) -> (Vec<WrittenBack>, usize) {
        let inputs: Vec<Option<&[u8]>> = inputs.iter().map(Option::as_deref).collect();
        let context = ConverterContext::single_topic(Side::Value, "t");
        let decoded = converter.decode(&inputs, &context.with_verbatim(verbatim));
        let mut out = vec![None; inputs.len()];
        for (row, error) in &decoded.errors {
            out[*row as usize] = Some(Err(error.message.clone()));
        }
        let mut kept = 0;
        for part in &decoded.parts {
            if part.column.data.data_type() == &DataType::LargeUtf8 {
                kept += part.rows.len();
            }
            let mut encoded = Encoded::default();
            converter.encode(&part.column, &context, &mut encoded);
            for (i, &row) in part.rows.iter().enumerate() {
                out[row as usize] = Some(Ok(encoded.row(i).unwrap_or_default().to_vec()));
            }
            for (i, error) in encoded.errors() {
                out[part.rows[*i] as usize] = Some(Err(error.message.clone()));
            }
        }
        (out, kept)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Payloads kept as their bytes come back as decoding and encoding write them. The
        /// frames written once are fed through again, so most rows take the kept path.
        #[test]
        fn kept_payloads_come_back_as_decoding_and_encoding_write_them(
            (schema, payloads) in record(),
        ) {
            let (converter, id) = converter_for(&schema, false);
            let first: Vec<Option<Vec<u8>>> = payloads
                .iter()
                .map(|p| Some(frame(id, p.to_string().as_bytes())))
                .collect();
            let (written, _) = written_back(&converter, &first, false);
            let second: Vec<Option<Vec<u8>>> = written
                .into_iter()
                .map(|w| w.and_then(Result::ok))
                .chain(first.iter().cloned())
                .collect();
            for inputs in [&first, &second] {
                let (kept, _) = written_back(&converter, inputs, true);
                let (decoded, _) = written_back(&converter, inputs, false);
                prop_assert_eq!(kept, decoded);
            }
        }
    }

    #[test]
    fn jackson_form_payloads_are_kept_others_decoded() {
        let schema = Schema::structure([
            ("id".to_string(), Schema::new(SchemaKind::Int64).into_ref()),
            (
                "name".to_string(),
                Schema::new(SchemaKind::String).optional().into_ref(),
            ),
            (
                "amount".to_string(),
                Schema::new(SchemaKind::Float64).into_ref(),
            ),
        ]);
        let (converter, id) = converter_for(&schema, false);
        let bodies = [
            r#"{"id":1,"name":"a","amount":79.2}"#,
            r#"{"id":2,"name":null,"amount":1.0E10}"#,
            // Rewritten on the way: a trailing zero, an integer double, an absent field,
            // another order, whitespace, an unknown property.
            r#"{"id":3,"name":"a","amount":79.20}"#,
            r#"{"id":4,"name":"a","amount":1}"#,
            r#"{"id":5,"amount":1.5}"#,
            r#"{"name":"a","id":6,"amount":1.5}"#,
            r#"{"id":7, "name":"a","amount":1.5}"#,
            r#"{"id":8,"name":"a","amount":1.5,"x":1}"#,
        ];
        let inputs: Vec<Option<Vec<u8>>> = bodies
            .iter()
            .map(|b| Some(frame(id, b.as_bytes())))
            .collect();
        let (kept_path, kept) = written_back(&converter, &inputs, true);
        let (decoded_path, none) = written_back(&converter, &inputs, false);
        assert_eq!((kept, none), (2, 0));
        assert_eq!(kept_path, decoded_path);
        // The bodies after the frames' headers (the writer's id is its own).
        let body = |frame: &WrittenBack| match frame {
            Some(Ok(bytes)) => bytes[5..].to_vec(),
            other => panic!("not written: {other:?}"),
        };
        assert_eq!(body(&kept_path[0]), bodies[0].as_bytes());
        assert_eq!(body(&kept_path[1]), bodies[1].as_bytes());
        assert_ne!(body(&kept_path[2]), bodies[2].as_bytes());
    }

    #[test]
    fn payloads_the_tape_cannot_read_are_read_row_wise() {
        let schema = Schema::structure([
            (
                "m".to_string(),
                Schema::new(SchemaKind::Map(
                    Schema::new(SchemaKind::String).into_ref(),
                    Schema::new(SchemaKind::Float64).optional().into_ref(),
                ))
                .optional()
                .into_ref(),
            ),
            (
                "s".to_string(),
                Schema::new(SchemaKind::String).optional().into_ref(),
            ),
        ]);
        let bodies = [
            r#"{"m":{"a":NaN,"b":-Infinity}}"#,
            r#"{"m":{"x":1,"y":2,"x":3},"s":"dup"}"#,
            r#"{"m":{"a":007}}"#,
            r#"{"s":"a"} trailing"#,
            r#"{"s":"a"}}"#,
            "\u{feff}{\"s\":\"bom\"}",
            "  \n",
            "",
            "null",
            "[]",
            "12",
            "{\"s\":\"raw\ttab\"}",
            r#"{"s":"a""#,
        ];
        for validate in [false, true] {
            let (converter, id) = converter_for(&schema, validate);
            let inputs: Vec<Option<Vec<u8>>> = bodies
                .iter()
                .map(|b| Some(frame(id, b.as_bytes())))
                .chain([None, Some(b"\x01junk".to_vec())])
                .collect();
            assert_agree(&converter, &inputs).expect("tape and row-wise agree");
        }
    }

    #[test]
    fn string_roots_agree_with_the_row_wise_reader() {
        for schema in [
            Schema::new(SchemaKind::String),
            Schema::new(SchemaKind::String).optional(),
            Schema::new(SchemaKind::Bytes),
        ] {
            let (converter, id) = converter_for(&schema, false);
            let bodies = [
                r#""k1""#,
                " \"k2\" trailing",
                r#""a"x"#,
                r#""\u00e9\n""#,
                r#""AAE=""#,
                r#""unterminated"#,
                r#""""#,
                "12",
                "null",
            ];
            let inputs: Vec<Option<Vec<u8>>> = bodies
                .iter()
                .map(|b| Some(frame(id, b.as_bytes())))
                .collect();
            assert_agree(&converter, &inputs).expect("tape and row-wise agree");
        }
    }

    /// The writer's schema admits every finite float it writes, but an infinite one (in a field
    /// or a map value) is written as a string: that row is validated (and refused) row by row,
    /// as Confluent refuses it.
    #[test]
    fn a_non_finite_float_is_validated_when_written() {
        let float = || Schema::new(SchemaKind::Float32).into_ref();
        let string = Schema::new(SchemaKind::String).into_ref();
        let schema = Schema::structure([
            ("f".to_string(), float()),
            (
                "m".to_string(),
                Schema::new(SchemaKind::Map(string, float())).into_ref(),
            ),
        ]);
        let (converter, id) = converter_for(&schema, true);
        let fine = r#"{"f":1.5,"m":{"a":2.5}}"#;
        for infinite in [r#"{"f":3.4e39,"m":{}}"#, r#"{"f":1.5,"m":{"a":3.4e39}}"#] {
            let inputs: Vec<Option<Vec<u8>>> = [fine, infinite]
                .iter()
                .map(|b| Some(frame(id, b.as_bytes())))
                .collect();
            let decoded = assert_agree(&converter, &inputs).expect("tape and row-wise agree");
            let column = &decoded.parts[0].column;
            assert_eq!(column.data.len(), 2, "both rows read (3.4e39 is a number)");
            assert_encodes_agree(&converter, column).expect("fast and row-wise agree");
            let mut encoded = Encoded::default();
            let context = ConverterContext::single_topic(Side::Value, "t");
            converter.encode(column, &context, &mut encoded);
            let errors: Vec<usize> = encoded.errors().iter().map(|(row, _)| *row).collect();
            assert_eq!(
                errors,
                [1],
                "the infinite float fails validation: {infinite}"
            );
        }
    }

    #[test]
    fn a_group_with_an_absent_required_property_is_built_with_nullable_fields() {
        let schema = Schema::structure([
            ("a".to_string(), Schema::new(SchemaKind::Int32).into_ref()),
            (
                "b".to_string(),
                Schema::new(SchemaKind::String).optional().into_ref(),
            ),
        ]);
        let (converter, id) = converter_for(&schema, false);
        let inputs: Vec<Option<Vec<u8>>> = [r#"{"a":1,"b":"x"}"#, r#"{"b":"y"}"#, r#"{"a":null}"#]
            .iter()
            .map(|b| Some(frame(id, b.as_bytes())))
            .collect();
        assert_agree(&converter, &inputs).expect("tape and row-wise agree");
        let inputs: Vec<Option<&[u8]>> = inputs.iter().map(Option::as_deref).collect();
        let decoded = converter.decode(&inputs, &ConverterContext::single_topic(Side::Value, "t"));
        assert_eq!(decoded.parts[0].rows, [0, 1]);
        assert_eq!(decoded.errors.len(), 1);
    }
}
