//! The structural families of Confluent 7.8's JSON Schema diff: `ObjectSchemaDiff` (required
//! properties, properties against open, closed and partially open content models, dependencies,
//! `additionalProperties`, property counts), `ArraySchemaDiff` (items, tuples against the content
//! model, `additionalItems`, item counts, `uniqueItems`) and `CombinedSchemaDiff` (criteria, sizes,
//! and a maximum matching of compatible member pairs).

use serde_json::json;

use super::diff::{compare_in, limit, Context, Thrown};
use super::difference::{Difference, DifferenceType as T};
use super::model::{ArrayRules, Criterion, Kind, NodeId, ObjectRules, Schemas};
use crate::java_hash_order::{hash_map_order, hash_map_order_sized};

/// `ObjectSchemaDiff.compare`: required, properties, dependencies, additional properties, then
/// the property counts. Cost: one comparison per property name of either side (a hash-set pass
/// over the names orders them as Java iterates them).
pub fn compare_objects(
    ctx: &mut Context,
    schemas: &Schemas,
    o: &ObjectRules,
    u: &ObjectRules,
) -> Result<(), Thrown> {
    compare_required(ctx, schemas, o, u);
    compare_properties(ctx, schemas, o, u)?;
    compare_dependencies(ctx, schemas, o, u)?;
    compare_additional_properties(ctx, schemas, o, u)?;
    use T::*;
    let kinds = [
        MaxPropertiesAdded,
        MaxPropertiesRemoved,
        MaxPropertiesIncreased,
        MaxPropertiesDecreased,
    ];
    limit(
        ctx,
        "maxProperties",
        o.max_properties,
        u.max_properties,
        kinds,
    );
    let kinds = [
        MinPropertiesAdded,
        MinPropertiesRemoved,
        MinPropertiesIncreased,
        MinPropertiesDecreased,
    ];
    limit(
        ctx,
        "minProperties",
        o.min_properties,
        u.min_properties,
        kinds,
    );
    Ok(())
}

fn property(rules: &ObjectRules, name: &str) -> Option<NodeId> {
    rules
        .properties
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, id)| *id)
}

fn is_required(rules: &ObjectRules, name: &str) -> bool {
    rules.required.iter().any(|r| r == name)
}

/// `Schema.hasDefaultValue()`: a `default` keyword, even `null`.
fn has_default(schemas: &Schemas, id: NodeId) -> bool {
    schemas.node(id).default.is_some()
}

fn compare_required(ctx: &mut Context, schemas: &Schemas, o: &ObjectRules, u: &ObjectRules) {
    ctx.enter("required");
    for (name, _) in &o.properties {
        let Some(update) = property(u, name) else {
            continue;
        };
        match (is_required(o, name), is_required(u, name)) {
            (true, false) => ctx.add_at(name, T::RequiredAttributeRemoved),
            (false, true) if has_default(schemas, update) => {
                ctx.add_at(name, T::RequiredAttributeWithDefaultAdded)
            }
            (false, true) => ctx.add_at(name, T::RequiredAttributeAdded),
            _ => {}
        }
    }
    ctx.leave();
}

/// The keys of two Java maps in the order `new HashSet<>(first.keySet())` + `addAll(second)`
/// iterates them (`first` and `second` in their own maps' orders).
fn hash_set_union(first: &[&str], second: &[&str]) -> Vec<String> {
    let all: Vec<&str> = first.iter().chain(second).copied().collect();
    let capacity = ((first.len() as f32 / 0.75) as usize + 1).max(16);
    hash_map_order_sized(&all, capacity)
        .into_iter()
        .map(|i| all[i].to_string())
        .collect()
}

/// Names in the order a Java `HashMap` keyed by them iterates.
fn in_hash_map_order<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let names: Vec<&str> = names.collect();
    hash_map_order(&names)
        .into_iter()
        .map(|i| names[i])
        .collect()
}

fn compare_properties(
    ctx: &mut Context,
    schemas: &Schemas,
    o: &ObjectRules,
    u: &ObjectRules,
) -> Result<(), Thrown> {
    ctx.enter("properties");
    let first: Vec<&str> = o.properties.iter().map(|(n, _)| n.as_str()).collect();
    let second: Vec<&str> = u.properties.iter().map(|(n, _)| n.as_str()).collect();
    for name in hash_set_union(&first, &second) {
        ctx.enter(&name);
        match (property(o, &name), property(u, &name)) {
            (Some(original), None) => property_removed(ctx, schemas, original, u, &name)?,
            (None, Some(update)) => property_added(ctx, schemas, o, update, u, &name)?,
            (original, update) => compare_in(ctx, schemas, original, update)?,
        }
        ctx.leave();
    }
    ctx.leave();
    Ok(())
}

/// Open: no `patternProperties`, no schema of additional properties, additional properties
/// allowed.
fn is_open(rules: &ObjectRules) -> bool {
    rules.pattern_properties.is_empty() && rules.additional.is_none() && rules.permits_additional
}

/// The schema a partially open content model gives an undeclared property: the first
/// `patternProperties` pattern found in its name, else the schema of additional properties.
fn partial_schema(rules: &ObjectRules, name: &str) -> Option<NodeId> {
    rules
        .pattern_properties
        .iter()
        .find(|(pattern, _)| pattern_finds(pattern, name))
        .map(|(_, id)| *id)
        .or(rules.additional)
}

/// Whether the regular expression `pattern` matches somewhere in `text` (`Matcher.find`), as the
/// `jsonschema` crate's `pattern` keyword decides (an invalid pattern finds nothing).
fn pattern_finds(pattern: &str, text: &str) -> bool {
    jsonschema::validator_for(&json!({ "pattern": pattern }))
        .is_ok_and(|validator| validator.is_valid(&json!(text)))
}

/// A trial comparison against a partially open content model: its differences are kept, then
/// `covered` or `not_covered`.
fn compare_with_partial(
    ctx: &mut Context,
    schemas: &Schemas,
    original: NodeId,
    update: NodeId,
    covered: T,
    not_covered: T,
) -> Result<(), Thrown> {
    let mut sub = ctx.sub();
    compare_in(&mut sub, schemas, Some(original), Some(update))?;
    let compatible = sub.is_compatible();
    ctx.extend(sub.into_differences());
    ctx.add(if compatible { covered } else { not_covered });
    Ok(())
}

fn property_removed(
    ctx: &mut Context,
    schemas: &Schemas,
    original: NodeId,
    u: &ObjectRules,
    name: &str,
) -> Result<(), Thrown> {
    if is_open(u) {
        ctx.add(T::PropertyRemovedFromOpenContentModel);
    } else if let Some(partial) = partial_schema(u, name) {
        compare_with_partial(
            ctx,
            schemas,
            original,
            partial,
            T::PropertyRemovedIsCoveredByPartiallyOpenContentModel,
            T::PropertyRemovedNotCoveredByPartiallyOpenContentModel,
        )?;
    } else if matches!(schemas.node(original).kind, Kind::False) {
        ctx.add(T::PropertyWithFalseRemovedFromClosedContentModel);
    } else {
        ctx.add(T::PropertyRemovedFromClosedContentModel);
    }
    Ok(())
}

fn property_added(
    ctx: &mut Context,
    schemas: &Schemas,
    o: &ObjectRules,
    update: NodeId,
    u: &ObjectRules,
    name: &str,
) -> Result<(), Thrown> {
    if is_open(o) {
        let empty = matches!(schemas.node(update).kind, Kind::Empty | Kind::True);
        ctx.add(if empty {
            T::PropertyWithEmptySchemaAddedToOpenContentModel
        } else {
            T::PropertyAddedToOpenContentModel
        });
        return Ok(());
    }
    if let Some(partial) = partial_schema(o, name) {
        compare_with_partial(
            ctx,
            schemas,
            partial,
            update,
            T::PropertyAddedIsCoveredByPartiallyOpenContentModel,
            T::PropertyAddedNotCoveredByPartiallyOpenContentModel,
        )?;
    }
    ctx.add(match (is_required(u, name), has_default(schemas, update)) {
        (true, true) => T::RequiredPropertyWithDefaultAddedToUnopenContentModel,
        (true, false) => T::RequiredPropertyAddedToUnopenContentModel,
        (false, _) => T::OptionalPropertyAddedToUnopenContentModel,
    });
    Ok(())
}

fn compare_dependencies(
    ctx: &mut Context,
    schemas: &Schemas,
    o: &ObjectRules,
    u: &ObjectRules,
) -> Result<(), Thrown> {
    ctx.enter("dependencies");
    let first = in_hash_map_order(o.property_dependencies.iter().map(|(n, _)| n.as_str()));
    let second = in_hash_map_order(u.property_dependencies.iter().map(|(n, _)| n.as_str()));
    let names_of = |rules: &ObjectRules, name: &str| {
        rules
            .property_dependencies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, names)| names.clone())
    };
    for name in hash_set_union(&first, &second) {
        let kind = match (names_of(o, &name), names_of(u, &name)) {
            (_, None) => Some(T::DependencyArrayRemoved),
            (None, Some(_)) => Some(T::DependencyArrayAdded),
            (Some(a), Some(b)) => {
                let contains_all =
                    |set: &[String], of: &[String]| of.iter().all(|n| set.contains(n));
                match (contains_all(&b, &a), contains_all(&a, &b)) {
                    (true, true) => None,
                    (true, false) => Some(T::DependencyArrayExtended),
                    (false, true) => Some(T::DependencyArrayNarrowed),
                    (false, false) => Some(T::DependencyArrayChanged),
                }
            }
        };
        if let Some(kind) = kind {
            ctx.add_at(&name, kind);
        }
    }
    let first = in_hash_map_order(o.schema_dependencies.iter().map(|(n, _)| n.as_str()));
    let second = in_hash_map_order(u.schema_dependencies.iter().map(|(n, _)| n.as_str()));
    let schema_of = |rules: &ObjectRules, name: &str| {
        rules
            .schema_dependencies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
    };
    for name in hash_set_union(&first, &second) {
        ctx.enter(&name);
        match (schema_of(o, &name), schema_of(u, &name)) {
            (_, None) => ctx.add(T::DependencySchemaRemoved),
            (None, Some(_)) => ctx.add(T::DependencySchemaAdded),
            (original, update) => compare_in(ctx, schemas, original, update)?,
        }
        ctx.leave();
    }
    ctx.leave();
    Ok(())
}

fn compare_additional_properties(
    ctx: &mut Context,
    schemas: &Schemas,
    o: &ObjectRules,
    u: &ObjectRules,
) -> Result<(), Thrown> {
    ctx.enter("additionalProperties");
    if o.permits_additional != u.permits_additional {
        ctx.add(if u.permits_additional {
            T::AdditionalPropertiesAdded
        } else {
            T::AdditionalPropertiesRemoved
        });
    } else {
        match (o.additional, u.additional) {
            (None, Some(_)) => ctx.add(T::AdditionalPropertiesNarrowed),
            (Some(_), None) => ctx.add(T::AdditionalPropertiesExtended),
            (original, update) => compare_in(ctx, schemas, original, update)?,
        }
    }
    ctx.leave();
    Ok(())
}

/// `ArraySchemaDiff.compare`: the items schema, tuple items by position, additional items, then
/// the item counts and `uniqueItems`. Cost: one comparison per item schema.
pub fn compare_arrays(
    ctx: &mut Context,
    schemas: &Schemas,
    o: &ArrayRules,
    u: &ArrayRules,
) -> Result<(), Thrown> {
    ctx.enter("items");
    compare_in(ctx, schemas, o.all_items, u.all_items)?;
    ctx.leave();
    compare_tuples(ctx, schemas, o, u)?;
    ctx.enter("additionalItems");
    if o.permits_additional != u.permits_additional {
        ctx.add(if o.permits_additional {
            T::AdditionalItemsRemoved
        } else {
            T::AdditionalItemsAdded
        });
    } else {
        match (o.additional, u.additional) {
            (None, Some(_)) => ctx.add(T::AdditionalItemsNarrowed),
            (Some(_), None) => ctx.add(T::AdditionalItemsExtended),
            (original, update) => compare_in(ctx, schemas, original, update)?,
        }
    }
    ctx.leave();
    use T::*;
    limit(
        ctx,
        "maxItems",
        o.max_items,
        u.max_items,
        [
            MaxItemsAdded,
            MaxItemsRemoved,
            MaxItemsIncreased,
            MaxItemsDecreased,
        ],
    );
    limit(
        ctx,
        "minItems",
        o.min_items,
        u.min_items,
        [
            MinItemsAdded,
            MinItemsRemoved,
            MinItemsIncreased,
            MinItemsDecreased,
        ],
    );
    if o.unique_items != u.unique_items {
        let kind = if o.unique_items {
            UniqueItemsRemoved
        } else {
            UniqueItemsAdded
        };
        ctx.add_at("uniqueItems", kind);
    }
    Ok(())
}

fn is_open_array(rules: &ArrayRules) -> bool {
    rules.additional.is_none() && rules.permits_additional
}

/// `compareItemSchemaArray`: tuple items by position, then the ones only one side has.
fn compare_tuples(
    ctx: &mut Context,
    schemas: &Schemas,
    o: &ArrayRules,
    u: &ArrayRules,
) -> Result<(), Thrown> {
    let shared = o.item_schemas.len().min(u.item_schemas.len());
    for index in 0..o.item_schemas.len().max(u.item_schemas.len()) {
        ctx.enter(&format!("items/{index}"));
        let (original, update) = (o.item_schemas.get(index), u.item_schemas.get(index));
        match (original, update) {
            _ if index < shared => compare_in(ctx, schemas, original.copied(), update.copied())?,
            (Some(original), _) => item_removed(ctx, schemas, *original, u)?,
            (_, Some(update)) => item_added(ctx, schemas, o, *update)?,
            (None, None) => {}
        }
        ctx.leave();
    }
    Ok(())
}

fn item_removed(
    ctx: &mut Context,
    schemas: &Schemas,
    original: NodeId,
    u: &ArrayRules,
) -> Result<(), Thrown> {
    if is_open_array(u) {
        ctx.add(T::ItemRemovedFromOpenContentModel);
    } else if let Some(partial) = u.additional {
        compare_with_partial(
            ctx,
            schemas,
            original,
            partial,
            T::ItemRemovedIsCoveredByPartiallyOpenContentModel,
            T::ItemRemovedNotCoveredByPartiallyOpenContentModel,
        )?;
    } else if matches!(schemas.node(original).kind, Kind::False) {
        ctx.add(T::ItemWithFalseRemovedFromClosedContentModel);
    } else {
        ctx.add(T::ItemRemovedFromClosedContentModel);
    }
    Ok(())
}

fn item_added(
    ctx: &mut Context,
    schemas: &Schemas,
    o: &ArrayRules,
    update: NodeId,
) -> Result<(), Thrown> {
    if is_open_array(o) {
        let empty = matches!(schemas.node(update).kind, Kind::Empty | Kind::True);
        ctx.add(if empty {
            T::ItemWithEmptySchemaAddedToOpenContentModel
        } else {
            T::ItemAddedToOpenContentModel
        });
    } else if let Some(partial) = o.additional {
        compare_with_partial(
            ctx,
            schemas,
            partial,
            update,
            T::ItemAddedIsCoveredByPartiallyOpenContentModel,
            T::ItemAddedNotCoveredByPartiallyOpenContentModel,
        )?;
    } else {
        ctx.add(T::ItemAddedToClosedContentModel);
    }
    Ok(())
}

/// A combinator's criterion and its members with equal members collapsed (Confluent puts them
/// in a `LinkedHashSet` of `JsonSchema`s, equal when their JSON is).
fn criterion_and_members(schemas: &Schemas, id: NodeId) -> (Criterion, Vec<NodeId>) {
    let Kind::Combined {
        criterion,
        subschemas,
    } = &schemas.node(id).kind
    else {
        return (Criterion::AllOf, Vec::new());
    };
    let mut members: Vec<NodeId> = Vec::with_capacity(subschemas.len());
    for &member in subschemas {
        let source = &schemas.node(member).source;
        let seen = members
            .iter()
            .any(|&m| m == member || (source.is_some() && schemas.node(m).source == *source));
        if !seen {
            members.push(member);
        }
    }
    (*criterion, members)
}

/// `CombinedSchemaDiff.compare`: the criteria, the member counts, then the differences of a
/// maximum matching of compatible member pairs (`COMBINED_TYPE_SUBSCHEMAS_CHANGED` when it does not
/// cover the smaller side). Cost: a trial comparison of every member pair.
pub fn compare_combined(
    ctx: &mut Context,
    schemas: &Schemas,
    original: NodeId,
    update: NodeId,
) -> Result<(), Thrown> {
    let (o_criterion, o_members) = criterion_and_members(schemas, original);
    let (u_criterion, u_members) = criterion_and_members(schemas, update);
    let singleton = |id: NodeId| match &schemas.node(id).kind {
        Kind::Combined { subschemas, .. } => subschemas.len() == 1,
        _ => false,
    };
    if o_criterion != u_criterion {
        let extended = u_criterion == Criterion::AnyOf
            || (singleton(original) && singleton(update))
            || (singleton(original) && u_criterion == Criterion::OneOf)
            || (singleton(update) && o_criterion == Criterion::AllOf);
        if !extended {
            ctx.add(T::CombinedTypeChanged);
            return Ok(());
        }
        ctx.add(T::CombinedTypeExtended);
    }
    let (o_size, u_size) = (o_members.len(), u_members.len());
    if o_size < u_size {
        ctx.add(if u_criterion == Criterion::AllOf {
            T::ProductTypeExtended
        } else {
            T::SumTypeExtended
        });
    } else if o_size > u_size {
        ctx.add(if o_criterion == Criterion::AllOf {
            T::ProductTypeNarrowed
        } else {
            T::SumTypeNarrowed
        });
    }
    let mut edges: Vec<Vec<(usize, Vec<Difference>)>> = Vec::with_capacity(o_size);
    for (index, &o_member) in o_members.iter().enumerate() {
        ctx.enter(&format!("{}/{index}", o_criterion.keyword()));
        let mut compatible = Vec::new();
        for (j, &u_member) in u_members.iter().enumerate() {
            let mut sub = ctx.sub();
            compare_in(&mut sub, schemas, Some(o_member), Some(u_member))?;
            if sub.is_compatible() {
                compatible.push((j, sub.into_differences()));
            }
        }
        edges.push(compatible);
        ctx.leave();
    }
    let matching = maximum_matching(&edges, u_size);
    for (i, j) in matching.iter().enumerate() {
        if let Some(j) = j {
            if let Some((_, differences)) = edges[i].iter().find(|(k, _)| k == j) {
                ctx.extend(differences.clone());
            }
        }
    }
    if matching.iter().flatten().count() < o_size.min(u_size) {
        ctx.add(T::CombinedTypeSubschemasChanged);
    }
    Ok(())
}

/// A maximum matching of original members to update members over the compatible pairs
/// (Confluent's Hopcroft–Karp `MaximumCardinalityMatch`; which of several maximum matchings is
/// found follows Java hash orders there, the members' order here): for each original member,
/// the update member it is matched with. Cost: one augmenting-path search per original member.
fn maximum_matching(edges: &[Vec<(usize, Vec<Difference>)>], updates: usize) -> Vec<Option<usize>> {
    let mut matched_to: Vec<Option<usize>> = vec![None; updates];
    for original in 0..edges.len() {
        let mut visited = vec![false; updates];
        augment(edges, original, &mut visited, &mut matched_to);
    }
    let mut matching = vec![None; edges.len()];
    for (update, original) in matched_to.iter().enumerate() {
        if let Some(original) = original {
            matching[*original] = Some(update);
        }
    }
    matching
}

/// Kuhn's augmenting path from `original`.
fn augment(
    edges: &[Vec<(usize, Vec<Difference>)>],
    original: usize,
    visited: &mut [bool],
    matched_to: &mut [Option<usize>],
) -> bool {
    for (update, _) in &edges[original] {
        if visited[*update] {
            continue;
        }
        visited[*update] = true;
        let free = match matched_to[*update] {
            None => true,
            Some(other) => augment(edges, other, visited, matched_to),
        };
        if free {
            matched_to[*update] = Some(original);
            return true;
        }
    }
    false
}
