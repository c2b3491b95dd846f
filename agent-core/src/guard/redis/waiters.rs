//! [`Waiters`]: the calls of this process that wait for a key another call
//! holds, woken when Redis publishes on the key's channel that its holder
//! finished, or when the connection drops (so that no call waits on a
//! message that cannot come).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use ::redis::aio::{AsyncPushSender, SendError};
use ::redis::{Msg, PushInfo, PushKind};
use tokio::sync::watch;

/// Who waits on which channel: the push handler of the store's connection.
#[derive(Default)]
pub(super) struct Waiters {
    by_channel: Mutex<HashMap<String, watch::Sender<()>>>,
}

impl Waiters {
    /// Starts waiting for a message on `channel`. A message that comes
    /// after this call, even before [`Waiting::woken`] is awaited, wakes it.
    pub(super) fn watch(self: &Arc<Self>, channel: String) -> Waiting {
        let receiver = self
            .lock()
            .entry(channel.clone())
            .or_insert_with(|| watch::channel(()).0)
            .subscribe();
        Waiting {
            waiters: Arc::clone(self),
            channel,
            receiver,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, watch::Sender<()>>> {
        // Each update is one map operation: none is left half done.
        self.by_channel
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wake(&self, channel: &str) {
        if let Some(sender) = self.lock().get(channel) {
            sender.send_replace(());
        }
    }

    fn wake_all(&self) {
        for sender in self.lock().values() {
            sender.send_replace(());
        }
    }
}

impl AsyncPushSender for Waiters {
    fn send(&self, push: PushInfo) -> Result<(), SendError> {
        if push.kind == PushKind::Disconnection {
            self.wake_all();
        } else if let Some(message) = Msg::from_push_info(push) {
            self.wake(message.get_channel_name());
        }
        Ok(())
    }
}

/// One call waiting on a channel; it stops waiting when dropped.
pub(super) struct Waiting {
    waiters: Arc<Waiters>,
    channel: String,
    receiver: watch::Receiver<()>,
}

impl Waiting {
    /// Resolves at the first message on the channel since
    /// [`Waiters::watch`], or at a disconnection.
    pub(super) async fn woken(&mut self) {
        // An error means the sender is gone, which never happens while a
        // receiver is registered: resolving is the safe answer either way.
        let _ = self.receiver.changed().await;
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut by_channel = self.waiters.lock();
        // `self.receiver` is still alive here: one receiver left is this one.
        if by_channel
            .get(&self.channel)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            by_channel.remove(&self.channel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use ::redis::Value;

    fn message(channel: &str) -> PushInfo {
        PushInfo {
            kind: PushKind::PMessage,
            data: vec![
                Value::BulkString(b"pattern:*".to_vec()),
                Value::BulkString(channel.as_bytes().to_vec()),
                Value::BulkString(b"done".to_vec()),
            ],
        }
    }

    async fn is_woken(waiting: &mut Waiting) -> bool {
        tokio::time::timeout(Duration::from_millis(50), waiting.woken())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_message_wakes_the_waiters_of_its_channel_only() {
        let waiters = Arc::new(Waiters::default());
        let mut a = waiters.watch("done:a".to_string());
        let mut b = waiters.watch("done:b".to_string());
        waiters.send(message("done:a")).unwrap();
        assert!(
            is_woken(&mut a).await,
            "woken by a message sent before it waited"
        );
        assert!(!is_woken(&mut b).await);
    }

    #[tokio::test]
    async fn a_disconnection_wakes_every_waiter() {
        let waiters = Arc::new(Waiters::default());
        let mut a = waiters.watch("done:a".to_string());
        let mut b = waiters.watch("done:b".to_string());
        let disconnection = PushInfo {
            kind: PushKind::Disconnection,
            data: vec![],
        };
        waiters.send(disconnection).unwrap();
        assert!(is_woken(&mut a).await && is_woken(&mut b).await);
    }

    #[tokio::test]
    async fn a_channel_is_forgotten_with_its_last_waiter() {
        let waiters = Arc::new(Waiters::default());
        let first = waiters.watch("done:a".to_string());
        let second = waiters.watch("done:a".to_string());
        drop(first);
        assert_eq!(waiters.lock().len(), 1);
        drop(second);
        assert!(waiters.lock().is_empty());
    }
}
