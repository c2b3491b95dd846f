//! A connection that, once it has sent its last bytes, waits for the peer
//! to close before it lets go of the socket.
//!
//! A socket closed with bytes of the peer still unread, or written to by the
//! peer after the close, answers with a TCP reset, and the peer's next write
//! fails with a broken pipe. An HTTP/2 client still writes after the
//! server's last answers (it resets the streams it dropped, it sends its own
//! GOAWAY), and a failed write fails every call still open on its
//! connection, answered or not. When the server closes a connection right
//! after its last answers (as a graceful shutdown does, once every call is
//! answered), a client slower to read them than the server to close would
//! lose them. So shutting down [`LingeringClose`] sends the end of the
//! stream, then reads and discards what the peer still sends until the peer
//! closes its side too, for [`LINGER`] at most.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;
use tonic::transport::server::Connected;

/// How long a closing connection waits for the peer to close its side.
pub(crate) const LINGER: Duration = Duration::from_secs(2);

/// How many reads a lingering connection makes in one turn of its task.
const READS_PER_TURN: usize = 16;

/// A connection whose shutdown lingers until the peer closes its side (see
/// the [module](self)).
pub(crate) struct LingeringClose<IO> {
    io: IO,
    limit: Duration,
    /// When the lingering ends, from the moment the end of the stream was
    /// sent.
    lingering: Option<Pin<Box<Sleep>>>,
}

impl<IO> LingeringClose<IO> {
    /// `io`, lingering for [`LINGER`] at most when shut down.
    pub(crate) fn new(io: IO) -> Self {
        Self::lingering_at_most(io, LINGER)
    }

    /// `io`, lingering for `limit` at most when shut down.
    fn lingering_at_most(io: IO, limit: Duration) -> Self {
        LingeringClose {
            io,
            limit,
            lingering: None,
        }
    }
}

impl<IO: AsyncRead + Unpin> LingeringClose<IO> {
    /// Reads and discards until the peer closes its side (or resets the
    /// connection: nothing is left to save then); a peer that keeps
    /// sending gets [`READS_PER_TURN`] reads, then the task yields.
    fn poll_peer_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut discarded = [0; 1024];
        for _ in 0..READS_PER_TURN {
            let mut buf = ReadBuf::new(&mut discarded);
            match ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf)) {
                Ok(()) if buf.filled().is_empty() => return Poll::Ready(()),
                Ok(()) => continue,
                Err(_) => return Poll::Ready(()),
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for LingeringClose<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for LingeringClose<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    /// Sends the end of the stream, then lingers until the peer closes its
    /// side, for the connection's limit at most ([`LINGER`] by default).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let lingering = match &mut this.lingering {
            Some(lingering) => lingering,
            None => {
                ready!(Pin::new(&mut this.io).poll_shutdown(cx))?;
                this.lingering
                    .insert(Box::pin(tokio::time::sleep(this.limit)))
            }
        };
        if lingering.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Ok(()));
        }
        this.poll_peer_closed(cx).map(Ok)
    }
}

impl<IO: Connected> Connected for LingeringClose<IO> {
    type ConnectInfo = IO::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// A server's end and a client's end of a loopback TCP connection.
    async fn connection() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (accepted.unwrap().0, client.unwrap())
    }

    /// The server answers and closes; the client, busy meanwhile, then
    /// writes (as an HTTP/2 client resets a stream it dropped, then sends
    /// its own GOAWAY) before it reads the answers.
    async fn answers_read_by_a_slow_client(
        close: impl AsyncFnOnce(TcpStream),
    ) -> io::Result<Vec<u8>> {
        let (server, mut client) = connection().await;
        client.write_all(b"a frame the server never reads").await?;
        let client = async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            client.write_all(b"a reset of a stream").await?;
            tokio::time::sleep(Duration::from_millis(10)).await;
            client.write_all(b"goodbye").await?;
            let mut answers = Vec::new();
            client.read_to_end(&mut answers).await.map(|_| answers)
        };
        let (answers, ()) = tokio::join!(client, close(server));
        answers
    }

    #[tokio::test]
    async fn a_plain_close_breaks_the_pipe_of_a_slow_client() {
        let answers = answers_read_by_a_slow_client(async |mut server| {
            server.write_all(b"answers").await.unwrap();
            server.shutdown().await.unwrap();
        })
        .await;
        assert_eq!(
            answers.map_err(|error| error.kind()),
            Err(io::ErrorKind::BrokenPipe),
            "the server's close reset the connection, and the client's write failed"
        );
    }

    #[tokio::test]
    async fn a_lingering_close_keeps_them() {
        let answers = answers_read_by_a_slow_client(async |server| {
            let mut server = LingeringClose::new(server);
            server.write_all(b"answers").await.unwrap();
            server.shutdown().await.unwrap();
        })
        .await;
        assert_eq!(answers.unwrap(), b"answers");
    }

    #[tokio::test]
    async fn the_lingering_ends_when_the_peer_closes() {
        let (server, mut client) = connection().await;
        let mut server = LingeringClose::new(server);
        let started = Instant::now();
        let (shut, ()) = tokio::join!(server.shutdown(), async {
            client.write_all(b"goodbye").await.unwrap();
            drop(client);
        });
        shut.unwrap();
        assert!(started.elapsed() < LINGER, "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_peer_that_keeps_sending_is_let_go_after_the_linger() {
        let (server, mut client) = connection().await;
        let limit = Duration::from_millis(100);
        let mut server = LingeringClose::lingering_at_most(server, limit);
        let flood =
            tokio::spawn(async move { while client.write_all(&[7; 4096]).await.is_ok() {} });
        let started = Instant::now();
        server.shutdown().await.unwrap();
        assert!(started.elapsed() < 5 * limit, "{:?}", started.elapsed());
        drop(server);
        flood.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_never_closes_is_let_go_after_the_linger() {
        let (server, mut client) = tokio::io::duplex(64);
        let mut server = LingeringClose::lingering_at_most(server, Duration::from_secs(5));
        let started = tokio::time::Instant::now();
        server.shutdown().await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(5));
        let mut received = Vec::new();
        client.read_to_end(&mut received).await.unwrap();
        assert!(received.is_empty(), "the end of the stream was sent first");
    }
}
