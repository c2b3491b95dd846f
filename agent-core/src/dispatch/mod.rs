//! The [`Dispatcher`]: the one path every request travels, whichever front
//! door it came in by (Flyte 1, Flyte 2, the local runner). It looks the
//! agent up in the registry, guards creates, deletes and sync runs against
//! duplicates, reads offloaded inputs, runs the agent within the worker
//! limit (a panic becomes an error) with its [`Storage`] as the current
//! one, writes outputs too large to answer inline to the output prefix, and
//! answers in the core's own types. With a [`Seal`], the metadata it hands
//! out is sealed, and what comes back is opened before any agent sees it.

mod detached;
mod inputs;
mod outputs;
#[cfg(test)]
mod properties;
mod start_gate;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, TryFutureExt, future};

use crate::guard::{Guard, GuardedAnswer, key};
use crate::limits::{AgentSlots, CallLimits, Slots};
use crate::proto::flyteidl::core;
use crate::registry::RegisteredAgent;
use crate::resource::ResourceParts;
use crate::seal::Seal;
use crate::storage::Storage;
use crate::{
    AgentError, Connection, DynAsyncAgent, DynSyncAgent, LogsQuery, MetricsQuery, Registry,
    TaskCategory, TaskContext, TaskLogs, protobuf_struct,
};
use detached::detached;
use outputs::LargeOutputs;
use start_gate::StartGate;

/// How long a create's or delete's answer is reused by default.
pub const DEFAULT_IDEMPOTENCY_TTL: Duration = Duration::from_secs(3600);

/// The largest encoded outputs answered inline by default: half of the
/// 4 MiB Propeller's gRPC client accepts, leaving room for the rest of the
/// answer. Larger ones are written to `<output_prefix>/outputs.pb`.
pub const DEFAULT_MAX_INLINE_OUTPUT_BYTES: usize = 2 * 1024 * 1024;

/// How long a sync result is reused at most: long enough for Propeller to
/// retry a call it timed out, short because results carry outputs.
const SYNC_RESULT_TTL: Duration = Duration::from_secs(60);

/// What a request asks of an agent, as metrics and logs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Start a job.
    Create,
    /// Report a job.
    Get,
    /// Stop a job.
    Delete,
    /// Report a job's metrics.
    GetMetrics,
    /// Report a job's logs.
    GetLogs,
    /// Run a task in one call.
    Execute,
}

impl Operation {
    /// How many operations there are.
    pub const COUNT: usize = 6;

    /// The `operation` label flytekit's metrics use.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Get => "get",
            Operation::Delete => "delete",
            Operation::GetMetrics => "get_metrics",
            Operation::GetLogs => "get_logs",
            Operation::Execute => "do",
        }
    }
}

/// A job an async agent started: the agent's category, the metadata its
/// `create` answered, and the connection to reach it with.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The category of the agent that started it.
    pub category: TaskCategory,
    /// The encoded metadata (`resource_meta`).
    pub resource_meta: Vec<u8>,
    /// The secrets and configs sent with the request.
    pub connection: Connection,
    /// Where outputs too large to answer inline are written
    /// (`<output_prefix>/outputs.pb`); empty when the request sent none.
    pub output_prefix: String,
}

/// What starting a task answered: a job to poll (async agents) or the
/// finished run (sync agents).
#[derive(Debug, Clone, PartialEq)]
pub enum Started {
    /// The encoded metadata of the started job.
    Job(Vec<u8>),
    /// The final state of a task a sync agent ran.
    Finished(ResourceParts),
}

/// Serves the agents of a [`Registry`]: every front door calls it.
#[derive(Clone)]
pub struct Dispatcher {
    registry: Arc<Registry>,
    guard: Guard,
    idempotency_ttl: Duration,
    slots: Arc<Slots>,
    storage: Storage,
    max_inline_output_bytes: usize,
    seal: Option<Arc<Seal>>,
}

impl Dispatcher {
    /// A dispatcher for `registry`, with an in-memory guard, the default
    /// [`CallLimits`], [`DEFAULT_IDEMPOTENCY_TTL`],
    /// [`DEFAULT_MAX_INLINE_OUTPUT_BYTES`] and [`Storage::default`].
    pub fn new(registry: Arc<Registry>) -> Self {
        let slots = Slots::new(CallLimits::default(), registry.categories());
        Dispatcher {
            registry,
            guard: Guard::default(),
            idempotency_ttl: DEFAULT_IDEMPOTENCY_TTL,
            slots: Arc::new(slots),
            storage: Storage::default(),
            max_inline_output_bytes: DEFAULT_MAX_INLINE_OUTPUT_BYTES,
            seal: None,
        }
    }

    /// Guards calls with `guard`.
    pub fn guard(mut self, guard: Guard) -> Self {
        self.guard = guard;
        self
    }

    /// Runs agent calls within `limits`: workers, per-agent ceiling, queue
    /// and call deadline.
    pub fn limits(mut self, limits: CallLimits) -> Self {
        self.slots = Arc::new(Slots::new(limits, self.registry.categories()));
        self
    }

    /// Reuses a create's or delete's answer for `ttl`.
    pub fn idempotency_ttl(mut self, ttl: Duration) -> Self {
        self.idempotency_ttl = ttl;
        self
    }

    /// Reads offloaded inputs and writes large outputs through `storage`,
    /// which is also [`Storage::current`] in agent calls.
    pub fn storage(mut self, storage: Storage) -> Self {
        self.storage = storage;
        self
    }

    /// Answers terminal outputs that encode to more than `bytes` by writing
    /// them to `<output_prefix>/outputs.pb` instead.
    pub fn max_inline_output_bytes(mut self, bytes: usize) -> Self {
        self.max_inline_output_bytes = bytes;
        self
    }

    /// Seals every metadata handed out with `seal`, and refuses metadata
    /// that comes back changed or unsealed with `INVALID_ARGUMENT` before
    /// any agent sees it.
    pub fn seal(mut self, seal: Seal) -> Self {
        self.seal = Some(Arc::new(seal));
        self
    }

    /// The agents served.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Starts `task`'s job with its async agent, and answers the job's
    /// encoded metadata. Repeats for one task attempt start one job.
    /// Offloaded inputs are read first.
    ///
    /// The task is boxed: a task is most of a kilobyte, and it travels to
    /// the agent as a pointer instead of being copied into every future on
    /// the way.
    pub fn create(
        &self,
        task: impl Into<Box<TaskContext>>,
    ) -> impl Future<Output = Result<Vec<u8>, AgentError>> + Send + '_ {
        let task = task.into();
        async move {
            let (category, agent) = self.registry.serving(&task.template)?;
            let agent = Arc::clone(agent.as_async(category)?);
            self.start_job(category, agent, task).await
        }
    }

    /// Runs `task` with its sync agent and answers the final state. Duplicate
    /// runs in flight run once. Offloaded inputs are read first; outputs
    /// too large to answer inline are written to the output prefix.
    ///
    /// As with [`create`](Self::create), the task is boxed.
    pub fn execute(
        &self,
        task: impl Into<Box<TaskContext>>,
    ) -> impl Future<Output = Result<ResourceParts, AgentError>> + Send + '_ {
        let task = task.into();
        async move {
            let (category, agent) = self.registry.serving(&task.template)?;
            let agent = Arc::clone(agent.as_sync(category)?);
            self.run(category, agent, task).await
        }
    }

    /// Starts `task` with whichever agent serves it: creates the job of an
    /// async agent, runs a sync agent to its end.
    pub fn start(
        &self,
        task: impl Into<Box<TaskContext>>,
    ) -> impl Future<Output = Result<Started, AgentError>> + Send + '_ {
        let task = task.into();
        self.start_found(self.registry.serving(&task.template), task)
    }

    /// [`start`](Self::start), with what the registry answered for the
    /// task's category (`found`) looked up by the caller.
    pub(crate) fn start_found<'a>(
        &'a self,
        found: Result<(&'a TaskCategory, &'a RegisteredAgent), AgentError>,
        task: Box<TaskContext>,
    ) -> impl Future<Output = Result<Started, AgentError>> + Send + 'a {
        // Combinators, not an async block awaiting the job or the run: a
        // block would hold that future twice over (captured, then awaited).
        match found {
            Err(error) => future::err(error).left_future(),
            Ok((category, RegisteredAgent::Sync(agent))) => self
                .run(category, Arc::clone(agent), task)
                .map_ok(Started::Finished)
                .left_future()
                .right_future(),
            Ok((category, RegisteredAgent::Async(agent))) => self
                .start_job(category, Arc::clone(agent), task)
                .map_ok(Started::Job)
                .right_future()
                .right_future(),
        }
    }

    /// Starts `task` as a job, whichever agent serves it: the job of an
    /// async agent, or the finished run of a sync agent, whose metadata then
    /// holds its result (for protocols with no sync service, as Flyte 2).
    pub fn submit(
        &self,
        task: impl Into<Box<TaskContext>>,
    ) -> impl Future<Output = Result<Vec<u8>, AgentError>> + Send + '_ {
        let task = task.into();
        self.submit_found(self.registry.serving(&task.template), task)
    }

    /// [`submit`](Self::submit), with what the registry answered for the
    /// task's category (`found`) looked up by the caller.
    pub(crate) fn submit_found<'a>(
        &'a self,
        found: Result<(&'a TaskCategory, &'a RegisteredAgent), AgentError>,
        task: Box<TaskContext>,
    ) -> impl Future<Output = Result<Vec<u8>, AgentError>> + Send + 'a {
        let category = found.as_ref().ok().map(|(category, _)| *category);
        self.start_found(found, task)
            .map_ok(move |started| match started {
                Started::Job(resource_meta) => resource_meta,
                Started::Finished(resource) => match category {
                    Some(category) => self.sealed(category, resource.to_bytes()),
                    None => resource.to_bytes(),
                },
            })
    }

    /// [`create`](Self::create), with the agent serving `category` found.
    ///
    /// A function answering a future, as the callers' combinators want.
    fn start_job<'a>(
        &'a self,
        category: &'a TaskCategory,
        agent: Arc<dyn DynAsyncAgent>,
        task: Box<TaskContext>,
    ) -> impl Future<Output = Result<Vec<u8>, AgentError>> + Send + 'a {
        let guard = agent.idempotent().then(|| Guarded::new(key::create(&task)));
        let storage = self.storage.clone();
        let call = self.contained(
            self.slots.of(category),
            Operation::Create,
            guard.as_ref().map(Guarded::gate),
            Box::pin(async move {
                let task = inputs::read_offloaded(&storage, task).await?;
                agent.create(task).await
            }),
        );
        async move {
            let resource_meta = match guard {
                Some(guard) => self.guarded(guard, self.idempotency_ttl, call).await,
                None => call.await,
            }?;
            Ok(self.sealed(category, resource_meta))
        }
    }

    /// [`execute`](Self::execute), with the agent serving `category` found.
    fn run<'a>(
        &'a self,
        category: &TaskCategory,
        agent: Arc<dyn DynSyncAgent>,
        task: Box<TaskContext>,
    ) -> impl Future<Output = Result<ResourceParts, AgentError>> + Send + 'a {
        let guard = agent
            .idempotent()
            .then(|| Guarded::new(key::execute(&task)));
        let output_prefix = task.output_prefix.clone();
        let storage = self.storage.clone();
        let slots = self.slots.of(category);
        let agent_call = self.contained(
            Arc::clone(&slots),
            Operation::Execute,
            guard.as_ref().map(Guarded::gate),
            Box::pin(async move {
                let task = inputs::read_offloaded(&storage, task).await?;
                agent.execute(task).await
            }),
        );
        let large_outputs = self.large_outputs();
        let call = Box::pin(async move {
            let parts = agent_call.await?.into_parts()?;
            large_outputs
                .offload(slots.category(), &output_prefix, parts)
                .await
        });
        async move {
            match guard {
                Some(guard) => {
                    let ttl = self.idempotency_ttl.min(SYNC_RESULT_TTL);
                    self.guarded(guard, ttl, call).await
                }
                None => call.await,
            }
        }
    }

    /// Reports the state of `job`: asks its async agent, or reads the result
    /// a sync agent's [`submit`](Self::submit)ted run holds. Outputs too
    /// large to answer inline are written to the job's output prefix.
    pub async fn get(&self, mut job: Job) -> Result<ResourceParts, AgentError> {
        let registered = self.registry.get(&job.category)?;
        self.open(&mut job)?;
        let agent = match registered {
            RegisteredAgent::Async(agent) => agent,
            RegisteredAgent::Sync(agent) => {
                // No bytes decode as a result with every field left out,
                // which no run answers: a run's result has a phase.
                let result = match job.resource_meta.as_slice() {
                    [] => None,
                    bytes => ResourceParts::from_bytes(bytes).ok(),
                };
                return result.ok_or_else(|| {
                    AgentError::invalid_argument(format!(
                        "resource_meta: not the result of a run of the sync agent `{}`; send \
                         the resource_meta that CreateTask answered",
                        agent.name()
                    ))
                });
            }
        };
        let call = agent.get(&job.resource_meta, job.connection);
        let parts = self
            .contained(self.slots.of(&job.category), Operation::Get, None, call)
            .await?
            .into_parts()?;
        self.large_outputs()
            .offload(&job.category, &job.output_prefix, parts)
            .await
    }

    /// Stops `job`. A repeated delete of one job succeeds without calling
    /// the agent again; a sync agent's finished run has nothing to stop.
    pub async fn delete(&self, mut job: Job) -> Result<(), AgentError> {
        let registered = self.registry.get(&job.category)?;
        self.open(&mut job)?;
        let agent = match registered {
            RegisteredAgent::Async(agent) => Arc::clone(agent),
            RegisteredAgent::Sync(_) => return Ok(()),
        };
        let guard = agent
            .idempotent()
            .then(|| Guarded::new(key::delete(&job.category, &job.resource_meta)));
        let slots = self.slots.of(&job.category);
        let gate = guard.as_ref().map(Guarded::gate);
        let call = self.contained(slots, Operation::Delete, gate, async move {
            agent.delete(&job.resource_meta, job.connection).await?;
            Ok(Vec::new())
        });
        match guard {
            Some(guard) => self
                .guarded(guard, self.idempotency_ttl, call)
                .await
                .map(drop),
            None => call.await.map(drop),
        }
    }

    /// Reports the metrics of `job`.
    pub async fn get_metrics(
        &self,
        mut job: Job,
        query: MetricsQuery,
    ) -> Result<Vec<core::ExecutionMetricResult>, AgentError> {
        let agent = self.registry.async_agent(&job.category)?;
        self.open(&mut job)?;
        let call = agent.get_metrics(&job.resource_meta, query);
        let results = self
            .contained(
                self.slots.of(&job.category),
                Operation::GetMetrics,
                None,
                call,
            )
            .await?;
        results
            .into_iter()
            .map(|result| match result.data {
                serde_json::Value::Object(map) => Ok(core::ExecutionMetricResult {
                    metric: result.metric,
                    data: Some(protobuf_struct::json_object_to_struct(&map)),
                }),
                other => Err(AgentError::internal(format!(
                    "metric `{}`: data must be a JSON object, got {other}",
                    result.metric
                ))),
            })
            .collect()
    }

    /// Reports the logs of `job`.
    pub async fn get_logs(&self, mut job: Job, query: LogsQuery) -> Result<TaskLogs, AgentError> {
        let agent = self.registry.async_agent(&job.category)?;
        self.open(&mut job)?;
        let call = agent.get_logs(&job.resource_meta, query);
        self.contained(self.slots.of(&job.category), Operation::GetLogs, None, call)
            .await
    }

    /// `call`, run once its agent has a slot and a worker is free (and, for
    /// a guarded call, it passed its `gate`: its caller is still there),
    /// within the call deadline, with the dispatcher's storage as
    /// [`Storage::current`], and with a panic answered as an `INTERNAL`
    /// error: the server goes on serving.
    fn contained<T, F>(
        &self,
        agent_slots: Arc<AgentSlots>,
        operation: Operation,
        gate: Option<StartGate>,
        call: F,
    ) -> impl Future<Output = Result<T, AgentError>> + Send + use<T, F>
    where
        F: Future<Output = Result<T, AgentError>> + Send,
    {
        let slots = Arc::clone(&self.slots);
        let storage = self.storage.clone();
        async move {
            let _slot = slots.acquire(&agent_slots).await?;
            if gate.is_some_and(|gate| !gate.pass()) {
                return Err(AgentError::unavailable(
                    "the caller left before a worker was free: the call was not started",
                ));
            }
            let category = agent_slots.category();
            let timeout = slots.call_timeout();
            let call = AssertUnwindSafe(storage.scope(call)).catch_unwind();
            match tokio::time::timeout(timeout, call).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(panic)) => {
                    tracing::error!(
                        task_type = category.name,
                        operation = operation.as_str(),
                        panic = panic_message(panic.as_ref()),
                        "agent panicked"
                    );
                    Err(AgentError::internal(format!(
                        "the agent for task type {} panicked during {}; the server log has \
                         the details",
                        category.name,
                        operation.as_str()
                    )))
                }
                Err(_) => Err(AgentError::deadline_exceeded(format!(
                    "the agent for task type {} did not finish {} within {timeout:?} \
                     (--call-timeout): the call was abandoned and its worker freed",
                    category.name,
                    operation.as_str()
                ))),
            }
        }
    }

    /// `resource_meta`, sealed for `category` when sealing is on.
    fn sealed(&self, category: &TaskCategory, resource_meta: Vec<u8>) -> Vec<u8> {
        match &self.seal {
            Some(seal) => seal.seal(category, &resource_meta),
            None => resource_meta,
        }
    }

    /// Checks `job`'s metadata against its seal and unwraps it, when sealing
    /// is on.
    fn open(&self, job: &mut Job) -> Result<(), AgentError> {
        if let Some(seal) = &self.seal {
            job.resource_meta = seal.open(&job.category, &job.resource_meta)?.to_vec();
        }
        Ok(())
    }

    /// Where outputs over the inline limit go.
    fn large_outputs(&self) -> LargeOutputs {
        LargeOutputs {
            storage: self.storage.clone(),
            max_inline_bytes: self.max_inline_output_bytes,
        }
    }

    /// Runs `call` under the guard, [`detached`]: once its agent started
    /// it finishes (and the guard keeps its answer) even when the caller
    /// gives up waiting, so that a repeat finds the answer instead of
    /// starting a second job. The worker slot `call` takes goes with it.
    /// `call` passes the guard's gate as its agent starts ([`contained`]
    /// with [`Guarded::gate`]); a caller that leaves before drops it.
    ///
    /// A function answering a future, not an `async fn`: that would hold
    /// the detached future in its own state as well.
    ///
    /// [`contained`]: Self::contained
    fn guarded<T, F>(
        &self,
        guard: Guarded,
        ttl: Duration,
        call: F,
    ) -> impl Future<Output = Result<T, AgentError>> + use<T, F>
    where
        T: GuardedAnswer + Send + 'static,
        F: Future<Output = Result<T, AgentError>> + Send + 'static,
    {
        detached(self.guard.once(guard.key, ttl, call), guard.gate).map(|joined| {
            joined.unwrap_or_else(|_| {
                Err(AgentError::unavailable(
                    "the call was cancelled: the server is shutting down",
                ))
            })
        })
    }
}

/// What a guarded call is filed under, and the gate it passes as its agent
/// starts.
struct Guarded {
    key: String,
    gate: StartGate,
}

impl Guarded {
    /// The guard of a call filed under `key`, not yet started.
    fn new(key: String) -> Self {
        Guarded {
            key,
            gate: StartGate::default(),
        }
    }

    /// The gate the call passes as its agent starts.
    fn gate(&self) -> StartGate {
        self.gate.clone()
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string panic payload")
}
