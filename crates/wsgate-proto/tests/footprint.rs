//! Cost regressions: the connection stays small, idle connections hold no buffers,
//! and large fragmented messages arriving in small reads stay linear (Autobahn 9.x).
//! Linearity is checked deterministically, by the bytes allocated while decoding
//! (quadratic re-assembly shows there), not by the clock; speed is for the benches.
#![allow(clippy::unwrap_used, clippy::panic)]

mod counting;
mod pair;

use bytes::BytesMut;
use counting::allocated_by_this_thread;
use pair::{masked, take_transmit};
use std::time::Instant;
use wsgate_proto::{Config, Connection, Event, Message, Role};

#[test]
fn connection_struct_stays_small() {
    let size = std::mem::size_of::<Connection>();
    println!("size_of::<Connection>() = {size}");
    assert!(size <= 400, "Connection is {size} bytes");
}

/// Feeds `wire` in reads of `read` bytes; returns the single message and the bytes
/// this thread allocated while decoding it.
fn feed_in_reads(wire: &[u8], read: usize) -> (Message, usize) {
    let mut s = Connection::new(Role::Server, &Config::default(), None);
    let mut rx = BytesMut::with_capacity(wire.len());
    let started = Instant::now();
    let before = allocated_by_this_thread();
    let mut got = None;
    for piece in wire.chunks(read) {
        rx.extend_from_slice(piece);
        while let Some(ev) = s.poll_event(&mut rx, started).unwrap() {
            got = Some(ev);
        }
    }
    match got {
        Some(Event::Message(m)) => (m, allocated_by_this_thread() - before),
        other => panic!("{:?}", other.map(|_| "not a message")),
    }
}

#[test]
fn sixteen_mib_text_in_small_reads_is_linear() {
    let text = "0123456789abcdé".repeat((16 << 20) / 16);
    let wire = masked(true, 1, text.as_bytes());
    let (m, allocated) = feed_in_reads(&wire, 4096);
    assert_eq!(m.len(), text.len());
    println!("16 MiB text in 4 KiB reads: {allocated} bytes allocated");
    assert!(allocated <= 4 * text.len(), "{allocated} bytes allocated");
}

#[test]
fn sixteen_mib_in_64_byte_fragments_is_linear() {
    let payload = vec![b'a'; 16 << 20];
    let mut wire = Vec::with_capacity(payload.len() * 11 / 10);
    let n = payload.len() / 64;
    for (i, c) in payload.chunks(64).enumerate() {
        let op = if i == 0 { 1 } else { 0 };
        wire.extend_from_slice(&masked(i + 1 == n, op, c));
    }
    let (m, allocated) = feed_in_reads(&wire, 65_536);
    assert_eq!(m.len(), payload.len());
    println!("16 MiB in 64-byte fragments: {allocated} bytes allocated");
    assert!(
        allocated <= 4 * payload.len(),
        "{allocated} bytes allocated"
    );
}

#[test]
fn idle_connection_holds_no_transmit_bytes_after_a_large_send() {
    let mut s = Connection::new(Role::Server, &Config::default(), None);
    s.send(Message::binary(vec![0; 1 << 20]), Instant::now())
        .unwrap();
    s.send(Message::text("small"), Instant::now()).unwrap();
    assert_eq!(take_transmit(&mut s).len(), (1 << 20) + 10 + 7);
    assert_eq!(s.transmit_len(), 0);
    let mut slots = [std::io::IoSlice::new(&[]); 2];
    assert_eq!(s.transmit_slices(&mut slots), 0);
}
