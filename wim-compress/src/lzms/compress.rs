//! The LZMS encoder (`codecs.md` §4.14, §6).
//!
//! 1. The chunk is copied and run through the x86 filter (encode direction).
//! 2. A near-optimal parser walks the chunk in windows of up to `window` positions: a
//!    forward minimum-cost programme whose edges are the literal, the three LZ repeat
//!    offsets, the explicit LZ matches of a binary-tree finder (hash chains at levels
//!    20-34, LCP-interval finder for chunks of 1 MiB and more) plus a length-2 match at
//!    the nearest earlier occurrence of the byte pair, and (at levels ≥ 35) delta
//!    matches, explicit and repeated, where no LZ match of 4 bytes (8 in large chunks)
//!    exists. Edge costs come from the
//!    adaptive model as it stands at the start of the window (codeword lengths; −log2 of
//!    the probability entries selected by each path's own decision states), and every
//!    node carries the repeat queues and decision states of the best path reaching it.
//!    A window's path ends at the reached node at or past its last position whose cost
//!    is least against the window's mean cost per byte, so an item crossing the end is
//!    not cut. A node reached by a match whose next node is reached by the same match
//!    one byte longer at no more cost is dominated and not expanded (levels 20-34; in
//!    chunks of 1 MiB and more, nodes reached by repeat matches at every level).
//! 3. The chosen items are coded with the real adaptive model, which mirrors the
//!    decoder's exactly: probability entries and states after every bit, Huffman codes
//!    rebuilt on the decoder's schedule by the decoder's own builder.
//! 4. The forward range-coded stream and the reversed backward stream are concatenated.

mod lazy;
#[cfg(test)]
mod tests;

use super::constants::*;
use super::huffman::Codes;
use super::lcp_finder::LcpFinder;
use super::matchfinder::{BtFinder, DeltaFinder, HcFinder, delta_len_from, extend};
use super::range_encoder::{BackWriter, EncProb, RangeEncoder};
use super::slot_table::SlotFinder;
use super::x86_filter::X86Filter;
use crate::{CompressError, Compressor};

const LIT_REP0: bool = true;
/// Consider "literal, delta repeat-0 match" edges (with the binary-tree finder).
const LIT_DREP0: bool = true;
/// End a parsing window at the reached node past its last position with the least
/// cost less the window's mean cost per byte times its distance, instead of the first
/// one (so an item that crosses the window's end is not cut).
const END_PICK: bool = true;
/// Cost unit: 1/16 bit.
const COST_SHIFT: u32 = 6;
const INF: u32 = u32::MAX;

/// Item kinds.
const LIT: u8 = 0;
const LZ: u8 = 1;
const LZ_REP: u8 = 2;
const DELTA: u8 = 3;
const DELTA_REP: u8 = 4;

/// Previous-item kinds for the compact repeat queues (§4.8).
const PREV_OTHER: u8 = 0;
const PREV_LZ: u8 = 1;
const PREV_DELTA: u8 = 2;
/// `PathState::prev` of a node left unexpanded as dominated (its state not computed).
const DOM_MARK: u8 = 0xFF;

/// Decision-state register indices.
const S_MAIN: usize = 0;
const S_MATCH: usize = 1;
const S_LZ: usize = 2;
const S_LZ_REP0: usize = 3;
const S_DELTA: usize = 5;
const S_DELTA_REP0: usize = 6;
/// Size (minus one) of each decision class's entry array, by state index.
const STATE_MASK: [u8; 8] = [15, 31, 63, 63, 63, 63, 63, 63];

/// Packs a delta pair `(power, raw)` (raw < 2^29).
#[inline(always)]
fn pack_delta(power: u32, raw: u32) -> u32 {
    (raw << 3) | power
}

/// Buckets (log2) of the length-2 finder: it serves offsets of at most a few thousand.
const PAIR_BITS: u32 = 12;

/// The length-2 finder's bucket of the byte pair at `p`.
#[inline(always)]
fn pair_hash(d: &[u8], p: usize) -> usize {
    let v = u32::from(d[p]) | (u32::from(d[p + 1]) << 8);
    (v.wrapping_mul(0x9E37_79B1) >> (32 - PAIR_BITS)) as usize
}

/// The two bytes at `p` as one value (`p + 2 <= d.len()`).
#[inline(always)]
fn load16(d: &[u8], p: usize) -> u16 {
    u16::from_le_bytes([d[p], d[p + 1]])
}

/// Repeat queues and decision states: everything about the coding state that depends on
/// the items coded so far, except the adaptive probabilities and codes.
/// 48 bytes, 16-aligned: copied whole with three aligned vector moves (an unaligned
/// 44-byte layout cost store-forwarding stalls when a node's state was read back).
#[derive(Debug, Clone, Copy)]
#[repr(C, align(16))]
struct PathState {
    lz_q: [u32; 4],
    delta_q: [u32; 4],
    prev: u8,
    st: [u8; 8],
}

impl PathState {
    const INIT: PathState = PathState {
        lz_q: [1, 2, 3, 4],
        delta_q: [8, 16, 24, 32], // (0, 1), (0, 2), (0, 3), (0, 4)
        prev: PREV_OTHER,
        st: [0; 8],
    };

    #[inline(always)]
    fn bit(&mut self, class: usize, b: u32) {
        self.st[class] = ((self.st[class] << 1) | b as u8) & STATE_MASK[class];
    }

    /// The addressable value of repeat index `k` of the LZ queue.
    #[inline(always)]
    fn lz_rep(&self, k: usize) -> u32 {
        self.lz_q[k + usize::from(self.prev == PREV_LZ)]
    }

    /// The addressable pair of repeat index `k` of the delta queue.
    #[inline(always)]
    fn delta_rep(&self, k: usize) -> u32 {
        self.delta_q[k + usize::from(self.prev == PREV_DELTA)]
    }

    /// Advances the state over one item (the decisions it codes and its queue effects).
    #[inline(always)]
    fn apply(&mut self, kind: u8, val: u32) {
        match kind {
            LIT => {
                self.bit(S_MAIN, 0);
                self.prev = PREV_OTHER;
            }
            LZ => {
                self.bit(S_MAIN, 1);
                self.bit(S_MATCH, 0);
                self.bit(S_LZ, 0);
                self.lz_q = [val, self.lz_q[0], self.lz_q[1], self.lz_q[2]];
                self.prev = PREV_LZ;
            }
            LZ_REP => {
                self.bit(S_MAIN, 1);
                self.bit(S_MATCH, 0);
                self.bit(S_LZ, 1);
                self.rep_bits(S_LZ_REP0, val);
                let j = val as usize + usize::from(self.prev == PREV_LZ);
                let v = self.lz_q[j];
                self.lz_q.copy_within(0..j, 1);
                self.lz_q[0] = v;
                self.prev = PREV_LZ;
            }
            DELTA => {
                self.bit(S_MAIN, 1);
                self.bit(S_MATCH, 1);
                self.bit(S_DELTA, 0);
                self.delta_q = [val, self.delta_q[0], self.delta_q[1], self.delta_q[2]];
                self.prev = PREV_DELTA;
            }
            _ => {
                self.bit(S_MAIN, 1);
                self.bit(S_MATCH, 1);
                self.bit(S_DELTA, 1);
                self.rep_bits(S_DELTA_REP0, val);
                let j = val as usize + usize::from(self.prev == PREV_DELTA);
                let v = self.delta_q[j];
                self.delta_q.copy_within(0..j, 1);
                self.delta_q[0] = v;
                self.prev = PREV_DELTA;
            }
        }
    }

    #[inline(always)]
    fn rep_bits(&mut self, class0: usize, k: u32) {
        self.bit(class0, u32::from(k > 0));
        if k > 0 {
            self.bit(class0 + 1, u32::from(k > 1));
        }
    }
}

/// All adaptive probability entries, by decision class.
#[derive(Debug, Clone)]
struct Probs {
    classes: [[EncProb; 64]; 8],
}

impl Probs {
    fn reset(&mut self) {
        for c in &mut self.classes {
            c.fill(EncProb::INIT);
        }
    }
}

/// Chunks of at least this many bytes skip dominated nodes reached by repeat matches at
/// every level (see `Params::dom`); at 128 KiB that costs more than the default
/// level's size margin (32 MiB of wine at L50: 8332304 -> 8335972 bytes, 1.0004x libwim).
const DOM_REP_MIN: usize = 1 << 20;

/// Levels below this use the lazy parser (a fast mode; libwim has no equivalent).
const LAZY_BELOW: u32 = 10;

/// Encoder tuning derived from the level.
#[derive(Debug, Clone, Copy)]
struct Params {
    /// Longest match length the parser examines; longer matches are taken at once.
    nice: usize,
    /// Binary-tree search depth.
    depth: u32,
    /// Positions per parsing window.
    window: usize,
    /// Search delta matches.
    delta: bool,
    /// Consider "match, literal, repeat-0 match" edges.
    gaps: bool,
    /// Skip the delta search where an LZ match at least this long exists.
    delta_skip: usize,
    /// Most hash bits per delta power.
    delta_bits: u32,
    /// Consider gap edges after every explicit match, not only the longest.
    gap_all: bool,
    /// Chunks of at least this many bytes use the LCP-interval finder (with the
    /// large-chunk delta setting): 1 MiB, or every chunk at levels ≥ 70 (128 KiB wine at
    /// L100: 0.07 % smaller than with the tree, ≈ 3 % slower).
    lcp_min: usize,
    /// Consider "delta match, literal, delta repeat-0 match" edges.
    delta_gaps: bool,
    /// Insert the positions inside long (forced) matches into the delta tables.
    delta_skipped: bool,
    /// Insert the positions inside long (forced) matches into the LZ match finder.
    lz_skipped: bool,
    /// Delta powers searched.
    delta_powers: (usize, usize),
    /// Use the lazy parser instead of the near-optimal one.
    lazy: bool,
    /// Consider explicit LZ matches of length 2 (nearest occurrence of the byte pair).
    len2: bool,
    /// Longest offset of such a match.
    len2_max_off: usize,
    /// Shortest explicit delta match.
    delta_min: usize,
    /// Positions with an LZ match at least this long are not inserted into the delta
    /// tables.
    delta_noins: usize,
    /// Entries per delta bucket (1 or 2).
    delta_ways: usize,
    /// Interior skip: positions inside a match of at least this many bytes (0: never),
    /// at least `interior_tail` bytes before its end, whose own longest match ends no
    /// later, are visited by the finders but not expanded by the parser.
    interior: usize,
    /// See `interior`.
    interior_tail: usize,
    /// Whether those positions are still visited by the binary tree (inserted, and
    /// searched for a match reaching past the cover); without, they are left out of it.
    interior_tree: bool,
    /// Chains followed by the hash-chain finder, which replaces the binary tree for
    /// chunks under `lcp_min` bytes (0: the tree). Its insertion is two stores instead of
    /// a tree descent, so with `interior_tree` false the interior positions are still
    /// inserted (not searched).
    chain: u32,
    /// Dominated nodes (`INF`: off): a node reached by a match (not a literal nor a gap
    /// edge) whose next node is reached by the same match one byte longer, at a cost at
    /// most this much above, is not expanded (nor searched by the finders). Every item
    /// from it has a counterpart one byte shorter from the next node, from the same
    /// path state, except the shortest matches.
    dom: u32,
    /// Only nodes reached by a repeat match (LZ or delta) are skipped as dominated.
    dom_rep: bool,
    /// Chunks of at least [`DOM_REP_MIN`] bytes skip those nodes where `dom` is off.
    dom_large: bool,
}

impl Params {
    fn new(level: u32) -> Self {
        let level = level.clamp(1, 1000);
        let lazy = level < LAZY_BELOW;
        let mut p = Params {
            nice: if lazy {
                24
            } else {
                (63 * level as usize / 50).clamp(16, 255)
            },
            depth: if lazy { 16 } else { (level / 2 + 8).min(300) },
            // With the window's end picked by cost (`END_PICK`), 1536 beat 2048 (32 MiB,
            // 128 KiB L50: 1024 8333270, 1280 8332978, 1536 8332304, 1792 8333984, 2048
            // 8333502 bytes).
            window: 1536,
            delta: level >= 35,
            gaps: level >= 20,
            delta_skip: 4,
            delta_bits: if level >= 70 { 15 } else { 13 },
            gap_all: level >= 50,
            lcp_min: if level >= 70 { 1 } else { 1 << 20 },
            delta_gaps: true,
            delta_skipped: false,
            lz_skipped: true,
            delta_powers: (0, 6),
            lazy,
            len2: true,
            len2_max_off: 2048,
            delta_min: 3,
            delta_ways: 2,
            delta_noins: 4,
            // 128 KiB chunks of wine, size (4 MiB / 32 MiB) and instructions (1 MiB)
            // against the level without: L20 +0.24 % / +0.34 % / -7 % (CPU time -8 %),
            // better than the level scale's own trade (L17: +0.75 % / -11 %). From 35
            // the time is mostly the finders' and the delta work's (L35 +0.08 % /
            // +0.19 % / -9 %), and L50's size is the acceptance line: off there.
            interior: if !(20..35).contains(&level) {
                0
            } else {
                2 * (63 * level as usize / 50).clamp(16, 255) / 3
            },
            interior_tail: 4,
            // Without the tree visits: 32 MiB L25 8549778 -> 8573404 bytes (+0.28 %,
            // still 0.9950x libwim L20's size), 1 MiB 926 M -> 852 M instructions,
            // CPU time -8 to -25 % (load 3-6); the level scale's own step L25 -> L20 is
            // +0.66 % for -6 %. At L20 it would take the size past libwim L20's
            // (32 MiB 8627554 against 8616818), so L20 keeps them.
            interior_tree: level < 25,
            // 128 KiB chunks of wine at L30 (4 MiB size, CPU time against the tree's,
            // best of 5 alternating): tree 1039624 bytes; chains of depth 4 / 8 / 12
            // 1045012 / 1043454 / 1042430 at 0.69 / 0.74 / 0.73 of its time; with the
            // interior threshold at 16 (below), depth 8 1045744 at 0.61. Lead: chains
            // from L20 with depth `level - 12` (4 to 12) keep the level scale in order
            // (32 MiB: L20 8632858, L25 8604854, L30 8594360, L34 8591112 bytes; the tree
            // at L20, 8606240, ran at 0.69-0.71x libwim L20's speed, the chains at
            // 0.90-1.16x in the same runs, load 2-3).
            chain: if (20..35).contains(&level) {
                level.saturating_sub(12).clamp(4, 12)
            } else {
                0
            },
            // Dominated nodes (see `dom`), 128 KiB chunks of wine, 4 MiB / 32 MiB size
            // and CPU time against the same level without: L25 1046702 -> 1047604 /
            // 8604854 -> 8601598, L30 1045294 -> 1046012 / 8594360 -> 8592476 at 0.75-0.8x
            // the time. At L40-70 +0.17 % on 4 MiB (L50 1009718 -> 1011430, over
            // libwim L50) for -10 to -21 %: off there.
            dom: if (20..35).contains(&level) { 0 } else { INF },
            dom_rep: false,
            dom_large: true,
        };
        if p.chain > 0 {
            // With the chain finder, interior positions cost an insertion only: a lower
            // threshold buys more (L30 depth 8: 24 -> 16 is +0.22 % size, -18 % time).
            p.interior = p.interior.min(16);
        }
        p
    }

    /// The tuning for chunks of at least `lcp_min` bytes: there, delta matches far back
    /// are worth more (16 MiB of wine at L50: delta work where the longest LZ match is
    /// under 8 and 2^16 buckets per power, 0.9976× libwim's size, against 1.0033× with
    /// the small-chunk setting) for little time.
    fn large(self) -> Self {
        Params {
            delta_skip: self.delta_skip.max(8),
            delta_noins: self.delta_noins.max(8),
            delta_bits: self.delta_bits.max(16),
            ..self
        }
    }
}

/// One node of the parsing graph: the best known way to reach a position of the window.
#[derive(Debug, Clone, Copy)]
struct Node {
    cost: u32,
    val: u32,
    len: u16,
    /// Nonzero for a "match, literal, repeat-0 match" edge: the first match's length.
    len1: u16,
    kind: u8,
}

const UNREACHED: Node = Node {
    cost: INF,
    len: 0,
    kind: LIT,
    val: 0,
    len1: 0,
};

/// Relaxes the edge "match (`kind`, `val`) of `ml` bytes from `off` back, one literal,
/// repeat-0 match" from node `i` (position `p`), whose first part costs `mcost` in all.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn gap_edge(
    nodes: &mut Nodes,
    c: &Costs,
    d: &[u8],
    s: &PathState,
    (i, p): (usize, usize),
    (kind, val, off, ml): (u8, u32, usize, usize),
    mcost: u32,
    nice: usize,
) {
    let q = p + ml;
    let n = d.len();
    if !gap_hit(d, q, off) {
        return;
    }
    let l2 = extend(d, q + 1, q + 1 - off, 2, (n - q - 1).min(nice - 1));
    gap_tail(nodes, c, s, i, (kind, val, ml), d[q], l2, mcost);
}

/// Whether a repeat-0 match of at least 2 bytes from `off` back starts at `q + 1`, after
/// the literal at `q` (the cheap test callers make before [`gap_edge`]).
#[inline(always)]
fn gap_hit(d: &[u8], q: usize, off: usize) -> bool {
    q + 3 <= d.len() && d[q + 1] == d[q + 1 - off] && d[q + 2] == d[q + 2 - off]
}

/// Completes a gap edge from node `i`: the first match (`kind`, `val`, `ml` bytes, costing
/// `mcost` with everything before it), the literal `lit`, then a repeat-0 match of the
/// same family of `l2` bytes.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn gap_tail(
    nodes: &mut Nodes,
    c: &Costs,
    s: &PathState,
    i: usize,
    (kind, val, ml): (u8, u32, usize),
    lit: u8,
    l2: usize,
    mcost: u32,
) {
    let mut t = *s;
    t.apply(kind, val);
    let mut cost = mcost + c.bit(&t, S_MAIN, 0) + c.literal[usize::from(lit)];
    t.apply(LIT, 0);
    cost += c.rep0_header(&t, gap_rep(kind) == DELTA_REP) + c.len_cost(l2);
    relax_gap(nodes, i, cost, (kind, val), ml, l2);
}

/// Offers node `i + 1 + l2` the path "literal (reaching it costs `lc`), repeat-0 match of
/// `l2` bytes" from node `i` in state `s`: an LZ repeat, or with `delta` a delta repeat
/// (marked by `len1` 1 on the literal node for the path rebuild).
#[inline(always)]
fn relax_lit_rep0(
    nodes: &mut Nodes,
    c: &Costs,
    s: &PathState,
    i: usize,
    lc: u32,
    l2: usize,
    delta: bool,
) {
    let mut t = *s;
    t.apply(LIT, 0);
    let cost = lc + c.rep0_header(&t, delta) + c.len_cost(l2);
    relax(
        nodes,
        i + 1 + l2,
        Node {
            cost,
            len: 1 + l2 as u16,
            kind: LIT,
            val: 0,
            len1: u16::from(delta),
        },
    );
}

/// Offers node `i + ml + 1 + l2` the path "match (`kind`, `val`) of `ml` bytes, a literal,
/// a repeat-0 match of `l2` bytes" from node `i` at `cost`.
#[inline]
fn relax_gap(nodes: &mut Nodes, i: usize, cost: u32, (kind, val): (u8, u32), ml: usize, l2: usize) {
    let node = &mut nodes[(i + ml + 1 + l2) & (NODES - 1)];
    if cost < node.cost {
        *node = Node {
            cost,
            len: (ml + 1 + l2) as u16,
            kind,
            val,
            len1: ml as u16,
        };
    }
}

/// Relaxes the edge "delta match (`kind`, `val`) of `ml` bytes with `span`/`off`, one
/// literal, delta repeat-0 match" from node `i` (position `p`); the first part costs
/// `mcost` in all.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn delta_gap_edge(
    nodes: &mut Nodes,
    c: &Costs,
    d: &[u8],
    s: &PathState,
    (i, p): (usize, usize),
    (kind, val, span, off, ml): (u8, u32, usize, usize, usize),
    mcost: u32,
    nice: usize,
) {
    let q = p + ml;
    let n = d.len();
    if !delta_gap_hit(d, q, span, off) {
        return;
    }
    let l2 = delta_len_from(d, q + 1, off, span, 2, (n - q - 1).min(nice - 1));
    if l2 < 2 {
        return;
    }
    gap_tail(nodes, c, s, i, (kind, val, ml), d[q], l2, mcost);
}

/// Whether a delta repeat-0 match of at least 2 bytes (`span`, `off`) starts at `q + 1`.
#[inline(always)]
fn delta_gap_hit(d: &[u8], q: usize, span: usize, off: usize) -> bool {
    q + 3 <= d.len()
        && d[q + 1].wrapping_sub(d[q + 1 - span])
            == d[q + 1 - off].wrapping_sub(d[q + 1 - off - span])
        && d[q + 2].wrapping_sub(d[q + 2 - span])
            == d[q + 2 - off].wrapping_sub(d[q + 2 - off - span])
}

/// The repeat kind that ends a gap edge whose first match is of `kind`.
#[inline(always)]
fn gap_rep(kind: u8) -> u8 {
    if kind == DELTA || kind == DELTA_REP {
        DELTA_REP
    } else {
        LZ_REP
    }
}

/// Cost of a 0 / 1 bit of each decision class entry, by class and state. States are
/// below 64; the rows have 256 entries so that indexing by a `u8` state needs no bounds
/// check (the unused entries are never read and stay in no cache line that is).
type BitCosts = [[[u32; 2]; 256]; 8];

/// Costs frozen at the start of a parsing window.
#[derive(Debug)]
struct Costs {
    /// Cost of a 0 / 1 bit of each decision class entry.
    bits: BitCosts,
    literal: [u32; NUM_LITERAL_SYMS],
    /// Length cost (slot codeword + extra bits) for lengths 0..=LEN_TABLE.
    length: Box<[u32; LEN_COSTS]>,
    lz_slot: Vec<u32>,
    delta_slot: Vec<u32>,
    power: [u32; NUM_DELTA_POWER_SYMS],
}

impl Costs {
    /// Cost of coding bit `b` of decision class `class` in path state `s`.
    #[inline(always)]
    fn bit(&self, s: &PathState, class: usize, b: usize) -> u32 {
        self.bits[class][usize::from(s.st[class])][b]
    }

    /// Cost of a match length `l` (slot codeword and extra bits). Parser lengths are at
    /// most 2 × nice < [`LEN_TABLE`], so the mask (which spares the bounds check) never
    /// changes them; a cost is only an estimate, never part of the output format.
    #[inline(always)]
    fn len_cost(&self, l: usize) -> u32 {
        self.length[l & (LEN_COSTS - 1)]
    }

    /// Cost of the decisions "match, LZ (or delta), repeat, index 0" in path state `s`.
    #[inline(always)]
    fn rep0_header(&self, s: &PathState, delta: bool) -> u32 {
        let (kind, rep0) = if delta {
            (S_DELTA, S_DELTA_REP0)
        } else {
            (S_LZ, S_LZ_REP0)
        };
        self.bit(s, S_MAIN, 1)
            + self.bit(s, S_MATCH, usize::from(delta))
            + self.bit(s, kind, 1)
            + self.bit(s, rep0, 0)
    }
}

/// Nodes of a parsing window: positions `0..=window + 2 * nice` (window ≤ [`MAX_WINDOW`],
/// nice ≤ 255), in a power-of-two array so that a masked index needs no bounds check (the
/// mask never changes an index in use).
const NODES: usize = 4096;
/// Most bytes [`extend_back`] moves a match's start back.
const BACK_MAX: usize = 32;
/// Largest parsing window.
const MAX_WINDOW: usize = 2048;
const _: () = assert!(MAX_WINDOW + 2 * 255 + 2 <= NODES);
type Nodes = [Node; NODES];

/// Offers node `nodes[at]` the edge `edge` (its cost included).
#[inline(always)]
fn relax(nodes: &mut Nodes, at: usize, edge: Node) {
    let t = &mut nodes[at & (NODES - 1)];
    if edge.cost < t.cost {
        *t = edge;
    }
}

/// Per-slot costs (codeword + extra bits) of an offset code with codeword lengths `lens`.
fn slot_costs(out: &mut Vec<u32>, lens: &[u8]) {
    out.clear();
    out.extend(
        lens.iter()
            .zip(OFFSET_EXTRA.iter())
            .map(|(&l, &e)| (u32::from(l) + u32::from(e)) << COST_SHIFT),
    );
}

/// Lengths with a tabulated slot.
const LEN_TABLE: usize = 2219;
/// Entries of the length-cost table (a power of two ≥ `LEN_TABLE`; see
/// [`Costs::len_cost`]).
const LEN_COSTS: usize = 4096;
const _: () = assert!(LEN_COSTS >= LEN_TABLE && LEN_COSTS.is_power_of_two());

/// The length slot of `len` (≥ 1).
fn length_slot(len: u32) -> usize {
    LEN_BASE.partition_point(|&b| b <= len).saturating_sub(1)
}

/// A reusable LZMS encoding context.
pub struct LzmsCompressor {
    max_chunk: usize,
    level: u32,
    /// Tuning for chunks under `lcp_min` bytes.
    base: Params,
    /// Tuning of the current chunk (`base`, or [`Params::large`] of it).
    params: Params,
    buf: Vec<u8>,
    x86: X86Filter,
    bt: BtFinder,
    hc: HcFinder,
    /// This chunk uses the hash-chain finder instead of the binary tree.
    hc_mode: bool,
    lcp: LcpFinder,
    /// This chunk uses the LCP-interval finder instead of the binary tree.
    lcp_mode: bool,
    df: DeltaFinder,
    probs: Box<Probs>,
    /// The five adaptive codes.
    codes: Codes,
    /// Canonical codewords of the five codes.
    cw_literal: Vec<u16>,
    cw_lz_offset: Vec<u16>,
    cw_length: Vec<u16>,
    cw_delta_offset: Vec<u16>,
    cw_delta_power: Vec<u16>,
    rc: RangeEncoder,
    bw: BackWriter,
    costs: Box<Costs>,
    /// −log2(p/64) in cost units for p = 0..=64.
    prob_cost: [u32; 65],
    len_slot_table: Vec<u8>,
    nodes: Box<Nodes>,
    states: Vec<PathState>,
    matches: Vec<(u32, u32)>,
    deltas: Vec<(u32, u32, u32)>,
    path: Vec<(u8, u32, u32)>,
    slots: SlotFinder,
    /// Length-2 finder: position + 1 of the last occurrence of each byte pair.
    pairs: Vec<u32>,
    /// Next position to insert into `pairs`.
    pairs_next: usize,
    /// Codes rebuilt since the last cost refresh (bit per `DIRTY_*`).
    dirty: u8,
    /// Nodes expanded by the parser (tests only).
    #[cfg(test)]
    expanded: usize,
}

const DIRTY_LIT: u8 = 1;
const DIRTY_LZ_OFF: u8 = 2;
const DIRTY_LEN: u8 = 4;
const DIRTY_DELTA_OFF: u8 = 8;
const DIRTY_POWER: u8 = 16;

impl std::fmt::Debug for LzmsCompressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LzmsCompressor")
            .field("max_chunk", &self.max_chunk)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

/// Computes canonical codewords (§1.3) from `lens` into `out`.
fn canonical(lens: &[u8], out: &mut Vec<u16>) {
    let mut count = [0u32; 17];
    for &l in lens {
        count[usize::from(l).min(16)] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 17];
    let mut code = 0u32;
    for len in 1..=16 {
        code = (code + count[len - 1]) << 1;
        next[len] = code;
    }
    out.clear();
    out.extend(lens.iter().map(|&l| {
        let l = usize::from(l).min(16);
        let c = next[l];
        next[l] += 1;
        c as u16
    }));
}

impl LzmsCompressor {
    /// Creates a context for chunks of up to `max_chunk` bytes at `level` (wimlib's
    /// scale: 1 fastest, 50 default, 100 and above strongest). Below 10 a lazy parser;
    /// from 10 the near-optimal one, with "match, literal, repeat" edges from 20, delta
    /// matches from 35, those edges after every match from 50, and from 70 the
    /// LCP-interval finder and larger delta tables for chunks of every size.
    pub fn new(max_chunk: usize, level: u32) -> Result<Self, CompressError> {
        if max_chunk == 0 || max_chunk > MAX_CHUNK_SIZE {
            return Err(CompressError::BadChunkSize);
        }
        let len_slot_table = (0..LEN_TABLE as u32)
            .map(|l| length_slot(l.max(1)) as u8)
            .collect();
        let mut prob_cost = [0u32; 65];
        for (p, c) in prob_cost.iter_mut().enumerate() {
            let p = (p as f64).max(0.5) / 64.0;
            *c = (-p.log2() * f64::from(1u32 << COST_SHIFT)).round() as u32;
        }
        Ok(Self {
            max_chunk,
            level,
            base: Params::new(level),
            params: Params::new(level),
            buf: Vec::new(),
            x86: X86Filter::new(),
            bt: BtFinder::default(),
            hc: HcFinder::default(),
            hc_mode: false,
            lcp: LcpFinder::default(),
            lcp_mode: false,
            df: DeltaFinder::default(),
            probs: Box::new(Probs {
                classes: [[EncProb::INIT; 64]; 8],
            }),
            codes: Codes::new(),
            cw_literal: Vec::new(),
            cw_lz_offset: Vec::new(),
            cw_length: Vec::new(),
            cw_delta_offset: Vec::new(),
            cw_delta_power: Vec::new(),
            rc: RangeEncoder::new(),
            bw: BackWriter::new(),
            costs: Box::new(Costs {
                bits: [[[0; 2]; 256]; 8],
                literal: [0; NUM_LITERAL_SYMS],
                length: Box::new([0; LEN_COSTS]),
                lz_slot: Vec::new(),
                delta_slot: Vec::new(),
                power: [0; NUM_DELTA_POWER_SYMS],
            }),
            prob_cost,
            len_slot_table,
            nodes: Box::new([UNREACHED; NODES]),
            states: Vec::new(),
            matches: Vec::new(),
            deltas: Vec::new(),
            path: Vec::new(),
            slots: SlotFinder::new(),
            pairs: Vec::new(),
            pairs_next: 0,
            dirty: 0xFF,
            #[cfg(test)]
            expanded: 0,
        })
    }

    /// An upper bound of the memory one context needs.
    ///
    /// Chunks under 1 MiB use the binary-tree finder below level 70: 8 bytes per position
    /// of tree links plus hash heads (the hash chains of levels 20-34 need less: 4 bytes
    /// per position and half the heads). Larger chunks (and every chunk from level 70) use
    /// the LCP-interval finder: about 9 bytes per
    /// position on real data (suffix-sort peak included), at worst 17 (a suffix sort
    /// whose reduced problem is half the input, then more intervals than half the
    /// positions); the bound below is the worst case.
    pub fn needed_memory(max_chunk: usize, level: u32) -> usize {
        let params = Params::new(level);
        let lcp = max_chunk >= params.lcp_min && max_chunk <= super::lcp_finder::MAX_N;
        let bt_n = if lcp { params.lcp_min - 1 } else { max_chunk };
        let hash = 4usize << (usize::BITS - bt_n.max(1).leading_zeros()).clamp(12, 22);
        // Filtered copy, binary tree (for chunks under the LCP threshold), both output
        // streams (at most one chunk), delta tables and the fixed tables.
        let mut total = max_chunk * 2 + bt_n * 8 + hash;
        // Delta tables: two 4-byte entries per bucket, at most 2^16 buckets per power.
        total += (8 << 16) * super::matchfinder::DELTA_POWERS + (2 << 20);
        if lcp {
            total += max_chunk * 17;
        }
        total
    }

    fn reset(&mut self, n: usize) -> bool {
        self.probs.reset();
        let ok = self.codes.reset(n).is_ok();
        canonical(self.codes.literal.code_lens(), &mut self.cw_literal);
        canonical(self.codes.lz_offset.code_lens(), &mut self.cw_lz_offset);
        canonical(self.codes.length.code_lens(), &mut self.cw_length);
        canonical(
            self.codes.delta_offset.code_lens(),
            &mut self.cw_delta_offset,
        );
        canonical(self.codes.delta_power.code_lens(), &mut self.cw_delta_power);
        self.dirty = 0xFF;
        if self.params.len2 {
            self.pairs.clear();
            self.pairs.resize(1 << PAIR_BITS, 0);
            self.pairs_next = 0;
        }
        self.rc.reset();
        self.bw.reset();
        self.lcp_mode = n >= self.base.lcp_min && n <= super::lcp_finder::MAX_N;
        self.params = if self.lcp_mode {
            self.base.large()
        } else {
            self.base
        };
        if n >= DOM_REP_MIN && self.params.dom == INF && self.params.dom_large {
            // Large chunks: nodes reached by repeat matches are skipped as dominated at
            // every level (64 MiB of wine at L50: 11535730 -> 11538848 bytes, 0.9983x
            // libwim, for -10 % time; LZ repeats only 11539386; all match kinds
            // 11549904).
            self.params.dom = 0;
            self.params.dom_rep = true;
        }
        self.hc_mode = !self.lcp_mode && self.params.chain > 0;
        if self.hc_mode {
            self.hc.reset(n);
        } else if !self.lcp_mode {
            self.bt.reset(n);
        }
        if self.params.delta {
            let (lo, hi) = self.params.delta_powers;
            self.df
                .reset(n, self.params.delta_bits, self.params.delta_ways, lo..hi);
        }
        ok
    }

    // ---------------------------------------------------------------- real coding

    #[inline(always)]
    fn code_bit(&mut self, ps: &mut PathState, class: usize, bit: u32) {
        self.rc.encode_class(
            &mut self.probs.classes[class][..=usize::from(STATE_MASK[class])],
            &mut ps.st[class],
            bit,
        );
    }

    #[inline(always)]
    fn put_literal(&mut self, b: u8) {
        let s = usize::from(b);
        let len = self.codes.literal.code_lens()[s];
        self.bw.write(u32::from(self.cw_literal[s]), u32::from(len));
        if self.codes.literal.record(s) {
            self.dirty |= DIRTY_LIT;
            canonical(self.codes.literal.code_lens(), &mut self.cw_literal);
        }
    }

    fn put_length(&mut self, len: u32) {
        let slot = if (len as usize) < LEN_TABLE {
            usize::from(self.len_slot_table[len as usize])
        } else {
            length_slot(len)
        };
        let l = self.codes.length.code_lens()[slot];
        self.bw.write(u32::from(self.cw_length[slot]), u32::from(l));
        let extra = u32::from(LEN_EXTRA[slot]);
        if extra > 0 {
            self.bw.write(len - LEN_BASE[slot], extra);
        }
        if self.codes.length.record(slot) {
            self.dirty |= DIRTY_LEN;
            canonical(self.codes.length.code_lens(), &mut self.cw_length);
        }
    }

    fn put_offset(&mut self, delta: bool, off: u32) {
        let slot = self.slots.slot(off);
        let (code, cw) = if delta {
            (&mut self.codes.delta_offset, &mut self.cw_delta_offset)
        } else {
            (&mut self.codes.lz_offset, &mut self.cw_lz_offset)
        };
        let l = code.code_lens()[slot];
        self.bw.write(u32::from(cw[slot]), u32::from(l));
        let extra = u32::from(OFFSET_EXTRA[slot]);
        if extra > 0 {
            self.bw.write(off - OFFSET_BASE[slot], extra);
        }
        if code.record(slot) {
            self.dirty |= if delta { DIRTY_DELTA_OFF } else { DIRTY_LZ_OFF };
            canonical(code.code_lens(), cw);
        }
    }

    fn put_power(&mut self, p: u32) {
        let s = p as usize;
        let l = self.codes.delta_power.code_lens()[s];
        self.bw
            .write(u32::from(self.cw_delta_power[s]), u32::from(l));
        if self.codes.delta_power.record(s) {
            self.dirty |= DIRTY_POWER;
            canonical(self.codes.delta_power.code_lens(), &mut self.cw_delta_power);
        }
    }

    /// Codes one item with the real model and advances `ps` exactly like the parser's
    /// [`PathState::apply`].
    fn put_item(&mut self, ps: &mut PathState, kind: u8, val: u32, len: u32, lit: u8) {
        match kind {
            LIT => {
                self.code_bit(ps, S_MAIN, 0);
                self.put_literal(lit);
                ps.prev = PREV_OTHER;
                return;
            }
            LZ | LZ_REP => {
                self.code_bit(ps, S_MAIN, 1);
                self.code_bit(ps, S_MATCH, 0);
                if kind == LZ {
                    self.code_bit(ps, S_LZ, 0);
                    self.put_offset(false, val);
                    ps.lz_q = [val, ps.lz_q[0], ps.lz_q[1], ps.lz_q[2]];
                } else {
                    self.code_bit(ps, S_LZ, 1);
                    self.put_rep(ps, S_LZ_REP0, val);
                    let j = val as usize + usize::from(ps.prev == PREV_LZ);
                    let v = ps.lz_q[j];
                    ps.lz_q.copy_within(0..j, 1);
                    ps.lz_q[0] = v;
                }
                ps.prev = PREV_LZ;
            }
            _ => {
                self.code_bit(ps, S_MAIN, 1);
                self.code_bit(ps, S_MATCH, 1);
                if kind == DELTA {
                    self.code_bit(ps, S_DELTA, 0);
                    self.put_power(val & 7);
                    self.put_offset(true, val >> 3);
                    ps.delta_q = [val, ps.delta_q[0], ps.delta_q[1], ps.delta_q[2]];
                } else {
                    self.code_bit(ps, S_DELTA, 1);
                    self.put_rep(ps, S_DELTA_REP0, val);
                    let j = val as usize + usize::from(ps.prev == PREV_DELTA);
                    let v = ps.delta_q[j];
                    ps.delta_q.copy_within(0..j, 1);
                    ps.delta_q[0] = v;
                }
                ps.prev = PREV_DELTA;
            }
        }
        self.put_length(len);
    }

    fn put_rep(&mut self, ps: &mut PathState, class0: usize, k: u32) {
        self.code_bit(ps, class0, u32::from(k > 0));
        if k > 0 {
            self.code_bit(ps, class0 + 1, u32::from(k > 1));
        }
    }

    // ---------------------------------------------------------------- costs

    #[inline(never)]
    fn refresh_costs(&mut self) {
        let c = &mut *self.costs;
        for (class, probs) in self.probs.classes.iter().enumerate() {
            for (s, p) in probs.iter().enumerate() {
                let p = p.p() as usize;
                c.bits[class][s] = [self.prob_cost[p], self.prob_cost[64 - p]];
            }
        }
        // The code-derived tables change only when a code is rebuilt.
        let dirty = std::mem::take(&mut self.dirty);
        if dirty & DIRTY_LIT != 0 {
            for (o, &l) in c.literal.iter_mut().zip(self.codes.literal.code_lens()) {
                *o = u32::from(l) << COST_SHIFT;
            }
        }
        if dirty & DIRTY_LEN != 0 {
            let ll = self.codes.length.code_lens();
            for (len, o) in c.length[..LEN_TABLE].iter_mut().enumerate() {
                let slot = usize::from(self.len_slot_table[len]);
                *o = (u32::from(ll[slot]) + u32::from(LEN_EXTRA[slot])) << COST_SHIFT;
            }
        }
        if dirty & DIRTY_LZ_OFF != 0 {
            slot_costs(&mut c.lz_slot, self.codes.lz_offset.code_lens());
        }
        if self.params.delta && dirty & DIRTY_DELTA_OFF != 0 {
            slot_costs(&mut c.delta_slot, self.codes.delta_offset.code_lens());
        }
        if self.params.delta && dirty & DIRTY_POWER != 0 {
            for (o, &l) in c.power.iter_mut().zip(self.codes.delta_power.code_lens()) {
                *o = u32::from(l) << COST_SHIFT;
            }
        }
    }

    // ---------------------------------------------------------------- parsing

    /// Parses and codes the filtered chunk in `self.buf`; false if the output grew past
    /// `limit` bytes.
    fn encode_chunk(&mut self, limit: usize) -> bool {
        let buf = std::mem::take(&mut self.buf);
        if self.lcp_mode {
            self.lcp.build(&buf, self.params.nice);
        }
        let ok = if self.params.lazy {
            self.parse_lazy(&buf, limit)
        } else {
            self.parse(&buf, limit)
        };
        self.buf = buf;
        ok
    }

    fn parse(&mut self, d: &[u8], limit: usize) -> bool {
        let n = d.len();
        let prm = self.params;
        let nice = prm.nice.min(255);
        let wsize = prm.window.min(MAX_WINDOW);
        let node_len = wsize + 2 * nice + 2;
        self.nodes.fill(UNREACHED);
        self.states.clear();
        self.states.resize(wsize + 2 * nice + 2, PathState::INIT);
        let mut ps = PathState::INIT;
        let mut pos = 0usize;
        let mut matches = std::mem::take(&mut self.matches);
        let mut deltas = std::mem::take(&mut self.deltas);
        let mut path = std::mem::take(&mut self.path);
        let gaps = prm.gaps;
        // In large chunks the gap edges of the shorter matches far back read cold bytes
        // for little: only matches nearer than this get them (the longest always does).
        // (64 MiB of wine at L50: all matches 11597640 bytes, nearer than 1 MiB 11597376,
        // longest only 11612758 but ~8 % faster.)
        let gap_far = if self.lcp_mode { 1u32 << 20 } else { u32::MAX };
        let dskip = prm.delta_skip;
        let dgaps = prm.delta_gaps;
        let dmin = prm.delta_min;
        // The longest match of the last visited position: (position, length, offset).
        let mut prev_best = (usize::MAX, 0u32, 0u32);
        // Interior skip (`Params::interior`), with the tree or chain finder: where the
        // longest match has reached past a position by `interior_tail` bytes or more, and
        // this position's longest match ends no later, only its finder visit is done.
        let skip_t = if self.lcp_mode { 0 } else { prm.interior };
        let skip_k = prm.interior_tail;
        // End of the last match of at least `skip_t` bytes.
        let mut cover_end = 0usize;
        // Backward extension of the longest match: the LCP-interval finder misses no
        // start below the 63 bytes it stores (1 MiB chunks at L50: same size without, for
        // 0.3 % fewer instructions), but helps past them (L100: -0.1 %).
        let back = !self.lcp_mode || nice > 63;
        // "Literal, delta repeat-0" edges: with the tree finder only (64 MiB solid L50:
        // 11549534 bytes with them, 11548720 without; 16 MiB 2271962 / 2272896).
        let ldrep = LIT_DREP0 && prm.delta && !self.lcp_mode;

        while pos < n {
            if self.rc.len() + self.bw.len() > limit {
                self.matches = matches;
                self.deltas = deltas;
                self.path = path;
                return false;
            }
            self.refresh_costs();
            let lim = wsize.min(n - pos);
            self.nodes[..=lim + 2 * nice].fill(UNREACHED);
            self.nodes[0].cost = 0;
            self.states[0] = ps;
            let mut forced: Option<(usize, u8, u32, u32)> = None;
            let mut i = 0usize;
            'scan: while i < lim {
                let node = self.nodes[i];
                if node.cost == INF {
                    i += 1;
                    continue;
                }
                if prm.dom != INF
                    && i > 0
                    && node.kind != LIT
                    && node.len1 == 0
                    && (node.kind == LZ_REP || node.kind == DELTA_REP || !prm.dom_rep)
                {
                    let nx = self.nodes[(i + 1) & (NODES - 1)];
                    if nx.len == node.len + 1
                        && nx.kind == node.kind
                        && nx.val == node.val
                        && nx.len1 == 0
                        && nx.cost <= node.cost.saturating_add(prm.dom)
                    {
                        // No state either: nothing starts here, and `extend_back` skips
                        // the node by this mark.
                        self.states[i].prev = DOM_MARK;
                        i += 1;
                        continue;
                    }
                }
                let s = if i > 0 {
                    let mut s = self.states[i - node.len as usize];
                    s.apply(node.kind, node.val);
                    if node.len1 != 0 || (node.kind == LIT && node.len > 1) {
                        s.apply(LIT, 0);
                        // A literal's len1 marks "literal, delta repeat-0" (the literal
                        // is applied twice, as for "literal, repeat-0": the cost estimate
                        // is better so, 4 MiB L50 1010258 bytes against 1010776).
                        let rk = if node.kind == LIT && node.len1 != 0 {
                            DELTA_REP
                        } else {
                            gap_rep(node.kind)
                        };
                        s.apply(rk, 0);
                    }
                    self.states[i] = s;
                    s
                } else {
                    self.states[0]
                };
                let p = pos + i;
                let rem = n - p;
                let maxl = rem.min(nice);
                // Match finders, in position order. Interior positions without tree
                // visits (`Params::interior_tree`): decided before the visit, so the
                // positions near the cover's end, which still search, find any match
                // that reaches past it.
                if !prm.interior_tree && skip_t > 0 && self.interior(i, p + skip_k, cover_end) {
                    if self.hc_mode {
                        while self.finder_next() <= p {
                            self.skip_one(d);
                        }
                    } else {
                        while self.finder_next() < p {
                            self.skip_one(d);
                        }
                        self.bt.next = p + 1;
                    }
                    i += 1;
                    continue;
                }
                if prm.lz_skipped {
                    while self.finder_next() < p {
                        self.skip_one(d);
                    }
                } else if self.lcp_mode {
                    self.lcp.next = p;
                } else if self.hc_mode {
                    self.hc.next = p;
                } else {
                    self.bt.next = p;
                }
                matches.clear();
                if self.lcp_mode {
                    self.lcp.visit::<true>(d, &mut matches);
                } else if self.hc_mode {
                    self.hc.visit::<true>(d, prm.chain, nice, &mut matches);
                } else {
                    self.bt.visit::<true>(d, prm.depth, nice, &mut matches);
                }
                // Inside a long match, away from its end, a position whose own longest
                // match ends no later is not expanded: the paths through it are rarely
                // better than the long match, and the nodes near its end, where a path
                // may leave it, still are. Never node 0, and only where the next node is
                // reached already, so that every later node stays reachable.
                if skip_t > 0
                    && let Some(&(blen, _)) = matches.last()
                {
                    let end = p + blen as usize;
                    if end > cover_end {
                        if blen as usize >= skip_t {
                            cover_end = end;
                        }
                    } else if self.interior(i, p + skip_k, cover_end) {
                        i += 1;
                        continue;
                    }
                }
                #[cfg(test)]
                {
                    self.expanded += 1;
                }
                deltas.clear();
                if prm.delta {
                    let best = matches.last().map_or(0, |m| m.0 as usize);
                    if best < dskip {
                        self.df.visit::<true>(d, p, nice, &mut deltas);
                    } else if best < prm.delta_noins {
                        self.df.visit::<false>(d, p, nice, &mut deltas);
                    }
                }
                let cost0 = node.cost;
                let c = &*self.costs;
                let bits = &c.bits;
                let st = |k: usize| usize::from(s.st[k]);
                // Literal.
                {
                    let lc = cost0 + bits[S_MAIN][st(S_MAIN)][0] + c.literal[usize::from(d[p])];
                    relax(
                        &mut self.nodes,
                        i + 1,
                        Node {
                            cost: lc,
                            len: 1,
                            kind: LIT,
                            val: 0,
                            len1: 0,
                        },
                    );
                    if LIT_REP0 && rem >= 4 {
                        let off = s.lz_q[0] as usize;
                        if off < p && d[p + 1] == d[p + 1 - off] && d[p + 2] == d[p + 2 - off] {
                            let l2 = extend(d, p + 1, p + 1 - off, 2, (rem - 1).min(nice - 1));
                            relax_lit_rep0(&mut self.nodes, c, &s, i, lc, l2, false);
                        }
                    }
                    // "Literal, delta repeat-0".
                    if ldrep && rem >= 4 {
                        let pair = s.delta_q[0];
                        let power = (pair & 7) as usize;
                        let span = 1usize << power;
                        let off = ((pair >> 3) as usize) << power;
                        if off + span <= p + 1 && delta_gap_hit(d, p, span, off) {
                            let l2 =
                                delta_len_from(d, p + 1, off, span, 2, (rem - 1).min(nice - 1));
                            if l2 >= 2 {
                                relax_lit_rep0(&mut self.nodes, c, &s, i, lc, l2, true);
                            }
                        }
                    }
                }
                let match_base = cost0 + bits[S_MAIN][st(S_MAIN)][1];
                let lz_base = match_base + bits[S_MATCH][st(S_MATCH)][0];
                // Explicit length-2 match at the nearest occurrence of the pair.
                if prm.len2 && rem >= 2 {
                    while self.pairs_next < p {
                        let q = self.pairs_next;
                        self.pairs[pair_hash(d, q)] = q as u32 + 1;
                        self.pairs_next += 1;
                    }
                    let key = pair_hash(d, p);
                    let q = self.pairs[key] as usize;
                    self.pairs[key] = p as u32 + 1;
                    self.pairs_next = p + 1;
                    if q != 0
                        && p + 1 - q <= prm.len2_max_off
                        && d[q - 1] == d[p]
                        && d[q] == d[p + 1]
                    {
                        let off = (p + 1 - q) as u32;
                        let cc = lz_base
                            + bits[S_LZ][st(S_LZ)][0]
                            + c.lz_slot[self.slots.slot(off)]
                            + c.len_cost(2);
                        // "Pair, literal, repeat-0" (item statistics against libwim: it
                        // codes such pairs where the repeat after the literal pays). Only
                        // where the pair is not the start of a longer match at the same
                        // offset: that match's edges already cover the gap.
                        if gaps
                            && (rem < 3 || d[p + 2] != d[p + 2 - off as usize])
                            && gap_hit(d, p + 2, off as usize)
                        {
                            gap_edge(
                                &mut self.nodes,
                                c,
                                d,
                                &s,
                                (i, p),
                                (LZ, off, off as usize, 2),
                                cc,
                                nice,
                            );
                        }
                        relax(
                            &mut self.nodes,
                            i + 2,
                            Node {
                                cost: cc,
                                len: 2,
                                kind: LZ,
                                val: off,
                                len1: 0,
                            },
                        );
                    }
                }
                // LZ repeat matches.
                let rep_base = lz_base + bits[S_LZ][st(S_LZ)][1];
                let mut longest_rep = (0usize, 0u32);
                // The three 2-byte probes as a mask without branches (one branch per
                // hit instead of up to six hard-to-predict ones per position).
                let mut hits = 0u32;
                if rem >= 2 {
                    let here = load16(d, p);
                    for k in 0..3 {
                        let off = s.lz_rep(k) as usize;
                        let q = if off <= p { p - off } else { p };
                        hits |= u32::from(off <= p && load16(d, q) == here) << k;
                    }
                }
                while hits != 0 {
                    let k = hits.trailing_zeros();
                    hits &= hits - 1;
                    let off = s.lz_rep(k as usize) as usize;
                    let l = extend(d, p, p - off, 2, rem);
                    if l >= nice {
                        if l > longest_rep.0 {
                            longest_rep = (l, k);
                        }
                        continue;
                    }
                    let rc = rep_base + rep_cost(bits, &s, S_LZ_REP0, k);
                    if gaps && l > longest_rep.0 {
                        longest_rep = (l, k);
                    }
                    for len in 2..l + 1 {
                        let cc = rc + c.len_cost(len);
                        relax(
                            &mut self.nodes,
                            i + len,
                            Node {
                                cost: cc,
                                len: len as u16,
                                kind: LZ_REP,
                                val: k,
                                len1: 0,
                            },
                        );
                    }
                }
                if longest_rep.0 >= nice {
                    forced = Some((i, LZ_REP, longest_rep.1, longest_rep.0 as u32));
                    break;
                }
                if longest_rep.0 >= 2
                    && gap_hit(
                        d,
                        p + longest_rep.0,
                        s.lz_rep(longest_rep.1 as usize) as usize,
                    )
                {
                    let (l, k) = longest_rep;
                    let off = s.lz_rep(k as usize) as usize;
                    let mc = rep_base + rep_cost(bits, &s, S_LZ_REP0, k) + c.len_cost(l);
                    gap_edge(
                        &mut self.nodes,
                        c,
                        d,
                        &s,
                        (i, p),
                        (LZ_REP, k, off, l),
                        mc,
                        nice,
                    );
                }
                // Explicit LZ matches.
                if let Some(&(blen, boff)) = matches.last() {
                    if blen as usize >= maxl && maxl == nice {
                        let l = extend(d, p, p - boff as usize, nice, rem);
                        forced = Some((i, LZ, boff, l as u32));
                        break;
                    }
                    // The finder may have missed where this match starts (a binary
                    // tree cut at its depth limit loses old nodes: sorted string tables
                    // degenerate it): offer it from the earlier nodes it also matches
                    // from, unless the previous position already had it.
                    if back
                        && i > 0
                        && p > boff as usize
                        && d[p - 1] == d[p - 1 - boff as usize]
                        && !(prev_best.0 + 1 == p && prev_best.2 == boff && prev_best.1 > blen)
                    {
                        extend_back(
                            &mut self.nodes,
                            &self.states,
                            c,
                            &self.slots,
                            d,
                            (i, p),
                            (blen, boff),
                        );
                    }
                    prev_best = (p, blen, boff);
                    let base = lz_base + bits[S_LZ][st(S_LZ)][0];
                    if gaps && prm.gap_all {
                        for &(ml, off) in matches.iter() {
                            if off >= gap_far && ml != blen {
                                continue;
                            }
                            let ml = ml as usize;
                            if !gap_hit(d, p + ml, off as usize) {
                                continue;
                            }
                            let mc = base + c.lz_slot[self.slots.slot(off)] + c.len_cost(ml);
                            gap_edge(
                                &mut self.nodes,
                                c,
                                d,
                                &s,
                                (i, p),
                                (LZ, off, off as usize, ml),
                                mc,
                                nice,
                            );
                        }
                    } else if gaps {
                        let ml = blen as usize;
                        let mc = base + c.lz_slot[self.slots.slot(boff)] + c.len_cost(ml);
                        gap_edge(
                            &mut self.nodes,
                            c,
                            d,
                            &s,
                            (i, p),
                            (LZ, boff, boff as usize, ml),
                            mc,
                            nice,
                        );
                    }
                    let mut len = 3usize;
                    for &(ml, off) in matches.iter() {
                        let oc = base + c.lz_slot[self.slots.slot(off)];
                        while len <= ml as usize {
                            let cc = oc + c.len_cost(len);
                            relax(
                                &mut self.nodes,
                                i + len,
                                Node {
                                    cost: cc,
                                    len: len as u16,
                                    kind: LZ,
                                    val: off,
                                    len1: 0,
                                },
                            );
                            len += 1;
                        }
                    }
                }
                if prm.delta && rem >= 2 {
                    let dbase = match_base + bits[S_MATCH][st(S_MATCH)][1];
                    // Delta repeat matches.
                    let drep_base = dbase + bits[S_DELTA][st(S_DELTA)][1];
                    for k in 0..3u32 {
                        let pair = s.delta_rep(k as usize);
                        let power = (pair & 7) as usize;
                        let span = 1usize << power;
                        let off = ((pair >> 3) as usize) << power;
                        // Most probes fail on the first two differences.
                        if off + span > p
                            || d[p].wrapping_sub(d[p - span])
                                != d[p - off].wrapping_sub(d[p - off - span])
                            || d[p + 1].wrapping_sub(d[p + 1 - span])
                                != d[p + 1 - off].wrapping_sub(d[p + 1 - off - span])
                        {
                            continue;
                        }
                        let l = delta_len_from(d, p, off, span, 2, maxl);
                        if l < 2 {
                            continue;
                        }
                        if l >= nice {
                            // Long runs are taken whole, like long LZ matches.
                            let l = delta_len_from(d, p, off, span, l, rem);
                            forced = Some((i, DELTA_REP, k, l as u32));
                            break 'scan;
                        }
                        let rc = drep_base + rep_cost(bits, &s, S_DELTA_REP0, k);
                        if dgaps && l < nice - 1 && delta_gap_hit(d, p + l, span, off) {
                            delta_gap_edge(
                                &mut self.nodes,
                                c,
                                d,
                                &s,
                                (i, p),
                                (DELTA_REP, k, span, off, l),
                                rc + c.len_cost(l),
                                nice,
                            );
                        }
                        for len in 2..l.min(nice - 1) + 1 {
                            let cc = rc + c.len_cost(len);
                            relax(
                                &mut self.nodes,
                                i + len,
                                Node {
                                    cost: cc,
                                    len: len as u16,
                                    kind: DELTA_REP,
                                    val: k,
                                    len1: 0,
                                },
                            );
                        }
                    }
                    // Explicit delta matches.
                    let ebase = dbase + bits[S_DELTA][st(S_DELTA)][0];
                    for &(power, raw, l) in deltas.iter() {
                        let off = (raw as usize) << power;
                        if l as usize >= nice {
                            let l = delta_len_from(d, p, off, 1 << power, nice, rem);
                            forced = Some((i, DELTA, pack_delta(power, raw), l as u32));
                            break 'scan;
                        }
                        // A plain copy is an LZ match: cheaper, and already an edge.
                        if rem >= 4 && d[p..p + 4] == d[p - off..p - off + 4] {
                            continue;
                        }
                        let oc =
                            ebase + c.power[power as usize] + c.delta_slot[self.slots.slot(raw)];
                        let top = (l as usize).min(nice - 1);
                        if dgaps && top >= dmin && delta_gap_hit(d, p + top, 1 << power, off) {
                            delta_gap_edge(
                                &mut self.nodes,
                                c,
                                d,
                                &s,
                                (i, p),
                                (DELTA, pack_delta(power, raw), 1 << power, off, top),
                                oc + c.len_cost(top),
                                nice,
                            );
                        }
                        for len in dmin..(l as usize).min(nice - 1) + 1 {
                            let cc = oc + c.len_cost(len);
                            relax(
                                &mut self.nodes,
                                i + len,
                                Node {
                                    cost: cc,
                                    len: len as u16,
                                    kind: DELTA,
                                    val: pack_delta(power, raw),
                                    len1: 0,
                                },
                            );
                        }
                    }
                }
                i += 1;
            }
            // The end of this window's path.
            let end = match forced {
                Some((fi, ..)) => fi,
                None => {
                    let mut j = lim;
                    while j + 1 < node_len && self.nodes[j].cost == INF {
                        j += 1;
                    }
                    if END_PICK && j > 0 {
                        // A later reached node may be a better place to stop: the one
                        // with the least cost less the window's cost per byte times its
                        // distance.
                        let (c0, j0) = (i64::from(self.nodes[j].cost), j as i64);
                        let mut best = (0i64, j);
                        for k in j + 1..(lim + 2 * nice + 1).min(node_len) {
                            let ck = self.nodes[k].cost;
                            if ck == INF {
                                continue;
                            }
                            let v = i64::from(ck) * j0 - c0 * k as i64;
                            if v < best.0 {
                                best = (v, k);
                            }
                        }
                        j = best.1;
                    }
                    j
                }
            };
            if end > 0 && self.nodes[end].cost == INF {
                // An unreached end (a parser bug; a reached node's path leads back to
                // node 0): give up on this chunk (it is stored uncompressed), never loop.
                self.matches = matches;
                self.deltas = deltas;
                self.path = path;
                return false;
            }
            path.clear();
            let mut j = end;
            while j > 0 {
                let nd = self.nodes[j];
                let (nlen, nlen1) = (u32::from(nd.len), u32::from(nd.len1));
                if nd.kind == LIT && nd.len > 1 {
                    let rk = if nd.len1 != 0 { DELTA_REP } else { LZ_REP };
                    path.push((rk, 0, nlen - 1));
                    path.push((LIT, 0, 1));
                } else if nd.len1 != 0 {
                    path.push((gap_rep(nd.kind), 0, nlen - nlen1 - 1));
                    path.push((LIT, 0, 1));
                    path.push((nd.kind, nd.val, nlen1));
                } else {
                    path.push((nd.kind, nd.val, nlen));
                }
                j -= nd.len as usize;
            }
            let mut p = pos;
            for &(kind, val, len) in path.iter().rev() {
                self.put_item(&mut ps, kind, val, len, d[p]);
                p += len as usize;
            }
            if let Some((_, kind, val, len)) = forced {
                self.put_item(&mut ps, kind, val, len, 0);
                p += len as usize;
            }
            pos = p;
        }
        self.matches = matches;
        self.deltas = deltas;
        self.path = path;
        true
    }

    /// Whether node `i` (its position plus `interior_tail` is `reach`) lies in the interior
    /// of the long match that ends at `cover_end` and may be skipped: never node 0, and
    /// only where node `i + 1` is reached already, so that every later node stays
    /// reachable.
    #[inline(always)]
    fn interior(&self, i: usize, reach: usize, cover_end: usize) -> bool {
        i > 0 && reach <= cover_end && self.nodes[(i + 1) & (NODES - 1)].cost != INF
    }

    /// The next position the LZ match finder visits.
    #[inline(always)]
    fn finder_next(&self) -> usize {
        if self.lcp_mode {
            self.lcp.next
        } else if self.hc_mode {
            self.hc.next
        } else {
            self.bt.next
        }
    }

    /// Visits the next position without searching (tree and delta tables only).
    #[inline]
    fn skip_one(&mut self, d: &[u8]) {
        let p = self.finder_next();
        let mut dummy = Vec::new();
        if self.lcp_mode {
            self.lcp.visit::<false>(d, &mut dummy);
        } else if self.hc_mode {
            self.hc.visit::<false>(d, 0, 0, &mut dummy);
        } else {
            self.bt
                .visit::<false>(d, self.params.depth, self.params.nice, &mut dummy);
        }
        if self.params.delta && self.params.delta_skipped {
            let mut dd = Vec::new();
            self.df.visit::<false>(d, p, 0, &mut dd);
        }
    }
}

/// Offers the explicit match (`blen`, `boff`) found at node `i` (position `p`) from
/// the up to [`BACK_MAX`] nodes before it where it also matches, with the bytes
/// in between added to its length (the caller checked the byte before `p`, and `i > 0`).
#[inline(never)]
fn extend_back(
    nodes: &mut Nodes,
    states: &[PathState],
    c: &Costs,
    slots: &SlotFinder,
    d: &[u8],
    (i, p): (usize, usize),
    (blen, boff): (u32, u32),
) {
    let bo = boff as usize;
    let mut j = 1usize;
    while j < i.min(BACK_MAX) && p - 1 - j >= bo && d[p - 1 - j] == d[p - 1 - j - bo] {
        j += 1;
    }
    let oc = c.lz_slot[slots.slot(boff)];
    for jj in 1..j + 1 {
        let src = i - jj;
        let nd = nodes[src & (NODES - 1)];
        if nd.cost == INF {
            continue;
        }
        let ss = &states[src];
        if ss.prev == DOM_MARK {
            continue;
        }
        let l = blen as usize + jj;
        let cost = nd.cost
            + c.bit(ss, S_MAIN, 1)
            + c.bit(ss, S_MATCH, 0)
            + c.bit(ss, S_LZ, 0)
            + oc
            + c.len_cost(l);
        relax(
            nodes,
            src + l,
            Node {
                cost,
                len: l as u16,
                kind: LZ,
                val: boff,
                len1: 0,
            },
        );
    }
}

/// Cost of the repeat-index decisions for index `k`.
#[inline(always)]
fn rep_cost(bits: &BitCosts, s: &PathState, class0: usize, k: u32) -> u32 {
    let s0 = usize::from(s.st[class0]);
    let s1 = usize::from(s.st[class0 + 1]);
    match k {
        0 => bits[class0][s0][0],
        1 => bits[class0][s0][1] + bits[class0 + 1][s1][0],
        _ => bits[class0][s0][1] + bits[class0 + 1][s1][1],
    }
}

impl Compressor for LzmsCompressor {
    fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Option<usize> {
        let n = src.len();
        // Chunks of fewer than 4 bytes can never shrink (the output is at least 4 bytes).
        if n <= 4 || n > self.max_chunk {
            return None;
        }
        let limit = (n - 1).min(dst.len()) & !1;
        self.buf.clear();
        self.buf.extend_from_slice(src);
        self.x86.encode(&mut self.buf);
        if !self.reset(n) {
            return None;
        }
        if !self.encode_chunk(limit) {
            return None;
        }
        self.rc.finish();
        self.bw.finish();
        let f = self.rc.out.len();
        let total = f + 2 * self.bw.units.len();
        if total > limit {
            return None;
        }
        dst[..f].copy_from_slice(&self.rc.out);
        for (k, u) in self.bw.units.iter().enumerate() {
            let at = total - 2 * (k + 1);
            dst[at..at + 2].copy_from_slice(&u.to_le_bytes());
        }
        Some(total)
    }
}
