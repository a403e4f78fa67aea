//! `org.apache.kafka.connect.transforms.Filter`: drops every record it is applied to. It has no
//! settings and is only useful under a predicate (`transforms.<alias>.predicate`), which the
//! engine evaluates before applying it.

use std::sync::Arc;

use weir_formats::error::ConnectError;

use crate::config::{ConfigProblem, TransformConfig};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};

/// The configured transform (Kafka's `Filter` ignores its settings).
#[derive(Debug, Default)]
pub struct Filter;

/// Builds `Filter`; no setting can fail.
pub fn build(_config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(Filter))
}

impl Transform for Filter {
    /// Neither key nor value: it drops whole records (its predicate decides what it reads).
    fn touches(&self, _side: crate::Side) -> bool {
        false
    }

    /// No header: it reads and writes the record's fields and metadata only.
    fn header_use(&self) -> crate::HeaderUse {
        crate::HeaderUse::NONE
    }

    /// Every row dropped. Cost: one index per row; no data is read.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        SegmentOutput {
            dropped: (0..input.rows.len() as u32).collect(),
            ..SegmentOutput::default()
        }
    }

    fn apply_record(&self, _record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::kernel::routing::testkit::{arb_segment, assert_agree, kernel, reference};

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(records in arb_segment()) {
            assert_agree(&kernel(&Filter, &records), &reference(&Filter, &records));
        }
    }

    #[test]
    fn settings_are_ignored() {
        let config = TransformConfig::new(
            "f",
            "org.apache.kafka.connect.transforms.Filter",
            [("anything".to_string(), "x".to_string())],
        );
        assert!(build(&config).is_ok());
    }
}
