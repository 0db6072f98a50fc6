//! The receive path: frame headers, payloads unmasked in place, message assembly,
//! inflation, incremental UTF-8 and streaming chunks. Control frames are handed up to
//! the connection, which owns the close handshake and the transmit queue.

use bytes::{Buf, Bytes, BytesMut};
use std::mem;

use super::Event;
use crate::config::Limits;
use crate::deflate::Deflate;
use crate::error::ProtocolError;
use crate::frame::{DecodeRules, FrameHeader, decode_header};
use crate::mask::apply_mask;
use crate::message::{DataKind, Message, Utf8Bytes};
use crate::types::OpCode;
use crate::utf8::Utf8Validator;

/// What one decoding step produced.
#[derive(Debug)]
pub(super) enum Incoming {
    /// A data message or chunk for the application.
    Data(Event),
    /// A complete control frame (payload unmasked), for the connection to act on.
    Control(OpCode, Bytes),
}

/// Connection settings the receive path needs, borrowed for one call.
pub(super) struct RecvCx<'a> {
    pub(super) rules: DecodeRules,
    pub(super) limits: Limits,
    pub(super) chunk_size: usize,
    pub(super) deflate: Option<&'a mut Deflate>,
}

/// Receive state: the frame whose payload is arriving and the message it belongs to.
#[derive(Debug, Default)]
pub(super) struct Recv {
    frame: Option<InFrame>,
    msg: InMessage,
    /// Whether data messages that start from now on are delivered as chunks.
    pub(super) streaming: bool,
    /// Streaming a compressed message: inflated output may still be pending.
    draining: bool,
}

#[derive(Debug)]
struct InFrame {
    head: FrameHeader,
    /// Payload bytes not yet split off `rx` (some may not have arrived).
    remaining: usize,
    /// Payload bytes already split off (streaming), i.e. the payload offset of `rx[0]`.
    pos: usize,
    /// Bytes at the front of `rx` already unmasked (and UTF-8 checked for text).
    unmasked: usize,
}

#[derive(Debug)]
struct InMessage {
    active: bool,
    kind: DataKind,
    compressed: bool,
    streaming: bool,
    first_sent: bool,
    fin_seen: bool,
    /// Bytes so far: wire bytes when uncompressed, inflated bytes when compressed.
    len: usize,
    buf: Vec<u8>,
    utf8: Utf8Validator,
}

impl Default for InMessage {
    fn default() -> Self {
        Self {
            active: false,
            kind: DataKind::Binary,
            compressed: false,
            streaming: false,
            first_sent: false,
            fin_seen: false,
            len: 0,
            buf: Vec::new(),
            utf8: Utf8Validator::new(),
        }
    }
}

impl Recv {
    /// Decodes from `rx` until an event or control frame is complete or more bytes are needed.
    pub(super) fn poll(
        &mut self,
        rx: &mut BytesMut,
        cx: &mut RecvCx<'_>,
    ) -> Result<Option<Incoming>, ProtocolError> {
        loop {
            if self.draining {
                if let Some(ev) = self.stream_inflate(cx)? {
                    return Ok(Some(Incoming::Data(ev)));
                }
                continue;
            }
            if self.frame.is_none() {
                let Some((head, n)) = decode_header(rx, cx.rules)? else {
                    return Ok(None);
                };
                self.start_frame(head, cx.limits)?;
                rx.advance(n);
            }
            if let Some(step) = self.step_frame(rx, cx)? {
                return Ok(Some(step));
            }
            if self.frame.is_some() {
                return Ok(None);
            }
        }
    }

    /// Drops any partial frame or message (after close or failure).
    pub(super) fn clear(&mut self) {
        *self = Self {
            streaming: self.streaming,
            ..Self::default()
        };
    }

    /// Checks a new header against the message in progress and the size limit.
    fn start_frame(&mut self, head: FrameHeader, limits: Limits) -> Result<(), ProtocolError> {
        let msg = &mut self.msg;
        match head.opcode {
            OpCode::Continuation if !msg.active => {
                return Err(ProtocolError::UnexpectedContinuation);
            }
            OpCode::Text | OpCode::Binary if msg.active => {
                return Err(ProtocolError::ExpectedContinuation);
            }
            OpCode::Text | OpCode::Binary => self.begin_message(head),
            _ => {}
        }
        if !head.opcode.is_control() && !self.msg.compressed {
            let total = self.msg.len.saturating_add(head.len);
            if total > limits.max_message_size {
                return Err(ProtocolError::MessageTooLarge);
            }
            self.msg.len = total;
        }
        self.frame = Some(InFrame {
            head,
            remaining: head.len,
            pos: 0,
            unmasked: 0,
        });
        Ok(())
    }

    fn begin_message(&mut self, head: FrameHeader) {
        self.msg = InMessage {
            active: true,
            kind: if head.opcode == OpCode::Text {
                DataKind::Text
            } else {
                DataKind::Binary
            },
            compressed: head.rsv1,
            streaming: self.streaming,
            buf: mem::take(&mut self.msg.buf),
            ..InMessage::default()
        };
    }

    /// Progress on the current frame. `Ok(None)` with `self.frame` still set means more
    /// bytes are needed; with `self.frame` cleared it means go on to the next frame.
    fn step_frame(
        &mut self,
        rx: &mut BytesMut,
        cx: &mut RecvCx<'_>,
    ) -> Result<Option<Incoming>, ProtocolError> {
        let Some(frame) = &self.frame else {
            return Ok(None);
        };
        let is_data = !frame.head.opcode.is_control();
        if is_data && self.msg.streaming && !self.msg.compressed {
            return Ok(self.stream_plain(rx, cx.chunk_size)?.map(Incoming::Data));
        }
        let remaining = frame.remaining;
        if rx.len() < remaining {
            if is_data && self.msg.compressed && !self.msg.streaming && !rx.is_empty() {
                self.inflate_arrived(rx, cx)?;
                return Ok(None);
            }
            if is_data && self.checks_utf8_early() {
                self.unmask_ahead(rx, rx.len())?;
            }
            return Ok(None);
        }
        self.unmask_ahead(rx, remaining)?;
        let payload = rx.split_to(remaining).freeze();
        let Some(InFrame { head, .. }) = self.frame.take() else {
            return Ok(None);
        };
        if head.opcode.is_control() {
            return Ok(Some(Incoming::Control(head.opcode, payload)));
        }
        Ok(self.data_frame(head, payload, cx)?.map(Incoming::Data))
    }

    /// A compressed frame still arriving: inflates the bytes that did, so that invalid
    /// UTF-8 (1007) and an oversized message (1009) are caught before the frame ends,
    /// and compressed bytes do not pile up in `rx`. The rest of the frame continues the
    /// same deflate stream in [`compressed_frame`](Self::compressed_frame).
    fn inflate_arrived(
        &mut self,
        rx: &mut BytesMut,
        cx: &mut RecvCx<'_>,
    ) -> Result<(), ProtocolError> {
        self.unmask_ahead(rx, rx.len())?;
        let Some(f) = &mut self.frame else {
            return Ok(());
        };
        let n = f.unmasked;
        let part = rx.split_to(n).freeze();
        f.remaining -= n;
        f.pos += n;
        f.unmasked = 0;
        let d = cx
            .deflate
            .as_deref_mut()
            .ok_or(ProtocolError::ReservedBits)?;
        d.rx_pending = part;
        d.rx_tail = false;
        let limit = cx.limits.max_message_size;
        let start = self.msg.buf.len();
        let full = d.inflate(&mut self.msg.buf, limit.saturating_add(1))?;
        if full || self.msg.buf.len() > limit {
            return Err(ProtocolError::MessageTooLarge);
        }
        self.check_text(start)
    }

    /// Whether arriving payload bytes are unmasked and validated before the frame ends.
    fn checks_utf8_early(&self) -> bool {
        self.msg.kind == DataKind::Text && !self.msg.compressed
    }

    /// Unmasks (and, for uncompressed text, validates) `rx[..upto]` of the current
    /// frame's payload, each byte once.
    fn unmask_ahead(&mut self, rx: &mut BytesMut, upto: usize) -> Result<(), ProtocolError> {
        let text = self.checks_utf8_early();
        let Some(f) = &mut self.frame else {
            return Ok(());
        };
        let upto = upto.min(f.remaining).min(rx.len());
        if f.unmasked >= upto {
            return Ok(());
        }
        let fresh = &mut rx[f.unmasked..upto];
        if let Some(key) = f.head.mask {
            apply_mask(fresh, key, f.pos + f.unmasked);
        }
        if text && !f.head.opcode.is_control() {
            self.msg
                .utf8
                .feed(fresh)
                .map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        f.unmasked = upto;
        Ok(())
    }

    /// A complete data frame in whole-message mode (or a compressed one when streaming).
    fn data_frame(
        &mut self,
        head: FrameHeader,
        payload: Bytes,
        cx: &mut RecvCx<'_>,
    ) -> Result<Option<Event>, ProtocolError> {
        if self.msg.compressed {
            return self.compressed_frame(head, payload, cx);
        }
        if !head.fin {
            self.msg.buf.extend_from_slice(&payload);
            return Ok(None);
        }
        let whole = if self.msg.buf.is_empty() {
            payload // a single-frame message: no copy
        } else {
            self.msg.buf.extend_from_slice(&payload);
            Bytes::from(mem::take(&mut self.msg.buf))
        };
        self.finish_message(whole).map(Some)
    }

    fn compressed_frame(
        &mut self,
        head: FrameHeader,
        payload: Bytes,
        cx: &mut RecvCx<'_>,
    ) -> Result<Option<Event>, ProtocolError> {
        let d = cx
            .deflate
            .as_deref_mut()
            .ok_or(ProtocolError::ReservedBits)?;
        d.rx_pending = payload;
        d.rx_tail = head.fin;
        self.msg.fin_seen = head.fin;
        if self.msg.streaming {
            self.draining = true;
            return self.stream_inflate(cx);
        }
        let limit = cx.limits.max_message_size;
        let start = self.msg.buf.len();
        let full = d.inflate(&mut self.msg.buf, limit.saturating_add(1))?;
        if full || self.msg.buf.len() > limit {
            return Err(ProtocolError::MessageTooLarge);
        }
        self.check_text(start)?;
        if !head.fin {
            return Ok(None);
        }
        d.end_rx_message();
        let whole = Bytes::from(mem::take(&mut self.msg.buf));
        self.finish_message(whole).map(Some)
    }

    /// Validates inflated text from `msg.buf[start..]`.
    fn check_text(&mut self, start: usize) -> Result<(), ProtocolError> {
        if self.msg.kind == DataKind::Text {
            let fresh = self.msg.buf.get(start..).unwrap_or_default();
            self.msg
                .utf8
                .feed(fresh)
                .map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        Ok(())
    }

    fn finish_message(&mut self, whole: Bytes) -> Result<Event, ProtocolError> {
        let kind = self.msg.kind;
        self.end_message()?;
        Ok(Event::Message(match kind {
            DataKind::Text => Message::Text(Utf8Bytes::from_validated(whole)),
            DataKind::Binary => Message::Binary(whole),
        }))
    }

    /// Ends the message: a text message must not stop inside a code point.
    fn end_message(&mut self) -> Result<(), ProtocolError> {
        let text = self.msg.kind == DataKind::Text;
        let buf = mem::take(&mut self.msg.buf);
        let utf8 = self.msg.utf8.finish();
        self.msg = InMessage {
            buf,
            ..InMessage::default()
        };
        if text {
            utf8.map_err(|_| ProtocolError::InvalidUtf8)
        } else {
            Ok(())
        }
    }

    /// Streaming, uncompressed: hands out the payload as it arrives, in pieces of at most
    /// `chunk_size`, without waiting for the frame to complete.
    fn stream_plain(
        &mut self,
        rx: &mut BytesMut,
        chunk_size: usize,
    ) -> Result<Option<Event>, ProtocolError> {
        self.unmask_ahead(rx, rx.len())?;
        let Some(f) = &mut self.frame else {
            return Ok(None);
        };
        let want = f.remaining.min(chunk_size);
        if rx.len() < want {
            return Ok(None);
        }
        let fin = f.head.fin && f.remaining == want;
        let data = rx.split_to(want).freeze();
        f.remaining -= want;
        f.pos += want;
        f.unmasked -= want;
        if f.remaining == 0 {
            self.frame = None;
        }
        if data.is_empty() && !fin {
            return Ok(None);
        }
        self.chunk(data, fin).map(Some)
    }

    /// Streaming, compressed: inflates pending input into one chunk.
    fn stream_inflate(&mut self, cx: &mut RecvCx<'_>) -> Result<Option<Event>, ProtocolError> {
        let Some(d) = cx.deflate.as_deref_mut() else {
            self.draining = false;
            return Ok(None);
        };
        let budget = cx.limits.max_message_size.saturating_sub(self.msg.len);
        let mut out = Vec::new();
        let full = d.inflate(&mut out, cx.chunk_size.min(budget.saturating_add(1)))?;
        if out.len() > budget {
            return Err(ProtocolError::MessageTooLarge);
        }
        self.msg.len += out.len();
        if self.msg.kind == DataKind::Text {
            self.msg
                .utf8
                .feed(&out)
                .map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        self.draining = full || d.rx_busy();
        let fin = !self.draining && self.msg.fin_seen;
        if fin {
            d.end_rx_message();
        } else if out.is_empty() {
            return Ok(None);
        }
        self.chunk(Bytes::from(out), fin).map(Some)
    }

    fn chunk(&mut self, data: Bytes, fin: bool) -> Result<Event, ProtocolError> {
        let kind = self.msg.kind;
        let first = !self.msg.first_sent;
        self.msg.first_sent = true;
        if fin {
            self.end_message()?;
        }
        Ok(Event::Chunk {
            kind,
            data,
            first,
            fin,
        })
    }
}
