//! Match finders of the LZMS encoder (`codecs.md` §6.1): a binary-tree finder and a
//! hash-chain finder (levels 20-34) for LZ matches over the whole chunk, and a hash
//! finder for delta matches.

use super::prefetch::prefetch;

/// No position.
pub(crate) const NIL: u32 = u32::MAX;

/// Binary-tree match finder: per 3-byte hash bucket, a binary search tree of earlier
/// positions ordered by the suffix that starts there. Positions are visited in order;
/// each visit reports the progressively longer matches and re-roots the tree.
#[derive(Debug, Default)]
pub(crate) struct BtFinder {
    pub(crate) head: Vec<u32>,
    /// Left and right child of every position.
    pub(crate) child: Vec<u32>,
    hash_shift: u32,
    /// Next position to visit.
    pub(crate) next: usize,
}

#[inline(always)]
pub(crate) fn hash3(d: &[u8], p: usize, shift: u32) -> usize {
    let v = u32::from(d[p]) | (u32::from(d[p + 1]) << 8) | (u32::from(d[p + 2]) << 16);
    (v.wrapping_mul(0x9E37_79B1) >> shift) as usize
}

/// Length of the common prefix of `d[a..]` and `d[b..]`, from `start`, at most `max`
/// (`a + max` and `b + max` within `d`).
#[inline(always)]
pub(crate) fn extend(d: &[u8], a: usize, b: usize, start: usize, max: usize) -> usize {
    let mut len = start;
    while len + 8 <= max {
        let x = u64::from_le_bytes(d[a + len..a + len + 8].try_into().unwrap_or([0; 8]));
        let y = u64::from_le_bytes(d[b + len..b + len + 8].try_into().unwrap_or([0; 8]));
        let z = x ^ y;
        if z != 0 {
            return len + (z.trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    while len < max && d[a + len] == d[b + len] {
        len += 1;
    }
    len
}

impl BtFinder {
    /// Prepares for a chunk of `n` bytes.
    pub(crate) fn reset(&mut self, n: usize) {
        let bits = (usize::BITS - n.max(1).leading_zeros()).clamp(12, 24) - 2;
        self.hash_shift = 32 - bits;
        self.head.clear();
        self.head.resize(1 << bits, NIL);
        self.child.clear();
        self.child.resize(2 * n, NIL);
        self.next = 0;
    }

    /// Visits position `p == self.next`: records in `out` the matches `(length, offset)`
    /// of increasing length (≥ 3, ≤ `nice`), searching at most `depth` tree nodes.
    /// With `RECORD == false` only the tree is updated.
    #[inline(never)]
    pub(crate) fn visit<const RECORD: bool>(
        &mut self,
        d: &[u8],
        depth: u32,
        nice: usize,
        out: &mut Vec<(u32, u32)>,
    ) {
        #[cfg(not(feature = "safe-only"))]
        {
            let cur = self.next;
            if super::fast_bt::visit::<RECORD>(
                &mut self.head,
                &mut self.child,
                self.hash_shift,
                cur,
                d,
                depth,
                nice,
                out,
            ) {
                self.next += 1;
                return;
            }
        }
        self.visit_safe::<RECORD>(d, depth, nice, out);
    }

    /// The safe twin of [`BtFinder::visit`] (`src/fast/lzms_bt.rs`).
    #[inline(always)]
    pub(crate) fn visit_safe<const RECORD: bool>(
        &mut self,
        d: &[u8],
        depth: u32,
        nice: usize,
        out: &mut Vec<(u32, u32)>,
    ) {
        let cur = self.next;
        self.next += 1;
        let n = d.len();
        if n - cur < 3 {
            return;
        }
        let max_len = nice.min(n - cur);
        let h = hash3(d, cur, self.hash_shift);
        let mut m = self.head[h];
        self.head[h] = cur as u32;
        // Touch the next position's bucket and this one's first tree node early so their
        // cache misses overlap with this descent.
        if n - cur >= 4 {
            let h2 = hash3(d, cur + 1, self.hash_shift);
            prefetch(&self.head, h2);
            prefetch(&self.child, 2 * (m as usize));
        }
        let mut lt_slot = 2 * cur;
        let mut gt_slot = 2 * cur + 1;
        let mut lt_len = 0usize;
        let mut gt_len = 0usize;
        let mut best = 2usize;
        let mut depth = depth;
        loop {
            if m == NIL || depth == 0 {
                self.child[lt_slot] = NIL;
                self.child[gt_slot] = NIL;
                return;
            }
            let mu = m as usize;
            let len = extend(d, cur, mu, lt_len.min(gt_len), max_len);
            if len > best {
                best = len;
                if RECORD {
                    out.push((len as u32, (cur - mu) as u32));
                }
                if len >= max_len {
                    self.child[lt_slot] = self.child[2 * mu];
                    self.child[gt_slot] = self.child[2 * mu + 1];
                    return;
                }
            }
            if len < max_len && d[mu + len] < d[cur + len] {
                self.child[lt_slot] = m;
                lt_slot = 2 * mu + 1;
                lt_len = len;
                m = self.child[lt_slot];
            } else {
                self.child[gt_slot] = m;
                gt_slot = 2 * mu;
                gt_len = len;
                m = self.child[gt_slot];
            }
            depth -= 1;
        }
    }
}

/// Number of delta powers searched (spans 1, 2, 4, ..., 32).
pub(crate) const DELTA_POWERS: usize = 6;
/// Shortest explicit delta match reported.
pub(crate) const MIN_DELTA_LEN: usize = 4;

/// Hash finder for delta matches: per power, the last position whose next three byte
/// differences (at distance `span`) and position modulo `span` hashed to each bucket.
#[derive(Debug, Default)]
pub(crate) struct DeltaFinder {
    pub(crate) table: Vec<u32>,
    pub(crate) bits: u32,
    /// Buckets and difference words precomputed for position `next_p`.
    pub(crate) next_p: usize,
    pub(crate) next_b: [usize; DELTA_POWERS],
    pub(crate) next_d: [u32; DELTA_POWERS],
    /// Powers searched: `lo..hi`.
    pub(crate) lo: usize,
    pub(crate) hi: usize,
    /// Bits of position + 1 in an entry; the bits above carry more hash bits (a tag), so
    /// that most unrelated candidates are rejected without reading the chunk at them.
    pub(crate) pos_bits: u32,
    /// Two entries per bucket (the two most recent positions).
    pub(crate) two: bool,
}

/// Byte difference at distance `span` (requires `x >= span`).
#[inline(always)]
fn diff(d: &[u8], x: usize, span: usize) -> u8 {
    d[x].wrapping_sub(d[x - span])
}

#[inline(always)]
fn load32(d: &[u8], p: usize) -> u32 {
    u32::from_le_bytes(d[p..p + 4].try_into().unwrap_or([0; 4]))
}

#[inline(always)]
fn load64(d: &[u8], p: usize) -> u64 {
    u64::from_le_bytes(d[p..p + 8].try_into().unwrap_or([0; 8]))
}

/// Byte-wise wrapping subtraction `x - y` of four lanes.
#[inline(always)]
pub(crate) fn sub_bytes32(x: u32, y: u32) -> u32 {
    const H: u32 = 0x8080_8080;
    ((x | H).wrapping_sub(y & !H)) ^ ((x ^ !y) & H)
}

/// Byte-wise wrapping subtraction `x - y` of eight lanes.
#[inline(always)]
pub(crate) fn sub_bytes64(x: u64, y: u64) -> u64 {
    const H: u64 = 0x8080_8080_8080_8080;
    ((x | H).wrapping_sub(y & !H)) ^ ((x ^ !y) & H)
}

#[cfg(not(feature = "safe-only"))]
pub(crate) use super::fast_delta::delta_len_from;

/// Length of a delta match at `p` from `off` bytes back with `span`, from `start`, at
/// most `max` (requires `off + span <= p`, `p + max <= d.len()`).
#[cfg(feature = "safe-only")]
#[inline]
pub(crate) fn delta_len_from(
    d: &[u8],
    p: usize,
    off: usize,
    span: usize,
    start: usize,
    max: usize,
) -> usize {
    delta_len_safe(d, p, off, span, start, max)
}

/// The safe twin of `delta_len_from` (`src/fast/lzms_delta.rs`).
#[inline]
pub(crate) fn delta_len_safe(
    d: &[u8],
    p: usize,
    off: usize,
    span: usize,
    start: usize,
    max: usize,
) -> usize {
    let mut l = start;
    while l + 8 <= max {
        let a = sub_bytes64(load64(d, p + l), load64(d, p + l - span));
        let b = sub_bytes64(load64(d, p + l - off), load64(d, p + l - off - span));
        let z = a ^ b;
        if z != 0 {
            return l + (z.trailing_zeros() / 8) as usize;
        }
        l += 8;
    }
    while l < max && diff(d, p + l, span) == diff(d, p + l - off, span) {
        l += 1;
    }
    l
}

impl DeltaFinder {
    /// Prepares for a chunk of `n` bytes with `2^bits` buckets per power, searching the
    /// powers `powers` (within `0..DELTA_POWERS`).
    pub(crate) fn reset(
        &mut self,
        n: usize,
        bits: u32,
        ways: usize,
        powers: std::ops::Range<usize>,
    ) {
        self.hi = powers.end.min(DELTA_POWERS);
        self.lo = powers.start.min(self.hi);
        self.bits = (usize::BITS - n.max(1).leading_zeros()).clamp(10, bits);
        self.two = ways >= 2;
        self.table.clear();
        self.table.resize(
            (DELTA_POWERS << self.bits) * if self.two { 2 } else { 1 },
            0,
        );
        self.next_p = usize::MAX;
        // Position + 1 <= n; at least 24 bits so that the tag is at most 8 bits.
        self.pos_bits = (usize::BITS - n.leading_zeros()).clamp(24, 32);
    }

    /// The bucket and the masked difference word (low 24 bits) with 8 further hash bits
    /// (high 8) of each power `< top` at `p` (`p + 4 <= d.len()`, `2^(top-1) <= p`).
    #[inline(always)]
    pub(crate) fn hashes(
        &self,
        d: &[u8],
        p: usize,
        top: usize,
        bk: &mut [usize; DELTA_POWERS],
        difs: &mut [u32; DELTA_POWERS],
    ) {
        let x = load32(d, p);
        let bits = self.bits;
        for power in self.lo..top {
            let span = 1usize << power;
            let dif = sub_bytes32(x, load32(d, p - span)) & 0x00FF_FFFF;
            let v = dif | (((p & (span - 1)) as u32) << 24);
            let h = v.wrapping_mul(0x9E37_79B1);
            bk[power] = (power << bits) | (h >> (32 - bits)) as usize;
            difs[power] = dif | ((h >> (24 - bits)) << 24);
        }
    }

    /// Visits position `p` (every position in order). With `RECORD`, appends to `out`
    /// the candidates `(power, raw offset, length)` with length ≥ 4 and ≤ `max`.
    #[inline(never)]
    pub(crate) fn visit<const RECORD: bool>(
        &mut self,
        d: &[u8],
        p: usize,
        max: usize,
        out: &mut Vec<(u32, u32, u32)>,
    ) {
        #[cfg(not(feature = "safe-only"))]
        if super::fast_delta::visit::<RECORD>(self, d, p, max, out) {
            return;
        }
        self.visit_safe::<RECORD>(d, p, max, out);
    }

    /// The safe twin of [`DeltaFinder::visit`] (`src/fast/lzms_delta.rs`).
    #[inline(always)]
    pub(crate) fn visit_safe<const RECORD: bool>(
        &mut self,
        d: &[u8],
        p: usize,
        max: usize,
        out: &mut Vec<(u32, u32, u32)>,
    ) {
        let n = d.len();
        if p + MIN_DELTA_LEN > n || p < 1 {
            return;
        }
        let max = max.min(n - p);
        let top = self.hi.min((usize::BITS - p.leading_zeros()) as usize);
        let x = load32(d, p);
        let mut bk = [0usize; DELTA_POWERS];
        let mut difs = [0u32; DELTA_POWERS];
        if self.next_p == p {
            bk = self.next_b;
            difs = self.next_d;
        } else {
            self.hashes(d, p, top, &mut bk, &mut difs);
        }
        // Touch the buckets of the next position now, so that their cache misses overlap
        // with this position's work.
        if p + 1 + MIN_DELTA_LEN <= n {
            let t2 = self
                .hi
                .min((usize::BITS - (p + 1).leading_zeros()) as usize);
            let (mut nb, mut nd) = ([0usize; DELTA_POWERS], [0u32; DELTA_POWERS]);
            self.hashes(d, p + 1, t2, &mut nb, &mut nd);
            for &b in nb.get(self.lo..t2).unwrap_or(&[]) {
                prefetch(&self.table, if self.two { 2 * b } else { b });
            }
            self.next_p = p + 1;
            self.next_b = nb;
            self.next_d = nd;
        }
        let pb = self.pos_bits;
        let pos_mask = u32::MAX >> (32 - pb);
        for power in self.lo..top {
            let span = 1usize << power;
            let (dif, tag) = (difs[power] & 0x00FF_FFFF, difs[power] >> 24);
            let b = bk[power];
            // `checked_shl`: no tag bits at all when positions need 32 bits.
            let tag = tag.checked_shl(pb).unwrap_or(0);
            let new = (p as u32 + 1) | tag;
            let (e0, e1) = if self.two {
                let Some(pair) = self.table.get_mut(2 * b..2 * b + 2) else {
                    continue;
                };
                let old = (pair[0], pair[1]);
                pair[1] = pair[0];
                pair[0] = new;
                old
            } else {
                let Some(slot) = self.table.get_mut(b) else {
                    continue;
                };
                let e = *slot;
                *slot = new;
                (e, 0)
            };
            if !RECORD {
                continue;
            }
            for e in [e0, e1] {
                if e & !pos_mask != tag {
                    continue;
                }
                let c = (e & pos_mask) as usize;
                if c == 0 {
                    continue;
                }
                let c = c - 1;
                let off = p - c;
                // Raw offsets are packed in 29 bits by the parser.
                if off & (span - 1) != 0 || c < span || off >> power >= 1 << 29 {
                    continue;
                }
                let xc = load32(d, c);
                if sub_bytes32(xc, load32(d, c - span)) & 0x00FF_FFFF != dif {
                    continue;
                }
                // A plain copy (equal bytes, so equal differences) is an LZ match: the
                // parser drops it, so do not measure it.
                if xc == x {
                    continue;
                }
                let l = delta_len_safe(d, p, off, span, 3, max);
                if l >= 3 {
                    out.push((power as u32, (off >> power) as u32, l as u32));
                }
            }
        }
    }
}

/// Hash-chain match finder for the low near-optimal levels: per 4-byte hash the newest
/// position, per position the previous one with the same hash (insertion is two stores,
/// not a tree descent), plus the newest position of each 3-byte hash for the length-3
/// matches the 4-byte chains cannot see.
#[derive(Debug, Default)]
pub(crate) struct HcFinder {
    head: Vec<u32>,
    head3: Vec<u32>,
    prev: Vec<u32>,
    shift: u32,
    shift3: u32,
    /// Next position to visit.
    pub(crate) next: usize,
}

#[inline(always)]
fn hash4(x: u32, shift: u32) -> usize {
    (x.wrapping_mul(0x9E37_79B1) >> shift) as usize
}

impl HcFinder {
    /// Prepares for a chunk of `n` bytes.
    pub(crate) fn reset(&mut self, n: usize) {
        // 2^17 heads for 128 KiB (2^16: +0.06 % size at L30, no faster).
        let bits = (usize::BITS - n.max(1).leading_zeros()).clamp(12, 22) - 1;
        self.shift = 32 - bits;
        let bits3 = bits.saturating_sub(3).max(10);
        self.shift3 = 32 - bits3;
        self.head.clear();
        self.head.resize(1 << bits, NIL);
        self.head3.clear();
        self.head3.resize(1 << bits3, NIL);
        self.prev.clear();
        self.prev.resize(n, NIL);
        self.next = 0;
    }

    /// Visits position `p == self.next`: records in `out` the matches `(length, offset)`
    /// of increasing length (≥ 3, ≤ `nice`), following at most `depth` chain links.
    /// With `RECORD == false` only the tables are updated.
    #[inline(never)]
    pub(crate) fn visit<const RECORD: bool>(
        &mut self,
        d: &[u8],
        depth: u32,
        nice: usize,
        out: &mut Vec<(u32, u32)>,
    ) {
        let cur = self.next;
        self.next += 1;
        let n = d.len();
        if n - cur < 4 {
            return;
        }
        let x = load32(d, cur);
        let h3 = hash4(x & 0x00FF_FFFF, self.shift3);
        let h = hash4(x, self.shift);
        let (Some(s3), Some(s4), Some(pv)) = (
            self.head3.get_mut(h3),
            self.head.get_mut(h),
            self.prev.get_mut(cur),
        ) else {
            return;
        };
        let c3 = *s3;
        *s3 = cur as u32;
        let mut m = *s4;
        *s4 = cur as u32;
        *pv = m;
        if n - cur >= 5 {
            let hn = hash4(load32(d, cur + 1), self.shift);
            prefetch(&self.head, hn);
        }
        if !RECORD {
            return;
        }
        let max_len = nice.min(n - cur);
        let mut best = 2usize;
        if c3 != NIL {
            let c3 = c3 as usize;
            if load32(d, c3) & 0x00FF_FFFF == x & 0x00FF_FFFF && load32(d, c3) != x {
                best = 3;
                out.push((3, (cur - c3) as u32));
            }
        }
        let mut depth = depth;
        while m != NIL && depth > 0 {
            let mu = m as usize;
            if d[mu + best] == d[cur + best] && load32(d, mu) == x {
                let len = extend(d, cur, mu, 4, max_len);
                if len > best {
                    best = len;
                    out.push((len as u32, (cur - mu) as u32));
                    if len >= max_len {
                        return;
                    }
                }
            }
            m = self.prev.get(mu).copied().unwrap_or(NIL);
            depth -= 1;
        }
    }
}
