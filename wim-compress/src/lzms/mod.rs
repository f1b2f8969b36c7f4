//! Lzms codec. See `../shared/docs/codecs.md`.

use crate::{DecompressError, Decompressor};

/// A reusable Lzms decoding context.
#[derive(Debug)]
pub struct LzmsDecompressor {
    max_chunk: usize,
}

impl LzmsDecompressor {
    /// Creates a context for chunks of up to `max_chunk` bytes.
    pub fn new(max_chunk: usize) -> Result<Self, DecompressError> {
        Ok(Self { max_chunk })
    }
}

impl Decompressor for LzmsDecompressor {
    fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<(), DecompressError> {
        if dst.len() > self.max_chunk {
            return Err(DecompressError::OutputTooLarge);
        }
        let _ = src;
        Err(DecompressError::InvalidBlock) // TODO: decoder not written yet
    }
}
