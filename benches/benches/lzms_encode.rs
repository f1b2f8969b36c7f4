//! LZMS encoder throughput: ours against libwim's encoder on the same wine PE data (or
//! x86-64 shared libraries when the wine corpus is absent), 128 KiB chunks at levels 20,
//! 50 and 100, and one 8 MiB solid chunk at levels 20 and 50. Skips without libwim.
#![allow(missing_docs)]
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wim_compress::{Compressor, lzms::LzmsCompressor};

#[path = "../../wim-compress/tests/common/libwim.rs"]
mod libwim;
use libwim::{Ctype, LibWim};

fn corpus(limit: usize) -> Vec<u8> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut v: Vec<_> = rd.filter_map(|e| e.ok()).collect();
        v.sort_by_key(|e| e.file_name());
        for e in v {
            match e.file_type() {
                Ok(t) if t.is_dir() => walk(&e.path(), out),
                Ok(t) if t.is_file() => out.push(e.path()),
                _ => {}
            }
        }
    }
    let mut files = Vec::new();
    walk(std::path::Path::new("/tmp/wim-corpus/wine"), &mut files);
    files.retain(|p| {
        let s = p.to_string_lossy();
        s.ends_with(".dll") || s.ends_with(".exe")
    });
    if files.is_empty() {
        walk(
            std::path::Path::new("/usr/lib/x86_64-linux-gnu"),
            &mut files,
        );
        files.retain(|p| p.to_string_lossy().contains(".so"));
    }
    let mut out = Vec::new();
    for p in files {
        if out.len() >= limit {
            break;
        }
        if let Ok(d) = std::fs::read(&p) {
            out.extend_from_slice(&d[..d.len().min(limit - out.len())]);
        }
    }
    out
}

fn lzms_encode(c: &mut Criterion) {
    let Some(lib) = LibWim::load() else { return };
    let chunk = 128 * 1024;
    let data = corpus(2 << 20);
    let mut g = c.benchmark_group("lzms_encode_128k");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    for level in [20u32, 50, 100] {
        g.bench_function(format!("ours_l{level}"), |b| {
            let mut enc = LzmsCompressor::new(chunk, level).unwrap();
            let mut out = vec![0u8; chunk];
            b.iter(|| {
                let mut total = 0usize;
                for ch in data.chunks(chunk) {
                    total += enc.compress(ch, &mut out[..ch.len()]).unwrap_or(ch.len());
                }
                total
            })
        });
        g.bench_function(format!("libwim_l{level}"), |b| {
            b.iter(|| {
                let mut total = 0usize;
                for ch in data.chunks(chunk) {
                    total += lib
                        .compress(Ctype::Lzms, chunk, level, ch)
                        .map_or(ch.len(), |z| z.len());
                }
                total
            })
        });
    }
    g.finish();
}

/// One large (solid, `--solid`/ESD-style) chunk: ours switches to the suffix-array
/// (LCP-interval) match finder at 1 MiB and above.
fn lzms_encode_solid(c: &mut Criterion) {
    let Some(lib) = LibWim::load() else { return };
    let data = corpus(8 << 20);
    let chunk = data.len();
    let mut g = c.benchmark_group("lzms_encode_solid_8m");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    for level in [20u32, 50] {
        g.bench_function(format!("ours_l{level}"), |b| {
            let mut enc = LzmsCompressor::new(chunk, level).unwrap();
            let mut out = vec![0u8; chunk];
            b.iter(|| enc.compress(&data, &mut out).unwrap_or(chunk))
        });
        g.bench_function(format!("libwim_l{level}"), |b| {
            b.iter(|| {
                lib.compress(Ctype::Lzms, chunk, level, &data)
                    .map_or(chunk, |z| z.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, lzms_encode, lzms_encode_solid);
criterion_main!(benches);
