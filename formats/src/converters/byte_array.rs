//! `org.apache.kafka.connect.converters.ByteArrayConverter`: the bytes as they are, as an
//! optional BYTES value.

use std::sync::{Arc, LazyLock};

use arrow_array::cast::AsArray;
use arrow_array::BinaryViewArray;

use super::{
    check_schema_type, decoded_all, encode_accessor, encode_values, fail_all, header_bytes,
    input_views, not_compatible, optional_schema,
};
use crate::batch::Column;
use crate::converter::{Converter, ConverterContext, Decoded, Encoded, HeaderConverter};
use crate::error::ConnectError;
use crate::schema::{Schema, SchemaKind, SchemaRef};
use crate::value::Value;

/// `Schema.OPTIONAL_BYTES_SCHEMA`, shared by every decoded value.
static OPTIONAL_BYTES: LazyLock<SchemaRef> = LazyLock::new(|| optional_schema(SchemaKind::Bytes));

/// Kafka's ByteArrayConverter (also a HeaderConverter). Stateless.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByteArrayConverter;

impl ByteArrayConverter {
    /// Kafka's class name.
    pub const CLASS_NAME: &'static str = "org.apache.kafka.connect.converters.ByteArrayConverter";

    /// The converter from its settings: it has none besides `converter.type`, so this never
    /// fails.
    pub fn from_settings(
        _get: impl Fn(&str) -> Option<String>,
    ) -> Result<ByteArrayConverter, ConnectError> {
        Ok(ByteArrayConverter)
    }

    /// Kafka's check that a given schema is BYTES (a Decimal is BYTES too, and then fails on
    /// its BigDecimal value).
    fn check_schema(schema: Option<&Schema>) -> Result<(), ConnectError> {
        check_schema_type("ByteArrayConverter", "BYTES", schema)
    }

    /// Appends a `byte[]` value, `false` for null; anything else is Kafka's DataException.
    fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<bool, ConnectError> {
        match value {
            Value::Null => Ok(false),
            Value::Bytes(bytes) => {
                out.extend_from_slice(bytes);
                Ok(true)
            }
            other => Err(not_compatible("ByteArrayConverter", other)),
        }
    }
}

impl Converter for ByteArrayConverter {
    /// Every row decodes (null stays null). Cost: none per byte when decoding a batch — the values
    /// are views of its buffer; loose inputs are copied.
    fn decode(&self, inputs: &[Option<&[u8]>], context: &ConverterContext<'_>) -> Decoded {
        let bytes: BinaryViewArray = input_views(inputs, context, true, |bytes, builder| {
            builder.append_value(bytes)
        });
        decoded_all(&OPTIONAL_BYTES, inputs.len(), Arc::new(bytes))
    }

    /// BinaryView and Binary columns are copied out directly; any other column goes through its
    /// values, which must be `byte[]`. A schema other than BYTES fails every row.
    fn encode(&self, column: &Column, _context: &ConverterContext<'_>, out: &mut Encoded) {
        let data = column.data.as_ref();
        if let Err(error) = Self::check_schema(column.schema.as_deref()) {
            return fail_all(data.len(), out, &error);
        }
        let copy = |bytes: &[u8], buf: &mut Vec<u8>| buf.extend_from_slice(bytes);
        if let Some(bytes) = data.as_binary_view_opt() {
            encode_accessor(bytes, out, copy);
        } else if let Some(bytes) = data.as_binary_opt::<i32>() {
            encode_accessor(bytes, out, copy);
        } else {
            encode_values(column, out, Self::write_value);
        }
    }
}

impl HeaderConverter for ByteArrayConverter {
    /// The header's bytes as an optional BYTES value.
    fn to_connect(
        &self,
        _name: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConnectError> {
        let value = bytes.map_or(Value::Null, |b| Value::Bytes(b.to_vec()));
        Ok((Some(OPTIONAL_BYTES.clone()), value))
    }

    /// Yes: any bytes are a BYTES value.
    fn reads_any_bytes(&self) -> bool {
        true
    }

    /// The value's bytes, with the same checks as [`Converter::encode`].
    fn to_bytes(
        &self,
        _name: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        Self::check_schema(schema.map(|s| &**s))?;
        header_bytes(|buf| Self::write_value(value, buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converter::Side;
    use crate::converters::test_support::{decode_rows, encode_array, encode_values};
    use crate::value::Decimal;
    use arrow_array::{ArrayRef, BinaryArray};
    use base64::Engine;

    fn b64(text: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap()
    }

    #[test]
    fn decode_keeps_bytes_with_the_optional_bytes_schema() {
        let decoded = ByteArrayConverter.decode(
            &[Some(b"\x00\x01"), None],
            &ConverterContext::single_topic(Side::Value, "t"),
        );
        let schema = decoded.parts[0].column.schema.clone().unwrap();
        assert_eq!(*schema, Schema::new(SchemaKind::Bytes).optional());
        assert_eq!(
            decode_rows(&ByteArrayConverter, &[Some(b"\x00\x01"), None]),
            [Ok(Value::Bytes(vec![0, 1])), Ok(Value::Null)]
        );
        assert_eq!(
            ByteArrayConverter::CLASS_NAME,
            "org.apache.kafka.connect.converters.ByteArrayConverter"
        );
        assert!(ByteArrayConverter::from_settings(|_| None).is_ok());
    }

    #[test]
    fn encode_copies_binary_columns_and_byte_values() {
        let binary: ArrayRef = Arc::new(BinaryArray::from(vec![Some(&b"ab"[..]), None]));
        assert_eq!(
            encode_array(&ByteArrayConverter, None, binary),
            [Ok(Some(b"ab".to_vec())), Ok(None)]
        );
        let schemaless = encode_values(&ByteArrayConverter, None, &[Value::Bytes(vec![9])]);
        assert_eq!(schemaless, [Ok(Some(vec![9]))]);
    }

    #[test]
    fn other_values_and_schemas_fail_like_kafka() {
        assert_eq!(
            encode_values(&ByteArrayConverter, None, &[Value::String("x".into())]),
            [Err("DataException: ByteArrayConverter is not compatible with objects of type class java.lang.String".into())]
        );
        let decimal = Schema::decimal(2).into_ref();
        let value = Value::Decimal(Decimal {
            unscaled: 1,
            scale: 2,
        });
        assert_eq!(
            encode_values(&ByteArrayConverter, Some(decimal), &[value]),
            [Err("DataException: ByteArrayConverter is not compatible with objects of type class java.math.BigDecimal".into())]
        );
        let string = Schema::new(SchemaKind::String).optional().into_ref();
        assert_eq!(
            encode_values(&ByteArrayConverter, Some(string.clone()), &[Value::Null]),
            [Err(
                "DataException: Invalid schema type for ByteArrayConverter: STRING".into()
            )]
        );
        let error = ByteArrayConverter.to_bytes("h", Some(&string), &Value::Null);
        assert_eq!(
            error.unwrap_err().message,
            "Invalid schema type for ByteArrayConverter: STRING"
        );
    }

    #[test]
    fn headers_carry_bytes() {
        let (schema, value) = ByteArrayConverter.to_connect("h", Some(b"v")).unwrap();
        assert_eq!(schema.as_ref(), Some(&*OPTIONAL_BYTES));
        assert_eq!(value, Value::Bytes(b"v".to_vec()));
        assert_eq!(
            ByteArrayConverter.to_connect("h", None).unwrap().1,
            Value::Null
        );
        assert_eq!(
            ByteArrayConverter.to_bytes("h", None, &Value::Bytes(vec![1])),
            Ok(Some(vec![1]))
        );
        assert_eq!(
            ByteArrayConverter.to_bytes("h", None, &Value::Null),
            Ok(None)
        );
    }

    /// converters_other/bytearray: bytes pass through unchanged, null stays null.
    #[test]
    fn conformance_bytearray() {
        let inputs = [b64("AAH/"), b64(""), b64("dGV4dA==")];
        let mut refs: Vec<Option<&[u8]>> = inputs.iter().map(|b| Some(b.as_slice())).collect();
        refs.push(None);
        let decoded =
            ByteArrayConverter.decode(&refs, &ConverterContext::single_topic(Side::Value, "t"));
        let mut out = Encoded::default();
        ByteArrayConverter.encode(
            &decoded.parts[0].column,
            &ConverterContext::single_topic(Side::Value, "t"),
            &mut out,
        );
        assert_eq!(out.row(0), Some(&[0x00, 0x01, 0xFF][..]));
        assert_eq!(out.row(1), Some(&b""[..]));
        assert_eq!(out.row(2), Some(&b"text"[..]));
        assert_eq!(out.row(3), None);
        assert!(out.errors().is_empty());
    }
}
