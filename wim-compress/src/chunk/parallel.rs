//! The parallel chunk compressor: worker threads pull chunks from a queue as soon as they
//! are submitted; the caller takes results in submission order.

use super::{ChunkCompressor, CompressedChunk, chunk_result, compress_packed};
use crate::{CompressError, CompressionKind, Compressor, new_compressor};
use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// Chunks waiting for a worker, with their sequence numbers.
#[derive(Default)]
struct Queue {
    jobs: VecDeque<(u64, Vec<u8>)>,
    closed: bool,
}

/// The queue shared by the caller and the workers.
#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

impl Shared {
    /// Locks the queue; a poisoned lock (impossible: nothing panics while holding it)
    /// still yields the queue.
    fn lock(&self) -> MutexGuard<'_, Queue> {
        match self.queue.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

/// Compresses chunks on `threads` worker threads, one codec context per worker, and
/// returns the results in submission order.
pub struct ParallelChunkCompressor {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    results: Receiver<(u64, CompressedChunk)>,
    /// Results that arrived before an older one, indexed by `seq - next_out`.
    parked: VecDeque<Option<CompressedChunk>>,
    next_in: u64,
    next_out: u64,
    max_chunk: usize,
    max_in_flight: usize,
}

impl std::fmt::Debug for ParallelChunkCompressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParallelChunkCompressor")
            .field("threads", &self.workers.len())
            .field("max_chunk", &self.max_chunk)
            .field("in_flight", &self.in_flight())
            .finish()
    }
}

/// One worker: takes the oldest queued chunk, compresses it, sends the result.
fn work(shared: &Shared, mut ctx: Box<dyn Compressor>, tx: &Sender<(u64, CompressedChunk)>) {
    let mut scratch = Vec::new();
    loop {
        let job = {
            let mut q = shared.lock();
            loop {
                if let Some(job) = q.jobs.pop_front() {
                    break Some(job);
                }
                if q.closed {
                    break None;
                }
                q = match shared.ready.wait(q) {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
            }
        };
        let Some((seq, chunk)) = job else { return };
        // A codec must not panic; should one ever do so, the chunk is stored raw rather
        // than taking the writer down with a lost result.
        let packed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            compress_packed(ctx.as_mut(), &chunk, &mut scratch)
        }))
        .unwrap_or(None);
        let result = chunk_result(packed, chunk);
        if tx.send((seq, result)).is_err() {
            return;
        }
    }
}

impl ParallelChunkCompressor {
    /// A parallel compressor with `threads` workers (0 = one per CPU).
    ///
    /// Up to four chunks per worker are kept in flight, so the memory in flight is about
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
        let contexts = (0..threads)
            .map(|_| new_compressor(kind, max_chunk, level))
            .collect::<Result<Vec<_>, _>>()?;
        let shared = Arc::new(Shared::default());
        let (tx, results) = channel();
        let mut workers = Vec::with_capacity(threads);
        for (i, ctx) in contexts.into_iter().enumerate() {
            let shared = Arc::clone(&shared);
            let tx = tx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("wimkit-compress-{i}"))
                .spawn(move || work(&shared, ctx, &tx));
            match spawned {
                Ok(h) => workers.push(h),
                // Could not start a thread: run with the workers we have (at least one
                // is needed).
                Err(_) if !workers.is_empty() => break,
                Err(_) => return Err(CompressError::BadLevel),
            }
        }
        let n = workers.len();
        Ok(ParallelChunkCompressor {
            shared,
            workers,
            results,
            parked: VecDeque::new(),
            next_in: 0,
            next_out: 0,
            max_chunk,
            max_in_flight: 4 * n,
        })
    }

    /// Chunks submitted and not yet returned.
    pub fn pending(&self) -> usize {
        self.in_flight()
    }

    /// The number of worker threads.
    pub fn threads(&self) -> usize {
        self.workers.len()
    }
}

impl ChunkCompressor for ParallelChunkCompressor {
    fn max_chunk_size(&self) -> usize {
        self.max_chunk
    }
    fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }
    fn in_flight(&self) -> usize {
        usize::try_from(self.next_in - self.next_out).unwrap_or(usize::MAX)
    }
    fn submit(&mut self, chunk: Vec<u8>) {
        let seq = self.next_in;
        self.next_in += 1;
        self.shared.lock().jobs.push_back((seq, chunk));
        self.shared.ready.notify_one();
    }
    fn take_next(&mut self) -> Option<CompressedChunk> {
        if self.next_in == self.next_out {
            return None;
        }
        loop {
            if let Some(slot) = self.parked.front_mut()
                && let Some(done) = slot.take()
            {
                self.parked.pop_front();
                self.next_out += 1;
                return Some(done);
            }
            // Every worker holds a sender until the queue closes, so `recv` only fails
            // if all workers died, which `work` prevents (codec panics are caught).
            let (seq, done) = self.results.recv().ok()?;
            let at = usize::try_from(seq - self.next_out).unwrap_or(usize::MAX);
            if at >= self.parked.len() {
                self.parked.resize_with(at + 1, || None);
            }
            if let Some(slot) = self.parked.get_mut(at) {
                *slot = Some(done);
            }
        }
    }
}

impl Drop for ParallelChunkCompressor {
    fn drop(&mut self) {
        {
            let mut q = self.shared.lock();
            q.closed = true;
            q.jobs.clear();
        }
        self.shared.ready.notify_all();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}
