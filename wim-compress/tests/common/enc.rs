//! Shared helpers for the encoder tests (encode_xpress.rs, encode_lzx.rs): test data and
//! the compress / double-decoder round trip.
#![allow(dead_code)]

use super::libwim::{Ctype, LibWim};
use std::path::{Path, PathBuf};
use wim_compress::{Compressor, Decompressor};

pub use super::data::XorShift;
pub use super::data::random_odd as random;

pub fn text(n: usize, seed: u64) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "the",
        "image",
        "window",
        "of",
        "compression",
        "chunk",
        "and",
        "resource",
        "a",
        "to",
        "is",
        "header",
        "Microsoft",
        "offset",
        "length",
        "Huffman",
        "block",
        "\n",
        ", ",
        ". ",
    ];
    let mut r = XorShift(seed | 1);
    let mut v = Vec::with_capacity(n + 16);
    while v.len() < n {
        v.extend_from_slice(WORDS[(r.next() % WORDS.len() as u64) as usize].as_bytes());
        v.push(b' ');
    }
    v.truncate(n);
    v
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
