//! Wide records cost work in proportion to their width: the heap allocations of one pipeline
//! pass per field stay flat from a 1,000-field to an 8,000-field record, schemaless and as a
//! schema'd STRUCT, alone and through each transform that takes a field list. A count, not a
//! time (timing is the `wide_records` bench's and `scripts/wide-per-field.sh`'s). One test in
//! this binary, so no other test thread allocates while it counts.

use weir_benches::allocations::{allocations, CountingAllocator};
use weir_benches::wide::{field_list_transforms, wide_batch, wide_config};
use weir_engine::Pipeline;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allocations of one pass of `name`'s pipeline over one record of `width` fields (the second
/// pass: the first fills the schema caches).
fn allocations_of_one_pass(name: &str, width: usize, schema: bool) -> u64 {
    let (_, lines) = field_list_transforms(width)
        .into_iter()
        .find(|(n, _)| *n == name)
        .expect("a known transform");
    let pipeline = Pipeline::from_properties(&wide_config(schema, &lines)).expect("valid config");
    let raw = wide_batch(width, schema);
    let first = pipeline.process(&raw);
    drop(first);
    let before = allocations().expect("the counting allocator is installed");
    let output = pipeline.process(&raw);
    let after = allocations().expect("the counting allocator is installed");
    drop(output);
    after - before
}

#[test]
fn allocations_per_field_stay_flat_as_records_widen() {
    let (narrow, wide) = (1_000u64, 8_000u64);
    let mut failures = Vec::new();
    for schema in [false, true] {
        for (name, _) in field_list_transforms(0) {
            let small = allocations_of_one_pass(name, narrow as usize, schema);
            let large = allocations_of_one_pass(name, wide as usize, schema);
            // Per field within 2x, with a little room for fixed costs of a small pass.
            if large * narrow > 2 * (small + 64) * wide {
                failures.push(format!(
                    "{name} (schema {schema}): {small} allocations at {narrow} fields, {large} at {wide}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
