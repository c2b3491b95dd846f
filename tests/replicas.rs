//! Two agent servers sharing one Redis, as replicas behind Propeller's
//! round-robin: whichever replica a request lands on, one task attempt
//! starts one job. Also Redis stopping and coming back mid-run, with each
//! `--idempotency-store-failure` mode. Runs a `redis-server` of its own (set
//! `REDIS_SERVER`; skipped otherwise).

use std::sync::Arc;
use std::time::Duration;

use agent_core::guard::OnStoreFailure;
use agent_core::proto::flyteidl::admin;
use agent_core::server::ServerOptions;
use agent_core::testing::TestServer;
use agent_tests::agents::{Calls, registry};
use agent_tests::redis_server::RedisServer;

/// The longest any request of these tests may take.
const BOUND: Duration = Duration::from_secs(10);

/// Two replicas of the test agents sharing `redis`, counting into one
/// [`Calls`], configured as `--idempotency-store redis://...
/// --idempotency-store-failure <on_failure>` would.
async fn replicas(
    redis: &RedisServer,
    on_failure: OnStoreFailure,
) -> ([TestServer; 2], Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let options = ServerOptions {
        idempotency_store: redis.url().parse().unwrap(),
        idempotency_store_failure: on_failure,
        ..ServerOptions::default()
    };
    let start = || TestServer::start_with(registry(Arc::clone(&calls)), options.clone());
    let servers = [start().await, start().await];
    (servers, calls)
}

fn create_request(task_type: &str, run: &str, attempt: u32) -> admin::CreateTaskRequest {
    use agent_core::literal::LiteralMapBuilder;
    use agent_core::proto::flyteidl::core;
    admin::CreateTaskRequest {
        inputs: Some(LiteralMapBuilder::new().with("x", 3).build().unwrap()),
        template: Some(core::TaskTemplate {
            r#type: task_type.into(),
            ..Default::default()
        }),
        output_prefix: format!("s3://bucket/{run}"),
        task_execution_metadata: Some(admin::TaskExecutionMetadata {
            task_execution_id: Some(core::TaskExecutionIdentifier {
                task_id: Some(core::Identifier {
                    name: "my.task".into(),
                    ..Default::default()
                }),
                node_execution_id: Some(core::NodeExecutionIdentifier {
                    node_id: "n0".into(),
                    execution_id: Some(core::WorkflowExecutionIdentifier {
                        project: "p".into(),
                        domain: "d".into(),
                        name: run.into(),
                        org: String::new(),
                    }),
                }),
                retry_attempt: attempt,
            }),
            ..Default::default()
        }),
    }
}

/// Sends `request` to `server` and answers the job's metadata.
async fn create(
    server: &TestServer,
    request: admin::CreateTaskRequest,
) -> Result<Vec<u8>, tonic::Status> {
    let mut client = server.async_client();
    tokio::time::timeout(BOUND, client.create_task(request))
        .await
        .expect("CreateTask answers in time")
        .map(|response| response.into_inner().resource_meta)
}

/// Sends `count` copies of `request` at once, alternating between the
/// replicas, and answers the metadata each got.
async fn concurrent_creates(
    servers: &[TestServer; 2],
    request: &admin::CreateTaskRequest,
    count: usize,
) -> Vec<Vec<u8>> {
    let requests = (0..count).map(|i| create(&servers[i % 2], request.clone()));
    futures::future::join_all(requests)
        .await
        .into_iter()
        .map(|answer| answer.expect("CreateTask succeeds"))
        .collect()
}

fn job_id(resource_meta: &[u8]) -> u64 {
    let job: serde_json::Value = serde_json::from_slice(resource_meta).unwrap();
    job["job_id"].as_u64().expect("a job id")
}

#[tokio::test]
async fn concurrent_duplicate_creates_on_both_replicas_start_one_job() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (servers, calls) = replicas(&redis, OnStoreFailure::Closed).await;
    let metas = concurrent_creates(&servers, &create_request("slow_async", "dup", 0), 8).await;
    assert_eq!(Calls::of(&calls.create), 1, "one job for one task attempt");
    assert!(metas.iter().all(|meta| meta == &metas[0]), "{metas:?}");
}

#[tokio::test]
async fn a_later_repeat_gets_the_same_job_from_either_replica() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (servers, calls) = replicas(&redis, OnStoreFailure::Closed).await;
    let request = create_request("echo_async", "repeat", 0);
    let first = create(&servers[0], request.clone()).await.unwrap();
    for server in &servers {
        assert_eq!(create(server, request.clone()).await.unwrap(), first);
    }
    assert_eq!(Calls::of(&calls.create), 1);
}

#[tokio::test]
async fn a_new_retry_attempt_starts_a_new_job_on_either_replica() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (servers, calls) = replicas(&redis, OnStoreFailure::Closed).await;
    let first = create(&servers[0], create_request("echo_async", "retry", 0))
        .await
        .unwrap();
    let retry = create(&servers[1], create_request("echo_async", "retry", 1))
        .await
        .unwrap();
    assert_ne!(job_id(&first), job_id(&retry));
    assert_eq!(Calls::of(&calls.create), 2);
}

#[tokio::test]
async fn duplicate_deletes_on_both_replicas_delete_once() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (servers, calls) = replicas(&redis, OnStoreFailure::Closed).await;
    let job = create(&servers[0], create_request("echo_async", "delete", 0))
        .await
        .unwrap();
    let delete = |server: &TestServer| {
        let mut client = server.async_client();
        let request = admin::DeleteTaskRequest {
            task_category: Some(admin::TaskCategory {
                name: "echo_async".into(),
                version: 0,
            }),
            resource_meta: job.clone(),
            ..Default::default()
        };
        async move { tokio::time::timeout(BOUND, client.delete_task(request)).await }
    };
    let at_once = futures::future::join_all((0..4).map(|i| delete(&servers[i % 2]))).await;
    for answer in at_once {
        answer.expect("DeleteTask answers in time").unwrap();
    }
    delete(&servers[1]).await.unwrap().unwrap();
    assert_eq!(Calls::of(&calls.delete), 1);
}

#[tokio::test]
async fn closed_refuses_creates_while_redis_is_down_and_guards_again_once_it_is_back() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let (servers, calls) = replicas(&redis, OnStoreFailure::Closed).await;
    redis.kill();
    for server in &servers {
        let refused = create(server, create_request("echo_async", "down", 0))
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            tonic::Code::Unavailable,
            "{}",
            refused.message()
        );
        assert!(
            refused.message().contains("idempotency-store-failure"),
            "the message says how to run unguarded instead: {}",
            refused.message()
        );
    }
    assert_eq!(Calls::of(&calls.create), 0, "nothing ran unguarded");

    redis.restart();
    let metas = concurrent_creates(&servers, &create_request("slow_async", "back", 0), 6).await;
    assert_eq!(
        Calls::of(&calls.create),
        1,
        "guarded again once Redis is back"
    );
    assert!(metas.iter().all(|meta| meta == &metas[0]));
}

#[tokio::test]
async fn open_runs_creates_unguarded_while_redis_is_down_and_guards_again_once_it_is_back() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let (servers, calls) = replicas(&redis, OnStoreFailure::Open).await;
    redis.kill();
    let request = create_request("echo_async", "down", 0);
    let first = create(&servers[0], request.clone()).await.unwrap();
    let second = create(&servers[1], request).await.unwrap();
    assert_eq!(Calls::of(&calls.create), 2, "each create ran, unguarded");
    assert_ne!(job_id(&first), job_id(&second));

    redis.restart();
    let metas = concurrent_creates(&servers, &create_request("slow_async", "back", 0), 6).await;
    assert_eq!(
        Calls::of(&calls.create),
        3,
        "guarded again once Redis is back"
    );
    assert!(metas.iter().all(|meta| meta == &metas[0]));
}
