//! LZMS encoder output: the range encoder (forward stream), the adaptive probability
//! entries seen from the encoder, and the backward bitstream writer (`codecs.md` §4.2–§4.5).

/// One adaptive probability entry (§4.4), encoder copy: the last 64 bits coded with it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EncProb {
    hist: u64,
    zeros: u32,
}

impl EncProb {
    /// The initial state of every entry: 48 zeros among the last 64 bits.
    pub(crate) const INIT: EncProb = EncProb {
        hist: 0x0000_0000_5555_5555,
        zeros: 48,
    };

    /// Probability of a 0 bit in 64ths, clamped to 1..=63.
    #[inline(always)]
    pub(crate) fn p(&self) -> u32 {
        self.zeros.clamp(1, 63)
    }

    #[inline(always)]
    fn update(&mut self, bit: u32) {
        let oldest = (self.hist >> 63) as u32;
        self.zeros = self.zeros + oldest - bit;
        self.hist = (self.hist << 1) | u64::from(bit);
    }
}

/// The range encoder (§4.3), LZMA-style carry propagation with 16-bit units.
#[derive(Debug)]
pub(crate) struct RangeEncoder {
    low: u64,
    range: u32,
    cache: u16,
    pending: u64,
    drop_first: bool,
    /// The forward stream, as bytes.
    pub(crate) out: Vec<u8>,
}

impl RangeEncoder {
    pub(crate) fn new() -> Self {
        RangeEncoder {
            low: 0,
            range: 0xFFFF_FFFF,
            cache: 0,
            pending: 1,
            drop_first: true,
            out: Vec::new(),
        }
    }

    /// Starts a new chunk (keeps the output buffer's capacity).
    pub(crate) fn reset(&mut self) {
        self.low = 0;
        self.range = 0xFFFF_FFFF;
        self.cache = 0;
        self.pending = 1;
        self.drop_first = true;
        self.out.clear();
    }

    #[inline(always)]
    fn emit(&mut self, u: u16) {
        if self.drop_first {
            self.drop_first = false;
        } else {
            self.out.extend_from_slice(&u.to_le_bytes());
        }
    }

    #[inline]
    fn shift_low(&mut self) {
        if (self.low & 0xFFFF_FFFF) < 0xFFFF_0000 || self.low >= 1 << 32 {
            let carry = (self.low >> 32) as u16;
            let c = self.cache.wrapping_add(carry);
            self.emit(c);
            let fill = 0xFFFFu16.wrapping_add(carry);
            for _ in 1..self.pending {
                self.emit(fill);
            }
            self.pending = 0;
            self.cache = ((self.low >> 16) & 0xFFFF) as u16;
        }
        self.pending += 1;
        self.low = (self.low & 0xFFFF) << 16;
    }

    /// Codes `bit` with `prob`, then updates `prob`.
    #[inline(always)]
    pub(crate) fn encode_bit(&mut self, prob: &mut EncProb, bit: u32) {
        if self.range <= 0xFFFF {
            self.range <<= 16;
            self.shift_low();
        }
        let bound = (self.range >> 6) * prob.p();
        if bit == 0 {
            self.range = bound;
        } else {
            self.low += u64::from(bound);
            self.range -= bound;
        }
        prob.update(bit);
    }

    /// Codes one bit of a decision class: `probs[*state]`, then advances `*state`.
    #[inline(always)]
    pub(crate) fn encode_class(&mut self, probs: &mut [EncProb], state: &mut u8, bit: u32) {
        let mask = probs.len() - 1;
        let s = usize::from(*state) & mask;
        if let Some(p) = probs.get_mut(s) {
            self.encode_bit(p, bit);
        }
        *state = (((s << 1) | bit as usize) & mask) as u8;
    }

    /// Flushes the encoder (four shifts, §4.3).
    pub(crate) fn finish(&mut self) {
        for _ in 0..4 {
            self.shift_low();
        }
    }

    /// Bytes written so far (an under-estimate by at most the pending units).
    pub(crate) fn len(&self) -> usize {
        self.out.len() + 2 * self.pending as usize
    }
}

/// Writer of the backward bitstream (§4.5): units in production order; the caller stores
/// them in reverse at the end of the chunk.
#[derive(Debug)]
pub(crate) struct BackWriter {
    buf: u64,
    count: u32,
    /// Completed units, first produced first.
    pub(crate) units: Vec<u16>,
}

impl BackWriter {
    pub(crate) fn new() -> Self {
        BackWriter {
            buf: 0,
            count: 0,
            units: Vec::new(),
        }
    }

    pub(crate) fn reset(&mut self) {
        self.buf = 0;
        self.count = 0;
        self.units.clear();
    }

    /// Writes the low `n` bits of `v` (n ≤ 32), most significant first.
    #[inline(always)]
    pub(crate) fn write(&mut self, v: u32, n: u32) {
        self.buf = (self.buf << n) | u64::from(v);
        self.count += n;
        while self.count >= 16 {
            self.count -= 16;
            self.units.push((self.buf >> self.count) as u16);
        }
    }

    /// Pads the last partial unit with zeros.
    pub(crate) fn finish(&mut self) {
        if self.count > 0 {
            self.units.push((self.buf << (16 - self.count)) as u16);
            self.count = 0;
        }
    }

    /// Bytes written so far (rounded up).
    pub(crate) fn len(&self) -> usize {
        2 * self.units.len() + 2
    }
}
