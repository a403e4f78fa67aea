//! weir's embedding API: build a [`Pipeline`] from a Kafka Connect connector config, feed it
//! [`RawBatch`]es, get [`Output`]s — records in input order, dead letters, counters — and, for
//! Arrow consumers, the decoded [`ConnectBatch`].
//!
//! - [`properties`]: Java `.properties` text.
//! - [`config`]: converter and error-handling settings, validated once.
//! - [`registry`]: converter classes by name, Kafka's built-ins and the embedder's own.
//! - [`pipeline`]: decode → transform chain → encode.
//! - [`plan`]: the transform chain compiled from `transforms=` and `predicates=`.
//! - [`pre_dropped_headers`]: the headers a chain removes before any step could read them.
//! - [`verify`]: the vectorized chain checked against the row-wise references.
//! - [`fuzzing`]: the fuzz bodies of the transform families, run by `fuzz/` and as proptests.
//! - [`interchange`]: the JSON-lines interchange format of `smtbench` and the conformance cases.

pub mod config;
pub mod fuzzing;
pub mod interchange;
pub mod known_classes;
pub mod output;
pub mod pipeline;
pub mod plan;
pub mod pre_dropped_headers;
pub mod properties;
pub mod registry;
pub mod verify;

pub use output::{Output, RowError, Stage};
pub use pipeline::{ConfigError, Pipeline};
pub use weir_formats::batch::ConnectBatch;
pub use weir_formats::raw::{RawBatch, RawBatchBuilder, RawRecord};
pub use weir_smt::NO_PARTITION;

/// The README's examples, compiled and run as doctests so the README stays true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
