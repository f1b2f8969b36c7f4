//! Bit readers over 16-bit little-endian units (MSB-first within a unit), codecs.md §1.2.
//!
//! [`BitReader`] keeps a 64-bit, MSB-aligned bit buffer. `cnt` counts the *whole units* that
//! are buffered and not yet consumed; bits below `cnt` may hold copies of the following
//! stream bits ("leaked" by the 8-byte refill), which is harmless because a later refill ORs
//! the same values into the same places.
//!
//! End of input: missing units read as zero (look-ahead is normal at the end of a stream).
//! Whether *consumed* bits lay beyond the input is checked once, at the end of a chunk, with
//! [`BitReader::overran`]: `pos` keeps counting past the end, so `8·pos − cnt` is the exact
//! number of bits consumed.
//!
//! After [`BitReader::refill`] at least 49 bits are buffered (`cnt >= 49`), whatever the
//! input. Callers rely on this to consume several fields per refill without checks.

pub(crate) mod copy;
pub(crate) mod writer;

/// Minimum number of buffered bits after [`BitReader::refill`].
pub(crate) const REFILL_MIN: u32 = 49;

/// Reorders four little-endian 16-bit units read as one little-endian u64 into stream order
/// (first unit in the top 16 bits).
#[inline(always)]
fn units_to_stream(x: u64) -> u64 {
    let y = x.rotate_left(32);
    ((y & 0x0000_FFFF_0000_FFFF) << 16) | ((y >> 16) & 0x0000_FFFF_0000_FFFF)
}

/// The end-of-input refill: loads one unit at a time, zeros past the end.
#[cold]
#[inline(never)]
fn refill_slow(src: &[u8], mut pos: usize, mut buf: u64, mut cnt: u32) -> (usize, u64, u32) {
    while cnt <= 48 {
        let lo = src.get(pos).copied().unwrap_or(0);
        let hi = src.get(pos.wrapping_add(1)).copied().unwrap_or(0);
        let unit = u16::from_le_bytes([lo, hi]) as u64;
        // Clear the slot first: it may hold leaked bits only when real bytes follow,
        // and those equal `unit`; clearing keeps zero-filled units exact.
        let shift = 48 - cnt;
        buf = (buf & !(0xFFFF << shift)) | (unit << shift);
        cnt += 16;
        pos = pos.saturating_add(2);
    }
    (pos, buf, cnt)
}

/// A forward reader of 16-bit LE units with zero-filled look-ahead.
///
/// `Copy` so that hot loops can work on a local copy (kept in registers) and store it
/// back once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BitReader<'a> {
    src: &'a [u8],
    /// Next byte to load (may exceed `src.len()` once virtual zero units were loaded).
    pos: usize,
    /// Buffered bits, MSB-aligned.
    buf: u64,
    /// Number of valid (whole-unit) buffered bits.
    cnt: u32,
}

impl<'a> BitReader<'a> {
    /// A reader whose first unit starts at byte `start` of `src`.
    pub(crate) fn new(src: &'a [u8], start: usize) -> Self {
        BitReader {
            src,
            pos: start,
            buf: 0,
            cnt: 0,
        }
    }

    /// Restarts the bitstream empty at byte `pos` (LZX after an uncompressed block).
    pub(crate) fn restart_at(&mut self, pos: usize) {
        self.pos = pos;
        self.buf = 0;
        self.cnt = 0;
    }

    /// Number of buffered bits.
    #[inline(always)]
    pub(crate) fn available(&self) -> u32 {
        self.cnt
    }

    /// Tops the buffer up to at least [`REFILL_MIN`] bits.
    ///
    /// Branch-free while 8 input bytes remain: whether the buffer was nearly full or
    /// nearly empty is data-dependent and would be mispredicted often. With `cnt ≥ 49`
    /// no whole unit fits, so only leaked (identical) bits are ORed in.
    #[inline(always)]
    pub(crate) fn refill(&mut self) {
        if let Some(bytes) = self.src.get(self.pos..).and_then(|s| s.first_chunk::<8>()) {
            let w = units_to_stream(u64::from_le_bytes(*bytes));
            // cnt ≤ 64; a full buffer takes nothing (cmov, not a branch).
            self.buf |= w.checked_shr(self.cnt).unwrap_or(0);
            let units = (64 - self.cnt) >> 4;
            self.cnt += units << 4;
            self.pos += (units as usize) << 1;
        } else if self.cnt < REFILL_MIN {
            (self.pos, self.buf, self.cnt) = refill_slow(self.src, self.pos, self.buf, self.cnt);
        }
    }

    /// The next `n` bits (1 ≤ n ≤ 32) without consuming them.
    #[inline(always)]
    pub(crate) fn peek(&self, n: u32) -> u32 {
        (self.buf >> (64 - n)) as u32
    }

    /// Consumes `n` bits (`n <= available()`).
    #[inline(always)]
    pub(crate) fn consume(&mut self, n: u32) {
        self.buf <<= n;
        self.cnt -= n;
    }

    /// Reads an `n`-bit field (0 ≤ n ≤ 32, `n <= available()`).
    #[inline(always)]
    pub(crate) fn bits(&mut self, n: u32) -> u32 {
        let v = ((self.buf >> 1) >> (63 - n)) as u32;
        self.consume(n);
        v
    }

    /// Whether consumed bits extend beyond the end of the input.
    pub(crate) fn overran(&self) -> bool {
        let consumed = (self.pos as u128) * 8 - u128::from(self.cnt);
        consumed > (self.src.len() as u128) * 8
    }

    /// Number of bits consumed since byte 0 of the input (LZX realignment, §3.9).
    pub(crate) fn consumed_bits(&self) -> usize {
        self.pos * 8 - self.cnt as usize
    }

    /// XPRESS raw-byte rule (codecs.md §2.5): drops buffered units beyond the
    /// `ceil(W/16) + 1` units the format says are loaded at this point, and moves the byte
    /// position to where the raw bytes start. Requires `available() >= 16`.
    #[inline]
    pub(crate) fn xpress_align_for_raw(&mut self) {
        // cnt ≡ −W (mod 16); required unconsumed bits = 16 + cnt mod 16.
        let keep = 16 + (self.cnt & 15);
        let excess_units = (self.cnt - keep) >> 4;
        self.pos -= (excess_units as usize) << 1;
        self.cnt = keep;
        self.buf &= !(u64::MAX >> keep);
    }

    /// Reads one raw byte at the byte position (after [`Self::xpress_align_for_raw`]).
    #[inline]
    pub(crate) fn raw_u8(&mut self) -> Option<u8> {
        let b = self.src.get(self.pos).copied()?;
        self.pos += 1;
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_units_msb_first() {
        // units 0x372A, 0x0000 (codecs.md §2.8 example A)
        let src = [0x2a, 0x37, 0x00, 0x00, 0x08];
        let mut r = BitReader::new(&src, 0);
        r.refill();
        assert_eq!(r.bits(2), 0b00);
        assert_eq!(r.bits(3), 0b110);
        assert_eq!(r.bits(3), 0b111);
        assert_eq!(r.bits(0), 0);
        assert_eq!(r.bits(8), 0x2a);
        assert!(!r.overran());
    }

    #[test]
    fn fast_and_slow_refill_agree() {
        let src: Vec<u8> = (0..40u32).map(|i| (i * 37 + 11) as u8).collect();
        let mut fast = BitReader::new(&src, 0);
        let mut slow_bits = Vec::new();
        // reference: explicit unit decoding
        for u in src.chunks(2) {
            let v = u16::from_le_bytes([u[0], *u.get(1).unwrap_or(&0)]);
            for b in (0..16).rev() {
                slow_bits.push(((v >> b) & 1) as u32);
            }
        }
        let mut i = 0;
        let widths = [1u32, 7, 13, 17, 3, 16, 5, 9, 11, 2];
        let mut k = 0;
        while i + 17 < slow_bits.len() {
            fast.refill();
            let n = widths[k % widths.len()];
            k += 1;
            let got = fast.bits(n);
            let want = slow_bits[i..i + n as usize]
                .iter()
                .fold(0u32, |a, &b| (a << 1) | b);
            assert_eq!(got, want, "at bit {i}, width {n}");
            i += n as usize;
        }
        assert!(!fast.overran());
        // Past the end: zeros, and overran() reports it once consumed.
        for _ in 0..10 {
            fast.refill();
            fast.bits(16);
        }
        assert!(fast.overran());
    }
}
