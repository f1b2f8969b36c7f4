//! Plain data the commands print: the thin adapter between the library and the text
//! formats.
//!
//! Every struct here is what one wimlib-imagex report needs and nothing more, filled
//! from the library (see [`backend`]) and rendered by [`crate::format`] (exact wimlib
//! text) or serde (our `--json` extension). Keeping the structs dumb means the text
//! formatters can be tested against captured wimlib output without any WIM reader.

use serde::Serialize;

/// Serializes bytes as a lowercase hex string (JSON output).
fn hex_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::format::hex(b))
}

/// Serializes optional bytes as a hex string or null.
fn hex_opt<S: serde::Serializer>(b: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => s.serialize_str(&crate::format::hex(b)),
        None => s.serialize_none(),
    }
}

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
    #[serde(serialize_with = "hex_bytes")]
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
    #[serde(serialize_with = "hex_bytes")]
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
    #[serde(serialize_with = "hex_bytes")]
    pub object_id: [u8; 16],
    /// Birth volume ID.
    #[serde(serialize_with = "hex_bytes")]
    pub birth_volume_id: [u8; 16],
    /// Birth object ID.
    #[serde(serialize_with = "hex_bytes")]
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
    #[serde(serialize_with = "hex_opt")]
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
    //! The calls into the library: open a WIM (or split set) with `wim-format`, and copy
    //! what each report needs into the plain structs above. `apply`/`extract` remain
    //! stubs here; those commands call `servicing` directly.

    use super::{
        BlobLocation, BlobView, Compression, Digest, DirEntryView, HeaderView, ImageSummary,
        ObjectIdView, ReshdrView, StreamKind, StreamView, UnixData, Warning, WimSummary,
        WindowsInfo, WindowsVersion,
    };
    use crate::error::{CliError, ErrorCode};
    use std::sync::mpsc;
    use wim_format::blob_table::{BlobEntry, BlobLocation as LibLocation};
    use wim_format::error::UsageError;
    use wim_format::header::Compression as LibCompression;
    use wim_format::metadata::{ImageMetadata, NameProblem, NodeId, WalkOptions, WalkOrder};
    use wim_format::ondisk::reshdr::RawReshdr;
    use wim_format::wim::{IntegrityStatus, NoopVisitor};
    use wim_format::xml::WimInfo as XmlInfo;
    use wim_format::{Error, FormatError, FormatErrorKind, ImageIndex, Sha1Digest, Wim};

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

    /// The one-line description of a library error: what is wrong and where.
    pub fn describe(path: &str, e: &Error) -> String {
        format!("\"{path}\": {e}")
    }

    /// wimlib's error code for a library error.
    pub fn code_of(e: &Error) -> ErrorCode {
        match e {
            Error::Io { offset: None, .. } => ErrorCode::Open,
            Error::Io { .. } => ErrorCode::Read,
            Error::Format(f) => match f.kind() {
                FormatErrorKind::NotAWim => ErrorCode::NotAWimFile,
                FormatErrorKind::BadHeader => ErrorCode::InvalidHeader,
                FormatErrorKind::BadVersion => ErrorCode::UnknownVersion,
                FormatErrorKind::BadChunkSize => ErrorCode::InvalidChunkSize,
                FormatErrorKind::BadResourceHeader | FormatErrorKind::BadBlobTable => {
                    ErrorCode::InvalidLookupTableEntry
                }
                FormatErrorKind::BadResource | FormatErrorKind::Decompression => {
                    ErrorCode::Decompression
                }
                FormatErrorKind::BadMetadata
                | FormatErrorKind::CyclicTree
                | FormatErrorKind::BadName
                | FormatErrorKind::DuplicateName => ErrorCode::InvalidMetadataResource,
                FormatErrorKind::HashMismatch => ErrorCode::InvalidResourceHash,
                FormatErrorKind::BadIntegrityTable => ErrorCode::Integrity,
                FormatErrorKind::BadXml => ErrorCode::Xml,
                FormatErrorKind::BadUtf16 => ErrorCode::InvalidUtf16String,
                FormatErrorKind::SplitMismatch => ErrorCode::SplitInvalid,
                FormatErrorKind::MissingBlob => ErrorCode::ResourceNotFound,
                FormatErrorKind::Truncated => ErrorCode::UnexpectedEndOfFile,
                FormatErrorKind::ImageCountMismatch => ErrorCode::ImageCount,
                _ => ErrorCode::InvalidParam,
            },
            Error::Unsupported(_) => ErrorCode::Unsupported,
            Error::LimitExceeded { .. } => ErrorCode::Nomem,
            Error::Usage(UsageError::NoSuchImage(_)) => ErrorCode::InvalidImage,
            Error::Usage(UsageError::NoSuchPath(_)) => ErrorCode::PathDoesNotExist,
            _ => ErrorCode::InvalidParam,
        }
    }

    /// Converts a library error about `path` into the CLI's one-line error.
    pub fn lib_error(path: &str, e: &Error) -> CliError {
        let detail = match e {
            Error::Io {
                source,
                offset: None,
            } => format!("Can't open \"{path}\" read-only: {}", io_text(source)),
            Error::Io {
                source,
                offset: Some(o),
            } => format!(
                "\"{path}\": error reading at offset 0x{o:x}: {}",
                io_text(source)
            ),
            other => describe(path, other),
        };
        CliError::lib(code_of(e), detail)
    }

    /// The OS error text without Rust's " (os error N)" suffix, as C's strerror.
    fn io_text(e: &std::io::Error) -> String {
        let s = e.to_string();
        match s.find(" (os error") {
            Some(i) => s[..i].to_string(),
            None => s,
        }
    }

    /// An opened WIM (with its `--ref` files) and the path it was opened as.
    #[derive(Debug)]
    pub struct Opened {
        wim: Wim,
        path: String,
    }

    /// Opens `path` (plus `opts.refs`), checking the integrity table if asked.
    pub fn open(path: &str, opts: &OpenOptions) -> Result<Opened, CliError> {
        let mut o = Wim::options().verify_integrity(opts.check_integrity);
        for r in &opts.refs {
            o = o.reference(r);
        }
        let wim = o.open(path).map_err(|e| lib_error(path, &e))?;
        Ok(Opened {
            wim,
            path: path.to_string(),
        })
    }

    fn reshdr(r: &RawReshdr) -> ReshdrView {
        ReshdrView {
            size: r.size_in_wim,
            flags: r.flags,
            offset: r.offset,
            original_size: r.uncompressed_size,
        }
    }

    fn image_summary(img: &wim_format::xml::ImageInfo<'_>) -> ImageSummary {
        let windows = img.windows().map(|w| WindowsInfo {
            arch: w.arch().unwrap_or(0),
            product_name: w.product_name(),
            edition_id: w.edition_id(),
            installation_type: w.installation_type(),
            hal: w.hal(),
            product_type: w.product_type(),
            product_suite: w.product_suite(),
            languages: w.element().child("LANGUAGES").map(|_| w.languages()),
            default_language: w.default_language(),
            system_root: w.system_root(),
            version: w.version().map(|v| WindowsVersion {
                major: v.major.unwrap_or(0),
                minor: v.minor.unwrap_or(0),
                build: v.build.unwrap_or(0),
                sp_build: v.spbuild.unwrap_or(0),
                sp_level: v.splevel.unwrap_or(0),
            }),
        });
        ImageSummary {
            index: img.index(),
            name: img.name().unwrap_or_default(),
            description: img.description().unwrap_or_default(),
            display_name: img.display_name(),
            display_description: img.display_description(),
            dir_count: img.dir_count().unwrap_or(0),
            file_count: img.file_count().unwrap_or(0),
            total_bytes: img.total_bytes().unwrap_or(0),
            hard_link_bytes: img.hard_link_bytes().unwrap_or(0),
            creation_time: img.creation_time().map_or(0, |t| t.0),
            last_modification_time: img.last_modification_time().map_or(0, |t| t.0),
            windows,
            flags: img.flags(),
            wimboot: img.wimboot().unwrap_or(false),
        }
    }

    fn blob_view(e: &BlobEntry) -> BlobView {
        let location = match &e.location {
            LibLocation::Resource { reshdr, .. } => BlobLocation::Plain {
                compressed_size: reshdr.size_in_wim,
                offset: reshdr.offset,
            },
            LibLocation::Solid { resource, offset } => BlobLocation::Solid {
                resource_uncompressed_size: resource.uncompressed_size,
                resource_compressed_size: resource.reshdr.size_in_wim,
                resource_offset: resource.reshdr.offset,
                offset_in_resource: *offset,
            },
        };
        BlobView {
            hash: Digest(e.hash.0),
            size: e.size,
            location,
            part_number: e.part_number,
            refcount: e.ref_count,
            flags: e.flags.bits(),
        }
    }

    /// The wimlib warning for a dentry it ignores, given the dentry's path and its
    /// parent's path.
    fn name_warning(problem: NameProblem, path: &str, parent: &str) -> String {
        match problem {
            NameProblem::Duplicate => format!(
                "Ignoring duplicate file \"{path}\" (the WIM image already contains a file at that path with the exact same name)"
            ),
            NameProblem::Dot | NameProblem::DotDot => {
                format!("Ignoring file named \".\" or \"..\" in directory \"{parent}\"")
            }
            other => format!("Ignoring file with invalid name in directory \"{parent}\" ({other})"),
        }
    }

    /// The flagged dentries wimlib would skip (not those below one already skipped),
    /// as (path, parent path, problem), in stored order.
    fn name_problems(m: &ImageMetadata) -> Vec<(String, String, NameProblem)> {
        let t = m.tree();
        let mut v = Vec::new();
        for id in t.ids() {
            let Some(problem) = t.name_problem(id) else {
                continue;
            };
            let parent = t.parent(id).unwrap_or(t.root());
            if t.is_hidden_by_problem(parent) && parent != id {
                continue;
            }
            v.push((t.path(id), t.path(parent), problem));
        }
        v
    }

    impl Opened {
        /// The library handle.
        pub fn wim(&self) -> &Wim {
            &self.wim
        }

        fn err(&self, e: &Error) -> CliError {
            lib_error(&self.path, e)
        }

        /// Checks the integrity table, if any (`info --check`), reporting progress as
        /// (canonical path, bytes done, bytes total): once at 0, once when done.
        pub fn check_integrity(
            &self,
            progress: &mut dyn FnMut(&str, u64, u64) -> Result<(), CliError>,
        ) -> Result<(), CliError> {
            let h = self.wim.header();
            if h.integrity.is_zero() {
                return Ok(());
            }
            let total = h
                .blob_table
                .offset
                .saturating_add(h.blob_table.size_in_wim)
                .saturating_sub(208);
            let abs = std::fs::canonicalize(&self.path)
                .map_or_else(|_| self.path.clone(), |p| p.display().to_string());
            progress(&abs, 0, total)?;
            self.wim.check_integrity().map_err(|e| self.err(&e))?;
            progress(&abs, total, total)
        }

        /// Header, XML and image summaries (`info`).
        pub fn info(&self) -> Result<WimInfo, CliError> {
            let h = self.wim.header();
            let xml = self.wim.xml_bytes().map_err(|e| self.err(&e))?;
            let parsed = if xml.is_empty() {
                XmlInfo::new()
            } else {
                XmlInfo::parse(&xml, self.wim.limits()).map_err(|e| self.err(&e))?
            };
            let images: Vec<ImageSummary> = parsed.images().map(|i| image_summary(&i)).collect();
            let compression = match h.compression {
                LibCompression::None => Compression::None,
                LibCompression::Xpress => Compression::Xpress,
                LibCompression::Lzx => Compression::Lzx,
                LibCompression::Lzms => Compression::Lzms,
            };
            let raw = &h.raw;
            let summary = WimSummary {
                path: self.path.clone(),
                guid: h.guid.0,
                version: h.version.0,
                image_count: h.image_count,
                compression,
                chunk_size: if compression == Compression::None {
                    0
                } else {
                    h.chunk_size
                },
                part_number: h.part_number,
                total_parts: h.total_parts,
                boot_index: h.boot_index,
                total_bytes: parsed.total_bytes().unwrap_or(0),
                header_flags: h.flags.bits(),
                has_integrity: !h.integrity.is_zero(),
                pipable: h.pipable,
            };
            let header = HeaderView {
                magic: raw.magic,
                header_size: raw.header_size,
                version: raw.version,
                flags: raw.flags,
                chunk_size: raw.chunk_size,
                guid: raw.guid,
                part_number: raw.part_number,
                total_parts: raw.total_parts,
                image_count: raw.image_count,
                blob_table: reshdr(&raw.blob_table),
                xml: reshdr(&raw.xml),
                boot_metadata: reshdr(&raw.boot_metadata),
                boot_index: raw.boot_index,
                integrity: reshdr(&raw.integrity),
            };
            Ok(WimInfo {
                summary,
                images,
                header,
                xml,
            })
        }

        /// Every blob-table row of the opened file, in table order (`info --blobs`).
        pub fn blobs(&self) -> Vec<BlobView> {
            self.wim
                .blob_table()
                .entries()
                .iter()
                .filter(|e| e.location.source() == 0)
                .map(blob_view)
                .collect()
        }

        /// Reads and parses the metadata of image `index` (1-based).
        pub fn metadata(&self, index: u32) -> Result<ImageMetadata, CliError> {
            let image = ImageIndex::new(index)
                .ok_or_else(|| crate::args::image::not_valid(&index.to_string(), &self.path))?;
            let h = self.wim.header();
            if h.part_number != 1 {
                return Err(CliError::lib(
                    ErrorCode::MetadataNotFound,
                    format!(
                        "\"{}\" is not the first part of the split WIM (it is part {} of {}); specify the first part",
                        self.path, h.part_number, h.total_parts
                    ),
                ));
            }
            let bytes = self.wim.metadata_bytes(image).map_err(|e| self.err(&e))?;
            ImageMetadata::parse(&bytes, self.wim.limits()).map_err(|e| {
                // Offsets from the metadata parser are inside the uncompressed resource,
                // not file offsets: say so in the text.
                self.err(&e.map_format(|f| {
                    let mut n = match f.offset() {
                        Some(o) => FormatError::new(
                            f.kind(),
                            format!(
                                "{} (at offset 0x{o:x} of the uncompressed metadata resource)",
                                f.detail()
                            ),
                        ),
                        None => FormatError::new(f.kind(), f.detail().to_string()),
                    }
                    .image(image);
                    if let Some(p) = &f.context().path {
                        n = n.path(p.clone());
                    }
                    n
                }))
            })
        }

        /// The [`DirEntryView`] of `id`.
        pub fn entry_view(&self, m: &ImageMetadata, id: NodeId, path: String) -> DirEntryView {
            let t = m.tree();
            let d = t.dentry(id);
            let stream = |kind: StreamKind, hash: Option<Sha1Digest>| StreamView {
                kind,
                blob: match hash {
                    None => BlobView::empty(),
                    Some(h) => match self.wim.blob_table().get(&h) {
                        Some(e) => blob_view(e),
                        None => BlobView {
                            hash: Digest(h.0),
                            ..BlobView::empty()
                        },
                    },
                },
            };
            let mut streams = Vec::new();
            if d.is_reparse_point() {
                streams.push(stream(StreamKind::ReparsePoint, d.reparse_hash()));
            } else {
                streams.push(stream(StreamKind::Unnamed, d.unnamed_stream_hash()));
            }
            for ns in d.named_streams() {
                streams.push(stream(
                    StreamKind::Named(ns.name.to_string_lossy()),
                    ns.hash,
                ));
            }
            let object_id = d.object_id().and_then(|b| {
                let mut ids = [[0u8; 16]; 3];
                for (k, id) in ids.iter_mut().enumerate() {
                    id.copy_from_slice(b.get(k * 16..k * 16 + 16)?);
                }
                Some(ObjectIdView {
                    object_id: ids[0],
                    birth_volume_id: ids[1],
                    birth_object_id: ids[2],
                })
            });
            DirEntryView {
                path,
                short_name: d.short_name().to_string_lossy(),
                attributes: d.attributes().bits(),
                security_descriptor: m.security_descriptor_of(id).map(<[u8]>::to_vec),
                creation_time: d.creation_time().0,
                last_write_time: d.last_write_time().0,
                last_access_time: d.last_access_time().0,
                reparse_tag: d.reparse_tag(),
                link_group_id: d.hard_link_group().unwrap_or(0),
                link_count: u32::try_from(t.link_count(id)).unwrap_or(u32::MAX),
                unix_data: d.unix_data().map(|u| UnixData {
                    uid: u.uid,
                    gid: u.gid,
                    mode: u.mode,
                    rdev: u.rdev,
                }),
                object_id,
                streams,
            }
        }

        /// Walks image `index` in wimlib's order from `start`, calling `visit` for each
        /// entry; `recursive = false` visits `start` only. Ignored names are reported
        /// through `warn` first, as wimlib does while loading the image.
        pub fn walk(
            &self,
            index: u32,
            start: &str,
            recursive: bool,
            visit: &mut dyn FnMut(&DirEntryView) -> Result<(), CliError>,
            warn: &mut dyn FnMut(Warning),
        ) -> Result<(), CliError> {
            let m = self.metadata(index)?;
            for (path, parent, problem) in name_problems(&m) {
                warn(Warning(name_warning(problem, &path, &parent)));
            }
            let Some(start_id) = m.tree().lookup(start) else {
                return Err(CliError::lib(
                    ErrorCode::PathDoesNotExist,
                    format!(
                        "\"{}\": path \"{start}\" does not exist in image {index}",
                        self.path
                    ),
                ));
            };
            let opts = WalkOptions {
                order: WalkOrder::Collated,
                skip_flagged: true,
            };
            for e in m.tree().walk_from(start_id, opts) {
                visit(&self.entry_view(&m, e.id, e.path))?;
                if !recursive {
                    break;
                }
            }
            Ok(())
        }
    }

    /// Full verification (header, tables, integrity, metadata, every blob).
    ///
    /// Stricter than wimlib on one point: names wimlib only warns about and skips
    /// (`.`, `..`, duplicates, empty) make the image invalid here.
    pub fn verify(
        path: &str,
        opts: &OpenOptions,
        check_integrity: bool,
        on_event: &mut dyn FnMut(VerifyEvent) -> Result<(), CliError>,
    ) -> Result<(), CliError> {
        let o = open(
            path,
            &OpenOptions {
                check_integrity: false,
                refs: opts.refs.clone(),
            },
        )?;
        let wim = &o.wim;
        let h = wim.header();
        for w in wim.blob_table().warnings() {
            on_event(VerifyEvent::Warning(Warning(format!("\"{path}\": {w}"))))?;
        }
        if check_integrity {
            let total = h
                .blob_table
                .offset
                .saturating_add(h.blob_table.size_in_wim)
                .saturating_sub(208);
            let abs_path = std::fs::canonicalize(path)
                .map_or_else(|_| path.to_string(), |p| p.display().to_string());
            if h.integrity.is_zero() {
                on_event(VerifyEvent::NoIntegrity)?;
            } else {
                on_event(VerifyEvent::IntegrityProgress {
                    abs_path: abs_path.clone(),
                    done: 0,
                    total,
                })?;
            }
            match wim.check_integrity() {
                Ok(IntegrityStatus::Absent) => {}
                Ok(IntegrityStatus::Ok) => on_event(VerifyEvent::IntegrityProgress {
                    abs_path,
                    done: total,
                    total,
                })?,
                Err(e) => return Err(o.err(&e)),
            }
        }
        // A missing blob is reported after the split hint, as wimlib does.
        let mut missing = None;
        if h.part_number != 1 {
            on_event(VerifyEvent::Warning(Warning(format!(
                "\"{path}\" does not contain image metadata.  Skipping image verification."
            ))))?;
        } else {
            let count = wim.image_count();
            for index in 1..=count {
                on_event(VerifyEvent::Metadata { index, count })?;
                let m = o.metadata(index)?;
                if let Some((p, parent, problem)) = name_problems(&m).into_iter().next() {
                    return Err(CliError::lib(
                        ErrorCode::InvalidMetadataResource,
                        format!(
                            "\"{path}\": invalid metadata resource: {problem} (\"{p}\" in directory \"{parent}\"), image {index}"
                        ),
                    ));
                }
                if missing.is_none()
                    && let Err(e) = check_blobs_present(&o, &m, index)
                {
                    missing = Some(e);
                }
            }
        }
        if h.total_parts > 1 && h.part_number == 1 && opts.refs.is_empty() {
            on_event(VerifyEvent::SplitHint)?;
        }
        if let Some(e) = missing {
            return Err(e);
        }
        let total: u64 = wim
            .blob_table()
            .entries()
            .iter()
            .filter(|e| !e.is_metadata())
            .map(|e| e.size)
            .fold(0, u64::saturating_add);
        on_event(VerifyEvent::DataProgress { done: 0, total })?;
        // Blob pass on worker threads; progress comes back over a channel so that
        // `on_event` runs on this thread.
        let (tx, rx) = mpsc::channel::<(u64, u64)>();
        let report = std::thread::scope(|s| {
            let worker = s.spawn(move || {
                let tx = tx;
                // Metadata resources were read (and SHA-1 checked) above, as wimlib
                // does; its byte counts cover file data only.
                wim.for_each_blob_parallel(&|e| !e.is_metadata(), &NoopVisitor, &|p| {
                    let _ = tx.send((p.bytes_done, p.bytes_total));
                })
            });
            let mut last = Some(0);
            let mut cb_err = None;
            for (done, total) in rx {
                if last.is_some_and(|l| l >= done) {
                    continue;
                }
                last = Some(done);
                if cb_err.is_none()
                    && let Err(e) = on_event(VerifyEvent::DataProgress { done, total })
                {
                    cb_err = Some(e);
                }
            }
            let r = worker.join().unwrap_or_else(|_| {
                Err(Error::format(
                    FormatErrorKind::BadResource,
                    "blob verification thread failed",
                ))
            });
            match cb_err {
                Some(e) => Err(e),
                None => r.map_err(|e| o.err(&e)),
            }
        })?;
        if let Some(f) = report.failures.into_iter().next() {
            return Err(o.err(&f.error));
        }
        Ok(())
    }

    /// Every stream of every dentry of image `index` must have its blob available.
    fn check_blobs_present(o: &Opened, m: &ImageMetadata, index: u32) -> Result<(), CliError> {
        let t = m.tree();
        let opts = WalkOptions {
            order: WalkOrder::Stored,
            skip_flagged: true,
        };
        for e in t.walk_with(opts) {
            let d = t.dentry(e.id);
            let hashes = [if d.is_reparse_point() {
                d.reparse_hash()
            } else {
                d.unnamed_stream_hash()
            }]
            .into_iter()
            .chain(d.named_streams().map(|n| n.hash))
            .flatten();
            for h in hashes {
                if o.wim.blob_table().get(&h).is_none() {
                    return Err(CliError::lib(
                        ErrorCode::ResourceNotFound,
                        format!(
                            "\"{}\": image {index}, \"{}\": blob not found (SHA-1 {h}); if this is part of a split WIM, give the other parts with --ref",
                            o.path, e.path
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Extracts images `indices` to `target` (one subdirectory each when several).
    /// Not connected here: `cmd::apply` calls `servicing` itself.
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

    /// Extracts the requested paths. Not connected here: `cmd::extract` calls
    /// `servicing` itself.
    pub fn extract(
        path: &str,
        opts: &OpenOptions,
        req: &ExtractRequest,
        on_progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), CliError> {
        let _ = (path, opts, req, on_progress);
        Err(CliError::not_wired("extract"))
    }

    /// Opens `path` and reads header and XML (convenience for commands that need only
    /// the image list).
    pub fn open_info(path: &str, opts: &OpenOptions) -> Result<WimInfo, CliError> {
        open(path, opts)?.info()
    }
}
