//! `agentctl delete`: stop a job.

use crate::JobArgs;
use crate::client::Client;
use crate::error::CliError;

/// Stops the job the flags name, and says so on stderr.
pub async fn delete(client: &Client, args: &JobArgs) -> Result<(), CliError> {
    let job = super::job(args)?;
    client.delete(&job).await?;
    eprintln!("deleted the job of {}", job.category);
    Ok(())
}
