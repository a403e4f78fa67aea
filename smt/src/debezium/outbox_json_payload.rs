//! The outbox routers' `table.expand.json.payload`: a JSON text payload becomes a Connect struct
//! with a schema inferred from the text (Debezium's `JsonSchemaData` over a Jackson tree).
//!
//! Jackson's reading is kept: only text starting with `{` or `[` is parsed, trailing content
//! after the first value is ignored, integers are INT32 when they fit, INT64 when they fit,
//! FLOAT64 otherwise, and a duplicate key keeps its first position with its last value. Objects
//! become optional structs named by their path (`payload`, `payload.address`), arrays take
//! their first non-null element's schema (object elements: the elements' struct schemas merged),
//! JSON nulls and empty arrays are left out (or, with `table.json.payload.null.behavior=
//! optional_bytes`, nulls are optional BYTES fields).
//!
//! Known difference: Debezium merges the element schemas of an array of objects in `HashSet`
//! order; weir merges them in order of first appearance, so an array whose objects have
//! different key sets may list the merged struct's fields in another order.

use serde_json::Value as Json;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};

use super::schema_name_adjuster::SchemaNameAdjuster;

/// What expanding one payload gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Expansion {
    /// Not JSON, or the schema could not be inferred: the payload stays as it is.
    Unchanged,
    /// The new payload schema (absent for an empty array) and value. When the value could not
    /// be built, Debezium has already replaced the schema but keeps the original text: the
    /// value is then the text, which does not fit the schema.
    Replaced(Option<SchemaRef>, Value),
}

/// The configured expander.
#[derive(Debug, Clone, Copy)]
pub struct JsonPayloadExpander {
    /// `optional_bytes`: JSON nulls become optional BYTES fields (default `ignore`: left out).
    pub nulls_as_bytes: bool,
    /// `field.name.adjustment.mode` for the inferred field names.
    pub field_names: SchemaNameAdjuster,
}

impl JsonPayloadExpander {
    /// Expands `text`, the payload column `key`'s value. Cost: one parse and two walks of the tree.
    pub fn expand(&self, key: &str, text: &str) -> Expansion {
        if !(text.starts_with('{') || text.starts_with('[')) {
            return Expansion::Unchanged;
        }
        let Some(Ok(node)) = serde_json::Deserializer::from_str(text)
            .into_iter::<Json>()
            .next()
        else {
            return Expansion::Unchanged;
        };
        let schema = match self.schema(Some(key), &node) {
            Ok(schema) => schema,
            Err(_) => return Expansion::Unchanged,
        };
        let original = Value::String(text.to_string());
        let value = match &schema {
            Some(s) if matches!(s.kind, SchemaKind::Struct(_)) => {
                self.struct_value(&node, s).unwrap_or(original)
            }
            _ => original,
        };
        Expansion::Replaced(schema, value)
    }

    /// `toConnectSchema(key, node)`; `Ok(None)` where Debezium returns null.
    fn schema(&self, key: Option<&str>, node: &Json) -> Result<Option<SchemaRef>, ConnectError> {
        let optional = |kind| Ok(Some(Schema::new(kind).optional().into_ref()));
        match node {
            Json::String(_) => optional(SchemaKind::String),
            Json::Bool(_) => optional(SchemaKind::Boolean),
            Json::Number(n) => optional(number_kind(n)),
            Json::Null if self.nulls_as_bytes => optional(SchemaKind::Bytes),
            Json::Null => Ok(None),
            Json::Array(items) if items.is_empty() => Ok(None),
            Json::Array(items) => {
                let element = self.element_schema(key, items)?;
                Ok(Some(
                    Schema::new(SchemaKind::Array(element))
                        .optional()
                        .into_ref(),
                ))
            }
            Json::Object(entries) => {
                let mut fields: Vec<weir_formats::schema::Field> = Vec::new();
                for (name, child) in entries {
                    let field_name = self.field_names.adjust(name).into_owned();
                    let child_key = match key {
                        Some(k) if !k.trim().is_empty() => format!("{k}.{field_name}"),
                        _ => field_name.clone(),
                    };
                    let child_schema = self.schema(Some(&child_key), child)?;
                    if let Some(schema) = child_schema {
                        if !fields.iter().any(|f| f.name == field_name) {
                            fields.push(weir_formats::schema::Field {
                                name: field_name,
                                schema,
                            });
                        }
                    }
                }
                let mut schema = Schema::new(SchemaKind::Struct(fields)).optional();
                schema.name = key.map(str::to_string);
                Ok(Some(schema.into_ref()))
            }
        }
    }

    /// `toConnectSchemaWithCycles`: the element schema of a non-empty array.
    fn element_schema(&self, key: Option<&str>, items: &[Json]) -> Result<SchemaRef, ConnectError> {
        let sample = first_element(items)?;
        if sample.is_object() {
            let mut merged: Option<Schema> = None;
            let mut seen: Vec<SchemaRef> = Vec::new();
            for item in items.iter().filter(|i| i.is_object()) {
                let Some(schema) = self.schema(key, item)? else {
                    continue;
                };
                if seen.contains(&schema) {
                    continue;
                }
                merged = Some(match merged {
                    None => (*schema).clone(),
                    Some(left) => merge(&left, &schema),
                });
                seen.push(schema);
            }
            return merged
                .map(Schema::into_ref)
                .ok_or_else(|| ConnectError::data("Array has no member schema."));
        }
        self.schema(None, sample)?
            .ok_or_else(|| ConnectError::data("Array has unrecognized member schema."))
    }

    /// `jsonNodeToStructInternal`: a struct of `schema` from an object node; a DataException
    /// where a value does not fit its field (Struct.put's validation).
    fn struct_value(&self, node: &Json, schema: &SchemaRef) -> Result<Value, ConnectError> {
        let Json::Object(entries) = node else {
            return Err(ConnectError::data("Not a struct schema"));
        };
        let values = schema
            .fields()
            .iter()
            .map(|field| match entries.get(&field.name) {
                Some(child) => self.field_value(child, &field.schema),
                None => Ok(Value::Null),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::Struct(Struct {
            schema: schema.clone(),
            values,
        }))
    }

    /// `getStructFieldValue`, with the type check `Struct.put` makes.
    fn field_value(&self, node: &Json, schema: &SchemaRef) -> Result<Value, ConnectError> {
        let mismatch = || {
            ConnectError::data(format!(
                "Invalid Java object for schema with type {}",
                schema.type_name()
            ))
        };
        let value = match node {
            Json::String(s) => Value::String(s.clone()),
            Json::Bool(b) => Value::Boolean(*b),
            Json::Number(n) => match number_kind(n) {
                SchemaKind::Int32 => Value::Int32(n.as_i64().unwrap_or_default() as i32),
                SchemaKind::Int64 => Value::Int64(n.as_i64().unwrap_or_default()),
                _ if is_integer_text(n) => return Err(mismatch()),
                _ => Value::Float64(n.as_f64().ok_or_else(mismatch)?),
            },
            Json::Array(items) => {
                let SchemaKind::Array(element) = &schema.kind else {
                    return Err(mismatch());
                };
                Value::Array(
                    items
                        .iter()
                        .map(|i| self.field_value(i, element))
                        .collect::<Result<_, _>>()?,
                )
            }
            Json::Object(_) => return self.struct_value(node, schema),
            Json::Null => Value::Null,
        };
        let fits = matches!(
            (&value, &schema.kind),
            (Value::Null, _)
                | (Value::String(_), SchemaKind::String)
                | (Value::Boolean(_), SchemaKind::Boolean)
                | (Value::Int32(_), SchemaKind::Int32)
                | (Value::Int64(_), SchemaKind::Int64)
                | (Value::Float64(_), SchemaKind::Float64)
                | (Value::Array(_), SchemaKind::Array(_))
        );
        if fits {
            Ok(value)
        } else {
            Err(mismatch())
        }
    }
}

/// Whether a number's text is an integer (Jackson's int/long/BigInteger nodes).
fn is_integer_text(n: &serde_json::Number) -> bool {
    !n.to_string().contains(['.', 'e', 'E'])
}

/// Jackson's node type for a number: INT32 / INT64 when an integer fits, FLOAT64 otherwise
/// (doubles, and integers beyond 64 bits, whose value then fits no field).
fn number_kind(n: &serde_json::Number) -> SchemaKind {
    if !is_integer_text(n) {
        return SchemaKind::Float64;
    }
    match n.as_i64() {
        Some(v) if i32::try_from(v).is_ok() => SchemaKind::Int32,
        Some(_) => SchemaKind::Int64,
        None => SchemaKind::Float64,
    }
}

/// `getFirstArrayElement`: the first non-null element (JSON null when all are null); every
/// non-null element must have its node type, and numbers one number kind.
fn first_element(items: &[Json]) -> Result<&Json, ConnectError> {
    let mut first: Option<&Json> = None;
    for item in items.iter().filter(|i| !i.is_null()) {
        let reference = *first.get_or_insert(item);
        let same_type = std::mem::discriminant(reference) == std::mem::discriminant(item);
        let same_number = match (reference, item) {
            (Json::Number(a), Json::Number(b)) => number_kind(a) == number_kind(b),
            _ => true,
        };
        if !same_type || !same_number {
            return Err(ConnectError::data("Field is not a homogenous array"));
        }
    }
    Ok(first.unwrap_or(&Json::Null))
}

/// `mergeSchema(left, right)`: left's fields, then right's new ones; a field BYTES on the left
/// (a null there) takes right's schema. The result keeps left's name, version, doc and
/// parameters but, as `SchemaUtil.copySchemaBasics`, not its optionality.
fn merge(left: &Schema, right: &Schema) -> Schema {
    let mut fields: Vec<weir_formats::schema::Field> = left.fields().to_vec();
    for field in right.fields() {
        match fields.iter_mut().find(|f| f.name == field.name) {
            None => fields.push(field.clone()),
            Some(old) => {
                if old.schema != field.schema
                    && old.schema.kind == SchemaKind::Bytes
                    && field.schema.kind != SchemaKind::Bytes
                {
                    *old = field.clone();
                }
            }
        }
    }
    let mut merged =
        crate::kernel::schema_copy::copy_schema_basics(left, SchemaKind::Struct(fields));
    merged.optional = false;
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debezium::schema_name_adjuster::NameKind;

    fn expander(nulls_as_bytes: bool) -> JsonPayloadExpander {
        JsonPayloadExpander {
            nulls_as_bytes,
            field_names: SchemaNameAdjuster::parse("f", None, NameKind::Field).unwrap(),
        }
    }

    fn expanded(text: &str, nulls_as_bytes: bool) -> (Option<SchemaRef>, Value) {
        match expander(nulls_as_bytes).expand("payload", text) {
            Expansion::Replaced(s, v) => (s, v),
            Expansion::Unchanged => panic!("unchanged"),
        }
    }

    #[test]
    fn objects_become_named_optional_structs() {
        let (schema, value) = expanded(
            r#"{"id":1,"big":5000000000,"x":1.5,"a":{"b":"c"},"n":null}"#,
            false,
        );
        let schema = schema.unwrap();
        assert_eq!(schema.name.as_deref(), Some("payload"));
        assert!(schema.optional);
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["id", "big", "x", "a"]);
        assert_eq!(schema.fields()[3].schema.name.as_deref(), Some("payload.a"));
        let Value::Struct(s) = value else { panic!() };
        assert_eq!(s.values[0], Value::Int32(1));
        assert_eq!(s.values[1], Value::Int64(5_000_000_000));
        assert_eq!(s.values[2], Value::Float64(1.5));
    }

    #[test]
    fn nulls_as_optional_bytes() {
        let (schema, _) = expanded(r#"{"n":null}"#, true);
        assert_eq!(schema.unwrap().fields()[0].schema.kind, SchemaKind::Bytes);
    }

    #[test]
    fn non_json_and_mixed_arrays_stay_unchanged() {
        let e = expander(false);
        assert_eq!(e.expand("payload", " {}"), Expansion::Unchanged);
        assert_eq!(e.expand("payload", "{oops"), Expansion::Unchanged);
        assert_eq!(
            e.expand("payload", r#"{"a":[1,"x"]}"#),
            Expansion::Unchanged
        );
        assert_eq!(e.expand("payload", r#"{"a":[null]}"#), Expansion::Unchanged);
    }

    #[test]
    fn arrays_of_objects_merge_their_schemas() {
        let (schema, value) = expanded(r#"{"l":[{"a":1},{"b":"x"}]}"#, false);
        let schema = schema.unwrap();
        let SchemaKind::Array(element) = &schema.fields()[0].schema.kind else {
            panic!()
        };
        assert_eq!(element.fields().len(), 2);
        assert!(!element.optional);
        let Value::Struct(s) = value else { panic!() };
        let Value::Array(items) = &s.values[0] else {
            panic!()
        };
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn a_value_that_does_not_fit_keeps_the_text() {
        let (schema, value) = expanded(r#"{"l":[{"a":1},{"a":"x"}]}"#, false);
        assert!(schema.is_some());
        assert!(matches!(value, Value::String(_)));
        let (schema, value) = expanded("[]", false);
        assert!(schema.is_none());
        assert_eq!(value, Value::String("[]".into()));
    }
}
