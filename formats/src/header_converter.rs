//! `org.apache.kafka.connect.storage.SimpleHeaderConverter`, Kafka's default header converter:
//! header text parsed into a typed Connect value by Kafka's `Values` rules, and printed back.

use crate::converter::HeaderConverter;
use crate::error::ConnectError;
use crate::header_values::{format_header, parse_header, verbatim_string};
use crate::schema::SchemaRef;
use crate::value::Value;

/// Kafka's class name of [`SimpleHeaderConverter`].
pub const SIMPLE_HEADER_CONVERTER_CLASS: &str =
    "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// The SimpleHeaderConverter. It has no settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimpleHeaderConverter;

impl HeaderConverter for SimpleHeaderConverter {
    /// Never fails: text that does not parse comes back as BYTES, as in Kafka.
    fn to_connect(
        &self,
        _name: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConnectError> {
        Ok(parse_header(bytes))
    }

    /// Yes: see [`HeaderConverter::to_connect`].
    fn reads_any_bytes(&self) -> bool {
        true
    }

    /// Names, ids, UUIDs: text that no `Values` rule reads as anything but itself.
    fn text_schema<'s, 'b>(
        &'s self,
        _name: &str,
        bytes: &'b [u8],
    ) -> Option<(&'b str, Option<&'s SchemaRef>)> {
        verbatim_string(bytes).map(|(text, schema)| (text, Some(schema)))
    }

    fn writes_text_as_is(&self) -> bool {
        true
    }

    fn to_bytes(
        &self,
        _name: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        Ok(format_header(schema, value))
    }

    /// Strings (the common header) are copied as they are, booleans written as their word (no
    /// logical type is a BOOLEAN); other values as [`format_header`], through a string of
    /// their own.
    fn append_bytes(
        &self,
        _name: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
        out: &mut Vec<u8>,
    ) -> Result<bool, ConnectError> {
        match value {
            Value::Null => Ok(false),
            Value::String(text) => {
                out.extend_from_slice(text.as_bytes());
                Ok(true)
            }
            Value::Boolean(b) => {
                out.extend_from_slice(if *b { b"true" } else { b"false" });
                Ok(true)
            }
            other => {
                out.extend_from_slice(&format_header(schema, other).unwrap_or_default());
                Ok(true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_bytes_match_to_bytes() {
        let converter = SimpleHeaderConverter;
        for text in [
            "checkout",
            " 12 ",
            "[1,2]",
            "2023-01-01",
            "",
            "true",
            "false",
        ] {
            let (schema, value) = converter.to_connect("h", Some(text.as_bytes())).unwrap();
            let mut out = Vec::new();
            let present = converter
                .append_bytes("h", schema.as_ref(), &value, &mut out)
                .unwrap();
            let expected = converter.to_bytes("h", schema.as_ref(), &value).unwrap();
            assert_eq!(present.then_some(out), expected, "{text}");
        }
    }
}
