//! Suffix array construction by induced sorting (SA-IS, Nong, Zhang and Chan 2009) and
//! the capped longest-common-prefix array (Kärkkäinen, Manzini and Puglisi's Φ method),
//! for the LZMS encoder's LCP-interval match finder.
//!
//! Memory: the suffix array (4 bytes per position) plus, during the recursion, at most
//! 4 bytes per position for the reduced problem (its text and suffix array, each at most
//! half the length) and one byte per position of suffix types.

use super::matchfinder::extend;
use super::prefetch::prefetch;

/// Prefetch distance (entries) of the scans with random reads.
const AHEAD: usize = 24;

/// Empty suffix-array slot during induced sorting.
const EMPTY: u32 = u32::MAX;

/// A symbol of the text being sorted (bytes at the top level, names below).
trait Sym: Copy + Eq {
    fn idx(self) -> usize;
}

impl Sym for u8 {
    #[inline(always)]
    fn idx(self) -> usize {
        usize::from(self)
    }
}

impl Sym for u32 {
    #[inline(always)]
    fn idx(self) -> usize {
        self as usize
    }
}

/// Suffix types: 1 where suffix `i` is S-type (smaller than suffix `i + 1`). One byte per
/// suffix (transient): cheaper to test than packed bits in the hot loops.
struct Types(Vec<u8>);

impl Types {
    fn new<T: Sym>(t: &[T]) -> Self {
        let n = t.len();
        let mut v = vec![0u8; n];
        // The last suffix is L-type (larger than the empty suffix).
        let mut s = false;
        for i in (0..n.saturating_sub(1)).rev() {
            let (a, b) = (t[i].idx(), t[i + 1].idx());
            s = a < b || (a == b && s);
            v[i] = u8::from(s);
        }
        Types(v)
    }

    #[inline(always)]
    fn s(&self, i: usize) -> bool {
        self.0[i] != 0
    }

    /// Leftmost S-type: S-type with an L-type predecessor.
    #[inline(always)]
    fn lms(&self, i: usize) -> bool {
        i > 0 && self.0[i] > self.0[i - 1]
    }
}

/// Symbol counts of `t`.
fn counts<T: Sym>(t: &[T], k: usize) -> Vec<u32> {
    let mut c = vec![0u32; k];
    for &x in t {
        c[x.idx()] += 1;
    }
    c
}

/// Start offsets (`end == false`) or end offsets of each symbol's bucket.
fn buckets(cnt: &[u32], end: bool, out: &mut Vec<u32>) {
    out.clear();
    let mut sum = 0u32;
    out.extend(cnt.iter().map(|&c| {
        sum += c;
        if end { sum } else { sum - c }
    }));
}

/// Induces the order of L-type then S-type suffixes from the LMS suffixes placed in `sa`.
fn induce<T: Sym>(t: &[T], sa: &mut [u32], ty: &Types, cnt: &[u32], bkt: &mut Vec<u32>) {
    let n = t.len();
    buckets(cnt, false, bkt);
    // The suffix n-1 is L-type and first in its bucket (its successor is the empty suffix).
    let c = t[n - 1].idx();
    sa[bkt[c] as usize] = (n - 1) as u32;
    bkt[c] += 1;
    for i in 0..n {
        // The text read for an entry is random: prefetch it some entries ahead.
        if let Some(&a) = sa.get(i + AHEAD) {
            prefetch(t, (a as usize).wrapping_sub(1));
        }
        let j = sa[i];
        // Only L-type and LMS suffixes are present during this scan, so the suffix
        // before j is L-type exactly when its symbol is not smaller than j's.
        if j != EMPTY && j > 0 {
            let (c, cj) = (t[j as usize - 1].idx(), t[j as usize].idx());
            if c >= cj {
                sa[bkt[c] as usize] = j - 1;
                bkt[c] += 1;
            }
        }
    }
    buckets(cnt, true, bkt);
    for i in (0..n).rev() {
        if let Some(&a) = i.checked_sub(AHEAD).and_then(|k| sa.get(k)) {
            prefetch(t, (a as usize).wrapping_sub(1));
            prefetch(&ty.0, (a as usize).wrapping_sub(1));
        }
        let j = sa[i];
        if j != EMPTY && j > 0 && ty.s(j as usize - 1) {
            let c = t[j as usize - 1].idx();
            bkt[c] -= 1;
            sa[bkt[c] as usize] = j - 1;
        }
    }
}

/// Sorts the suffixes of `t` (symbols `< k`) into `sa` (`sa.len() == t.len()`).
fn sais<T: Sym>(t: &[T], sa: &mut [u32], k: usize) {
    let n = t.len();
    match n {
        0 => return,
        1 => {
            sa[0] = 0;
            return;
        }
        _ => {}
    }
    let ty = Types::new(t);
    let cnt = counts(t, k);
    let mut bkt = Vec::new();
    // 1. LMS suffixes at the ends of their buckets, then one induced sort: the LMS
    //    substrings come out sorted.
    sa.fill(EMPTY);
    buckets(&cnt, true, &mut bkt);
    for i in (1..n).rev() {
        if ty.lms(i) {
            let c = t[i].idx();
            bkt[c] -= 1;
            sa[bkt[c] as usize] = i as u32;
        }
    }
    induce(t, sa, &ty, &cnt, &mut bkt);
    // 2. Compact the sorted LMS positions into sa[..m] and name the LMS substrings.
    let mut m = 0usize;
    for i in 0..n {
        let j = sa[i] as usize;
        if ty.lms(j) {
            sa[m] = j as u32;
            m += 1;
        }
    }
    if m == 0 {
        // No LMS suffix: the induced sort above already ordered everything.
        return;
    }
    sa[m..].fill(EMPTY);
    let mut name = 0u32;
    let mut prev = usize::MAX;
    for i in 0..m {
        let pos = sa[i] as usize;
        if prev == usize::MAX || !lms_equal(t, &ty, prev, pos) {
            name += 1;
        }
        prev = pos;
        sa[m + pos / 2] = name - 1;
    }
    // 3. Order the LMS suffixes: if all names differ, sa[..m] (sorted by LMS substring)
    //    is already their order; else recurse on the reduced string of names.
    if (name as usize) < m {
        let mut s1 = Vec::with_capacity(m);
        s1.extend(sa[m..].iter().copied().filter(|&v| v != EMPTY));
        let mut sa1 = vec![0u32; m];
        sais(&s1, &mut sa1, name as usize);
        drop(s1);
        // Reuse the reduced string's storage for the LMS positions in text order.
        let mut lms_pos = Vec::with_capacity(m);
        lms_pos.extend((1..n).filter(|&i| ty.lms(i)).map(|i| i as u32));
        for (i, r) in sa1.iter().enumerate() {
            sa[i] = lms_pos[*r as usize];
        }
    }
    // 4. Place the sorted LMS suffixes at the ends of their buckets, in order, and induce.
    sa[m..].fill(EMPTY);
    buckets(&cnt, true, &mut bkt);
    for i in (0..m).rev() {
        let j = sa[i];
        sa[i] = EMPTY;
        let c = t[j as usize].idx();
        bkt[c] -= 1;
        sa[bkt[c] as usize] = j;
    }
    induce(t, sa, &ty, &cnt, &mut bkt);
}

/// Whether the LMS substrings starting at `a` and `b` are equal (symbols and types up to
/// and including the next LMS position).
fn lms_equal<T: Sym>(t: &[T], ty: &Types, a: usize, b: usize) -> bool {
    let n = t.len();
    let mut d = 0usize;
    loop {
        if a + d >= n || b + d >= n {
            return false;
        }
        if t[a + d] != t[b + d] || ty.s(a + d) != ty.s(b + d) {
            return false;
        }
        if d > 0 {
            let (la, lb) = (ty.lms(a + d), ty.lms(b + d));
            if la || lb {
                return la && lb;
            }
        }
        d += 1;
    }
}

/// The suffix array of `t` in `sa` (resized to `t.len()`; requires `t.len() < 2^32 - 2`).
pub(crate) fn suffix_array(t: &[u8], sa: &mut Vec<u32>) {
    sa.clear();
    sa.resize(t.len(), 0);
    sais(t, sa, 256);
}

/// The permuted LCP array: `plcp[p]` = length of the common prefix (at most `cap`) of the
/// suffix at `p` and the suffix ranked just before it (0 for the first-ranked suffix).
#[inline(never)]
pub(crate) fn plcp_capped(t: &[u8], sa: &[u32], cap: usize, plcp: &mut Vec<u32>) {
    let n = t.len();
    plcp.clear();
    plcp.resize(n, EMPTY);
    // Φ: the suffix ranked just before each suffix.
    for (i, w) in sa.windows(2).enumerate() {
        if let Some(&a) = sa.get(i + 1 + AHEAD) {
            prefetch(plcp, a as usize);
        }
        plcp[w[1] as usize] = w[0];
    }
    let mut l = 0usize;
    for p in 0..n {
        if let Some(&a) = plcp.get(p + AHEAD) {
            prefetch(t, a as usize);
        }
        let q = plcp[p];
        if q == EMPTY {
            plcp[p] = 0;
            l = 0;
            continue;
        }
        let q = q as usize;
        let max = cap.min(n - p).min(n - q);
        l = extend(t, p, q, l.min(max), max);
        plcp[p] = l as u32;
        l = l.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(t: &[u8]) -> Vec<u32> {
        let mut v: Vec<u32> = (0..t.len() as u32).collect();
        v.sort_by(|&a, &b| t[a as usize..].cmp(&t[b as usize..]));
        v
    }

    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn matches_naive_sort() {
        let mut seed = 0x1234_5678_9abc_def1u64;
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![7],
            b"banana".to_vec(),
            b"mississippi".to_vec(),
            b"aaaaaaaaaaaaaaaaaaaa".to_vec(),
            b"abababababababababab".to_vec(),
            (0..=255u8).rev().collect(),
            (0..=255u8).collect(),
        ];
        for len in [2usize, 3, 5, 17, 100, 1000, 5000] {
            for alpha in [2u64, 3, 4, 256] {
                cases.push((0..len).map(|_| (rng(&mut seed) % alpha) as u8).collect());
            }
            // Repetitive text with a few mutations.
            let mut v: Vec<u8> = (0..len).map(|i| b"abcab"[i % 5]).collect();
            for _ in 0..3 {
                let i = rng(&mut seed) as usize % len;
                v[i] = b'z';
            }
            cases.push(v);
        }
        for t in &cases {
            let mut sa = Vec::new();
            suffix_array(t, &mut sa);
            assert_eq!(sa, naive(t), "text {t:?}");
            let mut plcp = Vec::new();
            plcp_capped(t, &sa, 7, &mut plcp);
            for (r, &p) in sa.iter().enumerate() {
                let p = p as usize;
                let want = if r == 0 {
                    0
                } else {
                    let q = sa[r - 1] as usize;
                    t[p..]
                        .iter()
                        .zip(&t[q..])
                        .take_while(|(a, b)| a == b)
                        .count()
                        .min(7)
                };
                assert_eq!(plcp[p] as usize, want);
            }
        }
    }
}
