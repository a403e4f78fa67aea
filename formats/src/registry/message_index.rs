//! Confluent's Protobuf message-index array (`MessageIndexes`): after the schema id, a zigzag
//! varint count then that many zigzag varint indexes naming the message inside the .proto file
//! (`[1, 0]`: the first message nested in the file's second top-level message). The common
//! `[0]` is written as the single count `0`.

use std::fmt;

use crate::zigzag_int::{read_zigzag_int, IntVarintError};

/// Why a message-index array cannot be read, as the Java reader fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageIndexError {
    /// The bytes ended inside the array (`BufferUnderflowException`).
    Underflow,
    /// A negative count (`new ArrayList<>(-n)`: `IllegalArgumentException: Illegal Capacity`).
    NegativeCount(i32),
    /// A varint longer than 5 bytes (Kafka's `ByteUtils.readVarint`).
    VarintTooLong,
}

impl fmt::Display for MessageIndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageIndexError::Underflow => f.write_str("BufferUnderflowException: null"),
            MessageIndexError::NegativeCount(n) => {
                write!(f, "IllegalArgumentException: Illegal Capacity: {n}")
            }
            MessageIndexError::VarintTooLong => f.write_str(
                "IllegalArgumentException: Varint is too long, the most significant bit in the 5th byte is set",
            ),
        }
    }
}

/// Reads a zigzag varint of at most 5 bytes (Kafka's `ByteUtils.readVarint`).
fn read_zigzag(bytes: &[u8], pos: &mut usize) -> Result<i32, MessageIndexError> {
    read_zigzag_int(bytes, pos).map_err(|e| match e {
        IntVarintError::Eof => MessageIndexError::Underflow,
        IntVarintError::TooLong => MessageIndexError::VarintTooLong,
    })
}

/// Splits `bytes` into the message-index array at its start and the bytes after it, checking the
/// array (its count against the bytes that remain, each index a valid varint). No allocation:
/// the array's bytes identify the message as well as the indexes do.
pub fn split_message_indexes(bytes: &[u8]) -> Result<(&[u8], &[u8]), MessageIndexError> {
    let mut pos = 0;
    let count = read_zigzag(bytes, &mut pos)?;
    if count < 0 {
        return Err(MessageIndexError::NegativeCount(count));
    }
    // Each index takes at least one byte.
    if count as usize > bytes.len() - pos {
        return Err(MessageIndexError::Underflow);
    }
    for _ in 0..count {
        read_zigzag(bytes, &mut pos)?;
    }
    Ok(bytes.split_at(pos))
}

/// Reads the array at the start of `bytes`: the indexes (`[0]` for the empty array) and the bytes
/// after them. The count is checked against the bytes that remain before anything is allocated.
pub fn read_message_indexes(bytes: &[u8]) -> Result<(Vec<i32>, &[u8]), MessageIndexError> {
    let (array, rest) = split_message_indexes(bytes)?;
    let mut pos = 0;
    let count = read_zigzag(array, &mut pos)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    let indexes = (0..count)
        .map(|_| read_zigzag(array, &mut pos))
        .collect::<Result<_, _>>()?;
    Ok((indexes, rest))
}

fn write_zigzag(v: i32, out: &mut Vec<u8>) {
    let mut z = ((v << 1) ^ (v >> 31)) as u32;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

/// Appends the array for `indexes` (`[0]` as the single byte `0`).
pub fn write_message_indexes(indexes: &[i32], out: &mut Vec<u8>) {
    if indexes == [0] {
        out.push(0);
        return;
    }
    write_zigzag(indexes.len() as i32, out);
    for &i in indexes {
        write_zigzag(i, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_are_written_as_java_and_python_write_them() {
        for (indexes, bytes) in [
            (vec![0], vec![0u8]),
            (vec![1], vec![2, 2]),
            (vec![1, 0], vec![4, 2, 0]),
            (vec![0, 0, 0], vec![6, 0, 0, 0]),
        ] {
            let mut out = Vec::new();
            write_message_indexes(&indexes, &mut out);
            assert_eq!(out, bytes);
            assert_eq!(read_message_indexes(&bytes), Ok((indexes, &[][..])));
        }
    }

    #[test]
    fn bad_arrays_fail_as_java_fails() {
        assert_eq!(read_message_indexes(&[]), Err(MessageIndexError::Underflow));
        assert_eq!(
            read_message_indexes(&[1]),
            Err(MessageIndexError::NegativeCount(-1))
        );
        assert_eq!(
            read_message_indexes(&[0xfe, 0xff, 0xff, 0xff, 0x07]),
            Err(MessageIndexError::Underflow)
        );
    }
}
