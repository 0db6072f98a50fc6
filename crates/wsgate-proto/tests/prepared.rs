//! Prepared messages: framed once, shared without copying by server connections,
//! masked per connection by clients, compressed once when sharing is safe.
#![allow(clippy::unwrap_used, clippy::panic)]

mod pair;

use pair::{Pair, parse_frames, take_transmit};
use std::io::IoSlice;
use std::time::Instant;
use wsgate_proto::{Config, Connection, Event, Message, PerMessageDeflate, PreparedMessage, Role};

fn pmd(nct: bool) -> PerMessageDeflate {
    PerMessageDeflate {
        server_no_context_takeover: nct,
        client_no_context_takeover: nct,
        ..PerMessageDeflate::default()
    }
}

fn first_slice_after_header(conn: &Connection) -> *const u8 {
    let mut slots = [IoSlice::new(&[]); 4];
    let n = conn.transmit_slices(&mut slots);
    slots[..n].iter().map(|s| s.as_ptr()).next_back().unwrap()
}

#[test]
fn servers_share_the_same_bytes_without_copying() {
    let big = PreparedMessage::new(Message::binary(vec![5u8; 10_000]));
    let now = Instant::now();
    for _ in 0..3 {
        let mut s = Connection::new(Role::Server, &Config::default(), None);
        s.send_prepared(&big, now).unwrap();
        assert_eq!(first_slice_after_header(&s), big.frame_bytes().as_ptr());
        assert_eq!(take_transmit(&mut s), big.frame_bytes()[..]);
    }
}

#[test]
fn clients_mask_a_copy_that_the_server_decodes() {
    let msg = PreparedMessage::new(Message::text("broadcast"));
    let mut p = Pair::new(&Config::default(), None);
    p.client.send_prepared(&msg, p.now).unwrap();
    p.server.send_prepared(&msg, p.now).unwrap();
    p.flush();
    assert_eq!(
        p.server_events(),
        [Ok(Event::Message(Message::text("broadcast")))]
    );
    assert_eq!(
        p.client_events(),
        [Ok(Event::Message(Message::text("broadcast")))]
    );
}

#[test]
fn compressed_form_is_shared_only_without_context_takeover() {
    let text = "{\"event\":\"tick\",\"price\":123.45},".repeat(100);
    let msg = PreparedMessage::new(Message::text(text.as_str()));
    let now = Instant::now();
    let mut wires = Vec::new();
    for _ in 0..2 {
        let mut s = Connection::new(Role::Server, &Config::default(), Some(pmd(true)));
        s.send_prepared(&msg, now).unwrap();
        s.send_prepared(&msg, now).unwrap();
        let wire = take_transmit(&mut s);
        let frames = parse_frames(&wire);
        assert_eq!(frames[0], frames[1], "no context: identical frames");
        assert_eq!(frames[0].rsv, 4);
        wires.push(wire);
    }
    assert_eq!(wires[0], wires[1]);

    let mut p = Pair::new(&Config::default(), Some(pmd(false)));
    p.server.send_prepared(&msg, p.now).unwrap();
    p.server.send_prepared(&msg, p.now).unwrap();
    let wire = take_transmit(&mut p.server);
    let frames = parse_frames(&wire);
    assert!(
        frames[1].payload.len() < frames[0].payload.len(),
        "compressed on the connection, with context"
    );
    p.to_client.extend_from_slice(&wire);
    let expect = Ok(Event::Message(Message::text(text.as_str())));
    assert_eq!(p.client_events(), [expect.clone(), expect]);
}

#[test]
fn shared_compressed_frames_decode_on_clients_and_servers() {
    let text = "abcdefgh".repeat(100);
    let msg = PreparedMessage::new(Message::text(text.as_str()));
    let mut p = Pair::new(&Config::default(), Some(pmd(true)));
    p.server.send_prepared(&msg, p.now).unwrap();
    p.client.send_prepared(&msg, p.now).unwrap();
    p.flush();
    let expect = [Ok(Event::Message(Message::text(text.as_str())))];
    assert_eq!(p.client_events(), expect);
    assert_eq!(p.server_events(), expect);
}

#[test]
fn prepared_control_messages_go_through_the_normal_path() {
    let mut p = Pair::new(&Config::default(), None);
    let ping = PreparedMessage::new(Message::Ping("hi".into()));
    p.server.send_prepared(&ping, p.now).unwrap();
    p.flush();
    assert_eq!(
        p.client_events(),
        [Ok(Event::Message(Message::Ping("hi".into())))]
    );
}
