//! Running one request: finding its agent, the in-flight limit, the metrics,
//! the log line, the panic guard, and the mapping of errors to gRPC
//! statuses, in one place.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use tokio::sync::Semaphore;
use tracing::Instrument;

use super::metrics::Metrics;
use crate::guard::Guard;
use crate::proto::flyteidl::{admin, core};
use crate::registry::RegisteredAgent;
use crate::{AgentError, DynAsyncAgent, DynSyncAgent, Registry, TaskCategory};

/// What every request handler shares.
pub(crate) struct ServerState {
    pub(crate) registry: Arc<Registry>,
    pub(crate) metrics: Metrics,
    pub(crate) guard: Guard,
    /// How long a create's or delete's answer is reused.
    pub(crate) answer_ttl: Duration,
    /// How long a sync call may take to send its header and inputs.
    pub(crate) read_timeout: Duration,
    /// How much log text one `GetTaskLogs` message carries.
    pub(crate) log_body_bytes: usize,
    in_flight: Semaphore,
}

/// How long a sync result is reused: long enough for Propeller to retry a
/// call it timed out, short because results carry outputs.
const SYNC_RESULT_TTL: Duration = Duration::from_secs(60);

impl ServerState {
    pub(crate) fn new(
        registry: Arc<Registry>,
        metrics: Metrics,
        guard: Guard,
        options: &super::ServerOptions,
    ) -> Self {
        ServerState {
            registry,
            metrics,
            guard,
            answer_ttl: options.idempotency_ttl,
            read_timeout: options.read_timeout,
            // Each line is sent twice (structured and plain): a quarter of the
            // message limit leaves room for both and the framing.
            log_body_bytes: (options.max_message_bytes / 4).clamp(1024, 1024 * 1024),
            in_flight: Semaphore::new(options.worker.max(1)),
        }
    }

    /// How long a sync result is reused.
    pub(crate) fn sync_result_ttl(&self) -> Duration {
        self.answer_ttl.min(SYNC_RESULT_TTL)
    }

    /// The async agent serving `category`, which the request names in
    /// `field`.
    pub(crate) fn async_agent(
        &self,
        category: &TaskCategory,
        field: &str,
    ) -> Result<Arc<dyn DynAsyncAgent>, AgentError> {
        require_task_type(category, field)?;
        match self.registry.get(category) {
            Ok(RegisteredAgent::Async(agent)) => Ok(Arc::clone(agent)),
            Ok(RegisteredAgent::Sync(agent)) => Err(AgentError::invalid_argument(format!(
                "task category {category} is served by the sync agent `{}`: \
                 call SyncAgentService.ExecuteTaskSync instead",
                agent.name()
            ))),
            Err(unknown) => Err(AgentError::not_found(unknown)),
        }
    }

    /// The sync agent serving `category`, which the request names in
    /// `field`.
    pub(crate) fn sync_agent(
        &self,
        category: &TaskCategory,
        field: &str,
    ) -> Result<Arc<dyn DynSyncAgent>, AgentError> {
        require_task_type(category, field)?;
        match self.registry.get(category) {
            Ok(RegisteredAgent::Sync(agent)) => Ok(Arc::clone(agent)),
            Ok(RegisteredAgent::Async(agent)) => Err(AgentError::invalid_argument(format!(
                "task category {category} is served by the async agent `{}`: \
                 call AsyncAgentService.CreateTask instead",
                agent.name()
            ))),
            Err(unknown) => Err(AgentError::not_found(unknown)),
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
            let started = Instant::now();
            let mut unanswered = Unanswered {
                task_type,
                operation,
                started,
                answered: false,
            };
            // The semaphore is never closed, so a slot always comes.
            let _slot = self.in_flight.acquire().await;
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
            unanswered.answered = true;
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

/// Logs a request that was dropped before it was answered: the client
/// cancelled it or its deadline passed. A guarded call goes on without it.
struct Unanswered<'a> {
    task_type: &'a str,
    operation: &'static str,
    started: Instant,
    answered: bool,
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if !self.answered {
            tracing::warn!(
                task_type = self.task_type,
                operation = self.operation,
                elapsed_ms = self.started.elapsed().as_millis() as u64,
                "the client gave up on the request (cancelled, or its deadline passed)"
            );
        }
    }
}

/// The category a request names: `task_category`, or the deprecated
/// `task_type` string (version 0) when the category is absent or empty.
pub(crate) fn requested_category(
    category: Option<&admin::TaskCategory>,
    task_type: &str,
) -> TaskCategory {
    match category {
        Some(category) if !category.name.is_empty() => {
            TaskCategory::new(category.name.clone(), category.version)
        }
        _ => TaskCategory::new(task_type, 0),
    }
}

/// The category a task template names: its type and `task_type_version`
/// (an empty name when there is no template).
pub(crate) fn template_category(template: Option<&core::TaskTemplate>) -> TaskCategory {
    template.map_or_else(
        || TaskCategory::new("", 0),
        |template| TaskCategory::new(&template.r#type, template.task_type_version),
    )
}

/// Checks that a request names a task type.
fn require_task_type(category: &TaskCategory, field: &str) -> Result<(), AgentError> {
    if category.name.is_empty() {
        return Err(AgentError::invalid_argument(format!(
            "{field} is empty: name the task type the request is for"
        )));
    }
    Ok(())
}

/// Runs `work` as a task of its own, so that it finishes (and its guard
/// stores the answer) even when the client gives up waiting: a repeat of the
/// request then finds the answer instead of starting a second job. A panic
/// in `work` is passed on to the caller.
pub(crate) async fn detached<T: Send + 'static>(
    work: impl Future<Output = Result<T, AgentError>> + Send + 'static,
) -> Result<T, AgentError> {
    match tokio::spawn(work).await {
        Ok(outcome) => outcome,
        Err(error) => match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => Err(AgentError::internal(
                "the call was cancelled: the server is shutting down",
            )),
        },
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string panic payload")
}
