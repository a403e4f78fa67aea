//! `smtbench`: apply a weir pipeline to interchange-format records, or benchmark one.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use weir_benches::allocations::CountingAllocator;
use weir_benches::apply::{apply, ApplyArgs};
use weir_benches::cdc::{gen_cdc, GenCdcArgs};
use weir_benches::cli::CliError;
use weir_benches::registry::{registry, RegistryArgs};
use weir_benches::run::{run, RunArgs};
use weir_benches::wide::{gen_wide, GenWideArgs};

/// Counts heap allocations so `smtbench run` can print them per record.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Apply a weir pipeline to records, or benchmark one.
#[derive(Debug, Parser)]
#[command(name = "smtbench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a pipeline over interchange-format records and write the results.
    Apply(ApplyArgs),
    /// Benchmark a pipeline over generated records (or a file).
    Run(RunArgs),
    /// Write interchange lines of wide records (many fields each) to stdout, for `run --input`.
    GenWide(GenWideArgs),
    /// Write interchange lines of Debezium change events (the `run --mode cdc` data) to stdout.
    GenCdc(GenCdcArgs),
    /// A Schema Registry for tests and local development (`registry serve`).
    Registry(RegistryArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Apply(args) => apply(&args).and_then(|summary| {
            eprintln!(
                "{} records in, {} out, {} dead letters, {} dropped",
                summary.records_in, summary.records_out, summary.dead_letters, summary.dropped
            );
            if args.verify {
                eprintln!(
                    "verify: {} records differ from the references",
                    summary.differences
                );
            }
            match summary.differences {
                0 => Ok(()),
                n => Err(CliError::Verify(n)),
            }
        }),
        Command::Run(args) => run(&args),
        Command::GenWide(args) => to_stdout(|out| gen_wide(&args, out)),
        Command::GenCdc(args) => to_stdout(|out| gen_cdc(&args, out)),
        Command::Registry(args) => registry(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => exit_with(&error),
    }
}

/// Runs `write` over buffered stdout and flushes it.
fn to_stdout(
    write: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>,
) -> Result<(), CliError> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    write(&mut out)
        .and_then(|()| std::io::Write::flush(&mut out))
        .map_err(|error| CliError::Output {
            path: "-".into(),
            error,
        })
}

/// Prints `error` on one line of stderr and returns its exit code.
fn exit_with(error: &CliError) -> ExitCode {
    let message = error.to_string().replace('\n', " ");
    eprintln!("smtbench: {message}");
    ExitCode::from(error.exit_code())
}
