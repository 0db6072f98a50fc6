//! permessage-deflate (RFC 7692) compression contexts for one connection.
//!
//! Send: raw deflate with a sync flush per message (or per streamed chunk), the trailing
//! `00 00 ff ff` of the final frame stripped (§7.2.1). Receive: the frames' payloads are
//! inflated as they arrive and `00 00 ff ff` is appended at the end of the message
//! (§7.2.2). Inflation runs in bounded output steps and stops at the caller's limit, so
//! a decompression bomb costs at most the limit in memory and time.
//!
//! Contexts are allocated on first use. When a side's `no_context_takeover` applies, its
//! context is borrowed from a per-thread [`pool`] for each message and returned at the
//! end of it, so idle connections hold no zlib state and a message does not pay for a
//! new context.
//!
//! **Window bits 8.** zlib (and zlib-rs, through flate2) cannot make a raw deflate
//! stream with an 8-bit window: flate2 rejects it (`window_bits must be within 9 ..= 15`)
//! and zlib silently raises it to 9. A window-9 compressor may emit back-references up
//! to 512 bytes, which a peer that negotiated 8 may not be able to resolve, so it is not
//! safe. When our own compressor negotiated 8 we therefore never compress: RFC 7692 lets
//! a sender leave any message uncompressed (RSV1 clear), which is valid for every window,
//! costs no CPU, and is smaller than stored (level-0) blocks would be. Inflating with a
//! larger window than negotiated is always safe, so a peer's 8 is inflated with 9.

use bytes::{Buf, Bytes};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

mod pool;

use crate::error::ProtocolError;
use crate::pmd::PerMessageDeflate;
use crate::types::Role;

/// The 4 bytes a sync flush ends with; stripped on send, appended on receive.
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];
const MIN_STEP: usize = 1024;
const MAX_STEP: usize = 256 << 10;

/// Both directions' deflate state for one connection.
#[derive(Debug)]
pub(crate) struct Deflate {
    params: PerMessageDeflate,
    role: Role,
    level: u32,
    /// Boxed (144 bytes each inline): a deflate connection holds 64 bytes while idle.
    compressor: Option<Box<Compress>>,
    decompressor: Option<Box<Decompress>>,
    /// Received compressed bytes not yet inflated (streaming mode resumes from here).
    pub(crate) rx_pending: Bytes,
    /// The message's final frame arrived: inflate [`TAIL`] after `rx_pending`.
    pub(crate) rx_tail: bool,
}

impl Deflate {
    /// Contexts for `role` under the negotiated `params`; nothing is allocated yet.
    pub(crate) fn new(role: Role, params: PerMessageDeflate, level: u32) -> Self {
        Self {
            params,
            role,
            level: level.min(9),
            compressor: None,
            decompressor: None,
            rx_pending: Bytes::new(),
            rx_tail: false,
        }
    }

    /// Our compressor's window, or `None` when we must not compress (8 bits, see above).
    pub(crate) fn tx_window(&self) -> Option<u8> {
        let bits = match self.role {
            Role::Server => self.params.server_max_window_bits,
            Role::Client => self.params.client_max_window_bits,
        };
        (9..=15).contains(&bits).then_some(bits)
    }

    /// Whether our compressor starts fresh for every message.
    pub(crate) fn tx_no_context_takeover(&self) -> bool {
        match self.role {
            Role::Server => self.params.server_no_context_takeover,
            Role::Client => self.params.client_no_context_takeover,
        }
    }

    /// The compression level.
    pub(crate) fn level(&self) -> u32 {
        self.level
    }

    /// Compresses one message or streamed chunk with a sync flush; `fin` strips the
    /// trailing [`TAIL`]. `None` when this connection does not compress (or zlib failed,
    /// in which case the context is dropped and the data goes out uncompressed).
    pub(crate) fn compress(&mut self, input: &[u8], fin: bool) -> Option<Vec<u8>> {
        let bits = self.tx_window()?;
        let level = self.level;
        let pooled = self.tx_no_context_takeover();
        let c = self.compressor.get_or_insert_with(|| {
            if pooled {
                pool::compressor(level, bits)
            } else {
                Box::new(new_compressor(level, bits))
            }
        });
        match deflate_sync(c, input, fin) {
            Ok(out) => Some(out),
            Err(()) => {
                self.compressor = None;
                None
            }
        }
    }

    /// The message just compressed goes out uncompressed instead (its deflate stream was
    /// larger): forget it, so that the next message does not refer back to bytes the peer
    /// never inflated. The compressor's memory is kept for the next message.
    pub(crate) fn discard_tx_message(&mut self) {
        if let Some(c) = &mut self.compressor {
            c.reset();
        }
    }

    /// A sent message ended: return the compressor to the pool unless its context is
    /// kept.
    pub(crate) fn end_tx_message(&mut self) {
        if !self.tx_no_context_takeover() {
            return;
        }
        if let (Some(c), Some(bits)) = (self.compressor.take(), self.tx_window()) {
            pool::put_compressor(self.level, bits, c);
        }
    }

    /// Inflates `rx_pending` (then [`TAIL`], if `rx_tail`) into `out` until the input is
    /// used up or `out` reaches `max_out` bytes. Returns whether it stopped at `max_out`.
    ///
    /// # Errors
    /// [`ProtocolError::InvalidCompressedData`] when the input is not valid deflate.
    pub(crate) fn inflate(
        &mut self,
        out: &mut Vec<u8>,
        max_out: usize,
    ) -> Result<bool, ProtocolError> {
        let bits = self.rx_window();
        let pooled = self.rx_no_context_takeover();
        let d = self.decompressor.get_or_insert_with(|| {
            if pooled {
                pool::decompressor(bits)
            } else {
                Box::new(Decompress::new_with_window_bits(false, bits))
            }
        });
        loop {
            if inflate_bytes(d, &mut self.rx_pending, out, max_out)? {
                return Ok(true);
            }
            if !self.rx_tail {
                return Ok(false);
            }
            self.rx_tail = false;
            self.rx_pending = Bytes::from_static(&TAIL);
        }
    }

    /// Whether compressed input is still waiting to be inflated.
    pub(crate) fn rx_busy(&self) -> bool {
        !self.rx_pending.is_empty() || self.rx_tail
    }

    /// A received message ended: return the decompressor to the pool unless the peer
    /// keeps context.
    pub(crate) fn end_rx_message(&mut self) {
        self.rx_pending = Bytes::new();
        self.rx_tail = false;
        if !self.rx_no_context_takeover() {
            return;
        }
        if let Some(d) = self.decompressor.take() {
            pool::put_decompressor(self.rx_window(), d);
        }
    }

    /// Whether the peer starts every message from an empty window.
    fn rx_no_context_takeover(&self) -> bool {
        match self.role {
            Role::Server => self.params.client_no_context_takeover,
            Role::Client => self.params.server_no_context_takeover,
        }
    }

    /// Whether any zlib context is currently allocated (for tests and metrics).
    pub(crate) fn holds_contexts(&self) -> bool {
        self.compressor.is_some() || self.decompressor.is_some()
    }

    fn rx_window(&self) -> u8 {
        let bits = match self.role {
            Role::Server => self.params.client_max_window_bits,
            Role::Client => self.params.server_max_window_bits,
        };
        bits.clamp(9, 15)
    }
}

/// Compresses a whole message with a fresh context (for prepared messages).
pub(crate) fn compress_message(input: &[u8], level: u32, bits: u8) -> Option<Vec<u8>> {
    let (level, bits) = (level.min(9), bits.clamp(9, 15));
    let mut c = pool::compressor(level, bits);
    let out = deflate_sync(&mut c, input, true).ok()?;
    pool::put_compressor(level, bits, c);
    Some(out)
}

fn new_compressor(level: u32, bits: u8) -> Compress {
    Compress::new_with_window_bits(Compression::new(level), false, bits)
}

/// Deflates all of `input` with a sync flush; `fin` strips the trailing [`TAIL`].
fn deflate_sync(c: &mut Compress, input: &[u8], fin: bool) -> Result<Vec<u8>, ()> {
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    let mut used = 0;
    loop {
        let before = c.total_in();
        let rest = input.get(used..).unwrap_or_default();
        c.compress_vec(rest, &mut out, FlushCompress::Sync)
            .map_err(|_| ())?;
        used += (c.total_in() - before) as usize;
        if used >= input.len() && out.len() < out.capacity() {
            break;
        }
        out.reserve(out.capacity().max(64));
    }
    if fin {
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if out.is_empty() {
            // Nothing was pending: an empty stored block, completed by the peer's TAIL.
            out.push(0);
        }
    }
    Ok(out)
}

/// Inflates from `input` into `out` in bounded steps. Returns `true` when `out` reached
/// `max_out` (more output may be pending), `false` when `input` is used up.
fn inflate_bytes(
    d: &mut Decompress,
    input: &mut Bytes,
    out: &mut Vec<u8>,
    max_out: usize,
) -> Result<bool, ProtocolError> {
    let mut step = input.len().saturating_mul(4).clamp(MIN_STEP, MAX_STEP);
    loop {
        let room = max_out.saturating_sub(out.len());
        if room == 0 {
            return Ok(true);
        }
        let want = step.min(room);
        let start = out.len();
        out.resize(start + want, 0);
        let (in0, out0) = (d.total_in(), d.total_out());
        let status = d.decompress(input, &mut out[start..], FlushDecompress::None);
        let used = (d.total_in() - in0) as usize;
        let made = (d.total_out() - out0) as usize;
        out.truncate(start + made);
        input.advance(used.min(input.len()));
        match status {
            Err(_) => return Err(ProtocolError::InvalidCompressedData),
            // The peer ended the deflate stream (BFINAL); start a new one.
            Ok(Status::StreamEnd) => d.reset(false),
            Ok(_) if made < want && input.is_empty() => return Ok(false),
            Ok(_) if used == 0 && made == 0 => return Err(ProtocolError::InvalidCompressedData),
            Ok(_) => {}
        }
        step = (step * 2).min(MAX_STEP);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn pair(bits: u8, no_context: bool) -> (Deflate, Deflate) {
        let params = PerMessageDeflate {
            server_no_context_takeover: no_context,
            client_no_context_takeover: no_context,
            server_max_window_bits: bits,
            client_max_window_bits: bits,
        };
        (
            Deflate::new(Role::Client, params, 6),
            Deflate::new(Role::Server, params, 6),
        )
    }

    fn inflate_all(
        d: &mut Deflate,
        payload: &[u8],
        limit: usize,
    ) -> Result<Vec<u8>, ProtocolError> {
        d.rx_pending = Bytes::copy_from_slice(payload);
        d.rx_tail = true;
        let mut out = Vec::new();
        if d.inflate(&mut out, limit + 1)? || out.len() > limit {
            return Err(ProtocolError::MessageTooLarge);
        }
        d.end_rx_message();
        Ok(out)
    }

    /// Every deflate connection holds a `Deflate`, idle or not (docs/memory.md).
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn an_idle_deflate_state_is_small() {
        assert!(size_of::<Deflate>() <= 64, "{}", size_of::<Deflate>());
    }

    #[test]
    fn rfc_7692_hello_example() {
        let (mut client, mut server) = pair(15, false);
        assert_eq!(
            client.compress(b"Hello", true).unwrap(),
            [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
        );
        let out = inflate_all(
            &mut server,
            &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
            100,
        )
        .unwrap();
        assert_eq!(out, b"Hello");
    }

    #[test]
    fn flate2_refuses_window_bits_8_so_we_do_not_compress_with_8() {
        let r = std::panic::catch_unwind(|| {
            Compress::new_with_window_bits(Compression::fast(), false, 8)
        });
        assert!(r.is_err());
        let (mut client, _) = pair(8, false);
        assert_eq!(client.tx_window(), None);
        assert!(client.compress(b"hello hello hello", true).is_none());
    }

    #[test]
    fn peer_window_8_is_inflated_with_a_larger_window() {
        let (_, mut server) = pair(8, true);
        let data = compress_message(b"abcabcabcabc", 6, 9).unwrap();
        assert_eq!(
            inflate_all(&mut server, &data, 100).unwrap(),
            b"abcabcabcabc"
        );
    }

    #[test]
    fn bomb_stops_at_the_limit() {
        let zeros = vec![0u8; 8 << 20];
        let bomb = compress_message(&zeros, 9, 15).unwrap();
        assert!(bomb.len() < 16 << 10, "{}", bomb.len());
        let (_, mut server) = pair(15, false);
        assert_eq!(
            inflate_all(&mut server, &bomb, 1 << 20),
            Err(ProtocolError::MessageTooLarge)
        );
    }

    #[test]
    fn garbage_is_invalid_compressed_data() {
        let (_, mut server) = pair(15, false);
        assert_eq!(
            inflate_all(&mut server, &[0xff; 16], 1000),
            Err(ProtocolError::InvalidCompressedData)
        );
    }

    #[test]
    fn contexts_are_dropped_after_each_message_without_context_takeover() {
        let (mut client, mut server) = pair(15, true);
        let data = client.compress(&[b'x'; 500], true).unwrap();
        client.end_tx_message();
        assert!(!client.holds_contexts());
        inflate_all(&mut server, &data, 1000).unwrap();
        assert!(!server.holds_contexts());
    }
}
