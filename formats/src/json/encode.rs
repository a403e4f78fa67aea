//! Arrow columns to JSON text as JsonConverter's `fromConnectData` writes it.
//!
//! For each segment the column is bound once into a [`Writer`] tree holding the downcast arrays,
//! the escaped field-name prefixes and the default values' text; per row it only writes bytes.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::{
    Array, BinaryViewArray, BooleanArray, ListArray, MapArray, PrimitiveArray, StringViewArray,
    StructArray,
};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_schema::DataType;
use base64::Engine;

use crate::arrow_mapping::META_RAW_JSON;
use crate::decimal_column::{big_integer_bytes, check_schema_scale, is_own_scale, DecimalColumn};
use crate::error::{ConnectError, Result};
use crate::json::reference::{convert_to_json, write_decimal, DecimalFormat, JsonConfig};
use crate::json::write::{write_f32, write_f64, write_i64, write_string};
use crate::schema::{LogicalType, Schema, SchemaKind, SchemaRef};
use crate::variant::{Variant, ABSENT};

/// A bound column writer.
#[derive(Debug)]
pub enum Writer<'a> {
    /// Always null.
    Null,
    /// Booleans.
    Bool(&'a BooleanArray),
    /// INT8.
    Int8(&'a PrimitiveArray<Int8Type>),
    /// INT16.
    Int16(&'a PrimitiveArray<Int16Type>),
    /// INT32.
    Int32(&'a PrimitiveArray<Int32Type>),
    /// INT64.
    Int64(&'a PrimitiveArray<Int64Type>),
    /// Days since the epoch, written as an int.
    Date32(&'a PrimitiveArray<Date32Type>),
    /// ms since midnight, written as an int.
    Time32(&'a PrimitiveArray<Time32MillisecondType>),
    /// ms since the epoch, written as a long.
    Timestamp(&'a PrimitiveArray<TimestampMillisecondType>),
    /// FLOAT32.
    Float32(&'a PrimitiveArray<Float32Type>),
    /// FLOAT64.
    Float64(&'a PrimitiveArray<Float64Type>),
    /// Strings.
    Utf8(&'a StringViewArray),
    /// Canonical JSON text, copied verbatim.
    Raw(&'a StringViewArray),
    /// Bytes, as base64.
    Binary(&'a BinaryViewArray),
    /// Decimals (each with its own scale) of a schema of the given scale: as a number with
    /// their own scale, or as base64 of the unscaled bytes, which needs the schema's scale.
    Decimal(DecimalColumn<'a>, i32, DecimalFormat),
    /// Arrays.
    List(&'a ListArray, Box<Slot<'a>>),
    /// Maps: as an object when keys are strings, else as `[[k, v], …]`.
    Map(&'a MapArray, Box<Slot<'a>>, Box<Slot<'a>>, bool),
    /// Structs: one slot per field, with its `"name":` prefix.
    Struct(&'a StructArray, Vec<(Vec<u8>, Slot<'a>)>),
    /// A [variant](crate::variant): the type id of each row, and per type id the slot of its
    /// child (`None` for the absent child: a struct leaves the key out).
    Variant(&'a ScalarBuffer<i8>, Vec<Option<Slot<'a>>>),
    /// Schemaless values of a Java class the JsonConverter cannot write without a schema
    /// (`java.util.Date`, `java.math.BigDecimal`): every non-null row fails, as in Kafka.
    Unwritable(&'a dyn Array, &'static str),
}

/// A writer plus what to do with a null: write a default, write `null`, or fail (required).
#[derive(Debug)]
pub struct Slot<'a> {
    writer: Writer<'a>,
    /// The column's logical nulls (every row of a `NullArray`), read once when bound.
    nulls: Option<NullBuffer>,
    /// The default value's JSON text, written for nulls (with `replace.null.with.default`).
    default: Option<Vec<u8>>,
    /// Whether a null without a default is an error (a required schema).
    required: bool,
}

impl<'a> Slot<'a> {
    /// Binds `array` with its Connect `schema` (`None`: schemaless). Cost: one walk of the
    /// schema; call once per segment.
    pub fn bind(
        schema: Option<&Schema>,
        array: &'a dyn Array,
        config: &JsonConfig,
    ) -> Result<Slot<'a>> {
        bind_child(schema, array, config, false)
    }

    /// Writes row `row`.
    pub fn write(&self, row: usize, out: &mut Vec<u8>) -> Result<()> {
        if self.nulls.as_ref().is_some_and(|nulls| nulls.is_null(row)) {
            return match &self.default {
                Some(text) => {
                    out.extend_from_slice(text);
                    Ok(())
                }
                None if self.required => Err(ConnectError::data(
                    "Conversion error: null value for field that is required and has no default value",
                )),
                None => {
                    out.extend_from_slice(b"null");
                    Ok(())
                }
            };
        }
        self.writer.write(row, out)
    }

    /// Whether row `row` is a record without this key (a variant's absent child), which a
    /// struct leaves out. Cost: a type id load for a variant, nothing otherwise.
    #[inline]
    fn is_absent(&self, row: usize) -> bool {
        match &self.writer {
            Writer::Variant(ids, slots) => slots[ids[row] as usize].is_none(),
            _ => false,
        }
    }
}

fn default_text(schema: &Schema, config: &JsonConfig) -> Result<Option<Vec<u8>>> {
    match &schema.default {
        Some(default) if config.replace_null_with_default => {
            let plain = std::sync::Arc::new(Schema {
                default: None,
                ..schema.clone()
            });
            let mut text = Vec::new();
            let payload_only = JsonConfig {
                schemas_enable: false,
                ..config.clone()
            };
            convert_to_json(Some(&plain), default, &payload_only, &mut text)?;
            Ok(Some(text))
        }
        _ => Ok(None),
    }
}

fn child_schema(
    schema: Option<&Schema>,
    pick: impl Fn(&SchemaKind) -> Option<&SchemaRef>,
) -> Option<&Schema> {
    schema.and_then(|s| pick(&s.kind)).map(|s| s.as_ref())
}

fn bind_writer<'a>(
    schema: Option<&Schema>,
    array: &'a dyn Array,
    config: &JsonConfig,
    raw: bool,
) -> Result<Writer<'a>> {
    if schema.is_none() {
        let java_class = match array.data_type() {
            DataType::Date32 | DataType::Time32(_) | DataType::Timestamp(_, _) => {
                Some("java.util.Date")
            }
            DataType::Decimal128(_, _) => Some("java.math.BigDecimal"),
            own if is_own_scale(own) => Some("java.math.BigDecimal"),
            _ => None,
        };
        if let Some(class) = java_class {
            return Ok(Writer::Unwritable(array, class));
        }
    }
    Ok(match array.data_type() {
        DataType::Null => Writer::Null,
        DataType::Boolean => Writer::Bool(array.as_boolean()),
        DataType::Int8 => Writer::Int8(array.as_primitive()),
        DataType::Int16 => Writer::Int16(array.as_primitive()),
        DataType::Int32 => Writer::Int32(array.as_primitive()),
        DataType::Int64 => Writer::Int64(array.as_primitive()),
        DataType::Date32 => Writer::Date32(array.as_primitive()),
        DataType::Time32(_) => Writer::Time32(array.as_primitive()),
        DataType::Timestamp(_, _) => Writer::Timestamp(array.as_primitive()),
        DataType::Float32 => Writer::Float32(array.as_primitive()),
        DataType::Float64 => Writer::Float64(array.as_primitive()),
        DataType::Utf8View if raw => Writer::Raw(array.as_string_view()),
        DataType::Utf8View => Writer::Utf8(array.as_string_view()),
        DataType::BinaryView => Writer::Binary(array.as_binary_view()),
        own if is_own_scale(own) || matches!(own, DataType::Decimal128(..)) => {
            let column = DecimalColumn::of(array).ok_or_else(|| {
                ConnectError::data(format!("JsonConverter cannot write Arrow type {own}"))
            })?;
            let schema_scale = match schema.and_then(Schema::logical_type) {
                Some(LogicalType::Decimal { scale }) => scale,
                _ => column.uniform_scale().unwrap_or(0),
            };
            Writer::Decimal(column, schema_scale, config.decimal_format)
        }
        DataType::List(item) => {
            let list = array.as_list::<i32>();
            let item_schema = child_schema(schema, |k| match k {
                SchemaKind::Array(items) => Some(items),
                _ => None,
            });
            let slot = bind_child(item_schema, list.values().as_ref(), config, is_raw(item))?;
            Writer::List(list, Box::new(slot))
        }
        DataType::Map(_, _) => {
            let map = array.as_map();
            let (key_schema, value_schema) = match schema.map(|s| &s.kind) {
                Some(SchemaKind::Map(k, v)) => (Some(k.as_ref()), Some(v.as_ref())),
                _ => (None, None),
            };
            let string_keys = map.keys().data_type() == &DataType::Utf8View;
            let keys = bind_child(key_schema, map.keys().as_ref(), config, false)?;
            let values = bind_child(value_schema, map.values().as_ref(), config, false)?;
            Writer::Map(map, Box::new(keys), Box::new(values), string_keys)
        }
        DataType::Struct(fields) => {
            let structure = array.as_struct();
            let mut slots = Vec::with_capacity(fields.len());
            for (i, field) in fields.iter().enumerate() {
                let field_schema = schema
                    .and_then(|s| s.fields().get(i))
                    .map(|f| f.schema.as_ref());
                let mut prefix = Vec::with_capacity(field.name().len() + 3);
                write_string(&mut prefix, field.name());
                prefix.push(b':');
                let slot = bind_child(
                    field_schema,
                    structure.column(i).as_ref(),
                    config,
                    is_raw(field),
                )
                .map_err(|e| e.at(field.name()))?;
                slots.push((prefix, slot));
            }
            Writer::Struct(structure, slots)
        }
        DataType::Union(..) => {
            let variant = Variant::of(array).ok_or_else(|| {
                ConnectError::data("JsonConverter cannot write a union that is no variant")
            })?;
            let (ids, children) = (variant.type_ids(), variant.children());
            let slots = children
                .map(|(field, child)| match field.name() == ABSENT {
                    true => Ok(None),
                    false => bind_child(schema, child.as_ref(), config, is_raw(field)).map(Some),
                })
                .collect::<Result<Vec<_>>>()?;
            Writer::Variant(ids, slots)
        }
        other => {
            return Err(ConnectError::data(format!(
                "JsonConverter cannot write Arrow type {other}"
            )))
        }
    })
}

fn is_raw(field: &arrow_schema::Field) -> bool {
    field.metadata().contains_key(META_RAW_JSON)
}

fn bind_child<'a>(
    schema: Option<&Schema>,
    array: &'a dyn Array,
    config: &JsonConfig,
    raw: bool,
) -> Result<Slot<'a>> {
    let writer = bind_writer(schema, array, config, raw)?;
    let (default, required) = match schema {
        Some(s) => (default_text(s, config)?, !s.optional),
        None => (None, false),
    };
    Ok(Slot {
        writer,
        nulls: array.logical_nulls(),
        default,
        required,
    })
}

impl Writer<'_> {
    fn write(&self, row: usize, out: &mut Vec<u8>) -> Result<()> {
        match self {
            Writer::Null => out.extend_from_slice(b"null"),
            Writer::Bool(a) => out.extend_from_slice(if a.value(row) { b"true" } else { b"false" }),
            Writer::Int8(a) => write_i64(out, i64::from(a.value(row))),
            Writer::Int16(a) => write_i64(out, i64::from(a.value(row))),
            Writer::Int32(a) => write_i64(out, i64::from(a.value(row))),
            Writer::Int64(a) => write_i64(out, a.value(row)),
            Writer::Date32(a) => write_i64(out, i64::from(a.value(row))),
            Writer::Time32(a) => write_i64(out, i64::from(a.value(row))),
            Writer::Timestamp(a) => write_i64(out, a.value(row)),
            Writer::Float32(a) => write_f32(out, a.value(row)),
            Writer::Float64(a) => write_f64(out, a.value(row)),
            Writer::Utf8(a) => write_string(out, a.value(row)),
            Writer::Raw(a) => out.extend_from_slice(a.value(row).as_bytes()),
            Writer::Binary(a) => write_base64(out, a.value(row)),
            Writer::Decimal(a, schema_scale, format) => {
                let value = a.value(row);
                match format {
                    DecimalFormat::Numeric => write_decimal(out, &value),
                    DecimalFormat::Base64 => {
                        check_schema_scale(value, *schema_scale)?;
                        write_base64(out, &big_integer_bytes(value.unscaled))
                    }
                }
            }
            Writer::List(a, item) => {
                let offsets = a.value_offsets();
                out.push(b'[');
                for (n, i) in (offsets[row] as usize..offsets[row + 1] as usize).enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    item.write(i, out).map_err(|e| e.at(&format!("[{n}]")))?;
                }
                out.push(b']');
            }
            Writer::Map(a, keys, values, string_keys) => {
                let offsets = a.value_offsets();
                let range = offsets[row] as usize..offsets[row + 1] as usize;
                out.push(if *string_keys { b'{' } else { b'[' });
                for (n, i) in range.enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    if *string_keys {
                        keys.write(i, out)?;
                        out.push(b':');
                        values.write(i, out)?;
                    } else {
                        out.push(b'[');
                        keys.write(i, out)?;
                        out.push(b',');
                        values.write(i, out)?;
                        out.push(b']');
                    }
                }
                out.push(if *string_keys { b'}' } else { b']' });
            }
            Writer::Unwritable(_, class) => {
                return Err(ConnectError::data(format!(
                    "Java class class {class} does not have corresponding schema type."
                )))
            }
            Writer::Struct(_, slots) => {
                out.push(b'{');
                let mut first = true;
                for (prefix, slot) in slots {
                    if slot.is_absent(row) {
                        continue;
                    }
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    out.extend_from_slice(prefix);
                    slot.write(row, out)?;
                }
                out.push(b'}');
            }
            Writer::Variant(ids, slots) => match &slots[ids[row] as usize] {
                Some(slot) => slot.write(row, out)?,
                None => out.extend_from_slice(b"null"),
            },
        }
        Ok(())
    }
}

fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(bytes, &mut out[start..])
        .unwrap_or(0);
    out.truncate(start + written);
    out.push(b'"');
}
