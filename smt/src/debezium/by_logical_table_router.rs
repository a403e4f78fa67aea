//! `io.debezium.transforms.ByLogicalTableRouter`: routes the change events of several physical
//! tables (shards) to one logical topic (`topic.regex` matched against the whole topic,
//! `topic.replacement` with Java's `$n` references), renames the key, envelope and row schemas
//! after the new topic (`<topic>.Key`, `<topic>.Envelope`, `<topic>.Value`, adjusted per
//! `schema.name.adjustment.mode`) and, with `key.enforce.uniqueness` (default true), adds a key
//! field `key.field.name` holding the physical table's identifier (the old topic, or
//! `key.field.regex` / `key.field.replacement` applied to it).
//!
//! As in Debezium, the renamed key and envelope schemas are cached per *old* schema in LRU caches
//! of `logical.table.cache.size` entries (default 16): the first topic routed with a given old
//! schema names the new one. Topics that do not match, or whose replacement is empty, pass
//! unchanged; tombstones and values that are not envelopes keep their value.
//!
//! Kernel: topics are routed once per distinct topic; the new key is the old key's child arrays
//! plus one string column, the new envelope the old one's child arrays under the renamed schemas
//! (no row data copied). Segments with defaulted envelope fields go through the reference.

use std::sync::{Arc, Mutex};

use arrow_array::{Array, ArrayRef, StringViewArray, StructArray, UInt32Array};
use arrow_select::take::take;
use weir_formats::arrow_mapping::struct_fields;
use weir_formats::batch::Column;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};

use super::change_event::{get, get_without_default, is_envelope};
use super::schema_name_adjuster::{NameKind, SchemaNameAdjuster};
use super::whole_record::{self, is_null_at};
use crate::config::{ConfigProblem, TransformConfig};
use crate::kafka::regex_router::RegexRouter;
use crate::kernel::arrow_build::struct_array;
use crate::kernel::requirements::require_struct_error;
use crate::kernel::routing::{per_topic, subset};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};

/// The configured transform.
#[derive(Debug)]
pub struct ByLogicalTableRouter {
    topic: RegexRouter,
    key_field: Option<RegexRouter>,
    key_field_name: String,
    enforce_uniqueness: bool,
    adjuster: SchemaNameAdjuster,
    key_schemas: Lru,
    envelope_schemas: Lru,
}

/// Debezium's `LRUCache` (a `LinkedHashMap` in access order) keyed by schema content.
#[derive(Debug)]
struct Lru {
    entries: Mutex<Vec<(SchemaRef, SchemaRef)>>,
    capacity: usize,
}

impl Lru {
    fn new(capacity: usize) -> Lru {
        Lru {
            entries: Mutex::new(Vec::new()),
            capacity,
        }
    }

    /// The cached schema for `old` (refreshing it), or `make`'s, inserted (evicting the least
    /// recently used entry beyond the capacity). Cost: a scan of at most `capacity` entries.
    fn get_or_insert(
        &self,
        old: &SchemaRef,
        make: impl FnOnce() -> Result<SchemaRef, ConnectError>,
    ) -> Result<SchemaRef, ConnectError> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pos) = entries
            .iter()
            .position(|(k, _)| Arc::ptr_eq(k, old) || k == old)
        {
            let entry = entries.remove(pos);
            let hit = entry.1.clone();
            entries.push(entry);
            return Ok(hit);
        }
        let new = make()?;
        entries.push((old.clone(), new.clone()));
        if entries.len() > self.capacity {
            entries.remove(0);
        }
        Ok(new)
    }
}

/// Builds `ByLogicalTableRouter`.
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(ByLogicalTableRouter::from_config(config)?))
}

/// A compiled `regex` + `replacement` pair, or the problem reported on `key`.
fn router(key: &str, regex: &str, replacement: &str) -> Result<RegexRouter, ConfigProblem> {
    RegexRouter::from_config(&TransformConfig::new(
        "router",
        "org.apache.kafka.connect.transforms.RegexRouter",
        [
            ("regex".to_string(), regex.to_string()),
            ("replacement".to_string(), replacement.to_string()),
        ],
    ))
    .map_err(|p| ConfigProblem::new(key, format!("Unable to validate config. {}", p.message)))
}

impl ByLogicalTableRouter {
    /// Validates the settings as Debezium does (every problem is `Unable to validate config.`).
    pub fn from_config(config: &TransformConfig) -> Result<ByLogicalTableRouter, ConfigProblem> {
        let required = |key: &str| {
            config
                .get(key)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| {
                    ConfigProblem::new(
                        key,
                        format!("Unable to validate config. The '{key}' value is invalid: A value is required"),
                    )
                })
        };
        let topic_regex = required("topic.regex")?;
        let topic_replacement = required("topic.replacement")?;
        let topic = router("topic.regex", topic_regex.trim(), topic_replacement.trim())?;
        let key_regex = config
            .get("key.field.regex")
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let key_replacement = config
            .get("key.field.replacement")
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let key_field = match (key_regex, key_replacement) {
            (Some(regex), Some(replacement)) => {
                Some(router("key.field.regex", regex, replacement)?)
            }
            (Some(_), None) => {
                return Err(ConfigProblem::new(
                    "key.field.replacement",
                    "Unable to validate config. key.field.replacement must be non-empty if key.field.regex is set.",
                ))
            }
            (None, _) => None,
        };
        let enforce_uniqueness =
            config
                .boolean_or("key.enforce.uniqueness", true)
                .map_err(|p| {
                    ConfigProblem::new(&p.key, format!("Unable to validate config. {}", p.message))
                })?;
        let capacity = config.int_or("logical.table.cache.size", 16).map_err(|p| {
            ConfigProblem::new(&p.key, format!("Unable to validate config. {}", p.message))
        })?;
        let adjuster = SchemaNameAdjuster::parse(
            "schema.name.adjustment.mode",
            config.get("schema.name.adjustment.mode"),
            NameKind::Schema,
        )?;
        let capacity = usize::try_from(capacity).unwrap_or(0);
        Ok(ByLogicalTableRouter {
            topic,
            key_field,
            key_field_name: config.string_or("key.field.name", "__dbz__physicalTableIdentifier"),
            enforce_uniqueness,
            adjuster,
            key_schemas: Lru::new(capacity),
            envelope_schemas: Lru::new(capacity),
        })
    }

    /// `determineNewTopic`: the new topic, `None` to leave the record unchanged (no match, or an
    /// empty result).
    fn new_topic(&self, topic: &str) -> Result<Option<String>, ConnectError> {
        Ok(self.topic.route(topic)?.filter(|t| !t.is_empty()))
    }

    /// The physical table identifier written into the key.
    fn physical_table(&self, old_topic: &str) -> Result<String, ConnectError> {
        match &self.key_field {
            Some(router) => Ok(router
                .route(old_topic)?
                .unwrap_or_else(|| old_topic.to_string())),
            None => Ok(old_topic.to_string()),
        }
    }

    /// `updateKeySchema`.
    fn key_schema(&self, old: &SchemaRef, new_topic: &str) -> Result<SchemaRef, ConnectError> {
        self.key_schemas.get_or_insert(old, || {
            let mut fields = old.fields().to_vec();
            if self.enforce_uniqueness {
                fields.push(Field {
                    name: self.key_field_name.clone(),
                    schema: Schema::new(SchemaKind::String).into_ref(),
                });
            }
            Ok(self
                .renamed(old, fields, &format!("{new_topic}.Key"))
                .into_ref())
        })
    }

    /// `updateEnvelopeSchema`: `before`'s schema renamed `<topic>.Value` for `before` and `after`.
    fn envelope_schema(&self, old: &SchemaRef, new_topic: &str) -> Result<SchemaRef, ConnectError> {
        self.envelope_schemas.get_or_insert(old, || {
            let (_, before) = old.field("before").ok_or_else(|| {
                ConnectError::data("Cannot invoke \"org.apache.kafka.connect.data.Field.schema()\" because the return value of \"org.apache.kafka.connect.data.Schema.field(String)\" is null")
            })?;
            let value = self
                .renamed(&before.schema, before.schema.fields().to_vec(), &format!("{new_topic}.Value"))
                .into_ref();
            let fields = old
                .fields()
                .iter()
                .map(|f| match f.name.as_str() {
                    "before" | "after" => Field {
                        name: f.name.clone(),
                        schema: value.clone(),
                    },
                    _ => f.clone(),
                })
                .collect();
            Ok(self
                .renamed(old, fields, &format!("{new_topic}{}", super::change_event::ENVELOPE_SUFFIX))
                .into_ref())
        })
    }

    /// `copySchemaExcludingName` with `fields`, named `name` (adjusted).
    fn renamed(&self, source: &Schema, fields: Vec<Field>, name: &str) -> Schema {
        Schema {
            kind: SchemaKind::Struct(fields),
            optional: source.optional,
            default: None,
            name: Some(self.adjuster.adjust(name).into_owned()),
            version: source.version,
            doc: source.doc.clone(),
            parameters: source.parameters.clone(),
        }
    }

    /// Whether the kernel can move this envelope's children as they are (Debezium's
    /// `oldEnvelope.get` substitutes defaults of top-level fields; the reference does that).
    fn movable(schema: &SchemaRef) -> bool {
        schema.fields().iter().all(|f| f.schema.default.is_none())
            && schema.field("before").is_some()
    }
}

/// A struct of `schema` with `values`, each field's value as `get` (or `getWithoutDefault`).
fn rebuilt(schema: &SchemaRef, old: &Struct, with_default: bool) -> Result<Value, ConnectError> {
    let values = old
        .schema
        .fields()
        .iter()
        .map(|f| {
            if with_default {
                get(old, &f.name)
            } else {
                get_without_default(old, &f.name)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::Struct(Struct {
        schema: schema.clone(),
        values,
    }))
}

/// The StructArray `old` relabelled with `schema`'s fields and `extra` columns appended.
fn relabelled(
    old: &StructArray,
    schema: &SchemaRef,
    extra: Vec<ArrayRef>,
) -> Result<ArrayRef, ConnectError> {
    let mut columns = old.columns().to_vec();
    columns.extend(extra);
    struct_array(
        struct_fields(schema.fields()),
        columns,
        old.nulls().cloned(),
        old.len(),
    )
    .map(|a| Arc::new(a) as ArrayRef)
    .map_err(|e| ConnectError::data(format!("Could not rebuild struct: {e}")))
}

/// Per topic id (as [`per_topic`] gives it): the new topic and the physical table identifier
/// of a routed topic, `None` for a topic left as it is, or the routing error.
type Routes = [Option<Result<Option<(String, String)>, ConnectError>>];

/// The key field's column: each row's physical table identifier (`""` for rows whose topic is
/// not routed, which never read it), from `table` (per topic id) and `old` (each row's topic
/// id). Cost: one string per distinct topic, then one index per row and a `take` of views.
fn physical_tables(table: &Routes, old: &[usize]) -> Result<ArrayRef, ConnectError> {
    let mut values = vec![""];
    let positions: Vec<u32> = table
        .iter()
        .map(|entry| match entry {
            Some(Ok(Some((_, physical)))) => {
                values.push(physical);
                values.len() as u32 - 1
            }
            _ => 0,
        })
        .collect();
    let rows = UInt32Array::from_iter_values(
        old.iter()
            .map(|&id| positions.get(id).copied().unwrap_or(0)),
    );
    take(&StringViewArray::from_iter_values(values), &rows, None)
        .map_err(|e| ConnectError::data(format!("Could not build the key field: {e}")))
}

impl Transform for ByLogicalTableRouter {
    /// See the module doc. Cost: routing, interning the new topic and the key field's string
    /// once per distinct topic, schema work once per segment; per row only indices (no string
    /// is built or compared per row).
    fn apply(&self, mut input: SegmentInput<'_>) -> SegmentOutput {
        let n = input.rows.len();
        let table = per_topic(input.meta, input.rows, |t| {
            self.new_topic(t).and_then(|new| match new {
                Some(new) => Ok(Some((new, self.physical_table(t)?))),
                None => Ok(None),
            })
        });
        // Each row's topic id before routing (the loop at the end rewrites them).
        let old: Vec<usize> = input
            .rows
            .iter()
            .map(|&row| input.meta.topic_ids[row as usize] as usize)
            .collect();
        let route_of = |i: u32| match table.get(old[i as usize]) {
            Some(Some(Ok(Some(route)))) => Some(route),
            _ => None,
        };
        let mut output = SegmentOutput::default();
        let mut unrouted = Vec::new();
        let mut routed = Vec::new();
        for i in 0..n as u32 {
            match table.get(old[i as usize]).and_then(Option::as_ref) {
                Some(Ok(Some(_))) => routed.push(i),
                Some(Err(e)) => output.errors.push((i, e.clone())),
                _ => unrouted.push(i),
            }
        }
        let envelope = is_envelope(input.value.schema.as_ref());
        let movable = !envelope || input.value.schema.as_ref().is_some_and(Self::movable);
        let key_struct = input
            .key
            .data
            .as_any()
            .downcast_ref::<StructArray>()
            .cloned();
        let key_ok = (0..n).all(|i| is_null_at(input.key.data.as_ref(), i))
            || (key_struct.is_some()
                && input
                    .key
                    .schema
                    .as_ref()
                    .is_some_and(|s| matches!(s.kind, SchemaKind::Struct(_))));
        let value_struct = input
            .value
            .data
            .as_any()
            .downcast_ref::<StructArray>()
            .cloned();
        if !routed.is_empty() && (!movable || !key_ok || (envelope && value_struct.is_none())) {
            whole_record::apply_rows(&mut input, &routed, |r| self.apply_record(r), &mut output);
            routed.clear();
        }
        if !unrouted.is_empty() {
            whole_record::push_part(
                &mut output,
                subset(input.key, &unrouted),
                subset(input.value, &unrouted),
                unrouted,
            )
        }
        if routed.is_empty() {
            return whole_record::finish(output);
        }
        // New key and value columns over the whole segment (rows not routed are not used).
        let first_topic = routed
            .iter()
            .find(|&&i| !is_null_at(input.key.data.as_ref(), i as usize))
            .and_then(|&i| route_of(i));
        let key_column = match (&key_struct, input.key.schema.as_ref(), first_topic) {
            (Some(keys), Some(old_schema), Some((topic, _))) => {
                self.key_schema(old_schema, topic).and_then(|schema| {
                    let extra = match self.enforce_uniqueness {
                        true => vec![physical_tables(&table, &old)?],
                        false => Vec::new(),
                    };
                    Ok(Some(Column {
                        data: relabelled(keys, &schema, extra)?,
                        schema: Some(schema),
                    }))
                })
            }
            _ => Ok(None),
        };
        let first_envelope = routed
            .iter()
            .find(|&&i| !is_null_at(input.value.data.as_ref(), i as usize))
            .and_then(|&i| route_of(i));
        let value_column = match (&value_struct, input.value.schema.as_ref(), first_envelope) {
            (Some(values), Some(old_schema), Some((topic, _))) if envelope => {
                self.envelope_schema(old_schema, topic).and_then(|schema| {
                    let mut columns = values.columns().to_vec();
                    for (index, field) in schema.fields().iter().enumerate() {
                        if field.name == "before" || field.name == "after" {
                            let child = columns[index]
                                .as_any()
                                .downcast_ref::<StructArray>()
                                .ok_or_else(|| ConnectError::data("before/after is not a struct"))?
                                .clone();
                            columns[index] = relabelled(&child, &field.schema, Vec::new())?;
                        }
                    }
                    let data = struct_array(
                        struct_fields(schema.fields()),
                        columns,
                        values.nulls().cloned(),
                        values.len(),
                    )
                    .map_err(|e| ConnectError::data(format!("Could not rebuild struct: {e}")))?;
                    Ok(Some(Column {
                        data: Arc::new(data),
                        schema: Some(schema),
                    }))
                })
            }
            _ => Ok(None),
        };
        let (key_column, value_column) = match (key_column, value_column) {
            (Ok(k), Ok(v)) => (k, v),
            (Err(e), _) | (_, Err(e)) => {
                output
                    .errors
                    .extend(routed.into_iter().map(|i| (i, e.clone())));
                return whole_record::finish(output);
            }
        };
        // The new topics, each interned once; parts by (key null, value null): null keys lose
        // their schema, null values keep theirs.
        let mut new_ids: Vec<Option<u32>> = vec![None; table.len()];
        let mut groups: [Vec<u32>; 4] = Default::default();
        for &i in &routed {
            let row = input.rows[i as usize] as usize;
            let topic_id = old[i as usize];
            if let Some((topic, _)) = route_of(i) {
                let id = *new_ids[topic_id].get_or_insert_with(|| input.meta.intern_topic(topic));
                input.meta.topic_ids[row] = id;
            }
            let key_null = is_null_at(input.key.data.as_ref(), i as usize);
            let value_null = is_null_at(input.value.data.as_ref(), i as usize) || !envelope;
            groups[usize::from(key_null) * 2 + usize::from(value_null)].push(i);
        }
        let null_key = Column {
            schema: None,
            data: arrow_array::new_null_array(&arrow_schema::DataType::Null, n),
        };
        for (group, indices) in groups.into_iter().enumerate() {
            if indices.is_empty() {
                continue;
            }
            let (key_null, value_null) = (group >= 2, group % 2 == 1);
            let key = if key_null {
                &null_key
            } else {
                key_column.as_ref().unwrap_or(input.key)
            };
            let value = if value_null {
                input.value
            } else {
                value_column.as_ref().unwrap_or(input.value)
            };
            whole_record::push_part(
                &mut output,
                subset(key, &indices),
                subset(value, &indices),
                indices,
            )
        }
        whole_record::finish(output)
    }

    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let Some(new_topic) = self.new_topic(&record.topic)? else {
            return Ok(Some(record));
        };
        let (key_schema, key) = match &record.key {
            Value::Null => (None, Value::Null),
            Value::Struct(old) => {
                let schema = self.key_schema(&old.schema, &new_topic)?;
                let mut values = match rebuilt(&schema, old, false)? {
                    Value::Struct(s) => s.values,
                    _ => Vec::new(),
                };
                if self.enforce_uniqueness {
                    values.push(Value::String(self.physical_table(&record.topic)?));
                }
                (
                    Some(schema.clone()),
                    Value::Struct(Struct { schema, values }),
                )
            }
            other => return Err(require_struct_error("Updating schema", other)),
        };
        let (value_schema, value) = if record.value.is_null()
            || !is_envelope(record.value_schema.as_ref())
        {
            (record.value_schema.clone(), record.value.clone())
        } else {
            let Value::Struct(old) = &record.value else {
                return Err(require_struct_error("Updating schema", &record.value));
            };
            let schema = self.envelope_schema(&old.schema, &new_topic)?;
            let row_schema = schema
                .field("before")
                .map(|(_, f)| f.schema.clone())
                .ok_or_else(|| ConnectError::data("before is not a valid field name"))?;
            let mut values = Vec::with_capacity(old.values.len());
            for field in old.schema.fields() {
                let value = get(old, &field.name)?;
                values.push(match (&value, field.name.as_str()) {
                    (Value::Struct(row), "before" | "after") => rebuilt(&row_schema, row, false)?,
                    (Value::Null, _) => Value::Null,
                    (other, "before" | "after") => {
                        return Err(require_struct_error("Updating schema", other))
                    }
                    _ => value,
                });
            }
            (
                Some(schema.clone()),
                Value::Struct(Struct { schema, values }),
            )
        };
        Ok(Some(ConnectRecord {
            topic: new_topic,
            key_schema,
            key,
            value_schema,
            value,
            ..record
        }))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::debezium::test_events;
    use crate::kernel::routing::testkit::{assert_agree, kernel, reference};

    fn row_schema() -> SchemaRef {
        test_events::row_schema(Some("srv.db_shard1.orders_1.Value"))
    }

    fn envelope_schema() -> SchemaRef {
        test_events::envelope_schema(row_schema(), "srv.db_shard1.orders_1.Envelope")
    }

    fn key_schema() -> SchemaRef {
        Schema::structure([("id".to_string(), Schema::new(SchemaKind::Int64).into_ref())])
            .with_name("srv.db_shard1.orders_1.Key")
            .optional()
            .into_ref()
    }

    fn records(rows: Vec<(usize, bool, bool, Option<String>)>) -> Vec<ConnectRecord> {
        let topics = [
            "srv.db_shard1.orders_1",
            "srv.db_shard2.orders_7",
            "other",
            "srv.db_shard3.orders_",
        ];
        rows.into_iter()
            .enumerate()
            .map(|(n, (topic, null_key, tombstone, name))| {
                let row = test_events::row(row_schema(), n as i64, name);
                ConnectRecord {
                    topic: topics[topic].into(),
                    partition: 0,
                    offset: n as i64,
                    timestamp: None,
                    key_schema: Some(key_schema()),
                    key: if null_key {
                        Value::Null
                    } else {
                        Value::Struct(Struct {
                            schema: key_schema(),
                            values: vec![Value::Int64(n as i64)],
                        })
                    },
                    value_schema: Some(envelope_schema()),
                    value: test_events::event(envelope_schema(), Value::Null, row, "c", tombstone),
                    headers: Vec::new(),
                }
            })
            .collect()
    }

    fn router(pairs: &[(&str, &str)]) -> Result<ByLogicalTableRouter, ConfigProblem> {
        ByLogicalTableRouter::from_config(&TransformConfig::new(
            "route",
            "io.debezium.transforms.ByLogicalTableRouter",
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        ))
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(
            rows in prop::collection::vec(
                (0usize..4, prop::bool::weighted(0.2), prop::bool::weighted(0.2), prop::option::of("[a-z]{0,3}")),
                0..12,
            ),
            extra in prop_oneof![
                Just(vec![]),
                Just(vec![("key.enforce.uniqueness", "false")]),
                Just(vec![("key.field.regex", r".*shard(\d+)\.orders_(\d*)"), ("key.field.replacement", "$1-$2"), ("key.field.name", "shard")]),
                Just(vec![("schema.name.adjustment.mode", "avro")]),
            ],
        ) {
            let mut config = vec![("topic.regex", r"srv\.db_shard\d+\.orders_(\d*)"), ("topic.replacement", "all-orders$1")];
            config.extend(extra);
            let t = router(&config).unwrap();
            let records = records(rows);
            let r = router(&config).unwrap();
            assert_agree(&kernel(&t, &records), &reference(&r, &records));
        }
    }

    #[test]
    fn routes_and_renames_schemas() {
        let t = router(&[
            ("topic.regex", r"srv\.db_shard\d+\.orders_(\d+)"),
            ("topic.replacement", "all-orders.$1"),
            ("schema.name.adjustment.mode", "avro"),
        ])
        .unwrap();
        let record = records(vec![(1, false, false, Some("x".into()))]).remove(0);
        let out = t.apply_record(record).unwrap().unwrap();
        assert_eq!(out.topic, "all-orders.7");
        assert_eq!(
            out.key_schema.unwrap().name.as_deref(),
            Some("all_orders.7.Key")
        );
        let Value::Struct(key) = &out.key else {
            panic!()
        };
        assert_eq!(
            key.values[1],
            Value::String("srv.db_shard2.orders_7".into())
        );
        let schema = out.value_schema.unwrap();
        assert_eq!(schema.name.as_deref(), Some("all_orders.7.Envelope"));
        assert_eq!(
            schema.fields()[1].schema.name.as_deref(),
            Some("all_orders.7.Value")
        );
    }

    #[test]
    fn config_problems() {
        assert!(router(&[("topic.replacement", "x")]).is_err());
        assert_eq!(
            router(&[
                ("topic.regex", "(.*)"),
                ("topic.replacement", "x"),
                ("key.field.regex", "(.*)")
            ])
            .unwrap_err()
            .key,
            "key.field.replacement"
        );
    }
}
