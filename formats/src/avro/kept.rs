//! Avro payloads that an equal AvroConverter would write back byte for byte, so that a side going
//! untouched from AvroConverter to AvroConverter ([`ConverterContext::keeps_verbatim`]) can keep
//! them as their bytes: no decode into Arrow, no encode back, only a check and a copy.
//!
//! A payload qualifies when two things hold. The schemas: the decoder of the writer schema and the
//! encoder of the schema AvroData derives from its Connect schema are inverses node by node (the
//! same layout, union branches at the same indexes, the same enum symbols in the same order, no
//! default written in place of a null); [`KeptForm::of`] compiles the check only then. The bytes:
//! they are in the one form that encoder writes ([`KeptForm::admits`]) — minimal varints, one
//! block of positive count per non-empty array, booleans 0 or 1, valid UTF-8 (the decoder repairs
//! the rest), no NaN floats (the encoder's widening to `f64` may change their bits), no trailing
//! bytes (the decoder ignores them). Maps (written in Java `HashMap` order), decimals, multi-branch
//! unions, INT8/INT16 fields, optional roots (a null is written back as no payload) and top-level
//! `bytes` (read and written raw) are always decoded.
//!
//! [`ConverterContext::keeps_verbatim`]: crate::converter_context::ConverterContext::keeps_verbatim

use super::cursor::Cursor;
use super::decoder::{self, Decoder};
use super::encoder::{self, Encoder};

/// One step of the check of what a schema's bytes must look like to be written back as they are.
/// A record is its fields' steps in order; an optional value or an array's item is the steps
/// that follow its own. Walking a list rather than a tree costs no call per field (a tree walk
/// spent ~30 instructions a field on the call alone, callgrind).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Utf8,
    Bytes,
    Fixed(usize),
    /// An enum of this many symbols.
    Enum(usize),
    /// A two-branch union with null at `null_at`; a null skips the value's next `value` steps.
    Optional {
        null_at: usize,
        value: usize,
    },
    /// An array whose item is checked by the next `item` steps.
    Array {
        item: usize,
    },
}

/// The compiled check of one (writer schema, Connect schema) pair whose encode inverts its decode.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptForm {
    steps: Vec<Step>,
}

impl KeptForm {
    /// The check for payloads `decoder` reads and `encoder` (of the Connect schema AvroData
    /// derives from the decoder's) writes back, or `None` where some payload of the schema would
    /// not come back as it was. Cost: one walk of the two compiled trees.
    pub fn of(decoder: &Decoder, encoder: &Encoder) -> Option<KeptForm> {
        // A null read from an optional root is written back as no payload at all, not as the
        // null branch.
        if let decoder::Op::Optional(..) = decoder.op {
            return None;
        }
        let mut steps = Vec::new();
        pair(&decoder.op, &encoder.op, &mut steps)?;
        Some(KeptForm { steps })
    }

    /// Whether `body` (the payload after the frame's id) is exactly what the encoder would write
    /// for the values the decoder reads from it. Cost: one pass over the bytes, no allocation.
    pub fn admits(&self, body: &[u8]) -> bool {
        let mut cursor = Cursor::new(body);
        scan(&self.steps, &mut cursor).is_some() && cursor.remaining() == 0
    }
}

/// Appends the steps that check a decoder node and the encoder node that writes its values
/// back, if they invert each other (`None` otherwise, with `steps` left part-written).
fn pair(read: &decoder::Op, write: &encoder::Op, steps: &mut Vec<Step>) -> Option<()> {
    use decoder::Op as R;
    use encoder::Op as W;
    let leaf = match (read, write) {
        (R::Boolean, W::Boolean) => Step::Boolean,
        (R::Int32 | R::Date | R::Time, W::Int) => Step::Int,
        (R::Int64 | R::Timestamp, W::Long) => Step::Long,
        (R::Float32, W::Float) => Step::Float,
        (R::Float64, W::Double) => Step::Double,
        (R::String, W::Bytes) => Step::Utf8,
        (R::Bytes(None), W::Bytes) => Step::Bytes,
        (R::Bytes(Some(n)), W::Fixed(m)) if n == m => Step::Fixed(*n),
        (R::Enum(symbols), W::Enum(indexes))
            if symbols.len() == indexes.len()
                && symbols
                    .iter()
                    .enumerate()
                    .all(|(i, s)| indexes.get(s) == Some(&i)) =>
        {
            Step::Enum(symbols.len())
        }
        (R::Array(read), W::Array(write)) => {
            return nested(read, write, steps, |item| Step::Array { item });
        }
        (R::Record(reads), W::Record(writes)) if reads.len() == writes.len() => {
            for (i, (read, field)) in reads.iter().zip(writes).enumerate() {
                let in_place = field.child == i && field.default.is_none();
                in_place.then_some(())?;
                pair(read, &field.op, steps)?;
            }
            return Some(());
        }
        (R::Optional(null_at, read), W::Optional(written_null, branch, write))
            if null_at == written_null && *null_at <= 1 && *branch == 1 - null_at =>
        {
            let null_at = *null_at;
            return nested(read, write, steps, |value| Step::Optional {
                null_at,
                value,
            });
        }
        _ => return None,
    };
    steps.push(leaf);
    Some(())
}

/// Appends `head` (given how many steps follow it) and then the steps of `read` and `write`.
fn nested(
    read: &decoder::Op,
    write: &encoder::Op,
    steps: &mut Vec<Step>,
    head: impl Fn(usize) -> Step,
) -> Option<()> {
    let at = steps.len();
    steps.push(head(0));
    pair(read, write, steps)?;
    steps[at] = head(steps.len() - at - 1);
    Some(())
}

/// A varint in its shortest form within `0..len`: a union branch, an enum index.
#[inline]
fn index(cur: &mut Cursor<'_>, len: usize) -> Option<usize> {
    let i = cur.shortest_long()?;
    (0..len as i64).contains(&i).then_some(i as usize)
}

/// A length-prefixed value (its length in shortest form).
#[inline]
fn length_prefixed<'a>(cur: &mut Cursor<'a>) -> Option<&'a [u8]> {
    let len = cur.shortest_long()?;
    if len < 0 || len as u64 > cur.remaining() as u64 {
        return None;
    }
    cur.take(len as usize).ok()
}

/// A length-prefixed UTF-8 string in the encoder's form. Cost: for a string under 64 bytes (a
/// one-byte length, most record strings), one bounds check and an ASCII scan, without the
/// general path's repeated checks of the length against what remains.
#[inline]
fn utf8(cur: &mut Cursor<'_>) -> Option<()> {
    let text = match cur.rest() {
        [length @ 0..=0x7F, rest @ ..] if length & 1 == 0 => {
            let text = rest.get(..usize::from(length >> 1))?;
            cur.skip(1 + text.len());
            text
        }
        _ => length_prefixed(cur)?,
    };
    crate::utf8::is_utf8(text).then_some(())
}

/// Reads one value of each of `steps`; `None` where the bytes are not in the encoder's form (or
/// not Avro at all: the decoder then reports why).
fn scan(steps: &[Step], cur: &mut Cursor<'_>) -> Option<()> {
    let mut at = 0;
    while let Some(step) = steps.get(at) {
        at += 1;
        match *step {
            Step::Boolean => {
                // The decoder reads any byte but 1 as false; only 0 is written back for it.
                if cur.take(1).ok()?[0] > 1 {
                    return None;
                }
            }
            Step::Int => {
                i32::try_from(cur.shortest_long()?).ok()?;
            }
            Step::Long => {
                cur.shortest_long()?;
            }
            Step::Float => {
                let bits = u32::from_le_bytes(cur.take(4).ok()?.try_into().ok()?);
                // The encoder reads FLOAT32 columns as f64 and narrows them back, which may
                // change a NaN's bits (a signalling NaN comes back quiet): NaNs are decoded.
                if f32::from_bits(bits).is_nan() {
                    return None;
                }
            }
            Step::Double => {
                cur.take(8).ok()?;
            }
            Step::Utf8 => utf8(cur)?,
            Step::Bytes => {
                length_prefixed(cur)?;
            }
            Step::Fixed(n) => {
                cur.take(n).ok()?;
            }
            Step::Enum(n) => {
                index(cur, n)?;
            }
            Step::Optional { null_at, value } => {
                if index(cur, 2)? == null_at {
                    at += value;
                }
            }
            Step::Array { item } => {
                let item_steps = steps.get(at..at + item)?;
                at += item;
                // One block of positive count, as the encoder writes; a count no bytes could
                // hold is left to the decoder's checks.
                let count = cur.shortest_long()?;
                if count < 0 || count as u64 > cur.remaining() as u64 {
                    return None;
                }
                if count > 0 {
                    for _ in 0..count {
                        scan(item_steps, cur)?;
                    }
                    (cur.take(1).ok()? == [0]).then_some(())?;
                }
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use crate::avro::{AvroConverter, AvroConverterConfig};
    use crate::fuzzing::written_back as written;
    use crate::registry::store::MemoryRegistry;
    use crate::registry::{SchemaRegistry, SchemaString, SchemaType};

    /// Every kind the kept form checks, nested.
    const SCHEMA: &str = r#"{"type":"record","name":"K","namespace":"kept","fields":[
        {"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"l","type":"long"},
        {"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"s","type":"string"},
        {"name":"y","type":"bytes"},{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B","C"]}},
        {"name":"x","type":{"type":"fixed","name":"X","size":2}},
        {"name":"date","type":{"type":"int","logicalType":"date"}},
        {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"o","type":["null","string"]},
        {"name":"a","type":{"type":"array","items":["null","long"]}},
        {"name":"r","type":{"type":"record","name":"R","fields":[{"name":"v","type":"int"}]}},
        {"name":"rs","type":{"type":"array","items":"R"}},
        {"name":"or","type":["null",{"type":"record","name":"P","fields":[
            {"name":"p","type":"long"},{"name":"q","type":"string"}]}]},
        {"name":"last","type":"boolean"}]}"#;

    fn converter(schema: &str, settings: &[(&str, &str)]) -> (AvroConverter, i32) {
        let registry = Arc::new(MemoryRegistry::new());
        let id = registry
            .register("t-value", &SchemaString::new(SchemaType::Avro, schema))
            .expect("register");
        let config = AvroConverterConfig::from_settings(&|k: &str| match k {
            "schema.registry.url" => Some("mock://kept-test".to_string()),
            _ => settings
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.to_string()),
        })
        .expect("config");
        (AvroConverter::new(config, registry), id)
    }

    /// A zigzag varint of `v`, with `pad` extra bytes of continuation where `pad > 0` (valid
    /// Avro, not the encoder's form).
    fn varint(v: i64, pad: usize, out: &mut Vec<u8>) {
        let mut n = ((v << 1) ^ (v >> 63)) as u64;
        let mut bytes = Vec::new();
        while n >= 0x80 {
            bytes.push((n as u8) | 0x80);
            n >>= 7;
        }
        bytes.push(n as u8);
        for _ in 0..pad {
            let last = bytes.len() - 1;
            bytes[last] |= 0x80;
            bytes.push(0);
        }
        out.extend_from_slice(&bytes);
    }

    /// One generated record of [`SCHEMA`]: its fields' values and, per value, a deviation from
    /// the encoder's form (0: none).
    #[derive(Debug, Clone)]
    struct Record {
        ints: Vec<i64>,
        floats: (u32, u64),
        texts: (Vec<u8>, Vec<u8>),
        enum_index: i64,
        optional: Option<String>,
        items: Vec<Option<i64>>,
        nested: Vec<i32>,
        odd: Vec<u8>,
    }

    fn record() -> impl Strategy<Value = Record> {
        (
            prop::collection::vec(any::<i32>().prop_map(i64::from), 6),
            (any::<u32>(), any::<u64>()),
            (
                "\\PC{0,12}".prop_map(String::into_bytes),
                prop::collection::vec(any::<u8>(), 0..6),
            ),
            0i64..3,
            prop::option::of("[a-z]{0,5}"),
            prop::collection::vec(prop::option::of(any::<i64>()), 0..4),
            prop::collection::vec(any::<i32>(), 0..3),
            prop::collection::vec(prop_oneof![12 => Just(0u8), 1 => 1u8..6], 12),
        )
            .prop_map(
                |(ints, floats, texts, enum_index, optional, items, nested, odd)| Record {
                    ints,
                    floats,
                    texts,
                    enum_index,
                    optional,
                    items,
                    nested,
                    odd,
                },
            )
    }

    /// `record` framed with `id`: in the encoder's form where every `odd` is 0 (and the float
    /// is not a signalling NaN).
    fn frame(record: &Record, id: i32) -> Vec<u8> {
        let odd = |k: usize| usize::from(record.odd[k]);
        let mut out = vec![0];
        out.extend_from_slice(&id.to_be_bytes());
        out.push(u8::from(record.ints[0] & 1 == 1) + u8::from(odd(0) == 5));
        varint(record.ints[1], odd(1), &mut out);
        varint(record.ints[2] << 20, odd(2), &mut out);
        // A signalling NaN, which the encoder's widening to f64 quiets.
        let float = if odd(11) == 1 {
            0x7F80_0001
        } else {
            record.floats.0
        };
        out.extend_from_slice(&float.to_le_bytes());
        out.extend_from_slice(&record.floats.1.to_le_bytes());
        // Invalid UTF-8, which the decoder repairs.
        let invalid = vec![b'a', 0xFF];
        let text = if odd(11) == 2 {
            &invalid
        } else {
            &record.texts.0
        };
        for (k, text) in [(3, text), (4, &record.texts.1)] {
            varint(text.len() as i64, odd(k), &mut out);
            out.extend_from_slice(text);
        }
        // An enum index out of range fails the record.
        varint(
            record.enum_index + i64::from(odd(11) == 3) * 3,
            odd(5),
            &mut out,
        );
        out.extend_from_slice(&[7, 9]);
        varint(record.ints[3], 0, &mut out);
        varint(record.ints[4], 0, &mut out);
        match &record.optional {
            None => varint(0, odd(6), &mut out),
            Some(text) => {
                varint(1, odd(6), &mut out);
                varint(text.len() as i64, 0, &mut out);
                out.extend_from_slice(text.as_bytes());
            }
        }
        let items = record.items.len() as i64;
        match odd(7) {
            // A negative count with the block's byte size: valid Avro, not the encoder's form.
            1 if items > 0 => {
                varint(-items, 0, &mut out);
                varint(0, 0, &mut out);
            }
            pad => varint(items, pad, &mut out),
        }
        for item in &record.items {
            match item {
                None => varint(0, 0, &mut out),
                Some(v) => {
                    varint(1, 0, &mut out);
                    varint(*v, 0, &mut out);
                }
            }
        }
        if items > 0 {
            out.push(0);
        }
        varint(record.ints[5], odd(8), &mut out);
        varint(record.nested.len() as i64, 0, &mut out);
        for v in &record.nested {
            varint(i64::from(*v), 0, &mut out);
        }
        if !record.nested.is_empty() {
            // Two blocks where one would do, or the one end marker.
            if odd(9) > 0 {
                varint(1, 0, &mut out);
                varint(0, 0, &mut out);
            }
            out.push(0);
        }
        // An optional record of two fields, then a field after it.
        match &record.optional {
            None => varint(0, 0, &mut out),
            Some(text) => {
                varint(1, 0, &mut out);
                varint(record.ints[2], 0, &mut out);
                varint(text.len() as i64, 0, &mut out);
                out.extend_from_slice(text.as_bytes());
            }
        }
        out.push(u8::from(record.ints[1] & 1 == 1));
        out.extend(std::iter::repeat_n(0xAB, odd(10)));
        out
    }

    proptest! {
        /// Keeping payloads as their bytes never changes what is written: every frame, in the
        /// encoder's form or not (padded varints, a negative block count, two blocks, trailing
        /// bytes, invalid UTF-8, a bad boolean, an enum index out of range), comes out as
        /// decoding and encoding it would write, or fails the same way.
        #[test]
        fn kept_payloads_come_back_as_decoding_and_encoding_write_them(
            records in prop::collection::vec(record(), 1..12),
        ) {
            // AvroData writes an enum back as an enum only with enhanced schema support.
            let (converter, id) = converter(SCHEMA, &[("enhanced.avro.schema.support", "true")]);
            let frames: Vec<Vec<u8>> = records.iter().map(|r| frame(r, id)).collect();
            let (decoded, _) = written(&converter, &frames, false);
            let (kept, kept_rows) = written(&converter, &frames, true);
            let canonical = records
                .iter()
                .filter(|r| r.odd.iter().all(|o| *o == 0) && !f32::from_bits(r.floats.0).is_nan())
                .count();
            prop_assert!(kept_rows >= canonical, "{} kept of {} in the encoder's form", kept_rows, canonical);
            prop_assert_eq!(&kept, &decoded);
            // What the encoder wrote is in its own form: all of it is kept the second time (but
            // NaN floats, always decoded).
            let nan = |r: &Record| r.odd[11] == 1 || f32::from_bits(r.floats.0).is_nan();
            let again: Vec<Vec<u8>> = decoded
                .iter()
                .zip(&records)
                .filter(|(_, r)| !nan(r))
                .filter_map(|(written, _)| written.clone().ok())
                .collect();
            let (rewritten, kept_rows) = written(&converter, &again, true);
            prop_assert_eq!(kept_rows, again.len());
            prop_assert_eq!(rewritten, again.into_iter().map(Ok).collect::<Vec<_>>());
        }
    }

    #[test]
    fn string_roots_come_back_as_decoding_and_encoding_write_them() {
        let (converter, id) = converter(r#""string""#, &[]);
        let framed = |body: &[u8]| {
            let mut frame = vec![0];
            frame.extend_from_slice(&id.to_be_bytes());
            frame.extend_from_slice(body);
            frame
        };
        let frames: Vec<Vec<u8>> = [
            &[4, b'h', b'i'][..],
            // A padded length, a negative one, invalid UTF-8, a trailing byte, a length past
            // the end.
            &[0x84, 0x00, b'h', b'i'],
            &[3, b'h'],
            &[4, b'h', 0xFF],
            &[4, b'h', b'i', 7],
            &[6, b'h', b'i'],
        ]
        .iter()
        .map(|body| framed(body))
        .collect();
        let (decoded, _) = written(&converter, &frames, false);
        let (kept, kept_rows) = written(&converter, &frames, true);
        assert_eq!(kept_rows, 1);
        assert_eq!(kept, decoded);
        // The body comes back as it was (under the id of the schema AvroData derives, which
        // carries `connect.version`).
        assert_eq!(kept[0].as_ref().map(|k| &k[5..]), Ok(&frames[0][5..]));
    }

    #[test]
    fn schemas_whose_writes_differ_from_their_reads_are_always_decoded() {
        // Whether a valid payload of `schema` is decoded rather than kept.
        let decoded_only = |schema: &str, payload: &[u8], settings: &[(&str, &str)]| {
            let (converter, id) = converter(schema, settings);
            let mut frame = vec![0];
            frame.extend_from_slice(&id.to_be_bytes());
            frame.extend_from_slice(payload);
            let (rows, kept) = written(&converter, &[frame], true);
            assert!(rows[0].is_ok(), "{rows:?}");
            kept == 0
        };
        let record = |field: &str| {
            format!(r#"{{"type":"record","name":"T","fields":[{{"name":"f","type":{field}}}]}}"#)
        };
        // A map is written in Java HashMap order; a decimal as its minimal bytes.
        let map = record(r#"{"type":"map","values":"int"}"#);
        assert!(decoded_only(&map, &[0], &[]));
        let decimal = record(r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":1}"#);
        assert!(decoded_only(&decimal, &[2, 5], &[]));
        // Without enhanced schema support AvroData writes an enum back as a string.
        let symbols = record(r#"{"type":"enum","name":"E","symbols":["A","B"]}"#);
        assert!(decoded_only(&symbols, &[2], &[]));
        assert!(!decoded_only(
            &symbols,
            &[2],
            &[("enhanced.avro.schema.support", "true")]
        ));
        // The optional branch second: AvroData writes `["null", T]`.
        assert!(decoded_only(&record(r#"["int","null"]"#), &[0, 2], &[]));
        // A root other than a record: a string is kept, an optional root is not (its null
        // branch is written back as no payload).
        assert!(!decoded_only(r#""string""#, &[4, b'h', b'i'], &[]));
        assert!(!decoded_only(r#""long""#, &[7], &[]));
        assert!(decoded_only(
            r#"["null","string"]"#,
            &[2, 4, b'h', b'i'],
            &[]
        ));
        assert!(decoded_only(r#""bytes""#, &[1, 2], &[]));
        // The latest version is another schema.
        let latest = [
            ("use.latest.version", "true"),
            ("auto.register.schemas", "false"),
        ];
        assert!(decoded_only(&record(r#""int""#), &[2], &latest));
        assert!(!decoded_only(&record(r#""int""#), &[2], &[]));
    }
}
