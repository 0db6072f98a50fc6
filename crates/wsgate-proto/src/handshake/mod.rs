//! The opening handshake (RFC 6455 §4) and extension negotiation (RFC 7692 §5).
//! CONTRACT FILE: the public signatures are what `wsgate` codes against.

mod client;
mod server;

pub use client::{ClientConfig, ClientHandshake, HandshakeError, Response};
pub use server::{Accept, Rejection, Request, ServerConfig};

/// Computes `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2):
/// base64(SHA-1(key ++ "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
pub fn accept_key(key: &[u8]) -> String {
    let _ = key;
    todo!()
}

/// A fresh random `Sec-WebSocket-Key`: 16 random bytes, base64-encoded.
pub fn generate_key() -> String {
    todo!()
}
