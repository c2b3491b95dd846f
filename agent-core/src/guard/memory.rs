//! [`MemoryGuardStore`]: guarded answers in this process's memory, bounded
//! in count and bytes, the oldest going first.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use hashbrown::HashMap;
use hashbrown::hash_map::RawEntryMut;
use tokio::sync::watch;
use tokio::time::Instant;

use super::{Claim, GuardStore, MAX_TTL, StoreError};

/// How much a [`MemoryGuardStore`] keeps; the oldest answers go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardLimits {
    /// How many answers are kept at most.
    pub capacity: usize,
    /// How many bytes of answers are kept at most.
    pub max_bytes: usize,
}

impl Default for GuardLimits {
    fn default() -> Self {
        GuardLimits {
            capacity: 100_000,
            max_bytes: 256 * 1024 * 1024,
        }
    }
}

enum Slot {
    /// A call holds the key. Callers that wait for it watch `finished`
    /// (made when the first of them comes), which is dropped when the slot
    /// is replaced or removed.
    Running {
        finished: Option<watch::Sender<()>>,
    },
    Done {
        answer: Vec<u8>,
        expires: Instant,
    },
}

/// The slots by key. A key is allocated once, when first claimed, and shared
/// with the completion order. Keys (a hundred bytes or so, hashed on every
/// guarded call) are hashed with foldhash, seeded per process, at a
/// fraction of SipHash's cost, and once per update: hashbrown's raw entries
/// find a slot and fill it in one lookup.
#[derive(Default)]
struct Slots {
    by_key: HashMap<Arc<str>, Slot, foldhash::fast::RandomState>,
    completion_order: VecDeque<(Arc<str>, Instant)>,
    answers: usize,
    answer_bytes: usize,
}

impl Slots {
    /// Removes the answer stored under `key`, if it is the one that expires
    /// at `expires`.
    fn evict(&mut self, key: &str, expires: Instant) {
        if let RawEntryMut::Occupied(slot) = self.by_key.raw_entry_mut().from_key(key)
            && let Slot::Done {
                answer,
                expires: stored,
            } = slot.get()
            && *stored == expires
        {
            self.answers -= 1;
            self.answer_bytes -= answer.len();
            slot.remove();
        }
    }

    /// Replaces what `key` holds, keeping the answer counts right, and
    /// answers the key as stored.
    fn insert(&mut self, key: &str, slot: Slot) -> Arc<str> {
        if let Slot::Done { answer, .. } = &slot {
            self.answers += 1;
            self.answer_bytes += answer.len();
        }
        let (key, replaced) = match self.by_key.raw_entry_mut().from_key(key) {
            RawEntryMut::Occupied(mut held) => {
                let replaced = held.insert(slot);
                (Arc::clone(held.key()), Some(replaced))
            }
            RawEntryMut::Vacant(free) => {
                let (key, _) = free.insert(Arc::from(key), slot);
                (Arc::clone(key), None)
            }
        };
        if let Some(Slot::Done { answer, .. }) = replaced {
            self.answers -= 1;
            self.answer_bytes -= answer.len();
        }
        key
    }
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

    /// Whether an answer is stored under `key`.
    pub fn has_answer(&self, key: &str) -> bool {
        matches!(self.lock().by_key.get(key), Some(Slot::Done { .. }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        // No update can be left half done: none of them panics midway.
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn claim_now(&self, key: &str) -> Claim {
        let mut slots = self.lock();
        let Slots {
            by_key,
            answers,
            answer_bytes,
            ..
        } = &mut *slots;
        match by_key.raw_entry_mut().from_key(key) {
            RawEntryMut::Vacant(free) => {
                free.insert(Arc::from(key), Slot::Running { finished: None });
            }
            RawEntryMut::Occupied(mut held) => match held.get_mut() {
                Slot::Done { answer, expires } if *expires > Instant::now() => {
                    return Claim::Completed(answer.clone());
                }
                Slot::Running { finished } => {
                    let finished = finished.get_or_insert_with(|| watch::channel(()).0);
                    let mut receiver = finished.subscribe();
                    return Claim::Pending(Box::pin(async move {
                        // Resolves when the holder's slot is replaced or removed.
                        while receiver.changed().await.is_ok() {}
                    }));
                }
                Slot::Done { answer, .. } => {
                    *answers -= 1;
                    *answer_bytes -= answer.len();
                    held.insert(Slot::Running { finished: None });
                }
            },
        }
        Claim::Acquired
    }

    fn complete_now(&self, key: &str, answer: Vec<u8>, ttl: Duration) {
        let now = Instant::now();
        let expires = now + ttl.min(MAX_TTL);
        let mut slots = self.lock();
        let key = slots.insert(key, Slot::Done { answer, expires });
        slots.completion_order.push_back((key, expires));
        while let Some((oldest, oldest_expires)) = slots.completion_order.front().cloned() {
            let over_limits =
                slots.answers > self.limits.capacity || slots.answer_bytes > self.limits.max_bytes;
            if !over_limits && oldest_expires > now {
                break;
            }
            slots.evict(&oldest, oldest_expires);
            slots.completion_order.pop_front();
        }
    }

    fn release_now(&self, key: &str) {
        let mut slots = self.lock();
        if matches!(slots.by_key.get(key), Some(Slot::Running { .. })) {
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
    fn claim<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>> {
        match self.claim_now(key) {
            Claim::Acquired => Box::pin(Acquired),
            claim => Box::pin(std::future::ready(Ok(claim))),
        }
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        answer: Vec<u8>,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.complete_now(key, answer, ttl);
        Box::pin(Done)
    }

    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.release_now(key);
        Box::pin(Done)
    }
}

/// A claim the store already took: zero-sized, so boxing it allocates
/// nothing, as every guarded call claims a key.
struct Acquired;

impl Future for Acquired {
    type Output = Result<Claim, StoreError>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(Ok(Claim::Acquired))
    }
}

/// An update the store already made: zero-sized, as [`Acquired`].
struct Done;

impl Future for Done {
    type Output = Result<(), StoreError>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(Ok(()))
    }
}
