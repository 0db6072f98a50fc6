//! A server-role or client-role `Connection` (with or without permessage-deflate, whole
//! messages or streaming) fed arbitrary bytes in random-sized slices. Events are
//! consumed; now and then the target sends a message and drains part of the transmit
//! queue. Invariants: no panic, and the connection never holds on to more than a
//! small multiple of the configured limits.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use std::io::IoSlice;
use std::time::{Duration, Instant};
use wsgate_proto::{Config, Connection, Event, Limits, Message, PerMessageDeflate, Role, State};

const SEEDS: usize = 8;

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, rest)) = data.split_first() else {
        return;
    };
    let Some((sizes, stream)) = rest.split_at_checked(SEEDS) else {
        return;
    };
    let mut conn = connection(knobs);
    let mut rx = BytesMut::new();
    let mut now = Instant::now();
    let mut offset = 0;
    for (i, &seed) in sizes.iter().cycle().enumerate() {
        if offset >= stream.len() {
            break;
        }
        let end = stream.len().min(offset + usize::from(seed) * 7 + 1);
        rx.extend_from_slice(&stream[offset..end]);
        offset = end;
        now += Duration::from_millis(u64::from(seed));
        if !drain_events(&mut conn, &mut rx, now) {
            break;
        }
        if seed % 5 == 0 {
            let _ = conn.send(Message::binary(vec![seed; usize::from(seed) * 3]), now);
        }
        transmit(&mut conn, i);
    }
    transmit(&mut conn, 0);
});

/// The connection under test, chosen by `knobs`.
fn connection(knobs: u8) -> Connection {
    let mut limits = Limits::default();
    limits.max_frame_size(4 << 10).max_message_size(16 << 10);
    let mut config = Config::default();
    config.limits(limits).stream_chunk_size(512).compression_threshold(16);
    let role = if knobs & 1 == 0 { Role::Server } else { Role::Client };
    let deflate = (knobs & 2 != 0).then(|| PerMessageDeflate {
        server_no_context_takeover: knobs & 4 != 0,
        client_no_context_takeover: knobs & 8 != 0,
        server_max_window_bits: 9 + (knobs >> 5),
        client_max_window_bits: 15 - (knobs >> 5),
    });
    let mut conn = Connection::new(role, &config, deflate);
    conn.set_streaming(knobs & 16 != 0);
    conn
}

/// Polls until more bytes are needed. Returns `false` once the connection failed.
fn drain_events(conn: &mut Connection, rx: &mut BytesMut, now: Instant) -> bool {
    loop {
        match conn.poll_event(rx, now) {
            Ok(Some(Event::Message(msg))) => assert!(msg.len() <= 16 << 10),
            Ok(Some(Event::Chunk { data, .. })) => assert!(data.len() <= 512),
            Ok(None) => return conn.state() != State::Closed || !rx.is_empty(),
            Err(_) => {
                assert_eq!(conn.state(), State::Closed);
                return false;
            }
        }
    }
}

/// Writes all or half of the transmit queue, as a partial vectored write would.
fn transmit(conn: &mut Connection, i: usize) {
    let total = {
        let mut slices = [IoSlice::new(&[]); 4];
        let n = conn.transmit_slices(&mut slices);
        slices[..n].iter().map(|s| s.len()).sum::<usize>()
    };
    assert!(total <= conn.transmit_len());
    conn.advance_transmit(if i % 2 == 0 { total } else { total / 2 });
}
