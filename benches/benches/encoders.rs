//! Encoder benchmarks: our XPRESS/LZX encoders against libwim's at wimlib levels 20, 50 and
//! 100, on the first 8 MiB of concatenated wine DLLs (32 KiB chunks; falls back to /usr/bin
//! binaries). Sizes are printed once per case; criterion reports MB/s.
//!
//! Run: `cargo bench -p wimkit-benches --bench encoders -- --quick`
//! For the size/speed ratio table use `cargo run --release -p wimkit-benches --example enc_table`.
#![allow(missing_docs)]

#[path = "../../wim-compress/tests/common/libwim.rs"]
mod libwim;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use libwim::{Ctype, LibCompressor, LibWim};
use std::hint::black_box;
use wim_compress::Compressor;
use wim_compress::lzx::LzxCompressor;
use wim_compress::xpress::XpressCompressor;

fn ours(kind: Ctype, chunk: usize, level: u32, data: &[u8]) -> usize {
    let mut c: Box<dyn Compressor> = match kind {
        Ctype::Xpress => Box::new(XpressCompressor::new(chunk, level).unwrap()),
        _ => Box::new(LzxCompressor::new(chunk, level).unwrap()),
    };
    let mut dst = vec![0u8; chunk];
    data.chunks(chunk)
        .map(|p| c.compress(p, &mut dst[..p.len()]).unwrap_or(p.len()))
        .sum()
}

/// libwim with one persistent context per run, as wimlib keeps one per thread when writing.
fn theirs(lib: &LibWim, kind: Ctype, chunk: usize, level: u32, data: &[u8]) -> usize {
    let Some(mut ctx) = LibCompressor::new(lib, kind, chunk, level) else {
        return 0;
    };
    let mut out = Vec::new();
    data.chunks(chunk)
        .map(|p| ctx.compress_into(p, &mut out).unwrap_or(p.len()))
        .sum()
}

fn encoders(c: &mut Criterion) {
    let Some(lib) = LibWim::load() else { return };
    let data = wimkit_benches::wine_sample(8 << 20);
    let chunk = 32768;
    for (name, kind) in [("xpress", Ctype::Xpress), ("lzx", Ctype::Lzx)] {
        let mut g = c.benchmark_group(format!("encode_{name}"));
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.sample_size(10);
        for level in [20u32, 50, 100] {
            let so = ours(kind, chunk, level, &data);
            let st = theirs(&lib, kind, chunk, level, &data);
            eprintln!(
                "{name} L{level}: ours {so} bytes, libwim {st} bytes, ratio {:.4}",
                so as f64 / st as f64
            );
            g.bench_function(format!("ours_L{level}"), |b| {
                b.iter(|| ours(kind, chunk, level, black_box(&data)))
            });
            g.bench_function(format!("libwim_L{level}"), |b| {
                b.iter(|| theirs(&lib, kind, chunk, level, black_box(&data)))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, encoders);
criterion_main!(benches);
