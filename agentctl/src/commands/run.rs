//! `agentctl run`: run a task to its end, as Propeller does, showing its
//! progress on stderr and printing its outputs on stdout. Ctrl-C or
//! `--timeout` deletes the job, and the run says so.

use std::future::Future;
use std::time::Duration;

use agent_core::dispatch::Job;
use agent_core::local::Progress;
use agent_core::local::progress::status_line;
use agent_core::proto::flyteidl::core::LiteralMap;
use agent_core::resource::ResourceParts;
use agent_core::storage::{self, Storage};
use agent_core::{Phase, TaskContext};
use prost::Message;

use crate::RunArgs;
use crate::client::Client;
use crate::error::{CliError, StopReason};
use crate::output::{self, OutputFormat};
use crate::{meta, task};

/// How many GetTask calls in a row may fail before the run gives up (and
/// deletes the job): Propeller's limit.
const MAX_FAILED_POLLS: usize = 5;

/// Runs the task the flags describe on the client `connect` answers, and
/// prints its outputs. The flags are checked before connecting.
pub async fn run(
    connect: impl Future<Output = Result<Client, CliError>>,
    args: &RunArgs,
    format: OutputFormat,
) -> Result<(), CliError> {
    let interval = seconds("--interval", args.interval)?;
    let timeout = args.timeout.map(|s| seconds("--timeout", s)).transpose()?;
    let task = task::from_args(&args.task)?;
    let output_prefix = task.output_prefix.clone();
    let timeout_secs = args.timeout.unwrap_or_default();
    let mut interrupts = Interrupts::listen()?;
    let deadline = async {
        match timeout {
            Some(timeout) => tokio::time::sleep(timeout).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);
    // Connecting and asking whether the agent is sync may each call
    // ListAgents (to find the server's protocol, and on Flyte 1 the
    // agent's kind): Ctrl-C and `--timeout` stop the run there too, before
    // anything is created.
    let category = task.task_category();
    let ready = async {
        let mut client = connect.await?;
        let sync = client.is_sync(&category).await?;
        Ok::<_, CliError>((client, sync))
    };
    let stopped_before = |reason| CliError::Stopped {
        reason,
        outcome: "no job was created: the server had not yet answered ListAgents".to_owned(),
    };
    let (client, sync) = tokio::select! {
        ready = ready => ready?,
        () = interrupts.next() => return Err(stopped_before(StopReason::Interrupted)),
        () = &mut deadline => return Err(stopped_before(StopReason::TimedOut(timeout_secs))),
    };
    let progress = Progress::auto();
    progress.start(task.task_type());
    let run = Run {
        client: &client,
        progress,
        task,
        interval,
        timeout_secs,
    };
    let outcome = if sync {
        run.execute(deadline, &mut interrupts).await
    } else {
        run.create_and_poll(deadline, &mut interrupts).await
    };
    let resource = outcome?;
    let outputs = finished_outputs(resource, &output_prefix).await?;
    output::print(&output::outputs(format, &outputs)?)
}

/// The outputs of a finished job: those it answered, else those it wrote to
/// `<output_prefix>/outputs.pb` for being too large to answer inline, where
/// Propeller reads them too.
async fn finished_outputs(
    resource: ResourceParts,
    output_prefix: &str,
) -> Result<LiteralMap, CliError> {
    if let Some(outputs) = resource.outputs {
        return Ok(outputs);
    }
    if output_prefix.is_empty() {
        return Ok(LiteralMap::default());
    }
    let uri = storage::join(output_prefix, "outputs.pb");
    let bytes = match Storage::default().read(&uri).await {
        Ok(bytes) => bytes,
        Err(error) if error.is_not_found() => return Ok(LiteralMap::default()),
        Err(error) => {
            return Err(CliError::Other(format!(
                "the job answered no outputs, and {uri} could not be read: {error}"
            )));
        }
    };
    LiteralMap::decode(bytes)
        .map_err(|error| CliError::Other(format!("{uri} does not hold a LiteralMap: {error}")))
}

/// `value` seconds of `flag` as a duration; it must be positive.
fn seconds(flag: &str, value: f64) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|duration| !duration.is_zero())
        .ok_or_else(|| {
            CliError::usage(format!("{flag} {value}: give a positive number of seconds"))
        })
}

/// The Ctrl-C presses of a run, from the moment it starts: one listener for
/// the whole run, so that none is missed between two waits.
struct Interrupts {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
    #[cfg(windows)]
    signal: tokio::signal::windows::CtrlC,
}

impl Interrupts {
    /// Starts listening.
    fn listen() -> Result<Self, CliError> {
        #[cfg(unix)]
        let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
        #[cfg(windows)]
        let signal = tokio::signal::windows::ctrl_c();
        let signal =
            signal.map_err(|e| CliError::Other(format!("cannot listen for Ctrl-C: {e}")))?;
        Ok(Interrupts { signal })
    }

    /// Resolves at the next Ctrl-C.
    async fn next(&mut self) {
        if self.signal.recv().await.is_none() {
            std::future::pending::<()>().await;
        }
    }
}

/// One run of a task.
struct Run<'a> {
    client: &'a Client,
    progress: Progress,
    task: TaskContext,
    interval: Duration,
    timeout_secs: f64,
}

impl Run<'_> {
    /// Runs a sync agent's task in one ExecuteTaskSync call.
    async fn execute(
        &self,
        deadline: impl Future<Output = ()>,
        interrupts: &mut Interrupts,
    ) -> Result<ResourceParts, CliError> {
        let nothing_to_delete = "a sync task has no job to delete";
        let answer = tokio::select! {
            answer = self.client.execute(&self.task) => answer,
            () = interrupts.next() => {
                return Err(self.stopped(StopReason::Interrupted, nothing_to_delete));
            }
            () = deadline => {
                return Err(self.stopped(self.timed_out(), nothing_to_delete));
            }
        };
        let resource = answer.inspect_err(|_| self.progress.finish("error"))?;
        if !resource.phase.is_terminal() {
            self.progress.finish("error");
            return Err(CliError::Other(format!(
                "the sync agent answered the phase {}, which is not final: a sync agent must \
                 finish its task in ExecuteTaskSync",
                resource.phase
            )));
        }
        self.finish(resource)
    }

    /// Creates the job, then polls it until it ends.
    async fn create_and_poll(
        &self,
        deadline: impl Future<Output = ()>,
        interrupts: &mut Interrupts,
    ) -> Result<ResourceParts, CliError> {
        tokio::pin!(deadline);
        let created = self.client.create(&self.task);
        tokio::pin!(created);
        let answer = tokio::select! {
            answer = &mut created => answer,
            () = interrupts.next() => {
                return Err(self.abandon(created, StopReason::Interrupted, interrupts).await);
            }
            () = &mut deadline => {
                return Err(self.abandon(created, self.timed_out(), interrupts).await);
            }
        };
        let resource_meta = answer.inspect_err(|_| self.progress.finish("error"))?;
        self.progress
            .note(&format!("created: {}", meta::to_text(&resource_meta)));
        let job = Job {
            category: self.task.task_category(),
            resource_meta,
            connection: self.task.connection.clone(),
            output_prefix: self.task.output_prefix.clone(),
        };
        let mut failed_polls = 0;
        loop {
            let polled = tokio::select! {
                polled = self.client.get(&job, &self.task.output_prefix) => polled,
                () = interrupts.next() => return Err(self.stop(&job, StopReason::Interrupted).await),
                () = &mut deadline => return Err(self.stop(&job, self.timed_out()).await),
            };
            match polled {
                Ok(resource) if resource.phase.is_terminal() => return self.finish(resource),
                Ok(resource) => {
                    failed_polls = 0;
                    self.progress.update(&resource);
                }
                Err(error) => {
                    failed_polls += 1;
                    if failed_polls == MAX_FAILED_POLLS {
                        self.progress.note(&format!(
                            "{MAX_FAILED_POLLS} GetTask calls in a row failed: deleting the job"
                        ));
                        let deleted = self.client.delete(&job).await;
                        self.progress.finish(&describe_deletion(&deleted));
                        return Err(error);
                    }
                    self.progress.note(&format!(
                        "{error} (try {failed_polls} of {MAX_FAILED_POLLS})"
                    ));
                }
            }
            tokio::select! {
                () = tokio::time::sleep(self.interval) => {}
                () = interrupts.next() => return Err(self.stop(&job, StopReason::Interrupted).await),
                () = &mut deadline => return Err(self.stop(&job, self.timed_out()).await),
            }
        }
    }

    /// The answer for a job that reached a final phase.
    fn finish(&self, resource: ResourceParts) -> Result<ResourceParts, CliError> {
        self.progress.update(&resource);
        self.progress.finish(&status_line(&resource));
        match resource.phase {
            Phase::Succeeded => Ok(resource),
            phase => Err(CliError::JobFailed {
                phase,
                message: resource.message,
            }),
        }
    }

    /// Stops the run for `reason` while CreateTask is in flight: waits for
    /// its answer (a second Ctrl-C stops waiting), then deletes the job it
    /// started, so that no job is left behind.
    async fn abandon(
        &self,
        created: impl Future<Output = Result<Vec<u8>, CliError>>,
        reason: StopReason,
        interrupts: &mut Interrupts,
    ) -> CliError {
        self.progress.note(&format!(
            "{reason} while the job was being created: waiting for CreateTask to answer, to \
             delete the job (Ctrl-C again to stop waiting)"
        ));
        tokio::select! {
            answer = created => match answer {
                Ok(resource_meta) => {
                    let job = Job {
                        category: self.task.task_category(),
                        resource_meta,
                        connection: self.task.connection.clone(),
                        output_prefix: self.task.output_prefix.clone(),
                    };
                    self.stop(&job, reason).await
                }
                Err(error) => self.stopped(
                    reason,
                    &format!("CreateTask failed, so no job was started: {error}"),
                ),
            },
            () = interrupts.next() => self.stopped(
                reason,
                "stopped waiting for CreateTask: the job it starts, if any, is not deleted",
            ),
        }
    }

    /// Deletes `job` because of `reason`, and says so.
    async fn stop(&self, job: &Job, reason: StopReason) -> CliError {
        self.progress.note(&format!("{reason}: deleting the job"));
        let deleted = self.client.delete(job).await;
        self.stopped(reason, &describe_deletion(&deleted))
    }

    fn stopped(&self, reason: StopReason, outcome: &str) -> CliError {
        self.progress.finish(outcome);
        CliError::Stopped {
            reason,
            outcome: outcome.to_owned(),
        }
    }

    fn timed_out(&self) -> StopReason {
        StopReason::TimedOut(self.timeout_secs)
    }
}

/// What became of a job a stopped run deleted.
fn describe_deletion(deleted: &Result<(), CliError>) -> String {
    match deleted {
        Ok(()) => "the job was deleted".to_owned(),
        Err(error) => format!("deleting the job failed: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_timeouts_are_positive_seconds() {
        assert_eq!(
            seconds("--interval", 0.25).unwrap(),
            Duration::from_millis(250)
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let error = seconds("--timeout", bad).unwrap_err().to_string();
            assert!(
                error.contains("give a positive number of seconds"),
                "{error}"
            );
        }
    }
}
