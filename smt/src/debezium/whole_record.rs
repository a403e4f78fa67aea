//! The per-row path of transforms that rewrite a whole record (topic, partition, timestamp, key,
//! value and headers at once, like the outbox routers): each row through the transform's
//! row-wise reference, the results grouped into one output part per (key schema, value schema).
//! Kernels use it only for rows whose output schema is decided per row (a JSON payload expanded
//! into a struct, a per-row schema version) or that fail.

use arrow_array::Array;
use weir_formats::batch::Column;
use weir_formats::error::ConnectError;
use weir_formats::schema::SchemaRef;
use weir_formats::value::Value;
use weir_formats::value_array::values_to_array;

use crate::kernel::per_row::per_row;
use crate::record::ConnectRecord;
use crate::transform::{OutputPart, SegmentInput, SegmentOutput, Transform};
use crate::Side;

/// Whether row `i` of `array` is null (a `NullArray`, the column of an all-null schemaless side,
/// has no validity buffer but every row is null).
pub fn is_null_at(array: &dyn Array, i: usize) -> bool {
    array.data_type() == &arrow_schema::DataType::Null || array.is_null(i)
}

/// One output group: its schemas, its segment indices and their keys and values.
struct Group {
    key_schema: Option<SchemaRef>,
    value_schema: Option<SchemaRef>,
    indices: Vec<u32>,
    keys: Vec<Value>,
    values: Vec<Value>,
}

/// Runs `apply` on the segment rows `indices` (ascending) and adds their outcomes to `output`:
/// kept records go into parts by schema, with their topic, partition, timestamp and headers
/// written to the batch metadata. Cost: a value tree per row, one column build per group.
pub fn apply_rows(
    input: &mut SegmentInput<'_>,
    indices: &[u32],
    apply: impl Fn(ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError>,
    output: &mut SegmentOutput,
) {
    let mut groups: Vec<Group> = Vec::new();
    let mut kept_rows = Vec::new();
    let mut kept_headers = Vec::new();
    for &i in indices {
        match apply(input.record(i as usize)) {
            Ok(None) => output.dropped.push(i),
            Err(e) => output.errors.push((i, e)),
            Ok(Some(record)) => {
                let row = input.rows[i as usize] as usize;
                let id = input.meta.intern_topic(&record.topic);
                input.meta.topic_ids[row] = id;
                input.meta.set_partition(row, record.partition);
                input.meta.timestamps.set(row, record.timestamp);
                kept_rows.push(row as u32);
                kept_headers.push(record.headers);
                let g = match groups.iter().position(|g| {
                    g.key_schema == record.key_schema && g.value_schema == record.value_schema
                }) {
                    Some(g) => g,
                    None => {
                        groups.push(Group {
                            key_schema: record.key_schema.clone(),
                            value_schema: record.value_schema.clone(),
                            indices: Vec::new(),
                            keys: Vec::new(),
                            values: Vec::new(),
                        });
                        groups.len() - 1
                    }
                };
                groups[g].indices.push(i);
                groups[g].keys.push(record.key);
                groups[g].values.push(record.value);
            }
        }
    }
    let mut headers = kept_headers.into_iter();
    input
        .meta
        .headers
        .edit_rows(&kept_rows, |_, h| *h = headers.next().unwrap_or_default());
    for group in groups {
        let columns = values_to_array(group.key_schema.as_ref(), &group.keys).and_then(|key| {
            values_to_array(group.value_schema.as_ref(), &group.values).map(|value| (key, value))
        });
        match columns {
            Ok((key, value)) => output.parts.push(OutputPart {
                indices: group.indices,
                key: Column {
                    schema: group.key_schema,
                    data: key,
                },
                value: Column {
                    schema: group.value_schema,
                    data: value,
                },
            }),
            Err(e) => output
                .errors
                .extend(group.indices.into_iter().map(|i| (i, e.clone()))),
        }
    }
}

/// The per-row fallback of a transform whose reference changes the value and the headers (but
/// not topic, partition, timestamp or key): every row through the reference, the value side
/// rebuilt per run of equal output schemas (`per_row`) and each kept row's headers replaced by
/// the reference's. Cost: two value trees per row (the reference runs twice).
pub fn apply_rows_with_headers(
    input: SegmentInput<'_>,
    transform: &dyn Transform,
) -> SegmentOutput {
    let records = input.records();
    let output = per_row(&input, Side::Value, transform);
    let mut rows = Vec::new();
    let mut updates = Vec::new();
    for (i, record) in records.into_iter().enumerate() {
        if let Ok(Some(r)) = transform.apply_record(record) {
            rows.push(input.rows[i]);
            updates.push(r.headers);
        }
    }
    let mut updates = updates.into_iter();
    input
        .meta
        .headers
        .edit_rows(&rows, |_, h| *h = updates.next().unwrap_or_default());
    output
}

/// Pushes the part of rows `indices` with columns `key` and `value`, or, where either could not
/// be built, each of those rows' failure. Cost: none beyond the columns.
pub fn push_part(
    output: &mut SegmentOutput,
    key: Result<Column, ConnectError>,
    value: Result<Column, ConnectError>,
    indices: Vec<u32>,
) {
    match (key, value) {
        (Ok(key), Ok(value)) => output.parts.push(OutputPart {
            indices,
            key,
            value,
        }),
        (Err(e), _) | (_, Err(e)) => output
            .errors
            .extend(indices.into_iter().map(|i| (i, e.clone()))),
    }
}

/// Sorts the dropped and failed indices of `output` (parts are ascending by construction when
/// each part's indices are pushed in order).
pub fn finish(mut output: SegmentOutput) -> SegmentOutput {
    output.dropped.sort_unstable();
    output.errors.sort_by_key(|(i, _)| *i);
    output
}
