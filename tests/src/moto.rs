//! moto's S3-compatible server (`moto[server]` from PyPI), run on a free
//! loopback port for the length of a test: the tool `MOTO_SERVER` names
//! (see [`crate::tools`]).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use agent_core::storage::Storage;

use crate::tools;

/// The access key and secret moto accepts: any.
const CREDENTIAL: &str = "testing";

/// A running moto server, stopped when dropped.
pub struct Moto {
    process: Child,
    endpoint: String,
}

impl Moto {
    /// Starts moto on a free loopback port and waits until it answers; `None`
    /// when `MOTO_SERVER` is unset (the test is skipped).
    ///
    /// # Panics
    /// When moto does not start, or `MOTO_SERVER` is unset while
    /// `AGENT_TESTS_REQUIRE_TOOLS=1`.
    pub async fn start() -> Option<Moto> {
        let program = tools::tool("MOTO_SERVER", "moto's S3-compatible server (moto_server)")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let process = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        let mut moto = Moto {
            process,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        moto.wait_until_answering().await;
        Some(moto)
    }

    async fn wait_until_answering(&mut self) {
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Some(status) = self.process.try_wait().expect("the moto process") {
                panic!("moto_server exited before answering: {status}");
            }
            if client.get(&self.endpoint).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "moto_server did not answer on {} within 30 s",
            self.endpoint
        );
    }

    /// Where it listens: `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Creates the bucket `name`.
    ///
    /// # Panics
    /// When moto refuses.
    pub async fn create_bucket(&self, name: &str) {
        let response = reqwest::Client::new()
            .put(format!("{}/{name}", self.endpoint))
            .send()
            .await
            .expect("moto answers");
        assert!(
            response.status().is_success(),
            "creating bucket {name}: {}",
            response.status()
        );
    }

    /// The settings that point a storage at this server, under flytekit's
    /// names where it has them, as a process's environment would carry them.
    pub fn settings(&self) -> [(&'static str, String); 4] {
        [
            ("FLYTE_AWS_ENDPOINT", self.endpoint.clone()),
            ("FLYTE_AWS_ACCESS_KEY_ID", CREDENTIAL.to_owned()),
            ("FLYTE_AWS_SECRET_ACCESS_KEY", CREDENTIAL.to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
        ]
    }

    /// A storage that reaches this server for every `s3://` URI.
    pub fn storage(&self) -> Storage {
        self.settings()
            .into_iter()
            .fold(Storage::default(), |storage, (name, value)| {
                storage.with_option(name, value)
            })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
