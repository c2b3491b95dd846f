//! Write Flyte agents in Rust.
//!
//! An agent is a gRPC service that FlytePropeller hands tasks to: an
//! [`AsyncAgent`] starts a job on an outside system and is polled for it, a
//! [`SyncAgent`] runs a task in one call. Put `#[async_agent]` or
//! `#[sync_agent]` on an `impl` block, and serve every agent in the binary
//! with [`serve_cli`].

extern crate self as agent_core;

pub mod agent;
pub mod connection;
pub mod context;
pub mod dispatch;
pub mod error;
pub mod guard;
pub mod limits;
pub mod literal;
pub mod local;
pub mod proto;
mod protobuf_struct;
pub mod registry;
pub mod resource;
pub mod seal;
pub mod secrets;
pub mod server;
pub mod storage;
pub mod testing;

/// The README's Rust examples, compiled as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use agent::{
    AsyncAgent, DynAsyncAgent, DynSyncAgent, LogsQuery, MetricResult, MetricsQuery, SyncAgent,
    TaskCategory, TaskLogs,
};
pub use connection::Connection;
pub use context::{ExecutionMetadata, TaskContext};
pub use error::{AgentError, ErrorKind};
pub use literal::{FromLiteral, IntoLiteral, LiteralError};
pub use registry::{Registry, RegistryBuilder, RegistryError};
pub use resource::{LogLink, Phase, Resource, ResourceParts};

pub use server::AgentServer;
pub use server::cli::{serve_cli, serve_cli_with};

/// Makes the type of an inherent `impl` block an [`AsyncAgent`]: an agent
/// that starts a job on an outside system in `create`, reports it in `get`
/// and stops it in `delete`.
///
/// ```
/// use agent_core::prelude::*;
///
/// #[derive(Debug, Serialize, Deserialize)]
/// pub struct QueryJob {
///     pub job_id: String,
/// }
///
/// #[derive(Default)]
/// pub struct BigQueryAgent;
///
/// #[async_agent(task_type = "bigquery")]
/// impl BigQueryAgent {
///     async fn create(&self, task: TaskContext) -> Result<QueryJob, AgentError> {
///         Ok(QueryJob { job_id: format!("job-for-{}", task.task_type()) })
///     }
///
///     async fn get(&self, job: QueryJob) -> Result<Resource, AgentError> {
///         Ok(Resource::succeeded().message(job.job_id))
///     }
///
///     async fn delete(&self, _job: QueryJob) -> Result<(), AgentError> {
///         Ok(())
///     }
/// }
///
/// let registry = agent_core::Registry::collected().unwrap();
/// assert!(registry.get(&TaskCategory::new("bigquery", 0)).is_ok());
/// ```
///
/// # Methods
///
/// The block keeps its methods as written, helpers included; the macro adds
/// the trait impl that calls them. Each takes `&self` (but for the metadata
/// codec) and returns `Result<_, AgentError>`; each may be an `async fn` or a
/// plain `fn` (run without stalling the async runtime, like flytekit's
/// `run_in_executor`).
///
/// | method | parameters after `&self` | returns |
/// | --- | --- | --- |
/// | `create` (required) | `TaskContext` | `Result<M, AgentError>`: `M` is the metadata, any serde type |
/// | `get` (required) | `M`, optionally `Connection` | `Result<Resource, AgentError>` |
/// | `delete` (required) | `M`, optionally `Connection` | `Result<(), AgentError>` |
/// | `get_metrics` | `M`, `MetricsQuery` | `Result<Vec<MetricResult>, AgentError>` |
/// | `get_logs` | `M`, `LogsQuery` | `Result<TaskLogs, AgentError>` |
/// | `encode_metadata` (a plain `fn`, no `self`) | `&M` | `Result<Vec<u8>, AgentError>` |
/// | `decode_metadata` (a plain `fn`, no `self`) | `&[u8]` | `Result<M, AgentError>` |
///
/// The metadata type `M` is read from `create`'s return type; it is sent to
/// Propeller as JSON and handed back to the other methods. To send it in
/// another format (compact, encrypted), write `encode_metadata` and
/// `decode_metadata`; they go together, since only one reads what the other
/// writes, so a block with one of them alone is refused.
///
/// `get` and `delete` may take a second parameter, the request's
/// [`Connection`]: the secrets and configs Flyte 2 sends with the request
/// (empty on Flyte 1). Leave it out when the agent does not need it.
///
/// ```
/// use agent_core::Connection;
/// use agent_core::prelude::*;
///
/// #[derive(Default)]
/// pub struct WarehouseAgent;
///
/// #[async_agent(task_type = "warehouse")]
/// impl WarehouseAgent {
///     async fn create(&self, _task: TaskContext) -> Result<String, AgentError> {
///         Ok("query-1".to_string())
///     }
///
///     async fn get(&self, query: String, connection: Connection) -> Result<Resource, AgentError> {
///         let region = connection.config("region").unwrap_or("us");
///         Ok(Resource::running().message(format!("{query} runs in {region}")))
///     }
///
///     async fn delete(&self, _query: String) -> Result<(), AgentError> {
///         Ok(())
///     }
/// }
/// ```
///
/// # Arguments
///
/// - `task_type = "..."` (required): the task type the agent serves.
/// - `version = N`: the task type version; 0 by default.
/// - `name = "..."`: the name `ListAgents` shows; the type's name by default.
/// - `init = path`: a `fn() -> Self` (`Self::new`) that builds the agent for
///   its registry entry; `Default` by default.
/// - `idempotency = "off"`: answer every `CreateTask` call by running
///   `create` again; by default (`"on"`) repeats for one task attempt start
///   one job.
/// - `register = false`: no registry entry; register the agent by hand with
///   `Registry::builder().async_agent(MyAgent::new(config))`. `Default` and
///   `init` are then not needed.
/// - `crate = "..."`: the path to this crate, when it is renamed in
///   `Cargo.toml`.
///
/// Mistakes (a missing or misspelt method, a wrong receiver, parameter or
/// return type, an unknown argument...) are reported together, each at the
/// token to fix.
pub use agent_macros::async_agent;

/// Makes the type of an inherent `impl` block a [`SyncAgent`]: an agent that
/// runs a task to completion in one call.
///
/// ```
/// use agent_core::prelude::*;
///
/// #[derive(Default)]
/// pub struct EchoAgent;
///
/// #[sync_agent(task_type = "echo", version = 1)]
/// impl EchoAgent {
///     async fn execute(&self, task: TaskContext) -> Result<Resource, AgentError> {
///         Ok(Resource::succeeded().message(task.task_type().to_string()))
///     }
/// }
/// ```
///
/// The one method is `execute(&self, task: TaskContext) -> Result<Resource,
/// AgentError>`, also accepted under Flyte's name `r#do` (`do` is a Rust
/// keyword). It may be an `async fn` or a plain `fn`. The arguments are
/// those of [`async_agent`].
pub use agent_macros::sync_agent;

/// Everything an agent's code needs: `use agent_core::prelude::*;`.
pub mod prelude {
    pub use crate::{
        AgentError, Connection, FromLiteral, IntoLiteral, Phase, Resource, TaskCategory,
        TaskContext, async_agent, sync_agent,
    };
    pub use serde::{Deserialize, Serialize};
}
