//! Writing pipable WIMs (`--pipable`, WIMFILE `-`): the operation writes an ordinary
//! non-solid WIM into a scratch file, which is then re-laid out front to back as a
//! pipable WIM ([`wim_format::write::pipable::write_pipable`], no recompression).
//!
//! ```text
//! File(target):  scratch = .target.wimkit-tmp-… ← f(scratch)
//!                write_replacing(target, |tmp| write_pipable(open(scratch), tmp)); rm scratch
//! Stdout:        scratch in the temp folder ← f(scratch); write_pipable(…, stdout); rm scratch
//! ```
//!
//! The scratch file costs one extra write of the compressed data; memory stays one chunk.
//! The integrity table (`--check`) is written for file output only, as wimlib does.

use crate::atomic::{temp_path_for, write_replacing};
use crate::error::{Error, FsOp, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use wim_format::Wim;
use wim_format::ondisk::integrity::DEFAULT_INTEGRITY_CHUNK_SIZE;
use wim_format::write::pipable::{PipableSummary, write_pipable};

/// Where the pipable WIM goes.
#[derive(Debug, Clone, Copy)]
pub enum PipeTarget<'a> {
    /// A file, replaced atomically.
    File(&'a Path),
    /// Standard output.
    Stdout,
}

impl PipeTarget<'_> {
    /// `-` is standard output, anything else a file.
    pub fn from_arg(arg: &Path) -> PipeTarget<'_> {
        if arg.as_os_str() == "-" {
            PipeTarget::Stdout
        } else {
            PipeTarget::File(arg)
        }
    }
}

/// Removes the scratch file when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn scratch_for(target: PipeTarget<'_>) -> PathBuf {
    match target {
        PipeTarget::File(p) => temp_path_for(p),
        PipeTarget::Stdout => temp_path_for(&std::env::temp_dir().join("pipe.wim")),
    }
}

/// Runs `f` on a scratch path (it must write a complete, non-solid, non-pipable WIM
/// there), then writes that WIM to `target` as a pipable WIM, with an integrity table
/// when `integrity` and the target is a file. The scratch file is always removed.
pub fn via_scratch<T>(
    target: PipeTarget<'_>,
    integrity: bool,
    f: impl FnOnce(&Path) -> Result<T>,
) -> Result<(T, PipableSummary)> {
    let scratch = Scratch(scratch_for(target));
    let v = f(&scratch.0)?;
    let src = Wim::open(&scratch.0)?;
    let s = convert(&src, target, integrity)?;
    drop(src);
    drop(scratch);
    Ok((v, s))
}

/// Writes `src` (complete, non-solid) to `target` as a pipable WIM.
pub fn convert(src: &Wim, target: PipeTarget<'_>, integrity: bool) -> Result<PipableSummary> {
    match target {
        PipeTarget::File(p) => write_replacing(p, |tmp| {
            let f = std::fs::File::create(tmp).map_err(|e| Error::fs(FsOp::Open, tmp, e))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            let s = write_pipable(
                src,
                &mut w,
                integrity.then_some(DEFAULT_INTEGRITY_CHUNK_SIZE),
            )?;
            w.flush().map_err(|e| Error::fs(FsOp::Write, tmp, e))?;
            Ok(s)
        }),
        PipeTarget::Stdout => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            let s = write_pipable(src, &mut w, None)?;
            w.flush()
                .map_err(|e| Error::fs(FsOp::Write, Path::new("-"), e))?;
            Ok(s)
        }
    }
}

/// Runs an in-place edit `f` (info changes, `delete --soft`, …) on the pipable WIM at
/// `path`, as wimlib does by rewriting it: the images are copied into a normal scratch
/// WIM (chunks copied, not recompressed), `f` edits that file, and the result is
/// written back over `path` as a pipable WIM (atomically), with an integrity table when
/// the edited scratch has one (so `--check`/`--nocheck` keep their meaning).
pub fn edit_pipable<T>(path: &Path, f: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    let src = Wim::open(path)?;
    let scratch = Scratch(temp_path_for(path));
    let keep: Vec<wim_format::ImageIndex> = (1..=src.image_count())
        .filter_map(wim_format::ImageIndex::new)
        .collect();
    let wo = crate::export::WriteOptions {
        pipable: Some(false),
        ..Default::default()
    };
    crate::optimize::rebuild(&src, &keep, &scratch.0, &wo)?;
    drop(src);
    let v = f(&scratch.0)?;
    let edited = Wim::open(&scratch.0)?;
    let integrity = edited.header().integrity.size_in_wim > 0;
    convert(&edited, PipeTarget::File(path), integrity)?;
    drop(edited);
    drop(scratch);
    Ok(v)
}
