//! Java regular expressions as Kafka's `RegexValidator` accepts them: compiled for `matches()`
//! and `find()`, with Java-shaped error messages (RegexRouter, TopicNameMatches).

use regex::Regex;

use crate::config::ConfigProblem;

/// Compiles `pattern` (the value of `key`) for Java's `matches()` and `find()`, or Kafka's
/// `RegexValidator` problem. Shared with TopicNameMatches. Cost: two regex compilations.
pub fn compile_java_regex(key: &str, pattern: &str) -> Result<(Regex, Regex), ConfigProblem> {
    let invalid = |e: regex::Error| {
        ConfigProblem::invalid(
            key,
            pattern,
            &format!("Invalid regex: {}", java_like(pattern, &e)),
        )
    };
    let first = Regex::new(pattern).map_err(invalid)?;
    // A trailing `#` comment under the `x` flag would swallow the closing group; a newline ends it.
    let whole = Regex::new(&format!("\\A(?:{pattern})\\z"))
        .or_else(|_| Regex::new(&format!("\\A(?:{pattern}\n)\\z")))
        .map_err(invalid)?;
    Ok((whole, first))
}

/// The regex crate's error in the shape of Java's `PatternSyntaxException.getMessage()`: a
/// capitalised description, then the pattern on its own line. The description is the regex
/// crate's (`Unclosed group`), without Java's ` near index N` and caret line.
fn java_like(pattern: &str, error: &regex::Error) -> String {
    let text = error.to_string();
    let description = text
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or(text.as_str());
    let mut chars = description.chars();
    let capitalised: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    format!("{capitalised}\n{pattern}")
}
