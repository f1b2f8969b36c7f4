//! LZMS decoder throughput: ours against libwim's decoder on the same libwim-compressed
//! chunks (x86-64 code from /usr/lib, 128 KiB chunks). Skips loudly without libwim.
#![allow(missing_docs)]
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wim_compress::{Decompressor, lzms::LzmsDecompressor};

#[path = "../../wim-compress/tests/common/libwim.rs"]
mod libwim;
use libwim::{Ctype, LibWim};

fn corpus(limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir("/usr/lib/x86_64-linux-gnu")
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    names.sort();
    for p in names {
        if out.len() >= limit {
            break;
        }
        if p.to_string_lossy().contains(".so")
            && let Ok(d) = std::fs::read(&p)
        {
            out.extend_from_slice(&d[..d.len().min(limit - out.len())]);
        }
    }
    out
}

fn lzms(c: &mut Criterion) {
    let Some(lib) = LibWim::load() else { return };
    let chunk = 128 * 1024;
    let data = corpus(4 << 20);
    let chunks: Vec<(Vec<u8>, usize)> = data
        .chunks(chunk)
        .filter_map(|c| {
            lib.compress(Ctype::Lzms, chunk, 50, c)
                .map(|z| (z, c.len()))
        })
        .collect();
    let total: usize = chunks.iter().map(|c| c.1).sum();
    let mut g = c.benchmark_group("lzms_decode_x86_128k");
    g.throughput(Throughput::Bytes(total as u64));
    g.sample_size(10);
    let mut d = LzmsDecompressor::new(chunk).unwrap();
    let mut out = vec![0u8; chunk];
    g.bench_function("wimkit", |b| {
        b.iter(|| {
            for (z, n) in &chunks {
                d.decompress(z, &mut out[..*n]).unwrap();
            }
        })
    });
    g.bench_function("libwim", |b| {
        b.iter(|| {
            for (z, n) in &chunks {
                std::hint::black_box(lib.decompress(Ctype::Lzms, chunk, z, *n).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, lzms);
criterion_main!(benches);
