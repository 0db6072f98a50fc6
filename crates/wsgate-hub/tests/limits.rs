//! Liveness and size limits: heartbeats close a silent peer, oversized messages get
//! 1009, idle sessions and old sessions are closed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Event, start, within};
use std::time::{Duration, Instant};
use wsgate::{CloseCode, Message};
use wsgate_hub::{Cause, HubBuilder, HubConfig};

#[tokio::test]
async fn heartbeat_closes_a_silent_peer_and_reports_pongs() {
    let mut config = HubConfig::default();
    config
        .ping_interval(Some(Duration::from_millis(100)))
        .pong_timeout(Duration::from_millis(200));
    let mut srv = start(HubBuilder::new().config(config), None).await;

    // A live client answers pings while it reads: on_pong, and it stays connected.
    let mut live = srv.connect("live").await;
    let reader = tokio::spawn(async move { while live.recv().await.is_some() {} });
    srv.wait_for(|e| matches!(e, Event::Pong(n) if n == "live"))
        .await;

    // A silent one (never reads, so never answers) is closed after the deadline.
    let started = Instant::now();
    let _silent = srv.connect("silent").await;
    let ev = srv
        .wait_for(|e| matches!(e, Event::Error(n, _) if n == "silent"))
        .await;
    assert!(
        matches!(&ev, Event::Error(_, e) if e.contains("protocol error")),
        "{ev:?}"
    );
    let d = srv.disconnect_of("silent").await;
    assert_eq!(d.cause, Cause::Error);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(srv.hub.session_count(), 1, "the live client stays");
    reader.abort();
}

#[tokio::test]
async fn oversized_message_is_closed_with_1009() {
    let mut config = HubConfig::default();
    config.max_message_size(1024);
    let mut srv = start(HubBuilder::new().config(config), None).await;
    let mut c = srv.connect("big").await;
    c.send("x".repeat(1024)).await.unwrap();
    srv.wait_for(|e| matches!(e, Event::Message(..))).await;
    c.send("x".repeat(1025)).await.unwrap();
    match within(5, c.recv()).await {
        Some(Ok(Message::Close(Some(f)))) => assert_eq!(f.code, CloseCode::MESSAGE_TOO_BIG),
        other => panic!("{other:?}"),
    }
    let d = srv.disconnect_of("big").await;
    assert_eq!(
        (d.cause, d.code),
        (Cause::Error, CloseCode::MESSAGE_TOO_BIG)
    );
}

#[tokio::test]
async fn default_limit_is_64_kib_not_512_bytes() {
    let mut srv = start(&HubBuilder::new(), None).await;
    let mut c = srv.connect("json").await;
    c.send("j".repeat(60 << 10)).await.unwrap();
    srv.wait_for(|e| matches!(e, Event::Message(..))).await;
}

#[tokio::test]
async fn idle_sessions_and_old_sessions_are_closed() {
    let mut config = HubConfig::default();
    config.idle_timeout(Some(Duration::from_millis(300)));
    let mut srv = start(HubBuilder::new().config(config), None).await;
    let mut c = srv.connect("idle").await;
    // Data keeps it alive…
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        c.send("tick").await.unwrap();
    }
    // …silence ends it.
    match within(5, c.recv()).await {
        Some(Ok(Message::Close(Some(f)))) => assert_eq!(f.reason.as_str(), "idle"),
        other => panic!("{other:?}"),
    }
    assert!(within(5, c.recv()).await.is_none());
    let d = srv.disconnect_of("idle").await;
    assert_eq!(d.cause, Cause::IdleTimeout);

    let mut config = HubConfig::default();
    config.max_lifetime(Some(Duration::from_millis(200)));
    let mut srv = start(HubBuilder::new().config(config), None).await;
    let mut c = srv.connect("old").await;
    c.send("busy").await.unwrap();
    match within(5, c.recv()).await {
        Some(Ok(Message::Close(Some(f)))) => assert_eq!(f.reason.as_str(), "lifetime"),
        other => panic!("{other:?}"),
    }
    assert!(within(5, c.recv()).await.is_none());
    assert_eq!(srv.disconnect_of("old").await.cause, Cause::Lifetime);
}
