//! The deployable agent server: serves the example agents with the flags of
//! `pyflyte serve agent` (`--port`, `--prometheus-port`, `--worker`, `--timeout`).

use agent_core::Registry;
use agent_core::server::ServeError;
use agent_examples::file_sensor::FileSensorAgent;

#[tokio::main]
async fn main() -> Result<(), ServeError> {
    // The annotated agents (shell_job, http_call) register themselves; the
    // hand-written one is registered explicitly.
    agent_core::serve_cli_with(Registry::builder().async_agent(FileSensorAgent)).await
}
