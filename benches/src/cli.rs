//! What the `smtbench` subcommands share: loading the pipeline and the errors that end a run.

use std::io;
use std::path::{Path, PathBuf};

use weir_engine::{Pipeline, RowError};

/// Why a `smtbench` run stopped; [`CliError::exit_code`] is the process exit code for it.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The config file could not be read or was rejected.
    #[error("config {path}: {message}")]
    Config {
        /// The config file.
        path: PathBuf,
        /// The reason.
        message: String,
    },
    /// A record failed with `errors.tolerance=none`.
    #[error("{0}")]
    Record(Box<RowError>),
    /// The input file could not be read or has a bad line.
    #[error("input {path}: {message}")]
    Input {
        /// The input file.
        path: PathBuf,
        /// The reason, naming the line.
        message: String,
    },
    /// An output file could not be written.
    #[error("output {path}: {error}")]
    Output {
        /// The output file.
        path: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// `--verify` found records where kernels and references disagree.
    #[error("verify: {0} records differ between the kernels and the references")]
    Verify(usize),
    /// Options that do not go together.
    #[error("usage: {0}")]
    Usage(String),
    /// `smtbench registry serve` could not start its server.
    #[error("registry server: {0}")]
    Serve(String),
}

impl CliError {
    /// The exit code: 1 for a config error or options that do not go together, 2 for a record failure, 3 for bad input, 4 for an
    /// output that cannot be written, 5 for differences found by `--verify`, 6 for a registry
    /// server that could not start.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Config { .. } | CliError::Usage(_) => 1,
            CliError::Record(_) => 2,
            CliError::Input { .. } => 3,
            CliError::Output { .. } => 4,
            CliError::Verify(_) => 5,
            CliError::Serve(_) => 6,
        }
    }
}

/// The text of the properties file at `path`.
pub fn read_config(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::Config {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Builds the pipeline from properties `text` read from `path`.
pub fn build_pipeline(path: &Path, text: &str) -> Result<Pipeline, CliError> {
    Pipeline::from_properties(text).map_err(|e| CliError::Config {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
