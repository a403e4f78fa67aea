//! An envelope's payload into Arrow, driven by its Connect schema, with JsonConverter's exact
//! semantics: Jackson's lenient accessors (`intValue()` of a string is 0, `(byte) 300` is 44),
//! defaults for nulls (`replace.null.with.default`), logical types, Kafka's messages.
//!
//! A record is appended as it is walked; when it fails half-way the caller truncates the builder
//! back to the record's start ([`ColumnBuilder::truncate`]).

use std::collections::HashMap;

use base64::Engine;

use crate::column_builder::ColumnBuilder;
use crate::error::{ConnectError, Result};
use crate::java_hash_order::{java_key, java_key_order, JavaKey};
use crate::json::reference::JsonConfig;
use crate::json::schemaless::SeenKeys;
use crate::json::tape::{BatchTape, JNode};
use crate::schema::{LogicalType, Schema, SchemaKind};
use crate::value::{Decimal, Value};

/// The Connect value `append` makes of a map key node whose schema is a number or boolean
/// without a logical type (Jackson's lenient accessors: `(byte) 257` is 1); `None` for others.
fn primitive_key(key: &Schema, node: JNode) -> Option<Value> {
    if key.logical_type().is_some() {
        return None;
    }
    Some(match key.kind {
        SchemaKind::Boolean => Value::Boolean(node == JNode::Bool(true)),
        SchemaKind::Int8 => Value::Int8(int_value(node) as i8),
        SchemaKind::Int16 => Value::Int16(int_value(node) as i16),
        SchemaKind::Int32 => Value::Int32(int_value(node)),
        SchemaKind::Int64 => Value::Int64(long_value(node)),
        SchemaKind::Float32 => Value::Float32(double_value(node) as f32),
        SchemaKind::Float64 => Value::Float64(double_value(node)),
        _ => return None,
    })
}

/// Jackson's `getNodeType()` name of a node, as Kafka's messages print it.
fn node_type(node: JNode) -> &'static str {
    match node {
        JNode::Str { .. } => "STRING",
        JNode::Object { .. } => "OBJECT",
        JNode::Array { .. } => "ARRAY",
        JNode::I64(_) | JNode::U64(_) | JNode::F64(_) => "NUMBER",
        JNode::Bool(_) => "BOOLEAN",
        JNode::Null => "NULL",
    }
}

/// Decodes payload nodes for one schema.
pub struct PayloadDecoder<'a> {
    /// The batch's tape.
    pub tape: &'a BatchTape,
    /// Where decoded bytes (base64 payloads, defaults) are materialised: buffer 1 of the batch.
    pub extra: &'a mut Vec<u8>,
    /// The converter settings.
    pub config: &'a JsonConfig,
    /// Set when the row failed only because this decoder cannot build it and must be read again
    /// row-wise from its text (see `JsonConverter`'s decode): a Decimal that came as a
    /// fractional number, which the tape holds only as an `f64` (a double keeps about 16
    /// significant digits, so never rounded); a map of pairs that Kafka's `HashMap` would
    /// reorder or merge (a repeated key).
    pub needs_row_wise: bool,
    /// Scratch for [`field_slots`], kept between rows (empty between calls of `append`).
    pub slots: Vec<Option<usize>>,
}

impl PayloadDecoder<'_> {
    /// Appends the value at node `at` (`None`: the field is missing) of `schema` to `builder`.
    pub fn append(
        &mut self,
        schema: &Schema,
        at: Option<usize>,
        builder: &mut ColumnBuilder,
    ) -> Result<()> {
        let node = at.map_or(JNode::Null, |i| self.tape.node(i));
        if node == JNode::Null {
            return self.append_null(schema, builder);
        }
        let at = at.unwrap_or_default();
        if let Some(logical) = schema.logical_type() {
            return self.append_logical(logical, node, builder);
        }
        match (&schema.kind, builder) {
            (SchemaKind::Boolean, b) => b.push_bool(node == JNode::Bool(true)),
            (SchemaKind::Int8, ColumnBuilder::Int8(c)) => c.push(int_value(node) as i8),
            (SchemaKind::Int16, ColumnBuilder::Int16(c)) => c.push(int_value(node) as i16),
            (SchemaKind::Int32, ColumnBuilder::Int32(c)) => c.push(int_value(node)),
            (SchemaKind::Int64, ColumnBuilder::Int64(c)) => c.push(long_value(node)),
            (SchemaKind::Float32, ColumnBuilder::Float32(c)) => c.push(double_value(node) as f32),
            (SchemaKind::Float64, ColumnBuilder::Float64(c)) => c.push(double_value(node)),
            (SchemaKind::String, b @ ColumnBuilder::Utf8(_)) => match node {
                JNode::Str { start, len } => {
                    if let ColumnBuilder::Utf8(views) = b {
                        views.push(self.tape.bytes(start, len), 0, start);
                    }
                }
                // `textValue()` of a non-string is null.
                _ => self.append_null(schema, b)?,
            },
            (SchemaKind::Bytes, b @ ColumnBuilder::Binary(_)) => match node {
                JNode::Str { start, len } => {
                    let bytes = self.base64(start, len, "Invalid bytes field")?;
                    if let ColumnBuilder::Binary(views) = b {
                        let offset = self.extra.len();
                        self.extra.extend_from_slice(&bytes);
                        views.push(&self.extra[offset..], 1, offset as u32);
                    }
                }
                _ => self.append_null(schema, b)?,
            },
            (SchemaKind::Array(items), b @ ColumnBuilder::List { .. }) => {
                self.append_array(items, node, at, b)?
            }
            (SchemaKind::Map(key, value), b @ ColumnBuilder::Map { .. }) => {
                self.append_map(key, value, node, at, b)?
            }
            (SchemaKind::Struct(fields), b @ ColumnBuilder::Struct { .. }) => {
                let JNode::Object { len, .. } = node else {
                    return Err(ConnectError::data(format!(
                        "Structs should be encoded as JSON objects, but found {}",
                        node_type(node)
                    )));
                };
                let base = self.slots.len();
                field_slots(self.tape, fields, at, len, &mut self.slots);
                let ColumnBuilder::Struct { children, .. } = &mut *b else {
                    unreachable!("matched above")
                };
                let appended = fields
                    .iter()
                    .zip(children.iter_mut())
                    .enumerate()
                    .try_for_each(|(i, (field, child))| {
                        let slot = self.slots[base + i];
                        self.append_field(&field.schema, &field.name, slot, child)
                            .map_err(|e| e.at(&field.name))
                    });
                self.slots.truncate(base);
                appended?;
                b.close_nested_row();
            }
            (_, _) => {
                return Err(ConnectError::data(format!(
                    "Unsupported schema for the columnar decoder: {schema}"
                )))
            }
        }
        Ok(())
    }

    /// A struct field: a converter result of null for a required field fails `Struct.put`.
    fn append_field(
        &mut self,
        schema: &Schema,
        name: &str,
        at: Option<usize>,
        builder: &mut ColumnBuilder,
    ) -> Result<()> {
        let node = at.map_or(JNode::Null, |i| self.tape.node(i));
        let null_result = matches!(
            (&schema.kind, node, schema.logical_type()),
            (SchemaKind::String, n, None) if !matches!(n, JNode::Str { .. } | JNode::Null)
        ) || matches!(
            (&schema.kind, node, schema.logical_type()),
            (SchemaKind::Bytes, n, None) if !matches!(n, JNode::Str { .. } | JNode::Null)
        );
        if null_result && !schema.optional {
            return Err(ConnectError::data(format!(
                "Invalid value: null used for required field: \"{}\", schema type: {}",
                name,
                schema.type_name()
            )));
        }
        self.append(schema, at, builder)
    }

    fn append_null(&mut self, schema: &Schema, builder: &mut ColumnBuilder) -> Result<()> {
        match &schema.default {
            Some(default) if self.config.replace_null_with_default => {
                self.append_value(schema, default, builder)
            }
            _ if schema.optional => {
                builder.push_null();
                Ok(())
            }
            _ => Err(ConnectError::data(format!(
                "Invalid null value for required {} field",
                schema.type_name()
            ))),
        }
    }

    /// Appends a row-wise value (a schema default, or a row read from its exact text) to the
    /// column of `schema`.
    pub fn append_value(
        &mut self,
        schema: &Schema,
        value: &Value,
        builder: &mut ColumnBuilder,
    ) -> Result<()> {
        let mismatch = || ConnectError::data(format!("Invalid default value for {schema}"));
        match (value, &mut *builder) {
            (Value::Null, b) => b.push_null(),
            (Value::Boolean(v), b @ ColumnBuilder::Boolean(..)) => b.push_bool(*v),
            (Value::Int8(v), ColumnBuilder::Int8(c)) => c.push(*v),
            (Value::Int16(v), ColumnBuilder::Int16(c)) => c.push(*v),
            (Value::Int32(v), ColumnBuilder::Int32(c)) => c.push(*v),
            (Value::Int64(v), ColumnBuilder::Int64(c)) => c.push(*v),
            (Value::Float32(v), ColumnBuilder::Float32(c)) => c.push(*v),
            (Value::Float64(v), ColumnBuilder::Float64(c)) => c.push(*v),
            // A BigDecimal keeps its own scale (`1.5` read for a scale-3 field stays `1.5`).
            (Value::Decimal(d), ColumnBuilder::Decimal(c)) => c.push(*d)?,
            (Value::Date(ms), ColumnBuilder::Date32(c)) => c.push(ms.div_euclid(86_400_000) as i32),
            (Value::Date(ms), ColumnBuilder::Time32(c)) => c.push(*ms as i32),
            (Value::Date(ms), ColumnBuilder::Timestamp(c)) => c.push(*ms),
            (Value::String(s), ColumnBuilder::Utf8(views)) => {
                let offset = self.extra.len();
                self.extra.extend_from_slice(s.as_bytes());
                views.push(&self.extra[offset..], 1, offset as u32);
            }
            (Value::Bytes(b), ColumnBuilder::Binary(views)) => {
                let offset = self.extra.len();
                self.extra.extend_from_slice(b);
                views.push(&self.extra[offset..], 1, offset as u32);
            }
            (Value::Array(items), b @ ColumnBuilder::List { .. }) => {
                let SchemaKind::Array(item_schema) = &schema.kind else {
                    return Err(mismatch());
                };
                if let ColumnBuilder::List { child, .. } = &mut *b {
                    for item in items {
                        self.append_value(item_schema, item, child)?;
                    }
                }
                b.close_nested_row();
            }
            (Value::Map(entries), b @ ColumnBuilder::Map { .. }) => {
                let SchemaKind::Map(key_schema, value_schema) = &schema.kind else {
                    return Err(mismatch());
                };
                if let ColumnBuilder::Map { keys, values, .. } = &mut *b {
                    for (k, v) in entries {
                        self.append_value(key_schema, k, keys)?;
                        self.append_value(value_schema, v, values)?;
                    }
                }
                b.close_nested_row();
            }
            (Value::Struct(s), b @ ColumnBuilder::Struct { .. }) => {
                if let ColumnBuilder::Struct { children, .. } = &mut *b {
                    for ((field, v), child) in schema
                        .fields()
                        .iter()
                        .zip(&s.values)
                        .zip(children.iter_mut())
                    {
                        self.append_value(&field.schema, v, child)?;
                    }
                }
                b.close_nested_row();
            }
            _ => return Err(mismatch()),
        }
        Ok(())
    }

    fn append_array(
        &mut self,
        items: &Schema,
        node: JNode,
        at: usize,
        builder: &mut ColumnBuilder,
    ) -> Result<()> {
        let ColumnBuilder::List { child, .. } = &mut *builder else {
            unreachable!("caller matched a list builder")
        };
        // Jackson iterates an object's values, and nothing of a scalar.
        match node {
            JNode::Array { len, .. } => {
                let mut element = at + 1;
                for i in 0..len {
                    self.append(items, Some(element), child)
                        .map_err(|e| e.at(&format!("[{i}]")))?;
                    element += self.tape.node(element).span();
                }
            }
            JNode::Object { len, .. } => {
                let mut key_at = at + 1;
                for i in 0..len {
                    self.append(items, Some(key_at + 1), child)
                        .map_err(|e| e.at(&format!("[{i}]")))?;
                    key_at += 1 + self.tape.node(key_at + 1).span();
                }
            }
            _ => {}
        }
        builder.close_nested_row();
        Ok(())
    }

    fn append_map(
        &mut self,
        key: &Schema,
        value: &Schema,
        node: JNode,
        at: usize,
        builder: &mut ColumnBuilder,
    ) -> Result<()> {
        let ColumnBuilder::Map { keys, values, .. } = &mut *builder else {
            unreachable!("caller matched a map builder")
        };
        if key.kind == SchemaKind::String {
            let JNode::Object { len, .. } = node else {
                return Err(ConnectError::data(format!(
                    "Maps with string fields should be encoded as JSON objects, but found {}",
                    node_type(node)
                )));
            };
            let winners = self.last_of_each_key(at, len);
            let mut key_at = at + 1;
            for i in 0..len as usize {
                if winners.as_ref().is_none_or(|w| w[i]) {
                    self.append(key, Some(key_at), keys)?;
                    let name = self.key_text(key_at).to_string();
                    self.append(value, Some(key_at + 1), values)
                        .map_err(|e| e.at(&name))?;
                }
                key_at += 1 + self.tape.node(key_at + 1).span();
            }
        } else {
            let JNode::Array { len, .. } = node else {
                return Err(ConnectError::data(format!(
                    "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
                    node_type(node)
                )));
            };
            let mut entry = at + 1;
            for _ in 0..len {
                let entry_node = self.tape.node(entry);
                let JNode::Array { len: 2, .. } = entry_node else {
                    return Err(match entry_node {
                        JNode::Array { len, .. } => ConnectError::data(format!(
                            "Found invalid map entry, expected length 2 but found :{len}"
                        )),
                        other => ConnectError::data(format!(
                            "Found invalid map entry instead of array tuple: {}",
                            node_type(other)
                        )),
                    });
                };
                let key_at = entry + 1;
                if self.tape.node(key_at) == JNode::Null {
                    return Err(ConnectError::data(
                        "weir does not support null map keys (Arrow map keys are never null)",
                    ));
                }
                self.append(key, Some(key_at), keys)?;
                let value_at = key_at + self.tape.node(key_at).span();
                self.append(value, Some(value_at), values)?;
                entry += entry_node.span();
            }
            if len > 1 && !self.pairs_in_java_order(key, at, len) {
                self.needs_row_wise = true;
                return Err(ConnectError::data(
                    "A map of pairs with a repeated key or out of HashMap order is read row-wise",
                ));
            }
        }
        builder.close_nested_row();
        Ok(())
    }

    /// Whether the `len` pairs of the array at `at` (all checked by `append_map`) hold distinct
    /// keys in the order a Java `HashMap` iterates them, so that the columns already appended are
    /// what Kafka's `HashMap` holds. Only number and boolean keys are checked here; any other
    /// key type answers `false` (the row-wise reader decides). Cost: one hash per pair.
    fn pairs_in_java_order(&self, key: &Schema, at: usize, len: u32) -> bool {
        let mut entry = at + 1;
        let mut keys = Vec::with_capacity(len as usize);
        for _ in 0..len {
            let Some(value) = primitive_key(key, self.tape.node(entry + 1)) else {
                return false;
            };
            keys.push(value);
            entry += self.tape.node(entry).span();
        }
        let keys: Option<Vec<JavaKey<'_>>> = keys.iter().map(java_key).collect();
        keys.is_some_and(|keys| java_key_order(&keys).into_iter().eq(0..len as usize))
    }

    /// For an object of `len` keys at `at` that repeats a key, whether each entry is its key's
    /// last (the one a Java `HashMap` keeps); `None` when no key repeats (the usual case).
    /// Cost: one pass over the keys, hashed beyond a few.
    fn last_of_each_key(&self, at: usize, len: u32) -> Option<Vec<bool>> {
        let key_nodes = || {
            let mut key_at = at + 1;
            (0..len).map(move |_| {
                let this = key_at;
                key_at += 1 + self.tape.node(key_at + 1).span();
                this
            })
        };
        let mut seen = SeenKeys::with_capacity(len as usize);
        if key_nodes().all(|k| seen.insert(self.key_text(k).as_bytes()).is_none()) {
            return None;
        }
        let keys: Vec<&str> = key_nodes().map(|k| self.key_text(k)).collect();
        let mut last = HashMap::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            last.insert(*key, i);
        }
        Some((0..keys.len()).map(|i| last[keys[i]] == i).collect())
    }

    fn key_text(&self, at: usize) -> &str {
        match self.tape.node(at) {
            JNode::Str { start, len } => self.tape.str(start, len),
            _ => "",
        }
    }

    fn append_logical(
        &mut self,
        logical: LogicalType,
        node: JNode,
        builder: &mut ColumnBuilder,
    ) -> Result<()> {
        match (logical, builder) {
            (LogicalType::Decimal { scale }, ColumnBuilder::Decimal(c)) => {
                c.push(self.decimal(node, scale)?)?
            }
            (LogicalType::Date, ColumnBuilder::Date32(c)) => c.push(int_only(node, "Date")?),
            (LogicalType::Time, ColumnBuilder::Time32(c)) => c.push(int_only(node, "Time")?),
            (LogicalType::Timestamp, ColumnBuilder::Timestamp(c)) => match node {
                JNode::I64(_) | JNode::U64(_) => c.push(long_value(node)),
                other => {
                    return Err(ConnectError::data(format!(
                        "Invalid type for Timestamp, underlying representation should be integral but was {}",
                        node_type(other)
                    )))
                }
            },
            _ => return Err(ConnectError::data("Logical type builder mismatch")),
        }
        Ok(())
    }

    /// A Decimal as `JsonConverter` reads it: an integer is `decimalValue()`, scale 0 whatever
    /// the schema's; base64 bytes are the unscaled value at the schema's `scale`. A fractional
    /// number sets [`Self::needs_exact_text`]: its double may have lost digits.
    fn decimal(&mut self, node: JNode, scale: i32) -> Result<Decimal> {
        match node {
            JNode::F64(_) => {
                self.needs_row_wise = true;
                Err(ConnectError::data(
                    "Decimal number must be read from its exact text",
                ))
            }
            JNode::I64(v) => Ok(Decimal {
                unscaled: i128::from(v),
                scale: 0,
            }),
            JNode::U64(v) => Ok(Decimal {
                unscaled: i128::from(v),
                scale: 0,
            }),
            JNode::Str { start, len } => {
                let bytes = self.base64(start, len, "Invalid bytes for Decimal field")?;
                let unscaled = unscaled_from_bytes(&bytes)
                    .ok_or_else(|| ConnectError::data("Invalid bytes for Decimal field"))?;
                Ok(Decimal { unscaled, scale })
            }
            other => Err(ConnectError::data(format!(
                "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
                node_type(other)
            ))),
        }
    }

    fn base64(&self, start: u32, len: u32, message: &str) -> Result<Vec<u8>> {
        base64::engine::general_purpose::STANDARD
            .decode(self.tape.bytes(start, len))
            .map_err(|_| ConnectError::data(message))
    }
}

/// Appends to `slots` the node index of each of `fields`' values in the object of `len` keys at
/// node `at` of `tape` (`None`: missing); a repeated key keeps the last. `slots` is a stack the
/// caller truncates back once the struct is read, so nested structs share one allocation. Cost:
/// one string compare per key when keys come in field order, one hash per key from the first
/// that does not.
pub fn field_slots(
    tape: &BatchTape,
    fields: &[crate::schema::Field],
    at: usize,
    len: u32,
    slots: &mut Vec<Option<usize>>,
) {
    let base = slots.len();
    slots.resize(base + fields.len(), None);
    let slots = &mut slots[base..];
    // Built on the first key out of schema order: one hash per key from then on.
    let mut by_name: Option<HashMap<&[u8], usize>> = None;
    let mut key_at = at + 1;
    for i in 0..len as usize {
        let value_at = key_at + 1;
        if let JNode::Str { start, len } = tape.node(key_at) {
            // Compared as bytes: simd-json validated the key as UTF-8 already.
            let key = tape.bytes(start, len);
            // Fields usually arrive in schema order: try the same position first.
            let index = if fields.get(i).is_some_and(|f| f.name.as_bytes() == key) {
                Some(i)
            } else {
                by_name
                    .get_or_insert_with(|| {
                        fields
                            .iter()
                            .enumerate()
                            .map(|(i, f)| (f.name.as_bytes(), i))
                            .collect()
                    })
                    .get(key)
                    .copied()
            };
            if let Some(index) = index {
                slots[index] = Some(value_at);
            }
        }
        key_at = value_at + tape.node(value_at).span();
    }
}

/// `JsonNode.intValue()`: numbers narrowed like Java, anything else 0.
fn int_value(node: JNode) -> i32 {
    long_value(node) as i32
}

/// `JsonNode.longValue()`: integers (wrapping above `i64::MAX`), fractions truncated, else 0.
fn long_value(node: JNode) -> i64 {
    match node {
        JNode::I64(v) => v,
        JNode::U64(v) => v as i64,
        JNode::F64(v) if v.is_finite() => v.trunc() as i128 as i64,
        _ => 0,
    }
}

/// `JsonNode.doubleValue()`: numbers, anything else 0.0.
fn double_value(node: JNode) -> f64 {
    match node {
        JNode::I64(v) => v as f64,
        JNode::U64(v) => v as f64,
        JNode::F64(v) => v,
        _ => 0.0,
    }
}

/// Date and Time require an int node (`isInt()`).
fn int_only(node: JNode, what: &str) -> Result<i32> {
    match node {
        JNode::I64(v) if i32::try_from(v).is_ok() => Ok(v as i32),
        other => Err(ConnectError::data(format!(
            "Invalid type for {what}, underlying representation should be integer but was {}",
            node_type(other)
        ))),
    }
}

/// A two's-complement big-endian integer (`new BigInteger(bytes)`) within 128 bits.
pub fn unscaled_from_bytes(bytes: &[u8]) -> Option<i128> {
    if bytes.is_empty() || bytes.len() > 16 {
        return None;
    }
    let fill = if bytes[0] & 0x80 != 0 { 0xFF } else { 0 };
    let mut buf = [fill; 16];
    buf[16 - bytes.len()..].copy_from_slice(bytes);
    Some(i128::from_be_bytes(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_bytes_are_twos_complement() {
        assert_eq!(unscaled_from_bytes(&[0xFF]), Some(-1));
        assert_eq!(unscaled_from_bytes(&[0x01, 0x02]), Some(258));
    }

    #[test]
    fn jackson_accessors_narrow_like_java() {
        assert_eq!(int_value(JNode::I64(300)) as i8, 44);
        assert_eq!(int_value(JNode::Str { start: 0, len: 0 }), 0);
        assert_eq!(long_value(JNode::F64(-2.9)), -2);
        assert_eq!(double_value(JNode::Bool(true)), 0.0);
    }
}
