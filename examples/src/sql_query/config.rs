//! [`SqlQueryConfig`]: what the SQL query agent is set up with, in code or
//! from the environment.

use std::path::PathBuf;

/// Names the default database, `SQL_QUERY_DATABASE`.
pub const DATABASE_ENV: &str = "SQL_QUERY_DATABASE";
/// Names the jobs database, `SQL_QUERY_JOBS_DATABASE`.
pub const JOBS_DATABASE_ENV: &str = "SQL_QUERY_JOBS_DATABASE";
/// Results of at most this many rows are answered inline.
pub const DEFAULT_INLINE_MAX_ROWS: usize = 100;
/// Results of at most this many bytes of values are answered inline.
pub const DEFAULT_INLINE_MAX_BYTES: usize = 64 * 1024;

/// How the SQL query agent is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlQueryConfig {
    /// The database a task runs against when its template's `custom` names
    /// none; `None` runs such a task against a fresh in-memory database.
    pub database: Option<PathBuf>,
    /// The agent's own database, holding its `jobs` table.
    pub jobs_database: PathBuf,
    /// Results of more rows than this are written as a CSV file.
    pub inline_max_rows: usize,
    /// Results whose values take more bytes than this are written as a CSV file.
    pub inline_max_bytes: usize,
}

impl SqlQueryConfig {
    /// A configuration keeping its jobs in `jobs_database`, with no default
    /// database and the default inline limits.
    pub fn new(jobs_database: impl Into<PathBuf>) -> Self {
        SqlQueryConfig {
            database: None,
            jobs_database: jobs_database.into(),
            inline_max_rows: DEFAULT_INLINE_MAX_ROWS,
            inline_max_bytes: DEFAULT_INLINE_MAX_BYTES,
        }
    }

    /// Sets the default database.
    pub fn database(mut self, database: impl Into<PathBuf>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// The configuration the environment gives: the default database from
    /// `SQL_QUERY_DATABASE` (none when unset), the jobs database from
    /// `SQL_QUERY_JOBS_DATABASE` (`flyte-sql-query-jobs.sqlite3` in the
    /// temporary directory when unset).
    pub fn from_env() -> Self {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        };
        let jobs_database = var(JOBS_DATABASE_ENV)
            .unwrap_or_else(|| std::env::temp_dir().join("flyte-sql-query-jobs.sqlite3"));
        SqlQueryConfig {
            database: var(DATABASE_ENV),
            ..SqlQueryConfig::new(jobs_database)
        }
    }
}
