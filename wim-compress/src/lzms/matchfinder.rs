//! Match finders of the LZMS encoder (`codecs.md` §6.1): a binary-tree finder for LZ
//! matches over the whole chunk, and a hash finder for delta matches.

/// No position.
const NIL: u32 = u32::MAX;

/// Binary-tree match finder: per 3-byte hash bucket, a binary search tree of earlier
/// positions ordered by the suffix that starts there. Positions are visited in order;
/// each visit reports the progressively longer matches and re-roots the tree.
#[derive(Debug, Default)]
pub(crate) struct BtFinder {
    head: Vec<u32>,
    /// Left and right child of every position.
    child: Vec<u32>,
    hash_shift: u32,
    /// Next position to visit.
    pub(crate) next: usize,
}

#[inline(always)]
fn hash3(d: &[u8], p: usize, shift: u32) -> usize {
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
        let bits = (usize::BITS - n.max(1).leading_zeros()).clamp(12, 22);
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
const MIN_DELTA_LEN: usize = 4;

/// Hash finder for delta matches: per power, the last position whose next three byte
/// differences (at distance `span`) and position modulo `span` hashed to each bucket.
#[derive(Debug, Default)]
pub(crate) struct DeltaFinder {
    table: Vec<u32>,
    bits: u32,
}

/// Byte difference at distance `span` (requires `x >= span`).
#[inline(always)]
fn diff(d: &[u8], x: usize, span: usize) -> u8 {
    d[x].wrapping_sub(d[x - span])
}

/// Length of a delta match at `p` from `off` bytes back with `span`, at most `max`
/// (requires `off + span <= p`, `p + max <= d.len()`).
#[inline]
pub(crate) fn delta_len(d: &[u8], p: usize, off: usize, span: usize, max: usize) -> usize {
    let mut l = 0;
    while l < max && diff(d, p + l, span) == diff(d, p + l - off, span) {
        l += 1;
    }
    l
}

impl DeltaFinder {
    pub(crate) fn reset(&mut self, n: usize) {
        self.bits = (usize::BITS - n.max(1).leading_zeros()).clamp(10, 14);
        self.table.clear();
        self.table.resize(DELTA_POWERS << self.bits, 0);
    }

    #[inline(always)]
    fn bucket(&self, d: &[u8], p: usize, power: usize) -> usize {
        let span = 1usize << power;
        let v = u32::from(diff(d, p, span))
            | (u32::from(diff(d, p + 1, span)) << 8)
            | (u32::from(diff(d, p + 2, span)) << 16)
            | (((p & (span - 1)) as u32) << 24);
        (power << self.bits) | (v.wrapping_mul(0x9E37_79B1) >> (32 - self.bits)) as usize
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
        let n = d.len();
        if p + MIN_DELTA_LEN > n {
            return;
        }
        for power in 0..DELTA_POWERS {
            let span = 1usize << power;
            if p < span {
                break;
            }
            let b = self.bucket(d, p, power);
            let c = self.table[b] as usize;
            self.table[b] = p as u32 + 1;
            if !RECORD || c == 0 {
                continue;
            }
            let c = c - 1;
            let off = p - c;
            // Raw offsets are packed in 29 bits by the parser.
            if off & (span - 1) != 0 || c < span || off >> power >= 1 << 29 {
                continue;
            }
            let l = delta_len(d, p, off, span, max.min(n - p));
            if l >= MIN_DELTA_LEN {
                out.push((power as u32, (off >> power) as u32, l as u32));
            }
        }
    }
}
