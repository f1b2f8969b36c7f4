//! Hash chains that report every progressively longer match (a cheap match source for the
//! near-optimal LZX parser on chunks of at most 64 KiB): the layout of
//! [`crate::matchfinder::hc16`] (16-bit positions, fixed tables, a zero-padded copy of
//! the buffer, a single-entry 3-byte table beside the 4-byte chains).
//!
//! Position 0 is never a match source. Every reported match has
//! `3 <= len <= min(max_len, n - pos)` and `1 <= offset <= min(pos, max_offset)`, and the
//! lengths of one report strictly increase.

use crate::matchfinder::Match;

/// Largest buffer.
pub(super) const HCM_MAX: usize = 1 << 16;
const BUF: usize = (2 << 16) + 8;
const IDX: usize = (2 << 16) - 1;
const B4: u32 = 16;
const B3: u32 = 14;
const MUL: u32 = 0x1E35_A7BD;

fn boxed<T: Copy, const N: usize>(v: T) -> Box<[T; N]> {
    match vec![v; N].into_boxed_slice().try_into() {
        Ok(b) => b,
        Err(_) => Box::new([v; N]),
    }
}

/// The finder; see the module documentation.
#[derive(Debug, Clone)]
pub(super) struct Hcm {
    buf: Box<[u8; BUF]>,
    head3: Box<[u16; 1 << B3]>,
    head4: Box<[u16; 1 << B4]>,
    prev: Box<[u16; HCM_MAX]>,
    shift4: u32,
    used4: usize,
    shift3: u32,
    used3: usize,
    len: usize,
}

#[inline(always)]
fn ld32(buf: &[u8; BUF], i: usize) -> u32 {
    let i = i & IDX;
    u32::from_le_bytes([buf[i], buf[i + 1], buf[i + 2], buf[i + 3]])
}

#[inline(always)]
fn ld64(buf: &[u8; BUF], i: usize) -> u64 {
    let i = i & IDX;
    let mut a = [0u8; 8];
    a.copy_from_slice(&buf[i..i + 8]);
    u64::from_le_bytes(a)
}

/// Common prefix length of positions `a < b`, from `start`, at most `limit`.
#[inline(always)]
fn extend(buf: &[u8; BUF], a: usize, b: usize, start: usize, limit: usize) -> usize {
    let mut len = start;
    loop {
        let x = ld64(buf, a + len) ^ ld64(buf, b + len);
        if x != 0 {
            len += (x.trailing_zeros() / 8) as usize;
            break;
        }
        len += 8;
        if len >= limit {
            break;
        }
    }
    len.min(limit)
}

impl Hcm {
    /// A finder for buffers of up to `capacity` (≤ 64 KiB) bytes.
    pub(super) fn new(capacity: usize) -> Self {
        let order = usize::BITS - capacity.clamp(1, HCM_MAX).leading_zeros();
        let bits = order.saturating_sub(1).clamp(10, B4);
        let bits3 = order.saturating_sub(2).clamp(10, B3);
        Hcm {
            buf: boxed(0),
            head3: boxed(0),
            head4: boxed(0),
            prev: boxed(0),
            shift4: 32 - bits,
            used4: 1 << bits,
            shift3: 32 - bits3,
            used3: 1 << bits3,
            len: 0,
        }
    }

    /// Bytes of memory.
    pub(super) fn memory() -> usize {
        BUF + (2 << B3) + (2 << B4) + 2 * HCM_MAX
    }

    /// Starts a new buffer (`data.len() <= 64 KiB`, else it is truncated).
    pub(super) fn load(&mut self, data: &[u8]) {
        let n = data.len().min(HCM_MAX);
        self.len = n;
        self.buf[..n].copy_from_slice(&data[..n]);
        self.buf[n..n + 16].fill(0);
        let used3 = self.used3.min(1 << B3);
        self.head3[..used3].fill(0);
        let used = self.used4.min(1 << B4);
        self.head4[..used].fill(0);
    }

    #[inline(always)]
    fn hashes(&self, v: u32) -> (usize, usize) {
        let h3 = ((v << 8).wrapping_mul(MUL) >> self.shift3) as usize & ((1 << B3) - 1);
        let h4 = (v.wrapping_mul(MUL) >> self.shift4) as usize & ((1 << B4) - 1);
        (h3, h4)
    }

    /// Inserts `pos` without searching (nothing for the last 3 positions).
    #[inline(always)]
    pub(super) fn skip(&mut self, pos: usize) {
        if pos + 4 > self.len {
            return;
        }
        let v = ld32(&self.buf, pos);
        let (h3, h4) = self.hashes(v);
        let p = pos as u16;
        self.head3[h3] = p;
        self.prev[usize::from(p)] = self.head4[h4];
        self.head4[h4] = p;
    }

    /// Inserts `pos` and appends its progressively longer matches to `out` (walking at most
    /// `depth` chain links, stopping at `nice` bytes); returns the longest length (0 if none).
    #[inline(always)]
    pub(super) fn find(
        &mut self,
        pos: usize,
        depth: u32,
        nice: usize,
        max_len: usize,
        max_offset: usize,
        out: &mut Vec<Match>,
    ) -> usize {
        if pos + 4 > self.len {
            return 0;
        }
        let limit = (self.len - pos).min(max_len);
        let nice = nice.min(limit);
        let lowest = pos.saturating_sub(max_offset);
        let buf = &*self.buf;
        let v = ld32(buf, pos);
        let (h3, h4) = self.hashes(v);
        let p = pos as u16;
        let c3 = self.head3[h3];
        self.head3[h3] = p;
        let mut cur = self.head4[h4];
        self.prev[usize::from(p)] = cur;
        self.head4[h4] = p;

        let mut best = 2usize;
        let c = usize::from(c3);
        if c3 != 0 && c >= lowest && (ld32(buf, c) ^ v) & 0xFF_FFFF == 0 {
            best = extend(buf, c, pos, 3, limit);
            out.push(Match {
                len: best as u32,
                offset: (pos - c) as u32,
            });
            if best >= nice {
                return best;
            }
        }
        let prev = &*self.prev;
        let mut toff = best.max(3) - 3;
        let mut tail = ld32(buf, pos + toff);
        let mut depth = depth;
        while cur != 0 {
            let c = usize::from(cur);
            if c < lowest {
                break;
            }
            if ld32(buf, c + toff) == tail && ld32(buf, c) == v {
                let len = extend(buf, c, pos, 4, limit);
                if len > best {
                    best = len;
                    out.push(Match {
                        len: len as u32,
                        offset: (pos - c) as u32,
                    });
                    if len >= nice {
                        break;
                    }
                    toff = best - 3;
                    tail = ld32(buf, pos + toff);
                }
            }
            depth -= 1;
            if depth == 0 {
                break;
            }
            cur = prev[c];
        }
        if best < 3 { 0 } else { best }
    }
}
