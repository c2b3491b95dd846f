//! Runs one job to its end on a blocking thread: marks it running, runs its
//! statement, writes large results under the task's output prefix, and
//! records how it ended.

use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::literal::{LiteralMapBuilder, StructuredDataset};
use agent_core::proto::flyteidl::core::Literal;
use agent_core::storage::{self, Storage};
use prost::Message as _;
use rusqlite::types::Value;
use rusqlite::{Connection, InterruptHandle, ToSql};
use tokio::runtime::Handle;

use super::jobs::{Finished, JobState, JobStore};
use super::results::{CollectError, Collector, InlineLimits, Results};

/// SQLite calls the progress handler every this many virtual machine steps.
const PROGRESS_STEPS: i32 = 1000;
/// How often a running job's heartbeat is recorded.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// A job being run in this process, as `delete` stops it.
pub struct RunningJob {
    interrupt: InterruptHandle,
    cancelled: Arc<AtomicBool>,
}

impl RunningJob {
    /// Stops the job: interrupts its statement now, and any it would start.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
        self.interrupt.interrupt();
    }
}

/// The jobs this process runs, by id.
#[derive(Default)]
pub struct RunningJobs(Mutex<HashMap<i64, RunningJob>>);

impl RunningJobs {
    /// Stops job `id` if this process runs it.
    pub fn cancel(&self, id: i64) {
        if let Some(job) = self.lock().get(&id) {
            job.cancel();
        }
    }

    fn is_running(&self, id: i64) -> bool {
        self.lock().contains_key(&id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, RunningJob>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A recorded job, ready to run.
pub struct Job {
    /// Its id in the jobs table.
    pub id: i64,
    /// The database it runs against, opened.
    pub connection: Connection,
    /// Its statement.
    pub statement: String,
    /// Its named parameters and their values.
    pub parameters: Vec<(String, Value)>,
    /// Where large results go.
    pub output_prefix: String,
    /// Through what they are written.
    pub storage: Storage,
    /// What is answered inline.
    pub limits: InlineLimits,
}

/// Starts `job` on a blocking thread; it stays in `running` until it ends.
pub fn spawn(job: Job, jobs: Arc<JobStore>, running: Arc<RunningJobs>) {
    let cancelled = Arc::new(AtomicBool::new(false));
    let id = job.id;
    running.lock().insert(
        id,
        RunningJob {
            interrupt: job.connection.get_interrupt_handle(),
            cancelled: cancelled.clone(),
        },
    );
    keep_alive(id, jobs.clone(), running.clone());
    let runtime = Handle::current();
    tokio::task::spawn_blocking(move || {
        match jobs.start(id) {
            Ok(true) => {
                let finished = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    execute(job, &cancelled, &runtime)
                }))
                .unwrap_or_else(|_| failed("the query's thread panicked".to_string()));
                if let Err(error) = jobs.finish(id, finished) {
                    tracing::warn!(job = id, %error, "cannot record how a SQL query job ended");
                }
            }
            Ok(false) => {} // cancelled before it started
            Err(error) => tracing::warn!(job = id, %error, "cannot start a SQL query job"),
        }
        running.lock().remove(&id);
    });
}

/// Records job `id`'s heartbeat every [`HEARTBEAT`] while it runs here, so
/// that a job whose process stopped is seen lost; stops the job once its row
/// has ended, so that a `delete` served by another agent sharing the jobs
/// database interrupts it too (within [`HEARTBEAT`]).
fn keep_alive(id: i64, jobs: Arc<JobStore>, running: Arc<RunningJobs>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(HEARTBEAT);
        ticks.tick().await; // the first tick is now: the row was just written
        loop {
            ticks.tick().await;
            if !running.is_running(id) {
                return;
            }
            let jobs = jobs.clone();
            match tokio::task::spawn_blocking(move || jobs.heartbeat(id)).await {
                Ok(Ok(true)) | Err(_) => {}
                Ok(Ok(false)) => {
                    running.cancel(id);
                    return;
                }
                Ok(Err(error)) => {
                    tracing::warn!(job = id, %error, "cannot record a SQL query job's heartbeat");
                }
            }
        }
    });
}

fn failed(message: String) -> Finished {
    Finished {
        state: JobState::Failed,
        message,
        outputs: None,
        results_uri: None,
    }
}

/// What a statement did.
enum Outcome {
    /// It answered no columns: it changed this many rows.
    Changed(usize),
    /// It answered rows.
    Rows(Results),
}

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
enum QueryError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Collect(#[from] CollectError),
    #[error("cannot write the results as CSV: {0}")]
    Csv(#[from] csv::Error),
}

fn execute(job: Job, cancelled: &Arc<AtomicBool>, runtime: &Handle) -> Finished {
    let flag = cancelled.clone();
    let interrupted = move || flag.load(Ordering::Relaxed);
    if let Err(error) = job
        .connection
        .progress_handler(PROGRESS_STEPS, Some(interrupted))
    {
        return failed(format!("cannot watch the query: {error}"));
    }
    let outcome = match query(&job) {
        Ok(outcome) => outcome,
        Err(error) => return failed(error.to_string()),
    };
    match outcome {
        Outcome::Changed(count) => succeed(
            format!("{count} rows changed"),
            Vec::<BTreeMap<String, Literal>>::new(),
            None,
        ),
        Outcome::Rows(Results::Inline(rows)) => succeed(format!("{} rows", rows.len()), rows, None),
        Outcome::Rows(Results::Csv { bytes, rows }) => {
            if job.output_prefix.is_empty() {
                return failed(format!(
                    "the results are {rows} rows, over the inline limits, and the request \
                     has no output prefix to write them under"
                ));
            }
            let uri = storage::join(&job.output_prefix, "results");
            // flytekit reads a CSV data frame at `<uri>/.csv`.
            let file = storage::join(&uri, ".csv");
            if let Err(error) = runtime.block_on(job.storage.write(&file, bytes.into())) {
                return failed(format!("cannot write the results: {error}"));
            }
            let message = format!("{rows} rows, written to {uri}");
            succeed(message, StructuredDataset::new(&uri, "csv"), Some(uri))
        }
    }
}

fn succeed(
    message: String,
    results: impl agent_core::IntoLiteral,
    uri: Option<String>,
) -> Finished {
    match LiteralMapBuilder::new().with("results", results).build() {
        Ok(outputs) => Finished {
            state: JobState::Succeeded,
            message,
            outputs: Some(outputs.encode_to_vec()),
            results_uri: uri,
        },
        Err(error) => failed(format!("cannot answer the results: {error}")),
    }
}

fn query(job: &Job) -> Result<Outcome, QueryError> {
    let mut statement = job.connection.prepare(&job.statement)?;
    let parameters: Vec<(&str, &dyn ToSql)> = job
        .parameters
        .iter()
        .map(|(name, value)| (name.as_str(), value as &dyn ToSql))
        .collect();
    let columns: Vec<String> = statement
        .column_names()
        .into_iter()
        .map(String::from)
        .collect();
    if columns.is_empty() {
        return Ok(Outcome::Changed(statement.execute(parameters.as_slice())?));
    }
    let width = columns.len();
    let mut collector = Collector::new(columns, job.limits);
    let mut rows = statement.query(parameters.as_slice())?;
    while let Some(row) = rows.next()? {
        let values = (0..width)
            .map(|index| row.get::<_, Value>(index))
            .collect::<Result<Vec<_>, _>>()?;
        collector.push(values)?;
    }
    Ok(Outcome::Rows(collector.finish()?))
}
