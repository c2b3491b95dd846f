//! The deployable agent server: serves the example agents with the flags of
//! `pyflyte serve agent` (`--port`, `--prometheus-port`, `--worker`, `--timeout`).
//! The SQL query agent reads its databases from `SQL_QUERY_DATABASE` and
//! `SQL_QUERY_JOBS_DATABASE`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // The annotated agents register themselves; the others are registered
    // explicitly.
    let agents = match agent_examples::served_agents() {
        Ok(agents) => agents,
        Err(error) => return agent_examples::failed(&error),
    };
    match agent_core::serve_cli_with(agents).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => agent_examples::failed(&error),
    }
}
