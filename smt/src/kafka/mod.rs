//! Kafka Connect's own transforms (`org.apache.kafka.connect.transforms.*`) and predicates
//! (`….transforms.predicates.*`), each matching Kafka Connect 3.9's behaviour (the `kafka-connect/`
//! conformance corpus is their spec).

pub mod cast;
pub mod drop_headers;
pub mod extract_field;
pub mod filter;
pub mod flatten;
pub mod header_from;
pub mod hoist_field;
pub mod insert_field;
pub mod insert_header;
pub mod mask_field;
pub mod predicates;
pub mod regex_router;
pub mod replace_field;
pub mod set_schema_metadata;
pub mod timestamp_converter;
pub mod timestamp_router;
pub mod value_to_key;

use std::sync::Arc;

use crate::transform::Transform;
use crate::{ConfigProblem, PredicateFactory, Side, TransformConfig, TransformFactory};

/// The `$Key` and `$Value` classes of a transform Kafka ships for either side of the record:
/// `class` without the suffix, and `new(config, side)`, which builds the transform for one side
/// (a `Result` with a [`ConfigProblem`]).
macro_rules! either_side {
    ($class:literal, $new:expr) => {
        [
            (
                concat!($class, "$Key"),
                (|config: &TransformConfig| -> Result<Arc<dyn Transform>, ConfigProblem> {
                    Ok(Arc::new(($new)(config, Side::Key)?))
                }) as TransformFactory,
            ),
            (
                concat!($class, "$Value"),
                (|config: &TransformConfig| -> Result<Arc<dyn Transform>, ConfigProblem> {
                    Ok(Arc::new(($new)(config, Side::Value)?))
                }) as TransformFactory,
            ),
        ]
    };
}

/// Kafka's built-in transforms by class name.
pub fn transforms() -> Vec<(&'static str, TransformFactory)> {
    let mut all: Vec<(&'static str, TransformFactory)> = vec![
        (
            "org.apache.kafka.connect.transforms.TimestampRouter",
            timestamp_router::build,
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
            "org.apache.kafka.connect.transforms.ValueToKey",
            value_to_key::build,
        ),
    ];
    let either_side = [
        either_side!(
            "org.apache.kafka.connect.transforms.TimestampConverter",
            timestamp_converter::TimestampConverter::new
        ),
        either_side!("org.apache.kafka.connect.transforms.Cast", cast::Cast::new),
        either_side!(
            "org.apache.kafka.connect.transforms.Flatten",
            |config, side| Ok::<_, ConfigProblem>(flatten::Flatten::new(config, side))
        ),
        either_side!(
            "org.apache.kafka.connect.transforms.HeaderFrom",
            header_from::HeaderFrom::from_config
        ),
        either_side!(
            "org.apache.kafka.connect.transforms.SetSchemaMetadata",
            set_schema_metadata::SetSchemaMetadata::new
        ),
        either_side!(
            "org.apache.kafka.connect.transforms.HoistField",
            hoist_field::HoistField::new
        ),
        either_side!(
            "org.apache.kafka.connect.transforms.ExtractField",
            extract_field::ExtractField::new
        ),
        either_side!(
            "org.apache.kafka.connect.transforms.InsertField",
            insert_field::InsertField::new
        ),
        either_side!(
            "org.apache.kafka.connect.transforms.ReplaceField",
            replace_field::ReplaceField::new
        ),
        either_side!(
            "org.apache.kafka.connect.transforms.MaskField",
            mask_field::MaskField::new
        ),
    ];
    all.extend(either_side.into_iter().flatten());
    all
}

/// Kafka's built-in predicates by class name.
pub fn predicates() -> Vec<(&'static str, PredicateFactory)> {
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
