//! Messages encoded once and sent to many connections (broadcast).

use bytes::{Bytes, BytesMut};
use std::sync::{Arc, OnceLock};

use crate::close::encode_close;
use crate::deflate::compress_message;
use crate::frame::{encode_header, header_len};
use crate::message::Message;
use crate::types::OpCode;

/// A data message framed once, for sending the same bytes to many connections with
/// [`crate::Connection::send_prepared`]. Cheap to clone (reference-counted).
///
/// The uncompressed frame is made eagerly (server role: unmasked). A compressed frame
/// is made lazily, once per window size, and shared only by connections whose own
/// compressor has no context takeover (a shared frame bypasses the connection's
/// compressor, so a connection that keeps context compresses the message itself).
#[derive(Clone, Debug)]
pub struct PreparedMessage {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    msg: Message,
    opcode: Option<OpCode>,
    payload: Bytes,
    frame: Bytes,
    /// Compressed frames for window bits 9..=15 (`None` inside: compression failed).
    compressed: [OnceLock<Option<Framed>>; 7],
}

/// A complete server-role frame and the length of its header.
#[derive(Clone, Debug)]
pub(crate) struct Framed {
    pub(crate) frame: Bytes,
    pub(crate) header_len: usize,
}

impl PreparedMessage {
    /// Frames `msg` (text or binary) for the server role. The compressed form is
    /// made lazily, once, the first time a connection whose negotiated parameters
    /// allow sharing it asks for it.
    ///
    /// Control messages are accepted too; `send_prepared` then sends them like
    /// [`crate::Connection::send`] does.
    pub fn new(msg: Message) -> Self {
        let (opcode, payload) = split(&msg);
        let frame = opcode.map_or_else(Bytes::new, |op| frame(op, false, &payload).frame);
        let inner = Inner {
            msg,
            opcode,
            payload,
            frame,
            compressed: Default::default(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The message this was prepared from.
    pub fn message(&self) -> &Message {
        &self.inner.msg
    }

    /// The uncompressed wire frame (server role: unmasked), shared by every server
    /// connection that sends it uncompressed. Empty for an unsendable close message.
    pub fn frame_bytes(&self) -> &Bytes {
        &self.inner.frame
    }

    /// The payload.
    pub(crate) fn payload(&self) -> &Bytes {
        &self.inner.payload
    }

    /// The opcode, `None` for a close message whose code may not be sent.
    pub(crate) fn opcode(&self) -> Option<OpCode> {
        self.inner.opcode
    }

    /// The compressed frame for a compressor with `bits` window and no context
    /// takeover, made on first request (`level` is the requester's).
    pub(crate) fn compressed(&self, level: u32, bits: u8) -> Option<Framed> {
        let slot = self
            .inner
            .compressed
            .get(usize::from(bits.clamp(9, 15) - 9))?;
        slot.get_or_init(|| {
            let op = self.inner.opcode.filter(|op| !op.is_control())?;
            let data = compress_message(&self.inner.payload, level, bits)?;
            Some(frame(op, true, &data))
        })
        .clone()
    }
}

fn split(msg: &Message) -> (Option<OpCode>, Bytes) {
    match msg {
        Message::Text(t) => (Some(OpCode::Text), t.clone().into_bytes()),
        Message::Binary(b) => (Some(OpCode::Binary), b.clone()),
        Message::Ping(p) => (Some(OpCode::Ping), p.clone()),
        Message::Pong(p) => (Some(OpCode::Pong), p.clone()),
        Message::Close(c) => {
            let close = c.as_ref().map(|f| (f.code, f.reason.as_str()));
            match encode_close(close) {
                Ok((buf, n)) => (Some(OpCode::Close), Bytes::copy_from_slice(&buf[..n])),
                Err(_) => (None, Bytes::new()),
            }
        }
    }
}

fn frame(op: OpCode, rsv1: bool, payload: &[u8]) -> Framed {
    let header_len = header_len(payload.len(), false);
    let mut buf = BytesMut::with_capacity(header_len + payload.len());
    encode_header(&mut buf, true, rsv1, op, payload.len(), None);
    buf.extend_from_slice(payload);
    Framed {
        frame: buf.freeze(),
        header_len,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn frames_once_for_the_server_role() {
        let p = PreparedMessage::new(Message::text("Hello"));
        assert_eq!(&p.frame_bytes()[..], b"\x81\x05Hello");
        let q = p.clone();
        assert_eq!(q.frame_bytes().as_ptr(), p.frame_bytes().as_ptr());
    }

    #[test]
    fn compressed_frame_is_made_once_per_window() {
        let p = PreparedMessage::new(Message::text("Hello Hello Hello Hello"));
        let a = p.compressed(1, 15).unwrap();
        let b = p.compressed(9, 15).unwrap();
        assert_eq!(a.frame.as_ptr(), b.frame.as_ptr());
        assert_eq!(&a.frame[..2], b"\xc1\x0a");
        assert_eq!(a.header_len, 2);
    }

    /// RFC 7692 §7.2.3.1.
    #[test]
    fn hello_is_compressed_as_in_the_rfc() {
        let p = PreparedMessage::new(Message::text("Hello"));
        let c = p.compressed(1, 15).unwrap();
        assert_eq!(&c.frame[..], b"\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00");
    }
}
