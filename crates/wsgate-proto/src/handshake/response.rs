//! The client's reading of the server's handshake response: bounded head parsing and
//! the RFC 6455 §4.1 / RFC 7692 §5.1 checks behind
//! [`ClientHandshake::parse_response`](super::ClientHandshake::parse_response).

use super::client::{HandshakeError, InvalidResponse, Response};
use super::extensions;
use super::headers::{self, HeaderVec, MAX_HEADERS, lossy};
use super::negotiate::{self, Params};
use crate::pmd::PerMessageDeflate;

/// The most body bytes kept in [`HandshakeError::Status`].
const MAX_ERROR_BODY: usize = 4 << 10;

/// A complete response head, not yet validated.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) version: u8,
    pub(crate) status: u16,
    pub(crate) reason: String,
    pub(crate) headers: HeaderVec,
    /// Length of the head in the buffer, including the blank line.
    pub(crate) len: usize,
}

impl Head {
    /// Parses a response head from the start of `buf`, examining at most `max` bytes.
    ///
    /// # Errors
    /// [`HandshakeError::MalformedResponse`] for bad syntax, too many header lines, or a
    /// head that is not complete within `max` bytes.
    pub(crate) fn parse(buf: &[u8], max: usize) -> Result<Option<Self>, HandshakeError> {
        let window = buf.get(..max).unwrap_or(buf);
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut slots);
        let malformed = |why: String| Err(HandshakeError::MalformedResponse(why));
        match resp.parse(window) {
            Ok(httparse::Status::Complete(len)) => Ok(Some(Self {
                version: resp.version.unwrap_or_default(),
                status: resp.code.unwrap_or_default(),
                reason: resp.reason.unwrap_or_default().to_owned(),
                headers: headers::collect(resp.headers),
                len,
            })),
            Ok(httparse::Status::Partial) if buf.len() >= max => {
                malformed(format!("response head larger than {max} bytes"))
            }
            Ok(httparse::Status::Partial) => Ok(None),
            Err(httparse::Error::TooManyHeaders) => {
                malformed(format!("more than {MAX_HEADERS} response headers"))
            }
            Err(e) => malformed(e.to_string().to_ascii_lowercase()),
        }
    }

    /// The error for a non-101 status, with the part of the body already in `buf`
    /// (at most `Content-Length` bytes and at most 4 KiB).
    pub(crate) fn into_status_error(self, buf: &[u8]) -> HandshakeError {
        let declared = headers::single(&self.headers, "content-length")
            .ok()
            .flatten()
            .and_then(|v| std::str::from_utf8(headers::trim_ows(v)).ok())
            .and_then(|v| v.parse::<usize>().ok());
        let cap = declared.unwrap_or(usize::MAX).min(MAX_ERROR_BODY);
        let rest = buf.get(self.len..).unwrap_or_default();
        HandshakeError::Status {
            status: self.status,
            reason: self.reason,
            headers: self.headers,
            body: rest.get(..cap).unwrap_or(rest).to_vec(),
        }
    }

    /// Checks a 101 head against what we sent: the expected accept key, the offered
    /// subprotocols and the permessage-deflate offer, if any.
    ///
    /// # Errors
    /// The first [`HandshakeError`] found, in RFC 6455 §4.1 order.
    pub(crate) fn validate(
        self,
        accept: &str,
        protocols: &[String],
        offer: Option<&Params>,
    ) -> Result<Response, HandshakeError> {
        if self.version != 1 {
            return Err(HandshakeError::MalformedResponse(
                "101 response is not http/1.1".into(),
            ));
        }
        match check_101(&self.headers, accept, protocols, offer) {
            Ok((protocol, deflate)) => Ok(Response {
                headers: self.headers,
                protocol,
                deflate,
            }),
            Err(problem) => Err(HandshakeError::Invalid {
                problem,
                headers: self.headers,
            }),
        }
    }
}

/// The RFC 6455 §4.1 checks of a 101 response, in order: the agreed subprotocol and
/// permessage-deflate parameters, or the first problem found.
fn check_101(
    h: &[(String, Vec<u8>)],
    accept: &str,
    protocols: &[String],
    offer: Option<&Params>,
) -> Result<(Option<String>, Option<PerMessageDeflate>), InvalidResponse> {
    match headers::single(h, "upgrade") {
        Ok(Some(v)) if headers::trim_ows(v).eq_ignore_ascii_case(b"websocket") => {}
        _ => return Err(InvalidResponse::MissingUpgrade),
    }
    if !headers::list_contains(h, "connection", "upgrade") {
        return Err(InvalidResponse::MissingConnection);
    }
    match headers::single(h, "sec-websocket-accept") {
        Ok(Some(v)) if headers::trim_ows(v) == accept.as_bytes() => {}
        _ => return Err(InvalidResponse::BadAccept),
    }
    let protocol = selected_protocol(h, protocols)?;
    let deflate = negotiated_deflate(h, offer)?;
    Ok((protocol, deflate))
}

/// The subprotocol the server selected: at most one header line holding exactly one
/// of the offered names.
fn selected_protocol(
    h: &[(String, Vec<u8>)],
    offered: &[String],
) -> Result<Option<String>, InvalidResponse> {
    let mut lines = headers::values(h, "sec-websocket-protocol");
    let Some(first) = lines.next() else {
        return Ok(None);
    };
    let value = headers::trim_ows(first);
    let chosen = offered.iter().find(|p| p.as_bytes() == value);
    match (chosen, lines.next()) {
        (Some(p), None) => Ok(Some(p.clone())),
        (_, Some(second)) => Err(InvalidResponse::UnexpectedProtocol(format!(
            "{}, {}",
            lossy(value),
            lossy(headers::trim_ows(second))
        ))),
        (None, None) => Err(InvalidResponse::UnexpectedProtocol(lossy(value))),
    }
}

/// The permessage-deflate parameters the server accepted, checked against our offer.
fn negotiated_deflate(
    h: &[(String, Vec<u8>)],
    offer: Option<&Params>,
) -> Result<Option<PerMessageDeflate>, InvalidResponse> {
    let bad = InvalidResponse::BadExtension;
    let answered = extensions::parse(headers::values(h, "sec-websocket-extensions"))
        .map_err(|e| bad(format!("malformed sec-websocket-extensions: {e}")))?;
    let mut agreed = None;
    for ext in &answered {
        if ext.name != negotiate::NAME {
            return Err(bad(format!("extension {:?} was not offered", ext.name)));
        }
        let Some(offer) = offer else {
            return Err(bad("permessage-deflate was not offered".into()));
        };
        if agreed.is_some() {
            return Err(bad("permessage-deflate answered more than once".into()));
        }
        let pmd = negotiate::client_check(offer, &ext.params)
            .map_err(|e| bad(format!("permessage-deflate: {e}")))?;
        agreed = Some(pmd);
    }
    Ok(agreed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_body_is_capped_by_content_length() {
        let buf = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nno\nEXTRA";
        let Ok(Some(head)) = Head::parse(buf, 1024) else {
            unreachable!("head must parse")
        };
        let HandshakeError::Status { status, body, .. } = head.into_status_error(buf) else {
            unreachable!("status error expected")
        };
        assert_eq!((status, body.as_slice()), (403, &b"no\n"[..]));
    }

    #[test]
    fn status_body_is_capped_at_4_kib() {
        let mut buf = b"HTTP/1.1 500 Oops\r\n\r\n".to_vec();
        buf.resize(buf.len() + 10_000, b'x');
        let Ok(Some(head)) = Head::parse(&buf, 1024) else {
            unreachable!("head must parse")
        };
        let HandshakeError::Status { body, .. } = head.into_status_error(&buf) else {
            unreachable!("status error expected")
        };
        assert_eq!(body.len(), MAX_ERROR_BODY);
    }

    #[test]
    fn oversized_head_is_malformed() {
        let buf = b"HTTP/1.1 101 Switching Protocols\r\nX: 1234567890\r\n";
        assert!(matches!(
            Head::parse(buf, 20),
            Err(HandshakeError::MalformedResponse(_))
        ));
        assert!(matches!(Head::parse(buf, 1024), Ok(None)));
    }
}
