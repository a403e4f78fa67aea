//! `weir-worker CONFIG.properties`: runs the worker until SIGTERM or SIGINT (the batch in flight
//! finishes and commits; a second signal exits at once). Logs go to stderr through `tracing`
//! (`RUST_LOG`, default `info`); on a terminal a progress line is redrawn there.
//!
//! Exit codes: 0 stopped by a signal, 1 bad usage or config, 2 stopped by an error.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};
use tracing_subscriber::EnvFilter;
use weir_worker::config::WorkerConfig;
use weir_worker::error::WorkerError;
use weir_worker::run::Worker;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("usage: weir-worker CONFIG.properties");
        return ExitCode::from(1);
    };
    let config = match std::fs::read_to_string(path)
        .map_err(|e| format!("{path}: {e}"))
        .and_then(|text| {
            WorkerConfig::from_properties_text(&text).map_err(|e| format!("{path}: {e}"))
        }) {
        Ok(config) => config,
        Err(message) => {
            tracing::error!("{message}");
            return ExitCode::from(1);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGTERM, SIGINT] {
        // The first signal asks for a graceful stop; the second (stop already set) exits at once.
        let registered =
            signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&stop))
                .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&stop)));
        if let Err(error) = registered {
            tracing::error!("installing the signal handler: {error}");
            return ExitCode::from(2);
        }
    }
    let result = Worker::new(config).and_then(|mut worker| worker.run(&stop));
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(error @ WorkerError::Config(_)) => {
            tracing::error!("{path}: {error}");
            ExitCode::from(1)
        }
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::from(2)
        }
    }
}
