//! A row ("bucket") match finder for buffers of at most 64 KiB (XPRESS chunks), for greedy
//! and lazy parsing: every 4-byte hash selects a row holding its [`ROW`] most recent
//! positions (16-bit, in a ring) and a parallel row of 1-byte tags (more hash bits). A search
//! compares the row's tags with the current one all at once (SWAR over `u64` words) and
//! visits only the positions whose tag matches, newest first: all candidates of a search
//! come from two cache lines, with no dependent chain of loads.
//!
//! Positions are inserted incrementally, in increasing order: [`Row16::find`] first inserts
//! every position before the one searched. A single-entry 3-byte hash table supplies the
//! length-3 candidate (as in [`super::hc16`]).

use super::padded16::{BUF, boxed, extend, ld32, ld64};
use std::hint::select_unpredictable;

/// Largest buffer.
pub(crate) const ROW16_MAX: usize = 1 << 16;
/// Entries per row.
pub(crate) const ROW: usize = 32;
/// Rows (log2, upper bound).
const RB: u32 = 12;
/// Width of the single-entry 3-byte table (upper bound).
const B3: u32 = 14;
const MUL: u32 = 0x1E35_A7BD;
const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// Bit `i` set for every byte `i` of `x` that is zero.
#[inline(always)]
fn zero_bytes(x: u64) -> u32 {
    let y = !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7);
    ((y >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32
}

/// The finder; see the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct Row16 {
    buf: Box<[u8; BUF]>,
    head3: Box<[u16; 1 << B3]>,
    /// Tags, [`ROW`] per row.
    tags: Box<[u8; (ROW << RB) + 8]>,
    /// Positions, [`ROW`] per row (slot `count % ROW` is written next).
    pos: Box<[u16; ROW << RB]>,
    /// Insertions per row since [`Row16::load`] (wrapping; only `min(count, ROW)` matter).
    count: Box<[u16; 1 << RB]>,
    /// Shift giving the row from the hash (`32 - rows bits`).
    shift: u32,
    rows: usize,
    shift3: u32,
    used3: usize,
    len: usize,
    /// Next position to insert.
    next: usize,
}

impl Row16 {
    /// A finder for buffers of up to `capacity` (≤ 64 KiB) bytes.
    pub(crate) fn new(capacity: usize) -> Self {
        let order = usize::BITS - capacity.clamp(1, ROW16_MAX).leading_zeros();
        let sub: u32 = std::env::var("ROWSUB").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
        let bits = order.saturating_sub(sub).clamp(6, RB);
        let bits3 = order.saturating_sub(2).clamp(10, B3);
        Row16 {
            buf: boxed(0),
            head3: boxed(0),
            tags: boxed(0),
            pos: boxed(0),
            count: boxed(0),
            shift: 32 - bits,
            rows: 1 << bits,
            shift3: 32 - bits3,
            used3: 1 << bits3,
            len: 0,
            next: 0,
        }
    }

    /// Bytes of memory.
    pub(crate) fn memory() -> usize {
        BUF + (2 << B3) + (ROW << RB) * 3 + (2 << RB)
    }

    /// Starts a new buffer (`data.len() <= 64 KiB`, else it is truncated).
    pub(crate) fn load(&mut self, data: &[u8]) {
        let n = data.len().min(ROW16_MAX);
        self.len = n;
        self.next = 0;
        self.buf[..n].copy_from_slice(&data[..n]);
        self.buf[n..n + 16].fill(0);
        self.head3[..self.used3.min(1 << B3)].fill(0);
        let rows = self.rows.min(1 << RB);
        self.count[..rows].fill(0);
    }

    /// The buffer as loaded.
    #[inline(always)]
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[..self.len.min(ROW16_MAX)]
    }

    #[inline(always)]
    fn row_tag(&self, v: u32) -> (usize, u8) {
        let h = v.wrapping_mul(MUL);
        let row = (h >> self.shift) as usize & ((1 << RB) - 1);
        (row, (h >> (self.shift - 8)) as u8)
    }

    /// Inserts every position from `next` up to `to` (exclusive; only those with 4 bytes
    /// ahead).
    #[inline(always)]
    fn insert_until(&mut self, to: usize) {
        let end = to.min(self.len.saturating_sub(3));
        let shift3 = self.shift3;
        for i in self.next..end {
            let v = ld32(&self.buf, i);
            let h3 = ((v << 8).wrapping_mul(MUL) >> shift3) as usize & ((1 << B3) - 1);
            self.head3[h3] = i as u16;
            let (row, tag) = self.row_tag(v);
            let c = self.count[row];
            let slot = usize::from(c) & (ROW - 1);
            let at = (row * ROW + slot) & ((ROW << RB) - 1);
            self.tags[at] = tag;
            self.pos[at] = i as u16;
            self.count[row] = c.wrapping_add(1);
        }
        self.next = self.next.max(end);
    }

    /// The longest match at `pos` (`pos + 4 <= len`, positions searched in increasing
    /// order) longer than `min_len` (`>= 2`) as (length, offset), or (0, 0); visits at
    /// most `depth` (>= 1) candidates with the right tag and stops at `nice` bytes.
    #[inline(always)]
    pub(crate) fn find(
        &mut self,
        pos: usize,
        min_len: usize,
        depth: u32,
        nice: usize,
    ) -> (usize, usize) {
        self.insert_until(pos);
        let limit = self.len - pos;
        let nice = nice.min(limit);
        let buf = &*self.buf;
        let v = ld32(buf, pos);
        let h3 = ((v << 8).wrapping_mul(MUL) >> self.shift3) as usize & ((1 << B3) - 1);
        let c3 = self.head3[h3];

        let mut best = min_len;
        let mut best_off = 0usize;
        if best < 3 {
            let c = usize::from(c3);
            let x = ld64(buf, c) ^ ld64(buf, pos);
            let mut l = ((x.trailing_zeros() / 8) as usize).min(limit);
            if l >= 8 {
                l = extend(buf, c, pos, 8, limit);
            }
            let ok = c3 != 0 && l >= 3;
            best = select_unpredictable(ok, l, best);
            best_off = select_unpredictable(ok, pos.wrapping_sub(c), 0);
        }
        if best >= nice {
            return if best_off == 0 {
                (0, 0)
            } else {
                (best, best_off)
            };
        }
        let (row, tag) = self.row_tag(v);
        let base = row * ROW;
        let t = u64::from(tag).wrapping_mul(ONES);
        let tags = &self.tags[base & ((ROW << RB) - 1)..][..ROW];
        let mut mask = 0u32;
        for (k, w) in tags.chunks_exact(8).enumerate() {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            mask |= zero_bytes(u64::from_le_bytes(a) ^ t) << (8 * k);
        }
        let c = u32::from(self.count[row]);
        let k = c & (ROW as u32 - 1);
        if c < ROW as u32 {
            mask &= (1u32 << k).wrapping_sub(1);
        }
        // Slot s as bit (s - k) mod ROW: the newest (k - 1) is the top bit.
        let mut m = mask.rotate_right(k);
        let positions = &self.pos[base & ((ROW << RB) - 1)..][..ROW];
        let mut toff = best.max(3) - 3;
        let mut tail = ld32(buf, pos + toff);
        let mut depth = depth;
        while m != 0 {
            let j = 31 - m.leading_zeros();
            m &= !(1u32 << j);
            let s = (j + k) as usize & (ROW - 1);
            let c = usize::from(positions[s]);
            if ld32(buf, c + toff) == tail && ld32(buf, c) == v {
                let len = extend(buf, c, pos, 4, limit);
                if len > best {
                    best = len;
                    best_off = pos - c;
                    if len >= nice {
                        break;
                    }
                    toff = len - 3;
                    tail = ld32(buf, pos + toff);
                }
            }
            depth -= 1;
            if depth == 0 {
                break;
            }
        }
        if best_off == 0 {
            (0, 0)
        } else {
            (best, best_off)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_bytes_is_exact() {
        let mut seed = 0x1234_5678_9ABC_DEF1u64;
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Bias towards zero bytes and 0x80/0x01 neighbours.
            let mut x = seed;
            for i in 0..8 {
                match (seed >> (i * 3 + 40)) % 4 {
                    0 => x &= !(0xFF << (8 * i)),
                    1 => x = (x & !(0xFF << (8 * i))) | (0x80 << (8 * i)),
                    2 => x = (x & !(0xFF << (8 * i))) | (0x01 << (8 * i)),
                    _ => {}
                }
            }
            let want = (0..8).fold(0u32, |m, i| m | (u32::from((x >> (8 * i)) as u8 == 0) << i));
            assert_eq!(zero_bytes(x), want, "{x:016x}");
        }
    }
}
