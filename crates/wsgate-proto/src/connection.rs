//! The connection state machine. CONTRACT FILE: the public signatures below are what the
//! `wsgate` crate codes against; implementations may change, signatures may only grow.

mod control;
mod recv;
mod send;
mod timers;

use bytes::{Bytes, BytesMut};
use std::io::IoSlice;
use std::sync::Arc;
use std::time::Instant;

use crate::clock::{Clock, Now};
use crate::config::Config;
use crate::deflate::Deflate;
use crate::error::{ProtocolError, SendError};
use crate::frame::DecodeRules;
use crate::message::{CloseFrame, DataKind, Message};
use crate::outbuf::OutQueue;
use crate::pmd::PerMessageDeflate;
use crate::prepared::PreparedMessage;
use crate::types::{CloseCode, Role};

use recv::{Incoming, Recv, RecvCx};
use send::SendStream;
use timers::Timers;

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
    role: Role,
    state: State,
    /// EOF, a failure or the close timeout: the transport may go once the queue drains.
    transport_done: bool,
    /// Shared by every connection of an acceptor or connector: 8 bytes, not 88.
    config: Arc<Config>,
    recv: Recv,
    out: OutQueue,
    sending: Option<SendStream>,
    deflate: Option<Box<Deflate>>,
    timers: Timers,
    peer_close: Option<Box<CloseFrame>>,
    /// `rx.len()` when the last `poll_event` returned: a different length means new bytes.
    rx_seen: usize,
}

impl Connection {
    /// A connection in the [`State::Open`] state after a successful handshake.
    /// `deflate` is the negotiated permessage-deflate, if any.
    ///
    /// This copies `config` into a new allocation; servers and clients that make many
    /// connections share one with [`with_config`](Self::with_config).
    pub fn new(role: Role, config: &Config, deflate: Option<PerMessageDeflate>) -> Self {
        Self::with_config(role, Arc::new(*config), deflate)
    }

    /// Like [`new`](Self::new), sharing `config` with other connections.
    pub fn with_config(
        role: Role,
        config: Arc<Config>,
        deflate: Option<PerMessageDeflate>,
    ) -> Self {
        let level = config.compression_level;
        Self {
            role,
            state: State::Open,
            transport_done: false,
            config,
            recv: Recv::default(),
            out: OutQueue::default(),
            sending: None,
            deflate: deflate.map(|params| Box::new(Deflate::new(role, params, level))),
            timers: Timers::default(),
            peer_close: None,
            rx_seen: 0,
        }
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The settings this connection runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The close-handshake state.
    ///
    /// This implementation moves from [`State::Open`] to [`State::CloseSent`] when we
    /// close, and to [`State::Closed`] when the exchange completes, the peer closes (our
    /// echo is then queued), the connection fails, times out or reads EOF.
    /// [`State::CloseReceived`] is not entered: echoes are queued at once.
    pub fn state(&self) -> State {
        self.state
    }

    /// Switches between whole messages ([`Event::Message`], the default) and chunks
    /// ([`Event::Chunk`]) for data messages that start after this call.
    pub fn set_streaming(&mut self, on: bool) {
        self.recv.streaming = on;
    }

    /// Decodes the next event from `rx`, consuming the bytes it used (payloads are split
    /// off without copying and unmasked in place). `Ok(None)` means more bytes are needed,
    /// or the connection no longer reads (closed).
    ///
    /// After we sent a close frame, data messages from the peer are still decoded and
    /// delivered until its close frame arrives (pings are delivered but not answered:
    /// nothing follows our close frame). Once no longer reading, any bytes in `rx` are
    /// discarded.
    ///
    /// # Errors
    /// A [`ProtocolError`] when the peer violated the protocol. The connection has then
    /// queued a close frame with [`ProtocolError::close_code`] and moved to
    /// [`State::Closed`]; flush the transmit queue, then close the transport.
    pub fn poll_event(
        &mut self,
        rx: &mut BytesMut,
        mut now: impl Clock,
    ) -> Result<Option<Event>, ProtocolError> {
        let now = &mut Now::new(&mut now);
        if !matches!(self.state, State::Open | State::CloseSent) {
            rx.clear();
            self.rx_seen = 0;
            return Ok(None);
        }
        self.timers
            .on_input(now, rx.len() != self.rx_seen, self.config.ping_interval);
        let result = self.decode(rx, now);
        self.rx_seen = rx.len();
        if let Err(e) = &result {
            self.fail(e, now);
        }
        result
    }

    /// The transport reached EOF. If the close handshake had not completed this is an
    /// abnormal closure (1006); the state becomes [`State::Closed`] either way.
    pub fn handle_eof(&mut self) {
        self.state = State::Closed;
        self.transport_done = true;
        self.sending = None;
        self.recv.clear();
    }

    /// Advances timers: keepalive pings, the pong deadline, the close timeout.
    ///
    /// # Errors
    /// [`ProtocolError::Timeout`] when the keepalive deadline passed (a close frame with
    /// 1008 (policy violation) is queued and the state is [`State::Closed`]).
    pub fn handle_timeout(&mut self, mut now: impl Clock) -> Result<(), ProtocolError> {
        self.on_timeout(&mut Now::new(&mut now))
    }

    /// The next instant at which [`handle_timeout`](Self::handle_timeout) must be called.
    ///
    /// Timers are anchored at the first `Instant` passed to any method, so drivers
    /// should call [`poll_event`](Self::poll_event) once right after the handshake.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_timeout()
    }

    /// Queues a message (data or control). Data messages are compressed when
    /// permessage-deflate was negotiated and the payload reaches the threshold.
    /// Sending `Message::Close` is the same as [`close`](Self::close).
    ///
    /// # Errors
    /// [`SendError`] on misuse: sending after close, oversized control frames, a data
    /// message while a streamed message is open.
    pub fn send(&mut self, msg: Message, mut now: impl Clock) -> Result<(), SendError> {
        self.send_message(msg, &mut Now::new(&mut now))
    }

    /// Queues a message encoded once for many connections. As a server this shares the
    /// prepared wire bytes without copying (and its compressed form when the negotiated
    /// parameters allow); as a client it masks a copy.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub fn send_prepared(
        &mut self,
        msg: &PreparedMessage,
        mut now: impl Clock,
    ) -> Result<(), SendError> {
        self.send_prepared_message(msg, &mut Now::new(&mut now))
    }

    /// Queues one chunk of a streamed data message (gorilla's NextWriter): the first call
    /// opens a message of `kind`, `fin` ends it. Control frames may be sent in between.
    ///
    /// # Errors
    /// [`SendError::MessageInProgress`] when `kind` differs from the open message's,
    /// [`SendError::Closed`] after close, [`SendError::InvalidUtf8`] when text chunks
    /// are not valid UTF-8 so far (the chunk is then not sent).
    pub fn send_chunk(&mut self, kind: DataKind, data: Bytes, fin: bool) -> Result<(), SendError> {
        self.send_stream_chunk(kind, data, fin)
    }

    /// Starts the close handshake with `code` and `reason` (at most 123 bytes).
    /// The close timeout starts at `now`.
    ///
    /// # Errors
    /// [`SendError::Closed`] if a close frame was already sent,
    /// [`SendError::InvalidCloseCode`], [`SendError::ControlFrameTooLong`].
    pub fn close(
        &mut self,
        code: CloseCode,
        reason: &str,
        mut now: impl Clock,
    ) -> Result<(), SendError> {
        self.start_close(Some((code, reason)), &mut Now::new(&mut now))
    }

    /// Bytes queued for the transport. Drivers use it for backpressure.
    pub fn transmit_len(&self) -> usize {
        self.out.len()
    }

    /// Fills `dst` with slices of the queued bytes, in order, for one vectored write.
    /// Returns how many slices were filled.
    pub fn transmit_slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        self.out.slices(dst)
    }

    /// Drops `n` bytes from the front of the transmit queue after they were written.
    /// Once the queue is empty its buffers are released.
    pub fn advance_transmit(&mut self, n: usize) {
        self.out.advance(n);
    }

    /// Whether the driver should now shut down the transport: the state is
    /// [`State::Closed`] and the transmit queue is empty. (A server closes TCP first
    /// after the close exchange, RFC 6455 §7.1.1; a client waits for the server to,
    /// until the close timeout.)
    ///
    /// For a client that completed the close exchange this stays `false` until
    /// [`handle_eof`](Self::handle_eof) or the close timeout; after a protocol failure
    /// it is `true` for both roles once the close frame is written.
    pub fn should_close_transport(&self) -> bool {
        self.state == State::Closed
            && self.out.len() == 0
            && (self.role == Role::Server || self.transport_done)
    }

    /// The close frame the peer sent, once received.
    pub fn peer_close(&self) -> Option<&CloseFrame> {
        self.peer_close.as_deref()
    }

    /// Whether a permessage-deflate context is currently allocated (they are made on
    /// first use and dropped after each message without context takeover).
    pub fn holds_deflate_context(&self) -> bool {
        self.deflate.as_ref().is_some_and(|d| d.holds_contexts())
    }

    /// Runs the receive path until an event, a protocol error, or more bytes are needed.
    fn decode(
        &mut self,
        rx: &mut BytesMut,
        now: &mut Now<'_>,
    ) -> Result<Option<Event>, ProtocolError> {
        loop {
            let mut cx = RecvCx {
                rules: DecodeRules {
                    role: self.role,
                    deflate: self.deflate.is_some(),
                    max_frame_size: self.config.limits.max_frame_size,
                },
                limits: self.config.limits,
                chunk_size: self.config.stream_chunk_size,
                deflate: self.deflate.as_deref_mut(),
            };
            match self.recv.poll(rx, &mut cx)? {
                None => return Ok(None),
                Some(Incoming::Data(ev)) => return Ok(Some(ev)),
                Some(Incoming::Control(op, payload)) => {
                    if let Some(ev) = self.on_control(op, payload, now)? {
                        return Ok(Some(ev));
                    }
                }
            }
        }
    }
}
