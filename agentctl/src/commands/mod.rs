//! One file per command; [`execute`] connects to the server and runs the
//! command the command line names.

mod create;
mod delete;
mod describe;
mod get;
mod list;
mod run;

use agent_core::TaskCategory;
use agent_core::dispatch::Job;

use crate::client::Client;
use crate::error::CliError;
use crate::output::OutputFormat;
use crate::{Cli, Command, JobArgs, channel, meta};

/// Runs the command of `cli` against its server.
pub async fn execute(cli: Cli) -> Result<(), CliError> {
    let format = OutputFormat::resolve(cli.output);
    let channel = channel::connect(&cli.addr, cli.tls_ca.as_deref())?;
    let connect = Client::connect(cli.addr, channel, cli.tls_ca.is_some(), cli.protocol);
    match cli.command {
        Command::List => list::list(&mut connect.await?, format).await,
        Command::Describe { name } => describe::describe(&connect.await?, &name, format).await,
        Command::Create(args) => create::create(&connect.await?, &args).await,
        Command::Get(args) => get::get(&connect.await?, &args, format).await,
        Command::Delete(args) => delete::delete(&connect.await?, &args).await,
        Command::Run(args) => run::run(connect, &args, format).await,
    }
}

/// The job `--task-type`, `--version` and `--meta` name.
fn job(args: &JobArgs) -> Result<Job, CliError> {
    Ok(Job {
        category: TaskCategory::new(args.task_type.clone(), args.version),
        resource_meta: meta::from_text(&args.meta)?,
        connection: Default::default(),
        output_prefix: String::new(),
    })
}
