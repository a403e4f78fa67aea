//! Converters, transforms and predicates by Kafka class name. The built-in registry knows Kafka's own classes; an embedding
//! worker registers its own under any class name, and configs can then name them, as Kafka Connect
//! plugins are named.
//!
//! ```
//! use std::sync::Arc;
//! use weir_engine::registry::{Registry, Settings};
//! use weir_formats::json::JsonConverter;
//!
//! let mut registry = Registry::builtin();
//! // An alias for the JSON converter with schemas always off, as a plugin would ship it.
//! registry.register_converter("com.example.PlainJson", |settings: &Settings| {
//!     let converter = JsonConverter::from_settings(|key| match key {
//!         "schemas.enable" => Some("false".to_string()),
//!         other => settings.get(other).map(str::to_string),
//!     })?;
//!     Ok(Arc::new(converter))
//! });
//! let config = "key.converter=com.example.PlainJson\nvalue.converter=com.example.PlainJson\n";
//! let pipeline = weir_engine::Pipeline::from_properties_with(config, &registry).unwrap();
//! # let _ = pipeline;
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use weir_formats::avro::{AvroConverter, AVRO_CONVERTER_CLASS};
use weir_formats::converter::{Converter, HeaderConverter};
use weir_formats::converters::{
    BooleanConverter, ByteArrayConverter, DoubleConverter, FloatConverter, IntegerConverter,
    LongConverter, ShortConverter, StringConverter,
};
use weir_formats::error::ConnectError;
use weir_formats::header_converter::{SimpleHeaderConverter, SIMPLE_HEADER_CONVERTER_CLASS};
use weir_formats::json::{JsonConverter, JSON_CONVERTER_CLASS};
use weir_formats::jsonschema::{JsonSchemaConverter, JSON_SCHEMA_CONVERTER_CLASS};
use weir_formats::protobuf::{ProtobufConverter, PROTOBUF_CONVERTER_CLASS};
use weir_smt::{ConfigProblem, Predicate, Transform, TransformConfig};

/// A converter's own settings: the keys under its prefix, with the prefix removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    values: HashMap<String, String>,
}

impl Settings {
    /// Settings from `(key, value)` pairs.
    pub fn new(values: impl IntoIterator<Item = (String, String)>) -> Settings {
        Settings {
            values: values.into_iter().collect(),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// The value of `key`, owned (the shape converters' `from_settings` take).
    pub fn get_owned(&self, key: &str) -> Option<String> {
        self.values.get(key).cloned()
    }
}

/// Builds a `T` (a converter of some kind) from its settings.
pub type Factory<T> = Arc<dyn Fn(&Settings) -> Result<Arc<T>, ConnectError> + Send + Sync>;
/// Builds a key/value converter from its settings.
pub type ConverterFactory = Factory<dyn Converter>;
/// Builds a header converter from its settings.
pub type HeaderConverterFactory = Factory<dyn HeaderConverter>;

/// Builds a configured transform (`transforms.<alias>.*` settings, prefix removed).
pub type TransformFactory =
    Arc<dyn Fn(&TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> + Send + Sync>;
/// Builds a configured predicate (`predicates.<alias>.*` settings, prefix removed).
pub type PredicateFactory =
    Arc<dyn Fn(&TransformConfig) -> Result<Arc<dyn Predicate>, ConfigProblem> + Send + Sync>;

/// Converter, transform and predicate classes a pipeline config may name.
#[derive(Clone, Default)]
pub struct Registry {
    converters: HashMap<String, ConverterFactory>,
    header_converters: HashMap<String, HeaderConverterFactory>,
    transforms: HashMap<String, TransformFactory>,
    predicates: HashMap<String, PredicateFactory>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut converters: Vec<_> = self.converters.keys().collect();
        converters.sort();
        f.debug_struct("Registry")
            .field("converters", &converters)
            .finish()
    }
}

/// Kafka's check that a converter used for headers was told so (the runtime injects it).
fn require_header_type(settings: &Settings) -> Result<(), ConnectError> {
    match settings.get("converter.type") {
        Some(_) => Ok(()),
        None => Err(ConnectError::config(
            "Missing required configuration \"converter.type\" which has no default value.",
        )),
    }
}

impl Registry {
    /// Kafka's built-in converters and Confluent's AvroConverter, JsonSchemaConverter and ProtobufConverter: JsonConverter, StringConverter, ByteArrayConverter, the
    /// numeric and boolean converters, and SimpleHeaderConverter (JsonConverter and
    /// StringConverter also as header converters).
    pub fn builtin() -> Registry {
        let mut registry = Registry::default();
        registry.register_header_converter(SIMPLE_HEADER_CONVERTER_CLASS, |_: &Settings| {
            Ok(Arc::new(SimpleHeaderConverter))
        });
        registry.register_both(JSON_CONVERTER_CLASS, |s| {
            JsonConverter::from_settings(|k| s.get_owned(k))
        });
        registry.register_converter(AVRO_CONVERTER_CLASS, |s: &Settings| {
            Ok(Arc::new(AvroConverter::from_settings(|k| s.get_owned(k))?))
        });
        registry.register_converter(JSON_SCHEMA_CONVERTER_CLASS, |s: &Settings| {
            Ok(Arc::new(JsonSchemaConverter::from_settings(|k| {
                s.get_owned(k)
            })?))
        });
        registry.register_converter(PROTOBUF_CONVERTER_CLASS, |s: &Settings| {
            Ok(Arc::new(ProtobufConverter::from_settings(|k| {
                s.get_owned(k)
            })?))
        });
        registry.register_both(StringConverter::CLASS_NAME, |s| {
            StringConverter::from_settings(|k| s.get_owned(k))
        });
        registry.register_both(ByteArrayConverter::CLASS_NAME, |s| {
            ByteArrayConverter::from_settings(|k| s.get_owned(k))
        });
        registry.register_both(ShortConverter::CLASS_NAME, |s| {
            ShortConverter::from_settings(|k| s.get_owned(k))
        });
        registry.register_both(IntegerConverter::CLASS_NAME, |s| {
            IntegerConverter::from_settings(|k| s.get_owned(k))
        });
        registry.register_both(LongConverter::CLASS_NAME, |s| {
            LongConverter::from_settings(|k| s.get_owned(k))
        });
        registry.register_both(FloatConverter::CLASS_NAME, |s| {
            FloatConverter::from_settings(|k| s.get_owned(k))
        });
        registry.register_both(DoubleConverter::CLASS_NAME, |s| {
            DoubleConverter::from_settings(|k| s.get_owned(k))
        });
        registry.register_both(BooleanConverter::CLASS_NAME, |s| {
            BooleanConverter::from_settings(|k| s.get_owned(k))
        });
        for (class, factory) in weir_smt::builtin_transforms() {
            registry.register_transform(class, factory);
        }
        for (class, factory) in weir_smt::builtin_predicates() {
            registry.register_predicate(class, factory);
        }
        registry
    }

    /// Registers (or replaces) the transform called `class`.
    pub fn register_transform(
        &mut self,
        class: &str,
        factory: impl Fn(&TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem>
            + Send
            + Sync
            + 'static,
    ) {
        self.transforms.insert(class.to_string(), Arc::new(factory));
    }

    /// Registers (or replaces) the predicate called `class`.
    pub fn register_predicate(
        &mut self,
        class: &str,
        factory: impl Fn(&TransformConfig) -> Result<Arc<dyn Predicate>, ConfigProblem>
            + Send
            + Sync
            + 'static,
    ) {
        self.predicates.insert(class.to_string(), Arc::new(factory));
    }

    /// The transform factory for `class`.
    pub fn transform(&self, class: &str) -> Option<&TransformFactory> {
        self.transforms.get(class)
    }

    /// The predicate factory for `class`.
    pub fn predicate(&self, class: &str) -> Option<&PredicateFactory> {
        self.predicates.get(class)
    }

    /// Registers a Kafka class that is both a converter and a header converter; as a header
    /// converter it requires `converter.type`, which Kafka's runtime would inject.
    fn register_both<C, F>(&mut self, class: &str, make: F)
    where
        C: Converter + HeaderConverter + 'static,
        F: Fn(&Settings) -> Result<C, ConnectError> + Copy + Send + Sync + 'static,
    {
        self.register_converter(class, move |s: &Settings| Ok(Arc::new(make(s)?)));
        self.register_header_converter(class, move |s: &Settings| {
            require_header_type(s)?;
            Ok(Arc::new(make(s)?))
        });
    }

    /// Registers (or replaces) the key/value converter called `class`.
    pub fn register_converter(
        &mut self,
        class: &str,
        factory: impl Fn(&Settings) -> Result<Arc<dyn Converter>, ConnectError> + Send + Sync + 'static,
    ) {
        self.converters.insert(class.to_string(), Arc::new(factory));
    }

    /// Registers (or replaces) the header converter called `class`.
    pub fn register_header_converter(
        &mut self,
        class: &str,
        factory: impl Fn(&Settings) -> Result<Arc<dyn HeaderConverter>, ConnectError>
            + Send
            + Sync
            + 'static,
    ) {
        self.header_converters
            .insert(class.to_string(), Arc::new(factory));
    }

    /// The key/value converter factory for `class`.
    pub fn converter(&self, class: &str) -> Option<&ConverterFactory> {
        self.converters.get(class)
    }

    /// The header converter factory for `class`.
    pub fn header_converter(&self, class: &str) -> Option<&HeaderConverterFactory> {
        self.header_converters.get(class)
    }
}
