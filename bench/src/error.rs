//! Why a run could not start.

/// Why a run could not start (failures during the run are counted, not
/// errors).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The flags do not make a run.
    #[error("{0}")]
    Usage(String),
    /// The server could not be reached.
    #[error("cannot connect to {addr}: {source}; is the server listening there?")]
    Connect {
        /// The address given.
        addr: String,
        /// Why it failed.
        source: tonic::transport::Error,
    },
    /// A request the run needs before it starts (the CreateTask whose
    /// metadata GetTask and DeleteTask send) failed.
    #[error("{call} before the run failed: {status}{hint}", hint = task_type_hint(status))]
    Setup {
        /// The call.
        call: &'static str,
        /// The server's answer.
        status: tonic::Status,
    },
    /// The server did not answer ListAgents in time.
    #[error("the server at {addr} did not answer within {seconds} s")]
    NotReady {
        /// The address given.
        addr: String,
        /// How long it was given.
        seconds: u64,
    },
}

/// What to do when the server has no agent for the task type asked.
fn task_type_hint(status: &tonic::Status) -> &'static str {
    if status.code() == tonic::Code::NotFound {
        "; the default task types are bench-agent-server's: name one the server has with \
         --task-type"
    } else {
        ""
    }
}
