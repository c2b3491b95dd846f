//! What a run prints: requests per second, latency percentiles and
//! failures, as text for people or one JSON object for scripts.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::load::Tally;

/// The figures of one run.
#[derive(Debug, Serialize)]
pub struct Report {
    /// `flyte1` or `flyte2`.
    pub protocol: String,
    /// The RPC (or `mixed`).
    pub rpc: String,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// HTTP/2 connections.
    pub connections: usize,
    /// Seconds from the first call to the last answer.
    pub elapsed_s: f64,
    /// Calls answered without error.
    pub requests: u64,
    /// Calls that failed.
    pub errors: u64,
    /// Failed calls by gRPC code (or other kind).
    pub error_kinds: BTreeMap<String, u64>,
    /// Answered calls per second.
    pub rps: f64,
    /// Latency percentiles of answered calls, in microseconds.
    pub latency_us: Latency,
}

/// Latency percentiles, in microseconds.
#[derive(Debug, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p99_9: u64,
    /// Slowest.
    pub max: u64,
    /// Mean.
    pub mean: f64,
}

impl Report {
    /// The report of `tally`, for a run described by the other arguments.
    pub fn new(
        protocol: &str,
        rpc: &str,
        concurrency: usize,
        connections: usize,
        tally: &Tally,
    ) -> Self {
        let latencies = tally.recorder.latencies();
        let requests = latencies.len();
        let elapsed_s = tally.elapsed.as_secs_f64();
        Report {
            protocol: protocol.to_owned(),
            rpc: rpc.to_owned(),
            concurrency,
            connections,
            elapsed_s,
            requests,
            errors: tally.recorder.errors().values().sum(),
            error_kinds: tally.recorder.errors().clone(),
            rps: if elapsed_s > 0.0 {
                requests as f64 / elapsed_s
            } else {
                0.0
            },
            latency_us: Latency {
                p50: latencies.value_at_quantile(0.5),
                p90: latencies.value_at_quantile(0.9),
                p99: latencies.value_at_quantile(0.99),
                p99_9: latencies.value_at_quantile(0.999),
                max: latencies.max(),
                mean: latencies.mean(),
            },
        }
    }

    /// The report as one line of JSON.
    pub fn json(&self) -> String {
        serde_json::to_string(self).expect("a report serializes")
    }

    /// The report as lines for people.
    pub fn text(&self) -> String {
        let l = &self.latency_us;
        let mut text = format!(
            "{} {} concurrency {} over {} connection(s), {:.2} s\n\
             requests: {} ({:.0} req/s), errors: {}\n\
             latency (µs): p50 {} p90 {} p99 {} p99.9 {} max {} mean {:.1}\n",
            self.protocol,
            self.rpc,
            self.concurrency,
            self.connections,
            self.elapsed_s,
            self.requests,
            self.rps,
            self.errors,
            l.p50,
            l.p90,
            l.p99,
            l.p99_9,
            l.max,
            l.mean,
        );
        for (kind, count) in &self.error_kinds {
            text.push_str(&format!("  {kind}: {count}\n"));
        }
        text
    }
}
