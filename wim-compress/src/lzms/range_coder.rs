//! LZMS range decoder and adaptive binary model (`codecs.md` §4.3, §4.4).
//!
//! The range decoder reads 16-bit little-endian units forwards from the start of the
//! chunk. Units past the end of the input read as zero; the number of units loaded is
//! tracked so the caller can verify at the end that the forward and backward streams did
//! not overlap (a read past the end always fails that check).

/// One adaptive probability entry: the last 64 bits coded with it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prob {
    /// Bit history, newest bit in bit 0.
    hist: u64,
    /// Number of zero bits in `hist` (0..=64).
    zeros: u32,
    /// `zeros` clamped to 1..=63: the probability used for the next bit, computed at
    /// update time so that the clamp is off the decoder's critical path.
    p: u32,
}

impl Prob {
    /// The initial state of every entry (§4.4): 48 zeros among the last 64 bits.
    pub(crate) const INIT: Prob = Prob {
        hist: 0x0000_0000_5555_5555,
        zeros: 48,
        p: 48,
    };
}

/// Initialises every entry of `probs`.
pub(crate) fn reset_probs(probs: &mut [Prob]) {
    probs.fill(Prob::INIT);
}

/// Range decoder state over the forward stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RangeDecoder<'a> {
    src: &'a [u8],
    range: u32,
    code: u32,
    /// Byte position of the next unit to load (may exceed `src.len()`: those units read 0).
    next: usize,
}

impl<'a> RangeDecoder<'a> {
    /// Initialises the decoder from the first two units of `src`.
    pub(crate) fn new(src: &'a [u8]) -> Self {
        let mut rd = RangeDecoder {
            src,
            range: 0xFFFF_FFFF,
            code: 0,
            next: 0,
        };
        let hi = rd.load_unit();
        let lo = rd.load_unit();
        rd.code = (hi << 16) | lo;
        rd
    }

    #[inline(always)]
    fn load_unit(&mut self) -> u32 {
        let p = self.next;
        // `next` grows by 2 per normalisation, at most once per decoded bit: no overflow.
        self.next = p + 2;
        match self.src.get(p..p + 2) {
            Some(&[a, b]) => u32::from(u16::from_le_bytes([a, b])),
            _ => 0,
        }
    }

    /// True if `code < range`, which every valid stream satisfies after initialisation.
    pub(crate) fn valid_start(&self) -> bool {
        self.code < self.range
    }

    /// Decodes one bit with `prob`, then updates `prob`.
    #[inline(always)]
    pub(crate) fn decode_bit(&mut self, prob: &mut Prob) -> u32 {
        if self.range <= 0xFFFF {
            self.range <<= 16;
            self.code = (self.code << 16) | self.load_unit();
        }
        let bound = (self.range >> 6) * prob.p;
        // Branch-free select: the caller branches on the bit anyway.
        let bit = u32::from(self.code >= bound);
        let mask = 0u32.wrapping_sub(bit);
        self.code -= bound & mask;
        self.range = (bound & !mask) | (self.range.wrapping_sub(bound) & mask);
        let oldest = (prob.hist >> 63) as u32;
        let zeros = prob.zeros + oldest - bit;
        prob.zeros = zeros;
        prob.p = zeros.clamp(1, 63);
        prob.hist = (prob.hist << 1) | u64::from(bit);
        bit
    }

    /// Decodes one bit of a decision class: `probs[*state]`, then advances `*state`.
    /// `probs.len()` must be a power of two.
    #[inline(always)]
    pub(crate) fn decode_class(&mut self, probs: &mut [Prob], state: &mut usize) -> u32 {
        let mask = probs.len() - 1;
        let s = *state & mask;
        let bit = match probs.get_mut(s) {
            Some(p) => self.decode_bit(p),
            None => 0, // unreachable: `s <= mask < len`
        };
        *state = ((s << 1) | bit as usize) & mask;
        bit
    }

    /// Performs the final normalisation and reports whether the stream ended cleanly
    /// (`code == 0`, §4.2).
    pub(crate) fn finish(&mut self) -> bool {
        if self.range <= 0xFFFF {
            self.range <<= 16;
            self.code = (self.code << 16) | self.load_unit();
        }
        self.code == 0
    }

    /// Number of bytes of the input consumed by the forward stream (including units read
    /// past its end, which read as zero).
    pub(crate) fn bytes_consumed(&self) -> usize {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prob_update_counts_zeros() {
        let mut p = Prob::INIT;
        // Shifting in 64 ones drives the zero count to 0, the clamp keeps p >= 1.
        let mut rd = RangeDecoder::new(&[0xFF; 256]);
        for _ in 0..64 {
            let oldest = (p.hist >> 63) as u32;
            let before = p.zeros;
            let _ = rd.decode_bit(&mut p);
            assert!(p.zeros <= 64);
            assert_eq!(p.zeros, 64 - p.hist.count_ones());
            let _ = (oldest, before);
        }
    }

    #[test]
    fn zero_stream_decodes_zeros() {
        let mut rd = RangeDecoder::new(&[0; 16]);
        assert!(rd.valid_start());
        let mut p = Prob::INIT;
        for _ in 0..100 {
            assert_eq!(rd.decode_bit(&mut p), 0);
        }
        assert_eq!(p.zeros, 64);
    }
}
