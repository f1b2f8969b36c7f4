//! # wim-compress
//!
//! ## Overview
//! The three compression formats used inside Windows Imaging (WIM) resources — XPRESS
//! (LZ77 + Huffman, [MS-XCA]), LZX (WIM flavour) and LZMS — in both directions, plus the
//! chunk compressors (serial and parallel) that the WIM writer drives.
//!
//! Every WIM chunk is compressed independently, so every API here works on one whole
//! chunk at a time: the caller always knows the exact uncompressed size of a chunk.
//! The behavioural reference is `../shared/docs/codecs.md`.
//!
//! ## Example
//! ```
//! use wim_compress::{CompressionKind, new_decompressor};
//! // A stored chunk is never passed to a codec; an XPRESS chunk always starts
//! // with a 256-byte code-length table, so 10 bytes cannot be a valid chunk.
//! let mut d = new_decompressor(CompressionKind::Xpress, 32 * 1024).unwrap();
//! let mut out = [0u8; 16];
//! assert!(d.decompress(&[0u8; 10], &mut out).is_err());
//! ```
//!
//! ## API structure
//! - [`CompressionKind`]: which codec.
//! - [`Decompressor`]: a reusable per-thread decoding context; [`new_decompressor`].
//! - [`DecompressError`]: tiny `Copy` error; the resource layer adds which blob and chunk.
//!
//! ## Cargo features
//! - `safe-only`: use only the safe twins of the fast paths in `fast/`.
//! - `__fuzz`: internals for fuzz targets; not a stable API.
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![deny(missing_docs)]

mod bits;
pub mod chunk;
mod error;
#[cfg(not(feature = "safe-only"))]
mod fast;
mod huffman;
pub mod lzms;
pub mod lzx;
mod matchfinder;
#[cfg(test)]
mod test_inputs;
pub mod xpress;

pub use error::{CompressError, DecompressError};

/// The codec of a resource or chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompressionKind {
    /// XPRESS with Huffman coding ([MS-XCA] "LZ77+Huffman").
    Xpress,
    /// LZX, WIM flavour (E8 translation always on, one window per chunk).
    Lzx,
    /// LZMS (range coder + adaptive Huffman, x86 filter).
    Lzms,
}

impl CompressionKind {
    /// The smallest and largest chunk sizes this codec accepts (both powers of two).
    pub fn chunk_size_range(self) -> (usize, usize) {
        match self {
            CompressionKind::Xpress => (1 << 12, 1 << 16),
            CompressionKind::Lzx => (1 << 15, 1 << 21),
            CompressionKind::Lzms => (1 << 15, 1 << 30),
        }
    }

    /// The name wimlib-imagex prints for this codec ("XPRESS", "LZX", "LZMS").
    pub fn name(self) -> &'static str {
        match self {
            CompressionKind::Xpress => "XPRESS",
            CompressionKind::Lzx => "LZX",
            CompressionKind::Lzms => "LZMS",
        }
    }
}

/// A reusable decoding context for one codec and one maximum chunk size.
///
/// Create one per thread and reuse it for every chunk: contexts keep their tables and
/// scratch buffers between calls.
pub trait Decompressor: Send {
    /// Decodes one compressed chunk `src` into exactly `dst.len()` bytes.
    ///
    /// `dst.len()` must not exceed the maximum chunk size given at creation. Any
    /// content of `dst` on entry is ignored (it may be dirty). On error, `dst` holds
    /// unspecified bytes.
    fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<(), DecompressError>;
}

/// Creates a decoding context for `kind` able to decode chunks of up to `max_chunk_size`
/// bytes.
///
/// For LZX, `max_chunk_size` must be the *resource's* chunk size (it fixes the window):
/// a short last chunk is still decoded with the resource's window.
pub fn new_decompressor(
    kind: CompressionKind,
    max_chunk_size: usize,
) -> Result<Box<dyn Decompressor>, DecompressError> {
    let (lo, hi) = kind.chunk_size_range();
    if max_chunk_size == 0 || max_chunk_size > hi {
        return Err(DecompressError::BadChunkSize);
    }
    // Non-power-of-two or small maxima are accepted for the last-chunk case; the window
    // is rounded up to the codec's minimum.
    let window = max_chunk_size.max(lo).next_power_of_two();
    Ok(match kind {
        CompressionKind::Xpress => Box::new(xpress::XpressDecompressor::new(window)?),
        CompressionKind::Lzx => Box::new(lzx::LzxDecompressor::new(window)?),
        CompressionKind::Lzms => Box::new(lzms::LzmsDecompressor::new(window)?),
    })
}

/// A reusable encoding context for one codec, one maximum chunk size and one level.
///
/// Create one per thread and reuse it for every chunk. Output bytes depend only on the
/// input chunk, the codec, the maximum chunk size and the level: never on the thread or
/// on earlier chunks.
pub trait Compressor: Send {
    /// Compresses one whole chunk `src` (at most the maximum chunk size) into `dst`.
    ///
    /// Returns `Some(n)` when the compressed form fits in `n < src.len()` bytes of
    /// `dst`, or `None` when the chunk does not shrink (the writer then stores it raw).
    /// `dst` must be at least `src.len()` bytes; its old contents are ignored.
    fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Option<usize>;
}

/// The compression level wimlib uses when none is given.
pub const DEFAULT_LEVEL: u32 = 50;

/// Creates an encoding context for `kind`, chunks of up to `max_chunk_size` bytes, at
/// `level` on wimlib's scale (1 fastest, 50 default, 100 and above strongest; 0 means
/// the default).
pub fn new_compressor(
    kind: CompressionKind,
    max_chunk_size: usize,
    level: u32,
) -> Result<Box<dyn Compressor>, CompressError> {
    let (lo, hi) = kind.chunk_size_range();
    if max_chunk_size < lo || max_chunk_size > hi || !max_chunk_size.is_power_of_two() {
        return Err(CompressError::BadChunkSize);
    }
    let level = if level == 0 { DEFAULT_LEVEL } else { level };
    Ok(match kind {
        CompressionKind::Xpress => Box::new(xpress::XpressCompressor::new(max_chunk_size, level)?),
        CompressionKind::Lzx => Box::new(lzx::LzxCompressor::new(max_chunk_size, level)?),
        CompressionKind::Lzms => Box::new(lzms::LzmsCompressor::new(max_chunk_size, level)?),
    })
}

/// An upper bound of the memory one context of [`new_compressor`] needs, in bytes, so
/// callers can size their thread pools before allocating.
pub fn needed_memory(kind: CompressionKind, max_chunk_size: usize, level: u32) -> usize {
    match kind {
        CompressionKind::Xpress => xpress::XpressCompressor::needed_memory(max_chunk_size, level),
        CompressionKind::Lzx => lzx::LzxCompressor::needed_memory(max_chunk_size, level),
        CompressionKind::Lzms => lzms::LzmsCompressor::needed_memory(max_chunk_size, level),
    }
}
