//! Chunk compressors: the writer submits whole chunks and receives the compressed (or
//! stored) chunks back **in submission order**.
//!
//! - [`SerialChunkCompressor`]: one context, on the calling thread.
//! - [`ParallelChunkCompressor`]: worker threads, one context each, pull chunks from a
//!   queue as soon as they are submitted; results are handed back in submission order.
//!   The caller keeps reading and hashing while the workers compress (a pipeline, not
//!   batches with a barrier), and chunks of consecutive small blobs share the workers.
//!   Output bytes are identical to the serial compressor's whatever the thread count,
//!   because every chunk is compressed independently by a context whose output depends
//!   only on that chunk.
//!
//! Memory is bounded by the number of chunks in flight, which the caller keeps at most
//! [`ChunkCompressor::max_in_flight`].

mod parallel;
mod serial;

pub use parallel::ParallelChunkCompressor;
pub use serial::SerialChunkCompressor;

/// One chunk after compression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressedChunk {
    /// The bytes to store: compressed data, or the original bytes when `stored_raw`.
    pub data: Vec<u8>,
    /// True when the chunk did not shrink and `data` is the uncompressed chunk.
    pub stored_raw: bool,
    /// The uncompressed size of the chunk.
    pub uncompressed_size: usize,
}

/// Compresses whole chunks, returning them in the order they were submitted.
pub trait ChunkCompressor: Send {
    /// The largest chunk accepted.
    fn max_chunk_size(&self) -> usize;
    /// How many chunks the caller should keep in flight at most (submitted, not yet
    /// taken): enough to keep every worker busy, few enough to bound memory.
    fn max_in_flight(&self) -> usize;
    /// Chunks submitted and not yet taken.
    fn in_flight(&self) -> usize;
    /// Submits one chunk (at most [`ChunkCompressor::max_chunk_size`] bytes). A parallel
    /// compressor starts on it at once; keep [`ChunkCompressor::in_flight`] below
    /// [`ChunkCompressor::max_in_flight`] by taking results first.
    fn submit(&mut self, chunk: Vec<u8>);
    /// The result of the oldest chunk in flight, waiting for it if needed; `None` when
    /// nothing is in flight.
    fn take_next(&mut self) -> Option<CompressedChunk>;
    /// Returns at once if the oldest result is ready; else blocks until the oldest `n`
    /// (all in flight, if fewer) are, so that the next [`Self::take_next`] calls do not
    /// block. A caller that must wait anyway then sleeps once per `n` chunks instead of
    /// once per chunk (with small chunks each wake-up is a noticeable share of a chunk's
    /// work). The default does nothing (results computed on demand).
    fn wait_ready(&mut self, n: usize) {
        let _ = n;
    }
    /// Same as [`ChunkCompressor::max_in_flight`] (the batch-style name).
    fn max_batch(&self) -> usize {
        self.max_in_flight()
    }
    /// Takes every chunk in flight, in submission order.
    fn finish_batch(&mut self) -> Vec<CompressedChunk> {
        let mut out = Vec::with_capacity(self.in_flight());
        while let Some(c) = self.take_next() {
            out.push(c);
        }
        out
    }
}

/// Chunks at least this long are compressed into an output buffer of their own rather
/// than into the worker's scratch buffer (see [`compress_packed`]).
const OWN_BUFFER_MIN: usize = 4 << 20;

/// Compresses `chunk` with `c` into a new buffer; `None` when it does not shrink.
///
/// Chunks of [`OWN_BUFFER_MIN`] bytes or more (solid LZMS: 64 MiB) go to a zeroed buffer
/// of their own, truncated afterwards: the allocator maps a zeroed block that large on
/// demand, so only the pages the codec writes (about the compressed size) become
/// resident, and shrinking it keeps them in place. A scratch buffer instead stays
/// resident at the full chunk size in every worker, and the result is copied out of it.
pub(crate) fn compress_packed(
    c: &mut dyn crate::Compressor,
    chunk: &[u8],
    scratch: &mut Vec<u8>,
) -> Option<Vec<u8>> {
    let n = chunk.len();
    if n >= OWN_BUFFER_MIN {
        let mut out = vec![0u8; n];
        return match c.compress(chunk, &mut out) {
            Some(m) if m > 0 && m < n => {
                out.truncate(m);
                out.shrink_to_fit();
                Some(out)
            }
            _ => None,
        };
    }
    if scratch.len() < n {
        scratch.resize(n, 0);
    }
    match c.compress(chunk, &mut scratch[..n]) {
        Some(m) if m > 0 && m < n => Some(scratch[..m].to_vec()),
        _ => None,
    }
}

/// Compresses `chunk` with `c`, falling back to storing it raw.
pub(crate) fn compress_one(
    c: &mut dyn crate::Compressor,
    chunk: Vec<u8>,
    scratch: &mut Vec<u8>,
) -> CompressedChunk {
    let packed = compress_packed(c, &chunk, scratch);
    chunk_result(packed, chunk)
}

/// The result for `chunk`: its compressed form when there is one, else the chunk itself.
pub(crate) fn chunk_result(packed: Option<Vec<u8>>, chunk: Vec<u8>) -> CompressedChunk {
    let n = chunk.len();
    match packed {
        Some(data) => CompressedChunk {
            data,
            stored_raw: false,
            uncompressed_size: n,
        },
        None => CompressedChunk {
            data: chunk,
            stored_raw: true,
            uncompressed_size: n,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CompressionKind;

    fn data(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if i % 3 == 0 {
                    (x % 7) as u8
                } else {
                    b"abcabcab"[i % 8]
                }
            })
            .collect()
    }

    #[test]
    fn parallel_equals_serial_in_order() {
        for kind in [
            CompressionKind::Xpress,
            CompressionKind::Lzx,
            CompressionKind::Lzms,
        ] {
            let cs = 32 * 1024;
            let chunks: Vec<Vec<u8>> = (0..9).map(|i| data(cs - i * 1000, i as u64)).collect();
            let mut s = SerialChunkCompressor::new(kind, cs, 20).unwrap();
            let mut serial = Vec::new();
            for c in &chunks {
                s.submit(c.clone());
                serial.extend(s.finish_batch());
            }
            for threads in [1, 2, 3] {
                let mut p = ParallelChunkCompressor::new(kind, cs, 20, threads).unwrap();
                let mut got = Vec::new();
                for c in &chunks {
                    if p.in_flight() == p.max_in_flight() {
                        got.extend(p.take_next());
                    }
                    p.submit(c.clone());
                }
                got.extend(p.finish_batch());
                assert_eq!(got, serial, "{kind:?} threads={threads}");
                assert_eq!(p.in_flight(), 0);
                assert!(p.take_next().is_none());
            }
            for (c, r) in chunks.iter().zip(&serial) {
                assert_eq!(r.uncompressed_size, c.len());
                if r.stored_raw {
                    assert_eq!(&r.data, c);
                } else {
                    assert!(r.data.len() < c.len());
                }
            }
        }
    }

    /// Keeps every 3rd byte (shrinks) or refuses (`None`) when the chunk starts with 0;
    /// writes the output from both ends like LZMS does.
    /// Waiting for several results at once (any count, even more than in flight or
    /// none) neither changes nor loses results.
    #[test]
    fn wait_ready_keeps_results_in_order() {
        let cs = 32 * 1024;
        let chunks: Vec<Vec<u8>> = (0..23).map(|i| data(cs - i * 700, i as u64)).collect();
        let mut s = SerialChunkCompressor::new(CompressionKind::Xpress, cs, 50).unwrap();
        let mut serial = Vec::new();
        for c in &chunks {
            s.submit(c.clone());
            s.wait_ready(3);
            serial.extend(s.finish_batch());
        }
        for threads in [1, 2, 3] {
            for n in [0, 1, 2, 5, 100] {
                let mut p =
                    ParallelChunkCompressor::new(CompressionKind::Xpress, cs, 50, threads).unwrap();
                let mut got = Vec::new();
                for c in &chunks {
                    if p.in_flight() == p.max_in_flight() {
                        p.wait_ready(n);
                        got.extend(p.take_next());
                    }
                    p.submit(c.clone());
                }
                while p.in_flight() > 0 {
                    p.wait_ready(n);
                    got.extend(p.take_next());
                }
                assert_eq!(got, serial, "threads={threads} n={n}");
                p.wait_ready(n); // nothing in flight: returns at once
            }
        }
    }

    struct Thirds;
    impl crate::Compressor for Thirds {
        fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Option<usize> {
            if src.first() == Some(&0) {
                return None;
            }
            let kept: Vec<u8> = src.iter().step_by(3).copied().collect();
            let n = kept.len();
            // Scribble at the end first (as a backward bitstream would), then the
            // result at the front.
            let end = dst.len();
            dst[end - 8..].fill(0xEE);
            dst[..n].copy_from_slice(&kept);
            Some(n)
        }
    }

    #[test]
    fn own_buffer_and_scratch_paths_give_the_same_results() {
        let mut scratch = Vec::new();
        for n in [
            1000,
            OWN_BUFFER_MIN - 1,
            OWN_BUFFER_MIN,
            OWN_BUFFER_MIN + 77,
        ] {
            let chunk: Vec<u8> = (0..n).map(|i| (i % 251 + 1) as u8).collect();
            let want: Vec<u8> = chunk.iter().step_by(3).copied().collect();
            let got = compress_packed(&mut Thirds, &chunk, &mut scratch).unwrap();
            assert_eq!(got, want, "{n}");
            assert_eq!(got.capacity(), got.len(), "{n}: the buffer is shrunk");
            let mut zero = chunk.clone();
            zero[0] = 0;
            assert!(compress_packed(&mut Thirds, &zero, &mut scratch).is_none());
            let r = compress_one(&mut Thirds, zero.clone(), &mut scratch);
            assert!(r.stored_raw && r.data == zero && r.uncompressed_size == n);
        }
        assert!(
            scratch.len() < OWN_BUFFER_MIN,
            "big chunks leave the scratch alone"
        );
    }

    #[test]
    fn small_chunks_keep_more_in_flight_per_worker() {
        // Small chunks take well under a millisecond each: four per worker left a worker
        // idle whenever the caller woke late (XPRESS scaling 1.27-1.83, now 1.89-1.93).
        for (kind, chunk, per_worker) in [
            (CompressionKind::Xpress, 32 << 10, 16),
            (CompressionKind::Lzx, 64 << 10, 16),
            (CompressionKind::Lzx, 2 << 20, 4),
            (CompressionKind::Lzms, 128 << 10, 4),
        ] {
            let p = ParallelChunkCompressor::new(kind, chunk, 20, 2).unwrap();
            assert_eq!(p.max_in_flight(), 2 * per_worker, "{kind:?} {chunk}");
        }
    }

    #[test]
    fn parallel_delivers_many_small_chunks_in_order() {
        let kind = CompressionKind::Xpress;
        let chunks: Vec<Vec<u8>> = (0..600)
            .map(|i| data(200 + (i * 37) % 3000, i as u64))
            .collect();
        let mut s = SerialChunkCompressor::new(kind, 4096, 20).unwrap();
        let mut serial = Vec::new();
        for c in &chunks {
            s.submit(c.clone());
            serial.extend(s.finish_batch());
        }
        for threads in [2, 4] {
            let mut p = ParallelChunkCompressor::new(kind, 4096, 20, threads).unwrap();
            let mut got = Vec::new();
            for (i, c) in chunks.iter().enumerate() {
                // Alternate between a full pipe and taking everything.
                if p.in_flight() == p.max_in_flight() || i % 97 == 0 {
                    if i % 2 == 0 {
                        got.extend(p.take_next());
                    } else {
                        got.extend(p.finish_batch());
                    }
                }
                p.submit(c.clone());
            }
            got.extend(p.finish_batch());
            assert!(got == serial, "threads={threads}");
        }
        // Dropped with chunks in flight: the workers stop.
        let mut p = ParallelChunkCompressor::new(kind, 4096, 20, 2).unwrap();
        for c in chunks.iter().take(8) {
            p.submit(c.clone());
        }
        drop(p);
    }
}
