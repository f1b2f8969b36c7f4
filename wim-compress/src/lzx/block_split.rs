//! LZX block splitting (codecs.md §6.3): where a chunk's blocks end.
//!
//! A quick greedy parse of the whole chunk is cut into segments of about [`SEGMENT`] bytes;
//! a block is a run of whole segments. A block's estimated size is the entropy of its main
//! and length symbols (Σ f·log2(total/f), what Huffman codes built for that block get
//! within a bit per symbol) plus a fixed header estimate; dynamic programming over the
//! segment boundaries picks the cheapest cut, with blocks of at most [`MAX_SEGMENTS`]
//! segments. The optimal parser then parses each block on its own.

use super::compress::{Item, slot_of};
use super::constants::{
    EXTRA_BITS, MAX_MAIN_SYMBOLS, MIN_MATCH, NUM_ALIGNED_SYMBOLS, NUM_CHARS, NUM_LEN_HEADERS,
    NUM_LEN_SYMBOLS,
};

/// Bytes per segment (the granularity of block boundaries) for the near-optimal parser;
pub(super) const SEGMENT: usize = 2048;
/// Most segments per block.
const MAX_SEGMENTS: usize = 32;
/// Estimated bits of one block's header (block type, size, three pretrees and the
/// delta-coded lengths): ~200 bytes on PE files; 1800 bits sized the cuts best on wine.
const HEADER_BITS: i64 = 1800 << FRAC;
/// Fixed-point fraction bits of the cost sums (integer sums: the floating-point sum was a
/// latency chain through the stack).
const FRAC: u32 = 16;
/// Histogram width: main symbols then length symbols.
const W: usize = MAX_MAIN_SYMBOLS + NUM_LEN_SYMBOLS;

/// Counts below this use the `f·log2 f` table.
const TABLE: usize = 4096;

/// Reusable buffers of the splitter.
#[derive(Debug)]
pub(super) struct Splitter {
    /// Scratch histogram of one segment (`W` counts, all zero between segments).
    hist: Vec<u32>,
    /// Per segment: (first byte, first item index, first entry in `used`).
    seg: Vec<(usize, usize, usize)>,
    /// Per segment, concatenated: (symbol, count) of every used symbol.
    used: Vec<(u16, u32)>,
    /// Per segment: counts of the aligned symbols (low 3 offset bits of the matches whose
    /// slot has 3 or more extra bits), for [`Splitter::block_counts`].
    al: Vec<[u32; NUM_ALIGNED_SYMBOLS]>,
    /// First segment of each chosen block, then the segment count.
    cuts: Vec<usize>,
    /// Counts of the candidate block (all zero between rows).
    acc: Vec<u32>,
    best: Vec<(i64, usize)>,
    /// `f·log2 f` for f < TABLE.
    flogf: Vec<i64>,
    /// Scratch of [`Feed::close`] (one entry per histogram symbol).
    row: Box<[(u16, u32); ROW]>,
}

/// Entries of [`Splitter::row`]: a power of two of at least `W`.
const ROW: usize = W.next_power_of_two();

impl Default for Splitter {
    fn default() -> Self {
        Splitter {
            hist: Vec::new(),
            seg: Vec::new(),
            used: Vec::new(),
            al: Vec::new(),
            cuts: Vec::new(),
            acc: Vec::new(),
            best: Vec::new(),
            flogf: Vec::new(),
            row: Box::new([(0, 0); ROW]),
        }
    }
}

#[inline(always)]
fn flogf(t: &[i64], f: u32) -> i64 {
    match t.get(f as usize) {
        Some(&v) => v,
        None => flogf_exact(f),
    }
}

/// `f·log2 f` in fixed point.
fn flogf_exact(f: u32) -> i64 {
    if f == 0 {
        return 0;
    }
    let f = f64::from(f);
    (f * f.log2() * f64::from(1u32 << FRAC)).round() as i64
}

/// Segment statistics built item by item (see [`Splitter::feed`]): segments end at the
/// first item boundary at or past `segment` bytes from their start that leaves half a
/// segment or more for the rest of the chunk.
///
/// Two ways to feed it: [`Feed::lit`] / [`Feed::mat`] per item, or (the lazy parser, which
/// knows its position and item count) [`Feed::count_lit`] / [`Feed::count_mat`] per item
/// and [`Feed::cut`] at an item boundary at or past [`Feed::next_cut`].
#[derive(Debug)]
pub(super) struct Feed<'a> {
    sp: &'a mut Splitter,
    n: usize,
    segment: usize,
    /// Bytes and items fed so far (for [`Feed::lit`] and [`Feed::mat`] only).
    pos: usize,
    k: usize,
    /// Item boundaries from here on may end the open segment (`usize::MAX`: none).
    next: usize,
    al: [u32; NUM_ALIGNED_SYMBOLS],
}

impl Feed<'_> {
    /// A literal.
    #[inline(always)]
    pub(super) fn lit(&mut self, b: u8) {
        self.count_lit(b);
        self.step(1);
    }

    /// A match item.
    #[inline(always)]
    pub(super) fn mat(&mut self, it: Item) {
        self.count_mat(it);
        self.step((it >> 22) as usize);
    }

    /// Counts a literal without tracking the position (see [`Feed::cut`]).
    #[inline(always)]
    pub(super) fn count_lit(&mut self, b: u8) {
        if let Some(h) = self.sp.hist.get_mut(usize::from(b)) {
            *h += 1;
        }
    }

    /// Counts a match item without tracking the position (see [`Feed::cut`]).
    #[inline(always)]
    pub(super) fn count_mat(&mut self, it: Item) {
        // The main and length symbols with the offset slot computed once (a helper
        // returning them as `(usize, Option<usize>)` computed it twice: 1.5 % of L20's
        // instructions).
        let fo = it & 0x3F_FFFF;
        let len = (it >> 22) as usize;
        let slot = slot_of(fo);
        let h = len.wrapping_sub(MIN_MATCH).min(NUM_LEN_HEADERS - 1);
        if let Some(c) = self.sp.hist.get_mut(NUM_CHARS + slot * NUM_LEN_HEADERS + h) {
            *c += 1;
        }
        if h == NUM_LEN_HEADERS - 1 {
            let l = len - MIN_MATCH - (NUM_LEN_HEADERS - 1);
            if let Some(c) = self.sp.hist.get_mut(MAX_MAIN_SYMBOLS + l) {
                *c += 1;
            }
        }
        if EXTRA_BITS[slot & 63] >= 3 {
            self.al[(fo & 7) as usize] += 1;
        }
    }

    /// The byte position from which an item boundary may end the open segment.
    #[inline(always)]
    pub(super) fn next_cut(&self) -> usize {
        self.next
    }

    #[inline(always)]
    fn step(&mut self, len: usize) {
        self.pos += len;
        self.k += 1;
        if self.pos >= self.next {
            self.next = self.cut(self.pos, self.k);
        }
    }

    /// At the item boundary `pos` (bytes, at or past [`Feed::next_cut`]) after `k` items:
    /// ends the open segment there if half a segment or more of the chunk is left; returns
    /// the new [`Feed::next_cut`].
    #[inline(never)]
    pub(super) fn cut(&mut self, pos: usize, k: usize) -> usize {
        if self.n.saturating_sub(pos) < self.segment / 2 {
            // No later boundary leaves more.
            return usize::MAX;
        }
        self.close();
        self.sp.seg.push((pos, k, self.sp.used.len()));
        pos + self.segment
    }

    /// Ends the open segment: its used symbols and aligned counts.
    #[inline(never)]
    fn close(&mut self) {
        // Compacted without a branch per symbol (whether a match or length symbol's count
        // is zero is unpredictable): every (symbol, count) is written to the scratch row,
        // the count of kept ones advances only past the used ones.
        let row = &mut *self.sp.row;
        let mut k = 0usize;
        for (s, h) in self.sp.hist.iter_mut().enumerate() {
            row[k & (ROW - 1)] = (s as u16, *h);
            k += usize::from(*h != 0);
            *h = 0;
        }
        self.sp.used.extend_from_slice(&row[..k.min(ROW)]);
        self.sp.al.push(std::mem::take(&mut self.al));
    }

    /// After the last item: chooses the blocks (as [`Splitter::split`]).
    pub(super) fn finish(mut self, out: &mut Vec<(usize, usize)>) {
        self.close();
        self.sp.choose(out);
    }
}

/// Adds one segment's `(symbol, count)` list to `acc`; returns the changes of Σ f·log2 f
/// and of the totals, main and length symbols apart (a separate function keeps the sums in
/// registers).
#[inline(never)]
fn merge(acc: &mut [u32], t: &[i64], used: &[(u16, u32)]) -> (i64, i64, u32, u32) {
    let (mut sm, mut sl, mut tm, mut tl) = (0i64, 0i64, 0u32, 0u32);
    for &(s, c) in used {
        let s = usize::from(s);
        let Some(a) = acc.get_mut(s) else {
            continue;
        };
        let old = *a;
        *a = old + c;
        let d = flogf(t, old + c) - flogf(t, old);
        if s < MAX_MAIN_SYMBOLS {
            sm += d;
            tm += c;
        } else {
            sl += d;
            tl += c;
        }
    }
    (sm, sl, tm, tl)
}

impl Splitter {
    /// Chooses block boundaries for a chunk of `n` bytes parsed greedily into `items`;
    /// writes (first byte, first item index into `items`) of each block into `out`.
    pub(super) fn split(
        &mut self,
        items: &[Item],
        n: usize,
        segment: usize,
        out: &mut Vec<(usize, usize)>,
    ) {
        let mut feed = self.feed(n, segment);
        for &it in items {
            if it >> 22 == 0 {
                feed.lit(it as u8);
            } else {
                feed.mat(it);
            }
        }
        feed.finish(out);
    }

    /// [`Splitter::split`] item by item, as a parser emits them: feed every item of the
    /// chunk in order, then [`Feed::finish`].
    pub(super) fn feed(&mut self, n: usize, segment: usize) -> Feed<'_> {
        if self.flogf.is_empty() {
            self.flogf = (0..TABLE as u32).map(flogf_exact).collect();
        }
        self.seg.clear();
        self.used.clear();
        self.al.clear();
        self.cuts.clear();
        self.hist.clear();
        self.hist.resize(W, 0);
        // The first segment starts at the first item.
        self.seg.push((0, 0, 0));
        Feed {
            sp: self,
            n,
            segment,
            pos: 0,
            k: 0,
            next: segment,
            al: [0; NUM_ALIGNED_SYMBOLS],
        }
    }

    /// The dynamic programming over the segments (see the module documentation).
    fn choose(&mut self, out: &mut Vec<(usize, usize)>) {
        out.clear();
        let ns = self.seg.len();
        if ns <= 1 {
            out.push((0, 0));
            self.cuts.extend([0, ns]);
            return;
        }
        let used_end = |j: usize| self.seg.get(j + 1).map_or(self.used.len(), |s| s.2);
        // best[j]: cheapest cost of segments 0..j and the start of its last block.
        self.best.clear();
        self.best.resize(ns + 1, (i64::MAX, 0));
        self.best[0] = (0, 0);
        self.acc.clear();
        self.acc.resize(W, 0);
        for i in 0..ns {
            let from = self.best[i].0;
            // Running Σ f·log2 f and totals of the main and length symbols of segments
            // i..=j; a block costs T·log2 T − Σ f·log2 f per code.
            let (mut sm, mut sl) = (0i64, 0i64);
            let (mut tm, mut tl) = (0u32, 0u32);
            let last = ns.min(i + MAX_SEGMENTS);
            for j in i..last {
                let (dm, dl, cm, cl) = merge(
                    &mut self.acc,
                    &self.flogf,
                    &self.used[self.seg[j].2..used_end(j)],
                );
                sm += dm;
                sl += dl;
                tm += cm;
                tl += cl;
                let c = from
                    + HEADER_BITS
                    + (flogf(&self.flogf, tm) - sm)
                    + (flogf(&self.flogf, tl) - sl);
                if c < self.best[j + 1].0 {
                    self.best[j + 1] = (c, i);
                }
            }
            for &(s, _) in &self.used[self.seg[i].2..used_end(last - 1)] {
                self.acc[usize::from(s)] = 0;
            }
        }
        let mut j = ns;
        self.cuts.push(ns);
        while j > 0 {
            let i = self.best[j].1;
            out.push((self.seg[i].0, self.seg[i].1));
            self.cuts.push(i);
            j = i;
        }
        out.reverse();
        self.cuts.reverse();
    }

    /// After [`Splitter::split`]: the symbol counts of its `k`-th block (main, length and
    /// aligned symbols, the same as counting the block's items), added to the arrays.
    pub(super) fn block_counts(
        &self,
        k: usize,
        main: &mut [u32; MAX_MAIN_SYMBOLS],
        lenf: &mut [u32; NUM_LEN_SYMBOLS],
        al: &mut [u32; NUM_ALIGNED_SYMBOLS],
    ) {
        let (Some(&a), Some(&b)) = (self.cuts.get(k), self.cuts.get(k + 1)) else {
            return;
        };
        let u0 = self.seg.get(a).map_or(self.used.len(), |s| s.2);
        let u1 = self.seg.get(b).map_or(self.used.len(), |s| s.2);
        for &(s, c) in self.used.get(u0..u1).unwrap_or(&[]) {
            let s = usize::from(s);
            if let Some(m) = main.get_mut(s) {
                *m += c;
            } else if let Some(l) = lenf.get_mut(s - MAX_MAIN_SYMBOLS) {
                *l += c;
            }
        }
        for seg_al in self.al.get(a..b).unwrap_or(&[]) {
            for (x, &c) in al.iter_mut().zip(seg_al) {
                *x += c;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(bytes: impl Iterator<Item = u8>) -> Vec<Item> {
        bytes.map(u32::from).collect()
    }

    #[test]
    fn cuts_where_statistics_change_only() {
        let mut s = Splitter::default();
        let mut out = Vec::new();
        // Two halves over disjoint alphabets: one cut, at the middle.
        let items = lits((0..32768u32).map(|i| {
            let r = (i.wrapping_mul(2_654_435_761) >> 13) as u8;
            if i < 16384 { r % 16 } else { 128 + r % 16 }
        }));
        s.split(&items, items.len(), SEGMENT, &mut out);
        assert_eq!(out, vec![(0, 0), (16384, 16384)]);
        // Uniform statistics: one block.
        let items = lits((0..32768u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 % 32));
        s.split(&items, items.len(), SEGMENT, &mut out);
        assert_eq!(out, vec![(0, 0)]);
        // Matches count with their lengths; tiny inputs give one block.
        let items = vec![(10u32 << 22) | 5, 7];
        s.split(&items, 11, SEGMENT, &mut out);
        assert_eq!(out, vec![(0, 0)]);
    }
}
