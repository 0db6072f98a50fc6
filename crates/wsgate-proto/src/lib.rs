//! Sans-IO WebSocket protocol: RFC 6455 framing and handshakes with RFC 7692
//! permessage-deflate, for clients and servers. No sockets, no async runtime, no clock:
//! bytes and the time (a [`Clock`], read only when a timer needs it) come in as
//! arguments, bytes and events go out.
//!
//! ```text
//!   transport bytes ──► BytesMut (caller's)                     caller's IoSlices ──► transport
//!                          │                                          ▲
//!            handshake::Request::parse / ClientHandshake::parse_response
//!                          │ (101 negotiated: Role, PerMessageDeflate)
//!                          ▼                                          │
//!   Connection::poll_event ─► frame decode ─► unmask in place ─► inflate ─► UTF-8 check
//!                          │                                          │
//!                          ▼                                          │
//!                   Event::Message / Event::Chunk         transmit queue (frames, pongs, close)
//!                                                                     ▲
//!   Connection::send / send_prepared / send_chunk / close ─► deflate ─► frame encode ─► mask
//! ```
//!
//! What this crate does not do: I/O, TLS, HTTP beyond the upgrade head, URL parsing,
//! timers (it only says when the next one is due, via `poll_timeout`).

mod clock;
mod close;
mod config;
mod connection;
mod deflate;
mod error;
mod frame;
pub mod handshake;
mod mask;
mod mask_key;
mod message;
mod outbuf;
mod pmd;
mod prepared;
mod types;
mod utf8;

pub use clock::Clock;
pub use config::{Config, Limits};
pub use connection::{Connection, Event, State};
pub use error::{ProtocolError, SendError};
pub use frame::frame_len;
pub use mask::apply_mask;
pub use message::{CloseFrame, DataKind, Message, Utf8Bytes};
pub use pmd::{DeflateConfig, PerMessageDeflate};
pub use prepared::PreparedMessage;
pub use types::{CloseCode, OpCode, Role};
pub use utf8::{InvalidUtf8, Utf8Validator};
