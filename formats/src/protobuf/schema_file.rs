//! A registry Protobuf schema compiled once: its .proto text and its references (fetched from
//! the registry by subject and version, recursively) parsed in pure Rust by protox into a
//! prost-reflect descriptor pool, and the message a message-index array names.

use std::collections::HashMap;
use std::sync::Arc;

use prost_reflect::{DescriptorPool, EnumDescriptor, FileDescriptor, MessageDescriptor};
use protox::file::{File, FileResolver, GoogleFileResolver};

use super::well_known::embedded_source;
use crate::registry::{SchemaRegistry, SchemaString};

/// The name the registry schema's own file gets in the pool (no reference can take it: it is
/// not a path).
const ROOT_FILE: &str = "<schema>";

/// References nest at most this deep (a cycle of references is an error, not a loop).
const MAX_REFERENCE_DEPTH: usize = 32;

/// A compiled registry schema.
#[derive(Debug, Clone)]
pub struct SchemaFile {
    /// The schema's own file.
    pub file: FileDescriptor,
}

/// Serves the root text, the referenced texts and the embedded well-known files to protox.
struct Resolver {
    sources: HashMap<String, String>,
    google: GoogleFileResolver,
}

impl FileResolver for Resolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if let Some(source) = self.sources.get(name) {
            return File::from_source(name, source);
        }
        if let Some(source) = embedded_source(name) {
            return File::from_source(name, source);
        }
        self.google.open_file(name)
    }
}

/// The symbol weir adds (number 0, first) to a proto3 enum that has no zero value: Wire and the
/// registry accept such enums (the converter derives them from proto2 schemas), protox does
/// not. The decoder and the schema mapping never show it.
pub const ENUM_ZERO_PLACEHOLDER: &str = "WEIR_PROTO3_ENUM_ZERO_PLACEHOLDER";

/// The number an unset field of enum `e` reads as: its first declared value's, as in
/// protobuf-java, never weir's placeholder (prost-reflect's `values()` go by number, not by
/// declaration). Costs a walk over the declared values.
pub fn enum_default(e: &EnumDescriptor) -> i32 {
    e.enum_descriptor_proto()
        .value
        .iter()
        .find(|v| v.name() != ENUM_ZERO_PLACEHOLDER)
        .map_or(0, |v| v.number())
}

/// Whether an enum body (the text between its braces) declares a value numbered 0.
fn declares_zero(body: &str) -> bool {
    body.split(';').any(|decl| {
        decl.split_once('=').is_some_and(|(_, rest)| {
            let number = rest.trim_start();
            let number = number.split(|c: char| c.is_whitespace() || c == '[').next();
            matches!(number, Some("0" | "-0" | "0x0" | "00"))
        })
    })
}

/// Adds [`ENUM_ZERO_PLACEHOLDER`] to the proto3 enums of `text` that have no zero value.
fn with_enum_zeros(text: &str) -> String {
    if !text.contains("\"proto3\"") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("enum ") {
        let preceded_ok = at == 0
            || rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_whitespace() || c == ';' || c == '{' || c == '}');
        let Some(open) = rest[at..].find('{').map(|o| at + o) else {
            break;
        };
        let header_ok = rest[at + 5..open]
            .trim()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&rest[..=open]);
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            rest = &rest[open + 1..];
            continue;
        };
        if preceded_ok && header_ok && !declares_zero(&rest[open + 1..close]) {
            out.push_str(&format!("\n  {ENUM_ZERO_PLACEHOLDER} = 0;"));
        }
        rest = &rest[open + 1..];
    }
    out.push_str(rest);
    out
}

/// Stored schemas use `(confluent.field_meta)` options without importing their definition
/// (Confluent's printer drops the import); Wire accepts that, protox needs the import.
fn with_meta_import(text: &str) -> String {
    let text = &with_enum_zeros(text);
    if !text.contains("(confluent.") || text.contains("\"confluent/meta.proto\"") {
        return text.to_string();
    }
    let import = "import \"confluent/meta.proto\";\n";
    // After the `syntax`/`package` lines when there are any (imports must follow `syntax`).
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let header =
            t.starts_with("syntax") || t.starts_with("package") || t.starts_with("edition");
        if header || t.is_empty() || t.starts_with("//") {
            at += line.len();
        } else {
            break;
        }
    }
    let mut out = String::with_capacity(text.len() + import.len());
    out.push_str(&text[..at]);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(import);
    out.push_str(&text[at..]);
    out
}

fn collect_references(
    registry: &dyn SchemaRegistry,
    schema: &SchemaString,
    sources: &mut HashMap<String, String>,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_REFERENCE_DEPTH {
        return Err("references nest too deep (a cycle?)".into());
    }
    for r in &schema.references {
        if sources.contains_key(&r.name) {
            continue;
        }
        let found = registry
            .version(&r.subject, r.version)
            .map_err(|e| e.java_text())?;
        sources.insert(r.name.clone(), with_meta_import(&found.schema.schema));
        collect_references(registry, &found.schema, sources, depth + 1)?;
    }
    Ok(())
}

impl SchemaFile {
    /// Parses `schema` (a PROTOBUF registry schema), fetching its references from `registry`.
    /// Costs a registry look-up per reference and a protox compile; cache the result per id.
    pub fn compile(
        registry: &dyn SchemaRegistry,
        schema: &SchemaString,
    ) -> Result<SchemaFile, String> {
        let mut sources = HashMap::new();
        collect_references(registry, schema, &mut sources, 0)?;
        sources.insert(ROOT_FILE.to_string(), with_meta_import(&schema.schema));
        Self::from_sources(sources)
    }

    /// Parses a schema text with no references (tests, derived schemas).
    pub fn parse(text: &str) -> Result<SchemaFile, String> {
        let mut sources = HashMap::new();
        sources.insert(ROOT_FILE.to_string(), with_meta_import(text));
        Self::from_sources(sources)
    }

    fn from_sources(sources: HashMap<String, String>) -> Result<SchemaFile, String> {
        let resolver = Resolver {
            sources,
            google: GoogleFileResolver::new(),
        };
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.include_imports(true);
        compiler
            .open_file(ROOT_FILE)
            .map_err(|e| format!("IllegalArgumentException: {e}"))?;
        let pool: DescriptorPool = compiler.descriptor_pool();
        let file = pool
            .get_file_by_name(ROOT_FILE)
            .ok_or_else(|| "the compiled schema lost its own file".to_string())?;
        Ok(SchemaFile { file })
    }

    /// The message `indexes` names: top-level message `indexes[0]`, then nested messages.
    /// `None` when an index is out of range.
    pub fn message(&self, indexes: &[i32]) -> Option<MessageDescriptor> {
        let (&first, rest) = indexes.split_first()?;
        let mut message = self.file.messages().nth(usize::try_from(first).ok()?)?;
        for &i in rest {
            let next = message.child_messages().nth(usize::try_from(i).ok()?)?;
            message = next;
        }
        Some(message)
    }

    /// The message-index array of `message` within this file (its path of positions).
    pub fn indexes_of(message: &MessageDescriptor) -> Vec<i32> {
        let mut path = Vec::new();
        let mut current = message.clone();
        loop {
            match current.parent_message() {
                Some(parent) => {
                    let at = parent
                        .child_messages()
                        .position(|m| m.full_name() == current.full_name())
                        .unwrap_or(0);
                    path.push(at as i32);
                    current = parent;
                }
                None => {
                    let at = current
                        .parent_file()
                        .messages()
                        .position(|m| m.full_name() == current.full_name())
                        .unwrap_or(0);
                    path.push(at as i32);
                    break;
                }
            }
        }
        path.reverse();
        path
    }
}

/// A shared compiled schema.
pub type SchemaFileRef = Arc<SchemaFile>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_well_known_imports_and_finds_nested_messages() {
        let file = SchemaFile::parse(
            "syntax = \"proto3\";\npackage a;\nimport \"google/protobuf/timestamp.proto\";\nimport \"google/type/date.proto\";\nmessage A { google.protobuf.Timestamp t = 1; message B { int32 x = 1 [(confluent.field_meta) = { params: [{key: \"connect.type\", value: \"int8\"}] }]; } }\nmessage C { google.type.Date d = 1; }\n",
        )
        .expect("parses");
        assert_eq!(
            file.message(&[0]).map(|m| m.name().to_string()),
            Some("A".into())
        );
        let b = file.message(&[0, 0]).expect("nested");
        assert_eq!(b.name(), "B");
        assert_eq!(SchemaFile::indexes_of(&b), vec![0, 0]);
        assert_eq!(
            file.message(&[1]).map(|m| m.name().to_string()),
            Some("C".into())
        );
        assert!(file.message(&[2]).is_none());
        assert!(file.message(&[-1]).is_none());
    }

    #[test]
    fn proto3_enums_without_zero_compile() {
        let file = SchemaFile::parse(
            "syntax = \"proto3\";\nmessage M {\n  Kind kind = 1;\n  enum Kind {\n    A = 1;\n    B = 2;\n  }\n  enum Z {\n    Q = 0;\n  }\n}\n",
        )
        .expect("parses");
        let m = file.message(&[0]).expect("message");
        let kinds: Vec<String> = m
            .child_enums()
            .map(|e| e.values().count().to_string())
            .collect();
        assert_eq!(kinds, vec!["3", "1"]);
    }
}
