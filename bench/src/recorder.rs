//! What one worker saw: the latency of every answered call, and the
//! failed ones by gRPC code.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Instant;

use hdrhistogram::Histogram;
use tonic::Status;

/// The longest latency recorded, in microseconds (a minute); longer ones
/// are recorded as this.
const MAX_MICROS: u64 = 60_000_000;

/// Latencies (microseconds) and failures of calls.
#[derive(Debug, Clone)]
pub struct Recorder {
    latencies: Histogram<u64>,
    errors: BTreeMap<String, u64>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            latencies: Histogram::new_with_bounds(1, MAX_MICROS, 3)
                .expect("the bounds and precision are valid"),
            errors: BTreeMap::new(),
        }
    }
}

impl Recorder {
    /// Awaits `call`, recording its latency when it succeeds, or its
    /// failure; answers its answer.
    pub async fn time<T>(&mut self, call: impl Future<Output = Result<T, Status>>) -> Option<T> {
        let started = Instant::now();
        match call.await {
            Ok(answer) => {
                let micros = started.elapsed().as_micros() as u64;
                self.latencies
                    .saturating_record(micros.clamp(1, MAX_MICROS));
                Some(answer)
            }
            Err(status) => {
                self.error(&format!("{:?}", status.code()));
                None
            }
        }
    }

    /// Counts a failure of kind `kind`.
    pub fn error(&mut self, kind: &str) {
        *self.errors.entry(kind.to_owned()).or_default() += 1;
    }

    /// Adds what `other` saw.
    pub fn merge(&mut self, other: &Recorder) {
        self.latencies
            .add(&other.latencies)
            .expect("histograms of equal bounds add");
        for (kind, count) in &other.errors {
            *self.errors.entry(kind.clone()).or_default() += count;
        }
    }

    /// The latencies of the answered calls, in microseconds.
    pub fn latencies(&self) -> &Histogram<u64> {
        &self.latencies
    }

    /// The failed calls, by kind.
    pub fn errors(&self) -> &BTreeMap<String, u64> {
        &self.errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_are_timed_and_failures_counted_by_code() {
        let mut recorder = Recorder::default();
        assert_eq!(recorder.time(async { Ok::<_, Status>(7) }).await, Some(7));
        let failed = recorder
            .time(async { Err::<(), _>(Status::not_found("no")) })
            .await;
        assert_eq!(failed, None);
        let mut total = Recorder::default();
        total.merge(&recorder);
        total.merge(&recorder);
        assert_eq!(total.latencies().len(), 2);
        assert_eq!(total.errors().get("NotFound"), Some(&2));
    }
}
