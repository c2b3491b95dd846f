//! `agentctl list`: the server's agents.

use crate::client::Client;
use crate::error::CliError;
use crate::output::{self, OutputFormat};

/// Prints the server's agents.
pub async fn list(client: &mut Client, format: OutputFormat) -> Result<(), CliError> {
    let agents = client.list_agents().await?;
    output::print(&output::agents(format, &agents))
}
