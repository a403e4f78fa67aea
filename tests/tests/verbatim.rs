//! Untouched bytes pass through (design §1): with no transform that reads or changes the value and
//! the output converter equal to the input's, a schemaless JsonConverter keeps values already in
//! Jackson's form as their bytes instead of decoding them, and the output is what decoding and
//! encoding every value gives.

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

/// Chains that leave the value alone: none, and one that edits headers, renames topics and
/// filters by topic.
const CHAINS_LEAVING_VALUES_ALONE: [&str; 2] = [
    "",
    "\
transforms=drop,route,keep
transforms.drop.type=org.apache.kafka.connect.transforms.DropHeaders
transforms.drop.headers=trace
transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter
transforms.route.regex=orders
transforms.route.replacement=orders-out
transforms.keep.type=org.apache.kafka.connect.transforms.Filter
transforms.keep.predicate=other
transforms.keep.negate=true
predicates=other
predicates.other.type=org.apache.kafka.connect.transforms.predicates.TopicNameMatches
predicates.other.pattern=orders-out
",
];

#[test]
fn kept_bytes_give_what_decoding_every_value_gives() {
    let batch = batch();
    for chain in CHAINS_LEAVING_VALUES_ALONE {
        let verbatim = Pipeline::from_properties(&format!("{PASSTHROUGH}{chain}")).expect("config");
        let decoding =
            Pipeline::from_properties(&format!("{DECODING_EVERYTHING}{chain}")).expect("config");
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
        assert_eq!(kept.records.len(), 13, "{chain}");
        // Canonical values come out as they went in.
        assert_eq!(kept.records.value(0), batch.value(0));
    }
}

/// The batch rows whose values `config` keeps as their bytes.
fn kept_rows(config: &str) -> Vec<u32> {
    let pipeline = Pipeline::from_properties(config).expect("config");
    let decoded = pipeline.decode(&batch());
    let mut rows: Vec<u32> = decoded
        .batch
        .segments
        .iter()
        .filter(|segment| segment.value.data.data_type() == &DataType::LargeUtf8)
        .flat_map(|segment| segment.rows.iter().copied())
        .collect();
    rows.sort_unstable();
    rows
}

/// The kept values are the canonical ones, and only when nothing reads them.
#[test]
fn only_untouched_canonical_values_are_kept_as_bytes() {
    let canonical = [0, 10, 12, 13];
    for chain in CHAINS_LEAVING_VALUES_ALONE {
        assert_eq!(
            kept_rows(&format!("{PASSTHROUGH}{chain}")),
            canonical,
            "{chain}"
        );
        assert!(kept_rows(&format!("{DECODING_EVERYTHING}{chain}")).is_empty());
    }
    let key_only = "transforms=hoist\ntransforms.hoist.type=org.apache.kafka.connect.transforms.HoistField$Key\ntransforms.hoist.field=k\n";
    assert_eq!(kept_rows(&format!("{PASSTHROUGH}{key_only}")), canonical);
    for reads_values in [
        "transforms=mask\ntransforms.mask.type=org.apache.kafka.connect.transforms.MaskField$Value\ntransforms.mask.fields=id\n",
        "transforms=copy\ntransforms.copy.type=org.apache.kafka.connect.transforms.HeaderFrom$Value\ntransforms.copy.fields=id\ntransforms.copy.headers=id\ntransforms.copy.operation=copy\n",
        "transforms=keep\ntransforms.keep.type=org.apache.kafka.connect.transforms.Filter\ntransforms.keep.predicate=tomb\npredicates=tomb\npredicates.tomb.type=org.apache.kafka.connect.transforms.predicates.RecordIsTombstone\n",
    ] {
        assert!(kept_rows(&format!("{PASSTHROUGH}{reads_values}")).is_empty(), "{reads_values}");
    }
}
