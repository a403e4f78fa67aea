//! Arrow → Avro binary, by an encoder compiled once per (Connect schema, Avro writer schema).
//!
//! [`Encoder::compile`] pairs each Connect schema node with the Avro node it is written as (the
//! schema AvroData derives, or the registry's latest under `use.latest.version`, whose record
//! fields are matched by name and whose numeric types may promote, as Java's writer accepts any
//! `Number`). [`Encoder::bind`] ([`super::bound`]) ties it to a column, its arrays downcast once;
//! each row is then written straight from them (no value tree). A null in an optional field that
//! has a default is written as the default, as AvroData's `Struct.get` returns it.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray, MapArray, StructArray};

use super::cursor::{write_bytes, write_long};
use super::data::{AVRO_TYPE_UNION, GENERALIZED_TYPE_UNION};
use super::schema::{AvroKind, AvroSchema, TypeId};
use crate::array_cell::{bytes_at, float_at, int_at, unexpected_column};
use crate::decimal_column::{big_integer_bytes, check_schema_scale, DecimalColumn};
use crate::error::ConnectError;
use crate::java_hash_order::hash_map_order;
use crate::schema::{Schema, SchemaKind};
use crate::value_array::values_to_array;

/// How one Connect node is written.
#[derive(Debug, Clone)]
pub(super) enum Op {
    Boolean,
    /// An integer column written as Avro `int`.
    Int,
    /// An integer column written as Avro `long`.
    Long,
    /// A numeric column written as Avro `float`.
    Float,
    /// A numeric column written as Avro `double`.
    Double,
    /// A string (or bytes) column written length-prefixed.
    Bytes,
    /// A top-level `bytes` value, written raw (no length prefix), as Confluent's serializer does.
    RawBytes,
    /// A top-level decimal `bytes` value of a schema of this scale, its unscaled bytes written
    /// raw.
    RawDecimal(i32),
    /// A bytes column written as `fixed` of this size.
    Fixed(usize),
    /// A Decimal column of a schema of this scale written as big-endian two's-complement bytes
    /// (padded to a fixed size); a value of another scale fails (Kafka's `Decimal.fromLogical`).
    Decimal(i32, Option<usize>),
    /// A string column written as an enum symbol index.
    Enum(Arc<HashMap<String, usize>>),
    Array(Box<Op>),
    /// A map with string keys.
    Map(Box<Op>),
    /// A map written as an array of MapEntry records.
    MapEntries(Box<Op>, Box<Op>),
    Record(Vec<FieldOp>),
    /// A nullable value: the union's null and value branch indexes.
    Optional(usize, usize, Box<Op>),
    /// A union struct: per struct child, the union branch it is written as; the null branch.
    Union(Vec<(usize, Op)>, Option<usize>),
}

/// One record field: the struct child it reads, its op, and its default (a one-row array) when
/// a null is written as the default. The name and op are shared, so binding the encoder to a
/// batch's column ([`Encoder::bind`]) copies neither.
#[derive(Debug, Clone)]
pub(super) struct FieldOp {
    pub(super) child: usize,
    pub(super) name: Arc<str>,
    pub(super) op: Arc<Op>,
    pub(super) default: Option<ArrayRef>,
}

/// A compiled encoder from one Connect schema to one Avro schema.
#[derive(Debug, Clone)]
pub struct Encoder {
    pub(super) op: Op,
}

fn err(message: impl Into<String>) -> ConnectError {
    ConnectError::data(message)
}

impl Encoder {
    /// Compiles the encoder writing Connect `schema` as `avro`; `use_defaults` writes a null
    /// optional field with a default as the default (`ignore.default.for.nullables=false`).
    pub fn compile(
        schema: &Schema,
        avro: &AvroSchema,
        use_defaults: bool,
    ) -> Result<Encoder, ConnectError> {
        let op = match compile(schema, avro, avro.root, use_defaults)? {
            Op::Bytes if schema.kind == SchemaKind::Bytes => Op::RawBytes,
            Op::Decimal(scale, None) => Op::RawDecimal(scale),
            op => op,
        };
        Ok(Encoder { op })
    }
}

fn compile(
    schema: &Schema,
    avro: &AvroSchema,
    id: TypeId,
    use_defaults: bool,
) -> Result<Op, ConnectError> {
    let t = avro.get(id);
    if let AvroKind::Union(branches) = &t.kind {
        let null_at = branches
            .iter()
            .position(|&b| avro.get(b).kind == AvroKind::Null);
        let is_union_struct = matches!(schema.kind, SchemaKind::Struct(_))
            && (schema.name.as_deref() == Some(AVRO_TYPE_UNION)
                || schema.parameter(GENERALIZED_TYPE_UNION).is_some());
        if is_union_struct {
            let mut out = Vec::new();
            for f in schema.fields() {
                let required = Schema {
                    optional: false,
                    ..(*f.schema).clone()
                };
                // The branch AvroData named this member after (`unionMemberFieldName`), else the
                // first branch the member's schema can be written as.
                let named = |i: usize, b: TypeId| {
                    let t = avro.get(b);
                    let by_name = match t.name() {
                        Some(n) => f.name == n.name || f.name == n.full_name(),
                        None => f.name == t.type_name(),
                    };
                    by_name || f.name == format!("connect_union_field_{i}")
                };
                let candidates = branches
                    .iter()
                    .enumerate()
                    .filter(|(_, &b)| avro.get(b).kind != AvroKind::Null);
                let (branch, op) = candidates
                    .clone()
                    .filter(|(i, &b)| named(*i, b))
                    .chain(candidates)
                    .find_map(|(i, &b)| {
                        compile(&required, avro, b, use_defaults)
                            .ok()
                            .map(|op| (i, op))
                    })
                    .ok_or_else(|| {
                        err(format!(
                            "Union field {} has no matching Avro branch",
                            f.name
                        ))
                    })?;
                out.push((branch, op));
            }
            return Ok(Op::Union(out, null_at));
        }
        let required = Schema {
            optional: false,
            ..schema.clone()
        };
        let (branch, op) = branches
            .iter()
            .enumerate()
            .filter(|(_, &b)| avro.get(b).kind != AvroKind::Null)
            .find_map(|(i, &b)| {
                compile(&required, avro, b, use_defaults)
                    .ok()
                    .map(|op| (i, op))
            })
            .ok_or_else(|| {
                err(format!(
                    "{schema} cannot be written as an Avro union without a matching branch"
                ))
            })?;
        return Ok(match null_at {
            Some(null_at) => Op::Optional(null_at, branch, Box::new(op)),
            None => Op::Optional(usize::MAX, branch, Box::new(op)),
        });
    }
    let logical = schema.logical_type();
    let mismatch = || {
        err(format!(
            "{schema} cannot be written as Avro {}",
            t.type_name()
        ))
    };
    Ok(match (&schema.kind, &t.kind) {
        (SchemaKind::Boolean, AvroKind::Boolean) => Op::Boolean,
        (SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32, AvroKind::Int) => Op::Int,
        (
            SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32 | SchemaKind::Int64,
            AvroKind::Long,
        ) => Op::Long,
        (
            SchemaKind::Int8
            | SchemaKind::Int16
            | SchemaKind::Int32
            | SchemaKind::Int64
            | SchemaKind::Float32,
            AvroKind::Float,
        ) if logical.is_none() => Op::Float,
        (
            SchemaKind::Int8
            | SchemaKind::Int16
            | SchemaKind::Int32
            | SchemaKind::Int64
            | SchemaKind::Float32
            | SchemaKind::Float64,
            AvroKind::Double,
        ) if logical.is_none() => Op::Double,
        (SchemaKind::String, AvroKind::String | AvroKind::Bytes) => Op::Bytes,
        (SchemaKind::String, AvroKind::Enum { symbols, .. }) => Op::Enum(Arc::new(
            symbols
                .iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), i))
                .collect(),
        )),
        (SchemaKind::Bytes, AvroKind::Bytes | AvroKind::Fixed { .. }) => {
            let fixed = match &t.kind {
                AvroKind::Fixed { size, .. } => Some(*size),
                _ => None,
            };
            match (logical, fixed) {
                (Some(crate::schema::LogicalType::Decimal { scale }), fixed) => {
                    Op::Decimal(scale, fixed)
                }
                (_, Some(size)) => Op::Fixed(size),
                (_, None) => Op::Bytes,
            }
        }
        (SchemaKind::Bytes, AvroKind::String) if logical.is_none() => Op::Bytes,
        (SchemaKind::Array(items), AvroKind::Array(avro_items)) => {
            Op::Array(Box::new(compile(items, avro, *avro_items, use_defaults)?))
        }
        (SchemaKind::Map(k, v), AvroKind::Map(values)) if k.kind == SchemaKind::String => {
            Op::Map(Box::new(compile(v, avro, *values, use_defaults)?))
        }
        (SchemaKind::Map(k, v), AvroKind::Array(entry)) => {
            let AvroKind::Record { fields, .. } = &avro.get(*entry).kind else {
                return Err(mismatch());
            };
            let find = |n: &str| fields.iter().find(|f| f.name == n).map(|f| f.schema);
            match (find("key"), find("value")) {
                (Some(ka), Some(va)) if fields.len() == 2 && fields[0].name == "key" => {
                    Op::MapEntries(
                        Box::new(compile(k, avro, ka, use_defaults)?),
                        Box::new(compile(v, avro, va, use_defaults)?),
                    )
                }
                _ => return Err(mismatch()),
            }
        }
        (SchemaKind::Struct(cfields), AvroKind::Record { fields, .. }) => {
            let mut out = Vec::with_capacity(fields.len());
            for f in fields {
                let (child, cf) = cfields
                    .iter()
                    .enumerate()
                    .find(|(_, cf)| cf.name == f.name)
                    .ok_or_else(|| err(format!("Avro field {} has no Connect field", f.name)))?;
                let op =
                    compile(&cf.schema, avro, f.schema, use_defaults).map_err(|e| e.at(&f.name))?;
                let default = match (&cf.schema.default, use_defaults && cf.schema.optional) {
                    (Some(d), true) => {
                        let plain = Arc::new(Schema {
                            default: None,
                            ..(*cf.schema).clone()
                        });
                        Some(
                            values_to_array(Some(&plain), std::slice::from_ref(d))
                                .map_err(|e| e.at(&f.name))?,
                        )
                    }
                    _ => None,
                };
                out.push(FieldOp {
                    child,
                    name: f.name.as_str().into(),
                    op: Arc::new(op),
                    default,
                });
            }
            Op::Record(out)
        }
        _ => return Err(mismatch()),
    })
}

/// Row `row` of a numeric column as a double (Java's writer takes any `Number`).
fn number_at(array: &dyn Array, row: usize) -> Option<f64> {
    float_at(array, row).or_else(|| int_at(array, row).map(|v| v as f64))
}

/// Row `row`'s unscaled value, which must have the schema's `scale` (Kafka's
/// `Decimal.fromLogical`). Cost: O(1).
fn decimal_at(array: &dyn Array, row: usize, scale: i32) -> Result<i128, ConnectError> {
    let value = DecimalColumn::of(array)
        .ok_or_else(|| unexpected_column(array))?
        .value(row);
    check_schema_scale(value, scale)?;
    Ok(value.unscaled)
}

/// Writes row `row` of `array` as `op` says, dispatching on the column's type per node and row:
/// the path of the nodes [`Encoder::bind`] leaves unbound, and its oracle in tests.
pub(super) fn write(
    op: &Op,
    array: &dyn Array,
    row: usize,
    out: &mut Vec<u8>,
) -> Result<(), ConnectError> {
    if let Op::Optional(null_at, branch, inner) = op {
        if array.is_null(row) {
            if *null_at == usize::MAX {
                return Err(err("Found null value for non-optional schema"));
            }
            write_long(*null_at as i64, out);
            return Ok(());
        }
        write_long(*branch as i64, out);
        return write(inner, array, row, out);
    }
    if array.is_null(row) {
        if let Op::Union(_, Some(null_at)) = op {
            write_long(*null_at as i64, out);
            return Ok(());
        }
        return Err(err("Found null value for non-optional schema"));
    }
    match op {
        Op::Boolean => {
            let a: &BooleanArray = array
                .as_boolean_opt()
                .ok_or_else(|| unexpected_column(array))?;
            out.push(u8::from(a.value(row)));
        }
        Op::Int => {
            let v = int_at(array, row).ok_or_else(|| unexpected_column(array))?;
            write_long(v, out);
        }
        Op::Long => write_long(
            int_at(array, row).ok_or_else(|| unexpected_column(array))?,
            out,
        ),
        Op::Float => {
            let v = number_at(array, row).ok_or_else(|| unexpected_column(array))? as f32;
            out.extend_from_slice(&v.to_le_bytes());
        }
        Op::Double => {
            let v = number_at(array, row).ok_or_else(|| unexpected_column(array))?;
            out.extend_from_slice(&v.to_le_bytes());
        }
        Op::Bytes => write_bytes(
            bytes_at(array, row).ok_or_else(|| unexpected_column(array))?,
            out,
        ),
        Op::RawBytes => {
            out.extend_from_slice(bytes_at(array, row).ok_or_else(|| unexpected_column(array))?)
        }
        Op::RawDecimal(scale) => {
            out.extend_from_slice(&big_integer_bytes(decimal_at(array, row, *scale)?));
        }
        Op::Fixed(size) => {
            let b = bytes_at(array, row).ok_or_else(|| unexpected_column(array))?;
            if b.len() != *size {
                return Err(err(format!(
                    "Fixed size {size} does not match a value of {} bytes",
                    b.len()
                )));
            }
            out.extend_from_slice(b);
        }
        Op::Decimal(scale, fixed) => {
            let bytes = big_integer_bytes(decimal_at(array, row, *scale)?);
            match fixed {
                None => write_bytes(&bytes, out),
                Some(size) => {
                    if bytes.len() > *size {
                        return Err(err(format!(
                            "Unscaled value byte array length {} is greater than fixed size {size}",
                            bytes.len()
                        )));
                    }
                    let fill = if bytes[0] & 0x80 != 0 { 0xFF } else { 0 };
                    out.extend(std::iter::repeat_n(fill, size - bytes.len()));
                    out.extend_from_slice(&bytes);
                }
            }
        }
        Op::Enum(symbols) => {
            let b = bytes_at(array, row).ok_or_else(|| unexpected_column(array))?;
            let text = std::str::from_utf8(b).map_err(|_| unexpected_column(array))?;
            let i = symbols
                .get(text)
                .ok_or_else(|| err(format!("Not an enum symbol: {text}")))?;
            write_long(*i as i64, out);
        }
        Op::Array(item) => {
            let list = array
                .as_list_opt::<i32>()
                .ok_or_else(|| unexpected_column(array))?;
            let offsets = list.value_offsets();
            let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
            let values = list.values();
            if end > start {
                write_long((end - start) as i64, out);
                for i in start..end {
                    write(item, values.as_ref(), i, out)
                        .map_err(|e| e.at(&format!("[{}]", i - start)))?;
                }
            }
            out.push(0);
        }
        Op::Map(value) => {
            let map: &MapArray = array.as_map_opt().ok_or_else(|| unexpected_column(array))?;
            let offsets = map.value_offsets();
            let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
            let (keys, values) = (map.keys(), map.values());
            let texts = (start..end)
                .map(|i| bytes_at(keys.as_ref(), i).and_then(|b| std::str::from_utf8(b).ok()))
                .collect::<Option<Vec<&str>>>()
                .ok_or_else(|| unexpected_column(keys.as_ref()))?;
            // AvroData writes the map from a Java HashMap: its iteration order, repeats merged.
            let order = hash_map_order(&texts);
            if !order.is_empty() {
                write_long(order.len() as i64, out);
                for i in order {
                    write_bytes(texts[i].as_bytes(), out);
                    write(value, values.as_ref(), start + i, out).map_err(|e| e.at(texts[i]))?;
                }
            }
            out.push(0);
        }
        Op::MapEntries(key, value) => write_map(array, row, out, |keys, values, i, out| {
            write(key, keys, i, out)?;
            write(value, values, i, out)
        })?,
        Op::Record(fields) => {
            let s: &StructArray = array
                .as_struct_opt()
                .ok_or_else(|| unexpected_column(array))?;
            for f in fields {
                let column = s.column(f.child);
                match &f.default {
                    Some(default) if column.is_null(row) => write(&f.op, default.as_ref(), 0, out),
                    _ => write(&f.op, column.as_ref(), row, out),
                }
                .map_err(|e| e.at(&f.name))?;
            }
        }
        Op::Union(members, null_at) => {
            let s: &StructArray = array
                .as_struct_opt()
                .ok_or_else(|| unexpected_column(array))?;
            let chosen = members
                .iter()
                .enumerate()
                .find(|(i, _)| s.column(*i).is_valid(row));
            match (chosen, null_at) {
                (Some((i, (branch, op))), _) => {
                    write_long(*branch as i64, out);
                    write(op, s.column(i).as_ref(), row, out)?;
                }
                (None, Some(null_at)) => write_long(*null_at as i64, out),
                (None, None) => return Err(err("Union struct with no field set")),
            }
        }
        Op::Optional(..) => unreachable_optional()?,
    }
    Ok(())
}

/// `Op::Optional` is handled before the match; reaching it again is a defect reported as an error.
fn unreachable_optional() -> Result<(), ConnectError> {
    Err(err("internal: nested optional op"))
}

fn write_map(
    array: &dyn Array,
    row: usize,
    out: &mut Vec<u8>,
    mut entry: impl FnMut(&dyn Array, &dyn Array, usize, &mut Vec<u8>) -> Result<(), ConnectError>,
) -> Result<(), ConnectError> {
    let map: &MapArray = array.as_map_opt().ok_or_else(|| unexpected_column(array))?;
    let offsets = map.value_offsets();
    let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
    if end > start {
        write_long((end - start) as i64, out);
        let (keys, values) = (map.keys(), map.values());
        for i in start..end {
            entry(keys.as_ref(), values.as_ref(), i, out)?;
        }
    }
    out.push(0);
    Ok(())
}
