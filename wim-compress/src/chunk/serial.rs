//! The serial chunk compressor: one context on the calling thread.

use super::{ChunkCompressor, CompressedChunk, compress_one};
use crate::{CompressError, CompressionKind, Compressor, new_compressor};

/// Compresses chunks one at a time on the calling thread.
pub struct SerialChunkCompressor {
    ctx: Box<dyn Compressor>,
    max_chunk: usize,
    pending: std::collections::VecDeque<Vec<u8>>,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for SerialChunkCompressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialChunkCompressor")
            .field("max_chunk", &self.max_chunk)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl SerialChunkCompressor {
    /// A serial compressor for `kind`, chunks up to `max_chunk` bytes, at `level`.
    pub fn new(kind: CompressionKind, max_chunk: usize, level: u32) -> Result<Self, CompressError> {
        Ok(SerialChunkCompressor {
            ctx: new_compressor(kind, max_chunk, level)?,
            max_chunk,
            pending: std::collections::VecDeque::new(),
            scratch: Vec::new(),
        })
    }
}

impl ChunkCompressor for SerialChunkCompressor {
    fn max_chunk_size(&self) -> usize {
        self.max_chunk
    }
    fn max_in_flight(&self) -> usize {
        1
    }
    fn in_flight(&self) -> usize {
        self.pending.len()
    }
    fn submit(&mut self, chunk: Vec<u8>) {
        self.pending.push_back(chunk);
    }
    fn take_next(&mut self) -> Option<CompressedChunk> {
        let c = self.pending.pop_front()?;
        Some(compress_one(self.ctx.as_mut(), c, &mut self.scratch))
    }
}
