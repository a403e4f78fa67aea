//! Whether a Connect-derived .proto may be written under the subject's latest schema
//! (`latest.compatibility.strict`): Confluent 7.8's `latest.isBackwardCompatible(derived)`, its
//! `SchemaDiff` with the derived file as the original and the latest as the update, on the
//! compiled descriptors instead of Wire's parse tree.
//!
//! Incompatible: another package; a message of the derived file (top level or nested, by name)
//! missing from the latest; a field whose kind (scalar, message, map) changes, whose scalar leaves
//! its wire group (int32/int64/uint32/uint64/bool/enum, sint32/sint64, string/bytes,
//! fixed32/sfixed32, fixed64/sfixed64, float, double), whose numeric label changes between
//! `optional`, `required` and `repeated`, or whose message type gets another name or an
//! incompatible body; a required field added or removed; a field removed from a oneof; several
//! fields moved into one oneof, or one moved into a oneof that held fields before. Everything else
//! (fields and messages added, fields removed, renamed, enums changed, messages moved) is
//! compatible.

use std::collections::{HashMap, HashSet};

use prost_reflect::{Cardinality, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor};

/// Whether data written with `derived` can be read with `latest`, as Confluent's strict
/// latest-version check decides. Cost: one walk of both files' messages, each message pair once.
pub fn latest_reads_derived(latest: &FileDescriptor, derived: &FileDescriptor) -> bool {
    let mut diff = SchemaDiff::default();
    if derived.package_name() != latest.package_name() {
        return false;
    }
    diff.compare_messages(derived.messages(), latest.messages());
    diff.compatible
}

/// A field's label as Wire's parser reads the .proto text: none for proto3's implicit fields,
/// oneof members and maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Optional,
    Required,
    Repeated,
}

/// The scalar groups whose values read as one another on the wire (Confluent's `ScalarKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScalarKind {
    GeneralNumber,
    SignedNumber,
    StringOrBytes,
    Fixed32,
    Fixed64,
    Float,
    Double,
}

/// The walk's state: the message pairs compared so far (recursive types end there) and whether
/// every difference found is a compatible one.
struct SchemaDiff {
    visited: HashSet<String>,
    compatible: bool,
}

impl Default for SchemaDiff {
    fn default() -> Self {
        SchemaDiff {
            visited: HashSet::new(),
            compatible: true,
        }
    }
}

impl SchemaDiff {
    fn incompatible(&mut self) {
        self.compatible = false;
    }

    /// `SchemaDiff.compareTypeElements`: messages matched by name in one scope (map entries are
    /// not messages to Wire).
    fn compare_messages(
        &mut self,
        original: impl Iterator<Item = MessageDescriptor>,
        update: impl Iterator<Item = MessageDescriptor>,
    ) {
        let update: HashMap<String, MessageDescriptor> = update
            .filter(|m| !m.is_map_entry())
            .map(|m| (m.name().to_owned(), m))
            .collect();
        for message in original.filter(|m| !m.is_map_entry()) {
            match update.get(message.name()) {
                Some(updated) => self.compare_message(&message, updated),
                None => self.incompatible(),
            }
        }
    }

    /// `MessageSchemaDiff.compare`.
    fn compare_message(&mut self, original: &MessageDescriptor, update: &MessageDescriptor) {
        // A message met again (a recursive type) is not walked twice.
        if self.visited.insert(original.full_name().to_owned()) {
            self.compare_fields(original, update);
            self.compare_messages(original.child_messages(), update.child_messages());
        }
    }

    fn compare_fields(&mut self, original: &MessageDescriptor, update: &MessageDescriptor) {
        let mut original_by_tag = top_level_fields(original);
        let update_by_tag = top_level_fields(update);
        let original_in_oneofs: HashSet<u32> = original
            .oneofs()
            .filter(|o| !o.is_synthetic())
            .flat_map(|o| o.fields().map(|f| f.number()).collect::<Vec<_>>())
            .collect();
        for oneof in update.oneofs().filter(|o| !o.is_synthetic()) {
            let (mut moved, mut existing) = (0, 0);
            for field in oneof.fields() {
                if original_by_tag.remove(&field.number()).is_some() {
                    moved += 1;
                } else if original_in_oneofs.contains(&field.number()) {
                    existing += 1;
                }
            }
            if moved > 1 || (moved == 1 && existing > 0) {
                self.incompatible();
            }
        }
        for oneof in original.oneofs().filter(|o| !o.is_synthetic()) {
            let Some(updated) = update
                .oneofs()
                .find(|u| !u.is_synthetic() && u.name() == oneof.name())
            else {
                continue;
            };
            for field in oneof.fields() {
                match updated.fields().find(|u| u.number() == field.number()) {
                    Some(u) => self.compare_field(&field, &u),
                    None => self.incompatible(),
                }
            }
        }
        for (tag, field) in &original_by_tag {
            match update_by_tag.get(tag) {
                Some(updated) => self.compare_field(field, updated),
                None if label(field) == Some(Label::Required) => self.incompatible(),
                None => {}
            }
        }
        let required_added = update_by_tag.iter().any(|(tag, field)| {
            !original_by_tag.contains_key(tag) && label(field) == Some(Label::Required)
        });
        if required_added {
            self.incompatible();
        }
    }

    /// `FieldSchemaDiff.compare`: labels and types (names may change).
    fn compare_field(&mut self, original: &FieldDescriptor, update: &FieldDescriptor) {
        match (map_entry(original), map_entry(update)) {
            (Some((ok, ov)), Some((uk, uv))) => {
                self.compare_kinds(&ok, &uk, None);
                self.compare_kinds(&ov, &uv, None);
            }
            (None, None) => self.compare_kinds(
                &original.kind(),
                &update.kind(),
                label(original).zip(label(update)),
            ),
            _ => self.incompatible(),
        }
    }

    fn compare_kinds(&mut self, original: &Kind, update: &Kind, labels: Option<(Label, Label)>) {
        match (scalar_kind(original), scalar_kind(update)) {
            (Some(o), Some(u)) if o != u => self.incompatible(),
            (Some(kind), Some(_)) => {
                let label_changed = labels.is_some_and(|(o, u)| o != u);
                if label_changed && kind != ScalarKind::StringOrBytes {
                    self.incompatible();
                }
            }
            (None, None) => {
                if let (Kind::Message(o), Kind::Message(u)) = (original, update) {
                    if local_name(o) != local_name(u) {
                        self.incompatible();
                    } else {
                        self.compare_message(o, u);
                    }
                }
            }
            _ => self.incompatible(),
        }
    }
}

/// A message's fields outside its (non-synthetic) oneofs, by number.
fn top_level_fields(message: &MessageDescriptor) -> HashMap<u32, FieldDescriptor> {
    message
        .fields()
        .filter(|f| f.containing_oneof().is_none_or(|o| o.is_synthetic()))
        .map(|f| (f.number(), f))
        .collect()
}

/// The label the field's .proto text gives it.
fn label(field: &FieldDescriptor) -> Option<Label> {
    if field.is_map() || field.containing_oneof().is_some_and(|o| !o.is_synthetic()) {
        return None;
    }
    match field.cardinality() {
        Cardinality::Repeated => Some(Label::Repeated),
        Cardinality::Required => Some(Label::Required),
        Cardinality::Optional => {
            let explicit = field.field_descriptor_proto().proto3_optional()
                || field.parent_file().syntax() == prost_reflect::Syntax::Proto2;
            explicit.then_some(Label::Optional)
        }
    }
}

/// A map field's key and value kinds.
fn map_entry(field: &FieldDescriptor) -> Option<(Kind, Kind)> {
    let Kind::Message(entry) = field.kind() else {
        return None;
    };
    field.is_map().then(|| {
        (
            entry.map_entry_key_field().kind(),
            entry.map_entry_value_field().kind(),
        )
    })
}

fn scalar_kind(kind: &Kind) -> Option<ScalarKind> {
    Some(match kind {
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Bool | Kind::Enum(_) => {
            ScalarKind::GeneralNumber
        }
        Kind::Sint32 | Kind::Sint64 => ScalarKind::SignedNumber,
        Kind::String | Kind::Bytes => ScalarKind::StringOrBytes,
        Kind::Fixed32 | Kind::Sfixed32 => ScalarKind::Fixed32,
        Kind::Fixed64 | Kind::Sfixed64 => ScalarKind::Fixed64,
        Kind::Float => ScalarKind::Float,
        Kind::Double => ScalarKind::Double,
        Kind::Message(_) => return None,
    })
}

/// A message's name without its file's package (`Outer.Inner`).
fn local_name(message: &MessageDescriptor) -> &str {
    let package = message.package_name();
    match message.full_name().strip_prefix(package) {
        Some(rest) if !package.is_empty() => rest.strip_prefix('.').unwrap_or(rest),
        _ => message.full_name(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protobuf::schema_file::SchemaFile;

    fn file(text: &str) -> FileDescriptor {
        SchemaFile::parse(text)
            .expect("the test schema parses")
            .file
    }

    /// Whether `latest` reads what `derived` writes.
    fn reads(latest: &str, derived: &str) -> bool {
        latest_reads_derived(&file(latest), &file(derived))
    }

    const BASE: &str = r#"syntax = "proto3"; package shop;
        message Order { int64 id = 1; string name = 2; Line line = 3; map<string, int32> counts = 4;
          message Line { int32 qty = 1; } }"#;

    #[test]
    fn the_same_schema_and_additions_are_compatible() {
        assert!(reads(BASE, BASE));
        let added = r#"syntax = "proto3"; package shop;
            message Order { int64 id = 1; string name = 2; Line line = 3; map<string, int32> counts = 4;
              double extra = 5; message Line { int32 qty = 1; uint64 more = 2; } }
            message Other { int32 x = 1; }"#;
        assert!(reads(added, BASE));
    }

    #[test]
    fn removing_renaming_and_regrouping_within_wire_groups_are_compatible() {
        let latest = r#"syntax = "proto3"; package shop;
            message Other { int32 x = 1; }
            message Order { uint32 ident = 1; bytes name = 2; Line line = 3;
              message Line { bool qty = 1; } }"#;
        assert!(reads(latest, BASE));
    }

    #[test]
    fn another_package_or_a_missing_message_is_incompatible() {
        assert!(!reads(
            &BASE.replace("package shop;", "package store;"),
            BASE
        ));
        assert!(!reads(
            &BASE.replace("message Order", "message Purchase"),
            BASE
        ));
        let nested_gone = r#"syntax = "proto3"; package shop; message Order { int64 id = 1; }"#;
        assert!(!reads(nested_gone, BASE));
    }

    #[test]
    fn a_field_leaving_its_wire_group_is_incompatible() {
        for (from, to) in [
            ("int64 id = 1", "sint64 id = 1"),
            ("int64 id = 1", "double id = 1"),
            ("int64 id = 1", "fixed64 id = 1"),
            ("string name = 2", "int32 name = 2"),
            ("Line line = 3", "string line = 3"),
            (
                "map<string, int32> counts = 4",
                "map<string, string> counts = 4",
            ),
            ("map<string, int32> counts = 4", "repeated int32 counts = 4"),
        ] {
            assert!(BASE.contains(from));
            assert!(!reads(&BASE.replace(from, to), BASE), "{from} → {to}");
        }
    }

    #[test]
    fn a_numeric_label_change_is_incompatible_a_string_one_is_not() {
        let v1 = r#"syntax = "proto2"; package p;
            message M { optional int64 id = 1; optional string name = 2; }"#;
        assert!(!reads(&v1.replace("optional int64", "repeated int64"), v1));
        assert!(reads(&v1.replace("optional string", "repeated string"), v1));
        // Only two written labels are compared: proto3's implicit one differs from none.
        assert!(reads(
            &BASE.replace("int64 id = 1", "repeated int64 id = 1"),
            BASE
        ));
        assert!(reads(
            &BASE.replace("int64 id = 1", "optional int64 id = 1"),
            BASE
        ));
    }

    #[test]
    fn a_message_type_renamed_or_changed_inside_is_incompatible() {
        let renamed = BASE.replace("Line line = 3", "Row line = 3").replace(
            "message Line { int32 qty = 1; }",
            "message Line { int32 qty = 1; } message Row { int32 qty = 1; }",
        );
        assert!(!reads(&renamed, BASE));
        assert!(!reads(
            &BASE.replace("int32 qty = 1", "string qty = 1"),
            BASE
        ));
    }

    #[test]
    fn required_fields_added_or_removed_are_incompatible() {
        let v1 = r#"syntax = "proto2"; package p; message M { optional int32 a = 1; }"#;
        let required_added = r#"syntax = "proto2"; package p;
            message M { optional int32 a = 1; required int32 b = 2; }"#;
        assert!(!reads(required_added, v1));
        assert!(!reads(v1, required_added));
        assert!(reads(v1, v1));
    }

    #[test]
    fn oneof_moves_follow_confluent() {
        let flat = r#"syntax = "proto3"; package p; message M { int32 a = 1; string b = 2; }"#;
        let one_moved = r#"syntax = "proto3"; package p;
            message M { oneof u { int32 a = 1; } string b = 2; }"#;
        let both_moved = r#"syntax = "proto3"; package p;
            message M { oneof u { int32 a = 1; string b = 2; } }"#;
        assert!(reads(one_moved, flat));
        assert!(!reads(both_moved, flat));
        // A member dropped from a oneof the derived schema has.
        let member_dropped = r#"syntax = "proto3"; package p;
            message M { oneof u { int32 a = 1; } }"#;
        assert!(!reads(member_dropped, both_moved));
        assert!(reads(both_moved, member_dropped));
    }

    #[test]
    fn recursive_messages_end() {
        let tree = r#"syntax = "proto3"; package p; message Node { int32 v = 1; Node next = 2; }"#;
        assert!(reads(tree, tree));
        assert!(!reads(&tree.replace("int32 v", "string v"), tree));
    }
}
