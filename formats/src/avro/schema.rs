//! An Avro schema as Apache Avro's Java `Schema` holds it: types in an arena (named types are
//! defined once and referenced by index, so recursive schemas are finite), every custom property
//! kept in order (`connect.name`, `connect.parameters`, `logicalType`, …), and a writer that prints
//! Java's `Schema.toString()` form — the text AvroConverter registers.
//!
//! Parsing follows the Avro specification's name rules: a dotted name is a full name, otherwise
//! the type's `namespace` or the enclosing one applies; a name is defined once and later
//! references to it (by full name, or by short name in the same namespace) reuse the definition.
//! Costs: one walk of the JSON to parse, one to print; callers cache both per schema id.

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

/// Index of a type in [`AvroSchema::types`].
pub type TypeId = usize;

/// A named type's name, split as Java's `Schema.Name` keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name {
    /// The simple name (no dots).
    pub name: String,
    /// The namespace (`None`: the null namespace).
    pub namespace: Option<String>,
}

impl Name {
    /// A name from a possibly dotted `full` name.
    pub fn parse(full: &str) -> Name {
        match full.rsplit_once('.') {
            Some((ns, name)) => Name {
                name: name.to_string(),
                namespace: (!ns.is_empty()).then(|| ns.to_string()),
            },
            None => Name {
                name: full.to_string(),
                namespace: None,
            },
        }
    }

    /// `namespace.name`, or `name` in the null namespace.
    pub fn full_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// One field of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct AvroField {
    /// The field name.
    pub name: String,
    /// Its type.
    pub schema: TypeId,
    /// Its documentation.
    pub doc: Option<String>,
    /// Its default value as JSON (`Some(Json::Null)`: the default is null).
    pub default: Option<Json>,
    /// `ascending` (absent), `descending` or `ignore`.
    pub order: Option<String>,
    /// Alternative names.
    pub aliases: Vec<String>,
    /// Custom properties, in order (`connect.parameters` on a field, …).
    pub props: Vec<(String, Json)>,
}

/// The type of an Avro schema node, with its children by index.
#[derive(Debug, Clone, PartialEq)]
pub enum AvroKind {
    /// `null`
    Null,
    /// `boolean`
    Boolean,
    /// `int` (32-bit zigzag varint)
    Int,
    /// `long` (64-bit zigzag varint)
    Long,
    /// `float` (4 bytes little-endian)
    Float,
    /// `double` (8 bytes little-endian)
    Double,
    /// `bytes` (length-prefixed)
    Bytes,
    /// `string` (length-prefixed UTF-8)
    String,
    /// A record: name, doc, aliases and fields.
    Record {
        /// The record's name.
        name: Name,
        /// Its doc.
        doc: Option<String>,
        /// Alternative names.
        aliases: Vec<String>,
        /// Its fields in order.
        fields: Vec<AvroField>,
    },
    /// An enum: name, doc, aliases, symbols and default symbol.
    Enum {
        /// The enum's name.
        name: Name,
        /// Its doc.
        doc: Option<String>,
        /// Alternative names.
        aliases: Vec<String>,
        /// Its symbols in order.
        symbols: Vec<String>,
        /// The symbol a reader uses for an unknown one.
        default: Option<String>,
    },
    /// A fixed: name, doc, aliases and size.
    Fixed {
        /// The fixed type's name.
        name: Name,
        /// Its doc.
        doc: Option<String>,
        /// Alternative names.
        aliases: Vec<String>,
        /// Its size in bytes.
        size: usize,
    },
    /// `array` of items.
    Array(TypeId),
    /// `map` from strings to values.
    Map(TypeId),
    /// A union of branches.
    Union(Vec<TypeId>),
}

/// One type node: its kind and custom properties in order.
#[derive(Debug, Clone, PartialEq)]
pub struct AvroType {
    /// What the node is.
    pub kind: AvroKind,
    /// Every property that is not part of the type's own syntax, in order.
    pub props: Vec<(String, Json)>,
}

impl AvroType {
    /// A type of `kind` with no properties.
    pub fn new(kind: AvroKind) -> AvroType {
        AvroType {
            kind,
            props: Vec::new(),
        }
    }

    /// The value of property `key`.
    pub fn prop(&self, key: &str) -> Option<&Json> {
        self.props.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Property `key` as text, when it is a JSON string.
    pub fn prop_str(&self, key: &str) -> Option<&str> {
        self.prop(key).and_then(Json::as_str)
    }

    /// Sets property `key` (Java's `addProp`: a key already present keeps its first place).
    pub fn add_prop(&mut self, key: &str, value: Json) {
        match self.props.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.props.push((key.to_string(), value)),
        }
    }

    /// The name of a record, enum or fixed.
    pub fn name(&self) -> Option<&Name> {
        match &self.kind {
            AvroKind::Record { name, .. }
            | AvroKind::Enum { name, .. }
            | AvroKind::Fixed { name, .. } => Some(name),
            _ => None,
        }
    }

    /// Avro's lower-case type name (`int`, `record`, `union`, …), as Java's `Type.getName()`.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            AvroKind::Null => "null",
            AvroKind::Boolean => "boolean",
            AvroKind::Int => "int",
            AvroKind::Long => "long",
            AvroKind::Float => "float",
            AvroKind::Double => "double",
            AvroKind::Bytes => "bytes",
            AvroKind::String => "string",
            AvroKind::Record { .. } => "record",
            AvroKind::Enum { .. } => "enum",
            AvroKind::Fixed { .. } => "fixed",
            AvroKind::Array(_) => "array",
            AvroKind::Map(_) => "map",
            AvroKind::Union(_) => "union",
        }
    }
}

/// A parsed Avro schema: its types and the root.
#[derive(Debug, Clone, PartialEq)]
pub struct AvroSchema {
    /// Every type node; named types appear once.
    pub types: Vec<AvroType>,
    /// The top-level type.
    pub root: TypeId,
}

/// Why a schema text is not an Avro schema (Java's `SchemaParseException` message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SchemaParseError(pub String);

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

fn primitive(name: &str) -> Option<AvroKind> {
    Some(match name {
        "null" => AvroKind::Null,
        "boolean" => AvroKind::Boolean,
        "int" => AvroKind::Int,
        "long" => AvroKind::Long,
        "float" => AvroKind::Float,
        "double" => AvroKind::Double,
        "bytes" => AvroKind::Bytes,
        "string" => AvroKind::String,
        _ => return None,
    })
}

impl AvroSchema {
    /// Parses a schema's JSON text.
    pub fn parse(text: &str) -> Result<AvroSchema, SchemaParseError> {
        let json: Json = serde_json::from_str(text)
            .map_err(|e| SchemaParseError(format!("Cannot parse schema: {e}")))?;
        let mut parser = Parser::default();
        let root = parser.parse(&json, None)?;
        Ok(AvroSchema {
            types: parser.types,
            root,
        })
    }

    /// The type at `id`.
    pub fn get(&self, id: TypeId) -> &AvroType {
        &self.types[id]
    }

    /// The root type.
    pub fn root_type(&self) -> &AvroType {
        &self.types[self.root]
    }

    /// Java's `Schema.toString()`: compact JSON, a named type spelled out where first met and
    /// referred to by name afterwards, namespaces written only where they change.
    pub fn to_json_string(&self) -> String {
        let mut out = String::new();
        let mut writer = Writer {
            schema: self,
            written: vec![false; self.types.len()],
        };
        writer.write(self.root, None, &mut out);
        out
    }

    /// Whether the root is a record, enum or fixed; its full name then (subject strategies).
    pub fn root_name(&self) -> Option<String> {
        self.root_type().name().map(Name::full_name)
    }
}

#[derive(Default)]
struct Parser {
    types: Vec<AvroType>,
    names: HashMap<String, TypeId>,
}

impl Parser {
    fn push(&mut self, t: AvroType) -> TypeId {
        self.types.push(t);
        self.types.len() - 1
    }

    fn lookup(&self, name: &str, namespace: Option<&str>) -> Option<TypeId> {
        if !name.contains('.') {
            if let Some(ns) = namespace {
                if let Some(&id) = self.names.get(&format!("{ns}.{name}")) {
                    return Some(id);
                }
            }
        }
        self.names.get(name).copied()
    }

    fn parse(&mut self, json: &Json, namespace: Option<&str>) -> Result<TypeId, SchemaParseError> {
        match json {
            Json::String(name) => match primitive(name) {
                Some(kind) => Ok(self.push(AvroType::new(kind))),
                None => self.lookup(name, namespace).ok_or_else(|| {
                    SchemaParseError(format!("\"{name}\" is not a defined name. The type of the \"\" field must be a defined name or a {{\"type\": ...}} expression."))
                }),
            },
            Json::Array(branches) => {
                let mut ids = Vec::with_capacity(branches.len());
                for b in branches {
                    ids.push(self.parse(b, namespace)?);
                }
                Ok(self.push(AvroType::new(AvroKind::Union(ids))))
            }
            Json::Object(object) => self.parse_object(object, namespace),
            other => Err(SchemaParseError(format!("Schema not yet supported: {other}"))),
        }
    }

    fn parse_object(
        &mut self,
        object: &Map<String, Json>,
        namespace: Option<&str>,
    ) -> Result<TypeId, SchemaParseError> {
        let type_json = object.get("type").ok_or_else(|| {
            SchemaParseError(format!("No type: {}", Json::Object(object.clone())))
        })?;
        let type_name = match type_json {
            Json::String(s) => s.as_str(),
            // `{"type": {...}}` or `{"type": [...]}`: the inner schema (Java ignores the rest).
            other => return self.parse(other, namespace),
        };
        let reserved: &[&str] = match type_name {
            "record" | "error" => &["type", "name", "namespace", "doc", "fields", "aliases"],
            "enum" => &[
                "type",
                "name",
                "namespace",
                "doc",
                "symbols",
                "aliases",
                "default",
            ],
            "fixed" => &["type", "name", "namespace", "doc", "size", "aliases"],
            "array" => &["type", "items"],
            "map" => &["type", "values"],
            _ => &["type"],
        };
        let props: Vec<(String, Json)> = object
            .iter()
            .filter(|(k, _)| !reserved.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(kind) = primitive(type_name) {
            return Ok(self.push(AvroType { kind, props }));
        }
        match type_name {
            "array" => {
                let items = object
                    .get("items")
                    .ok_or_else(|| SchemaParseError("Array has no items type".into()))?;
                let items = self.parse(items, namespace)?;
                Ok(self.push(AvroType {
                    kind: AvroKind::Array(items),
                    props,
                }))
            }
            "map" => {
                let values = object
                    .get("values")
                    .ok_or_else(|| SchemaParseError("Map has no values type".into()))?;
                let values = self.parse(values, namespace)?;
                Ok(self.push(AvroType {
                    kind: AvroKind::Map(values),
                    props,
                }))
            }
            "record" | "error" | "enum" | "fixed" => {
                self.parse_named(type_name, object, props, namespace)
            }
            other => match self.lookup(other, namespace) {
                Some(id) => Ok(id),
                None => Err(SchemaParseError(format!("Type not supported: {other}"))),
            },
        }
    }

    fn parse_named(
        &mut self,
        type_name: &str,
        object: &Map<String, Json>,
        props: Vec<(String, Json)>,
        namespace: Option<&str>,
    ) -> Result<TypeId, SchemaParseError> {
        let raw_name = object.get("name").and_then(Json::as_str).ok_or_else(|| {
            SchemaParseError(format!(
                "No name in schema: {}",
                Json::Object(object.clone())
            ))
        })?;
        let name = if raw_name.contains('.') {
            Name::parse(raw_name)
        } else {
            let ns = match object.get("namespace") {
                Some(Json::String(ns)) => Some(ns.as_str()),
                Some(_) => None,
                None => namespace,
            };
            Name {
                name: raw_name.to_string(),
                namespace: ns.filter(|ns| !ns.is_empty()).map(str::to_string),
            }
        };
        validate_name(&name.name)?;
        let full = name.full_name();
        if self.names.contains_key(&full) || PRIMITIVES.contains(&full.as_str()) {
            return Err(SchemaParseError(format!("Can't redefine: {full}")));
        }
        let doc = object.get("doc").and_then(Json::as_str).map(str::to_string);
        let aliases = object
            .get("aliases")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        match type_name {
            "enum" => {
                let symbols: Vec<String> = object
                    .get("symbols")
                    .and_then(Json::as_array)
                    .ok_or_else(|| SchemaParseError("Enum has no symbols".into()))?
                    .iter()
                    .map(|s| {
                        s.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| SchemaParseError("Enum symbols must be strings".into()))
                    })
                    .collect::<Result<_, _>>()?;
                let default = object
                    .get("default")
                    .and_then(Json::as_str)
                    .map(str::to_string);
                let id = self.push(AvroType {
                    kind: AvroKind::Enum {
                        name,
                        doc,
                        aliases,
                        symbols,
                        default,
                    },
                    props,
                });
                self.names.insert(full, id);
                Ok(id)
            }
            "fixed" => {
                let size = object
                    .get("size")
                    .and_then(Json::as_u64)
                    .ok_or_else(|| SchemaParseError("Invalid or no size: {}".into()))?;
                let id = self.push(AvroType {
                    kind: AvroKind::Fixed {
                        name,
                        doc,
                        aliases,
                        size: size as usize,
                    },
                    props,
                });
                self.names.insert(full, id);
                Ok(id)
            }
            _ => {
                // Defined before its fields, so fields may refer to it (recursion).
                let inner_ns = name.namespace.clone();
                let id = self.push(AvroType {
                    kind: AvroKind::Record {
                        name,
                        doc,
                        aliases,
                        fields: Vec::new(),
                    },
                    props,
                });
                self.names.insert(full, id);
                let fields_json = object
                    .get("fields")
                    .and_then(Json::as_array)
                    .ok_or_else(|| SchemaParseError("Record has no fields".into()))?;
                let mut fields = Vec::with_capacity(fields_json.len());
                for f in fields_json {
                    fields.push(self.parse_field(f, inner_ns.as_deref())?);
                }
                if let AvroKind::Record { fields: slot, .. } = &mut self.types[id].kind {
                    *slot = fields;
                }
                Ok(id)
            }
        }
    }

    fn parse_field(
        &mut self,
        json: &Json,
        namespace: Option<&str>,
    ) -> Result<AvroField, SchemaParseError> {
        let object = json
            .as_object()
            .ok_or_else(|| SchemaParseError(format!("Not a field: {json}")))?;
        let name = object
            .get("name")
            .and_then(Json::as_str)
            .ok_or_else(|| SchemaParseError(format!("No field name: {json}")))?
            .to_string();
        validate_name(&name)?;
        let type_json = object
            .get("type")
            .ok_or_else(|| SchemaParseError(format!("No field type: {json}")))?;
        let schema = self.parse(type_json, namespace)?;
        const RESERVED: [&str; 6] = ["name", "type", "doc", "default", "order", "aliases"];
        Ok(AvroField {
            name,
            schema,
            doc: object.get("doc").and_then(Json::as_str).map(str::to_string),
            default: object.get("default").cloned(),
            order: object
                .get("order")
                .and_then(Json::as_str)
                .map(str::to_string),
            aliases: object
                .get("aliases")
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            props: object
                .iter()
                .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }
}

/// Avro's name rule (Java's `validateName`): a letter or `_`, then letters, digits or `_`; the
/// error is Java's `SchemaParseException` message.
pub fn validate_name(name: &str) -> Result<(), SchemaParseError> {
    let mut chars = name.chars();
    match chars.next() {
        None => Err(SchemaParseError("Empty name".into())),
        Some(c) if !(c.is_alphabetic() || c == '_') => Err(SchemaParseError(format!(
            "Illegal initial character: {name}"
        ))),
        Some(_) if !chars.all(|c| c.is_alphanumeric() || c == '_') => {
            Err(SchemaParseError(format!("Illegal character in: {name}")))
        }
        Some(_) => Ok(()),
    }
}

struct Writer<'a> {
    schema: &'a AvroSchema,
    written: Vec<bool>,
}

fn push_json_str(s: &str, out: &mut String) {
    // serde_json escapes as Jackson does for the characters schemas hold.
    out.push_str(&Json::String(s.to_string()).to_string());
}

impl Writer<'_> {
    fn write(&mut self, id: TypeId, namespace: Option<&str>, out: &mut String) {
        let t = &self.schema.types[id];
        if let Some(name) = t.name() {
            if self.written[id] {
                // A reference: the short name within the same namespace, else the full name.
                if name.namespace.as_deref() == namespace {
                    push_json_str(&name.name, out);
                } else {
                    push_json_str(&name.full_name(), out);
                }
                return;
            }
            self.written[id] = true;
        }
        match &t.kind {
            AvroKind::Union(branches) => {
                out.push('[');
                for (i, &b) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.write(b, namespace, out);
                }
                out.push(']');
            }
            kind if t.props.is_empty() && primitive(t.type_name()).is_some() => {
                let _ = kind;
                push_json_str(t.type_name(), out);
            }
            AvroKind::Array(items) => {
                out.push_str("{\"type\":\"array\",\"items\":");
                self.write(*items, namespace, out);
                write_props(&t.props, out);
                out.push('}');
            }
            AvroKind::Map(values) => {
                out.push_str("{\"type\":\"map\",\"values\":");
                self.write(*values, namespace, out);
                write_props(&t.props, out);
                out.push('}');
            }
            AvroKind::Record {
                name,
                doc,
                aliases,
                fields,
            } => {
                out.push_str("{\"type\":\"record\"");
                write_name(name, namespace, out);
                write_doc(doc, out);
                out.push_str(",\"fields\":[");
                let inner = name.namespace.as_deref();
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str("{\"name\":");
                    push_json_str(&f.name, out);
                    out.push_str(",\"type\":");
                    self.write(f.schema, inner, out);
                    write_doc(&f.doc, out);
                    if let Some(default) = &f.default {
                        out.push_str(",\"default\":");
                        out.push_str(&default.to_string());
                    }
                    if let Some(order) = f.order.as_deref().filter(|o| *o != "ascending") {
                        out.push_str(",\"order\":");
                        push_json_str(order, out);
                    }
                    write_aliases(&f.aliases, out);
                    write_props(&f.props, out);
                    out.push('}');
                }
                out.push(']');
                write_props(&t.props, out);
                write_aliases(aliases, out);
                out.push('}');
            }
            AvroKind::Enum {
                name,
                doc,
                aliases,
                symbols,
                default,
            } => {
                out.push_str("{\"type\":\"enum\"");
                write_name(name, namespace, out);
                write_doc(doc, out);
                out.push_str(",\"symbols\":");
                out.push_str(&Json::from(symbols.clone()).to_string());
                if let Some(d) = default {
                    out.push_str(",\"default\":");
                    push_json_str(d, out);
                }
                write_props(&t.props, out);
                write_aliases(aliases, out);
                out.push('}');
            }
            AvroKind::Fixed {
                name,
                doc,
                aliases,
                size,
            } => {
                out.push_str("{\"type\":\"fixed\"");
                write_name(name, namespace, out);
                write_doc(doc, out);
                out.push_str(&format!(",\"size\":{size}"));
                write_props(&t.props, out);
                write_aliases(aliases, out);
                out.push('}');
            }
            _ => {
                out.push_str("{\"type\":");
                push_json_str(t.type_name(), out);
                write_props(&t.props, out);
                out.push('}');
            }
        }
    }
}

fn write_name(name: &Name, enclosing: Option<&str>, out: &mut String) {
    out.push_str(",\"name\":");
    push_json_str(&name.name, out);
    if name.namespace.as_deref() != enclosing {
        out.push_str(",\"namespace\":");
        push_json_str(name.namespace.as_deref().unwrap_or(""), out);
    }
}

fn write_doc(doc: &Option<String>, out: &mut String) {
    if let Some(doc) = doc {
        out.push_str(",\"doc\":");
        push_json_str(doc, out);
    }
}

fn write_aliases(aliases: &[String], out: &mut String) {
    if !aliases.is_empty() {
        out.push_str(",\"aliases\":");
        out.push_str(&Json::from(aliases.to_vec()).to_string());
    }
}

fn write_props(props: &[(String, Json)], out: &mut String) {
    for (k, v) in props {
        out.push(',');
        push_json_str(k, out);
        out.push(':');
        out.push_str(&v.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_javas_form_with_references_and_namespaces() {
        let text = r#"{"type": "record", "name": "A", "namespace": "x.y", "fields": [
            {"name": "b", "type": {"type": "record", "name": "B", "fields": [{"name": "n", "type": {"type": "int"}}]}},
            {"name": "c", "type": ["null", "B"], "default": null},
            {"name": "d", "type": {"type": "enum", "name": "E", "namespace": "z", "symbols": ["P", "Q"]}},
            {"name": "e", "type": {"type": "string", "connect.name": "s"}}
        ], "connect.version": 2}"#;
        let schema = AvroSchema::parse(text).expect("parses");
        assert_eq!(
            schema.to_json_string(),
            r#"{"type":"record","name":"A","namespace":"x.y","fields":[{"name":"b","type":{"type":"record","name":"B","fields":[{"name":"n","type":"int"}]}},{"name":"c","type":["null","B"],"default":null},{"name":"d","type":{"type":"enum","name":"E","namespace":"z","symbols":["P","Q"]}},{"name":"e","type":{"type":"string","connect.name":"s"}}],"connect.version":2}"#
        );
        assert_eq!(schema.root_name().as_deref(), Some("x.y.A"));
    }

    #[test]
    fn recursive_records_refer_to_themselves() {
        let text =
            r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#;
        let schema = AvroSchema::parse(text).expect("parses");
        assert_eq!(schema.to_json_string(), text);
        let AvroKind::Record { fields, .. } = &schema.root_type().kind else {
            panic!("record")
        };
        let AvroKind::Union(b) = &schema.get(fields[0].schema).kind else {
            panic!("union")
        };
        assert_eq!(b[1], schema.root);
    }

    #[test]
    fn undefined_names_and_bad_json_fail() {
        assert!(AvroSchema::parse(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"Nope"}]}"#
        )
        .is_err());
        assert!(AvroSchema::parse("{nope").is_err());
        assert!(AvroSchema::parse(r#"{"type":"record","name":"1R","fields":[]}"#).is_err());
    }
}
