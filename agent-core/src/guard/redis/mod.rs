//! [`RedisGuardStore`]: guarded answers in Redis, shared by every replica of
//! an agent server. Its Lua scripts are beside this file, in `redis/`.

mod leases;
mod scripts;
mod url;
mod waiters;

use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use futures::future::BoxFuture;
use tokio::sync::OnceCell;

use super::{Claim, GuardStore, MAX_TTL, StoreError};
use leases::Leases;
use scripts::ClaimReply;
use waiters::Waiters;

pub use url::{InvalidRedisUrl, RedisUrl};

/// How long a claim holds its key without being renewed. Renewed every
/// third of it while the call runs, so only a replica that died (or lost
/// Redis) for that long lets its key go.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(10);

/// How long a call waiting for a key another replica holds waits for a
/// message before it looks again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How long connecting to Redis may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long Redis may take to answer one command.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// The prefix of every guard key.
const KEY_PREFIX: &str = "flyte-agent:guard:";

/// The prefix of every key's completion channel.
const CHANNEL_PREFIX: &str = "flyte-agent:guard-done:";

/// A [`GuardStore`] in Redis (6 or newer, or Valkey), shared by the replicas
/// of an agent server, so that a request repeated on another replica finds
/// the job the first one started.
///
/// - **Keys.** A guard key `K` is the Redis key `flyte-agent:guard:K`. It
///   holds `C<token>` while a call runs, `A<answer>` once it answered; the
///   scripts that change it are atomic Lua (`claim.lua`, `complete.lua`,
///   `release.lua`, `renew.lua` in `agent-core/src/guard/redis/`).
/// - **Claims and leases.** A claim takes a free key with a random token and
///   an expiry, the lease ([`DEFAULT_LEASE`]), renewed every third of it
///   while the call runs: a slow call keeps its key, and a replica that dies
///   mid-call frees it when the lease runs out. Completing and releasing
///   only touch a key that still holds this claim's token.
/// - **Wake-up.** Completing or releasing publishes on the key's channel
///   `flyte-agent:guard-done:K`; every store subscribes to the pattern
///   `flyte-agent:guard-done:*` on its connection, and wakes the calls that
///   wait on that key, which then claim again. A waiting call also claims
///   again after [`POLL_INTERVAL`] without a message (one lost while the
///   connection dropped, or a lease that ran out), and at once when the
///   connection drops.
/// - **Failures.** Redis unreachable or down makes each operation a
///   [`StoreError`] within a few seconds (see [`CONNECT_TIMEOUT`] and
///   [`RESPONSE_TIMEOUT`]), never a hang; the [`Guard`](crate::guard::Guard) then
///   refuses or runs the call as [`OnStoreFailure`](crate::guard::OnStoreFailure)
///   says. The connection is made again by itself when Redis is back. A
///   claim whose answer did not come in time (Redis hung) may still take its
///   key when Redis wakes; nothing renews it, so the key is free again when
///   that lease runs out.
///
/// ```no_run
/// # async fn demo(registry: agent_core::Registry) -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use agent_core::guard::{RedisGuardStore, RedisUrl};
///
/// let url = RedisUrl::parse("redis://redis.flyte:6379/0")?;
/// let store = RedisGuardStore::open(&url).await?;
/// let server = agent_core::AgentServer::new(registry).guard_store(Arc::new(store));
/// # Ok(()) }
/// ```
pub struct RedisGuardStore {
    shared: Arc<Shared>,
    leases: Leases,
    lease: Duration,
}

/// What the store and the futures of its waiting calls share.
struct Shared {
    url: RedisUrl,
    connection: ConnectionManager,
    waiters: Arc<Waiters>,
    subscribed: OnceCell<()>,
}

impl RedisGuardStore {
    /// A store in the Redis at `url`, with the [`DEFAULT_LEASE`].
    ///
    /// Connects on first use: Redis need not be up yet. Until it answers,
    /// each operation fails with a [`StoreError`]; [`ping`](Self::ping)
    /// tells whether it answers now.
    pub async fn open(url: &RedisUrl) -> Result<Self, StoreError> {
        let client = ::redis::Client::open(url.connection_info()).map_err(|error| {
            StoreError::with_source(format!("cannot use the Redis at {url}"), error)
        })?;
        let waiters = Arc::new(Waiters::default());
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500))
            .set_push_sender(Arc::clone(&waiters))
            .set_automatic_resubscription();
        let connection =
            ConnectionManager::new_lazy_with_config(client, config).map_err(|error| {
                StoreError::with_source(format!("cannot use the Redis at {url}"), error)
            })?;
        Ok(RedisGuardStore {
            shared: Arc::new(Shared {
                url: url.clone(),
                connection,
                waiters,
                subscribed: OnceCell::new(),
            }),
            leases: Leases::default(),
            lease: DEFAULT_LEASE,
        })
    }

    /// Gives each claim a lease of `lease` (at least 30 ms) instead of the
    /// [`DEFAULT_LEASE`]; it is renewed every third of it while the call runs.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(30));
        self
    }

    /// Whether Redis answers now.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut connection = self.shared.connection.clone();
        ::redis::cmd("PING")
            .query_async::<()>(&mut connection)
            .await
            .map_err(|error| self.shared.error("ping it", error))
    }

    async fn claim_key(&self, key: &str) -> Result<Claim, StoreError> {
        let redis_key = redis_key(key);
        let token = format!("{:032x}", fastrand::u128(..));
        let mut connection = self.shared.connection.clone();
        let reply = scripts::claim(&mut connection, &redis_key, &token, self.lease)
            .await
            .map_err(|error| self.shared.error(&format!("claim `{key}`"), error))?;
        Ok(match reply {
            ClaimReply::Acquired => {
                self.leases.hold(connection, redis_key, token, self.lease);
                Claim::Acquired
            }
            ClaimReply::Completed(answer) => Claim::Completed(answer),
            ClaimReply::Held(holder) => Claim::Pending(self.wait(key, redis_key, holder)),
        })
    }

    /// Resolves when the claim `holder` on `redis_key` may be over: a message
    /// on the key's channel, a dropped connection, the key found changed, or
    /// [`POLL_INTERVAL`] passed.
    fn wait(&self, key: &str, redis_key: String, holder: Vec<u8>) -> BoxFuture<'static, ()> {
        let shared = Arc::clone(&self.shared);
        // Watching begins before the key is looked at again, so a message
        // sent in between is not missed.
        let mut waiting = shared.waiters.watch(channel(key));
        Box::pin(async move {
            let still_held = match shared.subscribe().await {
                Ok(()) => shared
                    .value(&redis_key)
                    .await
                    .map_or(true, |value| value.as_ref() == Some(&holder)),
                Err(_) => true,
            };
            if still_held {
                let _ = tokio::time::timeout(POLL_INTERVAL, waiting.woken()).await;
            }
        })
    }

    async fn complete_key(
        &self,
        key: &str,
        answer: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let redis_key = redis_key(key);
        let token = self.leases.token(&redis_key).ok_or_else(|| {
            StoreError::new(format!(
                "cannot complete `{key}`: this process holds no claim on it"
            ))
        })?;
        let mut connection = self.shared.connection.clone();
        let stored = scripts::complete(
            &mut connection,
            &redis_key,
            &token,
            answer,
            ttl.min(MAX_TTL),
            &channel(key),
        )
        .await
        .map_err(|error| {
            self.shared
                .error(&format!("store the answer of `{key}`"), error)
        })?;
        self.leases.let_go(&redis_key);
        if stored {
            Ok(())
        } else {
            Err(StoreError::new(format!(
                "the claim on `{key}` was lost before its call finished (its lease ran out while \
                 Redis could not be reached, or Redis lost its data): another replica may have \
                 run the same call"
            )))
        }
    }

    async fn release_key(&self, key: &str) -> Result<(), StoreError> {
        let redis_key = redis_key(key);
        let Some(token) = self.leases.let_go(&redis_key) else {
            return Ok(());
        };
        let mut connection = self.shared.connection.clone();
        scripts::release(&mut connection, &redis_key, &token, &channel(key))
            .await
            .map(drop)
            .map_err(|error| self.shared.error(&format!("release `{key}`"), error))
    }
}

impl Shared {
    /// Subscribes to every key's channel, once: the connection manager
    /// subscribes again by itself after it reconnects.
    async fn subscribe(&self) -> Result<(), StoreError> {
        self.subscribed
            .get_or_try_init(|| async {
                let mut connection = self.connection.clone();
                connection
                    .psubscribe(format!("{CHANNEL_PREFIX}*"))
                    .await
                    .map_err(|error| self.error("subscribe to completions", error))
            })
            .await
            .map(drop)
    }

    /// What `redis_key` holds now.
    async fn value(&self, redis_key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut connection = self.connection.clone();
        ::redis::cmd("GET")
            .arg(redis_key)
            .query_async(&mut connection)
            .await
            .map_err(|error| self.error("read a key", error))
    }

    /// The error of a failed attempt to `what`.
    fn error(&self, what: &str, error: ::redis::RedisError) -> StoreError {
        StoreError::with_source(format!("the Redis at {}: cannot {what}", self.url), error)
    }
}

/// The Redis key of guard key `key`.
fn redis_key(key: &str) -> String {
    format!("{KEY_PREFIX}{key}")
}

/// The channel on which the end of `key`'s call is published.
fn channel(key: &str) -> String {
    format!("{CHANNEL_PREFIX}{key}")
}

impl GuardStore for RedisGuardStore {
    fn claim<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(self.claim_key(key))
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        answer: Vec<u8>,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.complete_key(key, &answer, ttl).await })
    }

    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.release_key(key))
    }
}
