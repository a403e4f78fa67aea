//! Row bookkeeping the Schema Registry converters (Avro, Protobuf, JSON Schema) share around their
//! format-specific decode and encode loops.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, NullArray};

use crate::batch::Column;
use crate::converter::{ConverterContext, Decoded, DecodedPart, Encoded};
use crate::error::ConnectError;

/// Completes a decode: the rows whose input was null become one part of nulls without a schema
/// (what `toConnectData` gives for a null value), and the errors are put in row order. Costs one
/// sort of the errors.
pub fn finish_decoded(
    mut parts: Vec<DecodedPart>,
    null_rows: Vec<u32>,
    mut errors: Vec<(u32, ConnectError)>,
) -> Decoded {
    if !null_rows.is_empty() {
        let data: ArrayRef = Arc::new(NullArray::new(null_rows.len()));
        parts.push(DecodedPart {
            rows: null_rows,
            column: Column { schema: None, data },
        });
    }
    errors.sort_by_key(|(row, _)| *row);
    Decoded { parts, errors }
}

/// Encodes a column without a Connect schema, which a registry converter cannot write: null rows
/// stay null, every other row fails with `error(topic)`. One pass over the rows.
pub fn encode_schemaless(
    column: &Column,
    context: &ConverterContext<'_>,
    out: &mut Encoded,
    error: impl Fn(&str) -> ConnectError,
) {
    let all_null = column.data.data_type() == &arrow_schema::DataType::Null;
    for row in 0..column.data.len() {
        if all_null || column.data.is_null(row) {
            out.push_null();
        } else {
            out.begin_row();
            out.fail_row(error(context.topic(row)));
        }
    }
}
