//! Pipable output (`wim-format.md` §10): [`write_pipable`] re-lays a complete,
//! non-solid WIM out as a pipable one, written strictly front to back (a pipe will do).
//!
//! ```text
//! | header* (WLPWM, zero reshdrs, image count, boot index) |
//! | blob hdr | XML copy (no top-level TOTALBYTES)             |
//! | blob hdr | metadata resource 1 | … (image order)           |
//! | blob hdr | file resource | …                               |
//! | blob hdr | blob table | blob hdr | XML | [integrity] | header (full) |
//! ```
//!
//! Every blob header is 40 bytes {magic, uncompressed size, SHA-1, reshdr flags} and the
//! resource header's offset points just past it.
//!
//! Facts checked on files written by wimlib-imagex 1.13.5 (and matched here): the XML
//! copy, the blob table and the final XML each get a blob header (flags METADATA, SHA-1
//! of their bytes); the XML copy has no top-level TOTALBYTES, the final XML's TOTALBYTES
//! is the offset of its blob header; the leading header carries the image count and
//! boot index but zero reshdrs and no WRITE_IN_PROGRESS; uncompressed resources have no
//! size prefixes; the integrity table (file output only) follows the final XML without a
//! blob header and covers `[208, end of the blob table)`; split parts are each a pipable
//! WIM (XML copy, own blob table, full XML, SPANNED flag), metadata in part 1 only.
//! wimlib's own pipable writer keeps incompressible chunks raw inside COMPRESSED
//! resources; a converted WIM keeps the source's choice (uncompressed resources stay
//! uncompressed), which wimlib reads from a pipe as well. A compressed resource becomes
//! `u32 size, chunk, u32 size, chunk, …, chunk table` (the table holds the same offsets
//! as a normal one, i.e. not counting the prefixes). No chunk is recompressed: the
//! compressed chunks of the source are copied as they are, so the conversion costs one
//! read and one write of the compressed data. Memory: one chunk at a time.

use super::layout::{BlobRow, RowLocation, blob_table_bytes};
use crate::blob_table::{BlobEntry, BlobLocation};
use crate::digest::{ImageIndex, Sha1Digest};
use crate::error::{Error, FormatError, FormatErrorKind, Result, Unsupported};
use crate::header::HeaderFlags;
use crate::ondisk::header::HEADER_SIZE;
use crate::ondisk::integrity::{INTEGRITY_START, RawIntegrityHeader};
use crate::ondisk::pipable::{PWM_BLOB_MAGIC, PWM_MAGIC};
use crate::resource::{ChunkLayout, ResourceFlags, ResourceHeader};
use crate::source::ReadAt;
use crate::wim::Wim;
use crate::xml::WimInfo;
use sha1::Digest;
use std::io::Write;

/// What [`write_pipable`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipableSummary {
    /// Bytes written.
    pub file_size: u64,
    /// Images.
    pub image_count: u32,
    /// File blobs written (metadata not counted).
    pub blob_count: u64,
    /// True if an integrity table was written.
    pub integrity: bool,
}

/// A writer that counts bytes and, while `hashing`, feeds `[208, …)` into integrity
/// chunks of `chunk` bytes.
struct Out<'a> {
    inner: &'a mut dyn Write,
    pos: u64,
    chunk: Option<u64>,
    hashing: bool,
    cur: sha1::Sha1,
    in_cur: u64,
    hashes: Vec<[u8; 20]>,
}

impl Out<'_> {
    fn put_all(&mut self, data: &[u8]) -> Result<()> {
        self.inner.write_all(data).map_err(|e| Error::Io {
            source: e,
            offset: Some(self.pos),
        })?;
        if let (true, Some(cs)) = (self.hashing, self.chunk) {
            let mut rest = data;
            while !rest.is_empty() {
                let room = usize::try_from(cs - self.in_cur).unwrap_or(usize::MAX);
                let (a, b) = rest.split_at(room.min(rest.len()));
                self.cur.update(a);
                self.in_cur += a.len() as u64;
                if self.in_cur == cs {
                    let h = std::mem::take(&mut self.cur).finalize();
                    self.hashes.push(h.into());
                    self.in_cur = 0;
                }
                rest = b;
            }
        }
        self.pos += data.len() as u64;
        Ok(())
    }

    fn blob_header(&mut self, size: u64, hash: &Sha1Digest, flags: ResourceFlags) -> Result<()> {
        let mut b = [0u8; 40];
        b[0..8].copy_from_slice(&PWM_BLOB_MAGIC.to_le_bytes());
        b[8..16].copy_from_slice(&size.to_le_bytes());
        b[16..36].copy_from_slice(&hash.0);
        b[36..40].copy_from_slice(&u32::from(flags.bits()).to_le_bytes());
        self.put_all(&b)
    }
}

fn unsupported(msg: &str) -> Error {
    Error::Unsupported(Unsupported::Other(msg.to_string().into()))
}

/// Writes `src` (one complete part, no solid resources) to `out` as a pipable WIM.
/// `integrity_chunk_size`: `Some(cs)` appends an integrity table (only meaningful for
/// seekable output; wimlib writes none to a pipe). Header fields (codec, chunk size,
/// GUID, flags, boot index) are those of `src`.
pub fn write_pipable(
    src: &Wim,
    out: &mut dyn Write,
    integrity_chunk_size: Option<u32>,
) -> Result<PipableSummary> {
    let (metas, blobs) = plan(src)?;
    write_part(src, out, integrity_chunk_size, (1, 1), &metas, &blobs)
}

/// The metadata entries (image order) and file blobs (file order) of `src`.
fn plan(src: &Wim) -> Result<(Vec<&BlobEntry>, Vec<&BlobEntry>)> {
    let h = src.header();
    if h.is_split() || src.parts().len() != 1 {
        return Err(unsupported("writing a pipable WIM from a split WIM"));
    }
    let image_count = src.image_count();
    let mut metas: Vec<&BlobEntry> = Vec::new();
    for i in 1..=image_count {
        let idx = ImageIndex::new(i).ok_or_else(|| unsupported("image index 0"))?;
        let e = src.blob_table().metadata(idx).ok_or_else(|| {
            Error::from(FormatError::new(
                FormatErrorKind::MissingBlob,
                format!("image {i} has no metadata resource"),
            ))
        })?;
        metas.push(e);
    }
    let mut blobs: Vec<&BlobEntry> = src
        .blob_table()
        .entries()
        .iter()
        .filter(|e| !e.is_metadata() && e.size > 0)
        .collect();
    let key = |e: &BlobEntry| match &e.location {
        BlobLocation::Resource { reshdr, .. } => reshdr.offset,
        BlobLocation::Solid { .. } => u64::MAX,
    };
    blobs.sort_by_key(|e| (key(e), e.hash.0));
    if blobs.iter().chain(metas.iter()).any(|e| e.is_solid()) {
        return Err(unsupported(
            "pipable WIMs cannot hold solid resources (rewrite it without --solid first)",
        ));
    }
    Ok((metas, blobs))
}

/// Splits `src` (complete, non-solid, pipable or not) into pipable parts of at most
/// `part_size` bytes (a blob is never divided; a blob larger than that gets a part of
/// its own), as wimlib splits a pipable WIM: every part is a pipable WIM of its own
/// (XML copy, its resources, its blob table, the full XML, trailing header), part 1
/// holds the metadata. Parts are named like [`super::split::split_wim`]'s.
pub fn split_pipable(
    src: &Wim,
    first: &std::path::Path,
    part_size: u64,
) -> Result<Vec<std::path::PathBuf>> {
    let (metas, blobs) = plan(src)?;
    let xml_copy = src.xml_bytes()?.len() as u64;
    let base = HEADER_SIZE as u64 + 40 + xml_copy;
    let mut parts: Vec<Vec<&BlobEntry>> = vec![Vec::new()];
    let mut pos = base + metas.iter().map(|e| 40 + resource_size(e)).sum::<u64>();
    for e in &blobs {
        let need = 40 + resource_size(e);
        // Part 1 holding only metadata is not empty (wimlib's rule).
        let cur_empty =
            parts.last().is_none_or(|p| p.is_empty()) && (parts.len() > 1 || metas.is_empty());
        if pos.saturating_add(need) > part_size && !cur_empty {
            parts.push(Vec::new());
            pos = base;
        }
        if let Some(p) = parts.last_mut() {
            p.push(e);
        }
        pos = pos.saturating_add(need);
    }
    let total = u16::try_from(parts.len()).map_err(|_| {
        Error::Usage(crate::error::UsageError::Other(
            "more than 65535 parts".into(),
        ))
    })?;
    let mut paths = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let n = i as u16 + 1;
        let path = super::split::part_path(first, n);
        let f = std::fs::File::create(&path)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        let m: &[&BlobEntry] = if n == 1 { &metas } else { &[] };
        write_part(src, &mut w, None, (n, total), m, p)?;
        w.flush().map_err(Error::from)?;
        paths.push(path);
    }
    Ok(paths)
}

fn resource_size(e: &BlobEntry) -> u64 {
    match &e.location {
        BlobLocation::Resource { reshdr, .. } => reshdr.size_in_wim,
        BlobLocation::Solid { .. } => e.size,
    }
}

/// Writes one pipable part holding `metas` (part 1) and `blobs`.
fn write_part(
    src: &Wim,
    out: &mut dyn Write,
    integrity_chunk_size: Option<u32>,
    (part_number, total_parts): (u16, u16),
    metas: &[&BlobEntry],
    blobs: &[&BlobEntry],
) -> Result<PipableSummary> {
    let h = src.header();
    let part = &src.parts()[0];
    let source: &dyn ReadAt = &*part.source;
    let limits = src.limits();
    let image_count = src.image_count();
    let xml_src = src.xml_bytes()?;
    let info = WimInfo::parse(&xml_src, limits)?;

    let mut o = Out {
        inner: out,
        pos: 0,
        chunk: integrity_chunk_size.map(|c| u64::from(c.max(1))),
        hashing: false,
        cur: sha1::Sha1::new(),
        in_cur: 0,
        hashes: Vec::new(),
    };
    // 1. Leading header.
    let mut raw = h.raw;
    raw.magic = PWM_MAGIC;
    raw.flags &= !(HeaderFlags::WRITE_IN_PROGRESS | HeaderFlags::SPANNED).bits();
    if total_parts > 1 {
        raw.flags |= HeaderFlags::SPANNED.bits();
    }
    raw.part_number = part_number;
    raw.total_parts = total_parts;
    raw.image_count = image_count;
    raw.blob_table = ResourceHeader::default().to_raw();
    raw.xml = ResourceHeader::default().to_raw();
    raw.boot_metadata = ResourceHeader::default().to_raw();
    raw.integrity = ResourceHeader::default().to_raw();
    let boot = if raw.boot_index > image_count || part_number != 1 {
        0
    } else {
        raw.boot_index
    };
    raw.boot_index = boot;
    o.put_all(&raw.to_bytes())?;
    o.hashing = true;
    // 2. XML copy, without the top-level TOTALBYTES.
    let mut doc = info.clone().into_document();
    doc.root.remove_children("TOTALBYTES");
    let copy = WimInfo::from_document(doc, limits)?.to_utf16le_bytes();
    o.blob_header(
        copy.len() as u64,
        &Sha1Digest::of(&copy),
        ResourceFlags::METADATA,
    )?;
    o.put_all(&copy)?;
    // 3. Metadata, then file resources.
    let mut meta_rows: Vec<(ResourceHeader, Sha1Digest, u16)> = Vec::new();
    for e in metas {
        let r = copy_resource(&mut o, source, e, src, limits)?;
        meta_rows.push((r, e.hash, part_number));
    }
    let mut rows: Vec<BlobRow> = Vec::new();
    for e in blobs {
        let r = copy_resource(&mut o, source, e, src, limits)?;
        rows.push(BlobRow {
            hash: e.hash,
            size: e.size,
            location: RowLocation::Plain(r),
            ref_count: e.ref_count,
            part_number,
        });
    }
    // 4. Blob table, XML.
    let table = blob_table_bytes(&meta_rows, &rows, &[]);
    o.blob_header(
        table.len() as u64,
        &Sha1Digest::of(&table),
        ResourceFlags::METADATA,
    )?;
    let table_r = ResourceHeader {
        size_in_wim: table.len() as u64,
        flags: ResourceFlags::METADATA,
        offset: o.pos,
        uncompressed_size: table.len() as u64,
    };
    o.put_all(&table)?;
    o.hashing = false;
    let mut info = info;
    info.set_total_bytes(o.pos);
    let xml = info.to_utf16le_bytes();
    o.blob_header(
        xml.len() as u64,
        &Sha1Digest::of(&xml),
        ResourceFlags::METADATA,
    )?;
    let xml_r = ResourceHeader {
        size_in_wim: xml.len() as u64,
        flags: ResourceFlags::METADATA,
        offset: o.pos,
        uncompressed_size: xml.len() as u64,
    };
    o.put_all(&xml)?;
    // 5. Integrity table over [208, end of the blob table).
    let mut integ_r = ResourceHeader::default();
    if let Some(cs) = o.chunk {
        if o.in_cur > 0 {
            let h = std::mem::take(&mut o.cur).finalize();
            o.hashes.push(h.into());
            o.in_cur = 0;
        }
        let n = o.hashes.len();
        let span = table_r.offset + table_r.size_in_wim - INTEGRITY_START;
        debug_assert_eq!(n as u64, span.div_ceil(cs));
        let mut v = RawIntegrityHeader {
            table_size: (12 + 20 * n) as u32,
            num_entries: n as u32,
            chunk_size: cs as u32,
        }
        .to_bytes()
        .to_vec();
        for hh in &o.hashes {
            v.extend_from_slice(hh);
        }
        integ_r = ResourceHeader {
            size_in_wim: v.len() as u64,
            flags: ResourceFlags::empty(),
            offset: o.pos,
            uncompressed_size: v.len() as u64,
        };
        o.put_all(&v)?;
    }
    // 6. Full header at the end.
    let boot_meta = boot
        .checked_sub(1)
        .and_then(|i| meta_rows.get(i as usize))
        .map(|m| {
            let mut r = m.0;
            r.flags |= ResourceFlags::METADATA;
            r
        })
        .unwrap_or_default();
    raw.blob_table = table_r.to_raw();
    raw.xml = xml_r.to_raw();
    raw.boot_metadata = boot_meta.to_raw();
    raw.integrity = integ_r.to_raw();
    o.put_all(&raw.to_bytes())?;
    o.inner.flush().map_err(Error::from)?;
    debug_assert!(o.pos >= 2 * HEADER_SIZE as u64);
    Ok(PipableSummary {
        file_size: o.pos,
        image_count,
        blob_count: rows.len() as u64,
        integrity: integ_r.size_in_wim > 0,
    })
}

/// Copies one resource of `src` as a pipable resource (blob header first); returns its
/// new resource header (offset just past the blob header).
fn copy_resource(
    o: &mut Out<'_>,
    source: &dyn ReadAt,
    e: &BlobEntry,
    src: &Wim,
    limits: &crate::Limits,
) -> Result<ResourceHeader> {
    let BlobLocation::Resource { reshdr, source: s } = &e.location else {
        return Err(unsupported("pipable WIMs cannot hold solid resources"));
    };
    if *s != 0 {
        return Err(unsupported("writing a pipable WIM from several files"));
    }
    let meta = e.flags & ResourceFlags::METADATA;
    let layout = ChunkLayout::read(source, reshdr, src.header(), limits)?;
    if !reshdr.is_compressed() {
        o.blob_header(e.size, &e.hash, meta)?;
        let at = o.pos;
        // Sized to the resource (most are small): no 1 MiB zeroed per blob.
        let cap = usize::try_from(reshdr.size_in_wim.min(1 << 20)).unwrap_or(1 << 20);
        let mut buf = vec![0u8; cap.max(1)];
        let mut done = 0u64;
        while done < reshdr.size_in_wim {
            let take = usize::try_from((reshdr.size_in_wim - done).min(buf.len() as u64))
                .unwrap_or(buf.len());
            let Some(b) = buf.get_mut(..take) else { break };
            source
                .read_exact_at(b, reshdr.offset + done)
                .map_err(|err| Error::io_at(err, reshdr.offset + done))?;
            o.put_all(b)?;
            done += take as u64;
        }
        return Ok(ResourceHeader {
            size_in_wim: reshdr.size_in_wim,
            flags: meta,
            offset: at,
            uncompressed_size: reshdr.uncompressed_size,
        });
    }
    let flags = meta | ResourceFlags::COMPRESSED;
    o.blob_header(e.size, &e.hash, flags)?;
    let at = o.pos;
    let n = layout.num_chunks();
    let wide = reshdr.uncompressed_size > 0xFFFF_FFFF;
    let mut table: Vec<u8> = Vec::new();
    let mut rel = 0u64;
    let mut buf: Vec<u8> = Vec::new();
    for i in 0..n {
        let Some((start, len)) = layout.chunk_file_range(i) else {
            return Err(FormatError::new(
                FormatErrorKind::BadResource,
                format!("chunk {i} is outside the resource"),
            )
            .at(reshdr.offset)
            .blob(e.hash)
            .into());
        };
        let l32 = u32::try_from(len).map_err(|_| {
            Error::from(
                FormatError::new(FormatErrorKind::BadResource, "chunk larger than 4 GiB").at(start),
            )
        })?;
        if i > 0 {
            if wide {
                table.extend_from_slice(&rel.to_le_bytes());
            } else {
                table.extend_from_slice(&(rel as u32).to_le_bytes());
            }
        }
        buf.resize(l32 as usize, 0);
        source
            .read_exact_at(&mut buf, start)
            .map_err(|err| Error::io_at(err, start))?;
        o.put_all(&l32.to_le_bytes())?;
        o.put_all(&buf)?;
        rel += len;
    }
    o.put_all(&table)?;
    Ok(ResourceHeader {
        size_in_wim: o.pos - at,
        flags,
        offset: at,
        uncompressed_size: reshdr.uncompressed_size,
    })
}
