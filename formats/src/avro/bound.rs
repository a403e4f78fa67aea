//! An [`Encoder`] bound to one column: the Arrow arrays of every node downcast once per column,
//! so writing a row is a walk over typed slices instead of a type dispatch per node and row.
//!
//! Hand-written because the per-row dispatch of the unbound `encoder::write` (a `data_type`
//! match and a downcast for each value) was a fifth of an Avro chain's instructions (callgrind,
//! `chain2_avro`). The common nodes — records, optional unions, `boolean`, `int`/`long` from 32-
//! and 64-bit integer columns, `float`/`double` from float columns, strings and bytes from view
//! columns, arrays — are bound; any other node (maps, decimals, enums, fixed, union structs, a
//! promotion from another Arrow type) is written by the unbound path for its subtree, so both
//! give the same bytes and errors (a proptest holds them to it).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float32Type, Float64Type, Int32Type, Int64Type, Time32MillisecondType,
    TimestampMillisecondType,
};
use arrow_array::{Array, ArrayRef, BinaryViewArray, BooleanArray, StringViewArray};
use arrow_buffer::NullBuffer;
use arrow_schema::DataType;

use super::cursor::{write_bytes, write_long};
use super::encoder::{write, Encoder, Op};
use crate::error::ConnectError;

/// An encoder bound to one column ([`Encoder::bind`]). Cost to make: one walk of the compiled
/// tree and the column's children, cloning field names and the ops of unbound nodes.
#[derive(Debug)]
pub struct BoundEncoder<'a> {
    root: Node<'a>,
}

impl<'a> BoundEncoder<'a> {
    /// Writes row `row` of the bound column to `out`, as the unbound `encoder::write` would.
    pub fn write(&self, row: usize, out: &mut Vec<u8>) -> Result<(), ConnectError> {
        self.root.write(row, out)
    }
}

impl Encoder {
    /// This encoder bound to `array` (a column of the compiled schema). Never fails: a node whose
    /// column is not of the type it expects is left to the unbound `encoder::write`, which
    /// reports it.
    pub fn bind<'a>(&self, array: &'a dyn Array) -> BoundEncoder<'a> {
        BoundEncoder {
            root: bind(&self.op, array),
        }
    }
}

/// One bound node: its column's nulls (where it has any) and how a value is written.
#[derive(Debug)]
struct Node<'a> {
    nulls: Option<&'a NullBuffer>,
    kind: Kind<'a>,
}

#[derive(Debug)]
enum Kind<'a> {
    Boolean(&'a BooleanArray),
    /// 32-bit integers written as a varint (`int` or `long`).
    Int32(&'a [i32]),
    /// 64-bit integers written as a varint (`long`, or `int` after the range check the unbound
    /// path does not make either).
    Int64(&'a [i64]),
    /// Floats: `true` writes them as `float`, `false` widened to `double`.
    Float32(&'a [f32], bool),
    Float64(&'a [f64], bool),
    Strings(&'a StringViewArray),
    Binaries(&'a BinaryViewArray),
    /// A list: its offsets and its items.
    Array(&'a [i32], Box<Node<'a>>),
    Record(Vec<Field<'a>>),
    /// An optional union: null's branch index (`usize::MAX`: none), the value's, the value.
    Optional(usize, usize, Box<Node<'a>>),
    /// Written by the unbound `encoder::write`, which checks nulls itself.
    Unbound(Op, &'a dyn Array),
}

/// A bound record field.
#[derive(Debug)]
struct Field<'a> {
    name: Arc<str>,
    /// The field column's nulls, where a null is written as the default.
    nulls: Option<&'a NullBuffer>,
    node: Node<'a>,
    /// The default written for a null: its op and one-row column.
    default: Option<(Arc<Op>, ArrayRef)>,
}

fn bind<'a>(op: &Op, array: &'a dyn Array) -> Node<'a> {
    match bound_kind(op, array) {
        Some(kind) => Node {
            nulls: array.nulls().filter(|n| n.null_count() > 0),
            kind,
        },
        None => Node {
            nulls: None,
            kind: Kind::Unbound(op.clone(), array),
        },
    }
}

/// How `op` writes values of `array`, or `None` where it is left to the unbound path.
fn bound_kind<'a>(op: &Op, array: &'a dyn Array) -> Option<Kind<'a>> {
    let as_float = matches!(op, Op::Float);
    Some(match (op, array.data_type()) {
        (Op::Optional(null_at, branch, inner), _) => {
            Kind::Optional(*null_at, *branch, Box::new(bind(inner, array)))
        }
        (Op::Boolean, DataType::Boolean) => Kind::Boolean(array.as_boolean_opt()?),
        (Op::Int | Op::Long, DataType::Int32) => {
            Kind::Int32(array.as_primitive_opt::<Int32Type>()?.values())
        }
        (Op::Int | Op::Long, DataType::Date32) => {
            Kind::Int32(array.as_primitive_opt::<Date32Type>()?.values())
        }
        (Op::Int | Op::Long, DataType::Time32(_)) => {
            Kind::Int32(array.as_primitive_opt::<Time32MillisecondType>()?.values())
        }
        (Op::Int | Op::Long, DataType::Int64) => {
            Kind::Int64(array.as_primitive_opt::<Int64Type>()?.values())
        }
        (Op::Int | Op::Long, DataType::Timestamp(_, _)) => Kind::Int64(
            array
                .as_primitive_opt::<TimestampMillisecondType>()?
                .values(),
        ),
        (Op::Float | Op::Double, DataType::Float32) => {
            Kind::Float32(array.as_primitive_opt::<Float32Type>()?.values(), as_float)
        }
        (Op::Float | Op::Double, DataType::Float64) => {
            Kind::Float64(array.as_primitive_opt::<Float64Type>()?.values(), as_float)
        }
        (Op::Bytes, DataType::Utf8View) => Kind::Strings(array.as_string_view_opt()?),
        (Op::Bytes, DataType::BinaryView) => Kind::Binaries(array.as_binary_view_opt()?),
        (Op::Array(item), DataType::List(_)) => {
            let list = array.as_list_opt::<i32>()?;
            Kind::Array(
                list.value_offsets(),
                Box::new(bind(item, list.values().as_ref())),
            )
        }
        (Op::Record(fields), DataType::Struct(_)) => {
            let s = array.as_struct_opt()?;
            let fields = fields.iter().map(|f| {
                let column = s.columns().get(f.child)?.as_ref();
                Some(Field {
                    name: f.name.clone(),
                    nulls: column.nulls(),
                    node: bind(&f.op, column),
                    default: f.default.clone().map(|d| (f.op.clone(), d)),
                })
            });
            Kind::Record(fields.collect::<Option<_>>()?)
        }
        _ => return None,
    })
}

impl Node<'_> {
    fn is_null(&self, row: usize) -> bool {
        self.nulls.is_some_and(|n| n.is_null(row))
    }

    /// Writes row `row`. Inlined into its callers, so a record writes its scalar fields (most
    /// of a payload), optional or not, in its own field loop, with no call per field; nulls,
    /// arrays, records and unbound nodes go through [`Node::write_nested`] (the call per
    /// scalar field, with its register saves, was a quarter of the encoder's own instructions
    /// on the benchmark records, callgrind).
    #[inline(always)]
    fn write(&self, row: usize, out: &mut Vec<u8>) -> Result<(), ConnectError> {
        if self.is_null(row) {
            return self.write_nested(row, out);
        }
        match &self.kind {
            // The value branch of a row that is not null. `inner` is bound to the same column,
            // so it is not null either.
            Kind::Optional(_, branch, inner) => {
                write_long(*branch as i64, out);
                inner.write_value(row, out)
            }
            _ => self.write_value(row, out),
        }
    }

    /// [`Node::write`] for a row that is not null, of a node that is not an optional union
    /// (Avro unions do not nest): scalars here, the rest through [`Node::write_nested`].
    #[inline(always)]
    fn write_value(&self, row: usize, out: &mut Vec<u8>) -> Result<(), ConnectError> {
        match &self.kind {
            Kind::Boolean(a) => out.push(u8::from(a.value(row))),
            Kind::Int32(v) => write_long(i64::from(v[row]), out),
            Kind::Int64(v) => write_long(v[row], out),
            // Through f64 and back, as the unbound path narrows (a NaN's bits may change).
            Kind::Float32(v, true) => {
                out.extend_from_slice(&(f64::from(v[row]) as f32).to_le_bytes())
            }
            Kind::Float32(v, false) => out.extend_from_slice(&f64::from(v[row]).to_le_bytes()),
            Kind::Float64(v, true) => out.extend_from_slice(&(v[row] as f32).to_le_bytes()),
            Kind::Float64(v, false) => out.extend_from_slice(&v[row].to_le_bytes()),
            Kind::Strings(a) => write_view(a.views()[row], || a.value(row).as_bytes(), out),
            Kind::Binaries(a) => write_view(a.views()[row], || a.value(row), out),
            _ => return self.write_nested(row, out),
        }
        Ok(())
    }

    /// [`Node::write`] for a null row and for the nodes that are not scalars.
    #[inline(never)]
    fn write_nested(&self, row: usize, out: &mut Vec<u8>) -> Result<(), ConnectError> {
        match &self.kind {
            Kind::Unbound(op, array) => return write(op, *array, row, out),
            Kind::Optional(null_at, _, _) if self.is_null(row) => {
                if *null_at == usize::MAX {
                    return Err(non_optional_null());
                }
                write_long(*null_at as i64, out);
            }
            _ if self.is_null(row) => return Err(non_optional_null()),
            Kind::Array(offsets, item) => {
                let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
                if end > start {
                    write_long((end - start) as i64, out);
                    for i in start..end {
                        item.write(i, out)
                            .map_err(|e| e.at(&format!("[{}]", i - start)))?;
                    }
                }
                out.push(0);
            }
            Kind::Record(fields) => {
                for f in fields {
                    match &f.default {
                        Some((op, default)) if f.nulls.is_some_and(|n| n.is_null(row)) => {
                            write(op, default.as_ref(), 0, out)
                        }
                        _ => f.node.write(row, out),
                    }
                    .map_err(|e| e.at(&f.name))?;
                }
            }
            // A scalar that is not null: `write` takes those itself.
            _ => return self.write(row, out),
        }
        Ok(())
    }
}

/// Writes the bytes of an Arrow view, length-prefixed. The bytes of an inline view (at most
/// 12, held in the view itself) are copied as one fixed 12-byte block and the excess cut off,
/// instead of a `memcpy` call for a few bytes (a tenth of the bound encoder's instructions on the
/// benchmark records, callgrind); longer ones come from `long`, which reads the data buffer.
#[inline(always)]
fn write_view<'b>(view: u128, long: impl FnOnce() -> &'b [u8], out: &mut Vec<u8>) {
    let len = view as u32 as usize;
    if len > MAX_INLINE_VIEW_LEN {
        return write_bytes(long(), out);
    }
    out.push(len as u8 * 2); // the zigzag varint of a length below 64: one byte
    let inline: [u8; 16] = view.to_le_bytes();
    let end = out.len() + len;
    out.extend_from_slice(&inline[4..]);
    out.truncate(end);
}

/// The longest value an Arrow view holds inline.
const MAX_INLINE_VIEW_LEN: usize = 12;

fn non_optional_null() -> ConnectError {
    ConnectError::data("Found null value for non-optional schema")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::avro::data::{AvroData, AvroDataConfig};
    use crate::value::Value;
    use crate::value_array::{schema_strategy, value_strategy, values_to_array};

    /// The bytes (or error) of each row, written unbound and bound.
    fn both_ways(encoder: &Encoder, array: &dyn Array) -> Vec<(String, String)> {
        let bound = encoder.bind(array);
        let show = |written: Result<(), ConnectError>, out: Vec<u8>| match written {
            Ok(()) => format!("{out:?}"),
            Err(e) => format!("error: {}", e.message),
        };
        (0..array.len())
            .map(|row| {
                let (mut unbound_out, mut bound_out) = (Vec::new(), Vec::new());
                let unbound = write(&encoder.op, array, row, &mut unbound_out);
                let written = bound.write(row, &mut bound_out);
                (show(unbound, unbound_out), show(written, bound_out))
            })
            .collect()
    }

    proptest! {
        /// On Connect schemas of every kind (maps, decimals, narrow integers and unions of
        /// nulls included) and their values, the bound encoder writes what the unbound one
        /// writes, errors included.
        #[test]
        fn bound_and_unbound_write_the_same(
            (schema, values) in schema_strategy().prop_flat_map(|schema| {
                let values = prop::collection::vec(value_strategy(schema.clone(), true), 1..6);
                (Just(schema), values)
            }),
            ignore_defaults in any::<bool>(),
        ) {
            let data = AvroData::new(AvroDataConfig::default());
            let Ok(avro) = data.from_connect_schema(&schema) else {
                return Ok(());
            };
            let Ok(encoder) = Encoder::compile(&schema, &avro, !ignore_defaults) else {
                return Ok(());
            };
            let Ok(array) = values_to_array(Some(&schema), &values) else {
                return Ok(());
            };
            for (unbound, bound) in both_ways(&encoder, array.as_ref()) {
                prop_assert_eq!(unbound, bound);
            }
        }
    }

    /// A null in a column whose schema is not optional (a transform's doing) is an error, bound
    /// as unbound, for every kind the bound path writes itself; the generated values above never
    /// hold one.
    #[test]
    fn a_null_in_a_required_column_fails_as_unbound() {
        use crate::schema::{Schema, SchemaKind};
        use arrow_array::{
            BinaryViewArray, BooleanArray, Float32Array, Float64Array, Int32Array, Int64Array,
            StringViewArray,
        };
        use std::sync::Arc;
        let columns: Vec<(SchemaKind, ArrayRef)> = vec![
            (
                SchemaKind::Boolean,
                Arc::new(BooleanArray::from(vec![Some(true), None])),
            ),
            (
                SchemaKind::Int32,
                Arc::new(Int32Array::from(vec![Some(7), None])),
            ),
            (
                SchemaKind::Int64,
                Arc::new(Int64Array::from(vec![Some(7), None])),
            ),
            (
                SchemaKind::Float32,
                Arc::new(Float32Array::from(vec![Some(1.5), None])),
            ),
            (
                SchemaKind::Float64,
                Arc::new(Float64Array::from(vec![Some(1.5), None])),
            ),
            (
                SchemaKind::String,
                Arc::new(StringViewArray::from(vec![Some("a"), None])),
            ),
            (
                SchemaKind::Bytes,
                Arc::new(BinaryViewArray::from(vec![Some(&b"a"[..]), None])),
            ),
        ];
        let data = AvroData::new(AvroDataConfig::default());
        for (kind, array) in columns {
            let schema = Schema::new(kind).into_ref();
            let avro = data.from_connect_schema(&schema).expect("avro schema");
            let encoder = Encoder::compile(&schema, &avro, true).expect("encoder");
            let rows = both_ways(&encoder, array.as_ref());
            assert_eq!(rows[0].0, rows[0].1, "{schema}");
            assert_eq!(
                rows[1],
                (
                    "error: Found null value for non-optional schema".to_string(),
                    "error: Found null value for non-optional schema".to_string()
                ),
                "{schema}"
            );
        }
    }

    #[test]
    fn a_record_of_common_kinds_binds_every_node() {
        let data = AvroData::new(AvroDataConfig::default());
        let avro = super::super::schema::AvroSchema::parse(
            r#"{"type":"record","name":"R","fields":[
                {"name":"i","type":"int"},{"name":"l","type":"long"},{"name":"s","type":"string"},
                {"name":"o","type":["null","double"],"default":null},
                {"name":"a","type":{"type":"array","items":"float"}}]}"#,
        )
        .expect("schema");
        let schema = data.to_connect_schema(&avro, None).expect("connect schema");
        let encoder = Encoder::compile(&schema, &avro, true).expect("encoder");
        let row = Value::Struct(crate::value::Struct {
            schema: schema.clone(),
            values: vec![
                Value::Int32(-3),
                Value::Int64(1 << 40),
                Value::String("é".into()),
                Value::Null,
                Value::Array(vec![Value::Float32(1.5)]),
            ],
        });
        let array = values_to_array(Some(&schema), &[row]).expect("column");
        let bound = encoder.bind(array.as_ref());
        let Kind::Record(fields) = &bound.root.kind else {
            panic!("a bound record");
        };
        assert!(fields
            .iter()
            .all(|f| !matches!(f.node.kind, Kind::Unbound(..))));
        let mut out = Vec::new();
        bound.write(0, &mut out).expect("written");
        assert_eq!(
            out,
            [5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 4, 0xC3, 0xA9, 0, 2, 0, 0, 0xC0, 0x3F, 0]
        );
    }
}
