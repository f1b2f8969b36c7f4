//! Raw copies of many resources into an output written front to back (export, split).
//!
//! ```text
//! copy(src, from, to, len) ─┬ continues the pending kernel run (same source, both ends
//! │                         │ contiguous)                      → run grows, nothing written
//! ├ both files, from ≡ to (mod 4 KiB), len ≥ 64 KiB            → new kernel run
//! └ otherwise                                                  → read into the 1 MiB
//!                                                                gather buffer; written
//!                                                                when full or not contiguous
//! flush(out): the pending run (copy_file_range) and the gather buffer (one positional write)
//! ```
//!
//! Measured on ext4 (216 MB of wine resources, page cache warm): `copy_file_range`
//! costs 0.062 s of kernel time when the source and destination offsets are congruent
//! modulo the page size but 0.092 s when they are not (each page-cache page of the source
//! lands on two of the destination), while a read + write through a 1 MiB buffer costs
//! 0.071 s whatever the alignment. Exports copy an image's blobs in source offset order,
//! so the resources of an image captured in one go form one contiguous run, congruent
//! when the image starts the source as it starts the output (the first image: both
//! after the 208-byte header), which the kernel copies in one call (split at a 64 KiB
//! output boundary, see `SPLICE_ALIGN`): the wine image (216 MB, 814 resources) exports
//! at 0.9–1.0× the speed of `cp`. Scattered or incongruent resources take the buffer.
//!
//! Bytes handed to [`RawCopier::copy`] may reach the output only at [`RawCopier::flush`]:
//! callers flush before they read the output back, truncate it or write its header.

use super::WimOutput;
use crate::source::ReadAt;
use crate::{Error, Result};
use std::io::{self, Read, Seek};
use std::sync::Arc;

/// Size of the gather buffer.
const GATHER: usize = 1 << 20;
/// Page size assumed for the alignment test.
const PAGE: u64 = 4096;
/// Shortest resource that starts a kernel run (shorter ones are cheaper gathered).
const KERNEL_MIN: u64 = 64 << 10;
/// Output alignment at which a long kernel copy starts. Linux moves a `copy_file_range`
/// between files of a file system without reflinks through a pipe, 64 KiB per round,
/// each round written at the next output offset: rounds starting on 64 KiB boundaries
/// fill the output's page cache with large folios, the others with single pages.
/// Measured on ext4 (Linux 6.18, 212 MB, page cache warm, best of 7): 0.053 s when the
/// output offset is within the first page of a 64 KiB block, 0.080–0.12 s otherwise.
const SPLICE_ALIGN: u64 = 64 << 10;

/// A pending in-kernel copy of `len` bytes from `from` in `src` to `to`.
struct Run {
    src: Arc<dyn ReadAt>,
    from: u64,
    to: u64,
    len: u64,
}

/// Batches raw resource copies; see the module documentation.
#[derive(Default)]
pub(crate) struct RawCopier {
    /// Gather buffer (empty until the first buffered copy, then `GATHER` bytes).
    buf: Vec<u8>,
    /// Bytes of `buf` holding data for `buf_at..`.
    used: usize,
    buf_at: u64,
    run: Option<Run>,
    /// Kernel runs written (tests check both paths are taken).
    #[cfg(test)]
    kernel_runs: usize,
}

impl std::fmt::Debug for RawCopier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawCopier")
            .field("used", &self.used)
            .field("buf_at", &self.buf_at)
            .field("run", &self.run.as_ref().map(|r| (r.from, r.to, r.len)))
            .finish()
    }
}

fn io_at(e: io::Error, offset: u64) -> Error {
    Error::Io {
        source: e,
        offset: Some(offset),
    }
}

impl RawCopier {
    /// Copies `len` bytes at `from` in `src` to `to` in `out` (possibly later, at the
    /// next [`Self::flush`]). Read errors are reported here, write errors may be
    /// reported by a later call.
    pub(crate) fn copy(
        &mut self,
        src: &Arc<dyn ReadAt>,
        from: u64,
        out: &mut dyn WimOutput,
        to: u64,
        len: u64,
    ) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        if let Some(r) = self.run.as_mut()
            && Arc::ptr_eq(&r.src, src)
            && r.from.checked_add(r.len) == Some(from)
            && r.to.checked_add(r.len) == Some(to)
        {
            r.len += len;
            return Ok(());
        }
        let kernel = len >= KERNEL_MIN
            && from % PAGE == to % PAGE
            && src.as_file().is_some()
            && out.as_file_mut().is_some();
        if kernel {
            self.flush(out)?;
            self.run = Some(Run {
                src: Arc::clone(src),
                from,
                to,
                len,
            });
            return Ok(());
        }
        self.flush_run(out)?;
        if self.used > 0 && self.buf_at + self.used as u64 != to {
            self.flush_buf(out)?;
        }
        if self.buf.len() < GATHER {
            self.buf.resize(GATHER, 0);
        }
        let mut done = 0u64;
        while done < len {
            if self.used == 0 {
                self.buf_at = to + done;
            }
            let n = (len - done).min((GATHER - self.used) as u64) as usize;
            let at = from + done;
            let end = self.used + n;
            let dst = self
                .buf
                .get_mut(self.used..end)
                .ok_or_else(|| io_at(io::ErrorKind::InvalidInput.into(), to + done))?;
            src.read_exact_at(dst, at).map_err(|e| io_at(e, at))?;
            self.used = end;
            done += n as u64;
            if self.used == GATHER {
                self.flush_buf(out)?;
            }
        }
        Ok(())
    }

    /// Writes everything pending.
    pub(crate) fn flush(&mut self, out: &mut dyn WimOutput) -> Result<()> {
        self.flush_run(out)?;
        self.flush_buf(out)
    }

    fn flush_buf(&mut self, out: &mut dyn WimOutput) -> Result<()> {
        if self.used == 0 {
            return Ok(());
        }
        let data = self.buf.get(..self.used).unwrap_or_default();
        super::write_at(out, self.buf_at, data)?;
        self.used = 0;
        Ok(())
    }

    fn flush_run(&mut self, out: &mut dyn WimOutput) -> Result<()> {
        let Some(r) = self.run.take() else {
            return Ok(());
        };
        let (Some(sf), Some(of)) = (r.src.as_file(), out.as_file_mut()) else {
            // `copy` only starts runs between files.
            return Err(io_at(io::ErrorKind::Unsupported.into(), r.to));
        };
        // The head up to the next `SPLICE_ALIGN` boundary of the output in a call of its
        // own, so the long call that follows starts aligned (see `SPLICE_ALIGN`).
        let head = (SPLICE_ALIGN - r.to % SPLICE_ALIGN) % SPLICE_ALIGN;
        if head > 0 && head < r.len {
            kernel_copy(sf, r.from, of, r.to, head)?;
            kernel_copy(sf, r.from + head, of, r.to + head, r.len - head)?;
        } else {
            kernel_copy(sf, r.from, of, r.to, r.len)?;
        }
        #[cfg(test)]
        {
            self.kernel_runs += 1;
        }
        Ok(())
    }
}

/// Copies `len` bytes at `from` in `src` to `to` in `out` in the kernel.
fn kernel_copy(
    src: &std::fs::File,
    from: u64,
    out: &mut std::fs::File,
    to: u64,
    len: u64,
) -> Result<()> {
    // `ReadAt` users read with positional reads, so moving this handle's cursor is
    // harmless; the copy itself is single-threaded. `io::copy` between two files is
    // `copy_file_range` (in-kernel).
    let mut rf = src;
    rf.seek(io::SeekFrom::Start(from))
        .map_err(|e| io_at(e, from))?;
    out.seek(io::SeekFrom::Start(to))
        .map_err(|e| io_at(e, to))?;
    let n = io::copy(&mut rf.take(len), out).map_err(|e| io_at(e, from))?;
    if n != len {
        return Err(io_at(io::ErrorKind::UnexpectedEof.into(), from + n));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Source bytes: a position-dependent pattern, so any misplaced byte shows.
    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    /// `(from, len)` pieces copied back to back from offset `start`: small and big ones,
    /// contiguous runs in the source and jumps, congruent and not.
    fn plan(start: u64) -> Vec<(u64, u64, u64)> {
        let pieces = [
            (100u64, 3000u64),
            (3100, 70_000),   // contiguous with the previous in the source
            (73_100, 10_000), // extends a kernel run when the start is congruent
            (200_000, 65_536),
            (265_536, 200_000),
            (1_000_000, 1_500_000), // bigger than the gather buffer
            (50, 10),
            (0, 0),
            (2_600_000, 300_000),
        ];
        let mut to = start;
        pieces
            .iter()
            .map(|&(from, len)| {
                let r = (from, to, len);
                to += len;
                r
            })
            .collect()
    }

    fn expected(src: &[u8], start: u64, plan: &[(u64, u64, u64)]) -> Vec<u8> {
        let mut v = vec![0xAAu8; start as usize];
        for &(from, _, len) in plan {
            v.extend_from_slice(&src[from as usize..(from + len) as usize]);
        }
        v
    }

    /// Runs the plan; returns the number of kernel runs.
    fn run(src: Arc<dyn ReadAt>, out: &mut dyn WimOutput, start: u64) -> Result<usize> {
        out.write_all(&vec![0xAAu8; start as usize])?;
        let mut c = RawCopier::default();
        for (from, to, len) in plan(start) {
            c.copy(&src, from, out, to, len)?;
        }
        c.flush(out)?;
        Ok(c.kernel_runs)
    }

    #[test]
    fn file_to_file_matches_for_every_alignment() {
        let data = pattern(3_000_000);
        let dir = tempfile::tempdir().unwrap();
        let sp = dir.path().join("src");
        std::fs::File::create(&sp)
            .unwrap()
            .write_all(&data)
            .unwrap();
        // start 100: pieces 2 and 3 are one kernel run, the others not congruent; start
        // 0 and 4096: pieces 3 and 4 (from 200,000, 265,536) land congruent only by
        // chance, so only the count for 100 is pinned.
        for start in [0u64, 100, 208, 4096] {
            let src: Arc<dyn ReadAt> = Arc::new(std::fs::File::open(&sp).unwrap());
            let op = dir.path().join(format!("out{start}"));
            let mut out = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&op)
                .unwrap();
            let runs = run(src, &mut out, start).unwrap();
            if start == 100 {
                assert_eq!(runs, 1, "pieces 2 and 3 form one kernel run");
            }
            drop(out);
            let got = std::fs::read(&op).unwrap();
            assert!(got == expected(&data, start, &plan(start)), "start {start}");
        }
    }

    #[test]
    fn memory_source_and_output_match() {
        let data = pattern(3_000_000);
        let src: Arc<dyn ReadAt> = Arc::new(data.clone());
        let mut out = io::Cursor::new(Vec::new());
        assert_eq!(
            run(src, &mut out, 100).unwrap(),
            0,
            "no kernel without files"
        );
        assert!(out.into_inner() == expected(&data, 100, &plan(100)));
    }

    #[test]
    fn nothing_reaches_the_output_before_flush_for_small_copies() {
        let data = pattern(10_000);
        let src: Arc<dyn ReadAt> = Arc::new(data.clone());
        let mut out = io::Cursor::new(Vec::new());
        let mut c = RawCopier::default();
        c.copy(&src, 0, &mut out, 0, 5000).unwrap();
        c.copy(&src, 9000, &mut out, 5000, 1000).unwrap();
        assert!(out.get_ref().is_empty());
        c.flush(&mut out).unwrap();
        let mut want = data[..5000].to_vec();
        want.extend_from_slice(&data[9000..10_000]);
        assert_eq!(out.into_inner(), want);
    }

    #[test]
    fn short_source_is_an_error_with_the_offset() {
        let src: Arc<dyn ReadAt> = Arc::new(pattern(1000));
        let mut out = io::Cursor::new(Vec::new());
        let mut c = RawCopier::default();
        let e = c.copy(&src, 900, &mut out, 0, 200).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Io {
                    offset: Some(900),
                    ..
                }
            ),
            "{e:?}"
        );
    }
}
