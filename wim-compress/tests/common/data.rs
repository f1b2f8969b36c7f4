//! Deterministic test-data generators shared by the codec tests (each test crate uses a
//! different subset, hence the module-level `dead_code` allowance).
#![allow(dead_code)]

use wim_compress::{DecompressError, Decompressor};

/// Deterministic xorshift64 generator.
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
    /// A value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `n` pseudo-random bytes from `XorShift(seed)` (the seed is used as is).
pub fn random(n: usize, seed: u64) -> Vec<u8> {
    let mut r = XorShift(seed);
    (0..n).map(|_| r.next() as u8).collect()
}

/// `n` pseudo-random bytes from `XorShift(seed | 1)` (never the all-zero state).
pub fn random_odd(n: usize, seed: u64) -> Vec<u8> {
    random(n, seed | 1)
}

/// English-like words separated by spaces and occasional newlines.
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
        "file",
        "stream",
        "data",
        "in",
        "with",
        "offset",
        "length",
        "table",
        "for",
        "match",
    ];
    let mut r = XorShift(seed);
    let mut v = Vec::with_capacity(n + 16);
    while v.len() < n {
        v.extend_from_slice(WORDS[r.below(WORDS.len())].as_bytes());
        v.push(if r.below(12) == 0 { b'\n' } else { b' ' });
    }
    v.truncate(n);
    v
}

/// `n` bytes of x86 machine code from a large /usr/bin binary, else synthetic x86-like data.
pub fn binary(n: usize) -> Vec<u8> {
    for p in [
        "/usr/bin/python3.11",
        "/usr/bin/gdb",
        "/usr/bin/perf",
        "/bin/bash",
        "/bin/ls",
    ] {
        if let Ok(d) = std::fs::read(p)
            && d.len() >= n + 4096
        {
            let start = (d.len() - n) / 3;
            return d[start..start + n].to_vec();
        }
    }
    eprintln!("NOTE: no large /usr/bin binary found; using synthetic x86-like data");
    let mut r = XorShift(99);
    (0..n)
        .map(|i| {
            if i % 7 == 0 {
                0xE8
            } else {
                (r.next() % 16) as u8
            }
        })
        .collect()
}

/// Runs of 1..=300 equal random bytes.
pub fn runs(n: usize) -> Vec<u8> {
    let mut r = XorShift(7);
    let mut v = Vec::new();
    while v.len() < n {
        let b = r.next() as u8;
        let len = 1 + r.below(300);
        v.extend(std::iter::repeat_n(b, len));
    }
    v.truncate(n);
    v
}

/// Decodes `src` into a fresh `n`-byte buffer pre-filled with `dirt`.
pub fn decode<D: Decompressor>(
    d: &mut D,
    src: &[u8],
    n: usize,
    dirt: u8,
) -> Result<Vec<u8>, DecompressError> {
    let mut out = vec![dirt; n];
    d.decompress(src, &mut out).map(|()| out)
}

/// A brute-force greedy LZ77 parse of `data` for the decoder tests' reference encoders:
/// at each position the longest earlier match with offset ≤ `max_off` and length ≤
/// `max_len` (the nearest of equal length) becomes `mat(len, off)` when at least `min_len`
/// long, else the byte becomes `lit(byte)`.
pub fn greedy_parse<T>(
    data: &[u8],
    max_off: usize,
    max_len: usize,
    min_len: usize,
    lit: impl Fn(u8) -> T,
    mat: impl Fn(usize, usize) -> T,
) -> Vec<T> {
    let mut items = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let mut best = (0, 0);
        for off in 1..=i.min(max_off) {
            let mut l = 0;
            while i + l < data.len() && l < max_len && data[i + l] == data[i + l - off] {
                l += 1;
            }
            if l > best.0 {
                best = (l, off);
            }
        }
        if best.0 >= min_len {
            items.push(mat(best.0, best.1));
            i += best.0;
        } else {
            items.push(lit(data[i]));
            i += 1;
        }
    }
    items
}
