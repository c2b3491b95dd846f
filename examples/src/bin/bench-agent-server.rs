//! A server of two trivial agents that do no work, for benchmarks and
//! protocol tests: what they measure is the framework itself. Same flags as
//! `agent-server`.
//!
//! - `bench_async`: create answers a fresh job id; get answers SUCCEEDED
//!   with output `o0 = 1`; delete does nothing.
//! - `bench_async_unguarded`: `bench_async` with idempotency off, to
//!   measure what the guard costs a create.
//! - `bench_sync`: answers SUCCEEDED with output `o0 = 1`.

use std::sync::atomic::{AtomicU64, Ordering};

use agent_core::prelude::*;
use agent_core::server::ServeError;

/// A job of the async bench agent.
#[derive(Debug, Serialize, Deserialize)]
struct BenchJob {
    job_id: u64,
}

/// Answers at once, with a fresh job id per create.
#[derive(Default)]
struct BenchAsyncAgent {
    next_job_id: AtomicU64,
}

#[async_agent(task_type = "bench_async", name = "Bench Async Agent")]
impl BenchAsyncAgent {
    async fn create(&self, _task: TaskContext) -> Result<BenchJob, AgentError> {
        let job_id = self.next_job_id.fetch_add(1, Ordering::Relaxed);
        Ok(BenchJob { job_id })
    }

    async fn get(&self, _job: BenchJob) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().output("o0", 1))
    }

    async fn delete(&self, _job: BenchJob) -> Result<(), AgentError> {
        Ok(())
    }
}

/// [`BenchAsyncAgent`] without the idempotency guard.
#[derive(Default)]
struct BenchUnguardedAgent {
    next_job_id: AtomicU64,
}

#[async_agent(
    task_type = "bench_async_unguarded",
    name = "Bench Unguarded Agent",
    idempotency = "off"
)]
impl BenchUnguardedAgent {
    async fn create(&self, _task: TaskContext) -> Result<BenchJob, AgentError> {
        let job_id = self.next_job_id.fetch_add(1, Ordering::Relaxed);
        Ok(BenchJob { job_id })
    }

    async fn get(&self, _job: BenchJob) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().output("o0", 1))
    }

    async fn delete(&self, _job: BenchJob) -> Result<(), AgentError> {
        Ok(())
    }
}

/// Answers at once.
#[derive(Default)]
struct BenchSyncAgent;

#[sync_agent(task_type = "bench_sync", name = "Bench Sync Agent")]
impl BenchSyncAgent {
    async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().output("o0", 1))
    }
}

#[tokio::main]
async fn main() -> Result<(), ServeError> {
    agent_core::serve_cli().await
}
