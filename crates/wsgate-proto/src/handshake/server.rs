//! Server side of the opening handshake: parse and validate the request, negotiate
//! subprotocol and extensions, write the 101 or the error response.

use super::extensions;
use super::headers::{self, write_line};
use super::negotiate;
pub use super::request::Request;
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

impl ServerConfig {
    /// Validates the request (method GET, HTTP/1.1+, Host, Upgrade, Connection, key,
    /// version 13) and negotiates subprotocol and permessage-deflate.
    ///
    /// # Errors
    /// A [`Rejection`]: 400 for a malformed request, 426 (with
    /// `Sec-WebSocket-Version: 13`) for a wrong version, 405 for a wrong method.
    /// Checks run in this order, each with its own reason:
    ///
    /// | status | reason |
    /// |---|---|
    /// | 405 | `method not allowed` (with `Allow: GET`) |
    /// | 400 | `http/1.1 or later required` |
    /// | 400 | `missing host header`, `duplicate host header` |
    /// | 400 | `missing upgrade header`, `upgrade header lacks websocket` |
    /// | 400 | `missing connection header`, `connection header lacks upgrade` |
    /// | 426 | `missing sec-websocket-version`, `unsupported websocket version`, `duplicate sec-websocket-version` |
    /// | 400 | `missing sec-websocket-key`, `duplicate sec-websocket-key`, `invalid sec-websocket-key` |
    /// | 400 | `invalid sec-websocket-protocol` (an element that is not a token) |
    /// | 400 | `malformed sec-websocket-extensions` (RFC 6455 §9.1 syntax) |
    ///
    /// Invalid or unacceptable permessage-deflate offers are declined, not rejected.
    pub fn accept(&self, req: &Request) -> Result<Accept, Rejection> {
        check_request_line(req)?;
        let h = req.header_vec();
        check_host(h)?;
        check_upgrade(h)?;
        check_connection(h)?;
        check_version(h)?;
        let key = check_key(h)?;
        let protocol = self.select_protocol(h)?;
        let (deflate, extensions) = self.negotiate_deflate(h)?.unzip();
        Ok(Accept {
            accept_key: super::accept_key(key),
            protocol,
            deflate,
            extensions,
        })
    }

    /// The first of our subprotocols that the client offered.
    fn select_protocol(&self, h: &[(String, Vec<u8>)]) -> Result<Option<String>, Rejection> {
        let offered: Vec<&[u8]> = headers::list(h, "sec-websocket-protocol").collect();
        if !offered.iter().all(|p| headers::is_token(p)) {
            return Err(Rejection::new(400, "invalid sec-websocket-protocol"));
        }
        let chosen = self
            .subprotocols
            .iter()
            .find(|ours| offered.contains(&ours.as_bytes()));
        Ok(chosen.cloned())
    }

    /// The first acceptable permessage-deflate offer, if any, and its answer.
    fn negotiate_deflate(
        &self,
        h: &[(String, Vec<u8>)],
    ) -> Result<Option<(PerMessageDeflate, String)>, Rejection> {
        let offers = extensions::parse(headers::values(h, "sec-websocket-extensions"))
            .map_err(|_| Rejection::new(400, "malformed sec-websocket-extensions"))?;
        Ok(self
            .deflate
            .and_then(|cfg| negotiate::server_accept(&cfg, &offers)))
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
    /// The `Sec-WebSocket-Extensions` answer matching `deflate`.
    extensions: Option<String>,
}

impl Accept {
    /// The headers of the 101 response besides `Upgrade` and `Connection`
    /// (`Sec-WebSocket-Accept`, `-Protocol`, `-Extensions`), for use with hyper.
    pub fn response_headers(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("Sec-WebSocket-Accept", self.accept_key.clone())];
        if let Some(p) = &self.protocol {
            out.push(("Sec-WebSocket-Protocol", p.clone()));
        }
        if let Some(e) = self.extensions_header() {
            out.push(("Sec-WebSocket-Extensions", e));
        }
        out
    }

    /// The `Sec-WebSocket-Extensions` response value, if an extension was negotiated.
    pub fn extensions_header(&self) -> Option<String> {
        self.extensions.clone()
    }

    /// Appends the complete `101 Switching Protocols` response head, with `extra`
    /// headers, to `out`.
    pub fn write_response(&self, extra: &[(&str, &str)], out: &mut Vec<u8>) {
        out.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\n");
        write_line(out, "Upgrade", "websocket");
        write_line(out, "Connection", "Upgrade");
        for (name, value) in self.response_headers() {
            write_line(out, name, &value);
        }
        for (name, value) in extra {
            write_line(out, name, value);
        }
        out.extend_from_slice(b"\r\n");
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
        out.extend_from_slice(format!("HTTP/1.1 {} ", self.status).as_bytes());
        out.extend_from_slice(reason_phrase(self.status).as_bytes());
        out.extend_from_slice(b"\r\n");
        write_line(out, "Content-Type", "text/plain; charset=utf-8");
        write_line(out, "Content-Length", &(self.reason.len() + 1).to_string());
        write_line(out, "Connection", "close");
        for (name, value) in &self.headers {
            write_line(out, name, value);
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.reason.as_bytes());
        out.push(b'\n');
    }

    /// Adds an extra response header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.reason)
    }
}

impl std::error::Error for Rejection {}

fn check_request_line(req: &Request) -> Result<(), Rejection> {
    if req.method() != "GET" {
        return Err(Rejection::new(405, "method not allowed").with_header("Allow", "GET"));
    }
    if req.version_minor() < 1 {
        return Err(Rejection::new(400, "http/1.1 or later required"));
    }
    Ok(())
}

fn check_host(h: &[(String, Vec<u8>)]) -> Result<(), Rejection> {
    match headers::single(h, "host") {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(Rejection::new(400, "missing host header")),
        Err(()) => Err(Rejection::new(400, "duplicate host header")),
    }
}

fn check_upgrade(h: &[(String, Vec<u8>)]) -> Result<(), Rejection> {
    if headers::values(h, "upgrade").next().is_none() {
        return Err(Rejection::new(400, "missing upgrade header"));
    }
    if !headers::list_contains(h, "upgrade", "websocket") {
        return Err(Rejection::new(400, "upgrade header lacks websocket"));
    }
    Ok(())
}

fn check_connection(h: &[(String, Vec<u8>)]) -> Result<(), Rejection> {
    if headers::values(h, "connection").next().is_none() {
        return Err(Rejection::new(400, "missing connection header"));
    }
    if !headers::list_contains(h, "connection", "upgrade") {
        return Err(Rejection::new(400, "connection header lacks upgrade"));
    }
    Ok(())
}

fn check_version(h: &[(String, Vec<u8>)]) -> Result<(), Rejection> {
    let upgrade = |reason| Rejection::new(426, reason).with_header("Sec-WebSocket-Version", "13");
    match headers::single(h, "sec-websocket-version") {
        Ok(Some(v)) if headers::trim_ows(v) == b"13" => Ok(()),
        Ok(Some(_)) => Err(upgrade("unsupported websocket version")),
        Ok(None) => Err(upgrade("missing sec-websocket-version")),
        Err(()) => Err(upgrade("duplicate sec-websocket-version")),
    }
}

/// The trimmed key, which must decode to exactly 16 bytes (§4.2.1 item 5).
fn check_key(h: &[(String, Vec<u8>)]) -> Result<&[u8], Rejection> {
    use base64::Engine as _;
    let key = match headers::single(h, "sec-websocket-key") {
        Ok(Some(v)) => headers::trim_ows(v),
        Ok(None) => return Err(Rejection::new(400, "missing sec-websocket-key")),
        Err(()) => return Err(Rejection::new(400, "duplicate sec-websocket-key")),
    };
    let mut raw = [0u8; 18];
    match base64::engine::general_purpose::STANDARD.decode_slice(key, &mut raw) {
        Ok(16) if key.len() == 24 => Ok(key),
        _ => Err(Rejection::new(400, "invalid sec-websocket-key")),
    }
}

/// The standard reason phrase for the statuses a handshake may answer with.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}
