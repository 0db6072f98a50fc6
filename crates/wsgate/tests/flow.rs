//! Backpressure, streaming a large message, keepalive timeouts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use bytes::Bytes;
use std::time::Duration;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};
use wsgate::{Config, DataKind, Error, Message, ProtocolError, Role, WebSocket};

#[tokio::test]
async fn send_blocks_when_the_peer_does_not_read() {
    let (a, mut peer) = duplex(64 << 10);
    let mut ws = WebSocket::from_raw(a, Role::Server, &Config::default(), None);
    ws.set_write_buffer_size(256 << 10);
    let chunk = Bytes::from(vec![0u8; 16 << 10]);
    let mut sent = 0usize;
    let blocked = loop {
        match tokio::time::timeout(Duration::from_millis(200), ws.send(chunk.clone())).await {
            Ok(res) => {
                res.unwrap();
                sent += chunk.len();
                assert!(sent < 4 << 20, "send never blocked");
            }
            Err(_) => break sent,
        }
    };
    // The transport holds 64 KiB, the write queue at most 256 KiB plus one message.
    assert!(
        blocked <= (64 + 256 + 16) << 10,
        "queued {blocked} bytes before blocking"
    );
    assert!(blocked >= 256 << 10, "blocked early at {blocked}");
    // Once the peer reads, sending resumes.
    let drain = tokio::spawn(async move {
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0;
        while total < blocked + (64 << 10) {
            total += peer.read(&mut buf).await.unwrap();
        }
        peer
    });
    for _ in 0..4 {
        tokio::time::timeout(Duration::from_secs(5), ws.send(chunk.clone()))
            .await
            .unwrap()
            .unwrap();
    }
    ws.flush().await.unwrap();
    drain.await.unwrap();
}

#[tokio::test]
async fn a_large_message_streams_in_chunks_both_ways() {
    let (a, b) = duplex(1 << 20);
    let mut config = Config::default();
    config.stream_chunk_size(64 << 10);
    let mut limits = wsgate::Limits::default();
    limits.max_message_size(200 << 20).max_frame_size(200 << 20);
    config.limits(limits);
    let mut server = WebSocket::from_raw(a, Role::Server, &config, None);
    let mut client = WebSocket::from_raw(b, Role::Client, &config, None);
    const TOTAL: usize = 100 << 20;
    let sender = tokio::spawn(async move {
        let mut w = client.send_stream(DataKind::Binary).await;
        let piece = Bytes::from(vec![0xAB; 1 << 20]);
        for _ in 0..TOTAL >> 20 {
            w.write(piece.clone()).await.unwrap();
        }
        w.finish().await.unwrap();
        client.send("after").await.unwrap();
        client
    });
    let mut reader = server.recv_stream().await.unwrap().unwrap();
    assert_eq!(reader.kind(), DataKind::Binary);
    let (mut total, mut chunks, mut largest) = (0usize, 0usize, 0usize);
    while let Some(chunk) = reader.next_chunk().await {
        let chunk = chunk.unwrap();
        assert!(chunk.iter().all(|&b| b == 0xAB));
        total += chunk.len();
        largest = largest.max(chunk.len());
        chunks += 1;
    }
    drop(reader);
    assert_eq!(total, TOTAL);
    assert!(
        largest <= 64 << 10 && chunks >= TOTAL / (64 << 10),
        "{chunks} chunks, largest {largest}"
    );
    assert_eq!(
        server.recv().await.unwrap().unwrap(),
        Message::text("after")
    );
    let _client = sender.await.unwrap();
}

#[tokio::test]
async fn an_abandoned_stream_is_skipped() {
    let (a, mut peer) = duplex(1 << 16);
    let mut ws = WebSocket::from_raw(a, Role::Server, &Config::default(), None);
    peer.write_all(&masked(0x02, b"part1")).await.unwrap();
    peer.write_all(&masked(0x80, b"part2")).await.unwrap();
    peer.write_all(&masked(0x81, b"next")).await.unwrap();
    {
        let mut r = ws.recv_stream().await.unwrap().unwrap();
        assert_eq!(
            r.next_chunk().await.unwrap().unwrap(),
            Bytes::from_static(b"part1")
        );
    }
    assert_eq!(ws.recv().await.unwrap().unwrap(), Message::text("next"));
}

#[tokio::test(start_paused = true)]
async fn keepalive_pings_then_fails_a_silent_peer() {
    let (a, mut peer) = duplex(4096);
    let mut config = Config::default();
    config
        .ping_interval(Some(Duration::from_secs(2)))
        .pong_timeout(Duration::from_secs(1));
    let mut ws = WebSocket::from_raw(a, Role::Server, &config, None);
    let recv = tokio::spawn(async move { ws.recv().await });
    // A ping after 2 s of silence...
    let ping = read_exact(&mut peer, 2).await;
    assert_eq!(ping, [0x89, 0x00]);
    // ...and 1008 after 1 more without an answer.
    let rest = read_to_end(&mut peer).await;
    assert_eq!(&rest[..4], &[0x88, rest[1], 0x03, 0xF0], "{rest:02x?}");
    let got = recv.await.unwrap();
    assert!(
        matches!(got, Some(Err(Error::Protocol(ProtocolError::Timeout)))),
        "{got:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn keepalive_is_satisfied_by_a_pong() {
    let (a, mut peer) = duplex(4096);
    let mut config = Config::default();
    config
        .ping_interval(Some(Duration::from_secs(2)))
        .pong_timeout(Duration::from_secs(1));
    let ws = WebSocket::from_raw(a, Role::Server, &config, None);
    let (mut read, _write) = ws.split();
    for _ in 0..3 {
        assert_eq!(read_exact(&mut peer, 2).await, [0x89, 0x00]);
        peer.write_all(&masked(0x8A, b"")).await.unwrap();
        assert_eq!(
            read.recv().await.unwrap().unwrap(),
            Message::Pong(Bytes::new())
        );
    }
}
