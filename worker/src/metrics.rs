//! What a user watches: records in, out, dropped and dead-lettered, batch latency and consumer
//! lag — as `tracing` events (target `weir_worker::progress`) and, on a terminal, one line on
//! stderr redrawn in place.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// The worker's counters since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Records consumed and processed.
    pub records_in: u64,
    /// Records produced to the output topics.
    pub records_out: u64,
    /// Records a transform dropped.
    pub dropped: u64,
    /// Records that failed and went to the dead letters.
    pub dead_lettered: u64,
    /// Batches committed.
    pub batches: u64,
}

/// Counters plus the reporting schedule.
#[derive(Debug)]
pub struct Progress {
    counters: Counters,
    started: Instant,
    last_report: Instant,
    interval: Duration,
    terminal: bool,
    last_latency: Duration,
}

impl Progress {
    /// A reporter: a line on stderr every 500 ms when stderr is a terminal, else a `tracing`
    /// info event every 10 s.
    pub fn new() -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let now = Instant::now();
        Progress {
            counters: Counters::default(),
            started: now,
            last_report: now,
            interval: Duration::from_millis(if terminal { 500 } else { 10_000 }),
            terminal,
            last_latency: Duration::ZERO,
        }
    }

    /// The counters so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Counts one committed batch; `latency` is from its first poll to its commit.
    pub fn batch(&mut self, add: Counters, latency: Duration, lag: i64) {
        self.counters.records_in += add.records_in;
        self.counters.records_out += add.records_out;
        self.counters.dropped += add.dropped;
        self.counters.dead_lettered += add.dead_lettered;
        self.counters.batches += 1;
        self.last_latency = latency;
        tracing::debug!(
            target: "weir_worker::progress",
            records_in = add.records_in,
            records_out = add.records_out,
            dropped = add.dropped,
            dead_lettered = add.dead_lettered,
            latency_ms = latency.as_secs_f64() * 1e3,
            lag,
            "batch committed"
        );
        self.tick(lag);
    }

    /// Reports if the interval has passed.
    pub fn tick(&mut self, lag: i64) {
        if self.last_report.elapsed() >= self.interval {
            self.report(lag);
        }
    }

    /// Reports now.
    pub fn report(&mut self, lag: i64) {
        self.last_report = Instant::now();
        let c = self.counters;
        let rate = c.records_in as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        let latency_ms = self.last_latency.as_secs_f64() * 1e3;
        if self.terminal {
            let lag = if lag < 0 {
                "?".to_string()
            } else {
                lag.to_string()
            };
            let mut err = std::io::stderr().lock();
            // Progress is best effort: a closed stderr must not stop the worker.
            let _ = write!(
                err,
                "\r\x1b[2Kin {} out {} dropped {} dead-lettered {} | {rate:.0} rec/s | batch {latency_ms:.1} ms | lag {lag}",
                c.records_in, c.records_out, c.dropped, c.dead_lettered
            );
            let _ = err.flush();
        } else {
            tracing::info!(
                target: "weir_worker::progress",
                records_in = c.records_in,
                records_out = c.records_out,
                dropped = c.dropped,
                dead_lettered = c.dead_lettered,
                records_per_s = rate.round(),
                batch_latency_ms = latency_ms,
                lag,
                "progress"
            );
        }
    }

    /// Ends the terminal line (after a last report).
    pub fn finish(&mut self, lag: i64) {
        self.report(lag);
        if self.terminal {
            eprintln!();
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}
