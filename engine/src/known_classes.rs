//! What a config naming a class the registry does not have is told: Kafka's "could not be found"
//! for a name no known plugin has (a misspelling, a private plugin), and "a known Kafka Connect
//! class that weir does not support yet" for a class that ships with Kafka, Confluent Platform,
//! Debezium, Apicurio or a well-known SMT collection. One place decides this for converters,
//! header converters, transforms and predicates; it is consulted only after the registry, so a
//! class weir gains later needs no change here.

use crate::config::ConfigError;

/// Plugin classes of Kafka, Confluent, Debezium, Apicurio and the well-known third-party SMT
/// collections (Aiven's, Jeremy Custenborder's common transforms), without a `$Key`/`$Value`
/// suffix. Sorted, for a binary search.
const KNOWN_CLASSES: &[&str] = &[
    "com.github.jcustenborder.kafka.connect.transform.common.AdjustPrecisionAndScale",
    "com.github.jcustenborder.kafka.connect.transform.common.BytesToString",
    "com.github.jcustenborder.kafka.connect.transform.common.ChangeCase",
    "com.github.jcustenborder.kafka.connect.transform.common.ChangeTopicCase",
    "com.github.jcustenborder.kafka.connect.transform.common.ConvertCase",
    "com.github.jcustenborder.kafka.connect.transform.common.Debug",
    "com.github.jcustenborder.kafka.connect.transform.common.ExtractNestedField",
    "com.github.jcustenborder.kafka.connect.transform.common.ExtractTimestamp",
    "com.github.jcustenborder.kafka.connect.transform.common.ExtractXPath",
    "com.github.jcustenborder.kafka.connect.transform.common.HeaderToField",
    "com.github.jcustenborder.kafka.connect.transform.common.LowerCaseTopic",
    "com.github.jcustenborder.kafka.connect.transform.common.NormalizeSchema",
    "com.github.jcustenborder.kafka.connect.transform.common.PatternFilter",
    "com.github.jcustenborder.kafka.connect.transform.common.PatternRename",
    "com.github.jcustenborder.kafka.connect.transform.common.SchemaNameToTopic",
    "com.github.jcustenborder.kafka.connect.transform.common.SetMaximumPrecision",
    "com.github.jcustenborder.kafka.connect.transform.common.SetNull",
    "com.github.jcustenborder.kafka.connect.transform.common.TimestampNow",
    "com.github.jcustenborder.kafka.connect.transform.common.TimestampNowField",
    "com.github.jcustenborder.kafka.connect.transform.common.ToJSON",
    "com.github.jcustenborder.kafka.connect.transform.common.ToLong",
    "com.github.jcustenborder.kafka.connect.transform.common.TopicNameToField",
    "io.aiven.kafka.connect.transforms.ConcatFields",
    "io.aiven.kafka.connect.transforms.ExtractTimestamp",
    "io.aiven.kafka.connect.transforms.ExtractTopic",
    "io.aiven.kafka.connect.transforms.ExtractTopicFromSchemaName",
    "io.aiven.kafka.connect.transforms.FilterByFieldValue",
    "io.aiven.kafka.connect.transforms.Hash",
    "io.aiven.kafka.connect.transforms.KeyToValue",
    "io.aiven.kafka.connect.transforms.MakeTombstone",
    "io.aiven.kafka.connect.transforms.TombstoneHandler",
    "io.apicurio.registry.utils.converter.AvroConverter",
    "io.apicurio.registry.utils.converter.ExtJsonConverter",
    "io.apicurio.registry.utils.converter.ProtobufConverter",
    "io.confluent.connect.avro.AvroConverter",
    "io.confluent.connect.cloud.transforms.Filter",
    "io.confluent.connect.cloud.transforms.TopicRegexRouter",
    "io.confluent.connect.json.JsonSchemaConverter",
    "io.confluent.connect.protobuf.ProtobufConverter",
    "io.confluent.connect.replicator.util.ByteArrayConverter",
    "io.confluent.connect.transforms.Drop",
    "io.confluent.connect.transforms.ExtractTopic",
    "io.confluent.connect.transforms.Filter",
    "io.confluent.connect.transforms.GzipDecompress",
    "io.confluent.connect.transforms.InsertHeader",
    "io.confluent.connect.transforms.MessageTimestampRouter",
    "io.confluent.connect.transforms.TombstoneHandler",
    "io.confluent.connect.transforms.TopicRegexRouter",
    "io.debezium.connector.mongodb.transforms.ExtractNewDocumentState",
    "io.debezium.connector.mongodb.transforms.outbox.MongoEventRouter",
    "io.debezium.connector.postgresql.transforms.DecodeLogicalDecodingMessageContent",
    "io.debezium.connector.postgresql.transforms.timescaledb.TimescaleDb",
    "io.debezium.converters.BinaryDataConverter",
    "io.debezium.converters.ByteArrayConverter",
    "io.debezium.converters.CloudEventsConverter",
    "io.debezium.transforms.AnonymiseField",
    "io.debezium.transforms.ByLogicalTableRouter",
    "io.debezium.transforms.ContentBasedRouter",
    "io.debezium.transforms.ExtractChangedRecordState",
    "io.debezium.transforms.ExtractNewRecordState",
    "io.debezium.transforms.ExtractSchemaToNewRecord",
    "io.debezium.transforms.Filter",
    "io.debezium.transforms.GeometryFormatTransformer",
    "io.debezium.transforms.HeaderToValue",
    "io.debezium.transforms.SchemaChangeEventFilter",
    "io.debezium.transforms.SwapGeometryCoordinates",
    "io.debezium.transforms.TimezoneConverter",
    "io.debezium.transforms.UnwrapFromEnvelope",
    "io.debezium.transforms.VectorToJsonConverter",
    "io.debezium.transforms.openlineage.OpenLineage",
    "io.debezium.transforms.outbox.EventRouter",
    "io.debezium.transforms.partitions.ComputePartition",
    "io.debezium.transforms.partitions.PartitionRouting",
    "io.debezium.transforms.reselect.ReselectColumns",
    "io.debezium.transforms.tracing.ActivateTracingSpan",
    "org.apache.kafka.connect.converters.BooleanConverter",
    "org.apache.kafka.connect.converters.ByteArrayConverter",
    "org.apache.kafka.connect.converters.DoubleConverter",
    "org.apache.kafka.connect.converters.FloatConverter",
    "org.apache.kafka.connect.converters.IntegerConverter",
    "org.apache.kafka.connect.converters.LongConverter",
    "org.apache.kafka.connect.converters.ShortConverter",
    "org.apache.kafka.connect.json.JsonConverter",
    "org.apache.kafka.connect.storage.SimpleHeaderConverter",
    "org.apache.kafka.connect.storage.StringConverter",
    "org.apache.kafka.connect.transforms.Cast",
    "org.apache.kafka.connect.transforms.DropHeaders",
    "org.apache.kafka.connect.transforms.ExtractField",
    "org.apache.kafka.connect.transforms.Filter",
    "org.apache.kafka.connect.transforms.Flatten",
    "org.apache.kafka.connect.transforms.HeaderFrom",
    "org.apache.kafka.connect.transforms.HoistField",
    "org.apache.kafka.connect.transforms.InsertField",
    "org.apache.kafka.connect.transforms.InsertHeader",
    "org.apache.kafka.connect.transforms.MaskField",
    "org.apache.kafka.connect.transforms.RegexRouter",
    "org.apache.kafka.connect.transforms.ReplaceField",
    "org.apache.kafka.connect.transforms.SetSchemaMetadata",
    "org.apache.kafka.connect.transforms.TimestampConverter",
    "org.apache.kafka.connect.transforms.TimestampRouter",
    "org.apache.kafka.connect.transforms.ValueToKey",
    "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
    "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
];

/// Whether `class` (with or without a `$Key`/`$Value`/`$Header` variant suffix) is a class of a
/// known Kafka Connect plugin. Cost: a binary search over the list.
pub fn is_known_class(class: &str) -> bool {
    let base = ["$Key", "$Value", "$Header"]
        .iter()
        .find_map(|suffix| class.strip_suffix(suffix))
        .unwrap_or(class);
    KNOWN_CLASSES.binary_search(&base).is_ok()
}

/// The error for `key` naming `class`, which the registry does not have: "not supported yet"
/// (an unsupported-class error) for a known plugin class, else Kafka's "could not be found".
pub fn missing_class(key: &str, class: &str) -> ConfigError {
    if is_known_class(class) {
        return ConfigError::unsupported(
            key,
            format!(
                "{class} is a known Kafka Connect class that weir does not support yet; see the \
                 README's list of supported classes"
            ),
        );
    }
    ConfigError::for_key(
        key,
        format!("Invalid value {class} for configuration {key}: Class {class} could not be found."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_and_has_no_repeats() {
        assert!(KNOWN_CLASSES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn known_plugin_classes_are_unsupported_and_others_not_found() {
        let avro = missing_class("value.converter", "io.confluent.connect.avro.AvroConverter");
        assert!(avro.is_unsupported(), "{avro}");
        assert!(avro.message.contains("known Kafka Connect class"), "{avro}");
        let router = missing_class(
            "transforms.r.type",
            "io.debezium.transforms.outbox.EventRouter",
        );
        assert!(router.is_unsupported());
        assert!(is_known_class(
            "com.github.jcustenborder.kafka.connect.transform.common.ChangeCase$Value"
        ));
        let nope = missing_class(
            "transforms.n.type",
            "org.apache.kafka.connect.transforms.Nope",
        );
        assert!(!nope.is_unsupported());
        assert_eq!(
            nope.message,
            "Invalid value org.apache.kafka.connect.transforms.Nope for configuration \
             transforms.n.type: Class org.apache.kafka.connect.transforms.Nope could not be found."
        );
    }
}
