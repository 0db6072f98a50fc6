//! Sessions over real loopback connections: hooks paired, topics, fan-out variants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{ByName, Event, next_text, start, within};
use wsgate::{CloseCode, Message};
use wsgate_hub::{Cause, Delivery, HubBuilder};

#[tokio::test]
async fn connect_and_disconnect_are_paired_on_close_and_on_abrupt_loss() {
    let mut srv = start(&HubBuilder::new(), None).await;
    let mut a = srv.connect("a").await;
    let b = srv.connect("b").await;
    assert_eq!(srv.hub.session_count(), 2);

    a.send("hello").await.unwrap();
    let ev = srv.wait_for(|e| matches!(e, Event::Message(..))).await;
    assert!(matches!(ev, Event::Message(n, t) if n == "a" && t == "hello"));

    a.close(CloseCode::NORMAL, "done").await.unwrap();
    let d = srv.disconnect_of("a").await;
    assert_eq!(
        (d.cause, d.code, d.reason.as_str()),
        (Cause::Peer, CloseCode::NORMAL, "done")
    );

    drop(b); // TCP goes away without a close frame
    let d = srv.disconnect_of("b").await;
    assert_eq!((d.cause, d.code), (Cause::Lost, CloseCode::ABNORMAL));

    within(5, async {
        while srv.hub.session_count() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await;
    let m = srv.hub.metrics();
    assert_eq!((m.connections, m.disconnections), (2, 2));
    assert_eq!(m.disconnects(Cause::Lost), 1);
}

#[tokio::test]
async fn server_close_sends_queued_messages_then_the_close_frame() {
    let mut srv = start(&HubBuilder::new(), None).await;
    let mut a = srv.connect("a").await;
    a.send("close").await.unwrap();
    match within(5, a.recv()).await {
        Some(Ok(Message::Close(Some(f)))) => assert_eq!(f.code, CloseCode::NORMAL),
        other => panic!("{other:?}"),
    }
    assert!(
        within(5, a.recv()).await.is_none(),
        "echo flushed, then the end"
    );
    let d = srv.disconnect_of("a").await;
    assert_eq!((d.cause, d.reason.as_str()), (Cause::Closed, "bye"));
}

#[tokio::test]
async fn publish_reaches_only_subscribers() {
    let mut srv = start(&HubBuilder::new(), None).await;
    let mut clients = Vec::new();
    for i in 0..6 {
        clients.push(srv.connect(&format!("c{i}")).await);
    }
    for c in &mut clients[..3] {
        c.send("sub:room").await.unwrap();
    }
    for _ in 0..3 {
        srv.wait_for(|e| matches!(e, Event::Message(_, t) if t == "sub:room"))
            .await;
    }
    assert_eq!(srv.hub.subscriber_count("room"), 3);

    let fanout = srv.hub.publish("room", "news");
    assert_eq!((fanout.recipients, fanout.queued), (3, 3));
    for c in &mut clients[..3] {
        assert_eq!(next_text(c).await, "news");
    }
    // A client publishing through the hub reaches the room too.
    clients[0].send("pub:room:from c0").await.unwrap();
    for c in &mut clients[..3] {
        assert_eq!(next_text(c).await, "from c0");
    }
    // The others got nothing: the next thing they see is a direct message.
    for (i, c) in clients.iter_mut().enumerate().skip(3) {
        let id = srv.hub.session_ids_for_test(&format!("c{i}"));
        assert_eq!(srv.hub.send_to(id, "direct"), Delivery::Queued);
        assert_eq!(next_text(c).await, "direct");
    }
    clients[1].send("unsub:room").await.unwrap();
    srv.wait_for(|e| matches!(e, Event::Message(_, t) if t == "unsub:room"))
        .await;
    assert_eq!(srv.hub.publish("room", "x").recipients, 2);
}

#[tokio::test]
async fn broadcast_except_and_filter_over_connections() {
    let mut srv = start(&HubBuilder::new(), None).await;
    let mut a = srv.connect("a").await;
    let mut b = srv.connect("b").await;
    let a_id = srv.hub.session_ids_for_test("a");

    assert_eq!(srv.hub.broadcast("all").queued, 2);
    assert_eq!(srv.hub.broadcast_except("not a", a_id).queued, 1);
    assert_eq!(
        srv.hub
            .broadcast_filter("only a", |s| s.data() == "a")
            .queued,
        1
    );
    assert_eq!(next_text(&mut a).await, "all");
    assert_eq!(next_text(&mut a).await, "only a");
    assert_eq!(next_text(&mut b).await, "all");
    assert_eq!(next_text(&mut b).await, "not a");
    assert_eq!(srv.hub.metrics().messages_out, 4);
}
