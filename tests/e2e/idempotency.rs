//! Idempotency guards, through the real server: Propeller may repeat
//! CreateTask for one task attempt, DeleteTask after an abort, and
//! ExecuteTaskSync after a timeout.

use agent_core::proto::flyteidl::admin;
use agent_tests::agents::Calls;

use crate::support::{create_request, delete_request, execution, inputs, start, template};

#[tokio::test]
async fn concurrent_creates_for_one_attempt_run_create_once() {
    let (server, calls) = start().await;
    let requests = (0..8).map(|_| {
        let mut client = server.async_client();
        tokio::spawn(async move {
            client
                .create_task(create_request("slow_async", 3, "concurrent"))
                .await
                .map(|r| r.into_inner().resource_meta)
        })
    });
    let metas: Vec<Vec<u8>> = futures::future::join_all(requests)
        .await
        .into_iter()
        .map(|joined| joined.unwrap().unwrap())
        .collect();
    assert_eq!(Calls::of(&calls.create), 1);
    assert!(metas.iter().all(|meta| meta == &metas[0]));
}

#[tokio::test]
async fn a_create_the_client_gave_up_on_finishes_and_its_repeat_gets_the_same_job() {
    let (server, calls) = start().await;
    let mut client = server.async_client();
    // Propeller's deadline passes while `create` (200 ms) still runs.
    let mut impatient = tonic::Request::new(create_request("slow_async", 3, "deadline"));
    impatient.set_timeout(std::time::Duration::from_millis(50));
    assert!(client.create_task(impatient).await.is_err());
    let retried = client
        .create_task(create_request("slow_async", 3, "deadline"))
        .await
        .unwrap()
        .into_inner();
    let job: serde_json::Value = serde_json::from_slice(&retried.resource_meta).unwrap();
    assert_eq!(
        job["job_id"], 1,
        "the retry answers the job the first call started"
    );
    assert_eq!(Calls::of(&calls.create), 1);
}

#[tokio::test]
async fn a_repeat_after_completion_answers_the_same_metadata_without_creating() {
    let (server, calls) = start().await;
    let mut client = server.async_client();
    let first = client
        .create_task(create_request("echo_async", 3, "repeat"))
        .await
        .unwrap()
        .into_inner();
    let second = client
        .create_task(create_request("echo_async", 3, "repeat"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.resource_meta, second.resource_meta);
    assert_eq!(Calls::of(&calls.create), 1);
}

#[tokio::test]
async fn a_new_retry_attempt_creates_a_new_job() {
    let (server, calls) = start().await;
    let mut client = server.async_client();
    let first = client
        .create_task(create_request("echo_async", 3, "retry"))
        .await
        .unwrap()
        .into_inner();
    let mut retry = create_request("echo_async", 3, "retry");
    retry.task_execution_metadata = Some(execution("retry", 1));
    let second = client.create_task(retry).await.unwrap().into_inner();
    assert_ne!(first.resource_meta, second.resource_meta);
    assert_eq!(Calls::of(&calls.create), 2);
}

#[tokio::test]
async fn delete_twice_succeeds_twice() {
    let (server, calls) = start().await;
    let mut client = server.async_client();
    let created = client
        .create_task(create_request("echo_async", 3, "delete-twice"))
        .await
        .unwrap()
        .into_inner();
    for _ in 0..2 {
        client
            .delete_task(delete_request("echo_async", created.resource_meta.clone()))
            .await
            .unwrap();
    }
    assert_eq!(Calls::of(&calls.delete), 1);
}

#[tokio::test]
async fn duplicate_sync_executions_in_flight_run_once() {
    use admin::execute_task_sync_request::Part;
    let (server, calls) = start().await;
    let runs = (0..4).map(|_| {
        let mut client = server.sync_client();
        tokio::spawn(async move {
            let messages = vec![
                admin::ExecuteTaskSyncRequest {
                    part: Some(Part::Header(Box::new(admin::CreateRequestHeader {
                        template: Some(template("echo_sync", 0)),
                        output_prefix: "s3://bucket/sync-dup".into(),
                        task_execution_metadata: Some(execution("sync-dup", 0)),
                        max_dataset_size_bytes: 0,
                    }))),
                },
                admin::ExecuteTaskSyncRequest {
                    part: Some(Part::Inputs(inputs(9))),
                },
            ];
            let mut replies = client
                .execute_task_sync(futures::stream::iter(messages))
                .await
                .unwrap()
                .into_inner();
            replies.message().await.unwrap().unwrap()
        })
    });
    let replies = futures::future::join_all(runs).await;
    assert!(
        replies
            .iter()
            .all(|reply| reply.as_ref().unwrap() == replies[0].as_ref().unwrap())
    );
    assert_eq!(Calls::of(&calls.execute), 1);
}

#[tokio::test]
async fn with_idempotency_off_every_request_runs() {
    let (server, calls) = start().await;
    let mut client = server.async_client();
    let first = client
        .create_task(create_request("unguarded", 3, "unguarded"))
        .await
        .unwrap()
        .into_inner();
    let second = client
        .create_task(create_request("unguarded", 3, "unguarded"))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(first.resource_meta, second.resource_meta);
    assert_eq!(Calls::of(&calls.create), 2);
    for _ in 0..2 {
        client
            .delete_task(delete_request("unguarded", first.resource_meta.clone()))
            .await
            .unwrap();
    }
    assert_eq!(Calls::of(&calls.delete), 2);
}

#[tokio::test]
async fn a_failed_create_is_not_remembered() {
    let (server, _) = start().await;
    let mut client = server.async_client();
    for _ in 0..2 {
        let status = client
            .create_task(create_request("fails", 1, "fails-twice"))
            .await
            .unwrap_err();
        assert!(
            status.message().contains("backend is down"),
            "{}",
            status.message()
        );
    }
}
