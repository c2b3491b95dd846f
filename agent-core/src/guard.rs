//! Idempotency guards: Propeller may send `CreateTask` again for the same task
//! attempt (a timeout, a restart), and must be able to send `DeleteTask` twice.
//!
//! A guarded call is keyed (by the task execution id and its retry attempt, or
//! by a hash of the request when there is none). Concurrent calls with one key
//! run once and share the answer (single flight); a repeat within the TTL gets
//! the stored answer without running again. A failed call stores nothing, so
//! the next attempt runs anew.
//!
//! The store behind the guard is a [`GuardStore`]: [`MemoryGuardStore`] by
//! default; a store shared by several replicas (Redis...) makes them agree.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::sync::watch;

use crate::AgentError;

/// What [`GuardStore::claim`] answers.
pub enum Claim {
    /// The caller now holds the key and must run the call, then
    /// [`GuardStore::complete`] or [`GuardStore::release`] it.
    Acquired,
    /// The call already ran; here is its stored answer.
    Completed(Vec<u8>),
    /// Another caller holds the key; the future resolves when it finishes,
    /// after which the caller claims again.
    Pending(BoxFuture<'static, ()>),
}

/// Where guarded answers are kept.
pub trait GuardStore: Send + Sync + 'static {
    /// Claims `key`: atomically takes it when free, or says who has it.
    fn claim<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Claim, AgentError>>;
    /// Stores the answer of the call that holds `key`, releasing it.
    fn complete<'a>(
        &'a self,
        key: &'a str,
        answer: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), AgentError>>;
    /// Frees `key` without an answer (the call failed or was cancelled).
    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), AgentError>>;
}

/// How long answers are kept, and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardLimits {
    /// How long a stored answer is reused.
    pub ttl: Duration,
    /// How many answers are kept at most; the oldest go first.
    pub capacity: usize,
}

impl Default for GuardLimits {
    fn default() -> Self {
        GuardLimits {
            ttl: Duration::from_secs(3600),
            capacity: 100_000,
        }
    }
}

enum Slot {
    Running(watch::Sender<()>),
    Done { answer: Vec<u8>, expires: Instant },
}

#[derive(Default)]
struct Slots {
    by_key: HashMap<String, Slot>,
    completion_order: VecDeque<(String, Instant)>,
}

/// A [`GuardStore`] in this process's memory, bounded by [`GuardLimits`].
pub struct MemoryGuardStore {
    limits: GuardLimits,
    slots: Mutex<Slots>,
}

impl MemoryGuardStore {
    /// An empty store with the given limits.
    pub fn new(limits: GuardLimits) -> Self {
        MemoryGuardStore {
            limits,
            slots: Mutex::new(Slots::default()),
        }
    }

    /// How many answers and running calls are held.
    pub fn len(&self) -> usize {
        self.lock().by_key.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        // A panic cannot leave the map half-updated: every update is one call.
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn claim_now(&self, key: &str) -> Claim {
        let mut slots = self.lock();
        match slots.by_key.get(key) {
            Some(Slot::Done { answer, expires }) if *expires > Instant::now() => {
                return Claim::Completed(answer.clone());
            }
            Some(Slot::Running(sender)) => {
                let mut receiver = sender.subscribe();
                return Claim::Pending(Box::pin(async move {
                    // Resolves when the holder drops the sender: completed or released.
                    while receiver.changed().await.is_ok() {}
                }));
            }
            _ => {}
        }
        let (sender, _) = watch::channel(());
        slots.by_key.insert(key.to_string(), Slot::Running(sender));
        Claim::Acquired
    }

    fn complete_now(&self, key: &str, answer: Vec<u8>) {
        let now = Instant::now();
        let expires = now + self.limits.ttl;
        let mut slots = self.lock();
        slots
            .by_key
            .insert(key.to_string(), Slot::Done { answer, expires });
        slots.completion_order.push_back((key.to_string(), expires));
        let Slots {
            by_key,
            completion_order,
        } = &mut *slots;
        while let Some((oldest, oldest_expires)) = completion_order.front() {
            let over_capacity = by_key.len() > self.limits.capacity;
            if !over_capacity && *oldest_expires > now {
                break;
            }
            let still_that_answer = matches!(
                by_key.get(oldest),
                Some(Slot::Done { expires, .. }) if expires == oldest_expires
            );
            if still_that_answer {
                by_key.remove(oldest);
            }
            completion_order.pop_front();
        }
    }

    fn release_now(&self, key: &str) {
        let mut slots = self.lock();
        if matches!(slots.by_key.get(key), Some(Slot::Running(_))) {
            slots.by_key.remove(key);
        }
    }
}

impl Default for MemoryGuardStore {
    fn default() -> Self {
        Self::new(GuardLimits::default())
    }
}

impl GuardStore for MemoryGuardStore {
    fn claim<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Claim, AgentError>> {
        Box::pin(std::future::ready(Ok(self.claim_now(key))))
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        answer: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), AgentError>> {
        self.complete_now(key, answer);
        Box::pin(std::future::ready(Ok(())))
    }

    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), AgentError>> {
        self.release_now(key);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Runs calls at most once per key, through a [`GuardStore`].
#[derive(Clone)]
pub struct Guard {
    store: Arc<dyn GuardStore>,
}

impl Guard {
    /// A guard over `store`.
    pub fn new(store: Arc<dyn GuardStore>) -> Self {
        Guard { store }
    }

    /// Runs `call` unless a call with `key` already ran (then answers what it
    /// answered) or is running (then waits for it and answers the same).
    pub async fn once<F>(&self, key: &str, call: F) -> Result<Vec<u8>, AgentError>
    where
        F: Future<Output = Result<Vec<u8>, AgentError>>,
    {
        loop {
            match self.store.claim(key).await? {
                Claim::Completed(answer) => return Ok(answer),
                Claim::Pending(finished) => finished.await,
                Claim::Acquired => break,
            }
        }
        let held = HeldClaim {
            store: Arc::clone(&self.store),
            key: Some(key.to_string()),
        };
        let answer = call.await;
        held.finish(answer.as_ref().ok().cloned()).await?;
        answer
    }
}

impl Default for Guard {
    fn default() -> Self {
        Guard::new(Arc::new(MemoryGuardStore::default()))
    }
}

/// A claimed key, released if the call is dropped (cancelled or panicked)
/// before it finishes.
struct HeldClaim {
    store: Arc<dyn GuardStore>,
    key: Option<String>,
}

impl HeldClaim {
    async fn finish(mut self, answer: Option<Vec<u8>>) -> Result<(), AgentError> {
        let key = self.key.take().unwrap_or_default();
        match answer {
            Some(answer) => self.store.complete(&key, answer).await,
            None => self.store.release(&key).await,
        }
    }
}

impl Drop for HeldClaim {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let store = Arc::clone(&self.store);
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = store.release(&key).await;
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn guard_with(limits: GuardLimits) -> (Guard, Arc<MemoryGuardStore>) {
        let store = Arc::new(MemoryGuardStore::new(limits));
        (Guard::new(store.clone()), store)
    }

    #[tokio::test]
    async fn concurrent_calls_run_once_and_share_the_answer() {
        let (guard, _) = guard_with(GuardLimits::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let calls = (0..16).map(|_| {
            let (guard, runs) = (guard.clone(), runs.clone());
            tokio::spawn(async move {
                guard
                    .once("k", async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(b"job-1".to_vec())
                    })
                    .await
            })
        });
        for answer in futures::future::join_all(calls).await {
            assert_eq!(answer.unwrap().unwrap(), b"job-1");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_call_is_not_stored() {
        let (guard, store) = guard_with(GuardLimits::default());
        let failed = guard
            .once("k", async { Err(AgentError::internal("boom")) })
            .await;
        assert!(failed.is_err());
        assert!(store.is_empty());
        let answer = guard.once("k", async { Ok(b"second".to_vec()) }).await;
        assert_eq!(answer.unwrap(), b"second");
    }

    #[tokio::test]
    async fn a_cancelled_call_releases_its_key() {
        let (guard, store) = guard_with(GuardLimits::default());
        let pending = guard.once("k", std::future::pending());
        let timed_out = tokio::time::timeout(Duration::from_millis(10), pending).await;
        assert!(timed_out.is_err());
        tokio::task::yield_now().await;
        assert!(store.is_empty());
    }

    #[tokio::test]
    async fn answers_expire_and_capacity_is_bounded() {
        let (guard, store) = guard_with(GuardLimits {
            ttl: Duration::from_millis(30),
            capacity: 3,
        });
        for key in ["a", "b", "c", "d", "e"] {
            guard.once(key, async { Ok(vec![1]) }).await.unwrap();
        }
        assert_eq!(store.len(), 3);
        tokio::time::sleep(Duration::from_millis(40)).await;
        let answer = guard.once("e", async { Ok(vec![2]) }).await.unwrap();
        assert_eq!(answer, vec![2], "an expired answer must not be reused");
        assert_eq!(store.len(), 1);
    }
}
