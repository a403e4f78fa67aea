//! UTF-8 checks sized for the short strings records are made of.
//!
//! `std::str::from_utf8` walks a string shorter than a few words byte by byte (its word-at-a-time
//! ASCII path needs alignment): 118 instructions per Avro string of the benchmark records, 10% of
//! an Avro passthrough (callgrind). Most record strings are ASCII, which `<[u8]>::is_ascii` checks
//! a word at a time, aligned or not; only the others take the full validation.

/// `bytes` as a `&str` when they are UTF-8. Cost: one word-at-a-time ASCII scan, plus a full
/// validation when a byte is not ASCII.
pub fn as_str(bytes: &[u8]) -> Option<&str> {
    if bytes.is_ascii() {
        // SAFETY: ASCII bytes are UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        std::str::from_utf8(bytes).ok()
    }
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
