//! AsyncAgentService: every RPC and every status code it answers.

use agent_core::proto::flyteidl::{admin, core};
use tonic::Code;

use crate::support::{
    assert_status, category, create_request, delete_request, get_request, int_output, start,
    template,
};

#[tokio::test]
async fn create_get_delete_round_trip() {
    let (server, calls) = start().await;
    let mut client = server.async_client();

    let created = client
        .create_task(create_request("echo_async", 21, "round-trip"))
        .await
        .unwrap()
        .into_inner();
    let meta: serde_json::Value = serde_json::from_slice(&created.resource_meta).unwrap();
    assert_eq!(meta["x"], 21, "resource_meta is the metadata as JSON");

    let resource = client
        .get_task(get_request("echo_async", created.resource_meta.clone()))
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    assert_eq!(
        resource.phase,
        core::task_execution::Phase::Succeeded as i32
    );
    #[allow(deprecated)]
    let state = resource.state;
    assert_eq!(state, admin::State::Succeeded as i32);
    assert_eq!(int_output(&resource, "o0"), 42);

    client
        .delete_task(delete_request("echo_async", created.resource_meta))
        .await
        .unwrap();
    assert_eq!(agent_tests::agents::Calls::of(&calls.delete), 1);
}

#[tokio::test]
async fn task_type_version_selects_the_agent() {
    let (server, _) = start().await;
    let mut client = server.async_client();
    let mut request = create_request("echo_async", 5, "versioned");
    request.template = Some(template("echo_async", 1));
    let created = client.create_task(request).await.unwrap().into_inner();
    let resource = client
        .get_task(admin::GetTaskRequest {
            task_category: Some(admin::TaskCategory {
                name: "echo_async".into(),
                version: 1,
            }),
            resource_meta: created.resource_meta,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    assert_eq!(int_output(&resource, "o0"), 15);
}

#[tokio::test]
#[allow(deprecated)]
async fn the_deprecated_task_type_finds_the_agent_without_a_category() {
    let (server, _) = start().await;
    let mut client = server.async_client();
    let created = client
        .create_task(create_request("echo_async", 4, "legacy"))
        .await
        .unwrap()
        .into_inner();
    let resource = client
        .get_task(admin::GetTaskRequest {
            task_type: "echo_async".into(),
            resource_meta: created.resource_meta.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    assert_eq!(int_output(&resource, "o0"), 8);
    client
        .delete_task(admin::DeleteTaskRequest {
            task_type: "echo_async".into(),
            resource_meta: created.resource_meta,
            ..Default::default()
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unknown_category_is_not_found_and_lists_what_is_served() {
    let (server, _) = start().await;
    let status = server
        .async_client()
        .create_task(create_request("nope", 1, "unknown"))
        .await
        .unwrap_err();
    assert_status(&status, Code::NotFound, "nope (version 0)");
    assert!(
        status.message().contains("echo_async (version 0)"),
        "{}",
        status.message()
    );

    let status = server
        .async_client()
        .get_task(get_request("nope", b"{}".to_vec()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn undecodable_metadata_is_an_invalid_argument() {
    let (server, _) = start().await;
    let status = server
        .async_client()
        .get_task(get_request("echo_async", b"not json".to_vec()))
        .await
        .unwrap_err();
    assert_status(&status, Code::InvalidArgument, "resource_meta");
}

#[tokio::test]
async fn a_missing_template_is_an_invalid_argument() {
    let (server, _) = start().await;
    let mut request = create_request("echo_async", 1, "no-template");
    request.template = None;
    let status = server
        .async_client()
        .create_task(request)
        .await
        .unwrap_err();
    assert_status(&status, Code::InvalidArgument, "template");
}

#[tokio::test]
async fn an_input_of_the_wrong_type_is_an_invalid_argument() {
    let (server, _) = start().await;
    let mut request = create_request("echo_async", 1, "bad-input");
    request.inputs = Some(
        agent_core::literal::LiteralMapBuilder::new()
            .with("x", "seven")
            .build()
            .unwrap(),
    );
    let status = server
        .async_client()
        .create_task(request)
        .await
        .unwrap_err();
    assert_status(
        &status,
        Code::InvalidArgument,
        "task inputs: x: expected an integer",
    );
}

#[tokio::test]
async fn an_agent_error_is_internal_with_the_agents_message() {
    let (server, _) = start().await;
    let status = server
        .async_client()
        .create_task(create_request("fails", 1, "fails"))
        .await
        .unwrap_err();
    assert_status(&status, Code::Internal, "backend is down");
}

#[tokio::test]
async fn a_retryable_job_failure_is_a_resource_not_an_error() {
    let (server, _) = start().await;
    let resource = server
        .async_client()
        .get_task(get_request("fails", br#"{"job_id":1,"x":1}"#.to_vec()))
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    assert_eq!(
        resource.phase,
        core::task_execution::Phase::RetryableFailed as i32
    );
    #[allow(deprecated)]
    let state = resource.state;
    assert_eq!(state, admin::State::RetryableFailure as i32);
}

#[tokio::test]
async fn a_panicking_agent_is_internal_and_the_server_keeps_serving() {
    let (server, _) = start().await;
    let mut client = server.async_client();
    for _ in 0..3 {
        let status = client
            .create_task(create_request("panics", 1, "panics"))
            .await
            .unwrap_err();
        assert_status(&status, Code::Internal, "panicked");
        assert!(
            !status.message().contains("hunter2"),
            "panic text must not leak"
        );
    }
    let status = client
        .get_task(get_request("panics", br#"{"job_id":1,"x":1}"#.to_vec()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal);

    let created = client
        .create_task(create_request("echo_async", 1, "after-panic"))
        .await;
    assert!(created.is_ok(), "the server still serves after panics");
}

#[tokio::test]
async fn a_sync_agent_called_through_create_is_an_invalid_argument() {
    let (server, _) = start().await;
    let status = server
        .async_client()
        .create_task(create_request("echo_sync", 1, "wrong-service"))
        .await
        .unwrap_err();
    assert_status(&status, Code::InvalidArgument, "ExecuteTaskSync");
}

#[tokio::test]
async fn metrics_and_logs_are_answered_when_provided() {
    let (server, _) = start().await;
    let mut client = server.async_client();
    let meta = br#"{"job_id":7,"x":3}"#.to_vec();
    let metrics = client
        .get_task_metrics(admin::GetTaskMetricsRequest {
            task_category: category("with_logs"),
            resource_meta: meta.clone(),
            queries: vec!["cpu".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(metrics.results[0].metric, "cpu");
    assert!(
        metrics.results[0]
            .data
            .as_ref()
            .unwrap()
            .fields
            .contains_key("job")
    );

    let mut stream = client
        .get_task_logs(admin::GetTaskLogsRequest {
            task_category: category("with_logs"),
            resource_meta: meta,
            lines: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    use admin::get_task_logs_response::Part;
    let header = stream.message().await.unwrap().unwrap();
    assert!(matches!(header.part, Some(Part::Header(h)) if h.token == "after-2"));
    let body = stream.message().await.unwrap().unwrap();
    let Some(Part::Body(body)) = body.part else {
        panic!("the second message is the body")
    };
    assert_eq!(body.structured_lines.len(), 2);
    assert_eq!(body.structured_lines[1].message, "job 7 line 1");
    assert!(stream.message().await.unwrap().is_none());
}

#[tokio::test]
async fn metrics_and_logs_are_unimplemented_when_not_provided() {
    let (server, _) = start().await;
    let mut client = server.async_client();
    let meta = br#"{"job_id":1,"x":1}"#.to_vec();
    let status = client
        .get_task_metrics(admin::GetTaskMetricsRequest {
            task_category: category("echo_async"),
            resource_meta: meta.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    let status = client
        .get_task_logs(admin::GetTaskLogsRequest {
            task_category: category("echo_async"),
            resource_meta: meta,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
}

#[tokio::test]
#[allow(deprecated)]
async fn a_request_without_a_task_type_is_an_invalid_argument() {
    let (server, _) = start().await;
    let mut client = server.async_client();
    let status = client
        .get_task(admin::GetTaskRequest {
            resource_meta: b"{}".to_vec(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_status(&status, Code::InvalidArgument, "task_category.name");

    let mut request = create_request("echo_async", 1, "no-type");
    request.template = Some(template("", 0));
    let status = client.create_task(request).await.unwrap_err();
    assert_status(&status, Code::InvalidArgument, "template.type");
}
