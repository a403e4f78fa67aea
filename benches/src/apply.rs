//! `smtbench apply`: run a pipeline over records in the interchange format and write the output
//! records (and, optionally, the dead letters) in the same format.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use weir_engine::interchange;
use weir_engine::{Output, Pipeline, RawBatch, RawBatchBuilder, RowError};

use weir_engine::properties::parse_properties;

use crate::cli::{build_pipeline, read_config, CliError};
use crate::registry::MockRegistries;

/// How many input lines go into one batch.
pub const APPLY_BATCH_LINES: usize = 10_000;

/// How many record bytes go into one batch (at most; a larger record is a batch alone): far
/// below the 4 GiB a batch can address, and a bound on memory per batch.
pub const APPLY_BATCH_BYTES: usize = 64 << 20;

/// The options of `smtbench apply`.
#[derive(Debug, Clone, clap::Args)]
pub struct ApplyArgs {
    /// The connector config (Java properties).
    #[arg(long, value_name = "P")]
    pub config: PathBuf,
    /// The input records, one interchange line each.
    #[arg(long, value_name = "IN.jsonl")]
    pub input: PathBuf,
    /// Where to write the output records.
    #[arg(long, value_name = "OUT.jsonl")]
    pub output: PathBuf,
    /// Where to write the dead letters (with their `__connect.errors.*` headers); without it they
    /// are counted but not written.
    #[arg(long, value_name = "DLQ.jsonl")]
    pub dlq: Option<PathBuf>,
    /// Also run every record through the transforms' row-wise references and report each record
    /// where they disagree with the vectorized kernels (exit 5 if any).
    #[arg(long)]
    pub verify: bool,
    /// A registry file (a JSON list of `{"subject","version","id","schemaType","schema",
    /// "references"}`) to load into every `mock://` registry the config names before the run.
    #[arg(long, value_name = "FILE")]
    pub registry_seed: Option<PathBuf>,
    /// Where to write the `mock://` registry's contents after the run (same format).
    #[arg(long, value_name = "FILE")]
    pub registry_dump: Option<PathBuf>,
}

/// What an `apply` run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplySummary {
    /// Records read.
    pub records_in: usize,
    /// Records written to the output.
    pub records_out: usize,
    /// Records sent to the dead letters.
    pub dead_letters: usize,
    /// Records a transform dropped.
    pub dropped: usize,
    /// With `--verify`: records where the kernels and the references disagreed.
    pub differences: usize,
}

/// A buffered output file that remembers its path for error messages.
struct Sink {
    path: PathBuf,
    writer: BufWriter<File>,
    line: String,
    binary: interchange::BinarySides,
}

impl Sink {
    fn create(path: &Path, binary: interchange::BinarySides) -> Result<Sink, CliError> {
        let file = File::create(path).map_err(|error| CliError::Output {
            path: path.to_path_buf(),
            error,
        })?;
        Ok(Sink {
            path: path.to_path_buf(),
            writer: BufWriter::new(file),
            line: String::new(),
            binary,
        })
    }

    fn error(&self, error: io::Error) -> CliError {
        CliError::Output {
            path: self.path.clone(),
            error,
        }
    }

    /// Writes every record of `batch`, one line each.
    fn write(&mut self, batch: &RawBatch) -> Result<(), CliError> {
        for record in batch.records() {
            self.line.clear();
            interchange::write_record_as(&record, self.binary, &mut self.line);
            self.line.push('\n');
            self.writer
                .write_all(self.line.as_bytes())
                .map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), CliError> {
        self.writer.flush().map_err(|e| self.error(e))
    }
}

/// Where one run writes — the output records, and the dead letters if asked for — and what it
/// has counted so far.
struct Sinks {
    input: PathBuf,
    records: Sink,
    dead_letters: Option<Sink>,
    summary: ApplySummary,
    /// Whether to compare kernels with references (`--verify`).
    verify: bool,
}

impl Sinks {
    /// Writes one batch's output and counts it.
    fn write(&mut self, output: &Output) -> Result<(), CliError> {
        self.records.write(&output.records)?;
        if let Some(dlq) = &mut self.dead_letters {
            dlq.write(&output.dead_letters)?;
        }
        self.summary.records_out += output.records.len();
        self.summary.dead_letters += output.dead_letters.len();
        self.summary.dropped += output.dropped;
        Ok(())
    }

    fn finish(self) -> Result<ApplySummary, CliError> {
        self.records.finish()?;
        if let Some(dlq) = self.dead_letters {
            dlq.finish()?;
        }
        Ok(self.summary)
    }
}

/// Runs `smtbench apply`: builds the pipeline, then reads, processes and writes the input in
/// batches of [`APPLY_BATCH_LINES`] lines. Dead letters do not stop the run. With
/// `errors.tolerance=none` a failing record stops it; the output then holds every record before
/// the failing one, as Kafka Connect would have delivered them. The `mock://` registries the
/// config names are seeded (`--registry-seed`) before the pipeline is built and dumped
/// (`--registry-dump`) after the run, whether it completed or not.
pub fn apply(args: &ApplyArgs) -> Result<ApplySummary, CliError> {
    let config = read_config(&args.config)?;
    let properties = parse_properties(&config).map_err(|e| CliError::Config {
        path: args.config.clone(),
        message: e.to_string(),
    })?;
    let registries = MockRegistries::prepare(
        &properties,
        args.registry_seed.as_deref(),
        args.registry_dump.as_deref(),
    )?;
    let pipeline = build_pipeline(&args.config, &config)?;
    let input = File::open(&args.input).map_err(|e| CliError::Input {
        path: args.input.clone(),
        message: e.to_string(),
    })?;
    // Frames of a binary-framed output converter are written as base64 even when they happen
    // to be UTF-8 (the output converter is `output.<side>.converter`, else the input one).
    let writes_frames = |side: &str| {
        let class = properties
            .get(&format!("output.{side}.converter"))
            .or_else(|| properties.get(&format!("{side}.converter")));
        class.map(str::trim) == Some(weir_formats::protobuf::PROTOBUF_CONVERTER_CLASS)
    };
    let binary = interchange::BinarySides {
        key: writes_frames("key"),
        value: writes_frames("value"),
    };
    let mut sinks = Sinks {
        input: args.input.clone(),
        records: Sink::create(&args.output, binary)?,
        dead_letters: args
            .dlq
            .as_deref()
            .map(|p| Sink::create(p, interchange::BinarySides::default()))
            .transpose()?,
        summary: ApplySummary::default(),
        verify: args.verify,
    };
    let mut lines = BufReader::new(input).lines().enumerate();
    let run = process_all(&pipeline, &mut lines, &mut sinks);
    // Whatever was written is the run's output up to where it stopped, so flush it either way.
    let summary = sinks.finish()?;
    registries.dump()?;
    run.map(|()| summary)
}

/// Reads, processes and writes batches until the input ends or something fails.
fn process_all(
    pipeline: &Pipeline,
    lines: &mut impl Iterator<Item = (usize, io::Result<String>)>,
    sinks: &mut Sinks,
) -> Result<(), CliError> {
    loop {
        let batch = read_lines(lines, APPLY_BATCH_LINES).map_err(|message| CliError::Input {
            path: sinks.input.clone(),
            message,
        })?;
        if batch.is_empty() {
            return Ok(());
        }
        sinks.summary.records_in += batch.len();
        if sinks.verify {
            sinks.summary.differences += report_differences(pipeline, &batch);
        }
        process_batch(pipeline, &batch, sinks)?;
    }
}

/// Prints each record where the kernels and the references disagree; returns how many.
fn report_differences(pipeline: &Pipeline, batch: &RawBatch) -> usize {
    let differences = weir_engine::verify::verify(pipeline, batch);
    for d in &differences {
        eprintln!(
            "verify: offset {}: kernels {:?} but references {:?}",
            d.offset, d.columnar, d.reference
        );
    }
    differences.len()
}

/// Processes one batch and writes its output; on a record failure writes the output of the
/// records before it and returns the failure.
fn process_batch(pipeline: &Pipeline, batch: &RawBatch, sinks: &mut Sinks) -> Result<(), CliError> {
    let error = match pipeline.process(batch) {
        Ok(output) => return sinks.write(&output),
        Err(error) => error,
    };
    let before = rows_before(batch, &error);
    if !before.is_empty() {
        // These records came before the first failure, so they process without one.
        if let Ok(output) = pipeline.process(&before) {
            sinks.write(&output)?;
        }
    }
    Err(CliError::Record(Box::new(error)))
}

/// The records of `batch` before the one `error` names (matched by partition and offset), or
/// none when it cannot be found.
fn rows_before(batch: &RawBatch, error: &RowError) -> RawBatch {
    let failing = (0..batch.len())
        .find(|&row| {
            batch.partition(row).unwrap_or(weir_engine::NO_PARTITION) == error.partition
                && batch.offset(row) == error.offset
        })
        .unwrap_or(0);
    (0..failing).map(|row| batch.record(row)).collect()
}

/// Reads up to `limit` non-blank lines into a batch, ending it early once it holds
/// [`APPLY_BATCH_BYTES`] of record bytes; an error names the 1-based line.
pub fn read_lines(
    lines: &mut impl Iterator<Item = (usize, io::Result<String>)>,
    limit: usize,
) -> Result<RawBatch, String> {
    let mut builder = RawBatchBuilder::new();
    let mut count = 0;
    while count < limit && builder.byte_len() < APPLY_BATCH_BYTES {
        let Some((index, line)) = lines.next() else {
            break;
        };
        let line = line.map_err(|e| format!("line {}: {e}", index + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let record =
            interchange::parse_line(&line).map_err(|e| e.at_line(index + 1).to_string())?;
        builder
            .try_push(&record.as_raw())
            .map_err(|e| format!("line {}: {}", index + 1, e.message))?;
        count += 1;
    }
    Ok(builder.finish())
}
