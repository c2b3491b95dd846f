//! Answers batched into fewer writes. Each answer a call hands the
//! connection wakes its task, and the runtime runs a task just woken next:
//! under load the connection would write each answer in a system call of
//! its own (and the peer's TCP stack take each as a segment of its own).
//! While other calls of the server are still to answer, a connection's
//! write waits one turn of the runtime, so that the answers of the calls
//! queued meanwhile leave with it. An idle server writes at once.
//!
//! Under load this costs fewer system calls an answer, and so less CPU and
//! a lower median latency; the tail is longer, the first answers of a
//! long turn waiting for its last (BENCHMARKS.md measures both).
//!
//! [`AnswersDue`] counts the calls received and not yet answered, through
//! the layer it makes, and batches the writes of the connections it wraps,
//! unless made with batching off (`--batch-answers false`): each answer
//! then leaves at once, latencies even across percentiles, for more CPU
//! per request.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::transport::server::Connected;

/// How many calls the server has received and not yet answered, and
/// whether writes wait for them.
#[derive(Clone)]
pub(crate) struct AnswersDue {
    count: Arc<AtomicUsize>,
    batching: bool,
}

impl AnswersDue {
    /// No call due yet; writes batched while some are when `batching`.
    pub(crate) fn new(batching: bool) -> Self {
        AnswersDue {
            count: Arc::default(),
            batching,
        }
    }

    /// Whether a write waits a turn: some call is still to answer (with
    /// batching off, none is counted).
    fn hold_writes(&self) -> bool {
        self.count.load(Ordering::Relaxed) > 0
    }

    /// A layer counting the calls of the service it wraps here.
    pub(crate) fn layer(&self) -> AnswersDueLayer {
        AnswersDueLayer(self.clone())
    }

    /// `io`, its writes batched while calls are due here.
    pub(crate) fn batch_writes<IO>(&self, io: IO) -> BatchedWrites<IO> {
        BatchedWrites {
            io,
            due: self.clone(),
            waited: false,
        }
    }

    /// Counts one call more, until the token is dropped; with batching off,
    /// none: no write waits for it.
    fn expect_one(&self) -> Option<AnswerDue> {
        self.batching.then(|| {
            self.count.fetch_add(1, Ordering::Relaxed);
            AnswerDue(Arc::clone(&self.count))
        })
    }
}

/// A call counted in [`AnswersDue`]: uncounted when dropped.
struct AnswerDue(Arc<AtomicUsize>);

impl Drop for AnswerDue {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A tower layer counting the calls of the service it wraps in
/// [`AnswersDue`], from the moment the transport hands a call over to the
/// moment its answer (the response head) is ready.
#[derive(Clone)]
pub(crate) struct AnswersDueLayer(AnswersDue);

impl<S> tower::Layer<S> for AnswersDueLayer {
    type Service = CountAnswers<S>;

    fn layer(&self, inner: S) -> CountAnswers<S> {
        CountAnswers {
            inner,
            due: self.0.clone(),
        }
    }
}

/// The service [`AnswersDueLayer`] wraps.
#[derive(Clone)]
pub(crate) struct CountAnswers<S> {
    inner: S,
    due: AnswersDue,
}

impl<S, R> tower::Service<R> for CountAnswers<S>
where
    S: tower::Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Counted<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        Counted {
            due: self.due.expect_one(),
            answer: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// A call's answer, counted in [`AnswersDue`] until it is ready (or
    /// dropped unanswered).
    pub(crate) struct Counted<F> {
        due: Option<AnswerDue>,
        #[pin]
        answer: F,
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let answer = this.answer.poll(cx);
        if answer.is_ready() {
            this.due.take();
        }
        answer
    }
}

/// A connection whose writes, while calls are due, wait for one turn of the
/// runtime first.
pub(crate) struct BatchedWrites<IO> {
    io: IO,
    due: AnswersDue,
    waited: bool,
}

impl<IO: Unpin> BatchedWrites<IO> {
    /// What `write` answers; first, when calls are due and this write has
    /// not yet waited, pending for one turn: the task wakes itself, which
    /// the runtime takes as a yield, queueing it behind the tasks already
    /// queued.
    fn batched<T>(
        &mut self,
        cx: &mut Context<'_>,
        write: impl FnOnce(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if !self.waited && self.due.hold_writes() {
            self.waited = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let written = write(Pin::new(&mut self.io), cx);
        if written.is_ready() {
            self.waited = false;
        }
        written
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for BatchedWrites<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for BatchedWrites<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().batched(cx, |io, cx| io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .batched(cx, |io, cx| io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

impl<IO: Connected> Connected for BatchedWrites<IO> {
    type ConnectInfo = IO::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    use futures::task::{ArcWake, waker};
    use tokio::io::AsyncWriteExt;
    use tower::{Layer, Service, ServiceExt};

    /// A waker counting its wakes.
    #[derive(Default)]
    struct Wakes(AtomicUsize);

    impl ArcWake for Wakes {
        fn wake_by_ref(wakes: &Arc<Self>) {
            wakes.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn counting_waker() -> (Arc<Wakes>, Waker) {
        let wakes = Arc::new(Wakes::default());
        (Arc::clone(&wakes), waker(Arc::clone(&wakes)))
    }

    fn count(due: &AnswersDue) -> usize {
        due.count.load(Ordering::Relaxed)
    }

    #[tokio::test]
    async fn a_call_is_due_from_its_arrival_until_its_answer_is_ready() {
        let due = AnswersDue::new(true);
        let (answer, answered) = tokio::sync::oneshot::channel::<u8>();
        let mut service = due.layer().layer(tower::service_fn(
            |answered: tokio::sync::oneshot::Receiver<u8>| answered,
        ));
        let call = service.ready().await.unwrap().call(answered);
        assert_eq!(count(&due), 1);
        answer.send(7).unwrap();
        assert_eq!(call.await.unwrap(), 7);
        assert_eq!(count(&due), 0);
    }

    #[tokio::test]
    async fn a_call_dropped_unanswered_is_no_longer_due() {
        let due = AnswersDue::new(true);
        let mut service = due.layer().layer(tower::service_fn(|()| {
            std::future::pending::<Result<(), ()>>()
        }));
        let call = service.ready().await.unwrap().call(());
        assert_eq!(count(&due), 1);
        drop(call);
        assert_eq!(count(&due), 0);
    }

    #[test]
    fn with_no_call_due_a_write_goes_out_at_once() {
        let (wakes, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut connection = AnswersDue::new(true).batch_writes(Vec::new());
        let written = Pin::new(&mut connection).poll_write(&mut cx, b"answer");
        assert!(matches!(written, Poll::Ready(Ok(6))));
        assert_eq!(connection.io, b"answer");
        assert_eq!(wakes.0.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn with_batching_off_a_write_goes_out_at_once_while_calls_are_due() {
        let due = AnswersDue::new(false);
        let call = due.expect_one();
        assert!(call.is_none(), "no call is counted");
        let (wakes, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut connection = due.batch_writes(Vec::new());
        let written = Pin::new(&mut connection).poll_write(&mut cx, b"answer");
        assert!(matches!(written, Poll::Ready(Ok(6))));
        assert_eq!(connection.io, b"answer");
        assert_eq!(wakes.0.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn with_a_call_due_each_write_waits_one_turn_first() {
        let due = AnswersDue::new(true);
        let _call = due.expect_one();
        let (wakes, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut connection = due.batch_writes(Vec::new());
        for (turn, answer) in [&b"first"[..], b"second"].into_iter().enumerate() {
            let waited = Pin::new(&mut connection).poll_write(&mut cx, answer);
            assert!(waited.is_pending(), "the write waits a turn");
            assert_eq!(
                wakes.0.load(Ordering::Relaxed),
                turn + 1,
                "and wakes its task"
            );
            let written = Pin::new(&mut connection).poll_write(&mut cx, answer);
            assert!(matches!(written, Poll::Ready(Ok(n)) if n == answer.len()));
        }
        assert_eq!(connection.io, b"firstsecond");
    }

    #[tokio::test]
    async fn a_batched_connection_reads_writes_and_shuts_down_as_its_own() {
        let (near, mut far) = tokio::io::duplex(64);
        let due = AnswersDue::new(true);
        let _call = due.expect_one();
        let mut connection = due.batch_writes(near);
        connection.write_all(b"answer").await.unwrap();
        connection.shutdown().await.unwrap();
        let mut received = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut far, &mut received)
            .await
            .unwrap();
        assert_eq!(received, b"answer");
        far.write_all(b"call").await.unwrap();
        let mut call = [0; 4];
        tokio::io::AsyncReadExt::read_exact(&mut connection, &mut call)
            .await
            .unwrap();
        assert_eq!(&call, b"call");
    }
}
