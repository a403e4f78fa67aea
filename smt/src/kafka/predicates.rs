//! Kafka's three predicates (`org.apache.kafka.connect.transforms.predicates.*`):
//! [`TopicNameMatches`] (the whole topic matches `pattern`), [`HasHeaderKey`] (some header is
//! called `name`) and [`RecordIsTombstone`] (the value is null). `negate` and the
//! `transforms.<alias>.predicate` wiring belong to the engine.

use std::sync::Arc;

use arrow_array::{Array, BooleanArray};
use arrow_buffer::BooleanBuffer;
use regex::Regex;

use crate::config::{ConfigProblem, TransformConfig};
use crate::kernel::java_regex::compile_java_regex;
use crate::kernel::routing::per_topic;
use crate::record::ConnectRecord;
use crate::transform::{Predicate, SegmentInput};

/// `TopicNameMatches`: true for records whose whole topic matches `pattern` (Java's
/// `Matcher.matches()`, with the `regex` crate's syntax where Java's differs; see
/// [`crate::kafka::regex_router`]).
#[derive(Debug)]
pub struct TopicNameMatches {
    whole: Regex,
}

/// `HasHeaderKey`: true for records with at least one header called `name`.
#[derive(Debug)]
pub struct HasHeaderKey {
    name: String,
}

/// `RecordIsTombstone`: true for records whose value is null (the key is not looked at).
#[derive(Debug, Default)]
pub struct RecordIsTombstone;

/// A required, non-empty STRING setting (`ConfigDef.NonEmptyString`).
fn non_empty_string(config: &TransformConfig, key: &str) -> Result<String, ConfigProblem> {
    let value = config.required_string(key)?;
    if value.is_empty() {
        return Err(ConfigProblem::invalid(key, "", "String must be non-empty"));
    }
    Ok(value)
}

/// Builds `TopicNameMatches` from `pattern` (required, non-empty, a valid regex).
pub fn build_topic_name_matches(
    config: &TransformConfig,
) -> Result<Arc<dyn Predicate>, ConfigProblem> {
    let pattern = non_empty_string(config, "pattern")?;
    let (whole, _) = compile_java_regex("pattern", &pattern)?;
    Ok(Arc::new(TopicNameMatches { whole }))
}

/// Builds `HasHeaderKey` from `name` (required, non-empty).
pub fn build_has_header_key(config: &TransformConfig) -> Result<Arc<dyn Predicate>, ConfigProblem> {
    let name = non_empty_string(config, "name")?;
    Ok(Arc::new(HasHeaderKey { name }))
}

/// Builds `RecordIsTombstone`, which has no settings.
pub fn build_record_is_tombstone(
    _config: &TransformConfig,
) -> Result<Arc<dyn Predicate>, ConfigProblem> {
    Ok(Arc::new(RecordIsTombstone))
}

impl Predicate for TopicNameMatches {
    /// Neither key nor value: it reads the topic.
    fn touches(&self, _side: crate::Side) -> bool {
        false
    }

    /// No header: it reads the topic.
    fn headers_read(&self) -> crate::HeaderNames {
        crate::HeaderNames::None
    }

    /// Cost: one regex run per distinct topic among the rows, one table lookup per row.
    fn test(&self, input: &SegmentInput<'_>) -> BooleanArray {
        let table = per_topic(input.meta, input.rows, |topic| self.whole.is_match(topic));
        mask(input.rows, |row| {
            let id = input.meta.topic_ids[row as usize] as usize;
            table.get(id).copied().flatten().unwrap_or(false)
        })
    }

    fn test_record(&self, record: &ConnectRecord) -> bool {
        self.whole.is_match(&record.topic)
    }
}

impl Predicate for HasHeaderKey {
    /// Neither key nor value: it reads header names.
    fn touches(&self, _side: crate::Side) -> bool {
        false
    }

    /// Its one name.
    fn headers_read(&self) -> crate::HeaderNames {
        crate::HeaderNames::Only(vec![self.name.clone()])
    }

    /// Cost: a scan of each row's header names.
    fn test(&self, input: &SegmentInput<'_>) -> BooleanArray {
        let headers = &input.meta.headers;
        mask(input.rows, |row| {
            headers
                .row(row as usize)
                .iter()
                .any(|h| *h.name == *self.name)
        })
    }

    fn test_record(&self, record: &ConnectRecord) -> bool {
        record.headers.iter().any(|h| *h.name == *self.name)
    }
}

impl Predicate for RecordIsTombstone {
    /// No header: it reads the value's validity.
    fn headers_read(&self) -> crate::HeaderNames {
        crate::HeaderNames::None
    }

    /// The value column's validity, inverted. Cost: one bitwise NOT per 64 rows (nothing but an
    /// all-false mask when no value is null).
    fn test(&self, input: &SegmentInput<'_>) -> BooleanArray {
        let values = match input.value.data.logical_nulls() {
            Some(nulls) => !nulls.inner(),
            None => BooleanBuffer::new_unset(input.value.data.len()),
        };
        BooleanArray::new(values, None)
    }

    fn test_record(&self, record: &ConnectRecord) -> bool {
        record.value.is_null()
    }
}

/// The mask of `holds` over each of `rows`, packed 64 rows to a word.
fn mask(rows: &[u32], holds: impl Fn(u32) -> bool) -> BooleanArray {
    BooleanArray::new(
        BooleanBuffer::collect_bool(rows.len(), |i| holds(rows[i])),
        None,
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::kernel::routing::testkit::{arb_segment, masks};

    fn config(pairs: &[(&str, &str)]) -> TransformConfig {
        TransformConfig::new(
            "p",
            "x",
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    proptest! {
        #[test]
        fn kernels_agree_with_references(
            records in arb_segment(),
            pattern in prop_oneof![Just("orders.*"), Just("users"), Just("[a-z]+\\.inv\\..*"), Just("a|a-b")],
            name in "[abcd]",
        ) {
            let predicates = [
                build_topic_name_matches(&config(&[("pattern", pattern)])).unwrap(),
                build_has_header_key(&config(&[("name", &name)])).unwrap(),
                build_record_is_tombstone(&config(&[])).unwrap(),
            ];
            for p in &predicates {
                let (kernel, reference) = masks(p.as_ref(), &records);
                prop_assert_eq!(kernel, reference, "{:?}", p);
            }
        }
    }

    #[test]
    fn topic_name_matches_the_whole_topic() {
        let p = TopicNameMatches {
            whole: compile_java_regex("pattern", "orders").unwrap().0,
        };
        let record = |topic: &str| ConnectRecord {
            topic: topic.to_string(),
            partition: 0,
            offset: 0,
            timestamp: None,
            key_schema: None,
            key: weir_formats::value::Value::Null,
            value_schema: None,
            value: weir_formats::value::Value::Null,
            headers: Vec::new(),
        };
        assert!(p.test_record(&record("orders")));
        assert!(!p.test_record(&record("orders-eu")));
        assert!(!p.test_record(&record("xorders")));
    }

    #[test]
    fn config_errors_use_kafkas_messages() {
        let err = |result: Result<Arc<dyn Predicate>, ConfigProblem>| result.unwrap_err();
        assert_eq!(
            err(build_topic_name_matches(&config(&[]))).message,
            "Missing required configuration \"pattern\" which has no default value."
        );
        assert_eq!(
            err(build_topic_name_matches(&config(&[("pattern", " ")]))).message,
            "Invalid value  for configuration pattern: String must be non-empty"
        );
        let bad = err(build_topic_name_matches(&config(&[("pattern", "([")])));
        assert_eq!(bad.key, "pattern");
        assert!(bad
            .message
            .starts_with("Invalid value ([ for configuration pattern: Invalid regex: "));
        assert_eq!(
            err(build_has_header_key(&config(&[]))).message,
            "Missing required configuration \"name\" which has no default value."
        );
        assert_eq!(
            err(build_has_header_key(&config(&[("name", "")]))).key,
            "name"
        );
    }
}
