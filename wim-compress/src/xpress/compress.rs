//! XPRESS encoder (codecs.md §2.6, §2.7, §2.11, §6).
//!
//! Levels (wimlib's scale, default 50): below 10 greedy parsing, 10–59 lazy parsing, both
//! over 16-bit hash chains ([`Hc16`]) with cost-aware match choices (every literal at one
//! flat cost, against the match's offset bits); 60 and above near-optimal parsing (exact minimum-cost
//! path under the current code's costs, iterated; below 100 the first costs come from a
//! cheap lazy parse, from 100 on from flat defaults with one more pass) over a 16-bit binary-tree match finder ([`Bt16`]).
//! OPTIMIZATIONS.md (XPRESS encoder) records the measurements behind these choices.

use super::{MAX_CHUNK, MAX_CODEWORD_LEN, NUM_SYMBOLS};
use crate::huffman::build::{HuffScratch, build_code};
use crate::matchfinder::bt16::Bt16;
use crate::matchfinder::hc16::{Hc16, WALK_FOUR, WALK_FOUR_MASKED, WALK_SINGLE};
use crate::matchfinder::padded16::boxed;
use crate::matchfinder::{LONG_MATCH_TAIL, Match, SearchParams};
use crate::{CompressError, Compressor};
#[cfg(test)]
use std::hint::select_unpredictable;

const MIN_MATCH: usize = 3;
/// Longest match we emit (a match never starts at position 0 of a ≤ 64 KiB chunk).
const MAX_MATCH: usize = 65535;
const MAX_OFFSET: usize = 65535;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parser {
    Greedy,
    Lazy,
    /// `passes` minimum-cost parses; the first costs come from a lazy parse when `seeded`,
    /// else from flat defaults.
    Optimal {
        passes: u32,
        seeded: bool,
    },
}

#[derive(Debug)]
enum Finder {
    None,
    Bt(Box<Bt16>),
}

/// A reusable XPRESS encoding context.
#[derive(Debug)]
pub struct XpressCompressor {
    max_chunk: usize,
    parser: Parser,
    params: SearchParams,
    finder: Finder,
    /// Greedy/lazy parsing (also seeds the near-optimal parser's first costs).
    hc: Box<Hc16>,
    /// Near-optimal parsing's items: literal byte `b` as `b`, match as `len << 16 |
    /// offset` (packed by [`XpressCompressor::count_freqs`]).
    items: Vec<u32>,
    freqs: [u32; NUM_SYMBOLS],
    lens: [u8; NUM_SYMBOLS],
    codes: [u32; NUM_SYMBOLS],
    scratch: HuffScratch,
    /// Near-optimal parsing: match cache and per-position counts.
    cache: Vec<Match>,
    counts: Vec<u16>,
    cost: Vec<u32>,
    choice: Vec<u32>,
    /// Greedy/lazy parsing: the items (packed, see [`pack_match`]) and their number.
    fixed: Box<[u32; MAX_CHUNK]>,
    nfixed: usize,
    /// Lengths of the matches of 18 bytes or more, in order (their raw length bytes).
    longs: Box<[u32; EVENTS]>,
    nlongs: usize,
    /// Unit stream buffer of [`XpressCompressor::write`].
    out: Box<[u8; OUT_BUF]>,
    /// Raw-byte events of [`XpressCompressor::write`]: the bit count at which each long
    /// match's length bytes occur.
    events: Box<[u32; EVENTS]>,
}

fn settings(level: u32) -> (Parser, SearchParams) {
    let l = level as usize;
    let (parser, depth, nice) = if level < 10 {
        // Depth 3, nice 16: 1.6 % smaller than depth 2, nice 8 at the same speed (the
        // chain walk is no longer the main cost, see OPTIMIZATIONS.md).
        (Parser::Greedy, 3, 16)
    } else if level < 60 {
        // A long nice length: on the wine sample depth 32 / nice 256 is as small as depth
        // 40 / nice 64 and a few per cent faster (OPTIMIZATIONS.md, XPRESS session 4).
        // Depth 0.8·L up to L20, then slower: 16 + 0.4·(L - 20), rounded up to a multiple
        // of four (the walk checks four links per load), so L50 walks 28 links. With flat
        // literal costs depth 28 stays under libwim L50's size on the 32 MiB sample
        // (0.9992x), with chunks per file (0.9991x) and over the whole wine corpus
        // (0.9994x), and runs ~3 % faster than depth 40 (OPTIMIZATIONS.md, XPRESS
        // session 9).
        let depth = if l <= 20 {
            l * 4 / 5
        } else {
            (16 + (l - 20) * 2 / 5).next_multiple_of(4)
        };
        (Parser::Lazy, depth.max(4), 256)
    } else {
        (
            // Seeding saves a near-optimal pass below 100; at 100 and above the extra pass
            // over flat first costs is kept (smaller output on the wine sample).
            Parser::Optimal {
                passes: level / 40 + u32::from(level >= 100),
                seeded: level < 100,
            },
            (l * 28 / 100).max(4),
            (l * 56 / 100).max(16),
        )
    };
    (
        parser,
        SearchParams {
            max_len: MAX_MATCH,
            nice_len: nice.min(MAX_MATCH),
            max_depth: depth.min(u32::MAX as usize) as u32,
            max_offset: MAX_OFFSET,
        },
    )
}

#[inline(always)]
fn offset_log2(off: usize) -> usize {
    (usize::BITS - 1 - off.leading_zeros()) as usize
}

/// A match as the writer takes it: bits 0–8 its symbol, 9–23 the low offset bits (the
/// offset without its top bit), 24–27 their count, bit 31 set when the length needs raw
/// bytes (18 or more; the lengths themselves are kept in order in `longs`).
#[inline(always)]
fn pack_match(len: usize, off: usize) -> u32 {
    let k = offset_log2(off);
    let sym = 256 + (k << 4) + (len - MIN_MATCH).min(15);
    (sym as u32)
        | (((off & ((1 << k) - 1)) as u32) << 9)
        | ((k as u32) << 24)
        | (u32::from(len >= 18) << 31)
}

/// Lazy parsing looks one position ahead only for matches shorter than this (longer
/// look-aheads cost time and, with the cost-aware choice, gained nothing on PE data).
const LAZY_MAX: usize = 8;
/// [`LAZY_MAX`] for walks of at least [`DEEP_DEPTH`] links (L25 and up, the default L50):
/// no look-ahead after a 7-byte match either. 32 MiB of wine at L50: +2 KB (0.02 %) for
/// -1.3 % instructions and -2.9 % mispredicted branches, a better rate than a shallower walk
/// (depth 28 -> 24: +10 KB for ~3 %); at L10 it would cost 4.3 KB of the L20 box's margin
/// (OPTIMIZATIONS.md, XPRESS session 9).
const LAZY_MAX_DEEP: usize = 7;
/// See [`LAZY_MAX_DEEP`].
const DEEP_DEPTH: u32 = 20;
/// Flat cost of a literal (1/16 bit) in the lazy parse's match gains: every literal a
/// match replaces counts the same, whatever its byte (OPTIMIZATIONS.md, XPRESS session 9:
/// costs from the chunk's byte histogram priced the frequent bytes that matches cover as
/// cheap and were 0.06 % larger at L50 on the wine sample; the best flat values also drop
/// the match header cost the histogram model needed, see [`match_gain`]).
const FLAT_LIT_LAZY: i32 = 56;
/// [`FLAT_LIT_LAZY`] for greedy parsing.
const FLAT_LIT_GREEDY: i32 = 48;
/// The look-ahead replaces the match found at `pos` by a literal and the match at `pos + 1`
/// only when that one saves this much more (1/16 bit): with flat literal costs the literal
/// it adds is priced low (wine 32 MiB: L50 -2.9 KB, L10 -3.8 KB; 24 to 40 all within 0.4 KB).
const LOOK_AHEAD_BIAS: i32 = 40;
/// No look-ahead after a 3-byte match at an offset below this: where the gains say that a
/// longer match one byte later is better, the near 3-byte match was the better choice
/// after all (wine 32 MiB: L50 -5.4 KB, L20 -5.3 KB, L10 -8.3 KB; `FILES=1` L50 -5.4 KB;
/// thresholds 8 / 128 / all offsets: L50 -4.7 / -1.2 / +22 KB; a cut for every length at
/// offset 8: -4.3 KB) (OPTIMIZATIONS.md, XPRESS session 9, second helper).
const LAZY_NEAR3_OFFSET: usize = 32;
/// (depth, nice length) of the lazy parse that seeds the near-optimal parser's costs.
const SEED_SEARCH: (u32, usize) = (4, 32);

/// Lazy parses walking at most this many links (levels 10-15, and the near-optimal
/// levels' seed parse) use chains over 5-byte hashes ([`Hc16::build_with`]): smaller
/// output at these depths (32 MiB of wine: L10 -11.6 KB, L12 -8.6 KB, L14 -3.8 KB, L15
/// -0.1 KB), larger from depth 16 on (L20 +5 KB) (OPTIMIZATIONS.md, XPRESS session 8).
const HASH5_MAX_DEPTH: u32 = 12;

impl XpressCompressor {
    /// Creates a context for chunks of up to `max_chunk` bytes at `level`.
    pub fn new(max_chunk: usize, level: u32) -> Result<Self, CompressError> {
        if max_chunk == 0 || max_chunk > MAX_CHUNK {
            return Err(CompressError::BadChunkSize);
        }
        let (parser, params) = settings(level);
        let finder = match parser {
            Parser::Optimal { .. } => Finder::Bt(Box::new(Bt16::new(max_chunk))),
            _ => Finder::None,
        };
        Ok(Self {
            max_chunk,
            parser,
            params,
            finder,
            hc: Box::new(Hc16::new(max_chunk)),
            items: Vec::with_capacity(max_chunk),
            freqs: [0; NUM_SYMBOLS],
            lens: [0; NUM_SYMBOLS],
            codes: [0; NUM_SYMBOLS],
            scratch: HuffScratch::default(),
            cache: Vec::new(),
            counts: Vec::new(),
            cost: Vec::new(),
            choice: Vec::new(),
            fixed: boxed(0),
            nfixed: 0,
            out: boxed(0),
            events: boxed(0),
            longs: boxed(0),
            nlongs: 0,
        })
    }

    /// An upper bound of the memory one context needs.
    pub fn needed_memory(max_chunk: usize, level: u32) -> usize {
        let (parser, params) = settings(level);
        // Items (both forms), bitstream buffer, hash chains.
        let base = 4 * max_chunk + 4 * MAX_CHUNK + OUT_BUF + 8 * EVENTS + Hc16::memory() + 8192;
        match parser {
            Parser::Optimal { .. } => {
                base + Bt16::memory()
                    + max_chunk * (2 + 8 + 8)
                    + 8 * max_chunk.min(params.max_depth as usize * max_chunk)
            }
            _ => base,
        }
    }

    #[inline(never)]
    fn parse_greedy_lazy(&mut self, data: &[u8], lazy: bool, seed: Option<(u32, usize)>) {
        let (depth, nice) = seed.unwrap_or((self.params.max_depth, self.params.nice_len));
        // Skip links pay only for the deeper walks of lazy parsing (greedy: +4-5 % without).
        // Shallow lazy walks reach more long matches on 5-byte chains.
        self.hc
            .build_with(data, lazy, lazy && depth <= HASH5_MAX_DEPTH);
        // One copy of the parse per search mode, so that no search tests it.
        match (lazy, depth.is_multiple_of(4)) {
            (false, _) => self.parse_with::<WALK_SINGLE>(data, false, depth, nice),
            (true, true) => self.parse_with::<WALK_FOUR>(data, true, depth, nice),
            (true, false) => self.parse_with::<WALK_FOUR_MASKED>(data, true, depth, nice),
        }
    }

    /// The body of [`Self::parse_greedy_lazy`] after the build, for the walk mode `W`
    /// ([`Hc16::find_as`]).
    #[inline(always)]
    fn parse_with<const W: u8>(&mut self, data: &[u8], lazy: bool, depth: u32, nice: usize) {
        let hc = &*self.hc;
        let n = data.len();
        let items = &mut *self.fixed;
        let mut ni = 0usize;
        let longs = &mut *self.longs;
        let mut nl = 0usize;
        let freqs = &mut self.freqs;
        let bytes = hc.data();
        let lit = if lazy { FLAT_LIT_LAZY } else { FLAT_LIT_GREEDY };
        let lazy_max = if depth >= DEEP_DEPTH {
            LAZY_MAX_DEEP
        } else {
            LAZY_MAX
        };
        let gain = |len: usize, off: usize| -> i32 { match_gain(len, off, lit) };
        *freqs = [0; NUM_SYMBOLS];
        // Positions below `end` have 4 bytes ahead and go through the finder.
        let end = n.saturating_sub(3);
        let mut pos = 0usize;
        'outer: while pos < end {
            let (mut len, mut off) = hc.find_as::<W>(pos, 2, depth, nice);
            let mut g = gain(len, off);
            if len >= lazy_max && off != 1 && run_start_beats(bytes, pos, len) {
                // A run of one byte starts here: a literal and then the offset-1 match over
                // the run beat the match found (no look-ahead is done for matches this long).
                g = 0;
            }
            if g <= 0 {
                let b = hc.data()[pos];
                items[ni & (MAX_CHUNK - 1)] = u32::from(b);
                ni += 1;
                freqs[usize::from(b)] += 1;
                pos += 1;
                continue;
            }
            if lazy {
                while (len < lazy_max) & ((len > 3) | (off >= LAZY_NEAR3_OFFSET)) && pos + 1 < end {
                    let (l2, o2) = hc.find_as::<W>(pos + 1, len, depth, nice);
                    let g2 = gain(l2, o2);
                    if g2 > g + LOOK_AHEAD_BIAS {
                        let b = hc.data()[pos];
                        items[ni & (MAX_CHUNK - 1)] = u32::from(b);
                        ni += 1;
                        freqs[usize::from(b)] += 1;
                        pos += 1;
                        len = l2;
                        off = o2;
                        g = g2;
                    } else {
                        let it = pack_match(len, off);
                        items[ni & (MAX_CHUNK - 1)] = it;
                        ni += 1;
                        freqs[(it & 511) as usize] += 1;
                        longs[nl & (EVENTS - 1)] = len as u32;
                        nl += usize::from(len >= 18);
                        pos += len;
                        continue 'outer;
                    }
                }
            }
            let it = pack_match(len, off);
            items[ni & (MAX_CHUNK - 1)] = it;
            ni += 1;
            freqs[(it & 511) as usize] += 1;
            longs[nl & (EVENTS - 1)] = len as u32;
            nl += usize::from(len >= 18);
            pos += len;
        }
        while pos < n {
            let b = data[pos];
            items[ni & (MAX_CHUNK - 1)] = u32::from(b);
            ni += 1;
            freqs[usize::from(b)] += 1;
            pos += 1;
        }
        self.nfixed = ni;
        self.nlongs = nl;
    }

    #[inline(never)]
    fn fill_cache(&mut self, data: &[u8]) {
        let Finder::Bt(bt) = &mut self.finder else {
            return;
        };
        let p = self.params;
        let n = data.len();
        bt.load(data);
        self.cache.clear();
        self.counts.clear();
        self.counts.resize(n + 1, 0);
        let mut pos = 0;
        while pos < n {
            let before = self.cache.len();
            let best = bt.find(pos, &p, &mut self.cache);
            self.counts[pos] = (self.cache.len() - before) as u16;
            if best >= p.nice_len {
                // Long match: skip searching inside it.
                // Only its last positions enter the tree: descending for every position
                // of a long match costs far more than the few matches it would add.
                let from = (pos + best).saturating_sub(LONG_MATCH_TAIL).max(pos + 1);
                for q in from..pos + best {
                    bt.skip(q, &p);
                }
                pos += best;
            } else {
                pos += 1;
            }
        }
    }

    #[inline(never)]
    fn parse_optimal(&mut self, data: &[u8]) {
        let n = data.len();
        // Costs in bits from the current code.
        let mut sym_cost = [0u32; NUM_SYMBOLS];
        for (c, &l) in sym_cost.iter_mut().zip(&self.lens) {
            *c = if l == 0 { 16 } else { u32::from(l) };
        }
        self.cost.clear();
        self.cost.resize(n + 1, 0);
        self.choice.clear();
        self.choice.resize(n + 1, 0);
        // Matches of each position, walked backwards.
        let mut end = self.cache.len();
        for pos in (0..n).rev() {
            let cnt = self.counts[pos] as usize;
            let start = end - cnt;
            let mut best = sym_cost[data[pos] as usize] + self.cost[pos + 1];
            let mut best_item = u32::from(data[pos]);
            let mut len = MIN_MATCH;
            let cost = &self.cost[..];
            for m in &self.cache[start..end] {
                let off = m.offset as usize;
                let k = offset_log2(off);
                let mlen = m.len as usize;
                if mlen >= self.params.nice_len {
                    len = mlen;
                }
                let base = 256 + (k << 4);
                let kc = k as u32;
                // Lengths 3..=17: one symbol each (consecutive symbols).
                let to = mlen.min(17);
                if len <= to
                    && let (Some(sc), Some(run)) = (
                        sym_cost.get(base + len - MIN_MATCH..=base + to - MIN_MATCH),
                        cost.get(pos + len..=pos + to),
                    )
                {
                    let v = short_min(sc, run);
                    let mc = v >> 5;
                    if mc + kc < best {
                        best = mc + kc;
                        best_item = (((len as u32) + (v & 31)) << 16) | off as u32;
                    }
                    len = to + 1;
                }
                // Longer lengths share symbol `base + 15`: 8 extra bits up to 272, then 24
                // (most matches end below 18 and skip this).
                if len > mlen {
                    continue;
                }
                let hdr = sym_cost[(base + 15) & (NUM_SYMBOLS - 1)] + kc;
                for (hi, extra) in [(272usize, 8u32), (usize::MAX, 24)] {
                    let to = mlen.min(hi);
                    if len > to {
                        continue;
                    }
                    if let Some(run) = cost.get(pos + len..=pos + to)
                        && let Some(&mc) = run.iter().min()
                        && hdr + extra + mc < best
                    {
                        let i = run.iter().position(|&c| c == mc).unwrap_or(0);
                        best = hdr + extra + mc;
                        best_item = (((len + i) as u32) << 16) | off as u32;
                    }
                    len = to + 1;
                }
            }
            self.cost[pos] = best;
            self.choice[pos] = best_item;
            end = start;
        }
        self.items.clear();
        let mut pos = 0;
        while pos < n {
            let it = self.choice[pos];
            self.items.push(it);
            pos += if it < 256 { 1 } else { (it >> 16) as usize };
        }
    }

    /// Counts the symbols of `items` (near-optimal parsing: `len << 16 | offset` for
    /// matches) and packs them for [`XpressCompressor::write`] (see [`pack_match`]).
    fn count_freqs(&mut self) {
        self.freqs = [0; NUM_SYMBOLS];
        let mut nl = 0usize;
        for it in &mut self.items {
            if *it >= 256 {
                let (len, off) = ((*it >> 16) as usize, (*it & 0xFFFF) as usize);
                *it = pack_match(len, off);
                if len >= 18 {
                    self.longs[nl & (EVENTS - 1)] = len as u32;
                    nl += 1;
                }
            }
            self.freqs[(*it & 511) as usize] += 1;
        }
        self.nlongs = nl;
    }

    /// Builds the code from `freqs` (items' symbols, without end-of-data).
    fn build_code(&mut self) {
        self.freqs[256] += 1; // end-of-data symbol (§2.7)
        build_code(
            &self.freqs,
            MAX_CODEWORD_LEN,
            &mut self.lens,
            &mut self.codes,
            &mut self.scratch,
        );
    }

    /// Writes the table and the items into `dst`; `None` when the result would not be at
    /// least 8 bytes shorter than `dst`.
    ///
    /// Two phases: the Huffman and offset bits go into a plain stream of 16-bit units (one
    /// 64-bit accumulator, 32 bits stored at a time, the symbol and its offset bits in one
    /// step), and the raw length bytes of long matches are noted with the bit count at
    /// which they occur; then both are merged. The XPRESS layout (codecs.md §2.5) places
    /// raw bytes emitted after `B` bits behind the first `(B - 1) / 16 + 2` units (the
    /// encoder keeps two unit slots reserved ahead of the raw position), so the result is
    /// byte for byte what the slot-reserving writer ([`Out`], the test oracle) produces.
    #[inline(never)]
    fn write(&mut self, items: ItemSel, dst: &mut [u8]) -> Option<usize> {
        let cl = table_and_codes(&self.lens, &self.codes, dst)?;
        let items: &[u32] = match items {
            ItemSel::Vec => &self.items,
            ItemSel::Fixed(k) => &self.fixed[..k.min(MAX_CHUNK)],
        };
        // The same limit as the slot-reserving writer: its raw position (4 + 2 · units
        // completed + raw bytes) must not pass `stop` before the end-of-data symbol.
        let stop = dst.len().checked_sub(256 + 8)?;
        let u = &mut *self.out;
        let ev = &mut *self.events;
        // Per symbol: its code shifted past the offset bits (so one OR adds them: a match
        // symbol fixes its offset bit count), the total width and the code length.
        let mut tab = [0u64; NUM_SYMBOLS];
        for (s, (t, &c)) in tab.iter_mut().zip(&cl).enumerate() {
            let k = if s >= 256 { ((s - 256) >> 4) as u32 } else { 0 };
            let clen = c & 15;
            *t = u64::from((c >> 4) << k) | (u64::from(clen + k) << 32) | (u64::from(clen) << 40);
        }
        let mut acc = 0u64;
        // Bits written so far. The accumulator keeps the last 64 of them; after every item
        // the last complete 32-bit word is stored (again, when no word was completed): it
        // ends `t & 31` bits below the newest bit. Only `t` and `acc` carry from item to
        // item (one add, one shift-or), so items do not wait on each other.
        let mut t = 0u32;
        let mut nev = 0usize;
        // No size check per item: indices are masked, and a stream that outgrows the
        // buffer is far longer than `stop`, which the exact check below rejects.
        for &it in items {
            let e = tab[(it & 511) as usize];
            let w = (e >> 32) as u32 & 63;
            // The bit count after the symbol: where a long match's raw bytes go.
            ev[nev & (EVENTS - 1)] = t + (e >> 40) as u32;
            nev += (it >> 31) as usize;
            acc = (acc << w) | (e & 0xFFFF_FFFF) | u64::from((it >> 9) & 0x7FFF);
            t += w;
            // Word `t / 32 - 1` (for `t < 32` a slot in the buffer's slack, never read).
            let at = ((t >> 3) & !3).wrapping_sub(4) as usize;
            Self::store_units(u, at, (acc >> (t & 31)) as u32);
        }
        let longs = self.longs.get(..self.nlongs.min(EVENTS))?;
        if nev != longs.len() {
            return None;
        }
        let nraw = nev + 2 * longs.iter().filter(|&&l| l >= 273).count();
        let bits_pre = u64::from(t);
        if 4 + 2 * (bits_pre.saturating_sub(1) / 16) as usize + nraw > stop || nev > EVENTS {
            return None;
        }
        let c = cl[256];
        acc = (acc << (c & 15)) | u64::from(c >> 4);
        t += c & 15;
        let at = ((t >> 3) & !3) as usize;
        Self::store_units(u, at.wrapping_sub(4), (acc >> (t & 31)) as u32);
        let total_bits = u64::from(t);
        // The partial word, zero-padded, then zeros (the final all-zero unit).
        let r = t & 31;
        Self::store_units(u, at, ((acc << (32 - r)) & 0xFFFF_FFFF) as u32);
        Self::store_units(u, at + 4, 0);
        let units = total_bits.div_ceil(16) as usize + 1;
        // Merge.
        let body = dst.get_mut(256..)?;
        let mut o = 0usize;
        let mut from = 0usize;
        for (&e, &len) in ev.get(..nev)?.iter().zip(longs) {
            let upto = 2 * ((e.saturating_sub(1) / 16) as usize + 2);
            let n = upto.checked_sub(from)?;
            if let (true, Some(s), Some(d)) =
                (n <= 32, u.get(from..from + 32), body.get_mut(o..o + 32))
            {
                // Short runs (most): one fixed 32-byte copy instead of a `memcpy` call; the
                // bytes past the run are overwritten by what follows (or lie past the end).
                d.copy_from_slice(s);
            } else {
                body.get_mut(o..o + n)?.copy_from_slice(u.get(from..upto)?);
            }
            o += n;
            from = upto;
            // Raw length bytes (codecs.md §2.6).
            if len < 273 {
                *body.get_mut(o)? = (len - 18) as u8;
                o += 1;
            } else {
                let [lo, hi] = ((len - 3) as u16).to_le_bytes();
                body.get_mut(o..o + 3)?.copy_from_slice(&[0xFF, lo, hi]);
                o += 3;
            }
        }
        let run = u.get(from..2 * units)?;
        body.get_mut(o..o + run.len())?.copy_from_slice(run);
        o += run.len();
        Some(256 + o)
    }

    /// Stores 32 bits as two 16-bit little-endian units, the high half first.
    #[inline(always)]
    fn store_units(u: &mut [u8; OUT_BUF], at: usize, x: u32) {
        let at = at & OUT_IDX;
        let b = x.rotate_left(16).to_le_bytes();
        u[at..at + 4].copy_from_slice(&b);
    }

    /// The previous writer (see [`Out`]; items as `len << 16 | offset`), kept as the test
    /// oracle of [`Self::write`].
    #[cfg(test)]
    fn write_ref(&mut self, items: ItemSel, dst: &mut [u8]) -> Option<usize> {
        let cl = table_and_codes(&self.lens, &self.codes, dst)?;
        let items: &[u32] = match items {
            ItemSel::Vec => &self.items,
            ItemSel::Fixed(k) => &self.fixed[..k.min(MAX_CHUNK)],
        };
        // Every item advances the raw position by at most 7 bytes.
        let stop = dst.len().checked_sub(256 + 8)?;
        let o = &mut *self.out;
        let mut w = Out::new();
        // Branch-free per item (literal or match, short or long length): the kinds alternate
        // unpredictably, and mispredictions cost more than computing both paths.
        for &it in items {
            if w.raw > stop {
                return None;
            }
            let is_match = it >= 256;
            let len = (it >> 16) as usize;
            let off = (it & 0xFFFF) as usize;
            let k = select_unpredictable(is_match, offset_log2(off | 1) as u32, 0);
            let msym = 256 + ((k as usize) << 4) + len.wrapping_sub(MIN_MATCH).min(15);
            let sym = select_unpredictable(is_match, msym, it as usize);
            let c = cl[sym & (NUM_SYMBOLS - 1)];
            w.put(o, c >> 4, c & 15);
            // Length bytes of matches of 18 or more (codecs.md §2.6): 0, 1 or 3 raw bytes.
            let big = len >= 273;
            let n_raw =
                select_unpredictable(is_match & (len >= 18), select_unpredictable(big, 3, 1), 0);
            let [lo, hi] = (len.wrapping_sub(3) as u16).to_le_bytes();
            let first = select_unpredictable(big, 0xFF, len.wrapping_sub(18) as u8);
            w.raw_bytes(o, [first, lo, hi], n_raw);
            w.put(o, (off as u32) & ((1 << k) - 1), k);
        }
        if w.raw > stop {
            return None;
        }
        let c = cl[256];
        w.put(o, c >> 4, c & 15);
        let total = w.finish(o);
        dst.get_mut(256..256 + total)?
            .copy_from_slice(o.get(..total)?);
        Some(256 + total)
    }
}

/// Which item list [`XpressCompressor::write`] reads.
#[derive(Debug, Clone, Copy)]
enum ItemSel {
    /// `items` (near-optimal parsing).
    Vec,
    /// The first `k` entries of `fixed` (greedy/lazy parsing).
    Fixed(usize),
}

/// Room for the raw-byte events of one chunk: one per match of 18 bytes or more.
const EVENTS: usize = MAX_CHUNK / 16;

/// Size of the bitstream buffer: any index below 2^17, plus slack.
const OUT_BUF: usize = (1 << 17) + 8;
const OUT_IDX: usize = (1 << 17) - 1;

/// The XPRESS bit writer (codecs.md §2.5) over a fixed buffer (the test oracle of
/// [`XpressCompressor::write`]): two reserved unit slots
/// ahead of the raw-byte position. Indices are masked (the caller stops long before
/// they could wrap), so no store needs a bounds check.
#[cfg(test)]
#[derive(Debug)]
struct Out {
    slot_a: usize,
    slot_b: usize,
    raw: usize,
    acc: u64,
    n: u32,
}

#[cfg(test)]
impl Out {
    fn new() -> Self {
        Out {
            slot_a: 0,
            slot_b: 2,
            raw: 4,
            acc: 0,
            n: 0,
        }
    }

    #[inline(always)]
    fn unit(o: &mut [u8; OUT_BUF], at: usize, u: u16) {
        let at = at & OUT_IDX;
        let [a, b] = u.to_le_bytes();
        o[at] = a;
        o[at + 1] = b;
    }

    /// Appends `count <= 16` bits. Branch-free: the top unit is stored into `slot_a` every
    /// time (a premature store is overwritten once the unit is complete), and the slots
    /// move on only when more than 16 bits are pending.
    #[inline(always)]
    fn put(&mut self, o: &mut [u8; OUT_BUF], value: u32, count: u32) {
        self.acc = (self.acc << count) | u64::from(value);
        self.n += count;
        // Bits n-16..n of acc (n <= 32, so nothing needed is shifted out).
        Self::unit(o, self.slot_a, ((self.acc << 16) >> self.n) as u16);
        let full = self.n > 16;
        let step = usize::from(full);
        self.n -= 16 * u32::from(full);
        let (a, b) = (self.slot_a, self.slot_b);
        self.slot_a = select_unpredictable(full, b, a);
        self.slot_b = select_unpredictable(full, self.raw, b);
        self.raw += 2 * step;
    }

    #[cfg(test)]
    fn raw_u8(&mut self, o: &mut [u8; OUT_BUF], b: u8) {
        o[self.raw & OUT_IDX] = b;
        self.raw += 1;
    }

    /// Appends the first `count <= 3` of `bytes` as raw bytes (all three are stored: the
    /// ones past `count` are overwritten later).
    #[inline(always)]
    fn raw_bytes(&mut self, o: &mut [u8; OUT_BUF], bytes: [u8; 3], count: usize) {
        let r = self.raw & OUT_IDX;
        o[r] = bytes[0];
        o[r + 1] = bytes[1];
        o[r + 2] = bytes[2];
        self.raw += count;
    }

    /// Flushes the last partial unit and the all-zero one; returns the stream length.
    fn finish(self, o: &mut [u8; OUT_BUF]) -> usize {
        Self::unit(
            o,
            self.slot_a,
            ((self.acc << (16 - self.n)) & 0xFFFF) as u16,
        );
        Self::unit(o, self.slot_b, 0);
        self.raw
    }
}

impl Compressor for XpressCompressor {
    fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Option<usize> {
        let n = src.len();
        if n > self.max_chunk || n < 2 || dst.len() < n {
            return None;
        }
        self.items.clear();
        let sel = match self.parser {
            Parser::Greedy | Parser::Lazy => {
                self.parse_greedy_lazy(src, self.parser == Parser::Lazy, None);
                self.build_code();
                ItemSel::Fixed(self.nfixed)
            }
            Parser::Optimal { passes, seeded } => {
                self.fill_cache(src);
                if seeded {
                    // First costs: the code of a cheap lazy parse (nearly as good as a
                    // near-optimal pass over flat costs, at an eighth of its price).
                    self.parse_greedy_lazy(src, true, Some(SEED_SEARCH));
                    self.build_code();
                } else {
                    for (s, l) in self.lens.iter_mut().enumerate() {
                        *l = if s < 256 { 8 } else { 10 };
                    }
                }
                for _ in 0..passes {
                    self.parse_optimal(src);
                    self.count_freqs();
                    self.build_code();
                }
                ItemSel::Vec
            }
        };
        let out = dst.get_mut(..n - 1)?;
        self.write(sel, out).filter(|&len| len < n)
    }
}

/// Bits saved (1/16 bit) by a match of `len` bytes at offset `off` over the literals it
/// replaces, each literal at the flat cost `lit`, against the offset bits (no separate
/// header cost: the flat costs are tuned with none). `len == 0` (no match) gives 0 or
/// less. The raw length byte of matches of 18 bytes or more is left out: their gain is
/// positive with or without it and only matches below [`LAZY_MAX`] are compared.
#[inline(always)]
fn match_gain(len: usize, off: usize, lit: i32) -> i32 {
    len as i32 * lit - 16 * offset_log2(off | 1) as i32
}

/// The cheapest of `sc[j] + run[j]` packed with its index as `cost << 5 | j`, the first
/// (smallest `j`) among equal costs: the same choice as a scan for the first minimum, in
/// one pass. Two accumulators (even and odd `j`) halve the chain of dependent minima;
/// packing the index keeps the tie rule. `sc` and `run` have the same length, at most 16;
/// their sums stay far below 2^27 (a cost to the end is at most that of all literals, 16 bits
/// per byte of a chunk of at most 64 KiB), so the shift cannot lose bits.
#[inline(always)]
fn short_min(sc: &[u32], run: &[u32]) -> u32 {
    let (mut v0, mut v1) = (u32::MAX, u32::MAX);
    let pairs = sc.chunks_exact(2).zip(run.chunks_exact(2));
    let mut j = 0u32;
    for (a, b) in pairs {
        v0 = v0.min(((a[0] + b[0]) << 5) | j);
        v1 = v1.min(((a[1] + b[1]) << 5) | (j + 1));
        j += 2;
    }
    if let (Some(&a), Some(&b)) = (
        sc.chunks_exact(2).remainder().first(),
        run.chunks_exact(2).remainder().first(),
    ) {
        v0 = v0.min(((a + b) << 5) | j);
    }
    v0.min(v1)
}

/// Whether `data[pos..]` starts a run of one byte (at least 4 equal bytes) whose length
/// exceeds `len + 1`, so that a literal and the offset-1 match that follows cover more than the
/// match of `len` bytes found at `pos`.
#[inline(always)]
fn run_start_beats(data: &[u8], pos: usize, len: usize) -> bool {
    let Some(head) = data.get(pos..pos + 4) else {
        return false;
    };
    let b = head[0];
    if head.iter().any(|&x| x != b) {
        return false;
    }
    let limit = data.len().min(pos + len + 2);
    data.get(pos + 4..limit)
        .is_some_and(|rest| rest.iter().all(|&x| x == b))
        && limit == pos + len + 2
}

/// Writes the 256-byte table of code lengths (two 4-bit lengths per byte, low nibble first, codecs.md §2) at
/// the start of `dst` and returns each symbol's code and length packed as `code << 4 | len`;
/// `None` when `dst` is shorter than the table.
fn table_and_codes(
    lens: &[u8; NUM_SYMBOLS],
    codes: &[u32; NUM_SYMBOLS],
    dst: &mut [u8],
) -> Option<[u32; NUM_SYMBOLS]> {
    let table = dst.get_mut(..256)?;
    for (i, b) in table.iter_mut().enumerate() {
        *b = lens[2 * i] | (lens[2 * i + 1] << 4);
    }
    let mut cl = [0u32; NUM_SYMBOLS];
    for ((c, &code), &len) in cl.iter_mut().zip(codes).zip(lens) {
        *c = (code << 4) | u32::from(len);
    }
    Some(cl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_start_beats_only_longer_runs() {
        let mut d = vec![7u8; 40];
        d.extend_from_slice(b"abc");
        // 40 equal bytes: the offset-1 match at pos + 1 covers 39, so a match of up to 38
        // bytes at pos is beaten and one of 39 is not.
        assert!(run_start_beats(&d, 0, 38));
        assert!(!run_start_beats(&d, 0, 39));
        assert!(!run_start_beats(&d, 0, 60));
        // Not a run: the fourth byte differs.
        let e = [1u8, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1];
        assert!(!run_start_beats(&e, 0, 8));
        // Too close to the end for four bytes.
        assert!(!run_start_beats(&d, d.len() - 3, 8));
    }

    /// A zero run that starts after a byte that is not zero, with an earlier shorter zero
    /// run in the chunk: the parse codes a literal and the offset-1 match over the run
    /// instead of the earlier run's copy and a second match (fewer bytes out).
    #[test]
    fn run_after_a_far_copy_is_coded_with_offset_one() {
        let mut d: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8 + 1).collect();
        d.extend(std::iter::repeat_n(0u8, 60));
        d.extend((0..200u32).map(|i| (i * 91 % 241) as u8 + 1));
        d.extend(std::iter::repeat_n(0u8, 400));
        let mut c = XpressCompressor::new(4096, 50).expect("level 50");
        let mut out = vec![0u8; d.len()];
        assert!(c.compress(&d, &mut out).is_some());
        let cut = 200 + 60 + 200;
        let at = items_from(&c, d.len(), cut..cut + 2);
        assert_eq!(at, vec![(cut, 1, 0), (cut + 1, 399, 1)]);
    }
    use crate::bits::writer::XpressWriter;
    use crate::matchfinder::binary_tree::BinaryTree;
    use crate::matchfinder::{MatchFinder, SearchParams};

    use crate::test_inputs::xorshift as rng;

    /// `short_min` picks what the min-then-scan it replaced picked.
    #[test]
    fn short_min_is_the_first_cheapest_length() {
        // The scan it replaced: the minimum cost, then the first index holding it.
        let mut seed = 0x5EED_u64;
        for round in 0..20_000 {
            let n = 1 + round % 15;
            // Small ranges so that ties are frequent; some large values beyond any real cost
            // (at most 2^20), still clear of overflow in `cost << 5`.
            let big = if round % 7 == 0 { 1 << 25 } else { 0 };
            let sc: Vec<u32> = (0..n).map(|_| (rng(&mut seed) % 6) as u32 + 1).collect();
            let run: Vec<u32> = (0..n).map(|_| big + (rng(&mut seed) % 8) as u32).collect();
            let sums: Vec<u32> = sc.iter().zip(&run).map(|(a, b)| a + b).collect();
            let mc = sums.iter().copied().min().unwrap();
            let i = sums.iter().position(|&c| c == mc).unwrap() as u32;
            let v = short_min(&sc, &run);
            assert_eq!((v >> 5, v & 31), (mc, i), "sc {sc:?} run {run:?}");
        }
    }

    /// Every literal is priced the same in the lazy parse's gains. Every other byte is `Q`
    /// (half of the chunk: one bit each by the byte histogram), the others are noise, and
    /// `QQQ` occurs twice, 2000 bytes apart: priced from the histogram (3 bits) the far
    /// 3-byte match (10 offset bits + header) lost to literals; at the flat cost it is taken.
    #[test]
    fn frequent_bytes_are_not_priced_as_cheap_literals() {
        let (data, p0, p) = crate::test_inputs::frequent_byte_triples();
        for level in [20, 50] {
            let at = lazy_items(level, &data, p..p + 1);
            assert_eq!(at, vec![(p, 3, p - p0)], "level {level}");
        }
    }

    /// The look-ahead keeps the match at `pos` unless the one at `pos + 1` saves more by
    /// [`LOOK_AHEAD_BIAS`]: a 4-byte match at offset 20 (gain 4 · 56 - 4 · 16 = 160) against
    /// a 5-byte match one byte later at offset 100 (5 · 56 - 6 · 16 = 184).
    #[test]
    fn look_ahead_needs_a_margin_to_replace_a_match() {
        // Filler bytes 128..=255, pattern bytes below 128: no other match touches `p`.
        let mut data = filler(0x9E37_79B9_7F4A_7C15u64);
        let p = 2000usize;
        data[p..p + 7].copy_from_slice(b"abcdefg");
        data[p - 20..p - 15].copy_from_slice(b"abcdX");
        data[p - 99..p - 93].copy_from_slice(b"bcdefY");
        data[p - 1] = 200;
        data[p - 21] = 201;
        assert_eq!(lazy_items(50, &data, p..p + 2), vec![(p, 4, 20)]);
    }

    /// A 3-byte match at a small offset is kept without looking ahead, even where a longer
    /// match one byte later would save more by the gains (fails without
    /// `LAZY_NEAR3_OFFSET`: the parse then takes the literal and the 5-byte match).
    #[test]
    fn near_three_byte_matches_are_taken_without_look_ahead() {
        let mut data = filler(0x5851_F42D_4C95_7F2Du64);
        let p = 2000usize;
        data[p..p + 6].copy_from_slice(b"abcdef");
        data[p - 5..p - 2].copy_from_slice(b"abc");
        data[p - 39..p - 34].copy_from_slice(b"bcdef");
        data[p - 2] = 200;
        data[p - 40] = 201;
        data[p - 34] = 202;
        data[p + 6] = 203;
        // 3 bytes at offset 5 (gain 3 * 56 - 32 = 136) against 5 bytes at offset 40 one
        // byte later (5 * 56 - 80 = 200 > 136 + LOOK_AHEAD_BIAS).
        for level in [10, 20, 50] {
            let at = lazy_items(level, &data, p..p + 2);
            assert_eq!(at, vec![(p, 3, 5)], "level {level}");
        }
    }

    /// Deep lazy levels ([`DEEP_DEPTH`]) take a 7-byte match without looking ahead
    /// ([`LAZY_MAX_DEEP`]); shallower ones still look one byte ahead and take the longer
    /// match there: 7 bytes at offset 20 (gain 7 · 56 - 4 · 16 = 328) against 9 bytes one
    /// byte later at offset 40 (9 · 56 - 5 · 16 = 424).
    #[test]
    fn deep_levels_take_a_seven_byte_match_without_look_ahead() {
        let mut data = filler(0x2545_F491_4F6C_DD1Du64);
        let p = 2000usize;
        data[p..p + 11].copy_from_slice(b"abcdefghijk");
        data[p - 20..p - 12].copy_from_slice(b"abcdefgX");
        data[p - 39..p - 29].copy_from_slice(b"bcdefghijY");
        data[p - 1] = 200;
        data[p - 21] = 201;
        data[p - 40] = 202;
        for (level, want) in [
            (50, vec![(p, 7, 20)]),
            (20, vec![(p, 1, 0), (p + 1, 9, 40)]),
        ] {
            assert_eq!(lazy_items(level, &data, p..p + 2), want, "level {level}");
        }
    }

    /// 3000 noise bytes in 128..=255 (test patterns below 128 match nothing in them).
    fn filler(seed: u64) -> Vec<u8> {
        let mut x = seed;
        (0..3000).map(|_| 128 | (rng(&mut x) >> 33) as u8).collect()
    }

    /// Compresses `data` at a greedy/lazy `level` (it must shrink) and returns the items
    /// that start in `range`, as [`items_from`] gives them.
    fn lazy_items(
        level: u32,
        data: &[u8],
        range: std::ops::Range<usize>,
    ) -> Vec<(usize, usize, usize)> {
        let mut c = XpressCompressor::new(data.len().next_power_of_two(), level).expect("level");
        let mut out = vec![0u8; data.len()];
        assert!(c.compress(data, &mut out).is_some(), "level {level}");
        items_from(&c, data.len(), range)
    }

    /// The greedy/lazy parse's items (`fixed`, see `pack_match`) as (position, length,
    /// offset; literals `(pos, 1, 0)`) for the items that start in `range`, after checking
    /// that they cover `total` bytes.
    fn items_from(
        c: &XpressCompressor,
        total: usize,
        range: std::ops::Range<usize>,
    ) -> Vec<(usize, usize, usize)> {
        let (mut pos, mut nl) = (0usize, 0usize);
        let mut at = Vec::new();
        for &it in &c.fixed[..c.nfixed] {
            let sym = (it & 511) as usize;
            let (len, off) = if sym < 256 {
                (1, 0)
            } else {
                let k = (it >> 24) & 15;
                let off = (1usize << k) | ((it >> 9) & 0x7FFF) as usize;
                let len = if it >> 31 == 1 {
                    nl += 1;
                    c.longs[nl - 1] as usize
                } else {
                    (sym - 256) % 16 + MIN_MATCH
                };
                (len, off)
            };
            if range.contains(&pos) {
                at.push((pos, len, off));
            }
            pos += len;
        }
        assert_eq!(pos, total);
        at
    }

    /// The fixed-buffer writer produces exactly the reference writer's bytes.
    #[test]
    fn out_matches_reference_writer() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..200 {
            let mut o: Box<[u8; OUT_BUF]> = boxed(0xAA);
            let mut w = Out::new();
            let mut refbuf = vec![0u8; 1 << 16];
            let mut r = XpressWriter::new(&mut refbuf, 0);
            for _ in 0..(round * 37 % 3000) {
                let x = rng(&mut seed);
                if x.is_multiple_of(11) {
                    let b = (x >> 8) as u8;
                    w.raw_u8(&mut o, b);
                    r.put_raw_u8(b);
                } else if x.is_multiple_of(13) {
                    let [a, b] = ((x >> 8) as u16).to_le_bytes();
                    w.raw_u8(&mut o, a);
                    w.raw_u8(&mut o, b);
                    r.put_raw_u16((x >> 8) as u16);
                } else if x.is_multiple_of(17) {
                    let [a, b, c, _] = ((x >> 8) as u32).to_le_bytes();
                    let count = (x >> 40) as usize % 4;
                    w.raw_bytes(&mut o, [a, b, c], count);
                    for &v in &[a, b, c][..count] {
                        r.put_raw_u8(v);
                    }
                } else {
                    let count = ((x >> 16) % 17) as u32;
                    let value = ((x >> 24) as u32) & ((1u32 << count) - 1);
                    w.put(&mut o, value, count);
                    r.put(value, count);
                }
            }
            let len = w.finish(&mut o);
            let rlen = r.finish().unwrap();
            assert_eq!(len, rlen);
            assert_eq!(&o[..len], &refbuf[..rlen], "round {round}");
        }
    }

    /// The two-phase writer produces exactly the slot-reserving writer's bytes (and fails
    /// for exactly the same output sizes).
    #[test]
    fn write_matches_reference_writer() {
        let mut seed = 0x5EED_1234_ABCD_0001u64;
        let mut c = XpressCompressor::new(MAX_CHUNK, 50).unwrap();
        let mut checked = 0;
        for round in 0..300 {
            // Random items: literals, short, long (>= 18) and very long (>= 273) matches.
            let mut raw = Vec::new();
            let mut covered = 1usize;
            let count = 1 + (rng(&mut seed) % [10, 300, 5000][round % 3]) as usize;
            while raw.len() < count && covered < 60000 {
                let x = rng(&mut seed);
                let it = match x % 8 {
                    0..=3 => (x >> 8) as u32 & 0xFF,
                    4 | 5 => {
                        let len = 3 + (x >> 8) as usize % 15;
                        ((len as u32) << 16) | (1 + (x >> 24) as u32 % covered.min(65535) as u32)
                    }
                    6 => {
                        let len = 18 + (x >> 8) as usize % 255;
                        ((len as u32) << 16) | (1 + (x >> 24) as u32 % covered.min(65535) as u32)
                    }
                    _ => {
                        let len = 273 + (x >> 8) as usize % 3000;
                        ((len as u32) << 16) | (1 + (x >> 24) as u32 % covered.min(65535) as u32)
                    }
                };
                covered += if it < 256 { 1 } else { (it >> 16) as usize };
                raw.push(it);
            }
            c.items = raw.clone();
            c.count_freqs();
            c.build_code();
            let mut a = vec![0u8; 1 << 17];
            let got = c.write(ItemSel::Vec, &mut a);
            c.items = raw.clone();
            let mut b = vec![0u8; 1 << 17];
            let want = c.write_ref(ItemSel::Vec, &mut b);
            assert_eq!(got, want, "round {round}");
            let len = want.unwrap();
            assert_eq!(a[..len], b[..len], "round {round}");
            // Destinations around the limit: both accept or both refuse.
            for d in len.saturating_sub(12)..len + 12 {
                c.items = raw.clone();
                c.count_freqs();
                let g = c.write(ItemSel::Vec, &mut a[..d]);
                c.items = raw.clone();
                let w = c.write_ref(ItemSel::Vec, &mut b[..d]);
                assert_eq!(g, w, "round {round} dst {d}");
                if let Some(l) = w {
                    assert_eq!(a[..l], b[..l]);
                }
            }
            checked += usize::from(c.nlongs > 0);
        }
        assert!(checked > 100, "{checked}");
    }

    fn sample() -> Vec<u8> {
        let mut seed = 77u64;
        let mut v = Vec::new();
        while v.len() < 40000 {
            let x = rng(&mut seed);
            match x % 5 {
                0 => v.extend_from_slice(b"\x55\x8b\xec\x83\xec"),
                1 => v.extend(std::iter::repeat_n(0u8, (x >> 8) as usize % 40)),
                2 => {
                    let back = ((x >> 8) as usize % v.len().max(1)).max(1);
                    let len = (x >> 24) as usize % 30;
                    let start = v.len().saturating_sub(back);
                    for i in 0..len {
                        let b = v.get(start + i).copied().unwrap_or(1);
                        v.push(b);
                    }
                }
                _ => v.push((x >> 32) as u8),
            }
        }
        v.truncate(40000);
        v
    }

    #[test]
    fn hc16_reports_valid_longest_matches() {
        let data = sample();
        let mut hc = Hc16::new(data.len());
        hc.load(&data);
        let mut found = 0;
        for pos in 0..data.len() - 3 {
            if pos % 3 == 1 {
                hc.skip(pos);
                continue;
            }
            let min = 2 + pos % 4;
            let (len, off) = hc.longest(pos, min, 16, 100);
            if len == 0 {
                continue;
            }
            assert!(len > min && off >= 1 && off <= pos && pos + len <= data.len());
            if len < 100 && pos + len < data.len() {
                // Below the nice length the reported match is maximal.
                assert_ne!(data[pos + len], data[pos + len - off]);
            }
            assert_eq!(data[pos..pos + len], data[pos - off..pos - off + len]);
            found += 1;
        }
        assert!(found > 5000, "{found}");
    }

    /// Searching after `build` gives exactly what incremental insertion gives.
    #[test]
    fn hc16_build_then_find_equals_incremental() {
        let sample = sample();
        // The whole sample (run-time hash shifts) and its first 32 KiB (the built-in shifts
        // of 32 KiB chunks; see `Hc16::build`).
        for data in [&sample[..], &sample[..32 << 10]] {
            for hash5 in [false, true] {
                build_then_find_equals_incremental(data, hash5);
            }
        }
    }

    fn build_then_find_equals_incremental(data: &[u8], hash5: bool) {
        let mut inc = Hc16::new(data.len());
        inc.load_with(data, hash5);
        let mut all = Hc16::new(data.len());
        all.build_with(data, true, hash5);
        let mut plain = Hc16::new(data.len());
        plain.build_with(data, false, hash5);
        let mut found = 0;
        for pos in 0..data.len() - 3 {
            let min = 2 + pos % 5;
            let (depth, nice) = (1 + (pos % 7) as u32 * 5, 8 + pos % 90);
            let a = inc.longest(pos, min, depth, nice);
            let b = all.find(pos, min, depth, nice);
            assert_eq!(a, b, "pos {pos}");
            assert_eq!(
                a,
                plain.find(pos, min, depth, nice),
                "pos {pos} (no skip links)"
            );
            found += usize::from(a.0 != 0);
        }
        assert!(found > 5000, "{found}");
    }

    /// Chains over 5-byte hashes reach a long match behind many positions that share only
    /// its first 4 bytes, where a shallow walk of the 4-byte chains gives up; and the lazy
    /// levels that walk at most `HASH5_MAX_DEPTH` links use them.
    #[test]
    fn hash5_chains_reach_past_four_byte_matches() {
        let mut seed = 5u64;
        // Position 0 is never a match source.
        let mut data = vec![0x5A];
        let long: Vec<u8> = b"ABCD"
            .iter()
            .copied()
            .chain((0..60).map(|_| rng(&mut seed) as u8))
            .collect();
        data.extend_from_slice(&long);
        for i in 0..20u8 {
            // "ABCD" followed by bytes that differ from the long match's fifth byte.
            data.extend_from_slice(b"ABCD");
            data.push(long[4] ^ (i + 1));
            data.extend((0..11).map(|_| rng(&mut seed) as u8));
        }
        let at = data.len();
        data.extend_from_slice(&long);
        data.extend((0..8).map(|_| rng(&mut seed) as u8));
        let mut four = Hc16::new(data.len());
        four.build_with(&data, true, false);
        let mut five = Hc16::new(data.len());
        five.build_with(&data, true, true);
        let (l4, _) = four.find(at, 2, 8, 256);
        let (l5, o5) = five.find(at, 2, 8, 256);
        assert!(l4 < 10, "{l4}");
        assert_eq!((l5, o5), (long.len(), at - 1));
        // The lazy levels that walk at most `HASH5_MAX_DEPTH` links build 5-byte chains,
        // the deeper ones 4-byte chains.
        for (level, five) in [(10, true), (20, false), (50, false)] {
            let mut c = XpressCompressor::new(data.len(), level).expect("context");
            c.parse_greedy_lazy(&data, true, None);
            assert_eq!(c.hc.uses_hash5(), five, "level {level}");
        }
    }

    /// Bt16 finds what the general binary tree finds (same algorithm, 16-bit positions;
    /// only position 0 is never a source).
    #[test]
    fn bt16_agrees_with_binary_tree() {
        let data = sample();
        let p = SearchParams {
            max_len: MAX_MATCH,
            nice_len: 48,
            max_depth: 24,
            max_offset: MAX_OFFSET,
        };
        let mut a = Bt16::new(data.len());
        a.load(&data);
        let mut b = BinaryTree::new(data.len());
        b.reset(data.len());
        let (mut va, mut vb) = (Vec::new(), Vec::new());
        let mut differ = 0;
        for pos in 0..data.len() {
            va.clear();
            vb.clear();
            if pos % 5 == 4 {
                a.skip(pos, &p);
                b.skip(&data, pos, &p);
                continue;
            }
            let la = a.find(pos, &p, &mut va);
            let lb = b.find(&data, pos, &p, &mut vb);
            for m in &va {
                let (l, o) = (m.len as usize, m.offset as usize);
                assert!(l >= 3 && o >= 1 && o <= pos);
                assert_eq!(data[pos..pos + l], data[pos - o..pos - o + l]);
            }
            assert_eq!(la, va.last().map_or(0, |m| m.len as usize));
            if va != vb {
                differ += 1;
            }
            let _ = lb;
        }
        assert!(differ < data.len() / 100, "{differ}");
    }
}
