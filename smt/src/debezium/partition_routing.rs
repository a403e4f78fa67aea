//! `io.debezium.transforms.partitions.PartitionRouting`: sets a change event's partition from
//! the hash of some of its fields (`partition.payload.fields`, dotted paths into the envelope;
//! `change.x` is `after.x`, or `before.x` for deletes), summed, made non-negative and taken
//! modulo `partition.topic.num`. `partition.hash.function` is `java` (`Object.hashCode`, the
//! default; unknown names fall back to it) or `murmur` (Debezium's MurmurHash3).
//!
//! Tombstones, values that are not envelopes, truncates and `op=m` messages pass unchanged; a
//! path whose field is absent or null is skipped, and an event with none of them passes
//! unchanged; a path that runs through a null struct fails the event, as Debezium's
//! NullPointerException does (`DebeziumException: Unprocessable message …`).
//!
//! Kernel: the paths are resolved to child positions once per segment (for `after` and `before`
//! where `change` is used); per row only the leaf values are read and hashed; keys and values are
//! not touched. Rows that fail go through the reference for Debezium's message.
//!
//! Known difference: a `Struct` or `byte[]` field hashes by identity in Java (`java`
//! hash; a different partition on every JVM run); weir fails such events instead of choosing a
//! partition no run of Debezium would reproduce.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, StructArray};
use weir_formats::error::ConnectError;
use weir_formats::schema::{SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};
use weir_formats::value_array::value_at;

use super::change_event::{get, get_typed, is_envelope, TypedGet};
use super::java_hash_code::java_hash_code;
use super::murmur3::{hash_bytes, hash_int};
use crate::config::{ConfigProblem, TransformConfig};
use crate::kernel::routing::kept_except;
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};

/// `partition.hash.function`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashFunction {
    Java,
    Murmur,
}

/// The configured transform.
#[derive(Debug)]
pub struct PartitionRouting {
    /// Each payload field as its trimmed path parts.
    fields: Vec<Vec<String>>,
    partitions: i32,
    hash: HashFunction,
}

/// Builds `PartitionRouting` (both `partition.payload.fields` and `partition.topic.num` are
/// required).
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(PartitionRouting::from_config(config)?))
}

impl PartitionRouting {
    /// Parses and validates the settings with Debezium's messages.
    pub fn from_config(config: &TransformConfig) -> Result<PartitionRouting, ConfigProblem> {
        const FIELDS: &str = "partition.payload.fields";
        const NUM: &str = "partition.topic.num";
        let invalid = |key: &str, value: &str, reason: &str| {
            ConfigProblem::invalid(
                key,
                value,
                &format!("The '{key}' value is invalid: {reason}"),
            )
        };
        let raw_fields = config
            .get(FIELDS)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| invalid(FIELDS, "null", "A value is required"))?;
        let items: Vec<&str> = raw_fields.split(',').map(str::trim).collect();
        if items.iter().any(|i| i.is_empty()) {
            return Err(invalid(FIELDS, raw_fields, "Cannot contain empty elements"));
        }
        let raw_num = config
            .get(NUM)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid(NUM, "null", "A value is required"))?;
        let partitions = raw_num
            .parse::<i32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| invalid(NUM, raw_num, "A positive integer is expected"))?;
        let hash = match config
            .get("partition.hash.function")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            Some("murmur") => HashFunction::Murmur,
            _ => HashFunction::Java,
        };
        Ok(PartitionRouting {
            fields: items
                .iter()
                .map(|f| f.split('.').map(|p| p.trim().to_string()).collect())
                .collect(),
            partitions,
            hash,
        })
    }

    /// The hash of one value, or an error where Java's is an identity hash.
    fn hash_of(&self, value: &Value, path: &[String]) -> Result<i32, ConnectError> {
        if let (HashFunction::Murmur, Value::String(s)) = (self.hash, value) {
            return Ok(hash_bytes(s.as_bytes()));
        }
        if let (HashFunction::Murmur, Value::Bytes(b)) = (self.hash, value) {
            return Ok(hash_bytes(b));
        }
        let code = java_hash_code(value).ok_or_else(|| {
            ConnectError::data(format!(
                "Cannot reproduce the Java identity hash of field {} ({}): partition by a field of a primitive, string, decimal or list type",
                path.join("."),
                value.java_class()
            ))
        })?;
        Ok(match self.hash {
            HashFunction::Java => code,
            HashFunction::Murmur => hash_int(code),
        })
    }

    /// `computePartition` over the values' hashes.
    fn partition_of(&self, hashes: &[i32]) -> i32 {
        let total = hashes.iter().fold(0i32, |a, h| a.wrapping_add(*h));
        let mut normalized = total & i32::MAX;
        if normalized == i32::MAX {
            normalized = 0;
        }
        normalized % self.partitions
    }

    /// The new partition of an envelope `value`: `Ok(None)` to pass unchanged, `Err(None)` for
    /// Debezium's NullPointerException (the caller adds the message), `Err(Some(e))` for weir's.
    fn route_struct(&self, envelope: &Struct) -> Result<Option<i32>, Option<ConnectError>> {
        if let Ok(Value::String(op)) = get_typed(envelope, "op", TypedGet::String) {
            if op == "t" || op == "m" {
                return Ok(None);
            }
        }
        let mut hashes = Vec::new();
        for path in &self.fields {
            match field_value(envelope, path) {
                Ok(Some(Value::Null)) | Ok(None) => {}
                Ok(Some(value)) => hashes.push(self.hash_of(&value, path).map_err(Some)?),
                Err(()) => return Err(None),
            }
        }
        if hashes.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.partition_of(&hashes)))
    }
}

/// `toValue`: `Ok(None)` where Debezium catches a DataException (a missing or mistyped field),
/// `Err(())` where it meets a null struct.
fn field_value(envelope: &Struct, path: &[String]) -> Result<Option<Value>, ()> {
    let Some((last, parents)) = path.split_last() else {
        return Ok(None);
    };
    let mut current = envelope.clone();
    for part in parents {
        let name = match part.as_str() {
            "change" => match get_typed(envelope, "op", TypedGet::String) {
                Ok(Value::String(op)) if op == "d" => "before",
                Ok(_) => "after",
                Err(_) => return Ok(None),
            },
            other => other,
        };
        current = match get_typed(&current, name, TypedGet::Struct) {
            Ok(Value::Struct(s)) => s,
            Ok(_) => return Err(()),
            Err(_) => return Ok(None),
        };
    }
    Ok(get(&current, last).ok())
}

/// One payload path resolved against a segment: the child positions from the envelope down, or
/// `None` where the path names no field (or a mistyped one) and is skipped.
type Resolved = Option<Vec<usize>>;

/// Resolves `parts` (with `change` read as `change_to`) against `schema`.
fn resolve(schema: &SchemaRef, parts: &[String], change_to: &str) -> Resolved {
    let mut current = schema.clone();
    let mut positions = Vec::with_capacity(parts.len());
    for (depth, part) in parts.iter().enumerate() {
        let name = if part == "change" && depth + 1 < parts.len() {
            change_to
        } else {
            part
        };
        let (index, field) = current.field(name)?;
        if depth + 1 < parts.len() && !matches!(field.schema.kind, SchemaKind::Struct(_)) {
            return None;
        }
        if field.schema.default.is_some() {
            return None;
        }
        positions.push(index);
        current = field.schema.clone();
    }
    Some(positions)
}

/// The leaf value of row `i` along `positions`, `Err(())` where a struct on the way is null.
fn leaf(
    envelope: &StructArray,
    positions: &[usize],
    leaf_schema: Option<&SchemaRef>,
    i: usize,
) -> Result<Value, ()> {
    let mut current: &StructArray = envelope;
    let (last, parents) = positions.split_last().ok_or(())?;
    for &p in parents {
        let child: &ArrayRef = current.column(p);
        if child.is_null(i) {
            return Err(());
        }
        current = child.as_any().downcast_ref::<StructArray>().ok_or(())?;
    }
    Ok(value_at(leaf_schema, current.column(*last).as_ref(), i))
}

/// The schema at the end of `positions`.
fn leaf_schema(schema: &SchemaRef, positions: &[usize]) -> Option<SchemaRef> {
    let mut current = schema.clone();
    for &p in positions {
        current = current.fields().get(p)?.schema.clone();
    }
    Some(current)
}

impl Transform for PartitionRouting {
    /// See the module doc. Cost: path resolution once per segment; per row, one read and one
    /// hash per path.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let n = input.rows.len();
        let (Some(schema), Some(envelope)) = (
            input
                .value
                .schema
                .as_ref()
                .filter(|_| is_envelope(input.value.schema.as_ref())),
            input.value.data.as_any().downcast_ref::<StructArray>(),
        ) else {
            return SegmentOutput::all(n, input.key.clone(), input.value.clone());
        };
        let op = schema
            .field("op")
            .filter(|(_, f)| f.schema.kind == SchemaKind::String)
            .map(|(i, _)| envelope.column(i).clone());
        let plans: Vec<[(Resolved, Option<SchemaRef>); 2]> = self
            .fields
            .iter()
            .map(|parts| {
                ["after", "before"].map(|to| {
                    let resolved = resolve(schema, parts, to);
                    let leaf = resolved.as_deref().and_then(|p| leaf_schema(schema, p));
                    (resolved, leaf)
                })
            })
            .collect();
        let mut errors = Vec::new();
        for i in 0..n {
            if envelope.is_null(i) {
                continue;
            }
            let op = op
                .as_ref()
                .and_then(|a| match value_at(None, a.as_ref(), i) {
                    Value::String(s) => Some(s),
                    _ => None,
                });
            if matches!(op.as_deref(), Some("t" | "m")) {
                continue;
            }
            let variant = usize::from(op.as_deref() == Some("d"));
            let mut hashes = Vec::new();
            let mut failed = None;
            for (plan, parts) in plans.iter().zip(&self.fields) {
                let (Some(positions), leaf_schema) = &plan[variant] else {
                    continue;
                };
                match leaf(envelope, positions, leaf_schema.as_ref(), i) {
                    Ok(Value::Null) => {}
                    Ok(value) => match self.hash_of(&value, parts) {
                        Ok(h) => hashes.push(h),
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    },
                    Err(()) => {
                        let value = value_at(Some(schema), input.value.data.as_ref(), i);
                        failed = Some(unprocessable(&value));
                        break;
                    }
                }
            }
            match failed {
                Some(e) => errors.push((i as u32, e)),
                None if hashes.is_empty() => {}
                None => input
                    .meta
                    .set_partition(input.rows[i] as usize, self.partition_of(&hashes)),
            }
        }
        kept_except(n, input.key, input.value, errors)
    }

    fn apply_record(
        &self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.value.is_null() || !is_envelope(record.value_schema.as_ref()) {
            return Ok(Some(record));
        }
        let Value::Struct(envelope) = &record.value else {
            return Ok(Some(record));
        };
        match self.route_struct(envelope) {
            Ok(Some(partition)) => record.partition = partition,
            Ok(None) => {}
            Err(Some(e)) => return Err(e),
            Err(None) => return Err(unprocessable(&record.value)),
        }
        Ok(Some(record))
    }
}

/// Debezium's wrapper of a failure: `Unprocessable message <envelope>`.
fn unprocessable(envelope: &Value) -> ConnectError {
    ConnectError::data(format!("Unprocessable message {envelope}"))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::debezium::test_events;
    use crate::kernel::routing::testkit::{assert_agree, kernel, reference};
    use crate::kernel::test_kit::value_record;

    fn row_schema() -> SchemaRef {
        test_events::row_schema(None)
    }

    fn envelope_schema() -> SchemaRef {
        test_events::envelope_schema(row_schema(), "srv.db.t.Envelope")
    }

    fn records(rows: Vec<(String, bool, Option<String>)>) -> Vec<ConnectRecord> {
        rows.into_iter()
            .enumerate()
            .map(|(n, (op, tombstone, name))| {
                let row = test_events::row(row_schema(), n as i64 * 7919, name);
                let (before, after) = match op.as_str() {
                    "d" => (row, Value::Null),
                    "t" => (Value::Null, Value::Null),
                    _ => (Value::Null, row),
                };
                ConnectRecord {
                    offset: n as i64,
                    ..value_record(
                        Some(envelope_schema()),
                        test_events::event(envelope_schema(), before, after, &op, tombstone),
                    )
                }
            })
            .collect()
    }

    fn routing(fields: &str, hash: &str) -> PartitionRouting {
        PartitionRouting::from_config(&TransformConfig::new(
            "pr",
            "io.debezium.transforms.partitions.PartitionRouting",
            [
                ("partition.payload.fields".to_string(), fields.to_string()),
                ("partition.topic.num".to_string(), "5".to_string()),
                ("partition.hash.function".to_string(), hash.to_string()),
            ],
        ))
        .unwrap()
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(
            rows in prop::collection::vec(
                (prop_oneof![Just("c"), Just("u"), Just("d"), Just("t"), Just("r")].prop_map(String::from),
                 prop::bool::weighted(0.15), prop::option::of("[a-zé]{0,4}")),
                0..12,
            ),
            fields in prop_oneof![Just("change.name"), Just("after.id,op"), Just("change.id,nothing.x,after.name"), Just("op")],
            hash in prop_oneof![Just("java"), Just("murmur")],
        ) {
            let t = routing(fields, hash);
            let records = records(rows);
            assert_agree(&kernel(&t, &records), &reference(&t, &records));
        }
    }

    #[test]
    fn partitions_follow_javas_hash() {
        let t = routing("after.name", "java");
        let mut record = records(vec![("c".into(), false, Some("hello".into()))]).remove(0);
        record = t.apply_record(record).unwrap().unwrap();
        // "hello".hashCode() = 99162322; 99162322 % 5 = 2
        assert_eq!(record.partition, 2);
        let deleted = records(vec![("d".into(), false, Some("x".into()))]).remove(0);
        assert!(t
            .apply_record(deleted)
            .unwrap_err()
            .message
            .starts_with("Unprocessable message Struct{"));
    }

    #[test]
    fn config_problems() {
        let missing = PartitionRouting::from_config(&TransformConfig::new(
            "pr",
            "x",
            [("partition.payload.fields".to_string(), "a".to_string())],
        ))
        .unwrap_err();
        assert_eq!(
            missing.message,
            "Invalid value null for configuration partition.topic.num: The 'partition.topic.num' value is invalid: A value is required"
        );
    }
}
