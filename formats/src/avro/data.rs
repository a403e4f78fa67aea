//! Confluent's `AvroData` schema mapping: an Avro schema → the Connect schema AvroConverter reads
//! it as ([`AvroData::to_connect_schema`]), and a Connect schema → the Avro schema it writes and
//! registers ([`AvroData::from_connect_schema`]), with the `connect.*` properties that let the
//! two round-trip (name, version, doc, parameters, default, `connect.type` for INT8/INT16),
//! optional fields as `["null", T]` unions, multi-branch unions as
//! `io.confluent.connect.avro.Union` structs, enums as strings with `io.confluent.connect.avro.Enum`
//! parameters, fixed as bytes with `connect.fixed.size`, maps with non-string keys as arrays of
//! `MapEntry` records, and the logical types Decimal, Date, Time and Timestamp.
//!
//! Costs: one walk of the schema each way; the converter caches the results per schema id and
//! per Connect schema.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Number, Value as Json};

use super::schema::{validate_name, AvroField, AvroKind, AvroSchema, AvroType, Name, TypeId};
use crate::error::ConnectError;
use crate::schema::{Field, LogicalType, Schema, SchemaKind, SchemaRef};
use crate::value::{Decimal, Struct, Value};

/// The namespace of AvroData's own names.
pub const NAMESPACE: &str = "io.confluent.connect.avro";
/// The Connect name of a multi-branch union struct.
pub const AVRO_TYPE_UNION: &str = "io.confluent.connect.avro.Union";
/// The parameter naming an enum (`…Enum` = full name, `…Enum.<symbol>` = symbol).
pub const AVRO_TYPE_ENUM: &str = "io.confluent.connect.avro.Enum";
/// The generalized sum type parameter of a union struct.
pub const GENERALIZED_TYPE_UNION: &str = "org.apache.kafka.connect.data.Union";
/// The generalized sum type parameter of an enum.
pub const GENERALIZED_TYPE_ENUM: &str = "org.apache.kafka.connect.data.Enum";
const GENERALIZED_UNION_PREFIX: &str = "connect_union_";
const GENERALIZED_UNION_FIELD_PREFIX: &str = "connect_union_field_";
const DEFAULT_SCHEMA_NAME: &str = "ConnectDefault";
const MAP_ENTRY_TYPE_NAME: &str = "MapEntry";
const CONNECT_NAME_PROP: &str = "connect.name";
const CONNECT_DOC_PROP: &str = "connect.doc";
const CONNECT_VERSION_PROP: &str = "connect.version";
const CONNECT_DEFAULT_VALUE_PROP: &str = "connect.default";
const CONNECT_PARAMETERS_PROP: &str = "connect.parameters";
const CONNECT_INTERNAL_TYPE_NAME: &str = "connect.internal.type";
const CONNECT_TYPE_PROP: &str = "connect.type";
const AVRO_RECORD_DOC_PROP: &str = "io.confluent.connect.avro.record.doc";
const AVRO_ENUM_DOC_PREFIX_PROP: &str = "io.confluent.connect.avro.enum.doc.";
const AVRO_FIELD_DOC_PREFIX_PROP: &str = "io.confluent.connect.avro.field.doc.";
const AVRO_FIELD_DEFAULT_FLAG_PROP: &str = "io.confluent.connect.avro.field.default";
const AVRO_ENUM_DEFAULT_PREFIX_PROP: &str = "io.confluent.connect.avro.enum.default.";
const CONNECT_AVRO_FIXED_SIZE_PROP: &str = "connect.fixed.size";
const CONNECT_AVRO_DECIMAL_PRECISION_PROP: &str = "connect.decimal.precision";
const DECIMAL_PRECISION_DEFAULT: i64 = 64;
const LOGICAL_TYPE_PROP: &str = "logicalType";

/// AvroData's settings (Confluent's `AvroDataConfig`), as the converter reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroDataConfig {
    /// `enhanced.avro.schema.support` (default false): enums and union member names keep full
    /// names, Connect enums are written as Avro enums.
    pub enhanced_schema_support: bool,
    /// `connect.meta.data` (default true): carry `connect.*` properties both ways.
    pub connect_meta_data: bool,
    /// `scrub.invalid.names` (default false): rewrite names Avro does not allow.
    pub scrub_invalid_names: bool,
    /// `generalized.sum.type.support` (default false): unions as `connect_union_<n>` structs,
    /// enums with `org.apache.kafka.connect.data.Enum` parameters.
    pub generalized_sum_type_support: bool,
    /// `ignore.default.for.nullables` (default false).
    pub ignore_default_for_nullables: bool,
    /// `allow.optional.map.keys` (default false).
    pub allow_optional_map_keys: bool,
    /// `flatten.singleton.unions` (default true).
    pub flatten_singleton_unions: bool,
}

impl Default for AvroDataConfig {
    fn default() -> Self {
        AvroDataConfig {
            enhanced_schema_support: false,
            connect_meta_data: true,
            scrub_invalid_names: false,
            generalized_sum_type_support: false,
            ignore_default_for_nullables: false,
            allow_optional_map_keys: false,
            flatten_singleton_unions: true,
        }
    }
}

/// The schema mapping with its settings.
#[derive(Debug, Clone, Default)]
pub struct AvroData {
    /// The settings.
    pub config: AvroDataConfig,
}

fn data_err(message: impl Into<String>) -> ConnectError {
    ConnectError::data(message)
}

/// State of one Avro → Connect conversion.
struct ToConnect<'a> {
    avro: &'a AvroSchema,
    /// Records being converted (a record met again inside itself is a recursive schema).
    open: Vec<TypeId>,
    union_index: usize,
}

impl AvroData {
    /// AvroData with `config`.
    pub fn new(config: AvroDataConfig) -> AvroData {
        AvroData { config }
    }

    /// The Connect schema AvroConverter reads `avro` as; `version` (the registry's version of
    /// the schema) is the root's version unless the schema carries `connect.version`. A field of
    /// type `null` and a recursive schema are errors (Confluent: "Standalone null schemas…", and
    /// a stack overflow on recursion — weir names the recursive type instead).
    pub fn to_connect_schema(
        &self,
        avro: &AvroSchema,
        version: Option<i32>,
    ) -> Result<SchemaRef, ConnectError> {
        let mut ctx = ToConnect {
            avro,
            open: Vec::new(),
            union_index: 0,
        };
        Ok(Arc::new(
            self.to_connect(&mut ctx, avro.root, false, None, version)?,
        ))
    }

    /// The Connect name of a union member (`unionMemberFieldName`).
    pub fn union_member_name(&self, t: &AvroType, index: usize) -> String {
        if self.config.generalized_sum_type_support {
            return format!("{GENERALIZED_UNION_FIELD_PREFIX}{index}");
        }
        match t.name() {
            Some(name) if self.config.enhanced_schema_support => name.full_name(),
            Some(name) => name.name.clone(),
            None => t.type_name().to_string(),
        }
    }

    fn to_connect(
        &self,
        ctx: &mut ToConnect<'_>,
        id: TypeId,
        force_optional: bool,
        field_default: Option<&Json>,
        version: Option<i32>,
    ) -> Result<Schema, ConnectError> {
        let avro = ctx.avro;
        let t = avro.get(id);
        let meta = self.config.connect_meta_data;
        let logical = t.prop_str(LOGICAL_TYPE_PROP);
        let mut schema = match &t.kind {
            AvroKind::Boolean => Schema::new(SchemaKind::Boolean),
            AvroKind::Bytes | AvroKind::Fixed { .. } => {
                let mut s = if logical.is_some_and(|l| l.eq_ignore_ascii_case("decimal")) {
                    let scale = t.prop("scale").and_then(Json::as_i64).unwrap_or(0) as i32;
                    let mut s = Schema::decimal(scale);
                    if let Some(p) = t.prop("precision") {
                        let p = p.as_i64().ok_or_else(|| {
                            data_err("precision property must be a JSON Integer. https://avro.apache.org/docs/1.9.1/spec.html#Decimal")
                        })?;
                        if p != DECIMAL_PRECISION_DEFAULT {
                            s = s
                                .with_parameter(CONNECT_AVRO_DECIMAL_PRECISION_PROP, p.to_string());
                        }
                    }
                    s
                } else {
                    Schema::new(SchemaKind::Bytes)
                };
                if let AvroKind::Fixed { size, .. } = &t.kind {
                    s = s.with_parameter(CONNECT_AVRO_FIXED_SIZE_PROP, size.to_string());
                }
                s
            }
            AvroKind::Double => Schema::new(SchemaKind::Float64),
            AvroKind::Float => Schema::new(SchemaKind::Float32),
            AvroKind::Int => match (t.prop_str(CONNECT_TYPE_PROP), logical) {
                (_, Some(l)) if l.eq_ignore_ascii_case("date") => Schema::date(),
                (_, Some(l)) if l.eq_ignore_ascii_case("time-millis") => Schema::time(),
                (_, Some(_)) | (None, None) => Schema::new(SchemaKind::Int32),
                (Some("int8"), None) => Schema::new(SchemaKind::Int8),
                (Some("int16"), None) => Schema::new(SchemaKind::Int16),
                (Some(_), None) => {
                    return Err(data_err(
                        "Connect type annotation for Avro int field is null",
                    ))
                }
            },
            AvroKind::Long => match logical {
                Some(l) if l.eq_ignore_ascii_case("timestamp-millis") => Schema::timestamp(),
                _ => Schema::new(SchemaKind::Int64),
            },
            AvroKind::String => Schema::new(SchemaKind::String),
            AvroKind::Array(items) => match self.map_entry(avro, *items)? {
                Some((k, v)) => Schema::new(SchemaKind::Map(
                    Arc::new(self.to_connect(ctx, k, false, None, None)?),
                    Arc::new(self.to_connect(ctx, v, false, None, None)?),
                )),
                None => Schema::new(SchemaKind::Array(Arc::new(
                    self.to_connect(ctx, *items, false, None, None)?,
                ))),
            },
            AvroKind::Map(values) => Schema::new(SchemaKind::Map(
                Arc::new(Schema::new(SchemaKind::String)),
                Arc::new(self.to_connect(ctx, *values, false, None, None)?),
            )),
            AvroKind::Record {
                name, doc, fields, ..
            } => {
                if ctx.open.contains(&id) {
                    return Err(data_err(format!(
                        "Recursive Avro schemas are not supported: record {} contains itself",
                        name.full_name()
                    )));
                }
                ctx.open.push(id);
                let mut s = Schema::new(SchemaKind::Struct(Vec::new()));
                if meta {
                    if let Some(doc) = doc {
                        s = s.with_parameter(AVRO_RECORD_DOC_PROP, doc.clone());
                    }
                }
                let mut out = Vec::with_capacity(fields.len());
                for f in fields {
                    if meta {
                        if let Some(doc) = &f.doc {
                            s = s.with_parameter(
                                format!("{AVRO_FIELD_DOC_PREFIX_PROP}{}", f.name),
                                doc.clone(),
                            );
                        }
                    }
                    let field_schema = self
                        .to_connect(ctx, f.schema, false, f.default.as_ref(), None)
                        .map_err(|e| e.at(&f.name))?;
                    out.push(Field {
                        name: f.name.clone(),
                        schema: Arc::new(field_schema),
                    });
                }
                ctx.open.pop();
                s.kind = SchemaKind::Struct(out);
                s
            }
            AvroKind::Enum {
                name,
                doc,
                symbols,
                default,
                ..
            } => {
                let mut s = Schema::new(SchemaKind::String);
                if meta {
                    if let Some(doc) = doc {
                        s = s.with_parameter(
                            format!("{AVRO_ENUM_DOC_PREFIX_PROP}{}", name.name),
                            doc.clone(),
                        );
                    }
                    if let Some(d) = default {
                        s = s.with_parameter(
                            format!("{AVRO_ENUM_DEFAULT_PREFIX_PROP}{}", name.name),
                            d.clone(),
                        );
                    }
                }
                let param = if self.config.generalized_sum_type_support {
                    GENERALIZED_TYPE_ENUM
                } else {
                    AVRO_TYPE_ENUM
                };
                s = s.with_parameter(param, name.full_name());
                for (i, sym) in symbols.iter().enumerate() {
                    let value = if self.config.generalized_sum_type_support {
                        i.to_string()
                    } else {
                        sym.clone()
                    };
                    s = s.with_parameter(format!("{param}.{sym}"), value);
                }
                s
            }
            AvroKind::Union(branches) => {
                if branches.len() == 1 && self.config.flatten_singleton_unions {
                    return self.to_connect(ctx, branches[0], false, None, None);
                }
                if branches.len() == 2 {
                    let nulls: Vec<bool> = branches
                        .iter()
                        .map(|&b| {
                            avro.get(b).kind == AvroKind::Null && avro.get(b).props.is_empty()
                        })
                        .collect();
                    if nulls[0] != nulls[1] {
                        let other = if nulls[0] { branches[1] } else { branches[0] };
                        return self.to_connect(ctx, other, true, None, None);
                    }
                }
                let union_name = if self.config.generalized_sum_type_support {
                    let n = format!("{GENERALIZED_UNION_PREFIX}{}", ctx.union_index);
                    ctx.union_index += 1;
                    n
                } else {
                    AVRO_TYPE_UNION.to_string()
                };
                let mut s =
                    Schema::new(SchemaKind::Struct(Vec::new())).with_name(union_name.clone());
                if self.config.generalized_sum_type_support {
                    s = s.with_parameter(GENERALIZED_TYPE_UNION, union_name);
                }
                let mut names = HashSet::new();
                let mut out = Vec::new();
                for (i, &b) in branches.iter().enumerate() {
                    let bt = avro.get(b);
                    if bt.kind == AvroKind::Null {
                        s.optional = true;
                        continue;
                    }
                    let name = self.union_member_name(bt, i);
                    if !names.insert(name.clone()) {
                        return Err(data_err(
                            "Multiple union schemas map to the Connect union field name",
                        ));
                    }
                    out.push(Field {
                        name,
                        schema: Arc::new(self.to_connect(ctx, b, true, None, None)?),
                    });
                }
                s.kind = SchemaKind::Struct(out);
                s
            }
            AvroKind::Null => {
                return Err(data_err(
                    "Standalone null schemas are not supported by this converter",
                ))
            }
        };

        if let Some(doc) = t.prop_str(CONNECT_DOC_PROP).filter(|_| meta) {
            schema.doc = Some(doc.to_string());
        }
        let version = match t.prop(CONNECT_VERSION_PROP) {
            Some(v) => Some(
                v.as_i64()
                    .ok_or_else(|| data_err(format!("Invalid Connect version found: {v}")))?
                    as i32,
            ),
            None => version,
        };
        if let Some(v) = version.filter(|v| *v >= 0) {
            match schema.version {
                Some(existing) if existing != v => {
                    return Err(data_err(format!("Mismatched versions: version already added to SchemaBuilder ({existing}) differs from version in source schema ({v})")))
                }
                _ => schema.version = Some(v),
            }
        }
        if meta {
            if let Some(params) = t.prop(CONNECT_PARAMETERS_PROP) {
                let params = params.as_object().ok_or_else(|| {
                    data_err(format!(
                        "Expected JSON object for schema parameters but found: {params}"
                    ))
                })?;
                for (k, v) in params {
                    let v = v.as_str().ok_or_else(|| {
                        data_err(format!(
                            "Expected schema parameter values to be strings but found: {v}"
                        ))
                    })?;
                    schema = schema.with_parameter(k.clone(), v);
                }
            }
        }
        for (k, v) in &t.props {
            if k.starts_with("avro") {
                let text = match v {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                };
                schema = schema.with_parameter(k.clone(), text);
            }
        }
        let connect_default = t.prop(CONNECT_DEFAULT_VALUE_PROP);
        let default_json = match field_default {
            None => connect_default,
            Some(d) => {
                if meta && connect_default.is_none() {
                    schema = schema.with_parameter(AVRO_FIELD_DEFAULT_FLAG_PROP, "true");
                }
                Some(d)
            }
        };
        if let Some(d) = default_json {
            // Java ignores (logs) a default it cannot convert, except a record's, whose Struct
            // is built against another schema object and fails the record ("Mismatching schema.").
            if let AvroKind::Record { .. } = t.kind {
                if !d.is_null() && field_default.is_some() {
                    return Err(data_err("Mismatching schema."));
                }
            }
            if let Some(value) = self.default_from_avro(avro, &schema, id, d) {
                schema.default = Some(value);
            }
        }
        let name = match t.prop(CONNECT_NAME_PROP) {
            Some(Json::String(n)) => Some(n.clone()),
            Some(other) => return Err(data_err(format!("Invalid schema name: {other}"))),
            None => match &t.kind {
                AvroKind::Record { name, .. } | AvroKind::Enum { name, .. } => {
                    Some(name.full_name())
                }
                AvroKind::Fixed { name, .. } if schema.logical_type().is_none() => {
                    Some(name.full_name())
                }
                _ => None,
            },
        };
        if let Some(name) =
            name.filter(|n| !n.starts_with(&format!("{NAMESPACE}.{DEFAULT_SCHEMA_NAME}")))
        {
            match &schema.name {
                Some(existing) if *existing != name => {
                    return Err(data_err(format!("Mismatched names: name already added to SchemaBuilder ({existing}) differs from name in source schema ({name})")))
                }
                _ => schema.name = Some(name),
            }
        }
        if force_optional {
            schema.optional = true;
        }
        Ok(schema)
    }

    /// The key and value types when `items` is AvroData's MapEntry record.
    fn map_entry(
        &self,
        avro: &AvroSchema,
        items: TypeId,
    ) -> Result<Option<(TypeId, TypeId)>, ConnectError> {
        let t = avro.get(items);
        let AvroKind::Record { name, fields, .. } = &t.kind else {
            return Ok(None);
        };
        let is_entry = (name.namespace.as_deref() == Some(NAMESPACE)
            && name.name == MAP_ENTRY_TYPE_NAME)
            || t.prop_str(CONNECT_INTERNAL_TYPE_NAME) == Some(MAP_ENTRY_TYPE_NAME);
        if !is_entry {
            return Ok(None);
        }
        let find = |n: &str| fields.iter().find(|f| f.name == n).map(|f| f.schema);
        match (fields.len(), find("key"), find("value")) {
            (2, Some(k), Some(v)) => Ok(Some((k, v))),
            _ => Err(data_err("Found map encoded as array of key-value pairs, but array elements do not match the expected format.")),
        }
    }

    /// A default given as Avro JSON, as the Connect value Java derives (`None`: Java ignores it).
    fn default_from_avro(
        &self,
        avro: &AvroSchema,
        schema: &Schema,
        id: TypeId,
        json: &Json,
    ) -> Option<Value> {
        if json.is_null() {
            return None;
        }
        let t = avro.get(id);
        let value = match (&t.kind, &schema.kind) {
            (AvroKind::Union(branches), _) => {
                let first = *branches.first()?;
                if avro.get(first).kind == AvroKind::Null {
                    return None;
                }
                if schema.name.as_deref() == Some(AVRO_TYPE_UNION)
                    || schema.parameter(GENERALIZED_TYPE_UNION).is_some()
                {
                    let member = self.union_member_name(avro.get(first), 0);
                    let (_, field) = schema.field(&member)?;
                    return self.default_from_avro(avro, &field.schema, first, json);
                }
                return self.default_from_avro(avro, schema, first, json);
            }
            (AvroKind::Int, SchemaKind::Int8) => Value::Int8(json.as_i64()? as i8),
            (AvroKind::Int, SchemaKind::Int16) => Value::Int16(json.as_i64()? as i16),
            (AvroKind::Int, SchemaKind::Int32) => match schema.logical_type() {
                Some(LogicalType::Date) => Value::Date(json.as_i64()? * 86_400_000),
                Some(LogicalType::Time) => Value::Date(json.as_i64()?),
                _ => Value::Int32(json.as_i64()? as i32),
            },
            (AvroKind::Long, _) => match schema.logical_type() {
                Some(LogicalType::Timestamp) => Value::Date(json.as_i64()?),
                _ => Value::Int64(json.as_i64()?),
            },
            (AvroKind::Float, _) => Value::Float32(json.as_f64()? as f32),
            (AvroKind::Double, _) => Value::Float64(json.as_f64()?),
            (AvroKind::Boolean, _) => Value::Boolean(json.as_bool()?),
            (AvroKind::String | AvroKind::Enum { .. }, _) => {
                Value::String(json.as_str()?.to_string())
            }
            (AvroKind::Bytes | AvroKind::Fixed { .. }, _) => {
                let bytes = latin1_bytes(json.as_str()?)?;
                match schema.logical_type() {
                    Some(LogicalType::Decimal { scale }) => Value::Decimal(Decimal {
                        unscaled: crate::json::schema_decode::unscaled_from_bytes(&bytes)?,
                        scale,
                    }),
                    _ => Value::Bytes(bytes),
                }
            }
            (AvroKind::Array(items), SchemaKind::Array(elem)) => Value::Array(
                json.as_array()?
                    .iter()
                    .map(|j| {
                        self.default_from_avro(avro, elem, *items, j)
                            .unwrap_or(Value::Null)
                    })
                    .collect(),
            ),
            (AvroKind::Map(values), SchemaKind::Map(_, value_schema)) => Value::Map(
                json.as_object()?
                    .iter()
                    .map(|(k, j)| {
                        (
                            Value::String(k.clone()),
                            self.default_from_avro(avro, value_schema, *values, j)
                                .unwrap_or(Value::Null),
                        )
                    })
                    .collect(),
            ),
            (AvroKind::Record { fields, .. }, SchemaKind::Struct(_)) => {
                let object = json.as_object()?;
                let schema_ref = Arc::new(Schema {
                    default: None,
                    ..schema.clone()
                });
                let mut values = Vec::with_capacity(fields.len());
                for (f, cf) in fields.iter().zip(schema.fields()) {
                    let v = object
                        .get(&f.name)
                        .and_then(|j| self.default_from_avro(avro, &cf.schema, f.schema, j))
                        .unwrap_or(Value::Null);
                    values.push(v);
                }
                Value::Struct(Struct {
                    schema: schema_ref,
                    values,
                })
            }
            _ => return None,
        };
        Some(value)
    }
}

/// A JSON string's characters as ISO-8859-1 bytes (Avro's JSON form of bytes); `None` when a
/// character is above U+00FF.
fn latin1_bytes(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

/// State of one Connect → Avro conversion.
struct FromConnect {
    types: Vec<AvroType>,
    /// Named types already defined, by full name (a later use refers to the definition).
    named: Vec<(String, TypeId)>,
    name_index: usize,
}

impl FromConnect {
    fn push(&mut self, t: AvroType) -> TypeId {
        self.types.push(t);
        self.types.len() - 1
    }
}

impl AvroData {
    /// The Avro schema AvroConverter writes `schema` as (AvroData's `fromConnectSchema`), whose
    /// [`AvroSchema::to_json_string`] is the text it registers.
    pub fn from_connect_schema(&self, schema: &Schema) -> Result<AvroSchema, ConnectError> {
        let mut ctx = FromConnect {
            types: Vec::new(),
            named: Vec::new(),
            name_index: 0,
        };
        let root = self.derive_avro(&mut ctx, schema, false)?;
        Ok(AvroSchema {
            types: ctx.types,
            root,
        })
    }

    fn scrub(&self, name: &str) -> String {
        if self.config.scrub_invalid_names {
            scrub_name(name)
        } else {
            name.to_string()
        }
    }

    fn split_name(&self, full: &str) -> Name {
        let parts: Vec<String> = full.split('.').map(|p| self.scrub(p)).collect();
        match parts.split_last() {
            Some((last, rest)) if !rest.is_empty() => Name {
                name: last.clone(),
                namespace: Some(rest.join(".")),
            },
            _ => Name {
                name: parts.first().cloned().unwrap_or_default(),
                namespace: None,
            },
        }
    }

    fn name_or_default(&self, ctx: &mut FromConnect, name: Option<&str>) -> Name {
        match name {
            Some(n) => self.split_name(n),
            None => {
                ctx.name_index += 1;
                let suffix = if ctx.name_index > 1 {
                    ctx.name_index.to_string()
                } else {
                    String::new()
                };
                Name {
                    name: format!("{DEFAULT_SCHEMA_NAME}{suffix}"),
                    namespace: Some(NAMESPACE.to_string()),
                }
            }
        }
    }

    fn is_union(schema: &Schema) -> bool {
        schema.name.as_deref() == Some(AVRO_TYPE_UNION)
            || schema.parameter(GENERALIZED_TYPE_UNION).is_some()
    }

    /// Whether a Connect STRING schema is an enum (`isEnumSchema`).
    pub fn is_enum(schema: &Schema) -> bool {
        schema.kind == SchemaKind::String
            && (schema.parameter(GENERALIZED_TYPE_ENUM).is_some()
                || schema.parameter(AVRO_TYPE_ENUM).is_some())
    }

    fn derive_avro(
        &self,
        ctx: &mut FromConnect,
        schema: &Schema,
        ignore_optional: bool,
    ) -> Result<TypeId, ConnectError> {
        let meta = self.config.connect_meta_data;
        let mut connect_type = None;
        let base = match &schema.kind {
            SchemaKind::Int8 => {
                connect_type = Some("int8");
                AvroType::new(AvroKind::Int)
            }
            SchemaKind::Int16 => {
                connect_type = Some("int16");
                AvroType::new(AvroKind::Int)
            }
            SchemaKind::Int32 => AvroType::new(AvroKind::Int),
            SchemaKind::Int64 => AvroType::new(AvroKind::Long),
            SchemaKind::Float32 => AvroType::new(AvroKind::Float),
            SchemaKind::Float64 => AvroType::new(AvroKind::Double),
            SchemaKind::Boolean => AvroType::new(AvroKind::Boolean),
            SchemaKind::String => {
                if (self.config.generalized_sum_type_support || self.config.enhanced_schema_support)
                    && Self::is_enum(schema)
                {
                    let param = if self.config.generalized_sum_type_support {
                        GENERALIZED_TYPE_ENUM
                    } else {
                        AVRO_TYPE_ENUM
                    };
                    let prefix = format!("{param}.");
                    let symbols: Vec<String> = schema
                        .parameters
                        .iter()
                        .flatten()
                        .filter_map(|(k, _)| k.strip_prefix(&prefix).map(str::to_string))
                        .collect();
                    let short = self.name_or_default(ctx, schema.name.as_deref()).name;
                    let enum_name = schema.parameter(param).unwrap_or_default();
                    AvroType::new(AvroKind::Enum {
                        name: Name::parse(enum_name),
                        doc: schema
                            .parameter(&format!("{AVRO_ENUM_DOC_PREFIX_PROP}{short}"))
                            .map(str::to_string),
                        aliases: Vec::new(),
                        symbols,
                        default: schema
                            .parameter(&format!("{AVRO_ENUM_DEFAULT_PREFIX_PROP}{short}"))
                            .map(str::to_string),
                    })
                } else {
                    AvroType::new(AvroKind::String)
                }
            }
            SchemaKind::Bytes => {
                let fixed_size = schema
                    .name
                    .as_ref()
                    .and(schema.parameter(CONNECT_AVRO_FIXED_SIZE_PROP));
                let mut t = match fixed_size {
                    Some(size) => AvroType::new(AvroKind::Fixed {
                        name: self.name_or_default(ctx, schema.name.as_deref()),
                        doc: None,
                        aliases: Vec::new(),
                        size: size
                            .parse()
                            .map_err(|_| data_err(format!("Invalid fixed size {size}")))?,
                    }),
                    None => AvroType::new(AvroKind::Bytes),
                };
                if let Some(LogicalType::Decimal { scale }) = schema.logical_type() {
                    t.add_prop("scale", Json::from(scale));
                    let precision = match schema.parameter(CONNECT_AVRO_DECIMAL_PRECISION_PROP) {
                        Some(p) => p
                            .parse::<i64>()
                            .map_err(|_| data_err(format!("Invalid decimal precision {p}")))?,
                        None => DECIMAL_PRECISION_DEFAULT,
                    };
                    t.add_prop("precision", Json::from(precision));
                }
                t
            }
            SchemaKind::Array(items) => {
                let items = self.derive_avro(ctx, items, false)?;
                AvroType::new(AvroKind::Array(items))
            }
            SchemaKind::Map(key, value) => {
                if key.kind == SchemaKind::String
                    && (!key.optional || self.config.allow_optional_map_keys)
                {
                    let values = self.derive_avro(ctx, value, false)?;
                    AvroType::new(AvroKind::Map(values))
                } else {
                    let (name, internal) = match &schema.name {
                        None => (
                            Name {
                                name: MAP_ENTRY_TYPE_NAME.to_string(),
                                namespace: Some(NAMESPACE.to_string()),
                            },
                            false,
                        ),
                        Some(n) => (self.split_name(n), true),
                    };
                    let key_field = self.record_field(ctx, "key", key, None)?;
                    let value_field = self.record_field(ctx, "value", value, None)?;
                    let mut entry = AvroType::new(AvroKind::Record {
                        name,
                        doc: None,
                        aliases: Vec::new(),
                        fields: vec![key_field, value_field],
                    });
                    if internal {
                        entry.add_prop(CONNECT_INTERNAL_TYPE_NAME, Json::from(MAP_ENTRY_TYPE_NAME));
                    }
                    let entry = self.define_named(ctx, entry);
                    AvroType::new(AvroKind::Array(entry))
                }
            }
            SchemaKind::Struct(fields) => {
                if Self::is_union(schema) {
                    let mut branches = Vec::new();
                    if schema.optional {
                        branches.push(ctx.push(AvroType::new(AvroKind::Null)));
                    }
                    for f in fields {
                        let required = Schema {
                            optional: false,
                            ..(*f.schema).clone()
                        };
                        branches.push(self.derive_avro(ctx, &required, true)?);
                    }
                    return Ok(ctx.push(AvroType::new(AvroKind::Union(branches))));
                }
                if schema.optional && !ignore_optional {
                    let null = ctx.push(AvroType::new(AvroKind::Null));
                    let required = Schema {
                        optional: false,
                        ..schema.clone()
                    };
                    let inner = self.derive_avro(ctx, &required, false)?;
                    return Ok(ctx.push(AvroType::new(AvroKind::Union(vec![null, inner]))));
                }
                let name = self.name_or_default(ctx, schema.name.as_deref());
                validate_name(&name.name)
                    .map_err(|e| data_err(format!("SchemaParseException: {e}")))?;
                if let Some(&(_, id)) = schema
                    .name
                    .as_ref()
                    .and_then(|_| ctx.named.iter().find(|(n, _)| *n == name.full_name()))
                {
                    // AvroData reuses the definition of an equal schema met before.
                    return Ok(id);
                }
                let doc = schema.parameter(AVRO_RECORD_DOC_PROP).map(str::to_string);
                let mut avro_fields = Vec::with_capacity(fields.len());
                for f in fields {
                    let field_name = self.scrub(&f.name);
                    validate_name(&field_name)
                        .map_err(|e| data_err(format!("SchemaParseException: {e}")))?;
                    let field_doc =
                        schema.parameter(&format!("{AVRO_FIELD_DOC_PREFIX_PROP}{}", f.name));
                    avro_fields.push(
                        self.record_field(ctx, &field_name, &f.schema, field_doc)
                            .map_err(|e| e.at(&f.name))?,
                    );
                }
                AvroType::new(AvroKind::Record {
                    name,
                    doc,
                    aliases: Vec::new(),
                    fields: avro_fields,
                })
            }
        };
        let mut base = base;
        if meta {
            if let Some(doc) = &schema.doc {
                base.add_prop(CONNECT_DOC_PROP, Json::from(doc.clone()));
            }
            if let Some(v) = schema.version {
                base.add_prop(CONNECT_VERSION_PROP, Json::from(v));
            }
            if let Some(params) = &schema.parameters {
                let object: Map<String, Json> = params
                    .iter()
                    .filter(|(k, _)| k != AVRO_FIELD_DEFAULT_FLAG_PROP)
                    .map(|(k, v)| (k.clone(), Json::from(v.clone())))
                    .collect();
                if !object.is_empty() {
                    base.add_prop(CONNECT_PARAMETERS_PROP, Json::Object(object));
                }
            }
            if let Some(default) = &schema.default {
                if schema.parameter(AVRO_FIELD_DEFAULT_FLAG_PROP).is_none() {
                    base.add_prop(
                        CONNECT_DEFAULT_VALUE_PROP,
                        self.default_to_json(schema, default)?,
                    );
                }
            }
            if let Some(name) = &schema.name {
                base.add_prop(CONNECT_NAME_PROP, Json::from(name.clone()));
            }
            if let Some(ct) = connect_type {
                base.add_prop(CONNECT_TYPE_PROP, Json::from(ct));
            }
        }
        let legacy_decimal = match schema.logical_type() {
            Some(LogicalType::Decimal { scale }) => {
                let precision = schema
                    .parameter(CONNECT_AVRO_DECIMAL_PRECISION_PROP)
                    .and_then(|p| p.parse::<i64>().ok())
                    .unwrap_or(DECIMAL_PRECISION_DEFAULT);
                if scale < 0 || i64::from(scale) > precision {
                    true
                } else {
                    base.add_prop(LOGICAL_TYPE_PROP, Json::from("decimal"));
                    false
                }
            }
            Some(LogicalType::Time) => {
                base.add_prop(LOGICAL_TYPE_PROP, Json::from("time-millis"));
                false
            }
            Some(LogicalType::Timestamp) => {
                base.add_prop(LOGICAL_TYPE_PROP, Json::from("timestamp-millis"));
                false
            }
            Some(LogicalType::Date) => {
                base.add_prop(LOGICAL_TYPE_PROP, Json::from("date"));
                false
            }
            None => false,
        };
        if legacy_decimal {
            base.add_prop(LOGICAL_TYPE_PROP, Json::from("decimal"));
        }
        for (k, v) in schema.parameters.iter().flatten() {
            if k.starts_with("avro") {
                base.add_prop(k, Json::from(v.clone()));
            }
        }
        let id = if base.name().is_some() {
            self.define_named(ctx, base)
        } else {
            ctx.push(base)
        };
        if schema.optional && !ignore_optional {
            let null = ctx.push(AvroType::new(AvroKind::Null));
            let branches = if schema.default.is_some() {
                vec![id, null]
            } else {
                vec![null, id]
            };
            return Ok(ctx.push(AvroType::new(AvroKind::Union(branches))));
        }
        Ok(id)
    }

    /// Adds a named type, or reuses the one already defined under its full name.
    fn define_named(&self, ctx: &mut FromConnect, t: AvroType) -> TypeId {
        let full = t.name().map(Name::full_name).unwrap_or_default();
        if let Some(&(_, id)) = ctx.named.iter().find(|(n, _)| *n == full) {
            return id;
        }
        let id = ctx.push(t);
        ctx.named.push((full, id));
        id
    }

    fn record_field(
        &self,
        ctx: &mut FromConnect,
        name: &str,
        schema: &Schema,
        doc: Option<&str>,
    ) -> Result<AvroField, ConnectError> {
        let default = match &schema.default {
            Some(d) => Some(self.default_to_json(schema, d)?),
            None if schema.optional => Some(Json::Null),
            None => None,
        };
        let id = self.derive_avro(ctx, schema, false)?;
        Ok(AvroField {
            name: name.to_string(),
            schema: id,
            doc: doc.map(str::to_string),
            default,
            order: None,
            aliases: Vec::new(),
            props: Vec::new(),
        })
    }

    /// A Connect default as the JSON AvroData writes (`defaultValueFromConnect`).
    fn default_to_json(&self, schema: &Schema, value: &Value) -> Result<Json, ConnectError> {
        let invalid = || {
            data_err(format!(
                "Invalid type used for default value of {} field",
                schema.type_name()
            ))
        };
        Ok(match (value, &schema.kind) {
            (Value::Null, _) => Json::Null,
            (Value::Int8(v), _) => Json::from(*v),
            (Value::Int16(v), _) => Json::from(*v),
            (Value::Int32(v), _) => Json::from(*v),
            (Value::Int64(v), _) => Json::from(*v),
            (Value::Float32(v), _) => Number::from_f64(f64::from(*v))
                .map(Json::Number)
                .unwrap_or(Json::Null),
            (Value::Float64(v), _) => Number::from_f64(*v).map(Json::Number).unwrap_or(Json::Null),
            (Value::Boolean(v), _) => Json::from(*v),
            (Value::String(s), _) => Json::from(s.clone()),
            (Value::Bytes(b), _) => {
                Json::from(b.iter().map(|&c| char::from(c)).collect::<String>())
            }
            (Value::Decimal(d), _) => {
                // `toAvroLogical` → Kafka's `Decimal.fromLogical`: the default's own scale must
                // be the schema's.
                if let Some(LogicalType::Decimal { scale }) = schema.logical_type() {
                    crate::decimal_column::check_schema_scale(*d, scale)?;
                }
                let bytes = crate::decimal_column::big_integer_bytes(d.unscaled);
                Json::from(bytes.iter().map(|&c| char::from(c)).collect::<String>())
            }
            (Value::Date(ms), SchemaKind::Int32)
                if schema.logical_type() == Some(LogicalType::Date) =>
            {
                Json::from(ms.div_euclid(86_400_000))
            }
            (Value::Date(ms), _) => Json::from(*ms),
            (Value::Array(items), SchemaKind::Array(elem)) => Json::Array(
                items
                    .iter()
                    .map(|v| self.default_to_json(elem, v))
                    .collect::<Result<_, _>>()?,
            ),
            (Value::Map(entries), SchemaKind::Map(k, v)) => {
                if k.kind == SchemaKind::String
                    && (!k.optional || self.config.allow_optional_map_keys)
                {
                    let mut object = Map::new();
                    for (key, value) in entries {
                        let Value::String(key) = key else {
                            return Err(invalid());
                        };
                        object.insert(key.clone(), self.default_to_json(v, value)?);
                    }
                    Json::Object(object)
                } else {
                    Json::Array(
                        entries
                            .iter()
                            .map(|(key, value)| {
                                Ok(Json::Array(vec![
                                    self.default_to_json(k, key)?,
                                    self.default_to_json(v, value)?,
                                ]))
                            })
                            .collect::<Result<_, ConnectError>>()?,
                    )
                }
            }
            (Value::Struct(s), SchemaKind::Struct(fields)) => {
                let union = Self::is_union(schema);
                let mut object = Map::new();
                for (f, v) in fields.iter().zip(&s.values) {
                    let j = self.default_to_json(&f.schema, v)?;
                    if union {
                        return Ok(j);
                    }
                    object.insert(self.scrub(&f.name), j);
                }
                Json::Object(object)
            }
            _ => return Err(invalid()),
        })
    }
}

/// AvroData's `doScrubName`: a name with characters Avro does not allow is URL-encoded, every
/// character other than `[A-Za-z0-9_]` then becomes `_`, and a leading digit gets an `x` prefix.
pub fn scrub_name(name: &str) -> String {
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if name.is_empty()
        || (name.chars().all(valid) && !name.starts_with(|c: char| c.is_ascii_digit()))
    {
        return name.to_string();
    }
    let mut encoded = String::new();
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                encoded.push(char::from(b))
            }
            b' ' => encoded.push('+'),
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    if encoded.starts_with(|c: char| c.is_ascii_digit()) {
        encoded.insert(0, 'x');
    }
    encoded
        .chars()
        .map(|c| if valid(c) { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(text: &str) -> Result<SchemaRef, ConnectError> {
        AvroData::default().to_connect_schema(&AvroSchema::parse(text).expect("avro"), Some(1))
    }

    #[test]
    fn optional_fields_unions_and_enums_map_like_confluent() {
        let s = connect(
            r#"{"type":"record","name":"R","namespace":"n","fields":[
            {"name":"o","type":["null","int"],"default":null},
            {"name":"u","type":["int","string"]},
            {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}}]}"#,
        )
        .expect("maps");
        assert_eq!(s.name.as_deref(), Some("n.R"));
        assert_eq!(s.version, Some(1));
        let f = s.fields();
        assert!(f[0].schema.optional);
        assert_eq!(f[0].schema.kind, SchemaKind::Int32);
        assert_eq!(f[1].schema.name.as_deref(), Some(AVRO_TYPE_UNION));
        assert_eq!(f[1].schema.fields()[1].name, "string");
        assert_eq!(f[2].schema.parameter(AVRO_TYPE_ENUM), Some("n.E"));
        assert_eq!(
            f[2].schema.parameter("io.confluent.connect.avro.Enum.B"),
            Some("B")
        );
    }

    #[test]
    fn null_fields_and_recursion_are_errors() {
        let e = connect(r#"{"type":"record","name":"R","fields":[{"name":"n","type":"null"}]}"#)
            .unwrap_err();
        assert_eq!(
            e.message,
            "Standalone null schemas are not supported by this converter"
        );
        let e =
            connect(r#"{"type":"record","name":"R","fields":[{"name":"n","type":["null","R"]}]}"#)
                .unwrap_err();
        assert!(e.message.contains("Recursive"), "{e}");
    }

    #[test]
    fn connect_schemas_derive_the_registered_text() {
        let s = Schema::structure([
            ("a".to_string(), Schema::new(SchemaKind::Int16).into_ref()),
            (
                "b".to_string(),
                Schema::new(SchemaKind::String).optional().into_ref(),
            ),
            ("d".to_string(), Schema::decimal(2).into_ref()),
        ])
        .with_name("x.Y");
        let avro = AvroData::default()
            .from_connect_schema(&s)
            .expect("derives");
        assert_eq!(
            avro.to_json_string(),
            r#"{"type":"record","name":"Y","namespace":"x","fields":[{"name":"a","type":{"type":"int","connect.type":"int16"}},{"name":"b","type":["null","string"],"default":null},{"name":"d","type":{"type":"bytes","scale":2,"precision":64,"connect.version":1,"connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}}],"connect.name":"x.Y"}"#
        );
    }

    #[test]
    fn scrubbing_follows_url_encoding() {
        assert_eq!(scrub_name("ok_1"), "ok_1");
        assert_eq!(scrub_name("1abc"), "x1abc");
        assert_eq!(scrub_name("a-b c"), "a_b_c");
        assert_eq!(scrub_name("é"), "_C3_A9");
    }
}
