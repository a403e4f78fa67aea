//! The .proto ProtobufData derives from a Connect schema (`fromConnectSchema`), printed as the
//! registry stores it (Square Wire's `ProtoFileElement.toSchema()`): what the converter
//! registers with `auto.register.schemas` and writes against.
//!
//! Structs become messages nested in the message that uses them (named by the Connect name's
//! last segment, unnamed ones `ConnectDefault<n>`); field numbers come from the Tag parameter,
//! else the field's position; int8/int16 carry `(confluent.field_meta)` `connect.type` params;
//! maps become repeated `<name>Entry` messages; a root name with dots gives the package.

use super::data::{
    ProtobufData, CONNECT_TYPE_PARAM, ENUM_PARAM, GENERALIZED_ENUM_PARAM, GENERALIZED_UNION_PARAM,
    PRECISION_PARAM, TAG_PARAM, TYPE_PARAM, UNION_PREFIX,
};
use crate::error::ConnectError;
use crate::schema::{LogicalType, Schema, SchemaKind, SchemaRef};

/// `google/protobuf/wrappers.proto` as the registry stores it: the schema registered for a
/// top-level Connect primitive.
pub const WRAPPERS_PROTO: &str = "syntax = \"proto3\";\npackage google.protobuf;\n\noption java_package = \"com.google.protobuf\";\noption java_outer_classname = \"WrappersProto\";\noption java_multiple_files = true;\noption go_package = \"google.golang.org/protobuf/types/known/wrapperspb\";\noption cc_enable_arenas = true;\noption objc_class_prefix = \"GPB\";\noption csharp_namespace = \"Google.Protobuf.WellKnownTypes\";\n\nmessage DoubleValue {\n  double value = 1 [json_name = \"value\"];\n}\nmessage FloatValue {\n  float value = 1 [json_name = \"value\"];\n}\nmessage Int64Value {\n  int64 value = 1 [json_name = \"value\"];\n}\nmessage UInt64Value {\n  uint64 value = 1 [json_name = \"value\"];\n}\nmessage Int32Value {\n  int32 value = 1 [json_name = \"value\"];\n}\nmessage UInt32Value {\n  uint32 value = 1 [json_name = \"value\"];\n}\nmessage BoolValue {\n  bool value = 1 [json_name = \"value\"];\n}\nmessage StringValue {\n  string value = 1 [json_name = \"value\"];\n}\nmessage BytesValue {\n  bytes value = 1 [json_name = \"value\"];\n}\n";

/// A derived schema: its text, the full name of the message records are written as, and its
/// imports.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedProto {
    /// The .proto text as the registry stores it.
    pub text: String,
    /// The written message's full name (package included).
    pub full_name: String,
    /// The imported files, in order.
    pub imports: Vec<String>,
}

#[derive(Debug, Default)]
struct FieldDef {
    label: &'static str,
    ty: String,
    name: String,
    number: i64,
    /// `(confluent.field_meta)` params: (key, value, printed value first).
    meta: Vec<(String, String, bool)>,
}

#[derive(Debug, Default)]
struct EnumDef {
    name: String,
    values: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct MessageDef {
    name: String,
    fields: Vec<FieldDef>,
    oneofs: Vec<(String, Vec<FieldDef>)>,
    messages: Vec<MessageDef>,
    enums: Vec<EnumDef>,
}

struct Deriver<'a> {
    data: &'a ProtobufData,
    unnamed: usize,
    imports: Vec<String>,
}

fn last_segment(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

fn is_union(schema: &Schema) -> bool {
    matches!(schema.kind, SchemaKind::Struct(_))
        && (schema
            .name
            .as_deref()
            .is_some_and(|n| n.starts_with(UNION_PREFIX)))
}

fn enum_params(schema: &Schema) -> Option<(&str, String)> {
    for prefix in [ENUM_PARAM, GENERALIZED_ENUM_PARAM] {
        if let Some(name) = schema.parameter(prefix) {
            return Some((prefix, name.to_string()));
        }
    }
    None
}

/// Protobuf names: a letter or `_`, then letters, digits, `_`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Confluent's `scrubName`: invalid characters become `_`, a leading digit gets `x` before it.
fn scrub(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        out.insert(0, 'x');
    }
    out
}

impl Deriver<'_> {
    fn import(&mut self, file: &str) {
        if !self.imports.iter().any(|i| i == file) {
            self.imports.push(file.to_string());
        }
    }

    fn name(&self, name: &str) -> Result<String, ConnectError> {
        if valid_name(name) {
            Ok(name.to_string())
        } else if self.data.config.scrub_invalid_names {
            Ok(scrub(name))
        } else {
            Err(ConnectError::data(format!(
                "IllegalArgumentException: Illegal name: {name}"
            )))
        }
    }

    fn unnamed(&mut self) -> String {
        self.unnamed += 1;
        format!("ConnectDefault{}", self.unnamed)
    }

    fn message(&mut self, name: String, schema: &Schema) -> Result<MessageDef, ConnectError> {
        let mut msg = MessageDef {
            name,
            ..MessageDef::default()
        };
        for (i, f) in schema.fields().iter().enumerate() {
            if is_union(&f.schema) {
                if self.data.config.generalized_sum_type_support {
                    return Err(ConnectError::data(
                        "StringIndexOutOfBoundsException: a union struct under generalized.sum.type.support",
                    ));
                }
                let oneof = f
                    .schema
                    .name
                    .as_deref()
                    .and_then(|n| n.strip_prefix(UNION_PREFIX))
                    .unwrap_or(&f.name)
                    .to_string();
                let mut members = Vec::new();
                for m in f.schema.fields() {
                    let number = m
                        .schema
                        .parameter(TAG_PARAM)
                        .and_then(|t| t.parse::<i64>().ok())
                        .filter(|n| *n > 0)
                        .ok_or_else(|| {
                            ConnectError::data(
                                "IllegalArgumentException: Field numbers must be positive integers",
                            )
                        })?;
                    members.push(self.field(&mut msg, &m.name, &m.schema, number, true)?);
                }
                msg.oneofs.push((self.name(&oneof)?, members));
                continue;
            }
            if f.schema.parameter(GENERALIZED_UNION_PARAM).is_some()
                && self.data.config.generalized_sum_type_support
            {
                return Err(ConnectError::data(
                    "StringIndexOutOfBoundsException: a union struct under generalized.sum.type.support",
                ));
            }
            let number = f
                .schema
                .parameter(TAG_PARAM)
                .and_then(|t| t.parse::<i64>().ok())
                .unwrap_or(i as i64 + 1);
            let def = self.field(&mut msg, &f.name, &f.schema, number, false)?;
            msg.fields.push(def);
        }
        Ok(msg)
    }

    fn add_message(parent: &mut MessageDef, def: MessageDef) {
        if !parent.messages.iter().any(|m| m.name == def.name) {
            parent.messages.push(def);
        }
    }

    /// The type name of one value of `schema`, defining nested types in `parent`.
    fn type_of(
        &mut self,
        parent: &mut MessageDef,
        schema: &Schema,
        meta: &mut Vec<(String, String, bool)>,
    ) -> Result<String, ConnectError> {
        if let Some(logical) = schema.logical_type() {
            return Ok(match logical {
                LogicalType::Timestamp => {
                    self.import("google/protobuf/timestamp.proto");
                    "google.protobuf.Timestamp".into()
                }
                LogicalType::Date => {
                    self.import("google/type/date.proto");
                    "google.type.Date".into()
                }
                LogicalType::Time => {
                    self.import("google/type/timeofday.proto");
                    "google.type.TimeOfDay".into()
                }
                LogicalType::Decimal { scale } => {
                    self.import("confluent/type/decimal.proto");
                    if let Some(p) = schema.parameter(PRECISION_PARAM) {
                        meta.push(("precision".into(), p.to_string(), true));
                    }
                    meta.push(("scale".into(), scale.to_string(), true));
                    "confluent.type.Decimal".into()
                }
            });
        }
        if let Some((prefix, enum_name)) = enum_params(schema) {
            if matches!(schema.kind, SchemaKind::String | SchemaKind::Int32) {
                let name = self.name(last_segment(&enum_name))?;
                let symbol_prefix = format!("{prefix}.");
                let values = schema
                    .parameters
                    .iter()
                    .flatten()
                    .filter_map(|(k, v)| {
                        k.strip_prefix(&symbol_prefix)
                            .map(|s| (s.to_string(), v.clone()))
                    })
                    .collect();
                if !parent.enums.iter().any(|e| e.name == name) {
                    parent.enums.push(EnumDef {
                        name: name.clone(),
                        values,
                    });
                }
                return Ok(name);
            }
        }
        let ty = schema.parameter(TYPE_PARAM);
        Ok(match &schema.kind {
            SchemaKind::Int8 | SchemaKind::Int16 => {
                let narrow = if schema.kind == SchemaKind::Int8 {
                    "int8"
                } else {
                    "int16"
                };
                meta.push((CONNECT_TYPE_PARAM.into(), narrow.into(), false));
                "int32".into()
            }
            SchemaKind::Int32 => match ty {
                Some(t @ ("sint32" | "sfixed32")) => t.into(),
                _ => "int32".into(),
            },
            SchemaKind::Int64 => match ty {
                Some(t @ ("uint32" | "fixed32" | "sint64" | "uint64" | "fixed64" | "sfixed64")) => {
                    t.into()
                }
                _ => "int64".into(),
            },
            SchemaKind::Float32 => "float".into(),
            SchemaKind::Float64 => "double".into(),
            SchemaKind::Boolean => "bool".into(),
            SchemaKind::String => "string".into(),
            SchemaKind::Bytes => "bytes".into(),
            SchemaKind::Struct(_) => {
                let name = match schema.name.as_deref() {
                    Some(n) => self.name(last_segment(n))?,
                    None => self.unnamed(),
                };
                let def = self.message(name.clone(), schema)?;
                Self::add_message(parent, def);
                name
            }
            SchemaKind::Map(k, v) => {
                let base = match schema.name.as_deref() {
                    Some(n) => self.name(last_segment(n))?,
                    None => self.unnamed(),
                };
                let name = format!("{base}Entry");
                let mut entry = MessageDef {
                    name: name.clone(),
                    ..MessageDef::default()
                };
                let key = self.field(&mut entry, "key", k, 1, true)?;
                let value = self.field(&mut entry, "value", v, 2, true)?;
                entry.fields = vec![key, value];
                Self::add_message(parent, entry);
                name
            }
            SchemaKind::Array(_) => {
                return Err(ConnectError::data(
                    "IllegalArgumentException: arrays of arrays cannot be written as Protobuf",
                ))
            }
        })
    }

    fn wrapper_for(&mut self, schema: &Schema) -> Option<String> {
        if !self.data.config.wrapper_for_nullables
            || !schema.optional
            || schema.logical_type().is_some()
            || enum_params(schema).is_some()
        {
            return None;
        }
        let name = match schema.kind {
            SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32 => "Int32Value",
            SchemaKind::Int64 => "Int64Value",
            SchemaKind::Float32 => "FloatValue",
            SchemaKind::Float64 => "DoubleValue",
            SchemaKind::Boolean => "BoolValue",
            SchemaKind::String => "StringValue",
            SchemaKind::Bytes => "BytesValue",
            _ => return None,
        };
        self.import("google/protobuf/wrappers.proto");
        Some(format!("google.protobuf.{name}"))
    }

    fn field(
        &mut self,
        parent: &mut MessageDef,
        name: &str,
        schema: &SchemaRef,
        number: i64,
        in_oneof: bool,
    ) -> Result<FieldDef, ConnectError> {
        let mut meta = Vec::new();
        let (label, ty) = match &schema.kind {
            SchemaKind::Array(items) => ("repeated ", self.type_of(parent, items, &mut meta)?),
            SchemaKind::Map(..) => ("repeated ", self.type_of(parent, schema, &mut meta)?),
            _ => {
                let label =
                    if !in_oneof && schema.optional && self.data.config.optional_for_nullables {
                        "optional "
                    } else {
                        ""
                    };
                match self.wrapper_for(schema) {
                    Some(w) => ("", w),
                    None => (label, self.type_of(parent, schema, &mut meta)?),
                }
            }
        };
        Ok(FieldDef {
            label,
            ty,
            name: self.name(name)?,
            number,
            meta,
        })
    }
}

fn render_field(out: &mut String, indent: &str, f: &FieldDef) {
    out.push_str(&format!(
        "{indent}{}{} {} = {}",
        f.label, f.ty, f.name, f.number
    ));
    if !f.meta.is_empty() {
        out.push_str(" [(confluent.field_meta) = {\n");
        out.push_str(&format!("{indent}  params: [\n"));
        for (i, (k, v, value_first)) in f.meta.iter().enumerate() {
            out.push_str(&format!("{indent}    {{\n"));
            if *value_first {
                out.push_str(&format!(
                    "{indent}      value: \"{v}\",\n{indent}      key: \"{k}\"\n"
                ));
            } else {
                out.push_str(&format!(
                    "{indent}      key: \"{k}\",\n{indent}      value: \"{v}\"\n"
                ));
            }
            let sep = if i + 1 < f.meta.len() { "," } else { "" };
            out.push_str(&format!("{indent}    }}{sep}\n"));
        }
        out.push_str(&format!("{indent}  ]\n{indent}}}]"));
    }
    out.push_str(";\n");
}

fn render_message(out: &mut String, indent: &str, m: &MessageDef) {
    out.push_str(&format!("{indent}message {} {{\n", m.name));
    let inner = format!("{indent}  ");
    for f in &m.fields {
        render_field(out, &inner, f);
    }
    if !m.oneofs.is_empty() {
        out.push('\n');
        for (name, members) in &m.oneofs {
            out.push_str(&format!("{inner}oneof {name} {{\n"));
            let deeper = format!("{inner}  ");
            for f in members {
                render_field(out, &deeper, f);
            }
            out.push_str(&format!("{inner}}}\n"));
        }
    }
    if !m.messages.is_empty() || !m.enums.is_empty() {
        out.push_str(&format!("{inner}\n"));
        for n in &m.messages {
            render_message(out, &inner, n);
        }
        for e in &m.enums {
            out.push_str(&format!("{inner}enum {} {{\n", e.name));
            for (v, n) in &e.values {
                out.push_str(&format!("{inner}  {v} = {n};\n"));
            }
            out.push_str(&format!("{inner}}}\n"));
        }
    }
    out.push_str(&format!("{indent}}}\n"));
}

/// The wrapper message a top-level Connect primitive is written as.
pub fn wrapper_message(kind: &SchemaKind) -> Option<&'static str> {
    Some(match kind {
        SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32 => "google.protobuf.Int32Value",
        SchemaKind::Int64 => "google.protobuf.Int64Value",
        SchemaKind::Float32 => "google.protobuf.FloatValue",
        SchemaKind::Float64 => "google.protobuf.DoubleValue",
        SchemaKind::Boolean => "google.protobuf.BoolValue",
        SchemaKind::String => "google.protobuf.StringValue",
        SchemaKind::Bytes => "google.protobuf.BytesValue",
        _ => return None,
    })
}

/// The .proto ProtobufData derives for `schema`. Cost: a walk of the schema and the text.
pub fn derive_proto(data: &ProtobufData, schema: &SchemaRef) -> Result<DerivedProto, ConnectError> {
    if !matches!(schema.kind, SchemaKind::Struct(_)) {
        let name = wrapper_message(&schema.kind).ok_or_else(|| {
            ConnectError::data(format!(
                "IllegalArgumentException: a top-level {} cannot be written as Protobuf",
                schema.type_name()
            ))
        })?;
        return Ok(DerivedProto {
            text: WRAPPERS_PROTO.to_string(),
            full_name: name.to_string(),
            imports: Vec::new(),
        });
    }
    let mut d = Deriver {
        data,
        unnamed: 0,
        imports: Vec::new(),
    };
    let (package, name) = match schema.name.as_deref() {
        Some(n) => match n.rsplit_once('.') {
            Some((p, s)) => (Some(p.to_string()), d.name(s)?),
            None => (None, d.name(n)?),
        },
        None => (None, d.unnamed()),
    };
    let message = d.message(name.clone(), schema)?;
    let mut text = String::from("syntax = \"proto3\";\n");
    if let Some(p) = &package {
        text.push_str(&format!("package {p};\n"));
    }
    text.push('\n');
    for i in &d.imports {
        text.push_str(&format!("import \"{i}\";\n"));
    }
    if !d.imports.is_empty() {
        text.push('\n');
    }
    render_message(&mut text, "", &message);
    Ok(DerivedProto {
        text,
        full_name: match package {
            Some(p) => format!("{p}.{name}"),
            None => name,
        },
        imports: d.imports,
    })
}
