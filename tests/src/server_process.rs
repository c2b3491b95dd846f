//! A real agent server process on loopback ports it picks itself (so no
//! other test can take them between their choice and their use), its log
//! lines read as they come (a full pipe would stall it), stopped with
//! SIGTERM as Kubernetes stops a pod.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tonic::transport::Channel;

/// How long a server may take to log where it listens.
const LISTEN_LIMIT: Duration = Duration::from_secs(30);

/// A server process, killed when dropped.
pub struct ServerProcess {
    child: Child,
    grpc: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl ServerProcess {
    /// Starts `binary` with `args` and the environment variables `envs`,
    /// on loopback ports it picks itself, and waits for its log line
    /// saying where it listens (in either log format).
    ///
    /// # Panics
    /// When the binary cannot be started, or exits or stays silent
    /// instead of listening.
    pub fn start(binary: &Path, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut child = Command::new(binary)
            .args(args)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--prometheus-port", "0"])
            .envs(envs.iter().copied())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("start {}: {error}", binary.display()));
        let stderr = child.stderr.take().expect("a piped stderr");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (listening, grpc) = mpsc::channel();
        let reader = {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(address) = grpc_address(&line) {
                        let _ = listening.send(address);
                    }
                    lines.lock().expect("the log lines").push(line);
                }
            })
        };
        let Ok(grpc) = grpc.recv_timeout(LISTEN_LIMIT) else {
            let _ = child.kill();
            let _ = child.wait();
            // The pipe closed with the process: every line is read.
            let _ = reader.join();
            panic!(
                "{} did not listen:\n{}",
                binary.display(),
                lines.lock().expect("the log lines").join("\n")
            );
        };
        ServerProcess {
            child,
            grpc,
            lines,
            reader: Some(reader),
        }
    }

    /// The gRPC address, as a URI.
    pub fn address(&self) -> String {
        format!("http://{}", self.grpc)
    }

    /// A new connection to the server.
    ///
    /// # Panics
    /// When the server does not accept it.
    pub async fn connect(&self) -> Channel {
        let address = self.address();
        Channel::from_shared(address.clone())
            .expect("a valid URI")
            .connect()
            .await
            .unwrap_or_else(|error| panic!("connect to {address}: {error}"))
    }

    /// Every line the server logged so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("the log lines").clone()
    }

    /// Sends SIGTERM.
    ///
    /// # Panics
    /// When the signal cannot be sent (the process is gone).
    pub fn terminate(&self) {
        let pid = Pid::from_raw(i32::try_from(self.child.id()).expect("a pid fits an i32"));
        kill(pid, Signal::SIGTERM).expect("send SIGTERM");
    }

    /// Waits for the process to exit, `limit` at most, off the runtime
    /// (which must go on serving the test's connections meanwhile), and
    /// answers its exit status (`None` when it did not exit in time, and
    /// was killed), how long it took, and every line it logged.
    pub async fn wait(mut self, limit: Duration) -> (Option<ExitStatus>, Duration, Vec<String>) {
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let status = loop {
                if let Ok(Some(status)) = self.child.try_wait() {
                    break Some(status);
                }
                if started.elapsed() > limit {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(10));
            };
            let took = started.elapsed();
            // The pipe closes with the process: every line is read.
            let reader = self.reader.take().expect("waited for once");
            reader.join().expect("the log reader");
            (status, took, self.lines())
        })
        .await
        .expect("the waiting thread")
    }

    /// Stops the process with SIGTERM and answers every line it logged.
    pub async fn stop(self) -> Vec<String> {
        self.terminate();
        self.wait(Duration::from_secs(60)).await.2
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The gRPC address in the server's "agent server listening" line, in
/// text (`grpc=ADDR`) or JSON (`"grpc":"ADDR"`) format.
fn grpc_address(line: &str) -> Option<SocketAddr> {
    if !line.contains("agent server listening") {
        return None;
    }
    let (_, after) = line
        .split_once("grpc=")
        .or_else(|| line.split_once("\"grpc\":\""))?;
    let end = after
        .find(|c: char| c.is_whitespace() || c == '"')
        .unwrap_or(after.len());
    after[..end].parse().ok()
}
