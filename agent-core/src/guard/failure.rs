//! [`OnStoreFailure`]: what a [`Guard`](super::Guard) does with a call it
//! cannot guard because its store failed (Redis is down or unreachable).

use std::fmt;
use std::str::FromStr;

/// What a [`Guard`](super::Guard) does with a call when its
/// [`GuardStore`](super::GuardStore) cannot say whether the call already ran
/// (`--idempotency-store-failure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnStoreFailure {
    /// Refuse the call with `UNAVAILABLE`: nothing runs unguarded, so no job
    /// is ever started twice, and the request fails while the store is down.
    /// The default, as a duplicate of a paid job costs more than a failed
    /// attempt that Flyte retries.
    #[default]
    Closed,
    /// Run the call unguarded, with a warning in the log: Flyte keeps
    /// working while the store is down, and a request Propeller repeats in
    /// that time may start a second job.
    Open,
}

impl OnStoreFailure {
    /// The flag value: `closed` or `open`.
    pub fn as_str(self) -> &'static str {
        match self {
            OnStoreFailure::Closed => "closed",
            OnStoreFailure::Open => "open",
        }
    }
}

impl fmt::Display for OnStoreFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value that is neither `open` nor `closed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a store failure mode: write `closed` (refuse calls that cannot be guarded) or \
     `open` (run them unguarded)"
)]
pub struct UnknownFailureMode(String);

impl FromStr for OnStoreFailure {
    type Err = UnknownFailureMode;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "closed" => Ok(OnStoreFailure::Closed),
            "open" => Ok(OnStoreFailure::Open),
            _ => Err(UnknownFailureMode(text.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_modes_read_back_as_written() {
        for mode in [OnStoreFailure::Closed, OnStoreFailure::Open] {
            assert_eq!(mode.to_string().parse::<OnStoreFailure>(), Ok(mode));
        }
        assert_eq!(" Open ".parse::<OnStoreFailure>(), Ok(OnStoreFailure::Open));
    }

    #[test]
    fn an_unknown_mode_names_the_valid_ones() {
        let error = "half-open".parse::<OnStoreFailure>().unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("half-open")
                && message.contains("`closed`")
                && message.contains("`open`"),
            "{message}"
        );
    }
}
