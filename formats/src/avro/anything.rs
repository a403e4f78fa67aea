//! AvroData's `io.confluent.connect.avro.Anything` record: how Confluent's AvroConverter writes a
//! value without a Connect schema (what JsonConverter with `schemas.enable=false` reads), and
//! reads it back as schemaless data.
//!
//! The record has one optional field per kind of value — `boolean`, `bytes`, `double`, `float`,
//! `int`, `long`, `string`, `array` (of Anything) and `map` (an array of `MapEntry` records, key
//! and value both Anything) — and a value sets the one field of its Java class: `Byte`, `Short`
//! and `Integer` go to `int`. A null inside an array or map is a record with no field set; a null
//! at the top level is no payload at all. A map is written in the order Java's `HashMap` iterates
//! it (the map JsonConverter reads an object into) and read back into one, so the last of equal
//! keys wins. Reading takes the first field set, in the order above.
//!
//! The record is recursive, so both ways stop at [`MAX_DEPTH`] levels of arrays and maps: Java
//! goes on until its stack overflows. Cost: a value tree per record, which is what schemaless
//! data to and from Avro needs anyway.

use std::sync::OnceLock;

use super::cursor::{write_bytes, write_long, Cursor, ReadError};
use super::decoder::DecodeError;
use super::schema::AvroSchema;
use crate::error::ConnectError;
use crate::java_hash_order::java_hash_map;
use crate::registry::canonical::avro_equality_form;
use crate::value::Value;

/// AvroData's `ANYTHING_SCHEMA`, as Java's `Schema.toString()` prints it (the form registered).
pub const ANYTHING_SCHEMA: &str = concat!(
    r#"{"type":"record","name":"Anything","namespace":"io.confluent.connect.avro","fields":["#,
    r#"{"name":"boolean","type":["null","boolean"],"default":null},"#,
    r#"{"name":"bytes","type":["null","bytes"],"default":null},"#,
    r#"{"name":"double","type":["null","double"],"default":null},"#,
    r#"{"name":"float","type":["null","float"],"default":null},"#,
    r#"{"name":"int","type":["null","int"],"default":null},"#,
    r#"{"name":"long","type":["null","long"],"default":null},"#,
    r#"{"name":"string","type":["null","string"],"default":null},"#,
    r#"{"name":"array","type":["null",{"type":"array","items":"Anything"}],"default":null},"#,
    r#"{"name":"map","type":["null",{"type":"array","items":{"type":"record","name":"MapEntry","#,
    r#""fields":[{"name":"key","type":"Anything"},{"name":"value","type":"Anything"}]}}],"#,
    r#""default":null}]}"#
);

/// The deepest nesting of arrays and maps read or written, as for JSON text.
pub const MAX_DEPTH: usize = 128;

/// The record's fields, declared in the record's order (a slot's discriminant is its position):
/// each is a `["null", T]` union.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Boolean,
    Bytes,
    Double,
    Float,
    Int,
    Long,
    String,
    Array,
    Map,
}

const SLOTS: [Slot; 9] = [
    Slot::Boolean,
    Slot::Bytes,
    Slot::Double,
    Slot::Float,
    Slot::Int,
    Slot::Long,
    Slot::String,
    Slot::Array,
    Slot::Map,
];

/// The fewest bytes an Anything record takes (every field null), and a MapEntry (two of them).
const MIN_RECORD: usize = SLOTS.len();

/// The parsed [`ANYTHING_SCHEMA`]. Cost: parsed once per process.
pub fn anything_schema() -> &'static AvroSchema {
    static SCHEMA: OnceLock<AvroSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| AvroSchema::parse(ANYTHING_SCHEMA).expect("AvroData's Anything schema"))
}

/// Whether `schema` is the Anything record as Avro's `Schema.equals` sees it (docs and aliases
/// aside), which is how AvroData decides to read a payload as schemaless data. Cost: writing and
/// re-parsing the schema once (call it once per schema id).
pub fn is_anything(schema: &AvroSchema) -> bool {
    static FORM: OnceLock<String> = OnceLock::new();
    let anything = FORM.get_or_init(|| avro_equality_form(ANYTHING_SCHEMA));
    avro_equality_form(&schema.to_json_string()) == *anything
}

/// Writes a non-null schemaless value as an Anything record payload. A value of a class
/// AvroData does not know schemaless (a `Struct`, a `BigDecimal`, a `Date`) is its
/// DataException, as is nesting past [`MAX_DEPTH`]. Cost: one pass over the value, plus a hash
/// order per map.
pub fn write_anything(value: &Value, out: &mut Vec<u8>) -> Result<(), ConnectError> {
    if value.is_null() {
        return Err(ConnectError::data(
            "a null schemaless value is written as no payload, not as an Anything record",
        ));
    }
    write(value, 0, out)
}

/// One Anything record; `depth`: arrays and maps around it.
fn write(value: &Value, depth: usize, out: &mut Vec<u8>) -> Result<(), ConnectError> {
    match value {
        Value::Null => out.extend_from_slice(&[0; SLOTS.len()]),
        Value::Boolean(b) => in_slot(Slot::Boolean, out, |out| out.push(u8::from(*b))),
        Value::Bytes(b) => in_slot(Slot::Bytes, out, |out| write_bytes(b, out)),
        Value::Float64(f) => in_slot(Slot::Double, out, |out| {
            out.extend_from_slice(&f.to_le_bytes())
        }),
        Value::Float32(f) => in_slot(Slot::Float, out, |out| {
            out.extend_from_slice(&f.to_le_bytes())
        }),
        Value::Int8(i) => in_slot(Slot::Int, out, |out| write_long(i64::from(*i), out)),
        Value::Int16(i) => in_slot(Slot::Int, out, |out| write_long(i64::from(*i), out)),
        Value::Int32(i) => in_slot(Slot::Int, out, |out| write_long(i64::from(*i), out)),
        Value::Int64(i) => in_slot(Slot::Long, out, |out| write_long(*i, out)),
        Value::String(s) => in_slot(Slot::String, out, |out| write_bytes(s.as_bytes(), out)),
        Value::Array(items) => {
            let depth = deeper(depth).map_err(ConnectError::data)?;
            let mut written = Ok(());
            in_slot(Slot::Array, out, |out| {
                write_block_start(items.len(), out);
                written = items.iter().try_for_each(|item| write(item, depth, out));
                out.push(0);
            });
            written?;
        }
        Value::Map(entries) => {
            let depth = deeper(depth).map_err(ConnectError::data)?;
            let entries = java_hash_map(entries.clone(), |a, b| a == b);
            let mut written = Ok(());
            in_slot(Slot::Map, out, |out| {
                write_block_start(entries.len(), out);
                written = entries.iter().try_for_each(|(key, value)| {
                    write(key, depth, out)?;
                    write(value, depth, out)
                });
                out.push(0);
            });
            written?;
        }
        Value::Struct(_) | Value::Decimal(_) | Value::Date(_) => {
            return Err(ConnectError::data(format!(
                "Unknown Java type for schemaless data: class {}",
                value.java_class()
            )))
        }
    }
    Ok(())
}

/// A record with only `slot` set, its value written by `value`: the null branch of every field
/// before and after it.
fn in_slot(slot: Slot, out: &mut Vec<u8>, value: impl FnOnce(&mut Vec<u8>)) {
    let at = slot as usize;
    out.extend_from_slice(&[0; SLOTS.len()][..at]);
    out.push(2);
    value(out);
    out.extend_from_slice(&[0; SLOTS.len()][at + 1..]);
}

/// The count of an array's one block, none for an empty array: Java's encoder writes a count
/// only for items and ends every array with a zero count.
fn write_block_start(count: usize, out: &mut Vec<u8>) {
    if count > 0 {
        write_long(count as i64, out);
    }
}

/// One level of arrays and maps below `depth`, or the error past [`MAX_DEPTH`].
fn deeper(depth: usize) -> Result<usize, String> {
    if depth >= MAX_DEPTH {
        return Err(format!(
            "an Anything record (schemaless Avro) nested deeper than {MAX_DEPTH} levels"
        ));
    }
    Ok(depth + 1)
}

/// Reads an Anything record payload as the schemaless value AvroData gives for it: `Null` when
/// no field is set. Trailing bytes are left, as Java's reader leaves them. Bad bytes are the
/// read error Java's reader would meet; nesting past [`MAX_DEPTH`] is a DataException. Cost:
/// one pass, a value tree.
pub fn read_anything(payload: &[u8]) -> Result<Value, DecodeError> {
    read(&mut Cursor::new(payload), 0)
}

/// One Anything record; `depth`: arrays and maps around it.
fn read(cursor: &mut Cursor<'_>, depth: usize) -> Result<Value, DecodeError> {
    let mut found = Value::Null;
    for field in SLOTS {
        if cursor.index(2)? == 0 {
            continue;
        }
        let value = match field {
            Slot::Boolean => Value::Boolean(cursor.boolean()?),
            Slot::Bytes => Value::Bytes(cursor.length_prefixed()?.to_vec()),
            Slot::Double => Value::Float64(cursor.double()?),
            Slot::Float => Value::Float32(cursor.float()?),
            Slot::Int => Value::Int32(cursor.int()?),
            Slot::Long => Value::Int64(cursor.long()?),
            Slot::String => {
                let bytes = cursor.length_prefixed()?;
                let text = std::str::from_utf8(bytes).map_err(|_| ReadError::BadUtf8)?;
                Value::String(text.to_string())
            }
            Slot::Array => {
                let depth = deeper(depth).map_err(too_deep)?;
                let mut items = Vec::new();
                read_blocks(cursor, MIN_RECORD, |cursor| {
                    items.push(read(cursor, depth)?);
                    Ok(())
                })?;
                Value::Array(items)
            }
            Slot::Map => {
                let depth = deeper(depth).map_err(too_deep)?;
                let mut entries = Vec::new();
                read_blocks(cursor, 2 * MIN_RECORD, |cursor| {
                    let key = read(cursor, depth)?;
                    entries.push((key, read(cursor, depth)?));
                    Ok(())
                })?;
                Value::Map(java_hash_map(entries, |a, b| a == b))
            }
        };
        if found.is_null() {
            found = value;
        }
    }
    Ok(found)
}

/// Reads an array's blocks, `item` once per item (`min_item`: the fewest bytes one takes).
fn read_blocks(
    cursor: &mut Cursor<'_>,
    min_item: usize,
    mut item: impl FnMut(&mut Cursor<'_>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    loop {
        let count = cursor.block_count(min_item)?;
        if count == 0 {
            return Ok(());
        }
        for _ in 0..count {
            item(cursor)?;
        }
    }
}

fn too_deep(message: String) -> DecodeError {
    DecodeError::Data(ConnectError::data(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::schema::AvroKind;
    use proptest::prelude::*;

    fn string(s: &str) -> Value {
        Value::String(s.to_string())
    }

    /// The payload (after the 5-byte frame header) of a base64 frame from the conformance case
    /// `j2a-schemaless-input` (Confluent 7.8's AvroConverter).
    fn payload_of(b64: &str) -> Vec<u8> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64")[5..]
            .to_vec()
    }

    #[test]
    fn the_schema_prints_as_java_prints_it() {
        assert_eq!(anything_schema().to_json_string(), ANYTHING_SCHEMA);
        assert!(is_anything(anything_schema()));
        let spaced = serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(ANYTHING_SCHEMA).unwrap(),
        )
        .unwrap();
        assert!(is_anything(&AvroSchema::parse(&spaced).unwrap()));
        let other = ANYTHING_SCHEMA.replace("\"float\"],", "\"double\"],");
        assert!(!is_anything(&AvroSchema::parse(&other).unwrap()));
    }

    #[test]
    fn slots_are_declared_in_the_records_field_order() {
        let AvroKind::Record { fields, .. } = &anything_schema().root_type().kind else {
            panic!("a record");
        };
        for (i, slot) in SLOTS.iter().enumerate() {
            assert_eq!(*slot as usize, i);
            assert_eq!(format!("{slot:?}").to_lowercase(), fields[i].name);
        }
    }

    #[test]
    fn values_are_written_as_confluent_writes_them() {
        let cases = [
            (Value::Int64(42), "AAAAAAEAAAAAAAJUAAAA"),
            (string("str"), "AAAAAAEAAAAAAAACBnN0cgAA"),
            (Value::Boolean(true), "AAAAAAECAQAAAAAAAAAA"),
            (
                Value::Array(vec![Value::Int64(1), Value::Int64(2)]),
                "AAAAAAEAAAAAAAAAAgQAAAAAAAICAAAAAAAAAAACBAAAAAAA",
            ),
            (
                Value::Map(vec![
                    (string("a"), Value::Int64(1)),
                    (string("b"), string("x")),
                ]),
                "AAAAAAEAAAAAAAAAAAIEAAAAAAAAAgJhAAAAAAAAAAICAAAAAAAAAAAAAgJiAAAAAAAAAAACAngAAAA=",
            ),
        ];
        for (value, b64) in cases {
            let mut out = Vec::new();
            write_anything(&value, &mut out).unwrap();
            assert_eq!(out, payload_of(b64), "{value:?}");
            assert_eq!(read_anything(&out).unwrap(), value);
        }
    }

    #[test]
    fn narrow_integers_widen_and_nulls_inside_are_empty_records() {
        let mut out = Vec::new();
        let value = Value::Array(vec![Value::Int8(-1), Value::Null, Value::Int16(300)]);
        write_anything(&value, &mut out).unwrap();
        assert_eq!(
            read_anything(&out).unwrap(),
            Value::Array(vec![Value::Int32(-1), Value::Null, Value::Int32(300)])
        );
        assert_eq!(read_anything(&[0; 9]).unwrap(), Value::Null);
    }

    #[test]
    fn maps_come_back_in_hash_map_order_with_the_last_of_equal_keys() {
        let mut out = Vec::new();
        let keys = ["zeta", "a", "mid", "a"];
        let value = Value::Map(
            keys.iter()
                .enumerate()
                .map(|(i, k)| (string(k), Value::Int64(i as i64)))
                .collect(),
        );
        write_anything(&value, &mut out).unwrap();
        let Value::Map(entries) = read_anything(&out).unwrap() else {
            panic!("a map");
        };
        let expected = java_hash_map(
            vec![
                (string("zeta"), Value::Int64(0)),
                (string("a"), Value::Int64(3)),
                (string("mid"), Value::Int64(2)),
            ],
            |a, b| a == b,
        );
        assert_eq!(entries, expected);
    }

    #[test]
    fn classes_without_a_schemaless_form_and_deep_nesting_fail() {
        let error = write_anything(&Value::Date(0), &mut Vec::new()).unwrap_err();
        assert_eq!(
            error.message,
            "Unknown Java type for schemaless data: class java.util.Date"
        );
        let mut deep = Value::Int64(1);
        for _ in 0..=MAX_DEPTH {
            deep = Value::Array(vec![deep]);
        }
        assert!(write_anything(&deep, &mut Vec::new()).is_err());
        // The same nesting as bytes: array branch, one item, ... without the ends.
        let mut bytes = Vec::new();
        for _ in 0..=MAX_DEPTH {
            bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 2, 2]);
        }
        bytes.resize(bytes.len() + 64, 0);
        assert!(matches!(read_anything(&bytes), Err(DecodeError::Data(_))));
    }

    #[test]
    fn hostile_bytes_are_read_errors() {
        assert!(matches!(
            read_anything(&[4]),
            Err(DecodeError::Read(ReadError::Index(2, 2)))
        ));
        assert!(matches!(
            read_anything(&[0, 0, 0, 0, 0, 0, 0, 2, 0x80, 0x80, 0x80, 0x80, 0x08]),
            Err(DecodeError::Read(ReadError::TooLong(_)))
        ));
        assert!(matches!(
            read_anything(&[0, 0, 0, 0, 0, 0, 2, 4, b'a']),
            Err(DecodeError::Read(ReadError::Eof))
        ));
        assert!(matches!(
            read_anything(&[0, 0, 0, 0, 0, 0, 2, 2, 0xFF]),
            Err(DecodeError::Read(ReadError::BadUtf8))
        ));
    }

    /// Schemaless values of every class AvroData writes, nested.
    fn schemaless() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Boolean),
            any::<i32>().prop_map(Value::Int32),
            any::<i64>().prop_map(Value::Int64),
            any::<f32>()
                .prop_filter("NaN has no equality", |f| !f.is_nan())
                .prop_map(Value::Float32),
            any::<f64>()
                .prop_filter("NaN has no equality", |f| !f.is_nan())
                .prop_map(Value::Float64),
            ".{0,6}".prop_map(Value::String),
            proptest::collection::vec(any::<u8>(), 0..6).prop_map(Value::Bytes),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::vec(("[a-f]{1,2}".prop_map(Value::String), inner), 0..5)
                    .prop_map(|entries| Value::Map(java_hash_map(entries, |a, b| a == b))),
            ]
        })
    }

    proptest! {
        /// Reading what was written gives the value back (maps already in hash order, as they
        /// come back), and every byte is read.
        #[test]
        fn written_values_read_back(value in schemaless()) {
            prop_assume!(!value.is_null());
            let mut out = Vec::new();
            write_anything(&value, &mut out).unwrap();
            let mut cursor = Cursor::new(&out);
            prop_assert_eq!(read(&mut cursor, 0).unwrap(), value);
            prop_assert_eq!(cursor.remaining(), 0);
        }

        /// Any bytes are read or refused, never a panic.
        #[test]
        fn any_bytes_are_read_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = read_anything(&bytes);
        }
    }
}
