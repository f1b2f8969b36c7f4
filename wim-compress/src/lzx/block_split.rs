//! LZX block splitting (codecs.md §6.3): where a chunk's blocks end.
//!
//! A quick greedy parse of the whole chunk is cut into segments of about [`SEGMENT`] bytes;
//! a block is a run of whole segments. A block's estimated size is the entropy of its main
//! and length symbols (Σ f·log2(total/f), what Huffman codes built for that block get
//! within a bit per symbol) plus a fixed header estimate; dynamic programming over the
//! segment boundaries picks the cheapest cut, with blocks of at most [`MAX_SEGMENTS`]
//! segments. The optimal parser then parses each block on its own.

use super::compress::{Item, item_symbols};
use super::constants::{MAX_MAIN_SYMBOLS, NUM_LEN_SYMBOLS};

/// Bytes per segment (the granularity of block boundaries).
pub(super) const SEGMENT: usize = 4096;
/// Most segments per block.
const MAX_SEGMENTS: usize = 16;
/// Estimated bits of one block's header (block type, size, three pretrees and the
/// delta-coded lengths), measured on PE files: ~200 bytes.
const HEADER_BITS: f64 = 1500.0;
/// Histogram width: main symbols then length symbols.
const W: usize = MAX_MAIN_SYMBOLS + NUM_LEN_SYMBOLS;

/// Reusable buffers of the splitter.
#[derive(Debug, Default)]
pub(super) struct Splitter {
    /// Per segment: its histogram (`W` counts).
    hist: Vec<u32>,
    /// Per segment: (first byte, first item index).
    seg: Vec<(usize, usize)>,
    acc: Vec<u32>,
    best: Vec<(f64, usize)>,
}

/// Σ f·log2(total/f) over `counts` in bits.
fn entropy_bits(counts: &[u32]) -> f64 {
    let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    if total == 0 {
        return 0.0;
    }
    let lt = (total as f64).log2();
    counts
        .iter()
        .filter(|&&c| c != 0)
        .map(|&c| {
            let c = f64::from(c);
            c * (lt - c.log2())
        })
        .sum()
}

impl Splitter {
    /// Chooses block boundaries for a chunk of `n` bytes parsed greedily into `items`;
    /// writes (first byte, first item index into `items`) of each block into `out`.
    pub(super) fn split(&mut self, items: &[Item], n: usize, out: &mut Vec<(usize, usize)>) {
        out.clear();
        // Segments at item boundaries.
        self.seg.clear();
        self.hist.clear();
        let mut pos = 0usize;
        let mut next_cut = 0usize;
        for (k, &it) in items.iter().enumerate() {
            if pos >= next_cut && n - pos >= SEGMENT / 2 {
                self.seg.push((pos, k));
                self.hist.resize(self.seg.len() * W, 0);
                next_cut = pos + SEGMENT;
            }
            let base = (self.seg.len() - 1) * W;
            let (m, l) = item_symbols(it);
            self.hist[base + m] += 1;
            if let Some(l) = l {
                self.hist[base + MAX_MAIN_SYMBOLS + l] += 1;
            }
            let len = (it >> 22) as usize;
            pos += len.max(1);
        }
        let ns = self.seg.len();
        if ns <= 1 {
            out.push((0, 0));
            return;
        }
        // best[j]: cheapest cost of segments 0..j and the start of its last block.
        self.best.clear();
        self.best.resize(ns + 1, (f64::INFINITY, 0));
        self.best[0] = (0.0, 0);
        self.acc.resize(W, 0);
        for i in 0..ns {
            let from = self.best[i].0;
            self.acc.fill(0);
            for j in i..ns.min(i + MAX_SEGMENTS) {
                for (a, &h) in self.acc.iter_mut().zip(&self.hist[j * W..(j + 1) * W]) {
                    *a += h;
                }
                let c = from
                    + HEADER_BITS
                    + entropy_bits(&self.acc[..MAX_MAIN_SYMBOLS])
                    + entropy_bits(&self.acc[MAX_MAIN_SYMBOLS..]);
                if c < self.best[j + 1].0 {
                    self.best[j + 1] = (c, i);
                }
            }
        }
        let mut j = ns;
        while j > 0 {
            let i = self.best[j].1;
            out.push(self.seg[i]);
            j = i;
        }
        out.reverse();
    }
}
