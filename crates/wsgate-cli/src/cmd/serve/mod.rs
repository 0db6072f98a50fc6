//! `wsgate serve`: HTTP and WebSocket on one port (hyper 1), the application on a
//! [`wsgate_hub::Hub`].
//!
//! ```text
//!   TcpListener ─► hyper http1 connection ─► route(request)
//!     ├─ GET /, /chat, /push, /echo, *.js, /style.css   embedded pages (web/)
//!     ├─ /ws       ─► Hub::upgrade (origin check) ─► session ─► App (app.rs): JSON protocol
//!     │                 subscribe/unsubscribe/publish/presence ─► Channels (channels.rs):
//!     │                 offsets, history (history.rs), presence (presence.rs) ─► Hub::publish
//!     ├─ /api/*    ─► api.rs: publish, channels, presence (API key when set)
//!     ├─ /ws/echo  ─► echo.rs: echo session (the Echo tester)
//!     ├─ GET /healthz "ok", GET /metrics (metrics.rs, Prometheus text)
//!     └─ anything else 404
//!   ticker.rs ─► Channels::publish("push:ticker") every period
//! ```
//!
//! Settings come from flags, environment variables and an optional TOML file
//! (config.rs). Ctrl-C (or SIGTERM) stops accepting, shuts the hub down (every `/ws`
//! session gets Close 1001 after what it has queued), closes echo sessions with 1001,
//! lets HTTP connections finish their request, and waits up to [`SHUTDOWN_GRACE`].

mod api;
mod app;
mod channels;
mod config;
mod echo;
mod history;
mod metrics;
mod presence;
mod protocol;
mod rate;
mod respond;
mod ticker;

pub(crate) use config::Args;

use std::convert::Infallible;
use std::fmt;
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
use wsgate::Acceptor;
use wsgate::upgrade::is_upgrade_request;
use wsgate_hub::{Hub, HubBuilder, HubConfig};

use crate::{shutdown, web};
use app::{App, Client};
use channels::{Channels, Limits};
use config::Settings;
use metrics::Stats;

/// Runs the server until Ctrl-C or SIGTERM, then shuts down gracefully.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(args)?;
    let listener = super::bind(&settings.listen).await?;
    info!("open http://{}/ in a browser", listener.local_addr()?);
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection task holds a clone of `done_tx`; `done_rx` ends when all are gone.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let server = Arc::new(Server::new(&settings, stop_rx, done_tx));
    let hub = server.hub.clone();
    let ticker = settings.ticker.map(|period| {
        tokio::spawn(ticker::run(
            hub.clone(),
            Arc::clone(&server.channels),
            period,
        ))
    });
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    tokio::spawn(serve_http(Arc::clone(&server), tcp, peer));
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
    ticker.inspect(tokio::task::JoinHandle::abort);
    let _ = stop_tx.send(true);
    drop(server);
    let report = hub.shutdown(SHUTDOWN_GRACE).await;
    info!(
        sessions = report.sessions,
        forced = report.forced,
        "hub closed"
    );
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
pub(crate) struct Server {
    hub: Hub<Client>,
    channels: Arc<Channels>,
    stats: Arc<Stats>,
    api_key: Option<String>,
    /// Largest HTTP API request body.
    body_limit: usize,
    /// For `/ws/echo`.
    acceptor: Acceptor,
    stop: watch::Receiver<bool>,
    done: mpsc::Sender<()>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("hub", &self.hub)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

impl Server {
    fn new(settings: &Settings, stop: watch::Receiver<bool>, done: mpsc::Sender<()>) -> Self {
        let stats = Arc::new(Stats::default());
        let limits = Limits {
            history: settings.history,
            history_bytes: HISTORY_BYTES,
            channels: settings.max_channels,
        };
        let channels = Arc::new(Channels::new(limits));
        let mut config = HubConfig::default();
        config.max_message_size(settings.max_message);
        let app = App {
            channels: Arc::clone(&channels),
            stats: Arc::clone(&stats),
            max_subscriptions: settings.max_subscriptions,
            publish_rate: settings.publish_rate,
        };
        let hub = HubBuilder::new()
            .config(config)
            .allow_origins(settings.allow_origins.iter().cloned())
            .build(app);
        if settings.api_key.is_some() {
            info!("the HTTP API requires the API key");
        }
        Self {
            hub,
            channels,
            stats,
            api_key: settings.api_key.clone(),
            body_limit: settings.max_message,
            acceptor: Acceptor::new(),
            stop,
            done,
        }
    }
}

async fn serve_http(server: Arc<Server>, tcp: TcpStream, peer: SocketAddr) {
    let _ = tcp.set_nodelay(true);
    let mut stop = server.stop.clone();
    let service = {
        let server = Arc::clone(&server);
        service_fn(move |req| {
            let server = Arc::clone(&server);
            async move { Ok::<_, Infallible>(route(&server, req, peer).await) }
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

async fn route(
    server: &Server,
    mut req: Request<Incoming>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    debug!(%peer, "{} {}", req.method(), req.uri());
    let path = req.uri().path();
    if path == "/ws" {
        if !is_upgrade_request(&req) {
            return respond::upgrade_required();
        }
        return server.hub.upgrade(&mut req);
    }
    if path == "/ws/echo" {
        return echo::websocket(server, &mut req, peer);
    }
    if path.starts_with("/api/") {
        return api::handle(server, req).await;
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut res = respond::text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        res.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    match path {
        "/healthz" => respond::text(StatusCode::OK, "ok\n"),
        "/metrics" => {
            let gauges = metrics::Gauges {
                sessions: server.hub.session_count(),
                topics: server.hub.topic_count(),
            };
            respond::metrics(metrics::render(
                &server.hub.metrics(),
                gauges,
                &server.stats,
            ))
        }
        path => match web::asset(path) {
            Some(asset) => respond::page(asset),
            None => respond::text(StatusCode::NOT_FOUND, "not found\n"),
        },
    }
}

/// Resolves once the server is stopping.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // An error means the sender is gone, which also means stopping.
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// How long shutdown waits for open connections to close.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Bytes of message data remembered per channel (the newest message is always kept).
const HISTORY_BYTES: usize = 256 << 10;
