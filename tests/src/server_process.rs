//! A real agent server process on loopback ports (the `interop-agent-server`
//! binary the tests build), its log lines read as they come (a full pipe
//! would stall it), stopped with SIGTERM as Kubernetes stops a pod.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tonic::transport::Channel;

/// A server process, killed when dropped.
pub struct ServerProcess {
    child: Child,
    port: u16,
    lines: Option<std::thread::JoinHandle<Vec<String>>>,
}

impl ServerProcess {
    /// Starts `binary` on free loopback ports with `args` and the
    /// environment variables `envs`.
    ///
    /// # Panics
    /// When the binary cannot be started.
    pub fn start(binary: &Path, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let port = free_port();
        let metrics_port = free_port();
        let mut child = Command::new(binary)
            .args(["--host", "127.0.0.1"])
            .args(["--port", &port.to_string()])
            .args(["--prometheus-port", &metrics_port.to_string()])
            .args(args)
            .envs(envs.iter().copied())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("start {}: {error}", binary.display()));
        let stderr = child.stderr.take().expect("a piped stderr");
        let lines = std::thread::spawn(move || {
            BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
                .collect()
        });
        ServerProcess {
            child,
            port,
            lines: Some(lines),
        }
    }

    /// The gRPC address, as a URI.
    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A new connection to the server, once it listens (5 s at most).
    ///
    /// # Panics
    /// When it never listens.
    pub async fn connect(&self) -> Channel {
        let address = self.address();
        for _ in 0..200 {
            if let Ok(channel) = Channel::from_shared(address.clone())
                .expect("a valid URI")
                .connect()
                .await
            {
                return channel;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the server never listened on {address}");
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
            let lines = self.lines.take().expect("read once");
            (status, took, lines.join().expect("the log reader"))
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

/// A loopback port free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}
