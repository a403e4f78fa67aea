//! A decoder compiled once per writer schema: Avro binary straight into the Arrow builders of the
//! Connect schema AvroData derives, with no value tree per record.
//!
//! [`Decoder::compile`] walks the Avro schema beside its Connect schema and produces a tree of
//! [`Op`]s, one per schema node, each knowing which builder variant it appends to. Running it
//! over a payload reads through a bounds-checked [`Cursor`]; strings and bytes become views into
//! the batch buffer (buffer 0), enum symbols and repaired UTF-8 are copied into the scratch buffer
//! (buffer 1). A record that fails half-way is rolled back by the caller
//! ([`ColumnBuilder::truncate`]).

use std::sync::Arc;

use arrow_schema::DataType;

use super::cursor::{Cursor, ReadError};
use super::data::AvroData;
use super::schema::{AvroKind, AvroSchema, TypeId};
use crate::arrow_mapping::arrow_type;
use crate::column_builder::ColumnBuilder;
use crate::error::ConnectError;
use crate::payload_buffers::SCRATCH;
use crate::schema::{LogicalType, Schema, SchemaKind, SchemaRef};

/// What one schema node reads and appends.
#[derive(Debug, Clone)]
pub(super) enum Op {
    Boolean,
    Int8,
    Int16,
    Int32,
    Date,
    Time,
    Int64,
    Timestamp,
    Float32,
    Float64,
    /// `string` into a Utf8View.
    String,
    /// `bytes` (or `fixed` of this size) into a BinaryView.
    Bytes(Option<usize>),
    /// A top-level `bytes` schema: the whole payload, with no length prefix (Confluent's
    /// serializers write a top-level `bytes` value raw).
    RawBytes,
    /// A top-level decimal `bytes` schema: the whole payload is the unscaled integer.
    RawDecimal,
    /// `bytes` (or `fixed` of this size) holding a big-endian unscaled decimal.
    Decimal(Option<usize>),
    /// An enum's symbols, appended as strings.
    Enum(Arc<[String]>),
    Array(Box<Op>),
    /// A map with string keys.
    Map(Box<Op>),
    /// AvroData's array of MapEntry records: key then value per entry.
    MapEntries(Box<Op>, Box<Op>),
    Record(Vec<Op>),
    /// A two-branch union with null: which branch is null, and the other's op.
    Optional(usize, Box<Op>),
    /// A union struct: per branch, the struct child it fills (`None`: the null branch).
    Union(Vec<Option<(usize, Op)>>),
}

/// Where the bytes being decoded live: the current payload is buffer `buffer` from offset
/// `base` (see [`crate::payload_buffers::PayloadBuffers::place`]); buffer [`SCRATCH`] takes
/// what must be rewritten.
pub struct Sink<'s> {
    /// The buffer index of the current payload.
    pub buffer: u32,
    /// The offset of the current payload in its buffer.
    pub base: u32,
    /// Buffer [`SCRATCH`], appended to.
    pub scratch: &'s mut Vec<u8>,
}

/// Why a payload did not decode: a read error, or data the Connect schema cannot hold.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// The bytes do not follow the schema.
    Read(ReadError),
    /// A value the Connect mapping cannot hold (a decimal wider than 128 bits).
    Data(ConnectError),
}

impl From<ReadError> for DecodeError {
    fn from(e: ReadError) -> Self {
        DecodeError::Read(e)
    }
}

/// A compiled decoder for one writer schema, with the Connect schema it produces.
#[derive(Debug, Clone)]
pub struct Decoder {
    pub(super) op: Op,
    /// The Connect schema of the decoded values.
    pub schema: SchemaRef,
    /// The Arrow type of the decoded column, `arrow_type(&schema)`: made once with the decoder,
    /// not for each batch a decode call opens its column in (at 500-record batches the per-batch
    /// conversion and drop were about 1% of an Avro chain's instructions, callgrind).
    pub data_type: DataType,
}

impl Decoder {
    /// Compiles the decoder for `avro`, whose Connect form (from `data`) is `schema`.
    pub fn compile(
        data: &AvroData,
        avro: &AvroSchema,
        schema: SchemaRef,
    ) -> Result<Decoder, ConnectError> {
        let op = match compile(data, avro, avro.root, &schema)? {
            Op::Bytes(None) => Op::RawBytes,
            Op::Decimal(None) => Op::RawDecimal,
            op => op,
        };
        Ok(Decoder {
            op,
            data_type: arrow_type(&schema),
            schema,
        })
    }

    /// Decodes one payload into `builder` (a builder for the schema's Arrow type), requiring
    /// every byte to be consumed only as Avro does (trailing bytes are ignored, as Java's reader
    /// ignores them). On error the builder may hold a partial row: the caller truncates.
    pub fn decode(
        &self,
        payload: &[u8],
        builder: &mut ColumnBuilder,
        sink: &mut Sink<'_>,
    ) -> Result<(), DecodeError> {
        let mut cursor = Cursor::new(payload);
        run(&self.op, &mut cursor, builder, sink)
    }
}

fn mismatch(schema: &Schema, avro: &str) -> ConnectError {
    ConnectError::data(format!(
        "Avro type {avro} does not map to Connect schema {schema}"
    ))
}

fn compile(
    data: &AvroData,
    avro: &AvroSchema,
    id: TypeId,
    schema: &Schema,
) -> Result<Op, ConnectError> {
    let t = avro.get(id);
    let logical = schema.logical_type();
    Ok(match (&t.kind, &schema.kind) {
        (AvroKind::Boolean, SchemaKind::Boolean) => Op::Boolean,
        (AvroKind::Int, SchemaKind::Int8) => Op::Int8,
        (AvroKind::Int, SchemaKind::Int16) => Op::Int16,
        (AvroKind::Int, SchemaKind::Int32) => match logical {
            Some(LogicalType::Date) => Op::Date,
            Some(LogicalType::Time) => Op::Time,
            _ => Op::Int32,
        },
        (AvroKind::Long, SchemaKind::Int64) => match logical {
            Some(LogicalType::Timestamp) => Op::Timestamp,
            _ => Op::Int64,
        },
        (AvroKind::Float, SchemaKind::Float32) => Op::Float32,
        (AvroKind::Double, SchemaKind::Float64) => Op::Float64,
        (AvroKind::String, SchemaKind::String) => Op::String,
        (AvroKind::Bytes, SchemaKind::Bytes) => match logical {
            Some(LogicalType::Decimal { .. }) => Op::Decimal(None),
            _ => Op::Bytes(None),
        },
        (AvroKind::Fixed { size, .. }, SchemaKind::Bytes) => match logical {
            Some(LogicalType::Decimal { .. }) => Op::Decimal(Some(*size)),
            _ => Op::Bytes(Some(*size)),
        },
        (AvroKind::Enum { symbols, .. }, SchemaKind::String) => Op::Enum(symbols.clone().into()),
        (AvroKind::Array(items), SchemaKind::Array(elem)) => {
            Op::Array(Box::new(compile(data, avro, *items, elem)?))
        }
        (AvroKind::Array(items), SchemaKind::Map(k, v)) => {
            let AvroKind::Record { fields, .. } = &avro.get(*items).kind else {
                return Err(mismatch(schema, "array"));
            };
            let find = |n: &str| fields.iter().position(|f| f.name == n);
            match (find("key"), find("value")) {
                (Some(0), Some(1)) => Op::MapEntries(
                    Box::new(compile(data, avro, fields[0].schema, k)?),
                    Box::new(compile(data, avro, fields[1].schema, v)?),
                ),
                // AvroData accepts the value field first; the entries are then read value first.
                _ => return Err(mismatch(schema, "array of MapEntry")),
            }
        }
        (AvroKind::Map(values), SchemaKind::Map(_, v)) => {
            Op::Map(Box::new(compile(data, avro, *values, v)?))
        }
        (AvroKind::Record { fields, .. }, SchemaKind::Struct(cfields)) => {
            if fields.len() != cfields.len() {
                return Err(mismatch(schema, "record"));
            }
            Op::Record(
                fields
                    .iter()
                    .zip(cfields)
                    .map(|(f, cf)| {
                        compile(data, avro, f.schema, &cf.schema).map_err(|e| e.at(&f.name))
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
        (AvroKind::Union(branches), _) => {
            if branches.len() == 1 {
                return compile(data, avro, branches[0], schema);
            }
            let is_null = |b: TypeId| avro.get(b).kind == AvroKind::Null;
            let union_struct = matches!(schema.kind, SchemaKind::Struct(_))
                && (schema.name.as_deref() == Some(super::data::AVRO_TYPE_UNION)
                    || schema
                        .parameter(super::data::GENERALIZED_TYPE_UNION)
                        .is_some());
            if branches.len() == 2 && is_null(branches[0]) != is_null(branches[1]) && !union_struct
            {
                let (null_at, other) = if is_null(branches[0]) {
                    (0, branches[1])
                } else {
                    (1, branches[0])
                };
                return Ok(Op::Optional(
                    null_at,
                    Box::new(compile(data, avro, other, schema)?),
                ));
            }
            let mut out = Vec::with_capacity(branches.len());
            for (i, &b) in branches.iter().enumerate() {
                if is_null(b) {
                    out.push(None);
                    continue;
                }
                let name = data.union_member_name(avro.get(b), i);
                let (child, field) = schema
                    .field(&name)
                    .ok_or_else(|| mismatch(schema, "union"))?;
                out.push(Some((child, compile(data, avro, b, &field.schema)?)));
            }
            Op::Union(out)
        }
        _ => return Err(mismatch(schema, t.type_name())),
    })
}

/// A builder of the wrong variant for its op: a defect in compile, reported as a row error
/// rather than a panic.
fn wrong_builder() -> DecodeError {
    DecodeError::Data(ConnectError::data(
        "internal: Avro decoder and Arrow builder disagree",
    ))
}

macro_rules! push_primitive {
    ($builder:expr, $variant:ident, $value:expr) => {
        match $builder {
            ColumnBuilder::$variant(c) => {
                c.push($value);
                Ok(())
            }
            _ => Err(wrong_builder()),
        }
    };
}

#[inline(always)]
fn push_view(
    builder: &mut ColumnBuilder,
    bytes: &[u8],
    buffer: u32,
    offset: u32,
) -> Result<(), DecodeError> {
    match builder {
        ColumnBuilder::Utf8(c) | ColumnBuilder::Binary(c) => {
            c.push(bytes, buffer, offset);
            Ok(())
        }
        _ => Err(wrong_builder()),
    }
}

fn push_scratch(
    builder: &mut ColumnBuilder,
    bytes: &[u8],
    sink: &mut Sink<'_>,
) -> Result<(), DecodeError> {
    let offset = sink.scratch.len() as u32;
    sink.scratch.extend_from_slice(bytes);
    push_view(builder, bytes, SCRATCH, offset)
}

/// Reads one value of `op` from `cur` into `builder`. Inlined into its callers, so a record
/// reads its scalar fields (most of a payload) in its own field loop, with no call per field;
/// everything else goes through [`run_nested`] (a call per scalar field cost 3% of the
/// decoder's instructions on the benchmark records, callgrind).
#[inline(always)]
fn run(
    op: &Op,
    cur: &mut Cursor<'_>,
    builder: &mut ColumnBuilder,
    sink: &mut Sink<'_>,
) -> Result<(), DecodeError> {
    match op {
        Op::Boolean => {
            let v = cur.boolean()?;
            match builder {
                ColumnBuilder::Boolean(..) => {
                    builder.push_bool(v);
                    Ok(())
                }
                _ => Err(wrong_builder()),
            }
        }
        Op::Int8 => push_primitive!(builder, Int8, cur.int()? as i8),
        Op::Int16 => push_primitive!(builder, Int16, cur.int()? as i16),
        Op::Int32 => push_primitive!(builder, Int32, cur.int()?),
        Op::Date => push_primitive!(builder, Date32, cur.int()?),
        Op::Time => push_primitive!(builder, Time32, cur.int()?),
        Op::Int64 => push_primitive!(builder, Int64, cur.long()?),
        Op::Timestamp => push_primitive!(builder, Timestamp, cur.long()?),
        Op::Float32 => push_primitive!(builder, Float32, cur.float()?),
        Op::Float64 => push_primitive!(builder, Float64, cur.double()?),
        Op::String => {
            let bytes = cur.length_prefixed()?;
            let offset = sink.base + (cur.position() - bytes.len()) as u32;
            if crate::utf8::is_utf8(bytes) {
                push_view(builder, bytes, sink.buffer, offset)
            } else {
                // Java decodes with replacement characters; so does weir, into scratch.
                push_scratch(builder, String::from_utf8_lossy(bytes).as_bytes(), sink)
            }
        }
        Op::Bytes(fixed) => {
            let bytes = match fixed {
                Some(n) => cur.take(*n)?,
                None => cur.length_prefixed()?,
            };
            let offset = sink.base + (cur.position() - bytes.len()) as u32;
            push_view(builder, bytes, sink.buffer, offset)
        }
        Op::RawBytes => {
            let bytes = cur.take(cur.remaining())?;
            push_view(builder, bytes, sink.buffer, sink.base)
        }
        nested => run_nested(nested, cur, builder, sink),
    }
}

/// [`run`] for the ops that are not scalars: decimals, enums, containers, records and unions.
#[inline(never)]
fn run_nested(
    op: &Op,
    cur: &mut Cursor<'_>,
    builder: &mut ColumnBuilder,
    sink: &mut Sink<'_>,
) -> Result<(), DecodeError> {
    match op {
        Op::Decimal(_) | Op::RawDecimal => {
            let bytes = match op {
                Op::Decimal(Some(n)) => cur.take(*n)?,
                Op::RawDecimal => cur.take(cur.remaining())?,
                _ => cur.length_prefixed()?,
            };
            let unscaled = if bytes.is_empty() {
                0
            } else {
                crate::json::schema_decode::unscaled_from_bytes(bytes).ok_or_else(|| {
                    DecodeError::Data(ConnectError::data(format!(
                        "Decimal of {} bytes does not fit in 128 bits",
                        bytes.len()
                    )))
                })?
            };
            match builder {
                ColumnBuilder::Decimal(c) => {
                    c.push_unscaled(unscaled);
                    Ok(())
                }
                _ => Err(wrong_builder()),
            }
        }
        Op::Enum(symbols) => {
            let i = cur.index(symbols.len())?;
            push_scratch(builder, symbols[i].as_bytes(), sink)
        }
        Op::Array(item) => {
            let ColumnBuilder::List { child, .. } = builder else {
                return Err(wrong_builder());
            };
            read_blocks(cur, |cur| run(item, cur, child, sink))?;
            builder.close_nested_row();
            Ok(())
        }
        Op::Map(value) => {
            let ColumnBuilder::Map { keys, values, .. } = builder else {
                return Err(wrong_builder());
            };
            read_blocks(cur, |cur| {
                run(&Op::String, cur, keys, sink)?;
                run(value, cur, values, sink)
            })?;
            builder.close_nested_row();
            Ok(())
        }
        Op::MapEntries(key, value) => {
            let ColumnBuilder::Map { keys, values, .. } = builder else {
                return Err(wrong_builder());
            };
            read_blocks(cur, |cur| {
                run(key, cur, keys, sink)?;
                run(value, cur, values, sink)
            })?;
            builder.close_nested_row();
            Ok(())
        }
        Op::Record(fields) => {
            let ColumnBuilder::Struct { children, .. } = builder else {
                return Err(wrong_builder());
            };
            if children.len() != fields.len() {
                return Err(wrong_builder());
            }
            for (op, child) in fields.iter().zip(children.iter_mut()) {
                run(op, cur, child, sink)?;
            }
            builder.close_nested_row();
            Ok(())
        }
        Op::Optional(null_at, inner) => {
            let branch = cur.index(2)?;
            if branch == *null_at {
                builder.push_null();
                Ok(())
            } else {
                run(inner, cur, builder, sink)
            }
        }
        Op::Union(branches) => {
            let branch = cur.index(branches.len())?;
            match &branches[branch] {
                None => {
                    builder.push_null();
                    Ok(())
                }
                Some((child_at, op)) => {
                    let ColumnBuilder::Struct { children, .. } = builder else {
                        return Err(wrong_builder());
                    };
                    for (i, child) in children.iter_mut().enumerate() {
                        if i == *child_at {
                            run(op, cur, child, sink)?;
                        } else {
                            child.push_null();
                        }
                    }
                    builder.close_nested_row();
                    Ok(())
                }
            }
        }
        scalar => run(scalar, cur, builder, sink),
    }
}

/// Reads an array's or map's blocks, calling `item` once per item. Items that take bytes are
/// bounded by the bytes that remain; items that take none (`null`, empty records) by
/// [`MAX_EMPTY_ITEMS`](super::cursor::MAX_EMPTY_ITEMS), so a hostile count cannot spin or
/// exhaust memory.
fn read_blocks<'a>(
    cur: &mut Cursor<'a>,
    mut item: impl FnMut(&mut Cursor<'a>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let budget = cur.remaining() as u64 + super::cursor::MAX_EMPTY_ITEMS;
    let mut total: u64 = 0;
    loop {
        let count = cur.block_count(0)?;
        if count == 0 {
            return Ok(());
        }
        total += count as u64;
        if total > budget {
            return Err(ReadError::TooLong(total as i64).into());
        }
        for _ in 0..count {
            item(cur)?;
        }
    }
}
