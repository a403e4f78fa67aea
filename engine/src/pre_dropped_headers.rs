//! Headers a chain removes before any step could look at them: the decode that feeds the chain
//! converts them (a header the converter cannot read still fails its record, as in Kafka
//! Connect) but does not store them, and a step that only removes such names is skipped.
//!
//! A name qualifies when a step without a predicate removes it from every row
//! ([`HeaderUse::removes`], `DropHeaders`) and no earlier step's transform or predicate may read
//! it. Earlier steps may add a header of that name (the removal takes it away too) and may drop
//! or fail records (dead letters carry the input record's own headers). The removing step is
//! skipped when every name it removes qualifies and no earlier step may add one of them. Any
//! step that says it may read any header ([`HeaderNames::Any`], the default of transforms
//! outside Kafka's own) ends the search.

use weir_smt::{HeaderNames, HeaderUse};

/// What one step does with headers: its transform's [`HeaderUse`] and, when it has a
/// predicate, the headers the predicate reads.
pub struct StepHeaders {
    /// The transform's use.
    pub transform: HeaderUse,
    /// The headers the predicate reads; `None`: the step has no predicate.
    pub predicate: Option<HeaderNames>,
}

/// The names a chain's decode may leave out, and per step whether it can be skipped then.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PreDroppedHeaders {
    /// The names, each once, in the order the chain removes them.
    pub names: Vec<String>,
    /// Per step: it removes only pre-dropped names that no earlier step may add.
    pub skippable: Vec<bool>,
}

impl PreDroppedHeaders {
    /// Finds them for `steps`, in chain order. Cost: a scan of the names seen so far per name.
    pub fn of(steps: &[StepHeaders]) -> PreDroppedHeaders {
        let mut found = PreDroppedHeaders {
            names: Vec::new(),
            skippable: vec![false; steps.len()],
        };
        let mut read = HeaderNames::None;
        let mut written = HeaderNames::None;
        for (step, skippable) in steps.iter().zip(&mut found.skippable) {
            if let Some(predicate) = &step.predicate {
                read.union(predicate);
            }
            read.union(&step.transform.reads);
            if read == HeaderNames::Any {
                break;
            }
            written.union(&step.transform.writes);
            let removes = &step.transform.removes;
            if step.predicate.is_some() || removes.is_empty() {
                continue;
            }
            for name in removes {
                if !read.may_include(name) && !found.names.contains(name) {
                    found.names.push(name.clone());
                }
            }
            *skippable = removes
                .iter()
                .all(|name| found.names.contains(name) && !written.may_include(name));
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> HeaderNames {
        HeaderNames::Only(list.iter().map(|n| n.to_string()).collect())
    }

    fn drops(list: &[&str]) -> StepHeaders {
        StepHeaders {
            transform: HeaderUse {
                removes: list.iter().map(|n| n.to_string()).collect(),
                ..HeaderUse::NONE
            },
            predicate: None,
        }
    }

    fn step(reads: HeaderNames, writes: HeaderNames) -> StepHeaders {
        StepHeaders {
            transform: HeaderUse {
                reads,
                writes,
                removes: Vec::new(),
            },
            predicate: None,
        }
    }

    fn when(mut step: StepHeaders, predicate_reads: HeaderNames) -> StepHeaders {
        step.predicate = Some(predicate_reads);
        step
    }

    fn found(names: &[&str], skippable: &[bool]) -> PreDroppedHeaders {
        PreDroppedHeaders {
            names: names.iter().map(|n| n.to_string()).collect(),
            skippable: skippable.to_vec(),
        }
    }

    #[test]
    fn a_drop_after_steps_that_ignore_headers_is_done_at_decode() {
        let none = || step(HeaderNames::None, HeaderNames::None);
        let chain = [none(), drops(&["a", "b"]), none()];
        assert_eq!(
            PreDroppedHeaders::of(&chain),
            found(&["a", "b"], &[false, true, false])
        );
    }

    #[test]
    fn a_name_read_earlier_is_kept() {
        let chain = [
            when(step(HeaderNames::None, HeaderNames::None), names(&["a"])),
            step(names(&["c"]), HeaderNames::None),
            drops(&["a", "b", "c"]),
        ];
        assert_eq!(
            PreDroppedHeaders::of(&chain),
            found(&["b"], &[false, false, false])
        );
    }

    #[test]
    fn a_name_added_earlier_is_left_out_but_its_drop_still_runs() {
        let chain = [step(HeaderNames::None, names(&["a"])), drops(&["a"])];
        assert_eq!(
            PreDroppedHeaders::of(&chain),
            found(&["a"], &[false, false])
        );
    }

    #[test]
    fn a_drop_with_a_predicate_is_not_done_at_decode() {
        let chain = [
            when(drops(&["a"]), HeaderNames::None),
            drops(&["b"]),
            drops(&["a", "b"]),
        ];
        assert_eq!(
            PreDroppedHeaders::of(&chain),
            found(&["b", "a"], &[false, true, true])
        );
    }

    #[test]
    fn a_step_that_may_read_any_header_ends_the_search() {
        let chain = [
            drops(&["a"]),
            step(HeaderNames::Any, HeaderNames::None),
            drops(&["b"]),
        ];
        assert_eq!(
            PreDroppedHeaders::of(&chain),
            found(&["a"], &[true, false, false])
        );
        let chain = [when(drops(&["a"]), HeaderNames::Any), drops(&["b"])];
        assert_eq!(PreDroppedHeaders::of(&chain), found(&[], &[false, false]));
    }

    #[test]
    fn a_step_that_may_write_any_header_keeps_later_drops_running() {
        let chain = [step(HeaderNames::None, HeaderNames::Any), drops(&["a"])];
        assert_eq!(
            PreDroppedHeaders::of(&chain),
            found(&["a"], &[false, false])
        );
    }
}
