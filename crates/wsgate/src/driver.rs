//! The driver loop: socket ⇄ [`Connection`]. Read what is available, decode until the
//! state machine needs more, write the transmit queue with one vectored write when the
//! read side would block (or the queue is over the high-water mark), arm the timer.

use bytes::BytesMut;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};
use wsgate_proto::{
    CloseCode, Connection, DataKind, Event, Message, PreparedMessage, ProtocolError, Role, State,
    Utf8Bytes, frame_len,
};

use crate::error::Error;
use crate::websocket::DEFAULT_WRITE_BUFFER;

/// Where the driver stands once the state machine is [`State::Closed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Still running.
    Running,
    /// Closed; flushing, shutting down and (client) waiting for EOF.
    WindingDown,
    /// Transport finished; `recv` returns the pending error once, then `None`.
    Done,
}

/// The connection and its transport, with the buffers and timer the loop needs.
///
/// Every idle connection holds one of these (inside the task that owns the
/// [`WebSocket`](crate::WebSocket)), so what is needed only while closing, after a
/// failure, with a subprotocol or for an abandoned streamed message lives in [`Cold`],
/// allocated on first use.
#[derive(Debug)]
pub(crate) struct Driver<S> {
    pub(crate) conn: Connection,
    pub(crate) io: S,
    rx: BytesMut,
    timer: Option<Pin<Box<Sleep>>>,
    pub(crate) high_water: usize,
    end: End,
    read_eof: bool,
    needs_flush: bool,
    /// Discard chunks of a streamed message the application abandoned.
    pub(crate) skip_chunks: bool,
    cold: Option<Box<Cold>>,
}

/// The driver's rarely used state.
#[derive(Debug, Default)]
struct Cold {
    /// The negotiated subprotocol.
    protocol: Option<Box<str>>,
    /// The error to report once the transport is wound down.
    pending: Option<Pending>,
    shutdown_done: bool,
    /// The instant by which winding down must be over.
    eof_deadline: Option<Instant>,
    /// A message that began in streaming mode (a `recv_stream` dropped before its first
    /// chunk) and is wanted whole: its chunks so far.
    assembling: Option<(DataKind, BytesMut)>,
}

#[derive(Debug)]
enum Pending {
    Protocol(ProtocolError),
    Abnormal,
    Io(io::Error),
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    pub(crate) fn new(io: S, conn: Connection, rx: BytesMut, protocol: Option<String>) -> Self {
        let mut conn = conn;
        // Anchor the state machine's timers (keepalive) at the handshake.
        let _ = conn.handle_timeout(now);
        let cold = protocol.map(|p| {
            Box::new(Cold {
                protocol: Some(p.into_boxed_str()),
                ..Cold::default()
            })
        });
        Self {
            io,
            conn,
            rx,
            timer: None,
            high_water: DEFAULT_WRITE_BUFFER,
            end: End::Running,
            read_eof: false,
            needs_flush: false,
            skip_chunks: false,
            cold,
        }
    }

    pub(crate) fn protocol(&self) -> Option<&str> {
        self.cold.as_ref()?.protocol.as_deref()
    }

    fn cold(&mut self) -> &mut Cold {
        self.cold.get_or_insert_with(Box::default)
    }

    fn pending(&self) -> Option<&Pending> {
        self.cold.as_ref()?.pending.as_ref()
    }

    fn assembling(&self) -> bool {
        self.cold.as_ref().is_some_and(|c| c.assembling.is_some())
    }

    /// The chunks gathered for a message a cancelled `recv` wanted whole.
    pub(crate) fn take_assembled(&mut self) -> Option<(DataKind, BytesMut)> {
        self.cold.as_mut()?.assembling.take()
    }

    /// The next event from the peer, driving reads, writes and timers meanwhile.
    /// `None` once the connection is closed and any error was reported.
    pub(crate) fn poll_event(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Event, Error>>> {
        loop {
            if self.end != End::Running {
                return self.poll_end(cx);
            }
            match self.conn.poll_event(&mut self.rx, now) {
                Ok(Some(ev)) => {
                    self.release_rx();
                    return Poll::Ready(Some(Ok(ev)));
                }
                Ok(None) => self.release_rx(),
                Err(e) => {
                    self.fail(Pending::Protocol(e));
                    continue;
                }
            }
            if self.conn.state() == State::Closed {
                self.end = End::WindingDown;
                continue;
            }
            if self.conn.transmit_len() >= self.high_water {
                // Too much queued (a ping flood, say): stop reading until it drains.
                match self.poll_write(cx) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => {
                        self.fail(Pending::Io(e));
                        continue;
                    }
                    Poll::Pending => match self.poll_timer(cx) {
                        Poll::Ready(Ok(())) => continue,
                        Poll::Ready(Err(e)) => {
                            self.fail(Pending::Protocol(e));
                            continue;
                        }
                        Poll::Pending => return Poll::Pending,
                    },
                }
            }
            match self.poll_read(cx) {
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(e)) => {
                    self.fail(Pending::Io(e));
                    continue;
                }
                Poll::Pending => {}
            }
            // The read side would block: now is the time to write.
            if let Poll::Ready(Err(e)) = self.poll_write(cx) {
                self.fail(Pending::Io(e));
                continue;
            }
            match self.poll_timer(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => self.fail(Pending::Protocol(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Like [`poll_event`](Self::poll_event), as whole messages: chunks of an abandoned
    /// streamed message are skipped.
    pub(crate) fn poll_message(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, Error>>> {
        if !self.skip_chunks {
            self.conn.set_streaming(false);
        }
        loop {
            match ready!(self.poll_event(cx)) {
                Some(Ok(Event::Message(m))) => return Poll::Ready(Some(Ok(m))),
                Some(Ok(Event::Chunk {
                    kind,
                    data,
                    first,
                    fin,
                })) => {
                    // Not the rest of a message `close` already discarded part of.
                    if !self.skip_chunks && (first || self.assembling()) {
                        let cold = self.cold();
                        let (_, buf) = cold.assembling.get_or_insert((kind, BytesMut::new()));
                        buf.extend_from_slice(&data);
                    }
                    if fin {
                        self.skip_chunks = false;
                        self.conn.set_streaming(false);
                        if let Some((kind, buf)) = self.take_assembled() {
                            return Poll::Ready(Some(whole_message(kind, buf)));
                        }
                    }
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => return Poll::Ready(None),
            }
        }
    }

    /// Waits until the write queue is under the high-water mark.
    pub(crate) fn poll_send_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.end != End::Running || self.conn.state() == State::Closed {
            return Poll::Ready(Err(Error::Closed));
        }
        while self.conn.transmit_len() >= self.high_water {
            if let Err(e) = ready!(self.poll_write(cx)) {
                return Poll::Ready(Err(self.local_io_error(e)));
            }
        }
        Poll::Ready(Ok(()))
    }

    pub(crate) fn queue(&mut self, msg: Message) -> Result<(), Error> {
        Ok(self.conn.send(msg, now)?)
    }

    pub(crate) fn queue_prepared(&mut self, msg: &PreparedMessage) -> Result<(), Error> {
        Ok(self.conn.send_prepared(msg, now)?)
    }

    /// After a send: write now, unless a complete frame is already buffered (the next
    /// `recv` returns it without blocking, and writes our queue when it would block).
    /// Never waits: whatever the transport does not take now goes with the next
    /// operation, so a `send` future is only ever pending before its message is queued.
    pub(crate) fn write_eager(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        if complete_frame_buffered(&self.rx) {
            return Ok(());
        }
        match self.poll_flush(cx) {
            Poll::Ready(result) => result,
            Poll::Pending => Ok(()),
        }
    }

    /// Writes the whole queue and flushes the transport.
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match ready!(self.poll_write(cx)) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(e) => Poll::Ready(Err(self.local_io_error(e))),
        }
    }

    pub(crate) fn start_close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if self.conn.state() != State::Open {
            return Ok(());
        }
        Ok(self.conn.close(code, reason, now)?)
    }

    /// Drives the connection, discarding incoming messages, until it is closed.
    pub(crate) fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.conn.set_streaming(true);
        loop {
            match ready!(self.poll_event(cx)) {
                Some(Ok(_)) => {}
                Some(Err(Error::AbnormalClosure)) | None => return Poll::Ready(Ok(())),
                Some(Err(e)) => return Poll::Ready(Err(e)),
            }
        }
    }

    // ---- helpers ----

    fn fail(&mut self, why: Pending) {
        let cold = self.cold();
        if cold.pending.is_none() {
            cold.pending = Some(why);
        }
        self.end = End::WindingDown;
    }

    /// A write failed: the connection is over. The caller gets `e`; `recv` reports the
    /// same failure once (not a clean end), since what the peer sent last is lost.
    fn local_io_error(&mut self, e: io::Error) -> Error {
        let cold = self.cold();
        if cold.pending.is_none() {
            cold.pending = Some(Pending::Io(io::Error::new(e.kind(), e.to_string())));
        }
        self.end = End::Done;
        Error::Io(e)
    }

    /// Closed: flush, shut down (server, or after a failure), wait for the server's EOF
    /// (client), then report the pending error once.
    fn poll_end(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Event, Error>>> {
        if self.end == End::WindingDown {
            ready!(self.poll_wind_down(cx));
            self.end = End::Done;
            self.timer = None;
            self.rx = BytesMut::new();
        }
        let pending = self.cold.as_mut().and_then(|c| c.pending.take());
        Poll::Ready(pending.map(|p| Err(p.into_error())))
    }

    /// Bounded by the close timeout: a peer that neither reads nor closes is dropped.
    fn poll_wind_down(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let close_timeout = self.conn.config().close_timeout;
        let deadline = *self
            .cold()
            .eof_deadline
            // A timeout too large to represent means "never" (in practice).
            .get_or_insert_with(|| far_future_saturating(Instant::now(), close_timeout));
        if self.poll_wind_down_steps(cx).is_ready() {
            return Poll::Ready(());
        }
        self.arm(deadline).as_mut().poll(cx)
    }

    fn poll_wind_down_steps(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !matches!(self.pending(), Some(Pending::Io(_))) && ready!(self.poll_write(cx)).is_err() {
            self.read_eof = true;
        }
        let wait_for_eof = self.conn.role() == Role::Client
            && self.pending().is_none()
            && !self.conn.should_close_transport();
        if wait_for_eof {
            ready!(self.poll_discard_until_eof(cx));
        }
        if !self.cold().shutdown_done {
            let _ = ready!(Pin::new(&mut self.io).poll_shutdown(cx));
            self.cold().shutdown_done = true;
        }
        Poll::Ready(())
    }

    /// Client after the close exchange: read (discarding) until the server closes TCP.
    fn poll_discard_until_eof(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while !self.read_eof {
            let mut scratch = [0u8; 512];
            let mut buf = ReadBuf::new(&mut scratch);
            match ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf)) {
                Ok(()) if !buf.filled().is_empty() => {}
                _ => self.read_eof = true,
            }
        }
        Poll::Ready(())
    }

    /// Reads what is available into `rx`. An empty buffer reads through a stack buffer
    /// so that an idle connection holds no heap buffer while its read is pending. The
    /// stack buffer is large (64 KiB, left uninitialised) so that one system call takes
    /// in a burst of pipelined messages: with 8 KiB, 4 KiB messages cost 1.3 system
    /// calls each.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.read_eof {
            return Poll::Ready(Ok(()));
        }
        let n = if self.rx.is_empty() {
            let mut scratch = [const { MaybeUninit::<u8>::uninit() }; STACK_READ];
            let mut buf = ReadBuf::uninit(&mut scratch);
            ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf))?;
            let filled = buf.filled();
            let want = filled
                .len()
                .max(frame_len(filled).unwrap_or(0).min(MAX_RESERVE));
            self.rx = BytesMut::with_capacity(want);
            self.rx.extend_from_slice(filled);
            filled.len()
        } else {
            let missing = frame_len(&self.rx).map_or(0, |n| n.saturating_sub(self.rx.len()));
            self.rx.reserve(missing.clamp(READ_CHUNK, MAX_RESERVE));
            ready!(tokio_util::io::poll_read_buf(
                Pin::new(&mut self.io),
                cx,
                &mut self.rx
            ))?
        };
        if n == 0 {
            self.read_eof = true;
            self.conn.handle_eof();
            if self.conn.peer_close().is_none() && self.pending().is_none() {
                self.cold().pending = Some(Pending::Abnormal);
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Writes the transmit queue with vectored writes until it is empty, then flushes.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.transmit_len() > 0 {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let count = self.conn.transmit_slices(&mut slices);
            let n = ready!(Pin::new(&mut self.io).poll_write_vectored(cx, &slices[..count]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.conn.advance_transmit(n);
            self.needs_flush = true;
        }
        if self.needs_flush {
            ready!(Pin::new(&mut self.io).poll_flush(cx))?;
            self.needs_flush = false;
        }
        Poll::Ready(Ok(()))
    }

    /// Arms the timer from the state machine and polls it: `Ready(Ok)` when it fired
    /// harmlessly (a keepalive ping was queued), `Ready(Err)` when it failed the connection.
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ProtocolError>> {
        let Some(deadline) = self.conn.poll_timeout() else {
            return Poll::Pending;
        };
        ready!(self.arm(Instant::from_std(deadline)).as_mut().poll(cx));
        Poll::Ready(self.conn.handle_timeout(now))
    }

    fn arm(&mut self, deadline: Instant) -> &mut Pin<Box<Sleep>> {
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        timer
    }

    /// Lets go of the receive buffer once it is empty, so idle connections hold none.
    /// Also when its spare capacity is zero: after `split_to` took the last frame, an
    /// empty `rx` still shares (and keeps alive) the allocation the frame came from.
    fn release_rx(&mut self) {
        if self.rx.is_empty() {
            self.rx = BytesMut::new();
        }
    }
}

/// A message assembled from chunks the state machine already validated.
fn whole_message(kind: DataKind, buf: BytesMut) -> Result<Message, Error> {
    match kind {
        DataKind::Binary => Ok(Message::Binary(buf.freeze())),
        DataKind::Text => Utf8Bytes::try_from_bytes(buf.freeze())
            .map(Message::Text)
            .map_err(|_| Error::Protocol(ProtocolError::InvalidUtf8)),
    }
}

impl Pending {
    fn into_error(self) -> Error {
        match self {
            Self::Protocol(e) => Error::Protocol(e),
            Self::Abnormal => Error::AbnormalClosure,
            Self::Io(e) => Error::Io(e),
        }
    }
}

/// `now + d`, or about 30 years from now if that cannot be represented.
fn far_future_saturating(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 86_400))
}

/// The current time on tokio's clock (so that `tokio::time::pause` works in tests).
fn now() -> std::time::Instant {
    Instant::now().into_std()
}

fn complete_frame_buffered(rx: &[u8]) -> bool {
    frame_len(rx).is_some_and(|n| rx.len() >= n)
}

/// Bytes read per system call when the buffer is empty (read through the stack).
const STACK_READ: usize = 64 << 10;
/// Smallest reservation when reading into a non-empty buffer (a frame in progress).
const READ_CHUNK: usize = 8 << 10;
/// Largest single reservation for a frame whose header announced a large payload: a
/// 1 MiB payload and the longest header (14 bytes), so that a 1 MiB frame is read into
/// one buffer without regrowing it (copying what arrived) for its last bytes.
const MAX_RESERVE: usize = (1 << 20) + 14;
/// Slices per vectored write.
const MAX_SLICES: usize = 64;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use wsgate_proto::Config;

    #[test]
    fn complete_frame_buffered_needs_the_whole_frame() {
        assert!(complete_frame_buffered(&[0x81, 0x01, b'a']));
        assert!(!complete_frame_buffered(&[0x81, 0x02, b'a']));
    }

    /// Found by the `workload` fuzz target: a `recv_stream` dropped after a message's
    /// first frame header arrived (so the message began in streaming mode) made the next
    /// `recv` discard that message's chunks as if it had been abandoned.
    #[tokio::test]
    async fn recv_after_cancelled_recv_stream_keeps_the_message() {
        use futures_util::FutureExt;
        use tokio::io::AsyncWriteExt;

        let (mut peer, io) = tokio::io::duplex(1024);
        let mut ws = crate::WebSocket::from_raw(io, Role::Server, &Config::default(), None);
        // A masked binary frame header (zero mask) announcing 5 bytes, without payload.
        peer.write_all(&[0x82, 0x85, 0, 0, 0, 0]).await.unwrap();
        assert!(ws.recv_stream().now_or_never().is_none());
        peer.write_all(b"hello").await.unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), ws.recv())
            .await
            .expect("the message was lost");
        assert_eq!(got.unwrap().unwrap(), Message::binary(&b"hello"[..]));

        // The same with text in two frames, cut inside a code point.
        peer.write_all(&[0x01, 0x81, 0, 0, 0, 0]).await.unwrap();
        assert!(ws.recv_stream().now_or_never().is_none());
        peer.write_all(&[0xc3, 0x80, 0x81, 0, 0, 0, 0, 0xa9])
            .await
            .unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), ws.recv())
            .await
            .expect("the message was lost");
        assert_eq!(got.unwrap().unwrap(), Message::text("é"));
    }

    /// Found by the `workload` fuzz target: after a write failed (the peer went away),
    /// `recv` returned `None`, a clean end, and the application could not tell that the
    /// peer's last messages were lost. It now reports the failure once.
    #[tokio::test]
    async fn recv_after_a_failed_write_reports_the_failure() {
        let (peer, io) = tokio::io::duplex(64);
        let mut ws = crate::WebSocket::from_raw(io, Role::Server, &Config::default(), None);
        drop(peer);
        let sent = ws.send(Message::binary(vec![7u8; 1000])).await;
        let flushed = ws.flush().await;
        assert!(
            matches!(sent, Err(Error::Io(_))) || matches!(flushed, Err(Error::Io(_))),
            "{sent:?} {flushed:?}"
        );
        let got = tokio::time::timeout(Duration::from_secs(5), ws.recv())
            .await
            .expect("recv returned in time");
        assert!(matches!(got, Some(Err(Error::Io(_)))), "{got:?}");
        assert!(ws.recv().await.is_none());
    }

    /// The fix above must not hand out the tail of a message that a dropped `close`
    /// (which discards what arrives) had already consumed part of.
    #[tokio::test]
    async fn recv_after_cancelled_close_skips_the_partly_discarded_message() {
        use futures_util::FutureExt;
        use tokio::io::AsyncWriteExt;

        let (mut peer, io) = tokio::io::duplex(1024);
        let mut config = Config::default();
        config.stream_chunk_size(2);
        let mut ws = crate::WebSocket::from_raw(io, Role::Server, &config, None);
        // A 6-byte binary message of which 4 bytes arrive while `close` runs.
        peer.write_all(&[0x82, 0x86, 0, 0, 0, 0, b'a', b'b', b'c', b'd'])
            .await
            .unwrap();
        assert!(ws.close(CloseCode::NORMAL, "").now_or_never().is_none());
        peer.write_all(&[b'e', b'f', 0x82, 0x82, 0, 0, 0, 0, b'o', b'k'])
            .await
            .unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), ws.recv())
            .await
            .expect("nothing arrived");
        assert_eq!(got.unwrap().unwrap(), Message::binary(&b"ok"[..]));
    }
}
