//! Jackson's `ALLOW_NON_NUMERIC_NUMBERS`, which Confluent's JSON Schema deserializer enables:
//! the bare tokens `NaN`, `Infinity`, `+Infinity` and `-Infinity` are numbers (doubles). serde_json
//! has no such numbers, so before parsing each token outside strings is replaced by a number
//! literal no serializer writes ([`NAN`], [`POSITIVE_INFINITY`], [`NEGATIVE_INFINITY`]: zero with
//! an absurd exponent, kept verbatim by serde_json's arbitrary precision), which the reader maps
//! back. Cost: one scan for the letters `N`/`I`; a copy only when a token is there.

use std::borrow::Cow;

/// The stand-in for `NaN`.
pub const NAN: &str = "0.0e-999999997";
/// The stand-in for `Infinity` / `+Infinity`.
pub const POSITIVE_INFINITY: &str = "0.0e-999999998";
/// The stand-in for `-Infinity`.
pub const NEGATIVE_INFINITY: &str = "0.0e-999999999";

/// The double a stand-in number text denotes, if it is one.
pub fn special_double(text: &str) -> Option<f64> {
    match text {
        NAN => Some(f64::NAN),
        POSITIVE_INFINITY => Some(f64::INFINITY),
        NEGATIVE_INFINITY => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// `payload` with its non-numeric number tokens (outside strings) replaced by their stand-ins.
pub fn replace_non_numeric(payload: &[u8]) -> Cow<'_, [u8]> {
    if !payload.iter().any(|b| matches!(b, b'N' | b'I')) {
        return Cow::Borrowed(payload);
    }
    let tokens: [(&[u8], &str); 4] = [
        (b"NaN", NAN),
        (b"-Infinity", NEGATIVE_INFINITY),
        (b"+Infinity", POSITIVE_INFINITY),
        (b"Infinity", POSITIVE_INFINITY),
    ];
    let mut out = Vec::with_capacity(payload.len() + 16);
    let (mut i, mut in_string, mut escaped) = (0, false, false);
    'scan: while i < payload.len() {
        let b = payload[i];
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else {
            for (token, stand_in) in tokens {
                if payload[i..].starts_with(token) {
                    out.extend_from_slice(stand_in.as_bytes());
                    i += token.len();
                    continue 'scan;
                }
            }
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_outside_strings_are_replaced() {
        let out = replace_non_numeric(br#"{"a": NaN, "b": "NaN", "c": [-Infinity, Infinity]}"#);
        let text = String::from_utf8(out.into_owned()).expect("utf-8");
        assert_eq!(
            text,
            format!(
                r#"{{"a": {NAN}, "b": "NaN", "c": [{NEGATIVE_INFINITY}, {POSITIVE_INFINITY}]}}"#
            )
        );
        assert!(special_double(NAN).is_some_and(f64::is_nan));
        assert!(matches!(
            replace_non_numeric(b"{\"a\":1}"),
            Cow::Borrowed(_)
        ));
    }
}
