//! Slow consumers under each policy: a client that stops reading while the hub
//! publishes, then reads what reached it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{ByName, Event, Server, raw_client, start, within};
use std::time::Duration;
use tokio::net::TcpStream;
use wsgate::{CloseCode, Message, WebSocket};
use wsgate_hub::{Cause, HubBuilder, HubConfig, Session, SlowPolicy};

/// Messages published in one burst once the client's path is full.
const N: usize = 100;
const SIZE: usize = 16 << 10;
const QUEUE: usize = 8;

struct Flood {
    srv: Server,
    client: WebSocket<TcpStream>,
    /// Filler messages published to fill the socket buffers (before the burst).
    fillers: usize,
}

/// A hub with `policy` and a subscribed raw client that does not read. Fills the path
/// to the client (kernel buffers) with filler messages one at a time until the
/// connection stops taking them, then publishes `N` numbered messages in one burst.
/// The runtime is single-threaded, so nothing drains during the burst: the outcome
/// is deterministic.
async fn flood(policy: SlowPolicy) -> Flood {
    let mut config = HubConfig::default();
    config
        .queue_messages(QUEUE)
        .slow_policy(policy)
        .write_buffer(1);
    let mut srv = start(HubBuilder::new().config(config), None).await;
    let mut client = raw_client(srv.addr, "slow").await;
    client.send("sub:t").await.unwrap();
    srv.wait_for(|e| matches!(e, Event::Message(_, t) if t == "sub:t"))
        .await;
    let session = srv
        .hub
        .session(srv.hub.session_ids_for_test("slow"))
        .unwrap();
    let pad = "x".repeat(SIZE);
    let mut fillers = 0;
    while !stalled(&session).await {
        srv.hub.publish("t", format!("f:{pad}"));
        fillers += 1;
        assert!(fillers < 10_000, "the path never filled");
    }
    assert!(
        session.queued_bytes() > 0,
        "the queue holds what the socket does not take"
    );
    for i in 0..N {
        srv.hub.publish("t", format!("{i}:{pad}"));
    }
    Flood {
        srv,
        client,
        fillers,
    }
}

/// Whether the session's queue stays non-empty: the connection takes no more.
async fn stalled(session: &Session<String>) -> bool {
    tokio::time::sleep(Duration::from_millis(1)).await;
    if session.queued_messages() == 0 {
        return false;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    session.queued_messages() > 0
}

/// Reads until the close frame (returned) or a second of silence (`None`). Numbered
/// messages go to `got`; returns the number of filler messages too.
async fn read_all(
    client: &mut WebSocket<TcpStream>,
    got: &mut Vec<usize>,
) -> (Option<CloseCode>, usize) {
    let mut fillers = 0;
    loop {
        match tokio::time::timeout(Duration::from_secs(1), client.recv()).await {
            Err(_) => return (None, fillers),
            Ok(Some(Ok(Message::Text(t)))) => match t.as_str().split_once(':') {
                Some(("f", _)) => fillers += 1,
                Some((n, _)) => got.push(n.parse().unwrap()),
                None => panic!("unexpected message"),
            },
            Ok(Some(Ok(Message::Close(frame)))) => return (frame.map(|f| f.code), fillers),
            Ok(Some(Ok(_))) => {}
            Ok(other) => panic!("{other:?}"),
        }
    }
}

fn is_prefix(got: &[usize]) -> bool {
    got.iter().enumerate().all(|(i, n)| i == *n)
}

async fn disconnects_with(code: CloseCode) {
    let Flood {
        mut srv,
        mut client,
        fillers,
    } = flood(SlowPolicy::Disconnect(code)).await;
    assert_eq!(srv.hub.metrics().slow_disconnects, 1);
    let mut got = Vec::new();
    let (close, fillers_read) = within(10, read_all(&mut client, &mut got)).await;
    assert_eq!(
        close,
        Some(code),
        "close frame after the messages already written"
    );
    assert!(got.is_empty(), "the burst overflowed the queue: {got:?}");
    assert!(fillers_read < fillers, "the queued fillers were discarded");
    assert!(within(5, client.recv()).await.is_none());
    let d = srv.disconnect_of("slow").await;
    assert_eq!((d.cause, d.code), (Cause::SlowConsumer, code));
    let m = srv.hub.metrics();
    assert_eq!(m.disconnects(Cause::SlowConsumer), 1);
    assert_eq!(
        m.queue_drops as usize,
        QUEUE + 1,
        "the full queue and the message"
    );
    assert_eq!(srv.hub.subscriber_count("t"), 0);
}

#[tokio::test]
async fn disconnect_policy_closes_with_1013() {
    disconnects_with(CloseCode::TRY_AGAIN_LATER).await;
}

#[tokio::test]
async fn disconnect_policy_closes_with_1008() {
    disconnects_with(CloseCode::POLICY_VIOLATION).await;
}

#[tokio::test]
async fn drop_oldest_keeps_the_latest_messages() {
    let Flood {
        srv,
        mut client,
        fillers,
    } = flood(SlowPolicy::DropOldest).await;
    let mut got = Vec::new();
    let (close, fillers_read) = within(10, read_all(&mut client, &mut got)).await;
    assert_eq!(close, None, "still connected");
    assert_eq!(
        got,
        (N - QUEUE..N).collect::<Vec<_>>(),
        "the newest {QUEUE} survive"
    );
    let dropped = (fillers + N - fillers_read - got.len()) as u64;
    assert_eq!(srv.hub.metrics().queue_drops, dropped);
    let session = srv
        .hub
        .session(srv.hub.session_ids_for_test("slow"))
        .unwrap();
    assert_eq!(session.dropped(), dropped);
    assert_eq!(srv.hub.metrics().slow_disconnects, 0);
}

#[tokio::test]
async fn drop_newest_keeps_the_oldest_messages() {
    let Flood {
        srv,
        mut client,
        fillers,
    } = flood(SlowPolicy::DropNewest).await;
    let mut got = Vec::new();
    let (close, fillers_read) = within(10, read_all(&mut client, &mut got)).await;
    assert_eq!(close, None, "still connected");
    assert_eq!(
        fillers_read, fillers,
        "nothing queued before the burst was dropped"
    );
    assert!(!got.is_empty() && got.len() < QUEUE, "{got:?}");
    assert!(is_prefix(&got), "the oldest of the burst survive: {got:?}");
    assert_eq!(srv.hub.metrics().queue_drops, (N - got.len()) as u64);
    // Keeping up again: delivered.
    assert_eq!(srv.hub.publish("t", "0:after").queued, 1);
}
