//! The LZMS item decoder (`codecs.md` §4.2, §4.7–§4.9, §4.13).

use super::bitstream::BackReader;
use super::constants::*;
use super::huffman::Codes;
use super::range_coder::{Prob, RangeDecoder, reset_probs};
use super::x86_filter::X86Filter;
use crate::DecompressError;

/// All adaptive state of one decoder, reused across chunks.
#[derive(Debug)]
pub(crate) struct LzmsState {
    main_probs: [Prob; NUM_MAIN_PROBS],
    match_probs: [Prob; NUM_MATCH_PROBS],
    lz_probs: [Prob; NUM_LZ_PROBS],
    lz_rep_probs: [[Prob; NUM_LZ_REP_PROBS]; 2],
    delta_probs: [Prob; NUM_DELTA_PROBS],
    delta_rep_probs: [[Prob; NUM_DELTA_REP_PROBS]; 2],
    /// The five adaptive codes.
    codes: Codes,
    x86: X86Filter,
}

/// Per-chunk decision-class state registers.
#[derive(Debug, Default)]
struct States {
    matc: usize,
    lz: usize,
    lz_rep: [usize; 2],
    delta: usize,
    delta_rep: [usize; 2],
}

impl LzmsState {
    pub(crate) fn new() -> Self {
        LzmsState {
            main_probs: [Prob::INIT; NUM_MAIN_PROBS],
            match_probs: [Prob::INIT; NUM_MATCH_PROBS],
            lz_probs: [Prob::INIT; NUM_LZ_PROBS],
            lz_rep_probs: [[Prob::INIT; NUM_LZ_REP_PROBS]; 2],
            delta_probs: [Prob::INIT; NUM_DELTA_PROBS],
            delta_rep_probs: [[Prob::INIT; NUM_DELTA_REP_PROBS]; 2],
            codes: Codes::new(),
            x86: X86Filter::new(),
        }
    }

    fn reset(&mut self, out_len: usize) -> Result<(), DecompressError> {
        reset_probs(&mut self.main_probs);
        reset_probs(&mut self.match_probs);
        reset_probs(&mut self.lz_probs);
        for p in &mut self.lz_rep_probs {
            reset_probs(p);
        }
        reset_probs(&mut self.delta_probs);
        for p in &mut self.delta_rep_probs {
            reset_probs(p);
        }
        self.codes.reset(out_len)
    }

    /// Decodes one chunk `src` into all of `out`.
    pub(crate) fn decompress(&mut self, src: &[u8], out: &mut [u8]) -> Result<(), DecompressError> {
        if src.len() < 4 {
            return Err(DecompressError::TruncatedInput);
        }
        if !src.len().is_multiple_of(2) {
            return Err(DecompressError::InvalidBlock);
        }
        if out.is_empty() {
            return Ok(());
        }
        self.reset(out.len())?;
        let rd = RangeDecoder::new(src);
        if !rd.valid_start() {
            return Err(DecompressError::InvalidBlock);
        }
        let bits = BackReader::new(src);
        let (mut rd, bits) = self.decode_items(rd, bits, out)?;
        // Strict end checks (§4.2): the range coder ends on code 0 and the two streams
        // did not overlap (this also catches reads past either end of the input).
        if !rd.finish() {
            return Err(DecompressError::InvalidBlock);
        }
        let fwd_units = rd.bytes_consumed() / 2;
        let bwd_units = bits.units_consumed();
        if fwd_units.saturating_add(bwd_units) > src.len() / 2 {
            return Err(DecompressError::TruncatedInput);
        }
        self.x86.decode(out);
        Ok(())
    }

    /// The item loop. Everything it calls in the hot path is inlined and the two stream
    /// readers are locals whose addresses never escape, so that they live in registers
    /// (see OPTIMIZATIONS.md, "LZMS decoder").
    fn decode_items<'a>(
        &mut self,
        mut rd: RangeDecoder<'a>,
        mut bits: BackReader<'a>,
        out: &mut [u8],
    ) -> Result<(RangeDecoder<'a>, BackReader<'a>), DecompressError> {
        let n = out.len();
        let mut m = MatchState::new();
        let mut main_state = 0usize;
        let mut pos = 0usize;
        while pos < n {
            let bit = rd.decode_bit(&mut self.main_probs[main_state & (NUM_MAIN_PROBS - 1)]);
            main_state = ((main_state << 1) | bit as usize) & (NUM_MAIN_PROBS - 1);
            if bit == 0 {
                let lit = self.codes.literal.decode(&mut bits);
                out[pos] = lit as u8;
                pos += 1;
                m.prev = PREV_LITERAL;
                continue;
            }
            pos = self.decode_match(&mut rd, &mut bits, out, pos, &mut m)?;
        }
        if self.codes.failed() {
            return Err(DecompressError::InvalidHuffmanCode);
        }
        Ok((rd, bits))
    }

    /// Decodes one LZ or delta match (after the main decision said "match") at `pos`;
    /// returns the new position.
    #[inline(always)]
    fn decode_match<'a>(
        &mut self,
        rd: &mut RangeDecoder<'a>,
        bits: &mut BackReader<'a>,
        out: &mut [u8],
        pos: usize,
        m: &mut MatchState,
    ) -> Result<usize, DecompressError> {
        let n = out.len();
        if rd.decode_class(&mut self.match_probs, &mut m.st.matc) == 0 {
            // LZ match.
            let offset = if rd.decode_class(&mut self.lz_probs, &mut m.st.lz) == 0 {
                let slot = self.codes.lz_offset.decode(bits);
                let (Some(&base), Some(&extra)) = (OFFSET_BASE.get(slot), OFFSET_EXTRA.get(slot))
                else {
                    return Err(DecompressError::InvalidSymbol);
                };
                let offset = base + bits.read_bits(u32::from(extra));
                m.lz_q = [offset, m.lz_q[0], m.lz_q[1], m.lz_q[2]];
                offset
            } else {
                let mut k = rd.decode_class(&mut self.lz_rep_probs[0], &mut m.st.lz_rep[0]);
                if k != 0 {
                    k += rd.decode_class(&mut self.lz_rep_probs[1], &mut m.st.lz_rep[1]);
                }
                // Compact queue (§4.8): slot 0 holds the pending value if the previous
                // item was an LZ match.
                let j = k as usize + usize::from(m.prev == PREV_LZ);
                rotate_queue(&mut m.lz_q, j)
            };
            m.prev = PREV_LZ;
            let len = self.decode_length(bits)?;
            let offset = offset as usize;
            if offset > pos {
                return Err(DecompressError::OffsetTooFar);
            }
            if len > n - pos {
                return Err(DecompressError::LengthTooLong);
            }
            copy_match(out, pos, offset, len);
            Ok(pos + len)
        } else {
            // Rare: out of line, with the readers passed by value so that their
            // addresses never escape the item loop (which keeps them in registers).
            let (r, b, res) = self.decode_delta(*rd, *bits, out, pos, m);
            *rd = r;
            *bits = b;
            res
        }
    }

    /// Decodes one delta match (after the decisions said "delta match") at `pos`.
    #[inline(never)]
    fn decode_delta<'a>(
        &mut self,
        mut rd: RangeDecoder<'a>,
        mut bits: BackReader<'a>,
        out: &mut [u8],
        pos: usize,
        m: &mut MatchState,
    ) -> (
        RangeDecoder<'a>,
        BackReader<'a>,
        Result<usize, DecompressError>,
    ) {
        let res = self.decode_delta_inner(&mut rd, &mut bits, out, pos, m);
        (rd, bits, res)
    }

    #[inline(always)]
    fn decode_delta_inner(
        &mut self,
        rd: &mut RangeDecoder<'_>,
        bits: &mut BackReader<'_>,
        out: &mut [u8],
        pos: usize,
        m: &mut MatchState,
    ) -> Result<usize, DecompressError> {
        let n = out.len();
        let (power, raw) = if rd.decode_class(&mut self.delta_probs, &mut m.st.delta) == 0 {
            let power = self.codes.delta_power.decode(bits) as u32;
            let slot = self.codes.delta_offset.decode(bits);
            let (Some(&base), Some(&extra)) = (OFFSET_BASE.get(slot), OFFSET_EXTRA.get(slot))
            else {
                return Err(DecompressError::InvalidSymbol);
            };
            let pair = (power, base + bits.read_bits(u32::from(extra)));
            m.delta_q = [pair, m.delta_q[0], m.delta_q[1], m.delta_q[2]];
            pair
        } else {
            let mut k = rd.decode_class(&mut self.delta_rep_probs[0], &mut m.st.delta_rep[0]);
            if k != 0 {
                k += rd.decode_class(&mut self.delta_rep_probs[1], &mut m.st.delta_rep[1]);
            }
            let j = k as usize + usize::from(m.prev == PREV_DELTA);
            rotate_queue(&mut m.delta_q, j)
        };
        m.prev = PREV_DELTA;
        let len = self.decode_length(bits)?;
        let span = 1usize << (power & 7);
        let offset = u64::from(raw) << (power & 7);
        if offset > u64::from(u32::MAX) {
            return Err(DecompressError::OffsetTooFar);
        }
        let offset = offset as usize;
        if offset + span > pos {
            return Err(DecompressError::OffsetTooFar);
        }
        if len > n - pos {
            return Err(DecompressError::LengthTooLong);
        }
        copy_delta(out, pos, offset, span, len);
        Ok(pos + len)
    }

    #[inline(always)]
    fn decode_length(&mut self, bits: &mut BackReader<'_>) -> Result<usize, DecompressError> {
        let slot = self.codes.length.decode(bits);
        let (Some(&base), Some(&extra)) = (LEN_BASE.get(slot), LEN_EXTRA.get(slot)) else {
            return Err(DecompressError::InvalidSymbol);
        };
        Ok(base as usize + bits.read_bits(u32::from(extra)) as usize)
    }
}

/// Takes entry `j` (0..=3) of a repeat queue, moves entries `0..j` up by one and puts the
/// taken entry in front (§4.8, compact form); returns it. Branch-free selects.
#[inline(always)]
fn rotate_queue<T: Copy>(q: &mut [T; 4], j: usize) -> T {
    let [a, b, c, d] = *q;
    let v = match j {
        0 => a,
        1 => b,
        2 => c,
        _ => d,
    };
    *q = [
        v,
        if j >= 1 { a } else { b },
        if j >= 2 { b } else { c },
        if j >= 3 { c } else { d },
    ];
    v
}

const PREV_LITERAL: u8 = 0;
const PREV_LZ: u8 = 1;
const PREV_DELTA: u8 = 2;

/// Repeat queues and decision states of one chunk.
///
/// The queues use the compact form of §4.8's delayed insertion: a match stores its value
/// in slot 0 at once, and while the previous item was a match of the same kind, repeat
/// index `k` reads slot `k + 1` (slot 0 then holds the logically still-pending value).
/// Four slots suffice: the logical overflow entry is only needed after an item of the
/// other kind, when slot 0 is no longer pending.
#[derive(Debug)]
struct MatchState {
    st: States,
    lz_q: [u32; 4],
    delta_q: [(u32, u32); 4],
    prev: u8,
}

impl MatchState {
    fn new() -> Self {
        MatchState {
            st: States::default(),
            lz_q: [1, 2, 3, 4],
            delta_q: [(0, 1), (0, 2), (0, 3), (0, 4)],
            prev: PREV_LITERAL,
        }
    }
}

/// Copies an LZ match of `len` bytes from `offset` bytes back (1 ≤ offset ≤ pos,
/// pos + len ≤ out.len()), with the byte-wise semantics of §1.5.
#[inline(always)]
fn copy_match(out: &mut [u8], pos: usize, offset: usize, len: usize) {
    let src = pos - offset;
    let end = pos + len;
    if offset >= 8 && end + 8 <= out.len() {
        // 8 bytes at a time; may write up to 7 bytes past `end`, which later items
        // overwrite (every position below out.len() is written before success).
        let mut s = src;
        let mut d = pos;
        while d < end {
            let mut w = [0u8; 8];
            if let Some(b) = out.get(s..s + 8) {
                w.copy_from_slice(b);
            }
            if let Some(b) = out.get_mut(d..d + 8) {
                b.copy_from_slice(&w);
            }
            s += 8;
            d += 8;
        }
    } else if offset == 1 {
        let v = out.get(pos - 1).copied().unwrap_or(0);
        if let Some(b) = out.get_mut(pos..end) {
            b.fill(v);
        }
    } else if offset >= len {
        out.copy_within(src..src + len, pos);
    } else {
        for d in pos..end {
            let v = out.get(d - offset).copied().unwrap_or(0);
            if let Some(b) = out.get_mut(d) {
                *b = v;
            }
        }
    }
}

/// Applies a delta match (§4.9); `offset + span ≤ pos`, `pos + len ≤ out.len()`.
#[inline(never)]
fn copy_delta(out: &mut [u8], pos: usize, offset: usize, span: usize, len: usize) {
    for d in pos..pos + len {
        let a = out.get(d - offset).copied().unwrap_or(0);
        let b = out.get(d - span).copied().unwrap_or(0);
        let c = out.get(d - offset - span).copied().unwrap_or(0);
        if let Some(o) = out.get_mut(d) {
            *o = a.wrapping_add(b).wrapping_sub(c);
        }
    }
}
