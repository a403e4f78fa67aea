//! `org.apache.kafka.connect.transforms.DropHeaders`: removes every header whose name is in
//! `headers`, keeping the others in order.

use std::collections::HashSet;
use std::sync::Arc;

use weir_formats::error::ConnectError;

use crate::config::{ConfigProblem, TransformConfig};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};

/// The configured transform: the names to remove.
#[derive(Debug)]
pub struct DropHeaders {
    names: NameSet,
}

/// A set of header names probed for every header of every record: a mask of the names' lengths
/// first (most headers differ in length from every name to drop, and are kept after a shift and
/// a test), then a compare with each of a few names, or a hash lookup with foldhash rather than
/// SipHash among many (hashing every header was a third of the transform's instructions,
/// callgrind; hashing a header of a listed length, 13% of it where one name is listed).
#[derive(Debug)]
struct NameSet {
    /// Bit `min(len, 63)` set for each name's byte length.
    lengths: u64,
    names: Names,
}

#[derive(Debug)]
enum Names {
    /// At most [`NameSet::FEW`] names, compared one by one.
    Few(Vec<String>),
    Many(HashSet<String, foldhash::fast::RandomState>),
}

impl NameSet {
    /// Up to how many names are compared rather than hashed.
    const FEW: usize = 4;

    fn new(names: impl IntoIterator<Item = String>) -> NameSet {
        let names: HashSet<String, _> = names.into_iter().collect();
        let lengths = names.iter().fold(0, |mask, name| mask | length_bit(name));
        let names = if names.len() <= Self::FEW {
            Names::Few(names.into_iter().collect())
        } else {
            Names::Many(names)
        };
        NameSet { lengths, names }
    }

    /// Whether `name` is in the set. Cost: a shift and a test, then for a name of a listed
    /// length a compare with each of a few names, or one hash and compare. Always inlined into
    /// the batch's header loop (a call per header was a third of the transform, callgrind).
    #[inline(always)]
    fn contains(&self, name: &str) -> bool {
        self.lengths & length_bit(name) != 0
            && match &self.names {
                Names::Few(names) => names.iter().any(|n| n == name),
                Names::Many(names) => names.contains(name),
            }
    }
}

fn length_bit(name: &str) -> u64 {
    weir_formats::raw::length_bit(name.len())
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
            names: NameSet::new(names),
        })
    }
}

impl Transform for DropHeaders {
    /// Neither key nor value: it edits headers.
    fn touches(&self, _side: crate::Side) -> bool {
        false
    }

    /// Removes the named headers from each row. Cost: one pass over the batch's headers in
    /// place with a [`NameSet`] probe per header of the rows; keys and values are not touched.
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

    /// Names of lengths 0–3 and of 62–66 bytes (lengths past 63 share the mask's last bit).
    fn arb_name() -> impl Strategy<Value = String> {
        prop_oneof!["[ab]{0,3}", "a{62,66}"]
    }

    proptest! {
        #[test]
        fn name_set_holds_what_a_hash_set_holds(
            names in prop::collection::vec(arb_name(), 1..9),
            probes in prop::collection::vec(arb_name(), 0..16),
        ) {
            let set = NameSet::new(names.iter().cloned());
            for probe in probes.iter().chain(&names) {
                prop_assert_eq!(set.contains(probe), names.contains(probe), "{}", probe);
            }
        }

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
