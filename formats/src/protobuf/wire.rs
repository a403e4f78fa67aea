//! Bounds-checked reads of the Protobuf wire format, failing with protobuf-java's
//! `InvalidProtocolBufferException` texts (what Confluent's converter reports).
//!
//! Every length is checked against the bytes that remain before anything is sliced or
//! allocated, so a hostile length costs nothing.

use std::fmt;

/// Why bytes are not valid Protobuf wire data, worded as protobuf-java words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// A varint longer than 10 bytes.
    MalformedVarint,
    /// The input ended inside a field.
    Truncated,
    /// A length prefix below zero.
    NegativeSize,
    /// Field number 0.
    ZeroTag,
    /// Wire type 6 or 7, or an end-group tag out of place.
    InvalidWireType,
    /// An end-group tag that does not close the open group.
    EndGroupMismatch,
    /// A `string` field that is not UTF-8.
    InvalidUtf8,
    /// Messages nested deeper than protobuf-java's recursion limit (100).
    TooDeep,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WireError::MalformedVarint => "CodedInputStream encountered a malformed varint.",
            WireError::Truncated => "While parsing a protocol message, the input ended unexpectedly in the middle of a field.  This could mean either that the input has been truncated or that an embedded message misreported its own length.",
            WireError::NegativeSize => "CodedInputStream encountered an embedded string or message which claimed to have negative size.",
            WireError::ZeroTag => "Protocol message contained an invalid tag (zero).",
            WireError::InvalidWireType => "Protocol message tag had invalid wire type.",
            WireError::EndGroupMismatch => "Protocol message end-group tag did not match expected tag.",
            WireError::InvalidUtf8 => "Protocol message had invalid UTF-8.",
            WireError::TooDeep => "Protocol message had too many levels of nesting.  May be malicious.  Use CodedInputStream.setRecursionLimit() to increase the depth limit.",
        })
    }
}

impl WireError {
    /// The text after `<-` in Confluent's error cause.
    pub fn java_text(&self) -> String {
        format!("InvalidProtocolBufferException: {self}")
    }
}

/// protobuf-java's default recursion limit for nested messages and groups.
pub const MAX_DEPTH: usize = 100;

/// The wire types.
pub const VARINT: u8 = 0;
/// 8 bytes little-endian.
pub const FIXED64: u8 = 1;
/// A varint length then that many bytes.
pub const LEN: u8 = 2;
/// A deprecated group start.
pub const START_GROUP: u8 = 3;
/// A deprecated group end.
pub const END_GROUP: u8 = 4;
/// 4 bytes little-endian.
pub const FIXED32: u8 = 5;

/// A cursor over wire bytes.
#[derive(Debug, Clone)]
pub struct WireReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> WireReader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> WireReader<'a> {
        WireReader { bytes, pos: 0 }
    }

    /// Whether every byte was read.
    pub fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// The read position.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// A varint (up to 10 bytes; bits past 64 are dropped as protobuf-java drops them).
    #[inline]
    pub fn varint(&mut self) -> Result<u64, WireError> {
        // One byte first: tags and small numbers, most varints, without the loop.
        if let Some(&b) = self.bytes.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        self.varint_long()
    }

    /// [`WireReader::varint`] of two bytes or more (or truncated).
    fn varint_long(&mut self) -> Result<u64, WireError> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(WireError::Truncated);
            };
            self.pos += 1;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(value);
            }
        }
        Err(WireError::MalformedVarint)
    }

    /// `n` raw bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.bytes.len() - self.pos < n {
            return Err(WireError::Truncated);
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// A little-endian 32-bit word.
    pub fn fixed32(&mut self) -> Result<u32, WireError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A little-endian 64-bit word.
    pub fn fixed64(&mut self) -> Result<u64, WireError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A length-delimited slice (the length is checked against what remains first).
    pub fn length_delimited(&mut self) -> Result<&'a [u8], WireError> {
        let len = self.varint()? as i64;
        // protobuf-java reads the length as a 32-bit int.
        let len = len as i32;
        if len < 0 {
            return Err(WireError::NegativeSize);
        }
        self.take(len as usize)
    }

    /// The next tag as (field number, wire type); field 0 is an error.
    #[inline]
    pub fn tag(&mut self) -> Result<(u32, u8), WireError> {
        // protobuf-java reads tags as 32-bit ints.
        let tag = self.varint()? as u32;
        if tag >> 3 == 0 {
            return Err(WireError::ZeroTag);
        }
        Ok((tag >> 3, (tag & 7) as u8))
    }

    /// Skips one value of `wire_type` for `field` (groups skipped to their end tag, nested at
    /// most `depth_left` deep).
    pub fn skip(&mut self, field: u32, wire_type: u8, depth_left: usize) -> Result<(), WireError> {
        match wire_type {
            VARINT => self.varint().map(|_| ()),
            FIXED64 => self.take(8).map(|_| ()),
            LEN => self.length_delimited().map(|_| ()),
            FIXED32 => self.take(4).map(|_| ()),
            START_GROUP => {
                if depth_left == 0 {
                    return Err(WireError::TooDeep);
                }
                loop {
                    if self.at_end() {
                        return Err(WireError::Truncated);
                    }
                    let (f, w) = self.tag()?;
                    if w == END_GROUP {
                        return if f == field {
                            Ok(())
                        } else {
                            Err(WireError::EndGroupMismatch)
                        };
                    }
                    self.skip(f, w, depth_left - 1)?;
                }
            }
            _ => Err(WireError::InvalidWireType),
        }
    }
}

/// Zigzag-decodes a 32-bit value.
pub fn zigzag32(v: u32) -> i32 {
    ((v >> 1) as i32) ^ -((v & 1) as i32)
}

/// Zigzag-decodes a 64-bit value.
pub fn zigzag64(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Appends `v` as a varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a tag.
pub fn put_tag(out: &mut Vec<u8>, field: u32, wire_type: u8) {
    put_varint(out, (u64::from(field) << 3) | u64::from(wire_type));
}

/// The number of bytes `v` takes as a varint.
pub fn varint_len(v: u64) -> usize {
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_fail_as_java() {
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v));
            assert_eq!(WireReader::new(&out).varint(), Ok(v));
        }
        assert_eq!(
            WireReader::new(&[0xff; 11]).varint(),
            Err(WireError::MalformedVarint)
        );
        assert_eq!(WireReader::new(&[0x80]).varint(), Err(WireError::Truncated));
    }

    #[test]
    fn lengths_are_checked_before_slicing() {
        let mut r = WireReader::new(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(r.length_delimited(), Err(WireError::NegativeSize));
        let mut r = WireReader::new(&[0x05, 1, 2]);
        assert_eq!(r.length_delimited(), Err(WireError::Truncated));
        assert_eq!(WireReader::new(&[0x00]).tag(), Err(WireError::ZeroTag));
    }

    #[test]
    fn zigzag_matches_the_spec() {
        assert_eq!(zigzag32(0), 0);
        assert_eq!(zigzag32(1), -1);
        assert_eq!(zigzag32(4294967294), 2147483647);
        assert_eq!(zigzag64(3), -2);
    }
}
