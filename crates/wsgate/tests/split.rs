//! Split halves: pings answered with only the reader polled (or nothing polled), many
//! senders, close from the write half.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;
use support::*;
use tokio::io::{AsyncWriteExt, duplex};
use wsgate::{CloseCode, Config, Message, Role, WebSocket};

#[tokio::test]
async fn ping_is_answered_while_only_the_reader_is_polled() {
    let (a, mut peer) = duplex(4096);
    let ws = WebSocket::from_raw(a, Role::Server, &Config::default(), None);
    let (mut read, _write) = ws.split();
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        while let Some(Ok(m)) = read.recv().await {
            got.push(m);
        }
        got
    });
    peer.write_all(&masked(0x89, b"p1")).await.unwrap();
    assert_eq!(read_exact(&mut peer, 4).await, unmasked(0x8A, b"p1"));
    peer.write_all(&masked(0x88, &close_payload(1000, "")))
        .await
        .unwrap();
    assert_eq!(
        read_exact(&mut peer, 4).await,
        unmasked(0x88, &close_payload(1000, ""))
    );
    let got = tokio::time::timeout(Duration::from_secs(5), reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), 2, "{got:?}");
}

#[tokio::test]
async fn ping_is_answered_even_when_no_half_is_polled() {
    let (a, mut peer) = duplex(4096);
    let ws = WebSocket::from_raw(a, Role::Server, &Config::default(), None);
    let (_read, _write) = ws.split();
    peer.write_all(&masked(0x89, b"xyz")).await.unwrap();
    assert_eq!(read_exact(&mut peer, 5).await, unmasked(0x8A, b"xyz"));
}

#[tokio::test]
async fn many_senders_and_a_reader_over_one_connection() {
    let (a, b) = duplex(1 << 16);
    let server = WebSocket::from_raw(a, Role::Server, &Config::default(), None);
    let mut client = WebSocket::from_raw(b, Role::Client, &Config::default(), None);
    let (mut read, mut write) = server.split();
    let mut tasks = Vec::new();
    for t in 0..8 {
        let sender = write.sender();
        tasks.push(tokio::spawn(async move {
            for i in 0..100 {
                sender.send(format!("{t}:{i}")).await.unwrap();
            }
        }));
    }
    let mut seen = 0;
    while seen < 800 {
        match client.recv().await.unwrap().unwrap() {
            Message::Text(_) => seen += 1,
            other => panic!("{other:?}"),
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    client.send("from client").await.unwrap();
    assert_eq!(
        read.recv().await.unwrap().unwrap(),
        Message::text("from client")
    );
    let closing = tokio::spawn(async move { write.close(CloseCode::NORMAL, "bye").await });
    // The client sees the close, echoes it (inside recv), and then the stream ends.
    match client.recv().await.unwrap().unwrap() {
        Message::Close(Some(f)) => assert_eq!(f.code, CloseCode::NORMAL),
        other => panic!("{other:?}"),
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), client.recv())
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), closing)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(matches!(
        read.recv().await,
        Some(Ok(Message::Close(_))) | None
    ));
}

#[tokio::test]
async fn dropping_every_half_closes_with_going_away() {
    let (a, mut peer) = duplex(4096);
    let ws = WebSocket::from_raw(a, Role::Server, &Config::default(), None);
    let (read, write) = ws.split();
    drop(write);
    drop(read);
    assert_eq!(
        read_exact(&mut peer, 4).await,
        unmasked(0x88, &close_payload(1001, ""))
    );
}

/// The write half is a `futures` `Sink`: messages sent through it arrive in order,
/// `flush` returns once they are written, and closing the sink closes with 1000.
#[tokio::test]
async fn the_write_half_is_a_sink() {
    use futures_util::{SinkExt, StreamExt};

    let (a, b) = duplex(1 << 16);
    let server = WebSocket::from_raw(a, Role::Server, &Config::default(), None);
    let mut client = WebSocket::from_raw(b, Role::Client, &Config::default(), None);
    let (_read, mut write) = server.split();
    let mut items = futures_util::stream::iter((0..50).map(|i| Ok(Message::text(format!("m{i}")))));
    write.send_all(&mut items).await.unwrap();
    write.flush().await.unwrap();
    for i in 0..50 {
        let got = tokio::time::timeout(Duration::from_secs(5), client.next())
            .await
            .expect("message in time");
        assert_eq!(got.unwrap().unwrap(), Message::text(format!("m{i}")));
    }
    let closing = tokio::spawn(async move {
        SinkExt::close(&mut write).await.unwrap();
        write
    });
    let got = tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .expect("close in time");
    match got {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::NORMAL),
        other => panic!("expected a close frame, got {other:?}"),
    }
    // The client's echo ends the connection; the sink's close returns.
    while client.next().await.is_some() {}
    let mut write = tokio::time::timeout(Duration::from_secs(5), closing)
        .await
        .expect("sink closed in time")
        .unwrap();
    assert!(write.is_closed());
    assert!(matches!(
        SinkExt::send(&mut write, Message::text("late")).await,
        Err(wsgate::Error::Closed)
    ));
}
