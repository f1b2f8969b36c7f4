//! Resource writers: data in (a `Read` of known size), SHA-1 and resource header out.
//!
//! **Non-solid** ([`PlainSink`], `wim-format.md` §5.1): the chunk table (`n − 1` entries
//! of 4 bytes, 8 when the blob is over 4 GiB) is reserved first, chunks are compressed
//! in batches and written after it, the table is filled in last. Memory in flight is one
//! batch of chunks. The rules Microsoft's tools need are applied at the end:
//! a resource whose compressed size (table included) is not smaller than the data —
//! including the single raw chunk case and the "equal size" case — is rewritten
//! uncompressed in place, by re-reading what was just written (raw chunks are copied,
//! compressed ones decoded). Since no chunk is ever larger than its data, chunk *i*'s
//! uncompressed bytes always end before chunk *i + 1*'s stored bytes start, so the
//! in-place rewrite never overwrites data not yet read.
//!
//! **Solid** ([`SolidSink`], §5.2): blobs are concatenated into one uncompressed stream
//! cut into chunks (64 MiB by default for LZMS). The 16-byte header and the u32 size of
//! every chunk precede the chunks, but the chunk count is only known when the resource
//! is closed, so compressed chunks are kept in memory up to a budget; beyond it they are
//! written to the file after a reserved table, and on close the data are moved to just
//! after the real table (down, or up if the reservation was too small): the bytes are
//! those of a resource that stayed in memory, whatever the budget and thread count.

use super::{WimOutput, read_at, write_at};
use crate::digest::Sha1Digest;
use crate::error::{Error, Result, UsageError};
use crate::ondisk::solid::{
    RawSolidHeader, SOLID_FORMAT_LZMS, SOLID_FORMAT_LZX, SOLID_FORMAT_NONE, SOLID_FORMAT_XPRESS,
    SOLID_HEADER_SIZE, SOLID_RESOURCE_MAGIC_SIZE,
};
use crate::resource::{ResourceFlags, ResourceHeader};
use crate::source::{ChunkSource, ReadChunks};
use sha1::Digest;
use std::collections::{HashMap, VecDeque};
use std::io::{self, Read};
use wim_compress::chunk::{
    ChunkCompressor, CompressedChunk, ParallelChunkCompressor, SerialChunkCompressor,
};
use wim_compress::{CompressionKind, Decompressor, new_decompressor};

fn usage(msg: String) -> Error {
    Error::Usage(UsageError::Other(msg.into()))
}

/// Creates the chunk compressor for `threads` (1 = serial on the calling thread,
/// 0 = one worker per CPU).
pub fn chunk_compressor(
    kind: CompressionKind,
    chunk_size: u32,
    level: u32,
    threads: usize,
) -> Result<Box<dyn ChunkCompressor>> {
    let cs = chunk_size as usize;
    let map = |e: wim_compress::CompressError| {
        usage(format!(
            "{} compressor with chunk size {chunk_size} and level {level}: {e}",
            kind.name()
        ))
    };
    Ok(if threads == 1 {
        Box::new(SerialChunkCompressor::new(kind, cs, level).map_err(map)?)
    } else {
        Box::new(ParallelChunkCompressor::new(kind, cs, level, threads).map_err(map)?)
    })
}

/// Uncompressed bytes a parallel sink keeps in flight (chunks submitted, results not
/// yet taken), unless that is fewer than one chunk per worker plus one.
const PIPE_BYTES: u64 = 4 << 20;

/// How many chunks a sink keeps in flight with compressor `c` (`threads` as given to
/// [`chunk_compressor`]): 1 for the serial compressor; else about [`PIPE_BYTES`] of
/// input, so that small chunks queue enough work (tens of milliseconds) for the
/// workers to ride out the caller being descheduled on a busy machine, and at least
/// one chunk per worker plus one queued (none queued for chunks of [`HUGE_CHUNK`] or
/// more), so that large chunks (64 MiB LZMS: the compressor's own 4 per worker would be
/// 512 MiB of input) keep every worker busy without holding more than that. The output does not depend on it (results come
/// back in submission order).
fn pipe_limit(c: &dyn ChunkCompressor, chunk_size: u32, threads: usize) -> usize {
    if c.max_in_flight() <= 1 {
        return 1;
    }
    let workers = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    let by_bytes = usize::try_from(PIPE_BYTES / u64::from(chunk_size.max(1))).unwrap_or(1);
    // A queued chunk beyond one per worker is worth its memory only while filling a
    // chunk takes about as long as compressing one; for the huge chunks of solid LZMS
    // (read and hashed in a fraction of a second, compressed in tens of seconds) a
    // worker waits for the caller less than 1 % of the time without it, and 64 MiB is
    // saved.
    let queued = usize::from(chunk_size < HUGE_CHUNK);
    by_bytes.max(workers + queued)
}

/// Chunk size from which [`pipe_limit`] keeps no chunk queued beyond one per worker
/// (only LZMS, solid, has chunks this large).
const HUGE_CHUNK: u32 = 32 << 20;

/// Reads up to `buf.len()` bytes (fewer only at end of input).
fn read_full(src: &mut dyn Read, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(n)
}

fn short_input(expected: u64, got: u64) -> Error {
    Error::Io {
        source: io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("blob source gave {got} bytes, {expected} were announced"),
        ),
        offset: None,
    }
}

/// Checks that `src` has nothing left after `size` bytes.
fn expect_eof(src: &mut dyn Read, size: u64) -> Result<()> {
    let mut b = [0u8; 1];
    if read_full(src, &mut b)? != 0 {
        return Err(Error::Io {
            source: io::Error::new(
                io::ErrorKind::InvalidData,
                format!("blob source has more than the {size} bytes announced"),
            ),
            offset: None,
        });
    }
    Ok(())
}

/// A non-solid resource just written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Its resource header (offset = where it was written).
    pub reshdr: ResourceHeader,
    /// SHA-1 of the uncompressed data.
    pub hash: Sha1Digest,
}

impl Written {
    /// The file offset just past the resource.
    pub fn end(&self) -> u64 {
        self.reshdr.offset + self.reshdr.size_in_wim
    }
}

/// Writes non-solid resources with one codec and chunk size.
pub struct PlainSink {
    kind: Option<CompressionKind>,
    chunk_size: u32,
    compressor: Option<Box<dyn ChunkCompressor>>,
    /// Chunks kept in flight ([`pipe_limit`]).
    limit: usize,
    /// Results waited for at once when the caller must wait (a quarter of `limit`).
    batch: usize,
    decompressor: Option<Box<dyn Decompressor>>,
    /// Blobs whose chunks are in flight, oldest (the one being written) first.
    queue: VecDeque<InFlight>,
    /// Where the oldest blob in flight is being written, once its first result came.
    front: Option<FrontState>,
    /// Digest → size of the blobs in flight that are not duplicates.
    pending: HashMap<Sha1Digest, u64>,
    /// Where the next resource goes while blobs are in flight.
    pos: u64,
    /// Resources finished and not yet handed to the caller.
    finished: Vec<Written>,
}

/// A blob whose chunks were submitted to the compressor.
#[derive(Debug)]
struct InFlight {
    size: u64,
    chunks: u64,
    /// Chunks submitted so far (fewer than `chunks` only while reading, or after a
    /// failed read, when `chunks` is lowered to it).
    submitted: u64,
    /// Known once all of the blob was read.
    hash: Option<Sha1Digest>,
    /// A duplicate (or a blob whose input failed): its results are dropped and the space
    /// it may have used is reused.
    dropped: bool,
}

/// The resource being written for the oldest blob in flight.
#[derive(Debug)]
struct FrontState {
    at: u64,
    data_start: u64,
    entry: u64,
    table_len: u64,
    /// Results received.
    got: u64,
    /// Compressed bytes written after the table.
    written: u64,
    ends: Vec<u64>,
    raw: Vec<bool>,
}

impl std::fmt::Debug for PlainSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainSink")
            .field("kind", &self.kind)
            .field("chunk_size", &self.chunk_size)
            .finish()
    }
}

impl PlainSink {
    /// A sink for `kind` (`None` = store) with `chunk_size`, `level` and `threads`.
    pub fn new(
        kind: Option<CompressionKind>,
        chunk_size: u32,
        level: u32,
        threads: usize,
    ) -> Result<Self> {
        let compressor = match kind {
            Some(k) => Some(chunk_compressor(k, chunk_size, level, threads)?),
            None => None,
        };
        let limit = compressor
            .as_deref()
            .map_or(1, |c| pipe_limit(c, chunk_size, threads));
        Ok(PlainSink {
            kind,
            chunk_size,
            compressor,
            limit,
            batch: (limit / 4).max(1),
            decompressor: None,
            queue: VecDeque::new(),
            front: None,
            pending: HashMap::new(),
            pos: 0,
            finished: Vec::new(),
        })
    }

    /// The codec (`None` = uncompressed).
    pub fn kind(&self) -> Option<CompressionKind> {
        self.kind
    }

    /// The chunk size.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// True while blobs are in flight (their resources are not all written yet).
    pub fn is_busy(&self) -> bool {
        !self.queue.is_empty()
    }

    /// The size of a blob in flight that will be written (not a duplicate).
    pub fn pending_size(&self, digest: &Sha1Digest) -> Option<u64> {
        self.pending.get(digest).copied()
    }

    /// Where the next resource goes: valid once [`Self::drain`] returned (the writer's
    /// own position while the sink is idle).
    pub fn next_free(&self) -> u64 {
        self.pos
    }

    /// Writes `size` bytes from `src` as one resource at `at`, hashing as it goes, and
    /// waits until it is written. `Io(UnexpectedEof)` if `src` is shorter,
    /// `Io(InvalidData)` if longer. Any blobs still in flight are finished first (they
    /// are returned by the next [`Self::drain`] of a pipelined caller, so callers mixing
    /// both must drain first).
    pub fn write(
        &mut self,
        out: &mut dyn WimOutput,
        at: u64,
        src: &mut dyn Read,
        size: u64,
    ) -> Result<Written> {
        if self.is_busy() {
            return Err(usage(
                "internal: synchronous resource write while blobs are in flight".into(),
            ));
        }
        let (hash, mut done) = self.write_pipelined(out, at, src, size, &|_| false)?;
        done.extend(self.drain(out)?);
        done.into_iter()
            .find(|w| w.hash == hash)
            .ok_or_else(|| usage("internal: resource written but not reported".into()))
    }

    /// Starts writing `size` bytes from `src` as one resource, hashing as it goes, and
    /// returns its digest once all of `src` was read, with the resources of earlier blobs
    /// that were completed meanwhile (in order). The resource itself is written as its
    /// compressed chunks come back: chunks of consecutive blobs share the compressor's
    /// workers, and reading overlaps compression. The first resource goes at `at` when
    /// the sink is idle; later ones follow the previous one.
    ///
    /// A blob whose digest `known` accepts, or which is already in flight, is a duplicate:
    /// it is not written (space it used is reused). If reading `src` fails, the blob is
    /// dropped likewise and the error returned; blobs before it are still written.
    pub fn write_pipelined(
        &mut self,
        out: &mut dyn WimOutput,
        at: u64,
        src: &mut dyn Read,
        size: u64,
        known: &dyn Fn(&Sha1Digest) -> bool,
    ) -> Result<(Sha1Digest, Vec<Written>)> {
        self.write_pipelined_chunks(out, at, &mut ReadChunks(src), size, None, known)
    }

    /// [`Self::write_pipelined`] from a [`ChunkSource`], whose chunk-sized buffers go to
    /// the compressor without a copy. `digest`: the SHA-1 of the data when the caller
    /// already computed it over these very bytes (held in memory, not read again), so
    /// they are not hashed a second time; a wrong digest makes a corrupt WIM.
    pub fn write_pipelined_chunks(
        &mut self,
        out: &mut dyn WimOutput,
        at: u64,
        src: &mut dyn ChunkSource,
        size: u64,
        digest: Option<Sha1Digest>,
        known: &dyn Fn(&Sha1Digest) -> bool,
    ) -> Result<(Sha1Digest, Vec<Written>)> {
        if !self.is_busy() {
            self.pos = at;
        }
        if self.kind.is_none() || self.compressor.is_none() || size == 0 {
            let w = write_raw(out, self.pos, src, size)?;
            if !known(&w.hash) {
                self.pos = w.end();
                self.finished.push(w);
            }
            return Ok((w.hash, std::mem::take(&mut self.finished)));
        }
        let cs = u64::from(self.chunk_size);
        self.queue.push_back(InFlight {
            size,
            chunks: size.div_ceil(cs),
            submitted: 0,
            hash: None,
            dropped: false,
        });
        match self.feed(out, src, size, digest) {
            Ok(hash) => {
                // Blobs finished during this call are not known to the caller yet.
                let dup = known(&hash)
                    || self.pending.contains_key(&hash)
                    || self.finished.iter().any(|w| w.hash == hash);
                if !dup {
                    self.pending.insert(hash, size);
                }
                if let Some(b) = self.queue.back_mut() {
                    b.hash = Some(hash);
                    b.dropped = dup;
                }
                Ok((hash, std::mem::take(&mut self.finished)))
            }
            Err(e) => {
                // Chunks already submitted still come back and are dropped; resources
                // finished meanwhile are kept for the next `drain`.
                if let Some(b) = self.queue.back_mut() {
                    b.dropped = true;
                    b.chunks = b.submitted;
                    if b.submitted == 0 {
                        self.queue.pop_back();
                    }
                }
                Err(e)
            }
        }
    }

    /// Reads the blob chunk by chunk into the compressor, taking results whenever the
    /// compressor is full; returns the blob's SHA-1 (`digest` if given: not recomputed).
    fn feed(
        &mut self,
        out: &mut dyn WimOutput,
        src: &mut dyn ChunkSource,
        size: u64,
        digest: Option<Sha1Digest>,
    ) -> Result<Sha1Digest> {
        let cs = u64::from(self.chunk_size);
        let mut hasher = digest.is_none().then(sha1::Sha1::new);
        let mut read = 0u64;
        while read < size {
            let len = cs.min(size - read) as usize;
            let buf = src.read_owned(len)?;
            if buf.len() != len {
                return Err(short_input(size, read + buf.len() as u64));
            }
            if let Some(h) = hasher.as_mut() {
                h.update(&buf);
            }
            read += len as u64;
            let full = self
                .compressor
                .as_ref()
                .is_some_and(|c| c.in_flight() >= self.limit);
            if full {
                self.take_one(out)?;
            }
            if let Some(c) = self.compressor.as_mut() {
                c.submit(buf);
            }
            if let Some(b) = self.queue.back_mut() {
                b.submitted += 1;
            }
        }
        expect_eof(src, size)?;
        Ok(match hasher {
            Some(h) => Sha1Digest(h.finalize().into()),
            None => digest.unwrap_or(Sha1Digest::EMPTY),
        })
    }

    /// Waits for every blob in flight and returns their resources, in order.
    pub fn drain(&mut self, out: &mut dyn WimOutput) -> Result<Vec<Written>> {
        while self.is_busy() {
            let before = self.queue.len();
            self.take_one(out)?;
            if self.queue.len() == before
                && self.compressor.as_ref().is_none_or(|c| c.in_flight() == 0)
            {
                // Nothing in flight yet the queue is not empty: cannot happen, but never
                // loop forever.
                self.queue.clear();
                self.front = None;
                self.pending.clear();
                return Err(usage(
                    "internal: blob queued without chunks in flight".into(),
                ));
            }
        }
        Ok(std::mem::take(&mut self.finished))
    }

    /// Takes the oldest result and writes it into the oldest blob's resource, finishing
    /// that resource (chunk table, or rewrite uncompressed) when it was the last chunk.
    fn take_one(&mut self, out: &mut dyn WimOutput) -> Result<()> {
        let batch = self.batch;
        let Some(c) = self.compressor.as_mut().and_then(|c| {
            c.wait_ready(batch);
            c.take_next()
        }) else {
            return Ok(());
        };
        let Some(blob) = self.queue.front() else {
            return Ok(());
        };
        let (size, chunks) = (blob.size, blob.chunks);
        let front = self.front.get_or_insert_with(|| {
            let entry: u64 = if size > 0xFFFF_FFFF { 8 } else { 4 };
            let table_len = (chunks - 1) * entry;
            FrontState {
                at: self.pos,
                data_start: self.pos + table_len,
                entry,
                table_len,
                got: 0,
                written: 0,
                ends: Vec::with_capacity(usize::try_from(chunks.min(1 << 20)).unwrap_or(0)),
                raw: Vec::with_capacity(usize::try_from(chunks.min(1 << 20)).unwrap_or(0)),
            }
        });
        front.got += 1;
        if !blob.dropped {
            write_at(out, front.data_start + front.written, &c.data)?;
            front.written += c.data.len() as u64;
            front.ends.push(front.written);
            front.raw.push(c.stored_raw);
        }
        if front.got < chunks {
            return Ok(());
        }
        let (Some(blob), Some(front)) = (self.queue.pop_front(), self.front.take()) else {
            return Ok(());
        };
        let Some(hash) = blob.hash.filter(|_| !blob.dropped) else {
            return Ok(()); // a duplicate or failed blob: its space is reused
        };
        self.pending.remove(&hash);
        let w = self.finish_resource(out, front, size, hash)?;
        self.pos = w.end();
        self.finished.push(w);
        Ok(())
    }

    /// Completes a resource whose chunks are all written: fills in the chunk table, or
    /// rewrites it uncompressed when compression did not make it smaller.
    fn finish_resource(
        &mut self,
        out: &mut dyn WimOutput,
        f: FrontState,
        size: u64,
        hash: Sha1Digest,
    ) -> Result<Written> {
        let total = f.table_len + f.written;
        let Some(kind) = self.kind else {
            return Err(usage(
                "internal: compressed resource without a codec".into(),
            ));
        };
        if total >= size {
            self.rewrite_uncompressed(out, f.at, f.data_start, kind, &f.ends, &f.raw, size)?;
            return Ok(Written {
                reshdr: ResourceHeader {
                    size_in_wim: size,
                    flags: ResourceFlags::empty(),
                    offset: f.at,
                    uncompressed_size: size,
                },
                hash,
            });
        }
        let mut table = Vec::with_capacity(f.table_len as usize);
        for &e in f.ends.iter().take(f.ends.len().saturating_sub(1)) {
            if f.entry == 8 {
                table.extend_from_slice(&e.to_le_bytes());
            } else {
                table.extend_from_slice(&(e as u32).to_le_bytes());
            }
        }
        write_at(out, f.at, &table)?;
        Ok(Written {
            reshdr: ResourceHeader {
                size_in_wim: total,
                flags: ResourceFlags::COMPRESSED,
                offset: f.at,
                uncompressed_size: size,
            },
            hash,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn rewrite_uncompressed(
        &mut self,
        out: &mut dyn WimOutput,
        at: u64,
        data_start: u64,
        kind: CompressionKind,
        ends: &[u64],
        raw: &[bool],
        size: u64,
    ) -> Result<()> {
        if data_start == at && raw.iter().all(|&r| r) {
            return Ok(()); // already the uncompressed bytes, in place
        }
        let cs = u64::from(self.chunk_size);
        let mut w = at;
        let mut start = 0u64;
        let mut plain = Vec::new();
        for (i, (&end, &is_raw)) in ends.iter().zip(raw).enumerate() {
            let clen = (end - start) as usize;
            let ulen = cs.min(size - i as u64 * cs) as usize;
            let mut stored = vec![0u8; clen];
            read_at(out, data_start + start, &mut stored)?;
            let bytes = if is_raw {
                stored
            } else {
                if self.decompressor.is_none() {
                    self.decompressor = Some(
                        new_decompressor(kind, self.chunk_size as usize)
                            .map_err(|e| usage(format!("decompressor: {e}")))?,
                    );
                }
                plain.resize(ulen, 0);
                if let Some(d) = self.decompressor.as_mut() {
                    d.decompress(&stored, &mut plain).map_err(|e| {
                        usage(format!(
                            "our own {} chunk {i} does not decode: {e}",
                            kind.name()
                        ))
                    })?;
                }
                std::mem::take(&mut plain)
            };
            write_at(out, w, &bytes)?;
            w += bytes.len() as u64;
            start = end;
        }
        Ok(())
    }
}

/// Writes `size` bytes from `src` uncompressed at `at`.
pub fn write_raw(
    out: &mut dyn WimOutput,
    at: u64,
    src: &mut dyn Read,
    size: u64,
) -> Result<Written> {
    out.seek(io::SeekFrom::Start(at))
        .map_err(|e| Error::io_at(e, at))?;
    let mut hasher = sha1::Sha1::new();
    let mut buf = vec![0u8; (1 << 20).min(size as usize)];
    let mut done = 0u64;
    while done < size {
        let len = (size - done).min(buf.len() as u64) as usize;
        let got = read_full(src, &mut buf[..len])?;
        if got != len {
            return Err(short_input(size, done + got as u64));
        }
        hasher.update(&buf[..len]);
        out.write_all(&buf[..len])
            .map_err(|e| Error::io_at(e, at + done))?;
        done += len as u64;
    }
    expect_eof(src, size)?;
    Ok(Written {
        reshdr: ResourceHeader {
            size_in_wim: size,
            flags: ResourceFlags::empty(),
            offset: at,
            uncompressed_size: size,
        },
        hash: Sha1Digest(hasher.finalize().into()),
    })
}

/// A closed solid resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolidClosed {
    /// Its blob-table row's resource header (flags SOLID, uncompressed-size field =
    /// `0x100000000`).
    pub reshdr: ResourceHeader,
    /// Uncompressed size of the resource (sum of its blobs).
    pub uncompressed_size: u64,
    /// The file offset just past the resource.
    pub end: u64,
}

/// Accumulates blobs into solid resources.
pub struct SolidSink {
    kind: Option<CompressionKind>,
    chunk_size: u32,
    compressor: Option<Box<dyn ChunkCompressor>>,
    /// Chunks kept in flight ([`pipe_limit`]).
    limit: usize,
    memory_budget: u64,
    open: Option<OpenSolid>,
}

impl std::fmt::Debug for SolidSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SolidSink")
            .field("kind", &self.kind)
            .field("chunk_size", &self.chunk_size)
            .field("open", &self.open.is_some())
            .finish()
    }
}

struct OpenSolid {
    /// Where the resource starts.
    start: u64,
    /// Table entries reserved once spilled to the file (`None` while in memory).
    reserved: Option<u64>,
    /// Compressed chunks kept in memory.
    mem: Vec<CompressedChunk>,
    mem_bytes: u64,
    /// Compressed bytes written to the file (after the reservation).
    spilled: u64,
    sizes: Vec<u32>,
    uncompressed: u64,
    /// The chunk being filled.
    buf: Vec<u8>,
}

impl SolidSink {
    /// A solid sink for `kind` (`None` = chunks stored) with `chunk_size`, `level` and
    /// `threads`; compressed chunks up to `memory_budget` bytes are held in memory.
    pub fn new(
        kind: Option<CompressionKind>,
        chunk_size: u32,
        level: u32,
        threads: usize,
        memory_budget: u64,
    ) -> Result<Self> {
        let compressor = match kind {
            Some(k) => Some(chunk_compressor(k, chunk_size, level, threads)?),
            None => None,
        };
        let limit = compressor
            .as_deref()
            .map_or(1, |c| pipe_limit(c, chunk_size, threads));
        Ok(SolidSink {
            kind,
            chunk_size,
            compressor,
            limit,
            memory_budget,
            open: None,
        })
    }

    /// The codec of the solid resources.
    pub fn kind(&self) -> Option<CompressionKind> {
        self.kind
    }

    /// Uncompressed chunk size of the solid resources.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// True when a resource is open (blobs were added since the last close).
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// The file offset the next non-solid write may use while a resource is open, i.e.
    /// just past anything this sink wrote to the file.
    pub fn file_end(&self) -> Option<u64> {
        let o = self.open.as_ref()?;
        let r = o.reserved?;
        Some(o.start + SOLID_HEADER_SIZE as u64 + 4 * r + o.spilled)
    }

    /// Adds `size` bytes of `src` to the open resource (opening one at `at` if none).
    /// Returns the blob's offset inside the resource and its SHA-1.
    pub fn add(
        &mut self,
        out: &mut dyn WimOutput,
        at: u64,
        src: &mut dyn Read,
        size: u64,
    ) -> Result<(u64, Sha1Digest)> {
        let cs = self.chunk_size as usize;
        let open = self.open.get_or_insert_with(|| OpenSolid {
            start: at,
            reserved: None,
            mem: Vec::new(),
            mem_bytes: 0,
            spilled: 0,
            sizes: Vec::new(),
            uncompressed: 0,
            // Reserved whole (pages are only touched as the chunk fills): growing it
            // would copy up to a chunk per chunk and leave freed mid-size buffers in
            // the heap.
            buf: Vec::with_capacity(cs),
        });
        let offset = open.uncompressed;
        let mut hasher = sha1::Sha1::new();
        let mut left = size;
        while left > 0 {
            let room = cs - open.buf.len();
            let take = (room as u64).min(left) as usize;
            let old = open.buf.len();
            open.buf.resize(old + take, 0);
            let got = read_full(src, &mut open.buf[old..])?;
            if got != take {
                open.buf.truncate(old + got);
                return Err(short_input(size, size - left + got as u64));
            }
            hasher.update(&open.buf[old..]);
            left -= take as u64;
            open.uncompressed += take as u64;
            if open.buf.len() == cs {
                let chunk = std::mem::replace(&mut open.buf, Vec::with_capacity(cs));
                Self::submit(
                    &mut self.compressor,
                    self.limit,
                    open,
                    chunk,
                    out,
                    self.memory_budget,
                    false,
                )?;
            }
        }
        expect_eof(src, size)?;
        Ok((offset, Sha1Digest(hasher.finalize().into())))
    }

    /// Submits one chunk (empty: none) and places the results that must be taken to keep
    /// at most `limit` chunks in flight (all of them when `last`), in order.
    fn submit(
        compressor: &mut Option<Box<dyn ChunkCompressor>>,
        limit: usize,
        open: &mut OpenSolid,
        chunk: Vec<u8>,
        out: &mut dyn WimOutput,
        budget: u64,
        last: bool,
    ) -> Result<()> {
        let Some(c) = compressor else {
            let n = chunk.len();
            let r = CompressedChunk {
                data: chunk,
                stored_raw: true,
                uncompressed_size: n,
            };
            return Self::place(open, r, out, budget);
        };
        if !chunk.is_empty() {
            c.submit(chunk);
        }
        let keep = if last { 0 } else { limit.saturating_sub(1) };
        while c.in_flight() > keep {
            let Some(r) = c.take_next() else { break };
            Self::place(open, r, out, budget)?;
        }
        Ok(())
    }

    /// Places one compressed chunk: kept in memory, or written after the reserved table
    /// (the chunks so far move to the file once the memory budget is exceeded, after a
    /// table reserved for twice their count, at least 64).
    fn place(
        open: &mut OpenSolid,
        r: CompressedChunk,
        out: &mut dyn WimOutput,
        budget: u64,
    ) -> Result<()> {
        open.sizes.push(r.data.len() as u32);
        match open.reserved {
            None => {
                open.mem_bytes += r.data.len() as u64;
                open.mem.push(r);
            }
            Some(res) => {
                let at = open.start + SOLID_HEADER_SIZE as u64 + 4 * res + open.spilled;
                write_at(out, at, &r.data)?;
                open.spilled += r.data.len() as u64;
            }
        }
        if open.reserved.is_none() && open.mem_bytes > budget {
            let res = (2 * open.sizes.len() as u64).max(64);
            open.reserved = Some(res);
            let mut at = open.start + SOLID_HEADER_SIZE as u64 + 4 * res;
            for c in std::mem::take(&mut open.mem) {
                write_at(out, at, &c.data)?;
                at += c.data.len() as u64;
                open.spilled += c.data.len() as u64;
            }
            open.mem_bytes = 0;
        }
        Ok(())
    }

    /// Closes the open resource, writing its header and chunk sizes. `None` if no
    /// resource is open.
    pub fn close(&mut self, out: &mut dyn WimOutput) -> Result<Option<SolidClosed>> {
        let Some(mut open) = self.open.take() else {
            return Ok(None);
        };
        let last = std::mem::take(&mut open.buf);
        Self::submit(
            &mut self.compressor,
            self.limit,
            &mut open,
            last,
            out,
            self.memory_budget,
            true,
        )?;
        let format = match self.kind {
            None => SOLID_FORMAT_NONE,
            Some(CompressionKind::Xpress) => SOLID_FORMAT_XPRESS,
            Some(CompressionKind::Lzx) => SOLID_FORMAT_LZX,
            Some(CompressionKind::Lzms) => SOLID_FORMAT_LZMS,
        };
        let mut head = RawSolidHeader {
            uncompressed_size: open.uncompressed,
            chunk_size: self.chunk_size,
            format,
        }
        .to_bytes()
        .to_vec();
        for s in &open.sizes {
            head.extend_from_slice(&s.to_le_bytes());
        }
        let head_len = head.len() as u64;
        let (offset, data_len) = match open.reserved {
            None => {
                write_at(out, open.start, &head)?;
                let mut at = open.start + head_len;
                for c in &open.mem {
                    write_at(out, at, &c.data)?;
                    at += c.data.len() as u64;
                }
                (open.start, open.mem_bytes)
            }
            Some(res) => {
                // The data move to just after the table, so that the resource is laid
                // out as if it had stayed in memory: the bytes do not depend on the
                // budget, nor on when it was found exceeded.
                let from = open.start + SOLID_HEADER_SIZE as u64 + 4 * res;
                let to = open.start + head_len;
                if from < to {
                    move_up(out, from, to, open.spilled)?;
                } else if from > to {
                    move_down(out, from, to, open.spilled)?;
                }
                write_at(out, open.start, &head)?;
                (open.start, open.spilled)
            }
        };
        let size_in_wim = head_len + data_len;
        Ok(Some(SolidClosed {
            reshdr: ResourceHeader {
                size_in_wim,
                flags: ResourceFlags::SOLID,
                offset,
                uncompressed_size: SOLID_RESOURCE_MAGIC_SIZE,
            },
            uncompressed_size: open.uncompressed,
            end: offset + size_in_wim,
        }))
    }
}

/// Moves `len` bytes from `from` to `to < from`, first block first.
fn move_down(out: &mut dyn WimOutput, from: u64, to: u64, len: u64) -> Result<()> {
    let mut buf = vec![0u8; (1usize << 20).min(usize::try_from(len).unwrap_or(1 << 20))];
    let mut done = 0u64;
    while done < len {
        let n = (len - done).min(buf.len() as u64);
        let b = &mut buf[..n as usize];
        read_at(out, from + done, b)?;
        write_at(out, to + done, b)?;
        done += n;
    }
    Ok(())
}

/// Moves `len` bytes from `from` to `to > from`, last block first.
fn move_up(out: &mut dyn WimOutput, from: u64, to: u64, len: u64) -> Result<()> {
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() as u64);
        left -= n;
        let b = &mut buf[..n as usize];
        read_at(out, from + left, b)?;
        write_at(out, to + left, b)?;
    }
    Ok(())
}
