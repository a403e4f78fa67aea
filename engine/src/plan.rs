//! The transform chain compiled from `transforms=` and `predicates=`: each step a transform with
//! an optional predicate (and `negate`), run over a batch's segments in order.
//!
//! A step evaluates its predicate once per segment into a mask, applies its transform to the rows
//! where the mask holds (a segment whose rows split is cut into two, never reordered), and the
//! other rows pass through untouched. Rows a transform drops or fails leave the segments.

use std::collections::HashSet;
use std::sync::Arc;

use weir_formats::batch::{ConnectBatch, Segment};
use weir_formats::error::ConnectError;
use weir_smt::{
    ConfigProblem, ConnectRecord, Predicate, RecordMeta, SegmentInput, SegmentOutput, Transform,
    TransformConfig, NO_PARTITION,
};

use crate::config::{list_value, ConfigError};
use crate::known_classes::missing_class;
use crate::output::Stage;
use crate::pipeline::{gather, RowFailure};
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
}

/// The compiled chain. Immutable; shared between threads with its pipeline.
#[derive(Debug, Default)]
pub struct Plan {
    steps: Vec<Step>,
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
            });
        }
        Ok(Plan { steps })
    }

    /// Whether the chain has no steps.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
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
    pub fn run(&self, batch: &mut ConnectBatch, failures: &mut [Option<RowFailure>]) {
        if self.steps.is_empty() {
            return;
        }
        let mut meta = take_meta(batch);
        let mut segments = std::mem::take(&mut batch.segments);
        for step in &self.steps {
            let mut next = Vec::with_capacity(segments.len());
            for segment in segments {
                step.run(segment, &mut meta, failures, &mut next);
            }
            segments = next;
        }
        batch.segments = segments;
        batch.topic_ids = meta.topic_ids;
        batch.topics = meta.topics;
        batch.partition = meta
            .partitions
            .iter()
            .map(|&p| (p != NO_PARTITION).then_some(p))
            .collect();
        batch.timestamp = arrow_array::Int64Array::from(meta.timestamps);
        batch.headers = meta.headers;
    }
}

/// Moves `batch`'s metadata columns into the row-wise [`RecordMeta`] transforms edit.
pub(crate) fn take_meta(batch: &mut ConnectBatch) -> RecordMeta {
    RecordMeta {
        topic_ids: std::mem::take(&mut batch.topic_ids),
        topics: std::mem::take(&mut batch.topics),
        partitions: batch
            .partition
            .iter()
            .map(|p| p.unwrap_or(NO_PARTITION))
            .collect(),
        offsets: batch.offset.values().to_vec(),
        timestamps: batch.timestamp.iter().collect(),
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

impl Step {
    /// Runs this step over one segment, pushing what comes out to `next`.
    fn run(
        &self,
        segment: Segment,
        meta: &mut RecordMeta,
        failures: &mut [Option<RowFailure>],
        next: &mut Vec<Segment>,
    ) {
        let mask = match &self.predicate {
            None => None,
            Some((predicate, negate)) => {
                let input = SegmentInput {
                    rows: &segment.rows,
                    key: &segment.key,
                    value: &segment.value,
                    meta,
                };
                Some(
                    predicate
                        .test(&input)
                        .into_iter()
                        .map(|m| m != *negate)
                        .collect::<Vec<bool>>(),
                )
            }
        };
        let (applied, untouched) = match mask {
            None => (segment, None),
            Some(mask) if mask.iter().all(|&m| m) => (segment, None),
            Some(mask) if !mask.iter().any(|&m| m) => {
                next.push(segment);
                return;
            }
            Some(mask) => match split(&segment, &mask) {
                Ok((applied, untouched)) => (applied, Some(untouched)),
                Err(error) => {
                    let output = SegmentOutput::all_failed(segment.rows.len(), &error);
                    self.collect(&segment.rows, output, failures, next);
                    return;
                }
            },
        };
        if let Some(untouched) = untouched {
            next.push(untouched);
        }
        let output = self.transform.apply(SegmentInput {
            rows: &applied.rows,
            key: &applied.key,
            value: &applied.value,
            meta,
        });
        self.collect(&applied.rows, output, failures, next);
    }

    /// Turns a transform's output back into segments of batch rows.
    fn collect(
        &self,
        rows: &[u32],
        output: SegmentOutput,
        failures: &mut [Option<RowFailure>],
        next: &mut Vec<Segment>,
    ) {
        for (index, error) in output.errors {
            if let Some(&row) = rows.get(index as usize) {
                failures[row as usize].get_or_insert_with(|| RowFailure {
                    stage: Stage::Transformation,
                    class_name: self.class.clone(),
                    error,
                });
            }
        }
        for part in output.parts {
            next.push(Segment {
                rows: part
                    .indices
                    .iter()
                    .filter_map(|&i| rows.get(i as usize).copied())
                    .collect(),
                key: part.key,
                value: part.value,
            });
        }
    }
}

/// Splits `segment` into the rows where `mask` holds and the others, keeping order in each.
fn split(segment: &Segment, mask: &[bool]) -> Result<(Segment, Segment), ConnectError> {
    let (mut yes, mut no) = (Vec::new(), Vec::new());
    for (i, &m) in mask.iter().enumerate() {
        if m {
            yes.push(i as u32)
        } else {
            no.push(i as u32)
        }
    }
    let pick = |indices: Vec<u32>| -> Result<Segment, ConnectError> {
        Ok(Segment {
            rows: indices.iter().map(|&i| segment.rows[i as usize]).collect(),
            key: gather(&segment.key, indices.clone())?,
            value: gather(&segment.value, indices)?,
        })
    };
    Ok((pick(yes)?, pick(no)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::properties::parse_properties;
    use crate::{Pipeline, RawBatchBuilder};
    use weir_smt::ConnectRecord;

    /// Drops records with odd offsets; fails offset 13.
    #[derive(Debug)]
    struct DropOdd;

    impl Transform for DropOdd {
        fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
            let mut output = SegmentOutput::default();
            let mut kept = Vec::new();
            for (i, &row) in input.rows.iter().enumerate() {
                match input.meta.offsets[row as usize] {
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

    /// Holds for topic "a".
    #[derive(Debug)]
    struct TopicA;

    impl Predicate for TopicA {
        fn test(&self, input: &SegmentInput<'_>) -> Vec<bool> {
            input
                .rows
                .iter()
                .map(|&r| input.meta.topic(r) == "a")
                .collect()
        }

        fn test_record(&self, record: &ConnectRecord) -> bool {
            record.topic == "a"
        }
    }

    fn registry() -> Registry {
        let mut registry = Registry::builtin();
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
