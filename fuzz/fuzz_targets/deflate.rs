//! permessage-deflate: (1) a server-role connection with deflate negotiated, fed masked
//! frames with RSV1 set whose payloads come from the input, to exercise the inflater
//! and its size limit; (2) a round trip: a client connection sends the input
//! compressed, and a server connection must decode exactly the same messages.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use std::io::IoSlice;
use std::time::Instant;
use wsgate_proto::{Config, Connection, Event, Limits, Message, PerMessageDeflate, Role};

/// First bytes of the frames we build: FIN/RSV1 text and binary, RSV1 without FIN,
/// continuations, and one uncompressed binary frame for contrast.
const FIRST_BYTES: [u8; 6] = [0xC1, 0xC2, 0x42, 0x00, 0x80, 0x82];

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, input)) = data.split_first() else {
        return;
    };
    let pmd = deflate(knobs);
    inflate_frames(pmd, input);
    round_trip(pmd, knobs, input);
});

fn deflate(knobs: u8) -> PerMessageDeflate {
    PerMessageDeflate {
        server_no_context_takeover: knobs & 1 != 0,
        client_no_context_takeover: knobs & 2 != 0,
        server_max_window_bits: 9 + (knobs >> 2) % 7,
        client_max_window_bits: 9 + (knobs >> 5),
    }
}

fn config() -> Config {
    let mut limits = Limits::default();
    limits.max_frame_size(8 << 10).max_message_size(64 << 10);
    let mut config = Config::default();
    config.limits(limits).compression_threshold(0);
    config
}

/// Builds frames from `input` (first byte, length, mask, payload) and feeds them.
fn inflate_frames(pmd: PerMessageDeflate, mut input: &[u8]) {
    let mut server = Connection::new(Role::Server, &config(), Some(pmd));
    let mut rx = BytesMut::new();
    let now = Instant::now();
    while let Some((&[kind, len, m0, m1, m2, m3], rest)) = input.split_first_chunk::<6>() {
        let payload = &rest[..rest.len().min(usize::from(len) * 3)];
        let first = FIRST_BYTES[usize::from(kind) % FIRST_BYTES.len()];
        frame(&mut rx, first, [m0, m1, m2, m3], payload);
        input = &rest[payload.len()..];
        loop {
            match server.poll_event(&mut rx, now) {
                Ok(Some(Event::Message(m))) => assert!(m.len() <= 64 << 10),
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
}

/// Appends one masked frame: `first` byte, minimal length encoding, mask, payload.
fn frame(out: &mut BytesMut, first: u8, mask: [u8; 4], payload: &[u8]) {
    out.extend_from_slice(&[first]);
    match payload.len() {
        n @ 0..=125 => out.extend_from_slice(&[0x80 | n as u8]),
        n @ 126..=0xFFFF => {
            out.extend_from_slice(&[0x80 | 126]);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.extend_from_slice(&[0x80 | 127]);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
}

/// Client sends the input (split into a few messages) compressed; the server must
/// decode the same messages, in order.
fn round_trip(pmd: PerMessageDeflate, knobs: u8, input: &[u8]) {
    let now = Instant::now();
    let mut client = Connection::new(Role::Client, &config(), Some(pmd));
    let mut server = Connection::new(Role::Server, &config(), Some(pmd));
    let parts = input.chunks(usize::from(knobs) * 16 + 1).take(8);
    let mut sent = Vec::new();
    for part in parts {
        let msg = match std::str::from_utf8(part) {
            Ok(text) if knobs & 1 == 0 => Message::text(text.to_owned()),
            _ => Message::binary(part.to_vec()),
        };
        assert_eq!(client.send(msg.clone(), now), Ok(()));
        sent.push(msg);
    }
    let mut wire = BytesMut::new();
    drain(&mut client, &mut wire);
    let mut received = Vec::new();
    while let Ok(Some(Event::Message(m))) = server.poll_event(&mut wire, now) {
        received.push(m);
    }
    assert_eq!(received, sent);
}

/// Moves the whole transmit queue of `conn` into `out`.
fn drain(conn: &mut Connection, out: &mut BytesMut) {
    loop {
        let mut slices = [IoSlice::new(&[]); 8];
        let n = conn.transmit_slices(&mut slices);
        if n == 0 {
            return;
        }
        let mut total = 0;
        for s in &slices[..n] {
            out.extend_from_slice(s);
            total += s.len();
        }
        conn.advance_transmit(total);
    }
}
