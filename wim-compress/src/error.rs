//! Codec errors: tiny `Copy` values; the resource layer adds blob and chunk context.

use core::fmt;

/// Why a chunk could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecompressError {
    /// The chunk size (or window) is not one this codec supports.
    BadChunkSize,
    /// The output buffer is larger than the context's maximum chunk size.
    OutputTooLarge,
    /// The compressed input ended before the output was complete.
    TruncatedInput,
    /// A Huffman code's lengths are over-subscribed or incomplete.
    InvalidHuffmanCode,
    /// A match refers to data before the start of the chunk.
    OffsetTooFar,
    /// A match is longer than the bytes left to produce (in the chunk or block).
    LengthTooLong,
    /// An LZX block header is invalid (type, size).
    InvalidBlock,
    /// A decoded symbol or field has a value the format does not allow.
    InvalidSymbol,
    /// Input remains after the output was complete (strict mode only).
    TrailingData,
}

impl fmt::Display for DecompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecompressError::BadChunkSize => "unsupported chunk size",
            DecompressError::OutputTooLarge => "output larger than the maximum chunk size",
            DecompressError::TruncatedInput => "compressed data ends too early",
            DecompressError::InvalidHuffmanCode => "invalid huffman code",
            DecompressError::OffsetTooFar => "match offset points before the chunk start",
            DecompressError::LengthTooLong => "match length runs past the end of the output",
            DecompressError::InvalidBlock => "invalid block header",
            DecompressError::InvalidSymbol => "invalid symbol in compressed data",
            DecompressError::TrailingData => "data left over after the chunk was complete",
        })
    }
}

impl std::error::Error for DecompressError {}

/// Why a compression context could not be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CompressError {
    /// The chunk size is not a power of two in the codec's range.
    BadChunkSize,
    /// The level is not supported.
    BadLevel,
}

impl fmt::Display for CompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompressError::BadChunkSize => "unsupported chunk size",
            CompressError::BadLevel => "unsupported compression level",
        })
    }
}

impl std::error::Error for CompressError {}
