//! The Python task classes of `examples/python/`, serialized by flytekit
//! 1.16 and flyte-sdk 2, run by the real `agent-server` as Propeller would
//! have it run them: the `sql_query` agent runs the statement the Python
//! side wrote, with the task's inputs bound to its parameters, on the
//! database its `custom` names (or the server's default one), and the
//! `chat_completion` agent asks the model its `custom` names, at its base
//! URL (a chat completions endpoint the test serves on loopback), with the
//! key of the secret it requests. Over Flyte 1 for flytekit's templates,
//! over Flyte 2 for both.
//!
//! Needs `FLYTEKIT_PYTHON` and `FLYTE_SDK_PYTHON` (`eval "$(tests/tools/setup.sh)"`);
//! without them the tests are skipped, saying so.

use std::path::Path;
use std::time::Duration;

use agent_core::literal::{LiteralMapBuilder, json as literal_json};
use agent_core::proto::flyteidl::service::async_agent_service_client::AsyncAgentServiceClient;
use agent_core::proto::flyteidl::service::sync_agent_service_client::SyncAgentServiceClient;
use agent_core::proto::flyteidl::{admin, core};
use agent_core::proto::flyteidl2::connector;
use agent_core::proto::flyteidl2::connector::async_connector_service_client::AsyncConnectorServiceClient;
use agent_tests::sdk_templates::{CHAT_MODEL, NAMES, Sdk, SdkTemplates};
use agent_tests::server_process::ServerProcess;
use agent_tests::tools::tool;
use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tonic::transport::Channel;

use core::task_execution::Phase;

const KEY: &str = "sk-python-tasks-7d2e";

/// A chat completions endpoint answering `<model> heard: <prompt>` to the
/// bearer of [`KEY`].
async fn completions(
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Json<Value>, StatusCode> {
    let bearer = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok());
    if bearer != Some(&format!("Bearer {KEY}")) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let content = format!(
        "{} heard: {}",
        body["model"].as_str().unwrap_or_default(),
        body["messages"][0]["content"].as_str().unwrap_or_default()
    );
    Ok(Json(json!({
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]
    })))
}

/// Serves [`completions`] on loopback; answers its base URL.
async fn chat_endpoint() -> String {
    let app = axum::Router::new().route("/v1/chat/completions", axum::routing::post(completions));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/v1")
}

/// An SQLite database holding one table.
fn database(path: &Path) {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection
        .execute_batch("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1);")
        .unwrap();
}

/// `agent-server` with a default database, its jobs database and the
/// chat key in its environment, as a deployment sets them.
struct AgentServer {
    _process: ServerProcess,
    channel: Channel,
}

impl AgentServer {
    async fn start(dir: &Path) -> Self {
        let default_database = dir.join("default.sqlite3");
        database(&default_database);
        let jobs_database = dir.join("jobs.sqlite3");
        let process = ServerProcess::start(
            env!("CARGO_BIN_EXE_agent-server").as_ref(),
            &[],
            &[
                ("SQL_QUERY_DATABASE", default_database.to_str().unwrap()),
                ("SQL_QUERY_JOBS_DATABASE", jobs_database.to_str().unwrap()),
                ("_FSEC_OPENAI_API_KEY", KEY),
            ],
        );
        let channel = process.connect().await;
        AgentServer {
            _process: process,
            channel,
        }
    }
}

/// The inputs each template is sent with.
fn inputs(name: &str) -> core::LiteralMap {
    let builder = LiteralMapBuilder::new();
    let builder = match name {
        "sql_query" => builder.with("x", 41).with("name", "flyte"),
        "chat_completion" => builder.with("prompt", "hello"),
        _ => builder,
    };
    builder.build().unwrap()
}

/// The outputs each template's task answers, as JSON.
fn expected_outputs(name: &str) -> Value {
    match name {
        "sql_query" => json!({"results": [{"answer": 42, "name": "flyte"}]}),
        "sql_query_default_database" => json!({"results": [{"one": 1}]}),
        "chat_completion" => json!({"o0": format!("{CHAT_MODEL} heard: hello")}),
        _ => unreachable!("{name}"),
    }
}

fn outputs_json(outputs: &core::LiteralMap) -> Value {
    Value::Object(literal_json::outputs_to_json(outputs).unwrap())
}

/// Runs a template over Flyte 1, as Propeller does: `ExecuteTaskSync` for
/// the sync `chat_completion`, `CreateTask` then `GetTask` until the job
/// ends for the async `sql_query`. Answers the outputs.
async fn run_over_flyte1(
    channel: &Channel,
    template: core::TaskTemplate,
    inputs: core::LiteralMap,
) -> Value {
    if template.r#type == "chat_completion" {
        use admin::execute_task_sync_request::Part;
        let messages = [
            admin::ExecuteTaskSyncRequest {
                part: Some(Part::Header(Box::new(admin::CreateRequestHeader {
                    template: Some(template),
                    ..Default::default()
                }))),
            },
            admin::ExecuteTaskSyncRequest {
                part: Some(Part::Inputs(inputs)),
            },
        ];
        let reply = SyncAgentServiceClient::new(channel.clone())
            .execute_task_sync(futures::stream::iter(messages))
            .await
            .unwrap()
            .into_inner()
            .message()
            .await
            .unwrap()
            .expect("a reply");
        let Some(admin::execute_task_sync_response::Res::Header(header)) = reply.res else {
            panic!("a header reply, got {:?}", reply.res);
        };
        let resource = header.resource.expect("a resource");
        assert_eq!(
            resource.phase,
            Phase::Succeeded as i32,
            "{}",
            resource.message
        );
        return outputs_json(&resource.outputs.expect("outputs"));
    }
    let task_type = template.r#type.clone();
    let mut client = AsyncAgentServiceClient::new(channel.clone());
    let created = client
        .create_task(admin::CreateTaskRequest {
            inputs: Some(inputs),
            template: Some(template),
            output_prefix: "file:///nonexistent/outputs".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    until_succeeded(&task_type, async || {
        let resource = client
            .get_task(admin::GetTaskRequest {
                task_category: Some(admin::TaskCategory {
                    name: task_type.clone(),
                    version: 0,
                }),
                resource_meta: created.resource_meta.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .resource
            .expect("a resource");
        let outputs = resource.outputs.map(|outputs| outputs_json(&outputs));
        (resource.phase, resource.message, outputs)
    })
    .await
}

/// Runs a template over Flyte 2, as its connector plugin does:
/// `CreateTask`, then `GetTask` until the job ends. Answers the outputs.
async fn run_over_flyte2(
    channel: &Channel,
    template: core::TaskTemplate,
    inputs: core::LiteralMap,
) -> Value {
    let task_type = template.r#type.clone();
    let mut client = AsyncConnectorServiceClient::new(channel.clone());
    let created = client
        .create_task(connector::CreateTaskRequest {
            inputs: Some(inputs.into()),
            template: Some(template),
            output_prefix: "file:///nonexistent/outputs".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    until_succeeded(&task_type, async || {
        let resource = client
            .get_task(connector::GetTaskRequest {
                task_category: Some(connector::TaskCategory {
                    name: task_type.clone(),
                    version: 0,
                }),
                resource_meta: created.resource_meta.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .resource
            .expect("a resource");
        let outputs = resource.outputs.map(|outputs| {
            outputs_json(&core::LiteralMap {
                literals: outputs
                    .literals
                    .into_iter()
                    .map(|named| (named.name, named.value.expect("a value")))
                    .collect(),
            })
        });
        (resource.phase, resource.message, outputs)
    })
    .await
}

/// Calls `get_task` every 100 ms, for 10 s at most, until the job of
/// `task_type` succeeds; answers its outputs. `get_task` answers the phase,
/// the message and the outputs, if any; a phase other than queued,
/// initializing or running fails the test.
async fn until_succeeded(
    task_type: &str,
    mut get_task: impl AsyncFnMut() -> (i32, String, Option<Value>),
) -> Value {
    for _ in 0..100 {
        let (phase, message, outputs) = get_task().await;
        if phase == Phase::Succeeded as i32 {
            return outputs.expect("outputs");
        }
        assert!(
            [
                Phase::Queued as i32,
                Phase::Running as i32,
                Phase::Initializing as i32
            ]
            .contains(&phase),
            "phase {phase} ({message})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the {task_type} job did not end within 10 s");
}

#[tokio::test]
async fn flytekit_tasks_run_on_the_agent_server_over_both_protocols() {
    let Some(python) = tool("FLYTEKIT_PYTHON", "a Python with flytekit 1.16") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tasks_database = dir.path().join("tasks.sqlite3");
    database(&tasks_database);
    let base_url = chat_endpoint().await;
    let templates = SdkTemplates::serialize(
        &python,
        Sdk::Flytekit,
        tasks_database.to_str().unwrap(),
        &base_url,
    );
    let server = AgentServer::start(dir.path()).await;
    for name in NAMES {
        let outputs =
            run_over_flyte1(&server.channel, templates.template(name), inputs(name)).await;
        assert_eq!(outputs, expected_outputs(name), "{name} over Flyte 1");
        let outputs =
            run_over_flyte2(&server.channel, templates.template(name), inputs(name)).await;
        assert_eq!(outputs, expected_outputs(name), "{name} over Flyte 2");
    }
}

#[tokio::test]
async fn flyte_sdk_tasks_run_on_the_agent_server() {
    let Some(python) = tool(
        "FLYTE_SDK_PYTHON",
        "a Python with flyte-sdk 2 (the flyte package)",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tasks_database = dir.path().join("tasks.sqlite3");
    database(&tasks_database);
    let base_url = chat_endpoint().await;
    let templates = SdkTemplates::serialize(
        &python,
        Sdk::FlyteSdk,
        tasks_database.to_str().unwrap(),
        &base_url,
    );
    let server = AgentServer::start(dir.path()).await;
    for name in NAMES {
        let outputs =
            run_over_flyte2(&server.channel, templates.template(name), inputs(name)).await;
        assert_eq!(outputs, expected_outputs(name), "{name} over Flyte 2");
    }
}
