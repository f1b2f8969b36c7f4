//! The LZMS x86 address filter (`codecs.md` §4.11), decode direction (and encode, for
//! tests and a future encoder).
//!
//! The filter keeps, per 16-bit target, the position of the last instruction that
//! referenced it. Instead of clearing that 256 KiB table for every chunk, entries are
//! stored as `epoch + position`, and the epoch advances past every value of the previous
//! chunk by more than the 64 KiB window; the table is only cleared when the epoch would
//! overflow. A stale entry therefore always looks older than 65 535 bytes, exactly like
//! the specification's initial value.

/// Size of the per-target table.
const TABLE_SIZE: usize = 1 << 16;
/// Largest distance between two references to the same target that confirms x86 code.
const ID_WINDOW: u32 = 65_535;
/// Translation distance after a confirming instruction (E8: 511).
const MAX_TRANSLATION: usize = 1023;
const MAX_TRANSLATION_E8: usize = 511;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Marks (high bit of byte `k`) every position `k` of `w[0..8]` that may start an
/// instruction of §4.11 (a superset: the caller tests each marked position exactly).
///
/// A position is a candidate only if its byte is `E8`/`E9`/`F0`/`FF` (all ≥ `E8`) or it is
/// `48`/`4C` followed by `8B`/`8D`. SWAR tests: `b ≥ E8` ⇔ high bit set and the low seven
/// bits plus `18` carry into bit 7; membership in `{48, 4C}` ⇔ `b | 04 == 4C`, in
/// `{89, 8B, 8D, 8F}` ⇔ `b | 06 == 8F`, both as "has a zero byte" tests (whose rare false
/// positives next to a true zero byte are harmless here).
#[inline(always)]
fn candidate_mask(w: &[u8]) -> u64 {
    let (Some(lo), Some(&last)) = (w.first_chunk::<8>(), w.get(8)) else {
        return u64::MAX;
    };
    let x = u64::from_le_bytes(*lo);
    // The following byte of every position.
    let y = (x >> 8) | (u64::from(last) << 56);
    let ge_e8 = x & ((x & !HIGH) + 0x18 * ONES);
    let a = (x | (0x04 * ONES)) ^ (0x4C * ONES);
    let b = (y | (0x06 * ONES)) ^ (0x8F * ONES);
    let za = a.wrapping_sub(ONES) & !a;
    let zb = b.wrapping_sub(ONES) & !b;
    (ge_e8 | (za & zb)) & HIGH
}

/// The first position `≥ i` that `candidate_mask` marks, or a position `≥ buf.len() - 8`
/// when there is none before.
///
/// Blocks of 32 positions whose 33 bytes have no high bit set are skipped with one test
/// (every candidate has a high bit in its first or second byte; text, zeros and tables
/// are skipped at several bytes per cycle); otherwise the block is searched with
/// `candidate_mask`, eight positions at a time.
#[inline(always)]
fn next_candidate(buf: &[u8], mut i: usize) -> usize {
    while let Some(w) = buf.get(i..i + 33) {
        let mut acc = u64::from(w[32]);
        for c in w[..32].chunks_exact(8) {
            if let Some(c) = c.first_chunk::<8>() {
                acc |= u64::from_ne_bytes(*c);
            }
        }
        if acc & HIGH != 0 {
            let mut k = 0;
            while let Some(sub) = w.get(k..k + 9) {
                let mask = candidate_mask(sub);
                if mask != 0 {
                    return i + k + (mask.trailing_zeros() / 8) as usize;
                }
                k += 8;
            }
        }
        i += 32;
    }
    while let Some(w) = buf.get(i..i + 9) {
        let mask = candidate_mask(w);
        if mask != 0 {
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i
}

/// Reusable state of the filter.
#[derive(Debug)]
pub(crate) struct X86Filter {
    last_use: Vec<u32>,
    epoch: u32,
}

impl X86Filter {
    /// Creates the filter state (a 256 KiB table).
    pub(crate) fn new() -> Self {
        X86Filter {
            last_use: vec![0; TABLE_SIZE],
            epoch: 1 << 16,
        }
    }

    /// Undoes the filter on a decoded chunk.
    pub(crate) fn decode(&mut self, buf: &mut [u8]) {
        self.run::<false>(buf);
    }

    /// Applies the filter to a chunk before encoding.
    pub(crate) fn encode(&mut self, buf: &mut [u8]) {
        self.run::<true>(buf);
    }

    fn run<const ENCODE: bool>(&mut self, buf: &mut [u8]) {
        let n = buf.len();
        if n <= 17 {
            return;
        }
        // Positions fit in u32 for chunks ≤ 1 GiB; choose an epoch such that
        // epoch + n does not overflow.
        let Ok(n32) = u32::try_from(n) else {
            return;
        };
        if u64::from(self.epoch) + u64::from(n32) + 2 * u64::from(ID_WINDOW) + 2
            > u64::from(u32::MAX)
        {
            self.last_use.fill(0);
            self.epoch = 1 << 16;
        }
        let epoch = self.epoch;
        let Some(table) = self.last_use.get_mut(..TABLE_SIZE) else {
            return;
        };
        // `last_x86` is stored plus 1024 so that it starts at 0 (= position -1024).
        let mut last_x86 = 0usize;
        let scan_end = n - 16;
        let mut i = 1usize;
        while i < scan_end {
            // Skip non-candidates quickly (see `next_candidate`).
            i = next_candidate(buf, i);
            if i >= scan_end {
                break;
            }
            let op = buf[i];
            // Opcode at i <= n - 17: bytes i..i+7 are in bounds.
            let Some(ins) = buf.get(i..i + 8) else { break };
            let (k, limit) = match op {
                0xE8 => (1usize, MAX_TRANSLATION_E8),
                0xE9 => {
                    i += 5;
                    continue;
                }
                0xFF if ins[1] == 0x15 => (2, MAX_TRANSLATION),
                0xF0 if ins[1] == 0x83 && ins[2] == 0x05 => (3, MAX_TRANSLATION),
                0x48 | 0x4C
                    if (ins[2] & 7) == 5
                        && (ins[1] == 0x8D || (op == 0x48 && ins[1] == 0x8B && ins[2] < 0x10)) =>
                {
                    (3, MAX_TRANSLATION)
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            let q = i + k;
            let mut v = u32::from_le_bytes([ins[k], ins[k + 1], ins[k + 2], ins[k + 3]]);
            let active = i + 1024 - last_x86 <= limit;
            let target;
            if ENCODE {
                target = (i as u32).wrapping_add(v & 0xFFFF) & 0xFFFF;
                if active {
                    v = v.wrapping_add(i as u32);
                    if let Some(d) = buf.get_mut(q..q + 4) {
                        d.copy_from_slice(&v.to_le_bytes());
                    }
                }
            } else {
                if active {
                    v = v.wrapping_sub(i as u32);
                    if let Some(d) = buf.get_mut(q..q + 4) {
                        d.copy_from_slice(&v.to_le_bytes());
                    }
                }
                target = (i as u32).wrapping_add(v & 0xFFFF) & 0xFFFF;
            }
            let end = i + k + 3;
            let stamp = epoch + end as u32;
            let slot = &mut table[target as usize];
            if stamp.wrapping_sub(*slot) <= ID_WINDOW {
                last_x86 = end + 1024;
            }
            *slot = stamp;
            i = end + 1;
        }
        // Advance the epoch past every stamp of this chunk by more than the window.
        self.epoch = epoch + n32 + ID_WINDOW + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Literal transcription of §4.11 with a fresh table (reference for the fast version).
    #[allow(clippy::if_same_then_else)] // kept in the specification's shape
    fn reference(buf: &mut [u8], encode: bool) {
        let n = buf.len();
        if n <= 17 {
            return;
        }
        let mut last_use = vec![-65536i64; 65536];
        let mut last_x86: i64 = -1024;
        let mut i = 1usize;
        while i < n - 16 {
            let op = buf[i];
            let (k, limit) = if op == 0xE8 {
                (1, 511)
            } else if op == 0xE9 {
                i += 5;
                continue;
            } else if op == 0xFF && buf[i + 1] == 0x15 {
                (2, 1023)
            } else if op == 0xF0 && buf[i + 1] == 0x83 && buf[i + 2] == 0x05 {
                (3, 1023)
            } else if (op == 0x48 || op == 0x4C)
                && (buf[i + 2] & 7) == 5
                && (buf[i + 1] == 0x8D || (op == 0x48 && buf[i + 1] == 0x8B && buf[i + 2] < 0x10))
            {
                (3, 1023)
            } else {
                i += 1;
                continue;
            };
            let q = i + k;
            let mut v = u32::from_le_bytes(buf[q..q + 4].try_into().unwrap());
            let active = i as i64 - last_x86 <= limit;
            let target;
            if encode {
                target = (i + (v & 0xFFFF) as usize) & 0xFFFF;
                if active {
                    buf[q..q + 4].copy_from_slice(&v.wrapping_add(i as u32).to_le_bytes());
                }
            } else {
                if active {
                    v = v.wrapping_sub(i as u32);
                    buf[q..q + 4].copy_from_slice(&v.to_le_bytes());
                }
                target = (i + (v & 0xFFFF) as usize) & 0xFFFF;
            }
            let end = (i + k + 3) as i64;
            if end - last_use[target] <= 65535 {
                last_x86 = end;
            }
            last_use[target] = end;
            i = end as usize + 1;
        }
    }

    fn xorshift(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn matches_reference_and_round_trips() {
        let mut seed = 99u64;
        let mut f = X86Filter::new();
        for round in 0..200 {
            let n = match round % 4 {
                0 => (xorshift(&mut seed) % 40) as usize,
                1 => (xorshift(&mut seed) % 3000) as usize,
                _ => (xorshift(&mut seed) % 200_000) as usize,
            };
            // Bytes biased towards opcodes and repeated targets.
            let data: Vec<u8> = (0..n)
                .map(|_| {
                    let r = xorshift(&mut seed);
                    match r % 16 {
                        0 => 0xE8,
                        1 => 0x48,
                        2 => 0x8D,
                        3 => 0x05,
                        4 => 0xFF,
                        5 => 0x15,
                        6 => 0xE9,
                        7 => 0x4C,
                        8 => 0xF0,
                        9 => 0x83,
                        10 => 0x8B,
                        11 => 0x0D,
                        _ => (r >> 32) as u8 & 0x3,
                    }
                })
                .collect();
            let mut a = data.clone();
            let mut b = data.clone();
            f.encode(&mut a);
            reference(&mut b, true);
            assert_eq!(a, b, "encode round {round}");
            let mut c = a.clone();
            f.decode(&mut a);
            reference(&mut c, false);
            assert_eq!(a, c, "decode round {round}");
            assert_eq!(a, data, "round trip {round}");
        }
    }

    /// `candidate_mask` marks every opcode position the exact test of §4.11 accepts, for
    /// every (opcode, next byte) pair at every lane, whatever the neighbouring bytes.
    #[test]
    fn candidate_mask_is_a_superset() {
        let mut seed = 7u64;
        let mut marked_non = 0;
        for b0 in 0..=255u8 {
            for b1 in 0..=255u8 {
                let exact = matches!(b0, 0xE8 | 0xE9 | 0xFF | 0xF0)
                    || (matches!(b0, 0x48 | 0x4C) && matches!(b1, 0x8B | 0x8D));
                for lane in 0..8 {
                    let mut w = [0u8; 9];
                    for b in &mut w {
                        *b = xorshift(&mut seed) as u8;
                    }
                    w[lane] = b0;
                    w[lane + 1] = b1;
                    let m = candidate_mask(&w);
                    let hit = m & (0x80 << (8 * lane)) != 0;
                    if exact {
                        assert!(hit, "{b0:02x} {b1:02x} lane {lane}");
                    } else if hit {
                        marked_non += 1;
                    }
                }
                // A zero/ASCII neighbourhood marks nothing but real candidates.
                let mut w = [0x20u8; 9];
                w[0] = b0;
                w[1] = b1;
                let lo = candidate_mask(&w) & 0x80;
                let loose = b0 >= 0xE8 || (matches!(b0, 0x48 | 0x4C) && b1 | 6 == 0x8F);
                assert_eq!(lo != 0, loose, "{b0:02x} {b1:02x}");
            }
        }
        // The pre-filter must actually filter.
        assert!(marked_non < 65536 * 8 / 4, "{marked_non}");
    }

    #[test]
    fn epoch_wraps_cleanly() {
        let mut f = X86Filter::new();
        f.epoch = u32::MAX - 100_000;
        let data: Vec<u8> = (0..5000u32)
            .map(|i| if i % 7 == 0 { 0xE8 } else { 0 })
            .collect();
        let mut a = data.clone();
        let mut b = data.clone();
        f.decode(&mut a);
        reference(&mut b, false);
        assert_eq!(a, b);
    }
}
