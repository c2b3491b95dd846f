//! SyncAgentService.ExecuteTaskSync: header first, then inputs; one answer.

use agent_core::proto::flyteidl::{admin, core};
use tonic::Code;

use crate::support::{assert_status, execution, inputs, int_output, start, template};

use admin::execute_task_sync_request::Part;

fn header(task_type: &str, run: &str) -> admin::ExecuteTaskSyncRequest {
    admin::ExecuteTaskSyncRequest {
        part: Some(Part::Header(Box::new(admin::CreateRequestHeader {
            template: Some(template(task_type, 0)),
            output_prefix: format!("s3://bucket/{run}"),
            task_execution_metadata: Some(execution(run, 0)),
            max_dataset_size_bytes: 0,
        }))),
    }
}

fn inputs_message(x: i64) -> admin::ExecuteTaskSyncRequest {
    admin::ExecuteTaskSyncRequest {
        part: Some(Part::Inputs(inputs(x))),
    }
}

/// Sends `messages` and answers the resource of the one reply.
async fn execute(
    server: &agent_core::testing::TestServer,
    messages: Vec<admin::ExecuteTaskSyncRequest>,
) -> Result<admin::Resource, tonic::Status> {
    let mut replies = server
        .sync_client()
        .execute_task_sync(futures::stream::iter(messages))
        .await?
        .into_inner();
    let reply = replies.message().await?.expect("one reply");
    assert!(replies.message().await?.is_none(), "exactly one reply");
    match reply.res {
        Some(admin::execute_task_sync_response::Res::Header(header)) => {
            Ok(header.resource.expect("a resource"))
        }
        other => panic!("the reply is a header, got {other:?}"),
    }
}

#[tokio::test]
async fn header_then_inputs_answers_one_header_with_the_resource() {
    let (server, _) = start().await;
    let resource = execute(
        &server,
        vec![header("echo_sync", "sync-1"), inputs_message(41)],
    )
    .await
    .unwrap();
    assert_eq!(
        resource.phase,
        core::task_execution::Phase::Succeeded as i32
    );
    assert_eq!(int_output(&resource, "o0"), 42);
}

#[tokio::test]
async fn a_header_alone_or_an_empty_second_message_means_no_inputs() {
    let (server, _) = start().await;
    let empty = admin::ExecuteTaskSyncRequest { part: None };
    for messages in [
        vec![header("bench_like", "a")],
        vec![header("bench_like", "b"), empty],
    ] {
        let status = execute(&server, messages).await.unwrap_err();
        // The agent is unknown: the request itself was read without complaint.
        assert_eq!(status.code(), Code::NotFound, "{}", status.message());
    }
    let resource = execute(&server, vec![header("echo_sync", "c")])
        .await
        .unwrap_err();
    assert!(
        resource.message().contains("no input named \"x\""),
        "{}",
        resource.message()
    );
}

#[tokio::test]
async fn a_stream_that_starts_with_inputs_is_an_invalid_argument() {
    let (server, _) = start().await;
    let status = execute(&server, vec![inputs_message(1), header("echo_sync", "x")])
        .await
        .unwrap_err();
    assert_status(&status, Code::InvalidArgument, "header");
}

#[tokio::test]
async fn an_empty_stream_is_an_invalid_argument() {
    let (server, _) = start().await;
    let status = execute(&server, vec![]).await.unwrap_err();
    assert_status(&status, Code::InvalidArgument, "header");
}

#[tokio::test]
async fn a_header_without_a_template_is_an_invalid_argument() {
    let (server, _) = start().await;
    let empty_header = admin::ExecuteTaskSyncRequest {
        part: Some(Part::Header(Box::default())),
    };
    let status = execute(&server, vec![empty_header, inputs_message(1)])
        .await
        .unwrap_err();
    assert_status(&status, Code::InvalidArgument, "template");
}

#[tokio::test]
async fn an_unknown_sync_task_type_is_not_found() {
    let (server, _) = start().await;
    let status = execute(&server, vec![header("nope", "x"), inputs_message(1)])
        .await
        .unwrap_err();
    assert_status(&status, Code::NotFound, "echo_sync");
}

#[tokio::test]
async fn an_async_agent_called_through_execute_is_an_invalid_argument() {
    let (server, _) = start().await;
    let status = execute(&server, vec![header("echo_async", "x"), inputs_message(1)])
        .await
        .unwrap_err();
    assert_status(&status, Code::InvalidArgument, "CreateTask");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_fn_agents_block_a_thread_not_the_server() {
    let (server, _) = start().await;
    let runs = (0..2).map(|i| {
        let server = &server;
        async move {
            let run = format!("blocking-{i}");
            execute(
                server,
                vec![header("blocking_sync", &run), inputs_message(i + 2)],
            )
            .await
        }
    });
    let resources = futures::future::join_all(runs).await;
    for (i, resource) in resources.into_iter().enumerate() {
        let resource = resource.unwrap();
        let x = i as i64 + 2;
        assert_eq!(int_output(&resource, "o0"), x * x);
        let overlapped = &resource.outputs.as_ref().unwrap().literals["overlapped"];
        assert!(
            <bool as agent_core::FromLiteral>::from_literal(overlapped).unwrap(),
            "the two blocking calls ran one after the other"
        );
    }
}
