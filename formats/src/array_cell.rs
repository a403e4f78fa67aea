//! One row of an Arrow column read as a Connect scalar, for the encoders that write rows straight
//! from the arrays (Avro, Protobuf) and the value-tree reader. Each read matches the column's
//! data type and downcasts it: O(1), no allocation; `None` when the column holds another type.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::Array;
use arrow_schema::DataType;

use crate::error::ConnectError;

/// Row `row` of an integer column, or of a Date, Time or Timestamp column as the number Connect
/// holds (days for Date32, milliseconds otherwise).
pub fn int_at(array: &dyn Array, row: usize) -> Option<i64> {
    Some(match array.data_type() {
        DataType::Int8 => i64::from(array.as_primitive_opt::<Int8Type>()?.value(row)),
        DataType::Int16 => i64::from(array.as_primitive_opt::<Int16Type>()?.value(row)),
        DataType::Int32 => i64::from(array.as_primitive_opt::<Int32Type>()?.value(row)),
        DataType::Int64 => array.as_primitive_opt::<Int64Type>()?.value(row),
        DataType::Date32 => i64::from(array.as_primitive_opt::<Date32Type>()?.value(row)),
        DataType::Time32(_) => i64::from(
            array
                .as_primitive_opt::<Time32MillisecondType>()?
                .value(row),
        ),
        DataType::Timestamp(_, _) => array
            .as_primitive_opt::<TimestampMillisecondType>()?
            .value(row),
        _ => return None,
    })
}

/// Row `row` of a Float32 or Float64 column.
pub fn float_at(array: &dyn Array, row: usize) -> Option<f64> {
    match array.data_type() {
        DataType::Float32 => Some(f64::from(
            array.as_primitive_opt::<Float32Type>()?.value(row),
        )),
        DataType::Float64 => Some(array.as_primitive_opt::<Float64Type>()?.value(row)),
        _ => None,
    }
}

/// Row `row` of a string column (Utf8View or Utf8).
pub fn str_at(array: &dyn Array, row: usize) -> Option<&str> {
    match array.as_string_view_opt() {
        Some(strings) => Some(strings.value(row)),
        None => Some(array.as_string_opt::<i32>()?.value(row)),
    }
}

/// Row `row` of a binary column (BinaryView or Binary).
pub fn binary_at(array: &dyn Array, row: usize) -> Option<&[u8]> {
    match array.as_binary_view_opt() {
        Some(bytes) => Some(bytes.value(row)),
        None => Some(array.as_binary_opt::<i32>()?.value(row)),
    }
}

/// Row `row` of a string or binary column, as bytes.
pub fn bytes_at(array: &dyn Array, row: usize) -> Option<&[u8]> {
    str_at(array, row)
        .map(str::as_bytes)
        .or_else(|| binary_at(array, row))
}

/// The error for a column whose Arrow type is not the one its schema maps to (a defect of the
/// caller, reported rather than panicking).
pub fn unexpected_column(array: &dyn Array) -> ConnectError {
    ConnectError::data(format!(
        "Arrow column of type {} does not hold the schema's values",
        array.data_type()
    ))
}
