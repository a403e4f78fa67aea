//! A JSON Schema payload on the batch tape ([`BatchTape`]) appended straight into Arrow under the
//! Connect schema JsonSchemaData built: the values [`super::read::to_connect`] makes, without a
//! per-record value tree.
//!
//! The tape reader takes only the cases whose value it can tell exactly from the tape, and
//! answers [`RowWise`] for every other one: the caller truncates the row and reads it again with
//! the row-wise reader, which stays the single source of values and of error messages. Read
//! row-wise are: every error; a null that becomes a schema default or stays in a required
//! place (an absent required property, a non-string for a required string); fractional numbers
//! for integer, Decimal and zero-valued float places (the tape holds them only as `f64`); a
//! Float32 that is not exactly an `f32`; unions; maps with non-string keys; an object read as an
//! array.
//!
//! Cost: one walk of the row's tape nodes; strings are views into the batch buffer, decoded
//! bytes go to the extra buffer, one small vector per struct and map.

use crate::column_builder::ColumnBuilder;
use crate::java_hash_order::hash_map_order;
use crate::json::reference::{i128_from_be_bytes, jackson_base64_decode};
use crate::json::schema_decode::{field_slots, PayloadDecoder};
use crate::json::tape::{BatchTape, JNode};
use crate::schema::{
    Schema, SchemaKind, DATE_LOGICAL_NAME, DECIMAL_LOGICAL_NAME, DECIMAL_SCALE_PARAMETER,
    TIMESTAMP_LOGICAL_NAME, TIME_LOGICAL_NAME,
};
use crate::value::Decimal;

use super::is_union;

/// The row must be read again by the row-wise reader (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowWise;

type Appended = Result<(), RowWise>;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Appends payload nodes of one batch tape to column builders.
pub struct TapeReader<'a> {
    /// The batch tape and the extra buffer (buffer 1 of the batch) that decoded bytes and the
    /// row-wise rows' strings go to.
    pub decoder: PayloadDecoder<'a>,
}

impl TapeReader<'_> {
    /// Appends the value at node `at` (`None`: the property is absent) under `schema`, or
    /// answers [`RowWise`] (then `builder` may hold part of the row: truncate it).
    pub fn append(
        &mut self,
        schema: &Schema,
        at: Option<usize>,
        builder: &mut ColumnBuilder,
    ) -> Appended {
        let tape: &BatchTape = self.decoder.tape;
        let Some(at) = at else {
            return append_null(schema, builder);
        };
        let node = tape.node(at);
        if node == JNode::Null {
            return append_null(schema, builder);
        }
        match (schema.name.as_deref(), node, &mut *builder) {
            (Some(DECIMAL_LOGICAL_NAME), JNode::I64(v), ColumnBuilder::Decimal(c)) => {
                return c
                    .push(Decimal {
                        unscaled: i128::from(v),
                        scale: 0,
                    })
                    .map_err(|_| RowWise)
            }
            (Some(DECIMAL_LOGICAL_NAME), JNode::Str { start, len }, ColumnBuilder::Decimal(c)) => {
                let scale = schema
                    .parameter(DECIMAL_SCALE_PARAMETER)
                    .and_then(|s| s.parse::<i32>().ok())
                    .ok_or(RowWise)?;
                let unscaled = jackson_base64_decode(tape.str(start, len))
                    .and_then(|b| i128_from_be_bytes(&b))
                    .ok_or(RowWise)?;
                return c.push(Decimal { unscaled, scale }).map_err(|_| RowWise);
            }
            (Some(DATE_LOGICAL_NAME), JNode::I64(v), ColumnBuilder::Date32(c)) => {
                c.push(i32::try_from(v).map_err(|_| RowWise)?);
                return Ok(());
            }
            // Kafka's `Time.fromLogical` takes only the first day; the rest fail row-wise.
            (Some(TIME_LOGICAL_NAME), JNode::I64(v), ColumnBuilder::Time32(c))
                if (0..MILLIS_PER_DAY).contains(&v) =>
            {
                c.push(v as i32);
                return Ok(());
            }
            (Some(TIMESTAMP_LOGICAL_NAME), JNode::I64(v), ColumnBuilder::Timestamp(c)) => {
                c.push(v);
                return Ok(());
            }
            (
                Some(
                    DECIMAL_LOGICAL_NAME
                    | DATE_LOGICAL_NAME
                    | TIME_LOGICAL_NAME
                    | TIMESTAMP_LOGICAL_NAME,
                ),
                _,
                _,
            ) => return Err(RowWise),
            _ => {}
        }
        match (&schema.kind, &mut *builder) {
            (SchemaKind::Boolean, b @ ColumnBuilder::Boolean(..)) => {
                b.push_bool(node == JNode::Bool(true))
            }
            (SchemaKind::Int8, ColumnBuilder::Int8(c)) => c.push(long_value(node)? as i8),
            (SchemaKind::Int16, ColumnBuilder::Int16(c)) => c.push(long_value(node)? as i16),
            (SchemaKind::Int32, ColumnBuilder::Int32(c)) => c.push(long_value(node)? as i32),
            (SchemaKind::Int64, ColumnBuilder::Int64(c)) => c.push(long_value(node)?),
            (SchemaKind::Float32, ColumnBuilder::Float32(c)) => c.push(float_value(node)?),
            (SchemaKind::Float64, ColumnBuilder::Float64(c)) => c.push(double_value(node)?),
            (SchemaKind::String, ColumnBuilder::Utf8(views)) => match node {
                JNode::Str { start, len } => views.push(tape.bytes(start, len), 0, start),
                // `textValue()` of a non-string is null, kept even in a required place.
                _ if schema.optional => builder.push_null(),
                _ => return Err(RowWise),
            },
            (SchemaKind::Bytes, ColumnBuilder::Binary(views)) => {
                let JNode::Str { start, len } = node else {
                    return Err(RowWise);
                };
                let bytes = jackson_base64_decode(tape.str(start, len)).ok_or(RowWise)?;
                let extra = &mut *self.decoder.extra;
                let offset = extra.len();
                extra.extend_from_slice(&bytes);
                views.push(&extra[offset..], 1, offset as u32);
            }
            (SchemaKind::Array(items), ColumnBuilder::List { child, .. }) => {
                // Nothing of a scalar; an object's values (a repeated key keeps one) row-wise.
                match node {
                    JNode::Array { len, .. } => {
                        let mut element = at + 1;
                        for _ in 0..len {
                            self.append(items, Some(element), child)?;
                            element += tape.node(element).span();
                        }
                    }
                    JNode::Object { .. } => return Err(RowWise),
                    _ => {}
                }
                builder.close_nested_row();
            }
            (SchemaKind::Map(key, value), ColumnBuilder::Map { keys, values, .. })
                if key.kind == SchemaKind::String && !key.optional =>
            {
                let JNode::Object { len, .. } = node else {
                    return Err(RowWise);
                };
                self.append_string_map(value, at, len, keys, values)?;
                builder.close_nested_row();
            }
            (SchemaKind::Struct(fields), ColumnBuilder::Struct { children, .. })
                if !is_union(schema) =>
            {
                let JNode::Object { len, .. } = node else {
                    return Err(RowWise);
                };
                let base = self.decoder.slots.len();
                field_slots(tape, fields, at, len, &mut self.decoder.slots);
                let appended = fields
                    .iter()
                    .zip(children.iter_mut())
                    .enumerate()
                    .try_for_each(|(i, (field, child))| {
                        let slot = self.decoder.slots[base + i];
                        self.append(&field.schema, slot, child)
                    });
                self.decoder.slots.truncate(base);
                appended?;
                builder.close_nested_row();
            }
            _ => return Err(RowWise),
        }
        Ok(())
    }

    /// The entries of an object read as a map with string keys, in the order the Java `HashMap`
    /// JsonSchemaData puts them in iterates them (a repeated key keeps its last value).
    fn append_string_map(
        &mut self,
        value: &Schema,
        at: usize,
        len: u32,
        keys: &mut ColumnBuilder,
        values: &mut ColumnBuilder,
    ) -> Appended {
        let tape: &BatchTape = self.decoder.tape;
        let mut key_at = Vec::with_capacity(len as usize);
        let mut names = Vec::with_capacity(len as usize);
        let mut next = at + 1;
        for _ in 0..len {
            let JNode::Str { start, len } = tape.node(next) else {
                return Err(RowWise);
            };
            key_at.push(next);
            names.push(tape.str(start, len));
            next += 1 + tape.node(next + 1).span();
        }
        let ColumnBuilder::Utf8(key_views) = keys else {
            return Err(RowWise);
        };
        for i in hash_map_order(&names) {
            let JNode::Str { start, len } = tape.node(key_at[i]) else {
                return Err(RowWise);
            };
            key_views.push(tape.bytes(start, len), 0, start);
            self.append(value, Some(key_at[i] + 1), values)?;
        }
        Ok(())
    }
}

/// A null or absent value: null where the schema is optional and has no default; anything else
/// (a default, a required place) is read row-wise.
fn append_null(schema: &Schema, builder: &mut ColumnBuilder) -> Appended {
    if !schema.optional || schema.default.as_ref().is_some_and(|d| !d.is_null()) {
        return Err(RowWise);
    }
    builder.push_null();
    Ok(())
}

/// `longValue()` of an integral node (low 64 bits), 0 for a non-number; fractions are read
/// row-wise (their exact text decides the truncation).
fn long_value(node: JNode) -> Result<i64, RowWise> {
    match node {
        JNode::I64(v) => Ok(v),
        JNode::U64(v) => Ok(v as i64),
        JNode::F64(_) => Err(RowWise),
        _ => Ok(0),
    }
}

/// `doubleValue()`, 0.0 for a non-number; a fractional zero is read row-wise (its text may be a
/// negative number too small for a double, which Java reads as `-0.0`).
fn double_value(node: JNode) -> Result<f64, RowWise> {
    match node {
        JNode::I64(v) => Ok(v as f64),
        JNode::U64(v) => Ok(v as f64),
        JNode::F64(0.0) => Err(RowWise),
        JNode::F64(v) => Ok(v),
        _ => Ok(0.0),
    }
}

/// `floatValue()`, 0.0 for a non-number. A fraction is taken only when its double is exactly an
/// `f32` (then its text rounds to that `f32` too); any other is read row-wise from its text, which
/// rounds once, where going through the double could round twice.
fn float_value(node: JNode) -> Result<f32, RowWise> {
    match node {
        JNode::I64(v) => Ok(v as f32),
        JNode::U64(v) => Ok(v as f32),
        JNode::F64(v) if v != 0.0 && f64::from(v as f32) == v => Ok(v as f32),
        JNode::F64(_) => Err(RowWise),
        _ => Ok(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_the_tape_cannot_tell_exactly_are_read_row_wise() {
        assert_eq!(long_value(JNode::F64(1.5)), Err(RowWise));
        assert_eq!(long_value(JNode::Bool(true)), Ok(0));
        assert_eq!(float_value(JNode::F64(0.1)), Err(RowWise));
        assert_eq!(float_value(JNode::F64(0.5)), Ok(0.5));
        assert_eq!(double_value(JNode::F64(0.0)), Err(RowWise));
        assert_eq!(double_value(JNode::I64(3)), Ok(3.0));
    }
}
