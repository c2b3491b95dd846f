//! [`StoreLocation`]: where guarded answers are kept, as
//! `--idempotency-store` names it.

use std::fmt;
use std::str::FromStr;

use super::{InvalidRedisUrl, RedisUrl};

/// Where guarded answers are kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StoreLocation {
    /// In this process's memory ([`MemoryGuardStore`](super::MemoryGuardStore)):
    /// one replica only.
    #[default]
    Memory,
    /// In Redis ([`RedisGuardStore`](super::RedisGuardStore)), shared by
    /// every replica that names it.
    Redis(RedisUrl),
}

impl fmt::Display for StoreLocation {
    /// `memory`, or the Redis URL without credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Memory => f.write_str("memory"),
            StoreLocation::Redis(url) => url.fmt(f),
        }
    }
}

/// A text that is neither `memory` nor a Redis URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}; or write `memory` to keep the answers in this process")]
pub struct InvalidStoreLocation(#[from] InvalidRedisUrl);

impl FromStr for StoreLocation {
    type Err = InvalidStoreLocation;

    /// `memory`, or a Redis URL ([`RedisUrl`]).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("memory") {
            return Ok(StoreLocation::Memory);
        }
        Ok(StoreLocation::Redis(text.parse()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_or_a_redis_url() {
        assert_eq!("memory".parse(), Ok(StoreLocation::Memory));
        let redis: StoreLocation = "redis://redis.flyte:6379/1".parse().unwrap();
        assert_eq!(redis.to_string(), "redis://redis.flyte:6379/1");
        let error = "memcached://cache:11211"
            .parse::<StoreLocation>()
            .unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("`memory`") && message.contains("redis://HOST:PORT"),
            "{message}"
        );
    }
}
