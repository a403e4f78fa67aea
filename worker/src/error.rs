//! Why the worker stops other than by a signal.

use rdkafka::error::KafkaError;
use weir_engine::RowError;

use crate::config::WorkerConfigError;

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

/// Wraps a librdkafka error with what the worker was doing (for `map_err`).
pub fn kafka(context: &'static str) -> impl FnOnce(KafkaError) -> WorkerError {
    move |error| WorkerError::Kafka { context, error }
}
