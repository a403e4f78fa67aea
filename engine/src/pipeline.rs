//! `Pipeline`: a connector config compiled once, then run over batches: decode (key, value and
//! header converters) → transform chain → encode (output converters), records in input order.
//!
//! A `Pipeline` is immutable and `Send + Sync`: share one between worker threads.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use arrow_array::{Array, ArrayRef, Int32Array, Int64Array, UInt32Array};
use arrow_select::take::take;
use weir_formats::batch::{Column, ConnectBatch, Header, Headers, NameCache, Segment};
use weir_formats::converter::{
    Converter, ConverterContext, Decoded, Encoded, EncodedParts, HeaderConverter, Side,
};
use weir_formats::error::{ConnectError, ErrorClass};
use weir_formats::raw::{RawBatch, RawBatchBuilder, Slot};
use weir_smt::kernel::header_name_set::HeaderNameSet;

pub use crate::config::ConfigError;
use crate::config::{ConverterSpec, PipelineConfig, Tolerance};
use crate::known_classes::missing_class;
use crate::output::{Output, RowError, RowFailure, Stage};
use crate::plan::Plan;
use crate::properties::{parse_properties, Properties};
use crate::registry::Registry;

/// A compiled pipeline.
#[derive(Debug)]
pub struct Pipeline {
    config: PipelineConfig,
    plan: Plan,
    key_in: Arc<dyn Converter>,
    value_in: Arc<dyn Converter>,
    header_in: Arc<dyn HeaderConverter>,
    key_out: Arc<dyn Converter>,
    value_out: Arc<dyn Converter>,
    header_out: Arc<dyn HeaderConverter>,
    /// Whether decoded keys and values go untouched to an equal converter: no transform
    /// reads them and the output converter is the input's, with the same settings (then a
    /// converter may keep values as their bytes; [`ConverterContext::with_verbatim`]).
    key_verbatim: bool,
    value_verbatim: bool,
}

/// A decoded batch with the rows that failed to decode.
#[derive(Debug, Clone)]
pub struct DecodedBatch {
    /// The decoded data; failed rows are in no segment.
    pub batch: ConnectBatch,
    /// Per row, its first failure. Boxed: most rows have none, and the list is made and
    /// dropped row by row for every batch (8 bytes a row rather than a failure's 88; made and
    /// dropped unboxed, it was 1.4% of the Avro benchmark chain's time, perf).
    pub failures: Vec<Option<Box<RowFailure>>>,
}

fn builtin_registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::builtin)
}

/// Builds the converter `spec` names with `factory` (`None`: the class is unknown).
fn build<T: ?Sized>(
    spec: &ConverterSpec,
    factory: Option<&crate::registry::Factory<T>>,
) -> Result<Arc<T>, ConfigError> {
    let factory = factory.ok_or_else(|| missing_class(&spec.key, &spec.class))?;
    factory(&spec.settings).map_err(|e| ConfigError::for_key(&spec.key, e.message))
}

fn build_converter(
    registry: &Registry,
    spec: &ConverterSpec,
) -> Result<Arc<dyn Converter>, ConfigError> {
    build(spec, registry.converter(&spec.class))
}

fn build_header_converter(
    registry: &Registry,
    spec: &ConverterSpec,
) -> Result<Arc<dyn HeaderConverter>, ConfigError> {
    build(spec, registry.header_converter(&spec.class))
}

impl Pipeline {
    /// Compiles a connector config given as Java properties text, with Kafka's built-in classes.
    pub fn from_properties(text: &str) -> Result<Pipeline, ConfigError> {
        Pipeline::from_properties_with(text, builtin_registry())
    }

    /// Compiles a connector config given as Java properties text, with the classes of `registry`.
    pub fn from_properties_with(text: &str, registry: &Registry) -> Result<Pipeline, ConfigError> {
        let props = parse_properties(text)
            .map_err(|e| ConfigError::for_key("properties", e.to_string()))?;
        Pipeline::from_props(&props, registry)
    }

    /// Compiles a connector config given as key/value pairs, with Kafka's built-in classes.
    pub fn from_map(
        props: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Pipeline, ConfigError> {
        Pipeline::from_props(&props.into_iter().collect(), builtin_registry())
    }

    /// Compiles parsed properties with the classes of `registry`.
    pub fn from_props(props: &Properties, registry: &Registry) -> Result<Pipeline, ConfigError> {
        let config = PipelineConfig::from_properties(props)?;
        let plan = Plan::compile(props, registry)?;
        let untouched = |side: Side, input: &ConverterSpec, output: &ConverterSpec| {
            !plan.touches(side) && input.class == output.class && input.settings == output.settings
        };
        Ok(Pipeline {
            key_verbatim: untouched(Side::Key, &config.key, &config.output_key),
            value_verbatim: untouched(Side::Value, &config.value, &config.output_value),
            plan,
            key_in: build_converter(registry, &config.key)?,
            value_in: build_converter(registry, &config.value)?,
            header_in: build_header_converter(registry, &config.header)?,
            key_out: build_converter(registry, &config.output_key)?,
            value_out: build_converter(registry, &config.output_value)?,
            header_out: build_header_converter(registry, &config.output_header)?,
            config,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// The compiled transform chain.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Decodes `raw` into Arrow: keys, values and every header through the input converters.
    /// Cost: one pass per converter over the batch; columns built once per distinct schema.
    pub fn decode(&self, raw: &RawBatch) -> DecodedBatch {
        self.decode_leaving_out(raw, None)
    }

    /// [`Pipeline::decode`], converting but not storing the headers named in `left_out`.
    fn decode_leaving_out(&self, raw: &RawBatch, left_out: Option<&HeaderNameSet>) -> DecodedBatch {
        let rows = raw.len();
        let mut failures: Vec<Option<Box<RowFailure>>> = vec![None; rows];
        let keys: Vec<Option<&[u8]>> = (0..rows).map(|r| raw.key(r)).collect();
        let values: Vec<Option<&[u8]>> = (0..rows).map(|r| raw.value(r)).collect();
        let key = self.key_in.decode(
            &keys,
            &ConverterContext::decoding(Side::Key, raw).with_verbatim(self.key_verbatim),
        );
        let value = self.value_in.decode(
            &values,
            &ConverterContext::decoding(Side::Value, raw).with_verbatim(self.value_verbatim),
        );
        record_failures(
            &mut failures,
            &key,
            Stage::KeyConverter,
            &self.config.key.class,
        );
        record_failures(
            &mut failures,
            &value,
            Stage::ValueConverter,
            &self.config.value.class,
        );
        let headers = self.decode_headers(raw, left_out, &mut failures);
        let segments = join_segments(rows, key, value, &mut failures);
        let batch = ConnectBatch {
            topic_ids: (0..rows).map(|r| raw.topic_id(r)).collect(),
            topics: raw.topics().to_vec(),
            partition: Int32Array::from_iter((0..rows).map(|r| raw.partition(r))),
            offset: Int64Array::from_iter_values((0..rows).map(|r| raw.offset(r))),
            timestamp: Int64Array::from_iter((0..rows).map(|r| raw.timestamp(r))),
            headers,
            segments,
        };
        DecodedBatch { batch, failures }
    }

    /// Reads the headers with the input header converter and keeps those not named in
    /// `left_out`. A header left out is still read (it fails its row when it cannot be read, as
    /// in Kafka Connect) unless the converter reads any bytes. Text the converter would read as
    /// itself stays a view of the input bytes (no allocation); the rest become typed values.
    fn decode_headers(
        &self,
        raw: &RawBatch,
        left_out: Option<&HeaderNameSet>,
        failures: &mut [Option<Box<RowFailure>>],
    ) -> Headers {
        let mut headers = Headers::over(raw.shared_bytes());
        headers.reserve(raw.len(), raw.header_count());
        let mut names = NameCache::default();
        let read_unkept = !self.header_in.reads_any_bytes();
        for (row, failure) in failures.iter_mut().enumerate() {
            for (name, _, slot) in raw.header_slots(row) {
                let kept = left_out.is_none_or(|set| !set.contains(name));
                if !kept && !read_unkept {
                    continue;
                }
                let bytes = raw.slot_bytes(slot);
                if let Some((text, schema)) =
                    bytes.and_then(|b| self.header_in.text_schema(name, b))
                {
                    if kept {
                        headers.push_text(name, schema, text);
                    }
                    continue;
                }
                match self.header_in.to_connect(name, bytes) {
                    Ok((schema, value)) if kept => headers.push_header(Header {
                        name: names.get(name),
                        schema,
                        value,
                    }),
                    Ok(_) => {}
                    Err(error) => {
                        failure.get_or_insert_with(|| {
                            Box::new(RowFailure {
                                stage: Stage::HeaderConverter,
                                class_name: self.config.header.class.clone(),
                                error,
                            })
                        });
                    }
                }
            }
            headers.end_row();
        }
        headers
    }

    /// Decodes `raw` and runs the transform chain: the Arrow data as the output converters would
    /// see it. Rows a transform dropped are in no segment and have no failure. Headers the chain
    /// removes before any step could read them ([`Plan::pre_dropped_headers`]) are converted but
    /// never stored, and the steps that only remove them are skipped.
    pub fn transform(&self, raw: &RawBatch) -> DecodedBatch {
        let left_out = self.plan.pre_dropped_headers();
        let mut decoded = self.decode_leaving_out(raw, left_out);
        self.plan
            .run_pre_dropped(&mut decoded.batch, &mut decoded.failures);
        decoded
    }

    /// Runs the pipeline over several batches at once — typically one per partition — on the
    /// current rayon thread pool (`ThreadPool::install` chooses it). Each batch is processed whole
    /// by one thread, so the order within a batch (a partition) is kept; result `i` is batch `i`'s,
    /// the same bytes [`Pipeline::process`] gives. Cost: that of `process` per batch, spread over
    /// the pool's threads.
    pub fn process_partitions(&self, batches: &[RawBatch]) -> Vec<Result<Output, RowError>> {
        use rayon::prelude::*;
        batches
            .par_iter()
            .map(|batch| self.process(batch))
            .collect()
    }

    /// [`Pipeline::process_partitions`] into `outputs`, reusing their storage as
    /// [`Pipeline::process_into`] does: `outputs[i]` gets batch `i`'s result (the list is
    /// resized to the batches), the returned list says which failed. Cost: that of `process_into`
    /// per batch, spread over the pool's threads.
    pub fn process_partitions_into(
        &self,
        batches: &[RawBatch],
        outputs: &mut Vec<Output>,
    ) -> Vec<Result<(), RowError>> {
        use rayon::prelude::*;
        outputs.resize_with(batches.len(), Output::default);
        batches
            .par_iter()
            .zip(outputs.par_iter_mut())
            .map(|(batch, out)| self.process_into(batch, out))
            .collect()
    }

    /// Runs the whole pipeline over `raw`. With `errors.tolerance=none` the first failing record
    /// (in input order) is the error; with `all` failing records become dead letters. Cost: that
    /// of [`Pipeline::process_into`] plus a fresh [`Output`].
    pub fn process(&self, raw: &RawBatch) -> Result<Output, RowError> {
        let mut output = Output::default();
        self.process_into(raw, &mut output)?;
        Ok(output)
    }

    /// Runs the whole pipeline over `raw` into `out`, replacing what it held and reusing its
    /// storage: the encoders write straight into `out.records`' byte buffer, and its columns,
    /// the dead letters and the error list keep their capacity. A consumer loop that hands each
    /// output's records on and drops them before the next call allocates no output buffers in
    /// steady state (a buffer still shared elsewhere is left to its holders and a new one made).
    /// Errors as [`Pipeline::process`]; on an error `out` holds no records.
    pub fn process_into(&self, raw: &RawBatch, out: &mut Output) -> Result<(), RowError> {
        let DecodedBatch {
            batch,
            mut failures,
        } = self.transform(raw);
        let mut records = RawBatchBuilder::reusing(std::mem::take(&mut out.records));
        let encoded = self.encode(&batch, &mut failures, records.owned_bytes());
        let assembled = self.assemble(raw, &batch, &encoded, &mut failures, &mut records, out);
        if let Err(error) = assembled {
            out.clear();
            out.records = RawBatchBuilder::reusing(records.finish()).finish();
            return Err(error);
        }
        out.records = records.finish();
        Ok(())
    }

    /// Encodes every segment's keys and values, appending to `bytes` (the output batch's
    /// buffer); what failed goes to `failures`.
    fn encode(
        &self,
        batch: &ConnectBatch,
        failures: &mut [Option<Box<RowFailure>>],
        bytes: &mut Vec<u8>,
    ) -> EncodedBatch {
        let mut location = vec![None; batch.len()];
        let mut segments = Vec::with_capacity(batch.segments.len());
        for (s, segment) in batch.segments.iter().enumerate() {
            let context = |side| {
                ConverterContext::encoding(
                    side,
                    &segment.rows,
                    &batch.topic_ids,
                    &batch.topics,
                    &batch.headers,
                )
            };
            let mut side = |converter: &dyn Converter, column, which, stage, class: &str| {
                let mut encoded = Encoded::appending_to(std::mem::take(bytes), segment.rows.len());
                converter.encode(column, &context(which), &mut encoded);
                let EncodedParts {
                    bytes: written,
                    slots,
                    errors,
                } = encoded.into_parts();
                *bytes = written;
                for (i, error) in &errors {
                    fail(failures, segment.rows[*i], stage, class, error);
                }
                slots
            };
            let key = side(
                self.key_out.as_ref(),
                &segment.key,
                Side::Key,
                Stage::KeyConverter,
                &self.config.output_key.class,
            );
            let value = side(
                self.value_out.as_ref(),
                &segment.value,
                Side::Value,
                Stage::ValueConverter,
                &self.config.output_value.class,
            );
            for (i, &row) in segment.rows.iter().enumerate() {
                location[row as usize] = Some((s as u32, i as u32));
            }
            segments.push((key, value));
        }
        EncodedBatch { segments, location }
    }

    /// Writes the output records in input order into `records` — each row's key and value
    /// (already in its buffer) and its headers, written with the output header converter as
    /// they go (text headers copied as they are when it writes text as it is) — and the failed
    /// rows as dead letters into `out`. A row whose headers fail to write is failed and its
    /// headers dropped; rows a transform dropped are not written at all, so their headers are
    /// never converted (as Kafka Connect skips a filtered record). When errors are not
    /// tolerated, stops at the first failed row with its error.
    fn assemble(
        &self,
        raw: &RawBatch,
        batch: &ConnectBatch,
        encoded: &EncodedBatch,
        failures: &mut [Option<Box<RowFailure>>],
        records: &mut RawBatchBuilder,
        out: &mut Output,
    ) -> Result<(), RowError> {
        let tolerate = self.config.tolerance != Tolerance::None;
        let copy_text = self.header_out.writes_text_as_is();
        let mut dead_letters = RawBatchBuilder::reusing(std::mem::take(&mut out.dead_letters));
        let mut written = Vec::new();
        // The output's id of each of the batch's topics, looked up on its first row.
        let mut topic_ids: Vec<Option<u32>> = vec![None; batch.topics.len()];
        out.errors.clear();
        out.dropped = 0;
        for row in 0..failures.len() {
            if failures[row].is_none() {
                let Some((segment, i)) = encoded.location[row] else {
                    out.dropped += 1;
                    continue;
                };
                let (segment, i) = (segment as usize, i as usize);
                match self.push_headers(&batch.headers, row, copy_text, &mut written, records) {
                    Ok(()) => {
                        let (key, value) = &encoded.segments[segment];
                        let topic = batch.topic_ids[row] as usize;
                        let topic = *topic_ids[topic]
                            .get_or_insert_with(|| records.topic_id(&batch.topics[topic]));
                        records.push_record(
                            topic,
                            (!batch.partition.is_null(row)).then(|| batch.partition.value(row)),
                            batch.offset.value(row),
                            (!batch.timestamp.is_null(row)).then(|| batch.timestamp.value(row)),
                            Slot::of(key[i].clone()),
                            Slot::of(value[i].clone()),
                        );
                        continue;
                    }
                    Err(error) => {
                        records.discard_headers();
                        let class = &self.config.output_header.class;
                        fail(failures, row as u32, Stage::HeaderConverter, class, &error);
                    }
                }
            }
            let failure = failures[row].as_ref().expect("a failed row");
            let error = row_error(raw, row, failure);
            if !tolerate {
                return Err(error);
            }
            push_dead_letter(&mut dead_letters, raw, row, &error);
            out.errors.push(error);
        }
        out.dead_letters = dead_letters.finish();
        Ok(())
    }

    /// Pushes row `row`'s headers to `records` with the output header converter: strings as
    /// their text when `copy_text`, other values written into `written` (a reused buffer) first.
    /// Cost: a copy of each value and of each name the batch has not written at that position
    /// yet ([`RawBatchBuilder::push_header`]), plus the converter's work for what is not copied.
    fn push_headers(
        &self,
        headers: &Headers,
        row: usize,
        copy_text: bool,
        written: &mut Vec<u8>,
        records: &mut RawBatchBuilder,
    ) -> Result<(), ConnectError> {
        for view in headers.row_views(row) {
            let value = match view.as_text() {
                Some(text) if copy_text => Some(text.as_bytes()),
                _ => {
                    written.clear();
                    let value = view.value();
                    let name = view.name();
                    let not_null =
                        self.header_out
                            .append_bytes(name, view.schema(), &value, written)?;
                    not_null.then_some(&written[..])
                }
            };
            records.push_header(view.name(), value);
        }
        Ok(())
    }
}

/// Where each encoded key and value is in the output buffer: per segment the key and value
/// slots, and where each row landed (segment, index).
struct EncodedBatch {
    segments: Vec<(Slots, Slots)>,
    /// 12 bytes a row (a pair of `usize`s was 24, written and read for every row).
    location: Vec<Option<(u32, u32)>>,
}

/// Each row's bytes in the output buffer; `None`: null, or failed.
type Slots = Vec<Option<Range<u32>>>;

fn fail(
    failures: &mut [Option<Box<RowFailure>>],
    row: u32,
    stage: Stage,
    class: &str,
    error: &ConnectError,
) {
    failures[row as usize].get_or_insert_with(|| {
        Box::new(RowFailure {
            stage,
            class_name: class.to_string(),
            error: error.clone(),
        })
    });
}

fn record_failures(
    failures: &mut [Option<Box<RowFailure>>],
    decoded: &Decoded,
    stage: Stage,
    class: &str,
) {
    for (row, error) in &decoded.errors {
        fail(failures, *row, stage, class, error);
    }
}

fn row_error(raw: &RawBatch, row: usize, failure: &RowFailure) -> RowError {
    RowError {
        topic: raw.topic(row).to_string(),
        partition: raw.partition(row).unwrap_or(weir_smt::NO_PARTITION),
        offset: raw.offset(row),
        stage: failure.stage,
        class_name: failure.class_name.clone(),
        error: failure.error.clone(),
    }
}

/// Java's full exception class name for an error class.
fn java_exception_class(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::Data => "org.apache.kafka.connect.errors.DataException",
        ErrorClass::Config => "org.apache.kafka.common.config.ConfigException",
    }
}

/// The failed record's original bytes plus Kafka's `__connect.errors.*` context headers.
fn push_dead_letter(out: &mut RawBatchBuilder, raw: &RawBatch, row: usize, error: &RowError) {
    let partition = raw
        .partition(row)
        .map_or_else(|| "null".to_string(), |p| p.to_string());
    let offset = error.offset.to_string();
    let context = [
        ("__connect.errors.topic", error.topic.as_str()),
        ("__connect.errors.partition", partition.as_str()),
        ("__connect.errors.offset", offset.as_str()),
        ("__connect.errors.stage", error.stage.kafka_name()),
        ("__connect.errors.class.name", error.class_name.as_str()),
        (
            "__connect.errors.exception.class.name",
            java_exception_class(error.error.class),
        ),
        (
            "__connect.errors.exception.message",
            error.error.message.as_str(),
        ),
    ];
    let original = raw.headers(row);
    let context = context.into_iter().map(|(n, v)| (n, Some(v.as_bytes())));
    out.push_parts(
        raw.topic(row),
        raw.partition(row),
        raw.offset(row),
        raw.timestamp(row),
        raw.key(row),
        raw.value(row),
        original.chain(context),
    );
}

/// Where each row of one side landed: (part, index in part).
fn locate(rows: usize, decoded: &Decoded) -> Vec<Option<(u32, u32)>> {
    let mut location = vec![None; rows];
    for (p, part) in decoded.parts.iter().enumerate() {
        for (i, &row) in part.rows.iter().enumerate() {
            location[row as usize] = Some((p as u32, i as u32));
        }
    }
    location
}

/// The rows of one (key part, value part) pair: the pair, batch rows, key indices, value indices.
type SegmentRows = ((u32, u32), Vec<u32>, Vec<u32>, Vec<u32>);

/// Joins key parts and value parts into segments of rows that decoded on both sides and did not
/// fail elsewhere. When one key part and one value part cover exactly the same rows (the common
/// case) their columns are used as they are; otherwise rows are gathered with `take`.
fn join_segments(
    rows: usize,
    key: Decoded,
    value: Decoded,
    failures: &mut [Option<Box<RowFailure>>],
) -> Vec<Segment> {
    let failed: Vec<bool> = failures.iter().map(Option::is_some).collect();
    if key.parts.len() == 1 && value.parts.len() == 1 {
        let (k, v) = (&key.parts[0], &value.parts[0]);
        if k.rows == v.rows && k.rows.iter().all(|&r| !failed[r as usize]) {
            return vec![Segment {
                rows: k.rows.clone(),
                key: k.column.clone(),
                value: v.column.clone(),
            }];
        }
    }
    let (key_at, value_at) = (locate(rows, &key), locate(rows, &value));
    // (key part, value part) → (rows, key indices, value indices), in first-row order.
    let mut groups: Vec<SegmentRows> = Vec::new();
    for row in 0..rows {
        let (Some((kp, ki)), Some((vp, vi)), false) = (key_at[row], value_at[row], failed[row])
        else {
            continue;
        };
        let group = match groups.iter().position(|g| g.0 == (kp, vp)) {
            Some(g) => &mut groups[g],
            None => {
                groups.push(((kp, vp), Vec::new(), Vec::new(), Vec::new()));
                groups.last_mut().expect("just pushed")
            }
        };
        group.1.push(row as u32);
        group.2.push(ki);
        group.3.push(vi);
    }
    let mut segments = Vec::with_capacity(groups.len());
    for ((kp, vp), rows, ki, vi) in groups {
        let key = gather(&key.parts[kp as usize].column, ki);
        let value = gather(&value.parts[vp as usize].column, vi);
        match (key, value) {
            (Ok(key), Ok(value)) => segments.push(Segment { rows, key, value }),
            (Err(error), _) | (_, Err(error)) => {
                for row in rows {
                    fail(failures, row, Stage::ValueConverter, "weir", &error);
                }
            }
        }
    }
    segments
}

/// The rows `indices` of `column` (the column itself when that is all of it, in order). Fails
/// only if Arrow cannot `take` the column's type, which the design's mapping never produces.
pub(crate) fn gather(column: &Column, indices: Vec<u32>) -> Result<Column, ConnectError> {
    let whole = indices.len() == column.data.len()
        && indices.iter().enumerate().all(|(i, &x)| i as u32 == x);
    if whole {
        return Ok(column.clone());
    }
    let indices = UInt32Array::from(indices);
    let data: ArrayRef = take(column.data.as_ref(), &indices, None)
        .map_err(|e| ConnectError::data(format!("weir could not gather rows: {e}")))?;
    Ok(Column {
        schema: column.schema.clone(),
        data,
    })
}
