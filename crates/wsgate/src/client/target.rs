//! `ws://` and `wss://` URLs: host (IPv6 literals too), port with the scheme's default,
//! request target, and the `Host` header value.

use url::{Host, Url};

use crate::error::ConnectError;

/// Where to connect and what to ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    /// `wss://` (or `https://`).
    pub(crate) secure: bool,
    /// Host name or IP literal, without IPv6 brackets (for DNS and TLS SNI).
    pub(crate) host: String,
    /// Port, 80 or 443 unless given.
    pub(crate) port: u16,
    /// `Host` header value: the host (bracketed if IPv6), with the port if not default.
    pub(crate) host_header: String,
    /// `host:port` for an HTTP CONNECT request.
    pub(crate) authority: String,
    /// Path and query.
    pub(crate) resource: String,
}

impl Target {
    /// Parses a `ws://`, `wss://`, `http://` or `https://` URL.
    pub(crate) fn parse(input: &str) -> Result<Self, ConnectError> {
        let url = Url::parse(input).map_err(|e| ConnectError::InvalidUrl(e.to_string()))?;
        let secure = match url.scheme() {
            "ws" | "http" => false,
            "wss" | "https" => true,
            other => {
                return Err(ConnectError::InvalidUrl(format!(
                    "scheme {other:?} is not ws or wss"
                )));
            }
        };
        let default_port = if secure { 443 } else { 80 };
        let port = url.port().unwrap_or(default_port);
        let (host, bracketed) = match url.host() {
            Some(Host::Domain(d)) => (d.to_owned(), d.to_owned()),
            Some(Host::Ipv4(ip)) => (ip.to_string(), ip.to_string()),
            Some(Host::Ipv6(ip)) => (ip.to_string(), format!("[{ip}]")),
            None => return Err(ConnectError::InvalidUrl("missing host".into())),
        };
        let host_header = if port == default_port {
            bracketed.clone()
        } else {
            format!("{bracketed}:{port}")
        };
        let mut resource = url.path().to_owned();
        if let Some(q) = url.query() {
            resource.push('?');
            resource.push_str(q);
        }
        Ok(Self {
            secure,
            host,
            port,
            host_header,
            authority: format!("{bracketed}:{port}"),
            resource,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Target {
        match Target::parse(s) {
            Ok(t) => t,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn default_ports_and_resource() {
        let t = parse("ws://example.com");
        assert_eq!((t.secure, t.port, t.resource.as_str()), (false, 80, "/"));
        assert_eq!(t.host_header, "example.com");
        let t = parse("wss://example.com/chat?room=1#frag");
        assert_eq!(
            (t.secure, t.port, t.resource.as_str()),
            (true, 443, "/chat?room=1")
        );
        let t = parse("ws://example.com:9001/x");
        assert_eq!(t.host_header, "example.com:9001");
        assert_eq!(t.authority, "example.com:9001");
    }

    #[test]
    fn ipv6_literals_keep_brackets_in_headers_only() {
        let t = parse("ws://[::1]:9001/");
        assert_eq!(t.host, "::1");
        assert_eq!(t.host_header, "[::1]:9001");
        assert_eq!(t.authority, "[::1]:9001");
        let t = parse("wss://[2001:db8::1]/");
        assert_eq!(t.host_header, "[2001:db8::1]");
    }

    #[test]
    fn rejects_other_schemes_and_garbage() {
        assert!(Target::parse("ftp://example.com").is_err());
        assert!(Target::parse("not a url").is_err());
    }
}
