//! Subject name strategies: which registry subject a key's or value's schema goes under
//! (Confluent's `io.confluent.kafka.serializers.subject.*`, chosen by `key.subject.name.strategy`
//! and `value.subject.name.strategy`).

use super::RegistryError;

/// The setting naming the key's strategy.
pub const KEY_SUBJECT_NAME_STRATEGY: &str = "key.subject.name.strategy";
/// The setting naming the value's strategy.
pub const VALUE_SUBJECT_NAME_STRATEGY: &str = "value.subject.name.strategy";

/// How a subject is named from the topic and the schema's record name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubjectNameStrategy {
    /// `<topic>-key` / `<topic>-value` (the default).
    #[default]
    TopicName,
    /// The schema's fully qualified record name.
    RecordName,
    /// `<topic>-<record name>`.
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// Confluent's class for this strategy.
    pub fn class_name(self) -> &'static str {
        match self {
            SubjectNameStrategy::TopicName => {
                "io.confluent.kafka.serializers.subject.TopicNameStrategy"
            }
            SubjectNameStrategy::RecordName => {
                "io.confluent.kafka.serializers.subject.RecordNameStrategy"
            }
            SubjectNameStrategy::TopicRecordName => {
                "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"
            }
        }
    }

    /// The strategy Confluent's class `class` implements; another class is Kafka's
    /// `ConfigException` text for an unknown class, naming `key`.
    pub fn from_class(key: &str, class: &str) -> Result<SubjectNameStrategy, RegistryError> {
        let class = class.trim();
        [
            SubjectNameStrategy::TopicName,
            SubjectNameStrategy::RecordName,
            SubjectNameStrategy::TopicRecordName,
        ]
        .into_iter()
        .find(|s| s.class_name() == class)
        .ok_or_else(|| {
            RegistryError::Config(format!(
                "Invalid value {class} for configuration {key}: Class {class} could not be found."
            ))
        })
    }

    /// The key's (`is_key`) or value's strategy from a converter's settings (default
    /// TopicNameStrategy).
    pub fn from_settings(
        is_key: bool,
        settings: &dyn Fn(&str) -> Option<String>,
    ) -> Result<SubjectNameStrategy, RegistryError> {
        let key = if is_key {
            KEY_SUBJECT_NAME_STRATEGY
        } else {
            VALUE_SUBJECT_NAME_STRATEGY
        };
        match settings(key) {
            None => Ok(SubjectNameStrategy::default()),
            Some(class) => SubjectNameStrategy::from_class(key, &class),
        }
    }

    /// Whether the subject depends on the schema (its record name), so it must be computed per
    /// schema rather than once per topic.
    pub fn uses_schema(self) -> bool {
        self != SubjectNameStrategy::TopicName
    }

    /// The subject for a key (`is_key`) or value of `topic` whose schema has the fully qualified
    /// name `record_name` (`None` for a schema without a name: a primitive, an array, …). The
    /// record strategies fail for an unnamed schema with Confluent's `SerializationException`
    /// message.
    pub fn subject(
        self,
        topic: &str,
        is_key: bool,
        record_name: Option<&str>,
    ) -> Result<String, RegistryError> {
        let record = || {
            record_name.map(str::to_string).ok_or_else(|| {
                let (key, side) = if is_key {
                    (KEY_SUBJECT_NAME_STRATEGY, "key")
                } else {
                    (VALUE_SUBJECT_NAME_STRATEGY, "value")
                };
                RegistryError::Serialization(format!(
                    "In configuration {key} = {}, the message {side} must only be a record schema",
                    self.class_name()
                ))
            })
        };
        match self {
            SubjectNameStrategy::TopicName => {
                Ok(format!("{topic}-{}", if is_key { "key" } else { "value" }))
            }
            SubjectNameStrategy::RecordName => record(),
            SubjectNameStrategy::TopicRecordName => Ok(format!("{topic}-{}", record()?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_strategy_names_subjects_as_confluents() {
        let s = SubjectNameStrategy::TopicName;
        assert_eq!(
            s.subject("orders", false, Some("a.B")).as_deref(),
            Ok("orders-value")
        );
        assert_eq!(s.subject("orders", true, None).as_deref(), Ok("orders-key"));
        let s = SubjectNameStrategy::RecordName;
        assert_eq!(
            s.subject("orders", false, Some("a.B")).as_deref(),
            Ok("a.B")
        );
        let s = SubjectNameStrategy::TopicRecordName;
        assert_eq!(
            s.subject("orders", true, Some("a.B")).as_deref(),
            Ok("orders-a.B")
        );
        let err = s.subject("orders", true, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "In configuration key.subject.name.strategy = io.confluent.kafka.serializers.subject.TopicRecordNameStrategy, the message key must only be a record schema"
        );
        assert!(s.uses_schema());
        assert!(!SubjectNameStrategy::TopicName.uses_schema());
    }

    #[test]
    fn strategies_come_from_settings_by_class_name() {
        let settings = |k: &str| {
            (k == VALUE_SUBJECT_NAME_STRATEGY)
                .then(|| "io.confluent.kafka.serializers.subject.RecordNameStrategy".to_string())
        };
        assert_eq!(
            SubjectNameStrategy::from_settings(false, &settings),
            Ok(SubjectNameStrategy::RecordName)
        );
        assert_eq!(
            SubjectNameStrategy::from_settings(true, &settings),
            Ok(SubjectNameStrategy::TopicName)
        );
        let err =
            SubjectNameStrategy::from_class(VALUE_SUBJECT_NAME_STRATEGY, "com.x.Mine").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value com.x.Mine for configuration value.subject.name.strategy: Class com.x.Mine could not be found."
        );
    }
}
