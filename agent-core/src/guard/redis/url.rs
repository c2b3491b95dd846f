//! [`RedisUrl`]: where a Redis server is, checked when read and shown
//! without its credentials.

use std::fmt;
use std::str::FromStr;

use ::redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo, ProtocolVersion};

/// The address of a Redis server (or Valkey, which speaks the same
/// protocol): `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`, or
/// `unix:///PATH/TO/redis.sock[?db=DB]`.
///
/// It is checked when parsed; it is shown (`Display`, `Debug`) without its
/// user name or password, so it can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    text: String,
}

/// A text that is not a usable Redis URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a Redis URL ({reason}): write redis://HOST:PORT[/DB] (with `:PASSWORD@` or \
     `USER:PASSWORD@` before HOST when Redis asks for one), or unix:///PATH/TO/redis.sock"
)]
pub struct InvalidRedisUrl {
    reason: String,
}

impl RedisUrl {
    /// Reads and checks `text`.
    pub fn parse(text: &str) -> Result<Self, InvalidRedisUrl> {
        let invalid = |reason: &str| InvalidRedisUrl {
            reason: reason.to_string(),
        };
        let scheme = text.split_once("://").map(|(scheme, _)| scheme);
        match scheme {
            Some("rediss" | "valkeys") => {
                return Err(invalid(
                    "TLS (rediss://) is not built into this server; reach Redis over redis:// \
                     within the cluster network, or through a TLS proxy beside the server",
                ));
            }
            Some("redis" | "valkey" | "unix" | "redis+unix" | "valkey+unix") => {}
            _ => return Err(invalid("the scheme must be redis:// or unix://")),
        }
        text.into_connection_info()
            .map_err(|error| invalid(&error.to_string()))?;
        Ok(RedisUrl {
            text: text.to_string(),
        })
    }

    /// How to connect: the URL's address, credentials and database, always
    /// with RESP3 (completions are pushed to waiting calls on the same
    /// connection as their commands).
    pub(super) fn connection_info(&self) -> ConnectionInfo {
        let info = self
            .text
            .as_str()
            .into_connection_info()
            .expect("checked when parsed");
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        info.set_redis_settings(settings)
    }
}

impl FromStr for RedisUrl {
    type Err = InvalidRedisUrl;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        RedisUrl::parse(text)
    }
}

impl fmt::Display for RedisUrl {
    /// The address and database, without user name or password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let info = self.connection_info();
        let db = info.redis_settings().db();
        match info.addr() {
            ConnectionAddr::Unix(path) => write!(f, "unix://{}?db={db}", path.display()),
            ConnectionAddr::Tcp(host, port) if host.contains(':') => {
                write!(f, "redis://[{host}]:{port}/{db}")
            }
            address => write!(f, "redis://{address}/{db}"),
        }
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_shown_without_its_credentials() {
        let url = RedisUrl::parse("redis://agent:s3cret@redis.flyte:6380/2").unwrap();
        assert_eq!(url.to_string(), "redis://redis.flyte:6380/2");
        assert!(!format!("{url:?}").contains("s3cret"));
        let info = url.connection_info();
        assert_eq!(info.redis_settings().password(), Some("s3cret"));
        assert_eq!(info.redis_settings().protocol(), ProtocolVersion::RESP3);
    }

    #[test]
    fn the_port_and_database_have_defaults() {
        let url = RedisUrl::parse("redis://127.0.0.1").unwrap();
        assert_eq!(url.to_string(), "redis://127.0.0.1:6379/0");
        let url = RedisUrl::parse("redis://[::1]:7000").unwrap();
        assert_eq!(url.to_string(), "redis://[::1]:7000/0");
        let url = RedisUrl::parse("unix:///run/redis.sock?db=3").unwrap();
        assert_eq!(url.to_string(), "unix:///run/redis.sock?db=3");
    }

    #[test]
    fn mistakes_say_what_to_write() {
        for (text, reason) in [
            ("localhost:6379", "scheme"),
            ("http://localhost:6379", "scheme"),
            ("rediss://redis:6379", "TLS"),
            ("redis://redis:6379/zero", "database"),
            ("redis://0.0.0.0:6379", "wildcard"),
        ] {
            let message = RedisUrl::parse(text).unwrap_err().to_string();
            assert!(
                message.contains(reason) && message.contains("redis://HOST:PORT"),
                "{text}: {message}"
            );
        }
    }
}
