//! The driver against a scripted peer that writes and expects raw frame bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::atomic::Ordering;
use support::*;
use tokio::io::{AsyncWriteExt, duplex};
use wsgate::{CloseCode, Config, Error, Message, ProtocolError, Role, WebSocket};

fn server(io: tokio::io::DuplexStream) -> WebSocket<tokio::io::DuplexStream> {
    WebSocket::from_raw(io, Role::Server, &Config::default(), None)
}

#[tokio::test]
async fn ping_gets_a_pong_with_the_same_payload() {
    let (a, mut peer) = duplex(4096);
    let mut ws = server(a);
    peer.write_all(&masked(0x89, b"hello")).await.unwrap();
    let got = ws.recv().await.unwrap().unwrap();
    assert_eq!(got, Message::Ping("hello".into()));
    // The pong goes out when recv would block next.
    let reader = tokio::spawn(async move { read_exact(&mut peer, 7).await });
    let _ = tokio::time::timeout(std::time::Duration::from_millis(100), ws.recv()).await;
    assert_eq!(reader.await.unwrap(), unmasked(0x8A, b"hello"));
}

#[tokio::test]
async fn unmasked_client_frame_gets_close_1002_and_tcp_close() {
    let (a, mut peer) = duplex(4096);
    let mut ws = server(a);
    peer.write_all(&unmasked(0x81, b"hi")).await.unwrap();
    let err = ws.recv().await.unwrap().unwrap_err();
    assert!(
        matches!(err, Error::Protocol(ProtocolError::UnmaskedFrame)),
        "{err:?}"
    );
    assert_eq!(err.close_code(), Some(CloseCode::PROTOCOL_ERROR));
    assert!(ws.recv().await.is_none());
    let bytes = read_to_end(&mut peer).await;
    assert_eq!(&bytes[..4], &[0x88, bytes[1], 0x03, 0xEA], "{bytes:02x?}");
}

#[tokio::test]
async fn peer_close_is_delivered_echoed_then_none() {
    let (a, mut peer) = duplex(4096);
    let mut ws = server(a);
    peer.write_all(&masked(0x81, b"last")).await.unwrap();
    peer.write_all(&masked(0x88, &close_payload(1000, "bye")))
        .await
        .unwrap();
    assert_eq!(ws.recv().await.unwrap().unwrap(), Message::text("last"));
    match ws.recv().await.unwrap().unwrap() {
        Message::Close(Some(f)) => {
            assert_eq!((f.code, f.reason.as_str()), (CloseCode::NORMAL, "bye"));
        }
        other => panic!("{other:?}"),
    }
    assert!(ws.recv().await.is_none());
    let bytes = read_to_end(&mut peer).await;
    assert_eq!(
        &bytes[..4],
        &[0x88, bytes[1], 0x03, 0xE8],
        "echo with 1000: {bytes:02x?}"
    );
}

#[tokio::test]
async fn eof_without_close_is_abnormal() {
    let (a, peer) = duplex(4096);
    let mut ws = server(a);
    drop(peer);
    assert!(matches!(ws.recv().await, Some(Err(Error::AbnormalClosure))));
    assert!(ws.recv().await.is_none());
}

#[tokio::test]
async fn invalid_utf8_closes_with_1007() {
    let (a, mut peer) = duplex(4096);
    let mut ws = server(a);
    peer.write_all(&masked(0x81, &[0xff, 0xfe])).await.unwrap();
    let err = ws.recv().await.unwrap().unwrap_err();
    assert_eq!(err.close_code(), Some(CloseCode::INVALID_PAYLOAD));
    let bytes = read_to_end(&mut peer).await;
    assert_eq!(&bytes[2..4], &1007u16.to_be_bytes());
}

#[tokio::test]
async fn pipelined_echo_coalesces_writes() {
    let (a, mut peer) = duplex(1 << 20);
    let (io, writes) = CountingIo::new(a);
    let mut ws = WebSocket::from_raw(io, Role::Server, &Config::default(), None);
    let mut batch = Vec::new();
    for i in 0..200u32 {
        batch.extend(masked(0x82, &i.to_be_bytes()));
    }
    peer.write_all(&batch).await.unwrap();
    for _ in 0..200 {
        let msg = ws.recv().await.unwrap().unwrap();
        ws.send(msg).await.unwrap();
    }
    let echoed = read_exact(&mut peer, 200 * 6).await;
    assert_eq!(&echoed[..6], &unmasked(0x82, &0u32.to_be_bytes())[..]);
    let n = writes.load(Ordering::Relaxed);
    assert!(n <= 4, "200 pipelined echoes took {n} writes");
}

#[tokio::test]
async fn send_without_flush_reaches_the_peer() {
    let (a, mut peer) = duplex(4096);
    let mut ws = server(a);
    ws.send("one").await.unwrap();
    assert_eq!(read_exact(&mut peer, 5).await, unmasked(0x81, b"one"));
}

#[tokio::test]
async fn close_waits_for_the_peer_and_server_closes_tcp() {
    let (a, mut peer) = duplex(4096);
    let mut ws = server(a);
    let peer_task = tokio::spawn(async move {
        let frame = read_exact(&mut peer, 4).await;
        assert_eq!(frame, unmasked(0x88, &close_payload(1001, "")));
        peer.write_all(&masked(0x88, &close_payload(1001, "")))
            .await
            .unwrap();
        read_to_end(&mut peer).await
    });
    ws.close(CloseCode::GOING_AWAY, "").await.unwrap();
    assert!(peer_task.await.unwrap().is_empty());
    assert!(ws.send("late").await.is_err());
}

#[test]
fn websocket_is_small() {
    let size = std::mem::size_of::<WebSocket<tokio::net::TcpStream>>();
    println!("size_of::<WebSocket<TcpStream>>() = {size}");
    assert!(size <= 1024, "{size}");
}
