//! XPRESS decoder tests: libwim cross-checks, hand-built vectors (codecs.md §2.8), crafted
//! edge cases, and robustness against mutated input.
mod common;
use common::data::*;
use common::libwim::{Ctype, LibWim};
use wim_compress::DecompressError;
use wim_compress::xpress::XpressDecompressor;

// ---------------------------------------------------------------------------------------
// Test data

fn source_code(n: usize) -> Vec<u8> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut v = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else {
                v.extend(std::fs::read(&p).unwrap());
            }
        }
    }
    while v.len() < n {
        let c = v.clone();
        v.extend(c);
    }
    v.truncate(n);
    v
}

fn corpus(n: usize) -> Vec<(&'static str, Vec<u8>)> {
    let mut mixed = text(n / 2, 5);
    mixed.extend(binary(n - n / 2));
    vec![
        ("text", text(n, 1)),
        ("source", source_code(n)),
        ("binary", binary(n)),
        ("random", random(n, 3)),
        ("zeros", vec![0u8; n]),
        ("runs", runs(n)),
        ("mixed", mixed),
    ]
}

// ---------------------------------------------------------------------------------------
// libwim cross-checks

#[test]
fn decodes_libwim_output_all_chunk_sizes_and_levels() {
    let Some(lib) = LibWim::load() else { return };
    let data = corpus(160 * 1024);
    let mut checked = 0;
    for chunk in [4096usize, 8192, 16384, 32768, 65536] {
        let mut d = XpressDecompressor::new(chunk).unwrap();
        for level in [1u32, 20, 50, 100] {
            for (name, input) in &data {
                // Two full chunks, then a short last chunk (not a multiple of the chunk size).
                let short = chunk / 3 + 17;
                let pieces = [
                    &input[..chunk],
                    &input[chunk..2 * chunk],
                    &input[2 * chunk..2 * chunk + short],
                ];
                for piece in pieces {
                    let Some(c) = lib.compress(Ctype::Xpress, chunk, level, piece) else {
                        assert!(*name == "random", "{name} should compress");
                        continue;
                    };
                    let got = decode(&mut d, &c, piece.len(), 0xA5).unwrap_or_else(|e| {
                        panic!(
                            "{name} chunk {chunk} level {level} len {}: {e}",
                            piece.len()
                        )
                    });
                    assert!(
                        got == piece,
                        "{name} chunk {chunk} level {level}: output differs"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 300, "only {checked} chunks checked");
}

#[test]
fn short_inputs_1_to_100_bytes() {
    // libwim never compresses these (the 256-byte table alone is larger), so they are
    // encoded by the crafted-stream writer below (greedy parse) and checked against the
    // original and against libwim's decoder.
    let lib = LibWim::load();
    let mut d = XpressDecompressor::new(4096).unwrap();
    let sources = [
        text(100, 11),
        vec![0u8; 100],
        runs(100),
        source_code(100),
        random(100, 4),
    ];
    for n in 1..=100 {
        for src in &sources {
            let data = &src[..n];
            let items = greedy_parse(data);
            assert_eq!(expand(&items), data);
            let c = craft(&items);
            assert_eq!(decode(&mut d, &c, n, 0xFF).unwrap(), data, "n {n}");
            if let Some(lib) = &lib {
                assert_eq!(
                    lib.decompress(Ctype::Xpress, 4096, &c, n).unwrap(),
                    data,
                    "libwim n {n}"
                );
            }
        }
    }
}

fn greedy_parse(data: &[u8]) -> Vec<Item> {
    common::data::greedy_parse(data, usize::MAX, usize::MAX, 3, Item::Lit, Item::Match)
}

// ---------------------------------------------------------------------------------------
// Hand-built vectors (codecs.md §2.8)

fn table(entries: &[(usize, u8)]) -> Vec<u8> {
    let mut t = vec![0u8; 256];
    for &(sym, len) in entries {
        t[sym / 2] |= if sym % 2 == 0 { len } else { len << 4 };
    }
    t
}

#[test]
fn worked_example_a() {
    let mut c = table(&[(97, 2), (98, 3), (99, 3), (256, 2), (287, 2)]);
    c.extend_from_slice(&[0x2a, 0x37, 0x00, 0x00, 0x08]);
    let mut d = XpressDecompressor::new(4096).unwrap();
    assert_eq!(decode(&mut d, &c, 30, 7).unwrap(), b"abc".repeat(10));
    // The raw byte is required: dropping it is truncation.
    assert_eq!(
        decode(&mut d, &c[..c.len() - 1], 30, 7),
        Err(DecompressError::TruncatedInput)
    );
}

#[test]
fn worked_example_b() {
    let mut c = table(&[(97, 1), (256, 2), (271, 2)]);
    c.extend_from_slice(&[0x00, 0x38, 0x00, 0x00, 0xff, 0xfb, 0xff]);
    let mut d = XpressDecompressor::new(65536).unwrap();
    assert_eq!(decode(&mut d, &c, 65536, 0).unwrap(), vec![b'a'; 65536]);
    let mut z = table(&[(0, 1), (256, 2), (271, 2)]);
    z.extend_from_slice(&[0x00, 0x38, 0x00, 0x00, 0xff, 0xfb, 0x7f]);
    assert_eq!(decode(&mut d, &z, 32768, 0xEE).unwrap(), vec![0u8; 32768]);
    // One byte more: the next symbol is the EOD symbol 256, decoded as a real match of
    // length 3, which runs past the end of a 32769-byte output.
    assert_eq!(
        decode(&mut d, &z, 32769, 0),
        Err(DecompressError::LengthTooLong)
    );
}

// ---------------------------------------------------------------------------------------
// A tiny writer for crafted streams: flat 9-bit code (all 512 symbols), reserved-slot
// placement of raw bytes (codecs.md §2.5).

#[derive(Clone, Copy, Debug)]
enum Item {
    Lit(u8),
    Match(usize, usize), // length, offset
    Sym(u32),            // raw symbol (for EOD or invalid data)
}

struct Writer {
    out: Vec<u8>,
    slot_a: usize,
    slot_b: usize,
    acc: u64,
    n: u32,
}
impl Writer {
    fn new() -> Self {
        let mut out = vec![0x99u8; 256]; // all symbols length 9
        out.extend_from_slice(&[0; 4]);
        Writer {
            out,
            slot_a: 256,
            slot_b: 258,
            acc: 0,
            n: 0,
        }
    }
    fn put(&mut self, v: u32, count: u32) {
        self.acc = (self.acc << count) | u64::from(v);
        self.n += count;
        if self.n > 16 {
            self.n -= 16;
            let u = ((self.acc >> self.n) & 0xFFFF) as u16;
            self.out[self.slot_a..self.slot_a + 2].copy_from_slice(&u.to_le_bytes());
            self.slot_a = self.slot_b;
            self.slot_b = self.out.len();
            self.out.extend_from_slice(&[0, 0]);
        }
    }
    fn raw(&mut self, b: u8) {
        self.out.push(b);
    }
    fn item(&mut self, it: Item) {
        match it {
            Item::Lit(b) => self.put(u32::from(b), 9),
            Item::Sym(s) => self.put(s, 9),
            Item::Match(len, off) => {
                let k = usize::BITS - 1 - off.leading_zeros();
                let h = if len - 3 < 15 { len - 3 } else { 15 };
                self.put(256 + 16 * k + h as u32, 9);
                if h == 15 {
                    if len - 18 < 255 {
                        self.raw((len - 18) as u8);
                    } else {
                        self.raw(255);
                        let v = (len - 3) as u16;
                        self.raw(v as u8);
                        self.raw((v >> 8) as u8);
                    }
                }
                self.put((off - (1 << k)) as u32, k);
            }
        }
    }
    fn finish(mut self) -> Vec<u8> {
        let u = ((self.acc << (16 - self.n)) & 0xFFFF) as u16;
        self.out[self.slot_a..self.slot_a + 2].copy_from_slice(&u.to_le_bytes());
        self.out
    }
}

fn craft(items: &[Item]) -> Vec<u8> {
    let mut w = Writer::new();
    for &it in items {
        w.item(it);
    }
    w.finish()
}

fn expand(items: &[Item]) -> Vec<u8> {
    let mut v = Vec::new();
    for &it in items {
        match it {
            Item::Lit(b) => v.push(b),
            Item::Sym(s) if s < 256 => v.push(s as u8),
            Item::Sym(s) => {
                let (len, k) = (((s - 256) & 15) as usize + 3, (s - 256) >> 4);
                assert!(k == 0 && len < 18);
                for _ in 0..len {
                    v.push(v[v.len() - 1]);
                }
            }
            Item::Match(len, off) => {
                for _ in 0..len {
                    v.push(v[v.len() - off]);
                }
            }
        }
    }
    v
}

#[test]
fn crafted_streams_agree_with_model_and_libwim() {
    let lib = LibWim::load();
    let mut r = XorShift(0xC0FFEE);
    let mut d = XpressDecompressor::new(65536).unwrap();
    for round in 0..400 {
        let target = 1 + r.below(if round % 4 == 0 { 65536 } else { 3000 });
        let mut items = Vec::new();
        let mut len = 0usize;
        while len < target {
            let left = target - len;
            let kind = r.below(10);
            if len == 0 || kind < 4 {
                items.push(Item::Lit(r.next() as u8));
                len += 1;
            } else if kind == 4 && len >= 1 && left >= 3 {
                items.push(Item::Sym(256)); // EOD symbol used as a real match mid-data
                len += 3;
            } else {
                let max = left.min(if kind == 9 { 65538 } else { 300 });
                if max < 3 {
                    continue;
                }
                let l = 3 + r.below(max - 2);
                let off = 1 + r.below(len.min(65535));
                items.push(Item::Match(l, off));
                len += l;
            }
        }
        let want = expand(&items);
        let mut c = craft(&items);
        if round % 2 == 0 {
            c.extend_from_slice(&[0x12, 0x34, 0x56]); // garbage after the data is ignored
        }
        let got = decode(&mut d, &c, want.len(), round as u8)
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert!(got == want, "round {round}: output differs");
        if let Some(lib) = &lib {
            // Our crafted stream (without EOD symbol) is also accepted by the oracle.
            let theirs = lib
                .decompress(Ctype::Xpress, 65536, &c, want.len())
                .expect("libwim decodes crafted stream");
            assert!(theirs == want, "round {round}: libwim disagrees");
        }
    }
}

#[test]
fn raw_byte_placement_at_unit_boundaries() {
    // Vary the number of literals before a long match so that its codeword ends at every
    // bit position modulo 16 (9-bit codewords: 9·k mod 16 covers all residues).
    let mut d = XpressDecompressor::new(65536).unwrap();
    for lits in 1..40usize {
        for len in [17usize, 18, 19, 272, 273, 300, 5000] {
            for second in [false, true] {
                let mut items: Vec<Item> = (0..lits)
                    .map(|i| Item::Lit(b'a' + (i % 26) as u8))
                    .collect();
                items.push(Item::Match(len, 1 + lits / 2));
                if second {
                    items.push(Item::Match(len + 1, 1)); // two long matches back to back
                }
                let want = expand(&items);
                let got = decode(&mut d, &craft(&items), want.len(), 0x5A).unwrap();
                assert!(got == want, "lits {lits} len {len} second {second}");
            }
        }
    }
}

#[test]
fn rejects_invalid_streams() {
    let mut d = XpressDecompressor::new(65536).unwrap();
    let e = |d: &mut XpressDecompressor, c: &[u8], n| decode(d, c, n, 0).unwrap_err();
    // Short input.
    assert_eq!(e(&mut d, &[0x99; 255], 4), DecompressError::TruncatedInput);
    // Codes: all zero (empty), incomplete, over-subscribed, single length-1 symbol.
    let mut c = vec![0u8; 256];
    c.extend_from_slice(&[0; 8]);
    assert_eq!(e(&mut d, &c, 4), DecompressError::InvalidHuffmanCode);
    let mut inc = table(&[(97, 1), (98, 2)]);
    inc.extend_from_slice(&[0; 8]);
    assert_eq!(e(&mut d, &inc, 4), DecompressError::InvalidHuffmanCode);
    let mut over = table(&[(97, 1), (98, 1), (99, 1)]);
    over.extend_from_slice(&[0; 8]);
    assert_eq!(e(&mut d, &over, 4), DecompressError::InvalidHuffmanCode);
    let mut single = table(&[(97, 1)]);
    single.extend_from_slice(&[0; 8]);
    assert_eq!(e(&mut d, &single, 4), DecompressError::InvalidHuffmanCode);
    // Offset beyond the data produced so far (also at position 0).
    let c = craft(&[Item::Lit(1), Item::Lit(2), Item::Match(5, 3)]);
    assert_eq!(e(&mut d, &c, 7), DecompressError::OffsetTooFar);
    let c = craft(&[Item::Sym(256)]);
    assert_eq!(e(&mut d, &c, 3), DecompressError::OffsetTooFar);
    // Length beyond the output.
    let c = craft(&[Item::Lit(1), Item::Match(10, 1)]);
    assert_eq!(e(&mut d, &c, 8), DecompressError::LengthTooLong);
    assert_eq!(decode(&mut d, &c, 11, 0).unwrap(), vec![1u8; 11]);
    // u16 length below 270 (and 0): not produced by any valid encoder.
    for v in [0u16, 14, 269] {
        let mut w = Writer::new();
        w.item(Item::Lit(1));
        w.put(256 + 15, 9);
        w.raw(255);
        w.raw(v as u8);
        w.raw((v >> 8) as u8);
        let c = w.finish();
        assert_eq!(
            e(&mut d, &c, 1000),
            DecompressError::InvalidSymbol,
            "u16 {v}"
        );
    }
    // Truncated input: bits that are consumed lie beyond the end.
    let items: Vec<Item> = (0..200).map(|i| Item::Lit(i as u8)).collect();
    let c = craft(&items);
    for cut in [256, 257, 260, c.len() - 6] {
        assert_eq!(
            e(&mut d, &c[..cut], 200),
            DecompressError::TruncatedInput,
            "cut {cut}"
        );
    }
    // Output larger than the context allows.
    let mut small = XpressDecompressor::new(4096).unwrap();
    assert_eq!(e(&mut small, &c, 4097), DecompressError::OutputTooLarge);
    assert!(XpressDecompressor::new(0).is_err());
    assert!(XpressDecompressor::new(65537).is_err());
}

// ---------------------------------------------------------------------------------------
// Robustness

#[test]
fn mutated_chunks_never_panic_and_ignore_dirty_output() {
    let Some(lib) = LibWim::load() else { return };
    let mut r = XorShift(0x5EED_1234);
    let inputs = [
        text(32768, 2),
        binary(32768),
        runs(20000),
        source_code(9000),
    ];
    let chunks: Vec<(Vec<u8>, usize)> = inputs
        .iter()
        .map(|i| (lib.compress(Ctype::Xpress, 32768, 50, i).unwrap(), i.len()))
        .collect();
    let mut d = XpressDecompressor::new(32768).unwrap();
    let (mut oks, mut errs) = (0, 0);
    for round in 0..3000 {
        let (c, n) = &chunks[round % chunks.len()];
        let mut m = c.clone();
        match r.below(4) {
            0 => {
                for _ in 0..1 + r.below(4) {
                    let i = r.below(m.len());
                    m[i] ^= 1 << r.below(8);
                }
            }
            1 => m.truncate(r.below(m.len())),
            2 => {
                let i = 256 + r.below(m.len() - 256);
                m[i] = r.next() as u8;
            }
            _ => {
                let i = r.below(256);
                m[i] = r.next() as u8; // code-length table
            }
        }
        let n = if r.below(8) == 0 { r.below(*n + 1) } else { *n };
        let a = decode(&mut d, &m, n, 0);
        let b = decode(&mut d, &m, n, 0xFF);
        assert_eq!(
            a, b,
            "round {round}: dirty output buffer changed the result"
        );
        if a.is_ok() { oks += 1 } else { errs += 1 }
    }
    assert!(errs > 100 && oks > 10, "oks {oks} errs {errs}");
}
