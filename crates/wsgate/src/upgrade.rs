//! hyper 1 upgrades: validate a request hyper parsed, answer 101, and turn the upgraded
//! connection into a [`WebSocket`].

use bytes::Bytes;
use http_body_util::Full;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::accept::Acceptor;
use crate::error::Error;
use crate::websocket::WebSocket;

/// The upgraded connection, once hyper hands it over.
pub type UpgradedStream = TokioIo<Upgraded>;

/// Whether `req` asks for a WebSocket upgrade (`Upgrade: websocket` and `Connection`
/// containing `upgrade`).
pub fn is_upgrade_request<B>(req: &http::Request<B>) -> bool {
    let _ = req;
    todo!()
}

/// Validates `req` with `acceptor` (origin policy, version, key, subprotocol and
/// permessage-deflate negotiation). Returns the 101 response to send and a future that
/// resolves to the [`WebSocket`] once hyper has switched protocols.
///
/// # Errors
/// The error response (400, 403, 426, …, with the reason as body) to send instead.
#[allow(clippy::type_complexity)]
pub fn upgrade<B>(
    req: &mut http::Request<B>,
    acceptor: &Acceptor,
) -> Result<(http::Response<Full<Bytes>>, UpgradeFut), http::Response<Full<Bytes>>> {
    let _ = (req, acceptor);
    todo!()
}

/// Resolves to the [`WebSocket`] after hyper upgraded the connection.
#[derive(Debug)]
pub struct UpgradeFut {
    _todo: (),
}

impl Future for UpgradeFut {
    type Output = Result<WebSocket<UpgradedStream>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let _ = cx;
        todo!()
    }
}
