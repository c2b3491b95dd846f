//! `agent-bench` run for about a second against real servers on loopback
//! ports (ours, with the test agents, and `baseline-server`): its calls
//! reach the agents and its report counts them. Nothing here is timed.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use agent_core::testing::TestServer;
use agent_tests::agents::{Calls, registry};
use serde_json::Value;
use tokio::process::{Child, Command};

/// Runs `agent-bench` with `args` and answers its exit success, stdout and stderr.
async fn agent_bench(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_agent-bench"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// Runs `agent-bench` with `args` (which ask for `--json`), checks that it
/// succeeded, and answers its report.
async fn json_report(args: &[&str]) -> Value {
    let (ok, stdout, stderr) = agent_bench(args).await;
    assert!(ok, "{args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

/// Runs `agent-bench --json` for half a second against `addr` and answers
/// its report, every call answered.
async fn report(addr: &str, protocol: &str, rpc: &str, task_type: &str) -> Value {
    let report = json_report(&[
        "--addr",
        addr,
        "--protocol",
        protocol,
        "--rpc",
        rpc,
        "--task-type",
        task_type,
        "--concurrency",
        "4",
        "--connections",
        "2",
        "--duration",
        "0.5",
        "--json",
    ])
    .await;
    assert_eq!(report["errors"], 0, "{report}");
    assert!(report["requests"].as_u64().unwrap() > 0, "{report}");
    assert!(
        report["latency_us"]["p99"].as_u64().unwrap() > 0,
        "{report}"
    );
    report
}

fn requests(report: &Value) -> usize {
    report["requests"].as_u64().unwrap() as usize
}

async fn our_server() -> (TestServer, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let server = TestServer::start(registry(Arc::clone(&calls))).await;
    (server, calls)
}

#[tokio::test(flavor = "multi_thread")]
async fn creates_and_sync_runs_each_reach_the_agent_as_a_fresh_task_attempt() {
    let (server, calls) = our_server().await;
    let addr = server.address().to_string();
    let created = report(&addr, "flyte1", "create", "echo_async").await;
    assert_eq!(calls.create.load(Ordering::SeqCst), requests(&created));
    let created2 = report(&addr, "flyte2", "create", "echo_async").await;
    assert_eq!(
        calls.create.load(Ordering::SeqCst),
        requests(&created) + requests(&created2)
    );
    let ran = report(&addr, "flyte1", "sync", "echo_sync").await;
    assert_eq!(calls.execute.load(Ordering::SeqCst), requests(&ran));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deadline_goes_with_every_call_and_the_server_enforces_it() {
    let (server, _) = our_server().await;
    let addr = server.address().to_string();
    // `slow_async` takes 200 ms to create, `echo_sync` 100 ms to run: both
    // answer within no deadline, and past one of 20 ms (which tonic's
    // server answers `CANCELLED`, "Timeout expired").
    for (rpc, task_type) in [("create", "slow_async"), ("sync", "echo_sync")] {
        report(&addr, "flyte1", rpc, task_type).await;
        let report = json_report(&[
            "--addr",
            &addr,
            "--rpc",
            rpc,
            "--task-type",
            task_type,
            "--duration",
            "0.3",
            "--deadline",
            "0.02",
            "--json",
        ])
        .await;
        assert_eq!(report["requests"], 0, "{report}");
        assert!(report["errors"].as_u64().unwrap() > 0, "{report}");
        assert_eq!(
            report["error_kinds"]["Cancelled"], report["errors"],
            "{report}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn gets_deletes_lists_and_the_mixed_round_are_answered() {
    let (server, calls) = our_server().await;
    let addr = server.address().to_string();
    for protocol in ["flyte1", "flyte2"] {
        report(&addr, protocol, "get", "echo_async").await;
        report(&addr, protocol, "list", "echo_async").await;
    }
    // Repeats of one delete: the guard answers them after the first.
    report(&addr, "flyte1", "delete", "echo_async").await;
    assert_eq!(calls.delete.load(Ordering::SeqCst), 1);

    let deletes_before = calls.delete.load(Ordering::SeqCst);
    let mixed = report(&addr, "flyte1", "mixed", "echo_async").await;
    // Each round: a create, 8 gets and a delete, all answered.
    let deletes = calls.delete.load(Ordering::SeqCst) - deletes_before;
    assert!(deletes > 0);
    assert_eq!(requests(&mixed), deletes * 10, "{mixed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_baseline_server_answers_every_rpc() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut baseline: Child = Command::new(env!("CARGO_BIN_EXE_baseline-server"))
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let (ready, stdout, stderr) = agent_bench(&["--addr", &addr, "--probe-ready", "10"]).await;
    assert!(ready, "{stderr}");
    assert!(stdout.trim().parse::<u128>().is_ok(), "{stdout}");
    for rpc in ["create", "get", "delete", "list", "mixed"] {
        for protocol in ["flyte1", "flyte2"] {
            report(&addr, protocol, rpc, "bench_async").await;
        }
    }
    report(&addr, "flyte1", "sync", "bench_sync").await;
    baseline.kill().await.unwrap();
}

#[tokio::test]
async fn wrong_flags_and_unknown_task_types_are_clear_errors() {
    let (ok, _, stderr) = agent_bench(&["--protocol", "flyte2", "--rpc", "sync"]).await;
    assert!(!ok);
    assert!(stderr.contains("Flyte 2 has no sync service"), "{stderr}");

    let (ok, _, stderr) = agent_bench(&["--duration", "0"]).await;
    assert!(!ok);
    assert!(stderr.contains("--duration 0"), "{stderr}");

    let (ok, _, stderr) = agent_bench(&["--deadline", "0"]).await;
    assert!(!ok);
    assert!(stderr.contains("--deadline 0"), "{stderr}");

    let (server, _) = our_server().await;
    let addr = server.address().to_string();
    let (ok, _, stderr) =
        agent_bench(&["--addr", &addr, "--rpc", "get", "--task-type", "nope"]).await;
    assert!(!ok);
    assert!(
        stderr.contains("CreateTask before the run failed")
            && stderr.contains("nope")
            && stderr.contains("--task-type"),
        "{stderr}"
    );

    let (ok, _, stderr) = agent_bench(&["--addr", "127.0.0.1:1", "--duration", "1"]).await;
    assert!(!ok);
    assert!(stderr.contains("cannot connect to 127.0.0.1:1"), "{stderr}");
}

/// The address of a server that accepts connections and never answers.
async fn silent_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = listener.accept().await {
            held.push(connection);
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_stops_answering_ends_the_run_with_errors_not_a_hang() {
    let addr = silent_server().await;
    let run = [
        "--addr",
        &addr,
        "--rpc",
        "create",
        "--duration",
        "0.2",
        "--json",
    ];
    let setup = ["--addr", &addr, "--rpc", "get", "--duration", "0.2"];
    let probe = ["--addr", &addr, "--probe-ready", "1"];
    let ((ran, stdout, stderr), (set_up, _, setup_error), (probed, _, probe_error)) =
        tokio::join!(agent_bench(&run), agent_bench(&setup), agent_bench(&probe));

    assert!(ran, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["requests"], 0, "{report}");
    assert!(report["errors"].as_u64().unwrap() > 0, "{report}");
    assert!(
        report["error_kinds"]
            .as_object()
            .unwrap()
            .keys()
            .any(|kind| kind.contains("the server stopped answering")),
        "{report}"
    );
    assert!(!set_up);
    assert!(
        setup_error.contains("CreateTask before the run failed")
            && setup_error.contains("no answer within 5 s"),
        "{setup_error}"
    );
    assert!(!probed);
    assert!(
        probe_error.contains("did not answer within 1 s"),
        "{probe_error}"
    );

    let (ok, _, stderr) = agent_bench(&["--addr", &addr, "--probe-ready", "0"]).await;
    assert!(!ok);
    assert!(stderr.contains("--probe-ready"), "{stderr}");
}

/// Runs `agent-bench` for a tenth of a second of ListAgents against `addr`,
/// its stdout `stdout`; answers its exit success and stderr.
async fn with_stdout(addr: &str, stdout: impl Into<Stdio>) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_agent-bench"))
        .args(["--addr", addr, "--rpc", "list", "--duration", "0.1"])
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_stops_reading_is_no_failure() {
    let (server, _) = our_server().await;
    // Stdout is a pipe whose reader has gone, as in `agent-bench | true`.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let (ok, stderr) = with_stdout(&server.address().to_string(), writer).await;
    assert!(ok, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn stdout_that_cannot_be_written_is_a_clear_error() {
    let (server, _) = our_server().await;
    // Every write to /dev/full fails with ENOSPC, as on a full disk.
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let (ok, stderr) = with_stdout(&server.address().to_string(), full).await;
    assert!(!ok);
    assert!(
        stderr.contains("agent-bench: cannot write to stdout: No space left on device"),
        "{stderr}"
    );
}
