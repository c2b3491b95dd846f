//! Flyte 2 (`flyteidl2.connector`) on the same port as Flyte 1: the same
//! agents, inputs as named literals, sync agents through
//! `AsyncConnectorService`, the connector metadata, metrics and logs, and the error codes.

use agent_core::proto::flyteidl::core;
use agent_core::proto::flyteidl2::connector;
use tonic::Code;

use crate::support::flyte2::{category, create_request, delete_request, get_request, int_output};
use crate::support::{Calls, assert_status, start};

#[tokio::test]
async fn an_async_agent_is_created_polled_and_deleted() {
    let (server, calls) = start().await;
    let mut client = server.connector_client();
    let created = client
        .create_task(create_request("echo_async", 21, "v2-run"))
        .await
        .unwrap()
        .into_inner();
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
    assert_eq!(int_output(&resource, "o0"), 42);
    client
        .delete_task(delete_request("echo_async", created.resource_meta))
        .await
        .unwrap();
    assert_eq!(Calls::of(&calls.create), 1);
    assert_eq!(Calls::of(&calls.delete), 1);
}

#[tokio::test]
async fn a_sync_agent_runs_at_create_and_get_answers_its_result() {
    let (server, calls) = start().await;
    let mut client = server.connector_client();
    let created = client
        .create_task(create_request("echo_sync", 41, "v2-sync"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(Calls::of(&calls.execute), 1);
    let resource = client
        .get_task(get_request("echo_sync", created.resource_meta.clone()))
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    assert_eq!(
        resource.phase,
        core::task_execution::Phase::Succeeded as i32
    );
    assert_eq!(int_output(&resource, "o0"), 42);
    client
        .delete_task(delete_request("echo_sync", created.resource_meta))
        .await
        .unwrap();
    assert_eq!(Calls::of(&calls.execute), 1, "get and delete run nothing");
}

#[tokio::test]
async fn repeated_creates_of_one_attempt_start_one_job() {
    let (server, calls) = start().await;
    let mut client = server.connector_client();
    let first = client
        .create_task(create_request("echo_async", 1, "v2-repeat"))
        .await
        .unwrap()
        .into_inner();
    let second = client
        .create_task(create_request("echo_async", 1, "v2-repeat"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.resource_meta, second.resource_meta);
    assert_eq!(Calls::of(&calls.create), 1);
}

#[tokio::test]
async fn every_agent_is_listed_as_a_connector() {
    let (server, _) = start().await;
    let mut client = server.connector_metadata_client();
    let connectors = client
        .list_connectors(connector::ListConnectorsRequest {})
        .await
        .unwrap()
        .into_inner()
        .connectors;
    let sync = connectors
        .iter()
        .find(|c| c.name == "Echo Sync Agent")
        .expect("sync agents are connectors too");
    assert_eq!(sync.supported_task_categories[0].name, "echo_sync");
    let echo = client
        .get_connector(connector::GetConnectorRequest {
            name: "Echo Agent".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .connector
        .unwrap();
    let versions: Vec<_> = echo
        .supported_task_categories
        .iter()
        .filter(|c| c.name == "echo_async")
        .map(|c| c.version)
        .collect();
    assert_eq!(versions, [0, 1]);
    let status = client
        .get_connector(connector::GetConnectorRequest {
            name: "Nobody".into(),
        })
        .await
        .unwrap_err();
    assert_status(&status, Code::NotFound, "Echo Agent");
}

#[tokio::test]
async fn bad_requests_get_clear_statuses() {
    let (server, _) = start().await;
    let mut client = server.connector_client();
    let status = client
        .create_task(create_request("nope", 1, "v2-unknown"))
        .await
        .unwrap_err();
    assert_status(&status, Code::NotFound, "nope (version 0)");

    let mut no_template = create_request("echo_async", 1, "v2-no-template");
    no_template.template = None;
    let status = client.create_task(no_template).await.unwrap_err();
    assert_status(&status, Code::InvalidArgument, "template");

    let status = client
        .get_task(get_request("", b"{}".to_vec()))
        .await
        .unwrap_err();
    assert_status(&status, Code::InvalidArgument, "task_category.name");

    let status = client
        .get_task(get_request("echo_async", b"not json".to_vec()))
        .await
        .unwrap_err();
    assert_status(&status, Code::InvalidArgument, "resource_meta");

    for not_a_result in [&b"not a result"[..], b""] {
        let status = client
            .get_task(get_request("echo_sync", not_a_result.to_vec()))
            .await
            .unwrap_err();
        assert_status(&status, Code::InvalidArgument, "resource_meta");
    }

    let status = client
        .create_task(create_request("fails", 1, "v2-fails"))
        .await
        .unwrap_err();
    assert_status(&status, Code::Internal, "backend is down");
}

#[tokio::test]
async fn metrics_and_logs_are_answered_over_flyte2() {
    let (server, _) = start().await;
    let mut client = server.connector_client();
    let meta = br#"{"job_id":7,"x":3}"#.to_vec();
    let metrics = client
        .get_task_metrics(connector::GetTaskMetricsRequest {
            task_category: category("with_logs"),
            resource_meta: meta.clone(),
            queries: vec!["cpu".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(metrics.results.len(), 1);
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
        .get_task_logs(connector::GetTaskLogsRequest {
            task_category: category("with_logs"),
            resource_meta: meta,
            lines: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    use connector::get_task_logs_response::Part;
    let header = stream.message().await.unwrap().unwrap();
    assert!(matches!(header.part, Some(Part::Header(h)) if h.token == "after-2"));
    let body = stream.message().await.unwrap().unwrap();
    let Some(Part::Body(body)) = body.part else {
        panic!("the second message is the body")
    };
    assert_eq!(body.lines.len(), 2);
    assert_eq!(body.lines[1].message, "job 7 line 1");
    assert!(stream.message().await.unwrap().is_none());
}

#[tokio::test]
async fn metrics_and_logs_are_unimplemented_over_flyte2_when_not_provided() {
    let (server, _) = start().await;
    let mut client = server.connector_client();
    let meta = br#"{"job_id":1,"x":1}"#.to_vec();
    let status = client
        .get_task_metrics(connector::GetTaskMetricsRequest {
            task_category: category("echo_async"),
            resource_meta: meta.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    let status = client
        .get_task_logs(connector::GetTaskLogsRequest {
            task_category: category("echo_async"),
            resource_meta: meta,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
}
