//! Kafka's own simple converters, columnar ([`Converter`](crate::converter::Converter)) and, where
//! Kafka's class is also a header converter, row-wise
//! ([`HeaderConverter`](crate::converter::HeaderConverter)):
//!
//! - [`StringConverter`] (`org.apache.kafka.connect.storage.StringConverter`), with
//!   [`StringEncoding`] for `converter.encoding`;
//! - [`ByteArrayConverter`] (`org.apache.kafka.connect.converters.ByteArrayConverter`);
//! - [`ShortConverter`], [`IntegerConverter`], [`LongConverter`], [`FloatConverter`],
//!   [`DoubleConverter`] and [`BooleanConverter`], one generic [`FixedConverter`] over the
//!   [`JavaPrimitive`] each carries in big-endian bytes.
//!
//! Each has Kafka's class name as `CLASS_NAME` and a `from_settings` constructor taking the
//! converter's `.`-prefixed settings, and reproduces Kafka's schemas and error messages.

mod byte_array;
mod number;
mod string;

use std::sync::Arc;

use arrow_array::builder::GenericByteViewBuilder;
use arrow_array::types::ByteViewType;
use arrow_array::{ArrayAccessor, ArrayRef, GenericByteViewArray};

use crate::batch::Column;
use crate::converter::{ConverterContext, Decoded, DecodedPart, Encoded};
use crate::error::ConnectError;
use crate::raw::range_in;
use crate::schema::{Schema, SchemaKind, SchemaRef};
use crate::value::Value;
use crate::value_array::value_at;

pub use byte_array::ByteArrayConverter;
pub use number::{
    BooleanConverter, DoubleConverter, FixedConverter, FloatConverter, IntegerConverter,
    JavaPrimitive, LongConverter, ShortConverter,
};
pub use string::{StringConverter, StringEncoding};

/// The input values as a view array: each row whose bytes the array holds as they are (`as_is`)
/// and that lies in the batch's input buffer becomes a view of that buffer — nothing copied;
/// any other row goes through `fallback` (a copy, or text transcoded from another charset).
/// Cost: per row, a pointer comparison and the view type's check (UTF-8 for strings).
fn input_views<T: ByteViewType + ?Sized>(
    inputs: &[Option<&[u8]>],
    context: &ConverterContext<'_>,
    as_is: bool,
    fallback: impl Fn(&[u8], &mut GenericByteViewBuilder<T>),
) -> GenericByteViewArray<T> {
    let mut builder = GenericByteViewBuilder::<T>::with_capacity(inputs.len());
    // Arrow addresses a block with 32-bit offsets: a batch at the 4 GiB limit is copied instead.
    let block = context
        .input_buffer()
        .filter(|buffer| as_is && buffer.len() < u32::MAX as usize)
        .map(|buffer| (builder.append_block(buffer.clone()), buffer));
    for input in inputs {
        let Some(bytes) = input else {
            builder.append_null();
            continue;
        };
        let viewed = block.as_ref().is_some_and(|(index, buffer)| {
            range_in(buffer, bytes).is_some_and(|range| {
                builder
                    .try_append_view(*index, range.start, range.end - range.start)
                    .is_ok()
            })
        });
        if !viewed {
            fallback(bytes, &mut builder);
        }
    }
    builder.finish()
}

/// The optional schema of `kind` a converter gives every value it decodes.
fn optional_schema(kind: SchemaKind) -> SchemaRef {
    Arc::new(Schema::new(kind).optional())
}

/// The result of a decode: the rows that decoded as one part of `schema` (none when no row did),
/// and the rows that failed.
fn decoded(
    schema: &SchemaRef,
    rows: Vec<u32>,
    data: ArrayRef,
    errors: Vec<(u32, ConnectError)>,
) -> Decoded {
    let parts = if rows.is_empty() {
        Vec::new()
    } else {
        vec![DecodedPart {
            rows,
            column: Column {
                schema: Some(schema.clone()),
                data,
            },
        }]
    };
    Decoded { parts, errors }
}

/// The result of a decode where all `len` rows decoded into `data`.
fn decoded_all(schema: &SchemaRef, len: usize, data: ArrayRef) -> Decoded {
    decoded(schema, (0..len as u32).collect(), data, Vec::new())
}

/// Kafka's `Invalid schema type for <converter>: <TYPE>` unless `schema` is absent or of type
/// `expected` (`BYTES`, `BOOLEAN`).
fn check_schema_type(
    converter: &str,
    expected: &str,
    schema: Option<&Schema>,
) -> Result<(), ConnectError> {
    match schema {
        Some(schema) if schema.type_name() != expected => Err(ConnectError::data(format!(
            "Invalid schema type for {converter}: {}",
            schema.type_name()
        ))),
        _ => Ok(()),
    }
}

/// Kafka's `<converter> is not compatible with objects of type class <java class>`.
fn not_compatible(converter: &str, value: &Value) -> ConnectError {
    ConnectError::data(format!(
        "{converter} is not compatible with objects of type class {}",
        value.java_class()
    ))
}

/// Appends one row: `write` appends its bytes and says whether it is non-null (`Ok(false)`: a
/// null row, nothing written), or fails it.
fn encode_row(out: &mut Encoded, write: impl FnOnce(&mut Vec<u8>) -> Result<bool, ConnectError>) {
    match write(out.begin_row()) {
        Ok(true) => out.end_row(),
        Ok(false) => out.push_null(),
        Err(error) => out.fail_row(error),
    }
}

/// Encodes every row of a typed array without building values: nulls stay null, `write`
/// appends a value's bytes.
fn encode_accessor<A: ArrayAccessor>(
    array: A,
    out: &mut Encoded,
    write: impl Fn(A::Item, &mut Vec<u8>),
) {
    for row in 0..array.len() {
        if array.is_null(row) {
            out.push_null();
        } else {
            write(array.value(row), out.begin_row());
            out.end_row();
        }
    }
}

/// Encodes every row of `column` through its Connect value ([`value_at`]), for columns of a type
/// the converter has no fast path for. Cost: one value tree per row.
fn encode_values(
    column: &Column,
    out: &mut Encoded,
    write: impl Fn(&Value, &mut Vec<u8>) -> Result<bool, ConnectError>,
) {
    let data = column.data.as_ref();
    for row in 0..data.len() {
        let value = value_at(column.schema.as_ref(), data, row);
        encode_row(out, |buf| write(&value, buf));
    }
}

/// Fails every row of a column of `len` rows with `error` (a schema the converter rejects).
fn fail_all(len: usize, out: &mut Encoded, error: &ConnectError) {
    for _ in 0..len {
        out.begin_row();
        out.fail_row(error.clone());
    }
}

/// A header value's bytes from a row writer as [`encode_row`] takes it.
fn header_bytes(
    write: impl FnOnce(&mut Vec<u8>) -> Result<bool, ConnectError>,
) -> Result<Option<Vec<u8>>, ConnectError> {
    let mut bytes = Vec::new();
    Ok(write(&mut bytes)?.then_some(bytes))
}

#[cfg(test)]
mod test_support {
    //! Helpers the converter tests share.

    use arrow_array::ArrayRef;

    use crate::batch::Column;
    use crate::converter::{Converter, ConverterContext, Decoded, Encoded, Side};
    use crate::schema::SchemaRef;
    use crate::value::Value;
    use crate::value_array::{value_at, values_to_array};

    /// Decodes `inputs` and returns every row's value in input order, or its error text.
    pub fn decode_rows(
        converter: &dyn Converter,
        inputs: &[Option<&[u8]>],
    ) -> Vec<Result<Value, String>> {
        let Decoded { parts, errors } =
            converter.decode(inputs, &ConverterContext::single_topic(Side::Value, "t"));
        let mut rows: Vec<Option<Result<Value, String>>> = vec![None; inputs.len()];
        for part in parts {
            for (i, &row) in part.rows.iter().enumerate() {
                let value = value_at(part.column.schema.as_ref(), part.column.data.as_ref(), i);
                rows[row as usize] = Some(Ok(value));
            }
        }
        for (row, error) in errors {
            rows[row as usize] = Some(Err(error.kafka_text()));
        }
        rows.into_iter()
            .map(|r| r.expect("every row decoded or failed"))
            .collect()
    }

    /// Encodes `data` with `schema` and returns every row's bytes, or its error text.
    pub fn encode_array(
        converter: &dyn Converter,
        schema: Option<SchemaRef>,
        data: ArrayRef,
    ) -> Vec<Result<Option<Vec<u8>>, String>> {
        let mut out = Encoded::default();
        converter.encode(
            &Column { schema, data },
            &ConverterContext::single_topic(Side::Value, "t"),
            &mut out,
        );
        let mut rows: Vec<_> = (0..out.len())
            .map(|i| Ok(out.row(i).map(<[u8]>::to_vec)))
            .collect();
        for (row, error) in out.errors() {
            rows[*row] = Err(error.kafka_text());
        }
        rows
    }

    /// Encodes `values` (built into a column of `schema`) like [`encode_array`].
    pub fn encode_values(
        converter: &dyn Converter,
        schema: Option<SchemaRef>,
        values: &[Value],
    ) -> Vec<Result<Option<Vec<u8>>, String>> {
        let data = values_to_array(schema.as_ref(), values).expect("values fit");
        encode_array(converter, schema, data)
    }
}
