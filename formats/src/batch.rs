//! `ConnectBatch`: decoded records as Arrow columns (design §2).
//!
//! Metadata columns cover every row of the batch; keys and values live in [`Segment`]s, each a run
//! of rows (not necessarily adjacent) that share one key schema and one value schema. A
//! [`Column`] is one side (key or value) of a segment: its Connect schema (`None` for schemaless
//! data, whose Arrow type then describes the inferred shape) and one Arrow array with a row per
//! segment row. A null row is a null key or value (a tombstone when the value is null).

use std::sync::Arc;

use arrow_array::{ArrayRef, Int32Array, Int64Array};

use crate::schema::SchemaRef;
use crate::value::Value;

/// One side (key or value) of a segment.
#[derive(Debug, Clone)]
pub struct Column {
    /// The Connect schema, or `None` for schemaless data.
    pub schema: Option<SchemaRef>,
    /// One entry per segment row.
    pub data: ArrayRef,
}

/// Rows of a batch that share a key schema and a value schema.
#[derive(Debug, Clone)]
pub struct Segment {
    /// The batch positions of this segment's rows, ascending.
    pub rows: Vec<u32>,
    /// The keys, one per row.
    pub key: Column,
    /// The values, one per row.
    pub value: Column,
}

/// A header after the header converter read it: its name and typed Connect value.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The header name (shared: a batch's headers repeat a few names).
    pub name: Arc<str>,
    /// The schema the header converter gave the value (`None`: schemaless or null).
    pub schema: Option<SchemaRef>,
    /// The value.
    pub value: Value,
}

/// Every row's headers, flattened: row `i` owns `entries[ends[i-1]..ends[i]]`.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    ends: Vec<u32>,
    entries: Vec<Header>,
}

impl Headers {
    /// Appends the headers of the next row.
    pub fn push_row(&mut self, headers: impl IntoIterator<Item = Header>) {
        self.entries.extend(headers);
        self.ends.push(self.entries.len() as u32);
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Where row `row`'s headers are among all headers of the batch (see [`Headers::all`]).
    pub fn range(&self, row: usize) -> std::ops::Range<usize> {
        let start = if row == 0 {
            0
        } else {
            self.ends[row - 1] as usize
        };
        start..self.ends[row] as usize
    }

    /// Every row's headers, back to back.
    pub fn all(&self) -> &[Header] {
        &self.entries
    }

    /// Row `row`'s headers in order.
    pub fn row(&self, row: usize) -> &[Header] {
        &self.entries[self.range(row)]
    }

    /// Row `row`'s headers, to edit in place.
    pub fn row_mut(&mut self, row: usize) -> &mut [Header] {
        let range = self.range(row);
        &mut self.entries[range]
    }

    /// Rebuilds the header lists of `rows` (batch positions, ascending; others are ignored) with
    /// `edit`, which gets each such row's position and its headers to add to, remove from or
    /// reorder; every other row keeps its own. The header transforms (InsertHeader, DropHeaders,
    /// HeaderFrom) change the rows they are applied to through this.
    ///
    /// Cost: one pass moving every header of the batch once (no clone), plus `edit`; one scratch
    /// list reused across rows.
    pub fn edit_rows(&mut self, rows: &[u32], mut edit: impl FnMut(usize, &mut Vec<Header>)) {
        let mut old = std::mem::take(&mut self.entries).into_iter();
        let mut ends = Vec::with_capacity(self.ends.len());
        let mut scratch = Vec::new();
        let mut targets = rows.iter().copied().peekable();
        let mut start = 0;
        for (row, &end) in self.ends.iter().enumerate() {
            let count = (end - start) as usize;
            start = end;
            while targets.next_if(|&t| (t as usize) < row).is_some() {}
            if targets.next_if(|&t| t as usize == row).is_some() {
                scratch.clear();
                scratch.extend(old.by_ref().take(count));
                edit(row, &mut scratch);
                self.entries.append(&mut scratch);
            } else {
                self.entries.extend(old.by_ref().take(count));
            }
            ends.push(self.entries.len() as u32);
        }
        self.ends = ends;
    }
}

/// A decoded batch: metadata columns for all rows, keys and values by segment.
#[derive(Debug, Clone)]
pub struct ConnectBatch {
    /// Each row's topic, as an index into `topics`.
    pub topic_ids: Vec<u32>,
    /// The distinct topic names: topic-level work runs over these, not over rows.
    pub topics: Vec<String>,
    /// Each row's partition.
    pub partition: Int32Array,
    /// Each row's offset.
    pub offset: Int64Array,
    /// Each row's timestamp in ms (null when the record has none).
    pub timestamp: Int64Array,
    /// Each row's headers.
    pub headers: Headers,
    /// The key/value segments; together they cover every row that decoded.
    pub segments: Vec<Segment>,
}

impl ConnectBatch {
    /// The number of rows (including rows that failed to decode and are in no segment).
    pub fn len(&self) -> usize {
        self.offset.len()
    }

    /// Whether the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.offset.is_empty()
    }

    /// Row `row`'s topic name.
    pub fn topic(&self, row: usize) -> &str {
        &self.topics[self.topic_ids[row] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str) -> Header {
        Header {
            name: name.into(),
            schema: None,
            value: Value::Null,
        }
    }

    fn names(headers: &Headers, row: usize) -> Vec<String> {
        headers
            .row(row)
            .iter()
            .map(|h| h.name.to_string())
            .collect()
    }

    #[test]
    fn edit_rows_changes_only_the_given_rows() {
        let mut headers = Headers::default();
        headers.push_row([header("a"), header("b")]);
        headers.push_row([]);
        headers.push_row([header("c")]);
        headers.edit_rows(&[1, 2, 7], |row, list| {
            list.retain(|h| &*h.name != "c");
            list.push(header(&format!("new{row}")));
        });
        assert_eq!(names(&headers, 0), ["a", "b"]);
        assert_eq!(names(&headers, 1), ["new1"]);
        assert_eq!(names(&headers, 2), ["new2"]);
        assert_eq!(headers.len(), 3);
    }
}
