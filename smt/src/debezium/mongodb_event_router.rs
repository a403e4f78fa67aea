//! `io.debezium.connector.mongodb.transforms.outbox.MongoEventRouter`: the outbox event router
//! for a MongoDB outbox collection, as Debezium 3.6.1 runs it.
//!
//! A create event's `after` (Extended JSON text) is parsed and turned into a struct by
//! `MongoDataConverter` (arrays as arrays), except that the `collection.field.event.timestamp`
//! field becomes an `io.debezium.time.Timestamp` and a document payload becomes its Extended JSON
//! text (indented, see [`write_document`]) unless `collection.expand.json.payload` is true, when
//! it stays a struct. The converted event then goes through the shared outbox router
//! ([`OutboxRouter`]) configured from the `collection.*` keys (Debezium renames them to the
//! relational `table.*` keys and forwards only those, with `collection.field.event.id`
//! defaulting to `_id`); `route.*` and `table.op.invalid.behavior` keep their names. An event
//! whose `after` cannot be converted (not text, not a document, a timestamp that is not an INT64,
//! mixed array types) reaches the router unconverted and fails there, as in Debezium, which only
//! logs the conversion failure.
//!
//! Kernel: the shared router's. Every event's `after` is a document whose schema is inferred
//! from that document alone, so no columnar plan can be made per envelope schema: the router's
//! kernel sends every row through the row-wise reference (see `OutboxRouter::plan`), which is
//! Debezium's per-record work too. Tombstones, deletes and updates are classified in it as well.

use std::sync::Arc;

use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};

use super::extended_json::{parse_document, Bson};
use super::extended_json_writer::write_document;
use super::mongo_data_converter::{ArrayEncoding, Builder, Converter};
use super::outbox_router::{boolean, OutboxKeys, OutboxRouter, OutboxSettings, RecordConverter};
use crate::config::{ConfigProblem, TransformConfig};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};

/// The MongoDB router's keys (`MongoEventRouterConfigDefinition`) and defaults; JSON expansion
/// in the router is not forwarded (`collection.expand.json.payload` acts on the conversion).
pub const COLLECTION_KEYS: OutboxKeys = OutboxKeys {
    event_id: ("collection.field.event.id", "_id"),
    event_key: "collection.field.event.key",
    event_timestamp: "collection.field.event.timestamp",
    payload: "collection.field.event.payload",
    placement: "collection.fields.additional.placement",
    missing: "collection.field.additional.missing",
    schema_version: "collection.field.event.schema.version",
    invalid_behavior: "table.op.invalid.behavior",
    expand_json: None,
    json_null_behavior: None,
};

/// The `after` conversion (`MongoEventRouter.expandAfterField`).
#[derive(Debug)]
struct AfterConverter {
    /// `collection.field.event.timestamp`.
    field_timestamp: Option<String>,
    /// `collection.field.event.payload`.
    field_payload: String,
    /// `collection.expand.json.payload`.
    expand_payload: bool,
}

/// `MongoDataConverter(ArrayEncoding.ARRAY)` with Debezium's identity field namer.
const CONVERTER: Converter = Converter {
    encoding: ArrayEncoding::Array,
    avro: false,
};

impl AfterConverter {
    /// Whether `key: value` is a payload written as Extended JSON text.
    fn is_text_payload(&self, key: &str, value: &Bson) -> bool {
        key == self.field_payload && !self.expand_payload && matches!(value, Bson::Document(_))
    }

    /// The record with `after` parsed into a struct, or why it cannot be.
    fn expand_after(&self, record: &ConnectRecord) -> Result<ConnectRecord, ConnectError> {
        let (Some(envelope_schema), Value::Struct(envelope)) =
            (&record.value_schema, &record.value)
        else {
            return Err(ConnectError::data(
                "the value is not a struct with a schema",
            ));
        };
        let (after_index, after_field) = envelope_schema
            .field("after")
            .ok_or_else(|| ConnectError::data("Unknown field: after"))?;
        let Some(Value::String(text)) = envelope.values.get(after_index) else {
            return Err(ConnectError::data(
                "Unable to expand non-String after field",
            ));
        };
        let document = parse_document(text).map_err(ConnectError::data)?;
        let after_schema = self.after_schema(after_field.schema.name.clone(), &document)?;
        let after = self.after_value(&after_schema, &document)?;
        let mut fields: Vec<Field> = Vec::with_capacity(envelope_schema.fields().len());
        let mut values = Vec::with_capacity(fields.capacity());
        for (i, field) in envelope_schema.fields().iter().enumerate() {
            if field.name != "after" {
                fields.push(field.clone());
                values.push(envelope.values.get(i).cloned().unwrap_or(Value::Null));
            }
        }
        fields.push(Field {
            name: "after".to_string(),
            schema: after_schema,
        });
        values.push(after);
        let mut schema = Schema::new(SchemaKind::Struct(fields));
        schema.name = envelope_schema.name.clone();
        let schema = schema.into_ref();
        Ok(ConnectRecord {
            value_schema: Some(schema.clone()),
            value: Value::Struct(Struct { schema, values }),
            ..record.clone()
        })
    }

    /// `buildNewAfterSchema`: the timestamp and text-payload fields first (in document order),
    /// then every other field as `MongoDataConverter` infers it; not optional.
    fn after_schema(
        &self,
        name: Option<String>,
        document: &[(String, Bson)],
    ) -> Result<SchemaRef, ConnectError> {
        let mut builder = Builder::new(name);
        for (key, value) in document {
            if Some(key) == self.field_timestamp.as_ref() {
                let mut timestamp =
                    Schema::new(SchemaKind::Int64).with_name("io.debezium.time.Timestamp");
                timestamp.version = Some(1);
                builder.add(key, timestamp.into_ref());
            } else if self.is_text_payload(key, value) {
                builder.add(key, Schema::new(SchemaKind::String).optional().into_ref());
            }
        }
        CONVERTER.document_fields(&mut builder, document)?;
        let mut schema = builder.build();
        Arc::make_mut(&mut schema).optional = false;
        Ok(schema)
    }

    /// `buildNewAfterStruct`.
    fn after_value(
        &self,
        schema: &SchemaRef,
        document: &[(String, Bson)],
    ) -> Result<Value, ConnectError> {
        let mut values = vec![Value::Null; schema.fields().len()];
        for (key, value) in document {
            let slot = |values: &mut Vec<Value>, v: Value| match schema.field(key) {
                Some((i, _)) => {
                    values[i] = v;
                    Ok(())
                }
                None => Err(ConnectError::data(format!(
                    "{key} is not a valid field name"
                ))),
            };
            if Some(key) == self.field_timestamp.as_ref() {
                let Bson::Int64(ms) = value else {
                    return Err(ConnectError::data(format!(
                        "Value expected to be of type INT64 is of unexpected type: {key}"
                    )));
                };
                slot(&mut values, Value::Int64(*ms))?;
            } else if let (true, Bson::Document(payload)) =
                (self.is_text_payload(key, value), value)
            {
                slot(&mut values, Value::String(write_document(payload)))?;
            } else {
                CONVERTER.put(schema, &mut values, key, value)?;
            }
        }
        Ok(Value::Struct(Struct {
            schema: schema.clone(),
            values,
        }))
    }
}

impl RecordConverter for AfterConverter {
    /// `expandAfterField`, or the record unchanged when it fails (Debezium logs a warning).
    fn convert(&self, record: ConnectRecord) -> ConnectRecord {
        self.expand_after(&record).unwrap_or(record)
    }
}

/// The configured transform.
#[derive(Debug)]
pub struct MongoEventRouter {
    router: OutboxRouter,
}

/// Builds `MongoEventRouter` from its `collection.*`, `route.*` and `table.op.invalid.behavior`
/// keys. Cost: compiling the topic regex.
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    let settings = OutboxSettings::from_config(config, &COLLECTION_KEYS)?;
    let converter = AfterConverter {
        field_timestamp: config
            .get(COLLECTION_KEYS.event_timestamp)
            .map(|v| v.trim().to_string()),
        field_payload: config
            .get(COLLECTION_KEYS.payload)
            .unwrap_or("payload")
            .trim()
            .to_string(),
        expand_payload: boolean(config, "collection.expand.json.payload", false)?,
    };
    Ok(Arc::new(MongoEventRouter {
        router: OutboxRouter::new(config, settings, Some(Arc::new(converter)))?,
    }))
}

impl Transform for MongoEventRouter {
    /// The shared router's kernel; every event row takes the row-wise path (see the module doc).
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        self.router.apply(input)
    }

    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        self.router.apply_record(record)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use weir_formats::batch::Header;

    use super::*;
    use crate::kernel::routing::testkit::{assert_agree, kernel, reference};
    use crate::transform::NO_PARTITION;

    fn json_string() -> SchemaRef {
        Schema::new(SchemaKind::String)
            .optional()
            .with_name("io.debezium.data.Json")
            .into_ref()
    }

    fn envelope_schema() -> SchemaRef {
        let optional = |kind| Schema::new(kind).optional().into_ref();
        Schema::structure([
            ("before".to_string(), json_string()),
            ("after".to_string(), json_string()),
            ("op".to_string(), optional(SchemaKind::String)),
            ("ts_ms".to_string(), optional(SchemaKind::Int64)),
        ])
        .with_name("mongo1.inventory.outbox.Envelope")
        .into_ref()
    }

    /// A MongoDB change event (`None` value: a tombstone).
    fn record(op: &str, after: Option<&str>, tombstone: bool, offset: i64) -> ConnectRecord {
        let schema = envelope_schema();
        let value = if tombstone {
            Value::Null
        } else {
            Value::Struct(Struct {
                schema: schema.clone(),
                values: vec![
                    Value::Null,
                    after.map_or(Value::Null, |a| Value::String(a.to_string())),
                    Value::String(op.to_string()),
                    Value::Int64(1_700_000_000_000 + offset),
                ],
            })
        };
        ConnectRecord {
            topic: "mongo1.inventory.outbox".into(),
            partition: 0,
            offset,
            timestamp: Some(1),
            key_schema: None,
            key: Value::Null,
            value_schema: Some(schema),
            value,
            headers: Vec::new(),
        }
    }

    fn router(pairs: &[(&str, &str)]) -> Arc<dyn Transform> {
        build(&TransformConfig::new(
            "outbox",
            "io.debezium.connector.mongodb.transforms.outbox.MongoEventRouter",
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        ))
        .unwrap()
    }

    const ORDER: &str = r#"{"_id": {"$oid": "65a000000000000000000001"}, "aggregateid": "1001", "aggregatetype": "Order", "type": "OrderCreated", "timestamp": {"$numberLong": "1735726600000"}, "tenant": 3, "payload": {"id": 1001, "lines": [{"item": "book", "qty": 2}]}}"#;

    fn one(config: &[(&str, &str)], after: &str) -> Result<Option<ConnectRecord>, ConnectError> {
        router(config).apply_record(record("c", Some(after), false, 0))
    }

    #[test]
    fn document_payloads_become_indented_extended_json() {
        let r = one(&[], ORDER).unwrap().unwrap();
        assert_eq!(r.topic, "outbox.event.Order");
        assert_eq!(r.key, Value::String("1001".into()));
        assert_eq!(r.timestamp, Some(1_700_000_000_000));
        assert_eq!(r.partition, NO_PARTITION);
        assert_eq!(
            r.value,
            Value::String(
                "{\n  \"id\": {\n    \"$numberInt\": \"1001\"\n  },\n  \"lines\": [\n    {\n      \"item\": \"book\",\n      \"qty\": {\n        \"$numberInt\": \"2\"\n      }\n    }\n  ]\n}".into()
            )
        );
        let Header { name, value, .. } = &r.headers[0];
        assert_eq!(
            (&**name, value),
            ("id", &Value::String("65a000000000000000000001".into()))
        );
    }

    #[test]
    fn timestamp_expansion_and_placements() {
        let r = one(
            &[
                ("collection.field.event.timestamp", "timestamp"),
                ("collection.expand.json.payload", "true"),
                (
                    "collection.fields.additional.placement",
                    "type:envelope:eventType,tenant:partition",
                ),
            ],
            ORDER,
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.timestamp, Some(1_735_726_600_000));
        assert_eq!(r.partition, 3);
        let schema = r.value_schema.unwrap();
        assert_eq!(schema.name.as_deref(), Some("io.debezium.data.Order.Json"));
        let Value::Struct(value) = &r.value else {
            panic!("not a struct: {:?}", r.value)
        };
        assert!(matches!(value.values[0], Value::Struct(_)));
        assert_eq!(value.values[1], Value::String("OrderCreated".into()));
    }

    #[test]
    fn relational_keys_are_not_read_and_defaults_differ() {
        // `table.field.event.key` is not forwarded: the key stays `aggregateid`.
        let r = one(&[("table.field.event.key", "type")], ORDER)
            .unwrap()
            .unwrap();
        assert_eq!(r.key, Value::String("1001".into()));
        let r = one(&[("collection.field.event.key", "type")], ORDER)
            .unwrap()
            .unwrap();
        assert_eq!(r.key, Value::String("OrderCreated".into()));
    }

    #[test]
    fn unconvertible_events_fail_in_the_router() {
        // Not JSON, and a timestamp field that is not an INT64: `after` stays text.
        assert!(one(&[], "not json").is_err());
        assert!(one(
            &[("collection.field.event.timestamp", "aggregateid")],
            ORDER
        )
        .is_err());
        let t = router(&[]);
        assert_eq!(t.apply_record(record("d", None, false, 0)).unwrap(), None);
        assert_eq!(t.apply_record(record("c", None, true, 0)).unwrap(), None);
        assert_eq!(
            t.apply_record(record("u", Some(ORDER), false, 0)).unwrap(),
            None
        );
        let fatal = router(&[("table.op.invalid.behavior", "fatal")]);
        assert!(fatal
            .apply_record(record("u", Some(ORDER), false, 0))
            .is_err());
    }

    #[test]
    fn bad_settings_name_the_collection_keys() {
        let problem = build(&TransformConfig::new(
            "o",
            "io.debezium.connector.mongodb.transforms.outbox.MongoEventRouter",
            [(
                "collection.field.additional.missing".to_string(),
                "maybe".to_string(),
            )],
        ))
        .unwrap_err();
        assert_eq!(problem.key, "collection.field.additional.missing");
        let problem = build(&TransformConfig::new(
            "o",
            "io.debezium.connector.mongodb.transforms.outbox.MongoEventRouter",
            [(
                "collection.expand.json.payload".to_string(),
                "yes".to_string(),
            )],
        ))
        .unwrap_err();
        assert_eq!(problem.key, "collection.expand.json.payload");
    }

    fn arb_after() -> impl Strategy<Value = Option<String>> {
        let route = prop_oneof![Just("Order"), Just("Customer")];
        let payload = prop_oneof![
            Just(r#"{"id": 1, "tags": ["a", "b"], "at": {"$date": 5}}"#.to_string()),
            Just(r#""{\"id\": 2}""#.to_string()),
            Just(r#""  ""#.to_string()),
            Just("null".to_string()),
            Just(r#"[1, "x"]"#.to_string()),
        ];
        prop::option::of((route, payload, 0i64..3).prop_map(|(route, payload, n)| {
            format!(
                r#"{{"_id": {{"$oid": "65a00000000000000000000{n}"}}, "aggregateid": "{n}", "aggregatetype": "{route}", "type": "T", "ts": {{"$numberLong": "{n}000"}}, "payload": {payload}}}"#
            )
        }))
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(
            rows in prop::collection::vec(
                (prop_oneof![Just("c"), Just("r"), Just("u"), Just("d")], arb_after(), prop::bool::weighted(0.15)),
                0..10,
            ),
            config in prop_oneof![
                Just(vec![]),
                Just(vec![("collection.expand.json.payload", "true")]),
                Just(vec![("collection.field.event.timestamp", "ts"), ("route.tombstone.on.empty.payload", "true")]),
                Just(vec![("collection.fields.additional.placement", "type:envelope,aggregateid:header:agg")]),
                Just(vec![("table.op.invalid.behavior", "fatal")]),
            ],
        ) {
            let t = router(&config);
            let records: Vec<ConnectRecord> = rows
                .iter()
                .enumerate()
                .map(|(i, (op, after, tombstone))| record(op, after.as_deref(), *tombstone, i as i64))
                .collect();
            assert_agree(&kernel(t.as_ref(), &records), &reference(t.as_ref(), &records));
        }
    }
}
