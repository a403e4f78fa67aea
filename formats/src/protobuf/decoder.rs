//! A decoder compiled once per (schema id, message index): Protobuf wire bytes straight into the
//! Arrow builders of the Connect schema ProtobufData's `toConnectData` gives, with no
//! prost-reflect `DynamicMessage` and no Connect value tree per record.
//!
//! [`Decoder::compile`] walks the message descriptor beside its Connect schema and produces a
//! plan per message: each field's number, wire reading, shape (single, list, map), the struct
//! column it fills and what an unset field reads as (null, its default, a default struct).
//! Running it reads a message once through a bounds-checked [`WireReader`]: repeated fields are
//! appended to their list column as they come; of a singular field only the last scalar (its
//! bits, or where its bytes lie) and the occurrences of a message (merged, as protobuf-java
//! merges them) are noted, in working memory reused from record to record ([`Batch`]); then the
//! fields are appended in Connect order. Strings and bytes become views of the payload where it
//! lies (the batch's input buffer: [`PayloadBuffers`]); enum names, repaired UTF-8 and the
//! strings of merged messages are copied into a scratch buffer. A record that fails half-way is
//! rolled back ([`ColumnBuilder::truncate`]).
//! Nesting is bounded by the schema (recursive schemas are refused when compiled) and by
//! protobuf-java's limit of 100 for skipped groups.
//!
//! The per-field helpers of that loop (`read_raw`, `append_field`, `push_raw`, `push_bytes`,
//! `push_int`) are `#[inline(always)]`: the compiler kept them out of line, and their calls were
//! a fifth of the decoder's instructions (callgrind: 140.6M → 110.6M over 20,000 records).

use std::borrow::Cow;
use std::sync::Arc;

use arrow_buffer::Buffer;
use arrow_schema::DataType;
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor, Syntax, Value as PValue};

use super::data::{real_oneof, ProtobufData, TAG_PARAM};
use super::java_calendar::{date_to_days, time_of_day_to_millis};
use super::schema_file::{enum_default, ENUM_ZERO_PLACEHOLDER};
use super::well_known::{is_wrapper, DATE, DECIMAL, TIMESTAMP, TIME_OF_DAY};
use super::wire::{self, WireError, WireReader};
use crate::arrow_mapping::arrow_type;
use crate::column_builder::ColumnBuilder;
use crate::converter_context::ConverterContext;
use crate::error::ConnectError;
use crate::java_hash_order::{java_key, java_key_order};
use crate::payload_buffers::{PayloadBuffers, SCRATCH};
use crate::schema::{LogicalType, SchemaKind, SchemaRef};
use crate::value::{Decimal, Value};

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
    /// The number an unset field reads as: the first declared value's.
    default: i32,
    /// A proto2 (closed) enum: a number without a symbol is set aside as an unknown field, as
    /// protobuf-java does, and the field or list is left as it was.
    closed: bool,
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
    /// A scalar default held as the wire reading would hold it.
    Value(Seen),
    /// A string or bytes default (copied into the scratch buffer per record).
    Text(Box<[u8]>),
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
    /// The child of the message's struct column this field fills (for a union member: the
    /// union's).
    column: usize,
}

/// One child of a message's struct column: a field, or a oneof's union struct of members.
#[derive(Debug, Clone)]
enum Slot {
    Field(usize),
    Union(Vec<usize>),
}

#[derive(Debug)]
struct MessagePlan {
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
    /// The Arrow type of the decoded column, `arrow_type(&schema)`: made once with the decoder,
    /// not for each batch a decode call opens its column in (at 500-record batches the per-batch
    /// conversion and drop were 4% of a Protobuf → Avro chain's instructions, callgrind).
    pub data_type: DataType,
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
            default: enum_default(&e),
            closed: e.parent_file().syntax() == Syntax::Proto2,
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

/// A prost-reflect default value as what an unset field of `op` appends: the bits the wire
/// would carry for it (read back as the field's type reads them), or its text.
fn default_value(op: &ValueOp, value: &PValue) -> Unset {
    let ValueOp::Scalar(s) = op else {
        return Unset::Null;
    };
    let bits = |b: u64| Unset::Value(Seen::Bits(b));
    match (s, value) {
        (Scalar::SInt32, PValue::I32(v)) => bits(u64::from((*v << 1 ^ (*v >> 31)) as u32)),
        (Scalar::SInt64, PValue::I64(v)) => bits((*v << 1 ^ (*v >> 63)) as u64),
        (_, PValue::I32(v)) => bits(*v as i64 as u64),
        (_, PValue::U32(v)) => bits(u64::from(*v)),
        (_, PValue::I64(v)) => bits(*v as u64),
        (_, PValue::U64(v)) => bits(*v),
        (_, PValue::F32(v)) => bits(u64::from(v.to_bits())),
        (_, PValue::F64(v)) => bits(v.to_bits()),
        (_, PValue::Bool(v)) => bits(u64::from(*v)),
        (_, PValue::String(v)) => Unset::Text(v.as_bytes().into()),
        (_, PValue::Bytes(v)) => Unset::Text(v.to_vec().into()),
        (Scalar::Enum(e), PValue::EnumNumber(n)) if e.values.iter().any(|(v, _)| v == n) => {
            bits(*n as i64 as u64)
        }
        (Scalar::Enum(e), PValue::EnumNumber(_)) => bits(e.default as i64 as u64),
        _ => Unset::Null,
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
    column: usize,
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
            default_value(&op, &field.default_value())
        }
        _ => Unset::Null,
    };
    Ok(FieldPlan {
        number: field.number(),
        op,
        shape,
        unset,
        union,
        column,
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
                    compile_field(data, &field, &f.schema, union, slots.len())
                        .map_err(|e| e.at(&f.name))?,
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
                        compile_field(data, &field, &m.schema, Some(slot), slot)
                            .map_err(|e| e.at(&m.name))?,
                    );
                    members.push(fields.len() - 1);
                }
                slots.push(Slot::Union(members));
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
        Ok(Decoder {
            root,
            data_type: arrow_type(&schema),
            schema,
        })
    }

    /// Decodes one payload (after the frame and message indexes) into `builder` (a builder of
    /// the schema's Arrow type), its strings and bytes views of the payload where it lies
    /// ([`PayloadBuffers::place`]). On error the builder and the scratch buffer are rolled back
    /// (a loose payload's copy stays, viewed by nothing). Cost: one pass over the bytes (a
    /// second over merged messages and map entries), no copy of a payload in the batch's input
    /// buffer, no allocation per record beyond map keys and merged messages.
    pub fn decode(
        &self,
        payload: &[u8],
        builder: &mut ColumnBuilder,
        batch: &mut Batch,
    ) -> Result<(), DecodeError> {
        let (rows, scratch) = (builder.len(), batch.buffers.scratch.len());
        let placed = batch.buffers.place(payload);
        batch.parts.clear();
        let src = Src {
            bytes: payload,
            base: Some(placed),
        };
        let result = match &self.root {
            Root::Message(plan) => decode_message(plan, src, builder, batch, 0),
            Root::Wrapper(s) => decode_wrapper(s, src, builder, batch),
        };
        if result.is_err() {
            builder.truncate(rows);
            batch.buffers.scratch.truncate(scratch);
            batch.seen.clear();
        }
        result
    }
}

/// A batch's decode buffers and working memory: the payloads where they lie (strings and bytes
/// are views of them, [`PayloadBuffers`]) and the scratch buffer for what had to be copied (enum
/// names, repaired UTF-8, defaults, the strings of merged messages); the notes on the fields of
/// the messages being read are reused from record to record.
#[derive(Debug, Default)]
pub struct Batch {
    buffers: PayloadBuffers,
    /// Per field of each message being read (a stack, one frame per nesting level).
    seen: Vec<Seen>,
    /// Occurrences of message fields and map entries, chained per field.
    parts: Vec<Part>,
}

impl Batch {
    /// Empty buffers for decoding under `context` (see [`PayloadBuffers::for_context`]).
    pub fn for_context(context: &ConverterContext<'_>) -> Batch {
        Batch {
            buffers: PayloadBuffers::for_context(context),
            ..Batch::default()
        }
    }

    /// The buffers the finished columns' views point into. Cost: moves the vectors.
    pub fn finish(self) -> Arc<[Buffer]> {
        self.buffers.finish()
    }
}

/// What has been read of one singular field or map of the message being read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Seen {
    Unset,
    /// The last varint or fixed-width scalar, as its wire bits.
    Bits(u64),
    /// The last string or bytes value, at `start..end` of the message's bytes; `lossy`: a
    /// proto2 string that is not UTF-8 (read with replacement characters).
    Text {
        start: u32,
        end: u32,
        lossy: bool,
    },
    /// Occurrences of a message (merged when read) or map entries: the first and last of a
    /// chain in [`Batch::parts`].
    Parts(u32, u32),
}

/// One occurrence: `start..end` of the message's bytes and the next in its chain.
#[derive(Debug, Clone, Copy)]
struct Part {
    start: u32,
    end: u32,
    next: u32,
}

const NO_PART: u32 = u32::MAX;

/// The bytes of the message being read, and where they lie: (buffer index, offset), as
/// [`PayloadBuffers::place`] gives (`None`: a temporary, the concatenation of a merged message's
/// occurrences, whose strings are copied).
#[derive(Clone, Copy)]
struct Src<'a> {
    bytes: &'a [u8],
    base: Option<(u32, u32)>,
}

impl<'a> Src<'a> {
    fn sub(&self, start: usize, end: usize) -> Src<'a> {
        Src {
            bytes: &self.bytes[start..end],
            base: self.base_at(start),
        }
    }

    /// Where byte `start` of these bytes lies.
    fn base_at(&self, start: usize) -> Option<(u32, u32)> {
        self.base
            .map(|(buffer, offset)| (buffer, offset + start as u32))
    }
}

/// Reads a length-delimited value: the bytes and where they lie in the reader's.
fn span<'a>(r: &mut WireReader<'a>) -> Result<(&'a [u8], usize, usize), WireError> {
    let bytes = r.length_delimited()?;
    Ok((bytes, r.position() - bytes.len(), r.position()))
}

/// Notes one more occurrence at `start..end` on `seen`.
fn add_part(seen: &mut Seen, parts: &mut Vec<Part>, (start, end): (usize, usize)) {
    let at = parts.len() as u32;
    parts.push(Part {
        start: start as u32,
        end: end as u32,
        next: NO_PART,
    });
    *seen = match *seen {
        Seen::Parts(first, last) => {
            parts[last as usize].next = at;
            Seen::Parts(first, at)
        }
        _ => Seen::Parts(at, at),
    };
}

/// The occurrences noted on `seen`, in wire order.
fn parts_of(seen: Seen, parts: &[Part]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut at = match seen {
        Seen::Parts(first, _) => first,
        _ => NO_PART,
    };
    std::iter::from_fn(move || {
        let part = parts.get(at as usize)?;
        at = part.next;
        Some((part.start as usize, part.end as usize))
    })
}

/// A message's occurrences as one message (protobuf merges them as it parses their
/// concatenation): a slice of `src` when there is one, else an owned concatenation.
fn merged<'a>(seen: Seen, src: Src<'a>, parts: &[Part]) -> (Cow<'a, [u8]>, Option<(u32, u32)>) {
    let mut spans = parts_of(seen, parts);
    match (spans.next(), spans.next()) {
        (None, _) => (Cow::Borrowed(&[]), None),
        (Some((start, end)), None) => {
            let one = src.sub(start, end);
            (Cow::Borrowed(one.bytes), one.base)
        }
        (Some(_), Some(_)) => {
            let mut all = Vec::new();
            for (start, end) in parts_of(seen, parts) {
                all.extend_from_slice(&src.bytes[start..end]);
            }
            (Cow::Owned(all), None)
        }
    }
}

/// Whether `raw` is a number that closed (proto2) enum `s` has no symbol for: protobuf-java sets
/// it aside as an unknown field, leaving the field or list as it was.
fn unknown_to_closed_enum(s: &Scalar, raw: &Seen) -> bool {
    match (s, raw) {
        (Scalar::Enum(e), Seen::Bits(v)) => {
            e.closed && !e.values.iter().any(|(n, _)| *n == *v as i32)
        }
        _ => false,
    }
}

/// Reads one value of `s`: its bits, or where its bytes lie (a proto3 string must be UTF-8).
#[inline(always)]
fn read_raw(s: &Scalar, r: &mut WireReader<'_>) -> Result<Seen, DecodeError> {
    Ok(match s {
        Scalar::String { strict } => {
            let (bytes, start, end) = span(r)?;
            // ASCII first: most strings are, and the check is inlined where `from_utf8` is a call.
            let lossy = !crate::utf8::is_utf8(bytes);
            if lossy && *strict {
                return Err(WireError::InvalidUtf8.into());
            }
            Seen::Text {
                start: start as u32,
                end: end as u32,
                lossy,
            }
        }
        Scalar::Bytes => {
            let (_, start, end) = span(r)?;
            Seen::Text {
                start: start as u32,
                end: end as u32,
                lossy: false,
            }
        }
        _ => Seen::Bits(match wire_type(s) {
            wire::FIXED32 => u64::from(r.fixed32()?),
            wire::FIXED64 => r.fixed64()?,
            _ => r.varint()?,
        }),
    })
}

/// What an absent value of `s` reads as (protobuf's zero; an enum's first value).
fn zero_of(s: &Scalar) -> Seen {
    match s {
        Scalar::String { .. } | Scalar::Bytes => Seen::Text {
            start: 0,
            end: 0,
            lossy: false,
        },
        Scalar::Enum(e) => Seen::Bits(e.default as i64 as u64),
        _ => Seen::Bits(0),
    }
}

/// A builder of the wrong variant for its op: a defect in compile, reported as a row error
/// rather than a panic.
fn wrong_builder() -> DecodeError {
    DecodeError::Data("internal: the Protobuf decoder and its Arrow builder disagree".into())
}

#[inline(always)]
fn push_int(builder: &mut ColumnBuilder, v: i64) -> Result<(), DecodeError> {
    match builder {
        ColumnBuilder::Int8(c) => c.push(v as i8),
        ColumnBuilder::Int16(c) => c.push(v as i16),
        ColumnBuilder::Int32(c) => c.push(v as i32),
        ColumnBuilder::Int64(c) => c.push(v),
        _ => return Err(wrong_builder()),
    }
    Ok(())
}

/// Appends string or bytes `data`, which lies at `at` (buffer index, offset), or (`None`) is
/// copied into the scratch buffer (values of up to 12 bytes live in the view itself).
#[inline(always)]
fn push_bytes(
    builder: &mut ColumnBuilder,
    data: &[u8],
    at: Option<(u32, u32)>,
    scratch: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    let (ColumnBuilder::Utf8(c) | ColumnBuilder::Binary(c)) = builder else {
        return Err(wrong_builder());
    };
    match at {
        Some((buffer, offset)) => c.push(data, buffer, offset),
        None if data.len() <= 12 => c.push(data, SCRATCH, 0),
        None => {
            let offset = scratch.len() as u32;
            scratch.extend_from_slice(data);
            c.push(data, SCRATCH, offset);
        }
    }
    Ok(())
}

/// Appends the value of `s` that `raw` (from [`read_raw`] over `src`) holds.
#[inline(always)]
fn push_raw(
    s: &Scalar,
    raw: Seen,
    src: Src<'_>,
    builder: &mut ColumnBuilder,
    scratch: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    let v = match raw {
        Seen::Bits(v) => v,
        Seen::Text { start, end, lossy } => {
            let (start, end) = (start as usize, end as usize);
            let data = &src.bytes[start..end];
            if lossy {
                let repaired = String::from_utf8_lossy(data);
                return push_bytes(builder, repaired.as_bytes(), None, scratch);
            }
            return push_bytes(builder, data, src.base_at(start), scratch);
        }
        Seen::Unset | Seen::Parts(..) => return Err(wrong_builder()),
    };
    match s {
        Scalar::Int32 | Scalar::Int8 | Scalar::Int16 => push_int(builder, i64::from(v as i32)),
        Scalar::SInt32 => push_int(builder, i64::from(wire::zigzag32(v as u32))),
        Scalar::SFixed32 => push_int(builder, i64::from(v as u32 as i32)),
        Scalar::UInt32 | Scalar::Fixed32 => push_int(builder, i64::from(v as u32)),
        Scalar::Int64 | Scalar::UInt64 | Scalar::SFixed64 | Scalar::Fixed64 => {
            push_int(builder, v as i64)
        }
        Scalar::SInt64 => push_int(builder, wire::zigzag64(v)),
        Scalar::Float => match builder {
            ColumnBuilder::Float32(c) => {
                c.push(f32::from_bits(v as u32));
                Ok(())
            }
            _ => Err(wrong_builder()),
        },
        Scalar::Double => match builder {
            ColumnBuilder::Float64(c) => {
                c.push(f64::from_bits(v));
                Ok(())
            }
            _ => Err(wrong_builder()),
        },
        Scalar::Bool => match builder {
            ColumnBuilder::Boolean(..) => {
                builder.push_bool(v != 0);
                Ok(())
            }
            _ => Err(wrong_builder()),
        },
        Scalar::String { .. } | Scalar::Bytes => Err(wrong_builder()),
        Scalar::Enum(e) => {
            let n = v as i32;
            if e.as_int {
                return push_int(builder, i64::from(n));
            }
            match e.values.iter().find(|(v, _)| *v == n) {
                Some((_, name)) => push_bytes(builder, name.as_bytes(), None, scratch),
                None => {
                    let unknown = format!("UNKNOWN_ENUM_VALUE_{}_{n}", e.name);
                    push_bytes(builder, unknown.as_bytes(), None, scratch)
                }
            }
        }
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

const MS_PER_DAY: i64 = 86_400_000;

/// Appends one message-typed value of `op` (a message, wrapper or well-known type) read from
/// `src`.
fn decode_value(
    op: &ValueOp,
    src: Src<'_>,
    builder: &mut ColumnBuilder,
    batch: &mut Batch,
    depth: usize,
) -> Result<(), DecodeError> {
    if depth > wire::MAX_DEPTH {
        return Err(WireError::TooDeep.into());
    }
    match op {
        ValueOp::Scalar(_) => Err(wrong_builder()),
        ValueOp::Message(plan) => decode_message(plan, src, builder, batch, depth),
        ValueOp::Wrapper(s) => decode_wrapper(s, src, builder, batch),
        ValueOp::Timestamp => {
            let ints = read_small(src.bytes, depth)?;
            let seconds = ints[0] as i64;
            let nanos = ints[1] as i32;
            let ms = seconds
                .checked_mul(1000)
                .and_then(|ms| ms.checked_add(i64::from(nanos / 1_000_000)))
                .ok_or_else(|| DecodeError::Data("ArithmeticException: long overflow".into()))?;
            match builder {
                ColumnBuilder::Timestamp(c) => c.push(ms),
                _ => return Err(wrong_builder()),
            }
            Ok(())
        }
        ValueOp::Date => {
            let ints = read_small(src.bytes, depth)?;
            let days = date_to_days(ints[0] as i32, ints[1] as i32, ints[2] as i32)
                .map_err(DecodeError::Data)?;
            let days = i32::try_from(days).map_err(|_| {
                DecodeError::Data(format!(
                    "Date {} ms is outside the days Date32 holds",
                    days.wrapping_mul(MS_PER_DAY)
                ))
            })?;
            match builder {
                ColumnBuilder::Date32(c) => c.push(days),
                _ => return Err(wrong_builder()),
            }
            Ok(())
        }
        ValueOp::Time => {
            let ints = read_small(src.bytes, depth)?;
            let ms = time_of_day_to_millis(
                ints[0] as i32,
                ints[1] as i32,
                ints[2] as i32,
                ints[3] as i32,
            )
            .map_err(DecodeError::Data)?;
            match builder {
                // Within a day (checked above).
                ColumnBuilder::Time32(c) => c.push(ms as i32),
                _ => return Err(wrong_builder()),
            }
            Ok(())
        }
        ValueOp::Decimal => {
            let mut r = WireReader::new(src.bytes);
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
            let decimal = round_to_precision(decimal, precision).map_err(DecodeError::Data)?;
            match builder {
                ColumnBuilder::Decimal(c) => {
                    c.push(decimal).map_err(|e| DecodeError::Data(e.message))
                }
                _ => Err(wrong_builder()),
            }
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

fn decode_wrapper(
    s: &Scalar,
    src: Src<'_>,
    builder: &mut ColumnBuilder,
    batch: &mut Batch,
) -> Result<(), DecodeError> {
    let mut r = WireReader::new(src.bytes);
    let mut out = zero_of(s);
    while !r.at_end() {
        let (n, wt) = r.tag()?;
        if n == 1 && wt == wire_type(s) {
            out = read_raw(s, &mut r)?;
        } else {
            r.skip(n, wt, wire::MAX_DEPTH)?;
        }
    }
    push_raw(s, out, src, builder, &mut batch.buffers.scratch)
}

fn packable(op: &ValueOp) -> bool {
    matches!(op, ValueOp::Scalar(s) if !matches!(s, Scalar::String { .. } | Scalar::Bytes))
}

impl MessagePlan {
    /// The index of the field numbered `n`: straight at `n - 1` when numbers run 1, 2, 3… (most
    /// messages), else by binary search.
    #[inline]
    fn field(&self, n: u32) -> Option<usize> {
        if let Some(&(number, i)) = self.by_number.get((n as usize).wrapping_sub(1)) {
            if number == n {
                return Some(i);
            }
        }
        let at = self
            .by_number
            .binary_search_by_key(&n, |(num, _)| *num)
            .ok()?;
        Some(self.by_number[at].1)
    }
}

/// The element builder of the list column `column` of a struct's `children`.
fn list_child(
    children: &mut [ColumnBuilder],
    column: usize,
) -> Result<&mut ColumnBuilder, DecodeError> {
    match children.get_mut(column) {
        Some(ColumnBuilder::List { child, .. }) => Ok(child),
        _ => Err(wrong_builder()),
    }
}

/// Appends one message (nested ones through [`decode_value`], which bounds the depth).
fn decode_message(
    plan: &MessagePlan,
    src: Src<'_>,
    builder: &mut ColumnBuilder,
    batch: &mut Batch,
    depth: usize,
) -> Result<(), DecodeError> {
    let ColumnBuilder::Struct { children, .. } = builder else {
        return Err(wrong_builder());
    };
    if children.len() != plan.slots.len() {
        return Err(wrong_builder());
    }
    let frame = batch.seen.len();
    batch.seen.resize(frame + plan.fields.len(), Seen::Unset);
    let message = Frame {
        plan,
        src,
        at: frame,
        depth,
    };
    let read = read_fields(&message, children, batch)
        .and_then(|()| append_fields(&message, children, batch));
    batch.seen.truncate(frame);
    read?;
    builder.close_nested_row();
    Ok(())
}

/// A message being read: its plan, its bytes, where its notes start in [`Batch::seen`] and its
/// nesting depth.
struct Frame<'p, 'a> {
    plan: &'p MessagePlan,
    src: Src<'a>,
    at: usize,
    depth: usize,
}

/// Reads a message's fields: list elements are appended, singular fields and map entries noted
/// on the message's frame of [`Batch::seen`].
fn read_fields(
    message: &Frame<'_, '_>,
    children: &mut [ColumnBuilder],
    batch: &mut Batch,
) -> Result<(), DecodeError> {
    let (plan, src, frame, depth) = (message.plan, message.src, message.at, message.depth);
    let skip_depth = wire::MAX_DEPTH.saturating_sub(depth);
    let mut r = WireReader::new(src.bytes);
    while !r.at_end() {
        let (n, wt) = r.tag()?;
        let Some(i) = plan.field(n) else {
            r.skip(n, wt, skip_depth)?;
            continue;
        };
        let field = &plan.fields[i];
        let expected = op_wire_type(&field.op);
        match &field.shape {
            Shape::Single => {
                if wt != expected {
                    // protobuf-java keeps a known field with the wrong wire type as unknown.
                    r.skip(n, wt, skip_depth)?;
                    continue;
                }
                match &field.op {
                    ValueOp::Scalar(s) => {
                        let raw = read_raw(s, &mut r)?;
                        if unknown_to_closed_enum(s, &raw) {
                            continue;
                        }
                        batch.seen[frame + i] = raw;
                    }
                    _ => {
                        let (_, start, end) = span(&mut r)?;
                        add_part(&mut batch.seen[frame + i], &mut batch.parts, (start, end));
                    }
                }
                if let Some(u) = field.union {
                    for (j, other) in plan.fields.iter().enumerate() {
                        if j != i && other.union == Some(u) {
                            batch.seen[frame + j] = Seen::Unset;
                        }
                    }
                }
            }
            Shape::List => {
                let items = list_child(children, field.column)?;
                if wt == expected {
                    match &field.op {
                        ValueOp::Scalar(s) => {
                            let raw = read_raw(s, &mut r)?;
                            if !unknown_to_closed_enum(s, &raw) {
                                push_raw(s, raw, src, items, &mut batch.buffers.scratch)?;
                            }
                        }
                        op => {
                            let (_, start, end) = span(&mut r)?;
                            decode_value(op, src.sub(start, end), items, batch, depth + 1)?;
                        }
                    }
                } else if wt == wire::LEN && packable(&field.op) {
                    let (packed, start, end) = span(&mut r)?;
                    let packed_src = src.sub(start, end);
                    let mut p = WireReader::new(packed);
                    if let ValueOp::Scalar(s) = &field.op {
                        while !p.at_end() {
                            let raw = read_raw(s, &mut p)?;
                            if !unknown_to_closed_enum(s, &raw) {
                                push_raw(s, raw, packed_src, items, &mut batch.buffers.scratch)?;
                            }
                        }
                    }
                } else {
                    r.skip(n, wt, skip_depth)?;
                }
            }
            Shape::Map(..) => {
                if wt == wire::LEN {
                    let (_, start, end) = span(&mut r)?;
                    add_part(&mut batch.seen[frame + i], &mut batch.parts, (start, end));
                } else {
                    r.skip(n, wt, skip_depth)?;
                }
            }
        }
    }
    Ok(())
}

/// Whether `field`, as `seen`, appends a null.
fn appends_null(field: &FieldPlan, seen: Seen) -> bool {
    seen == Seen::Unset
        && matches!(field.shape, Shape::Single)
        && matches!(field.unset, Unset::Null)
}

/// Appends a message's fields in Connect order from what [`read_fields`] noted.
fn append_fields(
    message: &Frame<'_, '_>,
    children: &mut [ColumnBuilder],
    batch: &mut Batch,
) -> Result<(), DecodeError> {
    let (plan, src, frame, depth) = (message.plan, message.src, message.at, message.depth);
    for (slot, column) in plan.slots.iter().zip(children.iter_mut()) {
        match slot {
            Slot::Field(i) => {
                let seen = batch.seen[frame + i];
                append_field(&plan.fields[*i], seen, src, column, batch, depth)?;
            }
            Slot::Union(members) => {
                if members
                    .iter()
                    .all(|i| appends_null(&plan.fields[*i], batch.seen[frame + i]))
                {
                    column.push_null();
                    continue;
                }
                let ColumnBuilder::Struct { children, .. } = column else {
                    return Err(wrong_builder());
                };
                if children.len() != members.len() {
                    return Err(wrong_builder());
                }
                for (i, member) in members.iter().zip(children.iter_mut()) {
                    let seen = batch.seen[frame + i];
                    append_field(&plan.fields[*i], seen, src, member, batch, depth)?;
                }
                column.close_nested_row();
            }
        }
    }
    Ok(())
}

#[inline(always)]
fn append_field(
    field: &FieldPlan,
    seen: Seen,
    src: Src<'_>,
    column: &mut ColumnBuilder,
    batch: &mut Batch,
    depth: usize,
) -> Result<(), DecodeError> {
    match (&field.shape, seen, &field.op) {
        (Shape::List, ..) => match column {
            ColumnBuilder::List { .. } => {
                column.close_nested_row();
                Ok(())
            }
            _ => Err(wrong_builder()),
        },
        (Shape::Map(key, value), ..) => append_map(key, value, seen, src, column, batch, depth),
        (Shape::Single, Seen::Unset, op) => match (&field.unset, op) {
            (Unset::Null, _) => {
                column.push_null();
                Ok(())
            }
            (Unset::Value(raw), ValueOp::Scalar(s)) => {
                push_raw(s, *raw, src, column, &mut batch.buffers.scratch)
            }
            (Unset::Text(text), _) => push_bytes(column, text, None, &mut batch.buffers.scratch),
            (Unset::DefaultStruct, op) => {
                let empty = Src {
                    bytes: &[],
                    base: None,
                };
                decode_value(op, empty, column, batch, depth + 1)
            }
            (Unset::Value(_), _) => Err(wrong_builder()),
        },
        (Shape::Single, Seen::Parts(..), op) => {
            let (bytes, base) = merged(seen, src, &batch.parts);
            decode_value(
                op,
                Src {
                    bytes: &bytes,
                    base,
                },
                column,
                batch,
                depth + 1,
            )
        }
        (Shape::Single, raw, ValueOp::Scalar(s)) => {
            push_raw(s, raw, src, column, &mut batch.buffers.scratch)
        }
        (Shape::Single, ..) => Err(wrong_builder()),
    }
}

/// A map key's Connect value (what its Java `HashMap` hashes).
fn key_value(s: &Scalar, raw: Seen, bytes: &[u8]) -> Result<Value, DecodeError> {
    let v = match raw {
        Seen::Bits(v) => v,
        Seen::Text { start, end, .. } => {
            let text = &bytes[start as usize..end as usize];
            return Ok(Value::String(String::from_utf8_lossy(text).into_owned()));
        }
        _ => return Err(wrong_builder()),
    };
    Ok(match s {
        Scalar::Int32 | Scalar::SFixed32 => Value::Int32(v as i32),
        Scalar::Int8 => Value::Int8(v as i32 as i8),
        Scalar::Int16 => Value::Int16(v as i32 as i16),
        Scalar::SInt32 => Value::Int32(wire::zigzag32(v as u32)),
        Scalar::UInt32 | Scalar::Fixed32 => Value::Int64(i64::from(v as u32)),
        Scalar::SInt64 => Value::Int64(wire::zigzag64(v)),
        Scalar::Int64 | Scalar::UInt64 | Scalar::SFixed64 | Scalar::Fixed64 => {
            Value::Int64(v as i64)
        }
        Scalar::Bool => Value::Boolean(v != 0),
        _ => return Err(wrong_builder()),
    })
}

/// What one map entry holds: its key (or unset) and its value (the last scalar, or the
/// occurrences of a message value).
fn read_entry(
    key: &ValueOp,
    value: &ValueOp,
    bytes: &[u8],
    parts: &mut Vec<Part>,
    depth: usize,
) -> Result<(Seen, Seen), DecodeError> {
    let mut r = WireReader::new(bytes);
    let (mut k, mut v) = (Seen::Unset, Seen::Unset);
    while !r.at_end() {
        let (n, wt) = r.tag()?;
        match (n, key, value) {
            (1, ValueOp::Scalar(s), _) if wt == wire_type(s) => k = read_raw(s, &mut r)?,
            (2, _, ValueOp::Scalar(s)) if wt == wire_type(s) => {
                // A closed enum's unknown number leaves the value as it was (protobuf-java
                // keeps it among the entry's unknown fields).
                let raw = read_raw(s, &mut r)?;
                if !unknown_to_closed_enum(s, &raw) {
                    v = raw;
                }
            }
            (2, _, _) if wt == wire::LEN && !matches!(value, ValueOp::Scalar(_)) => {
                let (_, start, end) = span(&mut r)?;
                add_part(&mut v, parts, (start, end));
            }
            _ => r.skip(n, wt, wire::MAX_DEPTH.saturating_sub(depth))?,
        }
    }
    Ok((k, v))
}

/// Appends a map's entries in the order a Java `HashMap` iterates them, a repeated key keeping
/// its first place and its last value. Cost: each entry read twice (keys, then the kept
/// entries), one Connect value per key.
fn append_map(
    key: &ValueOp,
    value: &ValueOp,
    seen: Seen,
    src: Src<'_>,
    column: &mut ColumnBuilder,
    batch: &mut Batch,
    depth: usize,
) -> Result<(), DecodeError> {
    let ColumnBuilder::Map { keys, values, .. } = column else {
        return Err(wrong_builder());
    };
    let ValueOp::Scalar(key_scalar) = key else {
        return Err(wrong_builder());
    };
    let entries: Vec<(usize, usize)> = parts_of(seen, &batch.parts).collect();
    let mut key_values = Vec::with_capacity(entries.len());
    for &(start, end) in &entries {
        let entry = &src.bytes[start..end];
        let (k, _) = read_entry(key, value, entry, &mut batch.parts, depth + 1)?;
        let k = if k == Seen::Unset {
            zero_of(key_scalar)
        } else {
            k
        };
        key_values.push(key_value(key_scalar, k, entry)?);
    }
    let java_keys = key_values
        .iter()
        .map(java_key)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(wrong_builder)?;
    for at in java_key_order(&java_keys) {
        let (start, end) = entries[at];
        let entry = src.sub(start, end);
        let (k, v) = read_entry(key, value, entry.bytes, &mut batch.parts, depth + 1)?;
        let k = if k == Seen::Unset {
            zero_of(key_scalar)
        } else {
            k
        };
        push_raw(key_scalar, k, entry, keys, &mut batch.buffers.scratch)?;
        match (value, v) {
            (ValueOp::Scalar(s), Seen::Unset) => {
                push_raw(s, zero_of(s), entry, values, &mut batch.buffers.scratch)?
            }
            (ValueOp::Scalar(s), v) => push_raw(s, v, entry, values, &mut batch.buffers.scratch)?,
            (op, v) => {
                let (bytes, base) = merged(v, entry, &batch.parts);
                decode_value(
                    op,
                    Src {
                        bytes: &bytes,
                        base,
                    },
                    values,
                    batch,
                    depth + 2,
                )?;
            }
        }
    }
    column.close_nested_row();
    Ok(())
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
