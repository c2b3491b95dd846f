//! [`AgentError`]: what an agent (or the runtime on its behalf) answers when a
//! request cannot be served, and how each kind maps to a gRPC status.

use std::fmt;

/// What went wrong, deciding the gRPC status code the caller sees.
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
}

impl ErrorKind {
    /// The gRPC status code this kind is answered with.
    pub fn code(self) -> tonic::Code {
        match self {
            ErrorKind::InvalidArgument => tonic::Code::InvalidArgument,
            ErrorKind::NotFound => tonic::Code::NotFound,
            ErrorKind::Internal => tonic::Code::Internal,
            ErrorKind::DeadlineExceeded => tonic::Code::DeadlineExceeded,
            ErrorKind::Unimplemented => tonic::Code::Unimplemented,
        }
    }
}

/// The error an agent method returns.
///
/// Any `std::error::Error` converts into an [`ErrorKind::Internal`] error, so
/// `?` works on I/O, HTTP or database errors inside an agent. A failure of the
/// *job* (as opposed to the request) is not an error: answer a
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

impl<E: std::error::Error + Send + Sync + 'static> From<E> for AgentError {
    fn from(error: E) -> Self {
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

impl From<AgentError> for tonic::Status {
    fn from(error: AgentError) -> Self {
        tonic::Status::new(error.kind.code(), error.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_std_error_becomes_internal_with_its_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = AgentError::from(io);
        assert_eq!(error.kind(), ErrorKind::Internal);
        assert_eq!(error.message(), "no such file");
    }

    #[test]
    fn kinds_map_to_grpc_codes() {
        let status = tonic::Status::from(AgentError::invalid_argument("resource_meta: bad"));
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(status.message(), "resource_meta: bad");
        assert_eq!(
            tonic::Status::from(AgentError::unimplemented("x")).code(),
            tonic::Code::Unimplemented
        );
    }
}
