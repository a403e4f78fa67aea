//! JSON Schema → Connect schema as Confluent's `JsonSchemaData.toConnectSchema` (7.8.0) builds it:
//! `integer` → int64, `number` → float64 (or `connect.type`), `title` → name, `description` →
//! doc, `connect.version` (else the registry version on the root), `connect.parameters`,
//! `default`; `oneOf`/`anyOf` → a `io.confluent.connect.json.OneOf` (or `connect_union_<n>`)
//! struct unless it is `[null, T]`; `allOf` merged; enums/const → strings with enum parameters;
//! struct fields in the document's property order (Java `HashMap` order) unless `connect.index`.
//!
//! A `$ref` to a struct already built returns that struct marked `io.confluent.connect.json.Id` =
//! `#id<n>`, where `n` is the last id JsonSchemaData gave it in the whole schema (Java shares one
//! builder between all such references, so all of them show the last value): the conversion runs
//! twice, the first run only to learn those final ids. A `$ref` back into a struct still being
//! built (a recursive schema) is an error; Confluent overflows its stack there.
//! Cost: two walks of the document, once per schema id.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value as Json;

use super::config::JsonSchemaDataConfig;
use super::document::{Criterion, Document, Kind, NodeId};
use super::read::{to_connect as read_value, Input};
use super::{
    ENUM_PARAMETER, GENERALIZED_ENUM_PARAMETER, ID_PARAMETER, ONE_OF_NAME, UNION_PARAMETER,
};
use crate::error::ConnectError;
use crate::schema::{Field, Schema, SchemaKind, SchemaRef};

/// The Connect schema of `doc`; `version` is the registry version (the root's version unless
/// `connect.version` says otherwise).
pub fn to_connect_schema(
    doc: &Document,
    config: &JsonSchemaDataConfig,
    version: Option<i32>,
) -> Result<SchemaRef, ConnectError> {
    let mut first = Builder::new(doc, config, HashMap::new());
    first.convert(doc.root, version, false)?;
    let final_ids = first.assigned;
    let mut second = Builder::new(doc, config, final_ids);
    Ok(second.convert(doc.root, version, false)?.into_ref())
}

enum Built {
    InProgress,
    Done(Schema),
}

struct Builder<'a> {
    doc: &'a Document,
    config: &'a JsonSchemaDataConfig,
    built: HashMap<NodeId, Built>,
    id_index: u32,
    union_index: u32,
    /// The last `#id<n>` given to each struct (from the first run).
    final_ids: HashMap<NodeId, u32>,
    /// The last `#id<n>` given to each struct so far.
    assigned: HashMap<NodeId, u32>,
}

fn unsupported(class: &str) -> ConnectError {
    ConnectError::data(format!(
        "Unsupported schema type org.everit.json.schema.{class}"
    ))
}

fn set_parameter(schema: &mut Schema, key: &str, value: String) {
    let params = schema.parameters.get_or_insert_with(Vec::new);
    match params.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => params.push((key.to_string(), value)),
    }
}

impl<'a> Builder<'a> {
    fn new(
        doc: &'a Document,
        config: &'a JsonSchemaDataConfig,
        final_ids: HashMap<NodeId, u32>,
    ) -> Builder<'a> {
        Builder {
            doc,
            config,
            built: HashMap::new(),
            id_index: 0,
            union_index: 0,
            final_ids,
            assigned: HashMap::new(),
        }
    }

    /// A reference to `target`: the struct built for it (marked with its id), or `target` built
    /// now.
    fn reference(
        &mut self,
        target: NodeId,
        version: Option<i32>,
        force_optional: bool,
    ) -> Result<Schema, ConnectError> {
        match self.built.get(&target) {
            Some(Built::InProgress) => Err(ConnectError::data(
                "Recursive JSON schemas are not supported: a $ref leads back into the object it is in (Confluent's converter overflows its stack here)",
            )),
            Some(Built::Done(schema)) => {
                let mut schema = schema.clone();
                self.id_index += 1;
                self.assigned.insert(target, self.id_index);
                let id = self.final_ids.get(&target).copied().unwrap_or(self.id_index);
                set_parameter(&mut schema, ID_PARAMETER, format!("#id{id}"));
                schema.optional = force_optional;
                Ok(schema)
            }
            None => self.convert(target, version, force_optional),
        }
    }

    fn convert(
        &mut self,
        id: NodeId,
        version: Option<i32>,
        force_optional: bool,
    ) -> Result<Schema, ConnectError> {
        let doc: &'a Document = self.doc;
        let node = doc.node(id);
        let connect_type = node.prop_str("connect.type");
        let mut is_struct = false;
        let mut schema = match &node.kind {
            Kind::Boolean => Schema::new(SchemaKind::Boolean),
            Kind::Number { integer } => Schema::new(match connect_type {
                None if *integer => SchemaKind::Int64,
                None => SchemaKind::Float64,
                Some("int8") => SchemaKind::Int8,
                Some("int16") => SchemaKind::Int16,
                Some("int32") => SchemaKind::Int32,
                Some("int64") => SchemaKind::Int64,
                Some("float32") => SchemaKind::Float32,
                Some("float64") => SchemaKind::Float64,
                Some("bytes") => SchemaKind::Bytes,
                Some(other) => return Err(ConnectError::data(format!("Unsupported type {other}"))),
            }),
            Kind::String => Schema::new(if connect_type == Some("bytes") {
                SchemaKind::Bytes
            } else {
                SchemaKind::String
            }),
            Kind::Const(value) => self.enums(std::slice::from_ref(value)),
            Kind::Enum(values) => self.enums(values),
            Kind::Combined {
                criterion,
                subschemas,
            } => {
                if subschemas.len() == 1 && self.config.flatten_singleton_unions {
                    return self.convert(subschemas[0], None, false);
                }
                if *criterion == Criterion::AllOf {
                    return self.all_of(id, subschemas, version, force_optional);
                }
                let name = if self.config.generalized_sum_type_support {
                    let n = self.union_index;
                    self.union_index += 1;
                    format!("connect_union_{n}")
                } else {
                    ONE_OF_NAME.to_string()
                };
                let is_null = |s: &NodeId| matches!(doc.node(*s).kind, Kind::Null);
                if subschemas.len() == 2 && subschemas.iter().any(is_null) {
                    let Some(other) = subschemas.iter().find(|s| !is_null(s)) else {
                        return Err(unsupported("NullSchema"));
                    };
                    return self.convert(*other, version, true);
                }
                let mut fields = Vec::new();
                let mut optional = false;
                for sub in subschemas {
                    if is_null(sub) {
                        optional = true;
                        continue;
                    }
                    let field_name = if self.config.generalized_sum_type_support {
                        format!("connect_union_field_{}", fields.len())
                    } else {
                        format!("{name}.field.{}", fields.len())
                    };
                    let schema = self.convert(*sub, None, true)?;
                    fields.push(Field {
                        name: field_name,
                        schema: schema.into_ref(),
                    });
                }
                let mut schema = Schema::new(SchemaKind::Struct(fields)).with_name(name.clone());
                if self.config.generalized_sum_type_support {
                    schema = schema.with_parameter(UNION_PARAMETER, name);
                }
                schema.optional = optional;
                schema
            }
            Kind::Array { items } => {
                let Some(items) = *items else {
                    return Err(ConnectError::data(
                        "Array schema did not specify the items type",
                    ));
                };
                match (&doc.node(items).kind, connect_type) {
                    (Kind::Object { properties, .. }, Some("map")) => {
                        let find = |name: &str| {
                            properties
                                .iter()
                                .find(|(n, _)| n == name)
                                .map(|(_, id)| *id)
                                .ok_or_else(|| {
                                    ConnectError::data(format!(
                                        "A map schema's entries have no \"{name}\" property"
                                    ))
                                })
                        };
                        let (k, v) = (find("key")?, find("value")?);
                        let key = self.convert(k, None, false)?.into_ref();
                        let value = self.convert(v, None, false)?.into_ref();
                        Schema::new(SchemaKind::Map(key, value))
                    }
                    _ => Schema::new(SchemaKind::Array(
                        self.convert(items, None, false)?.into_ref(),
                    )),
                }
            }
            Kind::Object {
                properties,
                required,
                additional,
            } => {
                if connect_type == Some("map") {
                    let Some(additional) = *additional else {
                        return Err(ConnectError::data(
                            "A map schema (connect.type map) has no additionalProperties schema",
                        ));
                    };
                    let value = self.convert(additional, None, false)?.into_ref();
                    Schema::new(SchemaKind::Map(
                        Schema::new(SchemaKind::String).into_ref(),
                        value,
                    ))
                } else {
                    is_struct = true;
                    self.built.insert(id, Built::InProgress);
                    let mut sorted: BTreeMap<i64, (String, NodeId)> = BTreeMap::new();
                    for (name, sub) in properties {
                        let index = doc
                            .node(*sub)
                            .prop_int("connect.index")
                            .unwrap_or(sorted.len() as i64);
                        sorted.insert(index, (name.clone(), *sub));
                    }
                    let mut fields = Vec::with_capacity(sorted.len());
                    for (name, sub) in sorted.into_values() {
                        let optional =
                            self.config.use_optional_for_nonrequired && !required.contains(&name);
                        let schema = self.convert(sub, None, optional).map_err(|e| e.at(&name))?;
                        fields.push(Field {
                            name,
                            schema: schema.into_ref(),
                        });
                    }
                    Schema::new(SchemaKind::Struct(fields))
                }
            }
            Kind::Reference(target) => return self.reference(*target, version, force_optional),
            Kind::Null => return Err(unsupported("NullSchema")),
            Kind::Unsupported(class) => return Err(unsupported(class)),
        };
        if let (Some(title), None) = (&node.title, &schema.name) {
            schema.name = Some(title.clone());
        }
        match node.prop_int("connect.version") {
            Some(v) => schema.version = Some(v as i32),
            None => {
                if version.is_some() {
                    schema.version = version;
                }
            }
        }
        if let Some(description) = &node.description {
            schema.doc = Some(description.clone());
        }
        if let Some(Json::Object(params)) = node.props.get("connect.parameters") {
            for (k, v) in params {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                set_parameter(&mut schema, k, text);
            }
        }
        if let Some(default) = &node.default {
            if default.is_object() || default.is_array() {
                return Err(ConnectError::data("Invalid default value"));
            }
            let so_far = schema.clone().into_ref();
            schema.default = Some(read_value(&so_far, Input::Node(default))?);
        }
        if force_optional {
            schema.optional = true;
        }
        if is_struct {
            if schema.parameters.is_some() {
                if let Some(final_id) = self.final_ids.get(&id) {
                    set_parameter(&mut schema, ID_PARAMETER, format!("#id{final_id}"));
                }
            }
            self.built.insert(id, Built::Done(schema.clone()));
        }
        Ok(schema)
    }

    /// `toConnectEnums`: a string with the enum parameters.
    fn enums(&self, values: &[Json]) -> Schema {
        let generalized = self.config.generalized_sum_type_support;
        let param = if generalized {
            GENERALIZED_ENUM_PARAMETER
        } else {
            ENUM_PARAMETER
        };
        let mut schema = Schema::new(SchemaKind::String).with_parameter(param, "");
        for (i, value) in values.iter().enumerate() {
            let symbol = match value {
                Json::Null => "<NULL>".to_string(),
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            let text = if generalized {
                i.to_string()
            } else {
                symbol.clone()
            };
            set_parameter(&mut schema, &format!("{param}.{symbol}"), text);
        }
        schema
    }

    /// `allOfToConnectSchema`: merged object properties, else the member that decides the type.
    fn all_of(
        &mut self,
        id: NodeId,
        subschemas: &[NodeId],
        version: Option<i32>,
        force_optional: bool,
    ) -> Result<Schema, ConnectError> {
        let (mut constant, mut enumeration, mut number, mut string, mut combined, mut reference) =
            (None, None, None, None, None, None);
        let mut properties: Vec<(String, NodeId)> = Vec::new();
        let mut required: HashMap<String, bool> = HashMap::new();
        for sub in subschemas {
            match &self.doc.node(*sub).kind {
                Kind::Const(_) => constant = Some(*sub),
                Kind::Enum(_) => enumeration = Some(*sub),
                Kind::Number { .. } => number = Some(*sub),
                Kind::String => string = Some(*sub),
                Kind::Combined { .. } => combined = Some(*sub),
                Kind::Reference(_) => reference = Some(*sub),
                _ => {}
            }
            let mut visited = Vec::new();
            self.collect_properties(*sub, &mut properties, &mut required, &mut visited);
        }
        if !properties.is_empty() {
            self.built.insert(id, Built::InProgress);
            let mut fields = Vec::with_capacity(properties.len());
            for (name, sub) in properties {
                let optional = self.config.use_optional_for_nonrequired
                    && !required.get(&name).copied().unwrap_or(false);
                let schema = self.convert(sub, None, optional).map_err(|e| e.at(&name))?;
                fields.push(Field {
                    name,
                    schema: schema.into_ref(),
                });
            }
            let mut schema = Schema::new(SchemaKind::Struct(fields));
            schema.optional = force_optional;
            self.built.insert(id, Built::Done(schema.clone()));
            return Ok(schema);
        }
        let decided = constant.is_some() || enumeration.is_some();
        let pick = if combined.is_some() {
            combined
        } else if constant.is_some() {
            string.or(number)
        } else if enumeration.is_some() {
            if string.is_some() {
                enumeration
            } else {
                number
            }
        } else {
            string.map(|s| number.unwrap_or(s))
        };
        if let Some(pick) = pick {
            return self.convert(pick, version, force_optional);
        }
        if let (false, Some(r)) = (decided, reference) {
            if let Kind::Reference(target) = self.doc.node(r).kind {
                return self.reference(target, version, force_optional);
            }
        }
        Err(ConnectError::data(
            "Unsupported criterion allOf for this combination of schemas",
        ))
    }

    /// `collectPropertySchemas`: the properties of the objects an `allOf` combines, in order, a
    /// later one replacing an earlier one of the same name in place.
    fn collect_properties(
        &self,
        id: NodeId,
        properties: &mut Vec<(String, NodeId)>,
        required: &mut HashMap<String, bool>,
        visited: &mut Vec<NodeId>,
    ) {
        if visited.contains(&id) {
            return;
        }
        visited.push(id);
        match &self.doc.node(id).kind {
            Kind::Combined {
                criterion: Criterion::AllOf,
                subschemas,
            } => {
                for sub in subschemas {
                    self.collect_properties(*sub, properties, required, visited);
                }
            }
            Kind::Object {
                properties: props,
                required: req,
                ..
            } => {
                for (name, sub) in props {
                    match properties.iter_mut().find(|(n, _)| n == name) {
                        Some(slot) => slot.1 = *sub,
                        None => properties.push((name.clone(), *sub)),
                    }
                    required.insert(name.clone(), req.contains(name));
                }
            }
            Kind::Reference(target) => {
                self.collect_properties(*target, properties, required, visited)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn connect(schema: Json, config: &JsonSchemaDataConfig) -> Result<SchemaRef, ConnectError> {
        let doc = Document::load(&schema, &[], false).expect("loads");
        to_connect_schema(&doc, config, Some(1))
    }

    #[test]
    fn structs_reached_again_by_ref_carry_the_last_id() {
        let schema = connect(
            json!({"type":"object","definitions":{"P":{"type":"object","properties":{"x":{"type":"number"}}}},
                   "properties":{"path":{"type":"array","items":{"$ref":"#/definitions/P"}},
                                 "maybe":{"oneOf":[{"type":"null"},{"$ref":"#/definitions/P"}]},
                                 "origin":{"$ref":"#/definitions/P"}}}),
            &JsonSchemaDataConfig::default(),
        )
        .expect("maps");
        let id = |name: &str| {
            let (_, f) = schema.field(name).expect("field");
            match &f.schema.kind {
                SchemaKind::Array(items) => items.parameter(ID_PARAMETER).map(str::to_string),
                _ => f.schema.parameter(ID_PARAMETER).map(str::to_string),
            }
        };
        assert_eq!(id("path"), None);
        assert_eq!(id("maybe").as_deref(), Some("#id2"));
        assert_eq!(id("origin").as_deref(), Some("#id2"));
        assert!(schema.field("maybe").expect("maybe").1.schema.optional);
        assert_eq!(schema.version, Some(1));
    }

    #[test]
    fn unions_are_one_of_structs_or_generalized() {
        let schema = json!({"oneOf":[{"type":"string"},{"type":"integer"},{"type":"null"}]});
        let plain = connect(schema.clone(), &JsonSchemaDataConfig::default()).expect("maps");
        assert_eq!(plain.name.as_deref(), Some(ONE_OF_NAME));
        assert!(plain.optional);
        assert_eq!(
            plain.fields()[1].name,
            "io.confluent.connect.json.OneOf.field.1"
        );
        let generalized = connect(
            schema,
            &JsonSchemaDataConfig {
                generalized_sum_type_support: true,
                ..JsonSchemaDataConfig::default()
            },
        )
        .expect("maps");
        assert_eq!(generalized.name.as_deref(), Some("connect_union_0"));
        assert_eq!(generalized.fields()[0].name, "connect_union_field_0");
    }

    #[test]
    fn recursion_and_unsupported_schemas_fail() {
        let recursive = connect(
            json!({"type":"object","properties":{"next":{"$ref":"#"}}}),
            &JsonSchemaDataConfig::default(),
        );
        assert!(recursive.unwrap_err().message.contains("Recursive"));
        let no_items = connect(json!({"type":"array"}), &JsonSchemaDataConfig::default());
        assert_eq!(
            no_items.unwrap_err().message,
            "Array schema did not specify the items type"
        );
        let any = connect(json!(true), &JsonSchemaDataConfig::default());
        assert_eq!(
            any.unwrap_err().message,
            "Unsupported schema type org.everit.json.schema.TrueSchema"
        );
    }
}
