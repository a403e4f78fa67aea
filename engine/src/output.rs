//! What a [`Pipeline`](crate::Pipeline) run produces: the records in input order, the dead letters
//! with their errors, and counters.

use std::fmt;

use weir_formats::error::ConnectError;
use weir_formats::raw::{RawBatch, RawBatchBuilder};

/// The stage a row error happened in, named as Kafka's `__connect.errors.stage` header names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The key converter (reading or writing the key).
    KeyConverter,
    /// The value converter (reading or writing the value).
    ValueConverter,
    /// The header converter.
    HeaderConverter,
    /// A transform or its predicate.
    Transformation,
}

/// Why a row failed: the stage, the class that failed, the error.
#[derive(Debug, Clone)]
pub struct RowFailure {
    /// The stage.
    pub stage: Stage,
    /// The failing converter's or transform's class.
    pub class_name: String,
    /// The error.
    pub error: ConnectError,
}

impl Stage {
    /// Kafka's enum name (`KEY_CONVERTER`, …).
    pub fn kafka_name(self) -> &'static str {
        match self {
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::Transformation => "TRANSFORMATION",
        }
    }
}

/// A record that failed: where it is, which stage failed, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// The record's topic.
    pub topic: String,
    /// The record's partition ([`crate::NO_PARTITION`] when the input record had none).
    pub partition: i32,
    /// The record's offset.
    pub offset: i64,
    /// The failing stage.
    pub stage: Stage,
    /// The class name of the failing converter or transform (`__connect.errors.class.name`).
    pub class_name: String,
    /// The error, with the field path when known.
    pub error: ConnectError,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "record {}/{}/{} failed in {} ({}): {}",
            self.topic,
            self.partition,
            self.offset,
            self.stage.kafka_name(),
            self.class_name,
            self.error
        )
    }
}

impl std::error::Error for RowError {}

/// The result of processing one batch.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// The output records in input order; each keeps its input offset. Dropped and failed records
    /// are absent.
    pub records: RawBatch,
    /// Failed records with their original bytes and Kafka's `__connect.errors.*` context headers,
    /// in input order (only with `errors.tolerance=all`).
    pub dead_letters: RawBatch,
    /// The error of each dead letter, in the same order.
    pub errors: Vec<RowError>,
    /// How many records a transform dropped (Filter, or a null result).
    pub dropped: usize,
}

impl Output {
    /// Empties the output, keeping its storage for the next
    /// [`Pipeline::process_into`](crate::Pipeline::process_into). Cost: no allocation.
    pub fn clear(&mut self) {
        let keep = |batch: &mut RawBatch| {
            *batch = RawBatchBuilder::reusing(std::mem::take(batch)).finish();
        };
        keep(&mut self.records);
        keep(&mut self.dead_letters);
        self.errors.clear();
        self.dropped = 0;
    }
}
