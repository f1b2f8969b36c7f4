//! E8 call-translation undo (codecs.md §3.10): absolute → relative over the whole chunk.

use super::constants::E8_SIZE;

const E8_REPEATED: u64 = 0xE8E8_E8E8_E8E8_E8E8;
const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Index of the first 0xE8 in `hay`, if any (word-at-a-time scan).
#[inline]
fn find_e8(hay: &[u8]) -> Option<usize> {
    let mut base = 0;
    let mut words = hay.chunks_exact(8);
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        let x = u64::from_le_bytes(a) ^ E8_REPEATED;
        // The lowest set flag marks the first zero byte exactly (borrows only move upwards).
        let z = x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS;
        if z != 0 {
            return Some(base + (z.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == 0xE8)
        .map(|i| base + i)
}

/// Undoes the E8 translation in place over a whole decoded chunk.
pub(crate) fn untranslate(buf: &mut [u8]) {
    let n = buf.len();
    if n <= 10 {
        return;
    }
    let limit = n - 10; // an E8 at i is considered only if i < n − 10
    let mut i = 0usize;
    while i < limit {
        let Some(j) = buf.get(i..limit).and_then(find_e8) else {
            break;
        };
        i += j;
        // i < n − 10, so i + 5 <= n − 6.
        if let Some(op) = buf.get_mut(i + 1..i + 5) {
            let mut a = [0u8; 4];
            a.copy_from_slice(op);
            let abs = i32::from_le_bytes(a);
            let ipos = i as i32; // i < 2^21
            // Branch-free (whether an operand is in range is unpredictable); an operand
            // out of range is written back unchanged.
            let pos_rel = abs.wrapping_sub(ipos);
            let neg_rel = abs.wrapping_add(E8_SIZE);
            let v = if (0..E8_SIZE).contains(&abs) {
                pos_rel
            } else if abs < 0 && abs >= -ipos {
                neg_rel
            } else {
                abs
            };
            op.copy_from_slice(&v.to_le_bytes());
        }
        i += 5;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(buf: &mut [u8]) {
        let n = buf.len();
        if n <= 10 {
            return;
        }
        let mut i = 0;
        while i < n - 10 {
            if buf[i] == 0xE8 {
                let a = i32::from_le_bytes(buf[i + 1..i + 5].try_into().unwrap());
                let ii = i as i32;
                if (0..E8_SIZE).contains(&a) {
                    buf[i + 1..i + 5].copy_from_slice(&(a - ii).to_le_bytes());
                } else if a < 0 && a >= -ii {
                    buf[i + 1..i + 5].copy_from_slice(&(a + E8_SIZE).to_le_bytes());
                }
                i += 5;
            } else {
                i += 1;
            }
        }
    }

    #[test]
    fn value_mapping_at_20() {
        let cases = [
            (0i32, -20i32),
            (100, 80),
            (11_999_999, 11_999_979),
            (12_000_000, 12_000_000),
            (-1, 11_999_999),
            (-20, 11_999_980),
            (-21, -21),
        ];
        for (stored, want) in cases {
            let mut b = vec![0u8; 40];
            b[20] = 0xE8;
            b[21..25].copy_from_slice(&stored.to_le_bytes());
            untranslate(&mut b);
            assert_eq!(
                i32::from_le_bytes(b[21..25].try_into().unwrap()),
                want,
                "stored {stored}"
            );
        }
        let mut b = vec![0u8; 40];
        b[0] = 0xE8;
        b[1..5].copy_from_slice(&(-1i32).to_le_bytes());
        untranslate(&mut b);
        assert_eq!(i32::from_le_bytes(b[1..5].try_into().unwrap()), -1);
    }

    #[test]
    fn boundaries_and_skips() {
        // E8 at n-11 is processed, at n-10 not; chunks of <= 10 bytes untouched.
        for n in [10usize, 11, 12, 13, 16, 30] {
            for p in 0..n {
                let mut b = vec![0u8; n];
                b[p] = 0xE8;
                let mut want = b.clone();
                reference(&mut want);
                untranslate(&mut b);
                assert_eq!(b, want, "n {n} p {p}");
                if n > 11 && p == n - 11 {
                    assert_ne!(b[p + 1..p + 5], [0; 4], "E8 at n-11 must be translated");
                }
                if p + 10 >= n {
                    assert!(
                        b.iter()
                            .enumerate()
                            .all(|(i, &x)| x == if i == p { 0xE8 } else { 0 })
                    );
                }
            }
        }
        // An E8 inside a skipped (out-of-range) operand is not processed.
        let mut b = vec![0u8; 32];
        b[2] = 0xE8;
        b[3..7].copy_from_slice(&0x7FE8_0000i32.to_le_bytes()); // out of range, contains E8
        let mut want = b.clone();
        reference(&mut want);
        untranslate(&mut b);
        assert_eq!(b, want);
        assert_eq!(&b[3..7], &0x7FE8_0000i32.to_le_bytes());
    }

    #[test]
    fn matches_reference_on_pseudo_random_data() {
        let mut x = 0x1234_5678_9abc_def0u64;
        for round in 0..200 {
            let n = 1 + round * 7;
            let mut b: Vec<u8> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if x.is_multiple_of(5) {
                        0xE8
                    } else {
                        (x >> 24) as u8
                    }
                })
                .collect();
            let mut want = b.clone();
            reference(&mut want);
            untranslate(&mut b);
            assert_eq!(b, want, "n {n}");
        }
    }
}
