//! Running one request: the in-flight limit, the metrics, the log line, the
//! panic guard, and the mapping of errors to gRPC statuses, in one place.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures::FutureExt;
use tokio::sync::Semaphore;
use tracing::Instrument;

use super::metrics::Metrics;
use crate::guard::Guard;
use crate::{AgentError, Registry};

/// What every request handler shares.
pub(crate) struct ServerState {
    pub(crate) registry: Arc<Registry>,
    pub(crate) metrics: Metrics,
    pub(crate) guard: Guard,
    in_flight: Semaphore,
}

impl ServerState {
    pub(crate) fn new(
        registry: Arc<Registry>,
        metrics: Metrics,
        guard: Guard,
        worker: usize,
    ) -> Self {
        ServerState {
            registry,
            metrics,
            guard,
            in_flight: Semaphore::new(worker.max(1)),
        }
    }

    /// Runs `request` for `task_type` and `operation`: waits for an in-flight
    /// slot, records metrics, logs the outcome and answers a panic with
    /// `INTERNAL` while the server goes on serving.
    pub(crate) async fn call<T>(
        &self,
        task_type: &str,
        operation: &'static str,
        request: impl Future<Output = Result<T, AgentError>>,
    ) -> Result<T, tonic::Status> {
        let span = tracing::info_span!("agent_call", task_type, operation);
        async {
            let _slot = self
                .in_flight
                .acquire()
                .await
                .map_err(|_| tonic::Status::unavailable("the server is shutting down"))?;
            let started = Instant::now();
            let outcome = AssertUnwindSafe(request)
                .catch_unwind()
                .await
                .unwrap_or_else(|panic| {
                    let what = panic_message(panic.as_ref());
                    tracing::error!(panic = what, "agent panicked");
                    Err(AgentError::internal(format!(
                        "the agent for task type {task_type} panicked during {operation}; \
                         the server log has the details"
                    )))
                });
            let elapsed = started.elapsed();
            self.metrics.record(
                task_type,
                operation,
                elapsed,
                outcome.as_ref().map(|_| ()).map_err(AgentError::kind),
            );
            match &outcome {
                Ok(_) => tracing::info!(elapsed_ms = elapsed.as_millis() as u64, "done"),
                Err(error) => tracing::warn!(kind = ?error.kind(), %error, "failed"),
            }
            outcome.map_err(tonic::Status::from)
        }
        .instrument(span)
        .await
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string panic payload")
}
