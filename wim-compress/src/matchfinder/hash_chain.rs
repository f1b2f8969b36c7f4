//! Hash-chain match finder (codecs.md §6.1): cheap inserts, good for greedy/lazy parsing.
//!
//! Chains link positions with the same 4-byte hash, so nearly every candidate walked shares
//! at least 4 bytes with the current position; length-3 matches come from a separate
//! single-entry table of the most recent position per 3-byte hash.

use super::{Heads, Match, MatchFinder, NIL, SearchParams, extend, hash_bits_for, hash3, hash4};

/// Hash chains over 4-byte hashes plus a 3-byte most-recent table.
#[derive(Debug, Clone)]
pub(crate) struct HashChain {
    bits: u32,
    head3: Heads,
    head4: Heads,
    prev: Vec<u32>,
}

#[inline(always)]
fn load4(data: &[u8], i: usize) -> u32 {
    match data.get(i..i + 4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

impl HashChain {
    /// A finder for buffers of up to `capacity` bytes.
    pub(crate) fn new(capacity: usize) -> Self {
        let bits = hash_bits_for(capacity) - 1;
        HashChain {
            bits,
            head3: Heads::new(bits - 1, capacity),
            head4: Heads::new(bits, capacity),
            prev: vec![NIL; capacity],
        }
    }

    /// Bytes of memory for a capacity.
    pub(crate) fn memory(capacity: usize) -> usize {
        (3usize << hash_bits_for(capacity)) + 4 * capacity
    }

    /// Inserts `pos` into both tables; returns (most recent 3-byte candidate, chain head).
    #[inline(always)]
    fn insert(&mut self, data: &[u8], pos: usize) -> (u32, u32) {
        let c3 = self.head3.replace(hash3(data, pos, self.bits - 1), pos);
        if pos + 4 > data.len() {
            return (c3, NIL);
        }
        let c4 = self.head4.replace(hash4(data, pos, self.bits), pos);
        if let Some(pp) = self.prev.get_mut(pos) {
            *pp = c4;
        }
        (c3, c4)
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
        let (c3, mut cur) = self.insert(data, pos);
        let limit = p.max_len.min(n - pos);
        let mut best = min_len.max(3) - 1;
        let mut best_off = 0;
        // Length-3 candidate (only useful when nothing longer turns up).
        if best < 3 && c3 != NIL && pos - c3 as usize <= p.max_offset {
            let c = c3 as usize;
            if data.get(c..c + 3) == data.get(pos..pos + 3) {
                best = extend(data, c, pos, 3, limit);
                best_off = pos - c;
                if best >= p.nice_len || best >= limit {
                    return (best, best_off);
                }
            }
        }
        if limit < 4 {
            return if best_off == 0 {
                (0, 0)
            } else {
                (best, best_off)
            };
        }
        let first4 = load4(data, pos);
        let mut depth = p.max_depth;
        while cur != NIL && depth > 0 {
            let c = cur as usize;
            if pos - c > p.max_offset {
                break;
            }
            depth -= 1;
            // The byte just past the current best must match, and the first 4 bytes.
            if data.get(c + best) == data.get(pos + best) && load4(data, c) == first4 {
                let len = extend(data, c, pos, 4, limit);
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
        self.head3.reset();
        self.head4.reset();
    }

    fn find(&mut self, data: &[u8], pos: usize, p: &SearchParams, out: &mut Vec<Match>) -> usize {
        let n = data.len();
        if pos + 3 > n {
            return 0;
        }
        let (c3, mut cur) = self.insert(data, pos);
        let limit = p.max_len.min(n - pos);
        let mut best = 2usize;
        if c3 != NIL && pos - c3 as usize <= p.max_offset {
            let c = c3 as usize;
            if data.get(c..c + 3) == data.get(pos..pos + 3) {
                let len = extend(data, c, pos, 3, limit);
                best = len;
                out.push(Match {
                    len: len as u32,
                    offset: (pos - c) as u32,
                });
                if len >= p.nice_len || len >= limit {
                    return best;
                }
            }
        }
        if limit < 4 {
            return if best > 2 { best } else { 0 };
        }
        let first4 = load4(data, pos);
        let mut depth = p.max_depth;
        while cur != NIL && depth > 0 {
            let c = cur as usize;
            if pos - c > p.max_offset {
                break;
            }
            depth -= 1;
            // The byte just past the current best must match, and the first 4 bytes.
            if data.get(c + best) == data.get(pos + best) && load4(data, c) == first4 {
                let len = extend(data, c, pos, 4, limit);
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
        if pos + 4 > data.len() {
            if pos + 3 <= data.len() {
                self.insert(data, pos);
            }
            return;
        }
        self.insert(data, pos);
    }
}
