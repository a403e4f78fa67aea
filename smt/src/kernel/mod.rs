//! What the transforms of both families share, one concept per file: assembling a segment's
//! output, the row-wise fallback, building Arrow columns, Connect's defaults, adding fields,
//! header name sets, Kafka's requirement messages and schema copies, the per-schema cache, field
//! paths, Java's date formatting and regular expressions, the topic routing helpers, kernels
//! over variant columns, and text columns written in place.

pub mod arrow_build;
pub mod defaults;
pub mod field_path;
pub mod fields;
pub mod header_name_set;
pub mod java_regex;
pub mod java_time_format;
pub mod millis;
pub mod per_row;
pub mod requirements;
pub mod routing;
pub mod row_errors;
pub mod schema_cache;
pub mod schema_copy;
pub mod segment_output;
#[cfg(test)]
pub(crate) mod test_kit;
pub mod text_column;
pub mod variants;
