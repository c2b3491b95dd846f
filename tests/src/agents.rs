//! Test agents: each one does something a test can observe. They count
//! their calls into a shared [`Calls`], so they are registered by hand
//! (`register = false`) with [`registry_builder`].
//!
//! | task type | kind | behaviour |
//! |---|---|---|
//! | `echo_async` | async | create counts calls and returns a job holding input `x`; get counts calls and succeeds with `o0 = 2x`; delete counts calls |
//! | `echo_async` v1 | async | the same at task type version 1, answering `o0 = 3x` |
//! | `slow_async` | async | create counts calls (and how many run at once) and sleeps 200 ms (to overlap duplicates) |
//! | `unguarded` | async | like `echo_async`, with `idempotency = "off"` |
//! | `fails` | async | create fails with "backend is down"; get answers a retryable failure |
//! | `panics` | async | every method panics |
//! | `hangs` | async | create never answers (until the call deadline abandons it) |
//! | `with_logs` | async | answers metrics and logs |
//! | `timer_async` | async | create notes when input `ms` milliseconds are up; get answers RUNNING until then, then SUCCEEDED with `o0 = ms` (FAILED when input `fail` is true); delete counts calls |
//! | `sleep_async` | async | create holds (counted in `in_flight`) for input `ms` milliseconds, or until input `until` calls were in flight at once, and returns a job holding input `x`; get succeeds with `o0 = 2x` |
//! | `sleep_sync` | sync | execute holds as `sleep_async` does and succeeds with `o0 = x` |
//! | `echo_sync` | sync | execute counts calls, sleeps 100 ms, succeeds with `o0 = x + 1` |
//! | `reads_secret` | sync | reads the secret that `custom` names (`{"group": .., "key": ..}`) and answers `o0 = its length` |
//! | `blocking_sync` | sync | a plain `fn` `do` that blocks its thread until a second call runs beside it (2 s at most), answering `o0 = x * x` and `overlapped` |
//! | `big_output_async` | async | create returns a job holding input `bytes`; get succeeds with `o0`, a string of that many bytes |
//! | `big_output_sync` | sync | succeeds with `o0`, a string of input `bytes` bytes |
//! | `file_copy_sync` | sync | reads the file input `f` and uploads it upper-cased as `copy.txt` under the output prefix, answering that file as `o0` |

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use agent_core::literal::FlyteFile;
use agent_core::prelude::*;
use agent_core::{LogsQuery, MetricResult, MetricsQuery, Registry, RegistryBuilder, TaskLogs};

/// How many times each counted method ran.
#[derive(Debug, Default)]
pub struct Calls {
    /// `create` calls of the echo, slow and unguarded agents.
    pub create: AtomicUsize,
    /// `get` calls of the echo agent.
    pub get: AtomicUsize,
    /// `delete` calls of the echo agent.
    pub delete: AtomicUsize,
    /// `execute` calls of the sync echo agent.
    pub execute: AtomicUsize,
    /// `delete` calls of the timer agent.
    pub timer_delete: AtomicUsize,
    /// `create` calls of the slow agent running now.
    pub slow_running: AtomicUsize,
    /// The most `create` calls of the slow agent that ran at once.
    pub slow_max_running: AtomicUsize,
    /// Calls of the slow, hanging and sleeping agents running now.
    pub in_flight: AtomicUsize,
    /// The most calls of the slow, hanging and sleeping agents that ran at once.
    pub max_in_flight: AtomicUsize,
    /// Calls of the sleeping agents that ran to their end.
    pub slept: AtomicUsize,
}

/// A call counted in [`Calls::in_flight`] until it is dropped (finished or
/// abandoned).
struct InFlight<'a>(&'a Calls);

impl<'a> InFlight<'a> {
    fn enter(calls: &'a Calls) -> Self {
        let now = calls.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        calls.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(calls)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Calls {
    /// The count of one counter.
    pub fn of(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::SeqCst)
    }

    /// Counts a create and answers the job for input `x`.
    async fn create(&self, task: &TaskContext, delay: Duration) -> Result<EchoJob, AgentError> {
        let x: i64 = task.input("x")?;
        let job_id = self.create.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(delay).await;
        Ok(EchoJob { job_id, x })
    }
}

/// The metadata of the test agents' jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EchoJob {
    /// A job id, unique per create call.
    pub job_id: usize,
    /// The input `x`.
    pub x: i64,
}

/// The resource of a finished echo job: `o0 = factor * x`.
fn echoed(job: &EchoJob, factor: i64) -> Resource {
    Resource::succeeded()
        .message(format!("job {} done", job.job_id))
        .output("o0", factor * job.x)
}

/// Answers `o0 = 2x` for input `x`.
pub struct EchoAgent {
    calls: Arc<Calls>,
}

#[async_agent(task_type = "echo_async", name = "Echo Agent", register = false)]
impl EchoAgent {
    async fn create(&self, task: TaskContext) -> Result<EchoJob, AgentError> {
        self.calls.create(&task, Duration::ZERO).await
    }

    async fn get(&self, job: EchoJob) -> Result<Resource, AgentError> {
        self.calls.get.fetch_add(1, Ordering::SeqCst);
        Ok(echoed(&job, 2))
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        self.calls.delete.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Version 1 of `echo_async`: answers `o0 = 3x`.
pub struct EchoV1Agent {
    calls: Arc<Calls>,
}

#[async_agent(
    task_type = "echo_async",
    version = 1,
    name = "Echo Agent",
    register = false
)]
impl EchoV1Agent {
    async fn create(&self, task: TaskContext) -> Result<EchoJob, AgentError> {
        self.calls.create(&task, Duration::ZERO).await
    }

    async fn get(&self, job: EchoJob) -> Result<Resource, AgentError> {
        Ok(echoed(&job, 3))
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        Ok(())
    }
}

/// Takes 200 ms to create, so that duplicate requests overlap.
pub struct SlowAgent {
    calls: Arc<Calls>,
}

#[async_agent(task_type = "slow_async", name = "Echo Agent", register = false)]
impl SlowAgent {
    async fn create(&self, task: TaskContext) -> Result<EchoJob, AgentError> {
        let _in_flight = InFlight::enter(&self.calls);
        let running = self.calls.slow_running.fetch_add(1, Ordering::SeqCst) + 1;
        self.calls
            .slow_max_running
            .fetch_max(running, Ordering::SeqCst);
        let job = self.calls.create(&task, Duration::from_millis(200)).await;
        self.calls.slow_running.fetch_sub(1, Ordering::SeqCst);
        job
    }

    async fn get(&self, job: EchoJob) -> Result<Resource, AgentError> {
        Ok(echoed(&job, 2))
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        Ok(())
    }
}

/// Like the echo agent, without the idempotency guard.
pub struct UnguardedAgent {
    calls: Arc<Calls>,
}

#[async_agent(task_type = "unguarded", idempotency = "off", register = false)]
impl UnguardedAgent {
    async fn create(&self, task: TaskContext) -> Result<EchoJob, AgentError> {
        self.calls.create(&task, Duration::ZERO).await
    }

    async fn get(&self, job: EchoJob) -> Result<Resource, AgentError> {
        Ok(echoed(&job, 2))
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        self.calls.delete.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Fails to create anything.
#[derive(Default)]
pub struct FailingAgent;

#[async_agent(task_type = "fails", register = false)]
impl FailingAgent {
    async fn create(&self, _task: TaskContext) -> Result<EchoJob, AgentError> {
        Err(AgentError::internal("backend is down"))
    }

    async fn get(&self, _job: EchoJob) -> Result<Resource, AgentError> {
        Ok(Resource::retryable_failure("backend is flaky"))
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        Ok(())
    }
}

/// Panics in every method.
#[derive(Default)]
pub struct PanickingAgent;

#[async_agent(task_type = "panics", register = false)]
impl PanickingAgent {
    async fn create(&self, _task: TaskContext) -> Result<EchoJob, AgentError> {
        panic!("the secret token is hunter2")
    }

    async fn get(&self, _job: EchoJob) -> Result<Resource, AgentError> {
        panic!("get panicked")
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        panic!("delete panicked")
    }
}

/// Never answers `create`.
pub struct HangingAgent {
    calls: Arc<Calls>,
}

#[async_agent(task_type = "hangs", register = false)]
impl HangingAgent {
    async fn create(&self, _task: TaskContext) -> Result<EchoJob, AgentError> {
        let _in_flight = InFlight::enter(&self.calls);
        std::future::pending().await
    }

    async fn get(&self, _job: EchoJob) -> Result<Resource, AgentError> {
        Ok(Resource::running())
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        Ok(())
    }
}

/// Answers metrics and logs for any job.
#[derive(Default)]
pub struct LogsAgent;

#[async_agent(task_type = "with_logs", register = false)]
impl LogsAgent {
    async fn create(&self, task: TaskContext) -> Result<EchoJob, AgentError> {
        Ok(EchoJob {
            job_id: 1,
            x: task.input("x")?,
        })
    }

    async fn get(&self, _job: EchoJob) -> Result<Resource, AgentError> {
        Ok(Resource::running())
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        Ok(())
    }

    async fn get_metrics(
        &self,
        job: EchoJob,
        query: MetricsQuery,
    ) -> Result<Vec<MetricResult>, AgentError> {
        Ok(query
            .queries
            .into_iter()
            .map(|metric| MetricResult {
                data: serde_json::json!({ "job": job.job_id, "value": job.x }),
                metric,
            })
            .collect())
    }

    async fn get_logs(&self, job: EchoJob, query: LogsQuery) -> Result<TaskLogs, AgentError> {
        let lines = (0..query.lines)
            .map(|i| format!("job {} line {i}", job.job_id))
            .collect();
        Ok(TaskLogs {
            lines,
            next_token: format!("after-{}", query.lines),
        })
    }
}

/// The metadata of a timer job: when it is done, and whether it fails then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimerJob {
    /// Milliseconds since the Unix epoch at which the job is done.
    pub done_at_ms: u128,
    /// The input `ms`.
    pub ms: i64,
    /// Whether the job ends FAILED.
    pub fail: bool,
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

/// Runs for input `ms` milliseconds.
pub struct TimerAgent {
    calls: Arc<Calls>,
}

#[async_agent(task_type = "timer_async", register = false)]
impl TimerAgent {
    async fn create(&self, task: TaskContext) -> Result<TimerJob, AgentError> {
        let ms: i64 = task.input("ms")?;
        let fail = task.inputs.literals.contains_key("fail") && task.input::<bool>("fail")?;
        Ok(TimerJob {
            done_at_ms: now_ms() + u128::try_from(ms.max(0)).unwrap_or_default(),
            ms,
            fail,
        })
    }

    async fn get(&self, job: TimerJob) -> Result<Resource, AgentError> {
        if now_ms() < job.done_at_ms {
            return Ok(Resource::running()
                .message(format!("{} ms to go", job.done_at_ms - now_ms()))
                .log_link("timer", format!("http://timers.example/{}", job.done_at_ms)));
        }
        if job.fail {
            return Ok(Resource::failed("the timer was told to fail"));
        }
        Ok(Resource::succeeded().output("o0", job.ms))
    }

    async fn delete(&self, _job: TimerJob) -> Result<(), AgentError> {
        self.calls.timer_delete.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Holds for input `ms` milliseconds, or until input `until` (when given)
/// calls were in [`Calls::in_flight`] at once; counted there while it runs
/// and in [`Calls::slept`] once done. Answers input `x`.
async fn sleep(calls: &Calls, task: &TaskContext) -> Result<i64, AgentError> {
    let _in_flight = InFlight::enter(calls);
    let ms: u64 = task.input("ms")?;
    let x: i64 = task.input("x")?;
    let until = match task.inputs.literals.contains_key("until") {
        true => task.input::<usize>("until")?,
        false => usize::MAX,
    };
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    while tokio::time::Instant::now() < deadline && Calls::of(&calls.max_in_flight) < until {
        let step = deadline.saturating_duration_since(tokio::time::Instant::now());
        tokio::time::sleep(step.min(Duration::from_millis(5))).await;
    }
    calls.slept.fetch_add(1, Ordering::SeqCst);
    Ok(x)
}

/// Takes input `ms` milliseconds to create a job.
pub struct SleepAgent {
    calls: Arc<Calls>,
}

#[async_agent(task_type = "sleep_async", name = "Sleep Agent", register = false)]
impl SleepAgent {
    async fn create(&self, task: TaskContext) -> Result<EchoJob, AgentError> {
        let x = sleep(&self.calls, &task).await?;
        Ok(EchoJob { job_id: 0, x })
    }

    async fn get(&self, job: EchoJob) -> Result<Resource, AgentError> {
        Ok(echoed(&job, 2))
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        Ok(())
    }
}

/// Takes input `ms` milliseconds to answer `o0 = x`.
pub struct SleepSyncAgent {
    calls: Arc<Calls>,
}

#[sync_agent(task_type = "sleep_sync", name = "Sleep Sync Agent", register = false)]
impl SleepSyncAgent {
    async fn execute(&self, task: TaskContext) -> Result<Resource, AgentError> {
        let x = sleep(&self.calls, &task).await?;
        Ok(Resource::succeeded().output("o0", x))
    }
}

/// Answers `o0 = x + 1` for input `x`, after 100 ms.
pub struct EchoSyncAgent {
    calls: Arc<Calls>,
}

#[sync_agent(task_type = "echo_sync", name = "Echo Sync Agent", register = false)]
impl EchoSyncAgent {
    async fn execute(&self, task: TaskContext) -> Result<Resource, AgentError> {
        let x: i64 = task.input("x")?;
        self.calls.execute.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(Resource::succeeded().output("o0", x + 1))
    }
}

/// Where `reads_secret` finds its secret: the template's `custom`.
#[derive(Debug, Deserialize)]
struct SecretName {
    group: String,
    key: String,
}

/// Reads a secret, answering only its length.
#[derive(Default)]
pub struct SecretReaderAgent;

#[sync_agent(task_type = "reads_secret", register = false)]
impl SecretReaderAgent {
    async fn execute(&self, task: TaskContext) -> Result<Resource, AgentError> {
        let name: SecretName = task.custom()?;
        let secret = task.secret(&name.group, &name.key)?;
        Ok(Resource::succeeded().output("o0", secret.expose().len() as i64))
    }
}

/// A plain (blocking) `fn`, as Flyte's `do`: answers `o0 = x * x`, and
/// `overlapped`: whether another call ran while this one blocked its thread.
#[derive(Default)]
pub struct BlockingSyncAgent {
    running: AtomicUsize,
}

#[sync_agent(task_type = "blocking_sync", register = false)]
impl BlockingSyncAgent {
    fn r#do(&self, task: TaskContext) -> Result<Resource, AgentError> {
        let x: i64 = task.input("x")?;
        self.running.fetch_add(1, Ordering::SeqCst);
        let mut overlapped = false;
        for _ in 0..2000 {
            if self.running.load(Ordering::SeqCst) > 1 {
                overlapped = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        // Stay a little, so that the other call sees this one too.
        std::thread::sleep(Duration::from_millis(20));
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(Resource::succeeded()
            .output("o0", x * x)
            .output("overlapped", overlapped))
    }
}

/// The outputs of the big output agents: `o0`, a string of `bytes` bytes.
fn big_output(bytes: i64) -> Result<Resource, AgentError> {
    let bytes = usize::try_from(bytes)
        .map_err(|_| AgentError::invalid_argument("input bytes must not be negative"))?;
    Ok(Resource::succeeded().output("o0", "x".repeat(bytes)))
}

/// Succeeds with an output of input `bytes` bytes when polled.
#[derive(Default)]
pub struct BigOutputAgent;

#[async_agent(task_type = "big_output_async", register = false)]
impl BigOutputAgent {
    async fn create(&self, task: TaskContext) -> Result<EchoJob, AgentError> {
        Ok(EchoJob {
            job_id: 1,
            x: task.input("bytes")?,
        })
    }

    async fn get(&self, job: EchoJob) -> Result<Resource, AgentError> {
        big_output(job.x)
    }

    async fn delete(&self, _job: EchoJob) -> Result<(), AgentError> {
        Ok(())
    }
}

/// Answers an output of input `bytes` bytes.
#[derive(Default)]
pub struct BigOutputSyncAgent;

#[sync_agent(task_type = "big_output_sync", register = false)]
impl BigOutputSyncAgent {
    async fn execute(&self, task: TaskContext) -> Result<Resource, AgentError> {
        big_output(task.input("bytes")?)
    }
}

/// Copies the file input `f`, upper-cased, to `copy.txt` under the output
/// prefix.
#[derive(Default)]
pub struct FileCopyAgent;

#[sync_agent(task_type = "file_copy_sync", register = false)]
impl FileCopyAgent {
    async fn execute(&self, task: TaskContext) -> Result<Resource, AgentError> {
        let file: FlyteFile = task.input("f")?;
        let text = file.read().await?.to_ascii_uppercase();
        let copy = FlyteFile::upload(&task.output_prefix, "copy.txt", text).await?;
        Ok(Resource::succeeded().output("o0", copy))
    }
}

/// Every test agent, counting into `calls`.
pub fn registry_builder(calls: Arc<Calls>) -> RegistryBuilder {
    let calls = || Arc::clone(&calls);
    Registry::builder()
        .async_agent(EchoAgent { calls: calls() })
        .async_agent(EchoV1Agent { calls: calls() })
        .async_agent(SlowAgent { calls: calls() })
        .async_agent(UnguardedAgent { calls: calls() })
        .async_agent(FailingAgent)
        .async_agent(PanickingAgent)
        .async_agent(HangingAgent { calls: calls() })
        .async_agent(LogsAgent)
        .async_agent(TimerAgent { calls: calls() })
        .sync_agent(EchoSyncAgent { calls: calls() })
        .async_agent(SleepAgent { calls: calls() })
        .sync_agent(SleepSyncAgent { calls: calls() })
        .sync_agent(BlockingSyncAgent::default())
        .sync_agent(SecretReaderAgent)
        .async_agent(BigOutputAgent)
        .sync_agent(BigOutputSyncAgent)
        .sync_agent(FileCopyAgent)
}

/// A registry of every test agent, counting into `calls`.
pub fn registry(calls: Arc<Calls>) -> Registry {
    registry_builder(calls)
        .build()
        .expect("the test agents have distinct categories")
}
