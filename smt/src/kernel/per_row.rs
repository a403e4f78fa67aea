//! The row-wise fallback: every row of a segment through a transform's reference, and the
//! output columns built back from the value trees. Used only where data does not fit a kernel's
//! columnar path.

use arrow_array::{Array, StructArray, UInt32Array};
use weir_formats::batch::Column;
use weir_formats::error::ConnectError;
use weir_formats::schema::SchemaRef;
use weir_formats::value::Value;
use weir_formats::value_array::{schemaless_shape_key, values_to_array};

use crate::kernel::arrow_build::arrow_failure;
use crate::kernel::segment_output::{assemble, part_of, side_column, RowOutcome};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::Side;

/// The per-row fallback: every row through the reference, the changed side rebuilt with
/// `values_to_array` per run of equal output schemas, the other side taken from the input. Used
/// only where the data does not fit a transform's columnar path (raw-JSON children it must look
/// inside, non-map schemaless data, error rows). Cost: a value tree per row.
pub(crate) fn per_row(
    input: &SegmentInput<'_>,
    side: Side,
    transform: &dyn Transform,
) -> SegmentOutput {
    let mut output = SegmentOutput::default();
    let mut kept: Vec<(u32, Option<SchemaRef>, Value)> = Vec::new();
    for (i, record) in input.records().into_iter().enumerate() {
        match transform.apply_record(record) {
            Ok(Some(record)) => {
                let (schema, value) = record.side(side);
                kept.push((i as u32, schema.cloned(), value.clone()));
            }
            Ok(None) => output.dropped.push(i as u32),
            Err(e) => output.errors.push((i as u32, e)),
        }
    }
    let n = input.rows.len();
    let mut start = 0;
    while start < kept.len() {
        let schema = kept[start].1.clone();
        let end = start
            + kept[start..]
                .iter()
                .take_while(|(_, s, _)| *s == schema)
                .count();
        push_rows(input, side, &kept[start..end], n, &mut output);
        start = end;
    }
    output.errors.sort_by_key(|(i, _)| *i);
    output
}

/// The schemaless path of a transform that needs a map (`requireMap`): `map` over `column` where
/// it holds the maps' columns; a column of nulls only passes every row unchanged; any other
/// column runs [`per_row`], where the reference fails each row that is not a map. Cost: a type
/// check, then the path's.
pub(crate) fn per_map_column(
    input: &SegmentInput<'_>,
    side: Side,
    transform: &dyn Transform,
    column: &Column,
    map: impl FnOnce(&StructArray) -> SegmentOutput,
) -> SegmentOutput {
    match column.data.as_any().downcast_ref::<StructArray>() {
        Some(array) => map(array),
        None if column.data.null_count() == column.data.len() => {
            SegmentOutput::all(input.rows.len(), input.key.clone(), input.value.clone())
        }
        None => per_row(input, side, transform),
    }
}

/// Builds the part(s) of `rows` (one output schema); where the values do not make one column,
/// row by row, and a row that makes no column fails with the reason.
fn push_rows(
    input: &SegmentInput<'_>,
    side: Side,
    rows: &[(u32, Option<SchemaRef>, Value)],
    n: usize,
    output: &mut SegmentOutput,
) {
    let schema = rows.first().and_then(|r| r.1.clone());
    let values: Vec<Value> = rows.iter().map(|r| r.2.clone()).collect();
    let indices: Vec<u32> = rows.iter().map(|r| r.0).collect();
    let part = values_to_array(schema.as_ref(), &values).and_then(|data| {
        let column = spread(
            Column {
                schema: schema.clone(),
                data,
            },
            &indices,
            n,
        )?;
        part_of(input, side, column, indices.clone())
    });
    match part {
        Ok(part) => output.parts.push(part),
        Err(e) if rows.len() == 1 => output.errors.push((rows[0].0, e)),
        Err(_) => rows
            .iter()
            .for_each(|r| push_rows(input, side, std::slice::from_ref(r), n, output)),
    }
}

/// `column` (one entry per `indices`) laid out over all `n` segment rows, so [`part_of`] can
/// pick the rows back. Cost: one take.
fn spread(column: Column, indices: &[u32], n: usize) -> Result<Column, ConnectError> {
    if indices.len() == n {
        return Ok(column);
    }
    let mut positions: Vec<Option<u32>> = vec![None; n];
    for (k, &i) in indices.iter().enumerate() {
        positions[i as usize] = Some(k as u32);
    }
    let take = UInt32Array::from(positions);
    let data =
        arrow_select::take::take(column.data.as_ref(), &take, None).map_err(arrow_failure)?;
    Ok(Column {
        schema: column.schema,
        data,
    })
}

/// The per-row fallback for schemaless results whose shape differs per row: every row through
/// the reference, grouped by the shape of its `side` (top-level class, and key set for maps),
/// one output part per shape. Used only where the data does not fit a transform's columnar path
/// (raw-JSON children it must look inside, non-map values). Cost: a value tree per row and one
/// column build per shape.
pub(crate) fn per_row_by_shape(
    input: &SegmentInput<'_>,
    side: Side,
    transform: &dyn Transform,
) -> SegmentOutput {
    regroup(input, side, |record| transform.apply_record(record))
}

/// The rows of a segment whose `side` holds [variant](weir_formats::variant) columns, regrouped
/// into parts without any (one per top-level key set and number kinds, as Kafka's maps would
/// differ), for a transform that does not read variants
/// ([`Transform::handles_variants`]). Rows whose values make no column fail with the reason.
/// Cost: a value tree per row and one column build per part.
pub fn lower_variants(input: &SegmentInput<'_>, side: Side) -> SegmentOutput {
    regroup(input, side, |record| Ok(Some(record)))
}

/// Every row through `apply`, its `side` grouped by shape (see [`per_row_by_shape`]).
fn regroup(
    input: &SegmentInput<'_>,
    side: Side,
    mut apply: impl FnMut(ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError>,
) -> SegmentOutput {
    let n = input.rows.len();
    let mut groups: Vec<(Option<SchemaRef>, Option<String>, Vec<Value>)> = Vec::new();
    let mut outcomes = Vec::with_capacity(n);
    let mut dropped = Vec::new();
    for (i, record) in input.records().into_iter().enumerate() {
        match apply(record) {
            Ok(Some(record)) => {
                let (schema, value) = record.side(side);
                let k = group_of(&mut groups, schema, value, n);
                groups[k].2[i] = value.clone();
                outcomes.push(RowOutcome::Part(k));
            }
            Ok(None) => {
                dropped.push(i as u32);
                outcomes.push(RowOutcome::Part(usize::MAX));
            }
            Err(e) => outcomes.push(RowOutcome::Failed(e)),
        }
    }
    let mut candidates = Vec::with_capacity(groups.len());
    for (k, (schema, _, values)) in groups.into_iter().enumerate() {
        match values_to_array(schema.as_ref(), &values) {
            Ok(data) => candidates.push(Column { schema, data }),
            Err(e) => {
                for outcome in outcomes.iter_mut() {
                    if matches!(outcome, RowOutcome::Part(g) if *g == k) {
                        *outcome = RowOutcome::Failed(e.clone());
                    }
                }
                candidates.push(side_column(input, side).clone());
            }
        }
    }
    let mut output = assemble(input, side, candidates, outcomes);
    // Dropped rows were marked with a group that does not exist; `assemble` reports them.
    output
        .errors
        .retain(|(i, _)| dropped.binary_search(i).is_err());
    output.dropped = dropped;
    output
}

/// The group (index) for a row's result; a null value joins any group of its schema.
fn group_of(
    groups: &mut Vec<(Option<SchemaRef>, Option<String>, Vec<Value>)>,
    schema: Option<&SchemaRef>,
    value: &Value,
    n: usize,
) -> usize {
    let shape = if schema.is_some() {
        Some(String::new())
    } else {
        schemaless_shape_key(value)
    };
    let found = groups.iter().position(|(s, k, _)| {
        s.as_ref() == schema && (shape.is_none() || k.is_none() || *k == shape)
    });
    match found {
        Some(k) => {
            if groups[k].1.is_none() {
                groups[k].1 = shape;
            }
            k
        }
        None => {
            groups.push((schema.cloned(), shape, vec![Value::Null; n]));
            groups.len() - 1
        }
    }
}
