//! Health, reflection, the metrics endpoint and graceful shutdown.

use std::time::Duration;

use agent_core::server::service_names;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

use crate::support::{create_request, start, start_with};

#[tokio::test]
async fn health_reports_every_agent_service_serving() {
    let (server, _) = start().await;
    let mut health = HealthClient::new(server.channel());
    for service in service_names().chain([""]) {
        let status = health
            .check(HealthCheckRequest {
                service: service.to_string(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service}");
    }
}

#[tokio::test]
async fn reflection_lists_the_agent_services() {
    let (server, _) = start().await;
    let mut reflection = ServerReflectionClient::new(server.channel());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut replies = reflection
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("a list of services")
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    for service in service_names() {
        assert!(names.contains(&service), "{names:?}");
    }
}

/// GETs `/metrics` with a bare HTTP/1.0 request.
async fn scrape(address: std::net::SocketAddr) -> String {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn the_metrics_endpoint_counts_requests_by_task_type_and_operation() {
    let (server, _) = start().await;
    let mut client = server.async_client();
    client
        .create_task(create_request("echo_async", 1, "metrics"))
        .await
        .unwrap();
    client
        .create_task(create_request("nope", 1, "metrics"))
        .await
        .unwrap_err();
    let text = scrape(server.metrics_address()).await;
    assert!(
        text.starts_with("HTTP/1.0 200") || text.starts_with("HTTP/1.1 200"),
        "{text}"
    );
    assert!(
        text.contains(
            r#"flyte_connector_requests_success_total{operation="create",task_type="echo_async"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"flyte_connector_requests_failure_total{error_code="404",operation="create",task_type="nope"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains("flyte_connector_request_latency_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(r#"flyte_connector_input_literal_bytes_count{task_type="echo_async"} 1"#),
        "{text}"
    );
}

#[tokio::test]
async fn flyte2_creates_are_counted_as_the_run_or_the_job_they_start() {
    let (server, _) = start().await;
    let mut client = server.connector_client();
    for task_type in ["echo_sync", "echo_async"] {
        client
            .create_task(crate::support::flyte2::create_request(
                task_type, 1, "counted",
            ))
            .await
            .unwrap();
    }
    let text = scrape(server.metrics_address()).await;
    for counted in [
        r#"flyte_connector_requests_success_total{operation="do",task_type="echo_sync"} 1"#,
        r#"flyte_connector_requests_success_total{operation="create",task_type="echo_async"} 1"#,
    ] {
        assert!(text.contains(counted), "{counted} in {text}");
    }
}

#[tokio::test]
async fn shutdown_lets_the_requests_in_flight_finish() {
    let (server, _) = start().await;
    let mut client = server.async_client();
    // Connect before shutting down, so the request is in flight when it starts.
    client
        .create_task(create_request("echo_async", 1, "warm"))
        .await
        .unwrap();
    let in_flight = tokio::spawn(async move {
        client
            .create_task(create_request("slow_async", 2, "in-flight"))
            .await
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.shutdown().await.unwrap();
    let created = in_flight.await.unwrap();
    assert!(created.is_ok(), "{created:?}");
}

/// Sends three slow creates at once and answers how many ran together.
async fn most_slow_creates_at_once(worker: usize) -> usize {
    let options = agent_core::server::ServerOptions {
        limits: agent_core::limits::CallLimits {
            workers: worker,
            per_agent: worker,
            ..Default::default()
        },
        ..Default::default()
    };
    let (server, calls) = start_with(options).await;
    let creates = (0..3).map(|i| {
        let mut client = server.async_client();
        async move {
            client
                .create_task(create_request("slow_async", 1, &format!("worker-{i}")))
                .await
        }
    });
    for created in futures::future::join_all(creates).await {
        created.unwrap();
    }
    agent_tests::agents::Calls::of(&calls.slow_max_running)
}

#[tokio::test]
async fn the_worker_option_limits_the_agent_calls_run_at_once() {
    assert_eq!(most_slow_creates_at_once(1).await, 1);
    assert_eq!(most_slow_creates_at_once(10).await, 3);
}

#[tokio::test]
async fn batched_or_not_many_calls_on_one_connection_each_get_their_own_answer() {
    for batch_answers in [true, false] {
        let options = agent_core::server::ServerOptions {
            batch_answers,
            ..Default::default()
        };
        let (server, _) = start_with(options).await;
        let client = server.async_client();
        let creates = (0..64).map(|x| {
            let mut client = client.clone();
            async move {
                let created = client
                    .create_task(create_request("echo_async", x, &format!("many-{x}")))
                    .await
                    .unwrap()
                    .into_inner();
                let meta: serde_json::Value =
                    serde_json::from_slice(&created.resource_meta).unwrap();
                (x, meta["x"].as_i64())
            }
        });
        for (x, answered) in futures::future::join_all(creates).await {
            assert_eq!(answered, Some(x), "batch_answers = {batch_answers}");
        }
        server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn while_draining_health_says_not_serving_and_requests_are_still_served() {
    let options = agent_core::server::ServerOptions {
        drain_delay: Duration::from_millis(500),
        ..Default::default()
    };
    let (server, _) = start_with(options).await;
    let mut health = HealthClient::new(server.channel());
    let mut client = server.async_client();
    let stopping = tokio::spawn(server.shutdown());

    let mut status = ServingStatus::Serving as i32;
    for _ in 0..100 {
        status = health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        if status == ServingStatus::NotServing as i32 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(status, ServingStatus::NotServing as i32);
    let created = client
        .create_task(create_request("echo_async", 1, "draining"))
        .await;
    assert!(
        created.is_ok(),
        "requests are served while draining: {created:?}"
    );
    stopping.await.unwrap().unwrap();
}

/// What an HTTP/2 client sends first, before its settings.
const CLIENT_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// An HTTP/2 frame of `kind` with `flags` and `payload`, on the connection
/// (stream 0).
fn frame(kind: u8, flags: u8, payload: &[u8]) -> Vec<u8> {
    let length = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut frame = vec![length[1], length[2], length[3], kind, flags, 0, 0, 0, 0];
    frame.extend_from_slice(payload);
    frame
}

const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const ACK: u8 = 0x1;

/// Reads the server's next frame, acknowledging its settings and pings as a
/// client does; answers its kind, or `None` at the end of the stream.
async fn answer_next_frame(connection: &mut tokio::net::TcpStream) -> Option<u8> {
    let mut head = [0; 9];
    match connection.read_exact(&mut head).await {
        Err(end) if end.kind() == std::io::ErrorKind::UnexpectedEof => return None,
        read => read.map(|_| ()).unwrap(),
    }
    let length = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    let mut payload = vec![0; length];
    connection.read_exact(&mut payload).await.unwrap();
    let (kind, flags) = (head[3], head[4]);
    if flags & ACK == 0 && (kind == SETTINGS || kind == PING) {
        connection
            .write_all(&frame(kind, ACK, &payload))
            .await
            .unwrap();
    }
    Some(kind)
}

/// A raw HTTP/2 connection to `address`, its preface and (empty) settings
/// sent.
async fn raw_connection(address: std::net::SocketAddr) -> tokio::net::TcpStream {
    let mut connection = tokio::net::TcpStream::connect(address).await.unwrap();
    connection.write_all(CLIENT_PREFACE).await.unwrap();
    connection
        .write_all(&frame(SETTINGS, 0, &[]))
        .await
        .unwrap();
    connection
}

#[tokio::test]
async fn a_connection_may_hold_a_thousand_calls_at_once() {
    let (server, _) = start().await;
    let mut connection = raw_connection(server.address()).await;
    let mut head = [0; 9];
    connection.read_exact(&mut head).await.unwrap();
    assert_eq!(head[3], SETTINGS, "the server's first frame");
    let mut settings = vec![0; u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize];
    connection.read_exact(&mut settings).await.unwrap();
    // Each setting: a 16-bit identifier, a 32-bit value.
    let max_concurrent_streams = settings.chunks(6).find_map(|setting| {
        (setting[..2] == [0, 0x3]).then(|| u32::from_be_bytes(setting[2..].try_into().unwrap()))
    });
    assert_eq!(max_concurrent_streams, Some(1000), "{settings:?}");
}

#[tokio::test]
async fn a_client_still_writing_when_the_shutdown_closes_its_connection_is_not_reset() {
    let (server, _) = start().await;
    let mut connection = raw_connection(server.address()).await;
    // The server's settings: the connection is served.
    assert_eq!(answer_next_frame(&mut connection).await, Some(SETTINGS));
    let stopping = tokio::spawn(server.shutdown());
    // The shutdown's frames, until the server has sent all it will send.
    while answer_next_frame(&mut connection).await.is_some() {}

    // A client slower than the server still writes after the server's
    // last frame (it resets the streams it dropped, it sends its own
    // GOAWAY). A server that closed its socket at once would answer the
    // first write with a reset, and the second would fail with a broken
    // pipe.
    for late in [frame(PING, 0, &[0; 8]), frame(GOAWAY, 0, &[0; 8])] {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let written = connection.write_all(&late).await;
        assert!(written.is_ok(), "the connection was reset: {written:?}");
    }
    drop(connection);
    let stopped = tokio::time::timeout(Duration::from_secs(1), stopping).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "the server stops as soon as the client closes: {stopped:?}"
    );
}
