//! The deployable agent server: serves the example agents with the flags of
//! `pyflyte serve agent` (`--port`, `--prometheus-port`, `--worker`, `--timeout`).

use agent_core::Registry;
use agent_core::server::ServeError;
use agent_examples::{http_call::HttpCallAgent, shell_job::ShellJobAgent};

#[tokio::main]
async fn main() -> Result<(), ServeError> {
    let registry = Registry::builder()
        .async_agent(ShellJobAgent::default())
        .sync_agent(HttpCallAgent::default());
    agent_core::serve_cli_with(registry).await
}
