//! Binary-tree match finder (codecs.md §6.1): one descent per position finds every
//! progressively longer match and re-roots the tree at the current position.

use super::{Heads, Match, MatchFinder, NIL, SearchParams, extend, hash_bits_for, hash3};

/// Binary trees of suffixes, one tree per 3-byte hash bucket.
#[derive(Debug, Clone)]
pub(crate) struct BinaryTree {
    bits: u32,
    head: Heads,
    /// `child[2p]`: subtree of suffixes smaller than p's; `child[2p+1]`: greater.
    child: Vec<u32>,
}

impl BinaryTree {
    /// A finder for buffers of up to `capacity` bytes. (Outside `safe-only` builds the
    /// LZX encoder uses its unchecked twin `fast::lzx_bt`; this one stays its reference.)
    #[cfg_attr(not(feature = "safe-only"), allow(dead_code))]
    pub(crate) fn new(capacity: usize) -> Self {
        // One bit narrower than the hash chains' table: the tree sorts each bucket anyway,
        // and a smaller table misses the cache less.
        let bits = hash_bits_for(capacity) - 1;
        BinaryTree {
            bits,
            head: Heads::new(bits, capacity),
            child: vec![NIL; 2 * capacity],
        }
    }

    /// Bytes of memory for a capacity.
    pub(crate) fn memory(capacity: usize) -> usize {
        (2usize << hash_bits_for(capacity)) + 8 * capacity
    }

    #[inline(always)]
    fn set(&mut self, slot: usize, v: u32) {
        if let Some(s) = self.child.get_mut(slot) {
            *s = v;
        }
    }

    #[inline(always)]
    fn get(&self, slot: usize) -> u32 {
        self.child.get(slot).copied().unwrap_or(NIL)
    }

    #[inline(always)]
    fn search(
        &mut self,
        data: &[u8],
        pos: usize,
        p: &SearchParams,
        mut out: Option<&mut Vec<Match>>,
    ) -> usize {
        let n = data.len();
        if pos + 3 > n {
            return 0;
        }
        let h = hash3(data, pos, self.bits);
        let mut cur = self.head.replace(h, pos);
        let tree_limit = p.nice_len.min(p.max_len).min(n - pos);
        let mut left_slot = 2 * pos; // where the next "smaller" node hangs
        let mut right_slot = 2 * pos + 1;
        let (mut len_l, mut len_r) = (0usize, 0usize);
        let mut best = 2usize;
        let mut best_off = 0usize;
        let mut depth = p.max_depth;
        loop {
            if cur == NIL || depth == 0 || pos - cur as usize > p.max_offset {
                self.set(left_slot, NIL);
                self.set(right_slot, NIL);
                break;
            }
            depth -= 1;
            let c = cur as usize;
            let start = len_l.min(len_r);
            let len = extend(data, c, pos, start, tree_limit);
            if len > best {
                best = len;
                best_off = pos - c;
                if let Some(o) = out.as_deref_mut() {
                    o.push(Match {
                        len: len as u32,
                        offset: best_off as u32,
                    });
                }
            }
            if len >= tree_limit {
                // Equal up to the limit: pos replaces c in the tree.
                let l = self.get(2 * c);
                let r = self.get(2 * c + 1);
                self.set(left_slot, l);
                self.set(right_slot, r);
                break;
            }
            let a = data.get(c + len).copied().unwrap_or(0);
            let b = data.get(pos + len).copied().unwrap_or(0);
            if a < b {
                self.set(left_slot, cur);
                left_slot = 2 * c + 1;
                cur = self.get(left_slot);
                len_l = len;
            } else {
                self.set(right_slot, cur);
                right_slot = 2 * c;
                cur = self.get(right_slot);
                len_r = len;
            }
        }
        // Extend the longest match past the tree limit.
        let limit = p.max_len.min(n - pos);
        if best_off != 0 && best >= tree_limit && limit > best {
            best = extend(data, pos - best_off, pos, best, limit);
            if let Some(m) = out.and_then(|o| o.last_mut()) {
                m.len = best as u32;
            }
        }
        if best_off == 0 { 0 } else { best }
    }
}

impl MatchFinder for BinaryTree {
    fn reset(&mut self, len: usize) {
        debug_assert!(2 * len <= self.child.len());
        self.head.reset();
    }

    fn find(&mut self, data: &[u8], pos: usize, p: &SearchParams, out: &mut Vec<Match>) -> usize {
        self.search(data, pos, p, Some(out))
    }

    fn skip(&mut self, data: &[u8], pos: usize, p: &SearchParams) {
        self.search(data, pos, p, None);
    }
}
