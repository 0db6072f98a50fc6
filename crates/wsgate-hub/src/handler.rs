//! The application's side: the [`Handler`] hooks and the [`Disconnect`] report.

use bytes::Bytes;
use wsgate::proto::handshake::{Rejection, Request};
use wsgate::{CloseCode, Message};

use crate::session::Session;

/// The lifecycle hooks of a hub. `T` is the per-session data [`on_upgrade`] returns.
///
/// Hooks are plain functions called on the session's task: keep them short and never
/// block (no locks held across I/O, no blocking calls). To do async work, spawn a task
/// with a clone of the [`Session`]. Hooks of one session are never called concurrently;
/// hooks of different sessions are.
///
/// [`on_connect`](Self::on_connect) and [`on_disconnect`](Self::on_disconnect) are
/// always paired: once `on_connect` was called, `on_disconnect` is called exactly once,
/// whether the peer closed, the connection was lost, the hub shut down, the runtime was
/// dropped or a hook panicked.
///
/// [`on_upgrade`]: Self::on_upgrade
pub trait Handler<T>: Send + Sync + 'static {
    /// Decides on the opening-handshake request (authentication, routing) and returns
    /// the session data. Runs after the hub's origin check and before the WebSocket
    /// headers are validated. Use the helpers in [`auth`](crate::auth) to find a token
    /// in the `Authorization` header, the query string or the subprotocol list.
    ///
    /// # Errors
    /// A [`Rejection`] (`401` for a missing or invalid credential, `403` for a valid
    /// one without access, `404` for an unknown room) is sent as the HTTP response, with
    /// its reason as body, and counted in [`Metrics`](crate::Metrics).
    fn on_upgrade(&self, req: &Request) -> Result<T, Rejection>;

    /// The session is registered and can send and subscribe.
    fn on_connect(&self, session: &Session<T>) {
        let _ = session;
    }

    /// A text or binary message arrived.
    fn on_message(&self, session: &Session<T>, msg: Message) {
        let _ = (session, msg);
    }

    /// A pong arrived (an answer to a keepalive ping, or unsolicited).
    fn on_pong(&self, session: &Session<T>, payload: Bytes) {
        let _ = (session, payload);
    }

    /// The connection failed: a protocol violation by the peer (after the close frame
    /// with the matching code was sent), a missed pong deadline, a transport error or a
    /// lost connection. [`on_disconnect`](Self::on_disconnect) follows.
    fn on_error(&self, session: &Session<T>, error: &wsgate::Error) {
        let _ = (session, error);
    }

    /// The session ended; it is already unsubscribed from every topic.
    fn on_disconnect(&self, session: &Session<T>, disconnect: Disconnect) {
        let _ = (session, disconnect);
    }
}

/// How a session ended, given to [`Handler::on_disconnect`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Disconnect {
    /// The close code: the peer's (1005 when its close frame had none), the one the hub
    /// sent, or 1006 when the connection ended without a close handshake.
    pub code: CloseCode,
    /// The close reason (may be empty).
    pub reason: String,
    /// Who or what ended the session.
    pub cause: Cause,
}

impl Disconnect {
    pub(crate) fn new(code: CloseCode, reason: impl Into<String>, cause: Cause) -> Self {
        Self {
            code,
            reason: reason.into(),
            cause,
        }
    }

    /// The report for a session task that ended without a close handshake.
    pub(crate) fn lost() -> Self {
        Self::new(CloseCode::ABNORMAL, "", Cause::Lost)
    }
}

/// Who or what ended a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cause {
    /// The peer sent a close frame.
    Peer,
    /// The application called [`Session::close`].
    Closed,
    /// The outbound queue overflowed under [`SlowPolicy::Disconnect`](crate::SlowPolicy).
    SlowConsumer,
    /// [`Hub::shutdown`](crate::Hub::shutdown) (close 1001).
    Shutdown,
    /// No data message from the peer within the idle timeout.
    IdleTimeout,
    /// The session reached the hub's maximum lifetime.
    Lifetime,
    /// A protocol violation by the peer or a missed pong deadline (see
    /// [`Handler::on_error`]); the code is the one sent.
    Error,
    /// The transport ended or failed without a close handshake (1006), or the session
    /// task was dropped (runtime shutdown, forced shutdown, panic in a hook).
    Lost,
}

impl Cause {
    /// A short lowercase name, for logs and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Peer => "peer",
            Self::Closed => "closed",
            Self::SlowConsumer => "slow_consumer",
            Self::Shutdown => "shutdown",
            Self::IdleTimeout => "idle_timeout",
            Self::Lifetime => "lifetime",
            Self::Error => "error",
            Self::Lost => "lost",
        }
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
