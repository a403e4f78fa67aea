//! Confluent's Avro serializer vectors (`confluent/avro/*.json` in the conformance corpus): every
//! frame decodes with the AvroConverter and, written back under the same schema id
//! (`use.latest.version`, not strict), gives the same bytes. A schema AvroData cannot map (a field
//! of type `null`) fails every frame with Confluent's message instead.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use weir_formats::avro::{AvroConverter, AvroConverterConfig};
use weir_formats::converter::{Converter, ConverterContext, Encoded, Side};
use weir_formats::json::reference::JsonConfig;
use weir_formats::json::JsonConverter;
use weir_formats::registry::{MemoryRegistry, SchemaString, SchemaType};

fn vectors_dir() -> PathBuf {
    let root = match std::env::var_os("WEIR_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance"),
    };
    root.join("confluent/avro")
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn converter(file: &Value) -> AvroConverter {
    let registry = Arc::new(MemoryRegistry::new());
    let schema = SchemaString::new(SchemaType::Avro, file["schema"].as_str().expect("schema"));
    registry
        .register_with_id(
            file["subject"].as_str().expect("subject"),
            &schema,
            file["subject_version"].as_i64().map(|v| v as i32),
            file["schema_id"].as_i64().expect("id") as i32,
        )
        .expect("seeded");
    let config = AvroConverterConfig::from_settings(&|k: &str| match k {
        "schema.registry.url" => Some("mock://vectors".to_string()),
        "auto.register.schemas" => Some("false".to_string()),
        "use.latest.version" => Some("true".to_string()),
        "latest.compatibility.strict" => Some("false".to_string()),
        _ => None,
    })
    .expect("config");
    AvroConverter::new(config, registry)
}

/// A column as schemaless JSON, row by row: its data without schema metadata (objects compare
/// regardless of key order).
fn json(column: &weir_formats::batch::Column) -> Vec<Option<Value>> {
    let json = JsonConverter::new(JsonConfig {
        schemas_enable: false,
        ..JsonConfig::default()
    });
    let mut out = Encoded::default();
    json.encode(
        column,
        &ConverterContext::single_topic(Side::Value, "t"),
        &mut out,
    );
    (0..out.len())
        .map(|i| out.row(i).map(|b| serde_json::from_slice(b).expect("JSON")))
        .collect()
}

#[test]
fn every_vector_decodes_and_reencodes_to_its_bytes() {
    let dir = vectors_dir();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("vectors folder") {
        let path = entry.expect("entry").path();
        let file: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let converter = converter(&file);
        let topic = file["topic"].as_str().expect("topic");
        let context = ConverterContext::single_topic(Side::Value, topic);
        for vector in file["vectors"].as_array().expect("vectors") {
            let name = format!("{} / {}", path.display(), vector["name"]);
            let frame = hex(vector["framed_hex"].as_str().expect("frame"));
            let decoded = converter.decode(&[Some(&frame)], &context);
            if let Some((_, error)) = decoded.errors.first() {
                assert!(
                    error
                        .message
                        .contains("Standalone null schemas are not supported"),
                    "{name}: {error}"
                );
                continue;
            }
            assert_eq!(decoded.parts.len(), 1, "{name}");
            let mut out = Encoded::default();
            converter.encode(&decoded.parts[0].column, &context, &mut out);
            assert!(out.errors().is_empty(), "{name}: {:?}", out.errors());
            let written = out.row(0).expect("a frame").to_vec();
            if written != frame {
                // Java's writer may differ from Python's only in spelling: map entries in Java
                // HashMap order, decimals minimal (Python writes -128 as ff80, Java's BigInteger
                // 80). The data must be the same.
                assert!(
                    written.len() <= frame.len(),
                    "{name}: bytes differ: {written:02x?}"
                );
                let again = converter.decode(&[Some(&written)], &context);
                assert!(again.errors.is_empty(), "{name}: {:?}", again.errors);
                assert_eq!(
                    json(&again.parts[0].column),
                    json(&decoded.parts[0].column),
                    "{name}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no vector checked under {}", dir.display());
}
