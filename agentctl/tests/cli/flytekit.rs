//! agentctl against flytekit 1.16's own agent server, `pyflyte serve agent`,
//! serving the agents of `tests/python/agents.py` (an async and a sync
//! agent written with flytekit's `AsyncAgentBase` and `SyncAgentBase`).
//!
//! Needs `FLYTEKIT_PYTHON`, a Python with `flytekit[connector]==1.16.31`:
//! `eval "$(tests/tools/setup.sh)"` installs one and sets it. Without
//! it these tests are skipped, unless `AGENT_TESTS_REQUIRE_TOOLS=1`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::process::{Child, Command};

use crate::support::{Running, TempFile, agentctl, closed_address};

/// How long flytekit's server may take to start (importing flytekit is slow).
const START_LIMIT: Duration = Duration::from_secs(90);

/// `pyflyte serve agent` on a loopback port, stopped when dropped.
struct Pyflyte {
    addr: String,
    python: PathBuf,
    /// Where the timer agent writes the metadata of each job it deletes.
    deletions: TempFile,
    log: TempFile,
    server: Child,
}

impl Pyflyte {
    /// Starts the server, or `None` when `FLYTEKIT_PYTHON` is not set.
    async fn start() -> Option<Self> {
        let python = agent_tests::tools::tool(
            "FLYTEKIT_PYTHON",
            "a Python with flytekit[connector]==1.16.31 installed",
        )?;
        let addr = closed_address();
        let port = addr.rsplit(':').next().expect("a port").to_owned();
        let metrics_addr = closed_address();
        let metrics_port = metrics_addr.rsplit(':').next().expect("a port");
        let deletions = TempFile::new(&format!("deletions-{port}.txt"));
        let log = TempFile::new(&format!("pyflyte-{port}.log"));
        let log_file = std::fs::File::create(&log.0).expect("create the server log");
        // What the `pyflyte` script runs, so that any Python with flytekit works.
        let server = Command::new(&python)
            .args([
                "-c",
                "import sys; from flytekit.clis.sdk_in_container.pyflyte import main; \
                 sys.argv[0] = 'pyflyte'; sys.exit(main())",
                "serve",
                "agent",
                "--port",
                &port,
                "--prometheus_port",
                metrics_port,
                "--modules",
                "agents",
            ])
            .current_dir(python_dir())
            .env("AGENTCTL_TEST_DELETIONS", &deletions.0)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("the log file"))
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start pyflyte with {}: {e}", python.display()));
        let mut pyflyte = Pyflyte {
            addr,
            python,
            deletions,
            log,
            server,
        };
        pyflyte.wait_until_serving().await;
        Some(pyflyte)
    }

    async fn wait_until_serving(&mut self) {
        let started = tokio::time::Instant::now();
        loop {
            let ran = agentctl(&self.addr, &["--protocol", "flyte1", "list"]).await;
            if ran.code == Some(0) {
                return;
            }
            if let Ok(Some(status)) = self.server.try_wait() {
                panic!("pyflyte exited with {status}:\n{}", self.log());
            }
            assert!(
                started.elapsed() < START_LIMIT,
                "pyflyte did not serve within {START_LIMIT:?}: {ran:?}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log.0).unwrap_or_default()
    }

    /// The metadata of the jobs the timer agent deleted, one per line.
    fn deletions(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.deletions.0)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("JSON metadata"))
            .collect()
    }
}

/// `tests/python`, where `agents.py` is.
fn python_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}

/// One server for every check: starting flytekit's takes seconds.
#[tokio::test(flavor = "multi_thread")]
async fn agentctl_drives_flytekits_own_agent_server() {
    let Some(server) = Pyflyte::start().await else {
        return;
    };
    lists_and_describes_the_python_agents(&server).await;
    creates_gets_and_deletes_a_job(&server).await;
    runs_the_async_agent(&server).await;
    runs_the_sync_agent_with_typed_inputs_from_a_flytekit_template(&server).await;
    ctrl_c_deletes_the_job(&server).await;
    errors_name_what_flytekit_answered(&server).await;
}

async fn lists_and_describes_the_python_agents(server: &Pyflyte) {
    let agents = agentctl(&server.addr, &["list"]).await.json();
    let agents = agents.as_array().expect("a JSON array");
    assert!(
        agents.contains(&json!({
            "name": "Python Timer Agent", "kind": "async",
            "task_categories": [{"name": "py_timer", "version": 0}],
        })),
        "{agents:?}"
    );
    let echo = agentctl(&server.addr, &["describe", "Python Echo Agent"])
        .await
        .json();
    assert_eq!(
        echo,
        json!({
            "name": "Python Echo Agent", "kind": "sync",
            "task_categories": [{"name": "py_echo", "version": 0}],
        })
    );
}

async fn creates_gets_and_deletes_a_job(server: &Pyflyte) {
    let created = agentctl(
        &server.addr,
        &[
            "create",
            "--task-type",
            "py_timer",
            "--inputs",
            r#"{"ms": 100}"#,
        ],
    )
    .await;
    assert_eq!(created.code, Some(0), "{created:?}");
    // flytekit's ResourceMeta.encode(): the dataclass as JSON.
    let meta = created.stdout.trim().to_owned();
    let job: serde_json::Value = serde_json::from_str(&meta).expect("JSON metadata");
    assert_eq!(job["ms"], 100);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let job_args = ["--task-type", "py_timer", "--meta", &meta];
    let got = agentctl(&server.addr, &[&["get"], &job_args[..]].concat())
        .await
        .json();
    assert_eq!(got["phase"], "SUCCEEDED", "{got}");
    assert_eq!(got["outputs"], json!({"o0": 100}));
    let deleted = agentctl(&server.addr, &[&["delete"], &job_args[..]].concat()).await;
    assert_eq!(deleted.code, Some(0), "{deleted:?}");
    assert_eq!(server.deletions(), [job]);
}

async fn runs_the_async_agent(server: &Pyflyte) {
    let ran = agentctl(
        &server.addr,
        &[
            "run",
            "--task-type",
            "py_timer",
            "--inputs",
            r#"{"ms": 700}"#,
            "--interval",
            "0.2",
        ],
    )
    .await;
    assert_eq!(ran.json(), json!({"o0": 700}));
    assert!(ran.stderr.contains("RUNNING: "), "{ran:?}");
    assert!(
        ran.stderr.contains("log: timer: http://timers.example/"),
        "{ran:?}"
    );
}

async fn runs_the_sync_agent_with_typed_inputs_from_a_flytekit_template(server: &Pyflyte) {
    let template = TempFile::new("py-echo-template.pb");
    let written = Command::new(&server.python)
        .args(["agents.py", "template", &template.arg()])
        .current_dir(python_dir())
        .output()
        .await
        .expect("run agents.py");
    assert!(written.status.success(), "{written:?}");
    let inputs = json!({
        "x": 41, "ratio": 2, "flag": true,
        "when": "2024-05-06T07:08:09.123456Z", "wait": 90.5,
        "tags": ["a", "b"], "scores": {"a": 1.5},
        "point": {"x": 1, "y": 2.5}, "maybe": null, "colour": "green",
    });
    let ran = agentctl(
        &server.addr,
        &[
            "run",
            "--template",
            &template.arg(),
            "--inputs",
            &inputs.to_string(),
        ],
    )
    .await;
    // flytekit read each input as the template types it, and wrote it back.
    assert_eq!(
        ran.json(),
        json!({
            "o0": 42, "o_x": 41, "o_ratio": 2.0, "o_flag": true,
            "o_when": "2024-05-06T07:08:09.123456Z", "o_wait": 90.5,
            "o_tags": ["a", "b"], "o_scores": {"a": 1.5},
            "o_point": {"x": 1, "y": 2.5}, "o_maybe": null, "o_colour": "green",
        })
    );
    // ExecuteTaskSync, not CreateTask.
    assert!(!ran.stderr.contains("created: "), "{ran:?}");

    let mut wrong = inputs.clone();
    wrong["x"] = json!("abc");
    agentctl(
        &server.addr,
        &[
            "run",
            "--template",
            &template.arg(),
            "--inputs",
            &wrong.to_string(),
        ],
    )
    .await
    .assert_failed(
        2,
        &[r#"input `x`: expected an integer (the template declares INTEGER), got "abc""#],
    );
    let mut wrong = inputs;
    wrong["colour"] = json!("blue");
    agentctl(
        &server.addr,
        &[
            "run",
            "--template",
            &template.arg(),
            "--inputs",
            &wrong.to_string(),
        ],
    )
    .await
    .assert_failed(2, &[r#"input `colour`: expected one of "red", "green""#]);
}

async fn ctrl_c_deletes_the_job(server: &Pyflyte) {
    let before = server.deletions().len();
    let mut running = Running::start(
        &server.addr,
        &[
            "run",
            "--task-type",
            "py_timer",
            "--inputs",
            r#"{"ms": 60000}"#,
            "--interval",
            "0.2",
        ],
    );
    running.wait_for("RUNNING").await;
    running.interrupt();
    let ran = running.finish().await;
    ran.assert_failed(130, &["error: interrupted; the job was deleted"]);
    let deletions = server.deletions();
    assert_eq!(deletions.len(), before + 1, "{ran:?}");
    assert_eq!(deletions[before]["ms"], 60000);
}

async fn errors_name_what_flytekit_answered(server: &Pyflyte) {
    agentctl(&server.addr, &["create", "--task-type", "nope"])
        .await
        .assert_failed(
            1,
            &[
                "AsyncAgentService.CreateTask (Flyte 1)",
                "NOT_FOUND: Cannot find connector for task type: nope.",
                "hint: run `agentctl list` to see what it serves",
            ],
        );
    // flytekit serves Flyte 1 only.
    agentctl(&server.addr, &["--protocol", "flyte2", "list"])
        .await
        .assert_failed(1, &["UNIMPLEMENTED", "try --protocol flyte1"]);
}
