//! HTTP CONNECT proxies: explicit, or from `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` (and
//! lowercase); credentials in the proxy URL's userinfo are sent as Basic auth.

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use super::target::Target;
use crate::error::ConnectError;

/// An HTTP proxy to tunnel through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Proxy {
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `Basic …` credentials.
    auth: Option<String>,
}

impl Proxy {
    /// Parses `http://[user:pass@]host[:port]` (the scheme may be omitted; port 80 then).
    pub(crate) fn parse(input: &str) -> Result<Self, ConnectError> {
        let with_scheme = if input.contains("://") {
            input.to_owned()
        } else {
            format!("http://{input}")
        };
        let bad = |why: &str| ConnectError::Proxy(format!("invalid proxy url {input:?}: {why}"));
        let url = Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
        if url.scheme() != "http" {
            return Err(bad("only http:// proxies are supported"));
        }
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(h) => h.to_string(),
            None => return Err(bad("missing host")),
        };
        let auth = (!url.username().is_empty()).then(|| {
            let user = percent_decode(url.username());
            let pass = percent_decode(url.password().unwrap_or(""));
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            format!("Basic {token}")
        });
        let port = url.port().unwrap_or(80);
        Ok(Self { host, port, auth })
    }

    /// The proxy the environment asks for to reach `target`, if any.
    pub(crate) fn from_env(target: &Target) -> Result<Option<Self>, ConnectError> {
        Self::from_vars(target, |name| std::env::var(name).ok())
    }

    fn from_vars(
        target: &Target,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConnectError> {
        let get = |upper: &str| var(upper).or_else(|| var(&upper.to_ascii_lowercase()));
        let name = if target.secure {
            "HTTPS_PROXY"
        } else {
            "HTTP_PROXY"
        };
        let Some(proxy) = get(name).filter(|p| !p.trim().is_empty()) else {
            return Ok(None);
        };
        if get("NO_PROXY").is_some_and(|list| no_proxy_matches(&list, &target.host)) {
            return Ok(None);
        }
        Self::parse(proxy.trim()).map(Some)
    }

    /// Asks the proxy for a tunnel to `target` and reads its answer.
    pub(crate) async fn tunnel(
        &self,
        tcp: &mut TcpStream,
        target: &Target,
    ) -> Result<(), ConnectError> {
        let mut req = format!("CONNECT {0} HTTP/1.1\r\nHost: {0}\r\n", target.authority);
        if let Some(auth) = &self.auth {
            req.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
        }
        req.push_str("\r\n");
        let io = |e: std::io::Error| ConnectError::Proxy(format!("i/o error: {e}"));
        tcp.write_all(req.as_bytes()).await.map_err(io)?;
        let head = read_head(tcp).await.map_err(io)?;
        let status_line = head.lines().next().unwrap_or_default();
        let status = status_line.split_whitespace().nth(1).unwrap_or_default();
        if status.len() == 3 && status.starts_with('2') {
            Ok(())
        } else {
            Err(ConnectError::Proxy(format!(
                "proxy answered {status_line:?}"
            )))
        }
    }
}

/// Reads a response head byte by byte (so nothing after it is consumed), up to 8 KiB.
async fn read_head(tcp: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::with_capacity(128);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 8 << 10 {
            return Err(std::io::Error::other("response head too large"));
        }
        head.push(tcp.read_u8().await?);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// `NO_PROXY` semantics as curl has them: `*`, exact hosts, and domain suffixes
/// (`example.com` and `.example.com` both match `a.example.com`); ports are ignored.
fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = strip_port(entry)
                .trim_start_matches('.')
                .to_ascii_lowercase();
            host == entry || host.ends_with(&format!(".{entry}"))
        })
}

fn strip_port(entry: &str) -> &str {
    if let Some(rest) = entry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => entry,
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // Two hex digits exactly: `from_str_radix` alone would also take "+1".
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        Target::parse(url).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn env_picks_scheme_variable_and_honours_no_proxy() {
        let env = |name: &str| match name {
            "HTTP_PROXY" => Some("http://user:p%40ss@proxy.local:3128".to_owned()),
            "https_proxy" => Some("proxy2.local:8080".to_owned()),
            "NO_PROXY" => Some("localhost, .internal.example,10.0.0.1:80".to_owned()),
            _ => None,
        };
        let p = Proxy::from_vars(&target("ws://example.com/"), env)
            .ok()
            .flatten();
        let p = p.unwrap_or_else(|| panic!("no proxy"));
        assert_eq!((p.host.as_str(), p.port), ("proxy.local", 3128));
        let token = base64::engine::general_purpose::STANDARD.encode("user:p@ss");
        assert_eq!(p.auth, Some(format!("Basic {token}")));
        let p = Proxy::from_vars(&target("wss://example.com/"), env)
            .ok()
            .flatten();
        assert_eq!(p.map(|p| p.port), Some(8080));
        for bypass in [
            "ws://localhost/",
            "ws://a.internal.example/",
            "ws://10.0.0.1/",
        ] {
            assert_eq!(
                Proxy::from_vars(&target(bypass), env).ok().flatten(),
                None,
                "{bypass}"
            );
        }
    }

    #[test]
    fn percent_escapes_need_two_hex_digits() {
        assert_eq!(percent_decode("p%40ss%3a"), "p@ss:");
        assert_eq!(percent_decode("a%+1b"), "a%+1b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("a+b"), "a+b");
    }

    #[test]
    fn no_proxy_star_and_suffixes() {
        assert!(no_proxy_matches("*", "anything"));
        assert!(no_proxy_matches("example.com", "a.b.example.com"));
        assert!(!no_proxy_matches("example.com", "badexample.com"));
        assert!(no_proxy_matches("[::1]:80", "::1"));
    }
}
