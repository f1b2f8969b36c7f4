//! A synthetic WIM writer, independent of `wim-format`, used as a test oracle.
//!
//! Describe images as trees of [`Node`]s, then [`WimBuilder::build`] returns the bytes plus a
//! [`Layout`] telling where every header field, blob, metadata resource, dentry and the XML
//! landed. File data can be stored uncompressed (default), as "raw-chunked" compressed
//! resources (COMPRESSED flag, a real chunk table, every chunk stored raw — legal, no codec
//! needed), or in one solid resource (version 0xE00, solid format 0 = uncompressed chunks).
//!
//! Conventions follow `shared/docs/wim-format.md`; where wimlib 1.13.5's output was
//! inspected, the byte layout matches it (UNIX data tagged item, symlink reparse buffers,
//! stream entries of reparse points).

use sha1::{Digest, Sha1};
use std::collections::HashMap;
use std::ops::Range;

/// Header flag: compressed resources present (with exactly one type flag).
pub const HDR_FLAG_COMPRESSION: u32 = 0x2;
/// Header flag: split WIM.
pub const HDR_FLAG_SPANNED: u32 = 0x8;
/// Header flag: reparse-point fixups done.
pub const HDR_FLAG_RP_FIX: u32 = 0x80;
/// Header compression type XPRESS.
pub const HDR_FLAG_XPRESS: u32 = 0x20000;
/// Header compression type LZX.
pub const HDR_FLAG_LZX: u32 = 0x40000;
/// Header compression type LZMS.
pub const HDR_FLAG_LZMS: u32 = 0x80000;
/// Resource flag: metadata.
pub const RES_METADATA: u8 = 0x02;
/// Resource flag: compressed (non-solid).
pub const RES_COMPRESSED: u8 = 0x04;
/// Resource flag: solid.
pub const RES_SOLID: u8 = 0x10;
/// Default WIM version.
pub const VERSION_DEFAULT: u32 = 0x10D00;
/// Solid-capable ("ESD") version.
pub const VERSION_SOLID: u32 = 0xE00;
/// Reparse tag of a symbolic link.
pub const IO_REPARSE_TAG_SYMLINK: u32 = 0xA000_000C;
/// Reparse tag of a junction (mount point).
pub const IO_REPARSE_TAG_MOUNT_POINT: u32 = 0xA000_0003;
/// wimlib UNIX data tagged-item tag.
pub const TAG_WIMLIB_UNIX_DATA: u32 = 0x337D_D873;
/// FILE_ATTRIBUTE_DIRECTORY.
pub const ATTR_DIRECTORY: u32 = 0x10;
/// FILE_ATTRIBUTE_NORMAL.
pub const ATTR_NORMAL: u32 = 0x80;
/// FILE_ATTRIBUTE_REPARSE_POINT.
pub const ATTR_REPARSE_POINT: u32 = 0x400;
/// Fixed timestamp used by default (2020-01-01T00:00:00Z as a FILETIME).
pub const DEFAULT_FILETIME: u64 = 132_223_104_000_000_000;
/// Size of the fixed part of a dentry.
pub const DENTRY_FIXED_LEN: usize = 102;
/// Size of the WIM header.
pub const HEADER_LEN: usize = 208;
/// Size of one blob-table entry.
pub const BLOB_ENTRY_LEN: usize = 50;

/// UTF-16 code units of a `&str`.
pub fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// SHA-1 of `data`.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    Sha1::digest(data).into()
}

/// wimlib's UNIX data tagged item (tag 0x337DD873): four u32 in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnixData {
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// `st_mode` including the file-type bits (e.g. 0o100644).
    pub mode: u32,
    /// Device number for device nodes, else 0.
    pub rdev: u32,
}

/// What a [`Node`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// Directory with children (sorted by the builder in NTFS-like collation order).
    Dir(Vec<Node>),
    /// Regular file with its unnamed data stream (empty = empty file, no blob).
    File(Vec<u8>),
    /// Symbolic link (tag 0xA000000C). `target` uses `/` or `\`; relative when it does not
    /// start with a separator or a drive letter. `directory` sets FILE_ATTRIBUTE_DIRECTORY.
    Symlink {
        /// Link target.
        target: String,
        /// Link to a directory.
        directory: bool,
    },
    /// Junction (tag 0xA0000003) to an absolute target such as `C:\dir` or `/dir`.
    Junction {
        /// Junction target.
        target: String,
    },
    /// Any other reparse point: tag and reparse data (the buffer minus its 8-byte header).
    Reparse {
        /// Reparse tag.
        tag: u32,
        /// Reparse data stored as the reparse stream.
        data: Vec<u8>,
        /// Sets FILE_ATTRIBUTE_DIRECTORY.
        directory: bool,
    },
}

/// One directory entry of an image tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Long name as UTF-16 code units (may be invalid UTF-16 on purpose).
    pub name: Vec<u16>,
    /// Short 8.3 name (empty = none).
    pub short_name: Vec<u16>,
    /// Kind and payload.
    pub kind: NodeKind,
    /// Explicit FILE_ATTRIBUTE_* value; `None` derives it from the kind.
    pub attributes: Option<u32>,
    /// Security id (index into the image's descriptors, -1 = none).
    pub security_id: i32,
    /// Creation time (FILETIME).
    pub creation_time: u64,
    /// Last access time (FILETIME).
    pub last_access_time: u64,
    /// Last write time (FILETIME).
    pub last_write_time: u64,
    /// Named data streams (name, content).
    pub named_streams: Vec<(Vec<u16>, Vec<u8>)>,
    /// wimlib UNIX data tagged item.
    pub unix: Option<UnixData>,
    /// Hard-link group id (0 = not hard-linked). All dentries sharing one id must have the
    /// same content; the builder writes the id as is.
    pub link_group: u64,
    /// Reparse-point flags written in the dentry union (bit 0x1 = NOT_FIXED).
    pub rp_flags: u16,
}

impl Node {
    fn new(name: &str, kind: NodeKind) -> Node {
        Node {
            name: utf16(name),
            short_name: Vec::new(),
            kind,
            attributes: None,
            security_id: -1,
            creation_time: DEFAULT_FILETIME,
            last_access_time: DEFAULT_FILETIME,
            last_write_time: DEFAULT_FILETIME,
            named_streams: Vec::new(),
            unix: None,
            link_group: 0,
            rp_flags: 1,
        }
    }

    /// A directory.
    pub fn dir(name: &str, children: Vec<Node>) -> Node {
        Node::new(name, NodeKind::Dir(children))
    }

    /// A regular file.
    pub fn file(name: &str, data: impl Into<Vec<u8>>) -> Node {
        Node::new(name, NodeKind::File(data.into()))
    }

    /// An empty regular file.
    pub fn empty(name: &str) -> Node {
        Node::file(name, Vec::new())
    }

    /// A symbolic link to a file (or to nothing).
    pub fn symlink(name: &str, target: &str) -> Node {
        Node::new(
            name,
            NodeKind::Symlink {
                target: target.to_string(),
                directory: false,
            },
        )
    }

    /// A symbolic link to a directory.
    pub fn dir_symlink(name: &str, target: &str) -> Node {
        Node::new(
            name,
            NodeKind::Symlink {
                target: target.to_string(),
                directory: true,
            },
        )
    }

    /// A junction.
    pub fn junction(name: &str, target: &str) -> Node {
        Node::new(
            name,
            NodeKind::Junction {
                target: target.to_string(),
            },
        )
    }

    /// A file that is one name of hard-link group `group` (non-zero).
    pub fn hard_link(name: &str, group: u64, data: impl Into<Vec<u8>>) -> Node {
        Node::file(name, data).with_link_group(group)
    }

    /// Replaces the name with raw UTF-16 code units.
    pub fn with_raw_name(mut self, name: Vec<u16>) -> Node {
        self.name = name;
        self
    }

    /// Sets the short (8.3) name.
    pub fn with_short_name(mut self, short: &str) -> Node {
        self.short_name = utf16(short);
        self
    }

    /// Sets creation, last access and last write times.
    pub fn with_times(mut self, creation: u64, access: u64, write: u64) -> Node {
        self.creation_time = creation;
        self.last_access_time = access;
        self.last_write_time = write;
        self
    }

    /// Sets explicit attributes.
    pub fn with_attributes(mut self, attributes: u32) -> Node {
        self.attributes = Some(attributes);
        self
    }

    /// Sets the security id.
    pub fn with_security_id(mut self, id: i32) -> Node {
        self.security_id = id;
        self
    }

    /// Adds a named data stream.
    pub fn with_stream(mut self, name: &str, data: impl Into<Vec<u8>>) -> Node {
        self.named_streams.push((utf16(name), data.into()));
        self
    }

    /// Sets the wimlib UNIX data.
    pub fn with_unix(mut self, uid: u32, gid: u32, mode: u32, rdev: u32) -> Node {
        self.unix = Some(UnixData {
            uid,
            gid,
            mode,
            rdev,
        });
        self
    }

    /// Sets the hard-link group id.
    pub fn with_link_group(mut self, group: u64) -> Node {
        self.link_group = group;
        self
    }

    /// Name as a lossy `String` (for paths in layouts and messages).
    pub fn name_lossy(&self) -> String {
        String::from_utf16_lossy(&self.name)
    }

    /// Children when this is a directory.
    pub fn children(&self) -> Option<&Vec<Node>> {
        match &self.kind {
            NodeKind::Dir(c) => Some(c),
            _ => None,
        }
    }

    /// Mutable children when this is a directory.
    pub fn children_mut(&mut self) -> Option<&mut Vec<Node>> {
        match &mut self.kind {
            NodeKind::Dir(c) => Some(c),
            _ => None,
        }
    }

    /// True when the entry carries FILE_ATTRIBUTE_DIRECTORY.
    pub fn is_directory(&self) -> bool {
        self.effective_attributes() & ATTR_DIRECTORY != 0
    }

    /// Attributes written to the dentry.
    pub fn effective_attributes(&self) -> u32 {
        if let Some(a) = self.attributes {
            return a;
        }
        match &self.kind {
            NodeKind::Dir(_) => ATTR_DIRECTORY,
            NodeKind::File(_) => ATTR_NORMAL,
            NodeKind::Symlink { directory, .. } | NodeKind::Reparse { directory, .. } => {
                ATTR_REPARSE_POINT | if *directory { ATTR_DIRECTORY } else { 0 }
            }
            NodeKind::Junction { .. } => ATTR_REPARSE_POINT | ATTR_DIRECTORY,
        }
    }

    /// Reparse tag and reparse data (buffer without the 8-byte header), if a reparse point.
    pub fn reparse(&self) -> Option<(u32, Vec<u8>)> {
        match &self.kind {
            NodeKind::Symlink { target, .. } => {
                Some((IO_REPARSE_TAG_SYMLINK, symlink_reparse_data(target)))
            }
            NodeKind::Junction { target } => {
                Some((IO_REPARSE_TAG_MOUNT_POINT, junction_reparse_data(target)))
            }
            NodeKind::Reparse { tag, data, .. } => Some((*tag, data.clone())),
            _ => None,
        }
    }

    /// Streams of this entry in on-disk order: (name, content) where the reparse stream and
    /// the unnamed data stream have empty names. Returns (streams, reparse_present).
    fn streams(&self) -> Vec<(Vec<u16>, Vec<u8>)> {
        let mut v = Vec::new();
        if let Some((_, data)) = self.reparse() {
            v.push((Vec::new(), data));
        }
        if !self.is_directory() {
            let data = match &self.kind {
                NodeKind::File(d) => d.clone(),
                _ => Vec::new(),
            };
            v.push((Vec::new(), data));
        }
        for (n, d) in &self.named_streams {
            v.push((n.clone(), d.clone()));
        }
        v
    }
}

fn is_absolute_target(t: &str) -> bool {
    let b = t.as_bytes();
    t.starts_with('/')
        || t.starts_with('\\')
        || (b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic())
}

/// Windows form of a target: `/` → `\`, and an absolute POSIX path gets a `C:` drive.
fn windows_target(t: &str) -> (String, bool) {
    let abs = is_absolute_target(t);
    let mut w = t.replace('/', "\\");
    if abs && w.starts_with('\\') {
        w = format!("C:{w}");
    }
    (w, abs)
}

/// Symbolic-link reparse data (without the 8-byte header): substitute name, print name,
/// flags (1 = relative). Absolute targets get `\??\` in the substitute name.
pub fn symlink_reparse_data(target: &str) -> Vec<u8> {
    let (w, abs) = windows_target(target);
    let subst = if abs { format!("\\??\\{w}") } else { w.clone() };
    reparse_names(&subst, &w, Some(if abs { 0 } else { 1 }))
}

/// Junction reparse data (without the 8-byte header).
pub fn junction_reparse_data(target: &str) -> Vec<u8> {
    let (w, _) = windows_target(target);
    let subst = format!("\\??\\{w}");
    reparse_names(&subst, &w, None)
}

fn reparse_names(subst: &str, print: &str, flags: Option<u32>) -> Vec<u8> {
    let s = utf16(subst);
    let p = utf16(print);
    let slen = (s.len() * 2) as u16;
    let plen = (p.len() * 2) as u16;
    let mut v = Vec::new();
    v.extend_from_slice(&0u16.to_le_bytes());
    v.extend_from_slice(&slen.to_le_bytes());
    v.extend_from_slice(&(slen + 2).to_le_bytes());
    v.extend_from_slice(&plen.to_le_bytes());
    if let Some(f) = flags {
        v.extend_from_slice(&f.to_le_bytes());
    }
    for u in s
        .iter()
        .chain([0u16].iter())
        .chain(p.iter())
        .chain([0u16].iter())
    {
        v.extend_from_slice(&u.to_le_bytes());
    }
    v
}

fn upcase(u: u16) -> u16 {
    if (b'a' as u16..=b'z' as u16).contains(&u) {
        return u - 32;
    }
    if u < 0x80 {
        return u;
    }
    match char::from_u32(u as u32) {
        Some(c) => {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(x), None) if (x as u32) <= 0xFFFF => x as u32 as u16,
                _ => u,
            }
        }
        None => u,
    }
}

/// NTFS-like collation: UTF-16 code units compared case-insensitively (simple upcase),
/// ties broken case-sensitively.
pub fn collate(a: &[u16], b: &[u16]) -> std::cmp::Ordering {
    let ia = a.iter().map(|&u| upcase(u));
    let ib = b.iter().map(|&u| upcase(u));
    ia.cmp(ib).then_with(|| a.cmp(b))
}

/// How file (non-metadata) resources are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceLayout {
    /// Plain uncompressed resources (version 0x10D00, no compression flag).
    Uncompressed,
    /// COMPRESSED resources with a real chunk table whose chunks are all stored raw.
    /// The header advertises `compression` (one of the `HDR_FLAG_*` type flags) and
    /// `chunk_size`. Metadata resources are chunked the same way.
    RawChunks {
        /// Chunk size (power of two).
        chunk_size: u32,
        /// Header compression type flag (e.g. [`HDR_FLAG_XPRESS`]).
        compression: u32,
    },
    /// One solid resource (version 0xE00) holding every file blob, chunks stored raw;
    /// metadata stays uncompressed.
    Solid {
        /// Solid chunk size.
        chunk_size: u32,
        /// Solid header format: 0 none, 1 XPRESS, 2 LZX, 3 LZMS. Chunks are always stored
        /// raw (compressed size == uncompressed size). wimlib 1.13.5 refuses format 0
        /// ("compression type unrecognized") but accepts raw chunks under 1/2/3.
        format: u32,
    },
}

/// One image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `<NAME>` (omitted when empty).
    pub name: String,
    /// `<DESCRIPTION>` if any.
    pub description: Option<String>,
    /// Root directory (its name is ignored and written empty).
    pub root: Node,
    /// Security descriptors (raw self-relative bytes), referenced by index.
    pub security_descriptors: Vec<Vec<u8>>,
    /// `<CREATIONTIME>`.
    pub creation_time: u64,
    /// `<LASTMODIFICATIONTIME>`.
    pub modification_time: u64,
    /// Extra raw XML appended inside `<IMAGE>` (e.g. `<FLAGS>Pro</FLAGS>`).
    pub extra_xml: String,
}

impl Image {
    /// An image named `name` whose root holds `children`.
    pub fn new(name: &str, children: Vec<Node>) -> Image {
        Image {
            name: name.to_string(),
            description: None,
            root: Node::dir("", children),
            security_descriptors: Vec::new(),
            creation_time: DEFAULT_FILETIME,
            modification_time: DEFAULT_FILETIME,
            extra_xml: String::new(),
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, d: &str) -> Image {
        self.description = Some(d.to_string());
        self
    }

    /// Adds a security descriptor; dentries refer to it by its index (returned order).
    pub fn with_security_descriptor(mut self, sd: Vec<u8>) -> Image {
        self.security_descriptors.push(sd);
        self
    }

    /// XML statistics of this image.
    pub fn stats(&self) -> ImageStats {
        let mut s = ImageStats::default();
        let mut groups: HashMap<u64, u64> = HashMap::new();
        fn walk(n: &Node, s: &mut ImageStats, groups: &mut HashMap<u64, u64>) {
            // As wimlib counts: a reparse point is never a directory here.
            if n.is_directory() && n.effective_attributes() & ATTR_REPARSE_POINT == 0 {
                s.dir_count += 1;
            } else {
                s.file_count += 1;
            }
            let size: u64 = n.streams().iter().map(|(_, d)| d.len() as u64).sum();
            s.total_bytes += size;
            if n.link_group != 0 && !n.is_directory() {
                let seen = groups.entry(n.link_group).or_insert(0);
                if *seen > 0 {
                    s.hard_link_bytes += size;
                }
                *seen += 1;
            }
            if let Some(c) = n.children() {
                for ch in c {
                    walk(ch, s, groups);
                }
            }
        }
        walk(&self.root, &mut s, &mut groups);
        s
    }
}

/// XML statistics of one image (what wimlib maintains).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageStats {
    /// Directory names (root included; reparse points such as directory symlinks and
    /// junctions count as files, as wimlib counts them).
    pub dir_count: u64,
    /// Non-directory names.
    pub file_count: u64,
    /// Σ stream sizes × nlink.
    pub total_bytes: u64,
    /// Σ stream sizes × (nlink − 1).
    pub hard_link_bytes: u64,
}

/// Where one dentry landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DentryLoc {
    /// Path inside the image (`/` for the root, `/a/b` otherwise; lossy UTF-8).
    pub path: String,
    /// Offset of the dentry inside the uncompressed metadata resource.
    pub offset: u64,
    /// Length field value (fixed part + names + tagged items).
    pub length: u64,
    /// Length including extra stream entries.
    pub total_length: u64,
    /// For directories, offset of the child list inside the metadata resource.
    pub subdir_offset: u64,
    /// Offset of the child list this dentry belongs to (0 for the root).
    pub parent_list: u64,
    /// Is a directory (has a child list).
    pub is_dir: bool,
}

/// Where one image's metadata landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataLoc {
    /// Byte range of the resource in the file (as stored, incl. chunk table).
    pub range: Range<u64>,
    /// Uncompressed size.
    pub uncompressed_size: u64,
    /// File offset of the uncompressed data when the resource is stored uncompressed.
    pub data_offset: Option<u64>,
    /// Length of the security data.
    pub security_len: u64,
    /// Every dentry, in writing order (root first).
    pub dentries: Vec<DentryLoc>,
    /// Index of this image's entry in the blob table.
    pub blob_table_index: usize,
    /// SHA-1 of the uncompressed metadata.
    pub hash: [u8; 20],
}

impl MetadataLoc {
    /// Dentry by path.
    pub fn dentry(&self, path: &str) -> Option<&DentryLoc> {
        self.dentries.iter().find(|d| d.path == path)
    }
}

/// Where one file blob landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobLoc {
    /// SHA-1.
    pub hash: [u8; 20],
    /// Uncompressed size.
    pub size: u64,
    /// Stored range in the file (non-solid: the whole resource incl. chunk table; solid:
    /// the blob's bytes inside the stored chunks).
    pub range: Range<u64>,
    /// File offset of the first data byte.
    pub data_offset: u64,
    /// Index of its entry in the blob table.
    pub blob_table_index: usize,
    /// Reference count written.
    pub refcnt: u32,
    /// Part number this blob lives in.
    pub part: u16,
}

/// Map of everything the builder wrote (file offsets are absolute).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    /// Total file length.
    pub file_len: u64,
    /// Version written.
    pub version: u32,
    /// Header flags written.
    pub flags: u32,
    /// File blobs in writing order.
    pub blobs: Vec<BlobLoc>,
    /// Metadata resources, image order.
    pub metadata: Vec<MetadataLoc>,
    /// Solid resource (header + chunk sizes + chunks), when [`ResourceLayout::Solid`].
    pub solid: Option<SolidLoc>,
    /// Blob table range.
    pub blob_table: Range<u64>,
    /// XML range (BOM included).
    pub xml: Range<u64>,
    /// Integrity table range, if written.
    pub integrity: Option<Range<u64>>,
    /// Number of blob-table entries.
    pub blob_table_entries: usize,
}

/// Where the solid resource landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolidLoc {
    /// Whole resource range.
    pub range: Range<u64>,
    /// Offset of the per-chunk size table.
    pub chunk_sizes_offset: u64,
    /// Offset of chunk 0.
    pub chunks_offset: u64,
    /// Number of chunks.
    pub num_chunks: u64,
    /// Blob-table index of the resource entry.
    pub blob_table_index: usize,
}

/// Offsets of header fields.
pub mod hdr {
    /// Magic.
    pub const MAGIC: usize = 0x00;
    /// Header size.
    pub const HEADER_SIZE: usize = 0x08;
    /// Version.
    pub const VERSION: usize = 0x0C;
    /// Flags.
    pub const FLAGS: usize = 0x10;
    /// Chunk size.
    pub const CHUNK_SIZE: usize = 0x14;
    /// GUID.
    pub const GUID: usize = 0x18;
    /// Part number.
    pub const PART_NUMBER: usize = 0x28;
    /// Total parts.
    pub const TOTAL_PARTS: usize = 0x2A;
    /// Image count.
    pub const IMAGE_COUNT: usize = 0x2C;
    /// Blob table reshdr.
    pub const BLOB_TABLE: usize = 0x30;
    /// XML reshdr.
    pub const XML: usize = 0x48;
    /// Boot metadata reshdr.
    pub const BOOT_METADATA: usize = 0x60;
    /// Boot index.
    pub const BOOT_INDEX: usize = 0x78;
    /// Integrity reshdr.
    pub const INTEGRITY: usize = 0x7C;
}

/// A finished WIM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltWim {
    /// The file bytes.
    pub bytes: Vec<u8>,
    /// Where things are.
    pub layout: Layout,
}

/// Reads a little-endian u32 at `off` (test helper; panics when out of range).
pub fn le_u32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// Reads a little-endian u64 at `off` (test helper; panics when out of range).
pub fn le_u64(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

/// Writes a 24-byte resource header.
pub fn reshdr(size_in_wim: u64, flags: u8, offset: u64, uncompressed: u64) -> [u8; 24] {
    let mut r = [0u8; 24];
    r[..7].copy_from_slice(&size_in_wim.to_le_bytes()[..7]);
    r[7] = flags;
    r[8..16].copy_from_slice(&offset.to_le_bytes());
    r[16..24].copy_from_slice(&uncompressed.to_le_bytes());
    r
}

/// Description of a WIM to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WimBuilder {
    /// Images, in index order.
    pub images: Vec<Image>,
    /// GUID.
    pub guid: [u8; 16],
    /// Boot index (0 = none).
    pub boot_index: u32,
    /// Integrity table chunk size (`None` = no table).
    pub integrity_chunk_size: Option<u32>,
    /// Storage of file resources.
    pub layout: ResourceLayout,
    /// Extra header flags OR-ed in (e.g. [`HDR_FLAG_RP_FIX`]).
    pub extra_flags: u32,
    /// Version override (`None` = derived from the layout).
    pub version: Option<u32>,
    /// Corruption to apply while building (see [`crate::mutation`]).
    pub mutation: Option<crate::mutation::Mutation>,
}

impl Default for WimBuilder {
    fn default() -> Self {
        WimBuilder::new()
    }
}

struct BlobAcc {
    data: Vec<u8>,
    refcnt: u32,
}

impl WimBuilder {
    /// Empty builder: no images, a fixed GUID, uncompressed.
    pub fn new() -> WimBuilder {
        WimBuilder {
            images: Vec::new(),
            guid: *b"wimkit-testdata!",
            boot_index: 0,
            integrity_chunk_size: None,
            layout: ResourceLayout::Uncompressed,
            extra_flags: 0,
            version: None,
            mutation: None,
        }
    }

    /// Adds an image.
    pub fn image(mut self, image: Image) -> WimBuilder {
        self.images.push(image);
        self
    }

    /// Sets the GUID.
    pub fn guid(mut self, guid: [u8; 16]) -> WimBuilder {
        self.guid = guid;
        self
    }

    /// Sets the boot index.
    pub fn boot_index(mut self, idx: u32) -> WimBuilder {
        self.boot_index = idx;
        self
    }

    /// Adds an integrity table with this chunk size (wimlib uses 10 MiB).
    pub fn integrity(mut self, chunk_size: u32) -> WimBuilder {
        self.integrity_chunk_size = Some(chunk_size);
        self
    }

    /// Sets the resource layout.
    pub fn resource_layout(mut self, layout: ResourceLayout) -> WimBuilder {
        self.layout = layout;
        self
    }

    /// Builds a single (non-split) WIM.
    pub fn build(&self) -> BuiltWim {
        self.build_part(1, 1, None)
    }

    /// Builds a split set of `parts` parts (≥ 2): part 1 holds all metadata and the first
    /// share of file blobs; blobs are distributed round-robin by writing order over the
    /// parts. Every part has the full XML.
    pub fn build_split(&self, parts: u16) -> Vec<BuiltWim> {
        let parts = parts.max(2);
        (1..=parts)
            .map(|p| self.build_part(p, parts, Some(parts)))
            .collect()
    }

    fn collect_blobs(&self) -> (Vec<[u8; 20]>, HashMap<[u8; 20], BlobAcc>) {
        let mut order = Vec::new();
        let mut map: HashMap<[u8; 20], BlobAcc> = HashMap::new();
        fn walk(n: &Node, order: &mut Vec<[u8; 20]>, map: &mut HashMap<[u8; 20], BlobAcc>) {
            for (_, d) in n.streams() {
                if d.is_empty() {
                    continue;
                }
                let h = sha1(&d);
                map.entry(h)
                    .or_insert_with(|| {
                        order.push(h);
                        BlobAcc { data: d, refcnt: 0 }
                    })
                    .refcnt += 1;
            }
            if let Some(c) = n.children() {
                for ch in c {
                    walk(ch, order, map);
                }
            }
        }
        for img in &self.images {
            walk(&img.root, &mut order, &mut map);
        }
        (order, map)
    }

    fn build_part(&self, part: u16, total: u16, split: Option<u16>) -> BuiltWim {
        use crate::mutation as m;
        let mutation = self.mutation.as_ref();
        let (order, blobs) = self.collect_blobs();
        let version = self.version.unwrap_or(match self.layout {
            ResourceLayout::Solid { .. } => VERSION_SOLID,
            _ => VERSION_DEFAULT,
        });
        let mut flags = self.extra_flags;
        let mut chunk_size_field = 0u32;
        if let ResourceLayout::RawChunks {
            chunk_size,
            compression,
        } = self.layout
        {
            flags |= HDR_FLAG_COMPRESSION | compression;
            chunk_size_field = chunk_size;
        }
        if split.is_some() {
            flags |= HDR_FLAG_SPANNED;
        }
        let mut out = vec![0u8; HEADER_LEN];
        let mut layout = Layout {
            version,
            flags,
            ..Layout::default()
        };
        // Blob-table entries: (reshdr, part, refcnt, hash).
        let mut entries: Vec<([u8; 24], u16, u32, [u8; 20])> = Vec::new();
        let blob_part = |i: usize| -> u16 {
            match split {
                Some(n) => (i % n as usize) as u16 + 1,
                None => 1,
            }
        };
        let mut pending_blob_entries: Vec<([u8; 24], u16, u32, [u8; 20])> = Vec::new();
        // File blobs.
        match self.layout {
            ResourceLayout::Solid { chunk_size, format } => {
                let mine: Vec<&[u8; 20]> = order
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| blob_part(*i) == part)
                    .map(|(_, h)| h)
                    .collect();
                if !mine.is_empty() {
                    let mut data = Vec::new();
                    let mut offs = Vec::new();
                    for h in &mine {
                        offs.push(data.len() as u64);
                        data.extend_from_slice(&blobs[*h].data);
                    }
                    let cs = chunk_size.max(1) as usize;
                    let start = out.len() as u64;
                    let usize_ = data.len() as u64;
                    out.extend_from_slice(&usize_.to_le_bytes());
                    out.extend_from_slice(&chunk_size.to_le_bytes());
                    out.extend_from_slice(&format.to_le_bytes());
                    let chunk_sizes_offset = out.len() as u64;
                    let nchunks = data.len().div_ceil(cs);
                    for c in data.chunks(cs) {
                        out.extend_from_slice(&(c.len() as u32).to_le_bytes());
                    }
                    let chunks_offset = out.len() as u64;
                    out.extend_from_slice(&data);
                    let end = out.len() as u64;
                    pending_blob_entries.push((
                        reshdr(end - start, RES_SOLID, start, 0x1_0000_0000),
                        part,
                        1,
                        [0; 20],
                    ));
                    layout.solid = Some(SolidLoc {
                        range: start..end,
                        chunk_sizes_offset,
                        chunks_offset,
                        num_chunks: nchunks as u64,
                        blob_table_index: 0,
                    });
                    for (h, off) in mine.iter().zip(offs) {
                        let b = &blobs[*h];
                        let size = b.data.len() as u64;
                        pending_blob_entries.push((
                            reshdr(size, RES_SOLID, off, 0),
                            part,
                            b.refcnt,
                            **h,
                        ));
                        layout.blobs.push(BlobLoc {
                            hash: **h,
                            size,
                            range: chunks_offset + off..chunks_offset + off + size,
                            data_offset: chunks_offset + off,
                            blob_table_index: 0,
                            refcnt: b.refcnt,
                            part,
                        });
                    }
                }
            }
            _ => {
                for (i, h) in order.iter().enumerate() {
                    if blob_part(i) != part {
                        continue;
                    }
                    let b = &blobs[h];
                    let start = out.len() as u64;
                    let (rflags, data_offset) = self.write_resource(&mut out, &b.data);
                    let end = out.len() as u64;
                    let size = b.data.len() as u64;
                    pending_blob_entries.push((
                        reshdr(end - start, rflags, start, size),
                        part,
                        b.refcnt,
                        *h,
                    ));
                    layout.blobs.push(BlobLoc {
                        hash: *h,
                        size,
                        range: start..end,
                        data_offset,
                        blob_table_index: 0,
                        refcnt: b.refcnt,
                        part,
                    });
                }
            }
        }
        // Metadata resources (part 1 only).
        if part == 1 {
            for (idx, img) in self.images.iter().enumerate() {
                let (mut meta, mut mloc) = build_metadata(img);
                if let Some(mu) = mutation {
                    m::patch_metadata(mu, idx, &mut meta, &mut mloc);
                }
                let hash = sha1(&meta);
                let start = out.len() as u64;
                let (rflags, data_offset) = match self.layout {
                    ResourceLayout::RawChunks { .. } => self.write_resource(&mut out, &meta),
                    _ => {
                        out.extend_from_slice(&meta);
                        (0, start)
                    }
                };
                let end = out.len() as u64;
                mloc.range = start..end;
                mloc.uncompressed_size = meta.len() as u64;
                mloc.data_offset = (rflags & RES_COMPRESSED == 0).then_some(data_offset);
                mloc.hash = hash;
                mloc.blob_table_index = entries.len();
                entries.push((
                    reshdr(end - start, rflags | RES_METADATA, start, meta.len() as u64),
                    1,
                    1,
                    hash,
                ));
                layout.metadata.push(mloc);
            }
        }
        let base = entries.len();
        for (k, b) in layout.blobs.iter_mut().enumerate() {
            b.blob_table_index = base + k + usize::from(layout.solid.is_some());
        }
        if let Some(s) = layout.solid.as_mut() {
            s.blob_table_index = base;
        }
        entries.extend(pending_blob_entries);
        // Blob table.
        let bt_start = out.len() as u64;
        for (r, p, rc, h) in &entries {
            out.extend_from_slice(r);
            out.extend_from_slice(&p.to_le_bytes());
            out.extend_from_slice(&rc.to_le_bytes());
            out.extend_from_slice(h);
        }
        let bt_end = out.len() as u64;
        layout.blob_table = bt_start..bt_end;
        layout.blob_table_entries = entries.len();
        // XML.
        let xml_start = out.len() as u64;
        let mut xml = self.xml_text(xml_start);
        let mut bom = true;
        if let Some(mu) = mutation {
            m::patch_xml(mu, &mut xml, &mut bom);
        }
        if bom {
            out.extend_from_slice(&[0xFF, 0xFE]);
        }
        for u in xml.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
        let xml_end = out.len() as u64;
        layout.xml = xml_start..xml_end;
        // Integrity.
        let mut integ = [0u8; 24];
        if let Some(cs) = self.integrity_chunk_size {
            let cs_us = cs.max(1) as usize;
            let hashes: Vec<[u8; 20]> = out[HEADER_LEN..bt_end as usize]
                .chunks(cs_us)
                .map(sha1)
                .collect();
            let n = hashes.len();
            let start = out.len() as u64;
            let size = 12 + 20 * n as u32;
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&(n as u32).to_le_bytes());
            out.extend_from_slice(&cs.to_le_bytes());
            for h in hashes {
                out.extend_from_slice(&h);
            }
            let end = out.len() as u64;
            integ = reshdr(end - start, 0, start, end - start);
            layout.integrity = Some(start..end);
        }
        // Header.
        let h = &mut out[..HEADER_LEN];
        h[0..8].copy_from_slice(b"MSWIM\0\0\0");
        h[8..12].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
        h[12..16].copy_from_slice(&version.to_le_bytes());
        h[16..20].copy_from_slice(&flags.to_le_bytes());
        h[20..24].copy_from_slice(&chunk_size_field.to_le_bytes());
        h[24..40].copy_from_slice(&self.guid);
        h[40..42].copy_from_slice(&part.to_le_bytes());
        h[42..44].copy_from_slice(&total.to_le_bytes());
        h[44..48].copy_from_slice(&(self.images.len() as u32).to_le_bytes());
        h[0x30..0x48].copy_from_slice(&reshdr(
            bt_end - bt_start,
            RES_METADATA,
            bt_start,
            bt_end - bt_start,
        ));
        h[0x48..0x60].copy_from_slice(&reshdr(
            xml_end - xml_start,
            RES_METADATA,
            xml_start,
            xml_end - xml_start,
        ));
        if self.boot_index >= 1
            && part == 1
            && let Some(ml) = layout.metadata.get(self.boot_index as usize - 1)
        {
            let (r, ..) = &entries[ml.blob_table_index];
            h[0x60..0x78].copy_from_slice(r);
        }
        h[0x78..0x7C].copy_from_slice(&self.boot_index.to_le_bytes());
        h[0x7C..0x94].copy_from_slice(&integ);
        layout.file_len = out.len() as u64;
        let mut built = BuiltWim { bytes: out, layout };
        if let Some(mu) = mutation {
            m::patch_bytes(mu, &mut built);
        }
        built
    }

    /// Writes `data` per the layout (uncompressed or raw-chunked); returns the reshdr flags
    /// and the file offset of the first data byte.
    fn write_resource(&self, out: &mut Vec<u8>, data: &[u8]) -> (u8, u64) {
        match self.layout {
            ResourceLayout::RawChunks { chunk_size, .. } => {
                let cs = chunk_size.max(1) as usize;
                let n = data.len().div_ceil(cs);
                let wide = data.len() as u64 > u32::MAX as u64;
                for i in 1..n {
                    let off = (i * cs) as u64;
                    if wide {
                        out.extend_from_slice(&off.to_le_bytes());
                    } else {
                        out.extend_from_slice(&(off as u32).to_le_bytes());
                    }
                }
                let d = out.len() as u64;
                out.extend_from_slice(data);
                (RES_COMPRESSED, d)
            }
            _ => {
                let d = out.len() as u64;
                out.extend_from_slice(data);
                (0, d)
            }
        }
    }

    /// The XML document (without BOM) for an XML starting at file offset `xml_offset`.
    pub fn xml_text(&self, xml_offset: u64) -> String {
        let mut x = String::from("<WIM>");
        for (i, img) in self.images.iter().enumerate() {
            let s = img.stats();
            x.push_str(&format!("<IMAGE INDEX=\"{}\">", i + 1));
            if !img.name.is_empty() {
                x.push_str(&format!("<NAME>{}</NAME>", xml_escape(&img.name)));
            }
            if let Some(d) = &img.description {
                x.push_str(&format!("<DESCRIPTION>{}</DESCRIPTION>", xml_escape(d)));
            }
            x.push_str(&format!(
                "<DIRCOUNT>{}</DIRCOUNT><FILECOUNT>{}</FILECOUNT><TOTALBYTES>{}</TOTALBYTES><HARDLINKBYTES>{}</HARDLINKBYTES>",
                s.dir_count, s.file_count, s.total_bytes, s.hard_link_bytes
            ));
            x.push_str(&format!(
                "<CREATIONTIME>{}</CREATIONTIME>",
                xml_time(img.creation_time)
            ));
            x.push_str(&format!(
                "<LASTMODIFICATIONTIME>{}</LASTMODIFICATIONTIME>",
                xml_time(img.modification_time)
            ));
            x.push_str(&img.extra_xml);
            x.push_str("</IMAGE>");
        }
        x.push_str(&format!("<TOTALBYTES>{xml_offset}</TOTALBYTES></WIM>"));
        x
    }
}

fn xml_time(t: u64) -> String {
    format!(
        "<HIGHPART>0x{:08X}</HIGHPART><LOWPART>0x{:08X}</LOWPART>",
        t >> 32,
        t & 0xFFFF_FFFF
    )
}

/// Escapes `&`, `<`, `>` for XML text.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn pad8(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(8) {
        v.push(0);
    }
}

/// Security data block for `sds`.
pub fn security_data(sds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::new();
    let mut total = 8 + 8 * sds.len() + sds.iter().map(|s| s.len()).sum::<usize>();
    total = total.div_ceil(8) * 8;
    v.extend_from_slice(&(total as u32).to_le_bytes());
    v.extend_from_slice(&(sds.len() as u32).to_le_bytes());
    for s in sds {
        v.extend_from_slice(&(s.len() as u64).to_le_bytes());
    }
    for s in sds {
        v.extend_from_slice(s);
    }
    pad8(&mut v);
    v
}

/// Bytes of one dentry (fixed part, names, tagged items, then extra stream entries) and the
/// value of its length field. `subdir_offset` is written as given.
pub fn dentry_bytes(n: &Node, subdir_offset: u64) -> (Vec<u8>, u64) {
    let mut d = Vec::with_capacity(256);
    d.extend_from_slice(&0u64.to_le_bytes()); // length, patched
    d.extend_from_slice(&n.effective_attributes().to_le_bytes());
    d.extend_from_slice(&n.security_id.to_le_bytes());
    d.extend_from_slice(&subdir_offset.to_le_bytes());
    d.extend_from_slice(&[0u8; 16]);
    d.extend_from_slice(&n.creation_time.to_le_bytes());
    d.extend_from_slice(&n.last_access_time.to_le_bytes());
    d.extend_from_slice(&n.last_write_time.to_le_bytes());
    let streams = n.streams();
    let single = streams.len() == 1 && streams[0].0.is_empty();
    let main_hash = if single && !streams[0].1.is_empty() {
        sha1(&streams[0].1)
    } else {
        [0u8; 20]
    };
    d.extend_from_slice(&main_hash);
    d.extend_from_slice(&0u32.to_le_bytes());
    if let Some((tag, _)) = n.reparse() {
        d.extend_from_slice(&tag.to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        d.extend_from_slice(&n.rp_flags.to_le_bytes());
    } else {
        d.extend_from_slice(&n.link_group.to_le_bytes());
    }
    let extra = if single { 0 } else { streams.len() };
    d.extend_from_slice(&(extra as u16).to_le_bytes());
    d.extend_from_slice(&((n.short_name.len() * 2) as u16).to_le_bytes());
    d.extend_from_slice(&((n.name.len() * 2) as u16).to_le_bytes());
    debug_assert_eq!(d.len(), DENTRY_FIXED_LEN);
    if !n.name.is_empty() {
        for u in &n.name {
            d.extend_from_slice(&u.to_le_bytes());
        }
        d.extend_from_slice(&[0, 0]);
    }
    if !n.short_name.is_empty() {
        for u in &n.short_name {
            d.extend_from_slice(&u.to_le_bytes());
        }
        d.extend_from_slice(&[0, 0]);
    }
    pad8(&mut d);
    if let Some(u) = n.unix {
        d.extend_from_slice(&TAG_WIMLIB_UNIX_DATA.to_le_bytes());
        d.extend_from_slice(&16u32.to_le_bytes());
        for x in [u.uid, u.gid, u.mode, u.rdev] {
            d.extend_from_slice(&x.to_le_bytes());
        }
        pad8(&mut d);
    }
    let len = d.len() as u64;
    d[0..8].copy_from_slice(&len.to_le_bytes());
    if !single {
        for (name, data) in &streams {
            let mut e = Vec::new();
            e.extend_from_slice(&0u64.to_le_bytes());
            e.extend_from_slice(&0u64.to_le_bytes());
            e.extend_from_slice(&if data.is_empty() {
                [0u8; 20]
            } else {
                sha1(data)
            });
            e.extend_from_slice(&((name.len() * 2) as u16).to_le_bytes());
            if !name.is_empty() {
                for u in name {
                    e.extend_from_slice(&u.to_le_bytes());
                }
                e.extend_from_slice(&[0, 0]);
            }
            pad8(&mut e);
            let el = e.len() as u64;
            e[0..8].copy_from_slice(&el.to_le_bytes());
            d.extend_from_slice(&e);
        }
    }
    (d, len)
}

fn sorted_children(n: &Node) -> Vec<&Node> {
    let mut c: Vec<&Node> = n.children().map(|c| c.iter().collect()).unwrap_or_default();
    c.sort_by(|a, b| collate(&a.name, &b.name));
    c
}

/// Serialises an image's metadata resource (uncompressed) and records dentry locations.
pub fn build_metadata(img: &Image) -> (Vec<u8>, MetadataLoc) {
    let mut meta = security_data(&img.security_descriptors);
    let mut loc = MetadataLoc {
        range: 0..0,
        uncompressed_size: 0,
        data_offset: None,
        security_len: meta.len() as u64,
        dentries: Vec::new(),
        blob_table_index: 0,
        hash: [0; 20],
    };
    let root_off = meta.len() as u64;
    let mut root = img.root.clone();
    root.name.clear();
    root.short_name.clear();
    let (rb, rlen) = dentry_bytes(&root, 0);
    let rtotal = rb.len() as u64;
    meta.extend_from_slice(&rb);
    meta.extend_from_slice(&[0u8; 8]);
    let list = meta.len() as u64;
    meta[root_off as usize + 16..root_off as usize + 24].copy_from_slice(&list.to_le_bytes());
    loc.dentries.push(DentryLoc {
        path: "/".into(),
        offset: root_off,
        length: rlen,
        total_length: rtotal,
        subdir_offset: list,
        parent_list: 0,
        is_dir: true,
    });
    write_children(&img.root, "", list, &mut meta, &mut loc);
    (meta, loc)
}

fn write_children(
    dir: &Node,
    path: &str,
    list_off: u64,
    meta: &mut Vec<u8>,
    loc: &mut MetadataLoc,
) {
    debug_assert_eq!(meta.len() as u64, list_off);
    let kids = sorted_children(dir);
    let mut pending = Vec::new();
    for k in &kids {
        let off = meta.len() as u64;
        let (b, len) = dentry_bytes(k, 0);
        let total = b.len() as u64;
        meta.extend_from_slice(&b);
        let p = format!("{path}/{}", k.name_lossy());
        let is_dir = matches!(k.kind, NodeKind::Dir(_));
        loc.dentries.push(DentryLoc {
            path: p.clone(),
            offset: off,
            length: len,
            total_length: total,
            subdir_offset: 0,
            parent_list: list_off,
            is_dir,
        });
        if is_dir {
            pending.push((*k, p, off, loc.dentries.len() - 1));
        }
    }
    meta.extend_from_slice(&[0u8; 8]);
    for (k, p, off, di) in pending {
        let sub = meta.len() as u64;
        meta[off as usize + 16..off as usize + 24].copy_from_slice(&sub.to_le_bytes());
        loc.dentries[di].subdir_offset = sub;
        write_children(k, &p, sub, meta, loc);
    }
}

impl Image {
    /// Writes the tree to `dir` as a Linux filesystem would hold it (what
    /// `wimlib-imagex apply` should reproduce): directories, files, relative/absolute
    /// symlinks (absolute POSIX targets kept as given), hard links (by group id), UNIX mode
    /// bits when present. Named streams, short names, junctions' Windows semantics and
    /// security descriptors have no Linux equivalent and are skipped (junctions become
    /// symlinks to their target). Names must be valid UTF-16.
    pub fn write_to_dir(&self, dir: &std::path::Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let mut groups: HashMap<u64, std::path::PathBuf> = HashMap::new();
        write_node_children(&self.root, dir, &mut groups)
    }
}

fn write_node_children(
    n: &Node,
    dir: &std::path::Path,
    groups: &mut HashMap<u64, std::path::PathBuf>,
) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Some(children) = n.children() else {
        return Ok(());
    };
    for c in children {
        let name = String::from_utf16(&c.name)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let p = dir.join(name);
        match &c.kind {
            NodeKind::Dir(_) => {
                std::fs::create_dir_all(&p)?;
                write_node_children(c, &p, groups)?;
            }
            NodeKind::File(data) => {
                if c.link_group != 0 {
                    if let Some(first) = groups.get(&c.link_group) {
                        std::fs::hard_link(first, &p)?;
                        continue;
                    }
                    groups.insert(c.link_group, p.clone());
                }
                std::fs::write(&p, data)?;
            }
            NodeKind::Symlink { target, .. } => std::os::unix::fs::symlink(target, &p)?,
            NodeKind::Junction { target } => std::os::unix::fs::symlink(target, &p)?,
            NodeKind::Reparse { .. } => {}
        }
        if let Some(u) = c.unix
            && !matches!(c.kind, NodeKind::Symlink { .. } | NodeKind::Junction { .. })
        {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(u.mode & 0o7777))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Metadata resource written by `wimlib-imagex capture --unix-data --compress=none`
    /// (1.13.5) of a directory (mode 0755) holding one file `a` = "hi\n" (mode 0640), owner 0:0.
    const WIMLIB_UNIX_METADATA: [&str; 6] = [
        "0800000000000000800000000000000010000000ffffffff900000000000000000000000000000000000000000000000",
        "d7cd36978879dd01d7cd36978879dd01d7cd36978879dd01000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000073d87d33100000000000000000000000ed410000000000000000000000000000",
        "880000000000000080000000ffffffff000000000000000000000000000000000000000000000000d7cd36978879dd01",
        "d7cd36978879dd01d7cd36978879dd0155ca6286e3e4f4fba5d0448333fa99fc5a404a73000000000000000000000000",
        "0000000002006100000000000000000073d87d33100000000000000000000000a0810000000000000000000000000000",
    ];

    #[test]
    fn metadata_matches_wimlib_byte_for_byte() {
        let t = 0x01dd_7988_9736_cdd7u64;
        let mut img = Image::new(
            "x",
            vec![
                Node::file("a", b"hi\n".to_vec())
                    .with_times(t, t, t)
                    .with_unix(0, 0, 0o100640, 0),
            ],
        );
        img.root = img
            .root
            .clone()
            .with_times(t, t, t)
            .with_unix(0, 0, 0o040755, 0);
        let (meta, loc) = build_metadata(&img);
        assert_eq!(meta, unhex(&WIMLIB_UNIX_METADATA.concat()));
        assert_eq!(loc.dentries.len(), 2);
        assert_eq!(loc.dentry("/a").unwrap().offset, 144);
        assert_eq!(loc.dentries[0].subdir_offset, 144);
    }

    #[test]
    fn symlink_reparse_data_matches_wimlib() {
        // Captured by wimlib-imagex 1.13.5 from Linux symlinks `d/x` and `/abs/path`.
        assert_eq!(
            symlink_reparse_data("d/x"),
            unhex("00000600080006000100000064005c007800000064005c0078000000")
        );
        assert_eq!(
            symlink_reparse_data("/abs/path"),
            unhex(
                "00001e0020001600000000005c003f003f005c0043003a005c006100620073005c007000610074006800000043003a005c006100620073005c0070006100740068000000"
            )
        );
        // Junction: no flags field.
        let j = junction_reparse_data("C:\\t");
        assert_eq!(&j[..8], &[0, 0, 16, 0, 18, 0, 8, 0]);
        assert_eq!(j.len(), 8 + 16 + 2 + 8 + 2);
    }

    #[test]
    fn symlink_dentry_has_reparse_and_empty_data_streams() {
        let n = Node::symlink("l", "x");
        let (b, len) = dentry_bytes(&n, 0);
        assert_eq!(le_u32(&b, 0x58), IO_REPARSE_TAG_SYMLINK);
        assert_eq!(u16::from_le_bytes([b[0x60], b[0x61]]), 2);
        assert_eq!(&b[0x40..0x54], &[0u8; 20]);
        assert_eq!(b.len() as u64, len + 2 * 40);
        assert_eq!(
            &b[len as usize + 16..len as usize + 36],
            &sha1(&symlink_reparse_data("x"))
        );
        assert_eq!(
            &b[len as usize + 40 + 16..len as usize + 40 + 36],
            &[0u8; 20]
        );
    }

    #[test]
    fn dentries_are_8_aligned_with_names_and_streams() {
        for name in ["a", "ab", "abc", "abcd", "\u{1F600}"] {
            let n = Node::file(name, b"x".to_vec())
                .with_short_name("AB~1")
                .with_stream("s", b"y".to_vec());
            let (b, len) = dentry_bytes(&n, 0);
            assert_eq!(len % 8, 0);
            assert_eq!(b.len() % 8, 0);
            assert!(len as usize >= DENTRY_FIXED_LEN + 2 * utf16(name).len() + 2 + 10);
            // Two extra entries: unnamed data then named.
            assert_eq!(u16::from_le_bytes([b[0x60], b[0x61]]), 2);
        }
        let (b, _) = dentry_bytes(&Node::file("f", b"data".to_vec()), 0);
        assert_eq!(&b[0x40..0x54], &sha1(b"data"));
        assert_eq!(u16::from_le_bytes([b[0x60], b[0x61]]), 0);
    }

    #[test]
    fn collation_is_case_insensitive_then_sensitive() {
        let mut v: Vec<Vec<u16>> = ["b", "B", "a", "C", "_x", "Z", "\u{e9}", "E"]
            .iter()
            .map(|s| utf16(s))
            .collect();
        v.sort_by(|a, b| collate(a, b));
        let s: Vec<String> = v.iter().map(|u| String::from_utf16(u).unwrap()).collect();
        assert_eq!(s, ["a", "B", "b", "C", "E", "Z", "_x", "\u{e9}"]);
    }

    #[test]
    fn stats_count_names_links_and_streams() {
        let img = Image::new(
            "s",
            vec![
                Node::hard_link("h1", 3, vec![1u8; 10]),
                Node::dir("d", vec![Node::hard_link("h2", 3, vec![1u8; 10])]),
                Node::file("f", vec![2u8; 5]).with_stream("n", vec![3u8; 7]),
                Node::dir_symlink("ds", "d"),
            ],
        );
        let s = img.stats();
        let rp = symlink_reparse_data("d").len() as u64;
        assert_eq!(
            s,
            ImageStats {
                dir_count: 2,
                file_count: 4,
                total_bytes: 10 + 10 + 12 + rp,
                hard_link_bytes: 10
            }
        );
    }

    #[test]
    fn layout_offsets_point_at_the_data() {
        let mut b =
            WimBuilder::new().image(Image::new("i", vec![Node::file("f", vec![7u8; 100_000])]));
        for l in [
            ResourceLayout::Uncompressed,
            ResourceLayout::RawChunks {
                chunk_size: 32768,
                compression: HDR_FLAG_XPRESS,
            },
            ResourceLayout::Solid {
                chunk_size: 32768,
                format: 1,
            },
        ] {
            b.layout = l;
            let w = b.clone().integrity(4096).build();
            let blob = &w.layout.blobs[0];
            assert_eq!(
                &w.bytes[blob.data_offset as usize..][..100_000],
                &[7u8; 100_000][..]
            );
            assert_eq!(&w.bytes[0..8], b"MSWIM\0\0\0");
            assert_eq!(
                le_u64(&w.bytes, hdr::BLOB_TABLE + 8),
                w.layout.blob_table.start
            );
            assert_eq!(w.bytes.len() as u64, w.layout.file_len);
            assert_eq!(w.layout.integrity.as_ref().unwrap().end, w.layout.file_len);
            let xml = &w.bytes[w.layout.xml.start as usize..w.layout.xml.end as usize];
            assert_eq!(&xml[..2], &[0xFF, 0xFE]);
            if let ResourceLayout::RawChunks { .. } = l {
                // 4 chunks → 3 table entries of 4 bytes.
                assert_eq!(blob.data_offset - blob.range.start, 12);
                assert_eq!(le_u32(&w.bytes, blob.range.start as usize), 32768);
            }
        }
    }
}
