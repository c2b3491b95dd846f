//! The request metrics every call records: a latency and a success
//! counter, looked up by task type and operation.

// `criterion_group!` defines a public function it cannot document.
#![allow(missing_docs)]

use std::time::Duration;

use agent_core::dispatch::Operation;
use agent_core::server::metrics::{DEFAULT_METRICS_PREFIX, Metrics};
use criterion::{Criterion, criterion_group, criterion_main};

fn metrics(c: &mut Criterion) {
    let served = (0..8).map(|i| format!("agent_{i}"));
    let metrics = Metrics::new(DEFAULT_METRICS_PREFIX, served).unwrap();
    c.bench_function("metrics/record_served", |b| {
        b.iter(|| metrics.record("agent_3", Operation::Get, Duration::from_micros(40), Ok(())))
    });
    c.bench_function("metrics/record_input_size", |b| {
        b.iter(|| metrics.record_input_size("agent_3", 120))
    });
}

criterion_group!(benches, metrics);
criterion_main!(benches);
