//! RFC 6455 §5.7 examples, byte for byte, in both directions.
#![allow(clippy::unwrap_used, clippy::panic)]

mod pair;

use bytes::{Bytes, BytesMut};
use pair::{feed, parse_frames, take_transmit};
use std::time::Instant;
use wsgate_proto::{Config, Connection, Event, Message, Role};

fn events(role: Role, wire: &[u8]) -> Vec<Message> {
    let (evs, _) = feed(role, &Config::default(), None, wire);
    evs.into_iter()
        .map(|e| match e {
            Ok(Event::Message(m)) => m,
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

fn server_sends(msg: Message) -> Vec<u8> {
    let mut s = Connection::new(Role::Server, &Config::default(), None);
    s.send(msg, Instant::now()).unwrap();
    take_transmit(&mut s)
}

#[test]
fn single_frame_unmasked_text() {
    let wire = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    assert_eq!(events(Role::Client, &wire), [Message::text("Hello")]);
    assert_eq!(server_sends(Message::text("Hello")), wire);
}

#[test]
fn single_frame_masked_text() {
    let wire = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(events(Role::Server, &wire), [Message::text("Hello")]);
}

#[test]
fn fragmented_unmasked_text() {
    let wire = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    assert_eq!(events(Role::Client, &wire), [Message::text("Hello")]);
}

#[test]
fn unmasked_ping_and_masked_pong() {
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let (evs, answer) = feed(Role::Client, &Config::default(), None, &ping);
    assert_eq!(
        evs,
        [Ok(Event::Message(Message::Ping(Bytes::from_static(
            b"Hello"
        ))))]
    );
    // The automatic pong is masked with a fresh key and echoes the payload.
    assert_eq!(answer.len(), 1);
    assert_eq!((answer[0].opcode, answer[0].masked), (0xa, true));
    assert_eq!(answer[0].payload, b"Hello");

    let pong = [
        0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(
        events(Role::Server, &pong),
        [Message::Pong(Bytes::from_static(b"Hello"))]
    );
    assert_eq!(
        server_sends(Message::Pong(Bytes::from_static(b"Hello")))[..2],
        [0x8a, 0x05]
    );
}

#[test]
fn binary_256_bytes_uses_the_16_bit_length() {
    let payload = vec![0xab; 256];
    let wire = server_sends(Message::binary(payload.clone()));
    assert_eq!(wire[..4], [0x82, 0x7e, 0x01, 0x00]);
    assert_eq!(wire[4..], payload[..]);
    assert_eq!(events(Role::Client, &wire), [Message::binary(payload)]);
}

#[test]
fn binary_64_kib_uses_the_64_bit_length() {
    let payload = vec![0xcd; 65_536];
    let wire = server_sends(Message::binary(payload.clone()));
    assert_eq!(wire[..10], [0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]);
    assert_eq!(wire.len(), 10 + 65_536);
    assert_eq!(events(Role::Client, &wire), [Message::binary(payload)]);
}

#[test]
fn client_frames_are_masked_and_decode_on_the_server() {
    let mut c = Connection::new(Role::Client, &Config::default(), None);
    c.send(Message::text("Hello"), Instant::now()).unwrap();
    let wire = take_transmit(&mut c);
    assert_eq!(wire.len(), 11);
    assert_eq!(parse_frames(&wire)[0].payload, b"Hello");
    assert_eq!(events(Role::Server, &wire), [Message::text("Hello")]);
}

#[test]
fn leftover_bytes_of_the_next_frame_stay_in_the_buffer() {
    let mut c = Connection::new(Role::Client, &Config::default(), None);
    let mut rx = BytesMut::from(&[0x81, 0x01, b'a', 0x82, 0x7e, 0x01, 0x00, 1, 2][..]);
    let ev = c.poll_event(&mut rx, Instant::now()).unwrap();
    assert_eq!(ev, Some(Event::Message(Message::text("a"))));
    assert_eq!(c.poll_event(&mut rx, Instant::now()).unwrap(), None);
    assert_eq!(
        rx[..],
        [1, 2],
        "the header is consumed once parsed, the payload waits"
    );
}
