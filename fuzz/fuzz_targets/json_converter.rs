//! Feeds arbitrary bytes to the JsonConverter, schemaless and with envelopes, and writes back
//! whatever decoded: neither step may panic, and every row must be accounted for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_formats::fuzzing::json_round_trip;

fuzz_target!(|data: &[u8]| {
    json_round_trip(data);
});
