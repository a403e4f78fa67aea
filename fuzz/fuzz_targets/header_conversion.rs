//! Runs fuzzed records and headers through SimpleHeaderConverter, HeaderFrom, InsertHeader and
//! DropHeaders: no panic, every record out once, kernels equal to the references.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_engine::fuzzing::header_conversion;

fuzz_target!(|data: &[u8]| {
    header_conversion(data);
});
