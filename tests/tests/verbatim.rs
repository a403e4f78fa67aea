//! Untouched bytes pass through (design §1): with no transform and the output converter equal to
//! the input's, a schemaless JsonConverter keeps values already in Jackson's form as their bytes
//! instead of decoding them, and the output is what decoding and encoding every value gives.

use arrow_schema::DataType;
use weir_engine::{Pipeline, RawBatch, RawBatchBuilder, RawRecord};

const PASSTHROUGH: &str = "\
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=false
errors.tolerance=all
";

/// The same pipeline with an output setting that changes no byte (the schema cache's size), so
/// the output converter is not the input's and every value is decoded and encoded.
const DECODING_EVERYTHING: &str = "\
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=false
output.value.converter=org.apache.kafka.connect.json.JsonConverter
output.value.converter.schemas.enable=false
output.value.converter.schemas.cache.size=7
errors.tolerance=all
";

/// Values Kafka writes back as they are, values it rewrites, nulls and broken ones.
fn batch() -> RawBatch {
    let values: [Option<&str>; 14] = [
        Some(r#"{"id":1,"name":"Ann","tags":["a","b"],"geo":{"lat":1.5,"lon":-2.25}}"#),
        Some(r#"{"id": 2}"#),
        Some(r#"{"id":3,"id":4}"#),
        Some(r#"{"price":1.50,"n":-0,"big":1e2}"#),
        Some(r#"{"s":"\u0041\/\n\u001f"}"#),
        // Jackson escapes a character outside the BMP: the raw one is rewritten.
        Some(r#"{"emoji":"😀","escaped":"\uD83D\uDE00"}"#),
        Some("null"),
        None,
        Some(""),
        Some("{broken"),
        Some(r#""just a string""#),
        Some("9223372036854775808"),
        Some("[1,2.0,true,null,{}]"),
        Some(r#"{"id":5,"name":"Bo"}"#),
    ];
    let mut builder = RawBatchBuilder::new();
    for (offset, value) in values.into_iter().enumerate() {
        builder.push_parts(
            "orders",
            0,
            offset as i64,
            None,
            Some(format!("key-{offset}").as_bytes()),
            value.map(str::as_bytes),
            [("trace", Some(&b"t"[..]))],
        );
    }
    builder.finish()
}

#[test]
fn kept_bytes_give_what_decoding_every_value_gives() {
    let batch = batch();
    let verbatim = Pipeline::from_properties(PASSTHROUGH).expect("config");
    let decoding = Pipeline::from_properties(DECODING_EVERYTHING).expect("config");
    let kept = verbatim.process(&batch).expect("processed");
    let decoded = decoding.process(&batch).expect("processed");
    assert_eq!(
        kept.records.records().collect::<Vec<RawRecord<'_>>>(),
        decoded.records.records().collect::<Vec<_>>()
    );
    assert_eq!(
        kept.dead_letters.records().collect::<Vec<RawRecord<'_>>>(),
        decoded.dead_letters.records().collect::<Vec<_>>()
    );
    assert_eq!(kept.errors.len(), 1, "{:?}", kept.errors);
    // Canonical values come out as they went in.
    assert_eq!(kept.records.value(0), batch.value(0));
}

/// The kept values are the canonical ones, and only when nothing reads them.
#[test]
fn only_untouched_canonical_values_are_kept_as_bytes() {
    let batch = batch();
    let kept_rows = |config: &str| -> Vec<u32> {
        let pipeline = Pipeline::from_properties(config).expect("config");
        let decoded = pipeline.decode(&batch);
        let mut rows: Vec<u32> = decoded
            .batch
            .segments
            .iter()
            .filter(|segment| segment.value.data.data_type() == &DataType::LargeUtf8)
            .flat_map(|segment| segment.rows.iter().copied())
            .collect();
        rows.sort_unstable();
        rows
    };
    assert_eq!(kept_rows(PASSTHROUGH), [0, 10, 12, 13]);
    assert!(kept_rows(DECODING_EVERYTHING).is_empty());
    let with_a_transform = format!(
        "{PASSTHROUGH}transforms=drop\ntransforms.drop.type=org.apache.kafka.connect.transforms.DropHeaders\ntransforms.drop.headers=trace\n"
    );
    assert!(kept_rows(&with_a_transform).is_empty());
}
