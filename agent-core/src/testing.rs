//! Test helpers: a real agent server on a loopback port, with clients of
//! both protocols.
//!
//! ```no_run
//! # async fn demo(registry: agent_core::Registry) {
//! let server = agent_core::testing::TestServer::start(registry).await;
//! let mut client = server.async_client();
//! # }
//! ```

use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};

use crate::proto::flyteidl::core;
use crate::proto::flyteidl::service::{
    agent_metadata_service_client::AgentMetadataServiceClient,
    async_agent_service_client::AsyncAgentServiceClient,
    sync_agent_service_client::SyncAgentServiceClient,
};
use crate::proto::flyteidl2::connector::{
    async_connector_service_client::AsyncConnectorServiceClient,
    connector_metadata_service_client::ConnectorMetadataServiceClient,
};
use crate::server::{AgentServer, ServeError, ServerOptions, bind};
use crate::{Registry, protobuf_struct};

/// A task template of `task_type` whose `custom` is `custom` (a JSON object;
/// anything else leaves `custom` empty), as a flytekit plugin would write it.
pub fn task_template(task_type: &str, custom: serde_json::Value) -> core::TaskTemplate {
    core::TaskTemplate {
        r#type: task_type.to_string(),
        custom: custom
            .as_object()
            .map(protobuf_struct::json_object_to_struct),
        ..Default::default()
    }
}

/// An agent server serving on `127.0.0.1` at ephemeral ports, stopped when dropped.
pub struct TestServer {
    address: SocketAddr,
    metrics_address: SocketAddr,
    channel: Channel,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServeError>>>,
}

impl TestServer {
    /// Starts a server for `registry` with default options.
    pub async fn start(registry: Registry) -> Self {
        Self::start_server(AgentServer::new(registry)).await
    }

    /// Starts a server for `registry` with `options`.
    pub async fn start_with(registry: Registry, options: ServerOptions) -> Self {
        Self::start_server(AgentServer::new(registry).options(options)).await
    }

    /// Starts `server`.
    ///
    /// # Panics
    /// When no loopback port can be opened: a broken test machine.
    pub async fn start_server(server: AgentServer) -> Self {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let grpc = bind(loopback).await.expect("open a loopback port");
        let metrics = bind(loopback).await.expect("open a loopback port");
        let address = grpc.local_addr().expect("a bound address");
        let metrics_address = metrics.local_addr().expect("a bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve_with_shutdown(grpc, Some(metrics), async {
            let _ = stopped.await;
        }));
        let channel = Endpoint::from_shared(format!("http://{address}"))
            .expect("a valid loopback URI")
            .connect_lazy();
        TestServer {
            address,
            metrics_address,
            channel,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The gRPC address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The address of the `/metrics` endpoint.
    pub fn metrics_address(&self) -> SocketAddr {
        self.metrics_address
    }

    /// A channel to the server.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// A client of `AsyncAgentService`.
    pub fn async_client(&self) -> AsyncAgentServiceClient<Channel> {
        AsyncAgentServiceClient::new(self.channel())
    }

    /// A client of `SyncAgentService`.
    pub fn sync_client(&self) -> SyncAgentServiceClient<Channel> {
        SyncAgentServiceClient::new(self.channel())
    }

    /// A client of `AgentMetadataService`.
    pub fn agent_metadata_client(&self) -> AgentMetadataServiceClient<Channel> {
        AgentMetadataServiceClient::new(self.channel())
    }

    /// A client of Flyte 2's `AsyncConnectorService`.
    pub fn connector_client(&self) -> AsyncConnectorServiceClient<Channel> {
        AsyncConnectorServiceClient::new(self.channel())
    }

    /// A client of Flyte 2's `ConnectorMetadataService`.
    pub fn connector_metadata_client(&self) -> ConnectorMetadataServiceClient<Channel> {
        ConnectorMetadataServiceClient::new(self.channel())
    }

    /// Asks the server to stop, and waits until the requests in flight
    /// finish. A panic of the server task is passed on.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        match task.await {
            Ok(served) => served,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
