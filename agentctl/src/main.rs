//! `agentctl`: drives any Flyte agent server the way FlytePropeller does,
//! over Flyte 1 (`flyteidl.service`) or Flyte 2 (`flyteidl2.connector`): lists
//! its agents, creates, polls and deletes jobs, runs tasks to their end.
//!
//! This file holds the command line; `commands/` does each command.

mod channel;
mod client;
mod commands;
mod error;
mod inputs;
mod meta;
mod output;
mod task;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use client::ProtocolChoice;
use output::OutputFormat;

/// The server agentctl talks to when `--addr` is not given: where
/// `agent-server` and `pyflyte serve agent` listen by default.
const DEFAULT_ADDR: &str = "localhost:8000";

/// The help heading of the options every command takes.
const GLOBAL: &str = "Server and output (every command)";

/// Drive a Flyte agent server the way FlytePropeller does.
///
/// Works with any agent server, ours or flytekit's `pyflyte serve agent`,
/// over Flyte 1 (`flyteidl.service`: AsyncAgentService, SyncAgentService,
/// AgentMetadataService) or Flyte 2 (`flyteidl2.connector`:
/// AsyncConnectorService, ConnectorMetadataService).
#[derive(Debug, Parser)]
#[command(
    name = "agentctl",
    version,
    after_help = "Exit status: 0 on success; 1 on an error (the server, a call, an \
                  answer); 2 on a usage error (a flag, or its value: JSON that does not \
                  parse, an input of the wrong type, a file that cannot be read); 3 when \
                  `run`'s job ends FAILED, RETRYABLE_FAILED or ABORTED; 124 when `run` \
                  times out and 130 when it is interrupted (its job, if one was \
                  created, is deleted in both cases)."
)]
struct Cli {
    /// The agent server, as HOST:PORT (or a URI, http://HOST:PORT).
    #[arg(
        long,
        env = "AGENTCTL_ADDR",
        default_value = DEFAULT_ADDR,
        global = true,
        help_heading = GLOBAL
    )]
    addr: String,

    /// The protocol to speak: `flyte1`, `flyte2`, or `auto` to ask the
    /// server's metadata service (Flyte 1 first, Flyte 2 when Flyte 1 answers
    /// UNIMPLEMENTED).
    #[arg(
        long,
        env = "AGENTCTL_PROTOCOL",
        value_enum,
        default_value_t = ProtocolChoice::Auto,
        global = true,
        help_heading = GLOBAL
    )]
    protocol: ProtocolChoice,

    /// Connect with TLS, verifying the server's certificate with this CA
    /// (a PEM file). Without it, the connection is plaintext.
    #[arg(
        long,
        env = "AGENTCTL_TLS_CA",
        value_name = "FILE",
        global = true,
        help_heading = GLOBAL
    )]
    tls_ca: Option<PathBuf>,

    /// How to print results: `table` for people, `json` for programs.
    /// Default: `table` when stdout is a terminal, `json` otherwise.
    #[arg(
        long,
        short = 'o',
        env = "AGENTCTL_OUTPUT",
        value_enum,
        global = true,
        help_heading = GLOBAL
    )]
    output: Option<OutputFormat>,

    #[command(subcommand)]
    command: Command,
}

/// What agentctl does.
#[derive(Debug, Subcommand)]
enum Command {
    /// List the server's agents: their names, task categories (task type and
    /// version), and whether each is sync or async.
    List,

    /// Show one agent by its name (as `list` shows it).
    Describe {
        /// The agent's name.
        name: String,
    },

    /// Start a job (CreateTask) and print its resource metadata, to pass to
    /// `get` and `delete` with `--meta`.
    ///
    /// The metadata is printed as text when it is UTF-8 (agents write JSON),
    /// else as base64 after the prefix `base64:`.
    Create(TaskArgs),

    /// Report a job (GetTask): its phase, message, log links and outputs.
    Get(JobArgs),

    /// Stop a job (DeleteTask).
    Delete(JobArgs),

    /// Run a task to its end, as Propeller does, and print its outputs.
    ///
    /// An async agent's job is created, then polled until it ends, with its
    /// phase, message and log links shown on stderr; Ctrl-C or `--timeout`
    /// deletes the job. A sync agent (as ListAgents says) runs in one
    /// ExecuteTaskSync call on Flyte 1; Flyte 2 has no sync service, so
    /// there every agent is created, then polled.
    Run(RunArgs),
}

/// The task to start: what a template holds, given as flags, a template
/// file, or both (the flags win).
#[derive(Debug, Args)]
struct TaskArgs {
    /// The task type (the template's `type`).
    #[arg(long, value_name = "TYPE", required_unless_present = "template")]
    task_type: Option<String>,

    /// The task type version (`task_type_version`). Default: the template's,
    /// else 0.
    #[arg(long, value_name = "N")]
    version: Option<i32>,

    /// The inputs, as a JSON object of input names to values, or @FILE to
    /// read it from a file: '{"x": 3, "names": ["a"]}'.
    ///
    /// With --template, each value is converted to the type the template's
    /// interface declares (a datetime from an RFC 3339 string, a duration
    /// from seconds, a file or dataset from its URI, a dataclass from an
    /// object...). Without, an integer is sent as an integer, a number with
    /// a fraction as a float, an array as a collection, an object as an
    /// untyped dict (msgpack), and the template declares those types.
    #[arg(long, value_name = "JSON")]
    inputs: Option<String>,

    /// The template's `custom` (the plugin's configuration), as a JSON
    /// object or @FILE.
    #[arg(long, value_name = "JSON")]
    custom: Option<String>,

    /// A SQL statement, sent as the template's `sql` target.
    #[arg(long, value_name = "STATEMENT")]
    sql: Option<String>,

    /// A task template to start from: a serialized `flyteidl.core.TaskTemplate`
    /// in the binary protobuf encoding, as flytekit's `get_serializable`
    /// writes it (a `flyteidl.admin.TaskSpec`, as `pyflyte serialize` writes
    /// it, is read too). JSON templates are not read.
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,

    /// Where the task writes large outputs (`output_prefix`), as a URI.
    #[arg(long, value_name = "PREFIX")]
    output_prefix: Option<String>,
}

/// A job that `create` started.
#[derive(Debug, Args)]
struct JobArgs {
    /// The task type of the agent that started it.
    #[arg(long, value_name = "TYPE")]
    task_type: String,

    /// The task type version.
    #[arg(long, value_name = "N", default_value_t = 0)]
    version: i32,

    /// The resource metadata `create` printed: text, or `base64:` followed
    /// by base64 for metadata that is not UTF-8.
    #[arg(long, value_name = "META")]
    meta: String,
}

/// A task to run to its end.
#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    task: TaskArgs,

    /// Seconds between two GetTask polls (fractions allowed).
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    interval: f64,

    /// Stop after this many seconds, deleting the job. Default: no limit.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::execute(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            if let Some(hint) = error.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(error.exit_code())
        }
    }
}
