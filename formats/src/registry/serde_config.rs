//! The settings every Confluent Schema Registry converter shares (Confluent's
//! `AbstractKafkaSchemaSerDeConfig`: the registry, which schema to write with, subject naming,
//! cache size), and the readers of boolean and integer settings with Kafka's ConfigException
//! texts.

use crate::converter::Side;
use crate::error::ConnectError;
use crate::registry::SubjectNameStrategy;

/// The serializer/deserializer settings AvroConverter, ProtobufConverter and JsonSchemaConverter
/// share. Plain data, read once per converter.
#[derive(Debug, Clone)]
pub struct SerdeConfig {
    /// `schema.registry.url` (required).
    pub registry_url: String,
    /// `auto.register.schemas` (default true).
    pub auto_register: bool,
    /// `use.latest.version` (default false).
    pub use_latest_version: bool,
    /// `latest.compatibility.strict` (default true).
    pub latest_compatibility_strict: bool,
    /// `use.schema.id` (default -1: unset).
    pub use_schema_id: Option<i32>,
    /// `id.compatibility.strict` (default true).
    pub id_compatibility_strict: bool,
    /// `key.subject.name.strategy`.
    pub key_strategy: SubjectNameStrategy,
    /// `value.subject.name.strategy`.
    pub value_strategy: SubjectNameStrategy,
    /// `schemas.cache.config` (default 1000): schemas kept per cache.
    pub cache_size: usize,
}

impl SerdeConfig {
    /// Reads and validates the shared settings; a missing `schema.registry.url` or a bad value
    /// is Kafka's ConfigException text.
    pub fn from_settings(
        settings: &dyn Fn(&str) -> Option<String>,
    ) -> Result<SerdeConfig, ConnectError> {
        let registry_url = settings("schema.registry.url").ok_or_else(|| {
            ConnectError::config(
                "Missing required configuration \"schema.registry.url\" which has no default value.",
            )
        })?;
        let strategy = |is_key| {
            SubjectNameStrategy::from_settings(is_key, settings)
                .map_err(|e| ConnectError::config(e.to_string()))
        };
        let flag = |key: &str, default: bool| bool_setting(settings, key, default);
        let use_schema_id = int_setting(settings, "use.schema.id", -1)?;
        Ok(SerdeConfig {
            registry_url,
            auto_register: flag("auto.register.schemas", true)?,
            use_latest_version: flag("use.latest.version", false)?,
            latest_compatibility_strict: flag("latest.compatibility.strict", true)?,
            use_schema_id: i32::try_from(use_schema_id).ok().filter(|id| *id >= 0),
            id_compatibility_strict: flag("id.compatibility.strict", true)?,
            key_strategy: strategy(true)?,
            value_strategy: strategy(false)?,
            cache_size: int_setting(settings, "schemas.cache.config", 1000)?.max(1) as usize,
        })
    }

    /// The subject name strategy for `side`.
    pub fn strategy(&self, side: Side) -> SubjectNameStrategy {
        match side {
            Side::Key => self.key_strategy,
            Side::Value => self.value_strategy,
        }
    }
}

/// A boolean converter setting (`true`/`false`, any case), or Kafka's ConfigException text.
pub fn bool_setting(
    settings: &dyn Fn(&str) -> Option<String>,
    key: &str,
    default: bool,
) -> Result<bool, ConnectError> {
    match settings(key) {
        None => Ok(default),
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(ConnectError::config(format!(
                "Invalid value {v} for configuration {key}: Expected value to be either true or false"
            ))),
        },
    }
}

/// An integer converter setting, or Kafka's ConfigException text.
pub fn int_setting(
    settings: &dyn Fn(&str) -> Option<String>,
    key: &str,
    default: i64,
) -> Result<i64, ConnectError> {
    match settings(key) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| {
            ConnectError::config(format!(
                "Invalid value {v} for configuration {key}: Not a number of type INT"
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<SerdeConfig, ConnectError> {
        let settings = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        };
        SerdeConfig::from_settings(&settings)
    }

    #[test]
    fn defaults_are_confluents() {
        let config = read(&[("schema.registry.url", "mock://x")]).unwrap();
        assert!(config.auto_register && !config.use_latest_version);
        assert!(config.latest_compatibility_strict && config.id_compatibility_strict);
        assert_eq!(config.use_schema_id, None);
        assert_eq!(config.cache_size, 1000);
    }

    #[test]
    fn bad_values_are_kafkas_config_errors() {
        let missing = read(&[]).unwrap_err().to_string();
        assert!(missing.contains("Missing required configuration \"schema.registry.url\""));
        let flag = read(&[
            ("schema.registry.url", "x"),
            ("auto.register.schemas", "yes"),
        ]);
        assert!(flag
            .unwrap_err()
            .to_string()
            .contains("Invalid value yes for configuration auto.register.schemas: Expected value to be either true or false"));
        let int = read(&[("schema.registry.url", "x"), ("use.schema.id", "one")]);
        assert!(int.unwrap_err().to_string().contains(
            "Invalid value one for configuration use.schema.id: Not a number of type INT"
        ));
        let id = read(&[("schema.registry.url", "x"), ("use.schema.id", "7")]).unwrap();
        assert_eq!(id.use_schema_id, Some(7));
    }
}
