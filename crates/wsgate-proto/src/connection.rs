//! The connection state machine. CONTRACT FILE: the public signatures below are what the
//! `wsgate` crate codes against; implementations may change, signatures may only grow.

use bytes::{Bytes, BytesMut};
use std::io::IoSlice;
use std::time::Instant;

use crate::config::Config;
use crate::error::{ProtocolError, SendError};
use crate::message::{CloseFrame, DataKind, Message};
use crate::pmd::PerMessageDeflate;
use crate::prepared::PreparedMessage;
use crate::types::{CloseCode, Role};

/// What the peer sent, as decoded by [`Connection::poll_event`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A whole message: text, binary, ping, pong or close.
    ///
    /// Pings are answered automatically (the pong is queued for transmit before the event
    /// is returned). A received close is echoed automatically if we had not sent one.
    Message(Message),
    /// Streaming mode only ([`Connection::set_streaming`]): part of a data message.
    /// Text chunks are valid UTF-8 on their own only when `fin` is set for the whole
    /// message; the message as a whole is validated incrementally (fail fast).
    Chunk {
        /// Text or binary, from the first frame of the message.
        kind: DataKind,
        /// The (decompressed) bytes, at most [`Config::stream_chunk_size`].
        data: Bytes,
        /// Whether this is the first chunk of the message.
        first: bool,
        /// Whether this is the last chunk of the message.
        fin: bool,
    },
}

/// Where the close handshake stands (RFC 6455 §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// We sent a close frame and wait for the peer's.
    CloseSent,
    /// The peer sent a close frame; our echo is queued or sent.
    CloseReceived,
    /// Both close frames were exchanged, the connection failed, or the close timed out.
    /// Nothing more is read or sent; the transport should be closed once
    /// [`Connection::transmit_len`] is zero (see [`Connection::should_close_transport`]).
    Closed,
}

/// A sans-IO WebSocket connection for one role.
///
/// Call order, repeated by the driver until nothing changes:
/// 1. inputs: [`handle_read`](Self::poll_event) happens implicitly in
///    [`poll_event`](Self::poll_event), which decodes from the caller's receive buffer;
///    [`handle_timeout`](Self::handle_timeout) when [`poll_timeout`](Self::poll_timeout)
///    elapses; [`handle_eof`](Self::handle_eof) when the transport reads EOF;
/// 2. commands: [`send`](Self::send), [`send_prepared`](Self::send_prepared),
///    [`send_chunk`](Self::send_chunk), [`close`](Self::close);
/// 3. outputs: [`transmit_slices`](Self::transmit_slices) then
///    [`advance_transmit`](Self::advance_transmit) for the bytes written;
///    [`poll_timeout`](Self::poll_timeout) to arm the timer;
///    [`should_close_transport`](Self::should_close_transport).
#[derive(Debug)]
pub struct Connection {
    _todo: (),
}

impl Connection {
    /// A connection in the [`State::Open`] state after a successful handshake.
    /// `deflate` is the negotiated permessage-deflate, if any.
    pub fn new(role: Role, config: &Config, deflate: Option<PerMessageDeflate>) -> Self {
        let _ = (role, config, deflate);
        todo!()
    }

    /// Our role.
    pub fn role(&self) -> Role {
        todo!()
    }

    /// The close-handshake state.
    pub fn state(&self) -> State {
        todo!()
    }

    /// Switches between whole messages ([`Event::Message`], the default) and chunks
    /// ([`Event::Chunk`]) for data messages that start after this call.
    pub fn set_streaming(&mut self, on: bool) {
        let _ = on;
        todo!()
    }

    /// Decodes the next event from `rx`, consuming the bytes it used (payloads are split
    /// off without copying and unmasked in place). `Ok(None)` means more bytes are needed,
    /// or the connection no longer reads (closed).
    ///
    /// # Errors
    /// A [`ProtocolError`] when the peer violated the protocol. The connection has then
    /// queued a close frame with [`ProtocolError::close_code`] and moved to
    /// [`State::Closed`]; flush the transmit queue, then close the transport.
    pub fn poll_event(
        &mut self,
        rx: &mut BytesMut,
        now: Instant,
    ) -> Result<Option<Event>, ProtocolError> {
        let _ = (rx, now);
        todo!()
    }

    /// The transport reached EOF. If the close handshake had not completed this is an
    /// abnormal closure (1006); the state becomes [`State::Closed`] either way.
    pub fn handle_eof(&mut self) {
        todo!()
    }

    /// Advances timers: keepalive pings, the pong deadline, the close timeout.
    ///
    /// # Errors
    /// [`ProtocolError::Timeout`] when the keepalive deadline passed (a close frame with
    /// 1008... is queued and the state is [`State::Closed`]).
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), ProtocolError> {
        let _ = now;
        todo!()
    }

    /// The next instant at which [`handle_timeout`](Self::handle_timeout) must be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        todo!()
    }

    /// Queues a message (data or control). Data messages are compressed when
    /// permessage-deflate was negotiated and the payload reaches the threshold.
    /// Sending `Message::Close` is the same as [`close`](Self::close).
    ///
    /// # Errors
    /// [`SendError`] on misuse: sending after close, oversized control frames, a data
    /// message while a streamed message is open.
    pub fn send(&mut self, msg: Message, now: Instant) -> Result<(), SendError> {
        let _ = (msg, now);
        todo!()
    }

    /// Queues a message encoded once for many connections. As a server this shares the
    /// prepared wire bytes without copying (and its compressed form when the negotiated
    /// parameters allow); as a client it masks a copy.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub fn send_prepared(&mut self, msg: &PreparedMessage, now: Instant) -> Result<(), SendError> {
        let _ = (msg, now);
        todo!()
    }

    /// Queues one chunk of a streamed data message (gorilla's NextWriter): the first call
    /// opens a message of `kind`, `fin` ends it. Control frames may be sent in between.
    ///
    /// # Errors
    /// [`SendError::MessageInProgress`] when `kind` differs from the open message's,
    /// [`SendError::Closed`] after close.
    pub fn send_chunk(&mut self, kind: DataKind, data: Bytes, fin: bool) -> Result<(), SendError> {
        let _ = (kind, data, fin);
        todo!()
    }

    /// Starts the close handshake with `code` and `reason` (at most 123 bytes).
    /// The close timeout starts at `now`.
    ///
    /// # Errors
    /// [`SendError::Closed`] if a close frame was already sent,
    /// [`SendError::InvalidCloseCode`], [`SendError::ControlFrameTooLong`].
    pub fn close(&mut self, code: CloseCode, reason: &str, now: Instant) -> Result<(), SendError> {
        let _ = (code, reason, now);
        todo!()
    }

    /// Bytes queued for the transport. Drivers use it for backpressure.
    pub fn transmit_len(&self) -> usize {
        todo!()
    }

    /// Fills `dst` with slices of the queued bytes, in order, for one vectored write.
    /// Returns how many slices were filled.
    pub fn transmit_slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let _ = dst;
        todo!()
    }

    /// Drops `n` bytes from the front of the transmit queue after they were written.
    pub fn advance_transmit(&mut self, n: usize) {
        let _ = n;
        todo!()
    }

    /// Whether the driver should now shut down the transport: the state is
    /// [`State::Closed`] and the transmit queue is empty. (A server closes TCP first
    /// after the close exchange, RFC 6455 §7.1.1; a client waits for the server to,
    /// until the close timeout.)
    pub fn should_close_transport(&self) -> bool {
        todo!()
    }

    /// The close frame the peer sent, once received.
    pub fn peer_close(&self) -> Option<&CloseFrame> {
        todo!()
    }
}
