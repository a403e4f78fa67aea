//! [`HeaderNameSet`]: a set of header names probed for every header of every record.

use std::collections::HashSet;

/// A set of header names probed for every header of every record: a mask of the names' lengths
/// first (most headers differ in length from every listed name, and are told apart after a
/// shift and a test), then a compare with each of a few names, or a hash lookup with foldhash
/// rather than SipHash among many (hashing every header was a third of `DropHeaders`'
/// instructions, callgrind; hashing a header of a listed length, 13% of it where one name is
/// listed).
#[derive(Debug, Clone)]
pub struct HeaderNameSet {
    /// Bit `min(len, 63)` set for each name's byte length.
    lengths: u64,
    names: Names,
}

#[derive(Debug, Clone)]
enum Names {
    /// At most [`HeaderNameSet::FEW`] names, compared one by one.
    Few(Vec<String>),
    Many(HashSet<String, foldhash::fast::RandomState>),
}

impl HeaderNameSet {
    /// Up to how many names are compared rather than hashed.
    const FEW: usize = 4;

    /// The set of `names` (repeats count once). Cost: one hash per name.
    pub fn new(names: impl IntoIterator<Item = String>) -> HeaderNameSet {
        let names: HashSet<String, _> = names.into_iter().collect();
        let lengths = names.iter().fold(0, |mask, name| mask | length_bit(name));
        let names = if names.len() <= Self::FEW {
            Names::Few(names.into_iter().collect())
        } else {
            Names::Many(names)
        };
        HeaderNameSet { lengths, names }
    }

    /// Whether `name` is in the set. Cost: a shift and a test, then for a name of a listed
    /// length a compare with each of a few names, or one hash and compare. Always inlined into
    /// the batch's header loops (a call per header was a third of `DropHeaders`, callgrind).
    #[inline(always)]
    pub fn contains(&self, name: &str) -> bool {
        self.lengths & length_bit(name) != 0
            && match &self.names {
                Names::Few(names) => names.iter().any(|n| n == name),
                Names::Many(names) => names.contains(name),
            }
    }

    /// The names, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let (few, many) = match &self.names {
            Names::Few(names) => (Some(names.iter()), None),
            Names::Many(names) => (None, Some(names.iter())),
        };
        few.into_iter()
            .flatten()
            .chain(many.into_iter().flatten())
            .map(String::as_str)
    }
}

fn length_bit(name: &str) -> u64 {
    weir_formats::raw::length_bit(name.len())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Names of lengths 0–3 and of 62–66 bytes (lengths past 63 share the mask's last bit).
    fn arb_name() -> impl Strategy<Value = String> {
        prop_oneof!["[ab]{0,3}", "a{62,66}"]
    }

    proptest! {
        #[test]
        fn holds_what_a_hash_set_holds(
            names in prop::collection::vec(arb_name(), 1..9),
            probes in prop::collection::vec(arb_name(), 0..16),
        ) {
            let set = HeaderNameSet::new(names.iter().cloned());
            for probe in probes.iter().chain(&names) {
                prop_assert_eq!(set.contains(probe), names.contains(probe), "{}", probe);
            }
            let mut listed: Vec<&str> = set.iter().collect();
            let mut expected: Vec<&str> = names.iter().map(String::as_str).collect();
            listed.sort_unstable();
            expected.sort_unstable();
            expected.dedup();
            prop_assert_eq!(listed, expected);
        }
    }
}
