//! The agent server of `agent-server`, serving the shell job agent as well:
//! any caller can then run any command on this machine, as the user the
//! server runs as. Serve it only where every caller may do that. Same flags
//! and environment as `agent-server`; jobs are kept under
//! `$TMPDIR/flyte-shell-jobs`.

use std::process::ExitCode;

use agent_examples::shell_job::ShellJobAgent;

#[tokio::main]
async fn main() -> ExitCode {
    // shell_job does not register itself (`register = false`): only this
    // binary serves it.
    let agents = match agent_examples::served_agents() {
        Ok(agents) => agents.async_agent(ShellJobAgent::default()),
        Err(error) => return agent_examples::failed(&error),
    };
    match agent_core::serve_cli_with(agents).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => agent_examples::failed(&error),
    }
}
