//! Runs fuzzed records through Cast (key and value, whole and per field, every target type): no
//! panic, every record out once, kernels equal to the references.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_engine::fuzzing::cast;

fuzz_target!(|data: &[u8]| {
    cast(data);
});
