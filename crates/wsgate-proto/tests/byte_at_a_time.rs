//! Feeding one byte per `poll_event` call gives exactly the events of feeding it all at
//! once (and the same answers on the wire), for plain and compressed traffic.
#![allow(clippy::unwrap_used, clippy::panic)]

mod pair;

use bytes::BytesMut;
use pair::{frame, masked, poll_all, take_transmit};
use std::time::Instant;
use wsgate_proto::{Config, Connection, DataKind, PerMessageDeflate, Role};

fn script() -> Vec<u8> {
    [
        masked(true, 1, "héllo".as_bytes()),
        masked(false, 1, "fra".as_bytes()),
        masked(true, 9, b"ping"),
        masked(false, 0, "gmé".as_bytes()),
        masked(true, 0, "nt".as_bytes()),
        masked(true, 2, &[0xaa; 300]),
        masked(true, 2, &[0xbb; 70_000]),
        frame(
            true,
            4,
            1,
            &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
            Some([1, 2, 3, 4]),
        ),
        masked(true, 10, b""),
        masked(true, 8, b"\x03\xe8bye"),
    ]
    .concat()
}

fn run(streaming: bool, piece: usize) -> (Vec<pair::Polled>, Vec<u8>) {
    let mut config = Config::default();
    config.stream_chunk_size(1000);
    let mut s = Connection::new(Role::Server, &config, Some(PerMessageDeflate::default()));
    s.set_streaming(streaming);
    let now = Instant::now();
    let mut rx = BytesMut::new();
    let mut events = Vec::new();
    for b in script().chunks(piece) {
        rx.extend_from_slice(b);
        events.extend(poll_all(&mut s, &mut rx, now));
    }
    (events, take_transmit(&mut s))
}

#[test]
fn byte_at_a_time_equals_all_at_once() {
    let (all, answer) = run(false, usize::MAX);
    assert_eq!(all.len(), 8);
    assert!(all.iter().all(Result::is_ok));
    for piece in [1, 2, 3, 7, 100] {
        let (got, got_answer) = run(false, piece);
        assert!(got == all, "piece {piece}");
        assert_eq!(got_answer, answer);
    }
}

#[test]
fn byte_at_a_time_streaming_gives_the_same_bytes() {
    let flatten = |events: Vec<pair::Polled>| {
        let mut out: Vec<(Option<DataKind>, Vec<u8>)> = Vec::new();
        for e in events {
            match e.unwrap() {
                wsgate_proto::Event::Chunk {
                    kind, data, first, ..
                } => {
                    if first {
                        out.push((Some(kind), Vec::new()));
                    }
                    out.last_mut().unwrap().1.extend_from_slice(&data);
                }
                wsgate_proto::Event::Message(m) => out.push((None, format!("{m:?}").into_bytes())),
            }
        }
        out
    };
    let all = flatten(run(true, usize::MAX).0);
    for piece in [1, 5, 999] {
        assert_eq!(flatten(run(true, piece).0), all, "piece {piece}");
    }
}
