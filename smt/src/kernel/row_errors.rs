//! The rows a struct kernel failed: the struct rebuilt with them null, and the segment's output
//! assembled from each row's error (Cast, TimestampConverter, ValueToKey).

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

/// Each row's error (at most one) of a column of `len` rows, with room for them made at the
/// first failure: while no row fails, nothing a row. (A dense `Option<ConnectError>` is 56 bytes
/// a row: made and read per transform per 10,000-row batch, those 560 KB were 6% of the Avro
/// benchmark chain's simulated last-level cache misses.)
#[derive(Debug)]
pub(crate) struct RowErrors {
    len: usize,
    /// Empty until a row fails, then one slot a row.
    by_row: Vec<Option<ConnectError>>,
}

impl RowErrors {
    /// No errors yet, for `len` rows.
    pub(crate) fn new(len: usize) -> RowErrors {
        RowErrors {
            len,
            by_row: Vec::new(),
        }
    }

    /// The errors of `failed` (row, error) for `len` rows; a later error of a row replaces an
    /// earlier one, and rows past `len` are ignored.
    pub(crate) fn from_failed(len: usize, failed: Vec<(usize, ConnectError)>) -> RowErrors {
        let mut errors = RowErrors::new(len);
        for (row, error) in failed {
            errors.set(row, error);
        }
        errors
    }

    /// How many rows there are.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether any row failed.
    pub(crate) fn any(&self) -> bool {
        !self.by_row.is_empty()
    }

    /// Row `row`'s error, if it failed.
    pub(crate) fn get(&self, row: usize) -> Option<&ConnectError> {
        self.by_row.get(row)?.as_ref()
    }

    /// Makes `error` row `row`'s error, replacing any (nothing for a row past the end).
    pub(crate) fn set(&mut self, row: usize, error: ConnectError) {
        if let Some(slot) = self.slot(row) {
            *slot = Some(error);
        }
    }

    /// Makes `error` row `row`'s error unless it has one already.
    pub(crate) fn keep_first(&mut self, row: usize, error: ConnectError) {
        if let Some(slot) = self.slot(row) {
            slot.get_or_insert(error);
        }
    }

    /// The failed rows and their errors, in row order.
    pub(crate) fn into_failed(self) -> impl Iterator<Item = (usize, ConnectError)> {
        let by_row = self.by_row.into_iter().enumerate();
        by_row.filter_map(|(row, error)| Some((row, error?)))
    }

    /// Each row's error or `None`, in row order.
    fn into_rows(self) -> impl Iterator<Item = Option<ConnectError>> {
        let mut by_row = self.by_row.into_iter();
        (0..self.len).map(move |_| by_row.next().flatten())
    }

    fn slot(&mut self, row: usize) -> Option<&mut Option<ConnectError>> {
        if row >= self.len {
            return None;
        }
        if self.by_row.is_empty() {
            self.by_row.resize(self.len, None);
        }
        self.by_row.get_mut(row)
    }
}

/// The struct of `children` with `array`'s nulls, and failed rows null too (so a required
/// child's placeholder null there is masked). Cost: one validity bitmap when a row failed.
pub(crate) fn rebuild_struct(
    array: &StructArray,
    fields: Fields,
    children: Vec<ArrayRef>,
    errors: &RowErrors,
) -> Result<ArrayRef, ConnectError> {
    let nulls = if errors.any() {
        let valid = (0..array.len()).map(|i| array.is_valid(i) && errors.get(i).is_none());
        Some(NullBuffer::from_iter(valid))
    } else {
        array.nulls().cloned()
    };
    let built = struct_array(fields, children, nulls, array.len()).map_err(arrow_failure)?;
    Ok(Arc::new(built))
}

/// The output of a segment whose `side` becomes `candidates[0]` where a row has no error, and
/// `candidates[null_part]` where `array` (the side's column) is null; rows with an error fail.
/// Cost: when no row failed and no null row goes elsewhere (the common case), nothing per row
/// (no outcome list: it was 0.6% of the Avro benchmark chain's instructions, callgrind), else
/// [`row_outcomes`] and [`assemble`].
pub(crate) fn assemble_rows(
    input: &SegmentInput<'_>,
    side: Side,
    mut candidates: Vec<Column>,
    array: &dyn Array,
    errors: RowErrors,
    null_part: usize,
) -> SegmentOutput {
    let first_for_every_row = (null_part == 0 || array.logical_null_count() == 0)
        && errors.len() == input.rows.len()
        && !errors.any();
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
fn row_outcomes(array: &dyn Array, errors: RowErrors, null_part: usize) -> Vec<RowOutcome> {
    let nulls = array.logical_nulls();
    errors
        .into_rows()
        .enumerate()
        .map(|(i, error)| match error {
            Some(e) => RowOutcome::Failed(e),
            None if nulls.as_ref().is_some_and(|b| b.is_null(i)) => RowOutcome::Part(null_part),
            None => RowOutcome::Part(0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> ConnectError {
        ConnectError::data(text)
    }

    #[test]
    fn row_errors_hold_nothing_until_a_row_fails() {
        let mut errors = RowErrors::new(3);
        errors.set(3, error("past the end"));
        assert!(!errors.any());
        assert_eq!(errors.into_rows().count(), 3);
    }

    #[test]
    fn set_replaces_and_keep_first_keeps() {
        let mut errors = RowErrors::new(4);
        errors.set(2, error("a"));
        errors.set(2, error("b"));
        errors.keep_first(0, error("c"));
        errors.keep_first(0, error("d"));
        assert!(errors.any());
        assert_eq!(errors.get(1), None);
        assert_eq!(errors.get(2).map(|e| e.message.as_str()), Some("b"));
        let rows: Vec<Option<String>> = errors.into_rows().map(|e| e.map(|e| e.message)).collect();
        assert_eq!(rows, [Some("c".into()), None, Some("b".into()), None]);
    }

    #[test]
    fn from_failed_gives_the_failed_rows_back_in_order() {
        let failed = vec![(3, error("x")), (1, error("y")), (9, error("gone"))];
        let errors = RowErrors::from_failed(5, failed);
        let back: Vec<(usize, String)> =
            errors.into_failed().map(|(i, e)| (i, e.message)).collect();
        assert_eq!(back, [(1, "y".to_string()), (3, "x".to_string())]);
    }
}
