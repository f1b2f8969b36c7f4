//! The validated WIM header: [`WimHeader`], [`HeaderFlags`], [`Compression`],
//! [`WimVersion`], [`Guid`]. Layout: `wim-format.md` §2.

use crate::error::{FormatError, FormatErrorKind};
use crate::limits::Limits;
use crate::ondisk::header::{HEADER_SIZE, RawHeader, WIM_MAGIC};
use crate::ondisk::pipable::PWM_MAGIC;
use crate::resource::ResourceHeader;
use bitflags::bitflags;
use std::fmt;
use wim_compress::CompressionKind;

bitflags! {
    /// `WIM_HDR_FLAG_*` bits of the header's flags field.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct HeaderFlags: u32 {
        /// Reserved.
        const RESERVED = 0x1;
        /// Resources may be compressed (one compression flag accompanies it).
        const COMPRESSION = 0x2;
        /// The WIM must not be modified.
        const READONLY = 0x4;
        /// Part of a split set.
        const SPANNED = 0x8;
        /// Contains only file resources.
        const RESOURCE_ONLY = 0x10;
        /// Contains only metadata.
        const METADATA_ONLY = 0x20;
        /// A write was in progress (the file may be incomplete).
        const WRITE_IN_PROGRESS = 0x40;
        /// Reparse-point fixups were done on capture.
        const RP_FIX = 0x80;
        /// Reserved compression bit.
        const COMPRESS_RESERVED = 0x10000;
        /// XPRESS compression.
        const COMPRESS_XPRESS = 0x20000;
        /// LZX compression.
        const COMPRESS_LZX = 0x40000;
        /// LZMS compression (version 0xE00 only).
        const COMPRESS_LZMS = 0x80000;
        /// "XPRESS_2", read as XPRESS.
        const COMPRESS_XPRESS2 = 0x200000;
    }
}

/// The codec of non-solid compressed resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Uncompressed.
    None,
    /// XPRESS.
    Xpress,
    /// LZX.
    Lzx,
    /// LZMS.
    Lzms,
}

impl Compression {
    /// The codec, or `None` when uncompressed.
    pub fn kind(self) -> Option<CompressionKind> {
        match self {
            Compression::None => None,
            Compression::Xpress => Some(CompressionKind::Xpress),
            Compression::Lzx => Some(CompressionKind::Lzx),
            Compression::Lzms => Some(CompressionKind::Lzms),
        }
    }
    /// The name wimlib-imagex prints ("None", "XPRESS", "LZX", "LZMS").
    pub fn name(self) -> &'static str {
        match self.kind() {
            None => "None",
            Some(k) => k.name(),
        }
    }
}

/// The header's format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WimVersion(pub u32);

impl WimVersion {
    /// The default version, 0x10D00.
    pub const DEFAULT: WimVersion = WimVersion(0x10D00);
    /// The solid/LZMS-capable ("ESD") version, 0xE00.
    pub const SOLID: WimVersion = WimVersion(0xE00);
    /// True for 0xE00: SOLID resource flags and LZMS are honoured.
    pub fn is_solid(self) -> bool {
        self == Self::SOLID
    }
}

/// A split set's 16-byte GUID.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Guid(pub [u8; 16]);

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Guid({self})")
    }
}

/// A validated WIM header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WimHeader {
    /// True for a pipable WIM (`WLPWM` magic).
    pub pipable: bool,
    /// Format version.
    pub version: WimVersion,
    /// Header flags.
    pub flags: HeaderFlags,
    /// Codec of non-solid compressed resources.
    pub compression: Compression,
    /// Chunk size of non-solid compressed resources (0 when uncompressed).
    pub chunk_size: u32,
    /// Split-set GUID.
    pub guid: Guid,
    /// Part number (1-based).
    pub part_number: u16,
    /// Total parts of the split set (1 for a normal WIM).
    pub total_parts: u16,
    /// Number of images.
    pub image_count: u32,
    /// Blob table resource.
    pub blob_table: ResourceHeader,
    /// XML data resource.
    pub xml: ResourceHeader,
    /// Boot image metadata resource (zero if none).
    pub boot_metadata: ResourceHeader,
    /// Boot image index (0 = none).
    pub boot_index: u32,
    /// Integrity table resource (zero if none).
    pub integrity: ResourceHeader,
    /// The raw header as read.
    pub raw: RawHeader,
}

impl WimHeader {
    /// Parses and validates the first 208 bytes of `data`.
    ///
    /// Errors: `NotAWim` (magic), `Truncated` (fewer than 208 bytes), `BadHeader`
    /// (header size, compression flags, part numbers, boot index), `BadVersion`,
    /// `BadChunkSize`; `LimitExceeded` when the image count is above `limits`.
    pub fn parse(data: &[u8], limits: &Limits) -> crate::Result<Self> {
        let magic = data.get(..8);
        let pipable = match magic {
            Some(m) if m == WIM_MAGIC => false,
            Some(m) if m == PWM_MAGIC => true,
            Some(_) => {
                return Err(FormatError::new(
                    FormatErrorKind::NotAWim,
                    "bad magic (expected \"MSWIM\")",
                )
                .at(0)
                .into());
            }
            None => {
                return Err(FormatError::new(
                    FormatErrorKind::NotAWim,
                    format!("file is only {} bytes long", data.len()),
                )
                .at(0)
                .into());
            }
        };
        let raw = RawHeader::parse(data).map_err(|e| {
            FormatError::new(
                FormatErrorKind::Truncated,
                format!(
                    "the file is {} bytes long, shorter than the {HEADER_SIZE}-byte header",
                    data.len()
                ),
            )
            .at(e.offset().unwrap_or(0))
        })?;
        if raw.header_size as usize != HEADER_SIZE {
            return Err(bad(
                0x08,
                format!("header size is {}, expected {HEADER_SIZE}", raw.header_size),
            ));
        }
        let version = WimVersion(raw.version);
        if version != WimVersion::DEFAULT && version != WimVersion::SOLID {
            return Err(FormatError::new(
                FormatErrorKind::BadVersion,
                format!("version 0x{:x} is not 0x10d00 or 0xe00", raw.version),
            )
            .at(0x0C)
            .into());
        }
        let flags = HeaderFlags::from_bits_retain(raw.flags);
        let compression = if flags.contains(HeaderFlags::COMPRESSION) {
            let kinds = [
                (HeaderFlags::COMPRESS_XPRESS, Compression::Xpress),
                (HeaderFlags::COMPRESS_LZX, Compression::Lzx),
                (HeaderFlags::COMPRESS_LZMS, Compression::Lzms),
                (HeaderFlags::COMPRESS_XPRESS2, Compression::Xpress),
            ];
            let mut found = kinds
                .iter()
                .filter(|(f, _)| flags.contains(*f))
                .map(|(_, c)| *c);
            match (found.next(), found.next()) {
                (Some(c), None) => c,
                (None, _) => {
                    return Err(bad(
                        0x10,
                        format!("flags 0x{:x}: COMPRESSION set without a codec", raw.flags),
                    ));
                }
                (Some(_), Some(_)) => {
                    return Err(bad(
                        0x10,
                        format!("flags 0x{:x}: more than one codec", raw.flags),
                    ));
                }
            }
        } else {
            Compression::None
        };
        if compression == Compression::Lzms && !version.is_solid() {
            return Err(bad(
                0x10,
                "LZMS compression requires version 0xe00".to_string(),
            ));
        }
        let chunk_size = match compression.kind() {
            None => raw.chunk_size,
            Some(kind) => {
                let (lo, hi) = kind.chunk_size_range();
                let cs = raw.chunk_size as u64;
                if !cs.is_power_of_two()
                    || cs < lo as u64
                    || cs > hi as u64
                    || cs > limits.max_chunk_size
                {
                    return Err(FormatError::new(
                        FormatErrorKind::BadChunkSize,
                        format!(
                            "chunk size {cs} is not a power of two in {lo}..={hi} for {}",
                            kind.name()
                        ),
                    )
                    .at(0x14)
                    .into());
                }
                raw.chunk_size
            }
        };
        if raw.total_parts == 0 || raw.part_number == 0 || raw.part_number > raw.total_parts {
            return Err(bad(
                0x28,
                format!(
                    "part number {} of {} is invalid",
                    raw.part_number, raw.total_parts
                ),
            ));
        }
        Limits::check(
            "image count",
            raw.image_count as u64,
            limits.max_images as u64,
        )?;
        if raw.boot_index > raw.image_count {
            return Err(bad(
                0x78,
                format!(
                    "boot index {} is above the image count {}",
                    raw.boot_index, raw.image_count
                ),
            ));
        }
        Ok(WimHeader {
            pipable,
            version,
            flags,
            compression,
            chunk_size,
            guid: Guid(raw.guid),
            part_number: raw.part_number,
            total_parts: raw.total_parts,
            image_count: raw.image_count,
            blob_table: ResourceHeader::from_raw(raw.blob_table),
            xml: ResourceHeader::from_raw(raw.xml),
            boot_metadata: ResourceHeader::from_raw(raw.boot_metadata),
            boot_index: raw.boot_index,
            integrity: ResourceHeader::from_raw(raw.integrity),
            raw,
        })
    }

    /// True if this file is one part of a split set of several.
    pub fn is_split(&self) -> bool {
        self.total_parts > 1
    }
}

fn bad(offset: u64, detail: String) -> crate::Error {
    FormatError::new(FormatErrorKind::BadHeader, detail)
        .at(offset)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn good() -> RawHeader {
        RawHeader {
            magic: WIM_MAGIC,
            header_size: 208,
            version: 0x10D00,
            flags: 0x80,
            part_number: 1,
            total_parts: 1,
            image_count: 1,
            ..Default::default()
        }
    }

    fn kind_at(raw: RawHeader) -> (FormatErrorKind, Option<u64>) {
        match WimHeader::parse(&raw.to_bytes(), &Limits::default()) {
            Err(crate::Error::Format(e)) => (e.kind(), e.offset()),
            other => panic!("expected format error, got {other:?}"),
        }
    }

    #[test]
    fn parses_good_header() {
        let h = WimHeader::parse(&good().to_bytes(), &Limits::default()).unwrap();
        assert_eq!(h.compression, Compression::None);
        assert_eq!(h.image_count, 1);
        assert!(!h.pipable);
    }

    #[test]
    fn rejects_bad_magic_and_short() {
        let mut r = good();
        r.magic = *b"MSWIN\0\0\0";
        assert_eq!(kind_at(r), (FormatErrorKind::NotAWim, Some(0)));
        let e = WimHeader::parse(b"MSW", &Limits::default()).unwrap_err();
        assert_eq!(e.format_kind(), Some(FormatErrorKind::NotAWim));
        let e = WimHeader::parse(b"MSWIM\0\0\0", &Limits::default()).unwrap_err();
        assert_eq!(e.format_kind(), Some(FormatErrorKind::Truncated));
    }

    #[test]
    fn rejects_bad_fields() {
        let mut r = good();
        r.header_size = 200;
        assert_eq!(kind_at(r), (FormatErrorKind::BadHeader, Some(0x08)));
        let mut r = good();
        r.version = 0x10C00;
        assert_eq!(kind_at(r), (FormatErrorKind::BadVersion, Some(0x0C)));
        let mut r = good();
        r.flags = 0x2;
        assert_eq!(kind_at(r), (FormatErrorKind::BadHeader, Some(0x10)));
        r.flags = 0x2 | 0x20000 | 0x40000;
        assert_eq!(kind_at(r), (FormatErrorKind::BadHeader, Some(0x10)));
        r.flags = 0x2 | 0x80000;
        r.chunk_size = 1 << 17;
        assert_eq!(kind_at(r), (FormatErrorKind::BadHeader, Some(0x10)));
        let mut r = good();
        r.flags = 0x2 | 0x40000;
        r.chunk_size = 3000;
        assert_eq!(kind_at(r), (FormatErrorKind::BadChunkSize, Some(0x14)));
        let mut r = good();
        r.part_number = 3;
        r.total_parts = 2;
        assert_eq!(kind_at(r), (FormatErrorKind::BadHeader, Some(0x28)));
        let mut r = good();
        r.boot_index = 2;
        assert_eq!(kind_at(r), (FormatErrorKind::BadHeader, Some(0x78)));
        let mut r = good();
        r.image_count = 70000;
        let e = WimHeader::parse(&r.to_bytes(), &Limits::default()).unwrap_err();
        assert!(matches!(e, crate::Error::LimitExceeded { .. }));
    }
}
