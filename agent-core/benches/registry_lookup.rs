//! Registry lookup: the agent of a request's task category, among a
//! server's worth of agents.

// `criterion_group!` defines a public function it cannot document.
#![allow(missing_docs)]

use std::hint::black_box;

use agent_core::prelude::*;
use agent_core::{AsyncAgent, Connection, Registry, TaskCategory};
use criterion::{Criterion, criterion_group, criterion_main};

/// An agent of any task type.
struct NamedAgent(String);

impl AsyncAgent for NamedAgent {
    type Metadata = u64;

    fn task_category(&self) -> TaskCategory {
        TaskCategory::new(self.0.clone(), 0)
    }

    async fn create(&self, _task: TaskContext) -> Result<u64, AgentError> {
        Ok(0)
    }

    async fn get(&self, _job: u64, _connection: Connection) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    async fn delete(&self, _job: u64, _connection: Connection) -> Result<(), AgentError> {
        Ok(())
    }
}

fn registry_lookup(c: &mut Criterion) {
    let registry = (0..32)
        .fold(Registry::builder(), |builder, i| {
            builder.async_agent(NamedAgent(format!("agent_{i}")))
        })
        .build()
        .unwrap();
    let known = TaskCategory::new("agent_17", 0);
    let unknown = TaskCategory::new("nobody", 0);
    c.bench_function("registry/get_known", |b| {
        b.iter(|| registry.get(black_box(&known)).is_ok())
    });
    c.bench_function("registry/get_unknown", |b| {
        b.iter(|| registry.get(black_box(&unknown)).is_err())
    });
}

criterion_group!(benches, registry_lookup);
criterion_main!(benches);
