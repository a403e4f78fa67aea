//! `RawBatch`: records as Kafka hands them over — one contiguous byte buffer holding every key,
//! value, header name and header value, with per-record slots into it, plus topic, partition,
//! offset and timestamp columns. It is both what a [`Pipeline`](../../weir_engine) reads and what
//! it writes.

use std::sync::Arc;

use crate::error::ConnectError;

/// A byte range inside a [`RawBatch`]'s buffer, or null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    start: u32,
    len: u32,
}

impl Slot {
    /// The null slot (a null key, a tombstone value, a null header value).
    pub const NULL: Slot = Slot {
        start: 0,
        len: u32::MAX,
    };

    /// Whether this slot is null.
    pub fn is_null(self) -> bool {
        self.len == u32::MAX
    }

    /// The byte range in the batch's buffer, or `None` for the null slot.
    pub fn range(self) -> Option<std::ops::Range<u32>> {
        (!self.is_null()).then(|| self.start..self.start + self.len)
    }
}

/// One header as stored: its name and its value slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RawHeader {
    name: Slot,
    value: Slot,
}

/// One record borrowed from a [`RawBatch`], or given to [`RawBatchBuilder::push`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord<'a> {
    /// The topic name.
    pub topic: &'a str,
    /// The partition (`None`: none chosen, as a transform's `newRecord` with a null partition
    /// leaves it to the producer).
    pub partition: Option<i32>,
    /// The offset within the partition.
    pub offset: i64,
    /// The record timestamp in ms (CreateTime), if any.
    pub timestamp: Option<i64>,
    /// The key bytes, or null.
    pub key: Option<&'a [u8]>,
    /// The value bytes, or null (a tombstone).
    pub value: Option<&'a [u8]>,
    /// Headers in order: name and value bytes (or null).
    pub headers: Vec<(&'a str, Option<&'a [u8]>)>,
}

/// A batch of raw records in one buffer. Cheap to clone (the buffer is shared).
#[derive(Debug, Clone, Default)]
pub struct RawBatch {
    bytes: Arc<Vec<u8>>,
    topics: Vec<String>,
    topic_ids: Vec<u32>,
    partitions: Vec<Option<i32>>,
    offsets: Vec<i64>,
    timestamps: Vec<Option<i64>>,
    keys: Vec<Slot>,
    values: Vec<Slot>,
    header_ends: Vec<u32>,
    headers: Vec<RawHeader>,
}

impl RawBatch {
    /// The number of records.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// Whether the batch has no records.
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// The shared buffer every slot points into.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The shared buffer, for views that outlive this batch. Cost: an `Arc` clone.
    pub fn shared_bytes(&self) -> Arc<Vec<u8>> {
        Arc::clone(&self.bytes)
    }

    /// The bytes of `slot`, or `None` for the null slot.
    pub fn slot_bytes(&self, slot: Slot) -> Option<&[u8]> {
        if slot.is_null() {
            return None;
        }
        let start = slot.start as usize;
        Some(&self.bytes[start..start + slot.len as usize])
    }

    /// The distinct topic names, indexed by [`RawBatch::topic_id`].
    pub fn topics(&self) -> &[String] {
        &self.topics
    }

    /// Every record's topic as an index into [`RawBatch::topics`].
    pub fn topic_ids(&self) -> &[u32] {
        &self.topic_ids
    }

    /// Record `row`'s topic as an index into [`RawBatch::topics`].
    pub fn topic_id(&self, row: usize) -> u32 {
        self.topic_ids[row]
    }

    /// Record `row`'s topic.
    pub fn topic(&self, row: usize) -> &str {
        &self.topics[self.topic_ids[row] as usize]
    }

    /// Record `row`'s partition.
    pub fn partition(&self, row: usize) -> Option<i32> {
        self.partitions[row]
    }

    /// Record `row`'s offset.
    pub fn offset(&self, row: usize) -> i64 {
        self.offsets[row]
    }

    /// Record `row`'s timestamp.
    pub fn timestamp(&self, row: usize) -> Option<i64> {
        self.timestamps[row]
    }

    /// Record `row`'s key slot.
    pub fn key_slot(&self, row: usize) -> Slot {
        self.keys[row]
    }

    /// Record `row`'s value slot.
    pub fn value_slot(&self, row: usize) -> Slot {
        self.values[row]
    }

    /// Record `row`'s key bytes.
    pub fn key(&self, row: usize) -> Option<&[u8]> {
        self.slot_bytes(self.keys[row])
    }

    /// Record `row`'s value bytes.
    pub fn value(&self, row: usize) -> Option<&[u8]> {
        self.slot_bytes(self.values[row])
    }

    /// Record `row`'s headers: name and value bytes. Names are UTF-8 by construction.
    pub fn headers(&self, row: usize) -> impl Iterator<Item = (&str, Option<&[u8]>)> + '_ {
        self.header_slots(row)
            .map(move |(name, _, value)| (name, self.slot_bytes(value)))
    }

    /// Row `row`'s headers in order: the name, and the name's and the value's slots in
    /// [`RawBatch::shared_bytes`].
    pub fn header_slots(&self, row: usize) -> impl Iterator<Item = (&str, Slot, Slot)> + '_ {
        let start = if row == 0 {
            0
        } else {
            self.header_ends[row - 1] as usize
        };
        let end = self.header_ends[row] as usize;
        self.headers[start..end].iter().map(move |h| {
            let name = self.slot_bytes(h.name).unwrap_or_default();
            // Names were pushed as &str, so this cannot fail; an empty name is the fallback.
            (
                std::str::from_utf8(name).unwrap_or_default(),
                h.name,
                h.value,
            )
        })
    }

    /// Record `row` as a borrowed [`RawRecord`]. Allocates the header list.
    pub fn record(&self, row: usize) -> RawRecord<'_> {
        RawRecord {
            topic: self.topic(row),
            partition: self.partition(row),
            offset: self.offset(row),
            timestamp: self.timestamp(row),
            key: self.key(row),
            value: self.value(row),
            headers: self.headers(row).collect(),
        }
    }

    /// Every record in order.
    pub fn records(&self) -> impl Iterator<Item = RawRecord<'_>> + '_ {
        (0..self.len()).map(|row| self.record(row))
    }
}

/// Builds a [`RawBatch`] record by record; bytes are copied once into the shared buffer.
#[derive(Debug, Default)]
pub struct RawBatchBuilder {
    batch: RawBatch,
    bytes: Vec<u8>,
}

impl RawBatchBuilder {
    /// An empty builder.
    pub fn new() -> RawBatchBuilder {
        RawBatchBuilder::default()
    }

    /// An empty builder with room for `records` records and `bytes` bytes.
    pub fn with_capacity(records: usize, bytes: usize) -> RawBatchBuilder {
        let mut builder = RawBatchBuilder::default();
        builder.bytes.reserve(bytes);
        builder.batch.offsets.reserve(records);
        builder
    }

    /// Bytes pushed so far: a batch is limited to 4 GiB (slots are 32-bit).
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    fn push_bytes(&mut self, bytes: Option<&[u8]>) -> Slot {
        match bytes {
            None => Slot::NULL,
            Some(b) => {
                let start = self.bytes.len() as u32;
                self.bytes.extend_from_slice(b);
                Slot {
                    start,
                    len: b.len() as u32,
                }
            }
        }
    }

    fn topic_id(&mut self, topic: &str) -> u32 {
        // Batches hold a handful of topics; a linear search beats hashing here.
        match self.batch.topics.iter().position(|t| t == topic) {
            Some(i) => i as u32,
            None => {
                self.batch.topics.push(topic.to_string());
                (self.batch.topics.len() - 1) as u32
            }
        }
    }

    /// The bytes `record` would add to the batch buffer.
    pub fn record_bytes(record: &RawRecord<'_>) -> usize {
        let part = |b: Option<&[u8]>| b.map_or(0, <[u8]>::len);
        part(record.key)
            + part(record.value)
            + record
                .headers
                .iter()
                .map(|(name, value)| name.len() + part(*value))
                .sum::<usize>()
    }

    /// Appends one record, copying its bytes, or refuses it (leaving the builder as it was) when
    /// the batch could no longer address it: slots and header ends are 32-bit, so a batch holds
    /// at most 4 GiB of bytes and 2^32 headers. Callers cut batches before that; this is the
    /// guard for input whose size they do not control. Cost: one pass over the header list.
    pub fn try_push(&mut self, record: &RawRecord<'_>) -> Result<(), ConnectError> {
        self.check_room(record, u32::MAX as usize)?;
        self.push(record);
        Ok(())
    }

    /// Whether `record` fits with at most `limit` bytes and `limit` headers in the batch.
    fn check_room(&self, record: &RawRecord<'_>, limit: usize) -> Result<(), ConnectError> {
        let bytes = self.bytes.len() + Self::record_bytes(record);
        let headers = self.batch.headers.len() + record.headers.len();
        if bytes > limit || headers > limit {
            return Err(ConnectError::data(format!(
                "record at offset {} of {}-{} does not fit in the batch: a batch addresses at \
                 most {limit} bytes and {limit} headers (it would hold {bytes} bytes and \
                 {headers} headers)",
                record.offset,
                record.topic,
                record
                    .partition
                    .map_or_else(|| "null".to_string(), |p| p.to_string())
            )));
        }
        Ok(())
    }

    /// Appends one record, copying its bytes. The batch must stay within 4 GiB and 2^32
    /// headers ([`RawBatchBuilder::try_push`] checks; callers of this one keep batches small).
    pub fn push(&mut self, record: &RawRecord<'_>) {
        self.push_parts(
            record.topic,
            record.partition,
            record.offset,
            record.timestamp,
            record.key,
            record.value,
            record.headers.iter().copied(),
        );
    }

    /// Appends one record from its parts, copying its bytes (no header list needed).
    #[allow(clippy::too_many_arguments)]
    pub fn push_parts<'h>(
        &mut self,
        topic: &str,
        partition: impl Into<Option<i32>>,
        offset: i64,
        timestamp: Option<i64>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: impl IntoIterator<Item = (&'h str, Option<&'h [u8]>)>,
    ) {
        let topic_id = self.topic_id(topic);
        self.batch.topic_ids.push(topic_id);
        self.batch.partitions.push(partition.into());
        self.batch.offsets.push(offset);
        self.batch.timestamps.push(timestamp);
        let key = self.push_bytes(key);
        self.batch.keys.push(key);
        let value = self.push_bytes(value);
        self.batch.values.push(value);
        for (name, value) in headers {
            let name = self.push_bytes(Some(name.as_bytes()));
            let value = self.push_bytes(value);
            self.batch.headers.push(RawHeader { name, value });
        }
        self.batch.header_ends.push(self.batch.headers.len() as u32);
    }

    /// The finished batch.
    pub fn finish(mut self) -> RawBatch {
        self.batch.bytes = Arc::new(self.bytes);
        self.batch
    }
}

impl<'a> FromIterator<RawRecord<'a>> for RawBatch {
    fn from_iter<I: IntoIterator<Item = RawRecord<'a>>>(iter: I) -> RawBatch {
        let mut builder = RawBatchBuilder::new();
        for record in iter {
            builder.push(&record);
        }
        builder.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_the_batch_cannot_address_is_refused() {
        let mut builder = RawBatchBuilder::new();
        let record = |value: &'static [u8]| RawRecord {
            topic: "t",
            partition: Some(0),
            offset: 9,
            timestamp: None,
            key: Some(b"k"),
            value: Some(value),
            headers: vec![("h", Some(b"v"))],
        };
        builder.try_push(&record(b"12345")).unwrap();
        assert_eq!(builder.byte_len(), 1 + 5 + 2);
        assert!(builder.check_room(&record(b"1"), 12).is_ok());
        let error = builder.check_room(&record(b"12"), 12).unwrap_err();
        assert!(
            error.message.contains("offset 9 of t-0 does not fit"),
            "{error:?}"
        );
    }

    #[test]
    fn records_round_trip_through_the_shared_buffer() {
        let records = vec![
            RawRecord {
                topic: "a",
                partition: Some(1),
                offset: 7,
                timestamp: Some(5),
                key: Some(b"k"),
                value: None,
                headers: vec![("h", Some(b"v".as_slice())), ("n", None)],
            },
            RawRecord {
                topic: "b",
                partition: Some(0),
                offset: 8,
                timestamp: None,
                key: None,
                value: Some(b""),
                headers: vec![],
            },
        ];
        let batch: RawBatch = records.iter().cloned().collect();
        assert_eq!(batch.len(), 2);
        assert_eq!(batch.records().collect::<Vec<_>>(), records);
        assert_eq!(batch.topics(), ["a", "b"]);
    }
}
