//! Examples of embedding weir: see `embed.rs` (`cargo run -p weir-examples --example embed`) and
//! the `.properties` pipelines beside it, which `smtbench run --config` takes.
