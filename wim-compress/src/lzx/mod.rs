//! Lzx codec. See `../shared/docs/codecs.md`.

use crate::{DecompressError, Decompressor};

/// A reusable Lzx decoding context.
#[derive(Debug)]
pub struct LzxDecompressor {
    max_chunk: usize,
}

impl LzxDecompressor {
    /// Creates a context for chunks of up to `max_chunk` bytes.
    pub fn new(max_chunk: usize) -> Result<Self, DecompressError> {
        Ok(Self { max_chunk })
    }
}

impl Decompressor for LzxDecompressor {
    fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<(), DecompressError> {
        if dst.len() > self.max_chunk {
            return Err(DecompressError::OutputTooLarge);
        }
        let _ = src;
        Err(DecompressError::InvalidBlock) // TODO: decoder not written yet
    }
}
