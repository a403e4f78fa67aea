//! The Kafka clients (librdkafka through `rdkafka`): a consumer whose statistics give the
//! consumer lag and that runs a hook before a rebalance revokes partitions, and a producer that
//! counts failed deliveries, both logging through `tracing`.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::statistics::Statistics;
use rdkafka::TopicPartitionList;

/// Forwards a librdkafka log line to `tracing` at the matching level.
fn log(level: RDKafkaLogLevel, facility: &str, message: &str) {
    match level {
        RDKafkaLogLevel::Emerg
        | RDKafkaLogLevel::Alert
        | RDKafkaLogLevel::Critical
        | RDKafkaLogLevel::Error => tracing::error!(target: "librdkafka", facility, "{message}"),
        RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", facility, "{message}"),
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
            tracing::info!(target: "librdkafka", facility, "{message}")
        }
        RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", facility, "{message}"),
    }
}

/// Work that must be done before a rebalance takes partitions away: the worker commits the
/// batch it has in flight there, as Kafka Connect commits in `onPartitionsRevoked`, so the
/// partitions' next owner starts after it.
pub trait BeforeRevoke: Send + Sync {
    /// Runs inside `poll`, before librdkafka gives the partitions up (the group generation is
    /// still the one the batch was consumed in, so its offsets can still be committed).
    fn before_revoke(&self, consumer: &WorkerConsumer);
}

/// A topic and partition.
pub type Partition = (String, i32);

/// The consumer's context: the total consumer lag from librdkafka's statistics (every
/// `statistics.interval.ms`, one JSON parse each), the partitions revoked since they were last
/// taken, and the [`BeforeRevoke`] hook.
pub struct ConsumerHooks {
    lag: AtomicI64,
    revoked: Mutex<Vec<Partition>>,
    before_revoke: Option<Arc<dyn BeforeRevoke>>,
}

impl ConsumerHooks {
    /// Records the consumer is behind the high watermarks of its partitions, summed (-1 before
    /// the first statistics).
    pub fn lag(&self) -> i64 {
        self.lag.load(Ordering::Relaxed)
    }

    /// The partitions revoked since the last call (records polled from them before are no
    /// longer this consumer's to process: their next owner reads them from the last commit).
    pub fn take_revoked(&self) -> Vec<Partition> {
        std::mem::take(&mut *self.revoked.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl ClientContext for ConsumerHooks {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        log(level, facility, message);
    }

    fn stats(&self, statistics: Statistics) {
        let lag = statistics
            .topics
            .values()
            .flat_map(|topic| topic.partitions.values())
            .filter(|p| p.partition >= 0 && p.consumer_lag >= 0)
            .map(|p| p.consumer_lag)
            .sum();
        self.lag.store(lag, Ordering::Relaxed);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(target: "librdkafka", "{error}: {reason}");
    }
}

impl ConsumerContext for ConsumerHooks {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            self.revoked
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(
                    list.elements()
                        .iter()
                        .map(|e| (e.topic().to_string(), e.partition())),
                );
            if let Some(hook) = &self.before_revoke {
                hook.before_revoke(consumer);
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let names = |list: &TopicPartitionList| {
            list.elements()
                .iter()
                .map(|e| format!("{}-{}", e.topic(), e.partition()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match rebalance {
            Rebalance::Assign(list) => tracing::info!("partitions assigned: [{}]", names(list)),
            Rebalance::Revoke(list) => tracing::info!("partitions revoked: [{}]", names(list)),
            Rebalance::Error(error) => tracing::warn!("rebalance: {error}"),
        }
        // With an incremental protocol (cooperative, or group.protocol=consumer) the lists above
        // are changes; this is the whole assignment.
        match consumer.assignment() {
            Ok(list) => tracing::info!("assignment after rebalance: [{}]", names(&list)),
            Err(error) => tracing::warn!("reading the assignment: {error}"),
        }
    }
}

/// The producer's context: counts deliveries that failed (after librdkafka's retries) since the
/// last [`DeliveryTracker::reset`], and keeps the first error.
#[derive(Debug, Default)]
pub struct DeliveryTracker {
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl DeliveryTracker {
    /// Starts a new batch: no failures.
    pub fn reset(&self) {
        self.failed.store(0, Ordering::Relaxed);
        if let Ok(mut first) = self.first_error.lock() {
            *first = None;
        }
    }

    /// The failures since the last reset, with the first one's error.
    pub fn failures(&self) -> Option<(u64, String)> {
        let failed = self.failed.load(Ordering::Relaxed);
        (failed > 0).then(|| {
            let first = self.first_error.lock().ok().and_then(|f| f.clone());
            (failed, first.unwrap_or_default())
        })
    }
}

impl ClientContext for DeliveryTracker {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(target: "librdkafka", "{error}: {reason}");
    }
}

impl ProducerContext for DeliveryTracker {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((error, message)) = result {
            self.failed.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut first) = self.first_error.lock() {
                first.get_or_insert_with(|| {
                    use rdkafka::Message;
                    format!(
                        "{error} (topic {}, partition {})",
                        message.topic(),
                        message.partition()
                    )
                });
            }
        }
    }
}

/// The worker's consumer.
pub type WorkerConsumer = BaseConsumer<ConsumerHooks>;

/// The worker's producer.
pub type WorkerProducer = BaseProducer<DeliveryTracker>;

fn client_config(settings: &[(String, String)]) -> ClientConfig {
    let mut config = ClientConfig::new();
    for (key, value) in settings {
        config.set(key, value);
    }
    config
}

/// Creates the consumer from librdkafka `settings` (statistics every second unless overridden),
/// running `before_revoke` (if any) before each rebalance that revokes partitions.
pub fn consumer(
    settings: &[(String, String)],
    before_revoke: Option<Arc<dyn BeforeRevoke>>,
) -> KafkaResult<WorkerConsumer> {
    let mut config = client_config(settings);
    if config.get("statistics.interval.ms").is_none() {
        config.set("statistics.interval.ms", "1000");
    }
    config.create_with_context(ConsumerHooks {
        lag: AtomicI64::new(-1),
        revoked: Mutex::new(Vec::new()),
        before_revoke,
    })
}

/// Creates the producer from librdkafka `settings`.
pub fn producer(settings: &[(String, String)]) -> KafkaResult<WorkerProducer> {
    client_config(settings).create_with_context(DeliveryTracker::default())
}

/// One record to produce; borrowed from a batch.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a, H> {
    /// The topic.
    pub topic: &'a str,
    /// The partition, or `None` for the producer's partitioner (by key).
    pub partition: Option<i32>,
    /// The timestamp (the input's CreateTime), or `None` for the time of sending.
    pub timestamp: Option<i64>,
    /// The key, or null.
    pub key: Option<&'a [u8]>,
    /// The value, or null.
    pub value: Option<&'a [u8]>,
    /// The headers in order.
    pub headers: H,
}

/// Queues `record` for sending, waiting (serving delivery reports) while librdkafka's queue is
/// full. Costs one copy of the record into librdkafka.
pub fn send<'a, H>(producer: &WorkerProducer, record: Outgoing<'a, H>) -> KafkaResult<()>
where
    H: Iterator<Item = (&'a str, Option<&'a [u8]>)>,
{
    let mut headers = OwnedHeaders::new();
    for (key, value) in record.headers {
        headers = headers.insert(Header { key, value });
    }
    let mut base: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(record.topic).headers(headers);
    if let Some(partition) = record.partition {
        base = base.partition(partition);
    }
    if let Some(timestamp) = record.timestamp {
        base = base.timestamp(timestamp);
    }
    if let Some(key) = record.key {
        base = base.key(key);
    }
    if let Some(value) = record.value {
        base = base.payload(value);
    }
    loop {
        match producer.send(base) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                base = back;
                producer.poll(Duration::from_millis(50));
            }
            Err((error, _)) => return Err(error),
        }
    }
}

/// Waits until every queued record is acknowledged or has failed (librdkafka's
/// `message.timeout.ms` bounds the wait), serving delivery reports.
pub fn flush(producer: &WorkerProducer) -> KafkaResult<()> {
    loop {
        match producer.flush(Duration::from_millis(500)) {
            Ok(()) => return Ok(()),
            Err(KafkaError::Flush(RDKafkaErrorCode::OperationTimedOut)) => {}
            Err(error) => return Err(error),
        }
    }
}
