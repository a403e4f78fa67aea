//! weir benches support: the `smtbench` subcommands and the built-in benchmark data.
//!
//! - [`apply`]: `smtbench apply`, a pipeline over interchange-format records.
//! - [`run`]: `smtbench run`, throughput of a pipeline (and of a serde baseline).
//! - [`registry`]: `mock://` registry seeding/dumping for `apply`, and `smtbench registry serve`.
//! - [`cli`]: what both share (loading the pipeline, exit codes).
//! - [`generator`]: the port of `shared/bench/gen_records.py`.

pub mod apply;
pub mod cli;
pub mod generator;
pub mod registry;
pub mod run;
