//! Schema GUIDs, the ids of magic-byte-1 frames: Confluent's `Schema.getGuid`, the MD5 of the
//! schema's text (UTF-8) and of each reference's name, subject and version (a 4-byte big-endian
//! int), read as a UUID — so every registry gives a schema the same GUID.

use md5::{Digest, Md5};

use super::framing::SchemaId;
use super::{RegistryError, SchemaRegistry, SchemaString};

/// The GUID of `schema` as the registry stores it (its canonical text), as the 16 bytes a
/// magic-byte-1 frame carries (the UUID's most significant byte first). Cost: one MD5 pass over
/// the text.
pub fn schema_guid(schema: &SchemaString) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(schema.schema.as_bytes());
    for reference in &schema.references {
        md5.update(reference.name.as_bytes());
        md5.update(reference.subject.as_bytes());
        md5.update(reference.version.to_be_bytes());
    }
    md5.finalize().into()
}

/// The registry-wide id a frame's `id` names: the id itself, or the id `registry` holds for a
/// GUID (one look-up, cached by a [`super::cache::CachedRegistry`]).
pub fn registry_id(registry: &dyn SchemaRegistry, id: SchemaId) -> Result<i32, RegistryError> {
    match id {
        SchemaId::Id(id) => Ok(id),
        SchemaId::Guid(guid) => registry.id_by_guid(&guid),
    }
}

/// A GUID in UUID text form (`8-4-4-4-12` lowercase hex digits), as URLs and messages carry it.
pub fn guid_text(guid: &[u8; 16]) -> String {
    SchemaId::Guid(*guid).to_string()
}

/// The GUID of UUID text `text` (case-insensitive, with or without dashes); `None` when it is
/// not 32 hex digits.
pub fn parse_guid(text: &str) -> Option<[u8; 16]> {
    let digits: Vec<u8> = text.bytes().filter(|&b| b != b'-').collect();
    if digits.len() != 32 {
        return None;
    }
    let mut guid = [0u8; 16];
    for (i, pair) in digits.chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        guid[i] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(guid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{SchemaReference, SchemaType};

    #[test]
    fn the_guid_is_the_md5_of_text_and_references() {
        // MD5("") and MD5("abc") (RFC 1321's test suite).
        let empty = SchemaString::new(SchemaType::Avro, "");
        assert_eq!(
            guid_text(&schema_guid(&empty)),
            "d41d8cd9-8f00-b204-e980-0998ecf8427e"
        );
        let abc = SchemaString::new(SchemaType::Avro, "abc");
        assert_eq!(
            guid_text(&schema_guid(&abc)),
            "90015098-3cd2-4fb0-d696-3f7d28e17f72"
        );
        // A reference hashes its name, subject and version after the text: "a" + "b" + "c" +
        // the version 0x00000001 is MD5("abc\0\0\0\x01").
        let mut referring = SchemaString::new(SchemaType::Avro, "a");
        referring.references.push(SchemaReference {
            name: "b".into(),
            subject: "c".into(),
            version: 1,
        });
        let mut md5 = Md5::new();
        md5.update(b"abc\0\0\0\x01");
        let expected: [u8; 16] = md5.finalize().into();
        assert_eq!(schema_guid(&referring), expected);
        assert_ne!(schema_guid(&referring), schema_guid(&abc));
    }

    #[test]
    fn text_forms_round_trip() {
        let guid = schema_guid(&SchemaString::new(SchemaType::Json, "{}"));
        let text = guid_text(&guid);
        assert_eq!(parse_guid(&text), Some(guid));
        assert_eq!(
            parse_guid(&text.to_uppercase().replace('-', "")),
            Some(guid)
        );
        assert_eq!(parse_guid("not-a-guid"), None);
        assert_eq!(parse_guid(&format!("{text}0")), None);
    }
}
