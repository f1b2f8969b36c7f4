//! Hash chains over 7-byte hashes for buffers of at most 64 KiB (the XPRESS greedy/lazy
//! parser), with each position's 3-byte and 4-byte candidates taken from one shared table.
//!
//! Why: on PE data 94 % of the candidates a 4-byte chain visits really share 4 bytes with
//! the searched position and fail only because they cannot beat the current best; chains
//! over 7-byte hashes skip most of them (the same sizes at a quarter of the depth), and the
//! short matches (3–6 bytes) the 7-byte chains miss come from single-entry candidates.
//! Those two candidates share one table, so the build stays at five stores per position:
//! a row of four 16-bit positions per 3-byte hash, the slot chosen by the low two bits of
//! the fourth byte. The newest entry of the row is the most recent position with that
//! 3-byte hash (the 3-byte candidate), the slot of the position's fourth byte the most
//! recent one that probably shares 4 bytes (the 4-byte candidate). Both are snapshotted
//! per position during the build, so a search checks them without a dependent load.
//!
//! [`Hc7::build`] links every position in one branch-free pass; [`Hc7::find`] searches any
//! position afterwards. Position 0 is never a match source (0 is the empty marker).

use super::padded16::{BUF, boxed, extend, ld32, ld64};
use std::hint::select_unpredictable;

/// Largest buffer.
pub(crate) const HC7_MAX: usize = 1 << 16;
/// Width of the 7-byte chain head table (upper bound; narrower for small buffers).
const B7: u32 = 15;
/// Width of the 3-byte row table (rows of four positions).
const BR: u32 = 14;
const MUL: u32 = 0x1E35_A7BD;
const MUL64: u64 = 0x9E37_79B9_7F4A_7C15;

/// The finder; see the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct Hc7 {
    buf: Box<[u8; BUF]>,
    /// Rows of four positions per 3-byte hash (see the module documentation).
    rows: Box<[u16; 4 << BR]>,
    head7: Box<[u16; 1 << B7]>,
    prev: Box<[u16; HC7_MAX]>,
    /// The link after next (`prev[prev[p]]`): two candidates per dependent load.
    prev2: Box<[u16; HC7_MAX]>,
    /// Per position: its 3-byte candidate (bits 0–15) and 4-byte candidate (16–31).
    short: Box<[u32; HC7_MAX]>,
    shift7: u32,
    used7: usize,
    len: usize,
    /// Experiment: chains over 3-byte hashes, no short table.
    three: bool,
}

impl Hc7 {
    /// A finder for buffers of up to `capacity` (≤ 64 KiB) bytes.
    pub(crate) fn new(capacity: usize) -> Self {
        let order = usize::BITS - capacity.clamp(1, HC7_MAX).leading_zeros();
        let bits = order.saturating_sub(1).clamp(10, B7);
        Hc7 {
            buf: boxed(0),
            rows: boxed(0),
            head7: boxed(0),
            prev: boxed(0),
            prev2: boxed(0),
            short: boxed(0),
            shift7: 64 - bits,
            used7: 1 << bits,
            len: 0,
            three: std::env::var("XP_THREE").is_ok(),
        }
    }

    /// Bytes of memory.
    pub(crate) fn memory() -> usize {
        BUF + (8 << BR) + (2 << B7) + 8 * HC7_MAX
    }

    /// Starts a new buffer (`data.len() <= 64 KiB`, else it is truncated) and links every
    /// position `pos + 4 <= len`; afterwards [`Hc7::find`] searches any such position.
    #[inline(never)]
    pub(crate) fn build(&mut self, data: &[u8]) {
        let n = data.len().min(HC7_MAX);
        self.len = n;
        self.buf[..n].copy_from_slice(&data[..n]);
        self.buf[n..n + 16].fill(0);
        self.rows.fill(0);
        let used = self.used7.min(1 << B7);
        self.head7[..used].fill(0);

        let end = n.saturating_sub(3);
        if self.three {
            let shift = self.shift7 - 32;
            let buf = &*self.buf;
            let head7 = &mut *self.head7;
            let prev = &mut *self.prev;
            let prev2 = &mut *self.prev2;
            for i in 0..end {
                let p = i & (HC7_MAX - 1);
                let v = ld32(buf, i);
                let h = ((v << 8).wrapping_mul(MUL) >> shift) as usize & ((1 << B7) - 1);
                let y = head7[h];
                prev[p] = y;
                prev2[p] = prev[usize::from(y)];
                head7[h] = p as u16;
            }
            return;
        }
        let shift7 = self.shift7;
        let buf = &*self.buf;
        let rows = &mut *self.rows;
        let head7 = &mut *self.head7;
        let prev = &mut *self.prev;
        let prev2 = &mut *self.prev2;
        let short = &mut *self.short;
        for i in 0..end {
            let p = i & (HC7_MAX - 1);
            let w = ld64(buf, i);
            let v = w as u32;
            // Row of the 3-byte hash; slot by the fourth byte's low bits. Each slot is
            // loaded and stored on its own (16-bit accesses forward from the stores of the
            // positions just before; a 64-bit row would stall in runs of one byte).
            let hr = ((v << 8).wrapping_mul(MUL) >> (32 - BR)) as usize & ((1 << BR) - 1);
            let r = hr * 4;
            let slot = r + (v.wrapping_mul(MUL) >> 30) as usize;
            let c4 = rows[slot & ((4 << BR) - 1)];
            let (a, b) = (rows[r], rows[r + 1]);
            let (c, d) = (rows[r + 2], rows[r + 3]);
            let c3 = a.max(b).max(c.max(d));
            short[p] = u32::from(c3) | (u32::from(c4) << 16);
            rows[slot & ((4 << BR) - 1)] = p as u16;
            // Chain of the 7-byte hash.
            let h7 = ((w << 8).wrapping_mul(MUL64) >> shift7) as usize & ((1 << B7) - 1);
            let y = head7[h7];
            prev[p] = y;
            prev2[p] = prev[usize::from(y)];
            head7[h7] = p as u16;
        }
    }

    /// The buffer as loaded.
    #[inline(always)]
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[..self.len.min(HC7_MAX)]
    }

    /// After [`Hc7::build`]: the longest match at `pos` (`pos + 4 <= len`) longer than
    /// `min_len` (`>= 2`) as (length, offset), or (0, 0); walks at most `depth` (>= 1)
    /// chain links and stops at `nice` bytes.
    #[inline(always)]
    pub(crate) fn find(
        &self,
        pos: usize,
        min_len: usize,
        depth: u32,
        nice: usize,
    ) -> (usize, usize) {
        let p = pos & (HC7_MAX - 1);
        let limit = self.len - pos;
        let nice = nice.min(limit);
        let buf = &*self.buf;
        let s = if self.three {
            u32::from(self.prev[p])
        } else {
            self.short[p]
        };
        let here = ld64(buf, pos);

        let mut best = min_len;
        let mut best_off = 0usize;
        // The short candidates, without branching on their (unpredictable) outcomes: the
        // common prefix of the first 8 bytes, extended only when all 8 match.
        let shorts = if self.three { 1 } else { 2 };
        for c in [s & 0xFFFF, s >> 16].into_iter().take(shorts) {
            let c = c as usize;
            let x = ld64(buf, c) ^ here;
            let mut l = ((x.trailing_zeros() / 8) as usize).min(limit);
            if l >= 8 {
                l = extend(buf, c, pos, 8, limit);
            }
            let ok = c != 0 && l >= 3 && l > best;
            best = select_unpredictable(ok, l, best);
            best_off = select_unpredictable(ok, pos.wrapping_sub(c), best_off);
        }
        if best >= nice {
            return if best_off == 0 {
                (0, 0)
            } else {
                (best, best_off)
            };
        }
        // Chain candidates must match the 4 bytes ending at `best` (so they can beat it)
        // and the first 4 bytes.
        let v = here as u32;
        let prev = &*self.prev;
        let prev2 = &*self.prev2;
        let mut toff = best.max(3) - 3;
        let mut tail = ld32(buf, pos + toff);
        let mut depth = depth;
        let mut check = |c: usize, best: &mut usize, best_off: &mut usize| -> bool {
            if ld32(buf, c + toff) == tail && ld32(buf, c) == v {
                let len = extend(buf, c, pos, 4, limit);
                if len > *best {
                    *best = len;
                    *best_off = pos - c;
                    if len >= nice {
                        return true;
                    }
                    toff = len - 3;
                    tail = ld32(buf, pos + toff);
                }
            }
            false
        };
        let mut cur = prev[p];
        while cur != 0 {
            let c = usize::from(cur);
            let (d, next) = (prev[c], prev2[c]);
            if check(c, &mut best, &mut best_off) {
                break;
            }
            depth -= 1;
            if depth == 0 || d == 0 {
                break;
            }
            if check(usize::from(d), &mut best, &mut best_off) {
                break;
            }
            depth -= 1;
            if depth == 0 {
                break;
            }
            cur = next;
        }
        if best_off == 0 {
            (0, 0)
        } else {
            (best, best_off)
        }
    }
}
