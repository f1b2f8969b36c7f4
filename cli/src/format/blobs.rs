//! Blob rows (`info --blobs` and the stream blocks of `dir --detailed`), and the
//! order in which wimlib lists the blob table.

use crate::model::{BlobLocation, BlobView};
use std::fmt::Write;

/// Resource flag names in the order wimlib prints them (observed: COMPRESSED before
/// METADATA, FREE before SPANNED; the relative place of FREE is a best guess).
const RESHDR_FLAG_NAMES: [(u8, &str); 5] = [
    (0x04, "WIM_RESHDR_FLAG_COMPRESSED"),
    (0x01, "WIM_RESHDR_FLAG_FREE"),
    (0x02, "WIM_RESHDR_FLAG_METADATA"),
    (0x08, "WIM_RESHDR_FLAG_SPANNED"),
    (0x10, "WIM_RESHDR_FLAG_SOLID"),
];

/// Resource flag bit marking metadata resources.
pub const RESHDR_FLAG_METADATA: u8 = 0x02;

/// One blob block, ending with a blank line.
pub fn blob(b: &BlobView) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Hash              = 0x{}", super::hex(&b.hash.0));
    let _ = writeln!(o, "Uncompressed size = {} bytes", b.size);
    match b.location {
        BlobLocation::Plain {
            compressed_size,
            offset,
        } => {
            let _ = writeln!(o, "Compressed size   = {compressed_size} bytes");
            let _ = writeln!(o, "Offset in WIM     = {offset} bytes");
        }
        BlobLocation::Solid {
            resource_uncompressed_size,
            resource_compressed_size,
            resource_offset,
            offset_in_resource,
        } => {
            let _ = writeln!(
                o,
                "Solid resource    = {resource_uncompressed_size} => {resource_compressed_size} bytes @ offset {resource_offset}"
            );
            let _ = writeln!(o, "Solid offset      = {offset_in_resource} bytes");
        }
    }
    let _ = writeln!(o, "Part Number       = {}", b.part_number);
    let _ = writeln!(o, "Reference Count   = {}", b.refcount);
    o.push_str("Flags             = ");
    for (bit, name) in RESHDR_FLAG_NAMES {
        if b.flags & bit != 0 {
            o.push_str(name);
            o.push_str("  ");
        }
    }
    o.push_str("\n\n");
    o
}

/// Reorders blob-table rows (given in on-disk table order) into the order
/// wimlib-imagex lists them: metadata resources first (table order), then the other
/// blobs as wimlib's in-memory hash table yields them. That table has
/// `next_power_of_two(total rows)` buckets keyed by the first 8 digest bytes read as
/// a little-endian integer; buckets are walked in ascending order and each bucket
/// lists its most recently inserted row first. Found by experiment on the fixtures
/// (see FORMATS.md); it only matters for byte-identical `--blobs` output.
pub fn wimlib_order(rows: &[BlobView]) -> Vec<BlobView> {
    let cap = rows.len().max(1).next_power_of_two();
    let mut out: Vec<BlobView> = rows
        .iter()
        .filter(|b| b.flags & RESHDR_FLAG_METADATA != 0)
        .copied()
        .collect();
    let mut keyed: Vec<(u64, usize, BlobView)> = rows
        .iter()
        .enumerate()
        .filter(|(_, b)| b.flags & RESHDR_FLAG_METADATA == 0)
        .map(|(i, b)| {
            let mut k = [0u8; 8];
            k.copy_from_slice(&b.hash.0[..8]);
            let bucket = u64::from_le_bytes(k) % cap as u64;
            (bucket, i, *b)
        })
        .collect();
    // Ascending bucket; inside a bucket, later rows first.
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    out.extend(keyed.into_iter().map(|(_, _, b)| b));
    out
}

/// The `info --blobs` report (all rows, already in [`wimlib_order`]).
pub fn blobs(rows: &[BlobView]) -> String {
    rows.iter().map(blob).collect()
}

/// The stderr note wimlib prints after `--blobs` on one part of a split set.
pub fn split_note(part: u16, total: u16) -> String {
    format!("Warning: Only showing the blobs for part {part} of a {total}-part WIM.\n")
}
