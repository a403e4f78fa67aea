//! `io.debezium.transforms.ExtractChangedRecordState`: adds two headers to every change event,
//! the names of the `after` columns whose value differs from `before` (`header.changed.name`)
//! and of those that do not (`header.unchanged.name`), Debezium's `ExtractChangedRecordState.java`.
//!
//! As in Debezium, only values whose schema name ends with `.Envelope` get headers; both lists
//! are empty unless the event has both `before` and `after` (reads, inserts, deletes, updates
//! without `before`). Columns compare with Java's `Objects.equals` on the Connect values, so a
//! non-null BYTES column always counts as changed (`byte[]` compares by identity) and floats
//! compare as `Double.equals` does (NaN equals NaN, `0.0` differs from `-0.0`).
//!
//! Kernel: per envelope schema, the `after` columns are paired once with their `before`
//! columns; per segment one comparator per pair reads the Arrow buffers row by row (nested
//! columns compare as value trees). The records pass unchanged; only headers are added.
//! Schemas the plan does not cover (no struct `before` / `after`) run the reference per row,
//! which has Debezium's errors for them.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::{Array, ArrayRef, StructArray};
use arrow_schema::{DataType, TimeUnit};
use weir_formats::batch::Header;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Schema, SchemaKind, SchemaRef};
use weir_formats::value::Value;
use weir_formats::value_array::value_at;

use super::change_event::{is_envelope, States};
use super::whole_record;
use crate::kernel::defaults::field_value;
use crate::kernel::requirements::require_struct_error;
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::segment_output::{assemble, RowOutcome};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

/// `ExtractChangedRecordState`. Cost: reads two keys, once per pipeline.
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(ExtractChangedRecordState::new(config)))
}

/// One of the two headers: its name and schema (an optional array of optional strings named
/// after the header, as Debezium builds it).
#[derive(Debug, Clone)]
struct ListHeader {
    name: Arc<str>,
    schema: SchemaRef,
}

impl ListHeader {
    /// The header of `key`, `None` when unset or blank (Debezium adds none then).
    fn parse(config: &TransformConfig, key: &str) -> Option<ListHeader> {
        let name = config.get(key).filter(|n| !n.trim().is_empty())?;
        let item = Schema::new(SchemaKind::String).optional().into_ref();
        let schema = Schema::new(SchemaKind::Array(item))
            .optional()
            .with_name(name)
            .into_ref();
        Some(ListHeader {
            name: name.into(),
            schema,
        })
    }

    fn header(&self, names: &[Arc<str>]) -> Header {
        Header {
            name: self.name.clone(),
            schema: Some(self.schema.clone()),
            value: Value::Array(names.iter().map(|n| Value::String(n.to_string())).collect()),
        }
    }
}

/// `ExtractChangedRecordState`, configured.
#[derive(Debug)]
pub struct ExtractChangedRecordState {
    changed: Option<ListHeader>,
    unchanged: Option<ListHeader>,
    plans: SchemaCache<Option<Plan>>,
}

/// The per-envelope-schema work of the kernel.
#[derive(Debug)]
struct Plan {
    /// The `after` and `before` columns.
    states: States,
    /// Each `after` column: its name, its child index and its `before` child index (`None`:
    /// `before` has no such column, which fails events that have both states).
    pairs: Vec<(Arc<str>, usize, Option<usize>)>,
}

impl ExtractChangedRecordState {
    /// Reads `header.changed.name` and `header.unchanged.name` (both optional, no validation).
    pub fn new(config: &TransformConfig) -> ExtractChangedRecordState {
        ExtractChangedRecordState {
            changed: ListHeader::parse(config, "header.changed.name"),
            unchanged: ListHeader::parse(config, "header.unchanged.name"),
            plans: SchemaCache::default(),
        }
    }

    /// The headers for the changed and unchanged column names, in Debezium's order.
    fn headers(&self, changed: &[Arc<str>], unchanged: &[Arc<str>]) -> Vec<Header> {
        let changed = self.changed.as_ref().map(|h| h.header(changed));
        let unchanged = self.unchanged.as_ref().map(|h| h.header(unchanged));
        changed.into_iter().chain(unchanged).collect()
    }

    fn plan(schema: &Schema) -> Option<Plan> {
        let states = States::of(schema)?;
        let (after_schema, before_schema) = (&states.after_schema, &states.before_schema);
        let pairs = after_schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let b = before_schema.field(&f.name).map(|(b, _)| b);
                (f.name.as_str().into(), i, b)
            })
            .collect();
        Some(Plan { states, pairs })
    }

    /// The columnar path over a STRUCT envelope column.
    fn apply_envelope(
        &self,
        input: SegmentInput<'_>,
        plan: &Plan,
        envelope: &StructArray,
    ) -> Result<SegmentOutput, ConnectError> {
        let n = input.rows.len();
        let (after, before) = plan.states.columns(envelope)?;
        let (after_struct, before_struct) = match (after.as_struct_opt(), before.as_struct_opt()) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                return Err(ConnectError::data(
                    "the before / after columns are not structs",
                ))
            }
        };
        let comparators: Vec<Option<Comparator>> = plan
            .pairs
            .iter()
            .map(|(_, a, b)| {
                b.map(|b| {
                    Comparator::new(
                        after_struct.column(*a),
                        before_struct.column(b),
                        &plan.states.after_schema.fields()[*a].schema,
                        &plan.states.before_schema.fields()[b].schema,
                    )
                })
            })
            .collect();
        let mut outcomes = Vec::with_capacity(n);
        let mut added: Vec<(u32, Vec<Header>)> = Vec::new();
        for i in 0..n {
            if envelope.is_null(i) {
                outcomes.push(RowOutcome::Part(0));
                continue;
            }
            let (mut changed, mut unchanged) = (Vec::new(), Vec::new());
            let mut failed = None;
            if !after.is_null(i) && !before.is_null(i) {
                for ((name, _, _), comparator) in plan.pairs.iter().zip(&comparators) {
                    match comparator {
                        Some(c) if c.equal(i) => unchanged.push(name.clone()),
                        Some(_) => changed.push(name.clone()),
                        None => {
                            failed = Some(not_a_field(name));
                            break;
                        }
                    }
                }
            }
            match failed {
                Some(e) => outcomes.push(RowOutcome::Failed(e)),
                None => {
                    outcomes.push(RowOutcome::Part(0));
                    added.push((input.rows[i], self.headers(&changed, &unchanged)));
                }
            }
        }
        let rows: Vec<u32> = added.iter().map(|(r, _)| *r).collect();
        let mut headers = added.into_iter().map(|(_, h)| h);
        input
            .meta
            .headers
            .edit_rows(&rows, |_, h| h.extend(headers.next().unwrap_or_default()));
        Ok(assemble(
            &input,
            Side::Value,
            vec![input.value.clone()],
            outcomes,
        ))
    }
}

/// `Struct.lookupField`'s error.
fn not_a_field(name: &str) -> ConnectError {
    ConnectError::data(format!("{name} is not a valid field name"))
}

/// Java's `Objects.equals` on two Connect values. `in_struct`: the values are a Struct's fields,
/// which `Struct.equals` compares with `Arrays.deepEquals` (so `byte[]` by content there, by
/// identity everywhere else, which never holds for two decoded values).
pub(crate) fn java_equals(a: &Value, b: &Value, in_struct: bool) -> bool {
    match (a, b) {
        (Value::Bytes(x), Value::Bytes(y)) => in_struct && x == y,
        (Value::Float32(x), Value::Float32(y)) => float_bits_equal(f64::from(*x), f64::from(*y)),
        (Value::Float64(x), Value::Float64(y)) => float_bits_equal(*x, *y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| java_equals(x, y, false))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .any(|(k2, v2)| java_equals(k, k2, false) && java_equals(v, v2, false))
                })
        }
        (Value::Struct(x), Value::Struct(y)) => {
            x.schema == y.schema
                && x.values.len() == y.values.len()
                && x.values
                    .iter()
                    .zip(&y.values)
                    .all(|(x, y)| java_equals(x, y, true))
        }
        _ => a == b,
    }
}

/// `Double.equals` / `Float.equals`: equal bits, every NaN equal to every NaN.
fn float_bits_equal(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

/// Compares one `after` column with its `before` column row by row, as `Objects.equals` does on
/// their Connect values. Built once per column pair and segment.
struct Comparator<'a> {
    after: &'a ArrayRef,
    before: &'a ArrayRef,
    after_schema: &'a SchemaRef,
    before_schema: &'a SchemaRef,
    kind: Kind,
}

/// How a column pair compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Both BYTES: never equal unless both are null.
    Identity,
    /// A type read directly from the Arrow buffers.
    Direct,
    /// Nested or differently typed columns: as value trees.
    Tree,
}

impl<'a> Comparator<'a> {
    fn new(
        after: &'a ArrayRef,
        before: &'a ArrayRef,
        after_schema: &'a SchemaRef,
        before_schema: &'a SchemaRef,
    ) -> Comparator<'a> {
        // An own-scale Decimal column (a struct type) or a Decimal column whose representation
        // differs between the two sides compares as value trees: BigDecimal equality, scale
        // included.
        let kind = match (after.data_type(), before.data_type()) {
            (a, b) if a != b => Kind::Tree,
            (DataType::BinaryView | DataType::Binary | DataType::LargeBinary, _) => Kind::Identity,
            (
                DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::Float32
                | DataType::Float64
                | DataType::Boolean
                | DataType::Utf8View
                | DataType::Utf8
                | DataType::Decimal128(..)
                | DataType::Date32
                | DataType::Time32(TimeUnit::Millisecond)
                | DataType::Timestamp(TimeUnit::Millisecond, None),
                _,
            ) => Kind::Direct,
            _ => Kind::Tree,
        };
        Comparator {
            after,
            before,
            after_schema,
            before_schema,
            kind,
        }
    }

    /// Whether row `i` holds equal values (both null counts as equal).
    fn equal(&self, i: usize) -> bool {
        let (a, b) = (self.after.as_ref(), self.before.as_ref());
        match (a.is_null(i), b.is_null(i)) {
            (true, true) => return true,
            (true, false) | (false, true) => return false,
            (false, false) => {}
        }
        match self.kind {
            Kind::Identity => false,
            Kind::Direct => direct_equal(a, b, i),
            Kind::Tree => java_equals(
                &value_at(Some(self.after_schema), a, i),
                &value_at(Some(self.before_schema), b, i),
                false,
            ),
        }
    }
}

/// Row `i` of two non-null cells of the same directly readable type.
fn direct_equal(a: &dyn Array, b: &dyn Array, i: usize) -> bool {
    macro_rules! primitive {
        ($t:ty) => {
            a.as_primitive::<$t>().value(i) == b.as_primitive::<$t>().value(i)
        };
    }
    match a.data_type() {
        DataType::Int8 => primitive!(Int8Type),
        DataType::Int16 => primitive!(Int16Type),
        DataType::Int32 => primitive!(Int32Type),
        DataType::Int64 => primitive!(Int64Type),
        DataType::Decimal128(..) => primitive!(Decimal128Type),
        DataType::Date32 => primitive!(Date32Type),
        DataType::Time32(_) => primitive!(Time32MillisecondType),
        DataType::Timestamp(..) => primitive!(TimestampMillisecondType),
        DataType::Float32 => float_bits_equal(
            f64::from(a.as_primitive::<Float32Type>().value(i)),
            f64::from(b.as_primitive::<Float32Type>().value(i)),
        ),
        DataType::Float64 => float_bits_equal(
            a.as_primitive::<Float64Type>().value(i),
            b.as_primitive::<Float64Type>().value(i),
        ),
        DataType::Boolean => a.as_boolean().value(i) == b.as_boolean().value(i),
        DataType::Utf8View => a.as_string_view().value(i) == b.as_string_view().value(i),
        DataType::Utf8 => a.as_string::<i32>().value(i) == b.as_string::<i32>().value(i),
        _ => false,
    }
}

impl Transform for ExtractChangedRecordState {
    /// Envelope segments: the columnar path (or the per-row fallback where the plan does not
    /// cover the schema); other segments pass unchanged.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let n = input.rows.len();
        let Some(schema) = input.value.schema.clone().filter(|s| is_envelope(Some(s))) else {
            return SegmentOutput::all(n, input.key.clone(), input.value.clone());
        };
        let plan = self
            .plans
            .get_or_try::<std::convert::Infallible>(&schema, || Ok(Self::plan(&schema)));
        let envelope = input.value.data.as_struct_opt().cloned();
        match (plan.ok().as_deref(), envelope) {
            (Some(Some(plan)), Some(envelope)) => self
                .apply_envelope(input, plan, &envelope)
                .unwrap_or_else(|e| SegmentOutput::all_failed(n, &e)),
            _ => whole_record::apply_rows_with_headers(input, self),
        }
    }

    /// Debezium's `apply`.
    fn apply_record(
        &self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.value.is_null() || !is_envelope(record.value_schema.as_ref()) {
            return Ok(Some(record));
        }
        let Value::Struct(envelope) = &record.value else {
            return Err(require_struct_error(
                "Record value should be struct.",
                &record.value,
            ));
        };
        let get = |name: &str| {
            envelope
                .schema
                .field(name)
                .map(|(i, f)| field_value(f, envelope.values.get(i).unwrap_or(&Value::Null), true))
                .ok_or_else(|| not_a_field(name))
        };
        let (after, before) = (get("after")?, get("before")?);
        let (mut changed, mut unchanged) = (Vec::new(), Vec::new());
        if !after.is_null() && !before.is_null() {
            let Value::Struct(after) = after else {
                return Err(require_struct_error(
                    "After value should be struct.",
                    &after,
                ));
            };
            let Value::Struct(before) = before else {
                return Err(require_struct_error(
                    "Before value should be struct.",
                    &before,
                ));
            };
            for (i, field) in after.schema.fields().iter().enumerate() {
                let (b, _) = before
                    .schema
                    .field(&field.name)
                    .ok_or_else(|| not_a_field(&field.name))?;
                let a = after.values.get(i).unwrap_or(&Value::Null);
                let b = before.values.get(b).unwrap_or(&Value::Null);
                let name: Arc<str> = field.name.as_str().into();
                match java_equals(a, b, false) {
                    true => unchanged.push(name),
                    false => changed.push(name),
                }
            }
        }
        let headers = self.headers(&changed, &unchanged);
        record.headers.extend(headers);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::{check, config, meta, value_record};
    use crate::record::column_of;
    use proptest::prelude::*;
    use weir_formats::value::{Decimal, Struct};

    fn row_schema() -> SchemaRef {
        Schema::structure(
            [
                ("id", Schema::new(SchemaKind::Int32)),
                ("name", Schema::new(SchemaKind::String).optional()),
                ("blob", Schema::new(SchemaKind::Bytes).optional()),
                ("score", Schema::new(SchemaKind::Float64).optional()),
                ("price", Schema::decimal(2).optional()),
                (
                    "tags",
                    Schema::new(SchemaKind::Array(
                        Schema::new(SchemaKind::String).optional().into_ref(),
                    ))
                    .optional(),
                ),
            ]
            .map(|(n, s)| (n.to_string(), s.into_ref())),
        )
        .with_name("srv.db.t.Value")
        .optional()
        .into_ref()
    }

    fn envelope_schema() -> SchemaRef {
        Schema::structure(
            [
                ("before", (*row_schema()).clone()),
                ("after", (*row_schema()).clone()),
                ("op", Schema::new(SchemaKind::String)),
            ]
            .map(|(n, s)| (n.to_string(), s.into_ref())),
        )
        .with_name("srv.db.t.Envelope")
        .into_ref()
    }

    type Cells = (
        i32,
        Option<&'static str>,
        Option<u8>,
        Option<f64>,
        Option<i128>,
        bool,
    );

    fn row((id, name, blob, score, price, tags): Cells) -> Value {
        Value::Struct(Struct {
            schema: row_schema(),
            values: vec![
                Value::Int32(id),
                name.map_or(Value::Null, |n| Value::String(n.into())),
                blob.map_or(Value::Null, |b| Value::Bytes(vec![b])),
                score.map_or(Value::Null, Value::Float64),
                price.map_or(Value::Null, |p| {
                    Value::Decimal(Decimal {
                        unscaled: p,
                        scale: 2,
                    })
                }),
                match tags {
                    true => Value::Array(vec![Value::String("a".into())]),
                    false => Value::Null,
                },
            ],
        })
    }

    fn envelope(before: Option<Cells>, after: Option<Cells>) -> Value {
        Value::Struct(Struct {
            schema: envelope_schema(),
            values: vec![
                before.map_or(Value::Null, row),
                after.map_or(Value::Null, row),
                Value::String("u".into()),
            ],
        })
    }

    fn both() -> ExtractChangedRecordState {
        ExtractChangedRecordState::new(&config(&[
            ("header.changed.name", "Changed"),
            ("header.unchanged.name", "Unchanged"),
        ]))
    }

    fn record(value: Value) -> ConnectRecord {
        value_record(Some(envelope_schema()), value)
    }

    fn names(header: &Header) -> Vec<String> {
        match &header.value {
            Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => panic!("not a string: {other:?}"),
                })
                .collect(),
            other => panic!("not a list: {other:?}"),
        }
    }

    #[test]
    fn updates_list_changed_and_unchanged_columns_as_objects_equals_does() {
        let t = both();
        let before = (1, Some("a"), Some(7), Some(f64::NAN), Some(100), true);
        let after = (1, Some("b"), Some(7), Some(f64::NAN), Some(100), true);
        let out = t
            .apply_record(record(envelope(Some(before), Some(after))))
            .expect("ok")
            .expect("kept");
        // A byte[] never equals another; NaN equals NaN; lists compare by content.
        assert_eq!(names(&out.headers[0]), ["name", "blob"]);
        assert_eq!(names(&out.headers[1]), ["id", "score", "price", "tags"]);
        assert_eq!(
            out.headers[0].schema.as_ref().and_then(|s| s.name.clone()),
            Some("Changed".to_string())
        );
        let read = t
            .apply_record(record(envelope(None, Some(after))))
            .expect("ok")
            .expect("kept");
        assert!(read.headers.iter().all(|h| names(h).is_empty()));
        let tombstone = t
            .apply_record(record(Value::Null))
            .expect("ok")
            .expect("kept");
        assert!(tombstone.headers.is_empty());
    }

    #[test]
    fn zero_and_negative_zero_differ() {
        assert!(!java_equals(
            &Value::Float64(0.0),
            &Value::Float64(-0.0),
            false
        ));
        assert!(java_equals(
            &Value::Float32(f32::NAN),
            &Value::Float32(-f32::NAN),
            false
        ));
    }

    #[test]
    fn blank_names_add_no_header() {
        let t = ExtractChangedRecordState::new(&config(&[("header.changed.name", " ")]));
        let out = t
            .apply_record(record(envelope(None, None)))
            .expect("ok")
            .expect("kept");
        assert!(out.headers.is_empty());
    }

    fn arb_cells() -> impl Strategy<Value = Cells> {
        (
            0..2i32,
            prop_oneof![Just(None), Just(Some("a")), Just(Some("b"))],
            prop_oneof![Just(None), Just(Some(1u8))],
            // No NaN: the check compares records with `==`, where NaN differs from itself
            // (the unit test covers NaN).
            prop_oneof![
                Just(None),
                Just(Some(0.0)),
                Just(Some(-0.0)),
                Just(Some(1.5))
            ],
            prop_oneof![Just(None), Just(Some(1i128)), Just(Some(2i128))],
            any::<bool>(),
        )
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(
            events in prop::collection::vec(
                (prop::option::of(arb_cells()), prop::option::of(arb_cells()), any::<bool>()),
                0..10,
            )
        ) {
            let t = both();
            let values: Vec<Value> = events
                .into_iter()
                .map(|(b, a, tombstone)| match tombstone {
                    true => Value::Null,
                    false => envelope(b, a),
                })
                .collect();
            let n = values.len();
            check(&t, (None, vec![Value::Null; n]), (Some(envelope_schema()), values.clone()), false)?;
            let column = column_of(Some(&envelope_schema()), &values).expect("column");
            let key = column_of(None, &vec![Value::Null; n]).expect("key");
            let rows: Vec<u32> = (0..n as u32).collect();
            let mut m = meta(n, false);
            let input = SegmentInput { rows: &rows, key: &key, value: &column, meta: &mut m };
            let expected: Vec<Vec<Header>> = input.records()
                .into_iter()
                .map(|r| t.apply_record(r).expect("ok").expect("kept").headers)
                .collect();
            t.apply(input);
            for (i, e) in expected.iter().enumerate() {
                prop_assert_eq!(m.headers.row(i), e.as_slice(), "row {}", i);
            }
        }
    }
}
