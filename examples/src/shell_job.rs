//! An async agent that runs a task's shell script as a detached process.
//!
//! The task template's `custom` carries `{"script": "..."}`; primitive inputs
//! with lowercase names are passed as environment variables (`x` becomes
//! `$x`). The job keeps its
//! state in a directory of its own, so the agent holds nothing in memory and
//! a restarted server still finds its jobs. Outputs: `stdout` (string) and
//! `exit_code` (integer). `GetTaskLogs` pages through the job's stdout, also
//! while it runs.
//!
//! Whoever can call the server can run any command with it, as the user the
//! server runs as: it does not register itself (`register = false`), so
//! `agent-server` does not serve it; `shell-agent-server` does.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{SystemTime, UNIX_EPOCH};

use agent_core::prelude::*;
use agent_core::proto::flyteidl::core::Literal;
use agent_core::{LogsQuery, TaskLogs};

/// The task config a flytekit plugin writes into the template's `custom`.
#[derive(Debug, Deserialize)]
pub struct ShellTask {
    /// The script, run by `sh -c`.
    pub script: String,
}

/// Identifies a started job: sent to Propeller as the resource metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShellJob {
    /// The process id of the job's shell.
    pub pid: u32,
    /// The job's directory: `stdout`, `stderr`, and `exit_code` once it ends.
    pub dir: PathBuf,
}

/// Runs shell scripts as detached processes.
#[derive(Debug, Clone)]
pub struct ShellJobAgent {
    jobs_dir: PathBuf,
}

impl ShellJobAgent {
    /// An agent keeping its jobs under `jobs_dir`.
    pub fn new(jobs_dir: impl Into<PathBuf>) -> Self {
        ShellJobAgent {
            jobs_dir: jobs_dir.into(),
        }
    }

    /// Checks that `job` names a job of this agent: its directory directly
    /// under the jobs directory, and a real process id. Resource metadata
    /// comes from the network; it must not steer `kill` or `remove_dir_all`
    /// elsewhere.
    fn check(&self, job: &ShellJob) -> Result<(), AgentError> {
        let in_jobs_dir = job.dir.parent() == Some(self.jobs_dir.as_path())
            && job
                .dir
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("job-"));
        if !in_jobs_dir || job.pid <= 1 {
            return Err(AgentError::invalid_argument(format!(
                "resource_meta: {job:?} is not a job of this agent"
            )));
        }
        Ok(())
    }

    /// The error for a jobs directory where no job directory can be made.
    fn unusable_jobs_dir(&self, error: &std::io::Error) -> AgentError {
        AgentError::failed_precondition(format!(
            "cannot make a job directory in the jobs directory {} ({error}); make it a directory \
             the server's user may write to, or keep jobs elsewhere: `ShellJobAgent::new(<dir>)`, \
             or for `shell-agent-server` (which keeps them in $TMPDIR/flyte-shell-jobs) set TMPDIR",
            self.jobs_dir.display()
        ))
    }
}

impl Default for ShellJobAgent {
    fn default() -> Self {
        Self::new(std::env::temp_dir().join("flyte-shell-jobs"))
    }
}

/// Wraps the user's script so that its exit code lands in a file atomically.
const WRAPPER: &str = r#"( sh -c "$FLYTE_SHELL_SCRIPT" ) >stdout 2>stderr; echo $? >exit_code.tmp && mv exit_code.tmp exit_code"#;

/// A primitive input as an environment variable value.
fn env_value(literal: &Literal) -> Option<String> {
    String::from_literal(literal)
        .ok()
        .or_else(|| i64::from_literal(literal).ok().map(|v| v.to_string()))
        .or_else(|| f64::from_literal(literal).ok().map(|v| v.to_string()))
        .or_else(|| bool::from_literal(literal).ok().map(|v| v.to_string()))
}

/// Whether an input may become an environment variable: a lowercase shell
/// name, which cannot replace `PATH` or the wrapper's own variables.
fn is_exported(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

async fn read_text(path: &Path) -> String {
    tokio::fs::read_to_string(path).await.unwrap_or_default()
}

/// Lines a `GetTaskLogs` page holds when the caller does not say.
const DEFAULT_LOG_LINES: usize = 100;

/// The page of `text`'s lines that `query` asks for. The token is the index
/// of the first line to return; the next token is empty once the page
/// reaches the last line written so far.
fn log_page(text: &str, query: &LogsQuery) -> Result<TaskLogs, AgentError> {
    let start: usize = match query.token.as_str() {
        "" => 0,
        token => token.parse().map_err(|_| {
            AgentError::invalid_argument(format!(
                "token: {token:?} is not a line number; pass the next_token of an earlier answer"
            ))
        })?,
    };
    let count = match usize::try_from(query.lines) {
        Ok(0) | Err(_) => DEFAULT_LOG_LINES,
        Ok(count) => count,
    };
    let lines: Vec<String> = text
        .lines()
        .skip(start)
        .take(count)
        .map(String::from)
        .collect();
    let end = start + lines.len();
    let next_token = if end < text.lines().count() {
        end.to_string()
    } else {
        String::new()
    };
    Ok(TaskLogs { lines, next_token })
}

#[async_agent(task_type = "shell_job", name = "Shell Job Agent", register = false)]
impl ShellJobAgent {
    /// Starts the script in a process group of its own.
    async fn create(&self, task: TaskContext) -> Result<ShellJob, AgentError> {
        let ShellTask { script } = task.custom()?;
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
        let dir = self.jobs_dir.join(format!("job-{nanos}"));
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| self.unusable_jobs_dir(&e))?;
        let mut command = tokio::process::Command::new("sh");
        command
            .arg("-c")
            .arg(WRAPPER)
            .current_dir(&dir)
            .env("FLYTE_SHELL_SCRIPT", script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        for (name, literal) in &task.inputs.literals {
            if !is_exported(name) {
                continue;
            }
            if let Some(value) = env_value(literal) {
                command.env(name, value);
            }
        }
        let child = command
            .spawn()
            .map_err(|e| AgentError::internal(format!("cannot start sh: {e}")))?;
        let pid = child
            .id()
            .ok_or_else(|| AgentError::internal("the job exited before it was tracked"))?;
        Ok(ShellJob { pid, dir })
    }

    /// Running while the process lives; then its exit code decides.
    async fn get(&self, job: ShellJob) -> Result<Resource, AgentError> {
        self.check(&job)?;
        let exit_code = read_text(&job.dir.join("exit_code")).await;
        let stdout_link = format!("file://{}", job.dir.join("stdout").display());
        if exit_code.is_empty() {
            if is_alive(job.pid) {
                return Ok(Resource::running()
                    .message(format!("process {} is running", job.pid))
                    .log_link("stdout", stdout_link));
            }
            if !job.dir.exists() {
                return Ok(Resource::failed("the job was deleted"));
            }
            return Ok(Resource::retryable_failure(format!(
                "process {} ended without an exit code (killed?)",
                job.pid
            )));
        }
        let exit_code: i64 = exit_code
            .trim()
            .parse()
            .map_err(|e| AgentError::internal(format!("unreadable exit code: {e}")))?;
        if exit_code != 0 {
            let stderr = read_text(&job.dir.join("stderr")).await;
            return Ok(Resource::failed(format!(
                "script exited with {exit_code}: {}",
                stderr.trim()
            ))
            .output("exit_code", exit_code));
        }
        let stdout = read_text(&job.dir.join("stdout")).await;
        Ok(Resource::succeeded()
            .output("stdout", stdout.trim_end().to_string())
            .output("exit_code", exit_code)
            .log_link("stdout", stdout_link))
    }

    /// A page of the job's stdout.
    async fn get_logs(&self, job: ShellJob, query: LogsQuery) -> Result<TaskLogs, AgentError> {
        self.check(&job)?;
        log_page(&read_text(&job.dir.join("stdout")).await, &query)
    }

    /// Stops the process group and removes the job's directory.
    async fn delete(&self, job: ShellJob) -> Result<(), AgentError> {
        self.check(&job)?;
        if is_alive(job.pid) {
            // The job runs in a process group of its own: stop all of it.
            let _ = tokio::process::Command::new("kill")
                .args(["-TERM", "--", &format!("-{}", job.pid)])
                .status()
                .await;
        }
        match tokio::fs::remove_dir_all(&job.dir).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(lines: u64, token: &str) -> LogsQuery {
        LogsQuery {
            lines,
            token: token.to_string(),
        }
    }

    #[test]
    fn logs_are_paged_by_line_number() {
        let text = "a\nb\nc\n";
        let first = log_page(text, &query(2, "")).unwrap();
        assert_eq!(first.lines, ["a", "b"]);
        assert_eq!(first.next_token, "2");
        let rest = log_page(text, &query(2, &first.next_token)).unwrap();
        assert_eq!(rest.lines, ["c"]);
        assert_eq!(rest.next_token, "");
        assert_eq!(log_page(text, &query(0, "")).unwrap().lines.len(), 3);
    }

    #[test]
    fn a_token_that_is_no_line_number_is_refused() {
        let error = log_page("a", &query(1, "x")).unwrap_err();
        assert!(error.to_string().contains("next_token"), "{error}");
    }
}
