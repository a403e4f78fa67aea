//! `io.debezium.transforms.outbox.EventRouter`: the outbox event router for relational outbox
//! tables (`table.*` keys). The behaviour is the shared [`OutboxRouter`]'s.

use std::sync::Arc;

use weir_formats::error::ConnectError;

use super::outbox_router::{OutboxKeys, OutboxRouter, OutboxSettings};
use crate::config::{ConfigProblem, TransformConfig};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};

/// The SQL router's keys and defaults.
pub const TABLE_KEYS: OutboxKeys = OutboxKeys {
    event_id: ("table.field.event.id", "id"),
    event_key: "table.field.event.key",
    event_timestamp: "table.field.event.timestamp",
    payload: "table.field.event.payload",
    placement: "table.fields.additional.placement",
    missing: "table.field.additional.missing",
    schema_version: "table.field.event.schema.version",
    invalid_behavior: "table.op.invalid.behavior",
    expand_json: Some("table.expand.json.payload"),
    json_null_behavior: Some("table.json.payload.null.behavior"),
};

/// The configured transform.
#[derive(Debug)]
pub struct EventRouter {
    router: OutboxRouter,
}

/// Builds `EventRouter` from its `table.*` and `route.*` keys.
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    let settings = OutboxSettings::from_config(config, &TABLE_KEYS)?;
    Ok(Arc::new(EventRouter {
        router: OutboxRouter::new(config, settings, None)?,
    }))
}

impl Transform for EventRouter {
    /// The shared router's kernel: columnar for plain outbox events.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        self.router.apply(input)
    }

    fn apply_record(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        self.router.apply_record(record)
    }
}
