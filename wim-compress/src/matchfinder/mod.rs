//! LZ77 match finders shared by the encoders (codecs.md §6.1).
//!
//! API (crate-internal, also meant for the LZMS encoder):
//! - [`Match`] `{ len: u32, offset: u32 }`: a candidate, `offset >= 1` bytes back.
//! - [`SearchParams`] `{ max_len, nice_len, max_depth, max_offset }`: per-call limits.
//! - [`MatchFinder`] trait, implemented by [`hash_chain::HashChain`] (cheap, for greedy/lazy
//!   parsing) and [`binary_tree::BinaryTree`] (all progressively longer matches, for
//!   near-optimal parsing):
//!   - `reset(len)`: forget all history before a new buffer of `len` bytes (≤ the capacity
//!     given to `new`).
//!   - `find(data, pos, params, out) -> usize`: appends to `out` the matches at `pos`, in
//!     strictly increasing length order (offsets are the nearest found for each length),
//!     inserts `pos`, and returns the longest length found (0 if none). Every reported
//!     length is `>= 3`, `<= params.max_len` and `<= data.len() - pos`.
//!   - `skip(data, pos, params)`: inserts `pos` without reporting (call it for every
//!     position not passed to `find`, in increasing order).
//!
//! Positions must be visited in increasing order, each at most once (via `find` or `skip`),
//! starting after `reset`; a position never visited is simply never reported as a match
//! source (callers skip the inside of long matches this way). `data` must be the same buffer for every call between resets.
//! Memory: `HashChain` 4 bytes per position + 4·2^hash_bits; `BinaryTree` 8 bytes per
//! position + 4·2^hash_bits.

pub(crate) mod binary_tree;
pub(crate) mod bt16;
pub(crate) mod hash_chain;
pub(crate) mod hc16;
pub(crate) mod padded16;

/// One match candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Match {
    /// Length in bytes.
    pub len: u32,
    /// Distance back from the current position (>= 1).
    pub offset: u32,
}

/// Limits for one search.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SearchParams {
    /// Longest length to report (further bounded by the bytes left).
    pub max_len: usize,
    /// Stop searching once a match this long is found.
    pub nice_len: usize,
    /// Number of candidates to examine at most.
    pub max_depth: u32,
    /// Largest offset allowed.
    pub max_offset: usize,
}

/// A match finder over one buffer at a time; see the module documentation.
pub(crate) trait MatchFinder {
    /// Forgets all history before a new buffer of `len` bytes.
    fn reset(&mut self, len: usize);
    /// Reports the matches at `pos` into `out` and inserts `pos`; returns the longest length.
    fn find(&mut self, data: &[u8], pos: usize, p: &SearchParams, out: &mut Vec<Match>) -> usize;
    /// Inserts `pos` without searching.
    fn skip(&mut self, data: &[u8], pos: usize, p: &SearchParams);
}

/// After a match of at least the nice length, how many of its last positions the near-optimal
/// parsers still insert into the binary tree (the others are left out of it).
pub(crate) const LONG_MATCH_TAIL: usize = 16;

/// Sentinel for "no position".
pub(crate) const NIL: u32 = u32::MAX;

/// Hash of the 3 bytes at `pos` (`pos + 3 <= data.len()`), `bits` wide.
#[inline(always)]
pub(crate) fn hash3(data: &[u8], pos: usize, bits: u32) -> usize {
    let v = match data.get(pos..pos + 3) {
        Some(b) => u32::from(b[0]) | (u32::from(b[1]) << 8) | (u32::from(b[2]) << 16),
        None => 0,
    };
    (v.wrapping_mul(0x1E35_A7BD) >> (32 - bits)) as usize
}

/// The little-endian u64 at `i` (0 when fewer than 8 bytes remain).
#[inline(always)]
pub(crate) fn load_u64(data: &[u8], i: usize) -> u64 {
    match data.get(i..i + 8) {
        Some(b) => {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_le_bytes(a)
        }
        None => 0,
    }
}

/// Length of the common prefix of `data[a..]` and `data[b..]`, starting the comparison at
/// `start` and stopping at `limit` (`b + limit <= data.len()`, `a < b`).
#[inline(always)]
pub(crate) fn extend(data: &[u8], a: usize, b: usize, start: usize, limit: usize) -> usize {
    let mut len = start;
    while len + 8 <= limit {
        let x = load_u64(data, a + len) ^ load_u64(data, b + len);
        if x != 0 {
            return len + (x.trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    while len < limit && data.get(a + len) == data.get(b + len) {
        len += 1;
    }
    len
}

/// Hash of the 4 bytes at `pos` (`pos + 4 <= data.len()`), `bits` wide.
#[inline(always)]
pub(crate) fn hash4(data: &[u8], pos: usize, bits: u32) -> usize {
    let v = match data.get(pos..pos + 4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    };
    (v.wrapping_mul(0x1E35_A7BD) >> (32 - bits)) as usize
}

/// Generation-stamped hash-table heads: positions are stored as `pos + base`, and `reset`
/// moves `base` past every stored value instead of clearing the table (a 32 KiB chunk
/// would otherwise pay for clearing a table several times its size). Values below `base`
/// read as [`NIL`].
#[derive(Debug, Clone)]
pub(crate) struct Heads {
    tab: Vec<u32>,
    base: u32,
    /// Capacity of the buffers (the largest `pos + 1`).
    span: u32,
}

impl Heads {
    /// `2^bits` empty heads for buffers of up to `span` bytes.
    pub(crate) fn new(bits: u32, span: usize) -> Self {
        Heads {
            tab: vec![0; 1 << bits],
            base: 1,
            span: u32::try_from(span.max(1)).unwrap_or(u32::MAX),
        }
    }

    /// Forgets every stored position.
    pub(crate) fn reset(&mut self) {
        match self
            .base
            .checked_add(self.span)
            .filter(|b| b.checked_add(self.span).is_some())
        {
            Some(b) => self.base = b,
            None => {
                self.tab.fill(0);
                self.base = 1;
            }
        }
    }

    /// Stores `pos` in bucket `h` and returns the previous position there (or [`NIL`]).
    #[inline(always)]
    pub(crate) fn replace(&mut self, h: usize, pos: usize) -> u32 {
        let base = self.base;
        match self.tab.get_mut(h) {
            Some(slot) => {
                let old = *slot;
                *slot = pos as u32 + base;
                if old >= base { old - base } else { NIL }
            }
            None => NIL,
        }
    }
}

/// Hash-table width for a buffer capacity.
pub(crate) fn hash_bits_for(capacity: usize) -> u32 {
    let order = usize::BITS - capacity.max(1).leading_zeros();
    order.clamp(12, 17)
}

#[cfg(test)]
mod tests {
    use super::binary_tree::BinaryTree;
    use super::hash_chain::HashChain;
    use super::*;

    fn check<M: MatchFinder>(mf: &mut M, data: &[u8]) {
        let p = SearchParams {
            max_len: 300,
            nice_len: 64,
            max_depth: 64,
            max_offset: 1 << 20,
        };
        mf.reset(data.len());
        let mut out = Vec::new();
        let mut found = 0;
        for pos in 0..data.len() {
            if pos % 3 == 2 {
                mf.skip(data, pos, &p);
                continue;
            }
            out.clear();
            let best = mf.find(data, pos, &p, &mut out);
            let mut prev = 0;
            for m in &out {
                assert!(m.len as usize > prev && m.len >= 3);
                prev = m.len as usize;
                let o = m.offset as usize;
                assert!(o >= 1 && o <= pos);
                assert!(pos + m.len as usize <= data.len());
                assert_eq!(
                    data[pos..pos + m.len as usize],
                    data[pos - o..pos - o + m.len as usize]
                );
                found += 1;
            }
            assert_eq!(best, prev);
        }
        assert!(found > 0 || data.len() < 100);
    }

    #[test]
    fn finders_report_valid_matches() {
        let mut data = Vec::new();
        let mut x = 5u32;
        for i in 0..20000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            data.push(if i % 7 == 0 {
                (x >> 16) as u8
            } else {
                b"abcabdabe"[(i % 9) as usize]
            });
        }
        data.extend(std::iter::repeat_n(0u8, 1000));
        check(&mut HashChain::new(data.len()), &data);
        check(&mut BinaryTree::new(data.len()), &data);
        check(&mut BinaryTree::new(data.len()), &data[..2]);
    }
}
