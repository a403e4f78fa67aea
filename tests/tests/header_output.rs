//! Headers are written by the output header converter as each record is assembled: a header that
//! fails to write fails its record (a dead letter, or the batch's error when errors are not
//! tolerated) and leaves the records around it whole, and a record a transform dropped never has
//! its headers converted (Kafka Connect converts a record only after the chain kept it).

use std::sync::Arc;

use weir_engine::registry::{Registry, Settings};
use weir_engine::{Pipeline, RawBatch, RawBatchBuilder, Stage};
use weir_formats::converter::HeaderConverter;
use weir_formats::error::ConnectError;
use weir_formats::schema::SchemaRef;
use weir_formats::value::Value;

/// Reads headers as strings and refuses to write the text "bad".
#[derive(Debug)]
struct PickyHeaderConverter;

impl HeaderConverter for PickyHeaderConverter {
    fn to_connect(
        &self,
        _name: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConnectError> {
        Ok((
            None,
            bytes.map_or(Value::Null, |b| {
                Value::String(String::from_utf8_lossy(b).into_owned())
            }),
        ))
    }

    fn to_bytes(
        &self,
        name: &str,
        _schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        match value {
            Value::Null => Ok(None),
            Value::String(text) if text == "bad" => Err(ConnectError::data(format!(
                "header {name} may not be written as \"bad\""
            ))),
            Value::String(text) => Ok(Some(text.clone().into_bytes())),
            other => Err(ConnectError::data(format!("not a string: {other:?}"))),
        }
    }
}

fn pipeline(extra: &str) -> Pipeline {
    let mut registry = Registry::builtin();
    registry.register_header_converter("test.PickyHeaderConverter", |_: &Settings| {
        Ok(Arc::new(PickyHeaderConverter))
    });
    let config = format!(
        "key.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.storage.StringConverter\n\
         header.converter=test.PickyHeaderConverter\n{extra}"
    );
    Pipeline::from_properties_with(&config, &registry).expect("a valid config")
}

/// Records at offsets 0–3, each with a `first` header and a `second` header; the `second`
/// header of offset 1 reads "bad".
fn batch() -> RawBatch {
    let mut builder = RawBatchBuilder::new();
    for offset in 0..4i64 {
        let second = if offset == 1 {
            "bad".to_string()
        } else {
            format!("ok-{offset}")
        };
        let first = format!("first-{offset}");
        builder.push_parts(
            "orders",
            0,
            offset,
            None,
            Some(format!("k{offset}").as_bytes()),
            Some(format!("v{offset}").as_bytes()),
            [
                ("first", Some(first.as_bytes())),
                ("second", Some(second.as_bytes())),
            ],
        );
    }
    builder.finish()
}

/// Each output record: its offset and its headers as text.
fn records(batch: &RawBatch) -> Vec<(i64, Vec<(String, String)>)> {
    (0..batch.len())
        .map(|row| {
            let headers = batch
                .headers(row)
                .map(|(name, value)| {
                    let value = value.map(|v| String::from_utf8_lossy(v).into_owned());
                    (name.to_string(), value.unwrap_or_default())
                })
                .collect();
            (batch.offset(row), headers)
        })
        .collect()
}

fn headers_of(offset: i64) -> (i64, Vec<(String, String)>) {
    let pair = |name: &str, value: String| (name.to_string(), value);
    (
        offset,
        vec![
            pair("first", format!("first-{offset}")),
            pair("second", format!("ok-{offset}")),
        ],
    )
}

#[test]
fn a_header_that_fails_to_write_sends_its_record_to_the_dead_letters() {
    let out = pipeline("errors.tolerance=all\n")
        .process(&batch())
        .expect("errors are tolerated");
    assert_eq!(
        records(&out.records),
        vec![headers_of(0), headers_of(2), headers_of(3)]
    );
    assert_eq!(out.errors.len(), 1);
    let error = &out.errors[0];
    assert_eq!((error.offset, error.stage), (1, Stage::HeaderConverter));
    assert_eq!(error.class_name, "test.PickyHeaderConverter");
    assert!(error.error.message.contains("second"), "{}", error.error);
    assert_eq!(out.dead_letters.len(), 1);
    let dead = out.dead_letters.record(0);
    assert_eq!((dead.offset, dead.value), (1, Some(&b"v1"[..])));
}

#[test]
fn without_tolerance_a_header_that_fails_to_write_fails_the_batch() {
    let error = pipeline("")
        .process(&batch())
        .expect_err("errors are not tolerated");
    assert_eq!((error.offset, error.stage), (1, Stage::HeaderConverter));
}

#[test]
fn a_dropped_record_has_no_header_written() {
    let out = pipeline(
        "errors.tolerance=none\n\
         transforms=dropBad\n\
         transforms.dropBad.type=org.apache.kafka.connect.transforms.Filter\n\
         transforms.dropBad.predicate=isOne\n\
         predicates=isOne\n\
         predicates.isOne.type=org.apache.kafka.connect.transforms.predicates.RecordIsTombstone\n\
         predicates.isOne.negate=false\n",
    );
    let mut builder = RawBatchBuilder::new();
    for record in batch().records() {
        let value = (record.offset != 1).then_some(record.value).flatten();
        builder.push_parts(
            record.topic,
            record.partition,
            record.offset,
            record.timestamp,
            record.key,
            value,
            record.headers.iter().copied(),
        );
    }
    let out = out.process(&builder.finish()).expect("offset 1 is dropped");
    assert_eq!(out.dropped, 1);
    assert!(out.errors.is_empty());
    assert_eq!(
        records(&out.records),
        vec![headers_of(0), headers_of(2), headers_of(3)]
    );
}
