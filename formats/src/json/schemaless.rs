//! Schemaless JSON (`schemas.enable=false`) into Arrow columns, inferred per batch (design §2).
//!
//! Records are grouped by their top-level shape: objects by their key list, other values by JSON
//! kind; each group becomes one part. Within a group the value types are merged field by field
//! (`null` fits any type); where records disagree — an integer here, a string there, or nested
//! objects with different keys — the field keeps each record's exact value as canonical JSON text
//! (the text Kafka would write) in a Utf8View column marked [`META_RAW_JSON`]. So an absent field
//! and a null field stay different records, and nothing is coerced.
//!
//! Cost: two walks over each record's tape nodes (merge, then append); one allocation per
//! distinct shape, none per record.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::{DataType, Field};

use crate::arrow_mapping::META_RAW_JSON;
use crate::column_builder::ColumnBuilder;
use crate::json::tape::{BatchTape, JNode};
use crate::json::write::{write_f64, write_i64, write_string};

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
    /// Strings.
    Str,
    /// Arrays, with the merged element shape.
    List(Box<Shape>),
    /// Objects with exactly these keys in this order.
    Object(Vec<(String, Shape)>),
    /// Values that disagree: kept as canonical JSON text.
    Raw,
}

impl Shape {
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
            (Shape::Bool, JNode::Bool(_))
            | (Shape::Int, JNode::I64(_) | JNode::U64(_))
            | (Shape::Float, JNode::F64(_))
            | (Shape::Str, JNode::Str { .. }) => return,
            (Shape::List(item), JNode::Array { len, .. }) => {
                let mut child = at + 1;
                for _ in 0..len {
                    item.merge(tape, child);
                    child += tape.node(child).span();
                }
                return;
            }
            (Shape::Object(fields), JNode::Object { len, .. }) => {
                if same_keys(tape, at, fields) {
                    return merge_values(fields, tape, at, len);
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

    /// [`Shape::merge`] for a node already known to fit this shape ([`fits_group`]): an
    /// object's keys are not compared again.
    fn merge_fitting(&mut self, tape: &BatchTape, at: usize) {
        match (&mut *self, tape.node(at)) {
            (Shape::Object(fields), JNode::Object { len, .. }) => {
                merge_values(fields, tape, at, len)
            }
            _ => self.merge(tape, at),
        }
    }

    /// The Arrow type of this shape.
    pub fn data_type(&self) -> DataType {
        match self {
            Shape::Unknown => DataType::Null,
            Shape::Bool => DataType::Boolean,
            Shape::Int => DataType::Int64,
            Shape::Float => DataType::Float64,
            Shape::Str | Shape::Raw => DataType::Utf8View,
            Shape::List(item) => DataType::List(Arc::new(item.field("item"))),
            Shape::Object(fields) => DataType::Struct(
                fields
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
    Some(Shape::Object(fields))
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

/// Merges the `len` values of the object at `at` into `fields` (same keys, same order).
fn merge_values(fields: &mut [(String, Shape)], tape: &BatchTape, at: usize, len: u32) {
    for_each_value(tape, at, len, |i, value| fields[i].1.merge(tape, value));
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

/// Sorts records into shape groups and merges their shapes as they arrive. JSON `null` roots
/// (schemaless null values) join the first group.
#[derive(Debug, Default)]
pub struct ShapeGrouper {
    groups: Vec<ShapeGroup>,
    /// Groups by the hash of their top-level key list (or kind), so finding a record's group
    /// costs one hash of its keys, not a compare against every group so far.
    by_signature: HashMap<u64, Vec<usize>>,
    nulls: Vec<(u32, usize)>,
    last: usize,
}

/// A hash of what decides a root's group: an object's key list in order, else its JSON kind.
/// Cost: one pass over the top-level key bytes.
fn group_signature(tape: &BatchTape, root: usize) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    match tape.node(root) {
        JNode::Object { len, .. } => {
            0u8.hash(&mut hasher);
            len.hash(&mut hasher);
            let mut key_at = root + 1;
            for _ in 0..len {
                key_bytes(tape, key_at).hash(&mut hasher);
                let value_at = key_at + 1;
                key_at = value_at + tape.node(value_at).span();
            }
        }
        JNode::Bool(_) => 1u8.hash(&mut hasher),
        JNode::I64(_) | JNode::U64(_) => 2u8.hash(&mut hasher),
        JNode::F64(_) => 3u8.hash(&mut hasher),
        JNode::Str { .. } => 4u8.hash(&mut hasher),
        JNode::Array { .. } => 5u8.hash(&mut hasher),
        JNode::Null => 6u8.hash(&mut hasher),
    }
    hasher.finish()
}

/// A record whose top-level object repeats a key: it must be rewritten canonically (the last value
/// wins, as in Jackson) before it can join a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatedKeys;

impl ShapeGrouper {
    /// Adds row `row` with root node `root`. A record that starts a new group is first checked for
    /// repeated top-level keys (records that match a group's key list cannot have any).
    pub fn add(&mut self, tape: &BatchTape, row: u32, root: usize) -> Result<(), RepeatedKeys> {
        if tape.node(root) == JNode::Null {
            self.nulls.push((row, root));
            return Ok(());
        }
        let fits = |g: &ShapeGroup| fits_group(tape, root, &g.shape);
        let index = if self.last < self.groups.len() && fits(&self.groups[self.last]) {
            self.last
        } else {
            let signature = group_signature(tape, root);
            let candidates = self.by_signature.get(&signature).map(Vec::as_slice);
            let found = candidates
                .unwrap_or_default()
                .iter()
                .copied()
                .find(|&i| fits(&self.groups[i]));
            match found {
                Some(index) => index,
                None if has_duplicate_keys(tape, root) => return Err(RepeatedKeys),
                None => {
                    self.groups.push(ShapeGroup {
                        shape: Shape::Unknown,
                        rows: Vec::new(),
                        roots: Vec::new(),
                    });
                    let index = self.groups.len() - 1;
                    self.by_signature.entry(signature).or_default().push(index);
                    index
                }
            }
        };
        let group = &mut self.groups[index];
        group.shape.merge_fitting(tape, root);
        group.rows.push(row);
        group.roots.push(root);
        self.last = index;
        Ok(())
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

/// Whether the root at `root` belongs to a group of `shape`: objects by key list, the rest by kind.
fn fits_group(tape: &BatchTape, root: usize, shape: &Shape) -> bool {
    match (shape, tape.node(root)) {
        (Shape::Object(fields), JNode::Object { .. }) => same_keys(tape, root, fields),
        (Shape::Bool, JNode::Bool(_))
        | (Shape::Int, JNode::I64(_) | JNode::U64(_))
        | (Shape::Float, JNode::F64(_))
        | (Shape::Str, JNode::Str { .. })
        | (Shape::List(_), JNode::Array { .. }) => true,
        _ => false,
    }
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
        (Shape::Object(fields), builder @ ColumnBuilder::Struct { .. }) => {
            if let (JNode::Object { len, .. }, ColumnBuilder::Struct { children, .. }) =
                (node, &mut *builder)
            {
                for_each_value(tape, at, len, |i, value| {
                    append(tape, value, &fields[i].1, &mut children[i], extra)
                });
            }
            builder.close_nested_row();
        }
        (_, builder) => builder.push_null(),
    }
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

    #[test]
    fn same_keys_group_together_and_nulls_fit_any_type() {
        let (tape, roots) =
            tape_of(&[r#"{"a":1,"b":null}"#, r#"{"a":null,"b":"x"}"#, r#"{"b":1}"#]);
        let groups = group_by_shape(&tape, &roots);
        assert_eq!(groups.len(), 2);
        assert_eq!(
            groups[0].shape,
            Shape::Object(vec![("a".into(), Shape::Int), ("b".into(), Shape::Str)])
        );
        assert_eq!(groups[0].rows, vec![0, 1]);
        assert_eq!(groups[1].rows, vec![2]);
    }

    #[test]
    fn conflicting_types_and_nested_key_sets_become_raw() {
        let (tape, roots) = tape_of(&[r#"{"v":1,"m":{"x":1}}"#, r#"{"v":"1","m":{"y":2}}"#]);
        let groups = group_by_shape(&tape, &roots);
        assert_eq!(
            groups[0].shape,
            Shape::Object(vec![("v".into(), Shape::Raw), ("m".into(), Shape::Raw)])
        );
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
