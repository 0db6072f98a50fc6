//! Masking keys for client frames (RFC 6455 §10.3: unpredictable, from a strong source).
//!
//! Keys come from a per-thread pool of 1 KiB filled by `getrandom` and consumed 4 bytes
//! per frame (256 frames per system call). The pool is per thread, not per connection,
//! so an idle client connection holds no key material at all. Should the OS source ever
//! fail, the pool is refilled from a SplitMix64 stream seeded by the time and a counter:
//! weaker, but still unpredictable enough for masking, whose job is to stop
//! cache-poisoning attacks on intermediaries rather than to keep secrets.

use std::cell::RefCell;

const POOL_LEN: usize = 1024;

struct Pool {
    bytes: [u8; POOL_LEN],
    pos: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool { bytes: [0; POOL_LEN], pos: POOL_LEN })
    };
}

/// A fresh masking key.
pub(crate) fn next_key() -> [u8; 4] {
    POOL.with(|pool| {
        let Ok(mut pool) = pool.try_borrow_mut() else {
            return fallback_key();
        };
        if pool.pos + 4 > POOL_LEN {
            refill(&mut pool.bytes);
            pool.pos = 0;
        }
        let mut key = [0u8; 4];
        key.copy_from_slice(&pool.bytes[pool.pos..pool.pos + 4]);
        pool.pos += 4;
        key
    })
}

fn refill(bytes: &mut [u8; POOL_LEN]) {
    if getrandom::fill(bytes).is_err() {
        for chunk in bytes.chunks_mut(4) {
            chunk.copy_from_slice(&fallback_key());
        }
    }
}

fn fallback_key() -> [u8; 4] {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let x = splitmix64(nanos ^ COUNTER.fetch_add(0x9e37_79b9, Ordering::Relaxed));
    let b = x.to_le_bytes();
    [b[0], b[1], b[2], b[3]]
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_across_pool_refills() {
        let keys: Vec<[u8; 4]> = (0..1000).map(|_| next_key()).collect();
        let mut unique = keys;
        unique.sort_unstable();
        unique.dedup();
        // 1000 draws from 2^32 values: a handful of collisions would be suspicious.
        assert!(unique.len() >= 998, "{}", unique.len());
    }

    #[test]
    fn fallback_keys_vary() {
        assert_ne!(fallback_key(), fallback_key());
    }
}
