//! The worker loop, pipelined one batch deep: consume batch N+1 and run each partition's records
//! through the [`Pipeline`] (partitions in parallel, order kept within each) while librdkafka
//! delivers batch N; then settle batch N (wait until its records are acknowledged, commit its
//! offsets) and only then produce batch N+1's records — each to the topic the chain gives it,
//! each dead letter to the dead letter topic. Outputs leave in input order, and with
//! `exactly.once` each batch's records and offsets go in one Kafka transaction.
//!
//! No offset is committed for a record whose output (or dead letter) is not acknowledged: when a
//! delivery fails the batch is rewound (each partition seeks back to the batch's first offset)
//! and processed again, so every input reaches the output at least once. A rebalance settles
//! the batch in flight before its partitions go (see [`crate::in_flight`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer;
use rdkafka::producer::Producer;
use rdkafka::Offset;
use weir_engine::{Output, Pipeline, RawBatch, RowError};

use crate::batch::{collect, PartitionRange, PolledBatch};
use crate::clients::{self, Outgoing, WorkerConsumer, WorkerProducer};
use crate::config::{Subscription, WorkerConfig, WorkerConfigError};
use crate::error::{kafka, WorkerError};
use crate::in_flight::{InFlight, InFlightSlot, Settled, TRANSACTION_TIMEOUT};
use crate::metrics::{Counters, Progress};

/// A running worker: its clients, pipeline, batch in flight and counters.
pub struct Worker {
    config: WorkerConfig,
    pipeline: Pipeline,
    consumer: WorkerConsumer,
    producer: Arc<WorkerProducer>,
    in_flight: Arc<InFlightSlot>,
    subscription_regex: Option<regex::Regex>,
    progress: Progress,
}

impl Worker {
    /// Builds the pipeline and the clients, subscribes, and (with `exactly.once`) initialises
    /// the transactional producer (which aborts a transaction a previous run left open).
    pub fn new(config: WorkerConfig) -> Result<Worker, WorkerError> {
        let pipeline = config.pipeline()?;
        let producer =
            Arc::new(clients::producer(&config.producer).map_err(kafka("creating the producer"))?);
        let in_flight = Arc::new(InFlightSlot::new(
            Arc::clone(&producer),
            config.exactly_once,
        ));
        let consumer = clients::consumer(&config.consumer, Some(in_flight.clone()))
            .map_err(kafka("creating the consumer"))?;
        let subscription_regex = match &config.subscription {
            Subscription::Topics(topics) => {
                let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
                consumer.subscribe(&topics).map_err(kafka("subscribing"))?;
                None
            }
            Subscription::Regex(pattern) => {
                // librdkafka reads a subscription starting with ^ as a regex (POSIX extended:
                // a plain group, not `(?:`).
                consumer
                    .subscribe(&[&format!("^({pattern})$")])
                    .map_err(kafka("subscribing"))?;
                let regex = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                    WorkerConfigError {
                        key: "topics.regex".into(),
                        message: e.to_string(),
                    }
                })?;
                Some(regex)
            }
        };
        if config.exactly_once {
            producer
                .init_transactions(TRANSACTION_TIMEOUT)
                .map_err(kafka("initialising transactions"))?;
        }
        Ok(Worker {
            config,
            pipeline,
            consumer,
            producer,
            in_flight,
            subscription_regex,
            progress: Progress::new(),
        })
    }

    /// The counters of the committed batches so far.
    pub fn counters(&self) -> Counters {
        self.progress.counters()
    }

    /// Runs until `stop` is set (the batch in flight then finishes and commits) or an error.
    pub fn run(&mut self, stop: &Arc<AtomicBool>) -> Result<Counters, WorkerError> {
        tracing::info!(
            group = %self.config.group_id,
            exactly_once = self.config.exactly_once,
            "weir-worker running"
        );
        while !stop.load(Ordering::Relaxed) {
            self.run_batch()?;
        }
        self.settle()?;
        self.progress.finish(self.consumer.context().lag());
        tracing::info!("weir-worker stopped after committing its last batch");
        Ok(self.progress.counters())
    }

    /// Polls one batch and processes it while the previous batch is delivered, then settles the
    /// previous batch and sends this one (it stays in flight until the next call, or
    /// [`Worker::settle`]). When no record is ready the previous batch is settled first, then
    /// the poll waits up to `worker.batch.max.wait.ms`. Returns how many records were polled
    /// (0: none came, or they will be read again after a failed delivery).
    pub fn run_batch(&mut self) -> Result<usize, WorkerError> {
        let started = Instant::now();
        let max_records = self.config.batch_max_records;
        let mut polled = collect(&self.consumer, max_records, Duration::ZERO);
        if polled.is_empty() {
            // Nothing to overlap with: settle now rather than after the wait.
            self.settle()?;
            polled = collect(&self.consumer, max_records, self.config.batch_max_wait);
        }
        if polled.is_empty() {
            self.settle()?;
            self.progress.tick(self.consumer.context().lag());
            return Ok(0);
        }
        // With errors.tolerance=none a failed record stops the worker before anything of its
        // batch is sent (the batch before it is still committed).
        let outputs = self
            .pipeline
            .process_partitions(&polled.batches)
            .into_iter()
            .collect::<Result<Vec<Output>, RowError>>()
            .map_err(|e| WorkerError::Record(Box::new(e)));
        if let Some(previous) = self.settled()? {
            // The previous batch is read again, and this one after it: where both hold a
            // partition the later seek, to the previous batch's offset, wins.
            self.rewind(&polled.ranges);
            self.rewind(&previous);
            return Ok(0);
        }
        self.send(&polled, &outputs?, started)?;
        Ok(polled.len())
    }

    /// Settles the batch in flight, if any: waits for its acknowledgements and commits it, or
    /// rewinds its partitions when a delivery failed (they are read again).
    pub fn settle(&mut self) -> Result<(), WorkerError> {
        if let Some(ranges) = self.settled()? {
            self.rewind(&ranges);
        }
        Ok(())
    }

    /// Settles the batch in flight, if any, counting it when committed; returns its partitions
    /// when it must be read again.
    fn settled(&mut self) -> Result<Option<Vec<PartitionRange>>, WorkerError> {
        match self.in_flight.settle(&self.consumer).transpose()? {
            None => Ok(None),
            Some(Settled::Committed { counters, latency }) => {
                self.progress
                    .batch(counters, latency, self.consumer.context().lag());
                Ok(None)
            }
            Some(Settled::Rewound(ranges)) => Ok(Some(ranges)),
        }
    }

    /// Queues a processed batch's records and dead letters (in a new transaction with
    /// `exactly.once`) and puts it in flight.
    fn send(
        &self,
        polled: &PolledBatch,
        outputs: &[Output],
        started: Instant,
    ) -> Result<(), WorkerError> {
        let mut counters = Counters {
            records_in: polled.len() as u64,
            ..Counters::default()
        };
        if self.config.exactly_once {
            self.producer
                .begin_transaction()
                .map_err(kafka("beginning a transaction"))?;
        }
        self.producer.context().reset();
        for (input, output) in polled.batches.iter().zip(outputs) {
            self.send_records(output)?;
            self.send_dead_letters(input, output)?;
            counters.records_out += output.records.len() as u64;
            counters.dropped += output.dropped as u64;
            counters.dead_lettered += output.dead_letters.len() as u64;
        }
        let offsets = polled
            .commit_offsets()
            .map_err(kafka("listing the offsets to commit"))?;
        self.in_flight.put(InFlight {
            ranges: polled.ranges.clone(),
            offsets,
            counters,
            started,
        });
        Ok(())
    }

    /// Seeks every partition of `ranges` back to its first offset in the batch. A partition the
    /// worker no longer owns is skipped: its next owner starts from the last commit.
    fn rewind(&self, ranges: &[PartitionRange]) {
        for range in ranges {
            if let Err(error) = self.consumer.seek(
                &range.topic,
                range.partition,
                Offset::Offset(range.first),
                Duration::from_secs(10),
            ) {
                tracing::warn!("rewinding {}-{}: {error}", range.topic, range.partition);
            }
        }
    }

    /// Queues the output records, each to the topic the chain gave it, and to its partition
    /// (`worker.output.partition=input`) or the partitioner's choice (`key`).
    fn send_records(&self, output: &Output) -> Result<(), WorkerError> {
        let records = &output.records;
        for row in 0..records.len() {
            let topic = records.topic(row);
            if self
                .config
                .subscription
                .covers(topic, self.subscription_regex.as_ref())
            {
                return Err(WorkerError::Loop {
                    offset: records.offset(row),
                    topic: topic.to_string(),
                });
            }
            let partition = records
                .partition(row)
                .filter(|_| self.config.keep_partition);
            send_row(&self.producer, records, row, topic, partition)?;
        }
        Ok(())
    }

    /// Queues the dead letters to the dead letter topic (without one they are only counted and
    /// logged, as Connect does): the original record, plus the `__connect.errors.*` headers
    /// when `errors.deadletterqueue.context.headers.enable=true`.
    fn send_dead_letters(&self, input: &RawBatch, output: &Output) -> Result<(), WorkerError> {
        for error in &output.errors {
            tracing::debug!("dead letter: {error}");
        }
        let Some(dlq) = &self.config.dead_letter_queue else {
            return Ok(());
        };
        if dlq.context_headers {
            for row in 0..output.dead_letters.len() {
                send_row(&self.producer, &output.dead_letters, row, &dlq.topic, None)?;
            }
            return Ok(());
        }
        for error in &output.errors {
            let row = row_at_offset(input, error.offset)
                .ok_or_else(|| WorkerError::Record(Box::new(error.clone())))?;
            send_row(&self.producer, input, row, &dlq.topic, None)?;
        }
        Ok(())
    }
}

/// The row of a partition's batch holding `offset` (offsets increase within it): a binary search.
fn row_at_offset(batch: &RawBatch, offset: i64) -> Option<usize> {
    let (mut low, mut high) = (0, batch.len());
    while low < high {
        let middle = low + (high - low) / 2;
        match batch.offset(middle).cmp(&offset) {
            std::cmp::Ordering::Less => low = middle + 1,
            std::cmp::Ordering::Greater => high = middle,
            std::cmp::Ordering::Equal => return Some(middle),
        }
    }
    None
}

/// Queues record `row` of `batch` to `topic` (and `partition`), keeping its timestamp, key,
/// value and headers.
fn send_row(
    producer: &WorkerProducer,
    batch: &RawBatch,
    row: usize,
    topic: &str,
    partition: Option<i32>,
) -> Result<(), WorkerError> {
    clients::send(
        producer,
        Outgoing {
            topic,
            partition,
            timestamp: batch.timestamp(row),
            key: batch.key(row),
            value: batch.value(row),
            headers: batch.headers(row),
        },
    )
    .map_err(kafka("producing a record"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_engine::RawBatchBuilder;

    #[test]
    fn row_at_offset_finds_each_offset_and_only_those() {
        let mut builder = RawBatchBuilder::new();
        for offset in [3, 4, 7, 10] {
            builder.push_parts("t", 0, offset, None, None, None, []);
        }
        let batch = builder.finish();
        assert_eq!(row_at_offset(&batch, 3), Some(0));
        assert_eq!(row_at_offset(&batch, 7), Some(2));
        assert_eq!(row_at_offset(&batch, 10), Some(3));
        assert_eq!(row_at_offset(&batch, 5), None);
        assert_eq!(row_at_offset(&batch, 11), None);
        assert_eq!(row_at_offset(&RawBatch::default(), 0), None);
    }
}
