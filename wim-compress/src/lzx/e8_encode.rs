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
        let Some(j) = buf
            .get(i..limit)
            .and_then(|s| s.iter().position(|&b| b == 0xE8))
        else {
            break;
        };
        i += j;
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

#[cfg(test)]
mod tests {
    use super::*;

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
