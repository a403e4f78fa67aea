//! Kafka `Values` parsing/printing (in progress).
