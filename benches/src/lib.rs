//! weir benches support: the `smtbench` subcommands and the built-in benchmark data.
//!
//! - [`apply`]: `smtbench apply`, a pipeline over interchange-format records.
//! - [`run`]: `smtbench run`, throughput of a pipeline (and of a serde baseline).
//! - [`registry`]: `mock://` registry seeding/dumping for `apply`, and `smtbench registry serve`.
//! - [`cli`]: what both share (loading the pipeline, exit codes).
//! - [`allocations`]: the counting allocator behind `smtbench run`'s allocations per record.
//! - [`generator`]: the port of `shared/bench/gen_records.py`.
//! - [`cdc`]: generated Debezium change events (`smtbench run --mode cdc`, `smtbench gen-cdc`).
//! - [`ragged`]: schemaless orders whose records differ in key set and number kinds
//!   (`smtbench run --mode schemaless-optional`).
//! - [`small`]: small records (`smtbench run --small`), the size of the JVM's figures for
//!   Confluent's Protobuf and JSON Schema converters.
//! - [`wide`]: records of many fields (`smtbench gen-wide`, the `wide_records` bench).
//! - [`registry_formats`]: the built-in records re-encoded as Avro, Protobuf or JSON Schema.
//! - [`baselines`]: the per-record crates weir is compared with (serde_json, apache_avro, …).

pub mod allocations;
pub mod apply;
pub mod baselines;
pub mod cdc;
pub mod cli;
pub mod generator;
pub mod ragged;
pub mod registry;
pub mod registry_formats;
pub mod run;
pub mod small;
pub mod wide;
