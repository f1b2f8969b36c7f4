//! The blob ("lookup") table: [`BlobTable`] of [`BlobEntry`], lookup by digest, metadata
//! entries assigned to images in table order, solid runs resolved. `wim-format.md` §4.

use crate::bytes::Cursor;
use crate::digest::{ImageIndex, Sha1Digest};
use crate::error::{FormatError, FormatErrorKind};
use crate::header::WimHeader;
use crate::limits::Limits;
use crate::ondisk::blob_entry::{BLOB_ENTRY_SIZE, RawBlobEntry};
use crate::ondisk::solid::{SOLID_HEADER_SIZE, SOLID_RESOURCE_MAGIC_SIZE};
use crate::resource::{ChunkLayout, ResourceFlags, ResourceHeader, ResourceReader};
use crate::source::ReadAt;
use crate::{Error, Result};
use std::collections::HashMap;
use std::sync::Arc;

/// One solid resource: compressed data holding several blobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolidResource {
    /// Index of the file holding it (0 = the opened file; see `Wim::parts`).
    pub source: usize,
    /// Its resource header (uncompressed size field = 0x100000000).
    pub reshdr: ResourceHeader,
    /// Uncompressed size, from the solid header.
    pub uncompressed_size: u64,
}

/// Where a blob's data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobLocation {
    /// A resource of its own.
    Resource {
        /// Index of the file holding it (0 = the opened file).
        source: usize,
        /// Its resource header.
        reshdr: ResourceHeader,
    },
    /// A byte range of a solid resource's uncompressed data.
    Solid {
        /// The solid resource.
        resource: Arc<SolidResource>,
        /// Offset inside that resource's uncompressed data.
        offset: u64,
    },
}

impl BlobLocation {
    /// Index of the file holding the data.
    pub fn source(&self) -> usize {
        match self {
            BlobLocation::Resource { source, .. } => *source,
            BlobLocation::Solid { resource, .. } => resource.source,
        }
    }
}

/// One blob: identity, size, reference count and location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobEntry {
    /// SHA-1 of the uncompressed data.
    pub hash: Sha1Digest,
    /// Uncompressed size.
    pub size: u64,
    /// Reference count as stored.
    pub ref_count: u32,
    /// Part number as stored.
    pub part_number: u16,
    /// Resource flags as stored.
    pub flags: ResourceFlags,
    /// Where the data is.
    pub location: BlobLocation,
    /// File offset of the blob-table row (for messages).
    pub table_offset: u64,
}

impl BlobEntry {
    /// True for an image metadata resource.
    pub fn is_metadata(&self) -> bool {
        self.flags.contains(ResourceFlags::METADATA)
    }
    /// True if the blob lives in a solid resource.
    pub fn is_solid(&self) -> bool {
        matches!(self.location, BlobLocation::Solid { .. })
    }
}

/// The validated blob table of a WIM (merged across split parts and references).
#[derive(Debug, Clone, Default)]
pub struct BlobTable {
    entries: Vec<BlobEntry>,
    by_hash: HashMap<Sha1Digest, usize>,
    images: Vec<usize>,
    warnings: Vec<String>,
}

struct RunEntry {
    raw: RawBlobEntry,
    at: u64,
}

impl BlobTable {
    /// Reads and parses the blob table of the file `src` (whose validated header is
    /// `header`); `source` is the index recorded in each [`BlobLocation`].
    pub fn read(
        src: &Arc<dyn ReadAt>,
        header: &WimHeader,
        source: usize,
        limits: &Limits,
    ) -> Result<Self> {
        let r = &header.blob_table;
        if r.is_zero() {
            return Ok(BlobTable::default());
        }
        Limits::check(
            "blob table size",
            r.uncompressed_size,
            limits.max_blob_table_bytes,
        )?;
        let layout = ChunkLayout::read(&**src, r, header, limits)
            .map_err(|e| e.map_format(|f| f.at_if_unset(0x30)))?;
        let data = ResourceReader::new(src.clone(), Arc::new(layout)).read_all()?;
        let base = if r.is_compressed() { 0 } else { r.offset };
        Self::parse(&data, base, header, source, &**src, limits)
    }

    /// Parses a blob table from its uncompressed bytes `data` (at file offset `base`).
    /// `src` is read for solid-resource headers and checked for resource bounds.
    pub fn parse(
        data: &[u8],
        base: u64,
        header: &WimHeader,
        source: usize,
        src: &dyn ReadAt,
        limits: &Limits,
    ) -> Result<Self> {
        let _ = limits;
        let file_len = src.len().map_err(Error::from)?;
        if !data.len().is_multiple_of(BLOB_ENTRY_SIZE) {
            let whole = (data.len() / BLOB_ENTRY_SIZE * BLOB_ENTRY_SIZE) as u64;
            return Err(FormatError::new(
                FormatErrorKind::BadBlobTable,
                format!(
                    "blob table size {} is not a multiple of {BLOB_ENTRY_SIZE}",
                    data.len()
                ),
            )
            .at(base + whole)
            .into());
        }
        let mut t = BlobTable {
            entries: Vec::with_capacity(data.len() / BLOB_ENTRY_SIZE),
            ..Default::default()
        };
        let mut c = Cursor::new(data, base, FormatErrorKind::BadBlobTable);
        let mut run: Vec<RunEntry> = Vec::new();
        while c.remaining() > 0 {
            let at = c.offset();
            let mut raw = RawBlobEntry::read(&mut c)?;
            let flags = ResourceFlags::from_bits_retain(raw.reshdr.flags);
            if flags.contains(ResourceFlags::SOLID) {
                if header.version.is_solid() {
                    run.push(RunEntry { raw, at });
                    continue;
                }
                // Outside version 0xE00 the SOLID flag is not honoured (as wimlib): a row
                // that reads as a plain resource is kept as one; a row that only makes sense
                // in a solid run (a resource row, uncompressed size 0x100000000, or a blob
                // row, uncompressed size 0) is malformed here.
                let usize = raw.reshdr.uncompressed_size;
                if usize == SOLID_RESOURCE_MAGIC_SIZE || usize == 0 {
                    return Err(FormatError::new(
                        FormatErrorKind::BadBlobTable,
                        format!(
                            "solid-run blob entry in a version 0x{:x} WIM (solid resources need 0xe00)",
                            header.version.0
                        ),
                    )
                    .at(at)
                    .into());
                }
                raw.reshdr.flags &= !ResourceFlags::SOLID.bits();
            }
            if !run.is_empty() {
                t.add_run(std::mem::take(&mut run), header, source, src, file_len)?;
            }
            t.add_plain(raw, at, header, source, file_len)?;
        }
        if !run.is_empty() {
            t.add_run(run, header, source, src, file_len)?;
        }
        if header.part_number == 1 && t.images.len() as u64 != header.image_count as u64 {
            return Err(FormatError::new(
                FormatErrorKind::ImageCountMismatch,
                format!(
                    "the header declares {} images but the blob table has {} metadata resources",
                    header.image_count,
                    t.images.len()
                ),
            )
            .at(base)
            .into());
        }
        Ok(t)
    }

    fn insert(&mut self, e: BlobEntry) -> bool {
        if self.by_hash.contains_key(&e.hash) {
            self.warnings.push(format!(
                "duplicate blob-table entry for {} at 0x{:x} ignored",
                e.hash, e.table_offset
            ));
            return false;
        }
        self.by_hash.insert(e.hash, self.entries.len());
        self.entries.push(e);
        true
    }

    fn add_plain(
        &mut self,
        raw: RawBlobEntry,
        at: u64,
        header: &WimHeader,
        source: usize,
        file_len: u64,
    ) -> Result<()> {
        let reshdr = ResourceHeader::from_raw(raw.reshdr);
        let hash = Sha1Digest(raw.hash);
        if hash.is_zero() || reshdr.uncompressed_size == 0 || raw.part_number != header.part_number
        {
            return Ok(());
        }
        let meta = reshdr.flags.contains(ResourceFlags::METADATA);
        if meta {
            if raw.ref_count == 0 {
                self.warnings.push(format!(
                    "metadata entry with reference count 0 at 0x{at:x} skipped"
                ));
                return Ok(());
            }
            if raw.ref_count != 1 {
                return Err(FormatError::new(
                    FormatErrorKind::BadBlobTable,
                    format!(
                        "metadata resource has reference count {}, expected 1",
                        raw.ref_count
                    ),
                )
                .at(at)
                .blob(hash)
                .into());
            }
            if header.part_number != 1 {
                return Ok(());
            }
        }
        if !reshdr.is_compressed() && reshdr.size_in_wim != reshdr.uncompressed_size {
            return Err(FormatError::new(
                FormatErrorKind::BadResourceHeader,
                format!(
                    "uncompressed blob has size {} in the file but {} uncompressed",
                    reshdr.size_in_wim, reshdr.uncompressed_size
                ),
            )
            .at(at)
            .blob(hash)
            .into());
        }
        reshdr
            .check_in_file(file_len)
            .map_err(|e| Error::from(relocate(e, at).blob(hash)))?;
        let e = BlobEntry {
            hash,
            size: reshdr.uncompressed_size,
            ref_count: raw.ref_count,
            part_number: raw.part_number,
            flags: reshdr.flags,
            location: BlobLocation::Resource { source, reshdr },
            table_offset: at,
        };
        if meta {
            // Metadata rows are assigned to images in table order and never merged: two
            // images may have byte-identical metadata (same hash), as wimlib allows.
            self.by_hash.entry(e.hash).or_insert(self.entries.len());
            self.images.push(self.entries.len());
            self.entries.push(e);
        } else {
            self.insert(e);
        }
        Ok(())
    }

    fn add_run(
        &mut self,
        run: Vec<RunEntry>,
        header: &WimHeader,
        source: usize,
        src: &dyn ReadAt,
        file_len: u64,
    ) -> Result<()> {
        // Resources of the run, in order, with their logical start offsets.
        let mut resources: Vec<(u64, Arc<SolidResource>)> = Vec::new();
        let mut logical = 0u64;
        for r in &run {
            if r.raw.reshdr.uncompressed_size != SOLID_RESOURCE_MAGIC_SIZE
                || r.raw.part_number != header.part_number
            {
                continue;
            }
            let reshdr = ResourceHeader::from_raw(r.raw.reshdr);
            reshdr
                .check_in_file(file_len)
                .map_err(|e| Error::from(relocate(e, r.at)))?;
            if reshdr.size_in_wim < SOLID_HEADER_SIZE as u64 {
                return Err(FormatError::new(
                    FormatErrorKind::BadResource,
                    format!(
                        "solid resource of {} bytes is smaller than its header",
                        reshdr.size_in_wim
                    ),
                )
                .at(r.at)
                .into());
            }
            let mut b = [0u8; 8];
            src.read_exact_at(&mut b, reshdr.offset)
                .map_err(|e| Error::io_at(e, reshdr.offset))?;
            let usize_ = u64::from_le_bytes(b);
            resources.push((
                logical,
                Arc::new(SolidResource {
                    source,
                    reshdr,
                    uncompressed_size: usize_,
                }),
            ));
            logical = logical.checked_add(usize_).ok_or_else(|| {
                Error::from(
                    FormatError::new(FormatErrorKind::BadResource, "solid run size overflows")
                        .at(reshdr.offset),
                )
            })?;
        }
        let mut spans: Vec<(u64, u64, u64)> = Vec::new();
        for r in &run {
            let reshdr = r.raw.reshdr;
            if reshdr.uncompressed_size == SOLID_RESOURCE_MAGIC_SIZE {
                continue;
            }
            let hash = Sha1Digest(r.raw.hash);
            if reshdr.flags & ResourceFlags::METADATA.bits() != 0 {
                return Err(FormatError::new(
                    FormatErrorKind::BadBlobTable,
                    "metadata resource is solid",
                )
                .at(r.at)
                .blob(hash)
                .into());
            }
            let size = reshdr.size_in_wim;
            if hash.is_zero() || size == 0 || r.raw.part_number != header.part_number {
                continue;
            }
            let off = reshdr.offset;
            let Some((start, res)) = resources
                .iter()
                .find(|(s, res)| off >= *s && off - *s < res.uncompressed_size)
            else {
                return Err(FormatError::new(
                    FormatErrorKind::BadBlobTable,
                    format!(
                        "solid blob at logical offset {off} lies in no solid resource of its run"
                    ),
                )
                .at(r.at)
                .blob(hash)
                .into());
            };
            let inner = off - start;
            if inner
                .checked_add(size)
                .is_none_or(|e| e > res.uncompressed_size)
            {
                return Err(FormatError::new(
                    FormatErrorKind::BadBlobTable,
                    format!(
                        "solid blob {size} bytes at {inner} runs past the end of its {}-byte resource",
                        res.uncompressed_size
                    ),
                )
                .at(r.at)
                .blob(hash)
                .into());
            }
            spans.push((off, size, r.at));
            self.insert(BlobEntry {
                hash,
                size,
                ref_count: r.raw.ref_count,
                part_number: r.raw.part_number,
                flags: ResourceFlags::from_bits_retain(reshdr.flags),
                location: BlobLocation::Solid {
                    resource: res.clone(),
                    offset: inner,
                },
                table_offset: r.at,
            });
        }
        spans.sort_unstable();
        for w in spans.windows(2) {
            if let [(a_off, a_len, _), (b_off, _, b_at)] = w
                && a_off + a_len > *b_off
            {
                return Err(FormatError::new(
                    FormatErrorKind::BadBlobTable,
                    format!("solid blob at logical offset {b_off} overlaps the blob at {a_off}"),
                )
                .at(*b_at)
                .into());
            }
        }
        Ok(())
    }

    /// Adds the non-metadata blobs of `other` not already present (split parts and
    /// reference WIMs).
    pub fn merge(&mut self, other: BlobTable) {
        for e in other.entries {
            if !e.is_metadata() && !self.by_hash.contains_key(&e.hash) {
                self.insert(e);
            }
        }
        self.warnings.extend(other.warnings);
    }

    /// Looks a blob up by digest.
    pub fn get(&self, hash: &Sha1Digest) -> Option<&BlobEntry> {
        self.by_hash.get(hash).and_then(|&i| self.entries.get(i))
    }
    /// All entries, in table order (duplicates and ignored rows removed).
    pub fn entries(&self) -> &[BlobEntry] {
        &self.entries
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// True if there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Number of images with a metadata resource.
    pub fn image_count(&self) -> usize {
        self.images.len()
    }
    /// The metadata entry of `image`.
    pub fn metadata(&self, image: ImageIndex) -> Option<&BlobEntry> {
        self.images
            .get(image.zero_based())
            .and_then(|&i| self.entries.get(i))
    }
    /// Rows skipped with a warning (duplicates, reference count 0 metadata).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

fn relocate(e: FormatError, at: u64) -> FormatError {
    let detail = format!("{} (blob-table entry)", e.detail());
    FormatError::new(e.kind(), detail).at(at)
}
