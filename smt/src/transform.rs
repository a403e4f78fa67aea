//! The interface every transform implements: a vectorized kernel over a segment, and a plain
//! row-wise reference over one [`ConnectRecord`] (design §3). The kernel is what runs; the
//! reference is the oracle the kernel is tested against (and what `smtbench --verify` runs).

use std::fmt::Debug;

use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{BooleanArray, Int64Array};
use weir_formats::batch::{Column, Headers};
use weir_formats::error::ConnectError;
use weir_formats::value_array::value_at;

use crate::header_use::{HeaderNames, HeaderUse};
use crate::meta_column::MetaColumn;
use crate::record::ConnectRecord;
use crate::Side;

/// The partition of a record that has none: a transform's `newRecord(…, null, …)` leaves the
/// choice to the producer, and the output says `null`. Kafka's own marker for an unknown
/// partition (`RecordMetadata.UNKNOWN_PARTITION`); a consumed record never has it.
pub const NO_PARTITION: i32 = -1;

/// Batch-wide record metadata a transform may read and change for its rows.
#[derive(Debug, Clone)]
pub struct RecordMeta {
    /// Each batch row's topic, as an index into `topics`.
    pub topic_ids: Vec<u32>,
    /// The distinct topic names (transforms add new ones with [`RecordMeta::intern_topic`]).
    pub topics: Vec<String>,
    /// Each batch row's partition, null where it has none (read it with
    /// [`RecordMeta::partition`], write it with [`RecordMeta::set_partition`]).
    pub partitions: MetaColumn<Int32Type>,
    /// Each batch row's offset: the batch's own column (no transform changes an offset).
    pub offsets: Int64Array,
    /// Each batch row's timestamp in ms, null where it has none.
    pub timestamps: MetaColumn<Int64Type>,
    /// Each batch row's headers.
    pub headers: Headers,
}

impl RecordMeta {
    /// The index of topic `name`, adding it when new. Cost: a scan of the distinct topics.
    pub fn intern_topic(&mut self, name: &str) -> u32 {
        match self.topics.iter().position(|t| t == name) {
            Some(i) => i as u32,
            None => {
                self.topics.push(name.to_string());
                (self.topics.len() - 1) as u32
            }
        }
    }

    /// Batch row `row`'s topic.
    pub fn topic(&self, row: u32) -> &str {
        &self.topics[self.topic_ids[row as usize] as usize]
    }

    /// Batch row `row`'s partition, [`NO_PARTITION`] where it has none. Cost: a bit test and a
    /// load.
    pub fn partition(&self, row: usize) -> i32 {
        self.partitions.get(row).unwrap_or(NO_PARTITION)
    }

    /// Sets batch row `row`'s partition ([`NO_PARTITION`]: none). Cost: see [`MetaColumn::set`].
    pub fn set_partition(&mut self, row: usize, partition: i32) {
        self.partitions
            .set(row, (partition != NO_PARTITION).then_some(partition));
    }
}

/// The rows of one segment that a transform is applied to (all of which passed the step's
/// predicate), with the batch metadata.
#[derive(Debug)]
pub struct SegmentInput<'a> {
    /// The batch positions of the rows, ascending.
    pub rows: &'a [u32],
    /// Their keys.
    pub key: &'a Column,
    /// Their values.
    pub value: &'a Column,
    /// Metadata of the whole batch; index it with `rows[i]`. Changes are seen by later steps.
    pub meta: &'a mut RecordMeta,
}

impl SegmentInput<'_> {
    /// The segment's rows as records. Cost: a value tree per row — references and tests only.
    pub fn records(&self) -> Vec<ConnectRecord> {
        (0..self.rows.len()).map(|i| self.record(i)).collect()
    }

    /// Segment row `i` as a record. Cost: a value tree per side.
    pub fn record(&self, i: usize) -> ConnectRecord {
        let row = self.rows[i];
        ConnectRecord {
            topic: self.meta.topic(row).to_string(),
            partition: self.meta.partition(row as usize),
            offset: self.meta.offsets.value(row as usize),
            timestamp: self.meta.timestamps.get(row as usize),
            key_schema: self.key.schema.clone(),
            key: value_at(self.key.schema.as_ref(), self.key.data.as_ref(), i),
            value_schema: self.value.schema.clone(),
            value: value_at(self.value.schema.as_ref(), self.value.data.as_ref(), i),
            headers: self.meta.headers.row(row as usize).to_vec(),
        }
    }
}

/// Rows of a segment's output that share one key schema and one value schema.
#[derive(Debug, Clone)]
pub struct OutputPart {
    /// Indices into the input segment's rows (`SegmentInput::rows`), ascending.
    pub indices: Vec<u32>,
    /// Their keys.
    pub key: Column,
    /// Their values.
    pub value: Column,
}

/// What a transform made of a segment: every input row is in exactly one of `parts` (kept),
/// `dropped` (the transform returned null) or `errors` (the transform failed for that record).
#[derive(Debug, Clone, Default)]
pub struct SegmentOutput {
    /// The kept rows, by schema.
    pub parts: Vec<OutputPart>,
    /// Indices of rows the transform dropped.
    pub dropped: Vec<u32>,
    /// Indices of rows that failed, with Kafka's error.
    pub errors: Vec<(u32, ConnectError)>,
}

impl SegmentOutput {
    /// Every row kept, as one part of `key` and `value` (one entry per input row).
    pub fn all(rows: usize, key: Column, value: Column) -> SegmentOutput {
        SegmentOutput {
            parts: vec![OutputPart {
                indices: (0..rows as u32).collect(),
                key,
                value,
            }],
            ..SegmentOutput::default()
        }
    }

    /// Every row failed with the same error (a schema the transform cannot handle).
    pub fn all_failed(rows: usize, error: &ConnectError) -> SegmentOutput {
        SegmentOutput {
            errors: (0..rows as u32).map(|i| (i, error.clone())).collect(),
            ..SegmentOutput::default()
        }
    }
}

/// A single message transform, configured and validated once.
pub trait Transform: Send + Sync + Debug {
    /// Applies the transform to one segment. Cost: per-schema work once per call (implementations
    /// cache it per schema), per-row work over Arrow buffers.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput;

    /// The row-wise reference: the record after the transform, `Ok(None)` when the transform drops
    /// it (returns null), or Kafka's error.
    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError>;

    /// Whether the transform reads or changes the record's key (`Side::Key`) or value: where no
    /// step of a chain does, the engine may pass that side through as its input bytes. A
    /// transform that says no passes the side's column on untouched (moved, taken or filtered,
    /// never looked into). Default: yes, which is always safe.
    fn touches(&self, side: Side) -> bool {
        let _ = side;
        true
    }

    /// Whether [`Transform::apply`] takes segments whose touched sides hold
    /// [variant](weir_formats::variant) columns (schemaless fields some records lack, or numbers
    /// of both kinds) and answers for them as Kafka would. Where it says no, the engine first
    /// regroups such a segment into parts without variants
    /// ([`crate::kernel::per_row::lower_variants`]: a value tree per row). Default: no, which
    /// is always safe.
    fn handles_variants(&self) -> bool {
        false
    }

    /// Which headers the transform reads, changes and removes, by name: where a chain removes
    /// a header before any step reads it, the engine may leave it out of the batch at decode.
    /// Default: [`HeaderUse::ANY`], which is always safe.
    fn header_use(&self) -> HeaderUse {
        HeaderUse::ANY
    }
}

/// A predicate (`predicates.<alias>.type`), evaluated once per step into a mask.
pub trait Predicate: Send + Sync + Debug {
    /// Whether the predicate holds for each of `input.rows` (before `negate`), as a mask with one
    /// entry per row and no nulls; the engine selects rows with it by Arrow's filter kernels.
    /// Cost: per distinct topic or per row, as cheap as the predicate allows, one bit per row.
    fn test(&self, input: &SegmentInput<'_>) -> BooleanArray;

    /// The row-wise reference.
    fn test_record(&self, record: &ConnectRecord) -> bool;

    /// Whether the predicate reads the record's key or value (see [`Transform::touches`]).
    /// Default: yes.
    fn touches(&self, side: Side) -> bool {
        let _ = side;
        true
    }

    /// The headers the predicate reads (see [`Transform::header_use`]). Default:
    /// [`HeaderNames::Any`], which is always safe.
    fn headers_read(&self) -> HeaderNames {
        HeaderNames::Any
    }
}
