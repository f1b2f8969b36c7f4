//! Scaling of the parallel chunk compressor (issue 3): the same input through
//! `ParallelChunkCompressor` with 1 and 2 worker threads, for each codec at its default
//! level and usual chunk size (XPRESS 32 KiB, LZX 32 KiB, LZMS 128 KiB), keeping
//! `max_in_flight` chunks in flight as the WIM writer does. Input: the first 16 MiB of
//! the wine corpus. Criterion reports MB/s per thread count; before that, the bench prints
//! the ratio "2 threads / 1 thread" of throughput (best of 3 wall-clock runs), which
//! should be ≥ 1.8 on a quiet 2-core machine.
//!
//! Run: `cargo bench -p wimkit-benches --bench parallel_scaling`
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Instant;
use wim_compress::CompressionKind;
use wim_compress::chunk::{ChunkCompressor, ParallelChunkCompressor};

/// Compresses all of `data` in `chunk`-sized pieces; returns the compressed total.
fn run(kind: CompressionKind, chunk: usize, threads: usize, data: &[u8]) -> usize {
    let Ok(mut c) = ParallelChunkCompressor::new(kind, chunk, 50, threads) else {
        return 0;
    };
    let mut total = 0;
    for piece in data.chunks(chunk) {
        if c.in_flight() >= c.max_in_flight() {
            total += c.take_next().map_or(0, |r| r.data.len());
        }
        c.submit(piece.to_vec());
    }
    total + c.finish_batch().iter().map(|r| r.data.len()).sum::<usize>()
}

fn best_seconds(kind: CompressionKind, chunk: usize, threads: usize, data: &[u8]) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            black_box(run(kind, chunk, threads, data));
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn scaling(c: &mut Criterion) {
    let data = wimkit_benches::wine_sample(16 << 20);
    let cases = [
        ("xpress", CompressionKind::Xpress, 32 << 10),
        ("lzx", CompressionKind::Lzx, 32 << 10),
        ("lzms", CompressionKind::Lzms, 128 << 10),
    ];
    for (name, kind, chunk) in cases {
        let one = best_seconds(kind, chunk, 1, &data);
        let two = best_seconds(kind, chunk, 2, &data);
        assert_eq!(run(kind, chunk, 1, &data), run(kind, chunk, 2, &data));
        eprintln!(
            "scaling {name}: 1 thread {:.1} MB/s, 2 threads {:.1} MB/s, ratio {:.2}",
            data.len() as f64 / one / 1e6,
            data.len() as f64 / two / 1e6,
            one / two
        );
        let mut g = c.benchmark_group(format!("parallel_{name}"));
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.sample_size(10);
        for threads in [1usize, 2] {
            g.bench_function(format!("threads_{threads}"), |b| {
                b.iter(|| run(kind, chunk, threads, black_box(&data)))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, scaling);
criterion_main!(benches);
