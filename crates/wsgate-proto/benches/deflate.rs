//! permessage-deflate: compressing and inflating a 4 KiB JSON-like text message.
#![allow(missing_docs, clippy::unwrap_used)]

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::io::IoSlice;
use std::time::Instant;
use wsgate_proto::{Config, Connection, Message, PerMessageDeflate, Role};

fn json_4k() -> String {
    let mut s = String::from("[");
    let mut i = 0;
    while s.len() < 4000 {
        s.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"score\":{},\"tags\":[\"a\",\"b{}\"]}},",
            i % 97,
            (i * 7919) % 1000,
            i % 5
        ));
        i += 1;
    }
    s.push(']');
    s
}

fn take(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.transmit_len() > 0 {
        let mut slots = [IoSlice::new(&[]); 8];
        let n = conn.transmit_slices(&mut slots);
        let before = out.len();
        slots[..n].iter().for_each(|s| out.extend_from_slice(s));
        conn.advance_transmit(out.len() - before);
    }
    out
}

fn pmd(no_context: bool) -> Option<PerMessageDeflate> {
    Some(PerMessageDeflate {
        server_no_context_takeover: no_context,
        client_no_context_takeover: no_context,
        ..PerMessageDeflate::default()
    })
}

fn deflate(c: &mut Criterion) {
    let text = json_4k();
    let now = Instant::now();
    let mut g = c.benchmark_group("deflate 4KiB json");
    g.throughput(Throughput::Bytes(text.len() as u64));
    for (name, nct) in [("context takeover", false), ("no context takeover", true)] {
        let mut server = Connection::new(Role::Server, &Config::default(), pmd(nct));
        g.bench_function(format!("compress/{name}"), |b| {
            b.iter(|| {
                server.send(Message::text(text.as_str()), now).unwrap();
                black_box(take(&mut server));
            });
        });
    }
    // Inflate: a message compressed with a fresh context, as most peers send them.
    let mut client = Connection::new(Role::Client, &Config::default(), pmd(true));
    client.send(Message::text(text.as_str()), now).unwrap();
    let wire = take(&mut client);
    let mut server = Connection::new(Role::Server, &Config::default(), pmd(true));
    g.bench_function("inflate", |b| {
        b.iter(|| {
            let mut rx = BytesMut::from(&wire[..]);
            black_box(server.poll_event(&mut rx, now).unwrap());
        });
    });
    g.finish();
}

criterion_group!(benches, deflate);
criterion_main!(benches);
