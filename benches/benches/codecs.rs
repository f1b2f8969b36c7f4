//! Codec benchmarks: decode throughput of our XPRESS/LZX decoders against libwim on the same
//! chunks (binaries from /usr/bin and /usr/lib).
//!
//! Run: `cargo bench -p wimkit-benches --bench codecs -- --quick decode`
#![allow(missing_docs)]

#[path = "../../wim-compress/tests/common/libwim.rs"]
mod libwim;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use libwim::{Ctype, LibWim};
use std::hint::black_box;
use wim_compress::Decompressor;
use wim_compress::lzx::LzxDecompressor;
use wim_compress::xpress::XpressDecompressor;

/// About 4 MiB of real binaries (falls back to synthetic data).
fn corpus() -> Vec<u8> {
    let mut v = Vec::new();
    for p in [
        "/usr/bin/python3.11",
        "/usr/bin/gdb",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/bin/perf",
        "/usr/bin/bash",
    ] {
        if let Ok(d) = std::fs::read(p) {
            let take = d.len().min(1 << 20);
            v.extend_from_slice(&d[..take]);
        }
        if v.len() >= 4 << 20 {
            break;
        }
    }
    if v.is_empty() {
        let mut x = 1u64;
        v = (0..4 << 20)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if i % 9 == 0 { 0xE8 } else { (x % 32) as u8 }
            })
            .collect();
    }
    v
}

struct Chunks {
    chunk_size: usize,
    items: Vec<(Vec<u8>, usize)>, // (compressed, uncompressed size)
    total: usize,
}

fn compress_all(lib: &LibWim, ct: Ctype, chunk_size: usize, data: &[u8]) -> Chunks {
    let mut items = Vec::new();
    let mut total = 0;
    for piece in data.chunks(chunk_size) {
        if let Some(c) = lib.compress(ct, chunk_size, 50, piece) {
            total += piece.len();
            items.push((c, piece.len()));
        }
    }
    Chunks {
        chunk_size,
        items,
        total,
    }
}

/// Libwim decompressor handle kept across calls (the oracle helper frees it per call, which
/// would bias the comparison), via the same run-time binding.
mod raw {
    #![allow(unsafe_code)]
    use libloading::{Library, Symbol};
    use std::ffi::c_void;
    type CreateDec = unsafe extern "C" fn(i32, usize, *mut *mut c_void) -> i32;
    type Decompress =
        unsafe extern "C" fn(*const c_void, usize, *mut c_void, usize, *mut c_void) -> i32;

    pub struct Dec {
        _lib: Library,
        ctx: *mut c_void,
        f: Decompress,
    }
    impl Dec {
        pub fn new(ctype: i32, max_chunk: usize) -> Option<Dec> {
            // SAFETY: wimlib's documented C API; the library outlives the function pointer
            // (both live in this struct). The context is never freed (bench process).
            unsafe {
                let lib = Library::new("libwim.so.15").ok()?;
                let create: Symbol<CreateDec> = lib.get(b"wimlib_create_decompressor\0").ok()?;
                let f: Symbol<Decompress> = lib.get(b"wimlib_decompress\0").ok()?;
                let f = *f;
                let mut ctx = std::ptr::null_mut();
                if create(ctype, max_chunk, &mut ctx) != 0 {
                    return None;
                }
                Some(Dec { _lib: lib, ctx, f })
            }
        }
        pub fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> bool {
            // SAFETY: buffers valid for the lengths given; ctx created above.
            unsafe {
                (self.f)(
                    src.as_ptr().cast(),
                    src.len(),
                    dst.as_mut_ptr().cast(),
                    dst.len(),
                    self.ctx,
                ) == 0
            }
        }
    }
}

fn bench_codec(
    c: &mut Criterion,
    name: &str,
    ct: Ctype,
    chunks: &Chunks,
    ours: &mut dyn Decompressor,
) {
    let mut g = c.benchmark_group(format!("decode/{name}/{}k", chunks.chunk_size / 1024));
    g.throughput(Throughput::Bytes(chunks.total as u64));
    let mut out = vec![0u8; chunks.chunk_size];
    g.bench_function("wimkit", |b| {
        b.iter(|| {
            for (src, n) in &chunks.items {
                ours.decompress(black_box(src), &mut out[..*n]).unwrap();
            }
        })
    });
    if let Some(mut theirs) = raw::Dec::new(ct as i32, chunks.chunk_size) {
        g.bench_function("libwim", |b| {
            b.iter(|| {
                for (src, n) in &chunks.items {
                    assert!(theirs.decompress(black_box(src), &mut out[..*n]));
                }
            })
        });
    }
    g.finish();
}

fn decode(c: &mut Criterion) {
    let Some(lib) = LibWim::load() else { return };
    let data = corpus();
    let x = compress_all(&lib, Ctype::Xpress, 32768, &data);
    let mut xd = XpressDecompressor::new(32768).unwrap();
    bench_codec(c, "xpress", Ctype::Xpress, &x, &mut xd);
    for window in [32768usize, 1 << 20] {
        let l = compress_all(&lib, Ctype::Lzx, window, &data);
        let mut ld = LzxDecompressor::new(window).unwrap();
        bench_codec(c, "lzx", Ctype::Lzx, &l, &mut ld);
    }
}

criterion_group!(benches, decode);
criterion_main!(benches);
