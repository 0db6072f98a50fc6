//! The send path: data messages (compressed when negotiated), streamed chunks, prepared
//! messages, control frames and our close frame, all appended to the transmit queue.

use bytes::Bytes;

use super::{Connection, State};
use crate::clock::Now;
use crate::close::encode_close;
use crate::error::SendError;
use crate::frame::MAX_CONTROL_PAYLOAD;
use crate::mask_key::next_key;
use crate::message::{DataKind, Message};
use crate::outbuf::FrameSpec;
use crate::prepared::{Framed, PreparedMessage};
use crate::types::{CloseCode, OpCode, Role};
use crate::utf8::Utf8Validator;

/// An outgoing message sent chunk by chunk ([`Connection::send_chunk`]).
#[derive(Debug)]
pub(super) struct SendStream {
    kind: DataKind,
    compressed: bool,
    utf8: Utf8Validator,
}

impl Connection {
    /// See [`Connection::send`].
    pub(super) fn send_message(
        &mut self,
        msg: Message,
        now: &mut Now<'_>,
    ) -> Result<(), SendError> {
        self.timers.on_input(now, false, self.config.ping_interval);
        let (op, payload) = match msg {
            Message::Close(None) => return self.start_close(None, now),
            Message::Close(Some(f)) => {
                return self.start_close(Some((f.code, f.reason.as_str())), now);
            }
            Message::Text(t) => (OpCode::Text, t.into_bytes()),
            Message::Binary(b) => (OpCode::Binary, b),
            Message::Ping(p) => return self.send_control(OpCode::Ping, &p),
            Message::Pong(p) => return self.send_control(OpCode::Pong, &p),
        };
        self.check_can_start_message()?;
        self.queue_data(op, payload);
        Ok(())
    }

    /// See [`Connection::send_prepared`].
    pub(super) fn send_prepared_message(
        &mut self,
        msg: &PreparedMessage,
        now: &mut Now<'_>,
    ) -> Result<(), SendError> {
        let Some(op) = msg.opcode().filter(|op| !op.is_control()) else {
            return self.send_message(msg.message().clone(), now);
        };
        self.timers.on_input(now, false, self.config.ping_interval);
        self.check_can_start_message()?;
        let threshold = self.config.compression_threshold;
        let shared = match self.deflate.as_deref() {
            None => None,
            Some(_) if msg.payload().len() < threshold => None,
            Some(d) if d.tx_no_context_takeover() => {
                d.tx_window().and_then(|w| msg.compressed(d.level(), w))
            }
            // Our context carries over between messages: compress on this connection.
            Some(d) if d.tx_window().is_some() => {
                self.queue_data(op, msg.payload().clone());
                return Ok(());
            }
            Some(_) => None,
        };
        // Incompressible: the uncompressed frame is smaller (see `Config::always_compress`).
        let larger = |c: &Framed| c.frame.len() - c.header_len >= msg.payload().len();
        let shared = shared.filter(|c| self.config.always_compress || !larger(c));
        match (shared, self.role) {
            (Some(c), Role::Server) => self.out.push_raw(c.frame),
            (Some(c), Role::Client) => self
                .out
                .push_copy(self.spec(true, true, op), &c.frame[c.header_len..]),
            (None, Role::Server) => self.out.push_raw(msg.frame_bytes().clone()),
            (None, Role::Client) => self
                .out
                .push_copy(self.spec(true, false, op), msg.payload()),
        }
        Ok(())
    }

    /// See [`Connection::send_chunk`].
    pub(super) fn send_stream_chunk(
        &mut self,
        kind: DataKind,
        data: Bytes,
        fin: bool,
    ) -> Result<(), SendError> {
        self.check_open()?;
        let (first, mut utf8, compressed) = match &self.sending {
            Some(s) if s.kind != kind => return Err(SendError::MessageInProgress),
            Some(s) => (false, s.utf8, s.compressed),
            None => (
                true,
                Utf8Validator::new(),
                self.deflate
                    .as_ref()
                    .is_some_and(|d| d.tx_window().is_some()),
            ),
        };
        if kind == DataKind::Text {
            utf8.feed(&data).map_err(|_| SendError::InvalidUtf8)?;
            if fin {
                utf8.finish().map_err(|_| SendError::InvalidUtf8)?;
            }
        }
        self.sending = (!fin).then_some(SendStream {
            kind,
            compressed,
            utf8,
        });
        let op = match (first, kind) {
            (false, _) => OpCode::Continuation,
            (true, DataKind::Text) => OpCode::Text,
            (true, DataKind::Binary) => OpCode::Binary,
        };
        let deflated = compressed.then(|| {
            self.deflate
                .as_deref_mut()
                .and_then(|d| d.compress(&data, fin))
        });
        let payload = deflated.flatten().map_or(data, Bytes::from);
        let spec = self.spec(fin, first && compressed, op);
        self.out.push_bytes(spec, payload);
        if let (true, Some(d)) = (fin && compressed, self.deflate.as_deref_mut()) {
            d.end_tx_message();
        }
        Ok(())
    }

    /// Sends our close frame and starts the close timeout. See [`Connection::close`].
    pub(super) fn start_close(
        &mut self,
        close: Option<(CloseCode, &str)>,
        now: &mut Now<'_>,
    ) -> Result<(), SendError> {
        self.timers.on_input(now, false, self.config.ping_interval);
        self.check_open()?;
        let (buf, n) = encode_close(close)?;
        self.out
            .push_copy(self.spec(true, false, OpCode::Close), &buf[..n]);
        self.state = State::CloseSent;
        self.sending = None;
        self.timers.arm_close(now, self.config.close_timeout);
        Ok(())
    }

    /// Queues a close frame we owe (an echo or a failure); its code is always sendable.
    pub(super) fn queue_close(&mut self, close: Option<(CloseCode, &str)>) {
        let (buf, n) = encode_close(close).unwrap_or(([0; MAX_CONTROL_PAYLOAD], 0));
        self.out
            .push_copy(self.spec(true, false, OpCode::Close), &buf[..n]);
    }

    /// Queues a control frame whose payload is known to fit.
    pub(super) fn queue_control(&mut self, op: OpCode, payload: &[u8]) {
        self.out.push_copy(self.spec(true, false, op), payload);
    }

    fn send_control(&mut self, op: OpCode, payload: &[u8]) -> Result<(), SendError> {
        self.check_open()?;
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(SendError::ControlFrameTooLong);
        }
        self.queue_control(op, payload);
        Ok(())
    }

    /// Queues a whole data message, compressed when negotiated and worth it: at least
    /// the compression threshold long, and smaller compressed (unless
    /// [`Config::always_compress`](crate::Config::always_compress)).
    fn queue_data(&mut self, op: OpCode, payload: Bytes) {
        let threshold = self.config.compression_threshold;
        let always = self.config.always_compress;
        let deflated = match self.deflate.as_deref_mut() {
            Some(d) if payload.len() >= threshold => match d.compress(&payload, true) {
                Some(c) if !always && c.len() >= payload.len() && !payload.is_empty() => {
                    d.discard_tx_message();
                    d.end_tx_message();
                    None
                }
                c => c.inspect(|_| d.end_tx_message()),
            },
            _ => None,
        };
        let rsv1 = deflated.is_some();
        let payload = deflated.map_or(payload, Bytes::from);
        self.out.push_bytes(self.spec(true, rsv1, op), payload);
    }

    fn check_open(&self) -> Result<(), SendError> {
        if self.state == State::Open {
            Ok(())
        } else {
            Err(SendError::Closed)
        }
    }

    fn check_can_start_message(&self) -> Result<(), SendError> {
        self.check_open()?;
        if self.sending.is_some() {
            return Err(SendError::MessageInProgress);
        }
        Ok(())
    }

    /// Header fields for a frame we send: clients mask with a fresh key.
    fn spec(&self, fin: bool, rsv1: bool, opcode: OpCode) -> FrameSpec {
        let mask = (self.role == Role::Client).then(next_key);
        FrameSpec {
            fin,
            rsv1,
            opcode,
            mask,
        }
    }
}
