//! The worker's properties file: a Kafka Connect sink-style connector config (converters,
//! `transforms.*`, `predicates.*`, `errors.*`) plus where to read and write (`bootstrap.servers`,
//! `topics` / `topics.regex`, `group.id`) and `consumer.*` / `producer.*` client overrides.
//!
//! Keys the worker does not use are ignored, as Connect ignores them (`name`, `tasks.max`,
//! `connector.class`, `errors.deadletterqueue.topic.replication.factor`, …): the broker creates
//! the dead letter topic with its own defaults when it first receives a record.

use std::time::Duration;

use weir_engine::properties::{parse_properties, Properties};
use weir_engine::Pipeline;

/// A config the worker cannot run: the key at fault and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct WorkerConfigError {
    /// The key at fault (`properties` when the text itself is malformed).
    pub key: String,
    /// What is wrong, and what would be right.
    pub message: String,
}

impl WorkerConfigError {
    fn new(key: impl Into<String>, message: impl Into<String>) -> WorkerConfigError {
        WorkerConfigError {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// What the worker consumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscription {
    /// `topics`: these topics.
    Topics(Vec<String>),
    /// `topics.regex`: every topic whose whole name matches.
    Regex(String),
}

impl Subscription {
    /// Whether the worker consumes `topic` (a record written there would be read again).
    pub fn covers(&self, topic: &str, regex: Option<&regex::Regex>) -> bool {
        match self {
            Subscription::Topics(topics) => topics.iter().any(|t| t == topic),
            Subscription::Regex(_) => regex.is_some_and(|r| r.is_match(topic)),
        }
    }
}

/// Where failed records go with `errors.tolerance=all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterQueue {
    /// `errors.deadletterqueue.topic.name`.
    pub topic: String,
    /// `errors.deadletterqueue.context.headers.enable` (Connect's default: false): add the
    /// `__connect.errors.*` headers to the original record's.
    pub context_headers: bool,
}

/// The validated worker config. Plain data; building it parses the file once.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Every key of the file, for [`Pipeline::from_props`].
    pub properties: Properties,
    /// `topics` or `topics.regex`.
    pub subscription: Subscription,
    /// `group.id` (default `connect-<name>`, as Connect names a sink connector's group).
    pub group_id: String,
    /// The consumer's librdkafka settings: the worker's defaults, then `consumer.*`.
    pub consumer: Vec<(String, String)>,
    /// The producer's librdkafka settings: the worker's defaults, then `producer.*`.
    pub producer: Vec<(String, String)>,
    /// The dead letter topic, if any.
    pub dead_letter_queue: Option<DeadLetterQueue>,
    /// `exactly.once`: records and offsets in one Kafka transaction per batch.
    pub exactly_once: bool,
    /// `worker.output.partition`: `input` (default) writes each record to the partition the
    /// chain gives it (the input's, unless a transform set another), keeping each partition's
    /// order; `key` leaves the partition to the producer's partitioner (by key), for output
    /// topics with fewer partitions than the input's (e.g. the topics TimestampRouter names).
    pub keep_partition: bool,
    /// `worker.batch.max.records` (default 10000): at most this many records per batch.
    pub batch_max_records: usize,
    /// `worker.batch.max.wait.ms` (default 100): how long to wait for a batch's first record.
    pub batch_max_wait: Duration,
}

/// The keys the worker reads itself (the pipeline reads converters, transforms and `errors.*`).
const TOPICS: &str = "topics";
const TOPICS_REGEX: &str = "topics.regex";

impl WorkerConfig {
    /// Parses and validates a properties text; the pipeline keys are checked by building the
    /// [`Pipeline`] (see [`WorkerConfig::pipeline`]).
    pub fn from_properties_text(text: &str) -> Result<WorkerConfig, WorkerConfigError> {
        let properties = parse_properties(text)
            .map_err(|e| WorkerConfigError::new("properties", e.to_string()))?;
        WorkerConfig::from_properties(properties)
    }

    /// Validates parsed properties.
    pub fn from_properties(properties: Properties) -> Result<WorkerConfig, WorkerConfigError> {
        let get = |key: &str| properties.get(key).map(str::trim).filter(|v| !v.is_empty());
        let bootstrap = get("bootstrap.servers").ok_or_else(|| {
            WorkerConfigError::new(
                "bootstrap.servers",
                "Missing required configuration \"bootstrap.servers\" (host:port of the Kafka brokers)",
            )
        })?;
        let subscription = match (get(TOPICS), get(TOPICS_REGEX)) {
            (Some(_), Some(_)) => {
                return Err(WorkerConfigError::new(
                    TOPICS,
                    "Must configure one of topics or topics.regex, not both",
                ))
            }
            (None, None) => {
                return Err(WorkerConfigError::new(
                    TOPICS,
                    "Must configure one of topics or topics.regex",
                ))
            }
            (Some(list), None) => Subscription::Topics(weir_engine::config::list_value(list)),
            (None, Some(pattern)) => {
                regex::Regex::new(&format!("^(?:{pattern})$"))
                    .map_err(|e| WorkerConfigError::new(TOPICS_REGEX, e.to_string()))?;
                Subscription::Regex(pattern.to_string())
            }
        };
        let group_id = match (get("group.id"), get("name")) {
            (Some(group), _) => group.to_string(),
            (None, Some(name)) => format!("connect-{name}"),
            (None, None) => {
                return Err(WorkerConfigError::new(
                    "group.id",
                    "Missing group.id (or a connector name, whose group is connect-<name>)",
                ))
            }
        };
        let exactly_once = boolean(&properties, "exactly.once", false)?;
        let dead_letter_queue = get("errors.deadletterqueue.topic.name")
            .map(|topic| -> Result<DeadLetterQueue, WorkerConfigError> {
                Ok(DeadLetterQueue {
                    topic: topic.to_string(),
                    context_headers: boolean(
                        &properties,
                        "errors.deadletterqueue.context.headers.enable",
                        false,
                    )?,
                })
            })
            .transpose()?;
        let consumer = client_settings(
            &properties,
            "consumer.",
            &[
                ("bootstrap.servers", bootstrap),
                ("group.id", &group_id),
                // Offsets are committed by the worker, after the batch's records are acknowledged.
                ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"),
                // Connect's sink default (librdkafka's is latest).
                ("auto.offset.reset", "earliest"),
                ("isolation.level", "read_committed"),
            ],
        );
        let transactional_id = format!("weir-worker-{group_id}");
        let mut producer_defaults = vec![
            ("bootstrap.servers", bootstrap),
            // Retries keep each partition's order and write no duplicates.
            ("enable.idempotence", "true"),
            ("linger.ms", "5"),
            ("queue.buffering.max.messages", "1000000"),
        ];
        if exactly_once {
            producer_defaults.push(("transactional.id", &transactional_id));
        }
        let producer = client_settings(&properties, "producer.", &producer_defaults);
        Ok(WorkerConfig {
            subscription,
            group_id,
            consumer,
            producer,
            dead_letter_queue,
            exactly_once,
            keep_partition: match get("worker.output.partition") {
                None | Some("input") => true,
                Some("key") => false,
                Some(other) => {
                    return Err(WorkerConfigError::new(
                        "worker.output.partition",
                        format!("Invalid value {other} for configuration worker.output.partition: String must be one of: input, key"),
                    ))
                }
            },
            batch_max_records: positive(&properties, "worker.batch.max.records", 10_000)?,
            batch_max_wait: Duration::from_millis(
                positive(&properties, "worker.batch.max.wait.ms", 100)? as u64,
            ),
            properties,
        })
    }

    /// Builds the pipeline the config describes (converters, transforms, predicates, errors).
    pub fn pipeline(&self) -> Result<Pipeline, WorkerConfigError> {
        Pipeline::from_props(
            &self.properties,
            &weir_engine::registry::Registry::builtin(),
        )
        .map_err(|e| {
            WorkerConfigError::new(
                e.key.clone().unwrap_or_else(|| "config".into()),
                e.to_string(),
            )
        })
    }
}

/// The worker's `defaults`, then every `<prefix>*` key with the prefix removed (overriding).
fn client_settings(
    properties: &Properties,
    prefix: &str,
    defaults: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut settings: Vec<(String, String)> = defaults
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (key, value) in properties.keys_with_prefix(prefix) {
        match settings.iter_mut().find(|(k, _)| k == key) {
            Some(setting) => setting.1 = value.to_string(),
            None => settings.push((key.to_string(), value.to_string())),
        }
    }
    settings
}

/// A boolean key (`true`/`false`, any case, as Kafka's ConfigDef reads it).
fn boolean(properties: &Properties, key: &str, default: bool) -> Result<bool, WorkerConfigError> {
    match properties.get(key).map(str::trim) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(WorkerConfigError::new(
            key,
            format!("Invalid value {v} for configuration {key}: Expected value to be either true or false"),
        )),
    }
}

/// A positive integer key.
fn positive(
    properties: &Properties,
    key: &str,
    default: usize,
) -> Result<usize, WorkerConfigError> {
    match properties.get(key).map(str::trim) {
        None => Ok(default),
        Some(v) => v.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
            WorkerConfigError::new(
                key,
                format!(
                    "Invalid value {v} for configuration {key}: a positive integer is required"
                ),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "bootstrap.servers=127.0.0.1:9092\ntopics=a, b\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\n";

    fn config(extra: &str) -> Result<WorkerConfig, WorkerConfigError> {
        WorkerConfig::from_properties_text(&format!("{BASE}{extra}"))
    }

    fn setting<'a>(settings: &'a [(String, String)], key: &str) -> Option<&'a str> {
        settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn connect_defaults_and_overrides() {
        let c = config("name=orders\nconsumer.auto.offset.reset=latest\nproducer.linger.ms=20\nproducer.acks=1\n").unwrap();
        assert_eq!(c.group_id, "connect-orders");
        assert_eq!(
            c.subscription,
            Subscription::Topics(vec!["a".into(), "b".into()])
        );
        assert_eq!(setting(&c.consumer, "auto.offset.reset"), Some("latest"));
        assert_eq!(setting(&c.consumer, "enable.auto.commit"), Some("false"));
        assert_eq!(setting(&c.producer, "linger.ms"), Some("20"));
        assert_eq!(setting(&c.producer, "acks"), Some("1"));
        assert_eq!(setting(&c.producer, "transactional.id"), None);
        let c = config("group.id=g\n").unwrap();
        assert_eq!(setting(&c.consumer, "auto.offset.reset"), Some("earliest"));
        assert_eq!(setting(&c.consumer, "group.id"), Some("g"));
    }

    #[test]
    fn ignored_connect_keys_build() {
        let c = config(
            "name=x\ntasks.max=4\nconnector.class=whatever\nerrors.tolerance=all\n\
             errors.deadletterqueue.topic.name=dlq\nerrors.deadletterqueue.topic.replication.factor=3\n",
        )
        .unwrap();
        c.pipeline().unwrap();
        assert_eq!(
            c.dead_letter_queue,
            Some(DeadLetterQueue {
                topic: "dlq".into(),
                context_headers: false
            })
        );
    }

    #[test]
    fn exactly_once_sets_a_transactional_id() {
        let c = config("group.id=g\nexactly.once=true\n").unwrap();
        assert!(c.exactly_once);
        assert_eq!(
            setting(&c.producer, "transactional.id"),
            Some("weir-worker-g")
        );
    }

    #[test]
    fn bad_configs_name_their_key() {
        let e = WorkerConfig::from_properties_text("topics=a\ngroup.id=g\n").unwrap_err();
        assert_eq!(e.key, "bootstrap.servers");
        assert_eq!(
            config("topics.regex=x.*\ngroup.id=g\n").unwrap_err().key,
            "topics"
        );
        assert_eq!(config("").unwrap_err().key, "group.id");
        assert_eq!(
            config("group.id=g\nexactly.once=yes\n").unwrap_err().key,
            "exactly.once"
        );
        assert_eq!(
            config("group.id=g\nworker.output.partition=random\n")
                .unwrap_err()
                .key,
            "worker.output.partition"
        );
        assert!(
            !config("group.id=g\nworker.output.partition=key\n")
                .unwrap()
                .keep_partition
        );
        assert!(config("group.id=g\n").unwrap().keep_partition);
        assert_eq!(
            config("group.id=g\nworker.batch.max.records=0\n")
                .unwrap_err()
                .key,
            "worker.batch.max.records"
        );
        let e =
            WorkerConfig::from_properties_text("bootstrap.servers=b\ntopics.regex=(\ngroup.id=g\n")
                .unwrap_err();
        assert_eq!(e.key, "topics.regex");
    }
}
