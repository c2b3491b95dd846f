//! The agent traits: [`AsyncAgent`] (create, get, delete) and [`SyncAgent`]
//! (execute), and their object-safe forms that the registry and server use.
//!
//! `#[async_agent]` and `#[sync_agent]` implement these traits for you; write
//! them by hand only for agents that need something the macros do not offer.

use std::fmt;
use std::future::Future;
use std::time::SystemTime;

use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{AgentError, Connection, Resource, TaskContext};

/// What a task is matched to an agent by: the template's task type and
/// `task_type_version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskCategory {
    /// The task type, as `TaskTemplate.type` spells it.
    pub name: String,
    /// The task type version, as `TaskTemplate.task_type_version`.
    pub version: i32,
}

impl TaskCategory {
    /// A category of the given name and version.
    pub fn new(name: impl Into<String>, version: i32) -> Self {
        TaskCategory {
            name: name.into(),
            version,
        }
    }
}

impl fmt::Display for TaskCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (version {})", self.name, self.version)
    }
}

/// What `GetTaskMetrics` asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsQuery {
    /// The metric queries.
    pub queries: Vec<String>,
    /// Start of the time range.
    pub start_time: Option<SystemTime>,
    /// End of the time range.
    pub end_time: Option<SystemTime>,
    /// The resolution of the time series.
    pub step: Option<std::time::Duration>,
}

/// One metric of a job, as a JSON value (sent as a `google.protobuf.Struct`).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricResult {
    /// The metric's name.
    pub metric: String,
    /// Its data; must be a JSON object.
    pub data: serde_json::Value,
}

/// What `GetTaskLogs` asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogsQuery {
    /// How many lines to return at most (0: the agent decides).
    pub lines: u64,
    /// Where to continue from: the `next_token` of an earlier answer.
    pub token: String,
}

/// A page of a job's logs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskLogs {
    /// The log lines.
    pub lines: Vec<String>,
    /// The token to pass to read the next page, empty at the end.
    pub next_token: String,
}

/// An agent that starts a job on an outside system and is polled for it.
///
/// Propeller calls `create` once per task attempt, `get` about every 30 s
/// until the resource reaches a terminal phase, and `delete` on abort.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an async agent",
    label = "needs `#[async_agent(task_type = \"...\")]` on its impl block",
    note = "put `#[agent_core::async_agent(task_type = \"...\")]` on an `impl {Self}` block with `create`, `get` and `delete`"
)]
pub trait AsyncAgent: Send + Sync + 'static {
    /// What identifies a started job (a job id...): returned by `create`,
    /// handed back to `get` and `delete`, sent to Propeller as JSON.
    type Metadata: Serialize + DeserializeOwned + Send + 'static;

    /// The task category this agent serves.
    fn task_category(&self) -> TaskCategory;

    /// The agent's display name in `ListAgents`.
    fn name(&self) -> String {
        short_type_name::<Self>()
    }

    /// Whether repeated `CreateTask` calls for one task attempt are answered
    /// once (see [`crate::guard`]). On by default.
    fn idempotent(&self) -> bool {
        true
    }

    /// Starts the job.
    fn create(
        &self,
        task: TaskContext,
    ) -> impl Future<Output = Result<Self::Metadata, AgentError>> + Send;

    /// Reports the job's state. `connection` carries the secrets and
    /// configs Flyte 2 sends with the request (empty on Flyte 1).
    fn get(
        &self,
        metadata: Self::Metadata,
        connection: Connection,
    ) -> impl Future<Output = Result<Resource, AgentError>> + Send;

    /// Stops the job. Must succeed for a job that is already gone.
    /// `connection` is as for [`get`](AsyncAgent::get).
    fn delete(
        &self,
        metadata: Self::Metadata,
        connection: Connection,
    ) -> impl Future<Output = Result<(), AgentError>> + Send;

    /// Reports the job's metrics. Optional: answers `UNIMPLEMENTED` by default.
    fn get_metrics(
        &self,
        metadata: Self::Metadata,
        query: MetricsQuery,
    ) -> impl Future<Output = Result<Vec<MetricResult>, AgentError>> + Send {
        let _ = (metadata, query);
        async {
            Err(AgentError::unimplemented(
                "this agent does not report metrics",
            ))
        }
    }

    /// Reports the job's logs. Optional: answers `UNIMPLEMENTED` by default.
    fn get_logs(
        &self,
        metadata: Self::Metadata,
        query: LogsQuery,
    ) -> impl Future<Output = Result<TaskLogs, AgentError>> + Send {
        let _ = (metadata, query);
        async { Err(AgentError::unimplemented("this agent does not report logs")) }
    }

    /// Encodes metadata to the `resource_meta` bytes: JSON, as flytekit does.
    fn encode_metadata(metadata: &Self::Metadata) -> Result<Vec<u8>, AgentError> {
        serde_json::to_vec(metadata)
            .map_err(|e| AgentError::internal(format!("cannot encode resource metadata: {e}")))
    }

    /// Decodes the `resource_meta` bytes written by [`AsyncAgent::encode_metadata`].
    fn decode_metadata(bytes: &[u8]) -> Result<Self::Metadata, AgentError> {
        serde_json::from_slice(bytes).map_err(|e| {
            AgentError::invalid_argument(format!(
                "resource_meta: cannot decode as {} JSON: {e}",
                std::any::type_name::<Self::Metadata>()
            ))
        })
    }
}

/// An agent that runs a task to completion in one call (Flyte's `do`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sync agent",
    label = "needs `#[sync_agent(task_type = \"...\")]` on its impl block",
    note = "put `#[agent_core::sync_agent(task_type = \"...\")]` on an `impl {Self}` block with `execute`"
)]
pub trait SyncAgent: Send + Sync + 'static {
    /// The task category this agent serves.
    fn task_category(&self) -> TaskCategory;

    /// The agent's display name in `ListAgents`.
    fn name(&self) -> String {
        short_type_name::<Self>()
    }

    /// Whether duplicate in-flight calls for one task attempt run once. On by default.
    fn idempotent(&self) -> bool {
        true
    }

    /// Runs the task and answers its final state and outputs.
    fn execute(
        &self,
        task: TaskContext,
    ) -> impl Future<Output = Result<Resource, AgentError>> + Send;
}

fn short_type_name<T: ?Sized>() -> String {
    let full = std::any::type_name::<T>();
    let without_generics = full.split('<').next().unwrap_or(full);
    without_generics
        .rsplit("::")
        .next()
        .unwrap_or(without_generics)
        .to_string()
}

/// The object-safe form of [`AsyncAgent`], with metadata as encoded bytes.
/// Every `AsyncAgent` is one.
pub trait DynAsyncAgent: Send + Sync + 'static {
    /// See [`AsyncAgent::task_category`].
    fn task_category(&self) -> TaskCategory;
    /// See [`AsyncAgent::name`].
    fn name(&self) -> String;
    /// See [`AsyncAgent::idempotent`].
    fn idempotent(&self) -> bool;
    /// Starts the job and answers its encoded metadata. The task comes boxed:
    /// it is most of a kilobyte, and is unboxed only into the agent's own
    /// call.
    fn create(&self, task: Box<TaskContext>) -> BoxFuture<'_, Result<Vec<u8>, AgentError>>;
    /// Reports the state of the job with the encoded metadata.
    fn get<'a>(
        &'a self,
        metadata: &'a [u8],
        connection: Connection,
    ) -> BoxFuture<'a, Result<Resource, AgentError>>;
    /// Stops the job with the encoded metadata.
    fn delete<'a>(
        &'a self,
        metadata: &'a [u8],
        connection: Connection,
    ) -> BoxFuture<'a, Result<(), AgentError>>;
    /// Reports the metrics of the job with the encoded metadata.
    fn get_metrics<'a>(
        &'a self,
        metadata: &'a [u8],
        query: MetricsQuery,
    ) -> BoxFuture<'a, Result<Vec<MetricResult>, AgentError>>;
    /// Reports the logs of the job with the encoded metadata.
    fn get_logs<'a>(
        &'a self,
        metadata: &'a [u8],
        query: LogsQuery,
    ) -> BoxFuture<'a, Result<TaskLogs, AgentError>>;
}

impl<A: AsyncAgent> DynAsyncAgent for A {
    fn task_category(&self) -> TaskCategory {
        AsyncAgent::task_category(self)
    }

    fn name(&self) -> String {
        AsyncAgent::name(self)
    }

    fn idempotent(&self) -> bool {
        AsyncAgent::idempotent(self)
    }

    fn create(&self, task: Box<TaskContext>) -> BoxFuture<'_, Result<Vec<u8>, AgentError>> {
        Box::pin(async move {
            let metadata = AsyncAgent::create(self, *task).await?;
            A::encode_metadata(&metadata)
        })
    }

    fn get<'a>(
        &'a self,
        metadata: &'a [u8],
        connection: Connection,
    ) -> BoxFuture<'a, Result<Resource, AgentError>> {
        Box::pin(
            async move { AsyncAgent::get(self, A::decode_metadata(metadata)?, connection).await },
        )
    }

    fn delete<'a>(
        &'a self,
        metadata: &'a [u8],
        connection: Connection,
    ) -> BoxFuture<'a, Result<(), AgentError>> {
        Box::pin(async move {
            AsyncAgent::delete(self, A::decode_metadata(metadata)?, connection).await
        })
    }

    fn get_metrics<'a>(
        &'a self,
        metadata: &'a [u8],
        query: MetricsQuery,
    ) -> BoxFuture<'a, Result<Vec<MetricResult>, AgentError>> {
        Box::pin(async move {
            AsyncAgent::get_metrics(self, A::decode_metadata(metadata)?, query).await
        })
    }

    fn get_logs<'a>(
        &'a self,
        metadata: &'a [u8],
        query: LogsQuery,
    ) -> BoxFuture<'a, Result<TaskLogs, AgentError>> {
        Box::pin(
            async move { AsyncAgent::get_logs(self, A::decode_metadata(metadata)?, query).await },
        )
    }
}

/// The object-safe form of [`SyncAgent`]. Every `SyncAgent` is one.
pub trait DynSyncAgent: Send + Sync + 'static {
    /// See [`SyncAgent::task_category`].
    fn task_category(&self) -> TaskCategory;
    /// See [`SyncAgent::name`].
    fn name(&self) -> String;
    /// See [`SyncAgent::idempotent`].
    fn idempotent(&self) -> bool;
    /// Runs the task. As in [`DynAsyncAgent::create`], the task comes boxed.
    fn execute(&self, task: Box<TaskContext>) -> BoxFuture<'_, Result<Resource, AgentError>>;
}

impl<S: SyncAgent> DynSyncAgent for S {
    fn task_category(&self) -> TaskCategory {
        SyncAgent::task_category(self)
    }

    fn name(&self) -> String {
        SyncAgent::name(self)
    }

    fn idempotent(&self) -> bool {
        SyncAgent::idempotent(self)
    }

    fn execute(&self, task: Box<TaskContext>) -> BoxFuture<'_, Result<Resource, AgentError>> {
        Box::pin(async move { SyncAgent::execute(self, *task).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_name_is_the_bare_type_name() {
        struct BigQueryAgent;
        assert_eq!(short_type_name::<BigQueryAgent>(), "BigQueryAgent");
        assert_eq!(short_type_name::<Vec<u8>>(), "Vec");
    }
}
