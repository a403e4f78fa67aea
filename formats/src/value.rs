//! The row-wise Connect value tree: one variant per Java class Kafka Connect uses at run time.
//!
//! This is the model of the references and tests (design §3), never of the hot path: a value tree
//! per record is what the JVM does and what weir's columnar kernels avoid.

use std::fmt;

use crate::java_number::{format_f32, format_f64};
use crate::schema::SchemaRef;

/// A Connect value, mirroring the Java object Kafka Connect would hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `java.lang.Byte` (INT8).
    Int8(i8),
    /// `java.lang.Short` (INT16).
    Int16(i16),
    /// `java.lang.Integer` (INT32).
    Int32(i32),
    /// `java.lang.Long` (INT64).
    Int64(i64),
    /// `java.lang.Float` (FLOAT32).
    Float32(f32),
    /// `java.lang.Double` (FLOAT64).
    Float64(f64),
    /// `java.lang.Boolean`.
    Boolean(bool),
    /// `java.lang.String`.
    String(String),
    /// `byte[]` (BYTES).
    Bytes(Vec<u8>),
    /// `java.util.List` (ARRAY).
    Array(Vec<Value>),
    /// `java.util.Map` (MAP), entries in insertion order.
    Map(Vec<(Value, Value)>),
    /// `org.apache.kafka.connect.data.Struct`.
    Struct(Struct),
    /// `java.math.BigDecimal` (the Decimal logical type).
    Decimal(Decimal),
    /// `java.util.Date`, milliseconds since the epoch: the Date, Time and Timestamp logical types.
    Date(i64),
}

/// A decimal number: `unscaled × 10^-scale`, like `java.math.BigDecimal` within 128 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    /// The unscaled integer.
    pub unscaled: i128,
    /// Digits after the decimal point (negative: trailing zeros before it).
    pub scale: i32,
}

/// A Connect `Struct`: a STRUCT schema and one value per field, in field order.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    /// The STRUCT schema.
    pub schema: SchemaRef,
    /// One value per field of `schema`.
    pub values: Vec<Value>,
}

impl Struct {
    /// The value of field `name`, without applying the field's default (`getWithoutDefault`).
    pub fn get(&self, name: &str) -> Option<&Value> {
        let (index, _) = self.schema.field(name)?;
        self.values.get(index)
    }
}

impl Value {
    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// This value with every map's entries sorted by key text, recursively (inside lists and
    /// structs too). Kafka's maps are `HashMap`s, so two maps with the same entries are the same
    /// map whatever order they were put in: compare values through this. Cost: a sort per map.
    pub fn with_sorted_maps(self) -> Value {
        match self {
            Value::Map(entries) => {
                let mut entries: Vec<(Value, Value)> = entries
                    .into_iter()
                    .map(|(k, v)| (k.with_sorted_maps(), v.with_sorted_maps()))
                    .collect();
                entries.sort_by_cached_key(|(k, _)| k.to_string());
                Value::Map(entries)
            }
            Value::Array(items) => {
                Value::Array(items.into_iter().map(Value::with_sorted_maps).collect())
            }
            Value::Struct(s) => Value::Struct(Struct {
                schema: s.schema,
                values: s.values.into_iter().map(Value::with_sorted_maps).collect(),
            }),
            other => other,
        }
    }

    /// The Java class name Kafka would print for this value (`java.lang.String`, …).
    pub fn java_class(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int8(_) => "java.lang.Byte",
            Value::Int16(_) => "java.lang.Short",
            Value::Int32(_) => "java.lang.Integer",
            Value::Int64(_) => "java.lang.Long",
            Value::Float32(_) => "java.lang.Float",
            Value::Float64(_) => "java.lang.Double",
            Value::Boolean(_) => "java.lang.Boolean",
            Value::String(_) => "java.lang.String",
            Value::Bytes(_) => "[B",
            Value::Array(_) => "java.util.ArrayList",
            Value::Map(_) => "java.util.HashMap",
            Value::Struct(_) => "org.apache.kafka.connect.data.Struct",
            Value::Decimal(_) => "java.math.BigDecimal",
            Value::Date(_) => "java.util.Date",
        }
    }
}

impl fmt::Display for Decimal {
    /// `BigDecimal.toString()` for scales Kafka meets in practice: plain notation, `-` sign.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale <= 0 {
            write!(f, "{}", self.unscaled)?;
            for _ in 0..(-self.scale) {
                f.write_str("0")?;
            }
            return Ok(());
        }
        let digits = self.unscaled.unsigned_abs().to_string();
        let scale = self.scale as usize;
        if self.unscaled < 0 {
            f.write_str("-")?;
        }
        if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            write!(f, "{int}.{frac}")
        } else {
            write!(f, "0.{}{}", "0".repeat(scale - digits.len()), digits)
        }
    }
}

/// Formats like the Java object's `toString()` (Struct as `Struct{a=1,b=x}`, lists as `[1, 2]`,
/// maps as `{k=v}`), which is what StringConverter writes and what Kafka's messages embed.
/// Bytes print as their base64 text: Java prints an identity hash, which no one can match.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Int8(v) => write!(f, "{v}"),
            Value::Int16(v) => write!(f, "{v}"),
            Value::Int32(v) => write!(f, "{v}"),
            Value::Int64(v) => write!(f, "{v}"),
            Value::Float32(v) => f.write_str(&format_f32(*v)),
            Value::Float64(v) => f.write_str(&format_f64(*v)),
            Value::Boolean(v) => write!(f, "{v}"),
            Value::String(v) => f.write_str(v),
            Value::Bytes(v) => {
                use base64::Engine;
                f.write_str(&base64::engine::general_purpose::STANDARD.encode(v))
            }
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}={v}")?;
                }
                f.write_str("}")
            }
            Value::Struct(s) => {
                f.write_str("Struct{")?;
                let mut first = true;
                for (field, value) in s.schema.fields().iter().zip(&s.values) {
                    if value.is_null() {
                        continue;
                    }
                    if !first {
                        f.write_str(",")?;
                    }
                    first = false;
                    write!(f, "{}={}", field.name, value)?;
                }
                f.write_str("}")
            }
            Value::Decimal(d) => write!(f, "{d}"),
            Value::Date(ms) => write!(f, "{}", crate::java_date::format_java_date(*ms)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Schema, SchemaKind};

    #[test]
    fn decimal_prints_like_big_decimal() {
        let d = |unscaled, scale| Decimal { unscaled, scale }.to_string();
        assert_eq!(d(12345, 3), "12.345");
        assert_eq!(d(-1, 3), "-0.001");
        assert_eq!(d(100, 0), "100");
        assert_eq!(d(5, -2), "500");
    }

    #[test]
    fn struct_prints_like_kafka_and_skips_nulls() {
        let schema = Schema::structure([
            ("a".to_string(), Schema::new(SchemaKind::Int32).into_ref()),
            (
                "b".to_string(),
                Schema::new(SchemaKind::String).optional().into_ref(),
            ),
            ("c".to_string(), Schema::new(SchemaKind::String).into_ref()),
        ])
        .into_ref();
        let v = Value::Struct(Struct {
            schema,
            values: vec![Value::Int32(1), Value::Null, Value::String("x".into())],
        });
        assert_eq!(v.to_string(), "Struct{a=1,c=x}");
    }
}
