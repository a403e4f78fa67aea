//! Kafka's fixed-width converters: `ShortConverter`, `IntegerConverter`, `LongConverter`,
//! `FloatConverter`, `DoubleConverter` (Kafka's `NumberConverter` over its big-endian
//! serializers) and `BooleanConverter` (one byte, 1 or 0), as one generic [`FixedConverter`].

use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::{Arc, LazyLock};

use arrow_array::{
    Array, ArrayAccessor, BooleanArray, Float32Array, Float64Array, Int16Array, Int32Array,
    Int64Array,
};

use super::{
    check_schema_type, decoded, encode_accessor, encode_values, fail_all, header_bytes,
    not_compatible, optional_schema,
};
use crate::batch::Column;
use crate::converter::{Converter, ConverterContext, Decoded, Encoded, HeaderConverter};
use crate::error::ConnectError;
use crate::schema::{Schema, SchemaKind, SchemaRef};
use crate::value::Value;

/// A Java primitive wrapper (`Short`, `Integer`, `Long`, `Float`, `Double`, `Boolean`) that a
/// [`FixedConverter`] carries as fixed-width big-endian bytes, with Kafka's messages for it.
pub trait JavaPrimitive: Copy + Debug + Send + Sync + 'static {
    /// The Kafka converter's class name.
    const CLASS_NAME: &'static str;
    /// The type name Kafka's messages use (`integer`, `boolean`, …).
    const TYPE_NAME: &'static str;
    /// The Arrow array the decoded values live in.
    type Array: Array + FromIterator<Option<Self>> + 'static;

    /// The optional schema every decoded value gets (`Schema.OPTIONAL_INT32_SCHEMA`, …), shared.
    fn schema() -> &'static SchemaRef;

    /// The value of `bytes`, or `None` where Kafka's deserializer throws (wrong length, or a
    /// boolean byte other than 0 and 1).
    fn read(bytes: &[u8]) -> Option<Self>;

    /// Appends the serializer's bytes for this value.
    fn write(self, out: &mut Vec<u8>);

    /// This value as a Connect value.
    fn to_value(self) -> Value;

    /// The primitive inside `value` if it is of this Java class (Kafka casts, so no widening).
    fn from_value(value: &Value) -> Option<Self>;

    /// Rejects a schema the converter refuses before looking at the value (only
    /// BooleanConverter checks). Runs once per column.
    fn check_schema(_schema: Option<&Schema>) -> Result<(), ConnectError> {
        Ok(())
    }

    /// The error for a value of another class: NumberConverter's
    /// `Failed to serialize to <type> (was class <class>): `.
    fn wrong_class(value: &Value) -> ConnectError {
        ConnectError::data(format!(
            "Failed to serialize to {} (was class {}): ",
            Self::TYPE_NAME,
            value.java_class()
        ))
    }
}

/// Implements [`JavaPrimitive`] for a number type; `$canonical` is applied before writing
/// (`Double.doubleToLongBits` folds every NaN into one).
macro_rules! java_number {
    ($native:ty, $array:ty, $variant:ident, $class:literal, $type_name:literal, $canonical:expr) => {
        impl JavaPrimitive for $native {
            const CLASS_NAME: &'static str = $class;
            const TYPE_NAME: &'static str = $type_name;
            type Array = $array;

            fn schema() -> &'static SchemaRef {
                static SCHEMA: LazyLock<SchemaRef> =
                    LazyLock::new(|| optional_schema(SchemaKind::$variant));
                &SCHEMA
            }

            fn read(bytes: &[u8]) -> Option<Self> {
                bytes.try_into().ok().map(<$native>::from_be_bytes)
            }

            fn write(self, out: &mut Vec<u8>) {
                let canonical: fn($native) -> $native = $canonical;
                out.extend_from_slice(&canonical(self).to_be_bytes());
            }

            fn to_value(self) -> Value {
                Value::$variant(self)
            }

            fn from_value(value: &Value) -> Option<Self> {
                match value {
                    Value::$variant(v) => Some(*v),
                    _ => None,
                }
            }
        }
    };
}

java_number!(
    i16,
    Int16Array,
    Int16,
    "org.apache.kafka.connect.converters.ShortConverter",
    "short",
    std::convert::identity
);
java_number!(
    i32,
    Int32Array,
    Int32,
    "org.apache.kafka.connect.converters.IntegerConverter",
    "integer",
    std::convert::identity
);
java_number!(
    i64,
    Int64Array,
    Int64,
    "org.apache.kafka.connect.converters.LongConverter",
    "long",
    std::convert::identity
);
java_number!(
    f32,
    Float32Array,
    Float32,
    "org.apache.kafka.connect.converters.FloatConverter",
    "float",
    std::convert::identity
);
java_number!(
    f64,
    Float64Array,
    Float64,
    "org.apache.kafka.connect.converters.DoubleConverter",
    "double",
    |v| {
        if v.is_nan() {
            f64::from_bits(0x7ff8_0000_0000_0000)
        } else {
            v
        }
    }
);

impl JavaPrimitive for bool {
    const CLASS_NAME: &'static str = "org.apache.kafka.connect.converters.BooleanConverter";
    const TYPE_NAME: &'static str = "boolean";
    type Array = BooleanArray;

    fn schema() -> &'static SchemaRef {
        static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| optional_schema(SchemaKind::Boolean));
        &SCHEMA
    }

    fn read(bytes: &[u8]) -> Option<bool> {
        match bytes {
            [1] => Some(true),
            [0] => Some(false),
            _ => None,
        }
    }

    fn write(self, out: &mut Vec<u8>) {
        out.push(u8::from(self));
    }

    fn to_value(self) -> Value {
        Value::Boolean(self)
    }

    fn from_value(value: &Value) -> Option<bool> {
        match value {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    fn check_schema(schema: Option<&Schema>) -> Result<(), ConnectError> {
        check_schema_type("BooleanConverter", "BOOLEAN", schema)
    }

    fn wrong_class(value: &Value) -> ConnectError {
        not_compatible("BooleanConverter", value)
    }
}

/// A converter (and header converter) between `P` and its fixed-width big-endian bytes, with
/// Kafka's schema and messages. Stateless: construction is free.
pub struct FixedConverter<P>(PhantomData<fn() -> P>);

/// `org.apache.kafka.connect.converters.ShortConverter`: 2 bytes ⇄ optional INT16.
pub type ShortConverter = FixedConverter<i16>;
/// `org.apache.kafka.connect.converters.IntegerConverter`: 4 bytes ⇄ optional INT32.
pub type IntegerConverter = FixedConverter<i32>;
/// `org.apache.kafka.connect.converters.LongConverter`: 8 bytes ⇄ optional INT64.
pub type LongConverter = FixedConverter<i64>;
/// `org.apache.kafka.connect.converters.FloatConverter`: 4 bytes (IEEE 754) ⇄ optional FLOAT32.
pub type FloatConverter = FixedConverter<f32>;
/// `org.apache.kafka.connect.converters.DoubleConverter`: 8 bytes (IEEE 754) ⇄ optional FLOAT64.
pub type DoubleConverter = FixedConverter<f64>;
/// `org.apache.kafka.connect.converters.BooleanConverter`: 1 byte (1 or 0) ⇄ optional BOOLEAN.
pub type BooleanConverter = FixedConverter<bool>;

impl<P: JavaPrimitive> FixedConverter<P> {
    /// Kafka's class name.
    pub const CLASS_NAME: &'static str = P::CLASS_NAME;

    /// The converter.
    pub fn new() -> FixedConverter<P> {
        FixedConverter(PhantomData)
    }

    /// The converter from its settings: Kafka's number and boolean converters have none besides
    /// `converter.type`, so this never fails.
    pub fn from_settings(
        _get: impl Fn(&str) -> Option<String>,
    ) -> Result<FixedConverter<P>, ConnectError> {
        Ok(FixedConverter::new())
    }

    /// The deserializer's result: null stays null; bytes Kafka rejects are
    /// `Failed to deserialize <type>: ` (Kafka's DataException keeps the cause out of its message).
    fn read(bytes: Option<&[u8]>) -> Result<Option<P>, ConnectError> {
        match bytes {
            None => Ok(None),
            Some(bytes) => P::read(bytes).map(Some).ok_or_else(|| {
                ConnectError::data(format!("Failed to deserialize {}: ", P::TYPE_NAME))
            }),
        }
    }

    /// Appends a value's bytes, `false` for null; the schema was checked already.
    fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<bool, ConnectError> {
        match value {
            Value::Null => Ok(false),
            value => {
                P::from_value(value)
                    .ok_or_else(|| P::wrong_class(value))?
                    .write(out);
                Ok(true)
            }
        }
    }
}

impl<P: JavaPrimitive> Default for FixedConverter<P> {
    fn default() -> Self {
        FixedConverter::new()
    }
}

impl<P: JavaPrimitive> Clone for FixedConverter<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: JavaPrimitive> Copy for FixedConverter<P> {}

impl<P: JavaPrimitive> Debug for FixedConverter<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(P::CLASS_NAME)
    }
}

impl<P: JavaPrimitive> Converter for FixedConverter<P>
where
    for<'a> &'a P::Array: ArrayAccessor<Item = P>,
{
    /// Rows of the right width decode into one part; the others fail. Cost: one pass.
    fn decode(&self, inputs: &[Option<&[u8]>], _context: &ConverterContext<'_>) -> Decoded {
        let mut rows = Vec::with_capacity(inputs.len());
        let mut values = Vec::with_capacity(inputs.len());
        let mut errors = Vec::new();
        for (row, input) in inputs.iter().enumerate() {
            match Self::read(*input) {
                Ok(value) => {
                    rows.push(row as u32);
                    values.push(value);
                }
                Err(error) => errors.push((row as u32, error)),
            }
        }
        let data: P::Array = values.into_iter().collect();
        decoded(P::schema(), rows, Arc::new(data), errors)
    }

    /// A column of `P`'s own Arrow type is written without building values; any other goes
    /// through its values, which must then be of `P`'s Java class.
    fn encode(&self, column: &Column, _context: &ConverterContext<'_>, out: &mut Encoded) {
        if let Err(error) = P::check_schema(column.schema.as_deref()) {
            return fail_all(column.data.len(), out, &error);
        }
        match column.data.as_any().downcast_ref::<P::Array>() {
            Some(array) => encode_accessor(array, out, P::write),
            None => encode_values(column, out, Self::write_value),
        }
    }
}

impl<P: JavaPrimitive> HeaderConverter for FixedConverter<P> {
    /// The header's value with the converter's optional schema (also for a null value).
    fn to_connect(
        &self,
        _name: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConnectError> {
        let value = Self::read(bytes)?.map_or(Value::Null, P::to_value);
        Ok((Some(P::schema().clone()), value))
    }

    /// The value's bytes (null stays null), with the same checks as [`Converter::encode`].
    fn to_bytes(
        &self,
        _name: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        P::check_schema(schema.map(|s| &**s))?;
        header_bytes(|buf| Self::write_value(value, buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converter::Side;
    use crate::converters::test_support::{decode_rows, encode_array, encode_values};
    use arrow_array::{ArrayRef, Date32Array};
    use base64::Engine;

    fn b64(text: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap()
    }

    fn decode_one<P: JavaPrimitive>(bytes: &[u8]) -> Result<Value, String>
    where
        for<'a> &'a P::Array: ArrayAccessor<Item = P>,
    {
        decode_rows(&FixedConverter::<P>::new(), &[Some(bytes)]).remove(0)
    }

    fn encode_one<P: JavaPrimitive>(
        schema: Option<SchemaRef>,
        value: Value,
    ) -> Result<Option<Vec<u8>>, String>
    where
        for<'a> &'a P::Array: ArrayAccessor<Item = P>,
    {
        encode_values(&FixedConverter::<P>::new(), schema, &[value]).remove(0)
    }

    #[test]
    fn class_names_and_schemas_match_kafka() {
        assert_eq!(
            ShortConverter::CLASS_NAME,
            "org.apache.kafka.connect.converters.ShortConverter"
        );
        assert_eq!(
            IntegerConverter::CLASS_NAME,
            "org.apache.kafka.connect.converters.IntegerConverter"
        );
        assert_eq!(
            LongConverter::CLASS_NAME,
            "org.apache.kafka.connect.converters.LongConverter"
        );
        assert_eq!(
            FloatConverter::CLASS_NAME,
            "org.apache.kafka.connect.converters.FloatConverter"
        );
        assert_eq!(
            DoubleConverter::CLASS_NAME,
            "org.apache.kafka.connect.converters.DoubleConverter"
        );
        assert_eq!(
            BooleanConverter::CLASS_NAME,
            "org.apache.kafka.connect.converters.BooleanConverter"
        );
        assert_eq!(**i16::schema(), Schema::new(SchemaKind::Int16).optional());
        assert_eq!(**f64::schema(), Schema::new(SchemaKind::Float64).optional());
        assert_eq!(
            **bool::schema(),
            Schema::new(SchemaKind::Boolean).optional()
        );
        assert!(Arc::ptr_eq(i32::schema(), i32::schema()));
        assert!(LongConverter::from_settings(|_| Some("x".into())).is_ok());
    }

    #[test]
    fn every_number_decodes_big_endian() {
        assert_eq!(decode_one::<i16>(&[0xFF, 0xFE]), Ok(Value::Int16(-2)));
        assert_eq!(decode_one::<i32>(&[0, 0, 1, 0]), Ok(Value::Int32(256)));
        assert_eq!(
            decode_one::<i64>(&[0x80, 0, 0, 0, 0, 0, 0, 0]),
            Ok(Value::Int64(i64::MIN))
        );
        assert_eq!(
            decode_one::<f32>(&[0x3F, 0xC0, 0, 0]),
            Ok(Value::Float32(1.5))
        );
        assert_eq!(
            decode_one::<f64>(&[0x40, 0, 0, 0, 0, 0, 0, 0]),
            Ok(Value::Float64(2.0))
        );
        assert_eq!(decode_one::<bool>(&[1]), Ok(Value::Boolean(true)));
        assert_eq!(decode_one::<bool>(&[0]), Ok(Value::Boolean(false)));
    }

    #[test]
    fn wrong_widths_fail_with_kafkas_message() {
        assert_eq!(
            decode_one::<i16>(&[1]),
            Err("DataException: Failed to deserialize short: ".into())
        );
        assert_eq!(
            decode_one::<i32>(&[1, 2, 3]),
            Err("DataException: Failed to deserialize integer: ".into())
        );
        assert_eq!(
            decode_one::<i64>(&[]),
            Err("DataException: Failed to deserialize long: ".into())
        );
        assert_eq!(
            decode_one::<f32>(&[0; 8]),
            Err("DataException: Failed to deserialize float: ".into())
        );
        assert_eq!(
            decode_one::<f64>(&[0; 4]),
            Err("DataException: Failed to deserialize double: ".into())
        );
        assert_eq!(
            decode_one::<bool>(&[2]),
            Err("DataException: Failed to deserialize boolean: ".into())
        );
        assert_eq!(
            decode_one::<bool>(&[1, 1]),
            Err("DataException: Failed to deserialize boolean: ".into())
        );
    }

    #[test]
    fn decode_splits_good_rows_from_bad_ones() {
        let decoded = IntegerConverter::new().decode(
            &[Some(&[0, 0, 0, 1]), Some(&[1]), None],
            &ConverterContext::single_topic(Side::Value, "t"),
        );
        assert_eq!(decoded.parts.len(), 1);
        assert_eq!(decoded.parts[0].rows, [0, 2]);
        assert_eq!(decoded.errors.len(), 1);
        assert_eq!(decoded.errors[0].0, 1);
        assert!(IntegerConverter::new()
            .decode(
                &[Some(&[1])],
                &ConverterContext::single_topic(Side::Value, "t")
            )
            .parts
            .is_empty());
    }

    #[test]
    fn every_number_encodes_big_endian() {
        assert_eq!(
            encode_one::<i16>(None, Value::Int16(-2)),
            Ok(Some(vec![0xFF, 0xFE]))
        );
        assert_eq!(
            encode_one::<i32>(None, Value::Int32(42)),
            Ok(Some(vec![0, 0, 0, 42]))
        );
        assert_eq!(
            encode_one::<i64>(None, Value::Int64(7)),
            Ok(Some(vec![0, 0, 0, 0, 0, 0, 0, 7]))
        );
        assert_eq!(
            encode_one::<f32>(None, Value::Float32(1.5)),
            Ok(Some(vec![0x3F, 0xC0, 0, 0]))
        );
        assert_eq!(
            encode_one::<f64>(None, Value::Float64(2.0)),
            Ok(Some(vec![0x40, 0, 0, 0, 0, 0, 0, 0]))
        );
        assert_eq!(
            encode_one::<bool>(None, Value::Boolean(true)),
            Ok(Some(vec![1]))
        );
        assert_eq!(encode_one::<i64>(None, Value::Null), Ok(None));
    }

    #[test]
    fn nan_is_canonical_for_double_and_raw_for_float() {
        let quiet_payload = f64::from_bits(0x7ff8_0000_0000_0001);
        let bytes = encode_one::<f64>(None, Value::Float64(quiet_payload))
            .unwrap()
            .unwrap();
        assert_eq!(bytes, 0x7ff8_0000_0000_0000u64.to_be_bytes());
        let float_nan = f32::from_bits(0x7fc0_0001);
        let bytes = encode_one::<f32>(None, Value::Float32(float_nan))
            .unwrap()
            .unwrap();
        assert_eq!(bytes, 0x7fc0_0001u32.to_be_bytes());
    }

    #[test]
    fn values_of_another_class_fail_like_kafka() {
        assert_eq!(
            encode_one::<i64>(None, Value::Int32(7)),
            Err(
                "DataException: Failed to serialize to long (was class java.lang.Integer): ".into()
            )
        );
        assert_eq!(
            encode_one::<i16>(None, Value::String("x".into())),
            Err(
                "DataException: Failed to serialize to short (was class java.lang.String): ".into()
            )
        );
        assert_eq!(
            encode_one::<f32>(None, Value::Float64(1.0)),
            Err(
                "DataException: Failed to serialize to float (was class java.lang.Double): ".into()
            )
        );
        // A Timestamp column holds java.util.Date values, not Longs.
        let timestamp = Schema::timestamp().into_ref();
        assert_eq!(
            encode_one::<i64>(Some(timestamp), Value::Date(5)),
            Err("DataException: Failed to serialize to long (was class java.util.Date): ".into())
        );
        assert_eq!(
            encode_one::<bool>(None, Value::Int8(1)),
            Err("DataException: BooleanConverter is not compatible with objects of type class java.lang.Byte".into())
        );
    }

    #[test]
    fn boolean_checks_the_schema_type_first_even_for_null() {
        let int = Schema::new(SchemaKind::Int32).optional().into_ref();
        let expected =
            Err("DataException: Invalid schema type for BooleanConverter: INT32".to_string());
        assert_eq!(encode_one::<bool>(Some(int.clone()), Value::Null), expected);
        let error = BooleanConverter::new().to_bytes("h", Some(&int), &Value::Boolean(true));
        assert_eq!(
            error.unwrap_err().message,
            "Invalid schema type for BooleanConverter: INT32"
        );
        let ok =
            BooleanConverter::new().to_bytes("h", Some(bool::schema()), &Value::Boolean(false));
        assert_eq!(ok, Ok(Some(vec![0])));
        // Number converters ignore the schema.
        assert_eq!(
            encode_one::<i32>(Some(int), Value::Int32(1)),
            Ok(Some(vec![0, 0, 0, 1]))
        );
    }

    #[test]
    fn native_columns_skip_values_and_others_go_through_them() {
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None]));
        assert_eq!(
            encode_array(&IntegerConverter::new(), None, ints),
            [Ok(Some(vec![0, 0, 0, 1])), Ok(None)]
        );
        let dates: ArrayRef = Arc::new(Date32Array::from(vec![1]));
        assert_eq!(
            encode_array(
                &IntegerConverter::new(),
                Some(Schema::date().into_ref()),
                dates
            ),
            [Err(
                "DataException: Failed to serialize to integer (was class java.util.Date): ".into()
            )]
        );
    }

    #[test]
    fn headers_use_the_same_codec() {
        let converter = ShortConverter::new();
        let (schema, value) = converter.to_connect("h", Some(&[0, 9])).unwrap();
        assert_eq!(schema.as_ref(), Some(i16::schema()));
        assert_eq!(value, Value::Int16(9));
        assert_eq!(
            converter.to_connect("h", None).unwrap(),
            (Some(i16::schema().clone()), Value::Null)
        );
        assert_eq!(
            converter.to_connect("h", Some(&[1])).unwrap_err().message,
            "Failed to deserialize short: "
        );
        assert_eq!(
            converter.to_bytes("h", None, &Value::Int16(9)),
            Ok(Some(vec![0, 9]))
        );
        assert_eq!(converter.to_bytes("h", None, &Value::Null), Ok(None));
        assert!(converter.to_bytes("h", None, &Value::Int32(9)).is_err());
    }

    /// Decodes base64 inputs and re-encodes them with the same converter, as a case whose input
    /// and output converters agree does; returns output bytes or error text per row.
    fn pass_through<P: JavaPrimitive>(
        inputs: &[Option<&str>],
    ) -> Vec<Result<Option<Vec<u8>>, String>>
    where
        for<'a> &'a P::Array: ArrayAccessor<Item = P>,
    {
        let converter = FixedConverter::<P>::new();
        let bytes: Vec<Option<Vec<u8>>> = inputs.iter().map(|i| i.map(b64)).collect();
        let refs: Vec<Option<&[u8]>> = bytes.iter().map(|b| b.as_deref()).collect();
        let decoded = converter.decode(&refs, &ConverterContext::single_topic(Side::Value, "t"));
        let mut rows: Vec<Result<Option<Vec<u8>>, String>> = vec![Ok(None); inputs.len()];
        for part in &decoded.parts {
            let mut out = Encoded::default();
            converter.encode(
                &part.column,
                &ConverterContext::single_topic(Side::Value, "t"),
                &mut out,
            );
            for (i, &row) in part.rows.iter().enumerate() {
                rows[row as usize] = Ok(out.row(i).map(<[u8]>::to_vec));
            }
        }
        for (row, error) in decoded.errors {
            rows[row as usize] = Err(error.kafka_text());
        }
        rows
    }

    /// converters_other/boolean.
    #[test]
    fn conformance_boolean() {
        assert_eq!(
            pass_through::<bool>(&[Some("AQ=="), Some("AA=="), Some("Ag=="), Some("AQE=")]),
            [
                Ok(Some(vec![1])),
                Ok(Some(vec![0])),
                Err("DataException: Failed to deserialize boolean: ".into()),
                Err("DataException: Failed to deserialize boolean: ".into()),
            ]
        );
    }

    /// converters_other/float: NaN and -Infinity keep their bits.
    #[test]
    fn conformance_float() {
        assert_eq!(
            pass_through::<f32>(&[Some("P8AAAA=="), Some("f8AAAA=="), Some("/4AAAA==")]),
            [
                Ok(Some(b64("P8AAAA=="))),
                Ok(Some(b64("f8AAAA=="))),
                Ok(Some(b64("/4AAAA==")))
            ]
        );
    }

    /// converters_other/integer.
    #[test]
    fn conformance_integer() {
        assert_eq!(
            pass_through::<i32>(&[Some("AAAAKg=="), Some("/////w=="), Some("AAE="), None]),
            [
                Ok(Some(b"\0\0\0*".to_vec())),
                Ok(Some(b64("/////w=="))),
                Err("DataException: Failed to deserialize integer: ".into()),
                Ok(None),
            ]
        );
    }

    /// converters_other/long.
    #[test]
    fn conformance_long() {
        assert_eq!(
            pass_through::<i64>(&[Some("QAAAAAAAAAA="), Some("//////////s="), Some("AAAAAA==")]),
            [
                Ok(Some(b"@\0\0\0\0\0\0\0".to_vec())),
                Ok(Some(b64("//////////s="))),
                Err("DataException: Failed to deserialize long: ".into()),
            ]
        );
    }

    /// converters_other/string_to_long: StringConverter's strings written by LongConverter.
    #[test]
    fn conformance_string_to_long() {
        let strings =
            crate::converters::StringConverter::new(crate::converters::StringEncoding::Utf8);
        let decoded = strings.decode(
            &[Some(b"7"), Some(b"x")],
            &ConverterContext::single_topic(Side::Value, "t"),
        );
        let mut out = Encoded::default();
        LongConverter::new().encode(
            &decoded.parts[0].column,
            &ConverterContext::single_topic(Side::Value, "t"),
            &mut out,
        );
        let expected = "DataException: Failed to serialize to long (was class java.lang.String): ";
        assert_eq!(out.errors().len(), 2);
        assert!(out.errors().iter().all(|(_, e)| e.kafka_text() == expected));
    }
}
