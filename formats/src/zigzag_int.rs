//! The 32-bit zigzag varint as the JVM reads it: Avro's `BinaryDecoder.readInt` and Kafka's
//! `ByteUtils.readVarint` (the Protobuf wire format's message indexes) agree byte for byte. At
//! most five bytes; the fifth byte's bits past 32 are lost, as Java's `int` shifts lose them.

/// Why the bytes at a position hold no 32-bit varint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntVarintError {
    /// The bytes ended inside the varint.
    Eof,
    /// The fifth byte still had its continuation bit set.
    TooLong,
}

/// Reads the zigzag varint at `*pos`, advancing `*pos` past the bytes read. Cost: one to five
/// byte loads.
#[inline]
pub fn read_zigzag_int(bytes: &[u8], pos: &mut usize) -> Result<i32, IntVarintError> {
    let mut value: u32 = 0;
    for shift in [0, 7, 14, 21, 28] {
        let byte = *bytes.get(*pos).ok_or(IntVarintError::Eof)?;
        *pos += 1;
        value |= u32::from(byte & 0x7F) << shift;
        if byte < 0x80 {
            return Ok((value >> 1) as i32 ^ -((value & 1) as i32));
        }
    }
    Err(IntVarintError::TooLong)
}
