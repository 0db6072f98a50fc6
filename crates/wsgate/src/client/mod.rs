//! Client side: URL → TCP (optionally through an HTTP CONNECT proxy) → TLS → opening
//! handshake → [`WebSocket`].

mod stream;

use std::time::Duration;
use wsgate_proto::handshake::{ClientConfig, Response};
use wsgate_proto::{Config, DeflateConfig};

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
    pub(crate) config: Config,
    pub(crate) handshake: ClientConfig,
    pub(crate) roots: TlsRoots,
    pub(crate) proxy: ProxyMode,
    pub(crate) connect_timeout: Duration,
    pub(crate) write_buffer: usize,
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
            config: Config::default(),
            handshake: ClientConfig::default(),
            roots: TlsRoots::default(),
            proxy: ProxyMode::default(),
            connect_timeout: Duration::from_secs(10),
            write_buffer: crate::websocket::DEFAULT_WRITE_BUFFER,
        }
    }

    /// Sets the connection settings. Default is [`Config::default`].
    pub fn config(&mut self, config: Config) -> &mut Self {
        self.config = config;
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
        let _ = url;
        todo!()
    }
}
