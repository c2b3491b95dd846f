//! `agentctl create`: start a job and print its resource metadata.

use crate::TaskArgs;
use crate::client::Client;
use crate::error::CliError;
use crate::{meta, output, task};

/// Starts the task the flags describe and prints its metadata as text, for
/// `get` and `delete` to take back with `--meta`.
pub async fn create(client: &Client, args: &TaskArgs) -> Result<(), CliError> {
    let task = task::from_args(args)?;
    let resource_meta = client.create(&task).await?;
    output::print(&meta::to_text(&resource_meta))
}
