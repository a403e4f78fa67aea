//! weir's single message transforms and predicates: Kafka Connect's and Debezium's, each a
//! vectorized kernel over a segment with a row-wise reference (design §3).
//!
//! - [`transform`]: the [`Transform`] and [`Predicate`] traits and what they exchange.
//! - [`header_use`]: what a transform or predicate does with headers, by name.
//! - [`record`]: [`ConnectRecord`], the row-wise model of the references.
//! - [`config`]: a transform's settings with Kafka's types, defaults and messages.
//! - [`kernel`]: what the transforms of both families share.
//! - [`meta_column`]: a batch metadata column that is copied only when a transform writes it.
//! - [`kafka`]: Kafka Connect's transforms and predicates, one file each.
//! - [`debezium`]: Debezium's transforms, one file each.

pub mod config;
pub mod debezium;
pub mod header_use;
pub mod kafka;
pub mod kernel;
pub mod meta_column;
pub mod record;
pub mod transform;

use std::sync::Arc;

pub use config::{ConfigProblem, TransformConfig};
pub use header_use::{HeaderNames, HeaderUse};
pub use meta_column::MetaColumn;
pub use record::ConnectRecord;
pub use transform::{
    OutputPart, Predicate, RecordMeta, SegmentInput, SegmentOutput, Transform, NO_PARTITION,
};

/// Which half of the record a `$Key` / `$Value` transform works on (the converters' side).
pub use weir_formats::converter::Side;

/// Builds a configured transform.
pub type TransformFactory = fn(&TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem>;
/// Builds a configured predicate.
pub type PredicateFactory = fn(&TransformConfig) -> Result<Arc<dyn Predicate>, ConfigProblem>;

/// The built-in transforms by class name: Kafka's own and Debezium's ([`debezium::transforms`]).
pub fn builtin_transforms() -> Vec<(&'static str, TransformFactory)> {
    let mut transforms = kafka::transforms();
    transforms.extend(debezium::transforms());
    transforms
}

/// The built-in predicates by class name: Kafka's ([`kafka::predicates`]).
pub fn builtin_predicates() -> Vec<(&'static str, PredicateFactory)> {
    kafka::predicates()
}
