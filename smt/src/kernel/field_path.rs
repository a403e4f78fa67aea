//! KIP-821 field paths (`transforms/field/SingleFieldPath.java`, `FieldSyntaxVersion.java`): the
//! `field.syntax.version` setting, the parsing of a path into steps, and the lookups of a path in
//! a schema, a `Struct` and a schemaless map, with Kafka's messages.
//!
//! V1 paths are one top-level name, dots and all. V2 paths are dotted; a step wrapped in
//! backticks may hold dots (`` `foo.bar`.baz ``); a backslash before a backtick that closes a
//! step escapes it; a trailing dot adds an empty last step.

use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind};
use weir_formats::value::{Struct, Value};

use crate::config::{ConfigProblem, TransformConfig};
use crate::kernel::fields::map_get;
use crate::kernel::requirements::{require_map_error, require_struct_error};

/// The setting that selects the path syntax.
pub const FIELD_SYNTAX_VERSION_CONFIG: &str = "field.syntax.version";

/// Which path syntax a transform's field settings use (`field.syntax.version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldSyntaxVersion {
    /// Top-level names only (the default, as before KIP-821).
    V1,
    /// Dotted paths with backtick quoting.
    V2,
}

impl FieldSyntaxVersion {
    /// Reads `field.syntax.version` (default `V1`, case-insensitive) with Kafka's
    /// `CaseInsensitiveValidString` message.
    pub fn from_config(config: &TransformConfig) -> Result<FieldSyntaxVersion, ConfigProblem> {
        let text = config.string_or(FIELD_SYNTAX_VERSION_CONFIG, "V1");
        match text.to_ascii_uppercase().as_str() {
            "V1" => Ok(FieldSyntaxVersion::V1),
            "V2" => Ok(FieldSyntaxVersion::V2),
            _ => Err(ConfigProblem::invalid(
                FIELD_SYNTAX_VERSION_CONFIG,
                &text,
                "String must be one of (case insensitive): V1, V2",
            )),
        }
    }
}

/// A path of one or more steps into a `Struct` or a schemaless map (`SingleFieldPath`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleFieldPath {
    steps: Vec<String>,
}

impl SingleFieldPath {
    /// Parses `text` under `version`; `key` names the setting in the error of a V2 path with an
    /// unmatched backtick. Cost: one pass over the text.
    pub fn parse(
        text: &str,
        version: FieldSyntaxVersion,
        key: &str,
    ) -> Result<SingleFieldPath, ConfigProblem> {
        let steps = match version {
            FieldSyntaxVersion::V1 => vec![text.to_string()],
            FieldSyntaxVersion::V2 => {
                parse_v2(text).map_err(|at| incomplete_backtick(text, at, key))?
            }
        };
        Ok(SingleFieldPath { steps })
    }

    /// The steps, outermost first (empty only for an empty V2 path).
    pub fn steps(&self) -> &[String] {
        &self.steps
    }

    /// `fieldFrom(schema)`: the field the path names, `None` where a step is missing, or Kafka's
    /// error for a step into a schema that is not a STRUCT. Cost: one lookup per step.
    pub fn field_from<'s>(&self, schema: &'s Schema) -> Result<Option<&'s Field>, ConnectError> {
        let mut current = schema;
        let (last, init) = self.split()?;
        for step in init {
            match struct_field(current, step)? {
                Some(field) => current = &field.schema,
                None => return Ok(None),
            }
        }
        struct_field(current, last)
    }

    /// `valueFrom(struct, withDefault)`: the value at the path, null where a step is missing or
    /// null. Intermediate steps always apply field defaults (`Struct.get`); the last one only
    /// with `with_default`.
    pub fn value_from_struct(
        &self,
        value: &Struct,
        with_default: bool,
    ) -> Result<Value, ConnectError> {
        let mut current = value;
        let (last, init) = self.split()?;
        for step in init {
            let Some((index, field)) = current.schema.field(step) else {
                return Ok(Value::Null);
            };
            match with_field_default(current.values.get(index), field) {
                Value::Struct(next) => current = next,
                Value::Null => return Ok(Value::Null),
                other => return Err(require_struct_error("nested field access", other)),
            }
        }
        Ok(match current.schema.field(last) {
            Some((index, field)) if with_default => {
                with_field_default(current.values.get(index), field).clone()
            }
            Some((index, _)) => current.values.get(index).cloned().unwrap_or(Value::Null),
            None => Value::Null,
        })
    }

    /// `valueFrom(map)`: the value at the path in a schemaless map, null where a step is missing
    /// or null; an intermediate value that is not a map is Kafka's `requireMapOrNull` error.
    pub fn value_from_map(&self, entries: &[(Value, Value)]) -> Result<Value, ConnectError> {
        let mut current = entries;
        let (last, init) = self.split()?;
        for step in init {
            match map_get(current, step) {
                Value::Map(next) => current = next,
                Value::Null => return Ok(Value::Null),
                other => return Err(require_map_error("nested field access", other)),
            }
        }
        Ok(map_get(current, last).clone())
    }

    /// The last step and the ones before it. An empty V2 path has no step at all, on which
    /// Kafka's `steps.subList(0, -1)` fails at every record.
    fn split(&self) -> Result<(&String, &[String]), ConnectError> {
        self.steps
            .split_last()
            .ok_or_else(|| ConnectError::data("fromIndex(0) > toIndex(-1)"))
    }
}

/// `Struct.get(field)`: the value, or the field schema's default where it is null.
fn with_field_default<'v>(value: Option<&'v Value>, field: &'v Field) -> &'v Value {
    static NULL: Value = Value::Null;
    match (value, &field.schema.default) {
        (None | Some(Value::Null), Some(default)) => default,
        (Some(value), _) => value,
        (None, None) => &NULL,
    }
}

/// `Schema.field(name)`: Kafka fails on a schema that is not a STRUCT.
fn struct_field<'s>(schema: &'s Schema, name: &str) -> Result<Option<&'s Field>, ConnectError> {
    match &schema.kind {
        SchemaKind::Struct(fields) => Ok(fields.iter().find(|f| f.name == name)),
        _ => Err(ConnectError::data(
            "Cannot look up fields on non-struct type",
        )),
    }
}

/// `buildFieldPathV2`: the steps, or the byte index of the backtick left unmatched. Backticks,
/// dots and backslashes are ASCII, so scanning bytes never splits a character.
fn parse_v2(path: &str) -> Result<Vec<String>, usize> {
    let bytes = path.as_bytes();
    let mut steps = Vec::new();
    let mut idx = 0;
    while idx < bytes.len() {
        if bytes[idx] != b'`' {
            match find(bytes, b'.', idx) {
                Some(dot) => {
                    steps.push(path[idx..dot].to_string());
                    idx = dot + 1;
                }
                None => {
                    steps.push(path[idx..].to_string());
                    idx = bytes.len();
                }
            }
        } else {
            let (step, next) = quoted_step(path, idx)?;
            steps.push(step);
            idx = next;
        }
    }
    if path.ends_with('.') {
        steps.push(String::new());
    }
    Ok(steps)
}

/// The backtick-quoted step opening at `backtick_at` and the index after it (and its dot).
fn quoted_step(path: &str, backtick_at: usize) -> Result<(String, usize), usize> {
    let bytes = path.as_bytes();
    let mut field = String::new();
    let mut idx = backtick_at + 1;
    let mut start = idx;
    loop {
        idx = find(bytes, b'`', idx).ok_or(backtick_at)?;
        let escaped = bytes[idx - 1] == b'\\';
        if idx + 1 >= bytes.len() {
            if escaped {
                return Err(backtick_at);
            }
            field.push_str(&path[start..idx]);
            return Ok((field, idx + 1));
        }
        if bytes[idx + 1] != b'.' {
            idx += 1;
            continue;
        }
        if escaped {
            field.push_str(&path[start..idx - 1]);
            field.push('`');
            idx += 1;
            start = idx;
            continue;
        }
        field.push_str(&path[start..idx]);
        return Ok((field, idx + 2));
    }
}

fn find(bytes: &[u8], wanted: u8, from: usize) -> Option<usize> {
    bytes[from..]
        .iter()
        .position(|&b| b == wanted)
        .map(|i| from + i)
}

/// Kafka's `ConfigException` for an unmatched backtick; the position counts UTF-16 units, as
/// Java's `String` indices do.
fn incomplete_backtick(path: &str, at: usize, key: &str) -> ConfigProblem {
    let position = path[..at].encode_utf16().count();
    ConfigProblem::new(
        key,
        format!(
            "Incomplete backtick pair in path: [{path}], consider adding a backslash before \
             backtick at position {position} to escape it"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(text: &str) -> Vec<String> {
        SingleFieldPath::parse(text, FieldSyntaxVersion::V2, "field")
            .expect("parses")
            .steps
    }

    #[test]
    fn v2_paths_split_like_kafka() {
        // The cases of Kafka's SingleFieldPathTest.
        assert_eq!(v2("foo"), ["foo"]);
        assert_eq!(v2("foo.bar"), ["foo", "bar"]);
        assert_eq!(v2("foo.bar.baz"), ["foo", "bar", "baz"]);
        assert_eq!(v2("`foo.bar`"), ["foo.bar"]);
        assert_eq!(v2("`foo.bar`.baz"), ["foo.bar", "baz"]);
        assert_eq!(v2("foo.`bar.baz`"), ["foo", "bar.baz"]);
        assert_eq!(v2("`foo`bar`.baz"), ["foo`bar", "baz"]);
        assert_eq!(v2("`foo\\`.bar`.baz"), ["foo`.bar", "baz"]);
        assert_eq!(v2("foo."), ["foo", ""]);
        assert_eq!(v2(".foo"), ["", "foo"]);
        assert_eq!(v2("foo..bar"), ["foo", "", "bar"]);
        assert_eq!(v2("``"), [""]);
        assert_eq!(v2("`é.ü`.x"), ["é.ü", "x"]);
        // An empty V2 path has no step; Kafka fails on it at every record.
        let empty = SingleFieldPath::parse("", FieldSyntaxVersion::V2, "field").unwrap();
        assert!(empty.steps().is_empty());
        let map = [(Value::String(String::new()), Value::Int32(1))];
        assert!(empty.value_from_map(&map).is_err());
    }

    #[test]
    fn v1_paths_are_one_step() {
        let path = SingleFieldPath::parse("a.b", FieldSyntaxVersion::V1, "field").unwrap();
        assert_eq!(path.steps(), ["a.b"]);
    }

    #[test]
    fn unmatched_backticks_are_config_errors() {
        for (text, at) in [("`foo", 0), ("foo.`bar", 4), ("`foo\\`", 0), ("é.`x", 2)] {
            let error = SingleFieldPath::parse(text, FieldSyntaxVersion::V2, "field").unwrap_err();
            assert_eq!(error.key, "field");
            assert_eq!(
                error.message,
                format!(
                    "Incomplete backtick pair in path: [{text}], consider adding a backslash \
                     before backtick at position {at} to escape it"
                )
            );
        }
    }

    #[test]
    fn syntax_version_is_case_insensitive_and_validated() {
        let config = |v: &str| {
            TransformConfig::new(
                "t",
                "x",
                [(FIELD_SYNTAX_VERSION_CONFIG.to_string(), v.to_string())],
            )
        };
        assert_eq!(
            FieldSyntaxVersion::from_config(&config("v2")),
            Ok(FieldSyntaxVersion::V2)
        );
        assert_eq!(
            FieldSyntaxVersion::from_config(&TransformConfig::default()),
            Ok(FieldSyntaxVersion::V1)
        );
        assert_eq!(
            FieldSyntaxVersion::from_config(&config("V3"))
                .unwrap_err()
                .message,
            "Invalid value V3 for configuration field.syntax.version: String must be one of \
             (case insensitive): V1, V2"
        );
    }

    #[test]
    fn lookups_follow_kafka() {
        let inner = Schema::structure([(
            "c".to_string(),
            Schema::new(SchemaKind::Int32)
                .optional()
                .with_default(Value::Int32(7))
                .into_ref(),
        )])
        .optional()
        .into_ref();
        let outer = Schema::structure([
            ("a".to_string(), inner.clone()),
            ("n".to_string(), Schema::new(SchemaKind::Int32).into_ref()),
        ])
        .into_ref();
        let path = SingleFieldPath::parse("a.c", FieldSyntaxVersion::V2, "field").unwrap();
        assert!(path.field_from(&outer).unwrap().is_some());
        let bad = SingleFieldPath::parse("n.c", FieldSyntaxVersion::V2, "field").unwrap();
        assert_eq!(
            bad.field_from(&outer).unwrap_err().message,
            "Cannot look up fields on non-struct type"
        );
        let value = Struct {
            schema: outer,
            values: vec![
                Value::Struct(Struct {
                    schema: inner,
                    values: vec![Value::Null],
                }),
                Value::Int32(1),
            ],
        };
        assert_eq!(
            path.value_from_struct(&value, true).unwrap(),
            Value::Int32(7)
        );
        assert_eq!(path.value_from_struct(&value, false).unwrap(), Value::Null);
        let map = vec![(Value::String("a".into()), Value::String("x".into()))];
        assert_eq!(
            path.value_from_map(&map).unwrap_err().message,
            "Only Map objects supported in absence of schema for [nested field access], found: \
             java.lang.String"
        );
    }
}
