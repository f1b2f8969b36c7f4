//! Pipable-WIM structures, `wim-format.md` §10: each blob is preceded by a 40-byte blob
//! header; the resource header's offset points just past it. Compressed resources carry
//! a u32 compressed-size prefix before each chunk and the chunk table at the end.

use crate::bytes::Cursor;
use crate::error::FormatError;

/// Magic of a pipable WIM (`WLPWM\0\0\0`).
pub const PWM_MAGIC: [u8; 8] = *b"WLPWM\0\0\0";
/// Magic of a pipable blob header.
pub const PWM_BLOB_MAGIC: u64 = 0x2b9b_9ba2_443d_b9d8;
/// Size of a pipable blob header.
pub const PWM_BLOB_HEADER_SIZE: usize = 40;
/// Size of the compressed-size prefix before each chunk.
pub const PWM_CHUNK_PREFIX_SIZE: u64 = 4;

/// A pipable blob header exactly as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawPwmBlobHeader {
    /// +0x00: [`PWM_BLOB_MAGIC`].
    pub magic: u64,
    /// +0x08: uncompressed size.
    pub uncompressed_size: u64,
    /// +0x10: SHA-1 of the blob.
    pub hash: [u8; 20],
    /// +0x24: reshdr flags.
    pub flags: u32,
}

impl RawPwmBlobHeader {
    /// Reads the header from `c`.
    pub fn read(c: &mut Cursor<'_>) -> Result<Self, FormatError> {
        Ok(RawPwmBlobHeader {
            magic: c.u64()?,
            uncompressed_size: c.u64()?,
            hash: c.array()?,
            flags: c.u32()?,
        })
    }
}
