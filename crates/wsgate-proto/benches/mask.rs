//! Masking throughput (bytes/s) at message sizes from tiny to large.
#![allow(missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use wsgate_proto::apply_mask;

fn mask(c: &mut Criterion) {
    let mut g = c.benchmark_group("mask");
    for size in [32usize, 4 << 10, 1 << 20] {
        // One byte of misalignment, as payloads after a 2- or 6-byte header are.
        let mut buf = vec![0x5au8; size + 1];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, _| {
            b.iter(|| apply_mask(black_box(&mut buf[1..]), [0x37, 0xfa, 0x21, 0x3d], 0));
        });
    }
    g.finish();
}

criterion_group!(benches, mask);
criterion_main!(benches);
