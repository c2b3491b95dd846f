//! [`BatchedWriter`]: where the server's log lines go. A request appends its
//! line to a buffer in memory; a thread of its own writes that buffer out,
//! at most once every [`BATCH_INTERVAL`]. A request never waits on the
//! output (a stalled log pipe stalls no request), and a busy server writes
//! hundreds of lines per system call and wakes that thread a few hundred
//! times a second, not once per line.
//!
//! A quiet server's line is written at once: the thread, when it has been
//! waiting, is woken by the first line, and sleeps only after a write.

use std::io::{self, Write};
use std::mem;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long the writing thread lets lines gather after each write.
const BATCH_INTERVAL: Duration = Duration::from_millis(5);

/// How many bytes of lines may wait for the writing thread; lines beyond
/// are dropped (and counted in a line of their own) rather than stall
/// requests.
const MAX_WAITING_BYTES: usize = 4 * 1024 * 1024;

/// Log lines waiting to be written, shared by the loggers and the thread.
#[derive(Default)]
struct Waiting {
    lines: Vec<u8>,
    dropped_lines: u64,
    /// Whether the thread waits for a line (and must be woken by the next).
    thread_idle: bool,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    waiting: Mutex<Waiting>,
    line_arrived: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Waiting> {
        // No update is left half done: none of them panics midway.
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Hands log lines to the writing thread; a `MakeWriter` for
/// tracing-subscriber, which writes each line whole.
#[derive(Clone)]
pub(super) struct BatchedWriter {
    shared: Arc<Shared>,
}

/// Writes what is left and stops the writing thread when dropped.
pub(crate) struct WrittenOnDrop {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A [`BatchedWriter`] whose lines a thread named `log-writer` writes to
/// `output`, and the guard that writes the last of them.
pub(super) fn batched_writer(
    output: impl Write + Send + 'static,
) -> io::Result<(BatchedWriter, WrittenOnDrop)> {
    let shared = Arc::new(Shared::default());
    let thread = thread::Builder::new().name("log-writer".into()).spawn({
        let shared = Arc::clone(&shared);
        move || write_batches(&shared, output)
    })?;
    Ok((
        BatchedWriter {
            shared: Arc::clone(&shared),
        },
        WrittenOnDrop {
            shared,
            thread: Some(thread),
        },
    ))
}

/// The writing thread: waits for lines, writes all that wait in one go,
/// then lets more gather; ends once closed and drained.
fn write_batches(shared: &Shared, mut output: impl Write) {
    let mut batch = Vec::new();
    loop {
        let (dropped_lines, closed) = {
            let mut waiting = shared.lock();
            while waiting.lines.is_empty() && waiting.dropped_lines == 0 && !waiting.closed {
                waiting.thread_idle = true;
                waiting = shared
                    .line_arrived
                    .wait(waiting)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            waiting.thread_idle = false;
            if waiting.closed && waiting.lines.is_empty() && waiting.dropped_lines == 0 {
                return;
            }
            mem::swap(&mut waiting.lines, &mut batch);
            (mem::take(&mut waiting.dropped_lines), waiting.closed)
        };
        if dropped_lines > 0 {
            let _ = writeln!(
                output,
                "{dropped_lines} log lines were dropped: the log output did not keep up"
            );
        }
        // A failing output (a closed pipe) has nowhere to report to.
        let _ = output.write_all(&batch);
        let _ = output.flush();
        batch.clear();
        if !closed {
            thread::sleep(BATCH_INTERVAL);
        }
    }
}

impl BatchedWriter {
    fn append(&self, line: &[u8]) {
        let mut waiting = self.shared.lock();
        if waiting.lines.len() + line.len() > MAX_WAITING_BYTES {
            waiting.dropped_lines += 1;
        } else {
            waiting.lines.extend_from_slice(line);
        }
        if mem::take(&mut waiting.thread_idle) {
            drop(waiting);
            self.shared.line_arrived.notify_one();
        }
    }
}

impl Write for &BatchedWriter {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        self.append(line);
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedWriter {
    type Writer = &'a BatchedWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

impl Drop for WrittenOnDrop {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.line_arrived.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    use crate::server::logging::CapturedOutput;

    #[test]
    fn every_line_is_written_in_order_by_the_time_the_guard_drops() {
        let output = CapturedOutput::default();
        let (writer, written) = batched_writer(output.clone()).unwrap();
        let loggers: Vec<_> = (0..4)
            .map(|logger| {
                let writer = writer.clone();
                thread::spawn(move || {
                    for line in 0..1000 {
                        (&writer)
                            .write_all(format!("{logger} {line}\n").as_bytes())
                            .unwrap();
                    }
                })
            })
            .collect();
        for logger in loggers {
            logger.join().unwrap();
        }
        drop(written);
        let text = output.text();
        for logger in 0..4 {
            let lines: Vec<usize> = text
                .lines()
                .filter_map(|line| line.strip_prefix(&format!("{logger} ")))
                .map(|line| line.parse().unwrap())
                .collect();
            assert_eq!(lines, (0..1000).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_quiet_servers_line_is_written_without_waiting_for_more() {
        let output = CapturedOutput::default();
        let (writer, _written) = batched_writer(output.clone()).unwrap();
        // The thread waits for a line before this one comes.
        for _ in 0..500 {
            if writer.shared.lock().thread_idle {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        assert!(writer.shared.lock().thread_idle, "the thread never waited");
        (&writer).write_all(b"alone\n").unwrap();
        for _ in 0..500 {
            if output.text() == "alone\n" {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        panic!("the line was not written within 5 s: {:?}", output.text());
    }

    #[test]
    fn lines_beyond_the_limit_are_dropped_and_counted() {
        /// An output that says when a write begins, then blocks until told
        /// to go on.
        struct Stalled {
            written: CapturedOutput,
            writing: mpsc::Sender<()>,
            go_on: mpsc::Receiver<()>,
        }
        impl Write for Stalled {
            fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
                let _ = self.writing.send(());
                let _ = self.go_on.recv();
                self.written.write(bytes)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let output = CapturedOutput::default();
        let (writing, is_writing) = mpsc::channel();
        let (go_on, stalled) = mpsc::channel();
        let (writer, written) = batched_writer(Stalled {
            written: output.clone(),
            writing,
            go_on: stalled,
        })
        .unwrap();
        (&writer).write_all(b"first\n").unwrap();
        // The thread has taken `first` and blocks writing it; what follows waits.
        is_writing
            .recv_timeout(Duration::from_secs(5))
            .expect("the thread began writing `first`");
        let mut line = vec![b'x'; 1024 * 1024 - 1];
        line.push(b'\n');
        for _ in 0..6 {
            (&writer).write_all(&line).unwrap();
        }
        drop(go_on);
        drop(written);
        let text = output.text();
        assert!(text.starts_with("first\n"), "{}", &text[..20]);
        assert_eq!(text.matches(&*String::from_utf8(line).unwrap()).count(), 4);
        assert!(text.ends_with('\n'));
        assert!(
            text.contains("2 log lines were dropped: the log output did not keep up"),
            "{}",
            text.len()
        );
    }
}
