//! The agent server of `agent-server`, serving the shell job agent as well:
//! any caller can then run any command on this machine, as the user the
//! server runs as. Serve it only where every caller may do that. Same flags
//! as `agent-server`; jobs are kept under `$TMPDIR/flyte-shell-jobs`.

use agent_examples::shell_job::ShellJobAgent;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // shell_job does not register itself (`register = false`): only this
    // binary serves it.
    let agents = agent_examples::served_agents()?.async_agent(ShellJobAgent::default());
    agent_core::serve_cli_with(agents).await?;
    Ok(())
}
