//! `agentctl describe NAME`: one agent.

use crate::client::Client;
use crate::error::CliError;
use crate::output::{self, OutputFormat};

/// Prints the agent named `name`.
pub async fn describe(client: &Client, name: &str, format: OutputFormat) -> Result<(), CliError> {
    let agent = client.get_agent(name).await?;
    output::print(&output::agent(format, &agent))
}
