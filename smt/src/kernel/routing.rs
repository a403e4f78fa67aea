//! What the metadata transforms and predicates share (RegexRouter, TimestampRouter,
//! TopicNameMatches, the header transforms): topic work done once per distinct topic (design §1),
//! and the output of a transform that keeps every row's key and value as they are.

use std::sync::Arc;

use arrow_array::UInt32Array;
use arrow_select::take::take;
use weir_formats::batch::Column;
use weir_formats::error::ConnectError;

use crate::transform::{OutputPart, RecordMeta, SegmentOutput};

/// `f` evaluated once for each distinct topic among `rows`, as a table indexed by topic id
/// (`None` for topics no row of `rows` has). Cost: one pass over `rows`, one call of `f` per
/// distinct topic.
pub fn per_topic<T>(
    meta: &RecordMeta,
    rows: &[u32],
    mut f: impl FnMut(&str) -> T,
) -> Vec<Option<T>> {
    let mut table: Vec<Option<T>> = std::iter::repeat_with(|| None)
        .take(meta.topics.len())
        .collect();
    for &row in rows {
        let id = meta.topic_ids[row as usize] as usize;
        if let (Some(slot @ None), Some(topic)) = (table.get_mut(id), meta.topics.get(id)) {
            *slot = Some(f(topic));
        }
    }
    table
}

/// The output of a transform that changed only metadata: every row kept with its key and value,
/// except the rows of `errors` (segment indices, ascending), which failed. Cost: nothing when no
/// row failed; otherwise one `take` of the key and of the value.
pub fn kept_except(
    rows: usize,
    key: &Column,
    value: &Column,
    errors: Vec<(u32, ConnectError)>,
) -> SegmentOutput {
    if errors.is_empty() {
        return SegmentOutput::all(rows, key.clone(), value.clone());
    }
    let mut failed = errors.iter().map(|(i, _)| *i).peekable();
    let indices: Vec<u32> = (0..rows as u32)
        .filter(|&i| failed.next_if_eq(&i).is_none())
        .collect();
    let parts = match (subset(key, &indices), subset(value, &indices)) {
        (Ok(key), Ok(value)) if !indices.is_empty() => vec![OutputPart {
            indices,
            key,
            value,
        }],
        (Ok(_), Ok(_)) => Vec::new(),
        (Err(e), _) | (_, Err(e)) => return SegmentOutput::all_failed(rows, &e),
    };
    SegmentOutput {
        parts,
        dropped: Vec::new(),
        errors,
    }
}

/// The rows `indices` of `column`. Cost: nothing when `indices` are all rows in order (the
/// column is shared), else one Arrow `take`.
pub fn subset(column: &Column, indices: &[u32]) -> Result<Column, ConnectError> {
    let every_row = indices.len() == column.data.len()
        && indices.iter().enumerate().all(|(at, &i)| at as u32 == i);
    if every_row {
        return Ok(column.clone());
    }
    let indices = UInt32Array::from(indices.to_vec());
    let data = take(column.data.as_ref(), &indices, None)
        .map_err(|e| ConnectError::data(format!("Could not select rows: {e}")))?;
    Ok(Column {
        schema: column.schema.clone(),
        data: Arc::clone(&data),
    })
}

/// Generated segments and the harness that runs a transform's kernel and its reference over
/// them, for the property tests of every transform and predicate in this group.
#[cfg(test)]
pub(crate) mod testkit {
    use arrow_array::BooleanArray;
    use proptest::prelude::*;
    use weir_formats::batch::{Header, Headers};
    use weir_formats::error::ConnectError;
    use weir_formats::schema::{Schema, SchemaKind, SchemaRef};
    use weir_formats::value::{Struct, Value};
    use weir_formats::value_array::value_at;

    use crate::kernel::test_kit::outcomes_by_row;
    use crate::meta_column::MetaColumn;
    use crate::record::{column_of, ConnectRecord};
    use crate::transform::{Predicate, RecordMeta, SegmentInput, Transform, NO_PARTITION};

    /// What one transform made of one record: kept (the record), dropped, or failed.
    pub type Outcome = Result<Option<ConnectRecord>, ConnectError>;

    /// The value schema of a generated segment.
    #[derive(Debug, Clone, Copy)]
    pub enum Shape {
        /// A struct `{id: int64, name: string?, addr: struct{city: string}?}`.
        Schemad,
        /// Schemaless maps with string keys, with or without the key `name` (a segment holds
        /// maps of one key set).
        Schemaless(bool),
        /// Schemaless strings (not maps).
        SchemalessText,
    }

    /// The STRUCT value schema of [`Shape::Schemad`].
    pub fn struct_schema() -> SchemaRef {
        let addr = Schema::structure([(
            "city".to_string(),
            Schema::new(SchemaKind::String).into_ref(),
        )])
        .with_name("com.example.Address")
        .optional()
        .into_ref();
        Schema::structure([
            ("id".to_string(), Schema::new(SchemaKind::Int64).into_ref()),
            (
                "name".to_string(),
                Schema::new(SchemaKind::String)
                    .optional()
                    .with_default(Value::String("anon".into()))
                    .into_ref(),
            ),
            ("addr".to_string(), addr),
        ])
        .with_name("com.example.Row")
        .into_ref()
    }

    fn struct_value(
        schema: &SchemaRef,
        id: i64,
        name: Option<String>,
        city: Option<String>,
    ) -> Value {
        let addr_schema = schema.fields()[2].schema.clone();
        let addr = city.map_or(Value::Null, |c| {
            Value::Struct(Struct {
                schema: addr_schema,
                values: vec![Value::String(c)],
            })
        });
        Value::Struct(Struct {
            schema: schema.clone(),
            values: vec![
                Value::Int64(id),
                name.map_or(Value::Null, Value::String),
                addr,
            ],
        })
    }

    fn map_value(id: i64, name: Option<String>, with_name: bool) -> Value {
        let mut entries = vec![(Value::String("id".into()), Value::Int64(id))];
        if with_name {
            entries.push((
                Value::String("name".into()),
                name.map_or(Value::Null, Value::String),
            ));
        }
        Value::Map(entries)
    }

    fn arb_headers() -> impl Strategy<Value = Vec<Header>> {
        prop::collection::vec(("[abc]", "[xy0-9]{0,3}"), 0..4).prop_map(|hs| {
            hs.into_iter()
                .map(|(name, text)| Header {
                    name: name.as_str().into(),
                    schema: Some(Schema::new(SchemaKind::String).into_ref()),
                    value: Value::String(text),
                })
                .collect()
        })
    }

    fn arb_record(shape: Shape) -> impl Strategy<Value = ConnectRecord> {
        (
            "(orders|users|db\\.inv\\.items|a-b)",
            prop::option::weighted(0.9, 0i64..5_000_000_000_000),
            prop::option::of("[a-z]{1,3}"),
            (
                any::<i64>(),
                prop::option::of("[a-z]{0,4}"),
                prop::option::of("[A-Z][a-z]{0,3}"),
            ),
            prop::bool::weighted(0.15),
            arb_headers(),
        )
            .prop_map(
                move |(topic, timestamp, key, (id, name, city), tombstone, headers)| {
                    let schema = struct_schema();
                    let (value_schema, value) = match shape {
                        _ if tombstone => (
                            matches!(shape, Shape::Schemad).then_some(schema),
                            Value::Null,
                        ),
                        Shape::Schemad => {
                            (Some(schema.clone()), struct_value(&schema, id, name, city))
                        }
                        Shape::Schemaless(with_name) => (None, map_value(id, name, with_name)),
                        Shape::SchemalessText => (None, Value::String(name.unwrap_or_default())),
                    };
                    ConnectRecord {
                        topic,
                        partition: 0,
                        offset: 0,
                        timestamp,
                        key_schema: Some(Schema::new(SchemaKind::String).optional().into_ref()),
                        key: key.map_or(Value::Null, Value::String),
                        value_schema,
                        value,
                        headers,
                    }
                },
            )
    }

    /// Segments of 0..12 records of one shape, with numbered offsets.
    pub fn arb_segment() -> impl Strategy<Value = Vec<ConnectRecord>> {
        prop_oneof![
            Just(Shape::Schemad),
            any::<bool>().prop_map(Shape::Schemaless),
            Just(Shape::SchemalessText)
        ]
        .prop_flat_map(|shape| prop::collection::vec(arb_record(shape), 0..12))
        .prop_map(|mut records| {
            for (i, r) in records.iter_mut().enumerate() {
                r.offset = i as i64;
            }
            records
        })
    }

    fn meta_of(records: &[ConnectRecord]) -> RecordMeta {
        let mut meta = RecordMeta {
            topic_ids: Vec::new(),
            topics: Vec::new(),
            partitions: MetaColumn::new(
                records
                    .iter()
                    .map(|r| Some(r.partition).filter(|&p| p != NO_PARTITION))
                    .collect(),
            ),
            offsets: records.iter().map(|r| r.offset).collect(),
            timestamps: MetaColumn::new(records.iter().map(|r| r.timestamp).collect()),
            headers: Headers::default(),
        };
        for r in records {
            let id = meta.intern_topic(&r.topic);
            meta.topic_ids.push(id);
            meta.headers.push_row(r.headers.iter().cloned());
        }
        meta
    }

    /// Runs `f` over a segment made of `records` (all rows of a batch of them, so segment index =
    /// batch row), with the batch metadata it may change.
    fn with_segment<T>(
        records: &[ConnectRecord],
        f: impl FnOnce(SegmentInput<'_>) -> T,
    ) -> (T, RecordMeta) {
        let schema = |r: &ConnectRecord| (r.key_schema.clone(), r.value_schema.clone());
        let (key_schema, value_schema) = records.first().map(schema).unwrap_or((None, None));
        let keys: Vec<Value> = records.iter().map(|r| r.key.clone()).collect();
        let values: Vec<Value> = records.iter().map(|r| r.value.clone()).collect();
        let key = column_of(key_schema.as_ref(), &keys).expect("generated keys fit their schema");
        let value = column_of(value_schema.as_ref(), &values).expect("generated values fit");
        let rows: Vec<u32> = (0..records.len() as u32).collect();
        let mut meta = meta_of(records);
        let out = f(SegmentInput {
            rows: &rows,
            key: &key,
            value: &value,
            meta: &mut meta,
        });
        (out, meta)
    }

    /// The kernel's outcome for each record, read back with `value_at`.
    pub fn kernel(transform: &dyn Transform, records: &[ConnectRecord]) -> Vec<Outcome> {
        let (output, meta) = with_segment(records, |input| transform.apply(input));
        outcomes_by_row(&output, records.len(), |part, pos, row| ConnectRecord {
            topic: meta.topic(row as u32).to_string(),
            partition: meta.partition(row),
            offset: meta.offsets.value(row),
            timestamp: meta.timestamps.get(row),
            key_schema: part.key.schema.clone(),
            key: value_at(part.key.schema.as_ref(), part.key.data.as_ref(), pos),
            value_schema: part.value.schema.clone(),
            value: value_at(part.value.schema.as_ref(), part.value.data.as_ref(), pos),
            headers: meta.headers.row(row).to_vec(),
        })
    }

    /// The reference's outcome for each record.
    pub fn reference(transform: &dyn Transform, records: &[ConnectRecord]) -> Vec<Outcome> {
        records
            .iter()
            .map(|r| transform.apply_record(r.clone()))
            .collect()
    }

    /// The predicate's kernel mask and its reference mask (no nulls) over `records`.
    pub fn masks(
        predicate: &dyn Predicate,
        records: &[ConnectRecord],
    ) -> (BooleanArray, BooleanArray) {
        let (mask, _) = with_segment(records, |input| predicate.test(&input));
        let reference: Vec<bool> = records.iter().map(|r| predicate.test_record(r)).collect();
        (mask, BooleanArray::from(reference))
    }

    /// Compares outcomes, with values compared as the converters would write them (a Struct's
    /// schema by content, maps as key sets since Kafka's maps are `HashMap`s).
    pub fn assert_agree(kernel: &[Outcome], reference: &[Outcome]) {
        assert_eq!(kernel.len(), reference.len());
        for (i, (k, r)) in kernel.iter().zip(reference).enumerate() {
            match (k, r) {
                (Ok(Some(k)), Ok(Some(r))) => {
                    let mut k = k.clone();
                    let mut r = r.clone();
                    normalise(&mut k.value);
                    normalise(&mut r.value);
                    assert_eq!(k, r, "record {i}");
                }
                (Ok(None), Ok(None)) => {}
                (Err(k), Err(r)) => assert_eq!(k.message, r.message, "record {i}"),
                (k, r) => panic!("record {i}: kernel {k:?}, reference {r:?}"),
            }
        }
    }

    fn normalise(value: &mut Value) {
        if let Value::Map(entries) = value {
            entries.sort_by_key(|(k, _)| k.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Array, Int32Array};
    use weir_formats::batch::Column;

    use super::subset;

    #[test]
    fn subset_shares_the_column_only_when_every_row_is_kept_in_order() {
        let column = Column {
            schema: None,
            data: Arc::new(Int32Array::from(vec![10, 20, 30])),
        };
        let all = subset(&column, &[0, 1, 2]).expect("all rows");
        assert!(Arc::ptr_eq(&all.data, &column.data));
        let reordered = subset(&column, &[2, 1, 0]).expect("reordered");
        assert!(!Arc::ptr_eq(&reordered.data, &column.data));
        let values = reordered.data.as_any().downcast_ref::<Int32Array>();
        assert_eq!(values.map(|a| a.values().to_vec()), Some(vec![30, 20, 10]));
        let some = subset(&column, &[1]).expect("one row");
        assert_eq!(some.data.len(), 1);
    }
}
