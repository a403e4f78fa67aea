//! Schemaless JSON (`schemas.enable=false`) into Arrow columns, inferred per batch (design §2).
//!
//! Records are grouped by their top-level JSON kind — all objects make one group, whatever keys
//! each has, as long as no two put two keys in opposite orders ([`crate::json::key_order`]) — and
//! each group becomes one part. Within a group the value types are merged field by field (`null`
//! fits any type). A key some objects lack becomes an optional field and a field that holds
//! integers in some records and other numbers in others a number field: both are
//! [variant](crate::variant) columns, so absent stays absent, null stays null, `1` stays `1` and
//! `1.5` stays `1.5`, and each object is written back with its keys in its own order. Where
//! records disagree otherwise — an integer here, a string there, nested objects with keys in
//! opposite orders — the field keeps each record's exact value as canonical JSON text (the text
//! Kafka would write) in a Utf8View column marked [`META_RAW_JSON`]. Nothing is coerced.
//!
//! Cost: two walks over each record's tape nodes (merge, then append); one allocation per
//! distinct shape, none per record whose keys come in the order of the first record's.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::{DataType, Field};

use crate::arrow_mapping::META_RAW_JSON;
use crate::column_builder::ColumnBuilder;
use crate::json::key_order::KeyOrder;
use crate::json::tape::{BatchTape, JNode};
use crate::json::write::{write_f64, write_i64, write_string};
use crate::variant::{variant_type, ABSENT, FLOAT, INT, VALUE};

/// The inferred type of a schemaless value.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Only nulls seen so far.
    Unknown,
    /// JSON booleans (BOOLEAN).
    Bool,
    /// Integral numbers (INT64, as Kafka reads them).
    Int,
    /// Other numbers (FLOAT64).
    Float,
    /// Numbers, integral in some records and not in others: a variant of both.
    Number,
    /// Strings.
    Str,
    /// Arrays, with the merged element shape.
    List(Box<Shape>),
    /// Objects, with the keys any of them had.
    Object(ObjectShape),
    /// A key that some objects lack: a variant with an absent branch.
    Optional(Box<Shape>),
    /// Values that disagree: kept as canonical JSON text.
    Raw,
}

/// The shape of objects: each key any of them had, in an order every one of them has its keys in.
#[derive(Debug, Clone)]
pub struct ObjectShape {
    /// The keys and the shapes of their values.
    pub fields: Vec<(String, Shape)>,
    /// What the objects showed of their key order.
    order: KeyOrder,
}

impl ObjectShape {
    /// The shape of objects with exactly `fields`, in that order.
    pub fn new(fields: Vec<(String, Shape)>) -> ObjectShape {
        let order = KeyOrder::total(fields.len());
        ObjectShape { fields, order }
    }

    /// Merges an object with exactly these keys, in this order. Cost: a merge per value.
    fn merge_same_keys(&mut self, tape: &BatchTape, at: usize, len: u32) {
        self.order.pin();
        let fields = &mut self.fields;
        for_each_value(tape, at, len, |i, value| fields[i].1.merge(tape, value));
    }
}

/// Object shapes are equal when their fields are: the key order is what built them.
impl PartialEq for ObjectShape {
    fn eq(&self, other: &ObjectShape) -> bool {
        self.fields == other.fields
    }
}

impl Shape {
    /// The shape of objects with exactly `fields`, in that order.
    pub fn object(fields: Vec<(String, Shape)>) -> Shape {
        Shape::Object(ObjectShape::new(fields))
    }

    /// The shape of one node, before merging with others.
    fn of(tape: &BatchTape, at: usize) -> Shape {
        let mut shape = Shape::Unknown;
        shape.merge(tape, at);
        shape
    }

    /// Widens this shape to also describe the node at `at`.
    pub fn merge(&mut self, tape: &BatchTape, at: usize) {
        let node = tape.node(at);
        let merged = match (&mut *self, node) {
            (_, JNode::Null) | (Shape::Raw, _) => return,
            (Shape::Optional(present), _) => return present.merge(tape, at),
            (Shape::Bool, JNode::Bool(_))
            | (Shape::Int | Shape::Number, JNode::I64(_) | JNode::U64(_))
            | (Shape::Float | Shape::Number, JNode::F64(_))
            | (Shape::Str, JNode::Str { .. }) => return,
            (Shape::Int, JNode::F64(_)) | (Shape::Float, JNode::I64(_) | JNode::U64(_)) => {
                Shape::Number
            }
            (Shape::List(item), JNode::Array { len, .. }) => {
                let mut child = at + 1;
                for _ in 0..len {
                    item.merge(tape, child);
                    child += tape.node(child).span();
                }
                return;
            }
            (Shape::Object(object), JNode::Object { len, .. }) => {
                if same_keys(tape, at, &object.fields) {
                    return object.merge_same_keys(tape, at, len);
                }
                if !has_duplicate_keys(tape, at) && merge_other_keys(object, tape, at) {
                    return;
                }
                Shape::Raw
            }
            (Shape::Unknown, JNode::Bool(_)) => Shape::Bool,
            (Shape::Unknown, JNode::I64(_) | JNode::U64(_)) => Shape::Int,
            (Shape::Unknown, JNode::F64(_)) => Shape::Float,
            (Shape::Unknown, JNode::Str { .. }) => Shape::Str,
            (Shape::Unknown, JNode::Array { .. }) => {
                let mut list = Shape::List(Box::new(Shape::Unknown));
                list.merge(tape, at);
                list
            }
            (Shape::Unknown, JNode::Object { .. }) => match object_shape(tape, at) {
                Some(shape) => shape,
                None => Shape::Raw,
            },
            _ => Shape::Raw,
        };
        *self = merged;
    }

    /// Marks a field some objects lack (no change where it is optional already).
    fn make_optional(&mut self) {
        if !matches!(self, Shape::Optional(_)) {
            *self = Shape::Optional(Box::new(std::mem::replace(self, Shape::Unknown)));
        }
    }

    /// The Arrow type of this shape.
    pub fn data_type(&self) -> DataType {
        match self {
            Shape::Unknown => DataType::Null,
            Shape::Bool => DataType::Boolean,
            Shape::Int => DataType::Int64,
            Shape::Float => DataType::Float64,
            Shape::Number => variant_type(number_kinds()),
            Shape::Optional(present) => {
                let mut children = vec![Field::new(ABSENT, DataType::Null, true)];
                match **present {
                    Shape::Number => children.extend(number_kinds()),
                    _ => children.push(present.field(VALUE)),
                }
                variant_type(children)
            }
            Shape::Str | Shape::Raw => DataType::Utf8View,
            Shape::List(item) => DataType::List(Arc::new(item.field("item"))),
            Shape::Object(object) => DataType::Struct(
                object
                    .fields
                    .iter()
                    .map(|(name, shape)| shape.field(name))
                    .collect::<Vec<_>>()
                    .into(),
            ),
        }
    }

    /// A nullable field of this shape, marked when it holds raw JSON text.
    pub fn field(&self, name: &str) -> Field {
        let field = Field::new(name, self.data_type(), true);
        if *self == Shape::Raw {
            field.with_metadata(HashMap::from([(
                META_RAW_JSON.to_string(),
                "true".to_string(),
            )]))
        } else {
            field
        }
    }
}

/// The children of a number variant: integers, then other numbers.
fn number_kinds() -> Vec<Field> {
    vec![
        Field::new(INT, DataType::Int64, true),
        Field::new(FLOAT, DataType::Float64, true),
    ]
}

/// Merges the object at `at` (no repeated keys) into `object` when its keys differ from its
/// fields', keeping every object's own key order (so each is written back as it came; see
/// [`KeyOrder`]): fields it lacks become optional, keys it adds are added as optional (earlier
/// objects lacked them), and the fields move where its order asks. `false`, and nothing changed,
/// where its key order contradicts another object's. Cost: a scan of the fields per key.
fn merge_other_keys(object: &mut ObjectShape, tape: &BatchTape, at: usize) -> bool {
    let JNode::Object { len, .. } = tape.node(at) else {
        return false;
    };
    let ObjectShape { fields, order } = object;
    let position = |fields: &[(String, Shape)], value_at: usize| {
        let key = key_bytes(tape, value_at - 1);
        fields.iter().position(|(name, _)| name.as_bytes() == key)
    };
    let known = fields.len();
    let added = values_of(tape, at, len)
        .filter(|&v| position(fields, v).is_none())
        .count();
    let mut next = known;
    let positions = values_of(tape, at, len).map(|v| {
        position(fields, v).unwrap_or_else(|| {
            next += 1;
            next - 1
        })
    });
    if !order.admit(known + added, positions) {
        return false;
    }
    let mut present = 0u128;
    for value_at in values_of(tape, at, len) {
        let p = match position(fields, value_at) {
            Some(p) => {
                fields[p].1.merge(tape, value_at);
                p
            }
            None => {
                let key = key_text(tape, value_at - 1).to_string();
                let shape = Shape::Optional(Box::new(Shape::of(tape, value_at)));
                fields.push((key, shape));
                fields.len() - 1
            }
        };
        present |= 1 << p;
    }
    for (p, (_, shape)) in fields.iter_mut().enumerate() {
        if present & (1 << p) == 0 {
            shape.make_optional();
        }
    }
    if let Some(moved) = order.reorder() {
        let mut old: Vec<Option<(String, Shape)>> = fields.drain(..).map(Some).collect();
        fields.extend(moved.into_iter().filter_map(|p| old[p].take()));
    }
    true
}

/// The object shape of the node at `at` with unknown field types merged from it, or `None` when
/// its keys repeat (Jackson keeps the last; the caller rewrites such records canonically first).
fn object_shape(tape: &BatchTape, at: usize) -> Option<Shape> {
    let JNode::Object { len, .. } = tape.node(at) else {
        return None;
    };
    if has_duplicate_keys(tape, at) {
        return None;
    }
    let mut fields: Vec<(String, Shape)> = Vec::with_capacity(len as usize);
    let mut key_at = at + 1;
    for _ in 0..len {
        let key = key_text(tape, key_at);
        let value_at = key_at + 1;
        fields.push((key.to_string(), Shape::of(tape, value_at)));
        key_at = value_at + tape.node(value_at).span();
    }
    Some(Shape::object(fields))
}

fn key_text(tape: &BatchTape, at: usize) -> &str {
    match tape.node(at) {
        JNode::Str { start, len } => tape.str(start, len),
        _ => "",
    }
}

/// A key's bytes: comparing bytes skips the UTF-8 check `key_text` pays (simd-json validated).
#[inline]
fn key_bytes(tape: &BatchTape, at: usize) -> &[u8] {
    match tape.node(at) {
        JNode::Str { start, len } => tape.bytes(start, len),
        _ => b"",
    }
}

/// Whether the object at `at` has exactly `fields`' keys in order.
fn same_keys(tape: &BatchTape, at: usize, fields: &[(String, Shape)]) -> bool {
    let JNode::Object { len, .. } = tape.node(at) else {
        return false;
    };
    if len as usize != fields.len() {
        return false;
    }
    let mut key_at = at + 1;
    for (name, _) in fields {
        if key_bytes(tape, key_at) != name.as_bytes() {
            return false;
        }
        let value_at = key_at + 1;
        key_at = value_at + tape.node(value_at).span();
    }
    true
}

/// The value nodes of the `len` entries of the object at `at`, in order.
fn values_of(tape: &BatchTape, at: usize, len: u32) -> impl Iterator<Item = usize> + '_ {
    let mut key_at = at + 1;
    (0..len).map(move |_| {
        let value_at = key_at + 1;
        key_at = value_at + tape.node(value_at).span();
        value_at
    })
}

/// Calls `f(i, value_index)` for each of the `len` values of the object at `at`.
#[inline]
fn for_each_value(tape: &BatchTape, at: usize, len: u32, mut f: impl FnMut(usize, usize)) {
    let mut key_at = at + 1;
    for i in 0..len as usize {
        let value_at = key_at + 1;
        f(i, value_at);
        key_at = value_at + tape.node(value_at).span();
    }
}

/// Whether the object at `at` repeats one of its own keys (nested objects are not looked at:
/// inference turns a nested object with repeated keys into raw JSON text, written deduplicated).
pub fn has_duplicate_keys(tape: &BatchTape, at: usize) -> bool {
    let JNode::Object { len, .. } = tape.node(at) else {
        return false;
    };
    let mut seen = SeenKeys::with_capacity(len as usize);
    let mut key_at = at + 1;
    for _ in 0..len {
        if seen.insert(key_bytes(tape, key_at)).is_some() {
            return true;
        }
        let value_at = key_at + 1;
        key_at = value_at + tape.node(value_at).span();
    }
    false
}

/// Keys seen so far in one object, each with the position it was first seen at: a linear scan
/// over an inline array while the object is small (no allocation), a hash map beyond, so a wide
/// (or hostile) record costs linear time.
pub(crate) struct SeenKeys<'a> {
    keys: [&'a [u8]; SCAN_LIMIT],
    scanned: usize,
    index: HashMap<&'a [u8], usize>,
}

/// Objects up to this many keys are scanned by [`SeenKeys`]; wider ones are hashed.
const SCAN_LIMIT: usize = 16;

impl<'a> SeenKeys<'a> {
    /// An empty set; `len` (the object's key count) sizes the hash map of a wide object.
    pub(crate) fn with_capacity(len: usize) -> SeenKeys<'a> {
        SeenKeys {
            keys: [&[]; SCAN_LIMIT],
            scanned: 0,
            index: if len > SCAN_LIMIT {
                HashMap::with_capacity(len)
            } else {
                HashMap::new()
            },
        }
    }

    /// Records `key`; the position it was first seen at when it is a repeat, else `None`.
    /// Cost: O(1) amortised (at most [`SCAN_LIMIT`] compares while small).
    pub(crate) fn insert(&mut self, key: &'a [u8]) -> Option<usize> {
        if self.index.is_empty() {
            if let Some(i) = self.keys[..self.scanned].iter().position(|k| *k == key) {
                return Some(i);
            }
            if self.scanned < SCAN_LIMIT {
                self.keys[self.scanned] = key;
                self.scanned += 1;
                return None;
            }
            self.index
                .extend(self.keys.iter().enumerate().map(|(i, k)| (*k, i)));
        }
        let next = self.index.len();
        match self.index.entry(key) {
            std::collections::hash_map::Entry::Occupied(seen) => Some(*seen.get()),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(next);
                None
            }
        }
    }
}

/// Appends the node at `at` as the canonical JSON Kafka would write for it: integers as longs
/// (wrapping like `BigInteger.longValue`), other numbers as Java doubles, and objects with a
/// repeated key keeping the last value at the first key's place (Jackson's `ObjectNode`).
/// Cost: one walk of the nodes plus a repeated-key check per object; allocates only for an
/// object that repeats a key or has more than 16 keys.
pub fn write_canonical(tape: &BatchTape, at: usize, out: &mut Vec<u8>) {
    match tape.node(at) {
        JNode::Str { start, len } => write_string(out, tape.str(start, len)),
        JNode::I64(v) => write_i64(out, v),
        JNode::U64(v) => write_i64(out, v as i64),
        JNode::F64(v) => write_f64(out, v),
        JNode::Bool(v) => out.extend_from_slice(if v { b"true" } else { b"false" }),
        JNode::Null => out.extend_from_slice(b"null"),
        JNode::Array { len, .. } => {
            out.push(b'[');
            let mut child = at + 1;
            for i in 0..len {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(tape, child, out);
                child += tape.node(child).span();
            }
            out.push(b']');
        }
        JNode::Object { len, .. } if !has_duplicate_keys(tape, at) => {
            out.push(b'{');
            for_each_value(tape, at, len, |i, value_at| {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, key_text(tape, value_at - 1));
                out.push(b':');
                write_canonical(tape, value_at, out);
            });
            out.push(b'}');
        }
        JNode::Object { len, .. } => {
            // (key, index of the value that wins) in first-appearance order.
            let mut entries: Vec<(&str, usize)> = Vec::with_capacity(len as usize);
            let mut seen = SeenKeys::with_capacity(len as usize);
            let mut key_at = at + 1;
            for _ in 0..len {
                let key = key_text(tape, key_at);
                let value_at = key_at + 1;
                match seen.insert(key.as_bytes()) {
                    Some(first) => entries[first].1 = value_at,
                    None => entries.push((key, value_at)),
                }
                key_at = value_at + tape.node(value_at).span();
            }
            out.push(b'{');
            for (i, (key, value_at)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, key);
                out.push(b':');
                write_canonical(tape, *value_at, out);
            }
            out.push(b'}');
        }
    }
}

/// A group of records with one top-level shape, as it is built.
#[derive(Debug)]
pub struct ShapeGroup {
    /// The merged shape.
    pub shape: Shape,
    /// Batch rows in the group, ascending.
    pub rows: Vec<u32>,
    /// Root node of each row.
    pub roots: Vec<usize>,
}

/// Sorts records into groups and merges their shapes as they arrive: one group per JSON kind of
/// the top level (integral and other numbers apart: a record's top level is never a variant),
/// except objects, which share a group as long as their key orders agree (see
/// [`merge_other_keys`]). JSON `null` roots (schemaless null values) join the first group.
#[derive(Debug, Default)]
pub struct ShapeGrouper {
    groups: Vec<ShapeGroup>,
    /// The group of each kind of non-object root ([`group_kind`]), once it has one.
    by_kind: [Option<usize>; 6],
    /// The object groups, in order of creation.
    objects: Vec<usize>,
    /// The object group that a key list (by hash) joined, which fits it again.
    by_signature: HashMap<u64, usize>,
    /// The object group the last object joined.
    last_object: Option<usize>,
    nulls: Vec<(u32, usize)>,
}

/// How many object groups an object whose key list is new tries before it starts its own: bounds
/// the cost of a batch whose objects disagree on key order to a few merges per record.
const GROUPS_TRIED: usize = 4;

/// The group kind of a non-object, non-null root.
fn group_kind(node: JNode) -> usize {
    match node {
        JNode::Bool(_) => 0,
        JNode::I64(_) | JNode::U64(_) => 1,
        JNode::F64(_) => 2,
        JNode::Str { .. } => 3,
        JNode::Array { .. } => 4,
        JNode::Object { .. } | JNode::Null => 5,
    }
}

/// A hash of an object's key list in order. Cost: one pass over the top-level key bytes.
fn key_list_signature(tape: &BatchTape, root: usize, len: u32) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    len.hash(&mut hasher);
    for_each_value(tape, root, len, |_, value_at| {
        key_bytes(tape, value_at - 1).hash(&mut hasher)
    });
    hasher.finish()
}

/// A record whose top-level object repeats a key: it must be rewritten canonically (the last value
/// wins, as in Jackson) before it can join a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatedKeys;

impl ShapeGrouper {
    /// Adds row `row` with root node `root`. An object whose keys differ from its last group's
    /// is first checked for repeated keys; one whose key list matches cannot have any. Cost: a
    /// compare of the key list; where it differs, a scan for repeats and a merge per group tried.
    pub fn add(&mut self, tape: &BatchTape, row: u32, root: usize) -> Result<(), RepeatedKeys> {
        let index = match tape.node(root) {
            JNode::Null => {
                self.nulls.push((row, root));
                return Ok(());
            }
            JNode::Object { len, .. } => self.join_object_group(tape, root, len)?,
            node => {
                let kind = group_kind(node);
                let index = match self.by_kind[kind] {
                    Some(index) => index,
                    None => self.new_group(),
                };
                self.by_kind[kind] = Some(index);
                self.groups[index].shape.merge(tape, root);
                index
            }
        };
        let group = &mut self.groups[index];
        group.rows.push(row);
        group.roots.push(root);
        Ok(())
    }

    /// The object group the object at `root` joins, its shape merged in: the last one an object
    /// joined where its key list matches; else the one its key list joined before, that last
    /// one, or one of the first [`GROUPS_TRIED`], whichever its key order fits first; else a new
    /// one.
    fn join_object_group(
        &mut self,
        tape: &BatchTape,
        root: usize,
        len: u32,
    ) -> Result<usize, RepeatedKeys> {
        if let Some(last) = self.last_object {
            if let Shape::Object(object) = &mut self.groups[last].shape {
                if same_keys(tape, root, &object.fields) {
                    object.merge_same_keys(tape, root, len);
                    return Ok(last);
                }
            }
        }
        if has_duplicate_keys(tape, root) {
            return Err(RepeatedKeys);
        }
        let signature = key_list_signature(tape, root, len);
        let mut candidates = [None; GROUPS_TRIED + 2];
        candidates[0] = self.by_signature.get(&signature).copied();
        candidates[1] = self.last_object;
        for (slot, &g) in candidates[2..].iter_mut().zip(&self.objects) {
            *slot = Some(g);
        }
        let joined = candidates
            .into_iter()
            .flatten()
            .find(|&g| match &mut self.groups[g].shape {
                Shape::Object(object) => merge_other_keys(object, tape, root),
                _ => false,
            });
        let index = match joined {
            Some(index) => index,
            None => {
                let index = self.new_group();
                self.objects.push(index);
                self.groups[index].shape.merge(tape, root);
                index
            }
        };
        self.by_signature.insert(signature, index);
        self.last_object = Some(index);
        Ok(index)
    }

    /// Starts an empty group; its index.
    fn new_group(&mut self) -> usize {
        self.groups.push(ShapeGroup {
            shape: Shape::Unknown,
            rows: Vec::new(),
            roots: Vec::new(),
        });
        self.groups.len() - 1
    }

    /// The groups, each with its rows in input order.
    pub fn finish(mut self) -> Vec<ShapeGroup> {
        if self.nulls.is_empty() {
            return self.groups;
        }
        if self.groups.is_empty() {
            self.groups.push(ShapeGroup {
                shape: Shape::Unknown,
                rows: Vec::new(),
                roots: Vec::new(),
            });
        }
        let first = &mut self.groups[0];
        let mut merged: Vec<(u32, usize)> = first
            .rows
            .iter()
            .copied()
            .zip(first.roots.iter().copied())
            .collect();
        merged.extend(self.nulls);
        merged.sort_unstable_by_key(|(row, _)| *row);
        first.rows = merged.iter().map(|(r, _)| *r).collect();
        first.roots = merged.iter().map(|(_, n)| *n).collect();
        self.groups
    }
}

/// Groups `records` (row, root node) in one go; see [`ShapeGrouper`]. Records with repeated
/// top-level keys are an error here: callers that may have them use the grouper directly.
#[cfg(test)]
fn group_by_shape(tape: &BatchTape, records: &[(u32, usize)]) -> Vec<ShapeGroup> {
    let mut grouper = ShapeGrouper::default();
    for &(row, root) in records {
        grouper
            .add(tape, row, root)
            .expect("test records have no repeated keys");
    }
    grouper.finish()
}

/// Appends the node at `at`, of shape `shape`, to `builder`. String nodes become views into the
/// batch buffer (buffer 0); raw values' canonical text is appended to `extra` (buffer 1).
pub fn append(
    tape: &BatchTape,
    at: usize,
    shape: &Shape,
    builder: &mut ColumnBuilder,
    extra: &mut Vec<u8>,
) {
    let node = tape.node(at);
    if node == JNode::Null {
        builder.push_null();
        return;
    }
    match (shape, builder) {
        (Shape::Number | Shape::Optional(_), builder @ ColumnBuilder::Variant { .. }) => {
            let (kind, present) = match shape {
                _ if is_number(shape) => match node {
                    JNode::I64(_) | JNode::U64(_) => (INT, shape),
                    _ => (FLOAT, shape),
                },
                Shape::Optional(present) => (VALUE, &**present),
                _ => (VALUE, shape),
            };
            if let Some(child) = builder.push_variant(kind) {
                append(tape, at, present, child, extra);
            }
        }
        (Shape::Raw, ColumnBuilder::Utf8(views)) => {
            let start = extra.len();
            write_canonical(tape, at, extra);
            views.push(&extra[start..], 1, start as u32);
        }
        (_, ColumnBuilder::Utf8(views)) => {
            if let JNode::Str { start, len } = node {
                views.push(tape.bytes(start, len), 0, start);
            }
        }
        (_, builder @ ColumnBuilder::Boolean(..)) => {
            if let JNode::Bool(v) = node {
                builder.push_bool(v);
            }
        }
        (_, ColumnBuilder::Int64(c)) => match node {
            JNode::I64(v) => c.push(v),
            JNode::U64(v) => c.push(v as i64),
            _ => {}
        },
        (_, ColumnBuilder::Float64(c)) => {
            if let JNode::F64(v) = node {
                c.push(v);
            }
        }
        (Shape::List(item), builder @ ColumnBuilder::List { .. }) => {
            if let (JNode::Array { len, .. }, ColumnBuilder::List { child, .. }) =
                (node, &mut *builder)
            {
                let mut element = at + 1;
                for _ in 0..len {
                    append(tape, element, item, child, extra);
                    element += tape.node(element).span();
                }
            }
            builder.close_nested_row();
        }
        (Shape::Object(ObjectShape { fields, .. }), builder @ ColumnBuilder::Struct { .. }) => {
            if let (JNode::Object { len, .. }, ColumnBuilder::Struct { children, .. }) =
                (node, &mut *builder)
            {
                if same_keys(tape, at, fields) {
                    for_each_value(tape, at, len, |i, value| {
                        append(tape, value, &fields[i].1, &mut children[i], extra)
                    });
                } else {
                    append_other_keys(tape, at, len, fields, children, extra);
                }
            }
            builder.close_nested_row();
        }
        (_, builder) => builder.push_null(),
    }
}

/// Whether values of `shape` are numbers of both kinds (a number variant, maybe optional).
fn is_number(shape: &Shape) -> bool {
    match shape {
        Shape::Number => true,
        Shape::Optional(present) => **present == Shape::Number,
        _ => false,
    }
}

/// Appends the object at `at` whose keys differ from `fields` (its keys are among them, in their
/// order: [`merge_other_keys`]): each value to its field's builder, and absent to the fields it
/// lacks. Cost: one walk of `fields` alongside the keys.
fn append_other_keys(
    tape: &BatchTape,
    at: usize,
    len: u32,
    fields: &[(String, Shape)],
    children: &mut [ColumnBuilder],
    extra: &mut Vec<u8>,
) {
    let mut cursor = 0;
    for_each_value(tape, at, len, |_, value_at| {
        let key = key_bytes(tape, value_at - 1);
        let found = fields[cursor..]
            .iter()
            .position(|(name, _)| name.as_bytes() == key);
        if let Some(offset) = found {
            let p = cursor + offset;
            children[cursor..p]
                .iter_mut()
                .for_each(ColumnBuilder::push_absent);
            append(tape, value_at, &fields[p].1, &mut children[p], extra);
            cursor = p + 1;
        }
    });
    children[cursor..]
        .iter_mut()
        .for_each(ColumnBuilder::push_absent);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::tape::{Span, TapeParser};

    fn tape_of(docs: &[&str]) -> (BatchTape, Vec<(u32, usize)>) {
        let mut batch = BatchTape::default();
        let mut spans = Vec::new();
        for d in docs {
            spans.push(Span {
                start: batch.buffer.len(),
                len: d.len(),
            });
            batch.buffer.extend_from_slice(d.as_bytes());
        }
        batch
            .buffer
            .resize(batch.buffer.len() + simd_json::INPUT_PADDING, 0);
        let mut parser = TapeParser::default();
        let roots = spans
            .iter()
            .enumerate()
            .map(|(i, s)| (i as u32, parser.parse(&mut batch, *s).unwrap()))
            .collect();
        (batch, roots)
    }

    fn optional(shape: Shape) -> Shape {
        Shape::Optional(Box::new(shape))
    }

    #[test]
    fn objects_share_a_group_and_keys_some_lack_become_optional() {
        let (tape, roots) = tape_of(&[
            r#"{"a":1,"b":null}"#,
            r#"{"a":null,"b":"x"}"#,
            r#"{"b":"y","c":true}"#,
            r#"7"#,
        ]);
        let groups = group_by_shape(&tape, &roots);
        assert_eq!(groups.len(), 2);
        assert_eq!(
            groups[0].shape,
            Shape::object(vec![
                ("a".into(), optional(Shape::Int)),
                ("b".into(), Shape::Str),
                ("c".into(), optional(Shape::Bool)),
            ])
        );
        assert_eq!(groups[0].rows, vec![0, 1, 2]);
        assert_eq!(groups[1].shape, Shape::Int);
    }

    #[test]
    fn a_key_added_later_goes_after_the_key_before_it() {
        let (tape, roots) = tape_of(&[r#"{"a":1,"c":2}"#, r#"{"a":1,"b":2,"c":3}"#, r#"{"c":1}"#]);
        let groups = group_by_shape(&tape, &roots);
        let Shape::Object(ObjectShape { fields, .. }) = &groups[0].shape else {
            panic!("not an object: {:?}", groups[0].shape)
        };
        let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(groups.len(), 1);
    }

    #[test]
    fn integers_and_other_numbers_make_a_number_not_raw_text() {
        let (tape, roots) = tape_of(&[r#"{"n":1,"l":[1]}"#, r#"{"n":1.5,"l":[2.5,null]}"#]);
        let groups = group_by_shape(&tape, &roots);
        assert_eq!(
            groups[0].shape,
            Shape::object(vec![
                ("n".into(), Shape::Number),
                ("l".into(), Shape::List(Box::new(Shape::Number))),
            ])
        );
        // The top level itself is never a variant.
        let (tape, roots) = tape_of(&["1", "1.5"]);
        let kinds: Vec<Shape> = group_by_shape(&tape, &roots)
            .into_iter()
            .map(|g| g.shape)
            .collect();
        assert_eq!(kinds, vec![Shape::Int, Shape::Float]);
    }

    #[test]
    fn conflicting_types_and_key_orders_become_raw_or_other_groups() {
        let (tape, roots) = tape_of(&[
            r#"{"v":1,"m":{"x":1},"o":{"p":1,"q":2}}"#,
            r#"{"v":"1","m":{"y":2},"o":{"q":2,"p":1}}"#,
        ]);
        let groups = group_by_shape(&tape, &roots);
        assert_eq!(
            groups[0].shape,
            Shape::object(vec![
                ("v".into(), Shape::Raw),
                (
                    "m".into(),
                    Shape::object(vec![
                        ("x".into(), optional(Shape::Int)),
                        ("y".into(), optional(Shape::Int)),
                    ])
                ),
                ("o".into(), Shape::Raw),
            ])
        );
        let (tape, roots) = tape_of(&[r#"{"a":1,"b":2}"#, r#"{"b":2,"a":1}"#, r#"{"b":3}"#]);
        let groups = group_by_shape(&tape, &roots);
        assert_eq!(
            groups.len(),
            2,
            "objects whose keys come in another order: another group"
        );
        // `{"b":3}` fits both orders: it joins the group the last object joined.
        assert_eq!(groups[1].rows, vec![1, 2]);
    }

    #[test]
    fn canonical_text_keeps_the_last_duplicate_at_the_first_place() {
        let (tape, roots) = tape_of(&[r#"{"d":0,"e":[1,2.5e3],"d":1}"#]);
        assert!(has_duplicate_keys(&tape, roots[0].1));
        assert_eq!(
            ShapeGrouper::default().add(&tape, 0, roots[0].1),
            Err(RepeatedKeys)
        );
        let mut out = Vec::new();
        write_canonical(&tape, roots[0].1, &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), r#"{"d":1,"e":[1,2500.0]}"#);
    }
}
