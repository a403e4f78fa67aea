//! The transform chain compiled from `transforms=` and `predicates=`: each step a transform with
//! an optional predicate (and `negate`), run over a batch's segments in order.
//!
//! A step evaluates its predicate once per segment into a mask, applies its transform to the rows
//! where the mask holds (a segment whose rows split is cut into two, never reordered), and the
//! other rows pass through untouched. Rows a transform drops or fails leave the segments.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_arith::boolean::not;
use arrow_array::{Array, BooleanArray};
use arrow_schema::ArrowError;
use arrow_select::filter::FilterBuilder;
use weir_formats::batch::{Column, ConnectBatch, Segment};
use weir_formats::converter::Side;
use weir_formats::error::ConnectError;
use weir_formats::variant::holds_variant;
use weir_smt::kernel::header_name_set::HeaderNameSet;
use weir_smt::kernel::per_row::lower_variants;
use weir_smt::{
    ConfigProblem, ConnectRecord, MetaColumn, Predicate, RecordMeta, SegmentInput, SegmentOutput,
    Transform, TransformConfig,
};

use crate::config::{list_value, ConfigError};
use crate::known_classes::missing_class;
use crate::output::{RowFailure, Stage};
use crate::pre_dropped_headers::{PreDroppedHeaders, StepHeaders};
use crate::properties::Properties;
use crate::registry::Registry;

/// A step's predicate and whether it is negated.
type StepPredicate = (Arc<dyn Predicate>, bool);

/// One step of the chain.
#[derive(Debug)]
struct Step {
    class: String,
    transform: Arc<dyn Transform>,
    predicate: Option<StepPredicate>,
    /// Whether the step only removes [pre-dropped](Plan::pre_dropped_headers) headers.
    removes_only_pre_dropped: bool,
}

/// The compiled chain. Immutable; shared between threads with its pipeline.
#[derive(Debug, Default)]
pub struct Plan {
    steps: Vec<Step>,
    pre_dropped: Option<HeaderNameSet>,
}

fn aliases(props: &Properties, key: &str) -> Result<Vec<String>, ConfigError> {
    let aliases = props.get(key).map(list_value).unwrap_or_default();
    let mut seen = HashSet::new();
    if aliases.iter().any(|a| !seen.insert(a.as_str())) {
        return Err(ConfigError::for_key(
            key,
            format!(
                "Invalid value [{}] for configuration {key}: Duplicate alias provided.",
                aliases.join(", ")
            ),
        ));
    }
    Ok(aliases)
}

/// The settings of `<group>.<alias>.*` without the prefix and the runtime's own keys.
fn alias_config(
    props: &Properties,
    group: &str,
    alias: &str,
) -> Result<TransformConfig, ConfigError> {
    let type_key = format!("{group}.{alias}.type");
    let class = props
        .get(&type_key)
        .map(str::trim)
        .ok_or_else(|| {
            ConfigError::for_key(
                &type_key,
                format!(
                    "Missing required configuration \"{type_key}\" which has no default value."
                ),
            )
        })?
        .to_string();
    let prefix = format!("{group}.{alias}.");
    let settings = props
        .keys_with_prefix(&prefix)
        .filter(|(k, _)| !matches!(*k, "type" | "predicate" | "negate"))
        .map(|(k, v)| (k.to_string(), v.to_string()));
    Ok(TransformConfig::new(alias, &class, settings))
}

fn problem(group: &str, alias: &str, p: ConfigProblem) -> ConfigError {
    let mut error = ConfigError::for_key(format!("{group}.{alias}.{}", p.key), p.message);
    error.alias = Some(alias.to_string());
    error
}

impl Plan {
    /// Compiles the chain of `props` with the classes of `registry`, validating every alias, key
    /// and predicate reference as Kafka's `ConnectorConfig` does.
    pub fn compile(props: &Properties, registry: &Registry) -> Result<Plan, ConfigError> {
        let predicate_aliases = aliases(props, "predicates")?;
        let mut predicates = Vec::with_capacity(predicate_aliases.len());
        for alias in &predicate_aliases {
            let config = alias_config(props, "predicates", alias)?;
            let type_key = format!("predicates.{alias}.type");
            let factory = registry
                .predicate(&config.class)
                .ok_or_else(|| missing_class(&type_key, &config.class))?;
            let predicate = factory(&config).map_err(|p| problem("predicates", alias, p))?;
            predicates.push((alias.clone(), predicate));
        }
        let mut steps = Vec::new();
        for alias in aliases(props, "transforms")? {
            let config = alias_config(props, "transforms", &alias)?;
            let type_key = format!("transforms.{alias}.type");
            let factory = registry
                .transform(&config.class)
                .ok_or_else(|| missing_class(&type_key, &config.class))?;
            let transform = factory(&config).map_err(|p| problem("transforms", &alias, p))?;
            let predicate = step_predicate(props, &alias, &predicates)?;
            steps.push(Step {
                class: config.class.clone(),
                transform,
                predicate,
                removes_only_pre_dropped: false,
            });
        }
        let headers: Vec<StepHeaders> = steps
            .iter()
            .map(|step| StepHeaders {
                transform: step.transform.header_use(),
                predicate: step.predicate.as_ref().map(|(p, _)| p.headers_read()),
            })
            .collect();
        let found = PreDroppedHeaders::of(&headers);
        for (step, skippable) in steps.iter_mut().zip(found.skippable) {
            step.removes_only_pre_dropped = skippable;
        }
        let pre_dropped = (!found.names.is_empty()).then(|| HeaderNameSet::new(found.names));
        Ok(Plan { steps, pre_dropped })
    }

    /// The header names the chain removes before any step could read them
    /// ([`crate::pre_dropped_headers`]), `None` when there are none: a batch decoded for the
    /// chain need not hold them (see [`Plan::run_pre_dropped`]).
    pub fn pre_dropped_headers(&self) -> Option<&HeaderNameSet> {
        self.pre_dropped.as_ref()
    }

    /// Whether the chain has no steps.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Whether any step's transform or predicate reads or changes the key or value `side`
    /// ([`weir_smt::transform::Transform::touches`]). Cost: one call per step.
    pub fn touches(&self, side: Side) -> bool {
        self.steps.iter().any(|step| {
            step.transform.touches(side)
                || step
                    .predicate
                    .as_ref()
                    .is_some_and(|(predicate, _)| predicate.touches(side))
        })
    }

    /// Runs one record through the row-wise references of every step, as Kafka's
    /// `TransformationChain` does: each step applies when its predicate (xor `negate`) holds, and
    /// a null result ends the chain.
    pub fn run_record(
        &self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        for step in &self.steps {
            let applies = step
                .predicate
                .as_ref()
                .is_none_or(|(predicate, negate)| predicate.test_record(&record) != *negate);
            if !applies {
                continue;
            }
            match step.transform.apply_record(record)? {
                Some(next) => record = next,
                None => return Ok(None),
            }
        }
        Ok(Some(record))
    }

    /// Runs the chain over `batch`'s segments in place. Rows that a step drops leave the segments;
    /// rows that fail also get their failure (stage TRANSFORMATION) in `failures`.
    pub fn run(&self, batch: &mut ConnectBatch, failures: &mut [Option<Box<RowFailure>>]) {
        self.run_steps(batch, failures, false);
    }

    /// [`Plan::run`] over a batch whose headers lack the
    /// [pre-dropped](Plan::pre_dropped_headers) names (and only over such a batch): skips the
    /// steps that only remove them. The result is what `run` makes of the batch with them.
    pub fn run_pre_dropped(
        &self,
        batch: &mut ConnectBatch,
        failures: &mut [Option<Box<RowFailure>>],
    ) {
        self.run_steps(batch, failures, true);
    }

    fn run_steps(
        &self,
        batch: &mut ConnectBatch,
        failures: &mut [Option<Box<RowFailure>>],
        pre_dropped: bool,
    ) {
        if self.steps.is_empty() {
            return;
        }
        let mut meta = take_meta(batch);
        let mut segments = std::mem::take(&mut batch.segments);
        for step in &self.steps {
            if pre_dropped && step.removes_only_pre_dropped {
                continue;
            }
            let mut next = Vec::with_capacity(segments.len());
            for segment in segments {
                step.run(segment, &mut meta, failures, &mut next);
            }
            segments = next;
        }
        batch.segments = segments;
        batch.topic_ids = meta.topic_ids;
        batch.topics = meta.topics;
        batch.partition = meta.partitions.into_array();
        batch.timestamp = meta.timestamps.into_array();
        batch.headers = meta.headers;
    }
}

/// Moves `batch`'s metadata into the [`RecordMeta`] transforms edit: the topics and headers
/// moved, the partition, offset and timestamp columns shared (an Arrow array clone; copied only
/// when a transform writes them).
pub(crate) fn take_meta(batch: &mut ConnectBatch) -> RecordMeta {
    RecordMeta {
        topic_ids: std::mem::take(&mut batch.topic_ids),
        topics: std::mem::take(&mut batch.topics),
        partitions: MetaColumn::new(batch.partition.clone()),
        offsets: batch.offset.clone(),
        timestamps: MetaColumn::new(batch.timestamp.clone()),
        headers: std::mem::take(&mut batch.headers),
    }
}

/// The predicate of step `alias` (`transforms.<alias>.predicate`, `.negate`).
fn step_predicate(
    props: &Properties,
    alias: &str,
    predicates: &[(String, Arc<dyn Predicate>)],
) -> Result<Option<StepPredicate>, ConfigError> {
    let predicate_key = format!("transforms.{alias}.predicate");
    let negate_key = format!("transforms.{alias}.negate");
    let negate = match props.get(&negate_key).map(str::trim) {
        None => None,
        Some(v) if v.eq_ignore_ascii_case("true") => Some(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Some(false),
        Some(v) => {
            return Err(ConfigError::for_key(
                &negate_key,
                format!("Invalid value {v} for configuration {negate_key}: Expected value to be either true or false"),
            ))
        }
    };
    let Some(name) = props.get(&predicate_key).map(str::trim) else {
        if negate.is_some() {
            return Err(ConfigError::for_key(
                &negate_key,
                format!("Config '{negate_key}' was provided but there is no config '{predicate_key}' defining a predicate to be negated."),
            ));
        }
        return Ok(None);
    };
    let predicate = predicates
        .iter()
        .find(|(a, _)| a == name)
        .map(|(_, p)| p.clone())
        .ok_or_else(|| {
            ConfigError::for_key(
                &predicate_key,
                format!("Invalid value {name} for configuration {predicate_key}: Predicate alias {name} is not defined in 'predicates'"),
            )
        })?;
    Ok(Some((predicate, negate.unwrap_or(false))))
}

/// The rows of a segment a step applies to.
enum Selection {
    /// Every row: the segment as it is.
    Every,
    /// No row: the segment passes untouched.
    NoRow,
    /// Some rows: the segment cut in two, order kept in each half.
    Split {
        applied: Segment,
        untouched: Segment,
    },
}

impl Step {
    /// Runs this step over one segment, pushing what comes out to `next`.
    fn run(
        &self,
        segment: Segment,
        meta: &mut RecordMeta,
        failures: &mut [Option<Box<RowFailure>>],
        next: &mut Vec<Segment>,
    ) {
        let applied = match self.select(&segment, meta) {
            Ok(Selection::Every) => segment,
            Ok(Selection::NoRow) => {
                next.push(segment);
                return;
            }
            Ok(Selection::Split { applied, untouched }) => {
                next.push(untouched);
                applied
            }
            Err(error) => {
                let output = SegmentOutput::all_failed(segment.rows.len(), &error);
                self.collect(segment.rows, output, failures, next);
                return;
            }
        };
        for applied in self.without_variants(applied, meta, failures) {
            let output = self.transform.apply(SegmentInput {
                rows: &applied.rows,
                key: &applied.key,
                value: &applied.value,
                meta,
            });
            self.collect(applied.rows, output, failures, next);
        }
    }

    /// `segment` as this step's transform takes it: as it is, or, where a side the transform
    /// touches holds [variant](weir_formats::variant) columns it does not handle
    /// ([`Transform::handles_variants`]), regrouped into segments without them (a row whose
    /// value makes no column fails at this step). Cost: a type walk per touched side; a value
    /// tree per row where it regroups.
    fn without_variants(
        &self,
        segment: Segment,
        meta: &mut RecordMeta,
        failures: &mut [Option<Box<RowFailure>>],
    ) -> Vec<Segment> {
        let mut segments = vec![segment];
        if self.transform.handles_variants() {
            return segments;
        }
        for side in [Side::Key, Side::Value] {
            if !self.transform.touches(side) {
                continue;
            }
            let mut lowered = Vec::with_capacity(segments.len());
            for segment in segments {
                let column = match side {
                    Side::Key => &segment.key,
                    Side::Value => &segment.value,
                };
                if !holds_variant(column.data.data_type()) {
                    lowered.push(segment);
                    continue;
                }
                let input = SegmentInput {
                    rows: &segment.rows,
                    key: &segment.key,
                    value: &segment.value,
                    meta,
                };
                let output = lower_variants(&input, side);
                self.collect(segment.rows, output, failures, &mut lowered);
            }
            segments = lowered;
        }
        segments
    }

    /// The rows of `segment` this step applies to: every row without a predicate, else where
    /// the predicate's mask (negated with Arrow's boolean kernel under `negate`) holds. Fails
    /// when the mask does not have one non-null entry per row. Cost: the predicate's, one
    /// bitwise NOT per 64 rows under `negate`, a popcount, and [`split`] when the rows differ.
    fn select(&self, segment: &Segment, meta: &mut RecordMeta) -> Result<Selection, ConnectError> {
        let Some((predicate, negate)) = &self.predicate else {
            return Ok(Selection::Every);
        };
        let holds = predicate.test(&SegmentInput {
            rows: &segment.rows,
            key: &segment.key,
            value: &segment.value,
            meta,
        });
        if holds.len() != segment.rows.len() || holds.null_count() != 0 {
            return Err(ConnectError::data(format!(
                "weir: the predicate of {} answered {} of {} rows",
                self.class,
                holds.len() - holds.null_count(),
                segment.rows.len()
            )));
        }
        let mask = if *negate {
            not(&holds).map_err(selection_error)?
        } else {
            holds
        };
        Ok(match mask.true_count() {
            0 => Selection::NoRow,
            n if n == mask.len() => Selection::Every,
            _ => {
                let (applied, untouched) = split(segment, &mask)?;
                Selection::Split { applied, untouched }
            }
        })
    }

    /// Turns a transform's output back into segments of batch rows (`rows`, the input
    /// segment's). Cost: one pass over a part's indices; a part of every row in order (what
    /// most transforms return) takes `rows` as they are, any other gathers its own.
    fn collect(
        &self,
        mut rows: Vec<u32>,
        output: SegmentOutput,
        failures: &mut [Option<Box<RowFailure>>],
        next: &mut Vec<Segment>,
    ) {
        for (index, error) in output.errors {
            if let Some(&row) = rows.get(index as usize) {
                failures[row as usize].get_or_insert_with(|| {
                    Box::new(RowFailure {
                        stage: Stage::Transformation,
                        class_name: self.class.clone(),
                        error,
                    })
                });
            }
        }
        let only_part_is_every_row =
            output.parts.len() == 1 && every_position(&output.parts[0].indices, rows.len());
        for part in output.parts {
            let rows = if only_part_is_every_row {
                std::mem::take(&mut rows)
            } else {
                rows_at(&rows, &part.indices)
            };
            next.push(Segment {
                rows,
                key: part.key,
                value: part.value,
            });
        }
    }
}

/// Whether `indices` are every position of `len` rows, in order. Cost: a compare a position.
fn every_position(indices: &[u32], len: usize) -> bool {
    indices.len() == len && indices.iter().zip(0u32..).all(|(&i, k)| i == k)
}

/// The batch rows at segment positions `indices`. Cost: one lookup per index.
fn rows_at(rows: &[u32], indices: &[u32]) -> Vec<u32> {
    indices
        .iter()
        .filter_map(|&i| rows.get(i as usize).copied())
        .collect()
}

/// Splits `segment` into the rows where `mask` holds and the others, keeping order in each.
/// Cost: one NOT of the mask, then per half one Arrow filter of the key and of the value (one
/// filter plan shared by both) and a pass over the mask's set bits for the batch rows.
fn split(segment: &Segment, mask: &BooleanArray) -> Result<(Segment, Segment), ConnectError> {
    let others = not(mask).map_err(selection_error)?;
    Ok((filter_rows(segment, mask)?, filter_rows(segment, &others)?))
}

/// The rows of `segment` where `mask` holds, in order.
fn filter_rows(segment: &Segment, mask: &BooleanArray) -> Result<Segment, ConnectError> {
    let filter = FilterBuilder::new(mask).optimize().build();
    let column = |column: &Column| -> Result<Column, ConnectError> {
        Ok(Column {
            schema: column.schema.clone(),
            data: filter
                .filter(column.data.as_ref())
                .map_err(selection_error)?,
        })
    };
    Ok(Segment {
        rows: mask
            .values()
            .set_indices()
            .filter_map(|i| segment.rows.get(i).copied())
            .collect(),
        key: column(&segment.key)?,
        value: column(&segment.value)?,
    })
}

/// The error of a segment whose rows Arrow could not select (a type its kernels lack, which the
/// design's mapping never produces).
fn selection_error(error: ArrowError) -> ConnectError {
    ConnectError::data(format!("weir could not select rows: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::gather;
    use crate::properties::parse_properties;
    use crate::{Pipeline, RawBatchBuilder};
    use arrow_array::{Int32Array, Int64Array};
    use weir_formats::value::Value;
    use weir_formats::value_array::value_at;
    use weir_smt::ConnectRecord;

    proptest::proptest! {
        /// The batch rows of a part are those at its positions, whether the positions are all
        /// of them in order or any ascending subset; only the first are every position (where
        /// `collect` takes the rows as they are).
        #[test]
        fn rows_at_looks_up_each_position(
            rows in proptest::collection::vec(0u32..1000, 0..20),
            keep in proptest::collection::vec(proptest::prelude::any::<bool>(), 20),
        ) {
            let subset: Vec<u32> = (0..rows.len() as u32).filter(|&i| keep[i as usize]).collect();
            let every: Vec<u32> = (0..rows.len() as u32).collect();
            let subset_is_every = subset == every;
            proptest::prop_assert_eq!(every_position(&subset, rows.len()), subset_is_every);
            proptest::prop_assert!(every_position(&every, rows.len()));
            for indices in [subset, every] {
                let looked_up: Vec<u32> = indices.iter().map(|&i| rows[i as usize]).collect();
                proptest::prop_assert_eq!(rows_at(&rows, &indices), looked_up);
            }
        }
    }

    /// Drops records with odd offsets; fails offset 13.
    #[derive(Debug)]
    struct DropOdd;

    impl Transform for DropOdd {
        fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
            let mut output = SegmentOutput::default();
            let mut kept = Vec::new();
            for (i, &row) in input.rows.iter().enumerate() {
                match input.meta.offsets.value(row as usize) {
                    13 => output
                        .errors
                        .push((i as u32, ConnectError::data("thirteen"))),
                    o if o % 2 == 1 => output.dropped.push(i as u32),
                    _ => kept.push(i as u32),
                }
            }
            let key = gather(input.key, kept.clone()).unwrap();
            let value = gather(input.value, kept.clone()).unwrap();
            output.parts.push(weir_smt::OutputPart {
                indices: kept,
                key,
                value,
            });
            output
        }

        fn apply_record(
            &self,
            record: ConnectRecord,
        ) -> Result<Option<ConnectRecord>, ConnectError> {
            Ok((record.offset % 2 == 0).then_some(record))
        }
    }

    /// Moves every record to partition 7 and clears its timestamp.
    #[derive(Debug)]
    struct Stamp;

    impl Transform for Stamp {
        fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
            for &row in input.rows {
                input.meta.set_partition(row as usize, 7);
                input.meta.timestamps.set(row as usize, None);
            }
            SegmentOutput::all(input.rows.len(), input.key.clone(), input.value.clone())
        }

        fn apply_record(
            &self,
            mut record: ConnectRecord,
        ) -> Result<Option<ConnectRecord>, ConnectError> {
            record.partition = 7;
            record.timestamp = None;
            Ok(Some(record))
        }
    }

    /// Holds for topic "a".
    #[derive(Debug)]
    struct TopicA;

    impl Predicate for TopicA {
        fn test(&self, input: &SegmentInput<'_>) -> BooleanArray {
            input
                .rows
                .iter()
                .map(|&r| Some(input.meta.topic(r) == "a"))
                .collect()
        }

        fn test_record(&self, record: &ConnectRecord) -> bool {
            record.topic == "a"
        }
    }

    /// Answers for no row at all (a broken predicate).
    #[derive(Debug)]
    struct Mute;

    impl Predicate for Mute {
        fn test(&self, _: &SegmentInput<'_>) -> BooleanArray {
            BooleanArray::from(Vec::<bool>::new())
        }

        fn test_record(&self, _: &ConnectRecord) -> bool {
            false
        }
    }

    fn registry() -> Registry {
        let mut registry = Registry::builtin();
        registry.register_transform("test.Stamp", |_: &TransformConfig| {
            Ok(Arc::new(Stamp) as Arc<dyn Transform>)
        });
        registry.register_predicate("test.Mute", |_: &TransformConfig| {
            Ok(Arc::new(Mute) as Arc<dyn Predicate>)
        });
        registry.register_transform("test.DropOdd", |_: &TransformConfig| {
            Ok(Arc::new(DropOdd) as Arc<dyn Transform>)
        });
        registry.register_predicate("test.TopicA", |_: &TransformConfig| {
            Ok(Arc::new(TopicA) as Arc<dyn Predicate>)
        });
        registry
    }

    const CONVERTERS: &str = "key.converter=org.apache.kafka.connect.storage.StringConverter\n\
        value.converter=org.apache.kafka.connect.storage.StringConverter\nerrors.tolerance=all\n";

    fn run(chain: &str) -> crate::Output {
        let pipeline =
            Pipeline::from_properties_with(&format!("{CONVERTERS}{chain}"), &registry()).unwrap();
        let mut batch = RawBatchBuilder::new();
        for offset in 10..16 {
            let topic = if offset < 13 { "a" } else { "b" };
            batch.push_parts(topic, 0, offset, None, Some(b"k"), Some(b"v"), []);
        }
        pipeline.process(&batch.finish()).unwrap()
    }

    fn offsets(batch: &weir_formats::raw::RawBatch) -> Vec<i64> {
        (0..batch.len()).map(|r| batch.offset(r)).collect()
    }

    #[test]
    fn a_step_without_predicate_applies_to_every_row_in_order() {
        let out = run("transforms=d\ntransforms.d.type=test.DropOdd\n");
        assert_eq!(offsets(&out.records), vec![10, 12, 14]);
        assert_eq!(offsets(&out.dead_letters), vec![13]);
        assert_eq!(out.dropped, 2);
        assert_eq!(out.errors[0].stage, Stage::Transformation);
        assert_eq!(out.errors[0].class_name, "test.DropOdd");
    }

    #[test]
    fn predicates_split_segments_without_reordering_and_negate_flips_them() {
        let chain = "transforms=d\ntransforms.d.type=test.DropOdd\ntransforms.d.predicate=p\n\
                     predicates=p\npredicates.p.type=test.TopicA\n";
        let out = run(chain);
        assert_eq!(offsets(&out.records), vec![10, 12, 13, 14, 15]);
        let out = run(&format!("{chain}transforms.d.negate=true\n"));
        assert_eq!(offsets(&out.records), vec![10, 11, 12, 14]);
        assert_eq!(offsets(&out.dead_letters), vec![13]);
    }

    /// Each segment after the chain: its batch rows and its values.
    fn segments_after(chain: &str, topics: &[&str]) -> Vec<(Vec<u32>, Vec<Value>)> {
        let pipeline =
            Pipeline::from_properties_with(&format!("{CONVERTERS}{chain}"), &registry()).unwrap();
        let mut batch = RawBatchBuilder::new();
        for (offset, topic) in topics.iter().enumerate() {
            let value = format!("v{offset}");
            batch.push_parts(
                topic,
                0,
                offset as i64,
                None,
                None,
                Some(value.as_bytes()),
                [],
            );
        }
        let decoded = pipeline.transform(&batch.finish());
        let value = |s: &Segment, i| value_at(s.value.schema.as_ref(), s.value.data.as_ref(), i);
        let segments = decoded.batch.segments.iter();
        segments
            .map(|s| {
                (
                    s.rows.clone(),
                    (0..s.rows.len()).map(|i| value(s, i)).collect(),
                )
            })
            .collect()
    }

    fn text(values: &[u32]) -> Vec<Value> {
        values
            .iter()
            .map(|v| Value::String(format!("v{v}")))
            .collect()
    }

    #[test]
    fn a_mask_cuts_interleaved_rows_into_two_segments_each_in_batch_order() {
        let chain = "transforms=d\ntransforms.d.type=test.DropOdd\ntransforms.d.predicate=p\n\
                     predicates=p\npredicates.p.type=test.TopicA\n";
        let topics = ["a", "b", "b", "a", "b", "b", "a", "b"];
        let untouched = vec![1, 2, 4, 5, 7];
        assert_eq!(
            segments_after(chain, &topics),
            vec![
                (untouched.clone(), text(&untouched)),
                (vec![0, 6], text(&[0, 6]))
            ]
        );
        let negated = segments_after(&format!("{chain}transforms.d.negate=true\n"), &topics);
        let untouched = vec![0, 3, 6];
        assert_eq!(
            negated,
            vec![
                (untouched.clone(), text(&untouched)),
                (vec![2, 4], text(&[2, 4]))
            ]
        );
    }

    #[test]
    fn a_mask_that_does_not_cover_the_rows_fails_them() {
        let out = run(
            "transforms=d\ntransforms.d.type=test.DropOdd\ntransforms.d.predicate=m\n\
                       predicates=m\npredicates.m.type=test.Mute\n",
        );
        assert_eq!(offsets(&out.records), Vec::<i64>::new());
        assert_eq!(offsets(&out.dead_letters), vec![10, 11, 12, 13, 14, 15]);
        assert!(
            out.errors[0].error.message.contains("answered 0 of 6 rows"),
            "{:?}",
            out.errors[0]
        );
    }

    /// The batch of rows with `topics`, decoded, and the same after `chain`.
    fn metadata_around(chain: &str, topics: &[&str]) -> (ConnectBatch, ConnectBatch) {
        let pipeline =
            Pipeline::from_properties_with(&format!("{CONVERTERS}{chain}"), &registry()).unwrap();
        let mut batch = RawBatchBuilder::new();
        for (offset, topic) in topics.iter().enumerate() {
            let offset = offset as i64;
            batch.push_parts(topic, 2, offset, Some(1000 + offset), None, Some(b"v"), []);
        }
        let mut decoded = pipeline.decode(&batch.finish());
        let before = decoded.batch.clone();
        pipeline
            .plan()
            .run(&mut decoded.batch, &mut decoded.failures);
        (before, decoded.batch)
    }

    #[test]
    fn metadata_columns_no_transform_writes_stay_the_batchs_arrays() {
        let chain = "transforms=d\ntransforms.d.type=test.DropOdd\ntransforms.d.predicate=p\n\
                     predicates=p\npredicates.p.type=test.TopicA\n";
        let (before, after) = metadata_around(chain, &["a", "b", "a", "b"]);
        let address = |b: &ConnectBatch| {
            let partition = b.partition.values().as_ptr();
            (
                partition,
                b.offset.values().as_ptr(),
                b.timestamp.values().as_ptr(),
            )
        };
        assert_eq!(address(&after), address(&before));
    }

    #[test]
    fn metadata_a_transform_writes_changes_only_its_rows() {
        let chain = "transforms=s\ntransforms.s.type=test.Stamp\ntransforms.s.predicate=p\n\
                     predicates=p\npredicates.p.type=test.TopicA\n";
        let (before, after) = metadata_around(chain, &["a", "b", "b", "a"]);
        let partitions = Int32Array::from(vec![Some(7), Some(2), Some(2), Some(7)]);
        assert_eq!(after.partition, partitions);
        let timestamps = Int64Array::from(vec![None, Some(1001), Some(1002), None]);
        assert_eq!(after.timestamp, timestamps);
        assert_eq!(after.offset, before.offset);
        assert_eq!(
            before.timestamp,
            Int64Array::from(vec![1000, 1001, 1002, 1003])
        );
    }

    fn compile_error(chain: &str) -> ConfigError {
        let props = parse_properties(&format!("{CONVERTERS}{chain}")).unwrap();
        Plan::compile(&props, &registry()).unwrap_err()
    }

    #[test]
    fn config_errors_name_the_key() {
        let e = compile_error("transforms=x\ntransforms.x.type=org.example.NoSuch\n");
        assert_eq!(e.key.as_deref(), Some("transforms.x.type"));
        assert!(e.message.contains("could not be found"), "{e}");
        let e = compile_error("transforms=x\n");
        assert!(
            e.message
                .contains("Missing required configuration \"transforms.x.type\""),
            "{e}"
        );
        let e = compile_error(
            "transforms=d\ntransforms.d.type=test.DropOdd\ntransforms.d.predicate=nope\n",
        );
        assert!(
            e.message
                .contains("Predicate alias nope is not defined in 'predicates'"),
            "{e}"
        );
        let e = compile_error(
            "transforms=d\ntransforms.d.type=test.DropOdd\ntransforms.d.negate=true\n",
        );
        assert_eq!(e.key.as_deref(), Some("transforms.d.negate"));
        let e = compile_error("transforms=d,d\ntransforms.d.type=test.DropOdd\n");
        assert!(e.message.contains("Duplicate alias provided."), "{e}");
    }
}
