//! LZMS backward bitstream (`codecs.md` §4.5).
//!
//! 16-bit little-endian units are read from the end of the chunk towards its start, bits
//! MSB-first within each unit. The reader keeps a 64-bit buffer whose *top* `count` bits are
//! the next bits of the stream; the bits below them are either zero or the correct bits that
//! follow (a refill may load part of a unit it does not yet count), so OR-ing a later refill
//! over them is harmless.
//!
//! Refilling loads the 8 bytes ending at the current position as one little-endian `u64`:
//! the unit at the highest address lands in the top 16 bits, exactly the order of the
//! stream. Near the start of the buffer units are loaded one at a time, and units before
//! byte 0 read as zero; they are counted so the caller can reject a chunk whose consumed
//! bits lie outside the input.

#[cold]
#[inline(never)]
fn refill_slow_parts(
    src: &[u8],
    mut buf: u64,
    mut count: u32,
    mut pos: usize,
    mut phantom: usize,
) -> (u64, u32, usize, usize) {
    while count <= 48 {
        let unit = if pos >= 2 {
            pos -= 2;
            match src.get(pos..pos + 2) {
                Some(&[a, b]) => u64::from(u16::from_le_bytes([a, b])),
                _ => 0,
            }
        } else {
            phantom = phantom.saturating_add(1);
            0
        };
        buf |= unit << (48 - count);
        count += 16;
    }
    (buf, count, pos, phantom)
}

/// Reader of the backward bitstream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BackReader<'a> {
    src: &'a [u8],
    /// Next bits, left-aligned.
    buf: u64,
    /// Number of valid bits at the top of `buf`.
    count: u32,
    /// Byte position just past the next unit to load (units are loaded at `pos-2..pos`).
    pos: usize,
    /// Number of zero units loaded from before byte 0.
    phantom: usize,
}

impl<'a> BackReader<'a> {
    /// Starts reading at the end of `src` (whose length must be even).
    pub(crate) fn new(src: &'a [u8]) -> Self {
        BackReader {
            src,
            buf: 0,
            count: 0,
            pos: src.len() & !1,
            phantom: 0,
        }
    }

    /// Tops the buffer up to at least 49 valid bits.
    #[inline(always)]
    pub(crate) fn refill(&mut self) {
        if self.pos >= 8
            && let Some(b) = self.src.get(self.pos - 8..self.pos)
        {
            {
                let mut w = [0u8; 8];
                w.copy_from_slice(b);
                let w = u64::from_le_bytes(w);
                // `count <= 48` whenever a refill is requested with `need <= 49`.
                self.buf |= w >> self.count;
                let units = (64 - self.count) / 16;
                self.pos -= 2 * units as usize;
                self.count += 16 * units;
                return;
            }
        }
        self.refill_slow();
    }

    /// Near the start of the input: loads units one at a time, zeros before byte 0.
    ///
    /// Implemented as a by-value function of the reader's scalars so that the reader's
    /// address never escapes into a call: the hot loop then keeps it in registers.
    #[inline(always)]
    fn refill_slow(&mut self) {
        let (buf, count, pos, phantom) =
            refill_slow_parts(self.src, self.buf, self.count, self.pos, self.phantom);
        self.buf = buf;
        self.count = count;
        self.pos = pos;
        self.phantom = phantom;
    }

    /// Makes sure at least `n` (≤ 49) bits are buffered.
    #[inline(always)]
    pub(crate) fn ensure(&mut self, n: u32) {
        if self.count < n {
            self.refill();
        }
    }

    /// The buffered bits, left-aligned (the next bit is bit 63). Only the top `n` bits
    /// after `ensure(n)` are meaningful.
    #[inline(always)]
    pub(crate) fn peek_word(&self) -> u64 {
        self.buf
    }

    /// Drops `n` bits (≤ the buffered count).
    #[inline(always)]
    pub(crate) fn consume(&mut self, n: u32) {
        self.buf <<= n & 63;
        self.count = self.count.saturating_sub(n);
    }

    /// Reads `n` (0..=30) bits, MSB-first.
    #[inline(always)]
    pub(crate) fn read_bits(&mut self, n: u32) -> u32 {
        self.ensure(n);
        // Double shift so that n == 0 yields 0 without a 64-bit shift.
        let v = ((self.buf >> 1) >> (63 - n)) as u32;
        self.consume(n);
        v
    }

    /// Number of 16-bit units the reader has consumed (partially consumed units count),
    /// including units that lie before the start of the input.
    pub(crate) fn units_consumed(&self) -> usize {
        let loaded_bits = (self.src.len() & !1)
            .saturating_sub(self.pos)
            .saturating_mul(8)
            .saturating_add(self.phantom.saturating_mul(16));
        let used = loaded_bits.saturating_sub(self.count as usize);
        used.div_ceil(16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_units_backwards_msb_first() {
        // Units (from the end): 0x6865, 0x6c6c, 0x6f20 -> bytes 'h' 'e' 'l' 'l' 'o' ' '.
        let src = [0x20, 0x6f, 0x6c, 0x6c, 0x65, 0x68];
        let mut r = BackReader::new(&src);
        let mut out = Vec::new();
        for _ in 0..6 {
            out.push(r.read_bits(8) as u8);
        }
        assert_eq!(&out, b"hello ");
        assert_eq!(r.units_consumed(), 3);
        assert_eq!(r.read_bits(3), 0);
        assert_eq!(r.units_consumed(), 4);
    }

    #[test]
    fn fast_and_slow_refill_agree() {
        let src: Vec<u8> = (0..64u32).map(|i| (i * 37 + 11) as u8).collect();
        // Reference: bit list.
        let mut bits = Vec::new();
        for u in (0..32).rev() {
            let v = u16::from_le_bytes([src[2 * u], src[2 * u + 1]]);
            for b in (0..16).rev() {
                bits.push((v >> b) & 1);
            }
        }
        for step in 1..=30u32 {
            let mut r = BackReader::new(&src);
            let mut i = 0usize;
            while i + step as usize <= bits.len() {
                let v = r.read_bits(step);
                let mut want = 0u32;
                for k in 0..step as usize {
                    want = (want << 1) | u32::from(bits[i + k]);
                }
                assert_eq!(v, want, "step {step} at bit {i}");
                i += step as usize;
            }
        }
    }
}
