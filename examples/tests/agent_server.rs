//! The server binaries, started as the README's first command starts
//! `agent-server`: each serves its agents and stops cleanly on SIGTERM.

use std::process::{Command, Stdio};
use std::time::Duration;

use agent_core::FromLiteral;
use agent_core::proto::flyteidl::service::agent_metadata_service_client::AgentMetadataServiceClient;
use agent_core::proto::flyteidl::service::async_agent_service_client::AsyncAgentServiceClient;
use agent_core::proto::flyteidl::service::sync_agent_service_client::SyncAgentServiceClient;
use agent_core::proto::flyteidl::{admin, core};
use agent_core::testing::task_template;
use agent_tests::server_process::ServerProcess;
use tonic::transport::Channel;

/// A server binary running on loopback ports.
struct RunningServer {
    process: ServerProcess,
    channel: Channel,
    /// Holds the SQL query agent's jobs database.
    _dir: tempfile::TempDir,
}

impl RunningServer {
    /// Starts `binary` with the arguments the Helm chart passes to `pyflyte`.
    async fn start(binary: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let jobs_database = dir.path().join("jobs.sqlite3");
        let process = ServerProcess::start(
            binary.as_ref(),
            &["serve", "agent"],
            &[("SQL_QUERY_JOBS_DATABASE", jobs_database.to_str().unwrap())],
        );
        let channel = process.connect().await;
        RunningServer {
            process,
            channel,
            _dir: dir,
        }
    }

    /// The sorted names of the agents it lists.
    async fn agent_names(&self) -> Vec<String> {
        let agents = AgentMetadataServiceClient::new(self.channel.clone())
            .list_agents(admin::ListAgentsRequest {})
            .await
            .unwrap()
            .into_inner()
            .agents;
        let mut names: Vec<_> = agents.into_iter().map(|agent| agent.name).collect();
        names.sort();
        names
    }

    /// Sends SIGTERM and checks that the server exits successfully within 5 s.
    async fn stop(self) {
        self.process.terminate();
        let (status, _, lines) = self.process.wait(Duration::from_secs(5)).await;
        let status = status.unwrap_or_else(|| panic!("no exit within 5 s of SIGTERM"));
        assert!(
            status.success(),
            "exit status after SIGTERM: {status}\n{}",
            lines.join("\n")
        );
    }
}

fn int_output(resource: &admin::Resource, name: &str) -> i64 {
    i64::from_literal(&resource.outputs.as_ref().unwrap().literals[name]).unwrap()
}

/// What `agent-server` serves: every example agent but the shell job agent.
const SERVED: [&str; 4] = [
    "Chat Completion Agent",
    "File Sensor Agent",
    "HTTP Call Agent",
    "SQL Query Agent",
];

#[tokio::test]
async fn agent_server_serves_every_example_agent_but_the_shell_job_agent() {
    let server = RunningServer::start(env!("CARGO_BIN_EXE_agent-server")).await;
    assert_eq!(server.agent_names().await, SERVED);
    let status = AsyncAgentServiceClient::new(server.channel.clone())
        .create_task(admin::CreateTaskRequest {
            template: Some(task_template(
                "shell_job",
                serde_json::json!({ "script": "touch /tmp/should-not-exist" }),
            )),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn shell_agent_server_serves_the_shell_job_agent_too() {
    let server = RunningServer::start(env!("CARGO_BIN_EXE_shell-agent-server")).await;
    let mut expected = SERVED.to_vec();
    expected.push("Shell Job Agent");
    assert_eq!(server.agent_names().await, expected);

    let mut client = AsyncAgentServiceClient::new(server.channel.clone());
    let created = client
        .create_task(admin::CreateTaskRequest {
            template: Some(task_template(
                "shell_job",
                serde_json::json!({ "script": "echo opted in" }),
            )),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let get = || admin::GetTaskRequest {
        task_category: Some(admin::TaskCategory {
            name: "shell_job".into(),
            version: 0,
        }),
        resource_meta: created.resource_meta.clone(),
        ..Default::default()
    };
    for _ in 0..100 {
        let resource = client
            .get_task(get())
            .await
            .unwrap()
            .into_inner()
            .resource
            .unwrap();
        if resource.phase == core::task_execution::Phase::Succeeded as i32 {
            let stdout = &resource.outputs.as_ref().unwrap().literals["stdout"];
            assert_eq!(String::from_literal(stdout).unwrap(), "opted in");
            server.stop().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the shell job did not succeed within 5 s");
}

#[tokio::test]
async fn a_wrong_idempotency_store_url_stops_agent_server_at_start_up() {
    let mut process = Command::new(env!("CARGO_BIN_EXE_agent-server"))
        .args(["serve", "agent", "--host", "127.0.0.1", "--port", "0"])
        .args(["--prometheus-port", "0"])
        .args(["--idempotency-store", "redis//redis.flyte:6379"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if let Some(status) = process.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut process.stderr.take().unwrap(), &mut stderr)
                .unwrap();
            assert!(!status.success());
            assert!(
                stderr.contains("--idempotency-store") && stderr.contains("redis://HOST:PORT"),
                "{stderr}"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = process.kill();
    let _ = process.wait();
    panic!("agent-server did not stop within 5 s");
}

#[tokio::test]
async fn a_jobs_database_that_cannot_be_opened_stops_agent_server_at_start_up() {
    let output = Command::new(env!("CARGO_BIN_EXE_agent-server"))
        .args(["--host", "127.0.0.1", "--port", "0"])
        .args(["--prometheus-port", "0"])
        .env("SQL_QUERY_JOBS_DATABASE", "/nonexistent/dir/jobs.sqlite3")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("/nonexistent/dir/jobs.sqlite3")
            && stderr.contains("SQL_QUERY_JOBS_DATABASE"),
        "{stderr}"
    );
}

#[tokio::test]
async fn bench_agent_server_serves_the_bench_agents() {
    let server = RunningServer::start(env!("CARGO_BIN_EXE_bench-agent-server")).await;
    assert_eq!(
        server.agent_names().await,
        [
            "Bench Async Agent",
            "Bench Sync Agent",
            "Bench Unguarded Agent"
        ]
    );

    let mut client = AsyncAgentServiceClient::new(server.channel.clone());
    let create = || admin::CreateTaskRequest {
        template: Some(task_template("bench_async", serde_json::Value::Null)),
        ..Default::default()
    };
    let first = client.create_task(create()).await.unwrap().into_inner();
    let mut second_request = create();
    second_request.output_prefix = "s3://another".into();
    let second = client
        .create_task(second_request)
        .await
        .unwrap()
        .into_inner();
    assert_ne!(
        first.resource_meta, second.resource_meta,
        "a fresh job id per create"
    );
    let unguarded = || admin::CreateTaskRequest {
        template: Some(task_template(
            "bench_async_unguarded",
            serde_json::Value::Null,
        )),
        ..Default::default()
    };
    let once = client.create_task(unguarded()).await.unwrap().into_inner();
    let again = client.create_task(unguarded()).await.unwrap().into_inner();
    assert_ne!(
        once.resource_meta, again.resource_meta,
        "no guard: a repeated create starts a second job"
    );
    let resource = client
        .get_task(admin::GetTaskRequest {
            task_category: Some(admin::TaskCategory {
                name: "bench_async".into(),
                version: 0,
            }),
            resource_meta: first.resource_meta,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    assert_eq!(
        resource.phase,
        core::task_execution::Phase::Succeeded as i32
    );
    assert_eq!(int_output(&resource, "o0"), 1);

    use admin::execute_task_sync_request::Part;
    let header = admin::ExecuteTaskSyncRequest {
        part: Some(Part::Header(Box::new(admin::CreateRequestHeader {
            template: Some(task_template("bench_sync", serde_json::Value::Null)),
            ..Default::default()
        }))),
    };
    let reply = SyncAgentServiceClient::new(server.channel.clone())
        .execute_task_sync(futures::stream::iter([header]))
        .await
        .unwrap()
        .into_inner()
        .message()
        .await
        .unwrap()
        .unwrap();
    let Some(admin::execute_task_sync_response::Res::Header(header)) = reply.res else {
        panic!("a header reply")
    };
    assert_eq!(int_output(&header.resource.unwrap(), "o0"), 1);
    server.stop().await;
}
