//! `org.apache.kafka.connect.transforms.TimestampRouter`: the topic becomes `topic.format`
//! (default `${topic}-${timestamp}`) with `${topic}` replaced by the topic, then `${timestamp}` by
//! the record timestamp formatted with `timestamp.format` (default `yyyyMMdd`, a
//! `SimpleDateFormat` in UTC). A record without a timestamp is Kafka's DataException.
//!
//! The kernel substitutes the topic once per distinct topic (design §1) and formats a timestamp
//! once per topic and span of instants that format alike (a UTC day for `yyyyMMdd`), so a row
//! costs one hash probe.
//!
//! As in Kafka, a bad `timestamp.format` is not a config error: Kafka builds the
//! `SimpleDateFormat` lazily, so every record with a timestamp fails with Java's
//! `IllegalArgumentException` message (a DataException here). The record text in the
//! missing-timestamp message names the record's current topic as `originalTopic`, where Kafka
//! names the topic it was consumed from.

use std::collections::HashMap;
use std::sync::Arc;

use weir_formats::error::ConnectError;

use crate::config::{ConfigProblem, TransformConfig};
use crate::kernel::java_time_format::SimpleDateFormat;
use crate::kernel::routing::{kept_except, per_topic};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};

/// The configured transform.
#[derive(Debug)]
pub struct TimestampRouter {
    topic_format: String,
    timestamp_format: Result<SimpleDateFormat, String>,
}

/// Builds `TimestampRouter` from `topic.format` and `timestamp.format` (both with defaults).
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(TimestampRouter::from_config(config)))
}

impl TimestampRouter {
    /// Parses the settings; none can fail. Cost: compiling the date pattern.
    pub fn from_config(config: &TransformConfig) -> TimestampRouter {
        let topic_format = config.string_or("topic.format", "${topic}-${timestamp}");
        let timestamp_format =
            SimpleDateFormat::new(&config.string_or("timestamp.format", "yyyyMMdd"));
        TimestampRouter {
            topic_format,
            timestamp_format,
        }
    }

    /// The topic format with `${topic}` substituted, split at each `${timestamp}`.
    fn pieces(&self, topic: &str) -> Vec<String> {
        self.topic_format
            .replace("${topic}", topic)
            .split("${timestamp}")
            .map(str::to_string)
            .collect()
    }

    /// The formatted timestamp appended to `out`, or the error of a record with `timestamp`.
    fn format_into(&self, timestamp: i64, out: &mut String) -> Result<(), ConnectError> {
        match &self.timestamp_format {
            Ok(format) => {
                format.format_into(timestamp, out);
                Ok(())
            }
            Err(message) => Err(ConnectError::data(message.clone())),
        }
    }
}

/// `pieces` joined by `timestamp`, into `out`.
fn join_into(out: &mut String, pieces: &[String], timestamp: &str) {
    out.clear();
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            out.push_str(timestamp);
        }
        out.push_str(piece);
    }
}

/// Kafka's error for a record without a timestamp, with the record as `SinkRecord.toString()`
/// prints it.
fn missing_timestamp(record: &ConnectRecord) -> ConnectError {
    let schema = |s: &Option<weir_formats::schema::SchemaRef>| {
        s.as_ref().map_or("null".to_string(), |s| s.to_string())
    };
    let headers: Vec<String> = record
        .headers
        .iter()
        .map(|h| {
            let s = h
                .schema
                .as_ref()
                .map_or("null".to_string(), |s| s.to_string());
            format!(
                "ConnectHeader(key={}, value={}, schema={s})",
                h.name, h.value
            )
        })
        .collect();
    let headers = match headers.is_empty() {
        true => String::new(),
        false => format!("[{}]", headers.join(", ")),
    };
    ConnectError::data(format!(
        "Timestamp missing on record: SinkRecord{{kafkaOffset={offset}, timestampType=NoTimestampType, \
         originalTopic={topic}, originalKafkaPartition={partition}, originalKafkaOffset={offset}}} \
         ConnectRecord{{topic='{topic}', kafkaPartition={partition}, key={key}, keySchema={key_schema}, \
         value={value}, valueSchema={value_schema}, timestamp=null, headers=ConnectHeaders(headers={headers})}}",
        offset = record.offset,
        topic = record.topic,
        partition = record.partition,
        key = record.key,
        key_schema = schema(&record.key_schema),
        value = record.value,
        value_schema = schema(&record.value_schema),
    ))
}

impl Transform for TimestampRouter {
    /// Neither key nor value: it renames topics from the timestamp.
    fn touches(&self, _side: crate::Side) -> bool {
        false
    }

    /// No header: it reads and writes the record's fields and metadata only.
    fn header_use(&self) -> crate::HeaderUse {
        crate::HeaderUse::NONE
    }

    /// Routes each row by its topic's substituted format and its formatted timestamp. Cost: one
    /// substitution per distinct topic, one formatting and topic look-up per distinct (topic,
    /// span of equal text) pair (a UTC day for `yyyyMMdd`: see
    /// [`SimpleDateFormat::constant_span_ms`]), one hash probe per row; no allocation per row.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let pieces = per_topic(input.meta, input.rows, |topic| self.pieces(topic));
        let span = self
            .timestamp_format
            .as_ref()
            .map_or(1, SimpleDateFormat::constant_span_ms);
        // (topic id, timestamp span) → the routed topic's id; probed for every row, so foldhash
        // rather than SipHash.
        let mut routes: HashMap<(u32, i64), u32, foldhash::fast::RandomState> = HashMap::default();
        let mut formatted = String::new();
        let mut topic = String::new();
        let mut errors = Vec::new();
        for (i, &row) in input.rows.iter().enumerate() {
            let Some(timestamp) = input.meta.timestamps.get(row as usize) else {
                errors.push((i as u32, missing_timestamp(&input.record(i))));
                continue;
            };
            let id = input.meta.topic_ids[row as usize];
            let route = (id, timestamp.div_euclid(span));
            let routed = match routes.get(&route) {
                Some(&routed) => routed,
                None => {
                    formatted.clear();
                    if let Err(e) = self.format_into(timestamp, &mut formatted) {
                        errors.push((i as u32, e));
                        continue;
                    }
                    let Some(Some(parts)) = pieces.get(id as usize) else {
                        continue;
                    };
                    join_into(&mut topic, parts, &formatted);
                    let routed = input.meta.intern_topic(&topic);
                    routes.insert(route, routed);
                    routed
                }
            };
            input.meta.topic_ids[row as usize] = routed;
        }
        kept_except(input.rows.len(), input.key, input.value, errors)
    }

    fn apply_record(
        &self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let Some(timestamp) = record.timestamp else {
            return Err(missing_timestamp(&record));
        };
        let mut formatted = String::new();
        self.format_into(timestamp, &mut formatted)?;
        let replaced = self.topic_format.replace("${topic}", &record.topic);
        record.topic = replaced.replace("${timestamp}", &formatted);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use weir_formats::schema::{Schema, SchemaKind};
    use weir_formats::value::Value;

    use super::*;
    use crate::kernel::routing::testkit::{arb_segment, assert_agree, kernel, reference};

    fn router(pairs: &[(&str, &str)]) -> TimestampRouter {
        TimestampRouter::from_config(&TransformConfig::new(
            "tr",
            "org.apache.kafka.connect.transforms.TimestampRouter",
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        ))
    }

    fn record(topic: &str, timestamp: Option<i64>) -> ConnectRecord {
        ConnectRecord {
            topic: topic.to_string(),
            partition: 0,
            offset: 3,
            timestamp,
            key_schema: Some(Schema::new(SchemaKind::String).into_ref()),
            key: Value::String("k".into()),
            value_schema: None,
            value: Value::Map(vec![(Value::String("a".into()), Value::Int64(1))]),
            headers: Vec::new(),
        }
    }

    fn routed(t: &TimestampRouter, topic: &str, timestamp: i64) -> String {
        t.apply_record(record(topic, Some(timestamp)))
            .unwrap()
            .unwrap()
            .topic
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(
            records in arb_segment(),
            (topic_format, timestamp_format) in prop_oneof![
                Just(("${topic}-${timestamp}", "yyyyMMdd")),
                Just(("${timestamp}_${topic}_x", "yyyy-MM-dd'T'HH")),
                Just(("static", "yyyy")),
                Just(("${timestamp}${timestamp}", "HH:mm:ss.SSS")),
                Just(("${topic}", "qq")),
            ],
        ) {
            let t = router(&[("topic.format", topic_format), ("timestamp.format", timestamp_format)]);
            assert_agree(&kernel(&t, &records), &reference(&t, &records));
        }
    }

    #[test]
    fn defaults_and_placeholders() {
        assert_eq!(
            routed(&router(&[]), "orders", 1_700_000_000_000),
            "orders-20231114"
        );
        let t = router(&[
            ("topic.format", "${timestamp}_${topic}_x"),
            ("timestamp.format", "yyyy-MM-dd'T'HH"),
        ]);
        assert_eq!(
            routed(&t, "orders", 1_700_000_000_000),
            "2023-11-14T22_orders_x"
        );
        assert_eq!(routed(&t, "orders", 0), "1970-01-01T00_orders_x");
        // The topic is substituted first, so a `${timestamp}` inside it is replaced too.
        assert_eq!(
            routed(&router(&[]), "a${timestamp}", 0),
            "a19700101-19700101"
        );
    }

    #[test]
    fn missing_timestamp_prints_the_record_like_kafka() {
        let e = router(&[])
            .apply_record(record("orders", None))
            .unwrap_err();
        assert_eq!(
            e.message,
            "Timestamp missing on record: SinkRecord{kafkaOffset=3, timestampType=NoTimestampType, \
             originalTopic=orders, originalKafkaPartition=0, originalKafkaOffset=3} \
             ConnectRecord{topic='orders', kafkaPartition=0, key=k, keySchema=Schema{STRING}, \
             value={a=1}, valueSchema=null, timestamp=null, headers=ConnectHeaders(headers=)}"
        );
    }

    #[test]
    fn bad_timestamp_format_fails_records_not_the_config() {
        let t = router(&[("timestamp.format", "yyyyq")]);
        let e = t.apply_record(record("orders", Some(0))).unwrap_err();
        assert_eq!(e.message, "Illegal pattern character 'q'");
    }
}
