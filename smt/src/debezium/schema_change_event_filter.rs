//! `io.debezium.transforms.SchemaChangeEventFilter`: drops schema-change events (values whose
//! schema name ends with `.SchemaChangeValue` or `.SchemaChangeKey`) of the DDL types listed in
//! `schema.change.event.exclude.list` (Debezium's `SchemaChangeEventFilter.java`).
//!
//! An event's type is the `type` of its first `tableChanges` entry, `DATABASE` when the list is
//! empty; a null `tableChanges` drops the event. Everything else (change events, heartbeats,
//! tombstones, schemaless values) passes unchanged.
//!
//! Kernel: the schema checks once per segment; per row only the list offsets and the first
//! entry's `type` string are read, and the kept rows are taken from the input columns (no row
//! data rebuilt).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, StructArray};
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind};
use weir_formats::value::Value;
use weir_formats::value_array::value_at;

use super::whole_record;
use crate::debezium::change_event::java_split;
use crate::kernel::defaults::field_value;
use crate::kernel::requirements::require_struct_error;
use crate::kernel::routing::subset;
use crate::kernel::segment_output::fail_non_null_rows;
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

const EXCLUDE_LIST: &str = "schema.change.event.exclude.list";
const TABLE_CHANGES: &str = "tableChanges";
const PURPOSE: &str = "Read schema change event to filter";
const ENUM_CLASS: &str = "io.debezium.schema.SchemaChangeEvent.SchemaChangeEventType";

/// Debezium's `SchemaChangeEvent.SchemaChangeEventType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventType {
    Create,
    Alter,
    Drop,
    Truncate,
    Database,
}

impl EventType {
    /// `SchemaChangeEventType.valueOf(name)`: exact, case-sensitive.
    fn value_of(name: &str) -> Option<EventType> {
        Some(match name {
            "CREATE" => EventType::Create,
            "ALTER" => EventType::Alter,
            "DROP" => EventType::Drop,
            "TRUNCATE" => EventType::Truncate,
            "DATABASE" => EventType::Database,
            _ => return None,
        })
    }

    /// `valueOf`'s IllegalArgumentException message.
    fn no_constant(name: &str) -> String {
        format!("No enum constant {ENUM_CLASS}.{name}")
    }
}

/// Whether `schema` is a schema-change event's (`SmtManager.isValidSchemaChange`).
pub(crate) fn is_schema_change(schema: &Schema) -> bool {
    schema
        .name
        .as_deref()
        .is_some_and(|n| n.ends_with(".SchemaChangeValue") || n.ends_with(".SchemaChangeKey"))
}

/// `SchemaChangeEventFilter`. Cost: parses the list once per pipeline.
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(SchemaChangeEventFilter::new(config)?))
}

/// `SchemaChangeEventFilter`, configured.
#[derive(Debug)]
pub struct SchemaChangeEventFilter {
    excluded: Vec<EventType>,
}

/// What happens to one row.
enum Fate {
    Keep,
    Drop,
    Fail(ConnectError),
}

impl SchemaChangeEventFilter {
    /// Reads the required `schema.change.event.exclude.list` (Java `String.split(",")`, each
    /// name trimmed and matched exactly).
    pub fn new(config: &TransformConfig) -> Result<SchemaChangeEventFilter, ConfigProblem> {
        let raw = config.get(EXCLUDE_LIST).unwrap_or("");
        if raw.trim().is_empty() {
            let value = config.get(EXCLUDE_LIST).unwrap_or("null");
            let reason = format!("The '{EXCLUDE_LIST}' value is invalid: A value is required");
            return Err(ConfigProblem::invalid(EXCLUDE_LIST, value, &reason));
        }
        let excluded = java_split(raw, ',')
            .into_iter()
            .map(|n| {
                EventType::value_of(n.trim()).ok_or_else(|| {
                    ConfigProblem::new(EXCLUDE_LIST, EventType::no_constant(n.trim()))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(SchemaChangeEventFilter { excluded })
    }

    /// The verdict for an event of `type_name`.
    fn verdict(&self, type_name: Option<&str>) -> Fate {
        let Some(name) = type_name else {
            return Fate::Fail(ConnectError::data("Name is null"));
        };
        match EventType::value_of(name) {
            Some(t) if self.excluded.contains(&t) => Fate::Drop,
            Some(_) => Fate::Keep,
            None => Fate::Fail(ConnectError::data(EventType::no_constant(name))),
        }
    }

    /// The fate of row `i` of a schema-change STRUCT column whose `tableChanges` is child
    /// `index` with item schema `item`.
    fn row_fate(&self, envelope: &StructArray, index: usize, item: &Schema, i: usize) -> Fate {
        if envelope.is_null(i) {
            return Fate::Keep;
        }
        let list = envelope.column(index);
        let Some(list) = list.as_list_opt::<i32>() else {
            return Fate::Fail(ConnectError::data("tableChanges is not a list column"));
        };
        if list.is_null(i) {
            return Fate::Drop;
        }
        let range = list.value_offsets()[i] as usize..list.value_offsets()[i + 1] as usize;
        if range.is_empty() {
            return self.verdict(Some("DATABASE"));
        }
        first_type(list.values(), item, range.start)
            .map_or_else(Fate::Fail, |t| self.verdict(t.as_deref()))
    }
}

/// The `type` of the first `tableChanges` entry (`(String) entry.get("type")`), at row `at` of
/// the list's items. Cost: one string read.
fn first_type(items: &ArrayRef, item: &Schema, at: usize) -> Result<Option<String>, ConnectError> {
    if !matches!(item.kind, SchemaKind::Struct(_)) || items.is_null(at) {
        return entry_type(
            &value_at(Some(&Arc::new(item.clone())), items.as_ref(), at),
            item,
        );
    }
    let (index, field) = type_field(item)?;
    let Some(entries) = items.as_struct_opt() else {
        return Err(ConnectError::data(
            "tableChanges items are not a struct column",
        ));
    };
    let value = value_at(Some(&field.schema), entries.column(index).as_ref(), at);
    type_name(field_value(field, &value, true))
}

/// The `type` field of a table-change entry schema.
fn type_field(item: &Schema) -> Result<(usize, &Field), ConnectError> {
    item.field("type")
        .ok_or_else(|| ConnectError::data("type is not a valid field name"))
}

/// `(String) entry.get("type")` over a value tree, with Java's cast and null errors.
fn entry_type(entry: &Value, item: &Schema) -> Result<Option<String>, ConnectError> {
    match entry {
        Value::Struct(s) => {
            let (index, field) = type_field(item)?;
            type_name(field_value(field, s.values.get(index).unwrap_or(&Value::Null), true))
        }
        Value::Null => Err(ConnectError::data(
            "Cannot invoke \"org.apache.kafka.connect.data.Struct.get(String)\" because the return value of \"java.util.List.get(int)\" is null",
        )),
        other => Err(ConnectError::data(format!(
            "class {} cannot be cast to class org.apache.kafka.connect.data.Struct",
            other.java_class()
        ))),
    }
}

/// The `(String)` cast of a `type` value.
fn type_name(value: Value) -> Result<Option<String>, ConnectError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Err(ConnectError::data(format!(
            "class {} cannot be cast to class java.lang.String",
            other.java_class()
        ))),
    }
}

/// `Struct.getArray(tableChanges)`'s checks on the schema: the field index and its item schema.
fn table_changes(schema: &Schema) -> Result<(usize, &Schema), ConnectError> {
    let (index, field) = schema
        .field(TABLE_CHANGES)
        .ok_or_else(|| ConnectError::data(format!("{TABLE_CHANGES} is not a valid field name")))?;
    match &field.schema.kind {
        SchemaKind::Array(item) => Ok((index, item)),
        _ => Err(ConnectError::data(format!(
            "Field '{TABLE_CHANGES}' is not of type ARRAY"
        ))),
    }
}

impl Transform for SchemaChangeEventFilter {
    /// Non-schema-change segments pass whole; otherwise one verdict per row from the list
    /// offsets and the first entry's `type`, and one `take` of the kept rows.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let n = input.rows.len();
        let Some(schema) = input.value.schema.clone().filter(|s| is_schema_change(s)) else {
            return SegmentOutput::all(n, input.key.clone(), input.value.clone());
        };
        let Some(envelope) = input.value.data.as_struct_opt() else {
            return fail_non_null_rows(&input, Side::Value, |v| require_struct_error(PURPOSE, v));
        };
        let (index, item) = match table_changes(&schema) {
            Ok(found) => found,
            Err(e) => return fail_non_null_rows(&input, Side::Value, |_| e.clone()),
        };
        let mut output = SegmentOutput::default();
        let mut kept = Vec::with_capacity(n);
        for i in 0..n {
            match self.row_fate(envelope, index, item, i) {
                Fate::Keep => kept.push(i as u32),
                Fate::Drop => output.dropped.push(i as u32),
                Fate::Fail(e) => output.errors.push((i as u32, e)),
            }
        }
        if kept.len() == n {
            return SegmentOutput::all(n, input.key.clone(), input.value.clone());
        }
        if !kept.is_empty() {
            whole_record::push_part(
                &mut output,
                subset(input.key, &kept),
                subset(input.value, &kept),
                kept,
            );
            output.errors.sort_by_key(|(i, _)| *i);
        }
        output
    }

    /// Debezium's `apply`.
    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.value.is_null() {
            return Ok(Some(record));
        }
        let Some(schema) = record.value_schema.clone().filter(|s| is_schema_change(s)) else {
            return Ok(Some(record));
        };
        let Value::Struct(value) = &record.value else {
            return Err(require_struct_error(PURPOSE, &record.value));
        };
        let (index, item) = table_changes(&schema)?;
        let entries = match value.values.get(index) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Array(entries)) => entries,
            Some(other) => {
                let message = format!("tableChanges holds a {}", other.java_class());
                return Err(ConnectError::data(message));
            }
        };
        let type_name = match entries.first() {
            None => Some("DATABASE".to_string()),
            Some(first) => entry_type(first, item)?,
        };
        match self.verdict(type_name.as_deref()) {
            Fate::Keep => Ok(Some(record)),
            Fate::Drop => Ok(None),
            Fate::Fail(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::{check, config, value_record};
    use proptest::prelude::*;
    use weir_formats::value::Struct;

    fn s(kind: SchemaKind) -> Schema {
        Schema::new(kind)
    }

    fn change_schema() -> Arc<Schema> {
        Schema::structure([
            (
                "type".to_string(),
                s(SchemaKind::String).optional().into_ref(),
            ),
            ("id".to_string(), s(SchemaKind::String).into_ref()),
        ])
        .into_ref()
    }

    fn event_schema() -> Arc<Schema> {
        Schema::structure([
            (
                "ddl".to_string(),
                s(SchemaKind::String).optional().into_ref(),
            ),
            (
                "tableChanges".to_string(),
                s(SchemaKind::Array(change_schema())).optional().into_ref(),
            ),
        ])
        .with_name("io.debezium.connector.mysql.SchemaChangeValue")
        .into_ref()
    }

    /// A schema-change event whose table changes have these types (`None`: a null list).
    fn event(types: Option<Vec<Option<&str>>>) -> Value {
        let changes = types.map_or(Value::Null, |types| {
            Value::Array(
                types
                    .into_iter()
                    .map(|t| {
                        Value::Struct(Struct {
                            schema: change_schema(),
                            values: vec![
                                t.map_or(Value::Null, |t| Value::String(t.into())),
                                Value::String("t".into()),
                            ],
                        })
                    })
                    .collect(),
            )
        });
        Value::Struct(Struct {
            schema: event_schema(),
            values: vec![Value::String("DDL".into()), changes],
        })
    }

    fn filter(list: &str) -> SchemaChangeEventFilter {
        SchemaChangeEventFilter::new(&config(&[(EXCLUDE_LIST, list)])).expect("valid")
    }

    fn record(value: Value) -> ConnectRecord {
        ConnectRecord {
            topic: "mysql1".into(),
            ..value_record(Some(event_schema()), value)
        }
    }

    #[test]
    fn drops_listed_types_and_database_events() {
        let f = filter(" DATABASE , ALTER");
        let kept = |v: Value| f.apply_record(record(v)).expect("ok").is_some();
        assert!(kept(event(Some(vec![Some("CREATE")]))));
        assert!(!kept(event(Some(vec![Some("ALTER"), Some("CREATE")]))));
        assert!(!kept(event(Some(vec![]))));
        assert!(!kept(event(None)));
        assert!(kept(Value::Null));
        assert!(f
            .apply_record(record(event(Some(vec![Some("alter")]))))
            .is_err());
        assert!(f.apply_record(record(event(Some(vec![None])))).is_err());
    }

    #[test]
    fn config_errors_use_debeziums_messages() {
        let e = SchemaChangeEventFilter::new(&config(&[])).expect_err("required");
        assert_eq!(e.message, "Invalid value null for configuration schema.change.event.exclude.list: The 'schema.change.event.exclude.list' value is invalid: A value is required");
        let e = SchemaChangeEventFilter::new(&config(&[(EXCLUDE_LIST, "ALTER,alter")]))
            .expect_err("unknown");
        assert_eq!(
            e.message,
            "No enum constant io.debezium.schema.SchemaChangeEvent.SchemaChangeEventType.alter"
        );
        assert!(SchemaChangeEventFilter::new(&config(&[(EXCLUDE_LIST, "ALTER,,DROP")])).is_err());
        assert!(SchemaChangeEventFilter::new(&config(&[(EXCLUDE_LIST, "ALTER,DROP,")])).is_ok());
    }

    fn arb_event() -> impl Strategy<Value = Value> {
        let kind = prop_oneof![
            Just(Some("CREATE")),
            Just(Some("ALTER")),
            Just(Some("DROP")),
            Just(Some("TRUNCATE")),
            Just(Some("bogus")),
            Just(None),
        ];
        prop_oneof![
            1 => Just(Value::Null),
            1 => Just(event(None)),
            6 => prop::collection::vec(kind, 0..3).prop_map(|t| event(Some(t))),
        ]
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(values in prop::collection::vec(arb_event(), 0..10), list in prop_oneof![Just("ALTER,DROP"), Just("DATABASE"), Just("CREATE,TRUNCATE,DATABASE")]) {
            let n = values.len();
            check(&filter(list), (None, vec![Value::Null; n]), (Some(event_schema()), values), false)?;
        }
    }
}
