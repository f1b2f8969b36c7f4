//! [`WimWriter`]: new WIMs and in-place appends.
//!
//! ```text
//! let mut w = WimWriter::builder().compression(Compression::Lzx).threads(4).build(file)?;
//! let d = w.add_blob(b"hello")?;               // dedup by SHA-1, streamed
//! w.add_image(&tree, image_element)?;           // metadata kept, XML stats computed
//! let summary = w.finish()?;                    // table, XML, integrity, header last
//! ```
//!
//! Crash safety: the first header written (new file) or the existing header rewritten
//! (append) carries `WRITE_IN_PROGRESS`; in append mode nothing before the old end of the
//! file is touched except that flag, so the old blob table, XML and integrity table stay
//! valid until the final header switches to the new ones.
//!
//! Determinism: the output depends only on the inputs, the options, the GUID and the
//! timestamp (both injectable): chunks are compressed independently and returned in
//! order whatever the thread count.

use super::blob_sink::{PlainSink, SolidSink, Written};
use super::layout::{
    BlobRow, HeaderParams, HeaderResources, RowLocation, SolidRow, blob_table_bytes, header,
    integrity_table_bytes,
};
use super::{WimOutput, write_at};
use crate::blob_table::BlobLocation;
use crate::digest::{ImageIndex, Sha1Digest};
use crate::error::{Error, FormatError, FormatErrorKind, Result, Unsupported, UsageError};
use crate::header::{Compression, HeaderFlags, WimHeader};
use crate::integrity::IntegrityTable;
use crate::metadata::FileTime;
use crate::metadata::model::{ImageStats, ImageTree};
use crate::ondisk::header::HEADER_SIZE;
use crate::ondisk::integrity::DEFAULT_INTEGRITY_CHUNK_SIZE;
use crate::resource::{ResourceFlags, ResourceHeader};
use crate::source::{ChunkSource, ReadChunks};
use crate::wim::Wim;
use crate::xml::{Element, WimInfo, XmlNode};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use wim_compress::CompressionKind;

fn usage(msg: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::Usage(UsageError::Other(msg.into()))
}

/// Options for [`WimWriter`]; see each method.
#[derive(Debug, Clone)]
pub struct WimWriterBuilder {
    compression: Compression,
    chunk_size: Option<u32>,
    level: u32,
    solid: bool,
    solid_compression: Compression,
    solid_chunk_size: Option<u32>,
    threads: usize,
    integrity: Option<bool>,
    integrity_chunk_size: Option<u32>,
    pipable: bool,
    guid: Option<[u8; 16]>,
    timestamp: Option<FileTime>,
    boot_index: Option<u32>,
    flags: HeaderFlags,
    solid_memory: u64,
}

impl Default for WimWriterBuilder {
    fn default() -> Self {
        WimWriterBuilder {
            compression: Compression::Lzx,
            chunk_size: None,
            level: 0,
            solid: false,
            solid_compression: Compression::Lzms,
            solid_chunk_size: None,
            threads: 0,
            integrity: None,
            integrity_chunk_size: None,
            pipable: false,
            guid: None,
            timestamp: None,
            boot_index: None,
            flags: HeaderFlags::empty(),
            solid_memory: 32 << 20,
        }
    }
}

/// The default chunk size of non-solid resources for a codec (32 KiB; 128 KiB for LZMS).
pub fn default_chunk_size(c: Compression) -> u32 {
    match c {
        Compression::Lzms => 1 << 17,
        _ => 1 << 15,
    }
}

/// The default chunk size of solid resources (64 MiB for LZMS, else the codec's
/// non-solid default).
pub fn default_solid_chunk_size(c: Compression) -> u32 {
    match c {
        Compression::Lzms => 1 << 26,
        c => default_chunk_size(c),
    }
}

fn check_chunk(c: Compression, cs: u32) -> Result<()> {
    if let Some(k) = c.kind() {
        let (lo, hi) = k.chunk_size_range();
        let v = cs as usize;
        if !v.is_power_of_two() || v < lo || v > hi {
            return Err(usage(format!(
                "chunk size {cs} is not a power of two in {lo}..={hi} for {}",
                k.name()
            )));
        }
    }
    Ok(())
}

impl WimWriterBuilder {
    /// Defaults: LZX, 32 KiB chunks, default level, not solid, all CPUs, no integrity
    /// table, random GUID, current time.
    pub fn new() -> Self {
        Self::default()
    }
    /// Codec of non-solid resources (metadata included); `Compression::None` stores.
    pub fn compression(mut self, c: Compression) -> Self {
        self.compression = c;
        self
    }
    /// Chunk size of non-solid resources (power of two in the codec's range).
    pub fn chunk_size(mut self, cs: u32) -> Self {
        self.chunk_size = Some(cs);
        self
    }
    /// Compression level on wimlib's scale (0 = codec default).
    pub fn level(mut self, level: u32) -> Self {
        self.level = level;
        self
    }
    /// Puts every file blob into solid resources (version 0xE00, "ESD").
    pub fn solid(mut self, yes: bool) -> Self {
        self.solid = yes;
        self
    }
    /// Codec of solid resources (default LZMS).
    pub fn solid_compression(mut self, c: Compression) -> Self {
        self.solid_compression = c;
        self
    }
    /// Chunk size of solid resources (default 64 MiB for LZMS).
    pub fn solid_chunk_size(mut self, cs: u32) -> Self {
        self.solid_chunk_size = Some(cs);
        self
    }
    /// Compressed solid data held in memory before it is written out behind a
    /// reserved chunk table (default 32 MiB; the output does not depend on it).
    pub fn solid_memory_budget(mut self, bytes: u64) -> Self {
        self.solid_memory = bytes;
        self
    }
    /// Compression threads (0 = one per CPU, 1 = the calling thread only).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n;
        self
    }
    /// Writes an integrity table (`true`, `--check`) or none (`false`, `--nocheck`).
    /// Unset: none for a new WIM; on append, one exactly when the old file had one.
    pub fn integrity(mut self, yes: bool) -> Self {
        self.integrity = Some(yes);
        self
    }
    /// The explicit integrity choice, if any ([`Self::integrity`]).
    pub fn integrity_choice(&self) -> Option<bool> {
        self.integrity
    }
    /// Integrity chunk size (default 10 MiB; on append, the existing table's).
    pub fn integrity_chunk_size(mut self, cs: u32) -> Self {
        self.integrity_chunk_size = Some(cs);
        self
    }
    /// Pipable output: not written by this writer (`build` returns `Unsupported`); write
    /// an ordinary WIM and convert it with [`crate::write::pipable::write_pipable`].
    pub fn pipable(mut self, yes: bool) -> Self {
        self.pipable = yes;
        self
    }
    /// Sets the GUID (default: random).
    pub fn guid(mut self, guid: [u8; 16]) -> Self {
        self.guid = Some(guid);
        self
    }
    /// Sets the time written into the XML (default: now).
    pub fn timestamp(mut self, t: FileTime) -> Self {
        self.timestamp = Some(t);
        self
    }
    /// Sets the bootable image (1-based; 0 = none). On append, default keeps the old one.
    pub fn boot_index(mut self, index: u32) -> Self {
        self.boot_index = Some(index);
        self
    }
    /// Extra header flags (e.g. `RP_FIX`, `READONLY`); compression, split and
    /// write-in-progress flags are managed by the writer.
    pub fn header_flags(mut self, flags: HeaderFlags) -> Self {
        self.flags = flags;
        self
    }

    /// True when solid output was asked for.
    pub fn is_solid(&self) -> bool {
        self.solid
    }

    fn resolve(&self) -> Result<(u32, u32)> {
        if self.pipable {
            return Err(Error::Unsupported(Unsupported::Other(
                "writing pipable WIMs".into(),
            )));
        }
        let cs = self
            .chunk_size
            .unwrap_or_else(|| default_chunk_size(self.compression));
        check_chunk(self.compression, cs)?;
        let scs = self
            .solid_chunk_size
            .unwrap_or_else(|| default_solid_chunk_size(self.solid_compression));
        if self.solid {
            check_chunk(self.solid_compression, scs)?;
        }
        Ok((cs, scs))
    }

    /// Creates (or truncates) the file at `path`, opened for reading and writing, and
    /// starts a new WIM in it.
    pub fn create(self, path: impl AsRef<Path>) -> Result<WimWriter<std::fs::File>> {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        self.build(f)
    }

    /// Starts a new WIM on `out`, which must be readable as well as writable (a `File`
    /// opened read-write, or an `io::Cursor<Vec<u8>>`): the writer re-reads its own
    /// output for the uncompressed fallback and the integrity table. Written from offset 0; anything after the final end is
    /// truncated by [`WimWriter::finish`]).
    pub fn build<W: WimOutput>(self, mut out: W) -> Result<WimWriter<W>> {
        let (cs, scs) = self.resolve()?;
        let guid = self.guid.unwrap_or_else(random_guid);
        let params = HeaderParams {
            compression: self.compression,
            chunk_size: cs,
            solid: self.solid,
            extra_flags: self.flags,
            guid,
            part_number: 1,
            total_parts: 1,
        };
        let first = header(&params, &HeaderResources::default(), true);
        write_at(&mut out, 0, &first.to_bytes())?;
        WimWriter::new(out, self, params, cs, scs, HEADER_SIZE as u64, None)
    }

    /// Opens the WIM at `path` for an in-place append: new resources go after the old
    /// end of the file, then a new blob table, XML and integrity table (unless
    /// [`Self::integrity`] says otherwise, exactly when the old file had one), and the
    /// header last. The codec, chunk
    /// size, GUID and flags of the existing WIM are kept (the builder's codec options
    /// apply only to new solid resources). Split WIMs cannot be appended to.
    pub fn append(self, path: impl AsRef<Path>) -> Result<WimWriter<std::fs::File>> {
        let path = path.as_ref();
        let old = Wim::open(path)?;
        let out = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        self.append_to(&old, out)
    }

    /// [`Self::append`] onto `out`, which must hold the same bytes as the file `old` was
    /// opened from (e.g. that file opened read-write, possibly wrapped to fail or sync).
    pub fn append_to<W: WimOutput>(self, old: &Wim, out: W) -> Result<WimWriter<W>> {
        let h = old.header().clone();
        if h.is_split() || h.pipable {
            return Err(usage("cannot append to a split or pipable WIM"));
        }
        let end = old.parts().first().map_or(0, |p| p.len);
        let old_integrity = IntegrityTable::read(&*old.parts()[0].source, &h, old.limits())
            .ok()
            .flatten();
        let mut b = self;
        b.compression = h.compression;
        b.chunk_size = Some(if h.compression == Compression::None {
            default_chunk_size(Compression::None)
        } else {
            h.chunk_size
        });
        let (cs, scs) = b.resolve()?;
        if b.integrity.is_none() {
            b.integrity = Some(old_integrity.is_some());
        }
        if b.integrity_chunk_size.is_none()
            && let Some(t) = &old_integrity
            && (4096..=128 << 20).contains(&t.chunk_size)
        {
            b.integrity_chunk_size = Some(t.chunk_size);
        }
        let params = HeaderParams {
            compression: h.compression,
            chunk_size: cs,
            solid: b.solid || h.version.is_solid(),
            extra_flags: h.flags,
            guid: h.guid.0,
            part_number: 1,
            total_parts: 1,
        };
        if b.boot_index.is_none() {
            b.boot_index = Some(h.boot_index);
        }
        let mut out = out;
        let mut raw = h.raw;
        raw.flags |= HeaderFlags::WRITE_IN_PROGRESS.bits();
        write_at(&mut out, 0, &raw.to_bytes())?;
        let mut w = WimWriter::new(out, b, params, cs, scs, end, Some(old))?;
        w.old_integrity = old_integrity;
        w.old_blob_table_end = h.blob_table.offset + h.blob_table.size_in_wim;
        Ok(w)
    }
}

#[derive(Debug, Clone, Copy)]
enum Loc {
    Plain(ResourceHeader),
    Solid {
        resource: usize,
        offset: u64,
    },
    /// In another WIM (a delta base): referenced, never written or listed.
    External,
}

#[derive(Debug, Clone, Copy)]
struct BlobRec {
    hash: Sha1Digest,
    size: u64,
    loc: Loc,
    old_refs: u32,
    new_refs: u64,
    part: u16,
}

#[derive(Debug)]
enum ImageRes {
    Old(ResourceHeader, Sha1Digest),
    New(Vec<u8>),
}

/// What [`WimWriter::finish`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Final file size.
    pub file_size: u64,
    /// Images in the WIM (old ones included on append).
    pub image_count: u32,
    /// Rows in the blob table that are blobs (metadata and solid resource rows excluded).
    pub blob_count: u64,
    /// Blobs written by this writer (not counting duplicates or old blobs).
    pub blobs_written: u64,
    /// Uncompressed bytes of the blobs written by this writer.
    pub blob_bytes: u64,
    /// The GUID.
    pub guid: [u8; 16],
    /// Statistics of the images added by this writer, in order.
    pub images: Vec<ImageStats>,
    /// True when the blob table and XML were checked by an integrity table.
    pub integrity: bool,
}

/// Writes one WIM; see the module documentation.
pub struct WimWriter<W: WimOutput> {
    out: W,
    opts: WimWriterBuilder,
    params: HeaderParams,
    pos: u64,
    plain: PlainSink,
    /// Raw copies of resources, batched (flushed before the output is read back or its
    /// header written).
    raw: super::raw_copy::RawCopier,
    solid: Option<SolidSink>,
    blobs: Vec<BlobRec>,
    by_hash: HashMap<Sha1Digest, usize>,
    solids: Vec<SolidRow>,
    images: Vec<ImageRes>,
    new_stats: Vec<ImageStats>,
    xml: WimInfo,
    now: FileTime,
    blobs_written: u64,
    blob_bytes: u64,
    old_integrity: Option<IntegrityTable>,
    old_blob_table_end: u64,
}

impl<W: WimOutput> std::fmt::Debug for WimWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WimWriter")
            .field("pos", &self.pos)
            .field("blobs", &self.blobs.len())
            .field("images", &self.images.len())
            .finish()
    }
}

fn sink_kind(c: Compression) -> Option<CompressionKind> {
    c.kind()
}

impl WimWriter<std::fs::File> {
    /// The builder.
    pub fn builder() -> WimWriterBuilder {
        WimWriterBuilder::new()
    }
}

impl<W: WimOutput> WimWriter<W> {
    fn new(
        out: W,
        opts: WimWriterBuilder,
        params: HeaderParams,
        cs: u32,
        scs: u32,
        pos: u64,
        old: Option<&Wim>,
    ) -> Result<Self> {
        let plain = PlainSink::new(sink_kind(opts.compression), cs, opts.level, opts.threads)?;
        let solid = if opts.solid {
            Some(SolidSink::new(
                sink_kind(opts.solid_compression),
                scs,
                opts.level,
                opts.threads,
                opts.solid_memory,
            )?)
        } else {
            None
        };
        let now = opts.timestamp.unwrap_or_else(now_filetime);
        let mut w = WimWriter {
            out,
            opts,
            params,
            pos,
            plain,
            raw: super::raw_copy::RawCopier::default(),
            solid,
            blobs: Vec::new(),
            by_hash: HashMap::new(),
            solids: Vec::new(),
            images: Vec::new(),
            new_stats: Vec::new(),
            xml: WimInfo::new(),
            now,
            blobs_written: 0,
            blob_bytes: 0,
            old_integrity: None,
            old_blob_table_end: 0,
        };
        if let Some(old) = old {
            w.load_old(old)?;
        }
        Ok(w)
    }

    fn load_old(&mut self, old: &Wim) -> Result<()> {
        let t = old.blob_table();
        for i in 1..=old.image_count() {
            let Some(idx) = ImageIndex::new(i) else {
                continue;
            };
            let e = t.metadata(idx).ok_or_else(|| {
                Error::from(
                    FormatError::new(FormatErrorKind::MissingBlob, "metadata resource missing")
                        .image(idx),
                )
            })?;
            let BlobLocation::Resource { reshdr, .. } = &e.location else {
                return Err(usage("solid metadata resource"));
            };
            self.images.push(ImageRes::Old(*reshdr, e.hash));
        }
        let mut solid_idx: HashMap<u64, usize> = HashMap::new();
        for e in t.entries() {
            if e.is_metadata() {
                continue;
            }
            let loc = match &e.location {
                BlobLocation::Resource { reshdr, .. } => Loc::Plain(*reshdr),
                BlobLocation::Solid { resource, offset } => {
                    let k = *solid_idx.entry(resource.reshdr.offset).or_insert_with(|| {
                        self.solids.push(SolidRow {
                            reshdr: resource.reshdr,
                            uncompressed_size: resource.uncompressed_size,
                            part_number: e.part_number,
                        });
                        self.solids.len() - 1
                    });
                    Loc::Solid {
                        resource: k,
                        offset: *offset,
                    }
                }
            };
            self.by_hash.insert(e.hash, self.blobs.len());
            self.blobs.push(BlobRec {
                hash: e.hash,
                size: e.size,
                loc,
                old_refs: e.ref_count,
                new_refs: 0,
                part: e.part_number,
            });
        }
        let xml = old.xml_bytes()?;
        self.xml = if xml.is_empty() {
            WimInfo::new()
        } else {
            WimInfo::parse(&xml, old.limits())?
        };
        if self.xml.image_count() != old.image_count() {
            return Err(FormatError::new(
                FormatErrorKind::ImageCountMismatch,
                format!(
                    "the XML describes {} images, the header {}",
                    self.xml.image_count(),
                    old.image_count()
                ),
            )
            .into());
        }
        Ok(())
    }

    /// True when a blob with this digest is already in the output.
    pub fn contains_blob(&self, digest: &Sha1Digest) -> bool {
        self.by_hash.contains_key(digest) || self.plain.pending_size(digest).is_some()
    }

    /// Declares a blob stored in another WIM (a delta base, wimlib's `--delta-from`):
    /// images may reference it, but it is neither written nor listed in the blob table,
    /// so readers need that WIM as a reference (`--ref`). No effect when the blob is
    /// already known.
    pub fn add_external_blob(&mut self, digest: Sha1Digest, size: u64) {
        if !self.contains_blob(&digest) {
            self.by_hash.insert(digest, self.blobs.len());
            self.blobs.push(BlobRec {
                hash: digest,
                size,
                loc: Loc::External,
                old_refs: 0,
                new_refs: 0,
                part: 1,
            });
        }
    }

    /// The uncompressed size of a blob in the output.
    pub fn blob_size(&self, digest: &Sha1Digest) -> Option<u64> {
        self.by_hash
            .get(digest)
            .and_then(|&i| self.blobs.get(i))
            .map(|b| b.size)
            .or_else(|| self.plain.pending_size(digest))
    }

    /// Number of images so far (old ones included).
    pub fn image_count(&self) -> u32 {
        self.images.len() as u32
    }

    /// Adds a blob held in memory (hashed first, so a duplicate costs nothing).
    /// Empty data is never stored: its digest is [`Sha1Digest::EMPTY`], which the model
    /// treats as "no stream".
    pub fn add_blob(&mut self, data: &[u8]) -> Result<Sha1Digest> {
        let d = Sha1Digest::of(data);
        if data.is_empty() || self.by_hash.contains_key(&d) {
            return Ok(d);
        }
        let mut r = data;
        self.add_blob_from_reader(&mut r, data.len() as u64)
    }

    /// Adds a blob of exactly `size` bytes read from `src`, hashing while compressing
    /// (memory: one batch of chunks). A duplicate of a blob already present is detected
    /// at the end: non-solid output space is reused; in solid output the bytes stay in
    /// the solid resource unreferenced (check [`Self::contains_blob`] first when the
    /// digest is known).
    pub fn add_blob_from_reader(&mut self, src: &mut dyn Read, size: u64) -> Result<Sha1Digest> {
        self.add_blob_from_chunks(&mut ReadChunks(src), size, None)
    }

    /// The chunk size in which [`Self::add_blob_from_chunks`] asks its source for data
    /// (`None` when file data is not cut into chunks here: uncompressed or solid output).
    /// A source holding buffers of exactly this size hands them over without a copy.
    pub fn source_chunk_size(&self) -> Option<u32> {
        (self.solid.is_none() && self.plain.kind().is_some()).then(|| self.plain.chunk_size())
    }

    /// [`Self::add_blob_from_reader`] from a [`ChunkSource`] (see
    /// [`Self::source_chunk_size`]). `digest`: the SHA-1 of these bytes when the caller
    /// already computed it over the very data it passes (held in memory, not read again):
    /// non-solid compressed output then does not hash them again. A wrong digest makes a
    /// corrupt WIM.
    pub fn add_blob_from_chunks(
        &mut self,
        src: &mut dyn ChunkSource,
        size: u64,
        digest: Option<Sha1Digest>,
    ) -> Result<Sha1Digest> {
        if size == 0 {
            crate::write::blob_sink::write_raw(&mut self.out, self.pos, src, 0)?;
            return Ok(Sha1Digest::EMPTY);
        }
        let resource = self.solids.len();
        if self.solid.is_some() {
            self.drain_plain()?;
        }
        if let Some(s) = self.solid.as_mut() {
            let (offset, hash) = s.add(&mut self.out, self.pos, src, size)?;
            if !self.by_hash.contains_key(&hash) {
                self.record(hash, size, Loc::Solid { resource, offset });
            }
            return Ok(hash);
        }
        let by_hash = &self.by_hash;
        let known = |h: &Sha1Digest| by_hash.contains_key(h);
        let result =
            self.plain
                .write_pipelined_chunks(&mut self.out, self.pos, src, size, digest, &known);
        let (hash, done) = match result {
            Ok(r) => r,
            Err(e) => {
                // Blobs before the failed one are complete: keep them.
                self.drain_plain()?;
                return Err(e);
            }
        };
        self.commit_plain(done);
        Ok(hash)
    }

    /// Records resources the plain sink finished (never duplicates: the sink checked).
    fn commit_plain(&mut self, done: Vec<Written>) {
        for w in done {
            if self.by_hash.contains_key(&w.hash) {
                continue;
            }
            self.record(w.hash, w.reshdr.uncompressed_size, Loc::Plain(w.reshdr));
        }
        self.pos = self.pos.max(self.plain.next_free());
    }

    /// `MissingBlob` unless every referenced blob is in the writer.
    fn check_present(&self, refs: &[(Sha1Digest, u64)]) -> Result<()> {
        match refs.iter().find(|(h, _)| !self.by_hash.contains_key(h)) {
            Some((h, _)) => Err(Error::from(
                FormatError::new(
                    FormatErrorKind::MissingBlob,
                    "the image references a blob that was not added to the writer",
                )
                .blob(*h),
            )),
            None => Ok(()),
        }
    }

    /// Waits for every blob still being compressed and records it, so that the blob
    /// table and the write position are complete.
    fn drain_plain(&mut self) -> Result<()> {
        let was_busy = self.plain.is_busy();
        let done = self.plain.drain(&mut self.out)?;
        if was_busy || !done.is_empty() {
            self.commit_plain(done);
            self.pos = self.plain.next_free();
        }
        Ok(())
    }

    fn record(&mut self, hash: Sha1Digest, size: u64, loc: Loc) {
        self.by_hash.insert(hash, self.blobs.len());
        self.blobs.push(BlobRec {
            hash,
            size,
            loc,
            old_refs: 0,
            new_refs: 0,
            part: 1,
        });
        self.blobs_written += 1;
        self.blob_bytes += size;
    }

    /// True when file data goes into solid resources.
    pub fn is_solid(&self) -> bool {
        self.solid.is_some()
    }

    /// Copies a whole solid resource of `src` byte for byte, with the blobs `blobs`
    /// (entries of `src` inside that resource) recorded at their offsets in it. Done only
    /// when this writer is solid, no solid resource of its own is open yet (call this
    /// before adding other file data), the source is not pipable, and the resource's
    /// codec and chunk size (from its solid header) are this writer's solid ones;
    /// otherwise nothing is written and `Ok(false)` is returned. Blobs already in the
    /// writer keep their place (their copy in the resource is then unreferenced).
    pub fn copy_solid_resource_raw(
        &mut self,
        src: &Wim,
        resource: &crate::blob_table::SolidResource,
        blobs: &[&crate::blob_table::BlobEntry],
    ) -> Result<bool> {
        use crate::ondisk::solid::{
            RawSolidHeader, SOLID_FORMAT_LZMS, SOLID_FORMAT_LZX, SOLID_FORMAT_NONE,
            SOLID_FORMAT_XPRESS, SOLID_HEADER_SIZE,
        };
        let Some(sink) = self.solid.as_ref() else {
            return Ok(false);
        };
        if sink.is_open() {
            return Ok(false);
        }
        let Some(part) = src.parts().get(resource.source) else {
            return Ok(false);
        };
        if part.header.pipable {
            return Ok(false);
        }
        let r = resource.reshdr;
        let mut head = [0u8; SOLID_HEADER_SIZE];
        part.source
            .read_exact_at(&mut head, r.offset)
            .map_err(|e| Error::io_at(e, r.offset))?;
        let mut c = crate::bytes::Cursor::new(&head, r.offset, FormatErrorKind::BadResource);
        let sh = RawSolidHeader::read(&mut c)?;
        let want = match sink.kind() {
            None => SOLID_FORMAT_NONE,
            Some(CompressionKind::Xpress) => SOLID_FORMAT_XPRESS,
            Some(CompressionKind::Lzx) => SOLID_FORMAT_LZX,
            Some(CompressionKind::Lzms) => SOLID_FORMAT_LZMS,
        };
        if sh.format != want
            || sh.chunk_size != sink.chunk_size()
            || sh.uncompressed_size != resource.uncompressed_size
        {
            return Ok(false);
        }
        self.drain_plain()?;
        let mut buf = vec![
            0u8;
            (1usize << 20)
                .min(usize::try_from(r.size_in_wim).unwrap_or(1 << 20))
                .max(1)
        ];
        let mut done = 0u64;
        while done < r.size_in_wim {
            let n = usize::try_from((r.size_in_wim - done).min(buf.len() as u64)).unwrap_or(0);
            let Some(b) = buf.get_mut(..n) else { break };
            let at = r.offset + done;
            part.source
                .read_exact_at(b, at)
                .map_err(|e| Error::io_at(e, at))?;
            write_at(&mut self.out, self.pos + done, b)?;
            done += n as u64;
        }
        let k = self.solids.len();
        self.solids.push(SolidRow {
            reshdr: ResourceHeader {
                offset: self.pos,
                ..r
            },
            uncompressed_size: resource.uncompressed_size,
            part_number: 1,
        });
        self.pos += r.size_in_wim;
        for e in blobs {
            if let BlobLocation::Solid { offset, .. } = &e.location
                && !self.by_hash.contains_key(&e.hash)
            {
                self.record(
                    e.hash,
                    e.size,
                    Loc::Solid {
                        resource: k,
                        offset: *offset,
                    },
                );
            }
        }
        Ok(true)
    }

    /// Copies blob `digest` from `src`. The compressed resource is copied byte for byte
    /// (from a pipable WIM: its chunks and chunk table, re-laid out) when it is a
    /// non-solid resource whose codec and chunk size
    /// match this writer's non-solid settings (or both are uncompressed) and this writer
    /// is not solid; otherwise the blob is decoded (SHA-1 checked) and recompressed.
    pub fn copy_blob_raw(&mut self, src: &Wim, digest: &Sha1Digest) -> Result<Sha1Digest> {
        if self.contains_blob(digest) {
            return Ok(*digest);
        }
        let e = src.entry(digest)?;
        if e.is_metadata() {
            return Err(usage("metadata resources are not copied as blobs"));
        }
        if self.solid.is_none()
            && let BlobLocation::Resource { source, reshdr } = &e.location
            && let Some(part) = src.parts().get(*source)
            && part.header.pipable
            && reshdr.is_compressed()
            && part.header.compression == self.params.compression
            && part.header.chunk_size == self.plain.chunk_size()
        {
            // Pipable source: the same chunks and chunk table, table moved to the front
            // and the u32 size prefixes dropped.
            let layout = crate::resource::ChunkLayout::read(
                &*part.source,
                reshdr,
                &part.header,
                src.limits(),
            )?;
            let n = layout.num_chunks();
            let prefixes = n.saturating_mul(4);
            let entry: u64 = if reshdr.uncompressed_size > 0xFFFF_FFFF {
                8
            } else {
                4
            };
            let table_len = n.saturating_sub(1).saturating_mul(entry);
            if let Some(size) = reshdr.size_in_wim.checked_sub(prefixes)
                && let Some(table_at) = (reshdr.offset + reshdr.size_in_wim).checked_sub(table_len)
                && table_len <= size
            {
                self.drain_plain()?;
                let mut table = vec![0u8; usize::try_from(table_len).unwrap_or(0)];
                part.source
                    .read_exact_at(&mut table, table_at)
                    .map_err(|err| Error::io_at(err, table_at))?;
                write_at(&mut self.out, self.pos, &table)?;
                let mut at = self.pos + table_len;
                let mut buf = Vec::new();
                for i in 0..n {
                    let Some((start, len)) = layout.chunk_file_range(i) else {
                        return Err(FormatError::new(
                            FormatErrorKind::BadResource,
                            format!("chunk {i} is outside the resource"),
                        )
                        .at(reshdr.offset)
                        .blob(*digest)
                        .into());
                    };
                    buf.resize(usize::try_from(len).unwrap_or(0), 0);
                    part.source
                        .read_exact_at(&mut buf, start)
                        .map_err(|err| Error::io_at(err, start))?;
                    write_at(&mut self.out, at, &buf)?;
                    at += len;
                }
                let r = ResourceHeader {
                    size_in_wim: at - self.pos,
                    flags: ResourceFlags::COMPRESSED,
                    offset: self.pos,
                    uncompressed_size: reshdr.uncompressed_size,
                };
                self.pos = at;
                self.record(*digest, e.size, Loc::Plain(r));
                return Ok(*digest);
            }
        }
        if self.solid.is_none()
            && let BlobLocation::Resource { source, reshdr } = &e.location
            && let Some(part) = src.parts().get(*source)
            && (!part.header.pipable || !reshdr.is_compressed())
        {
            let sh: &WimHeader = &part.header;
            let same_codec = sh.compression == self.params.compression
                && sh.chunk_size == self.plain.chunk_size();
            // An uncompressed resource of a compressed WIM is one its writer found not
            // to shrink with this very codec and chunk size: kept as it is too.
            let same = if reshdr.is_compressed() {
                same_codec
            } else {
                self.params.compression == Compression::None || same_codec
            };
            if same {
                self.drain_plain()?;
                // Batched: contiguous runs in the kernel, the rest through one buffer
                // (exports copy thousands of blobs).
                self.raw.copy(
                    &part.source,
                    reshdr.offset,
                    &mut self.out,
                    self.pos,
                    reshdr.size_in_wim,
                )?;
                let r = ResourceHeader {
                    size_in_wim: reshdr.size_in_wim,
                    flags: reshdr.flags & ResourceFlags::COMPRESSED,
                    offset: self.pos,
                    uncompressed_size: reshdr.uncompressed_size,
                };
                self.pos += reshdr.size_in_wim;
                self.record(*digest, e.size, Loc::Plain(r));
                return Ok(*digest);
            }
        }
        let mut r = src.open_entry(e)?;
        let got = self.add_blob_from_reader(&mut r, e.size)?;
        if got != *digest {
            return Err(FormatError::new(
                FormatErrorKind::HashMismatch,
                format!("copied blob has SHA-1 {got}"),
            )
            .blob(*digest)
            .into());
        }
        Ok(got)
    }

    /// Adds an image: its metadata is serialised now (written at [`Self::finish`]) and
    /// its XML element completed. `info` is the `<IMAGE>` element (any name; it is
    /// renamed `IMAGE` and given the next INDEX); DIRCOUNT, FILECOUNT, TOTALBYTES,
    /// HARDLINKBYTES and LASTMODIFICATIONTIME are set, CREATIONTIME only when absent.
    /// Every blob the image references must already be in the writer (`Usage` error
    /// otherwise).
    pub fn add_image(&mut self, tree: &ImageTree, info: Element) -> Result<ImageIndex> {
        self.drain_plain()?;
        let refs = tree.blob_references();
        self.check_present(&refs)?;
        let bytes = tree.to_metadata_bytes()?;
        let stats = tree.stats(&|h| self.blob_size(h));
        for (h, n) in refs {
            if let Some(&i) = self.by_hash.get(&h)
                && let Some(b) = self.blobs.get_mut(i)
            {
                b.new_refs = b.new_refs.saturating_add(n);
            }
        }
        let index = self.images.len() as u32 + 1;
        let idx = ImageIndex::new(index).ok_or_else(|| usage("image count overflow"))?;
        let mut e = info;
        e.name = "IMAGE".into();
        e.set_attr("INDEX", index.to_string());
        e.set_child_text("DIRCOUNT", stats.dir_count.to_string());
        e.set_child_text("FILECOUNT", stats.file_count.to_string());
        e.set_child_text("TOTALBYTES", stats.total_bytes.to_string());
        e.set_child_text("HARDLINKBYTES", stats.hard_link_bytes.to_string());
        if e.child("CREATIONTIME").is_none() {
            e.children
                .push(XmlNode::Element(time_element("CREATIONTIME", self.now)));
        }
        e.remove_children("LASTMODIFICATIONTIME");
        e.children.push(XmlNode::Element(time_element(
            "LASTMODIFICATIONTIME",
            self.now,
        )));
        let mut doc = std::mem::take(&mut self.xml).into_document();
        let at = doc
            .root
            .children
            .iter()
            .rposition(|n| matches!(n, XmlNode::Element(x) if x.name == "IMAGE"))
            .map_or_else(
                || {
                    doc.root
                        .children
                        .iter()
                        .position(|n| matches!(n, XmlNode::Element(x) if x.name == "TOTALBYTES"))
                        .unwrap_or(doc.root.children.len())
                },
                |p| p + 1,
            );
        doc.root.children.insert(at, XmlNode::Element(e));
        self.xml = WimInfo::from_document(doc, &crate::Limits::default())?;
        self.images.push(ImageRes::New(bytes));
        self.new_stats.push(stats);
        Ok(idx)
    }

    /// Removes image `index` (old or new) from the output: its metadata resource is
    /// dropped, the reference counts of the blobs it used (`refs`, as given by
    /// [`ImageTree::blob_references`] of its tree) are lowered, its `<IMAGE>` element is
    /// removed and the following images renumbered, and the boot index is moved down
    /// (or cleared when it was this image). Blobs left without references are left out of
    /// the blob table; their bytes stay where they are (this is `wimdelete --soft`).
    pub fn remove_image(&mut self, index: ImageIndex, refs: &[(Sha1Digest, u64)]) -> Result<()> {
        self.drain_plain()?;
        let i = index.zero_based();
        if i >= self.images.len() {
            return Err(Error::Usage(UsageError::NoSuchImage(
                index.get().to_string(),
            )));
        }
        self.images.remove(i);
        for (h, n) in refs {
            if let Some(&k) = self.by_hash.get(h)
                && let Some(b) = self.blobs.get_mut(k)
            {
                let mut left = *n;
                let from_new = left.min(b.new_refs);
                b.new_refs -= from_new;
                left -= from_new;
                b.old_refs = b
                    .old_refs
                    .saturating_sub(u32::try_from(left).unwrap_or(u32::MAX));
            }
        }
        let mut doc = std::mem::take(&mut self.xml).into_document();
        let mut seen = 0u32;
        let mut drop_at = None;
        for (pos, n) in doc.root.children.iter().enumerate() {
            if matches!(n, XmlNode::Element(x) if x.name == "IMAGE") {
                seen += 1;
                if seen == index.get() {
                    drop_at = Some(pos);
                }
            }
        }
        if let Some(pos) = drop_at {
            doc.root.children.remove(pos);
        }
        let mut k = 0u32;
        for n in doc.root.children.iter_mut() {
            if let XmlNode::Element(x) = n
                && x.name == "IMAGE"
            {
                k += 1;
                x.set_attr("INDEX", k.to_string());
            }
        }
        self.xml = WimInfo::from_document(doc, &crate::Limits::default())?;
        let boot = self.opts.boot_index.unwrap_or(0);
        self.opts.boot_index = Some(match boot.cmp(&index.get()) {
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => boot - 1,
            std::cmp::Ordering::Less => boot,
        });
        Ok(())
    }

    /// Replaces image `index` (old or new) by `tree`, keeping its place, its `<IMAGE>`
    /// element (unknown children included) and its boot status: the new metadata is
    /// serialised now, the reference counts of the blobs the old tree used (`old_refs`,
    /// [`ImageTree::blob_references`] of it) are lowered and those of `tree` raised, and
    /// DIRCOUNT, FILECOUNT, TOTALBYTES, HARDLINKBYTES and LASTMODIFICATIONTIME of the
    /// element are refreshed. Every blob `tree` references must be in the writer.
    pub fn replace_image(
        &mut self,
        index: ImageIndex,
        tree: &ImageTree,
        old_refs: &[(Sha1Digest, u64)],
    ) -> Result<()> {
        self.drain_plain()?;
        let i = index.zero_based();
        if i >= self.images.len() {
            return Err(Error::Usage(UsageError::NoSuchImage(
                index.get().to_string(),
            )));
        }
        let refs = tree.blob_references();
        self.check_present(&refs)?;
        let bytes = tree.to_metadata_bytes()?;
        let stats = tree.stats(&|h| self.blob_size(h));
        for (h, n) in old_refs {
            if let Some(&k) = self.by_hash.get(h)
                && let Some(b) = self.blobs.get_mut(k)
            {
                let mut left = *n;
                let from_new = left.min(b.new_refs);
                b.new_refs -= from_new;
                left -= from_new;
                b.old_refs = b
                    .old_refs
                    .saturating_sub(u32::try_from(left).unwrap_or(u32::MAX));
            }
        }
        for (h, n) in refs {
            if let Some(&k) = self.by_hash.get(&h)
                && let Some(b) = self.blobs.get_mut(k)
            {
                b.new_refs = b.new_refs.saturating_add(n);
            }
        }
        if let Some(slot) = self.images.get_mut(i) {
            *slot = ImageRes::New(bytes);
        }
        let now = self.now;
        if let Some(e) = self.xml.image_element_mut(index) {
            e.set_child_text("DIRCOUNT", stats.dir_count.to_string());
            e.set_child_text("FILECOUNT", stats.file_count.to_string());
            e.set_child_text("TOTALBYTES", stats.total_bytes.to_string());
            e.set_child_text("HARDLINKBYTES", stats.hard_link_bytes.to_string());
            e.remove_children("LASTMODIFICATIONTIME");
            e.children
                .push(XmlNode::Element(time_element("LASTMODIFICATIONTIME", now)));
        }
        self.new_stats.push(stats);
        Ok(())
    }

    /// Sets the bootable image (1-based; 0 = none), checked against the image count at
    /// [`Self::finish`].
    pub fn set_boot_index(&mut self, index: u32) {
        self.opts.boot_index = Some(index);
    }

    /// The bootable image that will be written (0 = none).
    pub fn boot_index(&self) -> u32 {
        self.opts.boot_index.unwrap_or(0)
    }

    /// Edits the XML document before it is written (e.g. to change another image's
    /// NAME on append).
    pub fn xml_mut(&mut self) -> &mut WimInfo {
        &mut self.xml
    }

    /// Writes everything that is left and the final header; returns the summary.
    pub fn finish(self) -> Result<Summary> {
        self.finish_into_inner().map(|(s, _)| s)
    }

    /// [`Self::finish`], also giving the output back.
    pub fn finish_into_inner(mut self) -> Result<(Summary, W)> {
        self.drain_plain()?;
        self.raw.flush(&mut self.out)?;
        // 1. Close the solid resource.
        if let Some(s) = self.solid.as_mut()
            && let Some(c) = s.close(&mut self.out)?
        {
            self.solids.push(SolidRow {
                reshdr: c.reshdr,
                uncompressed_size: c.uncompressed_size,
                part_number: 1,
            });
            self.pos = self.pos.max(c.end);
        }
        // 2. Metadata resources (never solid).
        let mut meta: Vec<(ResourceHeader, Sha1Digest, u16)> = Vec::new();
        for img in std::mem::take(&mut self.images) {
            match img {
                ImageRes::Old(r, h) => meta.push((r, h, 1)),
                ImageRes::New(bytes) => {
                    let mut r: &[u8] = &bytes;
                    let w =
                        self.plain
                            .write(&mut self.out, self.pos, &mut r, bytes.len() as u64)?;
                    self.pos = w.end();
                    let mut rh = w.reshdr;
                    rh.flags |= ResourceFlags::METADATA;
                    meta.push((rh, w.hash, 1));
                }
            }
        }
        let image_count = meta.len() as u32;
        // 3. Blob table (unreferenced new blobs are left out).
        let rows: Vec<BlobRow> = self
            .blobs
            .iter()
            .filter(|b| b.old_refs > 0 || b.new_refs > 0 || b.part != 1)
            .filter_map(|b| {
                let location = match b.loc {
                    Loc::Plain(r) => RowLocation::Plain(r),
                    Loc::Solid { resource, offset } => RowLocation::Solid { resource, offset },
                    Loc::External => return None,
                };
                Some((b, location))
            })
            .map(|(b, location)| BlobRow {
                hash: b.hash,
                size: b.size,
                location,
                ref_count: u32::try_from(u64::from(b.old_refs).saturating_add(b.new_refs))
                    .unwrap_or(u32::MAX),
                part_number: b.part,
            })
            .collect();
        let table = blob_table_bytes(&meta, &rows, &self.solids);
        let table_at = self.pos;
        write_at(&mut self.out, table_at, &table)?;
        self.pos += table.len() as u64;
        let table_r = ResourceHeader {
            size_in_wim: table.len() as u64,
            flags: ResourceFlags::METADATA,
            offset: table_at,
            uncompressed_size: table.len() as u64,
        };
        // 4. XML.
        let xml_at = self.pos;
        self.xml.set_total_bytes(xml_at);
        let xml = self.xml.to_utf16le_bytes();
        write_at(&mut self.out, xml_at, &xml)?;
        self.pos += xml.len() as u64;
        let xml_r = ResourceHeader {
            size_in_wim: xml.len() as u64,
            flags: ResourceFlags::METADATA,
            offset: xml_at,
            uncompressed_size: xml.len() as u64,
        };
        // 5. Integrity table.
        let mut integ_r = ResourceHeader::default();
        // An empty checked range (no resources, empty blob table) gets no table, as in
        // wimlib.
        let checked = table_at + table.len() as u64 > HEADER_SIZE as u64;
        if self.opts.integrity == Some(true) && checked {
            let cs = self
                .opts
                .integrity_chunk_size
                .unwrap_or(DEFAULT_INTEGRITY_CHUNK_SIZE)
                .max(1);
            // On append nothing before the old end is rewritten (only the header, which
            // is not covered), so the old table's whole chunks up to the old blob
            // table's end are still right.
            let mut known: &[Sha1Digest] = &[];
            if let Some(t) = &self.old_integrity
                && t.chunk_size == cs
            {
                let whole = self.old_blob_table_end.saturating_sub(208) / u64::from(cs);
                let keep = usize::try_from(whole).unwrap_or(0).min(t.hashes.len());
                known = t.hashes.get(..keep).unwrap_or(&[]);
            }
            let integ =
                integrity_table_bytes(&mut self.out, table_at + table.len() as u64, cs, known)?;
            let at = self.pos;
            write_at(&mut self.out, at, &integ)?;
            self.pos += integ.len() as u64;
            integ_r = ResourceHeader {
                size_in_wim: integ.len() as u64,
                flags: ResourceFlags::empty(),
                offset: at,
                uncompressed_size: integ.len() as u64,
            };
        }
        // 6. Trim, then the header last.
        self.out.set_len(self.pos).map_err(Error::from)?;
        let boot = self.opts.boot_index.unwrap_or(0);
        if boot > image_count {
            return Err(usage(format!(
                "boot index {boot} is above the image count {image_count}"
            )));
        }
        let boot_meta = boot
            .checked_sub(1)
            .and_then(|i| meta.get(i as usize))
            .map(|m| {
                let mut r = m.0;
                r.flags |= ResourceFlags::METADATA;
                r
            })
            .unwrap_or_default();
        let res = HeaderResources {
            image_count,
            blob_table: table_r,
            xml: xml_r,
            boot_metadata: boot_meta,
            boot_index: boot,
            integrity: integ_r,
        };
        let mut params = self.params;
        params.solid = params.solid || !self.solids.is_empty();
        let h = header(&params, &res, false);
        self.out.flush().map_err(Error::from)?;
        write_at(&mut self.out, 0, &h.to_bytes())?;
        self.out.flush().map_err(Error::from)?;
        let summary = Summary {
            file_size: self.pos,
            image_count,
            blob_count: rows.len() as u64,
            blobs_written: self.blobs_written,
            blob_bytes: self.blob_bytes,
            guid: params.guid,
            images: self.new_stats,
            integrity: integ_r.size_in_wim > 0,
        };
        Ok((summary, self.out))
    }
}

/// `<NAME><HIGHPART>0x…</HIGHPART><LOWPART>0x…</LOWPART></NAME>` as wimlib writes it.
pub fn time_element(name: &str, t: FileTime) -> Element {
    let mut e = Element::new(name);
    e.set_child_text("HIGHPART", format!("0x{:08X}", t.high()));
    e.set_child_text("LOWPART", format!("0x{:08X}", t.low()));
    e
}

/// A new `<IMAGE>` element with NAME and DESCRIPTION when given.
pub fn image_element(name: Option<&str>, description: Option<&str>) -> Element {
    let mut e = Element::new("IMAGE");
    if let Some(n) = name.filter(|n| !n.is_empty()) {
        e.set_child_text("NAME", n);
    }
    if let Some(d) = description {
        e.set_child_text("DESCRIPTION", d);
    }
    e
}

/// The current time as a FILETIME.
pub fn now_filetime() -> FileTime {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    FileTime(
        (d.as_secs() + 11_644_473_600)
            .saturating_mul(10_000_000)
            .saturating_add(u64::from(d.subsec_nanos() / 100)),
    )
}

/// A random GUID (SHA-1 of the time, process id and a counter; no RNG dependency).
pub fn random_guid() -> [u8; 16] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut seed = Vec::new();
    seed.extend_from_slice(&now_filetime().0.to_le_bytes());
    seed.extend_from_slice(&std::process::id().to_le_bytes());
    seed.extend_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let local = 0u8;
    seed.extend_from_slice(&(std::ptr::addr_of!(local) as usize).to_le_bytes());
    let d = Sha1Digest::of(&seed);
    let mut g = [0u8; 16];
    g.copy_from_slice(&d.0[..16]);
    g
}
