//! `wimoptimize` and the shared full rebuild: every kept image (and only the blobs they
//! reference) is copied into a temporary file next to the WIM, which then replaces it.
//!
//! ```text
//! rebuild(src, keep, target): temp = create(target dir) ← copy_image(k) for k in keep
//!                             sync, rename(temp, target)
//! ```

use crate::atomic::write_replacing;
use crate::error::Result;
use crate::export::{WriteOptions, copy_image, new_builder};
use crate::pipable::{PipeTarget, via_scratch};
use std::path::Path;
use wim_format::{ImageIndex, Wim};

/// What a rebuild wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildReport {
    /// Size before.
    pub old_size: u64,
    /// Size after.
    pub new_size: u64,
    /// Images written.
    pub image_count: u32,
}

/// Writes the images `keep` of `src` (in that order) to a new WIM replacing `target`
/// atomically. The GUID and the boot image (when kept) are preserved. A codec change,
/// a chunk size change or `recompress` recompress the data; otherwise resources are
/// copied raw. The output is pipable when `opts.pipable` says so, or by default when
/// the source is.
pub fn rebuild(
    src: &Wim,
    keep: &[ImageIndex],
    target: &Path,
    opts: &WriteOptions,
) -> Result<RebuildReport> {
    let h = src.header().clone();
    let old_size = src.parts().iter().map(|p| p.len).sum();
    let mut b = new_builder(src, opts)?
        .guid(h.guid.0)
        .header_flags(h.flags & wim_format::header::HeaderFlags::RP_FIX);
    let boot = keep
        .iter()
        .position(|k| k.get() == h.boot_index)
        .map_or(0, |p| p as u32 + 1);
    b = b.boot_index(boot);
    let pipable = opts.pipable.unwrap_or(h.pipable);
    if pipable {
        crate::export::check_pipable_options(opts)?;
        let integrity = opts.integrity.unwrap_or(h.integrity.offset != 0);
        let mut wo = opts.clone();
        wo.pipable = Some(true);
        wo.integrity = Some(false);
        let b = new_builder(src, &wo)?
            .guid(h.guid.0)
            .header_flags(h.flags & wim_format::header::HeaderFlags::RP_FIX)
            .boot_index(boot);
        let ((), s) = via_scratch(PipeTarget::File(target), integrity, |tmp| {
            let mut w = b.create(tmp)?;
            for &k in keep {
                copy_image(src, k, &mut w, opts.recompress, None, None)?;
            }
            w.finish()?;
            Ok(())
        })?;
        return Ok(RebuildReport {
            old_size,
            new_size: s.file_size,
            image_count: s.image_count,
        });
    }
    write_replacing(target, |tmp| {
        let mut w = b.create(tmp)?;
        if !opts.recompress {
            crate::export::raw_copy_solid_resources(src, keep, &mut w)?;
        }
        for &k in keep {
            copy_image(src, k, &mut w, opts.recompress, None, None)?;
        }
        let s = w.finish()?;
        Ok(RebuildReport {
            old_size,
            new_size: s.file_size,
            image_count: s.image_count,
        })
    })
}

/// Rebuilds the WIM at `path` with `opts` (drops unreferenced data; recompresses when
/// asked or when the codec/chunk size changes).
pub fn optimize(path: &Path, opts: &WriteOptions) -> Result<RebuildReport> {
    let src = Wim::open(path)?;
    if src.header().is_split() {
        return Err(crate::Error::Usage(
            crate::error::UsageKind::InvalidParam,
            "cannot optimize a split WIM".into(),
        ));
    }
    let keep: Vec<ImageIndex> = (1..=src.image_count())
        .filter_map(ImageIndex::new)
        .collect();
    let mut o = opts.clone();
    if o.compression.is_some() {
        o.recompress = true;
    }
    rebuild(&src, &keep, path, &o)
}
