//! Prometheus metrics, named as flytekit names them, and the `/metrics`
//! endpoint that serves them.

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

use crate::ErrorKind;

/// The metric name prefix flytekit 1.16 and flyte-sdk write.
pub const DEFAULT_METRICS_PREFIX: &str = "flyte_connector_";

/// The server's request metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    success: IntCounterVec,
    failure: IntCounterVec,
    latency: HistogramVec,
    input_bytes: HistogramVec,
}

impl Metrics {
    /// Metrics named `<prefix>requests_success_total`, `<prefix>requests_failure_total`,
    /// `<prefix>request_latency_seconds` and `<prefix>input_literal_bytes`.
    ///
    /// Fails when `prefix` makes an invalid metric name.
    pub fn new(prefix: &str) -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
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
            success,
            failure,
            latency,
            input_bytes,
        })
    }

    /// Records a finished request.
    pub fn record(
        &self,
        task_type: &str,
        operation: &str,
        elapsed: Duration,
        outcome: Result<(), ErrorKind>,
    ) {
        self.latency
            .with_label_values(&[task_type, operation])
            .observe(elapsed.as_secs_f64());
        match outcome {
            Ok(()) => self
                .success
                .with_label_values(&[task_type, operation])
                .inc(),
            Err(kind) => self
                .failure
                .with_label_values(&[task_type, operation, flytekit_error_code(kind)])
                .inc(),
        }
    }

    /// Records the encoded size of a request's inputs.
    pub fn record_input_size(&self, task_type: &str, bytes: usize) {
        self.input_bytes
            .with_label_values(&[task_type])
            .observe(bytes as f64);
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
    fn an_invalid_prefix_is_an_error() {
        assert!(Metrics::new("bad prefix ").is_err());
    }

    #[test]
    fn records_under_flytekit_names() {
        let metrics = Metrics::new("flyte_connector_").unwrap();
        metrics.record("bigquery", "create", Duration::from_millis(3), Ok(()));
        metrics.record(
            "bigquery",
            "get",
            Duration::from_millis(1),
            Err(ErrorKind::NotFound),
        );
        metrics.record(
            "bigquery",
            "get",
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
}
