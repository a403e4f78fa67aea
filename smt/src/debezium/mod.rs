//! Debezium's transforms (`io.debezium.transforms.*` and MongoDB's), each matching Debezium
//! 3.6.1's behaviour byte for byte (the `debezium/` conformance corpus is their spec).

pub mod extract_changed_record_state;
pub mod extract_new_record_state;
pub mod header_to_value;

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
    ]
}
