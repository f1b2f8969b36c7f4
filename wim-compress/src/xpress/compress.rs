//! Xpress encoder. Placeholder until the encoder lands: reports every chunk as
//! incompressible, so writers store chunks raw (a valid WIM, just not smaller).

use crate::{CompressError, Compressor};

/// A reusable Xpress encoding context.
#[derive(Debug)]
pub struct XpressCompressor {
    max_chunk: usize,
    level: u32,
}

impl XpressCompressor {
    /// Creates a context for chunks of up to `max_chunk` bytes at `level`.
    pub fn new(max_chunk: usize, level: u32) -> Result<Self, CompressError> {
        Ok(Self { max_chunk, level })
    }

    /// An upper bound of the memory one context needs.
    pub fn needed_memory(max_chunk: usize, _level: u32) -> usize {
        max_chunk
    }
}

impl Compressor for XpressCompressor {
    fn compress(&mut self, src: &[u8], _dst: &mut [u8]) -> Option<usize> {
        let _ = (self.max_chunk, self.level, src);
        None
    }
}
