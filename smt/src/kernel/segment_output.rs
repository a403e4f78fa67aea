//! A segment's output assembled from what became of each row: the changed side from one of
//! several candidate columns, the other side from the input, failed rows as errors.

use arrow_array::ArrayRef;
use arrow_array::{Array, UInt32Array};
use weir_formats::batch::Column;
use weir_formats::error::ConnectError;
use weir_formats::schema::SchemaRef;
use weir_formats::value::Value;
use weir_formats::value_array::value_at;

use crate::kernel::arrow_build::arrow_failure;
use crate::transform::{OutputPart, SegmentInput, SegmentOutput};
use crate::Side;

/// The column a `side` transform works on.
pub(crate) fn side_column<'a>(input: &'a SegmentInput<'_>, side: Side) -> &'a Column {
    match side {
        Side::Key => input.key,
        Side::Value => input.value,
    }
}

/// What became of one row of a segment.
#[derive(Debug, Clone)]
pub(crate) enum RowOutcome {
    /// Kept, with its `side` taken from candidate column `k`.
    Part(usize),
    /// Failed with Kafka's error.
    Failed(ConnectError),
}

/// The output of a segment whose rows each take their `side` from one of `candidates` (full
/// segment-length columns) or failed. Cost: one filter per candidate that is used by only some
/// rows (and of the other side), none when every row uses the same candidate; when that is the
/// first (no row failed, none sent elsewhere: the common case), one scan of the outcomes and no
/// grouping of rows (grouping them was 1.4% of the Avro benchmark chain's instructions,
/// callgrind).
pub(crate) fn assemble(
    input: &SegmentInput<'_>,
    side: Side,
    mut candidates: Vec<Column>,
    outcomes: Vec<RowOutcome>,
) -> SegmentOutput {
    let every_row_first = !outcomes.is_empty()
        && outcomes.len() == input.rows.len()
        && outcomes.iter().all(|o| matches!(o, RowOutcome::Part(0)));
    if every_row_first && !candidates.is_empty() {
        let first = candidates.swap_remove(0);
        return replace_side(input, side, first.schema, first.data);
    }
    let mut output = SegmentOutput::default();
    let mut groups: Vec<Vec<u32>> = vec![Vec::new(); candidates.len()];
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            RowOutcome::Part(k) if k < groups.len() => groups[k].push(i as u32),
            RowOutcome::Part(_) => output.errors.push((
                i as u32,
                ConnectError::data("no output column for this row"),
            )),
            RowOutcome::Failed(e) => output.errors.push((i as u32, e)),
        }
    }
    for (column, indices) in candidates.into_iter().zip(groups) {
        if indices.is_empty() {
            continue;
        }
        match part_of(input, side, column, indices.clone()) {
            Ok(part) => output.parts.push(part),
            Err(e) => output
                .errors
                .extend(indices.into_iter().map(|i| (i, e.clone()))),
        }
    }
    output.errors.sort_by_key(|(i, _)| *i);
    output
}

/// The part of rows `indices` (ascending) with `side` from `column` (segment-length) and the
/// other side from the input. Cost: one `take` of each side, none when every row is kept.
pub(crate) fn part_of(
    input: &SegmentInput<'_>,
    side: Side,
    column: Column,
    indices: Vec<u32>,
) -> Result<OutputPart, ConnectError> {
    let changed = if indices.len() == input.rows.len() {
        column
    } else {
        rows_of(&column, &indices)?
    };
    part_with(input, side, indices, changed)
}

/// Rows `indices` of `column`. Cost: one `take`.
fn rows_of(column: &Column, indices: &[u32]) -> Result<Column, ConnectError> {
    let take = UInt32Array::from(indices.to_vec());
    Ok(Column {
        schema: column.schema.clone(),
        data: arrow_select::take::take(column.data.as_ref(), &take, None).map_err(arrow_failure)?,
    })
}

/// A segment's output where every row kept, its `side` replaced by `schema` and `data`.
pub(crate) fn replace_side(
    input: &SegmentInput<'_>,
    side: Side,
    schema: Option<SchemaRef>,
    data: ArrayRef,
) -> SegmentOutput {
    let changed = Column { schema, data };
    let n = input.rows.len();
    match side {
        Side::Key => SegmentOutput::all(n, changed, input.value.clone()),
        Side::Value => SegmentOutput::all(n, input.key.clone(), changed),
    }
}

/// The output part of rows `indices` (ascending) whose `side` is `changed` (one entry per
/// index), the other side taken from the input. Cost: one `take` of the other side, none when
/// every row is kept.
pub(crate) fn part_with(
    input: &SegmentInput<'_>,
    side: Side,
    indices: Vec<u32>,
    changed: Column,
) -> Result<OutputPart, ConnectError> {
    let other = match side {
        Side::Key => input.value,
        Side::Value => input.key,
    };
    let kept = if indices.len() == input.rows.len() {
        other.clone()
    } else {
        rows_of(other, &indices)?
    };
    let (key, value) = match side {
        Side::Key => (changed, kept),
        Side::Value => (kept, changed),
    };
    Ok(OutputPart {
        indices,
        key,
        value,
    })
}

/// Every non-null row fails with `error(value)`; null rows (by logical nulls, so an all-null
/// `NullArray` counts) pass unchanged. Cost: one `take` of each side for the null rows and a
/// value tree per failing row (error paths only).
pub(crate) fn fail_non_null_rows(
    input: &SegmentInput<'_>,
    side: Side,
    error: impl Fn(&Value) -> ConnectError,
) -> SegmentOutput {
    let column = side_column(input, side);
    let nulls = column.data.logical_nulls();
    let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
    let mut output = SegmentOutput::default();
    let mut kept = Vec::new();
    for i in 0..input.rows.len() {
        if is_null(i) {
            kept.push(i as u32);
        } else {
            let value = value_at(column.schema.as_ref(), column.data.as_ref(), i);
            output.errors.push((i as u32, error(&value)));
        }
    }
    if kept.is_empty() {
        return output;
    }
    let part =
        rows_of(column, &kept).and_then(|changed| part_with(input, side, kept.clone(), changed));
    match part {
        Ok(part) => output.parts.push(part),
        Err(e) => output
            .errors
            .extend(kept.into_iter().map(|i| (i, e.clone()))),
    }
    output.errors.sort_by_key(|(i, _)| *i);
    output
}
