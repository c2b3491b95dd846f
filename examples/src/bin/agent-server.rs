//! The deployable agent server: serves the example agents with the flags of
//! `pyflyte serve agent` (`--port`, `--prometheus-port`, `--worker`, `--timeout`).
//! The SQL query agent reads its databases from `SQL_QUERY_DATABASE` and
//! `SQL_QUERY_JOBS_DATABASE`.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The annotated agents register themselves; the others are registered
    // explicitly.
    agent_core::serve_cli_with(agent_examples::served_agents()?).await?;
    Ok(())
}
