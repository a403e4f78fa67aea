//! Connect value → JSON payload as Confluent's `JsonSchemaData.fromConnectData` builds it and
//! Jackson prints it (the JsonConverter's node tree and number/escape rules are reused): a null
//! takes the schema default (unless `ignore.default.for.nullables`), an optional null is JSON
//! `null`, a required null with no default is left out of its object; Decimals are base64 of the
//! unscaled bytes or (`decimal.format=NUMERIC`) the BigDecimal; Date/Time/Timestamp integers;
//! string-keyed maps objects, other maps `[{key, value}]`; a union struct its first non-null
//! member. Cost: one walk of the value.

use super::config::JsonSchemaDataConfig;
use super::is_union;
use crate::decimal_column::big_integer_bytes;
use crate::decimal_column::check_schema_scale;
use crate::error::ConnectError;
use crate::json::reference::{write_json_string, DecimalFormat, Node};
use crate::schema::{
    Schema, SchemaKind, DATE_LOGICAL_NAME, DECIMAL_LOGICAL_NAME, DECIMAL_SCALE_PARAMETER,
    TIMESTAMP_LOGICAL_NAME, TIME_LOGICAL_NAME,
};
use crate::value::Value;

const MILLIS_PER_DAY: i64 = 86_400_000;

fn wrong(schema: &Schema, value: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Invalid type for {}: {}",
        schema.type_name(),
        value.java_class()
    ))
}

/// `fromConnectData(schema, value)`: the JSON node, or `None` where Java returns null (a
/// required null without default: the property is left out).
pub(crate) fn from_connect_data(
    schema: &Schema,
    value: &Value,
    config: &JsonSchemaDataConfig,
) -> Result<Option<Node>, ConnectError> {
    if value.is_null() {
        if let Some(default) = schema.default.as_ref().filter(|d| !d.is_null()) {
            if !config.ignore_default_for_nullables {
                return from_connect_data(schema, default, config);
            }
        }
        return Ok(schema.optional.then_some(Node::Null));
    }
    match (schema.name.as_deref(), value) {
        (Some(DECIMAL_LOGICAL_NAME), Value::Decimal(d)) => {
            return Ok(Some(match config.decimal_format {
                DecimalFormat::Numeric => Node::Decimal(*d),
                DecimalFormat::Base64 => {
                    let scale = schema
                        .parameter(DECIMAL_SCALE_PARAMETER)
                        .and_then(|s| s.parse::<i32>().ok())
                        .ok_or_else(|| {
                            ConnectError::data("Invalid Decimal schema: scale parameter not found.")
                        })?;
                    check_schema_scale(*d, scale)?;
                    Node::Binary(big_integer_bytes(d.unscaled).to_vec())
                }
            }))
        }
        (Some(DATE_LOGICAL_NAME), Value::Date(ms)) => {
            return Ok(Some(Node::Int(ms.div_euclid(MILLIS_PER_DAY))))
        }
        (Some(TIME_LOGICAL_NAME | TIMESTAMP_LOGICAL_NAME), Value::Date(ms)) => {
            return Ok(Some(Node::Int(*ms)))
        }
        _ => {}
    }
    let node = match (&schema.kind, value) {
        (SchemaKind::Int8, Value::Int8(v)) => Node::Int(i64::from(*v)),
        (SchemaKind::Int16, Value::Int16(v)) => Node::Int(i64::from(*v)),
        (SchemaKind::Int32, Value::Int32(v)) => Node::Int(i64::from(*v)),
        (SchemaKind::Int64, Value::Int64(v)) => Node::Int(*v),
        (SchemaKind::Float32, Value::Float32(v)) => Node::Float(*v),
        (SchemaKind::Float64, Value::Float64(v)) => Node::Double(*v),
        (SchemaKind::Boolean, Value::Boolean(v)) => Node::Bool(*v),
        (SchemaKind::String, Value::String(v)) => Node::Text(v.clone()),
        (SchemaKind::Bytes, Value::Bytes(v)) => Node::Binary(v.clone()),
        (SchemaKind::Bytes, Value::Decimal(d)) => Node::Decimal(*d),
        (SchemaKind::Array(items), Value::Array(values)) => {
            let mut out = Vec::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                let node =
                    from_connect_data(items, v, config).map_err(|e| e.at(&format!("[{i}]")))?;
                out.push(node.unwrap_or(Node::Null));
            }
            Node::Array(out)
        }
        (SchemaKind::Map(key, item), Value::Map(entries)) => {
            let object_mode = matches!(key.kind, SchemaKind::String) && !key.optional;
            if object_mode {
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let k = match from_connect_data(key, k, config)? {
                        Some(Node::Text(s)) => s,
                        _ => return Err(wrong(key, k)),
                    };
                    let v = from_connect_data(item, v, config)?.unwrap_or(Node::Null);
                    Node::set(&mut out, k, v);
                }
                Node::Object(out)
            } else {
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let k = from_connect_data(key, k, config)?.unwrap_or(Node::Null);
                    let v = from_connect_data(item, v, config)?.unwrap_or(Node::Null);
                    out.push(Node::Object(vec![("key".into(), k), ("value".into(), v)]));
                }
                Node::Array(out)
            }
        }
        (SchemaKind::Struct(fields), Value::Struct(s)) => {
            let field_value = |i: usize| -> Value {
                let v = s.values.get(i).cloned().unwrap_or(Value::Null);
                if v.is_null() && !config.ignore_default_for_nullables {
                    if let Some(d) = fields[i].schema.default.as_ref() {
                        return d.clone();
                    }
                }
                v
            };
            if is_union(schema) {
                for (i, field) in fields.iter().enumerate() {
                    let v = field_value(i);
                    if !v.is_null() {
                        return from_connect_data(&field.schema, &v, config)
                            .map_err(|e| e.at(&field.name));
                    }
                }
                return from_connect_data(schema, &Value::Null, config);
            }
            let mut out = Vec::with_capacity(fields.len());
            for (i, field) in fields.iter().enumerate() {
                let v = field_value(i);
                if let Some(node) =
                    from_connect_data(&field.schema, &v, config).map_err(|e| e.at(&field.name))?
                {
                    Node::set(&mut out, field.name.clone(), node);
                }
            }
            Node::Object(out)
        }
        _ => return Err(wrong(schema, value)),
    };
    Ok(Some(node))
}

/// Writes `node` as Jackson's `DefaultPrettyPrinter` does (`json.indent.output=true`): objects
/// one entry a line indented by two spaces with `" : "`, arrays on one line as `[ a, b ]`.
pub(crate) fn write_pretty(node: &Node, out: &mut Vec<u8>, depth: usize) {
    match node {
        Node::Object(entries) if entries.is_empty() => out.extend_from_slice(b"{ }"),
        Node::Object(entries) => {
            out.push(b'{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'\n');
                out.extend(std::iter::repeat_n(b' ', 2 * (depth + 1)));
                write_json_string(out, key);
                out.extend_from_slice(b" : ");
                write_pretty(value, out, depth + 1);
            }
            out.push(b'\n');
            out.extend(std::iter::repeat_n(b' ', 2 * depth));
            out.push(b'}');
        }
        Node::Array(items) if items.is_empty() => out.extend_from_slice(b"[ ]"),
        Node::Array(items) => {
            out.extend_from_slice(b"[ ");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                write_pretty(item, out, depth);
            }
            out.extend_from_slice(b" ]");
        }
        scalar => scalar.write(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Field;
    use crate::value::Struct;

    #[test]
    fn required_nulls_are_left_out_and_optional_ones_written() {
        let schema = Schema::new(SchemaKind::Struct(vec![
            Field {
                name: "a".into(),
                schema: Schema::new(SchemaKind::String).into_ref(),
            },
            Field {
                name: "b".into(),
                schema: Schema::new(SchemaKind::String).optional().into_ref(),
            },
        ]))
        .into_ref();
        let value = Value::Struct(Struct {
            schema: schema.clone(),
            values: vec![Value::Null, Value::Null],
        });
        let node = from_connect_data(&schema, &value, &JsonSchemaDataConfig::default())
            .expect("writes")
            .expect("not null");
        let mut out = Vec::new();
        node.write(&mut out);
        assert_eq!(out, br#"{"b":null}"#);
        let mut pretty = Vec::new();
        write_pretty(&node, &mut pretty, 0);
        assert_eq!(pretty, b"{\n  \"b\" : null\n}");
    }
}
