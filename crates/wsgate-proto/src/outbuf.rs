//! The transmit queue: frames waiting for one vectored write.
//!
//! Small frames are appended to one contiguous tail buffer, so many pipelined small
//! messages leave as a single slice. Large unmasked payloads that already live in
//! [`Bytes`] are queued by reference (no copy) between the header bytes before them
//! and the tail after them. When the queue drains every buffer is released, so an
//! idle connection holds no transmit memory.

use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::io::IoSlice;

use crate::frame::{MAX_HEADER_LEN, write_header};
use crate::mask::apply_mask;
use crate::types::OpCode;

/// Payloads at least this long are queued by reference instead of copied.
const ZERO_COPY_MIN: usize = 1024;
/// Smallest allocation for the tail buffer.
const TAIL_MIN_CAPACITY: usize = 4096;

/// A frame to append: the header fields and how to mask it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FrameSpec {
    pub(crate) fin: bool,
    pub(crate) rsv1: bool,
    pub(crate) opcode: OpCode,
    pub(crate) mask: Option<[u8; 4]>,
}

/// Queued outgoing bytes. Empty, it is one null pointer (idle connections hold one);
/// the buffers are allocated by the first frame and freed when the queue drains.
#[derive(Debug, Default)]
pub(crate) struct OutQueue {
    bufs: Option<Box<Buffers>>,
}

/// `chunks` in order, then `tail`.
#[derive(Debug, Default)]
struct Buffers {
    chunks: VecDeque<Bytes>,
    tail: BytesMut,
    len: usize,
}

impl OutQueue {
    /// Total queued bytes.
    pub(crate) fn len(&self) -> usize {
        self.bufs.as_ref().map_or(0, |b| b.len)
    }

    /// Appends a frame, copying (and masking, if asked) the payload.
    pub(crate) fn push_copy(&mut self, spec: FrameSpec, payload: &[u8]) {
        self.bufs().push_copy(spec, payload);
    }

    /// Appends a frame whose payload is already in [`Bytes`]: referenced without a copy
    /// when it is large and unmasked, copied otherwise.
    pub(crate) fn push_bytes(&mut self, spec: FrameSpec, payload: Bytes) {
        self.bufs().push_bytes(spec, payload);
    }

    /// Appends already encoded frame bytes (a prepared message).
    pub(crate) fn push_raw(&mut self, frame: Bytes) {
        self.bufs().push_raw(frame);
    }

    /// Fills `dst` with the queued bytes in order; returns the number of slices used.
    pub(crate) fn slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        self.bufs.as_ref().map_or(0, |b| b.slices(dst))
    }

    /// Drops the first `n` bytes (written); frees every buffer once empty.
    pub(crate) fn advance(&mut self, n: usize) {
        if let Some(b) = &mut self.bufs {
            b.advance(n);
            if b.len == 0 {
                self.clear();
            }
        }
    }

    /// Drops everything queued and frees the buffers.
    pub(crate) fn clear(&mut self) {
        self.bufs = None;
    }

    fn bufs(&mut self) -> &mut Buffers {
        self.bufs.get_or_insert_with(Box::default)
    }
}

impl Buffers {
    fn push_copy(&mut self, spec: FrameSpec, payload: &[u8]) {
        self.reserve(MAX_HEADER_LEN + payload.len());
        self.push_header(spec, payload.len());
        let start = self.tail.len();
        self.tail.extend_from_slice(payload);
        if let Some(key) = spec.mask {
            apply_mask(&mut self.tail[start..], key, 0);
        }
        self.len += payload.len();
    }

    /// Queues `payload` without copying it when it is large enough: a server's as it
    /// is; a client's masked in place when nothing else holds it (a message the
    /// application handed over), and copied to be masked otherwise.
    fn push_bytes(&mut self, spec: FrameSpec, payload: Bytes) {
        if payload.len() < ZERO_COPY_MIN {
            return self.push_copy(spec, &payload);
        }
        let payload = match spec.mask {
            None => payload,
            Some(key) => match payload.try_into_mut() {
                Ok(mut owned) => {
                    apply_mask(&mut owned, key, 0);
                    owned.freeze()
                }
                Err(shared) => return self.push_copy(spec, &shared),
            },
        };
        self.push_header(spec, payload.len());
        self.push_chunk(payload);
    }

    fn push_raw(&mut self, frame: Bytes) {
        if frame.len() < ZERO_COPY_MIN {
            self.reserve(frame.len());
            self.tail.extend_from_slice(&frame);
            self.len += frame.len();
        } else {
            self.push_chunk(frame);
        }
    }

    fn slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let tail = (!self.tail.is_empty()).then_some(&self.tail[..]);
        let parts = self.chunks.iter().map(|c| &c[..]).chain(tail);
        let mut n = 0;
        for (slot, part) in dst.iter_mut().zip(parts) {
            *slot = IoSlice::new(part);
            n += 1;
        }
        n
    }

    /// Drops `n` written bytes from the front ([`OutQueue::advance`] frees an empty
    /// queue).
    fn advance(&mut self, n: usize) {
        let mut n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(front) = self.chunks.front_mut() else {
                self.tail.advance(n);
                break;
            };
            if front.len() > n {
                front.advance(n);
                break;
            }
            n -= front.len();
            self.chunks.pop_front();
        }
        if self.len == 0 {
            self.clear();
        }
    }

    /// Drops everything queued and releases the buffers.
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    fn push_header(&mut self, spec: FrameSpec, len: usize) {
        let mut head = [0u8; MAX_HEADER_LEN];
        let n = write_header(&mut head, spec.fin, spec.rsv1, spec.opcode, len, spec.mask);
        self.reserve(n);
        self.tail.extend_from_slice(&head[..n]);
        self.len += n;
    }

    fn push_chunk(&mut self, chunk: Bytes) {
        if !self.tail.is_empty() {
            self.chunks.push_back(self.tail.split().freeze());
        }
        self.len += chunk.len();
        self.chunks.push_back(chunk);
    }

    fn reserve(&mut self, additional: usize) {
        if self.tail.capacity() - self.tail.len() < additional {
            self.tail.reserve(additional.max(TAIL_MIN_CAPACITY));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const BIN: FrameSpec = FrameSpec {
        fin: true,
        rsv1: false,
        opcode: OpCode::Binary,
        mask: None,
    };

    fn drain(q: &OutQueue) -> Vec<u8> {
        let mut slots = [IoSlice::new(&[]); 16];
        let n = q.slices(&mut slots);
        slots[..n].iter().flat_map(|s| s.iter().copied()).collect()
    }

    #[test]
    fn small_frames_share_one_slice() {
        let mut q = OutQueue::default();
        for _ in 0..1000 {
            q.push_copy(BIN, &[7; 32]);
        }
        let mut slots = [IoSlice::new(&[]); 4];
        assert_eq!(q.slices(&mut slots), 1);
        assert_eq!(q.len(), 34_000);
    }

    #[test]
    fn large_payloads_are_referenced_not_copied() {
        let mut q = OutQueue::default();
        let big = Bytes::from(vec![1u8; 5000]);
        q.push_copy(BIN, b"a");
        q.push_bytes(BIN, big.clone());
        q.push_copy(BIN, b"b");
        let mut slots = [IoSlice::new(&[]); 4];
        assert_eq!(q.slices(&mut slots), 3);
        assert_eq!(slots[1].as_ptr(), big.as_ptr());
        assert_eq!(q.len(), 3 + 4 + 5000 + 3);
    }

    #[test]
    fn partial_writes_advance_across_slices_and_release_buffers() {
        let mut q = OutQueue::default();
        q.push_copy(BIN, b"hello");
        q.push_bytes(BIN, Bytes::from(vec![2u8; 2000]));
        q.push_copy(BIN, b"world");
        let all = drain(&q);
        let mut written = 0;
        for step in [1, 6, 500, 1503, 3, 100] {
            let step = step.min(q.len());
            q.advance(step);
            written += step;
            assert_eq!(drain(&q), all[written..]);
        }
        assert_eq!(q.len(), 0);
        assert!(q.bufs.is_none(), "an empty queue holds no buffers");
    }

    #[test]
    fn masked_frames_are_masked_copies() {
        let mut q = OutQueue::default();
        let spec = FrameSpec {
            mask: Some([0x37, 0xfa, 0x21, 0x3d]),
            opcode: OpCode::Text,
            ..BIN
        };
        q.push_bytes(spec, Bytes::from_static(b"Hello"));
        let expect = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        assert_eq!(drain(&q), expect);
    }

    #[test]
    fn a_large_payload_nobody_else_holds_is_masked_in_place() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let spec = FrameSpec {
            mask: Some(key),
            ..BIN
        };
        let mut expect = vec![9u8; 5000];
        apply_mask(&mut expect, key, 0);

        let mut q = OutQueue::default();
        let owned = Bytes::from(vec![9u8; 5000]);
        let at = owned.as_ptr();
        q.push_bytes(spec, owned);
        let mut slots = [IoSlice::new(&[]); 4];
        assert_eq!(q.slices(&mut slots), 2, "header, then the payload itself");
        assert_eq!(slots[1].as_ptr(), at);
        assert_eq!(&slots[1][..], &expect[..]);

        // Still held elsewhere: masked into a copy, the caller's bytes untouched.
        let mut q = OutQueue::default();
        let shared = Bytes::from(vec![9u8; 5000]);
        q.push_bytes(spec, shared.clone());
        assert_eq!(q.slices(&mut slots), 1);
        assert_eq!(&drain(&q)[8..], &expect[..]);
        assert!(shared.iter().all(|&b| b == 9));
    }
}
