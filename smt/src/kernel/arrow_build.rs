//! Building Arrow columns for a transform's output: STRUCT arrays, extra nulls, and Arrow's
//! errors as row errors.

use arrow_array::{make_array, Array, ArrayRef, StructArray};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Fields};
use weir_formats::decimal_column::fields_for_columns;
use weir_formats::error::ConnectError;

/// `StructArray::try_new_with_length`: also right for a struct with no fields. `fields` planned
/// from a Connect schema take their columns' own-scale Decimal types where a column has one
/// ([`fields_for_columns`]). Cost: O(fields).
pub(crate) fn struct_array(
    fields: Fields,
    columns: Vec<ArrayRef>,
    nulls: Option<NullBuffer>,
    len: usize,
) -> Result<StructArray, arrow_schema::ArrowError> {
    let fields = fields_for_columns(&fields, &columns);
    StructArray::try_new_with_length(fields, columns, nulls, len)
}

/// An Arrow error (a column that does not fit its type) as a row error.
pub(crate) fn arrow_failure(error: arrow_schema::ArrowError) -> ConnectError {
    ConnectError::data(format!("cannot build the output column: {error}"))
}

/// `array` with its rows also null where `nulls` says (the union of both). Cost: one bitmap AND,
/// no row data touched.
pub(crate) fn with_nulls(
    array: &ArrayRef,
    nulls: Option<&NullBuffer>,
) -> Result<ArrayRef, ConnectError> {
    if nulls.is_none_or(|n| n.null_count() == 0) || array.data_type() == &DataType::Null {
        return Ok(array.clone());
    }
    let combined = NullBuffer::union(array.nulls(), nulls);
    let data = array
        .to_data()
        .into_builder()
        .nulls(combined)
        .build()
        .map_err(arrow_failure)?;
    Ok(make_array(data))
}
