//! Decoding resources: [`ChunkDecoder`] (one chunk at a time, reusable per thread),
//! [`ResourceReader`] (random access by chunk or byte range) and [`ResourceRead`] (a
//! [`Read`] adaptor over a byte range, optionally checking a SHA-1 at EOF).

use super::chunk_table::ChunkLayout;
use crate::digest::Sha1Digest;
use crate::error::{FormatError, FormatErrorKind};
use crate::source::ReadAt;
use crate::{Error, Result};
use sha1::Digest;
use std::io::{self, Read};
use std::sync::Arc;
use wim_compress::{CompressionKind, Decompressor, new_decompressor};

/// Decodes single chunks; keeps one codec context and a compressed-data buffer for reuse.
#[derive(Default)]
pub struct ChunkDecoder {
    ctx: Option<(CompressionKind, u32, Box<dyn Decompressor>)>,
    cbuf: Vec<u8>,
}

impl std::fmt::Debug for ChunkDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkDecoder")
            .field("codec", &self.ctx.as_ref().map(|c| (c.0, c.1)))
            .finish()
    }
}

impl ChunkDecoder {
    /// A decoder with no codec context yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes chunk `i` of `layout` from `src` into `out` (resized to the chunk's size).
    ///
    /// A chunk whose compressed size equals its uncompressed size is stored raw. Errors
    /// carry the chunk index and the chunk's file offset: `Decompression` when the codec
    /// fails, `Truncated` when the file is short.
    pub fn decode(
        &mut self,
        src: &dyn ReadAt,
        layout: &ChunkLayout,
        i: u64,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let Some((start, clen)) = layout.chunk_file_range(i) else {
            return Err(FormatError::new(
                FormatErrorKind::BadResource,
                format!("chunk {i} does not exist"),
            )
            .chunk(i)
            .into());
        };
        let ulen = layout.chunk_usize(i);
        out.clear();
        out.resize(ulen, 0);
        if clen == ulen as u64 || layout.codec.is_none() {
            if clen != ulen as u64 {
                return Err(FormatError::new(
                    FormatErrorKind::BadResource,
                    format!("uncompressed chunk {i} is {clen} bytes, expected {ulen}"),
                )
                .at(start)
                .chunk(i)
                .into());
            }
            return src
                .read_exact_at(out, start)
                .map_err(|e| Error::io_at(e, start).map_format(|f| f.chunk(i)));
        }
        let clen_us = usize::try_from(clen).unwrap_or(usize::MAX);
        if clen_us > ulen {
            return Err(FormatError::new(
                FormatErrorKind::BadResource,
                format!("chunk {i} has compressed size {clen} above its size {ulen}"),
            )
            .at(start)
            .chunk(i)
            .into());
        }
        self.cbuf.clear();
        self.cbuf.resize(clen_us, 0);
        src.read_exact_at(&mut self.cbuf, start)
            .map_err(|e| Error::io_at(e, start).map_format(|f| f.chunk(i)))?;
        let Some(kind) = layout.codec else {
            return Ok(());
        };
        let need_new =
            !matches!(&self.ctx, Some((k, cs, _)) if *k == kind && *cs == layout.chunk_size);
        if need_new {
            let d = new_decompressor(kind, layout.chunk_size as usize).map_err(|e| {
                Error::from(
                    FormatError::new(
                        FormatErrorKind::BadChunkSize,
                        format!(
                            "{} cannot decode chunks of {} bytes: {e}",
                            kind.name(),
                            layout.chunk_size
                        ),
                    )
                    .at(start)
                    .with_source(e),
                )
            })?;
            self.ctx = Some((kind, layout.chunk_size, d));
        }
        let Some((_, _, d)) = self.ctx.as_mut() else {
            return Ok(());
        };
        d.decompress(&self.cbuf, out).map_err(|e| {
            Error::from(
                FormatError::new(
                    FormatErrorKind::Decompression,
                    format!("{} chunk {i}: {e}", kind.name()),
                )
                .at(start)
                .chunk(i)
                .with_source(e),
            )
        })
    }
}

/// Random access to one resource's uncompressed bytes, one decoded chunk cached.
#[derive(Debug)]
pub struct ResourceReader {
    src: Arc<dyn ReadAt>,
    layout: Arc<ChunkLayout>,
    decoder: ChunkDecoder,
    cached: Option<u64>,
    buf: Vec<u8>,
}

impl std::fmt::Debug for dyn ReadAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadAt")
    }
}

impl ResourceReader {
    /// A reader over `layout` in `src`.
    pub fn new(src: Arc<dyn ReadAt>, layout: Arc<ChunkLayout>) -> Self {
        ResourceReader {
            src,
            layout,
            decoder: ChunkDecoder::new(),
            cached: None,
            buf: Vec::new(),
        }
    }
    /// The layout.
    pub fn layout(&self) -> &ChunkLayout {
        &self.layout
    }
    /// Decodes chunk `i` (cached) and returns its bytes.
    pub fn chunk(&mut self, i: u64) -> Result<&[u8]> {
        if self.cached != Some(i) {
            self.cached = None;
            self.decoder
                .decode(&*self.src, &self.layout, i, &mut self.buf)?;
            self.cached = Some(i);
        }
        Ok(&self.buf)
    }
    /// Fills `buf` with uncompressed bytes starting at `offset`.
    pub fn read_at(&mut self, mut offset: u64, mut buf: &mut [u8]) -> Result<()> {
        let end = offset.checked_add(buf.len() as u64);
        if end.is_none_or(|e| e > self.layout.uncompressed_size) {
            return Err(FormatError::new(
                FormatErrorKind::BadResource,
                format!(
                    "read of {} bytes at {offset} past the end of a {}-byte resource",
                    buf.len(),
                    self.layout.uncompressed_size
                ),
            )
            .into());
        }
        let cs = self.layout.chunk_size as u64;
        while !buf.is_empty() {
            let i = offset / cs;
            let within = (offset % cs) as usize;
            let chunk = self.chunk(i)?;
            let avail = chunk.get(within..).unwrap_or(&[]);
            if avail.is_empty() {
                return Err(Error::format(FormatErrorKind::BadResource, "empty chunk"));
            }
            let n = avail.len().min(buf.len());
            let (head, tail) = buf.split_at_mut(n);
            head.copy_from_slice(&avail[..n]);
            buf = tail;
            offset += n as u64;
        }
        Ok(())
    }
    /// Reads the whole resource (the caller has bounded its size).
    pub fn read_all(&mut self) -> Result<Vec<u8>> {
        let n = usize::try_from(self.layout.uncompressed_size).map_err(|_| {
            Error::format(
                FormatErrorKind::BadResource,
                "resource too large for memory",
            )
        })?;
        let mut v = vec![0u8; n];
        self.read_at(0, &mut v)?;
        Ok(v)
    }
}

/// A [`Read`] over bytes `[start, start + len)` of a resource; with an expected digest,
/// the SHA-1 is checked when the end is reached (`HashMismatch`, as
/// [`io::ErrorKind::InvalidData`] wrapping a [`crate::Error`]).
#[derive(Debug)]
pub struct ResourceRead {
    reader: ResourceReader,
    pos: u64,
    end: u64,
    expect: Option<Sha1Digest>,
    hasher: sha1::Sha1,
    done: bool,
}

impl ResourceRead {
    /// A reader over `[start, start + len)` of `reader`'s resource.
    pub fn new(
        reader: ResourceReader,
        start: u64,
        len: u64,
        expect: Option<Sha1Digest>,
    ) -> Result<Self> {
        let end = start
            .checked_add(len)
            .filter(|&e| e <= reader.layout.uncompressed_size)
            .ok_or_else(|| {
                Error::from(FormatError::new(
                    FormatErrorKind::BadResource,
                    format!(
                        "range {start}+{len} exceeds the {}-byte resource",
                        reader.layout.uncompressed_size
                    ),
                ))
            })?;
        Ok(ResourceRead {
            reader,
            pos: start,
            end,
            expect,
            hasher: sha1::Sha1::new(),
            done: false,
        })
    }
    /// Bytes left to read.
    pub fn remaining(&self) -> u64 {
        self.end - self.pos
    }
    fn finish(&mut self) -> io::Result<()> {
        if self.done {
            return Ok(());
        }
        self.done = true;
        if let Some(expect) = self.expect {
            let got = Sha1Digest(std::mem::take(&mut self.hasher).finalize().into());
            if got != expect {
                return Err(Error::from(
                    FormatError::new(
                        FormatErrorKind::HashMismatch,
                        format!("data has SHA-1 {got}"),
                    )
                    .blob(expect)
                    .at(self.reader.layout.data_start),
                )
                .into());
            }
        }
        Ok(())
    }
}

impl Read for ResourceRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.end {
            self.finish()?;
            return Ok(0);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let cs = self.reader.layout.chunk_size as u64;
        let i = self.pos / cs;
        let within = (self.pos % cs) as usize;
        let left = self.end - self.pos;
        let expect = self.expect;
        let chunk = self.reader.chunk(i).map_err(|e| match expect {
            Some(b) => e.map_format(|f| f.blob(b)),
            None => e,
        })?;
        let avail = chunk.get(within..).unwrap_or(&[]);
        let n = avail
            .len()
            .min(buf.len())
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "empty chunk"));
        }
        buf[..n].copy_from_slice(&avail[..n]);
        if self.expect.is_some() {
            self.hasher.update(&buf[..n]);
        }
        self.pos += n as u64;
        if self.pos >= self.end {
            self.finish()?;
        }
        Ok(n)
    }
}
