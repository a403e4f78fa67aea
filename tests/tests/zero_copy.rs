//! Batches built over bytes the embedder already holds copy nothing in, String and ByteArray
//! values stay views of those bytes, and `process_into` writes into the storage of the last
//! output (issue 7).

use arrow_array::cast::AsArray;
use arrow_array::Array;
use weir_engine::{Output, Pipeline, RawBatch, RawBatchBuilder, RawRecord};

const STRINGS: &str = "\
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.converters.ByteArrayConverter
";

const JSON: &str = "\
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=false
errors.tolerance=all
";

/// A "fetched" buffer holding three records back to back, and the batch over it.
fn fetched() -> (Vec<u8>, RawBatch) {
    let mut bytes = Vec::new();
    let mut ranges = Vec::new();
    let mut put = |part: &[u8]| {
        let start = bytes.len();
        bytes.extend_from_slice(part);
        start..bytes.len()
    };
    for i in 0..3 {
        let key = put(format!("customer-key-number-{i}").as_bytes());
        let value = put(format!(r#"{{"id":{i},"name":"a name longer than twelve"}}"#).as_bytes());
        let name = put(b"trace-id");
        let header = put(format!("abc{i}").as_bytes());
        ranges.push((key, value, name, header));
    }
    let mut builder = RawBatchBuilder::over(bytes.clone());
    for (i, (key, value, name, header)) in ranges.into_iter().enumerate() {
        builder
            .push_ranges(
                "orders",
                Some(0),
                i as i64,
                None,
                Some(key),
                (i != 1).then_some(value),
                &[(name, Some(header))],
            )
            .expect("ranges of the buffer");
    }
    (bytes, builder.finish())
}

/// The same records, copied in one by one.
fn copied(batch: &RawBatch) -> RawBatch {
    batch.records().collect()
}

#[test]
fn a_batch_over_fetched_bytes_reads_them_in_place() {
    let (bytes, batch) = fetched();
    assert_eq!(batch.bytes(), bytes.as_slice());
    assert_eq!(batch.len(), 3);
    assert_eq!(batch.key(2), Some(b"customer-key-number-2".as_slice()));
    assert_eq!(batch.value(1), None);
    let headers: Vec<_> = batch.headers(0).collect();
    assert_eq!(headers, [("trace-id", Some(b"abc0".as_slice()))]);

    let pipeline = Pipeline::from_properties(STRINGS).expect("valid config");
    let decoded = pipeline.decode(&batch);
    let segment = &decoded.batch.segments[0];
    let base = batch.bytes().as_ptr();
    let keys = segment.key.data.as_string_view();
    assert_eq!(keys.value(1), "customer-key-number-1");
    assert!(
        keys.data_buffers().iter().any(|b| b.as_ptr() == base),
        "keys are views of the batch's buffer"
    );
    let values = segment.value.data.as_binary_view();
    assert!(values.is_null(1));
    assert!(
        values.data_buffers().iter().any(|b| b.as_ptr() == base),
        "values are views of the batch's buffer"
    );
}

#[test]
fn a_batch_over_fetched_bytes_gives_what_copied_records_give() {
    let (_, batch) = fetched();
    for config in [STRINGS, JSON] {
        let pipeline = Pipeline::from_properties(config).expect("valid config");
        let over = pipeline.process(&batch).expect("processed");
        let copy = pipeline.process(&copied(&batch)).expect("processed");
        assert_eq!(
            over.records.records().collect::<Vec<RawRecord<'_>>>(),
            copy.records.records().collect::<Vec<_>>()
        );
        assert_eq!(over.records.len(), 3);
    }
}

#[test]
fn ranges_outside_the_buffer_or_names_not_utf8_are_refused() {
    let mut builder = RawBatchBuilder::over(b"key\xffvalue".to_vec());
    let error = builder
        .push_ranges("t", Some(2), 7, None, Some(0..3), Some(4..99), &[])
        .unwrap_err();
    assert!(
        error.message.contains("offset 7 of t-2") && error.message.contains("value"),
        "{error:?}"
    );
    let error = builder
        .push_ranges("t", Some(2), 8, None, None, None, &[(2..4, None)])
        .unwrap_err();
    assert!(error.message.contains("name is not UTF-8"), "{error:?}");
    builder
        .push_ranges(
            "t",
            Some(2),
            9,
            None,
            Some(0..3),
            Some(4..9),
            &[(0..3, None)],
        )
        .expect("in range");
    let batch = builder.finish();
    assert_eq!(batch.len(), 1, "refused records left nothing behind");
    assert_eq!(batch.value(0), Some(b"value".as_slice()));
    assert_eq!(batch.headers(0).collect::<Vec<_>>(), [("key", None)]);
}

#[test]
fn process_into_writes_into_the_last_outputs_storage() {
    let (_, batch) = fetched();
    let pipeline = Pipeline::from_properties(JSON).expect("valid config");
    let expected = pipeline.process(&batch).expect("processed");
    let mut out = Output::default();
    pipeline.process_into(&batch, &mut out).expect("processed");
    let first = out.records.bytes().as_ptr();
    for _ in 0..3 {
        pipeline.process_into(&batch, &mut out).expect("processed");
        assert_eq!(out.records.bytes().as_ptr(), first, "the buffer is reused");
        assert_eq!(
            out.records.records().collect::<Vec<_>>(),
            expected.records.records().collect::<Vec<_>>()
        );
    }
    // Records still held elsewhere are left alone: the next output gets a buffer of its own.
    let held = out.records.clone();
    pipeline.process_into(&batch, &mut out).expect("processed");
    assert_ne!(out.records.bytes().as_ptr(), held.bytes().as_ptr());
    assert_eq!(
        held.records().collect::<Vec<_>>(),
        expected.records.records().collect::<Vec<_>>()
    );
}

#[test]
fn process_into_replaces_dead_letters_errors_and_counts() {
    let pipeline = Pipeline::from_properties(JSON).expect("valid config");
    let bad: RawBatch = [RawRecord {
        topic: "t",
        partition: Some(0),
        offset: 5,
        timestamp: None,
        key: None,
        value: Some(b"{not json"),
        headers: vec![],
    }]
    .into_iter()
    .collect();
    let (_, good) = fetched();
    let mut out = Output::default();
    pipeline.process_into(&bad, &mut out).expect("tolerated");
    assert_eq!((out.records.len(), out.dead_letters.len()), (0, 1));
    assert_eq!(out.errors.len(), 1);
    pipeline.process_into(&good, &mut out).expect("processed");
    assert_eq!((out.records.len(), out.dead_letters.len()), (3, 0));
    assert!(out.errors.is_empty());
}
