//! What the two outbox event routers share (Debezium's `EventRouterDelegate`): an outbox row's
//! create event becomes the event it holds — topic from `route.by.field` through
//! `route.topic.regex` / `route.topic.replacement`, key from `table.field.event.key`, value the
//! payload (or a struct of the payload and `envelope` placements), an `id` header and `header`
//! placements, `partition` placements, the timestamp from `table.field.event.timestamp` or the
//! event's `ts_ms`. Tombstones and deletes are dropped, updates are dropped or fail per
//! `table.op.invalid.behavior`, records that are not change events pass unchanged.
//!
//! Kernel: per envelope schema a plan is made once (child positions, output schemas). Per segment
//! the rows are classified from the `op` column and the value nulls; the emitted rows' keys and
//! payloads are `take`n from the `after` struct's child arrays, their topics are routed once per
//! distinct `route.by.field` value, and only headers, partitions and timestamps are read per row.
//! Rows whose output schema is decided per row (an expanded JSON payload, a schema-version
//! column, `envelope` placements whose schema name depends on the routed value, the MongoDB
//! router's parsed `after`) and rows that fail go through the row-wise reference.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow_array::{Array, ArrayRef, StructArray};
use weir_formats::batch::{Column, Header};
use weir_formats::error::ConnectError;
use weir_formats::schema::{Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};
use weir_formats::value_array::value_at;

use super::change_event::{get, get_typed, is_envelope, java_split, java_trim, TypedGet};
use super::outbox_json_payload::{Expansion, JsonPayloadExpander};
use super::schema_name_adjuster::{NameKind, SchemaNameAdjuster};
use super::whole_record::{self, is_null_at};
use crate::config::{ConfigProblem, TransformConfig};
use crate::kafka::regex_router::RegexRouter;
use crate::kernel::requirements::require_struct_error;
use crate::kernel::routing::subset;
use crate::kernel::schema_cache::SchemaCache;
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, NO_PARTITION};

/// What `table.op.invalid.behavior` does with an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidOperation {
    /// `warn` (default) and `error`: the update is dropped (and logged).
    Skip,
    /// `fatal`: the record fails.
    Fatal,
}

/// Where an additional column goes (`table.fields.additional.placement`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A header named by the alias.
    Header,
    /// A field of the value struct named by the alias.
    Envelope,
    /// The record's partition (an INT32 column).
    Partition,
    /// A kind Debezium does not know: accepted by configure, fails every emitted event.
    Unknown,
}

/// One additional column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdditionalField {
    /// Where it goes.
    pub placement: Placement,
    /// The outbox column.
    pub field: String,
    /// The header or envelope field name.
    pub alias: String,
}

/// The keys a router reads its settings from (the SQL router's `table.*`, MongoDB's
/// `collection.*`); keys a router does not forward are `None` and take the default.
#[derive(Debug, Clone, Copy)]
pub struct OutboxKeys {
    /// The event id column and its default.
    pub event_id: (&'static str, &'static str),
    /// The event key column.
    pub event_key: &'static str,
    /// The timestamp column.
    pub event_timestamp: &'static str,
    /// The payload column.
    pub payload: &'static str,
    /// The additional placements.
    pub placement: &'static str,
    /// What a missing additional column does.
    pub missing: &'static str,
    /// The schema version column.
    pub schema_version: &'static str,
    /// The update behaviour.
    pub invalid_behavior: &'static str,
    /// JSON payload expansion, where the router forwards it.
    pub expand_json: Option<&'static str>,
    /// JSON null handling, where the router forwards it.
    pub json_null_behavior: Option<&'static str>,
}

/// The validated settings of `EventRouterDelegate`.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    field_event_id: String,
    field_event_key: String,
    field_payload: String,
    field_event_timestamp: Option<String>,
    field_schema_version: Option<String>,
    route_by_field: String,
    route_tombstone_on_empty_payload: bool,
    invalid_operation: InvalidOperation,
    additional: Vec<AdditionalField>,
    ignore_missing: bool,
    only_headers: bool,
    expand: Option<JsonPayloadExpander>,
}

/// Debezium's enum check: `value` matched ignoring case and blanks against `allowed`.
fn enum_value<'a>(
    config: &TransformConfig,
    key: &str,
    allowed: &[&'a str],
    default: &'a str,
) -> Result<&'a str, ConfigProblem> {
    let Some(raw) = config.get(key) else {
        return Ok(default);
    };
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(raw.trim()))
        .copied()
        .ok_or_else(|| {
            ConfigProblem::invalid(
                key,
                raw,
                &format!(
                    "The '{key}' value is invalid: Value must be one of {}",
                    allowed.join(", ")
                ),
            )
        })
}

/// Debezium's BOOLEAN check (`Field.isBoolean`): `default` when unset.
pub(crate) fn boolean(
    config: &TransformConfig,
    key: &str,
    default: bool,
) -> Result<bool, ConfigProblem> {
    match config.get(key).map(str::trim) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(ConfigProblem::invalid(
            key,
            v,
            &format!("The '{key}' value is invalid: A true or false value is required"),
        )),
    }
}

/// `parseAdditionalFieldsConfig` after `AdditionalFieldsValidator.isListOfStringPairs`.
fn additional_fields(
    config: &TransformConfig,
    key: &str,
) -> Result<Vec<AdditionalField>, ConfigProblem> {
    let Some(raw) = config.get(key) else {
        return Ok(Vec::new());
    };
    let invalid = || {
        ConfigProblem::invalid(
            key,
            raw,
            &format!(
                "The '{key}' value is invalid: A comma-separated list of valid String pairs or trios is expected but got: {raw}"
            ),
        )
    };
    let mut fields = Vec::new();
    for mapping in raw.split(',') {
        let parts = java_split(mapping, ':');
        if parts.len() != 2 && parts.len() != 3 {
            return Err(invalid());
        }
        let field = parts[0].trim().to_string();
        let placement = match parts[1].trim().to_ascii_lowercase().as_str() {
            "header" => Placement::Header,
            "envelope" => Placement::Envelope,
            "partition" => Placement::Partition,
            _ => Placement::Unknown,
        };
        let alias = parts.get(2).map_or(field.clone(), |a| a.trim().to_string());
        fields.push(AdditionalField {
            placement,
            field,
            alias,
        });
    }
    Ok(fields)
}

impl OutboxSettings {
    /// Reads and validates the settings under `keys`, with Debezium's defaults and messages.
    pub fn from_config(config: &TransformConfig, keys: &OutboxKeys) -> Result<Self, ConfigProblem> {
        let invalid_operation = match enum_value(
            config,
            keys.invalid_behavior,
            &["warn", "error", "fatal"],
            "warn",
        )? {
            "fatal" => InvalidOperation::Fatal,
            _ => InvalidOperation::Skip,
        };
        let ignore_missing =
            enum_value(config, keys.missing, &["error", "ignore"], "error")? == "ignore";
        let nulls_as_bytes = match keys.json_null_behavior {
            Some(key) => {
                enum_value(config, key, &["ignore", "optional_bytes"], "ignore")?
                    == "optional_bytes"
            }
            None => false,
        };
        let expand = match keys.expand_json {
            Some(key) if boolean(config, key, false)? => Some(JsonPayloadExpander {
                nulls_as_bytes,
                field_names: SchemaNameAdjuster::parse(
                    "field.name.adjustment.mode",
                    config.get("field.name.adjustment.mode"),
                    NameKind::Field,
                )?,
            }),
            _ => None,
        };
        let additional = additional_fields(config, keys.placement)?;
        let string =
            |key: &str, default: &str| config.get(key).unwrap_or(default).trim().to_string();
        let optional = |key: &str| config.get(key).map(|v| v.trim().to_string());
        Ok(OutboxSettings {
            field_event_id: string(keys.event_id.0, keys.event_id.1),
            field_event_key: string(keys.event_key, "aggregateid"),
            field_payload: string(keys.payload, "payload"),
            field_event_timestamp: optional(keys.event_timestamp),
            field_schema_version: optional(keys.schema_version),
            route_by_field: string("route.by.field", "aggregatetype"),
            route_tombstone_on_empty_payload: boolean(
                config,
                "route.tombstone.on.empty.payload",
                false,
            )?,
            invalid_operation,
            only_headers: !additional
                .iter()
                .any(|f| f.placement == Placement::Envelope),
            additional,
            ignore_missing,
            expand,
        })
    }
}

/// Rewrites a change event before the router reads it (the MongoDB router parses `after`).
pub trait RecordConverter: Send + Sync + std::fmt::Debug {
    /// The converted record (Debezium's `RecordConverter.convert`).
    fn convert(&self, record: ConnectRecord) -> ConnectRecord;
}

/// The configured router: settings, the topic router and the value-schema caches Debezium keeps
/// (keyed by payload schema, or by schema version when a version column is set; the first event
/// seen names the schema).
#[derive(Debug)]
pub struct OutboxRouter {
    settings: OutboxSettings,
    router: RegexRouter,
    converter: Option<Arc<dyn RecordConverter>>,
    by_payload: Mutex<Vec<(SchemaRef, SchemaRef)>>,
    by_version: Mutex<HashMap<Option<i32>, SchemaRef>>,
    plans: SchemaCache<Option<Plan>>,
}

/// The columnar plan of one envelope schema.
#[derive(Debug)]
struct Plan {
    op: usize,
    after: usize,
    ts_ms: Option<usize>,
    payload: usize,
    payload_schema: SchemaRef,
    id: usize,
    id_schema: SchemaRef,
    key: usize,
    key_schema: SchemaRef,
    route: usize,
    /// The timestamp column and its divisor to milliseconds.
    timestamp: Option<(usize, i64)>,
    /// Header placements: alias, column, column schema.
    headers: Vec<(Arc<str>, usize, SchemaRef)>,
    partition: Option<usize>,
}

impl OutboxRouter {
    /// The router of `settings`, with the topic regex and replacement read from `config` and an
    /// optional converter. Cost: compiling the regex.
    pub fn new(
        config: &TransformConfig,
        settings: OutboxSettings,
        converter: Option<Arc<dyn RecordConverter>>,
    ) -> Result<OutboxRouter, ConfigProblem> {
        let regex = config
            .get("route.topic.regex")
            .unwrap_or("(?<routedByValue>.*)")
            .trim()
            .to_string();
        let replacement = config
            .get("route.topic.replacement")
            .unwrap_or("outbox.event.${routedByValue}")
            .trim()
            .to_string();
        let router = RegexRouter::from_config(&TransformConfig::new(
            &config.alias,
            "org.apache.kafka.connect.transforms.RegexRouter",
            [
                ("regex".to_string(), regex),
                ("replacement".to_string(), replacement),
            ],
        ))
        .map_err(|p| ConfigProblem::new("route.topic.regex", p.message))?;
        Ok(OutboxRouter {
            settings,
            router,
            converter,
            by_payload: Mutex::new(Vec::new()),
            by_version: Mutex::new(HashMap::new()),
            plans: SchemaCache::default(),
        })
    }

    /// The value struct schema of an `envelope`-placement event (`getValueSchema`), from the cache
    /// or built and cached.
    fn value_schema(
        &self,
        payload_schema: Option<&SchemaRef>,
        event_schema: &SchemaRef,
        version: Option<Option<i32>>,
        routed: Option<&str>,
    ) -> Result<SchemaRef, ConnectError> {
        let Some(payload_schema) = payload_schema else {
            return Err(ConnectError::data("Payload schema is null"));
        };
        if let Some(version) = version {
            let mut cache = self.by_version.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(hit) = cache.get(&version) {
                return Ok(hit.clone());
            }
            let mut schema = self.build_value_schema(payload_schema, event_schema, routed)?;
            schema.version = version;
            let schema = schema.into_ref();
            cache.insert(version, schema.clone());
            return Ok(schema);
        }
        let mut cache = self.by_payload.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, hit)) = cache.iter().find(|(p, _)| p == payload_schema) {
            return Ok(hit.clone());
        }
        let schema = self
            .build_value_schema(payload_schema, event_schema, routed)?
            .into_ref();
        if cache.len() >= 10_000 {
            cache.clear();
        }
        cache.push((payload_schema.clone(), schema.clone()));
        Ok(schema)
    }

    /// `getSchemaBuilder`: `payload` then the envelope placements, named after the event schema
    /// with the routed value inserted before its last part.
    fn build_value_schema(
        &self,
        payload_schema: &SchemaRef,
        event_schema: &SchemaRef,
        routed: Option<&str>,
    ) -> Result<Schema, ConnectError> {
        let routed = routed.unwrap_or("null");
        let name = match event_schema.name.as_deref() {
            Some(original) => match original.rfind('.') {
                Some(dot) => format!("{}{routed}.{}", &original[..=dot], &original[dot + 1..]),
                None => format!("{routed}.{original}"),
            },
            None => routed.to_string(),
        };
        let mut fields = vec![weir_formats::schema::Field {
            name: "payload".to_string(),
            schema: payload_schema.clone(),
        }];
        for extra in self
            .settings
            .additional
            .iter()
            .filter(|f| f.placement == Placement::Envelope)
        {
            match event_schema.field(&extra.field) {
                Some((_, field)) => {
                    if fields.iter().any(|f| f.name == extra.alias) {
                        return Err(ConnectError::data(format!(
                            "Cannot create field because of field name duplication {}",
                            extra.alias
                        )));
                    }
                    fields.push(weir_formats::schema::Field {
                        name: extra.alias.clone(),
                        schema: field.schema.clone(),
                    });
                }
                None if self.settings.ignore_missing => {}
                None => {
                    return Err(ConnectError::data(format!(
                        "Unable to find field {} in event",
                        extra.field
                    )))
                }
            }
        }
        Ok(Schema::new(SchemaKind::Struct(fields)).with_name(name))
    }

    /// The row-wise reference (`EventRouterDelegate.apply`).
    pub fn apply_record(
        &self,
        record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let s = &self.settings;
        if record.value.is_null() {
            return Ok(None);
        }
        if !is_envelope(record.value_schema.as_ref()) {
            return Ok(Some(record));
        }
        let Value::Struct(envelope) = &record.value else {
            return Err(require_struct_error(
                "Detect Debezium Operation",
                &record.value,
            ));
        };
        let op = match get_typed(envelope, "op", TypedGet::String)? {
            Value::String(op) => op,
            _ => {
                return Err(ConnectError::data(
                    "Cannot invoke \"String.equals(Object)\" because \"op\" is null",
                ))
            }
        };
        if op == "d" {
            return Ok(None);
        }
        if op == "u" {
            return match s.invalid_operation {
                InvalidOperation::Skip => Ok(None),
                InvalidOperation::Fatal => Err(ConnectError::data(format!(
                    "Unexpected update message received {}, fail.",
                    record.key
                ))),
            };
        }
        let record = match &self.converter {
            Some(c) => c.convert(record),
            None => record,
        };
        let Value::Struct(envelope) = &record.value else {
            return Err(require_struct_error("Outbox converter", &record.value));
        };
        let envelope_schema = record
            .value_schema
            .clone()
            .unwrap_or_else(|| envelope.schema.clone());
        let (_, after_field) = envelope_schema
            .field("after")
            .ok_or_else(|| ConnectError::data("Unknown field: after"))?;
        let event_schema = after_field.schema.clone();
        let event = match envelope.get("after") {
            Some(Value::Struct(event)) => event.clone(),
            other => {
                return Err(require_struct_error(
                    "Read Outbox Event",
                    other.unwrap_or(&Value::Null),
                ))
            }
        };
        let (_, payload_field) = event_schema.field(&s.field_payload).ok_or_else(|| {
            ConnectError::data(format!(
                "Unable to find payload field {} in event",
                s.field_payload
            ))
        })?;
        let mut payload_schema = Some(payload_field.schema.clone());
        let timestamp = self.event_timestamp(envelope, &event)?;
        let event_id = get(&event, &s.field_event_id)?;
        let mut payload = get(&event, &s.field_payload)?;
        let (_, id_field) = event_schema.field(&s.field_event_id).ok_or_else(|| {
            ConnectError::data(format!(
                "Unable to find event-id field {} in event",
                s.field_event_id
            ))
        })?;
        let mut headers = record.headers.clone();
        headers.push(Header {
            name: "id".into(),
            schema: Some(id_field.schema.clone()),
            value: event_id,
        });
        if let (Some(expander), Value::String(text)) = (&s.expand, &payload) {
            if let Expansion::Replaced(schema, value) = expander.expand(&s.field_payload, text) {
                payload_schema = schema;
                payload = value;
            }
        }
        let struct_schema = if s.only_headers {
            None
        } else {
            let version = match &s.field_schema_version {
                Some(field) => Some(match get_typed(&event, field, TypedGet::Int32)? {
                    Value::Int32(v) => Some(v),
                    _ => None,
                }),
                None => None,
            };
            let routed = route_value(&event, &s.route_by_field)?;
            Some(self.value_schema(
                payload_schema.as_ref(),
                &event_schema,
                version,
                routed.as_deref(),
            )?)
        };
        let mut struct_values = match &struct_schema {
            Some(schema) => {
                check_fits(&payload, payload_schema.as_ref(), "payload")?;
                let mut values = vec![Value::Null; schema.fields().len()];
                values[0] = payload.clone();
                Some(values)
            }
            None => None,
        };
        let mut partition = NO_PARTITION;
        for extra in &s.additional {
            if s.ignore_missing && event_schema.field(&extra.field).is_none() {
                continue;
            }
            match extra.placement {
                Placement::Envelope => {
                    let value = get(&event, &extra.field)?;
                    if let (Some(schema), Some(values)) = (&struct_schema, &mut struct_values) {
                        let (index, field) = schema.field(&extra.alias).ok_or_else(|| {
                            ConnectError::data(format!("{} is not a valid field name", extra.alias))
                        })?;
                        check_fits(&value, Some(&field.schema), &extra.alias)?;
                        values[index] = value;
                    }
                }
                Placement::Header => {
                    let value = get(&event, &extra.field)?;
                    let schema = event_schema
                        .field(&extra.field)
                        .map(|(_, f)| f.schema.clone());
                    headers.push(Header {
                        name: extra.alias.as_str().into(),
                        schema,
                        value,
                    });
                }
                Placement::Partition => {
                    partition = match get_typed(&event, &extra.field, TypedGet::Int32)? {
                        Value::Int32(p) => p,
                        _ => NO_PARTITION,
                    };
                }
                Placement::Unknown => {
                    return Err(ConnectError::data(
                        "Cannot invoke \"AdditionalFieldPlacement.ordinal()\" because the placement is null",
                    ))
                }
            }
        }
        let is_delete = match &payload {
            Value::Null => true,
            Value::String(text) => java_trim(text).is_empty(),
            _ => false,
        };
        let (value_schema, value) = if is_delete && s.route_tombstone_on_empty_payload {
            (None, Value::Null)
        } else if let (Some(schema), Some(values)) = (struct_schema, struct_values) {
            (
                Some(schema.clone()),
                Value::Struct(Struct { schema, values }),
            )
        } else {
            (payload_schema, payload)
        };
        let key = get(&event, &s.field_event_key)?;
        let key_schema = event_schema
            .field(&s.field_event_key)
            .map(|(_, f)| f.schema.clone());
        let topic = route_value(&event, &s.route_by_field)?.ok_or_else(|| {
            ConnectError::data(
                "Cannot invoke \"java.lang.CharSequence.length()\" because \"this.text\" is null",
            )
        })?;
        let topic = self.router.route(&topic)?.unwrap_or(topic);
        Ok(Some(ConnectRecord {
            topic,
            partition,
            offset: record.offset,
            timestamp,
            key_schema,
            key,
            value_schema,
            value,
            headers,
        }))
    }

    /// `getEventTimestampMs`.
    fn event_timestamp(
        &self,
        envelope: &Struct,
        event: &Struct,
    ) -> Result<Option<i64>, ConnectError> {
        let ts_ms = || match get_typed(envelope, "ts_ms", TypedGet::Int64)? {
            Value::Int64(ts) => Ok(Some(ts)),
            _ => Ok(None),
        };
        let Some(field) = &self.settings.field_event_timestamp else {
            return ts_ms();
        };
        let (_, timestamp_field) = event.schema.field(field).ok_or_else(|| {
            ConnectError::data(format!("Unable to find timestamp field {field} in event"))
        })?;
        let raw = match get_typed(event, field, TypedGet::Int64)? {
            Value::Int64(v) => v,
            _ => return ts_ms(),
        };
        let divisor = timestamp_divisor(&timestamp_field.schema)?;
        Ok(Some(raw / divisor))
    }

    /// The plan of envelope schema `schema`, `None` where any event of it needs the reference
    /// (a column missing, typed or defaulted otherwise than the columnar path handles).
    fn plan(&self, schema: &SchemaRef) -> Option<Plan> {
        let s = &self.settings;
        // A converter (the MongoDB router's) rewrites `after` per record, so the event's schema
        // is only known row by row: every row takes the reference.
        if self.converter.is_some()
            || s.expand.is_some()
            || s.field_schema_version.is_some()
            || !s.only_headers
        {
            return None;
        }
        let (op, op_field) = schema.field("op")?;
        let (after, after_field) = schema.field("after")?;
        if op_field.schema.kind != SchemaKind::String
            || !matches!(after_field.schema.kind, SchemaKind::Struct(_))
        {
            return None;
        }
        let event = &after_field.schema;
        let column = |name: &str| {
            event
                .field(name)
                .filter(|(_, f)| f.schema.default.is_none())
                .map(|(i, f)| (i, f.schema.clone()))
        };
        let (payload, payload_schema) = column(&s.field_payload)?;
        let (id, id_schema) = column(&s.field_event_id)?;
        let (key, key_schema) = column(&s.field_event_key)?;
        let (route, route_schema) = column(&s.route_by_field)?;
        if route_schema.kind != SchemaKind::String {
            return None;
        }
        let ts_ms = match schema.field("ts_ms") {
            Some((i, f)) if f.schema.kind == SchemaKind::Int64 => Some(i),
            Some(_) => return None,
            None => None,
        };
        let timestamp = match &s.field_event_timestamp {
            Some(field) => {
                let (i, schema) = column(field)?;
                if schema.kind != SchemaKind::Int64 {
                    return None;
                }
                Some((i, timestamp_divisor(&schema).ok()?))
            }
            None => {
                ts_ms?;
                None
            }
        };
        let mut headers = Vec::new();
        let mut partition = None;
        for extra in &s.additional {
            match (column(&extra.field), extra.placement) {
                (None, _) if s.ignore_missing && event.field(&extra.field).is_none() => {}
                (Some((i, schema)), Placement::Header) => {
                    headers.push((Arc::from(extra.alias.as_str()), i, schema))
                }
                (Some((i, schema)), Placement::Partition) if schema.kind == SchemaKind::Int32 => {
                    partition = Some(i)
                }
                _ => return None,
            }
        }
        Some(Plan {
            op,
            after,
            ts_ms,
            payload,
            payload_schema,
            id,
            id_schema,
            key,
            key_schema,
            route,
            timestamp,
            headers,
            partition,
        })
    }

    /// The vectorized kernel (see the module doc).
    pub fn apply(&self, mut input: SegmentInput<'_>) -> SegmentOutput {
        let n = input.rows.len();
        let value_data = input.value.data.clone();
        let mut output = SegmentOutput::default();
        if !is_envelope(input.value.schema.as_ref()) {
            let kept: Vec<u32> = (0..n as u32)
                .filter(|&i| !is_null_at(value_data.as_ref(), i as usize))
                .collect();
            output.dropped = (0..n as u32)
                .filter(|&i| is_null_at(value_data.as_ref(), i as usize))
                .collect();
            if !kept.is_empty() {
                whole_record::push_part(
                    &mut output,
                    subset(input.key, &kept),
                    subset(input.value, &kept),
                    kept,
                )
            }
            return whole_record::finish(output);
        }
        let plan = match input.value.schema.as_ref() {
            Some(schema) => self
                .plans
                .get_or_try::<()>(schema, || Ok(self.plan(schema)))
                .ok(),
            None => None,
        };
        match (
            plan.as_deref(),
            value_data.as_any().downcast_ref::<StructArray>(),
        ) {
            (Some(Some(plan)), Some(envelope)) => {
                self.apply_planned(&mut input, plan, envelope, output)
            }
            _ => {
                let all: Vec<u32> = (0..n as u32).collect();
                whole_record::apply_rows(&mut input, &all, |r| self.apply_record(r), &mut output);
                whole_record::finish(output)
            }
        }
    }

    /// The columnar path over an envelope segment with a plan.
    fn apply_planned(
        &self,
        input: &mut SegmentInput<'_>,
        plan: &Plan,
        envelope: &StructArray,
        mut output: SegmentOutput,
    ) -> SegmentOutput {
        let s = &self.settings;
        let n = input.rows.len();
        let op = envelope.column(plan.op);
        let after = envelope.column(plan.after);
        let Some(event) = after.as_any().downcast_ref::<StructArray>() else {
            let all: Vec<u32> = (0..n as u32).collect();
            whole_record::apply_rows(input, &all, |r| self.apply_record(r), &mut output);
            return whole_record::finish(output);
        };
        let text = |array: &ArrayRef, i: usize| -> Option<String> {
            match value_at(None, array.as_ref(), i) {
                Value::String(s) => Some(s),
                _ => None,
            }
        };
        let mut emitted = Vec::new();
        let mut slow = Vec::new();
        for i in 0..n {
            if envelope.is_null(i) {
                output.dropped.push(i as u32);
                continue;
            }
            match text(op, i).as_deref() {
                None => slow.push(i as u32),
                Some("d") => output.dropped.push(i as u32),
                Some("u") if s.invalid_operation == InvalidOperation::Skip => {
                    output.dropped.push(i as u32)
                }
                Some("u") => slow.push(i as u32),
                Some(_) if after.is_null(i) => slow.push(i as u32),
                Some(_) => {
                    if event.column(plan.route).is_null(i) {
                        slow.push(i as u32)
                    } else {
                        emitted.push(i as u32)
                    }
                }
            }
        }
        // Topics: routed once per distinct route value.
        let route = event.column(plan.route);
        let mut routed: HashMap<String, Result<u32, ConnectError>> = HashMap::new();
        let mut tombstones = Vec::new();
        let mut events = Vec::new();
        let payload = event.column(plan.payload);
        let mut header_rows = Vec::new();
        let mut new_headers = Vec::new();
        for &i in &emitted {
            let row = input.rows[i as usize] as usize;
            let value = text(route, i as usize).unwrap_or_default();
            let topic = routed
                .entry(value.clone())
                .or_insert_with(|| {
                    self.router
                        .route(&value)
                        .map(|t| input.meta.intern_topic(&t.unwrap_or(value)))
                })
                .clone();
            let topic = match topic {
                Ok(topic) => topic,
                Err(e) => {
                    output.errors.push((i, e));
                    continue;
                }
            };
            input.meta.topic_ids[row] = topic;
            let partition = plan
                .partition
                .and_then(
                    |p| match value_at(None, event.column(p).as_ref(), i as usize) {
                        Value::Int32(v) => Some(v),
                        _ => None,
                    },
                )
                .unwrap_or(NO_PARTITION);
            input.meta.set_partition(row, partition);
            let timestamp = self.planned_timestamp(plan, envelope, event, i as usize);
            input.meta.timestamps.set(row, timestamp);
            let mut added = vec![Header {
                name: "id".into(),
                schema: Some(plan.id_schema.clone()),
                value: value_at(
                    Some(&plan.id_schema),
                    event.column(plan.id).as_ref(),
                    i as usize,
                ),
            }];
            for (alias, column, schema) in &plan.headers {
                added.push(Header {
                    name: alias.clone(),
                    schema: Some(schema.clone()),
                    value: value_at(Some(schema), event.column(*column).as_ref(), i as usize),
                });
            }
            header_rows.push(row as u32);
            new_headers.push(added);
            let is_delete = payload.is_null(i as usize)
                || matches!(value_at(Some(&plan.payload_schema), payload.as_ref(), i as usize),
                    Value::String(t) if java_trim(&t).is_empty());
            if is_delete && s.route_tombstone_on_empty_payload {
                tombstones.push(i);
            } else {
                events.push(i);
            }
        }
        let mut added = new_headers.into_iter();
        input.meta.headers.edit_rows(&header_rows, |_, h| {
            h.extend(added.next().unwrap_or_default());
        });
        let key_column = Column {
            schema: Some(plan.key_schema.clone()),
            data: event.column(plan.key).clone(),
        };
        let payload_column = Column {
            schema: Some(plan.payload_schema.clone()),
            data: payload.clone(),
        };
        for (indices, tombstone) in [(events, false), (tombstones, true)] {
            if indices.is_empty() {
                continue;
            }
            let key = subset(&key_column, &indices);
            let value = if tombstone {
                Ok(Column {
                    schema: None,
                    data: arrow_array::new_null_array(&arrow_schema::DataType::Null, indices.len()),
                })
            } else {
                subset(&payload_column, &indices)
            };
            whole_record::push_part(&mut output, key, value, indices)
        }
        whole_record::apply_rows(input, &slow, |r| self.apply_record(r), &mut output);
        whole_record::finish(output)
    }

    /// The timestamp of an emitted row on the columnar path.
    fn planned_timestamp(
        &self,
        plan: &Plan,
        envelope: &StructArray,
        event: &StructArray,
        i: usize,
    ) -> Option<i64> {
        let int64 = |array: &ArrayRef| match value_at(None, array.as_ref(), i) {
            Value::Int64(v) => Some(v),
            _ => None,
        };
        let ts_ms = || plan.ts_ms.and_then(|c| int64(envelope.column(c)));
        match plan.timestamp {
            Some((column, divisor)) => int64(event.column(column))
                .map(|v| v / divisor)
                .or_else(ts_ms),
            None => ts_ms(),
        }
    }
}

/// `eventStruct.getString(routeByField)`.
fn route_value(event: &Struct, field: &str) -> Result<Option<String>, ConnectError> {
    Ok(match get_typed(event, field, TypedGet::String)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// The divisor from a timestamp column's logical type to milliseconds.
fn timestamp_divisor(schema: &Schema) -> Result<i64, ConnectError> {
    match schema.name.as_deref() {
        None => Err(ConnectError::data(format!(
            "Unsupported field type {} (without logical schema name) for event timestamp",
            schema.type_name().to_uppercase()
        ))),
        Some("org.apache.kafka.connect.data.Timestamp" | "io.debezium.time.Timestamp") => Ok(1),
        Some("io.debezium.time.MicroTimestamp") => Ok(1_000),
        Some("io.debezium.time.NanoTimestamp") => Ok(1_000_000),
        Some(other) => Err(ConnectError::data(format!(
            "Unsupported field type {other} for event timestamp"
        ))),
    }
}

/// `Struct.put`'s check of a top-level value against its field schema.
fn check_fits(value: &Value, schema: Option<&SchemaRef>, field: &str) -> Result<(), ConnectError> {
    let Some(schema) = schema else {
        return Err(ConnectError::data(format!(
            "Invalid schema for field \"{field}\": null"
        )));
    };
    let fits = match (value, &schema.kind) {
        (Value::Null, _) => schema.optional,
        (Value::Struct(_), SchemaKind::Struct(_)) => true,
        (Value::Struct(_), _) | (_, SchemaKind::Struct(_)) => false,
        (Value::String(_), kind) => *kind == SchemaKind::String,
        _ => true,
    };
    if fits {
        Ok(())
    } else {
        Err(ConnectError::data(format!(
            "Invalid Java object for schema with type {}: {} for field: \"{field}\"",
            schema.type_name().to_uppercase(),
            value.java_class()
        )))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use weir_formats::schema::Field;

    use super::*;
    use crate::debezium::outbox_event_router::build;
    use crate::kernel::routing::testkit::{assert_agree, kernel, reference};
    use crate::transform::Transform;

    fn s(kind: SchemaKind) -> SchemaRef {
        Schema::new(kind).into_ref()
    }

    fn event_schema() -> SchemaRef {
        let named = |kind, name: &str| Schema::new(kind).with_name(name).into_ref();
        Schema::structure([
            (
                "id".to_string(),
                named(SchemaKind::String, "io.debezium.data.Uuid"),
            ),
            ("aggregatetype".to_string(), s(SchemaKind::String)),
            ("aggregateid".to_string(), s(SchemaKind::String)),
            ("type".to_string(), s(SchemaKind::String)),
            (
                "timestamp".to_string(),
                named(SchemaKind::Int64, "io.debezium.time.MicroTimestamp"),
            ),
            (
                "payload".to_string(),
                Schema::new(SchemaKind::String).optional().into_ref(),
            ),
            (
                "tenant".to_string(),
                Schema::new(SchemaKind::Int32).optional().into_ref(),
            ),
        ])
        .with_name("srv.public.outbox.Value")
        .optional()
        .into_ref()
    }

    fn envelope_schema() -> SchemaRef {
        Schema::new(SchemaKind::Struct(vec![
            Field {
                name: "before".into(),
                schema: event_schema(),
            },
            Field {
                name: "after".into(),
                schema: event_schema(),
            },
            Field {
                name: "op".into(),
                schema: s(SchemaKind::String),
            },
            Field {
                name: "ts_ms".into(),
                schema: Schema::new(SchemaKind::Int64).optional().into_ref(),
            },
        ]))
        .with_name("srv.public.outbox.Envelope")
        .into_ref()
    }

    type Row = (String, String, Option<String>, Option<i32>, i64);

    fn event(row: &Row, n: i64) -> Value {
        let (op, route, payload, tenant, ts) = row;
        let _ = op;
        Value::Struct(Struct {
            schema: event_schema(),
            values: vec![
                Value::String(format!("uuid-{n}")),
                Value::String(route.clone()),
                Value::String(format!("agg-{}", n % 3)),
                Value::String("Created".into()),
                Value::Int64(*ts),
                payload.clone().map_or(Value::Null, Value::String),
                tenant.map_or(Value::Null, Value::Int32),
            ],
        })
    }

    fn records(rows: Vec<(Row, bool)>) -> Vec<ConnectRecord> {
        let schema = envelope_schema();
        rows.into_iter()
            .enumerate()
            .map(|(n, (row, tombstone))| {
                let after = if row.0 == "d" {
                    Value::Null
                } else {
                    event(&row, n as i64)
                };
                let value = if tombstone {
                    Value::Null
                } else {
                    Value::Struct(Struct {
                        schema: schema.clone(),
                        values: vec![
                            Value::Null,
                            after,
                            Value::String(row.0.clone()),
                            Value::Int64(1_700_000_000_000 + n as i64),
                        ],
                    })
                };
                ConnectRecord {
                    topic: "srv.public.outbox".into(),
                    partition: 0,
                    offset: n as i64,
                    timestamp: Some(1),
                    key_schema: None,
                    key: Value::Null,
                    value_schema: Some(schema.clone()),
                    value,
                    headers: Vec::new(),
                }
            })
            .collect()
    }

    fn arb_rows() -> impl Strategy<Value = Vec<(Row, bool)>> {
        let row = (
            prop_oneof![Just("c"), Just("r"), Just("u"), Just("d")].prop_map(String::from),
            prop_oneof![Just("Order"), Just("Customer"), Just("a.b")].prop_map(String::from),
            prop_oneof![
                Just(Some(r#"{"id":1,"lines":[{"q":2}],"n":null}"#.to_string())),
                Just(Some("  ".to_string())),
                Just(Some("not json".to_string())),
                Just(None),
            ],
            prop::option::of(0i32..8),
            0i64..5_000_000_000_000_000,
        );
        prop::collection::vec((row, prop::bool::weighted(0.15)), 0..12)
    }

    fn router(pairs: &[(&str, &str)]) -> Arc<dyn Transform> {
        build(&TransformConfig::new(
            "outbox",
            "io.debezium.transforms.outbox.EventRouter",
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        ))
        .unwrap()
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(
            rows in arb_rows(),
            config in prop_oneof![
                Just(vec![]),
                Just(vec![("table.fields.additional.placement", "type:header:eventType,tenant:partition")]),
                Just(vec![("route.tombstone.on.empty.payload", "true"), ("table.field.event.timestamp", "timestamp")]),
                Just(vec![("table.fields.additional.placement", "type:envelope,aggregateid:header")]),
                Just(vec![("table.expand.json.payload", "true")]),
                Just(vec![("table.op.invalid.behavior", "fatal"), ("route.topic.replacement", "x.${routedByValue}")]),
                Just(vec![("table.fields.additional.placement", "missing:header"), ("table.field.additional.missing", "ignore")]),
                Just(vec![("table.fields.additional.placement", "missing:header")]),
            ],
        ) {
            let t = router(&config);
            let records = records(rows);
            assert_agree(&kernel(t.as_ref(), &records), &reference(t.as_ref(), &records));
        }
    }

    fn one(config: &[(&str, &str)], row: Row) -> Result<Option<ConnectRecord>, ConnectError> {
        let t = router(config);
        let record = records(vec![(row, false)]).remove(0);
        t.apply_record(record)
    }

    fn row(op: &str, payload: Option<&str>) -> Row {
        (
            "".to_string() + op,
            "Order".into(),
            payload.map(str::to_string),
            Some(3),
            5_000_000,
        )
    }

    #[test]
    fn creates_become_events_and_other_operations_are_dropped() {
        let r = one(&[], row("c", Some("{}"))).unwrap().unwrap();
        assert_eq!(r.topic, "outbox.event.Order");
        assert_eq!(r.partition, NO_PARTITION);
        assert_eq!(r.key, Value::String("agg-0".into()));
        assert_eq!(r.value, Value::String("{}".into()));
        assert_eq!(r.timestamp, Some(1_700_000_000_000));
        assert_eq!(&*r.headers[0].name, "id");
        assert_eq!(one(&[], row("d", None)).unwrap(), None);
        assert_eq!(one(&[], row("u", Some("{}"))).unwrap(), None);
        assert!(one(
            &[("table.op.invalid.behavior", "fatal")],
            row("u", Some("{}"))
        )
        .is_err());
    }

    #[test]
    fn placements_timestamps_and_tombstones() {
        let config = [
            (
                "table.fields.additional.placement",
                "type:envelope:eventType,tenant:partition,aggregateid:header:agg",
            ),
            ("table.field.event.timestamp", "timestamp"),
            ("route.tombstone.on.empty.payload", "true"),
        ];
        let r = one(&config, row("c", Some("{}"))).unwrap().unwrap();
        assert_eq!(r.partition, 3);
        assert_eq!(r.timestamp, Some(5_000));
        let schema = r.value_schema.unwrap();
        assert_eq!(
            schema.name.as_deref(),
            Some("srv.public.outbox.Order.Value")
        );
        assert_eq!(schema.fields()[1].name, "eventType");
        assert_eq!(&*r.headers[1].name, "agg");
        let t = one(&config, row("c", Some(" \t"))).unwrap().unwrap();
        assert_eq!((t.value_schema, t.value), (None, Value::Null));
    }

    #[test]
    fn unknown_placements_fail_events_and_bad_settings_fail_configuration() {
        assert!(one(
            &[("table.fields.additional.placement", "type:nowhere")],
            row("c", Some("{}"))
        )
        .is_err());
        let problem = |pairs: &[(&str, &str)]| {
            build(&TransformConfig::new(
                "o",
                "io.debezium.transforms.outbox.EventRouter",
                pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            ))
            .unwrap_err()
        };
        assert_eq!(
            problem(&[("table.op.invalid.behavior", "explode")]).message,
            "Invalid value explode for configuration table.op.invalid.behavior: The 'table.op.invalid.behavior' value is invalid: Value must be one of warn, error, fatal"
        );
        assert_eq!(
            problem(&[("table.fields.additional.placement", "a")]).key,
            "table.fields.additional.placement"
        );
        assert_eq!(
            problem(&[("route.topic.regex", "(")]).key,
            "route.topic.regex"
        );
    }

    #[test]
    fn expanded_payloads_get_an_inferred_schema() {
        let r = one(
            &[("table.expand.json.payload", "true")],
            row("c", Some(r#"{"a":1}"#)),
        )
        .unwrap()
        .unwrap();
        let schema = r.value_schema.unwrap();
        assert_eq!(schema.name.as_deref(), Some("payload"));
        assert!(matches!(r.value, Value::Struct(_)));
    }
}
