//! The command line of an agent server, with the flags of
//! `pyflyte serve agent`, so a binary drops into the `flyteconnector` Helm
//! chart unchanged.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use clap::Parser;

use super::{AgentServer, ServeError, ServerOptions, bind, metrics, shutdown_signal};
use crate::guard::GuardLimits;
use crate::registry::RegistryBuilder;

/// Flags of an agent server. Each may also be set by an environment variable.
#[derive(Debug, Clone, Parser)]
#[command(
    about = "Serve Flyte agents over gRPC (AsyncAgentService, SyncAgentService, AgentMetadataService)",
    long_about = None,
    version
)]
pub struct ServeArgs {
    /// Address to listen on (all interfaces by default, as a Kubernetes pod needs).
    #[arg(long, env = "FLYTE_AGENT_HOST", default_value_t = IpAddr::V4(Ipv4Addr::UNSPECIFIED))]
    pub host: IpAddr,
    /// gRPC port for the agent services.
    #[arg(long, env = "FLYTE_AGENT_PORT", default_value_t = 8000)]
    pub port: u16,
    /// Port of the Prometheus `/metrics` endpoint.
    #[arg(
        long,
        alias = "prometheus_port",
        env = "FLYTE_AGENT_PROMETHEUS_PORT",
        default_value_t = 9090
    )]
    pub prometheus_port: u16,
    /// Number of agent calls run at once; more wait their turn.
    #[arg(long, env = "FLYTE_AGENT_WORKER", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub worker: u32,
    /// Shut down after this many seconds (for testing), as `pyflyte serve agent --timeout`.
    #[arg(long, env = "FLYTE_AGENT_TIMEOUT")]
    pub timeout: Option<u64>,
    /// Prefix of every metric name (flytekit 1.16 uses `flyte_connector_`).
    #[arg(long, env = "FLYTE_AGENT_METRICS_PREFIX", default_value = metrics::DEFAULT_METRICS_PREFIX)]
    pub metrics_prefix: String,
    /// Largest gRPC message accepted or sent, in bytes.
    #[arg(long, env = "FLYTE_AGENT_MAX_MESSAGE_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_message_bytes: usize,
    /// How long a create's or delete's answer is reused for a repeated
    /// request, in seconds (at most a year).
    #[arg(long, env = "FLYTE_AGENT_IDEMPOTENCY_TTL", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub idempotency_ttl: u64,
    /// How many idempotency answers are kept at most.
    #[arg(long, env = "FLYTE_AGENT_IDEMPOTENCY_CAPACITY", default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idempotency_capacity: u64,
    /// How many bytes of idempotency answers are kept at most.
    #[arg(long, env = "FLYTE_AGENT_IDEMPOTENCY_MAX_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub idempotency_max_bytes: usize,
    /// Seconds a sync call may take to send its header and inputs.
    #[arg(long, env = "FLYTE_AGENT_READ_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub read_timeout: u64,
    /// Seconds a shutdown keeps serving, with health checks answering
    /// NOT_SERVING, before it stops accepting (give Kubernetes time to take
    /// the pod out of its Service).
    #[arg(long, env = "FLYTE_AGENT_DRAIN_DELAY", default_value_t = 0)]
    pub drain_delay: u64,
    /// Seconds a shutdown waits for the requests in flight.
    #[arg(long, env = "FLYTE_AGENT_SHUTDOWN_GRACE", default_value_t = 30)]
    pub shutdown_grace: u64,
}

impl ServeArgs {
    /// Parses the process's arguments. A leading `serve agent` or
    /// `serve connector` (the Helm chart's `pyflyte serve agent`) is skipped.
    pub fn from_env() -> Self {
        Self::parse_from(without_serve_words(std::env::args_os()))
    }

    /// The server options these flags set.
    pub fn options(&self) -> ServerOptions {
        ServerOptions {
            worker: self.worker as usize,
            metrics_prefix: self.metrics_prefix.clone(),
            max_message_bytes: self.max_message_bytes,
            idempotency_ttl: Duration::from_secs(self.idempotency_ttl),
            guard_limits: GuardLimits {
                capacity: usize::try_from(self.idempotency_capacity).unwrap_or(usize::MAX),
                max_bytes: self.idempotency_max_bytes,
            },
            read_timeout: Duration::from_secs(self.read_timeout),
            drain_delay: Duration::from_secs(self.drain_delay),
            shutdown_grace: Duration::from_secs(self.shutdown_grace),
        }
    }
}

fn without_serve_words(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if args.get(1).is_some_and(|word| word == "serve") {
        args.remove(1);
        if args
            .get(1)
            .is_some_and(|word| word == "agent" || word == "connector")
        {
            args.remove(1);
        }
    }
    args
}

/// Serves every agent annotated in this binary with the process's flags,
/// until SIGTERM or Ctrl-C.
///
/// ```no_run
/// #[tokio::main]
/// async fn main() -> Result<(), agent_core::server::ServeError> {
///     agent_core::serve_cli().await
/// }
/// ```
pub async fn serve_cli() -> Result<(), ServeError> {
    serve_cli_with(crate::Registry::builder()).await
}

/// Like [`serve_cli`], serving the agents of `registry` as well as the
/// annotated ones: for agents that need runtime configuration.
pub async fn serve_cli_with(registry: RegistryBuilder) -> Result<(), ServeError> {
    init_logging();
    let args = ServeArgs::from_env();
    let registry = registry.collected().build()?;
    let grpc_address = SocketAddr::new(args.host, args.port);
    let metrics_address = SocketAddr::new(args.host, args.prometheus_port);
    let grpc = bind(grpc_address).await?;
    let metrics = bind(metrics_address).await?;
    for agent in registry.agents() {
        let categories: Vec<String> = agent
            .task_categories
            .iter()
            .map(ToString::to_string)
            .collect();
        tracing::info!(
            agent = agent.name,
            is_sync = agent.is_sync,
            task_categories = categories.join(", "),
            "serving agent"
        );
    }
    tracing::info!(
        grpc = %grpc.local_addr()?,
        metrics = %metrics.local_addr()?,
        "agent server listening"
    );
    let timeout = args.timeout;
    let shutdown = async move {
        match timeout {
            Some(seconds) => {
                tokio::select! {
                    () = shutdown_signal() => {}
                    () = tokio::time::sleep(Duration::from_secs(seconds)) => {
                        tracing::info!(seconds, "--timeout reached");
                    }
                }
            }
            None => shutdown_signal().await,
        }
    };
    AgentServer::new(registry)
        .options(args.options())
        .serve_with_shutdown(grpc, Some(metrics), shutdown)
        .await
}

/// Logs to stderr, filtered by `RUST_LOG` (`info` by default).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> ServeArgs {
        ServeArgs::parse_from(without_serve_words(args.iter().map(OsString::from)))
    }

    #[test]
    fn pyflyte_style_arguments_are_accepted() {
        let args = parse(&[
            "agent-server",
            "serve",
            "agent",
            "--port",
            "8001",
            "--prometheus_port",
            "9191",
        ]);
        assert_eq!(args.port, 8001);
        assert_eq!(args.prometheus_port, 9191);
        assert_eq!(args.worker, 10);
        assert_eq!(args.host, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }

    #[test]
    fn a_zero_worker_count_is_refused() {
        let error = ServeArgs::try_parse_from(["agent-server", "--worker", "0"]).unwrap_err();
        assert!(error.to_string().contains("--worker"), "{error}");
    }
}
