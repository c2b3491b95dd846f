//! Run agents in this process, through the same core the servers use, with
//! no gRPC: to try an agent, in tests, in scripts.
//!
//! An async agent's job is created, polled (every second by default, as
//! flytekit does) until it ends, and its outputs answered; on Ctrl-C or a
//! timeout the job is deleted, and the run says so. A sync agent runs once.
//! Progress shows on stderr: a spinner on a terminal, plain lines elsewhere.
//! Offloaded inputs are read, and outputs too large to answer inline are
//! written to the task's output prefix and read back from there, as a
//! server would.
//!
//! ```no_run
//! use agent_core::local::LocalRunner;
//! use agent_core::literal::LiteralMapBuilder;
//! use agent_core::testing::task_template;
//! use agent_core::{Registry, TaskContext};
//! # #[derive(Default)] struct EchoAgent;
//! # #[agent_core::sync_agent(task_type = "echo", register = false)]
//! # impl EchoAgent {
//! #     async fn execute(&self, task: TaskContext) -> Result<agent_core::Resource, agent_core::AgentError> {
//! #         Ok(agent_core::Resource::succeeded().output("o0", task.input::<i64>("x")?))
//! #     }
//! # }
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let runner = LocalRunner::new(Registry::builder().sync_agent(EchoAgent).build()?);
//! let task = TaskContext::new(task_template("echo", serde_json::Value::Null))
//!     .with_inputs(LiteralMapBuilder::new().with("x", 7).build()?);
//! let outputs = runner.run(task).await?;
//! assert_eq!(outputs.get::<i64>("o0")?, 7);
//! # Ok(())
//! # }
//! ```

mod outputs;
pub mod progress;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use prost::Message;

use crate::dispatch::{Dispatcher, Job, Started};
use crate::proto::flyteidl::core;
use crate::resource::ResourceParts;
use crate::storage::Storage;
use crate::{AgentError, Phase, Registry, TaskContext};

pub use outputs::Outputs;
pub use progress::Progress;

/// How often a job is polled by default: every second, as flytekit's local
/// agent executor does.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Why a local run did not answer outputs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The agent answered an error (no agent for the task type, a bad
    /// input, a failing backend...).
    #[error("{0}")]
    Agent(AgentError),
    /// The job ended in a failed phase.
    #[error("the job ended {phase}: {message}")]
    Failed {
        /// `FAILED`, `RETRYABLE_FAILED` or `ABORTED`.
        phase: Phase,
        /// The job's last message.
        message: String,
    },
    /// The run was interrupted (Ctrl-C) or timed out, and its job deleted.
    #[error("{reason}; {}", describe_deletion(deleted))]
    Stopped {
        /// What stopped the run.
        reason: String,
        /// Whether the job was deleted: `None` when it had not started yet,
        /// else the outcome of `delete`.
        deleted: Option<Result<(), AgentError>>,
    },
}

fn describe_deletion(deleted: &Option<Result<(), AgentError>>) -> String {
    match deleted {
        None => "no job had started, so nothing was deleted".to_string(),
        Some(Ok(())) => "the job was deleted".to_string(),
        Some(Err(error)) => format!("deleting the job failed: {error}"),
    }
}

/// Runs tasks with the agents of a registry, in this process.
pub struct LocalRunner {
    dispatcher: Dispatcher,
    storage: Storage,
    poll_interval: Duration,
    timeout: Option<Duration>,
    progress: Progress,
}

impl LocalRunner {
    /// A runner for the agents of `registry`, polling every
    /// [`DEFAULT_POLL_INTERVAL`], with no timeout, [`Progress::auto`],
    /// [`Storage::default`] and the dispatcher's
    /// [`DEFAULT_MAX_INLINE_OUTPUT_BYTES`](crate::dispatch::DEFAULT_MAX_INLINE_OUTPUT_BYTES).
    pub fn new(registry: Registry) -> Self {
        LocalRunner {
            dispatcher: Dispatcher::new(Arc::new(registry)),
            storage: Storage::default(),
            poll_interval: DEFAULT_POLL_INTERVAL,
            timeout: None,
            progress: Progress::auto(),
        }
    }

    /// Polls a job every `interval`.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Stops a run (deleting its job) once it has taken `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Reads offloaded inputs and writes and reads back large outputs
    /// through `storage`, which is also [`Storage::current`] in agent calls.
    pub fn storage(mut self, storage: Storage) -> Self {
        self.dispatcher = self.dispatcher.storage(storage.clone());
        self.storage = storage;
        self
    }

    /// Writes terminal outputs that encode to more than `bytes` to
    /// `<output_prefix>/outputs.pb` (and reads them back from there), as a
    /// server would; with no output prefix they stay inline.
    pub fn max_inline_output_bytes(mut self, bytes: usize) -> Self {
        self.dispatcher = self.dispatcher.max_inline_output_bytes(bytes);
        self
    }

    /// Shows progress with `progress` ([`Progress::hidden`] for none).
    pub fn progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Runs `task` to its end and answers its outputs. Ctrl-C stops the run
    /// and deletes its job.
    pub async fn run(&self, task: TaskContext) -> Result<Outputs, RunError> {
        let ctrl_c = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        self.run_until(task, ctrl_c).await
    }

    /// Runs `task` like [`run`](Self::run), stopping it (and deleting its
    /// job) when `interrupt` resolves instead of on Ctrl-C.
    pub async fn run_until(
        &self,
        task: TaskContext,
        interrupt: impl Future<Output = ()>,
    ) -> Result<Outputs, RunError> {
        let task = with_local_execution_id(task);
        let category = task.task_category();
        let connection = task.connection.clone();
        let output_prefix = task.output_prefix.clone();
        self.progress.start(&category.name);
        let deadline = async {
            match self.timeout {
                Some(timeout) => tokio::time::sleep(timeout).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(interrupt, deadline);

        let started = tokio::select! {
            started = self.dispatcher.start(task) => started,
            () = &mut interrupt => return Err(self.stopped("interrupted while the job was starting", None)),
            () = &mut deadline => return Err(self.stopped(&self.timeout_reason(), None)),
        };
        let resource_meta = match started {
            Ok(Started::Finished(resource)) => return self.finish(resource).await,
            Ok(Started::Job(resource_meta)) => resource_meta,
            Err(error) => return Err(self.failed_call(error)),
        };
        let job = Job {
            category,
            resource_meta,
            connection,
            output_prefix,
        };
        loop {
            let polled = tokio::select! {
                polled = self.dispatcher.get(job.clone()) => polled,
                () = &mut interrupt => return Err(self.stop_job(job, "interrupted").await),
                () = &mut deadline => return Err(self.stop_job(job, &self.timeout_reason()).await),
            };
            let resource = polled.map_err(|error| self.failed_call(error))?;
            if resource.phase.is_terminal() {
                return self.finish(resource).await;
            }
            self.progress.update(&resource);
            tokio::select! {
                () = tokio::time::sleep(self.poll_interval) => {}
                () = &mut interrupt => return Err(self.stop_job(job, "interrupted").await),
                () = &mut deadline => return Err(self.stop_job(job, &self.timeout_reason()).await),
            }
        }
    }

    fn timeout_reason(&self) -> String {
        format!(
            "timed out after {:?}",
            self.timeout.unwrap_or(Duration::ZERO)
        )
    }

    /// Deletes `job` because of `reason`, and says so.
    async fn stop_job(&self, job: Job, reason: &str) -> RunError {
        self.progress.note(&format!("{reason}: deleting the job"));
        let deleted = self.dispatcher.delete(job).await;
        self.stopped(reason, Some(deleted))
    }

    fn stopped(&self, reason: &str, deleted: Option<Result<(), AgentError>>) -> RunError {
        let error = RunError::Stopped {
            reason: reason.to_string(),
            deleted,
        };
        self.progress.finish(&error.to_string());
        error
    }

    fn failed_call(&self, error: AgentError) -> RunError {
        self.progress.finish(&format!("error: {error}"));
        RunError::Agent(error)
    }

    /// The answer for a job that reached a terminal phase.
    async fn finish(&self, mut resource: ResourceParts) -> Result<Outputs, RunError> {
        self.progress.update(&resource);
        if resource.phase == Phase::Succeeded
            && let Some(uri) = resource.outputs_uri.take()
        {
            match self.read_outputs(&uri).await {
                Ok(outputs) => resource.outputs = Some(outputs),
                Err(error) => return Err(self.failed_call(error)),
            }
        }
        self.progress.finish(&progress::status_line(&resource));
        match resource.phase {
            Phase::Succeeded => Ok(Outputs::from(resource)),
            phase => Err(RunError::Failed {
                phase,
                message: resource.message,
            }),
        }
    }

    /// The outputs written to `uri` because they were too large to answer
    /// inline.
    async fn read_outputs(&self, uri: &str) -> Result<core::LiteralMap, AgentError> {
        let bytes = self.storage.read(uri).await.map_err(|error| {
            AgentError::internal(format!("reading back the task's outputs: {error}"))
        })?;
        core::LiteralMap::decode(bytes).map_err(|error| {
            AgentError::internal(format!(
                "{uri} does not hold a serialized flyteidl.core.LiteralMap: {error}"
            ))
        })
    }
}

/// Gives `task` a task execution id of its own when it has none, as
/// Propeller would: agents may name their jobs after it, and two runs of one
/// task are two executions.
fn with_local_execution_id(mut task: TaskContext) -> TaskContext {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    if task.execution.task_execution_id.is_none() {
        let started = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let run = RUNS.fetch_add(1, Ordering::Relaxed);
        task.execution.task_execution_id = Some(core::TaskExecutionIdentifier {
            task_id: Some(core::Identifier {
                resource_type: core::ResourceType::Task as i32,
                project: "local".into(),
                domain: "development".into(),
                name: task.template.r#type.clone(),
                ..Default::default()
            }),
            node_execution_id: Some(core::NodeExecutionIdentifier {
                node_id: "n0".into(),
                execution_id: Some(core::WorkflowExecutionIdentifier {
                    project: "local".into(),
                    domain: "development".into(),
                    name: format!("local-{started}-{run}"),
                    ..Default::default()
                }),
            }),
            retry_attempt: 0,
        });
    }
    task
}
