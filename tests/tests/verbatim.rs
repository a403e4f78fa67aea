//! Untouched bytes pass through (design §1): with no transform that reads or changes the value and
//! the output converter equal to the input's, a JsonConverter keeps values (schemaless) or
//! envelopes' payloads (schemas on) already in the form it writes as their bytes instead of
//! decoding them, and the output is what decoding and encoding every value gives.

use arrow_schema::DataType;
use weir_engine::{Pipeline, RawBatch, RawBatchBuilder, RawRecord};

/// A passthrough with the value's JsonConverter at `schemas.enable={schemas}`.
fn passthrough(schemas: bool) -> String {
    format!(
        "\
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable={schemas}
errors.tolerance=all
"
    )
}

/// The same pipeline with an output setting that changes no byte (the schema cache's size), so
/// the output converter is not the input's and every value is decoded and encoded.
fn decoding_everything(schemas: bool) -> String {
    format!(
        "{}\
output.value.converter=org.apache.kafka.connect.json.JsonConverter
output.value.converter.schemas.enable={schemas}
output.value.converter.schemas.cache.size=7
",
        passthrough(schemas)
    )
}

/// Schemaless values Kafka writes back as they are, values it rewrites, nulls and broken ones.
const SCHEMALESS: [Option<&str>; 14] = [
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
/// The rows of [`SCHEMALESS`] kept as their bytes.
const SCHEMALESS_KEPT: [u32; 4] = [0, 10, 12, 13];

/// Envelopes whose payload Kafka writes back as it is (under a schema text it rewrites: its keys
/// are not in Kafka's order), payloads it rewrites, nulls and broken ones.
const ENVELOPES: [Option<&str>; 12] = [
    Some(
        r#"{"schema":{"type":"struct","optional":false,"name":"Order","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"double","optional":true,"field":"lat"}]},"payload":{"id":1,"name":"Ann","lat":1.5}}"#,
    ),
    Some(
        r#"{"schema":{"type":"struct","optional":false,"name":"Order","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"double","optional":true,"field":"lat"}]},"payload":{"id":1, "name":"Ann","lat":1.5}}"#,
    ),
    Some(
        r#"{"schema":{"type":"struct","optional":false,"name":"Order","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"double","optional":true,"field":"lat"}]},"payload":{"name":"Ann","id":1,"lat":1.5}}"#,
    ),
    Some(
        r#"{"schema":{"type":"struct","optional":false,"name":"Order","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"double","optional":true,"field":"lat"}]},"payload":{"id":1,"lat":2}}"#,
    ),
    Some(r#"{"schema":null,"payload":{"a":1}}"#),
    None,
    Some("{broken"),
    Some(
        r#"{"schema":{"type":"struct","optional":false,"name":"Order","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"double","optional":true,"field":"lat"}]},"payload":{"id":4294967297,"name":null,"lat":null}}"#,
    ),
    Some(r#"{"schema":{"type":"string","optional":false},"payload":"k\n"}"#),
    Some(
        r#"{"schema":{"type":"struct","optional":false,"name":"Order","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"double","optional":true,"field":"lat"}]},"payload":{"id":2,"name":null,"lat":-0.5}}"#,
    ),
    Some(r#"{"schema":{"type":"bytes","optional":false},"payload":"AQI="}"#),
    Some(
        r#"{"schema":{"type":"struct","optional":false,"name":"Order","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"double","optional":true,"field":"lat"}]},"payload":{"id":1,"name":"Ann","lat":1.5,"x":0}}"#,
    ),
];
/// The rows of [`ENVELOPES`] kept as their payload's bytes.
const ENVELOPES_KEPT: [u32; 3] = [0, 8, 9];

/// A converter mode: `schemas.enable`, the values, the rows kept as bytes.
type Mode = (bool, &'static [Option<&'static str>], &'static [u32]);

/// The two converter modes.
const MODES: [Mode; 2] = [
    (false, &SCHEMALESS, &SCHEMALESS_KEPT),
    (true, &ENVELOPES, &ENVELOPES_KEPT),
];

fn batch(values: &[Option<&str>]) -> RawBatch {
    let mut builder = RawBatchBuilder::new();
    for (offset, value) in values.iter().enumerate() {
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
    for (schemas, values, _) in MODES {
        let batch = batch(values);
        for chain in CHAINS_LEAVING_VALUES_ALONE {
            let verbatim = Pipeline::from_properties(&format!("{}{chain}", passthrough(schemas)))
                .expect("config");
            let decoding =
                Pipeline::from_properties(&format!("{}{chain}", decoding_everything(schemas)))
                    .expect("config");
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
            assert_eq!(kept.records.len(), values.len() - 1, "{chain}");
            // Canonical values come out as they went in (envelopes: under Kafka's schema text).
            let payload = |bytes: &[u8]| {
                let text = String::from_utf8(bytes.to_vec()).unwrap();
                text.split_once(r#""payload":"#)
                    .map_or(text.clone(), |(_, p)| p.to_string())
            };
            assert_eq!(
                payload(kept.records.value(0).unwrap()),
                payload(batch.value(0).unwrap())
            );
        }
    }
}

/// The batch rows whose values `config` keeps as their bytes.
fn kept_rows(config: &str, values: &[Option<&str>]) -> Vec<u32> {
    let pipeline = Pipeline::from_properties(config).expect("config");
    let decoded = pipeline.decode(&batch(values));
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
    for (schemas, values, canonical) in MODES {
        let passthrough = passthrough(schemas);
        for chain in CHAINS_LEAVING_VALUES_ALONE {
            assert_eq!(
                kept_rows(&format!("{passthrough}{chain}"), values),
                canonical,
                "{chain}"
            );
            assert!(
                kept_rows(&format!("{}{chain}", decoding_everything(schemas)), values).is_empty()
            );
        }
        let key_only = "transforms=hoist\ntransforms.hoist.type=org.apache.kafka.connect.transforms.HoistField$Key\ntransforms.hoist.field=k\n";
        assert_eq!(
            kept_rows(&format!("{passthrough}{key_only}"), values),
            canonical
        );
        for reads_values in [
            "transforms=mask\ntransforms.mask.type=org.apache.kafka.connect.transforms.MaskField$Value\ntransforms.mask.fields=id\n",
            "transforms=copy\ntransforms.copy.type=org.apache.kafka.connect.transforms.HeaderFrom$Value\ntransforms.copy.fields=id\ntransforms.copy.headers=id\ntransforms.copy.operation=copy\n",
            "transforms=keep\ntransforms.keep.type=org.apache.kafka.connect.transforms.Filter\ntransforms.keep.predicate=tomb\npredicates=tomb\npredicates.tomb.type=org.apache.kafka.connect.transforms.predicates.RecordIsTombstone\n",
        ] {
            assert!(
                kept_rows(&format!("{passthrough}{reads_values}"), values).is_empty(),
                "{reads_values}"
            );
        }
    }
}
