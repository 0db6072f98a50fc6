//! [`WebSocket`]: one connection and the user-facing half of the driver loop.

use bytes::BytesMut;
use std::future::{Future, poll_fn};
use std::sync::Arc;
use std::task::{Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite};
use wsgate_proto::{
    CloseCode, Config, Connection, DataKind, Message, PerMessageDeflate, PreparedMessage, Role,
};

use crate::driver::Driver;
use crate::error::Error;
use crate::split::{self, ReadHalf, WriteHalf};
use crate::streaming::{MessageReader, MessageWriter};

/// Default size of the write queue above which `send` waits: 128 KiB.
pub const DEFAULT_WRITE_BUFFER: usize = 128 << 10;

/// A WebSocket connection over any `AsyncRead + AsyncWrite` transport.
///
/// Methods drive the connection in place (there is no background task): pings are
/// answered and keepalive timers fire while a `recv`, `send`, `flush` or `close` future
/// is being polled. An application that does not call `recv` for a long time should
/// [`split`](Self::split) the socket.
///
/// # Cancel safety
/// `recv`, `recv_stream`, `flush` and `close` are cancel-safe: dropping the future loses
/// nothing (an event is handed out only in the poll that returns it; everything else
/// stays in the driver). `send`, `feed`, `send_prepared` and [`MessageWriter::write`] are
/// cancel-safe too: their futures are pending only *before* the message is queued
/// (while waiting for room in the write queue), so a dropped future sent nothing and a
/// completed one queued its whole message. [`MessageReader::next_chunk`] is cancel-safe.
#[derive(Debug)]
pub struct WebSocket<S> {
    pub(crate) driver: Driver<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Wraps a transport on which the opening handshake already completed.
    /// `deflate` is the negotiated permessage-deflate, if any.
    pub fn from_raw(
        stream: S,
        role: Role,
        config: &Config,
        deflate: Option<PerMessageDeflate>,
    ) -> Self {
        Self::from_parts(stream, role, config, deflate, BytesMut::new(), None)
    }

    /// Like [`from_raw`](Self::from_raw), with bytes already read after the handshake
    /// head and the negotiated subprotocol.
    pub fn from_parts(
        stream: S,
        role: Role,
        config: &Config,
        deflate: Option<PerMessageDeflate>,
        read_buf: BytesMut,
        protocol: Option<String>,
    ) -> Self {
        let config = Arc::new(*config);
        Self::from_shared(stream, role, config, deflate, read_buf, protocol)
    }

    /// [`from_parts`](Self::from_parts) with a `Config` shared by many connections.
    pub(crate) fn from_shared(
        stream: S,
        role: Role,
        config: Arc<Config>,
        deflate: Option<PerMessageDeflate>,
        read_buf: BytesMut,
        protocol: Option<String>,
    ) -> Self {
        let conn = Connection::with_config(role, config, deflate);
        Self {
            driver: Driver::new(stream, conn, read_buf, protocol),
        }
    }

    /// Receives the next message. Ping, pong and close frames are delivered too (pings
    /// are answered automatically). Returns `None` once the connection is closed.
    ///
    /// # Errors
    /// [`Error::Protocol`] when the peer violated the protocol (after our close frame
    /// was flushed), [`Error::AbnormalClosure`] on EOF without a close frame,
    /// [`Error::Io`] on transport errors. Each is returned once, then `None`.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| self.driver.poll_message(cx)).await
    }

    /// Queues a message and writes it, unless more input is already buffered (then the
    /// next `recv` writes it with the replies to that input, in one system call). Waits
    /// while the write queue is over the write buffer size.
    ///
    /// # Errors
    /// [`Error::Closed`] after a close frame was sent, [`Error::Send`] on misuse,
    /// [`Error::Io`] on transport errors.
    pub fn send(
        &mut self,
        msg: impl Into<Message>,
    ) -> impl Future<Output = Result<(), Error>> + '_ {
        // Converted before the future is made, so that the future holds one `Message`.
        let mut msg = Some(msg.into());
        poll_fn(move |cx| {
            ready!(self.driver.poll_send_ready(cx))?;
            if let Some(msg) = msg.take() {
                self.driver.queue(msg)?;
            }
            Poll::Ready(self.driver.write_eager(cx))
        })
    }

    /// Queues a message without writing it (it is written by the next `recv` that would
    /// block, `send`, [`flush`](Self::flush), or once the queue passes the write buffer
    /// size). Waits while the write queue is over the write buffer size.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn feed(&mut self, msg: impl Into<Message>) -> Result<(), Error> {
        let msg = msg.into();
        poll_fn(|cx| self.driver.poll_send_ready(cx)).await?;
        self.driver.queue(msg)
    }

    /// Sends a message prepared once for many connections (the encoded bytes are shared).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_prepared(&mut self, msg: &PreparedMessage) -> Result<(), Error> {
        poll_fn(|cx| {
            ready!(self.driver.poll_send_ready(cx))?;
            self.driver.queue_prepared(msg)?;
            Poll::Ready(self.driver.write_eager(cx))
        })
        .await
    }

    /// Queues a prepared message without writing it, as [`feed`](Self::feed) does.
    /// Fan-out loops feed every message they have, and the next `recv` that would block
    /// (or [`flush`](Self::flush)) writes them in one system call.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn feed_prepared(&mut self, msg: &PreparedMessage) -> Result<(), Error> {
        poll_fn(|cx| self.driver.poll_send_ready(cx)).await?;
        self.driver.queue_prepared(msg)
    }

    /// Writes everything queued and flushes the transport.
    ///
    /// # Errors
    /// [`Error::Io`] on transport errors.
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.driver.poll_flush(cx)).await
    }

    /// Starts the close handshake and waits for it to complete or for the close timeout.
    /// Messages received meanwhile are discarded. Calling it again after the peer or we
    /// already started closing just waits for the end.
    ///
    /// # Errors
    /// [`Error::Send`] for a close code that may not be sent or a reason over 123 bytes,
    /// [`Error::Io`] on transport errors.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.driver.start_close(code, reason)?;
        poll_fn(|cx| self.driver.poll_closed(cx)).await
    }

    /// The subprotocol negotiated in the opening handshake.
    pub fn protocol(&self) -> Option<&str> {
        self.driver.protocol()
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.driver.conn.role()
    }

    /// The close-handshake state.
    pub fn state(&self) -> wsgate_proto::State {
        self.driver.conn.state()
    }

    /// Sets the write queue size above which `send` waits. Default is 128 KiB.
    pub fn set_write_buffer_size(&mut self, n: usize) -> &mut Self {
        self.driver.high_water = n.max(1);
        self
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.driver.io
    }

    /// The transport, mutably. Reading or writing it directly corrupts the stream.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.driver.io
    }

    /// Receives the next data message chunk by chunk (at most
    /// [`Config::stream_chunk_size`] bytes each), without buffering it whole. Control
    /// frames in between are handled (pings answered) and not returned. `None` once the
    /// connection is closed (including when the peer's close frame arrives).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    pub async fn recv_stream(&mut self) -> Option<Result<MessageReader<'_, S>, Error>> {
        let first = poll_fn(|cx| self.driver.poll_first_chunk(cx)).await?;
        Some(first.map(|(kind, chunk, fin)| MessageReader::new(self, kind, chunk, fin)))
    }

    /// Starts a streamed outgoing message of `kind`; write it chunk by chunk with
    /// [`MessageWriter::write`] and end it with [`MessageWriter::finish`]. Waits while the
    /// write queue is over the write buffer size.
    pub async fn send_stream(&mut self, kind: DataKind) -> MessageWriter<'_, S> {
        let _ = poll_fn(|cx| self.driver.poll_send_ready(cx)).await;
        MessageWriter::new(self, kind)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> WebSocket<S> {
    /// Splits the connection into a reading and a writing half, moving the driver loop
    /// into a small task (see [`split`](crate::split) for the design). Must be called
    /// within a tokio runtime.
    pub fn split(self) -> (ReadHalf<S>, WriteHalf<S>) {
        split::spawn(self)
    }
}
