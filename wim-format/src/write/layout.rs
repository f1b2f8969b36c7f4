//! The layout phase: once every resource has its offset, the blob table rows, the XML
//! totals, the integrity table and the header are derived here (`wim-format.md` §2, §4,
//! §7, §8).
//!
//! Blob table order: metadata resources in image order, then non-solid blobs in the
//! order they were written, then one solid run: each solid resource's row just before
//! its blobs, blob offsets "logical" (running sum of the run's earlier resources'
//! uncompressed sizes plus the offset inside the resource).

use super::{WimOutput, read_at};
use crate::digest::Sha1Digest;
use crate::error::Result;
use crate::header::{Compression, HeaderFlags, WimVersion};
use crate::ondisk::blob_entry::{BLOB_ENTRY_SIZE, RawBlobEntry};
use crate::ondisk::header::{HEADER_SIZE, RawHeader, WIM_MAGIC};
use crate::ondisk::integrity::{INTEGRITY_START, RawIntegrityHeader};
use crate::resource::{ResourceFlags, ResourceHeader};
use sha1::Digest;

/// Where a blob's data is, for its blob-table row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowLocation {
    /// A resource of its own.
    Plain(ResourceHeader),
    /// Inside solid resource number `resource` (index into the solid list) at `offset`.
    Solid {
        /// Index of the solid resource.
        resource: usize,
        /// Offset inside that resource's uncompressed data.
        offset: u64,
    },
}

/// One blob to list in the blob table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobRow {
    /// SHA-1.
    pub hash: Sha1Digest,
    /// Uncompressed size.
    pub size: u64,
    /// Location.
    pub location: RowLocation,
    /// Reference count.
    pub ref_count: u32,
    /// Part number.
    pub part_number: u16,
}

/// One solid resource of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolidRow {
    /// Its reshdr (SOLID flag, uncompressed-size field 0x100000000).
    pub reshdr: ResourceHeader,
    /// Its real uncompressed size (from the solid header).
    pub uncompressed_size: u64,
    /// Part number.
    pub part_number: u16,
}

/// Serialises the blob table. `metadata` rows come first (their reshdrs must carry the
/// METADATA flag), then plain blobs, then the solid run.
pub fn blob_table_bytes(
    metadata: &[(ResourceHeader, Sha1Digest, u16)],
    blobs: &[BlobRow],
    solids: &[SolidRow],
) -> Vec<u8> {
    let mut out = Vec::with_capacity((metadata.len() + blobs.len() + solids.len()) * 50);
    for (r, h, part) in metadata {
        let mut r = *r;
        r.flags |= ResourceFlags::METADATA;
        out.extend_from_slice(
            &RawBlobEntry {
                reshdr: r.to_raw(),
                part_number: *part,
                ref_count: 1,
                hash: h.0,
            }
            .to_bytes(),
        );
    }
    for b in blobs {
        if let RowLocation::Plain(r) = b.location {
            out.extend_from_slice(
                &RawBlobEntry {
                    reshdr: r.to_raw(),
                    part_number: b.part_number,
                    ref_count: b.ref_count,
                    hash: b.hash.0,
                }
                .to_bytes(),
            );
        }
    }
    let mut base = 0u64;
    for (i, s) in solids.iter().enumerate() {
        out.extend_from_slice(
            &RawBlobEntry {
                reshdr: s.reshdr.to_raw(),
                part_number: s.part_number,
                ref_count: 1,
                hash: [0; 20],
            }
            .to_bytes(),
        );
        let mut mine: Vec<&BlobRow> = blobs
            .iter()
            .filter(|b| matches!(b.location, RowLocation::Solid { resource, .. } if resource == i))
            .collect();
        mine.sort_by_key(|b| match b.location {
            RowLocation::Solid { offset, .. } => offset,
            RowLocation::Plain(_) => 0,
        });
        for b in mine {
            let RowLocation::Solid { offset, .. } = b.location else {
                continue;
            };
            let r = ResourceHeader {
                size_in_wim: b.size,
                flags: ResourceFlags::SOLID,
                offset: base + offset,
                uncompressed_size: 0,
            };
            out.extend_from_slice(
                &RawBlobEntry {
                    reshdr: r.to_raw(),
                    part_number: b.part_number,
                    ref_count: b.ref_count,
                    hash: b.hash.0,
                }
                .to_bytes(),
            );
        }
        base += s.uncompressed_size;
    }
    debug_assert_eq!(out.len() % BLOB_ENTRY_SIZE, 0);
    out
}

/// Fields of the header that depend on the options, not on offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderParams {
    /// Codec of non-solid resources.
    pub compression: Compression,
    /// Chunk size of non-solid resources.
    pub chunk_size: u32,
    /// True when the file holds solid resources (forces version 0xE00).
    pub solid: bool,
    /// Extra flags (RP_FIX, READONLY…); compression flags are derived.
    pub extra_flags: HeaderFlags,
    /// GUID.
    pub guid: [u8; 16],
    /// Part number (1-based).
    pub part_number: u16,
    /// Total parts.
    pub total_parts: u16,
}

/// The resource headers and counts known at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeaderResources {
    /// Image count.
    pub image_count: u32,
    /// Blob table.
    pub blob_table: ResourceHeader,
    /// XML.
    pub xml: ResourceHeader,
    /// Boot image metadata.
    pub boot_metadata: ResourceHeader,
    /// Boot index (0 = none).
    pub boot_index: u32,
    /// Integrity table.
    pub integrity: ResourceHeader,
}

/// Builds the header.
pub fn header(p: &HeaderParams, r: &HeaderResources, write_in_progress: bool) -> RawHeader {
    let mut flags = p.extra_flags
        - (HeaderFlags::COMPRESSION
            | HeaderFlags::COMPRESS_XPRESS
            | HeaderFlags::COMPRESS_LZX
            | HeaderFlags::COMPRESS_LZMS
            | HeaderFlags::COMPRESS_XPRESS2
            | HeaderFlags::WRITE_IN_PROGRESS
            | HeaderFlags::SPANNED);
    flags |= match p.compression {
        Compression::None => HeaderFlags::empty(),
        Compression::Xpress => HeaderFlags::COMPRESSION | HeaderFlags::COMPRESS_XPRESS,
        Compression::Lzx => HeaderFlags::COMPRESSION | HeaderFlags::COMPRESS_LZX,
        Compression::Lzms => HeaderFlags::COMPRESSION | HeaderFlags::COMPRESS_LZMS,
    };
    if p.total_parts > 1 {
        flags |= HeaderFlags::SPANNED;
    }
    if write_in_progress {
        flags |= HeaderFlags::WRITE_IN_PROGRESS;
    }
    let version = if p.solid || p.compression == Compression::Lzms {
        WimVersion::SOLID
    } else {
        WimVersion::DEFAULT
    };
    RawHeader {
        magic: WIM_MAGIC,
        header_size: HEADER_SIZE as u32,
        version: version.0,
        flags: flags.bits(),
        chunk_size: if p.compression == Compression::None {
            0
        } else {
            p.chunk_size
        },
        guid: p.guid,
        part_number: p.part_number,
        total_parts: p.total_parts,
        image_count: r.image_count,
        blob_table: r.blob_table.to_raw(),
        xml: r.xml.to_raw(),
        boot_metadata: r.boot_metadata.to_raw(),
        boot_index: r.boot_index,
        integrity: r.integrity.to_raw(),
        unused: [0; 60],
    }
}

/// Hashes `[208, end)` of the output in `chunk_size` chunks and returns the integrity
/// table bytes. `known` may hold hashes of leading chunks that are known to be unchanged
/// (append with the same chunk size): they are reused without reading.
pub fn integrity_table_bytes(
    out: &mut dyn WimOutput,
    end: u64,
    chunk_size: u32,
    known: &[Sha1Digest],
) -> Result<Vec<u8>> {
    let cs = u64::from(chunk_size.max(1));
    let span = end.saturating_sub(INTEGRITY_START);
    let n = span.div_ceil(cs);
    let mut v = RawIntegrityHeader {
        table_size: (12 + 20 * n) as u32,
        num_entries: n as u32,
        chunk_size,
    }
    .to_bytes()
    .to_vec();
    let mut buf = vec![0u8; (1 << 20).min(cs as usize)];
    for i in 0..n {
        if let Some(h) = known.get(i as usize) {
            v.extend_from_slice(&h.0);
            continue;
        }
        let start = INTEGRITY_START + i * cs;
        let len = cs.min(end - start);
        let mut h = sha1::Sha1::new();
        let mut done = 0u64;
        while done < len {
            let take = (len - done).min(buf.len() as u64) as usize;
            read_at(out, start + done, &mut buf[..take])?;
            h.update(&buf[..take]);
            done += take as u64;
        }
        v.extend_from_slice(&h.finalize());
    }
    Ok(v)
}
