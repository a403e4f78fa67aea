//! The connector-config keys a pipeline reads, validated once at construction: converters in and
//! out (design §6) and error tolerance. The transform chain is compiled by [`crate::plan`].

use std::fmt;

use crate::properties::Properties;
use crate::registry::Settings;

/// A config the pipeline cannot run, naming the key (and the transform or predicate alias) and the
/// reason, in Kafka's words where Kafka has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The offending key, when there is one.
    pub key: Option<String>,
    /// The transform or predicate alias, when the key belongs to one.
    pub alias: Option<String>,
    /// Why (Kafka's `ConfigException` message where it has one).
    pub message: String,
    unsupported: bool,
}

impl ConfigError {
    /// An error about `key`.
    pub fn for_key(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            key: Some(key.into()),
            alias: None,
            message: message.into(),
            unsupported: false,
        }
    }

    /// A config naming something weir does not implement yet (as opposed to a config Kafka would
    /// reject too).
    pub fn unsupported(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            unsupported: true,
            ..ConfigError::for_key(key, message)
        }
    }

    /// Whether this error means "not supported by weir yet" rather than "invalid".
    pub fn is_unsupported(&self) -> bool {
        self.unsupported
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.alias, &self.key) {
            (Some(alias), Some(key)) => write!(f, "{key} (alias {alias}): {}", self.message),
            (None, Some(key)) => write!(f, "{key}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A converter named in the config: its class and its own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConverterSpec {
    /// The key that named it (`value.converter`, `output.header.converter`, …).
    pub key: String,
    /// The class name.
    pub class: String,
    /// The `<key>.`-prefixed settings, prefix removed.
    pub settings: Settings,
}

/// `errors.tolerance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tolerance {
    /// `none` (Kafka's default): the first bad record fails the batch.
    #[default]
    None,
    /// `all`: bad records go to the dead letters; the rest go on.
    All,
}

/// The keys of a connector config that shape the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// `key.converter`.
    pub key: ConverterSpec,
    /// `value.converter`.
    pub value: ConverterSpec,
    /// `header.converter` (default SimpleHeaderConverter).
    pub header: ConverterSpec,
    /// `output.key.converter`, defaulting to the input's.
    pub output_key: ConverterSpec,
    /// `output.value.converter`, defaulting to the input's.
    pub output_value: ConverterSpec,
    /// `output.header.converter`, defaulting to the input's.
    pub output_header: ConverterSpec,
    /// `errors.tolerance`.
    pub tolerance: Tolerance,
}

const DEFAULT_HEADER_CONVERTER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// The converter `class` configured at `key`, with the `<key>.` settings.
fn spec(props: &Properties, key: &str, class: &str) -> ConverterSpec {
    let prefix = format!("{key}.");
    ConverterSpec {
        key: key.to_string(),
        class: class.trim().to_string(),
        settings: Settings::new(
            props
                .keys_with_prefix(&prefix)
                .map(|(k, v)| (k.to_string(), v.to_string())),
        ),
    }
}

/// The converter named at `key`, if the config names one.
fn converter_spec(props: &Properties, key: &str) -> Option<ConverterSpec> {
    props.get(key).map(|class| spec(props, key, class))
}

fn required_converter(props: &Properties, key: &str) -> Result<ConverterSpec, ConfigError> {
    converter_spec(props, key).ok_or_else(|| {
        ConfigError::for_key(
            key,
            format!("Missing required configuration \"{key}\" which has no default value."),
        )
    })
}

/// Splits a Kafka LIST value: comma-separated, trimmed, empty items dropped.
pub fn list_value(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl PipelineConfig {
    /// Reads and validates the pipeline keys of `props`; keys Connect ignores are ignored.
    pub fn from_properties(props: &Properties) -> Result<PipelineConfig, ConfigError> {
        let key = required_converter(props, "key.converter")?;
        let value = required_converter(props, "value.converter")?;
        let header = converter_spec(props, "header.converter")
            .unwrap_or_else(|| spec(props, "header.converter", DEFAULT_HEADER_CONVERTER));
        let output = |name: &str, input: &ConverterSpec| {
            converter_spec(props, &format!("output.{name}")).unwrap_or_else(|| input.clone())
        };
        let tolerance = match props.get("errors.tolerance").map(str::trim) {
            None | Some("none") => Tolerance::None,
            Some("all") => Tolerance::All,
            Some(other) => {
                return Err(ConfigError::for_key(
                    "errors.tolerance",
                    format!(
                        "Invalid value {other} for configuration errors.tolerance: String must be one of: none, all"
                    ),
                ))
            }
        };
        Ok(PipelineConfig {
            output_key: output("key.converter", &key),
            output_value: output("value.converter", &value),
            output_header: output("header.converter", &header),
            key,
            value,
            header,
            tolerance,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::properties::parse_properties;

    fn config(text: &str) -> Result<PipelineConfig, ConfigError> {
        PipelineConfig::from_properties(&parse_properties(text).unwrap())
    }

    #[test]
    fn output_converters_default_to_the_input_ones() {
        let c = config(
            "key.converter=a.K\nvalue.converter=a.V\nvalue.converter.schemas.enable=false\n\
             output.value.converter=a.W\noutput.value.converter.x=1\n",
        )
        .unwrap();
        assert_eq!(c.output_key.class, "a.K");
        assert_eq!(c.output_value.class, "a.W");
        assert_eq!(c.output_value.settings.get("x"), Some("1"));
        assert_eq!(c.value.settings.get("schemas.enable"), Some("false"));
        assert_eq!(c.header.class, DEFAULT_HEADER_CONVERTER);
        assert_eq!(c.output_header.class, DEFAULT_HEADER_CONVERTER);
        assert_eq!(c.tolerance, Tolerance::None);
    }

    #[test]
    fn missing_converter_and_bad_tolerance_name_their_key() {
        let e = config("value.converter=a.V\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("key.converter"));
        let e = config("key.converter=a\nvalue.converter=b\nerrors.tolerance=some\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("errors.tolerance"));
        assert!(e.message.contains("none, all"), "{e}");
    }
}
