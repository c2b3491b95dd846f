//! [`AgentError`]: what an agent (or the runtime on its behalf) answers when a
//! request cannot be served. Each protocol adapter turns its [`ErrorKind`]
//! into that protocol's status.

use std::error::Error as StdError;
use std::fmt;

/// What went wrong, deciding the status the caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request was malformed: undecodable metadata, a missing template,
    /// an input of the wrong type. Answered `INVALID_ARGUMENT`.
    InvalidArgument,
    /// No agent or job matches the request. Answered `NOT_FOUND`.
    NotFound,
    /// The agent failed to do its work. Answered `INTERNAL`.
    Internal,
    /// The work did not finish in the time allowed. Answered `DEADLINE_EXCEEDED`.
    DeadlineExceeded,
    /// The agent does not provide this operation. Answered `UNIMPLEMENTED`.
    Unimplemented,
    /// Too much was asked at once: a message over the size limit, or more
    /// calls than an agent may run. Answered `RESOURCE_EXHAUSTED`.
    ResourceExhausted,
    /// The request cannot be served as the agent is set up: a secret it
    /// needs is missing. Answered `FAILED_PRECONDITION`.
    FailedPrecondition,
    /// A service the server depends on (the idempotency store) cannot be
    /// reached; the same request may succeed later. Answered `UNAVAILABLE`.
    Unavailable,
}

/// The error an agent method returns.
///
/// `?` converts into an [`ErrorKind::Internal`] error from any
/// `std::error::Error`, `anyhow::Error`, `Box<dyn Error + Send + Sync>`,
/// `String` or `&str`, keeping the chain of causes in the message. A failure
/// of the *job* (as opposed to the request) is not an error: answer a
/// [`Resource`](crate::Resource) in a failed phase instead.
pub struct AgentError {
    kind: ErrorKind,
    message: String,
}

impl AgentError {
    /// An error of the given kind.
    pub fn new(kind: ErrorKind, message: impl fmt::Display) -> Self {
        AgentError {
            kind,
            message: message.to_string(),
        }
    }

    /// The request was malformed; `message` says which field and how to fix it.
    pub fn invalid_argument(message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// Nothing matches the request.
    pub fn not_found(message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// The agent failed to do its work.
    pub fn internal(message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// The work did not finish in the time allowed.
    pub fn deadline_exceeded(message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::DeadlineExceeded, message)
    }

    /// The operation is not provided by this agent.
    pub fn unimplemented(message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Unimplemented, message)
    }

    /// Too much was asked at once.
    pub fn resource_exhausted(message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::ResourceExhausted, message)
    }

    /// The agent is not set up to serve the request (a missing secret).
    pub fn failed_precondition(message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::FailedPrecondition, message)
    }

    /// A service the server depends on cannot be reached for now.
    pub fn unavailable(message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefixes the message with where the error happened.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl fmt::Debug for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AgentError({:?}: {})", self.kind, self.message)
    }
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Every type `?` should accept converts into a boxed error: any
/// `std::error::Error`, `anyhow::Error`, `String`, `&str` and the box itself.
impl<E> From<E> for AgentError
where
    E: Into<Box<dyn StdError + Send + Sync + 'static>>,
{
    fn from(error: E) -> Self {
        let error: Box<dyn StdError + Send + Sync> = error.into();
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        AgentError::internal(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails_with<E>(error: E) -> Result<(), AgentError>
    where
        AgentError: From<E>,
    {
        Err(error)?
    }

    #[test]
    fn any_std_error_becomes_internal_with_its_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = AgentError::from(io);
        assert_eq!(error.kind(), ErrorKind::Internal);
        assert_eq!(error.message(), "no such file");
    }

    #[test]
    fn question_mark_takes_strings_boxes_and_anyhow() {
        assert_eq!(fails_with("plain").unwrap_err().message(), "plain");
        assert_eq!(
            fails_with(String::from("owned")).unwrap_err().message(),
            "owned"
        );
        let boxed: Box<dyn StdError + Send + Sync> = "boxed".into();
        assert_eq!(fails_with(boxed).unwrap_err().message(), "boxed");
        let chained = anyhow::anyhow!("root cause").context("while querying");
        let error = fails_with(chained).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Internal);
        assert_eq!(error.message(), "while querying: root cause");
    }
}
