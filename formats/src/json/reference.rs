//! Row-wise JsonConverter reference (in progress).
