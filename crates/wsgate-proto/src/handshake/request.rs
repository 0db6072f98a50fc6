//! The opening-handshake request head: bounded parsing and header accessors.

use super::headers::{self, HeaderVec, MAX_HEADERS};
use super::server::Rejection;

/// A parsed opening-handshake request head.
///
/// Parsing only checks HTTP syntax and size; [`super::ServerConfig::accept`] checks the
/// WebSocket requirements, so that a caller can still serve plain HTTP requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    method: String,
    target: String,
    version_minor: u8,
    headers: HeaderVec,
}

impl Request {
    /// Parses a request head from the start of `buf`. `Ok(None)` means the head is not
    /// complete yet; `Ok(Some((req, n)))` gives the request and the head's length in bytes
    /// (anything after it is the first WebSocket data and must be kept).
    ///
    /// At most `max_header_size` bytes are examined and at most 64 header lines accepted.
    ///
    /// # Errors
    /// A [`Rejection`] (400, 431, …) for a malformed or oversized head.
    pub fn parse(buf: &[u8], max_header_size: usize) -> Result<Option<(Self, usize)>, Rejection> {
        let window = buf.get(..max_header_size).unwrap_or(buf);
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut slots);
        match req.parse(window) {
            Ok(httparse::Status::Complete(n)) => Ok(Some((Self::from_httparse(&req), n))),
            Ok(httparse::Status::Partial) if buf.len() >= max_header_size => {
                Err(Rejection::new(431, "request head too large"))
            }
            Ok(httparse::Status::Partial) => Ok(None),
            Err(httparse::Error::TooManyHeaders) => {
                Err(Rejection::new(431, "too many request headers"))
            }
            Err(e) => Err(Rejection::new(400, malformed(e))),
        }
    }

    /// Builds a request from parts already parsed elsewhere (hyper): method, target,
    /// HTTP minor version for HTTP/1.x (`1` for 1.1), and headers.
    pub fn from_parts<'a>(
        method: &str,
        target: &str,
        version_minor: u8,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Self {
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            version_minor,
            headers: headers
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v.to_vec()))
                .collect(),
        }
    }

    /// The request method, e.g. `GET`.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The HTTP/1.x minor version: `1` for HTTP/1.1, `0` for HTTP/1.0.
    pub fn version_minor(&self) -> u8 {
        self.version_minor
    }

    /// The request target (path and query).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        headers::values(&self.headers, name).next()
    }

    /// All headers in order, as received.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// The `Origin` header, if present and valid UTF-8.
    pub fn origin(&self) -> Option<&str> {
        self.header("origin")
            .and_then(|v| std::str::from_utf8(headers::trim_ows(v)).ok())
    }

    /// The subprotocols offered in `Sec-WebSocket-Protocol`, in order (over all lines
    /// of the header; elements that are not UTF-8 are left out).
    pub fn subprotocols(&self) -> Vec<&str> {
        headers::list(&self.headers, "sec-websocket-protocol")
            .filter_map(|p| std::str::from_utf8(p).ok())
            .collect()
    }

    /// The raw header list, for validation.
    pub(crate) fn header_vec(&self) -> &[(String, Vec<u8>)] {
        &self.headers
    }

    fn from_httparse(req: &httparse::Request<'_, '_>) -> Self {
        Self {
            method: req.method.unwrap_or_default().to_owned(),
            target: req.path.unwrap_or_default().to_owned(),
            version_minor: req.version.unwrap_or_default(),
            headers: headers::collect(req.headers),
        }
    }
}

/// The 400 reason for an `httparse` error, in lowercase.
fn malformed(e: httparse::Error) -> String {
    format!(
        "malformed request head: {}",
        e.to_string().to_ascii_lowercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] = b"GET /chat?x=1 HTTP/1.1\r\nHost: a\r\nX-Bin: \xff\xfe\r\n\r\nDATA";

    #[test]
    fn parses_a_complete_head_and_leaves_the_rest() {
        let Ok(Some((req, n))) = Request::parse(HEAD, 8192) else {
            unreachable!("head must parse")
        };
        assert_eq!(&HEAD[n..], b"DATA");
        assert_eq!(req.method(), "GET");
        assert_eq!(req.target(), "/chat?x=1");
        assert_eq!(req.version_minor(), 1);
        assert_eq!(req.header("HOST"), Some(&b"a"[..]));
        assert_eq!(req.header("x-bin"), Some(&b"\xff\xfe"[..]));
        assert_eq!(req.headers().count(), 2);
    }

    #[test]
    fn every_prefix_is_partial() {
        let head_len = HEAD.len() - 4;
        for i in 0..head_len {
            assert_eq!(Request::parse(&HEAD[..i], 8192), Ok(None), "prefix {i}");
        }
    }

    #[test]
    fn size_limit_applies_to_incomplete_heads() {
        let head_len = HEAD.len() - 4;
        assert!(matches!(Request::parse(HEAD, head_len), Ok(Some(_))));
        let err = Request::parse(HEAD, head_len - 1)
            .err()
            .map(|r| (r.status, r.reason));
        assert_eq!(err, Some((431, "request head too large".to_owned())));
        assert_eq!(Request::parse(&HEAD[..10], 11), Ok(None));
    }

    #[test]
    fn from_parts_matches_parse() {
        let Ok(Some((parsed, _))) = Request::parse(HEAD, 8192) else {
            unreachable!("head must parse")
        };
        let built = Request::from_parts(
            "GET",
            "/chat?x=1",
            1,
            [("Host", &b"a"[..]), ("X-Bin", &b"\xff\xfe"[..])],
        );
        assert_eq!(parsed, built);
    }

    #[test]
    fn origin_and_subprotocols() {
        let req = Request::from_parts(
            "GET",
            "/",
            1,
            [
                ("Origin", &b" https://a.example "[..]),
                ("Sec-WebSocket-Protocol", b"chat, \tv2.x"),
                ("sec-websocket-protocol", b"mqtt,,\xff"),
            ],
        );
        assert_eq!(req.origin(), Some("https://a.example"));
        assert_eq!(req.subprotocols(), ["chat", "v2.x", "mqtt"]);
    }
}
