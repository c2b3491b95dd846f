//! How the fields of an event or span are written in a text log line.

use std::cell::Cell;
use std::fmt::{self, Write};

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

/// Writes fields as tracing-subscriber's default does, space-separated, the
/// message bare and every other field as `name=value` (strings quoted), but
/// with a plain write per part rather than a styled, formatted one per
/// field: every create, delete and sync run logs a line.
///
/// A control character in any value (a newline that would begin a forged
/// line, an escape sequence a terminal would obey) is written escaped, so
/// one event stays one line whatever a client sent.
pub(crate) struct PlainFields;

impl<'writer> FormatFields<'writer> for PlainFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut visitor = FieldWriter {
            gathered: GATHERED.take(),
            result: Ok(()),
            first: true,
        };
        visitor.gathered.clear();
        fields.record(&mut visitor);
        let written = visitor
            .result
            .and_then(|()| writer.write_str(&visitor.gathered));
        if visitor.gathered.capacity() <= KEPT_GATHERED_BYTES {
            GATHERED.set(visitor.gathered);
        }
        written
    }
}

/// The most bytes of gathered fields a thread keeps for its next line.
const KEPT_GATHERED_BYTES: usize = 4096;

thread_local! {
    /// The fields of a line, gathered before they go to it in one write: a
    /// separator, a name or a quote is a push onto a string, not a call
    /// through the line's writer. Kept for the thread's next line.
    static GATHERED: Cell<String> = const { Cell::new(String::new()) };
}

/// Writes the fields of one event or span into its line.
struct FieldWriter {
    gathered: String,
    result: fmt::Result,
    first: bool,
}

impl FieldWriter {
    /// Writes the separator and the name of `field` (none for the message),
    /// then the value with `value`.
    fn write(&mut self, field: &Field, value: impl FnOnce(&mut Escaped<'_>) -> fmt::Result) {
        let name = field.name();
        // tracing-log's metadata of a `log` record, already in the line.
        if self.result.is_err() || name.starts_with("log.") {
            return;
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        let mut line = Escaped(&mut self.gathered);
        self.result = (|| {
            if !std::mem::take(&mut self.first) {
                line.0.write_char(' ')?;
            }
            if name != "message" {
                line.0.write_str(name)?;
                line.0.write_char('=')?;
            }
            value(&mut line)
        })();
    }
}

impl Visit for FieldWriter {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            return self.write(field, |line| line.write_str(value));
        }
        self.write(field, |line| {
            if any_byte(value, escaped_in_quotes) {
                write!(line.0, "{value:?}")
            } else {
                line.0.write_char('"')?;
                line.0.write_str(value)?;
                line.0.write_char('"')
            }
        });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.write(field, |line| {
            line.0.write_str(itoa::Buffer::new().format(value))
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.write(field, |line| {
            line.0.write_str(itoa::Buffer::new().format(value))
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, |line| write!(line, "{value:?}"));
    }
}

/// A line that writes control characters escaped (`\n`, `\u{1b}`).
struct Escaped<'line>(&'line mut String);

impl Write for Escaped<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if !any_byte(text, may_begin_control) {
            return self.0.write_str(text);
        }
        for c in text.chars() {
            if c.is_control() {
                write!(self.0, "{}", c.escape_default())?;
            } else {
                self.0.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// Whether any byte of `text` is `wanted`. A fold, not [`Iterator::any`]:
/// with no early exit the compiler checks many bytes at once.
fn any_byte(text: &str, wanted: impl Fn(u8) -> bool) -> bool {
    text.bytes().fold(false, |found, byte| found | wanted(byte))
}

/// Whether `byte` may begin a control character: an ASCII one, or 0xC2,
/// which begins the UTF-8 encoding of U+0080 to U+00BF, among them the C1
/// controls. Checking bytes costs less than decoding every character.
fn may_begin_control(byte: u8) -> bool {
    (byte < 0x20) | (byte == 0x7f) | (byte == 0xc2)
}

/// Whether `byte` may need escaping within a quoted string: a quote, a
/// backslash, or the start of a control character.
fn escaped_in_quotes(byte: u8) -> bool {
    (byte == b'"') | (byte == b'\\') | may_begin_control(byte)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::logging::CapturedOutput;
    use tracing_subscriber::fmt::format::DefaultFields;
    use tracing_subscriber::layer::SubscriberExt;

    /// The lines `fields` writes for the events `log` emits, at `info`,
    /// without time, level or target.
    fn lines<F>(fields: F, log: impl FnOnce()) -> Vec<String>
    where
        F: for<'writer> FormatFields<'writer> + Send + Sync + 'static,
    {
        let output = CapturedOutput::default();
        let sink = output.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .without_time()
                .with_ansi(false)
                .with_target(false)
                .with_level(false)
                .fmt_fields(fields)
                .with_writer(move || sink.clone()),
        );
        tracing::subscriber::with_default(subscriber, log);
        output.text().lines().map(str::to_owned).collect()
    }

    /// An event of each kind the server and agents log.
    fn events() {
        let id = "p/d/e/n0/t/0";
        tracing::info!(message = "done", task_type = "bq", operation = %"create", execution_id = id, elapsed_ms = 3u64);
        tracing::info!(
            r#type = "a \"quoted\" \\ name",
            ok = true,
            count = -2i64,
            max = u64::MAX,
            "typed"
        );
        tracing::info!(kind = ?Some(1), error = %"fell over", "failed");
        let span = tracing::info_span!("agent_call", task_type = "bq");
        span.in_scope(|| tracing::info!("in a span"));
        // Fields longer than a thread keeps gathered, and a line after them.
        let long = "l".repeat(5000);
        let near_full = "n".repeat(200);
        tracing::info!(near_full, long, after = "é", count = 7u64, "long");
        tracing::info!(after = "long", "short");
    }

    #[test]
    fn lines_read_as_tracing_subscribers_default_writes_them() {
        let ours = lines(PlainFields, events);
        assert_eq!(ours, lines(DefaultFields::new(), events));
        assert_eq!(
            ours[0],
            r#"done task_type="bq" operation=create execution_id="p/d/e/n0/t/0" elapsed_ms=3"#
        );
        assert_eq!(
            ours[1],
            r#"typed type="a \"quoted\" \\ name" ok=true count=-2 max=18446744073709551615"#
        );
        assert_eq!(ours[3], r#"agent_call{task_type="bq"}: in a span"#);
        assert_eq!(
            ours[4],
            format!(
                r#"long near_full="{}" long="{}" after="é" count=7"#,
                "n".repeat(200),
                "l".repeat(5000)
            )
        );
        assert_eq!(ours[5], r#"short after="long""#);
    }

    #[test]
    fn control_characters_are_escaped_in_every_value() {
        let forged = "x\nINFO forged line \u{1b}[31m \u{9b}31m é";
        let written = lines(PlainFields, || {
            tracing::info!(task_type = forged, error = %forged, "{forged}");
        });
        assert_eq!(written.len(), 1, "{written:?}");
        let escaped = r"x\nINFO forged line \u{1b}[31m \u{9b}31m é";
        assert_eq!(
            written[0],
            format!(r#"{escaped} task_type="{escaped}" error={escaped}"#)
        );
    }
}
