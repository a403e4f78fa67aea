//! Connect schema → JSON Schema as Confluent's `JsonSchemaData.fromConnectSchema` (7.8.0) derives
//! it (the schema `auto.register.schemas` registers): no `$schema` and no `required`; every
//! property carries `connect.index`; an optional schema is `oneOf [null, T]` (the index on the
//! `oneOf`); integers `integer` + `connect.type`, floats `number` + `connect.type`, bytes a
//! `string` (Decimal a `number`) with `connect.type: bytes`; names `title`, docs `description`,
//! versions `connect.version`, parameters outside JsonSchemaData's namespace `connect.parameters`;
//! string-keyed maps an object with `additionalProperties`, other maps an array of `{key, value}`;
//! union structs `oneOf`; enum parameters `enum`; a struct reached again through its
//! `io.confluent.connect.json.Id` a `{"$ref": id}`.
//! Cost: one walk of the schema, once per Connect schema.

use std::collections::HashSet;

use serde_json::{Map, Value as Json};

use super::config::JsonSchemaDataConfig;
use super::write::from_connect_data;
use super::{is_union, ENUM_PARAMETER, GENERALIZED_ENUM_PARAMETER, ID_PARAMETER, NAMESPACE};
use crate::error::ConnectError;
use crate::java_hash_order::hash_map_order;
use crate::schema::{Schema, SchemaKind, DECIMAL_LOGICAL_NAME};

/// The JSON Schema JsonSchemaData derives for `schema`.
pub fn from_connect_schema(
    schema: &Schema,
    config: &JsonSchemaDataConfig,
) -> Result<Json, ConnectError> {
    let mut ctx = Derive {
        config,
        ids: HashSet::new(),
    };
    ctx.derive(schema, None, false).map(Json::Object)
}

/// Sorts every object's keys (`normalize.schemas=true`); arrays keep their order.
pub fn normalized(json: &Json) -> Json {
    match json {
        Json::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Json::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), normalized(&map[k])))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

struct Derive<'a> {
    config: &'a JsonSchemaDataConfig,
    ids: HashSet<String>,
}

fn typed(name: &str) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("type".into(), Json::String(name.into()));
    m
}

fn one_of(members: Vec<Json>) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("oneOf".into(), Json::Array(members));
    m
}

fn null_schema() -> Json {
    Json::Object(typed("null"))
}

fn reference(id: &str) -> Json {
    let mut m = Map::new();
    m.insert("$ref".into(), Json::String(id.into()));
    Json::Object(m)
}

/// `schema` as required (`JsonSchemaData.nonOptional`).
fn non_optional(schema: &Schema) -> Schema {
    let mut s = schema.clone();
    s.optional = false;
    s
}

impl Derive<'_> {
    /// The schema of a child that may be a struct already written (then a `$ref` to its id).
    fn child(&mut self, schema: &Schema, index: Option<usize>) -> Result<Json, ConnectError> {
        if let Some(id) = schema.parameter(ID_PARAMETER) {
            if self.ids.contains(id) {
                return Ok(reference(id));
            }
        }
        self.derive(schema, index, false).map(Json::Object)
    }

    fn derive(
        &mut self,
        schema: &Schema,
        index: Option<usize>,
        ignore_optional: bool,
    ) -> Result<Map<String, Json>, ConnectError> {
        let id = schema.parameter(ID_PARAMETER).map(str::to_string);
        if let Some(id) = &id {
            self.ids.insert(id.clone());
        }
        let mut unprocessed = Map::new();
        let connect_type = |t: &str, u: &mut Map<String, Json>| {
            u.insert("connect.type".into(), Json::String(t.into()));
        };
        let mut combined = false;
        let mut out = match &schema.kind {
            SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32 | SchemaKind::Int64 => {
                connect_type(
                    &schema.kind.type_name().to_ascii_lowercase(),
                    &mut unprocessed,
                );
                typed("integer")
            }
            SchemaKind::Float32 | SchemaKind::Float64 => {
                connect_type(
                    &schema.kind.type_name().to_ascii_lowercase(),
                    &mut unprocessed,
                );
                typed("number")
            }
            SchemaKind::Boolean => typed("boolean"),
            SchemaKind::String => {
                let is_enum = schema.parameter(GENERALIZED_ENUM_PARAMETER).is_some()
                    || schema.parameter(ENUM_PARAMETER).is_some();
                if is_enum {
                    let param = if self.config.generalized_sum_type_support {
                        GENERALIZED_ENUM_PARAMETER
                    } else {
                        ENUM_PARAMETER
                    };
                    let prefix = format!("{param}.");
                    let symbols: Vec<Option<&str>> = schema
                        .parameters
                        .iter()
                        .flatten()
                        .filter_map(|(k, _)| k.strip_prefix(&prefix))
                        .map(|s| (s != "<NULL>").then_some(s))
                        .collect();
                    // everit keeps enum values in a HashSet: written in its iteration order
                    // (null hashes to 0, as "" does).
                    let keys: Vec<&str> = symbols.iter().map(|s| s.unwrap_or("")).collect();
                    let symbols = hash_map_order(&keys)
                        .into_iter()
                        .map(|i| symbols[i].map_or(Json::Null, |s| Json::String(s.to_string())))
                        .collect();
                    let mut m = Map::new();
                    m.insert("enum".into(), Json::Array(symbols));
                    m
                } else {
                    typed("string")
                }
            }
            SchemaKind::Bytes => {
                connect_type("bytes", &mut unprocessed);
                if schema.name.as_deref() == Some(DECIMAL_LOGICAL_NAME) {
                    typed("number")
                } else {
                    typed("string")
                }
            }
            SchemaKind::Array(items) => {
                let items = self.child(items, None)?;
                let mut m = typed("array");
                m.insert("items".into(), items);
                m
            }
            SchemaKind::Map(key, value) => {
                connect_type("map", &mut unprocessed);
                if matches!(key.kind, SchemaKind::String) && !key.optional {
                    let value = self.derive(value, None, false)?;
                    let mut m = typed("object");
                    m.insert("additionalProperties".into(), Json::Object(value));
                    m
                } else {
                    let k = self.derive(key, Some(0), false)?;
                    let v = self.derive(value, Some(1), false)?;
                    let mut properties = Map::new();
                    properties.insert("key".into(), Json::Object(k));
                    properties.insert("value".into(), Json::Object(v));
                    let mut entry = typed("object");
                    entry.insert("properties".into(), Json::Object(properties));
                    let mut m = typed("array");
                    m.insert("items".into(), Json::Object(entry));
                    m
                }
            }
            SchemaKind::Struct(fields) => {
                if is_union(schema) {
                    combined = true;
                    let mut members = Vec::with_capacity(fields.len() + 1);
                    if schema.optional {
                        members.push(null_schema());
                    }
                    for (i, field) in fields.iter().enumerate() {
                        members.push(Json::Object(self.derive(
                            &non_optional(&field.schema),
                            Some(i),
                            true,
                        )?));
                    }
                    one_of(members)
                } else if schema.optional {
                    combined = true;
                    let inner = self.derive(&non_optional(schema), None, false)?;
                    one_of(vec![null_schema(), Json::Object(inner)])
                } else {
                    let mut properties = Map::new();
                    for (i, field) in fields.iter().enumerate() {
                        let child = self.child(&field.schema, Some(i))?;
                        properties.insert(field.name.clone(), child);
                    }
                    let mut m = typed("object");
                    if !properties.is_empty() {
                        m.insert("properties".into(), Json::Object(properties));
                    }
                    if !self.config.allow_additional_properties {
                        m.insert("additionalProperties".into(), Json::Bool(false));
                    }
                    m
                }
            }
        };
        if !combined {
            if let Some(name) = &schema.name {
                out.insert("title".into(), Json::String(name.clone()));
            }
            if let Some(version) = schema.version {
                unprocessed.insert("connect.version".into(), Json::from(version));
            }
            if let Some(doc) = &schema.doc {
                out.insert("description".into(), Json::String(doc.clone()));
            }
            let params: Map<String, Json> = schema
                .parameters
                .iter()
                .flatten()
                .filter(|(k, _)| !k.starts_with(NAMESPACE))
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect();
            if !params.is_empty() {
                unprocessed.insert("connect.parameters".into(), Json::Object(params));
            }
            if let Some(default) = schema.default.as_ref().filter(|d| !d.is_null()) {
                let config = JsonSchemaDataConfig {
                    ignore_default_for_nullables: false,
                    ..self.config.clone()
                };
                if let Some(node) = from_connect_data(schema, default, &config)? {
                    out.insert("default".into(), node.to_serde());
                }
            }
            if !ignore_optional && schema.optional {
                out.append(&mut unprocessed);
                let mut wrapper = one_of(vec![null_schema(), Json::Object(out)]);
                if let Some(index) = index {
                    wrapper.insert("connect.index".into(), Json::from(index));
                }
                out = wrapper;
            }
        }
        if let Some(id) = id {
            out.insert("id".into(), Json::String(id));
        }
        if let Some(index) = index {
            unprocessed.insert("connect.index".into(), Json::from(index));
        }
        out.append(&mut unprocessed);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Field;
    use serde_json::json;

    #[test]
    fn optional_fields_become_one_of_with_the_index_outside() {
        let schema = Schema::new(SchemaKind::Struct(vec![Field {
            name: "oi".into(),
            schema: Schema::new(SchemaKind::Int32).optional().into_ref(),
        }]));
        let json = from_connect_schema(&schema, &JsonSchemaDataConfig::default()).expect("derives");
        assert_eq!(
            json,
            json!({"type":"object","properties":{"oi":{"oneOf":[{"type":"null"},{"type":"integer","connect.type":"int32"}],"connect.index":0}}})
        );
    }
}
