//! The opening handshake (RFC 6455 §4) and extension negotiation (RFC 7692 §5).
//! CONTRACT FILE: the public signatures are what `wsgate` codes against.
//!
//! ```text
//!  server: bytes ─► Request::parse ─► ServerConfig::accept ─► Accept::write_response (101)
//!                        │ 400/431          │ 400/405/426   └─► Rejection::write_response
//!  client: ClientHandshake::new ─► write_request ─► bytes … bytes ─► parse_response
//! ```
//!
//! Heads are parsed with `httparse` within a byte limit and at most 64 header lines.
//! Header values are raw bytes: nothing here assumes UTF-8 or panics on what a peer
//! sends. permessage-deflate is negotiated per RFC 7692 §7.1 for every window size
//! 8..=15; as zlib cannot compress with an 8-bit window, a side limited to 8 bits sends
//! uncompressed messages (allowed by RFC 7692 §6), and inflates with a larger window.

mod client;
mod extensions;
mod headers;
mod negotiate;
mod request;
mod response;
mod server;

pub use client::{ClientConfig, ClientHandshake, HandshakeError, InvalidResponse, Response};
pub use server::{Accept, Rejection, Request, ServerConfig};

/// Computes `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2):
/// base64(SHA-1(key ++ "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
pub fn accept_key(key: &[u8]) -> String {
    use base64::Engine as _;
    let mut sha1 = sha1_smol::Sha1::new();
    sha1.update(key);
    sha1.update(GUID);
    base64::engine::general_purpose::STANDARD.encode(sha1.digest().bytes())
}

/// A fresh random `Sec-WebSocket-Key`: 16 random bytes, base64-encoded.
///
/// If the operating system's random source fails, falls back to bytes derived from the
/// clock and a counter: the key is a nonce against caching proxies, not a secret.
pub fn generate_key() -> String {
    use base64::Engine as _;
    let mut raw = [0u8; 16];
    if getrandom::fill(&mut raw).is_err() {
        raw = fallback_nonce();
    }
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// The GUID of RFC 6455 §1.3.
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// 16 bytes that differ between calls, without a random source.
fn fallback_nonce() -> [u8; 16] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut sha1 = sha1_smol::Sha1::new();
    sha1.update(&nanos.to_le_bytes());
    sha1.update(&count.to_le_bytes());
    let digest = sha1.digest().bytes();
    let mut out = [0u8; 16];
    out.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn accept_key_matches_rfc_6455_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn generated_keys_are_16_random_bytes() {
        let a = generate_key();
        let decoded = base64::engine::general_purpose::STANDARD.decode(&a);
        assert_eq!(decoded.map(|d| d.len()), Ok(16));
        assert_ne!(a, generate_key());
    }

    #[test]
    fn fallback_nonces_differ() {
        assert_ne!(fallback_nonce(), fallback_nonce());
    }
}
