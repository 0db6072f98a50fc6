//! Graceful shutdown: queued messages, then Close 1001; stragglers dropped at the
//! deadline; new handshakes refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Event, next_text, start, within};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wsgate::{CloseCode, Message};
use wsgate_hub::{Cause, HubBuilder};

#[tokio::test]
async fn shutdown_flushes_queues_then_closes_with_1001() {
    let mut srv = start(&HubBuilder::new(), None).await;
    let mut a = srv.connect("a").await;
    let mut b = srv.connect("b").await;
    for i in 0..3 {
        srv.hub.broadcast(format!("m{i}"));
    }
    let hub = srv.hub.clone();
    let shutdown = tokio::spawn(async move { hub.shutdown(Duration::from_secs(5)).await });
    for c in [&mut a, &mut b] {
        for i in 0..3 {
            assert_eq!(next_text(c).await, format!("m{i}"));
        }
        match within(5, c.recv()).await {
            Some(Ok(Message::Close(Some(f)))) => assert_eq!(f.code, CloseCode::GOING_AWAY),
            other => panic!("{other:?}"),
        }
        assert!(within(5, c.recv()).await.is_none());
    }
    let report = within(5, shutdown).await.unwrap();
    assert_eq!((report.sessions, report.forced), (2, 0));
    for name in ["a", "b"] {
        let d = srv.disconnect_of(name).await;
        assert_eq!((d.cause, d.code), (Cause::Shutdown, CloseCode::GOING_AWAY));
    }
    assert_eq!(srv.hub.session_count(), 0);
    assert_eq!(srv.hub.metrics().disconnects(Cause::Shutdown), 2);
}

#[tokio::test]
async fn shutdown_drops_sessions_that_do_not_close_by_the_deadline() {
    let mut srv = start(&HubBuilder::new(), None).await;
    let _silent = srv.connect("silent").await; // never reads: never answers the close
    let started = Instant::now();
    let report = within(5, srv.hub.shutdown(Duration::from_millis(300))).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the close timeout is 5 s"
    );
    assert_eq!((report.sessions, report.forced), (1, 1));
    let d = srv.disconnect_of("silent").await;
    assert_eq!(d.cause, Cause::Shutdown);
}

#[tokio::test]
async fn handshakes_during_shutdown_get_503() {
    let mut srv = start(&HubBuilder::new(), None).await;
    let _a = srv.connect("a").await;
    srv.hub.shutdown(Duration::from_millis(100)).await;
    let (mut client, server) = tokio::io::duplex(4096);
    let hub = srv.hub.clone();
    let accepted = tokio::spawn(async move { hub.accept(server).await });
    client
        .write_all(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .unwrap();
    let mut response = String::new();
    within(5, client.read_to_string(&mut response))
        .await
        .unwrap();
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    assert!(response.ends_with("server shutting down\n"), "{response}");
    let err = within(5, accepted).await.unwrap().unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(srv.hub.metrics().rejected_handshake, 1);
    assert!(matches!(srv.next().await, Event::Disconnect(..)));
}
