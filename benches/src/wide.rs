//! Wide records: one JSON object of many fields, schemaless or in a JsonConverter envelope with a
//! STRUCT schema, for checking that cost per field stays flat as records widen (the 1,000 /
//! 16,000 / 100,000-field axis of the `wide_records` bench and of `smtbench gen-wide`).

use std::io::{self, Write};

use clap::Args;
use weir_engine::{RawBatch, RawBatchBuilder};

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
    /// Instead of records, write the connector config that reads them through the transform of
    /// this name (see [`field_list_transforms`]: `decode_encode`, `replace_field_include`, …).
    #[arg(long, value_name = "NAME")]
    pub config_for: Option<String>,
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

/// The transforms that take a field list, each as (name, the transform lines with alias `t`)
/// for records of `width` fields: each list names half the record's fields, so the list grows
/// with the record. `decode_encode` is a transform without a list (the converters' own cost).
/// Cost: O(width) text.
pub fn field_list_transforms(width: usize) -> Vec<(&'static str, String)> {
    let half: Vec<String> = (0..width).step_by(2).map(field_name).collect();
    let list = half.join(",");
    let renames: Vec<String> = half.iter().map(|f| format!("{f}:r_{f}")).collect();
    let casts: Vec<String> = half.iter().map(|f| format!("{f}:string")).collect();
    let headers: Vec<String> = half.iter().map(|f| format!("h_{f}")).collect();
    let t = "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.";
    vec![
        ("decode_encode", format!("{t}InsertField$Value\ntransforms.t.static.field=x\ntransforms.t.static.value=y\n")),
        ("replace_field_include", format!("{t}ReplaceField$Value\ntransforms.t.include={list}\n")),
        ("replace_field_exclude", format!("{t}ReplaceField$Value\ntransforms.t.exclude={list}\n")),
        ("replace_field_renames", format!("{t}ReplaceField$Value\ntransforms.t.renames={}\n", renames.join(","))),
        ("mask_field", format!("{t}MaskField$Value\ntransforms.t.fields={list}\n")),
        ("value_to_key", format!("{t}ValueToKey\ntransforms.t.fields={list}\n")),
        ("header_from", format!("{t}HeaderFrom$Value\ntransforms.t.fields={list}\ntransforms.t.headers={}\ntransforms.t.operation=copy\n", headers.join(","))),
        ("cast", format!("{t}Cast$Value\ntransforms.t.spec={}\n", casts.join(","))),
        ("flatten", format!("{t}Flatten$Value\n")),
    ]
}

/// A connector config reading wide values with JsonConverter (`schemas.enable` = `schema`),
/// followed by `transform_lines`.
pub fn wide_config(schema: bool, transform_lines: &str) -> String {
    format!(
        "key.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.schemas.enable={schema}\n{transform_lines}"
    )
}

/// A batch of one wide record of `width` fields (see [`wide_value`]). Cost: O(width).
pub fn wide_batch(width: usize, schema: bool) -> RawBatch {
    let value = wide_value(width, schema);
    let mut builder = RawBatchBuilder::new();
    builder.push_parts("wide", 0, 0, Some(1), None, Some(value.as_bytes()), []);
    builder.finish()
}

/// Writes `args.records` interchange lines, each holding one wide record, to `out`; with
/// `args.config_for`, the config for those records instead.
pub fn gen_wide(args: &GenWideArgs, out: &mut impl Write) -> io::Result<()> {
    if let Some(name) = &args.config_for {
        let lines = field_list_transforms(args.fields)
            .into_iter()
            .find(|(n, _)| *n == name.as_str())
            .map(|(_, lines)| lines)
            .ok_or_else(|| {
                let names: Vec<&str> = field_list_transforms(0).iter().map(|(n, _)| *n).collect();
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("unknown transform {name}; one of {}", names.join(", ")),
                )
            })?;
        return out.write_all(wide_config(args.schema, &lines).as_bytes());
    }
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

    #[test]
    fn config_for_writes_the_named_transforms_config_or_lists_the_names() {
        let mut args = GenWideArgs {
            fields: 4,
            records: 1,
            schema: false,
            config_for: Some("mask_field".into()),
        };
        let mut out = Vec::new();
        gen_wide(&args, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("value.converter.schemas.enable=false\n"),
            "{text}"
        );
        assert!(text.ends_with("transforms.t.fields=f0,f2\n"), "{text}");
        args.config_for = Some("nope".into());
        let error = gen_wide(&args, &mut Vec::new()).unwrap_err();
        assert!(
            error.to_string().contains("one of decode_encode,"),
            "{error}"
        );
    }
}
