//! `agentctl get`: report a job.

use crate::JobArgs;
use crate::client::Client;
use crate::error::CliError;
use crate::output::{self, OutputFormat};

/// Prints the phase, message, log links, outputs and custom info of the job
/// the flags name.
pub async fn get(client: &Client, args: &JobArgs, format: OutputFormat) -> Result<(), CliError> {
    let job = super::job(args)?;
    let resource = client.get(&job, "").await?;
    output::print(&output::resource(format, &resource)?)
}
