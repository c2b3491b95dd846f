//! The time each log line starts with.

use std::cell::Cell;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

/// The current UTC time in RFC 3339 with microseconds
/// (`2026-11-27T23:29:17.123456Z`), the form tracing-subscriber writes by
/// default. Every create, delete and sync run logs a line, so the date and
/// time of day are formatted once a second per thread, and each line adds
/// its microseconds to them.
#[derive(Clone, Copy)]
pub(crate) struct Rfc3339Micros;

/// `2026-11-27T23:29:17`: the part of a time that changes once a second.
const SECONDS_LEN: usize = 19;

/// `2026-11-27T23:29:17.123456Z`.
const LINE_TIME_LEN: usize = SECONDS_LEN + 8;

thread_local! {
    /// The second last written by this thread, and its date and time of day.
    static LAST_SECOND: Cell<(u64, [u8; SECONDS_LEN])> = const { Cell::new((u64::MAX, [0; SECONDS_LEN])) };
}

impl FormatTime for Rfc3339Micros {
    fn format_time(&self, writer: &mut Writer<'_>) -> fmt::Result {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let time = line_time(since_epoch);
        // Only ASCII digits and punctuation were written.
        writer.write_str(std::str::from_utf8(&time).map_err(|_| fmt::Error)?)
    }
}

/// The time `since_epoch` as a line starts with it.
fn line_time(since_epoch: Duration) -> [u8; LINE_TIME_LEN] {
    let seconds = since_epoch.as_secs();
    let mut time = [0; LINE_TIME_LEN];
    time[..SECONDS_LEN].copy_from_slice(&LAST_SECOND.with(|last| {
        let (last_seconds, written) = last.get();
        if last_seconds == seconds {
            return written;
        }
        let written = date_and_time_of_day(seconds);
        last.set((seconds, written));
        written
    }));
    time[SECONDS_LEN] = b'.';
    let mut micros = since_epoch.subsec_micros();
    for digit in time[SECONDS_LEN + 1..LINE_TIME_LEN - 1].iter_mut().rev() {
        *digit = b'0' + (micros % 10) as u8;
        micros /= 10;
    }
    time[LINE_TIME_LEN - 1] = b'Z';
    time
}

/// `2026-11-27T23:29:17` for `seconds` since the Unix epoch.
fn date_and_time_of_day(seconds: u64) -> [u8; SECONDS_LEN] {
    let time = UNIX_EPOCH + Duration::from_secs(seconds);
    let formatted = humantime::format_rfc3339_seconds(time).to_string();
    let mut written = [0; SECONDS_LEN];
    written.copy_from_slice(&formatted.as_bytes()[..SECONDS_LEN]);
    written
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

    #[test]
    fn times_within_a_second_and_across_seconds_read_as_humantime_writes_them() {
        let start = Duration::new(1_795_829_357, 0);
        let micros = Duration::from_micros;
        let times = [
            start,
            start + micros(1),
            start + micros(999_999),
            start + Duration::from_secs(1),
            start + Duration::from_secs(86_400) + micros(120_034),
            start - Duration::from_secs(5) + micros(7),
            start + micros(500_000),
        ];
        for since_epoch in times {
            let expected = humantime::format_rfc3339_micros(UNIX_EPOCH + since_epoch).to_string();
            let written = line_time(since_epoch);
            assert_eq!(std::str::from_utf8(&written).unwrap(), expected);
        }
    }
}
