//! Sessions from hyper 1 upgrades: the same admission, hooks and fan-out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Event, Script, next_text, within};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use wsgate::ConnectError;
use wsgate_hub::{Hub, HubBuilder};

async fn serve_hyper(hub: Hub<String>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let hub = hub.clone();
            tokio::spawn(async move {
                let service = service_fn(move |mut req| {
                    let response = hub.upgrade(&mut req);
                    async move { Ok::<_, Infallible>(response) }
                });
                let conn = http1::Builder::new().serve_connection(TokioIo::new(tcp), service);
                let _ = conn.with_upgrades().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn hyper_upgrades_become_sessions() {
    let (tx, mut events) = mpsc::unbounded_channel();
    let hub = HubBuilder::new().build(Script {
        events: tx,
        require_token: Some("t"),
    });
    let addr = serve_hyper(hub.clone()).await;

    let refused = wsgate::connect(&format!("ws://{addr}/?name=x")).await;
    assert!(matches!(refused, Err(ConnectError::Handshake(_))));
    assert_eq!(refused.err().and_then(|e| e.status()), Some(401));

    let url = format!("ws://{addr}/?name=h&token=t");
    let (mut ws, _) = wsgate::connect(&url).await.unwrap();
    let ev = within(5, events.recv()).await.unwrap();
    assert!(matches!(ev, Event::Connect(n) if n == "h"));
    ws.send("sub:room").await.unwrap();
    within(5, events.recv()).await.unwrap();
    assert_eq!(hub.publish("room", "via hyper").queued, 1);
    assert_eq!(next_text(&mut ws).await, "via hyper");
    assert_eq!(hub.metrics().rejected_auth, 1);
}
