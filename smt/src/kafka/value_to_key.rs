//! `ValueToKey`: replaces the key with a new one made of some of the value's fields (Kafka's
//! `ValueToKey.java`).
//!
//! Schema'd: the key's STRUCT schema (unnamed, the listed fields with the value's field schemas)
//! is computed once per value schema; per segment the value's child arrays become the key's
//! children, no row data is touched. Schemaless: the key is a map of the listed fields (a field
//! the value lacks maps to null), its entries in the order Java's `HashMap` iterates them (which
//! a StringConverter key shows). A null value fails (`requireMap` / `requireStruct`), as in Kafka.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::{new_null_array, Array, ArrayRef, StructArray};
use arrow_schema::{DataType, Field as ArrowField, FieldRef};
use weir_formats::arrow_mapping::struct_fields;
use weir_formats::batch::Column;
use weir_formats::error::ConnectError;
use weir_formats::java_hash_order::hash_map_order_sized;
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};

use crate::kernel::arrow_build::{arrow_failure, struct_array};

use crate::kernel::row_errors::{assemble_rows, RowErrors};
use crate::kernel::segment_output::{assemble, RowOutcome};

use crate::kernel::defaults::{field_value, fill_default};

use crate::kernel::per_row::per_row;

use crate::config::required_list;
use crate::kernel::fields::push_unique_named;
use crate::kernel::fields::{map_get, positions_by_name};
use crate::kernel::requirements::{require_map_error, require_struct_error};
use crate::kernel::schema_cache::SchemaCache;
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

const PURPOSE: &str = "copying fields from value to key";

/// `ValueToKey`. Cost: parses and validates the config, once per pipeline.
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(ValueToKey::new(config)?))
}

/// `ValueToKey`, configured.
#[derive(Debug)]
pub struct ValueToKey {
    fields: Vec<String>,
    /// The distinct fields in Java `HashMap` iteration order (the schemaless key's order).
    map_order: Vec<String>,
    replace_null_with_default: bool,
    plans: SchemaCache<SchemaPlan>,
}

/// What ValueToKey makes of one value schema, computed once.
#[derive(Debug)]
enum SchemaPlan {
    /// Not a STRUCT: every row fails `requireStruct`.
    NotStruct,
    /// A listed field is missing, or listed twice.
    Fails(ConnectError),
    /// The key schema, its Arrow fields and the value field each key field comes from.
    Key {
        schema: SchemaRef,
        arrow: arrow_schema::Fields,
        sources: Vec<usize>,
    },
}

impl ValueToKey {
    /// Parses and validates the config. Cost: once per pipeline.
    pub fn new(config: &TransformConfig) -> Result<ValueToKey, ConfigProblem> {
        let fields = required_list(config, "fields")?;
        let replace_null_with_default = config.boolean_or("replace.null.with.default", true)?;
        // Kafka's `new HashMap<>(fields.size())`.
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        let map_order = hash_map_order_sized(&names, fields.len())
            .into_iter()
            .map(|i| fields[i].clone())
            .collect();
        Ok(ValueToKey {
            fields,
            map_order,
            replace_null_with_default,
            plans: SchemaCache::default(),
        })
    }

    /// The key schema for a value schema, with each key field's value-field index.
    fn key_schema(&self, value: &Schema) -> Result<(Schema, Vec<usize>), ConnectError> {
        let mut fields = Vec::with_capacity(self.fields.len());
        let mut names = HashSet::new();
        let mut sources = Vec::with_capacity(self.fields.len());
        let positions = positions_by_name(value.fields().iter().map(|f| f.name.as_str()));
        for name in &self.fields {
            let index = *positions
                .get(name.as_str())
                .ok_or_else(|| ConnectError::data(format!("Field does not exist: {name}")))?;
            let from = &value.fields()[index];
            push_unique_named(
                &mut fields,
                &mut names,
                Field {
                    name: name.clone(),
                    schema: from.schema.clone(),
                },
            )?;
            sources.push(index);
        }
        Ok((Schema::new(SchemaKind::Struct(fields)), sources))
    }

    fn plan(&self, schema: &SchemaRef) -> Arc<SchemaPlan> {
        let made = self.plans.get_or_try::<()>(schema, || {
            if !matches!(schema.kind, SchemaKind::Struct(_)) {
                return Ok(SchemaPlan::NotStruct);
            }
            Ok(match self.key_schema(schema) {
                Ok((key, sources)) => SchemaPlan::Key {
                    arrow: struct_fields(key.fields()),
                    schema: key.into_ref(),
                    sources,
                },
                Err(e) => SchemaPlan::Fails(e),
            })
        });
        made.unwrap_or_else(|()| Arc::new(SchemaPlan::NotStruct))
    }

    /// The schema'd path: the key's children are the value's.
    fn apply_schema(&self, input: &SegmentInput<'_>, value_schema: &SchemaRef) -> SegmentOutput {
        let column = input.value;
        let plan = self.plan(value_schema);
        let (schema, arrow, sources) = match &*plan {
            SchemaPlan::Key {
                schema,
                arrow,
                sources,
            } => (schema, arrow, sources),
            SchemaPlan::NotStruct => return per_row(input, Side::Key, self),
            SchemaPlan::Fails(e) => return self.fail_rows(input, e),
        };
        let Some(array) = column.data.as_any().downcast_ref::<StructArray>() else {
            return per_row(input, Side::Key, self);
        };
        let children: Result<Vec<ArrayRef>, ConnectError> = sources
            .iter()
            .map(|&i| match value_schema.fields().get(i) {
                Some(f) if self.replace_null_with_default => {
                    fill_default(&f.schema, array.column(i))
                }
                _ => Ok(array.column(i).clone()),
            })
            .collect();
        let key = children.and_then(|children| {
            struct_array(arrow.clone(), children, array.nulls().cloned(), array.len())
                .map_err(arrow_failure)
        });
        match key {
            Ok(key) => self.keyed(
                input,
                Column {
                    schema: Some(schema.clone()),
                    data: Arc::new(key),
                },
            ),
            Err(e) => SegmentOutput::all_failed(input.rows.len(), &e),
        }
    }

    /// The schemaless path over a map held as a Struct column.
    fn apply_schemaless(&self, input: &SegmentInput<'_>, array: &StructArray) -> SegmentOutput {
        let mut fields: Vec<FieldRef> = Vec::with_capacity(self.map_order.len());
        let mut children: Vec<ArrayRef> = Vec::with_capacity(self.map_order.len());
        let positions = positions_by_name(array.fields().iter().map(|f| f.name().as_str()));
        for name in &self.map_order {
            let found = positions.get(name.as_str()).copied();
            match found {
                Some(i) => {
                    fields.push(array.fields()[i].clone());
                    children.push(array.column(i).clone());
                }
                None => {
                    fields.push(Arc::new(ArrowField::new(name, DataType::Null, true)));
                    children.push(new_null_array(&DataType::Null, array.len()));
                }
            }
        }
        match struct_array(fields.into(), children, array.nulls().cloned(), array.len()) {
            Ok(key) => self.keyed(
                input,
                Column {
                    schema: None,
                    data: Arc::new(key),
                },
            ),
            Err(e) => SegmentOutput::all_failed(input.rows.len(), &arrow_failure(e)),
        }
    }

    /// Every row keyed by `key`, except null values, which fail. Cost: when no value is null
    /// (the common case), nothing a row ([`assemble_rows`]).
    fn keyed(&self, input: &SegmentInput<'_>, key: Column) -> SegmentOutput {
        let values = input.value.data.as_ref();
        let mut errors = RowErrors::new(input.rows.len());
        if values.null_count() > 0 {
            let schemaless = input.value.schema.is_none();
            for row in (0..values.len()).filter(|&row| values.is_null(row)) {
                let error = match schemaless {
                    true => require_map_error(PURPOSE, &Value::Null),
                    false => require_struct_error(PURPOSE, &Value::Null),
                };
                errors.set(row, error);
            }
        }
        assemble_rows(input, Side::Key, vec![key], values, errors, 0)
    }

    /// Every row fails: null values `requireStruct`, the others with `error`.
    fn fail_rows(&self, input: &SegmentInput<'_>, error: &ConnectError) -> SegmentOutput {
        let outcomes = (0..input.rows.len())
            .map(|i| match input.value.data.is_null(i) {
                true => RowOutcome::Failed(require_struct_error(PURPOSE, &Value::Null)),
                false => RowOutcome::Failed(error.clone()),
            })
            .collect();
        assemble(input, Side::Key, Vec::new(), outcomes)
    }

    /// The reference's schemaless path.
    fn record_schemaless(&self, value: &Value) -> Result<Value, ConnectError> {
        let Value::Map(entries) = value else {
            return Err(require_map_error(PURPOSE, value));
        };
        let get = |name: &str| map_get(entries, name).clone();
        let key = self
            .map_order
            .iter()
            .map(|name| (Value::String(name.clone()), get(name)))
            .collect();
        Ok(Value::Map(key))
    }

    /// The reference's schema'd path.
    fn record_with_schema(&self, value: &Value) -> Result<(SchemaRef, Value), ConnectError> {
        let Value::Struct(value) = value else {
            return Err(require_struct_error(PURPOSE, value));
        };
        let (schema, sources) = self.key_schema(&value.schema)?;
        let schema = schema.into_ref();
        let values = sources
            .iter()
            .map(|&i| {
                let v = value.values.get(i).unwrap_or(&Value::Null);
                match value.schema.fields().get(i) {
                    Some(f) => field_value(f, v, self.replace_null_with_default),
                    None => Value::Null,
                }
            })
            .collect();
        Ok((schema.clone(), Value::Struct(Struct { schema, values })))
    }
}

impl Transform for ValueToKey {
    /// No header: it reads and writes the record's fields and metadata only.
    fn header_use(&self) -> crate::HeaderUse {
        crate::HeaderUse::NONE
    }

    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        match &input.value.schema {
            Some(schema) => self.apply_schema(&input, &schema.clone()),
            None => match input.value.data.as_any().downcast_ref::<StructArray>() {
                Some(array) => self.apply_schemaless(&input, array),
                // Not a map (or all null): the reference reports each row (`requireMap`).
                None => per_row(&input, Side::Key, self),
            },
        }
    }

    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let (schema, key) = match &record.value_schema {
            None => (None, self.record_schemaless(&record.value)?),
            Some(_) => {
                let (schema, key) = self.record_with_schema(&record.value)?;
                (Some(schema), key)
            }
        };
        Ok(Some(record.with_side(Side::Key, schema, key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::*;
    use proptest::prelude::*;

    fn v2k(fields: &str, replace: bool) -> ValueToKey {
        let replace = if replace { "true" } else { "false" };
        ValueToKey::new(&config(&[
            ("fields", fields),
            ("replace.null.with.default", replace),
        ]))
        .expect("valid config")
    }

    fn field_lists() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["a", "id,name", "name,a,b", "c,nosuch", "a,a"])
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference_schemad(
            (schema, values) in struct_rows(),
            fields in field_lists(),
            replace in any::<bool>(),
        ) {
            let t = v2k(fields, replace);
            let keys = vec![Value::String("k".into()); values.len()];
            check(&t, (None, keys), (Some(schema), values), false)?;
        }

        #[test]
        fn kernel_agrees_with_reference_schemaless(rows in schemaless_rows(), fields in field_lists()) {
            let t = v2k(fields, true);
            let keys = vec![Value::Null; rows.len()];
            check(&t, (None, keys), (None, rows), false)?;
        }
    }

    #[test]
    fn schemaless_keys_iterate_like_java_hash_maps() {
        let order = |fields: &str| v2k(fields, true).map_order;
        assert_eq!(order("id,name"), vec!["name", "id"]);
        assert_eq!(order("id,nosuch"), vec!["id", "nosuch"]);
        assert_eq!(order("id,id"), vec!["id"]);
        // A map made for 3 keys has 4 buckets, not 16: "a" (97) and "e" (101) share bucket 1,
        // "c" (99) is in bucket 3.
        assert_eq!(order("e,c,a"), vec!["e", "a", "c"]);
    }

    #[test]
    fn missing_and_duplicate_fields_fail_schemad_rows() {
        let schema =
            Schema::structure([("id".to_string(), Schema::new(SchemaKind::Int64).into_ref())])
                .into_ref();
        let t = v2k("id,nosuch", true);
        assert!(
            matches!(&*t.plan(&schema), SchemaPlan::Fails(e) if e.message == "Field does not exist: nosuch")
        );
        let t = v2k("id,id", true);
        assert!(matches!(&*t.plan(&schema),
            SchemaPlan::Fails(e) if e.message == "Cannot create field because of field name duplication id"));
    }

    #[test]
    fn config_errors_match_kafka() {
        let e = ValueToKey::new(&config(&[])).unwrap_err();
        assert_eq!(
            e.message,
            "Missing required configuration \"fields\" which has no default value."
        );
        let e = ValueToKey::new(&config(&[("fields", " ")])).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid value [] for configuration fields: Empty list"
        );
        let e = ValueToKey::new(&config(&[
            ("fields", "a"),
            ("replace.null.with.default", "no"),
        ]))
        .unwrap_err();
        assert_eq!(e.key, "replace.null.with.default");
    }
}
