//! Async WebSocket connections on tokio, driven by the sans-IO state machine in
//! [`wsgate_proto`]: server accept on any stream and hyper 1 upgrades, a client with
//! `ws://`/`wss://` (rustls), HTTP CONNECT proxies, split halves, keepalive, streaming
//! and prepared (broadcast) messages.
//!
//! ```text
//!  socket ─► poll_read ─► rx: BytesMut ─► Connection::poll_event ─► Event ─► recv()/Stream
//!    ▲                                        │ (pongs, close echo queued)
//!    │                                        ▼
//!  one poll_write_vectored ◄── transmit_slices ◄── Connection::send ◄── send()/Sink/Sender
//!                                        ▲
//!               tokio::time::Sleep ──────┘ armed from Connection::poll_timeout
//! ```
//!
//! Every [`WebSocket`] method runs the same driver loop (see `driver.rs`): read what is
//! available, decode until the state machine needs more bytes, hand out the event, write
//! everything queued with one vectored write when the read side would block, and arm the
//! next timer. There is no background task for an unsplit socket; [`WebSocket::split`]
//! moves the loop into a small task so that either half can be used alone.
//!
//! What this crate does not do: sessions, rooms and broadcast policy (that is
//! `wsgate-hub`), HTTP routing, or TLS on the server side (wrap the stream yourself).
//!
//! # Getting started
//!
//! ```no_run
//! use wsgate::{Acceptor, Message};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
//! let acceptor = Acceptor::new();
//! loop {
//!     let (tcp, _) = listener.accept().await?;
//!     let acceptor = acceptor.clone();
//!     tokio::spawn(async move {
//!         let Ok(mut ws) = acceptor.accept(tcp).await else { return };
//!         while let Some(Ok(msg)) = ws.recv().await {
//!             if msg.is_data() && ws.send(msg).await.is_err() {
//!                 break;
//!             }
//!         }
//!     });
//! }
//! # }
//! ```
//!
//! And a client:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let (mut ws, _response) = wsgate::connect("ws://127.0.0.1:9001/").await?;
//! ws.send("hello").await?;
//! let reply = ws.recv().await;
//! ws.close(wsgate::CloseCode::NORMAL, "bye").await?;
//! # let _ = reply; Ok(()) }
//! ```
//!
//! # Backpressure
//!
//! Outgoing frames are queued in the state machine and written lazily: when the read
//! side would block, when the queue passes the write buffer size (default 128 KiB, see
//! [`WebSocket::set_write_buffer_size`]), or on [`WebSocket::flush`]. `send` waits (by
//! writing) while the queue is over that size, so a peer that does not read stalls the
//! sender instead of growing memory. Reading is the application's pace: nothing is read
//! from the socket unless `recv` (or a split driver with room in its event queue) asks,
//! so a slow consumer pushes back on the peer through TCP flow control. Split halves
//! bound their queues too: at most [`split::EVENT_QUEUE`] undelivered events and
//! [`split::COMMAND_QUEUE`] unsent messages.
//!
//! # Closing
//!
//! - [`WebSocket::close`] sends a close frame and waits for the peer's (data received
//!   meanwhile is discarded), up to [`Config::close_timeout`]. A server then shuts the
//!   TCP connection down; a client waits for the server to close it, up to the same
//!   timeout (RFC 6455 §7.1.1).
//! - When the peer closes, `recv` returns its [`Message::Close`] (our echo is already
//!   queued and is flushed before `recv` returns again), then `None`.
//! - When the peer violates the protocol, a close frame with the matching code is
//!   flushed, the transport is shut down, and `recv` returns
//!   [`Error::Protocol`] once, then `None`.
//! - EOF without a close frame is [`Error::AbnormalClosure`] (1006).
//! - Dropping a [`WebSocket`] drops the transport without a close frame.

mod accept;
mod client;
mod driver;
mod error;
pub mod split;
mod streaming;
mod traits;
#[cfg(feature = "hyper")]
pub mod upgrade;
mod websocket;

pub use wsgate_proto as proto;
pub use wsgate_proto::{
    CloseCode, CloseFrame, Config, DataKind, DeflateConfig, Limits, Message, PreparedMessage,
    ProtocolError, Role, SendError, Utf8Bytes,
};

pub use accept::Acceptor;
pub use client::{Connector, MaybeTlsStream, ProxyMode, TlsRoots, connect};
pub use error::{AcceptError, ConnectError, Error};
pub use split::{ReadHalf, Sender, WriteHalf};
pub use streaming::{MessageReader, MessageWriter};
pub use websocket::{DEFAULT_WRITE_BUFFER, WebSocket};
