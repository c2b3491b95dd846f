//! An async agent in the mould of flytekit's BigQuery agent, on SQLite: it
//! runs a task's SQL statement against a database file as a background job,
//! and is polled for it.
//!
//! The contract a flytekit task class writes against:
//!
//! - task type `sql_query`;
//! - the statement is the template's `sql.statement` (`flyteidl.core.Sql`),
//!   one statement; the task's inputs are bound as its named parameters
//!   (`:name` takes the input `name`: an integer, float, boolean, string
//!   or `None`);
//! - the database file is the template's `custom` field `database` (a
//!   string), or, when it names none, the agent's default database
//!   ([`SqlQueryConfig::database`], `SQL_QUERY_DATABASE` for the servers),
//!   or, when there is none either, a fresh in-memory database;
//! - the output is `results`: a list of rows, each a map of column to value
//!   (integer, float, string, `None` for NULL, a blob as its base64
//!   string), when there are at most [`SqlQueryConfig::inline_max_rows`]
//!   rows of at most [`SqlQueryConfig::inline_max_bytes`] bytes of values;
//!   otherwise a `StructuredDataset` of format `csv` (a header line, NULL
//!   as an empty field) at `<output_prefix>/results`, the file itself at
//!   `<output_prefix>/results/.csv` where flytekit's CSV decoder reads it.
//!   A statement that answers no columns (`INSERT`, `CREATE`...) answers no
//!   rows, and says how many it changed.
//!
//! `create` checks the statement (it must prepare, and each parameter must
//! name an input: otherwise `INVALID_ARGUMENT` with SQLite's message),
//! records a job in the agent's own jobs database
//! ([`SqlQueryConfig::jobs_database`]: a `jobs` table of id, state, message,
//! start and end times, and the outputs) and starts it; its metadata is the
//! job id. `get` reads the job's row: queued, running, succeeded with its
//! results, failed with SQLite's message, or aborted. `delete` marks it
//! cancelled and interrupts its statement: at once when this agent runs it,
//! at its next heartbeat (within 5 s) when another agent sharing the jobs
//! database does. Any number of jobs run at once, and every call reads the
//! jobs table, so a job is seen from any agent sharing that file, and after
//! a restart. A job that runs records a heartbeat every 5 s; one whose
//! heartbeat is 30 s old, its server having stopped, is answered as a
//! retryable failure.
//!
//! The caller chooses the database: any SQLite file the server may open,
//! read and write. `ATTACH` is refused, and a file that does not exist is
//! not created.

mod config;
mod jobs;
mod params;
mod results;
mod worker;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use agent_core::prelude::*;
use agent_core::proto::flyteidl::core::LiteralMap;
use agent_core::storage::Storage;
use prost::Message as _;
use rusqlite::limits::Limit;
use rusqlite::{Connection, OpenFlags};

pub use config::{
    DATABASE_ENV, DEFAULT_INLINE_MAX_BYTES, DEFAULT_INLINE_MAX_ROWS, JOBS_DATABASE_ENV,
    SqlQueryConfig,
};
use jobs::{JobState, JobStore};
use results::InlineLimits;
use worker::{Job, RunningJobs};

/// The name the jobs table gives a job's database when it is in memory.
const IN_MEMORY: &str = ":memory:";
/// How long a statement waits for another connection's lock on its database.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The template's `custom`, as the flytekit task class writes it.
#[derive(Debug, Default, Deserialize)]
struct SqlQueryTask {
    /// The database file to run against.
    database: Option<String>,
}

/// Identifies a started query: its row in the jobs table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqlJob {
    /// The job's id.
    pub job_id: i64,
}

/// Runs SQL statements against SQLite files, as background jobs.
pub struct SqlQueryAgent {
    config: SqlQueryConfig,
    jobs: Arc<JobStore>,
    running: Arc<RunningJobs>,
}

impl std::fmt::Debug for SqlQueryAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlQueryAgent")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The jobs database could not be opened.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot open the SQL query agent's jobs database {path} (set {JOBS_DATABASE_ENV}): {source}"
)]
pub struct JobsDatabaseError {
    path: String,
    source: rusqlite::Error,
}

impl SqlQueryAgent {
    /// An agent set up with `config`; opens (or creates) its jobs database.
    pub fn new(config: SqlQueryConfig) -> Result<Self, JobsDatabaseError> {
        let jobs = JobStore::open(&config.jobs_database).map_err(|source| JobsDatabaseError {
            path: config.jobs_database.display().to_string(),
            source,
        })?;
        Ok(SqlQueryAgent {
            config,
            jobs: Arc::new(jobs),
            running: Arc::default(),
        })
    }

    /// Opens the database a task names, refusing `ATTACH`.
    fn open(&self, task: &SqlQueryTask) -> Result<(String, Connection), AgentError> {
        let named = task.database.as_ref().filter(|path| !path.is_empty());
        let (name, connection) = match (named, &self.config.database) {
            (Some(path), _) => (
                path.clone(),
                open_file(Path::new(path)).map_err(|e| {
                    AgentError::invalid_argument(format!("template.custom.database: {path}: {e}"))
                })?,
            ),
            (None, Some(path)) => (
                path.display().to_string(),
                open_file(path).map_err(|e| {
                    AgentError::failed_precondition(format!(
                        "the default database {} ({DATABASE_ENV}): {e}",
                        path.display()
                    ))
                })?,
            ),
            (None, None) => (IN_MEMORY.to_string(), Connection::open_in_memory()?),
        };
        connection.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        Ok((name, connection))
    }

    fn record(&self, id: i64) -> Result<jobs::JobRecord, AgentError> {
        self.jobs
            .get(id)?
            .ok_or_else(|| AgentError::not_found(format!("no SQL query job {id}")))
    }
}

/// An existing database file, read-write, with no URI parameters.
fn open_file(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

#[async_agent(task_type = "sql_query", name = "SQL Query Agent", register = false)]
impl SqlQueryAgent {
    /// Checks the statement and its parameters, records the job and starts it.
    fn create(&self, task: TaskContext) -> Result<SqlJob, AgentError> {
        let statement = task
            .sql()
            .map(|sql| sql.statement.clone())
            .filter(|statement| !statement.trim().is_empty())
            .ok_or_else(|| {
                AgentError::invalid_argument("template.sql: the task carries no SQL statement")
            })?;
        let custom: SqlQueryTask = task.custom()?;
        let (database, connection) = self.open(&custom)?;
        let parameters = {
            let prepared = connection.prepare(&statement).map_err(|e| {
                AgentError::invalid_argument(format!("template.sql.statement: {e}"))
            })?;
            params::bind_inputs(&prepared, &task.inputs)?
        };
        let id = self
            .jobs
            .insert(&database, &statement, &task.output_prefix)?;
        let job = Job {
            id,
            connection,
            statement,
            parameters,
            output_prefix: task.output_prefix.clone(),
            storage: Storage::current(),
            limits: InlineLimits {
                rows: self.config.inline_max_rows,
                bytes: self.config.inline_max_bytes,
            },
        };
        worker::spawn(job, self.jobs.clone(), self.running.clone());
        Ok(SqlJob { job_id: id })
    }

    /// Reads the job's row.
    fn get(&self, job: SqlJob) -> Result<Resource, AgentError> {
        let record = self.record(job.job_id)?;
        let resource = match record.state {
            JobState::Queued => Resource::queued().message("queued"),
            JobState::Running => Resource::running().message(format!(
                "running since {}",
                record.started_at.as_deref().unwrap_or("now")
            )),
            JobState::Succeeded => {
                let outputs = record.outputs.as_deref().unwrap_or_default();
                let outputs = LiteralMap::decode(outputs).map_err(|e| {
                    AgentError::internal(format!("job {}: unreadable outputs: {e}", record.id))
                })?;
                Resource::succeeded()
                    .message(record.message)
                    .outputs(outputs)
            }
            JobState::Failed => Resource::failed(record.message),
            JobState::Cancelled => Resource::new(Phase::Aborted).message(record.message),
            JobState::Lost => Resource::retryable_failure(record.message),
        };
        let jobs_link = format!("file://{}", self.jobs.path().display());
        let resource = resource.log_link(format!("SQL query job {}", record.id), jobs_link);
        Ok(match record.results_uri {
            Some(uri) => resource.log_link("results (CSV)", uri),
            None => resource,
        })
    }

    /// Marks the job cancelled and interrupts its statement, at once when
    /// it runs here; an agent sharing the jobs database that runs it
    /// interrupts it at its next heartbeat.
    fn delete(&self, job: SqlJob) -> Result<(), AgentError> {
        self.jobs.cancel(job.job_id)?;
        self.running.cancel(job.job_id);
        Ok(())
    }
}
