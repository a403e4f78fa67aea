//! Wide records: one JSON object of many fields, schemaless or in a JsonConverter envelope with a
//! STRUCT schema, for checking that cost per field stays flat as records widen (the 1,000 /
//! 16,000 / 100,000-field axis of the `wide_records` bench and of `smtbench gen-wide`).

use std::io::{self, Write};

use clap::Args;

/// `smtbench gen-wide`: writes interchange lines holding wide records to stdout.
#[derive(Debug, Clone, Args)]
pub struct GenWideArgs {
    /// Fields per record.
    #[arg(long, default_value_t = 100_000)]
    pub fields: usize,
    /// Records to write.
    #[arg(long, default_value_t = 1)]
    pub records: usize,
    /// Write JsonConverter envelopes (`{"schema":STRUCT,"payload":…}`) instead of plain objects.
    #[arg(long)]
    pub schema: bool,
}

/// The name of field `i`: `f0`, `f1`, ….
pub fn field_name(i: usize) -> String {
    format!("f{i}")
}

/// The value of one wide record: `{"f0":0,"f1":1,…}`, or with `schema` the same payload in an
/// envelope whose STRUCT schema has one required int64 field per key. Cost: O(fields).
pub fn wide_value(fields: usize, schema: bool) -> String {
    let mut payload = String::with_capacity(fields * 12);
    payload.push('{');
    for i in 0..fields {
        if i > 0 {
            payload.push(',');
        }
        payload.push_str(&format!("\"{}\":{i}", field_name(i)));
    }
    payload.push('}');
    if !schema {
        return payload;
    }
    let mut text = String::with_capacity(fields * 60 + payload.len());
    text.push_str("{\"schema\":{\"type\":\"struct\",\"fields\":[");
    for i in 0..fields {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            "{{\"type\":\"int64\",\"optional\":false,\"field\":\"{}\"}}",
            field_name(i)
        ));
    }
    text.push_str("],\"optional\":false},\"payload\":");
    text.push_str(&payload);
    text.push('}');
    text
}

/// Writes `args.records` interchange lines, each holding one wide record, to `out`.
pub fn gen_wide(args: &GenWideArgs, out: &mut impl Write) -> io::Result<()> {
    let value = serde_json::Value::String(wide_value(args.fields, args.schema));
    for offset in 0..args.records {
        let line = serde_json::json!({
            "topic": "wide",
            "partition": 0,
            "offset": offset,
            "timestamp": 1_700_000_000_000i64,
            "key": null,
            "value": value,
            "headers": [],
        });
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_values_are_json_with_the_fields_asked_for() {
        let plain: serde_json::Value = serde_json::from_str(&wide_value(3, false)).unwrap();
        assert_eq!(plain, serde_json::json!({"f0": 0, "f1": 1, "f2": 2}));
        let envelope: serde_json::Value = serde_json::from_str(&wide_value(2, true)).unwrap();
        assert_eq!(envelope["payload"], serde_json::json!({"f0": 0, "f1": 1}));
        assert_eq!(envelope["schema"]["fields"].as_array().unwrap().len(), 2);
    }
}
