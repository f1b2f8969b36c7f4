//! Cost-aware lazy parsing for LZX chunks of at most 64 KiB (the fast levels).
//!
//! Matches come from [`Hc16`] (16-bit hash chains, all linked up front by [`Hc16::build`];
//! the repeat checks read its zero-padded copy) plus the three recent offsets. A match
//! is taken only if it saves bits against coding its bytes as literals: every literal is
//! priced at a flat [`FLAT_LIT`] (the chunk's byte histogram and its prefix sums cost 9.5 %
//! of the instructions for 0.05–0.08 % of size); a match costs a main-symbol estimate (for
//! explicit matches growing with the offset slot) plus its verbatim offset bits (none for
//! repeat matches) plus a length-symbol estimate for lengths of 9 and more.
//! A short explicit match is compared with the best choice one byte later (one literal,
//! then that match) by the same savings; repeat matches are taken at once.

use super::block_split::Feed;
use super::compress::{Item, item_match, slot_of, update_queue};
use super::constants::{EXTRA_BITS, MIN_MATCH};
use crate::matchfinder::hc16::{HC16_MAX, Hc16};
use crate::matchfinder::padded16::{BUF, ld64};

const MAX_MATCH: usize = 257;

/// Estimated costs (1/16 bit) of a match besides its literals' worth: explicit match main
/// symbol (extra offset bits are added), repeat match main symbol, length symbol (lengths
/// of 9 and more). Used by the near-optimal parser's greedy seed (`compress.rs`); the lazy
/// parser prices matches with `lazy_gain`.
#[derive(Debug, Clone, Copy)]
pub(super) struct MatchCosts {
    pub(super) explicit: i32,
    pub(super) repeat: i32,
    pub(super) len_symbol: i32,
}

// Lazy match costs (1/16 bit), tuned on the 32 MiB sample at L20 (d24 n48; libwim L20
// 9436324 bytes). Before: a flat explicit header of 5 bits plus the extra bits, repeat 2
// bits, length symbol 1 bit: 9438698. A header that grows with the offset slot (far slots
// are rarer, so their main symbols are longer) fits much better: (explicit base, per slot,
// repeat-0, rep-1/2 extra) = (5.25, 0, 1.75, 0) 9436298; (4.5, 1/8, 1.75, 0) 9432448;
// (2, 1/4, 1.5, 1) 9423356; (1.5, 1/4, 1.5, 1) 9422932; (0, 5/16, 1.5, 1) 9422870;
// **(0.5, 5/16, 1.5, 1) 9422026**; (0.5, 5/16, 1.5, 1.25) 9424758; (0, 3/8, 1.5, 1)
// 9422938. Length symbol 0.5 / 1 / 1.5 / 2 bits: 9422024 / 9422026 / 9425286 / 9426612.
/// Explicit match: base cost of the main symbol (1/16 bit).
const EXPLICIT_BASE: i32 = 8;
/// Explicit match: added main-symbol cost per offset slot (1/16 bit).
const SLOT_SLOPE: i32 = 5;
/// Repeat-0 match main symbol (1/16 bit).
const REPEAT_HEADER: i32 = 24;
/// Added cost of a repeat-1 or repeat-2 match's main symbol (1/16 bit): they are rarer.
const REP12_EXTRA: i32 = 16;
/// Length symbol (lengths of 9 and more, 1/16 bit).
const LEN_SYMBOL: i32 = 16;
/// Cost of any literal (1/16 bit): 6.25 bits. Session 8, 32 MiB of wine at L20 (8 KiB
/// segments): literal costs from the chunk's byte histogram (`16·log2(n/count)`, prefix
/// sums) 9403336 bytes; flat 6 bits 9419718, 6.125 9411094, **6.25 9411156**, 6.375
/// 9413592, 6.5 9414920, 7 9421210, 8 9427338; the chunk's mean literal cost 9445636 (the
/// bytes that matches take are the frequent, cheap ones). 4 MiB: 573.2M → 518.4M
/// instructions (−9.5 %).
const FLAT_LIT: i32 = 100;

/// Header cost (1/16 bit) of an explicit match by offset slot: main symbol estimate plus
/// the verbatim extra offset bits.
const SLOT_HEAD: [i32; 64] = {
    let mut t = [0i32; 64];
    let mut s = 0;
    while s < 64 {
        t[s] = EXPLICIT_BASE + SLOT_SLOPE * s as i32 + 16 * EXTRA_BITS[s] as i32;
        s += 1;
    }
    t
};

/// Savings (1/16 bit) of the lazy parser's match of `len` with formatted offset `fo`
/// (< 2^18: chunks of at most 64 KiB) over coding its bytes as literals.
#[inline(always)]
fn lazy_gain(len: usize, fo: u32) -> i32 {
    let lits = FLAT_LIT * len as i32;
    let head = if fo < 3 {
        REPEAT_HEADER + if fo > 0 { REP12_EXTRA } else { 0 }
    } else {
        // Offset slot of `2 <= fo < 2^18` without branches (codecs.md §3.7).
        let k = 31 - fo.leading_zeros();
        let slot = (2 * k + ((fo >> (k - 1)) & 1)) as usize;
        SLOT_HEAD[slot & 63]
    };
    lits - head - if len >= 9 { LEN_SYMBOL } else { 0 }
}

/// Savings (1/16 bit) of a match of `len` at `pos` with formatted offset `fo` over coding
/// its bytes as literals (`pre`: literal-cost prefix sums of the chunk).
#[inline(always)]
pub(super) fn match_gain(pre: &[i32], pos: usize, len: usize, fo: u32, c: MatchCosts) -> i32 {
    let lits = pre[pos + len] - pre[pos];
    let head = if fo < 3 {
        c.repeat
    } else {
        c.explicit + 16 * i32::from(EXTRA_BITS[slot_of(fo)])
    };
    lits - head - if len >= 9 { c.len_symbol } else { 0 }
}
/// Matches shorter than this are compared with the choice one byte later (longer ones are
/// taken at once). L20 on 8 MiB of wine (session 3, look-ahead as deep as the search): 16
/// → 2027364 bytes; 48 → 0.19% smaller but 8% slower; 8 → 0.3% larger. Since the
/// look-ahead walks only 2 links (session 7), 24 (with 8 KiB split segments; 32 MiB L20
/// 9416262 bytes, 4.6 % fewer instructions than 16 with 4 KiB segments at 9421366).
const LAZY_MAX: usize = 24;

/// Common prefix length of `pad[a..]` and `pad[b..]` (`a < b`), at most `limit`
/// (`b + limit` at most the data length: the finder's copy is zero-padded past it).
#[inline(always)]
fn common(pad: &[u8; BUF], a: usize, b: usize, limit: usize) -> usize {
    let x = ld64(pad, a) ^ ld64(pad, b);
    if x != 0 {
        return ((x.trailing_zeros() / 8) as usize).min(limit);
    }
    let mut len = 8;
    while len < limit {
        let x = ld64(pad, a + len) ^ ld64(pad, b + len);
        if x != 0 {
            return (len + (x.trailing_zeros() / 8) as usize).min(limit);
        }
        len += 8;
    }
    limit
}

/// What [`best_at`] reads: the built finder, its padded copy and the search parameters.
struct Ctx<'a> {
    hc: &'a Hc16,
    pad: &'a [u8; BUF],
    n: usize,
    nice: usize,
    max_offset: usize,
}

/// Best repeat match at `pos` under queue `q` as (length, index), lengths capped at `limit`;
/// the lowest index wins ties, (0, 0) when none matches a byte. The three first 8-byte
/// compares are done without branching on their (unpredictable) outcome; only when one of
/// them matches all 8 bytes are the matches extended one by one.
#[inline(always)]
fn rep_match(pad: &[u8; BUF], q: &[u32; 3], pos: usize, limit: usize) -> (usize, u32) {
    let v = ld64(pad, pos);
    // Bytes in common within the first 8 (8 = all); 0 for an offset past the start. The
    // masked load of `pos - o` stays in the buffer even when it wraps.
    let first = |o: u32| -> usize {
        let o = o as usize;
        let l = ((ld64(pad, pos.wrapping_sub(o)) ^ v).trailing_zeros() / 8) as usize;
        if o > pos { 0 } else { l }
    };
    let (l0, l1, l2) = (first(q[0]), first(q[1]), first(q[2]));
    if (l0 | l1 | l2) >= 8 {
        let mut best = (0usize, 0u32);
        for (r, &o) in q.iter().enumerate() {
            let o = o as usize;
            if o > pos {
                continue;
            }
            let l = common(pad, pos - o, pos, limit);
            if l > best.0 {
                best = (l, r as u32);
            }
        }
        return best;
    }
    let (l0, l1, l2) = (l0.min(limit), l1.min(limit), l2.min(limit));
    let mut best = (l0, 0u32);
    if l1 > best.0 {
        best = (l1, 1);
    }
    if l2 > best.0 {
        best = (l2, 2);
    }
    best
}

/// The better of the repeat match and the chain's match at `pos` (longer than `min`) as
/// (length, formatted offset, gain); gain <= 0 means "literal".
#[inline(always)]
fn best_at(cx: &Ctx<'_>, q: &[u32; 3], pos: usize, min: usize, depth: u32) -> (usize, u32, i32) {
    let limit = MAX_MATCH.min(cx.n - pos);
    let (rl, ri) = rep_match(cx.pad, q, pos, limit);
    let mut b = (0usize, 0u32, 0i32);
    if rl >= MIN_MATCH {
        b = (rl, ri, lazy_gain(rl, ri));
    }
    if rl >= cx.nice {
        return b;
    }
    let (el, eo) = cx.hc.find(pos, min.max(rl).max(2), depth, cx.nice);
    if el >= 3 && eo <= cx.max_offset {
        // The chain extends matches to the end of the buffer.
        let el = el.min(MAX_MATCH);
        let eo = eo as u32;
        let fo = if eo == q[0] {
            0
        } else if eo == q[1] {
            1
        } else if eo == q[2] {
            2
        } else {
            eo + 2
        };
        let g = lazy_gain(el, fo);
        if g > b.2 {
            b = (el, fo, g);
        }
    }
    b
}

/// Reusable state of the lazy parser.
#[derive(Debug)]
pub(super) struct Lazy16 {
    hc: Box<Hc16>,
}

impl Lazy16 {
    /// Largest chunk.
    pub(super) const MAX: usize = HC16_MAX;

    /// A parser for chunks of up to `capacity` (at most [`Self::MAX`]) bytes.
    pub(super) fn new(capacity: usize) -> Self {
        Lazy16 {
            hc: Box::new(Hc16::new(capacity)),
        }
    }

    /// Bytes of memory.
    pub(super) fn memory() -> usize {
        Hc16::memory() + 64
    }

    /// Parses `data` (at most [`Self::MAX`] bytes) into `items`, searching `depth` chain
    /// links (`la_depth` for the look-ahead one byte later) and stopping at `nice` bytes;
    /// explicit offsets stay `<= max_offset`.
    pub(super) fn parse(
        &mut self,
        data: &[u8],
        (depth, la_depth): (u32, u32),
        nice: usize,
        max_offset: usize,
        items: &mut Vec<Item>,
        mut feed: Option<&mut Feed<'_>>,
    ) {
        let n = data.len().min(Self::MAX);
        let data = &data[..n];
        // Every position is linked up front (one branch-free pass); the parse only searches.
        let hc = &mut *self.hc;
        hc.build(data, true);
        let hc = &*hc;
        // The finder's zero-padded copy of the chunk (masked loads, no bounds checks).
        let pad = hc.padded();
        let cx = Ctx {
            hc,
            pad,
            n,
            nice,
            max_offset,
        };
        let end = n.saturating_sub(3);
        // The splitter's segment bookkeeping: the parser tracks the position and the item
        // count itself and calls `cut` only at item boundaries past `next_cut`.
        let base = items.len();
        let mut next_cut = feed.as_deref().map_or(usize::MAX, |f| f.next_cut());
        let mut q = [1u32; 3];
        let mut pos = 0usize;
        while pos < end {
            let (mut len, mut fo, mut g) = best_at(&cx, &q, pos, 2, depth);
            if g <= 0 {
                items.push(u32::from(data[pos]));
                if let Some(f) = feed.as_deref_mut() {
                    f.count_lit(data[pos]);
                }
                pos += 1;
                if pos >= next_cut {
                    next_cut = cut(&mut feed, pos, items.len() - base);
                }
                continue;
            }
            // Only explicit matches are compared with the choice one byte later: a repeat match
            // is taken at once (32 MiB of wine, L20: look-ahead after every match 9416262
            // bytes; not after repeat-0 ones 9404618, 4 % fewer instructions; not after
            // repeat-0/1 9402046; after no repeat match 9403336, 6.4 % fewer instructions).
            while fo >= 3 && len < LAZY_MAX && pos + 1 < end {
                let (l2, f2, g2) = best_at(&cx, &q, pos + 1, len, la_depth);
                if g2 > g {
                    items.push(u32::from(data[pos]));
                    if let Some(f) = feed.as_deref_mut() {
                        f.count_lit(data[pos]);
                    }
                    pos += 1;
                    if pos >= next_cut {
                        next_cut = cut(&mut feed, pos, items.len() - base);
                    }
                    (len, fo, g) = (l2, f2, g2);
                } else {
                    break;
                }
            }
            items.push(item_match(len, fo));
            if let Some(f) = feed.as_deref_mut() {
                f.count_mat(item_match(len, fo));
            }
            update_queue(&mut q, fo);
            pos += len;
            if pos >= next_cut {
                next_cut = cut(&mut feed, pos, items.len() - base);
            }
        }
        while pos < n {
            items.push(u32::from(data[pos]));
            if let Some(f) = feed.as_deref_mut() {
                f.count_lit(data[pos]);
            }
            pos += 1;
            if pos >= next_cut {
                next_cut = cut(&mut feed, pos, items.len() - base);
            }
        }
    }
}

/// [`Feed::cut`] when there is a feed (else no cut ever).
#[inline(never)]
fn cut(feed: &mut Option<&mut Feed<'_>>, pos: usize, k: usize) -> usize {
    match feed.as_deref_mut() {
        Some(f) => f.cut(pos, k),
        None => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_matches_are_taken_without_look_ahead() {
        // At `pos` a 4-byte repeat-0 match; one byte later a 24-byte explicit match. The
        // look-ahead would prefer "literal, long match"; repeat matches are taken at once.
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut noise = |k: usize| -> Vec<u8> {
            (0..k)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 24) as u8
                })
                .collect()
        };
        let s = noise(24);
        let mut data = noise(60);
        data.extend_from_slice(&s);
        data.extend(noise(40));
        // Block B: 12 bytes, a byte, then [z, S0, S1, S2] and a byte differing from S3.
        let b_start = data.len();
        data.extend(noise(13));
        let b = data.len();
        data.extend_from_slice(&[0x5A, s[0], s[1], s[2], s[3] ^ 0xFF]);
        data.extend(noise(30));
        // B's first 12 bytes again (an explicit match whose offset becomes repeat 0), a byte
        // differing from B's 13th, then B's [z, S0, S1, S2] (repeat 0) continued by S.
        let first = data[b_start..b_start + 12].to_vec();
        data.extend_from_slice(&first);
        data.push(data[b - 1] ^ 0xFF);
        let pos = data.len();
        data.push(0x5A);
        data.extend_from_slice(&s);
        data.extend(noise(40));
        let mut lz = Lazy16::new(4096);
        let mut items = Vec::new();
        lz.parse(&data, (48, 2), 48, 4093, &mut items, None);
        assert_eq!(
            item_at(&items, pos, data.len()),
            Some(item_match(4, 0)),
            "{items:?}"
        );
    }

    #[test]
    fn lazy_gain_prices_far_slots_and_rare_repeats_higher() {
        // Offsets 2 and 4 (formatted 4 and 6) are in slots 4 and 5, both with one extra
        // bit: the farther slot costs more (a flat header would price them the same).
        assert_eq!(slot_of(4), 4);
        assert_eq!(slot_of(6), 5);
        assert_eq!(EXTRA_BITS[4], EXTRA_BITS[5]);
        assert_eq!(lazy_gain(4, 4) - lazy_gain(4, 6), SLOT_SLOPE);
        // The branch-free slot equals `slot_of` for every explicit offset of a 64 KiB chunk.
        for fo in 3..(1u32 << 16) + 2 {
            let head = 4 * FLAT_LIT - lazy_gain(4, fo);
            assert_eq!(head, SLOT_HEAD[slot_of(fo)], "{fo}");
        }
        // Repeat 1 and 2 cost more than repeat 0; lengths from 9 pay a length symbol.
        assert_eq!(lazy_gain(4, 0) - lazy_gain(4, 1), REP12_EXTRA);
        assert_eq!(lazy_gain(4, 1), lazy_gain(4, 2));
        assert_eq!(lazy_gain(9, 0), 9 * FLAT_LIT - REPEAT_HEADER - LEN_SYMBOL);
    }

    #[test]
    fn frequent_bytes_are_not_priced_as_cheap_literals() {
        // Every other byte is `Q` (half of the chunk: about one bit each by the byte
        // histogram); the others are noise. `QQQ` occurs twice, 2000 bytes apart. Priced
        // from the histogram (3 bits) the far 3-byte match (16 bits of header and offset)
        // would lose to literals; at the flat literal cost it is taken.
        let (data, p0, p) = crate::test_inputs::frequent_byte_triples();
        let mut lz = Lazy16::new(8192);
        let mut items = Vec::new();
        lz.parse(&data, (48, 2), 48, 8189, &mut items, None);
        let want = Some(item_match(3, (p - p0) as u32 + 2));
        assert_eq!(item_at(&items, p, data.len()), want, "{items:?}");
    }

    /// The item that starts at byte `pos` of a parse, after checking that the items cover
    /// exactly `total` bytes.
    fn item_at(items: &[Item], pos: usize, total: usize) -> Option<Item> {
        let mut at = 0usize;
        let mut found = None;
        for &it in items {
            if at == pos {
                found = Some(it);
            }
            at += ((it >> 22) as usize).max(1);
        }
        assert_eq!(at, total);
        found
    }
}
