//! Exit codes and error reports.
//!
//! Exit statuses are wimlib's numeric error codes (255 for usage errors). A library
//! error prints exactly one stderr line, `ERROR: <what is wrong and where>`, where
//! wimlib-imagex prints `\r[ERROR] detail` plus a two-line "Exiting with error code N"
//! trailer; messages wimlib-imagex composes itself (invalid image, usage) keep its text
//! and trailer. The numbers and sentences were recorded from libwim 1.13.5 at run time
//! (see `FORMATS.md`).

use std::fmt;

/// wimlib's error codes that our read-only commands can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 2: invalid compressed data.
    Decompression,
    /// 10: image count disagrees between header, XML and metadata.
    ImageCount,
    /// 11: an image with that name is already in the WIM.
    ImageNameCollision,
    /// 13: integrity check failed.
    Integrity,
    /// 14: bad capture configuration file.
    InvalidCaptureConfig,
    /// 15: unknown chunk size.
    InvalidChunkSize,
    /// 16: unknown compression type.
    InvalidCompressionType,
    /// 17: bad header.
    InvalidHeader,
    /// 18: no such image.
    InvalidImage,
    /// 19: bad integrity table.
    InvalidIntegrityTable,
    /// 20: bad blob-table entry.
    InvalidLookupTableEntry,
    /// 21: bad metadata resource.
    InvalidMetadataResource,
    /// 24: invalid parameter.
    InvalidParam,
    /// 25: bad part number.
    InvalidPartNumber,
    /// 26: bad pipable WIM.
    InvalidPipableWim,
    /// 28: SHA-1 mismatch.
    InvalidResourceHash,
    /// 30: bad UTF-16 string.
    InvalidUtf16String,
    /// 36: the WIM holds only file data (non-first split part).
    MetadataNotFound,
    /// 37: mkdir failed.
    Mkdir,
    /// 39: out of memory (also our limit violations).
    Nomem,
    /// 42: `--to-stdout` on something that is not a regular file.
    NotARegularFile,
    /// 43: not a WIM file.
    NotAWimFile,
    /// 44: `apply -` on a WIM that is not pipable.
    NotPipable,
    /// 23: conflicting files in an overlay (update add --no-replace).
    InvalidOverlay,
    /// 32: a path is a directory (update).
    IsDirectory,
    /// 40: a path is not a directory (update).
    NotDir,
    /// 41: a directory is not empty (update).
    NotEmpty,
    /// 47: cannot open a file.
    Open,
    /// 48: cannot open a directory.
    Opendir,
    /// 49: path not in the image.
    PathDoesNotExist,
    /// 50: read error.
    Read,
    /// 51: cannot read a symbolic link.
    Readlink,
    /// 52: cannot rename a file.
    Rename,
    /// 55: a needed blob is missing.
    ResourceNotFound,
    /// 62: invalid split set.
    SplitInvalid,
    /// 63: cannot stat a file.
    Stat,
    /// 65: unexpected end of file.
    UnexpectedEndOfFile,
    /// 67: unknown version.
    UnknownVersion,
    /// 68: unsupported operation.
    Unsupported,
    /// 72: write error.
    Write,
    /// 73: bad XML.
    Xml,
}

impl ErrorCode {
    /// The numeric exit status (wimlib's `enum wimlib_error_code`).
    pub fn code(self) -> i32 {
        use ErrorCode::*;
        match self {
            Decompression => 2,
            ImageCount => 10,
            ImageNameCollision => 11,
            Integrity => 13,
            InvalidCaptureConfig => 14,
            InvalidChunkSize => 15,
            InvalidCompressionType => 16,
            InvalidHeader => 17,
            InvalidImage => 18,
            InvalidIntegrityTable => 19,
            InvalidLookupTableEntry => 20,
            InvalidMetadataResource => 21,
            InvalidParam => 24,
            InvalidPartNumber => 25,
            InvalidPipableWim => 26,
            InvalidResourceHash => 28,
            InvalidUtf16String => 30,
            MetadataNotFound => 36,
            Mkdir => 37,
            Nomem => 39,
            NotARegularFile => 42,
            NotAWimFile => 43,
            NotPipable => 44,
            InvalidOverlay => 23,
            IsDirectory => 32,
            NotDir => 40,
            NotEmpty => 41,
            Open => 47,
            Opendir => 48,
            PathDoesNotExist => 49,
            Read => 50,
            Readlink => 51,
            Rename => 52,
            ResourceNotFound => 55,
            SplitInvalid => 62,
            Stat => 63,
            UnexpectedEndOfFile => 65,
            UnknownVersion => 67,
            Unsupported => 68,
            Write => 72,
            Xml => 73,
        }
    }

    /// The sentence wimlib prints under "Exiting with error code N:" (without period).
    pub fn sentence(self) -> &'static str {
        use ErrorCode::*;
        match self {
            Decompression => "The WIM contains invalid compressed data",
            ImageCount => {
                "Inconsistent image count among the metadata resources, the WIM header, and/or the XML data"
            }
            ImageNameCollision => "Tried to add an image with a name that is already in use",
            Integrity => "The WIM file is corrupted (failed integrity check)",
            InvalidCaptureConfig => "The contents of the capture configuration file were invalid",
            InvalidChunkSize => "The compression chunk size was unrecognized",
            InvalidCompressionType => "The compression type was unrecognized",
            InvalidHeader => "The WIM header was invalid",
            InvalidImage => "Tried to select an image that does not exist in the WIM",
            InvalidIntegrityTable => "The WIM's integrity table is invalid",
            InvalidLookupTableEntry => "An entry in the WIM's lookup table is invalid",
            InvalidMetadataResource => "The metadata resource is invalid",
            InvalidParam => "An invalid parameter was given",
            InvalidPartNumber => "The part number or total parts of the WIM is invalid",
            InvalidPipableWim => "The pipable WIM is invalid",
            InvalidResourceHash => {
                "The SHA-1 message digest of a WIM resource did not match the expected value"
            }
            InvalidUtf16String => "A string was not a valid UTF-16 string",
            MetadataNotFound => {
                "The WIM does not contain image metadata; it only contains file data"
            }
            Mkdir => "Failed to create a directory",
            Nomem => "Ran out of memory",
            NotARegularFile => {
                "One of the specified paths to extract did not correspond to a regular file"
            }
            NotPipable => "The WIM was not captured such that it can be applied from a pipe",
            NotAWimFile => {
                "The file did not begin with the magic characters that identify a WIM file"
            }
            InvalidOverlay => "Conflicting files in overlay when creating a WIM image",
            IsDirectory => "One of the specified paths to delete was a directory",
            NotDir => "Expected a directory",
            NotEmpty => "Directory was not empty",
            Open => "Failed to open a file",
            Opendir => "Failed to open a directory",
            PathDoesNotExist => "The path does not exist in the WIM image",
            Read => "Could not read data from a file",
            Readlink => "Failed to read the target of a symbolic link",
            Rename => "Failed to rename a file",
            ResourceNotFound => {
                "A file resource needed to complete the operation was missing from the WIM"
            }
            SplitInvalid => "The WIM is part of an invalid split WIM",
            Stat => "Could not read the metadata for a file or directory",
            UnexpectedEndOfFile => "Unexpectedly reached the end of the file",
            UnknownVersion => "The WIM file is marked with an unknown version number",
            Unsupported => "The requested operation is unsupported",
            Write => "Failed to write data to a file",
            Xml => "The XML data of the WIM is invalid",
        }
    }
}

/// A command failure: the exit status plus the text wimlib-imagex would print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// A library error: `detail` lines are printed as `\r[ERROR] …` (when non-empty),
    /// then the "Exiting with error code" trailer.
    Lib {
        /// Which wimlib code.
        code: ErrorCode,
        /// Library-side message(s), already in wimlib wording; may be empty.
        detail: Vec<String>,
        /// Extra lines printed by the command itself (e.g. `ERROR: "x" failed
        /// verification!`), printed after `detail` and before the trailer.
        command_lines: Vec<String>,
    },
    /// Bad command line: message lines then exit 255 (wimlib's -1).
    Usage(String),
    /// A library feature we have not connected yet (exit 68, "unsupported").
    NotWired(&'static str),
    /// Standard output was closed by the reader (`wimkit dir x 1 | head`): success,
    /// nothing printed (ripgrep's convention).
    BrokenPipe,
}

impl CliError {
    /// A library error with one `[ERROR]` detail line.
    pub fn lib(code: ErrorCode, detail: impl Into<String>) -> Self {
        CliError::Lib {
            code,
            detail: vec![detail.into()],
            command_lines: Vec::new(),
        }
    }

    /// A library error with no detail line (wimlib prints only the trailer).
    pub fn bare(code: ErrorCode) -> Self {
        CliError::Lib {
            code,
            detail: Vec::new(),
            command_lines: Vec::new(),
        }
    }

    /// FIXME(wire): the library call behind `what` is not connected yet.
    pub fn not_wired(what: &'static str) -> Self {
        CliError::NotWired(what)
    }

    /// The process exit status.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Lib { code, .. } => code.code(),
            CliError::Usage(_) => 255,
            CliError::NotWired(_) => ErrorCode::Unsupported.code(),
            CliError::BrokenPipe => 0,
        }
    }

    /// The exact stderr text.
    ///
    /// A library error with a detail is ONE line, `ERROR: <what is wrong and where>`
    /// (wimlib prints the detail, then a two-line "Exiting with error code" trailer; we
    /// keep its exit code but not the trailer). Errors without a detail (wimlib's own
    /// command messages such as "not a valid image") keep wimlib's text and trailer.
    pub fn render(&self) -> String {
        match self {
            CliError::Lib {
                code,
                detail,
                command_lines,
            } => {
                if !detail.is_empty() {
                    return format!("ERROR: {}\n", one_line(&detail.join("; ")));
                }
                let mut s = String::new();
                for l in command_lines {
                    s.push_str(l);
                    s.push('\n');
                }
                s.push_str(&exit_trailer(*code));
                s
            }
            CliError::Usage(msg) => {
                let mut s = msg.clone();
                if !s.ends_with('\n') {
                    s.push('\n');
                }
                s
            }
            CliError::BrokenPipe => String::new(),
            CliError::NotWired(what) => {
                format!("ERROR: {what}: not connected to the library yet\n")
            }
        }
    }

    /// The one-line message (detail, or the first command line, or the code's
    /// sentence), for JSON reports.
    pub fn message(&self) -> String {
        match self {
            CliError::Lib {
                code,
                detail,
                command_lines,
            } => {
                if !detail.is_empty() {
                    one_line(&detail.join("; "))
                } else if let Some(l) = command_lines.first() {
                    l.trim_start_matches("ERROR: ").to_string()
                } else {
                    code.sentence().to_string()
                }
            }
            CliError::Usage(m) => m.lines().next().unwrap_or_default().to_string(),
            CliError::BrokenPipe => String::new(),
            CliError::NotWired(w) => format!("{w}: not connected"),
        }
    }
}

/// Replaces line breaks so a message stays on one line.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// `ERROR: Exiting with error code N:\n       Sentence.\n`
pub fn exit_trailer(code: ErrorCode) -> String {
    format!(
        "ERROR: Exiting with error code {}:\n       {}.\n",
        code.code(),
        code.sentence()
    )
}

impl From<std::io::Error> for CliError {
    /// Errors writing our own output: a closed pipe is success, anything else is
    /// wimlib's write error (72).
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CliError::BrokenPipe
        } else {
            CliError::lib(
                ErrorCode::Write,
                format!("Error writing to standard output: {e}"),
            )
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for CliError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_error_is_one_line() {
        let e = CliError::lib(
            ErrorCode::Open,
            "Can't open \"nofile.wim\" read-only: No such file or directory",
        );
        assert_eq!(e.exit_code(), 47);
        assert_eq!(
            e.render(),
            "ERROR: Can't open \"nofile.wim\" read-only: No such file or directory\n"
        );
    }

    #[test]
    fn bare_error_has_only_trailer() {
        let e = CliError::bare(ErrorCode::PathDoesNotExist);
        assert_eq!(e.exit_code(), 49);
        assert_eq!(
            e.render(),
            "ERROR: Exiting with error code 49:\n       The path does not exist in the WIM image.\n"
        );
    }

    #[test]
    fn usage_is_255() {
        assert_eq!(CliError::Usage("x".into()).exit_code(), 255);
    }
}
