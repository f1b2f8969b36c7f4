//! LZX chunk decoder (codecs.md §3.3–3.11).

use super::constants::*;
use super::e8;
use crate::bits::BitReader;
use crate::bits::copy::copy_match;
use crate::huffman::{DecodeTable, table_size_bound};
use crate::{DecompressError, Decompressor};

const MAIN_ROOT: u32 = 11;
const MAIN_SIZE: usize = 8192; // ≥ table_size_bound(656, 11, 16)
const LEN_ROOT: u32 = 10;
const LEN_SIZE: usize = 4096; // ≥ table_size_bound(249, 10, 16)
const ALIGNED_ROOT: u32 = 7;
const ALIGNED_SIZE: usize = 128;
const PRE_ROOT: u32 = 8;
const PRE_SIZE: usize = 1024; // ≥ table_size_bound(20, 8, 15)

const _: () = {
    assert!(table_size_bound(MAX_MAIN_SYMBOLS, MAIN_ROOT, MAX_MAIN_LEN) <= MAIN_SIZE);
    assert!(table_size_bound(NUM_LEN_SYMBOLS, LEN_ROOT, MAX_LEN_LEN) <= LEN_SIZE);
    assert!(table_size_bound(NUM_ALIGNED_SYMBOLS, ALIGNED_ROOT, MAX_ALIGNED_LEN) <= ALIGNED_SIZE);
    assert!(table_size_bound(NUM_PRE_SYMBOLS, PRE_ROOT, MAX_PRE_LEN) <= PRE_SIZE);
};

type PreTable = DecodeTable<PRE_ROOT, PRE_SIZE>;

const BLOCK_VERBATIM: u32 = 1;
const BLOCK_ALIGNED: u32 = 2;
const BLOCK_UNCOMPRESSED: u32 = 3;

/// A reusable LZX (WIM) decoding context.
///
/// The window given to [`LzxDecompressor::new`] is the *resource's* chunk size: it fixes the
/// main alphabet and the block-size field width, also for a short last chunk.
///
/// ```
/// use wim_compress::Decompressor;
/// use wim_compress::lzx::LzxDecompressor;
/// // codecs.md §3.9: an uncompressed block holding "abc".
/// let chunk = [
///     0x00, 0x60, 0x00, 0x30, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0x61, 0x62, 0x63, 0,
/// ];
/// let mut d = LzxDecompressor::new(32768).unwrap();
/// let mut out = [0u8; 3];
/// d.decompress(&chunk, &mut out).unwrap();
/// assert_eq!(&out, b"abc");
/// ```
#[derive(Debug)]
pub struct LzxDecompressor {
    window: usize,
    order: u32,
    num_main: usize,
    main: DecodeTable<MAIN_ROOT, MAIN_SIZE>,
    len: DecodeTable<LEN_ROOT, LEN_SIZE>,
    aligned: DecodeTable<ALIGNED_ROOT, ALIGNED_SIZE>,
    pre: PreTable,
    main_lens: [u8; MAX_MAIN_SYMBOLS],
    len_lens: [u8; NUM_LEN_SYMBOLS],
}

impl LzxDecompressor {
    /// Creates a context for a resource whose chunk size is `window` (a power of two from
    /// 32 KiB to 2 MiB).
    pub fn new(window: usize) -> Result<Self, DecompressError> {
        if !window.is_power_of_two()
            || !((1 << MIN_WINDOW_ORDER)..=(1 << MAX_WINDOW_ORDER)).contains(&window)
        {
            return Err(DecompressError::BadChunkSize);
        }
        let order = window.trailing_zeros();
        Ok(Self {
            window,
            order,
            num_main: NUM_CHARS + NUM_LEN_HEADERS * num_offset_slots(order),
            main: DecodeTable::new(),
            len: DecodeTable::new(),
            aligned: DecodeTable::new(),
            pre: DecodeTable::new(),
            main_lens: [0; MAX_MAIN_SYMBOLS],
            len_lens: [0; NUM_LEN_SYMBOLS],
        })
    }
}

impl Decompressor for LzxDecompressor {
    fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<(), DecompressError> {
        if dst.len() > self.window {
            return Err(DecompressError::OutputTooLarge);
        }
        self.main_lens.fill(0);
        self.len_lens.fill(0);
        let n = dst.len();
        let mut br = BitReader::new(src, 0);
        let mut recent = [1usize; 3];
        let mut pos = 0usize;
        let mut maybe_e8 = false;
        while pos < n {
            br.refill();
            let block_type = br.bits(3);
            let size = if br.bits(1) == 1 {
                DEFAULT_BLOCK_SIZE
            } else if self.order == MIN_WINDOW_ORDER {
                br.bits(16) as usize
            } else {
                br.bits(24) as usize
            };
            if size == 0 || size > n - pos {
                return Err(DecompressError::InvalidBlock);
            }
            let end = pos + size;
            match block_type {
                BLOCK_VERBATIM | BLOCK_ALIGNED => {
                    let aligned = block_type == BLOCK_ALIGNED;
                    if aligned {
                        let mut al = [0u8; NUM_ALIGNED_SYMBOLS];
                        br.refill();
                        for l in &mut al {
                            *l = br.bits(3) as u8;
                        }
                        self.aligned.build(&al, MAX_ALIGNED_LEN, true)?;
                    }
                    let num_main = self.num_main;
                    let (lits, rest) = self.main_lens.split_at_mut(NUM_CHARS);
                    read_lens(&mut br, &mut self.pre, lits)?;
                    read_lens(
                        &mut br,
                        &mut self.pre,
                        rest.get_mut(..num_main - NUM_CHARS).unwrap_or_default(),
                    )?;
                    self.main.build(
                        self.main_lens.get(..num_main).unwrap_or_default(),
                        MAX_MAIN_LEN,
                        false,
                    )?;
                    read_lens(&mut br, &mut self.pre, &mut self.len_lens)?;
                    self.len.build(&self.len_lens, MAX_LEN_LEN, true)?;
                    maybe_e8 |= self.main_lens[0xE8] != 0;
                    let tables = Tables {
                        main: &self.main,
                        len: &self.len,
                        aligned: &self.aligned,
                    };
                    pos = if aligned {
                        decode_items::<true>(&mut br, &tables, dst, pos, end, &mut recent)?
                    } else {
                        decode_items::<false>(&mut br, &tables, dst, pos, end, &mut recent)?
                    };
                }
                BLOCK_UNCOMPRESSED => {
                    maybe_e8 = true;
                    // Realign: skip 1..16 bits to the next unit boundary (§3.9).
                    let start = (br.consumed_bits() / 16 + 1) * 2;
                    let hdr = src
                        .get(start..start + 12)
                        .ok_or(DecompressError::TruncatedInput)?;
                    for (r, b) in recent.iter_mut().zip(hdr.chunks_exact(4)) {
                        let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
                        if v == 0 {
                            return Err(DecompressError::InvalidBlock);
                        }
                        *r = v;
                    }
                    let data_start = start + 12;
                    let data = src
                        .get(data_start..data_start + size)
                        .ok_or(DecompressError::TruncatedInput)?;
                    dst[pos..end].copy_from_slice(data);
                    pos = end;
                    // Skip the pad byte after odd sizes (tolerate its absence at the very end).
                    let next = (data_start + size + (size & 1)).min(src.len());
                    br.restart_at(next);
                }
                _ => return Err(DecompressError::InvalidBlock),
            }
        }
        if br.overran() {
            return Err(DecompressError::TruncatedInput);
        }
        if maybe_e8 {
            e8::untranslate(dst);
        }
        Ok(())
    }
}

struct Tables<'t> {
    main: &'t DecodeTable<MAIN_ROOT, MAIN_SIZE>,
    len: &'t DecodeTable<LEN_ROOT, LEN_SIZE>,
    aligned: &'t DecodeTable<ALIGNED_ROOT, ALIGNED_SIZE>,
}

/// Reads a pretree and one delta-coded length sequence into `lens` (§3.4).
fn read_lens(
    br: &mut BitReader<'_>,
    pre: &mut PreTable,
    lens: &mut [u8],
) -> Result<(), DecompressError> {
    let mut pl = [0u8; NUM_PRE_SYMBOLS];
    for chunk in pl.chunks_mut(10) {
        br.refill();
        for l in chunk {
            *l = br.bits(4) as u8;
        }
    }
    pre.build(&pl, MAX_PRE_LEN, false)?;
    let n = lens.len();
    let mut i = 0usize;
    while i < n {
        // ≥ 49 bits cover the longest item: 15 + 1 + 15.
        br.refill();
        let s = pre.decode(br);
        match s {
            0..=16 => {
                lens[i] = ((u32::from(lens[i]) + 17 - s) % 17) as u8;
                i += 1;
            }
            17 | 18 => {
                let run = if s == 17 {
                    4 + br.bits(4) as usize
                } else {
                    20 + br.bits(5) as usize
                };
                let slot = lens
                    .get_mut(i..i + run)
                    .ok_or(DecompressError::InvalidSymbol)?;
                slot.fill(0);
                i += run;
            }
            19 => {
                let run = 4 + br.bits(1) as usize;
                let d = pre.decode(br);
                if d > 16 {
                    return Err(DecompressError::InvalidSymbol);
                }
                let v = ((u32::from(lens[i]) + 17 - d) % 17) as u8;
                let slot = lens
                    .get_mut(i..i + run)
                    .ok_or(DecompressError::InvalidSymbol)?;
                slot.fill(v);
                i += run;
            }
            _ => return Err(DecompressError::InvalidSymbol),
        }
    }
    Ok(())
}

/// `if c { a } else { b }`, meant to compile to a conditional move.
#[inline(always)]
fn select(c: bool, a: usize, b: usize) -> usize {
    let m = (c as usize).wrapping_neg();
    (a & m) | (b & !m)
}

/// Decodes the items of a verbatim or aligned block into `dst[pos..end]`.
#[inline(never)]
fn decode_items<const ALIGNED: bool>(
    br_out: &mut BitReader<'_>,
    t: &Tables<'_>,
    dst: &mut [u8],
    mut pos: usize,
    end: usize,
    recent: &mut [usize; 3],
) -> Result<usize, DecompressError> {
    // A local copy keeps the bit state in registers; stored back on success (an error
    // ends the chunk anyway).
    let mut local = *br_out;
    let br = &mut local;
    let end = end.min(dst.len());
    let [mut r0, mut r1, mut r2] = *recent;
    while pos < end {
        // The main-code table load starts before the refill when the buffer already holds
        // the root bits (a refill never changes buffered bits), so the refill's load and
        // shuffle overlap the table load instead of preceding it.
        let pre = t.main.peek_root(br);
        let have_root = br.available() >= MAIN_ROOT;
        // ≥ 49 bits: main (16) + length (16) + verbatim extra bits (≤ 17).
        br.refill();
        let mut s = match pre {
            Some((sym, l)) if have_root => {
                br.consume(l);
                sym
            }
            _ => t.main.decode(br),
        };
        if s < 256 {
            if pos + 3 <= end {
                // Up to three literals from one refill (3 × 16 ≤ 49 bits).
                dst[pos] = s as u8;
                s = t.main.decode(br);
                if s < 256 {
                    dst[pos + 1] = s as u8;
                    s = t.main.decode(br);
                    if s < 256 {
                        dst[pos + 2] = s as u8;
                        pos += 3;
                        continue;
                    }
                    pos += 2;
                } else {
                    pos += 1;
                }
                br.refill();
            } else {
                dst[pos] = s as u8;
                pos += 1;
                continue;
            }
        }
        let v = s - 256;
        let h = (v & 7) as usize;
        let slot = (v >> 3) as usize;
        let mut length = h + MIN_MATCH;
        if h == 7 {
            let ls = t.len.decode(br);
            if ls as usize >= NUM_LEN_SYMBOLS {
                return Err(DecompressError::InvalidSymbol); // empty length code used
            }
            length += ls as usize;
        }
        // Repeat (slots 0–2, no extra bits) and explicit offsets share one branch-free
        // path: which kind comes next is data-dependent and mispredicted often.
        let offset = if ALIGNED && EXTRA_BITS[slot & 63] >= 3 {
            let extra = u32::from(EXTRA_BITS[slot & 63]);
            let hi = br.bits(extra - 3) as usize;
            if br.available() < MAX_ALIGNED_LEN {
                br.refill();
            }
            let a = t.aligned.decode(br) as usize;
            if a >= NUM_ALIGNED_SYMBOLS {
                return Err(DecompressError::InvalidSymbol); // empty aligned code used
            }
            let offset = POSITION_BASE[slot & 63] as usize + ((hi << 3) | a) - 2;
            r2 = r1;
            r1 = r0;
            r0 = offset;
            offset
        } else {
            let extra = u32::from(EXTRA_BITS[slot & 63]);
            let val = br.bits(extra) as usize;
            let explicit = (POSITION_BASE[slot & 63] as usize + val).wrapping_sub(2);
            let rep = slot < 3;
            let offset = select(
                slot == 0,
                r0,
                select(slot == 1, r1, select(slot == 2, r2, explicit)),
            );
            let n2 = select(rep, select(slot == 2, r0, r2), r1);
            let n1 = select(rep, select(slot == 1, r0, r1), r0);
            r2 = n2;
            r1 = n1;
            r0 = offset;
            offset
        };
        if offset > pos {
            return Err(DecompressError::OffsetTooFar);
        }
        if length > end - pos {
            return Err(DecompressError::LengthTooLong);
        }
        copy_match(dst, pos, offset, length);
        pos += length;
    }
    *recent = [r0, r1, r2];
    *br_out = local;
    Ok(pos)
}
