//! One directory entry ("dentry") of the metadata resource.
//!
//! ```text
//! +0x00 u64  length (excluding extra stream entries); 0 = end-of-directory marker
//! +0x08 u32  FILE_ATTRIBUTE_* flags
//! +0x0C u32  security id (0-based, 0xFFFFFFFF = none)
//! +0x10 u64  subdir offset (start of the child list; 0 for files)
//! +0x18 u64  reserved ×2 (kept)
//! +0x28 u64  creation time, +0x30 last access time, +0x38 last write time (FILETIME)
//! +0x40 [20] main hash (see `streams.rs` for its meaning)
//! +0x54 u32  unknown (kept)
//! +0x58 u64  union: reparse tag u32 + reserved u16 + rp flags u16 (reparse points),
//!            else hard-link group id (0 = not linked)
//! +0x60 u16  number of extra stream entries
//! +0x62 u16  short name length in bytes
//! +0x64 u16  long name length in bytes
//! +0x66 …    long name + NUL, short name + NUL, pad to 8, tagged items, padding
//! ```
//!
//! Extra stream entries follow at the 8-aligned end of the dentry; the next sibling
//! starts at the 8-aligned end of the last stream entry. A length field of 8 or less is an
//! end-of-directory marker (writers store 0; the marker occupies 8 bytes).
//!
//! Tagged items (`{u32 tag, u32 length, data, pad to 8}`) live between the names and the
//! end of the dentry: `0x1` NTFS object id, `0x2` extended attributes, `0x337DD873`
//! wimlib UNIX data (uid, gid, mode, rdev), `0x337DD874` old-format Linux xattrs. They are
//! parsed leniently, as wimlib does: a malformed list ends the parse and the raw bytes are
//! kept all the same.

use super::name::WimName;
use super::streams::{self, NamedStream, StreamEntry, align8};
use super::time::FileTime;
use crate::bytes::Cursor;
use crate::digest::Sha1Digest;
use crate::error::{FormatError, FormatErrorKind, Result};

/// Size of the fixed part of a dentry.
pub const DENTRY_FIXED_SIZE: usize = 0x66;

/// Tag of the NTFS object id item.
pub const TAG_OBJECT_ID: u32 = 0x1;
/// Tag of the extended attributes item.
pub const TAG_XATTRS: u32 = 0x2;
/// Tag of wimlib's UNIX data item (uid, gid, mode, rdev).
pub const TAG_WIMLIB_UNIX_DATA: u32 = 0x337D_D873;
/// Tag of wimlib's old-format Linux xattr item.
pub const TAG_WIMLIB_LINUX_XATTRS_OLD: u32 = 0x337D_D874;

/// Reparse tag of a Windows symbolic link.
pub const IO_REPARSE_TAG_SYMLINK: u32 = 0xA000_000C;
/// Reparse tag of a junction (mount point).
pub const IO_REPARSE_TAG_MOUNT_POINT: u32 = 0xA000_0003;

/// The per-dentry reparse flag "not fixed" (absolute target not rewritten by RP_FIX).
pub const RP_FLAG_NOT_FIXED: u16 = 0x1;

/// Security id meaning "no descriptor".
pub const NO_SECURITY_ID: u32 = 0xFFFF_FFFF;

bitflags::bitflags! {
    /// Windows `FILE_ATTRIBUTE_*` flags. Unknown bits are kept (7-Zip's Unix builds
    /// store POSIX mode bits in the high 16 bits).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct FileAttributes: u32 {
        /// Read-only.
        const READONLY = 0x1;
        /// Hidden.
        const HIDDEN = 0x2;
        /// System.
        const SYSTEM = 0x4;
        /// Directory.
        const DIRECTORY = 0x10;
        /// Archive.
        const ARCHIVE = 0x20;
        /// Device.
        const DEVICE = 0x40;
        /// Normal (no other attribute).
        const NORMAL = 0x80;
        /// Temporary.
        const TEMPORARY = 0x100;
        /// Sparse file.
        const SPARSE_FILE = 0x200;
        /// Reparse point.
        const REPARSE_POINT = 0x400;
        /// Compressed.
        const COMPRESSED = 0x800;
        /// Offline.
        const OFFLINE = 0x1000;
        /// Not content indexed.
        const NOT_CONTENT_INDEXED = 0x2000;
        /// Encrypted (EFS).
        const ENCRYPTED = 0x4000;
        /// Integrity stream (ReFS).
        const INTEGRITY_STREAM = 0x8000;
        /// Virtual.
        const VIRTUAL = 0x10000;
        /// No scrub data.
        const NO_SCRUB_DATA = 0x20000;
        /// Recall on open.
        const RECALL_ON_OPEN = 0x40000;
        /// Pinned.
        const PINNED = 0x80000;
        /// Unpinned.
        const UNPINNED = 0x100000;
        /// Recall on data access.
        const RECALL_ON_DATA_ACCESS = 0x400000;
        // Keep unknown bits.
        const _ = !0;
    }
}

/// One tagged item of a dentry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedItem {
    /// The tag (see the `TAG_*` constants).
    pub tag: u32,
    /// The item's data.
    pub data: Vec<u8>,
}

/// wimlib's UNIX data (tag `0x337DD873`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnixData {
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// `st_mode` (type and permission bits).
    pub mode: u32,
    /// Device number for device files.
    pub rdev: u32,
}

/// Reparse-point fields of the dentry's union.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReparseInfo {
    /// The reparse tag.
    pub tag: u32,
    /// The reserved u16 after the tag.
    pub reserved: u16,
    /// The rp flags (see [`RP_FLAG_NOT_FIXED`]).
    pub flags: u16,
}

/// A parsed dentry: every field of the on-disk record, plus the meaning of its streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dentry {
    pub(crate) offset: u64,
    pub(crate) length: u64,
    pub(crate) attributes: FileAttributes,
    pub(crate) security_id: u32,
    pub(crate) subdir_offset: u64,
    pub(crate) reserved: [u64; 2],
    pub(crate) creation_time: FileTime,
    pub(crate) last_access_time: FileTime,
    pub(crate) last_write_time: FileTime,
    pub(crate) main_hash: Sha1Digest,
    pub(crate) unknown_0x54: u32,
    pub(crate) union_raw: u64,
    pub(crate) name: WimName,
    pub(crate) short_name: WimName,
    pub(crate) extra: Vec<u8>,
    pub(crate) tagged_items: Vec<TaggedItem>,
    pub(crate) stream_entries: Vec<StreamEntry>,
    pub(crate) unnamed_hash: Sha1Digest,
    pub(crate) reparse_hash: Sha1Digest,
}

/// Result of reading at a dentry position.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// An end-of-directory marker; the next position after it.
    End,
    /// A dentry and the 8-aligned position after it (and its stream entries).
    Entry(Box<Dentry>, usize),
}

fn bad(kind: FormatErrorKind, detail: String, at: usize) -> crate::Error {
    FormatError::new(kind, detail).at(at as u64).into()
}

fn parse_tagged(extra: &[u8]) -> Vec<TaggedItem> {
    let mut items = Vec::new();
    let mut pos = 0usize;
    while let (Some(tag), Some(len)) = (
        crate::bytes::le_u32(extra, pos),
        crate::bytes::le_u32(extra, pos.saturating_add(4)),
    ) {
        let start = pos + 8;
        let Some(end) = usize::try_from(len).ok().and_then(|l| start.checked_add(l)) else {
            break;
        };
        let Some(data) = extra.get(start..end) else {
            break;
        };
        items.push(TaggedItem {
            tag,
            data: data.to_vec(),
        });
        match align8(end) {
            Some(p) => pos = p,
            None => break,
        }
    }
    items
}

impl Dentry {
    /// Parses the dentry at `pos` of the metadata resource `data`, with its stream entries.
    pub(crate) fn parse(data: &[u8], pos: usize) -> Result<Parsed> {
        let length = crate::bytes::le_u64(data, pos).ok_or_else(|| {
            bad(
                FormatErrorKind::Truncated,
                format!(
                    "dentry at 0x{pos:x} runs past the end of the {}-byte metadata resource",
                    data.len()
                ),
                pos,
            )
        })?;
        if length <= 8 {
            return Ok(Parsed::End);
        }
        if length < DENTRY_FIXED_SIZE as u64 {
            return Err(bad(
                FormatErrorKind::BadMetadata,
                format!("dentry length {length} is below the fixed size of 102 bytes"),
                pos,
            ));
        }
        let end = usize::try_from(length)
            .ok()
            .and_then(|l| pos.checked_add(l))
            .filter(|&e| e <= data.len())
            .ok_or_else(|| {
                bad(
                    FormatErrorKind::Truncated,
                    format!(
                        "dentry of {length} bytes runs past the end of the {}-byte metadata resource",
                        data.len()
                    ),
                    pos,
                )
            })?;
        // pos + length <= data.len() was just proven.
        let rec = &data[pos..end];
        let mut c = Cursor::new(rec, pos as u64, FormatErrorKind::BadMetadata);
        c.skip(8)?;
        let attributes = FileAttributes::from_bits_retain(c.u32()?);
        let security_id = c.u32()?;
        let subdir_offset = c.u64()?;
        let reserved = [c.u64()?, c.u64()?];
        let creation_time = FileTime(c.u64()?);
        let last_access_time = FileTime(c.u64()?);
        let last_write_time = FileTime(c.u64()?);
        let main_hash = Sha1Digest(c.array()?);
        let unknown_0x54 = c.u32()?;
        let union_raw = c.u64()?;
        let num_streams = c.u16()?;
        let short_bytes = usize::from(c.u16()?);
        let long_bytes = usize::from(c.u16()?);
        if long_bytes % 2 != 0 || short_bytes % 2 != 0 {
            return Err(bad(
                FormatErrorKind::BadMetadata,
                format!("dentry name lengths {long_bytes}/{short_bytes} are not even"),
                pos + 0x62,
            ));
        }
        // Names: long + NUL, short + NUL (a NUL only follows a non-empty name).
        let long_end = DENTRY_FIXED_SIZE + long_bytes;
        let long_after = if long_bytes > 0 {
            long_end + 2
        } else {
            long_end
        };
        let short_end = long_after + short_bytes;
        let short_after = if short_bytes > 0 {
            short_end + 2
        } else {
            short_end
        };
        if short_after > rec.len() {
            return Err(bad(
                FormatErrorKind::BadMetadata,
                format!(
                    "dentry of {length} bytes is too short for its {long_bytes}-byte name and {short_bytes}-byte short name"
                ),
                pos,
            ));
        }
        let name = WimName::from_utf16le(&rec[DENTRY_FIXED_SIZE..long_end]).unwrap_or_default();
        let short_name = WimName::from_utf16le(&rec[long_after..short_end]).unwrap_or_default();
        let extra_start = align8(short_after).unwrap_or(short_after).min(rec.len());
        let extra = rec[extra_start..].to_vec();
        let tagged_items = parse_tagged(&extra);

        let mut next = align8(end).ok_or_else(|| {
            bad(
                FormatErrorKind::BadMetadata,
                "dentry end overflows".into(),
                pos,
            )
        })?;
        let mut stream_entries = Vec::new();
        for _ in 0..num_streams {
            let (s, n) = StreamEntry::parse(data, next)?;
            stream_entries.push(s);
            next = n;
        }
        let is_reparse = attributes.contains(FileAttributes::REPARSE_POINT);
        let r = streams::resolve(is_reparse, main_hash, &stream_entries);
        Ok(Parsed::Entry(
            Box::new(Dentry {
                offset: pos as u64,
                length,
                attributes,
                security_id,
                subdir_offset,
                reserved,
                creation_time,
                last_access_time,
                last_write_time,
                main_hash,
                unknown_0x54,
                union_raw,
                name,
                short_name,
                extra,
                tagged_items,
                stream_entries,
                unnamed_hash: r.unnamed,
                reparse_hash: r.reparse,
            }),
            next,
        ))
    }

    /// Offset of this dentry in the metadata resource.
    pub fn offset(&self) -> u64 {
        self.offset
    }
    /// The stored length field (excluding stream entries).
    pub fn length(&self) -> u64 {
        self.length
    }
    /// The long name (empty for the root).
    pub fn name(&self) -> &WimName {
        &self.name
    }
    /// The DOS 8.3 short name (often empty).
    pub fn short_name(&self) -> &WimName {
        &self.short_name
    }
    /// The `FILE_ATTRIBUTE_*` flags.
    pub fn attributes(&self) -> FileAttributes {
        self.attributes
    }
    /// The security id as stored (`0xFFFFFFFF` = none).
    pub fn raw_security_id(&self) -> u32 {
        self.security_id
    }
    /// The security descriptor index, or `None` for "no descriptor". An index past the
    /// image's descriptors is reported as `None` by [`super::ImageMetadata::security_id_of`]
    /// (wimlib resets such ids with a warning).
    pub fn security_id(&self) -> Option<u32> {
        (self.security_id != NO_SECURITY_ID).then_some(self.security_id)
    }
    /// The stored subdirectory offset (0 for files).
    pub fn subdir_offset(&self) -> u64 {
        self.subdir_offset
    }
    /// The two reserved u64 fields at +0x18.
    pub fn reserved(&self) -> [u64; 2] {
        self.reserved
    }
    /// The u32 at +0x54.
    pub fn unknown_0x54(&self) -> u32 {
        self.unknown_0x54
    }
    /// Creation time.
    pub fn creation_time(&self) -> FileTime {
        self.creation_time
    }
    /// Last access time.
    pub fn last_access_time(&self) -> FileTime {
        self.last_access_time
    }
    /// Last write time.
    pub fn last_write_time(&self) -> FileTime {
        self.last_write_time
    }
    /// The main hash field as stored.
    pub fn main_hash(&self) -> Sha1Digest {
        self.main_hash
    }
    /// The unnamed data stream's SHA-1, or `None` when empty or absent. For an encrypted
    /// file this is the EFSRPC raw stream.
    pub fn unnamed_stream_hash(&self) -> Option<Sha1Digest> {
        (!self.unnamed_hash.is_zero()).then_some(self.unnamed_hash)
    }
    /// The reparse stream's SHA-1 (reparse points only; `None` when empty or absent).
    pub fn reparse_hash(&self) -> Option<Sha1Digest> {
        (!self.reparse_hash.is_zero()).then_some(self.reparse_hash)
    }
    /// The named (alternate) data streams, in stored order.
    pub fn named_streams(&self) -> impl Iterator<Item = NamedStream> + '_ {
        self.stream_entries
            .iter()
            .filter(|e| !e.name.is_empty())
            .map(|e| NamedStream {
                name: e.name.clone(),
                hash: (!e.hash.is_zero()).then_some(e.hash),
            })
    }
    /// The extra stream entries exactly as stored.
    pub fn stream_entries(&self) -> &[StreamEntry] {
        &self.stream_entries
    }
    /// The raw union at +0x58.
    pub fn union_raw(&self) -> u64 {
        self.union_raw
    }
    /// True when the REPARSE_POINT attribute is set.
    pub fn is_reparse_point(&self) -> bool {
        self.attributes.contains(FileAttributes::REPARSE_POINT)
    }
    /// The reparse fields (reparse points only).
    pub fn reparse_info(&self) -> Option<ReparseInfo> {
        self.is_reparse_point().then_some(ReparseInfo {
            tag: self.union_raw as u32,
            reserved: (self.union_raw >> 32) as u16,
            flags: (self.union_raw >> 48) as u16,
        })
    }
    /// The reparse tag (reparse points only).
    pub fn reparse_tag(&self) -> Option<u32> {
        self.reparse_info().map(|r| r.tag)
    }
    /// The hard-link group id; `None` for reparse points (the field holds the tag) and
    /// for 0 (not linked).
    pub fn hard_link_group(&self) -> Option<u64> {
        (!self.is_reparse_point() && self.union_raw != 0).then_some(self.union_raw)
    }
    /// True when the DIRECTORY attribute is set.
    pub fn is_directory(&self) -> bool {
        self.attributes.contains(FileAttributes::DIRECTORY)
    }
    /// True for a symbolic link or junction (what wimlib presents as a symlink).
    pub fn is_symlink(&self) -> bool {
        matches!(
            self.reparse_tag(),
            Some(IO_REPARSE_TAG_SYMLINK | IO_REPARSE_TAG_MOUNT_POINT)
        )
    }
    /// True when the ENCRYPTED attribute is set.
    pub fn is_encrypted(&self) -> bool {
        self.attributes.contains(FileAttributes::ENCRYPTED)
    }
    /// The bytes after the names, as stored (tagged items and padding).
    pub fn extra_bytes(&self) -> &[u8] {
        &self.extra
    }
    /// The tagged items, in stored order.
    pub fn tagged_items(&self) -> &[TaggedItem] {
        &self.tagged_items
    }
    /// The first tagged item with `tag`.
    pub fn tagged_item(&self, tag: u32) -> Option<&[u8]> {
        self.tagged_items
            .iter()
            .find(|t| t.tag == tag)
            .map(|t| t.data.as_slice())
    }
    /// wimlib UNIX data (uid/gid/mode/rdev), if present and well-formed.
    pub fn unix_data(&self) -> Option<UnixData> {
        let d = self.tagged_item(TAG_WIMLIB_UNIX_DATA)?;
        Some(UnixData {
            uid: crate::bytes::le_u32(d, 0)?,
            gid: crate::bytes::le_u32(d, 4)?,
            mode: crate::bytes::le_u32(d, 8)?,
            rdev: crate::bytes::le_u32(d, 12)?,
        })
    }
    /// The NTFS object id item, if present.
    pub fn object_id(&self) -> Option<&[u8]> {
        self.tagged_item(TAG_OBJECT_ID)
    }
    /// The extended attributes item (raw), if present.
    pub fn xattrs(&self) -> Option<&[u8]> {
        self.tagged_item(TAG_XATTRS)
    }
    /// The old-format Linux xattrs item (raw), if present.
    pub fn linux_xattrs_old(&self) -> Option<&[u8]> {
        self.tagged_item(TAG_WIMLIB_LINUX_XATTRS_OLD)
    }
}

impl Dentry {
    /// An empty root directory for images that store no root dentry.
    pub(crate) fn synthetic_root(offset: u64) -> Dentry {
        Dentry {
            offset,
            length: 0,
            attributes: FileAttributes::DIRECTORY,
            security_id: NO_SECURITY_ID,
            subdir_offset: 0,
            reserved: [0; 2],
            creation_time: FileTime(0),
            last_access_time: FileTime(0),
            last_write_time: FileTime(0),
            main_hash: Sha1Digest::ZERO,
            unknown_0x54: 0,
            union_raw: 0,
            name: WimName::default(),
            short_name: WimName::default(),
            extra: Vec::new(),
            tagged_items: Vec::new(),
            stream_entries: Vec::new(),
            unnamed_hash: Sha1Digest::ZERO,
            reparse_hash: Sha1Digest::ZERO,
        }
    }
}
