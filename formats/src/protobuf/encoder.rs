//! An encoder compiled once per (Connect schema, message descriptor): a Connect value → the
//! Protobuf wire bytes protobuf-java writes for the DynamicMessage ProtobufData builds
//! (`fromConnectData`): fields in number order, proto3 zero values left out unless the field
//! has presence, repeated scalars packed as the descriptor says, map entries in the order a Java
//! `HashMap` iterates them.

use std::sync::Arc;

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};

use super::data::{real_oneof, ProtobufData, TAG_PARAM};
use super::java_calendar::days_to_date;
use super::schema_file::ENUM_ZERO_PLACEHOLDER;
use super::well_known::{is_wrapper, DATE, DECIMAL, TIMESTAMP, TIME_OF_DAY};
use super::wire::{self, put_tag, put_varint};
use crate::error::ConnectError;
use crate::java_hash_order::java_hash_map;
use crate::schema::{SchemaKind, SchemaRef};
use crate::value::Value;

#[derive(Debug, Clone)]
enum Scalar {
    Int32,
    SInt32,
    SFixed32,
    UInt32,
    Fixed32,
    Int64,
    SInt64,
    SFixed64,
    UInt64,
    Fixed64,
    Float,
    Double,
    Bool,
    String,
    Bytes,
    Enum(Arc<Vec<(String, i32)>>),
}

#[derive(Debug, Clone)]
enum Op {
    Scalar(Scalar),
    Message(Arc<MessagePlan>),
    Timestamp,
    Date,
    Time,
    Decimal,
    Wrapper(Scalar),
    /// A Connect map as repeated entry messages (key = 1, value = 2).
    Entries(Box<Op>, Box<Op>),
}

#[derive(Debug, Clone)]
struct FieldPlan {
    number: u32,
    op: Op,
    repeated: bool,
    packed: bool,
    /// Written even when zero (proto3 `optional`, oneof members, proto2).
    presence: bool,
    /// Where the value sits: the Connect struct's field, and the member inside a union struct.
    slot: usize,
    member: Option<usize>,
    name: String,
}

#[derive(Debug)]
struct MessagePlan {
    /// Sorted by field number.
    fields: Vec<FieldPlan>,
}

#[derive(Debug, Clone)]
enum Root {
    Message(Arc<MessagePlan>),
    Wrapper(Scalar),
}

/// A compiled encoder.
#[derive(Debug, Clone)]
pub struct Encoder {
    root: Root,
}

fn mismatch(what: &str) -> ConnectError {
    ConnectError::data(format!(
        "the Connect schema does not match the Protobuf message at {what}"
    ))
}

fn scalar(field: &FieldDescriptor) -> Scalar {
    match field.kind() {
        Kind::Int32 => Scalar::Int32,
        Kind::Sint32 => Scalar::SInt32,
        Kind::Sfixed32 => Scalar::SFixed32,
        Kind::Uint32 => Scalar::UInt32,
        Kind::Fixed32 => Scalar::Fixed32,
        Kind::Int64 => Scalar::Int64,
        Kind::Sint64 => Scalar::SInt64,
        Kind::Sfixed64 => Scalar::SFixed64,
        Kind::Uint64 => Scalar::UInt64,
        Kind::Fixed64 => Scalar::Fixed64,
        Kind::Float => Scalar::Float,
        Kind::Double => Scalar::Double,
        Kind::Bool => Scalar::Bool,
        Kind::String => Scalar::String,
        Kind::Enum(e) => Scalar::Enum(Arc::new(
            e.values()
                .filter(|v| v.name() != ENUM_ZERO_PLACEHOLDER)
                .map(|v| (v.name().to_string(), v.number()))
                .collect(),
        )),
        _ => Scalar::Bytes,
    }
}

fn compile_value(field: &FieldDescriptor, schema: &SchemaRef) -> Result<Op, ConnectError> {
    Ok(match field.kind() {
        Kind::Message(m) => match m.full_name() {
            TIMESTAMP => Op::Timestamp,
            DATE => Op::Date,
            TIME_OF_DAY => Op::Time,
            DECIMAL => Op::Decimal,
            name if is_wrapper(name) => {
                Op::Wrapper(scalar(&m.get_field(1).ok_or_else(|| mismatch(name))?))
            }
            _ => match &schema.kind {
                SchemaKind::Map(ks, vs) => {
                    let k = m.get_field(1).ok_or_else(|| mismatch("key"))?;
                    let v = m.get_field(2).ok_or_else(|| mismatch("value"))?;
                    Op::Entries(
                        Box::new(compile_value(&k, ks)?),
                        Box::new(compile_value(&v, vs)?),
                    )
                }
                _ => Op::Message(compile_message(&m, schema)?),
            },
        },
        _ => Op::Scalar(scalar(field)),
    })
}

fn plan_field(
    field: &FieldDescriptor,
    schema: &SchemaRef,
    slot: usize,
    member: Option<usize>,
) -> Result<FieldPlan, ConnectError> {
    let element = match &schema.kind {
        SchemaKind::Array(items) => items,
        _ => schema,
    };
    let op = compile_value(field, element)?;
    let repeated = field.is_list() || field.is_map();
    let presence = member.is_some()
        || real_oneof(field).is_some()
        || field.field_descriptor_proto().proto3_optional()
        || field.parent_file().syntax() == prost_reflect::Syntax::Proto2;
    Ok(FieldPlan {
        number: field.number(),
        packed: field.is_packed(),
        op,
        repeated,
        presence,
        slot,
        member,
        name: field.name().to_string(),
    })
}

fn compile_message(
    message: &MessageDescriptor,
    schema: &SchemaRef,
) -> Result<Arc<MessagePlan>, ConnectError> {
    let mut fields = Vec::new();
    for (slot, f) in schema.fields().iter().enumerate() {
        let tag = f
            .schema
            .parameter(TAG_PARAM)
            .and_then(|t| t.parse::<u32>().ok());
        let by_name = message.get_field_by_name(&f.name);
        match (
            tag.and_then(|n| message.get_field(n)).or(by_name),
            &f.schema.kind,
        ) {
            (Some(field), _) => {
                fields.push(plan_field(&field, &f.schema, slot, None).map_err(|e| e.at(&f.name))?)
            }
            (None, SchemaKind::Struct(members)) => {
                for (i, m) in members.iter().enumerate() {
                    let number = m
                        .schema
                        .parameter(TAG_PARAM)
                        .and_then(|t| t.parse::<u32>().ok());
                    let field = number
                        .and_then(|n| message.get_field(n))
                        .or_else(|| message.get_field_by_name(&m.name))
                        .ok_or_else(|| mismatch(&m.name))?;
                    fields.push(
                        plan_field(&field, &m.schema, slot, Some(i)).map_err(|e| e.at(&m.name))?,
                    );
                }
            }
            (None, _) => return Err(mismatch(&f.name)),
        }
    }
    fields.sort_by_key(|f| f.number);
    Ok(Arc::new(MessagePlan { fields }))
}

impl Encoder {
    /// Compiles the encoder writing values of `schema` as `message`.
    pub fn compile(
        _data: &ProtobufData,
        schema: &SchemaRef,
        message: &MessageDescriptor,
    ) -> Result<Encoder, ConnectError> {
        let root = if matches!(schema.kind, SchemaKind::Struct(_)) {
            Root::Message(compile_message(message, schema)?)
        } else {
            Root::Wrapper(scalar(
                &message.get_field(1).ok_or_else(|| mismatch("wrapper"))?,
            ))
        };
        Ok(Encoder { root })
    }

    /// Appends the payload of `value` to `out` (on error, `out` may hold part of it: the
    /// caller discards the row).
    pub fn write(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), ConnectError> {
        match &self.root {
            Root::Message(plan) => write_message(plan, value, out),
            Root::Wrapper(s) => {
                if !is_zero(value) {
                    put_tag(out, 1, wire_type(s));
                    write_scalar(s, value, out)?;
                }
                Ok(())
            }
        }
    }
}

fn wire_type(s: &Scalar) -> u8 {
    match s {
        Scalar::SFixed32 | Scalar::Fixed32 | Scalar::Float => wire::FIXED32,
        Scalar::SFixed64 | Scalar::Fixed64 | Scalar::Double => wire::FIXED64,
        Scalar::String | Scalar::Bytes => wire::LEN,
        _ => wire::VARINT,
    }
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Int8(x) => *x == 0,
        Value::Int16(x) => *x == 0,
        Value::Int32(x) => *x == 0,
        Value::Int64(x) => *x == 0,
        Value::Float32(x) => x.to_bits() == 0,
        Value::Float64(x) => x.to_bits() == 0,
        Value::Boolean(b) => !*b,
        Value::String(s) => s.is_empty(),
        Value::Bytes(b) => b.is_empty(),
        Value::Null => true,
        _ => false,
    }
}

fn as_i64(v: &Value) -> Option<i64> {
    Some(match v {
        Value::Int8(x) => i64::from(*x),
        Value::Int16(x) => i64::from(*x),
        Value::Int32(x) => i64::from(*x),
        Value::Int64(x) => *x,
        Value::Date(x) => *x,
        _ => return None,
    })
}

fn type_error(v: &Value, want: &str) -> ConnectError {
    ConnectError::data(format!(
        "IllegalArgumentException: a {} cannot be written as Protobuf {want}",
        v.java_class()
    ))
}

fn enum_number(values: &[(String, i32)], v: &Value) -> Result<i32, ConnectError> {
    match v {
        Value::String(s) => values
            .iter()
            .find(|(n, _)| n == s)
            .map(|(_, n)| *n)
            .ok_or_else(|| {
                ConnectError::data(format!(
                    "IllegalArgumentException: DynamicMessage should use EnumValueDescriptor to set Enum Value: no symbol {s}"
                ))
            }),
        other => as_i64(other)
            .map(|n| n as i32)
            .ok_or_else(|| type_error(other, "enum")),
    }
}

fn write_scalar(s: &Scalar, v: &Value, out: &mut Vec<u8>) -> Result<(), ConnectError> {
    let int = || as_i64(v).ok_or_else(|| type_error(v, "integer"));
    match s {
        Scalar::Int32 => put_varint(out, int()? as i32 as i64 as u64),
        Scalar::SInt32 => {
            let x = int()? as i32;
            put_varint(out, u64::from(((x << 1) ^ (x >> 31)) as u32));
        }
        Scalar::SFixed32 | Scalar::Fixed32 => out.extend_from_slice(&(int()? as i32).to_le_bytes()),
        Scalar::UInt32 => put_varint(out, u64::from(int()? as u32)),
        Scalar::Int64 | Scalar::UInt64 => put_varint(out, int()? as u64),
        Scalar::SInt64 => {
            let x = int()?;
            put_varint(out, ((x << 1) ^ (x >> 63)) as u64);
        }
        Scalar::SFixed64 | Scalar::Fixed64 => out.extend_from_slice(&int()?.to_le_bytes()),
        Scalar::Float => match v {
            Value::Float32(x) => out.extend_from_slice(&x.to_bits().to_le_bytes()),
            Value::Float64(x) => out.extend_from_slice(&(*x as f32).to_bits().to_le_bytes()),
            other => return Err(type_error(other, "float")),
        },
        Scalar::Double => match v {
            Value::Float64(x) => out.extend_from_slice(&x.to_bits().to_le_bytes()),
            Value::Float32(x) => out.extend_from_slice(&f64::from(*x).to_bits().to_le_bytes()),
            other => return Err(type_error(other, "double")),
        },
        Scalar::Bool => match v {
            Value::Boolean(b) => out.push(u8::from(*b)),
            other => return Err(type_error(other, "bool")),
        },
        Scalar::String => match v {
            Value::String(s) => {
                put_varint(out, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            other => return Err(type_error(other, "string")),
        },
        Scalar::Bytes => match v {
            Value::Bytes(b) => {
                put_varint(out, b.len() as u64);
                out.extend_from_slice(b);
            }
            other => return Err(type_error(other, "bytes")),
        },
        Scalar::Enum(values) => put_varint(out, enum_number(values, v)? as i64 as u64),
    }
    Ok(())
}

/// Writes `body` as a length-delimited field.
fn put_len(out: &mut Vec<u8>, field: u32, body: &[u8]) {
    put_tag(out, field, wire::LEN);
    put_varint(out, body.len() as u64);
    out.extend_from_slice(body);
}

fn put_int_field(out: &mut Vec<u8>, field: u32, v: i64) {
    if v != 0 {
        put_tag(out, field, wire::VARINT);
        put_varint(out, v as u64);
    }
}

/// `BigInteger.toByteArray()`: the minimal big-endian two's complement bytes.
fn unscaled_bytes(v: i128) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

/// The body of one value of `op` (a message body for message ops).
fn write_body(op: &Op, v: &Value, out: &mut Vec<u8>) -> Result<(), ConnectError> {
    match op {
        Op::Scalar(s) => write_scalar(s, v, out),
        Op::Message(plan) => write_message(plan, v, out),
        Op::Wrapper(s) => {
            if !is_zero(v) {
                put_tag(out, 1, wire_type(s));
                write_scalar(s, v, out)?;
            }
            Ok(())
        }
        Op::Timestamp => {
            let ms = as_i64(v).ok_or_else(|| type_error(v, "Timestamp"))?;
            put_int_field(out, 1, ms.div_euclid(1000));
            put_int_field(out, 2, ms.rem_euclid(1000) * 1_000_000);
            Ok(())
        }
        Op::Date => {
            let ms = as_i64(v).ok_or_else(|| type_error(v, "Date"))?;
            let (y, m, d) = days_to_date(ms.div_euclid(86_400_000));
            put_int_field(out, 1, y);
            put_int_field(out, 2, i64::from(m));
            put_int_field(out, 3, i64::from(d));
            Ok(())
        }
        Op::Time => {
            let ms = as_i64(v).ok_or_else(|| type_error(v, "Time"))?;
            let ms = ms.rem_euclid(86_400_000);
            put_int_field(out, 1, ms / 3_600_000);
            put_int_field(out, 2, ms / 60_000 % 60);
            put_int_field(out, 3, ms / 1000 % 60);
            put_int_field(out, 4, ms % 1000 * 1_000_000);
            Ok(())
        }
        Op::Decimal => {
            let Value::Decimal(d) = v else {
                return Err(type_error(v, "Decimal"));
            };
            let bytes = unscaled_bytes(d.unscaled);
            put_len(out, 1, &bytes);
            let precision = d
                .unscaled
                .unsigned_abs()
                .checked_ilog10()
                .map_or(1, |l| l + 1);
            put_int_field(out, 2, i64::from(precision));
            put_int_field(out, 3, i64::from(d.scale) as i32 as i64);
            Ok(())
        }
        Op::Entries(k, val) => {
            // One entry: `v` is a (key, value) pair packed as a two-element array.
            let Value::Array(pair) = v else {
                return Err(type_error(v, "map entry"));
            };
            let (key, value) = (&pair[0], &pair[1]);
            write_entry_field(k, 1, key, out)?;
            write_entry_field(val, 2, value, out)
        }
    }
}

fn write_entry_field(
    op: &Op,
    number: u32,
    v: &Value,
    out: &mut Vec<u8>,
) -> Result<(), ConnectError> {
    match op {
        Op::Scalar(s) => {
            let zero = match s {
                Scalar::Enum(values) => {
                    Some(enum_number(values, v)?) == values.first().map(|(_, n)| *n)
                }
                _ => is_zero(v),
            };
            if !zero {
                put_tag(out, number, wire_type(s));
                write_scalar(s, v, out)?;
            }
            Ok(())
        }
        other => {
            if v.is_null() {
                return Ok(());
            }
            let mut body = Vec::new();
            write_body(other, v, &mut body)?;
            put_len(out, number, &body);
            Ok(())
        }
    }
}

fn write_message(plan: &MessagePlan, value: &Value, out: &mut Vec<u8>) -> Result<(), ConnectError> {
    let Value::Struct(s) = value else {
        return Err(type_error(value, "message"));
    };
    for f in &plan.fields {
        let v = match s.values.get(f.slot) {
            Some(v) => v,
            None => continue,
        };
        let v = match (f.member, v) {
            (Some(i), Value::Struct(u)) => u.values.get(i).unwrap_or(&Value::Null),
            (Some(_), _) => &Value::Null,
            (None, v) => v,
        };
        if v.is_null() {
            continue;
        }
        write_field(f, v, out).map_err(|e| e.at(&f.name))?;
    }
    Ok(())
}

/// Map entries in the order a Java `HashMap` iterates them, repeated keys keeping the last value
/// (Protobuf map keys are numbers, booleans and strings: all hashed as Java does).
pub fn java_map_order(entries: Vec<(Value, Value)>) -> Vec<(Value, Value)> {
    java_hash_map(entries, |a, b| a == b)
}

fn write_field(f: &FieldPlan, v: &Value, out: &mut Vec<u8>) -> Result<(), ConnectError> {
    match (&f.op, v) {
        (Op::Entries(..), Value::Map(entries)) => {
            for (k, val) in java_map_order(entries.clone()) {
                let mut body = Vec::new();
                write_body(&f.op, &Value::Array(vec![k, val]), &mut body)?;
                put_len(out, f.number, &body);
            }
            Ok(())
        }
        (_, Value::Array(items)) if f.repeated => {
            match &f.op {
                Op::Scalar(s) if f.packed && !matches!(s, Scalar::String | Scalar::Bytes) => {
                    if items.is_empty() {
                        return Ok(());
                    }
                    let mut body = Vec::new();
                    for item in items {
                        if item.is_null() {
                            return Err(ConnectError::data(
                                "NullPointerException: a null element in a repeated field",
                            ));
                        }
                        write_scalar(s, item, &mut body)?;
                    }
                    put_len(out, f.number, &body);
                }
                op => {
                    for item in items {
                        if item.is_null() {
                            return Err(ConnectError::data(
                                "NullPointerException: a null element in a repeated field",
                            ));
                        }
                        write_one(op, f.number, item, out)?;
                    }
                }
            }
            Ok(())
        }
        (op, v) => {
            if let Op::Scalar(s) = op {
                let zero = match s {
                    // A proto3 enum's default is its first value.
                    Scalar::Enum(values) => {
                        Some(enum_number(values, v)?) == values.first().map(|(_, n)| *n)
                    }
                    _ => is_zero(v),
                };
                if zero && !f.presence {
                    return Ok(());
                }
            }
            write_one(op, f.number, v, out)
        }
    }
}

fn write_one(op: &Op, number: u32, v: &Value, out: &mut Vec<u8>) -> Result<(), ConnectError> {
    match op {
        Op::Scalar(s) => {
            put_tag(out, number, wire_type(s));
            write_scalar(s, v, out)
        }
        other => {
            let mut body = Vec::new();
            write_body(other, v, &mut body)?;
            put_len(out, number, &body);
            Ok(())
        }
    }
}
