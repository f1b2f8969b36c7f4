//! Data sources: [`ReadAt`] lets many threads read one file without a lock;
//! [`ChunkSource`] hands sequential data over in owned buffers (no copy when the source
//! already holds chunk-sized pieces).

use std::io::{self, Read};
use std::sync::Arc;

/// A source of bytes read at absolute offsets, shareable across threads.
pub trait ReadAt: Send + Sync {
    /// Fills `buf` from `offset`; fails with `UnexpectedEof` if the source is shorter.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    /// The total length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// True if the source is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
    /// The file behind this source, if it is one (lets raw copies use in-kernel copying).
    fn as_file(&self) -> Option<&std::fs::File> {
        None
    }
}

impl ReadAt for std::fs::File {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
    fn as_file(&self) -> Option<&std::fs::File> {
        Some(self)
    }
}

impl ReadAt for [u8] {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| io::ErrorKind::UnexpectedEof)?;
        let end = start
            .checked_add(buf.len())
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        let src = self.get(start..end).ok_or(io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn len(&self) -> io::Result<u64> {
        Ok(<[u8]>::len(self) as u64)
    }
}

impl ReadAt for Vec<u8> {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.as_slice().read_exact_at(buf, offset)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.as_slice().len() as u64)
    }
}

impl<T: ReadAt + ?Sized> ReadAt for Arc<T> {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        (**self).read_exact_at(buf, offset)
    }
    fn len(&self) -> io::Result<u64> {
        (**self).len()
    }
    fn as_file(&self) -> Option<&std::fs::File> {
        (**self).as_file()
    }
}

impl<T: ReadAt + ?Sized> ReadAt for &T {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        (**self).read_exact_at(buf, offset)
    }
    fn len(&self) -> io::Result<u64> {
        (**self).len()
    }
    fn as_file(&self) -> Option<&std::fs::File> {
        (**self).as_file()
    }
}

/// A sequential source that gives its bytes as owned buffers, so that a writer can pass
/// them to its compressor without copying when the source already holds pieces of the
/// size asked for (capture reads files in chunk-sized blocks).
pub trait ChunkSource: Read {
    /// The next `len` bytes as one buffer: exactly `len` bytes unless the source ends
    /// first (then what was left). The default reads into a new buffer.
    fn read_owned(&mut self, len: usize) -> io::Result<Vec<u8>> {
        read_owned_from(self, len)
    }
}

/// Reads up to `len` bytes of `src` into a new buffer (fewer only at end of input), without
/// zero-filling it first.
pub fn read_owned_from<R: Read + ?Sized>(src: &mut R, len: usize) -> io::Result<Vec<u8>> {
    let mut v = Vec::with_capacity(len);
    (&mut *src).take(len as u64).read_to_end(&mut v)?;
    Ok(v)
}

/// [`ChunkSource`] over any reader (every buffer is a new one filled from it).
#[derive(Debug)]
pub struct ReadChunks<R: ?Sized>(pub R);

impl<R: Read + ?Sized> Read for ReadChunks<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read + ?Sized> ChunkSource for ReadChunks<R> {}
