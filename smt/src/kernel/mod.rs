//! What the transforms of both families share: the per-schema cache, Kafka's requirement
//! messages and schema copies, field paths, Java's date formatting and the topic routing helpers.

pub mod field_path;
pub mod java_time_format;
pub mod routing;
pub mod util;
