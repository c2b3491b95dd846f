//! The chat completion agent against a chat completions endpoint served by
//! the test on loopback: through the `agent-server` binary over Flyte 1 (the
//! key in its environment), a real server over Flyte 2 (the key in the
//! request's connection), and the local runner.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use agent_core::literal::LiteralMapBuilder;
use agent_core::local::{LocalRunner, Progress, RunError};
use agent_core::proto::flyteidl::service::sync_agent_service_client::SyncAgentServiceClient;
use agent_core::proto::flyteidl::{admin, core};
use agent_core::proto::flyteidl2::{connector, task};
use agent_core::secrets::SecretsConfig;
use agent_core::testing::{TestServer, task_template};
use agent_core::{Connection, ErrorKind, FromLiteral, Registry, TaskContext};
use agent_examples::chat_completion::ChatCompletionAgent;
use agent_tests::server_process::ServerProcess;
use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use admin::execute_task_sync_request::Part;
use core::task_execution::Phase;

const KEY: &str = "sk-test-4f1c9a";

/// Answers as OpenAI's chat completions API does, by model: `echo` repeats
/// the prompt, `busy` is rate limited, `down` fails, `garbage` answers HTML,
/// `leaky` refuses quoting the key it got, any other model does not exist.
/// A request without the right bearer key is refused.
async fn completions(headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let refuse = |status: StatusCode, message: String| {
        (
            status,
            Json(json!({ "error": { "message": message, "type": "test" } })),
        )
            .into_response()
    };
    if authorization != format!("Bearer {KEY}") {
        return refuse(
            StatusCode::UNAUTHORIZED,
            format!("Incorrect API key provided: {authorization}"),
        );
    }
    let prompt = body["messages"][0]["content"].as_str().unwrap_or_default();
    match body["model"].as_str().unwrap_or_default() {
        "echo" => Json(json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "echo",
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": format!("you said: {prompt}") },
                "finish_reason": "stop"
            }]
        }))
        .into_response(),
        "busy" => refuse(StatusCode::TOO_MANY_REQUESTS, "Rate limit reached".into()),
        "down" => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server had an error".into(),
        ),
        "garbage" => (StatusCode::OK, "<html>maintenance</html>").into_response(),
        "leaky" => refuse(
            StatusCode::FORBIDDEN,
            format!("key {KEY} may not use this model"),
        ),
        model => refuse(
            StatusCode::NOT_FOUND,
            format!("The model `{model}` does not exist"),
        ),
    }
}

/// Serves the chat completions API on a loopback port; answers its base URL.
async fn endpoint() -> String {
    counted_endpoint().await.0
}

/// [`endpoint`], and how many requests it has received so far.
async fn counted_endpoint() -> (String, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let app = axum::Router::new()
        .route("/v1/chat/completions", axum::routing::post(completions))
        .layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                counter.fetch_add(1, Ordering::SeqCst);
                next.run(request)
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/v1"), requests)
}

fn template(model: &str, base_url: &str) -> core::TaskTemplate {
    task_template(
        "chat_completion",
        json!({ "model": model, "base_url": base_url }),
    )
}

fn prompt(text: &str) -> core::LiteralMap {
    LiteralMapBuilder::new()
        .with("prompt", text)
        .build()
        .unwrap()
}

/// Runs a task through the local runner, the key in its connection.
async fn run_locally(model: &str, key: &str) -> Result<String, RunError> {
    let base_url = endpoint().await;
    let registry = Registry::builder()
        .sync_agent(ChatCompletionAgent::default())
        .build()
        .unwrap();
    let runner = LocalRunner::new(registry)
        .timeout(Duration::from_secs(10))
        .progress(Progress::hidden());
    let task = TaskContext::new(template(model, &base_url))
        .with_inputs(prompt("hello"))
        .with_connection(Connection::default().with_secret("api_key", key));
    Ok(runner.run(task).await?.get::<String>("o0").unwrap())
}

/// The agent's error of a local run that failed.
async fn local_error(model: &str, key: &str) -> agent_core::AgentError {
    match run_locally(model, key).await {
        Err(RunError::Agent(error)) => error,
        other => panic!("expected an agent error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_local_runner_answers_the_first_choice() {
    assert_eq!(run_locally("echo", KEY).await.unwrap(), "you said: hello");
}

#[tokio::test]
async fn refusals_are_errors_of_their_kind_naming_the_endpoint() {
    for (model, kind, needle) in [
        (
            "busy",
            ErrorKind::ResourceExhausted,
            "429 Too Many Requests: Rate limit reached",
        ),
        (
            "down",
            ErrorKind::Unavailable,
            "500 Internal Server Error: The server had an error",
        ),
        (
            "gpt-none",
            ErrorKind::InvalidArgument,
            "The model `gpt-none` does not exist",
        ),
        ("garbage", ErrorKind::Internal, "not a chat completion"),
    ] {
        let error = local_error(model, KEY).await;
        assert_eq!(error.kind(), kind, "{model}: {error}");
        assert!(error.message().contains(needle), "{model}: {error}");
        assert!(error.message().contains("/v1/chat/completions"), "{error}");
    }
}

#[tokio::test]
async fn a_wrong_key_is_a_failed_precondition_that_does_not_quote_it() {
    let error = local_error("echo", "sk-wrong-77").await;
    assert_eq!(error.kind(), ErrorKind::FailedPrecondition);
    assert!(error.message().contains("401 Unauthorized"), "{error}");
    assert!(error.message().contains("api_key"), "{error}");
    assert!(!error.message().contains("sk-wrong-77"), "{error}");

    let error = local_error("leaky", KEY).await;
    assert_eq!(error.kind(), ErrorKind::FailedPrecondition);
    assert!(!error.message().contains(KEY), "{error}");
}

/// Whether this process finds an `openai` `api_key` outside a request's
/// connection: in its environment or secrets directory.
fn a_key_is_configured() -> bool {
    let config = SecretsConfig::from_env();
    std::env::var_os(config.env_var("openai", "api_key")).is_some()
        || config
            .file("openai", "api_key")
            .is_some_and(|file| file.exists())
}

#[tokio::test]
async fn a_missing_key_prompt_or_model_is_refused_before_any_request() {
    let registry = Registry::builder()
        .sync_agent(ChatCompletionAgent::default())
        .build()
        .unwrap();
    let runner = LocalRunner::new(registry).progress(Progress::hidden());
    let (base_url, requests) = counted_endpoint().await;
    let refused = |result: Result<_, RunError>, kind: ErrorKind, needle: &str| match result {
        Err(RunError::Agent(error)) => {
            assert_eq!(error.kind(), kind, "{error}");
            assert!(error.message().contains(needle), "{error}");
        }
        other => panic!("expected a refusal naming {needle}, got {other:?}"),
    };
    if a_key_is_configured() {
        eprintln!("an openai api_key is configured here: the case without a key is skipped");
    } else {
        let no_key = TaskContext::new(template("echo", &base_url)).with_inputs(prompt("hi"));
        refused(
            runner.run(no_key).await,
            ErrorKind::FailedPrecondition,
            "api_key",
        );
    }
    let no_prompt = TaskContext::new(template("echo", &base_url))
        .with_connection(Connection::default().with_secret("api_key", KEY));
    refused(
        runner.run(no_prompt).await,
        ErrorKind::InvalidArgument,
        "prompt",
    );
    let no_model = TaskContext::new(task_template(
        "chat_completion",
        json!({ "base_url": base_url }),
    ))
    .with_inputs(prompt("hi"))
    .with_connection(Connection::default().with_secret("api_key", KEY));
    refused(
        runner.run(no_model).await,
        ErrorKind::InvalidArgument,
        "model",
    );
    assert_eq!(requests.load(Ordering::SeqCst), 0, "a request was sent");
    // The endpoint counts what it receives: a complete task reaches it.
    let complete = TaskContext::new(template("echo", &base_url))
        .with_inputs(prompt("hi"))
        .with_connection(Connection::default().with_secret("api_key", KEY));
    runner.run(complete).await.unwrap();
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn flyte2_reads_the_key_from_the_connection() {
    let base_url = endpoint().await;
    let registry = Registry::builder()
        .sync_agent(ChatCompletionAgent::default())
        .build()
        .unwrap();
    let server = TestServer::start(registry).await;
    let mut client = server.connector_client();
    let created = client
        .create_task(connector::CreateTaskRequest {
            inputs: Some(task::Inputs {
                literals: vec![task::NamedLiteral {
                    name: "prompt".into(),
                    value: Some(agent_core::IntoLiteral::into_literal("over the wire").unwrap()),
                }],
                context: Vec::new(),
            }),
            template: Some(template("echo", &base_url)),
            connection: Some(agent_core::proto::flyteidl2::core::Connection {
                secrets: BTreeMap::from([("api_key".to_string(), KEY.to_string())]),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let resource = client
        .get_task(connector::GetTaskRequest {
            task_category: Some(connector::TaskCategory {
                name: "chat_completion".into(),
                version: 0,
            }),
            resource_meta: created.resource_meta,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    assert_eq!(resource.phase, Phase::Succeeded as i32);
    let outputs = resource.outputs.unwrap().literals;
    assert_eq!(outputs[0].name, "o0");
    assert_eq!(
        String::from_literal(outputs[0].value.as_ref().unwrap()).unwrap(),
        "you said: over the wire"
    );
}

/// `agent-server` with the key in its environment, logging at debug level.
struct AgentServer {
    process: ServerProcess,
    _jobs: tempfile::TempDir,
}

impl AgentServer {
    fn start() -> Self {
        let jobs = tempfile::tempdir().unwrap();
        let database = jobs.path().join("jobs.sqlite3");
        let process = ServerProcess::start(
            env!("CARGO_BIN_EXE_agent-server").as_ref(),
            &[],
            &[
                ("_FSEC_OPENAI_API_KEY", KEY),
                ("SQL_QUERY_JOBS_DATABASE", database.to_str().unwrap()),
                ("RUST_LOG", "debug"),
            ],
        );
        AgentServer {
            process,
            _jobs: jobs,
        }
    }

    async fn client(&self) -> SyncAgentServiceClient<tonic::transport::Channel> {
        SyncAgentServiceClient::new(self.process.connect().await)
    }

    /// Everything the server logged so far.
    fn log(&self) -> String {
        self.process.lines().join("\n")
    }
}

async fn execute(
    client: &mut SyncAgentServiceClient<tonic::transport::Channel>,
    template: core::TaskTemplate,
) -> Result<admin::Resource, tonic::Status> {
    let messages = vec![
        admin::ExecuteTaskSyncRequest {
            part: Some(Part::Header(Box::new(admin::CreateRequestHeader {
                template: Some(template),
                ..Default::default()
            }))),
        },
        admin::ExecuteTaskSyncRequest {
            part: Some(Part::Inputs(prompt("through agent-server"))),
        },
    ];
    let reply = client
        .execute_task_sync(futures::stream::iter(messages))
        .await?
        .into_inner()
        .message()
        .await?
        .unwrap();
    match reply.res {
        Some(admin::execute_task_sync_response::Res::Header(header)) => {
            Ok(header.resource.unwrap())
        }
        other => panic!("expected a header, got {other:?}"),
    }
}

#[tokio::test]
async fn agent_server_answers_over_flyte1_with_the_key_from_its_environment() {
    let base_url = endpoint().await;
    let server = AgentServer::start();
    let mut client = server.client().await;
    let resource = execute(&mut client, template("echo", &base_url))
        .await
        .unwrap();
    assert_eq!(resource.phase, Phase::Succeeded as i32);
    let o0 = &resource.outputs.as_ref().unwrap().literals["o0"];
    assert_eq!(
        String::from_literal(o0).unwrap(),
        "you said: through agent-server"
    );

    let status = execute(&mut client, template("leaky", &base_url))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(!status.message().contains(KEY), "{}", status.message());
    let logs = server.log();
    assert!(
        logs.contains("chat_completion"),
        "the server logged: {logs}"
    );
    assert!(
        !logs.contains(KEY),
        "the key is in the server's log: {logs}"
    );
}
