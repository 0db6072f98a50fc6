//! Client side of the opening handshake: build the request, validate the response.

use super::headers::{self, write_line};
use super::negotiate;
use super::response;
use crate::pmd::{DeflateConfig, PerMessageDeflate};

/// Client handshake settings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// `Origin` header to send. Default is `None`.
    pub origin: Option<String>,
    /// Subprotocols to offer, in order. Default is empty.
    pub subprotocols: Vec<String>,
    /// Extra request headers. Default is empty.
    pub headers: Vec<(String, String)>,
    /// permessage-deflate offer, `None` to not offer it. Default is `None`.
    pub deflate: Option<DeflateConfig>,
    /// Largest response head accepted. Default is 16 KiB.
    pub max_header_size: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            origin: None,
            subprotocols: Vec::new(),
            headers: Vec::new(),
            deflate: None,
            max_header_size: 16 << 10,
        }
    }
}

/// One client handshake in flight: remembers the key and what was offered.
#[derive(Clone, Debug)]
pub struct ClientHandshake {
    config: ClientConfig,
    host: String,
    target: String,
    key: String,
    accept: String,
}

impl ClientHandshake {
    /// Prepares a handshake to `host` (the `Host` header value, with port if not default)
    /// for request target `target` (path and query), with the given key
    /// (see [`super::generate_key`]).
    pub fn new(config: &ClientConfig, host: &str, target: &str, key: String) -> Self {
        Self {
            config: config.clone(),
            host: host.to_owned(),
            target: if target.is_empty() { "/" } else { target }.to_owned(),
            accept: super::accept_key(key.as_bytes()),
            key,
        }
    }

    /// The `Sec-WebSocket-Key` this handshake sends.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Appends the request head to `out`. CR, LF and NUL in caller-supplied values are
    /// replaced by spaces, so no value can inject header lines; spaces in the target
    /// are sent as `%20`.
    pub fn write_request(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"GET ");
        headers::write_safe(out, self.target.replace(' ', "%20").as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        write_line(out, "Host", &self.host);
        write_line(out, "Upgrade", "websocket");
        write_line(out, "Connection", "Upgrade");
        write_line(out, "Sec-WebSocket-Key", &self.key);
        write_line(out, "Sec-WebSocket-Version", "13");
        if let Some(origin) = &self.config.origin {
            write_line(out, "Origin", origin);
        }
        if !self.config.subprotocols.is_empty() {
            write_line(
                out,
                "Sec-WebSocket-Protocol",
                &self.config.subprotocols.join(", "),
            );
        }
        if let Some(cfg) = &self.config.deflate {
            write_line(
                out,
                "Sec-WebSocket-Extensions",
                &negotiate::client_offer(cfg).render(),
            );
        }
        for (name, value) in &self.config.headers {
            write_line(out, name, value);
        }
        out.extend_from_slice(b"\r\n");
    }

    /// Parses and validates the response head at the start of `buf`. `Ok(None)` means the
    /// head is not complete; `Ok(Some((resp, n)))` gives the response and the head length
    /// (bytes after it are WebSocket data and must be kept).
    ///
    /// # Errors
    /// A [`HandshakeError`] naming what was wrong; it keeps the status and headers.
    pub fn parse_response(&self, buf: &[u8]) -> Result<Option<(Response, usize)>, HandshakeError> {
        let Some(head) = response::Head::parse(buf, self.config.max_header_size)? else {
            return Ok(None);
        };
        let len = head.len;
        if head.status != 101 {
            return Err(head.into_status_error(buf));
        }
        let offer = self.config.deflate.as_ref().map(negotiate::client_offer);
        let response = head.validate(&self.accept, &self.config.subprotocols, offer.as_ref())?;
        Ok(Some((response, len)))
    }
}

/// A validated 101 response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// All response headers, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The subprotocol the server selected (one we offered).
    pub protocol: Option<String>,
    /// The negotiated permessage-deflate parameters.
    pub deflate: Option<PerMessageDeflate>,
}

/// Why a client handshake failed. Every variant that got as far as a response head
/// keeps its status and headers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The response head was malformed or over the size limit.
    MalformedResponse(String),
    /// The status was not 101; `headers` and the start of the body are kept for display.
    Status {
        /// Status code.
        status: u16,
        /// Reason phrase.
        reason: String,
        /// Response headers.
        headers: Vec<(String, Vec<u8>)>,
        /// The part of the body already in the buffer (at most `Content-Length` bytes,
        /// at most 4 KiB); the driver may read more before reporting.
        body: Vec<u8>,
    },
    /// A `101 Switching Protocols` response that breaks RFC 6455 §4.1.
    Invalid {
        /// What is wrong with it.
        problem: InvalidResponse,
        /// Response headers.
        headers: Vec<(String, Vec<u8>)>,
    },
}

/// What is wrong with a 101 response ([`HandshakeError::Invalid`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidResponse {
    /// `Upgrade: websocket` missing or wrong.
    MissingUpgrade,
    /// `Connection: upgrade` missing or wrong.
    MissingConnection,
    /// `Sec-WebSocket-Accept` missing or not matching our key.
    BadAccept,
    /// The server selected a subprotocol we did not offer.
    UnexpectedProtocol(String),
    /// The server answered with an extension we did not offer, or invalid parameters.
    BadExtension(String),
}

impl HandshakeError {
    /// The response's status code, if a response head was parsed.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::MalformedResponse(_) => None,
            Self::Status { status, .. } => Some(*status),
            Self::Invalid { .. } => Some(101),
        }
    }

    /// The response's headers, in order (empty if no head was parsed).
    pub fn headers(&self) -> &[(String, Vec<u8>)] {
        match self {
            Self::MalformedResponse(_) => &[],
            Self::Status { headers, .. } | Self::Invalid { headers, .. } => headers,
        }
    }

    /// What is wrong with a 101 response, if that is the failure.
    pub fn problem(&self) -> Option<&InvalidResponse> {
        match self {
            Self::Invalid { problem, .. } => Some(problem),
            _ => None,
        }
    }
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MalformedResponse(why) => write!(f, "malformed handshake response: {why}"),
            Self::Status { status, reason, .. } => {
                write!(f, "server rejected the handshake: {status} {reason}")
            }
            Self::Invalid { problem, .. } => problem.fmt(f),
        }
    }
}

impl std::fmt::Display for InvalidResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingUpgrade => f.write_str("handshake response lacks 'Upgrade: websocket'"),
            Self::MissingConnection => {
                f.write_str("handshake response lacks 'Connection: upgrade'")
            }
            Self::BadAccept => f.write_str("handshake response has a wrong Sec-WebSocket-Accept"),
            Self::UnexpectedProtocol(p) => {
                write!(f, "server selected subprotocol {p:?} that was not offered")
            }
            Self::BadExtension(e) => write!(f, "server answered with an invalid extension: {e}"),
        }
    }
}

impl std::error::Error for HandshakeError {}
