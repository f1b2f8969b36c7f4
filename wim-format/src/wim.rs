//! The open WIM ([`Wim`]): header, merged blob table, XML bytes, metadata bytes, blob
//! access (whole, streaming, and a parallel all-blobs pass with SHA-1 checks).

use crate::blob_table::{BlobEntry, BlobLocation, BlobTable};
use crate::digest::{ImageIndex, Sha1Digest};
use crate::error::{FormatError, FormatErrorKind, UsageError};
use crate::header::WimHeader;
use crate::integrity::IntegrityTable;
use crate::limits::Limits;
use crate::parts::{Part, check_split_set};
use crate::resource::{ChunkDecoder, ChunkLayout, ResourceRead, ResourceReader};
use crate::source::ReadAt;
use crate::{Error, Result};
use rayon::prelude::*;
use sha1::Digest;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A streaming reader over one blob; the SHA-1 is checked at EOF (`HashMismatch`).
pub type BlobReader = ResourceRead;

/// Options for opening a WIM.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    limits: Limits,
    verify_integrity: bool,
    refs: Vec<PathBuf>,
}

impl OpenOptions {
    /// Default options: default limits, no integrity check, no reference files.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
    /// Checks the integrity table (if present) while opening (`--check`).
    pub fn verify_integrity(mut self, yes: bool) -> Self {
        self.verify_integrity = yes;
        self
    }
    /// Adds a reference file: another part of a split set, or a WIM whose blobs this one
    /// uses (`--ref`). The opened file itself may appear again; it is ignored.
    pub fn reference(mut self, path: impl Into<PathBuf>) -> Self {
        self.refs.push(path.into());
        self
    }
    /// Adds several reference files.
    pub fn references<P: Into<PathBuf>>(mut self, paths: impl IntoIterator<Item = P>) -> Self {
        self.refs.extend(paths.into_iter().map(Into::into));
        self
    }
    /// Opens the WIM at `path` (and the reference files).
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Wim> {
        let path = path.as_ref();
        let f = std::fs::File::open(path)?;
        self.open_inner(Arc::new(f), Some(path.to_path_buf()))
    }
    /// Opens a WIM from any positional source (reference files are opened by path).
    pub fn open_source(&self, src: Arc<dyn ReadAt>) -> Result<Wim> {
        self.open_inner(src, None)
    }

    fn open_inner(&self, src: Arc<dyn ReadAt>, path: Option<PathBuf>) -> Result<Wim> {
        let main = Part::open(src, path, &self.limits)?;
        let mut parts = vec![main];
        for r in &self.refs {
            let f = std::fs::File::open(r)?;
            let p = Part::open(Arc::new(f), Some(r.clone()), &self.limits)
                .map_err(|e| e.map_format(|f| f.path(r.display().to_string())))?;
            parts.push(p);
        }
        let split = check_split_set(&parts)?;
        let split_guid = parts[0].header.guid;
        // Blob tables: split parts in part order (part 1 supplies the metadata), then
        // reference WIMs in the order given.
        let mut order: Vec<usize> = split.clone();
        if order.is_empty() {
            order.push(0);
        }
        if !order.contains(&0) {
            order.insert(0, 0);
        }
        for (i, p) in parts.iter().enumerate() {
            if p.header.guid != split_guid && !order.contains(&i) {
                order.push(i);
            }
        }
        let mut table: Option<BlobTable> = None;
        for &i in &order {
            let p = &parts[i];
            let t = BlobTable::read(&p.source, &p.header, i, &self.limits)
                .map_err(|e| e.map_format(|f| f.path(p.name())))?;
            match &mut table {
                None => table = Some(t),
                Some(all) if p.header.guid == split_guid && p.header.part_number == 1 => {
                    // Part 1 holds the metadata: it goes first.
                    let mut t = t;
                    t.merge(std::mem::take(all));
                    *all = t;
                }
                Some(all) => all.merge(t),
            }
        }
        let wim = Wim {
            parts,
            blob_table: table.unwrap_or_default(),
            limits: self.limits.clone(),
            solid_layouts: Mutex::new(HashMap::new()),
        };
        if self.verify_integrity {
            wim.check_integrity()?;
        }
        Ok(wim)
    }
}

/// Result of [`Wim::check_integrity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrityStatus {
    /// The table is present and every chunk matched.
    Ok,
    /// The WIM has no integrity table.
    Absent,
}

/// Progress of a parallel blob pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VerifyProgress {
    /// Blobs finished (checked or failed).
    pub blobs_done: u64,
    /// Blobs in the pass.
    pub blobs_total: u64,
    /// Uncompressed bytes of the finished blobs.
    pub bytes_done: u64,
    /// Uncompressed bytes of all blobs in the pass.
    pub bytes_total: u64,
}

/// A blob that failed (could not be read, decoded, or its SHA-1 did not match).
#[derive(Debug)]
pub struct BlobFailure {
    /// The blob.
    pub hash: Sha1Digest,
    /// Why.
    pub error: Error,
}

/// Outcome of a parallel blob pass; failures are in blob-table order.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// Blobs visited.
    pub blobs: u64,
    /// Uncompressed bytes visited.
    pub bytes: u64,
    /// Blobs that failed, in blob-table order.
    pub failures: Vec<BlobFailure>,
}

impl VerifyReport {
    /// `Ok(())` if nothing failed, else the first failure's error.
    pub fn into_result(self) -> Result<()> {
        match self.failures.into_iter().next() {
            None => Ok(()),
            Some(f) => Err(f.error),
        }
    }
}

/// Receives blob data from [`Wim::for_each_blob_parallel`]. Calls for one blob are made
/// in order from one thread at a time; different blobs are handled concurrently.
pub trait BlobVisitor: Sync {
    /// Per-blob state.
    type State: Send;
    /// Called before the first byte of `blob`.
    fn begin(&self, blob: &BlobEntry) -> Result<Self::State>;
    /// Called with the next bytes of the blob, in order.
    fn data(&self, state: &mut Self::State, data: &[u8]) -> Result<()>;
    /// Called after the last byte, once the SHA-1 matched. Not called for failed blobs.
    fn end(&self, blob: &BlobEntry, state: Self::State) -> Result<()>;
}

/// A visitor that only lets the engine check SHA-1s.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopVisitor;

impl BlobVisitor for NoopVisitor {
    type State = ();
    fn begin(&self, _: &BlobEntry) -> Result<()> {
        Ok(())
    }
    fn data(&self, _: &mut (), _: &[u8]) -> Result<()> {
        Ok(())
    }
    fn end(&self, _: &BlobEntry, _: ()) -> Result<()> {
        Ok(())
    }
}

/// An open WIM file or split set.
#[derive(Debug)]
pub struct Wim {
    parts: Vec<Part>,
    blob_table: BlobTable,
    limits: Limits,
    solid_layouts: Mutex<HashMap<(usize, u64), Arc<ChunkLayout>>>,
}

/// Blobs at most this large are decoded serially by one task each.
const SMALL_BLOB: u64 = 8 << 20;
/// Budget of decoded chunk bytes in flight for one large blob or solid resource.
const WINDOW_BYTES: u64 = 256 << 20;

/// A solid resource and its selected blobs (table index, entry, offset in resource).
type SolidGroup<'a> = (
    &'a Arc<crate::blob_table::SolidResource>,
    Vec<(usize, &'a BlobEntry, u64)>,
);

enum Outcome {
    Ok,
    Failed(Error),
    Aborted(Error),
}

impl Wim {
    /// Opens the WIM at `path` with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        OpenOptions::new().open(path)
    }
    /// Opens a WIM from a positional source with default options.
    pub fn from_read_at(src: impl ReadAt + 'static) -> Result<Self> {
        OpenOptions::new().open_source(Arc::new(src))
    }
    /// Options builder.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// The opened file's header (for pipable WIMs, the trailing complete header).
    pub fn header(&self) -> &WimHeader {
        &self.parts[0].header
    }
    /// The merged blob table.
    pub fn blob_table(&self) -> &BlobTable {
        &self.blob_table
    }
    /// Number of images (from the header).
    pub fn image_count(&self) -> u32 {
        self.header().image_count
    }
    /// The files in use: index 0 is the opened file, then the reference files in the
    /// order given. [`BlobLocation::source`] indexes this slice.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }
    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn part(&self, i: usize) -> Result<&Part> {
        self.parts
            .get(i)
            .ok_or_else(|| Error::format(FormatErrorKind::BadBlobTable, "blob source out of range"))
    }

    /// The raw XML resource (UTF-16LE with BOM), decompressed if needed.
    pub fn xml_bytes(&self) -> Result<Vec<u8>> {
        let p = &self.parts[0];
        let r = &p.header.xml;
        if r.is_zero() {
            return Ok(Vec::new());
        }
        Limits::check("XML size", r.uncompressed_size, self.limits.max_xml_bytes)?;
        let layout = ChunkLayout::read(&*p.source, r, &p.header, &self.limits)
            .map_err(|e| e.map_format(|f| f.at_if_unset(0x48)))?;
        ResourceReader::new(p.source.clone(), Arc::new(layout)).read_all()
    }

    /// The uncompressed metadata resource of `image`, its SHA-1 checked.
    ///
    /// `Usage(NoSuchImage)` past the image count; `MissingBlob` when the metadata is in a
    /// split part that was not given; `LimitExceeded` above `max_metadata_bytes` or
    /// `max_metadata_ratio` × the file size.
    pub fn metadata_bytes(&self, image: ImageIndex) -> Result<Vec<u8>> {
        if image.get() > self.image_count() {
            return Err(Error::Usage(UsageError::NoSuchImage(image.to_string())));
        }
        let e = self.blob_table.metadata(image).ok_or_else(|| {
            Error::from(
                FormatError::new(
                    FormatErrorKind::MissingBlob,
                    "the image's metadata resource is not available",
                )
                .image(image),
            )
        })?;
        let file_len = self.part(e.location.source())?.len;
        Limits::check(
            "metadata resource size",
            e.size,
            self.limits.max_metadata_bytes,
        )?;
        Limits::check(
            "metadata resource size (ratio to file size)",
            e.size,
            file_len.saturating_mul(self.limits.max_metadata_ratio),
        )?;
        self.read_entry(e)
            .map_err(|err| err.map_format(|f| f.image(image)))
    }

    /// Reads a whole blob into memory, SHA-1 checked. Meant for small blobs: sizes above
    /// `max_metadata_bytes` are refused with `LimitExceeded`.
    pub fn read_blob(&self, hash: &Sha1Digest) -> Result<Vec<u8>> {
        let e = self.entry(hash)?;
        Limits::check(
            "blob size (read into memory)",
            e.size,
            self.limits.max_metadata_bytes,
        )?;
        self.read_entry(e)
    }

    /// Looks a blob up; `MissingBlob` if absent.
    pub fn entry(&self, hash: &Sha1Digest) -> Result<&BlobEntry> {
        self.blob_table.get(hash).ok_or_else(|| {
            Error::from(
                FormatError::new(
                    FormatErrorKind::MissingBlob,
                    "blob is in no available part or reference file",
                )
                .blob(*hash),
            )
        })
    }

    fn read_entry(&self, e: &BlobEntry) -> Result<Vec<u8>> {
        let (src, layout, start) = self.locate(e)?;
        let n = usize::try_from(e.size)
            .map_err(|_| Error::format(FormatErrorKind::BadResource, "blob too large"))?;
        let mut v = vec![0u8; n];
        ResourceReader::new(src, layout)
            .read_at(start, &mut v)
            .map_err(|err| err.map_format(|f| f.blob(e.hash)))?;
        let got = Sha1Digest::of(&v);
        if got != e.hash {
            return Err(hash_mismatch(e, got));
        }
        Ok(v)
    }

    /// A streaming reader over a blob; the SHA-1 is checked when EOF is reached.
    pub fn open_blob(&self, hash: &Sha1Digest) -> Result<BlobReader> {
        let e = self.entry(hash)?;
        self.open_entry(e)
    }

    /// A streaming reader over the blob of `entry`.
    pub fn open_entry(&self, e: &BlobEntry) -> Result<BlobReader> {
        let (src, layout, start) = self.locate(e)?;
        ResourceRead::new(
            ResourceReader::new(src, layout),
            start,
            e.size,
            Some(e.hash),
        )
    }

    /// The source, chunk layout and start offset within the resource of a blob.
    fn locate(&self, e: &BlobEntry) -> Result<(Arc<dyn ReadAt>, Arc<ChunkLayout>, u64)> {
        let p = self.part(e.location.source())?;
        let r = match &e.location {
            BlobLocation::Resource { reshdr, .. } => {
                let l = ChunkLayout::read(&*p.source, reshdr, &p.header, &self.limits).map_err(
                    |err| err.map_format(|f| f.blob(e.hash).at_if_unset(e.table_offset)),
                )?;
                (p.source.clone(), Arc::new(l), 0)
            }
            BlobLocation::Solid { resource, offset } => {
                let key = (resource.source, resource.reshdr.offset);
                let cached = self
                    .solid_layouts
                    .lock()
                    .ok()
                    .and_then(|m| m.get(&key).cloned());
                let l = match cached {
                    Some(l) => l,
                    None => {
                        let l = Arc::new(
                            crate::resource::solid::read_solid_layout(
                                &*p.source,
                                &resource.reshdr,
                                &self.limits,
                            )
                            .map_err(|err| err.map_format(|f| f.blob(e.hash)))?,
                        );
                        if let Ok(mut m) = self.solid_layouts.lock() {
                            m.insert(key, l.clone());
                        }
                        l
                    }
                };
                if offset
                    .checked_add(e.size)
                    .is_none_or(|end| end > l.uncompressed_size)
                {
                    return Err(FormatError::new(
                        FormatErrorKind::BadBlobTable,
                        "solid blob extends past its resource's uncompressed size",
                    )
                    .at(e.table_offset)
                    .blob(e.hash)
                    .into());
                }
                (p.source.clone(), l, *offset)
            }
        };
        Ok(r)
    }

    /// Checks the integrity table of the opened file, if it has one.
    pub fn check_integrity(&self) -> Result<IntegrityStatus> {
        let p = &self.parts[0];
        let Some(t) = IntegrityTable::read(&*p.source, &p.header, &self.limits)? else {
            return Ok(IntegrityStatus::Absent);
        };
        let bt = &p.header.blob_table;
        let end = bt.offset.checked_add(bt.size_in_wim).ok_or_else(|| {
            Error::from(
                FormatError::new(
                    FormatErrorKind::BadIntegrityTable,
                    "blob table end overflows",
                )
                .at(0x30),
            )
        })?;
        t.verify(&*p.source, end)?;
        Ok(IntegrityStatus::Ok)
    }

    /// Reads every blob (metadata included) on all cores and checks every SHA-1.
    /// `on_progress` is called (from worker threads) as blobs finish.
    pub fn verify_blobs(
        &self,
        on_progress: &(dyn Fn(VerifyProgress) + Sync),
    ) -> Result<VerifyReport> {
        self.for_each_blob_parallel(&|_| true, &NoopVisitor, on_progress)
    }

    /// Decodes the selected blobs on all cores and feeds their bytes to `visitor`,
    /// checking every SHA-1. Chunks of large blobs and of solid resources are decoded in
    /// parallel within a bounded window; small blobs are decoded by one task each.
    ///
    /// Blob failures (I/O, decoding, hash) are collected in the report in table order;
    /// an error returned by the visitor aborts the pass and is returned as `Err`.
    pub fn for_each_blob_parallel<V: BlobVisitor>(
        &self,
        select: &(dyn Fn(&BlobEntry) -> bool + Sync),
        visitor: &V,
        on_progress: &(dyn Fn(VerifyProgress) + Sync),
    ) -> Result<VerifyReport> {
        let entries: Vec<(usize, &BlobEntry)> = self
            .blob_table
            .entries()
            .iter()
            .enumerate()
            .filter(|(_, e)| select(e))
            .collect();
        let total = VerifyProgress {
            blobs_total: entries.len() as u64,
            // Declared sizes come from disk: saturate rather than overflow.
            bytes_total: entries
                .iter()
                .fold(0u64, |acc, (_, e)| acc.saturating_add(e.size)),
            ..Default::default()
        };
        let done_blobs = AtomicU64::new(0);
        let done_bytes = AtomicU64::new(0);
        let abort = AtomicBool::new(false);
        let tick = |e: &BlobEntry| {
            let b = done_blobs.fetch_add(1, Ordering::Relaxed) + 1;
            let y = done_bytes
                .fetch_add(e.size, Ordering::Relaxed)
                .saturating_add(e.size);
            on_progress(VerifyProgress {
                blobs_done: b,
                bytes_done: y,
                ..total
            });
        };
        let mut small = Vec::new();
        let mut large = Vec::new();
        let mut solid: Vec<SolidGroup<'_>> = Vec::new();
        let mut solid_idx: HashMap<(usize, u64), usize> = HashMap::new();
        for &(i, e) in &entries {
            match &e.location {
                BlobLocation::Resource { .. } if e.size <= SMALL_BLOB => small.push((i, e)),
                BlobLocation::Resource { .. } => large.push((i, e)),
                BlobLocation::Solid { resource, offset } => {
                    let key = (resource.source, resource.reshdr.offset);
                    let k = *solid_idx.entry(key).or_insert_with(|| {
                        solid.push((resource, Vec::new()));
                        solid.len() - 1
                    });
                    if let Some(s) = solid.get_mut(k) {
                        s.1.push((i, e, *offset));
                    }
                }
            }
        }
        let mut results: Vec<(usize, Sha1Digest, Outcome)> = small
            .par_iter()
            .map_init(ChunkDecoder::new, |dec, &(i, e)| {
                if abort.load(Ordering::Relaxed) {
                    return (i, e.hash, Outcome::Ok);
                }
                let o = self.stream_blob(e, dec, visitor);
                if matches!(o, Outcome::Aborted(_)) {
                    abort.store(true, Ordering::Relaxed);
                }
                tick(e);
                (i, e.hash, o)
            })
            .collect();
        for &(i, e) in &large {
            if abort.load(Ordering::Relaxed) {
                break;
            }
            let o = self.windowed_blob(e, visitor);
            tick(e);
            results.push((i, e.hash, o));
        }
        for (res, blobs) in &mut solid {
            if abort.load(Ordering::Relaxed) {
                break;
            }
            blobs.sort_by_key(|b| b.2);
            for (i, h, o) in self.solid_pass(res, blobs, visitor) {
                if let Some((_, e, _)) = blobs.iter().find(|b| b.0 == i) {
                    tick(e);
                }
                results.push((i, h, o));
            }
        }
        results.sort_by_key(|r| r.0);
        let mut report = VerifyReport {
            blobs: total.blobs_total,
            bytes: total.bytes_total,
            failures: Vec::new(),
        };
        for (_, hash, o) in results {
            match o {
                Outcome::Ok => {}
                Outcome::Failed(error) => report.failures.push(BlobFailure { hash, error }),
                Outcome::Aborted(err) => return Err(err),
            }
        }
        Ok(report)
    }

    fn stream_blob<V: BlobVisitor>(&self, e: &BlobEntry, dec: &mut ChunkDecoder, v: &V) -> Outcome {
        let (src, layout, start) = match self.locate(e) {
            Ok(x) => x,
            Err(err) => return Outcome::Failed(err),
        };
        let mut state = match begin_blob(e, v) {
            Ok(s) => s,
            Err(o) => return o,
        };
        let mut h = sha1::Sha1::new();
        let mut buf = Vec::new();
        let end = start + e.size;
        let cs = layout.chunk_size as u64;
        let mut pos = start;
        while pos < end {
            let ci = pos / cs;
            if let Err(err) = dec.decode(&*src, &layout, ci, &mut buf) {
                return Outcome::Failed(err.map_format(|f| f.blob(e.hash)));
            }
            let cstart = ci * cs;
            let a = (pos - cstart) as usize;
            let b = ((end - cstart) as usize).min(buf.len());
            let Some(piece) = buf.get(a..b).filter(|p| !<[u8]>::is_empty(p)) else {
                return Outcome::Failed(Error::format(FormatErrorKind::BadResource, "empty chunk"));
            };
            h.update(piece);
            if let Err(err) = v.data(&mut state, piece) {
                return Outcome::Aborted(err);
            }
            pos += piece.len() as u64;
        }
        finish_blob(e, h, v, Some(state))
    }

    fn window_chunks(chunk_size: u32) -> u64 {
        let threads = rayon::current_num_threads().max(1) as u64;
        let by_budget = WINDOW_BYTES / (chunk_size.max(1) as u64);
        by_budget.min(2 * threads).max(threads.min(2)).max(1)
    }

    fn decode_window(
        src: &Arc<dyn ReadAt>,
        layout: &ChunkLayout,
        range: std::ops::Range<u64>,
    ) -> std::result::Result<Vec<Vec<u8>>, (u64, Error)> {
        let out: Vec<std::result::Result<Vec<u8>, (u64, Error)>> = range
            .into_par_iter()
            .map_init(ChunkDecoder::new, |dec, ci| {
                let mut buf = Vec::new();
                dec.decode(&**src, layout, ci, &mut buf)
                    .map(|()| buf)
                    .map_err(|e| (ci, e))
            })
            .collect();
        out.into_iter().collect()
    }

    fn windowed_blob<V: BlobVisitor>(&self, e: &BlobEntry, v: &V) -> Outcome {
        let (src, layout, _) = match self.locate(e) {
            Ok(x) => x,
            Err(err) => return Outcome::Failed(err),
        };
        let mut state = match begin_blob(e, v) {
            Ok(s) => s,
            Err(o) => return o,
        };
        let mut h = sha1::Sha1::new();
        let n = layout.num_chunks();
        let w = Self::window_chunks(layout.chunk_size);
        // Pipelined: while one thread hashes and hands window k to the visitor (which may
        // write it to disk), the other cores decode window k + 1.
        let mut next = (n > 0).then(|| Self::decode_window(&src, &layout, 0..w.min(n)));
        let mut c0 = 0;
        while let Some(decoded) = next.take() {
            let c1 = (c0 + w).min(n);
            let chunks = match decoded {
                Ok(c) => c,
                Err((_, err)) => return Outcome::Failed(err.map_format(|f| f.blob(e.hash))),
            };
            let mut consume = || -> std::result::Result<(), Error> {
                for c in &chunks {
                    h.update(c);
                    v.data(&mut state, c)?;
                }
                Ok(())
            };
            let consumed = if c1 < n {
                let (r, d) = rayon::join(consume, || {
                    Self::decode_window(&src, &layout, c1..(c1 + w).min(n))
                });
                next = Some(d);
                r
            } else {
                consume()
            };
            if let Err(err) = consumed {
                return Outcome::Aborted(err);
            }
            c0 = c1;
        }
        finish_blob(e, h, v, Some(state))
    }

    fn solid_pass<V: BlobVisitor>(
        &self,
        res: &crate::blob_table::SolidResource,
        blobs: &[(usize, &BlobEntry, u64)],
        v: &V,
    ) -> Vec<(usize, Sha1Digest, Outcome)> {
        let fail_all = |err: &Error| -> Vec<(usize, Sha1Digest, Outcome)> {
            blobs
                .iter()
                .map(|(i, e, _)| (*i, e.hash, Outcome::Failed(dup_error(err, e.hash))))
                .collect()
        };
        let Some((_, first, _)) = blobs.first() else {
            return Vec::new();
        };
        let (src, layout, _) = match self.locate(first) {
            Ok(x) => x,
            Err(err) => return fail_all(&err),
        };
        struct Slot<S> {
            hasher: sha1::Sha1,
            state: Option<S>,
            outcome: Option<Outcome>,
        }
        let mut slots: Vec<Slot<V::State>> = blobs
            .iter()
            .map(|_| Slot {
                hasher: sha1::Sha1::new(),
                state: None,
                outcome: None,
            })
            .collect();
        let cs = layout.chunk_size as u64;
        let n = layout.num_chunks();
        let w = Self::window_chunks(layout.chunk_size);
        let mut c0 = 0;
        while c0 < n {
            let c1 = (c0 + w).min(n);
            let wstart = c0 * cs;
            let wend = (c1 * cs).min(layout.uncompressed_size);
            // Blobs intersecting [wstart, wend): contiguous, since sorted and disjoint.
            let lo = blobs.partition_point(|b| b.2 + b.1.size <= wstart);
            let hi = blobs.partition_point(|b| b.2 < wend);
            if lo >= hi {
                c0 = c1;
                continue;
            }
            let chunks = match Self::decode_window(&src, &layout, c0..c1) {
                Ok(c) => c,
                Err((ci, err)) => {
                    let bad_from = ci * cs;
                    for (k, slot) in slots.iter_mut().enumerate() {
                        let (_, e, off) = blobs[k];
                        if slot.outcome.is_none() && off + e.size > bad_from {
                            slot.outcome = Some(Outcome::Failed(dup_error(&err, e.hash)));
                        }
                    }
                    break;
                }
            };
            let (Some(sub_slots), Some(sub_blobs)) = (slots.get_mut(lo..hi), blobs.get(lo..hi))
            else {
                break;
            };
            sub_slots
                .par_iter_mut()
                .zip(sub_blobs.par_iter())
                .for_each(|(slot, &(_, e, off))| {
                    if slot.outcome.is_some() {
                        return;
                    }
                    if slot.state.is_none() {
                        match begin_blob(e, v) {
                            Ok(s) => slot.state = Some(s),
                            Err(o) => {
                                slot.outcome = Some(o);
                                return;
                            }
                        }
                    }
                    let bend = off + e.size;
                    let a = off.max(wstart);
                    let b = bend.min(wend);
                    let mut pos = a;
                    while pos < b {
                        let ci = (pos / cs - c0) as usize;
                        let cstart = pos / cs * cs;
                        let Some(chunk) = chunks.get(ci) else { return };
                        let x = (pos - cstart) as usize;
                        let y = ((b - cstart) as usize).min(chunk.len());
                        let Some(piece) = chunk.get(x..y).filter(|p| !<[u8]>::is_empty(p)) else {
                            return;
                        };
                        slot.hasher.update(piece);
                        if let Some(st) = slot.state.as_mut()
                            && let Err(err) = v.data(st, piece)
                        {
                            slot.outcome = Some(Outcome::Aborted(err));
                            return;
                        }
                        pos += piece.len() as u64;
                    }
                    if bend <= wend {
                        let h = std::mem::take(&mut slot.hasher);
                        slot.outcome = Some(finish_blob(e, h, v, slot.state.take()));
                    }
                });
            c0 = c1;
        }
        let _ = res;
        blobs
            .iter()
            .zip(slots)
            .map(|(&(i, e, _), s)| {
                let o = s.outcome.unwrap_or_else(|| {
                    Outcome::Failed(
                        FormatError::new(
                            FormatErrorKind::BadResource,
                            "blob was not fully decoded",
                        )
                        .blob(e.hash)
                        .into(),
                    )
                });
                (i, e.hash, o)
            })
            .collect()
    }
}

/// Starts the visitor on blob `e`; a refusal aborts the whole pass.
fn begin_blob<V: BlobVisitor>(e: &BlobEntry, v: &V) -> std::result::Result<V::State, Outcome> {
    v.begin(e).map_err(Outcome::Aborted)
}

/// Ends blob `e` after all its bytes went through `h`: a hash mismatch fails the blob
/// (and the visitor's `end` is not called); else the visitor ends it (`state` absent: the
/// visitor never began, nothing to end).
fn finish_blob<V: BlobVisitor>(
    e: &BlobEntry,
    h: sha1::Sha1,
    v: &V,
    state: Option<V::State>,
) -> Outcome {
    let got = Sha1Digest(h.finalize().into());
    if got != e.hash {
        return Outcome::Failed(hash_mismatch(e, got));
    }
    match state.map(|st| v.end(e, st)) {
        Some(Err(err)) => Outcome::Aborted(err),
        _ => Outcome::Ok,
    }
}

fn hash_mismatch(e: &BlobEntry, got: Sha1Digest) -> Error {
    let at = match &e.location {
        BlobLocation::Resource { reshdr, .. } => reshdr.offset,
        BlobLocation::Solid { resource, .. } => resource.reshdr.offset,
    };
    FormatError::new(
        FormatErrorKind::HashMismatch,
        format!("the {} bytes read have SHA-1 {got}", e.size),
    )
    .at(at)
    .blob(e.hash)
    .into()
}

/// A copy of `err` for another blob (errors are not `Clone`).
fn dup_error(err: &Error, blob: Sha1Digest) -> Error {
    match err {
        Error::Format(f) => {
            let mut n = FormatError::new(f.kind(), f.detail().to_string()).blob(blob);
            if let Some(o) = f.offset() {
                n = n.at(o);
            }
            if let Some(c) = f.context().chunk {
                n = n.chunk(c);
            }
            n.into()
        }
        Error::Io { source, offset } => Error::Io {
            source: io::Error::new(source.kind(), source.to_string()),
            offset: *offset,
        },
        other => Error::format(FormatErrorKind::BadResource, other.to_string()),
    }
}
