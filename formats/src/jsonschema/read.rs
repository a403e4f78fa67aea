//! A JSON payload → a Connect value under the Connect schema JsonSchemaData built
//! (`JsonSchemaData.toConnectData`), with Jackson's lenient accessors: without validation a value
//! of the wrong JSON type is coerced as Java does (`intValue()` of a string is 0, `textValue()` of
//! a number is null, `(byte) 300` is 44), an absent property is null (the struct keeps the null),
//! an explicit null in a required field fails, unions pick the first member whose type fits (else
//! the struct member sharing the most property names).
//!
//! Cost: one walk of the payload tree, copying its strings.

use serde_json::Value as Json;

use super::is_union;
use super::non_numeric::special_double;
use crate::error::ConnectError;
use crate::java_hash_order::hash_map_order;
use crate::json::reference::{
    i128_from_be_bytes, int_node, integral_long, jackson_base64_decode, node_type, NumberNode,
};
use crate::schema::{
    Schema, SchemaKind, SchemaRef, DATE_LOGICAL_NAME, DECIMAL_LOGICAL_NAME,
    DECIMAL_SCALE_PARAMETER, TIMESTAMP_LOGICAL_NAME, TIME_LOGICAL_NAME,
};
use crate::value::{Decimal, Struct, Value};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// What Jackson hands JsonSchemaData for one place of the payload.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// Java `null`: a property the object does not have.
    Absent,
    /// `MissingNode`: the payload was empty.
    Missing,
    /// A JSON node.
    Node(&'a Json),
}

impl Input<'_> {
    fn is_null(&self) -> bool {
        matches!(self, Input::Absent | Input::Node(Json::Null))
    }

    fn type_name(&self) -> &'static str {
        match self {
            Input::Absent => "NULL",
            Input::Missing => "MISSING",
            Input::Node(n) => node_type(n),
        }
    }

    fn number(&self) -> Option<NumberNode<'_>> {
        match self {
            Input::Node(Json::Number(n)) if special_double(n.as_str()).is_none() => {
                Some(NumberNode::of(n))
            }
            _ => None,
        }
    }

    /// A `NaN`/`Infinity` token (a Jackson DoubleNode), if this is one.
    fn special(&self) -> Option<f64> {
        match self {
            Input::Node(Json::Number(n)) => special_double(n.as_str()),
            _ => None,
        }
    }

    fn is_number(&self) -> bool {
        self.number().is_some() || self.special().is_some()
    }

    /// `longValue()`: Java's `(long)` of a double for the non-numeric tokens.
    fn long_value(&self) -> i64 {
        match self.special() {
            Some(d) => d as i64,
            None => self.number().map_or(0, |n| n.long_value()),
        }
    }

    /// `intValue()`: Java's `(int)` of a double for the non-numeric tokens.
    fn int_value(&self) -> i32 {
        match self.special() {
            Some(d) => d as i32,
            None => self.long_value() as i32,
        }
    }

    fn double_value(&self) -> f64 {
        self.special()
            .or_else(|| self.number().map(|n| n.double_value()))
            .unwrap_or(0.0)
    }
}

/// `toConnectData(schema, value)`: the Connect value of `input` under `schema`.
pub fn to_connect(schema: &SchemaRef, input: Input<'_>) -> Result<Value, ConnectError> {
    if input.is_null() {
        if let Some(default) = schema.default.as_ref().filter(|d| !d.is_null()) {
            return Ok(default.clone());
        }
        if matches!(input, Input::Absent) || schema.optional {
            return Ok(Value::Null);
        }
        return Err(ConnectError::data(format!(
            "Invalid null value for required {} field",
            schema.type_name()
        )));
    }
    match schema.name.as_deref() {
        Some(DECIMAL_LOGICAL_NAME) => return decimal(schema, input),
        Some(DATE_LOGICAL_NAME) => {
            let days =
                int_node_of(&input).ok_or_else(|| logical_error("Date", "integer", &input))?;
            return Ok(Value::Date(i64::from(days) * MILLIS_PER_DAY));
        }
        Some(TIME_LOGICAL_NAME) => {
            let ms = int_node_of(&input).ok_or_else(|| logical_error("Time", "integer", &input))?;
            return Ok(Value::Date(i64::from(ms)));
        }
        Some(TIMESTAMP_LOGICAL_NAME) => {
            let ms = match input {
                Input::Node(n) => integral_long(n),
                _ => None,
            }
            .ok_or_else(|| logical_error("Timestamp", "integral", &input))?;
            return Ok(Value::Date(ms));
        }
        _ => {}
    }
    Ok(match &schema.kind {
        SchemaKind::Boolean => Value::Boolean(matches!(input, Input::Node(Json::Bool(true)))),
        SchemaKind::Int8 => Value::Int8(input.int_value() as i16 as i8),
        SchemaKind::Int16 => Value::Int16(input.int_value() as i16),
        SchemaKind::Int32 => Value::Int32(input.int_value()),
        SchemaKind::Int64 => Value::Int64(input.long_value()),
        SchemaKind::Float32 => Value::Float32(match input.special() {
            Some(d) => d as f32,
            None => input.number().map_or(0.0, |n| n.float_value()),
        }),
        SchemaKind::Float64 => Value::Float64(input.double_value()),
        SchemaKind::String => match input {
            Input::Node(Json::String(s)) => Value::String(s.clone()),
            _ => Value::Null,
        },
        SchemaKind::Bytes => match input {
            Input::Node(Json::String(s)) => Value::Bytes(
                jackson_base64_decode(s)
                    .ok_or_else(|| ConnectError::data("Invalid bytes field"))?,
            ),
            _ => {
                return Err(ConnectError::data(format!(
                "Invalid Java object for schema type BYTES: class java.math.BigDecimal (a JSON {})",
                input.type_name()
            )))
            }
        },
        SchemaKind::Array(items) => {
            let elements: Vec<&Json> = match input {
                Input::Node(Json::Array(a)) => a.iter().collect(),
                Input::Node(Json::Object(o)) => o.values().collect(),
                _ => Vec::new(),
            };
            let mut out = Vec::with_capacity(elements.len());
            for (i, e) in elements.into_iter().enumerate() {
                out.push(
                    to_connect(items, Input::Node(e)).map_err(|err| err.at(&format!("[{i}]")))?,
                );
            }
            Value::Array(out)
        }
        SchemaKind::Map(key, value) => map(key, value, input)?,
        SchemaKind::Struct(_) if is_union(schema) => union(schema, input)?,
        SchemaKind::Struct(fields) => {
            let Input::Node(Json::Object(object)) = input else {
                return Err(ConnectError::data(format!(
                    "Structs should be encoded as JSON objects, but found {}",
                    input.type_name()
                )));
            };
            let mut values = Vec::with_capacity(fields.len());
            for field in fields {
                let child = object.get(&field.name).map_or(Input::Absent, Input::Node);
                let value = to_connect(&field.schema, child).map_err(|e| e.at(&field.name))?;
                if !value.is_null() {
                    validate_put(&field.schema, &value, &field.name)?;
                }
                values.push(value);
            }
            Value::Struct(Struct {
                schema: schema.clone(),
                values,
            })
        }
    })
}

fn int_node_of(input: &Input<'_>) -> Option<i32> {
    match input {
        Input::Node(n) => int_node(n),
        _ => None,
    }
}

fn logical_error(name: &str, expected: &str, input: &Input<'_>) -> ConnectError {
    ConnectError::data(format!(
        "Invalid type for {name}, underlying representation should be {expected} but was {}",
        input.type_name()
    ))
}

/// A Decimal: a JSON number is the BigDecimal of its literal, text is base64 of the unscaled
/// two's-complement bytes at the schema's scale.
fn decimal(schema: &Schema, input: Input<'_>) -> Result<Value, ConnectError> {
    if let Some(n) = input.number() {
        return Ok(Value::Decimal(n.decimal_value()?));
    }
    if let Input::Node(Json::String(text)) = input {
        let scale = schema
            .parameter(DECIMAL_SCALE_PARAMETER)
            .and_then(|s| s.parse::<i32>().ok())
            .ok_or_else(|| {
                ConnectError::data("Invalid Decimal schema: scale parameter not found.")
            })?;
        let unscaled = jackson_base64_decode(text)
            .and_then(|b| i128_from_be_bytes(&b))
            .ok_or_else(|| ConnectError::data("Invalid bytes for Decimal field"))?;
        return Ok(Value::Decimal(Decimal { unscaled, scale }));
    }
    Err(ConnectError::data(format!(
        "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
        input.type_name()
    )))
}

/// A map: string keys from a JSON object (iterated as the Java `HashMap` it lands in), other
/// keys from an array of `{key, value}` objects.
fn map(key: &SchemaRef, value: &SchemaRef, input: Input<'_>) -> Result<Value, ConnectError> {
    if matches!(key.kind, SchemaKind::String) && !key.optional {
        let Input::Node(Json::Object(object)) = input else {
            return Err(ConnectError::data(format!(
                "Maps with string fields should be encoded as JSON objects, but found {}",
                input.type_name()
            )));
        };
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        let entries: Vec<(&String, &Json)> = object.iter().collect();
        let mut out = Vec::with_capacity(entries.len());
        for i in hash_map_order(&keys) {
            let (k, v) = entries[i];
            out.push((
                Value::String(k.clone()),
                to_connect(value, Input::Node(v)).map_err(|e| e.at(k))?,
            ));
        }
        return Ok(Value::Map(out));
    }
    let Input::Node(Json::Array(items)) = input else {
        return Err(ConnectError::data(format!(
            "Maps with non-string fields should be encoded as JSON array of objects, but found {}",
            input.type_name()
        )));
    };
    let mut out: Vec<(Value, Value)> = Vec::with_capacity(items.len());
    for item in items {
        let Json::Object(entry) = item else {
            return Err(ConnectError::data(format!(
                "Found invalid map entry instead of object: {}",
                node_type(item)
            )));
        };
        if entry.len() != 2 {
            return Err(ConnectError::data(format!(
                "Found invalid map entry, expected length 2 but found :{}",
                entry.len()
            )));
        }
        let child = |name: &str| entry.get(name).map_or(Input::Absent, Input::Node);
        let k = to_connect(key, child("key"))?;
        let v = to_connect(value, child("value"))?;
        match out.iter_mut().find(|(existing, _)| *existing == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    Ok(Value::Map(out))
}

/// A union struct: the first member whose type takes the value, else the struct member sharing
/// the most property names with it.
fn union(schema: &SchemaRef, input: Input<'_>) -> Result<Value, ConnectError> {
    let fields = schema.fields();
    let mut best: Option<(usize, usize)> = None;
    for (i, field) in fields.iter().enumerate() {
        if fits_simple(&field.schema, &input) {
            return union_value(schema, i, input);
        }
        let score = match input {
            Input::Node(n) => struct_match(&field.schema, n),
            _ => 0,
        };
        if score > best.map_or(0, |(_, s)| s) {
            best = Some((i, score));
        }
    }
    match best {
        Some((i, _)) => union_value(schema, i, input),
        None => Err(ConnectError::data(
            "Did not find matching oneof field for data",
        )),
    }
}

fn union_value(schema: &SchemaRef, index: usize, input: Input<'_>) -> Result<Value, ConnectError> {
    let fields = schema.fields();
    let mut values = vec![Value::Null; fields.len()];
    let field = &fields[index];
    let value = to_connect(&field.schema, input).map_err(|e| e.at(&field.name))?;
    if !value.is_null() {
        validate_put(&field.schema, &value, &field.name)?;
    }
    values[index] = value;
    Ok(Value::Struct(Struct {
        schema: schema.clone(),
        values,
    }))
}

/// `Struct.put`'s check of a value put into a field (`ConnectSchema.validateValue`): structs
/// inside it, at any depth, must have every required field set. So an absent required property
/// stays null only in the struct being built, and fails once that struct is put into another.
fn validate_put(schema: &Schema, value: &Value, field: &str) -> Result<(), ConnectError> {
    match (&schema.kind, value) {
        (_, Value::Null) if !schema.optional => Err(ConnectError::data(format!(
            "Invalid value: null used for required field: \"{field}\", schema type: {}",
            schema.type_name()
        ))),
        (SchemaKind::Struct(fields), Value::Struct(s)) => {
            for (f, v) in fields.iter().zip(&s.values) {
                validate_put(&f.schema, v, &f.name)?;
            }
            Ok(())
        }
        (SchemaKind::Array(items), Value::Array(values)) => {
            for v in values {
                validate_put(items, v, "null")?;
            }
            Ok(())
        }
        (SchemaKind::Map(k, v), Value::Map(entries)) => {
            for (key, value) in entries {
                validate_put(k, key, "null")?;
                validate_put(v, value, "null")?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `isInstanceOfSchemaTypeForSimpleSchema`.
fn fits_simple(schema: &Schema, input: &Input<'_>) -> bool {
    let Input::Node(node) = input else {
        return false;
    };
    let number = input.number();
    match &schema.kind {
        SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32 | SchemaKind::Int64 => {
            number.is_some_and(|n| !matches!(n, NumberNode::Decimal(_)))
        }
        SchemaKind::Float32 | SchemaKind::Float64 => input.is_number(),
        SchemaKind::Boolean => node.is_boolean(),
        SchemaKind::String => node.is_string(),
        SchemaKind::Bytes => matches!(number, Some(NumberNode::Decimal(_))),
        SchemaKind::Array(_) => node.is_array(),
        SchemaKind::Map(_, _) => node.is_object() || node.is_array(),
        SchemaKind::Struct(_) => false,
    }
}

/// `matchStructSchema`: how many property names (recursively) a struct schema shares with an
/// object.
fn struct_match(schema: &Schema, node: &Json) -> usize {
    let (SchemaKind::Struct(fields), Json::Object(object)) = (&schema.kind, node) else {
        return 0;
    };
    fields
        .iter()
        .filter_map(|f| {
            object
                .get(&f.name)
                .map(|child| 1 + struct_match(&f.schema, child))
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(schema: Schema, json: Json) -> Result<Value, ConnectError> {
        to_connect(&schema.into_ref(), Input::Node(&json))
    }

    #[test]
    fn wrong_types_coerce_as_jackson() {
        assert_eq!(
            read(Schema::new(SchemaKind::Int64), json!("12")),
            Ok(Value::Int64(0))
        );
        assert_eq!(
            read(Schema::new(SchemaKind::Int8), json!(300)),
            Ok(Value::Int8(44))
        );
        assert_eq!(
            read(Schema::new(SchemaKind::Int64), json!(1.9)),
            Ok(Value::Int64(1))
        );
        assert_eq!(
            read(Schema::new(SchemaKind::String), json!(5)),
            Ok(Value::Null)
        );
        assert_eq!(
            read(Schema::new(SchemaKind::Float32), json!(3.4e39)),
            Ok(Value::Float32(f32::INFINITY))
        );
    }

    #[test]
    fn null_in_a_required_field_fails() {
        let err = read(Schema::new(SchemaKind::String), Json::Null).unwrap_err();
        assert_eq!(err.message, "Invalid null value for required STRING field");
    }
}
