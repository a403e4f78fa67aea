//! Connect's field defaults: `Struct.get` (the schema default where a value is null) over one
//! value and over Arrow children (`replace.null.with.default`).

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray, Scalar, StructArray};
use weir_formats::decimal_column::alike;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema};
use weir_formats::value::Value;
use weir_formats::value_array::values_to_array;

use crate::kernel::arrow_build::arrow_failure;

/// `Struct.get(field)` (the schema default where the value is null) when `with_default`, else
/// `getWithoutDefault`.
pub(crate) fn field_value(field: &Field, value: &Value, with_default: bool) -> Value {
    match (&field.schema.default, value) {
        (Some(default), Value::Null) if with_default => default.clone(),
        _ => value.clone(),
    }
}

/// The children of a schema'd STRUCT column, with `Struct.get`'s default put where a child is
/// null when `with_default` (`replace.null.with.default`). Cost: nothing for children without a
/// default or without nulls; otherwise one `zip` per such child.
pub(crate) fn children_with_defaults(
    fields: &[Field],
    array: &StructArray,
    with_default: bool,
) -> Result<Vec<ArrayRef>, ConnectError> {
    array
        .columns()
        .iter()
        .enumerate()
        .map(|(i, child)| match fields.get(i) {
            Some(field) if with_default => fill_default(&field.schema, child),
            _ => Ok(child.clone()),
        })
        .collect()
}

/// `child` with `schema`'s default where it is null (`Struct.get`). A STRUCT default is built
/// with its own schema (a default cannot hold the schema that holds it; the Arrow type is the
/// same). Cost: nothing without a default or without nulls; otherwise one `zip`.
pub(crate) fn fill_default(schema: &Schema, child: &ArrayRef) -> Result<ArrayRef, ConnectError> {
    let (Some(default), Some(nulls)) = (&schema.default, child.logical_nulls()) else {
        return Ok(child.clone());
    };
    if nulls.null_count() == 0 {
        return Ok(child.clone());
    }
    let own = match default {
        Value::Struct(s) => s.schema.clone(),
        _ => Arc::new(Schema {
            default: None,
            ..schema.clone()
        }),
    };
    let one = values_to_array(Some(&own), std::slice::from_ref(default))?;
    let (child, one) = alike(child, &one);
    let valid = BooleanArray::new(nulls.inner().clone(), None);
    arrow_select::zip::zip(&valid, &child, &Scalar::new(one)).map_err(arrow_failure)
}
