//! Debezium's transforms (`io.debezium.transforms.*` and MongoDB's), each matching Debezium
//! 3.6.1's behaviour byte for byte (the `debezium/` conformance corpus is their spec).

pub mod by_logical_table_router;
pub mod change_event;
pub mod extended_json;
pub mod extended_json_writer;
pub mod extract_changed_record_state;
pub mod extract_new_record_state;
pub mod extract_schema_to_new_record;
pub mod field_reference;
pub mod header_to_value;
pub mod iso_offset_time;
pub mod java_hash_code;
pub mod java_zone;
pub mod mongo_data_converter;
pub mod mongodb_event_router;
pub mod mongodb_extract_new_document_state;
pub mod murmur3;
pub mod outbox_event_router;
pub mod outbox_json_payload;
pub mod outbox_router;
pub mod partition_routing;
pub mod schema_change_event_filter;
pub mod schema_name_adjuster;
pub mod scripting;
#[cfg(test)]
pub mod test_events;
pub mod timezone_converter;
pub mod whole_record;

use crate::TransformFactory;

/// Debezium's transforms by class name.
pub fn transforms() -> Vec<(&'static str, TransformFactory)> {
    vec![
        (
            "io.debezium.transforms.ExtractNewRecordState",
            extract_new_record_state::build,
        ),
        (
            "io.debezium.transforms.ExtractChangedRecordState",
            extract_changed_record_state::build,
        ),
        (
            "io.debezium.transforms.HeaderToValue",
            header_to_value::build,
        ),
        (
            "io.debezium.transforms.outbox.EventRouter",
            outbox_event_router::build,
        ),
        (
            "io.debezium.transforms.ByLogicalTableRouter",
            by_logical_table_router::build,
        ),
        (
            "io.debezium.transforms.partitions.PartitionRouting",
            partition_routing::build,
        ),
        ("io.debezium.transforms.Filter", scripting::build_filter),
        (
            "io.debezium.transforms.ContentBasedRouter",
            scripting::build_content_based_router,
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
        (
            "io.debezium.connector.mongodb.transforms.outbox.MongoEventRouter",
            mongodb_event_router::build,
        ),
    ]
}
