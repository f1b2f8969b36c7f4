//! Plain data the commands print: the thin adapter between the library and the text
//! formats.
//!
//! Every struct here is what one wimlib-imagex report needs and nothing more, filled
//! from the library (see [`backend`]) and rendered by [`crate::format`] (exact wimlib
//! text) or serde (our `--json` extension). Keeping the structs dumb means the text
//! formatters can be tested against captured wimlib output without any WIM reader.

use serde::Serialize;

/// FILETIME: 100-nanosecond intervals since 1601-01-01 UTC (as stored in WIM files).
pub type FileTime = u64;

/// A 20-byte SHA-1 digest as stored in WIM blob tables and dentries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Digest(pub [u8; 20]);

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::format::hex(&self.0))
    }
}

/// Compression type named in the WIM header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Compression {
    /// No compression.
    None,
    /// XPRESS (Huffman variant).
    Xpress,
    /// LZX.
    Lzx,
    /// LZMS.
    Lzms,
}

impl Compression {
    /// The word wimlib-imagex prints ("None", "XPRESS", "LZX", "LZMS").
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "None",
            Compression::Xpress => "XPRESS",
            Compression::Lzx => "LZX",
            Compression::Lzms => "LZMS",
        }
    }
}

/// The whole-file part of `info` ("WIM Information:").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WimSummary {
    /// The path exactly as given on the command line.
    pub path: String,
    /// The 16-byte GUID from the header, in file byte order.
    pub guid: [u8; 16],
    /// Header version (0x10d00 for WIM, 0xe00 for solid/ESD).
    pub version: u32,
    /// Number of images (header).
    pub image_count: u32,
    /// Compression type (header flags).
    pub compression: Compression,
    /// Chunk size in bytes (0 when uncompressed).
    pub chunk_size: u32,
    /// 1-based part number of this file.
    pub part_number: u16,
    /// Number of parts in the split set.
    pub total_parts: u16,
    /// Boot image index (0 = none).
    pub boot_index: u32,
    /// `<WIM><TOTALBYTES>` from the XML data (0 when absent).
    pub total_bytes: u64,
    /// Header flags (raw); the attribute words are derived from them.
    pub header_flags: u32,
    /// The file has an integrity table.
    pub has_integrity: bool,
    /// The file is a pipable WIM (magic `WLPWM\0\0\0`).
    pub pipable: bool,
}

/// Windows-specific details of an image (`<WINDOWS>` in the XML).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct WindowsInfo {
    /// `<ARCH>` (0 when absent).
    pub arch: u64,
    /// `<PRODUCTNAME>`.
    pub product_name: Option<String>,
    /// `<EDITIONID>`.
    pub edition_id: Option<String>,
    /// `<INSTALLATIONTYPE>`.
    pub installation_type: Option<String>,
    /// `<HAL>`.
    pub hal: Option<String>,
    /// `<PRODUCTTYPE>`.
    pub product_type: Option<String>,
    /// `<PRODUCTSUITE>`.
    pub product_suite: Option<String>,
    /// `<LANGUAGES><LANGUAGE>…`, `None` when there is no `<LANGUAGES>` element.
    pub languages: Option<Vec<String>>,
    /// `<LANGUAGES><DEFAULT>`.
    pub default_language: Option<String>,
    /// `<SYSTEMROOT>`.
    pub system_root: Option<String>,
    /// `<VERSION>`, `None` when the element is absent.
    pub version: Option<WindowsVersion>,
}

/// `<WINDOWS><VERSION>`: missing children count as 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct WindowsVersion {
    /// `<MAJOR>`.
    pub major: u64,
    /// `<MINOR>`.
    pub minor: u64,
    /// `<BUILD>`.
    pub build: u64,
    /// `<SPBUILD>`.
    pub sp_build: u64,
    /// `<SPLEVEL>`.
    pub sp_level: u64,
}

/// One image as shown under "Available Images:" or "Information for Image N".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ImageSummary {
    /// 1-based index.
    pub index: u32,
    /// `<NAME>` ("" when absent).
    pub name: String,
    /// `<DESCRIPTION>` ("" when absent).
    pub description: String,
    /// `<DISPLAYNAME>`.
    pub display_name: Option<String>,
    /// `<DISPLAYDESCRIPTION>`.
    pub display_description: Option<String>,
    /// `<DIRCOUNT>`.
    pub dir_count: u64,
    /// `<FILECOUNT>`.
    pub file_count: u64,
    /// `<TOTALBYTES>`.
    pub total_bytes: u64,
    /// `<HARDLINKBYTES>`.
    pub hard_link_bytes: u64,
    /// `<CREATIONTIME>` as FILETIME.
    pub creation_time: FileTime,
    /// `<LASTMODIFICATIONTIME>` as FILETIME.
    pub last_modification_time: FileTime,
    /// `<WINDOWS>`, when present.
    pub windows: Option<WindowsInfo>,
    /// `<FLAGS>`.
    pub flags: Option<String>,
    /// `<WIMBOOT>` is 1.
    pub wimboot: bool,
}

/// A resource header as printed by `info --header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ReshdrView {
    /// Stored size (56 bits).
    pub size: u64,
    /// Resource flags byte.
    pub flags: u8,
    /// File offset.
    pub offset: u64,
    /// Uncompressed size.
    pub original_size: u64,
}

/// Every field of the 208-byte header (`info --header`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderView {
    /// The 8 magic bytes.
    pub magic: [u8; 8],
    /// Header size field.
    pub header_size: u32,
    /// Version field.
    pub version: u32,
    /// Flags field.
    pub flags: u32,
    /// Chunk size field.
    pub chunk_size: u32,
    /// GUID bytes.
    pub guid: [u8; 16],
    /// Part number.
    pub part_number: u16,
    /// Total parts.
    pub total_parts: u16,
    /// Image count.
    pub image_count: u32,
    /// Blob table resource header.
    pub blob_table: ReshdrView,
    /// XML data resource header.
    pub xml: ReshdrView,
    /// Boot metadata resource header.
    pub boot_metadata: ReshdrView,
    /// Boot index.
    pub boot_index: u32,
    /// Integrity table resource header.
    pub integrity: ReshdrView,
}

/// Where a blob's bytes live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BlobLocation {
    /// Its own resource.
    Plain {
        /// Stored size.
        compressed_size: u64,
        /// File offset.
        offset: u64,
    },
    /// Inside a solid resource.
    Solid {
        /// Uncompressed size of the whole solid resource.
        resource_uncompressed_size: u64,
        /// Stored size of the whole solid resource.
        resource_compressed_size: u64,
        /// File offset of the solid resource.
        resource_offset: u64,
        /// Offset of this blob inside the uncompressed solid resource.
        offset_in_resource: u64,
    },
}

/// One blob-table row (`info --blobs`, and the stream blocks of `dir --detailed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BlobView {
    /// SHA-1 of the uncompressed data.
    pub hash: Digest,
    /// Uncompressed size.
    pub size: u64,
    /// Where it is stored.
    pub location: BlobLocation,
    /// Part number holding it.
    pub part_number: u16,
    /// Reference count.
    pub refcount: u32,
    /// Resource flags (`WIM_RESHDR_FLAG_*`).
    pub flags: u8,
}

impl BlobView {
    /// The all-zero row wimlib prints for a stream with no data (empty file, directory).
    pub fn empty() -> Self {
        BlobView {
            hash: Digest::default(),
            size: 0,
            location: BlobLocation::Plain {
                compressed_size: 0,
                offset: 0,
            },
            part_number: 0,
            refcount: 0,
            flags: 0,
        }
    }
}

/// Kind of a stream shown by `dir --detailed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum StreamKind {
    /// The unnamed data stream.
    Unnamed,
    /// The reparse point data.
    ReparsePoint,
    /// A named (alternate) data stream.
    Named(String),
}

/// One stream of a file with its blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamView {
    /// Which stream.
    pub kind: StreamKind,
    /// Its blob; [`BlobView::empty`] when it has no data.
    pub blob: BlobView,
}

/// UNIX owner and mode stored by `--unix-data` captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UnixData {
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// `st_mode`.
    pub mode: u32,
    /// Device number.
    pub rdev: u32,
}

/// NTFS object ID (16 bytes each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ObjectIdView {
    /// Object ID.
    pub object_id: [u8; 16],
    /// Birth volume ID.
    pub birth_volume_id: [u8; 16],
    /// Birth object ID.
    pub birth_object_id: [u8; 16],
}

/// One file or directory (`dir`, `dir --detailed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirEntryView {
    /// Absolute path with `/` separators, root = "/".
    pub path: String,
    /// DOS short name ("" when none).
    pub short_name: String,
    /// `FILE_ATTRIBUTE_*` bits.
    pub attributes: u32,
    /// Raw security descriptor, `None` when the file has none.
    pub security_descriptor: Option<Vec<u8>>,
    /// Creation time.
    pub creation_time: FileTime,
    /// Last write time.
    pub last_write_time: FileTime,
    /// Last access time.
    pub last_access_time: FileTime,
    /// Reparse tag when the file is a reparse point.
    pub reparse_tag: Option<u32>,
    /// Hard-link group ID (0 = not hard linked).
    pub link_group_id: u64,
    /// Number of names of this inode in the image.
    pub link_count: u32,
    /// UNIX data, when present.
    pub unix_data: Option<UnixData>,
    /// NTFS object ID, when present.
    pub object_id: Option<ObjectIdView>,
    /// Streams in wimlib's display order.
    pub streams: Vec<StreamView>,
}

/// A non-fatal message wimlib-imagex prints as `[WARNING] ...` on stderr.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning(pub String);

pub mod backend {
    //! The calls into the library. FIXME(wire): every function returns
    //! [`CliError::not_wired`] until `wim-format`'s `Wim` and the metadata/XML readers
    //! land on main; then each body becomes a few lines of field copying.

    use super::{BlobView, DirEntryView, HeaderView, ImageSummary, Warning, WimSummary};
    use crate::error::CliError;

    /// What `info` needs from an opened WIM.
    #[derive(Debug, Clone)]
    pub struct WimInfo {
        /// "WIM Information:" block.
        pub summary: WimSummary,
        /// Every image's XML summary, index order.
        pub images: Vec<ImageSummary>,
        /// The raw header.
        pub header: HeaderView,
        /// The raw XML document (UTF-16LE with BOM) for `--xml`.
        pub xml: Vec<u8>,
    }

    /// Options for opening.
    #[derive(Debug, Clone, Default)]
    pub struct OpenOptions {
        /// Verify the integrity table while opening (`--check`).
        pub check_integrity: bool,
        /// Extra split parts / delta bases (`--ref`), already glob-expanded.
        pub refs: Vec<String>,
    }

    /// One step reported by [`verify`], rendered by `cmd::verify`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum VerifyEvent {
        /// The file has no integrity table (a warning is printed).
        NoIntegrity,
        /// Integrity table check progress; `abs_path` is the canonical file path.
        IntegrityProgress {
            /// Canonical path of the WIM.
            abs_path: String,
            /// Bytes checked.
            done: u64,
            /// Bytes to check.
            total: u64,
        },
        /// Starting to check image `index` of `count`.
        Metadata {
            /// 1-based index.
            index: u32,
            /// Image count.
            count: u32,
        },
        /// First part of a split set verified without `--ref`.
        SplitHint,
        /// File-data check progress.
        DataProgress {
            /// Bytes checked.
            done: u64,
            /// Bytes to check.
            total: u64,
        },
        /// A non-fatal problem.
        Warning(Warning),
    }

    /// Full verification (header, tables, integrity, metadata, every blob).
    pub fn verify(
        path: &str,
        opts: &OpenOptions,
        check_integrity: bool,
        on_event: &mut dyn FnMut(VerifyEvent) -> Result<(), CliError>,
    ) -> Result<(), CliError> {
        let _ = (path, opts, check_integrity, on_event);
        Err(CliError::not_wired("verify"))
    }

    /// Extracts images `indices` to `target` (one subdirectory each when several).
    pub fn apply(
        path: &str,
        opts: &OpenOptions,
        indices: &[u32],
        target: &str,
        unix_data: bool,
        on_progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), CliError> {
        let _ = (path, opts, indices, target, unix_data, on_progress);
        Err(CliError::not_wired("apply"))
    }

    /// What `extract` was asked to do.
    #[derive(Debug, Clone, Default)]
    pub struct ExtractRequest {
        /// 1-based image.
        pub index: u32,
        /// In-image paths or globs.
        pub paths: Vec<String>,
        /// Destination directory.
        pub dest_dir: String,
        /// Write file data to stdout instead.
        pub to_stdout: bool,
        /// Keep full paths below `dest_dir`.
        pub preserve_dir_structure: bool,
        /// Paths are literal.
        pub no_globs: bool,
        /// Unmatched globs are not an error.
        pub nullglob: bool,
        /// Restore UNIX data.
        pub unix_data: bool,
    }

    /// Extracts the requested paths.
    pub fn extract(
        path: &str,
        opts: &OpenOptions,
        req: &ExtractRequest,
        on_progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), CliError> {
        let _ = (path, opts, req, on_progress);
        Err(CliError::not_wired("extract"))
    }

    /// Opens `path` and reads header, blob-table summary and XML.
    pub fn open_info(path: &str, opts: &OpenOptions) -> Result<WimInfo, CliError> {
        let _ = (path, opts);
        Err(CliError::not_wired("open"))
    }

    /// Every blob-table row, in table order (`info --blobs`).
    pub fn blobs(path: &str) -> Result<Vec<BlobView>, CliError> {
        let _ = path;
        Err(CliError::not_wired("blob table"))
    }

    /// Walks image `index` (1-based) in wimlib's order, from `start` (a path in the
    /// image), calling `visit` for each entry; `recursive = false` visits `start` only.
    pub fn walk(
        path: &str,
        opts: &OpenOptions,
        index: u32,
        start: &str,
        recursive: bool,
        visit: &mut dyn FnMut(&DirEntryView) -> Result<(), CliError>,
        warn: &mut dyn FnMut(Warning),
    ) -> Result<(), CliError> {
        let _ = (path, opts, index, start, recursive, visit, warn);
        Err(CliError::not_wired("metadata"))
    }
}
