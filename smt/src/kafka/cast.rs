//! `Cast$Key` / `Cast$Value`: casts the whole key or value, or top-level fields of a Struct or
//! schemaless map, to another primitive type (Kafka's `Cast.java`).
//!
//! Casts follow Java: numbers narrow as `Number.byteValue()` etc. do (bits dropped, floats
//! truncated and saturated), strings parse with `Integer.parseInt` / `Double.parseDouble` (a
//! failure is `Value (…) was out of range for requested data type`), booleans are 1/0 and
//! `longValue() != 0`, bytes become base64 text, Decimals print as `BigDecimal.toString()`, and
//! Date/Time/Timestamp values become their internal integers (or ISO-8601 text for `string`).
//!
//! Kernel: the output schema is built once per input schema (cached); per segment each cast
//! column is read straight from its Arrow buffers and written to a builder of the target type,
//! and the struct is reassembled from the untouched child arrays. A null key/value passes
//! unchanged (keeping its schema).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};

use arrow_array::builder::{BooleanBuilder, PrimitiveBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::{new_null_array, Array, ArrayRef, PrimitiveArray, StructArray};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, FieldRef, Fields, TimeUnit};
use weir_formats::arrow_mapping::{arrow_type, struct_fields};
use weir_formats::batch::Column;
use weir_formats::decimal_column::{is_own_scale, DecimalColumn};
use weir_formats::error::ConnectError;
use weir_formats::java_number::{format_f32, format_f64};
use weir_formats::json::reference::big_decimal_string;
use weir_formats::schema::{
    Field, LogicalType, Schema, SchemaKind, SchemaRef, DATE_LOGICAL_NAME, TIMESTAMP_LOGICAL_NAME,
    TIME_LOGICAL_NAME,
};
use weir_formats::value::{Decimal, Struct, Value};

use crate::config::{java_split_colon, kafka_list};
use crate::kernel::arrow_build::arrow_failure;
use crate::kernel::millis::MS_PER_DAY;
use crate::kernel::row_errors::{assemble_rows, rebuild_struct, RowErrors};

use crate::kernel::segment_output::{fail_non_null_rows, side_column};
use crate::kernel::text_column::TextColumn;

use crate::kernel::defaults::{children_with_defaults, field_value};

use crate::kernel::fields::{map_get, map_put, positions_by_name, put_map_column};
use crate::kernel::java_time_format::SimpleDateFormat;
use crate::kernel::per_row::per_row;
use crate::kernel::requirements::{require_map_error, require_struct_error};
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::schema_copy::copy_schema_basics;
use crate::kernel::variants::{holds_raw_json, map_kinds};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

const PURPOSE: &str = "cast types";

/// A type Cast can produce (`SUPPORTED_CAST_OUTPUT_TYPES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
}

const OUTPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]";
const INPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";

impl Target {
    /// `Schema.Type.valueOf(name.toUpperCase())` then `validCastType(…, OUTPUT)`.
    fn parse(name: &str) -> Result<Target, ConfigProblem> {
        let name = name.trim();
        Ok(match name.to_uppercase().as_str() {
            "INT8" => Target::Int8,
            "INT16" => Target::Int16,
            "INT32" => Target::Int32,
            "INT64" => Target::Int64,
            "FLOAT32" => Target::Float32,
            "FLOAT64" => Target::Float64,
            "BOOLEAN" => Target::Boolean,
            "STRING" => Target::String,
            other @ ("BYTES" | "ARRAY" | "MAP" | "STRUCT") => {
                return Err(ConfigProblem::new(
                    "spec",
                    format!(
                        "Cast transformation does not support casting to {other}; supported types are {OUTPUT_TYPES}"
                    ),
                ))
            }
            _ => {
                return Err(ConfigProblem::new(
                    "spec",
                    format!("Invalid type found in casting spec: {name}"),
                ))
            }
        })
    }

    fn kind(self) -> SchemaKind {
        match self {
            Target::Int8 => SchemaKind::Int8,
            Target::Int16 => SchemaKind::Int16,
            Target::Int32 => SchemaKind::Int32,
            Target::Int64 => SchemaKind::Int64,
            Target::Float32 => SchemaKind::Float32,
            Target::Float64 => SchemaKind::Float64,
            Target::Boolean => SchemaKind::Boolean,
            Target::String => SchemaKind::String,
        }
    }

    /// `castToInt8` … `castToString` of one value, as the Java object the target type holds.
    fn cast(self, s: Scalar<'_>) -> Result<Value, ConnectError> {
        Ok(match self {
            Target::Int8 => Value::Int8(to_i8(s)?),
            Target::Int16 => Value::Int16(to_i16(s)?),
            Target::Int32 => Value::Int32(to_i32(s)?),
            Target::Int64 => Value::Int64(to_i64(s)?),
            Target::Float32 => Value::Float32(to_f32(s)?),
            Target::Float64 => Value::Float64(to_f64(s)?),
            Target::Boolean => Value::Boolean(to_bool(s)?),
            Target::String => {
                let mut text = String::new();
                write_string(s, &mut text);
                Value::String(text)
            }
        })
    }
}

/// The parsed `spec`: one type for the whole value, or a type per field (a `HashMap`: a field
/// named twice takes the last type).
#[derive(Debug, Clone, PartialEq)]
struct CastSpec {
    whole: Option<Target>,
    fields: Vec<(String, Target)>,
    /// Each field's type, for lookups by name.
    targets: HashMap<String, Target>,
}

impl CastSpec {
    /// `ConfigDef`'s LIST parsing (split on commas, empty items kept) and `parseFieldTypes`.
    fn parse(raw: &str) -> Result<CastSpec, ConfigProblem> {
        let items = kafka_list(raw);
        if items.is_empty() {
            return Err(ConfigProblem::new(
                "spec",
                "Must specify at least one field to cast.",
            ));
        }
        let mut spec = CastSpec {
            whole: None,
            fields: Vec::new(),
            targets: HashMap::new(),
        };
        for item in &items {
            let parts = java_split_colon(item);
            match parts.as_slice() {
                [ty] => spec.whole = Some(Target::parse(ty)?),
                [field, ty] => {
                    let target = Target::parse(ty)?;
                    let field = field.trim();
                    spec.fields.push((field.to_string(), target));
                }
                [] => {
                    return Err(ConfigProblem::new(
                        "spec",
                        "Index 1 out of bounds for length 0",
                    ))
                }
                _ => {
                    return Err(ConfigProblem::new(
                        "spec",
                        format!(
                            "Invalid value [{}] for configuration renames: Invalid rename mapping: {item}",
                            items.join(", ")
                        ),
                    ))
                }
            }
        }
        // A field named twice takes its last type, at its last place. Cost: O(items).
        let mut seen = HashSet::new();
        spec.fields.reverse();
        spec.fields.retain(|(field, _)| seen.insert(field.clone()));
        spec.fields.reverse();
        spec.targets = spec.fields.iter().cloned().collect();
        if spec.whole.is_some() && items.len() > 1 {
            return Err(ConfigProblem::new(
                "spec",
                "Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec",
            ));
        }
        Ok(spec)
    }

    fn target_of(&self, field: &str) -> Option<Target> {
        self.targets.get(field).copied()
    }
}

/// A configured `Cast$Key` / `Cast$Value`.
#[derive(Debug)]
pub struct Cast {
    side: Side,
    spec: CastSpec,
    replace_null_with_default: bool,
    plans: SchemaCache<Plan>,
}

/// What Cast does to one input schema, computed once.
#[derive(Debug)]
enum Plan {
    /// The output schema cannot be built (a default that does not cast, a field cast of a
    /// non-struct): every non-null row fails.
    Fails(ConnectError),
    /// The whole value becomes `schema`.
    Whole { schema: SchemaRef, target: Target },
    /// The struct becomes `schema`; `casts[i]` is the target of input field `i`, if cast.
    Fields {
        schema: SchemaRef,
        fields: Fields,
        casts: Vec<Option<Target>>,
    },
}

impl Cast {
    /// Parses and validates the config (`spec`, `replace.null.with.default`). Cost: once per
    /// pipeline.
    pub fn new(config: &TransformConfig, side: Side) -> Result<Cast, ConfigProblem> {
        let raw = config
            .get("spec")
            .ok_or_else(|| ConfigProblem::missing("spec"))?;
        Ok(Cast {
            side,
            spec: CastSpec::parse(raw)?,
            replace_null_with_default: config.boolean_or("replace.null.with.default", true)?,
            plans: SchemaCache::default(),
        })
    }

    /// `getOrBuildSchema` without the cache.
    fn updated_schema(&self, source: &Schema) -> Result<Schema, ConnectError> {
        if let Some(target) = self.spec.whole {
            let mut schema = copy_schema_basics(source, target.kind());
            if let Some(default) = &source.default {
                let cast = cast_value(Some(source), default, target)?;
                schema.default = Some(as_logical(&schema, cast));
            }
            return Ok(schema);
        }
        if !matches!(source.kind, SchemaKind::Struct(_)) {
            return Err(ConnectError::data("Cannot list fields on non-struct type"));
        }
        let mut fields = Vec::with_capacity(source.fields().len());
        for field in source.fields() {
            let Some(target) = self.spec.target_of(&field.name) else {
                fields.push(field.clone());
                continue;
            };
            let mut schema = Schema::new(target.kind());
            schema.optional = field.schema.optional;
            if let Some(default) = &field.schema.default {
                schema.default = Some(cast_value(Some(&field.schema), default, target)?);
            }
            fields.push(Field {
                name: field.name.clone(),
                schema: schema.into_ref(),
            });
        }
        if source.default.is_some() {
            // `castValueToType(schema, default, STRUCT)`: a struct never casts.
            return Err(unsupported_input("STRUCT"));
        }
        Ok(copy_schema_basics(source, SchemaKind::Struct(fields)))
    }

    fn plan(&self, schema: &SchemaRef) -> Arc<Plan> {
        let made = self.plans.get_or_try::<Infallible>(schema, || {
            Ok(match self.updated_schema(schema) {
                Err(e) => Plan::Fails(e),
                Ok(updated) => match self.spec.whole {
                    Some(target) => Plan::Whole {
                        schema: updated.into_ref(),
                        target,
                    },
                    None => Plan::Fields {
                        fields: struct_fields(updated.fields()),
                        casts: schema
                            .fields()
                            .iter()
                            .map(|f| self.spec.target_of(&f.name))
                            .collect(),
                        schema: updated.into_ref(),
                    },
                },
            })
        });
        match made {
            Ok(plan) => plan,
            Err(never) => match never {},
        }
    }

    /// The schema'd path.
    fn apply_schema(
        &self,
        input: &SegmentInput<'_>,
        column: &Column,
        source: &SchemaRef,
    ) -> SegmentOutput {
        match &*self.plan(source) {
            Plan::Fails(e) => fail_non_null_rows(input, self.side, |_| e.clone()),
            Plan::Whole { schema, target } => {
                let casted = cast_column(&column.data, Some(source), *target);
                let data = match logical_column(casted.data, schema) {
                    Ok(data) => data,
                    Err(e) => return SegmentOutput::all_failed(input.rows.len(), &e),
                };
                let new = Column {
                    schema: Some(schema.clone()),
                    data,
                };
                let errors = RowErrors::from_failed(column.data.len(), casted.errors);
                assemble_rows(
                    input,
                    self.side,
                    vec![new, column.clone()],
                    column.data.as_ref(),
                    errors,
                    1,
                )
            }
            Plan::Fields {
                schema,
                fields,
                casts,
            } => {
                let Some(array) = column.data.as_struct_opt() else {
                    return per_row(input, self.side, self);
                };
                let children =
                    children_with_defaults(source.fields(), array, self.replace_null_with_default);
                let children = match children {
                    Ok(children) => children,
                    Err(e) => return SegmentOutput::all_failed(input.rows.len(), &e),
                };
                let casts = source
                    .fields()
                    .iter()
                    .zip(casts)
                    .enumerate()
                    .filter_map(|(i, (f, t))| t.map(|t| (i, f.schema.as_ref(), t)));
                let (children, errors) = cast_children(array, children, casts);
                let new = match rebuild_struct(array, fields.clone(), children, &errors) {
                    Ok(data) => Column {
                        schema: Some(schema.clone()),
                        data,
                    },
                    Err(e) => return SegmentOutput::all_failed(input.rows.len(), &e),
                };
                assemble_rows(
                    input,
                    self.side,
                    vec![new, column.clone()],
                    array,
                    errors,
                    1,
                )
            }
        }
    }

    /// The schemaless path.
    fn apply_schemaless(&self, input: &SegmentInput<'_>, column: &Column) -> SegmentOutput {
        let data = column.data.as_ref();
        if data.logical_null_count() == data.len() {
            return SegmentOutput::all(input.rows.len(), input.key.clone(), input.value.clone());
        }
        if let Some(target) = self.spec.whole {
            let casted = cast_column(&column.data, None, target);
            let new = Column {
                schema: None,
                data: casted.data,
            };
            let errors = RowErrors::from_failed(data.len(), casted.errors);
            return assemble_rows(input, self.side, vec![new], data, errors, 0);
        }
        match data.as_struct_opt() {
            Some(array) if !self.touches_raw_json(array) => self.schemaless_fields(input, array),
            // Not a map (each row fails `requireMap`), or a cast field whose rows disagree on
            // its type (held as raw JSON text): the per-row reference, for this segment only.
            _ => per_row(input, self.side, self),
        }
    }

    fn touches_raw_json(&self, array: &StructArray) -> bool {
        array
            .fields()
            .iter()
            .any(|f| holds_raw_json(f) && self.spec.target_of(f.name()).is_some())
    }

    /// The map's columns with each spec'd field cast, or added as null where absent
    /// (`HashMap.put(field, cast(value.get(field)))`).
    fn schemaless_fields(&self, input: &SegmentInput<'_>, array: &StructArray) -> SegmentOutput {
        let n = array.len();
        let mut fields: Vec<FieldRef> = array.fields().iter().cloned().collect();
        let mut columns: Vec<ArrayRef> = array.columns().to_vec();
        let mut errors = RowErrors::new(n);
        // Spec'd names are distinct, so a column added below is never looked up again.
        let positions = positions_by_name(array.fields().iter().map(|f| f.name().as_str()));
        for (name, target) in &self.spec.fields {
            let position = positions.get(name.as_str()).copied();
            let data = match position {
                Some(i) => {
                    let casted = map_kinds(&fields[i], &columns[i], |_, column| {
                        let casted = cast_column(column, None, *target);
                        keep_first_errors(array, &mut errors, casted.errors);
                        Some(casted.data)
                    });
                    match casted {
                        Some(data) => data,
                        None => return per_row(input, self.side, self),
                    }
                }
                None => new_null_array(&arrow_type(&Schema::new(target.kind())), n),
            };
            put_map_column(&mut fields, &mut columns, position, name, data);
        }
        let new = match rebuild_struct(array, fields.into(), columns, &errors) {
            Ok(data) => Column { schema: None, data },
            Err(e) => return SegmentOutput::all_failed(input.rows.len(), &e),
        };
        assemble_rows(input, self.side, vec![new], array, errors, 0)
    }

    /// The reference's `applySchemaless`.
    fn record_schemaless(&self, value: &Value) -> Result<Value, ConnectError> {
        if let Some(target) = self.spec.whole {
            return cast_value(None, value, target);
        }
        let Value::Map(entries) = value else {
            return Err(require_map_error(PURPOSE, value));
        };
        let mut updated = entries.clone();
        for (name, target) in &self.spec.fields {
            let original = map_get(entries, name);
            map_put(&mut updated, name, cast_value(None, original, *target)?);
        }
        Ok(Value::Map(updated))
    }

    /// The reference's `applyWithSchema`.
    fn record_with_schema(
        &self,
        schema: &Schema,
        value: &Value,
    ) -> Result<(SchemaRef, Value), ConnectError> {
        let updated = self.updated_schema(schema)?.into_ref();
        if let Some(target) = self.spec.whole {
            let cast = cast_value(Some(schema), value, target)?;
            return Ok((updated.clone(), as_logical(&updated, cast)));
        }
        let Value::Struct(value) = value else {
            return Err(require_struct_error(PURPOSE, value));
        };
        let mut values = Vec::with_capacity(value.values.len());
        for (field, v) in value.schema.fields().iter().zip(&value.values) {
            let original = field_value(field, v, self.replace_null_with_default);
            values.push(match self.spec.target_of(&field.name) {
                Some(target) => cast_value(Some(&field.schema), &original, target)?,
                None => original,
            });
        }
        let schema = updated.clone();
        Ok((updated, Value::Struct(Struct { schema, values })))
    }
}

impl Transform for Cast {
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
            None => self.apply_schemaless(&input, &column),
        }
    }

    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.side(self.side).1.is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = record.applied_side(
            self.side,
            |value| self.record_schemaless(value),
            |schema, value| self.record_with_schema(schema, value),
        )?;
        Ok(Some(record.with_side(self.side, schema, value)))
    }
}

// ---- the reference's castValueToType ----

/// `castValueToType(schema, value, target)` on a value tree.
fn cast_value(
    schema: Option<&Schema>,
    value: &Value,
    target: Target,
) -> Result<Value, ConnectError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let problem = match schema {
        Some(schema) => schema_input_problem(schema),
        None => value_input_problem(value),
    };
    if let Some(problem) = problem {
        return Err(problem);
    }
    let Some(scalar) = Scalar::of(value) else {
        return Err(unexpected_type(value.java_class()));
    };
    target.cast(encode_logical(schema, scalar, target)?)
}

/// `ConnectSchema.schemaType(value.getClass())` and `validCastType(…, INPUT)` for a schemaless
/// value.
fn value_input_problem(value: &Value) -> Option<ConnectError> {
    match value {
        Value::Array(_) => Some(unsupported_input("ARRAY")),
        Value::Map(_) => Some(unsupported_input("MAP")),
        Value::Struct(_) => Some(unsupported_input("STRUCT")),
        Value::Decimal(_) | Value::Date(_) => Some(not_connect_class(value.java_class())),
        _ => None,
    }
}

/// `validCastType(schema.type(), INPUT)`.
fn schema_input_problem(schema: &Schema) -> Option<ConnectError> {
    match schema.kind {
        SchemaKind::Array(_) | SchemaKind::Map(..) | SchemaKind::Struct(_) => {
            Some(unsupported_input(schema.type_name()))
        }
        _ => None,
    }
}

/// `validCastType(schemaType(class), INPUT)` for a schemaless column of `data_type`.
fn arrow_input_problem(data_type: &DataType) -> Option<ConnectError> {
    match data_type {
        own if is_own_scale(own) => Some(not_connect_class("java.math.BigDecimal")),
        DataType::Struct(_) | DataType::Map(..) => Some(unsupported_input("MAP")),
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            Some(unsupported_input("ARRAY"))
        }
        DataType::Decimal128(..) | DataType::Decimal256(..) => {
            Some(not_connect_class("java.math.BigDecimal"))
        }
        DataType::Date32 | DataType::Time32(_) | DataType::Timestamp(..) => {
            Some(not_connect_class("java.util.Date"))
        }
        _ => None,
    }
}

fn unsupported_input(type_name: &str) -> ConnectError {
    ConnectError::data(format!(
        "Cast transformation does not support casting from {type_name}; supported types are {INPUT_TYPES}"
    ))
}

fn not_connect_class(class: &str) -> ConnectError {
    ConnectError::data(format!(
        "Cast transformation was passed a value of type class {class} which is not supported by Connect's data API"
    ))
}

fn unexpected_type(class: &str) -> ConnectError {
    ConnectError::data(format!(
        "Unexpected type in Cast transformation: class {class}"
    ))
}

fn out_of_range(text: &str) -> ConnectError {
    ConnectError::data(format!(
        "Value ({text}) was out of range for requested data type"
    ))
}

/// A value cast to a schema whose logical type is kept by `copySchemaBasics` (a whole Date,
/// Time or Timestamp cast to its own physical type), held as that logical value.
fn as_logical(schema: &Schema, value: Value) -> Value {
    match (schema.logical_type(), value) {
        (Some(LogicalType::Date), Value::Int32(days)) => Value::Date(i64::from(days) * MS_PER_DAY),
        (Some(LogicalType::Time), Value::Int32(ms)) => Value::Date(i64::from(ms)),
        (Some(LogicalType::Timestamp), Value::Int64(ms)) => Value::Date(ms),
        (_, value) => value,
    }
}

/// The kernel's counterpart of [`as_logical`]: the column in the Arrow type of `schema`.
fn logical_column(data: ArrayRef, schema: &Schema) -> Result<ArrayRef, ConnectError> {
    let wanted = arrow_type(schema);
    if data.data_type() == &wanted {
        return Ok(data);
    }
    arrow_cast::cast(data.as_ref(), &wanted).map_err(arrow_failure)
}

// ---- one value as Java holds it ----

/// One non-null value as `castValueToType` sees the Java object, borrowed from a column or a
/// value tree.
#[derive(Debug, Clone, Copy)]
enum Scalar<'a> {
    /// `Byte`, `Short`, `Integer` or `Long`.
    Int(i64),
    Float(f32),
    Double(f64),
    Bool(bool),
    Str(&'a str),
    Bytes(&'a [u8]),
    Decimal(Decimal),
    /// `java.util.Date` in ms.
    Date(i64),
}

impl<'a> Scalar<'a> {
    fn of(value: &'a Value) -> Option<Scalar<'a>> {
        Some(match value {
            Value::Int8(v) => Scalar::Int(i64::from(*v)),
            Value::Int16(v) => Scalar::Int(i64::from(*v)),
            Value::Int32(v) => Scalar::Int(i64::from(*v)),
            Value::Int64(v) => Scalar::Int(*v),
            Value::Float32(v) => Scalar::Float(*v),
            Value::Float64(v) => Scalar::Double(*v),
            Value::Boolean(v) => Scalar::Bool(*v),
            Value::String(v) => Scalar::Str(v),
            Value::Bytes(v) => Scalar::Bytes(v),
            Value::Decimal(d) => Scalar::Decimal(*d),
            Value::Date(ms) => Scalar::Date(*ms),
            Value::Null | Value::Array(_) | Value::Map(_) | Value::Struct(_) => return None,
        })
    }

    fn int_value(self) -> Result<i32, ConnectError> {
        Ok(match self {
            Scalar::Int(v) => v as i32,
            Scalar::Float(f) => f as i32,
            Scalar::Double(d) => d as i32,
            Scalar::Decimal(d) => decimal_integer(d) as i32,
            other => return Err(other.unexpected()),
        })
    }

    fn long_value(self) -> Result<i64, ConnectError> {
        Ok(match self {
            Scalar::Int(v) => v,
            Scalar::Float(f) => f as i64,
            Scalar::Double(d) => d as i64,
            Scalar::Decimal(d) => decimal_integer(d) as i64,
            other => return Err(other.unexpected()),
        })
    }

    fn unexpected(self) -> ConnectError {
        unexpected_type(match self {
            Scalar::Bytes(_) => "[B",
            Scalar::Date(_) => "java.util.Date",
            Scalar::Str(_) => "java.lang.String",
            Scalar::Bool(_) => "java.lang.Boolean",
            _ => "java.lang.Number",
        })
    }
}

/// `encodeLogicalType`: a Date/Time/Timestamp value becomes its internal integer unless the
/// target is a string.
fn encode_logical<'a>(
    schema: Option<&Schema>,
    scalar: Scalar<'a>,
    target: Target,
) -> Result<Scalar<'a>, ConnectError> {
    let (Some(name), Scalar::Date(ms)) = (schema.and_then(|s| s.name.as_deref()), scalar) else {
        return Ok(scalar);
    };
    if target == Target::String {
        return Ok(scalar);
    }
    Ok(match name {
        DATE_LOGICAL_NAME if ms.rem_euclid(MS_PER_DAY) != 0 => {
            return Err(ConnectError::data(
                "Kafka Connect Date type should not have any time fields set to non-zero values.",
            ))
        }
        DATE_LOGICAL_NAME => Scalar::Int(i64::from((ms / MS_PER_DAY) as i32)),
        TIME_LOGICAL_NAME if !(0..=MS_PER_DAY).contains(&ms) => {
            return Err(ConnectError::data(
                "Kafka Connect Time type should not have any date fields set to non-zero values.",
            ))
        }
        TIME_LOGICAL_NAME => Scalar::Int(i64::from(ms as i32)),
        TIMESTAMP_LOGICAL_NAME => Scalar::Int(ms),
        _ => scalar,
    })
}

/// `BigDecimal.toBigInteger()`'s low 128 bits (what `intValue()` / `longValue()` narrow).
fn decimal_integer(d: Decimal) -> i128 {
    if d.scale <= 0 {
        d.unscaled
            .wrapping_mul(10i128.wrapping_pow(d.scale.unsigned_abs()))
    } else if d.scale > 38 {
        0
    } else {
        d.unscaled / 10i128.pow(d.scale as u32)
    }
}

fn decimal_f64(d: Decimal) -> f64 {
    format!("{}e{}", d.unscaled, -i64::from(d.scale))
        .parse()
        .unwrap_or(f64::NAN)
}

fn decimal_f32(d: Decimal) -> f32 {
    format!("{}e{}", d.unscaled, -i64::from(d.scale))
        .parse()
        .unwrap_or(f32::NAN)
}

fn to_i8(s: Scalar<'_>) -> Result<i8, ConnectError> {
    Ok(match s {
        Scalar::Bool(b) => i8::from(b),
        Scalar::Str(t) => parse_java_integer(t, i8::MIN.into(), i8::MAX.into())? as i8,
        other => other.int_value()? as i8,
    })
}

fn to_i16(s: Scalar<'_>) -> Result<i16, ConnectError> {
    Ok(match s {
        Scalar::Bool(b) => i16::from(b),
        Scalar::Str(t) => parse_java_integer(t, i16::MIN.into(), i16::MAX.into())? as i16,
        other => other.int_value()? as i16,
    })
}

fn to_i32(s: Scalar<'_>) -> Result<i32, ConnectError> {
    Ok(match s {
        Scalar::Bool(b) => i32::from(b),
        Scalar::Str(t) => parse_java_integer(t, i32::MIN.into(), i32::MAX.into())? as i32,
        other => other.int_value()?,
    })
}

fn to_i64(s: Scalar<'_>) -> Result<i64, ConnectError> {
    Ok(match s {
        Scalar::Bool(b) => i64::from(b),
        Scalar::Str(t) => parse_java_integer(t, i64::MIN, i64::MAX)?,
        other => other.long_value()?,
    })
}

fn to_f32(s: Scalar<'_>) -> Result<f32, ConnectError> {
    Ok(match s {
        Scalar::Int(v) => v as f32,
        Scalar::Float(f) => f,
        Scalar::Double(d) => d as f32,
        Scalar::Decimal(d) => decimal_f32(d),
        Scalar::Bool(b) => f32::from(u8::from(b)),
        Scalar::Str(t) => parse_java_float(t)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| out_of_range(t))?,
        other => return Err(other.unexpected()),
    })
}

fn to_f64(s: Scalar<'_>) -> Result<f64, ConnectError> {
    Ok(match s {
        Scalar::Int(v) => v as f64,
        Scalar::Float(f) => f64::from(f),
        Scalar::Double(d) => d,
        Scalar::Decimal(d) => decimal_f64(d),
        Scalar::Bool(b) => f64::from(u8::from(b)),
        Scalar::Str(t) => match plain_decimal(t) {
            Some(value) => value,
            None => parse_java_float(t)
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| out_of_range(t))?,
        },
        other => return Err(other.unexpected()),
    })
}

/// 10⁰ to 10¹⁵, each exactly a double.
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// `Double.parseDouble` of a plain decimal (surrounding control characters and spaces, a sign,
/// at most 15 digits around at most one point), `None` for any other text. Exact: the digits
/// as an integer (below 2⁵³) and the power of ten are both doubles, and one IEEE division
/// rounds their quotient correctly, as Java's parser rounds (Clinger's fast path). Cost: one
/// pass over the text and a division, where [`parse_java_float`] and Rust's parser took about
/// 600 instructions for a price like `123.45` (callgrind).
fn plain_decimal(text: &str) -> Option<f64> {
    let t = text.trim_matches(|c: char| c <= ' ').as_bytes();
    let (negative, body) = match t {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, t),
    };
    let mut mantissa = 0u64;
    let mut digits = 0;
    let mut point = None;
    for (i, &b) in body.iter().enumerate() {
        match b {
            b'0'..=b'9' if digits < 15 => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                digits += 1;
            }
            b'.' if point.is_none() => point = Some(i),
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    let fraction_digits = point.map_or(0, |at| body.len() - at - 1);
    let value = mantissa as f64 / POWERS_OF_TEN[fraction_digits];
    Some(if negative { -value } else { value })
}

fn to_bool(s: Scalar<'_>) -> Result<bool, ConnectError> {
    Ok(match s {
        Scalar::Bool(b) => b,
        Scalar::Str(t) => t.eq_ignore_ascii_case("true"),
        other => other.long_value()? != 0,
    })
}

/// `castToString`: `toString()`, base64 for bytes, ISO-8601 for dates.
fn write_string(s: Scalar<'_>, out: &mut String) {
    match s {
        // itoa, not `write!`: the formatting machinery cost 270 instructions an integer (callgrind).
        Scalar::Int(v) => out.push_str(itoa::Buffer::new().format(v)),
        Scalar::Float(f) => out.push_str(&format_f32(f)),
        Scalar::Double(d) => out.push_str(&format_f64(d)),
        Scalar::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Scalar::Str(t) => out.push_str(t),
        Scalar::Bytes(b) => base64_into(b, out),
        Scalar::Decimal(d) => out.push_str(&big_decimal_string(&d)),
        Scalar::Date(ms) => out.push_str(&iso_date(ms)),
    }
}

/// `Values.dateFormatFor(date).format(date)` (in UTC): a time before one day, a date at
/// midnight, else a timestamp.
fn iso_date(ms: i64) -> String {
    static FORMATS: OnceLock<Option<[SimpleDateFormat; 3]>> = OnceLock::new();
    let formats = FORMATS.get_or_init(|| {
        Some([
            SimpleDateFormat::new("HH:mm:ss.SSS'Z'").ok()?,
            SimpleDateFormat::new("yyyy-MM-dd").ok()?,
            SimpleDateFormat::new("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").ok()?,
        ])
    });
    let Some([time, date, timestamp]) = formats else {
        return String::new();
    };
    if ms < MS_PER_DAY {
        time.format(ms)
    } else if ms % MS_PER_DAY == 0 {
        date.format(ms)
    } else {
        timestamp.format(ms)
    }
}

/// `java.util.Base64.getEncoder().encodeToString(bytes)`.
fn base64_into(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

/// `Integer.parseInt` / `Long.parseLong` (and `Byte` / `Short`, range-checked): an optional sign
/// and decimal digits; anything else is the NumberFormatException Kafka reports as out of range.
fn parse_java_integer(text: &str, min: i64, max: i64) -> Result<i64, ConnectError> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(out_of_range(text));
    }
    let mut value: i128 = 0;
    for b in digits.bytes() {
        value = value * 10 + i128::from(b - b'0');
        if value > i128::from(i64::MAX) + 1 {
            return Err(out_of_range(text));
        }
    }
    let value = if negative { -value } else { value };
    if value < i128::from(min) || value > i128::from(max) {
        return Err(out_of_range(text));
    }
    Ok(value as i64)
}

/// `Float.parseFloat` / `Double.parseDouble`'s decimal grammar (surrounding control characters
/// and spaces trimmed, `NaN`, `Infinity`, an `f`/`d` suffix): the text Rust's parser reads the
/// same number from, or `None` for a NumberFormatException. Hexadecimal floats are not read.
/// Cost: plain decimals (`-12.5`) are borrowed; others are rewritten into a new string.
fn parse_java_float(text: &str) -> Option<Cow<'_, str>> {
    let t = text.trim_matches(|c: char| c <= ' ');
    let (sign, body) = match t.as_bytes().first() {
        Some(b'-') => ("-", &t[1..]),
        Some(b'+') => ("", &t[1..]),
        _ => ("", t),
    };
    match body {
        "NaN" => return Some(Cow::Borrowed("NaN")),
        "Infinity" => return Some(Cow::Owned(format!("{sign}inf"))),
        _ => {}
    }
    let unsuffixed = body.strip_suffix(['f', 'F', 'd', 'D']);
    let body = unsuffixed.unwrap_or(body);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    let exponent = match exponent {
        None => "0",
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !all_digits(digits) {
                return None;
            }
            e
        }
    };
    if unsuffixed.is_none() && mantissa.len() == body.len() {
        // Only digits around at most one point, and a sign: Rust reads them as Java does.
        return Some(Cow::Borrowed(t));
    }
    let int = if int.is_empty() { "0" } else { int };
    let frac = if frac.is_empty() { "0" } else { frac };
    Some(Cow::Owned(format!("{sign}{int}.{frac}e{exponent}")))
}

// ---- the kernel: columns ----

/// A cast column and the rows that failed.
struct Casted {
    data: ArrayRef,
    errors: Vec<(usize, ConnectError)>,
}

impl Casted {
    /// `data` with no failed row.
    fn ok(data: ArrayRef) -> Casted {
        Casted {
            data,
            errors: Vec::new(),
        }
    }
}

/// Casts every row of `array` (of `source`'s Arrow type, or schemaless when `None`) to
/// `target`. Null rows stay null; a failed row is null with its error. Cost: a same-type cast is
/// the input array itself; casts arrow-cast makes exactly as Java does are one arrow-cast kernel;
/// any other is one pass over the column's buffers into one builder, in a loop compiled for that
/// (source type, target) pair; strings are written without a per-row allocation.
fn cast_column(array: &ArrayRef, source: Option<&Schema>, target: Target) -> Casted {
    let n = array.len();
    let to = arrow_type(&Schema::new(target.kind()));
    if array.logical_null_count() == n {
        return Casted::ok(new_null_array(&to, n));
    }
    let problem = match source {
        Some(schema) => schema_input_problem(schema),
        None => arrow_input_problem(array.data_type()),
    };
    if let Some(problem) = problem {
        return failing_rows(array.as_ref(), &to, &problem);
    }
    if array.data_type() == &to {
        return Casted::ok(array.clone());
    }
    if arrow_cast_agrees(array.data_type(), &to) {
        if let Ok(data) = arrow_cast::cast(array.as_ref(), &to) {
            return Casted::ok(data);
        }
    }
    let Some(reader) = Reader::new(array.as_ref()) else {
        let unexpected = unexpected_type(&format!("{:?}", array.data_type()));
        return failing_rows(array.as_ref(), &to, &unexpected);
    };
    let nulls = array.logical_nulls();
    reader.cast(
        nulls.as_ref(),
        n,
        |s| encode_logical(source, s, target),
        target,
    )
}

/// Whether arrow-cast's kernel from `from` to `to` gives what `castValueToType` gives for every
/// value: integers widened, integers to `boolean` (`longValue() != 0`), integers and FLOAT32 to
/// FLOAT64, integers to FLOAT32 (Java's and Rust's `as` both round to nearest). Narrowing and
/// float-to-integer casts are not among them: Java wraps and saturates where arrow-cast fails.
fn arrow_cast_agrees(from: &DataType, to: &DataType) -> bool {
    let rank = |t: &DataType| match t {
        DataType::Int8 => Some(1),
        DataType::Int16 => Some(2),
        DataType::Int32 => Some(3),
        DataType::Int64 => Some(4),
        _ => None,
    };
    match (rank(from), to) {
        (Some(from), to) if rank(to).is_some_and(|to| to > from) => true,
        (Some(_), DataType::Boolean | DataType::Float32 | DataType::Float64) => true,
        _ => from == &DataType::Float32 && to == &DataType::Float64,
    }
}

/// Every non-null row of `array` failing with `error`: a null column of type `to`.
fn failing_rows(array: &dyn Array, to: &DataType, error: &ConnectError) -> Casted {
    let nulls = array.logical_nulls();
    let errors = (0..array.len())
        .filter(|&i| !nulls.as_ref().is_some_and(|b| b.is_null(i)))
        .map(|i| (i, error.clone()))
        .collect();
    Casted {
        data: new_null_array(to, array.len()),
        errors,
    }
}

/// The rows of one source column (`scalar(i)` reads row `i`, known valid) cast to `target`.
/// Generic over the reader so that each (source, target) pair is its own loop.
#[inline(always)]
fn cast_to_target<'a>(
    n: usize,
    nulls: Option<&NullBuffer>,
    scalar: impl Fn(usize) -> Result<Scalar<'a>, ConnectError>,
    target: Target,
) -> Casted {
    let row = |i: usize| (!nulls.is_some_and(|b| b.is_null(i))).then(|| scalar(i));
    match target {
        Target::Int8 => primitive::<Int8Type>(n, row, to_i8),
        Target::Int16 => primitive::<Int16Type>(n, row, to_i16),
        Target::Int32 => primitive::<Int32Type>(n, row, to_i32),
        Target::Int64 => primitive::<Int64Type>(n, row, to_i64),
        Target::Float32 => primitive::<Float32Type>(n, row, to_f32),
        Target::Float64 => primitive::<Float64Type>(n, row, to_f64),
        Target::Boolean => booleans(n, row),
        Target::String => strings(n, row),
    }
}

/// Each of `n` rows cast with `cast` and handed to `append` (`None`: a null); a row that fails
/// is appended as null and listed with its error. The one loop behind every target's builder.
fn cast_rows<'a, V>(
    n: usize,
    row: impl Fn(usize) -> Option<Result<Scalar<'a>, ConnectError>>,
    cast: impl Fn(Scalar<'a>) -> Result<V, ConnectError>,
    mut append: impl FnMut(Option<V>),
) -> Vec<(usize, ConnectError)> {
    let mut errors = Vec::new();
    for i in 0..n {
        match row(i).map(|s| s.and_then(&cast)) {
            None => append(None),
            Some(Ok(v)) => append(Some(v)),
            Some(Err(e)) => {
                append(None);
                errors.push((i, e));
            }
        }
    }
    errors
}

fn primitive<'a, T: ArrowPrimitiveType>(
    n: usize,
    row: impl Fn(usize) -> Option<Result<Scalar<'a>, ConnectError>>,
    cast: impl Fn(Scalar<'a>) -> Result<T::Native, ConnectError>,
) -> Casted {
    let mut builder = PrimitiveBuilder::<T>::with_capacity(n);
    let errors = cast_rows(n, row, cast, |v| builder.append_option(v));
    Casted {
        data: Arc::new(builder.finish()),
        errors,
    }
}

fn booleans<'a>(
    n: usize,
    row: impl Fn(usize) -> Option<Result<Scalar<'a>, ConnectError>>,
) -> Casted {
    let mut builder = BooleanBuilder::with_capacity(n);
    let errors = cast_rows(n, row, to_bool, |v| builder.append_option(v));
    Casted {
        data: Arc::new(builder.finish()),
        errors,
    }
}

fn strings<'a>(
    n: usize,
    row: impl Fn(usize) -> Option<Result<Scalar<'a>, ConnectError>>,
) -> Casted {
    let mut column = TextColumn::with_capacity(n);
    let errors = cast_rows(n, row, Ok, |scalar| match scalar {
        None => column.append_null(),
        Some(Scalar::Str(s)) => column.append_value(s),
        Some(s) => column.append_with(|text| write_string(s, text)),
    });
    Casted {
        data: column.finish(),
        errors,
    }
}

/// Typed access to a leaf column's rows.
enum Reader<'a> {
    Int8(&'a [i8]),
    Int16(&'a [i16]),
    Int32(&'a [i32]),
    Int64(&'a [i64]),
    Float32(&'a [f32]),
    Float64(&'a [f64]),
    Boolean(&'a arrow_array::BooleanArray),
    StringView(&'a arrow_array::StringViewArray),
    String(&'a arrow_array::StringArray),
    BinaryView(&'a arrow_array::BinaryViewArray),
    Binary(&'a arrow_array::BinaryArray),
    /// Decimals at one scale or each with its own.
    Decimal(DecimalColumn<'a>),
    /// Dates, times and timestamps as ms, with the unit's factor.
    Millis(&'a [i32], i64),
    Timestamp(&'a [i64]),
}

impl<'a> Reader<'a> {
    fn new(array: &'a dyn Array) -> Option<Reader<'a>> {
        fn values<T: ArrowPrimitiveType>(array: &dyn Array) -> Option<&[T::Native]> {
            Some(array.as_primitive_opt::<T>()?.values())
        }
        Some(match array.data_type() {
            DataType::Int8 => Reader::Int8(values::<Int8Type>(array)?),
            DataType::Int16 => Reader::Int16(values::<Int16Type>(array)?),
            DataType::Int32 => Reader::Int32(values::<Int32Type>(array)?),
            DataType::Int64 => Reader::Int64(values::<Int64Type>(array)?),
            DataType::Float32 => Reader::Float32(values::<Float32Type>(array)?),
            DataType::Float64 => Reader::Float64(values::<Float64Type>(array)?),
            DataType::Boolean => Reader::Boolean(array.as_boolean_opt()?),
            DataType::Utf8View => Reader::StringView(array.as_string_view_opt()?),
            DataType::Utf8 => Reader::String(array.as_string_opt::<i32>()?),
            DataType::BinaryView => Reader::BinaryView(array.as_binary_view_opt()?),
            DataType::Binary => Reader::Binary(array.as_binary_opt::<i32>()?),
            DataType::Decimal128(..) => Reader::Decimal(DecimalColumn::of(array)?),
            own if is_own_scale(own) => Reader::Decimal(DecimalColumn::of(array)?),
            DataType::Date32 => Reader::Millis(values::<Date32Type>(array)?, MS_PER_DAY),
            DataType::Time32(TimeUnit::Millisecond) => {
                Reader::Millis(values::<Time32MillisecondType>(array)?, 1)
            }
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                Reader::Timestamp(values::<TimestampMillisecondType>(array)?)
            }
            _ => return None,
        })
    }

    /// Every row cast to `target`, dates through `logical` (`encodeLogicalType`). One match on
    /// the reader, then a loop of its own per (reader, target) pair: no per-row dispatch.
    fn cast(
        &self,
        nulls: Option<&NullBuffer>,
        n: usize,
        logical: impl Fn(Scalar<'a>) -> Result<Scalar<'a>, ConnectError>,
        target: Target,
    ) -> Casted {
        match *self {
            Reader::Int8(v) => integers(v, nulls, target),
            Reader::Int16(v) => integers(v, nulls, target),
            Reader::Int32(v) => integers(v, nulls, target),
            Reader::Int64(v) => integers(v, nulls, target),
            Reader::Float32(v) => cast_to_target(n, nulls, |i| Ok(Scalar::Float(v[i])), target),
            Reader::Float64(v) => cast_to_target(n, nulls, |i| Ok(Scalar::Double(v[i])), target),
            Reader::Boolean(a) => {
                cast_to_target(n, nulls, |i| Ok(Scalar::Bool(a.value(i))), target)
            }
            Reader::StringView(a) => {
                cast_to_target(n, nulls, |i| Ok(Scalar::Str(a.value(i))), target)
            }
            Reader::String(a) => cast_to_target(n, nulls, |i| Ok(Scalar::Str(a.value(i))), target),
            Reader::BinaryView(a) => {
                cast_to_target(n, nulls, |i| Ok(Scalar::Bytes(a.value(i))), target)
            }
            Reader::Binary(a) => {
                cast_to_target(n, nulls, |i| Ok(Scalar::Bytes(a.value(i))), target)
            }
            Reader::Decimal(ref column) => {
                cast_to_target(n, nulls, |i| Ok(Scalar::Decimal(column.value(i))), target)
            }
            Reader::Millis(v, factor) => cast_to_target(
                n,
                nulls,
                |i| logical(Scalar::Date(i64::from(v[i]) * factor)),
                target,
            ),
            Reader::Timestamp(v) => {
                cast_to_target(n, nulls, |i| logical(Scalar::Date(v[i])), target)
            }
        }
    }
}

/// Integers cast to `target`. Narrowed (Java's `intValue()` family wraps as `as` does) or
/// written as text (`Long.toString` writes what itoa writes) in a loop of their own, with no
/// scalar per row (the row-wise path cost ~150 instructions a value, callgrind); other targets
/// (widening never comes here: arrow-cast does it) through [`cast_to_target`].
fn integers<T: Copy + Into<i64>>(
    values: &[T],
    nulls: Option<&NullBuffer>,
    target: Target,
) -> Casted {
    fn narrowed<N: ArrowPrimitiveType>(
        wide: impl Iterator<Item = i64>,
        nulls: Option<&NullBuffer>,
        narrow: impl Fn(i64) -> N::Native,
    ) -> Casted {
        let values = wide.map(narrow).collect();
        Casted::ok(Arc::new(PrimitiveArray::<N>::new(values, nulls.cloned())))
    }
    let wide = values.iter().map(|&v| v.into());
    match target {
        Target::Int8 => narrowed::<Int8Type>(wide, nulls, |v| v as i8),
        Target::Int16 => narrowed::<Int16Type>(wide, nulls, |v| v as i16),
        Target::Int32 => narrowed::<Int32Type>(wide, nulls, |v| v as i32),
        Target::String => {
            let mut column = TextColumn::with_capacity(values.len());
            let mut digits = itoa::Buffer::new();
            for (i, v) in wide.enumerate() {
                if nulls.is_some_and(|b| b.is_null(i)) {
                    column.append_null();
                } else {
                    column.append_value(digits.format(v));
                }
            }
            Casted::ok(column.finish())
        }
        _ => cast_to_target(
            values.len(),
            nulls,
            |i| Ok(Scalar::Int(values[i].into())),
            target,
        ),
    }
}

/// Casts `casts` (child index, its schema, target; in field order) among `children`, with each
/// row's first error for rows whose struct is not null.
fn cast_children<'s>(
    array: &StructArray,
    mut children: Vec<ArrayRef>,
    casts: impl Iterator<Item = (usize, &'s Schema, Target)>,
) -> (Vec<ArrayRef>, RowErrors) {
    let mut errors = RowErrors::new(array.len());
    for (i, schema, target) in casts {
        if let Some(child) = children.get(i) {
            let casted = cast_column(child, Some(schema), target);
            keep_first_errors(array, &mut errors, casted.errors);
            children[i] = casted.data;
        }
    }
    (children, errors)
}

/// Records `found` as the rows' errors where the struct row is valid and has none yet.
fn keep_first_errors(
    array: &StructArray,
    errors: &mut RowErrors,
    found: Vec<(usize, ConnectError)>,
) {
    for (row, e) in found {
        if array.is_valid(row) {
            errors.keep_first(row, e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::{
        check, check_decoded, config, fitting_struct_rows, null_side, present, primitive_schema,
        ragged_rows, schemaless_rows, NAMES, PRIMITIVES,
    };
    use proptest::prelude::*;

    const TARGETS: [&str; 8] = [
        "int8", "int16", "int32", "int64", "float32", "float64", "boolean", "string",
    ];

    fn cast(pairs: &[(&str, &str)], side: Side) -> Cast {
        Cast::new(&config(pairs), side).unwrap()
    }

    fn spec_error(spec: &str) -> String {
        Cast::new(&config(&[("spec", spec)]), Side::Value)
            .unwrap_err()
            .message
    }

    fn field_spec() -> impl Strategy<Value = String> {
        prop::collection::vec(
            (
                prop::sample::select(NAMES.to_vec()),
                prop::sample::select(TARGETS.to_vec()),
            ),
            1..4,
        )
        .prop_map(|pairs| {
            pairs
                .iter()
                .map(|(f, t)| format!("{f}:{t}"))
                .collect::<Vec<_>>()
                .join(",")
        })
    }

    fn leaf_schema() -> impl Strategy<Value = SchemaRef> {
        let kinds = prop_oneof![PRIMITIVES => primitive_schema(), 1 => Just(Schema::time())];
        (kinds, any::<bool>())
            .prop_map(|(s, optional)| if optional { s.optional() } else { s }.into_ref())
    }

    fn leaf_values(schema: &SchemaRef) -> BoxedStrategy<Vec<Value>> {
        let value = if schema.logical_type() == Some(LogicalType::Time) {
            (0i64..MS_PER_DAY).prop_map(Value::Date).boxed()
        } else if schema.kind == SchemaKind::String {
            prop_oneof![
                "[a-z]{0,4}".prop_map(Value::String),
                "[-+]?[0-9]{0,4}(\\.[0-9]{0,2})?([eE][0-9])?[fd]?".prop_map(Value::String),
                Just(Value::String("TRUE".into())),
            ]
            .boxed()
        } else {
            present(schema)
        };
        let value = if schema.optional {
            prop_oneof![1 => Just(Value::Null), 4 => value].boxed()
        } else {
            value
        };
        prop::collection::vec(value, 0..6).boxed()
    }

    fn schemaless_leaves() -> BoxedStrategy<Vec<Value>> {
        let column = |s: BoxedStrategy<Value>| {
            prop::collection::vec(prop_oneof![1 => Just(Value::Null), 4 => s], 0..6)
        };
        prop_oneof![
            column(any::<i64>().prop_map(Value::Int64).boxed()),
            column((-1e12f64..1e12).prop_map(Value::Float64).boxed()),
            column(any::<bool>().prop_map(Value::Boolean).boxed()),
            column("[-]?[0-9]{0,12}|x".prop_map(Value::String).boxed()),
        ]
        .boxed()
    }

    proptest! {
        #[test]
        fn struct_fields_agree(
            (schema, rows) in fitting_struct_rows(),
            spec in field_spec(),
            defaults in any::<bool>(),
            key_side in any::<bool>(),
        ) {
            let n = rows.len();
            let rnwd = defaults.to_string();
            let pairs = [("spec", spec.as_str()), ("replace.null.with.default", rnwd.as_str())];
            if key_side {
                check(&cast(&pairs, Side::Key), (Some(schema), rows), null_side(n), false)?;
            } else {
                check(&cast(&pairs, Side::Value), null_side(n), (Some(schema), rows), false)?;
            }
        }

        #[test]
        fn whole_values_agree(
            (schema, rows) in leaf_schema().prop_flat_map(|s| (Just(s.clone()), leaf_values(&s))),
            target in prop::sample::select(TARGETS.to_vec()),
        ) {
            let n = rows.len();
            let t = cast(&[("spec", target)], Side::Value);
            check(&t, null_side(n), (Some(schema), rows), false)?;
        }

        #[test]
        fn schemaless_fields_agree(rows in schemaless_rows(), spec in field_spec()) {
            let n = rows.len();
            check(&cast(&[("spec", spec.as_str())], Side::Value), null_side(n), (None, rows), false)?;
        }

        #[test]
        fn ragged_records_agree(rows in ragged_rows(), spec in field_spec(), on_key in any::<bool>()) {
            let side = if on_key { Side::Key } else { Side::Value };
            check_decoded(&cast(&[("spec", spec.as_str())], side), side, &rows)?;
        }

        #[test]
        fn schemaless_whole_values_agree(
            rows in schemaless_leaves(),
            target in prop::sample::select(TARGETS.to_vec()),
        ) {
            let n = rows.len();
            check(&cast(&[("spec", target)], Side::Key), (None, rows), null_side(n), false)?;
        }
    }

    fn whole(target: &str, value: Value, schema: Option<&Schema>) -> Result<Value, ConnectError> {
        cast_value(schema, &value, Target::parse(target).unwrap())
    }

    #[test]
    fn numbers_narrow_like_java() {
        assert_eq!(whole("int8", Value::Int64(300), None), Ok(Value::Int8(44)));
        assert_eq!(
            whole("int8", Value::Int64(1000), None),
            Ok(Value::Int8(-24))
        );
        assert_eq!(
            whole("int16", Value::Float64(1e10), None),
            Ok(Value::Int16(-1))
        );
        assert_eq!(
            whole("int32", Value::Float64(f64::NAN), None),
            Ok(Value::Int32(0))
        );
        assert_eq!(
            whole("int64", Value::Float64(-1.9), None),
            Ok(Value::Int64(-1))
        );
        assert_eq!(
            whole("boolean", Value::Float64(0.5), None),
            Ok(Value::Boolean(false))
        );
        assert_eq!(
            whole("float32", Value::Int64(16_777_217), None),
            Ok(Value::Float32(16_777_216.0))
        );
        assert_eq!(
            whole("int32", Value::Boolean(true), None),
            Ok(Value::Int32(1))
        );
        assert_eq!(
            whole("string", Value::Float64(1e7), None),
            Ok(Value::String("1.0E7".into()))
        );
        assert_eq!(
            whole("string", Value::Float32(0.1), None),
            Ok(Value::String("0.1".into()))
        );
    }

    #[test]
    fn strings_parse_like_java() {
        let s = |t: &str| Value::String(t.to_string());
        assert_eq!(whole("int32", s("+42"), None), Ok(Value::Int32(42)));
        assert_eq!(whole("int8", s("-128"), None), Ok(Value::Int8(-128)));
        assert_eq!(
            whole("int8", s("128"), None).unwrap_err().message,
            "Value (128) was out of range for requested data type"
        );
        assert!(whole("int32", s(" 1"), None).is_err());
        assert!(whole("int64", s("9223372036854775808"), None).is_err());
        assert_eq!(
            whole("int64", s("-9223372036854775808"), None),
            Ok(Value::Int64(i64::MIN))
        );
        assert_eq!(whole("float64", s(" 1.5d "), None), Ok(Value::Float64(1.5)));
        assert_eq!(
            whole("float64", s("-Infinity"), None),
            Ok(Value::Float64(f64::NEG_INFINITY))
        );
        assert_eq!(whole("float32", s(".5e1"), None), Ok(Value::Float32(5.0)));
        assert!(whole("float64", s("inf"), None).is_err());
        assert!(whole("float64", s("1e"), None).is_err());
        assert_eq!(whole("boolean", s("TrUe"), None), Ok(Value::Boolean(true)));
        assert_eq!(whole("boolean", s("yes"), None), Ok(Value::Boolean(false)));
    }

    proptest! {
        #[test]
        fn plain_decimals_read_as_the_general_parser_reads_them(
            sign in prop_oneof![Just(""), Just("-"), Just("+")],
            int in "[0-9]{0,16}",
            point in any::<bool>(),
            fraction in "[0-9]{0,16}",
            padding in prop_oneof![Just(""), Just(" "), Just("\t")],
        ) {
            let text = match point {
                true => format!("{padding}{sign}{int}.{fraction}{padding}"),
                false => format!("{padding}{sign}{int}{fraction}{padding}"),
            };
            let general = parse_java_float(&text).and_then(|c| c.parse::<f64>().ok());
            if let Some(fast) = plain_decimal(&text) {
                prop_assert_eq!(Some(fast.to_bits()), general.map(f64::to_bits), "{}", text);
            }
            let digits = int.len() + fraction.len();
            if (1..=15).contains(&digits) {
                prop_assert!(plain_decimal(&text).is_some(), "{} ({} digits)", text, digits);
            }
        }
    }

    /// Plain decimals are handed to Rust's parser as they are; they must read as the rewritten
    /// `{sign}{int}.{frac}e0` form would.
    #[test]
    fn plain_decimal_strings_read_as_their_rewritten_form() {
        for text in [
            "12",
            "-12.5",
            "+.5",
            "5.",
            "-0.0",
            "007.25",
            " 3.25 ",
            "+1",
            "1.7976931348623159",
        ] {
            let t = text.trim();
            let (sign, body) = match t.strip_prefix('-') {
                Some(rest) => ("-", rest),
                None => ("", t.strip_prefix('+').unwrap_or(t)),
            };
            let (int, frac) = body.split_once('.').unwrap_or((body, ""));
            let int = if int.is_empty() { "0" } else { int };
            let frac = if frac.is_empty() { "0" } else { frac };
            let rewritten: f64 = format!("{sign}{int}.{frac}e0").parse().unwrap();
            let read = parse_java_float(text).expect("a Java decimal");
            assert!(matches!(read, Cow::Borrowed(_)), "{text}");
            assert_eq!(
                read.parse::<f64>().unwrap().to_bits(),
                rewritten.to_bits(),
                "{text}"
            );
        }
    }

    #[test]
    fn decimals_and_bytes_and_dates() {
        let d = |unscaled, scale| Decimal { unscaled, scale };
        assert_eq!(big_decimal_string(&d(1250, 2)), "12.50");
        assert_eq!(big_decimal_string(&d(-5, 3)), "-0.005");
        assert_eq!(big_decimal_string(&d(5, -2)), "5E+2");
        assert_eq!(big_decimal_string(&d(12, 9)), "1.2E-8");
        assert_eq!(big_decimal_string(&d(0, 2)), "0.00");
        let price = Schema::decimal(2);
        let v = Value::Decimal(d(-1299, 2));
        assert_eq!(
            whole("int32", v.clone(), Some(&price)),
            Ok(Value::Int32(-12))
        );
        assert_eq!(
            whole("float64", v.clone(), Some(&price)),
            Ok(Value::Float64(-12.99))
        );
        assert_eq!(whole("boolean", v, Some(&price)), Ok(Value::Boolean(true)));
        let mut text = String::new();
        base64_into(&[0, 255, 0, 10], &mut text);
        assert_eq!(text, "AP8ACg==");
        let bytes = Schema::new(SchemaKind::Bytes);
        assert_eq!(
            whole("int8", Value::Bytes(vec![1]), Some(&bytes))
                .unwrap_err()
                .message,
            "Unexpected type in Cast transformation: class [B"
        );
        let date = Schema::date();
        assert_eq!(
            whole("int32", Value::Date(2 * MS_PER_DAY), Some(&date)),
            Ok(Value::Int32(2))
        );
        assert!(whole("int32", Value::Date(5), Some(&date)).is_err());
        assert_eq!(
            whole(
                "string",
                Value::Date(1_700_000_000_000),
                Some(&Schema::timestamp())
            ),
            Ok(Value::String("2023-11-14T22:13:20.000Z".into()))
        );
        assert_eq!(
            whole("string", Value::Date(-MS_PER_DAY), Some(&date)),
            Ok(Value::String("00:00:00.000Z".into()))
        );
        assert_eq!(
            whole("int64", Value::Date(5), None).unwrap_err().message,
            "Cast transformation was passed a value of type class java.util.Date which is not supported by Connect's data API"
        );
    }

    #[test]
    fn schemas_keep_optionality_and_cast_defaults() {
        let t = cast(&[("spec", "a:string,b:int8")], Side::Value);
        let source = Schema::structure([
            (
                "a".to_string(),
                Schema::new(SchemaKind::Int32)
                    .optional()
                    .with_default(Value::Int32(7))
                    .into_ref(),
            ),
            ("c".to_string(), Schema::new(SchemaKind::Boolean).into_ref()),
        ])
        .with_name("x.Y");
        let updated = t.updated_schema(&source).unwrap();
        assert_eq!(updated.name.as_deref(), Some("x.Y"));
        let a = &updated.fields()[0].schema;
        assert!(a.optional);
        assert_eq!(a.default, Some(Value::String("7".into())));
        assert_eq!(updated.fields()[1].schema, source.fields()[1].schema);
        let with_default = source.clone().with_default(Value::Null);
        assert!(t
            .updated_schema(&with_default)
            .unwrap_err()
            .message
            .contains("casting from STRUCT"));
        assert_eq!(
            t.updated_schema(&Schema::new(SchemaKind::Int32))
                .unwrap_err()
                .message,
            "Cannot list fields on non-struct type"
        );
    }

    #[test]
    fn schemaless_absent_fields_become_null() {
        let t = cast(&[("spec", "v:int32")], Side::Value);
        let map = Value::Map(vec![(Value::String("w".into()), Value::Int64(1))]);
        assert_eq!(
            t.record_schemaless(&map),
            Ok(Value::Map(vec![
                (Value::String("w".into()), Value::Int64(1)),
                (Value::String("v".into()), Value::Null),
            ]))
        );
        assert_eq!(
            t.record_schemaless(&Value::Int64(1)).unwrap_err().message,
            "Only Map objects supported in absence of schema for [cast types], found: java.lang.Long"
        );
    }

    #[test]
    fn config_errors_match_kafka() {
        assert_eq!(spec_error(""), "Must specify at least one field to cast.");
        assert_eq!(
            spec_error("a:b:c"),
            "Invalid value [a:b:c] for configuration renames: Invalid rename mapping: a:b:c"
        );
        assert_eq!(
            spec_error("a:long"),
            "Invalid type found in casting spec: long"
        );
        assert_eq!(
            spec_error("a:int8,,b:int8"),
            "Invalid type found in casting spec: "
        );
        assert_eq!(
            spec_error("bytes"),
            "Cast transformation does not support casting to BYTES; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
        );
        assert_eq!(
            spec_error("int32,age:int64"),
            "Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec"
        );
        assert!(spec_error("::").contains("out of bounds"));
        assert_eq!(
            Cast::new(&config(&[]), Side::Value).unwrap_err().message,
            "Missing required configuration \"spec\" which has no default value."
        );
        assert_eq!(
            Cast::new(
                &config(&[("spec", "int8"), ("replace.null.with.default", "x")]),
                Side::Value
            )
            .unwrap_err()
            .key,
            "replace.null.with.default"
        );
        let spec = CastSpec::parse(" a : INT8 , a:Float64 ").unwrap();
        assert_eq!(spec.fields, vec![("a".to_string(), Target::Float64)]);
        assert_eq!(
            CastSpec::parse("a:").unwrap_err().message,
            "Invalid type found in casting spec: a"
        );
    }
}
