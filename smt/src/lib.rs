//! weir's single message transforms and predicates: Kafka Connect's, each a vectorized kernel
//! over a segment with a row-wise reference (design §3).
//!
//! - [`transform`]: the [`Transform`] and [`Predicate`] traits and what they exchange.
//! - [`record`]: [`ConnectRecord`], the row-wise model of the references.
//! - [`config`]: a transform's settings with Kafka's types, defaults and messages.
//! - [`util`]: what Kafka's transforms share: requirement messages, schema copies, the per-schema cache.

pub mod config;
pub mod record;
pub mod transform;
pub mod util;

use std::sync::Arc;

pub use config::{ConfigProblem, TransformConfig};
pub use record::ConnectRecord;
pub use transform::{OutputPart, Predicate, RecordMeta, SegmentInput, SegmentOutput, Transform};

/// Which half of the record a `$Key` / `$Value` transform works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The key (`…$Key`).
    Key,
    /// The value (`…$Value`).
    Value,
}

/// Builds a configured transform.
pub type TransformFactory = fn(&TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem>;
/// Builds a configured predicate.
pub type PredicateFactory = fn(&TransformConfig) -> Result<Arc<dyn Predicate>, ConfigProblem>;

/// Kafka's built-in transforms by class name.
pub fn builtin_transforms() -> Vec<(&'static str, TransformFactory)> {
    Vec::new()
}

/// Kafka's built-in predicates by class name.
pub fn builtin_predicates() -> Vec<(&'static str, PredicateFactory)> {
    Vec::new()
}
