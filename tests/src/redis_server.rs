//! [`RedisServer`]: a `redis-server` of a test's own, on a free loopback
//! port, with no persistence, stopped when dropped.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools::tool;

/// How long a `redis-server` may take to answer after it is started.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A `redis-server` process (the program `REDIS_SERVER` names) on
/// `127.0.0.1`, killed when dropped.
pub struct RedisServer {
    program: PathBuf,
    port: u16,
    process: Option<Child>,
}

impl RedisServer {
    /// Starts a `redis-server`, or answers `None` when `REDIS_SERVER` is
    /// unset (see [`tool`]).
    ///
    /// # Panics
    /// When it does not answer within 10 s.
    pub fn start() -> Option<Self> {
        let program = tool("REDIS_SERVER", "redis-server")?;
        // A free port may be taken by another test before redis-server binds
        // it: try a few.
        for _ in 0..5 {
            let mut server = RedisServer {
                program: program.clone(),
                port: free_port(),
                process: None,
            };
            if server.launch() {
                return Some(server);
            }
        }
        panic!(
            "{} did not start on five free loopback ports",
            program.display()
        );
    }

    /// The URL of this server, database 0.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills the server (SIGKILL, as a crash would), and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// Stops the server answering (SIGSTOP, as a hung host or a network
    /// partition would) until [`resume`](Self::resume).
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a [`pause`](Self::pause)d server answer again (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let process = self.process.as_ref().expect("the server runs");
        let sent = Command::new("kill")
            .args([signal, &process.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill {signal} failed");
    }

    /// Starts the server again on the same port, empty.
    ///
    /// # Panics
    /// When it does not answer within 10 s.
    pub fn restart(&mut self) {
        self.kill();
        assert!(
            self.launch(),
            "{} did not start again on port {}",
            self.program.display(),
            self.port
        );
    }

    /// Starts the process and waits until it answers `PING`; false when it
    /// exits first (its port was taken).
    fn launch(&mut self) -> bool {
        let mut process = Command::new(&self.program)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--loglevel", "warning"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", self.program.display()));
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            if process.try_wait().ok().flatten().is_some() {
                return false;
            }
            if answers_ping(self.port) {
                self.process = Some(process);
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = process.kill();
        let _ = process.wait();
        panic!(
            "{} did not answer on port {} within {START_TIMEOUT:?}",
            self.program.display(),
            self.port
        );
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // SIGKILL ends a paused process too.
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// Whether a Redis on `port` answers `PING` with `+PONG`.
fn answers_ping(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}
