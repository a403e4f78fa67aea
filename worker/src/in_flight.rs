//! The batch in flight: its records are queued to the producer (librdkafka delivers them on its
//! own threads) while the worker polls and processes the next batch. Settling it waits for the
//! acknowledgements and commits its offsets (with `exactly.once`, the transaction) — from the
//! worker loop before the next batch is sent, or from the consumer's [`BeforeRevoke`] hook when a
//! rebalance comes first.
//!
//! No offset is committed for a record whose output (or dead letter) is not acknowledged: when
//! a delivery fails the batch settles as [`Settled::Rewound`] and the worker reads it again.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer;
use rdkafka::TopicPartitionList;

use crate::batch::PartitionRange;
use crate::clients::{self, BeforeRevoke, WorkerConsumer, WorkerProducer};
use crate::error::{kafka, WorkerError};
use crate::metrics::Counters;

/// Time to wait for librdkafka's transactional calls.
pub const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);

/// A batch whose records (and dead letters) are queued to the producer.
#[derive(Debug)]
pub struct InFlight {
    /// Each partition's offsets in the batch (to read it again if it fails).
    pub ranges: Vec<PartitionRange>,
    /// The offsets to commit once it is written.
    pub offsets: TopicPartitionList,
    /// What it counts once committed.
    pub counters: Counters,
    /// When its poll began.
    pub started: Instant,
}

/// How a batch in flight ended.
#[derive(Debug)]
pub enum Settled {
    /// Written and committed.
    Committed {
        /// Its counters.
        counters: Counters,
        /// From its poll to its commit.
        latency: Duration,
    },
    /// Not committed (a delivery or the transaction failed): these partitions must be read
    /// again from these offsets.
    Rewound(Vec<PartitionRange>),
}

/// What the slot holds.
#[derive(Debug, Default)]
enum State {
    /// Nothing in flight.
    #[default]
    Empty,
    /// A batch waiting to be settled.
    Sent(InFlight),
    /// A batch the rebalance hook settled, waiting for the worker loop to see how.
    Done(Result<Settled, WorkerError>),
}

/// The one batch in flight, shared by the worker loop and the consumer's rebalance hook.
pub struct InFlightSlot {
    producer: Arc<WorkerProducer>,
    exactly_once: bool,
    state: Mutex<State>,
}

impl InFlightSlot {
    /// An empty slot for batches sent with `producer` (transactional when `exactly_once`).
    pub fn new(producer: Arc<WorkerProducer>, exactly_once: bool) -> InFlightSlot {
        InFlightSlot {
            producer,
            exactly_once,
            state: Mutex::new(State::Empty),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is replaced whole, never left half-written: a panic elsewhere cannot
        // corrupt it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds `batch` until it is settled. The slot must be empty (the worker settles the last
    /// batch before sending the next).
    pub fn put(&self, batch: InFlight) {
        let mut state = self.state();
        debug_assert!(matches!(*state, State::Empty), "two batches in flight");
        *state = State::Sent(batch);
    }

    /// Settles the batch in flight (waiting for its acknowledgements and committing), or
    /// returns how the rebalance hook settled it; `None` when nothing was in flight.
    pub fn settle(&self, consumer: &WorkerConsumer) -> Option<Result<Settled, WorkerError>> {
        // Taken out first: the lock is not held while waiting on the broker.
        match std::mem::take(&mut *self.state()) {
            State::Empty => None,
            State::Sent(batch) => Some(self.settle_batch(consumer, batch)),
            State::Done(result) => Some(result),
        }
    }

    fn settle_batch(
        &self,
        consumer: &WorkerConsumer,
        batch: InFlight,
    ) -> Result<Settled, WorkerError> {
        clients::flush(&self.producer).map_err(kafka("waiting for acknowledgements"))?;
        if let Some((failed, error)) = self.producer.context().failures() {
            tracing::warn!(
                "{failed} records were not acknowledged ({error}); processing the batch again"
            );
            if self.exactly_once {
                self.abort()?;
            }
            return Ok(Settled::Rewound(batch.ranges));
        }
        if self.exactly_once {
            return self.commit_transaction(consumer, batch);
        }
        // A failed commit loses nothing: the records are written, and a later commit (or the
        // partition's next owner, from the older offset) covers them — at least once.
        if let Err(error) = consumer.commit(&batch.offsets, CommitMode::Sync) {
            tracing::warn!("committing offsets: {error}");
        }
        Ok(committed(batch))
    }

    /// Sends the offsets with the transaction and commits it; on an abortable error aborts it.
    fn commit_transaction(
        &self,
        consumer: &WorkerConsumer,
        batch: InFlight,
    ) -> Result<Settled, WorkerError> {
        let metadata = consumer
            .group_metadata()
            .ok_or_else(|| WorkerError::Kafka {
                context: "reading the consumer group metadata",
                error: KafkaError::Canceled,
            })?;
        let result = self
            .producer
            .send_offsets_to_transaction(&batch.offsets, &metadata, TRANSACTION_TIMEOUT)
            .and_then(|()| self.producer.commit_transaction(TRANSACTION_TIMEOUT));
        match result {
            Ok(()) => Ok(committed(batch)),
            Err(KafkaError::Transaction(error)) if error.txn_requires_abort() => {
                tracing::warn!(
                    "transaction failed ({error}); aborting and processing the batch again"
                );
                self.abort()?;
                Ok(Settled::Rewound(batch.ranges))
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
}

fn committed(batch: InFlight) -> Settled {
    Settled::Committed {
        counters: batch.counters,
        latency: batch.started.elapsed(),
    }
}

impl BeforeRevoke for InFlightSlot {
    /// Settles the batch in flight before its partitions go; the worker loop learns the outcome
    /// from its next [`InFlightSlot::settle`].
    fn before_revoke(&self, consumer: &WorkerConsumer) {
        let taken = std::mem::take(&mut *self.state());
        if let State::Sent(batch) = taken {
            tracing::info!("committing the batch in flight before partitions are revoked");
            let result = self.settle_batch(consumer, batch);
            *self.state() = State::Done(result);
        } else {
            *self.state() = taken;
        }
    }
}
