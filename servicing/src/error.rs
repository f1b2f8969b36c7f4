//! Errors of servicing operations: the WIM reader's errors, plus failures writing the
//! destination (with the path and the operation that failed).

use std::fmt;
use std::io;
use std::path::PathBuf;

/// What we were doing on the destination when the OS said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsOp {
    /// Creating a directory.
    Mkdir,
    /// Opening or creating a file.
    Open,
    /// Writing file data.
    Write,
    /// Creating a hard link.
    Link,
    /// Creating a symbolic link.
    Symlink,
    /// Setting timestamps, owner or mode.
    SetMetadata,
    /// Reading the metadata of a source file (capture).
    Stat,
    /// Listing a source directory (capture).
    ReadDir,
    /// Reading a source symbolic link (capture).
    ReadLink,
    /// Reading a source file's data (capture).
    Read,
}

impl fmt::Display for FsOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FsOp::Mkdir => "create directory",
            FsOp::Open => "create file",
            FsOp::Write => "write",
            FsOp::Link => "create hard link",
            FsOp::Symlink => "create symbolic link",
            FsOp::SetMetadata => "set metadata of",
            FsOp::Stat => "read metadata of",
            FsOp::ReadDir => "read directory",
            FsOp::ReadLink => "read symbolic link",
            FsOp::Read => "read",
        })
    }
}

/// Every error a servicing operation returns.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading the WIM failed (I/O, malformed data, limits, usage).
    Wim(wim_format::Error),
    /// A destination operation failed.
    Fs {
        /// The operation.
        op: FsOp,
        /// The destination path (as given, joined with the in-image path).
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The request cannot be met (e.g. `--to-stdout` on a directory, path not found).
    Usage(UsageKind, String),
}

/// Classification of [`Error::Usage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageKind {
    /// A path does not exist in the image.
    PathDoesNotExist,
    /// `--to-stdout` was asked for something that is not a regular file.
    NotARegularFile,
    /// An image with this name is already in the destination WIM.
    ImageNameCollision,
    /// An option conflicts with the destination (e.g. another compression type).
    InvalidParam,
    /// A directory where a non-directory was needed (wimlib code 32).
    IsDirectory,
    /// A non-directory where a directory was needed (wimlib code 40).
    NotDirectory,
    /// A directory is not empty, or the path is busy (root, own subtree; wimlib code 41).
    NotEmpty,
    /// An add would replace an existing file and `--no-replace` was given (wimlib code 23).
    OverlayConflict,
    /// Anything else.
    Other,
}

impl Error {
    /// A destination failure.
    pub fn fs(op: FsOp, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Fs {
            op,
            path: path.into(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Wim(e) => write!(f, "{e}"),
            Error::Fs { op, path, source } => {
                write!(f, "Failed to {op} \"{}\": {source}", path.display())
            }
            Error::Usage(_, s) => f.write_str(s),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Wim(e) => Some(e),
            Error::Fs { source, .. } => Some(source),
            Error::Usage(..) => None,
        }
    }
}

impl From<wim_format::Error> for Error {
    fn from(e: wim_format::Error) -> Self {
        Error::Wim(e)
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
