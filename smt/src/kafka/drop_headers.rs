//! `org.apache.kafka.connect.transforms.DropHeaders`: removes every header whose name is in
//! `headers`, keeping the others in order.

use std::sync::Arc;

use weir_formats::error::ConnectError;

use crate::config::{ConfigProblem, TransformConfig};
use crate::kernel::header_name_set::HeaderNameSet;
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};

/// The configured transform: the names to remove.
#[derive(Debug)]
pub struct DropHeaders {
    names: HeaderNameSet,
}

/// Builds `DropHeaders` from `headers` (a required, non-empty LIST).
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(DropHeaders::from_config(config)?))
}

impl DropHeaders {
    /// Parses the settings with Kafka's `NonEmptyListValidator`.
    pub fn from_config(config: &TransformConfig) -> Result<DropHeaders, ConfigProblem> {
        let names = config
            .list("headers")
            .ok_or_else(|| ConfigProblem::missing("headers"))?;
        if names.is_empty() {
            return Err(ConfigProblem::invalid("headers", "[]", "Empty list"));
        }
        Ok(DropHeaders {
            names: HeaderNameSet::new(names),
        })
    }
}

impl Transform for DropHeaders {
    /// Neither key nor value: it edits headers.
    fn touches(&self, _side: crate::Side) -> bool {
        false
    }

    /// Removes its names; reads and adds none.
    fn header_use(&self) -> crate::HeaderUse {
        crate::HeaderUse {
            removes: self.names.iter().map(str::to_string).collect(),
            ..crate::HeaderUse::NONE
        }
    }

    /// Removes the named headers from each row. Cost: one pass over the batch's headers in
    /// place with a [`HeaderNameSet`] probe per header of the rows; keys and values are not
    /// touched.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        input
            .meta
            .headers
            .retain(input.rows, |name| !self.names.contains(name));
        SegmentOutput::all(input.rows.len(), input.key.clone(), input.value.clone())
    }

    fn apply_record(
        &self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        record.headers.retain(|h| !self.names.contains(&h.name));
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::kernel::routing::testkit::{arb_segment, assert_agree, kernel, reference};

    fn drop(headers: Option<&str>) -> Result<DropHeaders, ConfigProblem> {
        DropHeaders::from_config(&TransformConfig::new(
            "dh",
            "org.apache.kafka.connect.transforms.DropHeaders",
            headers.map(|h| ("headers".to_string(), h.to_string())),
        ))
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(
            records in arb_segment(),
            names in prop_oneof![Just("a"), Just("a,b"), Just("c, nosuch"), Just("a,b,c")],
        ) {
            let t = drop(Some(names)).unwrap();
            assert_agree(&kernel(&t, &records), &reference(&t, &records));
        }
    }

    #[test]
    fn config_errors_use_kafkas_messages() {
        assert_eq!(
            drop(None).unwrap_err().message,
            "Missing required configuration \"headers\" which has no default value."
        );
        assert_eq!(
            drop(Some(" ")).unwrap_err().message,
            "Invalid value [] for configuration headers: Empty list"
        );
    }
}
