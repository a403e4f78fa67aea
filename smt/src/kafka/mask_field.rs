//! `MaskField$Key` / `MaskField$Value`: replaces the listed fields' values with their type's
//! empty value (`0`, `false`, `""`, an empty list or map, `new Date(0)`), or with `replacement`
//! parsed as the field's Java type (Kafka's `MaskField.java`). A null field stays null; a null
//! key/value fails (`requireMap` / `requireStruct`), as in Kafka.
//!
//! Per segment, each masked field's mask is computed once from its type (schema'd: the field
//! schema, cached per schema; schemaless: the column's Arrow type) and spread over the rows with
//! one `take` that keeps the column's nulls; the other children are moved untouched.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::{new_null_array, Array, ArrayRef, StructArray, UInt32Array};
use arrow_schema::{DataType, Field as ArrowField, FieldRef};
use weir_formats::arrow_mapping::META_RAW_JSON;
use weir_formats::batch::Column;
use weir_formats::decimal_column::is_own_scale;
use weir_formats::error::ConnectError;
use weir_formats::schema::{LogicalType, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Decimal, Struct, Value};
use weir_formats::value_array::values_to_array;

use crate::kernel::arrow_build::{arrow_failure, struct_array};

use crate::kernel::segment_output::{assemble, side_column, RowOutcome};

use crate::kernel::defaults::{field_value, fill_default};

use crate::kernel::fields::{map_get, map_put};

use crate::config::required_list;
use crate::kernel::fields::positions_by_name;
use crate::kernel::per_row::per_row;
use crate::kernel::requirements::{require_map_error, require_struct_error};
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::variants::map_kinds;
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

const PURPOSE: &str = "mask fields";

/// The Java class of a field value, which decides its mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JavaClass {
    Boolean,
    Byte,
    Short,
    Integer,
    Long,
    Float,
    Double,
    String,
    Bytes,
    BigDecimal,
    Date,
    List,
    Map,
    Struct,
}

impl JavaClass {
    /// The class a value of `schema` has at run time.
    fn of_schema(schema: &Schema) -> JavaClass {
        match schema.logical_type() {
            Some(LogicalType::Decimal { .. }) => return JavaClass::BigDecimal,
            Some(_) => return JavaClass::Date,
            None => {}
        }
        match &schema.kind {
            SchemaKind::Int8 => JavaClass::Byte,
            SchemaKind::Int16 => JavaClass::Short,
            SchemaKind::Int32 => JavaClass::Integer,
            SchemaKind::Int64 => JavaClass::Long,
            SchemaKind::Float32 => JavaClass::Float,
            SchemaKind::Float64 => JavaClass::Double,
            SchemaKind::Boolean => JavaClass::Boolean,
            SchemaKind::String => JavaClass::String,
            SchemaKind::Bytes => JavaClass::Bytes,
            SchemaKind::Array(_) => JavaClass::List,
            SchemaKind::Map(_, _) => JavaClass::Map,
            SchemaKind::Struct(_) => JavaClass::Struct,
        }
    }

    /// The class of a schemaless column's values; `None` for all-null columns and types the
    /// columnar path does not know.
    fn of_arrow(data_type: &DataType) -> Option<JavaClass> {
        Some(match data_type {
            DataType::Boolean => JavaClass::Boolean,
            DataType::Int8 => JavaClass::Byte,
            DataType::Int16 => JavaClass::Short,
            DataType::Int32 => JavaClass::Integer,
            DataType::Int64 => JavaClass::Long,
            DataType::Float32 => JavaClass::Float,
            DataType::Float64 => JavaClass::Double,
            DataType::Utf8 | DataType::Utf8View => JavaClass::String,
            DataType::Binary | DataType::BinaryView => JavaClass::Bytes,
            DataType::Decimal128(..) => JavaClass::BigDecimal,
            own if is_own_scale(own) => JavaClass::BigDecimal,
            DataType::Date32 | DataType::Time32(_) | DataType::Timestamp(..) => JavaClass::Date,
            DataType::List(_) => JavaClass::List,
            DataType::Struct(_) | DataType::Map(..) => JavaClass::Map,
            _ => return None,
        })
    }

    /// The class of a value (`None` for null).
    fn of_value(value: &Value) -> Option<JavaClass> {
        Some(match value {
            Value::Null => return None,
            Value::Int8(_) => JavaClass::Byte,
            Value::Int16(_) => JavaClass::Short,
            Value::Int32(_) => JavaClass::Integer,
            Value::Int64(_) => JavaClass::Long,
            Value::Float32(_) => JavaClass::Float,
            Value::Float64(_) => JavaClass::Double,
            Value::Boolean(_) => JavaClass::Boolean,
            Value::String(_) => JavaClass::String,
            Value::Bytes(_) => JavaClass::Bytes,
            Value::Array(_) => JavaClass::List,
            Value::Map(_) => JavaClass::Map,
            Value::Struct(_) => JavaClass::Struct,
            Value::Decimal(_) => JavaClass::BigDecimal,
            Value::Date(_) => JavaClass::Date,
        })
    }

    /// The name `value.getClass()` prints.
    fn name(self) -> &'static str {
        match self {
            JavaClass::Boolean => "java.lang.Boolean",
            JavaClass::Byte => "java.lang.Byte",
            JavaClass::Short => "java.lang.Short",
            JavaClass::Integer => "java.lang.Integer",
            JavaClass::Long => "java.lang.Long",
            JavaClass::Float => "java.lang.Float",
            JavaClass::Double => "java.lang.Double",
            JavaClass::String => "java.lang.String",
            JavaClass::Bytes => "[B",
            JavaClass::BigDecimal => "java.math.BigDecimal",
            JavaClass::Date => "java.util.Date",
            JavaClass::List => "java.util.ArrayList",
            JavaClass::Map => "java.util.HashMap",
            JavaClass::Struct => "org.apache.kafka.connect.data.Struct",
        }
    }
}

/// MaskField's typed config.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MaskConfig {
    /// The fields to mask, distinct, in config order.
    fields: Vec<String>,
    /// The same fields, for membership tests.
    listed: HashSet<String>,
    replacement: Option<String>,
    replace_null_with_default: bool,
}

impl MaskConfig {
    fn parse(config: &TransformConfig) -> Result<MaskConfig, ConfigProblem> {
        let mut seen = HashSet::new();
        let fields = required_list(config, "fields")?
            .into_iter()
            .filter(|f| seen.insert(f.clone()))
            .collect();
        let listed = seen;
        let replacement = config.get("replacement").map(|r| r.trim().to_string());
        if replacement.as_deref() == Some("") {
            return Err(ConfigProblem::invalid(
                "replacement",
                "",
                "String must be non-empty",
            ));
        }
        Ok(MaskConfig {
            fields,
            listed,
            replacement,
            replace_null_with_default: config.boolean_or("replace.null.with.default", true)?,
        })
    }

    /// `masked(value)` for a non-null value of `class`: `maskWithNullValue` or
    /// `maskWithCustomReplacement`.
    fn mask(&self, class: JavaClass) -> Result<Value, ConnectError> {
        match &self.replacement {
            None => null_mask(class),
            Some(r) => replacement_mask(class, r),
        }
    }
}

/// `maskWithNullValue`: the type's empty value.
fn null_mask(class: JavaClass) -> Result<Value, ConnectError> {
    Ok(match class {
        JavaClass::Boolean => Value::Boolean(false),
        JavaClass::Byte => Value::Int8(0),
        JavaClass::Short => Value::Int16(0),
        JavaClass::Integer => Value::Int32(0),
        JavaClass::Long => Value::Int64(0),
        JavaClass::Float => Value::Float32(0.0),
        JavaClass::Double => Value::Float64(0.0),
        JavaClass::String => Value::String(String::new()),
        JavaClass::BigDecimal => Value::Decimal(Decimal {
            unscaled: 0,
            scale: 0,
        }),
        JavaClass::Date => Value::Date(0),
        JavaClass::List => Value::Array(Vec::new()),
        JavaClass::Map => Value::Map(Vec::new()),
        JavaClass::Bytes | JavaClass::Struct => {
            return Err(ConnectError::data(format!(
                "Cannot mask value of type: class {}",
                class.name()
            )))
        }
    })
}

/// `maskWithCustomReplacement`: the replacement parsed as the value's class (`Values.convertTo…`
/// for numbers, `new BigDecimal` for decimals).
fn replacement_mask(class: JavaClass, replacement: &str) -> Result<Value, ConnectError> {
    let number = || {
        JavaDecimal::parse(replacement).ok_or_else(|| {
            ConnectError::data(format!(
                "Unable to convert {replacement} (class java.lang.String) to a number"
            ))
        })
    };
    Ok(match class {
        JavaClass::Byte => Value::Int8(number()?.long_value() as i8),
        JavaClass::Short => Value::Int16(number()?.long_value() as i16),
        JavaClass::Integer => Value::Int32(number()?.long_value() as i32),
        JavaClass::Long => Value::Int64(number()?.long_value()),
        JavaClass::Float => Value::Float32(number()?.double_value() as f32),
        JavaClass::Double => Value::Float64(number()?.double_value()),
        JavaClass::String => Value::String(replacement.to_string()),
        JavaClass::BigDecimal => {
            let unparsable = || {
                ConnectError::data(format!(
                    "Unable to convert {replacement} (class java.lang.String) to number"
                ))
            };
            let decimal = JavaDecimal::parse(replacement).ok_or_else(unparsable)?;
            Value::Decimal(decimal.decimal().ok_or_else(|| {
                ConnectError::data(format!(
                    "Decimal value {replacement} has more than 38 digits"
                ))
            })?)
        }
        _ => {
            return Err(ConnectError::data(format!(
                "Cannot mask value of type class {} with custom replacement.",
                class.name()
            )))
        }
    })
}

/// A number as `new BigDecimal(String)` reads it: `[+-]digits[.digits][(e|E)[+-]digits]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct JavaDecimal {
    negative: bool,
    /// The unscaled digits (ASCII), at least one.
    digits: Vec<u8>,
    /// Digits after the point minus the exponent.
    scale: i64,
}

impl JavaDecimal {
    fn parse(text: &str) -> Option<JavaDecimal> {
        let (negative, rest) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
            return None;
        }
        let exponent: i64 = match exponent {
            Some(e) => parse_exponent(e)?,
            None => 0,
        };
        let scale = frac.len() as i64 - exponent;
        i32::try_from(scale).ok()?;
        let digits = [int.as_bytes(), frac.as_bytes()].concat();
        Some(JavaDecimal {
            negative,
            digits,
            scale,
        })
    }

    /// `BigDecimal.longValue()`: the integer part's low 64 bits.
    fn long_value(&self) -> i64 {
        let kept = if self.scale >= 0 {
            self.digits.len().saturating_sub(self.scale as usize)
        } else {
            self.digits.len()
        };
        let mut value = self.digits[..kept].iter().fold(0u64, |v, d| {
            v.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
        });
        // 10^64 is a multiple of 2^64: more trailing zeros leave the low bits 0.
        for _ in 0..(-self.scale).clamp(0, 64) {
            value = value.wrapping_mul(10);
        }
        let value = value as i64;
        if self.negative {
            value.wrapping_neg()
        } else {
            value
        }
    }

    /// `BigDecimal.doubleValue()`: correctly rounded.
    fn double_value(&self) -> f64 {
        let sign = if self.negative { "-" } else { "" };
        let digits = std::str::from_utf8(&self.digits).unwrap_or("0");
        format!("{sign}{digits}e{}", -self.scale)
            .parse()
            .unwrap_or(0.0)
    }

    /// The value as a Connect decimal, if its unscaled value fits 38 digits.
    fn decimal(&self) -> Option<Decimal> {
        let digits = std::str::from_utf8(&self.digits).ok()?;
        let unscaled: i128 = digits.parse().ok()?;
        if unscaled.unsigned_abs() >= 10u128.pow(38) {
            return None;
        }
        Some(Decimal {
            unscaled: if self.negative { -unscaled } else { unscaled },
            scale: i32::try_from(self.scale).ok()?,
        })
    }
}

/// A BigDecimal exponent: `[+-]digits` that fits an `int`.
fn parse_exponent(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i64 = text.parse().ok()?;
    i32::try_from(value).ok().map(i64::from)
}

/// The mask of one schema'd field: a one-row column of the field's type holding the masked
/// value, or the error masking it raises (or the converter would raise on it).
type FieldMask = Result<ArrayRef, ConnectError>;

/// What MaskField does to one schema, computed once.
#[derive(Debug)]
enum SchemaPlan {
    /// Not a STRUCT: every row fails `requireStruct`.
    NotStruct,
    /// Each field's mask (`None`: not masked).
    Masks(Vec<Option<FieldMask>>),
}

/// `MaskField$Key` / `$Value`, configured.
#[derive(Debug)]
pub struct MaskField {
    side: Side,
    config: MaskConfig,
    plans: SchemaCache<SchemaPlan>,
}

impl MaskField {
    /// Parses and validates the config. Cost: once per pipeline.
    pub fn new(config: &TransformConfig, side: Side) -> Result<MaskField, ConfigProblem> {
        Ok(MaskField {
            side,
            config: MaskConfig::parse(config)?,
            plans: SchemaCache::default(),
        })
    }

    fn masks(&self, field: &weir_formats::schema::Field) -> Option<FieldMask> {
        if !self.config.listed.contains(&field.name) {
            return None;
        }
        let mask = self.config.mask(JavaClass::of_schema(&field.schema));
        Some(mask.and_then(|m| one_row(Some(&field.schema), m)))
    }

    fn plan(&self, schema: &SchemaRef) -> Arc<SchemaPlan> {
        let made = self.plans.get_or_try::<()>(schema, || {
            Ok(match schema.kind {
                SchemaKind::Struct(ref fields) => {
                    SchemaPlan::Masks(fields.iter().map(|f| self.masks(f)).collect())
                }
                _ => SchemaPlan::NotStruct,
            })
        });
        made.unwrap_or_else(|()| Arc::new(SchemaPlan::NotStruct))
    }

    /// The schema'd path over a STRUCT column.
    fn apply_schema(
        &self,
        input: &SegmentInput<'_>,
        column: &Column,
        schema: &SchemaRef,
    ) -> SegmentOutput {
        let plan = self.plan(schema);
        let (SchemaPlan::Masks(masks), Some(array)) =
            (&*plan, column.data.as_any().downcast_ref::<StructArray>())
        else {
            return per_row(input, self.side, self);
        };
        let mut outcomes = parent_outcomes(array, || require_struct_error(PURPOSE, &Value::Null));
        let mut children = Vec::with_capacity(masks.len());
        for (i, mask) in masks.iter().enumerate() {
            let child = array.column(i);
            let child = match schema.fields().get(i) {
                Some(f) if self.config.replace_null_with_default => fill_default(&f.schema, child),
                _ => Ok(child.clone()),
            };
            let child = child.and_then(|c| match mask {
                Some(mask) => masked_child(&c, mask, &mut outcomes),
                None => Ok(c),
            });
            match child {
                Ok(c) => children.push(c),
                Err(e) => return SegmentOutput::all_failed(input.rows.len(), &e),
            }
        }
        let built = struct_array(
            array.fields().clone(),
            children,
            array.nulls().cloned(),
            array.len(),
        );
        match built {
            Ok(a) => {
                let new = Column {
                    schema: Some(schema.clone()),
                    data: Arc::new(a),
                };
                assemble(input, self.side, vec![new], outcomes)
            }
            Err(e) => SegmentOutput::all_failed(input.rows.len(), &arrow_failure(e)),
        }
    }

    /// The schemaless path over a map held as a Struct column; children holding raw JSON (whose
    /// values differ in type by row) go through the per-row fallback.
    fn apply_schemaless(&self, input: &SegmentInput<'_>, array: &StructArray) -> SegmentOutput {
        let mut fields: Vec<FieldRef> = array.fields().iter().cloned().collect();
        let mut children: Vec<ArrayRef> = array.columns().to_vec();
        let mut outcomes = parent_outcomes(array, || require_map_error(PURPOSE, &Value::Null));
        let positions = positions_by_name(array.fields().iter().map(|f| f.name().as_str()));
        for name in &self.config.fields {
            // Listed names are distinct, so a key added below is never looked up again.
            let Some(&i) = positions.get(name.as_str()) else {
                // `put(field, masked(null))`: the key is added, with null.
                fields.push(Arc::new(ArrowField::new(name, DataType::Null, true)));
                children.push(new_null_array(&DataType::Null, array.len()));
                continue;
            };
            let mut failure = None;
            let masked = map_kinds(&fields[i], &children[i], |field, child| {
                if field.data_type() == &DataType::Null {
                    return Some(child.clone());
                }
                let class = JavaClass::of_arrow(field.data_type())?;
                if field.metadata().contains_key(META_RAW_JSON) {
                    return None;
                }
                let mask = self.config.mask(class).and_then(|m| one_row(None, m));
                masked_child(child, &mask, &mut outcomes)
                    .map_err(|e| failure = Some(e))
                    .ok()
            });
            match (masked, failure) {
                (_, Some(e)) => return SegmentOutput::all_failed(input.rows.len(), &e),
                (Some(child), None) => {
                    fields[i] = Arc::new(ArrowField::new(name, child.data_type().clone(), true));
                    children[i] = child;
                }
                (None, None) => return per_row(input, self.side, self),
            }
        }
        match struct_array(fields.into(), children, array.nulls().cloned(), array.len()) {
            Ok(a) => {
                let new = Column {
                    schema: None,
                    data: Arc::new(a),
                };
                assemble(input, self.side, vec![new], outcomes)
            }
            Err(e) => SegmentOutput::all_failed(input.rows.len(), &arrow_failure(e)),
        }
    }

    /// The reference's `masked(value)`.
    fn masked(&self, value: &Value) -> Result<Value, ConnectError> {
        match JavaClass::of_value(value) {
            None => Ok(Value::Null),
            Some(class) => self.config.mask(class),
        }
    }

    /// The reference's schemaless path.
    fn record_schemaless(&self, value: &Value) -> Result<Value, ConnectError> {
        let Value::Map(entries) = value else {
            return Err(require_map_error(PURPOSE, value));
        };
        let mut updated = entries.clone();
        for name in &self.config.fields {
            map_put(&mut updated, name, self.masked(map_get(entries, name))?);
        }
        Ok(Value::Map(updated))
    }

    /// The reference's schema'd path. A masked value the field's schema cannot hold (a Decimal of
    /// another scale) fails here; Kafka's converter fails it (`Decimal.fromLogical`).
    fn record_with_schema(&self, value: &Value) -> Result<Value, ConnectError> {
        let Value::Struct(value) = value else {
            return Err(require_struct_error(PURPOSE, value));
        };
        let mut values = Vec::with_capacity(value.values.len());
        for (field, v) in value.schema.fields().iter().zip(&value.values) {
            let v = field_value(field, v, self.config.replace_null_with_default);
            if !self.config.listed.contains(&field.name) {
                values.push(v);
                continue;
            }
            let masked = self.masked(&v)?;
            if !masked.is_null() {
                one_row(Some(&field.schema), masked.clone())?;
            }
            values.push(masked);
        }
        Ok(Value::Struct(Struct {
            schema: value.schema.clone(),
            values,
        }))
    }
}

impl Transform for MaskField {
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
        match (
            &column.schema,
            column.data.as_any().downcast_ref::<StructArray>(),
        ) {
            (Some(schema), _) => self.apply_schema(&input, &column, schema),
            (None, Some(array)) => self.apply_schemaless(&input, array),
            // Not a map: the reference reports each row (`requireMap`).
            (None, None) => per_row(&input, self.side, self),
        }
    }

    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let (schema, value) = record.side(self.side);
        let schema = schema.cloned();
        let value = match schema {
            None => self.record_schemaless(value)?,
            Some(_) => self.record_with_schema(value)?,
        };
        Ok(Some(record.with_side(self.side, schema, value)))
    }
}

/// A one-row column holding `value`, of `schema`'s type (or inferred, schemaless).
fn one_row(schema: Option<&SchemaRef>, value: Value) -> Result<ArrayRef, ConnectError> {
    values_to_array(schema, std::slice::from_ref(&value))
}

/// Every row kept, except null parent rows, which fail with `error`.
fn parent_outcomes(array: &StructArray, error: impl Fn() -> ConnectError) -> Vec<RowOutcome> {
    (0..array.len())
        .map(|i| match array.is_null(i) {
            true => RowOutcome::Failed(error()),
            false => RowOutcome::Part(0),
        })
        .collect()
}

/// `child` masked: the mask where it holds a value, null where it is null. A failing mask
/// fails the kept rows that hold a value (the child is then left as it was).
fn masked_child(
    child: &ArrayRef,
    mask: &FieldMask,
    outcomes: &mut [RowOutcome],
) -> Result<ArrayRef, ConnectError> {
    match mask {
        Ok(one) => {
            let indices: UInt32Array = (0..child.len())
                .map(|i| child.is_valid(i).then_some(0u32))
                .collect();
            arrow_select::take::take(one.as_ref(), &indices, None).map_err(arrow_failure)
        }
        Err(e) => {
            for (i, outcome) in outcomes.iter_mut().enumerate() {
                if matches!(outcome, RowOutcome::Part(_)) && child.is_valid(i) {
                    *outcome = RowOutcome::Failed(e.clone());
                }
            }
            Ok(child.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::*;
    use proptest::prelude::*;

    fn mask(pairs: &[(&str, &str)], side: Side) -> MaskField {
        MaskField::new(&config(pairs), side).expect("valid config")
    }

    fn configs() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
        let fields = prop::sample::select(vec!["a", "a,b,c", "id,name,nosuch", "b"]);
        let replacement = prop::sample::select(vec!["", "***", "12", "1.50", "-3e2", "abc"]);
        (fields, replacement, any::<bool>()).prop_map(|(fields, replacement, replace)| {
            let mut pairs = vec![
                ("fields", fields),
                (
                    "replace.null.with.default",
                    if replace { "true" } else { "false" },
                ),
            ];
            if !replacement.is_empty() {
                pairs.push(("replacement", replacement));
            }
            pairs
        })
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference_schemad(
            (schema, values) in struct_rows(),
            pairs in configs(),
        ) {
            let t = mask(&pairs, Side::Value);
            let keys = vec![Value::Null; values.len()];
            check(&t, (None, keys), (Some(schema), values), false)?;
        }

        #[test]
        fn kernel_agrees_with_reference_on_ragged_records(rows in ragged_rows(), pairs in configs(), on_key in any::<bool>()) {
            let side = if on_key { Side::Key } else { Side::Value };
            check_decoded(&mask(&pairs, side), side, &rows)?;
        }

        #[test]
        fn kernel_agrees_with_reference_schemaless(rows in schemaless_rows(), pairs in configs(), on_key in any::<bool>()) {
            let side = if on_key { Side::Key } else { Side::Value };
            let t = mask(&pairs, side);
            let others = vec![Value::String("k".into()); rows.len()];
            let (key, value) = if on_key { (rows, others) } else { (others, rows) };
            check(&t, (None, key), (None, value), false)?;
        }
    }

    #[test]
    fn replacements_parse_like_java() {
        let long = |s: &str| JavaDecimal::parse(s).map(|d| d.long_value());
        assert_eq!(long("12"), Some(12));
        assert_eq!(long("-12.9"), Some(-12));
        assert_eq!(long("1e3"), Some(1000));
        assert_eq!(long("+.5"), Some(0));
        assert_eq!(long("18446744073709551617"), Some(1));
        assert_eq!(long("1e100"), Some(0));
        assert_eq!(long("abc"), None);
        assert_eq!(long("1e"), None);
        assert_eq!(long("."), None);
        assert_eq!(long(" 1"), None);
        assert_eq!(
            JavaDecimal::parse("2.5E-1").map(|d| d.double_value()),
            Some(0.25)
        );
        assert_eq!(
            JavaDecimal::parse("1.50").and_then(|d| d.decimal()),
            Some(Decimal {
                unscaled: 150,
                scale: 2
            })
        );
        assert_eq!(
            replacement_mask(JavaClass::Integer, "3000000000").unwrap(),
            Value::Int32(3_000_000_000u32 as i32)
        );
    }

    #[test]
    fn mask_messages_match_kafka() {
        assert_eq!(
            replacement_mask(JavaClass::Long, "abc")
                .unwrap_err()
                .message,
            "Unable to convert abc (class java.lang.String) to a number"
        );
        assert_eq!(
            replacement_mask(JavaClass::BigDecimal, "abc")
                .unwrap_err()
                .message,
            "Unable to convert abc (class java.lang.String) to number"
        );
        assert_eq!(
            replacement_mask(JavaClass::Boolean, "x")
                .unwrap_err()
                .message,
            "Cannot mask value of type class java.lang.Boolean with custom replacement."
        );
        assert_eq!(
            null_mask(JavaClass::Struct).unwrap_err().message,
            "Cannot mask value of type: class org.apache.kafka.connect.data.Struct"
        );
        assert_eq!(null_mask(JavaClass::Date).unwrap(), Value::Date(0));
    }

    #[test]
    fn a_decimal_mask_keeps_its_own_scale() {
        let schema =
            Schema::structure([("a".to_string(), Schema::decimal(2).into_ref())]).into_ref();
        let value = Value::Struct(Struct {
            schema: schema.clone(),
            values: vec![Value::Decimal(Decimal {
                unscaled: 5,
                scale: 2,
            })],
        });
        let masked = |pairs: &[(&str, &str)]| {
            let t = mask(pairs, Side::Value);
            match t.record_with_schema(&value) {
                Ok(Value::Struct(s)) => s.values[0].clone(),
                other => panic!("not masked: {other:?}"),
            }
        };
        // `BigDecimal.ZERO` and `new BigDecimal("1.5")` keep their scales (0 and 1) in a scale-2
        // field, as in Kafka; a writer that needs the schema's scale fails them later.
        let d = |unscaled, scale| Value::Decimal(Decimal { unscaled, scale });
        assert_eq!(masked(&[("fields", "a")]), d(0, 0));
        assert_eq!(masked(&[("fields", "a"), ("replacement", "1.5")]), d(15, 1));
        assert_eq!(
            masked(&[("fields", "a"), ("replacement", "1.25")]),
            d(125, 2)
        );
    }

    #[test]
    fn schemaless_absent_fields_are_put_as_null_and_tombstones_fail() {
        let rows = vec![
            Value::Map(vec![(Value::String("a".into()), Value::Int64(7))]),
            Value::Null,
        ];
        let t = mask(&[("fields", "a,b")], Side::Value);
        let (out, _) = apply_to_values(&t, None, &rows);
        assert_eq!(out.errors.len(), 1);
        assert_eq!(
            out.errors[0].1.message,
            "Only Map objects supported in absence of schema for [mask fields], found: null"
        );
        let part = &out.parts[0];
        let value = weir_formats::value_array::value_at(None, part.value.data.as_ref(), 0);
        assert_eq!(
            value,
            Value::Map(vec![
                (Value::String("a".into()), Value::Int64(0)),
                (Value::String("b".into()), Value::Null),
            ])
        );
    }

    #[test]
    fn config_errors_match_kafka() {
        let e = MaskField::new(&config(&[]), Side::Value).unwrap_err();
        assert_eq!(
            e.message,
            "Missing required configuration \"fields\" which has no default value."
        );
        let e = MaskField::new(
            &config(&[("fields", "a"), ("replacement", "")]),
            Side::Value,
        )
        .unwrap_err();
        assert_eq!(e.key, "replacement");
        assert_eq!(
            e.message,
            "Invalid value  for configuration replacement: String must be non-empty"
        );
        let e = MaskField::new(&config(&[("fields", "")]), Side::Value).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid value [] for configuration fields: Empty list"
        );
        let e = MaskField::new(
            &config(&[
                ("fields", "a"),
                ("replacement", "x"),
                ("replace.null.with.default", "perhaps"),
            ]),
            Side::Value,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Invalid value perhaps for configuration replace.null.with.default: Expected value to be either true or false"
        );
    }
}
