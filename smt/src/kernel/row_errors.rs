//! The rows a struct kernel failed: the struct rebuilt with them null, and the segment's output
//! assembled from each row's error (Cast, TimestampConverter).

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, StructArray};
use arrow_buffer::NullBuffer;
use arrow_schema::Fields;
use weir_formats::batch::Column;
use weir_formats::error::ConnectError;

use crate::kernel::arrow_build::{arrow_failure, struct_array};
use crate::kernel::segment_output::{assemble, replace_side, RowOutcome};
use crate::transform::{SegmentInput, SegmentOutput};
use crate::Side;

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

/// The output of a segment whose `side` becomes `candidates[0]` where a row has no error, and
/// `candidates[null_part]` where `array` (the side's column) is null; rows with an error fail.
/// Cost: one pass over the errors; when none failed and no null row goes elsewhere (the
/// common case), nothing per row beyond it (no outcome list: it was 0.6% of the Avro
/// benchmark chain's instructions, callgrind), else [`row_outcomes`] and [`assemble`].
pub(crate) fn assemble_rows(
    input: &SegmentInput<'_>,
    side: Side,
    mut candidates: Vec<Column>,
    array: &dyn Array,
    errors: Vec<Option<ConnectError>>,
    null_part: usize,
) -> SegmentOutput {
    let first_for_every_row = (null_part == 0 || array.logical_null_count() == 0)
        && errors.len() == input.rows.len()
        && errors.iter().all(Option::is_none);
    if first_for_every_row && !candidates.is_empty() {
        let first = candidates.swap_remove(0);
        return replace_side(input, side, first.schema, first.data);
    }
    assemble(
        input,
        side,
        candidates,
        row_outcomes(array, errors, null_part),
    )
}

/// Each row's outcome: failed, unchanged (part `null_part` for a null row), or part 0. Cost:
/// O(rows).
fn row_outcomes(
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
