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

use crate::{PredicateFactory, TransformFactory};

/// Kafka's built-in transforms by class name.
pub fn transforms() -> Vec<(&'static str, TransformFactory)> {
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
