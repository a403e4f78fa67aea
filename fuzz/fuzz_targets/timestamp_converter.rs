//! Runs fuzzed records through TimestampConverter (every target type, formats, unix precisions):
//! no panic, every record out once, kernels equal to the references.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_engine::fuzzing::timestamp_converter;

fuzz_target!(|data: &[u8]| {
    timestamp_converter(data);
});
