//! Confluent's wire framing of a schema id: magic byte 0 + a 4-byte big-endian id, or magic
//! byte 1 + a 16-byte GUID, either in front of the payload or (newer serializers,
//! `HeaderSchemaIdSerializer`) in the `__key_schema_id` / `__value_schema_id` header.
//!
//! [`read_frame`] reads it as Confluent's `DualSchemaIdDeserializer` does: the header first, then
//! the payload prefix. Errors carry Confluent's wording (`Unknown magic byte!`) and name the Java
//! exception behind it, since the converters print that in their cause chains.

use std::fmt;

/// The header a key's schema id travels in when not in the payload (`SchemaId.KEY_SCHEMA_ID_HEADER`).
pub const KEY_SCHEMA_ID_HEADER: &str = "__key_schema_id";
/// The header a value's schema id travels in (`SchemaId.VALUE_SCHEMA_ID_HEADER`).
pub const VALUE_SCHEMA_ID_HEADER: &str = "__value_schema_id";
/// The magic byte in front of a 4-byte id (`MAGIC_BYTE_V0`).
pub const MAGIC_BYTE_ID: u8 = 0;
/// The magic byte in front of a 16-byte GUID (`MAGIC_BYTE_V1`).
pub const MAGIC_BYTE_GUID: u8 = 1;
/// The length of an id prefix: magic byte + 4-byte id.
pub const ID_PREFIX_LEN: usize = 5;
/// The length of a GUID prefix: magic byte + 16-byte GUID.
pub const GUID_PREFIX_LEN: usize = 17;

/// The header name for the key's (`is_key`) or the value's schema id.
pub fn schema_id_header(is_key: bool) -> &'static str {
    if is_key {
        KEY_SCHEMA_ID_HEADER
    } else {
        VALUE_SCHEMA_ID_HEADER
    }
}

/// How a record names its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaId {
    /// A registry-wide integer id (magic byte 0).
    Id(i32),
    /// A schema GUID (magic byte 1), the 16 bytes of a UUID, most significant first.
    Guid([u8; 16]),
}

impl fmt::Display for SchemaId {
    /// `5`, or a GUID in UUID text form (`8-4-4-4-12` hex digits).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaId::Id(id) => write!(f, "{id}"),
            SchemaId::Guid(bytes) => {
                for (i, b) in bytes.iter().enumerate() {
                    if matches!(i, 4 | 6 | 8 | 10) {
                        f.write_str("-")?;
                    }
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }
    }
}

/// A framed record split into its schema id and the bytes the schema's decoder reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The schema id, from the header or the payload prefix.
    pub id: SchemaId,
    /// The payload after the prefix; the whole payload when the id came from the header.
    pub body: &'a [u8],
    /// Whether the id came from the `__key_schema_id` / `__value_schema_id` header.
    pub from_header: bool,
    /// The header's bytes after the id (Protobuf message indexes travel there when the id is in
    /// the header); empty when the id came from the payload.
    pub header_rest: &'a [u8],
}

/// Why a payload or header holds no readable schema id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// The first byte is neither 0 nor 1 (Confluent's `SerializationException`).
    #[error("Unknown magic byte!")]
    UnknownMagicByte(u8),
    /// Fewer bytes than the prefix needs (Confluent's reader fails with `BufferUnderflowException`).
    #[error("{got} bytes cannot hold a schema id (the prefix needs {needed})")]
    TooShort {
        /// The bytes the prefix needs (1 for the magic byte, 5 or 17 with it).
        needed: usize,
        /// The bytes there were.
        got: usize,
    },
}

impl FramingError {
    /// The Java exception Confluent's reader throws for this, with its message, as the
    /// converters print it in a cause chain: `SerializationException: Unknown magic byte!` or
    /// `BufferUnderflowException: null`.
    pub fn java_text(&self) -> &'static str {
        match self {
            FramingError::UnknownMagicByte(_) => "SerializationException: Unknown magic byte!",
            FramingError::TooShort { .. } => "BufferUnderflowException: null",
        }
    }
}

/// Reads a schema id at the start of `bytes`: the id and what follows it. Costs a few byte
/// compares; nothing is copied.
pub fn read_schema_id(bytes: &[u8]) -> Result<(SchemaId, &[u8]), FramingError> {
    let too_short = |needed| FramingError::TooShort {
        needed,
        got: bytes.len(),
    };
    match bytes.first() {
        None => Err(too_short(1)),
        Some(&MAGIC_BYTE_ID) => {
            let id = bytes
                .get(1..ID_PREFIX_LEN)
                .ok_or(too_short(ID_PREFIX_LEN))?;
            let id = i32::from_be_bytes([id[0], id[1], id[2], id[3]]);
            Ok((SchemaId::Id(id), &bytes[ID_PREFIX_LEN..]))
        }
        Some(&MAGIC_BYTE_GUID) => {
            let guid = bytes
                .get(1..GUID_PREFIX_LEN)
                .ok_or(too_short(GUID_PREFIX_LEN))?;
            let mut out = [0u8; 16];
            out.copy_from_slice(guid);
            Ok((SchemaId::Guid(out), &bytes[GUID_PREFIX_LEN..]))
        }
        Some(&other) => Err(FramingError::UnknownMagicByte(other)),
    }
}

/// Splits a framed record as Confluent's `DualSchemaIdDeserializer` does: when `header` (the
/// value of the last `__key_schema_id` / `__value_schema_id` header, see [`schema_id_header`])
/// is present, the id is read from it and the whole `payload` is the body; otherwise the id is
/// read from the payload's prefix.
pub fn read_frame<'a>(
    payload: &'a [u8],
    header: Option<&'a [u8]>,
) -> Result<Frame<'a>, FramingError> {
    match header {
        Some(header) => {
            let (id, header_rest) = read_schema_id(header)?;
            Ok(Frame {
                id,
                body: payload,
                from_header: true,
                header_rest,
            })
        }
        None => {
            let (id, body) = read_schema_id(payload)?;
            Ok(Frame {
                id,
                body,
                from_header: false,
                header_rest: &[],
            })
        }
    }
}

/// Appends the prefix for `id` to `out`: `00` + 4 bytes big-endian, or `01` + the 16 GUID bytes.
pub fn write_schema_id(id: SchemaId, out: &mut Vec<u8>) {
    match id {
        SchemaId::Id(id) => {
            let [a, b, c, d] = id.to_be_bytes();
            out.extend_from_slice(&[MAGIC_BYTE_ID, a, b, c, d]);
        }
        SchemaId::Guid(guid) => {
            out.push(MAGIC_BYTE_GUID);
            out.extend_from_slice(&guid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_prefix_round_trips_and_leaves_the_body() {
        let mut bytes = Vec::new();
        write_schema_id(SchemaId::Id(0x0102_0304), &mut bytes);
        bytes.extend_from_slice(b"body");
        assert_eq!(bytes[..5], [0, 1, 2, 3, 4]);
        let frame = read_frame(&bytes, None).expect("framed");
        assert_eq!(frame.id, SchemaId::Id(0x0102_0304));
        assert_eq!(frame.body, b"body");
        assert!(!frame.from_header);
    }

    #[test]
    fn negative_and_large_ids_read_as_java_ints() {
        let (id, rest) = read_schema_id(&[0, 0xff, 0xff, 0xff, 0xff]).expect("id");
        assert_eq!(id, SchemaId::Id(-1));
        assert!(rest.is_empty());
        let (id, _) = read_schema_id(&[0, 0x7f, 0xff, 0xff, 0xff]).expect("id");
        assert_eq!(id, SchemaId::Id(i32::MAX));
    }

    #[test]
    fn guid_prefix_round_trips() {
        let guid = [
            0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0, 1, 2, 3, 4, 5, 6, 7,
        ];
        let mut bytes = Vec::new();
        write_schema_id(SchemaId::Guid(guid), &mut bytes);
        assert_eq!(bytes.len(), GUID_PREFIX_LEN);
        let frame = read_frame(&bytes, None).expect("framed");
        assert_eq!(frame.id, SchemaId::Guid(guid));
        assert_eq!(frame.id.to_string(), "12345678-9abc-def0-0001-020304050607");
    }

    #[test]
    fn the_header_wins_over_the_payload_prefix() {
        let header = [0, 0, 0, 0, 9, 0x02];
        let payload = [0, 0, 0, 0, 1, b'x'];
        let frame = read_frame(&payload, Some(&header)).expect("framed");
        assert_eq!(frame.id, SchemaId::Id(9));
        assert_eq!(frame.body, &payload[..]);
        assert_eq!(frame.header_rest, &[0x02]);
        assert!(frame.from_header);
        assert_eq!(schema_id_header(true), "__key_schema_id");
        assert_eq!(schema_id_header(false), "__value_schema_id");
    }

    #[test]
    fn bad_frames_fail_with_confluents_words() {
        let err = read_frame(b"{\"a\":1}", None).unwrap_err();
        assert_eq!(err, FramingError::UnknownMagicByte(b'{'));
        assert_eq!(err.to_string(), "Unknown magic byte!");
        assert_eq!(
            err.java_text(),
            "SerializationException: Unknown magic byte!"
        );
        let err = read_frame(&[], None).unwrap_err();
        assert_eq!(err, FramingError::TooShort { needed: 1, got: 0 });
        assert_eq!(err.java_text(), "BufferUnderflowException: null");
        let err = read_frame(&[0, 0, 1], None).unwrap_err();
        assert_eq!(err, FramingError::TooShort { needed: 5, got: 3 });
        let err = read_frame(&[1; 10], None).unwrap_err();
        assert_eq!(
            err,
            FramingError::TooShort {
                needed: 17,
                got: 10
            }
        );
        // A bad header fails even when the payload carries a good prefix.
        let err = read_frame(&[0, 0, 0, 0, 1], Some(&[7])).unwrap_err();
        assert_eq!(err, FramingError::UnknownMagicByte(7));
    }
}
