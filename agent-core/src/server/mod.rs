//! The gRPC agent server: the agent services of Flyte 1 (`flyteidl.service`)
//! and Flyte 2 (`flyteidl2.connector`), gRPC health and reflection on one
//! port, Prometheus metrics on another, graceful shutdown.
//!
//! A request travels one way: a protocol adapter (`flyte1/`, `flyte2/`)
//! converts it to the core's types, the [`Dispatcher`] runs it, the adapter
//! converts the answer back. [`AgentServer::routes`] builds the services
//! apart from serving them, so TLS and tower layers have one place each.

mod batching;
pub mod cli;
mod flyte1;
mod flyte2;
#[cfg(test)]
mod fuzz;
mod lingering_close;
mod logging;
pub mod metrics;
mod oversize;
mod reflection;
mod routes;
mod shared;
pub mod status;
mod task_logs;
mod tls;
mod transport;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::dispatch::{DEFAULT_IDEMPOTENCY_TTL, DEFAULT_MAX_INLINE_OUTPUT_BYTES, Dispatcher};
use crate::guard::{
    Guard, GuardLimits, GuardStore, MemoryGuardStore, OnStoreFailure, RedisGuardStore, StoreError,
    StoreLocation,
};
use crate::limits::CallLimits;
use crate::seal::{Seal, SealError};
use crate::storage::Storage;
use crate::{Registry, RegistryError};
use metrics::Metrics;
use shared::Shared;

pub use routes::{AgentRoutes, service_names};
pub use tls::TlsFiles;
pub use transport::{bind, shutdown_signal};

/// How the server runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerOptions {
    /// How many agent calls run at once, per agent and over all, how many
    /// callers may wait, and how long one call may run.
    pub limits: CallLimits,
    /// The prefix of every metric name.
    pub metrics_prefix: String,
    /// The largest request or response message, in bytes.
    pub max_message_bytes: usize,
    /// The largest encoded outputs answered inline, in bytes; larger ones
    /// are written to `<output_prefix>/outputs.pb`, where Propeller reads them.
    pub max_inline_output_bytes: usize,
    /// How long a create's or delete's answer is reused for a repeated request.
    pub idempotency_ttl: Duration,
    /// How many idempotency answers the in-memory store keeps.
    pub idempotency_limits: GuardLimits,
    /// Where idempotency answers are kept: in memory, or in a Redis that
    /// every replica shares.
    pub idempotency_store: StoreLocation,
    /// What a create, delete or sync run does when the idempotency store
    /// fails: refused with `UNAVAILABLE`, or run unguarded.
    pub idempotency_store_failure: OnStoreFailure,
    /// How long a sync call may take to send its header and inputs.
    pub read_timeout: Duration,
    /// Whether, under load, a connection's answers are written in batches:
    /// fewer system calls and less CPU per request, a lower median latency
    /// and a longer tail (BENCHMARKS.md measures both).
    pub batch_answers: bool,
    /// How long a shutdown keeps serving, with health checks answering
    /// `NOT_SERVING`, before it stops accepting: the time a load balancer
    /// (a Kubernetes Service) takes to stop sending new requests.
    pub drain_delay: Duration,
    /// How long a shutdown waits for the requests in flight.
    pub shutdown_grace: Duration,
    /// TLS for the gRPC port; plaintext when `None`.
    pub tls: Option<TlsFiles>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            limits: CallLimits::default(),
            metrics_prefix: metrics::DEFAULT_METRICS_PREFIX.to_string(),
            max_message_bytes: 4 * 1024 * 1024,
            max_inline_output_bytes: DEFAULT_MAX_INLINE_OUTPUT_BYTES,
            idempotency_ttl: DEFAULT_IDEMPOTENCY_TTL,
            idempotency_limits: GuardLimits::default(),
            idempotency_store: StoreLocation::default(),
            idempotency_store_failure: OnStoreFailure::default(),
            read_timeout: Duration::from_secs(30),
            batch_answers: true,
            drain_delay: Duration::ZERO,
            shutdown_grace: Duration::from_secs(30),
            tls: None,
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
    /// The idempotency store could not be set up.
    #[error("{0}; check --idempotency-store")]
    GuardStore(#[from] StoreError),
    /// A TLS file could not be read.
    #[error("cannot read {flag} {}: {source}", path.display())]
    TlsFile {
        /// The flag that names the file.
        flag: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The TLS files do not make a valid configuration.
    #[error(
        "invalid TLS configuration: {0}; --tls-cert and --tls-key must be a PEM certificate \
         chain and its PEM private key, --tls-client-ca a PEM CA certificate"
    )]
    Tls(tonic::transport::Error),
    /// A seal key could not be set up.
    #[error("{0}; check --seal-key-file and --seal-previous-key-file")]
    Seal(#[from] SealError),
    /// Any other I/O failure.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A gRPC server for the agents of a [`Registry`].
pub struct AgentServer {
    registry: Arc<Registry>,
    options: ServerOptions,
    guard_store: Option<Arc<dyn GuardStore>>,
    storage: Storage,
    seal: Option<Seal>,
}

impl AgentServer {
    /// A server for `registry` with default options.
    pub fn new(registry: Registry) -> Self {
        AgentServer {
            registry: Arc::new(registry),
            options: ServerOptions::default(),
            guard_store: None,
            storage: Storage::default(),
            seal: None,
        }
    }

    /// Sets the options.
    pub fn options(mut self, options: ServerOptions) -> Self {
        self.options = options;
        self
    }

    /// Keeps idempotency answers in `store`, instead of the one
    /// [`ServerOptions::idempotency_store`] names.
    pub fn guard_store(mut self, store: Arc<dyn GuardStore>) -> Self {
        self.guard_store = Some(store);
        self
    }

    /// Reads offloaded inputs and writes large outputs through `storage`
    /// instead of [`Storage::default`] (configured from the environment).
    pub fn storage(mut self, storage: Storage) -> Self {
        self.storage = storage;
        self
    }

    /// Seals the metadata handed out with `seal`, and refuses metadata that
    /// comes back changed or unsealed (`INVALID_ARGUMENT`). Off by default:
    /// metadata is then the agent's own bytes (JSON).
    pub fn seal(mut self, seal: Option<Seal>) -> Self {
        self.seal = seal;
        self
    }

    /// The services, health and reflection, ready to be served on any
    /// listener.
    ///
    /// Fails when the metrics prefix makes an invalid metric name, or the
    /// idempotency store cannot be set up. A Redis store that does not answer
    /// yet is logged, not an error: calls are guarded once it answers.
    pub async fn routes(&self) -> Result<AgentRoutes, ServeError> {
        let store = match &self.guard_store {
            Some(store) => Arc::clone(store),
            None => self.open_guard_store().await?,
        };
        let guard = Guard::new(store).on_store_failure(self.options.idempotency_store_failure);
        let mut dispatcher = Dispatcher::new(Arc::clone(&self.registry))
            .guard(guard)
            .limits(self.options.limits)
            .idempotency_ttl(self.options.idempotency_ttl)
            .storage(self.storage.clone())
            .max_inline_output_bytes(self.options.max_inline_output_bytes);
        if let Some(seal) = &self.seal {
            dispatcher = dispatcher.seal(seal.clone());
        }
        let shared = Arc::new(Shared {
            dispatcher,
            metrics: Metrics::new(
                &self.options.metrics_prefix,
                self.registry.categories().map(|category| category.name),
            )?,
            read_timeout: self.options.read_timeout,
            // Each line is sent twice (structured and plain): a quarter of the
            // message limit leaves room for both and the framing.
            log_body_bytes: (self.options.max_message_bytes / 4).clamp(1024, 1024 * 1024),
        });
        Ok(AgentRoutes::new(shared, self.options.max_message_bytes).await)
    }

    /// The store [`ServerOptions::idempotency_store`] names; a Redis one is
    /// asked whether it answers, and the answer logged.
    async fn open_guard_store(&self) -> Result<Arc<dyn GuardStore>, ServeError> {
        let url = match &self.options.idempotency_store {
            StoreLocation::Memory => {
                return Ok(Arc::new(MemoryGuardStore::new(
                    self.options.idempotency_limits,
                )));
            }
            StoreLocation::Redis(url) => url,
        };
        let store = RedisGuardStore::open(url).await?;
        let failure = self.options.idempotency_store_failure;
        match store.ping().await {
            Ok(()) => {
                tracing::info!(store = %url, on_failure = %failure, "idempotency store answers")
            }
            Err(error) => tracing::warn!(
                store = %url,
                %error,
                "the idempotency store does not answer yet: creates, deletes and sync runs are \
                 {} until it does (--idempotency-store-failure {failure})",
                match failure {
                    OnStoreFailure::Closed => "refused with UNAVAILABLE",
                    OnStoreFailure::Open => "run unguarded",
                }
            ),
        }
        Ok(Arc::new(store))
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
        let routes = self.routes().await?;
        let shutdown = transport::Shutdown {
            signal: shutdown,
            drain_delay: self.options.drain_delay,
            grace: self.options.shutdown_grace,
        };
        let tls = self
            .options
            .tls
            .as_ref()
            .map(TlsFiles::config)
            .transpose()?;
        transport::serve(
            routes,
            grpc,
            metrics,
            tls,
            self.options.batch_answers,
            shutdown,
        )
        .await
    }
}
