//! `io.debezium.transforms.ExtractSchemaToNewRecord`: adds to a Debezium change event a
//! `sourceSchema` block describing the source table's columns, read from the `after` schema's
//! `__debezium.source.column.*` parameters (set by `column.propagate.source.type`), as Debezium
//! 3.6.1's `ExtractSchemaToNewRecord.java` does.
//!
//! Like Debezium, the block (`id` = `source.table`, `table.columns[]` = name, typeName, length,
//! scale, comment) is computed once per envelope schema, from the first event of that schema, and
//! reused for every later event of it. Tombstones, truncates (no `before` nor `after`) and
//! values that are not envelopes pass unchanged. The copied envelope fields take their default
//! where null (`Struct.get`).
//!
//! Kernel: the output schema and the block are built once per schema; per segment the envelope's
//! children are moved into the new struct (a default filled where one applies) beside the block
//! repeated with one `take`, no row data copied.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, StructArray, UInt32Array};
use weir_formats::arrow_mapping::arrow_type;
use weir_formats::batch::Column;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};
use weir_formats::value_array::{value_at, values_to_array};

use super::change_event::is_envelope;
use crate::kernel::arrow_build::{arrow_failure, struct_array};
use crate::kernel::defaults::{field_value, fill_default};
use crate::kernel::fields::push_unique;
use crate::kernel::requirements::require_struct_error;
use crate::kernel::routing::subset;
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::schema_copy::copy_schema_basics;
use crate::kernel::segment_output::fail_non_null_rows;
use crate::record::ConnectRecord;
use crate::transform::{OutputPart, SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

const SOURCE_SCHEMA: &str = "sourceSchema";
const PURPOSE: &str = "field extraction";
const NOT_PROPAGATED: &str = "Ensure that enable configurations \"column.propagate.source.type\" or \"datatype.propagate.source.type\" and the value is set to \".*\"";

/// `ExtractSchemaToNewRecord`. Cost: nothing to parse (it has no settings of its own).
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(ExtractSchemaToNewRecord::new(config)?))
}

/// What one envelope schema gets: the output schema and the `sourceSchema` block.
#[derive(Debug)]
struct Plan {
    schema: SchemaRef,
    block: Value,
    /// `block` as a one-row array of the block's schema.
    block_array: ArrayRef,
}

/// `ExtractSchemaToNewRecord`, configured.
#[derive(Debug)]
pub struct ExtractSchemaToNewRecord {
    plans: SchemaCache<Plan>,
}

/// `io.debezium.connector.source.schema.Column`.
fn column_schema() -> SchemaRef {
    let s = |kind| Schema::new(kind).into_ref();
    let o = |kind| Schema::new(kind).optional().into_ref();
    Schema::structure([
        ("name".to_string(), s(SchemaKind::String)),
        ("typeName".to_string(), s(SchemaKind::String)),
        ("length".to_string(), o(SchemaKind::Int32)),
        ("scale".to_string(), o(SchemaKind::Int32)),
        ("comment".to_string(), o(SchemaKind::String)),
    ])
    .with_name("io.debezium.connector.source.schema.Column")
    .with_version(1)
    .into_ref()
}

/// `io.debezium.connector.source.Schema` (with its `Table` block).
fn block_schema() -> SchemaRef {
    let table = Schema::structure([(
        "columns".to_string(),
        Schema::new(SchemaKind::Array(column_schema())).into_ref(),
    )])
    .with_name("io.debezium.connector.source.schema.Table")
    .with_version(1)
    .into_ref();
    Schema::structure([
        ("id".to_string(), Schema::new(SchemaKind::String).into_ref()),
        ("table".to_string(), table),
    ])
    .with_name("io.debezium.connector.source.Schema")
    .with_version(1)
    .into_ref()
}

/// `Integer.parseInt` of a column parameter.
fn parse_int(text: &str) -> Result<Value, ConnectError> {
    text.parse::<i32>()
        .map(Value::Int32)
        .map_err(|_| ConnectError::data(format!("For input string: \"{text}\"")))
}

impl ExtractSchemaToNewRecord {
    /// Debezium validates no key of its own here (`schema.name.adjustment.mode` only renames
    /// schemas whose names are already valid Avro names).
    pub fn new(_config: &TransformConfig) -> Result<ExtractSchemaToNewRecord, ConfigProblem> {
        Ok(ExtractSchemaToNewRecord {
            plans: SchemaCache::default(),
        })
    }

    /// `makeUpdatedSchema` from the envelope `value` (of `schema`) whose `after` schema is
    /// `after`.
    fn make_plan(schema: &Schema, value: &Struct, after: &Schema) -> Result<Plan, ConnectError> {
        let mut fields = schema.fields().to_vec();
        let block_schema = block_schema();
        push_unique(
            &mut fields,
            Field {
                name: SOURCE_SCHEMA.to_string(),
                schema: block_schema.clone(),
            },
        )?;
        let out = copy_schema_basics(schema, SchemaKind::Struct(fields)).into_ref();
        let (s, source_field) = schema
            .field("source")
            .ok_or_else(|| ConnectError::data("source is not a valid field name"))?;
        let source = match field_value(source_field, value.values.get(s).unwrap_or(&Value::Null), true) {
            Value::Struct(source) => source,
            Value::Null => {
                return Err(ConnectError::data(
                    "Cannot invoke \"org.apache.kafka.connect.data.Struct.get(String)\" because \"sourceStruct\" is null",
                ))
            }
            other => {
                return Err(ConnectError::data(format!(
                    "class {} cannot be cast to class org.apache.kafka.connect.data.Struct",
                    other.java_class()
                )))
            }
        };
        let (t, table_field) = source
            .schema
            .field("table")
            .ok_or_else(|| ConnectError::data("table is not a valid field name"))?;
        let id = match field_value(
            table_field,
            source.values.get(t).unwrap_or(&Value::Null),
            true,
        ) {
            Value::String(id) => Value::String(id),
            Value::Null => {
                return Err(ConnectError::data(
                    "Invalid value: null used for required field: \"id\", schema type: STRING",
                ))
            }
            other => {
                return Err(ConnectError::data(format!(
                    "Invalid Java object for schema with type STRING: class {} for field: \"id\"",
                    other.java_class()
                )))
            }
        };
        let SchemaKind::Struct(columns) = &after.kind else {
            return Err(ConnectError::data("Cannot list fields on non-struct type"));
        };
        let column_schema = column_schema();
        let mut rows = Vec::with_capacity(columns.len());
        for column in columns {
            let parameter = |key: &str| {
                column
                    .schema
                    .parameter(&format!("__debezium.source.column.{key}"))
            };
            let (Some(name), Some(type_name)) = (parameter("name"), parameter("type")) else {
                return Err(ConnectError::data(NOT_PROPAGATED));
            };
            let length = parameter("length").map(parse_int).transpose()?;
            let scale = parameter("scale").map(parse_int).transpose()?;
            rows.push(Value::Struct(Struct {
                schema: column_schema.clone(),
                values: vec![
                    Value::String(name.to_string()),
                    Value::String(type_name.to_string()),
                    length.unwrap_or(Value::Null),
                    scale.unwrap_or(Value::Null),
                    parameter("comment").map_or(Value::Null, |c| Value::String(c.to_string())),
                ],
            }));
        }
        let table_schema = block_schema
            .field("table")
            .map(|(_, f)| f.schema.clone())
            .ok_or_else(|| ConnectError::data("the block schema has no table"))?;
        let block = Value::Struct(Struct {
            schema: block_schema.clone(),
            values: vec![
                id,
                Value::Struct(Struct {
                    schema: table_schema,
                    values: vec![Value::Array(rows)],
                }),
            ],
        });
        let block_array = values_to_array(Some(&block_schema), std::slice::from_ref(&block))?;
        Ok(Plan {
            schema: out,
            block,
            block_array,
        })
    }

    /// `ExtractField$Value` of `name` on the envelope: the field and its value (with default).
    fn extract<'s>(
        schema: &'s Schema,
        value: &Struct,
        name: &str,
    ) -> Result<(&'s Field, Value), ConnectError> {
        let (i, field) = schema
            .field(name)
            .ok_or_else(|| ConnectError::data(format!("Unknown field: {name}")))?;
        Ok((
            field,
            field_value(field, value.values.get(i).unwrap_or(&Value::Null), true),
        ))
    }

    /// The columnar path over a STRUCT envelope column.
    fn apply_envelope(
        &self,
        input: SegmentInput<'_>,
        schema: &SchemaRef,
        envelope: &StructArray,
    ) -> Result<SegmentOutput, ConnectError> {
        let n = input.rows.len();
        let state = |name: &str| -> Result<(usize, Field), ConnectError> {
            schema
                .field(name)
                .map(|(i, f)| (i, f.clone()))
                .ok_or_else(|| ConnectError::data(format!("Unknown field: {name}")))
        };
        let (after, after_field) = match state("after") {
            Ok(found) => found,
            Err(e) => return Ok(fail_non_null_rows(&input, Side::Value, |_| e.clone())),
        };
        let (before, before_field) = match state("before") {
            Ok(found) => found,
            Err(e) => return Ok(fail_non_null_rows(&input, Side::Value, |_| e.clone())),
        };
        let after_column = fill_default(&after_field.schema, envelope.column(after))?;
        let before_column = fill_default(&before_field.schema, envelope.column(before))?;
        // Rows that change: not null, and not a truncate (both states null).
        let changing: Vec<bool> = (0..n)
            .map(|i| {
                envelope.is_valid(i) && (after_column.is_valid(i) || before_column.is_valid(i))
            })
            .collect();
        let mut output = SegmentOutput::default();
        let mut plan = None;
        for i in (0..n).filter(|&i| changing[i]) {
            let made = self.plans.get_or_try(schema, || {
                let Value::Struct(value) = value_at(Some(schema), envelope, i) else {
                    return Err(ConnectError::data("the envelope row is not a struct"));
                };
                Self::make_plan(schema, &value, &after_field.schema)
            });
            match made {
                Ok(p) => {
                    plan = Some(p);
                    break;
                }
                Err(e) => output.errors.push((i as u32, e)),
            }
        }
        let failed: Vec<u32> = output.errors.iter().map(|(i, _)| *i).collect();
        let unchanged: Vec<u32> = (0..n as u32).filter(|&i| !changing[i as usize]).collect();
        let changed: Vec<u32> = (0..n as u32)
            .filter(|&i| changing[i as usize] && !failed.contains(&i))
            .collect();
        if !unchanged.is_empty() {
            output
                .parts
                .push(part(&input, unchanged, input.value.clone())?);
        }
        if let (Some(plan), false) = (plan, changed.is_empty()) {
            let column = self.built(&plan, schema, envelope)?;
            output.parts.push(part(&input, changed, column)?);
        }
        Ok(output)
    }

    /// The new envelope column: the input's children (defaults filled) and the block repeated.
    fn built(
        &self,
        plan: &Plan,
        schema: &Schema,
        envelope: &StructArray,
    ) -> Result<Column, ConnectError> {
        let mut children = schema
            .fields()
            .iter()
            .zip(envelope.columns())
            .map(|(f, c)| fill_default(&f.schema, c))
            .collect::<Result<Vec<_>, _>>()?;
        let zeros = UInt32Array::from(vec![0u32; envelope.len()]);
        children.push(
            arrow_select::take::take(plan.block_array.as_ref(), &zeros, None)
                .map_err(arrow_failure)?,
        );
        let arrow_schema::DataType::Struct(fields) = arrow_type(&plan.schema) else {
            return Err(ConnectError::data("the output schema is not a struct"));
        };
        let array = struct_array(fields, children, envelope.nulls().cloned(), envelope.len())
            .map_err(arrow_failure)?;
        Ok(Column {
            schema: Some(plan.schema.clone()),
            data: Arc::new(array),
        })
    }
}

/// The part of rows `indices` whose value is `column` (segment-length) and key the input's.
fn part(
    input: &SegmentInput<'_>,
    indices: Vec<u32>,
    column: Column,
) -> Result<OutputPart, ConnectError> {
    let whole = indices.len() == input.rows.len();
    Ok(OutputPart {
        key: if whole {
            input.key.clone()
        } else {
            subset(input.key, &indices)?
        },
        value: if whole {
            column
        } else {
            subset(&column, &indices)?
        },
        indices,
    })
}

impl Transform for ExtractSchemaToNewRecord {
    /// Envelope segments: the columnar path; anything else passes unchanged.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let n = input.rows.len();
        let Some(schema) = input.value.schema.clone().filter(|s| is_envelope(Some(s))) else {
            return SegmentOutput::all(n, input.key.clone(), input.value.clone());
        };
        let Some(envelope) = input.value.data.as_struct_opt().cloned() else {
            return fail_non_null_rows(&input, Side::Value, |v| require_struct_error(PURPOSE, v));
        };
        let mut output = self
            .apply_envelope(input, &schema, &envelope)
            .unwrap_or_else(|e| SegmentOutput::all_failed(n, &e));
        output.errors.sort_by_key(|(i, _)| *i);
        output
    }

    /// Debezium's `apply`.
    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.value.is_null() {
            return Ok(Some(record));
        }
        let Some(schema) = record.value_schema.clone().filter(|s| is_envelope(Some(s))) else {
            return Ok(Some(record));
        };
        let Value::Struct(value) = &record.value else {
            return Err(require_struct_error(PURPOSE, &record.value));
        };
        let (after_field, after) = Self::extract(&schema, value, "after")?;
        let (_, before) = Self::extract(&schema, value, "before")?;
        if after.is_null() && before.is_null() {
            return Ok(Some(record));
        }
        let plan = self.plans.get_or_try(&schema, || {
            Self::make_plan(&schema, value, &after_field.schema)
        })?;
        let mut values: Vec<Value> = schema
            .fields()
            .iter()
            .zip(&value.values)
            .map(|(f, v)| field_value(f, v, true))
            .collect();
        values.push(plan.block.clone());
        let new_value = Value::Struct(Struct {
            schema: plan.schema.clone(),
            values,
        });
        Ok(Some(record.with_side(
            Side::Value,
            Some(plan.schema.clone()),
            new_value,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::{check, config, value_record};
    use proptest::prelude::*;

    fn column(
        name: &str,
        kind: SchemaKind,
        length: Option<&str>,
        comment: Option<&str>,
    ) -> SchemaRef {
        let mut s = Schema::new(kind)
            .optional()
            .with_parameter("__debezium.source.column.name", name)
            .with_parameter("__debezium.source.column.type", "T");
        if let Some(l) = length {
            s = s.with_parameter("__debezium.source.column.length", l);
        }
        if let Some(c) = comment {
            s = s.with_parameter("__debezium.source.column.comment", c);
        }
        s.into_ref()
    }

    fn row_schema(length: &str) -> SchemaRef {
        Schema::structure([
            (
                "id".to_string(),
                column("id", SchemaKind::Int32, Some(length), None),
            ),
            (
                "name".to_string(),
                column("name", SchemaKind::String, None, Some("the name")),
            ),
        ])
        .optional()
        .into_ref()
    }

    fn envelope_schema(length: &str) -> SchemaRef {
        let source = Schema::structure([(
            "table".to_string(),
            Schema::new(SchemaKind::String).optional().into_ref(),
        )])
        .into_ref();
        Schema::structure([
            ("before".to_string(), row_schema(length)),
            ("after".to_string(), row_schema(length)),
            ("source".to_string(), source),
            (
                "op".to_string(),
                Schema::new(SchemaKind::String)
                    .optional()
                    .with_default(Value::String("c".into()))
                    .into_ref(),
            ),
        ])
        .with_name("srv.db.t.Envelope")
        .with_version(2)
        .into_ref()
    }

    fn row(length: &str, id: i32) -> Value {
        Value::Struct(Struct {
            schema: row_schema(length),
            values: vec![Value::Int32(id), Value::Null],
        })
    }

    fn envelope(schema: &SchemaRef, before: Value, after: Value, table: Option<&str>) -> Value {
        let schema = schema.clone();
        let source = Value::Struct(Struct {
            schema: schema
                .field("source")
                .map(|(_, f)| f.schema.clone())
                .expect("source"),
            values: vec![table.map_or(Value::Null, |t| Value::String(t.into()))],
        });
        Value::Struct(Struct {
            schema,
            values: vec![before, after, source, Value::Null],
        })
    }

    fn transform() -> ExtractSchemaToNewRecord {
        ExtractSchemaToNewRecord::new(&config(&[])).expect("valid")
    }

    fn record(value: Value) -> ConnectRecord {
        let schema = match &value {
            Value::Struct(s) => Some(s.schema.clone()),
            _ => None,
        };
        value_record(schema, value)
    }

    #[test]
    fn adds_the_block_from_the_first_event_of_a_schema() {
        let t = transform();
        let schema = envelope_schema("10");
        let first = t
            .apply_record(record(envelope(
                &schema,
                Value::Null,
                row("10", 1),
                Some("products"),
            )))
            .expect("ok")
            .expect("kept");
        let Value::Struct(s) = &first.value else {
            panic!("not a struct")
        };
        assert_eq!(
            s.schema.fields().last().map(|f| f.name.as_str()),
            Some(SOURCE_SCHEMA)
        );
        assert_eq!(s.schema.version, Some(2));
        // The null `op` takes its default.
        assert_eq!(s.values[3], Value::String("c".into()));
        let Value::Struct(block) = &s.values[4] else {
            panic!("no block")
        };
        assert_eq!(block.values[0], Value::String("products".into()));
        // Later events of the same schema reuse the block, whatever their table.
        let later = t
            .apply_record(record(envelope(
                &schema,
                row("10", 1),
                Value::Null,
                Some("other"),
            )))
            .expect("ok")
            .expect("kept");
        let Value::Struct(s) = &later.value else {
            panic!("not a struct")
        };
        let Value::Struct(block) = &s.values[4] else {
            panic!("no block")
        };
        assert_eq!(block.values[0], Value::String("products".into()));
        let truncate = record(envelope(&schema, Value::Null, Value::Null, Some("x")));
        assert_eq!(
            t.apply_record(truncate.clone()).expect("ok"),
            Some(truncate)
        );
    }

    #[test]
    fn bad_metadata_fails_the_event() {
        let t = transform();
        let bad = t.apply_record(record(envelope(
            &envelope_schema("x"),
            Value::Null,
            row("x", 1),
            Some("p"),
        )));
        assert_eq!(
            bad.expect_err("not a number").message,
            "For input string: \"x\""
        );
        let no_table = t.apply_record(record(envelope(
            &envelope_schema("1"),
            Value::Null,
            row("1", 1),
            None,
        )));
        assert!(no_table.is_err());
    }

    /// The kernel on one instance, the reference on another: each keeps its own cache, as
    /// Debezium's single instance would for its one pass.
    #[derive(Debug)]
    struct Pair(ExtractSchemaToNewRecord, ExtractSchemaToNewRecord);

    impl Transform for Pair {
        fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
            self.0.apply(input)
        }
        fn apply_record(
            &self,
            record: ConnectRecord,
        ) -> Result<Option<ConnectRecord>, ConnectError> {
            self.1.apply_record(record)
        }
    }

    fn arb_event(schema: SchemaRef, length: &'static str) -> impl Strategy<Value = Value> {
        let state = prop_oneof![
            Just(Value::Null),
            (0..3i32).prop_map(move |i| row(length, i))
        ];
        let table = prop_oneof![Just(None), Just(Some("products")), Just(Some("other"))];
        prop_oneof![
            1 => Just(Value::Null),
            5 => (state.clone(), state, table).prop_map(move |(b, a, t)| envelope(&schema, b, a, t)),
        ]
    }

    thread_local! {
        static GOOD: SchemaRef = envelope_schema("10");
        static BAD: SchemaRef = envelope_schema("bad");
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(good in any::<bool>(), values in prop::collection::vec(arb_event(GOOD.with(Clone::clone), "10"), 0..8), bad in prop::collection::vec(arb_event(BAD.with(Clone::clone), "bad"), 0..4)) {
            let (schema, values) = if good { (GOOD.with(Clone::clone), values) } else { (BAD.with(Clone::clone), bad) };
            let n = values.len();
            let pair = Pair(transform(), transform());
            check(&pair, (None, vec![Value::Null; n]), (Some(schema), values), false)?;
        }
    }
}
