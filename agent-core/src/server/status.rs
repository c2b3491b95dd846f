//! The one place an [`AgentError`] becomes a gRPC status, for both protocols.

use crate::{AgentError, ErrorKind};

/// The gRPC status code an error of `kind` is answered with.
pub fn code(kind: ErrorKind) -> tonic::Code {
    match kind {
        ErrorKind::InvalidArgument => tonic::Code::InvalidArgument,
        ErrorKind::NotFound => tonic::Code::NotFound,
        ErrorKind::Internal => tonic::Code::Internal,
        ErrorKind::DeadlineExceeded => tonic::Code::DeadlineExceeded,
        ErrorKind::Unimplemented => tonic::Code::Unimplemented,
        ErrorKind::ResourceExhausted => tonic::Code::ResourceExhausted,
        ErrorKind::FailedPrecondition => tonic::Code::FailedPrecondition,
        ErrorKind::Unavailable => tonic::Code::Unavailable,
    }
}

/// `error` as the status a gRPC caller sees: its kind's code and its message.
pub fn from_agent_error(error: AgentError) -> tonic::Status {
    tonic::Status::new(code(error.kind()), error.message())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_grpc_codes() {
        let status = from_agent_error(AgentError::invalid_argument("resource_meta: bad"));
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(status.message(), "resource_meta: bad");
        let expected = [
            (ErrorKind::NotFound, tonic::Code::NotFound),
            (ErrorKind::Internal, tonic::Code::Internal),
            (ErrorKind::DeadlineExceeded, tonic::Code::DeadlineExceeded),
            (ErrorKind::Unimplemented, tonic::Code::Unimplemented),
            (ErrorKind::ResourceExhausted, tonic::Code::ResourceExhausted),
            (
                ErrorKind::FailedPrecondition,
                tonic::Code::FailedPrecondition,
            ),
            (ErrorKind::Unavailable, tonic::Code::Unavailable),
        ];
        for (kind, code_expected) in expected {
            assert_eq!(code(kind), code_expected, "{kind:?}");
        }
    }
}
