//! UTF-8 checks sized for the short strings records are made of.
//!
//! `std::str::from_utf8` walks a string shorter than a few words byte by byte (its word-at-a-time
//! ASCII path needs alignment): 118 instructions per Avro string of the benchmark records, 10% of
//! an Avro passthrough (callgrind). Most record strings are ASCII, which `<[u8]>::is_ascii` checks
//! a word at a time, aligned or not; only the others take the full validation.

/// `bytes` as a `&str` when they are UTF-8. Cost: one word-at-a-time ASCII scan, plus a full
/// validation when a byte is not ASCII.
pub fn as_str(bytes: &[u8]) -> Option<&str> {
    if is_ascii(bytes) {
        // SAFETY: ASCII bytes are UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

/// Whether `bytes` are ASCII. From 4 to 32 bytes (most record strings): two overlapping
/// unaligned word loads, which together cover every byte, and one test; `<[u8]>::is_ascii`
/// walks a slice shorter than two words byte by byte (30 instructions a string of the
/// benchmark records, callgrind), and one of 17 to 32 bytes (e-mail addresses, streets,
/// formatted timestamps) in an aligned loop with a head and a tail (`as_str` 15.0M → 13.8M
/// instructions on `chain2_avro`). Other lengths: `<[u8]>::is_ascii`.
#[inline]
fn is_ascii(bytes: &[u8]) -> bool {
    if (17..=32).contains(&bytes.len()) {
        if let (Some(head), Some(tail)) = (bytes.first_chunk::<16>(), bytes.last_chunk::<16>()) {
            return (u128::from_ne_bytes(*head) | u128::from_ne_bytes(*tail))
                & 0x8080_8080_8080_8080_8080_8080_8080_8080
                == 0;
        }
    }
    if (8..=16).contains(&bytes.len()) {
        if let (Some(head), Some(tail)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
            return (u64::from_ne_bytes(*head) | u64::from_ne_bytes(*tail)) & 0x8080_8080_8080_8080
                == 0;
        }
    }
    if (4..8).contains(&bytes.len()) {
        if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
            return (u32::from_ne_bytes(*head) | u32::from_ne_bytes(*tail)) & 0x8080_8080 == 0;
        }
    }
    bytes.is_ascii()
}

/// Whether `bytes` are UTF-8. Cost: as [`as_str`].
pub fn is_utf8(bytes: &[u8]) -> bool {
    as_str(bytes).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_the_standard_library(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(as_str(&bytes), std::str::from_utf8(&bytes).ok());
        }

        /// ASCII bytes with at most one byte above 0x7F anywhere: the word loads see it.
        #[test]
        fn sees_every_byte_as_the_standard_library_does(
            mut bytes in proptest::collection::vec(0u8..0x80, 0..40),
            high in proptest::option::of((any::<usize>(), 0x80u8..=0xFF)),
        ) {
            if let (Some((at, byte)), false) = (high, bytes.is_empty()) {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
            prop_assert_eq!(is_ascii(&bytes), bytes.is_ascii());
        }

        #[test]
        fn agrees_on_text(text in "\\PC{0,30}") {
            prop_assert_eq!(as_str(text.as_bytes()), Some(text.as_str()));
        }
    }

    #[test]
    fn broken_sequences_are_not_utf8() {
        for bytes in [&b"caf\xc3"[..], b"\xff", b"abcdefgh\xed\xa0\x80"] {
            assert!(!is_utf8(bytes), "{bytes:?}");
        }
    }
}
