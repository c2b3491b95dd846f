//! The `jobs` table of the agent's own database: one row per query, its
//! state, message, times and, once it succeeded, its outputs. Every replica
//! and every call reads the jobs from there, not from memory.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

/// How long a write waits for another connection's lock on the jobs database.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    state         TEXT NOT NULL,
    message       TEXT NOT NULL DEFAULT '',
    database      TEXT NOT NULL,
    statement     TEXT NOT NULL,
    output_prefix TEXT NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    started_at    TEXT,
    finished_at   TEXT,
    heartbeat_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    outputs       BLOB,
    results_uri   TEXT
)";

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// A job that has not ended and whose heartbeat is older than this is lost:
/// the process running it stopped.
pub const LOST_AFTER: Duration = Duration::from_secs(30);

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Recorded, not started yet.
    Queued,
    /// Its statement runs.
    Running,
    /// Its statement ran; the row holds its outputs.
    Succeeded,
    /// Its statement failed; the message says why.
    Failed,
    /// Deleted before it ended.
    Cancelled,
    /// The process running it stopped before it ended.
    Lost,
}

impl JobState {
    /// The state as the `state` column holds it.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Lost => "lost",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Succeeded,
            JobState::Failed,
            JobState::Cancelled,
            JobState::Lost,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

/// One row of the `jobs` table.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    /// The job's id.
    pub id: i64,
    /// Where it is.
    pub state: JobState,
    /// What happened: the row count, SQLite's error...
    pub message: String,
    /// When it started running (UTC, ISO 8601), if it did.
    pub started_at: Option<String>,
    /// When it ended (UTC, ISO 8601), if it did.
    pub finished_at: Option<String>,
    /// Its outputs, a serialized `flyteidl.core.LiteralMap`, once it succeeded.
    pub outputs: Option<Vec<u8>>,
    /// Where its results were written, when they were too large to answer inline.
    pub results_uri: Option<String>,
}

/// How a job ended, as [`JobStore::finish`] records it.
#[derive(Debug)]
pub struct Finished {
    /// `Succeeded` or `Failed`.
    pub state: JobState,
    /// What happened.
    pub message: String,
    /// The serialized outputs of a job that succeeded.
    pub outputs: Option<Vec<u8>>,
    /// Where large results were written.
    pub results_uri: Option<String>,
}

/// The agent's jobs database.
#[derive(Debug)]
pub struct JobStore {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl JobStore {
    /// Opens (creating it if need be) the jobs database at `path`.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        // WAL lets `get` read while a job's row is written.
        connection.pragma_update(None, "journal_mode", "wal")?;
        connection.execute_batch(SCHEMA)?;
        Ok(JobStore {
            path: path.to_path_buf(),
            connection: Mutex::new(connection),
        })
    }

    /// The file of the jobs database.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable:
        // every change is one statement.
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a new queued job and answers its id.
    pub fn insert(
        &self,
        database: &str,
        statement: &str,
        output_prefix: &str,
    ) -> rusqlite::Result<i64> {
        let connection = self.connection();
        connection.execute(
            "INSERT INTO jobs (state, database, statement, output_prefix) VALUES (?1, ?2, ?3, ?4)",
            params![
                JobState::Queued.as_str(),
                database,
                statement,
                output_prefix
            ],
        )?;
        Ok(connection.last_insert_rowid())
    }

    /// Marks a queued job running; `false` when it is no longer queued
    /// (it was cancelled).
    pub fn start(&self, id: i64) -> rusqlite::Result<bool> {
        let changed = self.connection().execute(
            &format!("UPDATE jobs SET state = ?1, started_at = {NOW} WHERE id = ?2 AND state = ?3"),
            params![JobState::Running.as_str(), id, JobState::Queued.as_str()],
        )?;
        Ok(changed == 1)
    }

    /// Records how a running job ended; a job cancelled meanwhile stays cancelled.
    pub fn finish(&self, id: i64, finished: Finished) -> rusqlite::Result<()> {
        self.connection().execute(
            &format!(
                "UPDATE jobs SET state = ?1, message = ?2, outputs = ?3, results_uri = ?4, \
                 finished_at = {NOW} WHERE id = ?5 AND state = ?6"
            ),
            params![
                finished.state.as_str(),
                finished.message,
                finished.outputs,
                finished.results_uri,
                id,
                JobState::Running.as_str()
            ],
        )?;
        Ok(())
    }

    /// Marks a job that has not ended cancelled; `false` when it had ended
    /// or does not exist.
    pub fn cancel(&self, id: i64) -> rusqlite::Result<bool> {
        let changed = self.connection().execute(
            &format!(
                "UPDATE jobs SET state = ?1, message = 'cancelled', finished_at = {NOW} \
                 WHERE id = ?2 AND state IN (?3, ?4)"
            ),
            params![
                JobState::Cancelled.as_str(),
                id,
                JobState::Queued.as_str(),
                JobState::Running.as_str()
            ],
        )?;
        Ok(changed == 1)
    }

    /// Records that the process running job `id` is alive; `false` when the
    /// job has ended meanwhile (cancelled by any agent sharing this
    /// database, or recorded lost), its statement then being of no use.
    pub fn heartbeat(&self, id: i64) -> rusqlite::Result<bool> {
        let changed = self.connection().execute(
            &format!("UPDATE jobs SET heartbeat_at = {NOW} WHERE id = ?1 AND state IN (?2, ?3)"),
            params![id, JobState::Queued.as_str(), JobState::Running.as_str()],
        )?;
        Ok(changed == 1)
    }

    /// The job `id`, if there is one; a job that has not ended, and whose
    /// heartbeat is older than [`LOST_AFTER`], is recorded lost first.
    pub fn get(&self, id: i64) -> rusqlite::Result<Option<JobRecord>> {
        let connection = self.connection();
        connection.execute(
            &format!(
                "UPDATE jobs SET state = ?1, finished_at = {NOW}, message = 'the server running \
                 the job stopped before it ended (no heartbeat since ' || heartbeat_at || ')' \
                 WHERE id = ?2 AND state IN (?3, ?4) AND heartbeat_at < \
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?5)"
            ),
            params![
                JobState::Lost.as_str(),
                id,
                JobState::Queued.as_str(),
                JobState::Running.as_str(),
                format!("-{} seconds", LOST_AFTER.as_secs())
            ],
        )?;
        connection
            .query_row(
                "SELECT id, state, message, started_at, finished_at, outputs, results_uri \
                 FROM jobs WHERE id = ?1",
                [id],
                |row| {
                    let state: String = row.get(1)?;
                    let state = JobState::parse(&state).ok_or_else(|| {
                        rusqlite::Error::InvalidColumnType(
                            1,
                            format!("state {state:?}"),
                            rusqlite::types::Type::Text,
                        )
                    })?;
                    Ok(JobRecord {
                        id: row.get(0)?,
                        state,
                        message: row.get(2)?,
                        started_at: row.get(3)?,
                        finished_at: row.get(4)?,
                        outputs: row.get(5)?,
                        results_uri: row.get(6)?,
                    })
                },
            )
            .optional()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_goes_from_queued_to_running_to_succeeded() {
        let dir = tempfile::tempdir().unwrap();
        let store = JobStore::open(&dir.path().join("jobs.sqlite3")).unwrap();
        let id = store.insert(":memory:", "SELECT 1", "").unwrap();
        assert_eq!(store.get(id).unwrap().unwrap().state, JobState::Queued);
        assert!(store.start(id).unwrap());
        assert!(!store.start(id).unwrap(), "a job starts once");
        let finished = Finished {
            state: JobState::Succeeded,
            message: "1 row".into(),
            outputs: Some(vec![1, 2]),
            results_uri: None,
        };
        store.finish(id, finished).unwrap();
        let record = store.get(id).unwrap().unwrap();
        assert_eq!(record.state, JobState::Succeeded);
        assert_eq!(record.outputs, Some(vec![1, 2]));
        assert!(record.started_at.is_some() && record.finished_at.is_some());
        assert!(!store.cancel(id).unwrap(), "an ended job stays as it ended");
        assert_eq!(store.get(id + 1).unwrap(), None);
    }

    #[test]
    fn a_job_without_a_recent_heartbeat_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        let store = JobStore::open(&dir.path().join("jobs.sqlite3")).unwrap();
        let id = store.insert(":memory:", "SELECT 1", "").unwrap();
        assert!(store.start(id).unwrap());
        assert!(store.heartbeat(id).unwrap());
        assert_eq!(store.get(id).unwrap().unwrap().state, JobState::Running);
        store
            .connection()
            .execute(
                "UPDATE jobs SET heartbeat_at = '2020-01-01T00:00:00.000Z' WHERE id = ?1",
                [id],
            )
            .unwrap();
        let record = store.get(id).unwrap().unwrap();
        assert_eq!(record.state, JobState::Lost);
        assert!(record.message.contains("2020-01-01"), "{}", record.message);
    }

    #[test]
    fn a_cancelled_job_stays_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let store = JobStore::open(&dir.path().join("jobs.sqlite3")).unwrap();
        let id = store.insert(":memory:", "SELECT 1", "").unwrap();
        assert!(store.cancel(id).unwrap());
        assert!(
            !store.heartbeat(id).unwrap(),
            "a cancelled job has no heartbeat"
        );
        assert!(!store.start(id).unwrap());
        let finished = Finished {
            state: JobState::Failed,
            message: "interrupted".into(),
            outputs: None,
            results_uri: None,
        };
        store.finish(id, finished).unwrap();
        assert_eq!(store.get(id).unwrap().unwrap().state, JobState::Cancelled);
    }
}
