//! Opening benchmark connections: a plain `ws://` target, an optional source address
//! (127.0.0.2, 127.0.0.3, … by default so that tens of thousands of connections do not exhaust
//! the ephemeral ports of one address pair), and the client handshake done here on the
//! bound socket (`wsgate::Connector` opens its own socket and cannot bind).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};
use wsgate::proto::handshake::{ClientConfig, ClientHandshake, generate_key};
use wsgate::{Config, DeflateConfig, Role, WebSocket};

/// Where and how to connect.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The URL as given, for reports.
    pub(crate) url: String,
    addr: SocketAddr,
    host: String,
    path: String,
    compress: bool,
}

impl Target {
    /// Parses a `ws://HOST:PORT/PATH` URL and resolves its host once.
    ///
    /// # Errors
    /// A URL that is not `ws://` or a host that does not resolve.
    pub(crate) async fn resolve(url: &str, compress: bool) -> anyhow::Result<Self> {
        let Some(rest) = url.strip_prefix("ws://") else {
            bail!("{url}: bench supports ws:// URLs only");
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = if path.is_empty() { "/" } else { path };
        let with_port = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| !p.contains(']'))
        {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let addr = tokio::net::lookup_host(&with_port)
            .await
            .with_context(|| format!("cannot resolve {authority}"))?
            .next()
            .with_context(|| format!("{authority} has no address"))?;
        Ok(Self {
            url: url.to_owned(),
            addr,
            host: authority.to_owned(),
            path: path.to_owned(),
            compress,
        })
    }

    /// Whether source addresses 127.0.0.2+ can be used (an IPv4 loopback target).
    pub(crate) fn spreads_sources(&self) -> bool {
        matches!(self.addr.ip(), IpAddr::V4(ip) if ip.is_loopback())
    }

    /// Connects from `source` (127.0.0.`source`, when the target is IPv4 loopback and
    /// `source` is given) and completes the WebSocket handshake, within `timeout`.
    ///
    /// # Errors
    /// TCP, handshake or timeout failures, with a short description.
    pub(crate) async fn open(
        &self,
        source: Option<u8>,
        timeout: Duration,
    ) -> anyhow::Result<WebSocket<TcpStream>> {
        tokio::time::timeout(timeout, self.open_now(source))
            .await
            .map_err(|_| anyhow::anyhow!("timed out connecting"))?
    }

    async fn open_now(&self, source: Option<u8>) -> anyhow::Result<WebSocket<TcpStream>> {
        let tcp = self.tcp(source).await?;
        self.handshake(tcp).await
    }

    async fn tcp(&self, source: Option<u8>) -> anyhow::Result<TcpStream> {
        let socket = match self.addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        if let Some(host) = source.filter(|_| self.spreads_sources()) {
            let ip = Ipv4Addr::new(127, 0, 0, host);
            socket
                .bind(SocketAddr::new(IpAddr::V4(ip), 0))
                .with_context(|| format!("cannot bind source address {ip}"))?;
        }
        let tcp = socket.connect(self.addr).await.context("tcp connect")?;
        tcp.set_nodelay(true)?;
        Ok(tcp)
    }

    async fn handshake(&self, mut tcp: TcpStream) -> anyhow::Result<WebSocket<TcpStream>> {
        let mut client = ClientConfig::default();
        client.deflate = self.compress.then(DeflateConfig::default);
        let hs = ClientHandshake::new(&client, &self.host, &self.path, generate_key());
        let mut out = Vec::with_capacity(256);
        hs.write_request(&mut out);
        tcp.write_all(&out).await.context("sending the handshake")?;
        let mut buf = BytesMut::with_capacity(1024);
        let (response, len) = loop {
            if tcp
                .read_buf(&mut buf)
                .await
                .context("reading the handshake")?
                == 0
            {
                bail!("closed during the handshake");
            }
            if let Some(done) = hs.parse_response(&buf).context("handshake")? {
                break done;
            }
        };
        let rest = buf.split_off(len);
        let mut config = Config::default();
        let mut limits = wsgate::Limits::default();
        limits
            .max_message_size(MAX_MESSAGE)
            .max_frame_size(MAX_MESSAGE);
        config.limits(limits);
        Ok(WebSocket::from_parts(
            tcp,
            Role::Client,
            &config,
            response.deflate,
            rest,
            response.protocol,
        ))
    }
}

/// The source host byte for connection `i` of `per_source` per address: `first`,
/// `first + 1`, …
///
/// # Errors
/// When an address past 127.0.0.254 would be needed.
pub(crate) fn source_for(i: usize, per_source: usize, first: u8) -> anyhow::Result<u8> {
    let host = usize::from(first) + i / per_source.max(1);
    u8::try_from(host)
        .ok()
        .filter(|&h| h < 255)
        .with_context(|| {
            format!("too many connections for the source addresses 127.0.0.{first}-254")
        })
}

/// Largest message the bench accepts back (the largest it sends is `--size`).
const MAX_MESSAGE: usize = 64 << 20;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn parses_ws_urls() {
        let t = Target::resolve("ws://127.0.0.1:9001", false).await.unwrap();
        assert_eq!((t.path.as_str(), t.addr.port()), ("/", 9001));
        assert!(t.spreads_sources());
        let t = Target::resolve("ws://127.0.0.1:9/a/b?c", false)
            .await
            .unwrap();
        assert_eq!(t.path, "/a/b?c");
        assert!(Target::resolve("wss://127.0.0.1:9/", false).await.is_err());
    }

    #[test]
    fn sources_start_at_two() {
        assert_eq!(source_for(0, 10_000, 2).unwrap(), 2);
        assert_eq!(source_for(19_999, 10_000, 2).unwrap(), 3);
        assert_eq!(source_for(19_999, 10_000, 40).unwrap(), 41);
        assert!(source_for(253 * 10, 10, 2).is_err());
        assert!(source_for(10, 10, 254).is_err());
    }
}
