//! The field transforms' test kit: generators of schemas, records and nested records, and the
//! kernel-versus-reference check their proptests share.

use std::sync::Arc;

use proptest::prelude::*;
use weir_formats::batch::{Column, Headers};
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Decimal, Struct, Value};
use weir_formats::value_array::{value_at, values_to_array};

use crate::meta_column::MetaColumn;
use crate::record::ConnectRecord;
use crate::transform::{OutputPart, RecordMeta, SegmentInput, SegmentOutput, Transform};
use crate::TransformConfig;

/// Field names the generators draw from (few, so configs hit them).
pub const NAMES: [&str; 5] = ["a", "b", "c", "id", "name"];

/// How many schemas [`primitive_schema`] draws from.
pub const PRIMITIVES: u32 = 12;

/// A required primitive schema: each Connect type but STRUCT, ARRAY and MAP, and Decimal, Date and
/// Timestamp, one in [`PRIMITIVES`] each.
pub fn primitive_schema() -> impl Strategy<Value = Schema> {
    prop_oneof![
        Just(Schema::new(SchemaKind::Int8)),
        Just(Schema::new(SchemaKind::Int16)),
        Just(Schema::new(SchemaKind::Int32)),
        Just(Schema::new(SchemaKind::Int64)),
        Just(Schema::new(SchemaKind::Float32)),
        Just(Schema::new(SchemaKind::Float64)),
        Just(Schema::new(SchemaKind::Boolean)),
        Just(Schema::new(SchemaKind::String)),
        Just(Schema::new(SchemaKind::Bytes)),
        Just(Schema::decimal(2)),
        Just(Schema::date()),
        Just(Schema::timestamp()),
    ]
}

fn leaf() -> impl Strategy<Value = Schema> {
    prop_oneof![
        PRIMITIVES => primitive_schema(),
        1 => Just(Schema::new(SchemaKind::Array(
            Schema::new(SchemaKind::String).optional().into_ref()
        ))),
        1 => Just(Schema::new(SchemaKind::Map(
            Schema::new(SchemaKind::String).into_ref(),
            Schema::new(SchemaKind::Int32).optional().into_ref()
        ))),
        1 => Just(
            Schema::structure([(
                "x".to_string(),
                Schema::new(SchemaKind::Int32).optional().into_ref()
            )])
            .optional()
        ),
    ]
}

/// A present value of `schema`.
pub fn present(schema: &Schema) -> BoxedStrategy<Value> {
    if schema.name.as_deref() == Some(weir_formats::schema::DECIMAL_LOGICAL_NAME) {
        // Mostly at the schema's scale 2; sometimes at another (a BigDecimal keeps its
        // own scale), which makes an own-scale column for the kernels to meet.
        return (-10_000i128..10_000, prop_oneof![4 => Just(2), 1 => 0i32..5])
            .prop_map(|(unscaled, scale)| Value::Decimal(Decimal { unscaled, scale }))
            .boxed();
    }
    if schema.logical_type().is_some() {
        return (-1000i64..1000)
            .prop_map(|d| Value::Date(d * 86_400_000))
            .boxed();
    }
    match &schema.kind {
        SchemaKind::Int8 => any::<i8>().prop_map(Value::Int8).boxed(),
        SchemaKind::Int16 => any::<i16>().prop_map(Value::Int16).boxed(),
        SchemaKind::Int32 => any::<i32>().prop_map(Value::Int32).boxed(),
        SchemaKind::Int64 => any::<i64>().prop_map(Value::Int64).boxed(),
        SchemaKind::Float32 => (-1e3f32..1e3).prop_map(Value::Float32).boxed(),
        SchemaKind::Float64 => (-1e6f64..1e6).prop_map(Value::Float64).boxed(),
        SchemaKind::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
        SchemaKind::String => "[a-z]{0,5}".prop_map(Value::String).boxed(),
        SchemaKind::Bytes => prop::collection::vec(any::<u8>(), 0..4)
            .prop_map(Value::Bytes)
            .boxed(),
        SchemaKind::Array(_) => prop::collection::vec("[a-z]{0,3}".prop_map(Value::String), 0..3)
            .prop_map(Value::Array)
            .boxed(),
        SchemaKind::Map(_, _) => prop::collection::btree_map("[a-c]", any::<i32>(), 0..3)
            .prop_map(|m| {
                Value::Map(
                    m.into_iter()
                        .map(|(k, v)| (Value::String(k), Value::Int32(v)))
                        .collect(),
                )
            })
            .boxed(),
        SchemaKind::Struct(_) => {
            let schema = Arc::new(schema.clone());
            any::<Option<i32>>()
                .prop_map(move |x| {
                    Value::Struct(Struct {
                        schema: schema.clone(),
                        values: vec![x.map_or(Value::Null, Value::Int32)],
                    })
                })
                .boxed()
        }
    }
}

/// A value of `schema`: null where it is optional, sometimes.
fn maybe(schema: &Schema) -> BoxedStrategy<Value> {
    if schema.optional {
        prop_oneof![1 => Just(Value::Null), 3 => present(schema)].boxed()
    } else {
        present(schema)
    }
}

/// A STRUCT schema over a subset of [`NAMES`], fields optional or required, some with
/// defaults.
pub fn struct_schema() -> impl Strategy<Value = SchemaRef> {
    let field = (leaf(), any::<bool>(), any::<bool>()).prop_flat_map(|(s, optional, def)| {
        let s = if optional { s.optional() } else { s };
        let is_struct = matches!(s.kind, SchemaKind::Struct(_));
        let default = if def && !is_struct {
            present(&s).prop_map(Some).boxed()
        } else {
            Just(None).boxed()
        };
        default.prop_map(move |d| match d {
            Some(d) => s.clone().with_default(d).into_ref(),
            None => s.clone().into_ref(),
        })
    });
    (
        prop::collection::vec(field, NAMES.len()),
        prop::sample::subsequence(NAMES.to_vec(), 0..=NAMES.len()),
        any::<bool>(),
    )
        .prop_map(|(schemas, names, optional)| {
            let fields = names.iter().zip(schemas).map(|(n, s)| (n.to_string(), s));
            let schema = Schema::structure(fields).with_name("x.Rec").with_version(2);
            if optional { schema.optional() } else { schema }.into_ref()
        })
}

/// A STRUCT value of `schema` (its fields null where optional, sometimes).
pub fn struct_value(schema: &SchemaRef) -> BoxedStrategy<Value> {
    let schema = schema.clone();
    let fields: Vec<_> = schema.fields().iter().map(|f| maybe(&f.schema)).collect();
    fields
        .prop_map(move |values| {
            Value::Struct(Struct {
                schema: schema.clone(),
                values,
            })
        })
        .boxed()
}

/// A [`struct_schema`] and up to five rows of it, one row in six null (a tombstone).
pub fn struct_rows() -> impl Strategy<Value = (SchemaRef, Vec<Value>)> {
    struct_schema().prop_flat_map(|s| {
        let row = prop_oneof![1 => Just(Value::Null), 5 => struct_value(&s)];
        (Just(s), prop::collection::vec(row, 0..6))
    })
}

/// [`struct_rows`] without the null rows where the schema is required (a column of a required
/// schema cannot hold them).
pub fn fitting_struct_rows() -> impl Strategy<Value = (SchemaRef, Vec<Value>)> {
    struct_rows().prop_map(|(schema, rows)| {
        if schema.optional {
            (schema, rows)
        } else {
            let rows = rows.into_iter().filter(|r| !r.is_null()).collect();
            (schema, rows)
        }
    })
}

/// The other side of `n` rows a check leaves alone: no schema, every row null.
pub fn null_side(n: usize) -> (Option<SchemaRef>, Vec<Value>) {
    (None, vec![Value::Null; n])
}

/// A JSON-like schemaless value.
pub fn json_leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        (-5i64..5).prop_map(Value::Int64),
        (-5f64..5.0).prop_map(Value::Float64),
        any::<bool>().prop_map(Value::Boolean),
        "[a-z]{0,3}".prop_map(Value::String),
        prop::collection::vec((-5i64..5).prop_map(Value::Int64), 0..3).prop_map(Value::Array),
        prop::collection::btree_map("[x-z]", (-5i64..5).prop_map(Value::Int64), 0..2)
            .prop_map(|m| Value::Map(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect())),
    ]
    .boxed()
}

/// Schemaless rows: maps over a subset of [`NAMES`] (the same keys in most rows, so the
/// columnar path runs), nulls (tombstones), and now and then a non-map.
pub fn schemaless_rows() -> impl Strategy<Value = Vec<Value>> {
    (
        prop::sample::subsequence(NAMES.to_vec(), 0..=NAMES.len()),
        prop::collection::vec(any::<bool>(), NAMES.len()),
    )
        .prop_flat_map(|(names, same_type)| {
            let columns: Vec<BoxedStrategy<Value>> = names
                .iter()
                .zip(same_type)
                .map(|(_, same)| {
                    if same {
                        prop_oneof![Just(Value::Null), (-5i64..5).prop_map(Value::Int64)].boxed()
                    } else {
                        json_leaf()
                    }
                })
                .collect();
            let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            let row = columns.prop_map(move |values| {
                Value::Map(
                    names
                        .iter()
                        .zip(values)
                        .map(|(n, v)| (Value::String(n.clone()), v))
                        .collect(),
                )
            });
            let maps = prop::collection::vec(prop_oneof![8 => row, 1 => Just(Value::Null)], 0..6);
            let others = prop::collection::vec(
                prop_oneof![Just(Value::Null), (-5i64..5).prop_map(Value::Int64)],
                0..4,
            );
            prop_oneof![9 => maps, 1 => others]
        })
}

/// Schemaless records as JSON text, the way data with optional keys and mixed numbers comes:
/// objects over [`NAMES`] in that order, each key left out of about a third of the records,
/// numbers integral in some records and not in others, nulls, now and then a nested object
/// lacking a key — so a JsonConverter decodes them into [variant](weir_formats::variant)
/// columns.
pub fn ragged_rows() -> impl Strategy<Value = Vec<String>> {
    let value = prop_oneof![
        3 => (-5i64..5).prop_map(|n| n.to_string()),
        2 => (-5i64..5).prop_map(|n| format!("{n}.5")),
        1 => Just("null".to_string()),
        1 => "[a-z]{0,3}".prop_map(|s| format!("\"{s}\"")),
        1 => prop::option::of(-5i64..5).prop_map(|x| match x {
            Some(x) => format!("{{\"x\":{x},\"y\":1}}"),
            None => "{\"y\":2}".to_string(),
        }),
    ];
    let row =
        prop::collection::vec(prop::option::weighted(0.7, value), NAMES.len()).prop_map(|values| {
            let entries: Vec<String> = NAMES
                .iter()
                .zip(values)
                .filter_map(|(name, v)| v.map(|v| format!("\"{name}\":{v}")))
                .collect();
            format!("{{{}}}", entries.join(","))
        });
    prop::collection::vec(row, 1..8)
}

/// [`check`] of `transform` on `side` over `rows` (JSON texts) decoded as a schemaless
/// JsonConverter decodes a batch of them (a check per part), the other side the string `"k"`.
pub fn check_decoded(
    transform: &dyn Transform,
    side: crate::Side,
    rows: &[String],
) -> Result<(), TestCaseError> {
    use weir_formats::converter::{Converter, ConverterContext};
    use weir_formats::json::{reference::JsonConfig, JsonConverter};
    let converter = JsonConverter::new(JsonConfig {
        schemas_enable: false,
        ..JsonConfig::default()
    });
    let inputs: Vec<Option<&[u8]>> = rows.iter().map(|r| Some(r.as_bytes())).collect();
    let decoded = converter.decode(&inputs, &ConverterContext::single_topic(side, "t"));
    prop_assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    for part in decoded.parts {
        let other = vec![Value::String("k".into()); part.rows.len()];
        let other = crate::record::column_of(None, &other).expect("other side");
        let (key, value) = match side {
            crate::Side::Key => (&part.column, &other),
            crate::Side::Value => (&other, &part.column),
        };
        check_columns(transform, key, value, false)?;
    }
    Ok(())
}

/// Batch metadata for `n` rows: two topics, some rows without a timestamp when `gaps`.
pub fn meta(n: usize, gaps: bool) -> RecordMeta {
    let mut headers = Headers::default();
    for _ in 0..n {
        headers.push_row([]);
    }
    RecordMeta {
        topic_ids: (0..n).map(|i| (i % 2) as u32).collect(),
        topics: vec!["orders".to_string(), "t1".to_string()],
        partitions: MetaColumn::new((0..n).map(|i| Some(i as i32 % 3)).collect()),
        offsets: (0..n).map(|i| 100 + i as i64).collect(),
        timestamps: MetaColumn::new(
            (0..n)
                .map(|i| {
                    if gaps && i % 3 == 1 {
                        None
                    } else {
                        Some(1_700_000_000_000 + i as i64)
                    }
                })
                .collect(),
        ),
        headers,
    }
}

/// `transform`'s kernel over one segment of `values` (of `schema`) with null keys and the batch
/// metadata of [`meta`], and that metadata after the transform (which may change it).
pub fn apply_to_values(
    transform: &dyn Transform,
    schema: Option<&SchemaRef>,
    values: &[Value],
) -> (SegmentOutput, RecordMeta) {
    let n = values.len();
    let value = crate::record::column_of(schema, values).expect("values fit their schema");
    let key = crate::record::column_of(None, &vec![Value::Null; n]).expect("null keys");
    let rows: Vec<u32> = (0..n as u32).collect();
    let mut meta = meta(n, false);
    let output = transform.apply(SegmentInput {
        rows: &rows,
        key: &key,
        value: &value,
        meta: &mut meta,
    });
    (output, meta)
}

/// Maps sorted by key, recursively (schemaless key order is not significant).
pub fn canonical(value: Value) -> Value {
    value.with_sorted_maps()
}

/// One row's outcome: the record's key and value sides, or the error.
type Outcome = Result<Option<(Option<SchemaRef>, Value, Option<SchemaRef>, Value)>, ConnectError>;

/// Runs `transform`'s kernel and its reference over the same rows and checks they agree on
/// every row (records, schemas, drops, errors). A reference record its column cannot hold
/// counts as an error.
pub fn check(
    transform: &dyn Transform,
    key: (Option<SchemaRef>, Vec<Value>),
    value: (Option<SchemaRef>, Vec<Value>),
    gaps: bool,
) -> Result<(), TestCaseError> {
    let key_column = crate::record::column_of(key.0.as_ref(), &key.1).expect("key column");
    let value_column = crate::record::column_of(value.0.as_ref(), &value.1).expect("value column");
    check_columns(transform, &key_column, &value_column, gaps)
}

/// [`check`] over columns as they are (a decoder's, say).
pub fn check_columns(
    transform: &dyn Transform,
    key_column: &Column,
    value_column: &Column,
    gaps: bool,
) -> Result<(), TestCaseError> {
    let n = value_column.data.len();
    let rows: Vec<u32> = (0..n as u32).collect();
    let mut meta = meta(n, gaps);
    let input = SegmentInput {
        rows: &rows,
        key: key_column,
        value: value_column,
        meta: &mut meta,
    };
    let expected: Vec<Outcome> = input
        .records()
        .into_iter()
        .map(|r| reference_outcome(transform.apply_record(r)))
        .collect();
    let output = transform.apply(input);
    let actual = kernel_outcomes(&output, n);
    for (row, (a, e)) in actual.iter().zip(&expected).enumerate() {
        prop_assert_eq!(a, e, "row {}", row);
    }
    Ok(())
}

fn reference_outcome(result: Result<Option<ConnectRecord>, ConnectError>) -> Outcome {
    let Some(record) = result? else {
        return Ok(None);
    };
    // The record must fit a column of its schema, as the kernel's output does.
    values_to_array(
        record.key_schema.as_ref(),
        std::slice::from_ref(&record.key),
    )?;
    values_to_array(
        record.value_schema.as_ref(),
        std::slice::from_ref(&record.value),
    )?;
    Ok(Some((
        record.key_schema,
        canonical(record.key),
        record.value_schema,
        canonical(record.value),
    )))
}

fn kernel_outcomes(output: &SegmentOutput, n: usize) -> Vec<Outcome> {
    outcomes_by_row(output, n, |part, k, _| {
        let key = value_at(part.key.schema.as_ref(), part.key.data.as_ref(), k);
        let value = value_at(part.value.schema.as_ref(), part.value.data.as_ref(), k);
        (
            part.key.schema.clone(),
            canonical(key),
            part.value.schema.clone(),
            canonical(value),
        )
    })
}

/// Each of the `n` rows' outcome in `output`: `read(part, position in part, row)` where it was
/// kept, `None` where dropped, its error where it failed. Panics on a row in two outputs or in
/// none (a kernel must account for every row once).
pub fn outcomes_by_row<T>(
    output: &SegmentOutput,
    n: usize,
    read: impl Fn(&OutputPart, usize, usize) -> T,
) -> Vec<Result<Option<T>, ConnectError>> {
    let mut outcomes: Vec<Option<Result<Option<T>, ConnectError>>> = (0..n).map(|_| None).collect();
    let mut set_once = |i: u32, outcome| {
        let slot = &mut outcomes[i as usize];
        assert!(slot.is_none(), "row {i} is in two outputs");
        *slot = Some(outcome);
    };
    for part in &output.parts {
        for (k, &i) in part.indices.iter().enumerate() {
            set_once(i, Ok(Some(read(part, k, i as usize))));
        }
    }
    for &i in &output.dropped {
        set_once(i, Ok(None));
    }
    for (i, e) in &output.errors {
        set_once(*i, Err(e.clone()));
    }
    outcomes
        .into_iter()
        .enumerate()
        .map(|(i, o)| o.unwrap_or_else(|| panic!("row {i} is in no output")))
        .collect()
}

/// A record on topic `t` (partition 0, offset 0, no timestamp, no headers) with a null key and
/// `value` of `schema`.
pub fn value_record(schema: Option<SchemaRef>, value: Value) -> ConnectRecord {
    ConnectRecord {
        topic: "t".into(),
        partition: 0,
        offset: 0,
        timestamp: None,
        key_schema: None,
        key: Value::Null,
        value_schema: schema,
        value,
        headers: Vec::new(),
    }
}

/// A config of `class` with `pairs`.
pub fn config(pairs: &[(&str, &str)]) -> TransformConfig {
    TransformConfig::new(
        "t",
        "x.Y",
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    )
}

/// `schema` without its MAP fields.
pub fn strip_maps(schema: &SchemaRef) -> SchemaRef {
    let fields = schema
        .fields()
        .iter()
        .filter(|f| !matches!(f.schema.kind, SchemaKind::Map(..)))
        .cloned()
        .collect();
    Arc::new(Schema {
        kind: SchemaKind::Struct(fields),
        ..(**schema).clone()
    })
}

pub fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| (Value::String(k.to_string()), v.clone()))
            .collect(),
    )
}

/// A struct schema with a nested optional struct `n` (some fields with defaults; MAP fields
/// only with `keep_maps`), and rows
/// of it (tombstones where it is optional). No STRUCT defaults: a default cannot hold the
/// schema that holds it, so Kafka cannot build one.
pub fn nested_rows(keep_maps: bool) -> impl Strategy<Value = (SchemaRef, Vec<Value>)> {
    (struct_schema(), struct_schema()).prop_flat_map(move |(outer, inner)| {
        let (outer, inner) = if keep_maps {
            (outer, inner)
        } else {
            (strip_maps(&outer), strip_maps(&inner))
        };
        let inner_schema = (*inner).clone().optional();
        let inner_ref = inner_schema.into_ref();
        let mut fields = outer.fields().to_vec();
        fields.push(Field {
            name: "n".to_string(),
            schema: inner_ref.clone(),
        });
        let schema: SchemaRef = Arc::new(Schema {
            kind: SchemaKind::Struct(fields),
            ..(*outer).clone()
        });
        let nested = prop_oneof![1 => Just(Value::Null), 3 => struct_value(&inner)];
        let row = (struct_value(&outer), nested, any::<bool>());
        let rows = prop::collection::vec(row, 0..6);
        let optional = schema.optional;
        (Just(schema.clone()), rows).prop_map(move |(schema, rows)| {
            let values = rows
                .into_iter()
                .map(|(outer_value, nested, tombstone)| {
                    let Value::Struct(mut outer_value) = outer_value else {
                        return Value::Null;
                    };
                    if tombstone && optional {
                        return Value::Null;
                    }
                    let nested = match nested {
                        Value::Struct(n) => Value::Struct(Struct {
                            schema: inner_ref.clone(),
                            values: n.values,
                        }),
                        other => other,
                    };
                    outer_value.values.push(nested);
                    Value::Struct(Struct {
                        schema: schema.clone(),
                        values: outer_value.values,
                    })
                })
                .collect();
            (schema, values)
        })
    })
}

/// Schemaless rows with a nested map `n` that is sometimes a map of a different key set,
/// sometimes a number (a raw-JSON child), sometimes null.
pub fn nested_schemaless() -> impl Strategy<Value = Vec<Value>> {
    let inner = prop_oneof![
        4 => (-5i64..5).prop_map(|v| map(&[("a", Value::Int64(v)), ("b", Value::Null)])),
        1 => (-5i64..5).prop_map(|v| map(&[("a", Value::String(v.to_string()))])),
        1 => (-5i64..5).prop_map(Value::Int64),
        1 => Just(Value::Null),
    ];
    (prop::collection::vec(inner, 0..6), any::<bool>()).prop_map(|(inner, uniform)| {
        inner
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                let n = if uniform {
                    map(&[("a", Value::Int64(i as i64)), ("b", Value::Null)])
                } else {
                    n
                };
                map(&[("id", Value::Int64(i as i64)), ("n", n)])
            })
            .collect()
    })
}
