//! Ragged schemaless orders (`smtbench run --mode schemaless-optional`): the generator's plain
//! JSON orders ([`crate::generator`]) rewritten so that the records of one batch differ in their
//! key sets and in the kinds of their numbers.
//!
//! The script's schemaless orders all have the same keys in the same order, with `quantity`
//! always an integer and `score` always a float, which is the easiest case for a columnar
//! decoder. Real schemaless topics are rarely that regular: producers leave out optional keys,
//! write `null` for some, and serialise the same number as `3` in one record and `3.5` in the
//! next. This data set measures the schemaless chain on such batches, where weir must still keep
//! the records columnar instead of falling back to a row per record (see issue 8).
//!
//! Each record keeps the generator's topic, partition, offset, timestamp, key and headers; its
//! value is rewritten as a pure function of the record index (a splitmix64 hash of it, so every
//! run holds the same records):
//!
//! - `email`, `score`, `tags`, `active`, `address.zip` and `address.geo` are each left out of
//!   about 30% of records, decided independently per key;
//! - `quantity` is a float with a fraction (`quantity + 0.5`) in about 30% of records, else the
//!   original integer;
//! - `score`, when present, is an integer (`0` or `1`, the float rounded) in about 30% of
//!   records, else the original float;
//! - `email`, when present, is JSON `null` in about 10% of records.
//!
//! The remaining keys keep their order and the value stays compact JSON. Record 1, for
//! instance, has no `tags`, a fractional `quantity` and an integer `score`:
//! `{"id":100001,"name":"Dmitri Silva","email":"dmitri.silva1@example.com","amount":"416.07",
//! "quantity":1.5,"currency":"EUR","created_at":1700000001563,"active":true,"address":{"street":
//! "5 Avenida da Liberdade","city":"Paris","zip":"75001","geo":{"lat":22.37806,
//! "lon":159.47382}},"score":1}`; record 17 has `"email":null` and neither `zip` nor `tags`.

use serde_json::{Map, Number, Value};

use crate::generator::{generate, GeneratedRecord, GeneratorConfig, Mode};

/// Out of 128: records that leave out an optional key, write `quantity` as a float or `score` as
/// an integer (38/128, about 29.7%).
const ABOUT_30_PERCENT: u64 = 38;
/// Out of 128: records whose present `email` is `null` (13/128, about 10.2%).
const ABOUT_10_PERCENT: u64 = 13;

/// The independent decisions made for each record, each from its own 7 bits of the hash.
#[derive(Debug, Clone, Copy)]
enum Draw {
    OmitEmail,
    OmitScore,
    OmitTags,
    OmitActive,
    OmitZip,
    OmitGeo,
    FractionalQuantity,
    IntegerScore,
    NullEmail,
}

/// The decisions of one record: the splitmix64 hash of its index.
#[derive(Debug, Clone, Copy)]
struct Shape(u64);

impl Shape {
    /// The shape of record `index`.
    fn of(index: usize) -> Self {
        Shape(splitmix64(index as u64))
    }

    /// Whether `draw` happens: its 7 bits of the hash are below `out_of_128`.
    fn draws(self, draw: Draw, out_of_128: u64) -> bool {
        (self.0 >> (draw as u32 * 7)) & 127 < out_of_128
    }

    /// Whether `draw` happens in about 30% of records.
    fn about_30(self, draw: Draw) -> bool {
        self.draws(draw, ABOUT_30_PERCENT)
    }
}

/// Sebastiano Vigna's splitmix64 finaliser: a well-mixed 64-bit hash of `x`.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The `records` ragged orders of indices `0..records`: the generator's schemaless records
/// (default seed and audit fraction) with each value rewritten as the module documentation
/// describes.
///
/// Lazy; each record costs the generator's few microseconds plus parsing its ~300-byte value
/// into a `serde_json::Value` and writing it back (a few more microseconds and a few dozen small
/// allocations).
pub fn ragged_records(records: usize) -> impl Iterator<Item = GeneratedRecord> {
    let config = GeneratorConfig {
        mode: Mode::Schemaless,
        records,
        ..GeneratorConfig::default()
    };
    generate(&config).enumerate().map(|(index, mut record)| {
        record.value = record.value.map(|value| ragged_value(&value, index));
        record
    })
}

/// The ragged rewrite of the schemaless order `value` of record `index`, as compact JSON. A value
/// that is not a JSON object (none of the generator's) is returned unchanged.
fn ragged_value(value: &str, index: usize) -> String {
    let shape = Shape::of(index);
    match serde_json::from_str::<Value>(value) {
        Ok(Value::Object(fields)) => {
            let fields = reshape_order(fields, shape);
            serde_json::to_string(&Value::Object(fields)).unwrap_or_else(|_| value.to_owned())
        }
        _ => value.to_owned(),
    }
}

/// The order's fields with `shape` applied, in their original order (a new map is built rather
/// than keys removed, so the order never depends on how the map removes).
fn reshape_order(fields: Map<String, Value>, shape: Shape) -> Map<String, Value> {
    fields
        .into_iter()
        .filter_map(|(key, field)| {
            let field = match key.as_str() {
                "email" if shape.about_30(Draw::OmitEmail) => return None,
                "email" if shape.draws(Draw::NullEmail, ABOUT_10_PERCENT) => Value::Null,
                "score" if shape.about_30(Draw::OmitScore) => return None,
                "score" if shape.about_30(Draw::IntegerScore) => {
                    let rounded = field.as_f64().is_some_and(|score| score >= 0.5);
                    Value::from(u8::from(rounded))
                }
                "tags" if shape.about_30(Draw::OmitTags) => return None,
                "active" if shape.about_30(Draw::OmitActive) => return None,
                "quantity" if shape.about_30(Draw::FractionalQuantity) => field
                    .as_i64()
                    .and_then(|quantity| Number::from_f64(quantity as f64 + 0.5))
                    .map_or(field, Value::Number),
                "address" => match field {
                    Value::Object(address) => Value::Object(reshape_address(address, shape)),
                    other => other,
                },
                _ => field,
            };
            Some((key, field))
        })
        .collect()
}

/// The address's fields without `zip` and `geo` where `shape` leaves them out, in their original
/// order.
fn reshape_address(address: Map<String, Value>, shape: Shape) -> Map<String, Value> {
    address
        .into_iter()
        .filter(|(key, _)| match key.as_str() {
            "zip" => !shape.about_30(Draw::OmitZip),
            "geo" => !shape.about_30(Draw::OmitGeo),
            _ => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDS: usize = 10_000;

    /// The values of the first `records` ragged records, parsed.
    fn parsed(records: usize) -> Vec<Map<String, Value>> {
        ragged_records(records)
            .map(|record| {
                let text = record.value.expect("ragged records have values");
                match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(fields)) => fields,
                    other => panic!("not a JSON object: {text} ({other:?})"),
                }
            })
            .collect()
    }

    #[test]
    fn two_calls_give_the_same_records() {
        let first: Vec<GeneratedRecord> = ragged_records(500).collect();
        let second: Vec<GeneratedRecord> = ragged_records(500).collect();
        assert_eq!(first, second);
    }

    #[test]
    fn records_keep_everything_but_the_value() {
        let config = GeneratorConfig {
            records: 200,
            ..GeneratorConfig::default()
        };
        for (ragged, plain) in ragged_records(200).zip(generate(&config)) {
            assert_eq!(ragged.topic, plain.topic);
            assert_eq!(ragged.partition, plain.partition);
            assert_eq!(ragged.offset, plain.offset);
            assert_eq!(ragged.timestamp, plain.timestamp);
            assert_eq!(ragged.key, plain.key);
            assert_eq!(ragged.headers, plain.headers);
        }
    }

    #[test]
    fn every_value_is_compact_json_with_keys_in_order() {
        let order = [
            "id",
            "name",
            "email",
            "amount",
            "quantity",
            "currency",
            "created_at",
            "active",
            "address",
            "tags",
            "score",
        ];
        let address_order = ["street", "city", "zip", "geo"];
        let is_in_order = |keys: Vec<&String>, order: &[&str]| {
            let positions: Vec<usize> = keys
                .iter()
                .map(|key| order.iter().position(|o| o == key).expect("known key"))
                .collect();
            positions.windows(2).all(|pair| pair[0] < pair[1])
        };
        for record in ragged_records(RECORDS) {
            let text = record.value.expect("ragged records have values");
            let value: Value = serde_json::from_str(&text).expect("the value parses as JSON");
            assert_eq!(serde_json::to_string(&value).unwrap(), text, "compact");
            assert!(!text.contains(": ") && !text.contains(", "), "{text}");
            let fields = value.as_object().expect("an object");
            assert!(is_in_order(fields.keys().collect(), &order), "{text}");
            let address = fields["address"].as_object().expect("an address");
            assert!(
                is_in_order(address.keys().collect(), &address_order),
                "{text}"
            );
        }
    }

    #[test]
    fn each_optional_key_is_absent_from_20_to_40_percent() {
        let values = parsed(RECORDS);
        let share = |absent: &dyn Fn(&Map<String, Value>) -> bool| {
            values.iter().filter(|v| absent(v)).count() as f64 / RECORDS as f64
        };
        for key in ["email", "score", "tags", "active"] {
            let absent = share(&|v| !v.contains_key(key));
            assert!((0.2..=0.4).contains(&absent), "{key} absent from {absent}");
        }
        for key in ["zip", "geo"] {
            let absent = share(&|v| !v["address"].as_object().unwrap().contains_key(key));
            assert!(
                (0.2..=0.4).contains(&absent),
                "address.{key} absent from {absent}"
            );
        }
        // The other keys are always there.
        for key in ["id", "name", "amount", "quantity", "currency", "created_at"] {
            assert_eq!(share(&|v| !v.contains_key(key)), 0.0, "{key}");
        }
    }

    #[test]
    fn quantity_and_score_mix_integers_and_floats() {
        let values = parsed(RECORDS);
        let quantities: Vec<&Number> = values
            .iter()
            .map(|v| match &v["quantity"] {
                Value::Number(n) => n,
                other => panic!("quantity {other}"),
            })
            .collect();
        let fractional = quantities.iter().filter(|n| n.to_string().contains('.'));
        let fractional: Vec<f64> = fractional.map(|n| n.as_f64().unwrap()).collect();
        assert!(
            fractional.iter().all(|q| q.fract() == 0.5),
            "quantity + 0.5"
        );
        let share = fractional.len() as f64 / RECORDS as f64;
        assert!(
            (0.2..=0.4).contains(&share),
            "{share} fractional quantities"
        );
        let integers = quantities.iter().filter(|n| n.is_i64()).count();
        assert_eq!(integers + fractional.len(), RECORDS);

        let scores: Vec<String> = values
            .iter()
            .filter_map(|v| v.get("score").map(Value::to_string))
            .collect();
        let integral = scores.iter().filter(|s| *s == "0" || *s == "1").count();
        let floats = scores.iter().filter(|s| s.contains('.')).count();
        assert_eq!(integral + floats, scores.len(), "integers are 0 or 1");
        let share = integral as f64 / scores.len() as f64;
        assert!((0.2..=0.4).contains(&share), "{share} integer scores");
    }

    #[test]
    fn null_email_appears_and_differs_from_absent() {
        let values = parsed(RECORDS);
        let null = values
            .iter()
            .filter(|v| v.get("email") == Some(&Value::Null))
            .count();
        let absent = values.iter().filter(|v| !v.contains_key("email")).count();
        let strings = values
            .iter()
            .filter(|v| v.get("email").is_some_and(Value::is_string))
            .count();
        assert_eq!(null + absent + strings, RECORDS);
        // About 10% of the ~70% of records that have an email.
        let share = null as f64 / (null + strings) as f64;
        assert!((0.05..=0.15).contains(&share), "{share} null emails");
        let text: Vec<String> = ragged_records(RECORDS).filter_map(|r| r.value).collect();
        assert_eq!(
            text.iter()
                .filter(|t| t.contains(r#""email":null"#))
                .count(),
            null
        );
    }

    #[test]
    fn first_record_is_pinned() {
        let value = ragged_records(1).next().and_then(|r| r.value);
        let expected = concat!(
            r#"{"id":100000,"name":"Carla Silva","email":"carla.silva0@example.com","#,
            r#""amount":"334.33","quantity":4,"currency":"GBP","created_at":1700000000779,"#,
            r#""active":true,"address":{"street":"334 Avenida da Liberdade","city":"Paris"},"#,
            r#""tags":["fragile"]}"#,
        );
        assert_eq!(value.as_deref(), Some(expected));
    }

    #[test]
    fn records_1_and_17_are_pinned() {
        let values: Vec<String> = ragged_records(18).filter_map(|r| r.value).collect();
        let one = concat!(
            r#"{"id":100001,"name":"Dmitri Silva","email":"dmitri.silva1@example.com","#,
            r#""amount":"416.07","quantity":1.5,"currency":"EUR","created_at":1700000001563,"#,
            r#""active":true,"address":{"street":"5 Avenida da Liberdade","city":"Paris","#,
            r#""zip":"75001","geo":{"lat":22.37806,"lon":159.47382}},"score":1}"#,
        );
        let seventeen = concat!(
            r#"{"id":100017,"name":"Lena Silva","email":null,"amount":"589.63","#,
            r#""quantity":13.5,"currency":"JPY","created_at":1700000026537,"active":true,"#,
            r#""address":{"street":"163 Elm Road","city":"Lagos","#,
            r#""geo":{"lat":56.37558,"lon":-132.13681}},"score":0.6618}"#,
        );
        assert_eq!(values[1], one);
        assert_eq!(values[17], seventeen);
    }

    #[test]
    fn floats_keep_a_fraction() {
        let one = Number::from_f64(1.0).unwrap();
        assert_eq!(Value::Number(one).to_string(), "1.0");
        let three_and_a_half = Number::from_f64(3.5).unwrap();
        assert_eq!(Value::Number(three_and_a_half).to_string(), "3.5");
    }
}
