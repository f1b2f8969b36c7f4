//! The 16-byte header at the start of a solid resource, `wim-format.md` §5.2, followed on
//! disk by one u32 compressed size per chunk.

use crate::bytes::Cursor;
use crate::error::FormatError;

/// Size of the solid-resource header.
pub const SOLID_HEADER_SIZE: usize = 16;
/// The uncompressed-size value marking a blob-table row as a solid *resource*.
pub const SOLID_RESOURCE_MAGIC_SIZE: u64 = 0x1_0000_0000;
/// `format` value: no compression.
pub const SOLID_FORMAT_NONE: u32 = 0;
/// `format` value: XPRESS.
pub const SOLID_FORMAT_XPRESS: u32 = 1;
/// `format` value: LZX.
pub const SOLID_FORMAT_LZX: u32 = 2;
/// `format` value: LZMS.
pub const SOLID_FORMAT_LZMS: u32 = 3;

/// A solid-resource header exactly as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawSolidHeader {
    /// +0x00: uncompressed size of the whole resource.
    pub uncompressed_size: u64,
    /// +0x08: chunk size (overrides the WIM header's).
    pub chunk_size: u32,
    /// +0x0C: compression format (`SOLID_FORMAT_*`).
    pub format: u32,
}

impl RawSolidHeader {
    /// Reads the header from `c`.
    pub fn read(c: &mut Cursor<'_>) -> Result<Self, FormatError> {
        Ok(RawSolidHeader {
            uncompressed_size: c.u64()?,
            chunk_size: c.u32()?,
            format: c.u32()?,
        })
    }
    /// Serialises.
    pub fn to_bytes(&self) -> [u8; SOLID_HEADER_SIZE] {
        let mut out = [0u8; SOLID_HEADER_SIZE];
        out[0..8].copy_from_slice(&self.uncompressed_size.to_le_bytes());
        out[8..12].copy_from_slice(&self.chunk_size.to_le_bytes());
        out[12..16].copy_from_slice(&self.format.to_le_bytes());
        out
    }
}
