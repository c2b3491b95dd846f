//! The gRPC agent server: the three agent services, gRPC health and
//! reflection on one port, Prometheus metrics on another, graceful shutdown.

mod async_service;
mod call;
pub mod cli;
mod metadata_service;
pub mod metrics;
mod request_key;
mod sync_service;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

use crate::guard::{Guard, GuardLimits, GuardStore, MemoryGuardStore};
use crate::proto::flyteidl::service::{
    agent_metadata_service_server::AgentMetadataServiceServer,
    async_agent_service_server::AsyncAgentServiceServer,
    sync_agent_service_server::SyncAgentServiceServer,
};
use crate::{Registry, RegistryError};
use call::ServerState;
use metrics::Metrics;

/// The fully qualified names of the agent services, as health checks name them.
pub const SERVICE_NAMES: [&str; 3] = [
    "flyteidl.service.AsyncAgentService",
    "flyteidl.service.SyncAgentService",
    "flyteidl.service.AgentMetadataService",
];

/// How the server runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerOptions {
    /// How many agent calls run at once; more wait their turn.
    pub worker: usize,
    /// The prefix of every metric name.
    pub metrics_prefix: String,
    /// The largest request or response message, in bytes.
    pub max_message_bytes: usize,
    /// How long a create's or delete's answer is reused for a repeated request.
    pub idempotency_ttl: Duration,
    /// How many idempotency answers the in-memory store keeps.
    pub guard_limits: GuardLimits,
    /// How long a sync call may take to send its header and inputs.
    pub read_timeout: Duration,
    /// How long a shutdown keeps serving, with health checks answering
    /// `NOT_SERVING`, before it stops accepting: the time a load balancer
    /// (a Kubernetes Service) takes to stop sending new requests.
    pub drain_delay: Duration,
    /// How long a shutdown waits for the requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            worker: 10,
            metrics_prefix: metrics::DEFAULT_METRICS_PREFIX.to_string(),
            max_message_bytes: 4 * 1024 * 1024,
            idempotency_ttl: Duration::from_secs(3600),
            guard_limits: GuardLimits::default(),
            read_timeout: Duration::from_secs(30),
            drain_delay: Duration::ZERO,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The agents could not be registered.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A port could not be opened.
    #[error("cannot listen on {address}: {source}; choose another --host or port")]
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The metrics could not be set up.
    #[error("invalid metrics configuration: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The gRPC transport failed.
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The reflection service could not read the protocol descriptors.
    #[error("gRPC reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// Any other I/O failure.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A gRPC server for the agents of a [`Registry`].
pub struct AgentServer {
    registry: Arc<Registry>,
    options: ServerOptions,
    guard_store: Option<Arc<dyn GuardStore>>,
}

impl AgentServer {
    /// A server for `registry` with default options.
    pub fn new(registry: Registry) -> Self {
        AgentServer {
            registry: Arc::new(registry),
            options: ServerOptions::default(),
            guard_store: None,
        }
    }

    /// Sets the options.
    pub fn options(mut self, options: ServerOptions) -> Self {
        self.options = options;
        self
    }

    /// Keeps idempotency answers in `store` instead of this process's memory.
    pub fn guard_store(mut self, store: Arc<dyn GuardStore>) -> Self {
        self.guard_store = Some(store);
        self
    }

    /// Serves gRPC on `grpc` and, when given, `/metrics` on `metrics`, until
    /// `shutdown` resolves; then answers health checks with `NOT_SERVING`,
    /// goes on serving for [`ServerOptions::drain_delay`], stops accepting
    /// and lets the requests in flight finish, for
    /// [`ServerOptions::shutdown_grace`] at most.
    pub async fn serve_with_shutdown(
        self,
        grpc: TcpListener,
        metrics: Option<TcpListener>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let metrics_registry = Metrics::new(&self.options.metrics_prefix)?;
        let store = self
            .guard_store
            .unwrap_or_else(|| Arc::new(MemoryGuardStore::new(self.options.guard_limits)));
        let state = Arc::new(ServerState::new(
            Arc::clone(&self.registry),
            metrics_registry.clone(),
            Guard::new(store),
            &self.options,
        ));

        let (stopping, stop_requested) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stopping.send(true);
        });
        let stopped = move || {
            let mut stop_requested = stop_requested.clone();
            async move {
                let _ = stop_requested.wait_for(|stop| *stop).await;
            }
        };

        let metrics_server = metrics.map(|listener| {
            let router = metrics_registry.router();
            let stopped = stopped();
            tokio::spawn(async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(stopped)
                    .await
            })
        });

        let (health, health_service) = tonic_health::server::health_reporter();
        for name in SERVICE_NAMES {
            health
                .set_service_status(name, ServingStatus::Serving)
                .await;
        }
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        let reflection_v1 = reflection().build_v1()?;
        let reflection_v1alpha = reflection().build_v1alpha()?;

        let limit = self.options.max_message_bytes;
        let async_service = AsyncAgentServiceServer::new(async_service::AsyncAgentHandler {
            state: Arc::clone(&state),
        })
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit);
        let sync_service = SyncAgentServiceServer::new(sync_service::SyncAgentHandler {
            state: Arc::clone(&state),
        })
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit);
        let metadata_service = AgentMetadataServiceServer::new(metadata_service::MetadataHandler {
            registry: Arc::clone(&self.registry),
        });

        let drain_delay = self.options.drain_delay;
        let grpc_stopped = {
            let stopped = stopped();
            async move {
                stopped.await;
                for name in SERVICE_NAMES.into_iter().chain([""]) {
                    health
                        .set_service_status(name, ServingStatus::NotServing)
                        .await;
                }
                if !drain_delay.is_zero() {
                    tracing::info!(?drain_delay, "shutting down: serving while traffic drains");
                    tokio::time::sleep(drain_delay).await;
                }
                tracing::info!("shutting down: finishing the requests in flight");
            }
        };
        let incoming = TcpIncoming::from(grpc).with_nodelay(Some(true));
        let serve = tonic::transport::Server::builder()
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(async_service)
            .add_service(sync_service)
            .add_service(metadata_service)
            .serve_with_incoming_shutdown(incoming, grpc_stopped);
        let grace = self.options.shutdown_grace;
        let grace_over = {
            let stopped = stopped();
            async move {
                stopped.await;
                tokio::time::sleep(drain_delay + grace).await;
            }
        };
        let served = tokio::select! {
            served = serve => served,
            () = grace_over => {
                tracing::warn!(?grace, "requests still in flight after the grace period: closing");
                Ok(())
            }
        };

        if let Some(metrics_server) = metrics_server
            && let Ok(metrics_served) = metrics_server.await
        {
            metrics_served?;
        }
        Ok(served?)
    }
}

/// Binds a TCP listener, with an error that names the address.
pub async fn bind(address: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| ServeError::Bind { address, source })
}

/// Resolves on SIGTERM (what Kubernetes sends) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received Ctrl-C"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}
