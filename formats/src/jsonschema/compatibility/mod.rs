//! Confluent 7.8's JSON Schema compatibility check, `JsonSchema.isBackwardCompatible`: its
//! `SchemaDiff` (`io.confluent.kafka.schemaregistry.json.diff`) over schemas loaded as
//! everit-json-schema loads them, keeping the differences not in `SchemaDiff.COMPATIBLE_CHANGES`.
//! The serializer's `latest.compatibility.strict` and `id.compatibility.strict` checks ask
//! whether the schema it would write with (the latest, or the one `use.schema.id` names) is
//! backward compatible with the Connect-derived schema: the derived schema is the original, the
//! other the update.
//!
//! - [`model`]: schemas in everit's shape, loaded from drafts 4/6/7 as everit loads them and from
//!   2019-09/2020-12 as Confluent translates json-sKema's schemas.
//! - [`diff`]: the walk, the class check, common keywords, strings, numbers, enums, consts, `not`.
//! - [`structure`]: objects, arrays and combinators.
//! - [`difference`]: the difference types and which are compatible.

pub mod diff;
pub mod difference;
mod loader;
pub mod model;
mod modern;
pub mod structure;

use serde_json::Value as Json;

pub use diff::Thrown;
pub use difference::{Difference, DifferenceType};
use model::Schemas;

/// Why a comparison gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompareError {
    /// A schema does not load (a malformed keyword, an unresolvable `$ref`).
    Invalid(String),
    /// Confluent's diff throws on these schemas (the Java exception's text).
    Thrown(String),
}

impl CompareError {
    /// The text Confluent's serializer gives as the cause (`Exception: message`).
    pub fn java_text(&self) -> String {
        match self {
            CompareError::Invalid(detail) => {
                format!("IllegalArgumentException: Invalid JSON Schema: {detail}")
            }
            CompareError::Thrown(text) => text.clone(),
        }
    }
}

/// One schema to compare: its JSON and the documents its `$ref`s name, by reference name.
#[derive(Debug, Clone, Copy)]
pub struct SchemaText<'a> {
    /// The schema.
    pub root: &'a Json,
    /// Its referenced documents (the registry references, loaded recursively).
    pub references: &'a [(String, Json)],
}

/// `SchemaDiff.compare(original, update)`: every difference, compatible or not, in Confluent's
/// order. Cost: loading both
/// schemas, then one walk of both (trial comparisons for combinator members, pairwise).
pub fn differences(
    original: SchemaText<'_>,
    update: SchemaText<'_>,
) -> Result<Vec<Difference>, CompareError> {
    let mut schemas = Schemas::new();
    let mut load = |text: SchemaText<'_>| {
        schemas
            .load(text.root, text.references)
            .map_err(CompareError::Invalid)
    };
    let original = load(original)?;
    let update = load(update)?;
    diff::compare(&schemas, original, update).map_err(|Thrown(text)| CompareError::Thrown(text))
}

/// `update.isBackwardCompatible(original)`: the differences Confluent counts as incompatible
/// (none: data written with `original` reads with `update`). Cost: as [`differences`].
pub fn incompatibilities(
    original: SchemaText<'_>,
    update: SchemaText<'_>,
) -> Result<Vec<Difference>, CompareError> {
    let mut found = differences(original, update)?;
    found.retain(|d| !d.kind.is_compatible());
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(root: &Json) -> SchemaText<'_> {
        SchemaText {
            root,
            references: &[],
        }
    }

    /// The differences between two schemas without references, as Confluent's tests spell them.
    fn diff(original: Json, update: Json) -> Vec<String> {
        differences(text(&original), text(&update))
            .expect("compares")
            .iter()
            .map(Difference::to_string)
            .collect()
    }

    fn compatible(original: Json, update: Json) -> bool {
        incompatibilities(text(&original), text(&update))
            .expect("compares")
            .is_empty()
    }

    #[test]
    fn strings_limits_and_patterns() {
        let s = |extra: Json| {
            let mut schema = json!({"type": "string"});
            schema
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            schema
        };
        assert_eq!(
            diff(
                s(json!({"maxLength": 5})),
                s(json!({"maxLength": 9, "minLength": 1}))
            ),
            [
                "MAX_LENGTH_INCREASED #/maxLength",
                "MIN_LENGTH_ADDED #/minLength"
            ]
        );
        assert!(compatible(
            s(json!({"maxLength": 5, "pattern": "a"})),
            s(json!({}))
        ));
        assert!(!compatible(
            s(json!({"pattern": "a"})),
            s(json!({"pattern": "b"}))
        ));
        assert!(!compatible(
            s(json!({"maxLength": 9})),
            s(json!({"maxLength": 5}))
        ));
    }

    #[test]
    fn numbers_limits_multiples_and_integer() {
        assert_eq!(
            diff(
                json!({"type": "integer", "maximum": 10, "multipleOf": 2}),
                json!({"type": "number", "maximum": 20, "minimum": 0, "multipleOf": 4})
            ),
            [
                "MAXIMUM_INCREASED #/maximum",
                "MINIMUM_ADDED #/minimum",
                "MULTIPLE_OF_EXPANDED #/multipleOf",
                "TYPE_EXTENDED #/"
            ]
        );
        assert!(compatible(
            json!({"type": "integer"}),
            json!({"type": "number"})
        ));
        assert!(!compatible(
            json!({"type": "number"}),
            json!({"type": "integer"})
        ));
        assert!(compatible(
            json!({"type": "number", "multipleOf": 4, "exclusiveMinimum": 1}),
            json!({"type": "number", "multipleOf": 2, "exclusiveMinimum": 0})
        ));
    }

    #[test]
    fn what_confluents_diff_throws_is_an_error() {
        let thrown = |o: Json, u: Json| differences(text(&o), text(&u)).unwrap_err();
        let by_zero = thrown(
            json!({"type": "number", "multipleOf": 0.5}),
            json!({"type": "number", "multipleOf": 0.25}),
        );
        assert_eq!(
            by_zero,
            CompareError::Thrown("ArithmeticException: / by zero".into())
        );
        let npe = thrown(
            json!({"type": "number", "exclusiveMaximum": 5}),
            json!({"type": "number", "exclusiveMaximum": 3}),
        );
        assert!(
            npe.java_text().starts_with("NullPointerException"),
            "{npe:?}"
        );
        let invalid = differences(text(&json!({"$ref": "#/nowhere"})), text(&json!({})));
        assert!(
            matches!(invalid, Err(CompareError::Invalid(_))),
            "{invalid:?}"
        );
    }

    #[test]
    fn enums_and_consts() {
        assert_eq!(
            diff(json!({"enum": [1, 2]}), json!({"enum": [2, 1, 3]})),
            ["ENUM_ARRAY_EXTENDED #/enum"]
        );
        assert!(!compatible(json!({"enum": [1, 2]}), json!({"enum": [1]})));
        assert!(!compatible(json!({"enum": [1]}), json!({"enum": [1.0]})));
        assert_eq!(
            diff(json!({"const": "a"}), json!({"const": "b"})),
            ["ENUM_ARRAY_CHANGED #/const"]
        );
        assert!(compatible(
            json!({"const": {"a": [1]}}),
            json!({"const": {"a": [1]}})
        ));
    }

    #[test]
    fn not_compares_the_negated_schemas_the_other_way_round() {
        let not = |schema: Json| json!({"not": schema});
        assert_eq!(
            diff(
                not(json!({"type": "integer"})),
                not(json!({"type": "number"}))
            ),
            ["NOT_TYPE_EXTENDED #/not"]
        );
        assert!(compatible(
            not(json!({"type": "number"})),
            not(json!({"type": "integer"}))
        ));
    }

    #[test]
    fn classes_and_common_keywords() {
        assert_eq!(
            diff(json!({"type": "string"}), json!({"type": "boolean"})),
            ["TYPE_CHANGED #/"]
        );
        assert!(compatible(json!({"type": "string"}), json!({})));
        assert!(compatible(json!(false), json!({"type": "string"})));
        assert!(!compatible(json!({}), json!({"properties": {}})));
        assert_eq!(
            diff(
                json!({"type": "null", "title": "a", "description": "d", "default": null}),
                json!({"type": "null", "title": "b", "$id": "x"})
            ),
            [
                "ID_CHANGED #/",
                "TITLE_CHANGED #/",
                "DESCRIPTION_CHANGED #/"
            ]
        );
        // JSONObject defaults equal nothing but themselves.
        assert_eq!(
            diff(
                json!({"type": "object", "default": {}}),
                json!({"type": "object", "default": {}})
            ),
            ["DEFAULT_CHANGED #/"]
        );
    }

    #[test]
    fn object_properties_against_content_models() {
        let closed = |props: Json| json!({"type": "object", "properties": props, "additionalProperties": false});
        let open = |props: Json| json!({"type": "object", "properties": props});
        let string = json!({"type": "string"});
        assert_eq!(
            diff(open(json!({"a": string})), open(json!({}))),
            ["PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL #/properties/a"]
        );
        assert!(!compatible(open(json!({})), open(json!({"a": string}))));
        assert!(compatible(open(json!({})), open(json!({"a": {}}))));
        assert!(!compatible(closed(json!({"a": string})), closed(json!({}))));
        assert_eq!(
            diff(closed(json!({})), closed(json!({"a": string}))),
            ["OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/a"]
        );
        let mut required = closed(json!({"a": string}));
        required["required"] = json!(["a"]);
        assert!(!compatible(closed(json!({})), required.clone()));
        assert_eq!(
            diff(closed(json!({"a": string})), required),
            ["REQUIRED_ATTRIBUTE_ADDED #/required/a"]
        );
        let partial = json!({"type": "object", "properties": {}, "patternProperties": {"^x": {"type": "string"}}});
        let with_x = json!({"type": "object", "properties": {"xa": {"type": "string"}}});
        assert_eq!(
            diff(with_x.clone(), partial),
            ["PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/xa"]
        );
        let typed_extra = json!({"type": "object", "additionalProperties": {"type": "integer"}});
        assert!(!compatible(with_x, typed_extra));
    }

    #[test]
    fn object_dependencies_and_counts() {
        let deps = |d: Json| json!({"type": "object", "dependencies": d, "maxProperties": 3});
        assert_eq!(
            diff(
                deps(json!({"a": ["b", "c"]})),
                deps(json!({"a": ["b"], "z": {"type": "object"}}))
            ),
            [
                "DEPENDENCY_ARRAY_NARROWED #/dependencies/a",
                "DEPENDENCY_SCHEMA_ADDED #/dependencies/z"
            ]
        );
        assert!(!compatible(
            deps(json!({"a": ["b"]})),
            deps(json!({"a": ["b", "c"]}))
        ));
        assert_eq!(
            diff(
                deps(json!({})),
                json!({"type": "object", "maxProperties": 2, "additionalProperties": false})
            ),
            [
                "ADDITIONAL_PROPERTIES_REMOVED #/additionalProperties",
                "MAX_PROPERTIES_DECREASED #/maxProperties"
            ]
        );
    }

    #[test]
    fn arrays_items_tuples_and_counts() {
        let items = |schema: Json| json!({"type": "array", "items": schema});
        assert!(compatible(
            items(json!({"type": "integer"})),
            items(json!({"type": "number"}))
        ));
        assert_eq!(
            diff(
                items(json!({"type": "number"})),
                items(json!({"type": "integer"}))
            ),
            ["TYPE_NARROWED #/items"]
        );
        let tuple = |members: Json, extra: Json| json!({"type": "array", "items": members, "additionalItems": extra, "uniqueItems": true});
        assert_eq!(
            diff(
                tuple(json!([{"type": "string"}]), json!(false)),
                tuple(
                    json!([{"type": "string"}, {"type": "integer"}]),
                    json!(false)
                )
            ),
            ["ITEM_ADDED_TO_CLOSED_CONTENT_MODEL #/items/1"]
        );
        assert!(!compatible(
            tuple(
                json!([{"type": "string"}, {"type": "integer"}]),
                json!(false)
            ),
            tuple(json!([{"type": "string"}]), json!(false))
        ));
        assert_eq!(
            diff(
                json!({"type": "array", "maxItems": 2}),
                json!({"type": "array", "minItems": 1, "uniqueItems": true})
            ),
            [
                "MAX_ITEMS_REMOVED #/maxItems",
                "MIN_ITEMS_ADDED #/minItems",
                "UNIQUE_ITEMS_ADDED #/uniqueItems"
            ]
        );
    }

    #[test]
    fn combinators_match_compatible_members() {
        let one_of = |members: Json| json!({"oneOf": members});
        let (nil, string, int) = (
            json!({"type": "null"}),
            json!({"type": "string"}),
            json!({"type": "integer"}),
        );
        assert_eq!(
            diff(
                one_of(json!([nil, string])),
                one_of(json!([nil, string, int]))
            ),
            ["SUM_TYPE_EXTENDED #/"]
        );
        assert_eq!(
            diff(one_of(json!([nil, string])), one_of(json!([nil, int]))),
            ["COMBINED_TYPE_SUBSCHEMAS_CHANGED #/"]
        );
        assert!(!compatible(
            one_of(json!([nil, string])),
            one_of(json!([string]))
        ));
        assert_eq!(
            diff(string.clone(), one_of(json!([nil, string]))),
            ["SUM_TYPE_EXTENDED #/"]
        );
        assert_eq!(
            diff(
                json!({"type": ["string", "null"], "maxLength": 3}),
                json!({"anyOf": [{"type": "null"}, {"type": "string"}]})
            ),
            ["MAX_LENGTH_REMOVED #/anyOf/0/maxLength"]
        );
        assert_eq!(
            diff(
                json!({"allOf": [string, {"maxLength": 2}]}),
                json!({"oneOf": [string, int]})
            ),
            ["COMBINED_TYPE_CHANGED #/"]
        );
    }

    #[test]
    fn references_resolve_and_recursion_ends() {
        let tree = |leaf: &str| {
            json!({"definitions": {"node": {"type": "object", "properties": {
                "value": {"type": leaf}, "next": {"$ref": "#/definitions/node"}}}},
                "$ref": "#/definitions/node"})
        };
        assert!(diff(tree("integer"), tree("integer")).is_empty());
        assert_eq!(
            diff(tree("integer"), tree("number")),
            ["TYPE_EXTENDED #/properties/value"]
        );
        let text = SchemaText {
            root: &json!({"$ref": "money.json"}),
            references: &[],
        };
        let money = [("money.json".to_string(), json!({"type": "number"}))];
        let with_ref = SchemaText {
            root: text.root,
            references: &money,
        };
        let original = SchemaText {
            root: &json!({"type": "integer"}),
            references: &[],
        };
        assert!(incompatibilities(original, with_ref)
            .expect("compares")
            .is_empty());
        assert!(differences(original, text).is_err());
    }

    #[test]
    fn modern_dialects_read_prefix_items_and_draft_7_does_not() {
        let tuple = |dialect: &str, items: Json| {
            json!({"$schema": dialect, "type": "array",
                "prefixItems": [{"type": "string"}], "items": items})
        };
        let modern = "https://json-schema.org/draft/2020-12/schema";
        let draft7 = "http://json-schema.org/draft-07/schema#";
        let (integer, number) = (json!({"type": "integer"}), json!({"type": "number"}));
        assert_eq!(
            diff(
                tuple(modern, integer.clone()),
                tuple(modern, number.clone())
            ),
            ["TYPE_EXTENDED #/additionalItems"]
        );
        assert_eq!(
            diff(tuple(draft7, integer), tuple(draft7, number.clone())),
            ["TYPE_EXTENDED #/items"]
        );
        assert_eq!(
            diff(tuple(modern, json!(false)), tuple(modern, number)),
            ["ADDITIONAL_ITEMS_ADDED #/additionalItems"]
        );
    }

    #[test]
    fn modern_keywords_merge_into_a_type_list_but_not_into_an_any_of() {
        let modern = |mut schema: Json| {
            schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
            schema
        };
        let root_kind = |schema: Json| {
            let mut schemas = Schemas::new();
            let root = schemas.load(&schema, &[]).expect("loads");
            let kind = schemas.node(root).kind.clone();
            let members: Vec<model::Kind> = match &kind {
                model::Kind::Combined { subschemas, .. } => subschemas
                    .iter()
                    .map(|&m| schemas.node(m).kind.clone())
                    .collect(),
                _ => Vec::new(),
            };
            (kind, members)
        };
        let (kind, members) =
            root_kind(modern(json!({"maxLength": 3, "type": ["string", "null"]})));
        assert!(matches!(
            kind,
            model::Kind::Combined {
                criterion: model::Criterion::AnyOf,
                ..
            }
        ));
        assert!(matches!(&members[0], model::Kind::String(rules) if rules.max_length == Some(3)));
        let (kind, members) = root_kind(modern(
            json!({"anyOf": [{"type": "string"}], "maxLength": 3}),
        ));
        assert!(matches!(
            kind,
            model::Kind::Combined {
                criterion: model::Criterion::AllOf,
                ..
            }
        ));
        assert!(matches!(&members[1], model::Kind::String(rules) if rules.max_length == Some(3)));
        assert_eq!(
            diff(
                modern(json!({"type": ["string", "null"], "maxLength": 3})),
                modern(json!({"type": ["string", "null"]}))
            ),
            ["MAX_LENGTH_REMOVED #/anyOf/0/maxLength"]
        );
    }
}
