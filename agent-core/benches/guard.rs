//! The idempotency guard over the in-memory store: a fresh key (claim,
//! run, keep the answer) and a repeated one (answered from the store).

// `criterion_group!` defines a public function it cannot document.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use agent_core::guard::Guard;
use criterion::{Criterion, criterion_group, criterion_main};

fn guard(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let guard = Guard::default();
    let ttl = Duration::from_secs(3600);
    let next = AtomicU64::new(0);
    c.bench_function("guard/memory_fresh_key", |b| {
        b.to_async(&runtime).iter(|| {
            let key = format!(
                "create/bench/0/p/d/run-{}/n0/t/v/attempt-0",
                next.fetch_add(1, Ordering::Relaxed)
            );
            let guard = &guard;
            async move {
                guard
                    .once(key, ttl, async { Ok(br#"{"job_id":1}"#.to_vec()) })
                    .await
                    .unwrap()
            }
        })
    });
    runtime
        .block_on(guard.once("repeated".to_owned(), ttl, async { Ok(b"answer".to_vec()) }))
        .unwrap();
    c.bench_function("guard/memory_repeated_key", |b| {
        b.to_async(&runtime).iter(|| async {
            guard
                .once("repeated".to_owned(), ttl, async { Ok(Vec::new()) })
                .await
                .unwrap()
        })
    });
}

criterion_group!(benches, guard);
criterion_main!(benches);
