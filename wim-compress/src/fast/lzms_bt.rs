//! The LZMS binary-tree match finder's descent without bounds checks.
//!
//! Same algorithm, same reports and same tree as `BtFinder::visit_safe` in
//! `lzms/matchfinder.rs` (its safe twin, used with the `safe-only` feature; the tests
//! compare both). Every index is proven in range by these invariants:
//! - `child.len() >= 2 * d.len()` and `cur < d.len()` (checked on entry);
//! - a node `m` is only followed while `m < cur` (absent links, [`NIL`] included, end the
//!   walk; the safe twin ends on `NIL` only, which is the same walk because the tree
//!   holds earlier positions only), so `2m + 1 < 2 * d.len()`;
//! - bytes are read at `cur + k` and `m + k` only for `k < max_len <= d.len() - cur`.

use super::matchfinder::{NIL, hash3};

/// Common prefix length of `d[a..]` and `d[b..]` from `start` up to `max`.
///
/// # Safety
/// `a < b` and `b + max <= d.len()`.
#[inline(always)]
unsafe fn extend_unchecked(d: &[u8], a: usize, b: usize, start: usize, max: usize) -> usize {
    let p = d.as_ptr();
    let mut len = start;
    while len + 8 <= max {
        // SAFETY: a + len + 8 < b + len + 8 <= b + max <= d.len() (caller's contract).
        let (x, y) = unsafe {
            (
                p.add(a + len).cast::<u64>().read_unaligned(),
                p.add(b + len).cast::<u64>().read_unaligned(),
            )
        };
        let z = x ^ y;
        if z != 0 {
            return len + (u64::from_le(z).trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    // SAFETY: len < max, so a + len < b + len < b + max <= d.len().
    while len < max && unsafe { *p.add(a + len) == *p.add(b + len) } {
        len += 1;
    }
    len
}

/// Visits position `cur` (see `BtFinder::visit`): reports the progressively longer
/// matches `(length, offset)` (≥ 3, ≤ `nice`) in `out` when `RECORD`, searching at most
/// `depth` nodes, and re-roots the bucket's tree at `cur`. Returns false (having done
/// nothing) if the arguments break the invariants above; the caller then uses the safe
/// twin.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn visit<const RECORD: bool>(
    head: &mut [u32],
    child: &mut [u32],
    hash_shift: u32,
    cur: usize,
    d: &[u8],
    depth: u32,
    nice: usize,
    out: &mut Vec<(u32, u32)>,
) -> bool {
    let n = d.len();
    if cur >= n || child.len() < 2 * n || cur > NIL as usize {
        return false;
    }
    if n - cur < 3 {
        return true;
    }
    let max_len = nice.min(n - cur);
    let h = hash3(d, cur, hash_shift);
    let Some(slot) = head.get_mut(h) else {
        return false;
    };
    let mut m = *slot as usize;
    *slot = cur as u32;
    if n - cur >= 4 {
        let h2 = hash3(d, cur + 1, hash_shift);
        super::prefetch::prefetch(head, h2);
        super::prefetch::prefetch(child, 2 * m);
    }
    let ch = child.as_mut_ptr();
    let dp = d.as_ptr();
    let mut lt_slot = 2 * cur;
    let mut gt_slot = 2 * cur + 1;
    let mut lt_len = 0usize;
    let mut gt_len = 0usize;
    let mut best = 2usize;
    let mut depth = depth;
    loop {
        if m >= cur || depth == 0 {
            // SAFETY: both slots are 2q or 2q + 1 of a node q <= cur < n, and
            // child.len() >= 2n.
            unsafe {
                *ch.add(lt_slot) = NIL;
                *ch.add(gt_slot) = NIL;
            }
            return true;
        }
        // SAFETY: m < cur and cur + max_len <= n.
        let len = unsafe { extend_unchecked(d, m, cur, lt_len.min(gt_len), max_len) };
        if len > best {
            best = len;
            if RECORD {
                out.push((len as u32, (cur - m) as u32));
            }
            if len >= max_len {
                // SAFETY: m < cur < n, so 2m + 1 < 2n <= child.len(); slots as above.
                unsafe {
                    *ch.add(lt_slot) = *ch.add(2 * m);
                    *ch.add(gt_slot) = *ch.add(2 * m + 1);
                }
                return true;
            }
        }
        // SAFETY: if len < max_len, then m + len < cur + len < cur + max_len <= n.
        let less = len < max_len && unsafe { *dp.add(m + len) < *dp.add(cur + len) };
        // SAFETY: slots as above; 2m + 1 < child.len() since m < cur < n.
        unsafe {
            if less {
                *ch.add(lt_slot) = m as u32;
                lt_slot = 2 * m + 1;
                lt_len = len;
                m = *ch.add(lt_slot) as usize;
            } else {
                *ch.add(gt_slot) = m as u32;
                gt_slot = 2 * m;
                gt_len = len;
                m = *ch.add(gt_slot) as usize;
            }
        }
        depth -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::matchfinder::BtFinder;

    /// The unchecked descent reports the same matches and builds the same tree as its
    /// safe twin, searching and skipping, at several depths and nice lengths.
    #[test]
    fn same_matches_and_tree_as_safe_twin() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut data = Vec::new();
        for i in 0..40_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data.push(match i % 5000 {
                0..=999 => b"abcabdabeabcabc"[(x % 15) as usize],
                1000..=1499 => 0,
                _ => (x >> 24) as u8 % 7,
            });
        }
        for (nice, depth) in [(63usize, 33u32), (255, 200), (16, 2), (3, 1)] {
            for len in [data.len(), 5, 3, 1] {
                let d = &data[..len];
                let (mut fast, mut safe) = (BtFinder::default(), BtFinder::default());
                fast.reset(d.len());
                safe.reset(d.len());
                let (mut a, mut b) = (Vec::new(), Vec::new());
                let mut reported = 0usize;
                for p in 0..d.len() {
                    a.clear();
                    b.clear();
                    if p % 7 == 3 {
                        fast.visit::<false>(d, depth, nice, &mut a);
                        safe.visit_safe::<false>(d, depth, nice, &mut b);
                    } else {
                        fast.visit::<true>(d, depth, nice, &mut a);
                        safe.visit_safe::<true>(d, depth, nice, &mut b);
                    }
                    assert_eq!(a, b, "matches at {p} (nice {nice}, depth {depth})");
                    reported += a.len();
                    assert_eq!(fast.next, safe.next);
                }
                assert_eq!(fast.child, safe.child, "tree (nice {nice}, depth {depth})");
                assert_eq!(fast.head, safe.head);
                if len == data.len() {
                    assert!(reported > 10_000, "too few matches to compare: {reported}");
                }
            }
        }
    }
}
