//! ProtobufData's Connect schemas: how Confluent's converter maps a Protobuf message descriptor
//! to a Connect schema, per setting (`int.for.enums`, `enhanced.protobuf.schema.support`,
//! `generalized.sum.type.support`, `generate.index.for.unions`, `flatten.unions`,
//! `wrapper.for.raw.primitives`, …).
//!
//! Every field is optional and carries its number as the `io.confluent.connect.protobuf.Tag`
//! parameter; the real oneofs come first as union structs, then the plain fields in declaration
//! order. Recursive messages (and `google.protobuf.Struct`) overflow the JVM's stack in
//! Confluent's converter; here they are an error naming the message.

use prost_reflect::{
    EnumDescriptor, FieldDescriptor, Kind, MessageDescriptor, OneofDescriptor, Value as PValue,
};

use super::schema_file::ENUM_ZERO_PLACEHOLDER;
use super::well_known::{is_wrapper, DATE, DECIMAL, FIELD_META, TIMESTAMP, TIME_OF_DAY};
use crate::error::ConnectError;
use crate::schema::{Schema, SchemaKind, SchemaRef};

/// The field-number parameter on every field's schema.
pub const TAG_PARAM: &str = "io.confluent.connect.protobuf.Tag";
/// The Protobuf scalar type parameter (`sint32`, `uint64`, …) where the Connect type loses it.
pub const TYPE_PARAM: &str = "io.confluent.connect.protobuf.Type";
/// The enum parameter prefix (`…Enum` = enum name, `…Enum.<SYMBOL>` = number).
pub const ENUM_PARAM: &str = "io.confluent.connect.protobuf.Enum";
/// The enum parameter prefix with `generalized.sum.type.support`.
pub const GENERALIZED_ENUM_PARAM: &str = "org.apache.kafka.connect.data.Enum";
/// The name prefix of a oneof's union struct.
pub const UNION_PREFIX: &str = "io.confluent.connect.protobuf.Union.";
/// The union parameter with `generalized.sum.type.support`.
pub const GENERALIZED_UNION_PARAM: &str = "org.apache.kafka.connect.data.Union";
/// The `(confluent.field_meta)` param giving a narrower Connect integer type.
pub const CONNECT_TYPE_PARAM: &str = "connect.type";
/// The Decimal precision parameter on the Connect side.
pub const PRECISION_PARAM: &str = "connect.decimal.precision";

/// ProtobufData's settings (the converter's keys of the same names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtobufDataConfig {
    /// `int.for.enums` (false): enums as int32 instead of string.
    pub int_for_enums: bool,
    /// `enhanced.protobuf.schema.support` (false): full names (with the package).
    pub enhanced_schema_support: bool,
    /// `generalized.sum.type.support` (false): Connect's generic enum/union parameters.
    pub generalized_sum_type_support: bool,
    /// `generate.index.for.unions` (true): union fields named `<oneof>_<i>`.
    pub generate_index_for_unions: bool,
    /// `flatten.unions` (false): oneof members inlined.
    pub flatten_unions: bool,
    /// `generate.struct.for.nulls` (false): unset message fields read as default structs.
    pub generate_struct_for_nulls: bool,
    /// `optional.for.proto2` (true): unset proto2 optionals read as null.
    pub optional_for_proto2: bool,
    /// `optional.for.nullables` (false): optional Connect fields written as proto3 `optional`.
    pub optional_for_nullables: bool,
    /// `wrapper.for.nullables` (false): optional Connect primitives written as wrappers.
    pub wrapper_for_nullables: bool,
    /// `wrapper.for.raw.primitives` (true): a root wrapper message reads as its primitive.
    pub wrapper_for_raw_primitives: bool,
    /// `scrub.invalid.names` (false): invalid Protobuf names rewritten on write.
    pub scrub_invalid_names: bool,
}

impl Default for ProtobufDataConfig {
    fn default() -> Self {
        ProtobufDataConfig {
            int_for_enums: false,
            enhanced_schema_support: false,
            generalized_sum_type_support: false,
            generate_index_for_unions: true,
            flatten_unions: false,
            generate_struct_for_nulls: false,
            optional_for_proto2: true,
            optional_for_nullables: false,
            wrapper_for_nullables: false,
            wrapper_for_raw_primitives: true,
            scrub_invalid_names: false,
        }
    }
}

/// The `(confluent.field_meta)` params of `field`, in the order prost-reflect gives them.
pub fn field_meta_params(field: &FieldDescriptor) -> Vec<(String, String)> {
    let pool = field.parent_message().parent_pool().clone();
    let Some(ext) = pool.get_extension_by_name(FIELD_META) else {
        return Vec::new();
    };
    let options = field.options();
    if !options.has_extension(&ext) {
        return Vec::new();
    }
    let meta = options.get_extension(&ext);
    let PValue::Message(meta) = meta.as_ref() else {
        return Vec::new();
    };
    let Some(params) = meta.get_field_by_name("params") else {
        return Vec::new();
    };
    let PValue::Map(map) = params.as_ref() else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = map
        .iter()
        .filter_map(|(k, v)| match (k, v) {
            (prost_reflect::MapKey::String(k), PValue::String(v)) => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect();
    out.sort();
    out
}

/// Whether a real (not synthetic) oneof contains `field`.
pub fn real_oneof(field: &FieldDescriptor) -> Option<OneofDescriptor> {
    field.containing_oneof().filter(|o| !o.is_synthetic())
}

/// The real oneofs of `message`, in declaration order.
pub fn real_oneofs(message: &MessageDescriptor) -> Vec<OneofDescriptor> {
    message.oneofs().filter(|o| !o.is_synthetic()).collect()
}

/// ProtobufData's schema mapping under one configuration.
#[derive(Debug, Clone, Default)]
pub struct ProtobufData {
    /// The settings.
    pub config: ProtobufDataConfig,
}

/// The state of one schema walk: the messages being converted (a message inside itself is
/// recursion) and the struct schema each message got where it was first used as a field.
///
/// ProtobufData caches a message's Connect schema by name when it first converts it as a
/// field (with that field's Tag), and reuses that schema as is for elements of later repeated
/// fields of the same message (which therefore show the first field's Tag), while later
/// singular fields get their own Tag.
#[derive(Default)]
struct Walk {
    stack: Vec<String>,
    first_use: std::collections::HashMap<String, Schema>,
}

/// The message a field holds when it maps to a Connect struct (not a well-known type).
fn message_of(field: &FieldDescriptor) -> Option<MessageDescriptor> {
    match field.kind() {
        Kind::Message(m)
            if !matches!(m.full_name(), TIMESTAMP | DATE | TIME_OF_DAY | DECIMAL)
                && !is_wrapper(m.full_name()) =>
        {
            Some(m)
        }
        _ => None,
    }
}

fn recursion_error(name: &str) -> ConnectError {
    ConnectError::data(format!(
        "StackOverflowError: message {name} contains itself; Confluent's converter overflows the stack on recursive messages, weir fails the record"
    ))
}

impl ProtobufData {
    /// The mapping with `config`.
    pub fn new(config: ProtobufDataConfig) -> ProtobufData {
        ProtobufData { config }
    }

    fn message_name<'a>(&self, message: &'a MessageDescriptor) -> &'a str {
        if self.config.enhanced_schema_support {
            message.full_name()
        } else {
            message.name()
        }
    }

    /// The Connect schema of `message` at the root of a record, with the registry `version`.
    /// Cost: a walk of the message's types (cache it per schema id and message index).
    pub fn to_connect_schema(
        &self,
        message: &MessageDescriptor,
        version: Option<i32>,
    ) -> Result<SchemaRef, ConnectError> {
        let mut schema =
            if self.config.wrapper_for_raw_primitives && is_wrapper(message.full_name()) {
                let value = message
                    .get_field(1)
                    .ok_or_else(|| ConnectError::data("wrapper message without its value field"))?;
                self.wrapper_schema(&value)
            } else {
                self.message_schema(message, &mut Walk::default())?
            };
        schema.optional = false;
        if let Some(v) = version {
            schema.version = Some(v);
        }
        Ok(schema.into_ref())
    }

    fn message_schema(
        &self,
        message: &MessageDescriptor,
        walk: &mut Walk,
    ) -> Result<Schema, ConnectError> {
        if walk.stack.iter().any(|n| n == message.full_name()) {
            return Err(recursion_error(message.full_name()));
        }
        walk.stack.push(message.full_name().to_string());
        let mut fields: Vec<(String, SchemaRef)> = Vec::new();
        for (i, oneof) in real_oneofs(message).iter().enumerate() {
            let mut members = Vec::new();
            for f in oneof.fields() {
                members.push((
                    f.name().to_string(),
                    self.field_schema(&f, walk)
                        .map_err(|e| e.at(f.name()))?
                        .into_ref(),
                ));
            }
            if self.config.flatten_unions {
                fields.extend(members);
                continue;
            }
            let mut union = Schema::structure(members).optional();
            if self.config.generalized_sum_type_support {
                union = union
                    .with_name(oneof.name())
                    .with_parameter(GENERALIZED_UNION_PARAM, oneof.name());
            } else {
                union = union.with_name(format!("{UNION_PREFIX}{}", oneof.name()));
            }
            let name = if self.config.generate_index_for_unions {
                format!("{}_{i}", oneof.name())
            } else {
                oneof.name().to_string()
            };
            fields.push((name, union.into_ref()));
        }
        for f in message.fields().filter(|f| real_oneof(f).is_none()) {
            fields.push((
                f.name().to_string(),
                self.field_schema(&f, walk)
                    .map_err(|e| e.at(f.name()))?
                    .into_ref(),
            ));
        }
        walk.stack.pop();
        Ok(Schema::structure(fields)
            .optional()
            .with_name(self.message_name(message)))
    }

    /// The schema of a field as a struct member: optional, with its Tag.
    fn field_schema(
        &self,
        field: &FieldDescriptor,
        walk: &mut Walk,
    ) -> Result<Schema, ConnectError> {
        let schema = if field.is_map() {
            let Kind::Message(entry) = field.kind() else {
                return Err(ConnectError::data("map field without an entry message"));
            };
            let key = entry.map_entry_key_field();
            let value = entry.map_entry_value_field();
            let key = self.tagged_schema(&key, "1", walk)?;
            let value = self.tagged_schema(&value, "2", walk)?;
            Schema::new(SchemaKind::Map(key.into_ref(), value.into_ref())).with_name(field.name())
        } else if field.is_list() {
            let items = match message_of(field).and_then(|m| walk.first_use.get(m.full_name())) {
                Some(first) => first.clone(),
                None => {
                    let items = self.element_schema(field, walk)?.optional();
                    if let Some(m) = message_of(field) {
                        walk.first_use
                            .entry(m.full_name().to_string())
                            .or_insert_with(|| items.clone());
                    }
                    items
                }
            };
            Schema::new(SchemaKind::Array(items.into_ref()))
        } else {
            return self.tagged_schema(field, &field.number().to_string(), walk);
        };
        Ok(schema
            .optional()
            .with_parameter(TAG_PARAM, field.number().to_string()))
    }

    /// A singular value's schema, optional, with Tag `tag` (remembered as the message's first
    /// use when it is a message's).
    fn tagged_schema(
        &self,
        field: &FieldDescriptor,
        tag: &str,
        walk: &mut Walk,
    ) -> Result<Schema, ConnectError> {
        let schema = self
            .element_schema(field, walk)?
            .optional()
            .with_parameter(TAG_PARAM, tag);
        if let Some(m) = message_of(field) {
            walk.first_use
                .entry(m.full_name().to_string())
                .or_insert_with(|| schema.clone());
        }
        Ok(schema)
    }

    /// The schema of one value of `field` (an element of a repeated field), without Tag.
    fn element_schema(
        &self,
        field: &FieldDescriptor,
        walk: &mut Walk,
    ) -> Result<Schema, ConnectError> {
        let typed = |kind: SchemaKind, ty: &str| Schema::new(kind).with_parameter(TYPE_PARAM, ty);
        Ok(match field.kind() {
            Kind::Double => Schema::new(SchemaKind::Float64),
            Kind::Float => Schema::new(SchemaKind::Float32),
            Kind::Int32 => {
                let narrow = field_meta_params(field)
                    .into_iter()
                    .find(|(k, _)| k == CONNECT_TYPE_PARAM)
                    .map(|(_, v)| v);
                match narrow.as_deref() {
                    Some("int8") => Schema::new(SchemaKind::Int8),
                    Some("int16") => Schema::new(SchemaKind::Int16),
                    _ => Schema::new(SchemaKind::Int32),
                }
            }
            Kind::Sint32 => typed(SchemaKind::Int32, "sint32"),
            Kind::Sfixed32 => typed(SchemaKind::Int32, "sfixed32"),
            Kind::Uint32 => typed(SchemaKind::Int64, "uint32"),
            Kind::Fixed32 => typed(SchemaKind::Int64, "fixed32"),
            Kind::Int64 => Schema::new(SchemaKind::Int64),
            Kind::Sint64 => typed(SchemaKind::Int64, "sint64"),
            Kind::Uint64 => typed(SchemaKind::Int64, "uint64"),
            Kind::Fixed64 => typed(SchemaKind::Int64, "fixed64"),
            Kind::Sfixed64 => typed(SchemaKind::Int64, "sfixed64"),
            Kind::Bool => Schema::new(SchemaKind::Boolean),
            Kind::String => Schema::new(SchemaKind::String),
            Kind::Bytes => Schema::new(SchemaKind::Bytes),
            Kind::Enum(e) => self.enum_schema(&e),
            Kind::Message(m) => match m.full_name() {
                TIMESTAMP => Schema::timestamp(),
                DATE => Schema::date(),
                TIME_OF_DAY => Schema::time(),
                DECIMAL => {
                    let params = field_meta_params(field);
                    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v);
                    let scale = get("scale").and_then(|s| s.parse().ok()).unwrap_or(0);
                    let mut s = Schema::decimal(scale);
                    if let Some(p) = get("precision") {
                        s = s.with_parameter(PRECISION_PARAM, p.clone());
                    }
                    s
                }
                name if is_wrapper(name) => match m.get_field(1) {
                    Some(value) => self.wrapper_schema(&value),
                    None => return Err(ConnectError::data("wrapper message without a value")),
                },
                _ => self.message_schema(&m, walk)?,
            },
        })
    }

    /// A wrapper's primitive (UInt32Value and UInt64Value both as int64, without Type).
    fn wrapper_schema(&self, value: &FieldDescriptor) -> Schema {
        Schema::new(match value.kind() {
            Kind::Double => SchemaKind::Float64,
            Kind::Float => SchemaKind::Float32,
            Kind::Int32 => SchemaKind::Int32,
            Kind::Bool => SchemaKind::Boolean,
            Kind::String => SchemaKind::String,
            Kind::Bytes => SchemaKind::Bytes,
            _ => SchemaKind::Int64,
        })
    }

    fn enum_schema(&self, e: &EnumDescriptor) -> Schema {
        let name = if self.config.enhanced_schema_support {
            e.full_name()
        } else {
            e.name()
        };
        let prefix = if self.config.generalized_sum_type_support {
            GENERALIZED_ENUM_PARAM
        } else {
            ENUM_PARAM
        };
        let kind = if self.config.int_for_enums {
            SchemaKind::Int32
        } else {
            SchemaKind::String
        };
        let mut s = Schema::new(kind)
            .with_name(name)
            .with_parameter(prefix, name);
        for v in e.values().filter(|v| v.name() != ENUM_ZERO_PLACEHOLDER) {
            s = s.with_parameter(format!("{prefix}.{}", v.name()), v.number().to_string());
        }
        s
    }
}
