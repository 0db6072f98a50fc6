//! The two error layers: what the peer did wrong ([`Error::Protocol`], carrying the close
//! code we sent) and what went wrong locally (I/O, misuse). [`AcceptError`] and
//! [`ConnectError`] cover the opening handshake on each side.

use std::{fmt, io};

use wsgate_proto::handshake::{HandshakeError, Rejection};
use wsgate_proto::{CloseCode, ProtocolError, SendError};

/// An error on an established connection.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The peer violated the protocol (or missed the keepalive deadline). A close frame
    /// with [`ProtocolError::close_code`] was sent and the transport was shut down.
    Protocol(ProtocolError),
    /// The transport ended without a close handshake (1006).
    AbnormalClosure,
    /// A transport error.
    Io(io::Error),
    /// Local misuse: sending after close, an oversized control frame, and the like.
    Send(SendError),
    /// The connection is closed; nothing more can be sent.
    Closed,
}

impl Error {
    /// The close code that describes this error: the one sent to the peer for protocol
    /// violations, 1006 for a lost transport, `None` for local errors.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::Protocol(e) => Some(e.close_code()),
            Self::AbnormalClosure | Self::Io(_) => Some(CloseCode::ABNORMAL),
            Self::Send(_) | Self::Closed => None,
        }
    }

    /// Whether the peer is to blame (a protocol violation or a timeout).
    pub fn is_protocol(&self) -> bool {
        matches!(self, Self::Protocol(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Protocol(e) => write!(f, "protocol error: {e} (closed with {})", e.close_code()),
            Self::AbnormalClosure => f.write_str("connection closed without a close frame"),
            Self::Io(e) => write!(f, "i/o error: {e}"),
            Self::Send(e) => write!(f, "cannot send: {e}"),
            Self::Closed => f.write_str("connection closed"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Protocol(e) => Some(e),
            Self::Io(e) => Some(e),
            Self::Send(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Closed => Self::Closed,
            e => Self::Send(e),
        }
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        Self::Protocol(e)
    }
}

/// Why a server-side handshake failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum AcceptError {
    /// The request was refused; the error response (status and reason) was written.
    Rejected(Rejection),
    /// The request head did not arrive within the handshake timeout.
    Timeout,
    /// The peer closed the connection before the request head was complete.
    Eof,
    /// A transport error.
    Io(io::Error),
}

impl AcceptError {
    /// The HTTP status sent to the client, if a response was written.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Rejected(r) => Some(r.status),
            _ => None,
        }
    }
}

impl fmt::Display for AcceptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(r) => write!(f, "handshake rejected: {r}"),
            Self::Timeout => f.write_str("handshake timed out"),
            Self::Eof => f.write_str("connection closed during the handshake"),
            Self::Io(e) => write!(f, "i/o error during the handshake: {e}"),
        }
    }
}

impl std::error::Error for AcceptError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Rejected(r) => Some(r),
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for AcceptError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// Why a client connection failed. Each stage has its own variant so that callers (and
/// the CLI) can say what went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not a valid `ws://` or `wss://` URL.
    InvalidUrl(String),
    /// The host name did not resolve.
    Dns(io::Error),
    /// No address accepted the TCP connection (refused, unreachable).
    Connect(io::Error),
    /// The TLS handshake or TLS configuration failed.
    Tls(io::Error),
    /// The HTTP proxy failed or refused the tunnel (status and reason line, if any).
    Proxy(String),
    /// The server answered the opening handshake wrongly or refused it; a refusal keeps
    /// its status, headers and body ([`HandshakeError::Status`]).
    Handshake(HandshakeError),
    /// A stage did not finish within the connect timeout.
    Timeout,
    /// A transport error after the connection was made.
    Io(io::Error),
}

impl ConnectError {
    /// The HTTP status of a refused handshake.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Handshake(HandshakeError::Status { status, .. }) => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl(why) => write!(f, "invalid url: {why}"),
            Self::Dns(e) => write!(f, "dns lookup failed: {e}"),
            Self::Connect(e) => write!(f, "tcp connect failed: {e}"),
            Self::Tls(e) => write!(f, "tls handshake failed: {e}"),
            Self::Proxy(why) => write!(f, "proxy failed: {why}"),
            Self::Handshake(e) => write!(f, "{e}"),
            Self::Timeout => f.write_str("connect timed out"),
            Self::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Dns(e) | Self::Connect(e) | Self::Tls(e) | Self::Io(e) => Some(e),
            Self::Handshake(e) => Some(e),
            _ => None,
        }
    }
}
