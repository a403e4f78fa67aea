//! One batch of consumed records, split by partition: each partition's records in offset order
//! in their own [`RawBatch`], ready for [`Pipeline::process_partitions`](weir_engine::Pipeline).

use std::time::{Duration, Instant};

use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use weir_engine::{RawBatch, RawBatchBuilder};

use crate::clients::WorkerConsumer;

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
}

/// A batch ends once it holds this many record bytes (far below the 4 GiB a [`RawBatch`]
/// addresses).
pub const MAX_BATCH_BYTES: usize = 64 << 20;

/// Polls up to `max_records` records (and about [`MAX_BATCH_BYTES`]): waits up to `max_wait` for the first, then takes what
/// librdkafka has already fetched without waiting. Records are copied once, into their
/// partition's batch buffer. A poll error (a broker going away, …) is logged and ends the batch.
pub fn collect(consumer: &WorkerConsumer, max_records: usize, max_wait: Duration) -> PolledBatch {
    let mut partitions: Vec<Collecting> = Vec::new();
    let mut count = 0;
    let mut bytes = 0;
    let deadline = Instant::now() + max_wait;
    while count < max_records && bytes < MAX_BATCH_BYTES {
        let wait = if count == 0 {
            deadline.saturating_duration_since(Instant::now())
        } else {
            Duration::ZERO
        };
        let message = match consumer.poll(wait) {
            None => break,
            Some(Err(error)) => {
                tracing::warn!("consumer: {error}");
                break;
            }
            Some(Ok(message)) => message,
        };
        let (topic, partition, offset) = (message.topic(), message.partition(), message.offset());
        let index = match partitions
            .iter()
            .position(|p| p.range.partition == partition && p.range.topic == topic)
        {
            Some(index) => index,
            None => {
                partitions.push(Collecting {
                    range: PartitionRange {
                        topic: topic.to_string(),
                        partition,
                        first: offset,
                        last: offset,
                    },
                    builder: RawBatchBuilder::new(),
                });
                partitions.len() - 1
            }
        };
        let collecting = &mut partitions[index];
        let before = collecting.builder.byte_len();
        collecting.range.last = offset;
        let headers = message.headers();
        collecting.builder.push_parts(
            topic,
            partition,
            offset,
            message.timestamp().to_millis(),
            message.key(),
            message.payload(),
            headers
                .into_iter()
                .flat_map(|h| h.iter())
                .map(|h| (h.key, h.value)),
        );
        bytes += collecting.builder.byte_len() - before;
        count += 1;
    }
    let (batches, ranges) = partitions
        .into_iter()
        .map(|p| (p.builder.finish(), p.range))
        .unzip();
    PolledBatch { batches, ranges }
}
