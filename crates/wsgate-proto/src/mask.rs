//! Payload masking (RFC 6455 §5.3): XOR with a repeating 4-byte key.
//!
//! Word-at-a-time in safe code: the key is widened to a `u64` (two copies), the payload
//! is processed in 32-byte blocks of four `u64` lanes that LLVM turns into SIMD
//! loads and stores, then the tail byte by byte. The unaligned start needs no special
//! case: `u64::from_ne_bytes` on an 8-byte slice compiles to an unaligned load. A
//! hand-written SIMD variant was not added: this loop already runs at memory speed
//! (see `benches/mask.rs`), so `unsafe` would not pay.

/// XORs `buf` with `key`, where `buf[0]` is byte `offset` of the masked payload
/// (so a payload can be unmasked in pieces as it arrives). Masking and unmasking are
/// the same operation.
///
/// ```
/// let mut payload = *b"Hello";
/// wsgate_proto::apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
/// assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
/// ```
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate_key(key, offset);
    let wide = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut blocks = buf.chunks_exact_mut(32);
    for block in &mut blocks {
        for lane in block.chunks_exact_mut(8) {
            xor_word(lane, wide);
        }
    }
    let rest = blocks.into_remainder();
    let mut words = rest.chunks_exact_mut(8);
    for lane in &mut words {
        xor_word(lane, wide);
    }
    // Every block and word is a multiple of 4 bytes long, so the tail starts at key phase 0.
    for (b, k) in words.into_remainder().iter_mut().zip(key.iter().cycle()) {
        *b ^= k;
    }
}

/// The key as seen from payload byte `offset`.
pub(crate) fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    let mut k = key;
    k.rotate_left(offset % 4);
    k
}

#[inline(always)]
fn xor_word(lane: &mut [u8], wide: u64) {
    let mut w = [0u8; 8];
    w.copy_from_slice(lane);
    let v = u64::from_ne_bytes(w) ^ wide;
    lane.copy_from_slice(&v.to_ne_bytes());
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn reference(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(offset + i) % 4];
        }
    }

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 + 7) as u8).collect()
    }

    #[test]
    fn matches_byte_at_a_time_reference_at_every_alignment_offset_and_length() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let backing = pattern(64 + 16);
        for align in 0..8 {
            for offset in 0..4 {
                for len in 0..=64 {
                    let mut a = backing.clone();
                    let mut b = backing.clone();
                    apply_mask(&mut a[align..align + len], key, offset);
                    reference(&mut b[align..align + len], key, offset);
                    assert_eq!(a, b, "align {align} offset {offset} len {len}");
                }
            }
        }
    }

    #[test]
    fn matches_reference_on_large_unaligned_buffers() {
        let key = [1, 2, 3, 250];
        for (align, len, offset) in [(1, 1 << 20, 3), (3, 65_537, 1), (5, 4099, 2)] {
            let mut a = pattern(len + align);
            let mut b = a.clone();
            apply_mask(&mut a[align..], key, offset);
            reference(&mut b[align..], key, offset);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn masking_in_pieces_equals_masking_at_once() {
        let key = [9, 8, 7, 6];
        let mut whole = pattern(100);
        let mut pieces = whole.clone();
        apply_mask(&mut whole, key, 0);
        let (a, rest) = pieces.split_at_mut(13);
        let (b, c) = rest.split_at_mut(50);
        apply_mask(a, key, 0);
        apply_mask(b, key, 13);
        apply_mask(c, key, 63);
        assert_eq!(whole, pieces);
    }

    #[test]
    fn rfc_6455_masked_hello() {
        let mut payload = *b"Hello";
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    }
}
