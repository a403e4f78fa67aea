//! The rows a struct kernel failed: the struct rebuilt with them null, and each row's outcome
//! for [`assemble`](crate::kernel::segment_output::assemble) (Cast, TimestampConverter).

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, StructArray};
use arrow_buffer::NullBuffer;
use arrow_schema::Fields;
use weir_formats::error::ConnectError;

use crate::kernel::arrow_build::{arrow_failure, struct_array};
use crate::kernel::segment_output::RowOutcome;

/// The struct of `children` with `array`'s nulls, and failed rows null too (so a required
/// child's placeholder null there is masked). Cost: one validity bitmap when a row failed.
pub(crate) fn rebuild_struct(
    array: &StructArray,
    fields: Fields,
    children: Vec<ArrayRef>,
    errors: &[Option<ConnectError>],
) -> Result<ArrayRef, ConnectError> {
    let nulls = if errors.iter().any(Option::is_some) {
        let valid = (0..array.len()).map(|i| array.is_valid(i) && errors[i].is_none());
        Some(NullBuffer::from_iter(valid))
    } else {
        array.nulls().cloned()
    };
    let built = struct_array(fields, children, nulls, array.len()).map_err(arrow_failure)?;
    Ok(Arc::new(built))
}

/// Each row's outcome: failed, unchanged (part `null_part` for a null row), or part 0. Cost:
/// O(rows).
pub(crate) fn row_outcomes(
    array: &dyn Array,
    errors: Vec<Option<ConnectError>>,
    null_part: usize,
) -> Vec<RowOutcome> {
    let nulls = array.logical_nulls();
    errors
        .into_iter()
        .enumerate()
        .map(|(i, error)| match error {
            Some(e) => RowOutcome::Failed(e),
            None if nulls.as_ref().is_some_and(|b| b.is_null(i)) => RowOutcome::Part(null_part),
            None => RowOutcome::Part(0),
        })
        .collect()
}
