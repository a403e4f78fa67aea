//! Row bookkeeping the Schema Registry converters (Avro, Protobuf, JSON Schema) share around their
//! format-specific decode and encode loops.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, NullArray};
use arrow_buffer::Buffer;
use arrow_schema::DataType;

use crate::batch::Column;
use crate::column_builder::ColumnBuilder;
use crate::converter::{ConverterContext, Decoded, DecodedPart, Encoded};
use crate::error::ConnectError;
use crate::schema::SchemaRef;
use crate::value::Value;
use crate::value_array::{schemaless_shape_key, values_to_array};

/// A decode call's map from what picks a record's decoder (schema id, topic, message index) to
/// its group, with the last one used in front: a run of records of one schema and topic skips
/// the hash. Hashed with foldhash, seeded per map, because SipHash on every record of a
/// multi-topic batch cost 4% of a Protobuf decode (callgrind).
pub struct ReaderLookup<K, V> {
    by_key: HashMap<K, V, foldhash::fast::RandomState>,
    last: Option<(K, V)>,
}

impl<K, V> Default for ReaderLookup<K, V> {
    fn default() -> Self {
        ReaderLookup {
            by_key: HashMap::default(),
            last: None,
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> ReaderLookup<K, V> {
    /// The value for `key`, made by `make` the first time. Cost: a compare with the last key
    /// asked for; when it differs, a hash look-up and a clone of the key and value.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> V {
        if let Some((last, value)) = &self.last {
            if *last == key {
                return value.clone();
            }
        }
        let value = self.by_key.entry(key.clone()).or_insert_with(make).clone();
        self.last = Some((key, value.clone()));
        value
    }
}

/// Rows of one decode call that one compiled decoder (`D`: Avro's, Protobuf's) appended to one
/// column builder.
pub struct DecoderGroup<D> {
    /// The decoder.
    pub decoder: Arc<D>,
    /// The rows it decoded, ascending.
    pub rows: Vec<u32>,
    /// Their column, being built.
    pub builder: ColumnBuilder,
}

/// The index in `groups` of `decoder`'s group, opened the first time a decode call meets it, its
/// builder (of `data_type(decoder)`, the decoder's column type) sized for `rows`. Decoders are
/// compiled once per schema and matched by address. Cost: a scan of the call's groups (a
/// handful).
pub fn group_of<D>(
    groups: &mut Vec<DecoderGroup<D>>,
    decoder: Arc<D>,
    data_type: fn(&D) -> &DataType,
    rows: usize,
) -> usize {
    if let Some(at) = groups
        .iter()
        .position(|g| Arc::ptr_eq(&g.decoder, &decoder))
    {
        return at;
    }
    let builder = ColumnBuilder::with_capacity(data_type(&decoder), rows);
    groups.push(DecoderGroup {
        decoder,
        rows: Vec::new(),
        builder,
    });
    groups.len() - 1
}

/// Completes a decode whose rows went into `groups`: each group with rows becomes one part, its
/// column finished over `buffers` under the schema `schema_of` gives for its decoder; then
/// [`finish_decoded`]. Costs one `finish` per group.
pub fn finish_groups<D>(
    groups: Vec<DecoderGroup<D>>,
    schema_of: impl Fn(&D) -> SchemaRef,
    buffers: &Arc<[Buffer]>,
    null_rows: Vec<u32>,
    errors: Vec<(u32, ConnectError)>,
) -> Decoded {
    let parts = groups
        .into_iter()
        .filter(|g| !g.rows.is_empty())
        .map(|mut g| DecodedPart {
            column: Column {
                schema: Some(schema_of(&g.decoder)),
                data: g.builder.finish(buffers),
            },
            rows: g.rows,
        })
        .collect();
    finish_decoded(parts, null_rows, errors)
}

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

/// The parts of schemaless values a converter read one row at a time (`(row, value)`, rows
/// ascending, no null values: those belong with the null rows): rows grouped by
/// [`schemaless_shape_key`], each group one column built by [`values_to_array`]; a group whose
/// values still make no one column (they disagree further down) is built row by row, and a row
/// that makes none is returned with the reason. Cost: a column build per shape.
pub fn schemaless_parts(rows: Vec<(u32, Value)>) -> (Vec<DecodedPart>, Vec<(u32, ConnectError)>) {
    let mut groups: Vec<(Option<String>, Vec<u32>, Vec<Value>)> = Vec::new();
    for (row, value) in rows {
        let key = schemaless_shape_key(&value);
        match groups.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, rows, values)) => {
                rows.push(row);
                values.push(value);
            }
            None => groups.push((key, vec![row], vec![value])),
        }
    }
    let mut parts = Vec::with_capacity(groups.len());
    let mut errors = Vec::new();
    for (_, rows, values) in groups {
        push_schemaless(rows, &values, &mut parts, &mut errors);
    }
    (parts, errors)
}

/// One part of `values` at `rows`, or, where they make no column, one per row.
fn push_schemaless(
    rows: Vec<u32>,
    values: &[Value],
    parts: &mut Vec<DecodedPart>,
    errors: &mut Vec<(u32, ConnectError)>,
) {
    match values_to_array(None, values) {
        Ok(data) => parts.push(DecodedPart {
            rows,
            column: Column { schema: None, data },
        }),
        Err(e) if rows.len() == 1 => errors.push((rows[0], e)),
        Err(_) => {
            for (row, value) in rows.into_iter().zip(values) {
                push_schemaless(vec![row], std::slice::from_ref(value), parts, errors);
            }
        }
    }
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

/// Encodes the rows of a column with a Connect schema: null rows stay null; every other row is
/// written by `write(writer, row, out)` into a buffer that starts empty, with the writer that
/// `writer_for(topic)` gives — asked once per distinct topic (the subject, the id and the
/// compiled encoder depend on it). A writer that could not be had fails each of its topic's rows
/// with its error. Costs an index into the writers by topic id per row besides the writes.
pub fn encode_per_topic<W>(
    column: &Column,
    context: &ConverterContext<'_>,
    out: &mut Encoded,
    mut writer_for: impl FnMut(&str) -> Result<W, ConnectError>,
    mut write: impl FnMut(&W, usize, &mut Vec<u8>) -> Result<(), ConnectError>,
) {
    // By topic id: the ids are the batch's dense dictionary indexes.
    let mut writers: Vec<Option<Result<W, ConnectError>>> = Vec::new();
    // Logical nulls: a schemaless column of nulls only is a NullArray, which has no null buffer.
    let nulls = column.data.logical_nulls();
    for row in 0..column.data.len() {
        if nulls.as_ref().is_some_and(|n| n.is_null(row)) {
            out.push_null();
            continue;
        }
        let topic = context.topic_id(row) as usize;
        if topic >= writers.len() {
            writers.resize_with(topic + 1, || None);
        }
        let writer = writers[topic].get_or_insert_with(|| writer_for(context.topic(row)));
        match writer {
            Err(e) => {
                out.begin_row();
                out.fail_row(e.clone());
            }
            Ok(writer) => match write(writer, row, out.begin_row()) {
                Ok(()) => out.end_row(),
                Err(e) => out.fail_row(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each key's value is made once, whether it is asked for again at once (the last one) or
    /// after others (the map).
    #[test]
    fn a_reader_is_made_once_per_key() {
        let mut lookup: ReaderLookup<(i32, u32), usize> = ReaderLookup::default();
        let mut made = Vec::new();
        for key in [(1, 0), (1, 0), (2, 0), (1, 0), (1, 1), (2, 0), (2, 0)] {
            let value = lookup.get_or_insert_with(key, || {
                made.push(key);
                made.len()
            });
            let first = made.iter().position(|&k| k == key).unwrap() + 1;
            assert_eq!(value, first, "{key:?}");
        }
        assert_eq!(made, vec![(1, 0), (2, 0), (1, 1)]);
    }
}
