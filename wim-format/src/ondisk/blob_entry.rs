//! One 50-byte blob ("lookup") table row, `wim-format.md` §4.

use crate::bytes::Cursor;
use crate::error::FormatError;
use crate::ondisk::reshdr::{RESHDR_SIZE, RawReshdr};

/// Size of a blob-table entry on disk.
pub const BLOB_ENTRY_SIZE: usize = 50;

/// A blob-table entry exactly as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawBlobEntry {
    /// +0x00, 24 bytes: where the blob (or solid resource) lives.
    pub reshdr: RawReshdr,
    /// +0x18, 2 bytes: the split-set part holding the data (1-based).
    pub part_number: u16,
    /// +0x1A, 4 bytes: reference count.
    pub ref_count: u32,
    /// +0x1E, 20 bytes: SHA-1 of the uncompressed data (zero for solid resource rows).
    pub hash: [u8; 20],
}

impl RawBlobEntry {
    /// Reads one entry from `c`.
    pub fn read(c: &mut Cursor<'_>) -> Result<Self, FormatError> {
        Ok(RawBlobEntry {
            reshdr: RawReshdr::read(c)?,
            part_number: c.u16()?,
            ref_count: c.u32()?,
            hash: c.array()?,
        })
    }
    /// Serialises.
    pub fn to_bytes(&self) -> [u8; BLOB_ENTRY_SIZE] {
        let mut out = [0u8; BLOB_ENTRY_SIZE];
        out[..RESHDR_SIZE].copy_from_slice(&self.reshdr.to_bytes());
        out[24..26].copy_from_slice(&self.part_number.to_le_bytes());
        out[26..30].copy_from_slice(&self.ref_count.to_le_bytes());
        out[30..50].copy_from_slice(&self.hash);
        out
    }
}
