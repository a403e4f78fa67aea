//! `io.debezium.transforms.ExtractNewRecordState` ("unwrap", event flattening): replaces a
//! Debezium change-event envelope (`before`, `after`, `source`, `op`, `ts_ms`, `transaction`)
//! with its `after` state, as Debezium 3.6.1 does (`ExtractNewRecordState.java`,
//! `AbstractExtractNewRecordState.java`, `DefaultDeleteHandlingStrategy.java`).
//!
//! As in Debezium, a record is an envelope when its value schema's name ends with `.Envelope`;
//! anything else that is not null (heartbeats, schema changes, schemaless values) passes
//! unchanged. Tombstones (null values) are dropped or kept per the delete handling; rows whose
//! `after` is null are deletes (or truncates when `before` is null too, always dropped), decided
//! from the null masks of `after` / `before`, not from `op`, exactly as Debezium decides. The
//! unwrapped value's schema is required: every kept value passes through the add-fields step,
//! whose `SchemaUtil.copySchemaBasics` copy drops the optionality of `after`; only a
//! `tombstone`-mode delete (a null value) keeps `after`'s optional schema. The options 3.x
//! removed (`drop.tombstones`, `delete.handling.mode`, `operation.header`,
//! `add.source.fields`) are ignored, with a warning on stderr.
//!
//! Kernel: per envelope schema a plan is computed once (child indices, output schemas with
//! `__deleted` and `add.fields`, header sources, routing field). Per segment the `after` child
//! array is moved out of the envelope with the envelope's nulls merged (no row data copied),
//! appended columns are the envelope's own child arrays, and each row goes to one candidate
//! column (after, rewritten before, null after, schemaless null, unchanged) by masks; only
//! headers, `route.by.field` and `drop.fields.header.name` read values per row (the dropped
//! columns go through `ReplaceField`'s kernel once per distinct list). Envelope schemas the
//! plan does not cover (no or non-struct `before`/`after`, add.fields of STRUCT/MAP fields,
//! names clashing, routing fields that fail) go through the per-row fallback over the
//! reference, which has Debezium's errors for them.

use std::sync::Arc;

use arrow_array::builder::StringViewBuilder;
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, NullArray, StructArray, UInt32Array};
use weir_formats::arrow_mapping::arrow_type;
use weir_formats::batch::{Column, Header};
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};
use weir_formats::value_array::value_at;

use super::change_event::{is_envelope, States};
use super::field_reference::FieldReference;
use crate::kafka::replace_field::ReplaceField;
use crate::kernel::arrow_build::with_nulls;
use crate::kernel::arrow_build::{arrow_failure, struct_array};
use crate::kernel::defaults::{children_with_defaults, field_value};
use crate::kernel::fields::push_unique;
use crate::kernel::per_row::per_row;
use crate::kernel::requirements::require_struct_error;
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::schema_copy::copy_schema_basics;
use crate::kernel::segment_output::part_with;
use crate::record::ConnectRecord;
use crate::transform::{OutputPart, RecordMeta, SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

const DELETED_FIELD: &str = "__deleted";
const OPERATION: &str = "op";
const PURPOSE: &str = "source field insertion";
const EXTRACT_PURPOSE: &str = "field extraction";
const NEW_MODE: &str = "delete.tombstone.handling.mode";
/// Debezium's `EnumRecommender` lists the literals of a `HashSet`, in its iteration order.
const NEW_LITERALS: &str = "drop, tombstone, rewrite-with-tombstone, rewrite, delete-to-tombstone";
/// The options Debezium 3.x removed (ignored, with a warning) and the keys that replaced them.
const REMOVED: [(&str, &str); 4] = [
    ("drop.tombstones", NEW_MODE),
    ("delete.handling.mode", NEW_MODE),
    ("operation.header", "add.headers"),
    ("add.source.fields", "add.fields"),
];
/// `ConnectSchema.field` on a non-struct parent (`source.x` where `source` is not a struct).
const NON_STRUCT_LOOKUP: &str = "Cannot look up fields on non-struct type";
/// Debezium dereferences the missing hosting struct's field (`transaction.id` without one).
const MISSING_STRUCT_NPE: &str = "Cannot invoke \"org.apache.kafka.connect.data.Field.schema()\" \
     because the return value of \"org.apache.kafka.connect.data.Schema.field(String)\" is null";
/// `getFieldsToDropFromSchema` on a record without a schema (a `delete-to-tombstone` delete).
const NULL_SCHEMA_NPE: &str = "Cannot invoke \"org.apache.kafka.connect.data.Schema.fields()\" \
     because \"schema\" is null";

/// `ExtractNewRecordState`. Cost: parses and validates the config, once per pipeline.
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(ExtractNewRecordState::new(config)?))
}

/// What becomes of a delete event (`after` null, `before` not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeleteAction {
    /// Dropped (`drop`).
    Drop,
    /// `after` (null) with the `after` schema (`tombstone`).
    NullAfter,
    /// A tombstone without a value schema (`delete-to-tombstone`).
    NullNoSchema,
    /// `before` with `__deleted` = `true` (`rewrite`, `rewrite-with-tombstone`).
    Rewrite,
}

/// The delete and tombstone handling of `delete.tombstone.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Handling {
    keep_tombstones: bool,
    delete: DeleteAction,
    /// Whether kept records get `__deleted` (rewrite modes).
    rewrite: bool,
}

impl Handling {
    /// `DeleteTombstoneHandling.parse` after Debezium's `EnumRecommender` validation: the value
    /// trimmed and matched ignoring case; unset means `tombstone`; anything else (blank too)
    /// fails `configure()` with `Unable to validate config.`
    fn parse(config: &TransformConfig) -> Result<Handling, ConfigProblem> {
        let raw = config.get(NEW_MODE).unwrap_or("tombstone");
        let (keep_tombstones, delete) = match raw.trim().to_ascii_lowercase().as_str() {
            "drop" => (false, DeleteAction::Drop),
            "tombstone" => (false, DeleteAction::NullAfter),
            "rewrite" => (false, DeleteAction::Rewrite),
            "rewrite-with-tombstone" => (true, DeleteAction::Rewrite),
            "delete-to-tombstone" => (false, DeleteAction::NullNoSchema),
            _ => {
                let reason = format!("Value must be one of {NEW_LITERALS}");
                return Err(unable_to_validate(NEW_MODE, raw, &reason));
            }
        };
        Ok(Handling {
            keep_tombstones,
            delete,
            rewrite: delete == DeleteAction::Rewrite,
        })
    }
}

/// Debezium's `configure()` failure after `Field.validate`: `ConnectException: Unable to
/// validate config.`, with the reason Debezium only logs.
pub(crate) fn unable_to_validate(key: &str, value: &str, reason: &str) -> ConfigProblem {
    ConfigProblem::new(
        key,
        format!("Unable to validate config. The '{key}' value '{value}' is invalid: {reason}"),
    )
}

/// A BOOLEAN key of Debezium's validated field set (`Field.isBoolean`: `true`/`false` ignoring
/// case and blanks), or `default` when unset.
fn validated_boolean(
    config: &TransformConfig,
    key: &str,
    default: bool,
) -> Result<bool, ConfigProblem> {
    match config.get(key) {
        None => Ok(default),
        Some(v) if v.trim().eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.trim().eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(unable_to_validate(
            key,
            v,
            "Either 'true' or 'false' is expected",
        )),
    }
}

/// Prints a warning for each option Debezium 3.x removed that `config` still sets: Debezium
/// ignores them silently, which surprises users whose deletes then behave differently.
fn warn_removed(config: &TransformConfig) {
    for (key, replacement) in REMOVED {
        if config.get(key).is_some() {
            eprintln!(
                "weir: warning: transforms.{}.{key} was removed in Debezium 3.x and is ignored \
                 (as Debezium 3.6.1 ignores it); use {replacement} instead",
                config.alias
            );
        }
    }
}

/// `drop.fields.header.name` and its companions.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DropFields {
    /// The header listing the columns to drop.
    header: String,
    /// `drop.fields.from.key`: the key loses them too.
    from_key: bool,
    /// `drop.fields.keep.schema.compatible`: only optional columns go.
    keep_schema_compatible: bool,
}

impl DropFields {
    fn parse(config: &TransformConfig) -> Result<Option<DropFields>, ConfigProblem> {
        let from_key = validated_boolean(config, "drop.fields.from.key", false)?;
        let keep_schema_compatible =
            validated_boolean(config, "drop.fields.keep.schema.compatible", true)?;
        Ok(config
            .get("drop.fields.header.name")
            .filter(|h| !h.trim().is_empty())
            .map(|header| DropFields {
                header: header.to_string(),
                from_key,
                keep_schema_compatible,
            }))
    }

    /// The header's list of names for a record with `headers` (the first header of that name):
    /// `None` when absent, null or empty (nothing dropped); an error when it is not a list.
    fn names(&self, headers: &[Header]) -> Result<Option<Vec<String>>, ConnectError> {
        let Some(header) = headers.iter().find(|h| *h.name == *self.header) else {
            return Ok(None);
        };
        match &header.value {
            Value::Null => Ok(None),
            Value::Array(items) if items.is_empty() => Ok(None),
            Value::Array(items) => Ok(Some(
                items
                    .iter()
                    .filter_map(|v| match v {
                        Value::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
            )),
            other => Err(ConnectError::data(format!(
                "class {} cannot be cast to class java.util.List",
                other.java_class()
            ))),
        }
    }

    /// `getFieldsToDropFromSchema`: `names`, or only the optional columns of `schema` they
    /// name when keeping schemas compatible.
    fn to_drop(
        &self,
        schema: Option<&Schema>,
        names: &[String],
    ) -> Result<Vec<String>, ConnectError> {
        if !self.keep_schema_compatible {
            return Ok(names.to_vec());
        }
        let schema = schema.ok_or_else(|| ConnectError::data(NULL_SCHEMA_NPE))?;
        Ok(schema
            .fields()
            .iter()
            .filter(|f| f.schema.optional && names.contains(&f.name))
            .map(|f| f.name.clone())
            .collect())
    }

    /// The `ReplaceField` delegate Debezium configures with `exclude` = `fields`.
    fn delegate(fields: &[String], side: Side) -> Result<ReplaceField, ConnectError> {
        let config = TransformConfig::new(
            "drop.fields",
            "org.apache.kafka.connect.transforms.ReplaceField",
            [("exclude".to_string(), fields.join(","))],
        );
        ReplaceField::new(&config, side).map_err(|p| ConnectError::data(p.message))
    }

    /// `dropFields` over a record (the key first, then the value).
    fn apply(&self, mut record: ConnectRecord) -> Result<ConnectRecord, ConnectError> {
        let Some(names) = self.names(&record.headers)? else {
            return Ok(record);
        };
        if self.from_key && !record.key.is_null() {
            let fields = self.to_drop(record.key_schema.as_deref(), &names)?;
            if !fields.is_empty() {
                record = Self::delegate(&fields, Side::Key)?
                    .apply_record(record)?
                    .ok_or_else(|| ConnectError::data("ReplaceField dropped the record"))?;
            }
        }
        let fields = self.to_drop(record.value_schema.as_deref(), &names)?;
        if fields.is_empty() {
            return Ok(record);
        }
        Self::delegate(&fields, Side::Value)?
            .apply_record(record)?
            .ok_or_else(|| ConnectError::data("ReplaceField dropped the record"))
    }
}

/// The `add.fields` / `add.headers` entries of `key` (blank entries skipped), named with the
/// prefix of `prefix_key` (default `__`).
fn references(
    config: &TransformConfig,
    key: &str,
    prefix_key: &str,
) -> Result<Vec<FieldReference>, ConfigProblem> {
    let prefix = config.get(prefix_key).unwrap_or("__");
    let entries = config.list(key).unwrap_or_default();
    FieldReference::from_entries(prefix, entries.iter().map(String::as_str), key)
}

/// `FieldReference.getSchema` for the columnar path: where `reference`'s value comes from and
/// its (optional) schema, `None` when absent.
fn resolve(
    reference: &FieldReference,
    envelope: &Schema,
) -> Result<Option<(Source, SchemaRef)>, ConnectError> {
    let top = envelope.field(&reference.field);
    let Some(parent_name) = &reference.parent else {
        return top
            .map(|(i, f)| {
                Ok((
                    Source {
                        parent: None,
                        index: i,
                        in_parent: false,
                    },
                    copied(f)?,
                ))
            })
            .transpose();
    };
    let (p, parent) = envelope
        .field(parent_name)
        .ok_or_else(|| ConnectError::data(MISSING_STRUCT_NPE))?;
    let SchemaKind::Struct(fields) = &parent.schema.kind else {
        return Err(ConnectError::data(NON_STRUCT_LOOKUP));
    };
    let found = match fields.iter().position(|f| f.name == reference.field) {
        Some(c) => Some((c, true, &fields[c])),
        None => top.map(|(i, f)| (i, false, f)),
    };
    found
        .map(|(index, in_parent, f)| {
            let source = Source {
                parent: Some(p),
                index,
                in_parent,
            };
            Ok((source, copied(f)?))
        })
        .transpose()
}

/// `SchemaUtil.copySchemaBasics(field.schema()).optional()`. Kafka's copy of a STRUCT has no
/// fields and of a MAP no key/value schemas, which no value then fits; weir refuses those.
fn copied(field: &Field) -> Result<SchemaRef, ConnectError> {
    match &field.schema.kind {
        SchemaKind::Struct(_) | SchemaKind::Map(..) => Err(ConnectError::data(format!(
            "weir: add.fields / add.headers of the {} field {} are not supported",
            field.schema.type_name(),
            field.name
        ))),
        kind => Ok(copy_schema_basics(&field.schema, kind.clone())
            .optional()
            .into_ref()),
    }
}

/// Kafka's `SchemaUtil.copySchemaBasics(schema, SchemaBuilder.struct())` with `fields`: the
/// name, version, doc and parameters, but not the optionality (the copy is required), which is
/// why Debezium's unwrapped values are required although `after` is optional.
pub(crate) fn struct_copy(schema: &Schema, fields: Vec<Field>) -> Schema {
    Schema {
        optional: false,
        ..copy_schema_basics(schema, SchemaKind::Struct(fields))
    }
}

/// Where a referenced value is in the envelope: `parent`'s child `index` when `in_parent`, else
/// the envelope's own child `index` (null whenever `parent` is null).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Source {
    parent: Option<usize>,
    index: usize,
    in_parent: bool,
}

impl Source {
    /// `FieldReference.getValue` over a value tree.
    fn value(&self, envelope: &Struct) -> Value {
        let at = |s: &Struct, i: usize| s.values.get(i).cloned().unwrap_or(Value::Null);
        match self.parent.map(|p| at(envelope, p)) {
            None => at(envelope, self.index),
            Some(Value::Struct(parent)) if self.in_parent => at(&parent, self.index),
            Some(Value::Null) => Value::Null,
            Some(_) => at(envelope, self.index),
        }
    }

    /// The same over the envelope's arrays. Cost: at most one null-mask union.
    fn array(&self, envelope: &StructArray) -> Result<ArrayRef, ConnectError> {
        let Some(p) = self.parent else {
            return Ok(envelope.column(self.index).clone());
        };
        let parent = envelope.column(p);
        let base = match (self.in_parent, parent.as_struct_opt()) {
            (true, Some(s)) => s.column(self.index).clone(),
            (true, None) => return Err(ConnectError::data(NON_STRUCT_LOOKUP)),
            (false, _) => envelope.column(self.index).clone(),
        };
        with_nulls(&base, parent.logical_nulls().as_ref())
    }
}

/// `ExtractNewRecordState`, configured.
#[derive(Debug)]
pub struct ExtractNewRecordState {
    handling: Handling,
    fields: Vec<FieldReference>,
    headers: Vec<FieldReference>,
    route_by_field: Option<String>,
    replace_null_with_default: bool,
    drop: Option<DropFields>,
    plans: SchemaCache<Option<Plan>>,
}

/// The per-envelope-schema work of the columnar path.
#[derive(Debug)]
struct Plan {
    /// The `after` and `before` columns.
    states: States,
    /// Header name, source and schema of every present `add.headers` entry.
    headers: Vec<(Arc<str>, Source, SchemaRef)>,
    /// Source of every present `add.fields` entry (in the output schemas' order).
    fields: Vec<Source>,
    upsert_schema: SchemaRef,
    /// The rewritten delete's schema before `add.fields` (what `drop.fields` sees on deletes).
    deleted_base: SchemaRef,
    deleted_schema: SchemaRef,
    route_after: Option<usize>,
    route_before: Option<usize>,
}

impl ExtractNewRecordState {
    /// Parses Debezium 3.6.1's keys with its defaults and validation (`configure()`); prints a
    /// warning for each removed option the config still sets (they are ignored, as Debezium
    /// ignores them).
    pub fn new(config: &TransformConfig) -> Result<ExtractNewRecordState, ConfigProblem> {
        let handling = Handling::parse(config)?;
        let drop = DropFields::parse(config)?;
        warn_removed(config);
        let route = config.string_or("route.by.field", "");
        // Read with `Configuration.getBoolean`: anything but `false` (ignoring case and blanks)
        // is the default, as Debezium leaves this key out of its validated set.
        let replace_null_with_default = !config
            .get("replace.null.with.default")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
        Ok(ExtractNewRecordState {
            handling,
            fields: references(config, "add.fields", "add.fields.prefix")?,
            headers: references(config, "add.headers", "add.headers.prefix")?,
            route_by_field: (!route.is_empty()).then_some(route),
            replace_null_with_default,
            drop,
            plans: SchemaCache::default(),
        })
    }

    /// The headers a tombstone gets: `d` for every `op` reference.
    fn tombstone_headers(&self) -> Vec<Header> {
        self.headers
            .iter()
            .filter(|r| r.field == OPERATION)
            .map(|r| Header {
                name: r.new_field.as_str().into(),
                schema: Some(Schema::new(SchemaKind::String).into_ref()),
                value: Value::String("d".to_string()),
            })
            .collect()
    }

    /// `makeHeaders` for an envelope.
    fn envelope_headers(
        &self,
        schema: &Schema,
        envelope: &Struct,
    ) -> Result<Vec<Header>, ConnectError> {
        let mut out = Vec::new();
        for reference in &self.headers {
            if let Some((source, schema)) = resolve(reference, schema)? {
                out.push(Header {
                    name: reference.new_field.as_str().into(),
                    schema: Some(schema),
                    value: source.value(envelope),
                });
            }
        }
        Ok(out)
    }

    /// The schema `InsertField` gives `schema` plus `__deleted` (optional string).
    fn deleted_schema(schema: &Schema) -> Result<Schema, ConnectError> {
        let mut fields = schema.fields().to_vec();
        let deleted = Schema::new(SchemaKind::String).optional().into_ref();
        push_unique(
            &mut fields,
            Field {
                name: DELETED_FIELD.to_string(),
                schema: deleted,
            },
        )?;
        Ok(struct_copy(schema, fields))
    }

    /// `removedDelegate` / `updatedDelegate`: `__deleted` = `flag` (Struct values only).
    fn with_deleted(
        &self,
        schema: &SchemaRef,
        value: Value,
        flag: &str,
    ) -> Result<(SchemaRef, Value), ConnectError> {
        let Value::Struct(s) = value else {
            return Ok((schema.clone(), value));
        };
        let updated = Self::deleted_schema(schema)?.into_ref();
        let mut values: Vec<Value> = schema
            .fields()
            .iter()
            .zip(&s.values)
            .map(|(f, v)| field_value(f, v, self.replace_null_with_default))
            .collect();
        values.push(Value::String(flag.to_string()));
        Ok((
            updated.clone(),
            Value::Struct(Struct {
                schema: updated,
                values,
            }),
        ))
    }

    /// The schema `addFields` gives `schema` with the present `add.fields` of `envelope`.
    fn added_schema(
        &self,
        schema: &Schema,
        envelope: &Schema,
    ) -> Result<(Schema, Vec<Source>), ConnectError> {
        let mut fields = schema.fields().to_vec();
        let mut sources = Vec::new();
        for reference in &self.fields {
            if let Some((source, field_schema)) = resolve(reference, envelope)? {
                push_unique(
                    &mut fields,
                    Field {
                        name: reference.new_field.clone(),
                        schema: field_schema,
                    },
                )?;
                sources.push(source);
            }
        }
        Ok((struct_copy(schema, fields), sources))
    }

    /// `addFields` over a value tree.
    fn add_fields(
        &self,
        record: ConnectRecord,
        envelope: &Struct,
    ) -> Result<ConnectRecord, ConnectError> {
        let Value::Struct(value) = &record.value else {
            return Err(require_struct_error(PURPOSE, &record.value));
        };
        let (schema, sources) = self.added_schema(&value.schema, &envelope.schema)?;
        let schema = schema.into_ref();
        let mut values = value.values.clone();
        values.extend(sources.iter().map(|s| s.value(envelope)));
        let value = Value::Struct(Struct {
            schema: schema.clone(),
            values,
        });
        Ok(record.with_side(Side::Value, Some(schema), value))
    }

    /// `setTopic` from `Struct.getString(route.by.field)` of `value` (no default applied).
    fn route(&self, record: &mut ConnectRecord, value: &Struct) -> Result<(), ConnectError> {
        let Some(route) = &self.route_by_field else {
            return Ok(());
        };
        let (i, field) = value
            .schema
            .field(route)
            .ok_or_else(|| ConnectError::data(format!("{route} is not a valid field name")))?;
        if field.schema.kind != SchemaKind::String {
            return Err(ConnectError::data(format!(
                "Field '{route}' is not of type STRING"
            )));
        }
        if let Some(Value::String(topic)) = value.values.get(i).cloned() {
            if !topic.trim().is_empty() {
                record.topic = topic;
            }
        }
        Ok(())
    }

    /// `ExtractField$Value` of `name` (with the field's default).
    fn extract(envelope: &Struct, name: &str) -> Result<(SchemaRef, Value), ConnectError> {
        let (i, field) = envelope
            .schema
            .field(name)
            .ok_or_else(|| ConnectError::data(format!("Unknown field: {name}")))?;
        Ok((
            field.schema.clone(),
            field_value(field, envelope.values.get(i).unwrap_or(&Value::Null), true),
        ))
    }

    /// The delete path of `doApply`.
    fn delete(
        &self,
        mut record: ConnectRecord,
        envelope: &Struct,
        before: (SchemaRef, Value),
        after: SchemaRef,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        record = match self.handling.delete {
            DeleteAction::Drop => return Ok(None),
            DeleteAction::NullAfter => record.with_side(Side::Value, Some(after), Value::Null),
            DeleteAction::NullNoSchema => record.with_side(Side::Value, None, Value::Null),
            DeleteAction::Rewrite => {
                let (schema, value) = self.with_deleted(&before.0, before.1.clone(), "true")?;
                record.with_side(Side::Value, Some(schema), value)
            }
        };
        if self.route_by_field.is_some() {
            match &before {
                (_, Value::Struct(b)) => self.route(&mut record, b)?,
                _ => return Err(ConnectError::data("Field 'before' is not of type STRUCT")),
            }
        }
        if let Some(drop) = &self.drop {
            record = drop.apply(record)?;
        }
        match record.value.is_null() {
            true => Ok(Some(record)),
            false => self.add_fields(record, envelope).map(Some),
        }
    }

    /// The create / update / read path of `doApply`.
    fn upsert(
        &self,
        mut record: ConnectRecord,
        envelope: &Struct,
        after: (SchemaRef, Value),
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let (schema, value) = match self.handling.rewrite {
            true => self.with_deleted(&after.0, after.1, "false")?,
            false => after,
        };
        record = record.with_side(Side::Value, Some(schema), value);
        if self.route_by_field.is_some() {
            let Value::Struct(v) = record.value.clone() else {
                let purpose = "Read record to set topic routing for CREATE / UPDATE";
                return Err(require_struct_error(purpose, &record.value));
            };
            self.route(&mut record, &v)?;
        }
        record = self.add_fields(record, envelope)?;
        match &self.drop {
            Some(drop) => drop.apply(record).map(Some),
            None => Ok(Some(record)),
        }
    }

    // -----------------------------------------------------------------------------------------
    // The kernel.

    /// The plan of an envelope schema, `None` where the per-row fallback must run.
    fn plan(&self, schema: &Schema) -> Option<Plan> {
        let states = States::of(schema)?;
        let (after_schema, before_schema) = (&states.after_schema, &states.before_schema);
        let mut headers = Vec::new();
        for r in &self.headers {
            if let Some((source, s)) = resolve(r, schema).ok()? {
                headers.push((r.new_field.as_str().into(), source, s));
            }
        }
        let deleted = Self::deleted_schema(before_schema).ok()?;
        let (deleted_schema, fields) = self.added_schema(&deleted, schema).ok()?;
        let upsert_base = match self.handling.rewrite {
            true => Self::deleted_schema(after_schema).ok()?,
            false => (**after_schema).clone(),
        };
        let (upsert_schema, _) = self.added_schema(&upsert_base, schema).ok()?;
        let route_index = |s: &Schema| match &self.route_by_field {
            None => Some(None),
            Some(route) => s
                .field(route)
                .filter(|(_, f)| f.schema.kind == SchemaKind::String)
                .map(|(i, _)| Some(i)),
        };
        Some(Plan {
            route_after: route_index(after_schema)?,
            route_before: route_index(before_schema)?,
            states,
            headers,
            fields,
            upsert_schema: upsert_schema.into_ref(),
            deleted_base: deleted.into_ref(),
            deleted_schema: deleted_schema.into_ref(),
        })
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
        let rows: Vec<Row> = (0..n)
            .map(
                |i| match (envelope.is_null(i), after.is_null(i), before.is_null(i)) {
                    (true, _, _) if self.handling.keep_tombstones => Row::Unchanged,
                    (true, _, _) => Row::Dropped,
                    (false, false, _) => Row::Upsert,
                    (false, true, true) => Row::Dropped,
                    (false, true, false) => Row::Delete(self.handling.delete),
                },
            )
            .collect();
        let sources = plan
            .fields
            .iter()
            .map(|s| s.array(envelope))
            .collect::<Result<Vec<_>, _>>()?;
        let mut output = SegmentOutput::default();
        let mut groups: [Vec<u32>; 5] = Default::default();
        for (i, row) in rows.iter().enumerate() {
            match row.candidate() {
                Some(k) => groups[k].push(i as u32),
                None => output.dropped.push(i as u32),
            }
        }
        self.edit_meta(
            input.rows,
            &mut *input.meta,
            plan,
            envelope,
            &rows,
            (&after, &before),
        )?;
        for (k, indices) in groups.into_iter().enumerate() {
            if indices.is_empty() {
                continue;
            }
            let column = match k {
                0 => input.value.clone(),
                1 => self.built(
                    &plan.upsert_schema,
                    &after,
                    &sources,
                    "false",
                    self.handling.rewrite,
                )?,
                2 => Column {
                    schema: Some(plan.states.after_schema.clone()),
                    data: after.clone(),
                },
                3 => Column {
                    schema: None,
                    data: Arc::new(NullArray::new(n)),
                },
                _ => self.built(&plan.deleted_schema, &before, &sources, "true", true)?,
            };
            let part = part_with(
                &input,
                Side::Value,
                indices.clone(),
                take(column, &indices, n)?,
            )?;
            match (&self.drop, k) {
                (Some(drop), 1..) => {
                    let filter = match k {
                        1 => Some(&plan.upsert_schema),
                        2 => Some(&plan.states.after_schema),
                        3 => None,
                        _ => Some(&plan.deleted_base),
                    };
                    let rows = DropRows {
                        batch_rows: input.rows,
                        filter: filter.map(|s| &**s),
                        value_is_null: k == 2 || k == 3,
                    };
                    rows.apply(drop, part, &mut *input.meta, &mut output);
                }
                _ => output.parts.push(part),
            }
        }
        output.errors.sort_by_key(|(i, _)| *i);
        Ok(output)
    }

    /// A candidate output column: `base`'s children (with defaults under rewrite), `__deleted`
    /// = `flag` when `deleted`, then the `add.fields` columns; `base`'s nulls.
    fn built(
        &self,
        schema: &SchemaRef,
        base: &ArrayRef,
        sources: &[ArrayRef],
        flag: &str,
        deleted: bool,
    ) -> Result<Column, ConnectError> {
        let base = base
            .as_struct_opt()
            .ok_or_else(|| ConnectError::data("the state column is not a struct"))?;
        let with_default = deleted && self.replace_null_with_default;
        let mut children =
            children_with_defaults(&base_fields(schema, base.num_columns()), base, with_default)?;
        if deleted {
            let mut builder = StringViewBuilder::with_capacity(base.len());
            (0..base.len()).for_each(|_| builder.append_value(flag));
            children.push(Arc::new(builder.finish()));
        }
        children.extend(sources.iter().cloned());
        let fields = match arrow_type(schema) {
            arrow_schema::DataType::Struct(fields) => fields,
            _ => return Err(ConnectError::data("the output schema is not a struct")),
        };
        let array = struct_array(fields, children, base.nulls().cloned(), base.len())
            .map_err(arrow_failure)?;
        Ok(Column {
            schema: Some(schema.clone()),
            data: Arc::new(array),
        })
    }

    /// Headers and `route.by.field` topics of the kept rows. Cost: one value per header and
    /// routed row; nothing without `add.headers` and `route.by.field`.
    fn edit_meta(
        &self,
        segment_rows: &[u32],
        meta: &mut RecordMeta,
        plan: &Plan,
        envelope: &StructArray,
        rows: &[Row],
        states: (&ArrayRef, &ArrayRef),
    ) -> Result<(), ConnectError> {
        // The common configuration (no add.headers, no route.by.field) touches no metadata.
        if self.headers.is_empty() && self.route_by_field.is_none() {
            return Ok(());
        }
        let tombstone = self.tombstone_headers();
        let header_arrays = plan
            .headers
            .iter()
            .map(|(_, s, _)| s.array(envelope))
            .collect::<Result<Vec<_>, _>>()?;
        let kept: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].candidate().is_some())
            .collect();
        let mut added = kept.iter().map(|&i| match envelope.is_null(i) {
            true => tombstone.clone(),
            false => plan
                .headers
                .iter()
                .zip(&header_arrays)
                .map(|((name, _, schema), array)| Header {
                    name: name.clone(),
                    schema: Some(schema.clone()),
                    value: value_at(Some(schema), array.as_ref(), i),
                })
                .collect(),
        });
        let batch_rows: Vec<u32> = kept.iter().map(|&i| segment_rows[i]).collect();
        if !self.headers.is_empty() {
            meta.headers.edit_rows(&batch_rows, |_, h| {
                h.extend(added.next().unwrap_or_default())
            });
        }
        for &i in &kept {
            let upsert_default = self.handling.rewrite && self.replace_null_with_default;
            let (state, index, schema, with_default) = match rows[i] {
                Row::Upsert => (
                    states.0,
                    plan.route_after,
                    &plan.states.after_schema,
                    upsert_default,
                ),
                Row::Delete(_) => (
                    states.1,
                    plan.route_before,
                    &plan.states.before_schema,
                    false,
                ),
                _ => continue,
            };
            if let Some(topic) = route_value(state, index, schema, i, with_default) {
                let id = meta.intern_topic(&topic);
                meta.topic_ids[segment_rows[i] as usize] = id;
            }
        }
        Ok(())
    }

    /// A segment that is not of envelopes: tombstones handled, everything else unchanged.
    fn apply_other(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let nulls = input.value.data.logical_nulls();
        let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
        let n = input.rows.len();
        let (mut kept, mut dropped) = (Vec::new(), Vec::new());
        for i in 0..n {
            match is_null(i) && !self.handling.keep_tombstones {
                true => dropped.push(i as u32),
                false => kept.push(i as u32),
            }
        }
        let tombstone = self.tombstone_headers();
        if !tombstone.is_empty() {
            let rows: Vec<u32> = kept
                .iter()
                .filter(|&&i| is_null(i as usize))
                .map(|&i| input.rows[i as usize])
                .collect();
            input
                .meta
                .headers
                .edit_rows(&rows, |_, h| h.extend(tombstone.iter().cloned()));
        }
        let mut output = SegmentOutput {
            dropped,
            ..SegmentOutput::default()
        };
        if kept.is_empty() {
            return output;
        }
        let part = take(input.value.clone(), &kept, n)
            .and_then(|c| part_with(&input, Side::Value, kept.clone(), c));
        match part {
            Ok(part) => output.parts.push(part),
            Err(e) => output
                .errors
                .extend(kept.into_iter().map(|i| (i, e.clone()))),
        }
        output
    }

    /// The per-row fallback through the reference, for envelope schemas the plan does not
    /// cover; the reference's topics and headers are written back. Cost: two value trees per
    /// row (one for the values, one for the metadata).
    fn apply_rows(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let records = input.records();
        let output = per_row(&input, Side::Value, self);
        let mut rows = Vec::new();
        let mut updates = Vec::new();
        for (i, record) in records.into_iter().enumerate() {
            if let Ok(Some(r)) = self.apply_record(record) {
                rows.push(input.rows[i]);
                updates.push(r);
            }
        }
        for (row, r) in rows.iter().zip(&updates) {
            let id = input.meta.intern_topic(&r.topic);
            input.meta.topic_ids[*row as usize] = id;
        }
        let mut headers = updates.into_iter().map(|r| r.headers);
        input
            .meta
            .headers
            .edit_rows(&rows, |_, h| *h = headers.next().unwrap_or_default());
        output
    }
}

/// How one envelope-segment row ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Dropped,
    Unchanged,
    Upsert,
    Delete(DeleteAction),
}

impl Row {
    /// The candidate column of a kept row (0 unchanged, 1 after, 2 null after, 3 schemaless
    /// null, 4 rewritten before).
    fn candidate(self) -> Option<usize> {
        match self {
            Row::Dropped | Row::Delete(DeleteAction::Drop) => None,
            Row::Unchanged => Some(0),
            Row::Upsert => Some(1),
            Row::Delete(DeleteAction::NullAfter) => Some(2),
            Row::Delete(DeleteAction::NullNoSchema) => Some(3),
            Row::Delete(DeleteAction::Rewrite) => Some(4),
        }
    }
}

/// `drop.fields.header.name` over one output part of the kernel: rows are grouped by the
/// columns they drop (their header's list, filtered as Debezium filters it), and each group
/// that drops any goes through `ReplaceField`'s own kernels (`$Key`, then `$Value`). Cost: one
/// header scan per row, one `take` and one `ReplaceField` run per distinct list.
struct DropRows<'a> {
    /// The segment's batch rows (`SegmentInput::rows`), for the headers.
    batch_rows: &'a [u32],
    /// The schema the value's drop list is filtered against (`None`: a schemaless tombstone).
    filter: Option<&'a Schema>,
    /// Whether the part's values are null (the value delegate then changes nothing).
    value_is_null: bool,
}

/// The columns one row drops from its key and from its value.
type DropLists = (Vec<String>, Vec<String>);

impl DropRows<'_> {
    /// The key's and value's columns row `i` of `part` drops.
    fn lists(
        &self,
        drop: &DropFields,
        part: &OutputPart,
        i: usize,
        meta: &RecordMeta,
    ) -> Result<DropLists, ConnectError> {
        let row = self.batch_rows[part.indices[i] as usize];
        let Some(names) = drop.names(meta.headers.row(row as usize))? else {
            return Ok(Default::default());
        };
        let key = match drop.from_key && !part.key.data.is_null(i) {
            true => drop.to_drop(part.key.schema.as_deref(), &names)?,
            false => Vec::new(),
        };
        let value = drop.to_drop(self.filter, &names)?;
        Ok((
            key,
            if self.value_is_null {
                Vec::new()
            } else {
                value
            },
        ))
    }

    /// Pushes `part`'s rows, with their columns dropped, into `output`.
    fn apply(
        &self,
        drop: &DropFields,
        part: OutputPart,
        meta: &mut RecordMeta,
        output: &mut SegmentOutput,
    ) {
        let mut groups: Vec<(DropLists, Vec<u32>)> = Vec::new();
        for i in 0..part.indices.len() {
            match self.lists(drop, &part, i, meta) {
                Ok(lists) => match groups.iter_mut().find(|(l, _)| *l == lists) {
                    Some((_, members)) => members.push(i as u32),
                    None => groups.push((lists, vec![i as u32])),
                },
                Err(e) => output.errors.push((part.indices[i], e)),
            }
        }
        for ((key_drop, value_drop), members) in groups {
            let sub = match sub_part(&part, &members) {
                Ok(sub) => sub,
                Err(e) => {
                    let failed = members
                        .iter()
                        .map(|&m| (part.indices[m as usize], e.clone()));
                    output.errors.extend(failed);
                    continue;
                }
            };
            let mut parts = vec![sub];
            for (fields, side) in [(key_drop, Side::Key), (value_drop, Side::Value)] {
                if fields.is_empty() {
                    continue;
                }
                parts = parts
                    .into_iter()
                    .flat_map(|p| self.replace(&fields, side, p, meta, output))
                    .collect();
            }
            output.parts.extend(parts);
        }
    }

    /// `ReplaceField` (`exclude` = `fields`) on `side` of `part`, whose indices are segment
    /// indices; failed rows go to `output`.
    fn replace(
        &self,
        fields: &[String],
        side: Side,
        part: OutputPart,
        meta: &mut RecordMeta,
        output: &mut SegmentOutput,
    ) -> Vec<OutputPart> {
        let delegate = match DropFields::delegate(fields, side) {
            Ok(d) => d,
            Err(e) => {
                output
                    .errors
                    .extend(part.indices.iter().map(|&i| (i, e.clone())));
                return Vec::new();
            }
        };
        let rows: Vec<u32> = part
            .indices
            .iter()
            .map(|&i| self.batch_rows[i as usize])
            .collect();
        let result = delegate.apply(SegmentInput {
            rows: &rows,
            key: &part.key,
            value: &part.value,
            meta: &mut *meta,
        });
        let back = |i: u32| part.indices[i as usize];
        output
            .errors
            .extend(result.errors.into_iter().map(|(i, e)| (back(i), e)));
        output.dropped.extend(result.dropped.into_iter().map(back));
        result
            .parts
            .into_iter()
            .map(|p| OutputPart {
                indices: p.indices.into_iter().map(back).collect(),
                key: p.key,
                value: p.value,
            })
            .collect()
    }
}

/// Rows `members` (positions in `part`) of `part`. Cost: nothing when all are taken.
fn sub_part(part: &OutputPart, members: &[u32]) -> Result<OutputPart, ConnectError> {
    let n = part.indices.len();
    Ok(OutputPart {
        indices: members.iter().map(|&m| part.indices[m as usize]).collect(),
        key: take(part.key.clone(), members, n)?,
        value: take(part.value.clone(), members, n)?,
    })
}

/// The fields of `schema` that come from a base struct of `count` children.
fn base_fields(schema: &Schema, count: usize) -> Vec<Field> {
    schema.fields().iter().take(count).cloned().collect()
}

/// The non-blank routing value of row `i` of `state` (field `index`, with its default when
/// `with_default`: the rewrite's `InsertField` put the defaults in before Debezium reads it).
fn route_value(
    state: &ArrayRef,
    index: Option<usize>,
    schema: &Schema,
    i: usize,
    with_default: bool,
) -> Option<String> {
    let field = schema.fields().get(index?)?;
    let child = state.as_struct_opt()?.column(index?);
    match field_value(
        field,
        &value_at(Some(&field.schema), child.as_ref(), i),
        with_default,
    ) {
        Value::String(topic) if !topic.trim().is_empty() => Some(topic),
        _ => None,
    }
}

/// Rows `indices` of a segment-length column. Cost: nothing when every row is taken.
fn take(column: Column, indices: &[u32], n: usize) -> Result<Column, ConnectError> {
    if indices.len() == n {
        return Ok(column);
    }
    let positions = UInt32Array::from(indices.to_vec());
    let data =
        arrow_select::take::take(column.data.as_ref(), &positions, None).map_err(arrow_failure)?;
    Ok(Column {
        schema: column.schema,
        data,
    })
}

impl Transform for ExtractNewRecordState {
    /// Envelope segments: the columnar path (or the per-row fallback where the plan does not
    /// cover the schema); other segments: tombstones handled, the rest unchanged.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let Some(schema) = input.value.schema.clone().filter(|s| is_envelope(Some(s))) else {
            return self.apply_other(input);
        };
        let plan = self
            .plans
            .get_or_try::<std::convert::Infallible>(&schema, || Ok(self.plan(&schema)));
        let envelope = input.value.data.as_struct_opt().cloned();
        match (plan.ok().as_deref(), envelope) {
            (Some(Some(plan)), Some(envelope)) => {
                let n = input.rows.len();
                self.apply_envelope(input, plan, &envelope)
                    .unwrap_or_else(|e| SegmentOutput::all_failed(n, &e))
            }
            _ => self.apply_rows(input),
        }
    }

    /// Debezium's `doApply`.
    fn apply_record(
        &self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.value.is_null() {
            record.headers.extend(self.tombstone_headers());
            return Ok(self.handling.keep_tombstones.then_some(record));
        }
        let Some(schema) = record.value_schema.clone().filter(|s| is_envelope(Some(s))) else {
            return Ok(Some(record));
        };
        let Value::Struct(envelope) = record.value.clone() else {
            return Err(require_struct_error(EXTRACT_PURPOSE, &record.value));
        };
        let headers = self.envelope_headers(&schema, &envelope)?;
        record.headers.extend(headers);
        let after = Self::extract(&envelope, "after")?;
        if !after.1.is_null() {
            return self.upsert(record, &envelope, after);
        }
        let before = Self::extract(&envelope, "before")?;
        if before.1.is_null() {
            return Ok(None);
        }
        self.delete(record, &envelope, before, after.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::{apply_to_values, check, config, meta};
    use crate::record::column_of;
    use proptest::prelude::*;

    fn s(kind: SchemaKind) -> Schema {
        Schema::new(kind)
    }

    fn structure(name: &str, fields: &[(&str, Schema)]) -> Schema {
        Schema::structure(
            fields
                .iter()
                .map(|(n, f)| (n.to_string(), f.clone().into_ref())),
        )
        .with_name(name)
    }

    fn row_schema() -> SchemaRef {
        let name = s(SchemaKind::String)
            .optional()
            .with_default(Value::String("anon".into()));
        structure(
            "srv.db.t.Value",
            &[("id", s(SchemaKind::Int32)), ("name", name)],
        )
        .optional()
        .into_ref()
    }

    fn envelope_schema() -> SchemaRef {
        let source = structure(
            "io.debezium.connector.postgresql.Source",
            &[
                ("version", s(SchemaKind::String)),
                ("ts_ms", s(SchemaKind::Int64)),
                ("db", s(SchemaKind::String)),
                ("table", s(SchemaKind::String).optional()),
            ],
        );
        let transaction = structure(
            "event.block",
            &[
                ("id", s(SchemaKind::String)),
                ("total_order", s(SchemaKind::Int64)),
                ("data_collection_order", s(SchemaKind::Int64)),
            ],
        )
        .optional();
        let row = (*row_schema()).clone();
        structure(
            "srv.db.t.Envelope",
            &[
                ("before", row.clone()),
                ("after", row),
                ("source", source),
                ("op", s(SchemaKind::String)),
                ("ts_ms", s(SchemaKind::Int64).optional()),
                ("transaction", transaction),
                ("ts_us", s(SchemaKind::Int64).optional()),
                ("ts_ns", s(SchemaKind::Int64).optional()),
            ],
        )
        .into_ref()
    }

    fn row(id: i32, name: Option<&str>) -> Value {
        Value::Struct(Struct {
            schema: row_schema(),
            values: vec![
                Value::Int32(id),
                name.map_or(Value::Null, |n| Value::String(n.into())),
            ],
        })
    }

    fn field_of(schema: &SchemaRef, name: &str) -> SchemaRef {
        schema
            .field(name)
            .map(|(_, f)| f.schema.clone())
            .expect("field")
    }

    fn envelope(op: &str, before: Value, after: Value, tx: bool) -> Value {
        let schema = envelope_schema();
        let source = Value::Struct(Struct {
            schema: field_of(&schema, "source"),
            values: vec![
                Value::String("2.7".into()),
                Value::Int64(1_700_000_000_000),
                Value::String("inventory".into()),
                Value::String("customers".into()),
            ],
        });
        let transaction = match tx {
            true => Value::Struct(Struct {
                schema: field_of(&schema, "transaction"),
                values: vec![
                    Value::String("tx-1".into()),
                    Value::Int64(3),
                    Value::Int64(1),
                ],
            }),
            false => Value::Null,
        };
        let values = vec![
            before,
            after,
            source,
            Value::String(op.into()),
            Value::Int64(1_700_000_000_500),
            transaction,
            Value::Int64(1_700_000_000_500_000),
            Value::Null,
        ];
        Value::Struct(Struct { schema, values })
    }

    fn create(id: i32) -> Value {
        envelope("c", Value::Null, row(id, Some("ann")), false)
    }
    fn update(id: i32) -> Value {
        envelope("u", row(id, Some("ann")), row(id, None), true)
    }
    fn delete(id: i32) -> Value {
        envelope("d", row(id, None), Value::Null, false)
    }
    fn truncate() -> Value {
        envelope("t", Value::Null, Value::Null, false)
    }

    fn unwrap(pairs: &[(&str, &str)]) -> ExtractNewRecordState {
        ExtractNewRecordState::new(&config(pairs)).expect("valid config")
    }

    fn record(value: Value) -> ConnectRecord {
        ConnectRecord {
            topic: "srv.db.t".into(),
            partition: 0,
            offset: 1,
            timestamp: None,
            key_schema: None,
            key: Value::Null,
            value_schema: Some(envelope_schema()),
            value,
            headers: Vec::new(),
        }
    }

    fn apply(t: &ExtractNewRecordState, value: Value) -> Option<ConnectRecord> {
        t.apply_record(record(value)).expect("no error")
    }

    /// Kernel and reference agree on `values` (one envelope segment).
    fn agree(t: &ExtractNewRecordState, values: Vec<Value>) {
        let n = values.len();
        let key = (None, vec![Value::Null; n]);
        check(t, key, (Some(envelope_schema()), values), false).expect("kernel = reference");
    }

    fn struct_of(record: &ConnectRecord) -> &Struct {
        match &record.value {
            Value::Struct(s) => s,
            other => panic!("not a struct: {other:?}"),
        }
    }

    fn all_kinds() -> Vec<Value> {
        vec![
            create(1),
            update(2),
            delete(3),
            truncate(),
            Value::Null,
            create(4),
        ]
    }

    #[test]
    fn standard_envelopes_take_the_columnar_path() {
        for pairs in [
            vec![],
            vec![
                ("delete.tombstone.handling.mode", "rewrite"),
                ("add.fields", "op,table,source.ts_ms,id"),
            ],
            vec![("add.headers", "op,db"), ("route.by.field", "name")],
        ] {
            assert!(
                unwrap(&pairs).plan(&envelope_schema()).is_some(),
                "{pairs:?}"
            );
        }
        assert!(unwrap(&[("route.by.field", "id")])
            .plan(&envelope_schema())
            .is_none());
    }

    #[test]
    fn default_mode_unwraps_and_turns_deletes_into_tombstones() {
        let t = unwrap(&[]);
        let created = apply(&t, create(1)).expect("kept");
        // The add-fields step copies the schema without its optionality: required.
        let required = Schema {
            optional: false,
            ..(*row_schema()).clone()
        }
        .into_ref();
        assert_eq!(created.value_schema.as_ref(), Some(&required));
        assert_eq!(
            struct_of(&created).values,
            vec![Value::Int32(1), Value::String("ann".into())]
        );
        // The delete keeps `after`'s optional schema, with a null value.
        let deleted = apply(&t, delete(3)).expect("kept");
        assert_eq!(
            (deleted.value_schema, deleted.value),
            (Some(row_schema()), Value::Null)
        );
        assert_eq!(apply(&t, Value::Null), None);
        assert_eq!(apply(&t, truncate()), None);
        agree(&t, all_kinds());
    }

    #[test]
    fn rewrite_modes_add_deleted_and_keep_tombstones_on_request() {
        let t = unwrap(&[("delete.tombstone.handling.mode", "rewrite")]);
        let updated = apply(&t, update(2)).expect("kept");
        let s = struct_of(&updated);
        // replace.null.with.default: the null name becomes its default when rewriting.
        assert_eq!(s.values[1], Value::String("anon".into()));
        assert_eq!(s.get(DELETED_FIELD), Some(&Value::String("false".into())));
        let deleted = apply(&t, delete(3)).expect("kept");
        assert_eq!(
            struct_of(&deleted).get(DELETED_FIELD),
            Some(&Value::String("true".into()))
        );
        assert_eq!(struct_of(&deleted).values[0], Value::Int32(3));
        assert_eq!(apply(&t, Value::Null), None);
        agree(&t, all_kinds());
        let kept = unwrap(&[("delete.tombstone.handling.mode", "Rewrite-With-Tombstone")]);
        assert!(apply(&kept, Value::Null).is_some());
        agree(&kept, all_kinds());
        let raw = unwrap(&[
            ("delete.tombstone.handling.mode", "rewrite"),
            ("replace.null.with.default", "false"),
        ]);
        assert_eq!(
            struct_of(&apply(&raw, update(2)).expect("kept")).values[1],
            Value::Null
        );
        agree(&raw, all_kinds());
    }

    #[test]
    fn drop_and_delete_to_tombstone() {
        let t = unwrap(&[("delete.tombstone.handling.mode", "drop")]);
        assert_eq!(apply(&t, delete(3)), None);
        agree(&t, all_kinds());
        let t = unwrap(&[("delete.tombstone.handling.mode", "delete-to-tombstone")]);
        let deleted = apply(&t, delete(3)).expect("kept");
        assert_eq!((deleted.value_schema, deleted.value), (None, Value::Null));
        assert_eq!(apply(&t, Value::Null), None);
        agree(&t, all_kinds());
    }

    #[test]
    fn removed_keys_are_ignored() {
        let legacy = unwrap(&[
            ("drop.tombstones", "false"),
            ("delete.handling.mode", "none"),
            ("operation.header", "true"),
            ("add.source.fields", "db"),
        ]);
        let default = unwrap(&[]);
        assert_eq!(legacy.handling, default.handling);
        assert!(legacy.fields.is_empty() && legacy.headers.is_empty());
        assert_eq!(apply(&legacy, Value::Null), None);
        // The default mode wins over the removed pair, even when they ask for rewrites.
        let rewrite = unwrap(&[("delete.handling.mode", "rewrite")]);
        assert_eq!(apply(&rewrite, delete(3)).expect("kept").value, Value::Null);
        agree(&legacy, all_kinds());
    }

    #[test]
    fn modes_match_ignoring_case_and_blanks() {
        for (raw, mode) in [
            (" drop ", "drop"),
            ("REWRITE", "rewrite"),
            ("Tombstone", "tombstone"),
        ] {
            let a = unwrap(&[("delete.tombstone.handling.mode", raw)]);
            let b = unwrap(&[("delete.tombstone.handling.mode", mode)]);
            assert_eq!(a.handling, b.handling, "{raw}");
        }
    }

    #[test]
    fn drop_fields_header_drops_optional_columns_of_value_and_key() {
        let t = unwrap(&[
            ("drop.fields.header.name", "dropped"),
            ("drop.fields.from.key", "true"),
            ("delete.tombstone.handling.mode", "rewrite"),
            ("add.fields", "op"),
        ]);
        let key_schema = structure(
            "k.Key",
            &[
                ("id", s(SchemaKind::Int32)),
                ("name", s(SchemaKind::String).optional()),
            ],
        )
        .into_ref();
        let key = Value::Struct(Struct {
            schema: key_schema.clone(),
            values: vec![Value::Int32(1), Value::String("k".into())],
        });
        let list = |names: &[&str]| Header {
            name: "dropped".into(),
            schema: None,
            value: Value::Array(names.iter().map(|n| Value::String(n.to_string())).collect()),
        };
        let with = |value: Value, names: &[&str]| ConnectRecord {
            key_schema: Some(key_schema.clone()),
            key: key.clone(),
            headers: vec![list(names)],
            ..record(value)
        };
        let out = t
            .apply_record(with(update(2), &["id", "name", "__op", "nope"]))
            .expect("ok")
            .expect("kept");
        let names = |schema: &Option<SchemaRef>| -> Vec<String> {
            schema
                .as_ref()
                .expect("schema")
                .fields()
                .iter()
                .map(|f| f.name.clone())
                .collect()
        };
        // `id` is required (kept); `name` and the added `__op` are optional (dropped).
        assert_eq!(names(&out.value_schema), ["id", "__deleted"]);
        assert_eq!(names(&out.key_schema), ["id"]);
        // On deletes the columns go before add.fields runs: `__op` stays.
        let out = t
            .apply_record(with(delete(3), &["name", "__op"]))
            .expect("ok")
            .expect("kept");
        assert_eq!(names(&out.value_schema), ["id", "__deleted", "__op"]);
        let not_a_list = ConnectRecord {
            headers: vec![Header {
                name: "dropped".into(),
                schema: None,
                value: Value::String("name".into()),
            }],
            ..record(create(1))
        };
        assert!(t.apply_record(not_a_list).is_err());
        let values = vec![create(1), update(2), delete(3), create(4), Value::Null];
        let headers = [
            &["name"][..],
            &[],
            &["name", "__op"],
            &["id", "nope"],
            &["name"],
        ];
        kernel_agrees_with_headers(&t, Some(&key_schema), key.clone(), &values, &headers)
            .expect("agree");
        let incompatible = unwrap(&[
            ("drop.fields.header.name", "dropped"),
            ("drop.fields.keep.schema.compatible", "false"),
            ("drop.fields.from.key", "true"),
        ]);
        kernel_agrees_with_headers(
            &incompatible,
            Some(&key_schema),
            key.clone(),
            &values,
            &headers,
        )
        .expect("agree");
        let to_tombstone = unwrap(&[
            ("drop.fields.header.name", "dropped"),
            ("delete.tombstone.handling.mode", "delete-to-tombstone"),
        ]);
        let error = to_tombstone
            .apply_record(with(delete(3), &["name"]))
            .expect_err("no schema to filter against");
        assert_eq!(error.message, NULL_SCHEMA_NPE);
        kernel_agrees_with_headers(&to_tombstone, Some(&key_schema), key, &values, &headers)
            .expect("agree");
    }

    #[test]
    fn add_fields_appends_optional_copies_with_renames_and_prefix() {
        let t = unwrap(&[("add.fields", "op,table,source.ts_ms:event_ts,id,missing")]);
        let created = apply(&t, create(1)).expect("kept");
        let s = struct_of(&created);
        let names: Vec<&str> = s.schema.fields().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["id", "name", "__op", "__table", "__event_ts", "__id"]
        );
        assert!(s.schema.fields()[2..].iter().all(|f| f.schema.optional));
        assert_eq!(s.values[2], Value::String("c".into()));
        assert_eq!(s.values[4], Value::Int64(1_700_000_000_000));
        // `id` is the transaction's: null without a transaction.
        assert_eq!(s.values[5], Value::Null);
        agree(&t, all_kinds());
        let prefixed = unwrap(&[
            ("add.fields", "op,id"),
            ("add.fields.prefix", "cdc_"),
            ("delete.tombstone.handling.mode", "rewrite"),
        ]);
        let updated = apply(&prefixed, update(2)).expect("kept");
        let names: Vec<String> = struct_of(&updated)
            .schema
            .fields()
            .iter()
            .map(|f| f.name.clone())
            .collect();
        assert_eq!(names, ["id", "name", "__deleted", "cdc_op", "cdc_id"]);
        assert_eq!(struct_of(&updated).values[4], Value::String("tx-1".into()));
        agree(&prefixed, all_kinds());
    }

    #[test]
    fn add_headers_on_envelopes_and_tombstones_in_the_kernel() {
        let t = unwrap(&[
            ("add.headers", "op,db,source.ts_ms"),
            ("delete.tombstone.handling.mode", "rewrite-with-tombstone"),
        ]);
        let values = vec![create(1), Value::Null, delete(2)];
        let (output, m) = apply_to_values(&t, Some(&envelope_schema()), &values);
        assert!(output.errors.is_empty() && output.dropped.is_empty());
        let names = |r: usize| {
            m.headers
                .row(r)
                .iter()
                .map(|h| h.name.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(0), ["__op", "__db", "__source_ts_ms"]);
        assert_eq!(names(1), ["__op"]);
        assert_eq!(m.headers.row(1)[0].value, Value::String("d".into()));
        assert_eq!(m.headers.row(2)[0].value, Value::String("d".into()));
        assert_eq!(m.headers.row(0)[2].value, Value::Int64(1_700_000_000_000));
        assert_eq!(
            m.headers.row(0)[2].schema.as_ref().map(|s| s.optional),
            Some(true)
        );
        let reference = t
            .apply_record(record(create(1)))
            .expect("ok")
            .expect("kept");
        assert_eq!(reference.headers, m.headers.row(0).to_vec());
    }

    #[test]
    fn route_by_field_sets_topics_from_after_or_before() {
        let t = unwrap(&[
            ("route.by.field", "name"),
            ("delete.tombstone.handling.mode", "rewrite"),
        ]);
        assert_eq!(apply(&t, create(1)).expect("kept").topic, "ann");
        assert_eq!(apply(&t, update(1)).expect("kept").topic, "anon");
        let values = vec![
            create(1),
            update(2),
            envelope("d", row(3, Some("gone")), Value::Null, false),
        ];
        let (_, m) = apply_to_values(&t, Some(&envelope_schema()), &values);
        assert_eq!(
            [m.topic(0), m.topic(1), m.topic(2)],
            ["ann", "anon", "gone"]
        );
        let bad = unwrap(&[("route.by.field", "id")]);
        let error = bad
            .apply_record(record(create(1)))
            .expect_err("not a string");
        assert_eq!(error.message, "Field 'id' is not of type STRING");
        agree(&bad, all_kinds());
        let missing = unwrap(&[("route.by.field", "nope")]);
        assert_eq!(
            missing
                .apply_record(record(create(1)))
                .expect_err("missing")
                .message,
            "nope is not a valid field name"
        );
        agree(&missing, all_kinds());
    }

    #[test]
    fn non_envelopes_pass_and_odd_envelopes_fail_like_debezium() {
        let t = unwrap(&[("add.fields", "op")]);
        let heartbeat = structure(
            "io.debezium.connector.common.Heartbeat",
            &[("ts_ms", s(SchemaKind::Int64))],
        )
        .into_ref();
        let value = Value::Struct(Struct {
            schema: heartbeat.clone(),
            values: vec![Value::Int64(5)],
        });
        let r = ConnectRecord {
            value_schema: Some(heartbeat.clone()),
            value: value.clone(),
            ..record(Value::Null)
        };
        assert_eq!(t.apply_record(r.clone()).expect("ok"), Some(r));
        check(
            &t,
            (None, vec![Value::Null; 2]),
            (Some(heartbeat), vec![value, Value::Null]),
            false,
        )
        .expect("agree");
        let schemaless = Value::Map(vec![(
            Value::String("op".into()),
            Value::String("c".into()),
        )]);
        check(
            &t,
            (None, vec![Value::Null; 2]),
            (None, vec![schemaless, Value::Null]),
            false,
        )
        .expect("agree");
        let no_after = structure("x.Envelope", &[("op", s(SchemaKind::String))]).into_ref();
        let v = Value::Struct(Struct {
            schema: no_after.clone(),
            values: vec![Value::String("c".into())],
        });
        let r = ConnectRecord {
            value_schema: Some(no_after.clone()),
            value: v.clone(),
            ..record(Value::Null)
        };
        assert_eq!(
            t.apply_record(r).expect_err("no after").message,
            "Unknown field: after"
        );
        check(
            &t,
            (None, vec![Value::Null]),
            (Some(no_after), vec![v]),
            false,
        )
        .expect("agree");
        let clash = unwrap(&[("add.fields", "id:id"), ("add.fields.prefix", "")]);
        assert!(clash.apply_record(record(create(1))).is_err());
        agree(&clash, all_kinds());
        let whole = unwrap(&[("add.headers", "source")]);
        agree(&whole, all_kinds());
    }

    #[test]
    fn config_errors_use_debeziums_messages() {
        let error = |pairs: &[(&str, &str)]| {
            ExtractNewRecordState::new(&config(pairs)).expect_err("invalid")
        };
        let e = error(&[("delete.tombstone.handling.mode", "bogus")]);
        assert_eq!((e.key.as_str(), e.message.as_str()), (NEW_MODE, "Unable to validate config. The 'delete.tombstone.handling.mode' value 'bogus' is invalid: Value must be one of drop, tombstone, rewrite-with-tombstone, rewrite, delete-to-tombstone"));
        assert_eq!(error(&[(NEW_MODE, "")]).key, NEW_MODE);
        assert_eq!(error(&[(NEW_MODE, "none")]).key, NEW_MODE);
        let e = error(&[("drop.fields.from.key", "maybe")]);
        assert!(e.message.starts_with("Unable to validate config."));
        assert_eq!(e.key, "drop.fields.from.key");
        assert_eq!(
            error(&[("drop.fields.keep.schema.compatible", "")]).key,
            "drop.fields.keep.schema.compatible"
        );
        // Not in Debezium's validated set: a non-boolean is the default.
        let lenient = unwrap(&[("replace.null.with.default", "x")]);
        assert!(lenient.replace_null_with_default);
        let e = error(&[("add.fields", "op:a:b")]);
        assert_eq!(
            (e.key.as_str(), e.message.as_str()),
            ("add.fields", "Unexpected field name: op:a:b")
        );
        assert_eq!(error(&[("add.headers", "a:b:c")]).key, "add.headers");
    }

    fn arb_row() -> impl Strategy<Value = Value> {
        (
            0..4i32,
            prop_oneof![Just(None), Just(Some("ann")), Just(Some(""))],
        )
            .prop_map(|(id, n)| row(id, n))
    }

    fn arb_event() -> impl Strategy<Value = Value> {
        prop_oneof![
            arb_row().prop_map(|r| envelope("c", Value::Null, r, false)),
            (arb_row(), arb_row(), any::<bool>()).prop_map(|(b, a, tx)| envelope("u", b, a, tx)),
            arb_row().prop_map(|r| envelope("r", Value::Null, r, false)),
            arb_row().prop_map(|r| envelope("d", r, Value::Null, true)),
            Just(truncate()),
            Just(Value::Null),
        ]
    }

    fn arb_config() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
        let mode = prop_oneof![
            Just(vec![]),
            Just(vec![("delete.tombstone.handling.mode", "drop")]),
            Just(vec![("delete.tombstone.handling.mode", "rewrite")]),
            Just(vec![(
                "delete.tombstone.handling.mode",
                "rewrite-with-tombstone"
            )]),
            Just(vec![(
                "delete.tombstone.handling.mode",
                "delete-to-tombstone"
            )]),
            Just(vec![("delete.tombstone.handling.mode", "REWRITE ")]),
            Just(vec![("delete.handling.mode", "rewrite")]),
        ];
        let extra = prop_oneof![
            Just(vec![]),
            Just(vec![("add.fields", "op,table,source.ts_ms,id")]),
            Just(vec![("add.headers", "op,ts_ms,total_order")]),
            Just(vec![("route.by.field", "name"), ("add.headers", "op,db")]),
            Just(vec![("route.by.field", "id"), ("add.headers", "source")]),
            Just(vec![
                ("replace.null.with.default", "false"),
                ("add.fields", "db:database")
            ]),
            Just(vec![(
                "add.fields",
                "ts_us,ts_ns,data_collection_order,transaction.id"
            )]),
            Just(vec![("route.by.field", "name"), ("add.fields", "op")]),
            Just(vec![
                ("drop.fields.header.name", "dropped"),
                ("add.fields", "op,table")
            ]),
            Just(vec![
                ("drop.fields.header.name", "dropped"),
                ("drop.fields.keep.schema.compatible", "false")
            ]),
        ];
        (mode, extra).prop_map(|(mut m, e)| {
            m.extend(e);
            m
        })
    }

    /// Kernel and reference agree on the kept rows' topics and headers.
    fn meta_agrees(t: &ExtractNewRecordState, values: &[Value]) -> Result<(), TestCaseError> {
        let n = values.len();
        let column = column_of(Some(&envelope_schema()), values).expect("column");
        let key = column_of(None, &vec![Value::Null; n]).expect("key");
        let rows: Vec<u32> = (0..n as u32).collect();
        let mut m = meta(n, false);
        let input = SegmentInput {
            rows: &rows,
            key: &key,
            value: &column,
            meta: &mut m,
        };
        let expected: Vec<Option<ConnectRecord>> = input
            .records()
            .into_iter()
            .map(|r| t.apply_record(r).ok().flatten())
            .collect();
        t.apply(input);
        for (i, e) in expected.iter().enumerate() {
            if let Some(e) = e {
                prop_assert_eq!(m.topic(i as u32), e.topic.as_str(), "row {}", i);
                prop_assert_eq!(m.headers.row(i), e.headers.as_slice(), "row {}", i);
            }
        }
        Ok(())
    }

    /// One row's outcome with everything a transform may change.
    type Full = Result<
        Option<(
            String,
            Option<SchemaRef>,
            Value,
            Option<SchemaRef>,
            Value,
            Vec<Header>,
        )>,
        String,
    >;

    /// Kernel and reference agree on every row (topic, key, value, schemas, headers, drops,
    /// errors), with the input rows carrying a `dropped` header listing `drops[i]`.
    fn kernel_agrees_with_headers(
        t: &ExtractNewRecordState,
        key_schema: Option<&SchemaRef>,
        key: Value,
        values: &[Value],
        drops: &[&[&str]],
    ) -> Result<(), TestCaseError> {
        let n = values.len();
        let column = column_of(Some(&envelope_schema()), values).expect("column");
        let keys = column_of(key_schema, &vec![key; n]).expect("key");
        let rows: Vec<u32> = (0..n as u32).collect();
        let mut m = meta(n, false);
        m.headers = Default::default();
        for i in 0..n {
            let names = drops[i % drops.len()];
            m.headers.push_row([Header {
                name: "dropped".into(),
                schema: None,
                value: Value::Array(names.iter().map(|s| Value::String(s.to_string())).collect()),
            }]);
        }
        let input = SegmentInput {
            rows: &rows,
            key: &keys,
            value: &column,
            meta: &mut m,
        };
        let expected: Vec<Full> = input
            .records()
            .into_iter()
            .map(|r| match t.apply_record(r) {
                Ok(Some(r)) => Ok(Some((
                    r.topic,
                    r.key_schema,
                    r.key,
                    r.value_schema,
                    r.value,
                    r.headers,
                ))),
                Ok(None) => Ok(None),
                Err(e) => Err(e.message),
            })
            .collect();
        let output = t.apply(input);
        let mut actual: Vec<Option<Full>> = vec![None; n];
        for part in &output.parts {
            for (k, &i) in part.indices.iter().enumerate() {
                let row = i as usize;
                let record = (
                    m.topic(i).to_string(),
                    part.key.schema.clone(),
                    value_at(part.key.schema.as_ref(), part.key.data.as_ref(), k),
                    part.value.schema.clone(),
                    value_at(part.value.schema.as_ref(), part.value.data.as_ref(), k),
                    m.headers.row(row).to_vec(),
                );
                prop_assert!(actual[row].is_none(), "row {} twice", row);
                actual[row] = Some(Ok(Some(record)));
            }
        }
        for &i in &output.dropped {
            actual[i as usize] = Some(Ok(None));
        }
        for (i, e) in &output.errors {
            actual[*i as usize] = Some(Err(e.message.clone()));
        }
        for (i, (a, e)) in actual.into_iter().zip(expected).enumerate() {
            prop_assert_eq!(a.expect("every row has an outcome"), e, "row {}", i);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(pairs in arb_config(), values in prop::collection::vec(arb_event(), 0..12)) {
            let t = unwrap(&pairs);
            let n = values.len();
            let keys: Vec<Value> = (0..n as i32).map(Value::Int32).collect();
            let key_schema = s(SchemaKind::Int32).optional().into_ref();
            check(&t, (Some(key_schema), keys), (Some(envelope_schema()), values.clone()), true)?;
            meta_agrees(&t, &values)?;
        }

        #[test]
        fn kernel_agrees_with_reference_on_drop_lists(
            pairs in arb_config(),
            from_key in any::<bool>(),
            values in prop::collection::vec(arb_event(), 1..10),
            drops in prop::collection::vec(prop::sample::subsequence(vec!["id", "name", "__op", "__deleted", "nope"], 0..4), 1..4),
        ) {
            let mut pairs = pairs;
            pairs.push(("drop.fields.header.name", "dropped"));
            if from_key {
                pairs.push(("drop.fields.from.key", "true"));
            }
            let t = unwrap(&pairs);
            let key_schema = structure(
                "k.Key",
                &[("id", s(SchemaKind::Int32)), ("name", s(SchemaKind::String).optional())],
            )
            .into_ref();
            let key = Value::Struct(Struct {
                schema: key_schema.clone(),
                values: vec![Value::Int32(1), Value::Null],
            });
            let drops: Vec<&[&str]> = drops.iter().map(|d| d.as_slice()).collect();
            kernel_agrees_with_headers(&t, Some(&key_schema), key, &values, &drops)?;
        }
    }
}
