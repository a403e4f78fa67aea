//! `TimestampConverter$Key` / `TimestampConverter$Value`: converts a timestamp held as a
//! formatted string, a Unix number, or a Connect Date/Time/Timestamp into another of those forms,
//! for the whole key/value or one top-level field (Kafka 3.9's `TimestampConverter.java`, which
//! has no `field.syntax.version`: a dotted `field` names a top-level field literally).
//!
//! Everything passes through epoch milliseconds in UTC, as Kafka passes through `java.util.Date`:
//! strings parse and format with Java's `SimpleDateFormat` ([`SimpleDateFormat`]), `unix.precision`
//! scales Unix numbers (truncating, saturating), Date keeps midnight and Time the time of day.
//!
//! Kernel: the output schema is built once per input schema (cached); per segment the converted
//! column is read from its Arrow buffers and written to one array of the target type, and the
//! struct is reassembled from the untouched child arrays. Unlike Cast, a null key/value with a
//! schema takes the output schema.

use std::convert::Infallible;
use std::sync::Arc;

use arrow_array::builder::PrimitiveBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Int64Type, Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::{new_null_array, Array, ArrayRef, StructArray};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, FieldRef, Fields, TimeUnit};
use weir_formats::arrow_mapping::struct_fields;
use weir_formats::batch::Column;
use weir_formats::decimal_column::is_own_scale;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, LogicalType, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};

use crate::config::valid_string;
use crate::kernel::millis::MS_PER_DAY;
use crate::kernel::row_errors::{assemble_rows, rebuild_struct, RowErrors};
use crate::kernel::text_column::TextColumn;

use crate::kernel::segment_output::side_column;

use crate::kernel::defaults::{children_with_defaults, field_value};

use crate::kernel::fields::{map_get, map_put, put_map_column};

use crate::kernel::java_time_format::{LastDay, SimpleDateFormat};
use crate::kernel::per_row::per_row;
use crate::kernel::requirements::{require_map_error, require_struct_error};
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::schema_copy::copy_schema_basics;
use crate::kernel::variants::{holds_raw_json, map_kinds};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

const PURPOSE: &str = "converting timestamp formats";

/// A timestamp representation (`TYPE_STRING` … `TYPE_TIMESTAMP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

impl Kind {
    /// `typeSchema(isOptional)`.
    fn schema(self, optional: bool) -> Schema {
        let schema = match self {
            Kind::String => Schema::new(SchemaKind::String),
            Kind::Unix => Schema::new(SchemaKind::Int64),
            Kind::Date => Schema::date(),
            Kind::Time => Schema::time(),
            Kind::Timestamp => Schema::timestamp(),
        };
        if optional {
            schema.optional()
        } else {
            schema
        }
    }

    /// `timestampTypeFromSchema`.
    fn of_schema(schema: &Schema) -> Result<Kind, ConnectError> {
        match (schema.logical_type(), &schema.kind) {
            (Some(LogicalType::Timestamp), _) => Ok(Kind::Timestamp),
            (Some(LogicalType::Date), _) => Ok(Kind::Date),
            (Some(LogicalType::Time), _) => Ok(Kind::Time),
            (_, SchemaKind::String) => Ok(Kind::String),
            (_, SchemaKind::Int64) => Ok(Kind::Unix),
            _ => Err(ConnectError::data(format!(
                "Schema {schema} does not correspond to a known timestamp type format"
            ))),
        }
    }
}

/// `unix.precision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

/// The validated settings.
#[derive(Debug)]
struct Settings {
    field: String,
    target: Kind,
    format: Option<(SimpleDateFormat, String)>,
    precision: Precision,
    replace_null_with_default: bool,
}

impl Settings {
    /// `CONFIG_DEF` in definition order, then `configure`'s checks.
    fn parse(config: &TransformConfig) -> Result<Settings, ConfigProblem> {
        let field = config.string_or("field", "");
        let target = valid_string(
            "target.type",
            &config.required_string("target.type")?,
            &[
                ("string", Kind::String),
                ("unix", Kind::Unix),
                ("Date", Kind::Date),
                ("Time", Kind::Time),
                ("Timestamp", Kind::Timestamp),
            ],
        )?;
        let pattern = config.string_or("format", "");
        let precision = valid_string(
            "unix.precision",
            &config.string_or("unix.precision", "milliseconds"),
            &[
                ("nanoseconds", Precision::Nanoseconds),
                ("microseconds", Precision::Microseconds),
                ("milliseconds", Precision::Milliseconds),
                ("seconds", Precision::Seconds),
            ],
        )?;
        let replace_null_with_default = config.boolean_or("replace.null.with.default", true)?;
        if target == Kind::String && pattern.is_empty() {
            return Err(ConfigProblem::new(
                "format",
                "TimestampConverter requires format option to be specified when using string timestamps",
            ));
        }
        let format = if pattern.is_empty() {
            None
        } else {
            let compiled = SimpleDateFormat::new(&pattern).map_err(|e| {
                ConfigProblem::new(
                    "format",
                    format!(
                        "Invalid value java.lang.IllegalArgumentException: {e} for configuration TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: {pattern}"
                    ),
                )
            })?;
            Some((compiled, pattern))
        };
        Ok(Settings {
            field,
            target,
            format,
            precision,
            replace_null_with_default,
        })
    }

    /// `sourceTranslator.toRaw`: the instant in ms.
    fn to_raw(&self, kind: Kind, input: Input<'_>) -> Result<i64, ConnectError> {
        match (kind, input) {
            (Kind::String, Input::Str(text)) => {
                let Some((format, pattern)) = &self.format else {
                    return Err(ConnectError::data(
                        "Cannot invoke \"java.text.SimpleDateFormat.parse(String)\" because \"config.format\" is null",
                    ));
                };
                format.parse(text).ok_or_else(|| {
                    ConnectError::data(format!(
                        "Could not parse timestamp: value ({text}) does not match pattern ({pattern})"
                    ))
                })
            }
            (Kind::Unix, Input::Long(n)) => Ok(self.millis_of_unix(n)),
            (Kind::Date | Kind::Time | Kind::Timestamp, Input::Date(ms)) => Ok(ms),
            (kind, input) => Err(mismatch(kind, input.class())),
        }
    }

    /// `toRaw` for the `unix` kind: a Long at `unix.precision` in ms.
    fn millis_of_unix(&self, n: i64) -> i64 {
        match self.precision {
            Precision::Seconds => n.saturating_mul(1000),
            Precision::Milliseconds => n,
            Precision::Microseconds => n / 1000,
            Precision::Nanoseconds => n / 1_000_000,
        }
    }

    /// `targetTranslator.toType`.
    fn to_type(&self, ms: i64) -> Output {
        match self.target {
            Kind::String => {
                let mut text = String::new();
                self.format_into(ms, &mut LastDay::default(), &mut text);
                Output::Text(text)
            }
            Kind::Unix => Output::Long(self.unix_of(ms)),
            Kind::Date | Kind::Time | Kind::Timestamp => Output::Millis(self.date_of(ms)),
        }
    }

    /// The `string` target: `format.format(date)` appended to `out` (nothing without a format,
    /// which the config refuses for this target), after the instant `last` holds the day of.
    fn format_into(&self, ms: i64, last: &mut LastDay, out: &mut String) {
        if let Some((format, _)) = &self.format {
            format.format_into_after(ms, last, out);
        }
    }

    /// The `unix` target at `unix.precision`.
    fn unix_of(&self, ms: i64) -> i64 {
        match self.precision {
            Precision::Seconds => ms / 1000,
            Precision::Milliseconds => ms,
            Precision::Microseconds => ms.saturating_mul(1000),
            Precision::Nanoseconds => ms.saturating_mul(1_000_000),
        }
    }

    /// The `Date`, `Time` or `Timestamp` target as a `java.util.Date` in ms.
    fn date_of(&self, ms: i64) -> i64 {
        match self.target {
            // Midnight; the day wraps to an int as `Date.fromLogical` does when it is written.
            Kind::Date => i64::from(day_of(ms)) * MS_PER_DAY,
            Kind::Time => ms.rem_euclid(MS_PER_DAY),
            _ => ms,
        }
    }

    /// `toRaw` for the `string` kind: `format.parse(text)`.
    fn parse_text(&self, text: &str) -> Result<i64, ConnectError> {
        self.to_raw(Kind::String, Input::Str(text))
    }

    /// `convertTimestamp(value, kind)`, the kind inferred from the value when `None`.
    fn convert(&self, input: Input<'_>, kind: Option<Kind>) -> Result<Output, ConnectError> {
        let kind = kind.unwrap_or(match input {
            Input::Str(_) => Kind::String,
            Input::Long(_) => Kind::Unix,
            Input::Date(_) => Kind::Timestamp,
        });
        Ok(self.to_type(self.to_raw(kind, input)?))
    }

    /// `convertTimestamp` on a value tree (`null` stays `null`).
    fn convert_value(&self, value: &Value, kind: Option<Kind>) -> Result<Value, ConnectError> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let input = match value {
            Value::String(s) => Input::Str(s),
            Value::Int64(n) => Input::Long(*n),
            Value::Date(ms) => Input::Date(*ms),
            other => {
                return Err(match kind {
                    None => unsupported_class(other.java_class()),
                    Some(kind) => mismatch(kind, other.java_class()),
                })
            }
        };
        Ok(match self.convert(input, kind)? {
            Output::Text(s) => Value::String(s),
            Output::Long(n) => Value::Int64(n),
            Output::Millis(ms) => Value::Date(ms),
        })
    }
}

/// `toRaw`'s error for a value of the wrong class.
fn mismatch(kind: Kind, class: &str) -> ConnectError {
    let (what, expected) = match kind {
        Kind::String => ("string timestamp", "a String"),
        Kind::Unix => ("Unix timestamp", "a Long"),
        Kind::Date => ("Date", "a java.util.Date"),
        Kind::Time => ("Time", "a java.util.Date"),
        Kind::Timestamp => ("Timestamp", "a java.util.Date"),
    };
    ConnectError::data(format!(
        "Expected {what} to be {expected}, but found class {class}"
    ))
}

fn unsupported_class(class: &str) -> ConnectError {
    ConnectError::data(format!(
        "TimestampConverter does not support class {class} objects as timestamps"
    ))
}

/// One non-null timestamp as the Java object: `String`, `Long` or `java.util.Date` (ms).
#[derive(Debug, Clone, Copy)]
enum Input<'a> {
    Str(&'a str),
    Long(i64),
    Date(i64),
}

impl Input<'_> {
    fn class(self) -> &'static str {
        match self {
            Input::Str(_) => "java.lang.String",
            Input::Long(_) => "java.lang.Long",
            Input::Date(_) => "java.util.Date",
        }
    }
}

/// Where a column's timestamps come from.
#[derive(Debug, Clone)]
enum Source {
    /// The schema says.
    Known(Kind),
    /// Inferred per value (schemaless).
    Inferred,
    /// The schema is no timestamp: every non-null row fails.
    Invalid(ConnectError),
}

/// A converted timestamp.
#[derive(Debug, Clone, PartialEq)]
enum Output {
    Text(String),
    Long(i64),
    Millis(i64),
}

/// A configured `TimestampConverter$Key` / `$Value`.
#[derive(Debug)]
pub struct TimestampConverter {
    side: Side,
    settings: Settings,
    plans: SchemaCache<Plan>,
}

/// What TimestampConverter does to one input schema, computed once.
#[derive(Debug)]
enum Plan {
    /// Every row fails with this error, null rows too (`timestampTypeFromSchema` of the whole
    /// value's schema, or a struct default that does not convert).
    AllFail(ConnectError),
    /// `field` is set but the schema is no STRUCT: non-null rows fail `requireStruct`, null
    /// rows fail listing the fields.
    NotStruct,
    /// The whole value becomes `schema`.
    Whole { schema: SchemaRef, source: Kind },
    /// The struct becomes `schema`; input field `index` is converted from `source` (an error
    /// for each non-null row when its schema is no timestamp).
    Fields {
        schema: SchemaRef,
        fields: Fields,
        index: Option<usize>,
        source: Source,
    },
}

impl TimestampConverter {
    /// Parses and validates the config. Cost: once per pipeline (compiles the pattern).
    pub fn new(config: &TransformConfig, side: Side) -> Result<TimestampConverter, ConfigProblem> {
        Ok(TimestampConverter {
            side,
            settings: Settings::parse(config)?,
            plans: SchemaCache::default(),
        })
    }

    /// The STRUCT schema of `applyWithSchema` with a field set (without the cache).
    fn updated_struct(&self, source: &Schema) -> Result<Schema, ConnectError> {
        let fields = source
            .fields()
            .iter()
            .map(|f| Field {
                name: f.name.clone(),
                schema: if f.name == self.settings.field {
                    self.settings.target.schema(f.schema.optional).into_ref()
                } else {
                    f.schema.clone()
                },
            })
            .collect();
        let mut schema = copy_schema_basics(source, SchemaKind::Struct(fields));
        if let Some(Value::Struct(default)) = &source.default {
            let converted = self.convert_struct(default, &schema.clone().into_ref())?;
            schema.default = Some(Value::Struct(converted));
        }
        Ok(schema)
    }

    /// `applyValueWithSchema`.
    fn convert_struct(&self, value: &Struct, updated: &SchemaRef) -> Result<Struct, ConnectError> {
        let mut values = Vec::with_capacity(value.values.len());
        for (field, v) in value.schema.fields().iter().zip(&value.values) {
            let original = field_value(field, v, self.settings.replace_null_with_default);
            values.push(if field.name == self.settings.field {
                let kind = Kind::of_schema(&field.schema)?;
                self.settings.convert_value(&original, Some(kind))?
            } else {
                original
            });
        }
        Ok(Struct {
            schema: updated.clone(),
            values,
        })
    }

    fn plan(&self, schema: &SchemaRef) -> Arc<Plan> {
        let made = self
            .plans
            .get_or_try::<Infallible>(schema, || Ok(self.make_plan(schema)));
        match made {
            Ok(plan) => plan,
            Err(never) => match never {},
        }
    }

    fn make_plan(&self, schema: &SchemaRef) -> Plan {
        if self.settings.field.is_empty() {
            return match Kind::of_schema(schema) {
                Ok(source) => Plan::Whole {
                    schema: self.settings.target.schema(schema.optional).into_ref(),
                    source,
                },
                Err(e) => Plan::AllFail(e),
            };
        }
        if !matches!(schema.kind, SchemaKind::Struct(_)) {
            return Plan::NotStruct;
        }
        match self.updated_struct(schema) {
            Err(e) => Plan::AllFail(e),
            Ok(updated) => {
                let index = schema.field(&self.settings.field).map(|(i, _)| i);
                let source = match index.map(|i| Kind::of_schema(&schema.fields()[i].schema)) {
                    Some(Ok(kind)) => Source::Known(kind),
                    Some(Err(e)) => Source::Invalid(e),
                    None => Source::Inferred,
                };
                Plan::Fields {
                    fields: struct_fields(updated.fields()),
                    schema: updated.into_ref(),
                    index,
                    source,
                }
            }
        }
    }

    /// The schema'd path.
    fn apply_schema(
        &self,
        input: &SegmentInput<'_>,
        column: &Column,
        source: &SchemaRef,
    ) -> SegmentOutput {
        let n = input.rows.len();
        match &*self.plan(source) {
            Plan::AllFail(e) => SegmentOutput::all_failed(n, e),
            Plan::NotStruct => per_row(input, self.side, self),
            Plan::Whole { schema, source } => {
                let converted =
                    self.convert_column(column.data.as_ref(), &Source::Known(*source), false);
                let new = Column {
                    schema: Some(schema.clone()),
                    data: converted.data,
                };
                assemble_rows(
                    input,
                    self.side,
                    vec![new],
                    column.data.as_ref(),
                    converted.errors,
                    0,
                )
            }
            Plan::Fields {
                schema,
                fields,
                index,
                source: kind,
            } => {
                let Some(array) = column.data.as_struct_opt() else {
                    return per_row(input, self.side, self);
                };
                let children = children_with_defaults(
                    source.fields(),
                    array,
                    self.settings.replace_null_with_default,
                );
                let mut children = match children {
                    Ok(children) => children,
                    Err(e) => return SegmentOutput::all_failed(n, &e),
                };
                let mut errors = RowErrors::new(n);
                if let Some((i, child)) = index.and_then(|i| Some((i, children.get(i)?.clone()))) {
                    let converted = self.convert_column(child.as_ref(), kind, false);
                    keep_valid_errors(array, &mut errors, converted.errors);
                    children[i] = converted.data;
                }
                match rebuild_struct(array, fields.clone(), children, &errors) {
                    Ok(data) => {
                        let new = Column {
                            schema: Some(schema.clone()),
                            data,
                        };
                        assemble_rows(input, self.side, vec![new], array, errors, 0)
                    }
                    Err(e) => SegmentOutput::all_failed(n, &e),
                }
            }
        }
    }

    /// The schemaless path.
    fn apply_schemaless(&self, input: &SegmentInput<'_>, column: &Column) -> SegmentOutput {
        let data = column.data.as_ref();
        if data.logical_null_count() == data.len() {
            return SegmentOutput::all(input.rows.len(), input.key.clone(), input.value.clone());
        }
        if self.settings.field.is_empty() {
            let converted = self.convert_column(data, &Source::Inferred, true);
            let new = Column {
                schema: None,
                data: converted.data,
            };
            return assemble_rows(input, self.side, vec![new], data, converted.errors, 0);
        }
        match data.as_struct_opt() {
            Some(array) if !self.is_raw_json(array) => self.schemaless_field(input, array),
            // Not a map (each row fails `requireMap`), or a field whose rows disagree on its
            // type (held as raw JSON text): the per-row reference, for this segment only.
            _ => per_row(input, self.side, self),
        }
    }

    fn is_raw_json(&self, array: &StructArray) -> bool {
        array
            .fields()
            .iter()
            .any(|f| f.name() == &self.settings.field && holds_raw_json(f))
    }

    /// `updatedValue.put(field, convertTimestamp(value.get(field)))` over the map's columns.
    fn schemaless_field(&self, input: &SegmentInput<'_>, array: &StructArray) -> SegmentOutput {
        let n = array.len();
        let name = &self.settings.field;
        let mut fields: Vec<FieldRef> = array.fields().iter().cloned().collect();
        let mut columns: Vec<ArrayRef> = array.columns().to_vec();
        let mut errors = RowErrors::new(n);
        let position = fields.iter().position(|f| f.name() == name);
        let data = match position {
            Some(i) => {
                let converted = map_kinds(&fields[i], &columns[i], |_, column| {
                    let converted = self.convert_column(column.as_ref(), &Source::Inferred, true);
                    keep_valid_errors(array, &mut errors, converted.errors);
                    Some(converted.data)
                });
                match converted {
                    Some(data) => data,
                    None => return per_row(input, self.side, self),
                }
            }
            None => new_null_array(&self.output_type(true), n),
        };
        put_map_column(&mut fields, &mut columns, position, name, data);
        match rebuild_struct(array, fields.into(), columns, &errors) {
            Ok(data) => {
                let new = Column { schema: None, data };
                assemble_rows(input, self.side, vec![new], array, errors, 0)
            }
            Err(e) => SegmentOutput::all_failed(n, &e),
        }
    }

    /// The Arrow type of converted values (schemaless dates are `Timestamp(ms)`, as
    /// `java.util.Date` values are).
    fn output_type(&self, schemaless: bool) -> DataType {
        match self.settings.target {
            Kind::String => DataType::Utf8View,
            Kind::Unix => DataType::Int64,
            Kind::Date if !schemaless => DataType::Date32,
            Kind::Time if !schemaless => DataType::Time32(TimeUnit::Millisecond),
            _ => DataType::Timestamp(TimeUnit::Millisecond, None),
        }
    }

    /// Converts every row of `array` from `source`. Null rows stay null; a failed row is null
    /// with its error. Cost: one match on the source and the column's type, then one loop over
    /// its buffers compiled for that (column type, target) pair; formatted text goes through one
    /// reused buffer.
    fn convert_column(&self, array: &dyn Array, source: &Source, schemaless: bool) -> Converted {
        let n = array.len();
        let nulls = array.logical_nulls();
        let nulls = nulls.as_ref();
        let reader = match (source, Reader::new(array)) {
            // `timestampTypeFromSchema` fails before the null check of `convertTimestamp`.
            (Source::Invalid(e), _) => return self.failing(n, None, e, schemaless),
            (Source::Known(kind), Err(class)) => {
                return self.failing(n, nulls, &mismatch(*kind, class), schemaless)
            }
            (Source::Inferred, Err(class)) => {
                return self.failing(n, nulls, &unsupported_class(class), schemaless)
            }
            (_, Ok(reader)) => reader,
        };
        let (held, class) = reader.kind_and_class();
        if let Source::Known(kind) = source {
            // Every kind but `string` and `unix` reads any `java.util.Date`.
            let reads = |k: Kind| matches!(k, Kind::Date | Kind::Time | Kind::Timestamp);
            if *kind != held && !(reads(*kind) && reads(held)) {
                return self.failing(n, nulls, &mismatch(*kind, class), schemaless);
            }
        }
        let settings = &self.settings;
        match reader {
            Reader::StrView(a) => {
                self.write(n, nulls, |i| settings.parse_text(a.value(i)), schemaless)
            }
            Reader::Str(a) => self.write(n, nulls, |i| settings.parse_text(a.value(i)), schemaless),
            Reader::Long(v) => {
                self.write(n, nulls, |i| Ok(settings.millis_of_unix(v[i])), schemaless)
            }
            Reader::Millis32(v, factor) => {
                self.write(n, nulls, |i| Ok(i64::from(v[i]) * factor), schemaless)
            }
            Reader::Millis(v) => self.write(n, nulls, |i| Ok(v[i]), schemaless),
        }
    }

    /// Every row of `n` (the non-null ones when `nulls` is given) failing with `error`.
    fn failing(
        &self,
        n: usize,
        nulls: Option<&NullBuffer>,
        error: &ConnectError,
        schemaless: bool,
    ) -> Converted {
        let failed = (0..n)
            .filter(|&i| !nulls.is_some_and(|b| b.is_null(i)))
            .map(|i| (i, error.clone()));
        let errors = RowErrors::from_failed(n, failed.collect());
        Converted {
            data: new_null_array(&self.output_type(schemaless), n),
            errors,
        }
    }

    /// The column of [`Self::output_type`] from each valid row's instant (`raw(i)`, in ms).
    /// Generic over `raw` so that each (column type, target) pair is its own loop.
    #[inline(always)]
    fn write(
        &self,
        n: usize,
        nulls: Option<&NullBuffer>,
        raw: impl Fn(usize) -> Result<i64, ConnectError>,
        schemaless: bool,
    ) -> Converted {
        let settings = &self.settings;
        match self.output_type(schemaless) {
            DataType::Utf8View => {
                let mut column = TextColumn::with_capacity(n);
                let mut last = LastDay::default();
                let errors = each_instant(n, nulls, raw, |ms| match ms {
                    Some(ms) => {
                        column.append_with(|text| settings.format_into(ms, &mut last, text))
                    }
                    None => column.append_null(),
                });
                Converted {
                    data: column.finish(),
                    errors,
                }
            }
            DataType::Int64 => typed::<Int64Type>(n, nulls, raw, |ms| settings.unix_of(ms)),
            DataType::Date32 => typed::<Date32Type>(n, nulls, raw, day_of),
            DataType::Time32(_) => {
                typed::<Time32MillisecondType>(n, nulls, raw, |ms| ms.rem_euclid(MS_PER_DAY) as i32)
            }
            _ => typed::<TimestampMillisecondType>(n, nulls, raw, |ms| settings.date_of(ms)),
        }
    }

    /// The reference's `applyWithSchema`.
    fn record_with_schema(
        &self,
        schema: &SchemaRef,
        value: &Value,
    ) -> Result<(SchemaRef, Value), ConnectError> {
        if self.settings.field.is_empty() {
            let kind = Kind::of_schema(schema)?;
            let updated = self.settings.target.schema(schema.optional).into_ref();
            return Ok((updated, self.settings.convert_value(value, Some(kind))?));
        }
        let value = match value {
            Value::Null => None,
            Value::Struct(s) => Some(s),
            other => return Err(require_struct_error(PURPOSE, other)),
        };
        if !matches!(schema.kind, SchemaKind::Struct(_)) {
            return Err(ConnectError::data("Cannot list fields on non-struct type"));
        }
        let updated = self.updated_struct(schema)?.into_ref();
        let converted = match value {
            None => Value::Null,
            Some(s) => Value::Struct(self.convert_struct(s, &updated)?),
        };
        Ok((updated, converted))
    }

    /// The reference's `applySchemaless`.
    fn record_schemaless(&self, value: &Value) -> Result<Value, ConnectError> {
        if value.is_null() || self.settings.field.is_empty() {
            return self.settings.convert_value(value, None);
        }
        let Value::Map(entries) = value else {
            return Err(require_map_error(PURPOSE, value));
        };
        let name = &self.settings.field;
        let converted = self.settings.convert_value(map_get(entries, name), None)?;
        let mut updated = entries.clone();
        map_put(&mut updated, name, converted);
        Ok(Value::Map(updated))
    }
}

impl Transform for TimestampConverter {
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
        let (schema, value) = record.applied_side(
            self.side,
            |value| self.record_schemaless(value),
            |schema, value| self.record_with_schema(schema, value),
        )?;
        Ok(Some(record.with_side(self.side, schema, value)))
    }
}

/// A converted column and each row's error.
struct Converted {
    data: ArrayRef,
    errors: RowErrors,
}

/// Each of `n` rows' instant (`raw(i)`) handed to `append`, `None` for a null row or one that
/// failed; the failures by row.
#[inline(always)]
fn each_instant(
    n: usize,
    nulls: Option<&NullBuffer>,
    raw: impl Fn(usize) -> Result<i64, ConnectError>,
    mut append: impl FnMut(Option<i64>),
) -> RowErrors {
    let mut errors = RowErrors::new(n);
    for i in 0..n {
        if nulls.is_some_and(|b| b.is_null(i)) {
            append(None);
            continue;
        }
        match raw(i) {
            Ok(ms) => append(Some(ms)),
            Err(e) => {
                append(None);
                errors.set(i, e);
            }
        }
    }
    errors
}

/// A primitive column of `value(instant)` per row; see [`each_instant`].
#[inline(always)]
fn typed<T: ArrowPrimitiveType>(
    n: usize,
    nulls: Option<&NullBuffer>,
    raw: impl Fn(usize) -> Result<i64, ConnectError>,
    value: impl Fn(i64) -> T::Native,
) -> Converted {
    let mut builder = PrimitiveBuilder::<T>::with_capacity(n);
    let errors = each_instant(n, nulls, raw, |ms| builder.append_option(ms.map(&value)));
    Converted {
        data: Arc::new(builder.finish()),
        errors,
    }
}

/// The day of an instant, wrapped to an int as `Date.fromLogical` does.
fn day_of(ms: i64) -> i32 {
    ms.div_euclid(MS_PER_DAY) as i32
}

/// Typed access to a timestamp column's rows.
enum Reader<'a> {
    StrView(&'a arrow_array::StringViewArray),
    Str(&'a arrow_array::StringArray),
    Long(&'a [i64]),
    /// Date32 days or Time32 ms, with the factor to ms.
    Millis32(&'a [i32], i64),
    Millis(&'a [i64]),
}

impl<'a> Reader<'a> {
    /// The reader of `array`, or the Java class its values would have.
    fn new(array: &'a dyn Array) -> Result<Reader<'a>, &'static str> {
        let class = java_class(array.data_type());
        let fail = || class;
        Ok(match array.data_type() {
            DataType::Utf8View => Reader::StrView(array.as_string_view_opt().ok_or_else(fail)?),
            DataType::Utf8 => Reader::Str(array.as_string_opt::<i32>().ok_or_else(fail)?),
            DataType::Int64 => Reader::Long(
                array
                    .as_primitive_opt::<Int64Type>()
                    .ok_or_else(fail)?
                    .values(),
            ),
            DataType::Date32 => Reader::Millis32(
                array
                    .as_primitive_opt::<Date32Type>()
                    .ok_or_else(fail)?
                    .values(),
                MS_PER_DAY,
            ),
            DataType::Time32(TimeUnit::Millisecond) => Reader::Millis32(
                array
                    .as_primitive_opt::<Time32MillisecondType>()
                    .ok_or_else(fail)?
                    .values(),
                1,
            ),
            DataType::Timestamp(TimeUnit::Millisecond, _) => Reader::Millis(
                array
                    .as_primitive_opt::<TimestampMillisecondType>()
                    .ok_or_else(fail)?
                    .values(),
            ),
            _ => return Err(class),
        })
    }

    /// The kind its values are read as when the schema does not say, and their Java class.
    fn kind_and_class(&self) -> (Kind, &'static str) {
        match self {
            Reader::StrView(_) | Reader::Str(_) => (Kind::String, "java.lang.String"),
            Reader::Long(_) => (Kind::Unix, "java.lang.Long"),
            Reader::Millis32(..) | Reader::Millis(_) => (Kind::Timestamp, "java.util.Date"),
        }
    }
}

/// The Java class of a schemaless column's values (for Kafka's messages).
fn java_class(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Int8 => "java.lang.Byte",
        DataType::Int16 => "java.lang.Short",
        DataType::Int32 => "java.lang.Integer",
        DataType::Int64 => "java.lang.Long",
        DataType::Float32 => "java.lang.Float",
        DataType::Float64 => "java.lang.Double",
        DataType::Boolean => "java.lang.Boolean",
        DataType::Utf8 | DataType::Utf8View => "java.lang.String",
        DataType::Binary | DataType::BinaryView => "[B",
        DataType::List(_) => "java.util.ArrayList",
        own if is_own_scale(own) => "java.math.BigDecimal",
        DataType::Struct(_) | DataType::Map(..) => "java.util.HashMap",
        DataType::Decimal128(..) => "java.math.BigDecimal",
        DataType::Date32 | DataType::Time32(_) | DataType::Timestamp(..) => "java.util.Date",
        _ => "java.lang.Object",
    }
}

/// Records `found` where the struct row is valid.
fn keep_valid_errors(array: &StructArray, errors: &mut RowErrors, found: RowErrors) {
    for (row, e) in found.into_failed() {
        if array.is_valid(row) {
            errors.set(row, e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::{
        check, check_decoded, config, fitting_struct_rows, null_side, ragged_rows, schemaless_rows,
        NAMES,
    };
    use proptest::prelude::*;

    const TARGETS: [&str; 5] = ["string", "unix", "Date", "Time", "Timestamp"];
    const PRECISIONS: [&str; 4] = ["seconds", "milliseconds", "microseconds", "nanoseconds"];

    fn converter(pairs: &[(&str, &str)]) -> TimestampConverter {
        TimestampConverter::new(&config(pairs), Side::Value).unwrap()
    }

    fn settings() -> impl Strategy<Value = (String, &'static str, &'static str)> {
        (
            prop::sample::select(NAMES.to_vec()),
            prop::sample::select(TARGETS.to_vec()),
            prop::sample::select(PRECISIONS.to_vec()),
        )
            .prop_map(|(f, t, p)| (f.to_string(), t, p))
    }

    fn pairs<'a>(field: &'a str, target: &'a str, precision: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("field", field),
            ("target.type", target),
            ("unix.precision", precision),
            ("format", "yyyy-MM-dd HH:mm"),
        ]
    }

    fn timestamp_texts() -> BoxedStrategy<Value> {
        prop_oneof![
            "20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]".prop_map(Value::String),
            "[a-z0-9 :-]{0,8}".prop_map(Value::String),
        ]
        .boxed()
    }

    fn whole_column() -> impl Strategy<Value = (SchemaRef, Vec<Value>)> {
        let ms = -100_000_000_000_000i64..100_000_000_000_000;
        prop_oneof![
            Just((Schema::new(SchemaKind::String), timestamp_texts())),
            Just((
                Schema::new(SchemaKind::Int64),
                ms.clone().prop_map(Value::Int64).boxed()
            )),
            Just((Schema::timestamp(), ms.prop_map(Value::Date).boxed())),
            Just((
                Schema::date(),
                (-100_000i64..100_000)
                    .prop_map(|d| Value::Date(d * MS_PER_DAY))
                    .boxed()
            )),
            Just((
                Schema::time(),
                (0..MS_PER_DAY).prop_map(Value::Date).boxed()
            )),
            Just((
                Schema::new(SchemaKind::Int32),
                any::<i32>().prop_map(Value::Int32).boxed()
            )),
        ]
        .prop_flat_map(|(schema, value)| {
            let schema = schema.optional().into_ref();
            let rows = prop::collection::vec(prop_oneof![1 => Just(Value::Null), 4 => value], 0..6);
            (Just(schema), rows)
        })
    }

    proptest! {
        #[test]
        fn struct_fields_agree(
            (schema, rows) in fitting_struct_rows(),
            (field, target, precision) in settings(),
        ) {
            let n = rows.len();
            let t = converter(&pairs(&field, target, precision));
            check(&t, null_side(n), (Some(schema), rows), false)?;
        }

        #[test]
        fn whole_values_agree(
            (schema, rows) in whole_column(),
            (_, target, precision) in settings(),
            schemaless in any::<bool>(),
        ) {
            let n = rows.len();
            let t = converter(&pairs("", target, precision));
            let schema = if schemaless { None } else { Some(schema) };
            let rows = if schemaless {
                rows.into_iter().filter(|v| !matches!(v, Value::Date(_) | Value::Int32(_))).collect()
            } else {
                rows
            };
            check(&t, null_side(n), (schema, rows), false)?;
        }

        #[test]
        fn ragged_records_agree(rows in ragged_rows(), (field, target, precision) in settings()) {
            check_decoded(&converter(&pairs(&field, target, precision)), Side::Value, &rows)?;
        }

        #[test]
        fn schemaless_fields_agree(rows in schemaless_rows(), (field, target, precision) in settings()) {
            let n = rows.len();
            let t = converter(&pairs(&field, target, precision));
            check(&t, null_side(n), (None, rows), false)?;
        }
    }

    fn convert(t: &TimestampConverter, value: Value) -> Result<Value, ConnectError> {
        t.settings.convert_value(&value, None)
    }

    #[test]
    fn unix_precision_truncates_and_saturates() {
        let to_seconds = converter(&[("target.type", "unix"), ("unix.precision", "seconds")]);
        assert_eq!(
            convert(&to_seconds, Value::Int64(i64::MAX)),
            Ok(Value::Int64(i64::MAX / 1000 * 1000 / 1000))
        );
        let nanos = converter(&[("target.type", "unix"), ("unix.precision", "nanoseconds")]);
        assert_eq!(
            convert(&nanos, Value::Int64(-1_500_000)),
            Ok(Value::Int64(-1_000_000))
        );
        assert_eq!(
            convert(&nanos, Value::Date(i64::MAX / 10)),
            Ok(Value::Int64(i64::MAX))
        );
        let date = converter(&[("target.type", "Date")]);
        assert_eq!(
            convert(&date, Value::Int64(-1)),
            Ok(Value::Date(-MS_PER_DAY))
        );
        let time = converter(&[("target.type", "Time")]);
        assert_eq!(
            convert(&time, Value::Int64(-1)),
            Ok(Value::Date(MS_PER_DAY - 1))
        );
    }

    #[test]
    fn strings_parse_and_format_in_utc() {
        let t = converter(&[
            ("target.type", "string"),
            ("format", "EEE, d MMM yyyy HH:mm:ss Z"),
        ]);
        assert_eq!(
            convert(&t, Value::Int64(1_700_000_000_000)),
            Ok(Value::String("Tue, 14 Nov 2023 22:13:20 +0000".into()))
        );
        let unix = converter(&[("target.type", "unix"), ("format", "yyyy-MM-dd")]);
        assert_eq!(
            convert(&unix, Value::String("alice".into()))
                .unwrap_err()
                .message,
            "Could not parse timestamp: value (alice) does not match pattern (yyyy-MM-dd)"
        );
        assert_eq!(
            convert(&unix, Value::String("1970-01-02".into())),
            Ok(Value::Int64(MS_PER_DAY))
        );
        let no_format = converter(&[("target.type", "unix")]);
        assert!(convert(&no_format, Value::String("1970-01-02".into())).is_err());
        assert_eq!(
            convert(&unix, Value::Int32(5)).unwrap_err().message,
            "TimestampConverter does not support class java.lang.Integer objects as timestamps"
        );
    }

    #[test]
    fn schemas_follow_kafka() {
        let t = converter(&[("target.type", "Date"), ("field", "ts")]);
        let source = Schema::structure([
            (
                "ts".to_string(),
                Schema::new(SchemaKind::Int64).optional().into_ref(),
            ),
            ("x".to_string(), Schema::new(SchemaKind::Int8).into_ref()),
        ])
        .with_name("r")
        .into_ref();
        let (schema, value) = t.record_with_schema(&source, &Value::Null).unwrap();
        assert_eq!(value, Value::Null);
        assert_eq!(
            schema.fields()[0].schema,
            Schema::date().optional().into_ref()
        );
        assert_eq!(schema.name.as_deref(), Some("r"));
        let whole = converter(&[("target.type", "unix")]);
        assert_eq!(
            whole
                .record_with_schema(&Schema::new(SchemaKind::Int32).into_ref(), &Value::Null)
                .unwrap_err()
                .message,
            "Schema Schema{INT32} does not correspond to a known timestamp type format"
        );
        assert_eq!(
            t.record_with_schema(&Schema::new(SchemaKind::Int64).into_ref(), &Value::Int64(1))
                .unwrap_err()
                .message,
            "Only Struct objects supported for [converting timestamp formats], found: java.lang.Long"
        );
    }

    #[test]
    fn dotted_fields_are_literal_and_absent_fields_become_null() {
        let t = converter(&[
            ("target.type", "string"),
            ("format", "yyyy"),
            ("field", "outer.ts"),
        ]);
        let inner = Value::Map(vec![(Value::String("ts".into()), Value::Int64(0))]);
        let map = Value::Map(vec![(Value::String("outer".into()), inner.clone())]);
        assert_eq!(
            t.record_schemaless(&map),
            Ok(Value::Map(vec![
                (Value::String("outer".into()), inner),
                (Value::String("outer.ts".into()), Value::Null),
            ]))
        );
    }

    fn error(pairs: &[(&str, &str)]) -> ConfigProblem {
        TimestampConverter::new(&config(pairs), Side::Value).unwrap_err()
    }

    #[test]
    fn config_errors_match_kafka() {
        assert_eq!(
            error(&[("field", "a")]).message,
            "Missing required configuration \"target.type\" which has no default value."
        );
        assert_eq!(
            error(&[("target.type", "timestamp")]).message,
            "Invalid value timestamp for configuration target.type: String must be one of: string, unix, Date, Time, Timestamp"
        );
        assert_eq!(
            error(&[("target.type", "unix"), ("unix.precision", "ms")]).message,
            "Invalid value ms for configuration unix.precision: String must be one of: nanoseconds, microseconds, milliseconds, seconds"
        );
        assert_eq!(
            error(&[("target.type", "string"), ("format", "  ")]).message,
            "TimestampConverter requires format option to be specified when using string timestamps"
        );
        assert_eq!(
            error(&[("target.type", "string"), ("format", "yyyy-qq")]).message,
            "Invalid value java.lang.IllegalArgumentException: Illegal pattern character 'q' for configuration TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: yyyy-qq"
        );
        assert_eq!(
            error(&[("target.type", "unix"), ("replace.null.with.default", "no")]).key,
            "replace.null.with.default"
        );
    }
}
