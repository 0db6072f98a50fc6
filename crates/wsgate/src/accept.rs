//! Server side: [`Acceptor`] reads the request head from any stream, applies the origin
//! policy, negotiates and writes the 101 (or the error response).

use bytes::BytesMut;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use wsgate_proto::handshake::{Accept, Rejection, Request, ServerConfig};
use wsgate_proto::{Config, DeflateConfig, Limits, Role};

use crate::error::AcceptError;
use crate::websocket::{DEFAULT_WRITE_BUFFER, WebSocket};

type OriginCheck = Arc<dyn Fn(Option<&str>) -> bool + Send + Sync>;

/// A reusable server handshake configuration. Cheap to clone: a clone is a pointer to
/// the same settings (a setter called on a clone copies them first), and every
/// connection it accepts shares its [`Config`].
#[derive(Clone)]
pub struct Acceptor {
    settings: Arc<Settings>,
}

#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) config: Arc<Config>,
    pub(crate) server: ServerConfig,
    origin: Option<OriginCheck>,
    handshake_timeout: Duration,
    pub(crate) write_buffer: usize,
}

impl Default for Acceptor {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.settings;
        f.debug_struct("Acceptor")
            .field("config", &s.config)
            .field("server", &s.server)
            .field("origin_check", &s.origin.is_some())
            .field("handshake_timeout", &s.handshake_timeout)
            .finish()
    }
}

impl Acceptor {
    /// An acceptor with default settings.
    pub fn new() -> Self {
        Self {
            settings: Arc::new(Settings {
                config: Arc::new(Config::default()),
                server: ServerConfig::default(),
                origin: None,
                handshake_timeout: Duration::from_secs(10),
                write_buffer: DEFAULT_WRITE_BUFFER,
            }),
        }
    }

    /// The settings, shared with the connections accepted so far.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The settings to change: copied first if a clone or a connection shares them.
    fn settings_mut(&mut self) -> &mut Settings {
        Arc::make_mut(&mut self.settings)
    }

    /// Sets the connection settings. Default is [`Config::default`].
    pub fn config(&mut self, config: Config) -> &mut Self {
        self.settings_mut().config = Arc::new(config);
        self
    }

    /// Sets the size limits (part of the config). Default is [`Limits::default`].
    pub fn limits(&mut self, limits: Limits) -> &mut Self {
        Arc::make_mut(&mut self.settings_mut().config).limits = limits;
        self
    }

    /// Sets the subprotocols, in order of preference. Default is none.
    pub fn subprotocols<I, P>(&mut self, protocols: I) -> &mut Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.settings_mut().server.subprotocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the permessage-deflate policy, `None` to refuse compression.
    /// Default is `Some(DeflateConfig::default())`.
    pub fn deflate(&mut self, deflate: Option<DeflateConfig>) -> &mut Self {
        self.settings_mut().server.deflate = deflate;
        self
    }

    /// Accepts only requests whose `Origin` is one of `origins` (exact, ASCII
    /// case-insensitive match); others get 403. Requests without `Origin` (non-browser
    /// clients) are accepted. Default is to accept any origin.
    pub fn allow_origins<I, O>(&mut self, origins: I) -> &mut Self
    where
        I: IntoIterator<Item = O>,
        O: Into<String>,
    {
        let list: Vec<String> = origins.into_iter().map(Into::into).collect();
        self.origin_check(move |origin| {
            origin.is_none_or(|o| list.iter().any(|a| a.eq_ignore_ascii_case(o)))
        })
    }

    /// Decides on the `Origin` header (`None` when absent); `false` answers 403.
    /// Default is to accept any origin.
    pub fn origin_check<F>(&mut self, check: F) -> &mut Self
    where
        F: Fn(Option<&str>) -> bool + Send + Sync + 'static,
    {
        self.settings_mut().origin = Some(Arc::new(check));
        self
    }

    /// Sets how long the client may take to send its request head. Default is 10 seconds.
    pub fn handshake_timeout(&mut self, d: Duration) -> &mut Self {
        self.settings_mut().handshake_timeout = d;
        self
    }

    /// Sets the largest request head; larger gets 431. Default is 8 KiB.
    pub fn max_header_size(&mut self, n: usize) -> &mut Self {
        self.settings_mut().server.max_header_size = n;
        self
    }

    /// Sets the write queue size above which `send` waits. Default is 128 KiB.
    pub fn write_buffer_size(&mut self, n: usize) -> &mut Self {
        self.settings_mut().write_buffer = n.max(1);
        self
    }

    /// Reads the request head from `stream`, validates and negotiates, and writes the
    /// `101 Switching Protocols` response. Bytes the client sent after the head are kept.
    ///
    /// # Errors
    /// [`AcceptError::Rejected`] after writing the error response (400, 403, 405, 426,
    /// 431), [`AcceptError::Timeout`], [`AcceptError::Eof`], [`AcceptError::Io`].
    pub fn accept<S>(&self, stream: S) -> impl Future<Output = Result<WebSocket<S>, AcceptError>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        self.accept_with(stream, |_| Ok(()))
    }

    /// Like [`accept`](Self::accept), with `check` deciding on the parsed request first
    /// (routing on the target, authentication): an `Err` is sent as the response.
    ///
    /// # Errors
    /// As [`accept`](Self::accept).
    pub fn accept_with<S, F>(
        &self,
        stream: S,
        check: F,
    ) -> impl Future<Output = Result<WebSocket<S>, AcceptError>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
        F: FnOnce(&Request) -> Result<(), Rejection>,
    {
        // Boxed: the handshake's state (the stream until it is handed over, the timer,
        // the read buffer, the response writes) lives in one allocation that is freed
        // when it completes, instead of sizing every caller's connection task for its
        // whole life (see docs/memory.md). The caller's future holds a pointer.
        Box::pin(async move {
            let mut stream = stream;
            let settings = self.settings();
            let head = tokio::time::timeout(settings.handshake_timeout, async {
                let (req, rest) = self.read_head(&mut stream).await?;
                let decision = check(&req).and_then(|()| self.negotiate(&req));
                let mut out = Vec::with_capacity(256);
                match decision {
                    Ok(accept) => {
                        accept.write_response(&[], &mut out);
                        stream.write_all(&out).await?;
                        stream.flush().await?;
                        Ok((accept, rest))
                    }
                    Err(rejection) => Err(reject(&mut stream, rejection).await),
                }
            })
            .await;
            let (accept, rest) = head.map_err(|_| AcceptError::Timeout)??;
            let mut ws = WebSocket::from_shared(
                stream,
                Role::Server,
                Arc::clone(&settings.config),
                accept.deflate,
                rest,
                accept.protocol,
            );
            ws.set_write_buffer_size(settings.write_buffer);
            Ok(ws)
        })
    }

    /// Reads until a complete request head; returns it and the bytes after it.
    async fn read_head<S>(&self, stream: &mut S) -> Result<(Request, BytesMut), AcceptError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let max = self.settings.server.max_header_size;
        let mut buf = BytesMut::with_capacity(1024);
        loop {
            if buf.len() > max {
                let rejection = Rejection::new(431, "request head too large");
                return Err(reject(stream, rejection).await);
            }
            buf.reserve(1024);
            if stream.read_buf(&mut buf).await? == 0 {
                return Err(AcceptError::Eof);
            }
            match Request::parse(&buf, max) {
                Ok(Some((req, len))) => {
                    let _head = buf.split_to(len);
                    return Ok((req, buf));
                }
                Ok(None) => {}
                Err(rejection) => return Err(reject(stream, rejection).await),
            }
        }
    }

    /// Origin policy, then validation and negotiation.
    pub(crate) fn negotiate(&self, req: &Request) -> Result<Accept, Rejection> {
        if let Some(check) = &self.settings.origin {
            if !check(req.origin()) {
                return Err(Rejection::new(403, "origin not allowed"));
            }
        }
        self.settings.server.accept(req)
    }
}

/// Writes the error response and shuts the stream down; the error to return.
async fn reject<S: AsyncWrite + Unpin>(stream: &mut S, rejection: Rejection) -> AcceptError {
    let mut out = Vec::with_capacity(256);
    rejection.write_response(&mut out);
    let written = async {
        stream.write_all(&out).await?;
        stream.flush().await?;
        stream.shutdown().await
    };
    match written.await {
        Ok(()) => AcceptError::Rejected(rejection),
        Err(e) => AcceptError::Io(e),
    }
}
