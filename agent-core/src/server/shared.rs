//! What the services of every protocol share: the dispatcher, the metrics,
//! and how one call is observed (its metrics, its log line: at `info`, but
//! for a successful GetTask poll at `debug`; and a warning when the client
//! gives up on it); and what their requests share: a template's check and
//! a metrics query.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::FutureExt;
use tracing::Instrument;

use super::metrics::{Metrics, TaskTypeMetrics};
use super::status;
use crate::dispatch::{Dispatcher, Job, Operation};
use crate::literal::map_encoded_len;
use crate::proto::flyteidl::core;
use crate::{AgentError, TaskContext};

/// The state every service of both protocols holds.
pub(crate) struct Shared {
    /// Runs the agents.
    pub(crate) dispatcher: Dispatcher,
    /// Counts and times the calls.
    pub(crate) metrics: Metrics,
    /// How long a sync call may take to send its header and inputs.
    pub(crate) read_timeout: Duration,
    /// How much log text one `GetTaskLogs` message carries.
    pub(crate) log_body_bytes: usize,
}

impl Shared {
    /// Starts `task` with `start` (a create, a sync run, a submit), observed
    /// as `operation`: the size of its inputs recorded, its outcome logged
    /// with its task type and execution id. The boxed task moves into
    /// `start` at once.
    pub(crate) fn observe_start<'a, T, F>(
        &'a self,
        task: Box<TaskContext>,
        operation: Operation,
        start: impl FnOnce(&'a Dispatcher, Box<TaskContext>) -> F,
    ) -> impl Future<Output = Result<T, tonic::Status>> + 'a
    where
        T: 'a,
        F: Future<Output = Result<T, AgentError>> + 'a,
    {
        let task_type = self.metrics.task_type(task.task_type());
        task_type.record_input_size(map_encoded_len(&task.inputs));
        let execution_id = task.execution.task_execution_id.as_ref().map(execution_id);
        let call = start(&self.dispatcher, task);
        self.observe(task_type, operation, execution_id, call)
    }

    /// Runs `call` on `job` (a poll, a delete, a metrics or logs query),
    /// observed as `operation` for the job's task type. The job moves into
    /// `call` at once.
    pub(crate) fn observe_job<'a, T, F>(
        &'a self,
        job: Job,
        operation: Operation,
        call: impl FnOnce(&'a Dispatcher, Job) -> F,
    ) -> impl Future<Output = Result<T, tonic::Status>> + 'a
    where
        T: 'a,
        F: Future<Output = Result<T, AgentError>> + 'a,
    {
        let task_type = self.metrics.task_type(&job.category.name);
        self.observe(task_type, operation, None, call(&self.dispatcher, job))
    }

    /// Runs `call` for `task_type` (found by
    /// [`Metrics::task_type`]) and `operation`, records its metrics,
    /// logs its outcome with both (and the task execution id, as
    /// [`execution_id`] writes it, for the calls that name one), and answers
    /// its error as a gRPC status.
    ///
    /// The outcome is one event: `info` for a create, delete or sync run,
    /// `debug` for a successful poll (Propeller polls every running task:
    /// a line per poll would cost more than the poll), `warn` for a failure.
    /// The call runs in a `debug` span with the same fields, so that what
    /// an agent logs carries them when the server runs at `debug`; like a
    /// request span in tower-http, it costs nothing at `info`.
    ///
    /// Combinators, not an `async fn`: that would hold `call` twice, as its
    /// argument and as the future it awaits.
    fn observe<'a, T>(
        &'a self,
        task_type: TaskTypeMetrics<'a>,
        operation: Operation,
        execution_id: Option<String>,
        call: impl Future<Output = Result<T, AgentError>> + 'a,
    ) -> impl Future<Output = Result<T, tonic::Status>> + 'a {
        let span = tracing::debug_span!(
            "agent_call",
            task_type = task_type.name(),
            operation = operation.as_str(),
            execution_id = execution_id.as_deref().map(tracing::field::display),
        );
        let observed = ObservedCall {
            task_type,
            operation,
            execution_id,
            started: Instant::now(),
            answered: false,
        };
        call.instrument(span)
            .map(move |outcome| observed.answer(outcome))
    }
}

/// A request refused before it reached the dispatcher (a field missing or
/// malformed, a sync stream out of order), answered `status`: logged as a
/// failure is, with its operation. Not counted in the metrics, as it names
/// no task type to count it under.
pub(crate) fn refused(operation: Operation, status: tonic::Status) -> tonic::Status {
    tracing::warn!(
        operation = %operation.as_str(),
        code = ?status.code(),
        error = status.message(),
        "refused"
    );
    status
}

/// [`refused`], for a request the adapter could not read into the core's
/// types (`error`).
pub(crate) fn refuse(operation: Operation) -> impl FnOnce(AgentError) -> tonic::Status {
    move |error| refused(operation, status::from_agent_error(error))
}

/// What a call is logged with; logged as given up on when dropped before it
/// is answered (the client cancelled it or its deadline passed: a guarded
/// call goes on without it).
struct ObservedCall<'a> {
    task_type: TaskTypeMetrics<'a>,
    operation: Operation,
    execution_id: Option<String>,
    started: Instant,
    answered: bool,
}

impl ObservedCall<'_> {
    /// Records the call's metrics, logs its `outcome`, and answers it.
    fn answer<T>(mut self, outcome: Result<T, AgentError>) -> Result<T, tonic::Status> {
        self.answered = true;
        let elapsed = self.started.elapsed();
        let execution_id = self.execution_id.as_deref();
        let operation = self.operation;
        self.task_type.record(
            operation,
            elapsed,
            outcome.as_ref().map(|_| ()).map_err(AgentError::kind),
        );
        let task_type = self.task_type.name();
        let elapsed_ms = elapsed.as_millis() as u64;
        // The operation is one of our own names: written as it is, without
        // the quotes and escaping that strings a client sent, as the task
        // type and execution id, get. The message of a success is a plain
        // string, which a line writes as it is, not a format to run.
        let name = operation.as_str();
        match &outcome {
            Ok(_) if operation == Operation::Get => {
                tracing::debug!(
                    message = "done",
                    task_type,
                    operation = %name,
                    execution_id,
                    elapsed_ms,
                )
            }
            Ok(_) => tracing::info!(
                message = "done",
                task_type,
                operation = %name,
                execution_id,
                elapsed_ms,
            ),
            Err(error) => tracing::warn!(
                task_type,
                operation = %name,
                execution_id,
                elapsed_ms,
                kind = ?error.kind(),
                error = %status::bounded(error.message()),
                "failed"
            ),
        }
        outcome.map_err(status::from_agent_error)
    }
}

impl Drop for ObservedCall<'_> {
    fn drop(&mut self) {
        if !self.answered {
            tracing::warn!(
                task_type = self.task_type.name(),
                operation = self.operation.as_str(),
                elapsed_ms = self.started.elapsed().as_millis() as u64,
                "the client gave up on the request (cancelled, or its deadline passed)"
            );
        }
    }
}

/// A task execution id as logs show it:
/// `project/domain/execution/node/task/attempt`. Written once per call, for
/// its span and its log line, which escape what a client sent in it.
fn execution_id(id: &core::TaskExecutionIdentifier) -> String {
    let node = id.node_execution_id.as_ref();
    let workflow = node.and_then(|node| node.execution_id.as_ref());
    let mut written = String::with_capacity(128);
    for field in [
        workflow.map(|w| &w.project),
        workflow.map(|w| &w.domain),
        workflow.map(|w| &w.name),
        node.map(|n| &n.node_id),
        id.task_id.as_ref().map(|t| &t.name),
    ] {
        written.push_str(field.map_or("", String::as_str));
        written.push('/');
    }
    written.push_str(itoa::Buffer::new().format(id.retry_attempt));
    written
}

/// The request's template, when it names a task type; `field` is where
/// the request carries it, for the `INVALID_ARGUMENT` that says it is
/// missing or names no task type.
pub(super) fn usable_template(
    template: Option<core::TaskTemplate>,
    field: &str,
) -> Result<core::TaskTemplate, AgentError> {
    match template {
        Some(template) if !template.r#type.is_empty() => Ok(template),
        Some(_) => Err(AgentError::invalid_argument(format!(
            "{field}.type is empty: name the task type the request is for"
        ))),
        None => Err(AgentError::invalid_argument(format!(
            "{field} is missing: send the template of the task to run"
        ))),
    }
}

/// The [`MetricsQuery`](crate::MetricsQuery) of a `GetTaskMetrics` request,
/// the same on both protocols. A time or step out of range is left unset.
pub(super) fn metrics_query(
    queries: Vec<String>,
    start_time: Option<prost_types::Timestamp>,
    end_time: Option<prost_types::Timestamp>,
    step: Option<prost_types::Duration>,
) -> crate::MetricsQuery {
    crate::MetricsQuery {
        queries,
        start_time: start_time.and_then(|t| t.try_into().ok()),
        end_time: end_time.and_then(|t| t.try_into().ok()),
        step: step.and_then(|d| d.try_into().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::logging::CapturedOutput;
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt;

    /// What the server logs at `info` while `log` runs.
    fn logged(log: impl FnOnce()) -> String {
        let output = CapturedOutput::default();
        let sink = output.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .without_time()
                .with_ansi(false)
                .with_writer(move || sink.clone())
                .with_filter(tracing_subscriber::filter::LevelFilter::INFO),
        );
        tracing::subscriber::with_default(subscriber, log);
        output.text()
    }

    fn observed<'a>(metrics: &'a Metrics, task_type: &str) -> ObservedCall<'a> {
        ObservedCall {
            task_type: metrics.task_type(task_type),
            operation: Operation::Create,
            execution_id: Some("p/d/e/n0/t/0".to_owned()),
            started: Instant::now(),
            answered: false,
        }
    }

    #[test]
    fn a_call_dropped_unanswered_is_logged_as_given_up_on() {
        let metrics = Metrics::new("test_", ["bigquery".to_owned()]).unwrap();
        let text = logged(|| drop(observed(&metrics, "bigquery")));
        assert!(text.contains("the client gave up on the request"), "{text}");
        assert!(
            text.contains(r#"task_type="bigquery" operation="create""#),
            "{text}"
        );
    }

    #[test]
    fn an_answered_call_logs_its_outcome_once() {
        let metrics = Metrics::new("test_", ["bigquery".to_owned()]).unwrap();
        let text = logged(|| {
            let answer = observed(&metrics, "bigquery").answer(Ok(7));
            assert_eq!(answer.unwrap(), 7);
        });
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.contains(
                r#"done task_type="bigquery" operation=create execution_id="p/d/e/n0/t/0""#
            ),
            "{text}"
        );
    }

    #[test]
    fn an_execution_id_is_written_as_a_path() {
        let id = core::TaskExecutionIdentifier {
            task_id: Some(core::Identifier {
                name: "wf.t0".into(),
                ..Default::default()
            }),
            node_execution_id: Some(core::NodeExecutionIdentifier {
                node_id: "n0".into(),
                execution_id: Some(core::WorkflowExecutionIdentifier {
                    project: "proj".into(),
                    domain: "dev".into(),
                    name: "run1".into(),
                    ..Default::default()
                }),
            }),
            retry_attempt: 2,
        };
        assert_eq!(execution_id(&id), "proj/dev/run1/n0/wf.t0/2");
        let unnamed = core::TaskExecutionIdentifier::default();
        assert_eq!(execution_id(&unnamed), "/////0");
    }
}
