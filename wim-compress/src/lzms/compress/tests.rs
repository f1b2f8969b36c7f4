//! Encoder-internal round trips: both LZ match finders and both parsers on the same
//! inputs, decoded by our decoder and (when installed) libwim's.

use super::*;
use crate::Decompressor;
use crate::lzms::LzmsDecompressor;

#[path = "../../../tests/common/libwim.rs"]
mod libwim;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Code-like bytes (a small vocabulary of instruction patterns with varying operands),
/// tables of counters (delta matches), text and a little noise.
fn sample(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng(seed | 1);
    let mut v = Vec::with_capacity(len + 64);
    let ops: [&[u8]; 6] = [
        &[0x48, 0x8B, 0x45],
        &[0xE8],
        &[0x89, 0x44, 0x24],
        &[0xC3, 0xCC, 0xCC],
        &[0x0F, 0x84],
        &[0x55, 0x48, 0x89, 0xE5],
    ];
    while v.len() < len {
        match r.next() % 4 {
            0 | 1 => {
                for _ in 0..(r.next() % 40) {
                    v.extend_from_slice(ops[(r.next() % 6) as usize]);
                    v.push((r.next() % 8) as u8 * 8);
                }
            }
            2 => {
                let (start, stride) = (r.next() as u32, 1 + (r.next() % 64) as u32);
                let width = [2usize, 4, 8][(r.next() % 3) as usize];
                for i in 0..(r.next() % 200) as u32 {
                    let x = u64::from(start.wrapping_add(i * stride));
                    v.extend_from_slice(&x.to_le_bytes()[..width]);
                }
            }
            _ => {
                let n = (r.next() % 30) as usize;
                if r.next().is_multiple_of(3) {
                    v.extend((0..n).map(|_| r.next() as u8));
                } else {
                    v.extend_from_slice(&b"the quick brown fox jumps over the lazy dog "[..n]);
                }
            }
        }
    }
    v.truncate(len);
    v
}

fn round_trip(c: &mut LzmsCompressor, data: &[u8], what: &str) -> usize {
    let lib = libwim::LibWim::load();
    let mut out = vec![0u8; data.len()];
    let n = c
        .compress(data, &mut out)
        .unwrap_or_else(|| panic!("{what}: did not compress"));
    let z = &out[..n];
    let mut back = vec![0u8; data.len()];
    LzmsDecompressor::new(data.len())
        .and_then(|mut d| d.decompress(z, &mut back))
        .unwrap_or_else(|e| panic!("{what}: our decoder failed: {e:?}"));
    assert!(back == data, "{what}: our decoder mismatch");
    if let Some(lib) = lib {
        let w = lib
            .decompress(libwim::Ctype::Lzms, data.len(), z, data.len())
            .unwrap_or_else(|| panic!("{what}: libwim failed to decode"));
        assert!(w == data, "{what}: libwim mismatch");
    } else {
        eprintln!("SKIP: libwim not installed; checked with our decoder only ({what})");
    }
    n
}

#[test]
fn both_match_finders_round_trip_and_agree_closely() {
    for (len, seed) in [(300_000usize, 1u64), (70_000, 2), (4_096, 3)] {
        let data = sample(len, seed);
        for level in [20, 50, 100] {
            let mut tree = LzmsCompressor::new(len, level).unwrap();
            tree.base.lcp_min = usize::MAX;
            let a = round_trip(&mut tree, &data, &format!("tree L{level} {len}"));
            let mut lcp = LzmsCompressor::new(len, level).unwrap();
            lcp.base.lcp_min = 0;
            let b = round_trip(&mut lcp, &data, &format!("lcp L{level} {len}"));
            // Same parser, (nearly) the same matches: sizes within 2 %.
            assert!(a.abs_diff(b) * 50 <= a, "tree {a} vs lcp {b} at L{level}");
            // A reused context gives the same output again.
            let again = round_trip(&mut lcp, &data, "lcp again");
            assert_eq!(again, b);
        }
    }
}

#[test]
fn lazy_parser_round_trips() {
    let data = sample(200_000, 9);
    for delta in [false, true] {
        for lcp_min in [0, usize::MAX] {
            let mut c = LzmsCompressor::new(data.len(), 5).unwrap();
            c.base.lazy = true;
            c.base.delta = delta;
            c.base.lcp_min = lcp_min;
            let n = round_trip(&mut c, &data, &format!("lazy delta {delta} lcp {lcp_min}"));
            assert!(n < data.len() / 2, "lazy parse compressed poorly: {n}");
        }
    }
}

#[test]
fn delta_rich_input_uses_delta_items() {
    // Counter tables only: with delta matches the output must be much smaller.
    let mut v = Vec::new();
    let mut r = Rng(5);
    while v.len() < 100_000 {
        let (start, stride) = (r.next() as u32, 3 + (r.next() % 97) as u32);
        for i in 0..300u32 {
            v.extend_from_slice(&start.wrapping_add(i * stride).to_le_bytes());
        }
    }
    let mut with = LzmsCompressor::new(v.len(), 50).unwrap();
    let a = round_trip(&mut with, &v, "delta on");
    let mut without = LzmsCompressor::new(v.len(), 50).unwrap();
    without.base.delta = false;
    let b = round_trip(&mut without, &v, "delta off");
    assert!(
        a * 10 < b * 9,
        "delta matches gained too little: {a} vs {b}"
    );
}

/// Compressed bytes of `data` (which must compress).
fn compressed(c: &mut LzmsCompressor, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; data.len()];
    let n = c.compress(data, &mut out).expect("compresses");
    out.truncate(n);
    out
}

#[test]
fn interior_skip_round_trips_and_changes_the_parse() {
    // Mixed data with long repeats (matches much longer than the skip threshold), some
    // crossing the parser's window ends.
    let mut data = sample(60_000, 11);
    let block = data[1000..6000].to_vec();
    for k in 0..6 {
        data.extend_from_slice(&block[..1000 + 700 * k as usize]);
        data.extend_from_slice(&sample(2500, 20 + k));
    }
    // Without the dominated-node skip, which covers most of the same nodes on such data.
    let mut off = LzmsCompressor::new(data.len(), 20).unwrap();
    off.base.interior = 0;
    off.base.dom = INF;
    let a = round_trip(&mut off, &data, "interior skip off");
    let mut on = LzmsCompressor::new(data.len(), 20).unwrap();
    on.base.dom = INF;
    assert!(on.base.interior > 0, "L20 skips match interiors");
    let b = round_trip(&mut on, &data, "interior skip on");
    assert_ne!(
        compressed(&mut on, &data),
        compressed(&mut off, &data),
        "the skip changed no parsing decision"
    );
    // It costs little on such data.
    assert!(b * 100 <= a * 102, "interior skip: {b} against {a} bytes");
    // From L25 the interior positions are not visited by the tree either.
    let mut visited = LzmsCompressor::new(data.len(), 25).unwrap();
    visited.base.chain = 0;
    visited.base.dom = INF;
    visited.base.interior_tree = true;
    let c = round_trip(&mut visited, &data, "interior skip, tree visits");
    let mut left_out = LzmsCompressor::new(data.len(), 25).unwrap();
    left_out.base.chain = 0;
    left_out.base.dom = INF;
    assert!(left_out.base.interior > 0 && !left_out.base.interior_tree);
    let e = round_trip(&mut left_out, &data, "interior skip, no tree visits");
    assert_ne!(
        compressed(&mut left_out, &data),
        compressed(&mut visited, &data),
        "leaving interior positions out of the tree changed nothing"
    );
    assert!(e * 100 <= c * 102, "no tree visits: {e} against {c} bytes");
    // The most aggressive settings still leave every later node reachable.
    for (t, k) in [(3usize, 0usize), (3, 1), (8, 2)] {
        for tree in [false, true] {
            let mut c = LzmsCompressor::new(data.len(), 20).unwrap();
            c.base.interior = t;
            c.base.interior_tail = k;
            c.base.interior_tree = tree;
            round_trip(&mut c, &data, &format!("interior skip {t}/{k} tree {tree}"));
        }
    }
}

#[test]
fn chain_finder_reports_true_matches_and_the_longest() {
    // Every report is a real match of increasing length; with unlimited depth the
    // longest one is the longest earlier match of at least 4 bytes (up to `nice`).
    let mut data = sample(20_000, 5);
    let again = data[3000..7000].to_vec();
    data.extend_from_slice(&again);
    data.extend_from_slice(&sample(3000, 6));
    let n = data.len();
    let nice = 40;
    let mut f = super::super::matchfinder::HcFinder::default();
    f.reset(n);
    let mut out = Vec::new();
    let mut longest_seen = 0;
    for p in 0..n {
        out.clear();
        f.visit::<true>(&data, u32::MAX, nice, &mut out);
        let mut last = 2;
        for &(len, off) in &out {
            let (len, off) = (len as usize, off as usize);
            assert!(
                len > last && len <= nice && off >= 1 && off <= p,
                "at {p}: {out:?}"
            );
            assert_eq!(
                extend(&data, p, p - off, 0, len),
                len,
                "at {p}: not a match"
            );
            last = len;
        }
        let max = nice.min(n - p);
        let brute = (1..=p)
            .map(|off| extend(&data, p, p - off, 0, max))
            .max()
            .unwrap_or(0);
        let got = out.last().map_or(0, |m| m.0 as usize);
        if brute >= 4 && n - p >= 4 {
            assert_eq!(got, brute, "at {p}: longest match missed");
        } else {
            assert!(got <= 3, "at {p}");
        }
        longest_seen = longest_seen.max(got);
    }
    assert_eq!(
        longest_seen, nice,
        "the repeated block gives nice-length matches"
    );
}

#[test]
fn chain_finder_levels_round_trip_and_change_the_parse() {
    let mut data = sample(60_000, 13);
    let block = data[2000..9000].to_vec();
    for k in 0..4 {
        data.extend_from_slice(&block[..1500 + 900 * k as usize]);
        data.extend_from_slice(&sample(3000, 30 + k));
    }
    for level in [20, 25, 30, 34] {
        let mut chains = LzmsCompressor::new(data.len(), level).unwrap();
        assert!(chains.base.chain > 0, "L{level} uses the chain finder");
        let a = round_trip(&mut chains, &data, &format!("L{level} chains"));
        let mut tree = LzmsCompressor::new(data.len(), level).unwrap();
        tree.base.chain = 0;
        let b = round_trip(&mut tree, &data, &format!("L{level} tree"));
        assert_ne!(
            compressed(&mut chains, &data),
            compressed(&mut tree, &data),
            "L{level}: the chain finder changed nothing"
        );
        assert!(
            a * 100 <= b * 102,
            "L{level}: chains {a} against the tree's {b} bytes"
        );
    }
    // Levels 19 and 35 keep the tree.
    for level in [19, 35] {
        assert_eq!(LzmsCompressor::new(1 << 17, level).unwrap().base.chain, 0);
    }
}

#[test]
fn dominated_nodes_are_not_expanded_at_low_levels() {
    let mut data = sample(60_000, 17);
    let block = data[4000..9000].to_vec();
    for k in 0..4 {
        data.extend_from_slice(&block[..1200 + 800 * k as usize]);
        data.extend_from_slice(&sample(2000, 40 + k));
    }
    for level in [20, 30, 34] {
        let mut on = LzmsCompressor::new(data.len(), level).unwrap();
        assert_ne!(on.base.dom, INF, "L{level} skips dominated nodes");
        let a = round_trip(&mut on, &data, &format!("L{level} dominated skip"));
        let mut off = LzmsCompressor::new(data.len(), level).unwrap();
        off.base.dom = INF;
        let b = round_trip(&mut off, &data, &format!("L{level} no dominated skip"));
        // Counted over one compression each (`round_trip` compresses once).
        let (e_on, e_off) = (on.expanded, off.expanded);
        assert_ne!(
            compressed(&mut on, &data),
            compressed(&mut off, &data),
            "L{level}: the dominated skip changed nothing"
        );
        assert!(
            e_on * 10 <= e_off * 9,
            "L{level}: {e_on} nodes expanded against {e_off} without the skip"
        );
        assert!(a * 100 <= b * 101, "L{level}: {a} against {b} bytes");
    }
    // Any tolerance keeps every node reachable.
    for dom in [64, 1 << 20] {
        let mut c = LzmsCompressor::new(data.len(), 30).unwrap();
        c.base.dom = dom;
        round_trip(&mut c, &data, &format!("dominated skip, tolerance {dom}"));
    }
    // Off where delta matches are searched (the default level's size is the line).
    for level in [19, 35, 50] {
        assert_eq!(LzmsCompressor::new(1 << 17, level).unwrap().base.dom, INF);
    }
}

#[test]
fn large_chunks_skip_dominated_repeat_nodes() {
    // At least `DOM_REP_MIN` bytes: repeats of earlier blocks give long repeat matches.
    let mut data = sample(600_000, 23);
    let block = data[100_000..140_000].to_vec();
    while data.len() < DOM_REP_MIN + 50_000 {
        data.extend_from_slice(&block[..20_000 + data.len() % 20_000]);
        data.extend_from_slice(&sample(30_000, data.len() as u64));
    }
    let mut on = LzmsCompressor::new(data.len(), 50).unwrap();
    assert_eq!(on.base.dom, INF, "L50 keeps every node at 128 KiB");
    let a = round_trip(&mut on, &data, "L50 large, dominated repeat nodes skipped");
    assert!(
        on.params.dom == 0 && on.params.dom_rep,
        "large chunk setting"
    );
    let mut off = LzmsCompressor::new(data.len(), 50).unwrap();
    off.base.dom_large = false;
    let b = round_trip(&mut off, &data, "L50 large, every node");
    assert_eq!(off.params.dom, INF);
    let (e_on, e_off) = (on.expanded, off.expanded);
    assert!(e_on < e_off, "{e_on} nodes expanded against {e_off}");
    assert_ne!(
        compressed(&mut on, &data),
        compressed(&mut off, &data),
        "the dominated skip changed nothing in a large chunk"
    );
    assert!(a * 1000 <= b * 1005, "{a} against {b} bytes");
    // Below the threshold nothing changes at L50.
    let small = &data[..DOM_REP_MIN - 1];
    let mut c = LzmsCompressor::new(small.len(), 50).unwrap();
    round_trip(&mut c, small, "L50 just under the threshold");
    assert_eq!(c.params.dom, INF);
}
