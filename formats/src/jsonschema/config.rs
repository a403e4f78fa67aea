//! The settings of Confluent's JsonSchemaConverter: `JsonSchemaDataConfig` (the mapping) and the
//! serializer / deserializer settings, read from the converter's keys with Kafka's validation
//! messages.

use crate::error::ConnectError;
use crate::json::reference::DecimalFormat;
use crate::registry::serde_config::{bool_setting, SerdeConfig};

/// JsonSchemaData's settings: how JSON Schemas map to Connect schemas and back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonSchemaDataConfig {
    /// `use.optional.for.nonrequired` (default false): properties not in `required` are optional.
    pub use_optional_for_nonrequired: bool,
    /// `generalized.sum.type.support` (default false): unions as `connect_union_<n>`, enums with
    /// Connect's generalized parameters.
    pub generalized_sum_type_support: bool,
    /// `flatten.singleton.unions` (default true): a one-member combinator is its member.
    pub flatten_singleton_unions: bool,
    /// `ignore.modern.dialects` (default false): read 2019-09/2020-12 schemas as draft 7.
    pub ignore_modern_dialects: bool,
    /// `decimal.format` (default BASE64): how Decimal values and their schemas are written.
    pub decimal_format: DecimalFormat,
    /// `object.additional.properties` (default true): false adds `additionalProperties: false`.
    pub allow_additional_properties: bool,
    /// `ignore.default.for.nullables` (default false): a null optional value stays null.
    pub ignore_default_for_nullables: bool,
}

impl Default for JsonSchemaDataConfig {
    /// Confluent's defaults.
    fn default() -> JsonSchemaDataConfig {
        JsonSchemaDataConfig {
            use_optional_for_nonrequired: false,
            generalized_sum_type_support: false,
            flatten_singleton_unions: true,
            ignore_modern_dialects: false,
            decimal_format: DecimalFormat::Base64,
            allow_additional_properties: true,
            ignore_default_for_nullables: false,
        }
    }
}

/// The converter's settings (JsonSchemaConverterConfig and the serializer configs).
#[derive(Debug, Clone)]
pub struct JsonSchemaConverterConfig {
    /// The settings every registry converter shares.
    pub serde: SerdeConfig,
    /// `normalize.schemas` (default false): registered schemas have their keys sorted.
    pub normalize_schemas: bool,
    /// `json.fail.invalid.schema` (default false): payloads are validated against the schema.
    pub fail_invalid_schema: bool,
    /// `json.indent.output` (default false): payloads are pretty-printed.
    pub indent_output: bool,
    /// JsonSchemaData's settings.
    pub data: JsonSchemaDataConfig,
}

impl JsonSchemaConverterConfig {
    /// Reads and validates the settings; a missing `schema.registry.url` or a bad value is
    /// Kafka's ConfigException text.
    pub fn from_settings(
        settings: &dyn Fn(&str) -> Option<String>,
    ) -> Result<JsonSchemaConverterConfig, ConnectError> {
        let decimal_format = match settings("decimal.format") {
            None => DecimalFormat::Base64,
            Some(v) => match v.trim().to_ascii_uppercase().as_str() {
                "BASE64" => DecimalFormat::Base64,
                "NUMERIC" => DecimalFormat::Numeric,
                _ => {
                    return Err(ConnectError::config(format!(
                        "Invalid value {v} for configuration decimal.format: String must be one of (case insensitive): BASE64, NUMERIC"
                    )))
                }
            },
        };
        Ok(JsonSchemaConverterConfig {
            serde: SerdeConfig::from_settings(settings)?,
            normalize_schemas: bool_setting(settings, "normalize.schemas", false)?,
            fail_invalid_schema: bool_setting(settings, "json.fail.invalid.schema", false)?,
            indent_output: bool_setting(settings, "json.indent.output", false)?,
            data: JsonSchemaDataConfig {
                use_optional_for_nonrequired: bool_setting(
                    settings,
                    "use.optional.for.nonrequired",
                    false,
                )?,
                generalized_sum_type_support: bool_setting(
                    settings,
                    "generalized.sum.type.support",
                    false,
                )?,
                flatten_singleton_unions: bool_setting(settings, "flatten.singleton.unions", true)?,
                ignore_modern_dialects: bool_setting(settings, "ignore.modern.dialects", false)?,
                decimal_format,
                allow_additional_properties: bool_setting(
                    settings,
                    "object.additional.properties",
                    true,
                )?,
                ignore_default_for_nullables: bool_setting(
                    settings,
                    "ignore.default.for.nullables",
                    false,
                )?,
            },
        })
    }
}
