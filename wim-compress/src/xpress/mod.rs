//! XPRESS (LZ77 + Huffman, [MS-XCA] §2.1–2.2) as used in WIM chunks. See codecs.md §2.
//!
//! A chunk is a 256-byte table of 512 four-bit codeword lengths followed by a bitstream of
//! 16-bit units with raw length bytes interleaved (§2.5). Decoding stops when the output is
//! full; the usual trailing end-of-data symbol (256) is not read.

mod compress;
mod decompress;

pub use compress::XpressCompressor;
pub use decompress::XpressDecompressor;

/// Number of symbols: 256 literals + 256 match headers.
pub(crate) const NUM_SYMBOLS: usize = 512;
/// Longest codeword.
pub(crate) const MAX_CODEWORD_LEN: u32 = 15;
/// Largest chunk an XPRESS context accepts.
pub(crate) const MAX_CHUNK: usize = 1 << 16;
