//! Request dispatch: what the server does between decoding a request and
//! encoding its answer (registry lookup, worker slot, guard, the agent,
//! the metadata codec), for a trivial agent.

// `criterion_group!` defines a public function it cannot document.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use agent_core::context::ExecutionMetadata;
use agent_core::dispatch::{Dispatcher, Job};
use agent_core::literal::LiteralMapBuilder;
use agent_core::prelude::*;
use agent_core::proto::flyteidl::core;
use agent_core::{Connection, Registry, TaskCategory};
use criterion::{Criterion, criterion_group, criterion_main};

#[derive(Debug, Serialize, Deserialize)]
struct Ticket {
    id: u64,
}

/// Does no work.
#[derive(Default)]
struct Trivial;

#[async_agent(task_type = "trivial", register = false)]
impl Trivial {
    async fn create(&self, _task: TaskContext) -> Result<Ticket, AgentError> {
        Ok(Ticket { id: 1 })
    }

    async fn get(&self, _ticket: Ticket) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().output("o0", 1))
    }

    async fn delete(&self, _ticket: Ticket) -> Result<(), AgentError> {
        Ok(())
    }
}

/// [`Trivial`] with no idempotency guard.
#[derive(Default)]
struct Unguarded;

#[async_agent(task_type = "unguarded", idempotency = "off", register = false)]
impl Unguarded {
    async fn create(&self, _task: TaskContext) -> Result<Ticket, AgentError> {
        Ok(Ticket { id: 1 })
    }

    async fn get(&self, _ticket: Ticket) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().output("o0", 1))
    }

    async fn delete(&self, _ticket: Ticket) -> Result<(), AgentError> {
        Ok(())
    }
}

/// Does no work, in one call.
#[derive(Default)]
struct TrivialSync;

#[sync_agent(task_type = "trivial_sync", register = false)]
impl TrivialSync {
    async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().output("o0", 1))
    }
}

/// A task of `task_type` naming attempt 0 of execution `run`.
fn task(task_type: &str, run: u64) -> TaskContext {
    let template = core::TaskTemplate {
        r#type: task_type.to_owned(),
        ..Default::default()
    };
    let execution = ExecutionMetadata {
        task_execution_id: Some(core::TaskExecutionIdentifier {
            task_id: Some(core::Identifier {
                name: "bench.task".to_owned(),
                ..Default::default()
            }),
            node_execution_id: Some(core::NodeExecutionIdentifier {
                node_id: "n0".to_owned(),
                execution_id: Some(core::WorkflowExecutionIdentifier {
                    project: "p".to_owned(),
                    domain: "d".to_owned(),
                    name: format!("run-{run}"),
                    org: String::new(),
                }),
            }),
            retry_attempt: 0,
        }),
        ..Default::default()
    };
    TaskContext::new(template)
        .with_inputs(LiteralMapBuilder::new().with("x", 1).build().unwrap())
        .with_output_prefix("s3://bucket/out")
        .with_execution(execution)
}

fn dispatch(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let registry = Registry::builder()
        .async_agent(Trivial)
        .async_agent(Unguarded)
        .sync_agent(TrivialSync)
        .build()
        .unwrap();
    let dispatcher = Dispatcher::new(Arc::new(registry));
    let runs = AtomicU64::new(0);
    let fresh = || runs.fetch_add(1, Ordering::Relaxed);
    let job = Job {
        category: TaskCategory::new("trivial", 0),
        resource_meta: br#"{"id":1}"#.to_vec(),
        connection: Connection::default(),
        output_prefix: "s3://bucket/out".to_owned(),
    };
    // What is timed must succeed: a failing call would time the error path.
    runtime.block_on(async {
        dispatcher.create(task("trivial", fresh())).await.unwrap();
        dispatcher.create(task("unguarded", fresh())).await.unwrap();
        dispatcher
            .execute(task("trivial_sync", fresh()))
            .await
            .unwrap();
        dispatcher.get(job.clone()).await.unwrap();
    });

    for task_type in ["trivial", "unguarded"] {
        c.bench_function(&format!("dispatch/create_{task_type}"), |b| {
            b.to_async(&runtime)
                .iter(|| dispatcher.create(task(task_type, fresh())))
        });
    }
    c.bench_function("dispatch/execute_sync", |b| {
        b.to_async(&runtime)
            .iter(|| dispatcher.execute(task("trivial_sync", fresh())))
    });
    c.bench_function("dispatch/get", |b| {
        b.to_async(&runtime)
            .iter(|| dispatcher.get(black_box(job.clone())))
    });
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
