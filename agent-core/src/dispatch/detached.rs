//! [`Detached`]: a future that finishes even when its caller stops waiting
//! for it, once it has started its agent. It runs in the caller's task
//! until it first has to wait, and from then on in a task of its own.
//!
//! A call that answers at once (a guarded repeat, an agent that answers from
//! memory) thus costs no task; one that waits on I/O gets a task the moment
//! it starts waiting, before the caller could drop it. A call whose caller
//! leaves before it started its agent (it was waiting for a worker, or for
//! a duplicate to finish) is dropped instead: see [`StartGate`].

use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::FutureExt;
use tokio::task::{JoinError, JoinHandle};

use super::start_gate::StartGate;

/// `work`, run to its end whether or not its answer is awaited, once it
/// has passed `gate`; dropped with its caller before that.
pub(super) fn detached<F>(work: F, gate: StartGate) -> Detached<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Detached {
        state: State::Inline(Box::pin(work)),
        gate,
    }
}

/// The future [`detached`] answers.
pub(super) struct Detached<F: Future> {
    state: State<F>,
    /// Passed by `work` as its agent starts; closed here if the caller
    /// leaves first.
    gate: StartGate,
}

/// Where a [`Detached`] call runs.
enum State<F: Future> {
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
        let state = &mut self.get_mut().state;
        let mut handle = match mem::replace(state, State::Finished) {
            State::Inline(mut work) => match work.as_mut().poll(cx) {
                Poll::Ready(answer) => return Poll::Ready(Ok(answer)),
                // The task's first poll of `work` hands its wakers over to
                // the task: a future heeds only the latest poll's waker.
                Poll::Pending => tokio::spawn(work),
            },
            State::Spawned(handle) => handle,
            State::Finished => panic!("a Detached future was polled after it answered"),
        };
        let polled = handle.poll_unpin(cx);
        if polled.is_pending() {
            *state = State::Spawned(handle);
        }
        polled
    }
}

impl<F: Future> Drop for Detached<F> {
    /// A call left before it started its agent is aborted where it waits.
    fn drop(&mut self) {
        if let State::Spawned(handle) = &self.state
            && self.gate.close()
        {
            handle.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::sync::oneshot;

    #[tokio::test]
    async fn an_answer_ready_at_once_is_answered_inline() {
        let answer = detached(async { 7 }, StartGate::default());
        assert!(matches!(answer.state, State::Inline(_)));
        assert_eq!(answer.await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_waiting_call_is_answered_from_its_own_task() {
        let (send, receive) = oneshot::channel();
        let mut answer = detached(
            async move { receive.await.unwrap() + 1 },
            StartGate::default(),
        );
        assert!(futures::poll!(&mut answer).is_pending());
        assert!(matches!(answer.state, State::Spawned(_)));
        send.send(1).unwrap();
        assert_eq!(answer.await.unwrap(), 2);
    }

    /// A call that passes `gate`, waits for `go`, then says it is done.
    fn call(
        gate: &StartGate,
        started: bool,
    ) -> (
        oneshot::Sender<()>,
        oneshot::Receiver<()>,
        Detached<impl Future<Output = ()> + use<>>,
    ) {
        let (go, gone) = oneshot::channel::<()>();
        let (done, is_done) = oneshot::channel();
        let passing = gate.clone();
        let answer = detached(
            async move {
                if started {
                    assert!(passing.pass());
                }
                gone.await.unwrap();
                done.send(()).unwrap();
            },
            gate.clone(),
        );
        (go, is_done, answer)
    }

    #[tokio::test]
    async fn a_call_dropped_after_it_started_still_finishes() {
        let gate = StartGate::default();
        let (go, is_done, mut answer) = call(&gate, true);
        assert!(futures::poll!(&mut answer).is_pending());
        drop(answer);
        go.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), is_done)
            .await
            .expect("the dropped call went on to its end")
            .unwrap();
    }

    #[tokio::test]
    async fn a_call_dropped_before_it_started_is_dropped_where_it_waits() {
        let gate = StartGate::default();
        let (go, is_done, mut answer) = call(&gate, false);
        assert!(futures::poll!(&mut answer).is_pending());
        drop(answer);
        assert!(!gate.pass(), "the call may no longer start");
        let ended = tokio::time::timeout(Duration::from_secs(5), is_done).await;
        assert!(
            matches!(ended, Ok(Err(_))),
            "the call was dropped, unfinished: {ended:?}"
        );
        assert!(go.send(()).is_err(), "nothing waits any more");
    }
}
