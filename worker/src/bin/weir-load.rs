//! `weir-load BOOTSTRAP RECORDS.jsonl`: produces interchange-format records (the format of
//! `smtbench` and ../shared/bench, one JSON object a line) to a Kafka broker, each to its topic
//! with its key, value, headers and timestamp; the partition is left to the producer's
//! partitioner (by key), so topics the broker creates with one partition take any record. For the
//! worker demo and for loading test data; waits until every record is acknowledged.

use std::io::{BufRead, BufReader};
use std::process::ExitCode;

use rdkafka::producer::Producer;
use weir_engine::interchange::parse_line;
use weir_worker::clients::{self, Outgoing};

fn load(bootstrap: &str, path: &str) -> Result<usize, String> {
    let settings = [
        ("bootstrap.servers".to_string(), bootstrap.to_string()),
        ("enable.idempotence".to_string(), "true".to_string()),
        ("linger.ms".to_string(), "5".to_string()),
    ];
    let producer =
        clients::producer(&settings).map_err(|e| format!("creating the producer: {e}"))?;
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut count = 0;
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{path}: line {}: {e}", index + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let record = parse_line(&line).map_err(|e| format!("{path}: {}", e.at_line(index + 1)))?;
        let raw = record.as_raw();
        clients::send(
            &producer,
            Outgoing {
                topic: raw.topic,
                partition: None,
                timestamp: raw.timestamp,
                key: raw.key,
                value: raw.value,
                headers: raw.headers.iter().copied(),
            },
        )
        .map_err(|e| format!("producing line {}: {e}", index + 1))?;
        count += 1;
    }
    clients::flush(&producer).map_err(|e| format!("waiting for acknowledgements: {e}"))?;
    if let Some((failed, error)) = producer.context().failures() {
        return Err(format!("{failed} records were not acknowledged: {error}"));
    }
    Ok(count)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bootstrap, path] = args.as_slice() else {
        eprintln!("usage: weir-load BOOTSTRAP RECORDS.jsonl");
        return ExitCode::from(1);
    };
    match load(bootstrap, path) {
        Ok(count) => {
            eprintln!("weir-load: {count} records written to {bootstrap}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("weir-load: {message}");
            ExitCode::from(2)
        }
    }
}
