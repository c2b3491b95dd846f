//! Test agents: each one does something a test can observe.
//!
//! | task type | kind | behaviour |
//! |---|---|---|
//! | `echo_async` | async | create counts calls and returns a job holding input `x`; get succeeds with `o0 = 2x`; delete counts calls |
//! | `echo_async` v1 | async | the same at task type version 1, answering `o0 = 3x` |
//! | `slow_async` | async | create sleeps 200 ms (to overlap duplicates) |
//! | `fails` | async | create fails with "backend is down"; get answers a retryable failure |
//! | `panics` | async | every method panics |
//! | `with_logs` | async | answers metrics and logs |
//! | `echo_sync` | sync | execute counts calls, sleeps 100 ms, succeeds with `o0 = x + 1` |

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use agent_core::{
    AgentError, AsyncAgent, LogsQuery, MetricResult, MetricsQuery, Registry, RegistryBuilder,
    Resource, SyncAgent, TaskCategory, TaskContext, TaskLogs,
};
use serde::{Deserialize, Serialize};

/// How many times each counted method ran.
#[derive(Debug, Default)]
pub struct Calls {
    /// `create` calls of the echo and slow agents.
    pub create: AtomicUsize,
    /// `delete` calls of the echo agent.
    pub delete: AtomicUsize,
    /// `execute` calls of the sync echo agent.
    pub execute: AtomicUsize,
}

impl Calls {
    /// The count of one counter.
    pub fn of(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::SeqCst)
    }
}

/// The metadata of the echo agents' jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EchoJob {
    /// A job id, unique per create call.
    pub job_id: usize,
    /// The input `x`.
    pub x: i64,
}

/// Answers `o0 = factor * x` for input `x`.
pub struct EchoAsyncAgent {
    calls: Arc<Calls>,
    version: i32,
    factor: i64,
    delay: Duration,
    task_type: &'static str,
}

impl AsyncAgent for EchoAsyncAgent {
    type Metadata = EchoJob;

    fn task_category(&self) -> TaskCategory {
        TaskCategory::new(self.task_type, self.version)
    }

    fn name(&self) -> String {
        "Echo Agent".to_string()
    }

    async fn create(&self, task: TaskContext) -> Result<EchoJob, AgentError> {
        let x: i64 = task.input("x")?;
        let job_id = self.calls.create.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(self.delay).await;
        Ok(EchoJob { job_id, x })
    }

    async fn get(&self, job: EchoJob) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded()
            .message(format!("job {} done", job.job_id))
            .output("o0", self.factor * job.x))
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        self.calls.delete.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Fails to create anything.
pub struct FailingAgent;

impl AsyncAgent for FailingAgent {
    type Metadata = EchoJob;

    fn task_category(&self) -> TaskCategory {
        TaskCategory::new("fails", 0)
    }

    async fn create(&self, _task: TaskContext) -> Result<EchoJob, AgentError> {
        Err(AgentError::internal("backend is down"))
    }

    async fn get(&self, _job: EchoJob) -> Result<Resource, AgentError> {
        Ok(Resource::retryable_failure("backend is flaky"))
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        Ok(())
    }
}

/// Panics in every method.
pub struct PanickingAgent;

impl AsyncAgent for PanickingAgent {
    type Metadata = EchoJob;

    fn task_category(&self) -> TaskCategory {
        TaskCategory::new("panics", 0)
    }

    async fn create(&self, _task: TaskContext) -> Result<EchoJob, AgentError> {
        panic!("the secret token is hunter2")
    }

    async fn get(&self, _job: EchoJob) -> Result<Resource, AgentError> {
        panic!("get panicked")
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        panic!("delete panicked")
    }
}

/// Answers metrics and logs for any job.
pub struct LogsAgent;

impl AsyncAgent for LogsAgent {
    type Metadata = EchoJob;

    fn task_category(&self) -> TaskCategory {
        TaskCategory::new("with_logs", 0)
    }

    async fn create(&self, task: TaskContext) -> Result<EchoJob, AgentError> {
        Ok(EchoJob {
            job_id: 1,
            x: task.input("x")?,
        })
    }

    async fn get(&self, _job: EchoJob) -> Result<Resource, AgentError> {
        Ok(Resource::running())
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        Ok(())
    }

    async fn get_metrics(
        &self,
        job: EchoJob,
        query: MetricsQuery,
    ) -> Result<Vec<MetricResult>, AgentError> {
        Ok(query
            .queries
            .into_iter()
            .map(|metric| MetricResult {
                data: serde_json::json!({ "job": job.job_id, "value": job.x }),
                metric,
            })
            .collect())
    }

    async fn get_logs(&self, job: EchoJob, query: LogsQuery) -> Result<TaskLogs, AgentError> {
        let lines = (0..query.lines)
            .map(|i| format!("job {} line {i}", job.job_id))
            .collect();
        Ok(TaskLogs {
            lines,
            next_token: format!("after-{}", query.lines),
        })
    }
}

/// Answers `o0 = x + 1` for input `x`, after 100 ms.
pub struct EchoSyncAgent {
    calls: Arc<Calls>,
}

impl SyncAgent for EchoSyncAgent {
    fn task_category(&self) -> TaskCategory {
        TaskCategory::new("echo_sync", 0)
    }

    fn name(&self) -> String {
        "Echo Sync Agent".to_string()
    }

    async fn execute(&self, task: TaskContext) -> Result<Resource, AgentError> {
        let x: i64 = task.input("x")?;
        self.calls.execute.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(Resource::succeeded().output("o0", x + 1))
    }
}

/// Every test agent, counting into `calls`.
pub fn registry_builder(calls: Arc<Calls>) -> RegistryBuilder {
    let echo = |task_type, version, factor, delay| EchoAsyncAgent {
        calls: Arc::clone(&calls),
        version,
        factor,
        delay,
        task_type,
    };
    Registry::builder()
        .async_agent(echo("echo_async", 0, 2, Duration::ZERO))
        .async_agent(echo("echo_async", 1, 3, Duration::ZERO))
        .async_agent(echo("slow_async", 0, 2, Duration::from_millis(200)))
        .async_agent(FailingAgent)
        .async_agent(PanickingAgent)
        .async_agent(LogsAgent)
        .sync_agent(EchoSyncAgent {
            calls: Arc::clone(&calls),
        })
}

/// A registry of every test agent, counting into `calls`.
pub fn registry(calls: Arc<Calls>) -> Registry {
    registry_builder(calls)
        .build()
        .expect("the test agents have distinct categories")
}
