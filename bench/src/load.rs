//! A run: `concurrency` workers spread over the connections, each making
//! rounds of the workload back to back until the duration is up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tonic::client::Grpc;
use tonic::transport::Channel;

use crate::recorder::Recorder;
use crate::workload::{Workload, first_execution};

/// How long past the run's end a round may still wait for its answers: a
/// server that stopped answering ends the run with errors, not the load
/// generator waiting forever.
pub const STALL_GRACE: Duration = Duration::from_secs(5);

/// What a run saw, over every worker.
#[derive(Debug)]
pub struct Tally {
    /// Every call's latency and failure.
    pub recorder: Recorder,
    /// From the first call to the last answer.
    pub elapsed: Duration,
}

/// Runs `workload` with `concurrency` workers over `channels` (worker `i`
/// on channel `i % channels.len()`), each call with `call_deadline` when
/// given, for `duration`: no round starts after it, the rounds in flight
/// finish, within [`STALL_GRACE`] (a round still waiting then counts as an
/// error and its worker stops).
pub async fn run(
    channels: &[Channel],
    concurrency: usize,
    duration: Duration,
    workload: Arc<Workload>,
    call_deadline: Option<Duration>,
) -> Tally {
    let executions = first_execution();
    let started = Instant::now();
    let ends = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|i| {
            let mut grpc = Grpc::new(channels[i % channels.len()].clone());
            let workload = Arc::clone(&workload);
            let executions = Arc::clone(&executions);
            tokio::spawn(async move {
                let mut recorder = Recorder::default();
                let given_up = tokio::time::Instant::from_std(ends + STALL_GRACE);
                while Instant::now() < ends {
                    let round =
                        workload.round(&mut grpc, call_deadline, &executions, &mut recorder);
                    if tokio::time::timeout_at(given_up, round).await.is_err() {
                        recorder.error(&format!(
                            "no answer {} s after the run's end: the server stopped answering",
                            STALL_GRACE.as_secs()
                        ));
                        break;
                    }
                }
                recorder
            })
        })
        .collect();
    let mut recorder = Recorder::default();
    for worker in workers {
        match worker.await {
            Ok(seen) => recorder.merge(&seen),
            Err(error) => recorder.error(&format!("worker failed: {error}")),
        }
    }
    Tally {
        recorder,
        elapsed: started.elapsed(),
    }
}
