//! The 24-byte resource header ("reshdr"), `wim-format.md` §3.

use crate::bytes::Cursor;
use crate::error::{FormatError, FormatErrorKind};

/// Size of a resource header on disk.
pub const RESHDR_SIZE: usize = 24;

/// A resource header exactly as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawReshdr {
    /// +0x00, 7 bytes (56-bit LE): size of the resource in the file (compressed size,
    /// chunk table included).
    pub size_in_wim: u64,
    /// +0x07, 1 byte: `WIM_RESHDR_FLAG_*` bits.
    pub flags: u8,
    /// +0x08, 8 bytes: absolute file offset of the resource.
    pub offset: u64,
    /// +0x10, 8 bytes: uncompressed size.
    pub uncompressed_size: u64,
}

impl RawReshdr {
    /// Reads a reshdr from `c`.
    pub fn read(c: &mut Cursor<'_>) -> Result<Self, FormatError> {
        let b = c.array::<8>()?;
        let mut s = [0u8; 8];
        s[..7].copy_from_slice(&b[..7]);
        Ok(RawReshdr {
            size_in_wim: u64::from_le_bytes(s),
            flags: b[7],
            offset: c.u64()?,
            uncompressed_size: c.u64()?,
        })
    }
    /// Parses a reshdr from exactly 24 bytes; `at` is their file offset.
    pub fn parse(b: &[u8; RESHDR_SIZE], at: u64) -> Self {
        // 24 bytes always suffice: no error possible.
        let mut c = Cursor::new(b, at, FormatErrorKind::BadResourceHeader);
        Self::read(&mut c).unwrap_or_default()
    }
    /// Serialises; `size_in_wim` is truncated to 56 bits.
    pub fn to_bytes(&self) -> [u8; RESHDR_SIZE] {
        let mut out = [0u8; RESHDR_SIZE];
        out[..7].copy_from_slice(&self.size_in_wim.to_le_bytes()[..7]);
        out[7] = self.flags;
        out[8..16].copy_from_slice(&self.offset.to_le_bytes());
        out[16..24].copy_from_slice(&self.uncompressed_size.to_le_bytes());
        out
    }
    /// True if every field is zero (an absent resource).
    pub fn is_zero(&self) -> bool {
        *self == RawReshdr::default()
    }
}
