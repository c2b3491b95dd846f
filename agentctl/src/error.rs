//! [`CliError`]: every way a command fails, with what to try next and the
//! exit status it ends with.

use std::fmt;

use agent_core::Phase;

use crate::client::Protocol;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A call to the server answered an error status.
    #[error(
        "{rpc} ({protocol}) on {server} failed: {}: {}",
        code_name(status.code()),
        status_text(status)
    )]
    Rpc {
        /// The server, as the user named it.
        server: String,
        /// The protocol spoken.
        protocol: Protocol,
        /// The call, as `AsyncAgentService.CreateTask`.
        rpc: &'static str,
        /// What it answered.
        status: tonic::Status,
        /// Whether the connection uses TLS.
        tls: bool,
        /// The deadline agentctl gave the call, in seconds; `None` for
        /// ExecuteTaskSync, which has none (`run --timeout` bounds it).
        deadline_secs: Option<u64>,
    },

    /// The server answered something the protocol does not allow.
    #[error("{rpc} on {server}: {message}")]
    BadAnswer {
        /// The server, as the user named it.
        server: String,
        /// The call.
        rpc: &'static str,
        /// What was wrong with the answer.
        message: String,
    },

    /// The server serves neither protocol's metadata service.
    #[error(
        "{server} serves neither AgentMetadataService (Flyte 1) nor ConnectorMetadataService \
         (Flyte 2): both answered UNIMPLEMENTED"
    )]
    NoProtocol {
        /// The server, as the user named it.
        server: String,
    },

    /// An argument's contents are wrong: a JSON that does not parse, an input
    /// of the wrong type, an unreadable file, an address that is no URI.
    /// Exits 2, as a flag clap rejects does.
    #[error("{0}")]
    Usage(String),

    /// Anything else: outputs that cannot be shown as JSON, a sync agent
    /// that answered a phase that is not final, no way to listen for Ctrl-C.
    #[error("{0}")]
    Other(String),

    /// The job ended in a failed phase.
    #[error("the job ended {phase}: {message}")]
    JobFailed {
        /// `FAILED`, `RETRYABLE_FAILED` or `ABORTED`.
        phase: Phase,
        /// The job's last message.
        message: String,
    },

    /// `run` was interrupted or timed out, and its job deleted (or not).
    #[error("{reason}; {outcome}")]
    Stopped {
        /// What stopped the run.
        reason: StopReason,
        /// What became of the job.
        outcome: String,
    },
}

/// What stopped a run before its job ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StopReason {
    /// Ctrl-C.
    Interrupted,
    /// `--timeout` passed; holds its seconds.
    TimedOut(f64),
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Interrupted => f.write_str("interrupted"),
            StopReason::TimedOut(seconds) => write!(f, "timed out after {seconds} s"),
        }
    }
}

impl CliError {
    /// An argument whose contents are wrong.
    pub fn usage(message: impl fmt::Display) -> Self {
        CliError::Usage(message.to_string())
    }

    /// The exit status of a command that failed with this error: 2 for a
    /// usage error, as for the flags clap rejects.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::JobFailed { .. } => 3,
            CliError::Stopped {
                reason: StopReason::TimedOut(_),
                ..
            } => 124,
            CliError::Stopped {
                reason: StopReason::Interrupted,
                ..
            } => 130,
            _ => 1,
        }
    }

    /// What to try next, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        let CliError::Rpc {
            server,
            protocol,
            rpc,
            status,
            tls,
            deadline_secs,
        } = self
        else {
            return match self {
                CliError::NoProtocol { server } => Some(format!(
                    "is {server} an agent server? Propeller finds agents through one of \
                     these services"
                )),
                _ => None,
            };
        };
        let call = rpc.rsplit('.').next().unwrap_or(rpc);
        use tonic::Code;
        Some(match (status.code(), call) {
            (Code::Unavailable, _) if *tls => format!(
                "is the server running at {server}, serving TLS with a certificate that \
                 --tls-ca signed, for that host name?"
            ),
            (Code::Unavailable, _) => format!(
                "is the server running at {server}? start one with `cargo run -p \
                 agent-examples --bin agent-server` (or pass --addr HOST:PORT; --tls-ca \
                 FILE if it serves TLS)"
            ),
            (Code::NotFound, "GetAgent" | "GetConnector") | (Code::Unknown, "GetAgent") => {
                "run `agentctl list` to see the names of the agents it serves".to_owned()
            }
            (Code::NotFound, _) => {
                "run `agentctl list` to see what it serves, and check --task-type and --version"
                    .to_owned()
            }
            (Code::Unimplemented, _) => {
                let other = match protocol {
                    Protocol::Flyte1 => "flyte2",
                    Protocol::Flyte2 => "flyte1",
                };
                format!(
                    "the server does not serve this call; try --protocol {other}, or \
                     --protocol auto to ask it"
                )
            }
            (Code::InvalidArgument, "GetTask" | "DeleteTask") => {
                "pass --meta as `agentctl create` printed it (`base64:...` for metadata \
                 that is not text), with the --task-type and --version it was created with"
                    .to_owned()
            }
            (Code::InvalidArgument, _) => "check --inputs, --custom, --sql and --template; a \
                                           sync agent runs with `agentctl run`"
                .to_owned(),
            (Code::DeadlineExceeded, _) => match deadline_secs {
                Some(secs) => format!(
                    "the call ran past a deadline: the {secs} s agentctl gives {call}, or the \
                     server's own limit on one agent call (`--call-timeout` of agent-server); \
                     is the server overloaded, or its agent slow?"
                ),
                None => format!(
                    "agentctl gives {call} no deadline (`run --timeout` bounds it), so a limit \
                     of the server's ran out: on one agent call (`--call-timeout` of \
                     agent-server: raise it, or make the agent faster), or on reading the \
                     task (`--read-timeout`)"
                ),
            },
            (Code::Cancelled, _) => match deadline_secs {
                Some(secs) => format!(
                    "agentctl gives up on {call} after {secs} s (or the server cancelled it); \
                     is the server overloaded, or its agent slow?"
                ),
                None => format!(
                    "agentctl gives {call} no deadline, so the server (or a proxy before it) \
                     cancelled the call: its log may say why"
                ),
            },
            (Code::Internal | Code::Unknown, _) => {
                "the agent failed: the server's log has the details".to_owned()
            }
            _ => return None,
        })
    }
}

/// The canonical name of a gRPC status code, as `NOT_FOUND`.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// A status's message followed by the causes of a transport failure, which
/// tonic keeps out of the message ("tcp connect error: Connection refused").
fn status_text(status: &tonic::Status) -> String {
    let mut text = status.message().trim_end().to_owned();
    let mut source = std::error::Error::source(status);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    if text.is_empty() {
        text.push_str("(no message)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc_error(code: tonic::Code, rpc: &'static str) -> CliError {
        CliError::Rpc {
            server: "localhost:8000".into(),
            protocol: Protocol::Flyte1,
            rpc,
            status: tonic::Status::new(code, "the message"),
            tls: false,
            deadline_secs: (rpc != "SyncAgentService.ExecuteTaskSync").then_some(60),
        }
    }

    #[test]
    fn rpc_errors_name_the_call_the_server_and_the_status() {
        let error = rpc_error(tonic::Code::NotFound, "AsyncAgentService.CreateTask");
        assert_eq!(
            error.to_string(),
            "AsyncAgentService.CreateTask (Flyte 1) on localhost:8000 failed: NOT_FOUND: the \
             message"
        );
        assert!(error.hint().unwrap().contains("agentctl list"));
        assert_eq!(error.exit_code(), 1);
    }

    #[test]
    fn unavailable_says_how_to_start_a_server() {
        let hint = rpc_error(tonic::Code::Unavailable, "AgentMetadataService.ListAgents")
            .hint()
            .unwrap();
        assert!(
            hint.contains("is the server running at localhost:8000?"),
            "{hint}"
        );
        assert!(
            hint.contains("cargo run -p agent-examples --bin agent-server"),
            "{hint}"
        );
    }

    #[test]
    fn deadline_hints_name_the_deadlines_that_apply() {
        use tonic::Code;
        let hint = |code, rpc| rpc_error(code, rpc).hint().unwrap();
        let timed = hint(Code::DeadlineExceeded, "AsyncAgentService.CreateTask");
        assert!(
            timed.contains("the 60 s agentctl gives CreateTask")
                && timed.contains("--call-timeout"),
            "{timed}"
        );
        let sync = hint(Code::DeadlineExceeded, "SyncAgentService.ExecuteTaskSync");
        assert!(
            sync.contains("agentctl gives ExecuteTaskSync no deadline")
                && sync.contains("--call-timeout")
                && sync.contains("--read-timeout")
                && !sync.contains("60 s"),
            "{sync}"
        );
        let cancelled = hint(Code::Cancelled, "AsyncAgentService.GetTask");
        assert!(
            cancelled.contains("agentctl gives up on GetTask after 60 s"),
            "{cancelled}"
        );
        let cancelled = hint(Code::Cancelled, "SyncAgentService.ExecuteTaskSync");
        assert!(
            cancelled.contains("no deadline") && !cancelled.contains("60 s"),
            "{cancelled}"
        );
    }

    #[test]
    fn a_usage_error_exits_2() {
        assert_eq!(CliError::usage("--interval 0: ...").exit_code(), 2);
        assert_eq!(CliError::Other("...".into()).exit_code(), 1);
    }

    #[test]
    fn stops_and_failures_have_their_own_exit_codes() {
        let failed = CliError::JobFailed {
            phase: Phase::Failed,
            message: "boom".into(),
        };
        assert_eq!(failed.exit_code(), 3);
        assert_eq!(failed.to_string(), "the job ended FAILED: boom");
        let timed_out = CliError::Stopped {
            reason: StopReason::TimedOut(1.5),
            outcome: "the job was deleted".into(),
        };
        assert_eq!(timed_out.exit_code(), 124);
        assert_eq!(
            timed_out.to_string(),
            "timed out after 1.5 s; the job was deleted"
        );
    }
}
