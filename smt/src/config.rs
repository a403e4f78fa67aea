//! A transform's or predicate's own settings (`transforms.<alias>.*` with the prefix removed),
//! read with Kafka `ConfigDef`'s types, defaults and error messages.

use std::collections::HashMap;
use std::fmt;

/// A setting Kafka would reject: the key (without the alias prefix) and Kafka's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The key inside the alias (`field`, `spec`, …).
    pub key: String,
    /// Kafka's `ConfigException` message.
    pub message: String,
}

impl ConfigProblem {
    /// A problem with `key`.
    pub fn new(key: &str, message: impl Into<String>) -> ConfigProblem {
        ConfigProblem {
            key: key.to_string(),
            message: message.into(),
        }
    }

    /// Kafka's `Invalid value <value> for configuration <key>: <reason>`.
    pub fn invalid(key: &str, value: &str, reason: &str) -> ConfigProblem {
        ConfigProblem::new(
            key,
            format!("Invalid value {value} for configuration {key}: {reason}"),
        )
    }

    /// Kafka's `Missing required configuration "<key>" which has no default value.`
    pub fn missing(key: &str) -> ConfigProblem {
        ConfigProblem::new(
            key,
            format!("Missing required configuration \"{key}\" which has no default value."),
        )
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigProblem {}

/// The settings of one transform or predicate alias.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransformConfig {
    /// The alias (`transforms=<alias>`).
    pub alias: String,
    /// The class named by `<alias>.type`.
    pub class: String,
    settings: HashMap<String, String>,
}

impl TransformConfig {
    /// A config for `alias` of `class` with `settings` (keys without the alias prefix).
    pub fn new(
        alias: &str,
        class: &str,
        settings: impl IntoIterator<Item = (String, String)>,
    ) -> TransformConfig {
        TransformConfig {
            alias: alias.to_string(),
            class: class.to_string(),
            settings: settings.into_iter().collect(),
        }
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.settings.get(key).map(String::as_str)
    }

    /// A STRING setting, trimmed as Kafka trims, or `default`.
    pub fn string_or(&self, key: &str, default: &str) -> String {
        self.get(key).map_or(default, str::trim).to_string()
    }

    /// A required STRING setting.
    pub fn required_string(&self, key: &str) -> Result<String, ConfigProblem> {
        self.get(key)
            .map(|v| v.trim().to_string())
            .ok_or_else(|| ConfigProblem::missing(key))
    }

    /// A LIST setting: comma-separated, items trimmed, empty items dropped; `None` if unset.
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        self.get(key).map(|v| {
            let mut items = kafka_list(v);
            items.retain(|s| !s.is_empty());
            items
        })
    }

    /// A BOOLEAN setting (case-insensitive `true`/`false`), or `default`.
    pub fn boolean_or(&self, key: &str, default: bool) -> Result<bool, ConfigProblem> {
        match self.get(key).map(str::trim) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ConfigProblem::invalid(
                key,
                v,
                "Expected value to be either true or false",
            )),
        }
    }

    /// An INT setting, or `default`.
    pub fn int_or(&self, key: &str, default: i32) -> Result<i32, ConfigProblem> {
        match self.get(key).map(str::trim) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| ConfigProblem::invalid(key, v, "Not a number of type INT")),
        }
    }
}

/// A Kafka `ConfigDef` LIST: `""` is empty, otherwise split on commas with the whitespace around
/// them removed, empty items kept (`COMMA_WITH_WHITESPACE.split(trimmed, -1)`).
pub(crate) fn kafka_list(raw: &str) -> Vec<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed.split(',').map(|s| s.trim().to_string()).collect()
}

/// Java's `List.toString()` of a LIST setting, as Kafka's messages print it.
pub(crate) fn java_list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// A required, non-empty LIST setting (`ConfigDef.NO_DEFAULT_VALUE` + `NonEmptyListValidator`).
pub(crate) fn required_list(
    config: &TransformConfig,
    key: &str,
) -> Result<Vec<String>, ConfigProblem> {
    let raw = config.get(key).ok_or_else(|| ConfigProblem::missing(key))?;
    let list = kafka_list(raw);
    if list.is_empty() {
        return Err(ConfigProblem::invalid(key, "[]", "Empty list"));
    }
    Ok(list)
}

/// Kafka's `ConfigDef.ValidString.in(…)`: the choice `value` of `key` names (exact case), or Kafka's
/// problem listing the choices in their order. Cost: a scan of `choices`.
pub(crate) fn valid_string<T: Copy>(
    key: &str,
    value: &str,
    choices: &[(&str, T)],
) -> Result<T, ConfigProblem> {
    match choices.iter().find(|(name, _)| *name == value) {
        Some((_, choice)) => Ok(*choice),
        None => {
            let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            let reason = format!("String must be one of: {}", names.join(", "));
            Err(ConfigProblem::invalid(key, value, &reason))
        }
    }
}

/// Java's `s.split(":")` of a LIST item (`field:type`, `old:new`): no match gives `[s]`;
/// otherwise trailing empty parts are dropped.
pub(crate) fn java_split_colon(s: &str) -> Vec<&str> {
    if !s.contains(':') {
        return vec![s];
    }
    let mut parts: Vec<&str> = s.split(':').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> TransformConfig {
        TransformConfig::new(
            "t",
            "x.Y",
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    #[test]
    fn typed_getters_use_kafkas_messages() {
        let c = config(&[("b", "yes"), ("n", "x"), ("l", " a, ,b ")]);
        assert_eq!(
            c.boolean_or("b", true).unwrap_err().message,
            "Invalid value yes for configuration b: Expected value to be either true or false"
        );
        assert_eq!(
            c.int_or("n", 1).unwrap_err().message,
            "Invalid value x for configuration n: Not a number of type INT"
        );
        assert_eq!(c.list("l").unwrap(), vec!["a", "b"]);
        assert_eq!(
            c.required_string("field").unwrap_err().message,
            "Missing required configuration \"field\" which has no default value."
        );
    }
}
