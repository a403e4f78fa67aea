//! `smtbench run`: benchmark a pipeline over built-in generated records (JSON, or the same records
//! in a Schema Registry format) or an interchange file, optionally against a plain per-record
//! baseline (serde_json, apache_avro, prost-reflect, jsonschema) over the same records.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use weir_engine::pipeline::DecodedBatch;
use weir_engine::verify::reference_chain;
use weir_engine::{Pipeline, RawBatch, RawBatchBuilder};

use crate::allocations::{allocations, peak, start_peak};
use crate::apply::read_lines;
use crate::baselines::serde_json::SerdeJson;
use crate::baselines::{for_format, over_batch, RecordBaseline};
use crate::cdc::{generate_cdc, CdcConfig};
use crate::cli::{build_pipeline, read_config, CliError};
use crate::generator::{generate, GeneratedRecord, GeneratorConfig, Mode};
use crate::ragged::ragged_records;
use crate::registry_formats::{reencode, RegistryFormat};
use crate::small::{small_records, SmallRecord};

/// Runs that touch at least this many records (generation and every pass) show a progress bar.
const LONG_RUN_RECORDS: u64 = 1_000_000;

/// The options of `smtbench run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The connector config (Java properties).
    #[arg(long, value_name = "P")]
    pub config: PathBuf,
    /// How many records to generate (default 100000); with `--input`, how many lines to read at
    /// most (default: all).
    #[arg(long, value_name = "N")]
    pub records: Option<usize>,
    /// The shape of generated records; by default the format of the config's value converter
    /// (`avro`, `protobuf`, `json-schema` for Confluent's converters; for JsonConverter `schema`
    /// unless the config sets `value.converter.schemas.enable=false`). Ignored with `--input`.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Generate small records instead: a five-field order line per record, null keys, no
    /// headers (about 90 bytes of JSON, 37-byte Protobuf and 96-byte JSON Schema frames; see
    /// [`crate::small`]), in the shape `--mode` names (not `cdc` or `schemaless-optional`).
    /// Ignored with `--input`.
    #[arg(long)]
    pub small: bool,
    /// Benchmark over the records of this interchange file instead of generated ones.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Records per batch.
    #[arg(long, value_name = "B", default_value_t = 10_000, value_parser = positive)]
    pub batch_size: usize,
    /// Timed passes over all batches; the best one is reported.
    #[arg(long, value_name = "K", default_value_t = 3, value_parser = positive)]
    pub iterations: usize,
    /// Also time this baseline over the same batches and print the ratio.
    #[arg(long, value_enum)]
    pub baseline: Option<Baseline>,
    /// Worker threads: batches (as partitions) are processed this many at a time, each batch
    /// whole by one thread.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = positive)]
    pub threads: usize,
}

/// `--mode`: the generator's record shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// JsonConverter envelopes with schemas.
    Schema,
    /// Plain JSON.
    Schemaless,
    /// Plain JSON whose records differ: optional keys left out of ~30% of records, `quantity`
    /// and `score` integers in some records and floats in others (see [`crate::ragged`]).
    SchemalessOptional,
    /// The schema-mode records (key and value) written by Confluent's AvroConverter, schemas in
    /// the `mock://smtbench` registry.
    Avro,
    /// The same written by Confluent's ProtobufConverter.
    Protobuf,
    /// The same written by Confluent's JsonSchemaConverter.
    JsonSchema,
    /// Debezium change events with schemas: inserts, updates, deletes with their tombstones,
    /// snapshot reads (see [`crate::cdc`]).
    Cdc,
}

impl ModeArg {
    /// The registry format of the mode's records, if any.
    fn registry_format(self) -> Option<RegistryFormat> {
        match self {
            ModeArg::Schema | ModeArg::Schemaless | ModeArg::SchemalessOptional | ModeArg::Cdc => {
                None
            }
            ModeArg::Avro => Some(RegistryFormat::Avro),
            ModeArg::Protobuf => Some(RegistryFormat::Protobuf),
            ModeArg::JsonSchema => Some(RegistryFormat::JsonSchema),
        }
    }
}

/// `--baseline`: what to compare weir with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Baseline {
    /// Parse key and value into a `serde_json::Value` and serialize them again, per record (with
    /// the workspace's serde_json features, `preserve_order` and `arbitrary_precision`).
    Serde,
    /// The same round trip of the value alone (no key, no headers).
    SerdeValue,
    /// Time the transform chain alone, kernels against the row-wise references, over the same
    /// decoded batches; and the chain's share of the whole pipeline.
    Reference,
    /// Confluent Avro frames (key and value) read with `apache_avro::from_avro_datum` into
    /// `apache_avro::types::Value` and written back with `to_avro_datum`, per record.
    ApacheAvro,
    /// Confluent Protobuf frames (key and value) decoded into a prost-reflect `DynamicMessage`
    /// and encoded back, per record.
    DynamicMessage,
    /// Confluent JSON Schema frames (key and value) parsed into a `serde_json::Value`, validated
    /// with the `jsonschema` crate and serialized back, per record.
    JsonSchema,
}

impl Baseline {
    /// The per-record work to time, whether it reads keys too, and its label; `None` for
    /// `reference` (timed apart).
    fn record_baseline(self) -> Option<(Box<dyn RecordBaseline>, bool, &'static str)> {
        let registry = |format| {
            let (label, baseline) = for_format(format);
            (baseline, true, label)
        };
        Some(match self {
            Baseline::Serde => (Box::new(SerdeJson), true, "serde"),
            Baseline::SerdeValue => (Box::new(SerdeJson), false, "serde (value only)"),
            Baseline::ApacheAvro => registry(RegistryFormat::Avro),
            Baseline::DynamicMessage => registry(RegistryFormat::Protobuf),
            Baseline::JsonSchema => registry(RegistryFormat::JsonSchema),
            Baseline::Reference => return None,
        })
    }
}

/// Parses a count that must be at least 1.
fn positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Records per second and (decimal) megabytes per second for `records` records of `bytes` input
/// bytes processed in `time`.
fn rates(time: Duration, records: usize, bytes: usize) -> (f64, f64) {
    let seconds = time.as_secs_f64().max(1e-9);
    (records as f64 / seconds, bytes as f64 / seconds / 1e6)
}

/// What one weir pass produced, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    records: usize,
    dead_letters: usize,
    dropped: usize,
}

/// Runs `smtbench run`: builds the pipeline and the batches (not timed), then times
/// `iterations` passes of the pipeline over every batch (and of the baseline, if asked) and
/// prints the best pass's throughput.
pub fn run(args: &RunArgs) -> Result<(), CliError> {
    let text = read_config(&args.config)?;
    let pipeline = build_pipeline(&args.config, &text)?;
    let mode = args.mode.unwrap_or_else(|| default_mode(&text));
    let planned = args.records.unwrap_or(100_000) as u64;
    let passes = args.iterations as u64 * if args.baseline.is_some() { 2 } else { 1 };
    let bar = progress_bar(planned * (1 + passes));
    let (batches, source) = match &args.input {
        Some(path) => (
            file_batches(path, args.records, args.batch_size, &bar)?,
            path.display().to_string(),
        ),
        None => (
            generated_batches(mode, args.small, planned as usize, args.batch_size, &bar)?,
            format!(
                "generated{}, {}",
                if args.small { " small" } else { "" },
                mode_name(mode)
            ),
        ),
    };
    let records: usize = batches.iter().map(RawBatch::len).sum();
    let bytes: usize = batches.iter().map(|b| b.bytes().len()).sum();
    bar.set_length(records as u64 * (1 + passes));
    println!(
        "{records} records ({source}) in {} batches of up to {}, {:.1} MB of keys, values and headers",
        batches.len(),
        args.batch_size,
        bytes as f64 / 1e6
    );
    let timed = time_weir(&pipeline, &batches, args.iterations, args.threads, &bar)?;
    let (weir, counts) = (timed.best, timed.counts);
    let baseline =
        args.baseline
            .and_then(Baseline::record_baseline)
            .map(|(mut baseline, with_key, label)| {
                let best =
                    time_baseline(baseline.as_mut(), &batches, args.iterations, with_key, &bar);
                (label, best)
            });
    let chain = (args.baseline == Some(Baseline::Reference))
        .then(|| time_chain(&pipeline, &batches, args.iterations));
    bar.finish_and_clear();
    report(
        &format!(
            "weir ({} thread{})",
            args.threads,
            if args.threads == 1 { "" } else { "s" }
        ),
        weir,
        records,
        bytes,
        args.iterations,
    );
    println!(
        "  output: {} records, {} dead letters, {} dropped",
        counts.records, counts.dead_letters, counts.dropped
    );
    if let Some(allocations) = timed.allocations {
        println!(
            "  heap allocations: {:.2} per record ({allocations} in the last pass)",
            allocations as f64 / records.max(1) as f64
        );
    }
    if let Some(rise) = timed.peak_rise {
        // The batches worked on at once: one per thread.
        let largest = batches.iter().map(|b| b.bytes().len()).max().unwrap_or(0);
        let at_once = largest * args.threads.min(batches.len().max(1));
        println!(
            "  peak working heap: {:.2} MB in the last pass, {:.2}x the input of the {} largest \
             batch{} worked on at once ({:.2} MB; outputs reused from the pass before)",
            rise as f64 / 1e6,
            rise as f64 / at_once.max(1) as f64,
            args.threads.min(batches.len().max(1)),
            if args.threads == 1 { "" } else { "es" },
            at_once as f64 / 1e6
        );
    }
    if let Some((label, best)) = baseline {
        report(label, best.time, records, bytes, args.iterations);
        if best.empty > 0 {
            println!(
                "  ({} keys or values it could not read, or null)",
                best.empty
            );
        }
        let ratio = best.time.as_secs_f64() / weir.as_secs_f64().max(1e-9);
        println!("weir/{label} throughput: {ratio:.2}x");
    }
    if let Some((kernels, references)) = chain {
        report(
            "transforms (kernels)",
            kernels,
            records,
            bytes,
            args.iterations,
        );
        report(
            "transforms (references)",
            references,
            records,
            bytes,
            args.iterations,
        );
        let ratio = references.as_secs_f64() / kernels.as_secs_f64().max(1e-9);
        println!("kernels/references throughput: {ratio:.2}x");
        // The pipeline and the chain alone are timed apart: where the chain is about all of the
        // pipeline, the difference is noise, and a share of it would be nonsense.
        match weir.checked_sub(kernels).filter(|rest| *rest > weir / 20) {
            Some(rest) => println!(
                "transform chain adds {:.0}% to decode + encode",
                100.0 * kernels.as_secs_f64() / rest.as_secs_f64()
            ),
            None => println!(
                "transform chain: about all of the pipeline's time ({:.3} s of {:.3} s, timed apart)",
                kernels.as_secs_f64(),
                weir.as_secs_f64()
            ),
        }
    }
    Ok(())
}

/// Times the transform chain alone over pre-decoded batches (decoding is not timed): the
/// compiled kernels, then the row-wise references. Best of `iterations` each.
fn time_chain(
    pipeline: &Pipeline,
    batches: &[RawBatch],
    iterations: usize,
) -> (Duration, Duration) {
    let decoded: Vec<DecodedBatch> = batches.iter().map(|b| pipeline.decode(b)).collect();
    let best = |run: &dyn Fn(&DecodedBatch)| {
        (0..iterations)
            .map(|_| {
                let start = Instant::now();
                decoded.iter().for_each(run);
                start.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    let kernels = best(&|d| {
        let mut d = d.clone();
        pipeline.plan().run(&mut d.batch, &mut d.failures);
        black_box(&d);
    });
    let references = best(&|d| {
        black_box(reference_chain(pipeline, d));
    });
    (kernels, references)
}

/// The generated data a config reads: the registry format of its value converter, else JSON
/// envelopes unless `value.converter.schemas.enable=false`.
fn default_mode(text: &str) -> ModeArg {
    let props = weir_engine::properties::parse_properties(text).ok();
    let converter = props
        .as_ref()
        .and_then(|props| props.get("value.converter"))
        .map(str::trim);
    [ModeArg::Avro, ModeArg::Protobuf, ModeArg::JsonSchema]
        .into_iter()
        .find(|mode| {
            mode.registry_format()
                .is_some_and(|format| Some(format.converter_class()) == converter)
        })
        .unwrap_or(if value_schemas_enabled(text) {
            ModeArg::Schema
        } else {
            ModeArg::Schemaless
        })
}

/// Whether the config leaves the value converter's `schemas.enable` on (anything but `false`).
fn value_schemas_enabled(text: &str) -> bool {
    weir_engine::properties::parse_properties(text)
        .ok()
        .and_then(|props| {
            props
                .get("value.converter.schemas.enable")
                .map(str::to_owned)
        })
        .is_none_or(|value| !value.trim().eq_ignore_ascii_case("false"))
}

fn mode_name(mode: ModeArg) -> &'static str {
    match mode {
        ModeArg::Schema => "schema",
        ModeArg::Schemaless => "schemaless",
        ModeArg::SchemalessOptional => "schemaless, optional keys and mixed numbers",
        ModeArg::Avro => "schema, as Avro",
        ModeArg::Protobuf => "schema, as Protobuf",
        ModeArg::JsonSchema => "schema, as JSON Schema",
        ModeArg::Cdc => "cdc",
    }
}

/// A progress bar over `length` records, drawn only when the run is long (and stderr is a
/// terminal).
fn progress_bar(length: u64) -> ProgressBar {
    if length < LONG_RUN_RECORDS {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(length);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {human_pos}/{human_len} records ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// `records` generated records (small ones when `small`) in batches of `batch_size`; in a
/// registry format, re-encoded from the schema-mode records (not timed).
fn generated_batches(
    mode: ModeArg,
    small: bool,
    records: usize,
    batch_size: usize,
    bar: &ProgressBar,
) -> Result<Vec<RawBatch>, CliError> {
    bar.set_message("generating");
    let shaped = |mode| GeneratorConfig {
        mode,
        records,
        ..GeneratorConfig::default()
    };
    let in_batches = |records| in_batches(records, batch_size, bar);
    let batches = match (mode, small) {
        (ModeArg::Cdc, true) => {
            return Err(CliError::Usage(
                "--small has no CDC shape: drop --small or choose another --mode".to_owned(),
            ))
        }
        (ModeArg::SchemalessOptional, true) => {
            return Err(CliError::Usage(
                "--small has no optional-key shape: drop --small or choose another --mode"
                    .to_owned(),
            ))
        }
        (ModeArg::SchemalessOptional, false) => in_batches(Box::new(
            ragged_records(records).map(BuiltInRecord::Generated),
        )),
        (ModeArg::Cdc, false) => in_batches(Box::new(
            generate_cdc(&CdcConfig {
                records,
                ..CdcConfig::default()
            })
            .map(BuiltInRecord::Generated),
        )),
        (mode, true) => in_batches(Box::new(
            small_records(records, mode != ModeArg::Schemaless).map(BuiltInRecord::Small),
        )),
        (ModeArg::Schemaless, false) => in_batches(Box::new(
            generate(&shaped(Mode::Schemaless)).map(BuiltInRecord::Generated),
        )),
        (_, false) => in_batches(Box::new(
            generate(&shaped(Mode::Schema)).map(BuiltInRecord::Generated),
        )),
    };
    match mode.registry_format() {
        Some(format) => reencode(&batches, format),
        None => Ok(batches),
    }
}

/// A record of one of the built-in data sets.
enum BuiltInRecord {
    /// The script's orders (ragged or not) or a CDC event.
    Generated(GeneratedRecord),
    /// A small order line.
    Small(SmallRecord),
}

/// `records` in batches of `batch_size`, counted on `bar`.
fn in_batches(
    records: Box<dyn Iterator<Item = BuiltInRecord> + '_>,
    batch_size: usize,
    bar: &ProgressBar,
) -> Vec<RawBatch> {
    let mut batches = Vec::new();
    let mut builder = RawBatchBuilder::new();
    let mut pending = 0;
    for record in records {
        match record {
            BuiltInRecord::Generated(record) => record.push_to(&mut builder),
            BuiltInRecord::Small(record) => record.push_to(&mut builder),
        }
        pending += 1;
        if pending == batch_size {
            batches.push(std::mem::take(&mut builder).finish());
            bar.inc(pending as u64);
            pending = 0;
        }
    }
    if pending > 0 {
        batches.push(builder.finish());
        bar.inc(pending as u64);
    }
    batches
}

/// The records of the interchange file at `path` (at most `limit`) in batches of `batch_size`.
fn file_batches(
    path: &Path,
    limit: Option<usize>,
    batch_size: usize,
    bar: &ProgressBar,
) -> Result<Vec<RawBatch>, CliError> {
    bar.set_message("reading");
    let input_error = |message: String| CliError::Input {
        path: path.to_path_buf(),
        message,
    };
    let file = File::open(path).map_err(|e| input_error(e.to_string()))?;
    let mut lines = BufReader::new(file).lines().enumerate();
    let mut remaining = limit.unwrap_or(usize::MAX);
    let mut batches = Vec::new();
    while remaining > 0 {
        let batch = read_lines(&mut lines, batch_size.min(remaining)).map_err(input_error)?;
        if batch.is_empty() {
            break;
        }
        remaining -= batch.len();
        bar.inc(batch.len() as u64);
        batches.push(batch);
    }
    Ok(batches)
}

/// What the timed weir passes gave.
struct WeirTiming {
    /// The best pass.
    best: Duration,
    /// What a pass produced.
    counts: Counts,
    /// Heap allocations during the last pass, when the counting allocator is installed.
    allocations: Option<u64>,
    /// How far the heap rose above its level at the start of the last pass (the outputs of
    /// the pass before it are reused, so this is the pass's working memory), when the counting
    /// allocator is installed.
    peak_rise: Option<usize>,
}

/// Times `iterations` passes of the pipeline over every batch, `threads` batches at a time
/// ([`Pipeline::process_partitions`] on a pool of that many threads).
fn time_weir(
    pipeline: &Pipeline,
    batches: &[RawBatch],
    iterations: usize,
    threads: usize,
    bar: &ProgressBar,
) -> Result<WeirTiming, CliError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| CliError::Config {
            path: PathBuf::from("--threads"),
            message: e.to_string(),
        })?;
    let mut timing = WeirTiming {
        best: Duration::MAX,
        counts: Counts::default(),
        allocations: None,
        peak_rise: None,
    };
    // One output per batch, reused pass after pass as a consumer loop reuses its buffers.
    let mut outputs = Vec::new();
    for pass in 1..=iterations {
        bar.set_message(format!("weir {pass}/{iterations}"));
        let before = allocations();
        let live = start_peak();
        let start = Instant::now();
        let results = pool.install(|| pipeline.process_partitions_into(batches, &mut outputs));
        let elapsed = start.elapsed();
        timing.allocations = before.zip(allocations()).map(|(b, a)| a - b);
        timing.peak_rise = live.zip(peak()).map(|(live, peak)| peak - live);
        timing.best = timing.best.min(elapsed);
        timing.counts = Counts::default();
        for ((result, output), batch) in results.into_iter().zip(&outputs).zip(batches) {
            result.map_err(|e| CliError::Record(Box::new(e)))?;
            timing.counts.records += output.records.len();
            timing.counts.dead_letters += output.dead_letters.len();
            timing.counts.dropped += output.dropped;
            bar.inc(batch.len() as u64);
        }
    }
    Ok(timing)
}

/// The best pass of a baseline, and how many keys or values it read as nothing (null or
/// unreadable) in that pass.
#[derive(Debug, Clone, Copy)]
struct BaselineTiming {
    time: Duration,
    empty: usize,
}

/// Times `iterations` passes of `baseline`'s round trip over every batch: the value of each
/// record, and its key too when `with_key`.
fn time_baseline(
    baseline: &mut dyn RecordBaseline,
    batches: &[RawBatch],
    iterations: usize,
    with_key: bool,
    bar: &ProgressBar,
) -> BaselineTiming {
    let mut best = BaselineTiming {
        time: Duration::MAX,
        empty: 0,
    };
    for pass in 1..=iterations {
        bar.set_message(format!("baseline {pass}/{iterations}"));
        let mut empty = 0;
        let start = Instant::now();
        for batch in batches {
            let counts = over_batch(baseline, batch, with_key, true);
            black_box(counts.bytes);
            empty += counts.empty;
            bar.inc(batch.len() as u64);
        }
        let time = start.elapsed();
        if time < best.time {
            best = BaselineTiming { time, empty };
        }
    }
    best
}

/// Prints one timing line.
fn report(label: &str, best: Duration, records: usize, bytes: usize, iterations: usize) {
    let (records_per_second, mb_per_second) = rates(best, records, bytes);
    println!(
        "{label}: best of {iterations}: {:.3} s, {records_per_second:.0} records/s, {mb_per_second:.1} MB/s",
        best.as_secs_f64()
    );
}
