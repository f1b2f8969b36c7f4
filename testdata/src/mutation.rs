//! Corruption cases for the malformed-input suite.
//!
//! Each [`Mutation`] starts from a standard victim WIM ([`victim`], or a variant with
//! raw-chunked, solid, integrity or split layout, see [`Mutation::base`]) and corrupts it at
//! the right phase: the tree description (names), the uncompressed metadata before its hash
//! is taken (so the hash still matches and the structural error is what a reader meets), the
//! XML text, or the finished bytes (header, blob table, chunk tables, …) using the builder's
//! [`Layout`].
//!
//! Expected error kinds are asserted by the reader crates; this module only guarantees that
//! each mutation changes the bytes where [`Mutated::change`] says.

use crate::builder::{
    BuiltWim, HDR_FLAG_COMPRESSION, HDR_FLAG_LZMS, HDR_FLAG_LZX, HDR_FLAG_XPRESS, Image, Layout,
    MetadataLoc, Node, RES_METADATA, ResourceLayout, VERSION_DEFAULT, WimBuilder, hdr, utf16,
};
use crate::prng::XorShift64;
use std::ops::Range;

/// Solid format of the solid victim (LZMS, every chunk stored raw: wimlib accepts it).
pub const VICTIM_SOLID_FORMAT: u32 = 3;

/// Chunk size of the raw-chunked victim.
pub const VICTIM_CHUNK_SIZE: u32 = 32768;

/// One corruption case. See [`Mutation::all`] and [`Mutation::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mutation {
    // ---- header
    /// Magic is not `MSWIM\0\0\0`.
    BadMagic,
    /// Header size field is 200 instead of 208.
    HeaderSizeWrong,
    /// Version 0x10B00 (Vista beta).
    UnsupportedVersion,
    /// File cut to 100 bytes (inside the header).
    TruncatedHeader,
    /// COMPRESSION flag without a compression type.
    CompressionFlagWithoutType,
    /// XPRESS and LZX flags together (raw-chunked victim).
    TwoCompressionTypes,
    /// LZMS type in a version 0x10D00 WIM (raw-chunked victim).
    LzmsInNonSolidVersion,
    /// Chunk size 12345 (raw-chunked victim).
    BadChunkSize,
    /// Header image count is one more than the metadata entries and XML images.
    ImageCountTooHigh,
    /// Header image count 0.
    ImageCountZero,
    /// Boot index 9 with 2 images.
    BootIndexOutOfRange,
    /// Part number 0.
    PartNumberZero,
    /// Part 3 of 1.
    PartNumberAboveTotal,
    // ---- blob table
    /// Blob-table size not a multiple of 50.
    BlobTableSizeNotMultiple,
    /// Blob-table reshdr offset past end of file.
    BlobTableBeyondEof,
    /// File truncated in the middle of the blob table.
    TruncatedBlobTable,
    /// A file blob's offset is 1 TiB.
    BlobOffsetBeyondEof,
    /// A file blob's content flipped (hash mismatch).
    BlobHashMismatch,
    /// A file blob's declared size is 2^52 bytes (4 PiB).
    BlobSizePetabytes,
    /// Uncompressed blob whose uncompressed size ≠ size in WIM.
    UncompressedSizeMismatch,
    /// METADATA flag cleared on every metadata entry.
    MetadataFlagMissing,
    /// Metadata entry with reference count 2.
    MetadataRefcountTwo,
    /// A byte of image 1's metadata flipped after hashing.
    MetadataHashMismatch,
    /// Image 1's metadata declares an uncompressed size of 2^50.
    MetadataSizePetabytes,
    /// Image 1's metadata cut in the middle of the root dentry (hash consistent).
    MetadataTruncated,
    /// A dentry refers to a hash absent from the blob table.
    MissingBlob,
    // ---- dentry tree (image 1; hashes consistent)
    /// `/dir/sub` child list points at the root's child list (cycle through an ancestor).
    CyclicDirectory,
    /// `/dir` child list is its own parent list (directory contains itself).
    DirectoryIsOwnChild,
    /// `/dir` child list offset past the end of the metadata.
    SubdirOffsetOutOfBounds,
    /// `/dir` child list offset points into the middle of a dentry.
    SubdirOffsetIntoDentry,
    /// A regular file (`/a.txt`) has a child list.
    FileWithChildren,
    /// Root dentry is not a directory.
    RootNotDirectory,
    /// A name `.`.
    DotName,
    /// A name `..`.
    DotDotName,
    /// An empty name on a non-root dentry.
    EmptyName,
    /// A name containing `/`.
    NameWithSlash,
    /// A name containing `\`.
    NameWithBackslash,
    /// A name containing NUL.
    NameWithNul,
    /// Two siblings with the same name.
    DuplicateNames,
    /// A name with an unpaired high surrogate.
    UnpairedHighSurrogate,
    /// A name with an unpaired low surrogate.
    UnpairedLowSurrogate,
    /// Name length field odd.
    OddNameLength,
    /// Name length field larger than the dentry.
    NameLengthBeyondDentry,
    /// Dentry length field smaller than the fixed part.
    DentryLengthTooSmall,
    /// Dentry length field past the end of the metadata.
    DentryLengthBeyondResource,
    /// Security data total length larger than the metadata.
    SecurityLengthTooLarge,
    /// Security descriptor count 0x80000001.
    SecurityCountHuge,
    /// A security descriptor size of u64::MAX − 4.
    SecuritySizeOverflow,
    /// A dentry's security id is 99 (out of range).
    SecurityIdOutOfRange,
    /// Extra stream count 200 on `/ads.txt`.
    StreamCountTooLarge,
    /// An extra stream entry with length 0.
    StreamEntryLengthZero,
    /// Two directories in one hard-link group.
    HardLinkedDirectories,
    /// Two files in one hard-link group with different contents.
    HardLinkContentMismatch,
    /// The UNIX-data tagged item claims 0xFFFF bytes.
    TaggedItemOverrun,
    // ---- chunked resources (raw-chunked victim)
    /// A chunk-table entry points far outside the resource.
    ChunkOffsetOutsideResource,
    /// Chunk-table entries decreasing.
    ChunkTableNotIncreasing,
    /// First chunk larger than the chunk size.
    ChunkLargerThanChunkSize,
    /// Last chunk of size 0.
    ChunkSizeZero,
    /// A chunked resource extends past end of file.
    ChunkedResourceBeyondEof,
    // ---- solid (solid victim)
    /// Two solid blobs overlap.
    SolidOverlappingBlobs,
    /// A solid blob extends past the solid resource's uncompressed size.
    SolidBlobBeyondResource,
    /// Solid format 9 (unknown).
    SolidUnknownFormat,
    /// Solid chunk size 0.
    SolidChunkSizeZero,
    /// A solid chunk's stored size above the chunk size.
    SolidChunkAboveChunkSize,
    /// Solid resources in a version 0x10D00 WIM.
    SolidInOldVersion,
    /// Solid header declares 2^50 uncompressed bytes.
    SolidSizePetabytes,
    // ---- XML
    /// XML reshdr size cut in half.
    XmlTruncated,
    /// XML without `</WIM>`.
    XmlBroken,
    /// XML without BOM.
    XmlMissingBom,
    /// XML contains `<ESD><ENCRYPTED>`.
    XmlEncryptedEsd,
    /// XML has one `<IMAGE>` more than the header.
    XmlExtraImage,
    /// XML has one `<IMAGE>` fewer than the header.
    XmlMissingImage,
    /// XML size odd.
    XmlOddLength,
    /// XML image INDEX out of range.
    XmlBadIndex,
    /// XML reshdr offset past end of file.
    XmlBeyondEof,
    // ---- integrity (integrity victim)
    /// First integrity hash flipped.
    IntegrityHashMismatch,
    /// Integrity entry count larger than the table.
    IntegrityCountTooLarge,
    /// Integrity chunk size 0.
    IntegrityChunkSizeZero,
    // ---- split (split victim: 2 parts; part 2 is corrupted)
    /// Part 2 has another GUID.
    SplitGuidMismatch,
    /// Part 2 claims to be part 1.
    SplitDuplicatePartNumber,
    /// Part 2 claims 3 total parts.
    SplitTotalPartsMismatch,
}

/// Where a mutation changed the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The first differing byte lies in this range of the mutated file.
    Bytes(Range<u64>),
    /// The file was truncated to this length (a strict prefix of the baseline).
    TruncatedTo(u64),
}

/// Result of applying a [`Mutation`].
#[derive(Debug, Clone)]
pub struct Mutated {
    /// The mutation.
    pub mutation: Mutation,
    /// Mutated files (part 1 first; one element unless split).
    pub parts: Vec<Vec<u8>>,
    /// Uncorrupted files built from the same base.
    pub baseline_parts: Vec<Vec<u8>>,
    /// Index into `parts` of the file that was changed.
    pub changed_part: usize,
    /// Where the change is.
    pub change: Change,
    /// Layout of the changed mutated part.
    pub layout: Layout,
}

impl Mutated {
    /// The main (first) file.
    pub fn bytes(&self) -> &[u8] {
        &self.parts[0]
    }

    /// Writes the parts to `dir` as `<name>.wim` (or `<name>.swm`, `<name>2.swm`, … for a
    /// split set) and returns their paths, part 1 first.
    pub fn write_to(&self, dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
        let name = self.mutation.name();
        let mut out = Vec::new();
        for (i, p) in self.parts.iter().enumerate() {
            let file = match (self.parts.len(), i) {
                (1, _) => format!("{name}.wim"),
                (_, 0) => format!("{name}.swm"),
                (_, i) => format!("{name}{}.swm", i + 1),
            };
            let path = dir.join(file);
            std::fs::write(&path, p)?;
            out.push(path);
        }
        Ok(out)
    }
}

/// The standard victim: 2 images sharing blobs, a hard link, a symlink, an empty file, a
/// named stream, a security descriptor, UNIX data, a multi-chunk file (70,000 bytes).
pub fn victim() -> WimBuilder {
    let mut rng = XorShift64::new(0xBAD_F11E);
    let a = rng.text(3000);
    let c = rng.bytes(70_000);
    let hl = rng.bytes(1234);
    let sd = crate::sample::sample_security_descriptor();
    let img1 = Image::new(
        "victim one",
        vec![
            Node::file("a.txt", a.clone())
                .with_unix(1000, 1000, 0o100644, 0)
                .with_security_id(0),
            Node::file("b.txt", rng.text(500)),
            Node::dir(
                "dir",
                vec![
                    Node::file("c.bin", c.clone()),
                    Node::hard_link("hl2", 1, hl.clone()),
                    Node::dir("sub", vec![Node::file("d.txt", rng.text(200))]),
                ],
            ),
            Node::hard_link("hl1", 1, hl),
            Node::symlink("link", "a.txt"),
            Node::file("ads.txt", rng.text(100)).with_stream("meta", rng.text(77)),
            Node::empty("empty"),
        ],
    )
    .with_security_descriptor(sd);
    let img2 = Image::new(
        "victim two",
        vec![
            Node::file("a.txt", a),
            Node::dir("dir", vec![Node::file("c.bin", c)]),
            Node::file("e.txt", rng.text(900)),
        ],
    );
    WimBuilder::new().image(img1).image(img2)
}

fn find_mut<'a>(root: &'a mut Node, path: &str) -> &'a mut Node {
    let mut n = root;
    for comp in path.split('/').filter(|c| !c.is_empty()) {
        let want = utf16(comp);
        n = n
            .children_mut()
            .and_then(|c| c.iter_mut().find(|k| k.name == want))
            .unwrap_or_else(|| panic!("victim has no {path}"));
    }
    n
}

fn put_u16(b: &mut [u8], off: u64, v: u16) {
    let o = off as usize;
    b[o..o + 2].copy_from_slice(&v.to_le_bytes());
}
fn put_u32(b: &mut [u8], off: u64, v: u32) {
    let o = off as usize;
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}
fn put_u64(b: &mut [u8], off: u64, v: u64) {
    let o = off as usize;
    b[o..o + 8].copy_from_slice(&v.to_le_bytes());
}
fn get_u32(b: &[u8], off: u64) -> u32 {
    crate::builder::le_u32(b, off as usize)
}
fn put_size56(b: &mut [u8], off: u64, v: u64) {
    let o = off as usize;
    b[o..o + 7].copy_from_slice(&v.to_le_bytes()[..7]);
}

/// File range of a dentry of image 1 (metadata must be stored uncompressed).
fn dentry_range(l: &Layout, path: &str) -> Range<u64> {
    let m = &l.metadata[0];
    let d = m
        .dentry(path)
        .unwrap_or_else(|| panic!("victim has no {path}"));
    let base = m.data_offset.expect("uncompressed metadata");
    base + d.offset..base + d.offset + d.total_length
}

fn entry_off(l: &Layout, idx: usize) -> u64 {
    l.blob_table.start + 50 * idx as u64
}

use Mutation as M;

impl Mutation {
    /// Every mutation, in declaration order.
    pub fn all() -> Vec<Mutation> {
        vec![
            M::BadMagic,
            M::HeaderSizeWrong,
            M::UnsupportedVersion,
            M::TruncatedHeader,
            M::CompressionFlagWithoutType,
            M::TwoCompressionTypes,
            M::LzmsInNonSolidVersion,
            M::BadChunkSize,
            M::ImageCountTooHigh,
            M::ImageCountZero,
            M::BootIndexOutOfRange,
            M::PartNumberZero,
            M::PartNumberAboveTotal,
            M::BlobTableSizeNotMultiple,
            M::BlobTableBeyondEof,
            M::TruncatedBlobTable,
            M::BlobOffsetBeyondEof,
            M::BlobHashMismatch,
            M::BlobSizePetabytes,
            M::UncompressedSizeMismatch,
            M::MetadataFlagMissing,
            M::MetadataRefcountTwo,
            M::MetadataHashMismatch,
            M::MetadataSizePetabytes,
            M::MetadataTruncated,
            M::MissingBlob,
            M::CyclicDirectory,
            M::DirectoryIsOwnChild,
            M::SubdirOffsetOutOfBounds,
            M::SubdirOffsetIntoDentry,
            M::FileWithChildren,
            M::RootNotDirectory,
            M::DotName,
            M::DotDotName,
            M::EmptyName,
            M::NameWithSlash,
            M::NameWithBackslash,
            M::NameWithNul,
            M::DuplicateNames,
            M::UnpairedHighSurrogate,
            M::UnpairedLowSurrogate,
            M::OddNameLength,
            M::NameLengthBeyondDentry,
            M::DentryLengthTooSmall,
            M::DentryLengthBeyondResource,
            M::SecurityLengthTooLarge,
            M::SecurityCountHuge,
            M::SecuritySizeOverflow,
            M::SecurityIdOutOfRange,
            M::StreamCountTooLarge,
            M::StreamEntryLengthZero,
            M::HardLinkedDirectories,
            M::HardLinkContentMismatch,
            M::TaggedItemOverrun,
            M::ChunkOffsetOutsideResource,
            M::ChunkTableNotIncreasing,
            M::ChunkLargerThanChunkSize,
            M::ChunkSizeZero,
            M::ChunkedResourceBeyondEof,
            M::SolidOverlappingBlobs,
            M::SolidBlobBeyondResource,
            M::SolidUnknownFormat,
            M::SolidChunkSizeZero,
            M::SolidChunkAboveChunkSize,
            M::SolidInOldVersion,
            M::SolidSizePetabytes,
            M::XmlTruncated,
            M::XmlBroken,
            M::XmlMissingBom,
            M::XmlEncryptedEsd,
            M::XmlExtraImage,
            M::XmlMissingImage,
            M::XmlOddLength,
            M::XmlBadIndex,
            M::XmlBeyondEof,
            M::IntegrityHashMismatch,
            M::IntegrityCountTooLarge,
            M::IntegrityChunkSizeZero,
            M::SplitGuidMismatch,
            M::SplitDuplicatePartNumber,
            M::SplitTotalPartsMismatch,
        ]
    }

    /// Stable snake_case name (from the variant name).
    pub fn name(&self) -> String {
        let dbg = format!("{self:?}");
        let mut s = String::new();
        for (i, ch) in dbg.chars().enumerate() {
            if ch.is_ascii_uppercase() {
                if i > 0 {
                    s.push('_');
                }
                s.push(ch.to_ascii_lowercase());
            } else {
                s.push(ch);
            }
        }
        s
    }

    fn is_split(&self) -> bool {
        matches!(
            self,
            M::SplitGuidMismatch | M::SplitDuplicatePartNumber | M::SplitTotalPartsMismatch
        )
    }

    /// The uncorrupted builder this mutation starts from.
    pub fn base(&self) -> WimBuilder {
        let mut b = victim();
        match self {
            M::TwoCompressionTypes
            | M::LzmsInNonSolidVersion
            | M::BadChunkSize
            | M::ChunkOffsetOutsideResource
            | M::ChunkTableNotIncreasing
            | M::ChunkLargerThanChunkSize
            | M::ChunkSizeZero
            | M::ChunkedResourceBeyondEof => {
                b.layout = ResourceLayout::RawChunks {
                    chunk_size: VICTIM_CHUNK_SIZE,
                    compression: HDR_FLAG_XPRESS,
                };
            }
            M::SolidOverlappingBlobs
            | M::SolidBlobBeyondResource
            | M::SolidUnknownFormat
            | M::SolidChunkSizeZero
            | M::SolidChunkAboveChunkSize
            | M::SolidInOldVersion
            | M::SolidSizePetabytes => {
                b.layout = ResourceLayout::Solid {
                    chunk_size: VICTIM_CHUNK_SIZE,
                    format: VICTIM_SOLID_FORMAT,
                };
            }
            M::IntegrityHashMismatch | M::IntegrityCountTooLarge | M::IntegrityChunkSizeZero => {
                b.integrity_chunk_size = Some(16384);
            }
            _ => {}
        }
        b
    }

    /// Applies the mutation to [`Mutation::base`].
    pub fn apply(&self) -> Mutated {
        self.apply_to(&self.base())
    }

    /// Applies the mutation to `base` (which must contain the victim's paths).
    pub fn apply_to(&self, base: &WimBuilder) -> Mutated {
        let mut b = base.clone();
        b.mutation = None;
        let baseline: Vec<BuiltWim> = if self.is_split() {
            b.build_split(2)
        } else {
            vec![b.build()]
        };
        self.describe(&mut b);
        b.mutation = Some(*self);
        let built: Vec<BuiltWim> = if self.is_split() {
            b.build_split(2)
        } else {
            vec![b.build()]
        };
        let changed_part = if self.is_split() { 1 } else { 0 };
        let change = self.region(&built[changed_part]);
        Mutated {
            mutation: *self,
            layout: built[changed_part].layout.clone(),
            parts: built.into_iter().map(|w| w.bytes).collect(),
            baseline_parts: baseline.into_iter().map(|w| w.bytes).collect(),
            changed_part,
            change,
        }
    }

    /// Phase 1: edits of the tree description.
    fn describe(&self, b: &mut WimBuilder) {
        let root = &mut b.images[0].root;
        let rename = |root: &mut Node, path: &str, name: Vec<u16>| {
            find_mut(root, path).name = name;
        };
        match self {
            M::DotName => rename(root, "/b.txt", utf16(".")),
            M::DotDotName => rename(root, "/b.txt", utf16("..")),
            M::EmptyName => rename(root, "/b.txt", Vec::new()),
            M::NameWithSlash => rename(root, "/b.txt", utf16("b/x.txt")),
            M::NameWithBackslash => rename(root, "/b.txt", utf16("b\\x.txt")),
            M::NameWithNul => rename(root, "/b.txt", utf16("b\0x.txt")),
            M::DuplicateNames => rename(root, "/b.txt", utf16("a.txt")),
            M::UnpairedHighSurrogate => rename(root, "/b.txt", vec![0x62, 0xD800, 0x2E, 0x74]),
            M::UnpairedLowSurrogate => rename(root, "/b.txt", vec![0x62, 0xDC00, 0x2E, 0x74]),
            M::HardLinkedDirectories => {
                find_mut(root, "/dir").link_group = 77;
                find_mut(root, "/dir/sub").link_group = 77;
            }
            M::HardLinkContentMismatch => {
                if let crate::builder::NodeKind::File(d) = &mut find_mut(root, "/dir/hl2").kind {
                    d[0] ^= 0xFF;
                }
            }
            M::SecurityIdOutOfRange => find_mut(root, "/b.txt").security_id = 99,
            _ => {}
        }
    }

    /// Where the change is expected in the built (mutated) file.
    fn region(&self, w: &BuiltWim) -> Change {
        let l = &w.layout;
        let meta = l.metadata.first().map(|m| m.range.clone()).unwrap_or(0..0);
        let hdr = |off: usize, len: usize| Change::Bytes(off as u64..(off + len) as u64);
        let first_blob_entry = l
            .blobs
            .first()
            .map(|b| entry_off(l, b.blob_table_index))
            .unwrap_or(0);
        let meta_entry = l
            .metadata
            .first()
            .map(|m| entry_off(l, m.blob_table_index))
            .unwrap_or(0);
        let c_bin = l
            .blobs
            .iter()
            .find(|b| b.size == 70_000)
            .map(|b| b.range.clone())
            .unwrap_or(0..0);
        match self {
            M::BadMagic => hdr(hdr::MAGIC, 8),
            M::HeaderSizeWrong => hdr(hdr::HEADER_SIZE, 4),
            M::UnsupportedVersion => hdr(hdr::VERSION, 4),
            M::TruncatedHeader => Change::TruncatedTo(100),
            M::CompressionFlagWithoutType | M::TwoCompressionTypes | M::LzmsInNonSolidVersion => {
                hdr(hdr::FLAGS, 4)
            }
            M::BadChunkSize => hdr(hdr::CHUNK_SIZE, 4),
            M::ImageCountTooHigh | M::ImageCountZero => hdr(hdr::IMAGE_COUNT, 4),
            M::BootIndexOutOfRange => hdr(hdr::BOOT_INDEX, 4),
            M::PartNumberZero | M::PartNumberAboveTotal => hdr(hdr::PART_NUMBER, 4),
            M::BlobTableSizeNotMultiple | M::BlobTableBeyondEof => hdr(hdr::BLOB_TABLE, 24),
            M::TruncatedBlobTable => Change::TruncatedTo(l.blob_table.start + 75),
            M::BlobOffsetBeyondEof | M::BlobSizePetabytes | M::UncompressedSizeMismatch => {
                Change::Bytes(first_blob_entry..first_blob_entry + 24)
            }
            M::BlobHashMismatch => Change::Bytes(l.blobs[0].range.clone()),
            M::MetadataFlagMissing | M::MetadataRefcountTwo | M::MetadataSizePetabytes => {
                Change::Bytes(meta_entry..meta_entry + 50)
            }
            // The kept prefix is identical: the first difference is where the cut resource
            // now ends.
            M::MetadataTruncated => Change::Bytes(meta.end..meta.end + 1),
            M::MetadataHashMismatch
            | M::SecurityLengthTooLarge
            | M::SecurityCountHuge
            | M::SecuritySizeOverflow
            | M::RootNotDirectory => Change::Bytes(meta),
            M::MissingBlob | M::TaggedItemOverrun | M::FileWithChildren => {
                Change::Bytes(dentry_range(l, "/a.txt"))
            }
            M::CyclicDirectory => Change::Bytes(dentry_range(l, "/dir/sub")),
            M::DirectoryIsOwnChild | M::SubdirOffsetOutOfBounds | M::SubdirOffsetIntoDentry => {
                Change::Bytes(dentry_range(l, "/dir"))
            }
            M::DotName
            | M::DotDotName
            | M::EmptyName
            | M::NameWithSlash
            | M::NameWithBackslash
            | M::NameWithNul
            | M::DuplicateNames
            | M::UnpairedHighSurrogate
            | M::UnpairedLowSurrogate
            | M::HardLinkedDirectories
            | M::SecurityIdOutOfRange => Change::Bytes(meta),
            M::OddNameLength
            | M::NameLengthBeyondDentry
            | M::DentryLengthTooSmall
            | M::DentryLengthBeyondResource => Change::Bytes(dentry_range(l, "/b.txt")),
            M::StreamCountTooLarge | M::StreamEntryLengthZero => {
                Change::Bytes(dentry_range(l, "/ads.txt"))
            }
            M::HardLinkContentMismatch => {
                Change::Bytes(crate::builder::HEADER_LEN as u64..l.metadata[0].range.end)
            }
            M::ChunkOffsetOutsideResource
            | M::ChunkTableNotIncreasing
            | M::ChunkLargerThanChunkSize
            | M::ChunkSizeZero => Change::Bytes(c_bin.start..c_bin.start + 8),
            M::ChunkedResourceBeyondEof => {
                let idx = l
                    .blobs
                    .iter()
                    .find(|b| b.size == 70_000)
                    .map(|b| b.blob_table_index)
                    .unwrap_or(0);
                let e = entry_off(l, idx);
                Change::Bytes(e..e + 24)
            }
            M::SolidOverlappingBlobs | M::SolidBlobBeyondResource => {
                let e = entry_off(l, l.blobs[1].blob_table_index);
                Change::Bytes(e..e + 24)
            }
            M::SolidUnknownFormat | M::SolidChunkSizeZero | M::SolidSizePetabytes => {
                let s = l.solid.as_ref().map(|s| s.range.start).unwrap_or(0);
                Change::Bytes(s..s + 16)
            }
            M::SolidChunkAboveChunkSize => {
                let s = l.solid.as_ref().map(|s| s.chunk_sizes_offset).unwrap_or(0);
                Change::Bytes(s..s + 4)
            }
            M::SolidInOldVersion => hdr(hdr::VERSION, 4),
            M::XmlTruncated | M::XmlOddLength | M::XmlBeyondEof => hdr(hdr::XML, 24),
            M::XmlBroken
            | M::XmlMissingBom
            | M::XmlEncryptedEsd
            | M::XmlExtraImage
            | M::XmlMissingImage
            | M::XmlBadIndex => Change::Bytes(l.xml.start..l.xml.end + 1),
            M::IntegrityHashMismatch | M::IntegrityCountTooLarge | M::IntegrityChunkSizeZero => {
                Change::Bytes(l.integrity.clone().unwrap_or(0..0))
            }
            M::SplitGuidMismatch => hdr(hdr::GUID, 16),
            M::SplitDuplicatePartNumber | M::SplitTotalPartsMismatch => hdr(hdr::PART_NUMBER, 4),
        }
    }
}

/// Phase 2 (called by the builder): edits of image `idx`'s uncompressed metadata before its
/// hash is taken.
pub(crate) fn patch_metadata(m: &Mutation, idx: usize, meta: &mut Vec<u8>, loc: &mut MetadataLoc) {
    if idx != 0 {
        return;
    }
    let d = |p: &str| {
        loc.dentry(p)
            .unwrap_or_else(|| panic!("victim has no {p}"))
            .clone()
    };
    match m {
        M::MetadataTruncated => meta.truncate(loc.security_len as usize + 60),
        M::MissingBlob => {
            let a = d("/a.txt");
            meta[a.offset as usize + 0x40..a.offset as usize + 0x54].fill(0xAB);
        }
        M::CyclicDirectory => {
            let sub = d("/dir/sub");
            put_u64(meta, sub.offset + 0x10, loc.dentries[0].subdir_offset);
        }
        M::DirectoryIsOwnChild => {
            let dir = d("/dir");
            put_u64(meta, dir.offset + 0x10, dir.parent_list);
        }
        M::SubdirOffsetOutOfBounds => {
            let dir = d("/dir");
            let beyond = meta.len() as u64 + 800;
            put_u64(meta, dir.offset + 0x10, beyond);
        }
        M::SubdirOffsetIntoDentry => {
            let dir = d("/dir");
            put_u64(meta, dir.offset + 0x10, d("/dir/c.bin").offset + 4);
        }
        M::FileWithChildren => {
            let a = d("/a.txt");
            put_u64(meta, a.offset + 0x10, d("/dir").subdir_offset);
        }
        M::RootNotDirectory => put_u32(meta, loc.dentries[0].offset + 8, 0x80),
        M::OddNameLength => {
            let b = d("/b.txt");
            put_u16(meta, b.offset + 0x64, 9);
        }
        M::NameLengthBeyondDentry => {
            let b = d("/b.txt");
            put_u16(meta, b.offset + 0x64, 0xFFFE);
        }
        M::DentryLengthTooSmall => put_u64(meta, d("/b.txt").offset, 50),
        M::DentryLengthBeyondResource => {
            let len = meta.len() as u64 * 2;
            put_u64(meta, d("/b.txt").offset, len)
        }
        M::SecurityLengthTooLarge => {
            let len = meta.len() as u32 + 64;
            put_u32(meta, 0, len)
        }
        M::SecurityCountHuge => put_u32(meta, 4, 0x8000_0001),
        M::SecuritySizeOverflow => put_u64(meta, 8, u64::MAX - 4),
        M::StreamCountTooLarge => put_u16(meta, d("/ads.txt").offset + 0x60, 200),
        M::StreamEntryLengthZero => {
            let a = d("/ads.txt");
            put_u64(meta, a.offset + a.length, 0);
        }
        M::TaggedItemOverrun => {
            let a = d("/a.txt");
            // The tagged item is the last 24 bytes of the dentry proper.
            put_u32(meta, a.offset + a.length - 20, 0xFFFF);
        }
        _ => {}
    }
}

/// Phase 3 (called by the builder): edits of the XML text and BOM.
pub(crate) fn patch_xml(m: &Mutation, xml: &mut String, bom: &mut bool) {
    match m {
        M::XmlBroken => *xml = xml.replace("</WIM>", ""),
        M::XmlMissingBom => *bom = false,
        M::XmlEncryptedEsd => {
            *xml = xml.replace("</WIM>", "<ESD><ENCRYPTED>1</ENCRYPTED></ESD></WIM>");
        }
        M::XmlExtraImage => {
            if let Some(p) = xml.rfind("<TOTALBYTES>") {
                let n = xml.matches("<IMAGE INDEX=").count() + 1;
                xml.insert_str(p, &format!("<IMAGE INDEX=\"{n}\"><NAME>ghost</NAME><DIRCOUNT>1</DIRCOUNT><FILECOUNT>0</FILECOUNT><TOTALBYTES>0</TOTALBYTES><HARDLINKBYTES>0</HARDLINKBYTES></IMAGE>"));
            }
        }
        M::XmlMissingImage => {
            if let (Some(s), Some(e)) = (xml.rfind("<IMAGE INDEX="), xml.rfind("</IMAGE>")) {
                xml.replace_range(s..e + "</IMAGE>".len(), "");
            }
        }
        M::XmlBadIndex => *xml = xml.replacen("<IMAGE INDEX=\"1\">", "<IMAGE INDEX=\"7\">", 1),
        _ => {}
    }
}

/// Phase 4 (called by the builder): edits of the finished bytes.
pub(crate) fn patch_bytes(m: &Mutation, w: &mut BuiltWim) {
    let l = w.layout.clone();
    let b = &mut w.bytes;
    let part = crate::builder::le_u32(b, hdr::PART_NUMBER) & 0xFFFF;
    let first_blob = l.blobs.first().cloned();
    let c_bin = l.blobs.iter().find(|x| x.size == 70_000).cloned();
    match m {
        M::BadMagic => b[0..8].copy_from_slice(b"MSWIX\0\0\0"),
        M::HeaderSizeWrong => put_u32(b, hdr::HEADER_SIZE as u64, 200),
        M::UnsupportedVersion => put_u32(b, hdr::VERSION as u64, 0x10B00),
        M::TruncatedHeader => b.truncate(100),
        M::CompressionFlagWithoutType => {
            let f = get_u32(b, hdr::FLAGS as u64) | HDR_FLAG_COMPRESSION;
            put_u32(b, hdr::FLAGS as u64, f)
        }
        M::TwoCompressionTypes => {
            let f = get_u32(b, hdr::FLAGS as u64) | HDR_FLAG_LZX;
            put_u32(b, hdr::FLAGS as u64, f)
        }
        M::LzmsInNonSolidVersion => {
            let f = (get_u32(b, hdr::FLAGS as u64) & !HDR_FLAG_XPRESS) | HDR_FLAG_LZMS;
            put_u32(b, hdr::FLAGS as u64, f)
        }
        M::BadChunkSize => put_u32(b, hdr::CHUNK_SIZE as u64, 12345),
        M::ImageCountTooHigh => {
            let n = get_u32(b, hdr::IMAGE_COUNT as u64) + 1;
            put_u32(b, hdr::IMAGE_COUNT as u64, n)
        }
        M::ImageCountZero => put_u32(b, hdr::IMAGE_COUNT as u64, 0),
        M::BootIndexOutOfRange => put_u32(b, hdr::BOOT_INDEX as u64, 9),
        M::PartNumberZero => put_u16(b, hdr::PART_NUMBER as u64, 0),
        M::PartNumberAboveTotal => put_u16(b, hdr::PART_NUMBER as u64, 3),
        M::BlobTableSizeNotMultiple => {
            let n = l.blob_table.end - l.blob_table.start - 7;
            put_size56(b, hdr::BLOB_TABLE as u64, n);
            put_u64(b, hdr::BLOB_TABLE as u64 + 16, n);
        }
        M::BlobTableBeyondEof => put_u64(b, hdr::BLOB_TABLE as u64 + 8, l.file_len + 1000),
        M::TruncatedBlobTable => b.truncate((l.blob_table.start + 75) as usize),
        M::BlobOffsetBeyondEof => {
            let e = entry_off(&l, first_blob.map(|x| x.blob_table_index).unwrap_or(0));
            put_u64(b, e + 8, 1 << 40);
        }
        M::BlobHashMismatch => {
            if let Some(x) = first_blob {
                b[x.data_offset as usize] ^= 0x01;
            }
        }
        M::BlobSizePetabytes => {
            let e = entry_off(&l, first_blob.map(|x| x.blob_table_index).unwrap_or(0));
            put_size56(b, e, 1 << 52);
            put_u64(b, e + 16, 1 << 52);
        }
        M::UncompressedSizeMismatch => {
            if let Some(x) = first_blob {
                let e = entry_off(&l, x.blob_table_index);
                put_u64(b, e + 16, x.size + 1);
            }
        }
        M::MetadataFlagMissing => {
            for md in &l.metadata {
                let e = entry_off(&l, md.blob_table_index);
                b[e as usize + 7] &= !RES_METADATA;
            }
        }
        M::MetadataRefcountTwo => {
            let e = entry_off(&l, l.metadata[0].blob_table_index);
            put_u32(b, e + 26, 2);
        }
        M::MetadataHashMismatch => {
            let md = &l.metadata[0];
            // Flip a byte of the root dentry's creation time.
            let off = md.data_offset.unwrap_or(md.range.start) + md.security_len + 0x28;
            b[off as usize] ^= 0x5A;
        }
        M::MetadataSizePetabytes => {
            let e = entry_off(&l, l.metadata[0].blob_table_index);
            put_u64(b, e + 16, 1 << 50);
        }
        M::ChunkOffsetOutsideResource => {
            if let Some(x) = c_bin {
                put_u32(b, x.range.start + 4, 0x7FFF_FFF0);
            }
        }
        M::ChunkTableNotIncreasing => {
            if let Some(x) = c_bin {
                let e0 = get_u32(b, x.range.start);
                let e1 = get_u32(b, x.range.start + 4);
                put_u32(b, x.range.start, e1);
                put_u32(b, x.range.start + 4, e0);
            }
        }
        M::ChunkLargerThanChunkSize => {
            if let Some(x) = c_bin {
                put_u32(b, x.range.start, VICTIM_CHUNK_SIZE + 100);
            }
        }
        M::ChunkSizeZero => {
            if let Some(x) = c_bin {
                // Last chunk starts where the resource ends → size 0.
                let table = x.data_offset - x.range.start;
                let data_len = x.range.end - x.data_offset;
                put_u32(b, x.range.start + table - 4, data_len as u32);
            }
        }
        M::ChunkedResourceBeyondEof => {
            if let Some(x) = c_bin {
                let e = entry_off(&l, x.blob_table_index);
                put_size56(b, e, l.file_len * 2);
            }
        }
        M::SolidOverlappingBlobs => {
            let e = entry_off(&l, l.blobs[1].blob_table_index);
            let first_off =
                crate::builder::le_u64(b, entry_off(&l, l.blobs[0].blob_table_index) as usize + 8);
            put_u64(b, e + 8, first_off + 1);
        }
        M::SolidBlobBeyondResource => {
            let e = entry_off(&l, l.blobs[1].blob_table_index);
            let total: u64 = l.blobs.iter().map(|x| x.size).sum();
            put_u64(b, e + 8, total - 1);
        }
        M::SolidUnknownFormat => {
            if let Some(s) = &l.solid {
                put_u32(b, s.range.start + 12, 9);
            }
        }
        M::SolidChunkSizeZero => {
            if let Some(s) = &l.solid {
                put_u32(b, s.range.start + 8, 0);
            }
        }
        M::SolidSizePetabytes => {
            if let Some(s) = &l.solid {
                put_u64(b, s.range.start, 1 << 50);
            }
        }
        M::SolidChunkAboveChunkSize => {
            if let Some(s) = &l.solid {
                put_u32(b, s.chunk_sizes_offset, VICTIM_CHUNK_SIZE + 1);
            }
        }
        M::SolidInOldVersion => put_u32(b, hdr::VERSION as u64, VERSION_DEFAULT),
        M::XmlTruncated => {
            let n = (l.xml.end - l.xml.start) / 2;
            put_size56(b, hdr::XML as u64, n);
            put_u64(b, hdr::XML as u64 + 16, n);
        }
        M::XmlOddLength => {
            let n = l.xml.end - l.xml.start - 1;
            put_size56(b, hdr::XML as u64, n);
            put_u64(b, hdr::XML as u64 + 16, n);
        }
        M::XmlBeyondEof => put_u64(b, hdr::XML as u64 + 8, l.file_len + 10),
        M::IntegrityHashMismatch => {
            if let Some(r) = &l.integrity {
                b[r.start as usize + 12] ^= 0xFF;
            }
        }
        M::IntegrityCountTooLarge => {
            if let Some(r) = &l.integrity {
                let n = get_u32(b, r.start + 4) + 5;
                put_u32(b, r.start + 4, n);
            }
        }
        M::IntegrityChunkSizeZero => {
            if let Some(r) = &l.integrity {
                put_u32(b, r.start + 8, 0);
            }
        }
        M::SplitGuidMismatch if part == 2 => b[hdr::GUID] ^= 0xFF,
        M::SplitDuplicatePartNumber if part == 2 => put_u16(b, hdr::PART_NUMBER as u64, 1),
        M::SplitTotalPartsMismatch if part == 2 => put_u16(b, hdr::TOTAL_PARTS as u64, 3),
        _ => {}
    }
    w.layout.file_len = w.bytes.len() as u64;
}
