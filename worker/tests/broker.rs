//! weir-worker against a real Apache Kafka 4.4 broker (single-node KRaft on 127.0.0.1, started
//! and stopped through scripts/kafka-broker by each test, each on its own port).

mod support;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use support::{
    count_by_header, generated, produce, read, scratch, worker_keys, Broker, TestRecord,
    WorkerProcess,
};

/// The chain of ../shared/bench's chain1_schemaless: InsertField, ReplaceField, MaskField, Filter
/// (audit.* dropped) and RegexRouter (shop.X → prod-X).
fn chain1() -> String {
    std::fs::read_to_string(support::root().join("examples/chain1_schemaless.properties")).unwrap()
}

const INPUTS: &str = "shop.orders,shop.payments,audit.orders";
const PARTITIONS: i32 = 3;

fn create_chain1_topics(broker: &Broker) {
    for topic in [
        "shop.orders",
        "shop.payments",
        "audit.orders",
        "prod-orders",
        "prod-payments",
    ] {
        broker.create_topic(topic, PARTITIONS);
    }
}

/// The records of each output partition in order, without their offsets (which the output
/// topic assigns anew).
fn by_partition(records: &[TestRecord]) -> BTreeMap<(String, i32), Vec<TestRecord>> {
    let mut map: BTreeMap<(String, i32), Vec<TestRecord>> = BTreeMap::new();
    for r in records {
        map.entry((r.topic.clone(), r.partition))
            .or_default()
            .push(TestRecord {
                offset: 0,
                ..r.clone()
            });
    }
    map
}

/// What `smtbench apply` writes for `inputs` under `config`, read back as records.
fn smtbench_apply(dir: &std::path::Path, config: &str, inputs: &[TestRecord]) -> Vec<TestRecord> {
    let config_path = dir.join("apply.properties");
    let input = dir.join("apply-in.jsonl");
    let output = dir.join("apply-out.jsonl");
    std::fs::write(&config_path, config).unwrap();
    let lines: Vec<String> = inputs.iter().map(TestRecord::interchange_line).collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    weir_benches::apply::apply(&weir_benches::apply::ApplyArgs {
        config: config_path,
        input,
        output: output.clone(),
        dlq: None,
        verify: false,
        registry_seed: None,
        registry_dump: None,
    })
    .unwrap();
    std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(|line| {
            let r = weir_engine::interchange::parse_line(line).unwrap();
            TestRecord {
                topic: r.topic,
                partition: r.partition.unwrap(),
                offset: r.offset,
                timestamp: r.timestamp,
                key: r.key,
                value: r.value,
                headers: r.headers,
            }
        })
        .collect()
}

#[test]
fn records_in_equal_records_out_and_smtbench_apply() {
    let broker = Broker::start(19092);
    let dir = scratch("records-in-out");
    create_chain1_topics(&broker);
    // Produced before the worker starts: only auto.offset.reset=earliest (the worker's default,
    // as Connect's) reads them.
    produce(&broker.bootstrap(), &generated(3000, 0, PARTITIONS));
    let inputs = read(
        &broker.bootstrap(),
        &INPUTS.split(',').collect::<Vec<_>>(),
        Duration::from_secs(60),
        |r| r.len() >= 3000,
    );
    assert_eq!(inputs.len(), 3000);
    // Keys Connect ignores are ignored here too.
    let config = format!(
        "{}\nname=chain1\ntasks.max=3\nconnector.class=org.example.Ignored\nerrors.deadletterqueue.topic.replication.factor=3\n{}",
        chain1(),
        worker_keys(&broker, INPUTS, "chain1")
    );
    let mut worker = WorkerProcess::start(&dir, "worker", &config);
    let expected = smtbench_apply(&dir, &chain1(), &inputs);
    assert!(
        expected.len() > 2000,
        "the chain drops only the audit records"
    );
    let outputs = read(
        &broker.bootstrap(),
        &["prod-orders", "prod-payments"],
        Duration::from_secs(120),
        |r| r.len() >= expected.len(),
    );
    // Each output partition holds exactly smtbench apply's records for it, in order, with the
    // input's CreateTime, key, value and headers.
    assert_eq!(by_partition(&outputs), by_partition(&expected));
    // Every input is committed, dropped records included: the audit records, which produce no
    // output, may come in a batch after the last output, so wait for their commit (a busy machine
    // can take a while) before stopping the worker.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    for topic in INPUTS.split(',') {
        let end = broker.end_offsets(topic, PARTITIONS);
        while broker.committed("chain1", topic, PARTITIONS) != end {
            assert!(
                std::time::Instant::now() < deadline,
                "{topic}: committed {:?}, end {end:?}",
                broker.committed("chain1", topic, PARTITIONS)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    let (status, took) = worker.terminate();
    assert!(status.success(), "{status}: {}", worker.log_text());
    assert!(took < Duration::from_secs(10), "SIGTERM took {took:?}");
}

#[test]
fn a_bad_record_goes_to_the_dead_letter_topic_and_nothing_is_lost() {
    let broker = Broker::start(19093);
    let dir = scratch("dead-letters");
    broker.create_topic("in", 2);
    broker.create_topic("out", 2);
    let records: Vec<TestRecord> = (0..200)
        .map(|i| TestRecord {
            topic: "in".into(),
            partition: i % 2,
            offset: -1,
            timestamp: Some(1_700_000_000_000 + i as i64),
            key: Some(format!("\"k{i}\"").into_bytes()),
            value: Some(if i % 50 == 7 {
                format!("{{not json {i}").into_bytes()
            } else {
                format!("{{\"n\":{i}}}").into_bytes()
            }),
            headers: vec![
                ("id".into(), Some(i.to_string().into_bytes())),
                ("empty".into(), None),
            ],
        })
        .collect();
    produce(&broker.bootstrap(), &records);
    let config = format!(
        "key.converter=org.apache.kafka.connect.json.JsonConverter\nkey.converter.schemas.enable=false\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n\
         transforms=route\ntransforms.route.type=org.apache.kafka.connect.transforms.RegexRouter\n\
         transforms.route.regex=in\ntransforms.route.replacement=out\n\
         errors.tolerance=all\nerrors.deadletterqueue.topic.name=dlq\n\
         errors.deadletterqueue.context.headers.enable=true\n{}",
        worker_keys(&broker, "in", "dlq-test")
    );
    let mut worker = WorkerProcess::start(&dir, "worker", &config);
    let out = read(
        &broker.bootstrap(),
        &["out"],
        Duration::from_secs(90),
        |r| r.len() >= 196,
    );
    let dlq = read(
        &broker.bootstrap(),
        &["dlq"],
        Duration::from_secs(60),
        |r| r.len() >= 4,
    );
    let (status, _) = worker.terminate();
    assert!(status.success(), "{}", worker.log_text());
    assert_eq!(out.len(), 196);
    assert_eq!(dlq.len(), 4);
    for letter in &dlq {
        let id: usize = letter.header("id").unwrap().parse().unwrap();
        let original = &records[id];
        assert_eq!(letter.key, original.key);
        assert_eq!(letter.value, original.value);
        assert_eq!(letter.timestamp, original.timestamp);
        assert_eq!(&letter.headers[..2], &original.headers[..]);
        assert_eq!(
            letter.header("__connect.errors.topic").as_deref(),
            Some("in")
        );
        assert_eq!(
            letter.header("__connect.errors.partition"),
            Some(original.partition.to_string())
        );
        assert_eq!(
            letter.header("__connect.errors.stage").as_deref(),
            Some("VALUE_CONVERTER")
        );
        assert_eq!(
            letter.header("__connect.errors.class.name").as_deref(),
            Some("org.apache.kafka.connect.json.JsonConverter")
        );
        assert!(letter
            .header("__connect.errors.exception.message")
            .is_some());
    }
    // Nothing lost: every id is in the output or the dead letters, once.
    let mut ids: Vec<usize> = out
        .iter()
        .chain(&dlq)
        .map(|r| r.header("id").unwrap().parse().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..200).collect::<Vec<_>>());
    assert_eq!(
        broker.committed("dlq-test", "in", 2),
        broker.end_offsets("in", 2)
    );

    // errors.tolerance=none: the first bad record stops the worker (exit 2, the record named)
    // and nothing of its batch is committed, as a failed Connect task.
    let strict = config
        .replace("errors.tolerance=all", "errors.tolerance=none")
        .replace("group.id=dlq-test", "group.id=strict")
        .replace(
            "transforms.route.replacement=out",
            "transforms.route.replacement=out-strict",
        );
    let mut worker = WorkerProcess::start(&dir, "strict", &strict);
    let status = worker.wait(Duration::from_secs(60));
    assert_eq!(status.code(), Some(2), "{}", worker.log_text());
    assert!(
        worker.log_text().contains("errors.tolerance=none"),
        "{}",
        worker.log_text()
    );
    assert!(
        worker.log_text().contains("VALUE_CONVERTER"),
        "{}",
        worker.log_text()
    );
    assert_ne!(
        broker.committed("strict", "in", 2),
        broker.end_offsets("in", 2)
    );

    // consumer.* overrides reach the consumer: with auto.offset.reset=latest a new group skips
    // the 200 records already there and takes only what comes after it joined.
    broker.create_topic("out-latest", 2);
    let latest = config
        .replace(
            "transforms.route.replacement=out",
            "transforms.route.replacement=out-latest",
        )
        .replace("group.id=dlq-test", "group.id=latest")
        + "consumer.auto.offset.reset=latest\nproducer.compression.type=gzip\n";
    let mut worker = WorkerProcess::start(&dir, "latest", &latest);
    worker.wait_for_log("assignment after rebalance: [in-", Duration::from_secs(60));
    // The group's start position (latest) is resolved once the partitions are fetched.
    std::thread::sleep(Duration::from_secs(3));
    let later: Vec<TestRecord> = records[..10]
        .iter()
        .map(|r| TestRecord {
            value: Some(b"{\"later\":true}".to_vec()),
            ..r.clone()
        })
        .collect();
    produce(&broker.bootstrap(), &later);
    let out = read(
        &broker.bootstrap(),
        &["out-latest"],
        Duration::from_secs(60),
        |r| r.len() >= 10,
    );
    std::thread::sleep(Duration::from_secs(2));
    let (status, _) = worker.terminate();
    assert!(status.success(), "{}", worker.log_text());
    let out = read(
        &broker.bootstrap(),
        &["out-latest"],
        Duration::from_secs(5),
        |r| r.len() > out.len(),
    );
    assert_eq!(out.len(), 10);
    assert!(out
        .iter()
        .all(|r| r.value.as_deref() == Some(&b"{\"later\":true}"[..])));
}

/// Every generated input's trace-id appears in `outputs` at least once (audit records are
/// filtered by the chain, so only shop.* inputs count).
fn assert_every_input_once_or_more(inputs: &[TestRecord], outputs: &[TestRecord]) {
    let seen: HashSet<String> = outputs
        .iter()
        .filter_map(|r| r.header("trace-id"))
        .collect();
    let missing = inputs
        .iter()
        .filter(|r| r.topic != "audit.orders")
        .filter(|r| !seen.contains(&r.header("trace-id").unwrap()))
        .count();
    assert_eq!(missing, 0, "{missing} inputs never reached the output");
}

/// The output topics, read whole once everything is committed (read_committed), hold every
/// generated shop.* input exactly once.
fn assert_every_input_written_once(broker: &Broker, inputs: &[TestRecord]) {
    let outputs = read(
        &broker.bootstrap(),
        &["prod-orders", "prod-payments"],
        Duration::from_secs(10),
        |_| false,
    );
    assert_every_input_once_or_more(inputs, &outputs);
    let counts = count_by_header(&outputs, "trace-id");
    let duplicated = counts.values().filter(|&&n| n > 1).count();
    assert_eq!(
        duplicated, 0,
        "{duplicated} records were written more than once"
    );
    assert_eq!(outputs.len(), shop_records(inputs));
}

/// Waits (up to a minute) until the last assignment each of `a` and `b` logged is not empty.
fn wait_until_both_hold_partitions(a: &WorkerProcess, b: &WorkerProcess) {
    let holds_partitions = |w: &WorkerProcess| {
        w.log_text()
            .lines()
            .rev()
            .find(|l| l.contains("assignment after rebalance"))
            .is_some_and(|l| !l.contains("[]"))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !(holds_partitions(a) && holds_partitions(b)) {
        assert!(
            std::time::Instant::now() < deadline,
            "both workers never got partitions:\nA:\n{}\nB:\n{}",
            a.log_text(),
            b.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// chain1 with the worker keys for group `group`-`protocol` on `broker`.
fn group_config(broker: &Broker, protocol: &str, group: &str) -> String {
    format!(
        "{}\n{}consumer.group.protocol={protocol}\n",
        chain1(),
        worker_keys(broker, INPUTS, &format!("{group}-{protocol}"))
    )
}

fn shop_records(inputs: &[TestRecord]) -> usize {
    inputs.iter().filter(|r| r.topic != "audit.orders").count()
}

fn all_outputs(broker: &Broker, inputs: &[TestRecord], timeout: Duration) -> Vec<TestRecord> {
    let wanted: HashSet<String> = inputs
        .iter()
        .filter(|r| r.topic != "audit.orders")
        .filter_map(|r| r.header("trace-id"))
        .collect();
    read(
        &broker.bootstrap(),
        &["prod-orders", "prod-payments"],
        timeout,
        |records| {
            records.len() >= wanted.len()
                && records
                    .iter()
                    .filter_map(|r| r.header("trace-id"))
                    .collect::<HashSet<_>>()
                    .len()
                    >= wanted.len()
        },
    )
}

/// Waits until the output topics hold at least `n` records.
fn wait_for_outputs(broker: &Broker, n: usize) {
    let got = read(
        &broker.bootstrap(),
        &["prod-orders", "prod-payments"],
        Duration::from_secs(90),
        |r| r.len() >= n,
    );
    assert!(got.len() >= n, "only {} outputs", got.len());
}

#[test]
fn sigkill_mid_stream_then_restart_delivers_every_input_at_least_once() {
    let broker = Broker::start(19094);
    let dir = scratch("sigkill");
    create_chain1_topics(&broker);
    let inputs = generated(20_000, 0, PARTITIONS);
    produce(&broker.bootstrap(), &inputs);
    // Subscribed by regex here (topics.regex), by list elsewhere.
    let config = format!("{}\n{}", chain1(), worker_keys(&broker, INPUTS, "sigkill")).replace(
        &format!("topics={INPUTS}"),
        "topics.regex=(shop|audit)\\..*",
    );
    let mut worker = WorkerProcess::start(&dir, "first", &config);
    wait_for_outputs(&broker, 2000);
    worker.kill();
    let mut worker = WorkerProcess::start(&dir, "second", &config);
    let outputs = all_outputs(&broker, &inputs, Duration::from_secs(180));
    assert_every_input_once_or_more(&inputs, &outputs);
    let (status, _) = worker.terminate();
    assert!(status.success(), "{}", worker.log_text());
}

fn two_workers_split_partitions_and_survive_one_leaving(port: u16, protocol: &str) {
    let broker = Broker::start(port);
    let dir = scratch(&format!("two-workers-{port}"));
    create_chain1_topics(&broker);
    let config = group_config(&broker, protocol, "pair");
    let a = WorkerProcess::start(&dir, "a", &config);
    let mut b = WorkerProcess::start(&dir, "b", &config);
    wait_until_both_hold_partitions(&a, &b);
    let first = generated(3000, 0, PARTITIONS);
    produce(&broker.bootstrap(), &first);
    all_outputs(&broker, &first, Duration::from_secs(90));
    let (status, _) = b.terminate();
    assert!(status.success(), "{}", b.log_text());
    let second = generated(3000, 3000, PARTITIONS);
    produce(&broker.bootstrap(), &second);
    let all: Vec<TestRecord> = first.iter().chain(&second).cloned().collect();
    let outputs = all_outputs(&broker, &all, Duration::from_secs(120));
    assert_every_input_once_or_more(&all, &outputs);
}

#[test]
fn two_workers_split_partitions_and_survive_one_leaving_classic() {
    two_workers_split_partitions_and_survive_one_leaving(19095, "classic");
}

#[test]
fn two_workers_split_partitions_and_survive_one_leaving_consumer_protocol() {
    two_workers_split_partitions_and_survive_one_leaving(19096, "consumer");
}

/// A second worker joins while the first is mid-stream: the first commits the batch it has in
/// flight before giving partitions up, and lets go of records it polled from them, so the
/// rebalance writes no record twice (as a Connect sink task committing in
/// `onPartitionsRevoked`).
fn a_worker_joining_mid_stream_writes_no_record_twice(port: u16, protocol: &str, keys: &str) {
    let broker = Broker::start(port);
    let dir = scratch(&format!("joining-{port}"));
    create_chain1_topics(&broker);
    // Large batches: processing the next one takes longer than the rebalance, so a batch left
    // in flight through it would be committed too late (with the group's next generation).
    let config = format!("{}{keys}", group_config(&broker, protocol, "joining")).replace(
        "worker.batch.max.records=500",
        "worker.batch.max.records=5000",
    );
    let inputs = generated(40_000, 0, PARTITIONS);
    produce(&broker.bootstrap(), &inputs);
    let mut a = WorkerProcess::start(&dir, "a", &config);
    wait_for_outputs(&broker, 1000);
    let mut b = WorkerProcess::start(&dir, "b", &config);
    all_outputs(&broker, &inputs, Duration::from_secs(120));
    // The rebalance is over before either stops (else the first gives nothing up while running).
    wait_until_both_hold_partitions(&a, &b);
    for worker in [&mut a, &mut b] {
        let (status, _) = worker.terminate();
        assert!(status.success(), "{}", worker.log_text());
    }
    let log = a.log_text();
    let running = &log[..log.find("weir-worker stopped").unwrap_or(log.len())];
    assert!(
        running.contains("partitions revoked"),
        "the first worker gave no partition up while running:\n{log}"
    );
    assert_every_input_written_once(&broker, &inputs);
}

#[test]
fn a_worker_joining_mid_stream_writes_no_record_twice_classic() {
    // Heartbeats often enough for the first worker to hear of the rebalance mid-stream.
    a_worker_joining_mid_stream_writes_no_record_twice(
        19099,
        "classic",
        "consumer.heartbeat.interval.ms=50\n",
    );
}

#[test]
fn a_worker_joining_mid_stream_writes_no_record_twice_consumer_protocol() {
    a_worker_joining_mid_stream_writes_no_record_twice(19100, "consumer", "");
}

#[test]
fn broker_sigkilled_and_restarted_under_the_worker_loses_nothing() {
    let broker = Broker::start(19097);
    let dir = scratch("broker-restart");
    create_chain1_topics(&broker);
    let first = generated(5000, 0, PARTITIONS);
    produce(&broker.bootstrap(), &first);
    let config = format!("{}\n{}", chain1(), worker_keys(&broker, INPUTS, "restart"));
    let mut worker = WorkerProcess::start(&dir, "worker", &config);
    wait_for_outputs(&broker, 1000);
    broker.kill();
    std::thread::sleep(Duration::from_secs(2));
    broker.restart();
    let second = generated(2000, 5000, PARTITIONS);
    produce(&broker.bootstrap(), &second);
    let all: Vec<TestRecord> = first.iter().chain(&second).cloned().collect();
    let outputs = all_outputs(&broker, &all, Duration::from_secs(180));
    assert_every_input_once_or_more(&all, &outputs);
    let (status, _) = worker.terminate();
    assert!(status.success(), "{}", worker.log_text());
}

#[test]
fn exactly_once_survives_sigkill_with_each_record_once() {
    let broker = Broker::start(19098);
    let dir = scratch("exactly-once");
    create_chain1_topics(&broker);
    let inputs = generated(20_000, 0, PARTITIONS);
    produce(&broker.bootstrap(), &inputs);
    let config = format!(
        "{}\n{}exactly.once=true\n",
        chain1(),
        worker_keys(&broker, INPUTS, "eos")
    );
    let mut worker = WorkerProcess::start(&dir, "first", &config);
    wait_for_outputs(&broker, 2000);
    worker.kill();
    let mut worker = WorkerProcess::start(&dir, "second", &config);
    all_outputs(&broker, &inputs, Duration::from_secs(180));
    let (status, _) = worker.terminate();
    assert!(status.success(), "{}", worker.log_text());
    // Everything committed, read whole (read_committed): each record exactly once.
    assert_every_input_written_once(&broker, &inputs);
}
