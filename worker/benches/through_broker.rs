//! End-to-end records/s through a real Apache Kafka broker: weir-worker running the
//! ../shared/bench chains against a plain consume → produce loop without conversion, in the same
//! run, on the same data, with the same clients, batching and commits (the loop skips only the
//! pipeline). The worker within ~20% of the plain loop means the broker, not weir, is the limit.
//!
//! `cargo bench -p weir-worker --bench through_broker` (WEIR_BENCH_RECORDS, default 100000,
//! records per data set). Starts its own brokers (scripts/kafka-broker) on ports 19190 and 19191.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer};
use weir_benches::generator::Mode;
use weir_worker::batch::collect;
use weir_worker::clients::{self, Outgoing};
use weir_worker::config::WorkerConfig;
use weir_worker::run::Worker;

use support::{generated_in, produce, Broker};

const PARTITIONS: i32 = 6;
const INPUTS: &str = "shop.orders,shop.payments,audit.orders";

/// The worker keys around a chain: every input topic, a fresh group, output partitions by key
/// (chain2's TimestampRouter names topics the broker creates with one partition).
fn config(broker: &Broker, chain: &str, group: &str) -> WorkerConfig {
    let mut text =
        std::fs::read_to_string(support::root().join(format!("examples/{chain}.properties")))
            .unwrap();
    if !text.contains("RegexRouter") && !text.contains("TimestampRouter") {
        // A passthrough chain writes to the input topic; route it elsewhere, as a user would.
        text = text.replace("transforms=\n", "");
        text.push_str(
            "\ntransforms=route\ntransforms.route.type=org.apache.kafka.connect.transforms.RegexRouter\n\
             transforms.route.regex=(.*)\ntransforms.route.replacement=out-$1\n",
        );
    }
    text.push_str(&format!(
        "\nbootstrap.servers={}\ntopics={INPUTS}\ngroup.id={group}\nworker.output.partition=key\n",
        broker.bootstrap()
    ));
    WorkerConfig::from_properties_text(&text).unwrap()
}

/// Records/s of the timed part: from the end of the first batch (the group is joined) to the
/// last record.
fn rate(records: usize, first: usize, since: Instant) -> f64 {
    (records - first) as f64 / since.elapsed().as_secs_f64()
}

/// The plain loop: poll a batch, produce each record unchanged to `plain-<topic>`, wait for the
/// acknowledgements, commit.
fn plain(broker: &Broker, total: usize, group: &str) -> f64 {
    let config = config(broker, "passthrough_schemaless", group);
    let consumer = clients::consumer(&config.consumer, None).unwrap();
    let producer = clients::producer(&config.producer).unwrap();
    let topics: Vec<&str> = INPUTS.split(',').collect();
    consumer.subscribe(&topics).unwrap();
    let (mut done, mut first, mut since) = (0, 0, None);
    while done < total {
        let polled = collect(&consumer, config.batch_max_records, config.batch_max_wait);
        if polled.is_empty() {
            continue;
        }
        for batch in &polled.batches {
            for row in 0..batch.len() {
                let topic = format!("plain-{}", batch.topic(row));
                clients::send(
                    &producer,
                    Outgoing {
                        topic: &topic,
                        partition: None,
                        timestamp: batch.timestamp(row),
                        key: batch.key(row),
                        value: batch.value(row),
                        headers: batch.headers(row),
                    },
                )
                .unwrap();
            }
        }
        clients::flush(&producer).unwrap();
        consumer
            .commit(&polled.commit_offsets().unwrap(), CommitMode::Sync)
            .unwrap();
        done += polled.len();
        if since.is_none() {
            (first, since) = (done, Some(Instant::now()));
        }
    }
    rate(done, first, since.unwrap())
}

/// The worker on `chain`: its batches until every record is polled, then the last one settled.
/// The clock starts once the first batch is committed, as the plain loop's does.
fn worker(broker: &Broker, total: usize, chain: &str, group: &str) -> f64 {
    let mut worker = Worker::new(config(broker, chain, group)).unwrap();
    let mut first = 0;
    while first == 0 {
        first = worker.run_batch().unwrap();
    }
    worker.settle().unwrap();
    let (since, mut polled) = (Instant::now(), first);
    while polled < total {
        polled += worker.run_batch().unwrap();
    }
    worker.settle().unwrap();
    assert_eq!(worker.counters().records_in as usize, polled);
    rate(polled, first, since)
}

fn main() {
    let records: usize = std::env::var("WEIR_BENCH_RECORDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    println!("records/s through one Kafka 4.4 broker (127.0.0.1), {records} records per data set");
    println!(
        "{:<24} {:>12} {:>12} {:>8}",
        "chain", "plain loop", "weir-worker", "ratio"
    );
    for (mode, port, chains) in [
        (
            Mode::Schemaless,
            19190,
            ["passthrough_schemaless", "chain1_schemaless"],
        ),
        (Mode::Schema, 19191, ["passthrough_schema", "chain2_schema"]),
    ] {
        let broker = Broker::start(port);
        for topic in INPUTS.split(',') {
            broker.create_topic(topic, PARTITIONS);
        }
        produce(
            &broker.bootstrap(),
            &generated_in(mode, records, 0, PARTITIONS),
        );
        // Interleaved: plain, chain, plain, chain; each side's best.
        for chain in chains {
            let mut best = (0.0f64, 0.0f64);
            for round in 0..2 {
                best.0 = best
                    .0
                    .max(plain(&broker, records, &format!("plain-{chain}-{round}")));
                best.1 = best.1.max(worker(
                    &broker,
                    records,
                    chain,
                    &format!("worker-{chain}-{round}"),
                ));
            }
            println!(
                "{chain:<24} {:>12.0} {:>12.0} {:>7.0}%",
                best.0,
                best.1,
                100.0 * best.1 / best.0
            );
        }
        drop(broker);
        std::thread::sleep(Duration::from_millis(100));
    }
}
