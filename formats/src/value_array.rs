//! The bridge between the row-wise [`Value`] tree and Arrow columns (design §2).
//!
//! [`value_at`] reads one row of a column as the Java object Kafka Connect would hold;
//! [`values_to_array`] builds the column for a list of values, from their Connect schema (through
//! [`arrow_mapping`](crate::arrow_mapping), so types and field metadata match the decoders') or,
//! for schemaless data, from a shape inferred over all the values.
//!
//! This serves the references, the tests, StringConverter and header-related transforms: it walks
//! values one at a time and allocates per value, which the columnar kernels never do.
//!
//! Schemaless inference: `Int64`, `Float64`, `Boolean`, `String` (Utf8View), `Bytes` (BinaryView)
//! and the other leaf classes keep their own Arrow type; lists become `List` of the type inferred
//! over all their elements; a map whose keys are distinct strings becomes a `Struct` with those
//! keys as fields in first-seen order, as long as every map at that place has the same key set
//! (order is not significant, as in Kafka's `HashMap`s), so a child that is null is a present key
//! whose value is null and an absent key is no field at all; other maps become Arrow `Map`s. Where
//! rows disagree, the field becomes Utf8View text marked with
//! [`META_RAW_JSON`](crate::arrow_mapping::META_RAW_JSON) that holds each value's canonical JSON,
//! which [`value_at`] parses back the way Kafka's schemaless JsonConverter reads JSON.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::{
    Array, ArrayRef, BinaryViewArray, BooleanArray, ListArray, MapArray, NullArray, PrimitiveArray,
    StringViewArray, StructArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType, Field, FieldRef, Fields, TimeUnit};

use crate::array_cell::{binary_at, str_at};
use crate::arrow_mapping::{arrow_type, DECIMAL_PRECISION, META_RAW_JSON};
use crate::decimal_column::{
    decimal_array, fields_for_columns, is_own_scale, retype, DecimalColumn,
};
use crate::error::ConnectError;
use crate::schema::{Schema, SchemaKind, SchemaRef};
use crate::value::{Struct, Value};
use crate::variant::Variant;

const MS_PER_DAY: i64 = 86_400_000;

/// The placeholder child of a null parent row.
static NULL: Value = Value::Null;

/// The Connect value of row `row` of `array`, as Kafka would hold it (design §2): integers,
/// floats, booleans, strings (Utf8View or Utf8), bytes (BinaryView or Binary), Decimal128 as
/// [`Value::Decimal`], Date32 / Time32(ms) / Timestamp(ms) as [`Value::Date`] milliseconds, List
/// as [`Value::Array`], Map as [`Value::Map`], and Struct as a [`Value::Struct`] of `schema`, or,
/// when `schema` is `None` (schemaless data), as a [`Value::Map`] from field names to values, with
/// children marked raw JSON parsed back into values, and a [variant](crate::variant) field
/// left out of the map where the record lacks it (its other rows read as the child they select).
/// A null row, a row past the end, a NullArray
/// and an Arrow type outside the mapping give [`Value::Null`].
///
/// Cost: one allocation per string, byte array, list, map and struct in the row.
pub fn value_at(schema: Option<&SchemaRef>, array: &dyn Array, row: usize) -> Value {
    read(schema, false, array, row)
}

/// Builds the Arrow column holding `values`, one row each: of `schema`'s Arrow type when given
/// (a value that does not fit the schema is a DataException naming the field path), otherwise of
/// the schemaless type inferred from the values (see the module doc). A null row is always
/// allowed at the top level (a null key or a tombstone); below it, a null where the schema is
/// required is an error. Schemaless values that disagree at the top level, or that cannot be held
/// exactly (raw JSON needs JSON's own types: Int64, Float64 that is finite, Boolean, String,
/// arrays and maps with string keys), are a DataException too.
///
/// Cost: walks the values once to infer (schemaless only) and once to build; per map it looks
/// keys up linearly unless they come in field order.
pub fn values_to_array(
    schema: Option<&SchemaRef>,
    values: &[Value],
) -> Result<ArrayRef, ConnectError> {
    let values: Vec<&Value> = values.iter().collect();
    let data_type = match schema {
        Some(schema) => arrow_type(schema),
        None => schemaless_type(&values)?,
    };
    let ctx = Ctx { schema, raw: false };
    build(ctx, &data_type, &values).map_err(|(_, e)| e)
}

/// [`values_to_array`] into a column of `data_type`, which must be `schema`'s Arrow type or that
/// type with struct fields made nullable ([`crate::arrow_mapping::with_nullable_fields`]): then a
/// required struct field may hold null, as a Java `Struct` can until it is validated (Confluent's
/// JsonSchemaData leaves an absent property null). Cost: as [`values_to_array`].
pub fn values_to_array_as(
    schema: &SchemaRef,
    data_type: &DataType,
    values: &[Value],
) -> Result<ArrayRef, ConnectError> {
    let values: Vec<&Value> = values.iter().collect();
    let ctx = Ctx {
        schema: Some(schema),
        raw: false,
    };
    build(ctx, data_type, &values).map_err(|(_, e)| e)
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Row `row` of `array`; `raw`: the array's field is marked raw JSON (honoured schemaless only).
fn read(schema: Option<&SchemaRef>, raw: bool, array: &dyn Array, row: usize) -> Value {
    if row >= array.len() {
        return Value::Null;
    }
    if let Some(variant) = Variant::of(array) {
        let (field, child) = variant.selected(row);
        return read(schema, is_raw(field), child.as_ref(), row);
    }
    if array.is_null(row) {
        return Value::Null;
    }
    let value = if raw && schema.is_none() {
        str_at(array, row).map(parse_raw_json)
    } else {
        read_valid(schema, array, row)
    };
    value.unwrap_or(Value::Null)
}

/// A non-null row in bounds; `None` for a type outside the mapping.
fn read_valid(schema: Option<&SchemaRef>, array: &dyn Array, row: usize) -> Option<Value> {
    Some(match array.data_type() {
        DataType::Null => Value::Null,
        DataType::Boolean => Value::Boolean(array.as_boolean_opt()?.value(row)),
        DataType::Int8 => Value::Int8(primitive_at::<Int8Type>(array, row)?),
        DataType::Int16 => Value::Int16(primitive_at::<Int16Type>(array, row)?),
        DataType::Int32 => Value::Int32(primitive_at::<Int32Type>(array, row)?),
        DataType::Int64 => Value::Int64(primitive_at::<Int64Type>(array, row)?),
        DataType::Float32 => Value::Float32(primitive_at::<Float32Type>(array, row)?),
        DataType::Float64 => Value::Float64(primitive_at::<Float64Type>(array, row)?),
        DataType::Utf8 | DataType::Utf8View => Value::String(str_at(array, row)?.to_string()),
        // A value a JsonConverter kept as its bytes (`json::converter::verbatim_column`).
        DataType::LargeUtf8 => {
            let text = array.as_string_opt::<i64>()?.value(row);
            match schema {
                None => parse_raw_json(text),
                Some(schema) => read_payload_text(schema, text)?,
            }
        }
        DataType::Binary | DataType::BinaryView => Value::Bytes(binary_at(array, row)?.to_vec()),
        DataType::Decimal128(..) => Value::Decimal(DecimalColumn::of(array)?.value(row)),
        data_type if is_own_scale(data_type) => {
            Value::Decimal(DecimalColumn::of(array)?.value(row))
        }
        DataType::Date32 => {
            Value::Date(i64::from(primitive_at::<Date32Type>(array, row)?) * MS_PER_DAY)
        }
        DataType::Time32(TimeUnit::Millisecond) => Value::Date(i64::from(primitive_at::<
            Time32MillisecondType,
        >(array, row)?)),
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            Value::Date(primitive_at::<TimestampMillisecondType>(array, row)?)
        }
        DataType::List(field) => read_list(schema, field, array.as_list_opt::<i32>()?, row),
        DataType::Map(..) => read_map(schema, array.as_map_opt()?, row)?,
        DataType::Struct(fields) => read_struct(schema, fields, array.as_struct_opt()?, row),
        _ => return None,
    })
}

fn primitive_at<T: ArrowPrimitiveType>(array: &dyn Array, row: usize) -> Option<T::Native> {
    Some(array.as_primitive_opt::<T>()?.value(row))
}

/// Whether a field holds raw JSON text (schemaless conflicts).
fn is_raw(field: &Field) -> bool {
    field.metadata().contains_key(META_RAW_JSON)
}

fn read_list(schema: Option<&SchemaRef>, field: &FieldRef, list: &ListArray, row: usize) -> Value {
    let items = item_schema(schema);
    let raw = is_raw(field);
    let offsets = list.value_offsets();
    let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
    let values = list.values().as_ref();
    Value::Array((start..end).map(|i| read(items, raw, values, i)).collect())
}

fn read_map(schema: Option<&SchemaRef>, map: &MapArray, row: usize) -> Option<Value> {
    let (key_schema, value_schema) = map_schemas(schema);
    let fields = map.entries().fields();
    let (key_raw, value_raw) = (is_raw(fields.first()?), is_raw(fields.get(1)?));
    let offsets = map.value_offsets();
    let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
    let (keys, values) = (map.keys().as_ref(), map.values().as_ref());
    Some(Value::Map(
        (start..end)
            .map(|i| {
                let key = read(key_schema, key_raw, keys, i);
                (key, read(value_schema, value_raw, values, i))
            })
            .collect(),
    ))
}

fn read_struct(
    schema: Option<&SchemaRef>,
    fields: &Fields,
    array: &StructArray,
    row: usize,
) -> Value {
    match schema.filter(|s| matches!(s.kind, SchemaKind::Struct(_))) {
        Some(schema) => {
            let columns = array.columns();
            let values = schema.fields().iter().enumerate();
            Value::Struct(Struct {
                schema: schema.clone(),
                values: values
                    .map(|(i, f)| match columns.get(i) {
                        Some(column) => read(Some(&f.schema), false, column.as_ref(), row),
                        None => Value::Null,
                    })
                    .collect(),
            })
        }
        None => Value::Map(
            fields
                .iter()
                .zip(array.columns())
                .filter(|(_, column)| {
                    Variant::of(column.as_ref()).is_none_or(|v| !v.is_absent(row))
                })
                .map(|(f, column)| {
                    let value = read(None, is_raw(f), column.as_ref(), row);
                    (Value::String(f.name().clone()), value)
                })
                .collect(),
        ),
    }
}

fn item_schema(schema: Option<&SchemaRef>) -> Option<&SchemaRef> {
    match &schema?.kind {
        SchemaKind::Array(items) => Some(items),
        _ => None,
    }
}

fn map_schemas(schema: Option<&SchemaRef>) -> (Option<&SchemaRef>, Option<&SchemaRef>) {
    match schema.map(|s| &s.kind) {
        Some(SchemaKind::Map(key, value)) => (Some(key), Some(value)),
        _ => (None, None),
    }
}

/// A payload a JsonConverter kept as its text under `schema`, read as that converter reads it
/// (the kept texts need no converter setting: `json::canonical_envelope`).
fn read_payload_text(schema: &SchemaRef, text: &str) -> Option<Value> {
    let json = serde_json::from_str(text).ok()?;
    crate::json::reference::convert_to_connect(Some(schema), &json, &Default::default()).ok()
}

/// Raw JSON text as Kafka's schemaless JsonConverter reads it; text that is not JSON (never
/// written by weir) stays a string.
fn parse_raw_json(text: &str) -> Value {
    serde_json::from_str(text).map_or_else(|_| Value::String(text.to_string()), from_json)
}

/// A JSON tree as Connect data: integral numbers → Int64, other numbers → Float64, objects →
/// maps with string keys, arrays → lists.
fn from_json(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Boolean(b),
        serde_json::Value::Number(n) => number_value(&n),
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => Value::Array(items.into_iter().map(from_json).collect()),
        serde_json::Value::Object(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Value::String(k), from_json(v)))
                .collect(),
        ),
    }
}

/// Jackson's reading: an integral literal is `asLong()` (the low 64 bits of a big one, as
/// `BigInteger.longValue()`), anything else `asDouble()`.
fn number_value(n: &serde_json::Number) -> Value {
    let text = n.to_string();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let low = digits.bytes().fold(0u64, |acc, d| {
            acc.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
        });
        let low = if negative { low.wrapping_neg() } else { low };
        return Value::Int64(low as i64);
    }
    Value::Float64(n.as_f64().unwrap_or(f64::NAN))
}

/// `value` as canonical JSON text, or an error when JSON cannot hold it exactly.
fn json_text(value: &Value) -> Result<String, ConnectError> {
    serde_json::to_string(&to_json(value)?)
        .map_err(|e| ConnectError::data(format!("cannot write raw JSON: {e}")))
}

fn to_json(value: &Value) -> Result<serde_json::Value, ConnectError> {
    Ok(match value {
        Value::Null => serde_json::Value::Null,
        Value::Boolean(b) => serde_json::Value::Bool(*b),
        Value::Int64(v) => serde_json::Value::from(*v),
        Value::Float64(v) => serde_json::Number::from_f64(*v)
            .map(serde_json::Value::Number)
            .ok_or_else(|| not_json(value))?,
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Value::Map(entries) => {
            let mut object = serde_json::Map::with_capacity(entries.len());
            for (k, v) in entries {
                let Value::String(k) = k else {
                    return Err(not_json(value));
                };
                object.insert(k.clone(), to_json(v)?);
            }
            if object.len() != entries.len() {
                return Err(not_json(value));
            }
            serde_json::Value::Object(object)
        }
        _ => return Err(not_json(value)),
    })
}

fn not_json(value: &Value) -> ConnectError {
    ConnectError::data(format!(
        "schemaless values of different types here include a {} that JSON cannot hold exactly",
        value.java_class()
    ))
}

// ---------------------------------------------------------------------------------------------
// Schemaless inference

/// The schemaless Arrow shape of the values at one place.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// Only nulls so far.
    Null,
    /// A leaf class with its Arrow type.
    Leaf(DataType),
    /// Lists, with the shape of all their elements.
    List(Box<Shape>),
    /// Maps that are not string-keyed structs: key and value shapes.
    Map(Box<Shape>, Box<Shape>),
    /// String-keyed maps that share one key set, in first-seen order.
    Struct(Vec<(String, Shape)>),
    /// Values that disagree: kept as raw JSON text.
    Raw,
}

impl Shape {
    /// The shape of a single value.
    fn of(value: &Value) -> Shape {
        match value {
            Value::Null => Shape::Null,
            Value::Array(items) => Shape::List(Box::new(Shape::over(items))),
            Value::Map(entries) => match struct_keys(entries) {
                Some(names) => Shape::Struct(
                    names
                        .into_iter()
                        .zip(entries)
                        .map(|(name, (_, v))| (name, Shape::of(v)))
                        .collect(),
                ),
                None => Shape::Map(
                    Box::new(Shape::over(entries.iter().map(|(k, _)| k))),
                    Box::new(Shape::over(entries.iter().map(|(_, v)| v))),
                ),
            },
            leaf => leaf_type(leaf).map_or(Shape::Raw, Shape::Leaf),
        }
    }

    /// The shape of all `values` together.
    fn over<'v>(values: impl IntoIterator<Item = &'v Value>) -> Shape {
        values.into_iter().fold(Shape::Null, Shape::absorb)
    }

    /// This shape widened to also hold `value`.
    fn absorb(self, value: &Value) -> Shape {
        match (self, value) {
            (shape, Value::Null) => shape,
            (Shape::Raw, _) => Shape::Raw,
            (Shape::Null, v) => Shape::of(v),
            (Shape::Leaf(t), v) if leaf_type(v).as_ref() == Some(&t) => Shape::Leaf(t),
            (Shape::List(item), Value::Array(items)) => {
                Shape::List(Box::new(items.iter().fold(*item, Shape::absorb)))
            }
            (Shape::Struct(fields), Value::Map(entries)) if same_keys(&fields, entries) => {
                Shape::Struct(
                    fields
                        .into_iter()
                        .enumerate()
                        .map(|(i, (name, shape))| {
                            let v = entry_value(entries, i, &name).unwrap_or(&NULL);
                            let shape = shape.absorb(v);
                            (name, shape)
                        })
                        .collect(),
                )
            }
            (Shape::Map(keys, values), Value::Map(entries)) => Shape::Map(
                Box::new(entries.iter().map(|(k, _)| k).fold(*keys, Shape::absorb)),
                Box::new(entries.iter().map(|(_, v)| v).fold(*values, Shape::absorb)),
            ),
            _ => Shape::Raw,
        }
    }

    fn data_type(&self) -> DataType {
        match self {
            Shape::Null => DataType::Null,
            Shape::Leaf(t) => t.clone(),
            Shape::Raw => DataType::Utf8View,
            Shape::List(item) => DataType::List(Arc::new(item.field("item", true))),
            Shape::Map(key, value) => DataType::Map(
                Arc::new(Field::new(
                    "entries",
                    DataType::Struct(Fields::from(vec![
                        key.field("key", false),
                        value.field("value", true),
                    ])),
                    false,
                )),
                false,
            ),
            Shape::Struct(fields) => DataType::Struct(
                fields
                    .iter()
                    .map(|(name, shape)| shape.field(name, true))
                    .collect(),
            ),
        }
    }

    fn field(&self, name: &str, nullable: bool) -> Field {
        let field = Field::new(name, self.data_type(), nullable);
        match self {
            Shape::Raw => field.with_metadata(HashMap::from([(
                META_RAW_JSON.to_string(),
                "true".to_string(),
            )])),
            _ => field,
        }
    }
}

/// The Arrow type of a leaf value (not null, list, map or struct).
fn leaf_type(value: &Value) -> Option<DataType> {
    Some(match value {
        Value::Int8(_) => DataType::Int8,
        Value::Int16(_) => DataType::Int16,
        Value::Int32(_) => DataType::Int32,
        Value::Int64(_) => DataType::Int64,
        Value::Float32(_) => DataType::Float32,
        Value::Float64(_) => DataType::Float64,
        Value::Boolean(_) => DataType::Boolean,
        Value::String(_) => DataType::Utf8View,
        Value::Bytes(_) => DataType::BinaryView,
        Value::Decimal(d) => DataType::Decimal128(DECIMAL_PRECISION, i8::try_from(d.scale).ok()?),
        Value::Date(_) => DataType::Timestamp(TimeUnit::Millisecond, None),
        Value::Null | Value::Array(_) | Value::Map(_) | Value::Struct(_) => return None,
    })
}

/// The keys of a map whose keys are distinct strings.
fn struct_keys(entries: &[(Value, Value)]) -> Option<Vec<String>> {
    let mut names = Vec::with_capacity(entries.len());
    for (key, _) in entries {
        match key {
            Value::String(name) if !names.contains(name) => names.push(name.clone()),
            _ => return None,
        }
    }
    Some(names)
}

/// Whether a map's keys are exactly the struct's field names (in any order).
fn same_keys(fields: &[(String, Shape)], entries: &[(Value, Value)]) -> bool {
    entries.len() == fields.len()
        && fields
            .iter()
            .enumerate()
            .all(|(i, (name, _))| entry_value(entries, i, name).is_some())
}

/// The value of key `name` in a map, looked for at `index` first (maps usually keep field order).
fn entry_value<'v>(entries: &'v [(Value, Value)], index: usize, name: &str) -> Option<&'v Value> {
    let is_name = |k: &Value| matches!(k, Value::String(s) if s == name);
    match entries.get(index) {
        Some((k, v)) if is_name(k) => Some(v),
        _ => entries.iter().find(|(k, _)| is_name(k)).map(|(_, v)| v),
    }
}

/// The Arrow type of a schemaless column, or an error when its rows disagree.
fn schemaless_type(values: &[&Value]) -> Result<DataType, ConnectError> {
    let shape = Shape::over(values.iter().copied());
    if shape != Shape::Raw {
        return Ok(shape.data_type());
    }
    let mut classes: Vec<&str> = Vec::new();
    for class in values
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| v.java_class())
    {
        if !classes.contains(&class) {
            classes.push(class);
        }
    }
    Err(ConnectError::data(format!(
        "schemaless values ({}) have no single Arrow type: rows of different shapes belong in \
         different segments",
        classes.join(", ")
    )))
}

/// What schemaless values must share to make one column: the top-level class, the key set of
/// string-keyed maps (any order), the scale of decimals; `None` for null, which fits any. Rows
/// with the same key usually make one column with [`values_to_array`]; nested values may still
/// disagree. Cost: a sort of a map's keys.
pub fn schemaless_shape_key(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => return None,
        Value::Map(entries) => {
            let mut keys = Vec::with_capacity(entries.len());
            for (k, _) in entries {
                match k {
                    Value::String(s) if !keys.contains(&s.as_str()) => keys.push(s.as_str()),
                    _ => return Some("map".to_string()),
                }
            }
            keys.sort_unstable();
            format!("{{{}}}", keys.join("\u{0}"))
        }
        Value::Decimal(d) => format!("decimal{}", d.scale),
        other => other.java_class().to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// Building

/// An error with the index of the value (among those being built) where it happened.
type Located = (usize, ConnectError);

/// What the values being built must fit: their schema (`None`: schemaless) and whether the
/// column holds raw JSON text.
#[derive(Debug, Clone, Copy)]
struct Ctx<'a> {
    schema: Option<&'a SchemaRef>,
    raw: bool,
}

impl<'a> Ctx<'a> {
    /// The context of a child column of `field` with `schema`.
    fn child(field: &Field, schema: Option<&'a SchemaRef>) -> Ctx<'a> {
        Ctx {
            schema,
            raw: schema.is_none() && is_raw(field),
        }
    }

    /// The error for a value of the wrong Java class.
    fn wrong(&self, value: &Value) -> ConnectError {
        ConnectError::data(match self.schema {
            Some(schema) => {
                let name = schema.name.as_ref().map(|n| format!(" \"{n}\""));
                format!(
                    "Invalid Java object for schema{} with type {}: class {}",
                    name.unwrap_or_default(),
                    schema.type_name(),
                    value.java_class()
                )
            }
            None => format!(
                "Invalid Java object for a schemaless column: class {}",
                value.java_class()
            ),
        })
    }
}

/// `match` on a value's variant inside a column builder: the arm's `Result`, or the wrong-class
/// error of the context.
macro_rules! variant {
    ($ctx:expr, $pattern:pat => $out:expr) => {
        |value| match value {
            $pattern => $out,
            other => Err($ctx.wrong(other)),
        }
    };
}

/// The column of `data_type` holding `values`.
fn build(ctx: Ctx<'_>, data_type: &DataType, values: &[&Value]) -> Result<ArrayRef, Located> {
    if ctx.raw {
        let texts = natives(values, json_text)?;
        return Ok(Arc::new(StringViewArray::from_iter(texts)));
    }
    Ok(match data_type {
        DataType::Null => {
            natives(values, |v| Err::<(), _>(ctx.wrong(v)))?;
            Arc::new(NullArray::new(values.len()))
        }
        DataType::Boolean => Arc::new(BooleanArray::from(natives(
            values,
            variant!(ctx, Value::Boolean(b) => Ok(*b)),
        )?)),
        DataType::Int8 => {
            primitive::<Int8Type>(natives(values, variant!(ctx, Value::Int8(v) => Ok(*v)))?)
        }
        DataType::Int16 => {
            primitive::<Int16Type>(natives(values, variant!(ctx, Value::Int16(v) => Ok(*v)))?)
        }
        DataType::Int32 => {
            primitive::<Int32Type>(natives(values, variant!(ctx, Value::Int32(v) => Ok(*v)))?)
        }
        DataType::Int64 => {
            primitive::<Int64Type>(natives(values, variant!(ctx, Value::Int64(v) => Ok(*v)))?)
        }
        DataType::Float32 => {
            primitive::<Float32Type>(natives(values, variant!(ctx, Value::Float32(v) => Ok(*v)))?)
        }
        DataType::Float64 => {
            primitive::<Float64Type>(natives(values, variant!(ctx, Value::Float64(v) => Ok(*v)))?)
        }
        DataType::Utf8View => Arc::new(StringViewArray::from_iter(natives(
            values,
            variant!(ctx, Value::String(s) => Ok(s.as_str())),
        )?)),
        DataType::BinaryView => Arc::new(BinaryViewArray::from_iter(natives(
            values,
            variant!(ctx, Value::Bytes(b) => Ok(b.as_slice())),
        )?)),
        DataType::Decimal128(_, scale) => {
            let decimals = natives(values, variant!(ctx, Value::Decimal(d) => Ok(*d)))?;
            decimal_array(*scale, decimals)?
        }
        own if is_own_scale(own) => {
            let scale = match ctx.schema.and_then(|s| s.logical_type()) {
                Some(crate::schema::LogicalType::Decimal { scale }) => i8::try_from(scale)
                    .map_err(|_| (0, ConnectError::data("Decimal scale outside -128..127")))?,
                _ => 0,
            };
            let decimals = natives(values, variant!(ctx, Value::Decimal(d) => Ok(*d)))?;
            decimal_array(scale, decimals)?
        }
        DataType::Date32 => primitive::<Date32Type>(natives(
            values,
            variant!(ctx, Value::Date(ms) => date_days(*ms)),
        )?),
        DataType::Time32(TimeUnit::Millisecond) => primitive::<Time32MillisecondType>(natives(
            values,
            variant!(ctx, Value::Date(ms) => time_of_day(*ms)),
        )?),
        DataType::Timestamp(TimeUnit::Millisecond, zone) => {
            let millis = natives(values, variant!(ctx, Value::Date(ms) => Ok(*ms)))?;
            Arc::new(
                PrimitiveArray::<TimestampMillisecondType>::from(millis)
                    .with_timezone_opt(zone.clone()),
            )
        }
        DataType::List(field) => list_column(ctx, field, values)?,
        DataType::Map(field, _) => map_column(ctx, field, values)?,
        DataType::Struct(fields) => struct_column(ctx, fields, values)?,
        other => {
            let message = format!("no Connect value maps to the Arrow type {other}");
            return Err((0, ConnectError::data(message)));
        }
    })
}

/// Each value's native form (nulls stay `None`), or the first error with its index.
fn natives<'v, T>(
    values: &[&'v Value],
    native: impl Fn(&'v Value) -> Result<T, ConnectError>,
) -> Result<Vec<Option<T>>, Located> {
    values
        .iter()
        .enumerate()
        .map(|(i, value)| match value {
            Value::Null => Ok(None),
            value => native(value).map(Some).map_err(|e| (i, e)),
        })
        .collect()
}

fn primitive<T: ArrowPrimitiveType>(values: Vec<Option<T::Native>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<PrimitiveArray<T>>())
}

fn arrow_error(error: ArrowError) -> ConnectError {
    ConnectError::data(format!("cannot build the Arrow column: {error}"))
}

/// Kafka's `Date.fromLogical`: whole days since the epoch.
fn date_days(ms: i64) -> Result<i32, ConnectError> {
    if ms.rem_euclid(MS_PER_DAY) != 0 {
        return Err(ConnectError::data(
            "Kafka Connect Date type should not have any time fields set to non-zero values.",
        ));
    }
    i32::try_from(ms.div_euclid(MS_PER_DAY))
        .map_err(|_| ConnectError::data(format!("Date {ms} ms is outside the days Date32 holds")))
}

/// Kafka's `Time.fromLogical`: milliseconds within the first day.
fn time_of_day(ms: i64) -> Result<i32, ConnectError> {
    if (0..MS_PER_DAY).contains(&ms) {
        Ok(ms as i32)
    } else {
        Err(ConnectError::data(
            "Kafka Connect Time type should not have any date fields set to non-zero values.",
        ))
    }
}

/// Kafka's error for a null where `schema` is required.
fn required_null(schema: &Schema, location: &str) -> ConnectError {
    ConnectError::data(format!(
        "Invalid value: null used for required {location}, schema type: {}",
        schema.type_name()
    ))
}

/// The validity of `values`, `None` when none is null.
fn nulls_of(values: &[&Value]) -> Option<NullBuffer> {
    values
        .iter()
        .any(|v| v.is_null())
        .then(|| NullBuffer::from_iter(values.iter().map(|v| !v.is_null())))
}

/// List or map offsets from each row's child count.
fn offsets_of(ends: Vec<usize>) -> Result<OffsetBuffer<i32>, Located> {
    let mut offsets = Vec::with_capacity(ends.len() + 1);
    offsets.push(0i32);
    for (row, end) in ends.into_iter().enumerate() {
        let end = i32::try_from(end).map_err(|_| {
            (
                row,
                ConnectError::data("more list or map entries than an Arrow column holds"),
            )
        })?;
        offsets.push(end);
    }
    Ok(OffsetBuffer::new(ScalarBuffer::from(offsets)))
}

/// The row, and the position within it, of child `index` under `offsets`.
fn row_of(offsets: &OffsetBuffer<i32>, index: usize) -> (usize, usize) {
    let row = offsets
        .partition_point(|&o| o as usize <= index)
        .saturating_sub(1);
    (row, index - offsets[row] as usize)
}

fn list_column(ctx: Ctx<'_>, field: &FieldRef, values: &[&Value]) -> Result<ArrayRef, Located> {
    let item_schema = item_schema(ctx.schema);
    let required = item_schema.filter(|s| !s.optional);
    let mut items: Vec<&Value> = Vec::new();
    let mut ends = Vec::with_capacity(values.len());
    for (row, value) in values.iter().enumerate() {
        match value {
            Value::Null => {}
            Value::Array(elements) => {
                if let (Some(schema), Some(i)) =
                    (required, elements.iter().position(Value::is_null))
                {
                    let error = required_null(schema, "element of array");
                    return Err((row, error.at(&format!("[{i}]"))));
                }
                items.extend(elements);
            }
            other => return Err((row, ctx.wrong(other))),
        }
        ends.push(items.len());
    }
    let offsets = offsets_of(ends)?;
    let child =
        build(Ctx::child(field, item_schema), field.data_type(), &items).map_err(|(i, e)| {
            let (row, position) = row_of(&offsets, i);
            (row, e.at(&format!("[{position}]")))
        })?;
    let list = ListArray::try_new(
        retype(field, child.data_type()),
        offsets,
        child,
        nulls_of(values),
    )
    .map_err(|e| (0, arrow_error(e)))?;
    Ok(Arc::new(list))
}

fn map_column(ctx: Ctx<'_>, entries: &FieldRef, values: &[&Value]) -> Result<ArrayRef, Located> {
    let DataType::Struct(kv) = entries.data_type() else {
        return Err((
            0,
            ConnectError::data("an Arrow map without key/value entries"),
        ));
    };
    let (Some(key_field), Some(value_field)) = (kv.first(), kv.get(1)) else {
        return Err((
            0,
            ConnectError::data("an Arrow map without key/value entries"),
        ));
    };
    let (key_schema, value_schema) = map_schemas(ctx.schema);
    let required = value_schema.filter(|s| !s.optional);
    let (mut keys, mut items) = (Vec::<&Value>::new(), Vec::<&Value>::new());
    let mut ends = Vec::with_capacity(values.len());
    for (row, value) in values.iter().enumerate() {
        match value {
            Value::Null => {}
            Value::Map(pairs) => {
                for (k, v) in pairs {
                    let at = || format!("[{k}]");
                    if k.is_null() {
                        let error = ConnectError::data("a map key cannot be null in Arrow");
                        return Err((row, error.at(&at())));
                    }
                    if let (Some(schema), true) = (required, v.is_null()) {
                        return Err((row, required_null(schema, "value of map").at(&at())));
                    }
                    keys.push(k);
                    items.push(v);
                }
            }
            other => return Err((row, ctx.wrong(other))),
        }
        ends.push(keys.len());
    }
    let offsets = offsets_of(ends)?;
    let locate = |(i, e): Located| match keys.get(i) {
        Some(key) => (row_of(&offsets, i).0, e.at(&format!("[{key}]"))),
        None => (0, e),
    };
    let key_column = build(
        Ctx::child(key_field, key_schema),
        key_field.data_type(),
        &keys,
    )
    .map_err(locate)?;
    let value_column = build(
        Ctx::child(value_field, value_schema),
        value_field.data_type(),
        &items,
    )
    .map_err(locate)?;
    let kv = Fields::from(vec![
        retype(key_field, key_column.data_type()),
        retype(value_field, value_column.data_type()),
    ]);
    let entries = retype(entries, &DataType::Struct(kv.clone()));
    let pairs =
        StructArray::try_new_with_length(kv, vec![key_column, value_column], None, keys.len())
            .map_err(|e| (0, arrow_error(e)))?;
    let map = MapArray::try_new(entries, offsets, pairs, nulls_of(values), false)
        .map_err(|e| (0, arrow_error(e)))?;
    Ok(Arc::new(map))
}

fn struct_column(ctx: Ctx<'_>, fields: &Fields, values: &[&Value]) -> Result<ArrayRef, Located> {
    let mut columns: Vec<Vec<&Value>> = vec![Vec::with_capacity(values.len()); fields.len()];
    for (row, value) in values.iter().enumerate() {
        let children = match value {
            Value::Null => vec![&NULL; fields.len()],
            value => struct_children(ctx, fields, value).map_err(|e| (row, e))?,
        };
        for (column, child) in columns.iter_mut().zip(children) {
            column.push(child);
        }
    }
    let schemas = ctx.schema.map(|s| s.fields());
    let arrays = fields
        .iter()
        .zip(&columns)
        .enumerate()
        .map(|(i, (field, column))| {
            let schema = schemas.and_then(|s| s.get(i)).map(|f| &f.schema);
            build(Ctx::child(field, schema), field.data_type(), column)
                .map_err(|(row, e)| (row, e.at(field.name())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let fields = fields_for_columns(fields, &arrays);
    let array = StructArray::try_new_with_length(fields, arrays, nulls_of(values), values.len())
        .map_err(|e| (0, arrow_error(e)))?;
    Ok(Arc::new(array))
}

/// A non-null struct row's field values, in field order: a [`Value::Struct`] of the schema, or
/// (schemaless) a [`Value::Map`] with exactly the field names as keys.
fn struct_children<'v>(
    ctx: Ctx<'_>,
    fields: &Fields,
    value: &'v Value,
) -> Result<Vec<&'v Value>, ConnectError> {
    match (ctx.schema, value) {
        (Some(schema), Value::Struct(s)) => {
            if !Arc::ptr_eq(&s.schema, schema) && s.schema != *schema {
                return Err(ConnectError::data("Struct schemas do not match."));
            }
            if s.values.len() != fields.len() {
                return Err(ConnectError::data(format!(
                    "Struct has {} values for {} fields",
                    s.values.len(),
                    fields.len()
                )));
            }
            for ((field, arrow), v) in schema.fields().iter().zip(fields.iter()).zip(&s.values) {
                // A required field may hold null where the Arrow field allows it (see
                // `values_to_array_as`); otherwise it is Kafka's error.
                if v.is_null() && !field.schema.optional && !arrow.is_nullable() {
                    let location = format!("field: \"{}\"", field.name);
                    return Err(required_null(&field.schema, &location).at(&field.name));
                }
            }
            Ok(s.values.iter().collect())
        }
        (None, Value::Map(entries)) if entries.len() == fields.len() => fields
            .iter()
            .enumerate()
            .map(|(i, f)| entry_value(entries, i, f.name()).ok_or_else(|| ctx.wrong(value)))
            .collect(),
        (_, other) => Err(ctx.wrong(other)),
    }
}

/// Generators of Connect schemas and their values, for the proptests of other modules.
#[cfg(test)]
pub(crate) use tests::{schema_strategy, value_strategy};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Decimal;
    use proptest::prelude::*;

    fn s(kind: SchemaKind) -> Schema {
        Schema::new(kind)
    }

    fn round_trip(schema: Option<&SchemaRef>, values: &[Value]) -> ArrayRef {
        let array = values_to_array(schema, values).expect("builds");
        assert_eq!(array.len(), values.len());
        let back: Vec<Value> = (0..array.len())
            .map(|row| value_at(schema, array.as_ref(), row))
            .collect();
        assert_eq!(back, values, "round trip through {:?}", array.data_type());
        array
    }

    fn string(text: &str) -> Value {
        Value::String(text.to_string())
    }

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| (string(k), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn every_primitive_and_logical_type_round_trips() {
        let cases: Vec<(Schema, Vec<Value>)> = vec![
            (
                s(SchemaKind::Int8),
                vec![Value::Int8(-128), Value::Int8(127)],
            ),
            (
                s(SchemaKind::Int16),
                vec![Value::Int16(i16::MIN), Value::Int16(7)],
            ),
            (
                s(SchemaKind::Int32),
                vec![Value::Int32(i32::MAX), Value::Int32(0)],
            ),
            (
                s(SchemaKind::Int64),
                vec![Value::Int64(i64::MIN), Value::Int64(1)],
            ),
            (
                s(SchemaKind::Float32),
                vec![Value::Float32(1.5), Value::Float32(-0.0)],
            ),
            (
                s(SchemaKind::Float64),
                vec![Value::Float64(1e300), Value::Float64(0.1)],
            ),
            (
                s(SchemaKind::Boolean),
                vec![Value::Boolean(true), Value::Boolean(false)],
            ),
            (
                s(SchemaKind::String),
                vec![string(""), string("a longer string than twelve")],
            ),
            (
                s(SchemaKind::Bytes),
                vec![Value::Bytes(vec![0, 255]), Value::Bytes(vec![])],
            ),
            (
                Schema::decimal(2),
                vec![
                    Value::Decimal(Decimal {
                        unscaled: -12345,
                        scale: 2,
                    }),
                    Value::Decimal(Decimal {
                        unscaled: 10i128.pow(37),
                        scale: 2,
                    }),
                ],
            ),
            (
                Schema::date(),
                vec![Value::Date(-MS_PER_DAY), Value::Date(19_000 * MS_PER_DAY)],
            ),
            (
                Schema::time(),
                vec![Value::Date(0), Value::Date(MS_PER_DAY - 1)],
            ),
            (
                Schema::timestamp(),
                vec![Value::Date(1_700_000_000_123), Value::Date(-1)],
            ),
        ];
        for (schema, mut values) in cases {
            let schema = schema.optional().into_ref();
            values.push(Value::Null);
            let array = round_trip(Some(&schema), &values);
            assert_eq!(array.data_type(), &arrow_type(&schema));
        }
    }

    #[test]
    fn containers_round_trip_with_metadata_from_the_mapping() {
        let point = Schema::structure([
            ("x".to_string(), s(SchemaKind::Int32).into_ref()),
            (
                "tag".to_string(),
                s(SchemaKind::String).optional().into_ref(),
            ),
        ])
        .with_name("Point")
        .into_ref();
        let schema = Schema::structure([
            (
                "points".to_string(),
                s(SchemaKind::Array(point.clone())).into_ref(),
            ),
            (
                "prices".to_string(),
                s(SchemaKind::Map(
                    s(SchemaKind::String).into_ref(),
                    Schema::decimal(1).optional().into_ref(),
                ))
                .optional()
                .into_ref(),
            ),
            (
                "when".to_string(),
                Schema::timestamp().optional().into_ref(),
            ),
        ])
        .into_ref();
        let p = |x, tag: Option<&str>| {
            Value::Struct(Struct {
                schema: point.clone(),
                values: vec![Value::Int32(x), tag.map_or(Value::Null, string)],
            })
        };
        let row = |points, prices| {
            Value::Struct(Struct {
                schema: schema.clone(),
                values: vec![Value::Array(points), prices, Value::Date(5)],
            })
        };
        let dec = |u| {
            Value::Decimal(Decimal {
                unscaled: u,
                scale: 1,
            })
        };
        let values = vec![
            row(
                vec![p(1, Some("a")), p(2, None)],
                Value::Map(vec![(string("k"), dec(15)), (string("n"), Value::Null)]),
            ),
            Value::Null,
            row(vec![], Value::Null),
        ];
        let array = round_trip(Some(&schema), &values);
        assert_eq!(array.data_type(), &arrow_type(&schema));
    }

    #[test]
    fn values_that_do_not_fit_name_the_field_path() {
        let inner =
            Schema::structure([("zip".to_string(), s(SchemaKind::Int32).into_ref())]).into_ref();
        let schema = Schema::structure([(
            "addr".to_string(),
            s(SchemaKind::Array(inner.clone())).into_ref(),
        )])
        .into_ref();
        let bad = Value::Struct(Struct {
            schema: schema.clone(),
            values: vec![Value::Array(vec![
                Value::Struct(Struct {
                    schema: inner.clone(),
                    values: vec![Value::Int32(1)],
                }),
                Value::Struct(Struct {
                    schema: inner.clone(),
                    values: vec![string("x")],
                }),
            ])],
        });
        let error = values_to_array(Some(&schema), &[bad]).unwrap_err();
        assert_eq!(error.path.as_deref(), Some("addr[1].zip"));
        assert_eq!(
            error.message,
            "Invalid Java object for schema with type INT32: class java.lang.String"
        );

        let missing = Value::Struct(Struct {
            schema: inner.clone(),
            values: vec![Value::Null],
        });
        let error = values_to_array(Some(&inner), &[missing]).unwrap_err();
        assert_eq!(error.path.as_deref(), Some("zip"));
        assert_eq!(
            error.message,
            "Invalid value: null used for required field: \"zip\", schema type: INT32"
        );

        let other_schema =
            Schema::structure([("zip".to_string(), s(SchemaKind::Int64).into_ref())]).into_ref();
        let foreign = Value::Struct(Struct {
            schema: other_schema,
            values: vec![Value::Int64(1)],
        });
        let error = values_to_array(Some(&inner), &[foreign]).unwrap_err();
        assert_eq!(error.message, "Struct schemas do not match.");
    }

    #[test]
    fn logical_values_are_checked_like_kafka() {
        let date = Schema::date().into_ref();
        let error = values_to_array(Some(&date), &[Value::Date(1)]).unwrap_err();
        assert_eq!(
            error.message,
            "Kafka Connect Date type should not have any time fields set to non-zero values."
        );
        let time = Schema::time().into_ref();
        let error = values_to_array(Some(&time), &[Value::Date(MS_PER_DAY)]).unwrap_err();
        assert_eq!(
            error.message,
            "Kafka Connect Time type should not have any date fields set to non-zero values."
        );
        let decimal = Schema::decimal(2).into_ref();
        let huge = Value::Decimal(Decimal {
            unscaled: i128::MAX,
            scale: 2,
        });
        assert!(values_to_array(Some(&decimal), &[huge]).is_err());
        let int = s(SchemaKind::Int32).with_name("n").into_ref();
        let error = values_to_array(Some(&int), &[Value::Int64(1)]).unwrap_err();
        assert_eq!(
            error.message,
            "Invalid Java object for schema \"n\" with type INT32: class java.lang.Long"
        );
    }

    #[test]
    fn decimal_scales_beyond_the_precision_round_trip() {
        let decimal = Schema::decimal(50).into_ref();
        let schema = s(SchemaKind::Map(s(SchemaKind::String).into_ref(), decimal)).into_ref();
        let tiny = Value::Decimal(Decimal {
            unscaled: 7,
            scale: 50,
        });
        round_trip(Some(&schema), &[Value::Map(vec![(string("k"), tiny)])]);
    }

    #[test]
    fn decimals_of_another_scale_keep_it_in_an_own_scale_column() {
        let d = |unscaled, scale| Value::Decimal(Decimal { unscaled, scale });
        let decimal = Schema::decimal(3).optional().into_ref();
        let array = round_trip(Some(&decimal), &[d(1500, 3), Value::Null, d(-15, 1)]);
        assert!(is_own_scale(array.data_type()));
        let plain = round_trip(Some(&decimal), &[d(1500, 3), Value::Null]);
        assert_eq!(plain.data_type(), &arrow_type(&decimal));
        // Nested: the parent struct, list and map take the own-scale child type.
        let row = Schema::structure([
            ("p".to_string(), decimal.clone()),
            (
                "l".to_string(),
                s(SchemaKind::Array(decimal.clone())).optional().into_ref(),
            ),
            (
                "m".to_string(),
                s(SchemaKind::Map(
                    s(SchemaKind::String).into_ref(),
                    decimal.clone(),
                ))
                .optional()
                .into_ref(),
            ),
        ])
        .into_ref();
        let value = Value::Struct(Struct {
            schema: row.clone(),
            values: vec![
                d(5, 0),
                Value::Array(vec![d(1, 3), d(12, 1)]),
                Value::Map(vec![(string("k"), d(123_456, 4))]),
            ],
        });
        let array = round_trip(Some(&row), &[value, Value::Null]);
        assert!(crate::decimal_column::holds_planned_type(
            &arrow_type(&row),
            array.data_type()
        ));
        assert_ne!(array.data_type(), &arrow_type(&row));
    }

    #[test]
    fn null_rows_are_allowed_at_the_top_but_not_in_required_children() {
        let required = s(SchemaKind::Int32).into_ref();
        round_trip(Some(&required), &[Value::Null, Value::Int32(3)]);
        let list = s(SchemaKind::Array(required.clone())).into_ref();
        let error = values_to_array(
            Some(&list),
            &[Value::Array(vec![Value::Int32(1), Value::Null])],
        )
        .unwrap_err();
        assert_eq!(error.path.as_deref(), Some("[1]"));
        let map_schema = s(SchemaKind::Map(required.clone(), required.clone())).into_ref();
        let error = values_to_array(
            Some(&map_schema),
            &[Value::Map(vec![(Value::Int32(4), Value::Null)])],
        )
        .unwrap_err();
        assert_eq!(error.path.as_deref(), Some("[4]"));
        // A required struct inside a null parent row holds a masked placeholder.
        let inner = Schema::structure([("a".to_string(), required.clone())]).into_ref();
        let outer = Schema::structure([("in".to_string(), inner.clone())])
            .optional()
            .into_ref();
        let holder = Schema::structure([("o".to_string(), outer.clone())]).into_ref();
        let row = Value::Struct(Struct {
            schema: holder.clone(),
            values: vec![Value::Null],
        });
        round_trip(Some(&holder), &[row]);
    }

    #[test]
    fn schemaless_maps_become_structs_and_null_children_stay_present() {
        let values = vec![
            map(&[
                ("id", Value::Int64(1)),
                ("name", string("a")),
                ("score", Value::Float64(0.5)),
            ]),
            map(&[
                ("id", Value::Int64(2)),
                ("name", Value::Null),
                ("score", Value::Float64(1.0)),
            ]),
            Value::Null,
        ];
        let array = round_trip(None, &values);
        let DataType::Struct(fields) = array.data_type() else {
            panic!("not a struct: {:?}", array.data_type())
        };
        let names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["id", "name", "score"]);
        assert_eq!(fields[1].data_type(), &DataType::Utf8View);
        assert!(!is_raw(&fields[0]));
    }

    #[test]
    fn schemaless_key_order_follows_the_first_map() {
        let values = vec![
            map(&[("a", Value::Int64(1)), ("b", Value::Boolean(true))]),
            map(&[("b", Value::Boolean(false)), ("a", Value::Int64(2))]),
        ];
        let array = values_to_array(None, &values).unwrap();
        assert_eq!(
            value_at(None, array.as_ref(), 1),
            map(&[("a", Value::Int64(2)), ("b", Value::Boolean(false))])
        );
    }

    #[test]
    fn schemaless_conflicts_keep_raw_json() {
        let values = vec![
            map(&[
                ("v", Value::Int64(1)),
                ("o", map(&[("x", Value::Int64(1))])),
            ]),
            map(&[("v", string("one")), ("o", map(&[("y", Value::Null)]))]),
            map(&[
                ("v", Value::Array(vec![Value::Float64(1.0), Value::Null])),
                ("o", Value::Null),
            ]),
            map(&[
                ("v", map(&[("deep", Value::Boolean(true))])),
                ("o", map(&[])),
            ]),
        ];
        let array = round_trip(None, &values);
        let DataType::Struct(fields) = array.data_type() else {
            panic!("not a struct")
        };
        assert!(is_raw(&fields[0]) && is_raw(&fields[1]));
        let texts = array.as_struct().column(0).as_string_view().clone();
        assert_eq!(texts.value(0), "1");
        assert_eq!(texts.value(1), "\"one\"");
        assert_eq!(texts.value(2), "[1.0,null]");
        assert_eq!(texts.value(3), "{\"deep\":true}");
    }

    #[test]
    fn schemaless_lists_with_mixed_elements_keep_raw_items() {
        let values = vec![
            Value::Array(vec![Value::Int64(1), string("a")]),
            Value::Array(vec![]),
        ];
        let array = round_trip(None, &values);
        let DataType::List(item) = array.data_type() else {
            panic!("not a list")
        };
        assert!(is_raw(item));
    }

    #[test]
    fn schemaless_non_string_keys_make_arrow_maps() {
        let values = vec![
            Value::Map(vec![
                (Value::Int32(1), string("a")),
                (Value::Int32(2), Value::Null),
            ]),
            Value::Map(vec![
                (string("dup"), Value::Int32(1)),
                (string("dup"), Value::Int32(2)),
            ]),
        ];
        // Keys Int32 and String disagree and JSON cannot hold Int32 exactly.
        assert!(values_to_array(None, &values).is_err());
        round_trip(None, &values[..1]);
        round_trip(None, &values[1..]);
    }

    #[test]
    fn schemaless_leaves_and_nulls() {
        round_trip(None, &[Value::Int64(1), Value::Null, Value::Int64(-3)]);
        round_trip(None, &[Value::Bytes(vec![1, 2]), Value::Null]);
        round_trip(None, &[Value::Date(12), Value::Null]);
        round_trip(None, &[Value::Int32(1), Value::Float32(2.5)][..1]);
        round_trip(
            None,
            &[Value::Decimal(Decimal {
                unscaled: 5,
                scale: 1,
            })],
        );
        let nulls = round_trip(None, &[Value::Null, Value::Null]);
        assert_eq!(nulls.data_type(), &DataType::Null);
        assert_eq!(round_trip(None, &[]).len(), 0);
    }

    #[test]
    fn schemaless_values_json_cannot_hold_are_errors() {
        let top = values_to_array(None, &[Value::Int64(1), string("x")]).unwrap_err();
        assert!(
            top.message.contains("java.lang.Long, java.lang.String"),
            "{}",
            top.message
        );
        let nested = [map(&[("v", Value::Int32(1))]), map(&[("v", string("x"))])];
        let error = values_to_array(None, &nested).unwrap_err();
        assert_eq!(error.path.as_deref(), Some("v"));
        let nan = [
            map(&[("v", Value::Float64(f64::NAN))]),
            map(&[("v", Value::Int64(1))]),
        ];
        assert!(values_to_array(None, &nan).is_err());
    }

    #[test]
    fn raw_json_numbers_read_like_jackson() {
        assert_eq!(parse_raw_json("12"), Value::Int64(12));
        assert_eq!(parse_raw_json("-12"), Value::Int64(-12));
        assert_eq!(parse_raw_json("12.0"), Value::Float64(12.0));
        assert_eq!(parse_raw_json("1E2"), Value::Float64(100.0));
        // BigInteger.longValue(): the low 64 bits.
        assert_eq!(parse_raw_json("18446744073709551617"), Value::Int64(1));
        assert_eq!(
            parse_raw_json("{\"a\":[null]}"),
            map(&[("a", Value::Array(vec![Value::Null]))])
        );
        assert_eq!(parse_raw_json("not json"), string("not json"));
    }

    #[test]
    fn reading_is_total() {
        let array: ArrayRef = Arc::new(NullArray::new(2));
        assert_eq!(value_at(None, array.as_ref(), 1), Value::Null);
        let ints: ArrayRef = Arc::new(PrimitiveArray::<Int32Type>::from(vec![1]));
        assert_eq!(value_at(None, ints.as_ref(), 5), Value::Null);
        let unsupported: ArrayRef =
            Arc::new(PrimitiveArray::<arrow_array::types::UInt8Type>::from(vec![
                1,
            ]));
        assert_eq!(value_at(None, unsupported.as_ref(), 0), Value::Null);
        let utf8: ArrayRef = Arc::new(arrow_array::StringArray::from(vec!["x"]));
        assert_eq!(value_at(None, utf8.as_ref(), 0), string("x"));
        let binary: ArrayRef = Arc::new(arrow_array::BinaryArray::from(vec![&b"y"[..]]));
        assert_eq!(
            value_at(None, binary.as_ref(), 0),
            Value::Bytes(b"y".to_vec())
        );
    }

    // ---- proptest: schemas up to depth 3 and values that fit them ----

    fn leaf_schema() -> impl Strategy<Value = Schema> {
        prop_oneof![
            Just(s(SchemaKind::Int8)),
            Just(s(SchemaKind::Int16)),
            Just(s(SchemaKind::Int32)),
            Just(s(SchemaKind::Int64)),
            Just(s(SchemaKind::Float32)),
            Just(s(SchemaKind::Float64)),
            Just(s(SchemaKind::Boolean)),
            Just(s(SchemaKind::String)),
            Just(s(SchemaKind::Bytes)),
            (-3i32..6).prop_map(Schema::decimal),
            Just(Schema::date()),
            Just(Schema::time()),
            Just(Schema::timestamp()),
        ]
    }

    fn with_optional(schema: impl Strategy<Value = Schema>) -> impl Strategy<Value = SchemaRef> {
        (schema, any::<bool>())
            .prop_map(|(s, optional)| if optional { s.optional() } else { s }.into_ref())
    }

    /// Connect schemas of every kind, optional or not, nested (for other modules' proptests).
    pub(crate) fn schema_strategy() -> impl Strategy<Value = SchemaRef> {
        with_optional(leaf_schema()).prop_recursive(3, 32, 4, |inner| {
            with_optional(prop_oneof![
                inner.clone().prop_map(|items| s(SchemaKind::Array(items))),
                (inner.clone(), inner.clone()).prop_map(|(k, v)| s(SchemaKind::Map(k, v))),
                prop::collection::vec(inner, 0..4).prop_map(|fields| {
                    Schema::structure(
                        fields
                            .into_iter()
                            .enumerate()
                            .map(|(i, f)| (format!("f{i}"), f)),
                    )
                }),
            ])
        })
    }

    /// A value of `schema`; null only where it is optional and `nullable`.
    pub(crate) fn value_strategy(schema: SchemaRef, nullable: bool) -> BoxedStrategy<Value> {
        let present = present_value(schema.clone());
        if nullable && schema.optional {
            prop_oneof![1 => Just(Value::Null), 4 => present].boxed()
        } else {
            present
        }
    }

    fn present_value(schema: SchemaRef) -> BoxedStrategy<Value> {
        if let Some(logical) = schema.logical_type() {
            return match logical {
                // Mostly the schema's scale; sometimes another (a BigDecimal keeps its own),
                // which makes an own-scale column.
                crate::schema::LogicalType::Decimal { scale } => (
                    -(10i128.pow(18))..10i128.pow(18),
                    prop_oneof![4 => Just(scale), 1 => -2i32..6],
                )
                    .prop_map(|(unscaled, scale)| Value::Decimal(Decimal { unscaled, scale }))
                    .boxed(),
                crate::schema::LogicalType::Date => (-100_000i64..100_000)
                    .prop_map(|d| Value::Date(d * MS_PER_DAY))
                    .boxed(),
                crate::schema::LogicalType::Time => (0..MS_PER_DAY).prop_map(Value::Date).boxed(),
                crate::schema::LogicalType::Timestamp => any::<i64>().prop_map(Value::Date).boxed(),
            };
        }
        match &schema.kind {
            SchemaKind::Int8 => any::<i8>().prop_map(Value::Int8).boxed(),
            SchemaKind::Int16 => any::<i16>().prop_map(Value::Int16).boxed(),
            SchemaKind::Int32 => any::<i32>().prop_map(Value::Int32).boxed(),
            SchemaKind::Int64 => any::<i64>().prop_map(Value::Int64).boxed(),
            SchemaKind::Float32 => (-1e6f32..1e6).prop_map(Value::Float32).boxed(),
            SchemaKind::Float64 => (-1e12f64..1e12).prop_map(Value::Float64).boxed(),
            SchemaKind::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
            SchemaKind::String => ".{0,20}".prop_map(Value::String).boxed(),
            SchemaKind::Bytes => prop::collection::vec(any::<u8>(), 0..20)
                .prop_map(Value::Bytes)
                .boxed(),
            SchemaKind::Array(items) => {
                prop::collection::vec(value_strategy(items.clone(), true), 0..4)
                    .prop_map(Value::Array)
                    .boxed()
            }
            SchemaKind::Map(k, v) => prop::collection::vec(
                (
                    value_strategy(k.clone(), false),
                    value_strategy(v.clone(), true),
                ),
                0..4,
            )
            .prop_map(Value::Map)
            .boxed(),
            SchemaKind::Struct(fields) => {
                let children: Vec<_> = fields
                    .iter()
                    .map(|f| value_strategy(f.schema.clone(), true))
                    .collect();
                children
                    .prop_map(move |values| {
                        Value::Struct(Struct {
                            schema: schema.clone(),
                            values,
                        })
                    })
                    .boxed()
            }
        }
    }

    fn schema_and_values() -> impl Strategy<Value = (SchemaRef, Vec<Value>)> {
        schema_strategy().prop_flat_map(|schema| {
            let values = prop::collection::vec(value_strategy(schema.clone(), true), 0..6);
            (Just(schema), values)
        })
    }

    /// JSON-like schemaless values (what a schemaless JsonConverter yields), keys distinct.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::Int64),
            (-1e9f64..1e9).prop_map(Value::Float64),
            any::<bool>().prop_map(Value::Boolean),
            "[a-c\"]{0,3}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::btree_map("[a-c]", inner, 0..3).prop_map(|m| {
                    Value::Map(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect())
                }),
            ]
        })
    }

    /// Maps sorted by key, recursively: schemaless key order is not significant.
    fn sorted(value: Value) -> Value {
        match value {
            Value::Map(entries) => {
                let mut entries: Vec<_> =
                    entries.into_iter().map(|(k, v)| (k, sorted(v))).collect();
                entries.sort_by_key(|(k, _)| k.to_string());
                Value::Map(entries)
            }
            Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
            other => other,
        }
    }

    proptest! {
        #[test]
        fn schema_values_round_trip((schema, values) in schema_and_values()) {
            let array = values_to_array(Some(&schema), &values).expect("values fit their schema");
            prop_assert!(crate::decimal_column::holds_planned_type(
                &arrow_type(&schema),
                array.data_type()
            ));
            for (row, value) in values.iter().enumerate() {
                prop_assert_eq!(&value_at(Some(&schema), array.as_ref(), row), value);
            }
        }

        #[test]
        fn schemaless_json_values_round_trip(values in prop::collection::vec(json_value(), 0..6)) {
            let rows: Vec<Value> = values.into_iter().map(|v| map(&[("v", v)])).collect();
            let array = values_to_array(None, &rows).expect("JSON values always fit");
            for (row, value) in rows.iter().enumerate() {
                let back = value_at(None, array.as_ref(), row);
                prop_assert_eq!(sorted(back), sorted(value.clone()));
            }
        }
    }
}
