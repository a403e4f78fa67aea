//! Confluent 7.8's `SchemaDiff.compare` over loaded schemas: the walk (`Context`: the path, the
//! schemas being compared, the differences found), the class check, the common keywords and the
//! scalar families (`StringSchemaDiff`, `NumberSchemaDiff`, `EnumSchemaDiff`, `ConstSchemaDiff`,
//! `NotSchemaDiff`). Objects, arrays and combinators are in [`super::structure`].

use std::collections::HashSet;

use serde_json::{Number, Value as Json};

use super::difference::{Difference, DifferenceType as T};
use super::model::{Criterion, Kind, NodeId, NumberRules, Schemas, StringRules};
use super::structure;

/// An exception Confluent's diff throws on some schemas (a `multipleOf` below 1 divides by zero,
/// an `exclusiveMaximum` lowered where the update has no `maximum` dereferences null): the
/// check fails with it instead of answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thrown(pub String);

/// The walk's state (`Context`): the original schemas being compared (a schema reached again
/// through a recursive `$ref` is not compared twice), the JSON path and the differences found.
#[derive(Debug, Clone, Default)]
pub struct Context {
    entered: HashSet<NodeId>,
    path: Vec<String>,
    differences: Vec<Difference>,
}

impl Context {
    /// A context for a trial comparison: the same schemas and path, no differences yet.
    pub fn sub(&self) -> Context {
        Context {
            entered: self.entered.clone(),
            path: self.path.clone(),
            differences: Vec::new(),
        }
    }

    /// The differences found, in the order found.
    pub fn into_differences(self) -> Vec<Difference> {
        self.differences
    }

    /// Whether every difference found is a compatible one.
    pub fn is_compatible(&self) -> bool {
        self.differences.iter().all(|d| d.kind.is_compatible())
    }

    /// Records `kind` at the current path.
    pub fn add(&mut self, kind: T) {
        let path = format!("#/{}", self.path.join("/"));
        self.differences.push(Difference { kind, path });
    }

    /// Records `kind` at the current path's `attribute`.
    pub fn add_at(&mut self, attribute: &str, kind: T) {
        self.enter(attribute);
        self.add(kind);
        self.leave();
    }

    /// Appends another context's differences.
    pub fn extend(&mut self, differences: Vec<Difference>) {
        self.differences.extend(differences);
    }

    /// Goes one path segment down.
    pub fn enter(&mut self, segment: &str) {
        self.path.push(segment.to_string());
    }

    /// Goes one path segment up.
    pub fn leave(&mut self) {
        self.path.pop();
    }
}

/// `SchemaDiff.compare(original, update)`: every difference between two loaded schemas of
/// `schemas`, in Confluent's order. Cost: one walk of both schemas, times the trial comparisons
/// of combinator members (each pair once per combinator).
pub fn compare(
    schemas: &Schemas,
    original: NodeId,
    update: NodeId,
) -> Result<Vec<Difference>, Thrown> {
    let mut ctx = Context::default();
    compare_in(&mut ctx, schemas, Some(original), Some(update))?;
    Ok(ctx.into_differences())
}

/// `SchemaDiff.compare(ctx, original, update)`, where either schema may be absent: the
/// differences go into `ctx`. Cost: as [`compare`], for the two subschemas.
pub fn compare_in(
    ctx: &mut Context,
    schemas: &Schemas,
    original: Option<NodeId>,
    update: Option<NodeId>,
) -> Result<(), Thrown> {
    let (original, update) = match (original, update) {
        (None, None) => return Ok(()),
        (None, Some(_)) => {
            ctx.add(T::SchemaAdded);
            return Ok(());
        }
        (Some(_), None) => {
            ctx.add(T::SchemaRemoved);
            return Ok(());
        }
        (Some(original), Some(update)) => (referred(schemas, original), referred(schemas, update)),
    };
    if compare_singleton_or_member(ctx, schemas, original, update)? {
        return Ok(());
    }
    let (o, u) = (&schemas.node(original).kind, &schemas.node(update).kind);
    if !same_class(o, u) {
        if !matches!(o, Kind::False) && !matches!(u, Kind::Empty | Kind::True) {
            ctx.add(T::TypeChanged);
        }
        return Ok(());
    }
    if !ctx.entered.insert(original) {
        return Ok(());
    }
    let result = compare_entered(ctx, schemas, original, update);
    ctx.entered.remove(&original);
    result
}

/// `normalizeSchema`: a reference stands for the schema it refers to (one level).
fn referred(schemas: &Schemas, id: NodeId) -> NodeId {
    match schemas.node(id).kind {
        Kind::Reference(target) => target,
        _ => id,
    }
}

/// The special cases of a combinator on one side only: a singleton union compared with its
/// member, an `anyOf`/`oneOf` update one of whose members takes the original (sum type
/// extended), an `allOf` original one of whose members the update takes (product type
/// narrowed). True when one of them decided.
fn compare_singleton_or_member(
    ctx: &mut Context,
    schemas: &Schemas,
    original: NodeId,
    update: NodeId,
) -> Result<bool, Thrown> {
    let (o, u) = (&schemas.node(original).kind, &schemas.node(update).kind);
    match (o, u) {
        (Kind::Combined { .. }, Kind::Combined { .. }) => Ok(false),
        (
            _,
            Kind::Combined {
                criterion,
                subschemas,
            },
        ) => {
            if let [only] = subschemas.as_slice() {
                return try_pair(ctx, schemas, original, *only, None);
            }
            if *criterion == Criterion::AllOf {
                return Ok(false);
            }
            for member in subschemas {
                if try_pair(ctx, schemas, original, *member, Some(T::SumTypeExtended))? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        (
            Kind::Combined {
                criterion,
                subschemas,
            },
            _,
        ) => {
            if let [only] = subschemas.as_slice() {
                return try_pair(ctx, schemas, *only, update, None);
            }
            if *criterion != Criterion::AllOf {
                return Ok(false);
            }
            for member in subschemas {
                if try_pair(ctx, schemas, *member, update, Some(T::ProductTypeNarrowed))? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => Ok(false),
    }
}

/// Compares a pair in a trial context; when compatible, keeps its differences (and `then`).
fn try_pair(
    ctx: &mut Context,
    schemas: &Schemas,
    original: NodeId,
    update: NodeId,
    then: Option<T>,
) -> Result<bool, Thrown> {
    let mut sub = ctx.sub();
    compare_in(&mut sub, schemas, Some(original), Some(update))?;
    if !sub.is_compatible() {
        return Ok(false);
    }
    ctx.extend(sub.into_differences());
    if let Some(kind) = then {
        ctx.add(kind);
    }
    Ok(true)
}

/// `schemaTypesEqual`: the same everit class (any two combinators count as one class).
fn same_class(a: &Kind, b: &Kind) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// The common keywords, then the family's own comparison.
fn compare_entered(
    ctx: &mut Context,
    schemas: &Schemas,
    original: NodeId,
    update: NodeId,
) -> Result<(), Thrown> {
    let (o, u) = (schemas.node(original), schemas.node(update));
    if o.id != u.id {
        ctx.add(T::IdChanged);
    }
    if o.title != u.title {
        ctx.add(T::TitleChanged);
    }
    if o.description != u.description {
        ctx.add(T::DescriptionChanged);
    }
    if !java_defaults_equal(o.default.as_ref(), u.default.as_ref()) {
        ctx.add(T::DefaultChanged);
    }
    match (&o.kind, &u.kind) {
        (Kind::String(a), Kind::String(b)) => compare_strings(ctx, a, b),
        (Kind::Number(a), Kind::Number(b)) => compare_numbers(ctx, a, b)?,
        (Kind::Const(a), Kind::Const(b)) if !java_equal(a, b) => {
            ctx.add_at("const", T::EnumArrayChanged)
        }
        (Kind::Enum(a), Kind::Enum(b)) => compare_enums(ctx, a, b),
        (Kind::Combined { .. }, Kind::Combined { .. }) => {
            structure::compare_combined(ctx, schemas, original, update)?
        }
        (Kind::Not(a), Kind::Not(b)) => compare_not(ctx, schemas, *a, *b)?,
        (Kind::Object(a), Kind::Object(b)) => structure::compare_objects(ctx, schemas, a, b)?,
        (Kind::Array(a), Kind::Array(b)) => structure::compare_arrays(ctx, schemas, a, b)?,
        _ => {}
    }
    Ok(())
}

/// `Objects.equals` of two `default`s as everit holds them: `null` is `JSONObject.NULL`, which
/// equals an absent default only on the original's side; objects and arrays (`JSONObject`,
/// `JSONArray`) equal nothing but themselves.
fn java_defaults_equal(original: Option<&Json>, update: Option<&Json>) -> bool {
    match (original, update) {
        (None, None) | (Some(Json::Null), None) | (Some(Json::Null), Some(Json::Null)) => true,
        (Some(Json::Object(_) | Json::Array(_)), _) => false,
        (Some(a), Some(b)) => java_equal(a, b),
        _ => false,
    }
}

/// Java's `equals` of two JSON values as everit holds them: numbers equal only when both are
/// integers or both are not, and of equal value; maps and lists by their contents.
pub fn java_equal(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => java_numbers_equal(x, y),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| java_equal(x, y))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| java_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Whether a JSON number is written as an integer (Java reads it as an `Integer`/`Long`).
fn is_integral(n: &Number) -> bool {
    !n.to_string().contains(['.', 'e', 'E'])
}

fn java_numbers_equal(x: &Number, y: &Number) -> bool {
    match (is_integral(x), is_integral(y)) {
        (true, true) => match (x.to_string().parse::<i128>(), y.to_string().parse::<i128>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => x.to_string() == y.to_string(),
        },
        (false, false) => double(x) == double(y),
        _ => false,
    }
}

/// `Number.doubleValue()`.
fn double(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// `Number.intValue()`: integers wrap to 32 bits, doubles truncate and saturate.
fn int_value(n: &Number) -> i32 {
    if is_integral(n) {
        n.to_string().parse::<i128>().map_or(0, |v| v as i32)
    } else {
        double(n) as i32
    }
}

/// `StringSchemaDiff.compare`.
fn compare_strings(ctx: &mut Context, o: &StringRules, u: &StringRules) {
    use T::*;
    let (max, min) = ("maxLength", "minLength");
    limit(
        ctx,
        max,
        o.max_length,
        u.max_length,
        [
            MaxLengthAdded,
            MaxLengthRemoved,
            MaxLengthIncreased,
            MaxLengthDecreased,
        ],
    );
    limit(
        ctx,
        min,
        o.min_length,
        u.min_length,
        [
            MinLengthAdded,
            MinLengthRemoved,
            MinLengthIncreased,
            MinLengthDecreased,
        ],
    );
    match (&o.pattern, &u.pattern) {
        (None, Some(_)) => ctx.add_at("pattern", PatternAdded),
        (Some(_), None) => ctx.add_at("pattern", PatternRemoved),
        (Some(a), Some(b)) if a != b => ctx.add_at("pattern", PatternChanged),
        _ => {}
    }
}

/// An integer limit (`maxLength`, `minItems`, …): added, removed, increased or decreased, in the
/// order of `kinds`.
pub fn limit(ctx: &mut Context, attribute: &str, o: Option<i64>, u: Option<i64>, kinds: [T; 4]) {
    let [added, removed, increased, decreased] = kinds;
    match (o, u) {
        (None, Some(_)) => ctx.add_at(attribute, added),
        (Some(_), None) => ctx.add_at(attribute, removed),
        (Some(a), Some(b)) if a < b => ctx.add_at(attribute, increased),
        (Some(a), Some(b)) if a > b => ctx.add_at(attribute, decreased),
        _ => {}
    }
}

/// A number limit compared as doubles (`maximum`, `minimum`, `exclusiveMinimum`).
fn number_limit(
    ctx: &mut Context,
    attribute: &str,
    o: &Option<Number>,
    u: &Option<Number>,
    kinds: [T; 4],
) {
    let [added, removed, increased, decreased] = kinds;
    match (o, u) {
        (None, Some(_)) => ctx.add_at(attribute, added),
        (Some(_), None) => ctx.add_at(attribute, removed),
        (Some(a), Some(b)) if java_numbers_equal(a, b) => {}
        (Some(a), Some(b)) if double(a) < double(b) => ctx.add_at(attribute, increased),
        (Some(a), Some(b)) if double(a) > double(b) => ctx.add_at(attribute, decreased),
        _ => {}
    }
}

/// `NumberSchemaDiff.compare`, with its quirks: a lowered `exclusiveMaximum` is measured against
/// the update's `maximum` (and throws without one), `multipleOf` compares `intValue()`s.
fn compare_numbers(ctx: &mut Context, o: &NumberRules, u: &NumberRules) -> Result<(), Thrown> {
    use T::*;
    number_limit(
        ctx,
        "maximum",
        &o.maximum,
        &u.maximum,
        [
            MaximumAdded,
            MaximumRemoved,
            MaximumIncreased,
            MaximumDecreased,
        ],
    );
    number_limit(
        ctx,
        "minimum",
        &o.minimum,
        &u.minimum,
        [
            MinimumAdded,
            MinimumRemoved,
            MinimumIncreased,
            MinimumDecreased,
        ],
    );
    compare_exclusive_maximum(ctx, o, u)?;
    number_limit(
        ctx,
        "exclusiveMinimum",
        &o.exclusive_minimum,
        &u.exclusive_minimum,
        [
            ExclusiveMinimumAdded,
            ExclusiveMinimumRemoved,
            ExclusiveMinimumIncreased,
            ExclusiveMinimumDecreased,
        ],
    );
    compare_multiple_of(ctx, &o.multiple_of, &u.multiple_of)?;
    if o.integer != u.integer {
        ctx.add(if o.integer {
            TypeExtended
        } else {
            TypeNarrowed
        });
    }
    Ok(())
}

fn compare_exclusive_maximum(
    ctx: &mut Context,
    o: &NumberRules,
    u: &NumberRules,
) -> Result<(), Thrown> {
    let attribute = "exclusiveMaximum";
    match (&o.exclusive_maximum, &u.exclusive_maximum) {
        (None, Some(_)) => ctx.add_at(attribute, T::ExclusiveMaximumAdded),
        (Some(_), None) => ctx.add_at(attribute, T::ExclusiveMaximumRemoved),
        (Some(a), Some(b)) if java_numbers_equal(a, b) => {}
        (Some(a), Some(b)) if double(a) < double(b) => {
            ctx.add_at(attribute, T::ExclusiveMaximumIncreased)
        }
        (Some(a), Some(_)) => {
            let Some(maximum) = &u.maximum else {
                return Err(Thrown(
                    "NullPointerException: Cannot invoke \"java.lang.Number.doubleValue()\" because the return value of \"org.everit.json.schema.NumberSchema.getMaximum()\" is null"
                        .to_string(),
                ));
            };
            if double(a) > double(maximum) {
                ctx.add_at(attribute, T::ExclusiveMaximumDecreased);
            }
        }
        _ => {}
    }
    Ok(())
}

fn compare_multiple_of(
    ctx: &mut Context,
    o: &Option<Number>,
    u: &Option<Number>,
) -> Result<(), Thrown> {
    let attribute = "multipleOf";
    let (o, u) = match (o, u) {
        (None, None) => return Ok(()),
        (None, Some(_)) => {
            ctx.add_at(attribute, T::MultipleOfAdded);
            return Ok(());
        }
        (Some(_), None) => {
            ctx.add_at(attribute, T::MultipleOfRemoved);
            return Ok(());
        }
        (Some(o), Some(u)) if java_numbers_equal(o, u) => return Ok(()),
        (Some(o), Some(u)) => (int_value(o), int_value(u)),
    };
    let divides = |a: i32, b: i32| {
        if b == 0 {
            Err(Thrown("ArithmeticException: / by zero".to_string()))
        } else {
            Ok(a.wrapping_rem(b) == 0)
        }
    };
    if divides(u, o)? {
        ctx.add_at(attribute, T::MultipleOfExpanded);
    } else if divides(o, u)? {
        ctx.add_at(attribute, T::MultipleOfReduced);
    } else {
        ctx.add_at(attribute, T::MultipleOfChanged);
    }
    Ok(())
}

/// `EnumSchemaDiff.compare`: the sets of possible values.
fn compare_enums(ctx: &mut Context, o: &[Json], u: &[Json]) {
    let contains_all =
        |set: &[Json], of: &[Json]| of.iter().all(|v| set.iter().any(|w| java_equal(v, w)));
    let (update_has_all, original_has_all) = (contains_all(u, o), contains_all(o, u));
    if update_has_all && original_has_all {
        return;
    }
    let kind = if update_has_all {
        T::EnumArrayExtended
    } else if original_has_all {
        T::EnumArrayNarrowed
    } else {
        T::EnumArrayChanged
    };
    ctx.add_at("enum", kind);
}

/// `NotSchemaDiff.compare`: the negated schemas compared the other way round.
fn compare_not(ctx: &mut Context, schemas: &Schemas, o: NodeId, u: NodeId) -> Result<(), Thrown> {
    ctx.enter("not");
    let mut sub = ctx.sub();
    compare_in(&mut sub, schemas, Some(u), Some(o))?;
    ctx.add(if sub.is_compatible() {
        T::NotTypeNarrowed
    } else {
        T::NotTypeExtended
    });
    ctx.leave();
    Ok(())
}
