//! `org.apache.kafka.connect.transforms.RegexRouter`: when the whole topic matches `regex`, the
//! topic becomes `Matcher.replaceFirst(replacement)`, with Java's `$1` / `${name}` group references
//! and `\` escapes; other topics are left alone.
//!
//! The kernel routes each distinct topic once (design §1) and rewrites the rows' topic ids; keys
//! and values pass through untouched.
//!
//! Java regex semantics through the `regex` crate, where the two agree: Java's lookaround,
//! backreferences, possessive quantifiers and `\Q…\E` are rejected here as invalid regexes, and
//! `\w`, `\d`, `\b` are Unicode-aware here where Java's default is ASCII (Kafka's legal topic
//! names are ASCII, so only unusual topics can tell). A bad replacement fails each record whose
//! topic matches, as in Kafka, but as a DataException with Java's message where Kafka throws
//! `IllegalArgumentException` / `IndexOutOfBoundsException`.

use std::sync::Arc;

use regex::{Captures, Regex};
use weir_formats::error::ConnectError;

use crate::config::{ConfigProblem, TransformConfig};
use crate::kernel::java_regex::compile_java_regex;
use crate::kernel::routing::{kept_except, per_topic};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};

/// The configured transform: the regex compiled for `matches()` (whole topic) and for
/// `replaceFirst` (first match), and the replacement parsed against the regex's groups.
#[derive(Debug)]
pub struct RegexRouter {
    whole: Regex,
    first: Regex,
    replacement: Result<Vec<Piece>, String>,
}

/// One piece of a parsed replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Literal text.
    Text(String),
    /// A capture group's text (nothing when the group did not take part in the match).
    Group(usize),
}

/// Builds `RegexRouter` from `regex` and `replacement` (both required; `regex` must compile).
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(RegexRouter::from_config(config)?))
}

impl RegexRouter {
    /// Parses and validates the settings in Kafka's order (`regex`, then `replacement`). Cost:
    /// compiling the regex twice.
    pub fn from_config(config: &TransformConfig) -> Result<RegexRouter, ConfigProblem> {
        let pattern = config.required_string("regex")?;
        let (whole, first) = compile_java_regex("regex", &pattern)?;
        let replacement = config.required_string("replacement")?;
        let replacement = parse_replacement(&replacement, &first);
        Ok(RegexRouter {
            whole,
            first,
            replacement,
        })
    }

    /// The new topic for `topic`, `None` when it does not match. Cost: one or two regex runs.
    pub fn route(&self, topic: &str) -> Result<Option<String>, ConnectError> {
        if !self.whole.is_match(topic) {
            return Ok(None);
        }
        let pieces = self.replacement.as_ref().map_err(ConnectError::data)?;
        let Some(caps) = self.first.captures(topic) else {
            return Ok(None);
        };
        Ok(Some(replace_first(topic, &caps, pieces)))
    }
}

/// Java's `Matcher.appendReplacement` parsing of `replacement` against `regex`'s groups, or the
/// message Java throws when a record is routed with it. Cost: linear in the replacement.
fn parse_replacement(replacement: &str, regex: &Regex) -> Result<Vec<Piece>, String> {
    let group_count = regex.captures_len() - 1;
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => text.push(chars.next().ok_or("character to be escaped is missing")?),
            '$' => {
                let group = match chars.peek() {
                    None => return Err("Illegal group reference: group index is missing".into()),
                    Some('{') => {
                        chars.next();
                        named_group(&mut chars, regex)?
                    }
                    Some(_) => numbered_group(&mut chars, group_count)?,
                };
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Group(group));
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// `$n…`: the first digit is always a group; more digits are taken while the number stays a
/// group of the regex.
fn numbered_group(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    group_count: usize,
) -> Result<usize, String> {
    let mut group = match chars.next().and_then(|c| c.to_digit(10)) {
        Some(d) => d as usize,
        None => return Err("Illegal group reference".into()),
    };
    if group > group_count {
        return Err(format!("No group {group}"));
    }
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        let longer = group * 10 + d as usize;
        if longer > group_count {
            break;
        }
        group = longer;
        chars.next();
    }
    Ok(group)
}

/// `${name}` after the `{`: an ASCII letter-or-digit name that is a named group of the regex.
fn named_group(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    regex: &Regex,
) -> Result<usize, String> {
    let mut name = String::new();
    while let Some(&c) = chars.peek().filter(|c| c.is_ascii_alphanumeric()) {
        name.push(c);
        chars.next();
    }
    if name.is_empty() {
        return Err("named capturing group has 0 length name".into());
    }
    if chars.next() != Some('}') {
        return Err("named capturing group is missing trailing '}'".into());
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "capturing group name {{{name}}} starts with digit character"
        ));
    }
    regex
        .capture_names()
        .position(|n| n == Some(name.as_str()))
        .ok_or_else(|| format!("No group with name {{{name}}}"))
}

/// `topic` with its first match (`caps`) replaced by `pieces`.
fn replace_first(topic: &str, caps: &Captures<'_>, pieces: &[Piece]) -> String {
    let whole = caps.get(0).map_or(0..0, |m| m.range());
    let mut out = String::with_capacity(topic.len());
    out.push_str(&topic[..whole.start]);
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Group(g) => out.push_str(caps.get(*g).map_or("", |m| m.as_str())),
        }
    }
    out.push_str(&topic[whole.end..]);
    out
}

impl Transform for RegexRouter {
    /// Neither key nor value: it renames topics.
    fn touches(&self, _side: crate::Side) -> bool {
        false
    }

    /// No header: it reads and writes the record's fields and metadata only.
    fn header_use(&self) -> crate::HeaderUse {
        crate::HeaderUse::NONE
    }

    /// Routes each distinct topic of the rows once, then rewrites the rows' topic ids. Cost: two
    /// regex runs per distinct topic, one table lookup per row; keys and values are not touched.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let table = per_topic(input.meta, input.rows, |topic| self.route(topic));
        let ids: Vec<Option<Result<Option<u32>, ConnectError>>> = table
            .into_iter()
            .map(|routed| routed.map(|r| r.map(|topic| topic.map(|t| input.meta.intern_topic(&t)))))
            .collect();
        let mut errors = Vec::new();
        for (i, &row) in input.rows.iter().enumerate() {
            let id = input.meta.topic_ids[row as usize] as usize;
            match ids.get(id) {
                Some(Some(Ok(Some(new)))) => input.meta.topic_ids[row as usize] = *new,
                Some(Some(Err(e))) => errors.push((i as u32, e.clone())),
                _ => {}
            }
        }
        kept_except(input.rows.len(), input.key, input.value, errors)
    }

    fn apply_record(
        &self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        if let Some(topic) = self.route(&record.topic)? {
            record.topic = topic;
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::kernel::routing::testkit::{arb_segment, assert_agree, kernel, reference};

    fn router(regex: &str, replacement: &str) -> Result<RegexRouter, ConfigProblem> {
        RegexRouter::from_config(&TransformConfig::new(
            "r",
            "org.apache.kafka.connect.transforms.RegexRouter",
            [
                ("regex".to_string(), regex.to_string()),
                ("replacement".to_string(), replacement.to_string()),
            ],
        ))
    }

    fn routed(regex: &str, replacement: &str, topic: &str) -> Result<Option<String>, ConnectError> {
        router(regex, replacement).unwrap().route(topic)
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(
            records in arb_segment(),
            (regex, replacement) in prop_oneof![
                Just(("orders", "renamed")),
                Just(("(\\w+)\\.(\\w+)\\.(\\w+)", "$3")),
                Just(("(o|u)(.*)", "$2-$1$1")),
                Just(("(.*)", "$2")),
                Just(("a-b|users", "x\\$${0}")),
            ],
        ) {
            let t = router(regex, replacement).unwrap();
            assert_agree(&kernel(&t, &records), &reference(&t, &records));
        }
    }

    #[test]
    fn only_whole_topic_matches_route() {
        assert_eq!(
            routed("orders", "x", "orders").unwrap().as_deref(),
            Some("x")
        );
        assert_eq!(routed("orders", "x", "orders_v2").unwrap(), None);
        assert_eq!(routed("orders", "x", "xorders").unwrap(), None);
    }

    #[test]
    fn replace_first_uses_the_first_match_like_java_find() {
        // matches() succeeds with `ab`, but find() takes the leftmost-first `a`.
        assert_eq!(routed("a|ab", "X", "ab").unwrap().as_deref(), Some("Xb"));
    }

    #[test]
    fn group_references_follow_java() {
        assert_eq!(
            routed("(a)(b)", "$2$1", "ab").unwrap().as_deref(),
            Some("ba")
        );
        // `$12` with two groups is group 1 then the text `2`.
        assert_eq!(
            routed("(a)(b)", "$12", "ab").unwrap().as_deref(),
            Some("a2")
        );
        assert_eq!(
            routed("(?<x>a)b", "${x}!", "ab").unwrap().as_deref(),
            Some("a!")
        );
        assert_eq!(routed("(a)|b", "[$1]", "b").unwrap().as_deref(), Some("[]"));
        assert_eq!(
            routed("a", "\\$1\\\\", "a").unwrap().as_deref(),
            Some("$1\\")
        );
    }

    #[test]
    fn bad_replacements_fail_matching_records_only() {
        let cases = [
            ("$", "Illegal group reference: group index is missing"),
            ("$x", "Illegal group reference"),
            ("$2", "No group 2"),
            ("x\\", "character to be escaped is missing"),
            ("${}", "named capturing group has 0 length name"),
            ("${a", "named capturing group is missing trailing '}'"),
            (
                "${1a}",
                "capturing group name {1a} starts with digit character",
            ),
            ("${nope}", "No group with name {nope}"),
        ];
        for (replacement, message) in cases {
            assert_eq!(
                routed("(a)", replacement, "a").unwrap_err().message,
                message
            );
            assert_eq!(routed("(a)", replacement, "b").unwrap(), None);
        }
    }

    #[test]
    fn x_flag_comment_at_the_end_still_compiles() {
        assert_eq!(
            routed("(?x) a b # comment", "y", "ab").unwrap().as_deref(),
            Some("y")
        );
    }

    #[test]
    fn config_errors_use_kafkas_messages() {
        assert_eq!(
            router("(unclosed", "x").unwrap_err().message,
            "Invalid value (unclosed for configuration regex: Invalid regex: Unclosed group\n(unclosed"
        );
        let missing = |pairs: &[(&str, &str)]| {
            RegexRouter::from_config(&TransformConfig::new(
                "r",
                "x",
                pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            ))
            .unwrap_err()
        };
        assert_eq!(missing(&[("regex", ".*")]).key, "replacement");
        assert_eq!(
            missing(&[("replacement", "x")]).message,
            "Missing required configuration \"regex\" which has no default value."
        );
        // The regex is validated before the replacement is looked for.
        assert_eq!(missing(&[("regex", "(")]).key, "regex");
    }
}
