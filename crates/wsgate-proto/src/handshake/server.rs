//! Server side of the opening handshake: parse and validate the request, negotiate
//! subprotocol and extensions, write the 101 or the error response.

use crate::pmd::{DeflateConfig, PerMessageDeflate};

/// Server handshake settings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Largest request head accepted; larger gets 431. Default is 8 KiB.
    pub max_header_size: usize,
    /// Subprotocols in order of preference; the first one the client also offered is
    /// selected. Default is empty (no subprotocol).
    pub subprotocols: Vec<String>,
    /// permessage-deflate policy, `None` to never negotiate it. Default is
    /// `Some(DeflateConfig::default())`.
    pub deflate: Option<DeflateConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_header_size: 8 << 10,
            subprotocols: Vec::new(),
            deflate: Some(DeflateConfig::default()),
        }
    }
}

/// A parsed opening-handshake request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    _todo: (),
}

impl Request {
    /// Parses a request head from the start of `buf`. `Ok(None)` means the head is not
    /// complete yet; `Ok(Some((req, n)))` gives the request and the head's length in bytes
    /// (anything after it is the first WebSocket data and must be kept).
    ///
    /// # Errors
    /// A [`Rejection`] (400, 431, …) for a malformed or oversized head.
    pub fn parse(buf: &[u8], max_header_size: usize) -> Result<Option<(Self, usize)>, Rejection> {
        let _ = (buf, max_header_size);
        todo!()
    }

    /// Builds a request from parts already parsed elsewhere (hyper): method, target,
    /// HTTP minor version for HTTP/1.x (`1` for 1.1), and headers.
    pub fn from_parts<'a>(
        method: &str,
        target: &str,
        version_minor: u8,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Self {
        let _ = (method, target, version_minor, headers.into_iter().count());
        todo!()
    }

    /// The request target (path and query).
    pub fn target(&self) -> &str {
        todo!()
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        let _ = name;
        todo!()
    }

    /// All headers in order, as received.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        std::iter::empty()
    }

    /// The `Origin` header, if present and valid UTF-8.
    pub fn origin(&self) -> Option<&str> {
        todo!()
    }

    /// The subprotocols offered in `Sec-WebSocket-Protocol`, in order.
    pub fn subprotocols(&self) -> Vec<&str> {
        todo!()
    }
}

impl ServerConfig {
    /// Validates the request (method GET, HTTP/1.1+, Host, Upgrade, Connection, key,
    /// version 13) and negotiates subprotocol and permessage-deflate.
    ///
    /// # Errors
    /// A [`Rejection`]: 400 for a malformed request, 426 (with
    /// `Sec-WebSocket-Version: 13`) for a wrong version, 405 for a wrong method.
    pub fn accept(&self, req: &Request) -> Result<Accept, Rejection> {
        let _ = req;
        todo!()
    }
}

/// A successful negotiation: what to put in the 101 response and what the connection uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accept {
    /// The `Sec-WebSocket-Accept` value.
    pub accept_key: String,
    /// The selected subprotocol.
    pub protocol: Option<String>,
    /// The negotiated permessage-deflate parameters.
    pub deflate: Option<PerMessageDeflate>,
}

impl Accept {
    /// The headers of the 101 response besides `Upgrade` and `Connection`
    /// (`Sec-WebSocket-Accept`, `-Protocol`, `-Extensions`), for use with hyper.
    pub fn response_headers(&self) -> Vec<(&'static str, String)> {
        todo!()
    }

    /// Appends the complete `101 Switching Protocols` response head, with `extra`
    /// headers, to `out`.
    pub fn write_response(&self, extra: &[(&str, &str)], out: &mut Vec<u8>) {
        let _ = (extra, out);
        todo!()
    }
}

/// A refused handshake: a complete HTTP error response with a one-line reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// HTTP status code (400, 403, 405, 426, 431, …).
    pub status: u16,
    /// One-line lowercase reason, sent as the body.
    pub reason: String,
    /// Extra headers, such as `Sec-WebSocket-Version: 13` on 426.
    pub headers: Vec<(&'static str, String)>,
}

impl Rejection {
    /// A rejection with a status and reason and no extra headers.
    pub fn new(status: u16, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
            headers: Vec::new(),
        }
    }

    /// Appends the complete response (status line, headers, `Connection: close`,
    /// `Content-Length`, body = reason + newline) to `out`.
    pub fn write_response(&self, out: &mut Vec<u8>) {
        let _ = out;
        todo!()
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.reason)
    }
}

impl std::error::Error for Rejection {}
