//! Bit writers over 16-bit little-endian units, MSB-first within a unit (codecs.md §1.2).
//!
//! [`BitWriter`] is the plain forward writer used by LZX. [`XpressWriter`] is the XPRESS
//! variant that interleaves raw bytes with the unit stream using two reserved unit slots
//! (codecs.md §2.5).
//!
//! Both write into a caller-provided slice and never panic: when the output does not fit,
//! they set an overflow flag and [`BitWriter::finish`] / [`XpressWriter::finish`] return
//! `None` ("did not shrink").

/// A forward writer of 16-bit LE units, MSB-first.
#[derive(Debug)]
pub(crate) struct BitWriter<'a> {
    out: &'a mut [u8],
    pos: usize,
    /// Pending bits in the low `n` bits.
    acc: u64,
    n: u32,
    overflow: bool,
}

impl<'a> BitWriter<'a> {
    /// A writer whose first unit goes to byte 0 of `out`.
    pub(crate) fn new(out: &'a mut [u8]) -> Self {
        BitWriter {
            out,
            pos: 0,
            acc: 0,
            n: 0,
            overflow: false,
        }
    }

    /// Appends the low `count` bits of `value` (`count <= 32`), most significant first.
    #[inline(always)]
    pub(crate) fn put(&mut self, value: u32, count: u32) {
        debug_assert!(count <= 32);
        debug_assert!(count == 32 || value >> count == 0);
        self.acc = (self.acc << count) | u64::from(value);
        self.n += count;
        if self.n >= 16 {
            self.flush_units();
        }
    }

    #[inline(always)]
    fn flush_units(&mut self) {
        while self.n >= 16 {
            self.n -= 16;
            let unit = (self.acc >> self.n) as u16;
            self.put_unit(unit);
        }
    }

    #[inline(always)]
    fn put_unit(&mut self, unit: u16) {
        if let Some(d) = self.out.get_mut(self.pos..self.pos + 2) {
            d.copy_from_slice(&unit.to_le_bytes());
            self.pos += 2;
        } else {
            self.overflow = true;
        }
    }

    /// Pads the current partial unit with zero bits (nothing if already aligned).
    pub(crate) fn align(&mut self) {
        if self.n > 0 {
            let pad = 16 - self.n;
            self.put(0, pad);
        }
    }

    /// Pads the last unit with zeros; the total length, or `None` on overflow.
    pub(crate) fn finish(mut self) -> Option<usize> {
        self.align();
        (!self.overflow).then_some(self.pos)
    }
}

/// The XPRESS writer: units go to reserved slots while raw bytes are appended after them
/// (codecs.md §2.5, "encoder view").
#[derive(Debug)]
// The XPRESS encoder writes through its own fixed-buffer writer (xpress::compress::Out);
// this one stays as the reference model of §2.5 that its tests compare against.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct XpressWriter<'a> {
    out: &'a mut [u8],
    slot_a: usize,
    slot_b: usize,
    raw_pos: usize,
    acc: u64,
    n: u32,
    overflow: bool,
}

#[cfg_attr(not(test), allow(dead_code))]
impl<'a> XpressWriter<'a> {
    /// A writer whose stream starts at byte `start` of `out`.
    pub(crate) fn new(out: &'a mut [u8], start: usize) -> Self {
        let mut w = XpressWriter {
            out,
            slot_a: start,
            slot_b: start + 2,
            raw_pos: start + 4,
            acc: 0,
            n: 0,
            overflow: false,
        };
        w.zero(start, 4);
        w
    }

    fn zero(&mut self, at: usize, len: usize) {
        if let Some(d) = self.out.get_mut(at..at + len) {
            d.fill(0);
        } else {
            self.overflow = true;
        }
    }

    fn write_unit(&mut self, at: usize, unit: u16) {
        if let Some(d) = self.out.get_mut(at..at + 2) {
            d.copy_from_slice(&unit.to_le_bytes());
        } else {
            self.overflow = true;
        }
    }

    /// Appends the low `count` bits of `value` (`count <= 16`), most significant first.
    #[inline(always)]
    pub(crate) fn put(&mut self, value: u32, count: u32) {
        debug_assert!(count <= 16);
        self.acc = (self.acc << count) | u64::from(value);
        self.n += count;
        if self.n > 16 {
            self.n -= 16;
            let unit = (self.acc >> self.n) as u16;
            self.write_unit(self.slot_a, unit);
            self.slot_a = self.slot_b;
            self.slot_b = self.raw_pos;
            let p = self.raw_pos;
            self.zero(p, 2);
            self.raw_pos += 2;
        }
    }

    /// Appends one raw byte at the raw position.
    #[inline(always)]
    pub(crate) fn put_raw_u8(&mut self, b: u8) {
        if let Some(d) = self.out.get_mut(self.raw_pos) {
            *d = b;
            self.raw_pos += 1;
        } else {
            self.overflow = true;
        }
    }

    /// Appends a raw little-endian u16 at the raw position.
    pub(crate) fn put_raw_u16(&mut self, v: u16) {
        let [a, b] = v.to_le_bytes();
        self.put_raw_u8(a);
        self.put_raw_u8(b);
    }

    /// Flushes the last partial unit (zero padded) and returns the total length (from byte 0
    /// of the output), or `None` on overflow.
    pub(crate) fn finish(mut self) -> Option<usize> {
        let unit = ((self.acc << (16 - self.n)) & 0xFFFF) as u16;
        self.write_unit(self.slot_a, unit);
        (!self.overflow).then_some(self.raw_pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msb_first_units() {
        let mut buf = [0u8; 8];
        let mut w = BitWriter::new(&mut buf);
        w.put(0b101, 3);
        w.put(0x1FFF, 13);
        w.put(1, 1);
        let n = w.finish().unwrap();
        assert_eq!(n, 4);
        assert_eq!(&buf[..4], &[0xFF, 0xBF, 0x00, 0x80]);
    }

    #[test]
    fn overflow_is_reported() {
        let mut buf = [0u8; 2];
        let mut w = BitWriter::new(&mut buf);
        w.put(0xFFFF, 16);
        w.put(1, 1);
        assert_eq!(w.finish(), None);
    }

    #[test]
    fn xpress_example_a_layout() {
        // codecs.md §2.8 example A: a=00 b=110 c=111 a=00 287=10 raw 0x08, offset bit 1, 256=01.
        let mut buf = [0u8; 16];
        let mut w = XpressWriter::new(&mut buf, 0);
        w.put(0b00, 2);
        w.put(0b110, 3);
        w.put(0b111, 3);
        w.put(0b00, 2);
        w.put(0b10, 2);
        w.put_raw_u8(8);
        w.put(1, 1);
        w.put(0b01, 2);
        let n = w.finish().unwrap();
        assert_eq!(&buf[..n], &[0x2a, 0x37, 0, 0, 8]);
    }
}
