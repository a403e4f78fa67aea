//! A JSON Schema document loaded the way everit-json-schema 1.14 models it (the model
//! Confluent's JsonSchemaData reads): each schema object becomes one node of an arena — boolean,
//! number, string, null, const, enum, combined (allOf/anyOf/oneOf), array, object, reference or an
//! unsupported kind named by its everit class — with the keywords JsonSchemaData looks at
//! (`title`, `description`, `default` and the `connect.*` properties).
//!
//! Loading follows everit's extractors: `$ref` alone makes a reference; otherwise `enum`, the
//! combinators, `not`, `const`, `type` (a list of types is an `anyOf` of one schema per type) or,
//! without `type`, the keywords that imply one, and `if`; several of them make a synthetic `allOf`.
//! Object properties keep the iteration order of a Java `HashMap` of their names (everit stores
//! them so), which is the Connect field order unless `connect.index` says otherwise.
//!
//! `$ref` resolves JSON pointers in the same document (`#/definitions/…`, `#/$defs/…`, `#`) and in
//! referenced documents named by the registry references (`address.json`,
//! `address.json#/definitions/…`). A target is loaded once and shared by every reference to it, so
//! recursive schemas load (and are rejected later, where Confluent overflows its stack).
//! Cost: one walk of the schema JSON; run once per schema id.

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

use crate::java_hash_order::hash_map_order;

/// The index of a node in a [`Document`].
pub type NodeId = usize;

/// A combinator's criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    /// `allOf`.
    AllOf,
    /// `anyOf`.
    AnyOf,
    /// `oneOf`.
    OneOf,
}

impl Criterion {
    /// The keyword, as the criterion prints in a difference's path. Cost: none.
    pub fn keyword(self) -> &'static str {
        match self {
            Criterion::AllOf => "allOf",
            Criterion::AnyOf => "anyOf",
            Criterion::OneOf => "oneOf",
        }
    }
}

/// What a schema node is, as everit's schema classes tell it.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `BooleanSchema`.
    Boolean,
    /// `NumberSchema`; `integer` for `type: integer`.
    Number {
        /// `requiresInteger()`.
        integer: bool,
    },
    /// `StringSchema`.
    String,
    /// `NullSchema`.
    Null,
    /// `ConstSchema` with its permitted value.
    Const(Json),
    /// `EnumSchema` with its possible values, in the schema's order.
    Enum(Vec<Json>),
    /// `CombinedSchema`.
    Combined {
        /// allOf, anyOf or oneOf.
        criterion: Criterion,
        /// The member schemas, in order.
        subschemas: Vec<NodeId>,
    },
    /// `ArraySchema`; `items` is the schema of all items (`None` for a tuple or no `items`).
    Array {
        /// `getAllItemSchema()`.
        items: Option<NodeId>,
    },
    /// `ObjectSchema`.
    Object {
        /// Properties in Java `HashMap` order of their names.
        properties: Vec<(String, NodeId)>,
        /// `required`.
        required: Vec<String>,
        /// `getSchemaOfAdditionalProperties()`.
        additional: Option<NodeId>,
    },
    /// `ReferenceSchema` to the node it resolves to.
    Reference(NodeId),
    /// A schema JsonSchemaData cannot map, with its everit class name (`TrueSchema`, `NotSchema`, …).
    Unsupported(&'static str),
}

/// One schema node: its kind and the keywords JsonSchemaData reads from it.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaNode {
    /// What it is.
    pub kind: Kind,
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `default` (absent or `null`: none).
    pub default: Option<Json>,
    /// The `connect.*` keywords (everit leaves them unprocessed): `connect.type`, `connect.index`, …
    pub props: Map<String, Json>,
}

impl SchemaNode {
    fn bare(kind: Kind) -> SchemaNode {
        SchemaNode {
            kind,
            title: None,
            description: None,
            default: None,
            props: Map::new(),
        }
    }

    /// A string-valued unprocessed property (`connect.type`).
    pub fn prop_str(&self, key: &str) -> Option<&str> {
        self.props.get(key).and_then(Json::as_str)
    }

    /// An integer-valued unprocessed property (`connect.index`, `connect.version`).
    pub fn prop_int(&self, key: &str) -> Option<i64> {
        self.props.get(key).and_then(Json::as_i64)
    }
}

/// A loaded schema document: the arena of nodes and the root.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Every node; references point into it.
    pub nodes: Vec<SchemaNode>,
    /// The root schema.
    pub root: NodeId,
}

impl Document {
    /// Loads `root`; `external` holds the referenced documents by the name a `$ref` uses for
    /// them. An unresolvable `$ref` or a malformed keyword is an error naming it.
    ///
    /// A root declaring draft 2019-09 or 2020-12 (`$schema`, the exact URLs Confluent's
    /// `SpecificationVersion` knows) is read as json-sKema reads it, with `prefixItems`; any other
    /// root, or any root when `ignore_modern_dialects` (the converter setting), as everit's draft
    /// 7 loader reads it, where `prefixItems` is no keyword.
    pub fn load(
        root: &Json,
        external: &[(String, Json)],
        ignore_modern_dialects: bool,
    ) -> Result<Document, String> {
        let (docs, names) = documents(root, external);
        let mut loader = Loader {
            docs,
            names,
            nodes: Vec::new(),
            targets: HashMap::new(),
            modern: !ignore_modern_dialects && declares_modern_dialect(root),
        };
        let root = loader.load(0, root)?;
        Ok(Document {
            nodes: loader.nodes,
            root,
        })
    }

    /// The node `id`.
    pub fn node(&self, id: NodeId) -> &SchemaNode {
        &self.nodes[id]
    }
}

struct Loader<'a> {
    docs: Vec<&'a Json>,
    names: HashMap<String, usize>,
    nodes: Vec<SchemaNode>,
    /// Loaded `$ref` targets by (document, JSON pointer).
    targets: HashMap<(usize, String), NodeId>,
    /// Whether 2019-09/2020-12 keywords (`prefixItems`) count ([`Document::load`]).
    modern: bool,
}

/// Whether `root`'s `$schema` is one of the URLs Confluent reads as draft 2019-09 or 2020-12.
fn declares_modern_dialect(root: &Json) -> bool {
    let Some(url) = root.get("$schema").and_then(Json::as_str) else {
        return false;
    };
    let path = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    matches!(
        path,
        Some("json-schema.org/draft/2019-09/schema" | "json-schema.org/draft/2020-12/schema")
    )
}

/// The keywords of everit's schema classes, by class (the last of the object and array lists,
/// `propertyNames` and `contains`, are draft 6 and later).
pub(super) const OBJECT_KEYWORDS: [&str; 8] = [
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "dependencies",
    "patternProperties",
    "propertyNames",
];
pub(super) const ARRAY_KEYWORDS: [&str; 6] = [
    "items",
    "additionalItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
];
pub(super) const NUMBER_KEYWORDS: [&str; 5] = [
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
pub(super) const STRING_KEYWORDS: [&str; 4] = ["minLength", "maxLength", "pattern", "format"];

impl<'a> Loader<'a> {
    fn push(&mut self, node: SchemaNode) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn load(&mut self, doc: usize, json: &'a Json) -> Result<NodeId, String> {
        let id = self.push(SchemaNode::bare(Kind::Unsupported("")));
        self.fill(id, doc, json)?;
        Ok(id)
    }

    fn fill(&mut self, id: NodeId, doc: usize, json: &'a Json) -> Result<(), String> {
        let obj = match json {
            Json::Bool(true) => {
                self.nodes[id] = SchemaNode::bare(Kind::Unsupported("TrueSchema"));
                return Ok(());
            }
            Json::Bool(false) => {
                self.nodes[id] = SchemaNode::bare(Kind::Unsupported("FalseSchema"));
                return Ok(());
            }
            Json::Object(obj) => obj,
            other => return Err(format!("a schema must be an object or a boolean: {other}")),
        };
        if let Some(reference) = obj.get("$ref") {
            let reference = reference
                .as_str()
                .ok_or_else(|| format!("$ref is not a string: {reference}"))?;
            let target = self.resolve(doc, reference)?;
            self.nodes[id] = SchemaNode::bare(Kind::Reference(target));
            return Ok(());
        }
        let mut extracted: Vec<Kind> = Vec::new();
        if let Some(values) = obj.get("enum") {
            let values = values
                .as_array()
                .ok_or_else(|| format!("enum is not an array: {values}"))?;
            extracted.push(Kind::Enum(values.clone()));
        }
        for (key, criterion) in [
            ("allOf", Criterion::AllOf),
            ("anyOf", Criterion::AnyOf),
            ("oneOf", Criterion::OneOf),
        ] {
            if let Some(members) = obj.get(key) {
                let members = members
                    .as_array()
                    .ok_or_else(|| format!("{key} is not an array"))?;
                let subschemas = members
                    .iter()
                    .map(|m| self.load(doc, m))
                    .collect::<Result<Vec<_>, _>>()?;
                extracted.push(Kind::Combined {
                    criterion,
                    subschemas,
                });
            }
        }
        if obj.contains_key("not") {
            extracted.push(Kind::Unsupported("NotSchema"));
        }
        if let Some(value) = obj.get("const") {
            extracted.push(Kind::Const(value.clone()));
        }
        match obj.get("type") {
            Some(Json::String(ty)) => extracted.push(self.typed(doc, obj, ty)?),
            Some(Json::Array(types)) => {
                let mut subschemas = Vec::with_capacity(types.len());
                for ty in types {
                    let ty = ty
                        .as_str()
                        .ok_or_else(|| format!("type is not a string: {ty}"))?;
                    let kind = self.typed(doc, obj, ty)?;
                    subschemas.push(self.push(SchemaNode::bare(kind)));
                }
                extracted.push(Kind::Combined {
                    criterion: Criterion::AnyOf,
                    subschemas,
                });
            }
            Some(other) => return Err(format!("type is not a string or a list: {other}")),
            None => {
                let has = |keys: &[&str]| keys.iter().any(|k| obj.contains_key(*k));
                if has(&OBJECT_KEYWORDS) {
                    extracted.push(self.object(doc, obj)?);
                }
                if has(&ARRAY_KEYWORDS) || (self.modern && obj.contains_key("prefixItems")) {
                    extracted.push(self.array(doc, obj)?);
                }
                if has(&NUMBER_KEYWORDS) {
                    extracted.push(Kind::Number { integer: false });
                }
                if has(&STRING_KEYWORDS) {
                    extracted.push(Kind::String);
                }
            }
        }
        if obj.contains_key("if") {
            extracted.push(Kind::Unsupported("ConditionalSchema"));
        }
        let kind = match extracted.len() {
            0 => Kind::Unsupported("EmptySchema"),
            1 => extracted.pop().unwrap_or(Kind::Unsupported("EmptySchema")),
            _ => Kind::Combined {
                criterion: Criterion::AllOf,
                subschemas: extracted
                    .into_iter()
                    .map(|k| self.push(SchemaNode::bare(k)))
                    .collect(),
            },
        };
        let text = |key: &str| obj.get(key).and_then(Json::as_str).map(str::to_string);
        let props = obj
            .iter()
            .filter(|(k, _)| k.starts_with("connect."))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self.nodes[id] = SchemaNode {
            kind,
            title: text("title"),
            description: text("description"),
            default: obj.get("default").filter(|v| !v.is_null()).cloned(),
            props,
        };
        Ok(())
    }

    fn typed(&mut self, doc: usize, obj: &'a Map<String, Json>, ty: &str) -> Result<Kind, String> {
        Ok(match ty {
            "string" => Kind::String,
            "integer" => Kind::Number { integer: true },
            "number" => Kind::Number { integer: false },
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            "array" => self.array(doc, obj)?,
            "object" => self.object(doc, obj)?,
            other => return Err(format!("unknown type {other}")),
        })
    }

    fn array(&mut self, doc: usize, obj: &'a Map<String, Json>) -> Result<Kind, String> {
        if self.modern && obj.contains_key("prefixItems") {
            return Ok(Kind::Array { items: None });
        }
        let items = match obj.get("items") {
            Some(items @ (Json::Object(_) | Json::Bool(_))) => Some(self.load(doc, items)?),
            _ => None,
        };
        Ok(Kind::Array { items })
    }

    fn object(&mut self, doc: usize, obj: &'a Map<String, Json>) -> Result<Kind, String> {
        let mut properties = Vec::new();
        if let Some(props) = obj.get("properties") {
            let props = props
                .as_object()
                .ok_or_else(|| "properties is not an object".to_string())?;
            let names: Vec<&str> = props.keys().map(String::as_str).collect();
            let entries: Vec<(&String, &Json)> = props.iter().collect();
            for i in hash_map_order(&names) {
                let (name, schema) = entries[i];
                properties.push((name.clone(), self.load(doc, schema)?));
            }
        }
        let required = obj
            .get("required")
            .and_then(Json::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Json::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let additional = match obj.get("additionalProperties") {
            Some(schema @ Json::Object(_)) => Some(self.load(doc, schema)?),
            _ => None,
        };
        Ok(Kind::Object {
            properties,
            required,
            additional,
        })
    }

    /// The node a `$ref` names, loading it on first use.
    fn resolve(&mut self, doc: usize, reference: &str) -> Result<NodeId, String> {
        let (base, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let target_doc = if base.is_empty() {
            doc
        } else {
            *self
                .names
                .get(base)
                .or_else(|| {
                    let last = base.rsplit('/').next().unwrap_or(base);
                    self.names.get(last)
                })
                .ok_or_else(|| format!("cannot resolve $ref {reference}: no such reference"))?
        };
        let key = (target_doc, pointer.to_string());
        if let Some(id) = self.targets.get(&key) {
            return Ok(*id);
        }
        let json = self.docs[target_doc]
            .pointer(&pointer_unescaped(pointer))
            .ok_or_else(|| format!("cannot resolve $ref {reference}"))?;
        let id = self.push(SchemaNode::bare(Kind::Unsupported("")));
        self.targets.insert(key, id);
        self.fill(id, target_doc, json)?;
        Ok(id)
    }
}

/// `root` and the `external` documents it references, with each external document's index by
/// the name a `$ref` uses for it and by its `$id`. Cost: one pass over `external`.
pub(super) fn documents<'j>(
    root: &'j Json,
    external: &'j [(String, Json)],
) -> (Vec<&'j Json>, HashMap<String, usize>) {
    let mut docs = vec![root];
    let mut names = HashMap::new();
    for (name, json) in external {
        names.insert(name.clone(), docs.len());
        if let Some(id) = json.get("$id").and_then(Json::as_str) {
            names.entry(id.to_string()).or_insert(docs.len());
        }
        docs.push(json);
    }
    (docs, names)
}

/// A URI fragment's JSON pointer with its percent-escapes decoded.
pub(super) fn pointer_unescaped(fragment: &str) -> String {
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn properties_follow_java_hash_map_order() {
        let doc = Document::load(
            &json!({"type":"object","properties":{"none":{"type":"string"},"some":{"type":"integer"}}}),
            &[],
            false,
        )
        .expect("loads");
        let Kind::Object { properties, .. } = &doc.node(doc.root).kind else {
            panic!("not an object")
        };
        let names: Vec<&str> = properties.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["some", "none"]);
    }

    #[test]
    fn prefix_items_is_a_keyword_only_of_modern_dialects_not_ignored() {
        // Whether the array's items have a schema (`None`: a tuple, which Connect cannot map).
        let items_known = |schema: Json, ignore: bool| {
            let doc = Document::load(&schema, &[], ignore).expect("loads");
            match &doc.node(doc.root).kind {
                Kind::Array { items } => items.is_some(),
                other => panic!("not an array: {other:?}"),
            }
        };
        let tuple = |dialect: Option<&str>| {
            let mut schema = json!({"type":"array","prefixItems":[{"type":"string"}],
                "items":{"type":"integer"}});
            if let Some(url) = dialect {
                schema["$schema"] = json!(url);
            }
            schema
        };
        for url in [
            "https://json-schema.org/draft/2020-12/schema",
            "http://json-schema.org/draft/2019-09/schema",
        ] {
            assert!(!items_known(tuple(Some(url)), false), "{url}");
            assert!(items_known(tuple(Some(url)), true), "{url} ignored");
        }
        for dialect in [
            None,
            Some("http://json-schema.org/draft-07/schema#"),
            Some("https://json-schema.org/draft/2020-12/schema#"),
        ] {
            assert!(items_known(tuple(dialect), false), "{dialect:?}");
        }
        // Without `type`, `prefixItems` alone makes an array only in a modern dialect.
        let untyped = json!({"$schema":"https://json-schema.org/draft/2020-12/schema",
            "prefixItems":[{"type":"string"}]});
        assert!(!items_known(untyped.clone(), false));
        let doc = Document::load(&untyped, &[], true).expect("loads");
        assert!(!matches!(doc.node(doc.root).kind, Kind::Array { .. }));
    }

    #[test]
    fn refs_share_their_target_and_types_lists_are_any_of() {
        let doc = Document::load(
            &json!({"definitions":{"P":{"type":["string","null"]}},
                    "type":"object","properties":{"a":{"$ref":"#/definitions/P"},"b":{"$ref":"#/definitions/P"}}}),
            &[],
            false,
        )
        .expect("loads");
        let Kind::Object { properties, .. } = &doc.node(doc.root).kind else {
            panic!("not an object")
        };
        let target = |i: usize| match doc.node(properties[i].1).kind {
            Kind::Reference(t) => t,
            _ => usize::MAX,
        };
        assert_eq!(target(0), target(1));
        assert!(matches!(
            doc.node(target(0)).kind,
            Kind::Combined {
                criterion: Criterion::AnyOf,
                ..
            }
        ));
    }

    #[test]
    fn unresolvable_refs_fail() {
        let err = Document::load(&json!({"$ref":"other.json"}), &[], false).unwrap_err();
        assert!(err.contains("other.json"), "{err}");
    }
}
