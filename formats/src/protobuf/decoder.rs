//! A decoder compiled once per (schema id, message index): Protobuf wire bytes → the Connect
//! value ProtobufData's `toConnectData` builds, without a prost-reflect `DynamicMessage`.
//!
//! [`Decoder::compile`] walks the message descriptor beside its Connect schema and produces a
//! plan per message: each field's number, wire reading, shape (single, list, map) and what an
//! unset field reads as (null, its default, a default struct). Running it reads the payload
//! once through a bounds-checked [`WireReader`], keeping per field the last value (scalars), all
//! occurrences (repeated fields, merged messages), then emits the fields in Connect order.
//! Nesting is bounded by the schema (recursive schemas are refused when compiled) and by
//! protobuf-java's limit of 100 for skipped groups.

use std::borrow::Cow;
use std::sync::Arc;

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor, Syntax, Value as PValue};

use super::data::{real_oneof, ProtobufData, TAG_PARAM};
use super::java_calendar::{date_to_days, time_of_day_to_millis};
use super::schema_file::ENUM_ZERO_PLACEHOLDER;
use super::well_known::{is_wrapper, DATE, DECIMAL, TIMESTAMP, TIME_OF_DAY};
use super::wire::{self, WireError, WireReader};
use crate::error::ConnectError;
use crate::java_hash_order::java_hash_map;
use crate::schema::{LogicalType, SchemaKind, SchemaRef};
use crate::value::{Decimal, Struct, Value};

/// Why a payload did not decode.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// Not valid wire data (protobuf-java's `InvalidProtocolBufferException`).
    Wire(WireError),
    /// Wire data the Connect mapping cannot hold (a date with year 0, a decimal of another scale).
    Data(String),
}

impl From<WireError> for DecodeError {
    fn from(e: WireError) -> Self {
        DecodeError::Wire(e)
    }
}

/// One Protobuf scalar type as read from the wire.
#[derive(Debug, Clone)]
enum Scalar {
    Int32,
    Int8,
    Int16,
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
    /// `strict`: proto3 strings must be UTF-8 (protobuf-java checks); proto2 strings are
    /// decoded with replacement characters.
    String {
        strict: bool,
    },
    Bytes,
    Enum(Arc<EnumPlan>),
}

/// An enum's symbols and how it reads.
#[derive(Debug)]
struct EnumPlan {
    name: String,
    values: Vec<(i32, String)>,
    as_int: bool,
    /// The number an unset field reads as: the first value's.
    default: i32,
}

/// What one value of a field reads as.
#[derive(Debug, Clone)]
enum ValueOp {
    Scalar(Scalar),
    Message(Arc<MessagePlan>),
    Timestamp,
    Date,
    Time,
    Decimal,
    Wrapper(Scalar),
}

/// The shape of a field.
#[derive(Debug, Clone)]
enum Shape {
    Single,
    List,
    Map(ValueOp, ValueOp),
}

/// What an unset singular field reads as.
#[derive(Debug, Clone)]
enum Unset {
    Null,
    Value(Value),
    DefaultStruct,
}

#[derive(Debug, Clone)]
struct FieldPlan {
    number: u32,
    op: ValueOp,
    shape: Shape,
    unset: Unset,
    /// The union slot this field is a member of (setting it clears the others).
    union: Option<usize>,
}

#[derive(Debug, Clone)]
enum Slot {
    Field(usize),
    Union {
        schema: SchemaRef,
        members: Vec<usize>,
    },
}

#[derive(Debug)]
struct MessagePlan {
    schema: SchemaRef,
    fields: Vec<FieldPlan>,
    slots: Vec<Slot>,
    /// (field number, index into `fields`), sorted by number.
    by_number: Vec<(u32, usize)>,
}

/// A compiled decoder with the Connect schema it produces.
#[derive(Debug, Clone)]
pub struct Decoder {
    root: Root,
    /// The Connect schema of the decoded values.
    pub schema: SchemaRef,
}

#[derive(Debug, Clone)]
enum Root {
    Message(Arc<MessagePlan>),
    /// A wrapper message read as its primitive (`wrapper.for.raw.primitives`).
    Wrapper(Scalar),
}

fn mismatch(what: &str) -> ConnectError {
    ConnectError::data(format!(
        "internal: the Protobuf descriptor and its Connect schema disagree at {what}"
    ))
}

fn scalar(field: &FieldDescriptor, schema_kind: &SchemaKind, data: &ProtobufData) -> Scalar {
    let proto3 = field.parent_file().syntax() == Syntax::Proto3;
    match field.kind() {
        Kind::Int32 => match schema_kind {
            SchemaKind::Int8 => Scalar::Int8,
            SchemaKind::Int16 => Scalar::Int16,
            _ => Scalar::Int32,
        },
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
        Kind::String => Scalar::String { strict: proto3 },
        Kind::Enum(e) => Scalar::Enum(Arc::new(EnumPlan {
            name: e.name().to_string(),
            values: e
                .values()
                .filter(|v| v.name() != ENUM_ZERO_PLACEHOLDER)
                .map(|v| (v.number(), v.name().to_string()))
                .collect(),
            as_int: data.config.int_for_enums,
            default: e
                .values()
                .find(|v| v.name() != ENUM_ZERO_PLACEHOLDER)
                .map_or(0, |v| v.number()),
        })),
        // Bytes, and message kinds never reach here.
        _ => Scalar::Bytes,
    }
}

fn wire_type(s: &Scalar) -> u8 {
    match s {
        Scalar::SFixed32 | Scalar::Fixed32 | Scalar::Float => wire::FIXED32,
        Scalar::SFixed64 | Scalar::Fixed64 | Scalar::Double => wire::FIXED64,
        Scalar::String { .. } | Scalar::Bytes => wire::LEN,
        _ => wire::VARINT,
    }
}

fn op_wire_type(op: &ValueOp) -> u8 {
    match op {
        ValueOp::Scalar(s) => wire_type(s),
        _ => wire::LEN,
    }
}

/// A prost-reflect default value as the Connect value of `op`.
fn default_value(op: &ValueOp, value: &PValue) -> Value {
    let ValueOp::Scalar(s) = op else {
        return Value::Null;
    };
    match (s, value) {
        (Scalar::Int8, PValue::I32(v)) => Value::Int8(*v as i8),
        (Scalar::Int16, PValue::I32(v)) => Value::Int16(*v as i16),
        (_, PValue::I32(v)) => Value::Int32(*v),
        (_, PValue::U32(v)) => Value::Int64(i64::from(*v)),
        (_, PValue::I64(v)) => Value::Int64(*v),
        (_, PValue::U64(v)) => Value::Int64(*v as i64),
        (_, PValue::F32(v)) => Value::Float32(*v),
        (_, PValue::F64(v)) => Value::Float64(*v),
        (_, PValue::Bool(v)) => Value::Boolean(*v),
        (_, PValue::String(v)) => Value::String(v.clone()),
        (_, PValue::Bytes(v)) => Value::Bytes(v.to_vec()),
        (Scalar::Enum(e), PValue::EnumNumber(n)) if e.values.iter().any(|(v, _)| v == n) => {
            enum_value(e, *n)
        }
        (Scalar::Enum(e), PValue::EnumNumber(_)) => enum_value(e, e.default),
        _ => Value::Null,
    }
}

fn enum_value(e: &EnumPlan, n: i32) -> Value {
    if e.as_int {
        return Value::Int32(n);
    }
    match e.values.iter().find(|(v, _)| *v == n) {
        Some((_, name)) => Value::String(name.clone()),
        None => Value::String(format!("UNKNOWN_ENUM_VALUE_{}_{n}", e.name)),
    }
}

/// The value op of one element of `field` against its Connect element schema.
fn compile_value(
    data: &ProtobufData,
    field: &FieldDescriptor,
    schema: &SchemaRef,
) -> Result<ValueOp, ConnectError> {
    Ok(match field.kind() {
        Kind::Message(m) => match m.full_name() {
            TIMESTAMP => ValueOp::Timestamp,
            DATE => ValueOp::Date,
            TIME_OF_DAY => ValueOp::Time,
            DECIMAL => match schema.logical_type() {
                Some(LogicalType::Decimal { .. }) => ValueOp::Decimal,
                _ => return Err(mismatch(field.name())),
            },
            name if is_wrapper(name) => {
                let value = m.get_field(1).ok_or_else(|| mismatch(name))?;
                ValueOp::Wrapper(scalar(&value, &schema.kind, data))
            }
            _ => ValueOp::Message(compile_message(data, &m, schema)?),
        },
        _ => ValueOp::Scalar(scalar(field, &schema.kind, data)),
    })
}

fn has_presence(data: &ProtobufData, field: &FieldDescriptor) -> bool {
    if field.field_descriptor_proto().proto3_optional() {
        return true;
    }
    field.parent_file().syntax() == Syntax::Proto2
        && data.config.optional_for_proto2
        && field.cardinality() == prost_reflect::Cardinality::Optional
}

fn compile_field(
    data: &ProtobufData,
    field: &FieldDescriptor,
    schema: &SchemaRef,
    union: Option<usize>,
) -> Result<FieldPlan, ConnectError> {
    let (op, shape) = match &schema.kind {
        SchemaKind::Map(ks, vs) if field.is_map() => {
            let Kind::Message(entry) = field.kind() else {
                return Err(mismatch(field.name()));
            };
            let k = compile_value(data, &entry.map_entry_key_field(), ks)?;
            let v = compile_value(data, &entry.map_entry_value_field(), vs)?;
            (ValueOp::Scalar(Scalar::Bytes), Shape::Map(k, v))
        }
        SchemaKind::Array(items) if field.is_list() => {
            (compile_value(data, field, items)?, Shape::List)
        }
        _ => (compile_value(data, field, schema)?, Shape::Single),
    };
    let unset = match (&op, &shape) {
        (_, Shape::List | Shape::Map(..)) => Unset::Null,
        (ValueOp::Message(_), _) if data.config.generate_struct_for_nulls => Unset::DefaultStruct,
        (ValueOp::Scalar(_), _) if union.is_none() && !has_presence(data, field) => {
            Unset::Value(default_value(&op, &field.default_value()))
        }
        _ => Unset::Null,
    };
    Ok(FieldPlan {
        number: field.number(),
        op,
        shape,
        unset,
        union,
    })
}

fn tag_of(schema: &SchemaRef) -> Option<u32> {
    schema.parameter(TAG_PARAM)?.parse().ok()
}

fn compile_message(
    data: &ProtobufData,
    message: &MessageDescriptor,
    schema: &SchemaRef,
) -> Result<Arc<MessagePlan>, ConnectError> {
    let mut fields = Vec::new();
    let mut slots = Vec::new();
    for f in schema.fields() {
        match tag_of(&f.schema) {
            Some(number) => {
                let field = message.get_field(number).ok_or_else(|| mismatch(&f.name))?;
                // A flattened oneof member still clears its siblings.
                let union = real_oneof(&field).map(|o| {
                    usize::MAX
                        - message
                            .oneofs()
                            .position(|x| x.name() == o.name())
                            .unwrap_or(0)
                });
                fields.push(
                    compile_field(data, &field, &f.schema, union).map_err(|e| e.at(&f.name))?,
                );
                slots.push(Slot::Field(fields.len() - 1));
            }
            None => {
                let slot = slots.len();
                let mut members = Vec::new();
                for m in f.schema.fields() {
                    let number = tag_of(&m.schema).ok_or_else(|| mismatch(&m.name))?;
                    let field = message.get_field(number).ok_or_else(|| mismatch(&m.name))?;
                    fields.push(
                        compile_field(data, &field, &m.schema, Some(slot))
                            .map_err(|e| e.at(&m.name))?,
                    );
                    members.push(fields.len() - 1);
                }
                slots.push(Slot::Union {
                    schema: f.schema.clone(),
                    members,
                });
            }
        }
    }
    let mut by_number: Vec<(u32, usize)> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.number, i))
        .collect();
    by_number.sort_unstable();
    Ok(Arc::new(MessagePlan {
        schema: schema.clone(),
        fields,
        slots,
        by_number,
    }))
}

impl Decoder {
    /// Compiles the decoder for `message`, whose Connect schema (from `data`) is `schema`.
    pub fn compile(
        data: &ProtobufData,
        message: &MessageDescriptor,
        schema: SchemaRef,
    ) -> Result<Decoder, ConnectError> {
        let root =
            if !matches!(schema.kind, SchemaKind::Struct(_)) && is_wrapper(message.full_name()) {
                let value = message.get_field(1).ok_or_else(|| mismatch("wrapper"))?;
                Root::Wrapper(scalar(&value, &schema.kind, data))
            } else {
                Root::Message(compile_message(data, message, &schema)?)
            };
        Ok(Decoder { root, schema })
    }

    /// Decodes one payload (after the frame and message indexes) into its Connect value.
    /// Cost: one pass over the bytes plus the value tree's allocations.
    pub fn decode(&self, payload: &[u8]) -> Result<Value, DecodeError> {
        match &self.root {
            Root::Message(plan) => decode_message(plan, payload, 0),
            Root::Wrapper(s) => decode_wrapper(s, payload),
        }
    }
}

/// What has been read for one field of a message.
enum State<'a> {
    Unset,
    Scalar(Value),
    /// Occurrences of a message-typed field; protobuf merges them (as parsing their
    /// concatenation does).
    Messages(Vec<&'a [u8]>),
    List(Vec<Value>),
    Map(Vec<(Value, Value)>),
}

fn read_scalar(s: &Scalar, r: &mut WireReader<'_>) -> Result<Value, DecodeError> {
    Ok(match s {
        Scalar::Int32 => Value::Int32(r.varint()? as i32),
        Scalar::Int8 => Value::Int8(r.varint()? as i32 as i8),
        Scalar::Int16 => Value::Int16(r.varint()? as i32 as i16),
        Scalar::SInt32 => Value::Int32(wire::zigzag32(r.varint()? as u32)),
        Scalar::SFixed32 => Value::Int32(r.fixed32()? as i32),
        Scalar::UInt32 => Value::Int64(i64::from(r.varint()? as u32)),
        Scalar::Fixed32 => Value::Int64(i64::from(r.fixed32()?)),
        Scalar::Int64 | Scalar::UInt64 => Value::Int64(r.varint()? as i64),
        Scalar::SInt64 => Value::Int64(wire::zigzag64(r.varint()?)),
        Scalar::SFixed64 | Scalar::Fixed64 => Value::Int64(r.fixed64()? as i64),
        Scalar::Float => Value::Float32(f32::from_bits(r.fixed32()?)),
        Scalar::Double => Value::Float64(f64::from_bits(r.fixed64()?)),
        Scalar::Bool => Value::Boolean(r.varint()? != 0),
        Scalar::String { strict } => {
            let bytes = r.length_delimited()?;
            match std::str::from_utf8(bytes) {
                Ok(s) => Value::String(s.to_string()),
                Err(_) if *strict => return Err(WireError::InvalidUtf8.into()),
                Err(_) => Value::String(String::from_utf8_lossy(bytes).into_owned()),
            }
        }
        Scalar::Bytes => Value::Bytes(r.length_delimited()?.to_vec()),
        Scalar::Enum(e) => enum_value(e, r.varint()? as i32),
    })
}

fn zero_of(s: &Scalar) -> Value {
    match s {
        Scalar::Int32 | Scalar::SInt32 | Scalar::SFixed32 => Value::Int32(0),
        Scalar::Int8 => Value::Int8(0),
        Scalar::Int16 => Value::Int16(0),
        Scalar::UInt32
        | Scalar::Fixed32
        | Scalar::Int64
        | Scalar::SInt64
        | Scalar::SFixed64
        | Scalar::UInt64
        | Scalar::Fixed64 => Value::Int64(0),
        Scalar::Float => Value::Float32(0.0),
        Scalar::Double => Value::Float64(0.0),
        Scalar::Bool => Value::Boolean(false),
        Scalar::String { .. } => Value::String(String::new()),
        Scalar::Bytes => Value::Bytes(Vec::new()),
        Scalar::Enum(e) => enum_value(e, e.default),
    }
}

/// Reads the varint fields 1..=4 of a small well-known message (Timestamp, Date, TimeOfDay).
fn read_small(bytes: &[u8], depth: usize) -> Result<[u64; 4], DecodeError> {
    let mut ints = [0u64; 4];
    let mut r = WireReader::new(bytes);
    while !r.at_end() {
        let (n, wt) = r.tag()?;
        match (n, wt) {
            (1..=4, wire::VARINT) => ints[n as usize - 1] = r.varint()?,
            _ => r.skip(n, wt, wire::MAX_DEPTH.saturating_sub(depth))?,
        }
    }
    Ok(ints)
}

fn decode_value(op: &ValueOp, bytes: &[u8], depth: usize) -> Result<Value, DecodeError> {
    if depth > wire::MAX_DEPTH {
        return Err(WireError::TooDeep.into());
    }
    match op {
        ValueOp::Scalar(s) => read_scalar(s, &mut WireReader::new(bytes)),
        ValueOp::Message(plan) => decode_message(plan, bytes, depth),
        ValueOp::Wrapper(s) => decode_wrapper(s, bytes),
        ValueOp::Timestamp => {
            let ints = read_small(bytes, depth)?;
            let seconds = ints[0] as i64;
            let nanos = ints[1] as i32;
            seconds
                .checked_mul(1000)
                .and_then(|ms| ms.checked_add(i64::from(nanos / 1_000_000)))
                .map(Value::Date)
                .ok_or_else(|| DecodeError::Data("ArithmeticException: long overflow".into()))
        }
        ValueOp::Date => {
            let ints = read_small(bytes, depth)?;
            let days = date_to_days(ints[0] as i32, ints[1] as i32, ints[2] as i32)
                .map_err(DecodeError::Data)?;
            Ok(Value::Date(days * 86_400_000))
        }
        ValueOp::Time => {
            let ints = read_small(bytes, depth)?;
            let ms = time_of_day_to_millis(
                ints[0] as i32,
                ints[1] as i32,
                ints[2] as i32,
                ints[3] as i32,
            )
            .map_err(DecodeError::Data)?;
            Ok(Value::Date(ms))
        }
        ValueOp::Decimal => {
            let mut r = WireReader::new(bytes);
            let mut value: &[u8] = &[];
            let mut precision = 0i32;
            let mut got_scale = 0i32;
            while !r.at_end() {
                let (n, wt) = r.tag()?;
                match (n, wt) {
                    (1, wire::LEN) => value = r.length_delimited()?,
                    (2, wire::VARINT) => precision = r.varint()? as i32,
                    (3, wire::VARINT) => got_scale = r.varint()? as i32,
                    _ => r.skip(n, wt, wire::MAX_DEPTH.saturating_sub(depth))?,
                }
            }
            if value.is_empty() {
                return Err(DecodeError::Data(
                    "NumberFormatException: Zero length BigInteger".into(),
                ));
            }
            let unscaled =
                crate::json::schema_decode::unscaled_from_bytes(value).ok_or_else(|| {
                    DecodeError::Data(format!(
                        "a decimal of {} bytes does not fit in 128 bits",
                        value.len()
                    ))
                })?;
            // `DecimalUtils.toBigDecimal`: the message's own scale (whatever the field's), rounded
            // to its precision when it has one.
            let decimal = Decimal {
                unscaled,
                scale: got_scale,
            };
            round_to_precision(decimal, precision)
                .map(Value::Decimal)
                .map_err(DecodeError::Data)
        }
    }
}

/// `new BigDecimal(unscaled, scale, new MathContext(precision))`: a value of more than
/// `precision` digits (0: unlimited) rounded half-up to that many, its scale lowered by the digits
/// dropped; a negative precision is Java's IllegalArgumentException. Cost: O(digits).
pub(crate) fn round_to_precision(decimal: Decimal, precision: i32) -> Result<Decimal, String> {
    if precision < 0 {
        return Err("IllegalArgumentException: Digits < 0".into());
    }
    let digits = |v: i128| v.unsigned_abs().checked_ilog10().map_or(1, |d| d + 1);
    let mut value = decimal;
    while precision > 0 && digits(value.unscaled) > precision as u32 {
        let drop = digits(value.unscaled) - precision as u32;
        let divisor = 10i128.pow(drop);
        let (quotient, remainder) = (value.unscaled / divisor, value.unscaled % divisor);
        let away = remainder.unsigned_abs() >= divisor.unsigned_abs() / 2;
        let signum = if value.unscaled < 0 { -1 } else { 1 };
        let scale = value
            .scale
            .checked_sub(drop as i32)
            .ok_or_else(|| "ArithmeticException: Underflow".to_string())?;
        value = Decimal {
            unscaled: quotient + if away { signum } else { 0 },
            scale,
        };
    }
    Ok(value)
}

fn decode_wrapper(s: &Scalar, bytes: &[u8]) -> Result<Value, DecodeError> {
    let mut r = WireReader::new(bytes);
    let mut out = zero_of(s);
    while !r.at_end() {
        let (n, wt) = r.tag()?;
        if n == 1 && wt == wire_type(s) {
            out = read_scalar(s, &mut r)?;
        } else {
            r.skip(n, wt, wire::MAX_DEPTH)?;
        }
    }
    Ok(out)
}

/// Map entries in the order a Java `HashMap` iterates them, repeated keys keeping the last value
/// (Protobuf map keys are numbers, booleans and strings: all hashed as Java does).
pub fn java_map_order(entries: Vec<(Value, Value)>) -> Vec<(Value, Value)> {
    java_hash_map(entries, |a, b| a == b)
}

fn decode_entry(
    key: &ValueOp,
    value: &ValueOp,
    bytes: &[u8],
    depth: usize,
) -> Result<(Value, Value), DecodeError> {
    let mut r = WireReader::new(bytes);
    let mut k: Option<Value> = None;
    let mut v: Vec<&[u8]> = Vec::new();
    let mut v_scalar: Option<Value> = None;
    while !r.at_end() {
        let (n, wt) = r.tag()?;
        match n {
            1 if wt == op_wire_type(key) => {
                if let ValueOp::Scalar(s) = key {
                    k = Some(read_scalar(s, &mut r)?);
                } else {
                    r.skip(n, wt, wire::MAX_DEPTH)?;
                }
            }
            2 if wt == op_wire_type(value) => match value {
                ValueOp::Scalar(s) => v_scalar = Some(read_scalar(s, &mut r)?),
                _ => v.push(r.length_delimited()?),
            },
            _ => r.skip(n, wt, wire::MAX_DEPTH.saturating_sub(depth))?,
        }
    }
    let k = match (k, key) {
        (Some(k), _) => k,
        (None, ValueOp::Scalar(s)) => zero_of(s),
        (None, _) => Value::Null,
    };
    let v = match (v_scalar, value) {
        (Some(v), _) => v,
        (None, ValueOp::Scalar(s)) => zero_of(s),
        (None, op) => decode_value(op, &concat(&v), depth + 1)?,
    };
    Ok((k, v))
}

fn concat<'a>(parts: &[&'a [u8]]) -> Cow<'a, [u8]> {
    match parts {
        [] => Cow::Borrowed(&[]),
        [one] => Cow::Borrowed(one),
        many => Cow::Owned(many.concat()),
    }
}

fn packable(op: &ValueOp) -> bool {
    matches!(op, ValueOp::Scalar(s) if !matches!(s, Scalar::String { .. } | Scalar::Bytes))
}

fn decode_message(plan: &MessagePlan, bytes: &[u8], depth: usize) -> Result<Value, DecodeError> {
    if depth > wire::MAX_DEPTH {
        return Err(WireError::TooDeep.into());
    }
    let mut state: Vec<State<'_>> = plan.fields.iter().map(|_| State::Unset).collect();
    let mut r = WireReader::new(bytes);
    while !r.at_end() {
        let (n, wt) = r.tag()?;
        let Ok(at) = plan.by_number.binary_search_by_key(&n, |(num, _)| *num) else {
            r.skip(n, wt, wire::MAX_DEPTH.saturating_sub(depth))?;
            continue;
        };
        let i = plan.by_number[at].1;
        let field = &plan.fields[i];
        let expected = op_wire_type(&field.op);
        match &field.shape {
            Shape::Single => {
                if wt != expected {
                    // protobuf-java keeps a known field with the wrong wire type as unknown.
                    r.skip(n, wt, wire::MAX_DEPTH.saturating_sub(depth))?;
                    continue;
                }
                match &field.op {
                    ValueOp::Scalar(s) => state[i] = State::Scalar(read_scalar(s, &mut r)?),
                    _ => {
                        let slice = r.length_delimited()?;
                        match &mut state[i] {
                            State::Messages(parts) => parts.push(slice),
                            other => *other = State::Messages(vec![slice]),
                        }
                    }
                }
                if let Some(u) = field.union {
                    for (j, other) in plan.fields.iter().enumerate() {
                        if j != i && other.union == Some(u) {
                            state[j] = State::Unset;
                        }
                    }
                }
            }
            Shape::List => {
                let mut items = match std::mem::replace(&mut state[i], State::Unset) {
                    State::List(items) => items,
                    _ => Vec::new(),
                };
                if wt == expected {
                    match &field.op {
                        ValueOp::Scalar(s) => items.push(read_scalar(s, &mut r)?),
                        op => {
                            let slice = r.length_delimited()?;
                            items.push(decode_value(op, slice, depth + 1)?);
                        }
                    }
                } else if wt == wire::LEN && packable(&field.op) {
                    let packed = r.length_delimited()?;
                    let mut p = WireReader::new(packed);
                    if let ValueOp::Scalar(s) = &field.op {
                        while !p.at_end() {
                            items.push(read_scalar(s, &mut p)?);
                        }
                    }
                } else {
                    r.skip(n, wt, wire::MAX_DEPTH.saturating_sub(depth))?;
                }
                state[i] = State::List(items);
            }
            Shape::Map(k, v) => {
                let mut entries = match std::mem::replace(&mut state[i], State::Unset) {
                    State::Map(entries) => entries,
                    _ => Vec::new(),
                };
                if wt == wire::LEN {
                    let slice = r.length_delimited()?;
                    entries.push(decode_entry(k, v, slice, depth + 1)?);
                } else {
                    r.skip(n, wt, wire::MAX_DEPTH.saturating_sub(depth))?;
                }
                state[i] = State::Map(entries);
            }
        }
    }
    let mut values: Vec<Value> = Vec::with_capacity(plan.fields.len());
    for (field, st) in plan.fields.iter().zip(state) {
        values.push(finish_field(field, st, depth)?);
    }
    let mut out = Vec::with_capacity(plan.slots.len());
    let mut taken: Vec<Option<Value>> = values.into_iter().map(Some).collect();
    for slot in &plan.slots {
        match slot {
            Slot::Field(i) => out.push(taken[*i].take().unwrap_or(Value::Null)),
            Slot::Union { schema, members } => {
                let member_values: Vec<Value> = members
                    .iter()
                    .map(|i| taken[*i].take().unwrap_or(Value::Null))
                    .collect();
                if member_values.iter().all(Value::is_null) {
                    out.push(Value::Null);
                } else {
                    out.push(Value::Struct(Struct {
                        schema: schema.clone(),
                        values: member_values,
                    }));
                }
            }
        }
    }
    Ok(Value::Struct(Struct {
        schema: plan.schema.clone(),
        values: out,
    }))
}

fn finish_field(field: &FieldPlan, st: State<'_>, depth: usize) -> Result<Value, DecodeError> {
    Ok(match st {
        State::Scalar(v) => v,
        State::Messages(parts) => decode_value(&field.op, &concat(&parts), depth + 1)?,
        State::List(items) => Value::Array(items),
        State::Map(entries) => Value::Map(java_map_order(entries)),
        State::Unset => match (&field.shape, &field.unset) {
            (Shape::List, _) => Value::Array(Vec::new()),
            (Shape::Map(..), _) => Value::Map(Vec::new()),
            (_, Unset::Null) => Value::Null,
            (_, Unset::Value(v)) => v.clone(),
            (_, Unset::DefaultStruct) => decode_value(&field.op, &[], depth + 1)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(unscaled: i128, scale: i32) -> Decimal {
        Decimal { unscaled, scale }
    }

    #[test]
    fn decimals_round_half_up_to_their_precision_as_big_decimal_does() {
        // Within the precision (or none): the message's own value and scale.
        assert_eq!(round_to_precision(d(5, 1), 8), Ok(d(5, 1)));
        assert_eq!(round_to_precision(d(123_456, 4), 0), Ok(d(123_456, 4)));
        // More digits than the precision: rounded half-up, the scale lowered.
        assert_eq!(round_to_precision(d(12_345, 2), 3), Ok(d(123, 0)));
        assert_eq!(round_to_precision(d(12_355, 2), 3), Ok(d(124, 0)));
        assert_eq!(round_to_precision(d(-12_355, 2), 3), Ok(d(-124, 0)));
        assert_eq!(round_to_precision(d(-12_345, 2), 3), Ok(d(-123, 0)));
        // A carry that adds a digit is rounded once more (9.995 → 10.0).
        assert_eq!(round_to_precision(d(9_995, 3), 3), Ok(d(100, 1)));
        assert_eq!(
            round_to_precision(d(1, 0), -1),
            Err("IllegalArgumentException: Digits < 0".to_string())
        );
    }
}
