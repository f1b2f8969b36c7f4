//! LZMS decoder (`../shared/docs/codecs.md` §4).
//!
//! LZMS codes a chunk as a sequence of literals, LZ matches and delta matches. Item kinds
//! come from an adaptive binary range coder reading 16-bit units forwards from the start of
//! the chunk; literal values, offset/length slots and delta powers from five adaptive
//! Huffman codes, and extra bits verbatim, all reading 16-bit units backwards from the end
//! of the chunk. After the last item an x86 address filter is undone.
//!
//! Module map:
//! - `constants`: slot tables (generated at compile time) and parameters;
//! - `range_coder`: range decoder and adaptive probability entries;
//! - `bitstream`: the backward bit reader (64-bit buffer);
//! - `huffman`: the adaptive codes, rebuilt bit-identically to the encoder's;
//! - `decompress`: the item loop, repeat queues, match and delta copies;
//! - `x86_filter`: the x86 address filter.
//! - encoder: `compress` (near-optimal parser and item coding; `compress/lazy.rs`: the
//!   lazy parser of levels < 10), `range_encoder` (range encoder and backward bit writer),
//!   `matchfinder` (binary-tree LZ and hash delta match finders), `suffix_array` (SA-IS
//!   and capped LCP) and `lcp_finder` (LCP-interval LZ finder for chunks of 1-64 MiB),
//!   `slot_table`, `prefetch` (`src/fast/lzms_prefetch.rs`, cache hints) and `fast_bt`
//!   (`src/fast/lzms_bt.rs`, the tree descent without bounds checks) and `fast_delta`
//!   (`src/fast/lzms_delta.rs`, the delta finder's visit and measure without them).
//!
//! Robustness: every size and offset from the input is checked before use; reads past
//! either end of the input return zeros and are detected at the end of the chunk, as is a
//! range coder that does not finish on `code == 0` (§4.2).

mod bitstream;
mod compress;
mod constants;
mod decompress;
#[cfg(not(feature = "safe-only"))]
#[path = "../fast/lzms_bt.rs"]
#[allow(unsafe_code)]
mod fast_bt;
#[cfg(not(feature = "safe-only"))]
#[path = "../fast/lzms_delta.rs"]
#[allow(unsafe_code)]
mod fast_delta;
mod huffman;
mod lcp_finder;
mod matchfinder;
#[path = "../fast/lzms_prefetch.rs"]
#[allow(unsafe_code)]
mod prefetch;
mod range_coder;
mod range_encoder;
mod slot_table;
mod suffix_array;
mod x86_filter;

pub use compress::LzmsCompressor;

use crate::{DecompressError, Decompressor};

/// A reusable LZMS decoding context.
///
/// Holds about 1 MiB of tables (decode tables of the five adaptive codes, the x86 filter's
/// 256 KiB table); nothing is allocated per chunk.
#[derive(Debug)]
pub struct LzmsDecompressor {
    max_chunk: usize,
    state: Box<decompress::LzmsState>,
}

impl LzmsDecompressor {
    /// Creates a context for chunks of up to `max_chunk` bytes (at most 1 GiB).
    pub fn new(max_chunk: usize) -> Result<Self, DecompressError> {
        if max_chunk == 0 || max_chunk > constants::MAX_CHUNK_SIZE {
            return Err(DecompressError::BadChunkSize);
        }
        Ok(Self {
            max_chunk,
            state: Box::new(decompress::LzmsState::new()),
        })
    }
}

impl Decompressor for LzmsDecompressor {
    fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<(), DecompressError> {
        if dst.len() > self.max_chunk {
            return Err(DecompressError::OutputTooLarge);
        }
        self.state.decompress(src, dst)
    }
}
