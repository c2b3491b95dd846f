//! Serving with the process's flags: what an agent server binary's `main`
//! calls.

use std::time::Duration;

use super::check_config::effective_config;
use super::{ServeArgs, task_categories};
use crate::registry::RegistryBuilder;
use crate::server::logging::init_logging;
use crate::server::transport::listen;
use crate::server::{AgentServer, ServeError, TlsFiles, shutdown_signal};

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
    let (args, matches) =
        ServeArgs::parse_args(std::env::args_os()).unwrap_or_else(|error| error.exit());
    let _logs_written_on_return = init_logging(args.log_format)?;
    let registry = registry.collected().build()?;
    if args.check_config {
        // The TLS files and the sealing keys are read as a start reads them.
        args.tls_files()
            .as_ref()
            .map(TlsFiles::config)
            .transpose()?;
        args.seal()?;
        print!("{}", effective_config(&args, &matches, &registry));
        return Ok(());
    }
    if !args.modules.is_empty() {
        tracing::info!(
            modules = args.modules.join(", "),
            "--modules ignored: the agents are compiled into this binary"
        );
    }
    let (grpc, metrics) = listen(args.host, args.port, args.prometheus_port).await?;
    for agent in registry.agents() {
        tracing::info!(
            agent = agent.name,
            is_sync = agent.is_sync,
            task_categories = task_categories(agent),
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
    let seal = args.seal()?;
    AgentServer::new(registry)
        .options(args.options())
        .seal(seal)
        .serve_with_shutdown(grpc, Some(metrics), shutdown)
        .await
}
