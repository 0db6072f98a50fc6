//! Autobahn 6.4.x "strict": invalid UTF-8 is rejected as soon as its bytes arrive, even
//! while the text frame (or message) carrying it is still incomplete.
#![allow(clippy::unwrap_used, clippy::panic)]

mod pair;

use bytes::BytesMut;
use pair::{frame, masked, parse_frames, take_transmit};
use std::time::Instant;
use wsgate_proto::{
    Config, Connection, Event, Limits, Message, PerMessageDeflate, ProtocolError, Role,
};

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

/// Raw deflate of `data` with a sync flush, its `00 00 ff ff` tail stripped (RFC 7692).
fn deflate_raw(data: &[u8]) -> Vec<u8> {
    let mut c = flate2::Compress::new(flate2::Compression::fast(), false);
    let mut out = Vec::with_capacity(data.len() + 1024);
    c.compress_vec(data, &mut out, flate2::FlushCompress::Sync)
        .unwrap();
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

/// Text that deflate barely shrinks, so that its compressed frame is long.
fn noisy_text(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            b'a' + (x >> 24) as u8 % 26
        })
        .collect()
}

/// The same inside a compressed frame: what has arrived is inflated and checked, so
/// a 60 KB frame fails on its first bytes, not when its last one arrives.
#[test]
fn invalid_bytes_in_a_partial_compressed_frame_close_with_1007() {
    let mut text = BAD.to_vec();
    text.extend_from_slice(&noisy_text(60_000));
    let wire = frame(true, 4, 1, &deflate_raw(&text), Some([1, 2, 3, 4]));
    assert!(wire.len() > 30_000, "{}", wire.len());
    let deflate = Some(PerMessageDeflate::default());
    let mut s = Connection::new(Role::Server, &Config::default(), deflate);
    let mut rx = BytesMut::from(&wire[..14 + 200]);
    assert_eq!(
        s.poll_event(&mut rx, Instant::now()),
        Err(ProtocolError::InvalidUtf8)
    );
    assert_eq!(
        parse_frames(&take_transmit(&mut s))[0].close_code(),
        Some(1007)
    );
}

/// A compressed frame whose inflated size passes the message limit fails with 1009
/// while it is still arriving; valid compressed text fed in small reads is delivered.
#[test]
fn compressed_frames_are_inflated_as_they_arrive() {
    let mut config = Config::default();
    let mut limits = Limits::default();
    limits.max_message_size(100_000);
    config.limits(limits);
    let deflate = Some(PerMessageDeflate::default());

    let bomb = deflate_raw(&vec![b'a'; 10_000_000]);
    let wire = frame(true, 4, 1, &bomb, Some([1, 2, 3, 4]));
    let mut s = Connection::new(Role::Server, &config, deflate);
    let mut rx = BytesMut::from(&wire[..wire.len() / 2]);
    assert_eq!(
        s.poll_event(&mut rx, Instant::now()),
        Err(ProtocolError::MessageTooLarge)
    );

    let text = noisy_text(90_000);
    let wire = frame(true, 4, 1, &deflate_raw(&text), Some([1, 2, 3, 4]));
    let mut s = Connection::new(Role::Server, &config, deflate);
    let mut rx = BytesMut::new();
    let mut got = Vec::new();
    for piece in wire.chunks(777) {
        rx.extend_from_slice(piece);
        if let Some(ev) = s.poll_event(&mut rx, Instant::now()).unwrap() {
            got.push(ev);
        }
    }
    let text = String::from_utf8(text).unwrap();
    assert_eq!(got, [Event::Message(Message::text(text))]);
}
