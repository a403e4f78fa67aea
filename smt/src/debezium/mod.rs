//! Debezium's transforms (`io.debezium.transforms.*` and MongoDB's), each matching Debezium
//! 3.6.1's behaviour byte for byte (the `debezium/` conformance corpus is their spec).

pub mod extended_json;
pub mod extract_new_record_state;
pub mod extract_schema_to_new_record;
pub mod field_reference;
pub mod iso_offset_time;
pub mod java_zone;
pub mod mongodb_extract_new_document_state;
pub mod schema_change_event_filter;
pub mod timezone_converter;

use crate::TransformFactory;

/// Debezium's transforms by class name.
pub fn transforms() -> Vec<(&'static str, TransformFactory)> {
    vec![
        (
            "io.debezium.transforms.ExtractNewRecordState",
            extract_new_record_state::build,
        ),
        (
            "io.debezium.transforms.ExtractSchemaToNewRecord",
            extract_schema_to_new_record::build,
        ),
        (
            "io.debezium.transforms.SchemaChangeEventFilter",
            schema_change_event_filter::build,
        ),
        (
            "io.debezium.transforms.TimezoneConverter",
            timezone_converter::build,
        ),
        (
            "io.debezium.connector.mongodb.transforms.ExtractNewDocumentState",
            mongodb_extract_new_document_state::build,
        ),
    ]
}
