//! Small records (`smtbench run --small`): one five-field order line per record, a null key and
//! no headers — the record size of the JVM's figures for Confluent's Protobuf and JSON Schema
//! converters in `../shared/bench/README.md` (about 37-byte Protobuf frames and 96-byte JSON
//! Schema frames), where the script's 313-byte orders measure something else.
//!
//! The payload `{"order_id":100042,"customer_id":"c-398618","amount":326.02,"status":"NEW",
//! "paid":false}` is a pure function of the record index, so every run holds the same records.

use std::fmt::Write as _;

use weir_engine::RawBatchBuilder;

/// The JsonConverter schema of the small values: a STRUCT of five required fields.
const SMALL_VALUE_SCHEMA_JSON: &str = concat!(
    r#"{"type":"struct","optional":false,"name":"com.example.OrderLine","fields":["#,
    r#"{"type":"int64","optional":false,"field":"order_id"},"#,
    r#"{"type":"string","optional":false,"field":"customer_id"},"#,
    r#"{"type":"double","optional":false,"field":"amount"},"#,
    r#"{"type":"string","optional":false,"field":"status"},"#,
    r#"{"type":"boolean","optional":false,"field":"paid"}]}"#,
);

/// The order line statuses, taken in turn.
const STATUSES: [&str; 3] = ["NEW", "PAID", "SHIPPED"];

/// One small record: its index and its value text.
///
/// Owns a string of about 100 bytes (plain) or 450 bytes (in an envelope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmallRecord {
    index: usize,
    value: String,
}

impl SmallRecord {
    /// Appends the record to `builder`: topic `shop.orders`, partition index modulo 6, offset
    /// 1000 plus the index, a timestamp 1537 ms after the previous record's, a null key, the
    /// value's UTF-8 text, no headers.
    pub fn push_to(&self, builder: &mut RawBatchBuilder) {
        let index = self.index as i64;
        builder.push_parts(
            "shop.orders",
            (self.index % 6) as i32,
            1000_i64.wrapping_add(index),
            Some(1_700_000_000_000_i64.wrapping_add(index.wrapping_mul(1537))),
            None,
            Some(self.value.as_bytes()),
            [],
        );
    }
}

/// The small records of indices `0..records`, values as JsonConverter envelopes when `schema`,
/// else as plain JSON objects. Each costs one formatted string.
pub fn small_records(records: usize, schema: bool) -> impl Iterator<Item = SmallRecord> {
    (0..records).map(move |index| SmallRecord {
        index,
        value: small_value(index, schema),
    })
}

/// The value of small record `index`: the order line as a JSON object, or with `schema` in an
/// envelope with [`SMALL_VALUE_SCHEMA_JSON`].
fn small_value(index: usize, schema: bool) -> String {
    let status = STATUSES[index % STATUSES.len()];
    let cents = (index as u64).wrapping_mul(7919) % 99_999 + 1;
    let mut payload = String::with_capacity(96);
    let _ = write!(
        payload,
        r#"{{"order_id":{},"customer_id":"c-{:06}","amount":{}.{:02},"status":"{status}","paid":{}}}"#,
        100_000_u64.wrapping_add(index as u64),
        (index as u64).wrapping_mul(104_729) % 1_000_000,
        cents / 100,
        cents % 100,
        status != "NEW",
    );
    if schema {
        format!(r#"{{"schema":{SMALL_VALUE_SCHEMA_JSON},"payload":{payload}}}"#)
    } else {
        payload
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_value_is_an_order_line_of_five_fields() {
        assert_eq!(
            small_value(1, false),
            r#"{"order_id":100001,"customer_id":"c-104729","amount":79.20,"status":"PAID","paid":true}"#
        );
        assert_eq!(
            small_value(42, false),
            r#"{"order_id":100042,"customer_id":"c-398618","amount":326.02,"status":"NEW","paid":false}"#
        );
    }

    #[test]
    fn an_envelope_holds_the_plain_value_as_its_payload() {
        for index in [0, 2, 99_998, 1_000_003] {
            let envelope: serde_json::Value =
                serde_json::from_str(&small_value(index, true)).unwrap();
            let plain: serde_json::Value =
                serde_json::from_str(&small_value(index, false)).unwrap();
            assert_eq!(envelope["payload"], plain);
            assert_eq!(envelope["schema"]["fields"].as_array().unwrap().len(), 5);
        }
    }

    #[test]
    fn plain_values_are_about_ninety_bytes() {
        let records = 1000;
        let bytes: usize = small_records(records, false).map(|r| r.value.len()).sum();
        let mean = bytes / records;
        assert!((85..=95).contains(&mean), "{mean} bytes on average");
    }
}
