//! `ReplaceField$Key` / `ReplaceField$Value`: keeps, drops and renames top-level fields
//! (Kafka's `ReplaceField.java`, 3.9: `include` / `exclude` / `renames`, and the deprecated
//! `whitelist` / `blacklist` names, which apply only where the new name is not set).
//!
//! Schema'd: the output STRUCT schema and where each output field comes from are computed once
//! per input schema; per segment the kept child arrays are moved (renamed fields get a new Arrow
//! field over the same array), no row data is touched. Schemaless: the map's columns are moved
//! the same way. A null key/value passes unchanged.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow_array::{new_null_array, Array, ArrayRef, StructArray};
use arrow_buffer::NullBuffer;
use arrow_schema::{FieldRef, Fields};
use weir_formats::arrow_mapping::{arrow_type, struct_fields};
use weir_formats::batch::Column;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};
use weir_formats::value_array::value_at;
use weir_formats::variant::is_variant;

use crate::config::{java_list, java_split_colon, kafka_list};
use crate::kernel::arrow_build::{arrow_failure, struct_array};

use crate::kernel::segment_output::{assemble, fail_non_null_rows, side_column, RowOutcome};

use crate::kernel::defaults::{field_value, fill_default};

use crate::kernel::fields::{map_put, push_unique_named};

use crate::kernel::fields::positions_by_name;
use crate::kernel::per_row::{per_map_column, per_row};
use crate::kernel::requirements::{require_map_error, require_struct_error};
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::schema_copy::copy_schema_basics;
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

const PURPOSE: &str = "field replacement";

/// ReplaceField's typed config.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ReplaceConfig {
    exclude: HashSet<String>,
    include: HashSet<String>,
    renames: HashMap<String, String>,
    reverse_renames: HashMap<String, String>,
    replace_null_with_default: bool,
}

impl ReplaceConfig {
    fn parse(config: &TransformConfig) -> Result<ReplaceConfig, ConfigProblem> {
        // `ConfigUtils.translateDeprecatedConfigs`: the new name wins, else the deprecated one.
        let list = |key: &str, alias: &str| -> HashSet<String> {
            config
                .get(key)
                .or_else(|| config.get(alias))
                .map(kafka_list)
                .unwrap_or_default()
                .into_iter()
                .collect()
        };
        for warning in kafka4_warnings(config) {
            eprintln!("{warning}");
        }
        let exclude = list("exclude", "blacklist");
        let include = list("include", "whitelist");
        let renames = parse_renames(&config.get("renames").map(kafka_list).unwrap_or_default())?;
        let reverse_renames = renames
            .iter()
            .map(|(from, to)| (to.clone(), from.clone()))
            .collect();
        Ok(ReplaceConfig {
            exclude,
            include,
            renames,
            reverse_renames,
            replace_null_with_default: config.boolean_or("replace.null.with.default", true)?,
        })
    }

    /// `filter`: not excluded, and included when an include list is given.
    fn keeps(&self, name: &str) -> bool {
        !self.exclude.contains(name) && (self.include.is_empty() || self.include.contains(name))
    }

    fn renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.renames.get(name).map_or(name, String::as_str)
    }

    fn reverse_renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.reverse_renames.get(name).map_or(name, String::as_str)
    }
}

/// The deprecated keys `config` sets, each with a warning that Kafka 4.0 (KAFKA-17530) removed it
/// — a 4.x worker ignores it and passes every field through — and which key replaces it. weir
/// honours them, as Kafka 3.9 does.
fn kafka4_warnings(config: &TransformConfig) -> Vec<String> {
    [("whitelist", "include"), ("blacklist", "exclude")]
        .into_iter()
        .filter(|(old, _)| config.get(old).is_some())
        .map(|(old, new)| {
            format!(
                "warning: transforms.{alias}.{old} is honoured as in Kafka Connect 3.9, but Kafka 4.0 \
                 removed it (KAFKA-17530) and a 4.x worker ignores it, passing every field through; \
                 use transforms.{alias}.{new} instead",
                alias = config.alias
            )
        })
        .collect()
}

/// `parseRenameMappings`: every entry `old:new`.
fn parse_renames(mappings: &[String]) -> Result<HashMap<String, String>, ConfigProblem> {
    let mut renames = HashMap::new();
    for mapping in mappings {
        match java_split_colon(mapping)[..] {
            [from, to] => {
                renames.insert(from.to_string(), to.to_string());
            }
            _ => {
                return Err(ConfigProblem::invalid(
                    "renames",
                    &java_list(mappings),
                    &format!("Invalid rename mapping: {mapping}"),
                ))
            }
        }
    }
    Ok(renames)
}

/// Where one output field's values come from.
#[derive(Debug, Clone)]
struct Source {
    /// The input field's index.
    index: usize,
    /// The output field (name and schema).
    field: Field,
    /// Whether the input field's values fit the output field's type (`Struct.put` checks).
    fits: bool,
}

/// What ReplaceField does to one input schema, computed once.
#[derive(Debug)]
enum SchemaPlan {
    /// Not a STRUCT: every non-null row fails `requireStruct`.
    NotStruct,
    /// The output schema cannot be built, or a field it names does not exist.
    Fails(ConnectError),
    /// The output schema, its Arrow fields and each field's source.
    Replace {
        schema: SchemaRef,
        fields: Fields,
        sources: Vec<Source>,
    },
}

/// `ReplaceField$Key` / `$Value`, configured.
#[derive(Debug)]
pub struct ReplaceField {
    side: Side,
    config: ReplaceConfig,
    plans: SchemaCache<SchemaPlan>,
}

impl ReplaceField {
    /// Parses and validates the config. Cost: once per pipeline.
    pub fn new(config: &TransformConfig, side: Side) -> Result<ReplaceField, ConfigProblem> {
        Ok(ReplaceField {
            side,
            config: ReplaceConfig::parse(config)?,
            plans: SchemaCache::default(),
        })
    }

    /// `makeUpdatedSchema`: the kept fields, renamed.
    fn updated_schema(&self, schema: &Schema) -> Result<Schema, ConnectError> {
        let mut fields = Vec::new();
        let mut names = HashSet::new();
        for field in schema
            .fields()
            .iter()
            .filter(|f| self.config.keeps(&f.name))
        {
            let name = self.config.renamed(&field.name).to_string();
            push_unique_named(
                &mut fields,
                &mut names,
                Field {
                    name,
                    schema: field.schema.clone(),
                },
            )?;
        }
        Ok(copy_schema_basics(schema, SchemaKind::Struct(fields)))
    }

    /// Each output field's source: the input field named by reverse-renaming it (`value.get`
    /// throws when there is none).
    fn sources(&self, input: &Schema, output: &Schema) -> Result<Vec<Source>, ConnectError> {
        let positions = positions_by_name(input.fields().iter().map(|f| f.name.as_str()));
        output
            .fields()
            .iter()
            .map(|field| {
                let name = self.config.reverse_renamed(&field.name);
                let index = *positions.get(name).ok_or_else(|| not_a_field(name))?;
                let from = &input.fields()[index];
                let fits = arrow_type(&from.schema) == arrow_type(&field.schema);
                Ok(Source {
                    index,
                    field: field.clone(),
                    fits,
                })
            })
            .collect()
    }

    fn plan(&self, schema: &SchemaRef) -> Arc<SchemaPlan> {
        let made = self.plans.get_or_try::<()>(schema, || {
            if !matches!(schema.kind, SchemaKind::Struct(_)) {
                return Ok(SchemaPlan::NotStruct);
            }
            let plan = self.updated_schema(schema).and_then(|updated| {
                let sources = self.sources(schema, &updated)?;
                Ok(SchemaPlan::Replace {
                    fields: struct_fields(updated.fields()),
                    schema: updated.into_ref(),
                    sources,
                })
            });
            Ok(plan.unwrap_or_else(SchemaPlan::Fails))
        });
        made.unwrap_or_else(|()| Arc::new(SchemaPlan::NotStruct))
    }

    /// The schema'd path over a STRUCT column.
    fn apply_schema(
        &self,
        input: &SegmentInput<'_>,
        column: &Column,
        input_schema: &SchemaRef,
    ) -> SegmentOutput {
        let plan = self.plan(input_schema);
        let (schema, fields, sources) = match &*plan {
            SchemaPlan::NotStruct => {
                return fail_non_null_rows(input, self.side, |v| require_struct_error(PURPOSE, v))
            }
            SchemaPlan::Fails(e) => return fail_non_null_rows(input, self.side, |_| e.clone()),
            SchemaPlan::Replace {
                schema,
                fields,
                sources,
            } => (schema, fields, sources),
        };
        let Some(array) = column.data.as_any().downcast_ref::<StructArray>() else {
            return per_row(input, self.side, self);
        };
        let mut outcomes: Vec<RowOutcome> = (0..array.len())
            .map(|i| RowOutcome::Part(usize::from(array.is_null(i))))
            .collect();
        let mut children = Vec::with_capacity(sources.len());
        for source in sources {
            let from = input_schema.fields().get(source.index);
            match self.moved_child(array, source, from, &mut outcomes) {
                Ok(child) => children.push(child),
                Err(e) => return SegmentOutput::all_failed(input.rows.len(), &e),
            }
        }
        // Rows that failed are null in the new column, so required children may hold nulls there.
        let valid = outcomes.iter().map(|o| matches!(o, RowOutcome::Part(0)));
        let nulls = NullBuffer::from_iter(valid);
        match struct_array(fields.clone(), children, Some(nulls), array.len()) {
            Ok(a) => {
                let new = Column {
                    schema: Some(schema.clone()),
                    data: Arc::new(a),
                };
                assemble(input, self.side, vec![new, column.clone()], outcomes)
            }
            Err(e) => SegmentOutput::all_failed(input.rows.len(), &arrow_failure(e)),
        }
    }

    /// The child array of one output field, failing the rows `Struct.put` would reject.
    fn moved_child(
        &self,
        array: &StructArray,
        source: &Source,
        from: Option<&Field>,
        outcomes: &mut [RowOutcome],
    ) -> Result<ArrayRef, ConnectError> {
        let child = array.column(source.index);
        let child = match from {
            Some(from) if self.config.replace_null_with_default => {
                fill_default(&from.schema, child)?
            }
            _ => child.clone(),
        };
        let optional = source.field.schema.optional;
        for (i, outcome) in outcomes.iter_mut().enumerate() {
            if array.is_null(i) || matches!(outcome, RowOutcome::Failed(_)) {
                continue;
            }
            let value_null = child.is_null(i);
            if value_null && !optional {
                *outcome = RowOutcome::Failed(required_null(&source.field));
            } else if !value_null && !source.fits {
                let value = value_at(from.map(|f| &f.schema), child.as_ref(), i);
                *outcome = RowOutcome::Failed(wrong_class(&source.field, &value));
            }
        }
        if source.fits {
            return Ok(child);
        }
        // Every row with a value here failed: the others hold null.
        Ok(new_null_array(
            &arrow_type(&source.field.schema),
            child.len(),
        ))
    }

    /// The schemaless path over a map held as a Struct column: kept columns, renamed.
    fn apply_schemaless(&self, input: &SegmentInput<'_>, array: &StructArray) -> SegmentOutput {
        let mut fields: Vec<FieldRef> = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        // Output position by name: a rename onto a kept name replaces it in place.
        let mut positions: HashMap<String, usize> = HashMap::new();
        for (field, column) in array.fields().iter().zip(array.columns()) {
            if !self.config.keeps(field.name()) {
                continue;
            }
            let name = self.config.renamed(field.name());
            let renamed: FieldRef = if name == field.name() {
                field.clone()
            } else {
                Arc::new(field.as_ref().clone().with_name(name))
            };
            match positions.get(name) {
                // Which of two keys renamed onto one name wins depends, per record, on which
                // of them the record has: the row-wise path.
                Some(&i)
                    if is_variant(column.data_type()) || is_variant(columns[i].data_type()) =>
                {
                    return per_row(input, self.side, self)
                }
                Some(&i) => {
                    fields[i] = renamed;
                    columns[i] = column.clone();
                }
                None => {
                    positions.insert(name.to_string(), fields.len());
                    fields.push(renamed);
                    columns.push(column.clone());
                }
            }
        }
        match struct_array(fields.into(), columns, array.nulls().cloned(), array.len()) {
            Ok(a) => {
                let new = Column {
                    schema: None,
                    data: Arc::new(a),
                };
                assemble(
                    input,
                    self.side,
                    vec![new],
                    vec![RowOutcome::Part(0); input.rows.len()],
                )
            }
            Err(e) => SegmentOutput::all_failed(input.rows.len(), &arrow_failure(e)),
        }
    }

    /// The reference's schemaless path (`applySchemaless`).
    fn record_schemaless(&self, value: &Value) -> Result<Value, ConnectError> {
        let Value::Map(entries) = value else {
            return Err(require_map_error(PURPOSE, value));
        };
        let mut updated = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let name = match key {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if self.config.keeps(&name) {
                map_put(&mut updated, self.config.renamed(&name), value.clone());
            }
        }
        Ok(Value::Map(updated))
    }

    /// The reference's schema'd path (`applyWithSchema`).
    fn record_with_schema(&self, value: &Value) -> Result<(SchemaRef, Value), ConnectError> {
        let Value::Struct(value) = value else {
            return Err(require_struct_error(PURPOSE, value));
        };
        let schema = self.updated_schema(&value.schema)?.into_ref();
        let mut values = Vec::with_capacity(schema.fields().len());
        for field in schema.fields() {
            let name = self.config.reverse_renamed(&field.name);
            let (index, from) = value.schema.field(name).ok_or_else(|| not_a_field(name))?;
            let v = value.values.get(index).unwrap_or(&Value::Null);
            let v = field_value(from, v, self.config.replace_null_with_default);
            check_put(field, &from.schema, &v)?;
            values.push(v);
        }
        Ok((schema.clone(), Value::Struct(Struct { schema, values })))
    }
}

impl Transform for ReplaceField {
    fn handles_variants(&self) -> bool {
        true
    }

    /// Only its own side.
    fn touches(&self, side: Side) -> bool {
        side == self.side
    }

    /// No header: it reads and writes the record's fields and metadata only.
    fn header_use(&self) -> crate::HeaderUse {
        crate::HeaderUse::NONE
    }

    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let column = side_column(&input, self.side).clone();
        match &column.schema {
            Some(schema) => self.apply_schema(&input, &column, schema),
            None => per_map_column(&input, self.side, self, &column, |array| {
                self.apply_schemaless(&input, array)
            }),
        }
    }

    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.side(self.side).1.is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = record.applied_side(
            self.side,
            |value| self.record_schemaless(value),
            |_, value| self.record_with_schema(value),
        )?;
        Ok(Some(record.with_side(self.side, schema, value)))
    }
}

/// `Struct.get(name)`'s error for a name the schema lacks.
fn not_a_field(name: &str) -> ConnectError {
    ConnectError::data(format!("{name} is not a valid field name"))
}

/// `ConnectSchema.validateValue`'s error for a null in a required field.
fn required_null(field: &Field) -> ConnectError {
    ConnectError::data(format!(
        "Invalid value: null used for required field: \"{}\", schema type: {}",
        field.name,
        field.schema.type_name()
    ))
}

/// `ConnectSchema.validateValue`'s error for a value of another type.
fn wrong_class(field: &Field, value: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Invalid Java object for schema with type {}: class {} for field: \"{}\"",
        field.schema.type_name(),
        value.java_class(),
        field.name
    ))
}

/// `Struct.put`'s check of a value moved from a field of schema `from` into `field`: a null
/// must be allowed, and the types must agree (weir compares the schemas' Arrow types, which is
/// what a column can hold).
fn check_put(field: &Field, from: &Schema, value: &Value) -> Result<(), ConnectError> {
    if value.is_null() {
        return match field.schema.optional {
            true => Ok(()),
            false => Err(required_null(field)),
        };
    }
    match arrow_type(from) == arrow_type(&field.schema) {
        true => Ok(()),
        false => Err(wrong_class(field, value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::*;
    use proptest::prelude::*;

    fn replace(pairs: &[(&str, &str)], side: Side) -> ReplaceField {
        ReplaceField::new(&config(pairs), side).expect("valid config")
    }

    fn configs() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
        let names = prop::sample::select(vec!["", "a", "b", "a,id", "c,name,nosuch"]);
        let renames = prop::sample::select(vec!["", "a:x", "id:key_id,name:n", "a:b", "x:a"]);
        (names.clone(), names, renames, any::<bool>()).prop_map(
            |(include, exclude, renames, replace)| {
                vec![
                    ("include", include),
                    ("exclude", exclude),
                    ("renames", renames),
                    (
                        "replace.null.with.default",
                        if replace { "true" } else { "false" },
                    ),
                ]
            },
        )
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference_schemad(
            (schema, values) in struct_rows(),
            pairs in configs(),
        ) {
            let t = replace(&pairs, Side::Value);
            let keys = vec![Value::Null; values.len()];
            check(&t, (None, keys), (Some(schema), values), false)?;
        }

        #[test]
        fn kernel_agrees_with_reference_on_ragged_records(rows in ragged_rows(), pairs in configs(), on_key in any::<bool>()) {
            let side = if on_key { Side::Key } else { Side::Value };
            check_decoded(&replace(&pairs, side), side, &rows)?;
        }

        #[test]
        fn kernel_agrees_with_reference_schemaless(rows in schemaless_rows(), pairs in configs(), on_key in any::<bool>()) {
            let side = if on_key { Side::Key } else { Side::Value };
            let t = replace(&pairs, side);
            let others = vec![Value::String("k".into()); rows.len()];
            let (key, value) = if on_key { (rows, others) } else { (others, rows) };
            check(&t, (None, key), (None, value), false)?;
        }
    }

    fn int(optional: bool) -> SchemaRef {
        let s = Schema::new(SchemaKind::Int32);
        if optional { s.optional() } else { s }.into_ref()
    }

    #[test]
    fn renaming_onto_an_existing_name_is_a_duplicate() {
        let schema =
            Schema::structure([("a".to_string(), int(false)), ("b".to_string(), int(false))])
                .into_ref();
        let value = Value::Struct(Struct {
            schema: schema.clone(),
            values: vec![Value::Int32(1), Value::Int32(2)],
        });
        let t = replace(&[("renames", "a:b")], Side::Value);
        let record = value_record(Some(schema), value);
        assert_eq!(
            t.apply_record(record).unwrap_err().message,
            "Cannot create field because of field name duplication b"
        );
    }

    #[test]
    fn a_rename_from_a_missing_field_reads_it_and_fails() {
        let schema = Schema::structure([("a".to_string(), int(false))]).into_ref();
        let t = replace(&[("renames", "x:a")], Side::Value);
        let plan = t.plan(&schema);
        assert!(
            matches!(&*plan, SchemaPlan::Fails(e) if e.message == "x is not a valid field name")
        );
    }

    #[test]
    fn deprecated_names_apply_only_without_the_new_ones() {
        let c = ReplaceConfig::parse(&config(&[
            ("whitelist", "a,b"),
            ("blacklist", "b"),
            ("exclude", "c"),
        ]))
        .unwrap();
        assert!(c.keeps("a") && c.keeps("b") && !c.keeps("c"));
        let c = ReplaceConfig::parse(&config(&[("whitelist", "a"), ("include", "b")])).unwrap();
        assert!(c.keeps("b") && !c.keeps("a"));
    }

    #[test]
    fn deprecated_names_warn_that_kafka_4_ignores_them() {
        let mut c = config(&[("whitelist", "a"), ("blacklist", "b"), ("renames", "a:c")]);
        c.alias = "rf".to_string();
        let warnings = kafka4_warnings(&c);
        assert_eq!(warnings.len(), 2);
        assert!(
            warnings[0].contains("transforms.rf.whitelist")
                && warnings[0].contains("transforms.rf.include")
        );
        assert!(
            warnings[1].contains("transforms.rf.blacklist")
                && warnings[1].contains("transforms.rf.exclude")
        );
        assert!(warnings.iter().all(|w| w.contains("KAFKA-17530")));
        assert!(kafka4_warnings(&config(&[("include", "a"), ("exclude", "b")])).is_empty());
    }

    #[test]
    fn renames_split_like_java() {
        assert_eq!(java_split_colon("a:b:"), vec!["a", "b"]);
        assert_eq!(java_split_colon(":b"), vec!["", "b"]);
        assert!(parse_renames(&["a:b:".to_string()]).is_ok());
        assert!(parse_renames(&["a:".to_string()]).is_err());
    }

    #[test]
    fn config_errors_match_kafka() {
        let e = ReplaceField::new(&config(&[("renames", "a:b:c")]), Side::Value).unwrap_err();
        assert_eq!(e.key, "renames");
        assert_eq!(
            e.message,
            "Invalid value [a:b:c] for configuration renames: Invalid rename mapping: a:b:c"
        );
        let e = ReplaceField::new(&config(&[("renames", "a:b, c")]), Side::Value).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid value [a:b, c] for configuration renames: Invalid rename mapping: c"
        );
        let e = ReplaceField::new(&config(&[("replace.null.with.default", "x")]), Side::Key)
            .unwrap_err();
        assert_eq!(e.key, "replace.null.with.default");
    }
}
