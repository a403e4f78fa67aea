//! Runs fuzzed records (raw JSON, generated schemaless and schema'd values, tombstones, headers)
//! through the structural SMTs (Flatten, ReplaceField, HoistField, ExtractField, ValueToKey,
//! InsertField, MaskField): no panic, every record out once, kernels equal to the references.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_engine::fuzzing::structural_transforms;

fuzz_target!(|data: &[u8]| {
    structural_transforms(data);
});
