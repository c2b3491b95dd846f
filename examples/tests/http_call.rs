//! The HTTP call agent through a real server, against an HTTP endpoint served
//! by the test.

use agent_core::literal::LiteralMapBuilder;
use agent_core::proto::flyteidl::{admin, core};
use agent_core::testing::{TestServer, task_template};
use agent_core::{FromLiteral, Registry};
use agent_examples::http_call::HttpCallAgent;
use axum::http::StatusCode;

use admin::execute_task_sync_request::Part;
use core::task_execution::Phase;

/// Serves `/ping` (200), `/echo` (200, echoes the POSTed body), `/missing` (404) and `/boom` (500).
async fn endpoint() -> String {
    let app = axum::Router::new()
        .route("/ping", axum::routing::get(|| async { "pong" }))
        .route(
            "/echo",
            axum::routing::post(|body: String| async move { body }),
        )
        .route(
            "/missing",
            axum::routing::get(|| async { StatusCode::NOT_FOUND }),
        )
        .route(
            "/boom",
            axum::routing::get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "down") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

async fn call(inputs: core::LiteralMap) -> Result<admin::Resource, tonic::Status> {
    let registry = Registry::builder()
        .sync_agent(HttpCallAgent::default())
        .build()
        .unwrap();
    let server = TestServer::start(registry).await;
    let messages = vec![
        admin::ExecuteTaskSyncRequest {
            part: Some(Part::Header(Box::new(admin::CreateRequestHeader {
                template: Some(task_template("http_call", serde_json::Value::Null)),
                ..Default::default()
            }))),
        },
        admin::ExecuteTaskSyncRequest {
            part: Some(Part::Inputs(inputs)),
        },
    ];
    let reply = server
        .sync_client()
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

fn output<T: FromLiteral>(resource: &admin::Resource, name: &str) -> T {
    T::from_literal(&resource.outputs.as_ref().unwrap().literals[name]).unwrap()
}

fn url_input(url: String) -> LiteralMapBuilder {
    LiteralMapBuilder::new().with("url", url)
}

#[tokio::test]
async fn a_get_answers_the_status_and_body() {
    let base = endpoint().await;
    let resource = call(url_input(format!("{base}/ping")).build().unwrap())
        .await
        .unwrap();
    assert_eq!(resource.phase, Phase::Succeeded as i32);
    assert_eq!(output::<i64>(&resource, "status"), 200);
    assert_eq!(output::<String>(&resource, "body"), "pong");
}

#[tokio::test]
async fn a_post_sends_the_body() {
    let base = endpoint().await;
    let inputs = url_input(format!("{base}/echo"))
        .with("method", "POST")
        .with("body", "payload")
        .build()
        .unwrap();
    let resource = call(inputs).await.unwrap();
    assert_eq!(output::<String>(&resource, "body"), "payload");
}

#[tokio::test]
async fn client_errors_fail_and_server_errors_are_retryable() {
    let base = endpoint().await;
    let missing = call(url_input(format!("{base}/missing")).build().unwrap())
        .await
        .unwrap();
    assert_eq!(missing.phase, Phase::Failed as i32);
    assert_eq!(output::<i64>(&missing, "status"), 404);
    let boom = call(url_input(format!("{base}/boom")).build().unwrap())
        .await
        .unwrap();
    assert_eq!(boom.phase, Phase::RetryableFailed as i32);
}

#[tokio::test]
async fn a_missing_url_is_an_invalid_argument() {
    let status = call(core::LiteralMap::default()).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains(r#"no input named "url""#),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn the_local_runner_answers_the_status_and_body() {
    use agent_core::TaskContext;
    use agent_core::local::{LocalRunner, Progress};

    let base = endpoint().await;
    let registry = Registry::builder()
        .sync_agent(HttpCallAgent::default())
        .build()
        .unwrap();
    let runner = LocalRunner::new(registry).progress(Progress::hidden());
    let task = TaskContext::new(task_template("http_call", serde_json::Value::Null))
        .with_inputs(url_input(format!("{base}/ping")).build().unwrap());
    let outputs = runner.run(task).await.unwrap();
    assert_eq!(outputs.get::<i64>("status").unwrap(), 200);
    assert_eq!(outputs.get::<String>("body").unwrap(), "pong");
}

#[tokio::test]
async fn a_method_that_is_not_a_string_is_refused_naming_it() {
    let base = endpoint().await;
    let inputs = url_input(format!("{base}/ping"))
        .with("method", 1_i64)
        .build()
        .unwrap();
    let status = call(inputs).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("method"), "{}", status.message());
}

#[tokio::test]
async fn a_none_method_and_body_are_absent() {
    let base = endpoint().await;
    let inputs = url_input(format!("{base}/ping"))
        .with("method", None::<String>)
        .with("body", None::<String>)
        .build()
        .unwrap();
    let resource = call(inputs).await.unwrap();
    assert_eq!(resource.phase, Phase::Succeeded as i32);
    assert_eq!(output::<String>(&resource, "body"), "pong");
}
