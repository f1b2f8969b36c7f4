//! The LZMS delta match finder's visit and delta match measuring without bounds checks.
//!
//! Same algorithm and results as `DeltaFinder::visit_safe` and `delta_len_safe` in
//! `lzms/matchfinder.rs` (the safe twins, used with the `safe-only` feature; the tests
//! compare both). The public functions check every precondition the unchecked reads
//! rely on and otherwise fall back to the safe twins.

use super::matchfinder::{
    DELTA_POWERS, DeltaFinder, MIN_DELTA_LEN, delta_len_safe, sub_bytes32, sub_bytes64,
};

/// Little-endian load of 4 bytes at `p`.
///
/// # Safety
/// `p + 4 <= d.len()`.
#[inline(always)]
unsafe fn load32(d: &[u8], p: usize) -> u32 {
    // SAFETY: the caller guarantees p + 4 <= d.len().
    u32::from_le(unsafe { d.as_ptr().add(p).cast::<u32>().read_unaligned() })
}

/// Little-endian load of 8 bytes at `p`.
///
/// # Safety
/// `p + 8 <= d.len()`.
#[inline(always)]
unsafe fn load64(d: &[u8], p: usize) -> u64 {
    // SAFETY: the caller guarantees p + 8 <= d.len().
    u64::from_le(unsafe { d.as_ptr().add(p).cast::<u64>().read_unaligned() })
}

/// Byte at `p`.
///
/// # Safety
/// `p < d.len()`.
#[inline(always)]
unsafe fn byte(d: &[u8], p: usize) -> u8 {
    // SAFETY: the caller guarantees p < d.len().
    unsafe { *d.as_ptr().add(p) }
}

/// Length of a delta match at `p` from `off` bytes back with `span`, from `start`, at
/// most `max` (see `delta_len_safe`, which runs when `off + span > p` or
/// `p + max > d.len()`).
#[inline(always)]
pub(crate) fn delta_len_from(
    d: &[u8],
    p: usize,
    off: usize,
    span: usize,
    start: usize,
    max: usize,
) -> usize {
    let ok = off
        .checked_add(span)
        .is_some_and(|x| x <= p && p.checked_add(max).is_some_and(|e| e <= d.len()));
    if !ok {
        return delta_len_safe(d, p, off, span, start, max);
    }
    let mut l = start;
    while l + 8 <= max {
        // SAFETY: p + l + 8 <= p + max <= d.len(), and every other address is lower by
        // span, off or off + span <= p + l.
        let z = unsafe {
            sub_bytes64(load64(d, p + l), load64(d, p + l - span))
                ^ sub_bytes64(load64(d, p + l - off), load64(d, p + l - off - span))
        };
        if z != 0 {
            return l + (z.trailing_zeros() / 8) as usize;
        }
        l += 8;
    }
    while l < max {
        // SAFETY: l < max, so p + l < d.len(); the other addresses are lower (as above).
        let same = unsafe {
            byte(d, p + l).wrapping_sub(byte(d, p + l - span))
                == byte(d, p + l - off).wrapping_sub(byte(d, p + l - off - span))
        };
        if !same {
            break;
        }
        l += 1;
    }
    l
}

/// `DeltaFinder::hashes` without bounds checks: the bucket and tagged difference word of
/// each power in `f.lo..top` at `p`.
///
/// # Safety
/// `p + 4 <= d.len()` and `2^(top - 1) <= p` (every span used is at most `p`).
#[inline(always)]
unsafe fn hashes(
    f: &DeltaFinder,
    d: &[u8],
    p: usize,
    top: usize,
    bk: &mut [usize; DELTA_POWERS],
    difs: &mut [u32; DELTA_POWERS],
) {
    // SAFETY: p + 4 <= d.len() (caller's contract).
    let x = unsafe { load32(d, p) };
    let bits = f.bits;
    for power in f.lo..top.min(DELTA_POWERS) {
        let span = 1usize << power;
        // SAFETY: span <= p (caller's contract), so p - span + 4 <= p + 4 <= d.len().
        let dif = sub_bytes32(x, unsafe { load32(d, p - span) }) & 0x00FF_FFFF;
        let v = dif | (((p & (span - 1)) as u32) << 24);
        let h = v.wrapping_mul(0x9E37_79B1);
        bk[power] = (power << bits) | (h >> (32 - bits)) as usize;
        difs[power] = dif | ((h >> (24 - bits)) << 24);
    }
}

/// Visits position `p` (see `DeltaFinder::visit`). Returns false, having done nothing,
/// when the table does not have the size the bucket numbers assume; the caller then
/// uses the safe twin.
#[inline(always)]
pub(crate) fn visit<const RECORD: bool>(
    f: &mut DeltaFinder,
    d: &[u8],
    p: usize,
    max: usize,
    out: &mut Vec<(u32, u32, u32)>,
) -> bool {
    let n = d.len();
    let ways = if f.two { 2 } else { 1 };
    if f.bits > 26 || f.table.len() < (DELTA_POWERS << f.bits) * ways || f.hi > DELTA_POWERS {
        return false;
    }
    if p + MIN_DELTA_LEN > n || p < 1 {
        return true;
    }
    let max = max.min(n - p);
    // top - 1 <= log2(p): every span used is at most p.
    let top = f.hi.min((usize::BITS - p.leading_zeros()) as usize);
    // SAFETY: p + 4 <= n.
    let x = unsafe { load32(d, p) };
    let mut bk = [0usize; DELTA_POWERS];
    let mut difs = [0u32; DELTA_POWERS];
    if f.next_p == p {
        bk = f.next_b;
        difs = f.next_d;
    } else {
        // SAFETY: p + 4 <= n and 2^(top - 1) <= p (top is at most the bit length of p).
        unsafe { hashes(f, d, p, top, &mut bk, &mut difs) };
    }
    if p + 1 + MIN_DELTA_LEN <= n {
        let t2 = f.hi.min((usize::BITS - (p + 1).leading_zeros()) as usize);
        let (mut nb, mut nd) = ([0usize; DELTA_POWERS], [0u32; DELTA_POWERS]);
        // SAFETY: p + 1 + 4 <= n and 2^(t2 - 1) <= p + 1, as above.
        unsafe { hashes(f, d, p + 1, t2, &mut nb, &mut nd) };
        for &b in nb.get(f.lo..t2).unwrap_or(&[]) {
            super::prefetch::prefetch(&f.table, b * ways);
        }
        f.next_p = p + 1;
        f.next_b = nb;
        f.next_d = nd;
    }
    let pb = f.pos_bits;
    let pos_mask = u32::MAX >> (32 - pb);
    let table = f.table.as_mut_ptr();
    for power in f.lo..top {
        let span = 1usize << power;
        let (dif, tag) = (difs[power] & 0x00FF_FFFF, difs[power] >> 24);
        // Buckets are (power << bits) | hash with hash < 2^bits: always below the bound.
        let b = bk[power];
        if b >= DELTA_POWERS << f.bits {
            continue;
        }
        let tag = tag.checked_shl(pb).unwrap_or(0);
        let new = (p as u32 + 1) | tag;
        // SAFETY: b < DELTA_POWERS << bits, so b * ways + ways - 1 < table.len().
        let (e0, e1) = unsafe {
            let at = table.add(b * ways);
            if ways == 2 {
                let old = (*at, *at.add(1));
                *at.add(1) = old.0;
                *at = new;
                old
            } else {
                let e = *at;
                *at = new;
                (e, 0)
            }
        };
        if !RECORD {
            continue;
        }
        for e in [e0, e1] {
            if e & !pos_mask != tag {
                continue;
            }
            let c = (e & pos_mask) as usize;
            if c == 0 || c > p {
                continue;
            }
            let c = c - 1;
            let off = p - c;
            if off & (span - 1) != 0 || c < span || off >> power >= 1 << 29 {
                continue;
            }
            // SAFETY: span <= c < p and p + 4 <= n.
            let (xc, xs) = unsafe { (load32(d, c), load32(d, c - span)) };
            if sub_bytes32(xc, xs) & 0x00FF_FFFF != dif {
                continue;
            }
            if xc == x {
                continue;
            }
            let l = delta_len_from(d, p, off, span, 3, max);
            if l >= 3 {
                out.push((power as u32, (off >> power) as u32, l as u32));
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::matchfinder::{DeltaFinder, delta_len_safe};

    /// Data with delta structure: ramps of several strides, noise, runs.
    fn sample(len: usize) -> Vec<u8> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..len)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                match (i / 3000) % 4 {
                    0 => (i as u8).wrapping_mul(3).wrapping_add((i / 4) as u8),
                    1 => ((i % 8) as u8).wrapping_mul(17).wrapping_add((i / 8) as u8),
                    2 => (x >> 40) as u8 % 5,
                    _ => ((i / 2) as u8) ^ ((x >> 20) as u8 & 1),
                }
            })
            .collect()
    }

    #[test]
    fn visit_same_as_safe_twin() {
        let data = sample(30_000);
        for (bits, ways, lo, hi) in [(13, 2, 0, 6), (10, 1, 1, 4), (16, 2, 0, 6)] {
            for len in [data.len(), 4, 5, 0] {
                let d = &data[..len];
                let (mut fast, mut safe) = (DeltaFinder::default(), DeltaFinder::default());
                fast.reset(d.len(), bits, ways, lo..hi);
                safe.reset(d.len(), bits, ways, lo..hi);
                let (mut a, mut b) = (Vec::new(), Vec::new());
                let mut found = 0usize;
                for p in 0..d.len() {
                    a.clear();
                    b.clear();
                    // Skip some positions (the encoder does), search or only insert.
                    if p % 11 == 5 {
                        continue;
                    }
                    if p % 3 == 1 {
                        fast.visit::<false>(d, p, 63, &mut a);
                        safe.visit_safe::<false>(d, p, 63, &mut b);
                    } else {
                        fast.visit::<true>(d, p, 63, &mut a);
                        safe.visit_safe::<true>(d, p, 63, &mut b);
                    }
                    assert_eq!(a, b, "candidates at {p} (bits {bits}, ways {ways})");
                    found += a.len();
                }
                assert_eq!(fast.table, safe.table);
                if len == data.len() {
                    assert!(found > 1000, "too few candidates to compare: {found}");
                }
            }
        }
    }

    #[test]
    fn delta_len_same_as_safe_twin() {
        let d = sample(5000);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut long = 0usize;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let p = (x % 5000) as usize;
            let span = 1usize << ((x >> 20) % 6);
            let off = span * (1 + ((x >> 30) % 64) as usize);
            let start = ((x >> 40) % 4) as usize;
            let max = ((x >> 44) % 300) as usize;
            // Out-of-contract arguments go to the safe twin; only in-contract ones are
            // compared (the safe twin would index out of bounds otherwise).
            if off + span <= p && p + max <= d.len() && start <= max {
                let a = super::delta_len_from(&d, p, off, span, start, max);
                assert_eq!(a, delta_len_safe(&d, p, off, span, start, max));
                long += usize::from(a >= 8);
            }
        }
        assert!(long > 100, "too few long delta matches: {long}");
    }
}
