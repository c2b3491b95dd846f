//! Example Flyte agents, to copy from. `agent-server` serves every one but
//! `shell_job`; `shell-agent-server` serves them all.
//!
//! - [`sql_query::SqlQueryAgent`] (async, task type `sql_query`): runs a
//!   task's SQL statement against a SQLite file as a background job, in the
//!   mould of flytekit's BigQuery agent.
//! - [`chat_completion::ChatCompletionAgent`] (sync, task type
//!   `chat_completion`): sends a prompt to an OpenAI-compatible chat
//!   completions endpoint and answers the reply, in the mould of flytekit's
//!   OpenAI agent.
//! - [`http_call::HttpCallAgent`] (sync, task type `http_call`): calls an HTTP
//!   endpoint and answers its status and body.
//! - [`file_sensor::FileSensorAgent`] (async, task type `file_sensor`): waits
//!   for a file; written by hand against the `AsyncAgent` trait, the layer
//!   under the macros.
//! - [`shell_job::ShellJobAgent`] (async, task type `shell_job`): runs a shell
//!   script as a detached process and is polled for it. Any caller may run
//!   any command with it, so it is served only by the binary that says so.

pub mod chat_completion;
pub mod file_sensor;
pub mod http_call;
pub mod http_client;
pub mod shell_job;
pub mod sql_query;

use agent_core::RegistryBuilder;

use file_sensor::FileSensorAgent;
use sql_query::{JobsDatabaseError, SqlQueryAgent, SqlQueryConfig};

/// The agents `agent-server` registers by hand, the SQL query agent set up
/// from the environment ([`SqlQueryConfig::from_env`]). The annotated ones
/// (`chat_completion`, `http_call`) register themselves: `serve_cli_with` (or
/// `RegistryBuilder::collected`) adds them.
pub fn served_agents() -> Result<RegistryBuilder, JobsDatabaseError> {
    served_agents_with(SqlQueryConfig::from_env())
}

/// [`served_agents`], the SQL query agent set up with `sql_query`.
pub fn served_agents_with(sql_query: SqlQueryConfig) -> Result<RegistryBuilder, JobsDatabaseError> {
    Ok(agent_core::Registry::builder()
        .async_agent(FileSensorAgent)
        .async_agent(SqlQueryAgent::new(sql_query)?))
}

/// Reports why a server could not start or serve, on stderr, and answers
/// the exit status to end with.
pub fn failed(error: &dyn std::error::Error) -> std::process::ExitCode {
    eprintln!("error: {error}");
    std::process::ExitCode::FAILURE
}
