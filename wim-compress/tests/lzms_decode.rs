//! LZMS decoder tests: cross-checks against libwim's compressor, edge cases, robustness
//! under mutation, and an `#[ignore]`d throughput comparison with libwim's decoder.
mod common;
use common::data::{XorShift, random_odd};
use common::libwim::{Ctype, LibWim};
use std::path::Path;
use std::time::Instant;
use wim_compress::{DecompressError, Decompressor, lzms::LzmsDecompressor};

const K: usize = 1024;
const M: usize = 1024 * 1024;

/// Reads up to `limit` bytes from the files of `dir` whose names satisfy `pick`, in sorted
/// order, skipping unreadable ones.
fn corpus_from(dir: &str, pick: impl Fn(&str) -> bool, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut names: Vec<_> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .map(&pick)
                .unwrap_or(false)
        })
        .collect();
    names.sort();
    for p in names {
        if out.len() >= limit {
            break;
        }
        if let Ok(d) = std::fs::read(&p) {
            let take = d.len().min(limit - out.len()).min(4 * M);
            out.extend_from_slice(&d[..take]);
        }
    }
    out
}

/// x86-64 machine code: ELF binaries and shared libraries.
fn x86_corpus(limit: usize) -> Vec<u8> {
    let mut v = corpus_from("/usr/lib/x86_64-linux-gnu", |n| n.contains(".so"), limit);
    if v.len() < limit {
        let more = corpus_from("/usr/bin", |_| true, limit - v.len());
        v.extend(more);
    }
    v
}

/// Text: the workspace's docs and sources, then /usr/share/doc files.
fn text_corpus(limit: usize) -> Vec<u8> {
    let mut v = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/docs");
    v.extend(corpus_from(
        root.to_str().unwrap_or(""),
        |n| n.ends_with(".md"),
        limit,
    ));
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lzms");
    v.extend(corpus_from(
        src.to_str().unwrap_or(""),
        |n| n.ends_with(".rs"),
        limit,
    ));
    if v.len() < limit {
        v.extend(corpus_from(
            "/usr/share/common-licenses",
            |_| true,
            limit - v.len(),
        ));
    }
    let mut i = 0;
    while v.len() < limit && !v.is_empty() {
        // Repeat with variations so larger chunks still have text structure.
        let b = v[i % v.len()];
        v.push(if i % 97 == 0 { b.wrapping_add(1) } else { b });
        i += 1;
    }
    v.truncate(limit);
    v
}

/// Tables of little-endian u32 and u16 counters (delta-match material).
fn delta_corpus(len: usize, seed: u64) -> Vec<u8> {
    let mut r = XorShift(seed | 1);
    let mut v = Vec::with_capacity(len);
    let mut a = r.next() as u32;
    let mut b = r.next() as u16;
    while v.len() < len {
        match (v.len() / 4096) % 3 {
            0 => {
                a = a.wrapping_add(7 + (r.below(3) as u32));
                v.extend_from_slice(&a.to_le_bytes());
            }
            1 => {
                b = b.wrapping_add(300);
                v.extend_from_slice(&b.to_le_bytes());
            }
            _ => {
                // Records of (counter, constant, noise byte).
                a = a.wrapping_add(1);
                v.extend_from_slice(&a.to_le_bytes());
                v.extend_from_slice(&[0xAA, 0x55, r.next() as u8]);
            }
        }
    }
    v.truncate(len);
    v
}

fn runs(len: usize, seed: u64) -> Vec<u8> {
    let mut r = XorShift(seed | 1);
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        let b = r.next() as u8 % 4;
        let n = 1 + r.below(300);
        v.extend(std::iter::repeat_n(b, n));
        if r.below(4) == 0 {
            let m = r.below(20);
            for _ in 0..m {
                v.push(r.next() as u8);
            }
        }
    }
    v.truncate(len);
    v
}

/// Mixed data: pieces of every kind interleaved (all match kinds in one chunk).
fn mixed(len: usize, seed: u64) -> Vec<u8> {
    let mut r = XorShift(seed | 1);
    let x = x86_corpus(len.min(2 * M));
    let t = text_corpus(len.min(M));
    let d = delta_corpus(len.min(M), seed);
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        let piece = 1 + r.below(20_000);
        let src: &[u8] = match r.below(4) {
            0 if !x.is_empty() => &x,
            1 => &t,
            2 => &d,
            _ => &[],
        };
        if src.is_empty() {
            v.extend((0..piece).map(|_| r.next() as u8 & 0x0F));
        } else {
            let start = r.below(src.len());
            let end = (start + piece).min(src.len());
            v.extend_from_slice(&src[start..end]);
        }
    }
    v.truncate(len);
    v
}

/// Compresses `data` as one chunk with libwim and checks that our decoder (fresh and
/// reused, clean and dirty output) reproduces it. Returns false if libwim stored it raw.
fn cross_check(
    lib: &LibWim,
    dec: &mut LzmsDecompressor,
    data: &[u8],
    max_chunk: usize,
    level: u32,
    what: &str,
) -> bool {
    let Some(c) = lib.compress(Ctype::Lzms, max_chunk, level, data) else {
        return false;
    };
    let mut out = vec![0xA5u8; data.len()];
    let r = dec.decompress(&c, &mut out);
    assert_eq!(
        r,
        Ok(()),
        "{what}: level {level}, {} -> {} bytes",
        data.len(),
        c.len()
    );
    if out != data {
        let first = out.iter().zip(data).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{what}: level {level}, {} bytes: first difference at {first}",
            data.len()
        );
    }
    true
}

#[test]
fn spec_test_vectors() {
    let mut d = LzmsDecompressor::new(128 * K).unwrap();
    let cases: [(&[u8], Vec<u8>); 3] = [
        (
            &[
                0xff, 0x6b, 0xd0, 0xff, 0x00, 0x00, 0x30, 0x57, 0x84, 0x0c, 0x00, 0x00,
            ],
            vec![0u8; 20_000],
        ),
        (
            &[
                0xa0, 0x19, 0xd0, 0xff, 0x00, 0x00, 0x40, 0x48, 0xf7, 0x68, 0x20, 0x6f, 0x6c, 0x6c,
                0x65, 0x68,
            ],
            b"hello hello hello!".to_vec(),
        ),
        (
            &[0xee, 0x64, 0xd0, 0xff, 0x00, 0x00, 0xb8, 0x63, 0x62, 0x61],
            b"abc".repeat(10),
        ),
    ];
    for (src, want) in cases {
        let mut out = vec![0x77; want.len()];
        d.decompress(src, &mut out).unwrap();
        assert_eq!(out, want);
    }
}

#[test]
fn libwim_small_chunks_all_kinds() {
    let Some(lib) = LibWim::load() else { return };
    let mut dec = LzmsDecompressor::new(M).unwrap();
    let mut checked = 0;
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("text", text_corpus(128 * K)),
        ("x86", x86_corpus(128 * K)),
        ("random", random_odd(32 * K, 1)),
        ("zeros", vec![0u8; 128 * K]),
        ("runs", runs(128 * K, 2)),
        ("delta", delta_corpus(128 * K, 3)),
        ("mixed", mixed(128 * K, 4)),
        ("text-odd-size", text_corpus(100_001)),
        ("x86-odd-size", x86_corpus(77_777)),
    ];
    for (what, data) in &inputs {
        assert!(!data.is_empty(), "{what}: corpus missing");
        for level in [1, 20, 50, 100] {
            for chunk in [32 * K, 128 * K] {
                let len = data.len().min(chunk);
                if cross_check(&lib, &mut dec, &data[..len], chunk, level, what) {
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 60, "only {checked} chunks were compressible");
}

#[test]
fn libwim_short_inputs() {
    let Some(lib) = LibWim::load() else { return };
    let mut dec = LzmsDecompressor::new(32 * K).unwrap();
    let mut r = XorShift(77);
    let text = text_corpus(4096);
    let mut checked = 0;
    for len in 4..=100usize {
        for kind in 0..4 {
            let data: Vec<u8> = match kind {
                0 => vec![b'a'; len],
                1 => (0..len).map(|i| b"abcab"[i % 5]).collect(),
                2 => text[(len * 13) % 3000..][..len].to_vec(),
                _ => (0..len).map(|_| r.next() as u8 % 3).collect(),
            };
            for level in [20, 50, 100] {
                if cross_check(&lib, &mut dec, &data, 32 * K, level, "short") {
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} short inputs compressed");
}

#[test]
fn libwim_large_chunks() {
    let Some(lib) = LibWim::load() else { return };
    let mut dec = LzmsDecompressor::new(64 * M).unwrap();
    let one = mixed(M, 11);
    assert!(cross_check(&lib, &mut dec, &one, M, 50, "mixed 1M"));
    assert!(cross_check(&lib, &mut dec, &one, M, 100, "mixed 1M"));
    let x = x86_corpus(M);
    assert!(cross_check(&lib, &mut dec, &x, M, 20, "x86 1M"));
    let eight = mixed(8 * M, 12);
    assert!(cross_check(&lib, &mut dec, &eight, 8 * M, 20, "mixed 8M"));
}

#[test]
fn libwim_64m_chunk() {
    let Some(lib) = LibWim::load() else { return };
    // Real files concatenated: machine code, then text and delta data.
    let mut data = x86_corpus(48 * M);
    let rest = 64 * M - data.len();
    data.extend(mixed(rest, 13));
    assert_eq!(data.len(), 64 * M);
    let mut dec = LzmsDecompressor::new(64 * M).unwrap();
    let t = Instant::now();
    assert!(cross_check(&lib, &mut dec, &data, 64 * M, 1, "64M"));
    eprintln!("64 MiB chunk: compress+decode {:?}", t.elapsed());
}

#[test]
fn invalid_inputs_are_errors() {
    let mut d = LzmsDecompressor::new(128 * K).unwrap();
    let mut out = vec![0u8; 1000];
    // Too short, odd.
    for src in [&[][..], &[0u8][..], &[0, 0][..], &[0, 0, 0][..]] {
        assert_eq!(
            d.decompress(src, &mut out),
            Err(DecompressError::TruncatedInput)
        );
    }
    assert!(d.decompress(&[0u8; 11], &mut out).is_err());
    // Too large for the context.
    let mut big = vec![0u8; 128 * K + 1];
    assert_eq!(
        d.decompress(&[0u8; 16], &mut big),
        Err(DecompressError::OutputTooLarge)
    );
    assert!(LzmsDecompressor::new(0).is_err());
    assert!(LzmsDecompressor::new((1 << 30) + 1).is_err());
    // Garbage.
    let mut r = XorShift(5);
    let mut errs = 0;
    for _ in 0..200 {
        let n = 4 + 2 * r.below(500);
        let g: Vec<u8> = (0..n).map(|_| r.next() as u8).collect();
        if d.decompress(&g, &mut out).is_err() {
            errs += 1;
        }
    }
    assert!(errs >= 195, "garbage accepted {} times", 200 - errs);
    // All-zero input: decodes literals 0 with a never-ending zero code; the output needs
    // more bits than 16 bytes hold.
    assert!(d.decompress(&[0u8; 16], &mut out).is_err());
}

#[test]
fn truncated_and_overrunning_chunks_are_errors() {
    let Some(lib) = LibWim::load() else { return };
    let data = mixed(64 * K, 21);
    let c = lib.compress(Ctype::Lzms, 64 * K, 50, &data).unwrap();
    let mut d = LzmsDecompressor::new(128 * K).unwrap();
    let mut out = vec![0u8; data.len()];
    d.decompress(&c, &mut out).unwrap();
    assert_eq!(out, data);
    // Truncated (from the end and from the start), even lengths.
    for cut in [2usize, 4, 10, 100, c.len() / 2] {
        let t = &c[..c.len() - cut];
        assert!(
            d.decompress(t, &mut out).is_err(),
            "truncated by {cut} accepted"
        );
        let t = &c[cut..];
        assert!(
            d.decompress(t, &mut out).is_err(),
            "head cut by {cut} accepted"
        );
    }
    // Output longer than the chunk: decoding would overrun the input.
    let mut longer = vec![0u8; data.len() + 5000];
    assert!(d.decompress(&c, &mut longer).is_err());
    // Output shorter than the chunk: a match runs past the end or the streams disagree.
    let mut shorter = vec![0u8; data.len() - 1000];
    assert!(d.decompress(&c, &mut shorter).is_err());
}

#[test]
fn mutations_never_panic_and_ignore_dirty_output() {
    let Some(lib) = LibWim::load() else { return };
    let mut r = XorShift(0x5EED);
    let samples: Vec<Vec<u8>> = vec![
        mixed(16 * K, 31),
        x86_corpus(8 * K),
        delta_corpus(8 * K, 32),
        text_corpus(4 * K),
    ];
    let mut d = LzmsDecompressor::new(32 * K).unwrap();
    let mut ok = 0;
    let mut err = 0;
    for (si, data) in samples.iter().enumerate() {
        let c = lib.compress(Ctype::Lzms, 32 * K, 100, data).unwrap();
        for _ in 0..800 {
            let mut m = c.clone();
            match r.below(5) {
                0 => {
                    let i = r.below(m.len());
                    m[i] ^= 1 << r.below(8);
                }
                1 => {
                    for _ in 0..1 + r.below(8) {
                        let i = r.below(m.len());
                        m[i] = r.next() as u8;
                    }
                }
                2 => {
                    let keep = r.below(m.len());
                    m.truncate(keep);
                }
                3 => {
                    let i = r.below(m.len());
                    let n = r.below(16);
                    m.splice(i..i, (0..n).map(|_| r.next() as u8));
                }
                _ => {
                    let i = r.below(m.len());
                    let n = r.below(m.len() - i + 1);
                    m.drain(i..i + n);
                }
            }
            let out_len = if r.below(10) == 0 {
                1 + r.below(32 * K)
            } else {
                data.len()
            };
            let mut clean = vec![0u8; out_len];
            let mut dirty: Vec<u8> = (0..out_len).map(|_| r.next() as u8).collect();
            let a = d.decompress(&m, &mut clean);
            let b = d.decompress(&m, &mut dirty);
            assert_eq!(a, b, "sample {si}");
            if a.is_ok() {
                assert_eq!(clean, dirty, "sample {si}: dirty output changed the result");
                ok += 1;
            } else {
                err += 1;
            }
        }
    }
    eprintln!("mutations: {ok} decoded, {err} rejected");
    assert!(err > 2000);
}

#[test]
fn fresh_and_reused_contexts_agree() {
    let Some(lib) = LibWim::load() else { return };
    let a = mixed(40 * K, 41);
    let b = x86_corpus(100 * K);
    let ca = lib.compress(Ctype::Lzms, 128 * K, 50, &a).unwrap();
    let cb = lib.compress(Ctype::Lzms, 128 * K, 50, &b).unwrap();
    let mut d = LzmsDecompressor::new(128 * K).unwrap();
    for _ in 0..3 {
        for (c, want) in [(&ca, &a), (&cb, &b)] {
            let mut out = vec![0xEE; want.len()];
            d.decompress(c, &mut out).unwrap();
            assert_eq!(&out, want);
        }
    }
}

/// Throughput of our decoder against libwim's on the same chunks. Run with
/// `cargo test --release -p wim-compress --test lzms_decode -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput_vs_libwim() {
    let Some(lib) = LibWim::load() else { return };
    type Case = (&'static str, usize, fn() -> Vec<u8>);
    let cases: Vec<Case> = vec![
        ("x86 128K chunks", 128 * K, || x86_corpus(16 * M)),
        ("text 128K chunks", 128 * K, || text_corpus(8 * M)),
        ("mixed 128K chunks", 128 * K, || mixed(8 * M, 1)),
        ("x86 64M chunk", 64 * M, || x86_corpus(64 * M)),
        ("text 64M chunk", 64 * M, || text_corpus(64 * M)),
        ("mixed 64M chunk", 64 * M, || mixed(64 * M, 2)),
    ];
    let only = std::env::var("LZMS_BENCH").unwrap_or_default();
    for (what, chunk, data) in cases {
        if !what.contains(only.as_str()) {
            continue;
        }
        let chunks = bench_chunks(&lib, what, chunk, data);
        let total: usize = chunks.iter().map(|c| c.1).sum();
        let mut d = LzmsDecompressor::new(chunk).unwrap();
        let mut out = vec![0u8; chunk];
        let theirs = RawLibwimDecoder::new(chunk);
        let reps = (256 * M / total.max(1)).clamp(1, 20);
        let mut best_ours = f64::MAX;
        let mut best_lib = f64::MAX;
        // LZMS_BENCH_SIDE=ours|libwim runs one side only (for `perf record`).
        let side = std::env::var("LZMS_BENCH_SIDE").unwrap_or_default();
        let rounds: usize = std::env::var("LZMS_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3);
        // CPU time of this thread (immune to other processes on the shared machine),
        // alternating the two decoders.
        for _ in 0..rounds {
            let t = thread_cpu_secs();
            for _ in 0..if side == "libwim" { 0 } else { reps } {
                for (z, n) in &chunks {
                    d.decompress(z, &mut out[..*n]).unwrap();
                }
            }
            best_ours = best_ours.min(thread_cpu_secs() - t);
            let t = thread_cpu_secs();
            for _ in 0..if side == "ours" { 0 } else { reps } {
                for (z, n) in &chunks {
                    assert!(theirs.decompress(z, &mut out[..*n]));
                }
            }
            best_lib = best_lib.min(thread_cpu_secs() - t);
        }
        let mb = (total * reps) as f64 / 1e6;
        eprintln!(
            "{what}: ours {:.1} MB/s, libwim {:.1} MB/s, CPU time ratio ours/libwim = {:.3}",
            mb / best_ours,
            mb / best_lib,
            best_ours / best_lib
        );
    }
}

/// CPU time consumed by the calling thread, in seconds (Linux schedstat; falls back to
/// wall time elsewhere).
fn thread_cpu_secs() -> f64 {
    if let Ok(s) = std::fs::read_to_string("/proc/thread-self/schedstat")
        && let Some(ns) = s
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
    {
        return ns as f64 / 1e9;
    }
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// The benchmark's compressed chunks (libwim level 50), cached under the system temp
/// directory so that repeated profiling runs skip the slow compression.
fn bench_chunks(
    lib: &LibWim,
    what: &str,
    chunk: usize,
    data: fn() -> Vec<u8>,
) -> Vec<(Vec<u8>, usize)> {
    let path = std::env::temp_dir().join(format!("lzms_bench_{}.bin", what.replace(' ', "_")));
    if let Ok(raw) = std::fs::read(&path) {
        let mut v = Vec::new();
        let mut p = 0;
        while p + 8 <= raw.len() {
            let n = u32::from_le_bytes(raw[p..p + 4].try_into().unwrap()) as usize;
            let z = u32::from_le_bytes(raw[p + 4..p + 8].try_into().unwrap()) as usize;
            v.push((raw[p + 8..p + 8 + z].to_vec(), n));
            p += 8 + z;
        }
        return v;
    }
    let data = data();
    let v: Vec<(Vec<u8>, usize)> = data
        .chunks(chunk)
        .filter_map(|c| {
            lib.compress(Ctype::Lzms, chunk, 50, c)
                .map(|z| (z, c.len()))
        })
        .collect();
    let mut raw = Vec::new();
    for (z, n) in &v {
        raw.extend_from_slice(&(*n as u32).to_le_bytes());
        raw.extend_from_slice(&(z.len() as u32).to_le_bytes());
        raw.extend_from_slice(z);
    }
    let _ = std::fs::write(&path, raw);
    v
}

/// A persistent libwim decompressor context (so the timing excludes context creation and
/// output allocation, which `LibWim::decompress` does per call).
struct RawLibwimDecoder {
    _lib: libloading::Library,
    ctx: *mut std::ffi::c_void,
    dec: unsafe extern "C" fn(
        *const std::ffi::c_void,
        usize,
        *mut std::ffi::c_void,
        usize,
        *mut std::ffi::c_void,
    ) -> i32,
    free: unsafe extern "C" fn(*mut std::ffi::c_void),
}

impl RawLibwimDecoder {
    fn new(max_chunk: usize) -> Self {
        type Create = unsafe extern "C" fn(i32, usize, *mut *mut std::ffi::c_void) -> i32;
        // SAFETY: loading the system libwim and calling its documented C API with valid
        // pointers; the context is freed in Drop.
        unsafe {
            let lib = libloading::Library::new("libwim.so.15").unwrap();
            let create: Create = *lib.get::<Create>(b"wimlib_create_decompressor\0").unwrap();
            let dec = *lib.get(b"wimlib_decompress\0").unwrap();
            let free = *lib.get(b"wimlib_free_decompressor\0").unwrap();
            let mut ctx = std::ptr::null_mut();
            assert_eq!(create(Ctype::Lzms as i32, max_chunk, &mut ctx), 0);
            RawLibwimDecoder {
                _lib: lib,
                ctx,
                dec,
                free,
            }
        }
    }

    fn decompress(&self, src: &[u8], out: &mut [u8]) -> bool {
        // SAFETY: buffers are valid for the lengths passed; ctx is live.
        unsafe {
            (self.dec)(
                src.as_ptr().cast(),
                src.len(),
                out.as_mut_ptr().cast(),
                out.len(),
                self.ctx,
            ) == 0
        }
    }
}

impl Drop for RawLibwimDecoder {
    fn drop(&mut self) {
        // SAFETY: ctx came from wimlib_create_decompressor and is freed once.
        unsafe { (self.free)(self.ctx) }
    }
}
