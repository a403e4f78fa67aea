//! weir-worker: Kafka Connect's converters and SMTs between Kafka topics, without a JVM. It reads
//! a Connect-style properties file, consumes with a consumer group, runs each fetched partition's
//! records through a [`weir_engine::Pipeline`] and produces the results, committing offsets only
//! once the results are acknowledged (at-least-once; `exactly.once=true`: Kafka transactions).
//!
//! - [`config`]: the properties file.
//! - [`clients`]: the librdkafka consumer and producer.
//! - [`batch`]: a consumed batch, split by partition.
//! - [`run`]: the consume → process → produce → commit loop, pipelined one batch deep.
//! - [`in_flight`]: the batch being delivered while the next is processed, and its commit.
//! - [`error`]: why the worker stops.
//! - [`metrics`]: counters, latency, lag and the progress line.

pub mod batch;
pub mod clients;
pub mod config;
pub mod error;
pub mod in_flight;
pub mod metrics;
pub mod run;
