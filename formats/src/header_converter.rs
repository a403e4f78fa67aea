//! `org.apache.kafka.connect.storage.SimpleHeaderConverter`, Kafka's default header converter:
//! header text parsed into a typed Connect value by Kafka's `Values` rules, and printed back.

use crate::converter::HeaderConverter;
use crate::error::ConnectError;
use crate::header_values::{format_header, parse_header};
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

    fn to_bytes(
        &self,
        _name: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        Ok(format_header(schema, value))
    }
}
