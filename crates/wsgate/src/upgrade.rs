//! hyper 1 upgrades: validate a request hyper parsed (with the same
//! `Request` checks as [`Acceptor::accept`]),
//! answer 101, and turn the upgraded connection into a [`WebSocket`].
//!
//! ```no_run
//! # use bytes::Bytes;
//! # use http_body_util::Full;
//! # async fn handle(mut req: http::Request<hyper::body::Incoming>, acceptor: wsgate::Acceptor)
//! #     -> http::Response<Full<Bytes>> {
//! match wsgate::upgrade::upgrade(&mut req, &acceptor) {
//!     Ok((response, fut)) => {
//!         tokio::spawn(async move {
//!             let Ok(mut ws) = fut.await else { return };
//!             while let Some(Ok(msg)) = ws.recv().await {
//!                 if msg.is_data() && ws.send(msg).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         });
//!         response
//!     }
//!     Err(rejection) => rejection,
//! }
//! # }
//! ```

use bytes::{Bytes, BytesMut};
use http::header::{CONNECTION, UPGRADE};
use http::{HeaderValue, StatusCode, Version};
use http_body_util::Full;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use wsgate_proto::handshake::{Accept, Rejection, Request};
use wsgate_proto::{Config, Role};

use crate::accept::Acceptor;
use crate::error::Error;
use crate::websocket::WebSocket;

/// The upgraded connection, once hyper hands it over.
pub type UpgradedStream = TokioIo<Upgraded>;

/// Whether `req` asks for a WebSocket upgrade (`Upgrade: websocket` and `Connection`
/// containing the `upgrade` token).
pub fn is_upgrade_request<B>(req: &http::Request<B>) -> bool {
    let has_token = |v: &HeaderValue, token: &str| {
        v.to_str()
            .is_ok_and(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    let headers = req.headers();
    headers
        .get_all(CONNECTION)
        .iter()
        .any(|v| has_token(v, "upgrade"))
        && headers
            .get_all(UPGRADE)
            .iter()
            .any(|v| has_token(v, "websocket"))
}

/// Validates `req` with `acceptor` (origin policy, version, key, subprotocol and
/// permessage-deflate negotiation). Returns the 101 response to send and a future that
/// resolves to the [`WebSocket`] once hyper has switched protocols. Only HTTP/1.1
/// upgrades are supported (not HTTP/2 extended CONNECT).
///
/// # Errors
/// The error response (400, 403, 426, …, with the reason as body) to send instead.
#[allow(clippy::type_complexity, clippy::result_large_err)]
pub fn upgrade<B>(
    req: &mut http::Request<B>,
    acceptor: &Acceptor,
) -> Result<(http::Response<Full<Bytes>>, UpgradeFut), http::Response<Full<Bytes>>> {
    upgrade_with(req, acceptor, |_| Ok(()))
}

/// Like [`upgrade`], with `check` deciding on the parsed request first (routing,
/// authentication), as [`Acceptor::accept_with`] does for raw streams: an `Err` becomes
/// the error response.
///
/// # Errors
/// As [`upgrade`], plus `check`'s rejection.
#[allow(clippy::type_complexity, clippy::result_large_err)]
pub fn upgrade_with<B, F>(
    req: &mut http::Request<B>,
    acceptor: &Acceptor,
    check: F,
) -> Result<(http::Response<Full<Bytes>>, UpgradeFut), http::Response<Full<Bytes>>>
where
    F: FnOnce(&Request) -> Result<(), Rejection>,
{
    let accept = validate(req, acceptor, check).map_err(|r| rejection_response(&r))?;
    let response = switching_protocols(&accept);
    let fut = UpgradeFut {
        on_upgrade: hyper::upgrade::on(req),
        config: Arc::clone(&acceptor.settings().config),
        accept: Some(accept),
        write_buffer: acceptor.settings().write_buffer,
    };
    Ok((response, fut))
}

/// Resolves to the [`WebSocket`] after hyper upgraded the connection.
#[derive(Debug)]
pub struct UpgradeFut {
    on_upgrade: OnUpgrade,
    config: Arc<Config>,
    accept: Option<Accept>,
    write_buffer: usize,
}

impl Future for UpgradeFut {
    type Output = Result<WebSocket<UpgradedStream>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let upgraded = ready!(Pin::new(&mut this.on_upgrade).poll(cx))
            .map_err(|e| Error::Io(io::Error::other(e)))?;
        let accept = this.accept.take().ok_or(Error::Closed)?;
        let mut ws = WebSocket::from_shared(
            TokioIo::new(upgraded),
            Role::Server,
            Arc::clone(&this.config),
            accept.deflate,
            BytesMut::new(),
            accept.protocol,
        );
        ws.set_write_buffer_size(this.write_buffer);
        Poll::Ready(Ok(ws))
    }
}

fn validate<B, F>(
    req: &http::Request<B>,
    acceptor: &Acceptor,
    check: F,
) -> Result<Accept, Rejection>
where
    F: FnOnce(&Request) -> Result<(), Rejection>,
{
    let minor = match req.version() {
        Version::HTTP_11 => 1,
        Version::HTTP_10 => 0,
        _ => return Err(Rejection::new(400, "websocket upgrade needs http/1.1")),
    };
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let headers = req
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()));
    let parsed = Request::from_parts(req.method().as_str(), target, minor, headers);
    check(&parsed).and_then(|()| acceptor.negotiate(&parsed))
}

fn switching_protocols(accept: &Accept) -> http::Response<Full<Bytes>> {
    let mut response = http::Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    for (name, value) in accept.response_headers() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// The HTTP response for a refused handshake: its status, its extra headers, and the
/// reason as a `text/plain` body. Also handy for a router's own refusals.
pub fn rejection_response(rejection: &Rejection) -> http::Response<Full<Bytes>> {
    let body = Bytes::from(format!("{}\n", rejection.reason));
    let mut response = http::Response::new(Full::new(body));
    *response.status_mut() =
        StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    for (name, value) in &rejection.headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(*name, value);
        }
    }
    response
}
