//! LZX, WIM flavour (codecs.md §3): E8 translation always on, one window per chunk.
//!
//! A chunk is a sequence of verbatim, aligned-offset and uncompressed blocks; code lengths
//! are delta-coded against the previous compressed block of the same chunk; the recent
//! offsets start at (1, 1, 1) in every chunk; after the last block the E8 call translation
//! is undone over the whole chunk (§3.10).

mod block_split;
mod compress;
mod constants;
mod decompress;
mod e8;
mod e8_encode;
mod lazy16;
mod pairs;

pub use compress::LzxCompressor;
pub use decompress::LzxDecompressor;
