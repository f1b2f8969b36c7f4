//! Resources: [`ResourceHeader`] and [`ResourceFlags`] (validated reshdr), chunk layouts
//! of the three resource variants ([`chunk_table`], [`solid`]) and the chunk-wise
//! [`reader::ResourceReader`] with a [`std::io::Read`] adaptor. Layout: `wim-format.md`
//! §3 and §5.

pub mod chunk_table;
pub mod reader;
pub mod solid;

pub use chunk_table::ChunkLayout;
pub use reader::{ChunkDecoder, ResourceRead, ResourceReader};

use crate::error::{FormatError, FormatErrorKind};
use crate::ondisk::reshdr::RawReshdr;
use bitflags::bitflags;

bitflags! {
    /// `WIM_RESHDR_FLAG_*` bits of a resource header.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct ResourceFlags: u8 {
        /// Free space (ignored).
        const FREE = 0x01;
        /// Image metadata (also set on the blob-table and XML reshdrs).
        const METADATA = 0x02;
        /// Compressed, non-solid: the header's codec and chunk size apply.
        const COMPRESSED = 0x04;
        /// Spanned (ignored).
        const SPANNED = 0x08;
        /// Solid (honoured only in version 0xE00 WIMs).
        const SOLID = 0x10;
    }
}

/// A resource header with typed flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ResourceHeader {
    /// Size in the file (compressed size, tables included).
    pub size_in_wim: u64,
    /// Flags.
    pub flags: ResourceFlags,
    /// Absolute file offset.
    pub offset: u64,
    /// Uncompressed size.
    pub uncompressed_size: u64,
}

impl ResourceHeader {
    /// From the raw on-disk form (unknown flag bits are kept).
    pub fn from_raw(r: RawReshdr) -> Self {
        ResourceHeader {
            size_in_wim: r.size_in_wim,
            flags: ResourceFlags::from_bits_retain(r.flags),
            offset: r.offset,
            uncompressed_size: r.uncompressed_size,
        }
    }
    /// To the raw on-disk form.
    pub fn to_raw(&self) -> RawReshdr {
        RawReshdr {
            size_in_wim: self.size_in_wim,
            flags: self.flags.bits(),
            offset: self.offset,
            uncompressed_size: self.uncompressed_size,
        }
    }
    /// True if all fields are zero (no resource).
    pub fn is_zero(&self) -> bool {
        *self == ResourceHeader::default()
    }
    /// True if the COMPRESSED flag is set.
    pub fn is_compressed(&self) -> bool {
        self.flags.contains(ResourceFlags::COMPRESSED)
    }
    /// Checks that `[offset, offset + size_in_wim)` lies inside a file of `file_len`
    /// bytes; `Truncated` (at the resource offset) otherwise.
    pub fn check_in_file(&self, file_len: u64) -> Result<(), FormatError> {
        match self.offset.checked_add(self.size_in_wim) {
            Some(end) if end <= file_len => Ok(()),
            _ => Err(FormatError::new(
                FormatErrorKind::Truncated,
                format!(
                    "resource of {} bytes at 0x{:x} extends past the end of the {file_len}-byte file",
                    self.size_in_wim, self.offset
                ),
            )
            .at(self.offset)),
        }
    }
}
