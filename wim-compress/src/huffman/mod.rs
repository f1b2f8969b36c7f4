//! Canonical Huffman codes (codecs.md §1.3): table-driven decoding.
//!
//! # Decode tables
//!
//! [`DecodeTable<ROOT, SIZE>`] is a two-level lookup table. The root level is indexed by the
//! next `ROOT` bits of the stream (MSB-first). A root entry either gives a symbol and its
//! codeword length directly, or links to a sub-table indexed by the next `b` bits after the
//! root bits, where `b` is the depth of the longest codeword below that root prefix.
//!
//! Entry layout (`u32`): bits 0–7 = bits to consume, bit 15 = link flag, bits 8–12 = sub-table
//! index width (links only), bits 16–31 = symbol (or sub-table start for links).
//!
//! `SIZE` must be a power of two at least [`table_size_bound`]`(num_syms, ROOT, max_len)`;
//! indices are masked with `SIZE − 1`, which lets the compiler drop bounds checks, and the
//! builder still refuses (with an error) to write beyond `SIZE`.
//!
//! # Validity
//!
//! [`DecodeTable::build`] accepts exactly the complete codes (Kraft sum 1). Over-subscribed and
//! incomplete codes — including a single length-1 symbol — are rejected. An all-zero length
//! list is rejected unless `allow_empty` is set (LZX length and aligned codes); an empty table
//! decodes every bit pattern to [`EMPTY_SYMBOL`] without consuming bits, so callers detect its
//! use with their ordinary symbol range check.

pub(crate) mod build;
pub(crate) mod estimate;

use crate::DecompressError;
use crate::bits::BitReader;

/// Symbol returned when decoding with a table built from an empty code.
pub(crate) const EMPTY_SYMBOL: u32 = 0xFFFF;

/// Largest codeword length supported by [`DecodeTable`].
pub(crate) const MAX_SUPPORTED_LEN: u32 = 24;

const LINK: u32 = 1 << 15;

/// Upper bound on the table entries needed by any complete code with `num_syms` symbols,
/// codeword lengths ≤ `max_len` and `root` root bits.
///
/// A sub-table of width `b` serves one root prefix whose (complete) subtree has a leaf at
/// depth `b`, so it holds at least `b + 1` symbols; the bound greedily spends symbols on the
/// widest sub-tables, which have the largest entries-per-symbol ratio.
pub(crate) const fn table_size_bound(num_syms: usize, root: u32, max_len: u32) -> usize {
    let mut total = 1usize << root;
    if max_len <= root {
        return total;
    }
    let mut left = num_syms;
    let mut b = max_len - root;
    let mut tables = 0usize;
    while b >= 1 {
        while left > b as usize && tables < (1usize << root) {
            total += 1usize << b;
            left -= b as usize + 1;
            tables += 1;
        }
        b -= 1;
    }
    total
}

/// A canonical-Huffman decode table with `ROOT` root bits and `SIZE` entries.
#[derive(Debug, Clone)]
pub(crate) struct DecodeTable<const ROOT: u32, const SIZE: usize> {
    entries: Box<[u32; SIZE]>,
    /// Scratch: symbols sorted by (length, value).
    sorted: Vec<u16>,
}

impl<const ROOT: u32, const SIZE: usize> DecodeTable<ROOT, SIZE> {
    const CHECK: () = assert!(SIZE.is_power_of_two() && SIZE >= (1 << ROOT) && ROOT <= 16);

    /// An empty table (decodes [`EMPTY_SYMBOL`] until built).
    pub(crate) fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CHECK;
        DecodeTable {
            entries: Box::new([EMPTY_SYMBOL << 16; SIZE]),
            sorted: Vec::new(),
        }
    }

    /// Builds the table from per-symbol codeword lengths (0 = absent).
    ///
    /// Returns `Ok(true)` for a complete code, `Ok(false)` for an empty code when
    /// `allow_empty`, and [`DecompressError::InvalidHuffmanCode`] for over-subscribed,
    /// incomplete, or (without `allow_empty`) empty codes, lengths above `max_len`, more than
    /// 65 535 symbols, or a code that would not fit in `SIZE` entries.
    pub(crate) fn build(
        &mut self,
        lens: &[u8],
        max_len: u32,
        allow_empty: bool,
    ) -> Result<bool, DecompressError> {
        let bad = DecompressError::InvalidHuffmanCode;
        if max_len == 0 || max_len > MAX_SUPPORTED_LEN || lens.len() >= EMPTY_SYMBOL as usize {
            return Err(bad);
        }
        let ml = max_len as usize;
        let mut count = [0u32; MAX_SUPPORTED_LEN as usize + 2];
        for &l in lens {
            if u32::from(l) > max_len {
                return Err(bad);
            }
            count[l as usize] += 1;
        }
        count[0] = 0;
        // Kraft check.
        let mut left: i64 = 1;
        for &c in &count[1..=ml] {
            left = (left << 1) - i64::from(c);
            if left < 0 {
                return Err(bad); // over-subscribed
            }
        }
        if left != 0 {
            if left == 1i64 << ml && allow_empty {
                self.entries[..1 << ROOT].fill(EMPTY_SYMBOL << 16);
                return Ok(false);
            }
            return Err(bad); // incomplete or empty
        }
        // Sort symbols by (length, value).
        let mut offs = [0u32; MAX_SUPPORTED_LEN as usize + 2];
        for l in 1..=ml {
            offs[l + 1] = offs[l] + count[l];
        }
        let n_used = offs[ml + 1] as usize;
        self.sorted.clear();
        self.sorted.resize(n_used, 0);
        for (s, &l) in lens.iter().enumerate() {
            if l != 0 {
                let o = &mut offs[l as usize];
                if let Some(slot) = self.sorted.get_mut(*o as usize) {
                    *slot = s as u16;
                }
                *o += 1;
            }
        }
        let root = ROOT as usize;
        let e = &mut self.entries;
        let mut code: usize = 0; // canonical codeword of the current length
        let mut idx = 0usize; // into `sorted`
        // Short codewords: fill the root directly.
        let short_max = ml.min(root);
        #[allow(clippy::needless_range_loop)]
        for len in 1..=short_max {
            let stride = 1usize << (root - len);
            for _ in 0..count[len] {
                let sym = u32::from(self.sorted.get(idx).copied().unwrap_or(0));
                let start = code << (root - len);
                let slot = e.get_mut(start..start + stride).ok_or(bad)?;
                slot.fill((sym << 16) | len as u32);
                code += 1;
                idx += 1;
            }
            code <<= 1;
        }
        if ml <= root {
            return Ok(true);
        }
        // `code` is now the first codeword of length root + 1.
        let mut next_free = 1usize << root;
        let mut cur_prefix = usize::MAX;
        let mut sub_base = 0usize;
        let mut sub_bits = 0usize;
        for len in root + 1..=ml {
            let extra = len - root;
            for placed in 0..count[len] as usize {
                let sym = u32::from(self.sorted.get(idx).copied().unwrap_or(0));
                let prefix = code >> extra;
                if prefix != cur_prefix {
                    // Width of the sub-table: grow until the subtree is full.
                    let mut b = extra;
                    let mut space: i64 = 1 << extra;
                    let mut remaining = i64::from(count[len]) - placed as i64;
                    loop {
                        space -= remaining;
                        if space <= 0 || root + b >= ml {
                            break;
                        }
                        b += 1;
                        space <<= 1;
                        remaining = i64::from(count[root + b]);
                    }
                    let size = 1usize << b;
                    if next_free + size > SIZE || next_free > 0xFFFF {
                        return Err(bad);
                    }
                    *e.get_mut(prefix).ok_or(bad)? =
                        ((next_free as u32) << 16) | LINK | ((b as u32) << 8) | ROOT;
                    cur_prefix = prefix;
                    sub_base = next_free;
                    sub_bits = b;
                    next_free += size;
                }
                let low = code & ((1usize << extra) - 1);
                let shift = sub_bits - extra;
                let start = sub_base + (low << shift);
                let slot = e.get_mut(start..start + (1usize << shift)).ok_or(bad)?;
                slot.fill((sym << 16) | extra as u32);
                code += 1;
                idx += 1;
            }
            code <<= 1;
        }
        Ok(true)
    }

    /// The root entry for the next `ROOT` bits of `br` when it holds a whole codeword:
    /// `Some((symbol, codeword length))`; `None` for a link to a sub-table. Valid only
    /// when `br` holds at least `ROOT` bits; lets callers start the table load before a
    /// refill (which never changes the buffered bits) and consume after it.
    #[inline(always)]
    pub(crate) fn peek_root(&self, br: &BitReader<'_>) -> Option<(u32, u32)> {
        let e = self.entries[br.peek(ROOT) as usize & (SIZE - 1)];
        (e & LINK == 0).then_some((e >> 16, e & 0xFF))
    }

    /// Decodes one symbol. Requires at least `max_len` buffered bits in `br`.
    #[inline(always)]
    pub(crate) fn decode(&self, br: &mut BitReader<'_>) -> u32 {
        let e = self.entries[br.peek(ROOT) as usize & (SIZE - 1)];
        if e & LINK == 0 {
            br.consume(e & 0xFF);
            e >> 16
        } else {
            br.consume(ROOT);
            let b = (e >> 8) & 0x1F;
            // Links always have b >= 1 (the builder never makes a 0-bit sub-table).
            let i = (e >> 16) as usize + br.peek(b) as usize;
            let e2 = self.entries[i & (SIZE - 1)];
            br.consume(e2 & 0xFF);
            e2 >> 16
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(lens: &[u8]) -> Vec<(u32, u32)> {
        // canonical codewords (code, len) per symbol
        let max = *lens.iter().max().unwrap() as usize;
        let mut count = vec![0u32; max + 2];
        for &l in lens {
            count[l as usize] += 1;
        }
        count[0] = 0;
        let mut first = vec![0u32; max + 2];
        for l in 2..=max {
            first[l] = (first[l - 1] + count[l - 1]) << 1;
        }
        let mut next = first.clone();
        lens.iter()
            .map(|&l| {
                if l == 0 {
                    (0, 0)
                } else {
                    let c = next[l as usize];
                    next[l as usize] += 1;
                    (c, l as u32)
                }
            })
            .collect()
    }

    fn roundtrip<const R: u32, const S: usize>(lens: &[u8], max_len: u32) {
        let codes = encode(lens);
        let mut t = DecodeTable::<R, S>::new();
        assert_eq!(t.build(lens, max_len, false), Ok(true));
        for (sym, &(c, l)) in codes.iter().enumerate() {
            if l == 0 {
                continue;
            }
            // Put the codeword in the top bits of a 4-unit stream, followed by 1 bits.
            let v: u64 = ((c as u64) << (64 - l)) | (u64::MAX >> l);
            let mut bytes = Vec::new();
            for k in 0..4 {
                let unit = (v >> (48 - 16 * k)) as u16;
                bytes.extend_from_slice(&unit.to_le_bytes());
            }
            let mut br = BitReader::new(&bytes, 0);
            br.refill();
            let before = br.available();
            let want_root = (l <= R).then_some((sym as u32, l));
            assert_eq!(t.peek_root(&br), want_root, "peek_root sym {sym}");
            assert_eq!(t.decode(&mut br), sym as u32);
            assert_eq!(before - br.available(), l);
        }
    }

    #[test]
    fn decodes_every_symbol_of_various_codes() {
        // flat 8-bit code
        roundtrip::<6, 1024>(&[8u8; 256], 8);
        // skewed code with long codewords: lengths 1,2,...,15,15
        let mut lens: Vec<u8> = (1..=15).collect();
        lens.push(15);
        roundtrip::<6, 1024>(&lens, 15);
        roundtrip::<11, 4096>(&lens, 15);
        // mixed: 2 of length 2, 1 of length 3, and the rest deep
        let mut lens = vec![2u8, 2, 2, 3];
        lens.extend((4..=16).map(|l| l as u8));
        lens.push(16);
        roundtrip::<9, 1024>(&lens, 16);
        roundtrip::<4, 8192>(&lens, 16);
    }

    #[test]
    fn rejects_invalid_codes() {
        let mut t = DecodeTable::<6, 64>::new();
        let e = Err(DecompressError::InvalidHuffmanCode);
        assert_eq!(t.build(&[1, 1, 1], 7, false), e); // over-subscribed
        assert_eq!(t.build(&[1, 0, 0], 7, false), e); // single length-1 symbol
        assert_eq!(t.build(&[1, 2, 0], 7, false), e); // incomplete
        assert_eq!(t.build(&[0, 0, 0], 7, false), e); // empty, not allowed
        assert_eq!(t.build(&[0, 0, 0], 7, true), Ok(false));
        assert_eq!(t.build(&[1, 9, 9], 7, false), e); // too long
        assert_eq!(t.build(&[1, 1], 7, false), Ok(true));
        let bytes = [0u8; 8];
        let mut t2 = DecodeTable::<6, 64>::new();
        t2.build(&[0, 0], 7, true).unwrap();
        let mut br = BitReader::new(&bytes, 0);
        br.refill();
        assert_eq!(t2.decode(&mut br), EMPTY_SYMBOL);
    }

    #[test]
    fn size_bounds_hold_for_codec_tables() {
        assert!(table_size_bound(512, 11, 15) <= 4096);
        assert!(table_size_bound(656, 11, 16) <= 8192);
        assert!(table_size_bound(249, 10, 16) <= 4096);
        assert!(table_size_bound(20, 8, 15) <= 1024);
        assert!(table_size_bound(8, 7, 7) <= 128);
    }
}
