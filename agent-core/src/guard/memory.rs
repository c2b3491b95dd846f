//! [`MemoryGuardStore`]: guarded answers in this process's memory, bounded
//! in count and bytes, the oldest going first.

use std::future::Future;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use hashbrown::HashTable;
use hashbrown::hash_table::{Entry, OccupiedEntry};
use tokio::sync::watch;
use tokio::time::Instant;

use super::answer_log::{AnswerLog, Record, RecordNumber};
use super::{Claim, GuardStore, MAX_TTL, StoreError};

/// How much a [`MemoryGuardStore`] keeps; the oldest answers go first.
/// An answer replaced once it expired counts until it is the oldest and
/// goes: the limits bound the memory held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardLimits {
    /// How many answers are kept at most.
    pub capacity: usize,
    /// How many bytes of answers are kept at most.
    pub max_bytes: usize,
}

/// How many answers a [`MemoryGuardStore`] keeps by default.
const DEFAULT_CAPACITY: usize = 100_000;

impl Default for GuardLimits {
    fn default() -> Self {
        GuardLimits {
            capacity: DEFAULT_CAPACITY,
            max_bytes: 256 * 1024 * 1024,
        }
    }
}

/// What the store holds for a key.
enum Slot {
    /// A call holds the key. Callers that wait for it watch `finished`
    /// (made when the first of them comes), which is dropped when the slot
    /// is replaced or removed.
    Running {
        key: Box<str>,
        hash: u64,
        finished: Option<watch::Sender<()>>,
    },
    /// The call answered; its key, answer and expiry are in the log's
    /// record numbered `record` (the slot keeps no more: the fewer bytes a
    /// slot takes, the fewer cache lines a full table spreads over).
    Done { record: RecordNumber, hash: u64 },
}

impl Slot {
    /// The hash of the slot's key.
    fn hash(&self) -> u64 {
        match self {
            Slot::Running { hash, .. } | Slot::Done { hash, .. } => *hash,
        }
    }

    /// Whether the slot is `key`'s (whose hash is `hash`): its key is read
    /// (from the log, for an answer) only when the hashes are equal.
    fn is_for(&self, key: &str, hash: u64, log: &AnswerLog) -> bool {
        self.hash() == hash
            && match self {
                Slot::Running { key: held, .. } => held.as_bytes() == key.as_bytes(),
                Slot::Done { record, .. } => log.key(*record) == key.as_bytes(),
            }
    }
}

/// The slots by key, and the answers in the order they completed. Keys (a
/// hundred bytes or so, hashed on every guarded call) are hashed with
/// foldhash, seeded per process, at a fraction of SipHash's cost, once per
/// claim, completion or release: a slot keeps its key's hash, so the table
/// never hashes a key again as it grows, nor an eviction the key it drops.
///
/// The limits count every answer in the log, including those a slot no
/// longer answers with (replaced once expired) until they leave it: they
/// bound the memory held, not only the answers in use.
struct Slots {
    by_key: HashTable<Slot>,
    log: AnswerLog,
    hasher: foldhash::fast::RandomState,
}

impl Slots {
    /// Empty slots with room for `answers`, up to the default capacity's
    /// worth. Made in one go, the table is not copied into a larger one
    /// each time the store outgrows it (every key moved, under the lock,
    /// some 500 instructions a call while a store fills); its memory is
    /// reserved, and becomes resident as keys land in it (most of its 4 MiB
    /// by 10,000 keys, anywhere in it), the log's index as it fills.
    fn with_room_for(answers: usize) -> Self {
        let room = answers.min(DEFAULT_CAPACITY);
        Slots {
            by_key: HashTable::with_capacity(room),
            log: AnswerLog::with_room_for(room),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// The slot of `key` (whose hash is `hash`), found or free, and the
    /// log its answers are in.
    fn entry(&mut self, key: &str, hash: u64) -> (Entry<'_, Slot>, &AnswerLog) {
        let log = &self.log;
        let entry = self
            .by_key
            .entry(hash, |slot| slot.is_for(key, hash, log), Slot::hash);
        (entry, log)
    }

    /// The slot of `key` (whose hash is `hash`), if it has one.
    fn find(&mut self, key: &str, hash: u64) -> Option<OccupiedEntry<'_, Slot>> {
        let log = &self.log;
        self.by_key
            .find_entry(hash, |slot| slot.is_for(key, hash, log))
            .ok()
    }

    /// Drops the oldest record of the log, and its slot if that still
    /// answers with it.
    fn evict_oldest(&mut self, oldest: Record) {
        if let Ok(slot) = self.by_key.find_entry(
            oldest.hash,
            |slot| matches!(slot, Slot::Done { record, .. } if *record == oldest.number),
        ) {
            slot.remove();
        }
        self.log.pop_front();
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
            slots: Mutex::new(Slots::with_room_for(limits.capacity)),
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
        let mut slots = self.lock();
        let hash = slots.hasher.hash_one(key);
        slots
            .find(key, hash)
            .is_some_and(|held| matches!(held.get(), Slot::Done { .. }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        // No update can be left half done: none of them panics midway.
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn claim_now(&self, key: &str) -> Claim {
        let mut slots = self.lock();
        let hash = slots.hasher.hash_one(key);
        let running = || Slot::Running {
            key: Box::from(key),
            hash,
            finished: None,
        };
        let (entry, log) = slots.entry(key, hash);
        match entry {
            Entry::Vacant(free) => {
                free.insert(running());
            }
            Entry::Occupied(mut held) => match held.get_mut() {
                Slot::Done { record, .. } if log.expires(*record) > Instant::now() => {
                    return Claim::Completed(log.answer(*record).to_vec());
                }
                Slot::Running { finished, .. } => {
                    let finished = finished.get_or_insert_with(|| watch::channel(()).0);
                    let mut receiver = finished.subscribe();
                    return Claim::Pending(Box::pin(async move {
                        // Resolves when the holder's slot is replaced or removed.
                        while receiver.changed().await.is_ok() {}
                    }));
                }
                Slot::Done { .. } => {
                    *held.get_mut() = running();
                }
            },
        }
        Claim::Acquired
    }

    fn complete_now(&self, key: &str, answer: Vec<u8>, ttl: Duration) {
        let now = Instant::now();
        let expires = now + ttl.min(MAX_TTL);
        let mut slots = self.lock();
        let hash = slots.hasher.hash_one(key);
        let record = slots.log.push(key, &answer, hash, expires);
        let done = Slot::Done { record, hash };
        match slots.entry(key, hash).0 {
            Entry::Occupied(mut held) => *held.get_mut() = done,
            Entry::Vacant(free) => {
                free.insert(done);
            }
        }
        while let Some(oldest) = slots.log.front() {
            let over_limits = slots.log.len() > self.limits.capacity
                || slots.log.answer_bytes() > self.limits.max_bytes;
            if !over_limits && oldest.expires > now {
                break;
            }
            slots.evict_oldest(oldest);
        }
    }

    fn release_now(&self, key: &str) {
        let mut slots = self.lock();
        let hash = slots.hasher.hash_one(key);
        if let Some(held) = slots.find(key, hash)
            && matches!(held.get(), Slot::Running { .. })
        {
            held.remove();
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
