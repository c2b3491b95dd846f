//! Runs the `agentctl` binary as a person or a script would, and reads what
//! it printed and how it exited.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// How long one agentctl run may take in a test.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// What one agentctl run printed, and its exit status.
#[derive(Debug)]
pub struct Ran {
    /// The exit code (`None` when a signal ended it).
    pub code: Option<i32>,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
}

impl Ran {
    /// Asserts the run succeeded, and answers its stdout as JSON.
    pub fn json(&self) -> Value {
        assert_eq!(self.code, Some(0), "agentctl failed: {self:#?}");
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }

    /// Asserts the run exited with `code` and said each of `needles` on stderr.
    pub fn assert_failed(&self, code: i32, needles: &[&str]) {
        assert_eq!(self.code, Some(code), "{self:#?}");
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr lacks {needle:?}: {self:#?}"
            );
        }
    }
}

/// The agentctl command against the server at `addr`, with no `AGENTCTL_*`
/// variable of the test's environment.
pub fn command(addr: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agentctl"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AGENTCTL_") {
            command.env_remove(name);
        }
    }
    command
        .arg("--addr")
        .arg(addr)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Runs agentctl with `args` against the server at `addr` to its end.
pub async fn agentctl(addr: &str, args: &[&str]) -> Ran {
    let output = tokio::time::timeout(RUN_LIMIT, command(addr, args).output())
        .await
        .unwrap_or_else(|_| panic!("agentctl {args:?} ran past {RUN_LIMIT:?}"))
        .expect("start agentctl");
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A run in progress, whose stderr is read line by line as it comes.
pub struct Running {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: String,
    stdout: tokio::task::JoinHandle<String>,
}

impl Running {
    /// Starts agentctl with `args` against the server at `addr`.
    pub fn start(addr: &str, args: &[&str]) -> Self {
        let mut child = command(addr, args).spawn().expect("start agentctl");
        let mut out = child.stdout.take().expect("a piped stdout");
        let stdout = tokio::spawn(async move {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text).await;
            text
        });
        let stderr = child.stderr.take().expect("a piped stderr");
        let (sender, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            stderr: String::new(),
            stdout,
        }
    }

    /// Waits until agentctl says `needle` on stderr.
    pub async fn wait_for(&mut self, needle: &str) {
        let wait = async {
            while let Some(line) = self.lines.recv().await {
                self.stderr.push_str(&line);
                self.stderr.push('\n');
                if line.contains(needle) {
                    return true;
                }
            }
            false
        };
        let found = tokio::time::timeout(RUN_LIMIT, wait).await;
        assert!(
            matches!(found, Ok(true)),
            "agentctl never said {needle:?}; it said:\n{}",
            self.stderr
        );
    }

    /// Sends SIGINT, as Ctrl-C does.
    pub fn interrupt(&self) {
        let pid = self.child.id().expect("a running agentctl");
        let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).expect("a pid"));
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("send SIGINT");
    }

    /// Waits for the run to end.
    pub async fn finish(mut self) -> Ran {
        let status = match tokio::time::timeout(RUN_LIMIT, self.child.wait()).await {
            Ok(status) => status.expect("wait for agentctl"),
            Err(_) => {
                let _ = self.child.kill().await;
                while let Ok(line) = self.lines.try_recv() {
                    self.stderr.push_str(&line);
                    self.stderr.push('\n');
                }
                panic!(
                    "agentctl did not end within {RUN_LIMIT:?}; it said:\n{}",
                    self.stderr
                );
            }
        };
        while let Some(line) = self.lines.recv().await {
            self.stderr.push_str(&line);
            self.stderr.push('\n');
        }
        Ran {
            code: status.code(),
            stdout: self.stdout.await.expect("read stdout"),
            stderr: self.stderr,
        }
    }
}

/// A loopback address nothing listens on.
pub fn closed_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    drop(listener);
    address.to_string()
}

/// A file in the system's temporary folder, named for this process and
/// `name`, removed when dropped.
pub struct TempFile(pub std::path::PathBuf);

impl TempFile {
    /// A path for `name`; nothing is written yet.
    pub fn new(name: &str) -> Self {
        TempFile(std::env::temp_dir().join(format!("agentctl-test-{}-{name}", std::process::id())))
    }

    /// The path as text, for a command line.
    pub fn arg(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
