//! Received control frames and failure: automatic pongs, the close handshake as seen
//! from the receive side, and failing the connection on a protocol error.

use bytes::Bytes;

use super::{Connection, Event, State};
use crate::clock::Now;
use crate::close::{parse_close, truncate_reason};
use crate::error::ProtocolError;
use crate::message::Message;
use crate::types::OpCode;

impl Connection {
    /// Acts on a complete control frame; returns the event for the application.
    pub(super) fn on_control(
        &mut self,
        op: OpCode,
        payload: Bytes,
        now: &mut Now<'_>,
    ) -> Result<Option<Event>, ProtocolError> {
        let msg = match op {
            OpCode::Ping => {
                if self.state == State::Open {
                    self.queue_control(OpCode::Pong, &payload);
                }
                Message::Ping(payload)
            }
            OpCode::Pong => Message::Pong(payload),
            OpCode::Close => return self.on_close(&payload, now).map(Some),
            OpCode::Continuation | OpCode::Text | OpCode::Binary => return Ok(None),
        };
        Ok(Some(Event::Message(msg)))
    }

    /// The peer's close frame: echo it if we had not closed, then the exchange is done.
    fn on_close(&mut self, payload: &Bytes, now: &mut Now<'_>) -> Result<Event, ProtocolError> {
        let frame = parse_close(payload)?;
        if self.state == State::Open {
            // Echo the code only (an empty close is echoed empty), RFC 6455 §5.5.1.
            let echo = frame.as_ref().map(|f| (f.code, ""));
            self.queue_close(echo);
        }
        self.state = State::Closed;
        self.sending = None;
        self.recv.clear();
        self.timers.arm_close(now, self.config.close_timeout);
        self.peer_close = frame.clone().map(Box::new);
        Ok(Event::Message(Message::Close(frame)))
    }

    /// Fails the connection: queue a close frame for `err` (unless ours was already
    /// sent), stop reading, and let the transport go once the frame is written.
    pub(super) fn fail(&mut self, err: &ProtocolError, now: &mut Now<'_>) {
        if self.state == State::Open {
            let reason = truncate_reason(err.as_str());
            self.queue_close(Some((err.close_code(), reason)));
        }
        self.state = State::Closed;
        self.transport_done = true;
        self.sending = None;
        self.recv.clear();
        self.timers.arm_close(now, self.config.close_timeout);
    }
}
