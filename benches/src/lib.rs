//! weir benches support.
