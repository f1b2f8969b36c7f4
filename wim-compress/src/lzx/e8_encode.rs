//! E8 call translation, encoder direction (codecs.md §3.10): relative → absolute.

use super::constants::E8_SIZE;

/// Applies the forward E8 translation in place over a whole chunk.
pub(crate) fn translate(buf: &mut [u8]) {
    let n = buf.len();
    if n <= 10 {
        return;
    }
    let limit = n - 10;
    let mut i = 0usize;
    while i < limit {
        let Some(j) = find_e8(buf, i, limit) else {
            break;
        };
        i = j;
        if let Some(op) = buf.get_mut(i + 1..i + 5) {
            let mut a = [0u8; 4];
            a.copy_from_slice(op);
            let rel = i32::from_le_bytes(a);
            let ipos = i as i32; // i < 2^21
            if rel >= -ipos && rel < E8_SIZE {
                let abs = if rel < E8_SIZE - ipos {
                    rel + ipos
                } else {
                    rel - E8_SIZE
                };
                op.copy_from_slice(&abs.to_le_bytes());
            }
        }
        i += 5;
    }
}

/// The first `0xE8` byte in `buf[from..limit]`, eight bytes at a time (a word without
/// one is skipped with a few ALU operations; the lowest flagged byte of the zero-byte test
/// is always exact).
#[inline(always)]
fn find_e8(buf: &[u8], from: usize, limit: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut i = from;
    while let Some(w) = buf.get(i..i + 8).filter(|_| i + 8 <= limit) {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        let x = u64::from_le_bytes(a) ^ (0xE8 * ONES);
        let z = x.wrapping_sub(ONES) & !x & (0x80 * ONES);
        if z != 0 {
            return Some(i + (z.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    buf.get(i..limit)?
        .iter()
        .position(|&b| b == 0xE8)
        .map(|j| i + j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_e8_finds_the_first() {
        for n in 0..40usize {
            for at in 0..n {
                let mut b: Vec<u8> = (0..n)
                    .map(|i| [0xE9, 0x68, 0x00, 0xE7, 0x69, 0x80][i % 6])
                    .collect();
                b[at] = 0xE8;
                if at + 3 < n {
                    b[at + 3] = 0xE8;
                }
                for from in 0..n {
                    let want = b[from..n].iter().position(|&x| x == 0xE8).map(|j| from + j);
                    assert_eq!(find_e8(&b, from, n), want, "n {n} at {at} from {from}");
                }
            }
        }
    }

    #[test]
    fn inverse_of_untranslate() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..100 {
            let n = 1 + round * 13;
            let orig: Vec<u8> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if x.is_multiple_of(4) {
                        0xE8
                    } else if x.is_multiple_of(5) {
                        0xFF
                    } else {
                        (x >> 40) as u8 % 4
                    }
                })
                .collect();
            let mut b = orig.clone();
            translate(&mut b);
            super::super::e8::untranslate(&mut b);
            assert_eq!(b, orig, "n {n}");
        }
    }
}
