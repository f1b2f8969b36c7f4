//! Writing a split set (`.swm`) from an existing WIM, `wim-format.md` §9.
//!
//! ```text
//! part 1: | header | metadata resources | blobs … | blob table (part 1 rows) | full XML |
//! part k: | header | blobs …                      | blob table (part k rows) | full XML |
//! ```
//!
//! Resources are copied byte for byte (same codec and chunk size as the source). Every
//! part shares the source's GUID, codec, image count and XML; a part's blob table lists
//! only the blobs stored in it. A blob is never divided: a new part is started when the
//! next blob would take the current one past the size limit, unless the part holds no
//! blob yet (a blob larger than the limit gets a part of its own). Headers are written
//! last, once the number of parts is known; until then each part's header has
//! `WRITE_IN_PROGRESS` set.

use super::layout::{
    BlobRow, HeaderParams, HeaderResources, RowLocation, blob_table_bytes, header,
};
use super::raw_copy::RawCopier;
use super::write_at;
use crate::blob_table::BlobLocation;
use crate::digest::{ImageIndex, Sha1Digest};
use crate::error::{Error, Result, Unsupported, UsageError};
use crate::header::HeaderFlags;
use crate::ondisk::header::HEADER_SIZE;
use crate::resource::{ResourceFlags, ResourceHeader};
use crate::wim::Wim;
use std::path::{Path, PathBuf};

/// The file name of part `n` (1-based) for a first part named `first`:
/// `install.swm` → `install2.swm`, `install3.swm`, … (wimlib's naming).
pub fn part_path(first: &Path, n: u16) -> PathBuf {
    if n <= 1 {
        return first.to_path_buf();
    }
    let stem = first
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match first.extension() {
        Some(ext) => format!("{stem}{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}{n}"),
    };
    first.with_file_name(name)
}

struct Part {
    file: std::fs::File,
    pos: u64,
    rows: Vec<BlobRow>,
    meta: Vec<(ResourceHeader, Sha1Digest, u16)>,
    has_blob: bool,
}

/// Splits `src` (a complete, non-pipable WIM without solid resources) into parts of at
/// most `part_size` bytes (a blob larger than that gets a part of its own). Part 1 is
/// written to `first`, the others next to it ([`part_path`]). Returns the paths written.
pub fn split_wim(src: &Wim, first: &Path, part_size: u64) -> Result<Vec<PathBuf>> {
    let h = src.header().clone();
    if h.pipable || h.is_split() {
        return Err(Error::Usage(UsageError::Other(
            "the source must be a complete, non-pipable WIM".into(),
        )));
    }
    let xml = src.xml_bytes()?;
    let params = |part: u16, total: u16| HeaderParams {
        compression: h.compression,
        chunk_size: h.chunk_size,
        solid: h.version.is_solid(),
        extra_flags: h.flags,
        guid: h.guid.0,
        part_number: part,
        total_parts: total,
    };
    let mut parts: Vec<Part> = Vec::new();
    let new_part = |n: u16| -> Result<Part> {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(part_path(first, n))?;
        let hd = header(&params(n, 1), &HeaderResources::default(), true);
        write_at(&mut file, 0, &hd.to_bytes())?;
        Ok(Part {
            file,
            pos: HEADER_SIZE as u64,
            rows: Vec::new(),
            meta: Vec::new(),
            has_blob: false,
        })
    };
    parts.push(new_part(1)?);
    // Every part is written front to back; one copier batches the copies into the
    // current part and is flushed when the next part starts.
    let mut raw = RawCopier::default();
    let table = src.blob_table();
    // Metadata resources first, in image order, all in part 1.
    for i in 1..=src.image_count() {
        let Some(idx) = ImageIndex::new(i) else {
            continue;
        };
        let e = src.entry(&table.metadata(idx).map(|e| e.hash).unwrap_or_default())?;
        let BlobLocation::Resource { source, reshdr } = &e.location else {
            return Err(Error::Unsupported(Unsupported::Other(
                "solid metadata resource".into(),
            )));
        };
        let sp = &src.parts()[*source];
        let p = &mut parts[0];
        raw.copy(
            &sp.source,
            reshdr.offset,
            &mut p.file,
            p.pos,
            reshdr.size_in_wim,
        )?;
        let r = ResourceHeader {
            offset: p.pos,
            flags: reshdr.flags & (ResourceFlags::COMPRESSED | ResourceFlags::METADATA),
            ..*reshdr
        };
        p.pos += reshdr.size_in_wim;
        p.meta.push((r, e.hash, 1));
    }
    for e in table.entries() {
        if e.is_metadata() {
            continue;
        }
        let BlobLocation::Resource { source, reshdr } = &e.location else {
            return Err(Error::Unsupported(Unsupported::Other(
                "splitting WIMs with solid resources".into(),
            )));
        };
        let sp = &src.parts()[*source];
        let need = reshdr.size_in_wim;
        let cur = parts.len() - 1;
        let over = parts[cur].pos.saturating_add(need) > part_size;
        // A part is full once something is in it, metadata included (wimlib's rule).
        if over && (parts[cur].has_blob || !parts[cur].meta.is_empty()) {
            let n = u16::try_from(parts.len() + 1)
                .map_err(|_| Error::Usage(UsageError::Other("more than 65535 parts".into())))?;
            raw.flush(&mut parts[cur].file)?;
            parts.push(new_part(n)?);
        }
        let pn = parts.len() as u16;
        let Some(p) = parts.last_mut() else { continue };
        raw.copy(&sp.source, reshdr.offset, &mut p.file, p.pos, need)?;
        p.rows.push(BlobRow {
            hash: e.hash,
            size: e.size,
            location: RowLocation::Plain(ResourceHeader {
                offset: p.pos,
                flags: reshdr.flags & ResourceFlags::COMPRESSED,
                ..*reshdr
            }),
            ref_count: e.ref_count,
            part_number: pn,
        });
        p.pos += need;
        p.has_blob = true;
    }
    if let Some(p) = parts.last_mut() {
        raw.flush(&mut p.file)?;
    }
    let total = parts.len() as u16;
    let mut paths = Vec::new();
    for (i, mut p) in parts.into_iter().enumerate() {
        let n = i as u16 + 1;
        let tb = blob_table_bytes(&p.meta, &p.rows, &[]);
        let tb_at = p.pos;
        write_at(&mut p.file, tb_at, &tb)?;
        let xml_at = tb_at + tb.len() as u64;
        write_at(&mut p.file, xml_at, &xml)?;
        let end = xml_at + xml.len() as u64;
        p.file.set_len(end)?;
        let boot = if n == 1 { h.boot_index } else { 0 };
        let boot_meta = boot
            .checked_sub(1)
            .and_then(|b| p.meta.get(b as usize))
            .map(|m| m.0)
            .unwrap_or_default();
        let res = HeaderResources {
            image_count: h.image_count,
            blob_table: ResourceHeader {
                size_in_wim: tb.len() as u64,
                flags: ResourceFlags::METADATA,
                offset: tb_at,
                uncompressed_size: tb.len() as u64,
            },
            xml: ResourceHeader {
                size_in_wim: xml.len() as u64,
                flags: ResourceFlags::METADATA,
                offset: xml_at,
                uncompressed_size: xml.len() as u64,
            },
            boot_metadata: boot_meta,
            boot_index: boot,
            integrity: ResourceHeader::default(),
        };
        let mut prm = params(n, total);
        prm.extra_flags -= HeaderFlags::READONLY;
        let hd = header(&prm, &res, false);
        write_at(&mut p.file, 0, &hd.to_bytes())?;
        std::io::Write::flush(&mut p.file)?;
        paths.push(part_path(first, n));
    }
    Ok(paths)
}
