//! Hash-chain match finder (codecs.md §6.1): cheap inserts, good for greedy/lazy parsing.

use super::{Match, MatchFinder, NIL, SearchParams, extend, hash_bits_for, hash3};

/// Hash chains over 3-byte hashes.
#[derive(Debug, Clone)]
pub(crate) struct HashChain {
    bits: u32,
    head: Vec<u32>,
    prev: Vec<u32>,
}

impl HashChain {
    /// A finder for buffers of up to `capacity` bytes.
    pub(crate) fn new(capacity: usize) -> Self {
        let bits = hash_bits_for(capacity);
        HashChain {
            bits,
            head: vec![NIL; 1 << bits],
            prev: vec![NIL; capacity],
        }
    }

    /// Bytes of memory for a capacity.
    pub(crate) fn memory(capacity: usize) -> usize {
        (4usize << hash_bits_for(capacity)) + 4 * capacity
    }

    /// Longest match only (greedy/lazy parsers); inserts `pos`. Returns (len, offset) with
    /// len 0 when nothing of length >= `min_len` was found.
    #[inline]
    pub(crate) fn longest(
        &mut self,
        data: &[u8],
        pos: usize,
        p: &SearchParams,
        min_len: usize,
    ) -> (usize, usize) {
        let n = data.len();
        if pos + 3 > n {
            return (0, 0);
        }
        let h = hash3(data, pos, self.bits);
        let Some(slot) = self.head.get_mut(h) else {
            return (0, 0);
        };
        let mut cur = *slot;
        *slot = pos as u32;
        if let Some(pp) = self.prev.get_mut(pos) {
            *pp = cur;
        }
        let limit = p.max_len.min(n - pos);
        let mut best = min_len.saturating_sub(1);
        let mut best_off = 0;
        let mut depth = p.max_depth;
        while cur != NIL && depth > 0 {
            let c = cur as usize;
            if pos - c > p.max_offset {
                break;
            }
            depth -= 1;
            if best < limit && data.get(c + best) == data.get(pos + best) {
                let len = extend(data, c, pos, 0, limit);
                if len > best {
                    best = len;
                    best_off = pos - c;
                    if len >= p.nice_len || len >= limit {
                        break;
                    }
                }
            }
            cur = self.prev.get(c).copied().unwrap_or(NIL);
        }
        if best_off == 0 {
            (0, 0)
        } else {
            (best, best_off)
        }
    }
}

impl MatchFinder for HashChain {
    fn reset(&mut self, len: usize) {
        debug_assert!(len <= self.prev.len());
        self.head.fill(NIL);
    }

    fn find(&mut self, data: &[u8], pos: usize, p: &SearchParams, out: &mut Vec<Match>) -> usize {
        let n = data.len();
        if pos + 3 > n {
            return 0;
        }
        let h = hash3(data, pos, self.bits);
        let Some(slot) = self.head.get_mut(h) else {
            return 0;
        };
        let mut cur = *slot;
        *slot = pos as u32;
        if let Some(pp) = self.prev.get_mut(pos) {
            *pp = cur;
        }
        let limit = p.max_len.min(n - pos);
        let mut best = 2usize;
        let mut depth = p.max_depth;
        while cur != NIL && depth > 0 {
            let c = cur as usize;
            if pos - c > p.max_offset {
                break;
            }
            depth -= 1;
            if best < limit && data.get(c + best) == data.get(pos + best) {
                let len = extend(data, c, pos, 0, limit);
                if len > best {
                    best = len;
                    out.push(Match {
                        len: len as u32,
                        offset: (pos - c) as u32,
                    });
                    if len >= p.nice_len || len >= limit {
                        break;
                    }
                }
            }
            cur = self.prev.get(c).copied().unwrap_or(NIL);
        }
        if best > 2 { best } else { 0 }
    }

    fn skip(&mut self, data: &[u8], pos: usize, _p: &SearchParams) {
        if pos + 3 > data.len() {
            return;
        }
        let h = hash3(data, pos, self.bits);
        if let Some(slot) = self.head.get_mut(h) {
            let cur = *slot;
            *slot = pos as u32;
            if let Some(pp) = self.prev.get_mut(pos) {
                *pp = cur;
            }
        }
    }
}
