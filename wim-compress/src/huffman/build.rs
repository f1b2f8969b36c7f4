//! Encoder side of canonical Huffman codes (codecs.md §1.3, §1.4): length-limited code
//! construction and canonical codeword assignment. Shared by the XPRESS, LZX and LZMS
//! encoders.
//!
//! API (crate-internal):
//! - [`build_lengths`]`(freqs, max_len, lens)`: writes a complete code's codeword lengths
//!   (0 for unused symbols) with every length `<= max_len`. Zero used symbols → all lengths
//!   0 (an empty code); one used symbol → that symbol and one neighbour get length 1, so the
//!   code is still complete. Deterministic: ties are broken by symbol value.
//! - [`assign_codewords`]`(lens, codes)`: canonical codewords (§1.3), in the low `lens[s]`
//!   bits of `codes[s]`, to be written MSB-first.
//! - [`build_code`]: both at once.
//!
//! Method: sort used symbols by (frequency, symbol), two-queue Huffman tree, per-depth leaf
//! counts, then Kraft repair when the tree is deeper than `max_len`: clamp, move leaves one
//! level down from the deepest non-full level until the Kraft sum is ≤ 1, then move leaves up
//! until it is exactly 1. Lengths are handed out longest-first to the least frequent symbols.

/// Largest `max_len` supported.
pub(crate) const MAX_BUILD_LEN: u32 = 24;

/// Scratch space reused between builds (avoids allocation per block).
#[derive(Debug, Default, Clone)]
pub(crate) struct HuffScratch {
    syms: Vec<u64>,
    weight: Vec<u64>,
    parent: Vec<u32>,
    depth: Vec<u8>,
}

/// Sorts `(frequency << 32 | symbol)` keys that were pushed in increasing symbol order:
/// frequencies below 2^16 (every XPRESS chunk, most LZX/LZMS blocks) by a stable radix
/// sort on their one or two low bytes (the symbol order breaks ties, so the result is
/// that of `sort_unstable`), larger ones by `sort_unstable`. `tmp` is scratch.
fn sort_keys(keys: &mut Vec<u64>, tmp: &mut Vec<u64>) {
    let max = keys.iter().map(|&k| k >> 32).max().unwrap_or(0);
    if max >= 1 << 16 || keys.len() < 32 {
        keys.sort_unstable();
        return;
    }
    let passes = if max < 1 << 8 { 1 } else { 2 };
    tmp.clear();
    tmp.resize(keys.len(), 0);
    for pass in 0..passes {
        let shift = 32 + 8 * pass;
        let mut start = [0usize; 256];
        for &k in keys.iter() {
            start[((k >> shift) & 255) as usize] += 1;
        }
        let mut sum = 0;
        for c in start.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &k in keys.iter() {
            let b = ((k >> shift) & 255) as usize;
            if let Some(t) = tmp.get_mut(start[b]) {
                *t = k;
            }
            start[b] += 1;
        }
        std::mem::swap(keys, tmp);
    }
}

/// Computes length-limited Huffman codeword lengths for `freqs` into `lens`
/// (`lens.len() == freqs.len()`, `1 <= max_len <= 24`, `freqs.len() <= 2^max_len`).
pub(crate) fn build_lengths(freqs: &[u32], max_len: u32, lens: &mut [u8], s: &mut HuffScratch) {
    debug_assert_eq!(freqs.len(), lens.len());
    debug_assert!((1..=MAX_BUILD_LEN).contains(&max_len));
    lens.fill(0);
    s.syms.clear();
    for (i, &f) in freqs.iter().enumerate() {
        if f != 0 {
            s.syms.push((u64::from(f) << 32) | i as u64);
        }
    }
    let n = s.syms.len();
    if n == 0 {
        return;
    }
    if n == 1 {
        let only = (s.syms[0] & 0xFFFF_FFFF) as usize;
        let other = if only == 0 { 1 } else { 0 };
        if let Some(l) = lens.get_mut(only) {
            *l = 1;
        }
        if let Some(l) = lens.get_mut(other) {
            *l = 1;
        }
        return;
    }
    sort_keys(&mut s.syms, &mut s.weight);
    // Two-queue Huffman: nodes 0..n are leaves (sorted), n..2n-1 internal in creation order.
    let total = 2 * n - 1;
    s.weight.clear();
    s.weight.extend(s.syms.iter().map(|&k| k >> 32));
    s.weight.resize(total, 0);
    s.parent.clear();
    s.parent.resize(total, 0);
    let (mut li, mut ii) = (0usize, n);
    for next in n..total {
        let pick = |li: &mut usize, ii: &mut usize| -> usize {
            if *li < n && (*ii >= next || s.weight[*li] <= s.weight[*ii]) {
                *li += 1;
                *li - 1
            } else {
                *ii += 1;
                *ii - 1
            }
        };
        let a = pick(&mut li, &mut ii);
        let b = pick(&mut li, &mut ii);
        s.weight[next] = s.weight[a] + s.weight[b];
        s.parent[a] = next as u32;
        s.parent[b] = next as u32;
    }
    // Depths top-down (parents are always created after their children).
    s.depth.clear();
    s.depth.resize(total, 0);
    let mut count = [0u32; 64];
    for i in (0..total - 1).rev() {
        let d = s.depth[s.parent[i] as usize].saturating_add(1).min(63);
        s.depth[i] = d;
        if i < n {
            count[d as usize] += 1;
        }
    }
    let ml = max_len as usize;
    let mut deepest = 0;
    for (d, &c) in count.iter().enumerate() {
        if c != 0 {
            deepest = d;
        }
    }
    if deepest > ml {
        for d in ml + 1..64 {
            count[ml] += count[d];
            count[d] = 0;
        }
        // Kraft sum in units of 2^-max_len.
        let full = 1u64 << ml;
        let mut k: u64 = (1..=ml).map(|d| u64::from(count[d]) << (ml - d)).sum();
        while k > full {
            let Some(d) = (1..ml).rev().find(|&d| count[d] > 0) else {
                break;
            };
            count[d] -= 1;
            count[d + 1] += 1;
            k -= 1u64 << (ml - d - 1);
        }
        while k < full {
            // Deepest occupied level (gain 2^(ml-d) divides the deficit).
            let Some(d) = (2..=ml).rev().find(|&d| count[d] > 0) else {
                break;
            };
            count[d] -= 1;
            count[d - 1] += 1;
            k += 1u64 << (ml - d);
        }
    }
    // Hand out lengths: least frequent symbols (start of `syms`) get the longest codes.
    let mut idx = 0usize;
    for d in (1..=ml.min(63)).rev() {
        for _ in 0..count[d] {
            if let Some(l) = s
                .syms
                .get(idx)
                .and_then(|&key| lens.get_mut((key & 0xFFFF_FFFF) as usize))
            {
                *l = d as u8;
            }
            idx += 1;
        }
    }
}

/// Assigns canonical codewords (codecs.md §1.3) for `lens` into `codes`.
pub(crate) fn assign_codewords(lens: &[u8], codes: &mut [u32]) {
    let mut count = [0u32; MAX_BUILD_LEN as usize + 2];
    for &l in lens {
        if let Some(c) = count.get_mut(l as usize) {
            *c += 1;
        }
    }
    count[0] = 0;
    let mut next = [0u32; MAX_BUILD_LEN as usize + 2];
    let mut code = 0u32;
    for l in 1..=MAX_BUILD_LEN as usize {
        code = (code + count[l - 1]) << 1;
        next[l] = code;
    }
    for (s, &l) in lens.iter().enumerate() {
        if let Some(c) = codes.get_mut(s) {
            *c = 0;
            if let Some(n) = next.get_mut(l as usize).filter(|_| l != 0) {
                *c = *n;
                *n += 1;
            }
        }
    }
}

/// [`build_lengths`] then [`assign_codewords`].
pub(crate) fn build_code(
    freqs: &[u32],
    max_len: u32,
    lens: &mut [u8],
    codes: &mut [u32],
    s: &mut HuffScratch,
) {
    build_lengths(freqs, max_len, lens, s);
    assign_codewords(lens, codes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kraft(lens: &[u8], max: u32) -> u64 {
        lens.iter()
            .filter(|&&l| l != 0)
            .map(|&l| 1u64 << (max - u32::from(l)))
            .sum()
    }

    #[test]
    fn complete_and_limited() {
        let mut s = HuffScratch::default();
        let mut x = 7u64;
        for round in 0..300 {
            let max = [7u32, 12, 15, 16][round % 4];
            let n = 2 + round % 700usize.min((1 << max) - 2);
            let freqs: Vec<u32> = (0..n)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    match round % 3 {
                        0 => (x % 1000) as u32,
                        1 => 1u32 << (i % 30), // Fibonacci-like skew forces deep trees
                        _ => u32::from(x.is_multiple_of(4)),
                    }
                })
                .collect();
            let mut lens = vec![0u8; n];
            build_lengths(&freqs, max, &mut lens, &mut s);
            let used = freqs.iter().filter(|&&f| f != 0).count();
            if used == 0 {
                assert!(lens.iter().all(|&l| l == 0));
                continue;
            }
            assert!(lens.iter().all(|&l| u32::from(l) <= max));
            assert_eq!(kraft(&lens, max), 1 << max, "round {round}");
            for (f, l) in freqs.iter().zip(&lens) {
                if *f != 0 {
                    assert!(*l != 0);
                }
            }
        }
    }

    #[test]
    fn radix_sort_equals_sort_unstable() {
        let mut seed = 0x1234_5678_9ABC_DEF1u64;
        let mut tmp = Vec::new();
        for round in 0..300 {
            let n = 1 + round % 700;
            let top = [4u64, 200, 255, 256, 3000, 65535, 65536, 1 << 20][round % 8];
            let mut keys: Vec<u64> = (0..n as u64)
                .map(|i| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    ((1 + seed % top) << 32) | i
                })
                .collect();
            let mut want = keys.clone();
            want.sort_unstable();
            sort_keys(&mut keys, &mut tmp);
            assert_eq!(keys, want, "round {round}");
        }
    }

    #[test]
    fn single_symbol_and_canonical() {
        let mut s = HuffScratch::default();
        let mut lens = [0u8; 4];
        build_lengths(&[0, 0, 5, 0], 15, &mut lens, &mut s);
        assert_eq!(lens, [1, 0, 1, 0]);
        build_lengths(&[9, 0, 0, 0], 15, &mut lens, &mut s);
        assert_eq!(lens, [1, 1, 0, 0]);
        let mut codes = [0u32; 5];
        assign_codewords(&[2, 3, 3, 2, 2], &mut codes);
        assert_eq!(codes, [0b00, 0b110, 0b111, 0b01, 0b10]);
    }
}
