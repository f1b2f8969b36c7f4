//! Errors, classified by actor (who is at fault), with context carried as data.
//!
//! - [`Error::Io`]: the operating system failed us.
//! - [`Error::Format`]: the file is malformed; [`FormatError::kind`] is the stable
//!   classification, [`FormatError::offset`] the file offset where known.
//! - [`Error::Unsupported`]: a valid file uses something we do not implement.
//! - [`Error::LimitExceeded`]: a value is larger than the configured [`crate::Limits`].
//! - [`Error::Usage`]: the caller asked for something impossible (no such image, …).

use crate::digest::{ImageIndex, Sha1Digest};
use std::borrow::Cow;
use std::fmt;
use std::io;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error this crate returns.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error, with the file offset of the failed read where known.
    Io {
        /// The underlying error.
        source: io::Error,
        /// The file offset of the failed read, if any.
        offset: Option<u64>,
    },
    /// The input is malformed.
    Format(Box<FormatError>),
    /// The input is valid but uses a feature we do not support.
    Unsupported(Unsupported),
    /// A value from the input exceeds a configured limit.
    LimitExceeded {
        /// What was being measured (e.g. "metadata resource size").
        what: &'static str,
        /// The value found.
        found: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The caller's request cannot be met (no such image, path, …).
    Usage(UsageError),
}

/// The stable, coarse classification of a format error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FormatErrorKind {
    /// Not a WIM at all (bad magic).
    NotAWim,
    /// The header is malformed.
    BadHeader,
    /// The header version is not one we know.
    BadVersion,
    /// The chunk size is invalid.
    BadChunkSize,
    /// A resource header is malformed (size, offset, flags).
    BadResourceHeader,
    /// The blob table is malformed.
    BadBlobTable,
    /// A resource (chunk table, chunk layout, solid header) is malformed.
    BadResource,
    /// The metadata resource (security data, dentry tree) is malformed.
    BadMetadata,
    /// A blob's SHA-1 does not match its contents.
    HashMismatch,
    /// Compressed data could not be decoded.
    Decompression,
    /// The integrity table is malformed or does not match the file.
    BadIntegrityTable,
    /// The XML document is malformed.
    BadXml,
    /// A name is not valid UTF-16.
    BadUtf16,
    /// Parts of a split set do not belong together.
    SplitMismatch,
    /// A blob needed by an image is in no available part or reference file.
    MissingBlob,
    /// The file ends before a structure it declares.
    Truncated,
    /// The number of images disagrees between header, blob table and XML.
    ImageCountMismatch,
    /// A directory tree contains a cycle.
    CyclicTree,
    /// A name is invalid (empty, `.`, `..`, contains `/` or NUL).
    BadName,
    /// Two entries of one directory have the same name.
    DuplicateName,
}

impl FormatErrorKind {
    /// A short lowercase description of the class.
    pub fn describe(self) -> &'static str {
        match self {
            FormatErrorKind::NotAWim => "not a WIM file",
            FormatErrorKind::BadHeader => "invalid WIM header",
            FormatErrorKind::BadVersion => "unsupported WIM version",
            FormatErrorKind::BadChunkSize => "invalid chunk size",
            FormatErrorKind::BadResourceHeader => "invalid resource header",
            FormatErrorKind::BadBlobTable => "invalid blob table",
            FormatErrorKind::BadResource => "invalid resource",
            FormatErrorKind::BadMetadata => "invalid metadata resource",
            FormatErrorKind::HashMismatch => "SHA-1 mismatch",
            FormatErrorKind::Decompression => "invalid compressed data",
            FormatErrorKind::BadIntegrityTable => "integrity check failed",
            FormatErrorKind::BadXml => "invalid XML data",
            FormatErrorKind::BadUtf16 => "invalid UTF-16 name",
            FormatErrorKind::SplitMismatch => "split WIM parts do not match",
            FormatErrorKind::MissingBlob => "missing blob",
            FormatErrorKind::Truncated => "file is truncated",
            FormatErrorKind::ImageCountMismatch => "image count mismatch",
            FormatErrorKind::CyclicTree => "cyclic directory tree",
            FormatErrorKind::BadName => "invalid file name",
            FormatErrorKind::DuplicateName => "duplicate file name",
        }
    }
}

/// A malformed-input error: a kind, where it was found, and what exactly was wrong.
#[derive(Debug)]
pub struct FormatError {
    kind: FormatErrorKind,
    offset: Option<u64>,
    detail: Cow<'static, str>,
    context: Context,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// Where in the WIM's logical structure an error happened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Context {
    /// The image, if the error belongs to one.
    pub image: Option<ImageIndex>,
    /// The blob, if the error belongs to one.
    pub blob: Option<Sha1Digest>,
    /// The chunk index inside the resource.
    pub chunk: Option<u64>,
    /// The path inside the image (`/`-separated).
    pub path: Option<String>,
}

impl FormatError {
    /// Creates a format error of `kind` with a precise description.
    pub fn new(kind: FormatErrorKind, detail: impl Into<Cow<'static, str>>) -> Self {
        FormatError {
            kind,
            offset: None,
            detail: detail.into(),
            context: Context::default(),
            source: None,
        }
    }
    /// Sets the file offset where the problem was found.
    pub fn at(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
    /// Sets the offset only if none is set yet.
    pub fn at_if_unset(mut self, offset: u64) -> Self {
        self.offset.get_or_insert(offset);
        self
    }
    /// Attaches the image index.
    pub fn image(mut self, image: ImageIndex) -> Self {
        self.context.image.get_or_insert(image);
        self
    }
    /// Attaches the blob digest.
    pub fn blob(mut self, blob: Sha1Digest) -> Self {
        self.context.blob.get_or_insert(blob);
        self
    }
    /// Attaches the chunk index.
    pub fn chunk(mut self, chunk: u64) -> Self {
        self.context.chunk.get_or_insert(chunk);
        self
    }
    /// Attaches a path inside the image.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        if self.context.path.is_none() {
            self.context.path = Some(path.into());
        }
        self
    }
    /// Attaches an underlying cause (for `source()`).
    pub fn with_source(mut self, e: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(e));
        self
    }
    /// The stable classification.
    pub fn kind(&self) -> FormatErrorKind {
        self.kind
    }
    /// The file offset where the problem was found, if known.
    pub fn offset(&self) -> Option<u64> {
        self.offset
    }
    /// The image/blob/chunk/path context.
    pub fn context(&self) -> &Context {
        &self.context
    }
    /// The precise description.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.describe(), self.detail)?;
        if let Some(i) = self.context.image {
            write!(f, ", image {i}")?;
        }
        if let Some(p) = &self.context.path {
            write!(f, ", path \"{p}\"")?;
        }
        if let Some(b) = &self.context.blob {
            write!(f, ", blob {b}")?;
        }
        if let Some(c) = self.context.chunk {
            write!(f, ", chunk {c}")?;
        }
        if let Some(o) = self.offset {
            write!(f, " (at 0x{o:x})")?;
        }
        Ok(())
    }
}

impl std::error::Error for FormatError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A valid feature we do not support.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unsupported {
    /// The ESD is encrypted (`<ESD><ENCRYPTED>` in the XML).
    EncryptedEsd,
    /// Something else, described.
    Other(Cow<'static, str>),
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsupported::EncryptedEsd => f.write_str("encrypted ESD is not supported"),
            Unsupported::Other(s) => write!(f, "unsupported: {s}"),
        }
    }
}

/// A request that cannot be met.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsageError {
    /// No image with this index or name.
    NoSuchImage(String),
    /// No such path in the image.
    NoSuchPath(String),
    /// Something else, described.
    Other(Cow<'static, str>),
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::NoSuchImage(s) => write!(f, "no image named or numbered \"{s}\""),
            UsageError::NoSuchPath(s) => write!(f, "path \"{s}\" does not exist in the image"),
            UsageError::Other(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { source, offset } => match offset {
                Some(o) => write!(f, "I/O error at 0x{o:x}: {source}"),
                None => write!(f, "I/O error: {source}"),
            },
            Error::Format(e) => e.fmt(f),
            Error::Unsupported(u) => u.fmt(f),
            Error::LimitExceeded { what, found, limit } => {
                write!(f, "{what} is {found}, above the limit of {limit}")
            }
            Error::Usage(u) => u.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Format(e) => e.source(),
            _ => None,
        }
    }
}

impl Error {
    /// The format-error kind, if this is a format error.
    pub fn format_kind(&self) -> Option<FormatErrorKind> {
        match self {
            Error::Format(e) => Some(e.kind()),
            _ => None,
        }
    }
    /// Shorthand for a format error.
    pub fn format(kind: FormatErrorKind, detail: impl Into<Cow<'static, str>>) -> Self {
        Error::Format(Box::new(FormatError::new(kind, detail)))
    }
    /// Adds context to a format error (no-op for other kinds).
    pub fn map_format(self, f: impl FnOnce(FormatError) -> FormatError) -> Self {
        match self {
            Error::Format(e) => Error::Format(Box::new(f(*e))),
            other => other,
        }
    }
    /// Wraps an I/O error with the offset being read.
    pub fn io_at(source: io::Error, offset: u64) -> Self {
        if source.kind() == io::ErrorKind::UnexpectedEof {
            return Error::format(FormatErrorKind::Truncated, "unexpected end of file")
                .map_format(|e| e.at(offset));
        }
        Error::Io {
            source,
            offset: Some(offset),
        }
    }
}

impl From<FormatError> for Error {
    fn from(e: FormatError) -> Self {
        Error::Format(Box::new(e))
    }
}

impl From<io::Error> for Error {
    fn from(source: io::Error) -> Self {
        Error::Io {
            source,
            offset: None,
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Io { source, .. } => source,
            Error::Format(_) => io::Error::new(io::ErrorKind::InvalidData, e),
            Error::Unsupported(_) => io::Error::new(io::ErrorKind::Unsupported, e),
            Error::LimitExceeded { .. } => io::Error::new(io::ErrorKind::OutOfMemory, e),
            Error::Usage(_) => io::Error::new(io::ErrorKind::InvalidInput, e),
        }
    }
}
