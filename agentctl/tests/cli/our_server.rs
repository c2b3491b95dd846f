//! agentctl against our agent server (the test agents of `agent_tests`),
//! over both protocols.

use std::sync::Arc;

use agent_core::proto::flyteidl::core::{
    LiteralType, SimpleType, TaskTemplate, TypedInterface, Variable, VariableMap, literal_type,
};
use agent_core::testing::TestServer;
use agent_tests::agents::{Calls, registry};
use prost::Message;
use serde_json::json;

use crate::support::{Running, TempFile, agentctl, closed_address, command};

/// Both protocols, as `--protocol` names them.
const PROTOCOLS: [&str; 2] = ["flyte1", "flyte2"];

async fn start() -> (TestServer, Arc<Calls>, String) {
    let calls = Arc::new(Calls::default());
    let server = TestServer::start(registry(Arc::clone(&calls))).await;
    let address = server.address().to_string();
    (server, calls, address)
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_each_agent_with_its_categories_and_kind() {
    let (_server, _calls, addr) = start().await;
    for protocol in PROTOCOLS {
        let agents = agentctl(&addr, &["--protocol", protocol, "list", "-o", "json"])
            .await
            .json();
        let agents = agents.as_array().expect("a JSON array");
        let echo = agents
            .iter()
            .find(|agent| agent["name"] == "Echo Agent")
            .unwrap_or_else(|| panic!("no Echo Agent in {agents:?}"));
        assert_eq!(echo["kind"], "async");
        assert_eq!(
            echo["task_categories"],
            json!([
                {"name": "echo_async", "version": 0},
                {"name": "echo_async", "version": 1},
                {"name": "slow_async", "version": 0},
            ])
        );
        let sync = agents
            .iter()
            .find(|agent| agent["name"] == "Echo Sync Agent")
            .expect("the sync echo agent");
        // Flyte 2 has no sync service: every connector is async there.
        let kind = if protocol == "flyte1" {
            "sync"
        } else {
            "async"
        };
        assert_eq!(sync["kind"], kind, "{protocol}");
        let served = registry(Arc::new(Calls::default())).agents().len();
        assert_eq!(agents.len(), served, "{protocol}: {agents:?}");
    }
    let table = agentctl(&addr, &["list", "--output", "table"]).await;
    assert_eq!(table.code, Some(0), "{table:?}");
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(lines[0].starts_with("NAME") && lines[0].contains("TASK CATEGORIES"));
    assert!(
        lines.iter().any(|line| line.starts_with("Echo Sync Agent")
            && line.contains("sync")
            && line.ends_with("echo_sync (v0)")),
        "{}",
        table.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_shows_one_agent_and_an_unknown_name_says_what_to_run() {
    let (_server, _calls, addr) = start().await;
    for protocol in PROTOCOLS {
        let agent = agentctl(&addr, &["--protocol", protocol, "describe", "TimerAgent"])
            .await
            .json();
        assert_eq!(
            agent,
            json!({
                "name": "TimerAgent", "kind": "async",
                "task_categories": [{"name": "timer_async", "version": 0}],
            })
        );
        agentctl(&addr, &["--protocol", protocol, "describe", "Nobody"])
            .await
            .assert_failed(
                1,
                &[
                    &format!("on {addr} failed: NOT_FOUND"),
                    "Nobody",
                    "hint: run `agentctl list`",
                ],
            );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_get_and_delete_round_trip() {
    let (_server, calls, addr) = start().await;
    for (round, protocol) in PROTOCOLS.into_iter().enumerate() {
        let args = ["--protocol", protocol, "-o", "json"];
        let created = agentctl(
            &addr,
            &[
                &args[..],
                &[
                    "create",
                    "--task-type",
                    "echo_async",
                    "--inputs",
                    r#"{"x": 21}"#,
                ],
            ]
            .concat(),
        )
        .await;
        assert_eq!(created.code, Some(0), "{created:?}");
        // The metadata as the agent wrote it: JSON text.
        let meta = created.stdout.trim().to_owned();
        let job: serde_json::Value = serde_json::from_str(&meta).expect("JSON metadata");
        assert_eq!(job["x"], 21);

        let job_args = ["--task-type", "echo_async", "--meta", &meta];
        let got = agentctl(&addr, &[&args[..], &["get"], &job_args[..]].concat())
            .await
            .json();
        assert_eq!(got["phase"], "SUCCEEDED", "{got}");
        assert_eq!(got["outputs"], json!({"o0": 42}));
        assert_eq!(got["message"], format!("job {} done", job["job_id"]));

        let deleted = agentctl(&addr, &[&args[..], &["delete"], &job_args[..]].concat()).await;
        assert_eq!(deleted.code, Some(0), "{deleted:?}");
        assert!(deleted.stderr.contains("deleted the job"), "{deleted:?}");
        assert_eq!(Calls::of(&calls.delete), round + 1, "{protocol}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_that_is_not_text_is_read_as_base64() {
    let (_server, _calls, addr) = start().await;
    // Flyte 2 serves a sync agent as a connector whose metadata holds the
    // result as protobuf: not text, so printed as base64.
    let created = agentctl(
        &addr,
        &[
            "--protocol",
            "flyte2",
            "create",
            "--task-type",
            "echo_sync",
            "--inputs",
            r#"{"x": 1}"#,
        ],
    )
    .await;
    assert_eq!(created.code, Some(0), "{created:?}");
    let meta = created.stdout.trim();
    assert!(meta.starts_with("base64:"), "{meta}");
    let got = agentctl(
        &addr,
        &[
            "--protocol",
            "flyte2",
            "get",
            "--task-type",
            "echo_sync",
            "--meta",
            meta,
        ],
    )
    .await
    .json();
    assert_eq!(got["outputs"], json!({"o0": 2}));
}

#[tokio::test(flavor = "multi_thread")]
async fn run_polls_an_async_job_to_its_outputs() {
    let (_server, _calls, addr) = start().await;
    for protocol in PROTOCOLS {
        let ran = agentctl(
            &addr,
            &[
                "--protocol",
                protocol,
                "run",
                "--task-type",
                "timer_async",
                "--inputs",
                r#"{"ms": 600}"#,
                "--interval",
                "0.2",
            ],
        )
        .await;
        assert_eq!(ran.json(), json!({"o0": 600}), "{protocol}");
        // Progress on stderr: the phase, the message and the log link.
        assert!(ran.stderr.contains("RUNNING: "), "{ran:?}");
        assert!(ran.stderr.contains("ms to go"), "{ran:?}");
        assert!(
            ran.stderr.contains("log: timer: http://timers.example/"),
            "{ran:?}"
        );
        assert!(ran.stderr.contains("SUCCEEDED"), "{ran:?}");

        let v1 = agentctl(
            &addr,
            &[
                "--protocol",
                protocol,
                "run",
                "--task-type",
                "echo_async",
                "--version",
                "1",
                "--inputs",
                r#"{"x": 5}"#,
            ],
        )
        .await;
        assert_eq!(v1.json(), json!({"o0": 15}), "{protocol}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn run_of_a_sync_agent_is_one_call_on_flyte1_and_create_then_get_on_flyte2() {
    let (_server, calls, addr) = start().await;
    for (round, protocol) in PROTOCOLS.into_iter().enumerate() {
        let ran = agentctl(
            &addr,
            &[
                "--protocol",
                protocol,
                "run",
                "--task-type",
                "echo_sync",
                "--inputs",
                r#"{"x": 41}"#,
            ],
        )
        .await;
        assert_eq!(ran.json(), json!({"o0": 42}), "{protocol}");
        assert_eq!(Calls::of(&calls.execute), round + 1);
        // Only Flyte 2 goes through CreateTask, whose metadata is noted.
        assert_eq!(
            ran.stderr.contains("created: "),
            protocol == "flyte2",
            "{ran:?}"
        );
    }
    let table = agentctl(
        &addr,
        &[
            "run",
            "--task-type",
            "echo_sync",
            "--inputs",
            r#"{"x": 1}"#,
            "-o",
            "table",
        ],
    )
    .await;
    assert_eq!(table.code, Some(0), "{table:?}");
    assert_eq!(
        table.stdout.lines().collect::<Vec<_>>(),
        ["OUTPUT  VALUE", "o0      2"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_that_ends_failed_exits_non_zero_with_its_message() {
    let (_server, _calls, addr) = start().await;
    for protocol in PROTOCOLS {
        let ran = agentctl(
            &addr,
            &[
                "--protocol",
                protocol,
                "run",
                "--task-type",
                "timer_async",
                "--inputs",
                r#"{"ms": 100, "fail": true}"#,
                "--interval",
                "0.1",
            ],
        )
        .await;
        ran.assert_failed(
            3,
            &["error: the job ended FAILED: the timer was told to fail"],
        );
        assert!(ran.stdout.is_empty(), "{ran:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_deletes_the_running_job_and_says_so() {
    let (_server, calls, addr) = start().await;
    for (round, protocol) in PROTOCOLS.into_iter().enumerate() {
        let mut running = Running::start(
            &addr,
            &[
                "--protocol",
                protocol,
                "run",
                "--task-type",
                "timer_async",
                "--inputs",
                r#"{"ms": 60000}"#,
                "--interval",
                "0.2",
            ],
        );
        running.wait_for("RUNNING").await;
        assert_eq!(Calls::of(&calls.timer_delete), round);
        running.interrupt();
        let ran = running.finish().await;
        ran.assert_failed(
            130,
            &[
                "interrupted: deleting the job",
                "error: interrupted; the job was deleted",
            ],
        );
        assert_eq!(
            Calls::of(&calls.timer_delete),
            round + 1,
            "{protocol}: {ran:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeout_deletes_the_running_job() {
    let (_server, calls, addr) = start().await;
    let ran = agentctl(
        &addr,
        &[
            "run",
            "--task-type",
            "timer_async",
            "--inputs",
            r#"{"ms": 60000}"#,
            "--interval",
            "0.2",
            "--timeout",
            "1",
        ],
    )
    .await;
    ran.assert_failed(124, &["error: timed out after 1 s; the job was deleted"]);
    assert_eq!(Calls::of(&calls.timer_delete), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_task_type_names_the_call_the_server_and_what_to_run() {
    let (_server, _calls, addr) = start().await;
    for (protocol, call) in [
        ("flyte1", "AsyncAgentService.CreateTask (Flyte 1)"),
        ("flyte2", "AsyncConnectorService.CreateTask (Flyte 2)"),
    ] {
        agentctl(
            &addr,
            &["--protocol", protocol, "create", "--task-type", "nope"],
        )
        .await
        .assert_failed(
            1,
            &[
                &format!("error: {call} on {addr} failed: NOT_FOUND: "),
                "nope",
                "hint: run `agentctl list` to see what it serves",
            ],
        );
    }
    agentctl(&addr, &["run", "--task-type", "nope"])
        .await
        .assert_failed(1, &["NOT_FOUND", "hint: run `agentctl list`"]);
    agentctl(
        &addr,
        &["get", "--task-type", "echo_async", "--meta", "not json"],
    )
    .await
    .assert_failed(
        1,
        &[
            "INVALID_ARGUMENT",
            "hint: pass --meta as `agentctl create` printed it",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_server_says_how_to_start_one() {
    let addr = closed_address();
    for protocol in ["auto", "flyte1", "flyte2"] {
        let command = if protocol == "flyte2" {
            "list"
        } else {
            "describe"
        };
        let mut args = vec!["--protocol", protocol, command];
        if command == "describe" {
            args.push("Echo Agent");
        }
        agentctl(&addr, &args).await.assert_failed(
            1,
            &[
                &format!("on {addr} failed: UNAVAILABLE"),
                "Connection refused",
                &format!("hint: is the server running at {addr}?"),
                "cargo run -p agent-examples --bin agent-server",
            ],
        );
    }
}

/// Runs agentctl with `args` against `addr`, its stdout `stdout`; answers
/// its exit code and stderr.
async fn with_stdout(
    addr: &str,
    args: &[&str],
    stdout: impl Into<std::process::Stdio>,
) -> (Option<i32>, String) {
    let ran = command(addr, args)
        .stdout(stdout)
        .spawn()
        .expect("start agentctl")
        .wait_with_output()
        .await
        .expect("run agentctl");
    let stderr = String::from_utf8_lossy(&ran.stderr).into_owned();
    (ran.status.code(), stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_stops_reading_is_no_failure() {
    let (_server, _calls, addr) = start().await;
    let commands: [&[&str]; 2] = [&["list", "-o", "table"], &["describe", "Echo Agent"]];
    for args in commands {
        // Stdout is a pipe whose reader has gone, as in `agentctl list | true`.
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let (code, stderr) = with_stdout(&addr, args, writer).await;
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stdout_that_cannot_be_written_is_a_clear_error() {
    let (_server, _calls, addr) = start().await;
    // Every write to /dev/full fails with ENOSPC, as on a full disk.
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full");
    let (code, stderr) = with_stdout(&addr, &["list"], full).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error: cannot write to stdout: No space left on device"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn inputs_are_typed_by_the_template_and_checked() {
    let (_server, _calls, addr) = start().await;
    let integer = LiteralType {
        r#type: Some(literal_type::Type::Simple(SimpleType::Integer as i32)),
        ..Default::default()
    };
    let template = TaskTemplate {
        r#type: "echo_async".into(),
        interface: Some(TypedInterface {
            inputs: Some(VariableMap {
                variables: [(
                    "x".to_string(),
                    Variable {
                        r#type: Some(integer),
                        ..Default::default()
                    },
                )]
                .into(),
            }),
            outputs: None,
        }),
        ..Default::default()
    };
    let file = TempFile::new("echo-template.pb");
    std::fs::write(&file.0, template.encode_to_vec()).unwrap();
    let ran = agentctl(
        &addr,
        &["run", "--template", &file.arg(), "--inputs", r#"{"x": 4}"#],
    )
    .await;
    assert_eq!(ran.json(), json!({"o0": 8}));
    agentctl(&addr, &["run", "--template", &file.arg(), "--inputs", r#"{"x": "abc"}"#])
        .await
        .assert_failed(
            2,
            &[r#"error: --inputs: input `x`: expected an integer (the template declares INTEGER), got "abc""#],
        );
    agentctl(&addr, &["run", "--template", &file.arg()])
        .await
        .assert_failed(
            2,
            &["input `x`: missing; the template declares it as INTEGER"],
        );
    agentctl(
        &addr,
        &["create", "--task-type", "echo_async", "--inputs", "{x: 1}"],
    )
    .await
    .assert_failed(2, &["error: --inputs: not valid JSON"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flag_of_the_wrong_value_is_a_usage_error_that_exits_2() {
    // With `--protocol`, found before any call: no server is needed.
    let addr = closed_address();
    let run = ["--protocol", "flyte1", "run", "--task-type", "echo_async"];
    agentctl(&addr, &[&run[..], &["--interval", "0"]].concat())
        .await
        .assert_failed(
            2,
            &["error: --interval 0: give a positive number of seconds"],
        );
    agentctl("http://[", &["list"])
        .await
        .assert_failed(2, &["error: --addr http://[: http://[ is not a URI"]);
    agentctl(
        &addr,
        &[
            "--protocol",
            "flyte1",
            "delete",
            "--task-type",
            "echo_async",
            "--meta",
            "base64:!",
        ],
    )
    .await
    .assert_failed(2, &["error: --meta"]);
    // As for a flag clap itself rejects.
    agentctl(&addr, &["run", "--interval", "soon"])
        .await
        .assert_failed(2, &["--interval"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn inputs_are_read_once_from_a_file_that_can_be_read_once() {
    use tokio::io::AsyncWriteExt;
    let (_server, _calls, addr) = start().await;
    // A pipe, as `--inputs @/dev/stdin` or `--inputs @<(...)` reads: a
    // second read finds it empty.
    let mut child = command(
        &addr,
        &[
            "run",
            "--task-type",
            "echo_async",
            "--inputs",
            "@/dev/stdin",
        ],
    )
    .stdin(std::process::Stdio::piped())
    .spawn()
    .expect("start agentctl");
    let mut stdin = child.stdin.take().expect("a piped stdin");
    stdin.write_all(br#"{"x": 4}"#).await.unwrap();
    drop(stdin);
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("agentctl ends")
        .expect("wait for agentctl");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let outputs: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("outputs as JSON");
    assert_eq!(outputs, json!({"o0": 8}));
}

/// The server's `/metrics` page.
async fn scrape(address: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_while_the_job_is_created_deletes_it_once_created() {
    let (server, calls, addr) = start().await;
    // `slow_async` takes 200 ms to create; the interrupt comes as it starts.
    let mut running = Running::start(
        &addr,
        &[
            "run",
            "--task-type",
            "slow_async",
            "--inputs",
            r#"{"x": 1}"#,
        ],
    );
    running.wait_for("slow_async: starting").await;
    running.interrupt();
    let ran = running.finish().await;
    ran.assert_failed(130, &["error: interrupted; the job was deleted"]);
    assert_eq!(Calls::of(&calls.create), 1, "{ran:?}");
    let metrics = scrape(server.metrics_address()).await;
    assert!(
        metrics.contains(
            r#"flyte_connector_requests_success_total{operation="delete",task_type="slow_async"} 1"#
        ),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn run_prints_outputs_written_to_the_output_prefix() {
    let (_server, _calls, addr) = start().await;
    let prefix = tempfile::tempdir().unwrap();
    let prefix_uri = format!("file://{}", prefix.path().display());
    let bytes = 3 * 1024 * 1024;
    for protocol in PROTOCOLS {
        let ran = agentctl(
            &addr,
            &[
                "--protocol",
                protocol,
                "run",
                "--task-type",
                "big_output_async",
                "--inputs",
                &format!(r#"{{"bytes": {bytes}}}"#),
                "--output-prefix",
                &prefix_uri,
                "--interval",
                "0.05",
                "-o",
                "json",
            ],
        )
        .await;
        assert_eq!(ran.code, Some(0), "{protocol}: {ran:?}");
        let outputs = ran.json();
        assert_eq!(
            outputs["o0"].as_str().map(str::len),
            Some(bytes),
            "{protocol}: the outputs were read from outputs.pb"
        );
        assert!(prefix.path().join("outputs.pb").is_file(), "{protocol}");
    }
}
