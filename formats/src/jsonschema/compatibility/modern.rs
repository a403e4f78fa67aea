//! The 2019-09/2020-12 loading: what Confluent's `SchemaTranslator` makes of json-sKema's
//! keyword schemas, in everit's shape — one part per keyword in document order (an empty
//! `properties` makes none), parts of one kind (object, array, number, string) merged, also into
//! the member of that kind of `type`'s generated `anyOf`; `prefixItems` as the tuple and `items`
//! after it as the schema of additional items (`items: false` closes the array),
//! `dependentRequired`/`dependentSchemas` as dependencies, `additionalProperties: true` as
//! nothing, `format` ignored, no `$id`.

use serde_json::{Map, Value as Json};

use super::loader::{
    array, boolean, integer, object, string_rules, strings, Loader, Object, CONDITIONAL_KEYWORDS,
    NUMBER_KEYWORDS,
};
use super::model::{
    ArrayRules, Criterion, Kind, Node, NodeId, NumberRules, ObjectRules, StringRules,
};

/// The object, array, number and string keywords json-sKema reads in 2019-09/2020-12.
const MODERN_OBJECT_KEYWORDS: [&str; 10] = [
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "unevaluatedProperties",
];
const MODERN_ARRAY_KEYWORDS: [&str; 7] = [
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "unevaluatedItems",
];
const MODERN_STRING_KEYWORDS: [&str; 3] = ["minLength", "maxLength", "pattern"];

impl<'j> Loader<'_, 'j> {
    /// The kind a 2019-09/2020-12 schema object (no `$ref`) loads as.
    pub(super) fn modern_kind(&mut self, doc: usize, obj: &'j Object) -> Result<Kind, String> {
        let mut parts = Parts::default();
        let mut families_done = Vec::new();
        for (key, value) in obj {
            let part = match key.as_str() {
                "enum" => Some(Kind::Enum(array(value, "enum")?.clone())),
                "const" => Some(Kind::Const(value.clone())),
                "not" => Some(Kind::Not(self.load(doc, value)?)),
                "allOf" | "anyOf" | "oneOf" => Some(self.combined(doc, obj, key)?),
                "type" => Some(self.modern_type(value)?),
                _ => self.modern_family(doc, obj, key, &mut families_done)?,
            };
            let from_type_list = key == "type" && value.is_array();
            if let Some(part) = part {
                self.join(&mut parts, part, from_type_list);
            }
        }
        Ok(self.combine_parts(parts.kinds))
    }

    /// The part `type` makes: a bare schema of that type, or a generated `anyOf` of them.
    fn modern_type(&mut self, value: &Json) -> Result<Kind, String> {
        let bare = |ty: &str| -> Result<Kind, String> {
            Ok(match ty {
                "string" => Kind::String(StringRules::default()),
                "integer" => Kind::Number(NumberRules {
                    integer: true,
                    ..NumberRules::default()
                }),
                "number" => Kind::Number(NumberRules::default()),
                "boolean" => Kind::Boolean,
                "null" => Kind::Null,
                "array" => Kind::Array(ArrayRules::default()),
                "object" => Kind::Object(ObjectRules::default()),
                other => return Err(format!("unknown type: [{other}]")),
            })
        };
        match value {
            Json::String(ty) => bare(ty),
            Json::Array(types) => {
                let mut subschemas = Vec::with_capacity(types.len());
                for ty in types {
                    let name = ty
                        .as_str()
                        .ok_or_else(|| format!("type is not a string: {ty}"))?;
                    let source = serde_json::json!({ "type": name });
                    subschemas.push(self.arena.push(Node::of(bare(name)?, Some(source))));
                }
                Ok(Kind::Combined {
                    criterion: Criterion::AnyOf,
                    subschemas,
                })
            }
            other => Err(format!("type is not a string or a list: {other}")),
        }
    }

    /// The object, array, number or string part the keyword `key` belongs to, read whole the
    /// first time one of its family's keywords is seen.
    fn modern_family(
        &mut self,
        doc: usize,
        obj: &'j Object,
        key: &str,
        done: &mut Vec<&'static str>,
    ) -> Result<Option<Kind>, String> {
        let family = if MODERN_OBJECT_KEYWORDS.contains(&key) {
            "object"
        } else if MODERN_ARRAY_KEYWORDS.contains(&key) {
            "array"
        } else if NUMBER_KEYWORDS.contains(&key) {
            "number"
        } else if MODERN_STRING_KEYWORDS.contains(&key) {
            "string"
        } else if CONDITIONAL_KEYWORDS.contains(&key) {
            "if"
        } else {
            return Ok(None);
        };
        // json-sKema makes one schema per property: no properties, no part.
        let empty_map = matches!(key, "properties" | "patternProperties")
            && obj
                .get(key)
                .and_then(Json::as_object)
                .is_some_and(Map::is_empty);
        if done.contains(&family) || empty_map {
            return Ok(None);
        }
        done.push(family);
        Ok(Some(match family {
            "object" => Kind::Object(self.modern_object(doc, obj)?),
            "array" => Kind::Array(self.modern_array(doc, obj)?),
            "number" => Kind::Number(self.number(obj)?),
            "string" => Kind::String(string_rules(obj)?),
            _ => Kind::Conditional,
        }))
    }

    fn modern_object(&mut self, doc: usize, obj: &'j Object) -> Result<ObjectRules, String> {
        let mut rules = self.object_basics(doc, obj)?;
        match obj.get("additionalProperties") {
            Some(Json::Bool(true)) => {}
            value => self.additional_properties(doc, value, &mut rules)?,
        }
        self.pattern_properties(doc, obj, &mut rules)?;
        if let Some(required) = obj.get("dependentRequired") {
            for (name, names) in object(required, "dependentRequired")? {
                let names = strings(Some(names), "dependentRequired")?;
                if !names.is_empty() {
                    rules.property_dependencies.push((name.clone(), names));
                }
            }
        }
        if let Some(schemas) = obj.get("dependentSchemas") {
            for (name, schema) in object(schemas, "dependentSchemas")? {
                let node = self.load(doc, schema)?;
                rules.schema_dependencies.push((name.clone(), node));
            }
        }
        Ok(rules)
    }

    fn modern_array(&mut self, doc: usize, obj: &'j Object) -> Result<ArrayRules, String> {
        let mut rules = ArrayRules {
            min_items: integer(obj.get("minItems"), "minItems")?,
            max_items: integer(obj.get("maxItems"), "maxItems")?,
            unique_items: boolean(obj.get("uniqueItems"), "uniqueItems")?.unwrap_or(false),
            ..ArrayRules::default()
        };
        let prefix = obj
            .get("prefixItems")
            .map(|p| array(p, "prefixItems"))
            .transpose()?;
        for item in prefix.into_iter().flatten() {
            rules.item_schemas.push(self.load(doc, item)?);
        }
        match obj.get("items") {
            Some(Json::Bool(true)) | None => {}
            Some(Json::Bool(false)) => rules.permits_additional = false,
            Some(items) if prefix.is_some() => rules.additional = Some(self.load(doc, items)?),
            Some(items) => rules.all_items = Some(self.load(doc, items)?),
        }
        Ok(rules)
    }

    /// `SchemaContext.join`: a part of a kind already present merges into it; the `anyOf` a
    /// list of types makes takes a part of a kind among its members into that member when it is
    /// the only part so far (before or after it); any other part is added.
    fn join(&mut self, parts: &mut Parts, part: Kind, from_type_list: bool) {
        if from_type_list {
            if let ([only], Kind::Combined { subschemas, .. }) = (parts.kinds.as_slice(), &part) {
                if self.merge_into_member(subschemas, only) {
                    parts.kinds.clear();
                }
            }
            parts.type_list = Some(parts.kinds.len());
            parts.kinds.push(part);
            return;
        }
        for existing in parts.kinds.iter_mut() {
            if let Some(merged) = merged(existing, &part) {
                *existing = merged;
                return;
            }
        }
        if let (Some(0), [Kind::Combined { subschemas, .. }]) =
            (parts.type_list, parts.kinds.as_slice())
        {
            let members = subschemas.clone();
            if self.merge_into_member(&members, &part) {
                return;
            }
        }
        parts.kinds.push(part);
    }

    /// Merges `part` into the first of `members` of its kind; false when none is.
    fn merge_into_member(&mut self, members: &[NodeId], part: &Kind) -> bool {
        for &member in members {
            if let Some(merged) = merged(&self.arena.nodes[member].kind, part) {
                self.arena.nodes[member].kind = merged;
                return true;
            }
        }
        false
    }
}

/// The parts of one schema object so far, and which of them is the `anyOf` of a list of types.
#[derive(Default)]
struct Parts {
    kinds: Vec<Kind>,
    type_list: Option<usize>,
}

/// Two parts of the same kind (object, array, number, string) as one: each keyword from the
/// part that sets it.
fn merged(into: &Kind, part: &Kind) -> Option<Kind> {
    Some(match (into, part) {
        (Kind::Object(a), Kind::Object(b)) => Kind::Object(ObjectRules {
            properties: [a.properties.clone(), b.properties.clone()].concat(),
            required: [a.required.clone(), b.required.clone()].concat(),
            min_properties: a.min_properties.or(b.min_properties),
            max_properties: a.max_properties.or(b.max_properties),
            permits_additional: a.permits_additional && b.permits_additional,
            additional: a.additional.or(b.additional),
            pattern_properties: [a.pattern_properties.clone(), b.pattern_properties.clone()]
                .concat(),
            property_dependencies: [
                a.property_dependencies.clone(),
                b.property_dependencies.clone(),
            ]
            .concat(),
            schema_dependencies: [a.schema_dependencies.clone(), b.schema_dependencies.clone()]
                .concat(),
        }),
        (Kind::Array(a), Kind::Array(b)) => Kind::Array(ArrayRules {
            all_items: a.all_items.or(b.all_items),
            item_schemas: [a.item_schemas.clone(), b.item_schemas.clone()].concat(),
            permits_additional: a.permits_additional && b.permits_additional,
            additional: a.additional.or(b.additional),
            min_items: a.min_items.or(b.min_items),
            max_items: a.max_items.or(b.max_items),
            unique_items: a.unique_items || b.unique_items,
        }),
        (Kind::Number(a), Kind::Number(b)) => Kind::Number(NumberRules {
            minimum: a.minimum.clone().or_else(|| b.minimum.clone()),
            maximum: a.maximum.clone().or_else(|| b.maximum.clone()),
            exclusive_minimum: a
                .exclusive_minimum
                .clone()
                .or_else(|| b.exclusive_minimum.clone()),
            exclusive_maximum: a
                .exclusive_maximum
                .clone()
                .or_else(|| b.exclusive_maximum.clone()),
            multiple_of: a.multiple_of.clone().or_else(|| b.multiple_of.clone()),
            integer: a.integer || b.integer,
        }),
        (Kind::String(a), Kind::String(b)) => Kind::String(StringRules {
            min_length: a.min_length.or(b.min_length),
            max_length: a.max_length.or(b.max_length),
            pattern: a.pattern.clone().or_else(|| b.pattern.clone()),
        }),
        _ => return None,
    })
}
