//! The LZX encoder's bit writer: 16-bit little-endian units, most significant bit first
//! (codecs.md §1.2), like [`crate::bits::writer::BitWriter`], but a put takes up to 48 bits
//! (a whole match: main, length and offset symbols in two puts) and every flush stores
//! eight bytes at once without branching on how many whole units are pending, so the
//! per-symbol "is a unit full?" branch (mispredicted about once per 16 items) is gone.

/// Bits a single [`Out::put`] may append.
pub(super) const MAX_PUT: u32 = 48;

/// See the module documentation. Never panics: when the output does not fit, the overflow
/// flag is set and [`Out::finish`] returns `None`.
#[derive(Debug)]
pub(super) struct Out<'a> {
    out: &'a mut [u8],
    /// Bytes written (whole units).
    pos: usize,
    /// Pending bits in the top `n` bits (`n < 16` between puts), the rest zero.
    acc: u64,
    n: u32,
    overflow: bool,
}

impl<'a> Out<'a> {
    /// A writer whose first unit goes to byte 0 of `out`.
    pub(super) fn new(out: &'a mut [u8]) -> Self {
        Out {
            out,
            pos: 0,
            acc: 0,
            n: 0,
            overflow: false,
        }
    }

    /// Appends the low `count` bits of `value` (`count <= MAX_PUT`, higher bits zero),
    /// most significant first.
    #[inline(always)]
    pub(super) fn put(&mut self, value: u64, count: u32) {
        debug_assert!(count <= MAX_PUT);
        debug_assert!(count == 64 || value >> count == 0);
        // n < 16 and count <= 48: the new bits go right below the pending ones (a shift
        // of 64 only happens for count = n = 0, where `value` is 0 and wrapping is harmless).
        self.n += count;
        self.acc |= value.wrapping_shl(64 - self.n);
        self.flush();
    }

    /// Writes the whole pending units (up to three): the pending bits, top-aligned in
    /// `acc`, go out as four units in one 8-byte store; only the whole ones are kept (`pos`
    /// advances past them), the rest is overwritten by later stores.
    #[inline(always)]
    fn flush(&mut self) {
        let k = self.n / 16;
        let t = self.acc;
        // Units in stream order, each little endian: the 16-bit words of `t` reversed.
        let r = t.rotate_left(32);
        let units = ((r >> 16) & 0x0000_FFFF_0000_FFFF) | ((r & 0x0000_FFFF_0000_FFFF) << 16);
        if let Some(d) = self.out.get_mut(self.pos..self.pos + 8) {
            d.copy_from_slice(&units.to_le_bytes());
        } else {
            // Near the end of the buffer: only the whole units, one by one.
            for i in 0..k as usize {
                let unit = (t >> (48 - 16 * i)) as u16;
                match self.out.get_mut(self.pos + 2 * i..self.pos + 2 * i + 2) {
                    Some(d) => d.copy_from_slice(&unit.to_le_bytes()),
                    None => self.overflow = true,
                }
            }
        }
        self.pos += 2 * k as usize;
        // k <= 3: the shift stays below 64.
        self.acc = t << (16 * k);
        self.n -= 16 * k;
    }

    /// Pads the last unit with zero bits; the total length, or `None` on overflow.
    pub(super) fn finish(mut self) -> Option<usize> {
        let r = self.n % 16;
        if r > 0 {
            self.put(0, 16 - r);
        }
        (!self.overflow && self.pos <= self.out.len()).then_some(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bits::writer::BitWriter;

    /// A deterministic pseudo-random sequence.
    fn next(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    #[test]
    fn same_stream_as_bit_writer() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..50 {
            let puts: Vec<(u64, u32)> = (0..200 + round * 37)
                .map(|_| {
                    let c = (next(&mut x) % (u64::from(MAX_PUT) + 1)) as u32;
                    let v = if c == 0 { 0 } else { next(&mut x) >> (64 - c) };
                    (v, c)
                })
                .collect();
            let mut a = vec![0u8; 4096];
            let mut w = BitWriter::new(&mut a);
            for &(v, c) in &puts {
                // The reference takes at most 32 bits per put.
                if c > 32 {
                    w.put((v >> 32) as u32, c - 32);
                    w.put(v as u32, 32);
                } else {
                    w.put(v as u32, c);
                }
            }
            let la = w.finish();
            let mut b = vec![0u8; 4096];
            let mut o = Out::new(&mut b);
            for &(v, c) in &puts {
                o.put(v, c);
            }
            let lb = o.finish();
            assert_eq!(la, lb, "round {round}");
            let len = la.unwrap_or(0);
            assert_eq!(a[..len], b[..len], "round {round}");
        }
    }

    #[test]
    fn overflow_is_reported_and_exact_fits_are_not() {
        // 10 units of data into 20 bytes fits exactly (the tail is written unit by unit).
        let mut b = vec![0u8; 20];
        let mut o = Out::new(&mut b);
        for i in 0..10u64 {
            o.put(0x1234 + i, 16);
        }
        assert_eq!(o.finish(), Some(20));
        assert_eq!(&b[..4], &[0x34, 0x12, 0x35, 0x12]);
        let mut b = vec![0u8; 19];
        let mut o = Out::new(&mut b);
        for i in 0..10u64 {
            o.put(0x1234 + i, 16);
        }
        assert_eq!(o.finish(), None);
    }
}
