//! The vectorized chain agrees with the row-wise references on every conformance case: for each
//! case weir can build, `weir_engine::verify::verify` must find no record where the kernels and
//! the references differ.

// Shared with the other test files; this one uses only part of it.
#[allow(dead_code)]
mod support;

use std::fs;

use support::conformance_root;
use weir_engine::interchange::read_batch;
use weir_engine::verify::verify;
use weir_engine::Pipeline;

#[test]
fn kernels_agree_with_references_on_every_case() {
    let root = conformance_root();
    assert!(
        root.is_dir(),
        "no conformance data at {}: the repository's copy is tests/conformance",
        root.display()
    );
    let mut checked = 0;
    let mut differences = Vec::new();
    for entry in walk(&root) {
        let dir = entry.parent().map(|p| p.to_path_buf()).unwrap_or_default();
        let (Ok(config), Ok(input)) = (
            fs::read_to_string(dir.join("pipeline.properties")),
            fs::read_to_string(dir.join("input.jsonl")),
        ) else {
            continue;
        };
        let (Ok(pipeline), Ok(batch)) = (Pipeline::from_properties(&config), read_batch(&input))
        else {
            continue;
        };
        checked += 1;
        for d in verify(&pipeline, &batch) {
            differences.push(format!(
                "{}: offset {}: {:?} vs {:?}",
                dir.display(),
                d.offset,
                d.columnar,
                d.reference
            ));
        }
    }
    println!("verified {checked} cases");
    assert!(
        checked > 0,
        "no case could be built under {}",
        root.display()
    );
    assert!(
        differences.is_empty(),
        "kernels and references differ:\n{}",
        differences.join("\n")
    );
}

/// Every `pipeline.properties` below `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else if path.file_name().is_some_and(|n| n == "pipeline.properties") {
            found.push(path);
        }
    }
    found
}
