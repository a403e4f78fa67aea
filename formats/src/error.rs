//! Errors a user can act on: Kafka's exception class and message, plus where it happened.

use std::fmt;

/// The Kafka exception class an error corresponds to; it prefixes the message as Kafka's would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// `org.apache.kafka.connect.errors.DataException`: bad data in one record.
    Data,
    /// `org.apache.kafka.common.config.ConfigException`: a bad configuration.
    Config,
}

impl ErrorClass {
    /// The simple class name, as the conformance cases print it.
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Data => "DataException",
            ErrorClass::Config => "ConfigException",
        }
    }
}

/// An error converting or transforming data, or configuring a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectError {
    /// Kafka's exception class.
    pub class: ErrorClass,
    /// Kafka's message text.
    pub message: String,
    /// The field path inside the key or value where it happened (`addr.zip`, `tags[2]`), if known.
    pub path: Option<String>,
}

impl ConnectError {
    /// A `DataException` with `message`.
    pub fn data(message: impl Into<String>) -> ConnectError {
        ConnectError {
            class: ErrorClass::Data,
            message: message.into(),
            path: None,
        }
    }

    /// A `ConfigException` with `message`.
    pub fn config(message: impl Into<String>) -> ConnectError {
        ConnectError {
            class: ErrorClass::Config,
            message: message.into(),
            path: None,
        }
    }

    /// This error, located at `segment` inside the path it already has (callers add segments
    /// from the innermost outwards).
    pub fn at(mut self, segment: &str) -> ConnectError {
        self.path = Some(match self.path.take() {
            None => segment.to_string(),
            Some(inner) if inner.starts_with('[') => format!("{segment}{inner}"),
            Some(inner) => format!("{segment}.{inner}"),
        });
        self
    }

    /// `Class: message`, as Kafka's exception `toString` (and the conformance cases) print it.
    pub fn kafka_text(&self) -> String {
        format!("{}: {}", self.class.name(), self.message)
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class.name(), self.message)?;
        if let Some(path) = &self.path {
            write!(f, " (at field `{path}`)")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConnectError {}

/// The result of a conversion or transform step.
pub type Result<T, E = ConnectError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_nest_from_the_inside_out() {
        let e = ConnectError::data("bad").at("[2]").at("tags").at("order");
        assert_eq!(e.path.as_deref(), Some("order.tags[2]"));
        assert_eq!(
            e.to_string(),
            "DataException: bad (at field `order.tags[2]`)"
        );
        assert_eq!(e.kafka_text(), "DataException: bad");
    }
}
