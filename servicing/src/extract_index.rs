//! `service extract-index`: reduce a WIM/ESD (or an OS media folder's
//! `sources/install.wim|esd`) to a single image, in place, crash-safe.
//!
//! ```text
//! resolve:  FILE.wim  → out FILE.wim           backup FILE.wim.bak (hard link)
//!           FILE.esd  → out FILE.wim (LZX)     the .esd itself is the backup
//!           MEDIA/    → MEDIA/sources/install.wim (from install.wim, else install.esd)
//! write:    .NAME.wimkit-tmp-PID-N beside the output ← copy_image (streams blobs)
//! verify:   our reader on the temp file: 1 image, strict metadata, tree == source's,
//!           every blob's SHA-1
//! commit:   link(original, backup)  (skipped with --no-backup)
//!           fsync(temp); rename(temp, out); fsync(dir)
//!           ESD input without backup: remove the .esd after the rename
//! ```
//!
//! At every instant the output path holds either the original file or the finished,
//! verified one; a crash leaves at most a temporary file beside it (and the backup link,
//! which is the original's data under a second name). Memory does not grow with the
//! file: blobs are copied raw (or decoded and recompressed) chunk by chunk; only the
//! chosen image's metadata is held.
//!
//! Backup naming: `NAME.bak`, or `NAME.bak.1`, `NAME.bak.2`… when taken. A backup is a
//! hard link when the file system allows it, else a copy made before the rename.

use crate::atomic::write_replacing;
use crate::error::{Error, FsOp, Result, UsageKind};
use crate::export::{WriteOptions, copy_image, load_tree, new_builder};
use std::path::{Path, PathBuf};
use wim_format::header::Compression;
use wim_format::{ImageIndex, Wim};

/// Options of [`extract_index`].
#[derive(Debug, Clone)]
pub struct ExtractIndexOptions {
    /// Output settings (`compression: None` keeps a WIM's codec; ESD input becomes LZX).
    pub write: WriteOptions,
    /// Keep the original (`NAME.bak` for a WIM; the `.esd` for an ESD input).
    pub backup: bool,
}

impl Default for ExtractIndexOptions {
    fn default() -> Self {
        ExtractIndexOptions {
            write: WriteOptions::default(),
            backup: true,
        }
    }
}

/// Where the input is read and the output written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The WIM or ESD read.
    pub source: PathBuf,
    /// The single-image WIM written (equal to `source` for a `.wim` input).
    pub output: PathBuf,
    /// True when `source` is an ESD (solid LZMS) file.
    pub from_esd: bool,
}

/// What [`extract_index`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractIndexReport {
    /// The file read.
    pub source: PathBuf,
    /// The file written.
    pub output: PathBuf,
    /// The backup of the original (`None` with `--no-backup`).
    pub backup: Option<PathBuf>,
    /// The original ESD removed after the rename (ESD input with `--no-backup`).
    pub removed: Option<PathBuf>,
    /// The image kept (its index in the source).
    pub image: u32,
    /// Images in the source.
    pub source_images: u32,
    /// Size of the source.
    pub old_size: u64,
    /// Size of the output.
    pub new_size: u64,
}

fn usage(msg: String) -> Error {
    Error::Usage(UsageKind::InvalidParam, msg)
}

fn is_esd_name(p: &Path) -> bool {
    p.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case("esd"))
}

/// Resolves PATH: a WIM/ESD file, or a media folder holding `sources/install.wim`
/// (preferred) or `sources/install.esd`.
pub fn resolve_target(path: &Path) -> Result<Target> {
    let source = if path.is_dir() {
        let s = path.join("sources");
        let wim = s.join("install.wim");
        let esd = s.join("install.esd");
        if wim.is_file() {
            wim
        } else if esd.is_file() {
            esd
        } else {
            return Err(usage(format!(
                "\"{}\" is a folder without sources/install.wim or sources/install.esd",
                path.display()
            )));
        }
    } else {
        path.to_path_buf()
    };
    let from_esd = is_esd_name(&source);
    let output = if from_esd {
        source.with_extension("wim")
    } else {
        source.clone()
    };
    if from_esd && output.exists() {
        return Err(usage(format!(
            "\"{}\" already exists; remove it or pass it instead of \"{}\"",
            output.display(),
            source.display()
        )));
    }
    Ok(Target {
        source,
        output,
        from_esd,
    })
}

/// The first free backup name for `p`: `p.bak`, `p.bak.1`, `p.bak.2`…
pub fn backup_path(p: &Path) -> PathBuf {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "wim".into());
    let first = p.with_file_name(format!("{name}.bak"));
    if std::fs::symlink_metadata(&first).is_err() {
        return first;
    }
    (1u32..)
        .map(|i| p.with_file_name(format!("{name}.bak.{i}")))
        .find(|c| std::fs::symlink_metadata(c).is_err())
        .unwrap_or(first)
}

/// Checks the written file with our reader: one image, strict metadata, the same tree
/// as the source image, every blob's SHA-1 (and the integrity table when present).
pub fn verify_single(path: &Path, src: &Wim, image: ImageIndex) -> Result<()> {
    let w = Wim::open(path)?;
    let bad = |m: String| {
        usage(format!(
            "verification of \"{}\" failed: {m}",
            path.display()
        ))
    };
    if w.image_count() != 1 {
        return Err(bad(format!("{} images instead of 1", w.image_count())));
    }
    let one = ImageIndex::new(1).ok_or_else(|| bad("image 1".into()))?;
    let bytes = w.metadata_bytes(one)?;
    wim_format::metadata::ImageMetadata::parse_strict(&bytes, w.limits())?;
    if load_tree(&w, one)? != load_tree(src, image)? {
        return Err(bad(
            "the image's metadata differs from the source image".into()
        ));
    }
    w.check_integrity()?;
    w.verify_blobs(&|_| {})?.into_result()?;
    Ok(())
}

fn make_backup(original: &Path) -> Result<PathBuf> {
    let b = backup_path(original);
    if std::fs::hard_link(original, &b).is_err() {
        std::fs::copy(original, &b).map_err(|e| Error::fs(FsOp::Write, &b, e))?;
        std::fs::File::open(&b)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::fs(FsOp::Write, &b, e))?;
    }
    Ok(b)
}

/// Writes image `image` of the WIM/ESD at `path` (or of a media folder's install image)
/// as a single-image WIM replacing it (see the module documentation).
pub fn extract_index(
    path: &Path,
    image: u32,
    opts: &ExtractIndexOptions,
) -> Result<ExtractIndexReport> {
    let t = resolve_target(path)?;
    let src = Wim::open(&t.source)?;
    if src.header().is_split() {
        return Err(usage(format!(
            "\"{}\" is part of a split WIM; join it first",
            t.source.display()
        )));
    }
    let n = src.image_count();
    let idx = ImageIndex::new(image)
        .filter(|i| i.get() <= n)
        .ok_or_else(|| {
            usage(format!(
                "image {image} does not exist in \"{}\" ({n} images)",
                t.source.display()
            ))
        })?;
    let old_size = src.parts().iter().map(|p| p.len).sum();
    let mut w = opts.write.clone();
    let solid_src = src.header().version.is_solid() || t.from_esd;
    if w.compression.is_none() && solid_src && !w.solid {
        w.compression = Some(Compression::Lzx);
    }
    if w.compression.is_some_and(|c| c != src.header().compression) || w.solid != solid_src {
        w.recompress = true;
    }
    let boot = src.header().boot_index == image;
    let b = new_builder(&src, &w)?
        .guid(src.header().guid.0)
        .boot_index(u32::from(boot));
    let mut backup = None;
    let new_size = write_replacing(&t.output, |tmp| {
        let mut wr = b.create(tmp)?;
        copy_image(&src, idx, &mut wr, w.recompress, None, None)?;
        let s = wr.finish()?;
        verify_single(tmp, &src, idx)?;
        if opts.backup && !t.from_esd {
            backup = Some(make_backup(&t.source)?);
        }
        Ok(s.file_size)
    })?;
    drop(src);
    let mut removed = None;
    if t.from_esd {
        if opts.backup {
            backup = Some(t.source.clone());
        } else {
            std::fs::remove_file(&t.source).map_err(|e| Error::fs(FsOp::Write, &t.source, e))?;
            removed = Some(t.source.clone());
        }
    }
    Ok(ExtractIndexReport {
        source: t.source,
        output: t.output,
        backup,
        removed,
        image,
        source_images: n,
        old_size,
        new_size,
    })
}
