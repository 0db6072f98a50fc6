//! A WebSocket hub on [`wsgate`]: sessions with typed data and lifecycle hooks,
//! topics (rooms), encode-once broadcast, a bounded outbound queue per session with an
//! explicit slow-consumer policy, heartbeats, idle and lifetime limits, origin and
//! authentication checks, metrics, and graceful shutdown.
//!
//! ```text
//!  TcpStream ─► Hub::accept ─► origin check ─► Handler::on_upgrade(req) -> T ─► 101
//!                                                                   │
//!            ┌────────────────── SessionTask (one per connection) ──┘
//!            │  owns WebSocket<S>; one poll loop:
//!  socket ◄──┤   queue ──pop all──► ws.feed_prepared ──► one write for the batch
//!            │   ws.recv ─────► Handler::on_message / on_pong / on_error
//!            │   timer ───────► idle timeout, max lifetime   (pings: the driver)
//!            └─ on exit: unsubscribe all, unregister, Handler::on_disconnect
//!
//!  Hub::publish(topic, msg) ─► PreparedMessage (framed once)
//!     └─► topic shard (read lock) ─► each subscriber: queue.push(Arc) + policy + wake
//! ```
//!
//! What this crate does not do: HTTP routing or TLS termination (bring your own, or
//! use [`Hub::upgrade`] with hyper), message history or cross-process brokers.
//!
//! # Getting started
//!
//! ```no_run
//! use wsgate::proto::handshake::{Rejection, Request};
//! use wsgate_hub::{Handler, HubBuilder, Message, Session, auth};
//!
//! /// Per-session data: the user name from the token.
//! struct User(String);
//!
//! struct Chat;
//!
//! impl Handler<User> for Chat {
//!     fn on_upgrade(&self, req: &Request) -> Result<User, Rejection> {
//!         let token = auth::token(req).ok_or_else(|| Rejection::new(401, "missing token"))?;
//!         Ok(User(token.to_owned()))
//!     }
//!
//!     fn on_connect(&self, session: &Session<User>) {
//!         session.subscribe("lobby");
//!     }
//!
//!     fn on_message(&self, session: &Session<User>, msg: Message) {
//!         if let Message::Text(text) = msg {
//!             let line = format!("{}: {}", session.data().0, text.as_str());
//!             session.hub().publish("lobby", line);
//!         }
//!     }
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let hub = HubBuilder::new().build(Chat);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
//! let server = tokio::spawn({
//!     let hub = hub.clone();
//!     async move { hub.serve(listener).await }
//! });
//! tokio::signal::ctrl_c().await?;
//! hub.shutdown(std::time::Duration::from_secs(5)).await;
//! let _ = server.await;
//! # Ok(()) }
//! ```
//!
//! # Sessions and hooks
//!
//! Each connection is a [`Session<T>`] with the data `T` that
//! [`Handler::on_upgrade`] returned. The hooks run on the session's task, one at a
//! time per session; `on_connect` and `on_disconnect` are always paired (see
//! [`Handler`]). A [`Session`] handle can be cloned into any task and sends without
//! blocking.
//!
//! # Topics and fan-out
//!
//! [`Session::subscribe`] adds the session to a topic; [`Hub::publish`] reaches only
//! that topic's subscribers, under one shard's read lock, in O(subscribers).
//! [`Hub::broadcast`], [`Hub::broadcast_except`], [`Hub::broadcast_filter`] visit every
//! session; [`Hub::send_to`] one. Every fan-out frames its message once: recipients
//! share the same bytes (and one compressed copy per window size when compression was
//! negotiated without server context takeover, see [`HubBuilder::deflate`]).
//!
//! # Backpressure and slow consumers
//!
//! Sending never waits. Each session has a bounded outbound queue
//! ([`HubConfig::queue_messages`], [`HubConfig::queue_bytes`]) in front of the
//! connection's own write buffer ([`HubConfig::write_buffer`]) and the kernel's socket
//! buffer. While the client reads, the queue stays nearly empty. When it stops
//! reading, TCP flow control fills the socket buffers, the connection stops taking
//! messages, and the queue fills. The next message that does not fit triggers the
//! hub's [`SlowPolicy`], chosen once per hub:
//!
//! - [`SlowPolicy::Disconnect`] (the default, with 1013 "try again later"; 1008 is the
//!   other usual choice): the queue is discarded and the session is closed with that
//!   code. The close frame is written after whatever the connection already holds, so
//!   a client that resumes reading sees the messages before it, then the close; one
//!   that never reads is dropped after [`HubConfig::close_timeout`]. The client knows
//!   it missed messages and can reconnect and resynchronise. Counted in
//!   [`MetricsSnapshot::slow_disconnects`].
//! - [`SlowPolicy::DropOldest`]: the oldest queued messages are discarded until the new
//!   one fits. The client sees a stream with a gap and then the latest messages: right
//!   for state that supersedes itself (prices, positions, presence).
//! - [`SlowPolicy::DropNewest`]: the new message is discarded. The client sees a prefix
//!   of the stream.
//!
//! Nothing is dropped silently: every send returns a [`Delivery`] (a fan-out returns a
//! [`Fanout`] summary), [`Session::dropped`] and [`Session::queued_bytes`] describe one
//! session, and [`MetricsSnapshot::queue_drops`] the hub. An empty queue accepts one
//! message of any size, so a message over the byte limit still reaches a client that
//! keeps up.
//!
//! Incoming messages are read at the pace the hooks return; a peer that sends faster
//! than the hooks handle is slowed by TCP flow control. Messages over
//! [`HubConfig::limits`] (64 KiB by default) close the session with 1009.
//!
//! # Closing
//!
//! A session ends in one of these ways, reported to [`Handler::on_disconnect`] as a
//! [`Disconnect`] with its [`Cause`]:
//!
//! - The peer closes: its close frame is echoed, [`Cause::Peer`] with its code.
//! - [`Session::close`]: queued messages are sent first, then the close frame; the hub
//!   waits for the peer's close frame up to [`HubConfig::close_timeout`].
//! - Slow consumer (above), idle timeout ([`HubConfig::idle_timeout`], 1000 "idle") or
//!   maximum lifetime ([`HubConfig::max_lifetime`], 1000 "lifetime").
//! - The peer violates the protocol, sends an oversized message (1009) or misses the
//!   pong deadline ([`HubConfig::pong_timeout`] after a ping): [`Handler::on_error`],
//!   then [`Cause::Error`] with the code sent.
//! - The connection is lost without a close frame: [`Cause::Lost`], 1006.
//! - [`Hub::shutdown`]: new handshakes get 503; every session sends what it has queued,
//!   then Close 1001; the hub waits for all sessions up to the deadline, then drops the
//!   connections still closing. It returns once every `on_disconnect` has returned.
//!
//! In every case the session is unsubscribed from all topics and removed from the hub
//! before `on_disconnect` runs, and later sends to its handle return
//! [`Delivery::Closed`].
//!
//! # Admission
//!
//! Origins are checked first: same-origin by default (the `Origin` host and port must
//! match `Host`), plus [`HubBuilder::allow_origins`]; others get 403. Requests without
//! `Origin` (non-browser clients) pass. Then [`Handler::on_upgrade`] authenticates
//! (see [`auth`] for token helpers) and its [`Rejection`](wsgate::proto::handshake::Rejection)
//! is sent with its status and reason. Both are counted in [`Metrics`].
//!
//! # Memory
//!
//! An idle session holds no buffers: its queue owns no allocation when empty, the
//! connection releases its read buffer between messages, and the session task is a
//! hand-written future (its size is just its fields: 344 bytes over a `TcpStream`, of
//! which 264 are the [`WebSocket`](wsgate::WebSocket)). `tests/memory.rs` measures the
//! heap of 4,000 idle sessions with one subscription each and keepalive pings on:
//! about 1.2 KiB in 6 allocations per session (the task, the session, the socket
//! registration, the keepalive timer, the subscription), under the 2 KiB target;
//! kernel socket buffers come on top. A whole `wsgate serve` process grows by 2.0–2.1
//! KiB of RSS per subscribed session at 19,000 (docs/fanout.md): the allocator keeps
//! some of the pages the handshakes used.

pub mod auth;
mod builder;
mod config;
mod guard;
mod handler;
mod hub;
mod metrics;
mod queue;
mod registry;
mod serve;
mod session;
mod task;
#[cfg(feature = "hyper")]
mod upgrade;

pub use wsgate::{CloseCode, Message, PreparedMessage};

pub use builder::HubBuilder;
pub use config::{DEFAULT_MAX_MESSAGE, HubConfig, SlowPolicy};
pub use handler::{Cause, Disconnect, Handler};
pub use hub::{Fanout, Hub};
pub use metrics::{CAUSES, Metrics, MetricsSnapshot};
pub use queue::Delivery;
pub use serve::ShutdownReport;
pub use session::{Session, SessionId};
