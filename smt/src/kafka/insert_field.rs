//! `InsertField$Key` / `InsertField$Value`: adds the record's topic, partition, offset and
//! timestamp, and a static string, as fields of the key or value (Kafka's `InsertField.java`).
//!
//! Schema'd: the output STRUCT schema (input fields, then the inserted ones, `!` = required,
//! `?` or nothing = optional) is computed once per input schema; per segment the input's child
//! arrays are reused as they are and only the inserted columns are built. Schemaless: the map's
//! columns are reused and the inserted ones appended (or replacing a column of the same name, as
//! `HashMap.put` does). A null key/value passes unchanged.

use std::sync::Arc;

use arrow_array::builder::StringViewBuilder;
use arrow_array::{
    Array, ArrayRef, Int32Array, Int64Array, StructArray, TimestampMillisecondArray,
};
use arrow_schema::{FieldRef, Fields};
use weir_formats::batch::Column;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};

use crate::kernel::arrow_build::{arrow_failure, struct_array};
use crate::kernel::defaults::{children_with_defaults, field_value};
use crate::kernel::fields::{map_put, push_unique_named, put_map_column};
use crate::kernel::per_row::{per_map_column, per_row};
use crate::kernel::requirements::{require_map_error, require_struct_error};
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::schema_copy::copy_schema_basics;
use crate::kernel::segment_output::{assemble, fail_non_null_rows, side_column, RowOutcome};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform, NO_PARTITION};
use crate::{ConfigProblem, Side, TransformConfig};

const PURPOSE: &str = "field insertion";

/// A field to insert: its name and whether it is optional (`InsertionSpec`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spec {
    name: String,
    optional: bool,
}

impl Spec {
    /// `InsertionSpec.parse`: a trailing `?` is optional, `!` required, neither optional.
    fn parse(spec: Option<&str>) -> Option<Spec> {
        let spec = spec?;
        let (name, optional) = if let Some(name) = spec.strip_suffix('?') {
            (name, true)
        } else if let Some(name) = spec.strip_suffix('!') {
            (name, false)
        } else {
            (spec, true)
        };
        Some(Spec {
            name: name.to_string(),
            optional,
        })
    }
}

/// What a record's metadata contributes, in Kafka's insertion order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Topic,
    Partition,
    Offset,
    Timestamp,
    Static,
}

/// InsertField's typed config.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InsertConfig {
    /// The configured insertions in Kafka's order (topic, partition, offset, timestamp, static).
    inserts: Vec<(Source, Spec)>,
    static_value: String,
    replace_null_with_default: bool,
}

impl InsertConfig {
    fn parse(config: &TransformConfig) -> Result<InsertConfig, ConfigProblem> {
        let spec = |key| Spec::parse(config.get(key).map(str::trim));
        let keys = [
            (Source::Topic, "topic.field"),
            (Source::Partition, "partition.field"),
            (Source::Offset, "offset.field"),
            (Source::Timestamp, "timestamp.field"),
            (Source::Static, "static.field"),
        ];
        let inserts: Vec<(Source, Spec)> = keys
            .iter()
            .filter_map(|&(source, key)| spec(key).map(|s| (source, s)))
            .collect();
        let replace_null_with_default = config.boolean_or("replace.null.with.default", true)?;
        if inserts.is_empty() {
            return Err(ConfigProblem::new(
                "topic.field",
                "No field insertion configured",
            ));
        }
        let static_value = config.get("static.value").map(|v| v.trim().to_string());
        let static_spec = inserts.iter().find(|(s, _)| *s == Source::Static);
        if let (Some((_, spec)), None) = (static_spec, &static_value) {
            return Err(ConfigProblem::invalid(
                "static.value",
                "null",
                &format!("No value specified for static field: {}", spec.name),
            ));
        }
        Ok(InsertConfig {
            inserts,
            static_value: static_value.unwrap_or_default(),
            replace_null_with_default,
        })
    }

    /// The Connect schema of an inserted field.
    fn schema_of(source: Source, optional: bool) -> SchemaRef {
        let schema = match source {
            Source::Topic | Source::Static => Schema::new(SchemaKind::String),
            Source::Partition => Schema::new(SchemaKind::Int32),
            Source::Offset => Schema::new(SchemaKind::Int64),
            Source::Timestamp => Schema::timestamp(),
        };
        if optional { schema.optional() } else { schema }.into_ref()
    }
}

/// `InsertField$Key` / `$Value`, configured.
#[derive(Debug)]
pub struct InsertField {
    side: Side,
    config: InsertConfig,
    plans: SchemaCache<SchemaPlan>,
}

/// What InsertField does to one input schema, computed once.
#[derive(Debug)]
enum SchemaPlan {
    /// Not a STRUCT: every non-null row fails `requireStruct`.
    NotStruct,
    /// The output schema cannot be built (a duplicate field name).
    Fails(ConnectError),
    /// The output schema and its Arrow fields.
    Insert { schema: SchemaRef, fields: Fields },
}

impl InsertField {
    /// Parses and validates the config. Cost: once per pipeline.
    pub fn new(config: &TransformConfig, side: Side) -> Result<InsertField, ConfigProblem> {
        Ok(InsertField {
            side,
            config: InsertConfig::parse(config)?,
            plans: SchemaCache::default(),
        })
    }

    /// `makeUpdatedSchema`: the input fields, then the inserted ones.
    fn updated_schema(&self, schema: &Schema) -> Result<Schema, ConnectError> {
        let mut fields = schema.fields().to_vec();
        let mut names = fields.iter().map(|f| f.name.clone()).collect();
        for (source, spec) in &self.config.inserts {
            let field = Field {
                name: spec.name.clone(),
                schema: InsertConfig::schema_of(*source, spec.optional),
            };
            push_unique_named(&mut fields, &mut names, field)?;
        }
        Ok(copy_schema_basics(schema, SchemaKind::Struct(fields)))
    }

    fn plan(&self, schema: &SchemaRef) -> Arc<SchemaPlan> {
        let made = self.plans.get_or_try::<()>(schema, || {
            if !matches!(schema.kind, SchemaKind::Struct(_)) {
                return Ok(SchemaPlan::NotStruct);
            }
            Ok(match self.updated_schema(schema) {
                Ok(updated) => SchemaPlan::Insert {
                    fields: weir_formats::arrow_mapping::struct_fields(updated.fields()),
                    schema: updated.into_ref(),
                },
                Err(e) => SchemaPlan::Fails(e),
            })
        });
        made.unwrap_or_else(|()| Arc::new(SchemaPlan::NotStruct))
    }

    /// The inserted column of `source` for the segment's rows, with the rows whose value cannot
    /// be held (a required timestamp the record lacks) marked in `missing`.
    fn inserted_column(
        &self,
        input: &SegmentInput<'_>,
        source: Source,
        schemaless: bool,
        missing: &mut [bool],
    ) -> ArrayRef {
        let meta = &*input.meta;
        let rows = input.rows.iter().map(|&r| r as usize);
        match source {
            Source::Topic => {
                let mut builder = StringViewBuilder::with_capacity(input.rows.len());
                for &row in input.rows {
                    builder.append_value(meta.topic(row));
                }
                Arc::new(builder.finish())
            }
            Source::Static => {
                let value = self.config.static_value.as_str();
                let mut builder = StringViewBuilder::with_capacity(input.rows.len());
                for _ in input.rows {
                    builder.append_value(value);
                }
                Arc::new(builder.finish())
            }
            Source::Partition => {
                Arc::new(Int32Array::from_iter(rows.map(|r| meta.partitions.get(r))))
            }
            Source::Offset => Arc::new(Int64Array::from_iter_values(
                rows.map(|r| meta.offsets.value(r)),
            )),
            Source::Timestamp => {
                let stamps: Vec<Option<i64>> = rows.map(|r| meta.timestamps.get(r)).collect();
                let required = !self.timestamp_optional();
                if schemaless {
                    return Arc::new(Int64Array::from(stamps));
                }
                for (flag, stamp) in missing.iter_mut().zip(&stamps) {
                    *flag |= required && stamp.is_none();
                }
                if required {
                    let filled = stamps.iter().map(|s| s.unwrap_or(0));
                    return Arc::new(TimestampMillisecondArray::from_iter_values(filled));
                }
                Arc::new(TimestampMillisecondArray::from(stamps))
            }
        }
    }

    fn timestamp_optional(&self) -> bool {
        self.config
            .inserts
            .iter()
            .any(|(s, spec)| *s == Source::Timestamp && spec.optional)
    }

    /// The schema'd path over a STRUCT column.
    fn apply_schema(
        &self,
        input: &SegmentInput<'_>,
        column: &Column,
        source: &SchemaRef,
    ) -> SegmentOutput {
        let (schema, fields) = match &*self.plan(source) {
            SchemaPlan::NotStruct => {
                return fail_non_null_rows(input, self.side, |v| require_struct_error(PURPOSE, v))
            }
            SchemaPlan::Fails(e) => return fail_non_null_rows(input, self.side, |_| e.clone()),
            SchemaPlan::Insert { schema, fields } => (schema.clone(), fields.clone()),
        };
        let Some(array) = column.data.as_any().downcast_ref::<StructArray>() else {
            return per_row(input, self.side, self);
        };
        let children = match children_with_defaults(
            source.fields(),
            array,
            self.config.replace_null_with_default,
        ) {
            Ok(children) => children,
            Err(e) => return SegmentOutput::all_failed(input.rows.len(), &e),
        };
        let mut missing = vec![false; input.rows.len()];
        let mut columns = children;
        for (source, _) in &self.config.inserts {
            columns.push(self.inserted_column(input, *source, false, &mut missing));
        }
        let built = struct_array(fields, columns, array.nulls().cloned(), array.len());
        let new = match built {
            Ok(a) => Column {
                schema: Some(schema),
                data: Arc::new(a),
            },
            Err(e) => return SegmentOutput::all_failed(input.rows.len(), &arrow_failure(e)),
        };
        let outcomes = (0..input.rows.len())
            .map(|i| {
                if array.is_null(i) {
                    RowOutcome::Part(1)
                } else if missing[i] {
                    RowOutcome::Failed(required_timestamp_error())
                } else {
                    RowOutcome::Part(0)
                }
            })
            .collect();
        assemble(input, self.side, vec![new, column.clone()], outcomes)
    }

    /// The schemaless path over a map held as a Struct column.
    fn apply_schemaless(&self, input: &SegmentInput<'_>, array: &StructArray) -> SegmentOutput {
        let stamps = || {
            input
                .rows
                .iter()
                .map(|&r| input.meta.timestamps.get(r as usize))
        };
        let with = self.schemaless_struct(input, array, true);
        let has_timestamp = self
            .config
            .inserts
            .iter()
            .any(|(s, _)| *s == Source::Timestamp);
        if !has_timestamp || stamps().all(|s| s.is_some()) {
            return match with {
                Ok(column) => {
                    let outcomes = vec![RowOutcome::Part(0); input.rows.len()];
                    assemble(input, self.side, vec![column], outcomes)
                }
                Err(e) => SegmentOutput::all_failed(input.rows.len(), &e),
            };
        }
        // Records without a timestamp get no timestamp entry: a second shape.
        let without = self.schemaless_struct(input, array, false);
        let (with, without) = match (with, without) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return SegmentOutput::all_failed(input.rows.len(), &e),
        };
        let outcomes = stamps()
            .map(|s| RowOutcome::Part(usize::from(s.is_none())))
            .collect();
        assemble(input, self.side, vec![with, without], outcomes)
    }

    /// The map's columns with the insertions put (replacing a column of the same name).
    fn schemaless_struct(
        &self,
        input: &SegmentInput<'_>,
        array: &StructArray,
        with_timestamp: bool,
    ) -> Result<Column, ConnectError> {
        let mut fields: Vec<FieldRef> = array.fields().iter().cloned().collect();
        let mut columns: Vec<ArrayRef> = array.columns().to_vec();
        let mut missing = vec![false; input.rows.len()];
        for (source, spec) in &self.config.inserts {
            if *source == Source::Timestamp && !with_timestamp {
                continue;
            }
            let column = self.inserted_column(input, *source, true, &mut missing);
            let position = fields.iter().position(|f| f.name() == &spec.name);
            put_map_column(&mut fields, &mut columns, position, &spec.name, column);
        }
        let built = struct_array(fields.into(), columns, array.nulls().cloned(), array.len())
            .map_err(arrow_failure)?;
        Ok(Column {
            schema: None,
            data: Arc::new(built),
        })
    }

    /// The reference's schemaless path (`applySchemaless`).
    fn record_schemaless(
        &self,
        record: &ConnectRecord,
        value: &Value,
    ) -> Result<Value, ConnectError> {
        let Value::Map(entries) = value else {
            return Err(require_map_error(PURPOSE, value));
        };
        let mut updated = entries.clone();
        for (source, spec) in &self.config.inserts {
            let inserted = match source {
                Source::Topic => Value::String(record.topic.clone()),
                Source::Partition => partition_value(record.partition),
                Source::Offset => Value::Int64(record.offset),
                Source::Timestamp => match record.timestamp {
                    Some(ts) => Value::Int64(ts),
                    None => continue,
                },
                Source::Static => Value::String(self.config.static_value.clone()),
            };
            map_put(&mut updated, &spec.name, inserted);
        }
        Ok(Value::Map(updated))
    }

    /// The reference's schema'd path (`applyWithSchema`).
    fn record_with_schema(
        &self,
        record: &ConnectRecord,
        value: &Value,
    ) -> Result<(SchemaRef, Value), ConnectError> {
        let Value::Struct(value) = value else {
            return Err(require_struct_error(PURPOSE, value));
        };
        let schema = self.updated_schema(&value.schema)?.into_ref();
        let mut values: Vec<Value> = value
            .schema
            .fields()
            .iter()
            .zip(&value.values)
            .map(|(f, v)| field_value(f, v, self.config.replace_null_with_default))
            .collect();
        for (source, spec) in &self.config.inserts {
            values.push(match source {
                Source::Topic => Value::String(record.topic.clone()),
                Source::Partition => partition_value(record.partition),
                Source::Offset => Value::Int64(record.offset),
                Source::Timestamp => match record.timestamp {
                    Some(ts) => Value::Date(ts),
                    // Kafka's Struct holds null and its converter fails the record; weir fails it
                    // here, as an Arrow column cannot hold the null.
                    None if !spec.optional => return Err(required_timestamp_error()),
                    None => Value::Null,
                },
                Source::Static => Value::String(self.config.static_value.clone()),
            });
        }
        Ok((schema.clone(), Value::Struct(Struct { schema, values })))
    }
}

impl Transform for InsertField {
    fn handles_variants(&self) -> bool {
        true
    }

    /// Only its own side.
    fn touches(&self, side: Side) -> bool {
        side == self.side
    }

    /// No header: it reads and writes the record's fields and metadata only.
    fn header_use(&self) -> crate::HeaderUse {
        crate::HeaderUse::NONE
    }

    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let column = side_column(&input, self.side).clone();
        match &column.schema {
            Some(schema) => self.apply_schema(&input, &column, schema),
            None => per_map_column(&input, self.side, self, &column, |array| {
                self.apply_schemaless(&input, array)
            }),
        }
    }

    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.side(self.side).1.is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = record.applied_side(
            self.side,
            |value| self.record_schemaless(&record, value),
            |_, value| self.record_with_schema(&record, value),
        )?;
        Ok(Some(record.with_side(self.side, schema, value)))
    }
}

/// The message weir gives for a required timestamp field of a record without a timestamp.
fn required_timestamp_error() -> ConnectError {
    ConnectError::data(
        "Conversion error: null value for field that is required and has no default value",
    )
}

/// The partition as InsertField puts it: `Integer` or null (after a transform set none).
fn partition_value(partition: i32) -> Value {
    if partition == NO_PARTITION {
        Value::Null
    } else {
        Value::Int32(partition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::*;
    use proptest::prelude::*;

    fn insert(pairs: &[(&str, &str)], side: Side) -> InsertField {
        InsertField::new(&config(pairs), side).expect("valid config")
    }

    fn full() -> Vec<(&'static str, &'static str)> {
        vec![
            ("topic.field", "t"),
            ("partition.field", "p!"),
            ("offset.field", "o?"),
            ("timestamp.field", "ts"),
            ("static.field", "s"),
            ("static.value", "v"),
        ]
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference_schemad(
            (schema, values) in struct_rows(),
            replace in any::<bool>(),
            required_ts in any::<bool>(),
            gaps in any::<bool>(),
        ) {
            let mut pairs = full();
            pairs.push(("replace.null.with.default", if replace { "true" } else { "false" }));
            if required_ts {
                pairs[3] = ("timestamp.field", "ts!");
            }
            let t = insert(&pairs, Side::Value);
            let keys = vec![Value::Null; values.len()];
            check(&t, (None, keys), (Some(schema), values), gaps)?;
        }

        #[test]
        fn kernel_agrees_with_reference_schemaless(rows in schemaless_rows(), gaps in any::<bool>(), on_key in any::<bool>()) {
            let side = if on_key { Side::Key } else { Side::Value };
            let t = insert(&[("topic.field", "a"), ("offset.field", "o"), ("timestamp.field", "ts")], side);
            let others = vec![Value::String("k".into()); rows.len()];
            let (key, value) = if on_key { (rows, others) } else { (others, rows) };
            check(&t, (None, key), (None, value), gaps)?;
        }

        #[test]
        fn kernel_agrees_with_reference_on_ragged_records(rows in ragged_rows(), on_key in any::<bool>()) {
            let side = if on_key { Side::Key } else { Side::Value };
            let t = insert(&[("topic.field", "a"), ("static.field", "b"), ("static.value", "v")], side);
            check_decoded(&t, side, &rows)?;
        }
    }

    #[test]
    fn specs_parse_kafkas_suffixes() {
        assert_eq!(
            Spec::parse(Some("a!")),
            Some(Spec {
                name: "a".into(),
                optional: false
            })
        );
        assert_eq!(
            Spec::parse(Some("a?")),
            Some(Spec {
                name: "a".into(),
                optional: true
            })
        );
        assert_eq!(
            Spec::parse(Some("a")),
            Some(Spec {
                name: "a".into(),
                optional: true
            })
        );
        assert_eq!(Spec::parse(None), None);
    }

    #[test]
    fn duplicate_names_fail_non_null_rows_and_pass_nulls() {
        let schema = Schema::structure([(
            "name".to_string(),
            Schema::new(SchemaKind::String).into_ref(),
        )])
        .optional()
        .into_ref();
        let row = Value::Struct(Struct {
            schema: schema.clone(),
            values: vec![Value::String("x".into())],
        });
        let t = insert(
            &[("static.field", "name"), ("static.value", "v")],
            Side::Value,
        );
        let (out, _) = apply_to_values(&t, Some(&schema), &[row, Value::Null]);
        assert_eq!(out.errors.len(), 1);
        assert_eq!(
            out.errors[0].1.message,
            "Cannot create field because of field name duplication name"
        );
        assert_eq!(out.parts.len(), 1);
        assert_eq!(out.parts[0].indices, vec![1]);
        assert!(Arc::ptr_eq(
            out.parts[0].value.schema.as_ref().unwrap(),
            &schema
        ));
    }

    #[test]
    fn schemaless_existing_name_is_overwritten_and_missing_timestamp_omits_the_entry() {
        let row = Value::Map(vec![(Value::String("name".into()), Value::Int64(1))]);
        let t = insert(
            &[
                ("static.field", "name"),
                ("static.value", "v"),
                ("timestamp.field", "ts"),
            ],
            Side::Value,
        );
        let mut record = ConnectRecord {
            offset: 1,
            ..value_record(None, row)
        };
        let out = t.apply_record(record.clone()).unwrap().unwrap();
        assert_eq!(
            out.value,
            Value::Map(vec![(
                Value::String("name".into()),
                Value::String("v".into())
            )])
        );
        record.timestamp = Some(5);
        let out = t.apply_record(record).unwrap().unwrap();
        assert_eq!(
            out.value,
            Value::Map(vec![
                (Value::String("name".into()), Value::String("v".into())),
                (Value::String("ts".into()), Value::Int64(5)),
            ])
        );
    }

    #[test]
    fn non_map_schemaless_values_fail_require_map() {
        let t = insert(&[("topic.field", "t")], Side::Value);
        let record = ConnectRecord {
            offset: 1,
            ..value_record(None, Value::Int64(3))
        };
        assert_eq!(
            t.apply_record(record).unwrap_err().message,
            "Only Map objects supported in absence of schema for [field insertion], found: java.lang.Long"
        );
    }

    #[test]
    fn config_errors_match_kafka() {
        let e = InsertField::new(&config(&[]), Side::Value).unwrap_err();
        assert_eq!(e.message, "No field insertion configured");
        let e = InsertField::new(&config(&[("static.field", "s")]), Side::Value).unwrap_err();
        assert_eq!(e.key, "static.value");
        assert_eq!(
            e.message,
            "Invalid value null for configuration static.value: No value specified for static field: s"
        );
        let e = InsertField::new(
            &config(&[("topic.field", "t"), ("replace.null.with.default", "maybe")]),
            Side::Value,
        )
        .unwrap_err();
        assert_eq!(e.key, "replace.null.with.default");
    }
}
