//! Entry points shared by the cargo-fuzz targets of the transform families (`fuzz/`) and the
//! property tests that run the same checks in `cargo test`: structural SMTs, Cast,
//! TimestampConverter and header conversion.
//!
//! Each body reads the fuzz bytes as a config choice and records (see [`FuzzBatch`]), runs
//! [`Pipeline::process`] with `errors.tolerance=all` and checks the invariants: no panic; every
//! input record comes out exactly once as an output record, a dead letter or a drop; every dead
//! letter's error names its topic, partition and offset; and [`verify`] finds no row where the
//! kernels and the row-wise references disagree.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};
use weir_formats::fuzzing::split_records;
use weir_formats::raw::{RawBatch, RawBatchBuilder};

use crate::pipeline::Pipeline;
use crate::verify::verify;

/// The transforms of the structural family (one chain each; the converters are added by
/// [`pipeline_text`]). Field names match the records [`FuzzBatch`] generates.
pub const STRUCTURAL_CONFIGS: &[&str] = &[
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Flatten$Value\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Flatten$Value\ntransforms.t.delimiter=_\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.ReplaceField$Value\ntransforms.t.exclude=email,score,nosuch\ntransforms.t.renames=name:full_name,id:user_id\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.ReplaceField$Value\ntransforms.t.include=id,name,addr\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.HoistField$Value\ntransforms.t.field=wrapped\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.HoistField$Key\ntransforms.t.field=k\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.ExtractField$Value\ntransforms.t.field=addr\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.ExtractField$Value\ntransforms.t.field=addr.city\ntransforms.t.field.syntax.version=V2\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.ExtractField$Value\ntransforms.t.field=email\ntransforms.t.replace.null.with.default=false\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.ValueToKey\ntransforms.t.fields=id,name\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.InsertField$Value\ntransforms.t.topic.field=t\ntransforms.t.offset.field=o\ntransforms.t.partition.field=p\ntransforms.t.timestamp.field=ts_ins\ntransforms.t.static.field=s\ntransforms.t.static.value=v\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.InsertField$Value\ntransforms.t.topic.field=t!\ntransforms.t.offset.field=o?\ntransforms.t.static.field=name\ntransforms.t.static.value=overwritten\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.MaskField$Value\ntransforms.t.fields=name,age,score,active,tags,addr,ts\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.MaskField$Value\ntransforms.t.fields=name,age\ntransforms.t.replacement=0\n",
    "transforms=f,r\ntransforms.f.type=org.apache.kafka.connect.transforms.Flatten$Value\ntransforms.r.type=org.apache.kafka.connect.transforms.ReplaceField$Value\ntransforms.r.exclude=addr.zip\n",
];

/// The Cast configs, whole-value and per field, every target type.
pub const CAST_CONFIGS: &[&str] = &[
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Cast$Value\ntransforms.t.spec=active:int32\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Cast$Value\ntransforms.t.spec=age:INT64,active:Int8\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Cast$Value\ntransforms.t.spec=age:boolean,score:boolean,small:boolean\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Cast$Value\ntransforms.t.spec=created:string,day:string,price:string\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Cast$Value\ntransforms.t.spec=id:float32,age:float64,small:float64\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Cast$Value\ntransforms.t.spec=id:int8,score:int32,age:int16,small:int64\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Cast$Value\ntransforms.t.spec=id:string,age:string,score:string,active:string,small:string\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Cast$Value\ntransforms.t.spec=name:int32,date_str:float64\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Cast$Value\ntransforms.t.spec=addr:string\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Cast$Value\ntransforms.t.spec=int64\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Cast$Key\ntransforms.t.spec=string\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.Cast$Key\ntransforms.t.spec=int32\n",
];

/// The TimestampConverter configs: every target type, formats, unix precisions, nested fields.
pub const TIMESTAMP_CONVERTER_CONFIGS: &[&str] = &[
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\ntransforms.t.field=ts\ntransforms.t.target.type=string\ntransforms.t.format=yyyy-MM-dd HH:mm:ss\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\ntransforms.t.field=ts\ntransforms.t.target.type=Timestamp\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\ntransforms.t.field=created\ntransforms.t.target.type=Date\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\ntransforms.t.field=created\ntransforms.t.target.type=Time\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\ntransforms.t.field=created\ntransforms.t.target.type=unix\ntransforms.t.unix.precision=microseconds\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\ntransforms.t.field=day\ntransforms.t.target.type=unix\ntransforms.t.unix.precision=nanoseconds\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\ntransforms.t.field=date_str\ntransforms.t.target.type=Timestamp\ntransforms.t.format=yyyy-MM-dd\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\ntransforms.t.field=ts\ntransforms.t.target.type=string\ntransforms.t.format=EEE, d MMM yyyy HH:mm:ss Z\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\ntransforms.t.field=name\ntransforms.t.target.type=Timestamp\ntransforms.t.format=yyyy\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\ntransforms.t.field=addr.zip\ntransforms.t.field.syntax.version=V2\ntransforms.t.target.type=unix\ntransforms.t.format=yyyy-MM-dd\n",
];

/// The header configs: SimpleHeaderConverter alone (parse and write back), HeaderFrom (copy and
/// move), InsertHeader and DropHeaders, alone and chained.
pub const HEADER_CONFIGS: &[&str] = &[
    "transforms=\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.HeaderFrom$Value\ntransforms.t.fields=id,name,addr\ntransforms.t.headers=h_id,h_name,h_addr\ntransforms.t.operation=copy\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.HeaderFrom$Value\ntransforms.t.fields=id,tags\ntransforms.t.headers=h_id,h_tags\ntransforms.t.operation=move\n",
    "transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.HeaderFrom$Key\ntransforms.t.fields=id\ntransforms.t.headers=n\ntransforms.t.operation=copy\n",
    "transforms=ih\ntransforms.ih.type=org.apache.kafka.connect.transforms.InsertHeader\ntransforms.ih.header=added\ntransforms.ih.value.literal=[1,2]\n",
    "transforms=ih\ntransforms.ih.type=org.apache.kafka.connect.transforms.InsertHeader\ntransforms.ih.header=flag\ntransforms.ih.value.literal=true\n",
    "transforms=dh\ntransforms.dh.type=org.apache.kafka.connect.transforms.DropHeaders\ntransforms.dh.headers=source,n,flag,arr\n",
    "transforms=hf,dh\ntransforms.hf.type=org.apache.kafka.connect.transforms.HeaderFrom$Value\ntransforms.hf.fields=id\ntransforms.hf.headers=n\ntransforms.hf.operation=copy\ntransforms.dh.type=org.apache.kafka.connect.transforms.DropHeaders\ntransforms.dh.headers=source\n",
];

/// The headers a fuzz record may carry (bit `i` of its header byte picks entry `i`): text the
/// SimpleHeaderConverter parses as a string, an integer, a boolean, a list, a map, broken
/// structure, and null.
pub const FUZZ_HEADERS: &[(&str, Option<&str>)] = &[
    ("source", Some("db")),
    ("n", Some("42")),
    ("flag", Some("true")),
    ("arr", Some("[1,2]")),
    ("m", Some("{\"a\":1}")),
    ("bad", Some("[1,")),
    ("big", Some("123456789012345678901234567890")),
    ("none", None),
];

/// The properties text of one fuzz pipeline: StringConverter keys, JsonConverter values (with or
/// without schemas), SimpleHeaderConverter headers, `errors.tolerance=all`, then `transforms`.
pub fn pipeline_text(transforms: &str, schemas_enable: bool) -> String {
    format!(
        "key.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.schemas.enable={schemas_enable}\n\
         header.converter=org.apache.kafka.connect.storage.SimpleHeaderConverter\n\
         errors.tolerance=all\n{transforms}"
    )
}

/// Every pipeline of a family, compiled once per process: entry `2 * i + s` is config `i` with
/// `value.converter.schemas.enable` = `s == 1`. Panics if a config does not compile (a config
/// list mistake, caught by the first test run).
fn compiled(cache: &'static OnceLock<Vec<Pipeline>>, configs: &[&str]) -> &'static [Pipeline] {
    cache.get_or_init(|| {
        configs
            .iter()
            .flat_map(|c| [false, true].map(|s| pipeline_text(c, s)))
            .map(|text| {
                Pipeline::from_properties(&text)
                    .unwrap_or_else(|e| panic!("fuzz config does not compile: {e}\n{text}"))
            })
            .collect()
    })
}

/// A fuzz input read as a pipeline choice and a batch of records.
///
/// Layout: byte 0 picks the config (`byte % (2 * configs)`: config `byte / 2`, schemas enabled
/// when odd); the rest splits into records as the decoder targets split theirs
/// ([`split_records`]: at `0xFF`, never in UTF-8 JSON). A record's first byte is its kind
/// (`% 3`: 0 the remaining bytes are the value as is, 1 a record generated from them, see
/// [`generated_value`], 2 a tombstone); its second byte picks its headers (bit `i`: entry `i` of
/// [`FUZZ_HEADERS`]), and bit 6 also leaves the timestamp out, bit 7 makes the key null.
#[derive(Debug, Clone)]
pub struct FuzzBatch {
    /// Which pipeline of the family's list: config `pipeline / 2`, schemas when odd.
    pub pipeline: usize,
    /// The records, offsets 0, 1, … on topic `t`, partition 0.
    pub raw: RawBatch,
}

impl FuzzBatch {
    /// Reads `data` against a family of `pipelines` pipelines. Cost: linear in `data`.
    pub fn read(data: &[u8], pipelines: usize) -> FuzzBatch {
        let choice = data.first().map_or(0, |&b| b as usize);
        let schemas = choice % 2 == 1;
        let mut builder = RawBatchBuilder::new();
        let Some(rest) = data.get(1..) else {
            return FuzzBatch {
                pipeline: choice % pipelines,
                raw: builder.finish(),
            };
        };
        for (offset, chunk) in split_records(rest).enumerate() {
            let kind = chunk.first().copied().unwrap_or(0) % 3;
            let bits = chunk.get(1).copied().unwrap_or(0);
            let payload = chunk.get(2..).unwrap_or(&[]);
            let generated;
            let value = match kind {
                0 => Some(payload),
                1 => {
                    generated = generated_value(payload, schemas).to_string();
                    Some(generated.as_bytes())
                }
                _ => None,
            };
            let key = format!("k{offset}");
            let key = (bits & 0x80 == 0).then_some(key.as_bytes());
            let headers = FUZZ_HEADERS
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, (name, value))| (*name, value.map(str::as_bytes)));
            let timestamp = (bits & 0x40 == 0).then_some(1_700_000_000_000 + offset as i64);
            builder.push_parts("t", 0, offset as i64, timestamp, key, value, headers);
        }
        FuzzBatch {
            pipeline: choice % pipelines,
            raw: builder.finish(),
        }
    }
}

/// Integers a generated field may hold (picked by a fuzz byte).
const INTEGERS: &[i64] = &[
    0,
    1,
    -1,
    42,
    127,
    128,
    -129,
    32_768,
    2_147_483_648,
    1_700_000_000_000,
    -62_135_596_800_000,
    253_402_300_800_000,
    i64::MAX,
    i64::MIN,
];

/// Strings a generated field may hold.
const STRINGS: &[&str] = &[
    "",
    "alice",
    "42",
    "-7.5",
    "true",
    "2024-01-02",
    "1970-01-01",
    "2024",
    "x.y",
    "ü\u{0}\"\\",
];

/// A generated record's value: the fields the family configs name (`id`, `name`, `email`, `age`,
/// `score`, `active`, `small`, `ts`, `created`, `day`, `price`, `date_str`, `tags`, `addr`), one
/// fuzz byte each (absent, null, a typical value, a value of another type, an edge value), as a
/// schemaless object or, with `schemas`, a JsonConverter envelope whose schema matches. Cost:
/// a small JSON tree.
pub fn generated_value(bytes: &[u8], schemas: bool) -> Value {
    let mut next = bytes.iter().copied().chain(std::iter::repeat(2));
    let mut fields = Vec::new();
    let mut payload = Map::new();
    let mut field = |name: &str, byte: u8, typical: (Value, Value)| {
        let pick = byte as usize >> 3;
        let (schema, value) = match byte % 8 {
            0 => return,
            1 => (typical.0, Value::Null),
            6 => (
                json!({"type": "string"}),
                json!(STRINGS[pick % STRINGS.len()]),
            ),
            7 => (
                json!({"type": "int64"}),
                json!(INTEGERS[pick % INTEGERS.len()]),
            ),
            _ => typical,
        };
        let mut schema = schema;
        if let Value::Object(s) = &mut schema {
            s.insert("optional".into(), json!(byte % 8 == 1 || pick % 2 == 1));
            s.insert("field".into(), json!(name));
        }
        fields.push(schema);
        payload.insert(name.into(), value);
    };
    let int = |b: u8| INTEGERS[b as usize % INTEGERS.len()];
    let text = |b: u8| STRINGS[b as usize % STRINGS.len()];
    let logical = |ty: &str, name: &str| json!({"type": ty, "name": name, "version": 1});
    for name in ["id", "ts"] {
        let b = next.next().unwrap_or(0);
        field(name, b, (json!({"type": "int64"}), json!(int(b >> 3))));
    }
    for name in ["name", "email", "date_str"] {
        let b = next.next().unwrap_or(0);
        field(name, b, (json!({"type": "string"}), json!(text(b >> 3))));
    }
    let b = next.next().unwrap_or(0);
    field(
        "age",
        b,
        (json!({"type": "int32"}), json!(int(b >> 3) as i32)),
    );
    let b = next.next().unwrap_or(0);
    field(
        "small",
        b,
        (json!({"type": "int8"}), json!(int(b >> 3) as i8)),
    );
    let b = next.next().unwrap_or(0);
    let score = [0.0, -1.5, 1e300, 2.5e-8, 3.0][(b >> 3) as usize % 5];
    field("score", b, (json!({"type": "double"}), json!(score)));
    let b = next.next().unwrap_or(0);
    field("active", b, (json!({"type": "boolean"}), json!(b & 8 != 0)));
    let b = next.next().unwrap_or(0);
    let timestamp = logical("int64", "org.apache.kafka.connect.data.Timestamp");
    field("created", b, (timestamp, json!(int(b >> 3))));
    let b = next.next().unwrap_or(0);
    let date = logical("int32", "org.apache.kafka.connect.data.Date");
    field("day", b, (date, json!((b as i32 >> 3) * 7_000 - 20_000)));
    let b = next.next().unwrap_or(0);
    let mut decimal = logical("bytes", "org.apache.kafka.connect.data.Decimal");
    decimal["parameters"] = json!({"scale": "2"});
    field(
        "price",
        b,
        (
            decimal,
            json!(["AA==", "MDk=", "/w==", ""][b as usize >> 3 & 3]),
        ),
    );
    let b = next.next().unwrap_or(0);
    let tags = json!({"type": "array", "items": {"type": "string", "optional": true}});
    field("tags", b, (tags, json!([text(b >> 3), Value::Null])));
    let b = next.next().unwrap_or(0);
    let addr = json!({"type": "struct", "name": "com.example.Address", "fields": [
        {"type": "string", "optional": false, "field": "city"},
        {"type": "string", "optional": true, "field": "zip"}]});
    let zip = (b & 8 != 0).then(|| text(b >> 4));
    field("addr", b, (addr, json!({"city": text(b >> 3), "zip": zip})));
    if !schemas {
        return Value::Object(payload);
    }
    json!({"schema": {"type": "struct", "fields": fields, "optional": false}, "payload": payload})
}

/// Runs one fuzz input through the family's pipelines and checks the invariants (module doc).
/// Panics on a violation. Cost: a pipeline run and a verify run over a handful of records.
fn check_family(data: &[u8], pipelines: &[Pipeline]) {
    let input = FuzzBatch::read(data, pipelines.len());
    let pipeline = &pipelines[input.pipeline];
    let raw = &input.raw;
    let output = match pipeline.process(raw) {
        Ok(output) => output,
        Err(e) => panic!("errors.tolerance=all returned an error: {e}"),
    };
    assert_eq!(
        output.records.len() + output.dead_letters.len() + output.dropped,
        raw.len(),
        "records lost or duplicated"
    );
    assert_eq!(output.errors.len(), output.dead_letters.len());
    let mut seen = vec![false; raw.len()];
    let offsets = (0..output.records.len())
        .map(|r| output.records.offset(r))
        .chain((0..output.dead_letters.len()).map(|r| output.dead_letters.offset(r)));
    for offset in offsets {
        let slot = usize::try_from(offset)
            .ok()
            .and_then(|o| seen.get_mut(o))
            .unwrap_or_else(|| panic!("offset {offset} not from the input"));
        assert!(!*slot, "offset {offset} came out twice");
        *slot = true;
    }
    for (row, error) in output.errors.iter().enumerate() {
        let offset = output.dead_letters.offset(row);
        assert_eq!(
            error.offset, offset,
            "dead letter {row} names another offset"
        );
        assert_eq!(error.topic, raw.topic(offset as usize));
        assert_eq!(Some(error.partition), raw.partition(offset as usize));
        let text = error.to_string();
        assert!(
            text.contains(&format!("{}/{}/{}", error.topic, error.partition, offset)),
            "dead letter error does not name its record: {text}"
        );
    }
    let differences = verify(pipeline, raw);
    assert!(
        differences.is_empty(),
        "kernels and references differ: {differences:?}"
    );
}

/// The structural SMTs (Flatten, ReplaceField, HoistField, ExtractField, ValueToKey,
/// InsertField, MaskField) over fuzzed records: no panic, every record accounted for, dead
/// letters naming their records, kernels equal to the references. Panics otherwise.
pub fn structural_transforms(data: &[u8]) {
    static PIPELINES: OnceLock<Vec<Pipeline>> = OnceLock::new();
    check_family(data, compiled(&PIPELINES, STRUCTURAL_CONFIGS));
}

/// Cast (key and value, whole and per field) over fuzzed records; checks as
/// [`structural_transforms`].
pub fn cast(data: &[u8]) {
    static PIPELINES: OnceLock<Vec<Pipeline>> = OnceLock::new();
    check_family(data, compiled(&PIPELINES, CAST_CONFIGS));
}

/// TimestampConverter over fuzzed records; checks as [`structural_transforms`].
pub fn timestamp_converter(data: &[u8]) {
    static PIPELINES: OnceLock<Vec<Pipeline>> = OnceLock::new();
    check_family(data, compiled(&PIPELINES, TIMESTAMP_CONVERTER_CONFIGS));
}

/// Header conversion (SimpleHeaderConverter in and out, HeaderFrom, InsertHeader, DropHeaders)
/// over fuzzed records and headers; checks as [`structural_transforms`].
pub fn header_conversion(data: &[u8]) {
    static PIPELINES: OnceLock<Vec<Pipeline>> = OnceLock::new();
    check_family(data, compiled(&PIPELINES, HEADER_CONFIGS));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use weir_formats::fuzzing::RECORD_SEPARATOR;

    /// A family's fuzz body.
    type Body = fn(&[u8]);

    /// The family bodies, by name.
    const FAMILIES: &[(&str, Body)] = &[
        ("structural_transforms", structural_transforms),
        ("cast", cast),
        ("timestamp_converter", timestamp_converter),
        ("header_conversion", header_conversion),
    ];

    /// A record chunk of a fuzz input: kind, header bits, payload.
    fn chunk() -> impl Strategy<Value = Vec<u8>> {
        (
            0u8..3,
            any::<u8>(),
            proptest::collection::vec(0u8..RECORD_SEPARATOR, 0..20),
        )
            .prop_map(|(kind, bits, payload)| {
                let mut chunk = vec![kind, bits];
                chunk.extend(payload);
                chunk
            })
    }

    /// A well-formed fuzz input: a config byte and up to 6 record chunks.
    fn structured() -> impl Strategy<Value = Vec<u8>> {
        (any::<u8>(), proptest::collection::vec(chunk(), 0..6)).prop_map(|(choice, chunks)| {
            let mut data = vec![choice];
            data.extend(chunks.join(&RECORD_SEPARATOR));
            data
        })
    }

    #[test]
    fn every_config_compiles_both_ways() {
        for (_, body) in FAMILIES {
            body(&[]);
        }
    }

    #[test]
    fn every_config_runs_on_generated_records() {
        for (name, body) in FAMILIES {
            for choice in 0..=255u8 {
                let mut data = vec![choice];
                for seed in 0..8u8 {
                    data.extend([
                        1,
                        seed.wrapping_mul(37),
                        seed,
                        seed * 5,
                        seed * 11,
                        seed * 3,
                    ]);
                    data.push(RECORD_SEPARATOR);
                }
                data.extend([0, 0x3F]);
                data.extend(br#"{"id":1,"addr":{"city":"x"},"ts":5}"#);
                let result = std::panic::catch_unwind(|| body(&data));
                assert!(result.is_ok(), "{name} failed on config byte {choice}");
            }
        }
    }

    /// The seed corpora under `fuzz/seeds/` (written from the conformance inputs by
    /// `scripts/fuzz-seeds`) keep the invariants too.
    #[test]
    fn seed_corpora_keep_the_invariants() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
        for (name, body) in FAMILIES {
            let dir = root.join(name);
            let entries = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("no seed corpus at {}: {e}", dir.display()));
            let mut seeds = 0;
            for entry in entries.flatten() {
                let data = std::fs::read(entry.path())
                    .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
                let result = std::panic::catch_unwind(|| body(&data));
                assert!(
                    result.is_ok(),
                    "{name} failed on {}",
                    entry.path().display()
                );
                seeds += 1;
            }
            assert!(seeds > 0, "empty seed corpus {}", dir.display());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_keep_the_invariants(data in proptest::collection::vec(any::<u8>(), 0..128)) {
            for (_, body) in FAMILIES {
                body(&data);
            }
        }

        #[test]
        fn generated_records_keep_the_invariants(data in structured()) {
            for (_, body) in FAMILIES {
                body(&data);
            }
        }
    }
}
