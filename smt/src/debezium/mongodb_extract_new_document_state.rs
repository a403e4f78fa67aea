//! `io.debezium.connector.mongodb.transforms.ExtractNewDocumentState` (the MongoDB unwrap):
//! replaces a MongoDB change event, whose `after` (or `before`, or `updateDescription`) holds the
//! document as Extended JSON text, with a struct built from that document, and the key
//! `{id: "<Extended JSON>"}` with a struct of the parsed id, as Debezium 3.6.1's
//! `ExtractNewDocumentState.java` and `MongoDataConverter.java` do.
//!
//! The schema of each record is inferred from its own document (`MongoDataConverter`): strings,
//! object ids, decimals and nulls are optional strings; numbers INT32 / INT64 / FLOAT64;
//! dates and BSON timestamps Kafka `Timestamp`s; sub-documents optional structs named
//! `<parent name>.<field>`; arrays either arrays (`array.encoding=array`: one element type, or
//! documents merged into one struct) or structs with fields `_0`, `_1`… (`document`).
//! `delete.tombstone.handling.mode`, `add.fields`, `add.headers` (with their prefixes),
//! `flatten.struct` (+ `flatten.struct.delimiter`), `field.name.adjustment.mode` (`none`, `avro`)
//! and `delete.tombstone.handling.mode.rewrite-with-id` apply as in Debezium. Records whose key
//! schema name does not end with `.Key` pass unchanged.
//!
//! Kernel: every row's document is Extended JSON text that must be parsed, and its schema is
//! inferred from that row's own data, so there is no per-schema work to share: the kernel runs
//! the row-wise conversion for each row and builds one output column per distinct (key schema,
//! value schema), which is what Debezium's per-record work is too.

use std::sync::Arc;

use weir_formats::batch::Header;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Schema, SchemaKind};
use weir_formats::value::{Struct, Value};
use weir_formats::value_array::values_to_array;

use super::extended_json::{parse_document, Bson};
use super::field_reference::FieldReference;
use super::mongo_data_converter::{ArrayEncoding, Builder, Converter};
use crate::kafka::flatten::Flatten;
use crate::record::ConnectRecord;
use crate::transform::{OutputPart, SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

const MODE: &str = "delete.tombstone.handling.mode";
const INVALID: &str = "Unable to validate config.";
const DELETED: &str = "__deleted";

/// `ExtractNewDocumentState`. Cost: parses the config once per pipeline.
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(ExtractNewDocumentState::new(config)?))
}

/// `DeleteTombstoneHandling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handling {
    Drop,
    Tombstone,
    Rewrite,
    RewriteWithTombstone,
    DeleteToTombstone,
}

/// `ExtractNewDocumentState`, configured.
#[derive(Debug)]
pub struct ExtractNewDocumentState {
    handling: Handling,
    fields: Vec<FieldReference>,
    headers: Vec<FieldReference>,
    converter: Converter,
    flatten: Option<Flatten>,
    delimiter: String,
    rewrite_with_id: bool,
}

impl ExtractNewDocumentState {
    /// Parses Debezium's keys; any invalid value fails as Debezium's validation does.
    pub fn new(config: &TransformConfig) -> Result<ExtractNewDocumentState, ConfigProblem> {
        let invalid = |key: &str| ConfigProblem::new(key, INVALID);
        let handling = match config
            .get(MODE)
            .map(|m| m.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("tombstone") => Handling::Tombstone,
            Some("drop") => Handling::Drop,
            Some("rewrite") => Handling::Rewrite,
            Some("rewrite-with-tombstone") => Handling::RewriteWithTombstone,
            Some("delete-to-tombstone") => Handling::DeleteToTombstone,
            Some(_) => return Err(invalid(MODE)),
        };
        let encoding = match config
            .get("array.encoding")
            .map(|m| m.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("array") => ArrayEncoding::Array,
            Some("document") => ArrayEncoding::Document,
            Some(_) => return Err(invalid("array.encoding")),
        };
        let avro = match config
            .get("field.name.adjustment.mode")
            .map(|m| m.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("none") => false,
            Some("avro") => true,
            Some("avro_unicode") => {
                let message = "weir does not support field.name.adjustment.mode=avro_unicode yet";
                return Err(ConfigProblem::new("field.name.adjustment.mode", message));
            }
            Some(_) => return Err(invalid("field.name.adjustment.mode")),
        };
        let flatten = config
            .boolean_or("flatten.struct", false)
            .map_err(|_| invalid("flatten.struct"))?;
        let delimiter = config
            .get("flatten.struct.delimiter")
            .unwrap_or("_")
            .to_string();
        let flatten = flatten.then(|| {
            let settings = [("delimiter".to_string(), delimiter.clone())];
            Flatten::new(
                &TransformConfig::new("flatten", "Flatten$Value", settings),
                Side::Value,
            )
        });
        Ok(ExtractNewDocumentState {
            handling,
            fields: FieldReference::list(config, "add.fields", "add.fields.prefix")?,
            headers: FieldReference::list(config, "add.headers", "add.headers.prefix")?,
            converter: Converter { encoding, avro },
            flatten,
            delimiter,
            rewrite_with_id: config
                .boolean_or("delete.tombstone.handling.mode.rewrite-with-id", false)
                .map_err(|_| invalid("delete.tombstone.handling.mode.rewrite-with-id"))?,
        })
    }

    fn rewrite(&self) -> bool {
        matches!(
            self.handling,
            Handling::Rewrite | Handling::RewriteWithTombstone
        )
    }

    /// `makeHeaders`.
    fn headers_for(&self, envelope: Option<&Struct>) -> Result<Vec<Header>, ConnectError> {
        let mut out = Vec::new();
        for reference in &self.headers {
            let Some(envelope) = envelope else {
                if reference.field == "op" {
                    out.push(Header {
                        name: reference.new_field.as_str().into(),
                        schema: Some(Schema::new(SchemaKind::String).into_ref()),
                        value: Value::String("d".to_string()),
                    });
                }
                continue;
            };
            if let Some(schema) = reference.schema(&envelope.schema)? {
                out.push(Header {
                    name: reference.new_field.as_str().into(),
                    schema: Some(schema),
                    value: reference.value(envelope),
                });
            }
        }
        Ok(out)
    }

    /// The key document `{ "id" : <key.id> }`.
    fn key_document(record: &ConnectRecord) -> Result<Vec<(String, Bson)>, ConnectError> {
        let Value::Struct(key) = &record.key else {
            return Err(ConnectError::data(format!(
                "Only Struct objects supported for [field extraction], found: {}",
                record.key.java_class()
            )));
        };
        let (i, _) = key
            .schema
            .field("id")
            .ok_or_else(|| ConnectError::data("Unknown field: id"))?;
        let text = match key.values.get(i) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => {
                return Err(ConnectError::data(
                    "Cannot invoke \"Object.toString()\" because the return value of \"org.apache.kafka.connect.connector.ConnectRecord.key()\" is null",
                ))
            }
            Some(other) => other.to_string(),
        };
        parse_document(&format!("{{ \"id\" : {text}}}")).map_err(ConnectError::data)
    }

    /// The JSON text of envelope field `name` (`ExtractField` of a STRING field), if not null.
    fn text_of(envelope: &Struct, name: &str) -> Result<Option<String>, ConnectError> {
        let (i, _) = envelope
            .schema
            .field(name)
            .ok_or_else(|| ConnectError::data(format!("Unknown field: {name}")))?;
        Ok(match envelope.values.get(i) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        })
    }

    /// `getPartialUpdateDocument`.
    fn partial_update(
        &self,
        base: Option<String>,
        update: &Struct,
        key: &[(String, Bson)],
    ) -> Result<Vec<(String, Bson)>, ConnectError> {
        let mut doc = match base {
            Some(text) => parse_document(&text).map_err(ConnectError::data)?,
            None => Vec::new(),
        };
        let updated = match update.get("updatedFields") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None if update.schema.field("updatedFields").is_some() => None,
            _ => {
                return Err(ConnectError::data(
                    "updatedFields is not a valid field name",
                ))
            }
        };
        if let Some(text) = updated {
            for (k, v) in parse_document(&text).map_err(ConnectError::data)? {
                append(&mut doc, k, v);
            }
        }
        if let Some(Value::Array(removed)) = update.get("removedFields") {
            for field in removed {
                if let Value::String(name) = field {
                    doc.retain(|(k, _)| k != name);
                }
            }
        }
        if !doc.iter().any(|(k, _)| k == "_id") {
            if let Some((_, id)) = key.iter().find(|(k, _)| k == "id") {
                doc.push(("_id".to_string(), id.clone()));
            }
        }
        if self.flatten.is_some() {
            doc = doc
                .into_iter()
                .map(|(k, v)| (k.replace('.', &self.delimiter), v))
                .collect();
        }
        Ok(doc)
    }

    /// `newRecord`: the key and value structs from the documents, `add.fields`, flattening.
    fn new_record(
        &self,
        mut record: ConnectRecord,
        key: &[(String, Bson)],
        value: Option<&[(String, Bson)]>,
        envelope: Option<&Struct>,
    ) -> Result<ConnectRecord, ConnectError> {
        let c = &self.converter;
        let mut key_builder = Builder::new(None);
        c.document_fields(&mut key_builder, key)?;
        let mut key_schema = key_builder.build();
        Arc::make_mut(&mut key_schema).optional = false;
        let key_value = c.document_value(&key_schema, key)?;
        let (value_schema, value) = match value.filter(|v| !v.is_empty()) {
            None => (None, Value::Null),
            Some(doc) => {
                let mut name = record
                    .value_schema
                    .as_ref()
                    .and_then(|s| s.name.clone())
                    .unwrap_or_else(|| "null".to_string());
                if let Some(stripped) = name.strip_suffix(".Envelope") {
                    name = stripped.to_string();
                }
                if c.avro {
                    name = name
                        .split('.')
                        .map(|s| c.name(s))
                        .collect::<Vec<_>>()
                        .join(".");
                }
                let mut builder = Builder::new(Some(name));
                c.document_fields(&mut builder, doc)?;
                let mut added = Vec::new();
                if let Some(envelope) = envelope.filter(|_| !self.fields.is_empty()) {
                    for reference in &self.fields {
                        if let Some(s) = reference.schema(&envelope.schema)? {
                            if builder.has(&reference.new_field) {
                                return Err(ConnectError::data(format!(
                                    "Cannot create field because of field name duplication {}",
                                    reference.new_field
                                )));
                            }
                            builder.add(&reference.new_field, s);
                        }
                        added.push(reference);
                    }
                }
                let mut schema = builder.build();
                Arc::make_mut(&mut schema).optional = false;
                let Value::Struct(mut s) = c.document_value(&schema, doc)? else {
                    return Err(ConnectError::data("the document is not a struct"));
                };
                if let Some(envelope) = envelope {
                    for reference in added {
                        let (i, _) = schema.field(&reference.new_field).ok_or_else(|| {
                            ConnectError::data(format!(
                                "{} is not a valid field name",
                                reference.new_field
                            ))
                        })?;
                        s.values[i] = reference.value(envelope);
                    }
                }
                (Some(schema), Value::Struct(s))
            }
        };
        record.key_schema = Some(key_schema);
        record.key = key_value;
        record.value_schema = value_schema;
        record.value = value;
        match &self.flatten {
            Some(flatten) => flatten
                .apply_record(record)?
                .ok_or_else(|| ConnectError::data("Flatten dropped the record")),
            None => Ok(record),
        }
    }
}

/// `BsonDocument.append`: replaces in place or appends.
fn append(doc: &mut Vec<(String, Bson)>, key: String, value: Bson) {
    match doc.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => doc.push((key, value)),
    }
}

fn has_key_schema(record: &ConnectRecord) -> bool {
    record
        .key_schema
        .as_ref()
        .and_then(|s| s.name.as_deref())
        .is_some_and(|n| n.ends_with(".Key"))
}

impl Transform for ExtractNewDocumentState {
    /// Every row through the row-wise conversion (see the module doc): the documents are text
    /// to parse and each defines its own schema. Output parts group runs of rows with equal key
    /// and value schemas.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let mut output = SegmentOutput::default();
        let mut kept: Vec<(u32, ConnectRecord)> = Vec::new();
        for (i, record) in input.records().into_iter().enumerate() {
            match self.apply_record(record) {
                Ok(Some(r)) => kept.push((i as u32, r)),
                Ok(None) => output.dropped.push(i as u32),
                Err(e) => output.errors.push((i as u32, e)),
            }
        }
        let mut edited: Vec<(u32, Vec<Header>)> = Vec::new();
        let mut groups: Vec<Vec<(u32, ConnectRecord)>> = Vec::new();
        for (i, record) in kept {
            let row = input.rows[i as usize];
            if input.meta.headers.row(row as usize) != record.headers.as_slice() {
                edited.push((row, record.headers.clone()));
            }
            let same = |g: &Vec<(u32, ConnectRecord)>| {
                g.first().is_some_and(|(_, r)| {
                    r.key_schema == record.key_schema && r.value_schema == record.value_schema
                })
            };
            match groups.iter_mut().find(|g| same(g)) {
                Some(group) => group.push((i, record)),
                None => groups.push(vec![(i, record)]),
            }
        }
        for group in groups {
            let schemas = (
                group[0].1.key_schema.clone(),
                group[0].1.value_schema.clone(),
            );
            let keys: Vec<Value> = group.iter().map(|(_, r)| r.key.clone()).collect();
            let values: Vec<Value> = group.iter().map(|(_, r)| r.value.clone()).collect();
            let indices: Vec<u32> = group.iter().map(|(i, _)| *i).collect();
            let built = values_to_array(schemas.0.as_ref(), &keys)
                .and_then(|k| Ok((k, values_to_array(schemas.1.as_ref(), &values)?)));
            match built {
                Ok((key, value)) => output.parts.push(OutputPart {
                    indices,
                    key: weir_formats::batch::Column {
                        schema: schemas.0,
                        data: key,
                    },
                    value: weir_formats::batch::Column {
                        schema: schemas.1,
                        data: value,
                    },
                }),
                Err(e) => output
                    .errors
                    .extend(indices.into_iter().map(|i| (i, e.clone()))),
            }
        }
        let rows: Vec<u32> = edited.iter().map(|(r, _)| *r).collect();
        let mut headers = edited.into_iter().map(|(_, h)| h);
        input
            .meta
            .headers
            .edit_rows(&rows, |_, h| *h = headers.next().unwrap_or_default());
        output.errors.sort_by_key(|(i, _)| *i);
        output
    }

    /// Debezium's `doApply`.
    fn apply_record(
        &self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        if !has_key_schema(&record) {
            return Ok(Some(record));
        }
        let envelope = match &record.value {
            Value::Null => None,
            Value::Struct(s) => Some(s.clone()),
            other if !self.headers.is_empty() => {
                return Err(ConnectError::data(format!(
                    "class {} cannot be cast to class org.apache.kafka.connect.data.Struct",
                    other.java_class()
                )))
            }
            _ => None,
        };
        let headers = self.headers_for(envelope.as_ref())?;
        record.headers.extend(headers);
        let key = Self::key_document(&record)?;
        if record.value.is_null() {
            return match self.handling {
                Handling::RewriteWithTombstone => {
                    self.new_record(record, &key, None, None).map(Some)
                }
                _ => Ok(None),
            };
        }
        let is_envelope = record
            .value_schema
            .as_ref()
            .and_then(|s| s.name.as_deref())
            .is_some_and(|n| n.ends_with(".Envelope"));
        let Some(envelope) = envelope.filter(|_| is_envelope) else {
            return Ok(Some(record));
        };
        let after = Self::text_of(&envelope, "after")?;
        let update = match envelope.schema.field("updateDescription") {
            None => return Err(ConnectError::data("Unknown field: updateDescription")),
            Some((i, _)) => match envelope.values.get(i) {
                Some(Value::Struct(u)) => Some(u.clone()),
                _ => None,
            },
        };
        let deletion = after.is_none() && update.is_none();
        // The state the strategy leaves: the after text, or for a rewritten delete the before.
        let state = match (deletion, self.handling) {
            (false, _) => after,
            (true, Handling::Drop) => return Ok(None),
            (true, Handling::Tombstone) => None,
            (true, Handling::DeleteToTombstone) => None,
            (true, Handling::Rewrite | Handling::RewriteWithTombstone) => {
                Self::text_of(&envelope, "before")?
            }
        };
        let mut value = match (&state, &update) {
            (Some(text), _) => parse_document(text).map_err(ConnectError::data)?,
            (None, Some(update)) if !deletion => self.partial_update(None, update, &key)?,
            _ => Vec::new(),
        };
        if self.rewrite() {
            append(&mut value, DELETED.to_string(), Bson::Boolean(deletion));
            if self.rewrite_with_id && !value.iter().any(|(k, _)| k == "_id") {
                if let Some((_, id)) = key.iter().find(|(k, _)| k == "id") {
                    value.push(("_id".to_string(), id.clone()));
                }
            }
        }
        self.new_record(record, &key, Some(&value), Some(&envelope))
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::{check, config};
    use proptest::prelude::*;
    use weir_formats::schema::SchemaRef;

    fn string(optional: bool) -> SchemaRef {
        let s = Schema::new(SchemaKind::String);
        (if optional { s.optional() } else { s }).into_ref()
    }

    fn key_schema() -> SchemaRef {
        Schema::structure([("id".to_string(), string(false))])
            .with_name("mongo1.inventory.customers.Key")
            .into_ref()
    }

    fn update_schema() -> SchemaRef {
        Schema::structure([
            (
                "removedFields".to_string(),
                Schema::new(SchemaKind::Array(string(false)))
                    .optional()
                    .into_ref(),
            ),
            ("updatedFields".to_string(), string(true)),
        ])
        .optional()
        .into_ref()
    }

    fn envelope_schema() -> SchemaRef {
        let source = Schema::structure([
            ("collection".to_string(), string(false)),
            (
                "ts_ms".to_string(),
                Schema::new(SchemaKind::Int64).into_ref(),
            ),
        ])
        .into_ref();
        Schema::structure([
            ("before".to_string(), string(true)),
            ("after".to_string(), string(true)),
            ("updateDescription".to_string(), update_schema()),
            ("source".to_string(), source),
            ("op".to_string(), string(true)),
        ])
        .with_name("mongo1.inventory.customers.Envelope")
        .into_ref()
    }

    fn key(id: &str) -> Value {
        Value::Struct(Struct {
            schema: key_schema(),
            values: vec![Value::String(id.into())],
        })
    }

    fn event(
        op: &str,
        before: Option<&str>,
        after: Option<&str>,
        update: Option<(&str, &[&str])>,
    ) -> Value {
        let schema = envelope_schema();
        let text = |t: Option<&str>| t.map_or(Value::Null, |t| Value::String(t.into()));
        let update = update.map_or(Value::Null, |(fields, removed)| {
            Value::Struct(Struct {
                schema: update_schema(),
                values: vec![
                    Value::Array(
                        removed
                            .iter()
                            .map(|r| Value::String(r.to_string()))
                            .collect(),
                    ),
                    Value::String(fields.into()),
                ],
            })
        });
        let source = Value::Struct(Struct {
            schema: schema
                .field("source")
                .map(|(_, f)| f.schema.clone())
                .expect("source"),
            values: vec![Value::String("customers".into()), Value::Int64(7)],
        });
        Value::Struct(Struct {
            schema,
            values: vec![
                text(before),
                text(after),
                update,
                source,
                Value::String(op.into()),
            ],
        })
    }

    fn unwrap(pairs: &[(&str, &str)]) -> ExtractNewDocumentState {
        ExtractNewDocumentState::new(&config(pairs)).expect("valid config")
    }

    fn record(key: Value, value: Value) -> ConnectRecord {
        ConnectRecord {
            topic: "mongo1.inventory.customers".into(),
            partition: 0,
            offset: 0,
            timestamp: None,
            key_schema: Some(key_schema()),
            key,
            value_schema: Some(envelope_schema()),
            value,
            headers: Vec::new(),
        }
    }

    fn fields(value: &Value) -> Vec<(String, Value)> {
        match value {
            Value::Struct(s) => s
                .schema
                .fields()
                .iter()
                .map(|f| f.name.clone())
                .zip(s.values.clone())
                .collect(),
            other => panic!("not a struct: {other:?}"),
        }
    }

    const DOC: &str = r#"{"_id": {"$oid": "596e275826f08b2730779e1f"}, "name": "Sally", "address": {"city": "Paris"}, "tags": ["a", "b"], "visits": {"$numberLong": "12"}, "since": {"$date": 5}}"#;

    #[test]
    fn unwraps_documents_and_keys() {
        let t = unwrap(&[]);
        let out = t
            .apply_record(record(
                key(r#"{"$oid": "596e275826f08b2730779e1f"}"#),
                event("r", None, Some(DOC), None),
            ))
            .expect("ok")
            .expect("kept");
        assert_eq!(
            fields(&out.key),
            [(
                "id".to_string(),
                Value::String("596e275826f08b2730779e1f".into())
            )]
        );
        let value = fields(&out.value);
        assert_eq!(value[0].1, Value::String("596e275826f08b2730779e1f".into()));
        assert_eq!(
            value[3].1,
            Value::Array(vec![Value::String("a".into()), Value::String("b".into())])
        );
        assert_eq!(value[4].1, Value::Int64(12));
        assert_eq!(value[5].1, Value::Date(5));
        let schema = out.value_schema.expect("schema");
        assert_eq!(schema.name.as_deref(), Some("mongo1.inventory.customers"));
        assert!(!schema.optional);
        let address = &schema.fields()[2].schema;
        assert_eq!(
            address.name.as_deref(),
            Some("mongo1.inventory.customers.address")
        );
        // A delete becomes a tombstone without schemas; the tombstone after it is dropped.
        let deleted = t
            .apply_record(record(key("1002"), event("d", None, None, None)))
            .expect("ok")
            .expect("kept");
        assert_eq!((deleted.value_schema, deleted.value), (None, Value::Null));
        assert_eq!(
            fields(&deleted.key),
            [("id".to_string(), Value::Int32(1002))]
        );
        assert_eq!(
            t.apply_record(record(key("1002"), Value::Null))
                .expect("ok"),
            None
        );
    }

    #[test]
    fn document_encoding_rewrite_and_add_fields() {
        let t = unwrap(&[
            ("array.encoding", "document"),
            ("delete.tombstone.handling.mode", "rewrite"),
            ("add.fields", "op,collection,source.ts_ms"),
            ("add.headers", "op"),
        ]);
        let out = t
            .apply_record(record(key("1"), event("c", None, Some(DOC), None)))
            .expect("ok")
            .expect("kept");
        let value = fields(&out.value);
        let names: Vec<&str> = value.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "_id",
                "name",
                "address",
                "tags",
                "visits",
                "since",
                "__deleted",
                "__op",
                "__collection",
                "__source_ts_ms"
            ]
        );
        assert_eq!(
            fields(&value[3].1)
                .iter()
                .map(|(n, _)| n.clone())
                .collect::<Vec<_>>(),
            ["_0", "_1"]
        );
        assert_eq!(value[6].1, Value::Boolean(false));
        assert_eq!(out.headers[0].value, Value::String("c".into()));
        let deleted = t
            .apply_record(record(key("1"), event("d", None, None, None)))
            .expect("ok")
            .expect("kept");
        let value = fields(&deleted.value);
        assert_eq!(value[0], ("__deleted".to_string(), Value::Boolean(true)));
        assert_eq!(value[3], ("__source_ts_ms".to_string(), Value::Int64(7)));
    }

    #[test]
    fn partial_updates_and_flattening() {
        let t = unwrap(&[("flatten.struct", "true")]);
        let update = (
            r#"{"name": "Ann", "address.city": "Lyon", "gone": 1}"#,
            &["gone"][..],
        );
        let out = t
            .apply_record(record(key("5"), event("u", None, None, Some(update))))
            .expect("ok")
            .expect("kept");
        let value = fields(&out.value);
        assert_eq!(
            value,
            [
                ("name".to_string(), Value::String("Ann".into())),
                ("address_city".to_string(), Value::String("Lyon".into())),
                ("_id".to_string(), Value::Int32(5)),
            ]
        );
        let nested = t
            .apply_record(record(key("1"), event("c", None, Some(DOC), None)))
            .expect("ok")
            .expect("kept");
        assert!(fields(&nested.value)
            .iter()
            .any(|(n, _)| n == "address_city"));
    }

    #[test]
    fn mixed_arrays_and_bad_json_fail_the_record() {
        let t = unwrap(&[]);
        let mixed = t.apply_record(record(
            key("1"),
            event("c", None, Some(r#"{"a": [1, "x"]}"#), None),
        ));
        assert!(mixed
            .expect_err("mixed")
            .message
            .starts_with("Array elements with different Bson types"));
        assert!(t
            .apply_record(record(key("1"), event("c", None, Some("{oops"), None)))
            .is_err());
        assert!(ExtractNewDocumentState::new(&config(&[("array.encoding", "list")])).is_err());
        assert!(ExtractNewDocumentState::new(&config(&[(
            "delete.tombstone.handling.mode",
            "none"
        )]))
        .is_err());
    }

    fn arb_doc() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            Just(Some(DOC.to_string())),
            Just(Some(r#"{"_id": 2, "tags": [], "items": [{"a": 1}, {"a": 2, "b": "x"}], "grid": [[1, 2], [3]]}"#.to_string())),
            Just(Some(r#"{"_id": 3, "n": null, "d": 1.5, "re": {"$regex": "^a", "$options": "i"}}"#.to_string())),
            Just(Some(r#"{"a": [1, "x"]}"#.to_string())),
        ]
    }

    fn arb_event() -> impl Strategy<Value = Value> {
        prop_oneof![
            1 => Just(Value::Null),
            4 => (arb_doc(), arb_doc()).prop_map(|(b, a)| event("u", b.as_deref(), a.as_deref(), None)),
            1 => Just(event("u", None, None, Some((r#"{"x": 1}"#, &["y"][..])))),
        ]
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(
            values in prop::collection::vec(arb_event(), 0..8),
            mode in prop_oneof![Just("tombstone"), Just("rewrite"), Just("rewrite-with-tombstone"), Just("drop")],
            encoding in prop_oneof![Just("array"), Just("document")],
            flatten in any::<bool>(),
        ) {
            let t = unwrap(&[
                ("delete.tombstone.handling.mode", mode),
                ("array.encoding", encoding),
                ("flatten.struct", if flatten { "true" } else { "false" }),
                ("add.fields", "op"),
            ]);
            let n = values.len();
            let keys: Vec<Value> = (0..n).map(|i| key(&i.to_string())).collect();
            check(&t, (Some(key_schema()), keys), (Some(envelope_schema()), values), false)?;
        }
    }
}
