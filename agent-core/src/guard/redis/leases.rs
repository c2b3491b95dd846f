//! [`Leases`]: the keys this process holds, each with the token of its claim
//! and a task that renews the claim's lease while its call runs, so that a
//! slow call keeps its key, and a process that dies frees its keys when
//! their leases run out.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ::redis::aio::ConnectionManager;
use tokio::task::JoinHandle;

use super::scripts;

/// The claims this process holds, by Redis key.
#[derive(Default)]
pub(super) struct Leases {
    held: Mutex<HashMap<String, Held>>,
}

struct Held {
    token: String,
    renewal: JoinHandle<()>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}

impl Leases {
    /// Notes that the claim `token` holds `key`, and renews its lease of
    /// `lease` every third of it until the key is [`let_go`](Self::let_go).
    pub(super) fn hold(
        &self,
        connection: ConnectionManager,
        key: String,
        token: String,
        lease: Duration,
    ) {
        let renewal = tokio::spawn(renew(connection, key.clone(), token.clone(), lease));
        self.lock().insert(key, Held { token, renewal });
    }

    /// The token of the claim this process holds on `key`.
    pub(super) fn token(&self, key: &str) -> Option<String> {
        self.lock().get(key).map(|held| held.token.clone())
    }

    /// Stops renewing the claim on `key`, and answers its token.
    pub(super) fn let_go(&self, key: &str) -> Option<String> {
        self.lock().remove(key).map(|held| held.token.clone())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Held>> {
        // Each update is one map operation: none is left half done.
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Renews the claim `token` on `key` every third of `lease`, until it is
/// stopped or the claim is lost. A failed renewal is tried again at the next
/// turn: the lease still holds for two more.
async fn renew(mut connection: ConnectionManager, key: String, token: String, lease: Duration) {
    let every = lease / 3;
    loop {
        tokio::time::sleep(every).await;
        match scripts::renew(&mut connection, &key, &token, lease).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    key,
                    "an idempotency claim was lost while its call ran (its lease ran out, or \
                     Redis lost its data): another replica may run the same call"
                );
                return;
            }
            Err(error) => {
                tracing::warn!(key, %error, "cannot renew the lease of an idempotency claim");
            }
        }
    }
}
