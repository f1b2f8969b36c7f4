//! The parallel chunk compressor: worker threads pull chunks from a queue as soon as they
//! are submitted; the caller takes results in submission order.
//!
//! ```text
//! submit ─► jobs (Mutex<Queue>) ─► worker: compress ─► results[seq - next_out] (Mutex<Done>)
//!            notify only if a worker sleeps           notify only if the caller waits and
//!                                                     the oldest `want` results are now
//!                                                     all there   ─► take_next
//! ```
//!
//! Both wake-ups are skipped when nobody sleeps: a condition variable's notify is a
//! system call even then, and with 32 KiB XPRESS chunks there are tens of thousands.
//! The caller, when it must wait, waits for several results at once
//! ([`ChunkCompressor::wait_ready`]): the workers are the bottleneck of a capture, so
//! a caller waking for every chunk would sleep and wake once per chunk.

use super::{ChunkCompressor, CompressedChunk, chunk_result, compress_packed};
use crate::{CompressError, CompressionKind, Compressor, new_compressor};
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// Chunks waiting for a worker, with their sequence numbers.
#[derive(Default)]
struct Queue {
    jobs: VecDeque<(u64, Vec<u8>)>,
    closed: bool,
    /// Workers waiting on `Shared::ready`.
    idle: usize,
}

/// Results not yet taken, in submission order.
#[derive(Default)]
struct Done {
    /// `slots[i]` is the result of chunk `base + i` once it is done.
    slots: VecDeque<Option<CompressedChunk>>,
    /// Sequence number of `slots[0]` (the oldest chunk not yet taken).
    base: u64,
    /// While the caller waits on `Shared::done_cv`: how many of the oldest results it
    /// waits for (0 = not waiting).
    want: usize,
    /// Workers still running (the caller stops waiting when none is left).
    live: usize,
}

/// State shared by the caller and the workers.
#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    done: Mutex<Done>,
    done_cv: Condvar,
}

/// Locks `m`; a poisoned lock (impossible: nothing panics while holding one) still
/// yields its data.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Waits on `cv` with `g`, poisoning ignored as in [`lock`].
fn wait<'a, T>(cv: &Condvar, g: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    match cv.wait(g) {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Compresses chunks on `threads` worker threads, one codec context per worker, and
/// returns the results in submission order.
pub struct ParallelChunkCompressor {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
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

/// Counts a worker out of `Done::live` when it ends, however it ends.
struct LiveGuard<'a>(&'a Shared);

impl Drop for LiveGuard<'_> {
    fn drop(&mut self) {
        let waiting = {
            let mut d = lock(&self.0.done);
            d.live = d.live.saturating_sub(1);
            d.want > 0
        };
        if waiting {
            self.0.done_cv.notify_one();
        }
    }
}

/// One worker: takes the oldest queued chunk, compresses it, stores the result.
fn work(shared: &Shared, mut ctx: Box<dyn Compressor>) {
    let _live = LiveGuard(shared);
    let mut scratch = Vec::new();
    loop {
        let job = {
            let mut q = lock(&shared.queue);
            loop {
                if let Some(job) = q.jobs.pop_front() {
                    break Some(job);
                }
                if q.closed {
                    break None;
                }
                q.idle += 1;
                q = wait(&shared.ready, q);
                q.idle -= 1;
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
        let wake = {
            let mut d = lock(&shared.done);
            // `seq >= base`: a chunk is taken only once its result is stored.
            let at = usize::try_from(seq.saturating_sub(d.base)).unwrap_or(usize::MAX);
            if at >= d.slots.len() {
                d.slots.resize_with(at.saturating_add(1), || None);
            }
            if let Some(slot) = d.slots.get_mut(at) {
                *slot = Some(result);
            }
            // Wake the caller only once everything it waits for is there.
            at < d.want
                && d.slots.len() >= d.want
                && d.slots.iter().take(d.want).all(Option::is_some)
        };
        if wake {
            shared.done_cv.notify_one();
        }
    }
}

impl ParallelChunkCompressor {
    /// A parallel compressor with `threads` workers (0 = one per CPU).
    ///
    /// Up to four chunks per worker are kept in flight, sixteen for chunks of at most
    /// 64 KiB (a 32 KiB XPRESS chunk takes ~0.25 ms, so four would leave a worker idle
    /// whenever the caller wakes late), so the memory in flight is at most
    /// `max(4 × max_chunk, 1 MiB) × threads` of input plus as much output.
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
        let mut workers = Vec::with_capacity(threads);
        for (i, ctx) in contexts.into_iter().enumerate() {
            let sh = Arc::clone(&shared);
            // Counted before the thread starts, so that `live` never reads 0 while one
            // is about to run.
            lock(&shared.done).live += 1;
            let spawned = std::thread::Builder::new()
                .name(format!("wimkit-compress-{i}"))
                .spawn(move || work(&sh, ctx));
            match spawned {
                Ok(h) => workers.push(h),
                Err(_) => {
                    lock(&shared.done).live -= 1;
                    // Could not start a thread: run with the workers we have (at least
                    // one is needed).
                    if workers.is_empty() {
                        return Err(CompressError::BadLevel);
                    }
                    break;
                }
            }
        }
        let n = workers.len();
        Ok(ParallelChunkCompressor {
            shared,
            workers,
            next_in: 0,
            next_out: 0,
            max_chunk,
            max_in_flight: n * if max_chunk <= 1 << 16 { 16 } else { 4 },
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
        let wake = {
            let mut q = lock(&self.shared.queue);
            q.jobs.push_back((seq, chunk));
            q.idle > 0
        };
        if wake {
            self.shared.ready.notify_one();
        }
    }
    fn take_next(&mut self) -> Option<CompressedChunk> {
        if self.next_in == self.next_out {
            return None;
        }
        let mut d = lock(&self.shared.done);
        loop {
            if let Some(Some(_)) = d.slots.front() {
                let done = d.slots.pop_front().flatten();
                d.base += 1;
                self.next_out += 1;
                return done;
            }
            // Workers only end when the queue closes (codec panics are caught), so
            // this is a safeguard, not a path taken.
            if d.live == 0 {
                return None;
            }
            d.want = 1;
            d = wait(&self.shared.done_cv, d);
            d.want = 0;
        }
    }
    fn wait_ready(&mut self, n: usize) {
        let want = n.min(self.in_flight());
        if want == 0 {
            return;
        }
        let mut d = lock(&self.shared.done);
        if let Some(Some(_)) = d.slots.front() {
            return;
        }
        // `slots` may be shorter than `want` until the later chunks are done.
        while d.live > 0
            && (d.slots.len() < want || !d.slots.iter().take(want).all(Option::is_some))
        {
            d.want = want;
            d = wait(&self.shared.done_cv, d);
            d.want = 0;
        }
    }
}

impl Drop for ParallelChunkCompressor {
    fn drop(&mut self) {
        {
            let mut q = lock(&self.shared.queue);
            q.closed = true;
            q.jobs.clear();
        }
        self.shared.ready.notify_all();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}
