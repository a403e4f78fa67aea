//! Magic-byte-1 frames (a 16-byte schema GUID instead of the 4-byte id, Confluent 8's
//! `DualSchemaIdDeserializer`): each Schema Registry converter reads a GUID frame of a registered
//! schema as the id frame of that schema, and fails a GUID no schema has, naming it.

use std::sync::Arc;

use weir_formats::avro::converter::AvroConverter;
use weir_formats::converter::{Converter, ConverterContext, Decoded, Side};
use weir_formats::jsonschema::converter::JsonSchemaConverter;
use weir_formats::protobuf::converter::ProtobufConverter;
use weir_formats::registry::guid::{guid_text, schema_guid};
use weir_formats::registry::{mock, SchemaRegistry, SchemaString, SchemaType};

/// One registered schema and a body of it (after the frame's id).
struct Case {
    schema_type: SchemaType,
    schema: &'static str,
    body: &'static [u8],
}

const CASES: [Case; 3] = [
    Case {
        schema_type: SchemaType::Avro,
        schema: r#"{"type":"record","name":"R","fields":[{"name":"n","type":"long"}]}"#,
        body: &[0x2a],
    },
    Case {
        schema_type: SchemaType::Protobuf,
        schema: "syntax = \"proto3\";\nmessage R {\n  int64 n = 1;\n}\n",
        // Message index [0], then field 1 = 21.
        body: &[0x00, 0x08, 0x15],
    },
    Case {
        schema_type: SchemaType::Json,
        schema: r#"{"type":"object","properties":{"n":{"type":"integer"}}}"#,
        body: br#"{"n":21}"#,
    },
];

fn converter(schema_type: SchemaType, url: &str) -> Box<dyn Converter> {
    let settings = |key: &str| (key == "schema.registry.url").then(|| url.to_string());
    match schema_type {
        SchemaType::Avro => Box::new(AvroConverter::from_settings(settings).expect("avro")),
        SchemaType::Protobuf => {
            Box::new(ProtobufConverter::from_settings(settings).expect("protobuf"))
        }
        SchemaType::Json => {
            Box::new(JsonSchemaConverter::from_settings(settings).expect("json schema"))
        }
    }
}

fn decode(converter: &dyn Converter, frames: &[Vec<u8>]) -> Decoded {
    let inputs: Vec<Option<&[u8]>> = frames.iter().map(|f| Some(f.as_slice())).collect();
    converter.decode(&inputs, &ConverterContext::single_topic(Side::Value, "t"))
}

#[test]
fn a_guid_frame_reads_as_the_id_frame_of_its_schema() {
    for (n, case) in CASES.iter().enumerate() {
        let scope = format!("schema-guids-{n}");
        let registry: Arc<_> = mock::scope(&scope);
        let text = SchemaString::new(case.schema_type, case.schema);
        let id = registry.register("t-value", &text).expect("registered");
        let guid = schema_guid(&registry.schema_by_id(id).expect("stored"));
        let converter = converter(case.schema_type, &format!("mock://{scope}"));

        let mut by_id = vec![0];
        by_id.extend_from_slice(&id.to_be_bytes());
        by_id.extend_from_slice(case.body);
        let mut by_guid = vec![1];
        by_guid.extend_from_slice(&guid);
        by_guid.extend_from_slice(case.body);
        let mut unknown = vec![1];
        unknown.extend_from_slice(&[7; 16]);
        unknown.extend_from_slice(case.body);

        let decoded = decode(converter.as_ref(), &[by_id, by_guid, unknown]);
        assert_eq!(
            decoded.parts.len(),
            1,
            "{:?}: {:?}",
            case.schema_type,
            decoded.errors
        );
        let part = &decoded.parts[0];
        assert_eq!(part.rows, [0, 1], "{:?}", case.schema_type);
        assert_eq!(part.column.data.len(), 2);
        let column = part.column.data.as_ref();
        assert_eq!(column.slice(0, 1).to_data(), column.slice(1, 1).to_data());
        let (row, error) = &decoded.errors[0];
        assert_eq!(*row, 2);
        let unknown_text = guid_text(&[7; 16]);
        assert!(
            error.message.contains(&unknown_text),
            "{:?}: {}",
            case.schema_type,
            error.message
        );
    }
}
