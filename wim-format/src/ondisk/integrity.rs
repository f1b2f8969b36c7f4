//! The integrity table header, `wim-format.md` §8: `{u32 table size, u32 entry count,
//! u32 chunk size}` followed by one 20-byte SHA-1 per chunk.

use crate::bytes::Cursor;
use crate::error::FormatError;

/// Size of the fixed integrity-table header.
pub const INTEGRITY_HEADER_SIZE: usize = 12;
/// Size of one integrity-table entry (a SHA-1).
pub const INTEGRITY_ENTRY_SIZE: usize = 20;
/// The first file offset covered by the integrity table (the end of the header).
pub const INTEGRITY_START: u64 = 208;
/// Chunk size wimlib writes.
pub const DEFAULT_INTEGRITY_CHUNK_SIZE: u32 = 10 * 1024 * 1024;

/// The integrity table's fixed header exactly as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawIntegrityHeader {
    /// +0x00: total table size in bytes, header included.
    pub table_size: u32,
    /// +0x04: number of SHA-1 entries.
    pub num_entries: u32,
    /// +0x08: bytes covered by each entry (the last may cover fewer).
    pub chunk_size: u32,
}

impl RawIntegrityHeader {
    /// Reads the header from `c`.
    pub fn read(c: &mut Cursor<'_>) -> Result<Self, FormatError> {
        Ok(RawIntegrityHeader {
            table_size: c.u32()?,
            num_entries: c.u32()?,
            chunk_size: c.u32()?,
        })
    }
    /// Serialises.
    pub fn to_bytes(&self) -> [u8; INTEGRITY_HEADER_SIZE] {
        let mut out = [0u8; INTEGRITY_HEADER_SIZE];
        out[0..4].copy_from_slice(&self.table_size.to_le_bytes());
        out[4..8].copy_from_slice(&self.num_entries.to_le_bytes());
        out[8..12].copy_from_slice(&self.chunk_size.to_le_bytes());
        out
    }
}
