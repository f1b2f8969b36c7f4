//! Explicit length-2 match candidates for the near-optimal LZX parser: for every position,
//! the offset of the nearest earlier occurrence of its two bytes, if it is close.
//!
//! The binary tree and the hash chains report matches of three bytes or more, but LZX
//! codes two-byte matches too, and in x86 code short ones pay: they are cheap with small
//! offsets and they feed the repeat-offset queue (libwim's output of wine's x86-64 DLLs
//! holds ~340 explicit length-2 matches per 32 KiB chunk). One pass over a small hashed
//! table of the latest position per byte pair finds them; a bucket collision only loses a
//! candidate (each one is verified).

/// Offsets above this are not offered. First 32 MiB of wine at L50 (libwim 9093822 bytes):
/// none 9086860, limit 32 9069886, **128 9061382**, 256 9062164, 1024 9065536, 16384
/// 9066822; about −5 % speed. The lazy parser (levels < 35) does not use them: at L20
/// they gave −0.33 % size (9438698 → 9407194, below libwim L20's 9436324) for −18 %
/// speed (54 → 44 MB/s, same run).
pub(super) const PAIR_MAX_OFFSET: usize = 128;

/// Buckets of the pair table (2^12 × 4 bytes = 16 KiB, stays in L1).
const PAIR_HASH_BITS: u32 = 12;

/// The pair table and the per-position offsets it produced.
#[derive(Debug, Default)]
pub(super) struct Pairs {
    head: Vec<u32>,
    /// Per position: the offset of the nearest earlier occurrence of the two bytes there
    /// (0: none within [`PAIR_MAX_OFFSET`]); one entry more than the data.
    pub(super) offset: Vec<u16>,
}

impl Pairs {
    /// Memory of one table for chunks of `window` bytes.
    pub(super) fn memory(window: usize) -> usize {
        2 * (window + 1) + (4 << PAIR_HASH_BITS)
    }

    /// Fills [`Pairs::offset`] for `data`.
    pub(super) fn fill(&mut self, data: &[u8]) {
        let n = data.len();
        self.offset.clear();
        self.offset.resize(n + 1, 0);
        self.head.clear();
        self.head.resize(1 << PAIR_HASH_BITS, 0);
        for (pos, w) in data.windows(2).enumerate() {
            let v = u32::from(w[0]) | u32::from(w[1]) << 8;
            let h = (v.wrapping_mul(0x9E37_79B1) >> (32 - PAIR_HASH_BITS)) as usize;
            // Position + 1 (0 = empty bucket).
            let prev = std::mem::replace(&mut self.head[h], pos as u32 + 1) as usize;
            if prev == 0 {
                continue;
            }
            let c = prev - 1;
            let off = pos - c;
            if off <= PAIR_MAX_OFFSET && data[c] == w[0] && data[c + 1] == w[1] {
                self.offset[pos] = off as u16;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_the_nearest_close_pair() {
        let mut data = b"abXXabYYab".to_vec();
        data.extend(std::iter::repeat_n(b'z', 200));
        data.extend_from_slice(b"ab");
        let mut p = Pairs::default();
        p.fill(&data);
        assert_eq!(p.offset.len(), data.len() + 1);
        assert_eq!(p.offset[0], 0);
        assert_eq!(p.offset[4], 4);
        assert_eq!(p.offset[8], 4);
        // "zz" repeats at distance 1; the last "ab" is beyond the limit.
        assert_eq!(p.offset[12], 1);
        assert_eq!(p.offset[data.len() - 2], 0);
        // Brute force: every reported offset is a real, nearest pair within the limit.
        for (pos, &o) in p.offset.iter().enumerate().take(data.len() - 1) {
            let want = (1..=PAIR_MAX_OFFSET.min(pos))
                .find(|&d| data[pos - d..pos - d + 2] == data[pos..pos + 2])
                .unwrap_or(0);
            assert!(o == 0 || o as usize == want, "pos {pos}: {o} vs {want}");
        }
    }
}
