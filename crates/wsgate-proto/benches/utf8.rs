//! Incremental UTF-8 validation throughput: ASCII and mixed text, whole and in pieces.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use wsgate_proto::Utf8Validator;

fn utf8(c: &mut Criterion) {
    let ascii = "{\"id\":12345,\"name\":\"websocket\",\"ok\":true}".repeat(1600);
    let mixed = "Grüße, κόσμε, 世界, 🦀 and some ascii too. ".repeat(1400);
    let mut g = c.benchmark_group("utf8");
    for (name, text) in [("ascii", &ascii), ("mixed", &mixed)] {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("{name}/whole"), |b| {
            b.iter(|| {
                let mut v = Utf8Validator::new();
                v.feed(black_box(text.as_bytes())).is_ok() && v.finish().is_ok()
            });
        });
        g.bench_function(format!("{name}/1500-byte pieces"), |b| {
            b.iter(|| {
                let mut v = Utf8Validator::new();
                text.as_bytes()
                    .chunks(1500)
                    .all(|c| v.feed(black_box(c)).is_ok())
            });
        });
    }
    g.finish();
}

criterion_group!(benches, utf8);
criterion_main!(benches);
