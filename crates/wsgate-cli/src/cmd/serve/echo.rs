//! `/ws/echo`: a WebSocket that echoes every data message (permessage-deflate when
//! offered), for the Echo tester page and interop tests. Not a hub session: echo
//! messages may be as large as the connection's default limits allow.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response, header};
use http_body_util::Full;
use hyper::body::Incoming;
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};
use wsgate::upgrade::{UpgradeFut, is_upgrade_request, upgrade};
use wsgate::{CloseCode, Message};

use super::{Server, respond, stopped};

/// Upgrades to an echo session, or answers why not (426 for plain HTTP).
pub(crate) fn websocket(
    server: &Server,
    req: &mut Request<Incoming>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    if !is_upgrade_request(req) {
        return respond::upgrade_required();
    }
    match upgrade(req, &server.acceptor) {
        Ok((response, fut)) => {
            let deflate = response
                .headers()
                .contains_key(header::SEC_WEBSOCKET_EXTENSIONS);
            let stop = server.stop.clone();
            let done: mpsc::Sender<()> = server.done.clone();
            server.stats.echo_session();
            tokio::spawn(async move {
                session(fut, peer, deflate, stop).await;
                drop(done);
            });
            response
        }
        Err(response) => {
            info!(%peer, "websocket handshake refused: {}", response.status());
            response
        }
    }
}

/// Echoes data messages until the peer closes or the server stops (then closes 1001).
async fn session(
    fut: UpgradeFut,
    peer: SocketAddr,
    deflate: bool,
    mut stop: watch::Receiver<bool>,
) {
    let mut ws = match fut.await {
        Ok(ws) => ws,
        Err(err) => {
            warn!(%peer, "websocket upgrade failed: {err}");
            return;
        }
    };
    info!(%peer, deflate, "websocket connected to /ws/echo");
    let mut messages = 0u64;
    let mut close = None;
    loop {
        tokio::select! {
            event = ws.recv() => match event {
                Some(Ok(msg)) if msg.is_data() => {
                    messages += 1;
                    if ws.send(msg).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    close = Some(frame.map_or_else(|| "no code".to_owned(), |f| format!("{} {:?}", f.code.as_u16(), f.reason.as_str())));
                }
                Some(Ok(_)) => {}
                Some(Err(err)) => {
                    close = Some(format!("error: {err}"));
                    break;
                }
                None => break,
            },
            () = stopped(&mut stop) => {
                close = Some("server shutdown (1001)".to_owned());
                if let Err(err) = ws.close(CloseCode::GOING_AWAY, "server shutting down").await {
                    debug!(%peer, "close failed: {err}");
                }
                break;
            }
        }
    }
    let close = close.unwrap_or_else(|| "connection lost".to_owned());
    info!(%peer, messages, "websocket closed: {close}");
}
