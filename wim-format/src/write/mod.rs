//! Writing WIMs: an owned model in, a file out, header last.
//!
//! ```text
//! build():     | header (WRITE_IN_PROGRESS, zeros) |
//! add_blob():  | header | blob resources …                                    (streamed)
//! add_image(): metadata serialised and kept; stats computed for the XML
//! finish():    | header | blobs | [solid run] | metadata | blob table | XML | [integrity] |
//!              then the real header is written at offset 0
//! append:      | header* | old resources | old table/XML/integrity (hole) | new … | header last
//! ```
//!
//! - [`blob_sink`]: resources (non-solid chunked with a 4/8-byte chunk table; solid with
//!   the 16-byte header and u32 per-chunk sizes), hashing while compressing.
//! - [`layout`]: the blob table rows, header and integrity table, built once every offset
//!   is known.
//! - [`writer`]: [`WimWriter`] and its builder, append mode.
//! - [`split`]: [`split::split_wim`] writes a split set from an existing WIM.

pub mod blob_sink;
pub mod layout;
pub mod pipable;
mod raw_copy;
pub mod split;
pub mod writer;

pub use writer::{Summary, WimWriter, WimWriterBuilder};

use std::io::{self, Read, Seek, Write};

/// Where a WIM is written: positional reads (the writer re-reads what it wrote to fall
/// back to storing a blob uncompressed and to hash the integrity table), writes, seeks,
/// and truncation.
pub trait WimOutput: Read + Write + Seek + Send {
    /// Sets the length of the output (truncates or zero-extends).
    fn set_len(&mut self, len: u64) -> io::Result<()>;
    /// The file behind this output, if it is one (lets raw copies use in-kernel copying).
    fn as_file_mut(&mut self) -> Option<&mut std::fs::File> {
        None
    }
}

impl WimOutput for std::fs::File {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        std::fs::File::set_len(self, len)
    }
    fn as_file_mut(&mut self) -> Option<&mut std::fs::File> {
        Some(self)
    }
}

impl WimOutput for io::Cursor<Vec<u8>> {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let n = usize::try_from(len).map_err(|_| io::ErrorKind::OutOfMemory)?;
        self.get_mut().resize(n, 0);
        Ok(())
    }
}

impl<T: WimOutput + ?Sized> WimOutput for &mut T {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        (**self).set_len(len)
    }
    fn as_file_mut(&mut self) -> Option<&mut std::fs::File> {
        (**self).as_file_mut()
    }
}

impl<T: WimOutput + ?Sized> WimOutput for Box<T> {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        (**self).set_len(len)
    }
    fn as_file_mut(&mut self) -> Option<&mut std::fs::File> {
        (**self).as_file_mut()
    }
}

/// Writes `data` at `offset`.
pub(crate) fn write_at(out: &mut dyn WimOutput, offset: u64, data: &[u8]) -> crate::Result<()> {
    // A file takes one positional write (no seek: writers never rely on its cursor).
    let r = match out.as_file_mut() {
        Some(f) => std::os::unix::fs::FileExt::write_all_at(f, data, offset),
        None => out
            .seek(io::SeekFrom::Start(offset))
            .and_then(|_| out.write_all(data)),
    };
    r.map_err(|e| crate::Error::Io {
        source: e,
        offset: Some(offset),
    })
}

/// Reads exactly `buf.len()` bytes at `offset`.
pub(crate) fn read_at(out: &mut dyn WimOutput, offset: u64, buf: &mut [u8]) -> crate::Result<()> {
    let r = match out.as_file_mut() {
        Some(f) => std::os::unix::fs::FileExt::read_exact_at(f, buf, offset),
        None => out
            .seek(io::SeekFrom::Start(offset))
            .and_then(|_| out.read_exact(buf)),
    };
    r.map_err(|e| crate::Error::Io {
        source: e,
        offset: Some(offset),
    })
}
