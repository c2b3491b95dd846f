//! How agent calls share the server: a pool of workers for every agent
//! (flytekit's `--worker`), a ceiling per agent so one slow agent cannot
//! take every worker, a bounded queue of callers waiting for a slot, and a
//! deadline per call.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore, TryAcquireError};

use crate::{AgentError, TaskCategory};

/// The limits of agent calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// How many agent calls run at once, over every agent.
    pub workers: usize,
    /// How many calls of one agent (task category) run at once.
    pub per_agent: usize,
    /// How many callers may wait for a slot; more are answered
    /// `RESOURCE_EXHAUSTED` at once instead of piling up.
    pub max_waiting: usize,
    /// How long one agent call may run; past it the call is answered
    /// `DEADLINE_EXCEEDED` and its slot freed.
    pub call_timeout: Duration,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            workers: 10,
            per_agent: 10,
            max_waiting: 1000,
            call_timeout: Duration::from_secs(300),
        }
    }
}

/// The slots agent calls take, per [`CallLimits`].
pub(crate) struct Slots {
    limits: CallLimits,
    workers: Arc<Semaphore>,
    /// Looked up on every agent call: hashed with foldhash, not SipHash.
    per_agent: HashMap<TaskCategory, Arc<AgentSlots>, foldhash::fast::RandomState>,
    waiting: AtomicUsize,
}

/// The slots of the agent serving one task category, which a call holds on
/// to (rather than a copy of the category) until it has run.
pub(crate) struct AgentSlots {
    category: TaskCategory,
    /// `None` when the ceiling is no lower than the pool of workers (as by
    /// default): the workers bound the agent's calls, and a call takes one
    /// permit, not two.
    calls: Option<Arc<Semaphore>>,
}

impl AgentSlots {
    fn new(category: TaskCategory, limits: &CallLimits) -> Self {
        let ceiling = limits.per_agent.max(1);
        AgentSlots {
            category,
            calls: (ceiling < limits.workers).then(|| Arc::new(Semaphore::new(ceiling))),
        }
    }

    /// The task category whose agent these slots are for.
    pub(crate) fn category(&self) -> &TaskCategory {
        &self.category
    }

    /// One of the agent's slots, if one is free now.
    fn try_acquire(&self) -> Result<Option<OwnedSemaphorePermit>, TryAcquireError> {
        self.calls
            .as_ref()
            .map(|calls| Arc::clone(calls).try_acquire_owned())
            .transpose()
    }

    /// One of the agent's slots, once one is free.
    async fn acquire(&self) -> Result<Option<OwnedSemaphorePermit>, AcquireError> {
        match &self.calls {
            Some(calls) => Arc::clone(calls).acquire_owned().await.map(Some),
            None => Ok(None),
        }
    }
}

/// A running call's hold on its agent's slot and a worker; freed when dropped.
pub(crate) struct Slot {
    _agent: Option<OwnedSemaphorePermit>,
    _worker: OwnedSemaphorePermit,
}

impl Slots {
    /// Slots for the agents of `categories`, within `limits` (each limit at
    /// least one).
    pub(crate) fn new(
        limits: CallLimits,
        categories: impl IntoIterator<Item = TaskCategory>,
    ) -> Self {
        let per_agent = categories
            .into_iter()
            .map(|category| {
                let slots = AgentSlots::new(category.clone(), &limits);
                (category, Arc::new(slots))
            })
            .collect();
        Slots {
            limits,
            workers: Arc::new(Semaphore::new(limits.workers.max(1))),
            per_agent,
            waiting: AtomicUsize::new(0),
        }
    }

    /// How long one call may run.
    pub(crate) fn call_timeout(&self) -> Duration {
        self.limits.call_timeout
    }

    /// The slots of the agent serving `category` (slots of its own for a
    /// category no agent was registered for).
    pub(crate) fn of(&self, category: &TaskCategory) -> Arc<AgentSlots> {
        match self.per_agent.get(category) {
            Some(slots) => Arc::clone(slots),
            None => Arc::new(AgentSlots::new(category.clone(), &self.limits)),
        }
    }

    /// Waits for one of the `agent`'s slots, then for a worker.
    ///
    /// Fails with `RESOURCE_EXHAUSTED` at once when the queue is full.
    pub(crate) async fn acquire(&self, agent: &AgentSlots) -> Result<Slot, AgentError> {
        if let (Ok(agent), Ok(worker)) = (
            agent.try_acquire(),
            Arc::clone(&self.workers).try_acquire_owned(),
        ) {
            return Ok(Slot {
                _agent: agent,
                _worker: worker,
            });
        }
        let _waiting = Waiting::join(&self.waiting, self.limits.max_waiting).ok_or_else(|| {
            AgentError::resource_exhausted(format!(
                "{} calls are already waiting for a worker: the server is overloaded; \
                 try again later, or raise --worker, --agent-concurrency or --max-waiting-calls",
                self.limits.max_waiting
            ))
        })?;
        // The semaphores are never closed, so the permits always come.
        let agent = agent
            .acquire()
            .await
            .map_err(|_| AgentError::unavailable("the server is shutting down"))?;
        let worker = Arc::clone(&self.workers)
            .acquire_owned()
            .await
            .map_err(|_| AgentError::unavailable("the server is shutting down"))?;
        Ok(Slot {
            _agent: agent,
            _worker: worker,
        })
    }
}

/// A caller counted in the queue until it is dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    /// Counts one more waiting caller, unless `max` already wait.
    fn join(waiting: &'a AtomicUsize, max: usize) -> Option<Self> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < max).then_some(now + 1)
            })
            .ok()
            .map(|_| Waiting(waiting))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(limits: CallLimits) -> Slots {
        Slots::new(
            limits,
            [TaskCategory::new("slow", 0), TaskCategory::new("fast", 0)],
        )
    }

    #[tokio::test]
    async fn one_agent_cannot_take_every_worker() {
        let slots = slots(CallLimits {
            workers: 3,
            per_agent: 2,
            ..CallLimits::default()
        });
        let slow = slots.of(&TaskCategory::new("slow", 0));
        let _first = slots.acquire(&slow).await.unwrap();
        let _second = slots.acquire(&slow).await.unwrap();
        let third_slow =
            tokio::time::timeout(Duration::from_millis(20), slots.acquire(&slow)).await;
        assert!(third_slow.is_err(), "the slow agent is at its ceiling");
        let fast = slots.of(&TaskCategory::new("fast", 0));
        let fast = tokio::time::timeout(Duration::from_millis(20), slots.acquire(&fast)).await;
        assert!(fast.is_ok(), "another agent still gets the free worker");
    }

    #[tokio::test]
    async fn a_ceiling_no_lower_than_the_workers_leaves_the_workers_to_bound_an_agent() {
        let slots = slots(CallLimits {
            workers: 2,
            per_agent: 5,
            ..CallLimits::default()
        });
        let slow = slots.of(&TaskCategory::new("slow", 0));
        let _first = slots.acquire(&slow).await.unwrap();
        let _second = slots.acquire(&slow).await.unwrap();
        let third = tokio::time::timeout(Duration::from_millis(20), slots.acquire(&slow)).await;
        assert!(third.is_err(), "every worker is taken");
        drop(_first);
        let third = tokio::time::timeout(Duration::from_secs(5), slots.acquire(&slow)).await;
        assert!(third.is_ok(), "a freed worker is taken again");
    }

    #[tokio::test]
    async fn callers_beyond_the_queue_are_refused_at_once() {
        let slots = Arc::new(slots(CallLimits {
            workers: 1,
            per_agent: 1,
            max_waiting: 2,
            ..CallLimits::default()
        }));
        let slow = slots.of(&TaskCategory::new("slow", 0));
        let _running = slots.acquire(&slow).await.unwrap();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (slots, slow) = (Arc::clone(&slots), Arc::clone(&slow));
                tokio::spawn(async move { slots.acquire(&slow).await.map(drop) })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let refused = slots.acquire(&slow).await.err().expect("the queue is full");
        assert_eq!(refused.kind(), crate::ErrorKind::ResourceExhausted);
        assert!(
            refused.message().contains("--max-waiting-calls"),
            "{refused}"
        );
        drop(_running);
        for waiter in waiters {
            waiter.await.unwrap().unwrap();
        }
    }
}
