//! Shared helpers for the encoder tests (encode_xpress.rs, encode_lzx.rs, encode_lzms.rs):
//! test data, the compress / double-decoder round trip, and the checks every encoder must
//! pass (refusals, determinism, the proptest body).
#![allow(dead_code)]

use super::libwim::{Ctype, LibWim};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use wim_compress::{Compressor, Decompressor};

pub use super::data::random_odd as random;

/// English-like text ([`super::data::text`] with a never-zero generator state).
pub fn text(n: usize, seed: u64) -> Vec<u8> {
    super::data::text(n, seed | 1)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, want: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut ents: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    ents.sort();
    for p in ents {
        if out.len() >= want {
            return;
        }
        if p.is_dir() {
            collect(&p, out, want);
        } else if p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("dll") || e.eq_ignore_ascii_case("exe"))
        {
            out.push(p);
        }
    }
}

/// About `n` bytes of executable code: Windows PE files from the wine corpus when present,
/// else ELF binaries from /usr/bin.
pub fn executable(n: usize) -> Vec<u8> {
    let mut files = Vec::new();
    collect(Path::new("/tmp/wim-corpus/wine"), &mut files, 64);
    if files.is_empty() {
        eprintln!("note: /tmp/wim-corpus/wine absent; using /usr/bin ELF files");
        for f in [
            "/usr/bin/bash",
            "/usr/bin/ls",
            "/usr/bin/cp",
            "/usr/bin/tar",
        ] {
            files.push(PathBuf::from(f));
        }
    }
    let mut v = Vec::new();
    for f in files {
        if let Ok(d) = std::fs::read(&f) {
            v.extend_from_slice(&d[..d.len().min(n / 4 + 1)]);
        }
        if v.len() >= n {
            break;
        }
    }
    if v.len() < n {
        let t = text(n - v.len(), 99);
        v.extend_from_slice(&t);
    }
    v.truncate(n);
    v
}

/// Mixed content: code, then text, then random, then zeros (forces block changes).
pub fn mixed(n: usize) -> Vec<u8> {
    let q = n / 4;
    let mut v = executable(q);
    v.extend(text(q, 5));
    v.extend(random(q, 6));
    v.resize(n, 0);
    v
}

/// Compresses `src` into a buffer of its size; checks that any output is smaller.
pub fn compress<C: Compressor>(c: &mut C, src: &[u8]) -> Option<Vec<u8>> {
    let mut dst = vec![0xAAu8; src.len()];
    let n = c.compress(src, &mut dst)?;
    assert!(
        n < src.len(),
        "output {n} not smaller than input {}",
        src.len()
    );
    dst.truncate(n);
    Some(dst)
}

/// Compresses `data` chunk by chunk with `c` and checks every compressed chunk with our
/// decoder `d` and libwim's (`ctype`). Returns the total compressed bytes with raw fallback.
pub fn round_trip<C: Compressor, D: Decompressor>(
    lib: Option<&LibWim>,
    ctype: Ctype,
    mut c: C,
    mut d: D,
    data: &[u8],
    chunk: usize,
    level: u32,
) -> usize {
    let mut total = 0;
    for piece in data.chunks(chunk) {
        let Some(comp) = compress(&mut c, piece) else {
            total += piece.len();
            continue;
        };
        total += comp.len();
        let mut out = vec![0x55u8; piece.len()];
        d.decompress(&comp, &mut out)
            .unwrap_or_else(|e| panic!("our decoder: {e} (chunk {chunk}, level {level})"));
        assert!(
            out == piece,
            "our decoder mismatch (chunk {chunk}, level {level})"
        );
        if let Some(lib) = lib {
            let got = lib
                .decompress(ctype, chunk, &comp, piece.len())
                .unwrap_or_else(|| panic!("libwim rejected (chunk {chunk}, level {level})"));
            assert!(
                got == piece,
                "libwim mismatch (chunk {chunk}, level {level})"
            );
        }
    }
    total
}

/// The levels every encoder test runs (wimlib's 1 … 20 … 50 default … 100).
pub const LEVELS: [u32; 4] = [1, 20, 50, 100];

/// At every level in [`LEVELS`], a context made by `make(level)` for chunks of at least
/// 32 KiB refuses random data and inputs of 0 to 3 bytes (returns `None`), and still
/// compresses text after the refusals.
pub fn check_refusals<C: Compressor>(make: impl Fn(u32) -> C) {
    for &level in &LEVELS {
        let mut c = make(level);
        for seed in 1..3 {
            assert!(
                compress(&mut c, &random(32768, seed)).is_none(),
                "random 32 KiB, level {level}"
            );
            assert!(
                compress(&mut c, &random(1000, seed)).is_none(),
                "random 1000 bytes, level {level}"
            );
        }
        for n in 0..=3 {
            let src = vec![b'a'; n];
            let mut dst = vec![0u8; n];
            assert_eq!(c.compress(&src, &mut dst), None, "{n} bytes, level {level}");
        }
        assert!(
            compress(&mut c, &text(20000, 8)).is_some(),
            "text after refusals, level {level}"
        );
    }
}

/// At every level in [`LEVELS`], each `chunk`-sized piece of `data` compresses to the
/// same bytes in a context reused across chunks (after an unrelated chunk first), in a
/// fresh context, and again in that context.
pub fn check_deterministic<C: Compressor>(make: impl Fn(u32) -> C, data: &[u8], chunk: usize) {
    for &level in &LEVELS {
        let mut reused = make(level);
        let _ = compress(&mut reused, &text(chunk, 11));
        for piece in data.chunks(chunk) {
            let a = compress(&mut reused, piece);
            let mut fresh = make(level);
            let b = compress(&mut fresh, piece);
            let c = compress(&mut fresh, piece);
            assert!(a.is_some(), "level {level}: piece did not compress");
            assert_eq!(a, b, "level {level}: reused vs fresh context");
            assert_eq!(b, c, "level {level}: fresh context, second time");
        }
    }
}

/// The proptest body: if `c` compresses `data`, the output is smaller and `d` gives
/// `data` back.
pub fn prop_round_trip<C: Compressor, D: Decompressor>(
    c: &mut C,
    d: &mut D,
    data: &[u8],
) -> Result<(), TestCaseError> {
    let mut dst = vec![0u8; data.len()];
    if let Some(n) = c.compress(data, &mut dst) {
        prop_assert!(n < data.len());
        let mut out = vec![0u8; data.len()];
        let r = d.decompress(&dst[..n], &mut out);
        prop_assert!(r.is_ok(), "decoder: {:?}", r);
        prop_assert!(out == data, "round trip mismatch");
    }
    Ok(())
}

/// Text with runs of one byte whose lengths hit the match-length edges of the codecs
/// (17/18/19, 272/273/274, 4000, 30000), truncated to 64 KiB.
pub fn edge_length_runs() -> Vec<u8> {
    let mut data = Vec::new();
    for (i, run) in [17usize, 18, 19, 272, 273, 274, 4000, 30000]
        .iter()
        .enumerate()
    {
        data.extend(text(40, i as u64));
        data.extend(std::iter::repeat_n(b'z' + i as u8 % 3, *run));
    }
    data.truncate(65536);
    data
}

/// For each chunk size and each of [`LEVELS`], runs `round_trip(data, chunk, level)` (which
/// returns the compressed total) over the named inputs from `inputs(n)`, `n` = one full
/// chunk and a short last chunk (`chunk + min(chunk / 2, 40000)`); every input but
/// "mixed" must shrink.
pub fn check_levels_and_chunks(
    chunks: &[usize],
    inputs: impl Fn(usize, usize) -> Vec<(&'static str, Vec<u8>)>,
    round_trip: impl Fn(&[u8], usize, u32) -> usize,
) {
    for &chunk in chunks {
        let n = chunk + (chunk / 2).min(40000);
        let inputs = inputs(chunk, n);
        for &level in &LEVELS {
            for (name, data) in &inputs {
                let total = round_trip(data, chunk, level);
                if *name != "mixed" {
                    assert!(
                        total < data.len(),
                        "{name} did not shrink at level {level}, chunk {chunk}"
                    );
                }
            }
        }
    }
}
