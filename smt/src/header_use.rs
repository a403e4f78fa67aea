//! What a transform or predicate does with headers, by name: what the engine needs to tell which
//! headers a chain drops before any step could look at them (so a decode for the chain need not
//! store them). Every answer may overstate; none may understate.

/// A set of header names a step may read or write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderNames {
    /// No header at all.
    None,
    /// Only headers with these names.
    Only(Vec<String>),
    /// Any header: the answer that is always safe.
    Any,
}

impl HeaderNames {
    /// Whether the set may hold `name`. Cost: a scan of the listed names.
    pub fn may_include(&self, name: &str) -> bool {
        match self {
            HeaderNames::None => false,
            HeaderNames::Only(names) => names.iter().any(|n| n == name),
            HeaderNames::Any => true,
        }
    }

    /// The union of `self` and `other`. Cost: a copy of `other`'s names.
    pub fn union(&mut self, other: &HeaderNames) {
        match (&mut *self, other) {
            (HeaderNames::Any, _) | (_, HeaderNames::None) => {}
            (_, HeaderNames::Any) => *self = HeaderNames::Any,
            (HeaderNames::None, HeaderNames::Only(names)) => {
                *self = HeaderNames::Only(names.clone())
            }
            (HeaderNames::Only(mine), HeaderNames::Only(names)) => {
                mine.extend(names.iter().cloned())
            }
        }
    }
}

/// How a transform uses the headers of the rows it is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderUse {
    /// The headers whose names, values or presence it looks at.
    pub reads: HeaderNames,
    /// The headers it adds or changes (beyond the removals in `removes`).
    pub writes: HeaderNames,
    /// Names it removes from every row it is applied to, whatever the headers' values and
    /// whatever else the row holds (`DropHeaders`); empty for a transform that does not.
    pub removes: Vec<String>,
}

impl HeaderUse {
    /// A transform that neither reads nor changes any header.
    pub const NONE: HeaderUse = HeaderUse {
        reads: HeaderNames::None,
        writes: HeaderNames::None,
        removes: Vec::new(),
    };

    /// A transform that may read and change any header: the answer that is always safe.
    pub const ANY: HeaderUse = HeaderUse {
        reads: HeaderNames::Any,
        writes: HeaderNames::Any,
        removes: Vec::new(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(names: &[&str]) -> HeaderNames {
        HeaderNames::Only(names.iter().map(|n| n.to_string()).collect())
    }

    #[test]
    fn union_keeps_every_name_of_both() {
        let mut set = HeaderNames::None;
        set.union(&only(&["a"]));
        assert_eq!(set, only(&["a"]));
        set.union(&HeaderNames::None);
        set.union(&only(&["b"]));
        assert_eq!(set, only(&["a", "b"]));
        assert!(set.may_include("b") && !set.may_include("c"));
        set.union(&HeaderNames::Any);
        assert_eq!(set, HeaderNames::Any);
        set.union(&only(&["c"]));
        assert_eq!(set, HeaderNames::Any);
        assert!(!HeaderNames::None.may_include(""));
    }
}
