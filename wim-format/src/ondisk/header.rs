//! The 208-byte WIM header, `wim-format.md` §2.

use crate::bytes::Cursor;
use crate::error::{FormatError, FormatErrorKind};
use crate::ondisk::reshdr::{RESHDR_SIZE, RawReshdr};

/// Size of the WIM header.
pub const HEADER_SIZE: usize = 208;
/// Magic of a normal WIM (`MSWIM\0\0\0`).
pub const WIM_MAGIC: [u8; 8] = *b"MSWIM\0\0\0";

/// The WIM header exactly as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawHeader {
    /// +0x00, 8: magic (`MSWIM\0\0\0` or pipable `WLPWM\0\0\0`).
    pub magic: [u8; 8],
    /// +0x08, 4: header size (208).
    pub header_size: u32,
    /// +0x0C, 4: format version (0x10D00, or 0xE00 for solid/LZMS).
    pub version: u32,
    /// +0x10, 4: `WIM_HDR_FLAG_*` bits.
    pub flags: u32,
    /// +0x14, 4: chunk size of non-solid compressed resources.
    pub chunk_size: u32,
    /// +0x18, 16: GUID shared by the parts of a split set.
    pub guid: [u8; 16],
    /// +0x28, 2: part number (1-based).
    pub part_number: u16,
    /// +0x2A, 2: total parts.
    pub total_parts: u16,
    /// +0x2C, 4: image count.
    pub image_count: u32,
    /// +0x30, 24: blob table reshdr.
    pub blob_table: RawReshdr,
    /// +0x48, 24: XML data reshdr.
    pub xml: RawReshdr,
    /// +0x60, 24: boot image metadata reshdr.
    pub boot_metadata: RawReshdr,
    /// +0x78, 4: boot image index (0 = none).
    pub boot_index: u32,
    /// +0x7C, 24: integrity table reshdr (only 4-byte aligned).
    pub integrity: RawReshdr,
    /// +0x94, 60: unused.
    pub unused: [u8; 60],
}

impl Default for RawHeader {
    fn default() -> Self {
        RawHeader {
            magic: [0; 8],
            header_size: 0,
            version: 0,
            flags: 0,
            chunk_size: 0,
            guid: [0; 16],
            part_number: 0,
            total_parts: 0,
            image_count: 0,
            blob_table: RawReshdr::default(),
            xml: RawReshdr::default(),
            boot_metadata: RawReshdr::default(),
            boot_index: 0,
            integrity: RawReshdr::default(),
            unused: [0; 60],
        }
    }
}

impl RawHeader {
    /// Parses the header from the first 208 bytes of `data` (`Truncated` if shorter).
    pub fn parse(data: &[u8]) -> Result<Self, FormatError> {
        let mut c = Cursor::new(data, 0, FormatErrorKind::Truncated);
        Ok(RawHeader {
            magic: c.array()?,
            header_size: c.u32()?,
            version: c.u32()?,
            flags: c.u32()?,
            chunk_size: c.u32()?,
            guid: c.array()?,
            part_number: c.u16()?,
            total_parts: c.u16()?,
            image_count: c.u32()?,
            blob_table: RawReshdr::read(&mut c)?,
            xml: RawReshdr::read(&mut c)?,
            boot_metadata: RawReshdr::read(&mut c)?,
            boot_index: c.u32()?,
            integrity: RawReshdr::read(&mut c)?,
            unused: c.array()?,
        })
    }
    /// Serialises.
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut o = [0u8; HEADER_SIZE];
        o[0..8].copy_from_slice(&self.magic);
        o[8..12].copy_from_slice(&self.header_size.to_le_bytes());
        o[12..16].copy_from_slice(&self.version.to_le_bytes());
        o[16..20].copy_from_slice(&self.flags.to_le_bytes());
        o[20..24].copy_from_slice(&self.chunk_size.to_le_bytes());
        o[24..40].copy_from_slice(&self.guid);
        o[40..42].copy_from_slice(&self.part_number.to_le_bytes());
        o[42..44].copy_from_slice(&self.total_parts.to_le_bytes());
        o[44..48].copy_from_slice(&self.image_count.to_le_bytes());
        o[0x30..0x30 + RESHDR_SIZE].copy_from_slice(&self.blob_table.to_bytes());
        o[0x48..0x48 + RESHDR_SIZE].copy_from_slice(&self.xml.to_bytes());
        o[0x60..0x60 + RESHDR_SIZE].copy_from_slice(&self.boot_metadata.to_bytes());
        o[0x78..0x7C].copy_from_slice(&self.boot_index.to_le_bytes());
        o[0x7C..0x7C + RESHDR_SIZE].copy_from_slice(&self.integrity.to_bytes());
        o[0x94..HEADER_SIZE].copy_from_slice(&self.unused);
        o
    }
}
