//! Autobahn 6.4.x "strict": invalid UTF-8 is rejected as soon as its bytes arrive, even
//! while the text frame (or message) carrying it is still incomplete.
#![allow(clippy::unwrap_used, clippy::panic)]

mod pair;

use bytes::BytesMut;
use pair::{masked, parse_frames, take_transmit};
use std::time::Instant;
use wsgate_proto::{Config, Connection, Event, Message, ProtocolError, Role};

const BAD: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80edited";

#[test]
fn invalid_bytes_in_a_partial_frame_close_with_1007_before_the_frame_completes() {
    let mut payload = BAD.to_vec();
    payload.extend_from_slice(&[b'x'; 1000]);
    let wire = masked(true, 1, &payload);
    let mut s = Connection::new(Role::Server, &Config::default(), None);
    let now = Instant::now();
    // Header plus the valid prefix: nothing to report yet.
    let mut rx = BytesMut::from(&wire[..8 + 11]);
    assert_eq!(s.poll_event(&mut rx, now), Ok(None));
    // The invalid 4-byte sequence starts arriving; the peer then pauses.
    rx.extend_from_slice(&wire[8 + 11..8 + 13]);
    assert_eq!(s.poll_event(&mut rx, now), Err(ProtocolError::InvalidUtf8));
    assert_eq!(
        parse_frames(&take_transmit(&mut s))[0].close_code(),
        Some(1007)
    );
}

#[test]
fn invalid_continuation_in_a_later_fragment_fails_fast() {
    let first = masked(false, 1, b"ok \xe2\x82"); // ends inside a code point
    let second = masked(true, 0, &[b"A".as_slice(), &[b'y'; 500]].concat());
    let mut s = Connection::new(Role::Server, &Config::default(), None);
    let now = Instant::now();
    let mut rx = BytesMut::from(&first[..]);
    assert_eq!(s.poll_event(&mut rx, now), Ok(None));
    rx.extend_from_slice(&second[..9]);
    assert_eq!(s.poll_event(&mut rx, now), Err(ProtocolError::InvalidUtf8));
}

#[test]
fn valid_text_fed_in_small_reads_is_checked_once_and_delivered_whole() {
    let text = "κόσμε €𝄞 ".repeat(5000);
    let wire = masked(true, 1, text.as_bytes());
    let mut s = Connection::new(Role::Server, &Config::default(), None);
    let mut rx = BytesMut::new();
    let mut got = None;
    for piece in wire.chunks(1000) {
        rx.extend_from_slice(piece);
        if let Some(ev) = s.poll_event(&mut rx, Instant::now()).unwrap() {
            got = Some(ev);
        }
    }
    assert_eq!(got, Some(Event::Message(Message::text(text.as_str()))));
}

#[test]
fn binary_frames_are_not_utf8_checked() {
    let (events, _) = pair::feed(
        Role::Server,
        &Config::default(),
        None,
        &masked(true, 2, BAD),
    );
    assert_eq!(events, [Ok(Event::Message(Message::binary(BAD.to_vec())))]);
}
