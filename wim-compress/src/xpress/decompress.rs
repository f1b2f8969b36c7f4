//! XPRESS chunk decoder (codecs.md §2.4, §2.5, §2.10).

use super::{MAX_CHUNK, MAX_CODEWORD_LEN, NUM_SYMBOLS};
use crate::bits::BitReader;
use crate::bits::copy::copy_match;
use crate::huffman::{DecodeTable, table_size_bound};
use crate::{DecompressError, Decompressor};

/// Root bits of the decode table.
const ROOT_BITS: u32 = 11;
/// Entries of the decode table (≥ `table_size_bound(512, 11, 15)`).
const TABLE_SIZE: usize = 4096;
const _: () = assert!(table_size_bound(NUM_SYMBOLS, ROOT_BITS, MAX_CODEWORD_LEN) <= TABLE_SIZE);

/// A reusable XPRESS decoding context.
///
/// ```
/// use wim_compress::Decompressor;
/// use wim_compress::xpress::XpressDecompressor;
/// let mut d = XpressDecompressor::new(32768).unwrap();
/// let mut out = [0u8; 4];
/// // 256 zero bytes: an empty code, which XPRESS does not allow.
/// assert!(d.decompress(&[0u8; 260], &mut out).is_err());
/// ```
#[derive(Debug)]
pub struct XpressDecompressor {
    max_chunk: usize,
    table: DecodeTable<ROOT_BITS, TABLE_SIZE>,
    lens: [u8; NUM_SYMBOLS],
}

impl XpressDecompressor {
    /// Creates a context for chunks of up to `max_chunk` bytes (1 ..= 65 536).
    pub fn new(max_chunk: usize) -> Result<Self, DecompressError> {
        if max_chunk == 0 || max_chunk > MAX_CHUNK {
            return Err(DecompressError::BadChunkSize);
        }
        Ok(Self {
            max_chunk,
            table: DecodeTable::new(),
            lens: [0; NUM_SYMBOLS],
        })
    }
}

impl Decompressor for XpressDecompressor {
    fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<(), DecompressError> {
        if dst.len() > self.max_chunk {
            return Err(DecompressError::OutputTooLarge);
        }
        if dst.is_empty() {
            return Ok(());
        }
        let header = src
            .get(..NUM_SYMBOLS / 2)
            .ok_or(DecompressError::TruncatedInput)?;
        for (i, &b) in header.iter().enumerate() {
            self.lens[2 * i] = b & 15;
            self.lens[2 * i + 1] = b >> 4;
        }
        self.table.build(&self.lens, MAX_CODEWORD_LEN, false)?;
        decode_items(&self.table, src, dst)
    }
}

#[inline(never)]
fn decode_items(
    table: &DecodeTable<ROOT_BITS, TABLE_SIZE>,
    src: &[u8],
    dst: &mut [u8],
) -> Result<(), DecompressError> {
    let n = dst.len();
    let mut br = BitReader::new(src, NUM_SYMBOLS / 2);
    let mut pos = 0usize;
    while pos < n {
        // ≥ 49 bits: up to three literal codewords (3 × 15 = 45 bits), or one match
        // symbol (≤ 15) followed by the raw-byte rule (needs 16) and ≤ 15 offset bits.
        br.refill();
        let sym = table.decode(&mut br);
        if sym >= 256 {
            pos = decode_match(&mut br, dst, pos, sym)?;
            continue;
        }
        if pos + 3 <= n {
            dst[pos] = sym as u8;
            // ≥ 34 bits left.
            let s2 = table.decode(&mut br);
            if s2 >= 256 {
                // ≥ 19 bits left: enough for the raw-byte rule (16) and, after it, for
                // the offset bits (the rule keeps ≥ 16 buffered).
                pos = decode_match(&mut br, dst, pos + 1, s2)?;
                continue;
            }
            dst[pos + 1] = s2 as u8;
            // ≥ 19 bits left.
            let s3 = table.decode(&mut br);
            if s3 >= 256 {
                br.refill();
                pos = decode_match(&mut br, dst, pos + 2, s3)?;
                continue;
            }
            dst[pos + 2] = s3 as u8;
            pos += 3;
            continue;
        }
        // Near the end of the output: one item at a time.
        dst[pos] = sym as u8;
        pos += 1;
    }
    if br.overran() {
        return Err(DecompressError::TruncatedInput);
    }
    Ok(())
}

/// Decodes the rest of a match whose symbol `sym` (256..511) was just consumed; returns the
/// new output position. Requires ≥ 31 buffered bits.
#[inline(always)]
fn decode_match(
    br: &mut BitReader<'_>,
    dst: &mut [u8],
    pos: usize,
    sym: u32,
) -> Result<usize, DecompressError> {
    let v = sym - 256;
    let h = v & 15;
    let k = v >> 4;
    let mut length = h as usize + 3;
    if h == 15 {
        br.xpress_align_for_raw();
        let b = br.raw_u8().ok_or(DecompressError::TruncatedInput)?;
        if b < 255 {
            length = b as usize + 18;
        } else {
            let lo = br.raw_u8().ok_or(DecompressError::TruncatedInput)?;
            let hi = br.raw_u8().ok_or(DecompressError::TruncatedInput)?;
            let v16 = u16::from_le_bytes([lo, hi]) as usize;
            if v16 < 270 {
                return Err(DecompressError::InvalidSymbol);
            }
            length = v16 + 3;
        }
    }
    let off = (1usize << k) | br.bits(k) as usize;
    if off > pos {
        return Err(DecompressError::OffsetTooFar);
    }
    if length > dst.len() - pos {
        return Err(DecompressError::LengthTooLong);
    }
    copy_match(dst, pos, off, length);
    Ok(pos + length)
}
