//! Loading drafts 4, 6 and 7 as everit-json-schema 1.14's `SchemaLoader` does, into a
//! [`Schemas`] arena: `$ref` makes a reference (its own `title`/`description`/`default` kept,
//! other siblings ignored); otherwise `enum`, the combinators (in the `HashSet` order of their
//! names), `not`, `const`, `type` (a list of types is an `anyOf` of one schema per type, each
//! reading every keyword of its type) and, for keywords no `type` took, the kinds they imply
//! (array, object, number, string, `if`); several make a synthetic `allOf`, none the empty
//! schema. Roots declaring 2019-09 or 2020-12 go to [`super::modern`].
//!
//! `$ref` resolves JSON pointers (`#/definitions/…`, `#/$defs/…`, `#`), `$id`/`$anchor` names
//! (`#name`) and referenced documents by reference name or `$id` (`address.json`,
//! `address.json#/…`). A target loads once and every reference shares it, so recursive schemas
//! load. Cost: one walk of the schema JSON.

use std::collections::HashMap;

use serde_json::{Map, Number, Value as Json};

use super::model::{
    ArrayRules, Criterion, Kind, Node, NodeId, NumberRules, ObjectRules, Schemas, StringRules,
};
use crate::java_hash_order::hash_map_order;
use crate::jsonschema::document::{documents, pointer_unescaped};

/// Which loader reads a root: everit's for drafts 4/6/7, Confluent's json-sKema translation for
/// 2019-09 and 2020-12.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Draft4,
    Draft6,
    Draft7,
    Modern,
}

impl Dialect {
    /// The dialect `$schema` names (Confluent's `SpecificationVersion.getFromUrl`), else draft 7.
    fn of(root: &Json) -> Dialect {
        let url = root.get("$schema").and_then(Json::as_str).unwrap_or("");
        let path = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or("");
        match path {
            "json-schema.org/draft-04/schema" | "json-schema.org/schema" => Dialect::Draft4,
            "json-schema.org/draft-06/schema" => Dialect::Draft6,
            "json-schema.org/draft/2019-09/schema" | "json-schema.org/draft/2020-12/schema" => {
                Dialect::Modern
            }
            _ => Dialect::Draft7,
        }
    }
}

// The keyword families everit's loader reads, shared with the validating document.
pub(super) use crate::jsonschema::document::{
    ARRAY_KEYWORDS, NUMBER_KEYWORDS, OBJECT_KEYWORDS, STRING_KEYWORDS,
};
pub(super) const CONDITIONAL_KEYWORDS: [&str; 3] = ["if", "then", "else"];

pub(super) type Object = Map<String, Json>;

pub(super) struct Loader<'a, 'j> {
    pub(super) arena: &'a mut Schemas,
    docs: Vec<&'j Json>,
    names: HashMap<String, usize>,
    /// Loaded `$ref` targets by (document, JSON pointer or anchor).
    targets: HashMap<(usize, String), NodeId>,
    pub(super) dialect: Dialect,
}

impl<'a, 'j> Loader<'a, 'j> {
    /// A loader of `root` (whose `$schema` picks the dialect) and its referenced documents into
    /// `arena`.
    pub(super) fn new(
        arena: &'a mut Schemas,
        root: &'j Json,
        external: &'j [(String, Json)],
    ) -> Self {
        let (docs, names) = documents(root, external);
        Loader {
            arena,
            docs,
            names,
            targets: HashMap::new(),
            dialect: Dialect::of(root),
        }
    }
}

impl<'j> Loader<'_, 'j> {
    pub(super) fn load(&mut self, doc: usize, json: &'j Json) -> Result<NodeId, String> {
        let id = self.arena.push(Node::of(Kind::Empty, None));
        self.fill(id, doc, json)?;
        Ok(id)
    }

    fn load_opt(&mut self, doc: usize, json: Option<&'j Json>) -> Result<Option<NodeId>, String> {
        json.map(|json| self.load(doc, json)).transpose()
    }

    fn fill(&mut self, id: NodeId, doc: usize, json: &'j Json) -> Result<(), String> {
        let obj = match json {
            Json::Bool(permits) => {
                let kind = if *permits { Kind::True } else { Kind::False };
                self.arena.nodes[id] = Node::of(kind, Some(json.clone()));
                return Ok(());
            }
            Json::Object(obj) => obj,
            other => return Err(format!("a schema must be an object or a boolean: {other}")),
        };
        let kind = if let Some(reference) = obj.get("$ref") {
            let reference = reference
                .as_str()
                .ok_or_else(|| format!("$ref is not a string: {reference}"))?;
            Kind::Reference(self.resolve(doc, reference)?)
        } else if self.dialect == Dialect::Modern {
            self.modern_kind(doc, obj)?
        } else {
            self.everit_kind(doc, obj)?
        };
        let text = |key: &str| -> Result<Option<String>, String> {
            obj.get(key)
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format!("{key} is not a string: {v}"))
                })
                .transpose()
        };
        let id_keyword = match self.dialect {
            Dialect::Draft4 => Some("id"),
            Dialect::Draft6 | Dialect::Draft7 => Some("$id"),
            Dialect::Modern => None,
        };
        self.arena.nodes[id] = Node {
            kind,
            id: id_keyword.map(text).transpose()?.flatten(),
            title: text("title")?,
            description: text("description")?,
            default: obj.get("default").cloned(),
            source: Some(json.clone()),
        };
        Ok(())
    }

    /// The kind everit's extractors make of `obj` (no `$ref`).
    fn everit_kind(&mut self, doc: usize, obj: &'j Object) -> Result<Kind, String> {
        let mut parts = Vec::new();
        if let Some(values) = obj.get("enum") {
            parts.push(Kind::Enum(array(values, "enum")?.clone()));
        }
        let combinators: Vec<&str> = ["allOf", "anyOf", "oneOf"]
            .into_iter()
            .filter(|k| obj.contains_key(*k))
            .collect();
        for i in hash_map_order(&combinators) {
            parts.push(self.combined(doc, obj, combinators[i])?);
        }
        if let Some(not) = obj.get("not") {
            parts.push(Kind::Not(self.load(doc, not)?));
        }
        if let (Some(value), false) = (obj.get("const"), self.dialect == Dialect::Draft4) {
            parts.push(Kind::Const(value.clone()));
        }
        let mut taken: Vec<&str> = Vec::new();
        match obj.get("type") {
            Some(Json::String(ty)) => parts.push(self.typed(doc, obj, ty, &mut taken)?),
            Some(Json::Array(types)) => {
                let mut subschemas = Vec::with_capacity(types.len());
                for ty in types {
                    let name = ty
                        .as_str()
                        .ok_or_else(|| format!("type is not a string: {ty}"))?;
                    let kind = self.typed(doc, obj, name, &mut taken)?;
                    let source = serde_json::json!({ "type": name });
                    subschemas.push(self.arena.push(Node::of(kind, Some(source))));
                }
                parts.push(Kind::Combined {
                    criterion: Criterion::AnyOf,
                    subschemas,
                });
            }
            Some(other) => return Err(format!("type is not a string or a list: {other}")),
            None => {}
        }
        self.sniff(doc, obj, &taken, &mut parts)?;
        Ok(self.combine_parts(parts))
    }

    /// `PropertySnifferSchemaExtractor`: the kinds implied by keywords no `type` took.
    fn sniff(
        &mut self,
        doc: usize,
        obj: &'j Object,
        taken: &[&str],
        parts: &mut Vec<Kind>,
    ) -> Result<(), String> {
        let has = |keys: &[&str]| {
            keys.iter()
                .any(|k| obj.contains_key(*k) && !taken.contains(k))
        };
        let draft4 = self.dialect == Dialect::Draft4;
        let array_keywords = if draft4 {
            &ARRAY_KEYWORDS[..5]
        } else {
            &ARRAY_KEYWORDS[..]
        };
        let object_keywords = if draft4 {
            &OBJECT_KEYWORDS[..7]
        } else {
            &OBJECT_KEYWORDS[..]
        };
        if has(array_keywords) {
            parts.push(Kind::Array(self.array(doc, obj)?));
        }
        if has(object_keywords) {
            parts.push(Kind::Object(self.object(doc, obj)?));
        }
        if has(&NUMBER_KEYWORDS) {
            parts.push(Kind::Number(self.number(obj)?));
        }
        if has(&STRING_KEYWORDS) {
            parts.push(Kind::String(string_rules(obj)?));
        }
        if self.dialect == Dialect::Draft7 && has(&CONDITIONAL_KEYWORDS) {
            parts.push(Kind::Conditional);
        }
        Ok(())
    }

    /// No part: the empty schema; one: itself; more: a synthetic `allOf` of them.
    pub(super) fn combine_parts(&mut self, mut parts: Vec<Kind>) -> Kind {
        match parts.len() {
            0 => Kind::Empty,
            1 => parts.pop().unwrap_or(Kind::Empty),
            _ => Kind::Combined {
                criterion: Criterion::AllOf,
                subschemas: parts
                    .into_iter()
                    .map(|kind| self.arena.push(Node::of(kind, None)))
                    .collect(),
            },
        }
    }

    pub(super) fn combined(
        &mut self,
        doc: usize,
        obj: &'j Object,
        key: &str,
    ) -> Result<Kind, String> {
        let criterion = match key {
            "allOf" => Criterion::AllOf,
            "anyOf" => Criterion::AnyOf,
            _ => Criterion::OneOf,
        };
        let members = obj.get(key).map(|m| array(m, key)).transpose()?;
        let subschemas = members
            .into_iter()
            .flatten()
            .map(|m| self.load(doc, m))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Kind::Combined {
            criterion,
            subschemas,
        })
    }

    /// `loadForExplicitType`: the schema of one named type, reading that type's keywords (which
    /// it adds to `taken`).
    fn typed(
        &mut self,
        doc: usize,
        obj: &'j Object,
        ty: &str,
        taken: &mut Vec<&str>,
    ) -> Result<Kind, String> {
        Ok(match ty {
            "string" => {
                taken.extend(STRING_KEYWORDS);
                Kind::String(string_rules(obj)?)
            }
            "integer" | "number" => {
                taken.extend(NUMBER_KEYWORDS);
                let mut rules = self.number(obj)?;
                rules.integer = ty == "integer";
                Kind::Number(rules)
            }
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            "array" => {
                taken.extend(ARRAY_KEYWORDS);
                Kind::Array(self.array(doc, obj)?)
            }
            "object" => {
                taken.extend(OBJECT_KEYWORDS);
                Kind::Object(self.object(doc, obj)?)
            }
            other => return Err(format!("unknown type: [{other}]")),
        })
    }

    pub(super) fn number(&self, obj: &Object) -> Result<NumberRules, String> {
        let exclusive = |key: &str| match obj.get(key) {
            Some(Json::Bool(_)) if self.dialect == Dialect::Draft4 => Ok(None),
            other => number(other, key),
        };
        Ok(NumberRules {
            minimum: number(obj.get("minimum"), "minimum")?,
            maximum: number(obj.get("maximum"), "maximum")?,
            exclusive_minimum: exclusive("exclusiveMinimum")?,
            exclusive_maximum: exclusive("exclusiveMaximum")?,
            multiple_of: number(obj.get("multipleOf"), "multipleOf")?,
            integer: false,
        })
    }

    fn array(&mut self, doc: usize, obj: &'j Object) -> Result<ArrayRules, String> {
        let mut rules = ArrayRules {
            min_items: integer(obj.get("minItems"), "minItems")?,
            max_items: integer(obj.get("maxItems"), "maxItems")?,
            unique_items: boolean(obj.get("uniqueItems"), "uniqueItems")?.unwrap_or(false),
            ..ArrayRules::default()
        };
        match obj.get("additionalItems") {
            Some(Json::Bool(permits)) => rules.permits_additional = *permits,
            Some(schema @ Json::Object(_)) => rules.additional = Some(self.load(doc, schema)?),
            Some(other) => return Err(format!("additionalItems is not a schema: {other}")),
            None => {}
        }
        match obj.get("items") {
            Some(Json::Array(items)) => {
                for item in items {
                    rules.item_schemas.push(self.load(doc, item)?);
                }
            }
            items => rules.all_items = self.load_opt(doc, items)?,
        }
        Ok(rules)
    }

    /// The object keywords every dialect reads alike: the property counts, `required` and
    /// `properties`.
    pub(super) fn object_basics(
        &mut self,
        doc: usize,
        obj: &'j Object,
    ) -> Result<ObjectRules, String> {
        let mut rules = ObjectRules {
            min_properties: integer(obj.get("minProperties"), "minProperties")?,
            max_properties: integer(obj.get("maxProperties"), "maxProperties")?,
            required: strings(obj.get("required"), "required")?,
            ..ObjectRules::default()
        };
        if let Some(properties) = obj.get("properties") {
            rules.properties = self.properties(doc, object(properties, "properties")?)?;
        }
        Ok(rules)
    }

    /// `patternProperties` into `rules`, in document order.
    pub(super) fn pattern_properties(
        &mut self,
        doc: usize,
        obj: &'j Object,
        rules: &mut ObjectRules,
    ) -> Result<(), String> {
        if let Some(patterns) = obj.get("patternProperties") {
            for (pattern, schema) in object(patterns, "patternProperties")? {
                let node = self.load(doc, schema)?;
                rules.pattern_properties.push((pattern.clone(), node));
            }
        }
        Ok(())
    }

    fn object(&mut self, doc: usize, obj: &'j Object) -> Result<ObjectRules, String> {
        let mut rules = self.object_basics(doc, obj)?;
        self.additional_properties(doc, obj.get("additionalProperties"), &mut rules)?;
        self.pattern_properties(doc, obj, &mut rules)?;
        if let Some(dependencies) = obj.get("dependencies") {
            for (name, dependency) in object(dependencies, "dependencies")? {
                match dependency {
                    Json::Array(_) => {
                        let names = strings(Some(dependency), "dependencies")?;
                        if !names.is_empty() {
                            rules.property_dependencies.push((name.clone(), names));
                        }
                    }
                    schema => {
                        let node = self.load(doc, schema)?;
                        rules.schema_dependencies.push((name.clone(), node));
                    }
                }
            }
        }
        Ok(rules)
    }

    /// `properties` in Java `HashMap` order (a property named `$id` whose value is not an object
    /// is skipped, as everit does).
    pub(super) fn properties(
        &mut self,
        doc: usize,
        properties: &'j Object,
    ) -> Result<Vec<(String, NodeId)>, String> {
        let entries: Vec<(&String, &Json)> = properties
            .iter()
            .filter(|(name, schema)| name.as_str() != "$id" || schema.is_object())
            .collect();
        let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
        let mut out = Vec::with_capacity(entries.len());
        for i in hash_map_order(&names) {
            let (name, schema) = entries[i];
            out.push((name.clone(), self.load(doc, schema)?));
        }
        Ok(out)
    }

    pub(super) fn additional_properties(
        &mut self,
        doc: usize,
        value: Option<&'j Json>,
        rules: &mut ObjectRules,
    ) -> Result<(), String> {
        match value {
            Some(Json::Bool(permits)) => rules.permits_additional = *permits,
            Some(schema @ Json::Object(_)) => rules.additional = Some(self.load(doc, schema)?),
            Some(other) => return Err(format!("additionalProperties is not a schema: {other}")),
            None => {}
        }
        Ok(())
    }

    /// The node a `$ref` names, loading it on first use.
    fn resolve(&mut self, doc: usize, reference: &str) -> Result<NodeId, String> {
        let (base, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let target_doc = if base.is_empty() {
            doc
        } else {
            *self
                .names
                .get(base)
                .or_else(|| self.names.get(base.rsplit('/').next().unwrap_or(base)))
                .ok_or_else(|| format!("cannot resolve $ref {reference}: no such reference"))?
        };
        let key = (target_doc, fragment.to_string());
        if let Some(id) = self.targets.get(&key) {
            return Ok(*id);
        }
        let target = if fragment.is_empty() || fragment.starts_with('/') {
            self.docs[target_doc].pointer(&pointer_unescaped(fragment))
        } else {
            find_anchor(self.docs[target_doc], fragment)
        };
        let json = target.ok_or_else(|| format!("cannot resolve $ref {reference}"))?;
        let id = self.arena.push(Node::of(Kind::Empty, None));
        self.targets.insert(key, id);
        self.fill(id, target_doc, json)?;
        Ok(id)
    }
}

pub(super) fn string_rules(obj: &Object) -> Result<StringRules, String> {
    Ok(StringRules {
        min_length: integer(obj.get("minLength"), "minLength")?,
        max_length: integer(obj.get("maxLength"), "maxLength")?,
        pattern: obj
            .get("pattern")
            .map(|p| {
                p.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("pattern is not a string: {p}"))
            })
            .transpose()?,
    })
}

pub(super) fn array<'j>(value: &'j Json, key: &str) -> Result<&'j Vec<Json>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("{key} is not an array: {value}"))
}

pub(super) fn object<'j>(value: &'j Json, key: &str) -> Result<&'j Object, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{key} is not an object: {value}"))
}

fn number(value: Option<&Json>, key: &str) -> Result<Option<Number>, String> {
    value
        .map(|v| match v {
            Json::Number(n) => Ok(n.clone()),
            other => Err(format!("{key} is not a number: {other}")),
        })
        .transpose()
}

pub(super) fn integer(value: Option<&Json>, key: &str) -> Result<Option<i64>, String> {
    value
        .map(|v| {
            v.as_i64()
                .ok_or_else(|| format!("{key} is not an integer: {v}"))
        })
        .transpose()
}

pub(super) fn boolean(value: Option<&Json>, key: &str) -> Result<Option<bool>, String> {
    value
        .map(|v| {
            v.as_bool()
                .ok_or_else(|| format!("{key} is not a boolean: {v}"))
        })
        .transpose()
}

pub(super) fn strings(value: Option<&Json>, key: &str) -> Result<Vec<String>, String> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    array(value, key)?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{key} holds a non-string: {v}"))
        })
        .collect()
}

/// The schema in `json` whose `$id`/`id` is `#name` or whose `$anchor` is `name`.
fn find_anchor<'j>(json: &'j Json, name: &str) -> Option<&'j Json> {
    let hash_name = format!("#{name}");
    let named = |obj: &Object| {
        ["$id", "id"]
            .iter()
            .any(|k| obj.get(*k).and_then(Json::as_str) == Some(hash_name.as_str()))
            || obj.get("$anchor").and_then(Json::as_str) == Some(name)
    };
    match json {
        Json::Object(obj) if named(obj) => Some(json),
        Json::Object(obj) => obj.values().find_map(|v| find_anchor(v, name)),
        Json::Array(items) => items.iter().find_map(|v| find_anchor(v, name)),
        _ => None,
    }
}
