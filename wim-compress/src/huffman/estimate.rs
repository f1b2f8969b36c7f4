//! Literal costs estimated before any code is built, for the cost-aware greedy and lazy
//! parsers (XPRESS, LZX): a byte's cost is `16·log2(n / count)` in 1/16 bit from the
//! chunk's byte histogram, clamped to 1..=15 bits.

/// Largest estimated literal cost (1/16 bit).
pub(crate) const MAX_LIT_COST: u32 = 15 * 16;

/// `16 * log2(v)`, approximately (0 for `v <= 1`).
pub(crate) fn log2_16(v: u32) -> u32 {
    if v <= 1 {
        return 0;
    }
    let k = 31 - v.leading_zeros();
    // Linear interpolation of the fraction from the next 4 bits.
    let frac = if k >= 4 {
        (v >> (k - 4)) & 15
    } else {
        (v << (4 - k)) & 15
    };
    16 * k + frac
}

/// Estimated cost (1/16 bit) of each byte value as a literal of `data`.
pub(crate) fn literal_costs(data: &[u8]) -> [u16; 256] {
    // Four partial histograms: runs of one byte value (zeros in PE files) would otherwise
    // serialise on one counter's store-to-load latency.
    let mut h4 = [[0u32; 256]; 4];
    let mut quads = data.chunks_exact(4);
    for q in &mut quads {
        h4[0][usize::from(q[0])] += 1;
        h4[1][usize::from(q[1])] += 1;
        h4[2][usize::from(q[2])] += 1;
        h4[3][usize::from(q[3])] += 1;
    }
    for &b in quads.remainder() {
        h4[0][usize::from(b)] += 1;
    }
    costs_from_counts(&h4, data.len())
}

/// The costs of four partial histograms that together counted `n` bytes.
fn costs_from_counts(h4: &[[u32; 256]; 4], n: usize) -> [u16; 256] {
    let total = log2_16(u32::try_from(n).unwrap_or(u32::MAX));
    let mut cost = [0u16; 256];
    for (i, c) in cost.iter_mut().enumerate() {
        let h = h4[0][i] + h4[1][i] + h4[2][i] + h4[3][i];
        *c = total.saturating_sub(log2_16(h)).clamp(16, MAX_LIT_COST) as u16;
    }
    cost
}

/// Prefix sums of the estimated literal costs: `pre[i]` = cost of `data[..i]` (1/16 bit),
/// so any run of literals costs one subtraction.
pub(crate) fn literal_prefix(data: &[u8], pre: &mut Vec<i32>) {
    let cost = literal_costs(data);
    pre.clear();
    pre.resize(data.len() + 1, 0);
    let mut acc = 0i32;
    for (p, &b) in pre[1..].iter_mut().zip(data) {
        acc += i32::from(cost[usize::from(b)]);
        *p = acc;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_16_is_monotone_and_close() {
        let mut prev = 0;
        for v in 1..100_000u32 {
            let x = log2_16(v);
            assert!(x >= prev);
            prev = x;
            let exact = 16.0 * f64::from(v).log2();
            // Linear fraction (error <= 0.09 bit) truncated to 1/16 bit.
            assert!((f64::from(x) - exact).abs() <= 2.5, "{v}: {x} vs {exact}");
        }
    }

    #[test]
    fn prefix_sums_add_the_costs() {
        let data = b"aaaaaaaabbbbcc d";
        let cost = literal_costs(data);
        assert!(cost[usize::from(b'a')] < cost[usize::from(b'b')]);
        assert!(cost[usize::from(b'b')] < cost[usize::from(b'd')]);
        let mut pre = Vec::new();
        literal_prefix(data, &mut pre);
        assert_eq!(pre.len(), data.len() + 1);
        for i in 0..data.len() {
            assert_eq!(pre[i + 1] - pre[i], i32::from(cost[usize::from(data[i])]));
        }
    }
}
