//! Kafka's `Requirements` (`transforms/util/Requirements.java`): the errors of a transform met
//! with a value of the wrong class.

use weir_formats::error::ConnectError;
use weir_formats::value::Value;

/// `Requirements.requireMap`'s error: `Only Map objects supported in absence of schema for
/// [<purpose>], found: <class>`.
pub fn require_map_error(purpose: &str, found: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Only Map objects supported in absence of schema for [{purpose}], found: {}",
        class_or_null(found)
    ))
}

/// `Requirements.requireStruct`'s error: `Only Struct objects supported for [<purpose>], found:
/// <class>`.
pub fn require_struct_error(purpose: &str, found: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Only Struct objects supported for [{purpose}], found: {}",
        class_or_null(found)
    ))
}

fn class_or_null(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        other => other.java_class(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_messages_match_kafka() {
        assert_eq!(
            require_map_error("field insertion", &Value::Int32(1)).message,
            "Only Map objects supported in absence of schema for [field insertion], found: java.lang.Integer"
        );
        assert_eq!(
            require_struct_error("field insertion", &Value::Null).message,
            "Only Struct objects supported for [field insertion], found: null"
        );
    }
}
