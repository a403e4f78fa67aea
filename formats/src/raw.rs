//! `RawBatch`: records as Kafka hands them over — one shared, immutable byte buffer (an Arrow
//! [`Buffer`]) holding every key, value, header name and header value, with per-record slots into
//! it, plus topic, partition, offset and timestamp columns. It is both what a
//! [`Pipeline`](../../weir_engine) reads and what it writes.
//!
//! Three ways to build one: [`RawBatchBuilder`] copies each record's bytes in;
//! [`RawBatchBuilder::over`] takes a buffer the caller already holds (fetched bytes, as a
//! `Vec<u8>`, `bytes::Bytes` or Arrow `Buffer`) and records that are ranges of it, copying
//! nothing; [`RawBatchBuilder::reusing`] recycles a finished batch's storage (a pipeline's output
//! of the last call) so steady-state processing allocates nothing.

use std::ops::Range;
use std::sync::OnceLock;

use arrow_buffer::Buffer;

use crate::error::ConnectError;

/// Where `bytes` lie in `buffer`, when they are a slice of it (and it is addressable with 32-bit
/// positions). Cost: two comparisons.
pub fn range_in(buffer: &Buffer, bytes: &[u8]) -> Option<Range<u32>> {
    let start = (bytes.as_ptr() as usize).checked_sub(buffer.as_ptr() as usize)?;
    let end = start.checked_add(bytes.len())?;
    (end <= buffer.len() && end <= u32::MAX as usize).then_some(start as u32..end as u32)
}

/// Bit `min(len, 63)`: the bit of a name of `len` bytes in a mask of name lengths, which rules
/// out at one test a look-up of a name no listed name's length matches ([`RawBatch::last_header`],
/// DropHeaders). Lengths past 63 share the last bit.
pub fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

/// Appends `bytes` to `out`, returning their slot.
fn append(out: &mut Vec<u8>, bytes: &[u8]) -> Slot {
    let start = out.len() as u32;
    out.extend_from_slice(bytes);
    Slot {
        start,
        len: bytes.len() as u32,
    }
}

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
    pub fn range(self) -> Option<Range<u32>> {
        (!self.is_null()).then(|| self.start..self.start + self.len)
    }

    /// The slot of `range` (`None`: the null slot). The range is checked against the buffer when
    /// a record is pushed, not here.
    pub fn of(range: Option<Range<u32>>) -> Slot {
        match range {
            None => Slot::NULL,
            Some(r) => Slot {
                start: r.start,
                len: r.end.saturating_sub(r.start).min(u32::MAX - 1),
            },
        }
    }

    fn end(self) -> usize {
        if self.is_null() {
            0
        } else {
            self.start as usize + self.len as usize
        }
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
    bytes: Buffer,
    topics: Vec<String>,
    topic_ids: Vec<u32>,
    partitions: Vec<Option<i32>>,
    offsets: Vec<i64>,
    timestamps: Vec<Option<i64>>,
    keys: Vec<Slot>,
    values: Vec<Slot>,
    header_ends: Vec<u32>,
    headers: Vec<RawHeader>,
    /// Whether every header name is UTF-8, so a name is not checked on each of its reads (a
    /// check per read cost 3% of a Protobuf passthrough, callgrind). Names are pushed as `&str`s
    /// or checked ranges: known UTF-8 at `finish`, unless bytes handed out through
    /// [`RawBatchBuilder::owned_bytes`] could have spoilt one; then checked once, on first read.
    names_utf8: OnceLock<bool>,
    /// Bit `min(len, 63)` set for the byte length of every header name: a look-up of a name
    /// that no header's length matches ends at one test ([`RawBatch::last_header`]). Built on
    /// first use, from the slots alone.
    name_lengths: OnceLock<u64>,
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
        self.bytes.as_slice()
    }

    /// The shared buffer, for views that outlive this batch (an Arrow view array's data block).
    /// Cost: a reference-count increment.
    pub fn shared_bytes(&self) -> Buffer {
        self.bytes.clone()
    }

    /// The bytes of `slot`, or `None` for the null slot.
    pub fn slot_bytes(&self, slot: Slot) -> Option<&[u8]> {
        if slot.is_null() {
            return None;
        }
        let start = slot.start as usize;
        Some(&self.bytes()[start..start + slot.len as usize])
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

    /// How many headers the batch's records hold in all. Cost: one load.
    pub fn header_count(&self) -> usize {
        self.header_ends.last().map_or(0, |&end| end as usize)
    }

    /// Record `row`'s headers: name and value bytes. Names are UTF-8 by construction.
    pub fn headers(&self, row: usize) -> impl Iterator<Item = (&str, Option<&[u8]>)> + '_ {
        self.header_slots(row)
            .map(move |(name, _, value)| (name, self.slot_bytes(value)))
    }

    /// Where row `row`'s headers are in the batch's header list.
    fn header_range(&self, row: usize) -> std::ops::Range<usize> {
        let start = match row {
            0 => 0,
            _ => self.header_ends[row - 1] as usize,
        };
        start..self.header_ends[row] as usize
    }

    /// The value of row `row`'s last header named `name` (Kafka's `Headers.lastHeader`):
    /// `Some(None)` when that header is null, `None` when the row has no such header. Cost: a
    /// test of `name`'s length against every name length in the batch (the first call scans
    /// the batch's header slots once); where one matches, a backward scan of the row's header
    /// slots comparing name lengths before bytes — the per-record look-up of
    /// `__value_schema_id` through [`RawBatch::headers`] cost 2% of an Avro passthrough, and the
    /// scan without the length test 1% of the Avro benchmark chain (callgrind). The test is
    /// inlined into the caller's row loop and the scan is not (a call per row only to fail
    /// the test was 0.7% of that chain).
    #[inline]
    pub fn last_header(&self, row: usize, name: &str) -> Option<Option<&[u8]>> {
        let lengths = *self.name_lengths.get_or_init(|| {
            self.headers
                .iter()
                .fold(0, |mask, h| mask | length_bit(h.name.len as usize))
        });
        if lengths & length_bit(name.len()) == 0 {
            return None;
        }
        self.scan_for_last_header(row, name)
    }

    /// The scan of [`RawBatch::last_header`]: row `row`'s header slots backwards, name lengths
    /// compared before bytes.
    #[inline(never)]
    fn scan_for_last_header(&self, row: usize, name: &str) -> Option<Option<&[u8]>> {
        self.headers[self.header_range(row)]
            .iter()
            .rev()
            .find(|h| {
                h.name.len == name.len() as u32 && self.slot_bytes(h.name) == Some(name.as_bytes())
            })
            .map(|h| self.slot_bytes(h.value))
    }

    /// Row `row`'s headers in order: the name, and the name's and the value's slots in
    /// [`RawBatch::shared_bytes`].
    pub fn header_slots(&self, row: usize) -> impl Iterator<Item = (&str, Slot, Slot)> + '_ {
        let names_utf8 = self.header_names_are_utf8();
        self.headers[self.header_range(row)].iter().map(move |h| {
            let name = self.slot_bytes(h.name).unwrap_or_default();
            let name = if names_utf8 {
                // SAFETY: every name of this batch is UTF-8: pushed as a `&str` or a checked
                // range and not open to edits since (`RawBatchBuilder::finish`), or checked by
                // `header_names_are_utf8`. The bytes (an Arrow `Buffer`) and the slots do not
                // change once the batch is finished.
                unsafe { std::str::from_utf8_unchecked(name) }
            } else {
                // Only a name spoiled through `owned_bytes`: read as empty.
                std::str::from_utf8(name).unwrap_or_default()
            };
            (name, h.name, h.value)
        })
    }

    /// Whether every header name of the batch is UTF-8. Cost: a UTF-8 check of every name on the
    /// first call, an atomic load after.
    fn header_names_are_utf8(&self) -> bool {
        *self.names_utf8.get_or_init(|| {
            self.headers
                .iter()
                .all(|h| std::str::from_utf8(self.slot_bytes(h.name).unwrap_or_default()).is_ok())
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

/// Builds a [`RawBatch`] record by record: either copying each record's bytes into a buffer of
/// its own ([`RawBatchBuilder::new`], [`RawBatchBuilder::reusing`]), or over a buffer the caller
/// already holds, whose records are ranges of it ([`RawBatchBuilder::over`]).
#[derive(Debug, Default)]
pub struct RawBatchBuilder {
    batch: RawBatch,
    storage: Storage,
    /// Whether the caller was handed [`RawBatchBuilder::owned_bytes`] after a header name was
    /// pushed (and so could have overwritten it): the finished batch then checks its names on
    /// first read instead of knowing them UTF-8.
    names_exposed: bool,
    /// The name slot of the header last pushed at each position of a record (the first
    /// [`REPEATED_NAME_POSITIONS`] positions): a header whose name equals it points at those
    /// bytes instead of copying the name again ([`RawBatchBuilder::push_header`]).
    names_by_position: Vec<Slot>,
    /// Headers pushed since the last record ended.
    pending_headers: usize,
    /// The byte length when the first of the pending headers was pushed: where
    /// [`RawBatchBuilder::discard_headers`] cuts.
    pending_start: usize,
    /// The byte length when the last record ended. Bytes below it belong to ended records,
    /// which no one rewrites, so a header name there can be pointed at again.
    ended_len: usize,
}

/// How many header positions of a record [`RawBatchBuilder::push_header`] remembers names
/// for: a chain's output repeats the same few header names row after row.
const REPEATED_NAME_POSITIONS: usize = 16;

/// Where a builder's bytes live.
#[derive(Debug)]
enum Storage {
    /// Bytes copied in, growing.
    Owned(Vec<u8>),
    /// The caller's buffer; records are ranges of it.
    Shared(Buffer),
}

impl Default for Storage {
    fn default() -> Storage {
        Storage::Owned(Vec::new())
    }
}

impl Storage {
    /// The owned bytes, switching from a shared buffer to a copy of it first.
    fn owned(&mut self) -> &mut Vec<u8> {
        if let Storage::Shared(buffer) = self {
            *self = Storage::Owned(buffer.as_slice().to_vec());
        }
        match self {
            Storage::Owned(bytes) => bytes,
            Storage::Shared(_) => unreachable!("switched to owned bytes above"),
        }
    }

    fn len(&self) -> usize {
        match self {
            Storage::Owned(bytes) => bytes.len(),
            Storage::Shared(buffer) => buffer.len(),
        }
    }
}

impl RawBatchBuilder {
    /// An empty builder.
    pub fn new() -> RawBatchBuilder {
        RawBatchBuilder::default()
    }

    /// An empty builder with room for `records` records and `bytes` bytes.
    pub fn with_capacity(records: usize, bytes: usize) -> RawBatchBuilder {
        let mut builder = RawBatchBuilder::default();
        builder.owned_bytes().reserve(bytes);
        builder.batch.reserve(records);
        builder
    }

    /// An empty builder that keeps `batch`'s storage: its columns' capacity always, its byte
    /// buffer when no one else holds it (the buffer of a batch whose records were handed on and
    /// dropped). Cost: no allocation when the storage is free; otherwise that of [`RawBatchBuilder::new`].
    pub fn reusing(batch: RawBatch) -> RawBatchBuilder {
        let RawBatch {
            bytes,
            mut topics,
            mut topic_ids,
            mut partitions,
            mut offsets,
            mut timestamps,
            mut keys,
            mut values,
            mut header_ends,
            mut headers,
            names_utf8: _,
            name_lengths: _,
        } = batch;
        let mut bytes = bytes.into_vec::<u8>().unwrap_or_default();
        bytes.clear();
        topics.clear();
        topic_ids.clear();
        partitions.clear();
        offsets.clear();
        timestamps.clear();
        keys.clear();
        values.clear();
        header_ends.clear();
        headers.clear();
        RawBatchBuilder {
            batch: RawBatch {
                bytes: Buffer::default(),
                topics,
                topic_ids,
                partitions,
                offsets,
                timestamps,
                keys,
                values,
                header_ends,
                headers,
                names_utf8: OnceLock::new(),
                name_lengths: OnceLock::new(),
            },
            storage: Storage::Owned(bytes),
            ..RawBatchBuilder::default()
        }
    }

    /// An empty builder over `buffer`, bytes the caller already holds (a fetched record set, as
    /// a `Vec<u8>`, `bytes::Bytes` or Arrow `Buffer`): records are pushed as ranges of it with
    /// [`RawBatchBuilder::push_ranges`] and nothing is copied. Cost: none (the buffer is shared).
    pub fn over(buffer: impl Into<Buffer>) -> RawBatchBuilder {
        RawBatchBuilder {
            storage: Storage::Shared(buffer.into()),
            ..RawBatchBuilder::default()
        }
    }

    /// Bytes pushed so far: a batch is limited to 4 GiB (slots are 32-bit).
    pub fn byte_len(&self) -> usize {
        self.storage.len()
    }

    /// The builder's own byte buffer, to append to: encoders write records' bytes straight into
    /// it and push them with [`RawBatchBuilder::push_record`]. A builder made with
    /// [`RawBatchBuilder::over`] switches to bytes of its own holding a copy of the shared
    /// buffer (a builder is either one or the other; mixing costs that copy).
    pub fn owned_bytes(&mut self) -> &mut Vec<u8> {
        self.names_exposed |= !self.batch.headers.is_empty();
        self.storage.owned()
    }

    fn push_bytes(&mut self, bytes: Option<&[u8]>) -> Slot {
        match bytes {
            None => Slot::NULL,
            Some(b) => append(self.storage.owned(), b),
        }
    }

    /// The id of `topic` in the batch's topic table ([`RawBatch::topics`]), added to it if new:
    /// what [`RawBatchBuilder::push_record`] takes. An id stands for its topic in this builder
    /// until it finishes. Cost: a comparison with each topic of the batch (a handful), so a
    /// caller with its own topic ids looks each up once per batch, not once per record.
    pub fn topic_id(&mut self, topic: &str) -> u32 {
        // Batches hold a handful of topics; a linear search beats hashing here.
        let topics = &mut self.batch.topics;
        match topics.iter().position(|t| t == topic) {
            Some(id) => id as u32,
            None => {
                topics.push(topic.to_string());
                (topics.len() - 1) as u32
            }
        }
    }

    /// The most bytes `record` adds to the batch buffer (a header name that an earlier record
    /// has at the same position adds none).
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
        let bytes = self.byte_len() + Self::record_bytes(record);
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
        let key = self.push_bytes(key);
        let value = self.push_bytes(value);
        for (name, value) in headers {
            self.push_header(name, value);
        }
        let topic = self.topic_id(topic);
        self.push_record(topic, partition.into(), offset, timestamp, key, value);
    }

    /// Appends a header, name then value, to the record that [`RawBatchBuilder::push_record`]
    /// ends next (an encoder writes a record's headers one by one, then the record). The name
    /// is a `&str`, so header names stay known UTF-8. Cost: the copy of the value, and of the
    /// name unless it equals the name at the same position in an earlier record (then the
    /// header points at those bytes: a chain's output repeats its header names on every row,
    /// and the Avro benchmark chain's four names are 31 bytes a row).
    pub fn push_header(&mut self, name: &str, value: Option<&[u8]>) {
        let out = self.storage.owned();
        let position = self.pending_headers;
        if position == 0 {
            self.pending_start = out.len();
        }
        let ended_len = self.ended_len;
        let name = match self.names_by_position.get_mut(position) {
            Some(earlier) if names_an_ended_record_holds(out, *earlier, name, ended_len) => {
                *earlier
            }
            Some(earlier) => {
                *earlier = append(out, name.as_bytes());
                *earlier
            }
            None => {
                let slot = append(out, name.as_bytes());
                if position < REPEATED_NAME_POSITIONS {
                    self.names_by_position.push(slot);
                }
                slot
            }
        };
        let value = value.map_or(Slot::NULL, |value| append(out, value));
        self.batch.headers.push(RawHeader { name, value });
        self.pending_headers += 1;
    }

    /// Drops the headers pushed with [`RawBatchBuilder::push_header`] since the last record
    /// ended, and every byte written since the first of them (a record whose headers failed to
    /// encode half-way).
    pub fn discard_headers(&mut self) {
        if self.pending_headers == 0 {
            return;
        }
        self.storage.owned().truncate(self.pending_start);
        let ended = self.batch.headers.len() - self.pending_headers;
        self.batch.headers.truncate(ended);
        self.pending_headers = 0;
    }

    /// Ends a record with the headers pushed since the last one ([`RawBatchBuilder::push_header`]),
    /// its key and value already in [`RawBatchBuilder::owned_bytes`] at the given slots (an
    /// encoder wrote them there), in the topic of `topic_id` ([`RawBatchBuilder::topic_id`]).
    /// The slots must lie within the bytes written (a slot past them fails
    /// [`RawBatchBuilder::finish`]'s check in debug builds and reads as empty after).
    ///
    /// # Panics
    /// If `topic_id` is not an id this builder gave.
    pub fn push_record(
        &mut self,
        topic_id: u32,
        partition: Option<i32>,
        offset: i64,
        timestamp: Option<i64>,
        key: Slot,
        value: Slot,
    ) {
        assert!(
            (topic_id as usize) < self.batch.topics.len(),
            "topic id {topic_id} is not one this builder gave"
        );
        self.batch
            .push_meta(topic_id, partition, offset, timestamp, key, value);
        self.end_record();
    }

    /// Appends one record of a builder made with [`RawBatchBuilder::over`]: its key, value,
    /// header names and header values are byte ranges of that buffer (`None`: null), checked to
    /// lie within it, and header names checked to be UTF-8 (Kafka's header keys are strings).
    /// Nothing is copied. On an error the builder is left as it was.
    #[allow(clippy::too_many_arguments)]
    pub fn push_ranges(
        &mut self,
        topic: &str,
        partition: Option<i32>,
        offset: i64,
        timestamp: Option<i64>,
        key: Option<Range<usize>>,
        value: Option<Range<usize>>,
        headers: &[(Range<usize>, Option<Range<usize>>)],
    ) -> Result<(), ConnectError> {
        let buffer: &[u8] = match &self.storage {
            Storage::Shared(buffer) => buffer.as_slice(),
            Storage::Owned(bytes) => bytes,
        };
        let at = |what: &str, range: Option<Range<usize>>| -> Result<Slot, ConnectError> {
            let Some(range) = range else {
                return Ok(Slot::NULL);
            };
            if range.start > range.end || range.end > buffer.len() || range.end > u32::MAX as usize
            {
                return Err(ConnectError::data(format!(
                    "record at offset {offset} of {topic}-{}: its {what} at bytes {range:?} is not \
                     within the batch buffer of {} bytes",
                    partition.map_or_else(|| "null".to_string(), |p| p.to_string()),
                    buffer.len()
                )));
            }
            Ok(Slot {
                start: range.start as u32,
                len: (range.end - range.start) as u32,
            })
        };
        let key = at("key", key)?;
        let value = at("value", value)?;
        let mut slots = Vec::with_capacity(headers.len());
        for (i, (name, header_value)) in headers.iter().enumerate() {
            let name_slot = at(&format!("header {i}'s name"), Some(name.clone()))?;
            if std::str::from_utf8(&buffer[name.clone()]).is_err() {
                return Err(ConnectError::data(format!(
                    "record at offset {offset} of {topic}: header {i}'s name is not UTF-8"
                )));
            }
            slots.push(RawHeader {
                name: name_slot,
                value: at(&format!("header {i}'s value"), header_value.clone())?,
            });
        }
        let topic = self.topic_id(topic);
        self.batch
            .push_meta(topic, partition, offset, timestamp, key, value);
        self.batch.headers.extend(slots);
        self.end_record();
        Ok(())
    }

    /// The finished batch. Cost: none beyond moving the storage into an Arrow `Buffer`.
    pub fn finish(mut self) -> RawBatch {
        self.batch.bytes = match self.storage {
            Storage::Owned(bytes) => Buffer::from_vec(bytes),
            Storage::Shared(buffer) => buffer,
        };
        // Names were pushed as `&str`s or checked ranges; unless the caller could have edited
        // them since, they are known UTF-8, else checked against the finished bytes on first read.
        self.batch.names_utf8 = OnceLock::new();
        self.batch.name_lengths = OnceLock::new();
        if !self.names_exposed {
            let _ = self.batch.names_utf8.set(true);
        }
        debug_assert!(self.batch.slots_in_bounds());
        self.batch
    }

    /// Ends the record whose metadata the batch was just given.
    fn end_record(&mut self) {
        self.batch.end_record();
        self.pending_headers = 0;
        self.ended_len = self.storage.len();
    }
}

/// Whether `earlier`, a name slot, lies in bytes of ended records (below `ended_len`) that read
/// `name`. Cost: a comparison of the name's bytes.
fn names_an_ended_record_holds(out: &[u8], earlier: Slot, name: &str, ended_len: usize) -> bool {
    earlier.len as usize == name.len()
        && earlier.end() <= ended_len
        && out
            .get(earlier.start as usize..earlier.end())
            .is_some_and(|held| same_bytes(held, name.as_bytes()))
}

/// Whether `a` and `b`, of equal length, are the same bytes. Header names are short, so for
/// 4 to 16 bytes this compares two overlapping fixed-size words of each, inline, rather than
/// calling `memcmp` (the calls were 4.3M of the Avro benchmark chain's 454M instructions,
/// callgrind); other lengths compare as slices.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    fn words<const N: usize>(bytes: &[u8]) -> Option<([u8; N], [u8; N])> {
        Some((*bytes.first_chunk::<N>()?, *bytes.last_chunk::<N>()?))
    }
    match a.len() {
        8..=16 => {
            if let (Some((a_head, a_tail)), Some((b_head, b_tail))) = (words::<8>(a), words::<8>(b))
            {
                return u64::from_ne_bytes(a_head) == u64::from_ne_bytes(b_head)
                    && u64::from_ne_bytes(a_tail) == u64::from_ne_bytes(b_tail);
            }
        }
        4..8 => {
            if let (Some((a_head, a_tail)), Some((b_head, b_tail))) = (words::<4>(a), words::<4>(b))
            {
                return u32::from_ne_bytes(a_head) == u32::from_ne_bytes(b_head)
                    && u32::from_ne_bytes(a_tail) == u32::from_ne_bytes(b_tail);
            }
        }
        _ => {}
    }
    a == b
}

impl RawBatch {
    fn reserve(&mut self, records: usize) {
        self.topic_ids.reserve(records);
        self.partitions.reserve(records);
        self.offsets.reserve(records);
        self.timestamps.reserve(records);
        self.keys.reserve(records);
        self.values.reserve(records);
        self.header_ends.reserve(records);
    }

    /// Starts a record: its metadata, key and value (headers follow, then `end_record`).
    fn push_meta(
        &mut self,
        topic_id: u32,
        partition: Option<i32>,
        offset: i64,
        timestamp: Option<i64>,
        key: Slot,
        value: Slot,
    ) {
        self.topic_ids.push(topic_id);
        self.partitions.push(partition);
        self.offsets.push(offset);
        self.timestamps.push(timestamp);
        self.keys.push(key);
        self.values.push(value);
    }

    fn end_record(&mut self) {
        self.header_ends.push(self.headers.len() as u32);
    }

    /// Whether every slot lies within the buffer.
    fn slots_in_bounds(&self) -> bool {
        let len = self.bytes.len();
        let headers = self.headers.iter().flat_map(|h| [h.name, h.value]);
        self.keys
            .iter()
            .chain(&self.values)
            .copied()
            .chain(headers)
            .all(|slot| slot.end() <= len)
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
    use proptest::prelude::*;

    /// Names of lengths 1–3 and 62–66 (past 63, lengths share the mask's last bit).
    fn arb_name() -> impl Strategy<Value = String> {
        prop_oneof!["[ab]{1,3}", "a{62,66}"]
    }

    proptest! {
        /// `last_header` finds what a scan of the row's headers finds, the length mask only
        /// ruling out names no header of the batch has the length of.
        #[test]
        fn last_header_agrees_with_a_scan(
            rows in prop::collection::vec(
                prop::collection::vec((arb_name(), any::<Option<u8>>()), 0..4),
                1..4,
            ),
            probes in prop::collection::vec(arb_name(), 1..6),
        ) {
            let mut builder = RawBatchBuilder::new();
            for (offset, headers) in rows.iter().enumerate() {
                let values: Vec<[u8; 1]> =
                    headers.iter().map(|(_, v)| [v.unwrap_or_default()]).collect();
                let headers = headers
                    .iter()
                    .zip(&values)
                    .map(|((name, v), byte)| (name.as_str(), v.map(|_| &byte[..])));
                builder.push_parts("t", 0, offset as i64, None, None, None, headers);
            }
            let batch = builder.finish();
            for row in 0..rows.len() {
                for probe in &probes {
                    let scanned = batch.headers(row).filter(|(n, _)| n == probe).last();
                    prop_assert_eq!(batch.last_header(row, probe), scanned.map(|(_, v)| v));
                }
            }
        }

        /// Records read back as pushed however their header names repeat, move position or
        /// follow headers discarded half-way, and the batch never holds more bytes than the
        /// records' own.
        #[test]
        fn records_read_back_as_pushed_when_names_are_shared(
            rows in prop::collection::vec(
                (
                    prop::collection::vec((arb_name(), any::<Option<u8>>()), 0..4),
                    prop::collection::vec(arb_name(), 0..3),
                    any::<Option<u8>>(),
                ),
                1..8,
            ),
        ) {
            let mut builder = RawBatchBuilder::new();
            let values: Vec<Vec<[u8; 1]>> = rows
                .iter()
                .map(|(headers, _, _)| headers.iter().map(|(_, v)| [v.unwrap_or(b'.')]).collect())
                .collect();
            let records: Vec<RawRecord> = rows
                .iter()
                .zip(&values)
                .enumerate()
                .map(|(offset, ((headers, _, value), bytes))| RawRecord {
                    topic: "t",
                    partition: Some(0),
                    offset: offset as i64,
                    timestamp: None,
                    key: None,
                    value: value.map(|_| &b"value"[..]),
                    headers: headers
                        .iter()
                        .zip(bytes)
                        .map(|((name, v), byte)| (name.as_str(), v.map(|_| &byte[..])))
                        .collect(),
                })
                .collect();
            for (record, (_, discarded, _)) in records.iter().zip(&rows) {
                for name in discarded {
                    builder.push_header(name, Some(b"discarded"));
                }
                builder.discard_headers();
                builder.push(record);
            }
            let batch = builder.finish();
            prop_assert_eq!(batch.records().collect::<Vec<_>>(), records.clone());
            let copied: usize = records.iter().map(RawBatchBuilder::record_bytes).sum();
            prop_assert!(batch.bytes().len() <= copied);
        }
    }

    #[test]
    fn a_name_repeated_at_its_position_is_written_once() {
        let mut builder = RawBatchBuilder::new();
        for offset in 0..3 {
            let headers = [("city", Some(&b"x"[..])), ("pipeline", None)];
            builder.push_parts("t", 0, offset, None, None, None, headers);
        }
        // A different name at a position is written; the position then remembers it.
        builder.push_parts("t", 0, 3, None, None, None, [("pipeline", None)]);
        builder.push_parts("t", 0, 4, None, None, None, [("pipeline", None)]);
        let batch = builder.finish();
        assert_eq!(batch.bytes(), b"cityxpipelinexxpipeline");
        let names: Vec<Vec<&str>> = (0..5)
            .map(|row| batch.headers(row).map(|(name, _)| name).collect())
            .collect();
        assert_eq!(names[2], ["city", "pipeline"]);
        assert_eq!(names[4], ["pipeline"]);
    }

    #[test]
    fn a_name_of_a_record_not_ended_is_not_shared() {
        // A discarded header's bytes are cut, and bytes written where they were are not
        // taken for its name even when they read the same.
        let mut builder = RawBatchBuilder::new();
        builder.push_parts("t", 0, 0, None, None, None, [("a", None)]);
        builder.push_header("b", None);
        builder.discard_headers();
        builder.owned_bytes().extend_from_slice(b"b");
        builder.push_header("b", Some(b"1"));
        builder.owned_bytes()[1] = b'c';
        let topic = builder.topic_id("t");
        builder.push_record(topic, Some(0), 1, None, Slot::NULL, Slot::NULL);
        let batch = builder.finish();
        assert_eq!(batch.bytes(), b"acb1");
        assert_eq!(
            batch.headers(1).collect::<Vec<_>>(),
            [("b", Some(&b"1"[..]))]
        );
    }

    #[test]
    fn topic_ids_are_given_once_per_topic() {
        let mut builder = RawBatchBuilder::new();
        let (a, b) = (builder.topic_id("a"), builder.topic_id("b"));
        assert_eq!((a, b, builder.topic_id("a")), (0, 1, 0));
        builder.push_record(b, None, 0, None, Slot::NULL, Slot::NULL);
        builder.push_parts("a", None, 1, None, None, None, []);
        let batch = builder.finish();
        assert_eq!(batch.topics(), ["a", "b"]);
        assert_eq!((batch.topic(0), batch.topic(1)), ("b", "a"));
    }

    #[test]
    #[should_panic(expected = "topic id 0 is not one this builder gave")]
    fn a_topic_id_the_builder_did_not_give_is_refused() {
        RawBatchBuilder::new().push_record(0, None, 0, None, Slot::NULL, Slot::NULL);
    }

    #[test]
    fn last_header_is_the_last_of_its_name_null_or_absent() {
        let mut builder = RawBatchBuilder::new();
        let headers = [
            ("id", Some(&b"1"[..])),
            ("ab", Some(&b"x"[..])),
            ("id", Some(&b"2"[..])),
            ("nil", None),
        ];
        builder.push_parts("t", 0, 0, None, None, None, headers);
        builder.push_parts("t", 0, 1, None, None, None, []);
        let batch = builder.finish();
        assert_eq!(batch.last_header(0, "id"), Some(Some(&b"2"[..])));
        assert_eq!(batch.last_header(0, "nil"), Some(None));
        // Same length as a present name, other bytes.
        assert_eq!(batch.last_header(0, "cd"), None);
        assert_eq!(batch.last_header(0, "i"), None);
        assert_eq!(batch.last_header(1, "id"), None);
    }

    #[test]
    fn discarded_headers_leave_neither_slots_nor_bytes() {
        let mut builder = RawBatchBuilder::new();
        builder.push_parts("t", 0, 0, None, None, Some(b"v"), [("a", Some(&b"x"[..]))]);
        let kept = builder.byte_len();
        builder.push_header("dropped", Some(b"value"));
        builder.push_header("nil", None);
        builder.discard_headers();
        assert_eq!(builder.byte_len(), kept);
        builder.discard_headers();
        builder.push_header("b", Some(b"y"));
        let value = builder.owned_bytes().len() as u32;
        builder.owned_bytes().extend_from_slice(b"w");
        let value = Slot::of(Some(value..value + 1));
        let topic = builder.topic_id("t");
        builder.push_record(topic, Some(0), 1, None, Slot::NULL, value);
        let batch = builder.finish();
        let rows: Vec<_> = (0..2).map(|row| batch.record(row)).collect();
        assert_eq!(rows[0].headers, vec![("a", Some(&b"x"[..]))]);
        assert_eq!(rows[1].headers, vec![("b", Some(&b"y"[..]))]);
        assert_eq!((rows[1].key, rows[1].value), (None, Some(&b"w"[..])));
        assert_eq!(batch.bytes(), b"vaxbyw");
    }

    #[test]
    fn header_names_are_checked_once_against_the_finished_bytes() {
        let mut builder = RawBatchBuilder::new();
        builder.push_parts("t", 0, 0, None, None, Some(b"v"), [("ab", Some(&b"x"[..]))]);
        builder.push_parts("t", 0, 1, None, None, Some(b"w"), [("cd", None)]);
        let batch = builder.finish();
        fn names(batch: &RawBatch, row: usize) -> Vec<&str> {
            batch.headers(row).map(|(name, _)| name).collect()
        }
        assert_eq!(
            (names(&batch, 0), names(&batch, 1)),
            (vec!["ab"], vec!["cd"])
        );
        // A name spoiled through `owned_bytes` after it was pushed reads as empty, the batch's
        // other names as themselves (no unchecked read of bad bytes).
        let mut builder = RawBatchBuilder::new();
        builder.push_parts("t", 0, 0, None, None, None, [("ab", None)]);
        builder.push_parts("t", 0, 1, None, None, None, [("cd", None)]);
        let at = builder
            .owned_bytes()
            .iter()
            .position(|&b| b == b'a')
            .expect("the name");
        builder.owned_bytes()[at] = 0xFF;
        let batch = builder.finish();
        assert_eq!((names(&batch, 0), names(&batch, 1)), (vec![""], vec!["cd"]));
    }

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
    fn a_reused_builder_keeps_the_storage_no_one_else_holds() {
        let record = RawRecord {
            topic: "t",
            partition: Some(0),
            offset: 1,
            timestamp: None,
            key: None,
            value: Some(b"value"),
            headers: vec![],
        };
        let batch: RawBatch = [record.clone()].into_iter().collect();
        let address = batch.bytes().as_ptr();
        let mut builder = RawBatchBuilder::reusing(batch);
        assert_eq!(builder.byte_len(), 0);
        builder.push(&record);
        let batch = builder.finish();
        assert_eq!(batch.bytes().as_ptr(), address);
        assert_eq!(
            batch.records().collect::<Vec<_>>(),
            std::slice::from_ref(&record)
        );
        let held = batch.clone();
        let mut builder = RawBatchBuilder::reusing(batch);
        builder.push(&record);
        assert_ne!(builder.finish().bytes().as_ptr(), address);
        assert_eq!(held.value(0), Some(b"value".as_slice()));
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
