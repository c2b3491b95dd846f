//! The Lua scripts that claim, complete, release and renew a key, each one
//! atomic on the Redis server, and their calls.
//!
//! A guarded key holds `C<token>` while a call runs (with a lease: it expires
//! unless renewed) and `A<answer>` once the call answered (with the TTL).
//! Every script is safe to run twice with the same arguments, so a call whose
//! connection dropped is tried once more on the new one.

use std::sync::LazyLock;
use std::time::Duration;

use ::redis::aio::ConnectionManager;
use ::redis::{FromRedisValue, RedisResult, Script, ScriptInvocation};

static CLAIM: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("claim.lua")));
static COMPLETE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("complete.lua")));
static RELEASE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("release.lua")));
static RENEW: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("renew.lua")));

/// What the claim script found.
pub(super) enum ClaimReply {
    /// The caller now holds the key.
    Acquired,
    /// The key's call answered this.
    Completed(Vec<u8>),
    /// Another claim holds the key; its stored value, to tell when it changes.
    Held(Vec<u8>),
}

/// Takes `key` for the claim `token` with a lease of `lease`, unless it is
/// held or answered.
pub(super) async fn claim(
    connection: &mut ConnectionManager,
    key: &str,
    token: &str,
    lease: Duration,
) -> RedisResult<ClaimReply> {
    let mut invocation = CLAIM.prepare_invoke();
    invocation.key(key).arg(token).arg(millis(lease));
    let (state, data): (u8, Vec<u8>) = invoke(connection, &invocation).await?;
    Ok(match state {
        0 => ClaimReply::Acquired,
        1 => ClaimReply::Completed(data),
        _ => ClaimReply::Held(data),
    })
}

/// Stores `answer` under `key` for `ttl` if the claim `token` still holds
/// it (or nothing does), and publishes on `channel`. False when another
/// call holds or answered the key.
pub(super) async fn complete(
    connection: &mut ConnectionManager,
    key: &str,
    token: &str,
    answer: &[u8],
    ttl: Duration,
    channel: &str,
) -> RedisResult<bool> {
    let mut invocation = COMPLETE.prepare_invoke();
    invocation
        .key(key)
        .arg(token)
        .arg(answer)
        .arg(millis(ttl))
        .arg(channel);
    invoke(connection, &invocation).await
}

/// Frees `key` if the claim `token` holds it, and publishes on `channel`.
/// False when it did not hold it (any more).
pub(super) async fn release(
    connection: &mut ConnectionManager,
    key: &str,
    token: &str,
    channel: &str,
) -> RedisResult<bool> {
    let mut invocation = RELEASE.prepare_invoke();
    invocation.key(key).arg(token).arg(channel);
    invoke(connection, &invocation).await
}

/// Extends the lease of the claim `token` on `key` to `lease` from now.
/// False when it does not hold the key any more.
pub(super) async fn renew(
    connection: &mut ConnectionManager,
    key: &str,
    token: &str,
    lease: Duration,
) -> RedisResult<bool> {
    let mut invocation = RENEW.prepare_invoke();
    invocation.key(key).arg(token).arg(millis(lease));
    invoke(connection, &invocation).await
}

/// Runs `invocation`, once more when the connection had dropped: the
/// connection manager has begun a new connection by then.
async fn invoke<T: FromRedisValue>(
    connection: &mut ConnectionManager,
    invocation: &ScriptInvocation<'_>,
) -> RedisResult<T> {
    match invocation.invoke_async(connection).await {
        Err(error) if error.is_io_error() && !error.is_timeout() => {
            invocation.invoke_async(connection).await
        }
        answer => answer,
    }
}

/// `duration` in whole milliseconds, at least one (Redis refuses a zero
/// expiry).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}
