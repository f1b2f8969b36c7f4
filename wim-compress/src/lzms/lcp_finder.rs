//! LCP-interval match finder for the LZMS encoder.
//!
//! Built once per chunk from the suffix array and the LCP of adjacent suffixes (compared
//! directly in rank order, capped at the parser's `nice` length; lengths below 3 count
//! as 0): the LCP intervals form a tree whose root holds every suffix and whose nodes are
//! the groups of suffixes sharing a prefix of the node's length. Positions are then visited in text order; each visit
//! walks from the position's deepest interval up to the root, reading in every interval
//! the position that visited it last (the nearest earlier occurrence of that prefix) and
//! storing itself there. Going up, lengths shrink and the nearest occurrence can only get
//! nearer, so the walk yields exactly the matches worth having: for each length, the
//! smallest offset. The walk is at most `nice - 2` steps; the only random accesses are
//! the intervals, whose top levels stay in cache.
//!
//! Memory per chunk position: 4 bytes of deepest interval per position, 1 byte of length
//! per interval during construction, and the tree: the suffix array during construction,
//! then 8 bytes per interval (parent and last visitor) in the same allocation, so 4 bytes
//! per position while there are at most half as many intervals as positions (the usual
//! case with capped lengths; 8 at worst).
//! In all 9 bytes per position (13 at worst), plus, transient, the suffix sort's symbol
//! counts and bucket pointers of its first recursion (8 bytes per distinct name: at most
//! 4 bytes per position, ≈ 0.3 on wine).

use super::matchfinder::extend;
use super::prefetch::prefetch;
use super::suffix_array::suffix_array;

/// Shortest match reported.
const MIN_LEN: u32 = 3;
/// Bits of an interval's parent id in its first tree word; the length takes the rest.
const PARENT_BITS: u32 = 26;
const PARENT_MASK: u32 = (1 << PARENT_BITS) - 1;
/// Longest interval length stored (6 bits); longer matches are extended by comparison.
const TREE_CAP: usize = 63;
/// Largest chunk the finder handles (interval ids and positions fit 26 bits).
pub(crate) const MAX_N: usize = 1 << PARENT_BITS;

/// How far ahead (in ranks) the interval build prefetches the text of a suffix.
const AHEAD: usize = 24;

/// Length of the common prefix of `d[a..]` and `d[b..]`, at most `cap` (≤ 64).
#[inline(always)]
fn common_prefix_capped(d: &[u8], a: usize, b: usize, cap: usize) -> usize {
    if let (Some(x), Some(y)) = (d.get(a..a + 64), d.get(b..b + 64)) {
        for (k, (u, v)) in x.chunks_exact(8).zip(y.chunks_exact(8)).enumerate() {
            let u = u64::from_le_bytes(u.try_into().unwrap_or([0; 8]));
            let v = u64::from_le_bytes(v.try_into().unwrap_or([0; 8]));
            let z = u ^ v;
            if z != 0 {
                return (8 * k + (z.trailing_zeros() / 8) as usize).min(cap);
            }
        }
        return cap.min(64);
    }
    let max = cap.min(d.len().saturating_sub(a.max(b)));
    extend(d, a, b, 0, max)
}

/// The LCP-interval finder of one chunk.
#[derive(Debug, Default)]
pub(crate) struct LcpFinder {
    /// During construction the suffix array, then the parent of each interval; finally
    /// `[parent | length << 26, last visiting position + 1 (0: none yet)]` per interval,
    /// so that a visit reads everything about an interval from one cache line.
    tree: Vec<u32>,
    /// Deepest interval holding each position's suffix.
    leaf: Vec<u32>,
    /// Construction only: common-prefix length of each interval.
    lcp: Vec<u8>,
    /// Longest match length wanted (matches reaching `TREE_CAP` are extended up to it).
    cap: usize,
    /// Next position to visit.
    pub(crate) next: usize,
}

impl LcpFinder {
    /// Builds the interval tree of `d` (at most `MAX_N` bytes) for match lengths up to
    /// `cap` (3..=255).
    #[inline(never)]
    pub(crate) fn build(&mut self, d: &[u8], cap: usize) {
        let n = d.len().min(MAX_N);
        let d = &d[..n];
        self.cap = cap.clamp(MIN_LEN as usize, 255);
        let cap = self.cap.min(TREE_CAP);
        self.next = 0;
        // Free the previous chunk's arrays first: the suffix sort's transient memory then
        // never adds to them.
        self.leaf = Vec::new();
        self.lcp = Vec::new();
        suffix_array(d, &mut self.tree);
        self.intervals(d, cap);
    }

    /// The second half of `build`: from the suffix array in `self.tree`, the capped LCP
    /// of adjacent suffixes and the interval tree (`cap` ≤ `TREE_CAP`).
    #[inline(never)]
    fn intervals(&mut self, d: &[u8], cap: usize) {
        let n = d.len();
        if n == 0 {
            self.tree.clear();
            return;
        }
        // Every entry is written below (leaf r - 1 at boundary r).
        self.leaf.resize(n, 0);
        // Bottom-up traversal of the intervals (Abouelhoda, Kurtz and Ohlebusch). Interval
        // ids are handed out in opening order; at boundary r at most one interval opens,
        // so the parents written at boundary r go to ids < r, where the suffix array
        // (read by rank, ahead of the boundary) was already consumed.
        let mut stack: Vec<(u8, u32)> = vec![(0, 0)];
        let mut count = 1u32;
        self.lcp.clear();
        self.lcp.push(0);
        let mut prev_pos = self.tree[0] as usize;
        let mut cand = 0u32;
        for r in 1..=n {
            // The suffix ranked r and its capped common prefix with the one before,
            // compared directly (the text of both is read at rank order: the one before
            // was compared at the previous boundary, this one was prefetched). A PLCP
            // array (Kasai) compares fewer bytes but costs two more random passes over n
            // (the Φ scatter and the text reads in text order) and a random read of it
            // here.
            let sa_r = if r < n { self.tree[r] as usize } else { 0 };
            if let Some(&a) = self.tree.get(r + AHEAD) {
                prefetch(d, a as usize);
                prefetch(d, a as usize + 63);
            }
            if let Some(&a) = self.tree.get(r + 16) {
                prefetch(&self.leaf, a as usize);
            }
            let h = if r < n {
                let l = common_prefix_capped(d, prev_pos, sa_r, cap);
                if l >= MIN_LEN as usize { l as u8 } else { 0 }
            } else {
                0
            };
            let mut opened_here = false;
            while let Some(&(tl, _)) = stack.last() {
                if tl <= h {
                    break;
                }
                let Some((_, x)) = stack.pop() else { break };
                let (below, below_id) = stack.last().copied().unwrap_or((0, 0));
                if below >= h {
                    self.tree[x as usize] = below_id;
                } else {
                    let y = count;
                    count += 1;
                    self.lcp.push(h);
                    self.tree[x as usize] = y;
                    stack.push((h, y));
                    break;
                }
            }
            if stack.last().is_some_and(|&(tl, _)| tl < h) {
                let y = count;
                count += 1;
                self.lcp.push(h);
                stack.push((h, y));
                opened_here = true;
            }
            // Leaf r-1 belongs to the interval opened at this boundary (longer common
            // prefix with its right neighbour) or else to the top after boundary r-1.
            self.leaf[prev_pos] = match (opened_here, stack.last()) {
                (true, Some(&(_, y))) => y,
                _ => cand,
            };
            cand = stack.last().map_or(0, |&(_, id)| id);
            prev_pos = sa_r;
        }
        self.tree[0] = 0;
        // Interleave in place, from the back (entry x moves to 2x, never onto an entry
        // not yet moved).
        let count = count as usize;
        self.tree.resize(n.max(2 * count), 0);
        for x in (0..count).rev() {
            let up = self.tree[x] | u32::from(self.lcp[x]) << PARENT_BITS;
            self.tree[2 * x] = up;
            self.tree[2 * x + 1] = 0;
        }
        self.lcp = Vec::new();
    }

    /// Visits position `self.next`: with `RECORD`, appends to `out` the matches
    /// `(length, offset)` in order of increasing length and offset.
    #[inline(never)]
    pub(crate) fn visit<const RECORD: bool>(&mut self, d: &[u8], out: &mut Vec<(u32, u32)>) {
        let p = self.next;
        self.next += 1;
        let Some(&k0) = self.leaf.get(p) else { return };
        // Two-stage prefetch: the deepest interval two positions ahead, and the parent of
        // the one a position ahead (prefetched by the previous visit, so usually cached).
        if let Some(&k2) = self.leaf.get(p + 2) {
            prefetch(&self.tree, 2 * k2 as usize);
        }
        if let Some(&up) = self
            .leaf
            .get(p + 1)
            .and_then(|&k1| self.tree.get(2 * k1 as usize))
        {
            prefetch(&self.tree, 2 * (up & PARENT_MASK) as usize);
        }
        let start = out.len();
        let mut best_off = u32::MAX;
        let me = p as u32 + 1;
        let mut k = k0 as usize;
        while k != 0 {
            let Some([word, slot]) = self.tree.get_mut(2 * k..2 * k + 2) else {
                break;
            };
            let (word, prev) = (*word, *slot);
            *slot = me;
            if RECORD && prev != 0 {
                let off = me - prev;
                if off < best_off {
                    best_off = off;
                    let mut len = (word >> PARENT_BITS) as usize;
                    if len == TREE_CAP && self.cap > TREE_CAP {
                        let max = self.cap.min(d.len().saturating_sub(p));
                        if let Some(src) = p.checked_sub(off as usize) {
                            len = extend(d, p, src, len.min(max), max);
                        }
                    }
                    out.push((len as u32, off));
                }
            }
            k = (word & PARENT_MASK) as usize;
        }
        if RECORD {
            out[start..].reverse();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CPU time of the calling thread, in seconds.
    fn cpu() -> f64 {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0.0, |ns| ns as f64 / 1e9)
    }

    /// Phase timings of the build (suffix sort, LCP + interval tree) and of the visits on
    /// a real file:
    /// `LZMS_SA_BENCH=FILE [LZMS_SA_REPS=N] cargo test --release -p wim-compress --lib
    /// phase_times -- --ignored --nocapture`. Best of N per phase.
    #[test]
    #[ignore = "timing only; needs LZMS_SA_BENCH=FILE"]
    fn phase_times() {
        let Some(path) = std::env::var_os("LZMS_SA_BENCH") else {
            eprintln!("SKIP: LZMS_SA_BENCH not set");
            return;
        };
        let Ok(d) = std::fs::read(&path) else {
            eprintln!("SKIP: cannot read {path:?}");
            return;
        };
        let d = &d[..d.len().min(MAX_N)];
        let reps: usize = std::env::var("LZMS_SA_REPS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3);
        let mut best = [f64::MAX; 3];
        let mut f = LcpFinder::default();
        for _ in 0..reps {
            // `build`, in its two halves.
            f.leaf = Vec::new();
            f.lcp = Vec::new();
            f.cap = 63;
            f.next = 0;
            let t0 = cpu();
            suffix_array(d, &mut f.tree);
            let t1 = cpu();
            f.intervals(d, 63);
            let t2 = cpu();
            let mut out = Vec::new();
            for _ in 0..d.len() {
                out.clear();
                f.visit::<true>(d, &mut out);
            }
            let t3 = cpu();
            for (b, t) in best.iter_mut().zip([t1 - t0, t2 - t1, t3 - t2]) {
                *b = b.min(t);
            }
        }
        // Shape of the tree: intervals, and walk lengths (steps from the deepest
        // interval to the root) over all positions.
        let (mut steps, mut hist) = (0u64, [0u64; 64]);
        for &k0 in &f.leaf {
            let mut k = k0 as usize;
            let mut c = 0usize;
            while k != 0 {
                c += 1;
                k = (f.tree[2 * k] & PARENT_MASK) as usize;
            }
            steps += c as u64;
            hist[c.min(63)] += 1;
        }
        println!(
            "walk steps per position {:.2}; histogram {:?}",
            steps as f64 / d.len() as f64,
            &hist[..24]
        );
        let [s, t, v] = best;
        println!(
            "{} bytes: suffix sort {s:.3} s, LCP + interval tree {t:.3} s, visits {v:.3} s",
            d.len()
        );
    }

    /// The direct comparison of the interval build against a byte-by-byte count, with
    /// both suffixes far from and near the end of the text (where fewer than 64 bytes
    /// remain) and caps below and at the stored maximum.
    #[test]
    fn common_prefix_capped_matches_bytewise_count() {
        let mut d: Vec<u8> = (0..200u32).map(|i| (i % 7) as u8).collect();
        d.extend_from_within(10..150);
        d[250] ^= 1;
        let n = d.len();
        for cap in [3usize, 8, 40, 63, 64] {
            for a in 0..n {
                for b in [0, 1, 7, 14, 70, 140, 200, 290, n - 1] {
                    let want = d[a..]
                        .iter()
                        .zip(&d[b..])
                        .take_while(|(x, y)| x == y)
                        .count()
                        .min(cap);
                    assert_eq!(common_prefix_capped(&d, a, b, cap), want, "{a} {b} {cap}");
                }
            }
        }
    }

    /// For each length 3..=cap, the smallest offset of an earlier match at least that
    /// long, by brute force; compared with the lengths/offsets the finder reports.
    #[test]
    fn reports_nearest_match_for_every_length() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (len, alpha, cap) in [
            (300usize, 2u64, 8usize),
            (2000, 4, 16),
            (3000, 256, 32),
            (3000, 3, 100),
        ] {
            let mut d: Vec<u8> = (0..len).map(|_| (next() % alpha) as u8).collect();
            // Some long repeats.
            d.extend_from_within(100..250);
            d.extend_from_within(5..50);
            let mut f = LcpFinder::default();
            f.build(&d, cap);
            let mut out = Vec::new();
            for p in 0..d.len() {
                out.clear();
                f.visit::<true>(&d, &mut out);
                // Every report is a real match.
                for &(l, off) in &out {
                    let (l, off) = (l as usize, off as usize);
                    assert!(off <= p && l <= cap && d[p..p + l] == d[p - off..p - off + l]);
                }
                // Brute force: best offset per length.
                let mut want: Vec<(u32, u32)> = Vec::new();
                let mut best_len = 2usize;
                for off in 1..=p {
                    let l = d[p..]
                        .iter()
                        .zip(&d[p - off..])
                        .take_while(|(a, b)| a == b)
                        .count()
                        .min(cap);
                    if l > best_len {
                        best_len = l;
                        want.push((l as u32, off as u32));
                    }
                }
                // The finder's list: every length <= its longest is served by the first
                // reported match at least that long, whose offset must equal the best.
                // Exact up to the stored cap; beyond it, the nearest match of that cap is
                // extended, which need not be the longest.
                let longest = out.last().map_or(2, |m| m.0 as usize);
                let exact = best_len.clamp(2, TREE_CAP);
                assert!(longest >= exact && longest <= best_len.max(2), "p {p}");
                for l in 3..=exact {
                    let got = out.iter().find(|m| m.0 as usize >= l).map(|m| m.1);
                    let exp = want.iter().find(|m| m.0 as usize >= l).map(|m| m.1);
                    assert_eq!(got, exp, "p {p} len {l}");
                }
                assert!(out.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
            }
        }
    }
}
