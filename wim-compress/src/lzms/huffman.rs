//! The five adaptive LZMS Huffman codes (`codecs.md` §4.6).
//!
//! Encoder and decoder rebuild every code from symbol frequencies at fixed intervals, so
//! the construction must be bit-identical to the encoder's:
//!
//! 1. order the symbols by (frequency, symbol) ascending — a stable counting sort for small
//!    frequencies, a comparison sort for the few large ones;
//! 2. build the tree with two FIFOs (leaves, internal nodes), taking a leaf on ties;
//! 3. count leaves per depth, then hand out lengths by count along the sorted order, the
//!    deepest first;
//! 4. assign canonical codewords (length, symbol) and fill a two-level decode table.
//!
//! Nothing is allocated after construction: every scratch array is sized for the
//! alphabet once.

use super::bitstream::BackReader;
use super::constants::*;
use crate::DecompressError;

/// Frequencies below this are sorted by counting; larger ones by comparison.
const COUNT_BUCKETS: usize = 256;

/// Flag in a table entry: the entry links to a subtable.
const SUBTABLE_FLAG: u32 = 0x80;

/// Size of a decode table for `n` symbols and a `bits`-bit root: the root plus room for
/// subtables (together they cover at most the 15-bit code space, and there is at most one
/// per symbol, each at most `2^(15 - bits)` entries).
pub(crate) const fn table_size(n: usize, bits: u32) -> usize {
    let sub = n << (MAX_CODEWORD_LEN - bits);
    let cap = 1 << MAX_CODEWORD_LEN;
    (1 << bits) + if sub < cap { sub } else { cap }
}

/// One adaptive code of at most `N` symbols with a `BITS`-bit root table of a `TSIZE`-entry
/// decode table (`TSIZE = table_size(N, BITS)`).
#[derive(Debug)]
pub(crate) struct AdaptiveCode<const N: usize, const BITS: u32, const TSIZE: usize> {
    /// Decode table: root (`1 << BITS` entries) then subtables. Entry layout:
    /// `symbol << 8 | length` for a direct hit; `start << 8 | 0x80 | bits` for a link.
    table: [u32; TSIZE],
    /// Current frequencies (never 0).
    freq: [u32; N],
    /// Symbols left until the next rebuild.
    countdown: u32,
    /// Number of symbols in use for the current chunk.
    num_syms: usize,
    /// Rebuild interval.
    interval: u32,
    /// A rebuild failed during this chunk.
    failed: bool,
    // Scratch for `build`.
    sorted: [u16; N],
    lens: [u8; N],
    node_freq: [u32; N],
    node_parent: [u16; N],
    node_leaves: [u8; N],
    node_depth: [u8; N],
    bucket: [u16; COUNT_BUCKETS + 1],
    big: [u32; N],
    codes: [u32; N],
}

impl<const N: usize, const BITS: u32, const TSIZE: usize> AdaptiveCode<N, BITS, TSIZE> {
    /// Creates a code (on the heap: the tables are large) with rebuild `interval`.
    pub(crate) fn new_boxed(interval: u32) -> Box<Self> {
        Box::new(AdaptiveCode {
            table: [0; TSIZE],
            freq: [1; N],
            countdown: interval,
            num_syms: 0,
            interval,
            failed: false,
            sorted: [0; N],
            lens: [0; N],
            node_freq: [0; N],
            node_parent: [0; N],
            node_leaves: [0; N],
            node_depth: [0; N],
            bucket: [0; COUNT_BUCKETS + 1],
            big: [0; N],
            codes: [0; N],
        })
    }

    /// Resets the code for a chunk using `num_syms` symbols (≤ the maximum).
    pub(crate) fn reset(&mut self, num_syms: usize) -> Result<(), DecompressError> {
        // 7-Zip uses at least 2 symbols; codes of fewer symbols only arise for chunks that
        // are never compressed.
        let n = num_syms.clamp(2, N);
        self.num_syms = n;
        self.failed = false;
        self.freq.fill(1);
        self.countdown = self.interval;
        self.build()
    }

    /// Decodes one symbol from `bits` and updates the code.
    ///
    /// A rebuild that fails (impossible for frequencies any encoder can produce) keeps the
    /// previous, valid table and sets a flag the caller checks after the chunk
    /// ([`Self::failed`]).
    #[inline(always)]
    pub(crate) fn decode(&mut self, bits: &mut BackReader<'_>) -> usize {
        bits.ensure(MAX_CODEWORD_LEN);
        let word = bits.peek_word();
        let root = (word >> (64 - BITS)) as usize;
        let mut e = self.table.get(root).copied().unwrap_or(0);
        if e & SUBTABLE_FLAG != 0 {
            bits.consume(BITS);
            let sub_bits = e & 0xF;
            let idx = (e >> 8) as usize + ((word << BITS) >> (64 - sub_bits)) as usize;
            e = self.table.get(idx).copied().unwrap_or(0);
        }
        bits.consume(e & 0xF);
        let sym = (e >> 8) as usize;
        if let Some(f) = self.freq.get_mut(sym) {
            *f += 1;
        }
        self.countdown -= 1;
        if self.countdown == 0 && self.rebuild().is_err() {
            self.failed = true;
        }
        sym
    }

    /// True if a rebuild failed since the last reset.
    pub(crate) fn failed(&self) -> bool {
        self.failed
    }

    #[cold]
    #[inline(never)]
    fn rebuild(&mut self) -> Result<(), DecompressError> {
        self.build()?;
        self.countdown = self.interval;
        let n = self.num_syms;
        for f in self.freq.iter_mut().take(n) {
            *f = (*f >> 1) + 1;
        }
        Ok(())
    }

    /// Sorts the symbols by (frequency, symbol) into `self.sorted`.
    fn sort_symbols(&mut self) {
        let n = self.num_syms.min(N);
        let freq = &self.freq[..n];
        self.bucket.fill(0);
        for &f in freq {
            let b = (f as usize).min(COUNT_BUCKETS);
            self.bucket[b] += 1;
        }
        let mut acc = 0u16;
        for b in self.bucket.iter_mut() {
            let c = *b;
            *b = acc;
            acc += c;
        }
        let mut nbig = 0usize;
        for (s, &f) in freq.iter().enumerate() {
            let b = f as usize;
            if b < COUNT_BUCKETS {
                let slot = &mut self.bucket[b];
                self.sorted[*slot as usize] = s as u16;
                *slot += 1;
            } else {
                self.big[nbig] = (f << 10) | s as u32;
                nbig += 1;
            }
        }
        if nbig != 0 {
            let big = &mut self.big[..nbig];
            big.sort_unstable();
            let start = self.bucket[COUNT_BUCKETS] as usize;
            for (k, &key) in big.iter().enumerate() {
                self.sorted[start + k] = (key & 0x3FF) as u16;
            }
        }
    }

    /// Builds the code from the current frequencies.
    fn build(&mut self) -> Result<(), DecompressError> {
        let n = self.num_syms;
        if n < 2 || n > N {
            return Err(DecompressError::InvalidHuffmanCode);
        }
        // Frequencies are bounded by a few times the rebuild interval, so the sort keys
        // (freq << 10 | symbol) fit easily; symbols are < 1024.
        self.sort_symbols();

        // Two-queue Huffman tree. Leaves are `sorted[li..]`; internal nodes are
        // `node_*[ii..m]`.
        let mut li = 0usize;
        let mut ii = 0usize;
        let mut m = 0usize;
        while (n - li) + (m - ii) > 1 {
            let mut sum = 0u32;
            let mut leaves = 0u8;
            for _ in 0..2 {
                let take_leaf = li < n
                    && (ii == m || self.freq[self.sorted[li] as usize] <= self.node_freq[ii]);
                if take_leaf {
                    sum += self.freq[self.sorted[li] as usize];
                    li += 1;
                    leaves += 1;
                } else {
                    sum += self.node_freq[ii];
                    self.node_parent[ii] = m as u16;
                    ii += 1;
                }
            }
            self.node_freq[m] = sum;
            self.node_leaves[m] = leaves;
            m += 1;
        }
        // Depths of internal nodes (the root is the last node), then leaf counts per depth.
        let mut len_count = [0u32; MAX_CODEWORD_LEN as usize + 1];
        let root = m - 1;
        self.node_depth[root] = 0;
        for j in (0..root).rev() {
            // Saturate: depths beyond 15 are rejected below anyway.
            self.node_depth[j] = self.node_depth[self.node_parent[j] as usize].saturating_add(1);
        }
        let mut max_len = 0usize;
        for j in 0..m {
            let leaves = self.node_leaves[j];
            if leaves != 0 {
                let d = self.node_depth[j] as usize + 1;
                if d > MAX_CODEWORD_LEN as usize {
                    return Err(DecompressError::InvalidHuffmanCode);
                }
                len_count[d] += u32::from(leaves);
                max_len = max_len.max(d);
            }
        }
        // Lengths by count along the sorted order, deepest first.
        let mut idx = 0usize;
        for len in (1..=max_len).rev() {
            for _ in 0..len_count[len] {
                self.lens[self.sorted[idx] as usize] = len as u8;
                idx += 1;
            }
        }
        self.fill_table(&len_count, max_len)
    }

    /// Fills the decode table from `self.lens` (a complete code).
    #[allow(clippy::needless_range_loop)] // `len` is both an index and a value here
    fn fill_table(
        &mut self,
        len_count: &[u32; MAX_CODEWORD_LEN as usize + 1],
        max_len: usize,
    ) -> Result<(), DecompressError> {
        let n = self.num_syms;
        let k = BITS as usize;
        // Canonical order: counting sort by length, symbols ascending within a length.
        let mut offs = [0u32; MAX_CODEWORD_LEN as usize + 2];
        for len in 1..=MAX_CODEWORD_LEN as usize {
            offs[len + 1] = offs[len] + len_count[len];
        }
        for s in 0..n {
            let len = self.lens[s] as usize;
            let o = &mut offs[len];
            self.sorted[*o as usize] = s as u16;
            *o += 1;
        }
        // Short codewords: consecutive runs in the root table.
        let mut pos = 0usize;
        let mut i = 0usize;
        let root_size = 1usize << k;
        for len in 1..=k.min(max_len) {
            let reps = 1usize << (k - len);
            for _ in 0..len_count[len] {
                let s = self.sorted[i] as u32;
                let end = pos + reps;
                match self.table.get_mut(pos..end) {
                    Some(t) => t.fill((s << 8) | len as u32),
                    None => return Err(DecompressError::InvalidHuffmanCode),
                }
                pos = end;
                i += 1;
            }
        }
        if max_len <= k {
            return if pos == root_size {
                Ok(())
            } else {
                Err(DecompressError::InvalidHuffmanCode)
            };
        }
        // Long codewords: 15-bit left-aligned canonical codes, grouped by root prefix.
        // `pos` is the first root entry not yet used, i.e. (code of the next codeword)
        // left-aligned to k bits.
        let first_long = i;
        let mut code15 = (pos as u32) << (MAX_CODEWORD_LEN as usize - k);
        for len in k + 1..=max_len {
            for _ in 0..len_count[len] {
                self.codes[i] = code15;
                code15 += 1 << (MAX_CODEWORD_LEN as usize - len);
                i += 1;
            }
        }
        if code15 != 1 << MAX_CODEWORD_LEN || i != n {
            return Err(DecompressError::InvalidHuffmanCode);
        }
        let shift = MAX_CODEWORD_LEN as usize - k;
        let mut next_sub = root_size;
        let mut j = first_long;
        while j < n {
            let prefix = self.codes[j] >> shift;
            // The group of symbols sharing this prefix ends at the first different prefix;
            // its last symbol has the longest length.
            let mut g = j;
            while g + 1 < n && self.codes[g + 1] >> shift == prefix {
                g += 1;
            }
            let group_max = self.lens[self.sorted[g] as usize] as usize;
            let sub_bits = group_max - k;
            let sub_size = 1usize << sub_bits;
            match self.table.get_mut(prefix as usize) {
                Some(t) => *t = ((next_sub as u32) << 8) | SUBTABLE_FLAG | sub_bits as u32,
                None => return Err(DecompressError::InvalidHuffmanCode),
            }
            for t in j..=g {
                let s = self.sorted[t] as u32;
                let len = self.lens[s as usize] as usize;
                let rest = (self.codes[t] & ((1 << shift) - 1)) as usize;
                let start = next_sub + (rest >> (MAX_CODEWORD_LEN as usize - group_max));
                let reps = 1usize << (group_max - len);
                match self.table.get_mut(start..start + reps) {
                    Some(tb) => tb.fill((s << 8) | (len - k) as u32),
                    None => return Err(DecompressError::InvalidHuffmanCode),
                }
            }
            next_sub += sub_size;
            j = g + 1;
        }
        Ok(())
    }

    /// The current codeword length of every symbol (tests only).
    #[cfg(test)]
    pub(crate) fn lengths(&self) -> &[u8] {
        &self.lens[..self.num_syms]
    }

    /// Sets the frequencies directly (tests only).
    #[cfg(test)]
    pub(crate) fn set_freqs_and_build(&mut self, f: &[u32]) -> Result<(), DecompressError> {
        self.num_syms = f.len();
        self.freq.fill(1);
        self.freq[..f.len()].copy_from_slice(f);
        self.build()
    }
}

/// Encoder side (`compress.rs`): the same life cycle as [`AdaptiveCode::decode`], driven by
/// the symbols the encoder codes, so both ends rebuild bit-identical codes.
impl<const N: usize, const BITS: u32, const TSIZE: usize> AdaptiveCode<N, BITS, TSIZE> {
    /// Counts one coded symbol and rebuilds on schedule; returns true if the code changed.
    #[inline]
    pub(crate) fn record(&mut self, sym: usize) -> bool {
        if let Some(f) = self.freq.get_mut(sym) {
            *f += 1;
        }
        self.countdown -= 1;
        if self.countdown == 0 {
            if self.rebuild().is_err() {
                self.failed = true;
            }
            return true;
        }
        false
    }

    /// The current codeword length of every symbol in use.
    pub(crate) fn code_lens(&self) -> &[u8] {
        &self.lens[..self.num_syms.min(N)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Straightforward reference of §4.6's construction.
    fn reference_lengths(freq: &[u32]) -> Vec<u8> {
        let n = freq.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&s| (freq[s], s));
        // Nodes: (freq, children) ; depth computed via explicit tree.
        #[derive(Clone)]
        struct Node {
            f: u32,
            kids: Vec<usize>,
            leaf: Option<usize>,
        }
        let mut nodes: Vec<Node> = order
            .iter()
            .map(|&s| Node {
                f: freq[s],
                kids: vec![],
                leaf: Some(s),
            })
            .collect();
        let mut leaves: std::collections::VecDeque<usize> = (0..n).collect();
        let mut internal: std::collections::VecDeque<usize> = Default::default();
        while leaves.len() + internal.len() > 1 {
            let mut pick = vec![];
            for _ in 0..2 {
                let take_leaf = !leaves.is_empty()
                    && (internal.is_empty()
                        || nodes[*leaves.front().unwrap()].f
                            <= nodes[*internal.front().unwrap()].f);
                if take_leaf {
                    pick.push(leaves.pop_front().unwrap());
                } else {
                    pick.push(internal.pop_front().unwrap());
                }
            }
            let f = nodes[pick[0]].f + nodes[pick[1]].f;
            nodes.push(Node {
                f,
                kids: pick,
                leaf: None,
            });
            internal.push_back(nodes.len() - 1);
        }
        let mut cnt = vec![0usize; 64];
        let mut stack = vec![(nodes.len() - 1, 0usize)];
        while let Some((i, d)) = stack.pop() {
            if nodes[i].leaf.is_some() {
                cnt[d] += 1;
            }
            for &k in &nodes[i].kids {
                stack.push((k, d + 1));
            }
        }
        let mut lens = vec![0u8; n];
        let mut idx = 0;
        for d in (1..64).rev() {
            for _ in 0..cnt[d] {
                lens[order[idx]] = d as u8;
                idx += 1;
            }
        }
        lens
    }

    /// Decodes a canonical code by brute force to check the table.
    fn canonical_codes(lens: &[u8]) -> Vec<(u32, u8)> {
        let mut order: Vec<usize> = (0..lens.len()).collect();
        order.sort_by_key(|&s| (lens[s], s));
        let mut out = vec![(0u32, 0u8); lens.len()];
        let mut code = 0u32;
        let mut prev = lens[order[0]];
        for (k, &s) in order.iter().enumerate() {
            if k > 0 {
                code = (code + 1) << (lens[s] - prev);
            }
            prev = lens[s];
            out[s] = (code, lens[s]);
        }
        out
    }

    fn check<const N: usize, const B: u32, const T: usize>(freq: &[u32]) {
        let bits = B;
        let mut c = AdaptiveCode::<N, B, T>::new_boxed(1024);
        let want = reference_lengths(freq);
        if want.iter().any(|&l| l > 15) {
            // Not reachable from real frequency histories; must be refused, not mis-built.
            assert_eq!(
                c.set_freqs_and_build(freq),
                Err(DecompressError::InvalidHuffmanCode)
            );
            return;
        }
        c.set_freqs_and_build(freq).unwrap();
        assert_eq!(c.lengths(), &reference_lengths(freq)[..], "freq {freq:?}");
        // Every symbol decodes from its codeword followed by arbitrary bits.
        for (s, &(code, len)) in canonical_codes(c.lengths()).iter().enumerate() {
            for tail in [0u64, u64::MAX] {
                let word = (u64::from(code) << (64 - len)) | (tail >> len);
                let root = (word >> (64 - bits)) as usize;
                let mut e = c.table[root];
                let mut used = 0;
                if e & SUBTABLE_FLAG != 0 {
                    used = bits;
                    let sb = e & 0xF;
                    let idx = (e >> 8) as usize + ((word << bits) >> (64 - sb)) as usize;
                    e = c.table[idx];
                }
                assert_eq!((e >> 8) as usize, s);
                assert_eq!(used + (e & 0xF), u32::from(len));
            }
        }
    }

    #[test]
    fn builds_like_reference() {
        check::<8, 7, { table_size(8, 7) }>(&[1, 1]);
        check::<8, 7, { table_size(8, 7) }>(&[1, 1, 1]);
        check::<8, 7, { table_size(8, 7) }>(&[5, 1, 1, 3, 2, 2, 2, 9]);
        check::<256, 10, { table_size(256, 10) }>(&[1; 256]);
        check::<799, 10, { table_size(799, 10) }>(&[1; 799]);
        // Fibonacci-like frequencies make a deep tree (exercise subtables).
        let mut f = vec![1u32, 1];
        while f.len() < 15 {
            let l = f.len();
            f.push(f[l - 1] + f[l - 2]);
        }
        check::<54, 7, { table_size(54, 7) }>(&f);
        check::<54, 10, { table_size(54, 10) }>(&f);
        let mut seed = 12345u64;
        let mut built = 0;
        for round in 0..400 {
            let n = [8usize, 54, 256, 799][round % 4];
            let f: Vec<u32> = (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let r = seed % 100;
                    if n == 799 && round % 8 != 3 {
                        // Narrow range: buildable within 15 bits, deep enough for subtables.
                        1 + (seed >> 20) as u32 % 40
                    } else if r < 50 {
                        1 + (seed >> 20) as u32 % 4
                    } else if r < 95 {
                        1 + (seed >> 20) as u32 % 300
                    } else {
                        1 + (seed >> 20) as u32 % 2000
                    }
                })
                .collect();
            if reference_lengths(&f).iter().all(|&l| l <= 15) {
                built += 1;
            }
            match round % 8 {
                0 => check::<8, 7, { table_size(8, 7) }>(&f),
                1 => check::<54, 9, { table_size(54, 9) }>(&f),
                2 => check::<256, 10, { table_size(256, 10) }>(&f),
                3 => check::<799, 10, { table_size(799, 10) }>(&f),
                4 => check::<8, 2, { table_size(8, 2) }>(&f),
                5 => check::<54, 4, { table_size(54, 4) }>(&f),
                6 => check::<256, 8, { table_size(256, 8) }>(&f),
                _ => check::<799, 11, { table_size(799, 11) }>(&f),
            }
        }
        assert!(built > 340, "only {built} random codes were buildable");
    }

    #[test]
    fn initial_literal_code_is_identity() {
        // All frequencies 1: every literal gets 8 bits and codeword == byte value (§4.2).
        let mut c = AdaptiveCode::<256, 10, { table_size(256, 10) }>::new_boxed(1024);
        c.reset(256).unwrap();
        assert!(c.lengths().iter().all(|&l| l == 8));
        for (s, &(code, _)) in canonical_codes(c.lengths()).iter().enumerate() {
            assert_eq!(code as usize, s);
        }
    }
}

/// The literal code.
pub(crate) type LiteralCode = AdaptiveCode<
    NUM_LITERAL_SYMS,
    LITERAL_TABLE_BITS,
    { table_size(NUM_LITERAL_SYMS, LITERAL_TABLE_BITS) },
>;
/// An offset-slot code (LZ or delta).
pub(crate) type OffsetCode = AdaptiveCode<
    MAX_NUM_OFFSET_SLOTS,
    OFFSET_TABLE_BITS,
    { table_size(MAX_NUM_OFFSET_SLOTS, OFFSET_TABLE_BITS) },
>;
/// The length-slot code.
pub(crate) type LengthCode = AdaptiveCode<
    NUM_LEN_SLOTS,
    LENGTH_TABLE_BITS,
    { table_size(NUM_LEN_SLOTS, LENGTH_TABLE_BITS) },
>;
/// The delta-power code.
pub(crate) type PowerCode = AdaptiveCode<
    NUM_DELTA_POWER_SYMS,
    DELTA_POWER_TABLE_BITS,
    { table_size(NUM_DELTA_POWER_SYMS, DELTA_POWER_TABLE_BITS) },
>;

/// The five adaptive codes of one chunk (§4.6), shared by the encoder and the decoder.
#[derive(Debug)]
pub(crate) struct Codes {
    pub(crate) literal: Box<LiteralCode>,
    pub(crate) lz_offset: Box<OffsetCode>,
    pub(crate) length: Box<LengthCode>,
    pub(crate) delta_offset: Box<OffsetCode>,
    pub(crate) delta_power: Box<PowerCode>,
}

impl Codes {
    pub(crate) fn new() -> Self {
        Codes {
            literal: LiteralCode::new_boxed(LITERAL_REBUILD),
            lz_offset: OffsetCode::new_boxed(LZ_OFFSET_REBUILD),
            length: LengthCode::new_boxed(LENGTH_REBUILD),
            delta_offset: OffsetCode::new_boxed(DELTA_OFFSET_REBUILD),
            delta_power: PowerCode::new_boxed(DELTA_POWER_REBUILD),
        }
    }

    /// Puts the five codes in their initial state for a chunk of `n` bytes (the offset
    /// codes' alphabet depends on the chunk size).
    pub(crate) fn reset(&mut self, n: usize) -> Result<(), DecompressError> {
        let n_off = num_offset_slots(n);
        self.literal.reset(NUM_LITERAL_SYMS)?;
        self.lz_offset.reset(n_off)?;
        self.length.reset(NUM_LEN_SLOTS)?;
        self.delta_offset.reset(n_off)?;
        self.delta_power.reset(NUM_DELTA_POWER_SYMS)?;
        Ok(())
    }

    /// True if any code failed to build (a decoder's corrupt-input signal).
    pub(crate) fn failed(&self) -> bool {
        self.literal.failed()
            || self.lz_offset.failed()
            || self.length.failed()
            || self.delta_offset.failed()
            || self.delta_power.failed()
    }
}
