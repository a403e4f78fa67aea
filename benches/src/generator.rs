//! Built-in benchmark data sets: an exact port of `shared/bench/gen_records.py`.
//!
//! The same configuration produces byte-identical interchange lines to
//! `python3 gen_records.py --mode {schema,schemaless} -n N --seed S --audit-fraction F --start K`
//! (CPython 3.11), so benchmark comparisons against the JVM figures need no Python. That takes a
//! faithful port of the parts of CPython's `random.Random` the script uses (MT19937 seeded like
//! `random.seed(int)`, `random`, `getrandbits`, `randint`, `choice`, `sample`, `uniform`), of
//! `round(x, n)`, of `float.__repr__` and of `json.dumps(..., separators=(",", ":"),
//! ensure_ascii=False)`.

use rand_mt::Mt;
use std::fmt::Write as _;

pub(crate) const FIRST: [&str; 12] = [
    "Alice", "Bob", "Carla", "Dmitri", "Eve", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemal",
    "Lena",
];
pub(crate) const LAST: [&str; 10] = [
    "Smith", "Nguyen", "Garcia", "Müller", "Okafor", "Rossi", "Kowalski", "Tanaka", "Dubois",
    "Silva",
];
pub(crate) const CITIES: [(&str, &str); 8] = [
    ("Berlin", "10115"),
    ("Paris", "75001"),
    ("Lisbon", "1100-148"),
    ("Osaka", "530-0001"),
    ("Austin", "73301"),
    ("Lagos", "100001"),
    ("Kraków", "30-001"),
    ("Toronto", "M5H 2N2"),
];
pub(crate) const STREETS: [&str; 6] = [
    "Main St",
    "Hauptstraße",
    "Rue de Rivoli",
    "Avenida da Liberdade",
    "Elm Road",
    "Market Square",
];
const TAGS: [&str; 8] = [
    "priority",
    "gift",
    "express",
    "b2b",
    "promo",
    "returning",
    "fragile",
    "eco",
];
const CURRENCIES: [&str; 5] = ["EUR", "USD", "JPY", "GBP", "PLN"];

/// `compact(KEY_SCHEMA)` of the script.
const KEY_SCHEMA_JSON: &str = r#"{"type":"string","optional":false}"#;
/// `compact(VALUE_SCHEMA)` of the script.
const VALUE_SCHEMA_JSON: &str = concat!(
    r#"{"type":"struct","optional":false,"name":"com.example.Order","version":1,"fields":["#,
    r#"{"type":"int64","optional":false,"field":"id"},"#,
    r#"{"type":"string","optional":false,"field":"name"},"#,
    r#"{"type":"string","optional":true,"field":"email"},"#,
    r#"{"type":"string","optional":false,"field":"amount"},"#,
    r#"{"type":"int64","optional":false,"field":"quantity"},"#,
    r#"{"type":"string","optional":false,"field":"currency"},"#,
    r#"{"type":"int64","optional":false,"field":"created_at"},"#,
    r#"{"type":"boolean","optional":false,"field":"active"},"#,
    r#"{"type":"struct","optional":false,"name":"com.example.Address","field":"address","fields":["#,
    r#"{"type":"string","optional":false,"field":"street"},"#,
    r#"{"type":"string","optional":false,"field":"city"},"#,
    r#"{"type":"string","optional":true,"field":"zip"},"#,
    r#"{"type":"struct","optional":false,"field":"geo","fields":["#,
    r#"{"type":"double","optional":false,"field":"lat"},"#,
    r#"{"type":"double","optional":false,"field":"lon"}]}]},"#,
    r#"{"type":"array","optional":false,"field":"tags","items":{"type":"string","optional":false}},"#,
    r#"{"type":"double","optional":true,"field":"score"}]}"#,
);

/// Shape of the generated keys and values (the script's `--mode`).
///
/// Choosing a mode costs nothing; schema mode makes each record about 1.1 KB larger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Key and value are JsonConverter envelopes `{"schema":...,"payload":...}`.
    Schema,
    /// Value is a plain JSON object (~300 bytes), key a JSON string.
    #[default]
    Schemaless,
}

/// What to generate; the fields mirror the script's command-line options.
///
/// Plain data, free to build and clone.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    /// `--mode`: envelopes with schemas, or plain JSON.
    pub mode: Mode,
    /// `-n`: how many records to generate.
    pub records: usize,
    /// `--seed`: seed of the Python `random.Random` being emulated.
    pub seed: u64,
    /// `--audit-fraction`: share of records sent to topic `audit.orders`.
    pub audit_fraction: f64,
    /// `--start`: index of the first record (drives ids, offsets and partitions, not the seed).
    pub start: usize,
}

impl Default for GeneratorConfig {
    /// The script's defaults except for the mode: schemaless, 100000 records, seed 1, audit
    /// fraction 0.1, start 0. Costs nothing.
    fn default() -> Self {
        Self {
            mode: Mode::Schemaless,
            records: 100_000,
            seed: 1,
            audit_fraction: 0.1,
            start: 0,
        }
    }
}

/// One generated Kafka record; `key` and `value` are the record bytes as UTF-8 (JSON text).
///
/// Owns its strings (about 0.4 KB schemaless, 1.5 KB with schemas, 3 KB for a CDC event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedRecord {
    /// `shop.orders`, `shop.payments` or `audit.orders`.
    pub topic: String,
    /// Record index modulo 6.
    pub partition: i32,
    /// 1000 plus the record index.
    pub offset: i64,
    /// Record timestamp in epoch milliseconds.
    pub timestamp: i64,
    /// Key text: a JSON string, or a JsonConverter envelope in schema mode.
    pub key: String,
    /// Value text: a JSON object, or a JsonConverter envelope in schema mode; `None` for a
    /// tombstone (only the CDC data set has them, [`crate::cdc`]).
    pub value: Option<String>,
    /// `trace-id` (a random UUID) and `source-app`, in that order.
    pub headers: Vec<(String, String)>,
}

impl GeneratedRecord {
    /// Appends the record to `builder` as raw Kafka record bytes (key and value as their UTF-8
    /// text, a tombstone's value null, every header with a value).
    pub fn push_to(&self, builder: &mut weir_engine::RawBatchBuilder) {
        builder.push_parts(
            &self.topic,
            self.partition,
            self.offset,
            Some(self.timestamp),
            Some(self.key.as_bytes()),
            self.value.as_deref().map(str::as_bytes),
            self.headers
                .iter()
                .map(|(name, value)| (name.as_str(), Some(value.as_bytes()))),
        );
    }

    /// The record as one interchange-format line (no trailing newline), byte-identical to the
    /// script's output line: keys `topic, partition, offset, timestamp, key, value, headers`
    /// (a tombstone's value written `null`).
    ///
    /// One allocation of about the escaped size of key and value; linear in the record size.
    pub fn to_interchange_line(&self) -> String {
        let value_len = self.value.as_deref().map_or(4, str::len);
        let mut out = String::with_capacity(self.key.len() + value_len * 9 / 8 + 160);
        out.push_str("{\"topic\":");
        push_json_str(&mut out, &self.topic);
        let _ = write!(
            out,
            ",\"partition\":{},\"offset\":{},\"timestamp\":{},\"key\":",
            self.partition, self.offset, self.timestamp
        );
        push_json_str(&mut out, &self.key);
        out.push_str(",\"value\":");
        match &self.value {
            Some(value) => push_json_str(&mut out, value),
            None => out.push_str("null"),
        }
        out.push_str(",\"headers\":[");
        for (n, (name, value)) in self.headers.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            out.push('[');
            push_json_str(&mut out, name);
            out.push(',');
            push_json_str(&mut out, value);
            out.push(']');
        }
        out.push_str("]}");
        out
    }
}

/// Lazily generates `config.records` records starting at index `config.start`, exactly as the
/// script does for the same options.
///
/// Setup seeds a 2.5 KB Mersenne Twister state; each record then costs a few microseconds and
/// its own allocations. Indices and timestamps use wrapping `i64` arithmetic, so they agree with
/// Python's unbounded integers as long as they fit in an `i64` (indices below about 6·10¹⁵).
pub fn generate(config: &GeneratorConfig) -> impl Iterator<Item = GeneratedRecord> {
    let mut rng = PyRandom::new(config.seed);
    let (mode, audit_fraction) = (config.mode, config.audit_fraction);
    let end = config.start.saturating_add(config.records);
    (config.start..end).map(move |i| make_record(&mut rng, i, mode, audit_fraction))
}

/// The script's `make_record`: the value, then topic, timestamp and trace id, in its draw order.
fn make_record(rng: &mut PyRandom, i: usize, mode: Mode, audit_fraction: f64) -> GeneratedRecord {
    let index = i as i64;
    let (value, created_at) = make_value(rng, i);
    let id = 100_000_i64.wrapping_add(index);
    let (key, value) = match mode {
        Mode::Schema => (
            format!("{{\"schema\":{KEY_SCHEMA_JSON},\"payload\":\"order-{id}\"}}"),
            format!("{{\"schema\":{VALUE_SCHEMA_JSON},\"payload\":{value}}}"),
        ),
        Mode::Schemaless => (format!("\"order-{id}\""), value),
    };
    let r = rng.random();
    let topic = if r < audit_fraction {
        "audit.orders"
    } else if r < 0.85 {
        "shop.orders"
    } else {
        "shop.payments"
    };
    let timestamp = created_at.wrapping_add(rng.randint(0, 5000));
    let trace_id = uuid_string(rng.getrandbits(128));
    GeneratedRecord {
        topic: topic.to_owned(),
        partition: (i % 6) as i32,
        offset: 1000_i64.wrapping_add(index),
        timestamp,
        key,
        value: Some(value),
        headers: vec![
            ("trace-id".to_owned(), trace_id),
            ("source-app".to_owned(), "checkout".to_owned()),
        ],
    }
}

/// The script's `make_value`, serialised compactly; also returns `created_at`.
fn make_value(rng: &mut PyRandom, i: usize) -> (String, i64) {
    let index = i as i64;
    let first = *rng.choice(&FIRST);
    let last = *rng.choice(&LAST);
    let (city, zip) = *rng.choice(&CITIES);
    let amount = rng.randint(1, 99_999) as f64 / 100.0;
    let quantity = rng.randint(1, 20);
    let currency = *rng.choice(&CURRENCIES);
    let created_at = 1_700_000_000_000_i64
        .wrapping_add(index.wrapping_mul(1537))
        .wrapping_add(rng.randint(0, 999));
    let active = rng.random() < 0.8;
    let street_number = rng.randint(1, 400);
    let street = *rng.choice(&STREETS);
    let lat = py_round(rng.uniform(-60.0, 60.0), 5);
    let lon = py_round(rng.uniform(-170.0, 170.0), 5);
    let tag_count = rng.randint(1, 3) as usize;
    let tags = rng.sample(&TAGS, tag_count);
    let score = py_round(rng.random(), 4);

    let mut out = String::with_capacity(384);
    let _ = write!(
        out,
        "{{\"id\":{},\"name\":",
        100_000_i64.wrapping_add(index)
    );
    push_json_str(&mut out, &format!("{first} {last}"));
    out.push_str(",\"email\":");
    let email = format!(
        "{}.{}{}@example.com",
        first.to_lowercase(),
        last.to_lowercase(),
        i % 997
    );
    push_json_str(&mut out, &email);
    let _ = write!(
        out,
        ",\"amount\":\"{amount:.2}\",\"quantity\":{quantity},\"currency\":"
    );
    push_json_str(&mut out, currency);
    let _ = write!(
        out,
        ",\"created_at\":{created_at},\"active\":{active},\"address\":{{\"street\":"
    );
    push_json_str(&mut out, &format!("{street_number} {street}"));
    out.push_str(",\"city\":");
    push_json_str(&mut out, city);
    out.push_str(",\"zip\":");
    push_json_str(&mut out, zip);
    out.push_str(",\"geo\":{\"lat\":");
    push_py_float(&mut out, lat);
    out.push_str(",\"lon\":");
    push_py_float(&mut out, lon);
    out.push_str("}},\"tags\":[");
    for (n, tag) in tags.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        push_json_str(&mut out, tag);
    }
    out.push_str("],\"score\":");
    push_py_float(&mut out, score);
    out.push('}');
    (out, created_at)
}

/// `str(uuid.UUID(int=v))`: 32 lowercase hex digits grouped 8-4-4-4-12.
pub(crate) fn uuid_string(v: u128) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        v >> 96,
        (v >> 80) & 0xffff,
        (v >> 64) & 0xffff,
        (v >> 48) & 0xffff,
        v & 0xffff_ffff_ffff
    )
}

/// CPython 3.11's `random.Random`, restricted to the methods the script calls.
pub(crate) struct PyRandom {
    mt: Mt,
}

impl PyRandom {
    /// `random.Random(seed)`: `init_by_array` with the seed's 32-bit words, least significant
    /// first, and at least one word.
    pub(crate) fn new(seed: u64) -> Self {
        let low = seed as u32;
        let high = (seed >> 32) as u32;
        let mt = if high == 0 {
            Mt::new_with_key([low])
        } else {
            Mt::new_with_key([low, high])
        };
        Self { mt }
    }

    /// `random()`: 53 random bits (27 + 26 from two draws) scaled into [0, 1).
    pub(crate) fn random(&mut self) -> f64 {
        let a = self.mt.next_u32() >> 5;
        let b = self.mt.next_u32() >> 6;
        (f64::from(a) * 67_108_864.0 + f64::from(b)) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `getrandbits(k)` for `k <= 128`: one draw per 32-bit word, least significant word first,
    /// the last (most significant) word keeping only its top bits. `k == 0` draws nothing.
    pub(crate) fn getrandbits(&mut self, k: u32) -> u128 {
        let k = k.min(128);
        let mut result = 0_u128;
        let mut shift = 0;
        while shift < k {
            let word = self.mt.next_u32();
            let bits = (k - shift).min(32);
            result |= u128::from(word >> (32 - bits)) << shift;
            shift += bits;
        }
        result
    }

    /// `_randbelow(n)` for `n > 0`: draw `n.bit_length()` bits until the result is below `n`.
    /// Returns 0 without drawing for `n == 0` (where CPython's callers raise instead).
    fn randbelow(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let k = u64::BITS - n.leading_zeros();
        loop {
            let r = self.getrandbits(k) as u64;
            if r < n {
                return r;
            }
        }
    }

    /// `randint(a, b)` for `a <= b`: `a + _randbelow(b - a + 1)`.
    pub(crate) fn randint(&mut self, a: i64, b: i64) -> i64 {
        let width = b.wrapping_sub(a).wrapping_add(1) as u64;
        a.wrapping_add(self.randbelow(width) as i64)
    }

    /// `choice(seq)` for a non-empty array: `seq[_randbelow(len(seq))]`.
    pub(crate) fn choice<'a, T, const N: usize>(&mut self, seq: &'a [T; N]) -> &'a T {
        const { assert!(N > 0, "choice needs a non-empty sequence") };
        &seq[self.randbelow(N as u64) as usize]
    }

    /// `sample(population, k)`, including CPython's choice between partially shuffling a copy
    /// of the population and rejection-sampling indices into a set, made by comparing the
    /// population size with the memory a set of `k` entries would take. `k` is capped at the
    /// population size (where CPython raises `ValueError`).
    fn sample<T: Copy>(&mut self, population: &[T], k: usize) -> Vec<T> {
        let n = population.len();
        let k = k.min(n);
        if n <= sample_set_size(k) {
            let mut pool = population.to_vec();
            (0..k)
                .map(|i| {
                    let j = self.randbelow((n - i) as u64) as usize;
                    let picked = pool[j];
                    pool[j] = pool[n - i - 1];
                    picked
                })
                .collect()
        } else {
            let mut selected = std::collections::HashSet::with_capacity(k);
            (0..k)
                .map(|_| loop {
                    let j = self.randbelow(n as u64) as usize;
                    if selected.insert(j) {
                        break population[j];
                    }
                })
                .collect()
        }
    }

    /// `uniform(a, b)`: `a + (b - a) * random()`.
    pub(crate) fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.random()
    }
}

/// CPython's `setsize` in `sample`: 21, plus `4 ** ceil(log(3k, 4))` when `k > 5`.
fn sample_set_size(k: usize) -> usize {
    if k <= 5 {
        return 21;
    }
    let exponent = ((k as f64 * 3.0).ln() / 4.0_f64.ln()).ceil() as u32;
    4_usize
        .checked_pow(exponent)
        .map_or(usize::MAX, |s| s.saturating_add(21))
}

/// Python's `round(x, ndigits)` for floats: the exact binary value correctly rounded (ties to
/// even) to `ndigits` decimals, then read back as the nearest double.
pub(crate) fn py_round(x: f64, ndigits: usize) -> f64 {
    // Rust's fixed-precision formatting is exact with ties to even, like dtoa's mode 3.
    format!("{x:.ndigits$}").parse().unwrap_or(x)
}

/// Appends Python's `repr(x)` (as `json.dumps` writes floats): the shortest round-tripping
/// digits, positional for decimal exponents -4..16 (with `.0` for integral values), else
/// `d.ddde±XX`; non-finite values as `NaN`, `Infinity`, `-Infinity`.
pub(crate) fn push_py_float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    // `{:e}` gives the shortest round-trip digits as `[-]d[.ddd]e<exp>`.
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if negative {
        out.push('-');
    }
    push_python_layout(out, &digits, exp + 1);
}

/// Lays out significant `digits` (value `0.digits × 10^decpt`) the way CPython's
/// `format_float_short` does for `repr`.
fn push_python_layout(out: &mut String, digits: &str, decpt: i32) {
    let n = digits.len() as i32;
    if decpt <= -4 || decpt > 16 {
        let (head, tail) = digits.split_at(1.min(digits.len()));
        out.push_str(head);
        if !tail.is_empty() {
            out.push('.');
            out.push_str(tail);
        }
        let e = decpt - 1;
        let _ = write!(
            out,
            "e{}{:02}",
            if e < 0 { '-' } else { '+' },
            e.unsigned_abs()
        );
    } else if decpt <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', decpt.unsigned_abs() as usize));
        out.push_str(digits);
    } else if decpt >= n {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (decpt - n) as usize));
        out.push_str(".0");
    } else {
        let (int_part, frac_part) = digits.split_at(decpt as usize);
        out.push_str(int_part);
        out.push('.');
        out.push_str(frac_part);
    }
}

/// Appends `s` as a JSON string the way `json.dumps(s, ensure_ascii=False)` does: `"` and `\`
/// backslash-escaped, `\n \r \t \b \f` by name, other control characters below U+0020 as
/// `\u00XX`, everything else (including non-ASCII) verbatim.
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut plain_from = 0;
    // Everything escaped is ASCII, so byte positions of escaped bytes are char boundaries.
    for (at, &b) in s.as_bytes().iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[plain_from..at]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        plain_from = at + 1;
    }
    out.push_str(&s[plain_from..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Runs the Python script with `args`; `None` (after a note) when python3 or the script is
    /// unavailable.
    fn python_lines(args: &[&str]) -> Option<Vec<String>> {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/bench/gen_records.py"
        );
        if !std::path::Path::new(script).exists() {
            eprintln!("note: {script} not found; skipping the comparison with Python");
            return None;
        }
        let output = match Command::new("python3").arg(script).args(args).output() {
            Ok(output) => output,
            Err(e) => {
                eprintln!("note: python3 not available ({e}); skipping the comparison");
                return None;
            }
        };
        assert!(
            output.status.success(),
            "gen_records.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).expect("script output is UTF-8");
        Some(text.lines().map(str::to_owned).collect())
    }

    fn compare_with_python(config: &GeneratorConfig) {
        let mode = match config.mode {
            Mode::Schema => "schema",
            Mode::Schemaless => "schemaless",
        };
        let (n, seed) = (config.records.to_string(), config.seed.to_string());
        let (fraction, start) = (config.audit_fraction.to_string(), config.start.to_string());
        let args = [
            "--mode",
            mode,
            "-n",
            &n,
            "--seed",
            &seed,
            "--audit-fraction",
            &fraction,
            "--start",
            &start,
        ];
        let Some(expected) = python_lines(&args) else {
            return;
        };
        let ours: Vec<String> = generate(config).map(|r| r.to_interchange_line()).collect();
        assert_eq!(ours.len(), expected.len());
        for (n, (a, b)) in ours.iter().zip(&expected).enumerate() {
            assert_eq!(a, b, "line {n} differs ({config:?})");
        }
    }

    #[test]
    fn matches_python_seed_1() {
        for mode in [Mode::Schemaless, Mode::Schema] {
            compare_with_python(&GeneratorConfig {
                mode,
                records: 300,
                ..GeneratorConfig::default()
            });
        }
    }

    #[test]
    fn matches_python_seed_7_audit_start() {
        for mode in [Mode::Schemaless, Mode::Schema] {
            compare_with_python(&GeneratorConfig {
                mode,
                records: 300,
                seed: 7,
                audit_fraction: 0.3,
                start: 50,
            });
        }
    }

    #[test]
    fn first_line_is_pinned() {
        let config = GeneratorConfig {
            records: 1,
            ..GeneratorConfig::default()
        };
        let line = generate(&config).next().map(|r| r.to_interchange_line());
        let expected = concat!(
            r#"{"topic":"shop.orders","partition":0,"offset":1000,"timestamp":1700000000796,"#,
            r#""key":"\"order-100000\"","value":"{\"id\":100000,\"name\":\"Carla Silva\","#,
            r#"\"email\":\"carla.silva0@example.com\",\"amount\":\"334.33\",\"quantity\":4,"#,
            r#"\"currency\":\"GBP\",\"created_at\":1700000000779,\"active\":true,"#,
            r#"\"address\":{\"street\":\"334 Avenida da Liberdade\",\"city\":\"Paris\","#,
            r#"\"zip\":\"75001\",\"geo\":{\"lat\":34.6468,\"lon\":-138.08774}},"#,
            r#"\"tags\":[\"fragile\"],\"score\":0.4328}","#,
            r#""headers":[["trace-id","b8b6d8fe-442e-3d43-7204-e52db2221a58"],"#,
            r#"["source-app","checkout"]]}"#,
        );
        assert_eq!(line.as_deref(), Some(expected));
    }

    #[test]
    fn counts_and_defaults() {
        let config = GeneratorConfig::default();
        assert_eq!(config.mode, Mode::Schemaless);
        assert_eq!((config.records, config.seed, config.start), (100_000, 1, 0));
        assert_eq!(config.audit_fraction, 0.1);
        let few = GeneratorConfig {
            records: 7,
            start: usize::MAX - 3,
            ..config
        };
        assert_eq!(generate(&few).count(), 3);
    }

    #[test]
    fn random_matches_cpython() {
        let mut r = PyRandom::new(1);
        assert_eq!(r.random(), 0.13436424411240122);
        assert_eq!(r.random(), 0.8474337369372327);
    }

    #[test]
    fn getrandbits_32_matches_cpython() {
        let cases: [(u64, [u128; 3]); 3] = [
            (1, [577090037, 2444712010, 3639700191]),
            (0, [3626764237, 1654615998, 3255389356]),
            ((1 << 40) + 5, [2166296868, 2220160828, 1153647273]),
        ];
        for (seed, expected) in cases {
            let mut r = PyRandom::new(seed);
            let got = [r.getrandbits(32), r.getrandbits(32), r.getrandbits(32)];
            assert_eq!(got, expected, "seed {seed}");
        }
    }

    #[test]
    fn getrandbits_widths_match_cpython() {
        let mut r = PyRandom::new(1);
        assert_eq!(r.getrandbits(128), 272996653310673477252411125948039410165);
        assert_eq!(r.getrandbits(7), 97);
        assert_eq!(r.getrandbits(33), 271041745);

        let mut r = PyRandom::new(1);
        let got = [
            r.getrandbits(0),
            r.getrandbits(1),
            r.getrandbits(31),
            r.getrandbits(32),
            r.getrandbits(64),
            r.getrandbits(65),
        ];
        let expected = [
            0,
            0,
            1222356005,
            3639700191,
            14089154938208861744,
            4705193143269049553,
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn randint_uniform_sample_choice_match_cpython() {
        let mut r = PyRandom::new(3);
        let ints: Vec<i64> = (0..5).map(|_| r.randint(1, 99_999)).collect();
        assert_eq!(ints, [31191, 77679, 71334, 17095, 48491]);
        assert_eq!(r.uniform(-60.0, 60.0), 49.91337740771773);
        let population: Vec<u32> = (0..100).collect();
        // n = 100 > setsize 85: the set branch.
        assert_eq!(
            r.sample(&population, 10),
            [60, 80, 74, 8, 77, 1, 33, 70, 29, 24]
        );
        let letters = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
        // n = 8 <= setsize 21: the pool branch.
        assert_eq!(r.sample(&letters, 3), ['h', 'e', 'g']);
        assert_eq!(*r.choice(&letters), 'h');
    }

    #[test]
    fn sample_set_size_matches_cpython() {
        assert_eq!(sample_set_size(0), 21);
        assert_eq!(sample_set_size(5), 21);
        assert_eq!(sample_set_size(6), 21 + 64);
        assert_eq!(sample_set_size(21), 21 + 64);
        assert_eq!(sample_set_size(22), 21 + 256);
        assert_eq!(sample_set_size(usize::MAX), usize::MAX);
    }

    #[test]
    fn sample_caps_k_at_population() {
        let mut r = PyRandom::new(1);
        let mut got = r.sample(&[1, 2, 3], 9);
        got.sort_unstable();
        assert_eq!(got, [1, 2, 3]);
    }

    #[test]
    fn round_matches_python() {
        assert_eq!(py_round(0.125, 2), 0.12);
        assert_eq!(py_round(0.375, 2), 0.38);
        assert_eq!(py_round(2.675, 2), 2.67);
        assert_eq!(py_round(2.5, 0), 2.0);
        assert!(py_round(-0.000001, 5).is_sign_negative());
        assert_eq!(py_round(34.646801234, 5), 34.6468);
        assert!(py_round(f64::NAN, 5).is_nan());
        assert_eq!(format!("{:.2}", 0.125), "0.12");
        assert_eq!(format!("{:.2}", 334.33), "334.33");
    }

    #[test]
    fn float_repr_matches_python() {
        let cases = [
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1e22, "1e+22"),
            (1e16, "1e+16"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (1234567890123456.0, "1234567890123456.0"),
            (9999999999999998.0, "9999999999999998.0"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (0.00012345, "0.00012345"),
            (-2.5e-7, "-2.5e-07"),
            (12.0, "12.0"),
            (0.5, "0.5"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (-138.08774, "-138.08774"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (x, expected) in cases {
            let mut out = String::new();
            push_py_float(&mut out, x);
            assert_eq!(out, expected, "repr({x:?})");
        }
    }

    #[test]
    fn json_strings_match_python() {
        let mut out = String::new();
        push_json_str(&mut out, "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}ü€");
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\u{7f}ü€\"");
    }

    #[test]
    fn uuid_layout() {
        assert_eq!(
            uuid_string(0x0123_4567_89ab_cdef_0011_2233_4455_6677),
            "01234567-89ab-cdef-0011-223344556677"
        );
        assert_eq!(uuid_string(0), "00000000-0000-0000-0000-000000000000");
    }
}
