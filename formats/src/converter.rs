//! The converter interfaces: columnar [`Converter`] for keys and values, row-wise
//! [`HeaderConverter`] for headers, and the decoded / encoded forms they exchange.

use std::fmt::Debug;
use std::ops::Range;

use crate::batch::Column;
pub use crate::converter_context::{ConverterContext, Side};
use crate::error::ConnectError;
use crate::schema::SchemaRef;
use crate::value::Value;

/// Rows of one side that decoded to one schema.
#[derive(Debug, Clone)]
pub struct DecodedPart {
    /// The input positions of the rows, ascending.
    pub rows: Vec<u32>,
    /// Their schema and data, one entry per row of `rows`.
    pub column: Column,
}

/// The result of decoding one side of a batch: the rows that decoded, grouped by schema, and the
/// rows that did not, with their errors. Every input row is in exactly one of the two.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    /// Decoded rows grouped by schema (or, schemaless, by inferred shape).
    pub parts: Vec<DecodedPart>,
    /// Rows that failed, with the error.
    pub errors: Vec<(u32, ConnectError)>,
}

/// Encoded bytes for the rows of one column: a buffer and one slot per row. The buffer may hold
/// bytes before the first row ([`Encoded::appending_to`]): an encoder then writes straight into
/// the output batch's buffer and the slots are positions in it.
#[derive(Debug, Clone, Default)]
pub struct Encoded {
    bytes: Vec<u8>,
    slots: Vec<Option<Range<u32>>>,
    errors: Vec<(usize, ConnectError)>,
    row_start: usize,
}

impl Encoded {
    /// An empty buffer with room for `rows` rows of about `bytes_per_row` bytes.
    pub fn with_capacity(rows: usize, bytes_per_row: usize) -> Encoded {
        Encoded {
            bytes: Vec::with_capacity(rows * bytes_per_row),
            slots: Vec::with_capacity(rows),
            ..Encoded::default()
        }
    }

    /// `rows` rows appended after the bytes already in `bytes` (the output batch's buffer);
    /// slots are positions in it. Cost: the slot list (the buffer is moved in; take it back with
    /// [`Encoded::into_parts`]).
    pub fn appending_to(bytes: Vec<u8>, rows: usize) -> Encoded {
        Encoded {
            bytes,
            slots: Vec::with_capacity(rows),
            ..Encoded::default()
        }
    }

    /// The buffer (with every row's bytes), each row's slot in it (`None`: null or failed), and
    /// the rows that failed.
    pub fn into_parts(self) -> EncodedParts {
        EncodedParts {
            bytes: self.bytes,
            slots: self.slots,
            errors: self.errors,
        }
    }

    /// Starts the next row; write its bytes into the returned buffer, then call
    /// [`Encoded::end_row`] or [`Encoded::fail_row`].
    pub fn begin_row(&mut self) -> &mut Vec<u8> {
        self.row_start = self.bytes.len();
        &mut self.bytes
    }

    /// Ends the row begun last, keeping what was written.
    pub fn end_row(&mut self) {
        self.slots
            .push(Some(self.row_start as u32..self.bytes.len() as u32));
    }

    /// Ends the row begun last as a failure: what was written is discarded.
    pub fn fail_row(&mut self, error: ConnectError) {
        self.bytes.truncate(self.row_start);
        self.errors.push((self.slots.len(), error));
        self.slots.push(None);
    }

    /// Appends a null row (no bytes: a null key or a tombstone).
    pub fn push_null(&mut self) {
        self.slots.push(None);
    }

    /// Appends a row with `bytes`.
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        self.begin_row().extend_from_slice(bytes);
        self.end_row();
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Row `i`'s bytes (`None`: null, or failed — see [`Encoded::errors`]).
    pub fn row(&self, i: usize) -> Option<&[u8]> {
        self.slots[i]
            .as_ref()
            .map(|r| &self.bytes[r.start as usize..r.end as usize])
    }

    /// The rows that failed to encode, by row index, with their errors.
    pub fn errors(&self) -> &[(usize, ConnectError)] {
        &self.errors
    }
}

/// What [`Encoded::into_parts`] gives back.
#[derive(Debug, Clone, Default)]
pub struct EncodedParts {
    /// The buffer, holding every row's bytes.
    pub bytes: Vec<u8>,
    /// Row `i`'s bytes in `bytes` (`None`: null, or failed).
    pub slots: Vec<Option<Range<u32>>>,
    /// The rows that failed to encode, by row index, with their errors.
    pub errors: Vec<(usize, ConnectError)>,
}

/// A key or value converter: bytes ⇄ Connect data, a whole batch side at a time.
///
/// Implementations are immutable after construction and shared between threads; caches they
/// keep (schemas by bytes, encoders by schema) must be concurrent.
pub trait Converter: Send + Sync + Debug {
    /// Decodes one side of a batch: `inputs[i]` is row `i`'s bytes (`None` for a null);
    /// `context` gives the side and each row's topic and headers.
    fn decode(&self, inputs: &[Option<&[u8]>], context: &ConverterContext<'_>) -> Decoded;

    /// Encodes every row of `column`, appending one row each to `out`; `context` gives the side
    /// and each row's (output) topic and headers, so a converter whose bytes depend on the topic
    /// (a registry subject) splits the work by [`ConverterContext::topic_id`].
    fn encode(&self, column: &Column, context: &ConverterContext<'_>, out: &mut Encoded);
}

/// A header converter: one header value at a time (headers are few and small).
pub trait HeaderConverter: Send + Sync + Debug {
    /// Reads a header's bytes into a Connect value (`toConnectHeader`).
    fn to_connect(
        &self,
        name: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConnectError>;

    /// Writes a header's Connect value to bytes (`fromConnectHeader`).
    fn to_bytes(
        &self,
        name: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError>;

    /// Whether [`HeaderConverter::to_connect`] reads any bytes without an error: then a header
    /// that is not kept need not be read at all (default: no, it may fail).
    fn reads_any_bytes(&self) -> bool {
        false
    }

    /// When [`HeaderConverter::to_connect`] reads `bytes` as a STRING whose text is `bytes`
    /// itself, that text and the schema it gives the string (`None` for the schema: no schema),
    /// borrowed so a batch of such headers shares it without a reference count per header;
    /// `None` when it may read them otherwise — always, by default. A batch keeps such headers
    /// as views of its input bytes instead of owned strings. Cost: at most one scan of `bytes`.
    fn text_schema<'s, 'b>(
        &'s self,
        _name: &str,
        _bytes: &'b [u8],
    ) -> Option<(&'b str, Option<&'s SchemaRef>)> {
        None
    }

    /// Whether [`HeaderConverter::append_bytes`] writes any STRING value (whatever its schema) as
    /// the text's own UTF-8 bytes, so a string header (held as text or typed) is copied as it is
    /// (default: no).
    fn writes_text_as_is(&self) -> bool {
        false
    }

    /// Appends what [`HeaderConverter::to_bytes`] writes to `out`; `false` for a null header (then
    /// nothing is appended). Converters on the hot path override it to skip the allocation.
    fn append_bytes(
        &self,
        name: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
        out: &mut Vec<u8>,
    ) -> Result<bool, ConnectError> {
        let bytes = self.to_bytes(name, schema, value)?;
        if let Some(bytes) = &bytes {
            out.extend_from_slice(bytes);
        }
        Ok(bytes.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_rows_leave_no_bytes_behind() {
        let mut out = Encoded::default();
        out.push_bytes(b"ab");
        out.begin_row().extend_from_slice(b"junk");
        out.fail_row(ConnectError::data("bad"));
        out.push_null();
        out.push_bytes(b"c");
        assert_eq!(out.len(), 4);
        assert_eq!(out.row(0), Some(&b"ab"[..]));
        assert_eq!(out.row(1), None);
        assert_eq!(out.row(2), None);
        assert_eq!(out.row(3), Some(&b"c"[..]));
        assert_eq!(out.errors().len(), 1);
        assert_eq!(out.errors()[0].0, 1);
    }
}
