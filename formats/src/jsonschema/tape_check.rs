//! Payload validation on the batch tape, for the keywords whose answer the tape tells exactly:
//! `type`, `properties`, `required`, `additionalProperties`, `items` (one schema for all items),
//! `allOf`/`anyOf`/`oneOf`, `enum`, `const`, `minLength`/`maxLength`, `minItems`/`maxItems` and
//! `minimum`/`maximum` (integer bounds), beside annotations (`title`, `description`, `default`,
//! `connect.*`, …). It is what lets `json.fail.invalid.schema=true` decode and encode without a
//! value tree per record: the `jsonschema` crate ([`super::validate`]) validates serde_json trees
//! only.
//!
//! A check answers [`Verdict::Valid`] only where the `jsonschema` crate would accept the same
//! payload, and [`Verdict::Invalid`] only where it would refuse it; anything else (a keyword
//! outside that list, `$ref`, a fractional number against `integer`, a property that may be
//! repeated) is [`Verdict::Unsure`], and the caller validates the row with the crate, which stays
//! the single source of answers and messages. The crate is the oracle of the tests.
//!
//! Cost: compiled once per schema; a check is one walk of the payload's tape nodes the schema
//! looks at, one hash lookup per object key read out of the schema's order, no allocation for
//! objects of up to 64 required properties.

use std::collections::{HashMap, HashSet};

use serde_json::Value as Json;

use super::is_union;
use crate::json::reference::DecimalFormat;
use crate::json::tape::{BatchTape, JNode};
use crate::schema::{Field, LogicalType, Schema, SchemaKind, DECIMAL_LOGICAL_NAME};

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The `jsonschema` crate accepts the payload.
    Valid,
    /// The `jsonschema` crate refuses the payload.
    Invalid,
    /// The tape cannot tell: validate the row with the crate.
    Unsure,
}

impl Verdict {
    /// Both hold (a schema's keywords all apply): an `Invalid` wins over an `Unsure`.
    fn and(self, other: Verdict) -> Verdict {
        match (self, other) {
            (Verdict::Invalid, _) | (_, Verdict::Invalid) => Verdict::Invalid,
            (Verdict::Unsure, _) | (_, Verdict::Unsure) => Verdict::Unsure,
            _ => Verdict::Valid,
        }
    }

    fn holds(valid: bool) -> Verdict {
        if valid {
            Verdict::Valid
        } else {
            Verdict::Invalid
        }
    }
}

/// JSON types as a bit set (`type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Types(u8);

impl Types {
    const NULL: u8 = 1;
    const BOOLEAN: u8 = 2;
    const OBJECT: u8 = 4;
    const ARRAY: u8 = 8;
    const NUMBER: u8 = 16;
    const INTEGER: u8 = 32;
    const STRING: u8 = 64;
    const ANY: Types = Types(u8::MAX);

    fn named(name: &str) -> Option<u8> {
        Some(match name {
            "null" => Types::NULL,
            "boolean" => Types::BOOLEAN,
            "object" => Types::OBJECT,
            "array" => Types::ARRAY,
            "number" => Types::NUMBER,
            "integer" => Types::INTEGER,
            "string" => Types::STRING,
            _ => return None,
        })
    }

    /// Whether `node` has one of the types. A fraction-or-exponent number against `integer`
    /// alone is unsure (`1.0` is an integer from draft 6 on; the tape holds it as `f64`).
    fn admit(self, node: JNode) -> Verdict {
        let bit = match node {
            JNode::Null => Types::NULL,
            JNode::Bool(_) => Types::BOOLEAN,
            JNode::Object { .. } => Types::OBJECT,
            JNode::Array { .. } => Types::ARRAY,
            JNode::Str { .. } => Types::STRING,
            JNode::I64(_) | JNode::U64(_) => Types::NUMBER | Types::INTEGER,
            JNode::F64(_) if self.0 & Types::NUMBER != 0 => return Verdict::Valid,
            JNode::F64(_) if self.0 & Types::INTEGER != 0 => return Verdict::Unsure,
            JNode::F64(_) => Types::NUMBER,
        };
        Verdict::holds(self.0 & bit != 0)
    }
}

/// One declared or required property name of an object schema.
#[derive(Debug)]
struct Property {
    /// Its schema under `properties`; `None`: only named by `required` (then it is an
    /// additional property).
    schema: Option<usize>,
    /// Its position among the required names.
    required: Option<usize>,
}

/// `additionalProperties`.
#[derive(Debug)]
enum Additional {
    Any,
    Never,
    Schema(usize),
}

/// The object keywords of one schema.
#[derive(Debug)]
struct ObjectRules {
    /// Every declared or required name, in the schema's order.
    names: Vec<Box<[u8]>>,
    properties: Vec<Property>,
    /// `names` by name.
    by_name: HashMap<Box<[u8]>, usize>,
    required: usize,
    additional: Additional,
}

/// One compiled schema object.
#[derive(Debug)]
enum Rule {
    /// `true`, `{}` or annotations only.
    Always,
    /// `false`.
    Never,
    /// A keyword the tape cannot answer.
    Opaque,
    /// `type` alone.
    Type(Types),
    /// `oneOf`/`anyOf` of `{"type":"null"}` and a schema that refuses null, in either order
    /// (how JsonSchemaData writes an optional field): null, or that schema.
    OrNull(usize),
    Checks(Box<Checks>),
}

/// The supported keywords of one schema object.
#[derive(Debug)]
struct Checks {
    types: Types,
    object: Option<ObjectRules>,
    items: Option<usize>,
    all_of: Vec<usize>,
    any_of: Vec<usize>,
    one_of: Vec<usize>,
    /// `enum` (or `const`, as one value).
    one_of_values: Option<Vec<Json>>,
    length: (Option<u64>, Option<u64>),
    item_count: (Option<u64>, Option<u64>),
    range: (Option<i64>, Option<i64>),
}

/// Keywords that do not take part in validation.
fn is_annotation(key: &str) -> bool {
    matches!(
        key,
        "title"
            | "description"
            | "default"
            | "examples"
            | "$comment"
            | "$schema"
            | "$id"
            | "id"
            | "definitions"
            | "$defs"
            | "deprecated"
            | "readOnly"
            | "writeOnly"
    ) || key.starts_with("connect.")
}

/// A JSON Schema compiled for [`TapeCheck::check`].
#[derive(Debug)]
pub struct TapeCheck {
    rules: Vec<Rule>,
    /// Draft 4, which has no `const`.
    draft4: bool,
}

impl TapeCheck {
    /// Compiles `schema` (which the `jsonschema` crate compiled already). Cost: one walk of it.
    pub fn compile(schema: &Json) -> TapeCheck {
        let draft4 = schema
            .get("$schema")
            .and_then(Json::as_str)
            .is_some_and(|uri| uri.contains("draft-04"));
        let mut compiled = TapeCheck {
            rules: Vec::new(),
            draft4,
        };
        compiled.add(schema);
        compiled
    }

    /// Whether any payload can be checked at all (the root is not opaque).
    pub fn checks_anything(&self) -> bool {
        !matches!(self.rules[0], Rule::Opaque)
    }

    /// The verdict on the payload whose root is node `at` of `tape`.
    pub fn check(&self, tape: &BatchTape, at: usize) -> Verdict {
        self.check_rule(0, tape, at)
    }

    /// Compiles one schema object into the next rule and returns its index.
    fn add(&mut self, schema: &Json) -> usize {
        let index = self.rules.len();
        self.rules.push(Rule::Opaque);
        let rule = match schema {
            Json::Bool(true) => Rule::Always,
            Json::Bool(false) => Rule::Never,
            Json::Object(map) => match self.checks(map) {
                Some(checks) => self.simplified(checks),
                None => Rule::Opaque,
            },
            _ => Rule::Opaque,
        };
        self.rules[index] = rule;
        index
    }

    fn checks(&mut self, map: &serde_json::Map<String, Json>) -> Option<Checks> {
        let mut checks = Checks {
            types: Types::ANY,
            object: None,
            items: None,
            all_of: Vec::new(),
            any_of: Vec::new(),
            one_of: Vec::new(),
            one_of_values: None,
            length: (None, None),
            item_count: (None, None),
            range: (None, None),
        };
        for (key, value) in map {
            match key.as_str() {
                "type" => checks.types = types(value)?,
                "properties" | "required" | "additionalProperties" => {}
                "items" if value.is_object() || value.is_boolean() => {
                    checks.items = Some(self.add(value))
                }
                "allOf" => checks.all_of = self.add_all(value)?,
                "anyOf" => checks.any_of = self.add_all(value)?,
                "oneOf" => checks.one_of = self.add_all(value)?,
                "enum" => checks.one_of_values = Some(value.as_array()?.clone()),
                "const" if !self.draft4 => checks.one_of_values = Some(vec![value.clone()]),
                "minLength" => checks.length.0 = Some(value.as_u64()?),
                "maxLength" => checks.length.1 = Some(value.as_u64()?),
                "minItems" => checks.item_count.0 = Some(value.as_u64()?),
                "maxItems" => checks.item_count.1 = Some(value.as_u64()?),
                "minimum" => checks.range.0 = Some(value.as_i64()?),
                "maximum" => checks.range.1 = Some(value.as_i64()?),
                _ if is_annotation(key) => {}
                _ => return None,
            }
        }
        if ["properties", "required", "additionalProperties"]
            .iter()
            .any(|k| map.contains_key(*k))
        {
            checks.object = Some(self.object_rules(map)?);
        }
        Some(checks)
    }

    /// `checks` as one of the shorter rules where it is one (they are most of a schema
    /// JsonSchemaData writes, and cost one match each).
    fn simplified(&self, checks: Checks) -> Rule {
        let only = |types: Types, members: usize| {
            checks.types == types
                && checks.object.is_none()
                && checks.items.is_none()
                && checks.all_of.is_empty()
                && checks.any_of.len() + checks.one_of.len() == members
                && checks.one_of_values.is_none()
                && checks.length == (None, None)
                && checks.item_count == (None, None)
                && checks.range == (None, None)
        };
        if only(checks.types, 0) {
            return Rule::Type(checks.types);
        }
        let members = if checks.one_of.is_empty() {
            &checks.any_of
        } else {
            &checks.one_of
        };
        if only(Types::ANY, 2) && members.len() == 2 {
            let refuses_null = |rule: usize| match &self.rules[rule] {
                Rule::Never => true,
                Rule::Type(types) => types.0 & Types::NULL == 0,
                Rule::Checks(checks) => checks.types.0 & Types::NULL == 0,
                _ => false,
            };
            let is_null = |rule: usize| matches!(self.rules[rule], Rule::Type(Types(Types::NULL)));
            match (members[0], members[1]) {
                (null, other) | (other, null) if is_null(null) && refuses_null(other) => {
                    return Rule::OrNull(other)
                }
                _ => {}
            }
        }
        Rule::Checks(Box::new(checks))
    }

    fn add_all(&mut self, list: &Json) -> Option<Vec<usize>> {
        Some(list.as_array()?.iter().map(|s| self.add(s)).collect())
    }

    fn object_rules(&mut self, map: &serde_json::Map<String, Json>) -> Option<ObjectRules> {
        let mut rules = ObjectRules {
            names: Vec::new(),
            properties: Vec::new(),
            by_name: HashMap::new(),
            required: 0,
            additional: Additional::Any,
        };
        let named = |rules: &mut ObjectRules, name: &str| -> usize {
            let key: Box<[u8]> = name.as_bytes().into();
            *rules.by_name.entry(key.clone()).or_insert_with(|| {
                rules.names.push(key);
                rules.properties.push(Property {
                    schema: None,
                    required: None,
                });
                rules.names.len() - 1
            })
        };
        if let Some(properties) = map.get("properties") {
            for (name, schema) in properties.as_object()? {
                let at = named(&mut rules, name);
                rules.properties[at].schema = Some(self.add(schema));
            }
        }
        if let Some(required) = map.get("required") {
            for name in required.as_array()? {
                let at = named(&mut rules, name.as_str()?);
                if rules.properties[at].required.is_none() {
                    rules.properties[at].required = Some(rules.required);
                    rules.required += 1;
                }
            }
        }
        rules.additional = match map.get("additionalProperties") {
            None | Some(Json::Bool(true)) => Additional::Any,
            Some(Json::Bool(false)) => Additional::Never,
            Some(schema) => Additional::Schema(self.add(schema)),
        };
        Some(rules)
    }

    fn check_rule(&self, rule: usize, tape: &BatchTape, at: usize) -> Verdict {
        match &self.rules[rule] {
            Rule::Always => Verdict::Valid,
            Rule::Never => Verdict::Invalid,
            Rule::Opaque => Verdict::Unsure,
            Rule::Type(types) => types.admit(tape.node(at)),
            Rule::OrNull(other) => match tape.node(at) {
                JNode::Null => Verdict::Valid,
                _ => self.check_rule(*other, tape, at),
            },
            Rule::Checks(checks) => self.check_all(checks, tape, at),
        }
    }

    fn check_all(&self, checks: &Checks, tape: &BatchTape, at: usize) -> Verdict {
        let node = tape.node(at);
        let mut verdict = checks.types.admit(node);
        if verdict == Verdict::Invalid {
            return verdict;
        }
        if let Some(values) = &checks.one_of_values {
            verdict = verdict.and(among(values, tape, node));
        }
        verdict = verdict.and(match node {
            JNode::Str { start, len } => {
                let (min, max) = checks.length;
                if min.is_some() || max.is_some() {
                    let chars = tape.str(start, len).chars().count() as u64;
                    within(chars, min, max)
                } else {
                    Verdict::Valid
                }
            }
            JNode::I64(v) => within(v, checks.range.0, checks.range.1),
            JNode::U64(_) | JNode::F64(_)
                if checks.range.0.is_some() || checks.range.1.is_some() =>
            {
                Verdict::Unsure
            }
            JNode::Array { len, .. } => {
                let (min, max) = checks.item_count;
                within(u64::from(len), min, max).and(match checks.items {
                    Some(items) => self.check_items(items, tape, at, len),
                    None => Verdict::Valid,
                })
            }
            JNode::Object { len, .. } => match &checks.object {
                Some(rules) => self.check_object(rules, tape, at, len),
                None => Verdict::Valid,
            },
            _ => Verdict::Valid,
        });
        if verdict == Verdict::Invalid {
            return verdict;
        }
        for &sub in &checks.all_of {
            verdict = verdict.and(self.check_rule(sub, tape, at));
        }
        if !checks.any_of.is_empty() {
            let mut any = Verdict::Invalid;
            for &sub in &checks.any_of {
                match self.check_rule(sub, tape, at) {
                    Verdict::Valid => {
                        any = Verdict::Valid;
                        break;
                    }
                    Verdict::Unsure => any = Verdict::Unsure,
                    Verdict::Invalid => {}
                }
            }
            verdict = verdict.and(any);
        }
        if !checks.one_of.is_empty() {
            verdict = verdict.and(self.check_one_of(&checks.one_of, tape, at));
        }
        verdict
    }

    /// `oneOf`: valid when exactly one member is valid and every other is invalid.
    fn check_one_of(&self, members: &[usize], tape: &BatchTape, at: usize) -> Verdict {
        let (mut valid, mut unsure) = (0, 0);
        for &sub in members {
            match self.check_rule(sub, tape, at) {
                Verdict::Valid => valid += 1,
                Verdict::Unsure => unsure += 1,
                Verdict::Invalid => {}
            }
            if valid > 1 {
                return Verdict::Invalid;
            }
        }
        match (valid, unsure) {
            (1, 0) => Verdict::Valid,
            (0, 0) => Verdict::Invalid,
            _ => Verdict::Unsure,
        }
    }

    fn check_items(&self, items: usize, tape: &BatchTape, at: usize, len: u32) -> Verdict {
        let mut verdict = Verdict::Valid;
        let mut element = at + 1;
        for _ in 0..len {
            verdict = verdict.and(self.check_rule(items, tape, element));
            if verdict == Verdict::Invalid {
                break;
            }
            element += tape.node(element).span();
        }
        verdict
    }

    /// The object keywords. A property value that fails makes the object `Unsure`, not
    /// `Invalid`: its key may come again later, and the tree keeps only one of them. Presence
    /// (`required`, `additionalProperties: false`) is the same either way.
    fn check_object(&self, rules: &ObjectRules, tape: &BatchTape, at: usize, len: u32) -> Verdict {
        let mut seen_small = 0u64;
        let mut seen_large = if rules.required > 64 {
            vec![false; rules.required]
        } else {
            Vec::new()
        };
        let mut verdict = Verdict::Valid;
        let mut key_at = at + 1;
        for i in 0..len as usize {
            let value_at = key_at + 1;
            let JNode::Str { start, len } = tape.node(key_at) else {
                return Verdict::Unsure;
            };
            let key = tape.bytes(start, len);
            // Keys usually come in the schema's order: try the same position first.
            let found = if rules.names.get(i).is_some_and(|n| **n == *key) {
                Some(i)
            } else {
                rules.by_name.get(key).copied()
            };
            let property = found.map(|p| &rules.properties[p]);
            if let Some(required) = property.and_then(|p| p.required) {
                if seen_large.is_empty() {
                    seen_small |= 1 << required;
                } else {
                    seen_large[required] = true;
                }
            }
            let schema = match (property.and_then(|p| p.schema), &rules.additional) {
                (Some(schema), _) | (None, &Additional::Schema(schema)) => Some(schema),
                (None, Additional::Any) => None,
                (None, Additional::Never) => return Verdict::Invalid,
            };
            if let Some(schema) = schema {
                if self.check_rule(schema, tape, value_at) != Verdict::Valid {
                    verdict = Verdict::Unsure;
                }
            }
            key_at = value_at + tape.node(value_at).span();
        }
        let seen = if seen_large.is_empty() {
            seen_small.count_ones() as usize
        } else {
            seen_large.iter().filter(|s| **s).count()
        };
        verdict.and(Verdict::holds(seen == rules.required))
    }
}

/// What JsonConverter's Arrow writer ([`crate::json::encode::Slot`]) writes for a non-null value:
/// the tape node it parses back to.
#[derive(Debug, Clone, Copy)]
enum Written {
    Bool,
    /// An integer literal.
    Integer,
    /// A finite float or a decimal: a number, with a fraction or not.
    Number,
    String,
    Object,
    Array,
}

impl Written {
    /// What a value of `schema` is written as; `None` where the writer does not write it
    /// (unions, maps of pairs) or it cannot tell. Floats are taken as finite (the caller checks).
    fn of(schema: &Schema, decimal_format: DecimalFormat) -> Option<Written> {
        Some(match schema.logical_type() {
            Some(LogicalType::Decimal { .. }) => match decimal_format {
                DecimalFormat::Numeric => Written::Number,
                DecimalFormat::Base64 => Written::String,
            },
            Some(LogicalType::Date | LogicalType::Time | LogicalType::Timestamp) => {
                Written::Integer
            }
            None if schema.name.as_deref() == Some(DECIMAL_LOGICAL_NAME) => return None,
            None => match &schema.kind {
                SchemaKind::Boolean => Written::Bool,
                SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32 | SchemaKind::Int64 => {
                    Written::Integer
                }
                SchemaKind::Float32 | SchemaKind::Float64 => Written::Number,
                SchemaKind::String | SchemaKind::Bytes => Written::String,
                SchemaKind::Array(_) => Written::Array,
                SchemaKind::Map(key, _) if key.kind == SchemaKind::String && !key.optional => {
                    Written::Object
                }
                SchemaKind::Struct(_) if !is_union(schema) => Written::Object,
                _ => return None,
            },
        })
    }
}

impl Types {
    /// Whether every value written as `written` (and null, when `nullable`) has one of the
    /// types, as [`Types::admit`] sees it.
    fn admit_all(self, written: Written, nullable: bool) -> bool {
        let bits = match written {
            Written::Bool => Types::BOOLEAN,
            Written::Integer => Types::NUMBER | Types::INTEGER,
            Written::Number => Types::NUMBER,
            Written::String => Types::STRING,
            Written::Object => Types::OBJECT,
            Written::Array => Types::ARRAY,
        };
        self.0 & bits != 0 && (!nullable || self.0 & Types::NULL != 0)
    }
}

impl TapeCheck {
    /// Whether every text JsonConverter's Arrow writer writes for a value of `schema` is
    /// [`Verdict::Valid`], provided its floats are finite (it quotes the others) and it holds no
    /// raw JSON: then the rows need no check one by one. `false` where it cannot tell (any
    /// keyword on values, `oneOf` other than null-or-one-schema, unions). Cost: one walk of the
    /// schema; run once per writer.
    pub fn admits_every_written(&self, schema: &Schema, decimal_format: DecimalFormat) -> bool {
        self.proves(0, schema, schema.optional, decimal_format)
    }

    fn proves(&self, rule: usize, schema: &Schema, nullable: bool, format: DecimalFormat) -> bool {
        let Some(written) = Written::of(schema, format) else {
            return false;
        };
        let checks = match &self.rules[rule] {
            Rule::Always => return true,
            Rule::Never | Rule::Opaque => return false,
            Rule::Type(types) => return types.admit_all(written, nullable),
            Rule::OrNull(other) => return self.proves(*other, schema, false, format),
            Rule::Checks(checks) => checks,
        };
        let proves_all = |rules: &[usize]| {
            rules
                .iter()
                .all(|&r| self.proves(r, schema, nullable, format))
        };
        checks.types.admit_all(written, nullable)
            && checks.one_of_values.is_none()
            && checks.one_of.is_empty()
            && checks.length == (None, None)
            && checks.item_count == (None, None)
            && checks.range == (None, None)
            && proves_all(&checks.all_of)
            && (checks.any_of.is_empty()
                || checks
                    .any_of
                    .iter()
                    .any(|&r| self.proves(r, schema, nullable, format)))
            && match (&schema.kind, &checks.object) {
                (SchemaKind::Array(items), _) => checks
                    .items
                    .is_none_or(|r| self.proves(r, items, items.optional, format)),
                (SchemaKind::Struct(fields), Some(rules)) => {
                    self.proves_struct(rules, fields, format)
                }
                (SchemaKind::Map(_, value), Some(rules)) => self.proves_map(rules, value, format),
                _ => true,
            }
    }

    /// The object keywords over a struct, whose writer writes every field.
    fn proves_struct(&self, rules: &ObjectRules, fields: &[Field], format: DecimalFormat) -> bool {
        let names: HashSet<&[u8]> = fields.iter().map(|f| f.name.as_bytes()).collect();
        let required_written = rules
            .names
            .iter()
            .zip(&rules.properties)
            .all(|(name, p)| p.required.is_none() || names.contains(&**name));
        required_written
            && fields.iter().all(|field| {
                let property = rules.by_name.get(field.name.as_bytes());
                let rule = match (
                    property.and_then(|&p| rules.properties[p].schema),
                    &rules.additional,
                ) {
                    (Some(rule), _) | (None, &Additional::Schema(rule)) => rule,
                    (None, Additional::Any) => return true,
                    (None, Additional::Never) => return false,
                };
                self.proves(rule, &field.schema, field.schema.optional, format)
            })
    }

    /// The object keywords over a map with string keys: any key may be any property's.
    fn proves_map(&self, rules: &ObjectRules, value: &Schema, format: DecimalFormat) -> bool {
        let proves = |rule: usize| self.proves(rule, value, value.optional, format);
        rules.required == 0
            && rules.properties.iter().all(|p| p.schema.is_none_or(proves))
            && match rules.additional {
                Additional::Any => true,
                Additional::Never => false,
                Additional::Schema(rule) => proves(rule),
            }
    }
}

/// `type`: one name or a list of names.
fn types(value: &Json) -> Option<Types> {
    match value {
        Json::String(name) => Types::named(name).map(Types),
        Json::Array(names) if !names.is_empty() => names.iter().try_fold(Types(0), |set, name| {
            Some(Types(set.0 | Types::named(name.as_str()?)?))
        }),
        _ => None,
    }
}

fn within<T: PartialOrd>(value: T, min: Option<T>, max: Option<T>) -> Verdict {
    Verdict::holds(min.is_none_or(|m| value >= m) && max.is_none_or(|m| value <= m))
}

/// `enum`/`const`: whether the scalar `node` equals one of `values`. The crate compares
/// numbers by value (`1` equals `1.0`), which the tape tells only for integers against integers.
fn among(values: &[Json], tape: &BatchTape, node: JNode) -> Verdict {
    let mut unsure = false;
    for value in values {
        let equal = match (node, value) {
            (JNode::Null, Json::Null) => true,
            (JNode::Bool(b), Json::Bool(v)) => b == *v,
            (JNode::Str { start, len }, Json::String(s)) => tape.str(start, len) == s,
            (JNode::I64(i), Json::Number(n)) if n.as_i64().is_some() => n.as_i64() == Some(i),
            (JNode::U64(u), Json::Number(n)) if n.as_u64().is_some() => n.as_u64() == Some(u),
            (JNode::I64(_) | JNode::U64(_) | JNode::F64(_), Json::Number(_))
            | (JNode::Object { .. }, Json::Object(_))
            | (JNode::Array { .. }, Json::Array(_)) => {
                unsure = true;
                false
            }
            _ => false,
        };
        if equal {
            return Verdict::Valid;
        }
    }
    if unsure {
        Verdict::Unsure
    } else {
        Verdict::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::converter::copy_inputs;
    use crate::json::reference::read_tree;
    use crate::json::tape::TapeParser;
    use crate::jsonschema::from_connect::from_connect_schema;
    use crate::jsonschema::JsonSchemaDataConfig;
    use crate::schema::SchemaRef;
    use proptest::prelude::*;
    use serde_json::json;

    /// The verdict of the tape check and whether the `jsonschema` crate accepts the payload as
    /// the row-wise reader parses it; `None` when the tape parser refuses the text.
    fn both(schema: &Json, payload: &str) -> Option<(Verdict, bool)> {
        let (mut tape, spans) = copy_inputs(&[Some(payload.as_bytes())]);
        let root = TapeParser::default()
            .parse(&mut tape, spans[0].expect("a span"))
            .ok()?;
        let tree = read_tree(payload.as_bytes()).ok()??;
        // Checks are compiled only for schemas the crate compiled.
        let oracle = jsonschema::options().build(schema).ok()?;
        Some((
            TapeCheck::compile(schema).check(&tape, root),
            oracle.is_valid(&tree),
        ))
    }

    fn verdict(schema: Json, payload: &str) -> Verdict {
        let (verdict, valid) = both(&schema, payload).expect("parses");
        assert_ne!(verdict, Verdict::holds(!valid), "{schema} on {payload}");
        verdict
    }

    #[test]
    fn a_connect_schema_tells_valid_and_invalid_payloads_apart() {
        let schema = json!({"type":"object","title":"Row","properties":{
            "id":{"type":"integer","connect.index":0,"connect.type":"int64"},
            "name":{"connect.index":1,"oneOf":[{"type":"null"},{"type":"string"}]},
            "tags":{"connect.index":2,"type":"array","items":{"type":"string"}}},
            "required":["id","tags"]});
        let valid = r#"{"id":7,"name":null,"tags":["a"]}"#;
        assert_eq!(verdict(schema.clone(), valid), Verdict::Valid);
        assert_eq!(
            verdict(schema.clone(), r#"{"id":7,"name":"x","tags":[]}"#),
            Verdict::Valid
        );
        assert_eq!(verdict(schema.clone(), r#"{"id":7}"#), Verdict::Invalid);
        assert_eq!(
            verdict(schema.clone(), r#"{"tags":[],"id":"7"}"#),
            Verdict::Unsure
        );
        assert_eq!(verdict(schema, "[1]"), Verdict::Invalid);
    }

    #[test]
    fn what_the_tape_cannot_tell_is_left_to_the_crate() {
        let integer = json!({"type":"integer"});
        assert_eq!(verdict(integer.clone(), "[1.0]"), Verdict::Invalid);
        assert_eq!(verdict(json!({"items":integer}), "[1.0]"), Verdict::Unsure);
        assert_eq!(
            verdict(json!({"format":"email"}), r#""a""#),
            Verdict::Unsure
        );
        assert_eq!(verdict(json!({"enum":[1.0]}), "1"), Verdict::Unsure);
        let once = json!({"properties":{"a":{"type":"string"}}});
        assert_eq!(verdict(once, r#"{"a":1,"a":"x"}"#), Verdict::Unsure);
    }

    #[test]
    fn optional_fields_take_null_or_their_type() {
        let optional = json!({"oneOf":[{"type":"null"},{"type":"string","maxLength":2}]});
        assert_eq!(verdict(optional.clone(), "null"), Verdict::Valid);
        assert_eq!(verdict(optional.clone(), r#""ab""#), Verdict::Valid);
        assert_eq!(verdict(optional.clone(), r#""abc""#), Verdict::Invalid);
        assert_eq!(verdict(optional, "1"), Verdict::Invalid);
        let reversed = json!({"anyOf":[{"type":"integer"},{"type":"null"}]});
        assert_eq!(verdict(reversed.clone(), "null"), Verdict::Valid);
        assert_eq!(verdict(reversed, "[]"), Verdict::Invalid);
        // Both members take null: oneOf refuses it.
        let both = json!({"oneOf":[{"type":"null"},{"type":["null","string"]}]});
        assert_eq!(verdict(both, "null"), Verdict::Invalid);
        assert_eq!(
            verdict(json!({"oneOf":[{"type":"null"},{}]}), "null"),
            Verdict::Invalid
        );
    }

    fn optional(kind: SchemaKind) -> SchemaRef {
        Schema::new(kind).optional().into_ref()
    }

    #[test]
    fn a_schema_derived_from_connect_admits_every_written_value() {
        let string = || Schema::new(SchemaKind::String).into_ref();
        let inner = Schema::structure([("lat".to_string(), optional(SchemaKind::Float64))]);
        let schema = Schema::structure([
            ("id".to_string(), Schema::new(SchemaKind::Int64).into_ref()),
            ("name".to_string(), optional(SchemaKind::String)),
            (
                "tags".to_string(),
                Schema::new(SchemaKind::Array(string())).into_ref(),
            ),
            ("geo".to_string(), inner.optional().into_ref()),
            (
                "counts".to_string(),
                optional(SchemaKind::Map(string(), optional(SchemaKind::Int32))),
            ),
            ("price".to_string(), Schema::decimal(2).into_ref()),
        ]);
        let derived =
            from_connect_schema(&schema, &JsonSchemaDataConfig::default()).expect("a JSON Schema");
        let admits = |json: Json| {
            TapeCheck::compile(&json).admits_every_written(&schema, DecimalFormat::Numeric)
        };
        assert!(admits(derived.clone()));
        // Decimals written as base64 strings do not pass `"type": "number"`.
        let check = TapeCheck::compile(&derived);
        assert!(!check.admits_every_written(&schema, DecimalFormat::Base64));
        // A keyword on values, a required property the struct lacks, a field beside
        // `additionalProperties: false`, a wrong type, an opaque keyword: cannot tell.
        let with = |pointer: &str, key: &str, value: Json| {
            let mut json = derived.clone();
            json.pointer_mut(pointer).expect("in the schema")[key] = value;
            admits(json)
        };
        assert!(!with("/properties/tags/items", "maxLength", json!(3)));
        assert!(!with("", "required", json!(["id", "missing"])));
        assert!(!with(
            "/properties/counts/oneOf/1",
            "additionalProperties",
            json!(false)
        ));
        assert!(!with("/properties/id", "type", json!("string")));
        assert!(!with("/properties/name", "format", json!("email")));
        assert!(with("", "additionalProperties", json!(true)));
        let mut closed = derived.clone();
        closed["additionalProperties"] = json!(false);
        assert!(admits(closed.clone()));
        closed["properties"]
            .as_object_mut()
            .expect("properties")
            .remove("price");
        assert!(!admits(closed));
    }

    #[test]
    fn draft_4_has_no_const() {
        let schema = json!({"$schema":"http://json-schema.org/draft-04/schema#","const":1});
        assert_eq!(verdict(schema, "2"), Verdict::Unsure);
        assert_eq!(verdict(json!({"const":1}), "2"), Verdict::Invalid);
    }

    #[test]
    fn a_wide_object_with_many_required_properties_is_checked() {
        let names: Vec<String> = (0..100).map(|i| format!("f{i}")).collect();
        let properties: serde_json::Map<String, Json> = names
            .iter()
            .map(|n| (n.clone(), json!({"type":"integer"})))
            .collect();
        let schema = json!({"properties":properties,"required":names});
        let all: Vec<String> = names.iter().map(|n| format!("\"{n}\":1")).collect();
        assert_eq!(
            verdict(schema.clone(), &format!("{{{}}}", all.join(","))),
            Verdict::Valid
        );
        let but_one = all[1..].join(",");
        assert_eq!(verdict(schema, &format!("{{{but_one}}}")), Verdict::Invalid);
    }

    fn key() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["a", "b", "c"])
    }

    fn scalar_json() -> impl Strategy<Value = Json> {
        prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            (-3i64..4).prop_map(Json::from),
            Just(json!(1.0)),
            Just(json!(2.5)),
            prop::sample::select(vec!["", "a", "ab", "é", "abc"]).prop_map(Json::from),
        ]
    }

    fn schema() -> impl Strategy<Value = Json> {
        let type_name = prop::sample::select(vec![
            "null", "boolean", "object", "array", "number", "integer", "string",
        ]);
        let leaf = prop_oneof![
            any::<bool>().prop_map(Json::Bool),
            Just(json!({})),
            type_name.clone().prop_map(|t| json!({ "type": t })),
            (type_name.clone(), type_name).prop_map(|(a, b)| json!({ "type": [a, b] })),
            prop::collection::vec(scalar_json(), 1..3).prop_map(|v| json!({ "enum": v })),
            scalar_json().prop_map(|v| json!({ "const": v })),
            (0u64..3, 0u64..3).prop_map(|(a, b)| json!({"minLength": a, "maxLength": b})),
            (-2i64..2, -1i64..3).prop_map(|(a, b)| json!({"minimum": a, "maximum": b})),
            Just(json!({"format":"email"})),
            Just(json!({"multipleOf":2})),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                (
                    prop::collection::btree_map(key(), inner.clone(), 0..3),
                    prop::collection::vec(key(), 0..3),
                    prop_oneof![
                        Just(None),
                        any::<bool>().prop_map(|b| Some(Json::Bool(b))),
                        inner.clone().prop_map(Some),
                    ],
                )
                    .prop_map(|(properties, required, additional)| {
                        let mut schema = json!({"properties": properties, "required": required});
                        if let Some(additional) = additional {
                            schema["additionalProperties"] = additional;
                        }
                        schema
                    }),
                (inner.clone(), 0u64..2, 1u64..3).prop_map(
                    |(items, min, max)| json!({"items": items, "minItems": min, "maxItems": max})
                ),
                prop::collection::vec(inner.clone(), 1..4).prop_map(|s| json!({ "oneOf": s })),
                prop::collection::vec(inner.clone(), 1..4).prop_map(|s| json!({ "anyOf": s })),
                (prop::collection::vec(inner.clone(), 1..3), inner).prop_map(|(s, t)| {
                    let mut schema = json!({ "allOf": s });
                    if let Some(t) = t.get("type") {
                        schema["type"] = t.clone();
                    }
                    schema
                }),
            ]
        })
    }

    /// Payload text, objects possibly with repeated keys.
    fn payload() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            scalar_json().prop_map(|v| v.to_string()),
            prop::sample::select(vec!["-0", "1e2", "1.0", "9223372036854775808", "-5"])
                .prop_map(String::from),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec(
                    (prop::sample::select(vec!["a", "b", "c", "d"]), inner),
                    0..5
                )
                .prop_map(|pairs| {
                    let pairs: Vec<String> =
                        pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", pairs.join(","))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Sound against the crate: `Valid` only where it accepts, `Invalid` only where it
        /// refuses.
        #[test]
        fn verdicts_agree_with_the_crate(schema in schema(), payload in payload()) {
            if let Some((verdict, valid)) = both(&schema, &payload) {
                prop_assert_ne!(verdict, Verdict::holds(!valid), "{} on {}", schema, payload);
            }
        }
    }
}
