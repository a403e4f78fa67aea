//! `io.debezium.transforms.Filter` and `io.debezium.transforms.ContentBasedRouter`
//! (debezium-scripting): both evaluate a Groovy or JavaScript expression (`language`,
//! `condition` / `topic.expression`) per record through JSR 223. weir runs no scripts, so both
//! are refused at construction, with the Kafka predicate chains that cover the common cases.

use std::sync::Arc;

use crate::config::{ConfigProblem, TransformConfig};
use crate::transform::Transform;

/// The Kafka chains that replace the usual scripts.
const ALTERNATIVES: &str = "use org.apache.kafka.connect.transforms.Filter under a predicate \
(org.apache.kafka.connect.transforms.predicates.TopicNameMatches, HasHeaderKey or \
RecordIsTombstone, with negate=true to keep instead of drop), and \
org.apache.kafka.connect.transforms.RegexRouter (under a predicate) to route by topic";

/// The refusal for `class`, reported on its `type` key.
fn refuse(config: &TransformConfig, what: &str) -> ConfigProblem {
    ConfigProblem::new(
        "type",
        format!(
            "{} is not supported by weir: weir cannot run Groovy/JavaScript scripts ({what}); {ALTERNATIVES}",
            config.class
        ),
    )
}

/// Refuses `io.debezium.transforms.Filter`.
pub fn build_filter(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Err(refuse(config, "`condition`"))
}

/// Refuses `io.debezium.transforms.ContentBasedRouter`.
pub fn build_content_based_router(
    config: &TransformConfig,
) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Err(refuse(config, "`topic.expression`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_classes_are_refused_with_the_kafka_alternatives() {
        let config = TransformConfig::new(
            "filter",
            "io.debezium.transforms.Filter",
            [("language".to_string(), "jsr223.groovy".to_string())],
        );
        let problem = build_filter(&config).unwrap_err();
        assert_eq!(problem.key, "type");
        for needle in [
            "Groovy/JavaScript",
            "TopicNameMatches",
            "HasHeaderKey",
            "RecordIsTombstone",
        ] {
            assert!(problem.message.contains(needle), "{}", problem.message);
        }
        let router = TransformConfig::new("r", "io.debezium.transforms.ContentBasedRouter", []);
        assert!(build_content_based_router(&router)
            .unwrap_err()
            .message
            .contains("topic.expression"));
    }
}
