//! Row ("bucket") match finder for buffers of at most 64 KiB, for lazy parsing: per 4-byte
//! hash row the newest `S` (16 or 32) positions with a one-byte tag each (other bits of the
//! same hash), filled incrementally as the parse advances (no build pass). A search compares
//! the row's tags with the position's tag in one SSE2 compare per 16 slots
//! ([`crate::fast::row_tags`]), rotates the mask so that the newest slots come first and
//! checks only the tag hits: independent loads, no dependent link chain.
//!
//! Positions must be inserted in increasing order: [`Row16::search`] at `pos` first inserts
//! every position below `pos` not yet inserted, then searches, then inserts `pos`.

use super::padded16::{BUF, boxed, extend, ld32, ld64};
use crate::fast::row_tags::tag_mask16;
use std::hint::select_unpredictable;

/// Largest buffer.
pub(crate) const ROW16_MAX: usize = 1 << 16;
/// Rows (upper bound).
const RB_MAX: u32 = 13;
const ROWS_MAX: usize = 1 << RB_MAX;
/// Width of the single-entry 3-byte table.
const B3: u32 = 14;
const MUL: u32 = 0x1E35_A7BD;

/// The finder; see the module documentation. `S`: slots per row (16 or 32).
#[derive(Debug, Clone)]
pub(crate) struct Row16<const S: usize> {
    head3: Box<[u16; 1 << B3]>,
    /// Per row its `S` tags (16-byte groups).
    tags: Box<[[u8; 16]; 2 * ROWS_MAX]>,
    /// Per row its `S` positions.
    slots: Box<[u16; 32 * ROWS_MAX]>,
    /// Per row its insert count: below `S` the number of filled slots, from `S` on `S` +
    /// the ring index (see [`next_count`]).
    cnt: Box<[u8; ROWS_MAX]>,
    rbits: u32,
    shift3: u32,
    len: usize,
    /// Next position to insert.
    next: usize,
}

/// The count after one more insert: `c + 1`, wrapping from `2S - 1` to `S`.
#[inline(always)]
fn next_count<const S: usize>(c: u32) -> u32 {
    ((c + 1) | (c & S as u32)) & (2 * S as u32 - 1)
}

impl<const S: usize> Row16<S> {
    /// A finder for buffers of up to `capacity` (<= 64 KiB) bytes with `2^rbits` rows.
    pub(crate) fn new(capacity: usize, rbits: u32) -> Self {
        let order = usize::BITS - capacity.clamp(1, ROW16_MAX).leading_zeros();
        let bits3 = order.saturating_sub(2).clamp(10, B3);
        Row16 {
            head3: boxed(0),
            tags: boxed([0; 16]),
            slots: boxed(0),
            cnt: boxed(0),
            rbits: rbits.clamp(8, RB_MAX),
            shift3: 32 - bits3,
            len: 0,
            next: 0,
        }
    }

    /// Starts a new buffer of `n` (<= 64 KiB) bytes; every call then takes its zero-padded
    /// copy as `buf`.
    pub(crate) fn load(&mut self, n: usize) {
        let n = n.min(ROW16_MAX);
        self.len = n;
        self.head3[..1 << (32 - self.shift3)].fill(0);
        self.cnt[..1 << self.rbits].fill(0);
        self.next = 0;
    }

    /// Row, tag and 3-byte hash of the 4 bytes `v`.
    #[inline(always)]
    fn hashes(&self, v: u32) -> (usize, u8, usize) {
        let h = v.wrapping_mul(MUL);
        let r = (h >> (32 - self.rbits)) as usize & (ROWS_MAX - 1);
        let tag = (h >> (24 - self.rbits)) as u8;
        let h3 = ((v << 8).wrapping_mul(MUL) >> self.shift3) as usize & ((1 << B3) - 1);
        (r, tag, h3)
    }

    #[inline(always)]
    fn put(&mut self, p: usize, r: usize, tag: u8, h3: usize, c: u32) {
        let slot = (!c as usize) & (S - 1);
        let k = r * S + slot;
        self.tags[(k >> 4) & (2 * ROWS_MAX - 1)][k & 15] = tag;
        self.slots[k & (32 * ROWS_MAX - 1)] = p as u16;
        self.cnt[r] = next_count::<S>(c) as u8;
        self.head3[h3] = p as u16;
    }

    /// Inserts every position below `to` (and below `len - 3`) not inserted yet.
    #[inline(always)]
    pub(crate) fn insert_to(&mut self, buf: &[u8; BUF], to: usize) {
        let to = to.min(self.len.saturating_sub(3));
        if self.next >= to {
            return;
        }
        if self.rbits == 12 && self.shift3 == 18 {
            self.insert_loop::<12, 18>(buf, to);
        } else {
            self.insert_loop::<0, 0>(buf, to);
        }
        self.next = to;
    }

    /// The insert loop (constant shifts for 32 KiB chunks), all tables as locals.
    #[inline(always)]
    fn insert_loop<const RB: u32, const S3: u32>(&mut self, buf: &[u8; BUF], to: usize) {
        let rb = if RB != 0 { RB } else { self.rbits };
        let s3 = if S3 != 0 { S3 } else { self.shift3 };
        let tags: &mut [[u8; 16]; 2 * ROWS_MAX] = &mut self.tags;
        let slots = &mut *self.slots;
        let cnt = &mut *self.cnt;
        let head3 = &mut *self.head3;
        for p in self.next..to {
            let v = ld32(buf, p);
            let h = v.wrapping_mul(MUL);
            let r = (h >> (32 - rb)) as usize & (ROWS_MAX - 1);
            let tag = (h >> (24 - rb)) as u8;
            let h3 = ((v << 8).wrapping_mul(MUL) >> s3) as usize & ((1 << B3) - 1);
            let c = u32::from(cnt[r]);
            let k = r * S + ((!c as usize) & (S - 1));
            tags[(k >> 4) & (2 * ROWS_MAX - 1)][k & 15] = tag;
            slots[k & (32 * ROWS_MAX - 1)] = p as u16;
            cnt[r] = next_count::<S>(c) as u8;
            head3[h3] = p as u16;
        }
    }

    /// The longest match at `pos` (`pos + 4 <= len`) longer than `min_len` (`>= 2`) as
    /// (length, offset), or (0, 0); checks at most `depth` (>= 1) tag hits, newest first,
    /// and stops at `nice` bytes. Inserts every position up to and including `pos`.
    #[inline(always)]
    pub(crate) fn search(
        &mut self,
        buf: &[u8; BUF],
        pos: usize,
        min_len: usize,
        depth: u32,
        nice: usize,
    ) -> (usize, usize) {
        self.insert_to(buf, pos);
        let limit = self.len - pos;
        let nice = nice.min(limit);
        let v = ld32(buf, pos);
        let (r, tag, h3) = self.hashes(v);
        let c3 = self.head3[h3];
        let cnt = u32::from(self.cnt[r]);

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
        if best < nice {
            // Tag hits, newest first: slots are written in decreasing order, so the newest
            // is `(S - cnt) mod S` and the older ones follow it upwards (wrapping).
            let g = (r * S) >> 4;
            let mut m = tag_mask16(&self.tags[g & (2 * ROWS_MAX - 1)], tag);
            if S == 32 {
                m |= tag_mask16(&self.tags[(g + 1) & (2 * ROWS_MAX - 1)], tag) << 16;
            }
            let newest = (S as u32).wrapping_sub(cnt) & (S as u32 - 1);
            let mut hits = if S == 16 {
                u32::from((m as u16).rotate_right(newest))
            } else {
                m.rotate_right(newest)
            };
            hits &= ((1u64 << cnt) - 1) as u32;
            let slots = &*self.slots;
            let base = r * S;
            let mut toff = best.max(3) - 3;
            let mut tail = ld32(buf, pos + toff);
            let mut depth = depth;
            while hits != 0 {
                let i = hits.trailing_zeros();
                hits &= hits - 1;
                let c = usize::from(slots[(base + ((newest + i) as usize & (S - 1))) & (32 * ROWS_MAX - 1)]);
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
        }
        if pos < self.len.saturating_sub(3) && self.next == pos {
            self.put(pos, r, tag, h3, cnt);
            self.next = pos + 1;
        }
        if best_off == 0 {
            (0, 0)
        } else {
            (best, best_off)
        }
    }
}
