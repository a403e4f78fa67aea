//! Schemaless JSON batches whose records differ — keys some records lack, numbers integral in some
//! records and not in others — decode into one part with variant columns and write back exactly
//! the bytes Kafka would: absent stays absent, null stays null, `1` stays `1` and `1.5` stays
//! `1.5` (issue 8).

use arrow_array::{Array, StructArray};
use proptest::prelude::*;
use weir_formats::converter::{Converter, ConverterContext, Encoded, Side};
use weir_formats::json::reference::JsonConfig;
use weir_formats::json::JsonConverter;
use weir_formats::value::Value;
use weir_formats::value_array::value_at;
use weir_formats::variant::{is_variant, Variant, ABSENT, FLOAT, INT};

fn schemaless() -> JsonConverter {
    JsonConverter::new(JsonConfig {
        schemas_enable: false,
        ..JsonConfig::default()
    })
}

/// Each record's written bytes after one batch decode and encode, and the number of parts.
fn round_trip(records: &[String]) -> (Vec<Option<Vec<u8>>>, usize) {
    let converter = schemaless();
    let inputs: Vec<Option<&[u8]>> = records.iter().map(|r| Some(r.as_bytes())).collect();
    let context = ConverterContext::single_topic(Side::Value, "t");
    let decoded = converter.decode(&inputs, &context);
    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    let mut rows = vec![None; inputs.len()];
    for part in &decoded.parts {
        let mut out = Encoded::default();
        converter.encode(&part.column, &context, &mut out);
        for (i, row) in part.rows.iter().enumerate() {
            rows[*row as usize] = out.row(i).map(<[u8]>::to_vec);
        }
    }
    (rows, decoded.parts.len())
}

/// A compact JSON number: an integer, or a double as Java prints it (`2.0`, `-0.5`).
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i32>().prop_map(|n| n.to_string()),
        (-1000i32..1000, 1u8..4).prop_map(|(n, d)| format!("{}.{}", n, "5".repeat(d as usize))),
        (-100i32..100).prop_map(|n| format!("{n}.0")),
    ]
}

/// One field's value text: a number, a string, null, or a small object with optional keys.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => number(),
        2 => "[a-z]{0,3}".prop_map(|s| format!("\"{s}\"")),
        1 => Just("null".to_string()),
        1 => (proptest::option::of(number()), proptest::option::of(number())).prop_map(|(x, y)| {
            let mut parts = Vec::new();
            if let Some(x) = x {
                parts.push(format!("\"x\":{x}"));
            }
            if let Some(y) = y {
                parts.push(format!("\"y\":{y}"));
            }
            format!("{{{}}}", parts.join(","))
        }),
        1 => proptest::collection::vec(number(), 0..3).prop_map(|items| format!("[{}]", items.join(","))),
    ]
}

/// Records over the keys `a`…`f` in that order, each present in about 70% of records; with
/// `reversed`, some records have theirs the other way round.
fn records(reversed: bool) -> impl Strategy<Value = Vec<String>> {
    let fields = proptest::collection::vec(proptest::option::weighted(0.7, value()), 6);
    let record = (
        fields,
        proptest::bool::weighted(if reversed { 0.3 } else { 0.0 }),
    );
    proptest::collection::vec(record, 1..12).prop_map(|rows| {
        rows.into_iter()
            .map(|(fields, reverse)| {
                let mut entries: Vec<String> = fields
                    .into_iter()
                    .zip(["a", "b", "c", "d", "e", "f"])
                    .filter_map(|(v, k)| v.map(|v| format!("\"{k}\":{v}")))
                    .collect();
                if reverse {
                    entries.reverse();
                }
                format!("{{{}}}", entries.join(","))
            })
            .collect()
    })
}

proptest! {
    /// Whatever keys each record has, in whatever order, it is written back as it came.
    #[test]
    fn ragged_records_come_back_byte_for_byte(records in records(true)) {
        let (written, _) = round_trip(&records);
        for (record, written) in records.iter().zip(written) {
            prop_assert_eq!(Some(record.as_bytes().to_vec()), written);
        }
    }

    /// Records whose keys come in one order make one part, whichever keys each lacks.
    #[test]
    fn records_with_keys_in_one_order_make_one_part(records in records(false)) {
        let (written, parts) = round_trip(&records);
        prop_assert_eq!(parts, 1);
        for (record, written) in records.iter().zip(written) {
            prop_assert_eq!(Some(record.as_bytes().to_vec()), written);
        }
    }
}

#[test]
fn optional_keys_and_mixed_numbers_are_variants_not_raw_text() {
    let records = [
        r#"{"id":1,"q":2}"#,
        r#"{"id":2,"q":2.5,"e":null}"#,
        r#"{"q":3}"#,
    ];
    let inputs: Vec<Option<&[u8]>> = records.iter().map(|r| Some(r.as_bytes())).collect();
    let context = ConverterContext::single_topic(Side::Value, "t");
    let decoded = schemaless().decode(&inputs, &context);
    assert_eq!(decoded.parts.len(), 1);
    let column = &decoded.parts[0].column;
    let array = column.data.as_any().downcast_ref::<StructArray>().unwrap();
    let names: Vec<&str> = array.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "q", "e"]);
    for field in array.fields() {
        assert!(is_variant(field.data_type()), "{field:?}");
    }
    let q = Variant::of(array.column(1).as_ref()).unwrap();
    let kinds: Vec<&str> = q.children().map(|(f, _)| f.name().as_str()).collect();
    assert_eq!(kinds, [INT, FLOAT]);
    let e = Variant::of(array.column(2).as_ref()).unwrap();
    assert_eq!(e.children().next().unwrap().0.name(), ABSENT);
    assert!(e.is_absent(0) && !e.is_absent(1));
    // Read back as Kafka holds them: absent keys are no entries, null is an entry.
    let entry = |k: &str, v: Value| (Value::String(k.into()), v);
    assert_eq!(
        value_at(None, array, 1),
        Value::Map(vec![
            entry("id", Value::Int64(2)),
            entry("q", Value::Float64(2.5)),
            entry("e", Value::Null),
        ])
    );
    assert_eq!(
        value_at(None, array, 2),
        Value::Map(vec![entry("q", Value::Int64(3))])
    );
}
