//! Admission: the hub's origin policy and helpers that find a credential in the
//! opening-handshake request for [`Handler::on_upgrade`](crate::Handler::on_upgrade).
//!
//! Browsers cannot set an `Authorization` header on a WebSocket, so a token usually
//! travels in the query string (`wss://host/ws?token=…`, visible in access logs) or as
//! an extra offered subprotocol (`Sec-WebSocket-Protocol: chat, token.…`, which the
//! server must not select). Non-browser clients can use `Authorization: Bearer …`.

use wsgate::proto::handshake::{Rejection, Request};

/// The token in `Authorization: Bearer <token>`.
pub fn bearer_token(req: &Request) -> Option<&str> {
    let value = std::str::from_utf8(req.header("authorization")?).ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The raw (not percent-decoded) value of query parameter `name` in the request target.
pub fn query_param<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    let (_, query) = req.target().split_once('?')?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// The rest of the first offered subprotocol that starts with `prefix`
/// (`subprotocol_token(req, "token.")` finds `abc` in `Sec-WebSocket-Protocol: chat,
/// token.abc`).
pub fn subprotocol_token<'r>(req: &'r Request, prefix: &str) -> Option<&'r str> {
    req.subprotocols()
        .into_iter()
        .find_map(|p| p.strip_prefix(prefix).filter(|t| !t.is_empty()))
}

/// The first credential found, trying in order: `Authorization: Bearer`, the `token`
/// query parameter, and an offered subprotocol `token.<token>`.
pub fn token(req: &Request) -> Option<&str> {
    bearer_token(req)
        .or_else(|| query_param(req, "token").filter(|t| !t.is_empty()))
        .or_else(|| subprotocol_token(req, "token."))
}

/// Which `Origin` headers the hub accepts.
///
/// The default is same-origin: the origin's host and port must equal the request's
/// `Host` (so a page served by this server may connect, a page elsewhere may not), plus
/// an explicit allow-list. Requests without `Origin` (non-browser clients) pass; guard
/// them with authentication.
#[derive(Clone, Debug, Default)]
pub(crate) struct OriginPolicy {
    allow: Vec<String>,
    any: bool,
}

impl OriginPolicy {
    pub(crate) fn allow(&mut self, origin: &str) {
        self.allow.push(origin.trim_end_matches('/').to_owned());
    }

    pub(crate) fn allow_any(&mut self) {
        self.any = true;
    }

    /// `Err(403)` when the request's origin is not acceptable.
    pub(crate) fn check(&self, req: &Request) -> Result<(), Rejection> {
        let Some(origin) = req.origin() else {
            return Ok(());
        };
        let host = req.header("host").and_then(|h| std::str::from_utf8(h).ok());
        if self.any
            || self.allow.iter().any(|a| a.eq_ignore_ascii_case(origin))
            || host.is_some_and(|h| same_origin(origin, h))
        {
            return Ok(());
        }
        Err(Rejection::new(403, "origin not allowed"))
    }
}

/// Whether `origin` (`scheme://host[:port]`) names the same host and port as `host`.
fn same_origin(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => ":80",
        "https" | "wss" => ":443",
        _ => return false,
    };
    let strip = |s: &str| -> String {
        let s = s.trim().trim_end_matches('/');
        s.strip_suffix(default_port)
            .unwrap_or(s)
            .to_ascii_lowercase()
    };
    strip(authority) == strip(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(target: &str, headers: &[(&str, &str)]) -> Request {
        let h = headers.iter().map(|(n, v)| (*n, v.as_bytes()));
        Request::from_parts("GET", target, 1, h)
    }

    #[test]
    fn finds_tokens_in_each_place() {
        let r = req("/ws", &[("Authorization", "Bearer abc")]);
        assert_eq!(token(&r), Some("abc"));
        let r = req("/ws?room=1&token=xyz", &[]);
        assert_eq!(token(&r), Some("xyz"));
        let r = req("/ws", &[("Sec-WebSocket-Protocol", "chat, token.t0k")]);
        assert_eq!(token(&r), Some("t0k"));
        assert_eq!(token(&req("/ws?token=", &[])), None);
        assert_eq!(
            bearer_token(&req("/", &[("Authorization", "Basic x")])),
            None
        );
    }

    #[test]
    fn same_origin_by_default_with_allow_list() {
        let mut policy = OriginPolicy::default();
        let ok = |p: &OriginPolicy, origin: &str, host: &str| {
            p.check(&req("/", &[("Origin", origin), ("Host", host)]))
                .is_ok()
        };
        assert!(ok(&policy, "http://Example.com", "example.com:80"));
        assert!(ok(&policy, "https://a.test:8443", "a.test:8443"));
        assert!(!ok(&policy, "https://evil.test", "a.test"));
        assert!(!ok(&policy, "null", "a.test"));
        assert!(policy.check(&req("/", &[("Host", "a.test")])).is_ok());
        policy.allow("https://app.test/");
        assert!(ok(&policy, "https://app.test", "api.test"));
        policy.allow_any();
        assert!(ok(&policy, "https://evil.test", "a.test"));
    }
}
