//! The server's own logs: lines with each call's task type, operation and
//! execution id, written to stderr in batches by a thread of their own.
//!
//! - [`fields`]: a call's fields, as `key=value` on a text line;
//! - [`line`]: the text line around them;
//! - [`time`]: its timestamp;
//! - [`writer`]: the thread that writes lines in batches.

#[cfg(test)]
mod captured_output;
mod fields;
mod line;
mod time;
mod writer;

use std::io::IsTerminal;

#[cfg(test)]
pub(crate) use captured_output::CapturedOutput;
use fields::PlainFields;
use line::TextLine;
use time::Rfc3339Micros;
use writer::{WrittenOnDrop, batched_writer};

/// How the server writes its logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Logs to stderr in `format`, filtered by `RUST_LOG` (`info` by default).
///
/// Lines are written in batches by a thread of their own
/// ([`writer`]): a request never waits on stderr, and a busy
/// server writes many lines per system call. The guard answered writes what
/// is left when dropped.
pub(crate) fn init_logging(format: LogFormat) -> std::io::Result<WrittenOnDrop> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (stderr, written) = batched_writer(std::io::stderr()).map_err(|error| {
        std::io::Error::new(
            error.kind(),
            format!(
                "cannot start the thread that writes the logs: {error}; check the \
                 process's limits on threads and memory (ulimit -u, the container's)"
            ),
        )
    })?;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_timer(Rfc3339Micros)
        .with_writer(stderr);
    let _ = match format {
        LogFormat::Text => logs
            .fmt_fields(PlainFields)
            .with_ansi(std::io::stderr().is_terminal())
            .event_format(TextLine::new(Rfc3339Micros))
            .try_init(),
        LogFormat::Json => logs.json().with_current_span(true).try_init(),
    };
    Ok(written)
}
