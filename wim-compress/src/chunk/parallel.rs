//! The parallel chunk compressor: a batch of chunks on a rayon pool, results in order.

use super::{ChunkCompressor, CompressedChunk, compress_one};
use crate::{CompressError, CompressionKind, Compressor, new_compressor};
use rayon::prelude::*;
use std::sync::Mutex;

/// One worker's codec context and scratch output buffer.
type Slot = Mutex<(Box<dyn Compressor>, Vec<u8>)>;

/// Compresses batches of chunks on `threads` workers, one codec context per worker.
pub struct ParallelChunkCompressor {
    pool: rayon::ThreadPool,
    contexts: Vec<Slot>,
    max_chunk: usize,
    max_batch: usize,
    pending: Vec<Vec<u8>>,
}

impl std::fmt::Debug for ParallelChunkCompressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParallelChunkCompressor")
            .field("threads", &self.contexts.len())
            .field("max_chunk", &self.max_chunk)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl ParallelChunkCompressor {
    /// A parallel compressor with `threads` workers (0 = one per CPU).
    ///
    /// A batch holds up to four chunks per worker, so the memory in flight is about
    /// `4 × threads × max_chunk` of input plus as much output.
    pub fn new(
        kind: CompressionKind,
        max_chunk: usize,
        level: u32,
        threads: usize,
    ) -> Result<Self, CompressError> {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|_| CompressError::BadLevel)?;
        let contexts = (0..threads)
            .map(|_| new_compressor(kind, max_chunk, level).map(|c| Mutex::new((c, Vec::new()))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ParallelChunkCompressor {
            pool,
            contexts,
            max_chunk,
            max_batch: 4 * threads,
            pending: Vec::new(),
        })
    }

    /// Chunks submitted and not yet returned.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

impl ChunkCompressor for ParallelChunkCompressor {
    fn max_chunk_size(&self) -> usize {
        self.max_chunk
    }
    fn max_batch(&self) -> usize {
        self.max_batch
    }
    fn submit(&mut self, chunk: Vec<u8>) {
        self.pending.push(chunk);
    }
    fn finish_batch(&mut self) -> Vec<CompressedChunk> {
        let pending = std::mem::take(&mut self.pending);
        let contexts = &self.contexts;
        self.pool.install(|| {
            pending
                .into_par_iter()
                .map(|chunk| {
                    let i = rayon::current_thread_index().unwrap_or(0) % contexts.len().max(1);
                    // A worker only ever takes its own slot, so the lock is uncontended;
                    // a poisoned lock (a panicking codec) still yields a usable context.
                    let mut guard = match contexts[i].lock() {
                        Ok(g) => g,
                        Err(p) => p.into_inner(),
                    };
                    let (ctx, scratch) = &mut *guard;
                    compress_one(ctx.as_mut(), chunk, scratch)
                })
                .collect()
        })
    }
}
