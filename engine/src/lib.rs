//! weir engine.
