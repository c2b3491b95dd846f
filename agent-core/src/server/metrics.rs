//! Prometheus metrics, named as flytekit names them, and the `/metrics`
//! endpoint that serves them.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry,
    TextEncoder,
};

use super::status;
use crate::ErrorKind;
use crate::dispatch::Operation;

/// The metric name prefix flytekit 1.16 and flyte-sdk write.
pub const DEFAULT_METRICS_PREFIX: &str = "flyte_connector_";

/// How many distinct task types that no agent serves get a label of their
/// own; the rest share [`OTHER_TASK_TYPES`], so that callers cannot grow the
/// metrics without bound.
pub const MAX_UNKNOWN_TASK_TYPES: usize = 32;

/// The longest task type that no agent serves with a label of its own; a
/// longer one shares [`OTHER_TASK_TYPES`], so that callers cannot grow a
/// scrape without bound either. Task types are short names.
pub const MAX_UNKNOWN_TASK_TYPE_BYTES: usize = 128;

/// The label of unknown task types past [`MAX_UNKNOWN_TASK_TYPES`], or
/// longer than [`MAX_UNKNOWN_TASK_TYPE_BYTES`].
pub const OTHER_TASK_TYPES: &str = "other_unknown";

/// The server's request metrics, with process metrics (CPU, memory, open
/// files) on Linux.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Looked up on every request: hashed with foldhash, not SipHash.
    served: Arc<HashMap<String, ServedTaskType, foldhash::fast::RandomState>>,
    unknown: Arc<UnknownTaskTypes>,
    success: IntCounterVec,
    failure: IntCounterVec,
    latency: HistogramVec,
    input_bytes: HistogramVec,
}

impl Metrics {
    /// Metrics named `<prefix>requests_success_total`, `<prefix>requests_failure_total`,
    /// `<prefix>request_latency_seconds` and `<prefix>input_literal_bytes`,
    /// labelled with the task types of `served` and a bounded number of others.
    ///
    /// Fails when `prefix` makes an invalid metric name.
    pub fn new(
        prefix: &str,
        served: impl IntoIterator<Item = String>,
    ) -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        let success = IntCounterVec::new(
            Opts::new(
                format!("{prefix}requests_success_total"),
                "Total number of successful requests",
            ),
            &["task_type", "operation"],
        )?;
        let failure = IntCounterVec::new(
            Opts::new(
                format!("{prefix}requests_failure_total"),
                "Total number of failed requests",
            ),
            &["task_type", "operation", "error_code"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                format!("{prefix}request_latency_seconds"),
                "Time spent processing agent request",
            ),
            &["task_type", "operation"],
        )?;
        let input_bytes = HistogramVec::new(
            HistogramOpts::new(
                format!("{prefix}input_literal_bytes"),
                "Size of input literal",
            )
            .buckets(prometheus::exponential_buckets(64.0, 4.0, 10)?),
            &["task_type"],
        )?;
        registry.register(Box::new(success.clone()))?;
        registry.register(Box::new(failure.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(input_bytes.clone()))?;
        Ok(Metrics {
            registry,
            served: Arc::new(
                served
                    .into_iter()
                    .map(|task_type| (task_type, ServedTaskType::default()))
                    .collect(),
            ),
            unknown: Arc::new(UnknownTaskTypes::default()),
            success,
            failure,
            latency,
            input_bytes,
        })
    }

    /// The metrics of `task_type`, found once for a request that records
    /// several, with its name as logs show it: borrowed from these metrics
    /// when an agent serves it, so that a request copies no name, and cut
    /// as an error message is ([`status::bounded`]) when none does.
    pub(crate) fn task_type<'a>(&'a self, task_type: &str) -> TaskTypeMetrics<'a> {
        let (name, served) = match self.served.get_key_value(task_type) {
            Some((name, served)) => (Cow::Borrowed(name.as_str()), Some(served)),
            None => (Cow::Owned(status::bounded(task_type).into_owned()), None),
        };
        TaskTypeMetrics {
            metrics: self,
            name,
            served,
        }
    }

    /// Records a finished request.
    pub fn record(
        &self,
        task_type: &str,
        operation: Operation,
        elapsed: Duration,
        outcome: Result<(), ErrorKind>,
    ) {
        self.task_type(task_type)
            .record(operation, elapsed, outcome)
    }

    /// Records the encoded size of a request's inputs.
    pub fn record_input_size(&self, task_type: &str, bytes: usize) {
        self.task_type(task_type).record_input_size(bytes)
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .expect("the text encoder writes to memory");
        String::from_utf8(buffer).expect("the text format is UTF-8")
    }

    /// An HTTP router serving [`Metrics::render`] at `/metrics`.
    pub fn router(&self) -> axum::Router {
        let metrics = self.clone();
        axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let metrics = metrics.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, prometheus::TEXT_FORMAT)],
                        metrics.render(),
                    )
                }
            }),
        )
    }
}

/// The metrics of one task type, found by [`Metrics::task_type`].
pub(crate) struct TaskTypeMetrics<'a> {
    metrics: &'a Metrics,
    name: Cow<'a, str>,
    /// `None` for a task type no agent serves.
    served: Option<&'a ServedTaskType>,
}

impl TaskTypeMetrics<'_> {
    /// The task type, as the request named it (cut when no agent serves
    /// it and it is longer than an error message may be).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Records a finished request.
    pub(crate) fn record(
        &self,
        operation: Operation,
        elapsed: Duration,
        outcome: Result<(), ErrorKind>,
    ) {
        let metrics = self.metrics;
        let task_type = match self.served {
            Some(_) => &*self.name,
            None => metrics.unknown.label(&self.name),
        };
        let labels = [task_type, operation.as_str()];
        match (outcome, self.served) {
            (Ok(()), Some(served)) => {
                let handles =
                    served.operations[operation as usize].get_or_init(|| OperationHandles {
                        latency: metrics.latency.with_label_values(&labels),
                        success: metrics.success.with_label_values(&labels),
                    });
                handles.latency.observe(elapsed.as_secs_f64());
                handles.success.inc();
            }
            // Unknown task types and failures, both rare: looked up each time.
            (outcome, _) => {
                metrics
                    .latency
                    .with_label_values(&labels)
                    .observe(elapsed.as_secs_f64());
                match outcome {
                    Ok(()) => metrics.success.with_label_values(&labels).inc(),
                    Err(kind) => metrics
                        .failure
                        .with_label_values(&[
                            task_type,
                            operation.as_str(),
                            flytekit_error_code(kind),
                        ])
                        .inc(),
                }
            }
        }
    }

    /// Records the encoded size of a request's inputs.
    pub(crate) fn record_input_size(&self, bytes: usize) {
        let metrics = self.metrics;
        match self.served {
            Some(served) => served
                .input_bytes
                .get_or_init(|| metrics.input_bytes.with_label_values(&[&*self.name]))
                .observe(bytes as f64),
            None => metrics
                .input_bytes
                .with_label_values(&[metrics.unknown.label(&self.name)])
                .observe(bytes as f64),
        }
    }
}

/// The metrics of a served task type, looked up once per label set and
/// kept: a request then records without hashing its labels again. A label
/// set appears in `/metrics` once a request has used it, as with flytekit.
#[derive(Default)]
struct ServedTaskType {
    operations: [OnceLock<OperationHandles>; Operation::COUNT],
    input_bytes: OnceLock<Histogram>,
}

/// The latency histogram and success counter of one task type and operation.
struct OperationHandles {
    latency: Histogram,
    success: IntCounter,
}

/// The `task_type` label of requests for task types no agent serves: the
/// task type itself for the first few short ones, else [`OTHER_TASK_TYPES`].
#[derive(Default)]
struct UnknownTaskTypes(Mutex<HashSet<String>>);

impl UnknownTaskTypes {
    fn label<'a>(&self, task_type: &'a str) -> &'a str {
        if task_type.len() > MAX_UNKNOWN_TASK_TYPE_BYTES {
            return OTHER_TASK_TYPES;
        }
        let mut unknown = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if unknown.contains(task_type) {
            return task_type;
        }
        if unknown.len() < MAX_UNKNOWN_TASK_TYPES {
            unknown.insert(task_type.to_string());
            return task_type;
        }
        OTHER_TASK_TYPES
    }
}

/// The `error_code` label flytekit writes: the HTTP status 404 for an
/// unknown task type, 500 for every other failure.
fn flytekit_error_code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "404",
        _ => "500",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_a_slot_of_its_own() {
        // Exhaustive: an operation added to `Operation` stops this test
        // compiling until it is listed here, where COUNT must cover it.
        let listed = |operation| match operation {
            Operation::Create
            | Operation::Get
            | Operation::Delete
            | Operation::GetMetrics
            | Operation::GetLogs
            | Operation::Execute => operation as usize,
        };
        let mut slots: Vec<usize> = [
            Operation::Create,
            Operation::Get,
            Operation::Delete,
            Operation::GetMetrics,
            Operation::GetLogs,
            Operation::Execute,
        ]
        .map(listed)
        .to_vec();
        slots.sort_unstable();
        slots.dedup();
        assert_eq!(slots, (0..Operation::COUNT).collect::<Vec<_>>());
    }

    #[test]
    fn an_invalid_prefix_is_an_error() {
        assert!(Metrics::new("bad prefix ", []).is_err());
    }

    #[test]
    fn records_under_flytekit_names() {
        let metrics = Metrics::new("flyte_connector_", ["bigquery".to_string()]).unwrap();
        metrics.record(
            "bigquery",
            Operation::Create,
            Duration::from_millis(3),
            Ok(()),
        );
        metrics.record(
            "bigquery",
            Operation::Get,
            Duration::from_millis(1),
            Err(ErrorKind::NotFound),
        );
        metrics.record(
            "bigquery",
            Operation::Get,
            Duration::from_millis(1),
            Err(ErrorKind::InvalidArgument),
        );
        metrics.record_input_size("bigquery", 120);
        let text = metrics.render();
        assert!(text.contains(
            "flyte_connector_requests_success_total{operation=\"create\",task_type=\"bigquery\"} 1"
        ));
        assert!(text.contains(
            "flyte_connector_requests_failure_total{error_code=\"404\",operation=\"get\",task_type=\"bigquery\"} 1"
        ));
        assert!(text.contains(
            "flyte_connector_requests_failure_total{error_code=\"500\",operation=\"get\",task_type=\"bigquery\"} 1"
        ));
        assert!(text.contains("flyte_connector_request_latency_seconds_count"));
        assert!(
            text.contains("flyte_connector_input_literal_bytes_sum{task_type=\"bigquery\"} 120")
        );
    }

    #[test]
    fn a_task_type_keeps_the_name_the_request_sent() {
        let metrics = Metrics::new("m_", ["served".to_string()]).unwrap();
        for i in 0..MAX_UNKNOWN_TASK_TYPES {
            metrics.record_input_size(&format!("nope{i}"), 1);
        }
        let served = metrics.task_type("served");
        let unknown = metrics.task_type("past_the_bound");
        assert_eq!(served.name(), "served");
        assert_eq!(unknown.name(), "past_the_bound");
        unknown.record(Operation::Get, Duration::ZERO, Ok(()));
        let text = metrics.render();
        assert!(
            text.contains(
                "m_requests_success_total{operation=\"get\",task_type=\"other_unknown\"} 1"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_long_unknown_task_type_has_no_label_of_its_own_and_is_logged_cut() {
        let metrics = Metrics::new("m_", ["served".to_string()]).unwrap();
        let long = "t".repeat(1_000_000);
        let unknown = metrics.task_type(&long);
        assert!(unknown.name().len() < 2 * status::MAX_MESSAGE_BYTES);
        unknown.record(Operation::Create, Duration::ZERO, Err(ErrorKind::NotFound));
        let text = metrics.render();
        assert!(text.len() < 100_000, "{} bytes", text.len());
        assert!(text.contains("task_type=\"other_unknown\"} 1"), "{text}");
        let short = "t".repeat(MAX_UNKNOWN_TASK_TYPE_BYTES);
        metrics.record(
            &short,
            Operation::Create,
            Duration::ZERO,
            Err(ErrorKind::NotFound),
        );
        assert!(
            metrics
                .render()
                .contains(&format!("task_type=\"{short}\"}} 1"))
        );
    }

    #[test]
    fn unknown_task_types_cannot_grow_the_labels_without_bound() {
        let metrics = Metrics::new("m_", ["served".to_string()]).unwrap();
        for i in 0..1000 {
            metrics.record(
                &format!("nope{i}"),
                Operation::Create,
                Duration::ZERO,
                Err(ErrorKind::NotFound),
            );
        }
        metrics.record("served", Operation::Create, Duration::ZERO, Ok(()));
        let text = metrics.render();
        let labels = text
            .lines()
            .filter(|line| line.starts_with("m_requests_failure_total{"))
            .count();
        assert_eq!(labels, MAX_UNKNOWN_TASK_TYPES + 1, "{text}");
        assert!(text.contains("task_type=\"other_unknown\"} 968"), "{text}");
        assert!(
            text.contains("m_requests_success_total{operation=\"create\",task_type=\"served\"} 1")
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn process_metrics_are_served() {
        let text = Metrics::new("m_", []).unwrap().render();
        for name in [
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_open_fds",
        ] {
            assert!(text.contains(name), "{name} in {text}");
        }
    }
}
