//! `wsgate serve`: HTTP and WebSocket on one port (hyper 1 with `wsgate::upgrade`).
//!
//! ```text
//!   TcpListener ─► hyper http1 connection ─► route(request)
//!                     ├─ GET /, /echo, /echo.js, /style.css   embedded pages (web/)
//!                     ├─ GET /healthz                          "ok"
//!                     ├─ /ws/echo  ─► upgrade ─► task: echo session
//!                     └─ anything else                         404
//! ```
//!
//! Ctrl-C (or SIGTERM) stops accepting, closes open WebSockets with 1001 (going away),
//! lets HTTP connections finish their request, and waits up to `SHUTDOWN_GRACE` for all
//! of them before exiting.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};
use wsgate::upgrade::{UpgradeFut, is_upgrade_request, upgrade};
use wsgate::{Acceptor, CloseCode, Message};

use crate::{shutdown, web};

/// Arguments of `wsgate serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on (port 0 picks a free port; the real one is printed).
    #[arg(
        long,
        value_name = "HOST:PORT",
        env = "WSGATE_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    listen: String,
}

/// Runs the server until Ctrl-C or SIGTERM, then shuts down gracefully.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let listener = super::bind(&args.listen).await?;
    info!("open http://{}/ in a browser", listener.local_addr()?);
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection task holds a clone of `done_tx`; `done_rx` ends when all are gone.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let shared = Arc::new(Shared {
        acceptor: Acceptor::new(),
        stop: stop_rx,
        done: done_tx,
    });
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    tokio::spawn(serve_http(Arc::clone(&shared), tcp, peer));
                }
                Err(err) => {
                    warn!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            () = shutdown::signal() => break,
        }
    }
    drop(listener);
    info!("shutting down: closing open connections");
    let _ = stop_tx.send(true);
    drop(shared);
    if tokio::time::timeout(SHUTDOWN_GRACE, done_rx.recv())
        .await
        .is_err()
    {
        warn!("some connections did not close within {SHUTDOWN_GRACE:?}");
    }
    info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// What every connection task needs.
#[derive(Debug)]
struct Shared {
    acceptor: Acceptor,
    stop: watch::Receiver<bool>,
    done: mpsc::Sender<()>,
}

async fn serve_http(shared: Arc<Shared>, tcp: TcpStream, peer: SocketAddr) {
    let _ = tcp.set_nodelay(true);
    let mut stop = shared.stop.clone();
    let service = {
        let shared = Arc::clone(&shared);
        service_fn(move |req| {
            let shared = Arc::clone(&shared);
            async move { Ok::<_, Infallible>(route(&shared, req, peer)) }
        })
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = stopped(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(err) = result {
        debug!(%peer, "http connection ended: {err}");
    }
}

fn route(
    shared: &Arc<Shared>,
    mut req: Request<Incoming>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    debug!(%peer, "{} {}", req.method(), req.uri());
    if path == "/ws/echo" {
        return websocket(shared, &mut req, peer);
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut res = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        res.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    if path == "/healthz" {
        return text(StatusCode::OK, "ok\n");
    }
    match web::asset(&path) {
        Some(asset) => page(asset),
        None => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// Upgrades to a WebSocket echo session, or answers why not (426 for plain HTTP).
fn websocket(
    shared: &Arc<Shared>,
    req: &mut Request<Incoming>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    if !is_upgrade_request(req) {
        let mut res = text(
            StatusCode::UPGRADE_REQUIRED,
            "this is a WebSocket endpoint: connect with ws://\n",
        );
        let headers = res.headers_mut();
        headers.insert(
            header::UPGRADE,
            header::HeaderValue::from_static("websocket"),
        );
        headers.insert(
            header::CONNECTION,
            header::HeaderValue::from_static("upgrade"),
        );
        return res;
    }
    match upgrade(req, &shared.acceptor) {
        Ok((response, fut)) => {
            let deflate = response
                .headers()
                .contains_key(header::SEC_WEBSOCKET_EXTENSIONS);
            let stop = shared.stop.clone();
            let done = shared.done.clone();
            tokio::spawn(async move {
                echo_session(fut, peer, deflate, stop).await;
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
async fn echo_session(
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

/// Resolves once the server is stopping.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // An error means the sender is gone, which also means stopping.
    let _ = stop.wait_for(|stopped| *stopped).await;
}

fn page(asset: &web::Asset) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from_static(asset.body.as_bytes())));
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    res
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

/// How long shutdown waits for open connections to close.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
