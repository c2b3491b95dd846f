//! How a run shows its progress: a spinner with the phase, message and log
//! links on a terminal, one plain line per change elsewhere, or nothing.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::resource::ResourceParts;

/// Where and how a run reports its progress. Each log link is shown once.
pub struct Progress {
    display: Display,
    shown: Mutex<Shown>,
}

enum Display {
    Spinner(ProgressBar),
    Lines(Mutex<Box<dyn Write + Send>>),
    Hidden,
}

/// What was shown already: the log links, and the last plain line.
#[derive(Default)]
struct Shown {
    links: Vec<String>,
    last_line: String,
}

impl Progress {
    /// A spinner when stderr is a terminal, plain lines on stderr otherwise.
    pub fn auto() -> Self {
        if std::io::stderr().is_terminal() {
            Self::spinner()
        } else {
            Self::lines(Box::new(std::io::stderr()))
        }
    }

    /// A spinner on stderr.
    pub fn spinner() -> Self {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed}] {prefix} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        Self::with(Display::Spinner(bar))
    }

    /// Plain lines written to `out`, one per change.
    pub fn lines(out: Box<dyn Write + Send>) -> Self {
        Self::with(Display::Lines(Mutex::new(out)))
    }

    /// No display at all.
    pub fn hidden() -> Self {
        Self::with(Display::Hidden)
    }

    fn with(display: Display) -> Self {
        Progress {
            display,
            shown: Mutex::new(Shown::default()),
        }
    }

    /// Shows that a run of `task_type` started, forgetting what an earlier
    /// run showed.
    pub fn start(&self, task_type: &str) {
        *lock(&self.shown) = Shown::default();
        match &self.display {
            Display::Spinner(bar) => {
                bar.reset();
                bar.set_prefix(task_type.to_string());
                bar.set_message("starting");
                bar.enable_steady_tick(Duration::from_millis(120));
            }
            _ => self.line(&format!("{task_type}: starting")),
        }
    }

    /// Shows the latest state of the job: its new log links, then its phase
    /// and message.
    pub fn update(&self, resource: &ResourceParts) {
        for link in &resource.log_links {
            let shown = format!("log: {}: {}", link.name, link.uri);
            let new = {
                let mut seen = lock(&self.shown);
                let new = !seen.links.contains(&shown);
                if new {
                    seen.links.push(shown.clone());
                }
                new
            };
            if new {
                self.note(&shown);
            }
        }
        let status = status_line(resource);
        match &self.display {
            Display::Spinner(bar) => bar.set_message(status),
            _ => self.line(&status),
        }
    }

    /// Says something that is not a state of the job: a deletion, a timeout.
    pub fn note(&self, note: &str) {
        match &self.display {
            Display::Spinner(bar) => bar.println(note),
            _ => self.line(note),
        }
    }

    /// Ends the display with `last` as its final word.
    pub fn finish(&self, last: &str) {
        match &self.display {
            Display::Spinner(bar) => bar.finish_with_message(last.to_string()),
            _ => self.line(last),
        }
    }

    /// Writes `line` unless it repeats the last one.
    fn line(&self, line: &str) {
        let Display::Lines(out) = &self.display else {
            return;
        };
        let mut shown = lock(&self.shown);
        if shown.last_line != line {
            // A progress line that cannot be written is not worth failing a run for.
            let _ = writeln!(lock(out), "{line}");
            shown.last_line = line.to_string();
        }
    }
}

/// `PHASE: message`, as the display shows a state.
pub fn status_line(resource: &ResourceParts) -> String {
    if resource.message.is_empty() {
        resource.phase.to_string()
    } else {
        format!("{}: {}", resource.phase, resource.message)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
