//! The worker loop: consume a batch → run each partition's records through the [`Pipeline`]
//! (partitions in parallel, order kept within each) → produce every output record to the topic
//! the chain gives it, and every dead letter to the dead letter topic → wait until all are
//! acknowledged → commit the batch's offsets. With `exactly.once` the records and the offsets go
//! in one Kafka transaction.
//!
//! No offset is committed for a record whose output (or dead letter) is not acknowledged: when a
//! delivery fails the batch is rewound (each partition seeks back to the batch's first offset)
//! and processed again, so every input reaches the output at least once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer;
use rdkafka::Offset;
use weir_engine::{Output, Pipeline, RawBatch, RowError};

use crate::batch::{collect, PolledBatch};
use crate::clients::{self, Outgoing, WorkerConsumer, WorkerProducer};
use crate::config::{Subscription, WorkerConfig, WorkerConfigError};
use crate::metrics::{Counters, Progress};

/// Why the worker stopped other than by a signal.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The config cannot run.
    #[error("config: {0}")]
    Config(#[from] WorkerConfigError),
    /// A Kafka client call failed in a way the worker cannot recover from.
    #[error("{context}: {error}")]
    Kafka {
        /// What the worker was doing.
        context: &'static str,
        /// librdkafka's error.
        error: KafkaError,
    },
    /// A record failed with `errors.tolerance=none` (Connect fails the task; nothing of its
    /// batch is committed).
    #[error(
        "{0} (errors.tolerance=none; set errors.tolerance=all and a dead letter topic to go on)"
    )]
    Record(Box<RowError>),
    /// The chain wrote a record to a topic the worker consumes, which would loop forever.
    #[error("the record at offset {offset} would be written to {topic}, which the worker consumes: route it elsewhere (e.g. with RegexRouter)")]
    Loop {
        /// The input offset.
        offset: i64,
        /// The output topic.
        topic: String,
    },
}

fn kafka(context: &'static str) -> impl FnOnce(KafkaError) -> WorkerError {
    move |error| WorkerError::Kafka { context, error }
}

/// Time to wait for librdkafka's transactional calls.
const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);

/// A running worker: its clients, pipeline and counters.
pub struct Worker {
    config: WorkerConfig,
    pipeline: Pipeline,
    consumer: WorkerConsumer,
    producer: WorkerProducer,
    subscription_regex: Option<regex::Regex>,
    progress: Progress,
}

/// How a batch ended.
enum BatchEnd {
    /// Written and committed.
    Committed(Counters),
    /// Not committed (a delivery or the transaction failed); the consumer was rewound.
    Rewound,
}

impl Worker {
    /// Builds the pipeline and the clients, subscribes, and (with `exactly.once`) initialises
    /// the transactional producer (which aborts a transaction a previous run left open).
    pub fn new(config: WorkerConfig) -> Result<Worker, WorkerError> {
        let pipeline = config.pipeline()?;
        let consumer =
            clients::consumer(&config.consumer).map_err(kafka("creating the consumer"))?;
        let producer =
            clients::producer(&config.producer).map_err(kafka("creating the producer"))?;
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
            subscription_regex,
            progress: Progress::new(),
        })
    }

    /// The counters so far.
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
        self.progress.finish(self.consumer.context().lag());
        tracing::info!("weir-worker stopped after committing its last batch");
        Ok(self.progress.counters())
    }

    /// Polls one batch (waiting up to `worker.batch.max.wait.ms` for its first record) and
    /// processes, writes and commits it; returns how many records it held (0: none came).
    pub fn run_batch(&mut self) -> Result<usize, WorkerError> {
        let started = Instant::now();
        let polled = collect(
            &self.consumer,
            self.config.batch_max_records,
            self.config.batch_max_wait,
        );
        if polled.is_empty() {
            self.progress.tick(self.consumer.context().lag());
            return Ok(0);
        }
        match self.process(&polled)? {
            BatchEnd::Committed(counters) => {
                self.progress
                    .batch(counters, started.elapsed(), self.consumer.context().lag());
            }
            BatchEnd::Rewound => self.rewind(&polled),
        }
        Ok(polled.len())
    }

    /// Processes, writes and commits one batch.
    fn process(&self, polled: &PolledBatch) -> Result<BatchEnd, WorkerError> {
        // With errors.tolerance=none a failed record stops the worker before anything of the
        // batch is sent.
        let outputs = self
            .pipeline
            .process_partitions(&polled.batches)
            .into_iter()
            .collect::<Result<Vec<Output>, RowError>>()
            .map_err(|e| WorkerError::Record(Box::new(e)))?;
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
        for (input, output) in polled.batches.iter().zip(&outputs) {
            self.send_records(output)?;
            self.send_dead_letters(input, output)?;
            counters.records_out += output.records.len() as u64;
            counters.dropped += output.dropped as u64;
            counters.dead_lettered += output.dead_letters.len() as u64;
        }
        clients::flush(&self.producer).map_err(kafka("waiting for acknowledgements"))?;
        if let Some((failed, error)) = self.producer.context().failures() {
            tracing::warn!(
                "{failed} records were not acknowledged ({error}); processing the batch again"
            );
            if self.config.exactly_once {
                self.abort()?;
            }
            return Ok(BatchEnd::Rewound);
        }
        let offsets = polled
            .commit_offsets()
            .map_err(kafka("listing the offsets to commit"))?;
        if self.config.exactly_once {
            return self.commit_transaction(&offsets, counters);
        }
        // A failed commit loses nothing: the records are written, and a later commit (or the
        // partition's next owner, from the older offset) covers them — at least once.
        if let Err(error) = self.consumer.commit(&offsets, CommitMode::Sync) {
            tracing::warn!("committing offsets: {error}");
        }
        Ok(BatchEnd::Committed(counters))
    }

    /// Sends the offsets with the transaction and commits it; on an abortable error aborts it.
    fn commit_transaction(
        &self,
        offsets: &rdkafka::TopicPartitionList,
        counters: Counters,
    ) -> Result<BatchEnd, WorkerError> {
        let metadata = self
            .consumer
            .group_metadata()
            .ok_or_else(|| WorkerError::Kafka {
                context: "reading the consumer group metadata",
                error: KafkaError::Canceled,
            })?;
        let result = self
            .producer
            .send_offsets_to_transaction(offsets, &metadata, TRANSACTION_TIMEOUT)
            .and_then(|()| self.producer.commit_transaction(TRANSACTION_TIMEOUT));
        match result {
            Ok(()) => Ok(BatchEnd::Committed(counters)),
            Err(KafkaError::Transaction(error)) if error.txn_requires_abort() => {
                tracing::warn!(
                    "transaction failed ({error}); aborting and processing the batch again"
                );
                self.abort()?;
                Ok(BatchEnd::Rewound)
            }
            Err(error) => Err(WorkerError::Kafka {
                context: "committing the transaction",
                error,
            }),
        }
    }

    fn abort(&self) -> Result<(), WorkerError> {
        self.producer
            .abort_transaction(TRANSACTION_TIMEOUT)
            .map_err(kafka("aborting the transaction"))
    }

    /// Seeks every partition of `polled` back to its first offset in the batch. A partition the
    /// worker no longer owns is skipped: its next owner starts from the last commit.
    fn rewind(&self, polled: &PolledBatch) {
        for range in &polled.ranges {
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
