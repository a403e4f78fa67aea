//! An encoder compiled once per (Connect schema, message descriptor): a row of an Arrow column
//! of that schema → the Protobuf wire bytes protobuf-java writes for the DynamicMessage
//! ProtobufData builds (`fromConnectData`): fields in number order, proto3 zero values left out
//! unless the field has presence, repeated scalars packed as the descriptor says, map entries in
//! the order a Java `HashMap` iterates them.
//!
//! Each row is written straight from the arrays (a downcast per node and row, as the Avro
//! encoder does; no value tree), and a nested message's length is patched in after its body is
//! written into the output (no buffer per message). The old value-tree path cost about half of
//! a Protobuf passthrough's instructions.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::Array;
use arrow_schema::DataType;
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};

use super::data::{real_oneof, ProtobufData, TAG_PARAM};
use super::java_calendar::days_to_date;
use super::schema_file::{enum_default, ENUM_ZERO_PLACEHOLDER};
use super::well_known::{is_wrapper, DATE, DECIMAL, TIMESTAMP, TIME_OF_DAY};
use super::wire::{self, put_tag, put_varint, varint_len, WireReader};
use crate::array_cell::{binary_at, float_at, int_at, str_at};
use crate::decimal_column::{big_integer_bytes, DecimalColumn};
use crate::error::ConnectError;
use crate::java_hash_order::java_hash_map;
use crate::schema::{SchemaKind, SchemaRef};
use crate::value::Value;
use crate::value_array::value_at;

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
    Enum(Arc<EnumSymbols>),
}

/// An enum's symbols by name, and the number left out as the default.
#[derive(Debug)]
struct EnumSymbols {
    symbols: Vec<(String, i32)>,
    default: i32,
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
        Kind::Enum(e) => Scalar::Enum(Arc::new(EnumSymbols {
            symbols: e
                .values()
                .filter(|v| v.name() != ENUM_ZERO_PLACEHOLDER)
                .map(|v| (v.name().to_string(), v.number()))
                .collect(),
            default: enum_default(&e),
        })),
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

    /// Appends the payload of row `row` of `array` (a non-null row of a column of the compiled
    /// schema) to `out`; on error, `out` may hold part of it (the caller discards the row).
    /// Cost: one pass over the row's values; allocates only for a map field (its keys' Java
    /// order).
    pub fn write(
        &self,
        array: &dyn Array,
        row: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), ConnectError> {
        match &self.root {
            Root::Message(plan) => write_message(plan, array, row, out),
            Root::Wrapper(s) => write_wrapped(s, array, row, out),
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

/// An integer row: an integer column, or a Date, Time or Timestamp as its Connect number.
fn integer_at(array: &dyn Array, row: usize, want: &str) -> Result<i64, ConnectError> {
    match array.data_type() {
        DataType::Date32 => Ok(int_at(array, row).unwrap_or_default() * 86_400_000),
        _ => int_at(array, row).ok_or_else(|| type_error(array, row, want)),
    }
}

/// The error protobuf-java gives for a value of the wrong Java class (the value is read back
/// to name its class: the error path only).
fn type_error(array: &dyn Array, row: usize, want: &str) -> ConnectError {
    ConnectError::data(format!(
        "IllegalArgumentException: a {} cannot be written as Protobuf {want}",
        value_at(None, array, row).java_class()
    ))
}

fn enum_number(e: &EnumSymbols, array: &dyn Array, row: usize) -> Result<i32, ConnectError> {
    if array.is_null(row) {
        return Err(type_error(array, row, "enum"));
    }
    match str_at(array, row) {
        Some(s) => e
            .symbols
            .iter()
            .find(|(n, _)| n == s)
            .map(|(_, n)| *n)
            .ok_or_else(|| {
                ConnectError::data(format!(
                    "IllegalArgumentException: DynamicMessage should use EnumValueDescriptor to set Enum Value: no symbol {s}"
                ))
            }),
        None => integer_at(array, row, "enum").map(|n| n as i32),
    }
}

/// Writes scalar field `number` of row `row`; with `skip_default`, leaves it out when null or
/// its type's default (proto3 without presence). The field is written, then taken back when its
/// payload is the default's: all bytes 0 is exactly the zero of every wire type (varint 0, +0.0,
/// false, an empty string or bytes), an enum's default its first declared number. One downcast
/// per row; Date, Time and Timestamp columns are never left out.
fn write_scalar_field(
    s: &Scalar,
    number: u32,
    array: &dyn Array,
    row: usize,
    skip_default: bool,
    out: &mut Vec<u8>,
) -> Result<(), ConnectError> {
    if skip_default && array.is_null(row) {
        return Ok(());
    }
    let at = out.len();
    put_tag(out, number, wire_type(s));
    let payload = out.len();
    write_scalar(s, array, row, out)?;
    let temporal = matches!(
        array.data_type(),
        DataType::Date32 | DataType::Time32(_) | DataType::Timestamp(_, _)
    );
    if skip_default && !temporal && is_default_payload(s, &out[payload..]) {
        out.truncate(at);
    }
    Ok(())
}

fn is_default_payload(s: &Scalar, payload: &[u8]) -> bool {
    match s {
        Scalar::Enum(e) => WireReader::new(payload).varint() == Ok(e.default as i64 as u64),
        _ => payload.iter().all(|&b| b == 0),
    }
}

fn write_scalar(
    s: &Scalar,
    array: &dyn Array,
    row: usize,
    out: &mut Vec<u8>,
) -> Result<(), ConnectError> {
    let int = || integer_at(array, row, "integer");
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
        Scalar::Float => {
            let x = match array.as_primitive_opt::<Float32Type>() {
                Some(floats) => floats.value(row),
                None => float_at(array, row).ok_or_else(|| type_error(array, row, "float"))? as f32,
            };
            out.extend_from_slice(&x.to_bits().to_le_bytes());
        }
        Scalar::Double => {
            let x = float_at(array, row).ok_or_else(|| type_error(array, row, "double"))?;
            out.extend_from_slice(&x.to_bits().to_le_bytes());
        }
        Scalar::Bool => match array.as_boolean_opt() {
            Some(b) => out.push(u8::from(b.value(row))),
            None => return Err(type_error(array, row, "bool")),
        },
        Scalar::String => {
            let text = str_at(array, row).ok_or_else(|| type_error(array, row, "string"))?;
            put_varint(out, text.len() as u64);
            out.extend_from_slice(text.as_bytes());
        }
        Scalar::Bytes => {
            let bytes = binary_at(array, row).ok_or_else(|| type_error(array, row, "bytes"))?;
            put_varint(out, bytes.len() as u64);
            out.extend_from_slice(bytes);
        }
        Scalar::Enum(e) => put_varint(out, enum_number(e, array, row)? as i64 as u64),
    }
    Ok(())
}

/// Writes field `number` as a length-delimited field whose body `body` writes straight into
/// `out`: a one-byte length goes first and is widened after the body if the body is 128 bytes
/// or more (one move of the body), so no buffer is needed per message.
fn put_len_with(
    out: &mut Vec<u8>,
    number: u32,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), ConnectError>,
) -> Result<(), ConnectError> {
    put_tag(out, number, wire::LEN);
    let at = out.len();
    out.push(0);
    body(out)?;
    let len = out.len() - at - 1;
    let width = varint_len(len as u64);
    if width > 1 {
        let end = out.len();
        out.resize(end + width - 1, 0);
        out.copy_within(at + 1..end, at + width);
    }
    let mut v = len as u64;
    for slot in &mut out[at..at + width] {
        *slot = (v as u8 & 0x7F) | if v >= 0x80 { 0x80 } else { 0 };
        v >>= 7;
    }
    Ok(())
}

fn put_int_field(out: &mut Vec<u8>, field: u32, v: i64) {
    if v != 0 {
        put_tag(out, field, wire::VARINT);
        put_varint(out, v as u64);
    }
}

/// A wrapper message (`google.protobuf.*Value`): its one field, unless zero.
fn write_wrapped(
    s: &Scalar,
    array: &dyn Array,
    row: usize,
    out: &mut Vec<u8>,
) -> Result<(), ConnectError> {
    write_scalar_field(s, 1, array, row, true, out)
}

/// The body of one value of `op` (a message body for message ops).
fn write_body(
    op: &Op,
    array: &dyn Array,
    row: usize,
    out: &mut Vec<u8>,
) -> Result<(), ConnectError> {
    match op {
        Op::Scalar(s) => write_scalar(s, array, row, out),
        Op::Message(plan) => write_message(plan, array, row, out),
        Op::Wrapper(s) => write_wrapped(s, array, row, out),
        Op::Timestamp => {
            let ms = integer_at(array, row, "Timestamp")?;
            put_int_field(out, 1, ms.div_euclid(1000));
            put_int_field(out, 2, ms.rem_euclid(1000) * 1_000_000);
            Ok(())
        }
        Op::Date => {
            let ms = integer_at(array, row, "Date")?;
            let (y, m, d) = days_to_date(ms.div_euclid(86_400_000));
            put_int_field(out, 1, y);
            put_int_field(out, 2, i64::from(m));
            put_int_field(out, 3, i64::from(d));
            Ok(())
        }
        Op::Time => {
            let ms = integer_at(array, row, "Time")?.rem_euclid(86_400_000);
            put_int_field(out, 1, ms / 3_600_000);
            put_int_field(out, 2, ms / 60_000 % 60);
            put_int_field(out, 3, ms / 1000 % 60);
            put_int_field(out, 4, ms % 1000 * 1_000_000);
            Ok(())
        }
        Op::Decimal => {
            let d = DecimalColumn::of(array)
                .ok_or_else(|| type_error(array, row, "Decimal"))?
                .value(row);
            put_tag(out, 1, wire::LEN);
            let bytes = big_integer_bytes(d.unscaled);
            put_varint(out, bytes.len() as u64);
            out.extend_from_slice(&bytes);
            let precision = d
                .unscaled
                .unsigned_abs()
                .checked_ilog10()
                .map_or(1, |l| l + 1);
            put_int_field(out, 2, i64::from(precision));
            put_int_field(out, 3, i64::from(d.scale) as i32 as i64);
            Ok(())
        }
        // A map entry is written by `write_map`; a value that is not a map cannot be one.
        Op::Entries(..) => Err(type_error(array, row, "map entry")),
    }
}

/// One field of a map entry message (key = 1, value = 2): left out when null or zero.
fn write_entry_field(
    op: &Op,
    number: u32,
    array: &dyn Array,
    row: usize,
    out: &mut Vec<u8>,
) -> Result<(), ConnectError> {
    match op {
        Op::Scalar(s) => write_scalar_field(s, number, array, row, true, out),
        _ if array.is_null(row) => Ok(()),
        other => put_len_with(out, number, |out| write_body(other, array, row, out)),
    }
}

fn write_message(
    plan: &MessagePlan,
    array: &dyn Array,
    row: usize,
    out: &mut Vec<u8>,
) -> Result<(), ConnectError> {
    let Some(message) = array.as_struct_opt() else {
        return Err(type_error(array, row, "message"));
    };
    for f in &plan.fields {
        let Some(column) = message.columns().get(f.slot) else {
            continue;
        };
        let column = match f.member {
            // A oneof member: the union struct's child, when the union is set.
            Some(i) if column.is_valid(row) => {
                match column.as_struct_opt().and_then(|u| u.columns().get(i)) {
                    Some(member) => member,
                    None => continue,
                }
            }
            Some(_) => continue,
            None => column,
        };
        if column.is_null(row) {
            continue;
        }
        write_field(f, column.as_ref(), row, out).map_err(|e| e.at(&f.name))?;
    }
    Ok(())
}

/// Map entries in the order a Java `HashMap` iterates them, repeated keys keeping the last value
/// (Protobuf map keys are numbers, booleans and strings: all hashed as Java does).
pub fn java_map_order<V>(entries: Vec<(Value, V)>) -> Vec<(Value, V)> {
    java_hash_map(entries, |a, b| a == b)
}

fn write_field(
    f: &FieldPlan,
    array: &dyn Array,
    row: usize,
    out: &mut Vec<u8>,
) -> Result<(), ConnectError> {
    // The op is matched before the column is downcast: a scalar field (most of them) pays no
    // map or list downcast per row.
    if let Some((key, value, map)) = match &f.op {
        Op::Entries(key, value) => array.as_map_opt().map(|map| (key, value, map)),
        _ => None,
    } {
        let offsets = map.value_offsets();
        let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
        let (keys, values) = (map.keys(), map.values());
        // The entries' positions, ordered as ProtobufData's HashMap iterates the keys.
        let positions = java_map_order(
            (start..end)
                .map(|i| (value_at(None, keys.as_ref(), i), i))
                .collect(),
        );
        for (_, i) in positions {
            put_len_with(out, f.number, |out| {
                write_entry_field(key, 1, keys.as_ref(), i, out)?;
                write_entry_field(value, 2, values.as_ref(), i, out)
            })?;
        }
        return Ok(());
    }
    if let Some(list) = f.repeated.then(|| array.as_list_opt::<i32>()).flatten() {
        let offsets = list.value_offsets();
        let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
        let items = list.values().as_ref();
        if items.logical_null_count() > 0 && (start..end).any(|i| items.is_null(i)) {
            return Err(ConnectError::data(
                "NullPointerException: a null element in a repeated field",
            ));
        }
        match &f.op {
            Op::Scalar(s) if f.packed && !matches!(s, Scalar::String | Scalar::Bytes) => {
                if end > start {
                    put_len_with(out, f.number, |out| {
                        (start..end).try_for_each(|i| write_scalar(s, items, i, out))
                    })?;
                }
            }
            op => {
                for i in start..end {
                    write_one(op, f.number, items, i, out)?;
                }
            }
        }
        return Ok(());
    }
    match &f.op {
        Op::Scalar(s) => write_scalar_field(s, f.number, array, row, !f.presence, out),
        op => write_one(op, f.number, array, row, out),
    }
}

fn write_one(
    op: &Op,
    number: u32,
    array: &dyn Array,
    row: usize,
    out: &mut Vec<u8>,
) -> Result<(), ConnectError> {
    match op {
        Op::Scalar(s) => write_scalar_field(s, number, array, row, false, out),
        other => put_len_with(out, number, |out| write_body(other, array, row, out)),
    }
}
