//! weir's single message transforms and predicates: Kafka Connect's, each a vectorized kernel
//! over a segment with a row-wise reference (design §3).
//!
//! - [`transform`]: the [`Transform`] and [`Predicate`] traits and what they exchange.
//! - [`record`]: [`ConnectRecord`], the row-wise model of the references.
//! - [`config`]: a transform's settings with Kafka's types, defaults and messages.
//! - [`util`]: what Kafka's transforms share: requirement messages, schema copies, the per-schema cache.

pub mod cast;
pub mod config;
pub mod debezium;
pub mod drop_headers;
pub mod extract_field;
pub mod field_path;
pub mod filter;
pub mod flatten;
pub mod header_from;
pub mod hoist_field;
pub mod insert_field;
pub mod insert_header;
pub mod java_time_format;
pub mod mask_field;
pub mod predicates;
pub mod record;
pub mod regex_router;
pub mod replace_field;
pub mod routing;
pub mod set_schema_metadata;
pub mod timestamp_converter;
pub mod timestamp_router;
pub mod transform;
pub mod util;
pub mod value_to_key;

use std::sync::Arc;

pub use config::{ConfigProblem, TransformConfig};
pub use record::ConnectRecord;
pub use transform::{
    OutputPart, Predicate, RecordMeta, SegmentInput, SegmentOutput, Transform, NO_PARTITION,
};

/// Which half of the record a `$Key` / `$Value` transform works on (the converters' side).
pub use weir_formats::converter::Side;

/// Builds a configured transform.
pub type TransformFactory = fn(&TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem>;
/// Builds a configured predicate.
pub type PredicateFactory = fn(&TransformConfig) -> Result<Arc<dyn Predicate>, ConfigProblem>;

/// The built-in transforms by class name: Kafka's own and Debezium's ([`debezium::transforms`]).
pub fn builtin_transforms() -> Vec<(&'static str, TransformFactory)> {
    let mut transforms = kafka_transforms();
    transforms.extend(debezium::transforms());
    transforms
}

/// Kafka's built-in transforms by class name.
fn kafka_transforms() -> Vec<(&'static str, TransformFactory)> {
    vec![
        (
            "org.apache.kafka.connect.transforms.TimestampConverter$Key",
            timestamp_converter::build_key,
        ),
        (
            "org.apache.kafka.connect.transforms.TimestampConverter$Value",
            timestamp_converter::build_value,
        ),
        (
            "org.apache.kafka.connect.transforms.Cast$Key",
            cast::build_key,
        ),
        (
            "org.apache.kafka.connect.transforms.Cast$Value",
            cast::build_value,
        ),
        (
            "org.apache.kafka.connect.transforms.Flatten$Key",
            flatten::build_key,
        ),
        (
            "org.apache.kafka.connect.transforms.Flatten$Value",
            flatten::build_value,
        ),
        (
            "org.apache.kafka.connect.transforms.TimestampRouter",
            timestamp_router::build,
        ),
        (
            "org.apache.kafka.connect.transforms.HeaderFrom$Key",
            header_from::build_key,
        ),
        (
            "org.apache.kafka.connect.transforms.HeaderFrom$Value",
            header_from::build_value,
        ),
        (
            "org.apache.kafka.connect.transforms.SetSchemaMetadata$Key",
            set_schema_metadata::build_key,
        ),
        (
            "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
            set_schema_metadata::build_value,
        ),
        (
            "org.apache.kafka.connect.transforms.HoistField$Key",
            hoist_field::build_key,
        ),
        (
            "org.apache.kafka.connect.transforms.HoistField$Value",
            hoist_field::build_value,
        ),
        (
            "org.apache.kafka.connect.transforms.ExtractField$Key",
            extract_field::build_key,
        ),
        (
            "org.apache.kafka.connect.transforms.ExtractField$Value",
            extract_field::build_value,
        ),
        (
            "org.apache.kafka.connect.transforms.InsertHeader",
            insert_header::build,
        ),
        (
            "org.apache.kafka.connect.transforms.DropHeaders",
            drop_headers::build,
        ),
        ("org.apache.kafka.connect.transforms.Filter", filter::build),
        (
            "org.apache.kafka.connect.transforms.RegexRouter",
            regex_router::build,
        ),
        (
            "org.apache.kafka.connect.transforms.InsertField$Key",
            insert_field::build_key,
        ),
        (
            "org.apache.kafka.connect.transforms.InsertField$Value",
            insert_field::build_value,
        ),
        (
            "org.apache.kafka.connect.transforms.ReplaceField$Key",
            replace_field::build_key,
        ),
        (
            "org.apache.kafka.connect.transforms.ReplaceField$Value",
            replace_field::build_value,
        ),
        (
            "org.apache.kafka.connect.transforms.ValueToKey",
            value_to_key::build,
        ),
        (
            "org.apache.kafka.connect.transforms.MaskField$Key",
            mask_field::build_key,
        ),
        (
            "org.apache.kafka.connect.transforms.MaskField$Value",
            mask_field::build_value,
        ),
    ]
}

/// Kafka's built-in predicates by class name.
pub fn builtin_predicates() -> Vec<(&'static str, PredicateFactory)> {
    vec![
        (
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            predicates::build_topic_name_matches,
        ),
        (
            "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
            predicates::build_has_header_key,
        ),
        (
            "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
            predicates::build_record_is_tombstone,
        ),
    ]
}
