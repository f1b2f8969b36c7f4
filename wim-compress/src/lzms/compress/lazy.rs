//! The lazy parser of the low levels: at each position the single best item by estimated
//! gain (literal cost of the bytes it covers minus its own cost, both from the adaptive
//! model's current costs), taken unless the best item one position later gains more.
//! Much cheaper than the near-optimal parser: no graph, no per-node state copies.

use super::*;

/// One candidate item at a position.
#[derive(Debug, Clone, Copy)]
struct Cand {
    kind: u8,
    val: u32,
    len: u32,
    /// Estimated saving over coding the bytes as literals, in cost units.
    gain: i32,
}

const NONE: Cand = Cand {
    kind: LIT,
    val: 0,
    len: 1,
    gain: 0,
};

/// Positions between cost refreshes.
const REFRESH: usize = 1024;

impl LzmsCompressor {
    /// Cost of a length (any length).
    #[inline(always)]
    fn len_cost(c: &Costs, len: usize) -> u32 {
        c.length[len.min(LEN_TABLE - 1)]
    }

    /// The best item at `p` (the finders' next position) for path state `s`; visits the
    /// finders at `p`.
    #[inline]
    fn best_at(&mut self, d: &[u8], p: usize, s: &PathState) -> Cand {
        let n = d.len();
        let rem = n - p;
        let prm = self.params;
        let nice = prm.nice;
        let mut matches = std::mem::take(&mut self.matches);
        let mut deltas = std::mem::take(&mut self.deltas);
        matches.clear();
        deltas.clear();
        if self.lcp_mode {
            self.lcp.next = p;
            self.lcp.visit::<true>(d, &mut matches);
        } else {
            self.bt.next = p;
            self.bt.visit::<true>(d, prm.depth, nice, &mut matches);
        }
        let lz_best = matches.last().map_or(0, |m| m.0 as usize);
        if prm.delta {
            if lz_best < prm.delta_skip {
                self.df.visit::<true>(d, p, nice, &mut deltas);
            } else if lz_best < prm.delta_noins {
                self.df.visit::<false>(d, p, nice, &mut deltas);
            }
        }
        let c = &*self.costs;
        let bits = &c.bits;
        let st = |k: usize| usize::from(s.st[k]);
        // Literal cost of the bytes p.. (the first `len` of them, len <= nice).
        let lit1 = bits[S_MAIN][st(S_MAIN)][0];
        let litsum = |len: usize| -> i32 {
            let mut t = 0u32;
            for &b in &d[p..p + len.min(nice).min(rem)] {
                t += c.literal[usize::from(b)] + lit1;
            }
            t as i32
        };
        let mut best = NONE;
        let mut consider = |kind: u8, val: u32, len: usize, cost: u32| {
            let g = litsum(len) - cost as i32;
            if g > best.gain || (g == best.gain && len as u32 > best.len) {
                best = Cand {
                    kind,
                    val,
                    len: len as u32,
                    gain: g,
                };
            }
        };
        let match_base = bits[S_MAIN][st(S_MAIN)][1];
        let lz_base = match_base + bits[S_MATCH][st(S_MATCH)][0];
        let rep_base = lz_base + bits[S_LZ][st(S_LZ)][1];
        if rem >= 2 {
            for k in 0..3u32 {
                let off = s.lz_rep(k as usize) as usize;
                if off > p || d[p] != d[p - off] || d[p + 1] != d[p + 1 - off] {
                    continue;
                }
                let l = extend(d, p, p - off, 2, rem);
                let cost = rep_base + rep_cost(bits, s, S_LZ_REP0, k) + Self::len_cost(c, l);
                consider(LZ_REP, k, l, cost);
            }
        }
        let ebase = lz_base + bits[S_LZ][st(S_LZ)][0];
        for &(ml, off) in matches.iter() {
            let mut l = ml as usize;
            if l >= nice {
                l = extend(d, p, p - off as usize, l, rem);
            }
            let cost = ebase + c.lz_slot[self.slots.slot(off)] + Self::len_cost(c, l);
            consider(LZ, off, l, cost);
        }
        if prm.delta && rem >= 2 {
            let dbase = match_base + bits[S_MATCH][st(S_MATCH)][1];
            let drep_base = dbase + bits[S_DELTA][st(S_DELTA)][1];
            for k in 0..3u32 {
                let pair = s.delta_rep(k as usize);
                let power = (pair & 7) as usize;
                let span = 1usize << power;
                let off = ((pair >> 3) as usize) << power;
                if off + span > p
                    || d[p].wrapping_sub(d[p - span]) != d[p - off].wrapping_sub(d[p - off - span])
                    || d[p + 1].wrapping_sub(d[p + 1 - span])
                        != d[p + 1 - off].wrapping_sub(d[p + 1 - off - span])
                {
                    continue;
                }
                let l = delta_len_from(d, p, off, span, 2, rem);
                let cost = drep_base + rep_cost(bits, s, S_DELTA_REP0, k) + Self::len_cost(c, l);
                consider(DELTA_REP, k, l, cost);
            }
            let xbase = dbase + bits[S_DELTA][st(S_DELTA)][0];
            for &(power, raw, l) in deltas.iter() {
                let mut l = l as usize;
                if l <= lz_best {
                    continue;
                }
                if l >= nice {
                    l = delta_len_from(d, p, (raw as usize) << power, 1 << power, l, rem);
                }
                let cost = xbase
                    + c.power[power as usize]
                    + c.delta_slot[self.slots.slot(raw)]
                    + Self::len_cost(c, l);
                consider(DELTA, pack_delta(power, raw), l, cost);
            }
        }
        self.matches = matches;
        self.deltas = deltas;
        best
    }

    /// Lazy parse and coding of the filtered chunk `d`; false if the output grew past
    /// `limit` bytes.
    pub(super) fn parse_lazy(&mut self, d: &[u8], limit: usize) -> bool {
        let n = d.len();
        let nice = self.params.nice;
        let mut ps = PathState::INIT;
        let mut p = 0usize;
        let mut next_refresh = 0usize;
        let mut pending: Option<Cand> = None;
        while p < n {
            if p >= next_refresh {
                if self.rc.len() + self.bw.len() > limit {
                    return false;
                }
                self.refresh_costs();
                next_refresh = p + REFRESH;
            }
            if n - p < 3 {
                self.put_item(&mut ps, LIT, 0, 1, d[p]);
                p += 1;
                continue;
            }
            let b0 = match pending.take() {
                Some(b) => b,
                None => self.best_at(d, p, &ps),
            };
            if b0.kind == LIT {
                self.put_item(&mut ps, LIT, 0, 1, d[p]);
                p += 1;
                continue;
            }
            if (b0.len as usize) < nice && n - p > 3 {
                let mut s1 = ps;
                s1.apply(LIT, 0);
                let b1 = self.best_at(d, p + 1, &s1);
                if b1.kind != LIT && b1.gain > b0.gain {
                    self.put_item(&mut ps, LIT, 0, 1, d[p]);
                    p += 1;
                    pending = Some(b1);
                    continue;
                }
            }
            self.put_item(&mut ps, b0.kind, b0.val, b0.len, 0);
            let end = p + b0.len as usize;
            if self.params.lz_skipped && (b0.len as usize) < nice {
                // Insert the covered positions into the LZ finder (not searched).
                let mut start = p + 1;
                if self.finder_next() > start {
                    start = self.finder_next();
                }
                let mut dummy = std::mem::take(&mut self.matches);
                for q in start..end.min(n) {
                    if self.lcp_mode {
                        self.lcp.next = q;
                        self.lcp.visit::<false>(d, &mut dummy);
                    } else {
                        self.bt.next = q;
                        self.bt
                            .visit::<false>(d, self.params.depth, nice, &mut dummy);
                    }
                }
                self.matches = dummy;
            }
            p = end;
        }
        true
    }
}
