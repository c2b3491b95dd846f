//! The one place an [`AgentError`] becomes a gRPC status, for both protocols.

use std::borrow::Cow;

use crate::{AgentError, ErrorKind};

/// The most bytes of an error's message a caller or a log line is given. A
/// message may quote what a client sent (a task type, an input's name), of
/// any size: cut here, its status stays within the 8 KiB of headers gRPC
/// clients accept (percent-encoding may triple it), and its log line short.
pub(crate) const MAX_MESSAGE_BYTES: usize = 2048;

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

/// `error` as the status a gRPC caller sees: its kind's code and its
/// message, cut to 2 KiB (`MAX_MESSAGE_BYTES`).
pub fn from_agent_error(error: AgentError) -> tonic::Status {
    tonic::Status::new(code(error.kind()), bounded(error.message()))
}

/// `message`, or its first [`MAX_MESSAGE_BYTES`] (at a character's start)
/// followed by how many bytes were cut.
pub(crate) fn bounded(message: &str) -> Cow<'_, str> {
    if message.len() <= MAX_MESSAGE_BYTES {
        return Cow::Borrowed(message);
    }
    let end = (0..=MAX_MESSAGE_BYTES)
        .rev()
        .find(|&end| message.is_char_boundary(end))
        .unwrap_or(0);
    Cow::Owned(format!(
        "{}... ({} bytes more)",
        &message[..end],
        message.len() - end
    ))
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

    #[test]
    fn a_long_message_is_cut_at_a_character_saying_how_much_was_cut() {
        let name = "é".repeat(MAX_MESSAGE_BYTES);
        let status = from_agent_error(AgentError::not_found(format!("no agent for `{name}`")));
        let message = status.message();
        let kept = message.strip_suffix(" bytes more)").unwrap();
        let (kept, cut) = kept.rsplit_once("... (").unwrap();
        assert!(kept.len() <= MAX_MESSAGE_BYTES && kept.len() > MAX_MESSAGE_BYTES - 4);
        assert_eq!(
            kept.len() + cut.parse::<usize>().unwrap(),
            "no agent for ``".len() + name.len()
        );
        let short = from_agent_error(AgentError::not_found("no agent for `x`"));
        assert_eq!(short.message(), "no agent for `x`");
    }
}
