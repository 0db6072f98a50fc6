//! zlib contexts kept per thread for messages that start from an empty window.
//!
//! Without context takeover, every message is compressed (or inflated) by a fresh
//! context. Allocating one costs more than compressing a small message: ~380 KiB for a
//! compressor at window 15 (above glibc's mmap threshold, so each message also paid for
//! page faults) and ~48 KiB for a decompressor. Instead, a message borrows a context
//! from its thread's pool, and the context is reset and returned when the message ends.
//! The pool is bounded ([`MAX_POOLED`] per thread and kind), so it holds at most a few
//! contexts per runtime thread however many connections there are, and an idle
//! connection still holds none.
//!
//! A context may be returned on another thread than the one it came from (async tasks
//! move between threads); it is reset either way, so every borrowed context is
//! indistinguishable from a new one.

use std::cell::RefCell;

use flate2::{Compress, Compression, Decompress};

/// Contexts kept per thread, for each of compressors and decompressors.
const MAX_POOLED: usize = 4;

thread_local! {
    /// Reset compressors with their (level, window bits).
    static COMPRESSORS: RefCell<Vec<(u32, u8, Box<Compress>)>> = const { RefCell::new(Vec::new()) };
    /// Reset decompressors with their window bits.
    static DECOMPRESSORS: RefCell<Vec<(u8, Box<Decompress>)>> = const { RefCell::new(Vec::new()) };
}

/// A compressor for a raw deflate stream at `level` with a `bits` window, in its initial
/// state: a pooled one if this thread has one, else a new one.
pub(super) fn compressor(level: u32, bits: u8) -> Box<Compress> {
    let pooled = COMPRESSORS.with_borrow_mut(|pool| {
        let i = pool
            .iter()
            .position(|(l, b, _)| *l == level && *b == bits)?;
        Some(pool.swap_remove(i).2)
    });
    pooled.unwrap_or_else(|| {
        Box::new(Compress::new_with_window_bits(
            Compression::new(level),
            false,
            bits,
        ))
    })
}

/// Returns a compressor made by [`compressor`] with the same `level` and `bits`.
pub(super) fn put_compressor(level: u32, bits: u8, mut c: Box<Compress>) {
    c.reset();
    COMPRESSORS.with_borrow_mut(|pool| {
        if pool.len() < MAX_POOLED {
            pool.push((level, bits, c));
        }
    });
}

/// A decompressor for a raw deflate stream with a `bits` window, in its initial state.
pub(super) fn decompressor(bits: u8) -> Box<Decompress> {
    let pooled = DECOMPRESSORS.with_borrow_mut(|pool| {
        let i = pool.iter().position(|(b, _)| *b == bits)?;
        Some(pool.swap_remove(i).1)
    });
    pooled.unwrap_or_else(|| Box::new(Decompress::new_with_window_bits(false, bits)))
}

/// Returns a decompressor made by [`decompressor`] with the same `bits`. Reset
/// restores zlib's default window (15 bits), which inflates every narrower window too.
pub(super) fn put_decompressor(bits: u8, mut d: Box<Decompress>) {
    d.reset(false);
    DECOMPRESSORS.with_borrow_mut(|pool| {
        if pool.len() < MAX_POOLED {
            pool.push((bits, d));
        }
    });
}
