//! `org.apache.kafka.connect.json.JsonConverter` over whole batches.
//!
//! Decode copies the batch's documents once into a padded buffer, parses them with simd-json into
//! one tape ([`super::tape`]), then builds one Arrow column per schema (envelopes) or per inferred
//! shape (schemaless). With `schemas.enable=true` an envelope whose `"schema"` text is the previous
//! envelope's, byte for byte, is recognised by one compare; any other schema text is located by a
//! structural scan and looked up by its bytes: a schema whose bytes were seen before is not parsed
//! again, and only the payload goes through simd-json. Encode binds each segment's column once
//! and writes rows.
//!
//! Values that go untouched to an equal converter ([`ConverterContext::keeps_verbatim`]) and are
//! already in the form it writes ([`crate::json::canonical`] schemaless,
//! [`crate::json::canonical_envelope`] in envelopes) are not decoded at all: they are kept as
//! their payload text ([`verbatim_column`]) and copied back out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow_array::builder::LargeStringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::{Array, LargeStringArray};
use arrow_buffer::Buffer;

use crate::arrow_mapping::arrow_type;
use crate::batch::Column;
use crate::column_builder::ColumnBuilder;
use crate::converter::{
    Converter, ConverterContext, Decoded, DecodedPart, Encoded, HeaderConverter,
};
use crate::error::{ConnectError, Result};
use crate::json::canonical::CanonicalCheck;
use crate::json::canonical_envelope::{EnvelopeCheck, PAYLOAD_KEY, SCHEMA_KEY};
use crate::json::encode::Slot;
use crate::json::reference::{self, JsonConfig};
use crate::json::schema_decode::PayloadDecoder;
use crate::json::schema_json::{parse_schema_with, try_write_schema_text};
use crate::json::schemaless::{append as append_schemaless, write_canonical, ShapeGrouper};
use crate::json::tape::{value_end, BatchTape, JNode, Span, TapeParser};
use crate::schema::{Schema, SchemaRef};
use crate::value::Value;

/// Kafka's class name of this converter.
pub const JSON_CONVERTER_CLASS: &str = "org.apache.kafka.connect.json.JsonConverter";

const ENVELOPE_ERROR: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";

type SchemaResult = std::result::Result<Option<SchemaRef>, ConnectError>;

/// The JsonConverter: configuration plus the schema cache keyed by schema bytes.
#[derive(Debug)]
pub struct JsonConverter {
    config: JsonConfig,
    schemas: Mutex<HashMap<Vec<u8>, SchemaResult>>,
}

/// One decoded row before columns are built.
enum RowPlan {
    /// A null value (null bytes, empty input, or a JSON null without schema).
    Null,
    /// A payload at tape node `root` with this schema (`None`: schemaless).
    Payload(Option<SchemaRef>, usize),
}

impl JsonConverter {
    /// A converter with `config`.
    pub fn new(config: JsonConfig) -> JsonConverter {
        JsonConverter {
            config,
            schemas: Mutex::new(HashMap::new()),
        }
    }

    /// From the converter's settings (`schemas.enable`, `decimal.format`, …).
    pub fn from_settings(get: impl Fn(&str) -> Option<String>) -> Result<JsonConverter> {
        Ok(JsonConverter::new(JsonConfig::from_settings(get)?))
    }

    /// The settings in force.
    pub fn config(&self) -> &JsonConfig {
        &self.config
    }

    /// The schema whose envelope text is `bytes`, parsed once per distinct text.
    fn schema_for(&self, bytes: &[u8]) -> SchemaResult {
        let mut cache = self.schemas.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hit) = cache.get(bytes) {
            return hit.clone();
        }
        let parsed = serde_json::from_slice::<serde_json::Value>(bytes)
            .map_err(|e| {
                ConnectError::data(format!("{}{e}", crate::json::tape::SERIALIZATION_ERROR))
            })
            .and_then(|json| parse_schema_with(&json, &self.config));
        if cache.len() >= self.config.schemas_cache_size.max(1) {
            cache.clear();
        }
        cache.insert(bytes.to_vec(), parsed.clone());
        parsed
    }

    /// Plans one envelope at `span`: finds schema and payload, parses the payload.
    fn plan_envelope(
        &self,
        tape: &mut BatchTape,
        parser: &mut TapeParser,
        span: Span,
        original: &[u8],
        last: &mut Option<(Span, SchemaResult)>,
    ) -> Result<RowPlan> {
        if let Some(plan) = Self::plan_like_last(tape, parser, span, original, last.as_ref()) {
            return Ok(plan);
        }
        let Some((schema_span, payload_span)) = envelope_spans(&tape.buffer, span) else {
            return self.plan_envelope_slowly(tape, parser, span);
        };
        let schema_bytes = &tape.buffer[schema_span.start..schema_span.start + schema_span.len];
        let schema = match last {
            Some((prev, result))
                if tape.buffer[prev.start..prev.start + prev.len] == *schema_bytes =>
            {
                result.clone()
            }
            _ => {
                let result = self.schema_for(schema_bytes);
                *last = Some((schema_span, result.clone()));
                result
            }
        }?;
        let root = parser.parse(tape, payload_span)?;
        Ok(RowPlan::Payload(schema, root))
    }

    /// The common case without a structural scan: `{"schema":S,"payload":P}` whose `S` is, byte
    /// for byte, the previous envelope's schema text (which parsed), so `S` ends where that text
    /// ends; `P` runs to the envelope's closing brace and must parse as exactly one value (or
    /// this is not that case). Cost: one compare of the schema bytes, the payload's parse.
    /// `None` leaves the envelope as it found it (`original`: its bytes before any parse), for
    /// the general path.
    fn plan_like_last(
        tape: &mut BatchTape,
        parser: &mut TapeParser,
        span: Span,
        original: &[u8],
        last: Option<&(Span, SchemaResult)>,
    ) -> Option<RowPlan> {
        let (prev, Ok(schema)) = last? else {
            return None;
        };
        let doc = &tape.buffer[span.start..span.start + span.len];
        let schema_text = &tape.buffer[prev.start..prev.start + prev.len];
        doc.strip_prefix(SCHEMA_KEY)?
            .strip_prefix(schema_text)?
            .strip_prefix(PAYLOAD_KEY)?;
        let payload_start = SCHEMA_KEY.len() + schema_text.len() + PAYLOAD_KEY.len();
        let closing = doc.iter().rposition(|b| !b.is_ascii_whitespace())?;
        if doc[closing] != b'}' || closing < payload_start {
            return None;
        }
        let payload = Span {
            start: span.start + payload_start,
            len: closing - payload_start,
        };
        match parser.parse_whole(tape, payload) {
            Ok(root) => Some(RowPlan::Payload(schema.clone(), root)),
            Err(_) => {
                // Not one value (another field follows it, or it is malformed): undo what the
                // failed parse unescaped in place and let the general path decide.
                tape.buffer[span.start..span.start + span.len].copy_from_slice(original);
                None
            }
        }
    }

    /// Envelopes not in `{"schema":…,"payload":…}` order: parse whole and check like Kafka.
    fn plan_envelope_slowly(
        &self,
        tape: &mut BatchTape,
        parser: &mut TapeParser,
        span: Span,
    ) -> Result<RowPlan> {
        let root = parser.parse(tape, span)?;
        let JNode::Object { len: 2, .. } = tape.node(root) else {
            return Err(ConnectError::data(ENVELOPE_ERROR));
        };
        let (mut schema_at, mut payload_at) = (None, None);
        let mut key_at = root + 1;
        for _ in 0..2 {
            if let JNode::Str { start, len } = tape.node(key_at) {
                match tape.str(start, len) {
                    "schema" => schema_at = Some(key_at + 1),
                    "payload" => payload_at = Some(key_at + 1),
                    _ => {}
                }
            }
            key_at += 1 + tape.node(key_at + 1).span();
        }
        let (Some(schema_at), Some(payload_at)) = (schema_at, payload_at) else {
            return Err(ConnectError::data(ENVELOPE_ERROR));
        };
        let mut text = Vec::new();
        write_canonical(tape, schema_at, &mut text);
        let schema = self.schema_for(&text)?;
        Ok(RowPlan::Payload(schema, payload_at))
    }

    /// Plans the document at `span`, a copy of `original`.
    fn plan_row(
        &self,
        tape: &mut BatchTape,
        parser: &mut TapeParser,
        span: Span,
        original: &[u8],
        last: &mut Option<(Span, SchemaResult)>,
    ) -> Result<RowPlan> {
        let span = skip_byte_order_mark(&tape.buffer, span);
        let original = &original[original.len() - span.len..];
        let bytes = &tape.buffer[span.start..span.start + span.len];
        if bytes
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            // Jackson reads empty or blank bytes as a MissingNode: no value without a schema,
            // and not an envelope with one (Kafka throws as for `null` or `[]`).
            return if self.config.schemas_enable {
                Err(ConnectError::data(ENVELOPE_ERROR))
            } else {
                Ok(RowPlan::Null)
            };
        }
        if self.config.schemas_enable {
            return self.plan_envelope(tape, parser, span, original, last);
        }
        let root = parser.parse(tape, span)?;
        Ok(RowPlan::Payload(None, root))
    }
}

/// `span` without a leading UTF-8 byte order mark, which Jackson skips.
fn skip_byte_order_mark(buffer: &[u8], span: Span) -> Span {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    match buffer[span.start..span.start + span.len].starts_with(BOM) {
        true => Span {
            start: span.start + BOM.len(),
            len: span.len - BOM.len(),
        },
        false => span,
    }
}

/// Finds the schema and payload values of `{"schema":S,"payload":P}` (optional whitespace
/// between tokens only where Kafka's own output has none: this is the fast path; anything
/// else takes the slow one).
fn envelope_spans(buffer: &[u8], span: Span) -> Option<(Span, Span)> {
    let doc = &buffer[span.start..span.start + span.len];
    let schema_start = SCHEMA_KEY.len();
    if !doc.starts_with(SCHEMA_KEY) {
        return None;
    }
    let schema_end = value_end(doc, schema_start)?;
    if !doc[schema_end..].starts_with(PAYLOAD_KEY) {
        return None;
    }
    let payload_start = schema_end + PAYLOAD_KEY.len();
    let payload_end = value_end(doc, payload_start)?;
    if doc.get(payload_end) != Some(&b'}') {
        return None;
    }
    Some((
        Span {
            start: span.start + schema_start,
            len: schema_end - schema_start,
        },
        Span {
            start: span.start + payload_start,
            len: payload_end - payload_start,
        },
    ))
}

/// Refuses a batch whose documents the tape cannot address: string nodes hold 32-bit offsets
/// into one buffer of every document, so its bytes (with room to rewrite each document with
/// repeated keys once) must stay within `limit`. Cost: one pass over the input lengths.
pub fn check_tape_room(inputs: &[Option<&[u8]>], limit: usize) -> Result<()> {
    let total: usize = inputs.iter().flatten().map(|b| b.len()).sum();
    let needed = total.saturating_mul(2) + simd_json::INPUT_PADDING * 2;
    if needed > limit {
        return Err(ConnectError::data(format!(
            "a JsonConverter batch of {total} bytes is more than its 32-bit tape can address; \
             cut the input into smaller batches"
        )));
    }
    Ok(())
}

/// Copies the non-null inputs back to back into a padded buffer: a batch tape with no nodes yet
/// and each input's span in its buffer. Cost: one copy of the inputs.
pub fn copy_inputs(inputs: &[Option<&[u8]>]) -> (BatchTape, Vec<Option<Span>>) {
    let total: usize = inputs.iter().flatten().map(|b| b.len()).sum();
    let mut tape = BatchTape::with_capacity(total / 8, total + simd_json::INPUT_PADDING);
    let spans = inputs
        .iter()
        .map(|input| {
            input.map(|bytes| {
                let start = tape.buffer.len();
                tape.buffer.extend_from_slice(bytes);
                Span {
                    start,
                    len: bytes.len(),
                }
            })
        })
        .collect();
    tape.buffer
        .resize(tape.buffer.len() + simd_json::INPUT_PADDING, 0);
    (tape, spans)
}

/// Rows that share one schema (by `Arc` identity; `None`: schemaless), in input order.
struct SchemaGroup {
    schema: Option<SchemaRef>,
    rows: Vec<(u32, Option<usize>)>,
}

fn group_by_schema(plans: Vec<(u32, RowPlan)>) -> Vec<SchemaGroup> {
    let mut groups: Vec<SchemaGroup> = Vec::new();
    for (row, plan) in plans {
        let (schema, root) = match plan {
            RowPlan::Null => (None, None),
            RowPlan::Payload(schema, root) => (schema, Some(root)),
        };
        let same = |g: &SchemaGroup| match (&g.schema, &schema) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        match groups.iter_mut().rev().find(|g| same(g)) {
            Some(group) => group.rows.push((row, root)),
            None => groups.push(SchemaGroup {
                schema,
                rows: vec![(row, root)],
            }),
        }
    }
    groups
}

/// Where a part's column is being built.
struct PartBuilder {
    schema: Option<SchemaRef>,
    rows: Vec<u32>,
    builder: ColumnBuilder,
}

impl JsonConverter {
    /// Decodes the payloads of `rows` (input row, payload root on the tape) of one envelope
    /// schema into one column. A row with a fractional Decimal number (`decimal.format=NUMERIC`
    /// data), which the tape holds only as a double, is read again from its exact text in
    /// `inputs` by the row-wise reference, so no digit is lost; that costs a serde_json parse of
    /// the row (integral and BASE64 decimals stay on the tape path). So is a row with a map of
    /// `[k, v]` pairs whose keys repeat or do not come in Java `HashMap` order, which Kafka
    /// merges and reorders.
    fn build_schema_part(
        &self,
        inputs: &[Option<&[u8]>],
        tape: &BatchTape,
        extra: &mut Vec<u8>,
        schema: SchemaRef,
        rows: &[(u32, Option<usize>)],
        errors: &mut Vec<(u32, ConnectError)>,
    ) -> PartBuilder {
        let mut builder = ColumnBuilder::with_capacity(&arrow_type(&schema), rows.len());
        let mut kept = Vec::with_capacity(rows.len());
        let mut decoder = PayloadDecoder {
            tape,
            extra,
            config: &self.config,
            needs_row_wise: false,
            slots: Vec::new(),
        };
        for &(row, root) in rows {
            let len = builder.len();
            let mut appended = decoder.append(&schema, root, &mut builder);
            if appended.is_err() && std::mem::take(&mut decoder.needs_row_wise) {
                builder.truncate(len);
                appended = reference::to_connect(inputs[row as usize], &self.config)
                    .and_then(|(_, value)| decoder.append_value(&schema, &value, &mut builder));
            }
            match appended {
                Ok(()) => kept.push(row),
                Err(e) => {
                    builder.truncate(len);
                    errors.push((row, e));
                }
            }
        }
        PartBuilder {
            schema: Some(schema),
            rows: kept,
            builder,
        }
    }

    fn build_schemaless_parts(
        tape: &mut BatchTape,
        parser: &mut TapeParser,
        rows: &[(u32, Option<usize>)],
        extra: &mut Vec<u8>,
        errors: &mut Vec<(u32, ConnectError)>,
    ) -> Vec<PartBuilder> {
        // Null values become JSON null roots, which join the first shape group as null rows.
        let null_at = tape.node_count();
        tape.push(JNode::Null);
        let mut grouper = ShapeGrouper::default();
        for &(row, root) in rows {
            let root = root.unwrap_or(null_at);
            if grouper.add(tape, row, root).is_err() {
                let canonical = reparse_canonical(tape, parser, root);
                // The canonical text has no repeated keys; should the reparse ever fail, the row
                // keeps its original tape and its shape becomes raw JSON text.
                if grouper.add(tape, row, canonical).is_err() {
                    errors.push((
                        row,
                        ConnectError::data("JSON object with repeated keys could not be rewritten"),
                    ));
                }
            }
        }
        let groups = grouper.finish();
        groups
            .into_iter()
            .map(|group| {
                let mut builder =
                    ColumnBuilder::with_capacity(&group.shape.data_type(), group.roots.len());
                for &root in &group.roots {
                    append_schemaless(tape, root, &group.shape, &mut builder, extra);
                }
                PartBuilder {
                    schema: None,
                    rows: group.rows,
                    builder,
                }
            })
            .collect()
    }
}

/// Rewrites the record at `root` canonically (a repeated key keeps its last value, as Jackson
/// does) at the end of the batch buffer and parses it again; returns the new root.
fn reparse_canonical(tape: &mut BatchTape, parser: &mut TapeParser, root: usize) -> usize {
    let mut text = Vec::new();
    write_canonical(tape, root, &mut text);
    let start = tape.buffer.len();
    tape.buffer.extend_from_slice(&text);
    tape.buffer
        .resize(tape.buffer.len() + simd_json::INPUT_PADDING, 0);
    // The canonical text of a parsed document always parses.
    parser
        .parse(
            tape,
            Span {
                start,
                len: text.len(),
            },
        )
        .unwrap_or(root)
}

/// Values kept as their bytes: a LargeUtf8 column of canonical JSON payload texts under `schema`
/// (`None`: schemaless). LargeUtf8 is a type no decoder produces otherwise; only the `encode` of
/// the converter that kept it (JsonConverter, in an envelope when it writes one; JsonSchemaConverter,
/// framed) reads it as it is; [`crate::value_array::value_at`] parses it. Cost: one copy of the
/// texts.
pub fn verbatim_column(schema: Option<SchemaRef>, texts: &[&str]) -> Column {
    let bytes = texts.iter().map(|text| text.len()).sum();
    let mut column = LargeStringBuilder::with_capacity(texts.len(), bytes);
    texts.iter().for_each(|text| column.append_value(text));
    Column {
        schema,
        data: Arc::new(column.finish()),
    }
}

/// The rows kept as their bytes under one schema, and their payload texts.
struct KeptPart<'b> {
    schema: Option<SchemaRef>,
    rows: Vec<u32>,
    texts: Vec<&'b str>,
}

impl JsonConverter {
    /// Decodes `inputs`, keeping the values [`CanonicalCheck`] (schemaless) or [`EnvelopeCheck`]
    /// (envelopes) find canonical as their bytes ([`verbatim_column`]) and decoding the others.
    fn decode_keeping_canonical(&self, inputs: &[Option<&[u8]>]) -> Decoded {
        let mut values = CanonicalCheck::default();
        let mut envelopes = EnvelopeCheck::default();
        let mut kept: Vec<KeptPart<'_>> = Vec::new();
        let (mut other_rows, mut others) = (Vec::new(), Vec::new());
        for (row, input) in inputs.iter().enumerate() {
            let text = input.and_then(|bytes| match self.config.schemas_enable {
                false => values.canonical_text(bytes).map(|text| (None, text)),
                true => envelopes
                    .kept_payload(bytes, |text| self.schema_for(text).ok().flatten())
                    .map(|(schema, text)| (Some(schema), text)),
            });
            let Some((schema, text)) = text else {
                other_rows.push(row as u32);
                others.push(*input);
                continue;
            };
            let same = |part: &&mut KeptPart| match (&part.schema, &schema) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (a, b) => a.is_none() && b.is_none(),
            };
            let part = match kept.iter_mut().rev().find(same) {
                Some(part) => part,
                None => {
                    // Room for every row left: usually one part takes them all.
                    let left = inputs.len() - row;
                    kept.push(KeptPart {
                        schema,
                        rows: Vec::with_capacity(left),
                        texts: Vec::with_capacity(left),
                    });
                    kept.last_mut().expect("just pushed")
                }
            };
            part.rows.push(row as u32);
            part.texts.push(text);
        }
        if kept.is_empty() {
            return self.decode_documents(inputs);
        }
        let mut decoded = match others.is_empty() {
            true => Decoded::default(),
            false => self.decode_documents(&others),
        };
        let renumber = |row: &mut u32| *row = other_rows[*row as usize];
        for part in &mut decoded.parts {
            part.rows.iter_mut().for_each(renumber);
        }
        decoded.errors.iter_mut().for_each(|(row, _)| renumber(row));
        decoded
            .parts
            .extend(kept.into_iter().map(|part| DecodedPart {
                column: verbatim_column(part.schema, &part.texts),
                rows: part.rows,
            }));
        decoded
    }

    /// Decodes every document of `inputs` (see the module doc).
    fn decode_documents(&self, inputs: &[Option<&[u8]>]) -> Decoded {
        if let Err(e) = check_tape_room(inputs, u32::MAX as usize) {
            return Decoded {
                parts: Vec::new(),
                errors: (0..inputs.len() as u32)
                    .map(|row| (row, e.clone()))
                    .collect(),
            };
        }
        let (mut tape, spans) = copy_inputs(inputs);
        let mut parser = TapeParser::default();
        let mut errors = Vec::new();
        let mut plans = Vec::with_capacity(inputs.len());
        let mut last_schema = None;
        for (row, (span, input)) in spans.iter().zip(inputs).enumerate() {
            let plan = match (span, input) {
                (Some(span), Some(input)) => {
                    self.plan_row(&mut tape, &mut parser, *span, input, &mut last_schema)
                }
                _ => Ok(RowPlan::Null),
            };
            match plan {
                Ok(plan) => plans.push((row as u32, plan)),
                Err(e) => errors.push((row as u32, e)),
            }
        }
        let mut extra = Vec::new();
        let mut parts = Vec::new();
        for group in group_by_schema(plans) {
            match group.schema {
                Some(schema) => parts.push(self.build_schema_part(
                    inputs,
                    &tape,
                    &mut extra,
                    schema,
                    &group.rows,
                    &mut errors,
                )),
                None => parts.extend(Self::build_schemaless_parts(
                    &mut tape,
                    &mut parser,
                    &group.rows,
                    &mut extra,
                    &mut errors,
                )),
            }
        }
        let buffers: Arc<[Buffer]> =
            Arc::from(vec![Buffer::from_vec(tape.buffer), Buffer::from_vec(extra)]);
        errors.sort_by_key(|(row, _)| *row);
        Decoded {
            parts: parts
                .into_iter()
                .filter(|p| !p.rows.is_empty())
                .map(|mut p| DecodedPart {
                    rows: p.rows,
                    column: Column {
                        schema: p.schema,
                        data: p.builder.finish(&buffers),
                    },
                })
                .collect(),
            errors,
        }
    }

    /// Writes a [`verbatim_column`]: each text as it is, in an envelope with its schema when
    /// `schemas.enable` is on. Cost: the schema's text once, one copy per row.
    fn encode_verbatim(
        &self,
        schema: Option<&Schema>,
        texts: &LargeStringArray,
        out: &mut Encoded,
    ) {
        let head = match (self.config.schemas_enable, schema) {
            (false, _) => None,
            (true, None) => Some("null".to_string()),
            (true, Some(schema)) => match try_write_schema_text(schema, &self.config) {
                Ok(text) => Some(text),
                Err(e) => return fail_all(texts.len(), &e, out),
            },
        };
        for text in texts {
            let Some(text) = text else {
                out.push_null();
                continue;
            };
            let buf = out.begin_row();
            if let Some(schema_text) = &head {
                buf.extend_from_slice(SCHEMA_KEY);
                buf.extend_from_slice(schema_text.as_bytes());
                buf.extend_from_slice(PAYLOAD_KEY);
            }
            buf.extend_from_slice(text.as_bytes());
            if head.is_some() {
                buf.push(b'}');
            }
            out.end_row();
        }
    }
}

impl Converter for JsonConverter {
    /// Schemaless values that the context says go untouched to an equal converter are kept as
    /// their bytes where those are canonical ([`ConverterContext::keeps_verbatim`]).
    fn decode(&self, inputs: &[Option<&[u8]>], context: &ConverterContext<'_>) -> Decoded {
        match context.keeps_verbatim() {
            true => self.decode_keeping_canonical(inputs),
            false => self.decode_documents(inputs),
        }
    }

    fn encode(&self, column: &Column, _context: &ConverterContext<'_>, out: &mut Encoded) {
        if let Some(texts) = column.data.as_string_opt::<i64>() {
            return self.encode_verbatim(column.schema.as_deref(), texts, out);
        }
        let schema = column.schema.as_deref();
        let slot = match Slot::bind(schema, column.data.as_ref(), &self.config) {
            Ok(slot) => slot,
            Err(e) => {
                fail_all(column.data.len(), &e, out);
                return;
            }
        };
        let envelope_head = match (self.config.schemas_enable, schema) {
            (false, _) => None,
            (true, None) => Some(b"{\"schema\":null,\"payload\":".to_vec()),
            (true, Some(s)) => match try_write_schema_text(s, &self.config) {
                Ok(text) => Some(format!("{{\"schema\":{text},\"payload\":").into_bytes()),
                Err(e) => {
                    fail_all(column.data.len(), &e, out);
                    return;
                }
            },
        };
        // Logical nulls: a NullArray has no validity buffer but every row is null.
        let nulls = column.data.logical_nulls();
        for row in 0..column.data.len() {
            if schema.is_none() && nulls.as_ref().is_some_and(|n| n.is_null(row)) {
                out.push_null();
                continue;
            }
            let buf = out.begin_row();
            if let Some(head) = &envelope_head {
                buf.extend_from_slice(head);
            }
            match slot.write(row, buf) {
                Ok(()) => {
                    if envelope_head.is_some() {
                        buf.push(b'}');
                    }
                    out.end_row();
                }
                Err(e) => out.fail_row(e),
            }
        }
    }
}

/// Fails every row of a column that cannot be written at all (its schema has no JSON form).
fn fail_all(rows: usize, error: &ConnectError, out: &mut Encoded) {
    for _ in 0..rows {
        out.begin_row();
        out.fail_row(error.clone());
    }
}

impl HeaderConverter for JsonConverter {
    fn to_connect(&self, _name: &str, bytes: Option<&[u8]>) -> Result<(Option<SchemaRef>, Value)> {
        reference::to_connect(bytes, &self.config)
    }

    fn to_bytes(
        &self,
        _name: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>> {
        reference::from_connect(schema, value, &self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converter::Side;
    use crate::json::reference::{from_connect, to_connect, DecimalFormat};
    use crate::schema::{Schema, SchemaKind};
    use proptest::prelude::*;

    /// Decodes and re-encodes `docs` with the columnar converter: per row, the output bytes or
    /// the error text.
    fn columnar(
        config: &JsonConfig,
        docs: &[Option<Vec<u8>>],
    ) -> Vec<std::result::Result<Option<Vec<u8>>, String>> {
        let converter = JsonConverter::new(config.clone());
        let inputs: Vec<Option<&[u8]>> = docs.iter().map(|d| d.as_deref()).collect();
        let decoded = converter.decode(&inputs, &ConverterContext::single_topic(Side::Value, "t"));
        let mut out = vec![Err("row lost".to_string()); docs.len()];
        for (row, e) in &decoded.errors {
            out[*row as usize] = Err(e.kafka_text());
        }
        for part in &decoded.parts {
            let mut encoded = Encoded::default();
            converter.encode(
                &part.column,
                &ConverterContext::single_topic(Side::Value, "t"),
                &mut encoded,
            );
            let failed: HashMap<usize, String> = encoded
                .errors()
                .iter()
                .map(|(i, e)| (*i, e.kafka_text()))
                .collect();
            for (i, row) in part.rows.iter().enumerate() {
                out[*row as usize] = match failed.get(&i) {
                    Some(e) => Err(e.clone()),
                    None => Ok(encoded.row(i).map(<[u8]>::to_vec)),
                };
            }
        }
        out
    }

    /// The same through the row-wise reference.
    fn reference(
        config: &JsonConfig,
        doc: Option<&[u8]>,
    ) -> std::result::Result<Option<Vec<u8>>, String> {
        let (schema, value) = to_connect(doc, config).map_err(|e| e.kafka_text())?;
        from_connect(schema.as_ref(), &value, config).map_err(|e| e.kafka_text())
    }

    fn parsed(bytes: &Option<Vec<u8>>) -> Option<serde_json::Value> {
        bytes
            .as_ref()
            .map(|b| serde_json::from_slice(b).unwrap_or(serde_json::Value::Null))
    }

    /// Columnar and reference agree on every row: same bytes as JSON, or both fail.
    fn assert_agree(
        config: &JsonConfig,
        docs: &[Option<Vec<u8>>],
    ) -> std::result::Result<(), TestCaseError> {
        let fast = columnar(config, docs);
        for (doc, fast) in docs.iter().zip(fast) {
            let slow = reference(config, doc.as_deref());
            match (&fast, &slow) {
                (Ok(a), Ok(b)) => prop_assert_eq!(
                    parsed(a),
                    parsed(b),
                    "doc {:?}",
                    doc.as_ref().map(|d| String::from_utf8_lossy(d))
                ),
                (Err(_), Err(_)) => {}
                _ => prop_assert!(
                    false,
                    "doc {:?}: columnar {:?} vs reference {:?}",
                    doc.as_ref().map(|d| String::from_utf8_lossy(d)),
                    fast,
                    slow
                ),
            }
        }
        Ok(())
    }

    #[test]
    fn a_negative_zero_reads_as_kafkas_big_decimal_does() {
        let config = JsonConfig::default();
        let doc = |payload: &str| {
            Some(format!(r#"{{"schema":{{"type":"double"}},"payload":{payload}}}"#).into_bytes())
        };
        let docs = [doc("-0.0"), doc("-0e3"), doc("-0"), doc("1.5")];
        let payloads: Vec<String> = columnar(&config, &docs)
            .into_iter()
            .map(|row| {
                let bytes = row.expect("decodes").expect("not null");
                let json: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
                json["payload"].to_string()
            })
            .collect();
        // BigDecimal has no negative zero (and `-0` is the integer 0).
        assert_eq!(payloads, ["0.0", "0.0", "0.0", "1.5"]);
        assert_agree(&config, &docs).expect("kernel and reference agree");
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            (-1e6f64..1e6).prop_map(serde_json::Value::from),
            "[a-c\"\\\\\n é😀]{0,6}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::vec(("[abc]", inner), 0..4)
                    .prop_map(|kv| { serde_json::Value::Object(kv.into_iter().collect()) }),
            ]
        })
    }

    fn schema_and_value() -> impl Strategy<Value = (SchemaRef, serde_json::Value)> {
        let primitive = prop_oneof![
            Just((Schema::new(SchemaKind::Int8), serde_json::json!(7))),
            Just((Schema::new(SchemaKind::Int16), serde_json::json!(-300))),
            any::<i32>().prop_map(|v| (Schema::new(SchemaKind::Int32), serde_json::json!(v))),
            any::<i64>().prop_map(|v| (Schema::new(SchemaKind::Int64), serde_json::json!(v))),
            Just((Schema::new(SchemaKind::Float32), serde_json::json!(0.1))),
            (-1e9f64..1e9).prop_map(|v| (Schema::new(SchemaKind::Float64), serde_json::json!(v))),
            any::<bool>().prop_map(|v| (Schema::new(SchemaKind::Boolean), serde_json::json!(v))),
            "[a-z\"]{0,5}".prop_map(|v| (Schema::new(SchemaKind::String), serde_json::json!(v))),
            Just((Schema::new(SchemaKind::Bytes), serde_json::json!("AAE="))),
            Just((Schema::decimal(2), serde_json::json!("AN4="))),
            Just((Schema::date(), serde_json::json!(19675))),
            Just((Schema::time(), serde_json::json!(45296789))),
            Just((Schema::timestamp(), serde_json::json!(1700000000000i64))),
            Just((Schema::new(SchemaKind::Int32), serde_json::json!("x"))),
            Just((Schema::new(SchemaKind::String), serde_json::json!(5))),
            Just((Schema::new(SchemaKind::Int32), serde_json::json!(null))),
            Just((
                Schema::new(SchemaKind::Int32)
                    .optional()
                    .with_default(Value::Int32(9)),
                serde_json::json!(null)
            )),
        ];
        let schema_value = primitive.prop_flat_map(|(schema, value)| {
            any::<bool>().prop_map(move |optional| {
                let mut schema = schema.clone();
                schema.optional |= optional;
                (schema, value.clone())
            })
        });
        schema_value
            .prop_recursive(2, 16, 3, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..3).prop_map(|items| {
                        let item_schema = items
                            .first()
                            .map(|(s, _)| s.clone())
                            .unwrap_or(Schema::new(SchemaKind::Int32));
                        let values = items
                            .into_iter()
                            .filter(|(s, _)| *s == item_schema)
                            .map(|(_, v)| v)
                            .collect::<Vec<_>>();
                        (
                            Schema::new(SchemaKind::Array(item_schema.into_ref())),
                            serde_json::Value::from(values),
                        )
                    }),
                    proptest::collection::vec(inner, 1..4).prop_map(|fields| {
                        let schema = Schema::structure(
                            fields
                                .iter()
                                .enumerate()
                                .map(|(i, (s, _))| (format!("f{i}"), s.clone().into_ref())),
                        );
                        let value = serde_json::Value::Object(
                            fields
                                .into_iter()
                                .enumerate()
                                .map(|(i, (_, v))| (format!("f{i}"), v))
                                .collect(),
                        );
                        (schema, value)
                    }),
                ]
            })
            .prop_map(|(s, v)| (s.into_ref(), v))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn schemaless_batches_agree_with_the_reference(values in proptest::collection::vec(json_value(), 1..8)) {
            let config = JsonConfig { schemas_enable: false, ..JsonConfig::default() };
            let docs: Vec<Option<Vec<u8>>> = values.iter().map(|v| Some(serde_json::to_vec(v).unwrap())).collect();
            assert_agree(&config, &docs)?;
        }

        #[test]
        fn envelope_batches_agree_with_the_reference(
            records in proptest::collection::vec(schema_and_value(), 1..6),
            numeric in any::<bool>(),
        ) {
            let config = JsonConfig {
                decimal_format: if numeric { DecimalFormat::Numeric } else { DecimalFormat::Base64 },
                ..JsonConfig::default()
            };
            let docs: Vec<Option<Vec<u8>>> = records
                .iter()
                .map(|(schema, payload)| {
                    let schema = crate::json::schema_json::try_write_schema(schema, &config).unwrap();
                    Some(serde_json::to_vec(&serde_json::json!({"schema": schema, "payload": payload})).unwrap())
                })
                .collect();
            assert_agree(&config, &docs)?;
        }
    }

    #[test]
    fn schemaless_edge_cases_agree_with_the_reference() {
        let config = JsonConfig {
            schemas_enable: false,
            ..JsonConfig::default()
        };
        let docs: Vec<Option<Vec<u8>>> = [
            r#"{"a":1} trailing"#,
            "nope",
            "",
            r#"{"dup":0,"dup":1}"#,
            r#"{"a":1,"b":{"x":1}}"#,
            r#"{"a":"s","b":{"y":2}}"#,
            "null",
            "12",
            r#"[1,"a"]"#,
        ]
        .iter()
        .map(|d| Some(d.as_bytes().to_vec()))
        .chain([None])
        .collect();
        assert_agree(&config, &docs).unwrap();
    }

    /// Deliberate difference (README): Kafka silently wraps integers beyond 64 bits and turns
    /// numbers beyond the double range into Infinity; weir refuses to alter them and fails the row.
    /// Envelopes that repeat the previous schema take a path without a structural scan; what it
    /// cannot take (another field after the payload, trailing content, a broken payload) must
    /// come out as Kafka has it, even when the payload's escapes were unescaped in place by the
    /// failed attempt.
    #[test]
    fn envelopes_repeating_a_schema_keep_kafkas_answers() {
        let config = JsonConfig::default();
        let envelope = |rest: &str| {
            Some(
                format!(r#"{{"schema":{{"type":"string","optional":false}},"payload":{rest}"#)
                    .into_bytes(),
            )
        };
        let docs = [
            envelope(r#""a\"b"}"#),
            envelope(r#""a\"b","x":1}"#),
            envelope(r#""c\"d"} }"#),
            envelope(r#""e\"f" }  "#),
            envelope(r#""g"#),
            envelope(r#""h"}"#),
        ];
        assert_agree(&config, &docs).expect("agrees with the reference");
        let rows = columnar(&config, &docs);
        assert_eq!(rows[1], Err(format!("DataException: {ENVELOPE_ERROR}")));
        let payload = |row: &std::result::Result<Option<Vec<u8>>, String>| {
            let bytes = row.clone().expect("decodes").expect("not null");
            serde_json::from_slice::<serde_json::Value>(&bytes).expect("json")["payload"].clone()
        };
        assert_eq!(payload(&rows[2]), "c\"d");
        assert_eq!(payload(&rows[3]), "e\"f");
        assert!(rows[4].is_err());
        assert_eq!(payload(&rows[5]), "h");
    }

    #[test]
    fn numeric_decimals_keep_every_digit() {
        let config = JsonConfig {
            decimal_format: DecimalFormat::Numeric,
            ..JsonConfig::default()
        };
        let envelope = |number: &str| {
            Some(
                format!(
                    r#"{{"schema":{{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{{"scale":"4"}}}},"payload":{number}}}"#
                )
                .into_bytes(),
            )
        };
        let docs = [
            envelope("12345678901234567890.1234"),
            envelope("1.5"),
            envelope("-9999999999999999.9999"),
        ];
        let out = columnar(&config, &docs);
        let payload = |row: usize| {
            let bytes = out[row].clone().expect("decodes").expect("not null");
            let text = String::from_utf8(bytes).expect("utf-8");
            text[text.find("\"payload\":").expect("payload") + 10..text.len() - 1].to_string()
        };
        assert_eq!(payload(0), "12345678901234567890.1234");
        // A BigDecimal keeps its own scale, as in Kafka (an own-scale column).
        assert_eq!(payload(1), "1.5");
        assert_eq!(payload(2), "-9999999999999999.9999");
        for row in 0..docs.len() {
            assert_eq!(out[row], reference(&config, docs[row].as_deref()));
        }
    }

    #[test]
    fn base64_decimals_of_another_scale_fail_as_in_kafka() {
        let config = JsonConfig::default();
        let envelope = |payload: &str| {
            Some(
                format!(
                    r#"{{"schema":{{"type":"struct","fields":[{{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{{"scale":"3"}},"field":"p"}}],"optional":false}},"payload":{{"p":{payload}}}}}"#
                )
                .into_bytes(),
            )
        };
        // Base64 bytes (scale 3), a number of scale 1, an integer (scale 0), a null.
        let docs = [
            envelope("\"AQI=\""),
            envelope("-1.5"),
            envelope("100"),
            envelope("null"),
        ];
        let out = columnar(&config, &docs);
        assert!(out[0].is_ok() && out[3].is_ok(), "{out:?}");
        assert_eq!(
            out[1],
            Err(
                "DataException: Decimal value has mismatching scale for given Decimal schema. \
                 Schema has scale 3, value has scale 1."
                    .to_string()
            )
        );
        assert!(out[2]
            .as_ref()
            .is_err_and(|e| e.contains("value has scale 0")));
        for (row, doc) in docs.iter().enumerate() {
            assert_eq!(out[row], reference(&config, doc.as_deref()));
        }
    }

    #[test]
    fn numbers_beyond_64_bit_range_are_row_errors() {
        let config = JsonConfig {
            schemas_enable: false,
            ..JsonConfig::default()
        };
        let docs: Vec<Option<Vec<u8>>> = ["1e400", "123456789012345678901234567890", r#"{"a":1}"#]
            .iter()
            .map(|d| Some(d.as_bytes().to_vec()))
            .collect();
        let out = columnar(&config, &docs);
        assert!(out[0].is_err() && out[1].is_err(), "{out:?}");
        assert_eq!(out[2], Ok(Some(br#"{"a":1}"#.to_vec())));
    }

    /// Jackson reads empty or blank bytes as a MissingNode: with `schemas.enable=true` that is
    /// not an envelope (Kafka's DataException, as for `null`); without, a null value. A null
    /// reference stays a tombstone either way.
    #[test]
    fn empty_and_blank_values_follow_jacksons_missing_node() {
        let docs: Vec<Option<Vec<u8>>> = ["", " ", "\r\n\t ", "null", "[]", "\"\""]
            .iter()
            .map(|d| Some(d.as_bytes().to_vec()))
            .chain([None])
            .collect();
        let out = columnar(&JsonConfig::default(), &docs);
        for row in &out[..6] {
            assert_eq!(row, &Err(ConnectError::data(ENVELOPE_ERROR).kafka_text()));
        }
        assert_eq!(out[6], Ok(None));
        assert_agree(&JsonConfig::default(), &docs).unwrap();
        let schemaless = JsonConfig {
            schemas_enable: false,
            ..JsonConfig::default()
        };
        let out = columnar(&schemaless, &docs[..3]);
        assert!(out.iter().all(|row| row == &Ok(None)), "{out:?}");
    }

    /// Deliberate difference (README): a Decimal scale Arrow cannot hold fails the record instead
    /// of being written with a clamped scale.
    #[test]
    fn decimal_scales_beyond_arrow_fail_the_record() {
        let doc = |scale: i32| {
            Some(format!(
                r#"{{"schema":{{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{{"scale":"{scale}"}}}},"payload":"AQ=="}}"#
            ).into_bytes())
        };
        let docs = vec![doc(200), doc(-129), doc(127)];
        let out = columnar(&JsonConfig::default(), &docs);
        assert!(
            out[0]
                .as_ref()
                .is_err_and(|e| e.contains("Decimal scale 200")),
            "{out:?}"
        );
        assert!(out[1].is_err(), "{out:?}");
        assert_eq!(out[2], Ok(docs[2].clone()));
        assert_agree(&JsonConfig::default(), &docs).unwrap();
    }

    #[test]
    fn a_batch_the_tape_cannot_address_is_refused() {
        let doc: &[u8] = b"{\"a\":1}";
        assert!(check_tape_room(&[Some(doc)], 1 << 10).is_ok());
        let error = check_tape_room(&[Some(doc), None, Some(doc)], 20).unwrap_err();
        assert!(error.message.contains("batch of 14 bytes"), "{error:?}");
    }

    /// A MAP whose JSON object repeats a key keeps one entry, with the last value, as Kafka's
    /// `HashMap` does.
    #[test]
    fn a_map_keeps_the_last_value_of_a_repeated_key() {
        let docs = vec![Some(
            br#"{"schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":{"a":1,"b":2,"a":3}}"#.to_vec(),
        )];
        let out = columnar(&JsonConfig::default(), &docs);
        let bytes = out[0].clone().unwrap().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(text.matches("\"a\":").count(), 1, "{text}");
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value["payload"], serde_json::json!({"a": 3, "b": 2}));
        assert_agree(&JsonConfig::default(), &docs).unwrap();
    }

    /// A MAP of `[k, v]` pairs is `put` into a Java `HashMap`: one entry per key after
    /// conversion (int8 257 wraps to 1), the last value, written back in the `HashMap`'s order
    /// (each expected order printed by jshell from the same `put`s, e.g. `{-1=n, 1=b, 2=x}`).
    #[test]
    fn a_map_of_pairs_keeps_one_entry_per_key_in_hash_map_order() {
        let envelope = |keys: &str, payload: &str| {
            Some(format!(
                r#"{{"schema":{{"type":"map","keys":{{"type":"{keys}","optional":false}},"values":{{"type":"string","optional":false}},"optional":false}},"payload":{payload}}}"#
            ).into_bytes())
        };
        let cases = [
            (
                envelope("int8", r#"[[2,"x"],[1,"a"],[257,"b"],[-1,"n"]]"#),
                r#"[[-1,"n"],[1,"b"],[2,"x"]]"#,
            ),
            (
                envelope("int32", r#"[[1,"a"],[2,"b"],[1,"c"]]"#),
                r#"[[1,"c"],[2,"b"]]"#,
            ),
            (
                envelope("int64", r#"[[17,"a"],[1,"b"]]"#),
                r#"[[17,"a"],[1,"b"]]"#,
            ),
            (
                envelope("int16", r#"[[3,"a"],[0,"b"]]"#),
                r#"[[0,"b"],[3,"a"]]"#,
            ),
            (
                envelope("boolean", r#"[[true,"a"],[false,"b"],[true,"c"]]"#),
                r#"[[false,"b"],[true,"c"]]"#,
            ),
            (
                envelope("double", r#"[[1.5,"a"],[1.5,"b"]]"#),
                r#"[[1.5,"b"]]"#,
            ),
            (envelope("int32", r#"[[5,"a"]]"#), r#"[[5,"a"]]"#),
        ];
        let docs: Vec<Option<Vec<u8>>> = cases.iter().map(|(doc, _)| doc.clone()).collect();
        for (row, (_, payload)) in columnar(&JsonConfig::default(), &docs).iter().zip(&cases) {
            let text = String::from_utf8(row.clone().unwrap().unwrap()).unwrap();
            assert!(
                text.ends_with(&format!(r#""payload":{payload}}}"#)),
                "{text}"
            );
        }
        assert_agree(&JsonConfig::default(), &docs).unwrap();
    }

    /// Jackson skips a UTF-8 byte order mark before the document.
    #[test]
    fn a_leading_byte_order_mark_is_skipped() {
        let schemaless = JsonConfig {
            schemas_enable: false,
            ..JsonConfig::default()
        };
        let docs = vec![
            Some(b"\xEF\xBB\xBF{\"a\":1}".to_vec()),
            Some(b"\xEF\xBB\xBF".to_vec()),
        ];
        let out = columnar(&schemaless, &docs);
        assert_eq!(out, vec![Ok(Some(br#"{"a":1}"#.to_vec())), Ok(None)]);
        assert_agree(&schemaless, &docs).unwrap();
        let envelope = vec![Some(
            b"\xEF\xBB\xBF{\"schema\":{\"type\":\"int32\",\"optional\":false},\"payload\":5}"
                .to_vec(),
        )];
        assert_agree(&JsonConfig::default(), &envelope).unwrap();
        assert!(columnar(&JsonConfig::default(), &envelope)[0].is_ok());
    }

    #[test]
    fn an_envelope_schema_is_parsed_once_per_distinct_text() {
        let converter = JsonConverter::new(JsonConfig::default());
        let doc = br#"{"schema":{"type":"string","optional":false},"payload":"x"}"#;
        let decoded = converter.decode(
            &[Some(doc.as_slice()), Some(doc.as_slice())],
            &ConverterContext::single_topic(Side::Value, "t"),
        );
        assert_eq!(decoded.parts.len(), 1);
        assert_eq!(converter.schemas.lock().unwrap().len(), 1);
    }
}
