//! The time each log line starts with.

use std::fmt;
use std::time::SystemTime;

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

/// The current UTC time in RFC 3339 with microseconds
/// (`2026-11-27T23:29:17.123456Z`), the form tracing-subscriber writes by
/// default, written with one call rather than one per field: every
/// create, delete and sync run logs a line.
#[derive(Clone, Copy)]
pub(crate) struct Rfc3339Micros;

impl FormatTime for Rfc3339Micros {
    fn format_time(&self, writer: &mut Writer<'_>) -> fmt::Result {
        write!(
            writer,
            "{}",
            humantime::format_rfc3339_micros(SystemTime::now())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_is_rfc3339_with_microseconds_in_utc() {
        let mut line = String::new();
        Rfc3339Micros
            .format_time(&mut Writer::new(&mut line))
            .unwrap();
        let (date, time) = line.split_once('T').expect("a date and a time");
        assert_eq!(date.len(), "2026-11-27".len(), "{line}");
        assert_eq!(time.len(), "23:29:17.123456Z".len(), "{line}");
        assert!(time.ends_with('Z'), "{line}");
        let written = chrono::DateTime::parse_from_rfc3339(&line).expect("RFC 3339");
        let off_by = chrono::Utc::now().signed_duration_since(written);
        assert!(off_by.abs() < chrono::TimeDelta::seconds(60), "{line}");
    }
}
