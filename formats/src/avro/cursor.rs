//! Bounds-checked reads over Avro binary: zigzag varints, fixed-width floats, and lengths checked
//! against what remains before anything is sliced or allocated. Every read either advances or
//! fails with a [`ReadError`]; none panics on hostile bytes.

use crate::zigzag_int::{read_zigzag_int, IntVarintError};

/// Why bytes could not be read as the schema says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// The payload ended before the value did (Java: `EOFException`).
    Eof,
    /// A varint ran past 10 bytes (Java: "Invalid long encoding").
    BadVarint,
    /// A length or count was negative (Java: "Malformed data. Length is negative: n").
    NegativeLength(i64),
    /// A length or count larger than the bytes that remain could hold.
    TooLong(i64),
    /// An `int` varint that ran past 5 bytes (Java: "Invalid int encoding").
    BadInt,
    /// A union branch or enum symbol index out of range: index and the count there is.
    Index(i64, usize),
    /// A string that is not UTF-8.
    BadUtf8,
}

impl ReadError {
    /// The Java exception Confluent's reader throws here, with its message, as the converters
    /// print it in a cause chain.
    pub fn java_text(&self) -> String {
        match self {
            ReadError::Eof => "EOFException: null".to_string(),
            ReadError::BadVarint => {
                "InvalidNumberEncodingException: Invalid long encoding".to_string()
            }
            ReadError::BadInt => "InvalidNumberEncodingException: Invalid int encoding".to_string(),
            ReadError::NegativeLength(n) => {
                format!("AvroRuntimeException: Malformed data. Length is negative: {n}")
            }
            ReadError::TooLong(n) => {
                format!("EOFException: a length of {n} is more than the bytes that remain")
            }
            ReadError::Index(i, len) => {
                format!("ArrayIndexOutOfBoundsException: Index {i} out of bounds for length {len}")
            }
            ReadError::BadUtf8 => "CharacterCodingException: malformed UTF-8".to_string(),
        }
    }
}

/// A read position over one payload.
#[derive(Debug, Clone, Copy)]
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes, pos: 0 }
    }

    /// The offset of the next byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes not read yet, as a slice.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    /// Moves past `n` bytes of [`Cursor::rest`] (at most its length: a caller that checked
    /// them).
    #[inline]
    pub fn skip(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.bytes.len());
    }

    /// The bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// A zigzag varint `long`. Cost: a compare for a one-byte varint (small numbers, most
    /// lengths, counts and union branches), inlined; a loop otherwise.
    #[inline]
    pub fn long(&mut self) -> Result<i64, ReadError> {
        match self.bytes.get(self.pos) {
            Some(&byte) if byte < 0x80 => {
                self.pos += 1;
                Ok(i64::from(byte >> 1) ^ -i64::from(byte & 1))
            }
            _ => self.long_of_several_bytes(),
        }
    }

    /// [`Cursor::long`] past its one-byte case. The tenth byte's bits past 64 are dropped, as
    /// Java's `BinaryDecoder.readLong` and apache-avro drop them. A varint of at most 8 bytes (values within
    /// ±2⁵⁵: ids, timestamps) with 8 bytes left to read is taken from one unaligned 8-byte load,
    /// its 7-bit groups gathered in three mask-and-shift steps; others go byte by byte. The
    /// loop cost 60 instructions for a 6-byte timestamp (callgrind, the benchmark records).
    #[inline(never)]
    fn long_of_several_bytes(&mut self) -> Result<i64, ReadError> {
        if let Some(word) = self
            .bytes
            .get(self.pos..)
            .and_then(<[u8]>::first_chunk::<8>)
        {
            let word = u64::from_le_bytes(*word);
            // The high bit of each byte that ends the varint; the first one ends it.
            let ends = !word & 0x8080_8080_8080_8080;
            if ends != 0 {
                let len = ends.trailing_zeros() as usize / 8 + 1;
                let kept = word & (u64::MAX >> (64 - 8 * len));
                let v = kept & 0x7F7F_7F7F_7F7F_7F7F;
                let v = (v & 0x007F_007F_007F_007F) | ((v & 0x7F00_7F00_7F00_7F00) >> 1);
                let v = (v & 0x0000_3FFF_0000_3FFF) | ((v & 0x3FFF_0000_3FFF_0000) >> 2);
                let v = (v & 0x0FFF_FFFF) | ((v & 0x0FFF_FFFF_0000_0000) >> 4);
                self.pos += len;
                return Ok((v >> 1) as i64 ^ -((v & 1) as i64));
            }
        }
        let mut value: u64 = 0;
        let mut shift = 0u32;
        loop {
            let byte = *self.bytes.get(self.pos).ok_or(ReadError::Eof)?;
            self.pos += 1;
            value |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
            }
            shift += 7;
            if shift > 63 {
                return Err(ReadError::BadVarint);
            }
        }
    }

    /// A zigzag varint `long` in its shortest form (the one every encoder writes), or `None`
    /// where the bytes hold no varint or a longer form of one: a varint of several bytes is
    /// shortest exactly when its last byte is not zero. Cost: one byte read for values within
    /// ±63.
    #[inline]
    pub fn shortest_long(&mut self) -> Option<i64> {
        let first = *self.bytes.get(self.pos)?;
        if first < 0x80 {
            self.pos += 1;
            return Some(i64::from(first >> 1) ^ -i64::from(first & 1));
        }
        let value = self.long().ok()?;
        (self.bytes[self.pos - 1] != 0).then_some(value)
    }

    /// A zigzag varint `int`: at most 5 bytes, the fifth byte's bits past 32 dropped, as Java's
    /// `BinaryDecoder.readInt` reads it (apache-avro rejects such a value instead). Cost: a
    /// compare for a one-byte varint, inlined; a loop otherwise.
    #[inline]
    pub fn int(&mut self) -> Result<i32, ReadError> {
        match self.bytes.get(self.pos) {
            Some(&byte) if byte < 0x80 => {
                self.pos += 1;
                Ok(i32::from(byte >> 1) ^ -i32::from(byte & 1))
            }
            _ => self.int_of_several_bytes(),
        }
    }

    /// [`Cursor::int`] past its one-byte case.
    #[inline(never)]
    fn int_of_several_bytes(&mut self) -> Result<i32, ReadError> {
        read_zigzag_int(self.bytes, &mut self.pos).map_err(|e| match e {
            IntVarintError::Eof => ReadError::Eof,
            IntVarintError::TooLong => ReadError::BadInt,
        })
    }

    /// A boolean byte: `true` for 1, `false` for any other byte, as Java's
    /// `BinaryDecoder.readBoolean` reads it (apache-avro rejects bytes other than 0 and 1).
    #[inline]
    pub fn boolean(&mut self) -> Result<bool, ReadError> {
        Ok(self.take(1)?[0] == 1)
    }

    /// A little-endian `float`.
    #[inline]
    pub fn float(&mut self) -> Result<f32, ReadError> {
        let b = self.take(4)?;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A little-endian `double`.
    #[inline]
    pub fn double(&mut self) -> Result<f64, ReadError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }

    /// The next `n` bytes.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], ReadError> {
        if n > self.remaining() {
            return Err(ReadError::Eof);
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// A length-prefixed byte string (`bytes`, `string`): the length is checked against what
    /// remains before slicing.
    #[inline]
    pub fn length_prefixed(&mut self) -> Result<&'a [u8], ReadError> {
        let len = self.long()?;
        if len < 0 {
            return Err(ReadError::NegativeLength(len));
        }
        if len as u64 > self.remaining() as u64 {
            return Err(ReadError::Eof);
        }
        self.take(len as usize)
    }

    /// A block count of an array or map (a negative count is followed by the block's byte
    /// size, which is read and ignored). The count is checked against the bytes that remain,
    /// taking `min_item` bytes per item (0-byte items are capped by `max_empty_items`), so a
    /// hostile count never drives an allocation. Inlined: a call per array cost more than the
    /// one-byte count it reads.
    #[inline]
    pub fn block_count(&mut self, min_item: usize) -> Result<usize, ReadError> {
        let count = self.long()?;
        let count = if count < 0 {
            let _size = self.long()?;
            count.checked_neg().ok_or(ReadError::TooLong(count))?
        } else {
            count
        };
        let limit = (self.remaining() as u64)
            .checked_div(min_item as u64)
            .unwrap_or(MAX_EMPTY_ITEMS);
        if count as u64 > limit {
            return Err(ReadError::TooLong(count));
        }
        Ok(count as usize)
    }

    /// A union branch or enum symbol index, checked against `len`.
    #[inline]
    pub fn index(&mut self, len: usize) -> Result<usize, ReadError> {
        let i = self.int()?;
        if i < 0 || i as usize >= len {
            return Err(ReadError::Index(i64::from(i), len));
        }
        Ok(i as usize)
    }
}

/// The most items of zero encoded bytes (arrays of `null`, empty records) one block may claim:
/// they cost no input, so only this bound keeps a hostile count from exhausting memory.
pub const MAX_EMPTY_ITEMS: u64 = 1 << 20;

/// Appends `v` as a zigzag varint.
#[inline]
pub fn write_long(v: i64, out: &mut Vec<u8>) {
    let mut n = ((v << 1) ^ (v >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Appends a length-prefixed byte string.
#[inline]
pub fn write_bytes(b: &[u8], out: &mut Vec<u8>) {
    write_long(b.len() as i64, out);
    out.extend_from_slice(b);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The shortest form is what `write_long` writes; the same value with continuation
        /// bytes added reads as a `long` but not as the shortest form.
        #[test]
        fn only_the_written_form_of_a_varint_is_shortest(v in any::<i64>(), pad in 1usize..3) {
            let mut bytes = Vec::new();
            write_long(v, &mut bytes);
            prop_assert_eq!(Cursor::new(&bytes).shortest_long(), Some(v));
            for _ in 0..pad {
                let last = bytes.len() - 1;
                bytes[last] |= 0x80;
                bytes.push(0);
            }
            let long = Cursor::new(&bytes).long();
            prop_assert!(long.is_err() || long == Ok(v));
            prop_assert_eq!(Cursor::new(&bytes).shortest_long(), None);
        }
    }

    /// A varint of every length, alone, followed by more bytes, or cut short, reads as
    /// apache-avro reads it (the word-at-a-time path takes those with 8 bytes left).
    fn read_as_apache_avro_reads(bytes: &[u8]) -> Result<(), TestCaseError> {
        let mut reader = bytes;
        let theirs = apache_avro::from_avro_datum(&apache_avro::Schema::Long, &mut reader, None);
        let mut cursor = Cursor::new(bytes);
        match (cursor.long(), theirs) {
            (Ok(ours), Ok(apache_avro::types::Value::Long(theirs))) => {
                prop_assert_eq!(ours, theirs);
                prop_assert_eq!(cursor.position(), bytes.len() - reader.len());
            }
            (Err(_), Err(_)) => {}
            (ours, theirs) => prop_assert!(
                false,
                "{:?} read {:?}, apache-avro {:?}",
                bytes,
                ours,
                theirs
            ),
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn varints_read_as_apache_avro_reads_them(
            v in prop_oneof![any::<i64>(), -(1i64 << 56)..(1i64 << 56), -10_000i64..10_000],
            after in proptest::collection::vec(any::<u8>(), 0..10),
            cut in 0usize..11,
        ) {
            let mut bytes = Vec::new();
            write_long(v, &mut bytes);
            read_as_apache_avro_reads(&bytes[..bytes.len().saturating_sub(cut)])?;
            bytes.extend_from_slice(&after);
            read_as_apache_avro_reads(&bytes)?;
        }

        #[test]
        fn any_bytes_read_as_apache_avro_reads_them(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            read_as_apache_avro_reads(&bytes)?;
        }
    }

    proptest! {
        /// `write_long` writes what apache-avro writes for a `long`, at every varint length.
        #[test]
        fn varints_are_written_as_apache_avro_writes_them(
            v in (any::<i64>(), 0u32..64).prop_map(|(v, shift)| v >> shift),
            before in proptest::collection::vec(any::<u8>(), 0..4),
        ) {
            let theirs = apache_avro::to_avro_datum(
                &apache_avro::Schema::Long,
                apache_avro::types::Value::Long(v),
            )
            .expect("a long");
            let mut ours = before.clone();
            write_long(v, &mut ours);
            prop_assert_eq!(&ours[..before.len()], &before[..]);
            prop_assert_eq!(&ours[before.len()..], &theirs[..]);
        }
    }

    #[test]
    fn varints_round_trip_at_the_edges() {
        for v in [
            0i64,
            -1,
            1,
            63,
            -64,
            64,
            i32::MAX as i64,
            i32::MIN as i64,
            i64::MAX,
            i64::MIN,
        ]
        .into_iter()
        .chain((6..63).flat_map(|bit| {
            // Every power of two and its neighbours, both signs: each varint length and its edges.
            let edge = 1i64 << bit;
            [edge - 1, edge, -edge, -edge - 1]
        })) {
            let mut buf = Vec::new();
            write_long(v, &mut buf);
            let mut c = Cursor::new(&buf);
            assert_eq!(c.long(), Ok(v));
            assert_eq!(c.remaining(), 0);
        }
    }

    /// What Java's Avro 1.11.4 `BinaryDecoder` read from these bytes (run through
    /// `DecoderFactory.binaryDecoder(bytes).readInt()`, `readLong()`, `readBoolean()`): bits past
    /// the width in the last byte allowed are dropped, one more continuation byte is an invalid
    /// encoding; a boolean is whether its byte is 1.
    #[test]
    fn overlong_varints_and_odd_booleans_read_as_java_reads_them() {
        let int = |bytes: &[u8]| Cursor::new(bytes).int();
        let long = |bytes: &[u8]| Cursor::new(bytes).long();
        assert_eq!(int(&[0x80, 0x80, 0x80, 0x80, 0x10]), Ok(0));
        assert_eq!(int(&[0xFF, 0xFF, 0xFF, 0xFF, 0x7F]), Ok(i32::MIN));
        assert_eq!(int(&[0xFE, 0xFF, 0xFF, 0xFF, 0x7F]), Ok(i32::MAX));
        assert_eq!(
            int(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
            Err(ReadError::BadInt)
        );
        assert_eq!(int(&[0x80, 0x80, 0x80, 0x80]), Err(ReadError::Eof));
        let mut tenth = [0x80; 10];
        tenth[9] = 0x02;
        assert_eq!(long(&tenth), Ok(0));
        let mut all = [0xFF; 10];
        all[9] = 0x7F;
        assert_eq!(long(&all), Ok(i64::MIN));
        assert_eq!(Cursor::new(&[2]).boolean(), Ok(false));
        assert_eq!(Cursor::new(&[0xFF]).boolean(), Ok(false));
        assert_eq!(Cursor::new(&[1]).boolean(), Ok(true));
        let mut eleven = [0x80; 11];
        eleven[10] = 0x01;
        assert_eq!(long(&eleven), Err(ReadError::BadVarint));
    }

    /// Java's `BinaryDecoder.readInt` as it is written: up to five bytes, each xor-ed in at its
    /// place in a 32-bit int that loses what overflows.
    fn java_read_int(bytes: &[u8]) -> Result<(i32, usize), ReadError> {
        let mut n: i32 = 0;
        for (len, byte) in bytes.iter().take(5).enumerate() {
            n ^= i32::from(byte & 0x7F).wrapping_shl(7 * len as u32);
            if *byte <= 0x7F {
                return Ok((((n as u32) >> 1) as i32 ^ -(n & 1), len + 1));
            }
        }
        Err(if bytes.len() < 5 {
            ReadError::Eof
        } else {
            ReadError::BadInt
        })
    }

    proptest! {
        /// Any bytes, and every `long` written as a varint, read as an `int` as Java reads them.
        #[test]
        fn ints_read_as_java_reads_them(
            bytes in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..7),
                (-(1i64 << 35)..(1i64 << 35)).prop_map(|v| {
                    let mut bytes = Vec::new();
                    write_long(v, &mut bytes);
                    bytes
                }),
            ],
        ) {
            let mut cursor = Cursor::new(&bytes);
            let ours = cursor.int().map(|v| (v, cursor.position()));
            prop_assert_eq!(ours, java_read_int(&bytes));
        }
    }

    #[test]
    fn hostile_lengths_fail_before_allocating() {
        let mut buf = Vec::new();
        write_long(1 << 40, &mut buf);
        assert_eq!(Cursor::new(&buf).length_prefixed(), Err(ReadError::Eof));
        assert_eq!(
            Cursor::new(&buf).block_count(1),
            Err(ReadError::TooLong(1 << 40))
        );
        let mut buf = Vec::new();
        write_long(-3, &mut buf);
        assert_eq!(
            Cursor::new(&buf).length_prefixed(),
            Err(ReadError::NegativeLength(-3))
        );
        assert_eq!(Cursor::new(&[0xFF; 11]).long(), Err(ReadError::BadVarint));
        assert_eq!(Cursor::new(&[0x80; 6]).int(), Err(ReadError::BadInt));
        assert_eq!(Cursor::new(&[4]).index(2), Err(ReadError::Index(2, 2)));
    }
}
