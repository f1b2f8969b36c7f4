//! The zero-padded private copy of the buffer shared by the 16-bit-position finders
//! ([`super::hc16`], [`super::bt16`]): room for any index below 2^17 plus one 8-byte load,
//! so every load is masked with [`IDX`] and needs no bounds check, and matches are
//! extended eight bytes at a time past the end of the data (the padding is zero).

/// Size of the buffer copy.
pub(crate) const BUF: usize = (2 << 16) + 8;
/// Index mask of the buffer copy (an index masked with it leaves room for an 8-byte load).
pub(crate) const IDX: usize = (2 << 16) - 1;

/// A boxed fixed-size array filled with `v`, built on the heap.
pub(crate) fn boxed<T: Copy, const N: usize>(v: T) -> Box<[T; N]> {
    match vec![v; N].into_boxed_slice().try_into() {
        Ok(b) => b,
        Err(_) => Box::new([v; N]),
    }
}

/// The little-endian u32 at `i` (masked).
#[inline(always)]
pub(crate) fn ld32(buf: &[u8; BUF], i: usize) -> u32 {
    let i = i & IDX;
    u32::from_le_bytes([buf[i], buf[i + 1], buf[i + 2], buf[i + 3]])
}

/// The little-endian u64 at `i` (masked).
#[inline(always)]
pub(crate) fn ld64(buf: &[u8; BUF], i: usize) -> u64 {
    let i = i & IDX;
    let mut a = [0u8; 8];
    a.copy_from_slice(&buf[i..i + 8]);
    u64::from_le_bytes(a)
}

/// Common prefix length of positions `a < b`, from `start`, at most `limit`.
#[inline(always)]
pub(crate) fn extend(buf: &[u8; BUF], a: usize, b: usize, start: usize, limit: usize) -> usize {
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
