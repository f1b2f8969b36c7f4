//! Binary-tree match finder for the LZX near-optimal parser, without bounds checks.
//!
//! Same algorithm, same reports and same tree as [`crate::matchfinder::binary_tree`] (its
//! safe twin, used with the `safe-only` feature; the tests compare both): one descent per
//! position finds every progressively longer match and re-roots the bucket's tree at the
//! current position. The walk reads `data` and the child links unchecked; every index is
//! proven in range by the invariants noted at each `unsafe` block:
//! - `data.len() <= capacity` (checked on entry) and `child.len() == 2 * capacity`;
//! - a node `c` is only followed while `c < pos` (stale or absent links, including
//!   [`NIL`], end the walk), so `2c + 1 < 2 * capacity` and `c + k < pos + k`;
//! - bytes are read at `pos + k` only for `k < limit <= data.len() - pos`.

use crate::matchfinder::{
    Heads, Match, MatchFinder, NIL, SearchParams, extend, hash_bits_for, hash3,
};

/// Binary trees of suffixes, one tree per 3-byte hash bucket.
#[derive(Debug, Clone)]
pub(crate) struct LzxBinaryTree {
    bits: u32,
    head: Heads,
    /// `child[2p]`: subtree of suffixes smaller than p's; `child[2p+1]`: greater.
    child: Vec<u32>,
}

/// Common prefix length of `data[a..]` and `data[b..]` from `start` up to `limit`.
///
/// # Safety
/// `a < b` and `b + limit <= data.len()`.
#[inline(always)]
unsafe fn extend_unchecked(data: &[u8], a: usize, b: usize, start: usize, limit: usize) -> usize {
    let p = data.as_ptr();
    let mut len = start;
    while len + 8 <= limit {
        // SAFETY: a + len + 8 < b + len + 8 <= b + limit <= data.len() (caller's contract).
        let (x, y) = unsafe {
            (
                p.add(a + len).cast::<u64>().read_unaligned(),
                p.add(b + len).cast::<u64>().read_unaligned(),
            )
        };
        let d = x ^ y;
        if d != 0 {
            return len + (u64::from_le(d).trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    // SAFETY: len < limit, so a + len < b + len < b + limit <= data.len().
    while len < limit && unsafe { *p.add(a + len) == *p.add(b + len) } {
        len += 1;
    }
    len
}

impl LzxBinaryTree {
    /// A finder for buffers of up to `capacity` bytes.
    pub(crate) fn new(capacity: usize) -> Self {
        let bits = hash_bits_for(capacity) - 1;
        LzxBinaryTree {
            bits,
            head: Heads::new(bits, capacity),
            child: vec![NIL; 2 * capacity],
        }
    }

    #[inline(always)]
    fn search<const REPORT: bool>(
        &mut self,
        data: &[u8],
        pos: usize,
        p: &SearchParams,
        out: &mut Vec<Match>,
    ) -> usize {
        let n = data.len();
        if pos + 3 > n || 2 * n > self.child.len() {
            return 0;
        }
        let h = hash3(data, pos, self.bits);
        let mut cur = self.head.replace(h, pos) as usize;
        let tree_limit = p.nice_len.min(p.max_len).min(n - pos);
        // Valid nodes: lowest <= c < pos.
        let lowest = pos.saturating_sub(p.max_offset);
        let span = pos - lowest;
        let child = self.child.as_mut_ptr();
        let d = data.as_ptr();
        let mut left_slot = 2 * pos;
        let mut right_slot = 2 * pos + 1;
        let (mut len_l, mut len_r) = (0usize, 0usize);
        let mut best = 2usize;
        let mut best_off = 0usize;
        let mut depth = p.max_depth;
        loop {
            if cur.wrapping_sub(lowest) >= span || depth == 0 {
                // SAFETY: both slots are 2q or 2q+1 of a node q <= pos < n, and
                // child.len() >= 2n.
                unsafe {
                    *child.add(left_slot) = NIL;
                    *child.add(right_slot) = NIL;
                }
                break;
            }
            depth -= 1;
            let c = cur;
            let start = len_l.min(len_r);
            // SAFETY: c < pos and pos + tree_limit <= n.
            let len = unsafe { extend_unchecked(data, c, pos, start, tree_limit) };
            if len > best {
                best = len;
                best_off = pos - c;
                if REPORT {
                    out.push(Match {
                        len: len as u32,
                        offset: best_off as u32,
                    });
                }
            }
            if len >= tree_limit {
                // Equal up to the limit: pos replaces c in the tree.
                // SAFETY: c < pos < n, so 2c + 1 < 2n <= child.len(); the slots as above.
                unsafe {
                    *child.add(left_slot) = *child.add(2 * c);
                    *child.add(right_slot) = *child.add(2 * c + 1);
                }
                break;
            }
            // SAFETY: len < tree_limit <= n - pos, so c + len < pos + len < n.
            let (a, b) = unsafe { (*d.add(c + len), *d.add(pos + len)) };
            // SAFETY: slots as above; 2c + 1 < child.len() since c < pos < n.
            unsafe {
                if a < b {
                    *child.add(left_slot) = cur as u32;
                    left_slot = 2 * c + 1;
                    cur = *child.add(left_slot) as usize;
                    len_l = len;
                } else {
                    *child.add(right_slot) = cur as u32;
                    right_slot = 2 * c;
                    cur = *child.add(right_slot) as usize;
                    len_r = len;
                }
            }
        }
        // Extend the longest match past the tree limit.
        let limit = p.max_len.min(n - pos);
        if best_off != 0 && best >= tree_limit && limit > best {
            best = extend(data, pos - best_off, pos, best, limit);
            if REPORT && let Some(m) = out.last_mut() {
                m.len = best as u32;
            }
        }
        if best_off == 0 { 0 } else { best }
    }
}

impl MatchFinder for LzxBinaryTree {
    fn reset(&mut self, _len: usize) {
        self.head.reset();
    }

    fn find(&mut self, data: &[u8], pos: usize, p: &SearchParams, out: &mut Vec<Match>) -> usize {
        self.search::<true>(data, pos, p, out)
    }

    fn skip(&mut self, data: &[u8], pos: usize, p: &SearchParams) {
        let mut none = Vec::new();
        self.search::<false>(data, pos, p, &mut none);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matchfinder::binary_tree::BinaryTree;

    /// The unchecked finder reports exactly what its safe twin reports.
    #[test]
    fn same_matches_as_safe_twin() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut data = Vec::new();
        for i in 0..70_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data.push(match i % 5000 {
                0..=999 => b"abcabdabeabcabc"[(x % 15) as usize],
                1000..=1999 => 0,
                _ => (x >> 24) as u8 % 7,
            });
        }
        for (cap, nice, depth) in [
            (65536usize, 48usize, 24u32),
            (131_072, 257, 64),
            (32768, 8, 2),
        ] {
            let p = SearchParams {
                max_len: 257,
                nice_len: nice,
                max_depth: depth,
                max_offset: cap - 3,
            };
            let mut fast = LzxBinaryTree::new(cap);
            let mut safe = BinaryTree::new(cap);
            // Several buffers in a row (stale links from the previous one).
            for chunk in data.chunks(cap.min(40_000)) {
                let chunk = &chunk[..chunk.len().min(cap)];
                fast.reset(chunk.len());
                safe.reset(chunk.len());
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for pos in 0..chunk.len() {
                    if pos % 7 == 3 {
                        fast.skip(chunk, pos, &p);
                        safe.skip(chunk, pos, &p);
                        continue;
                    }
                    a.clear();
                    b.clear();
                    let la = fast.find(chunk, pos, &p, &mut a);
                    let lb = safe.find(chunk, pos, &p, &mut b);
                    assert_eq!((la, &a), (lb, &b), "pos {pos}");
                }
            }
        }
    }
}
