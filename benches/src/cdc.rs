//! The CDC data set (`smtbench run --mode cdc`, `smtbench gen-cdc`): Debezium 3.6.1 MySQL change
//! events for four tables of the tutorial's `inventory` database, as Kafka Connect carries them
//! with JsonConverter `schemas.enable=true`.
//!
//! Each table `T` has its own row schema (ints, strings, optional columns, a column default, a
//! Connect `Decimal`, `io.debezium.time.Date` / `ZonedTimestamp`, `io.debezium.data.Enum`) and
//! topic `dbserver1.inventory.T`. A key is `{"schema":<struct{id} named …T.Key>,"payload":{"id":N}}`;
//! a value is Debezium's envelope named `…T.Envelope` (version 2): optional `before` / `after`
//! structs named `…T.Value`, the MySQL `source` block (`io.debezium.connector.mysql.Source`, with
//! the `snapshot` Enum), the optional `transaction` block (`event.block`), `op`, `ts_ms`, `ts_us`,
//! `ts_ns` — field for field the shapes of the Debezium corpus in `shared/conformance/debezium`.
//!
//! The stream starts with a snapshot (op `r`, about 5% of the records, table by table, `snapshot`
//! marked `first`, `first_in_data_collection`, `true`, `last_in_data_collection`, `last`), then
//! streams transactions of one to three events: per event 63% inserts (`c`), 26% updates (`u`,
//! `before` the row's previous state, one column changed) and 11% deletes (`d`, `after` null),
//! each delete followed by its tombstone (same key, null value). Updates and deletes pick a live
//! row, so every `before` is a state the stream produced. Overall, of the records: about 5% `r`,
//! 54% `c`, 22% `u`, 9.5% `d` and 9.5% tombstones. Output is deterministic for a seed.

use std::fmt::Write as _;
use std::io::{self, Write};

use base64::Engine as _;
use clap::Args;
use weir_formats::decimal_column::big_integer_bytes;
use weir_formats::java_date::civil_from_days;

use crate::generator::{
    push_json_str, push_py_float, py_round, GeneratedRecord, PyRandom, CITIES, FIRST, LAST, STREETS,
};

/// The connector's logical name (`topic.prefix`): the first part of every topic and schema name.
pub const SERVER: &str = "dbserver1";
/// The captured database: the second part of every topic.
pub const DATABASE: &str = "inventory";

/// Share of the records that are snapshot reads (at least one).
const SNAPSHOT_SHARE: usize = 20;
/// Cumulative thresholds of a streamed event's operation: insert, then update, else delete.
const CREATE_BELOW: f64 = 0.63;
const UPDATE_BELOW: f64 = 0.89;
/// The first event's time: 2025-01-01T00:00:00Z.
const START_MS: i64 = 1_735_689_600_000;
/// The binlog position where the snapshot was taken.
const SNAPSHOT_POS: i64 = 154;
/// The MySQL server's UUID in the GTIDs.
const SERVER_UUID: &str = "3E11FA47-71CA-11E1-9E33-C80AA9429562";

/// `source` as Debezium 3.6.1's MySQL connector declares it.
const SOURCE_FIELD: &str = concat!(
    r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},"#,
    r#"{"type":"string","optional":false,"field":"connector"},"#,
    r#"{"type":"string","optional":false,"field":"name"},"#,
    r#"{"type":"int64","optional":false,"field":"ts_ms"},"#,
    r#"{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":"#,
    r#"{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"#,
    r#""default":"false","field":"snapshot"},"#,
    r#"{"type":"string","optional":false,"field":"db"},"#,
    r#"{"type":"string","optional":true,"field":"sequence"},"#,
    r#"{"type":"int64","optional":true,"field":"ts_us"},"#,
    r#"{"type":"int64","optional":true,"field":"ts_ns"},"#,
    r#"{"type":"string","optional":true,"field":"table"},"#,
    r#"{"type":"int64","optional":false,"field":"server_id"},"#,
    r#"{"type":"string","optional":true,"field":"gtid"},"#,
    r#"{"type":"string","optional":false,"field":"file"},"#,
    r#"{"type":"int64","optional":false,"field":"pos"},"#,
    r#"{"type":"int32","optional":false,"field":"row"},"#,
    r#"{"type":"int64","optional":true,"field":"thread"},"#,
    r#"{"type":"string","optional":true,"field":"query"}],"#,
    r#""optional":false,"name":"io.debezium.connector.mysql.Source","version":1,"field":"source"}"#,
);
/// `transaction` (`TransactionStructMaker`'s `event.block`).
const TRANSACTION_FIELD: &str = concat!(
    r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},"#,
    r#"{"type":"int64","optional":false,"field":"total_order"},"#,
    r#"{"type":"int64","optional":false,"field":"data_collection_order"}],"#,
    r#""optional":true,"name":"event.block","version":1,"field":"transaction"}"#,
);
/// The envelope's fields after `transaction`.
const TAIL_FIELDS: &str = concat!(
    r#"{"type":"string","optional":false,"field":"op"},"#,
    r#"{"type":"int64","optional":true,"field":"ts_ms"},"#,
    r#"{"type":"int64","optional":true,"field":"ts_us"},"#,
    r#"{"type":"int64","optional":true,"field":"ts_ns"}"#,
);

const PRODUCT_NAMES: [&str; 8] = [
    "scooter",
    "car battery",
    "12-pack drill bits",
    "hammer",
    "rocks",
    "jacket",
    "spare tire",
    "hand saw",
];
const DESCRIPTIONS: [&str; 5] = [
    "Small 2-wheel scooter",
    "12V car battery",
    "12-pack of drill bits with sizes ranging from #40 to #3",
    "box of assorted rocks",
    "water resistent black wind breaker",
];
const MAIL_DOMAINS: [&str; 3] = ["example.com", "example.org", "mail.example.net"];
const ORDER_STATUSES: &str = "PENDING,PAID,SHIPPED,DELIVERED,CANCELLED";
const ORDER_STATUS: [&str; 5] = ["PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"];
const ADDRESS_TYPES: &str = "SHIPPING,BILLING,LIVING";
const ADDRESS_TYPE: [&str; 3] = ["SHIPPING", "BILLING", "LIVING"];

/// What to generate.
///
/// Plain data, free to build and clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdcConfig {
    /// How many Kafka records (tombstones included).
    pub records: usize,
    /// Seed of the random draws.
    pub seed: u64,
}

impl Default for CdcConfig {
    /// 100000 records, seed 1. Costs nothing.
    fn default() -> Self {
        Self {
            records: 100_000,
            seed: 1,
        }
    }
}

/// `smtbench gen-cdc`: writes the CDC data set's interchange lines to stdout.
#[derive(Debug, Clone, Args)]
pub struct GenCdcArgs {
    /// Records to write (tombstones included).
    #[arg(long, default_value_t = 1_000)]
    pub records: usize,
    /// Seed of the random draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Writes `args.records` CDC records to `out`, one interchange line each. Cost: about 3 KB of
/// output and a few microseconds per record.
pub fn gen_cdc(args: &GenCdcArgs, out: &mut impl Write) -> io::Result<()> {
    let config = CdcConfig {
        records: args.records,
        seed: args.seed,
    };
    for record in generate_cdc(&config) {
        writeln!(out, "{}", record.to_interchange_line())?;
    }
    Ok(())
}

/// Lazily generates `config.records` change events and tombstones (see the module doc).
///
/// Setup builds each table's key and envelope schema text once; each record then costs a few
/// microseconds and its own strings. The generator keeps every live row (about 100 bytes each),
/// so memory grows with the inserts.
pub fn generate_cdc(config: &CdcConfig) -> impl Iterator<Item = GeneratedRecord> {
    Generator::new(config)
}

/// A column's Connect type, as the MySQL connector maps it.
#[derive(Debug, Clone, Copy)]
enum ColumnType {
    /// `INT NOT NULL`.
    Int32,
    /// `INT NOT NULL DEFAULT n`.
    Int32Default(i32),
    /// `VARCHAR NOT NULL`.
    Text,
    /// `VARCHAR NULL`.
    OptionalText,
    /// `FLOAT NULL` (a double).
    OptionalDouble,
    /// `DECIMAL(precision, scale) NOT NULL` (Connect `Decimal`, base64 of the unscaled bytes).
    Decimal { scale: u32, precision: u32 },
    /// `DATE NOT NULL` (`io.debezium.time.Date`, days since the epoch).
    Date,
    /// `TIMESTAMP NULL` (`io.debezium.time.ZonedTimestamp`, an ISO-8601 string in UTC).
    OptionalZonedTimestamp,
    /// `ENUM(...) NOT NULL` (`io.debezium.data.Enum` with its allowed values).
    Enum(&'static str),
}

/// One column value.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    Text(String),
    Double(f64),
    /// A decimal's unscaled value.
    Decimal(i64),
}

/// One column: its name, its type and how a value is drawn (from the row's id and the random
/// source).
struct Column {
    name: &'static str,
    kind: ColumnType,
    draw: fn(&mut PyRandom, i32) -> Cell,
}

/// One captured table: the first column is the primary key `id`.
struct Table {
    name: &'static str,
    columns: &'static [Column],
    /// The first id the table's inserts use.
    first_id: i32,
    /// The table's share of the streamed events.
    share: f64,
}

const fn column(
    name: &'static str,
    kind: ColumnType,
    draw: fn(&mut PyRandom, i32) -> Cell,
) -> Column {
    Column { name, kind, draw }
}

fn id(_: &mut PyRandom, id: i32) -> Cell {
    Cell::Int(i64::from(id))
}

fn text(value: &str) -> Cell {
    Cell::Text(value.to_owned())
}

/// One of `values`, drawn uniformly.
fn pick<const N: usize>(rng: &mut PyRandom, values: &[&str; N]) -> Cell {
    let value: &&str = rng.choice(values);
    text(value)
}

/// `value()` or null with probability `null_share`.
fn maybe(rng: &mut PyRandom, null_share: f64, value: impl FnOnce(&mut PyRandom) -> Cell) -> Cell {
    match rng.random() < null_share {
        true => Cell::Null,
        false => value(rng),
    }
}

const TABLES: [Table; 4] = [
    Table {
        name: "customers",
        first_id: 1001,
        share: 0.2,
        columns: &[
            column("id", ColumnType::Int32, id),
            column("first_name", ColumnType::Text, |r, _| pick(r, &FIRST)),
            column("last_name", ColumnType::Text, |r, _| pick(r, &LAST)),
            column("email", ColumnType::Text, |r, id| {
                Cell::Text(format!("customer{id}@{}", r.choice(&MAIL_DOMAINS)))
            }),
            column("phone", ColumnType::OptionalText, |r, _| {
                maybe(r, 0.3, |r| {
                    Cell::Text(format!("+1-555-01{:02}", r.randint(0, 99)))
                })
            }),
        ],
    },
    Table {
        name: "products",
        first_id: 101,
        share: 0.15,
        columns: &[
            column("id", ColumnType::Int32, id),
            column("name", ColumnType::Text, |r, _| pick(r, &PRODUCT_NAMES)),
            column("description", ColumnType::OptionalText, |r, _| {
                maybe(r, 0.4, |r| pick(r, &DESCRIPTIONS))
            }),
            column("weight", ColumnType::OptionalDouble, |r, _| {
                maybe(r, 0.2, |r| Cell::Double(py_round(r.uniform(0.1, 25.0), 2)))
            }),
            column(
                "price",
                ColumnType::Decimal {
                    scale: 2,
                    precision: 10,
                },
                |r, _| Cell::Decimal(r.randint(99, 250_000)),
            ),
        ],
    },
    Table {
        name: "orders",
        first_id: 10001,
        share: 0.4,
        columns: &[
            column("id", ColumnType::Int32, id),
            // 2025-01-01 is day 20089.
            column("order_date", ColumnType::Date, |r, _| {
                Cell::Int(r.randint(20_089, 20_453))
            }),
            column("purchaser", ColumnType::Int32, |r, _| {
                Cell::Int(r.randint(1001, 1200))
            }),
            column("quantity", ColumnType::Int32Default(1), |r, _| {
                Cell::Int(r.randint(1, 20))
            }),
            column("product_id", ColumnType::Int32, |r, _| {
                Cell::Int(r.randint(101, 180))
            }),
            column("status", ColumnType::Enum(ORDER_STATUSES), |r, _| {
                pick(r, &ORDER_STATUS)
            }),
            column("updated_at", ColumnType::OptionalZonedTimestamp, |r, _| {
                maybe(r, 0.25, |r| {
                    Cell::Text(iso_utc(START_MS / 1000 + r.randint(0, 365 * 86_400)))
                })
            }),
        ],
    },
    Table {
        name: "addresses",
        first_id: 1,
        share: 0.25,
        columns: &[
            column("id", ColumnType::Int32, id),
            column("customer_id", ColumnType::Int32, |r, _| {
                Cell::Int(r.randint(1001, 1200))
            }),
            column("street", ColumnType::Text, |r, _| {
                let number = r.randint(1, 400);
                Cell::Text(format!("{number} {}", r.choice(&STREETS)))
            }),
            column("city", ColumnType::Text, |r, _| text(r.choice(&CITIES).0)),
            column("zip", ColumnType::OptionalText, |r, _| {
                maybe(r, 0.1, |r| text(r.choice(&CITIES).1))
            }),
            column("type", ColumnType::Enum(ADDRESS_TYPES), |r, _| {
                pick(r, &ADDRESS_TYPE)
            }),
        ],
    },
];

/// `YYYY-MM-DDTHH:MM:SSZ` for `seconds` since the epoch (proleptic Gregorian, UTC).
fn iso_utc(seconds: i64) -> String {
    let (days, time) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        time / 3600,
        time / 60 % 60,
        time % 60
    )
}

/// Appends `column`'s JsonConverter schema (`{"type",…,"field"}`).
fn push_column_schema(out: &mut String, column: &Column) {
    let (kind, optional) = match column.kind {
        ColumnType::Int32 | ColumnType::Int32Default(_) | ColumnType::Date => ("int32", false),
        ColumnType::Text | ColumnType::Enum(_) => ("string", false),
        ColumnType::OptionalText | ColumnType::OptionalZonedTimestamp => ("string", true),
        ColumnType::OptionalDouble => ("double", true),
        ColumnType::Decimal { .. } => ("bytes", false),
    };
    let _ = write!(out, r#"{{"type":"{kind}","optional":{optional}"#);
    match column.kind {
        ColumnType::Decimal { scale, precision } => {
            let _ = write!(
                out,
                concat!(
                    r#","name":"org.apache.kafka.connect.data.Decimal","version":1,"#,
                    r#""parameters":{{"scale":"{}","connect.decimal.precision":"{}"}}"#
                ),
                scale, precision
            );
        }
        ColumnType::Date => out.push_str(r#","name":"io.debezium.time.Date","version":1"#),
        ColumnType::OptionalZonedTimestamp => {
            out.push_str(r#","name":"io.debezium.time.ZonedTimestamp","version":1"#)
        }
        ColumnType::Enum(allowed) => {
            let _ = write!(
                out,
                r#","name":"io.debezium.data.Enum","version":1,"parameters":{{"allowed":"{allowed}"}}"#
            );
        }
        ColumnType::Int32Default(default) => {
            let _ = write!(out, r#","default":{default}"#);
        }
        _ => {}
    }
    let _ = write!(out, r#","field":"{}"}}"#, column.name);
}

/// `dbserver1.inventory.<table>`: the table's topic and the prefix of its schema names.
fn topic_of(table: &Table) -> String {
    format!("{SERVER}.{DATABASE}.{}", table.name)
}

/// The key schema: `struct{id}` named `<topic>.Key`.
fn key_schema(table: &Table) -> String {
    let mut out = String::from(r#"{"type":"struct","fields":["#);
    push_column_schema(&mut out, &table.columns[0]);
    let _ = write!(
        out,
        r#"],"optional":false,"name":"{}.Key"}}"#,
        topic_of(table)
    );
    out
}

/// The envelope schema named `<topic>.Envelope`, version 2.
fn envelope_schema(table: &Table) -> String {
    let topic = topic_of(table);
    let mut out = String::from(r#"{"type":"struct","fields":["#);
    for state in ["before", "after"] {
        out.push_str(r#"{"type":"struct","fields":["#);
        for (n, column) in table.columns.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            push_column_schema(&mut out, column);
        }
        let _ = write!(
            out,
            r#"],"optional":true,"name":"{topic}.Value","field":"{state}"}},"#
        );
    }
    let _ = write!(
        out,
        r#"{SOURCE_FIELD},{TRANSACTION_FIELD},{TAIL_FIELDS}],"optional":false,"name":"{topic}.Envelope","version":2}}"#
    );
    out
}

/// Appends a row's payload object.
fn push_row(out: &mut String, table: &Table, row: &[Cell]) {
    out.push('{');
    for (n, (column, cell)) in table.columns.iter().zip(row).enumerate() {
        if n > 0 {
            out.push(',');
        }
        push_json_str(out, column.name);
        out.push(':');
        match cell {
            Cell::Null => out.push_str("null"),
            Cell::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Cell::Text(s) => push_json_str(out, s),
            Cell::Double(x) => push_py_float(out, *x),
            Cell::Decimal(unscaled) => {
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(&*big_integer_bytes(i128::from(*unscaled)));
                push_json_str(out, &encoded);
            }
        }
    }
    out.push('}');
}

/// A table's generation state.
struct TableState {
    topic: String,
    key_schema: String,
    envelope_schema: String,
    next_id: i32,
    /// Rows that exist (inserted and not deleted): id and current state.
    live: Vec<(i32, Vec<Cell>)>,
    /// The next offset in the table's topic (one partition).
    offset: i64,
}

/// A transaction: its GTID, events left in it, its counters and the client thread.
struct Transaction {
    id: String,
    left: i64,
    total_order: i64,
    per_table: [i64; TABLES.len()],
    thread: i64,
}

/// What one change event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Read,
    Create,
    Update,
    Delete,
}

impl Op {
    fn code(self) -> &'static str {
        match self {
            Op::Read => "r",
            Op::Create => "c",
            Op::Update => "u",
            Op::Delete => "d",
        }
    }
}

/// The iterator behind [`generate_cdc`].
struct Generator {
    rng: PyRandom,
    tables: Vec<TableState>,
    /// Records still to emit.
    left: usize,
    /// Records emitted so far.
    emitted: usize,
    /// How many of the first records are snapshot reads.
    snapshot: usize,
    clock_ms: i64,
    pos: i64,
    gtid: i64,
    /// The current transaction (complete when no events are left in it).
    transaction: Transaction,
    /// The tombstone due after the delete just emitted.
    tombstone: Option<GeneratedRecord>,
}

impl Generator {
    fn new(config: &CdcConfig) -> Generator {
        Generator {
            rng: PyRandom::new(config.seed),
            tables: TABLES
                .iter()
                .map(|t| TableState {
                    topic: topic_of(t),
                    key_schema: key_schema(t),
                    envelope_schema: envelope_schema(t),
                    next_id: t.first_id,
                    live: Vec::new(),
                    offset: 0,
                })
                .collect(),
            left: config.records,
            emitted: 0,
            snapshot: config.records.div_ceil(SNAPSHOT_SHARE),
            clock_ms: START_MS,
            pos: SNAPSHOT_POS,
            gtid: 20,
            transaction: Transaction {
                id: String::new(),
                left: 0,
                total_order: 0,
                per_table: [0; TABLES.len()],
                thread: 0,
            },
            tombstone: None,
        }
    }

    /// The table of snapshot read `k` (tables in order, equal shares) and its `snapshot` marker.
    fn snapshot_read(&self, k: usize) -> (usize, &'static str) {
        let table_of = |k: usize| k * TABLES.len() / self.snapshot;
        let table = table_of(k);
        let marker = if k == 0 {
            "first"
        } else if k + 1 == self.snapshot {
            "last"
        } else if table_of(k - 1) != table {
            "first_in_data_collection"
        } else if table_of(k + 1) != table {
            "last_in_data_collection"
        } else {
            "true"
        };
        (table, marker)
    }

    /// A streamed event's table and operation (updates and deletes need a live row; a delete
    /// needs room for its tombstone).
    fn streamed(&mut self) -> (usize, Op) {
        let mut r = self.rng.random();
        let mut table = TABLES.len() - 1;
        for (t, spec) in TABLES.iter().enumerate() {
            if r < spec.share {
                table = t;
                break;
            }
            r -= spec.share;
        }
        let draw = self.rng.random();
        let op = if draw < CREATE_BELOW || self.tables[table].live.is_empty() {
            Op::Create
        } else if draw < UPDATE_BELOW || self.left < 2 {
            Op::Update
        } else {
            Op::Delete
        };
        (table, op)
    }

    /// A fresh row of `table` with key `id`.
    fn row(&mut self, table: usize, id: i32) -> Vec<Cell> {
        TABLES[table]
            .columns
            .iter()
            .map(|c| (c.draw)(&mut self.rng, id))
            .collect()
    }

    /// `row` with one non-key column drawn again until it differs (MySQL logs no row event
    /// for an update that changes nothing). Every column has several values, so this ends.
    fn changed(&mut self, table: usize, id: i32, row: &[Cell]) -> Vec<Cell> {
        let columns = TABLES[table].columns;
        let mut after = row.to_vec();
        while after == row {
            let at = self.rng.randint(1, columns.len() as i64 - 1) as usize;
            after[at] = (columns[at].draw)(&mut self.rng, id);
        }
        after
    }

    /// The next change event: the row states it carries, after updating the table.
    fn change(&mut self, table: usize, op: Op) -> (i32, Option<Vec<Cell>>, Option<Vec<Cell>>) {
        match op {
            Op::Read | Op::Create => {
                let id = self.tables[table].next_id;
                self.tables[table].next_id += 1;
                let row = self.row(table, id);
                self.tables[table].live.push((id, row.clone()));
                (id, None, Some(row))
            }
            Op::Update => {
                let live = self.tables[table].live.len();
                let at = self.rng.randint(0, live as i64 - 1) as usize;
                let id = self.tables[table].live[at].0;
                let before = self.tables[table].live[at].1.clone();
                let after = self.changed(table, id, &before);
                self.tables[table].live[at].1 = after.clone();
                (id, Some(before), Some(after))
            }
            Op::Delete => {
                let live = self.tables[table].live.len();
                let at = self.rng.randint(0, live as i64 - 1) as usize;
                let (id, before) = self.tables[table].live.swap_remove(at);
                (id, Some(before), None)
            }
        }
    }

    /// The `source` block and the `transaction` block of the next event (a snapshot read's
    /// `snapshot` marker, or a streamed event's GTID, binlog position and transaction).
    fn blocks(&mut self, table: usize, snapshot: Option<&str>) -> String {
        let source_ms = self.clock_ms / 1000 * 1000;
        let mut out = format!(
            r#""source":{{"version":"3.6.1.Final","connector":"mysql","name":"{SERVER}","ts_ms":{source_ms},"snapshot":"{}","db":"{DATABASE}","sequence":null,"ts_us":{},"ts_ns":{},"table":"{}","server_id":223344,"#,
            snapshot.unwrap_or("false"),
            source_ms * 1000,
            source_ms * 1_000_000,
            TABLES[table].name,
        );
        if snapshot.is_some() {
            let _ = write!(
                out,
                r#""gtid":null,"file":"mysql-bin.000003","pos":{SNAPSHOT_POS},"row":0,"thread":null,"query":null}},"transaction":null"#
            );
            return out;
        }
        self.advance_transaction(table);
        let tx = &self.transaction;
        let _ = write!(
            out,
            r#""gtid":"{}","file":"mysql-bin.000003","pos":{},"row":0,"thread":{},"query":null}},"transaction":{{"id":"{}","total_order":{},"data_collection_order":{}}}"#,
            tx.id, self.pos, tx.thread, tx.id, tx.total_order, tx.per_table[table]
        );
        out
    }

    /// Counts an event on `table` in the open transaction, opening one of 1–3 events (a new
    /// GTID) when the last one is complete; moves the binlog position on.
    fn advance_transaction(&mut self, table: usize) {
        if self.transaction.left == 0 {
            self.gtid += 1;
            self.pos += self.rng.randint(60, 120);
            let left = self.rng.randint(1, 3);
            let thread = self.rng.randint(5, 12);
            self.transaction = Transaction {
                id: format!("{SERVER_UUID}:{}", self.gtid),
                left,
                total_order: 0,
                per_table: [0; TABLES.len()],
                thread,
            };
        }
        self.pos += self.rng.randint(250, 800);
        let tx = &mut self.transaction;
        tx.left -= 1;
        tx.total_order += 1;
        tx.per_table[table] += 1;
    }

    /// The next change event record (a tombstone, if due after it, is kept for the next call).
    fn event(&mut self) -> GeneratedRecord {
        let k = self.emitted;
        let (table, op, marker) = if k < self.snapshot {
            let (table, marker) = self.snapshot_read(k);
            (table, Op::Read, Some(marker))
        } else {
            let (table, op) = self.streamed();
            (table, op, None)
        };
        self.clock_ms += self.rng.randint(1, 60);
        let (id, before, after) = self.change(table, op);
        let blocks = self.blocks(table, marker);
        let ts_ms = self.clock_ms + self.rng.randint(2, 40);
        let ts_us = ts_ms * 1000 + self.rng.randint(0, 999);
        let state = &mut self.tables[table];
        let mut value = String::with_capacity(state.envelope_schema.len() + 900);
        let _ = write!(
            value,
            r#"{{"schema":{},"payload":{{"before":"#,
            state.envelope_schema
        );
        for (n, row) in [before, after].iter().enumerate() {
            if n == 1 {
                value.push_str(r#","after":"#);
            }
            match row {
                Some(row) => push_row(&mut value, &TABLES[table], row),
                None => value.push_str("null"),
            }
        }
        let _ = write!(
            value,
            r#",{blocks},"op":"{}","ts_ms":{ts_ms},"ts_us":{ts_us},"ts_ns":{}}}}}"#,
            op.code(),
            ts_us * 1000
        );
        let record = GeneratedRecord {
            topic: state.topic.clone(),
            partition: 0,
            offset: state.offset,
            timestamp: ts_ms,
            key: format!(
                r#"{{"schema":{},"payload":{{"id":{id}}}}}"#,
                state.key_schema
            ),
            value: Some(value),
            headers: Vec::new(),
        };
        state.offset += 1;
        if op == Op::Delete {
            self.tombstone = Some(GeneratedRecord {
                offset: state.offset,
                value: None,
                ..record.clone()
            });
            state.offset += 1;
        }
        record
    }
}

impl Iterator for Generator {
    type Item = GeneratedRecord;

    fn next(&mut self) -> Option<GeneratedRecord> {
        if self.left == 0 {
            return None;
        }
        let record = match self.tombstone.take() {
            Some(tombstone) => tombstone,
            None => self.event(),
        };
        self.left -= 1;
        self.emitted += 1;
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::HashMap;

    fn records(n: usize, seed: u64) -> Vec<GeneratedRecord> {
        generate_cdc(&CdcConfig { records: n, seed }).collect()
    }

    fn json(text: &str) -> Value {
        serde_json::from_str(text).expect("generated JSON parses")
    }

    /// The field names of a struct schema.
    fn names(schema: &Value) -> Vec<&str> {
        schema["fields"]
            .as_array()
            .expect("struct fields")
            .iter()
            .map(|f| f["field"].as_str().expect("field name"))
            .collect()
    }

    #[test]
    fn counts_seeds_and_determinism() {
        let a = records(2_000, 1);
        assert_eq!(a.len(), 2_000);
        assert_eq!(a, records(2_000, 1));
        assert_ne!(a, records(2_000, 2));
        assert_eq!(records(0, 1).len(), 0);
        assert_eq!(records(1, 1).len(), 1);
    }

    #[test]
    fn envelopes_have_debeziums_shape() {
        for record in records(300, 3) {
            let key = json(&record.key);
            let table = record.topic.rsplit('.').next().expect("table");
            assert!(record.topic.starts_with("dbserver1.inventory."));
            assert_eq!(key["schema"]["name"], format!("{}.Key", record.topic));
            assert_eq!(names(&key["schema"]), ["id"]);
            let Some(value) = &record.value else { continue };
            let value = json(value);
            let schema = &value["schema"];
            assert_eq!(schema["name"], format!("{}.Envelope", record.topic));
            assert_eq!(schema["version"], 2);
            assert_eq!(
                names(schema),
                [
                    "before",
                    "after",
                    "source",
                    "transaction",
                    "op",
                    "ts_ms",
                    "ts_us",
                    "ts_ns"
                ]
            );
            for state in &schema["fields"].as_array().expect("fields")[..2] {
                assert_eq!(state["name"], format!("{}.Value", record.topic));
                assert_eq!(state["optional"], true);
            }
            let payload = &value["payload"];
            assert_eq!(payload["source"]["table"], table);
            assert_eq!(payload["source"]["connector"], "mysql");
            assert_eq!(payload["after"]["id"].is_null(), payload["op"] == "d");
            assert_eq!(
                payload["before"]["id"].is_null(),
                payload["op"] != "u" && payload["op"] != "d"
            );
            let id = &key["payload"]["id"];
            let state = if payload["op"] == "d" {
                "before"
            } else {
                "after"
            };
            assert_eq!(&payload[state]["id"], id);
            let streamed = payload["op"] != "r";
            assert_eq!(payload["transaction"].is_object(), streamed);
            assert_eq!(payload["source"]["gtid"].is_string(), streamed);
        }
    }

    #[test]
    fn ops_mix_and_tombstones_follow_their_deletes() {
        let all = records(20_000, 1);
        let mut ops: HashMap<String, usize> = HashMap::new();
        let mut tombstones = 0;
        for (n, record) in all.iter().enumerate() {
            let Some(value) = &record.value else {
                tombstones += 1;
                let delete = json(all[n - 1].value.as_deref().expect("a delete before"));
                assert_eq!(delete["payload"]["op"], "d");
                assert_eq!(all[n - 1].key, record.key);
                assert_eq!(all[n - 1].topic, record.topic);
                assert_eq!(all[n - 1].offset + 1, record.offset);
                continue;
            };
            let op = json(value)["payload"]["op"]
                .as_str()
                .expect("op")
                .to_owned();
            *ops.entry(op).or_default() += 1;
        }
        assert_eq!(ops["d"], tombstones);
        assert_eq!(ops["r"], 1_000);
        let share = |op: &str| ops[op] as f64 / all.len() as f64;
        assert!((0.50..0.58).contains(&share("c")), "{ops:?}");
        assert!((0.19..0.25).contains(&share("u")), "{ops:?}");
        assert!((0.07..0.12).contains(&share("d")), "{ops:?}");
        // A delete never comes last without its tombstone.
        for n in [2, 3, 57, 101] {
            let few = records(n, 5);
            let last = few.last().and_then(|r| r.value.as_deref()).map(json);
            assert!(last.is_none_or(|v| v["payload"]["op"] != "d"));
        }
    }

    #[test]
    fn updates_and_deletes_start_from_the_streamed_state() {
        let mut state: HashMap<(String, Value), Value> = HashMap::new();
        for record in records(5_000, 9) {
            let Some(value) = &record.value else { continue };
            let payload = &json(value)["payload"];
            let id = json(&record.key)["payload"]["id"].clone();
            let slot = (record.topic.clone(), id);
            match payload["op"].as_str() {
                Some("r" | "c") => assert!(state.insert(slot, payload["after"].clone()).is_none()),
                Some("u") => {
                    assert_eq!(state.get(&slot), Some(&payload["before"]));
                    assert_ne!(payload["before"], payload["after"]);
                    state.insert(slot, payload["after"].clone());
                }
                Some("d") => assert_eq!(state.remove(&slot).as_ref(), Some(&payload["before"])),
                other => panic!("unexpected op {other:?}"),
            }
        }
    }

    #[test]
    fn snapshot_markers_go_table_by_table() {
        let reads: Vec<(String, String)> = records(400, 1)
            .iter()
            .take(20)
            .map(|r| {
                let v = json(r.value.as_deref().expect("a read"));
                let source = &v["payload"]["source"];
                (
                    source["table"].as_str().expect("table").to_owned(),
                    source["snapshot"].as_str().expect("marker").to_owned(),
                )
            })
            .collect();
        let markers: Vec<&str> = reads.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(markers[0], "first");
        assert_eq!(markers[4], "last_in_data_collection");
        assert_eq!(markers[5], "first_in_data_collection");
        assert_eq!(markers[19], "last");
        assert_eq!(reads[0].0, "customers");
        assert_eq!(reads[19].0, "addresses");
    }

    #[test]
    fn utc_timestamps() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_735_689_600), "2025-01-01T00:00:00Z");
        assert_eq!(iso_utc(951_827_696), "2000-02-29T12:34:56Z");
        assert_eq!(iso_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn interchange_lines_write_tombstones_as_null() {
        let all = records(300, 1);
        let tombstone = all.iter().find(|r| r.value.is_none()).expect("a tombstone");
        let line = json(&tombstone.to_interchange_line());
        assert_eq!(line["value"], Value::Null);
        assert_eq!(line["key"], tombstone.key.as_str());
    }
}
