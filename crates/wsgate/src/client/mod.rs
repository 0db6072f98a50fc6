//! Client side: URL → TCP (optionally through an HTTP CONNECT proxy) → TLS → opening
//! handshake → [`WebSocket`].

mod proxy;
mod stream;
mod target;
#[cfg(feature = "tls")]
mod tls;

use bytes::BytesMut;
use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use wsgate_proto::handshake::{ClientConfig, ClientHandshake, HandshakeError, Response};
use wsgate_proto::{Config, DeflateConfig, Role};

use proxy::Proxy;
use target::Target;

use crate::error::ConnectError;
use crate::websocket::WebSocket;

pub use stream::MaybeTlsStream;

/// Connects to a `ws://` or `wss://` URL with default settings (see [`Connector`]).
///
/// # Errors
/// A [`ConnectError`] naming the stage that failed.
pub async fn connect(url: &str) -> Result<(WebSocket<MaybeTlsStream>, Response), ConnectError> {
    Connector::new().connect(url).await
}

/// How TLS server certificates are verified.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum TlsRoots {
    /// The Mozilla roots bundled by `webpki-roots`.
    #[default]
    WebPki,
    /// The operating system's roots.
    Native,
    /// Only the CA certificates in this PEM.
    CustomPem(Vec<u8>),
    /// No verification at all. For tests only: anyone can intercept the connection.
    Insecure,
}

/// Which proxy to use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyMode {
    /// From `HTTPS_PROXY`/`HTTP_PROXY` (`wss`/`ws`), honouring `NO_PROXY`; lowercase
    /// names too.
    #[default]
    FromEnv,
    /// This proxy (`http://[user:pass@]host:port`).
    Url(String),
    /// Never.
    None,
}

/// A reusable client configuration.
#[derive(Clone, Debug)]
pub struct Connector {
    pub(crate) config: std::sync::Arc<Config>,
    pub(crate) handshake: ClientConfig,
    pub(crate) roots: TlsRoots,
    pub(crate) proxy: ProxyMode,
    pub(crate) connect_timeout: Duration,
    pub(crate) write_buffer: usize,
    #[cfg(feature = "tls")]
    tls_config: Option<std::sync::Arc<rustls::ClientConfig>>,
}

impl Default for Connector {
    fn default() -> Self {
        Self::new()
    }
}

impl Connector {
    /// A connector with default settings.
    pub fn new() -> Self {
        Self {
            config: std::sync::Arc::new(Config::default()),
            handshake: ClientConfig::default(),
            roots: TlsRoots::default(),
            proxy: ProxyMode::default(),
            connect_timeout: Duration::from_secs(10),
            write_buffer: crate::websocket::DEFAULT_WRITE_BUFFER,
            #[cfg(feature = "tls")]
            tls_config: None,
        }
    }

    /// Sets the connection settings. Default is [`Config::default`].
    pub fn config(&mut self, config: Config) -> &mut Self {
        self.config = std::sync::Arc::new(config);
        self
    }

    /// Adds a request header. Default is none.
    pub fn header(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.handshake.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the subprotocols to offer, in order. Default is none.
    pub fn subprotocols<I, P>(&mut self, protocols: I) -> &mut Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.handshake.subprotocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the `Origin` header. Default is none.
    pub fn origin(&mut self, origin: Option<String>) -> &mut Self {
        self.handshake.origin = origin;
        self
    }

    /// Sets the permessage-deflate offer, `None` to not offer it. Default is `None`.
    pub fn deflate(&mut self, deflate: Option<DeflateConfig>) -> &mut Self {
        self.handshake.deflate = deflate;
        self
    }

    /// Sets how TLS certificates are verified. Default is [`TlsRoots::WebPki`].
    pub fn tls_roots(&mut self, roots: TlsRoots) -> &mut Self {
        self.roots = roots;
        self
    }

    /// Uses this rustls configuration for `wss://` instead of one built from
    /// [`tls_roots`](Self::tls_roots). Default is `None`.
    #[cfg(feature = "tls")]
    pub fn tls_config(
        &mut self,
        config: Option<std::sync::Arc<rustls::ClientConfig>>,
    ) -> &mut Self {
        self.tls_config = config;
        self
    }

    /// Sets the proxy. Default is [`ProxyMode::FromEnv`].
    pub fn proxy(&mut self, proxy: ProxyMode) -> &mut Self {
        self.proxy = proxy;
        self
    }

    /// Sets the time limit for DNS, TCP, proxy, TLS and the handshake together.
    /// Default is 10 seconds.
    pub fn connect_timeout(&mut self, d: Duration) -> &mut Self {
        self.connect_timeout = d;
        self
    }

    /// Sets the write queue size above which `send` waits. Default is 128 KiB.
    pub fn write_buffer_size(&mut self, n: usize) -> &mut Self {
        self.write_buffer = n.max(1);
        self
    }

    /// Connects to `url` and runs the opening handshake.
    ///
    /// # Errors
    /// A [`ConnectError`] naming the stage that failed.
    pub async fn connect(
        &self,
        url: &str,
    ) -> Result<(WebSocket<MaybeTlsStream>, Response), ConnectError> {
        let target = Target::parse(url)?;
        tokio::time::timeout(self.connect_timeout, self.connect_target(&target))
            .await
            .map_err(|_| ConnectError::Timeout)?
    }

    async fn connect_target(
        &self,
        target: &Target,
    ) -> Result<(WebSocket<MaybeTlsStream>, Response), ConnectError> {
        let proxy = match &self.proxy {
            ProxyMode::FromEnv => Proxy::from_env(target)?,
            ProxyMode::Url(url) => Some(Proxy::parse(url)?),
            ProxyMode::None => None,
        };
        let mut tcp = match &proxy {
            Some(p) => tcp_connect(&p.host, p.port).await?,
            None => tcp_connect(&target.host, target.port).await?,
        };
        if let Some(p) = &proxy {
            p.tunnel(&mut tcp, target).await?;
        }
        let mut stream = self.secure(target, tcp).await?;
        let (response, rest) = self.handshake(&mut stream, target).await?;
        let mut ws = WebSocket::from_shared(
            stream,
            Role::Client,
            std::sync::Arc::clone(&self.config),
            response.deflate,
            rest,
            response.protocol.clone(),
        );
        ws.set_write_buffer_size(self.write_buffer);
        Ok((ws, response))
    }

    async fn secure(
        &self,
        target: &Target,
        tcp: TcpStream,
    ) -> Result<MaybeTlsStream, ConnectError> {
        if !target.secure {
            return Ok(MaybeTlsStream::Plain(tcp));
        }
        #[cfg(feature = "tls")]
        {
            let config = match &self.tls_config {
                Some(config) => config.clone(),
                None => tls::client_config(&self.roots)?,
            };
            tls::handshake(config, &target.host, tcp).await
        }
        #[cfg(not(feature = "tls"))]
        Err(ConnectError::Tls(io::Error::other(
            "wss:// needs the `tls` feature",
        )))
    }

    /// Writes the request and reads the response head; returns the bytes after it.
    async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        target: &Target,
    ) -> Result<(Response, BytesMut), ConnectError> {
        let key = wsgate_proto::handshake::generate_key();
        let hs = ClientHandshake::new(&self.handshake, &target.host_header, &target.resource, key);
        let mut out = Vec::with_capacity(256);
        hs.write_request(&mut out);
        stream.write_all(&out).await.map_err(ConnectError::Io)?;
        stream.flush().await.map_err(ConnectError::Io)?;
        let mut buf = BytesMut::with_capacity(1024);
        loop {
            buf.reserve(1024);
            let eof = stream.read_buf(&mut buf).await.map_err(ConnectError::Io)? == 0;
            match hs.parse_response(&buf) {
                Ok(Some((response, len))) => {
                    let _head = buf.split_to(len);
                    return Ok((response, buf));
                }
                Ok(None) if eof => {
                    let e = io::Error::new(io::ErrorKind::UnexpectedEof, "closed during handshake");
                    return Err(ConnectError::Io(e));
                }
                Ok(None) => {}
                Err(HandshakeError::Status { .. }) if !eof => {
                    return Err(read_rejection(&hs, stream, buf).await);
                }
                Err(e) => return Err(ConnectError::Handshake(e)),
            }
        }
    }
}

/// Resolves `host` and connects to the first address that accepts.
async fn tcp_connect(host: &str, port: u16) -> Result<TcpStream, ConnectError> {
    let addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(ConnectError::Dns)?;
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(tcp) => {
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => ConnectError::Connect(e),
        None => ConnectError::Dns(io::Error::new(io::ErrorKind::NotFound, "no address")),
    })
}

/// A refused handshake: read a little more of the body (up to 4 KiB, briefly) so that
/// the error shows what the server said.
async fn read_rejection<S: AsyncRead + Unpin>(
    hs: &ClientHandshake,
    stream: &mut S,
    mut buf: BytesMut,
) -> ConnectError {
    let more = async {
        while buf.len() < 16 << 10 {
            buf.reserve(1024);
            match stream.read_buf(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(200), more).await;
    match hs.parse_response(&buf) {
        Err(e) => ConnectError::Handshake(e),
        Ok(_) => ConnectError::Handshake(HandshakeError::MalformedResponse(
            "inconsistent response".into(),
        )),
    }
}
