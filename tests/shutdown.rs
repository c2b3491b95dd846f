//! SIGTERM under load, against the real server binary: health turns
//! NOT_SERVING at once, requests are served through the drain delay, new
//! connections are refused after it, every request started before the
//! signal is answered, and the process exits 0 within the grace period.
//! (`e2e/server_ops.rs` covers the same steps in-process, one request each.)

use std::time::{Duration, Instant};

use agent_core::literal::LiteralMapBuilder;
use agent_core::proto::flyteidl::service::{
    async_agent_service_client::AsyncAgentServiceClient,
    sync_agent_service_client::SyncAgentServiceClient,
};
use agent_core::proto::flyteidl::{admin, core};
use agent_core::proto::flyteidl2::connector::{
    self, async_connector_service_client::AsyncConnectorServiceClient,
};
use agent_core::proto::flyteidl2::task;
use agent_core::{FromLiteral, IntoLiteral};
use agent_tests::server_process::ServerProcess;
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// Slow calls of each kind (two Flyte 1, one Flyte 2) in flight when
/// SIGTERM comes.
const IN_FLIGHT: usize = 100;

/// How long each of them holds its agent: past the drain delay, so they
/// finish after the server stopped accepting.
const HOLD_MS: u64 = 2500;

const DRAIN_DELAY: Duration = Duration::from_secs(1);
const GRACE: Duration = Duration::from_secs(10);

fn template(task_type: &str) -> core::TaskTemplate {
    core::TaskTemplate {
        r#type: task_type.into(),
        ..Default::default()
    }
}

/// The inputs `{x, ms}`.
fn inputs(x: i64, ms: u64) -> core::LiteralMap {
    LiteralMapBuilder::new()
        .with("x", x)
        .with("ms", ms)
        .build()
        .expect("valid inputs")
}

/// The `x` of a test agent's job metadata (JSON).
fn job_x(resource_meta: &[u8]) -> Result<i64, String> {
    let job: serde_json::Value =
        serde_json::from_slice(resource_meta).map_err(|e| format!("metadata: {e}"))?;
    job["x"]
        .as_i64()
        .ok_or_else(|| format!("metadata without x: {job}"))
}

/// A Flyte 1 `CreateTask` of `task_type` with inputs `{x, ms}`, answering
/// the `x` its job holds.
async fn flyte1_create(channel: Channel, task_type: &str, x: i64, ms: u64) -> Result<i64, String> {
    let created = AsyncAgentServiceClient::new(channel)
        .create_task(admin::CreateTaskRequest {
            inputs: Some(inputs(x, ms)),
            template: Some(template(task_type)),
            ..Default::default()
        })
        .await
        .map_err(|status| format!("Flyte 1 CreateTask {task_type}: {status:?}"))?
        .into_inner();
    job_x(&created.resource_meta)
}

/// A Flyte 1 `ExecuteTaskSync` of `sleep_sync` with inputs `{x, ms}`,
/// answering its `o0`.
async fn flyte1_execute(channel: Channel, x: i64, ms: u64) -> Result<i64, String> {
    use admin::execute_task_sync_request::Part;
    let messages = [
        admin::ExecuteTaskSyncRequest {
            part: Some(Part::Header(Box::new(admin::CreateRequestHeader {
                template: Some(template("sleep_sync")),
                ..Default::default()
            }))),
        },
        admin::ExecuteTaskSyncRequest {
            part: Some(Part::Inputs(inputs(x, ms))),
        },
    ];
    let mut replies = SyncAgentServiceClient::new(channel)
        .execute_task_sync(futures::stream::iter(messages))
        .await
        .map_err(|status| format!("Flyte 1 ExecuteTaskSync: {status:?}"))?
        .into_inner();
    let reply = replies
        .message()
        .await
        .map_err(|status| format!("Flyte 1 ExecuteTaskSync: {status:?}"))?
        .ok_or("Flyte 1 ExecuteTaskSync: no reply")?;
    let Some(admin::execute_task_sync_response::Res::Header(header)) = reply.res else {
        return Err("Flyte 1 ExecuteTaskSync: the reply is not a header".into());
    };
    let outputs = header.resource.unwrap_or_default().outputs;
    let o0 = outputs.unwrap_or_default().literals.remove("o0");
    i64::from_literal(&o0.ok_or("no o0")?).map_err(|e| e.to_string())
}

/// A Flyte 2 `CreateTask` of `sleep_async` with inputs `{x, ms}`, answering
/// the `x` its job holds.
async fn flyte2_create(channel: Channel, x: i64, ms: u64) -> Result<i64, String> {
    let named = |name: &str, value: i64| task::NamedLiteral {
        name: name.into(),
        value: value.into_literal().ok(),
    };
    let created = AsyncConnectorServiceClient::new(channel)
        .create_task(connector::CreateTaskRequest {
            inputs: Some(task::Inputs {
                literals: vec![named("x", x), named("ms", ms as i64)],
                context: Vec::new(),
            }),
            template: Some(template("sleep_async")),
            ..Default::default()
        })
        .await
        .map_err(|status| format!("Flyte 2 CreateTask: {status:?}"))?
        .into_inner();
    job_x(&created.resource_meta)
}

/// `call`'s answer, and when it came.
async fn timed<T>(call: impl Future<Output = T>) -> (T, Instant) {
    let answer = call.await;
    (answer, Instant::now())
}

async fn health(channel: Channel) -> Result<i32, tonic::Status> {
    Ok(HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await?
        .into_inner()
        .status)
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_under_load_drains_answers_every_started_request_and_exits_zero() {
    let server = ServerProcess::start(
        env!("CARGO_BIN_EXE_interop-agent-server").as_ref(),
        &[
            "--worker",
            "1000",
            "--drain-delay",
            &DRAIN_DELAY.as_secs().to_string(),
            "--shutdown-grace",
            &GRACE.as_secs().to_string(),
        ],
        // Beside the server's own lines, why a connection failed, if one
        // does.
        &[(
            "RUST_LOG",
            "info,h2::proto=debug,tonic::transport::server=debug",
        )],
    );
    let channels: Vec<Channel> = futures::future::join_all((0..4).map(|_| server.connect())).await;
    assert_eq!(
        health(channels[0].clone()).await.unwrap(),
        ServingStatus::Serving as i32
    );

    // The load: slow calls over both protocols, in flight when SIGTERM
    // comes, each one RPC (a connection told to go away takes no new ones).
    let mut calls = Vec::new();
    let sent = Instant::now();
    for index in 0..IN_FLIGHT {
        let x = index as i64;
        let channel = || channels[index % channels.len()].clone();
        calls.push((
            x,
            tokio::spawn(timed(flyte1_create(channel(), "sleep_async", x, HOLD_MS))),
        ));
        calls.push((
            x,
            tokio::spawn(timed(flyte1_execute(channel(), x, HOLD_MS))),
        ));
        calls.push((x, tokio::spawn(timed(flyte2_create(channel(), x, HOLD_MS)))));
    }
    let started = calls.len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.terminate();
    let signalled = Instant::now();

    // Health says NOT_SERVING while the server still serves.
    let mut status = None;
    while signalled.elapsed() < DRAIN_DELAY {
        let now = health(channels[0].clone()).await.unwrap();
        if now == ServingStatus::NotServing as i32 {
            status = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        status,
        Some(ServingStatus::NotServing as i32),
        "health turned NOT_SERVING within the drain delay"
    );
    let during_drain = flyte1_create(server.connect().await, "echo_async", 4, 0).await;
    assert_eq!(
        during_drain,
        Ok(4),
        "a new connection is served while draining"
    );

    // After the drain the listener is closed: a new connection is refused,
    // while the calls started before SIGTERM are still running.
    tokio::time::sleep(
        DRAIN_DELAY.saturating_sub(signalled.elapsed()) + Duration::from_millis(300),
    )
    .await;
    let refused = Channel::from_shared(server.address())
        .unwrap()
        .connect_timeout(Duration::from_secs(1))
        .connect()
        .await;
    assert!(
        refused.is_err(),
        "a new connection after the drain delay is refused"
    );

    let mut answered = 0;
    let mut failures = Vec::new();
    for (expected, call) in calls {
        match call.await.expect("a call task") {
            (Ok(o0), _) if o0 == expected => answered += 1,
            (other, ended) => failures.push(format!(
                "expected {expected}, got {other:?} {:?} after the calls were sent",
                ended - sent
            )),
        }
    }
    let (exit, took, lines) = server.wait(GRACE).await;
    eprintln!(
        "shutdown: {started} requests in flight at SIGTERM, {answered} answered correctly, \
         {} lost; exited {exit:?} {took:?} after the last answer",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{failures:#?}\nSIGTERM came {:?} after the calls were sent; the server's log: {lines:#?}",
        signalled - sent
    );
    assert_eq!(answered, started);
    let exit = exit.unwrap_or_else(|| panic!("no exit within the grace period: {lines:#?}"));
    assert!(exit.success(), "exit status {exit}: {lines:#?}");
    assert!(
        signalled.elapsed() < DRAIN_DELAY + GRACE,
        "exited within the drain delay and grace period"
    );
    assert!(
        lines.iter().any(|line| line.contains("received SIGTERM")),
        "{lines:#?}"
    );
}
