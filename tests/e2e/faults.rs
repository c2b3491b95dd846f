//! Faulty agents and overload: a hanging agent is abandoned at the call
//! deadline and frees its worker, a guarded call keeps its worker while it
//! outlives its caller, one whose caller leaves while it waits for a worker
//! never starts and leaves the queue, one agent cannot take every worker,
//! callers beyond the queue are refused at once, and a message over the
//! size limit, either way, is `RESOURCE_EXHAUSTED`.

use std::time::Duration;

use agent_core::limits::CallLimits;
use agent_core::literal::LiteralMapBuilder;
use agent_core::proto::flyteidl::admin;
use agent_core::server::ServerOptions;
use tonic::Code;

use crate::support::{Calls, assert_status, create_request, get_request, start_with, template};
use admin::execute_task_sync_request::Part;

fn limits(
    workers: usize,
    per_agent: usize,
    max_waiting: usize,
    call_timeout_ms: u64,
) -> ServerOptions {
    ServerOptions {
        limits: CallLimits {
            workers,
            per_agent,
            max_waiting,
            call_timeout: Duration::from_millis(call_timeout_ms),
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn a_hanging_agent_is_abandoned_at_the_call_deadline_and_frees_its_worker() {
    let (server, _) = start_with(limits(1, 1, 10, 200)).await;
    let mut client = server.async_client();
    let status = client
        .create_task(create_request("hangs", 1, "hang-1"))
        .await
        .unwrap_err();
    assert_status(&status, Code::DeadlineExceeded, "--call-timeout");
    let created = client
        .create_task(create_request("echo_async", 1, "after-hang"))
        .await;
    assert!(created.is_ok(), "the only worker was freed: {created:?}");
}

#[tokio::test]
async fn a_guarded_call_that_outlives_its_caller_keeps_its_worker() {
    let (server, calls) = start_with(limits(1, 1, 10, 400)).await;
    let mut impatient = tonic::Request::new(create_request("hangs", 1, "hang-2"));
    impatient.set_timeout(Duration::from_millis(50));
    assert!(server.async_client().create_task(impatient).await.is_err());
    server
        .async_client()
        .create_task(create_request("slow_async", 1, "waits-for-the-worker"))
        .await
        .unwrap();
    assert_eq!(
        Calls::of(&calls.max_in_flight),
        1,
        "with one worker, the slow create ran only once the abandoned one was gone"
    );
}

#[tokio::test]
async fn a_guarded_call_whose_caller_leaves_while_it_waits_for_a_worker_never_starts() {
    let (server, calls) = start_with(limits(1, 1, 1, 2_000)).await;
    let impatient = |run: &str| {
        let mut request = tonic::Request::new(create_request("hangs", 1, run));
        request.set_timeout(Duration::from_millis(50));
        request
    };
    // Holds the only worker for the call deadline, its caller gone.
    assert!(
        server
            .async_client()
            .create_task(impatient("hang-e"))
            .await
            .is_err()
    );
    until_in_flight(&calls, 1).await;
    // Waits in the one place of the queue, and leaves it with its caller.
    assert!(
        server
            .async_client()
            .create_task(impatient("hang-f"))
            .await
            .is_err()
    );

    // Refused while the server has yet to see the caller leave (its reset
    // on the way), then queued until the first hang is abandoned; with the
    // second hang still queued, refused until then.
    let give_up_at = tokio::time::Instant::now() + Duration::from_secs(1);
    let created = loop {
        let mut request = tonic::Request::new(create_request("echo_async", 1, "after-the-hangs"));
        request.set_timeout(Duration::from_secs(10));
        let created = server.async_client().create_task(request).await;
        match &created {
            Err(status)
                if status.code() == Code::ResourceExhausted
                    && tokio::time::Instant::now() < give_up_at =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            _ => break created,
        }
    };
    assert!(
        created.is_ok(),
        "the queue had room, and the worker came once the first hang was abandoned: {created:?}"
    );
    assert_eq!(
        Calls::of(&calls.in_flight),
        0,
        "the hang whose caller left while it waited never started"
    );
}

/// Waits (5 s at most) until `calls` has `count` slow or hanging creates running.
async fn until_in_flight(calls: &Calls, count: usize) {
    for _ in 0..500 {
        if Calls::of(&calls.in_flight) == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{count} calls never ran at once");
}

#[tokio::test]
async fn one_slow_agent_cannot_take_every_worker() {
    let (server, calls) = start_with(limits(2, 1, 10, 5_000)).await;
    for run in ["hang-a", "hang-b"] {
        let mut client = server.async_client();
        let request = create_request("hangs", 1, run);
        tokio::spawn(async move { client.create_task(request).await });
    }
    until_in_flight(&calls, 1).await;
    // The second hang waits for its agent's slot, not for a worker.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(Calls::of(&calls.in_flight), 1);
    let mut request = tonic::Request::new(create_request("echo_async", 1, "beside-the-hang"));
    request.set_timeout(Duration::from_secs(2));
    let created = server.async_client().create_task(request).await;
    assert!(
        created.is_ok(),
        "the other agent got the free worker: {created:?}"
    );
}

#[tokio::test]
async fn callers_beyond_the_queue_get_resource_exhausted() {
    let (server, calls) = start_with(limits(1, 1, 1, 5_000)).await;
    for run in ["hang-c", "hang-d"] {
        let mut client = server.async_client();
        let request = create_request("hangs", 1, run);
        tokio::spawn(async move { client.create_task(request).await });
    }
    until_in_flight(&calls, 1).await;
    // The second hang takes the one place in the queue.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let status = server
        .async_client()
        .create_task(create_request("echo_async", 1, "one-too-many"))
        .await
        .unwrap_err();
    assert_status(&status, Code::ResourceExhausted, "waiting for a worker");
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_resource_exhausted() {
    let options = ServerOptions {
        max_message_bytes: 1024,
        ..Default::default()
    };
    let (server, calls) = start_with(options).await;
    let mut request = create_request("echo_async", 1, "too-large");
    request.output_prefix = "s3://bucket/".to_string() + &"x".repeat(4096);
    let status = server
        .async_client()
        .create_task(request)
        .await
        .unwrap_err();
    assert_status(&status, Code::ResourceExhausted, "too large");
    assert_eq!(Calls::of(&calls.create), 0);

    let created = server
        .async_client()
        .create_task(create_request("echo_async", 1, "small-enough"))
        .await;
    assert!(created.is_ok(), "{created:?}");
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_resource_exhausted() {
    let options = ServerOptions {
        max_message_bytes: 1024,
        ..Default::default()
    };
    let (server, _calls) = start_with(options).await;
    let bytes = || {
        LiteralMapBuilder::new()
            .with("bytes", 4096)
            .build()
            .unwrap()
    };

    let mut request = create_request("big_output_async", 0, "big-answer");
    request.inputs = Some(bytes());
    let created = server
        .async_client()
        .create_task(request)
        .await
        .unwrap()
        .into_inner();
    let status = server
        .async_client()
        .get_task(get_request("big_output_async", created.resource_meta))
        .await
        .unwrap_err();
    assert_status(
        &status,
        Code::ResourceExhausted,
        "--max-message-bytes): large outputs belong in storage",
    );

    let messages = vec![
        admin::ExecuteTaskSyncRequest {
            part: Some(Part::Header(Box::new(admin::CreateRequestHeader {
                template: Some(template("big_output_sync", 0)),
                ..Default::default()
            }))),
        },
        admin::ExecuteTaskSyncRequest {
            part: Some(Part::Inputs(bytes())),
        },
    ];
    let replies = server
        .sync_client()
        .execute_task_sync(futures::stream::iter(messages))
        .await;
    let status = match replies {
        Ok(replies) => replies.into_inner().message().await.unwrap_err(),
        Err(status) => status,
    };
    assert_status(
        &status,
        Code::ResourceExhausted,
        "--max-message-bytes): large outputs belong in storage",
    );
}
