//! [`TextLine`]: the line of the text log format. Without colours it is
//! written part by part with plain writes; it reads exactly as the line of
//! tracing-subscriber's default (`Full`) format, which writes each part
//! through `fmt`, painting the target and its colon even with colours off.
//! With colours on (a terminal), that default writes it.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// Writes `time level spans: target: fields`, time by `T`.
pub(crate) struct TextLine<T> {
    timer: T,
    coloured: Format<Full, T>,
}

impl<T: FormatTime + Clone> TextLine<T> {
    /// The line with its time written by `timer`.
    pub(crate) fn new(timer: T) -> Self {
        TextLine {
            coloured: Format::default().with_timer(timer.clone()),
            timer,
        }
    }
}

/// The level as the default format writes it, between the spaces around it.
fn level_part(level: Level) -> &'static str {
    match level {
        Level::TRACE => " TRACE ",
        Level::DEBUG => " DEBUG ",
        Level::INFO => "  INFO ",
        Level::WARN => "  WARN ",
        Level::ERROR => " ERROR ",
    }
}

impl<S, N, T> FormatEvent<S, N> for TextLine<T>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    T: FormatTime,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if writer.has_ansi_escapes() {
            return self.coloured.format_event(context, writer, event);
        }
        // A `log` record's own target and level, not the bridge's.
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        if self.timer.format_time(&mut writer).is_err() {
            writer.write_str("<unknown time>")?;
        }
        writer.write_str(level_part(*metadata.level()))?;
        if let Some(scope) = context.event_scope() {
            let mut any_span = false;
            for span in scope.from_root() {
                any_span = true;
                writer.write_str(span.metadata().name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    writer.write_char('{')?;
                    writer.write_str(fields)?;
                    writer.write_char('}')?;
                }
                writer.write_char(':')?;
            }
            if any_span {
                writer.write_char(' ')?;
            }
        }
        writer.write_str(metadata.target())?;
        writer.write_str(": ")?;
        context.format_fields(writer.by_ref(), event)?;
        writer.write_char('\n')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::logging::CapturedOutput;
    use crate::server::logging::fields::PlainFields;
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt;

    /// A time that does not change between two runs.
    #[derive(Clone)]
    struct Noon;

    impl FormatTime for Noon {
        fn format_time(&self, writer: &mut Writer<'_>) -> fmt::Result {
            writer.write_str("2026-11-28T12:00:00.000000Z")
        }
    }

    /// What `format` writes, colours off, for events and spans at every
    /// level, with and without fields.
    fn text<E>(format: E) -> String
    where
        E: FormatEvent<tracing_subscriber::Registry, PlainFields> + Send + Sync + 'static,
    {
        let output = CapturedOutput::default();
        let collected = output.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .fmt_fields(PlainFields)
                .event_format(format)
                .with_writer(move || collected.clone())
                .with_filter(tracing_subscriber::filter::LevelFilter::TRACE),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(n = 1, "trace");
            tracing::debug!("debug");
            tracing::info!(task_type = "bq", operation = %"create", "done");
            tracing::warn!(kind = ?Some(1), "warn");
            tracing::error!("error");
            let outer = tracing::info_span!("agent_call", task_type = "bq");
            outer.in_scope(|| {
                tracing::debug_span!("empty").in_scope(|| tracing::info!(x = 2, "in spans"));
            });
        });
        output.text()
    }

    #[test]
    fn lines_read_as_tracing_subscribers_default_writes_them() {
        let ours = text(TextLine::new(Noon));
        assert_eq!(ours, text(Format::default().with_timer(Noon)));
        let lines: Vec<&str> = ours.lines().collect();
        assert_eq!(
            lines[2],
            "2026-11-28T12:00:00.000000Z  INFO agent_core::server::logging::line::tests: done \
             task_type=\"bq\" operation=create"
        );
        assert_eq!(
            lines[5],
            "2026-11-28T12:00:00.000000Z  INFO agent_call{task_type=\"bq\"}:empty: \
             agent_core::server::logging::line::tests: in spans x=2"
        );
    }
}
