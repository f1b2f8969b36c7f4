//! Hash chains for buffers of at most 64 KiB (XPRESS chunks), tuned for greedy and lazy
//! parsing: 16-bit positions, fixed-size tables (so every index is provably in bounds and
//! the tables stay cache-resident), and a private zero-padded copy of the buffer so loads
//! past the end need no checks.
//!
//! Position 0 is never a match source (0 is the empty-slot marker); nothing else is lost.
//! Two ways to use it:
//! - incremental: after [`Hc16::load`], every position `pos` with `pos + 4 <= len` is
//!   inserted by [`Hc16::longest`] or [`Hc16::skip`], in increasing order;
//! - built (the XPRESS encoder, the LZX lazy parser): [`Hc16::build`] links every
//!   position in one branch-free pass (plus each position's 3-byte candidate and, with
//!   skip links, its next four chain links in one `u64`), then [`Hc16::find`] searches any
//!   position without inserting anything. Both give the same results.

use super::padded16::{BUF, boxed, extend, ld32, ld64};
use std::hint::select_unpredictable;

/// Largest buffer.
pub(crate) const HC16_MAX: usize = 1 << 16;
/// Width of the 4-byte hash table (upper bound; narrower for small buffers).
const B4: u32 = 16;
/// Width of the single-entry 3-byte table (upper bound; narrower for small buffers).
const B3: u32 = 14;
const MUL: u32 = 0x1E35_A7BD;

/// The chain hash of the 5 bytes at the start of `w` (the little-endian 8 bytes at a
/// position), as wide as the 4-byte hash with shift `shift4` (`32 - bits`).
#[inline(always)]
fn hash5(w: u64, shift4: u32) -> usize {
    ((w << 24).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (32 + shift4)) as usize & ((1 << B4) - 1)
}

/// Walk modes of [`Hc16::find_as`]: single links (a build without skip links).
pub(crate) const WALK_SINGLE: u8 = 0;
/// Four links per load, depth a multiple of four.
pub(crate) const WALK_FOUR: u8 = 1;
/// Four links per load, any depth.
pub(crate) const WALK_FOUR_MASKED: u8 = 2;

/// The finder; see the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct Hc16 {
    buf: Box<[u8; BUF]>,
    head3: Box<[u16; 1 << B3]>,
    head4: Box<[u16; 1 << B4]>,
    prev: Box<[u16; HC16_MAX]>,
    /// [`Hc16::build`]: the previous position with the same 3-byte hash (single links).
    prev3: Box<[u16; HC16_MAX]>,
    /// [`Hc16::build`] with skip links: each position's next four chain links
    /// (`prev[p]`, `prev[prev[p]]`, ... in the low to high 16-bit lanes), so that a walk
    /// loads four candidates per dependent step. Built from the newest position's own
    /// entry: `links[p] = links[y] << 16 | y` (one load and one store per position).
    links: Box<[u64; HC16_MAX]>,
    /// Shift of the 4-byte hash (`32 - bits`).
    shift4: u32,
    /// Used part of `head4`.
    used4: usize,
    /// Shift of the 3-byte hash and used part of `head3`.
    shift3: u32,
    used3: usize,
    len: usize,
    /// [`Hc16::build`] filled `links` (skip links) instead of `prev`, and [`Hc16::find`]
    /// walks them.
    skip_links: bool,
    /// The chains link positions with equal 5-byte hashes instead of 4-byte ones (the
    /// 3-byte candidate still finds the newest 3- and 4-byte matches); see
    /// [`Hc16::build_with`].
    hash5: bool,
}

impl Hc16 {
    /// A finder for buffers of up to `capacity` (≤ 64 KiB) bytes.
    pub(crate) fn new(capacity: usize) -> Self {
        let order = usize::BITS - capacity.clamp(1, HC16_MAX).leading_zeros();
        // Measured on PE data (32 KiB chunks): a 4-byte table of 2^15 entries is faster
        // than 2^14 (fewer collisions to walk) and as fast as 2^16.
        let bits = order.saturating_sub(1).clamp(10, B4);
        let bits3 = order.saturating_sub(2).clamp(10, B3);
        Hc16 {
            buf: boxed(0),
            head3: boxed(0),
            head4: boxed(0),
            prev: boxed(0),
            prev3: boxed(0),
            links: boxed(0),
            shift4: 32 - bits,
            used4: 1 << bits,
            shift3: 32 - bits3,
            used3: 1 << bits3,
            len: 0,
            skip_links: true,
            hash5: false,
        }
    }

    /// Bytes of memory.
    pub(crate) fn memory() -> usize {
        BUF + (2 << B3) + (2 << B4) + 12 * HC16_MAX
    }

    /// [`Hc16::load`] for incremental use with the chain hashes of
    /// [`Hc16::build_with`]`(.., hash5)`.
    #[cfg(test)]
    pub(crate) fn load_with(&mut self, data: &[u8], hash5: bool) {
        self.hash5 = hash5;
        self.load(data);
    }

    /// Whether the chains link 5-byte hashes ([`Hc16::build_with`]).
    #[cfg(test)]
    pub(crate) fn uses_hash5(&self) -> bool {
        self.hash5
    }

    /// Starts a new buffer (`data.len() <= 64 KiB`, else it is truncated).
    pub(crate) fn load(&mut self, data: &[u8]) {
        let n = data.len().min(HC16_MAX);
        self.len = n;
        self.buf[..n].copy_from_slice(&data[..n]);
        self.buf[n..n + 16].fill(0);
        let used3 = self.used3.min(1 << B3);
        self.head3[..used3].fill(0);
        let used = self.used4.min(1 << B4);
        self.head4[..used].fill(0);
    }

    /// Starts a new buffer and links every position at once (`pos + 4 <= len`): afterwards
    /// only [`Hc16::find`] may be called (it inserts nothing). The chains are the same as
    /// after inserting every position with [`Hc16::skip`], but the insertion loop has no
    /// branches and no searches in between, so it runs at a few cycles per position.
    ///
    /// `skip_links`: fill `links` (each position's next four links) instead of `prev`, so
    /// that [`Hc16::find`] loads four candidates per dependent step (same results). The
    /// walk is bound by the latency of its dependent link loads (mostly L2 hits), which
    /// this halves against two links per step (OPTIMIZATIONS.md, XPRESS session 7); for
    /// the shallow walks of greedy parsing (depth 3) the single links are as fast.
    pub(crate) fn build(&mut self, data: &[u8], skip_links: bool) {
        self.build_with(data, skip_links, false);
    }

    /// [`Hc16::build`], with chains over 5-byte hashes when `hash5`: a chain then holds
    /// fewer positions that share only 4 bytes (the 3-byte candidate, the newest position
    /// with the same 3-byte hash, still finds the nearest 3- and 4-byte matches), so a
    /// shallow walk reaches more of the longer matches. Smaller output at depth 8 on PE
    /// data, larger from depth ~16 on, where the chain's far 4-byte matches count
    /// (OPTIMIZATIONS.md, XPRESS session 8). [`Hc16::longest`] / [`Hc16::skip`] use the
    /// same hashes after a `build_with` (the tests compare both).
    #[inline(never)]
    pub(crate) fn build_with(&mut self, data: &[u8], skip_links: bool, hash5: bool) {
        self.load(data);
        self.skip_links = skip_links;
        self.hash5 = hash5;
        // The shifts of 32 KiB chunks (XPRESS in WIMs) as constants: a variable shift
        // needs its count moved to `cl` for each of the two hashes.
        match (skip_links, hash5, self.shift3, self.shift4) {
            (true, false, 18, 17) => self.build_links::<true, false, 18, 17>(),
            (true, false, ..) => self.build_links::<true, false, 0, 0>(),
            (true, true, 18, 17) => self.build_links::<true, true, 18, 17>(),
            (true, true, ..) => self.build_links::<true, true, 0, 0>(),
            (false, false, 18, 17) => self.build_links::<false, false, 18, 17>(),
            (false, false, ..) => self.build_links::<false, false, 0, 0>(),
            (false, true, _, _) => self.build_links::<false, true, 0, 0>(),
        }
        // Already so (position 0 is linked first, to nothing); `walk` relies on it.
        self.prev[0] = 0;
        self.links[0] = 0;
    }

    /// The one-pass build loop of [`Hc16::build`], one copy per `SKIP` (skip links or not),
    /// so the loop without them carries no per-position test.
    #[inline(always)]
    fn build_links<const SKIP: bool, const H5: bool, const S3: u32, const S4: u32>(&mut self) {
        let end = self.len.saturating_sub(3);
        let shift3 = if S3 != 0 { S3 } else { self.shift3 };
        let shift4 = if S4 != 0 { S4 } else { self.shift4 };
        let buf = &*self.buf;
        let head3 = &mut *self.head3;
        let head4 = &mut *self.head4;
        let prev3 = &mut *self.prev3;
        let prev = &mut *self.prev;
        let links = &mut *self.links;
        // Position 0 is linked first, to nothing; its entry must not hold a previous
        // buffer's links.
        links[0] = 0;
        for i in 0..end {
            let v = ld32(buf, i);
            let h3 = ((v << 8).wrapping_mul(MUL) >> shift3) as usize & ((1 << B3) - 1);
            let h4 = if H5 {
                hash5(ld64(buf, i), shift4)
            } else {
                (v.wrapping_mul(MUL) >> shift4) as usize & ((1 << B4) - 1)
            };
            let p = i & (HC16_MAX - 1);
            prev3[p] = head3[h3];
            head3[h3] = p as u16;
            let y = head4[h4];
            if SKIP {
                links[p] = (links[usize::from(y)] << 16) | u64::from(y);
            } else {
                prev[p] = y;
            }
            head4[h4] = p as u16;
        }
    }

    /// After [`Hc16::build`]: the longest match at `pos` (`pos + 4 <= len`) longer than
    /// `min_len` (`>= 2`) as (length, offset), or (0, 0); walks at most `depth` (>= 1)
    /// chain links and stops at `nice` bytes. Same result as [`Hc16::longest`].
    #[inline(always)]
    pub(crate) fn find(
        &self,
        pos: usize,
        min_len: usize,
        depth: u32,
        nice: usize,
    ) -> (usize, usize) {
        if self.skip_links {
            if depth.is_multiple_of(4) {
                self.find_as::<WALK_FOUR>(pos, min_len, depth, nice)
            } else {
                self.find_as::<WALK_FOUR_MASKED>(pos, min_len, depth, nice)
            }
        } else {
            self.find_as::<WALK_SINGLE>(pos, min_len, depth, nice)
        }
    }

    /// [`Hc16::find`] with the walk mode fixed by the caller (no per-search tests): `W`
    /// must be [`WALK_SINGLE`] after a build without skip links, else [`WALK_FOUR`] when
    /// `depth` is a multiple of four and [`WALK_FOUR_MASKED`] when not.
    #[inline(always)]
    pub(crate) fn find_as<const W: u8>(
        &self,
        pos: usize,
        min_len: usize,
        depth: u32,
        nice: usize,
    ) -> (usize, usize) {
        debug_assert_eq!(self.skip_links, W != WALK_SINGLE);
        debug_assert!(W != WALK_FOUR || depth.is_multiple_of(4));
        let p = pos & (HC16_MAX - 1);
        match W {
            WALK_FOUR => {
                self.walk::<true, true>(pos, self.prev3[p], self.links[p], min_len, depth, nice)
            }
            WALK_FOUR_MASKED => {
                self.walk::<true, false>(pos, self.prev3[p], self.links[p], min_len, depth, nice)
            }
            _ => {
                let first = u64::from(self.prev[p]);
                self.walk::<false, false>(pos, self.prev3[p], first, min_len, depth, nice)
            }
        }
    }

    /// The zero-padded copy of the buffer (16 zero bytes past its end).
    #[inline(always)]
    pub(crate) fn padded(&self) -> &[u8; BUF] {
        &self.buf
    }

    /// The buffer as loaded.
    #[inline(always)]
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[..self.len.min(HC16_MAX)]
    }

    #[inline(always)]
    #[cfg_attr(not(test), allow(dead_code))] // Incremental use; only the tests call it now.
    fn hashes(&self, pos: usize) -> (usize, usize) {
        let v = ld32(&self.buf, pos);
        let h3 = ((v << 8).wrapping_mul(MUL) >> self.shift3) as usize & ((1 << B3) - 1);
        let h4 = if self.hash5 {
            hash5(ld64(&self.buf, pos), self.shift4)
        } else {
            (v.wrapping_mul(MUL) >> self.shift4) as usize & ((1 << B4) - 1)
        };
        (h3, h4)
    }

    /// Inserts `pos` (`pos + 4 <= len`) without searching.
    #[inline(always)]
    #[cfg_attr(not(test), allow(dead_code))] // Incremental use; only the tests call it now.
    pub(crate) fn skip(&mut self, pos: usize) {
        let (h3, h4) = self.hashes(pos);
        let p = pos as u16;
        self.head3[h3] = p;
        self.prev[usize::from(p)] = self.head4[h4];
        self.head4[h4] = p;
    }

    /// Inserts `pos` (`pos + 4 <= len`) and returns the longest match longer than `min_len`
    /// (`>= 2`) as (length, offset), or (0, 0). Walks at most `depth` (>= 1) chain links
    /// and stops at `nice` bytes.
    #[inline(always)]
    #[cfg_attr(not(test), allow(dead_code))] // Incremental use; only the tests call it now.
    pub(crate) fn longest(
        &mut self,
        pos: usize,
        min_len: usize,
        depth: u32,
        nice: usize,
    ) -> (usize, usize) {
        let (h3, h4) = self.hashes(pos);
        let p = pos as u16;
        let c3 = self.head3[h3];
        self.head3[h3] = p;
        let cur = self.head4[h4];
        self.prev[usize::from(p)] = cur;
        self.head4[h4] = p;
        self.walk::<false, false>(pos, c3, u64::from(cur), min_len, depth, nice)
    }

    /// The search of [`Hc16::longest`] from the 3-byte candidate `c3` and the first chain
    /// link `first` (0: none). `BUILT`: after [`Hc16::build`] with skip links, `first` is
    /// the position's `links` entry (its next four links). `FULL`: `depth` is a multiple
    /// of four (no entry is cut short by the depth, so no candidate needs a depth mask).
    #[inline(always)]
    fn walk<const BUILT: bool, const FULL: bool>(
        &self,
        pos: usize,
        c3: u16,
        first: u64,
        min_len: usize,
        depth: u32,
        nice: usize,
    ) -> (usize, usize) {
        let limit = self.len - pos;
        let nice = nice.min(limit);
        let buf = &*self.buf;
        let v = ld32(buf, pos);

        let mut best = min_len;
        let mut best_off = 0usize;
        if best < 3 {
            // The 3-byte candidate, without branching on its (unpredictable) outcome: the
            // common prefix of the first 8 bytes, extended only when all 8 match.
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
        // Candidates must match the 4 bytes ending at `best` (so they can beat it) and the
        // first 4 bytes.
        let prev = &*self.prev;
        let mut toff = best.max(3) - 3;
        let mut tail = ld32(buf, pos + toff);
        let mut depth = depth;
        // Checks candidate `c`; true when the nice length is reached.
        let check = |c: usize,
                     ok: bool,
                     best: &mut usize,
                     best_off: &mut usize,
                     toff: &mut usize,
                     tail: &mut u32|
         -> bool {
            if ld32(buf, c + *toff) == *tail && ld32(buf, c) == v && ok {
                let len = extend(buf, c, pos, 4, limit);
                if len > *best {
                    *best = len;
                    *best_off = pos - c;
                    if len >= nice {
                        return true;
                    }
                    *toff = len - 3;
                    *tail = ld32(buf, pos + *toff);
                }
            }
            false
        };
        if BUILT {
            // Four candidates per dependent load: the entry of the last candidate checked
            // holds the next four (same order and count as one link at a time). One exit
            // test per entry; links past the chain's end are 0 (`links[0] == 0`) and are
            // rejected, like candidates past the depth, only after their bytes matched
            // (rare), not by a branch.
            let links = &*self.links;
            let mut e = first;
            let mut rem = depth;
            loop {
                let c0 = e as u16;
                let c1 = (e >> 16) as u16;
                let c2 = (e >> 32) as u16;
                let c3 = (e >> 48) as u16;
                // With a depth that is a multiple of four (every lazy level that is a
                // multiple of 5) no entry is cut short: only the chain's end is masked.
                let ok0 = c0 != 0;
                let ok1 = (c1 != 0) & (FULL | (rem >= 2));
                let ok2 = (c2 != 0) & (FULL | (rem >= 3));
                let ok3 = (c3 != 0) & (FULL | (rem >= 4));
                if check(
                    usize::from(c0),
                    ok0,
                    &mut best,
                    &mut best_off,
                    &mut toff,
                    &mut tail,
                ) || check(
                    usize::from(c1),
                    ok1,
                    &mut best,
                    &mut best_off,
                    &mut toff,
                    &mut tail,
                ) || check(
                    usize::from(c2),
                    ok2,
                    &mut best,
                    &mut best_off,
                    &mut toff,
                    &mut tail,
                ) || check(
                    usize::from(c3),
                    ok3,
                    &mut best,
                    &mut best_off,
                    &mut toff,
                    &mut tail,
                ) {
                    break;
                }
                rem = rem.saturating_sub(4);
                if (rem == 0) | (c3 == 0) {
                    break;
                }
                e = links[usize::from(c3)];
            }
        } else {
            let mut cur = first as u16;
            while cur != 0 {
                let c = usize::from(cur);
                if check(c, true, &mut best, &mut best_off, &mut toff, &mut tail) {
                    break;
                }
                depth -= 1;
                if depth == 0 {
                    break;
                }
                cur = prev[c];
            }
        }
        if best_off == 0 {
            (0, 0)
        } else {
            (best, best_off)
        }
    }
}
