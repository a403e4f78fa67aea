//! One batch of consumed records, split by partition: each partition's records in offset order
//! in their own [`RawBatch`], ready for [`Pipeline::process_partitions`](weir_engine::Pipeline).

use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer;
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use weir_engine::{RawBatch, RawBatchBuilder};

use crate::clients::{Partition, WorkerConsumer};

/// Where one partition's part of a batch starts and ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRange {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The first offset in the batch.
    pub first: i64,
    /// The last offset in the batch.
    pub last: i64,
}

/// A batch: per partition, its records and its offset range (same order).
#[derive(Debug, Default)]
pub struct PolledBatch {
    /// Each partition's records.
    pub batches: Vec<RawBatch>,
    /// Each partition's offsets.
    pub ranges: Vec<PartitionRange>,
}

impl PolledBatch {
    /// The number of records.
    pub fn len(&self) -> usize {
        self.batches.iter().map(RawBatch::len).sum()
    }

    /// Whether the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.batches.iter().all(RawBatch::is_empty)
    }

    /// The offsets to commit once the batch is written: each partition's last offset + 1.
    pub fn commit_offsets(&self) -> rdkafka::error::KafkaResult<TopicPartitionList> {
        let mut list = TopicPartitionList::with_capacity(self.ranges.len());
        for range in &self.ranges {
            list.add_partition_offset(
                &range.topic,
                range.partition,
                Offset::Offset(range.last + 1),
            )?;
        }
        Ok(list)
    }
}

/// A partition's records while the batch is being collected.
struct Collecting {
    range: PartitionRange,
    builder: RawBatchBuilder,
    records: usize,
}

/// A batch being collected: each partition's records so far, in the order the partitions came.
#[derive(Default)]
struct Collected {
    partitions: Vec<Collecting>,
    records: usize,
    bytes: usize,
}

impl Collected {
    /// Appends one record to its partition's batch (copying it into that batch's buffer).
    #[allow(clippy::too_many_arguments)]
    fn push<'h>(
        &mut self,
        topic: &str,
        partition: i32,
        offset: i64,
        timestamp: Option<i64>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: impl IntoIterator<Item = (&'h str, Option<&'h [u8]>)>,
    ) {
        let index = match self
            .partitions
            .iter()
            .position(|p| p.range.partition == partition && p.range.topic == topic)
        {
            Some(index) => index,
            None => {
                self.partitions.push(Collecting {
                    range: PartitionRange {
                        topic: topic.to_string(),
                        partition,
                        first: offset,
                        last: offset,
                    },
                    builder: RawBatchBuilder::new(),
                    records: 0,
                });
                self.partitions.len() - 1
            }
        };
        let collecting = &mut self.partitions[index];
        let before = collecting.builder.byte_len();
        collecting.range.last = offset;
        collecting.records += 1;
        collecting
            .builder
            .push_parts(topic, partition, offset, timestamp, key, value, headers);
        self.bytes += collecting.builder.byte_len() - before;
        self.records += 1;
    }

    /// Drops the records of the `revoked` partitions; returns how many it dropped.
    fn let_go(&mut self, revoked: &[Partition]) -> usize {
        let before = self.records;
        self.partitions
            .retain(|p| !is_in(revoked, &p.range.topic, p.range.partition));
        self.records = self.partitions.iter().map(|p| p.records).sum();
        before - self.records
    }

    fn finish(self) -> PolledBatch {
        let (batches, ranges) = self
            .partitions
            .into_iter()
            .map(|p| (p.builder.finish(), p.range))
            .unzip();
        PolledBatch { batches, ranges }
    }
}

fn is_in(partitions: &[Partition], topic: &str, partition: i32) -> bool {
    partitions
        .iter()
        .any(|(t, p)| *p == partition && t == topic)
}

/// A batch ends once it holds this many record bytes (far below the 4 GiB a [`RawBatch`]
/// addresses).
pub const MAX_BATCH_BYTES: usize = 64 << 20;

/// Polls up to `max_records` records (and about [`MAX_BATCH_BYTES`]): waits up to `max_wait`
/// for the first, then takes what librdkafka has already fetched without waiting. Records are
/// copied once, into their partition's batch buffer. A poll error (a broker going away, …) is
/// logged and ends the batch.
///
/// A rebalance that revokes partitions ends the batch too, and the records it holds from them
/// are let go, as a Java consumer's `poll` returns none after `onPartitionsRevoked`: their next
/// owner reads them from the last commit, so writing them here would only duplicate them.
pub fn collect(consumer: &WorkerConsumer, max_records: usize, max_wait: Duration) -> PolledBatch {
    let mut collected = Collected::default();
    let deadline = Instant::now() + max_wait;
    // Revocations before this batch concern records already let go.
    consumer.context().take_revoked();
    while collected.records < max_records && collected.bytes < MAX_BATCH_BYTES {
        let wait = if collected.records == 0 {
            deadline.saturating_duration_since(Instant::now())
        } else {
            Duration::ZERO
        };
        let polled = consumer.poll(wait);
        let revoked = consumer.context().take_revoked();
        if !revoked.is_empty() {
            let dropped = collected.let_go(&revoked);
            if dropped > 0 {
                tracing::info!("{dropped} records polled from revoked partitions let go");
            }
        }
        let message = match polled {
            None => break,
            Some(Err(error)) => {
                tracing::warn!("consumer: {error}");
                break;
            }
            Some(Ok(message)) => message,
        };
        if !is_in(&revoked, message.topic(), message.partition()) {
            let headers = message.headers();
            collected.push(
                message.topic(),
                message.partition(),
                message.offset(),
                message.timestamp().to_millis(),
                message.key(),
                message.payload(),
                headers
                    .into_iter()
                    .flat_map(|h| h.iter())
                    .map(|h| (h.key, h.value)),
            );
        }
        if !revoked.is_empty() {
            break;
        }
    }
    collected.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collected(records: &[(&str, i32, i64)]) -> Collected {
        let mut collected = Collected::default();
        for &(topic, partition, offset) in records {
            collected.push(topic, partition, offset, None, None, Some(b"v"), []);
        }
        collected
    }

    #[test]
    fn records_are_grouped_by_partition_in_offset_order() {
        let batch = collected(&[("a", 0, 5), ("b", 0, 1), ("a", 0, 6), ("a", 1, 9)]).finish();
        let ranges: Vec<_> = batch
            .ranges
            .iter()
            .map(|r| (r.topic.as_str(), r.partition, r.first, r.last))
            .collect();
        assert_eq!(ranges, [("a", 0, 5, 6), ("b", 0, 1, 1), ("a", 1, 9, 9)]);
        assert_eq!(batch.batches[0].len(), 2);
        assert_eq!(batch.len(), 4);
    }

    #[test]
    fn revoked_partitions_are_let_go_and_the_rest_kept() {
        let mut batch = collected(&[("a", 0, 5), ("b", 0, 1), ("a", 0, 6), ("a", 1, 9)]);
        let dropped = batch.let_go(&[("a".to_string(), 0), ("c".to_string(), 3)]);
        assert_eq!((dropped, batch.records), (2, 2));
        let batch = batch.finish();
        let kept: Vec<_> = batch
            .ranges
            .iter()
            .map(|r| (r.topic.as_str(), r.partition))
            .collect();
        assert_eq!(kept, [("b", 0), ("a", 1)]);
    }
}
