//! Shared helpers for the encoder tests (encode_xpress.rs, encode_lzx.rs).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Deterministic xorshift generator.
pub struct XorShift(pub u64);
impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

pub fn random(n: usize, seed: u64) -> Vec<u8> {
    let mut r = XorShift(seed | 1);
    (0..n).map(|_| r.next() as u8).collect()
}

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
