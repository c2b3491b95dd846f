//! Write Flyte agents in Rust.
//!
//! An agent is a gRPC service that FlytePropeller hands tasks to: an
//! [`AsyncAgent`] starts a job on an outside system and is polled for it, a
//! [`SyncAgent`] runs a task in one call. Put `#[async_agent]` or
//! `#[sync_agent]` on an `impl` block, and serve every agent in the binary
//! with [`serve_cli`].

extern crate self as agent_core;

pub mod agent;
pub mod context;
pub mod error;
pub mod literal;
pub mod proto;
mod protobuf_struct;
pub mod registry;
pub mod resource;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use agent::{
    AsyncAgent, DynAsyncAgent, DynSyncAgent, LogsQuery, MetricResult, MetricsQuery, SyncAgent,
    TaskCategory, TaskLogs,
};
pub use context::TaskContext;
pub use error::{AgentError, ErrorKind};
pub use literal::{FromLiteral, IntoLiteral, LiteralError};
pub use registry::{Registry, RegistryBuilder, RegistryError};
pub use resource::{LogLink, Phase, Resource};
pub mod guard;
pub mod server;
pub mod testing;

pub use server::AgentServer;
pub use server::cli::{serve_cli, serve_cli_with};
