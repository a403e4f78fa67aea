//! Checks the vectorized chain against the row-wise references (design §3): the same batch is
//! decoded once, then transformed both by the compiled plan over segments and record by record
//! through every transform's `apply_record` (with each predicate's `test_record`), and the two
//! outcomes are compared row by row. `smtbench apply --verify` runs this.

use weir_formats::raw::RawBatch;
use weir_smt::{ConnectRecord, SegmentInput};

use crate::pipeline::{DecodedBatch, Pipeline};
use crate::plan::take_meta;

/// What became of one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It came out of the chain as this record.
    Kept(ConnectRecord),
    /// A transform dropped it.
    Dropped,
    /// It failed (decode or a transform), with the error text.
    Failed(String),
}

/// One row where the kernels and the references disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The record's offset.
    pub offset: i64,
    /// What the vectorized chain produced.
    pub columnar: Outcome,
    /// What the row-wise references produced.
    pub reference: Outcome,
}

/// Runs `raw` through the chain both ways and returns every row where they disagree. Cost: the
/// columnar run plus a value tree per record — a check, not a production path.
pub fn verify(pipeline: &Pipeline, raw: &RawBatch) -> Vec<Difference> {
    let columnar = outcomes(&pipeline.transform(raw));
    let reference = reference_outcomes(pipeline, raw);
    columnar
        .into_iter()
        .zip(reference)
        .enumerate()
        .filter(|(_, (c, r))| !same(c, r))
        .map(|(row, (columnar, reference))| Difference {
            offset: raw.offset(row),
            columnar,
            reference,
        })
        .collect()
}

/// Errors compare by their facts — the exception class, which names the kind of failure (the
/// conformance cases compare wording loosely, so messages may differ) — records exactly but for
/// the order of map entries, which Kafka's `HashMap`s do not keep (NaN equal to NaN, which `==`
/// on floats denies).
fn same(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (Outcome::Failed(a), Outcome::Failed(b)) => exception_class(a) == exception_class(b),
        (Outcome::Kept(a), Outcome::Kept(b)) => {
            let (a, b) = (sorted_maps(a.clone()), sorted_maps(b.clone()));
            a == b || format!("{a:?}") == format!("{b:?}")
        }
        _ => a == b,
    }
}

/// `record` with the maps of its key and value sorted ([`weir_formats::value::Value::with_sorted_maps`]).
fn sorted_maps(mut record: ConnectRecord) -> ConnectRecord {
    record.key = record.key.with_sorted_maps();
    record.value = record.value.with_sorted_maps();
    record
}

/// The exception class of a Kafka error text (`DataException: …` → `DataException`).
fn exception_class(text: &str) -> &str {
    text.split_once(':').map_or(text, |(class, _)| class)
}

/// Each row's outcome in a transformed batch.
fn outcomes(decoded: &DecodedBatch) -> Vec<Outcome> {
    let mut meta = take_meta(&mut decoded.batch.clone());
    let mut out: Vec<Outcome> = decoded
        .failures
        .iter()
        .map(|f| {
            f.as_ref()
                .map_or(Outcome::Dropped, |f| Outcome::Failed(f.error.kafka_text()))
        })
        .collect();
    for segment in &decoded.batch.segments {
        let input = SegmentInput {
            rows: &segment.rows,
            key: &segment.key,
            value: &segment.value,
            meta: &mut meta,
        };
        for (record, &row) in input.records().into_iter().zip(&segment.rows) {
            out[row as usize] = Outcome::Kept(record);
        }
    }
    out
}

/// Each row's outcome through the row-wise references.
fn reference_outcomes(pipeline: &Pipeline, raw: &RawBatch) -> Vec<Outcome> {
    reference_chain(pipeline, &pipeline.decode(raw))
}

/// Runs the transform chain over a decoded batch record by record through the references: each
/// row's outcome. Cost: a value tree per record (what the JVM does); `smtbench run --baseline
/// reference` times it against the kernels.
pub fn reference_chain(pipeline: &Pipeline, decoded: &DecodedBatch) -> Vec<Outcome> {
    let mut out = outcomes(decoded);
    for outcome in &mut out {
        if let Outcome::Kept(record) = outcome {
            *outcome = match pipeline.plan().run_record(record.clone()) {
                Ok(Some(record)) => Outcome::Kept(record),
                Ok(None) => Outcome::Dropped,
                Err(e) => Outcome::Failed(e.kafka_text()),
            };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_compare_by_exception_class() {
        let failed = |text: &str| Outcome::Failed(text.to_string());
        assert!(same(
            &failed("DataException: a"),
            &failed("DataException: b")
        ));
        assert!(!same(
            &failed("DataException: a"),
            &failed("SchemaBuilderException: a")
        ));
        assert!(!same(&Outcome::Dropped, &failed("DataException: a")));
        assert!(same(&Outcome::Dropped, &Outcome::Dropped));
    }
}
