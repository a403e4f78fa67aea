//! Whether a Connect-derived .proto may be written under the subject's latest schema
//! (`latest.compatibility.strict`): Confluent's Protobuf compatibility check, reduced to what
//! decides it for converter-derived schemas — the same package and root message name, and no
//! field number whose wire type changes.

use prost_reflect::{Kind, MessageDescriptor};

use super::schema_file::SchemaFile;

fn wire_class(kind: &Kind) -> u8 {
    match kind {
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Bool | Kind::Enum(_) => 0,
        Kind::Sint32 | Kind::Sint64 => 1,
        Kind::Fixed32 | Kind::Sfixed32 | Kind::Float => 2,
        Kind::Fixed64 | Kind::Sfixed64 | Kind::Double => 3,
        Kind::String | Kind::Bytes => 4,
        Kind::Message(_) => 5,
    }
}

fn fields_agree(old: &MessageDescriptor, new: &MessageDescriptor) -> bool {
    old.fields().all(|f| match new.get_field(f.number()) {
        None => true,
        Some(g) => wire_class(&f.kind()) == wire_class(&g.kind()) && f.is_list() == g.is_list(),
    })
}

/// Whether `derived` (text) can be written under `latest` (text): both parse, and their first
/// messages have the same full name and compatible fields.
pub fn same_shape(latest: &str, derived: &str) -> bool {
    let (Ok(old), Ok(new)) = (SchemaFile::parse(latest), SchemaFile::parse(derived)) else {
        return false;
    };
    match (old.message(&[0]), new.message(&[0])) {
        (Some(o), Some(n)) => o.full_name() == n.full_name() && fields_agree(&o, &n),
        _ => false,
    }
}
