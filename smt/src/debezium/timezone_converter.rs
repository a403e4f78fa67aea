//! `io.debezium.transforms.TimezoneConverter`: rewrites the temporal columns of a Debezium change
//! event (`before`, `after`, and named `source` fields) into `converted.timezone`, as Debezium
//! 3.6.1's `TimezoneConverter.java` does. The schema never changes; only values do.
//!
//! What is converted: `io.debezium.time.MicroTimestamp`, `NanoTimestamp`, `Timestamp`,
//! `ZonedTimestamp`, `ZonedTime` and Kafka's `Timestamp`, plus the `source` block's plain
//! `ts_ms` / `ts_us` / `ts_ns` when a rule names them. Date and time-of-day types are left alone.
//! Like Debezium, a local timestamp (`MicroTimestamp`…) is read as a UTC wall-clock time and
//! re-stamped as that wall-clock time in the target zone (the offset taken for that local time,
//! the earlier one at a transition); a `ZonedTimestamp` keeps its instant and takes the offset
//! the zone has at the text's own local time; a `ZonedTime` takes the zone's offset now; the
//! epoch fields move by the zone's offset at that instant. A null column with a default gets
//! the converted default (`Struct.get`).
//!
//! `include.list` / `exclude.list` rules (`source:<table>[:<fields>]`, `topic:<topic>[:<fields>]`,
//! `<name>:<fields>`) pick the events and fields per record from its topic and `source.table`.
//!
//! Kernel: per envelope schema a plan lists the convertible fields once; per segment each row's
//! rule is resolved once per distinct (topic, table), each convertible column is rewritten in one
//! pass over its array where any row selects it, and the structs are reassembled around the new
//! children (other columns are moved, not copied).

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::StringViewBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMillisecondType};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, PrimitiveArray, StructArray};
use arrow_schema::DataType;
use regex::Regex;
use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind, TIMESTAMP_LOGICAL_NAME};
use weir_formats::value::{Struct, Value};
use weir_formats::value_array::value_at;

use super::change_event::is_envelope;
use super::iso_offset_time::{
    format_offset_date_time, format_offset_time, parse_offset_date_time, parse_offset_time,
};
use super::java_zone::JavaZone;
use crate::kernel::arrow_build::{arrow_failure, struct_array};
use crate::kernel::defaults::field_value;
use crate::kernel::routing::subset;
use crate::kernel::schema_cache::SchemaCache;
use crate::kernel::segment_output::fail_non_null_rows;
use crate::record::ConnectRecord;
use crate::transform::{OutputPart, SegmentInput, SegmentOutput, Transform};
use crate::{ConfigProblem, Side, TransformConfig};

const ZONE_KEY: &str = "converted.timezone";
const INCLUDE_KEY: &str = "include.list";
const EXCLUDE_KEY: &str = "exclude.list";
const BAD_ZONE: &str = "Invalid timezone format. Please specify either a geographic timezone (e.g. America/Los_Angeles) or a UTC offset in the format of +/-hh:mm, (e.g. +08:00).";
const LIST_FORMAT: &str = "list format. Please specify a list of rules in the format of \"source:<tablename>:<fieldnames>\", \"topic:<topicname>:<fieldnames>\", \"<matchname>:<fieldnames>\"";
/// Debezium's `LIST_PATTERN`, with Java's ASCII `\w` and `\s`, over `List.toString()`.
const LIST_PATTERN: &str = r#"^\[(source|topic|[".A-Za-z0-9_ \t\n\x0B\x0C\r]+):([".A-Za-z0-9_ \t\n\x0B\x0C\r]+(?::[".A-Za-z0-9_ \t\n\x0B\x0C\r]+)?(?:,|\]$))+$"#;

/// How one temporal column is converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conversion {
    /// `io.debezium.time.MicroTimestamp` (INT64 µs).
    Micro,
    /// `io.debezium.time.NanoTimestamp` (INT64 ns).
    Nano,
    /// `io.debezium.time.Timestamp` (INT64 ms).
    Millis,
    /// Kafka's `Timestamp` (`java.util.Date`).
    ConnectTimestamp,
    /// `io.debezium.time.ZonedTimestamp` (ISO offset date-time text).
    Zoned,
    /// `io.debezium.time.ZonedTime` (ISO offset time text).
    ZonedTime,
    /// `source.ts_ms` / `ts_us` / `ts_ns`: epoch values with this many per second.
    Epoch(i64),
}

impl Conversion {
    /// The conversion of `field` inside the envelope's `role` struct, if it has one.
    fn of(role: Role, field: &Field) -> Option<Conversion> {
        match field.schema.name.as_deref() {
            Some("io.debezium.time.MicroTimestamp") => Some(Conversion::Micro),
            Some("io.debezium.time.NanoTimestamp") => Some(Conversion::Nano),
            Some("io.debezium.time.Timestamp") => Some(Conversion::Millis),
            Some("io.debezium.time.ZonedTimestamp") => Some(Conversion::Zoned),
            Some("io.debezium.time.ZonedTime") => Some(Conversion::ZonedTime),
            Some(TIMESTAMP_LOGICAL_NAME) => Some(Conversion::ConnectTimestamp),
            Some(_) => None,
            None if role == Role::Source => match field.name.as_str() {
                "ts_ms" => Some(Conversion::Epoch(1_000)),
                "ts_us" => Some(Conversion::Epoch(1_000_000)),
                "ts_ns" => Some(Conversion::Epoch(1_000_000_000)),
                _ => None,
            },
            None => None,
        }
    }

    /// The Java class the conversion casts its value to.
    fn expected_class(self) -> &'static str {
        match self {
            Conversion::Zoned | Conversion::ZonedTime => "java.lang.String",
            Conversion::ConnectTimestamp => "java.util.Date",
            _ => "java.lang.Long",
        }
    }
}

/// The three structs of an envelope the converter looks into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Role {
    Before,
    After,
    Source,
}

impl Role {
    const ALL: [Role; 3] = [Role::Before, Role::After, Role::Source];

    fn name(self) -> &'static str {
        match self {
            Role::Before => "before",
            Role::After => "after",
            Role::Source => "source",
        }
    }
}

/// What a record's rule says (`Type` plus the named fields, split per struct).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Selection {
    /// No conversion.
    Nothing,
    /// Every convertible field of `before` and `after`, and the named ones of `source`.
    All(Fields),
    /// Only the named fields.
    Include(Fields),
    /// All but the named fields (`source` only when some of its fields are named).
    Exclude(Fields),
}

/// Rule field names split as `handleStructs` splits them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Fields {
    before: Vec<String>,
    after: Vec<String>,
    source: Vec<String>,
}

impl Fields {
    fn split(names: &[String]) -> Fields {
        let mut fields = Fields::default();
        for name in names {
            if let Some(f) = name.strip_prefix("source.") {
                fields.source.push(f.to_string());
            } else if let Some(f) = name.strip_prefix("before.") {
                fields.before.push(f.to_string());
            } else if let Some(f) = name.strip_prefix("after.") {
                fields.after.push(f.to_string());
            } else {
                fields.before.push(name.clone());
                fields.after.push(name.clone());
            }
        }
        fields
    }

    fn of(&self, role: Role) -> &[String] {
        match role {
            Role::Before => &self.before,
            Role::After => &self.after,
            Role::Source => &self.source,
        }
    }
}

impl Selection {
    /// Whether field `name` of the `role` struct is converted.
    fn selects(&self, role: Role, name: &str) -> bool {
        let (fields, all) = match self {
            Selection::Nothing => return false,
            Selection::All(f) => (f, true),
            Selection::Include(f) => (f, false),
            Selection::Exclude(f) => (f, false),
        };
        let named = fields.of(role);
        if role == Role::Source && named.is_empty() {
            return false;
        }
        let listed = named.iter().any(|n| n == name);
        match self {
            Selection::Include(_) => listed,
            Selection::Exclude(_) => !listed,
            _ => all,
        }
    }
}

/// `TimezoneConverter.parseItem`.
#[derive(Debug)]
struct Rule {
    prefix: Option<String>,
    match_name: String,
    field: Option<String>,
}

impl Rule {
    fn parse(item: &str) -> Rule {
        let mut parts: Vec<&str> = item.split(':').collect();
        while parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
        let keyword = |p: &str| p.eq_ignore_ascii_case("source") || p.eq_ignore_ascii_case("topic");
        match parts.as_slice() {
            [] => Rule {
                prefix: None,
                match_name: String::new(),
                field: None,
            },
            [name] => Rule {
                prefix: None,
                match_name: name.to_string(),
                field: None,
            },
            [prefix, name, rest @ ..] if keyword(prefix) && rest.len() <= 1 => Rule {
                prefix: Some(prefix.to_string()),
                match_name: name.to_string(),
                field: rest.first().map(|f| f.to_string()),
            },
            [name, field] => Rule {
                prefix: None,
                match_name: name.to_string(),
                field: Some(field.to_string()),
            },
            // More than three parts cannot pass the list pattern.
            _ => Rule {
                prefix: None,
                match_name: String::new(),
                field: None,
            },
        }
    }
}

/// Which list is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    All,
    Include,
    Exclude,
}

/// The per-envelope-schema work: where `before`, `after`, `source` and `source.table` are, and
/// which of their fields can be converted.
#[derive(Debug)]
struct Plan {
    /// Per role: the envelope child index and struct fields, if the envelope has it as a STRUCT.
    structs: Vec<(Role, usize, Vec<Field>)>,
    /// Per role present: the convertible fields (index in the struct, name, conversion).
    targets: Vec<(Role, usize, Field, Conversion)>,
    /// `source` (child index) and its STRING `table` field (index), when both exist.
    table: Option<(usize, usize)>,
    /// The envelope child index of `source` when it exists as a STRUCT field (a null one fails
    /// `getTableFromSource`; a missing or non-struct one yields no table).
    source: Option<usize>,
}

impl Plan {
    fn new(schema: &Schema) -> Plan {
        let mut structs = Vec::new();
        let mut targets = Vec::new();
        for role in Role::ALL {
            let Some((index, field)) = schema.field(role.name()) else {
                continue;
            };
            let SchemaKind::Struct(fields) = &field.schema.kind else {
                continue;
            };
            for (i, f) in fields.iter().enumerate() {
                if let Some(conversion) = Conversion::of(role, f) {
                    targets.push((role, i, f.clone(), conversion));
                }
            }
            structs.push((role, index, fields.clone()));
        }
        let source = structs
            .iter()
            .find(|(r, _, _)| *r == Role::Source)
            .map(|(_, i, _)| *i);
        let table = structs
            .iter()
            .find(|(r, _, _)| *r == Role::Source)
            .and_then(|(_, i, fields)| {
                let t = fields.iter().position(|f| f.name == "table")?;
                (fields[t].schema.kind == SchemaKind::String).then_some((*i, t))
            });
        Plan {
            structs,
            targets,
            table,
            source,
        }
    }
}

/// `TimezoneConverter`, configured.
#[derive(Debug)]
pub struct TimezoneConverter {
    zone: JavaZone,
    mode: Mode,
    topics: HashMap<String, Vec<String>>,
    tables: HashMap<String, Vec<String>>,
    unprefixed: HashMap<String, Vec<String>>,
    plans: SchemaCache<Plan>,
}

/// `TimezoneConverter`. Cost: validates the zone and rules once per pipeline.
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(TimezoneConverter::new(config)?))
}

/// `Configuration.getList`: Java `split(",")` (trailing empties removed), each item trimmed.
fn java_list(config: &TransformConfig, key: &str) -> Vec<String> {
    let Some(raw) = config.get(key) else {
        return Vec::new();
    };
    let mut pieces: Vec<&str> = raw.split(',').collect();
    while pieces.len() > 1 && pieces.last().is_some_and(|s| s.is_empty()) {
        pieces.pop();
    }
    pieces.into_iter().map(|s| s.trim().to_string()).collect()
}

impl TimezoneConverter {
    /// Validates like Debezium's `configure`: a required zone, well-formed rules, a known zone,
    /// not both lists.
    pub fn new(config: &TransformConfig) -> Result<TimezoneConverter, ConfigProblem> {
        let zone_name = config.get(ZONE_KEY).map(str::trim).unwrap_or("");
        if zone_name.is_empty() {
            let value = config.get(ZONE_KEY).unwrap_or("null");
            let reason = format!("The '{ZONE_KEY}' value is invalid: A value is required");
            return Err(ConfigProblem::invalid(ZONE_KEY, value, &reason));
        }
        let zone_name = config.get(ZONE_KEY).unwrap_or("");
        let include = java_list(config, INCLUDE_KEY);
        let exclude = java_list(config, EXCLUDE_KEY);
        let pattern =
            Regex::new(LIST_PATTERN).map_err(|e| ConfigProblem::new(INCLUDE_KEY, e.to_string()))?;
        let (active, key, which) = match (include.is_empty(), exclude.is_empty()) {
            (false, _) => (&include, INCLUDE_KEY, "include"),
            (true, false) => (&exclude, EXCLUDE_KEY, "exclude"),
            (true, true) => (&include, INCLUDE_KEY, ""),
        };
        if !active.is_empty() && !pattern.is_match(&format!("[{}]", active.join(", "))) {
            return Err(ConfigProblem::new(
                key,
                format!("Invalid {which} {LIST_FORMAT}"),
            ));
        }
        let zone =
            JavaZone::parse(zone_name).ok_or_else(|| ConfigProblem::new(ZONE_KEY, BAD_ZONE))?;
        if !include.is_empty() && !exclude.is_empty() {
            let message = "Both include and exclude lists are specified. Please specify only one.";
            return Err(ConfigProblem::new(INCLUDE_KEY, message));
        }
        let mode = match (include.is_empty(), exclude.is_empty()) {
            (true, true) => Mode::All,
            (false, _) => Mode::Include,
            (true, false) => Mode::Exclude,
        };
        let mut converter = TimezoneConverter {
            zone,
            mode,
            topics: HashMap::new(),
            tables: HashMap::new(),
            unprefixed: HashMap::new(),
            plans: SchemaCache::default(),
        };
        converter.collect(if exclude.is_empty() {
            &include
        } else {
            &exclude
        });
        Ok(converter)
    }

    /// `collectTablesAndTopics`: the last explicit prefix sticks to the items after it.
    fn collect(&mut self, items: &[String]) {
        let mut common: Option<String> = None;
        for item in items {
            let rule = Rule::parse(item);
            if rule.prefix.is_some() {
                common = rule.prefix.clone();
            }
            let map = match common.as_deref() {
                Some("topic") => &mut self.topics,
                Some("source") => &mut self.tables,
                _ => &mut self.unprefixed,
            };
            let fields = map.entry(rule.match_name).or_default();
            if let Some(f) = rule.field {
                if !fields.contains(&f) {
                    fields.push(f);
                }
            }
        }
    }

    /// `handleMatchNameAndFields`: the matched name's fields, if any rule matches.
    fn matched(&self, table: Option<&str>, topic: &str) -> Option<&Vec<String>> {
        fn in_table<'m>(
            m: &'m HashMap<String, Vec<String>>,
            table: Option<&str>,
        ) -> Option<&'m Vec<String>> {
            m.get(table?)
        }
        self.topics
            .get(topic)
            .or_else(|| in_table(&self.tables, table))
            .or_else(|| self.unprefixed.get(topic))
            .or_else(|| in_table(&self.unprefixed, table))
    }

    /// The rule in force for a record of `topic` whose source table is `table`.
    fn selection(&self, table: Option<&str>, topic: &str) -> Selection {
        match self.mode {
            Mode::All => Selection::All(Fields::default()),
            Mode::Include => match self.matched(table, topic) {
                None => Selection::Nothing,
                Some(f) if f.is_empty() => Selection::All(Fields::default()),
                Some(f) => Selection::Include(Fields::split(f)),
            },
            Mode::Exclude => match self.matched(table, topic) {
                None => Selection::All(Fields::default()),
                Some(f) if f.is_empty() => Selection::Nothing,
                Some(f) => Selection::Exclude(Fields::split(f)),
            },
        }
    }

    /// A non-null INT64 value converted. Cost: one zone lookup.
    fn convert_long(&self, conversion: Conversion, value: i64) -> Result<i64, ConnectError> {
        let fail = |m: String| ConnectError::data(m);
        let overflow = || ConnectError::data("long overflow");
        let unit = match conversion {
            Conversion::Micro => 1_000_000,
            Conversion::Nano => 1_000_000_000,
            Conversion::Millis | Conversion::ConnectTimestamp => 1_000,
            Conversion::Epoch(unit) => {
                let offset = self
                    .zone
                    .offset_at_instant(value.div_euclid(unit))
                    .map_err(fail)?;
                return value
                    .checked_add(i64::from(offset) * unit)
                    .ok_or_else(overflow);
            }
            Conversion::Zoned | Conversion::ZonedTime => {
                return Err(cast_error("java.lang.Long", conversion))
            }
        };
        let seconds = value.div_euclid(unit);
        let offset = i64::from(self.zone.offset_at_local(seconds).map_err(fail)?);
        match conversion {
            // `toEpochSecond(offset) * 1_000_000 + micros`: Java's long arithmetic wraps.
            Conversion::Micro | Conversion::Nano => Ok((seconds - offset)
                .wrapping_mul(unit)
                .wrapping_add(value.rem_euclid(unit))),
            // `toInstant().toEpochMilli()` fails on overflow.
            _ => (seconds - offset)
                .checked_mul(unit)
                .and_then(|v| v.checked_add(value.rem_euclid(unit)))
                .ok_or_else(overflow),
        }
    }

    /// A non-null text value converted (`ZonedTimestamp`, `ZonedTime`).
    fn convert_text(&self, conversion: Conversion, text: &str) -> Result<String, ConnectError> {
        let parse_error = |m: String| ConnectError::data(format!("DateTimeParseException: {m}"));
        match conversion {
            Conversion::Zoned => {
                let t = parse_offset_date_time(text).map_err(parse_error)?;
                let offset = self
                    .zone
                    .offset_at_local(t.local_seconds)
                    .map_err(ConnectError::data)?;
                Ok(format_offset_date_time(&t.with_offset_same_instant(offset)))
            }
            Conversion::ZonedTime => {
                let now = jiff::Timestamp::now().as_second();
                let offset = self
                    .zone
                    .offset_at_instant(now)
                    .map_err(ConnectError::data)?;
                let t = parse_offset_time(text).map_err(parse_error)?;
                Ok(format_offset_time(&t.with_offset_same_instant(offset)))
            }
            _ => Err(cast_error("java.lang.String", conversion)),
        }
    }

    /// `getTimestampWithTimezone` / `getEpochWithTimezone` over one value (non-null).
    fn convert_value(&self, conversion: Conversion, value: &Value) -> Result<Value, ConnectError> {
        match (conversion, value) {
            (Conversion::ConnectTimestamp, Value::Date(ms)) => {
                self.convert_long(conversion, *ms).map(Value::Date)
            }
            (Conversion::Zoned | Conversion::ZonedTime, Value::String(s)) => {
                self.convert_text(conversion, s).map(Value::String)
            }
            (Conversion::Epoch(_), Value::Int64(v)) => {
                self.convert_long(conversion, *v).map(Value::Int64)
            }
            (Conversion::Epoch(_), _) => Err(ConnectError::data(
                "Epoch field value should be a java.lang.Long",
            )),
            (Conversion::Micro | Conversion::Nano | Conversion::Millis, Value::Int64(v)) => {
                self.convert_long(conversion, *v).map(Value::Int64)
            }
            (_, other) => Err(cast_error(other.java_class(), conversion)),
        }
    }

    // -----------------------------------------------------------------------------------------
    // The kernel.

    /// Each row's selection (by distinct topic and table), or its error (a null `source`).
    fn row_selections(
        &self,
        input: &SegmentInput<'_>,
        plan: &Plan,
        envelope: &StructArray,
    ) -> Vec<Result<Arc<Selection>, ConnectError>> {
        let mut memo: HashMap<(u32, Option<String>), Arc<Selection>> = HashMap::new();
        let source = plan.source.map(|i| envelope.column(i));
        let table = plan.table.and_then(|(s, t)| {
            let child = envelope.column(s).as_struct_opt()?.column(t).clone();
            Some(child)
        });
        (0..input.rows.len())
            .map(|i| {
                if envelope.is_null(i) {
                    return Ok(Arc::new(Selection::Nothing));
                }
                if source.is_some_and(|s| s.is_null(i)) {
                    return Err(ConnectError::data(
                        "Cannot invoke \"org.apache.kafka.connect.data.Struct.getString(String)\" because \"source\" is null",
                    ));
                }
                let name = table.as_ref().and_then(|t| match value_at(None, t.as_ref(), i) {
                    Value::String(s) => Some(s),
                    _ => None,
                });
                let topic = input.meta.topic_ids[input.rows[i] as usize];
                let selection = memo
                    .entry((topic, name.clone()))
                    .or_insert_with(|| {
                        let topic = input.meta.topics[topic as usize].as_str();
                        Arc::new(self.selection(name.as_deref(), topic))
                    })
                    .clone();
                Ok(selection)
            })
            .collect()
    }

    /// The columnar path over a STRUCT envelope column.
    fn apply_envelope(
        &self,
        input: SegmentInput<'_>,
        plan: &Plan,
        envelope: &StructArray,
    ) -> Result<SegmentOutput, ConnectError> {
        let n = input.rows.len();
        let selections = self.row_selections(&input, plan, envelope);
        let mut errors: Vec<Option<ConnectError>> = selections
            .iter()
            .map(|s| s.as_ref().err().cloned())
            .collect();
        let mut children: Vec<ArrayRef> = envelope.columns().to_vec();
        for (role, index, _) in &plan.structs {
            let Some(parent) = envelope.column(*index).as_struct_opt() else {
                continue;
            };
            let mut grandchildren: Vec<ArrayRef> = parent.columns().to_vec();
            let mut changed = false;
            for (_, field_index, field, conversion) in
                plan.targets.iter().filter(|(r, ..)| r == role)
            {
                let mask: Vec<bool> = (0..n)
                    .map(|i| {
                        envelope.is_valid(i)
                            && parent.is_valid(i)
                            && matches!(&selections[i], Ok(s) if s.selects(*role, &field.name))
                    })
                    .collect();
                if !mask.contains(&true) {
                    continue;
                }
                let (array, failed) =
                    self.convert_array(&grandchildren[*field_index], field, *conversion, &mask)?;
                for (i, e) in failed {
                    errors[i].get_or_insert(e);
                }
                grandchildren[*field_index] = array;
                changed = true;
            }
            if changed {
                let rebuilt = struct_array(
                    parent.fields().clone(),
                    grandchildren,
                    parent.nulls().cloned(),
                    parent.len(),
                )
                .map_err(arrow_failure)?;
                children[*index] = Arc::new(rebuilt);
            }
        }
        let rebuilt = struct_array(
            envelope.fields().clone(),
            children,
            envelope.nulls().cloned(),
            n,
        )
        .map_err(arrow_failure)?;
        let value = weir_formats::batch::Column {
            schema: input.value.schema.clone(),
            data: Arc::new(rebuilt),
        };
        let mut output = SegmentOutput::default();
        let kept: Vec<u32> = (0..n as u32)
            .filter(|&i| errors[i as usize].is_none())
            .collect();
        output.errors = errors
            .into_iter()
            .enumerate()
            .filter_map(|(i, e)| e.map(|e| (i as u32, e)))
            .collect();
        if kept.len() == n {
            return Ok(SegmentOutput::all(n, input.key.clone(), value));
        }
        if !kept.is_empty() {
            output.parts.push(OutputPart {
                key: subset(input.key, &kept)?,
                value: subset(&value, &kept)?,
                indices: kept,
            });
        }
        Ok(output)
    }

    /// The 64-bit column `longs` with the rows of `mask` converted (null rows take `default`
    /// first); a row whose conversion fails is pushed to `failed` and keeps its original value,
    /// which keeps the column valid. Cost: one pass and one new array.
    fn convert_longs<T: ArrowPrimitiveType<Native = i64>>(
        &self,
        longs: &PrimitiveArray<T>,
        default: Option<i64>,
        conversion: Conversion,
        mask: &[bool],
        failed: &mut Vec<(usize, ConnectError)>,
    ) -> PrimitiveArray<T> {
        (0..longs.len())
            .map(|i| {
                let original = longs.is_valid(i).then(|| longs.value(i));
                match (mask[i], original.or(default)) {
                    (true, Some(v)) => {
                        self.convert_long(conversion, v)
                            .map(Some)
                            .unwrap_or_else(|e| {
                                failed.push((i, e));
                                original
                            })
                    }
                    _ => original,
                }
            })
            .collect()
    }

    /// `array` with the rows of `mask` converted (null rows take the field's default first),
    /// and the rows whose conversion failed. Cost: one pass and one new array of the column.
    fn convert_array(
        &self,
        array: &ArrayRef,
        field: &Field,
        conversion: Conversion,
        mask: &[bool],
    ) -> Result<(ArrayRef, Vec<(usize, ConnectError)>), ConnectError> {
        let mut failed = Vec::new();
        let default = field.schema.default.as_ref();
        match (array.data_type(), conversion) {
            (
                DataType::Int64,
                Conversion::Micro | Conversion::Nano | Conversion::Millis | Conversion::Epoch(_),
            ) => {
                let default = match default {
                    Some(Value::Int64(d)) => Some(*d),
                    _ => None,
                };
                let out = self.convert_longs(
                    array.as_primitive::<Int64Type>(),
                    default,
                    conversion,
                    mask,
                    &mut failed,
                );
                Ok((Arc::new(out), failed))
            }
            (DataType::Timestamp(_, zone), Conversion::ConnectTimestamp) => {
                let default = match default {
                    Some(Value::Date(d)) => Some(*d),
                    _ => None,
                };
                let out = self
                    .convert_longs(
                        array.as_primitive::<TimestampMillisecondType>(),
                        default,
                        conversion,
                        mask,
                        &mut failed,
                    )
                    .with_timezone_opt(zone.clone());
                Ok((Arc::new(out), failed))
            }
            (DataType::Utf8View, Conversion::Zoned | Conversion::ZonedTime) => {
                let texts = array.as_string_view();
                let default = match default {
                    Some(Value::String(d)) => Some(d.as_str()),
                    _ => None,
                };
                let mut builder = StringViewBuilder::with_capacity(texts.len());
                for (i, &selected) in mask.iter().enumerate().take(texts.len()) {
                    let original = texts.is_valid(i).then(|| texts.value(i));
                    match (selected, original.or(default)) {
                        (true, Some(v)) => match self.convert_text(conversion, v) {
                            Ok(s) => builder.append_value(s),
                            Err(e) => {
                                failed.push((i, e));
                                builder.append_option(original);
                            }
                        },
                        _ => builder.append_option(original),
                    }
                }
                Ok((Arc::new(builder.finish()), failed))
            }
            // A logical name on a physical type it does not have: Java's cast fails for every
            // selected non-null value (rare; read back row by row).
            _ => {
                for (i, selected) in mask.iter().enumerate() {
                    let value = field_value(
                        field,
                        &value_at(Some(&field.schema), array.as_ref(), i),
                        true,
                    );
                    if *selected && !value.is_null() {
                        if let Err(e) = self.convert_value(conversion, &value) {
                            failed.push((i, e));
                        }
                    }
                }
                Ok((array.clone(), failed))
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // The reference.

    /// `handleValueForFields` over one struct value.
    fn convert_struct(
        &self,
        role: Role,
        value: &mut Struct,
        selection: &Selection,
    ) -> Result<(), ConnectError> {
        let schema = value.schema.clone();
        for (i, field) in schema.fields().iter().enumerate() {
            let Some(conversion) = Conversion::of(role, field) else {
                continue;
            };
            if !selection.selects(role, &field.name) {
                continue;
            }
            let current = field_value(field, value.values.get(i).unwrap_or(&Value::Null), true);
            if current.is_null() {
                continue;
            }
            let converted = self.convert_value(conversion, &current)?;
            if let Some(slot) = value.values.get_mut(i) {
                *slot = converted;
            }
        }
        Ok(())
    }
}

/// Java's `ClassCastException` text for a value of `class` where `conversion` casts.
fn cast_error(class: &str, conversion: Conversion) -> ConnectError {
    ConnectError::data(format!(
        "class {class} cannot be cast to class {}",
        conversion.expected_class()
    ))
}

impl Transform for TimezoneConverter {
    /// Envelope segments: the columnar path; anything else passes unchanged.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        let n = input.rows.len();
        let Some(schema) = input.value.schema.clone().filter(|s| is_envelope(Some(s))) else {
            return SegmentOutput::all(n, input.key.clone(), input.value.clone());
        };
        let Some(envelope) = input.value.data.as_struct_opt().cloned() else {
            return fail_non_null_rows(&input, Side::Value, |v| {
                ConnectError::data(format!(
                    "class {} cannot be cast to class org.apache.kafka.connect.data.Struct",
                    v.java_class()
                ))
            });
        };
        let plan = self
            .plans
            .get_or_try::<std::convert::Infallible>(&schema, || Ok(Plan::new(&schema)));
        let Ok(plan) = plan;
        self.apply_envelope(input, &plan, &envelope)
            .unwrap_or_else(|e| SegmentOutput::all_failed(n, &e))
    }

    /// Debezium's `apply`: the value's structs converted in place.
    fn apply_record(
        &self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.value.is_null() {
            return Ok(Some(record));
        }
        if !is_envelope(record.value_schema.as_ref()) {
            return Ok(Some(record));
        }
        let Value::Struct(envelope) = &mut record.value else {
            return Err(ConnectError::data(format!(
                "class {} cannot be cast to class org.apache.kafka.connect.data.Struct",
                record.value.java_class()
            )));
        };
        let struct_at = |s: &Struct, role: Role| -> Option<usize> {
            let (i, f) = s.schema.field(role.name())?;
            matches!(f.schema.kind, SchemaKind::Struct(_)).then_some(i)
        };
        let table = match struct_at(envelope, Role::Source) {
            None => None,
            Some(i) => match envelope.values.get(i) {
                Some(Value::Struct(source)) => match source.schema.field("table") {
                    // `getString` reads the value without the field's default.
                    Some((t, f)) if f.schema.kind == SchemaKind::String => match source.values.get(t) {
                        Some(Value::String(s)) => Some(s.clone()),
                        _ => None,
                    },
                    _ => None,
                },
                _ => {
                    return Err(ConnectError::data(
                        "Cannot invoke \"org.apache.kafka.connect.data.Struct.getString(String)\" because \"source\" is null",
                    ))
                }
            },
        };
        let selection = self.selection(table.as_deref(), &record.topic);
        for role in Role::ALL {
            let Some(i) = struct_at(envelope, role) else {
                continue;
            };
            if let Some(Value::Struct(inner)) = envelope.values.get_mut(i) {
                self.convert_struct(role, inner, &selection)?;
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::test_kit::{check, config, value_record};
    use proptest::prelude::*;
    use weir_formats::schema::SchemaRef;

    fn named(kind: SchemaKind, name: &str) -> Schema {
        Schema::new(kind).optional().with_name(name)
    }

    fn row_schema() -> SchemaRef {
        Schema::structure([
            ("id".to_string(), Schema::new(SchemaKind::Int32).into_ref()),
            (
                "created".to_string(),
                named(SchemaKind::Int64, "io.debezium.time.MicroTimestamp").into_ref(),
            ),
            (
                "updated".to_string(),
                named(SchemaKind::String, "io.debezium.time.ZonedTimestamp")
                    .with_default(Value::String("2025-06-01T00:00:00Z".into()))
                    .into_ref(),
            ),
            (
                "seen".to_string(),
                Schema::timestamp().optional().into_ref(),
            ),
            (
                "day".to_string(),
                named(SchemaKind::Int32, "io.debezium.time.Date").into_ref(),
            ),
        ])
        .optional()
        .into_ref()
    }

    fn envelope_schema() -> SchemaRef {
        let source = Schema::structure([
            (
                "ts_ms".to_string(),
                Schema::new(SchemaKind::Int64).into_ref(),
            ),
            (
                "table".to_string(),
                Schema::new(SchemaKind::String).optional().into_ref(),
            ),
        ])
        .into_ref();
        Schema::structure([
            ("before".to_string(), row_schema()),
            ("after".to_string(), row_schema()),
            ("source".to_string(), source),
            ("op".to_string(), Schema::new(SchemaKind::String).into_ref()),
        ])
        .with_name("srv.db.t.Envelope")
        .into_ref()
    }

    fn row(micros: Option<i64>, zoned: Option<&str>, millis: Option<i64>) -> Value {
        Value::Struct(Struct {
            schema: row_schema(),
            values: vec![
                Value::Int32(1),
                micros.map_or(Value::Null, Value::Int64),
                zoned.map_or(Value::Null, |z| Value::String(z.into())),
                millis.map_or(Value::Null, Value::Date),
                Value::Int32(20_000),
            ],
        })
    }

    fn envelope(before: Value, after: Value, table: Option<&str>) -> Value {
        let schema = envelope_schema();
        let source = Value::Struct(Struct {
            schema: schema
                .field("source")
                .map(|(_, f)| f.schema.clone())
                .expect("source"),
            values: vec![
                Value::Int64(1_735_725_600_000),
                table.map_or(Value::Null, |t| Value::String(t.into())),
            ],
        });
        Value::Struct(Struct {
            schema,
            values: vec![before, after, source, Value::String("u".into())],
        })
    }

    fn converter(pairs: &[(&str, &str)]) -> TimezoneConverter {
        TimezoneConverter::new(&config(pairs)).expect("valid config")
    }

    fn record(value: Value, topic: &str) -> ConnectRecord {
        ConnectRecord {
            topic: topic.into(),
            ..value_record(Some(envelope_schema()), value)
        }
    }

    fn after_of(r: &ConnectRecord) -> Vec<Value> {
        match &r.value {
            Value::Struct(e) => match &e.values[1] {
                Value::Struct(a) => a.values.clone(),
                other => panic!("after {other:?}"),
            },
            other => panic!("value {other:?}"),
        }
    }

    #[test]
    fn converts_like_debezium() {
        let t = converter(&[(ZONE_KEY, "America/New_York")]);
        let value = envelope(
            Value::Null,
            row(
                Some(1_735_690_601_123_123),
                Some("2025-01-01T11:00:02.5+01:00"),
                Some(0),
            ),
            Some("t"),
        );
        let out = t
            .apply_record(record(value, "x"))
            .expect("ok")
            .expect("kept");
        let after = after_of(&out);
        assert_eq!(after[1], Value::Int64(1_735_708_601_123_123));
        assert_eq!(
            after[2],
            Value::String("2025-01-01T05:00:02.5-05:00".into())
        );
        assert_eq!(after[3], Value::Date(18_000_000));
        assert_eq!(after[4], Value::Int32(20_000));
        // A null ZonedTimestamp with a default takes the converted default (`Struct.get`).
        let defaulted = t
            .apply_record(record(
                envelope(Value::Null, row(None, None, None), None),
                "x",
            ))
            .expect("ok")
            .expect("kept");
        assert_eq!(
            after_of(&defaulted)[2],
            Value::String("2025-05-31T20:00:00-04:00".into())
        );
        assert_eq!(after_of(&defaulted)[1], Value::Null);
    }

    #[test]
    fn rules_pick_records_and_fields() {
        let base = || {
            envelope(
                Value::Null,
                row(Some(0), Some("2025-01-01T00:00:00Z"), Some(0)),
                Some("orders"),
            )
        };
        let paris = |pairs: &[(&str, &str)]| {
            let mut all = vec![(ZONE_KEY, "+01:00")];
            all.extend_from_slice(pairs);
            converter(&all)
        };
        let micros = |t: &TimezoneConverter, topic: &str| {
            after_of(
                &t.apply_record(record(base(), topic))
                    .expect("ok")
                    .expect("kept"),
            )[1]
            .clone()
        };
        let moved = Value::Int64(-3_600_000_000);
        let t = paris(&[(INCLUDE_KEY, "source:orders:created")]);
        assert_eq!(micros(&t, "x"), moved);
        let t = paris(&[(INCLUDE_KEY, "source:other")]);
        assert_eq!(micros(&t, "x"), Value::Int64(0));
        let t = paris(&[(EXCLUDE_KEY, "topic:x")]);
        assert_eq!(micros(&t, "x"), Value::Int64(0));
        assert_eq!(micros(&t, "y"), moved);
        let t = paris(&[(EXCLUDE_KEY, "orders:created")]);
        assert_eq!(micros(&t, "x"), Value::Int64(0));
        let t = paris(&[(INCLUDE_KEY, "topic:x:source.ts_ms")]);
        let out = t
            .apply_record(record(base(), "x"))
            .expect("ok")
            .expect("kept");
        let Value::Struct(e) = &out.value else {
            panic!()
        };
        let Value::Struct(source) = &e.values[2] else {
            panic!()
        };
        assert_eq!(
            source.values[0],
            Value::Int64(1_735_725_600_000 + 3_600_000)
        );
    }

    #[test]
    fn config_errors_use_debeziums_messages() {
        let e =
            TimezoneConverter::new(&config(&[(ZONE_KEY, "Mars/Olympus")])).expect_err("bad zone");
        assert_eq!(e.message, BAD_ZONE);
        assert!(TimezoneConverter::new(&config(&[])).is_err());
        let both = [
            (ZONE_KEY, "UTC"),
            (INCLUDE_KEY, "topic:a"),
            (EXCLUDE_KEY, "topic:b"),
        ];
        assert!(TimezoneConverter::new(&config(&both)).is_err());
        let bad_list = [(ZONE_KEY, "UTC"), (INCLUDE_KEY, "orders")];
        assert!(TimezoneConverter::new(&config(&bad_list))
            .unwrap_err()
            .message
            .starts_with("Invalid include list format"));
        let ok = [
            (ZONE_KEY, "UTC"),
            (INCLUDE_KEY, "source:orders:created, topic:x"),
        ];
        assert!(TimezoneConverter::new(&config(&ok)).is_ok());
    }

    fn arb_row() -> impl Strategy<Value = Value> {
        let zoned = prop_oneof![
            Just(None),
            Just(Some("2025-03-30T01:30:00Z")),
            Just(Some("2025-10-26T02:30:00.000001+02:00")),
            Just(Some("not a time")),
        ];
        (
            prop::option::of(-4_000_000_000_000_000i64..4_000_000_000_000_000),
            zoned,
            prop::option::of(-100_000_000_000_000i64..100_000_000_000_000),
        )
            .prop_map(|(m, z, d)| row(m, z, d))
    }

    fn arb_envelope() -> impl Strategy<Value = Value> {
        let state = prop_oneof![1 => Just(Value::Null), 3 => arb_row()];
        let table = prop_oneof![Just(None), Just(Some("orders")), Just(Some("t"))];
        prop_oneof![
            1 => Just(Value::Null),
            6 => (state.clone(), state, table).prop_map(|(b, a, t)| envelope(b, a, t)),
        ]
    }

    fn arb_config() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
        let zone = prop_oneof![
            Just("Europe/Paris"),
            Just("-03:00"),
            Just("UTC"),
            Just("PST")
        ];
        let rule = prop_oneof![
            Just(None),
            Just(Some((INCLUDE_KEY, "topic:t1:after.updated,orders:created"))),
            Just(Some((INCLUDE_KEY, "topic:orders:source.ts_ms"))),
            Just(Some((EXCLUDE_KEY, "t:seen"))),
            Just(Some((EXCLUDE_KEY, "topic:orders"))),
        ];
        (zone, rule).prop_map(|(z, r)| {
            let mut pairs = vec![(ZONE_KEY, z)];
            pairs.extend(r);
            pairs
        })
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(pairs in arb_config(), values in prop::collection::vec(arb_envelope(), 0..10)) {
            let n = values.len();
            check(&converter(&pairs), (None, vec![Value::Null; n]), (Some(envelope_schema()), values), false)?;
        }
    }
}
