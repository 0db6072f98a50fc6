//! Streaming mode: data messages arrive as chunks of at most `stream_chunk_size`,
//! as soon as the bytes are there, validated and limited like whole messages.
#![allow(clippy::unwrap_used, clippy::panic)]

mod pair;

use bytes::{Bytes, BytesMut};
use pair::{Pair, frame, masked};
use std::time::Instant;
use wsgate_proto::{
    Config, Connection, DataKind, Event, Limits, Message, PerMessageDeflate, ProtocolError, Role,
};

fn config(chunk: usize) -> Config {
    let mut c = Config::default();
    c.stream_chunk_size(chunk);
    c
}

fn chunks(events: &[pair::Polled]) -> Vec<(usize, bool, bool)> {
    events
        .iter()
        .map(|e| match e {
            Ok(Event::Chunk {
                data, first, fin, ..
            }) => (data.len(), *first, *fin),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn joined(events: &[pair::Polled]) -> Vec<u8> {
    events
        .iter()
        .flat_map(|e| match e {
            Ok(Event::Chunk { data, .. }) => data.to_vec(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn a_message_is_split_into_chunks_with_first_and_fin() {
    let payload: Vec<u8> = (0..35).collect();
    let mut s = Connection::new(Role::Server, &config(10), None);
    s.set_streaming(true);
    let mut rx = BytesMut::from(&masked(true, 2, &payload)[..]);
    let events = pair::poll_all(&mut s, &mut rx, Instant::now());
    assert_eq!(
        chunks(&events),
        [
            (10, true, false),
            (10, false, false),
            (10, false, false),
            (5, false, true)
        ]
    );
    assert_eq!(joined(&events), payload);
}

#[test]
fn chunks_are_handed_out_before_the_frame_completes() {
    let wire = masked(true, 2, &[7; 100]);
    let mut s = Connection::new(Role::Server, &config(16), None);
    s.set_streaming(true);
    let mut rx = BytesMut::from(&wire[..6 + 40]);
    let events = pair::poll_all(&mut s, &mut rx, Instant::now());
    assert_eq!(chunks(&events), [(16, true, false), (16, false, false)]);
    assert!(joined(&events).iter().all(|&b| b == 7), "unmasked");
}

#[test]
fn fragmented_text_with_interleaved_ping() {
    let wire = [
        masked(false, 1, b"Hel"),
        masked(true, 9, b"!"),
        masked(false, 0, b""),
        masked(true, 0, b"lo"),
    ]
    .concat();
    let mut s = Connection::new(Role::Server, &config(64), None);
    s.set_streaming(true);
    let mut rx = BytesMut::from(&wire[..]);
    let events = pair::poll_all(&mut s, &mut rx, Instant::now());
    let expect = [
        Event::Chunk {
            kind: DataKind::Text,
            data: Bytes::from_static(b"Hel"),
            first: true,
            fin: false,
        },
        Event::Message(Message::Ping(Bytes::from_static(b"!"))),
        Event::Chunk {
            kind: DataKind::Text,
            data: Bytes::from_static(b"lo"),
            first: false,
            fin: true,
        },
    ];
    assert_eq!(events, expect.map(Ok));
}

#[test]
fn limits_and_utf8_still_apply_when_streaming() {
    let mut c = config(8);
    c.limits(*Limits::default().max_message_size(20));
    let mut s = Connection::new(Role::Server, &c, None);
    s.set_streaming(true);
    let mut rx =
        BytesMut::from(&[masked(false, 2, &[0; 15]), masked(true, 0, &[0; 6])].concat()[..]);
    let events = pair::poll_all(&mut s, &mut rx, Instant::now());
    assert_eq!(events.last(), Some(&Err(ProtocolError::MessageTooLarge)));

    let mut s = Connection::new(Role::Server, &config(8), None);
    s.set_streaming(true);
    let mut rx = BytesMut::from(&masked(true, 1, b"abc\xffdefghijk")[..]);
    assert_eq!(
        s.poll_event(&mut rx, Instant::now()),
        Err(ProtocolError::InvalidUtf8)
    );
}

#[test]
fn compressed_messages_stream_inflated_chunks() {
    let text = "{\"k\":\"value\"},".repeat(1000);
    let mut p = Pair::new(&config(1000), Some(PerMessageDeflate::default()));
    p.client.set_streaming(true);
    p.server.send(Message::text(text.as_str()), p.now).unwrap();
    p.flush();
    let events = p.client_events();
    let sizes = chunks(&events);
    assert!(sizes.len() >= text.len() / 1000, "{sizes:?}");
    assert!(sizes.iter().all(|&(n, _, _)| n <= 1000));
    assert!(sizes[0].1 && sizes.last().unwrap().2);
    assert_eq!(joined(&events), text.as_bytes());
}

#[test]
fn streaming_applies_to_messages_that_start_after_the_switch() {
    let mut p = Pair::new(&config(4), None);
    p.server.send(Message::binary(vec![1; 10]), p.now).unwrap();
    p.flush();
    assert_eq!(
        p.client_events(),
        [Ok(Event::Message(Message::binary(vec![1; 10])))]
    );
    p.client.set_streaming(true);
    p.server
        .send_chunk(DataKind::Binary, Bytes::from(vec![2; 6]), false)
        .unwrap();
    p.flush();
    assert_eq!(
        chunks(&p.client_events()),
        [(4, true, false), (2, false, false)]
    );
    // Switching off mid-message: the open message keeps streaming to its end.
    p.client.set_streaming(false);
    p.server
        .send_chunk(DataKind::Binary, Bytes::from(vec![2; 3]), true)
        .unwrap();
    p.flush();
    assert_eq!(chunks(&p.client_events()), [(3, false, true)]);
    p.server.send(Message::binary(vec![3; 6]), p.now).unwrap();
    p.flush();
    assert_eq!(
        p.client_events(),
        [Ok(Event::Message(Message::binary(vec![3; 6])))]
    );
}

#[test]
fn send_chunk_fragments_and_checks_utf8_and_kind() {
    let mut p = Pair::new(&Config::default(), None);
    p.client
        .send_chunk(DataKind::Text, Bytes::from_static(b"He\xc3"), false)
        .unwrap();
    assert_eq!(
        p.client.send(Message::text("x"), p.now),
        Err(wsgate_proto::SendError::MessageInProgress)
    );
    assert_eq!(
        p.client.send_chunk(DataKind::Binary, Bytes::new(), true),
        Err(wsgate_proto::SendError::MessageInProgress)
    );
    assert_eq!(
        p.client
            .send_chunk(DataKind::Text, Bytes::from_static(b"\xff"), true),
        Err(wsgate_proto::SendError::InvalidUtf8)
    );
    p.client
        .send(Message::Ping(Bytes::from_static(b"mid")), p.now)
        .unwrap();
    p.client
        .send_chunk(DataKind::Text, Bytes::from_static(b"\xa9llo"), true)
        .unwrap();
    p.flush();
    let events = p.server_events();
    assert_eq!(
        events,
        [
            Ok(Event::Message(Message::Ping("mid".into()))),
            Ok(Event::Message(Message::text("Heéllo")))
        ]
    );
    let raw = frame(true, 0, 2, b"", None);
    assert_eq!(raw.len(), 2);
}
