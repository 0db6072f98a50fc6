//! Frame decode and encode through the public `Connection` API, in messages per second:
//! the hot path of a server echoing many small pipelined messages.
#![allow(missing_docs, clippy::unwrap_used)]

use bytes::{Bytes, BytesMut};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::io::IoSlice;
use std::time::Instant;
use wsgate_proto::{Config, Connection, Message, Role};

const BATCH: usize = 1000;

/// `BATCH` masked text frames as a client sends them.
fn client_wire(size: usize) -> Vec<u8> {
    let mut client = Connection::new(Role::Client, &Config::default(), None);
    let text = "x".repeat(size);
    let now = Instant::now();
    for _ in 0..BATCH {
        client.send(Message::text(text.as_str()), now).unwrap();
    }
    let mut out = Vec::new();
    drain(&mut client, |s| out.extend_from_slice(s));
    out
}

fn drain(conn: &mut Connection, mut sink: impl FnMut(&[u8])) {
    while conn.transmit_len() > 0 {
        let mut slots = [IoSlice::new(&[]); 64];
        let n = conn.transmit_slices(&mut slots);
        let written: usize = slots[..n].iter().map(|s| s.len()).sum();
        slots[..n].iter().for_each(|s| sink(s));
        conn.advance_transmit(written);
    }
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(BATCH as u64));
    for size in [32usize, 4096] {
        let wire = client_wire(size);
        let mut server = Connection::new(Role::Server, &Config::default(), None);
        let now = Instant::now();
        g.bench_with_input(BenchmarkId::new("server text", size), &size, |b, _| {
            b.iter(|| {
                let mut rx = BytesMut::from(&wire[..]);
                while let Some(ev) = server.poll_event(&mut rx, now).unwrap() {
                    black_box(ev);
                }
            });
        });
    }
    g.finish();
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Elements(BATCH as u64));
    for (role, name) in [(Role::Server, "server"), (Role::Client, "client (masked)")] {
        for size in [32usize, 4096] {
            let payload = Bytes::from("y".repeat(size));
            let mut conn = Connection::new(role, &Config::default(), None);
            let now = Instant::now();
            g.bench_with_input(BenchmarkId::new(name, size), &size, |b, _| {
                b.iter(|| {
                    for _ in 0..BATCH {
                        conn.send(Message::Binary(payload.clone()), now).unwrap();
                    }
                    drain(&mut conn, |s| {
                        black_box(s);
                    });
                });
            });
        }
    }
    g.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
