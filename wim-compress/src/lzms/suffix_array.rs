//! Suffix array construction by induced sorting (SA-IS, Nong, Zhang and Chan 2009) for
//! the LZMS encoder's LCP-interval match finder (and, for tests and timing, the capped
//! permuted LCP array by Kärkkäinen, Manzini and Puglisi's Φ method).
//!
//! Memory: the suffix array (4 bytes per position) and the symbol counts and bucket
//! pointers of each level (8 bytes per distinct symbol: at most 4 bytes per position in
//! the first recursion, in practice far less). The reduced problem (its text and suffix
//! array, each at most half the length) lives in the suffix array itself, and the suffix
//! types are recomputed on the fly rather than stored.

#[cfg(test)]
use super::matchfinder::extend;
use super::prefetch::prefetch;

/// Prefetch distance (entries) of the scans with random reads.
const AHEAD: usize = 48;

/// Alphabet size from which the bucket arrays' random accesses are prefetched (their
/// counts and pointers then take 512 KiB or more; tests take both paths at small sizes).
const PF_NAMES: usize = if cfg!(test) { 1 << 8 } else { 1 << 16 };

/// Texts up to this length (and their suffix arrays, 5 bytes per symbol in all) are
/// sorted without prefetches in the induced sorts: they stay in the L2 cache, where the
/// hints only cost instructions (tests take both paths at small sizes).
const NEAR_LEN: usize = if cfg!(test) { 1 << 12 } else { 1 << 18 };

/// `induce` modes: no prefetch, text prefetched, text and bucket pointers prefetched.
const NEAR: u8 = 0;
const FAR: u8 = 1;
const FAR_NAMES: u8 = 2;

/// Empty suffix-array slot during induced sorting.
const EMPTY: u32 = u32::MAX;

/// Marks an entry of the suffix array as an LMS suffix during the first induced sort
/// (positions stay below 2^29).
const LMS_FLAG: u32 = 1 << 31;

/// Marks an entry whose suffix's predecessor (the suffix one position earlier) is S-type
/// (set for position 0 too, which has none). Written with the entry, from the text line
/// that the write read anyway, so that a scan reads the text only for the entries that
/// induce a suffix: the L-type scan those without the flag, the S-type scan those with it.
const PRED_S: u32 = 1 << 30;

/// Marks an entry whose own suffix is S-type (the S-type scan's LMS test).
const SELF_S: u32 = 1 << 29;

/// The position bits of an entry.
const POS: u32 = SELF_S - 1;

/// Largest text length sorted (positions and their two flags fit 32 bits with
/// `LMS_FLAG`).
pub(crate) const MAX_LEN: usize = POS as usize;

/// A symbol of the text being sorted (bytes at the top level, names below).
trait Sym: Copy + Eq {
    /// Whether the alphabet is always small enough for the bucket arrays to stay in the
    /// L1 cache (else their random accesses are prefetched when there are many names).
    const FEW: bool;

    fn idx(self) -> usize;

    /// Whether `t[a..a + len]` and `t[b..b + len]` are equal (both in bounds).
    #[inline(always)]
    fn run_eq(t: &[Self], a: usize, b: usize, len: usize) -> bool {
        t.get(a..a + len) == t.get(b..b + len)
    }
}

impl Sym for u8 {
    const FEW: bool = true;

    #[inline(always)]
    fn idx(self) -> usize {
        usize::from(self)
    }

    /// Eight bytes at a time (LMS substrings are short: one or two words).
    #[inline(always)]
    fn run_eq(t: &[u8], a: usize, b: usize, len: usize) -> bool {
        let (Some(x), Some(y)) = (t.get(a..a + len), t.get(b..b + len)) else {
            return false;
        };
        let word = |s: &[u8], i: usize| {
            u64::from_le_bytes(
                s.get(i..i + 8)
                    .and_then(|w| w.try_into().ok())
                    .unwrap_or([0; 8]),
            )
        };
        let mut i = 0;
        while i + 8 <= len {
            if word(x, i) != word(y, i) {
                return false;
            }
            i += 8;
        }
        x[i..].iter().zip(&y[i..]).all(|(p, q)| p == q)
    }
}

impl Sym for u32 {
    const FEW: bool = false;

    #[inline(always)]
    fn idx(self) -> usize {
        self as usize
    }

    /// Names compared one by one (runs of a few names; no `memcmp` call).
    #[inline(always)]
    fn run_eq(t: &[u32], a: usize, b: usize, len: usize) -> bool {
        let (Some(x), Some(y)) = (t.get(a..a + len), t.get(b..b + len)) else {
            return false;
        };
        x.iter().zip(y).all(|(p, q)| p == q)
    }
}

/// Prefetches the bucket pointer of the symbol before the entry `a`'s suffix (an entry
/// read `AHEAD` entries before its turn; its text was prefetched `AHEAD` entries earlier).
#[inline(always)]
fn prefetch_bucket<T: Sym>(t: &[T], bkt: &[u32], a: u32) {
    if !T::FEW
        && let Some(c) = t.get(((a & POS) as usize).wrapping_sub(1))
    {
        prefetch(bkt, c.idx());
    }
}

/// The entry of the suffix `p` (`c` = its symbol `t[p]`, `s` = whether it is S-type):
/// its position and flags. The predecessor of an S-type suffix is S-type unless its
/// symbol is larger, that of an L-type suffix only if its symbol is smaller.
#[inline(always)]
fn entry<T: Sym>(t: &[T], p: usize, c: usize, s: bool) -> u32 {
    let pred_s = match p.checked_sub(1).and_then(|q| t.get(q)) {
        Some(b) => b.idx() < c || (s && b.idx() == c),
        None => true,
    };
    p as u32 | if pred_s { PRED_S } else { 0 } | if s { SELF_S } else { 0 }
}

/// Calls `f` on every LMS position (leftmost S-type: an S-type suffix whose predecessor
/// is L-type; S-type: smaller than the suffix after it), from the last to the first. The
/// types are computed on the fly from right to left; the last suffix is L-type (larger
/// than the empty suffix).
#[inline(always)]
fn lms_rev<T: Sym>(t: &[T], mut f: impl FnMut(usize)) {
    let n = t.len();
    // Type of suffix i + 1 while looking at suffix i.
    let mut s_next = false;
    for i in (0..n.saturating_sub(1)).rev() {
        let (a, b) = (t[i].idx(), t[i + 1].idx());
        let s = a < b || (a == b && s_next);
        if s_next && !s {
            f(i + 1);
        }
        s_next = s;
    }
}

/// Symbol counts of `t`.
fn counts<T: Sym>(t: &[T], k: usize, pf: bool) -> Vec<u32> {
    let mut c = vec![0u32; k];
    for (i, &x) in t.iter().enumerate() {
        if pf && let Some(y) = t.get(i + 2 * AHEAD) {
            prefetch(&c, y.idx());
        }
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

/// Induces the order of L-type then S-type suffixes from the LMS suffixes placed in `sa`
/// (entries with `SELF_S` and without `PRED_S`). With `FLAG`, marks the LMS suffixes with
/// `LMS_FLAG` on the way (other entries keep their flags); without, leaves plain positions.
///
/// No type array and no text read for an entry that induces nothing: each entry carries
/// its own type and its predecessor's (`entry`), so an entry of the L-type scan induces
/// its predecessor exactly when `PRED_S` is clear, and one of the S-type scan when it is
/// set. Only the inducing entries read the text (the predecessor's symbol for its bucket
/// and the one before it for the new entry's flags, usually in the same line).
/// `MODE` is `NEAR` (text and suffix array cached: no prefetch), `FAR` (the text read
/// of each inducing entry prefetched) or `FAR_NAMES` (many names: their bucket pointers
/// prefetched too).
fn induce<T: Sym, const FLAG: bool, const MODE: u8>(
    t: &[T],
    sa: &mut [u32],
    cnt: &[u32],
    bkt: &mut Vec<u32>,
) {
    let n = t.len();
    // The text a scan will read for an entry: its predecessor's symbol when the entry
    // induces (`want` is the value of `PRED_S` that does), else the first byte (cached),
    // so that no prefetch is wasted. Branch-free: the mask is all ones exactly when
    // `PRED_S` is as wanted (an `EMPTY` entry or position 0 then gives an index out of
    // bounds, which `prefetch` ignores).
    let target = |a: u32, want: u32| -> usize {
        let keep = (((a ^ want) & PRED_S) >> 30).wrapping_sub(1);
        ((a & POS).wrapping_sub(1) & keep) as usize
    };
    buckets(cnt, false, bkt);
    // The suffix n-1 is L-type and first in its bucket (its successor is the empty suffix).
    let c = t[n - 1].idx();
    sa[bkt[c] as usize] = entry(t, n - 1, c, false);
    bkt[c] += 1;
    for i in 0..n {
        // The text read for an entry is random: prefetch it some entries ahead (and,
        // for large alphabets, its bucket pointer half as far ahead).
        if MODE == FAR {
            if let Some(&a) = sa.get(i + AHEAD) {
                prefetch(t, target(a, 0));
            }
        } else if MODE == FAR_NAMES {
            if let Some(&a) = sa.get(i + 2 * AHEAD) {
                prefetch(t, target(a, 0));
            }
            if let Some(&a) = sa.get(i + AHEAD)
                && a != EMPTY
                && a & PRED_S == 0
            {
                prefetch_bucket(t, bkt, a);
            }
        }
        let j = sa[i];
        // Induce the L-type predecessor (position 0 carries `PRED_S`: never here).
        if j != EMPTY && j & PRED_S == 0 {
            let p = ((j & POS) as usize).wrapping_sub(1);
            let c = t[p].idx();
            sa[bkt[c] as usize] = entry(t, p, c, false);
            bkt[c] += 1;
        }
    }
    buckets(cnt, true, bkt);
    for i in (0..n).rev() {
        if MODE == FAR {
            if let Some(&a) = i.checked_sub(AHEAD).and_then(|k| sa.get(k)) {
                prefetch(t, target(a, PRED_S));
            }
        } else if MODE == FAR_NAMES {
            if let Some(&a) = i.checked_sub(2 * AHEAD).and_then(|k| sa.get(k)) {
                prefetch(t, target(a, PRED_S));
            }
            if let Some(&a) = i.checked_sub(AHEAD).and_then(|k| sa.get(k))
                && a != EMPTY
                && a & PRED_S != 0
            {
                prefetch_bucket(t, bkt, a);
            }
        }
        let j = sa[i];
        if j == EMPTY {
            continue;
        }
        let pos = j & POS;
        if j & PRED_S != 0 {
            // Induce the S-type predecessor (none for position 0).
            if let Some(p) = (pos as usize).checked_sub(1) {
                let c = t[p].idx();
                bkt[c] -= 1;
                sa[bkt[c] as usize] = entry(t, p, c, true);
            }
        } else if FLAG && j & SELF_S != 0 {
            sa[i] = pos | LMS_FLAG;
        }
        if !FLAG {
            sa[i] = pos;
        }
    }
}

/// Sorts the suffixes of `t` (symbols `< k`, `t.len() < 2^31`) into `sa`
/// (`sa.len() == t.len()`).
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
    // Bucket arrays beyond the L2 cache: prefetch their random accesses.
    let pf = !T::FEW && k > PF_NAMES;
    let mode = if pf {
        FAR_NAMES
    } else if n > NEAR_LEN {
        FAR
    } else {
        NEAR
    };
    let cnt = counts(t, k, pf);
    let mut bkt = Vec::new();
    // 1. LMS suffixes at the ends of their buckets, then one induced sort: the LMS
    //    substrings come out sorted, and flagged.
    sa.fill(EMPTY);
    buckets(&cnt, true, &mut bkt);
    let mut m = 0usize;
    lms_rev(t, |i| {
        if pf && let Some(y) = i.checked_sub(2 * AHEAD).and_then(|k| t.get(k)) {
            prefetch(&bkt, y.idx());
        }
        let c = t[i].idx();
        bkt[c] -= 1;
        sa[bkt[c] as usize] = i as u32 | SELF_S;
        m += 1;
    });
    match mode {
        NEAR => induce::<T, true, NEAR>(t, sa, &cnt, &mut bkt),
        FAR => induce::<T, true, FAR>(t, sa, &cnt, &mut bkt),
        _ => induce::<T, true, FAR_NAMES>(t, sa, &cnt, &mut bkt),
    }
    if m == 0 {
        // No LMS suffix: the induced sort above already ordered everything (flags off).
        for v in sa.iter_mut() {
            *v &= POS;
        }
        return;
    }
    // 2. Compact the sorted LMS positions into sa[..m] (a sequential scan of the flags).
    let mut w = 0usize;
    for i in 0..n {
        let v = sa[i];
        if v != EMPTY && v & LMS_FLAG != 0 {
            sa[w] = v & POS;
            w += 1;
        }
    }
    debug_assert_eq!(w, m);
    // 3. Name the LMS substrings: their lengths (to the next LMS position, inclusive; 0
    //    for the last one, which runs into the end of the text and equals no other) go to
    //    sa[m + pos / 2] (LMS positions are at least 2 apart and m <= n / 2); two
    //    substrings are equal exactly when their lengths and symbols are (the types follow
    //    from the symbols and the final LMS type).
    sa[m..].fill(EMPTY);
    let mut next = 0usize;
    lms_rev(t, |i| {
        sa[m + i / 2] = if next == 0 { 0 } else { (next - i + 1) as u32 };
        next = i;
    });
    let mut name = 0u32;
    let (mut prev, mut prev_len) = (0usize, 0usize);
    for i in 0..m {
        if let Some(&a) = sa.get(i + AHEAD).filter(|_| i + AHEAD < m) {
            prefetch(t, a as usize);
            prefetch(sa, m + a as usize / 2);
        }
        let pos = sa[i] as usize;
        let len = sa[m + pos / 2] as usize;
        if i == 0 || len != prev_len || len == 0 || !T::run_eq(t, pos, prev, len) {
            name += 1;
        }
        (prev, prev_len) = (pos, len);
        sa[m + pos / 2] = name - 1;
    }
    // 4. Order the LMS suffixes: if all names differ, sa[..m] (sorted by LMS substring)
    //    is already their order; else sort the reduced string of names (kept in order at
    //    the end of `sa`) into sa[..m], then map its ranks back to the LMS positions.
    if (name as usize) < m {
        let mut w = n;
        for i in (m..n).rev() {
            let v = sa[i];
            if v != EMPTY {
                w -= 1;
                sa[w] = v;
            }
        }
        let (head, s1) = sa.split_at_mut(n - m);
        sais::<u32>(s1, &mut head[..m], name as usize);
        // The reduced string is no longer needed: its storage takes the LMS positions in
        // text order.
        let mut w = m;
        lms_rev(t, |i| {
            w -= 1;
            s1[w] = i as u32;
        });
        for i in 0..m {
            if let Some(&a) = head.get(i + AHEAD).filter(|_| i + AHEAD < m) {
                prefetch(s1, a as usize);
            }
            head[i] = s1[head[i] as usize];
        }
    }
    // 5. Place the sorted LMS suffixes at the ends of their buckets, in order, and induce.
    sa[m..].fill(EMPTY);
    buckets(&cnt, true, &mut bkt);
    for i in (0..m).rev() {
        if let Some(&a) = i.checked_sub(2 * AHEAD).and_then(|k| sa.get(k)) {
            prefetch(t, a as usize);
        }
        if pf && let Some(&a) = i.checked_sub(AHEAD).and_then(|k| sa.get(k)) {
            prefetch_bucket(t, &bkt, a + 1);
        }
        let j = sa[i];
        sa[i] = EMPTY;
        let c = t[j as usize].idx();
        bkt[c] -= 1;
        sa[bkt[c] as usize] = j | SELF_S;
    }
    match mode {
        NEAR => induce::<T, false, NEAR>(t, sa, &cnt, &mut bkt),
        FAR => induce::<T, false, FAR>(t, sa, &cnt, &mut bkt),
        _ => induce::<T, false, FAR_NAMES>(t, sa, &cnt, &mut bkt),
    }
}

/// The suffix array of `t` in `sa` (resized to the length sorted: `t.len()`, or only the
/// first `MAX_LEN` bytes of a longer text; the LCP finder's chunks are far shorter).
pub(crate) fn suffix_array(t: &[u8], sa: &mut Vec<u32>) {
    let t = &t[..t.len().min(MAX_LEN)];
    sa.clear();
    sa.resize(t.len(), 0);
    sais(t, sa, 256);
}

/// The permuted LCP array: `plcp[p]` = length of the common prefix (at most `cap`) of the
/// suffix at `p` and the suffix ranked just before it (0 for the first-ranked suffix).
/// Test and timing reference only: the LCP-interval build compares adjacent suffixes
/// directly.
#[cfg(test)]
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
        // Periodic texts (the reduced problems recurse several levels), runs, and Fibonacci
        // words (every level reduces to another Fibonacci word).
        for period in 1..=9usize {
            for len in [period * 3 + 1, 257, 1031] {
                cases.push((0..len).map(|i| (i % period * 37) as u8).collect());
            }
        }
        let mut runs = Vec::new();
        for r in 0..200usize {
            let b = (rng(&mut seed) % 4) as u8 * 60;
            runs.extend(std::iter::repeat_n(b, 1 + r % 13));
        }
        cases.push(runs);
        let (mut a, mut b) = (b"a".to_vec(), b"ab".to_vec());
        while b.len() < 3000 {
            let c = [b.as_slice(), a.as_slice()].concat();
            (a, b) = (b, c);
        }
        cases.push(b);
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

    /// Larger texts (too slow for the naive sort): the suffix array is a permutation and
    /// each suffix is smaller than the next one.
    #[test]
    fn large_texts_are_sorted() {
        let mut seed = 0x0bad_cafe_dead_beefu64;
        let n = 200_000usize;
        let mut cases: Vec<Vec<u8>> = Vec::new();
        // All 256 byte values, uniformly random.
        cases.push((0..n).map(|_| rng(&mut seed) as u8).collect());
        // Skewed small alphabet (long equal LMS substrings, a recursion of several levels).
        cases.push(
            (0..n)
                .map(|_| (rng(&mut seed) % 1000 / 990) as u8)
                .collect(),
        );
        // Blocks copied from earlier with mutations (like real data), and a long run.
        let mut v: Vec<u8> = (0..4096).map(|_| rng(&mut seed) as u8).collect();
        while v.len() < n {
            let s = rng(&mut seed) as usize % (v.len() - 64);
            let l = 8 + rng(&mut seed) as usize % 200;
            v.extend_from_within(s..(s + l).min(v.len()));
            let x = rng(&mut seed) as u8;
            v.push(x);
        }
        v.extend(std::iter::repeat_n(0u8, 5000));
        cases.push(v);
        // Periodic with period 1000 and a change near the end.
        let mut p: Vec<u8> = (0..n).map(|i| (i % 1000 % 251) as u8).collect();
        p[n - 10] ^= 1;
        cases.push(p);
        for t in &cases {
            let mut sa = Vec::new();
            suffix_array(t, &mut sa);
            let mut seen = vec![false; t.len()];
            for &p in &sa {
                assert!(!seen[p as usize]);
                seen[p as usize] = true;
            }
            for w in sa.windows(2) {
                assert!(t[w[0] as usize..] < t[w[1] as usize..]);
            }
        }
    }
}
