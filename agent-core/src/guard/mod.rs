//! Idempotency guards: Propeller may send `CreateTask` again for the same task
//! attempt (a timeout, a restart, another replica behind round-robin), and
//! must be able to send `DeleteTask` twice.
//!
//! A guarded call is keyed (by the task execution id and its retry attempt, or
//! by a hash of the request when there is none). Concurrent calls with one key
//! run once and share the answer (single flight); a repeat within the TTL gets
//! the stored answer without running again. A failed call stores nothing, so
//! the next attempt runs anew.
//!
//! The store behind the guard is a [`GuardStore`], one per file:
//! [`MemoryGuardStore`] by default (one process), [`RedisGuardStore`] for
//! replicas that must agree. [`StoreLocation`] names one as
//! `--idempotency-store` does; [`OnStoreFailure`] says what a call does when
//! its store fails.

mod answer_log;
mod failure;
pub(crate) mod key;
mod location;
mod memory;
mod redis;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::AgentError;

pub use self::redis::{
    CONNECT_TIMEOUT, DEFAULT_LEASE, InvalidRedisUrl, POLL_INTERVAL, RESPONSE_TIMEOUT,
    RedisGuardStore, RedisUrl,
};
pub use failure::{OnStoreFailure, UnknownFailureMode};
pub use location::{InvalidStoreLocation, StoreLocation};
pub use memory::{GuardLimits, MemoryGuardStore};

/// The longest an answer is kept, whatever TTL is asked for.
const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// Why a [`GuardStore`] could not claim, complete or release a key.
#[derive(Debug, thiserror::Error)]
#[error("the idempotency store failed: {message}")]
pub struct StoreError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        StoreError {
            message: message.into(),
            source: None,
        }
    }

    /// A failure described by `message`, caused by `source`.
    pub fn with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

impl StoreError {
    /// The error a request that cannot be guarded is answered with:
    /// `UNAVAILABLE`, as the same request may succeed once the store is back.
    fn into_agent_error(self) -> AgentError {
        AgentError::unavailable(format!(
            "{}; the call was not run, so that it cannot run twice: retry once the store \
             answers (or serve with --idempotency-store-failure open to run calls unguarded \
             while it is down)",
            self.described()
        ))
    }

    /// The message with its cause.
    fn described(&self) -> String {
        match &self.source {
            Some(source) => format!("{self}: {source}"),
            None => self.to_string(),
        }
    }
}

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
///
/// A store shared between processes should give running claims a lease, so
/// that a key held by a process that died is freed.
pub trait GuardStore: Send + Sync + 'static {
    /// Claims `key`: atomically takes it when free, or says who has it.
    fn claim<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>>;
    /// Stores the answer of the call that holds `key` for `ttl`, releasing
    /// the key.
    fn complete<'a>(
        &'a self,
        key: &'a str,
        answer: Vec<u8>,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Frees `key` without an answer (the call failed or was cancelled).
    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// Runs calls at most once per key, through a [`GuardStore`].
#[derive(Clone)]
pub struct Guard {
    store: Arc<dyn GuardStore>,
    on_store_failure: OnStoreFailure,
}

impl Guard {
    /// A guard over `store`, refusing calls it cannot guard
    /// ([`OnStoreFailure::Closed`]).
    pub fn new(store: Arc<dyn GuardStore>) -> Self {
        Guard {
            store,
            on_store_failure: OnStoreFailure::default(),
        }
    }

    /// Does `on_store_failure` with a call whose key the store cannot claim.
    pub fn on_store_failure(mut self, on_store_failure: OnStoreFailure) -> Self {
        self.on_store_failure = on_store_failure;
        self
    }

    /// Runs `call` unless a call with `key` already ran (then answers what it
    /// answered) or is running (then waits for it and answers the same). A
    /// successful answer is kept for `ttl`; the caller that ran the call gets
    /// it as it was, the others as read back from the store.
    ///
    /// When the store cannot claim the key, the call is refused with
    /// `UNAVAILABLE` or run unguarded, as [`OnStoreFailure`] says. A store
    /// that fails to keep an answer is logged, not reported: the call itself
    /// succeeded.
    ///
    /// The future owns what it needs (a clone of the guard, the key), so
    /// that it can run on as a task of its own; it holds `call` once, not
    /// once more for each `async fn` it is passed through.
    pub fn once<T, F>(
        &self,
        key: String,
        ttl: Duration,
        call: F,
    ) -> impl Future<Output = Result<T, AgentError>> + use<T, F>
    where
        T: GuardedAnswer,
        F: Future<Output = Result<T, AgentError>>,
    {
        let guard = self.clone();
        async move {
            loop {
                match guard.store.claim(&key).await {
                    Ok(Claim::Completed(answer)) => return T::from_stored(answer),
                    Ok(Claim::Pending(finished)) => finished.await,
                    Ok(Claim::Acquired) => break,
                    // Boxed: the rare path would otherwise add its own copy
                    // of `call` to every guarded call's future.
                    Err(error) => return Box::pin(guard.unguarded(&key, error, call)).await,
                }
            }
            let mut held = HeldClaim {
                store: &guard.store,
                key: Some(&key),
            };
            let (answer, stored) = match call.await {
                Ok(answer) => {
                    let bytes = answer.to_stored();
                    (Ok(answer), guard.store.complete(&key, bytes, ttl).await)
                }
                Err(error) => (Err(error), guard.store.release(&key).await),
            };
            match stored {
                Ok(()) => held.key = None,
                Err(error) => tracing::warn!(key, %error, "the idempotency store failed"),
            }
            answer
        }
    }

    /// `call`, whose key the store could not claim (`error`): refused, or
    /// run without a guard.
    async fn unguarded<T, F>(&self, key: &str, error: StoreError, call: F) -> Result<T, AgentError>
    where
        F: Future<Output = Result<T, AgentError>>,
    {
        let cause = error.described();
        match self.on_store_failure {
            OnStoreFailure::Closed => {
                tracing::warn!(
                    key,
                    error = cause,
                    "refusing a call the idempotency store cannot guard"
                );
                Err(error.into_agent_error())
            }
            OnStoreFailure::Open => {
                tracing::warn!(
                    key,
                    error = cause,
                    "running a call unguarded: the idempotency store failed, and a repeat of \
                     this request may run it again (--idempotency-store-failure open)"
                );
                call.await
            }
        }
    }
}

/// An answer a [`Guard`] keeps: stored as bytes, read back for repeats.
pub trait GuardedAnswer: Sized {
    /// The bytes the store keeps.
    fn to_stored(&self) -> Vec<u8>;
    /// The answer [`to_stored`](Self::to_stored) wrote.
    fn from_stored(stored: Vec<u8>) -> Result<Self, AgentError>;
}

impl GuardedAnswer for Vec<u8> {
    fn to_stored(&self) -> Vec<u8> {
        self.clone()
    }

    fn from_stored(stored: Vec<u8>) -> Result<Self, AgentError> {
        Ok(stored)
    }
}

impl Default for Guard {
    fn default() -> Self {
        Guard::new(Arc::new(MemoryGuardStore::default()))
    }
}

/// A claimed key, released if the call is dropped (cancelled or panicked)
/// or its answer could not be stored.
struct HeldClaim<'a> {
    store: &'a Arc<dyn GuardStore>,
    key: Option<&'a str>,
}

impl Drop for HeldClaim<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let store = Arc::clone(self.store);
            let key = key.to_string();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    if let Err(error) = store.release(&key).await {
                        tracing::warn!(key, %error, "cannot release an idempotency key");
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::sync::watch;

    const HOUR: Duration = Duration::from_secs(3600);

    fn guard_with(limits: GuardLimits) -> (Guard, Arc<MemoryGuardStore>) {
        let store = Arc::new(MemoryGuardStore::new(limits));
        (Guard::new(store.clone()), store)
    }

    #[tokio::test]
    async fn concurrent_calls_run_once_and_share_the_answer() {
        let (guard, _) = guard_with(GuardLimits::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let (release, released) = watch::channel(false);
        let calls = (0..16).map(|_| {
            let (guard, runs, mut released) = (guard.clone(), runs.clone(), released.clone());
            tokio::spawn(async move {
                guard
                    .once("k".to_owned(), HOUR, async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        let _ = released.wait_for(|go| *go).await;
                        Ok(b"job-1".to_vec())
                    })
                    .await
            })
        });
        let calls: Vec<_> = calls.collect();
        tokio::task::yield_now().await;
        release.send(true).unwrap();
        for answer in futures::future::join_all(calls).await {
            assert_eq!(answer.unwrap().unwrap(), b"job-1");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_call_is_not_stored() {
        let (guard, store) = guard_with(GuardLimits::default());
        let failed = guard
            .once::<Vec<u8>, _>("k".to_owned(), HOUR, async {
                Err(AgentError::internal("boom"))
            })
            .await;
        assert!(failed.is_err());
        assert!(store.is_empty());
        let answer = guard
            .once("k".to_owned(), HOUR, async { Ok(b"second".to_vec()) })
            .await;
        assert_eq!(answer.unwrap(), b"second");
    }

    #[tokio::test]
    async fn a_cancelled_call_releases_its_key() {
        let (guard, store) = guard_with(GuardLimits::default());
        let pending = guard.once::<Vec<u8>, _>("k".to_owned(), HOUR, std::future::pending());
        let timed_out = tokio::time::timeout(Duration::from_millis(10), pending).await;
        assert!(timed_out.is_err());
        tokio::task::yield_now().await;
        assert!(store.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn answers_expire_after_their_ttl() {
        let (guard, store) = guard_with(GuardLimits::default());
        guard
            .once("a".to_owned(), HOUR, async { Ok(vec![1]) })
            .await
            .unwrap();
        tokio::time::advance(HOUR - Duration::from_secs(1)).await;
        let reused = guard
            .once("a".to_owned(), HOUR, async { Ok(vec![2]) })
            .await
            .unwrap();
        assert_eq!(reused, vec![1], "an answer within its TTL is reused");
        tokio::time::advance(Duration::from_secs(2)).await;
        let fresh = guard
            .once("a".to_owned(), HOUR, async { Ok(vec![3]) })
            .await
            .unwrap();
        assert_eq!(fresh, vec![3], "an expired answer is not reused");
        assert_eq!(store.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_oldest_answers_go_when_capacity_is_reached() {
        let (guard, store) = guard_with(GuardLimits {
            capacity: 3,
            max_bytes: usize::MAX,
        });
        for key in ["a", "b", "c", "d", "e"] {
            guard
                .once(key.to_owned(), HOUR, async { Ok(vec![1]) })
                .await
                .unwrap();
        }
        let kept: Vec<_> = ["a", "b", "c", "d", "e"]
            .into_iter()
            .filter(|key| store.has_answer(key))
            .collect();
        assert_eq!(kept, ["c", "d", "e"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_replaced_answer_counts_against_the_limits_until_it_leaves() {
        let (guard, store) = guard_with(GuardLimits {
            capacity: 2,
            max_bytes: usize::MAX,
        });
        let answer = |byte| async move { Ok(vec![byte]) };
        guard
            .once("long".to_owned(), 10 * HOUR, answer(1))
            .await
            .unwrap();
        guard.once("a".to_owned(), HOUR, answer(2)).await.unwrap();
        tokio::time::advance(HOUR + Duration::from_secs(1)).await;
        // The expired answer of `a` is replaced, but stays behind `long`.
        let rerun = guard.once("a".to_owned(), HOUR, answer(3)).await.unwrap();
        assert_eq!(rerun, vec![3]);
        assert!(
            !store.has_answer("long"),
            "three answers held, two allowed: the oldest went"
        );
        assert!(store.has_answer("a"));
        let reused = guard.once("a".to_owned(), HOUR, answer(4)).await.unwrap();
        assert_eq!(reused, vec![3]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_oldest_answers_go_when_the_byte_limit_is_reached() {
        let (guard, store) = guard_with(GuardLimits {
            capacity: usize::MAX,
            max_bytes: 10,
        });
        for key in ["a", "b", "c"] {
            guard
                .once(key.to_owned(), HOUR, async { Ok(vec![0; 4]) })
                .await
                .unwrap();
        }
        assert!(!store.has_answer("a"));
        assert!(store.has_answer("b") && store.has_answer("c"));
    }

    #[tokio::test]
    async fn a_huge_ttl_is_capped_instead_of_overflowing() {
        let (guard, store) = guard_with(GuardLimits::default());
        guard
            .once("k".to_owned(), Duration::MAX, async { Ok(vec![1]) })
            .await
            .unwrap();
        assert!(store.has_answer("k"));
    }

    /// A store whose `complete` always fails.
    struct FailingStore(MemoryGuardStore);

    impl GuardStore for FailingStore {
        fn claim<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>> {
            self.0.claim(key)
        }

        fn complete<'a>(
            &'a self,
            _key: &'a str,
            _answer: Vec<u8>,
            _ttl: Duration,
        ) -> BoxFuture<'a, Result<(), StoreError>> {
            Box::pin(std::future::ready(Err(StoreError::new("store down"))))
        }

        fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
            self.0.release(key)
        }
    }

    #[tokio::test]
    async fn a_store_failure_keeps_the_answer_and_frees_the_key() {
        let guard = Guard::new(Arc::new(FailingStore(MemoryGuardStore::default())));
        let first = guard
            .once("k".to_owned(), HOUR, async { Ok(b"job".to_vec()) })
            .await;
        assert_eq!(
            first.unwrap(),
            b"job",
            "the call succeeded: its answer is returned"
        );
        tokio::task::yield_now().await;
        let second = tokio::time::timeout(
            Duration::from_secs(5),
            guard.once("k".to_owned(), HOUR, async { Ok(b"again".to_vec()) }),
        )
        .await
        .expect("the key was released, not left running");
        assert_eq!(second.unwrap(), b"again");
    }

    /// A store that cannot be reached.
    struct DownStore;

    fn refused<T: Send + 'static>() -> BoxFuture<'static, Result<T, StoreError>> {
        Box::pin(std::future::ready(Err(StoreError::new(
            "connection refused",
        ))))
    }

    impl GuardStore for DownStore {
        fn claim<'a>(&'a self, _key: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>> {
            refused()
        }

        fn complete<'a>(
            &'a self,
            _key: &'a str,
            _answer: Vec<u8>,
            _ttl: Duration,
        ) -> BoxFuture<'a, Result<(), StoreError>> {
            refused()
        }

        fn release<'a>(&'a self, _key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
            refused()
        }
    }

    #[tokio::test]
    async fn closed_refuses_a_call_the_store_cannot_guard() {
        let guard = Guard::new(Arc::new(DownStore));
        let runs = AtomicUsize::new(0);
        let refused = guard
            .once("k".to_owned(), HOUR, async {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(vec![1])
            })
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), crate::ErrorKind::Unavailable);
        let message = refused.to_string();
        assert!(
            message.contains("connection refused") && message.contains("not run"),
            "{message}"
        );
        assert_eq!(runs.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn open_runs_a_call_the_store_cannot_guard() {
        let guard = Guard::new(Arc::new(DownStore)).on_store_failure(OnStoreFailure::Open);
        let runs = AtomicUsize::new(0);
        for _ in 0..2 {
            let answer = guard
                .once("k".to_owned(), HOUR, async {
                    runs.fetch_add(1, Ordering::SeqCst);
                    Ok(vec![1])
                })
                .await;
            assert_eq!(answer.unwrap(), vec![1]);
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "unguarded: each request runs"
        );
    }
}
