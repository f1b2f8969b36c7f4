//! Binary-tree match finder for buffers of at most 64 KiB (XPRESS chunks): the algorithm of
//! [`super::binary_tree`] with 16-bit positions, fixed-size tables (every index provably in
//! bounds, tables half the size) and a private zero-padded copy of the buffer.
//!
//! Position 0 is never a match source (0 marks an empty link). Every reported match has
//! `3 <= len <= min(max_len, len - pos)` and `1 <= offset <= pos`.

use super::padded16::{BUF, IDX, boxed, extend};
use super::{Match, SearchParams};

/// Largest buffer.
pub(crate) const BT16_MAX: usize = 1 << 16;
/// Width of the 3-byte hash table (upper bound; narrower for small buffers).
const HB: u32 = 15;
const MUL: u32 = 0x1E35_A7BD;

/// The finder; see the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct Bt16 {
    buf: Box<[u8; BUF]>,
    head: Box<[u16; 1 << HB]>,
    /// `child[2p]`: subtree of suffixes smaller than p's; `child[2p+1]`: greater.
    child: Box<[u16; 2 * BT16_MAX]>,
    shift: u32,
    used: usize,
    len: usize,
}

impl Bt16 {
    /// A finder for buffers of up to `capacity` (≤ 64 KiB) bytes.
    pub(crate) fn new(capacity: usize) -> Self {
        let order = usize::BITS - capacity.clamp(1, BT16_MAX).leading_zeros();
        let bits = order.saturating_sub(1).clamp(10, HB);
        Bt16 {
            buf: boxed(0),
            head: boxed(0),
            child: boxed(0),
            shift: 32 - bits,
            used: 1 << bits,
            len: 0,
        }
    }

    /// Bytes of memory.
    pub(crate) fn memory() -> usize {
        BUF + (2 << HB) + 4 * BT16_MAX
    }

    /// Starts a new buffer (`data.len() <= 64 KiB`, else it is truncated).
    pub(crate) fn load(&mut self, data: &[u8]) {
        let n = data.len().min(BT16_MAX);
        self.len = n;
        self.buf[..n].copy_from_slice(&data[..n]);
        self.buf[n..n + 16].fill(0);
        let used = self.used.min(1 << HB);
        self.head[..used].fill(0);
    }

    /// Appends the progressively longer matches at `pos` to `out` (if given), inserts
    /// `pos`, and returns the longest length (0 if none).
    #[inline(always)]
    fn search(&mut self, pos: usize, p: &SearchParams, mut out: Option<&mut Vec<Match>>) -> usize {
        let n = self.len;
        if pos + 3 > n || pos >= BT16_MAX {
            return 0;
        }
        let buf = &*self.buf;
        let v = u32::from(buf[pos & IDX])
            | (u32::from(buf[(pos & IDX) + 1]) << 8)
            | (u32::from(buf[(pos & IDX) + 2]) << 16);
        let h = (v.wrapping_mul(MUL) >> self.shift) as usize & ((1 << HB) - 1);
        let child = &mut *self.child;
        let mut cur = self.head[h];
        self.head[h] = pos as u16;
        let tree_limit = p.nice_len.min(p.max_len).min(n - pos);
        let mut left_slot = 2 * pos; // where the next "smaller" node hangs
        let mut right_slot = 2 * pos + 1;
        let (mut len_l, mut len_r) = (0usize, 0usize);
        let mut best = 2usize;
        let mut best_off = 0usize;
        let mut depth = p.max_depth;
        const CI: usize = 2 * BT16_MAX - 1;
        loop {
            if cur == 0 || depth == 0 {
                child[left_slot & CI] = 0;
                child[right_slot & CI] = 0;
                break;
            }
            depth -= 1;
            let c = usize::from(cur);
            let len = extend(buf, c, pos, len_l.min(len_r), tree_limit);
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
                child[left_slot & CI] = child[(2 * c) & CI];
                child[right_slot & CI] = child[(2 * c + 1) & CI];
                break;
            }
            if buf[(c + len) & IDX] < buf[(pos + len) & IDX] {
                child[left_slot & CI] = cur;
                left_slot = 2 * c + 1;
                cur = child[left_slot & CI];
                len_l = len;
            } else {
                child[right_slot & CI] = cur;
                right_slot = 2 * c;
                cur = child[right_slot & CI];
                len_r = len;
            }
        }
        // Extend the longest match past the tree limit.
        let limit = p.max_len.min(n - pos);
        if best_off != 0 && best >= tree_limit && limit > best {
            best = extend(buf, pos - best_off, pos, best, limit);
            if let Some(m) = out.and_then(|o| o.last_mut()) {
                m.len = best as u32;
            }
        }
        if best_off == 0 { 0 } else { best }
    }

    /// Reports the matches at `pos` into `out` and inserts `pos`; returns the longest length.
    #[inline(always)]
    pub(crate) fn find(&mut self, pos: usize, p: &SearchParams, out: &mut Vec<Match>) -> usize {
        self.search(pos, p, Some(out))
    }

    /// Inserts `pos` without reporting.
    #[inline(always)]
    pub(crate) fn skip(&mut self, pos: usize, p: &SearchParams) {
        self.search(pos, p, None);
    }
}
