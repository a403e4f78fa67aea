//! A JSON Schema loaded into the shape Confluent's `SchemaDiff` walks: everit-json-schema 1.14's
//! `Schema` objects, with every keyword the diff reads (string, number, object and array rules,
//! enums, consts, combinators, `not`, references), in one arena. The loading is in
//! [`super::loader`] (drafts 4/6/7) and [`super::modern`] (2019-09/2020-12).
//!
//! Drafts 4, 6 and 7 load as everit's `SchemaLoader` does: `$ref` makes a reference (its own
//! `title`/`description`/`default` kept, other siblings ignored); otherwise `enum`, the
//! combinators (in the `HashSet` order of their names), `not`, `const`, `type` (a list of types is
//! an `anyOf` of one schema per type, each reading every keyword of its type) and, for keywords no
//! `type` took, the kinds they imply (array, object, number, string, `if`); several make a
//! synthetic `allOf`, none the empty schema. Roots declaring 2019-09 or 2020-12 load as Confluent
//! translates json-sKema's keyword schemas into everit's: one part per keyword in document order,
//! parts of one kind (object, array, number, string) merged, `prefixItems`/`items`,
//! `dependentRequired`/`dependentSchemas`, and no `$id`.
//!
//! `$ref` resolves JSON pointers (`#/definitions/…`, `#/$defs/…`, `#`), `$id`/`$anchor` names
//! (`#name`) and referenced documents by reference name or `$id` (`address.json`,
//! `address.json#/…`). A target loads once and every reference shares it, so recursive schemas
//! load.

use serde_json::{Number, Value as Json};

use super::loader::Loader;

/// The index of a node in a [`Schemas`] arena.
pub type NodeId = usize;

/// A combinator's criterion (`ValidationCriterion`): the one the validating document uses.
pub use crate::jsonschema::document::Criterion;

/// `StringSchema`'s rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StringRules {
    /// `minLength`.
    pub min_length: Option<i64>,
    /// `maxLength`.
    pub max_length: Option<i64>,
    /// `pattern`, as written.
    pub pattern: Option<String>,
}

/// `NumberSchema`'s rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NumberRules {
    /// `minimum`.
    pub minimum: Option<Number>,
    /// `maximum`.
    pub maximum: Option<Number>,
    /// `exclusiveMinimum` as a limit (drafts 6 and later).
    pub exclusive_minimum: Option<Number>,
    /// `exclusiveMaximum` as a limit (drafts 6 and later).
    pub exclusive_maximum: Option<Number>,
    /// `multipleOf`.
    pub multiple_of: Option<Number>,
    /// `requiresInteger()`: `type: integer`.
    pub integer: bool,
}

/// `ObjectSchema`'s rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectRules {
    /// `properties`, in the iteration order of a Java `HashMap` of their names.
    pub properties: Vec<(String, NodeId)>,
    /// `required`.
    pub required: Vec<String>,
    /// `minProperties`.
    pub min_properties: Option<i64>,
    /// `maxProperties`.
    pub max_properties: Option<i64>,
    /// `permitsAdditionalProperties()`: false only for `additionalProperties: false`.
    pub permits_additional: bool,
    /// `getSchemaOfAdditionalProperties()`.
    pub additional: Option<NodeId>,
    /// `patternProperties`, in document order.
    pub pattern_properties: Vec<(String, NodeId)>,
    /// Property dependencies (`dependencies` arrays, `dependentRequired`), in document order.
    pub property_dependencies: Vec<(String, Vec<String>)>,
    /// Schema dependencies (`dependencies` schemas, `dependentSchemas`), in document order.
    pub schema_dependencies: Vec<(String, NodeId)>,
}

impl Default for ObjectRules {
    fn default() -> Self {
        ObjectRules {
            properties: Vec::new(),
            required: Vec::new(),
            min_properties: None,
            max_properties: None,
            permits_additional: true,
            additional: None,
            pattern_properties: Vec::new(),
            property_dependencies: Vec::new(),
            schema_dependencies: Vec::new(),
        }
    }
}

/// `ArraySchema`'s rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayRules {
    /// `getAllItemSchema()`: `items` as one schema.
    pub all_items: Option<NodeId>,
    /// `getItemSchemas()`: `items` as a list (a tuple; `prefixItems` in 2020-12).
    pub item_schemas: Vec<NodeId>,
    /// `permitsAdditionalItems()`: false only for `additionalItems: false`.
    pub permits_additional: bool,
    /// `getSchemaOfAdditionalItems()`.
    pub additional: Option<NodeId>,
    /// `minItems`.
    pub min_items: Option<i64>,
    /// `maxItems`.
    pub max_items: Option<i64>,
    /// `needsUniqueItems()`.
    pub unique_items: bool,
}

impl Default for ArrayRules {
    fn default() -> Self {
        ArrayRules {
            all_items: None,
            item_schemas: Vec::new(),
            permits_additional: true,
            additional: None,
            min_items: None,
            max_items: None,
            unique_items: false,
        }
    }
}

/// What a node is: everit's schema class and what the diff reads of it.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `EmptySchema` (`{}`).
    Empty,
    /// `TrueSchema` (`true`).
    True,
    /// `FalseSchema` (`false`).
    False,
    /// `NullSchema`.
    Null,
    /// `BooleanSchema`.
    Boolean,
    /// `StringSchema`.
    String(StringRules),
    /// `NumberSchema`.
    Number(NumberRules),
    /// `ConstSchema` with its permitted value.
    Const(Json),
    /// `EnumSchema` with its possible values.
    Enum(Vec<Json>),
    /// `CombinedSchema`.
    Combined {
        /// allOf, anyOf or oneOf.
        criterion: Criterion,
        /// The member schemas, in order.
        subschemas: Vec<NodeId>,
    },
    /// `NotSchema` with the schema that must not match.
    Not(NodeId),
    /// `ObjectSchema`.
    Object(ObjectRules),
    /// `ArraySchema`.
    Array(ArrayRules),
    /// `ReferenceSchema` to the node it resolves to.
    Reference(NodeId),
    /// `ConditionalSchema` (`if`/`then`/`else`), which the diff compares by class only.
    Conditional,
}

/// One loaded schema: its kind and the common keywords the diff compares.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What it is.
    pub kind: Kind,
    /// `$id` (`id` in draft 4).
    pub id: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `default` as written (`Some(Json::Null)` for `"default": null`).
    pub default: Option<Json>,
    /// The JSON the node was loaded from (none for the parts of a synthetic `allOf`): equal
    /// members of a combinator are one member (Confluent collapses them through `JsonSchema`
    /// equality).
    pub source: Option<Json>,
}

impl Node {
    pub(super) fn of(kind: Kind, source: Option<Json>) -> Node {
        Node {
            kind,
            id: None,
            title: None,
            description: None,
            default: None,
            source,
        }
    }
}

/// An arena of loaded schemas: every schema object of the documents loaded into it.
#[derive(Debug, Clone, Default)]
pub struct Schemas {
    pub(super) nodes: Vec<Node>,
}

impl Schemas {
    /// An empty arena.
    pub fn new() -> Schemas {
        Schemas::default()
    }

    /// The node `id`. Cost: an index.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// Loads `root` (with `external`, the referenced documents by the name a `$ref` uses) into
    /// the arena and returns its node. The dialect is the root's `$schema` (the registry's
    /// `JsonSchema` never ignores modern dialects: the converter's `ignore.modern.dialects` is
    /// JsonSchemaData's alone). A malformed keyword or an unresolvable `$ref` is an error naming
    /// it. Cost: one walk of the documents' reachable schemas.
    pub fn load(&mut self, root: &Json, external: &[(String, Json)]) -> Result<NodeId, String> {
        Loader::new(self, root, external).load(0, root)
    }

    pub(super) fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }
}
