//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the property tests that run the
//! same checks in CI: hostile bytes in, no panic, every row accounted for.

use crate::converter::{Converter, ConverterContext, Encoded, Side};
use crate::json::reference::JsonConfig;
use crate::json::JsonConverter;

/// Splits `data` into records at `0xFF` bytes (never valid in UTF-8 JSON, so both halves stay
/// interesting), decodes them with the JsonConverter schemaless and with envelopes, and writes
/// back every part. Panics only if a row is lost: decoded rows plus failed rows must be all rows,
/// and every decoded row must encode to a row (bytes, null or an error).
pub fn json_round_trip(data: &[u8]) {
    let inputs: Vec<Option<&[u8]>> = data.split(|&b| b == 0xFF).map(Some).collect();
    for schemas_enable in [false, true] {
        let converter = JsonConverter::new(JsonConfig {
            schemas_enable,
            ..JsonConfig::default()
        });
        let decoded = converter.decode(&inputs, &ConverterContext::single_topic(Side::Value, "t"));
        let decoded_rows: usize = decoded.parts.iter().map(|p| p.rows.len()).sum();
        assert_eq!(
            decoded_rows + decoded.errors.len(),
            inputs.len(),
            "rows lost in decode"
        );
        for part in &decoded.parts {
            let mut out = Encoded::default();
            converter.encode(
                &part.column,
                &ConverterContext::single_topic(Side::Value, "t"),
                &mut out,
            );
            assert_eq!(out.len(), part.rows.len(), "rows lost in encode");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEEDS: &[&str] = &[
        r#"{"a":1,"b":[1,2,{"c":"x"}],"d":null}"#,
        r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":false},"payload":{"a":1}}"#,
        r#"{"schema":{"type":"array","items":{"type":"bytes","optional":true}},"payload":["AAE=",null]}"#,
        r#"[1,"a",2.5e300,-0,true]"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            json_round_trip(&data);
        }

        #[test]
        fn mutated_json_never_panics(seed in 0..SEEDS.len(), cut in 0usize..200, byte in any::<u8>(), at in 0usize..200) {
            let mut data = SEEDS[seed].as_bytes().to_vec();
            let at = at % data.len();
            data[at] = byte;
            data.truncate(cut.max(1).min(data.len()));
            json_round_trip(&data);
        }
    }

    #[test]
    fn ten_thousand_deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        json_round_trip(deep.as_bytes());
        let deep_objects = r#"{"a":"#.repeat(10_000) + "1" + &"}".repeat(10_000);
        json_round_trip(deep_objects.as_bytes());
    }
}
