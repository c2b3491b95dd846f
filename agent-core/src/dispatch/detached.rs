//! [`Detached`]: a future that finishes even when its caller stops waiting
//! for it. It runs in the caller's task until it first has to wait, and
//! from then on in a task of its own.
//!
//! A call that answers at once (a guarded repeat, an agent that answers from
//! memory) thus costs no task; one that waits on I/O gets a task the moment
//! it starts waiting, before the caller could drop it.

use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::FutureExt;
use tokio::task::{JoinError, JoinHandle};

/// `work`, run to its end whether or not its answer is awaited.
pub(super) fn detached<F>(work: F) -> Detached<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Detached::Inline(Box::pin(work))
}

/// The future [`detached`] answers.
pub(super) enum Detached<F: Future> {
    /// Not yet waiting: polled in the caller's task.
    Inline(Pin<Box<F>>),
    /// Waiting: running as a task of its own, spawned on its first wait.
    Spawned(JoinHandle<F::Output>),
    /// Answered.
    Finished,
}

impl<F> Future for Detached<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    type Output = Result<F::Output, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut handle = match mem::replace(this, Detached::Finished) {
            Detached::Inline(mut work) => match work.as_mut().poll(cx) {
                Poll::Ready(answer) => return Poll::Ready(Ok(answer)),
                // The task's first poll of `work` hands its wakers over to
                // the task: a future heeds only the latest poll's waker.
                Poll::Pending => tokio::spawn(work),
            },
            Detached::Spawned(handle) => handle,
            Detached::Finished => panic!("a Detached future was polled after it answered"),
        };
        let polled = handle.poll_unpin(cx);
        if polled.is_pending() {
            *this = Detached::Spawned(handle);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::sync::oneshot;

    #[tokio::test]
    async fn an_answer_ready_at_once_is_answered_inline() {
        let answer = detached(async { 7 });
        assert!(matches!(answer, Detached::Inline(_)));
        assert_eq!(answer.await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_waiting_call_is_answered_from_its_own_task() {
        let (send, receive) = oneshot::channel();
        let mut answer = detached(async move { receive.await.unwrap() + 1 });
        assert!(futures::poll!(&mut answer).is_pending());
        assert!(matches!(answer, Detached::Spawned(_)));
        send.send(1).unwrap();
        assert_eq!(answer.await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_call_dropped_while_waiting_still_finishes() {
        let (send, receive) = oneshot::channel::<()>();
        let (done, is_done) = oneshot::channel();
        let mut answer = detached(async move {
            receive.await.unwrap();
            done.send(()).unwrap();
        });
        assert!(futures::poll!(&mut answer).is_pending());
        drop(answer);
        send.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), is_done)
            .await
            .expect("the dropped call went on to its end")
            .unwrap();
    }
}
