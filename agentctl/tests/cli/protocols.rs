//! How agentctl picks its protocol, and TLS.

use std::sync::Arc;

use agent_core::AgentServer;
use agent_core::proto::flyteidl::admin;
use agent_core::proto::flyteidl::service::agent_metadata_service_server::{
    AgentMetadataService, AgentMetadataServiceServer,
};
use agent_core::proto::flyteidl2::connector::{
    self,
    connector_metadata_service_server::{ConnectorMetadataService, ConnectorMetadataServiceServer},
};
use agent_tests::agents::{Calls, registry};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic::{Request, Response, Status};

use crate::support::{Running, agentctl};

/// A Flyte 2 metadata service listing one connector, as flyte-sdk's server
/// would: a server that answers UNIMPLEMENTED to Flyte 1.
struct Flyte2Only;

#[tonic::async_trait]
impl ConnectorMetadataService for Flyte2Only {
    async fn get_connector(
        &self,
        request: Request<connector::GetConnectorRequest>,
    ) -> Result<Response<connector::GetConnectorResponse>, Status> {
        Err(Status::not_found(format!(
            "no connector {}",
            request.into_inner().name
        )))
    }

    async fn list_connectors(
        &self,
        _request: Request<connector::ListConnectorsRequest>,
    ) -> Result<Response<connector::ListConnectorsResponse>, Status> {
        Ok(Response::new(connector::ListConnectorsResponse {
            connectors: vec![connector::Connector {
                name: "SDK Connector".into(),
                supported_task_categories: vec![connector::TaskCategory {
                    name: "sdk_task".into(),
                    version: 2,
                }],
            }],
        }))
    }
}

/// A Flyte 1 metadata service that never answers ListAgents; it notifies
/// `asked` each time one comes.
struct SilentMetadata {
    asked: Arc<Notify>,
}

#[tonic::async_trait]
impl AgentMetadataService for SilentMetadata {
    async fn get_agent(
        &self,
        _request: Request<admin::GetAgentRequest>,
    ) -> Result<Response<admin::GetAgentResponse>, Status> {
        Err(Status::not_found("no agent"))
    }

    async fn list_agents(
        &self,
        _request: Request<admin::ListAgentsRequest>,
    ) -> Result<Response<admin::ListAgentsResponse>, Status> {
        self.asked.notify_one();
        std::future::pending().await
    }
}

/// Serves `router`'s services on a loopback port, until the test ends.
async fn serve(router: tonic::transport::server::Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(router.serve_with_incoming(TcpListenerStream::new(listener)));
    address.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_speaks_flyte2_to_a_server_that_has_no_flyte1() {
    let addr =
        serve(Server::builder().add_service(ConnectorMetadataServiceServer::new(Flyte2Only))).await;
    let agents = agentctl(&addr, &["list"]).await.json();
    assert_eq!(
        agents,
        json!([{
            "name": "SDK Connector", "kind": "async",
            "task_categories": [{"name": "sdk_task", "version": 2}],
        }])
    );
    agentctl(&addr, &["--protocol", "flyte1", "list"])
        .await
        .assert_failed(
            1,
            &[
                "AgentMetadataService.ListAgents (Flyte 1)",
                "UNIMPLEMENTED",
                "hint: the server does not serve this call; try --protocol flyte2",
            ],
        );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_of_neither_protocol_is_named_so() {
    let (_, health) = tonic_health::server::health_reporter();
    let addr = serve(Server::builder().add_service(health)).await;
    agentctl(&addr, &["list"]).await.assert_failed(
        1,
        &[
            "serves neither AgentMetadataService (Flyte 1) nor ConnectorMetadataService (Flyte 2)",
            &format!("hint: is {addr} an agent server?"),
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_or_the_timeout_while_asking_the_server_creates_nothing() {
    // Asked to find the protocol (the default, `auto`), or whether the
    // agent is sync (Flyte 1).
    for protocol in ["auto", "flyte1"] {
        let asked = Arc::new(Notify::new());
        let metadata = SilentMetadata {
            asked: Arc::clone(&asked),
        };
        // No AsyncAgentService: a CreateTask would fail with UNIMPLEMENTED.
        let addr =
            serve(Server::builder().add_service(AgentMetadataServiceServer::new(metadata))).await;
        let run = [
            "--protocol",
            protocol,
            "run",
            "--task-type",
            "echo_async",
            "--inputs",
            r#"{"x": 1}"#,
        ];
        let running = Running::start(&addr, &run);
        tokio::time::timeout(std::time::Duration::from_secs(30), asked.notified())
            .await
            .expect("agentctl asks ListAgents");
        running.interrupt();
        running.finish().await.assert_failed(
            130,
            &["error: interrupted; no job was created: the server had not yet answered ListAgents"],
        );
        agentctl(&addr, &[&run[..], &["--timeout", "0.5"]].concat())
            .await
            .assert_failed(124, &["error: timed out after 0.5 s; no job was created"]);
    }
}

/// The test certificates: `fixtures/tls/README.md` says how they were made.
fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_ca_verifies_the_server() {
    let calls = Arc::new(Calls::default());
    let routes = AgentServer::new(registry(calls))
        .routes()
        .await
        .expect("the test agents' routes");
    let identity = Identity::from_pem(
        std::fs::read(fixture("server.pem")).unwrap(),
        std::fs::read(fixture("server.key")).unwrap(),
    );
    let tls = ServerTlsConfig::new().identity(identity);
    let mut server = Server::builder()
        .tls_config(tls)
        .expect("a TLS configuration");
    let addr = serve(server.add_routes(routes.routes())).await;
    let port = addr.rsplit(':').next().unwrap();

    for host in ["localhost", "127.0.0.1"] {
        let addr = format!("{host}:{port}");
        let ran = agentctl(
            &addr,
            &[
                "--tls-ca",
                &fixture("ca.pem"),
                "run",
                "--task-type",
                "echo_sync",
                "--inputs",
                r#"{"x": 1}"#,
            ],
        )
        .await;
        assert_eq!(ran.json(), json!({"o0": 2}), "{host}");
    }
    // Plaintext to a TLS server, or TLS verified by another CA, fails.
    agentctl(&format!("localhost:{port}"), &["list"])
        .await
        .assert_failed(1, &["failed: "]);
    agentctl(
        &format!("localhost:{port}"),
        &["--tls-ca", &fixture("server.pem"), "list"],
    )
    .await
    .assert_failed(
        1,
        &["failed: UNAVAILABLE", "hint: is the server running at"],
    );
}
