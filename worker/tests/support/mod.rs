//! What the broker tests share: a real Apache Kafka broker started and stopped through
//! `scripts/kafka-broker`, topics, a producer and a reader for test records, and the
//! `weir-worker` binary run as a child process.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A broker on 127.0.0.1:`port`, stopped when dropped.
pub struct Broker {
    pub port: u16,
    pub datadir: PathBuf,
}

fn script(args: &[&str]) -> Result<String, String> {
    let output = Command::new("bash")
        .arg(root().join("scripts/kafka-broker"))
        .args(args)
        .output()
        .map_err(|e| format!("running scripts/kafka-broker: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

impl Broker {
    /// Starts a fresh broker (its data dir under target/kafka-tests/) on `port`. Panics, saying
    /// what to install, when Java or Maven is missing: these tests never pass without a broker.
    pub fn start(port: u16) -> Broker {
        let datadir = root().join(format!("target/kafka-tests/broker-{port}"));
        // A broker left over from an interrupted run of this test is stopped first.
        if datadir.exists() {
            let _ = script(&["kill", datadir.to_str().unwrap()]);
            std::fs::remove_dir_all(&datadir).unwrap();
        }
        let broker = Broker { port, datadir };
        broker.run_start();
        broker
    }

    fn run_start(&self) {
        if let Err(message) = script(&[
            "start",
            &self.port.to_string(),
            self.datadir.to_str().unwrap(),
        ]) {
            panic!("the Kafka broker did not start (the broker tests need it: Java 17+ and Maven):\n{message}");
        }
    }

    /// `host:port`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// SIGKILLs the broker (its data stays).
    pub fn kill(&self) {
        script(&["kill", self.datadir.to_str().unwrap()]).unwrap();
    }

    /// Starts the broker again on the same data.
    pub fn restart(&self) {
        self.run_start();
    }

    /// Creates `name` with `partitions` partitions and `retention.ms=-1` (the test data carries
    /// timestamps from 2023, which the default retention would delete).
    pub fn create_topic(&self, name: &str, partitions: i32) {
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap())
            .create()
            .unwrap();
        let topic =
            NewTopic::new(name, partitions, TopicReplication::Fixed(1)).set("retention.ms", "-1");
        let results = futures_executor::block_on(admin.create_topics(
            [&topic],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        ))
        .unwrap();
        for result in results {
            result.unwrap_or_else(|(topic, e)| panic!("creating {topic}: {e}"));
        }
    }

    /// The committed offset of `group` on each partition of `topic` (-1001 when none).
    pub fn committed(&self, group: &str, topic: &str, partitions: i32) -> Vec<i64> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap())
            .set("group.id", group)
            .create()
            .unwrap();
        let mut list = TopicPartitionList::new();
        for p in 0..partitions {
            list.add_partition(topic, p);
        }
        let committed = consumer
            .committed_offsets(list, Duration::from_secs(30))
            .unwrap();
        (0..partitions)
            .map(|p| {
                committed
                    .find_partition(topic, p)
                    .map_or(-1001, |e| e.offset().to_raw().unwrap_or(-1001))
            })
            .collect()
    }

    /// The end offset of each partition of `topic`.
    pub fn end_offsets(&self, topic: &str, partitions: i32) -> Vec<i64> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap())
            .create()
            .unwrap();
        (0..partitions)
            .map(|p| {
                consumer
                    .fetch_watermarks(topic, p, Duration::from_secs(30))
                    .unwrap()
                    .1
            })
            .collect()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = script(&["stop", self.datadir.to_str().unwrap()]);
    }
}

/// A record as written to or read from Kafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl TestRecord {
    /// The value of header `name`, as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_ref())
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// The record as an interchange line (for `smtbench apply`).
    pub fn interchange_line(&self) -> String {
        let record = weir_engine::RawRecord {
            topic: &self.topic,
            partition: Some(self.partition),
            offset: self.offset,
            timestamp: self.timestamp,
            key: self.key.as_deref(),
            value: self.value.as_deref(),
            headers: self
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_deref()))
                .collect(),
        };
        let mut line = String::new();
        weir_engine::interchange::write_record(&record, &mut line);
        line
    }
}

/// Produces `records` (each to its topic and partition, with its timestamp) and waits for every
/// acknowledgement.
pub fn produce(bootstrap: &str, records: &[TestRecord]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .create()
        .unwrap();
    for r in records {
        let mut headers = OwnedHeaders::new();
        for (key, value) in &r.headers {
            headers = headers.insert(Header {
                key,
                value: value.as_deref(),
            });
        }
        let mut record: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(&r.topic)
            .partition(r.partition)
            .headers(headers);
        if let Some(t) = r.timestamp {
            record = record.timestamp(t);
        }
        if let Some(k) = &r.key {
            record = record.key(k);
        }
        if let Some(v) = &r.value {
            record = record.payload(v);
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(20));
                }
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(60)).unwrap();
}

/// `n` records from the benchmark generator (schemaless; topics shop.orders, shop.payments and
/// audit.orders), each on partition `index % partitions`, with the generator's timestamps from 2023.
pub fn generated(n: usize, start: usize, partitions: i32) -> Vec<TestRecord> {
    generated_in(
        weir_benches::generator::Mode::Schemaless,
        n,
        start,
        partitions,
    )
}

/// [`generated`] in either of the generator's modes.
pub fn generated_in(
    mode: weir_benches::generator::Mode,
    n: usize,
    start: usize,
    partitions: i32,
) -> Vec<TestRecord> {
    use weir_benches::generator::{generate, GeneratorConfig};
    generate(&GeneratorConfig {
        mode,
        records: n,
        start,
        // The seed drives the trace-id headers the tests identify records by.
        seed: 1 + start as u64,
        ..GeneratorConfig::default()
    })
    .enumerate()
    .map(|(i, g)| TestRecord {
        topic: g.topic,
        partition: ((start + i) as i32) % partitions,
        offset: -1,
        timestamp: Some(g.timestamp),
        key: Some(g.key.into_bytes()),
        value: g.value.map(String::into_bytes),
        headers: g
            .headers
            .into_iter()
            .map(|(n, v)| (n, Some(v.into_bytes())))
            .collect(),
    })
    .collect()
}

/// Reads every partition of `topics` from the beginning (read_committed) until `done` says the
/// records so far are enough, or `timeout` passes (then returns what it has).
pub fn read(
    bootstrap: &str,
    topics: &[&str],
    timeout: Duration,
    done: impl Fn(&[TestRecord]) -> bool,
) -> Vec<TestRecord> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "weir-test-reader")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    let deadline = Instant::now() + timeout;
    let mut list = TopicPartitionList::new();
    for topic in topics {
        // The topic may not exist yet (the worker creates its output topics by writing).
        let partitions = loop {
            let metadata = consumer
                .fetch_metadata(Some(topic), Duration::from_secs(10))
                .unwrap();
            let count = metadata.topics()[0].partitions().len();
            if count > 0 || Instant::now() > deadline {
                break count;
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        for p in 0..partitions as i32 {
            list.add_partition_offset(topic, p, Offset::Beginning)
                .unwrap();
        }
    }
    consumer.assign(&list).unwrap();
    let mut records = Vec::new();
    while !done(&records) && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => records.push(TestRecord {
                topic: m.topic().to_string(),
                partition: m.partition(),
                offset: m.offset(),
                timestamp: m.timestamp().to_millis(),
                key: m.key().map(<[u8]>::to_vec),
                value: m.payload().map(<[u8]>::to_vec),
                headers: m
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                            .collect()
                    })
                    .unwrap_or_default(),
            }),
            Some(Err(e)) => eprintln!("reader: {e}"),
            None => {}
        }
    }
    records
}

/// How many of `records` carry each value of header `name`.
pub fn count_by_header(records: &[TestRecord], name: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in records {
        if let Some(v) = r.header(name) {
            *counts.entry(v).or_insert(0) += 1;
        }
    }
    counts
}

/// A `weir-worker` child process; SIGKILLed when dropped if still running.
pub struct WorkerProcess {
    child: Child,
    pub log: PathBuf,
}

impl WorkerProcess {
    /// Writes `config` to `<dir>/<name>.properties` and starts the worker on it.
    pub fn start(dir: &Path, name: &str, config: &str) -> WorkerProcess {
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join(format!("{name}.properties"));
        std::fs::write(&path, config).unwrap();
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_weir-worker"))
            .arg(&path)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        WorkerProcess { child, log }
    }

    /// The worker's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `text`.
    pub fn wait_for_log(&self, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.log_text().contains(text) {
            assert!(
                Instant::now() < deadline,
                "worker log never said {text:?}:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends SIGTERM and waits for the exit; returns the status and how long it took.
    pub fn terminate(&mut self) -> (ExitStatus, Duration) {
        let started = Instant::now();
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let status = self.wait(Duration::from_secs(60));
        (status, started.elapsed())
    }

    /// SIGKILLs the worker.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Waits for the worker to exit by itself.
    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the worker did not exit:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The worker keys for a test: the broker, the subscription and the group.
pub fn worker_keys(broker: &Broker, topics: &str, group: &str) -> String {
    format!(
        "bootstrap.servers={}\ntopics={topics}\ngroup.id={group}\nworker.batch.max.records=500\n",
        broker.bootstrap()
    )
}

/// A test's scratch dir under target/.
pub fn scratch(name: &str) -> PathBuf {
    let dir = root().join(format!("target/kafka-tests/{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
