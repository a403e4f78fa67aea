//! One entry of `add.fields` / `add.headers` (`AbstractExtractNewRecordState.FieldReference`):
//! `[struct.]field[:newName]`, resolved against a change-event envelope over value trees. Used
//! by the MongoDB unwrap, whose output schema is built per record anyway.

use weir_formats::error::ConnectError;
use weir_formats::schema::{Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};

use super::change_event::java_split;
use crate::kernel::schema_copy::copy_schema_basics;
use crate::{ConfigProblem, TransformConfig};

/// Debezium dereferences the missing hosting struct's field (`transaction.id` without one).
const MISSING_STRUCT_NPE: &str = "Cannot invoke \"org.apache.kafka.connect.data.Field.schema()\" \
     because the return value of \"org.apache.kafka.connect.data.Schema.field(String)\" is null";

/// A parsed `add.fields` / `add.headers` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldReference {
    /// The hosting struct (`source`, `transaction`, `updateDescription`), `None` for `op`,
    /// `ts_ms`, `ts_us`, `ts_ns`.
    pub parent: Option<String>,
    /// The field's name inside its host.
    pub field: String,
    /// The name of the added field or header (prefix included).
    pub new_field: String,
}

/// `FieldReference.determineStruct`.
fn determine_struct(field: &str) -> Option<&'static str> {
    match field {
        "id" | "data_collection_order" | "total_order" => Some("transaction"),
        "op" | "ts_ms" | "ts_us" | "ts_ns" => None,
        "updateDescription" => Some("updateDescription"),
        _ => Some("source"),
    }
}

impl FieldReference {
    /// The constructor: `struct.field:new` (three `:` parts fail).
    fn parse(prefix: &str, spec: &str, key: &str) -> Result<FieldReference, ConfigProblem> {
        let parts = java_split(spec, ':');
        let splits = java_split(parts.first().copied().unwrap_or(""), '.');
        let field = splits.get(1).or(splits.first()).copied().unwrap_or("");
        let parent = match splits.len() {
            0 | 1 => determine_struct(field).map(str::to_string),
            _ => Some(splits[0].to_string()),
        };
        let new_field = match (parts.len(), &parent) {
            (0 | 1, Some(p)) if splits.len() > 1 => format!("{prefix}{p}_{field}"),
            (0 | 1, _) => format!("{prefix}{field}"),
            (2, _) => format!("{prefix}{}", parts[1]),
            _ => {
                return Err(ConfigProblem::new(
                    key,
                    format!("Unexpected field name: {spec}"),
                ))
            }
        };
        Ok(FieldReference {
            parent,
            field: field.to_string(),
            new_field,
        })
    }

    /// `fromConfiguration`: the comma-separated entries of `key`, each trimmed, with the
    /// prefix of `prefix_key` (default `__`).
    pub fn list(
        config: &TransformConfig,
        key: &str,
        prefix_key: &str,
    ) -> Result<Vec<Self>, ConfigProblem> {
        let prefix = config.get(prefix_key).unwrap_or("__");
        match config.get(key) {
            None | Some("") => Ok(Vec::new()),
            Some(raw) => {
                Self::from_entries(prefix, java_split(raw, ',').into_iter().map(str::trim), key)
            }
        }
    }

    /// One reference per entry of `key`, named with `prefix`.
    pub fn from_entries<'a>(
        prefix: &str,
        entries: impl IntoIterator<Item = &'a str>,
        key: &str,
    ) -> Result<Vec<Self>, ConfigProblem> {
        entries
            .into_iter()
            .map(|spec| FieldReference::parse(prefix, spec, key))
            .collect()
    }

    /// `getSchema`: the optional copy of the referenced field's schema, `None` when absent.
    pub fn schema(&self, envelope: &Schema) -> Result<Option<SchemaRef>, ConnectError> {
        let host = match &self.parent {
            None => envelope,
            Some(p) => envelope
                .field(p)
                .ok_or_else(|| ConnectError::data(MISSING_STRUCT_NPE))?
                .1
                .schema
                .as_ref(),
        };
        if !matches!(host.kind, SchemaKind::Struct(_)) {
            return Err(ConnectError::data(
                "Cannot look up fields on non-struct type",
            ));
        }
        let found = host
            .field(&self.field)
            .or_else(|| envelope.field(&self.field));
        let Some((_, field)) = found else {
            return Ok(None);
        };
        if matches!(field.schema.kind, SchemaKind::Struct(_)) {
            // Kafka's copy of a STRUCT has no fields, which no value then fits.
            return Err(ConnectError::data("Struct schemas do not match."));
        }
        Ok(Some(
            copy_schema_basics(&field.schema, field.schema.kind.clone())
                .optional()
                .into_ref(),
        ))
    }

    /// `getValue` (without defaults): null where the hosting struct is null.
    pub fn value(&self, envelope: &Struct) -> Value {
        let own = |s: &Struct| s.get(&self.field).cloned().unwrap_or(Value::Null);
        let host = match &self.parent {
            None => return own(envelope),
            Some(p) => envelope.get(p),
        };
        match host {
            Some(Value::Struct(host)) if host.schema.field(&self.field).is_some() => own(host),
            Some(Value::Struct(_)) => own(envelope),
            _ => Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::config;

    #[test]
    fn entries_parse_like_debezium() {
        let refs = FieldReference::list(
            &config(&[("f", "op, source.ts_ms,collection:coll,id")]),
            "f",
            "p",
        )
        .expect("valid");
        let names: Vec<&str> = refs.iter().map(|r| r.new_field.as_str()).collect();
        assert_eq!(names, ["__op", "__source_ts_ms", "__coll", "__id"]);
        assert_eq!(refs[3].parent.as_deref(), Some("transaction"));
        let e =
            FieldReference::list(&config(&[("f", "a:b:c")]), "f", "p").expect_err("three parts");
        assert_eq!(e.message, "Unexpected field name: a:b:c");
    }
}
